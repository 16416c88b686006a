"""Small canonical fixtures for the SA, SR, PRP, PM and AVE builders, written in Python.

Products A00..A69 are in-distribution, A70..A99 are the OOD products; A98 and A99 have no
title. Each odd row below exists to exercise one rule (named in the comment beside it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from ecinstruct import render
from ecinstruct.canonical import Canonical
from ecinstruct.tasks.base import TaskContext

GOLDEN = Path(__file__).resolve().parent / "golden"
OOD_IDS = [f"A{i:02d}" for i in range(70, 100)]
BRANDS = ["Anker", "Belkin", "Sony", "Bosch", "Makita", "Logitech"]
NOUNS = ["charger", "cable", "headphones", "drill", "saw", "mouse", "lamp", "speaker"]


def product_rows() -> list[dict]:
    rows = []
    for i in range(100):
        pid = f"A{i:02d}"
        ood = i >= 70
        noun = NOUNS[i % len(NOUNS)]
        rows.append(
            {
                "product_id": pid,
                "source": "amazon_reviews_2018",
                "title": None if i >= 98 else f"{BRANDS[i % 6]} {noun} model {i}",
                "description": f"A {noun} for everyday use, model {i}.",
                "brand": BRANDS[i % 6],
                "categories": ["Tools"] if ood else ["Electronics", noun.title()],
                "category": "Tools" if ood else "Electronics",
                "price": 10.0 + i,
            }
        )
    return rows


def ctx(seed: int = 0, ood: list[str] | None = None, max_candidates: int | None = None):
    ids = OOD_IDS if ood is None else ood
    return TaskContext(
        seed=seed,
        ood_products=pl.DataFrame({"product_id": ids}, schema={"product_id": pl.String}),
        max_candidates=max_candidates,
    )


def canonical(**tables: list[dict] | pl.DataFrame) -> Canonical:
    c = Canonical()
    c.add(
        "fixture",
        {k: v if isinstance(v, pl.DataFrame) else pl.DataFrame(v) for k, v in tables.items()},
    )
    return c


def review(rid, user, pid, rating=5, text="", ts=0):
    text = text if text != "" else f"review {rid} says this product works well for me every day"
    return {
        "review_id": rid,
        "source": "amazon_reviews_2018",
        "user_id": user,
        "product_id": pid,
        "rating": rating,
        "summary": "Five Stars",
        "text": text,
        "timestamp": ts,
    }


def golden_check(name: str, df: pl.DataFrame, n_usable: int = 3, n_dropped: int = 2) -> None:
    """Compare the first usable and dropped candidates with tests/tasks_a/golden/<name>.jsonl;
    UPDATE_GOLDEN=1 rewrites the file instead."""
    rows = pl.concat(
        [
            df.filter(pl.col("drop_reason").is_null()).head(n_usable),
            df.filter(pl.col("drop_reason").is_not_null()).head(n_dropped),
        ]
    ).to_dicts()
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    path = GOLDEN / f"{name}.jsonl"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}; run with UPDATE_GOLDEN=1"
    assert path.read_text(encoding="utf-8") == text


def render_check(task: str, df: pl.DataFrame) -> list[str]:
    """All six wordings render with a real candidate's fields, non-empty and distinct."""
    row = df.filter(pl.col("drop_reason").is_null()).row(0, named=True)
    texts = [render.render(task, w, row["input"], row["options"]) for w in range(render.N_WORDINGS)]
    assert all(len(t.split()) >= 10 for t in texts)
    assert len(set(texts)) == render.N_WORDINGS
    assert not any("{" + "{" in t or "{%" in t for t in texts)
    return texts


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (importlib mode cannot import conftest by name)."""
    return SimpleNamespace(
        ctx=ctx,
        canonical=canonical,
        review=review,
        products=product_rows,
        golden_check=golden_check,
        render_check=render_check,
        ood_ids=OOD_IDS,
    )
