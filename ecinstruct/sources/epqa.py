"""ePQA (Amazon, contextual product QA): one CSV row per (question, evidence candidate).

Rows are grouped by question: evidence = the candidate texts in file order, answerable =
some candidate is labelled 2 ("answers the question"), answers = the distinct written
answers, those of label-2 candidates first.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import Check, dedupe, missing, split, to_int
from ecinstruct.text import clean_columns

KIND = "epqa"
KEYS = {"files": True}
COLUMNS = ["qid", "question", "ASIN", "candidate", "label"]
OPTIONAL = ["title", "answer", "source", "qa_pair_id"]


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    raw = ctx.csv("files", COLUMNS)
    raw = raw.with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in OPTIONAL if c not in raw.columns]
    )
    typed = raw.with_columns(
        label_value=to_int(pl.col("label")),
        product_id=pl.col("ASIN").str.strip_chars().str.to_uppercase(),
        qid_key=pl.col("qid").str.strip_chars(),
    )
    typed = clean_columns(typed, text=["question", "candidate", "answer", "title"])
    raw_columns = [*COLUMNS, *OPTIONAL]
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("qid"),
            Check("empty_text", pl.col("question").is_null(), "question is empty after cleaning"),
            missing("ASIN"),
            Check(
                "unknown_label",
                ~pl.col("label_value").is_in([0, 1, 2]).fill_null(False),
                pl.lit("label must be 0, 1 or 2, got ") + pl.col("label").fill_null("null"),
            ),
        ],
        raw=raw_columns,
    )
    ctx.reject(rejected)
    return {"questions": _questions(ctx, kept), "products": _products(kept)}


def _questions(ctx: LoadContext, rows: pl.DataFrame) -> pl.DataFrame:
    by_label = rows.sort(
        ["_file", "qid_key", "label_value", "_row"], descending=[False, False, True, False]
    )
    answers = by_label.group_by(["_file", "qid_key"], maintain_order=True).agg(
        answers=pl.col("answer").drop_nulls().unique(maintain_order=True)
    )
    grouped = (
        rows.group_by(["_file", "qid_key"], maintain_order=True)
        .agg(
            pl.col("_row").first(),
            pl.col("question").first(),
            pl.col("product_id").first(),
            evidence=pl.col("candidate").drop_nulls(),
            answerable=(pl.col("label_value") == 2).any(),
        )
        .join(answers, on=["_file", "qid_key"], how="left")
        .with_columns(question_id=pl.lit(f"{KIND}:") + pl.col("qid_key"))
    )
    grouped, duplicates = dedupe(grouped, KIND, ["question_id"], "qid", ["qid_key", "question"])
    ctx.reject(duplicates)
    return grouped.select(
        "question_id",
        "product_id",
        "question",
        "evidence",
        "answers",
        "answerable",
        source=pl.lit(KIND),
    )


def _products(rows: pl.DataFrame) -> pl.DataFrame:
    return (
        rows.sort(pl.col("title").is_null(), maintain_order=True)
        .unique("product_id", keep="first", maintain_order=True)
        .select("product_id", "title", source=pl.lit(KIND))
    )
