"""Checks on one task's candidates: each a named, versioned function that drops with a reason.

`check_candidates` runs every check in `CHECKS` before split assignment; `decontaminate` runs
after it. A check only ever sets `drop_reason` where it is null, so the first reason a row got
is the one the report counts, and it never brings a dropped row back. Usable rows are the ones
with a null `drop_reason`; dropped rows are still scrubbed of PII because they are published
(with their reason) too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial

import numpy as np
import polars as pl

from ecinstruct.tasks.base import Task
from quality import dedup, language, pii
from quality.text import n_words, tokens

Check = Callable[[Task, pl.DataFrame], tuple[pl.DataFrame, dict]]

# Minimum words in the input, per task (SPEC: SA reviews of at least 10 words). A task can set
# its own with Task.extra["min_input_words"].
MIN_INPUT_WORDS = {"sentiment_analysis": 10}
TRAIN = "train"
HELD_OUT = ("validation", "test_ind", "test_ood")
USABLE = pl.col("drop_reason").is_null()


def _drop(df: pl.DataFrame, mask: pl.Series | pl.Expr, reason: str) -> tuple[pl.DataFrame, int]:
    """Set `reason` on usable rows where `mask` holds; returns the frame and how many."""
    if isinstance(mask, pl.Series):
        mask = pl.lit(mask)
    hit = USABLE & mask.fill_null(False)
    n = df.select(hit.sum()).item()
    if n:
        df = df.with_columns(
            pl.when(hit).then(pl.lit(reason)).otherwise(pl.col("drop_reason")).alias("drop_reason")
        )
    return df, int(n)


def _on_usable(df: pl.DataFrame, flags: np.ndarray) -> pl.Series:
    """Spread a boolean array over the usable rows back to a full-length mask."""
    mask = np.zeros(df.height, bool)
    mask[df.select(USABLE.arg_true())[:, 0].to_numpy()] = flags
    return pl.Series(mask)


def scrub_pii(
    task: Task, df: pl.DataFrame, names: Iterable[str | None] | pii.KnownNames = ()
) -> tuple:
    """Replace e-mails, phones, URLs and names in free text (see quality.pii). Never drops.

    Outputs are scrubbed only for tasks without options: an option text is a label, and must
    stay equal to one of the options.
    """
    columns = {"input": pl.lit(True), "output": pl.col("options").is_null()}
    df, counts, fields = pii.scrub_frame(df, columns, names)
    return df, {"replaced": counts, "fields_changed": fields}


def non_empty(task: Task, df: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Input and output must hold some text."""
    blank = lambda c: pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")  # noqa: E731
    df, n_in = _drop(df, blank("input"), "empty_input")
    df, n_out = _drop(df, blank("output"), "empty_output")
    return df, {"dropped": {"empty_input": n_in, "empty_output": n_out}}


def min_words(task: Task, df: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Inputs shorter than the task's minimum word count (SA: 10) carry too little to learn."""
    minimum = task.extra.get("min_input_words", MIN_INPUT_WORDS.get(task.name))
    if not minimum:
        return df, {"dropped": {}}
    df, n = _drop(df, n_words(pl.col("input")) < minimum, "too_few_words")
    return df, {"dropped": {"too_few_words": n}, "min_words": minimum}


def english_only(task: Task, df: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Drop clearly non-English inputs (and free-text answers); see quality.language."""
    rows = df["drop_reason"].is_null()
    # Only the columns it reads: a filter copies every column it keeps.
    usable = df.select("input", "output").filter(rows)
    text = usable["input"].fill_null("")
    words = _input_words(df).filter(rows)
    if task.output_format == "text":
        text, words = text + "\n" + usable["output"].fill_null(""), None
    flags, stats = language.non_english(text, words)
    df, n = _drop(df, _on_usable(df, flags.to_numpy()), "non_english")
    return df, {"dropped": {"non_english": n}, **stats}


# The words of each usable row's input (quality.text.tokens), computed once by
# `check_candidates` for the checks that all split the same inputs into words.
WORDS = "_input_words"


def _input_words(df: pl.DataFrame) -> pl.Series:
    """The words of each row's input: the shared column where `check_candidates` made it."""
    if WORDS in df.columns:
        return df[WORDS]
    return df.select(tokens(pl.col("input")))["input"]


def _keep_order(df: pl.DataFrame) -> np.ndarray:
    """Usable row positions in the order that decides which duplicate is kept: by content,
    so the choice does not depend on the order the builder produced rows in."""
    return (
        df.select("input", "output", "group", "drop_reason")
        .with_row_index("_pos")
        .filter(USABLE)
        .sort("input", "output", "group", "_pos", nulls_last=True)["_pos"]
        .to_numpy()
    )


def exact_duplicates(task: Task, df: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Inputs equal after normalisation (case, punctuation, spacing): the first is kept."""
    order = _keep_order(df)
    # The normalised input: its words joined by single spaces.
    key = _input_words(df).gather(order).list.join(" ")
    dup = ~key.is_first_distinct().to_numpy()
    mask = np.zeros(df.height, bool)
    mask[order[dup]] = True
    df, n = _drop(df, pl.Series(mask), "exact_duplicate")
    return df, {"dropped": {"exact_duplicate": n}}


def near_duplicates(task: Task, df: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Inputs whose word 3-gram Jaccard similarity is >= 0.9 (field by field for JSON inputs;
    MinHash finds the candidates, exact sets confirm them): the first in content order is kept."""
    order = _keep_order(df)
    drop, stats = dedup.near_duplicates(
        df["input"].gather(order).fill_null(""), words=_input_words(df).gather(order)
    )
    mask = np.zeros(df.height, bool)
    mask[order[drop]] = True
    df, n = _drop(df, pl.Series(mask), "near_duplicate")
    return df, {"dropped": {"near_duplicate": n}, **stats, "threshold": dedup.THRESHOLD}


CHECKS: dict[str, Check] = {
    "pii_scrub@1": scrub_pii,
    "non_empty@1": non_empty,
    "min_words@1": min_words,
    "english_only@1": english_only,
    "exact_duplicate@1": exact_duplicates,
    "near_duplicate@1": near_duplicates,
}


def check_candidates(
    task: Task,
    cands: pl.DataFrame,
    *,
    reviewer_names: Iterable[str | None] | pii.KnownNames = (),
) -> tuple[pl.DataFrame, dict]:
    """Run every check on one task's candidates (CANDIDATE_SCHEMA); returns them and counts.

    `reviewer_names` (e.g. the canonical reviews' `reviewer_name`, or those names prepared
    once as `pii.KnownNames`) are scrubbed wherever they appear in text, in addition to what
    the PII patterns find.
    """
    names = pii.KnownNames.of(reviewer_names)
    usable_before = cands.select(USABLE.sum()).item()
    checks: dict[str, dict] = {}
    # Dropped rows are published, so PII scrubbing (first) sees every row; the other checks
    # only ever judge usable rows, so they look at those alone.
    # The checks after it only ever set drop_reason, so the usable rows are judged on their
    # own and their reasons written back in place.
    df, full, positions = cands, None, None
    for name, check in CHECKS.items():
        # The first check after the scrub is also timed for gathering the usable rows and
        # splitting their (scrubbed) inputs into words, which the later checks share.
        start = time.perf_counter()
        if check is not scrub_pii and full is None:
            full = df
            positions = full.select(USABLE.arg_true()).to_series()
            df = full.gather(positions).with_columns(tokens(pl.col("input")).alias(WORDS))
        if check is scrub_pii:
            check = partial(scrub_pii, names=names)
        df, stats = check(task, df)
        stats["seconds"] = round(time.perf_counter() - start, 3)
        checks[name] = stats
    if full is not None:
        df = full.with_columns(full["drop_reason"].scatter(positions, df["drop_reason"]))
    dropped: dict[str, int] = {}
    for stats in checks.values():
        for reason, n in stats.get("dropped", {}).items():
            if n:
                dropped[reason] = dropped.get(reason, 0) + n
    return df, {
        "task": task.name,
        "rows": df.height,
        "usable_before": int(usable_before),
        "usable_after": int(df.select(USABLE.sum()).item()),
        "dropped": dict(sorted(dropped.items())),
        "pii": checks["pii_scrub@1"]["replaced"],
        "checks": checks,
    }


def scrub_dropped(
    task: Task,
    dropped: pl.DataFrame,
    stats: dict,
    *,
    reviewer_names: Iterable[str | None] | pii.KnownNames = (),
) -> pl.DataFrame:
    """PII-scrub rows that were dropped before the checks (a builder's own drops, published
    with their reason), adding them to `stats` from `check_candidates` as if they had been
    checked with the rest: every other check only ever judges usable rows."""
    start = time.perf_counter()
    dropped, pii_stats = scrub_pii(task, dropped, reviewer_names)
    seen = stats["checks"]["pii_scrub@1"]
    for kind, n in pii_stats["replaced"].items():
        seen["replaced"][kind] = seen["replaced"].get(kind, 0) + n
    seen["fields_changed"] += pii_stats["fields_changed"]
    seen["seconds"] = round(seen["seconds"] + time.perf_counter() - start, 3)
    stats["rows"] += dropped.height
    return dropped


def decontaminate(placed: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Drop validation/test rows whose input is a near-duplicate of a usable train input.

    `placed` is one task's candidates with a `split` column. Reason: near_duplicate_of_train.
    """
    start = time.perf_counter()
    split = pl.col("split")
    train = placed.filter(USABLE & (split == TRAIN))
    held = placed.with_row_index("_pos").filter(USABLE & split.is_in(HELD_OUT))
    ref = dedup.matches_of(held["input"].fill_null(""), train["input"].fill_null(""))
    hit = ref >= 0
    mask = np.zeros(placed.height, bool)
    mask[held["_pos"].to_numpy()[hit]] = True
    out, n = _drop(placed, pl.Series(mask), "near_duplicate_of_train")
    by_split = held.filter(pl.Series(hit)).group_by("split").len().sort("split")
    examples = [
        {"split": s, "input": i[:200], "train_input": train["input"][int(r)][:200]}
        for s, i, r in zip(
            held["split"].filter(pl.Series(hit)).head(3),
            held["input"].filter(pl.Series(hit)).head(3),
            ref[hit][:3],
            strict=False,
        )
    ]
    return out, {
        "checked": held.height,
        "train": train.height,
        "dropped": {"near_duplicate_of_train": n},
        "by_split": dict(by_split.iter_rows()),
        "examples": examples,
        "threshold": dedup.THRESHOLD,
        "seconds": round(time.perf_counter() - start, 3),
    }
