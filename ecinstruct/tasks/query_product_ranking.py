"""QPR: rank 2-4 lettered products for a query, best first (ESCI small version, US).

Per query we show one product per distinct ESCI label, so the gold ranking E > S > C > I is
total (no ties to break arbitrarily). Which product stands for a label, and the order the
products are lettered in, come from seeded hashes of (query_id, product_id): deterministic,
and independent of the order the judgments arrived in.

A sample only uses products from one side of the OOD hold-out: if the in-distribution products
of a query cover at least two labels they are used, else the held-out ones. Mixing would make
the whole sample unusable for every split.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task, TaskContext, candidates
from ecinstruct.tasks.multiclass_product_classification import esci_pairs

RANK = {"E": 0, "S": 1, "C": 2, "I": 3}
LETTERS = "ABCD"


def _seeded(salt: str, seed: int) -> pl.Expr:
    return common.hash_key("query_id", "product_id", seed=seed, salt=f"qpr:{salt}")


def _queries(pairs: pl.DataFrame) -> pl.DataFrame:
    """Every query once, in first-seen order, with what decides whether it can be used."""
    small = pl.col("small_version")
    ok = small & pl.col("drop_reason").is_null()
    return pairs.group_by("query_id", maintain_order=True).agg(
        pl.col("_row").first(),
        pl.col("source").first(),
        small.any().alias("_any_small"),
        ok.any().alias("_any_usable"),
        pl.col("label").filter(ok).n_unique().alias("_n_labels"),
        # The commonest reason among its small-version judgments (ties: alphabetical).
        pl.col("drop_reason")
        .filter(small & pl.col("drop_reason").is_not_null())
        .mode()
        .sort()
        .first()
        .alias("_pair_reason"),
    )


def _pick(usable: pl.DataFrame, ctx: TaskContext) -> pl.DataFrame:
    """One product per (query, label) on the chosen OOD side, lettered in a seeded order."""
    usable = usable.with_columns(ctx.is_ood(pl.col("product_id")).alias("_held_out"))
    sides = (
        usable.group_by("query_id", "_held_out")
        .agg(pl.col("label").n_unique().alias("_n_side"))
        .filter(pl.col("_n_side") >= 2)
        .sort("query_id", "_held_out")  # False (in-distribution) first
        .unique("query_id", keep="first")
        .select("query_id", "_held_out")
    )
    return (
        usable.join(sides, on=["query_id", "_held_out"], how="semi")
        .with_columns(_seeded("pick", ctx.seed).alias("_pick"))
        .sort("query_id", "label", "_pick", "product_id")
        .unique(["query_id", "label"], keep="first", maintain_order=True)
        .with_columns(_seeded("order", ctx.seed).alias("_order"))
        .sort("query_id", "_order", "product_id")
        .with_columns(
            pl.int_range(pl.len()).over("query_id").alias("_i"),
            pl.col("label").replace_strict(RANK, return_dtype=pl.Int8).alias("_rank"),
        )
        .with_columns(pl.lit(LETTERS).str.slice(pl.col("_i"), 1).alias("letter"))
    )


def _samples(picked: pl.DataFrame) -> pl.DataFrame:
    """Per query: input JSON, gold ranking, products and labels in letter order."""
    entry = common.json_value(pl.col("letter")) + pl.lit(": ") + common.json_value(pl.col("title"))
    return (
        picked.with_columns(entry.alias("_entry"))
        .group_by("query_id")
        .agg(
            pl.col("query").first(),
            pl.col("_entry").sort_by("_i").str.join(", ").alias("_products"),
            pl.col("product_id").sort_by("_i").alias("product_ids"),
            pl.col("label").sort_by("_i").alias("gold_labels"),
            pl.col("letter").sort_by("_rank").str.join(",").alias("output"),
            pl.col("category").sort_by("_rank").first(),
        )
        .with_columns(
            common.json_object(
                {
                    "query": common.json_value(pl.col("query")),
                    "products": pl.lit("{") + pl.col("_products") + pl.lit("}"),
                }
            ).alias("input")
        )
    )


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    pairs = esci_pairs(canonical)
    picked = _pick(pairs.filter(pl.col("small_version") & pl.col("drop_reason").is_null()), ctx)
    sides = picked.group_by("query_id").agg(pl.col("_held_out").first())
    queries = (
        _queries(pairs)
        .join(sides, on="query_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(~pl.col("_any_small"))
            .then(pl.lit("not_small_version"))
            .when(~pl.col("_any_usable"))
            .then(pl.col("_pair_reason"))
            .when(pl.col("_n_labels") < 2)
            .then(pl.lit("too_few_distinct_labels"))
            .when(pl.col("_held_out").is_null())
            .then(pl.lit("mixed_ood_products"))
            .alias("drop_reason"),
        )
    )
    queries = common.subsample(
        queries,
        ctx.caps,
        key=["query_id"],
        seed=ctx.seed,
        salt="query_product_ranking",
        ood=pl.col("_held_out"),
        mixed=pl.lit(False),
    ).sort("_row")
    kept = picked.join(queries.filter(pl.col("drop_reason").is_null()), on="query_id", how="semi")
    out = queries.join(_samples(kept), on="query_id", how="left", maintain_order="left")
    return candidates(
        out.with_columns(
            # A dropped query shows no products: listing all it judged would make it look
            # like a sample straddling the OOD hold-out.
            pl.col("product_ids").fill_null([]),
            pl.col("query_id").alias("group"),
        )
    )


TASK = Task(
    name="query_product_ranking",
    short="QPR",
    version="1",
    description="Rank 2-4 products for a shopping query from most to least relevant "
    "(ESCI small version, US locale; one product per distinct label).",
    tables=("judgments",),
    input_desc='JSON object {"query", "products": {"A": title, "B": title, ...}}',
    output_desc='letters best first, comma-separated, e.g. "B,A,C" (E > S > C > I)',
    metric="ndcg",
    output_format="ranking",
    split_key="query_id: one sample per query",
    build=build,
    has_ood=False,
    sizes=(10_000, 1_000, 1_000, 0),
    max_new_tokens=24,
)
