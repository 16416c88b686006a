"""Synthetic tasks, candidates and records for the quality tests, built to the per-task output
contract: the option texts, option counts and output formats every task builder promises."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from ecinstruct.records import COLUMNS, RECORD_SCHEMA, SPLIT_SETTINGS, UNSEEN_OF
from ecinstruct.tasks.base import Task

YES_NO = ("yes", "no")
# name -> (short, options, n_options, output_format, has_ood)
CONTRACT = {
    "attribute_value_extraction": ("AVE", None, None, "triples", True),
    "product_relation_prediction": (
        "PRP",
        (
            "Users who buy product 1 may also buy product 2.",
            "Users who view product 1 may also view product 2.",
            "Product 1 is similar to product 2.",
        ),
        3,
        "option",
        True,
    ),
    "product_matching": ("PM", YES_NO, 2, "option", False),
    "sentiment_analysis": (
        "SA",
        ("very positive", "positive", "neutral", "negative", "very negative"),
        5,
        "option",
        True,
    ),
    "sequential_recommendation": ("SR", None, 20, "option", True),
    "multiclass_product_classification": (
        "MPC",
        ("exact", "substitute", "complement", "irrelevant"),
        4,
        "option",
        False,
    ),
    "product_substitute_identification": ("PSI", YES_NO, 2, "option", False),
    "query_product_ranking": ("QPR", None, None, "ranking", False),
    "answerability_prediction": ("AP", YES_NO, 2, "option", True),
    "answer_generation": ("AG", None, None, "text", True),
}
VOCAB = [
    f"{a}{b}"
    for a in ("bri", "sto", "mal", "ven", "qua", "zel", "tor", "pim", "lux", "dor")
    for b in ("ta", "ne", "ko", "ri", "vo", "la", "mu", "se", "pi", "xa")
]


def make_task(name: str) -> Task:
    short, options, n_options, fmt, has_ood = CONTRACT[name]
    return Task(
        name=name,
        short=short,
        version="1",
        description=name,
        tables=("products",),
        input_desc="",
        output_desc="",
        metric="accuracy",
        output_format=fmt,
        split_key="",
        build=lambda canonical, ctx: pl.DataFrame(),
        options=options,
        n_options=n_options,
        has_ood=has_ood,
    )


@pytest.fixture(scope="session")
def tasks() -> dict[str, Task]:
    return {name: make_task(name) for name in CONTRACT}


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def sample(task: Task, rng: random.Random, pid: str) -> dict:
    """One record's input/options/output/product_ids/gold_labels for `task`."""
    title = f"{words(rng, 6)} {pid}"
    row = {"options": None, "gold_labels": None, "product_ids": [pid]}
    if task.output_format == "triples":
        brand = rng.choice(VOCAB).title()
        inp = {
            "title": f"{brand} {title}",
            "description": words(rng, 20),
            "attributes": ["brand", "color"],
        }
        out = [
            {"attribute": "brand", "value": brand, "source": "title"},
            {"attribute": "color", "value": "None", "source": "None"},
        ]
        row |= {"input": json.dumps(inp, ensure_ascii=False), "output": json.dumps(out)}
    elif task.output_format == "ranking":
        labels = ["E", "I", "S"]
        rng.shuffle(labels)
        products = {letter: f"{words(rng, 5)} {pid}{letter}" for letter in "ABC"}
        order = sorted("ABC", key=lambda x: "ESCI".index(labels["ABC".index(x)]))
        row |= {
            "input": json.dumps({"query": words(rng, 3), "products": products}),
            "output": ",".join(order),
            "gold_labels": labels,
            "product_ids": [f"{pid}{x}" for x in "ABC"],
        }
    elif task.output_format == "text":
        inp = {"question": words(rng, 8) + "?", "review snippets": [words(rng, 15), words(rng, 15)]}
        row |= {"input": json.dumps(inp), "output": words(rng, 12)}
    elif task.options:
        text = words(rng, 14)
        inp = text if task.short == "SA" else json.dumps({"product 1": title, "product 2": text})
        row |= {"input": inp, "options": list(task.options), "output": rng.choice(task.options)}
    else:  # SR: 20 distinct titles, one of them the next purchase
        history = [f"{words(rng, 4)} h{i}" for i in range(5)]
        options = [f"{words(rng, 4)} {pid}o{i}" for i in range(20)]
        row |= {
            "input": json.dumps({"history": history}),
            "options": options,
            "output": options[rng.randrange(20)],
        }
    return row


def make_records(tasks: dict[str, Task], per_split: int = 4, seed: int = 0) -> pl.DataFrame:
    """A small valid published dataset: every task, every split it has."""
    rng = random.Random(seed)
    rows = []
    for name, task in tasks.items():
        splits = ["train"] * per_split + ["validation", "test_ind"] * max(1, per_split // 4)
        if task.has_ood:
            splits += ["test_ood"] * max(1, per_split // 4)
        for i, split in enumerate(splits):
            pid = f"{'OOD' if split == 'test_ood' else 'P'}{task.short}{i}"
            base = sample(task, rng, pid) | {
                "task": name,
                "category": "Electronics",
                "source": "synthetic",
            }
            for s in [split] + ([UNSEEN_OF[split]] if split in UNSEEN_OF else []):
                wording = 5 if s in UNSEEN_OF.values() else i % 5
                key = json.dumps([name, s, base["input"], base["output"]])
                rows.append(
                    base
                    | {
                        "id": hashlib.sha256(key.encode()).hexdigest()[:20],
                        "split": s,
                        "setting": SPLIT_SETTINGS[s],
                        "instruction": f"Instruction {wording}: do the {task.short} task.",
                        "instruction_id": f"{name}/{wording}",
                    }
                )
    return pl.DataFrame(rows, schema=RECORD_SCHEMA).select(COLUMNS)


@pytest.fixture(scope="session")
def good_records(tasks) -> pl.DataFrame:
    return make_records(tasks)


@pytest.fixture(scope="session")
def synth():
    """The helpers above, for test modules (conftest is not importable under importlib mode)."""
    return SimpleNamespace(
        make_task=make_task,
        make_records=make_records,
        words=words,
        write_folder=write_folder,
        fresh_python=fresh_python,
        VOCAB=VOCAB,
    )


def fresh_python(script: str) -> str:
    """What `script` prints, run by a new interpreter from the repository's root: what it
    imports is all its own."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return done.stdout


def write_folder(out, records: pl.DataFrame, quality: dict | None = None) -> dict:
    """A dataset folder in the published layout, with the build.json a build would write."""
    from ecinstruct import audit, writer

    out.mkdir(parents=True, exist_ok=True)
    for (task, split), df in sorted(records.group_by("task", "split"), key=lambda kv: kv[0]):
        writer.write_split(out, task, split, df.sort("id"), shard_rows=50_000)
    counts = records.group_by("task", "split").len()
    manifest = {
        "ecinstruct_version": "0.1.0",
        "command": "python -m ecinstruct build --per-task 4",
        "tasks": {
            t: {
                "task": t,
                "status": "built",
                "counts": dict(
                    counts.filter(pl.col("task") == t).select("split", "len").iter_rows()
                ),
                "dropped": {"over_quota": 40, "near_duplicate": 3, "too_few_words": 2},
            }
            for t in sorted(records["task"].unique())
        },
        "rejected": [{"source": "amazon_reviews_2018", "reason": "bad_json", "rows": 2}],
        "audit": audit.audit(records),
        "gate": {"passed": True, "checks": {"ood_leak": True}},
        "files": writer.file_hashes(out, keep=lambda rel: rel.startswith("data/")),
        "timings_s": {"total": 12.5},
    }
    if quality is not None:
        manifest["quality"] = quality
    (out / "build.json").write_text(json.dumps(manifest, indent=2, default=str))
    return manifest
