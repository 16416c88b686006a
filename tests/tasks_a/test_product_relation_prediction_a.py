from __future__ import annotations

import json

import polars as pl
import pytest

from ecinstruct.tasks import product_relation_prediction as prp

KINDS = list(prp.RELATION_OPTIONS)


def rel(a, b, kind):
    return {"source": "amazon_reviews_2018", "product_id": a, "related_id": b, "relation": kind}


@pytest.fixture
def prp_rows():
    rows = [rel(f"A{i:02d}", f"A{i + 1:02d}", KINDS[i // 2 % 3]) for i in range(0, 60, 2)]
    rows += [rel(f"A{i:02d}", f"A{i + 1:02d}", KINDS[i // 2 % 3]) for i in range(70, 90, 2)]
    rows += [
        rel("A60", "A61", "also_buy"),  # a chain: one component, one group
        rel("A61", "A62", "also_view"),
        rel("A00", "A75", "similar"),  # one OOD product: the split step drops it, not us
        rel("A05", "A05", "also_buy"),  # self pair
        rel("A11", "A10", "also_view"),  # A10-A11 is also_buy above: conflicting
        rel("A21", "A20", KINDS[20 // 2 % 3]),  # the same pair and relation again, reversed
        rel("A02", "A98", "also_buy"),  # A98 has no title
        rel("A03", "ZZZ", "also_view"),  # unknown product
        rel("A04", "A07", "bought_together"),  # not one of this task's relations
        rel("A63", "A64", " Also_Buy "),  # spelled differently
    ]
    return rows


def _usable(df):
    return df.filter(pl.col("drop_reason").is_null())


def test_candidates_and_reasons(kit, prp_rows):
    df = prp.TASK.build(kit.canonical(products=kit.products(), relations=prp_rows), kit.ctx())
    assert df.height == len(prp_rows) - 1  # bought_together is not a candidate
    reasons = dict(df.group_by("drop_reason").len().drop_nulls().iter_rows())
    assert reasons == {
        "self_pair": 1,
        "conflicting_relations": 2,
        "duplicate_pair": 1,
        "missing_title": 2,
    }
    usable = _usable(df)
    assert usable.height == 30 - 1 + 10 + 4
    assert (
        all(len(o) == 3 for o in usable["options"]) and tuple(usable["options"][0]) == prp.OPTIONS
    )
    assert all(o in opts for o, opts in zip(usable["output"], usable["options"], strict=True))


def test_input_and_output(kit, prp_rows):
    df = _usable(
        prp.TASK.build(kit.canonical(products=kit.products(), relations=prp_rows), kit.ctx())
    )
    titles = {p["product_id"]: p["title"] for p in kit.products()}
    expected = {(r["product_id"], r["related_id"]): r["relation"].strip().lower() for r in prp_rows}
    for row in df.iter_rows(named=True):
        a, b = row["product_ids"]
        assert json.loads(row["input"]) == {"product 1": titles[a], "product 2": titles[b]}
        assert row["output"] == prp.RELATION_OPTIONS[expected[(a, b)]]
        assert row["category"] == ("Tools" if a >= "A70" else "Electronics")


def test_groups_follow_components(kit, prp_rows):
    df = _usable(
        prp.TASK.build(kit.canonical(products=kit.products(), relations=prp_rows), kit.ctx())
    )
    group = {tuple(ids): g for ids, g in df.select("product_ids", "group").iter_rows()}
    assert group[("A60", "A61")] == group[("A61", "A62")] == "A60"
    assert group[("A00", "A01")] == group[("A00", "A75")] == "A00"
    assert group[("A74", "A75")] == "A74"  # the mixed pair A00-A75 does not join them
    assert group[("A02", "A03")] != group[("A00", "A01")]


def test_huge_component_falls_back(kit):
    star = [rel(f"A{i:02d}", "A00", "also_view") for i in range(1, 31)]
    rows = star + [rel(f"A{i:02d}", f"A{i + 1:02d}", "also_buy") for i in range(40, 60, 2)]
    df = _usable(prp.TASK.build(kit.canonical(products=kit.products(), relations=rows), kit.ctx()))
    star_groups = df.filter(pl.col("product_ids").list.last() == "A00")["group"]
    assert star_groups.n_unique() == 30  # 30 of 40 pairs is over 5%: product 1's id instead
    assert (
        star_groups
        == df.filter(pl.col("product_ids").list.last() == "A00")["product_ids"].list.first()
    ).all()
    assert df.filter(pl.col("product_ids").list.first() == "A40")["group"].to_list() == ["A40"]


def test_determinism_and_subsample(kit, prp_rows):
    canonical = kit.canonical(products=kit.products(), relations=prp_rows)
    a = prp.TASK.build(canonical, kit.ctx(seed=5, max_candidates=4))
    assert a.equals(prp.TASK.build(canonical, kit.ctx(seed=5, max_candidates=4)))
    b = prp.TASK.build(canonical, kit.ctx(seed=6, max_candidates=4))
    ua, ub = _usable(a), _usable(b)
    ood = ua["product_ids"].list.eval(pl.element().is_in(kit.ood_ids)).list.all()
    assert ood.sum() == 4 and (~ood).sum() == 4
    assert "A75" not in ua["product_ids"].explode().to_list()  # mixed pairs come last
    assert a.filter(pl.col("drop_reason").is_not_null()).height == 6
    assert set(ua["input"]) != set(ub["input"])


def test_golden(kit, prp_rows):
    df = prp.TASK.build(kit.canonical(products=kit.products(), relations=prp_rows), kit.ctx())
    kit.golden_check("product_relation_prediction", df)


def test_templates_render(kit, prp_rows):
    texts = kit.render_check(
        "product_relation_prediction",
        prp.TASK.build(kit.canonical(products=kit.products(), relations=prp_rows), kit.ctx()),
    )
    assert all("option" in t.lower() for t in texts)
