from __future__ import annotations

import polars as pl
import pytest

from ecinstruct.tasks import sequential_recommendation as sr

EXTRA = [f"B{i:02d}" for i in range(80)]  # more in-distribution items, so long histories fit
LONG_TITLE = " ".join(f"word{i}" for i in range(40))


def _users() -> dict[str, list[str]]:
    ind = [f"A{i:02d}" for i in range(70)]
    ood = [f"A{i:02d}" for i in range(70, 98)]
    users = {f"U{u}": [ind[(u * 11 + 3 * k) % 70] for k in range(6 + u)] for u in range(8)}
    users |= {f"O{u}": [ood[(u * 5 + 3 * k) % 28] for k in range(6)] for u in range(3)}
    users["M0"] = ["A00", "A01", "A02", "A70", "A71", "A72"]  # mixed; target OOD
    users["S0"] = ["A03", "A04", "A05", "A06"]  # 4 interactions: not 5-core
    users["T0"] = ["A07", "A08", "A09", "A10", "A98"]  # 5, but A98 has no title
    users["L0"] = EXTRA[:55]  # longer than the 50-item history window
    users["W0"] = ["A11", "A12", "A13", "A14", "LONG"]  # history with a 40-word title
    return users


@pytest.fixture
def sr_canonical(kit):
    products = kit.products() + [
        {
            "product_id": pid,
            "source": "amazon_reviews_2018",
            "title": f"Extra item {pid}",
            "brand": "Generic",
            "categories": ["Electronics"],
            "category": "Electronics",
        }
        for pid in EXTRA
    ]
    products.append(
        {
            "product_id": "LONG",
            "source": "amazon_reviews_2018",
            "title": LONG_TITLE,
            "categories": ["Electronics"],
            "category": "Electronics",
        }
    )
    reviews = []
    for user, items in _users().items():
        reviews += [kit.review(f"{user}-{k}", user, pid, ts=100 + k) for k, pid in enumerate(items)]
    reviews.append(kit.review("U0-again", "U0", _users()["U0"][0], ts=999))  # a repeat purchase
    # filler users (one or two reviews each) put every product in the negative pool
    pool = [p["product_id"] for p in products]
    reviews += [kit.review(f"F{j}", f"F{j // 2}", pid, ts=1) for j, pid in enumerate(pool)]
    return kit.canonical(products=products, reviews=reviews)


def _usable(df):
    return df.filter(pl.col("drop_reason").is_null())


def test_one_candidate_per_user_with_reasons(kit, sr_canonical):
    df = sr.TASK.build(sr_canonical, kit.ctx())
    n_fillers = (100 + len(EXTRA) + 1 + 1) // 2
    assert df.height == len(_users()) + n_fillers
    assert df["group"].n_unique() == df.height
    reasons = dict(df.group_by("drop_reason").len().drop_nulls().iter_rows())
    assert reasons == {"user_not_5core": n_fillers + 1, "too_few_titled_items": 1}
    by_user = dict(df.select("group", "drop_reason").iter_rows())
    assert by_user["S0"] == "user_not_5core" and by_user["T0"] == "too_few_titled_items"
    assert set(_usable(df)["group"]) == set(_users()) - {"S0", "T0"}


def test_options_target_and_history(kit, sr_canonical):
    df = _usable(sr.TASK.build(sr_canonical, kit.ctx()))
    titles = {
        pid: " ".join(title.split()[: sr.FIELD_WORDS])
        for pid, title in sr_canonical["products"].select("product_id", "title").iter_rows()
        if title
    }
    for row in df.iter_rows(named=True):
        items = _users()[row["group"]]
        opts = row["options"]
        assert len(opts) == sr.N_OPTIONS == len(set(opts))
        assert row["output"] in opts and row["output"] == titles[items[-1]]
        history = row["input"].split("\n")
        assert len(history) == min(len(items) - 1, sr.MAX_HISTORY)
        assert history[-1].startswith(f"{len(history)}. Title: {titles[items[-2]]} |")
        # negatives are never one of the user's own items, nor the target
        own = {titles[p] for p in items}
        assert own.isdisjoint(set(opts) - {row["output"]})
        option_ids = set(row["product_ids"][len(history) :])
        assert items[-1] in option_ids and set(items).isdisjoint(option_ids - {items[-1]})
        assert set(row["product_ids"]) >= set(items[-len(history) - 1 :])


def test_long_fields_cut(kit, sr_canonical):
    df = _usable(sr.TASK.build(sr_canonical, kit.ctx()))
    w0 = df.filter(pl.col("group") == "W0").row(0, named=True)
    target = w0["output"]
    assert len(target.split()) == sr.FIELD_WORDS and LONG_TITLE.startswith(target)
    l0 = df.filter(pl.col("group") == "L0").row(0, named=True)
    assert l0["input"].split("\n")[0].startswith("1. Title: Extra item B04 |")  # oldest 4 cut


def test_negatives_on_the_target_side(kit, sr_canonical):
    df = _usable(sr.TASK.build(sr_canonical, kit.ctx()))
    ood = set(kit.ood_ids)
    for row in df.iter_rows(named=True):
        n_hist = len(row["input"].split("\n"))
        option_ids = set(row["product_ids"][n_hist:])
        assert len(option_ids) == sr.N_OPTIONS
        target_ood = _users()[row["group"]][-1] in ood
        assert all((p in ood) == target_ood for p in option_ids), row["group"]


def test_too_few_negatives(kit):
    products = kit.products()[:30]
    reviews = [kit.review(f"r{k}", "U", f"A{k:02d}", ts=k) for k in range(6)]
    reviews += [kit.review(f"f{k}", f"F{k}", f"A{k:02d}") for k in range(6, 20)]
    df = sr.TASK.build(kit.canonical(products=products, reviews=reviews), kit.ctx())
    row = df.filter(pl.col("group") == "U").row(0, named=True)
    assert row["drop_reason"] == "too_few_negatives"  # 20 items seen, 6 are the user's own


def test_determinism_and_seed(kit, sr_canonical):
    a = sr.TASK.build(sr_canonical, kit.ctx(seed=1))
    assert a.equals(sr.TASK.build(sr_canonical, kit.ctx(seed=1)))
    b = sr.TASK.build(sr_canonical, kit.ctx(seed=2))
    assert a.drop("options", "product_ids").equals(b.drop("options", "product_ids"))
    assert not a["options"].equals(b["options"])


def test_subsample_per_side_mixed_last(kit, sr_canonical):
    df = _usable(sr.TASK.build(sr_canonical, kit.ctx(max_candidates=3)))
    groups = set(df["group"])
    assert len(groups & {"O0", "O1", "O2"}) == 3
    assert len(groups - {"O0", "O1", "O2"}) == 3 and "M0" not in groups


def test_golden(kit, sr_canonical):
    df = sr.TASK.build(sr_canonical, kit.ctx())
    kit.golden_check(
        "sequential_recommendation", df.filter(pl.col("group").is_in(["O0", "U1", "S0", "T0"]))
    )


def test_templates_render(kit, sr_canonical):
    texts = kit.render_check("sequential_recommendation", sr.TASK.build(sr_canonical, kit.ctx()))
    assert "20 candidate products" in texts[0]
