from __future__ import annotations

import json

import polars as pl
import pytest

from ecinstruct.tasks import product_matching as pm

BRANDS = ["adobe", "microsoft", "apple", "corel", "intuit", "symantec"]
KINDS = ["photo editor", "office suite", "antivirus", "tax software", "video studio"]


def product(pid, title, brand=None, price=None, words=55):
    description = " ".join(f"{title.split()[-1]}-detail{k}" for k in range(words))
    return {
        "product_id": pid,
        "source": "amazon_google_products",
        "title": title,
        "description": description,
        "brand": brand,
        "price": price,
    }


def pm_products() -> list[dict]:
    rows = []
    for i in range(12):
        brand, kind = BRANDS[i % 6], KINDS[i % 5]
        rows.append(product(f"AMZ{i:02d}", f"{brand} {kind} version {i}", brand, 19.99 + i))
        rows.append(product(f"google:{i}", f"{brand.title()} {kind.title()} v{i}", None, 18.5 + i))
    rows.append(product("google:12", "adobe photo editor version 0 upgrade", "adobe", 9.0))
    # non-matching catalogue entries: the negative pool
    rows += [
        product(f"google:x{j}", f"{BRANDS[j % 6]} {KINDS[j % 5]} deluxe {j}", BRANDS[j % 6], 0.0)
        for j in range(30)
    ]
    rows.append(product("AMZ99", "qwerty zxcvb", "nobrand", 5.0))  # nothing similar in the pool
    return rows


def match(a, b):
    return {"source": "amazon_google_products", "left_id": a, "right_id": b}


@pytest.fixture
def pm_canonical(kit):
    matches = [match(f"AMZ{i:02d}", f"google:{i}") for i in range(12)]
    matches += [
        match("AMZ00", "google:12"),  # a second match of AMZ00
        match("AMZ99", "google:x29"),
        match("AMZ01", "AMZ01"),  # self pair
        match("AMZ02", "google:missing"),  # no such product
        match("AMZ03", "google:3"),  # listed twice
        match("google:4", "AMZ04"),  # listed again, reversed
    ]
    return kit.canonical(products=pm_products(), matches=matches)


def _usable(df):
    return df.filter(pl.col("drop_reason").is_null())


def test_positives_negatives_and_reasons(kit, pm_canonical):
    df = pm.TASK.build(pm_canonical, kit.ctx())
    reasons = dict(df.group_by("drop_reason").len().drop_nulls().iter_rows())
    assert reasons == {"self_pair": 1, "missing_title": 1, "duplicate_pair": 2}
    usable = _usable(df)
    counts = dict(usable.group_by("output").len().iter_rows())
    assert counts == {"yes": 14, "no": 14}  # 1:1
    assert all(list(o) == ["yes", "no"] for o in usable["options"])


def test_negatives_are_not_matches(kit, pm_canonical):
    df = _usable(pm.TASK.build(pm_canonical, kit.ctx()))
    pos = {tuple(p) for p in df.filter(pl.col("output") == "yes")["product_ids"]}
    neg = [tuple(p) for p in df.filter(pl.col("output") == "no")["product_ids"]]
    assert len(set(neg)) == len(neg)
    matched = {(a, b) for a, b in pos} | {(b, a) for a, b in pos}
    for left, right in neg:
        assert right.startswith("google:") and (left, right) not in matched
    # AMZ00 matches google:0 and google:12, so neither is its negative
    assert {r for left, r in neg if left == "AMZ00"}.isdisjoint({"google:0", "google:12"})


def test_negatives_are_hard_when_possible(kit, pm_canonical):
    df = _usable(pm.TASK.build(pm_canonical, kit.ctx())).filter(pl.col("output") == "no")
    for row in df.iter_rows(named=True):
        p1, p2 = (json.loads(row["input"])[k] for k in ("product 1", "product 2"))
        if row["product_ids"][0] == "AMZ99":
            continue  # nothing similar exists: a random pool entry
        shared = set(p1["title"].lower().split()) & set(p2["title"].lower().split())
        assert shared - {"version"} or p1.get("manufacturer") == p2.get("manufacturer")


def test_input_fields(kit, pm_canonical):
    df = _usable(pm.TASK.build(pm_canonical, kit.ctx()))
    row = df.filter(pl.col("product_ids").list.first() == "AMZ05").row(0, named=True)
    obj = json.loads(row["input"])
    assert list(obj) == ["product 1", "product 2"]
    assert obj["product 1"]["title"] == "symantec photo editor version 5"
    assert obj["product 1"]["manufacturer"] == "symantec" and obj["product 1"]["price"] == 24.99
    assert len(obj["product 1"]["description"].split()) == pm.DESCRIPTION_WORDS
    assert "manufacturer" not in obj["product 2"]  # unknown fields are left out
    # a price of 0 means "unknown" in the catalogue: left out, not shown as free
    pool_rows = [
        json.loads(i)["product 2"]
        for i, ids in zip(df["input"], df["product_ids"], strict=True)
        if ids[1].startswith("google:x")
    ]
    assert pool_rows and not any("price" in p for p in pool_rows)


def test_groups_are_match_components(kit, pm_canonical):
    df = _usable(pm.TASK.build(pm_canonical, kit.ctx()))
    amz00 = df.filter(pl.col("product_ids").list.first() == "AMZ00")
    assert amz00.height == 4 and amz00["group"].n_unique() == 1
    assert df["group"].n_unique() == 13


def test_too_few_negatives(kit):
    products = [product("AMZ00", "adobe photo editor"), product("google:0", "adobe photo")]
    canonical = kit.canonical(products=products, matches=[match("AMZ00", "google:0")])
    df = pm.TASK.build(canonical, kit.ctx())
    assert df.filter(pl.col("output") == "no")["drop_reason"].to_list() == ["too_few_negatives"]


def test_determinism(kit, pm_canonical):
    a = pm.TASK.build(pm_canonical, kit.ctx(seed=7))
    assert a.equals(pm.TASK.build(pm_canonical, kit.ctx(seed=7)))
    b = pm.TASK.build(pm_canonical, kit.ctx(seed=8))
    assert a.filter(pl.col("output") == "yes").equals(b.filter(pl.col("output") == "yes"))
    assert not a.equals(b)


def test_golden(kit, pm_canonical):
    kit.golden_check(
        "product_matching", pm.TASK.build(pm_canonical, kit.ctx()), n_usable=3, n_dropped=1
    )


def test_templates_render(kit, pm_canonical):
    texts = kit.render_check("product_matching", pm.TASK.build(pm_canonical, kit.ctx()))
    assert all("yes" in t and "no" in t for t in texts)
