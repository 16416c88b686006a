from __future__ import annotations

import polars as pl
import pytest


@pytest.fixture
def esci_files(tmp_path):
    """Small ESCI Parquet files in the published schema (types as published)."""
    examples = pl.DataFrame(
        {
            "example_id": [0, 1, 2, 3, 4, 5, 6],
            "query": [
                "usb cable",
                "usb cable",
                "usb cable",
                "cable usb",
                "lamp",
                "lamp",
                "<b> </b>",
            ],
            "query_id": [1, 1, 1, 2, 3, 3, 4],
            "product_id": ["b0a", "B0B", "B0C", "B0D", "B0E", "B0E", "B0F"],
            "product_locale": ["us", "us", "us", "es", "us", "us", "us"],
            "esci_label": ["E", "I", "X", "E", "S", "S", "E"],
            "small_version": [1, 0, 1, 1, 0, 0, 1],
            "large_version": [1, 1, 1, 1, 1, 1, 1],
            "split": ["train"] * 7,
        }
    )
    products = pl.DataFrame(
        {
            "product_id": ["B0A", "B0B", "B0D", "B0A", None],
            "product_title": ["USB-C Cable", "Desk Lamp", "Cable", "dup", "no id"],
            "product_description": ["<p>Fast &amp; durable</p>", None, "x", None, None],
            "product_bullet_point": ["1m long\nBraided\n", None, None, None, None],
            "product_brand": ["Anker", "", None, None, None],
            "product_color": ["black", None, None, None, None],
            "product_locale": ["us", "us", "es", "us", "us"],
        }
    )
    examples.write_parquet(tmp_path / "examples.parquet")
    products.write_parquet(tmp_path / "products.parquet")
    return tmp_path


def test_esci(load, esci_files, reasons):
    tables = load(
        "esci",
        base=esci_files,
        examples=[esci_files / "examples.parquet"],
        products=[esci_files / "products.parquet"],
    )
    judgments = tables["judgments"]
    assert judgments.select("query_id", "query", "product_id", "label", "small_version").rows() == [
        ("1", "usb cable", "B0A", "E", True),
        ("1", "usb cable", "B0B", "I", False),
        ("3", "lamp", "B0E", "S", False),
    ]
    assert set(judgments["locale"]) == {"us"}
    assert reasons(tables["rejected"], "examples.parquet") == {
        3: "unknown_label",
        6: "duplicate_id",
        7: "empty_text",
    }
    products = tables["products"]
    assert products["product_id"].to_list() == ["B0A", "B0B"]
    cable = products.row(0, named=True)
    assert cable["description"] == "Fast & durable"
    assert cable["features"] == ["1m long", "Braided"]
    assert cable["brand"] == "Anker" and products["brand"][1] is None
    assert reasons(tables["rejected"], "products.parquet") == {
        4: "duplicate_id",
        5: "missing_field",
    }
