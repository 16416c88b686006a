from __future__ import annotations

import gzip
import hashlib

import polars as pl


def test_amazon2018_reviews(load, fixtures, reasons):
    tables = load("amazon_reviews_2018", reviews=[fixtures / "amazon2018/reviews.json"])
    reviews = tables["reviews"]
    assert reviews["user_id"].to_list() == ["U1", "U2", "U3", "U2"]
    first = reviews.row(0, named=True)
    assert first["product_id"] == "B000000001"
    assert first["text"] == "Great & cheap. Works's fine"
    assert first["helpful_votes"] == 1234
    assert first["rating"] == 5 and first["timestamp"] == 1529193600 and first["verified"] is True
    assert reviews["text"][1] == "it’s good"
    # A review with only a summary loads; its text and empty reviewer name are null.
    assert reviews["text"][2] is None and reviews["summary"][2] == "Five Stars"
    assert reviews["reviewer_name"][2] is None
    # Two different reviews by one user of one item on one day get distinct ids.
    assert reviews["review_id"][3] == reviews["review_id"][1] + "-2"
    assert reviews["review_id"].n_unique() == 4
    key = "\x1f".join(["U1", "B000000001", "1529193600"]).encode()
    assert reviews["review_id"][0] == hashlib.md5(key).hexdigest()[:16]
    assert reasons(tables["rejected"]) == {
        4: "empty_text",
        5: "unknown_label",
        6: "missing_field",
        7: "malformed_json",
        8: "wrong_type",
        10: "duplicate_id",
        12: "wrong_type",
    }
    assert set(tables["rejected"]["file"]) == {"amazon2018/reviews.json"}
    broken = tables["rejected"].filter(pl.col("row") == 7).row(0, named=True)
    assert broken["raw"].startswith('{"overall": 3.0') and broken["source"] == "amazon_reviews_2018"


def test_amazon2018_gzip_and_undecodable_bytes(load, fixtures, reasons, tmp_path):
    plain = (fixtures / "amazon2018/reviews.json").read_bytes()
    bad_line = b'{"overall": 5.0, "reviewerID": "U9", "asin": "B1", "reviewText": "caf\xe9"}\n'
    (tmp_path / "reviews.json.gz").write_bytes(gzip.compress(bad_line + plain))
    tables = load("amazon_reviews_2018", base=tmp_path, reviews=[tmp_path / "reviews.json.gz"])
    assert tables["reviews"]["user_id"].to_list() == ["U1", "U2", "U3", "U2"]
    found = reasons(tables["rejected"])
    assert found[1] == "undecodable_bytes"
    # Line numbers after the refused line are still physical line numbers.
    assert found[8] == "malformed_json" and found[13] == "wrong_type"
    assert tables["rejected"]["file"][0] == "reviews.json.gz"


def test_amazon2018_meta(load, fixtures, reasons):
    tables = load(
        "amazon_reviews_2018",
        reviews=[fixtures / "amazon2018/reviews.json"],
        meta=[fixtures / "amazon2018/meta.json"],
    )
    products = tables["products"]
    assert products["product_id"].to_list() == ["B000000001", "B000000002", "B000000003"]
    card = products.row(0, named=True)
    assert card["title"] == "Gift Card $50"
    assert card["categories"] == ["Gift Cards", "Gift Card & Accessories"]
    assert card["category"] == "Gift Cards"
    assert card["description"] == "Gift card for anything. Second paragraph."
    assert card["features"] == ["Never expires"]
    assert card["price"] == 12.99 and card["brand"] == "Acme"
    shoe = products.row(1, named=True)
    assert shoe["category"] == "AMAZON FASHION" and shoe["price"] == 10.0
    assert shoe["brand"] is None and shoe["categories"] == []
    assert products["price"][2] is None and products["category"][2] == "Toys & Games"
    relations = tables["relations"].select("product_id", "related_id", "relation").rows()
    assert relations == [
        ("B000000001", "B000000002", "also_buy"),
        ("B000000001", "B000000003", "also_buy"),
        ("B000000001", "B000000004", "also_view"),
        ("B000000002", "B000000001", "similar"),
    ]
    assert reasons(tables["rejected"], "meta.json") == {4: "duplicate_id", 5: "missing_field"}


def test_amazon2023(load, fixtures, reasons):
    tables = load(
        "amazon_reviews_2023",
        reviews=[fixtures / "amazon2023/reviews.jsonl"],
        meta=[fixtures / "amazon2023/meta.jsonl"],
    )
    reviews = tables["reviews"]
    assert reviews["product_id"].to_list() == ["B00P000001", "B00A000002"]  # parent, else asin
    assert reviews["timestamp"].to_list() == [1588687728, 1588687728]
    assert reviews["text"][0] == "Works great" and reviews["summary"][1] is None
    assert reviews["helpful_votes"].to_list() == [2, 0]
    assert reasons(tables["rejected"], "reviews.jsonl") == {3: "unknown_label", 4: "missing_field"}
    products = tables["products"]
    assert products["product_id"].to_list() == ["B00P000001", "B00P000002"]
    assert products["brand"].to_list() == ["BrushCo", None]
    assert products["category"].to_list() == ["All Beauty", "Beauty & Personal Care"]
    assert products["price"].to_list() == [9.99, None]
    assert products["features"][0].to_list() == ["Soft"]
    assert tables["relations"].select("product_id", "related_id", "relation").rows() == [
        ("B00P000001", "B00P000002", "bought_together")
    ]
    assert reasons(tables["rejected"], "meta.jsonl") == {3: "duplicate_id"}


def test_amazon_google(load, fixtures, reasons, tmp_path):
    folder = fixtures / "amazon_google"
    tables = load(
        "amazon_google_products",
        amazon=[folder / "Amazon.csv"],
        google=[folder / "GoogleProducts.csv"],
        mapping=[folder / "mapping.csv"],
    )
    products = tables["products"]
    assert products["product_id"].to_list() == [
        "B000JZ4HQO",
        "B00004TKVY",
        "B000G80LQO",
        "google:http://www.google.com/base/feeds/snippets/1",
        "google:http://www.google.com/base/feeds/snippets/2",
        "google:http://www.google.com/base/feeds/snippets/3",
    ]
    noah = products.row(1, named=True)
    assert noah["title"] == "noah's ark activity center"
    assert noah["description"] == "kids' software ® edition"
    assert noah["price"] == 19.99 and noah["category"] == "Software"
    assert products["description"][2] == "accounting, for nonprofits"
    assert products["description"][3] == 'learning "quick" books ®'
    assert products["price"].to_list() == [None, 19.99, 599.99, 38.99, 12.95, None]
    assert set(products["source"]) == {"amazon_google_products"}
    assert tables["matches"].select("left_id", "right_id").rows() == [
        ("B000JZ4HQO", "google:http://www.google.com/base/feeds/snippets/1"),
        ("B00004TKVY", "google:http://www.google.com/base/feeds/snippets/2"),
    ]
    rejected = tables["rejected"]
    assert reasons(rejected, "Amazon.csv") == {
        5: "duplicate_id",
        6: "missing_field",
        7: "malformed_row",
    }
    assert reasons(rejected, "mapping.csv") == {4: "duplicate_id", 5: "unknown_id"}
