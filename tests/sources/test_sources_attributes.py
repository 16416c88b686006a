from __future__ import annotations

import hashlib

import polars as pl


def test_mave(load, fixtures, reasons):
    tables = load(
        "mave",
        positives=[fixtures / "mave/positives.jsonl"],
        negatives=[fixtures / "mave/negatives.jsonl"],
    )
    products = tables["products"]
    assert products["product_id"].to_list() == ["B0001", "B0002", "B0004"]
    strings = products.row(0, named=True)
    assert strings["title"] == "D'Addario EJ26 Phosphor Bronze Strings"
    assert strings["description"] == "Made of phosphor bronze & steel."
    assert strings["features"] == ["Light gauge"] and strings["brand"] == "D'Addario"
    assert strings["category"] == "Guitar Strings" and strings["categories"] == ["Guitar Strings"]
    assert products.row(2, named=True)["description"] == "A cable."

    attributes = tables["attributes"].select("product_id", "attribute", "value", "value_source")
    assert attributes.rows() == [
        ("B0001", "Core Material", "steel", "description"),
        # Two spans: the one in the earliest paragraph wins.
        ("B0001", "Alloy", "Phosphor Bronze", "title"),
        ("B0002", "Brand", "Elixir", "title"),
        ("B0001", "Gauge Count", None, None),
        ("B0004", "Length", None, None),
    ]
    rejected = tables["rejected"]
    assert reasons(rejected, "positives.jsonl") == {
        2: "bad_reference",
        3: "missing_field",
        4: "duplicate_id",
    }
    # "Alloy" is positive in one file and negative in the other: the later one is refused.
    assert reasons(rejected, "negatives.jsonl") == {1: "duplicate_id"}
    assert "pid" in rejected.filter(pl.col("reason") == "bad_reference")["detail"][0]


def test_oa_mine(load, fixtures, reasons):
    tables = load("oa_mine", files=[fixtures / "oa_mine/oa.jsonl"])
    products = tables["products"]
    assert products["title"].to_list() == [
        "Ellie Shoes Women's 8400, Red Patent, 14 M US",
        "Crocs Women's Jayna Ballet Flat",
    ]
    ids = products["product_id"].to_list()
    assert all(i.startswith("oamine:") for i in ids) and len(set(ids)) == 2
    assert products["category"].to_list() == ["Shoes", "Shoes"]
    attributes = tables["attributes"].select("product_id", "attribute", "value", "value_source")
    assert attributes.rows() == [
        (ids[0], "Brand", "Ellie Shoes", "title"),
        (ids[0], "Gender", "Women's", "title"),
        (ids[0], "Material", None, None),
        (ids[1], "Brand", "Crocs", "title"),
    ]
    assert set(tables["attributes"]["category"]) == {"Shoes"}
    assert reasons(tables["rejected"]) == {3: "empty_text", 4: "duplicate_id", 5: "missing_field"}


def test_oa_mine_ids_are_a_plain_md5_of_the_title(load, fixtures):
    ids = load("oa_mine", files=[fixtures / "oa_mine/oa.jsonl"])["products"]["product_id"]
    title = "Ellie Shoes Women's 8400, Red Patent, 14 M US"
    assert ids[0] == "oamine:" + hashlib.md5(title.encode()).hexdigest()[:16]
