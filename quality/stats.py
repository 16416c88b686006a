"""The numbers the quality report shows, as frames computed from published records and the
build manifest: samples per split, class balance, lengths, drop reasons, PII counts."""

from __future__ import annotations

import polars as pl

from ecinstruct.records import BASE_SPLITS, SPLITS
from quality.text import n_words

OPTION_POSITION = "option position"


def split_counts(records: pl.DataFrame) -> pl.DataFrame:
    """task x split sample counts (all six splits), zero where a task lacks a split."""
    counts = records.group_by("task", "split").len()
    wide = counts.pivot(on="split", index="task", values="len").fill_null(0)
    cols = [s for s in SPLITS if s in wide.columns]
    return wide.select("task", *cols).sort("task")


def class_balance(records: pl.DataFrame) -> pl.DataFrame:
    """Per task, base split and label: count and share within the split.

    The label is the output for tasks with a fixed option set; for tasks whose options vary per
    sample (sequential recommendation) it is the position of the correct option, which shows a
    position bias if the shuffle had one. Tasks without options have no classes.
    """
    df = records.filter(pl.col("split").is_in(BASE_SPLITS) & pl.col("options").is_not_null())
    if df.is_empty():
        return pl.DataFrame(
            schema={"task": pl.String, "split": pl.String, "label": pl.String,
                    "n": pl.UInt32, "share": pl.Float64}
        )  # fmt: skip
    # A task whose options are the same in every sample has a fixed option set.
    fixed = df.group_by("task").agg((pl.col("options").n_unique() == 1).alias("fixed"))
    df = df.join(fixed, on="task").with_row_index("_r")
    position = (
        df.select("_r", "options", "output")
        .explode("options")
        .with_columns(pl.int_range(1, pl.len() + 1).over("_r").alias("_k"))
        .filter(pl.col("options") == pl.col("output"))
        .group_by("_r")
        .agg(pl.col("_k").first())
    )
    df = df.join(position, on="_r", how="left").with_columns(
        pl.when(pl.col("fixed"))
        .then(pl.col("output"))
        .otherwise(
            pl.lit(f"{OPTION_POSITION} ") + pl.col("_k").cast(pl.String).str.zfill(2).fill_null("?")
        )
        .alias("label")
    )
    # Labels keep their option order (very positive ... very negative), not the alphabet's.
    out = df.group_by("task", "split", "label").agg(pl.len().alias("n"), pl.col("_k").min())
    split_order = pl.col("split").replace_strict(list(SPLITS), list(range(len(SPLITS))))
    return (
        out.with_columns((pl.col("n") / pl.col("n").sum().over("task", "split")).alias("share"))
        .with_columns(pl.col("_k").min().over("task", "label").alias("_k"))
        .sort("task", "_k", "label", split_order)
        .drop("_k")
    )


def lengths(records: pl.DataFrame) -> pl.DataFrame:
    """Words per input and output, one row per base-split record."""
    return records.filter(pl.col("split").is_in(BASE_SPLITS)).select(
        "task",
        "split",
        n_words(pl.col("input")).alias("input_words"),
        n_words(pl.col("output")).alias("output_words"),
    )


def length_summary(lens: pl.DataFrame) -> pl.DataFrame:
    aggs = []
    for col in ("input_words", "output_words"):
        name = col.split("_")[0]
        aggs += [
            pl.col(col).median().alias(f"{name} median"),
            pl.col(col).quantile(0.95, "nearest").alias(f"{name} p95"),
            pl.col(col).max().alias(f"{name} max"),
        ]
    return lens.group_by("task").agg(aggs).sort("task")


def drop_reasons(manifest: dict) -> pl.DataFrame:
    """task, reason, rows: candidates dropped, from the build's per-task counts plus the
    decontamination counts the quality stage recorded (when the build kept them apart)."""
    rows = []
    for task, res in manifest.get("tasks", {}).items():
        for reason, n in (res.get("dropped") or {}).items():
            rows.append((task, reason, int(n)))
    seen = {(t, r) for t, r, _ in rows}
    for task, res in (manifest.get("quality", {}).get("decontamination") or {}).items():
        for reason, n in (res.get("dropped") or {}).items():
            if n and (task, reason) not in seen:
                rows.append((task, reason, int(n)))
    return pl.DataFrame(
        rows, schema={"task": pl.String, "reason": pl.String, "rows": pl.Int64}, orient="row"
    ).sort("task", "reason")


def drop_summary(drops: pl.DataFrame) -> pl.DataFrame:
    """One row per task: quality drops, over-quota rows, and the reasons, largest first."""
    quality = drops.filter(pl.col("reason") != "over_quota").sort("rows", descending=True)
    return (
        drops.group_by("task")
        .agg(
            pl.col("rows").filter(pl.col("reason") != "over_quota").sum().alias("dropped"),
            pl.col("rows").filter(pl.col("reason") == "over_quota").sum().alias("over_quota"),
        )
        .join(
            quality.group_by("task", maintain_order=True).agg(
                (pl.col("reason") + " " + pl.col("rows").cast(pl.String))
                .str.join(" · ")
                .alias("reasons")
            ),
            on="task",
            how="left",
        )
        .sort("task")
    )


def pii_counts(manifest: dict) -> pl.DataFrame:
    """task x kind of PII replaced, as recorded by the candidate checks."""
    rows = [
        (task, kind, int(n))
        for task, res in (manifest.get("quality", {}).get("candidates") or {}).items()
        for kind, n in (res.get("pii") or {}).items()
    ]
    return pl.DataFrame(
        rows, schema={"task": pl.String, "kind": pl.String, "replaced": pl.Int64}, orient="row"
    ).sort("task", "kind")
