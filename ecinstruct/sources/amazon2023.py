"""Amazon Reviews 2023 (McAuley lab): reviews and item metadata, JSON lines.

Items are keyed by `parent_asin` (the product, across its variants), so reviews point at
`parent_asin` and fall back to `asin` only when it is missing. Timestamps are milliseconds.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.amazon2018 import dump_parts
from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import (
    Check,
    blank,
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

KIND = "amazon_reviews_2023"
KEYS = {"reviews": True, "meta": False}

_REVIEW = ("rating", "title", "text", "asin", "parent_asin", "user_id", "timestamp")
REVIEW_FIELDS = {name: "VARCHAR" for name in (*_REVIEW, "helpful_vote", "verified_purchase")}
_PRODUCT_SQL = "upper(trim(coalesce(nullif(trim(parent_asin), ''), asin)))"
REVIEW_KEY = {"_key": md5_sql("trim(user_id)", _PRODUCT_SQL, "trim(timestamp)")}
META_FIELDS: dict[str, object] = {
    "parent_asin": "VARCHAR",
    "title": "VARCHAR",
    "store": "VARCHAR",
    "price": "VARCHAR",
    "main_category": "VARCHAR",
    "features": ["VARCHAR"],
    "description": ["VARCHAR"],
    "categories": ["VARCHAR"],
    "bought_together": ["VARCHAR"],
}
RELATIONS = {"bought_together": "bought_together"}


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    return PARTS["reviews"](ctx) | PARTS["meta"](ctx)


def reviews(ctx: LoadContext, raw: pl.DataFrame) -> pl.DataFrame:
    product = pl.when(blank("parent_asin")).then(pl.col("asin")).otherwise(pl.col("parent_asin"))
    typed = raw.with_columns(
        rating_value=to_float(pl.col("rating")),
        timestamp_ms=to_int(pl.col("timestamp")),
        helpful_votes=to_int(pl.col("helpful_vote")),
        verified=to_bool(pl.col("verified_purchase")),
        user=pl.col("user_id").str.strip_chars(),
        product_id=product.str.strip_chars().str.to_uppercase(),
        summary=pl.col("title"),
    )
    typed = clean_columns(typed, text=["text", "summary"])
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("user_id"),
            Check("missing_field", blank("product_id"), "parent_asin and asin are missing"),
            missing("rating"),
            wrong_type("rating", pl.col("rating_value"), "a number"),
            Check(
                "unknown_label",
                ~pl.col("rating_value").is_in([1.0, 2.0, 3.0, 4.0, 5.0]),
                pl.lit("rating must be 1-5, got ") + pl.col("rating"),
            ),
            missing("timestamp"),
            wrong_type("timestamp", pl.col("timestamp_ms"), "an integer"),
            wrong_type("helpful_vote", pl.col("helpful_votes"), "a vote count"),
            wrong_type("verified_purchase", pl.col("verified"), "a boolean"),
            Check(
                "empty_text",
                pl.col("text").is_null() & pl.col("summary").is_null(),
                "text and title are empty after cleaning",
            ),
        ],
        raw=list(REVIEW_FIELDS),
    )
    ctx.reject(rejected)
    same = ["user", "product_id", "timestamp_ms", "rating_value", "summary", "text"]
    kept, duplicates = dedupe_reviews(kept, KIND, same, list(REVIEW_FIELDS))
    ctx.reject(duplicates)
    return kept.select(
        "review_id",
        source=pl.lit(KIND),
        user_id="user",
        product_id="product_id",
        rating="rating_value",
        summary="summary",
        text="text",
        timestamp=pl.col("timestamp_ms") // 1000,
        helpful_votes="helpful_votes",
        verified="verified",
    )


def meta(ctx: LoadContext, raw: pl.DataFrame) -> pl.DataFrame:
    typed = raw.with_columns(
        product_id=pl.col("parent_asin").str.strip_chars().str.to_uppercase(),
        price_value=price(pl.col("price")),
    )
    typed = clean_columns(
        typed,
        text=["title", "store", "main_category"],
        lists=["features", "description", "categories"],
    )
    kept, rejected = split(typed, KIND, [missing("parent_asin")], raw=list(META_FIELDS))
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["product_id"], "parent_asin", list(META_FIELDS))
    ctx.reject(duplicates)
    return kept.select(
        "product_id",
        *RELATIONS,
        source=pl.lit(KIND),
        title="title",
        description=pl.col("description").list.join(" ").replace("", None),
        features="features",
        brand="store",
        categories="categories",
        category=pl.col("categories").list.first().fill_null(pl.col("main_category")),
        price="price_value",
    )


PARTS = dump_parts(KIND, reviews, REVIEW_FIELDS, REVIEW_KEY, meta, META_FIELDS, RELATIONS)
