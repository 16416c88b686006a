"""Helpers shared by the task builders: text, JSON text, seeded hashing, sampling, groups.

Everything here is a polars expression or a frame-in/frame-out function, so builders stay
vectorised and deterministic. Randomness is always a seeded hash of ids (never row order,
never thread count): the same canonical tables and seed give the same frame.
"""

from __future__ import annotations

import functools
import json
import math
import weakref
import zlib
from collections.abc import Callable, Sequence
from typing import TypeVar

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks.base import TaskContext

T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# Seeded hashing


def seeded(seed: int, salt: str) -> int:
    """A per-purpose hash seed, so two tasks (or two steps) with the same seed do not make
    correlated choices. crc32 is stable across processes, unlike Python's `hash`."""
    return (zlib.crc32(f"{salt}:{seed}".encode()) << 16) ^ (seed & 0xFFFF)


def hash_key(*exprs: pl.Expr | str, seed: int, salt: str) -> pl.Expr:
    """UInt64 hash of the given columns; sort by it for a seeded, order-free shuffle."""
    cols = [pl.col(e) if isinstance(e, str) else e for e in exprs]
    return pl.struct(cols).hash(seed=seeded(seed, salt))


# ---------------------------------------------------------------------------------------------
# Text


# The helpers below name their argument once: polars' eager API does not share common
# subexpressions, so `when(f(x) ...).then(f(x))` would compute an expensive f(x) (a regex over
# every description, say) twice, and twice again for each helper wrapped around it.


def nonempty(expr: pl.Expr) -> pl.Expr:
    """Strip the text; empty strings become null (sources use both for 'missing')."""
    return expr.str.strip_chars().replace("", None)


def word_count(expr: pl.Expr) -> pl.Expr:
    """Whitespace-separated words; null text has 0 words."""
    return expr.str.count_matches(r"\S+").fill_null(0)


def at_least_words(expr: pl.Expr, n: int) -> pl.Expr:
    """Whether the text has `n` or more words; stops reading after the n-th (long reviews)."""
    return expr.str.contains(rf"^\s*(?:\S+\s+){{{n - 1}}}\S").fill_null(False)


def sort_positions(df: pl.DataFrame, keys: list[str]) -> pl.Series:
    """`arg_sort_by(keys, nulls_last=True)`: the row positions in `keys` order. When the first
    key alone decides (no nulls, no value twice) it is sorted alone, and ids of 16 lower-case
    hex digits (review ids, see `sources.frames.md5_sql`) as the integers they spell, which
    order as their text does: a fraction of the cost of a sort on several text columns."""
    first = df.get_column(keys[0])
    if first.dtype == pl.String and first.len() and not first.null_count():
        key = first
        if first.str.contains("^[0-9a-f]{16}$").all():
            key = first.str.to_integer(base=16, dtype=pl.UInt64)
        order = key.arg_sort()
        ordered = key.gather(order)
        if not (ordered.slice(1) == ordered.slice(0, len(ordered) - 1)).any():
            return order.alias(first.name)
    return df.select(pl.arg_sort_by(keys, nulls_last=True)).to_series()


def first_copies(
    df: pl.DataFrame,
    text: str,
    among: pl.Expr,
    slice_rows: int = 200_000,
    order: pl.Series | None = None,
) -> pl.Series:
    """Per row: whether no earlier row with the same `among` value has the same `text`,
    compared case-insensitively. "Earlier" is in row order, or in `order` (a permutation of
    the rows, e.g. from `arg_sort_by`) when given, so a large frame need not be sorted for it.
    Lower-cased text is made a slice at a time and kept only as two independent 64-bit
    hashes, so a column of millions of reviews is never copied whole; two different texts are
    taken for one only if both hashes collide."""
    lower = pl.col(text).str.to_lowercase()
    keys = [
        df.slice(start, slice_rows).select(
            lower.hash(seed=1).alias("a"), lower.hash(seed=2).alias("b")
        )
        for start in range(0, df.height, slice_rows)
    ]
    if not keys:
        return pl.Series(dtype=pl.Boolean)
    frame = pl.concat(keys).with_columns(df.select(among.alias("_among")))
    if order is None:
        return frame.select(pl.struct(pl.all()).is_first_distinct()).to_series()
    first = frame[order].select(pl.struct(pl.all()).is_first_distinct()).to_series()
    return pl.repeat(False, df.height, eager=True).scatter(order, first)


def truncate_words(expr: pl.Expr, n: int) -> pl.Expr:
    """The first `n` words, whitespace normalised to single spaces; empty -> null."""
    # One regex, no word lists. The whole match rather than a group: the regex engine then
    # finds it without its slower capture-group search.
    head = expr.str.extract(rf"\S+(?:\s+\S+){{0,{n - 1}}}", 0)
    return nonempty(head.str.replace_all(r"\s+", " "))


# ---------------------------------------------------------------------------------------------
# JSON text. Built from polars' own encoder (correct escaping), laid out like Python's
# `json.dumps(obj, ensure_ascii=False)` (", " and ": " separators) so every structured input
# reads the same whichever task wrote it.

_WRAP = '{"v":'


def json_value(expr: pl.Expr) -> pl.Expr:
    """JSON text of one scalar value (string, number, bool); null stays null."""
    encoded = pl.struct(expr.alias("v")).struct.json_encode()
    # Only a null encodes as the bare word null (the string "null" comes out quoted).
    return encoded.str.strip_prefix(_WRAP).str.strip_suffix("}").replace("null", None)


def json_list(expr: pl.Expr) -> pl.Expr:
    """JSON array text of a list of scalars; null or empty list -> null."""
    items = expr.list.eval(json_value(pl.element()))
    return (pl.lit("[") + items.list.join(", ") + pl.lit("]")).replace("[]", None)


def json_array(items: pl.Expr) -> pl.Expr:
    """JSON array text from a list of already-encoded JSON texts (e.g. aggregated objects)."""
    return pl.lit("[") + items.list.join(", ") + pl.lit("]")


def json_object(fields: dict[str, pl.Expr]) -> pl.Expr:
    """JSON object text from already-encoded values; null values are left out entirely
    (an absent field is not shown rather than shown as null)."""
    # Text + null is null, so an absent value drops its whole "key: value" piece.
    pieces = [
        pl.lit(json.dumps(key, ensure_ascii=False) + ": ") + value for key, value in fields.items()
    ]
    body = pl.concat_list(pieces).list.drop_nulls().list.join(", ")
    return pl.lit("{") + body + pl.lit("}")


# ---------------------------------------------------------------------------------------------
# Products and drop reasons


def unique_products(
    products: pl.DataFrame, columns: Sequence[str] | None = None, among: pl.Series | None = None
) -> pl.DataFrame:
    """One row per product_id (a product may come from several sources): prefer a row with a
    title, then the row that fills the most fields (a full catalogue entry over a terse
    matching-benchmark copy of the same ASIN), then the smallest source name, then the first.
    Empty titles/brands are nulls. `columns` (besides product_id) limits what is kept;
    default: every column. `among` (product ids) limits which products are kept: only their
    rows are gathered, which matters for long texts out of a catalogue of a million rows.
    Rows come in product_id order."""
    keep = products.columns if columns is None else list(dict.fromkeys(["product_id", *columns]))
    rows = _chosen_rows(products)
    if among is not None:
        rows = rows.filter(products["product_id"].gather(rows).is_in(among.implode()))
    return products.select(keep)[rows].with_columns(
        nonempty(pl.col(c)) for c in ("title", "brand") if c in keep
    )


# Results kept for steps that several tasks run on the same frames: slot -> (the step's name,
# weak references to the frames it read, its result). A slot holds one result at a time.
_KEPT: dict[str, tuple[str, tuple[weakref.ref, ...], object]] = {}


def _kept(slot: str, name: str, frames: Sequence[pl.DataFrame], compute: Callable[[], T]) -> T:
    """`compute()`, or the result it gave last time in `slot` for `name` if `frames` are the
    very same frames (results are frames and series, which nothing changes in place)."""
    held = _KEPT.get(slot)
    if held is not None and held[0] == name and len(held[1]) == len(frames):
        if all(ref() is frame for ref, frame in zip(held[1], frames, strict=True)):
            return held[2]
    _KEPT.pop(slot, None)  # the old result's memory goes before the new one is made
    value = compute()
    _KEPT[slot] = (name, tuple(weakref.ref(f) for f in frames), value)
    return value


def _chosen_rows(products: pl.DataFrame) -> pl.Series:
    """Every task asks about the same canonical products table, so the sort that decides is
    done once per build."""
    return _kept("catalogue", "chosen_rows", [products], lambda: _choose_rows(products))


def _choose_rows(products: pl.DataFrame) -> pl.Series:
    brand = nonempty(pl.col("brand"))
    filled = pl.sum_horizontal(
        pl.col("description").is_not_null(),
        pl.col("features").list.len().fill_null(0) > 0,
        brand.is_not_null(),
        pl.col("categories").list.len().fill_null(0) > 0,
        pl.col("price").is_not_null(),
    )
    return (
        products.select(
            "product_id",
            _untitled=nonempty(pl.col("title")).is_null(),
            _filled=filled,
            _source="source",
            _row=pl.int_range(pl.len(), dtype=pl.UInt32),
        )
        .filter(pl.col("product_id").is_not_null())
        .sort(
            ["product_id", "_untitled", "_filled", "_source", "_row"],
            descending=[False, False, True, False, False],
            nulls_last=True,
        )
        .unique("product_id", keep="first", maintain_order=True)
        .get_column("_row")
    )


def shared(
    *tables: str,
) -> Callable[[Callable[[Canonical], pl.DataFrame]], Callable[[Canonical], pl.DataFrame]]:
    """For a step that several tasks run on the same canonical tables (the ESCI pairs of MPC,
    PSI and QPR; the QA questions of AP and AG): its result is kept and returned again while
    the `tables` it reads are the very same frames, so the step runs once per build. One
    result is kept at a time (tasks that share a step come one after another in the
    registry); `forget` lets go of it."""

    def wrap(step: Callable[[Canonical], pl.DataFrame]) -> Callable[[Canonical], pl.DataFrame]:
        @functools.wraps(step)
        def run(canonical: Canonical) -> pl.DataFrame:
            frames = [canonical[t] for t in tables]
            return _kept("shared", step.__qualname__, frames, lambda: step(canonical))

        return run

    return wrap


def forget() -> None:
    """Let go of every kept result (the build calls this once the tasks are built)."""
    _KEPT.clear()


def first_reason(*checks: tuple[pl.Expr, str]) -> pl.Expr:
    """The reason of the first failing check (a True condition), or null when all pass."""
    return pl.coalesce(
        [pl.when(cond.fill_null(False)).then(pl.lit(reason)) for cond, reason in checks]
        + [pl.lit(None, dtype=pl.String)]
    )


def ood_flags(ids: pl.Expr, ctx: TaskContext) -> tuple[pl.Expr, pl.Expr]:
    """(all_ood, any_ood) over a list column of product ids."""
    flags = ids.list.eval(pl.element().is_in(ctx.ood_products["product_id"].implode()))
    return flags.list.all(), flags.list.any()


def subsample(
    df: pl.DataFrame,
    n: int | tuple[int, int] | None,
    *,
    key: list[str],
    seed: int,
    salt: str,
    ood: pl.Expr,
    mixed: pl.Expr,
) -> pl.DataFrame:
    """Keep at most `n` usable rows per side (OOD / not OOD), chosen by seeded hash; rows with a
    drop_reason are all kept (they are counted, not sampled). `n` is one bound for both sides
    or a (not OOD, OOD) pair. Per side, so that the OOD test quota is not starved by a uniform
    sample; rows mixing both sides (which the split step drops) come last within the non-OOD
    side."""
    if n is None:
        return df
    n_ind, n_ood = (n, n) if isinstance(n, int) else n
    usable = df.filter(pl.col("drop_reason").is_null())
    if usable.height <= min(n_ind, n_ood):
        return df
    # One u64 sort key, mixed rows last; a per-side cut-off (a partial sort) keeps only about n
    # rows per side before the full sort, which matters at millions of rows.
    top_bit = pl.lit(1 << 63, dtype=pl.UInt64)
    order = (
        hash_key(*key, seed=seed, salt=salt) // 2 + mixed.fill_null(False).cast(pl.UInt64) * top_bit
    )
    usable = usable.with_columns(_ood=ood.fill_null(False), _order=order)
    sides = []
    for held_out, cap in ((False, n_ind), (True, n_ood)):
        side = usable.filter(pl.col("_ood") == held_out)
        if side.height > cap:
            cut = side.select(pl.col("_order").bottom_k(cap).max()).item()
            side = side.filter(pl.col("_order") <= cut).sort(["_order", *key]).head(cap)
        else:
            side = side.sort(["_order", *key])
        sides.append(side.drop("_ood", "_order"))
    return pl.concat([*sides, df.filter(pl.col("drop_reason").is_not_null())], how="vertical")


# ---------------------------------------------------------------------------------------------
# Sampling extra products (negatives, options)

_PRIMES = [p for p in range(2, 8000) if all(p % d for d in range(2, math.isqrt(p) + 1))]


def sample_distinct(
    anchors: pl.DataFrame,
    pool: pl.DataFrame,
    *,
    n: int | str,
    seed: int,
    salt: str,
) -> pl.DataFrame:
    """For each anchor pick up to `n` distinct pool items on the anchor's side, never one in the
    anchor's `exclude` list. Deterministic and order-free.

    anchors: `key` (str, unique), `side` (bool), `exclude` (list[str] of items), and, when `n`
    is a column name, that column (int per anchor). pool: `item` (str, unique per side),
    `side` (bool), plus payload columns, which are returned.
    Returns `key`, `draw` (0 = first pick), `item` and the payload; an anchor gets fewer than
    `n` rows only when its side has too few eligible items.

    How: the pool is shuffled by hash once per side; each anchor walks it from a hashed offset
    with a hashed stride coprime with the pool size, so its first K steps are K distinct items.
    With K = n + len(exclude), excluding at most len(exclude) items still leaves n.
    """
    want = pl.col(n) if isinstance(n, str) else pl.lit(n)
    pool = (
        pool.sort(["side", hash_key("item", seed=seed, salt=salt + ":pool"), "item"])
        .with_columns(pos=pl.int_range(pl.len()).over("side"))
        .with_columns(size=pl.len().over("side"))
    )
    sizes = pool.group_by("side").agg(size=pl.len())
    strides = pl.DataFrame(
        [
            {"side": side, "stride_idx": i, "stride": s}
            for side, size in sizes.iter_rows()
            for i, s in enumerate([1] + [p for p in _PRIMES if p < size and size % p])
        ],
        schema={"side": pl.Boolean, "stride_idx": pl.Int64, "stride": pl.Int64},
    )
    n_strides = strides.group_by("side").agg(n_strides=pl.len())
    # Only scalars per anchor are exploded: carrying `exclude` along would copy a heavy
    # user's list once per step.
    walks = (
        anchors.select(
            "key",
            "side",
            want=want.cast(pl.Int64),
            n_excluded=pl.col("exclude").list.len().fill_null(0).cast(pl.Int64),
        )
        .join(sizes, on="side", how="inner")
        .join(n_strides, on="side", how="inner")
        .select(
            "key",
            "side",
            "want",
            "size",
            steps=pl.min_horizontal(pl.col("size"), pl.col("want") + pl.col("n_excluded")),
            offset=(hash_key("key", seed=seed, salt=salt + ":offset") % pl.col("size")),
            stride_idx=(hash_key("key", seed=seed, salt=salt + ":stride") % pl.col("n_strides")),
        )
        .with_columns(pl.col("offset", "stride_idx", "size").cast(pl.Int64))
        .join(strides, on=["side", "stride_idx"], how="left")
        .with_columns(step=pl.int_ranges(0, pl.col("steps")))
        .explode("step")
        .filter(pl.col("step").is_not_null())
        .select(
            "key",
            "side",
            "want",
            "step",
            pos=(pl.col("offset") + pl.col("step") * pl.col("stride")) % pl.col("size"),
        )
        .join(pool.drop("size"), on=["side", "pos"], how="inner")
    )
    excluded = anchors.select("key", item=pl.col("exclude")).explode("item").drop_nulls().unique()
    return (
        walks.join(excluded, on=["key", "item"], how="anti")
        .sort(["key", "step"])
        .filter(pl.int_range(pl.len()).over("key") < pl.col("want"))
        .with_columns(draw=pl.int_range(pl.len()).over("key"))
        .drop("side", "want", "step", "pos")
    )


# ---------------------------------------------------------------------------------------------
# Groups: keep a pair's products in one split


def connected_components(edges: pl.DataFrame) -> pl.DataFrame:
    """Connected components of an undirected graph given as columns `a`, `b` (str ids).

    Returns `node`, `component` (the smallest node id of its component). Min-label propagation
    with pointer jumping: labels only decrease and stay inside the component, so the fixpoint
    is the component minimum; jumping makes long chains converge in few rounds.
    """
    edges = edges.select("a", "b").drop_nulls()
    nodes = (
        pl.concat([edges["a"], edges["b"]]).unique().sort().to_frame("node").with_row_index("id")
    )
    ids = nodes.select("node", pl.col("id").cast(pl.Int64))
    e = (
        edges.join(ids.rename({"node": "a", "id": "ia"}), on="a")
        .join(ids.rename({"node": "b", "id": "ib"}), on="b")
        .select("ia", "ib")
    )
    e = pl.concat([e, e.select(ia="ib", ib="ia")]).unique()
    labels = ids.select("id", label="id")
    while True:
        neighbour = (
            e.join(labels, left_on="ib", right_on="id").group_by("ia").agg(nb=pl.col("label").min())
        )
        new = labels.join(neighbour, left_on="id", right_on="ia", how="left").select(
            "id", label=pl.min_horizontal("label", "nb")
        )
        jumped = new.join(
            new.rename({"id": "label", "label": "label2"}), on="label", how="left"
        ).select("id", label=pl.min_horizontal("label", "label2"))
        jumped = jumped.sort("id")
        if jumped.equals(labels):
            break
        labels = jumped
    return (
        labels.join(ids, on="id")
        .join(ids.rename({"id": "label", "node": "component"}), on="label")
        .select("node", "component")
        .sort("node")
    )


def pair_groups(
    pairs: pl.DataFrame, *, left: str, right: str, max_share: float = 0.05
) -> pl.Series:
    """The split group of each pair row: the connected component of the pairs' graph, so a
    product never shows up in two splits through two pairs. A component holding more than
    `max_share` of the rows could not fit a small split, so its rows fall back to their
    `left` product id (its products may then cross splits; the OOD audit still holds, because
    the split step handles OOD products on their own)."""
    comp = connected_components(pairs.select(a=pl.col(left), b=pl.col(right)))
    with_comp = pairs.select(left).join(
        comp.rename({"node": left}), on=left, how="left", maintain_order="left"
    )
    size = pl.len().over("component")
    return with_comp.select(
        pl.when(size > max_share * max(pairs.height, 1))
        .then(pl.col(left))
        .otherwise(pl.col("component"))
        .alias("group")
    )["group"]
