"""The five builders on the real public samples in ../shared/data/real (skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from ecinstruct.tasks import (
    attribute_value_extraction,
    product_matching,
    product_relation_prediction,
    sentiment_analysis,
    sequential_recommendation,
)
from ecinstruct.tasks.base import CANDIDATE_SCHEMA, TaskContext

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"


@pytest.fixture(scope="module")
def real():
    if not (REAL / "sources.toml").is_file():
        pytest.skip("real data samples not present")
    from ecinstruct.sources import load_canonical, load_config

    canonical, _ = load_canonical(load_config(REAL / "sources.toml"), progress=False)
    ids = canonical["products"]["product_id"].unique().sort()
    ood = pl.DataFrame({"product_id": ids.gather_every(10)})  # every 10th product held out
    ctx = TaskContext(seed=0, ood_products=ood, max_candidates=2_000)
    return canonical, ctx


def _usable(df):
    assert df.schema == pl.Schema(CANDIDATE_SCHEMA)
    return df.filter(pl.col("drop_reason").is_null())


def test_option_tasks(real):
    canonical, ctx = real
    for module in (sentiment_analysis, product_relation_prediction, product_matching):
        df = _usable(module.TASK.build(canonical, ctx))
        assert df.height > 100, module.TASK.name
        assert df.select(pl.col("output").is_in(pl.col("options")).all()).item()
        assert (df["options"].list.len() == module.TASK.n_options).all()
        assert df["group"].null_count() == 0 and df["category"].null_count() == 0


def test_sequential_recommendation(real):
    canonical, ctx = real
    df = _usable(sequential_recommendation.TASK.build(canonical, ctx))
    assert df.height > 100
    own = (
        canonical["reviews"]
        .group_by("user_id")
        .agg(own=pl.col("product_id").unique())
        .rename({"user_id": "group"})
    )
    n_hist = df["input"].str.count_matches("\n") + 1
    checked = df.with_columns(n_hist=n_hist).join(own, on="group")
    for row in checked.iter_rows(named=True):
        assert len(set(row["options"])) == 20 and row["output"] in row["options"]
        negatives = set(row["product_ids"][row["n_hist"] :]) - set(row["own"])
        assert len(negatives) == 19  # none of the user's own products among them


def test_attribute_value_extraction(real):
    canonical, ctx = real
    df = _usable(attribute_value_extraction.TASK.build(canonical, ctx))
    assert df.height > 100
    for row in df.head(300).iter_rows(named=True):
        inp = json.loads(row["input"])
        for triple in json.loads(row["output"]):
            if triple["value"] != "None":
                assert triple["value"] in str(inp[triple["source"]])
