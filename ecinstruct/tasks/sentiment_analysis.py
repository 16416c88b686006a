"""Sentiment analysis (SA): a review's text -> one of five sentiment options (rating 5..1).

Input is the review text alone. The review summary is left out on purpose: in Amazon data it
is often auto-generated from the rating ("Five Stars"), which would give the label away.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task, TaskContext, candidates

OPTIONS = ("very positive", "positive", "neutral", "negative", "very negative")
MIN_WORDS = 10
# rating -> option text: 5 is "very positive", 1 is "very negative".
RATING_TO_OPTION = {5 - i: text for i, text in enumerate(OPTIONS)}


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    # Millions of reviews come in and a few thousand are used: the text column is never
    # sorted, joined or copied whole. Rows are judged in review id order through a permutation
    # of positions, and the product category is looked up for the rows kept.
    order = ["review_id", "source", "product_id", "user_id"]
    df = canonical["reviews"].select(*order, "rating", "text")
    df = df.with_columns(
        drop_reason=common.first_reason(
            (pl.col("product_id").is_null(), "missing_product_id"),
            (~pl.col("rating").is_in(list(RATING_TO_OPTION)), "invalid_rating"),
            (~common.at_least_words(pl.col("text"), MIN_WORDS), "review_too_short"),
        ),
    )
    # Duplicate texts (one review copied onto product variants) would leak across splits:
    # the first usable copy (in review id order), compared case-insensitively, is kept.
    by_id = common.sort_positions(df, order)
    first_copy = common.first_copies(df, "text", among=pl.col("drop_reason").is_null(), order=by_id)
    # The position in review id order, to put the rows back in it at the end.
    rank = pl.repeat(0, df.height, dtype=pl.UInt32, eager=True).scatter(
        by_id, pl.int_range(df.height, dtype=pl.UInt32, eager=True)
    )
    df = df.with_columns(
        _row=rank,
        drop_reason=pl.coalesce(
            "drop_reason", pl.when(~first_copy).then(pl.lit("duplicate_review_text"))
        ),
    )
    del by_id, first_copy, rank
    df = common.subsample(
        df,
        ctx.caps,
        key=["review_id"],
        seed=ctx.seed,
        salt="sentiment_analysis",
        ood=ctx.is_ood(pl.col("product_id")),
        mixed=pl.lit(False),
    )
    usable = df.filter(pl.col("drop_reason").is_null()).sort("_row")
    dropped = df.filter(pl.col("drop_reason").is_not_null()).sort("_row")
    del df
    products = common.unique_products(canonical["products"], ["category"])
    usable = usable.join(products, on="product_id", how="left", maintain_order="left")
    return pl.concat([_candidates(usable), _candidates(dropped)], how="vertical")


def _candidates(df: pl.DataFrame) -> pl.DataFrame:
    return candidates(
        df.with_columns(
            input=common.nonempty(pl.col("text")),
            options=pl.lit(list(OPTIONS), dtype=pl.List(pl.String)),
            output=pl.col("rating").replace_strict(
                RATING_TO_OPTION, default=None, return_dtype=pl.String
            ),
            product_ids=pl.concat_list(pl.col("product_id")),
            group=pl.col("product_id"),
        )
    )


TASK = Task(
    name="sentiment_analysis",
    short="SA",
    version="1",
    description="Identify the sentiment of a product review (five levels, from its star rating).",
    tables=("reviews",),
    input_desc="review text (at least 10 words; the summary is not shown)",
    output_desc="one of five options, very positive ... very negative (rating 5 ... 1)",
    metric="macro_f1",
    output_format="option",
    split_key="product_id: all reviews of a product land in the same split",
    build=build,
    options=OPTIONS,
    n_options=len(OPTIONS),
    max_new_tokens=12,
)
