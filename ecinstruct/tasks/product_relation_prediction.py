"""Product relation prediction (PRP): two product titles -> also buy / also view / similar.

One candidate per relation row (also_buy, also_view, similar; other relation kinds are not
this task's). A pair is asked about once: the same unordered pair listed again with the same
relation (e.g. both directions) is a `duplicate_pair`; listed with different relations it
has no single answer, so all its rows are `conflicting_relations`.

group: the connected component of the usable pairs' graph, so a product's pairs stay in one
split; a component holding over 5% of the pairs falls back to product 1's id
(common.pair_groups). Pairs mixing OOD and other products (the split step drops them) are
left out of the graph and grouped by product 1's id.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task, TaskContext, candidates

RELATION_OPTIONS: dict[str, str] = {
    "also_buy": "Users who buy product 1 may also buy product 2.",
    "also_view": "Users who view product 1 may also view product 2.",
    "similar": "Product 1 is similar to product 2.",
}
OPTIONS = tuple(RELATION_OPTIONS.values())
SALT = "product_relation_prediction"


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    titles = common.unique_products(canonical["products"], ["title", "category"])
    a, b = pl.col("product_id"), pl.col("related_id")
    order = ["product_id", "related_id", "relation", "source"]
    # Millions of relation rows: whether a product has a title is a lookup; the titles
    # themselves are joined on only for the rows the subsample keeps.
    titled = titles.filter(pl.col("title").is_not_null())["product_id"].implode()
    df = (
        canonical["relations"]
        .with_columns(relation=pl.col("relation").str.strip_chars().str.to_lowercase())
        .filter(pl.col("relation").is_in(list(RELATION_OPTIONS)))
        .with_columns(
            _t1=a.is_in(titled),
            _t2=b.is_in(titled),
            _lo=pl.min_horizontal(a, b),
            _hi=pl.max_horizontal(a, b),
        )
    )
    row_ok = a.is_not_null() & b.is_not_null() & (a != b) & pl.col("_t1")
    df = df.with_columns(
        _ok=row_ok & pl.col("_t2"),
        _k=common.hash_key(a, b, "source", seed=0, salt=SALT),
    )
    # Of the rows listing one pair with one relation, the one with the smallest content hash
    # of (product_id, related_id, source) is kept: chosen by content, not row order, and with
    # no global sort of millions of rows.
    same = ["_lo", "_hi", "relation", "_ok"]
    df = df.with_columns(
        # relation kinds per unordered pair, over rows that pass the row checks
        _kinds=pl.col("relation").filter("_ok").n_unique().over("_lo", "_hi"),
        _first=(pl.col("_k") == pl.col("_k").min().over(same)).fill_null(False)
        & pl.struct(*same, "_k").is_first_distinct(),
    ).with_columns(
        drop_reason=common.first_reason(
            (a.is_null() | b.is_null(), "missing_product_id"),
            (a == b, "self_pair"),
            (~pl.col("_t1") | ~pl.col("_t2"), "missing_title"),
            (pl.col("_kinds") > 1, "conflicting_relations"),
            (~pl.col("_first"), "duplicate_pair"),
        )
    )
    all_ood = ctx.is_ood(a) & ctx.is_ood(b)
    mixed = (ctx.is_ood(a) | ctx.is_ood(b)) & ~all_ood
    df = common.subsample(
        df,
        ctx.caps,
        key=["_lo", "_hi"],
        seed=ctx.seed,
        salt=SALT,
        ood=all_ood,
        mixed=mixed,
    ).sort(order, nulls_last=True)
    df = df.join(titles, on="product_id", how="left", maintain_order="left").join(
        titles.select("product_id", title_2="title"),
        left_on="related_id",
        right_on="product_id",
        how="left",
        maintain_order="left",
    )

    # Pairs mixing OOD and other products never reach a split; left in the graph they would
    # only glue components together.
    usable = df.filter(pl.col("drop_reason").is_null() & ~mixed)
    groups = usable.select("product_id", "related_id", "relation", "source").with_columns(
        group=common.pair_groups(usable, left="product_id", right="related_id")
    )
    df = df.join(
        groups,
        on=["product_id", "related_id", "relation", "source"],
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    return candidates(
        df.with_columns(
            input=common.json_object(
                {
                    "product 1": common.json_value(pl.col("title")),
                    "product 2": common.json_value(pl.col("title_2")),
                }
            ),
            options=pl.lit(list(OPTIONS), dtype=pl.List(pl.String)),
            output=pl.col("relation").replace_strict(
                RELATION_OPTIONS, default=None, return_dtype=pl.String
            ),
            product_ids=pl.concat_list(a, b),
            group=pl.coalesce("group", a, b),
        )
    )


TASK = Task(
    name="product_relation_prediction",
    short="PRP",
    version="1",
    description="Predict how two products are related: also bought, also viewed, or similar.",
    tables=("relations", "products"),
    input_desc='JSON object {"product 1": title, "product 2": title}',
    output_desc="one of 3 options: also buy / also view / similar",
    metric="macro_f1",
    output_format="option",
    split_key="connected component of the usable pair graph (product 1's id when a component "
    "holds over 5% of the pairs)",
    build=build,
    options=OPTIONS,
    n_options=len(OPTIONS),
    max_new_tokens=32,
)
