"""The leakage audit written with every build (and re-run by `validate`).

Fails the build when any product of any test_ood sample appears in any train or validation
sample of any task — the promise that makes OOD numbers mean something.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.records import SPLITS

TRAINING_SPLITS = ("train", "validation")


def _products(records: pl.DataFrame) -> pl.DataFrame:
    return (
        records.select("task", "split", pl.col("product_ids").alias("product_id"))
        .explode("product_id")
        .drop_nulls("product_id")
        .unique()
    )


def audit(records: pl.DataFrame) -> dict:
    """Overlap statistics for all published records (every task, every split), in a set
    order: tasks as the records have them, splits as SPLITS lists them, leaked products by
    task and id."""
    prods = _products(records)
    base = prods.filter(~pl.col("split").str.ends_with("_unseen_instruction"))
    trained = base.filter(pl.col("split").is_in(TRAINING_SPLITS)).select("product_id").unique()
    leaked = (
        base.filter(pl.col("split") == "test_ood")
        .join(trained, on="product_id", how="semi")
        .sort("task", "product_id")
    )
    # Products per task and split, and how many of them each two splits of a task share.
    sizes: dict[str, dict[str, int]] = {}
    for task, split, n in base.group_by("task", "split").len().iter_rows():
        sizes.setdefault(task, {})[split] = n
    shared = {
        (task, a, b): n
        for task, a, b, n in base.join(base, on=["task", "product_id"], suffix="_b")
        .filter(pl.col("split") < pl.col("split_b"))
        .group_by("task", "split", "split_b")
        .len()
        .iter_rows()
    }
    rank = {split: i for i, split in enumerate(SPLITS)}
    per_task: dict[str, dict] = {}
    for task in records["task"].unique(maintain_order=True):
        if task not in sizes:
            continue
        names = sorted(sizes[task])
        per_task[task] = {
            "products": {
                s: sizes[task][s] for s in sorted(names, key=lambda s: (rank.get(s, len(rank)), s))
            },
            "overlap": {
                f"{a}|{b}": shared.get((task, a, b), 0)
                for i, a in enumerate(names)
                for b in names[i + 1 :]
            },
        }
    dup = (
        records.filter(~pl.col("split").str.ends_with("_unseen_instruction"))
        .group_by("task", "input")
        .agg(pl.col("split").n_unique().alias("n"))
        .filter(pl.col("n") > 1)
        .group_by("task")
        .len()
        .sort("task")
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
