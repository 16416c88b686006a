"""The real public samples in ../shared/data/real, loaded through their sources.toml."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ecinstruct.sources import load_canonical, load_config

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"


@pytest.fixture(scope="module")
def real():
    if not (REAL / "sources.toml").exists():
        pytest.skip("real data samples not present")
    return load_canonical(load_config(REAL / "sources.toml"), progress=False)


def of(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    return frame.filter(pl.col("source") == source)


def test_real_amazon_reviews_2018(real):
    canonical, _ = real
    reviews = of(canonical["reviews"], "amazon_reviews_2018")
    assert reviews.height == 2972
    assert reviews["review_id"].n_unique() == 2972
    assert set(reviews["rating"].unique()) <= {1, 2, 3, 4, 5}
    products = of(canonical["products"], "amazon_reviews_2018")
    assert products.height == 1547
    # HTML in categories and main_cat is gone; the <img alt> main_cat keeps its label.
    categories = products["categories"].explode().drop_nulls()
    assert not categories.str.contains("<").any() and not categories.str.contains("&amp;").any()
    assert products["category"].null_count() == 0
    relations = of(canonical["relations"], "amazon_reviews_2018")
    assert set(relations["relation"]) == {"also_buy", "also_view"}
    counted = relations.group_by("relation").agg(pl.col("product_id").n_unique())
    assert dict(counted.iter_rows()) == {"also_buy": 336, "also_view": 880}


def test_real_amazon_google(real):
    canonical, _ = real
    products = of(canonical["products"], "amazon_google_products")
    assert products.height == 1363 + 3226
    assert products["product_id"].str.starts_with("google:").sum() == 3226
    assert "noah's ark activity center (jewel case ages 3-8)" in products["title"].to_list()
    matches = canonical["matches"]
    assert matches.height == 1300
    assert matches["left_id"].is_in(products["product_id"].implode()).all()


def test_real_mcauley_qa_broken_lines(real):
    canonical, provenance = real
    rejected = of(canonical["rejected"], "mcauley_qa")
    broken = rejected.filter(pl.col("reason") == "malformed_json")
    assert broken["row"].to_list() == [819, 1266, 8671]
    assert broken["file"].unique().to_list() == ["product_qa/qa_Appliances.json"]
    questions = of(canonical["questions"], "mcauley_qa")
    # Every line loads but the 3 broken ones and exact repeats.
    assert questions.height + rejected.height == 9011
    assert set(questions["category"]) == {"Appliances"}
    (record,) = [p for p in provenance if p["file"] == "product_qa/qa_Appliances.json"]
    assert record["rows_read"] == 9011 and record["rows_rejected"] == rejected.height


def test_real_epqa_and_oa_mine(real):
    canonical, _ = real
    questions = of(canonical["questions"], "epqa")
    assert questions.height == 977
    # 10 candidates per question; one candidate in the file is empty.
    assert questions["evidence"].list.len().sum() == 9770 - 1
    attributes = canonical["attributes"]
    assert attributes["value"].null_count() == 0  # no "n/a" in these files
    assert set(attributes["value_source"]) == {"title"}
    products = of(canonical["products"], "oa_mine")
    assert products.height == 1452 + 491 - 5  # 5 titles appear twice


def test_real_provenance(real):
    canonical, provenance = real
    assert canonical.kinds == {
        "amazon_reviews_2018",
        "amazon_google_products",
        "oa_mine",
        "epqa",
        "mcauley_qa",
    }
    assert len(provenance) == 9
    for record in provenance:
        assert set(record) == {
            "kind",
            "key",
            "file",
            "bytes",
            "sha256",
            "rows_read",
            "rows_rejected",
            "rows_out_of_scope",
        }
        assert record["rows_out_of_scope"] == 0  # no real source here has out-of-scope rows
        assert (REAL / record["file"]).stat().st_size == record["bytes"]
        assert len(record["sha256"]) == 64 and record["rows_read"] > 0
    by_file = {p["file"]: p for p in provenance}
    assert by_file["amazon_reviews_2018/meta_Gift_Cards.json"]["rows_read"] == 1547
    assert (
        by_file["amazon_google_products/Amzon_GoogleProducts_perfectMapping.csv"]["rows_read"]
        == 1300
    )
