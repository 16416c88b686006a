"""AP: can this product question be answered from the review snippets shown? (AmazonQA, ePQA).

This module also owns `qa_questions`, the cleaned question view shared with answer generation,
so both tasks show the same snippets for the same question.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks.base import Task, TaskContext, candidates

OPTIONS: tuple[str, ...] = ("yes", "no")
# AmazonQA ships ten snippets per question; more adds length, not signal. Snippets are cut at
# a word count so one long review cannot crowd the others out of the context window.
MAX_SNIPPETS = 10
MAX_SNIPPET_WORDS = 80


def _clean(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", " ").str.strip_chars()


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    text = _clean(expr)
    return pl.when(text.str.len_chars() > 0).then(text)


def truncate_words(expr: pl.Expr, n: int) -> pl.Expr:
    """First `n` words of already whitespace-normalised text."""
    return expr.str.split(" ").list.head(n).list.join(" ")


def snippets(texts: pl.Expr, max_snippets: int) -> pl.Expr:
    """Clean a list of texts: no blanks, no repeats, at most `max_snippets`, each cut short."""
    cleaned = texts.list.eval(_clean(pl.element())).list.eval(
        pl.element().filter(pl.element().str.len_chars() > 0)
    )
    return (
        cleaned.list.unique(maintain_order=True)
        .list.head(max_snippets)
        .list.eval(truncate_words(pl.element(), MAX_SNIPPET_WORDS))
    )


def qa_input(evidence: str = "evidence") -> pl.Expr:
    """The input object ECInstruct uses for product QA: question and review snippets."""
    return pl.struct(
        pl.col("question"), pl.col(evidence).alias("review snippets")
    ).struct.json_encode()


def qa_questions(canonical: Canonical) -> pl.DataFrame:
    """Questions (canonical order) with cleaned text, snippets, answers and a category."""
    # The question's own category when the source gives one, else its product's.
    product_category = (
        canonical["products"]
        .select("product_id", _blank_to_null(pl.col("category")).alias("_pcat"), "source")
        .filter(pl.col("_pcat").is_not_null())
        .sort("product_id", "source", "_pcat")
        .unique("product_id", keep="first", maintain_order=True)
        .drop("source")
    )
    return (
        canonical["questions"]
        .with_columns(
            _blank_to_null(pl.col("question")).alias("question"),
            snippets(pl.col("evidence").fill_null([]), MAX_SNIPPETS).alias("evidence"),
            pl.col("answers")
            .fill_null([])
            .list.eval(_blank_to_null(pl.element()))
            .list.drop_nulls()
            .alias("answers"),
        )
        .join(product_category, on="product_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce(_blank_to_null(pl.col("category")), "_pcat").alias("category"))
        .drop("_pcat")
    )


def first_usable(reason: pl.Expr, *key: str | pl.Expr) -> pl.Expr:
    """`reason`, or "duplicate_question" for a usable row repeating an earlier usable one."""
    first = pl.struct(*key, reason.is_null()).is_first_distinct()
    return pl.when(reason.is_null() & ~first).then(pl.lit("duplicate_question")).otherwise(reason)


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    qs = qa_questions(canonical)
    reason = (
        pl.when(pl.col("question").is_null())
        .then(pl.lit("missing_question"))
        .when(pl.col("answerable").is_null())
        .then(pl.lit("unknown_answerability"))
        .when(pl.col("evidence").list.len() == 0)
        .then(pl.lit("no_evidence"))
    )
    dedup_key = (pl.col("product_id"), pl.col("question").str.to_lowercase(), pl.col("evidence"))
    return candidates(
        qs.with_columns(
            input=qa_input(),
            options=pl.lit(list(OPTIONS)),
            output=pl.when(pl.col("answerable").is_null())
            .then(None)
            .when(pl.col("answerable"))
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no")),
            product_ids=pl.concat_list("product_id"),
            group=pl.col("product_id"),
            drop_reason=first_usable(reason, *dedup_key),
        )
    )


TASK = Task(
    name="answerability_prediction",
    short="AP",
    version="1",
    description="Decide whether a product question can be answered from the review snippets "
    "shown (AmazonQA, ePQA).",
    tables=("questions",),
    input_desc='JSON object {"question", "review snippets": [up to 10 snippets of <= 80 words]}',
    output_desc="yes if the snippets answer the question, else no",
    metric="f1_yes",
    output_format="option",
    split_key="product_id: all questions about one product land in the same split",
    build=build,
    options=OPTIONS,
    n_options=len(OPTIONS),
    has_ood=True,
)
