from __future__ import annotations

import polars as pl
import pytest

from ecinstruct.tasks import sentiment_analysis as sa
from ecinstruct.tasks.base import CANDIDATE_SCHEMA


@pytest.fixture
def sa_canonical(kit):
    texts = [
        "Absolutely love it, charges my phone quickly and the cable feels very sturdy",
        "Works fine for the price although the plastic case scratches a little too easily",
        "It does what it says, nothing more and nothing less, an average gadget overall",
        "Stopped working after two weeks and the seller never answered any of my emails",
        "Complete waste of money, it broke the first day and smelled like burning plastic",
    ]
    rows = [
        kit.review(
            f"r{i:03d}",
            f"U{i}",
            f"A{i % 90:02d}",
            rating=5 - i % 5,
            text=f"{texts[i % 5]} (order {i})",
        )
        for i in range(90)
    ]
    rows += [
        kit.review("x1", "U1", "A01", rating=4, text="Good value, would buy again"),  # too short
        kit.review("x2", "U2", "A02", rating=4, text=None),  # no text at all
        kit.review("x3", "U3", "A03", rating=0, text=texts[0] + " again and again"),  # bad rating
        # a copy of r000 on a product variant, differing only in case
        kit.review("x4", "U4", "A04", rating=5, text=rows[0]["text"].upper()),
    ]
    return kit.canonical(products=kit.products(), reviews=rows)


def test_samples_and_drop_reasons(kit, sa_canonical):
    df = sa.TASK.build(sa_canonical, kit.ctx())
    assert df.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert df.height == 94
    reasons = dict(df.group_by("drop_reason").len().drop_nulls().iter_rows())
    assert reasons == {"review_too_short": 2, "invalid_rating": 1, "duplicate_review_text": 1}
    usable = df.filter(pl.col("drop_reason").is_null())
    assert usable.height == 90
    assert usable["options"].to_list()[0] == list(sa.OPTIONS) and len(sa.OPTIONS) == 5
    assert all(o in opts for o, opts in zip(usable["output"], usable["options"], strict=True))
    # the summary ("Five Stars") would give the rating away and is never shown
    assert not usable["input"].str.contains("Five Stars").any()
    assert (usable["input"].str.count_matches(r"\S+") >= sa.MIN_WORDS).all()


def test_rating_maps_to_option(kit, sa_canonical):
    df = sa.TASK.build(sa_canonical, kit.ctx()).filter(pl.col("drop_reason").is_null())
    got = dict(
        df.select(pl.col("input").str.extract(r"order (\d+)").cast(pl.Int64), "output").iter_rows()
    )
    for i, out in got.items():
        assert out == sa.OPTIONS[i % 5]  # fixture rating is 5 - i % 5
    assert set(got.values()) == set(sa.OPTIONS)


def test_group_product_and_category(kit, sa_canonical):
    df = sa.TASK.build(sa_canonical, kit.ctx()).filter(pl.col("drop_reason").is_null())
    assert (df["group"] == df["product_ids"].list.first()).all()
    assert (df["product_ids"].list.len() == 1).all()
    ood = df.filter(pl.col("group").is_in(kit.ood_ids))
    assert ood.height > 0 and (ood["category"] == "Tools").all()


def test_determinism_and_subsample(kit, sa_canonical):
    a = sa.TASK.build(sa_canonical, kit.ctx(seed=3, max_candidates=10))
    b = sa.TASK.build(sa_canonical, kit.ctx(seed=3, max_candidates=10))
    c = sa.TASK.build(sa_canonical, kit.ctx(seed=4, max_candidates=10))
    assert a.equals(b)
    usable = a.filter(pl.col("drop_reason").is_null())
    is_ood = usable["group"].is_in(kit.ood_ids)
    # at most 10 per side, both sides served; every rejection is still there
    assert is_ood.sum() == 10 and (~is_ood).sum() == 10
    assert a.filter(pl.col("drop_reason").is_not_null()).height == 4
    assert set(usable["input"]) != set(c.filter(pl.col("drop_reason").is_null())["input"])


def test_golden(kit, sa_canonical):
    kit.golden_check("sentiment_analysis", sa.TASK.build(sa_canonical, kit.ctx()))


def test_templates_render(kit, sa_canonical):
    texts = kit.render_check("sentiment_analysis", sa.TASK.build(sa_canonical, kit.ctx()))
    assert all("option" in t.lower() for t in texts)
