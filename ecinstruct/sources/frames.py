"""Frame helpers shared by the adapters: rejections, typed parsing and stable ids.

Adapters read raw fields as strings, then split each frame into the rows they keep and
the rows they refuse. A refused row is never dropped silently: it becomes a `rejected`
row with the source kind, file, row number, a snake_case reason, a one-line detail and
the first characters of the raw record.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ecinstruct.canonical import SCHEMAS

RAW_CHARS = 500
REJECTED = SCHEMAS["rejected"]


@dataclass(frozen=True)
class Check:
    """Rows where `bad` is true are refused with `reason`; `detail` is text or an expr."""

    reason: str
    bad: pl.Expr
    detail: str | pl.Expr


def split(
    frame: pl.DataFrame, kind: str, checks: list[Check], raw: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply `checks` in order (the first failing one names the reason).

    `frame` carries `_file` and `_row`; `raw` lists the columns that describe the raw record
    when the frame has no `_raw` text. Returns (kept rows, rejected rows).
    """
    if not checks or frame.is_empty():
        return frame, rejected_frame(frame.clear(), kind, "", "", raw)
    reason = pl.when(checks[0].bad.fill_null(False)).then(pl.lit(checks[0].reason))
    detail = pl.when(checks[0].bad.fill_null(False)).then(_text(checks[0].detail))
    for check in checks[1:]:
        reason = reason.when(check.bad.fill_null(False)).then(pl.lit(check.reason))
        detail = detail.when(check.bad.fill_null(False)).then(_text(check.detail))
    marked = frame.with_columns(_reason=reason.otherwise(None), _detail=detail.otherwise(None))
    bad = marked.filter(pl.col("_reason").is_not_null())
    kept = marked.filter(pl.col("_reason").is_null()).drop("_reason", "_detail")
    return kept, rejected_frame(bad, kind, pl.col("_reason"), pl.col("_detail"), raw)


def numbered(ids: pl.Series) -> pl.Series:
    """`ids` suffixed "-2", "-3"... on later rows that share an id (file order).

    Only the (usually few) repeated ids are ranked, not the whole column.
    """
    repeats = ids.is_duplicated().arg_true()
    if repeats.is_empty():
        return ids
    name = ids.name
    n = pl.int_range(pl.len()).over(name)
    suffixed = pl.concat_str(pl.col(name), pl.lit("-"), (n + 1).cast(pl.String))
    fixed = (
        ids.gather(repeats)
        .to_frame()
        .select(pl.when(n == 0).then(pl.col(name)).otherwise(suffixed))
    )
    return ids.clone().scatter(repeats, fixed.to_series())


def dedupe(
    frame: pl.DataFrame,
    kind: str,
    keys: list[str],
    what: str,
    raw: list[str],
    within: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the first row per `keys` (file order); later ones are `duplicate_id`.

    `within` optionally marks the only rows that can be duplicates (e.g. those sharing a
    cheap hash of a few keys), which avoids hashing the long texts of every row.
    """
    if within is None:
        candidates = pl.int_range(0, frame.height, eager=True, dtype=pl.UInt32)
    else:
        candidates = within.arg_true()
    first = frame[candidates].select(pl.struct(keys).is_first_distinct()).to_series()
    repeated = candidates.filter(~first)
    if repeated.is_empty():
        return frame, rejected_frame(frame.clear(), kind, "", "", raw)
    marked = frame.with_columns(
        pl.repeat(False, frame.height, eager=True).alias("_dup").scatter(repeated, True)
    )
    detail = pl.lit(f"{what} already seen: ") + pl.concat_str(
        [pl.col(k).cast(pl.String).str.slice(0, 40) for k in keys],
        separator=" / ",
        ignore_nulls=True,
    )
    kept, rejected = split(marked, kind, [Check("duplicate_id", pl.col("_dup"), detail)], raw)
    return kept.drop("_dup"), rejected


def dedupe_reviews(
    frame: pl.DataFrame, kind: str, same: list[str], raw: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reviews whose `_key` (a hash of user, product and time) repeats are compared on
    `same`: an exact repeat is a `duplicate_id`, a different review gets a numbered id
    (users post several distinct reviews of one item on one day). Adds `review_id`."""
    # 60 bits of the hex hash as an integer: much cheaper to group than the strings, and
    # only a hint (repeats are then compared on `same`).
    shared = frame.select(
        pl.col("_key").str.slice(0, 15).str.to_integer(base=16).is_duplicated()
    ).to_series()
    if not shared.any():  # the common case: no work on the long texts at all
        return frame.with_columns(review_id=pl.col("_key")), rejected_frame(
            frame.clear(), kind, "", "", raw
        )
    kept, rejected = dedupe(frame, kind, same, "identical review", raw, within=shared)
    return kept.with_columns(review_id=numbered(kept["_key"])), rejected


def rejected_frame(
    bad: pl.DataFrame,
    kind: str,
    reason: str | pl.Expr,
    detail: str | pl.Expr,
    raw: list[str],
) -> pl.DataFrame:
    if "_raw" in bad.columns:
        raw_text = pl.col("_raw")
    elif raw:
        raw_text = pl.struct([pl.col(c) for c in raw if c in bad.columns]).struct.json_encode()
    else:
        raw_text = pl.lit(None, dtype=pl.String)
    out = bad.select(
        source=pl.lit(kind),
        file=pl.col("_file"),
        row=pl.col("_row").cast(pl.Int64),
        reason=_text(reason),
        detail=_text(detail).str.replace_all(r"\s+", " "),
        raw=raw_text.cast(pl.String).str.slice(0, RAW_CHARS),
    )
    return out.select([pl.col(c).cast(t) for c, t in REJECTED.items()])


def reader_rejections(rejected: pl.DataFrame, kind: str, file: str) -> pl.DataFrame:
    """Reader-level rejections (`row`, `reason`, `detail`, `raw`) in the canonical shape."""
    return rejected.select(
        source=pl.lit(kind, dtype=pl.String),
        file=pl.lit(file, dtype=pl.String),
        row=pl.col("row").cast(pl.Int64),
        reason=pl.col("reason").cast(pl.String),
        detail=pl.col("detail").cast(pl.String),
        raw=pl.col("raw").cast(pl.String).str.slice(0, RAW_CHARS),
    )


def _text(value: str | pl.Expr) -> pl.Expr:
    return value if isinstance(value, pl.Expr) else pl.lit(value, dtype=pl.String)


# --- typed parsing of string fields -------------------------------------------------------


def to_float(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().cast(pl.Float64, strict=False)


def to_int(expr: pl.Expr) -> pl.Expr:
    """Integers, also written with thousands separators ("1,234") or as "12.0"."""
    value = to_float(expr.str.replace_all(",", "", literal=True))
    return pl.when(value == value.round(0)).then(value).cast(pl.Int64, strict=False)


def to_bool(expr: pl.Expr) -> pl.Expr:
    lowered = expr.str.strip_chars().str.to_lowercase()
    return (
        pl.when(lowered.is_in(["true", "1", "yes", "y"]))
        .then(True)
        .when(lowered.is_in(["false", "0", "no", "n"]))
        .then(False)
        .otherwise(None)
    )


def unparsed(raw: str, parsed: pl.Expr) -> pl.Expr:
    """True where column `raw` holds a non-empty value that `parsed` could not read."""
    return (pl.col(raw).str.len_bytes() > 0).fill_null(False) & parsed.is_null()


def blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


# --- stable ids ----------------------------------------------------------------------------


def md5_sql(*columns: str) -> str:
    """DuckDB SQL for a 16-hex-digit MD5 of `columns`: identical across runs, machines and
    versions (polars' own hash is not stable across versions). Adapters put it in the
    DuckDB read, where it is computed in parallel."""
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(0))" for c in columns)
    return f"left(md5(concat_ws(chr(31), {parts})), 16)"


# --- common checks -------------------------------------------------------------------------


def missing(column: str) -> Check:
    return Check("missing_field", blank(column), f"{column} is missing or empty")


def wrong_type(column: str, parsed: pl.Expr, expected: str) -> Check:
    detail = pl.lit(f"{column} is not {expected}: ") + pl.col(column).str.slice(0, 80)
    return Check("wrong_type", unparsed(column, parsed), detail)


def price(expr: pl.Expr) -> pl.Expr:
    """A price from display text: "$12.99" -> 12.99, "$10.00 - $20.00" -> 10.0 (the lower),
    "1,299.00" and "69.71 gbp" -> the number (the currency is not kept); anything else
    (empty, "None", page markup) -> null."""
    number = r"([0-9][0-9,]*(?:\.[0-9]+)?)"
    text = expr.cast(pl.String)
    found = text.str.extract(r"\$\s*" + number, 1).fill_null(
        text.str.extract(r"^\s*[£€]?\s*" + number + r"\s*(?:[A-Za-z]{3})?\s*$", 1)
    )
    return found.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
