"""Attribute value extraction (AVE): product texts + target attributes -> value triples.

One candidate per annotated product. The input shows the product's texts (title,
description, features, brand: whichever it has) and its target attributes; the output is a JSON list
of {"attribute", "value", "source"} sorted by attribute, value and source "None" when the
attribute is absent. `source` names the input field the value was found in.

A value must occur verbatim in the field it is attributed to (else `value_not_in_text`): a
model cannot extract what is not there. When the annotation names no field, the first of
title, description, features, brand holding the value is used. An attribute annotated more than
once keeps one value: a verifiable one, then present before absent, then by field order,
earliest position in the text, value.

OOD: besides OOD products, a seeded ~15% of attribute names are held out (at least one when
there are 3 or more names; `heldout_attributes`). They are removed from the targets of every
non-OOD product (`only_heldout_attributes` when nothing is left), so a model meets them only
in test_ood; OOD products are asked about all their attributes.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task, TaskContext, candidates

# Input field -> the column holding its text (features are matched on their joined text).
FIELDS = {
    "title": "title",
    "description": "description",
    "features": "features_text",
    "brand": "brand",
}
# value_source spellings seen in sources (MAVE paragraph sources...) -> the input field.
FIELD_ALIASES = {
    **{f: f for f in FIELDS},
    **{f: "features" for f in ("feature", "bullet", "bullet_point", "bullet_points")},
    "product title": "title",
    "product description": "description",
}
HELDOUT_SHARE = 0.15
NONE = "None"
SALT = "attribute_value_extraction"


def heldout_attributes(canonical: Canonical, seed: int) -> list[str]:
    """The attribute names held out of every non-OOD sample (sorted), chosen by seeded hash."""
    names = (
        canonical["attributes"]
        .select(attribute=common.nonempty(pl.col("attribute")))
        .drop_nulls()
        .unique()
    )
    k = 0 if names.height < 3 else max(1, round(HELDOUT_SHARE * names.height))
    chosen = names.sort(common.hash_key("attribute", seed=seed, salt=SALT), "attribute").head(k)
    return sorted(chosen["attribute"].to_list())


def _texts(products: pl.DataFrame, among: pl.Series) -> pl.DataFrame:
    """The text fields of the products `among` (those with annotations)."""
    features = pl.col("features").list.eval(common.nonempty(pl.element())).list.drop_nulls()
    fields = ["title", "description", "features", "brand", "category"]
    return (
        common.unique_products(products, fields, among=among)
        .with_columns(description=common.nonempty(pl.col("description")), features=features)
        .with_columns(features_text=common.nonempty(pl.col("features").list.join("\n")))
        .select(
            "product_id",
            "title",
            "description",
            "features",
            "features_text",
            "brand",
            p_category="category",
        )
    )


def _field_text(field: pl.Expr) -> pl.Expr:
    return pl.coalesce([pl.when(field == f).then(pl.col(c)) for f, c in FIELDS.items()])


def _annotations(canonical: Canonical, ctx: TaskContext, texts: pl.DataFrame) -> pl.DataFrame:
    """One row per (product, attribute): the kept annotation and whether it is verifiable."""
    heldout = heldout_attributes(canonical, ctx.seed)
    raw_field = pl.col("value_source").str.strip_chars().str.to_lowercase()
    value = pl.col("value")
    inferred = pl.coalesce(
        [
            pl.when(pl.col(c).str.contains(value, literal=True)).then(pl.lit(f))
            for f, c in FIELDS.items()
        ]
    )
    rows = (
        canonical["attributes"]
        .with_columns(attribute=common.nonempty(pl.col("attribute")), value=common.nonempty(value))
        .filter(pl.col("attribute").is_not_null() & pl.col("product_id").is_not_null())
        .join(texts, on="product_id", how="left")
        .with_columns(
            field=pl.when(value.is_not_null()).then(
                pl.coalesce(
                    raw_field.replace_strict(FIELD_ALIASES, default=None, return_dtype=pl.String),
                    pl.when(raw_field.is_null()).then(inferred),
                )
            ),
            unknown_field=value.is_not_null()
            & raw_field.is_not_null()
            & ~raw_field.is_in(list(FIELD_ALIASES)),
        )
        .with_columns(
            pos=_field_text(pl.col("field")).str.find(value, literal=True),
        )
        .with_columns(ok=value.is_null() | pl.col("pos").is_not_null())
    )
    order = pl.col("field").replace_strict(
        {f: i for i, f in enumerate(FIELDS)}, default=len(FIELDS), return_dtype=pl.Int64
    )
    return (
        rows.sort(
            "product_id",
            "attribute",
            ~pl.col("ok"),
            value.is_null(),
            order,
            "pos",
            "value",
            "source",
            nulls_last=True,
        )
        .unique(["product_id", "attribute"], keep="first", maintain_order=True)
        .with_columns(held=~ctx.is_ood(pl.col("product_id")) & pl.col("attribute").is_in(heldout))
    )


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    texts = _texts(canonical["products"], canonical["attributes"]["product_id"].unique())
    ann = _annotations(canonical, ctx, texts).with_columns(
        triple=common.json_object(
            {
                "attribute": common.json_value(pl.col("attribute")),
                "value": common.json_value(pl.coalesce("value", pl.lit(NONE))),
                "source": common.json_value(pl.coalesce("field", pl.lit(NONE))),
            }
        )
    )
    asked = ~pl.col("held")
    df = (
        ann.sort("product_id", "attribute")
        .group_by("product_id", maintain_order=True)
        .agg(
            pl.col(
                "title", "description", "features", "features_text", "brand", "p_category"
            ).first(),
            category=pl.col("category").drop_nulls().first(),
            source=pl.col("source").drop_nulls().min(),
            targets=pl.col("attribute").filter(asked),
            triples=pl.col("triple").filter(asked),
            unknown_field=(pl.col("unknown_field") & asked).any(),
            not_in_text=(~pl.col("ok") & asked).any(),
        )
        .with_columns(
            drop_reason=common.first_reason(
                (
                    pl.all_horizontal(pl.col(c).is_null() for c in FIELDS.values()),
                    "missing_product_text",
                ),
                (pl.col("targets").list.len() == 0, "only_heldout_attributes"),
                (pl.col("unknown_field"), "unknown_value_source"),
                (pl.col("not_in_text"), "value_not_in_text"),
            )
        )
    )
    df = common.subsample(
        df,
        ctx.caps,
        key=["product_id"],
        seed=ctx.seed,
        salt=SALT,
        ood=ctx.is_ood(pl.col("product_id")),
        mixed=pl.lit(False),
    ).sort("product_id")
    return candidates(
        df.with_columns(
            input=common.json_object(
                {
                    "title": common.json_value(pl.col("title")),
                    "description": common.json_value(pl.col("description")),
                    "features": common.json_list(pl.col("features")),
                    "brand": common.json_value(pl.col("brand")),
                    "target attributes": common.json_list(pl.col("targets")),
                }
            ),
            output=common.json_array(pl.col("triples")),
            product_ids=pl.concat_list("product_id"),
            category=pl.coalesce("p_category", "category"),
            group=pl.col("product_id"),
        )
    )


TASK = Task(
    name="attribute_value_extraction",
    short="AVE",
    version="1",
    description="Extract the values of given attributes from a product's texts, naming the "
    "field each value comes from.",
    tables=("attributes", "products"),
    input_desc='JSON object with the product texts ("title", "description", "features", "brand"; '
    'when present) and "target attributes"',
    output_desc='JSON list [{"attribute", "value", "source"}] sorted by attribute; "None" when '
    "absent",
    metric="ave_f1",
    output_format="triples",
    split_key="product_id",
    build=build,
    max_new_tokens=256,
    extra={"heldout_attribute_share": HELDOUT_SHARE},
)
