"""Product-disjoint split assignment (SPEC.md "OOD"; issue: OOD disjoint across *all* tasks).

1. `ood_products` picks, once per build, the products held out for test_ood: the products of
   configured `ood_categories`, or else a seeded hash holdout of products.
2. `place` puts one task's candidates: a candidate whose products are all held out is a
   test_ood candidate; one with none held out goes to train / validation / test_ind by a
   seeded hash of its `group` (so a group never straddles those splits); a candidate mixing
   both would leak and is dropped with a reason.
3. `cap` keeps each split to its quota by a seeded hash order, so the same inputs and seed give
   the same samples whatever the threads. (`assign` is both in one call.)
"""

from __future__ import annotations

import polars as pl

from ecinstruct.records import BASE_SPLITS

HASH_MAX = float(2**64)


def unit_hash(expr: pl.Expr, seed: int, salt: int) -> pl.Expr:
    """A deterministic pseudo-uniform number in [0, 1) from `expr` (strings)."""
    return expr.hash(seed=seed * 7919 + salt).cast(pl.Float64) / HASH_MAX


def ood_products(
    universe: pl.DataFrame,
    ood_categories: dict[str, tuple[str, ...]],
    fraction: float,
    seed: int,
) -> pl.DataFrame:
    """The held-out products, one column `product_id`.

    `universe` has product_id, source, category: every product that an OOD-capable task can
    show. A product that any source with configured `ood_categories` knows is decided by
    category alone (held out when one of those rows has a held-out category), so an ASIN shared
    with another source follows the configured split; a product only other sources know is
    held out when its seeded hash falls under `fraction`.
    """
    if universe.is_empty():
        return pl.DataFrame(schema={"product_id": pl.String})
    configured = pl.DataFrame(
        {
            "source": list(ood_categories),
            "ood_cats": [list(v) for v in ood_categories.values()],
        },
        schema={"source": pl.String, "ood_cats": pl.List(pl.String)},
    )
    per_product = (
        universe.join(configured, on="source", how="left")
        .with_columns(
            pl.col("category").is_in(pl.col("ood_cats")).fill_null(False).alias("cat_held"),
        )
        .group_by("product_id")
        .agg(
            pl.col("ood_cats").is_not_null().any().alias("by_category"),
            (pl.col("cat_held") & pl.col("ood_cats").is_not_null()).any().alias("cat_held"),
        )
    )
    held = (
        pl.when(pl.col("by_category"))
        .then(pl.col("cat_held"))
        .otherwise(unit_hash(pl.col("product_id"), seed, 1) < fraction)
    )
    return per_product.filter(held).select("product_id").sort("product_id")


def unmatched_categories(
    universe: pl.DataFrame, ood_categories: dict[str, tuple[str, ...]]
) -> dict[str, dict]:
    """source -> {"categories": how many categories its products in `universe` have,
    "unmatched": {each configured OOD category that none of them has: up to three of the
    source's categories with the closest names}}, for the sources with such a category. A
    misspelt category holds nothing out; the build says so (see `summary`) instead of quietly
    keeping test_ood short."""
    out: dict[str, dict] = {}
    for source, wanted in sorted(ood_categories.items()):
        present = set(universe.filter(pl.col("source") == source)["category"].drop_nulls().unique())
        names = sorted(present)
        missing = {c: _near(c, names) for c in wanted if c not in present}
        if missing:
            out[source] = {"categories": len(names), "unmatched": missing}
    return out


def _near(name: str, names: list[str]) -> list[str]:
    """Up to three of `names` that contain `name` or are contained in it (any case), else the
    closest spellings."""
    import difflib

    low = name.casefold()
    within = [n for n in names if low in n.casefold() or n.casefold() in low]
    return within[:3] or difflib.get_close_matches(name, names, n=3, cutoff=0.6)


def side(ood: pl.DataFrame) -> pl.Expr:
    """'ood' when all of a candidate's products are held out, 'ind' when none are (or it shows
    no product), else 'mixed'."""
    held = (
        pl.col("product_ids").list.eval(pl.element().is_in(ood["product_id"].implode())).list.sum()
    )
    n = pl.col("product_ids").list.len()
    return (
        pl.when((n == 0) | (held == 0))
        .then(pl.lit("ind"))
        .when(held == n)
        .then(pl.lit("ood"))
        .otherwise(pl.lit("mixed"))
    )


def place(
    cands: pl.DataFrame,
    ood: pl.DataFrame,
    sizes: tuple[int, int, int, int],
    has_ood: bool,
    seed: int,
) -> pl.DataFrame:
    """Add `split` to every candidate, and a drop_reason to those that would leak."""
    n_train, n_val, n_test, _ = sizes
    df = cands.with_columns(side(ood).alias("_side"))
    ind_total = n_train + n_val + n_test
    # Groups are spread over the IND splits in proportion to their quotas.
    u = unit_hash(pl.col("group"), seed, 2)
    cut_train = n_train / ind_total if ind_total else 1.0
    cut_val = (n_train + n_val) / ind_total if ind_total else 1.0
    ind_split = (
        pl.when(u < cut_train)
        .then(pl.lit("train"))
        .when(u < cut_val)
        .then(pl.lit("validation"))
        .otherwise(pl.lit("test_ind"))
    )
    return df.with_columns(
        # A builder's own reason comes first: it is why the row was unusable to begin with.
        pl.when(pl.col("drop_reason").is_not_null())
        .then(pl.col("drop_reason"))
        .when(pl.col("_side") == "mixed")
        .then(pl.lit("straddles_ood"))
        .when((pl.col("_side") == "ood") & pl.lit(not has_ood))
        .then(pl.lit("ood_product_in_task_without_ood"))
        .otherwise(pl.col("drop_reason"))
        .alias("drop_reason"),
        pl.when(pl.col("_side") == "ood")
        .then(pl.lit("test_ood"))
        .otherwise(ind_split)
        .alias("split"),
    ).drop("_side")


def quotas(sizes: tuple[int, int, int, int]) -> dict[str, int]:
    """Samples per base split, from a task's (train, validation, test_ind, test_ood) sizes."""
    return dict(zip(BASE_SPLITS, sizes, strict=True))


def quota_order(seed: int) -> pl.Expr:
    """The order in which usable rows fill a split's quota: a seeded hash of the content."""
    return unit_hash(pl.col("input") + pl.lit("\x1f") + pl.col("output"), seed, 3)


def past_limits(placed: pl.DataFrame, limits: dict[str, int], seed: int) -> pl.Series:
    """Row positions of the usable rows that come after their split's limit in quota order.
    Only usable rows of the splits in `limits` are ranked (a builder may keep millions of
    dropped rows)."""
    limit = pl.col("split").replace_strict(limits, return_dtype=pl.Int64)
    return (
        placed.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"),
            "split",
            "input",
            "output",
            "drop_reason",
        )
        .filter(pl.col("drop_reason").is_null() & pl.col("split").is_in(list(limits)))
        .filter(quota_order(seed).rank("ordinal").over("split") > limit)
        .get_column("_i")
    )


def cap(
    placed: pl.DataFrame,
    sizes: tuple[int, int, int, int],
    seed: int,
    only: tuple[str, ...] = ("train", "validation", "test_ind", "test_ood"),
) -> pl.DataFrame:
    """Cap the `only` splits at their quotas by a seeded hash of the sample content.

    Rows over a quota get drop_reason `over_quota` — not an error, but counted so the report
    can say how much more data the sources held. Only usable rows are ranked (a builder may
    keep millions of dropped ones); row order is kept.
    """
    over = past_limits(placed, {s: n for s, n in quotas(sizes).items() if s in only}, seed)
    if over.is_empty():
        return placed
    return placed.with_columns(placed["drop_reason"].scatter(over, "over_quota"))


def assign(
    cands: pl.DataFrame,
    ood: pl.DataFrame,
    sizes: tuple[int, int, int, int],
    has_ood: bool,
    seed: int,
) -> pl.DataFrame:
    """`place` then `cap` every split: all rows back, usable ones with their split."""
    return cap(place(cands, ood, sizes, has_ood, seed), sizes, seed)
