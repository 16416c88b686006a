"""The canonical tables every source adapter produces and every task builder reads.

Adapters normalise raw files into these frames (cleaned text, typed fields); task builders
only ever see these. A table a build has no source for is an empty frame with its schema,
so builders never branch on presence.

Product ids: Amazon ASINs are upper-cased as-is (they are shared across Amazon sources,
which is what makes cross-task product disjointness meaningful); ids from non-Amazon
catalogues are namespaced, e.g. ``google:<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

STR = pl.String
LIST_STR = pl.List(pl.String)

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # One row per product per source. `category` is the top-level category used for OOD
    # selection and reporting; `categories` the full cleaned path.
    "products": {
        "product_id": STR,
        "source": STR,
        "title": STR,
        "description": STR,
        "features": LIST_STR,
        "brand": STR,
        "categories": LIST_STR,
        "category": STR,
        "price": pl.Float64,
    },
    # One row per review / interaction. `timestamp` is unix seconds.
    "reviews": {
        "review_id": STR,
        "source": STR,
        "user_id": STR,
        "product_id": STR,
        "rating": pl.Int8,
        "summary": STR,
        "text": STR,
        "timestamp": pl.Int64,
        "helpful_votes": pl.Int32,
        "verified": pl.Boolean,
        "reviewer_name": STR,
    },
    # Directed product relations: also_buy, also_view, similar, bought_together.
    "relations": {
        "source": STR,
        "product_id": STR,
        "related_id": STR,
        "relation": STR,
    },
    # Known matching product pairs (positives only; tasks sample negatives).
    "matches": {
        "source": STR,
        "left_id": STR,
        "right_id": STR,
    },
    # Attribute annotations. `value` null means the attribute is absent from the texts;
    # `value_source` names the product field the value was found in (title, description...).
    "attributes": {
        "source": STR,
        "product_id": STR,
        "category": STR,
        "attribute": STR,
        "value": STR,
        "value_source": STR,
    },
    # Query-product relevance judgments (ESCI labels E/S/C/I).
    "judgments": {
        "source": STR,
        "query_id": STR,
        "query": STR,
        "product_id": STR,
        "label": STR,
        "small_version": pl.Boolean,
        "locale": STR,
    },
    # Product questions with evidence snippets and answers (most helpful first).
    # `answerable` is null when the source does not say.
    "questions": {
        "question_id": STR,
        "source": STR,
        "product_id": STR,
        "question": STR,
        "question_type": STR,
        "evidence": LIST_STR,
        "answers": LIST_STR,
        "answerable": pl.Boolean,
        "category": STR,
    },
    # Every raw row an adapter refused, with the reason. Never silently dropped.
    "rejected": {
        "source": STR,
        "file": STR,
        "row": pl.Int64,
        "reason": STR,
        "detail": STR,
        "raw": STR,
    },
}

TABLES = tuple(SCHEMAS)


def empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[table])


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Select and cast `df` to the table's schema; missing columns become nulls."""
    schema = SCHEMAS[table]
    cols = [
        (pl.col(name).cast(dtype) if name in df.columns else pl.lit(None, dtype=dtype)).alias(name)
        for name, dtype in schema.items()
    ]
    return df.select(cols)


@dataclass
class Canonical:
    """All canonical tables of one build, plus which source kinds fed them."""

    tables: dict[str, pl.DataFrame] = field(default_factory=lambda: {t: empty(t) for t in TABLES})
    kinds: set[str] = field(default_factory=set)

    def __getitem__(self, table: str) -> pl.DataFrame:
        return self.tables[table]

    def add(self, kind: str, tables: dict[str, pl.DataFrame]) -> None:
        self.kinds.add(kind)
        for name, df in tables.items():
            self.tables[name] = pl.concat([self.tables[name], conform(df, name)], how="vertical")

    def counts(self) -> dict[str, int]:
        return {name: df.height for name, df in self.tables.items()}
