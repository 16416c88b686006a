"""OA-Mine and AE-110k (as processed for ExtractGPT): product titles with attribute values.

`{"input": title, "category": c, "target_scores": {attribute: {value: 1}}}`; the value
"n/a" means the attribute is absent. Values are always found in the title. Products have
no catalogue id, so theirs is a hash of the title, namespaced `oamine:`.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import Check, dedupe, md5_sql, split
from ecinstruct.text import clean_columns

KIND = "oa_mine"
KEYS = {"files": True}
PREFIX = "oamine:"
FIELDS: dict[str, object] = {
    "input": "VARCHAR",
    "category": "VARCHAR",
    "target_scores": "MAP(VARCHAR, MAP(VARCHAR, JSON))",
}
SELECT = {
    # The attribute names are the map's keys, their values the inner map's keys.
    "target_scores": "list_transform(map_entries(target_scores), lambda e: "
    "{'attribute': e.key, 'values': map_keys(e.value)})",
    "_key": md5_sql("trim(input)"),
}
ABSENT = "n/a"


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    raw = ctx.jsonl("files", FIELDS, SELECT)
    typed = raw.with_columns(product_id=pl.lit(PREFIX) + pl.col("_key"), title=pl.col("input"))
    typed = clean_columns(typed, text=["title", "category"])
    raw_columns = ["input", "category"]
    kept, rejected = split(
        typed,
        KIND,
        [
            Check("empty_text", pl.col("title").is_null(), "input (title) is empty after cleaning"),
            Check(
                "missing_field",
                pl.col("target_scores").list.len().fill_null(0) == 0,
                "target_scores is missing or empty",
            ),
        ],
        raw=raw_columns,
    )
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["product_id"], "product title", raw_columns)
    ctx.reject(duplicates)
    products = kept.select(
        "product_id",
        "title",
        "category",
        source=pl.lit(KIND),
        categories=pl.concat_list("category").list.drop_nulls(),
    )
    return {"products": products, "attributes": _attributes(kept)}


def _attributes(products: pl.DataFrame) -> pl.DataFrame:
    rows = (
        products.select("product_id", "category", "target_scores")
        .explode("target_scores")
        .unnest("target_scores")
        .with_columns(value=pl.col("values").list.first())
    )
    rows = clean_columns(rows, text=["attribute", "value"])
    value = pl.when(pl.col("value").str.to_lowercase() != ABSENT).then(pl.col("value"))
    return rows.filter(pl.col("attribute").is_not_null()).select(
        "product_id",
        "category",
        "attribute",
        value=value,
        value_source=pl.when(value.is_not_null()).then(pl.lit("title")),
        source=pl.lit(KIND),
    )
