"""AP and AG on the real ePQA and McAuley QA samples in ../shared/data/real (skipped if absent)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from ecinstruct.sources import load_canonical, load_config
from ecinstruct.tasks import answer_generation as ag
from ecinstruct.tasks import answerability_prediction as ap
from ecinstruct.tasks.base import TaskContext

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"
NO_OOD = TaskContext(seed=0, ood_products=pl.DataFrame(schema={"product_id": pl.String}))


@pytest.fixture(scope="module")
def real_qa():
    if not (REAL / "sources.toml").exists():
        pytest.skip("real data samples not present")
    specs = [s for s in load_config(REAL / "sources.toml") if s.kind in ("epqa", "mcauley_qa")]
    canonical, _ = load_canonical(specs, progress=False)
    return canonical


def _questions(canonical) -> list[dict]:
    return list(canonical["questions"].iter_rows(named=True))


def _check_snippets(text: str) -> list[str]:
    shown = json.loads(text)["review snippets"]
    assert 1 <= len(shown) <= ap.MAX_SNIPPETS
    for snippet in shown:
        assert snippet.strip() == snippet and 0 < len(snippet.split()) <= ap.MAX_SNIPPET_WORDS
    return shown


def test_real_answerability(real_qa):
    df = ap.TASK.build(real_qa, NO_OOD)
    questions = _questions(real_qa)
    assert df.height == len(questions)  # one candidate per question, in canonical order
    n_usable = 0
    for q, row in zip(questions, df.iter_rows(named=True), strict=True):
        has_evidence = any(e.strip() for e in q["evidence"] or [])
        if q["answerable"] is None:
            assert row["drop_reason"] == "unknown_answerability"
        elif not has_evidence:
            assert row["drop_reason"] == "no_evidence"
        elif row["drop_reason"] is None:
            n_usable += 1
            assert row["output"] == ("yes" if q["answerable"] else "no")
            _check_snippets(row["input"])
        else:
            assert row["drop_reason"] == "duplicate_question"
    assert n_usable > 0.9 * sum(q["source"] == "epqa" for q in questions)
    # McAuley QA says nothing about answerability: none of it can be used here.
    assert set(df.filter(pl.col("source") == "mcauley_qa")["drop_reason"]) == {
        "unknown_answerability"
    }


def test_real_answer_generation(real_qa):
    df = ag.TASK.build(real_qa, NO_OOD)
    questions = _questions(real_qa)
    usable = 0
    for q, row in zip(questions, df.iter_rows(named=True), strict=True):
        if row["drop_reason"] is not None:
            continue
        usable += 1
        assert q["answerable"] is not False
        assert row["output"] == " ".join(q["answers"][0].split())
        assert len(row["output"].split()) <= ag.MAX_ANSWER_WORDS
        _check_snippets(row["input"])
    assert usable > 0
    # No reviews were loaded, so snippet-less McAuley questions have no evidence to borrow.
    mcauley = df.filter(pl.col("source") == "mcauley_qa")["drop_reason"]
    assert mcauley.null_count() == 0
    assert set(mcauley) <= {"no_evidence", "answer_too_long", "no_answer"}
