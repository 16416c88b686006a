import tomllib
from pathlib import Path

import pytest

from ecinstruct.errors import UserError
from ecinstruct.sample import PER_SCALE, counts, generate

KINDS = {
    "amazon_reviews_2018",
    "amazon_reviews_2023",
    "amazon_google_products",
    "mave",
    "esci",
    "amazonqa",
    "oa_mine",
    "epqa",
    "mcauley_qa",
}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_scale_and_seed_give_identical_bytes(tmp_path):
    a = _files(generate(tmp_path / "a", scale=0.05, seed=3).parent)
    b = _files(generate(tmp_path / "b", scale=0.05, seed=3).parent)
    assert a.keys() == b.keys()
    assert len(a) == 21
    for name in a:
        assert a[name] == b[name], name


def test_another_seed_gives_other_data(tmp_path, tiny_sample):
    other = _files(generate(tmp_path / "c", scale=0.05, seed=1).parent)
    ours = _files(tiny_sample.parent)
    assert other.keys() == ours.keys()
    assert other["amazon_reviews_2018/meta_All.json"] != ours["amazon_reviews_2018/meta_All.json"]
    assert other["mave/mave_positives.jsonl"] != ours["mave/mave_positives.jsonl"]


def test_toml_names_every_kind_and_existing_files(tiny_sample):
    config = tomllib.loads(tiny_sample.read_text(encoding="utf-8"))
    assert set(config) == KINDS
    for kind, table in config.items():
        for key, value in table.items():
            if key == "ood_categories":
                continue
            for name in [value] if isinstance(value, str) else value:
                path = tiny_sample.parent / name
                assert path.is_file() and path.stat().st_size > 0, (kind, key, name)
    assert config["amazon_reviews_2018"]["ood_categories"] == ["Tools & Home Improvement"]
    assert all("ood_categories" not in t for k, t in config.items() if k != "amazon_reviews_2018")


def test_counts_are_linear_and_hit_the_large_target():
    one, two = counts(1.0), counts(2.0)
    assert all(two[k] == 2 * one[k] for k in PER_SCALE)
    big = counts(65)
    reviews = big["reviews_2018"] + big["reviews_2023"]
    assert 1_950_000 <= reviews <= 2_050_000
    # Google listings come to about twice the Amazon.csv products.
    products = (
        big["products_2018"]
        + big["products_2023"]
        + big["esci_products"]
        + 3 * big["amazon_products"]
    )
    assert 480_000 <= products <= 520_000


@pytest.mark.parametrize("scale", [0, -1.0, float("nan"), "2"])
def test_bad_scale_is_refused(tmp_path, scale):
    with pytest.raises(UserError, match="scale must be a positive number"):
        generate(tmp_path / "x", scale=scale)
