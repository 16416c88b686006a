"""Fixtures for publishing: a small built folder, a loopback Hub, and a client pointed at it."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from ecinstruct import audit, card, writer
from ecinstruct.records import RECORD_SCHEMA, SPLIT_SETTINGS, SPLITS
from ecinstruct.tasks import REGISTRY

WRITE_TOKEN = "hf_test_write_token"
READ_TOKEN = "hf_test_read_token"
TOKENS = {
    WRITE_TOKEN: {"name": "ns", "role": "write"},
    READ_TOKEN: {"name": "reader", "role": "read"},
}
# Three tasks cover the shapes that matter: with OOD, without OOD, and list columns with
# gold labels. Sizes: train, validation, test_ind, test_ood.
KIT_TASKS = {
    "sentiment_analysis": (7, 3, 3, 2),
    "product_matching": (5, 2, 2, 0),
    "query_product_ranking": (4, 2, 2, 0),
}


def _load_hub_server():
    path = Path(__file__).resolve().parents[1] / "hub_server.py"
    spec = importlib.util.spec_from_file_location("ecinstruct_test_hub_server", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


hub_server = _load_hub_server()


def _records(task: str, sizes: tuple[int, int, int, int]) -> pl.DataFrame:
    t = REGISTRY[task]
    rows = []
    for split, n in zip(("train", "validation", "test_ind", "test_ood"), sizes, strict=True):
        for i in range(n):
            copies = [split] + ([f"{split}_unseen_instruction"] if split.startswith("test") else [])
            for s in copies:
                options = list(t.options) if t.options else None
                key = f"{task}|{s}|{i}"
                rows.append(
                    {
                        "id": hashlib.sha256(key.encode()).hexdigest()[:20],
                        "task": task,
                        "setting": SPLIT_SETTINGS[s],
                        "split": s,
                        "instruction": f"Instruction for {task} – «{s}»",
                        "input": json.dumps({"text": f"sample {i} of {split}", "n": i}),
                        "options": options,
                        "output": options[i % len(options)] if options else "B,A",
                        "instruction_id": f"{task}/{5 if 'unseen' in s else i % 5}",
                        "product_ids": [f"P-{split}-{i}", f"Q-{split}-{i}"],
                        "category": "Gift Cards" if i % 2 else None,
                        "source": "fixture",
                        "gold_labels": ["E", "S"] if task == "query_product_ranking" else None,
                    }
                )
    return pl.DataFrame(rows, schema=RECORD_SCHEMA)


def make_build(out: Path, tasks: dict = KIT_TASKS, gate: bool = True) -> dict:
    """Write a folder in the published layout, the way `build.run` does, with a real card."""
    out.mkdir(parents=True)
    results, frames = {}, []
    for task, sizes in tasks.items():
        recs = _records(task, sizes)
        frames.append(recs)
        counts = dict(recs.group_by("split").len().iter_rows())
        has_ood = REGISTRY[task].has_ood
        counts = {s: counts.get(s, 0) for s in SPLITS if s in counts or has_ood or "ood" not in s}
        for split in counts:
            writer.write_split(out, task, split, recs.filter(pl.col("split") == split), 50_000)
        results[task] = {
            "task": task,
            "status": "built",
            "note": "",
            "counts": counts,
            "dropped": {"duplicate_input": 1, "over_quota": 3},
        }
    rejected = pl.DataFrame({"source": ["fixture"], "reason": ["empty_text"]})
    writer.write_parquet(rejected, out / "rejected.parquet")
    manifest = {
        "ecinstruct_version": "0.1.0",
        "command": "python -m ecinstruct build --per-task 7 --out /tmp/x",
        "config": {"seed": 0, "per_task": 7, "ood_fraction": 0.1, "out": "/tmp/x"},
        "sources": [
            {
                "kind": "amazon_reviews_2018",
                "key": "reviews",
                "file": "Gift_Cards_5.json",
                "bytes": 1_234_567,
                "rows_read": 2972,
                "rows_rejected": 1,
                "sha256": "ab" * 32,
            },
            {
                "kind": "esci",
                "key": "examples",
                "file": "examples.parquet",
                "bytes": 8_192,
                "rows_read": 40,
                "rows_rejected": 0,
                "sha256": "cd" * 32,
            },
        ],  # fmt: skip
        "canonical_rows": {"products": 10, "reviews": 12},
        "ood_products": 4,
        "tasks": results,
        "task_versions": {t: REGISTRY[t].version for t in tasks},
        "rejected": [{"source": "fixture", "reason": "empty_text", "rows": 1}],
        "audit": audit.audit(pl.concat(frames)),
        "gate": {"passed": gate, "checks": {"ood_leak": gate}},
        "files": writer.file_hashes(out, keep=lambda rel: rel.startswith("data/")),
        "timings_s": {"total": 1.0},
    }
    (out / "build.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out / "README.md").write_text(card.render(manifest, [REGISTRY[t] for t in tasks]))
    return manifest


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (conftest is not importable by name)."""
    return SimpleNamespace(
        make_build=make_build,
        client_env=client_env,
        HubServer=hub_server.HubServer,
        KIT_TASKS=KIT_TASKS,
        READ_TOKEN=READ_TOKEN,
        WRITE_TOKEN=WRITE_TOKEN,
    )


@pytest.fixture
def built(tmp_path) -> Path:
    out = tmp_path / "ds"
    make_build(out)
    return out


@pytest.fixture
def hub():
    with hub_server.HubServer(TOKENS) as server:
        yield server
        assert not server.unknown, f"client used endpoints the test hub lacks: {server.unknown}"


def client_env(hub_url: str, home: Path, token: str | None = WRITE_TOKEN) -> dict[str, str]:
    """Environment for a huggingface_hub / datasets client talking only to `hub_url`."""
    env = {
        "HF_ENDPOINT": hub_url,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HOME": str(home / "hf_home"),
        "HF_DATASETS_CACHE": str(home / "hf_datasets"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    }
    if token:
        env["HF_TOKEN"] = token
    return env


@pytest.fixture
def hub_client(hub, tmp_path, monkeypatch):
    """Point this process's huggingface_hub at the loopback hub.

    huggingface_hub reads HF_ENDPOINT, HF_HOME and HF_HUB_DISABLE_XET once, at import, so the
    constants derived from them are patched too; the token is read from HF_TOKEN per call.
    """
    from huggingface_hub import constants
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in client_env(hub.url, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        hub.url + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf_home" / "token"))
    monkeypatch.setattr(
        constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "hf_home" / "stored_tokens")
    )
    monkeypatch.setattr(
        constants, "AGENT_HARNESSES_PATH", str(tmp_path / "hf_home" / ".agent_harnesses.json")
    )
    disable_progress_bars()
    yield hub
    enable_progress_bars()
