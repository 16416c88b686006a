"""Amazon Review Data (2018): 5-core / full reviews and product metadata, JSON lines.

reviews -> `reviews`; meta -> `products` and `relations` (also_buy, also_view, and
`similar` when `similar_item` is a list of ASINs; in most dumps it is an HTML table string,
which carries no usable ids).
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import (
    Check,
    dedupe,
    dedupe_reviews,
    md5_sql,
    missing,
    price,
    split,
    to_bool,
    to_float,
    to_int,
    wrong_type,
)
from ecinstruct.text import clean_columns

KIND = "amazon_reviews_2018"
KEYS = {"reviews": True, "meta": False}

_REVIEW = ("overall", "verified", "reviewerID", "asin", "reviewerName", "reviewText", "summary")
REVIEW_FIELDS = {name: "VARCHAR" for name in (*_REVIEW, "unixReviewTime", "vote")}
# Hashed inside DuckDB's parallel read: the review id, before numbering (see `reviews`).
REVIEW_KEY = {"_key": md5_sql("trim(reviewerID)", "upper(trim(asin))", "trim(unixReviewTime)")}
META_FIELDS: dict[str, object] = {
    "asin": "VARCHAR",
    "title": "VARCHAR",
    "brand": "VARCHAR",
    "price": "VARCHAR",
    "main_cat": "VARCHAR",
    "description": ["VARCHAR"],
    "feature": ["VARCHAR"],
    "category": ["VARCHAR"],
    "also_buy": ["VARCHAR"],
    "also_view": ["VARCHAR"],
    "similar_item": ["VARCHAR"],
}
RELATIONS = {"also_buy": "also_buy", "also_view": "also_view", "similar_item": "similar"}


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    return PARTS["reviews"](ctx) | PARTS["meta"](ctx)


def reviews(ctx: LoadContext, raw: pl.DataFrame) -> pl.DataFrame:
    typed = raw.with_columns(
        rating=to_float(pl.col("overall")),
        timestamp=to_int(pl.col("unixReviewTime")),
        helpful_votes=to_int(pl.col("vote")),
        verified_flag=to_bool(pl.col("verified")),
        user_id=pl.col("reviewerID").str.strip_chars(),
        product_id=pl.col("asin").str.strip_chars().str.to_uppercase(),
        text=pl.col("reviewText"),
        reviewer_name=pl.col("reviewerName"),
    )
    typed = clean_columns(typed, text=["text", "summary", "reviewer_name"])
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("reviewerID"),
            missing("asin"),
            missing("overall"),
            wrong_type("overall", pl.col("rating"), "a number"),
            Check(
                "unknown_label",
                ~pl.col("rating").is_in([1.0, 2.0, 3.0, 4.0, 5.0]),
                pl.lit("overall must be 1-5, got ") + pl.col("overall"),
            ),
            missing("unixReviewTime"),
            wrong_type("unixReviewTime", pl.col("timestamp"), "an integer"),
            wrong_type("vote", pl.col("helpful_votes"), "a vote count"),
            wrong_type("verified", pl.col("verified_flag"), "a boolean"),
            # A rating with only a summary ("Five Stars") is still a review; one with no
            # words at all is not.
            Check(
                "empty_text",
                pl.col("text").is_null() & pl.col("summary").is_null(),
                "reviewText and summary are empty after cleaning",
            ),
        ],
        raw=list(REVIEW_FIELDS),
    )
    ctx.reject(rejected)
    same = ["user_id", "product_id", "timestamp", "rating", "summary", "text"]
    kept, duplicates = dedupe_reviews(kept, KIND, same, list(REVIEW_FIELDS))
    ctx.reject(duplicates)
    return kept.with_columns(source=pl.lit(KIND), verified=pl.col("verified_flag"))


def meta(ctx: LoadContext, raw: pl.DataFrame) -> pl.DataFrame:
    """Products plus their raw relation lists (dropped by `load` after `relations`)."""
    typed = raw.with_columns(
        product_id=pl.col("asin").str.strip_chars().str.to_uppercase(),
        # A display string, often page markup rather than a price: unreadable -> null.
        price=price(pl.col("price")),
    )
    typed = clean_columns(
        typed, text=["title", "brand", "main_cat"], lists=["description", "feature", "category"]
    )
    kept, rejected = split(typed, KIND, [missing("asin")], raw=list(META_FIELDS))
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["product_id"], "product asin", list(META_FIELDS))
    ctx.reject(duplicates)
    return kept.select(
        "product_id",
        *RELATIONS,
        source=pl.lit(KIND),
        title="title",
        description=pl.col("description").list.join(" ").replace("", None),
        features="feature",
        brand="brand",
        categories="category",
        category=pl.col("category").list.first().fill_null(pl.col("main_cat")),
        price="price",
    )


def relations(products: pl.DataFrame, kind: str, columns: dict[str, str]) -> pl.DataFrame:
    """One row per (product, related product, relation); repeats inside a list collapse."""
    parts = [
        products.select(
            "product_id",
            related_id=pl.col(column).list.eval(pl.element().str.strip_chars().str.to_uppercase()),
        )
        .explode("related_id")
        .filter(pl.col("related_id").is_not_null() & (pl.col("related_id") != ""))
        .with_columns(relation=pl.lit(name), source=pl.lit(kind))
        for column, name in columns.items()
    ]
    return pl.concat(parts).unique(maintain_order=True)


def dump_parts(kind: str, reviews, review_fields, review_key, meta, meta_fields, relation_lists):
    """The `PARTS` of a review dump's adapter (see `registry`), each named by the config key
    whose files it reads: its reviews, and its metadata (products and their relations)."""

    def load_reviews(ctx: LoadContext) -> dict[str, pl.DataFrame]:
        return {"reviews": reviews(ctx, ctx.jsonl("reviews", review_fields, review_key))}

    def load_meta(ctx: LoadContext) -> dict[str, pl.DataFrame]:
        if not ctx.has("meta"):
            return {}
        products = meta(ctx, ctx.jsonl("meta", meta_fields))
        return {
            "products": products.drop(*relation_lists),
            "relations": relations(products, kind, relation_lists),
        }

    return {"reviews": load_reviews, "meta": load_meta}


PARTS = dump_parts(KIND, reviews, REVIEW_FIELDS, REVIEW_KEY, meta, META_FIELDS, RELATIONS)
