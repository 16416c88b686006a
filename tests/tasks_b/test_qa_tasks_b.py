"""AP and AG builders on a small product-QA fixture (conftest.py)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import polars as pl
import pytest

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import answer_generation as ag
from ecinstruct.tasks import answerability_prediction as ap
from ecinstruct.tasks.base import CANDIDATE_SCHEMA


def _rows(df: pl.DataFrame) -> dict[str, dict]:
    """Candidates keyed by question text (the fixture's questions are distinct enough)."""
    return {json.loads(r["input"]).get("question"): r for r in df.iter_rows(named=True)}


def _usable(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.col("drop_reason").is_null())


def test_contract_fields():
    assert ap.TASK.options == ("yes", "no") and ap.TASK.metric == "f1_yes"
    assert ag.TASK.options is None and ag.TASK.metric == "rouge_l"
    assert ag.TASK.max_new_tokens >= 128 and ag.TASK.output_format == "text"
    assert ap.TASK.has_ood and ag.TASK.has_ood


@pytest.mark.parametrize("task", [ap.TASK, ag.TASK], ids=lambda t: t.short)
def test_empty_canonical_gives_empty_frame(task, ctx):
    df = task.build(Canonical(), ctx)
    assert df.height == 0 and df.schema == pl.Schema(CANDIDATE_SCHEMA)


def test_ap_counts_outputs_and_reasons(qa, ctx):
    df = ap.TASK.build(qa, ctx)
    assert df.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert df.height == qa["questions"].height
    assert Counter(df["drop_reason"].drop_nulls()) == {
        "no_evidence": 2,
        "unknown_answerability": 2,
        "missing_question": 1,
        "duplicate_question": 1,
    }
    usable = _usable(df)
    assert usable.height == 6
    assert Counter(usable["output"]) == {"yes": 5, "no": 1}
    for row in usable.iter_rows(named=True):
        shown = json.loads(row["input"])
        assert list(shown) == ["question", "review snippets"]
        assert 1 <= len(shown["review snippets"]) <= ap.MAX_SNIPPETS
        assert row["output"] in row["options"] == ["yes", "no"]
        assert row["product_ids"] == [row["group"]]
        assert row["source"] == "amazonqa"


def test_ap_cleans_and_caps_snippets(qa, ctx):
    rows = _rows(ap.TASK.build(qa, ctx))
    fit = rows["Does it fit an iPhone 12?"]
    # Blank and repeated snippets go; the question's whitespace is normalised.
    assert json.loads(fit["input"])["review snippets"] == [
        "It fits my iPhone 12 perfectly.",
        "Great case",
    ]
    assert fit["category"] == "Electronics"
    many = json.loads(rows["Is it dishwasher safe?"]["input"])["review snippets"]
    assert many == [f"s{i} ok" for i in range(ap.MAX_SNIPPETS)]
    (long_snippet,) = json.loads(rows["How big is it?"]["input"])["review snippets"]
    assert len(long_snippet.split()) == ap.MAX_SNIPPET_WORDS
    assert rows["Is it waterproof?"]["output"] == "no"
    assert rows["What is the battery life?"]["category"] == "Cell Phones"  # from the product


def test_ag_counts_outputs_and_reasons(qa, ctx):
    df = ag.TASK.build(qa, ctx)
    assert df.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert df.height == qa["questions"].height
    assert Counter(df["drop_reason"].drop_nulls()) == {
        "unanswerable": 1,
        "missing_question": 1,
        "duplicate_question": 1,
        "answer_too_long": 1,
        "no_answer": 1,
        "no_evidence": 2,
    }
    usable = _usable(df)
    assert usable.height == 5
    for row in usable.iter_rows(named=True):
        assert row["options"] is None
        assert row["output"] and len(row["output"].split()) <= ag.MAX_ANSWER_WORDS
        assert json.loads(row["input"])["review snippets"]
        assert row["product_ids"] == [row["group"]]
    rows = _rows(df)
    assert rows["Does it fit an iPhone 12?"]["output"] == "Yes, it fits the iPhone 12."


def test_ag_borrows_reviews_when_no_snippets(qa, ctx):
    rows = _rows(ag.TASK.build(qa, ctx))
    battery = rows["What is the battery life?"]
    assert battery["drop_reason"] is None
    # Most helpful first, longer first among equals, repeats and blanks removed.
    assert json.loads(battery["input"])["review snippets"] == [
        "Battery lasts about ten hours on one charge.",
        "Lasts all day.",
        "ok",
    ]
    cord = rows["How long is the cord?"]
    assert json.loads(cord["input"])["review snippets"] == ["The cord is long enough for my desk."]
    assert rows["Is it loud?"]["drop_reason"] == "no_evidence"


def test_ag_caps_borrowed_reviews(ctx):
    questions = pl.DataFrame(
        {
            "question_id": ["x"],
            "product_id": ["B1"],
            "question": ["Any good?"],
            "answers": [["Yes."]],
        }
    )
    reviews = pl.DataFrame(
        {
            "review_id": [f"r{i}" for i in range(9)],
            "product_id": ["B1"] * 9,
            "text": [f"review {i} " + "word " * i for i in range(9)],
            "helpful_votes": [0] * 9,
        }
    )
    canonical = Canonical()
    canonical.add("mcauley_qa", {"questions": questions})
    canonical.add("amazon_reviews_2018", {"reviews": reviews})
    (row,) = ag.TASK.build(canonical, ctx).iter_rows(named=True)
    shown = json.loads(row["input"])["review snippets"]
    assert len(shown) == ag.MAX_REVIEWS
    assert shown[0].startswith("review 8")  # equal votes: longest first


@pytest.mark.parametrize("task", [ap.TASK, ag.TASK], ids=lambda t: t.short)
def test_qa_deterministic_and_single_product(task, qa, make_ctx):
    a, b = task.build(qa, make_ctx(0)), task.build(qa, make_ctx(0))
    assert a.equals(b)
    # One product per sample: OOD side is that product's, nothing to keep together.
    assert a["product_ids"].list.len().unique().to_list() == [1]
    assert a.equals(task.build(qa, make_ctx(7)))  # no randomness to seed


@pytest.mark.parametrize("task", [ap.TASK, ag.TASK], ids=lambda t: t.short)
def test_cap_keeps_drops_and_a_subset(task, qa, ctx):
    full = task.build(qa, ctx)
    capped = task.build(qa, replace(ctx, max_candidates=2))
    assert capped.equals(task.build(qa, replace(ctx, max_candidates=2)))
    assert Counter(capped["drop_reason"].drop_nulls()) == Counter(full["drop_reason"].drop_nulls())
    usable = _usable(capped)
    ood = usable["product_ids"].list.first().is_in(ctx.ood_products["product_id"].implode())
    assert (~ood).sum() == 2 and ood.sum() == 1  # the fixture has one held-out question
    assert _as_set(usable) <= _as_set(_usable(full))


def _as_set(df: pl.DataFrame) -> set[str]:
    return {json.dumps(row) for row in df.iter_rows(named=True)}
