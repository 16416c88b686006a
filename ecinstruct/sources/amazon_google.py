"""Amazon-Google Products (Leipzig entity-matching benchmark): two catalogues + matches.

Amazon ids are ASINs (upper-cased, shared with other Amazon sources); Google ids are
namespaced `google:<id>`. All products are software, hence the constant category. A price
of 0 in these files means "unknown".
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import Check, dedupe, missing, price, split
from ecinstruct.text import clean_columns

KIND = "amazon_google_products"
KEYS = {"amazon": True, "google": True, "mapping": True}
CATEGORY = "Software"
GOOGLE = "google:"


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    amazon = catalogue(ctx, ctx.csv("amazon", ["id", "title"]), "title", "")
    google = catalogue(ctx, ctx.csv("google", ["id", "name"]), "name", GOOGLE)
    products = pl.concat([amazon, google], how="vertical")
    return {"products": products, "matches": matches(ctx, products)}


def catalogue(ctx: LoadContext, raw: pl.DataFrame, title: str, prefix: str) -> pl.DataFrame:
    columns = [c for c in raw.columns if not c.startswith("_")]
    raw = raw.with_columns(
        [
            pl.lit(None, dtype=pl.String).alias(c)
            for c in ("description", "manufacturer", "price")
            if c not in raw.columns
        ]
    )
    product_id = pl.col("id").str.strip_chars()
    typed = raw.with_columns(
        product_id=pl.lit(prefix) + (product_id if prefix else product_id.str.to_uppercase()),
        title_text=pl.col(title),
        price_value=price(pl.col("price")),
    )
    typed = clean_columns(typed, text=["title_text", "description", "manufacturer"])
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("id"),
            Check("missing_field", pl.col("title_text").is_null(), f"{title} is missing or empty"),
        ],
        raw=columns,
    )
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["product_id"], "product id", columns)
    ctx.reject(duplicates)
    return kept.select(
        "product_id",
        source=pl.lit(KIND),
        title="title_text",
        description="description",
        brand="manufacturer",
        categories=pl.lit([CATEGORY], dtype=pl.List(pl.String)),
        category=pl.lit(CATEGORY),
        price=pl.when(pl.col("price_value") > 0).then(pl.col("price_value")),
    )


def matches(ctx: LoadContext, products: pl.DataFrame) -> pl.DataFrame:
    raw = ctx.csv("mapping", ["idAmazon", "idGoogleBase"])
    typed = raw.with_columns(
        left_id=pl.col("idAmazon").str.strip_chars().str.to_uppercase(),
        right_id=pl.lit(GOOGLE) + pl.col("idGoogleBase").str.strip_chars(),
    )
    known = products["product_id"].implode()
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("idAmazon"),
            missing("idGoogleBase"),
            Check(
                "unknown_id",
                ~pl.col("left_id").is_in(known),
                pl.lit("idAmazon not in the Amazon catalogue: ") + pl.col("idAmazon"),
            ),
            Check(
                "unknown_id",
                ~pl.col("right_id").is_in(known),
                pl.lit("idGoogleBase not in the Google catalogue: ") + pl.col("idGoogleBase"),
            ),
        ],
        raw=["idAmazon", "idGoogleBase"],
    )
    ctx.reject(rejected)
    kept, duplicates = dedupe(
        kept, KIND, ["left_id", "right_id"], "match", ["idAmazon", "idGoogleBase"]
    )
    ctx.reject(duplicates)
    return kept.with_columns(source=pl.lit(KIND))
