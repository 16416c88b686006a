"""AmazonQA (Gupta et al. 2019): product questions with review snippets and answers.

Answers are ordered most helpful first: by helpful up-votes, then by the share of
up-votes, then by their order in the file. A question's id is its `qid` when present, else
a hash of its product and text.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import (
    Check,
    dedupe,
    md5_sql,
    missing,
    split,
    to_bool,
    to_int,
    wrong_type,
)
from ecinstruct.text import clean_columns

KIND = "amazonqa"
KEYS = {"files": True}

ANSWER = {"answerText": "VARCHAR", "answerType": "VARCHAR", "helpful": ["VARCHAR"]}
FIELDS: dict[str, object] = {
    "qid": "VARCHAR",
    "questionText": "VARCHAR",
    "questionType": "VARCHAR",
    "review_snippets": ["VARCHAR"],
    "answers": [ANSWER],
    "is_answerable": "VARCHAR",
    "asin": "VARCHAR",
    "category": "VARCHAR",
}
KEY = {"_key": md5_sql("upper(trim(asin))", "questionText")}
RAW = [name for name in FIELDS if name != "answers"]


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    raw = ctx.jsonl("files", FIELDS, KEY)
    typed = raw.with_columns(
        product_id=pl.col("asin").str.strip_chars().str.to_uppercase(),
        question=pl.col("questionText"),
        answerable=to_bool(pl.col("is_answerable")),
        question_id=pl.lit(f"{KIND}:")
        + pl.when(pl.col("qid").str.strip_chars() != "")
        .then(pl.col("qid").str.strip_chars())
        .otherwise(pl.col("_key")),
    )
    typed = clean_columns(
        typed, text=["question", "questionType", "category"], lists=["review_snippets"]
    )
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("asin"),
            Check(
                "empty_text", pl.col("question").is_null(), "questionText is empty after cleaning"
            ),
            wrong_type("is_answerable", pl.col("answerable"), "a boolean"),
        ],
        raw=RAW,
    )
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["question_id"], "question id", RAW)
    ctx.reject(duplicates)
    kept = kept.with_row_index("_rec").join(
        _ranked_answers(kept.with_row_index("_rec")), on="_rec", how="left"
    )
    questions = kept.select(
        "question_id",
        "product_id",
        "question",
        "answerable",
        "category",
        source=pl.lit(KIND),
        question_type="questionType",
        evidence="review_snippets",
        answers=pl.col("_ranked").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )
    products = kept.select(
        "product_id",
        "category",
        source=pl.lit(KIND),
        categories=pl.concat_list("category").list.drop_nulls(),
    ).unique("product_id", keep="first", maintain_order=True)
    return {"questions": questions, "products": products}


def _ranked_answers(records: pl.DataFrame) -> pl.DataFrame:
    """`_rec` -> answer texts, most helpful first."""
    answers = (
        records.select("_rec", "answers", pos=pl.int_ranges(0, pl.col("answers").list.len()))
        .explode(["answers", "pos"])
        .unnest("answers")
        .with_columns(
            up=to_int(pl.col("helpful").list.get(0, null_on_oob=True)).fill_null(0),
            total=to_int(pl.col("helpful").list.get(1, null_on_oob=True)).fill_null(0),
        )
        .with_columns(
            share=pl.when(pl.col("total") > 0).then(pl.col("up") / pl.col("total")).otherwise(0.0)
        )
    )
    answers = clean_columns(answers, text=["answerText"]).filter(pl.col("answerText").is_not_null())
    return (
        answers.sort(["_rec", "up", "share", "pos"], descending=[False, True, True, False])
        .group_by("_rec", maintain_order=True)
        .agg(_ranked=pl.col("answerText"))
    )
