"""PSI: is the product a substitute for what the query asks for? (ESCI, US; yes iff label S).

Labels keep their natural distribution (roughly one ESCI judgment in five is a substitute)
rather than being rebalanced: the headline metric is F1 of "yes", which stays meaningful under
the skew, and the test splits then reflect the real task. eCeLLM's PSI data is skewed too.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks.base import Task, TaskContext, candidates
from ecinstruct.tasks.multiclass_product_classification import esci_candidates

OPTIONS: tuple[str, ...] = ("yes", "no")


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    pairs = esci_candidates(canonical, ctx, salt="product_substitute_identification")
    return candidates(
        pairs.with_columns(
            options=pl.lit(list(OPTIONS), dtype=pl.List(pl.String)),
            output=pl.when(pl.col("label").is_null())
            .then(None)
            .when(pl.col("label") == "S")
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no")),
        )
    )


TASK = Task(
    name="product_substitute_identification",
    short="PSI",
    version="1",
    description="Decide whether a product is a substitute for what a shopping query asks for "
    "(ESCI, US locale; natural label distribution).",
    tables=("judgments",),
    input_desc='JSON object {"query", "product title"}',
    output_desc="yes if the ESCI label is Substitute, else no",
    metric="f1_yes",
    output_format="option",
    split_key="query_id: every judgment of one query lands in the same split",
    build=build,
    options=OPTIONS,
    n_options=len(OPTIONS),
    has_ood=False,
    sizes=(10_000, 1_000, 1_000, 0),
    extra={"label_balance": "natural (roughly 1 yes in 5 on ESCI)"},
)
