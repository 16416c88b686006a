"""McAuley Amazon product QA (2016 single-answer files, `qa_<Category>.json`), JSON lines.

There is no evidence and no answerability label. The category comes from the file name
(`qa_Appliances.json` -> "Appliances"), which is how the files are published.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import Check, dedupe, md5_sql, missing, split
from ecinstruct.text import clean_columns

KIND = "mcauley_qa"
KEYS = {"files": True}
FIELDS = {
    name: "VARCHAR"
    for name in (
        "questionType",
        "asin",
        "answerTime",
        "unixTime",
        "question",
        "answerType",
        "answer",
    )
}
KEY = {"_key": md5_sql("upper(trim(asin))", "question", "answer")}
CATEGORY = r"(?:^|/)qa_([^/]+?)\.json(?:l)?(?:\.gz)?$"


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    raw = ctx.jsonl("files", FIELDS, KEY)
    typed = raw.with_columns(
        product_id=pl.col("asin").str.strip_chars().str.to_uppercase(),
        category=pl.col("_file").str.extract(CATEGORY, 1),
    )
    typed = clean_columns(typed, text=["question", "answer", "questionType"])
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("asin"),
            Check("empty_text", pl.col("question").is_null(), "question is empty after cleaning"),
        ],
        raw=list(FIELDS),
    )
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["_key"], "identical question and answer", list(FIELDS))
    ctx.reject(duplicates)
    questions = kept.select(
        "product_id",
        "question",
        "category",
        question_id=pl.lit(f"{KIND}:") + pl.col("_key"),
        source=pl.lit(KIND),
        question_type="questionType",
        answers=pl.concat_list("answer").list.drop_nulls(),
        answerable=pl.lit(None, dtype=pl.Boolean),
    )
    products = kept.select(
        "product_id",
        "category",
        source=pl.lit(KIND),
        categories=pl.concat_list("category").list.drop_nulls(),
    ).unique("product_id", keep="first", maintain_order=True)
    return {"questions": questions, "products": products}
