import polars as pl

from ecinstruct import splits


def _cands(n: int, products_per: int = 2, groups: int = 40) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "input": [f"input {i}" for i in range(n)],
            "output": ["yes" if i % 2 else "no" for i in range(n)],
            "product_ids": [
                [f"P{(i + k) % (n + 1)}" for k in range(products_per)] for i in range(n)
            ],
            "group": [f"g{i % groups}" for i in range(n)],
            "drop_reason": [None] * n,
        },
        schema_overrides={"drop_reason": pl.String},
    )


def _universe(n: int, categories=("A", "B", "C")) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "product_id": [f"P{i}" for i in range(n)],
            "source": ["amazon_reviews_2018"] * n,
            "category": [categories[i % len(categories)] for i in range(n)],
        }
    )


def test_ood_by_category_takes_exactly_those_products():
    uni = _universe(30)
    ood = splits.ood_products(uni, {"amazon_reviews_2018": ("B",)}, 0.5, seed=0)
    expected = set(uni.filter(pl.col("category") == "B")["product_id"])
    assert set(ood["product_id"]) == expected


def test_the_universe_has_every_shown_product_with_each_of_its_catalogue_categories():
    from ecinstruct.build import ood_universe, select_tasks
    from ecinstruct.canonical import Canonical, conform

    src = "amazon_reviews_2018"
    canonical = Canonical()
    canonical.tables["reviews"] = conform(
        pl.DataFrame(
            {"product_id": ["A", "B", None, "A", "C"], "source": [src, src, src, src, "other"]}
        ),
        "reviews",
    )
    canonical.tables["relations"] = conform(
        pl.DataFrame({"product_id": ["B"], "related_id": ["D"], "source": [src]}), "relations"
    )
    canonical.tables["products"] = conform(
        pl.DataFrame(
            {
                "product_id": ["A", "B", "B", "C", "E"],
                "source": [src, src, src, src, src],
                "category": ["Tools", "Toys", "Tools", "Tools", "Tools"],
            }
        ),
        "products",
    )
    universe = ood_universe(canonical, select_tasks(()))
    order = ["product_id", "source", "category"]
    assert universe.sort(order, nulls_last=True).rows() == [
        ("A", src, "Tools"),
        ("B", src, "Tools"),
        ("B", src, "Toys"),
        ("C", "other", None),  # no catalogue row from its own source
        ("D", src, None),  # E: in the catalogue alone
    ]
    # A product with several catalogue rows is held out when one of them is.
    ood = splits.ood_products(universe, {src: ("Tools",)}, 0.0, seed=0)
    assert ood["product_id"].to_list() == ["A", "B"]


def test_ood_hash_holdout_is_seeded_and_near_fraction():
    uni = _universe(5000)
    a = splits.ood_products(uni, {}, 0.1, seed=0)
    b = splits.ood_products(uni, {}, 0.1, seed=0)
    c = splits.ood_products(uni, {}, 0.1, seed=1)
    assert a.equals(b)
    assert not a.equals(c)
    assert 400 < a.height < 600


def test_assign_never_mixes_sides_and_respects_quotas():
    cands = _cands(400)
    ood = splits.ood_products(_universe(401), {}, 0.2, seed=3)
    placed = splits.assign(cands, ood, (100, 20, 20, 10), True, seed=3)
    kept = placed.filter(pl.col("drop_reason").is_null())
    held = set(ood["product_id"])
    for split, pids in kept.select("split", "product_ids").iter_rows():
        inside = [p in held for p in pids]
        assert all(inside) if split == "test_ood" else not any(inside)
    counts = dict(kept.group_by("split").len().iter_rows())
    assert counts["train"] <= 100 and counts["validation"] <= 20 and counts["test_ind"] <= 20
    assert counts.get("test_ood", 0) <= 10
    mixed = placed.filter(pl.col("drop_reason") == "straddles_ood")
    assert mixed.height > 0
    for pids in mixed["product_ids"]:
        assert 0 < sum(p in held for p in pids) < len(pids)


def test_group_never_straddles_ind_splits():
    placed = splits.assign(
        _cands(300),
        pl.DataFrame(schema={"product_id": pl.String}),
        (1000, 100, 100, 0),
        False,
        seed=0,
    )
    per_group = placed.group_by("group").agg(pl.col("split").n_unique())
    assert per_group["split"].max() == 1


def test_task_without_ood_drops_held_out_products():
    cands = _cands(200, products_per=1)
    ood = splits.ood_products(_universe(201), {}, 0.3, seed=0)
    placed = splits.assign(cands, ood, (1000, 100, 100, 0), False, seed=0)
    assert "test_ood" not in placed.filter(pl.col("drop_reason").is_null())["split"].to_list()
    assert placed.filter(pl.col("drop_reason") == "ood_product_in_task_without_ood").height > 0


def test_assign_is_deterministic_and_order_independent():
    cands = _cands(300)
    ood = splits.ood_products(_universe(301), {}, 0.1, seed=0)
    a = splits.assign(cands, ood, (50, 10, 10, 10), True, seed=0)
    b = splits.assign(cands.reverse(), ood, (50, 10, 10, 10), True, seed=0)
    # Each row gets the same split and reason whatever the order the rows came in.
    assert a.sort("input").equals(b.sort("input"))
    assert a["input"].to_list() == cands["input"].to_list()


def test_builder_drop_reasons_survive():
    cands = _cands(50).with_columns(
        pl.when(pl.col("input") == "input 7")
        .then(pl.lit("review_too_short"))
        .otherwise(None)
        .alias("drop_reason")
    )
    placed = splits.assign(
        cands, pl.DataFrame(schema={"product_id": pl.String}), (1000, 100, 100, 0), False, 0
    )
    assert placed.filter(pl.col("input") == "input 7")["drop_reason"].item() == "review_too_short"


def test_ood_reasons_do_not_overwrite_a_builders_reason():
    cands = _cands(100).with_columns(pl.lit("non_us_locale").alias("drop_reason"))
    ood = splits.ood_products(_universe(101), {}, 0.5, seed=0)
    placed = splits.assign(cands, ood, (1000, 100, 100, 0), False, seed=0)
    assert set(placed["drop_reason"]) == {"non_us_locale"}


def test_configured_category_decides_products_shared_with_other_sources():
    uni = pl.DataFrame(
        {
            "product_id": ["P1", "P1", "P2", "P2", "P3"],
            "source": [
                "amazon_reviews_2018",
                "amazonqa",
                "amazon_reviews_2018",
                "amazonqa",
                "amazonqa",
            ],
            "category": ["Tools", None, "Toys", None, None],
        }
    )
    # fraction 1.0: every product only unconfigured sources know is held out.
    ood = splits.ood_products(uni, {"amazon_reviews_2018": ("Tools",)}, 1.0, seed=0)
    assert set(ood["product_id"]) == {"P1", "P3"}


def test_cap_ranks_only_usable_rows_and_keeps_row_order():
    df = _cands(60).with_columns(split=pl.lit("train"))
    # Every third row was dropped by its builder: it keeps its reason and is never ranked.
    df = df.with_columns(
        drop_reason=pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("builder_reason"))
    )
    capped = splits.cap(df, (10, 0, 0, 0), seed=0)
    assert capped["input"].to_list() == df["input"].to_list()
    reasons = capped["drop_reason"].value_counts().sort("drop_reason", nulls_last=True)
    assert dict(reasons.iter_rows()) == {"builder_reason": 20, "over_quota": 30, None: 10}
    # The rows kept are the usable ones first in quota order.
    usable = df.filter(pl.col("drop_reason").is_null())
    first = usable.sort(splits.quota_order(0)).head(10)["input"].sort().to_list()
    assert capped.filter(pl.col("drop_reason").is_null())["input"].sort().to_list() == first
    # A second cap of the same frame changes nothing.
    assert splits.cap(capped, (10, 0, 0, 0), seed=0).equals(capped)


def test_unmatched_ood_categories_are_named_with_near_names():
    universe = pl.DataFrame(
        {
            "product_id": ["A", "B", "C", "D", "E"],
            "source": ["s18", "s18", "s18", "s23", "s23"],
            "category": ["Tools & Home Improvement", "Toys & Games", None, None, None],
        }
    )
    found = splits.unmatched_categories(
        universe,
        {
            "s18": ("Toys & Games", "tools & home improvement", "Toys and Games", "Garden"),
            "s23": ("Beauty",),
            "s_all_match": (),
        },
    )
    assert found == {
        "s18": {
            "categories": 2,
            "unmatched": {
                "tools & home improvement": ["Tools & Home Improvement"],
                "Toys and Games": ["Toys & Games"],
                "Garden": [],
            },
        },
        "s23": {"categories": 0, "unmatched": {"Beauty": []}},
    }
    assert splits.unmatched_categories(universe, {"s18": ("Toys & Games",)}) == {}


def test_a_build_records_its_unmatched_ood_categories(small_build):
    _, manifest = small_build
    assert manifest["ood_categories_unmatched"] == {}  # the sample's category is there
