"""MPC, PSI and QPR builders on a small ESCI fixture (conftest.py)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import polars as pl
import pytest

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import multiclass_product_classification as mpc
from ecinstruct.tasks import product_substitute_identification as psi
from ecinstruct.tasks import query_product_ranking as qpr
from ecinstruct.tasks.base import CANDIDATE_SCHEMA

RANK = {"E": 0, "S": 1, "C": 2, "I": 3}


def _usable(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.col("drop_reason").is_null())


def _by_group(df: pl.DataFrame) -> dict[str, dict]:
    return {row["group"]: row for row in df.iter_rows(named=True)}


def test_contract_fields():
    assert mpc.TASK.options == ("exact", "substitute", "complement", "irrelevant")
    assert psi.TASK.options == ("yes", "no")
    assert qpr.TASK.options is None
    assert [t.metric for t in (mpc.TASK, psi.TASK, qpr.TASK)] == ["accuracy", "f1_yes", "ndcg"]
    for task in (mpc.TASK, psi.TASK, qpr.TASK):
        assert not task.has_ood and task.sizes[3] == 0


@pytest.mark.parametrize("task", [mpc.TASK, psi.TASK, qpr.TASK], ids=lambda t: t.short)
def test_empty_canonical_gives_empty_frame(task, ctx):
    df = task.build(Canonical(), ctx)
    assert df.height == 0 and df.schema == pl.Schema(CANDIDATE_SCHEMA)


def test_mpc_counts_outputs_and_reasons(esci, ctx):
    df = mpc.TASK.build(esci, ctx)
    assert df.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert df.height == esci["judgments"].height  # one candidate per judgment, drops included
    assert Counter(df["drop_reason"].drop_nulls()) == {
        "non_us_locale": 2,
        "missing_title": 1,
        "unknown_label": 1,
        "duplicate_pair": 1,
        "missing_query": 1,
    }
    usable = _usable(df)
    assert usable.height == 26
    for row in usable.iter_rows(named=True):
        assert row["options"] == list(mpc.OPTIONS)
        assert row["output"] in row["options"]
        assert len(row["product_ids"]) == 1
        assert set(json.loads(row["input"])) == {"query", "product title"}
        assert row["source"] == "esci" and row["gold_labels"] is None
    # Spelled-out labels and upper-case locales are understood.
    q11 = usable.filter(pl.col("group") == "q11")
    assert q11["output"].to_list() == ["exact", "substitute"]


def test_mpc_takes_the_judging_catalogue_title_and_any_category(esci, ctx):
    df = _usable(mpc.TASK.build(esci, ctx))
    row = df.filter(pl.col("product_ids").list.first() == "P01").row(0, named=True)
    assert json.loads(row["input"])["product title"].startswith("Anker USB C Charger")
    assert row["category"] == "Cell Phones & Accessories"


def test_duplicate_pair_keeps_first_judgment(esci, ctx):
    df = mpc.TASK.build(esci, ctx)
    dup = df.filter((pl.col("group") == "q1") & (pl.col("product_ids").list.first() == "P02"))
    assert dup["output"].to_list() == ["substitute", "irrelevant"]
    assert dup["drop_reason"].to_list() == [None, "duplicate_pair"]


def test_psi_is_yes_exactly_for_substitutes(esci, ctx):
    m = mpc.TASK.build(esci, ctx)
    p = psi.TASK.build(esci, ctx)
    assert p["drop_reason"].to_list() == m["drop_reason"].to_list()
    assert p["input"].to_list() == m["input"].to_list()
    usable = p.filter(pl.col("drop_reason").is_null())
    assert set(usable["output"]) == {"yes", "no"}
    expected = m.filter(pl.col("drop_reason").is_null())["output"] == "substitute"
    assert (usable["output"] == "yes").to_list() == expected.to_list()
    assert (usable["output"] == "yes").sum() == 7


def test_qpr_one_candidate_per_query_with_reasons(esci, ctx):
    df = qpr.TASK.build(esci, ctx)
    assert df.schema == pl.Schema(CANDIDATE_SCHEMA)
    reasons = dict(zip(df["group"], df["drop_reason"], strict=True))
    assert reasons == {
        "q1": None,
        "q2": None,
        "q3": None,
        "q4": "too_few_distinct_labels",
        "q5": "non_us_locale",
        "q6": "not_small_version",
        "q7": None,
        "q8": None,
        "q9": "mixed_ood_products",
        "q10": "too_few_distinct_labels",
        "q11": None,
        "q12": "missing_query",
    }
    assert _usable(df)["product_ids"].list.len().to_list() == [4, 2, 2, 2, 2, 2]


def test_qpr_ranking_is_a_permutation_consistent_with_gold_labels(esci, ctx):
    titles = dict(
        esci["products"]
        .filter(pl.col("source") == "esci")
        .select("product_id", "title")
        .iter_rows()
    )
    judged: dict[tuple[str, str], str] = {}
    for q, p, label in esci["judgments"].select("query_id", "product_id", "label").iter_rows():
        judged.setdefault((q, p), label[0].upper())  # first judgment wins; "exact" -> "E"
    df = _usable(qpr.TASK.build(esci, ctx))
    for row in df.iter_rows(named=True):
        n = len(row["product_ids"])
        letters = "ABCD"[:n]
        shown = json.loads(row["input"])
        assert list(shown) == ["query", "products"]
        assert list(shown["products"]) == list(letters)
        assert list(shown["products"].values()) == [titles[p] for p in row["product_ids"]]
        ranking = row["output"].split(",")
        assert sorted(ranking) == list(letters)
        gold = row["gold_labels"]
        assert len(gold) == n and len(set(gold)) == n  # one product per distinct label
        # gold_labels are in letter order and agree with the judgments of the shown products.
        assert gold == [judged[(row["group"], p)] for p in row["product_ids"]]
        ranked_labels = [gold[letters.index(x)] for x in ranking]
        assert [RANK[x] for x in ranked_labels] == sorted(RANK[x] for x in gold)
        assert row["options"] is None
    q1 = _by_group(df)["q1"]
    assert sorted(q1["gold_labels"]) == ["C", "E", "I", "S"]
    assert len({"P01", "P05"} & set(q1["product_ids"])) == 1  # one of the two exact products


def test_qpr_ood_sides_never_mix(esci, ctx):
    df = _usable(qpr.TASK.build(esci, ctx))
    for ids in df["product_ids"].to_list():
        sides = {pid in ctx.ood_products["product_id"].to_list() for pid in ids}
        assert len(sides) == 1
    rows = _by_group(df)
    assert set(rows["q7"]["product_ids"]) == {"P18", "P19"}  # OOD S/C left out
    assert set(rows["q8"]["product_ids"]) == {"O1", "O3"}  # all held out: kept together


def test_qpr_deterministic_and_seeded(esci, make_ctx):
    first = qpr.TASK.build(esci, make_ctx(0))
    assert first.equals(qpr.TASK.build(esci, make_ctx(0)))
    for task in (mpc.TASK, psi.TASK):
        assert task.build(esci, make_ctx(0)).equals(task.build(esci, make_ctx(0)))
    shown = {
        tuple(_usable(qpr.TASK.build(esci, make_ctx(seed)))["input"].to_list()) for seed in range(8)
    }
    assert len(shown) > 1  # the seed does move the choice and the lettering


def test_qpr_independent_of_row_order(esci, ctx):
    # Without the twice-judged pair (where first-come wins by design), row order is irrelevant.
    judgments = esci["judgments"].filter(
        ~((pl.col("query_id") == "q1") & (pl.col("label") == "I") & (pl.col("product_id") == "P02"))
    )
    forward, backward = Canonical(), Canonical()
    forward.add("esci", {"judgments": judgments, "products": esci["products"]})
    backward.add("esci", {"judgments": judgments.reverse(), "products": esci["products"].reverse()})
    a = qpr.TASK.build(forward, ctx).sort("group")
    b = qpr.TASK.build(backward, ctx).sort("group")
    assert a.drop("product_ids").equals(b.drop("product_ids"))
    assert _usable(a)["product_ids"].equals(_usable(b)["product_ids"])


@pytest.mark.parametrize("task", [mpc.TASK, psi.TASK, qpr.TASK], ids=lambda t: t.short)
def test_cap_keeps_drops_and_a_subset(task, esci, ctx):
    full = task.build(esci, ctx)
    capped = task.build(esci, replace(ctx, max_candidates=2))
    assert capped.equals(task.build(esci, replace(ctx, max_candidates=2)))
    # Every drop is still counted; usable rows are capped per OOD side and come from the full set.
    assert Counter(capped["drop_reason"].drop_nulls()) == Counter(full["drop_reason"].drop_nulls())
    usable = _usable(capped)
    ood = usable["product_ids"].list.first().is_in(ctx.ood_products["product_id"].implode())
    assert 0 < (~ood).sum() <= 2 and ood.sum() <= 2
    assert _as_set(usable) <= _as_set(_usable(full))


def _as_set(df: pl.DataFrame) -> set[str]:
    return {json.dumps(row) for row in df.iter_rows(named=True)}


def test_same_query_text_under_two_ids_is_one_sample(ctx):
    judgments = pl.DataFrame(
        {
            "query_id": ["a", "a", "b", "b"],
            "query": ["Desk Lamp", "Desk Lamp", "desk lamp", "desk lamp"],
            "product_id": ["P1", "P2", "P1", "P2"],
            "label": ["E", "I", "E", "I"],
            "small_version": [True] * 4,
            "locale": ["us"] * 4,
            "source": ["esci"] * 4,
        }
    )
    products = pl.DataFrame({"product_id": ["P1", "P2"], "title": ["Lamp", "Rug"]})
    canonical = Canonical()
    canonical.add("esci", {"judgments": judgments, "products": products})
    pairs = mpc.TASK.build(canonical, ctx)
    assert pairs["drop_reason"].to_list() == [None, None, "duplicate_pair", "duplicate_pair"]
    ranked = qpr.TASK.build(canonical, ctx)
    assert ranked["drop_reason"].to_list() == [None, "duplicate_pair"]
    assert ranked["product_ids"].to_list()[1] == []  # a dropped query shows no products


def test_the_esci_and_qa_views_are_computed_once_per_build(esci, qa):
    from ecinstruct.tasks import common
    from ecinstruct.tasks.answerability_prediction import qa_questions
    from ecinstruct.tasks.multiclass_product_classification import esci_pairs

    pairs = esci_pairs(esci)
    assert esci_pairs(esci) is pairs
    questions = qa_questions(qa)  # the one slot now holds the questions
    assert qa_questions(qa) is questions
    fresh = esci_pairs(esci)
    assert fresh is not pairs and fresh.equals(pairs)
    common.forget()
    assert qa_questions(qa) is not questions
    common.forget()
