"""What a task is: a small declarative record plus one `build` function (STYLE.md rule 1).

A builder is a pure function of the canonical tables and a `TaskContext`. It returns one
*candidate* frame (CANDIDATE_SCHEMA). Candidates it cannot use are kept, with a non-null
`drop_reason`, so the report can count them; the pipeline assigns splits, caps sizes,
renders instructions and writes records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from ecinstruct.canonical import Canonical

CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    # Plain text, or the text of a JSON object for structured inputs.
    "input": pl.String,
    # Option texts (the gold output is one of them), or null for free-form outputs.
    "options": pl.List(pl.String),
    "output": pl.String,
    # Every product the sample shows; the split module keeps OOD products disjoint with these.
    "product_ids": pl.List(pl.String),
    "category": pl.String,
    "source": pl.String,
    # The split unit: all candidates with the same group land in the same split.
    "group": pl.String,
    # QPR only: ESCI label per lettered product, letter order (see records.RECORD_SCHEMA).
    "gold_labels": pl.List(pl.String),
    # Null when the candidate is usable; otherwise a short snake_case reason.
    "drop_reason": pl.String,
}


@dataclass(frozen=True)
class TaskContext:
    seed: int
    # One column `product_id`: the products held out for test_ood across *all* tasks.
    ood_products: pl.DataFrame
    # Upper bounds on useful candidates (a side's split quotas, with headroom) for candidates
    # with no held-out product and for those wholly in held-out products (test_ood); builders
    # may subsample deterministically before expensive steps (common.subsample), never below
    # these. The OOD bound defaults to the other one.
    max_candidates: int | None = None
    max_ood_candidates: int | None = None

    @property
    def caps(self) -> tuple[int, int] | None:
        """(non-OOD, OOD) bounds for common.subsample; None when there are none."""
        if self.max_candidates is None:
            return None
        ood = self.max_candidates if self.max_ood_candidates is None else self.max_ood_candidates
        return self.max_candidates, ood

    def is_ood(self, product_id: pl.Expr) -> pl.Expr:
        return product_id.is_in(self.ood_products["product_id"].implode())


@dataclass(frozen=True)
class Task:
    name: str
    short: str
    version: str
    description: str  # one line for the dataset card
    tables: tuple[str, ...]  # canonical tables read; the task is skipped when all are empty
    input_desc: str
    output_desc: str
    metric: str  # headline metric name (benchmark.metrics)
    output_format: str  # "option" | "ranking" | "triples" | "text"
    split_key: str  # what `group` is, for the card
    build: Callable[[Canonical, TaskContext], pl.DataFrame]
    options: tuple[str, ...] | None = None  # fixed option set, when the task has one
    n_options: int | None = None
    has_ood: bool = True
    sizes: tuple[int, int, int, int] = (10_000, 1_000, 1_000, 1_000)  # train/val/test_ind/test_ood
    unseen_instruction: int = 5  # which of templates/<task>/instruction_{0..5}.jinja is unseen
    max_new_tokens: int = 16
    extra: dict = field(default_factory=dict)


def candidates(df: pl.DataFrame) -> pl.DataFrame:
    """Select and cast a builder's frame to CANDIDATE_SCHEMA (missing drop_reason -> null)."""
    cols = []
    for name, dtype in CANDIDATE_SCHEMA.items():
        expr = pl.col(name) if name in df.columns else pl.lit(None)
        cols.append(expr.cast(dtype).alias(name))
    return df.select(cols)
