"""ESCI Shopping Queries (Amazon): query-product judgments and product texts, Parquet.

Only the US locale is loaded (the tasks are English); rows of other locales are out of
scope rather than rejected. Labels are E/S/C/I (full words are accepted too).
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import Check, dedupe, missing, split, to_bool, wrong_type
from ecinstruct.text import clean_columns

KIND = "esci"
KEYS = {"examples": True, "products": True}
LOCALE = "us"
LABELS = {"e": "E", "s": "S", "c": "C", "i": "I"}
LABELS.update({"exact": "E", "substitute": "S", "complement": "C", "irrelevant": "I"})

EXAMPLES = ["query_id", "query", "product_id", "product_locale", "esci_label"]
PRODUCTS = ["product_id", "product_title", "product_locale"]
PRODUCT_TEXT = ["product_description", "product_bullet_point", "product_brand"]


def _in_scope() -> pl.Expr:
    locale = pl.col("product_locale").cast(pl.String).str.strip_chars().str.to_lowercase()
    # A missing locale is kept so that it is rejected, not silently skipped.
    return (locale == LOCALE) | locale.is_null()


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    return {"judgments": judgments(ctx), "products": products(ctx)}


def judgments(ctx: LoadContext) -> pl.DataFrame:
    raw = ctx.parquet("examples", EXAMPLES, ["small_version", "example_id"], keep=_in_scope())
    typed = raw.with_columns(
        label=pl.col("esci_label")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(LABELS, default=None, return_dtype=pl.String),
        small=to_bool(pl.col("small_version")),
        product=pl.col("product_id").str.strip_chars().str.to_uppercase(),
        query_key=pl.col("query_id").str.strip_chars(),
    )
    typed = clean_columns(typed, text=["query"])
    columns = [*EXAMPLES, "small_version"]
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("query_id"),
            Check("empty_text", pl.col("query").is_null(), "query is empty after cleaning"),
            missing("product_id"),
            missing("product_locale"),
            missing("esci_label"),
            Check(
                "unknown_label",
                pl.col("label").is_null(),
                pl.lit("esci_label must be E/S/C/I, got ") + pl.col("esci_label"),
            ),
            wrong_type("small_version", pl.col("small"), "0/1"),
        ],
        raw=columns,
    )
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["query_key", "product"], "judgment", columns)
    ctx.reject(duplicates)
    return kept.select(
        source=pl.lit(KIND),
        query_id="query_key",
        query="query",
        product_id="product",
        label="label",
        small_version=pl.col("small").fill_null(False),
        locale=pl.lit(LOCALE),
    )


def products(ctx: LoadContext) -> pl.DataFrame:
    raw = ctx.parquet("products", PRODUCTS, [*PRODUCT_TEXT, "product_color"], keep=_in_scope())
    typed = raw.with_columns(
        product=pl.col("product_id").str.strip_chars().str.to_uppercase(),
        features=pl.col("product_bullet_point").str.split("\n"),
    )
    typed = clean_columns(
        typed, text=["product_title", "product_description", "product_brand"], lists=["features"]
    )
    columns = [*PRODUCTS, *PRODUCT_TEXT]
    kept, rejected = split(typed, KIND, [missing("product_id")], raw=columns)
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["product"], "product id", columns)
    ctx.reject(duplicates)
    return kept.select(
        product_id="product",
        source=pl.lit(KIND),
        title="product_title",
        description="product_description",
        features="features",
        brand="product_brand",
    )
