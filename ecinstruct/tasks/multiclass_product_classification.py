"""MPC: classify a query-product pair as exact, substitute, complement or irrelevant (ESCI, US).

This module also owns `esci_pairs`, the judgment-level view the three ESCI tasks (MPC, PSI,
QPR) share, so the three agree on which judgments are usable and why the others are not.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task, TaskContext, candidates

LABELS: dict[str, str] = {"E": "exact", "S": "substitute", "C": "complement", "I": "irrelevant"}
OPTIONS: tuple[str, ...] = tuple(LABELS.values())

# Adapters should write E/S/C/I; the spelled-out names are accepted so a differently
# normalised source is not silently lost.
_LABEL_ALIASES = {**{k: k for k in LABELS}, **{v.upper(): k for k, v in LABELS.items()}}


def product_texts(products: pl.DataFrame, prefer_sources: pl.Series) -> pl.DataFrame:
    """One row per product id: title and category, from the judging source when it has them.

    A product can appear in several sources (ASINs are shared); the title shown should be the
    judged catalogue's own, and the choice must not depend on the order adapters ran in.
    """
    return (
        products.select(
            "product_id",
            "source",
            common.nonempty(pl.col("title")).alias("title"),
            common.nonempty(pl.col("category")).alias("category"),
        )
        .filter(pl.col("product_id").is_not_null())
        .sort(
            "product_id",
            ~pl.col("source").is_in(prefer_sources.implode()),
            "source",
            "title",
            "category",
            nulls_last=True,
        )
        .group_by("product_id", maintain_order=True)
        .agg(pl.col("title").drop_nulls().first(), pl.col("category").drop_nulls().first())
    )


@common.shared("judgments", "products")
def esci_pairs(canonical: Canonical) -> pl.DataFrame:
    """One row per judgment (canonical order, `_row`): query, label (E/S/C/I), title and
    drop_reason."""
    judgments = canonical["judgments"]
    texts = product_texts(canonical["products"], judgments["source"].unique())
    pairs = (
        judgments.with_row_index("_row")
        .with_columns(
            common.nonempty(pl.col("query")).alias("query"),
            pl.col("label")
            .str.strip_chars()
            .str.to_uppercase()
            .replace_strict(_LABEL_ALIASES, default=None, return_dtype=pl.String)
            .alias("label"),
            pl.col("locale").str.strip_chars().str.to_lowercase().alias("locale"),
            pl.col("small_version").fill_null(False),
        )
        .join(texts, on="product_id", how="left", maintain_order="left")
    )
    reason = common.first_reason(
        (pl.col("locale").is_null(), "missing_locale"),
        (pl.col("locale") != "us", "non_us_locale"),
        (pl.col("query_id").is_null() | pl.col("query").is_null(), "missing_query"),
        (pl.col("product_id").is_null(), "missing_product_id"),
        (pl.col("label").is_null(), "unknown_label"),
        (pl.col("title").is_null(), "missing_title"),
    )
    pairs = pairs.with_columns(reason.alias("drop_reason"))
    # A pair judged twice (also under two query ids with the same text) would be two identical
    # inputs, possibly with two labels; the first usable judgment wins. Rows already dropped
    # are keyed apart so they never shadow it.
    first = pl.struct(
        pl.col("query").str.to_lowercase(), "product_id", pl.col("drop_reason").is_null()
    ).is_first_distinct()
    return pairs.with_columns(
        pl.when(pl.col("drop_reason").is_null() & ~first)
        .then(pl.lit("duplicate_pair"))
        .otherwise(pl.col("drop_reason"))
        .alias("drop_reason")
    )


def pair_input() -> pl.Expr:
    """The input object ECInstruct uses for ESCI pair tasks: query and product title."""
    return common.json_object(
        {
            "query": common.json_value(pl.col("query")),
            "product title": common.json_value(pl.col("title")),
        }
    )


def esci_candidates(canonical: Canonical, ctx: TaskContext, salt: str) -> pl.DataFrame:
    """The judgments of a pair task (MPC, PSI), capped to `ctx.caps` usable ones
    before their inputs are written, in canonical order."""
    pairs = common.subsample(
        esci_pairs(canonical),
        ctx.caps,
        key=["query_id", "product_id"],
        seed=ctx.seed,
        salt=salt,
        ood=ctx.is_ood(pl.col("product_id")),
        mixed=pl.lit(False),
    )
    return pairs.sort("_row").with_columns(
        input=pair_input(),
        product_ids=pl.concat_list("product_id"),
        group=pl.col("query_id"),
    )


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    pairs = esci_candidates(canonical, ctx, salt="multiclass_product_classification")
    return candidates(
        pairs.with_columns(
            options=pl.lit(list(OPTIONS), dtype=pl.List(pl.String)),
            output=pl.col("label").replace_strict(LABELS, default=None, return_dtype=pl.String),
        )
    )


TASK = Task(
    name="multiclass_product_classification",
    short="MPC",
    version="1",
    description="Classify how a product relates to a shopping query: exact, substitute, "
    "complement or irrelevant (ESCI, US locale).",
    tables=("judgments",),
    input_desc='JSON object {"query", "product title"}',
    output_desc="one of exact / substitute / complement / irrelevant",
    metric="accuracy",
    output_format="option",
    split_key="query_id: every judgment of one query lands in the same split",
    build=build,
    options=OPTIONS,
    n_options=len(OPTIONS),
    has_ood=False,
    sizes=(10_000, 1_000, 1_000, 0),
)
