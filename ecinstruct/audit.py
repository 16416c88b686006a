"""The leakage audit written with every build (and re-run by `validate`).

Fails the build when any product of any test_ood sample appears in any train or validation
sample of any task — the promise that makes OOD numbers mean something.
"""

from __future__ import annotations

import polars as pl

TRAINING_SPLITS = ("train", "validation")


def _products(records: pl.DataFrame) -> pl.DataFrame:
    return (
        records.select("task", "split", pl.col("product_ids").alias("product_id"))
        .explode("product_id")
        .drop_nulls("product_id")
        .unique()
    )


def audit(records: pl.DataFrame) -> dict:
    """Overlap statistics for all published records (every task, every split)."""
    prods = _products(records)
    base = prods.filter(~pl.col("split").str.ends_with("_unseen_instruction"))
    trained = base.filter(pl.col("split").is_in(TRAINING_SPLITS)).select("product_id").unique()
    ood = base.filter(pl.col("split") == "test_ood")
    leaked = ood.join(trained, on="product_id", how="semi")
    per_task: dict[str, dict] = {}
    for (task,), df in base.group_by("task", maintain_order=True):
        sets = {s: set(g["product_id"]) for (s,), g in df.group_by("split")}
        pairs = {}
        names = sorted(sets)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pairs[f"{a}|{b}"] = len(sets[a] & sets[b])
        per_task[task] = {"products": {s: len(v) for s, v in sets.items()}, "overlap": pairs}
    dup = (
        records.filter(~pl.col("split").str.ends_with("_unseen_instruction"))
        .group_by("task", "input")
        .agg(pl.col("split").n_unique().alias("n"))
        .filter(pl.col("n") > 1)
        .group_by("task")
        .len()
    )
    return {
        "ood_leak": {
            "passed": leaked.is_empty(),
            "leaked_products": leaked.height,
            "examples": leaked.head(5).rows(named=True),
        },
        "per_task": per_task,
        "duplicate_inputs_across_splits": dict(dup.iter_rows()),
    }
