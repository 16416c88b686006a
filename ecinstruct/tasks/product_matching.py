"""Product matching (PM): two product records -> yes if they are the same product, else no.

Positives are the known matches (left record, right record). Each usable positive gets one
negative: the same left record with another record from the right-hand catalogue. Negatives
are hard-ish, so the task is not solved by spotting unrelated products: the candidate sharing
the most title tokens (capped at 3) or the brand with the left record, ties broken by seeded
hash; random from the catalogue only when nothing is similar. A negative is never in the
positive's match component (no known match, nor a match of a match). The right-hand
catalogue is the products whose id namespace (`google:` ...; canonical.py) is a namespace of
the matches' right ids.

group: the connected component of the match graph; a negative takes its positive's group.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task, TaskContext, candidates

OPTIONS = ("yes", "no")
DESCRIPTION_WORDS = 50
SALT = "product_matching"
# Tokens in more than this share of the catalogue say nothing about similarity ("software").
MAX_TOKEN_SHARE = 0.05
# Bounds that keep the candidate search linear in the catalogue: a token shared by more pool
# products than this is not rare enough to pick a hard negative, and a brand offers at most
# this many (seeded-hash chosen) candidates. Without them a large catalogue gives billions of
# candidate pairs.
MAX_TOKEN_POSTINGS = 50
MAX_PER_BRAND = 25


def _namespace(expr: pl.Expr) -> pl.Expr:
    return expr.str.extract(r"^([^:]+):", 1).fill_null("")


def _tokens(df: pl.DataFrame, id_col: str) -> pl.DataFrame:
    return (
        df.select(id_col, token=pl.col("title").str.to_lowercase().str.extract_all(r"[a-z0-9]+"))
        .explode("token")
        .filter(pl.col("token").str.len_chars() >= 2)
        .unique()
    )


def _record(prefix: str) -> pl.Expr:
    """One product's JSON object: title, description (cut), manufacturer, price."""
    cents = (pl.col(f"price{prefix}") * 100).round().cast(pl.Int64)
    price = pl.when(cents > 0).then(
        (cents // 100).cast(pl.String) + pl.lit(".") + (cents % 100).cast(pl.String).str.zfill(2)
    )
    return common.json_object(
        {
            "title": common.json_value(pl.col(f"title{prefix}")),
            "description": common.json_value(
                common.truncate_words(pl.col(f"description{prefix}"), DESCRIPTION_WORDS)
            ),
            "manufacturer": common.json_value(pl.col(f"brand{prefix}")),
            "price": price,
        }
    )


def _hard_negatives(
    pos: pl.DataFrame, products: pl.DataFrame, pool: pl.DataFrame, comp: pl.DataFrame, seed: int
) -> pl.DataFrame:
    """Per left id, its `k` best-scoring candidates (left_id, right_id, rank)."""
    lefts = pos.group_by("left_id").agg(k=pl.len(), side=pl.col("side").first())
    left_info = lefts.join(
        products.select("product_id", "title", "brand"),
        left_on="left_id",
        right_on="product_id",
        how="left",
    )
    pool_tokens = _tokens(pool, "product_id")
    common_tokens = (
        pool_tokens.group_by("token")
        .agg(df=pl.len())
        .filter(pl.col("df") <= min(max(1, MAX_TOKEN_SHARE * pool.height), MAX_TOKEN_POSTINGS))
    )
    by_token = (
        _tokens(left_info, "left_id")
        .join(common_tokens.select("token"), on="token")
        .join(pool_tokens, on="token")
        .group_by("left_id", "product_id")
        .agg(shared=pl.len())
    )
    by_brand = (
        left_info.filter(pl.col("brand").is_not_null())
        .select("left_id", b=pl.col("brand").str.to_lowercase())
        .join(
            pool.filter(pl.col("brand").is_not_null())
            .select("product_id", b=pl.col("brand").str.to_lowercase())
            .filter(
                common.hash_key("product_id", seed=seed, salt=SALT).rank("ordinal").over("b")
                <= MAX_PER_BRAND
            ),
            on="b",
        )
        .select("left_id", "product_id", same_brand=pl.lit(True))
    )
    cand = (
        by_token.join(by_brand, on=["left_id", "product_id"], how="full", coalesce=True)
        .with_columns(pl.col("shared").fill_null(0), pl.col("same_brand").fill_null(False))
        .join(lefts.select("left_id", "k", "side"), on="left_id")
        .join(pool.select("product_id", "side"), on=["product_id", "side"], how="semi")
        .join(comp.rename({"node": "left_id", "component": "c_left"}), on="left_id", how="left")
        .join(
            comp.rename({"node": "product_id", "component": "c_right"}), on="product_id", how="left"
        )
        .filter((pl.col("c_left") != pl.col("c_right")).fill_null(True))
        .filter(pl.col("product_id") != pl.col("left_id"))
        .with_columns(
            score=pl.min_horizontal("shared", 3) + 2 * pl.col("same_brand").cast(pl.Int64)
        )
    )
    return (
        cand.sort(
            "left_id",
            pl.col("score"),
            common.hash_key("left_id", "product_id", seed=seed, salt=SALT),
            "product_id",
            descending=[False, True, False, False],
        )
        .filter(pl.int_range(pl.len()).over("left_id") < pl.col("k"))
        .select("left_id", right_id="product_id", rank=pl.int_range(pl.len()).over("left_id"))
    )


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    products = common.unique_products(
        canonical["products"], ["title", "description", "brand", "price", "category"]
    )
    left, right = pl.col("left_id"), pl.col("right_id")
    matches = (
        canonical["matches"]
        .join(
            products.select("product_id", "title"),
            left_on="left_id",
            right_on="product_id",
            how="left",
        )
        .join(
            products.select("product_id", title_r="title"),
            left_on="right_id",
            right_on="product_id",
            how="left",
        )
        .sort("left_id", "right_id", "source", nulls_last=True)
        .with_columns(
            drop_reason=common.first_reason(
                (left.is_null() | right.is_null(), "missing_product_id"),
                (left == right, "self_pair"),
                (pl.col("title").is_null() | pl.col("title_r").is_null(), "missing_title"),
            )
        )
    )
    first = pl.struct(
        lo=pl.min_horizontal(left, right),
        hi=pl.max_horizontal(left, right),
        ok=pl.col("drop_reason").is_null(),
    ).is_first_distinct()
    matches = matches.with_columns(
        drop_reason=pl.coalesce("drop_reason", pl.when(~first).then(pl.lit("duplicate_pair"))),
        side=ctx.is_ood(left),
        label=pl.lit("yes"),
    )
    # A large catalogue holds far more matches than the quotas use: sample positives (per OOD
    # side) before the negative search, whose cost grows with them.
    if ctx.caps is not None:
        matches = common.subsample(
            matches,
            tuple(cap // 2 for cap in ctx.caps),
            key=["left_id", "right_id"],
            seed=ctx.seed,
            salt=SALT,
            ood=pl.col("side"),
            mixed=pl.col("side") != ctx.is_ood(right),
        )
    pos = matches.filter(pl.col("drop_reason").is_null())
    comp = common.connected_components(pos.select(a="left_id", b="right_id"))

    right_spaces = pos.select(_namespace(right)).unique().to_series()
    pool = products.filter(
        pl.col("title").is_not_null()
        & _namespace(pl.col("product_id")).is_in(right_spaces.implode())
    ).with_columns(side=ctx.is_ood(pl.col("product_id")))
    hard = _hard_negatives(pos, products, pool, comp, ctx.seed)

    # Random fill for left ids without enough similar candidates.
    need = (
        pos.group_by("left_id")
        .agg(k=pl.len(), side=pl.col("side").first())
        .join(
            hard.group_by("left_id").agg(found=pl.len(), got=pl.col("right_id")),
            on="left_id",
            how="left",
        )
        .with_columns(n=pl.col("k") - pl.col("found").fill_null(0))
        .filter(pl.col("n") > 0)
        .join(comp.rename({"node": "left_id"}), on="left_id", how="left")
        .join(comp.group_by("component").agg(members=pl.col("node")), on="component", how="left")
        .select(
            key="left_id",
            side="side",
            n="n",
            found=pl.col("found").fill_null(0),
            exclude=pl.concat_list(
                pl.col("members").fill_null([]), pl.col("got").fill_null([]), pl.col("left_id")
            ),
        )
    )
    filled = common.sample_distinct(
        need, pool.select(item="product_id", side="side"), n="n", seed=ctx.seed, salt=SALT
    ).join(need.select("key", "found"), on="key")
    negatives = pl.concat(
        [
            hard,
            filled.select(left_id="key", right_id="item", rank=pl.col("draw") + pl.col("found")),
        ]
    )
    # The i-th positive of a left id (by right id) gets its i-th negative.
    neg = (
        pos.select("left_id", "right_id", "source", "side")
        .with_columns(rank=pl.int_range(pl.len()).over("left_id"))
        .join(negatives.rename({"right_id": "neg_id"}), on=["left_id", "rank"], how="left")
        .select(
            "left_id",
            "source",
            right_id="neg_id",
            label=pl.lit("no"),
            positive_of="right_id",
            drop_reason=pl.when(pl.col("neg_id").is_null()).then(pl.lit("too_few_negatives")),
        )
    )
    df = pl.concat([matches.drop("title", "title_r", "side"), neg], how="diagonal")

    groups = common.pair_groups(pos, left="left_id", right="right_id")
    group_of = pos.select("left_id", "right_id", group=groups)
    df = (
        df.with_columns(_pos_right=pl.coalesce("positive_of", "right_id"))
        .join(group_of.rename({"right_id": "_pos_right"}), on=["left_id", "_pos_right"], how="left")
        .join(
            products.rename(lambda c: c + "_l"),
            left_on="left_id",
            right_on="product_id_l",
            how="left",
        )
        .join(
            products.rename(lambda c: c + "_r"),
            left_on="right_id",
            right_on="product_id_r",
            how="left",
        )
    )
    return candidates(
        df.with_columns(
            input=common.json_object({"product 1": _record("_l"), "product 2": _record("_r")}),
            options=pl.lit(list(OPTIONS), dtype=pl.List(pl.String)),
            output=pl.col("label"),
            product_ids=pl.concat_list(left, right).list.drop_nulls(),
            category=pl.coalesce("category_l", "category_r"),
            group=pl.coalesce("group", left, right),
        ).sort("left_id", "right_id", "label", "source", nulls_last=True)
    )


TASK = Task(
    name="product_matching",
    short="PM",
    version="1",
    description="Decide whether two product records (title, description, manufacturer, price) "
    "describe the same product.",
    tables=("matches", "products"),
    input_desc='JSON object {"product 1": {...}, "product 2": {...}} with title, description '
    "(at most 50 words), manufacturer, price (each when known)",
    output_desc="yes / no (one sampled non-match per match)",
    metric="f1_yes",
    output_format="option",
    split_key="connected component of the match graph (a negative goes with its positive)",
    build=build,
    options=OPTIONS,
    n_options=len(OPTIONS),
    has_ood=False,
    sizes=(2022, 253, 253, 0),
    max_new_tokens=8,
)
