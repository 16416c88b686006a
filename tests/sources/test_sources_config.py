from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ecinstruct.errors import UserError
from ecinstruct.sources import ADAPTERS, load_config

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"


@pytest.fixture
def folder(tmp_path, fixtures):
    shutil.copy(fixtures / "amazon2018/reviews.json", tmp_path / "reviews.json")
    shutil.copy(fixtures / "amazon2018/meta.json", tmp_path / "meta.json")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error(path: Path) -> str:
    with pytest.raises(UserError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_valid_config(folder):
    path = write(
        folder,
        '[amazon_reviews_2018]\nreviews = "reviews.json"\nmeta = ["meta.json"]\n'
        'ood_categories = ["Toys & Games"]\n',
    )
    (spec,) = load_config(path)
    assert spec.kind == "amazon_reviews_2018"
    assert spec.files == {"reviews": [folder / "reviews.json"], "meta": [folder / "meta.json"]}
    assert spec.ood_categories == ("Toys & Games",)
    assert spec.config_path == path
    assert spec.display(spec.files["meta"][0]) == "meta.json"


def test_repeated_kind_as_array_of_tables(folder):
    path = write(
        folder,
        '[[amazon_reviews_2018]]\nreviews = "reviews.json"\n'
        '[[amazon_reviews_2018]]\nreviews = "meta.json"\n',
    )
    assert [s.files["reviews"][0].name for s in load_config(path)] == ["reviews.json", "meta.json"]


def test_missing_config(tmp_path):
    message = error(tmp_path / "nope.toml")
    assert "nope.toml" in message and "not found" in message


def test_toml_syntax_error(folder):
    message = error(write(folder, "[amazon_reviews_2018\nreviews = 'x'\n"))
    assert "sources.toml" in message and "TOML syntax error" in message


def test_unknown_kind_lists_known_ones(folder):
    message = error(write(folder, '[amazon_reviews_2019]\nreviews = "reviews.json"\n'))
    assert "amazon_reviews_2019" in message
    assert all(kind in message for kind in ADAPTERS)


def test_unknown_key_lists_allowed_ones(folder):
    message = error(
        write(folder, '[amazon_reviews_2018]\nreviews = "reviews.json"\nreview = "x"\n')
    )
    assert "'review'" in message and "reviews, meta, ood_categories" in message


def test_missing_required_key(folder):
    message = error(write(folder, '[amazon_reviews_2018]\nmeta = "meta.json"\n'))
    assert "[amazon_reviews_2018]" in message and "'reviews'" in message


@pytest.mark.parametrize("value", ["3", "[1, 2]", "{ a = 1 }"])
def test_wrong_value_type(folder, value):
    message = error(write(folder, f"[amazon_reviews_2018]\nreviews = {value}\n"))
    assert "reviews" in message and "expected a string or a list of strings" in message


def test_wrong_ood_categories_type(folder):
    message = error(
        write(folder, '[amazon_reviews_2018]\nreviews = "reviews.json"\nood_categories = 1\n')
    )
    assert "ood_categories" in message


def test_table_expected(folder):
    assert "must be a table" in error(write(folder, 'amazon_reviews_2018 = "reviews.json"\n'))


def test_missing_data_file(folder):
    message = error(
        write(folder, '[amazon_reviews_2018]\nreviews = ["reviews.json", "gone.json"]\n')
    )
    assert "reviews" in message and "gone.json" in message and "not found" in message


def test_data_file_is_a_folder(folder):
    (folder / "sub").mkdir()
    message = error(write(folder, '[amazon_reviews_2018]\nreviews = "sub"\n'))
    assert "not a file" in message and "sub" in message


def test_a_compressed_file_must_be_named_so(folder):
    import gzip

    (folder / "packed.json").write_bytes(gzip.compress(b'{"asin": "A"}\n'))
    message = error(write(folder, '[amazon_reviews_2018]\nreviews = "packed.json"\n'))
    assert "packed.json is gzip-compressed" in message and "rename it packed.json.gz" in message
    (folder / "plain.json.gz").write_text('{"asin": "A"}\n')
    message = error(write(folder, '[amazon_reviews_2018]\nreviews = "plain.json.gz"\n'))
    assert "plain.json.gz ends in .gz but is not gzip-compressed" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_data_file(folder):
    (folder / "reviews.json").chmod(0)
    message = error(write(folder, '[amazon_reviews_2018]\nreviews = "reviews.json"\n'))
    assert "cannot read" in message and "reviews.json" in message


def test_empty_config(folder):
    assert "no sources" in error(write(folder, "# nothing\n"))


def test_real_config_parses_unchanged():
    path = REAL / "sources.toml"
    if not path.exists():
        pytest.skip("real data samples not present")
    specs = load_config(path)
    assert [s.kind for s in specs] == [
        "amazon_reviews_2018",
        "amazon_google_products",
        "oa_mine",
        "epqa",
        "mcauley_qa",
    ]
    assert all(p.is_file() for s in specs for paths in s.files.values() for p in paths)
