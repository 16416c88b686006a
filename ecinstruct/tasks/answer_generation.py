"""AG: write the answer to a product question from review snippets (AmazonQA, ePQA, McAuley QA).

The target is the most helpful answer (adapters sort `answers` most helpful first). Questions
that come without snippets (McAuley QA) borrow the product's own most helpful reviews as
evidence, so a source of bare Q&A still yields grounded samples; with neither, the question is
dropped. A question whose source says it is unanswerable from its snippets is dropped too: its
answer would not be grounded in what the model is shown. Sources that do not say (null) are
kept, since their answer comes from a person who could answer it.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.answerability_prediction import (
    cap,
    first_usable,
    no_evidence_after_cleaning,
    qa_input,
    qa_questions,
    snippets,
    with_snippets,
)
from ecinstruct.tasks.base import Task, TaskContext, candidates

# Whole reviews are longer than QA snippets; five of them already fill a prompt.
MAX_REVIEWS = 5
# Gold answers longer than this would not fit the generation budget (about 1.3 tokens a word).
MAX_ANSWER_WORDS = 96


def _reviews(reviews: pl.DataFrame) -> pl.DataFrame:
    """Reviews with non-blank text, whitespace normalised."""
    text = common.nonempty(pl.col("text").str.replace_all(r"\s+", " "))
    return reviews.select("product_id", "review_id", "helpful_votes", text.alias("text")).filter(
        pl.col("product_id").is_not_null() & pl.col("text").is_not_null()
    )


def review_evidence(reviews: pl.DataFrame) -> pl.DataFrame:
    """Per product, its most helpful reviews (then longest, then by id) as snippet lists."""
    return (
        reviews.sort(
            "product_id",
            pl.col("helpful_votes").fill_null(0),
            pl.col("text").str.len_chars(),
            "review_id",
            descending=[False, True, True, False],
            nulls_last=True,
        )
        .group_by("product_id", maintain_order=True)
        # A few spare reviews, so repeated texts removed by `snippets` still leave enough.
        .agg(pl.col("text").head(MAX_REVIEWS * 2).alias("_reviews"))
        .with_columns(snippets(pl.col("_reviews"), MAX_REVIEWS))
    )


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    reviewed = canonical["reviews"].select(
        pl.col("product_id").filter(pl.col("text").str.strip_chars().str.len_chars() > 0).unique()
    )
    qs = qa_questions(canonical).with_columns(
        pl.col("product_id").is_in(reviewed["product_id"].implode()).alias("_has_reviews")
    )
    answer = pl.col("answers").list.first()
    reason = common.first_reason(
        (pl.col("question").is_null(), "missing_question"),
        (pl.col("answerable").not_(), "unanswerable"),
        (answer.is_null(), "no_answer"),
        (common.word_count(answer) > MAX_ANSWER_WORDS, "answer_too_long"),
        (~pl.col("_has_evidence") & ~pl.col("_has_reviews"), "no_evidence"),
    )
    qs = with_snippets(cap(first_usable(qs, reason), ctx, "answer_generation"))
    # Only the products that need them: reviews can be far more numerous than questions.
    borrow = qs.filter(pl.col("drop_reason").is_null() & (pl.col("evidence").list.len() == 0))
    borrow = borrow.select("product_id").unique()
    reviews = _reviews(
        canonical["reviews"]
        .select("product_id", "review_id", "helpful_votes", "text")
        .join(borrow, on="product_id", how="semi")
    )
    qs = qs.join(review_evidence(reviews), on="product_id", how="left", maintain_order="left")
    return candidates(
        qs.with_columns(
            pl.when(pl.col("evidence").list.len() > 0)
            .then(pl.col("evidence"))
            .when(pl.col("drop_reason").is_null())
            .then(pl.col("_reviews").fill_null([]))
            .otherwise(pl.lit([], dtype=pl.List(pl.String)))
            .alias("snippets")
        ).with_columns(
            input=qa_input("snippets"),
            output=answer,
            product_ids=pl.concat_list("product_id"),
            group=pl.col("product_id"),
            drop_reason=no_evidence_after_cleaning("snippets"),
        )
    )


TASK = Task(
    name="answer_generation",
    short="AG",
    version="1",
    description="Answer a product question from review snippets, as the most helpful human "
    "answer did (AmazonQA, ePQA, McAuley QA).",
    tables=("questions",),
    input_desc='JSON object {"question", "review snippets": [...]}; the product\'s most helpful '
    "reviews stand in when the source has no snippets",
    output_desc=f"free text: the most helpful answer (at most {MAX_ANSWER_WORDS} words)",
    metric="rouge_l",
    output_format="text",
    split_key="product_id: all questions about one product land in the same split",
    build=build,
    has_ood=True,
    max_new_tokens=128,
)
