"""Sequential recommendation (SR): a user's purchase history -> the next item among 20 titles.

One candidate per user. Interactions are the user's reviews of products that have a title
(an untitled product cannot be shown), one per product (the first), in time order. Users
with at least 5 such interactions are 5-core: leave-last-out, the last item is the target and
the (at most 50) items before it are the history. Every other user is one dropped candidate
(`user_not_5core`, or `too_few_titled_items` when untitled products are what is missing).

Negatives: 19 items other users interacted with (popularity-comparable to targets, unlike
never-reviewed catalogue items), on the target's OOD side, never one of the user's own items,
all with distinct titles. Titles are cut to 25 words everywhere (history and options), so an
option reads exactly like the same item in a history.

With `ctx.caps`, 5-core users are subsampled by seeded hash before the expensive
steps (per OOD side, see common.subsample); users not drawn are not candidates at all, since
nothing is wrong with them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task, TaskContext, candidates

MIN_INTERACTIONS = 5
MAX_HISTORY = 50
N_OPTIONS = 20
FIELD_WORDS = 25
SALT = "sequential_recommendation"


def _items(canonical: Canonical) -> pl.DataFrame:
    """Reviewed products that have a title (cut to FIELD_WORDS), with brand and categories."""
    reviewed = canonical["reviews"]["product_id"].unique()
    columns = ["title", "brand", "categories", "category"]
    return (
        common.unique_products(canonical["products"], columns, among=reviewed)
        .with_columns(title=common.truncate_words(pl.col("title"), FIELD_WORDS))
        .filter(pl.col("title").is_not_null())
        .select("product_id", "title", "brand", "categories", "category")
    )


def _item_text() -> pl.Expr:
    """One history line's text: title, brand, categories, each cut to FIELD_WORDS words."""
    cats = pl.col("categories").list.unique(maintain_order=True).list.join(", ")
    return pl.concat_str(
        pl.lit("Title: ") + pl.col("title"),
        pl.lit("Brand: ") + common.truncate_words(pl.col("brand"), FIELD_WORDS),
        pl.lit("Categories: ") + common.truncate_words(cats, FIELD_WORDS),
        separator=" | ",
        ignore_nulls=True,
    )


def _interactions(canonical: Canonical, items: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(titled interactions in time order with their position, per-user counts)."""
    reviews = (
        canonical["reviews"]
        .select("user_id", "product_id", "timestamp", "review_id", "source")
        .filter(pl.col("user_id").is_not_null() & pl.col("product_id").is_not_null())
    )
    # The first interaction with each product; ties in time broken by review id.
    first = reviews.sort(["user_id", "timestamp", "review_id", "product_id"], nulls_last=True)
    first = first.filter(pl.struct("user_id", "product_id").is_first_distinct())
    titled = first.filter(pl.col("product_id").is_in(items["product_id"].implode()))
    # Sorted by user, each user's interactions are one run: positions and counts come from
    # the runs' lengths, without grouping by the user id again.
    runs = titled["user_id"].rle().struct.field("len").to_numpy().astype(np.int64)
    starts = np.repeat(np.cumsum(runs) - runs, runs)
    titled = titled.with_columns(
        pos=pl.Series(np.arange(titled.height, dtype=np.int64) - starts),
        n=pl.Series(np.repeat(runs, runs)),
    )
    users = (
        first.group_by("user_id")
        .agg(n_all=pl.len(), source=pl.col("source").min())
        .join(titled.group_by("user_id").agg(n=pl.len()), on="user_id", how="left")
        .with_columns(pl.col("n").fill_null(0))
    )
    return titled, users


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    items = _items(canonical)
    titled, users = _interactions(canonical, items)
    rejected = users.filter(pl.col("n") < MIN_INTERACTIONS).with_columns(
        group=pl.col("user_id"),
        drop_reason=pl.when(pl.col("n_all") >= MIN_INTERACTIONS)
        .then(pl.lit("too_few_titled_items"))
        .otherwise(pl.lit("user_not_5core")),
    )

    # The shown window: the target and up to MAX_HISTORY items before it.
    window = titled.filter(
        (pl.col("n") >= MIN_INTERACTIONS) & (pl.col("pos") >= pl.col("n") - MAX_HISTORY - 1)
    )
    seqs = (
        window.sort(["user_id", "pos"])
        .group_by("user_id", maintain_order=True)
        .agg(
            history_ids=pl.col("product_id").head(pl.len() - 1),
            target_id=pl.col("product_id").last(),
            source=pl.col("source").last(),
        )
        .join(
            items.select(target_id="product_id", target_title="title", category="category"),
            on="target_id",
        )
        .with_columns(drop_reason=pl.lit(None, dtype=pl.String))
    )
    all_ood, any_ood = common.ood_flags(pl.concat_list("history_ids", pl.col("target_id")), ctx)
    seqs = common.subsample(
        seqs,
        ctx.caps,
        key=["user_id"],
        seed=ctx.seed,
        salt=SALT,
        ood=all_ood,
        mixed=any_ood & ~all_ood,
    )

    # Negatives: every title the user ever interacted with is excluded, not only the window.
    pool = (
        titled.select("product_id")
        .unique()
        .join(items, on="product_id")
        .with_columns(side=ctx.is_ood(pl.col("product_id")))
        .sort("product_id")
        .unique(["side", "title"], keep="first", maintain_order=True)
        .select(item="title", side="side", product_id="product_id")
    )
    own_titles = (  # only for the users still in play: the subsample is far smaller than all
        titled.join(seqs.select("user_id"), on="user_id", how="semi")
        .join(items.select("product_id", "title"), on="product_id")
        .group_by("user_id")
        .agg(exclude=pl.col("title").unique())
    )
    anchors = (
        seqs.select("user_id", side=ctx.is_ood(pl.col("target_id")))
        .join(own_titles, on="user_id")
        .rename({"user_id": "key"})
    )
    negatives = (
        common.sample_distinct(anchors, pool, n=N_OPTIONS - 1, seed=ctx.seed, salt=SALT)
        .group_by("key")
        .agg(
            neg_titles=pl.col("item").sort_by("draw"), neg_ids=pl.col("product_id").sort_by("draw")
        )
    )

    seqs = seqs.join(negatives, left_on="user_id", right_on="key", how="left").with_columns(
        drop_reason=pl.when(pl.col("neg_titles").list.len().fill_null(0) < N_OPTIONS - 1).then(
            pl.lit("too_few_negatives")
        )
    )
    # Options: target + negatives, in a seeded order per user.
    opts = (
        seqs.filter(pl.col("drop_reason").is_null())
        .select(
            "user_id",
            title=pl.concat_list(pl.col("target_title"), "neg_titles"),
            pid=pl.concat_list(pl.col("target_id"), "neg_ids"),
        )
        .explode("title", "pid")
        .sort(["user_id", common.hash_key("user_id", "title", seed=ctx.seed, salt=SALT), "title"])
        .group_by("user_id", maintain_order=True)
        .agg(options=pl.col("title"), option_ids=pl.col("pid"))
    )
    seqs = seqs.join(opts, on="user_id", how="left")
    lines = (
        seqs.select("user_id", product_id="history_ids")
        .explode("product_id")
        .with_columns(n=pl.int_range(1, pl.len() + 1).over("user_id").cast(pl.String))
    )
    # Each item's text once, however many histories show it.
    texts = items.join(lines.select("product_id").unique(), on="product_id", how="semi").select(
        "product_id", text=_item_text()
    )
    history = (
        lines.join(texts, on="product_id", maintain_order="left")
        .group_by("user_id", maintain_order=True)
        .agg(input=(pl.col("n") + pl.lit(". ") + pl.col("text")).str.join("\n"))
    )
    built = seqs.join(history, on="user_id", how="left").with_columns(
        output=pl.when(pl.col("drop_reason").is_null()).then(pl.col("target_title")),
        product_ids=pl.concat_list("history_ids", pl.col("option_ids").fill_null([])),
        group=pl.col("user_id"),
    )
    out = pl.concat([candidates(built.sort("user_id")), candidates(rejected.sort("user_id"))])
    return out


TASK = Task(
    name="sequential_recommendation",
    short="SR",
    version="1",
    description="Recommend the next product a user buys, given their purchase history.",
    tables=("reviews", "products"),
    input_desc="the user's history, oldest first: up to 50 items (title, brand, categories; "
    "each at most 25 words)",
    output_desc="the title of the next item, one of 20 options (1 true + 19 sampled negatives)",
    metric="hr@1",
    output_format="option",
    split_key="user_id: one sample per user",
    build=build,
    n_options=N_OPTIONS,
    max_new_tokens=64,
)
