"""Golden candidates and instruction templates for MPC, PSI, QPR, AP and AG.

Regenerate the golden files after an intended change with `UPDATE_GOLDEN=1 pytest tests/tasks_b`
and read the diff before keeping it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from ecinstruct import render
from ecinstruct.tasks import (
    answer_generation,
    answerability_prediction,
    multiclass_product_classification,
    product_substitute_identification,
    query_product_ranking,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GOLDEN = HERE / "golden"
N_GOLDEN = 6

# task module -> name of the canonical fixture (conftest.py) it is built from
TASKS = {
    multiclass_product_classification: "esci",
    product_substitute_identification: "esci",
    query_product_ranking: "esci",
    answerability_prediction: "qa",
    answer_generation: "qa",
}
PARAMS = [pytest.param(m.TASK, fx, id=m.TASK.short) for m, fx in TASKS.items()]


@pytest.mark.parametrize(("task", "fixture"), PARAMS)
def test_golden_candidates(task, fixture, request, ctx):
    df = task.build(request.getfixturevalue(fixture), ctx)
    got = [json.dumps(row, ensure_ascii=False) for row in df.head(N_GOLDEN).iter_rows(named=True)]
    path = GOLDEN / f"{task.name}.jsonl"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text("".join(line + "\n" for line in got), encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8").splitlines()


def _first_usable(df) -> dict:
    return df.filter(df["drop_reason"].is_null()).row(0, named=True)


@pytest.mark.parametrize(("task", "fixture"), PARAMS)
def test_all_templates_render(task, fixture, request, ctx):
    row = _first_usable(task.build(request.getfixturevalue(fixture), ctx))
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    folder = REPO / "templates" / task.name
    assert sorted(p.name for p in folder.glob("*.jinja")) == [
        f"instruction_{i}.jinja" for i in range(6)
    ]
    texts = []
    for i in range(6):
        source = (folder / f"instruction_{i}.jinja").read_text(encoding="utf-8")
        text = env.from_string(source).render(
            input=json.loads(row["input"]), options=row["options"]
        )
        assert text.strip(), f"{task.name} instruction_{i} renders empty"
        assert "{" not in text and "}" not in text  # no unrendered or leaked template syntax
        texts.append(text.strip())
        # The pipeline's renderer gives the same wording, on one line.
        assert render.render(task.name, i, row["input"], row["options"]) == " ".join(text.split())
        # The wording must state the exact answer format the scorer parses.
        if task.output_format == "ranking":
            assert "letters" in text and "comma" in text
        if task.options == ("yes", "no"):
            assert re.search(r"\byes\b", text) and re.search(r"\bno\b", text)
    assert len(set(texts)) == 6
    assert 0 <= task.unseen_instruction < 6
