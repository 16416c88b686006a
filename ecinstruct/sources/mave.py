"""MAVE (Amazon attribute-value extraction): product paragraphs + attribute evidence.

positives: each attribute has evidence spans (value, paragraph `pid`); the first span (by
paragraph, then offset) gives the value and `value_source` = that paragraph's source.
negatives: the attribute is absent from every paragraph, so its value is null.
A product may appear in both files; its product row comes from the first one.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.frames import Check, dedupe, missing, split, to_int
from ecinstruct.text import clean_columns

KIND = "mave"
KEYS = {"positives": True, "negatives": False}

EVIDENCE = {"value": "VARCHAR", "pid": "VARCHAR", "begin": "VARCHAR", "end": "VARCHAR"}
FIELDS: dict[str, object] = {
    "id": "VARCHAR",
    "category": "VARCHAR",
    "paragraphs": [{"text": "VARCHAR", "source": "VARCHAR"}],
    "attributes": [{"key": "VARCHAR", "evidences": [EVIDENCE]}],
}
FEATURE_SOURCES = ("feature", "features", "bullet", "bullet_point", "bullet_points")


def load(ctx: LoadContext) -> dict[str, pl.DataFrame]:
    products, attributes = [], []
    for key in ("positives", "negatives"):
        if ctx.has(key):
            records = _records(ctx, ctx.jsonl(key, FIELDS))
            paragraphs = _paragraphs(records)
            products.append(_products(records, paragraphs))
            attributes.append(_attributes(ctx, records, paragraphs, key == "positives"))
    # The same product in both files is expected: keep its first product row.
    merged = pl.concat(products).unique("product_id", keep="first", maintain_order=True)
    found = pl.concat(attributes)
    found, duplicates = dedupe(
        found,
        KIND,
        ["product_id", "attribute"],
        "attribute annotation",
        ["product_id", "attribute"],
    )
    ctx.reject(duplicates)
    return {"products": merged, "attributes": found.drop("_file", "_row")}


def _records(ctx: LoadContext, raw: pl.DataFrame) -> pl.DataFrame:
    typed = raw.with_columns(product_id=pl.col("id").str.strip_chars().str.to_uppercase())
    typed = clean_columns(typed, text=["category"])
    kept, rejected = split(
        typed,
        KIND,
        [
            missing("id"),
            Check(
                "missing_field", pl.col("paragraphs").list.len().fill_null(0) == 0, "no paragraphs"
            ),
            Check(
                "missing_field", pl.col("attributes").list.len().fill_null(0) == 0, "no attributes"
            ),
        ],
        raw=list(FIELDS),
    )
    ctx.reject(rejected)
    kept, duplicates = dedupe(kept, KIND, ["product_id"], "product id", list(FIELDS))
    ctx.reject(duplicates)
    return kept.with_row_index("_rec")


def _paragraphs(records: pl.DataFrame) -> pl.DataFrame:
    """One row per paragraph: `_rec`, `pid` (0-based), cleaned `text`, lower-case `source`."""
    exploded = (
        records.select("_rec", "paragraphs", pid=pl.int_ranges(0, pl.col("paragraphs").list.len()))
        .explode(["paragraphs", "pid"])
        .unnest("paragraphs")
        .with_columns(source=pl.col("source").str.strip_chars().str.to_lowercase())
    )
    return clean_columns(exploded, text=["text"])


def _products(records: pl.DataFrame, paragraphs: pl.DataFrame) -> pl.DataFrame:
    paragraphs = paragraphs.filter(pl.col("text").is_not_null())
    texts = paragraphs.group_by("_rec", maintain_order=True).agg(
        title=pl.col("text").filter(pl.col("source") == "title").first(),
        description=pl.col("text").filter(pl.col("source") == "description").str.join(" "),
        features=pl.col("text").filter(pl.col("source").is_in(FEATURE_SOURCES)),
        brand=pl.col("text").filter(pl.col("source") == "brand").first(),
    )
    base = records.select("_rec", "product_id", "category")
    return base.join(texts, on="_rec", how="left").select(
        "product_id",
        source=pl.lit(KIND),
        title="title",
        description=pl.col("description").replace("", None),
        features="features",
        brand="brand",
        categories=pl.concat_list(pl.col("category")).list.drop_nulls(),
        category="category",
    )


def _attributes(
    ctx: LoadContext, records: pl.DataFrame, paragraphs: pl.DataFrame, positive: bool
) -> pl.DataFrame:
    """One row per (product, attribute); positives take their first evidence span."""
    keys = (
        records.select("_rec", "_file", "_row", "product_id", "category", "attributes")
        .explode("attributes")
        .unnest("attributes")
        .with_columns(
            attribute=pl.col("key").str.strip_chars(), _attr=pl.int_range(pl.len()).over("_rec")
        )
    )
    # Exploding an empty list yields no row in some polars versions and a null row in
    # others, so attributes without evidence are handled apart.
    has_evidence = pl.col("evidences").list.len().fill_null(0) > 0
    spans = keys.filter(has_evidence).explode("evidences").unnest("evidences")
    bare = keys.filter(~has_evidence).drop("evidences")
    rows = pl.concat([spans, bare], how="diagonal_relaxed").with_columns(
        pid=to_int(pl.col("pid").cast(pl.String)), begin=to_int(pl.col("begin").cast(pl.String))
    )
    sources = paragraphs.select("_rec", "pid", value_source="source")
    if positive:
        rows = rows.join(sources, on=["_rec", "pid"], how="left")
        rows = clean_columns(rows, text=["value"])
    else:
        rows = rows.with_columns(
            value=pl.lit(None, dtype=pl.String), value_source=pl.lit(None, dtype=pl.String)
        )
    raw = ["product_id", "attribute", "value", "pid"]
    kept, rejected = split(
        rows,
        KIND,
        [
            Check(
                "missing_field",
                pl.col("attribute").is_null() | (pl.col("attribute") == ""),
                "attribute key is missing",
            ),
            Check(
                "bad_reference",
                pl.col("value").is_not_null() & pl.col("value_source").is_null(),
                pl.lit("evidence pid is not a paragraph index: ")
                + pl.col("pid").cast(pl.String).fill_null("null"),
            ),
        ],
        raw=raw,
    )
    ctx.reject(rejected)
    first = kept.sort("_rec", "_attr", "pid", "begin", nulls_last=True).unique(
        ["_rec", "_attr"], keep="first", maintain_order=True
    )
    return first.select(
        "_file",
        "_row",
        source=pl.lit(KIND),
        product_id="product_id",
        category="category",
        attribute="attribute",
        value="value",
        value_source="value_source",
    )
