from __future__ import annotations

import json

import polars as pl
import pytest

from ecinstruct.tasks import attribute_value_extraction as ave

BRANDS = ["Nike", "Adidas", "Puma", "Fila", "Asics"]
COLORS = ["Black", "Red", "Navy Blue", "White"]
OOD = [f"oa:{i:02d}" for i in range(30, 40)]
NAMES = ["Brand", "Color", "Material", "Size", "Gender", "Scent", "Flavor", "Volume", "Sport"]


def ave_rows(extra_attribute: str | None = None):
    products, attrs = [], []

    def attr(pid, name, value, source="title"):
        attrs.append(
            {
                "source": "oa_mine",
                "product_id": pid,
                "category": "Shoes",
                "attribute": name,
                "value": value,
                "value_source": source,
            }
        )

    for i in range(40):
        pid, brand, color = f"oa:{i:02d}", BRANDS[i % 5], COLORS[i % 4]
        products.append(
            {
                "product_id": pid,
                "source": "oa_mine",
                "title": f"{brand} Men's Runner {i}",
                "description": f"Lightweight shoe in {color}." if i % 2 else None,
                "features": ["Mesh upper", "Rubber sole"] if i % 3 == 0 else [],
                "category": "Shoes",
            }
        )
        attr(pid, "Brand", brand)
        attr(pid, "Gender", "Men's")
        if i % 2:
            attr(pid, "Color", color, "description")
        if i % 3 == 0:
            attr(pid, "Material", "Mesh", "features")
        attr(pid, "Size", None, None)  # annotated as absent
        attr(pid, NAMES[4 + i % 5], None, None)  # every name is used somewhere
    titled = {"product_id": "", "source": "oa_mine", "category": "Shoes", "features": []}
    products += [
        titled | {"product_id": "oa:40", "title": "Nike Trail Shoe"},
        titled | {"product_id": "oa:41", "title": "Puma Court Shoe"},
        titled | {"product_id": "oa:43", "title": "Fila Walker", "description": "Colour: Red."},
        titled | {"product_id": "oa:44", "title": "Asics Gel White"},
        titled | {"product_id": "oa:45", "title": "Adidas Samba"},
        titled
        | {
            "product_id": "oa:46",
            "title": "Trail Shoe",
            "brand": "Saucony",
            "features": ["Breathable mesh"],
        },
    ]
    attr("oa:40", "Brand", "Reebok")  # not in the text
    attr("oa:41", "Brand", "Puma", "image")  # a field the input does not have
    attr("oa:42", "Brand", "Nike")  # no product text at all
    attr("oa:43", "Color", "Red", None)  # no field named: found in the description
    attr("oa:44", "Color", "Ivory")  # one wrong and one right annotation
    attr("oa:44", "Color", "White")
    attr("oa:44", "Brand", "Asics")
    attr("oa:46", "Brand", "Saucony", "brand")  # MAVE paragraph sources
    attr("oa:46", "Material", "mesh", "bullet")
    if extra_attribute:
        attr("oa:45", extra_attribute, "Adidas")
    return products, attrs


@pytest.fixture
def ave_canonical(kit):
    products, attrs = ave_rows()
    held = ave.heldout_attributes(kit.canonical(attributes=attrs), 0)
    products, attrs = ave_rows(extra_attribute=held[0])  # a product asked only held-out ones
    return kit.canonical(products=products, attributes=attrs)


def _usable(df):
    return df.filter(pl.col("drop_reason").is_null())


def test_heldout_attributes(kit):
    _, attrs = ave_rows()
    canonical = kit.canonical(attributes=attrs)
    held = ave.heldout_attributes(canonical, 0)
    assert len(held) == round(0.15 * len(NAMES)) and set(held) <= set(NAMES)
    assert held == ave.heldout_attributes(canonical, 0)
    names = [f"attr{i}" for i in range(20)]
    many = kit.canonical(attributes=[{"product_id": "p", "attribute": n} for n in names])
    picks = {tuple(ave.heldout_attributes(many, s)) for s in range(6)}
    assert len(picks) > 1 and all(len(p) == 3 for p in picks)
    two = kit.canonical(attributes=[{"product_id": "p", "attribute": n} for n in ("a", "b")])
    assert ave.heldout_attributes(two, 0) == []
    three = kit.canonical(attributes=[{"product_id": "p", "attribute": n} for n in "abc"])
    assert len(ave.heldout_attributes(three, 0)) == 1


def test_reasons(kit, ave_canonical):
    df = ave.TASK.build(ave_canonical, kit.ctx(ood=OOD))
    assert df.height == 47 and df["group"].n_unique() == 47
    reasons = dict(df.select("group", "drop_reason").drop_nulls().iter_rows())
    assert reasons == {
        "oa:40": "value_not_in_text",
        "oa:41": "unknown_value_source",
        "oa:42": "missing_product_text",
        "oa:45": "only_heldout_attributes",
    }


def test_output_triples(kit, ave_canonical):
    df = _usable(ave.TASK.build(ave_canonical, kit.ctx(ood=OOD)))
    assert df["options"].is_null().all()
    for row in df.iter_rows(named=True):
        inp, out = json.loads(row["input"]), json.loads(row["output"])
        targets = inp.pop("target attributes")
        assert targets == sorted(targets) == [t["attribute"] for t in out]
        assert set(inp) <= {"title", "description", "features", "brand"} and all(inp.values())
        for triple in out:
            assert list(triple) == ["attribute", "value", "source"]
            if triple["value"] == "None":
                assert triple["source"] == "None"
            else:
                text = inp[triple["source"]]
                assert triple["value"] in ("\n".join(text) if isinstance(text, list) else text)
    by_id = {r["group"]: json.loads(r["output"]) for r in df.iter_rows(named=True)}
    color = {t["attribute"]: t for t in by_id["oa:43"]}["Color"]
    assert color == {"attribute": "Color", "value": "Red", "source": "description"}
    assert {t["attribute"]: t["value"] for t in by_id["oa:44"]}["Color"] == "White"
    assert [(t["value"], t["source"]) for t in by_id["oa:46"]] == [
        ("Saucony", "brand"),
        ("mesh", "features"),
    ]


def test_heldout_only_in_ood(kit, ave_canonical):
    held = set(ave.heldout_attributes(ave_canonical, 0))
    df = _usable(ave.TASK.build(ave_canonical, kit.ctx(ood=OOD)))
    asked = df.select(
        "group",
        t=pl.col("input").map_elements(
            lambda s: json.loads(s)["target attributes"], return_dtype=pl.List(pl.String)
        ),
    )
    for group, targets in asked.iter_rows():
        if group in OOD:
            continue
        assert held.isdisjoint(targets), group
    ood_targets = set(asked.filter(pl.col("group").is_in(OOD))["t"].explode())
    assert held & ood_targets  # OOD samples may ask held-out attributes


def test_determinism_and_subsample(kit, ave_canonical):
    a = ave.TASK.build(ave_canonical, kit.ctx(ood=OOD, max_candidates=5))
    assert a.equals(ave.TASK.build(ave_canonical, kit.ctx(ood=OOD, max_candidates=5)))
    usable = _usable(a)
    assert usable["group"].is_in(OOD).sum() == 5 and (~usable["group"].is_in(OOD)).sum() == 5
    assert a.filter(pl.col("drop_reason").is_not_null()).height == 4
    b = ave.TASK.build(ave_canonical, kit.ctx(seed=1, ood=OOD, max_candidates=5))
    assert set(usable["group"]) != set(_usable(b)["group"])


def test_golden(kit, ave_canonical):
    kit.golden_check("attribute_value_extraction", ave.TASK.build(ave_canonical, kit.ctx(ood=OOD)))


def test_templates_render(kit, ave_canonical):
    texts = kit.render_check(
        "attribute_value_extraction", ave.TASK.build(ave_canonical, kit.ctx(ood=OOD))
    )
    assert all("JSON" in t and '"None"' in t and "source" in t for t in texts)
