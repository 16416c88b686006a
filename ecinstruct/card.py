"""The dataset card (README.md), generated from the build manifest — never edited by hand."""

from __future__ import annotations

import json

import yaml

from ecinstruct.records import SPLITS
from ecinstruct.tasks.base import Task

# Licence of each source kind's public release, as its publishers state it.
SOURCE_LICENSES = {
    "amazon_reviews_2018": "research use (McAuley lab, UCSD)",
    "amazon_reviews_2023": "research use (McAuley lab, UCSD)",
    "amazon_google_products": "cc-by-4.0",
    "mave": "cc-by-4.0",
    "esci": "apache-2.0",
    "amazonqa": "research use (AmazonQA)",
    "oa_mine": "apache-2.0",
    "epqa": "cdla-sharing-1.0",
    "mcauley_qa": "research use (McAuley lab, UCSD)",
}

CITATION = """@inproceedings{peng2024ecellm,
  title     = {eCeLLM: Generalizing Large Language Models for E-commerce from Large-scale,
               High-quality Instruction Data},
  author    = {Peng, Bo and Ling, Xinyi and Chen, Ziru and Sun, Huan and Ning, Xia},
  booktitle = {Proceedings of the 41st International Conference on Machine Learning},
  year      = {2024}
}"""


def _size_category(n: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if n < limit:
            return name
    return "1M<n<10M"


def configs(manifest: dict) -> list[dict]:
    """One config per built task, plus `all`; a split appears only where files exist."""
    files = manifest.get("files", {})
    out = []
    built = [t for t, r in manifest["tasks"].items() if r["status"] != "skipped"]
    all_splits = [s for s in SPLITS if any(f"/{s}-" in f for f in files)]
    out.append(
        {
            "config_name": "all",
            "data_files": [{"split": s, "path": f"data/*/{s}-*.parquet"} for s in all_splits],
        }
    )
    for task in built:
        splits = [s for s in SPLITS if any(f.startswith(f"data/{task}/{s}-") for f in files)]
        out.append(
            {
                "config_name": task,
                "data_files": [{"split": s, "path": f"data/{task}/{s}-*.parquet"} for s in splits],
            }
        )
    return out


def metadata(manifest: dict) -> dict:
    kinds = sorted({s["kind"] for s in manifest.get("sources", [])})
    total = sum(sum(r["counts"].values()) for r in manifest["tasks"].values())
    return {
        "license": "other",
        "license_details": "; ".join(f"{k}: {SOURCE_LICENSES.get(k, 'see source')}" for k in kinds),
        "language": ["en"],
        "task_categories": ["text-generation", "text-classification", "question-answering"],
        "tags": ["e-commerce", "instruction-tuning", "ecinstruct"],
        "size_categories": [_size_category(total)],
        "pretty_name": "ECInstruct",
        "configs": configs(manifest),
    }


def _tasks_table(manifest: dict, tasks: list[Task]) -> str:
    head = "| task | input | output | metric | " + " | ".join(SPLITS) + " |"
    rows = [head, "|" + "---|" * (4 + len(SPLITS))]
    for task in tasks:
        res = manifest["tasks"][task.name]
        if res["status"] == "skipped":
            rows.append(
                f"| {task.name} ({task.short}) | — | — | — | {res['note']} |"
                + " |" * (len(SPLITS) - 1)
            )
            continue
        cells = [str(res["counts"].get(s, "–")) for s in SPLITS]
        rows.append(
            f"| {task.name} ({task.short}) | {task.input_desc} | {task.output_desc} | {task.metric} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(rows)


def render(manifest: dict, tasks: list[Task]) -> str:
    meta = yaml.safe_dump(metadata(manifest), sort_keys=False, allow_unicode=True, width=1000)
    gate = manifest["gate"]
    sources = "\n".join(
        f"| {s['kind']} | {s['key']} | `{s['file']}` | {s['rows_read']} | {s['rows_rejected']} | `{s['sha256'][:16]}` |"
        for s in manifest.get("sources", [])
    )
    config = json.dumps(manifest["config"], indent=2, ensure_ascii=False)
    drops = "\n".join(
        f"| {t} | {reason} | {n} |"
        for t, r in manifest["tasks"].items()
        for reason, n in r.get("dropped", {}).items()
    )
    return f"""---
{meta}---

# ECInstruct (built with ecinstruct {manifest["ecinstruct_version"]})

An instruction-tuning dataset for {len(tasks)} e-commerce tasks, built reproducibly from raw public
sources by [ECInstruct](https://github.com/) following eCeLLM (Peng et al., ICML 2024).
Publishable: **{"yes" if gate["passed"] else "NO — the quality gate failed"}**.

Load one task or all of them:

```python
from datasets import load_dataset
ds = load_dataset("PATH_OR_REPO", "sentiment_analysis")   # or "all"
```

## Tasks

{_tasks_table(manifest, tasks)}

## Splits and out-of-domain data

`train`, `validation` and `test_ind` hold in-domain samples; a task's samples sharing a split
group (its `split_key`) never straddle them. `test_ood` holds samples whose products are all
held out ({manifest["ood_products"]} products, from configured `ood_categories` or a seeded hash holdout):
no product of any `test_ood` sample appears in any `train` or `validation` sample of **any**
task, and every build audits this. `*_unseen_instruction` splits repeat the test samples with
the held-out sixth instruction wording. Settings: `IND_Diverse_Instruction`,
`OOD_Diverse_Instruction`, `IND_Unseen_Instruction`, `OOD_Unseen_Instruction`.

## Dropped samples

| task | reason | rows |
|---|---|---|
{drops}

## Provenance

| source | key | file | rows read | rows rejected | sha256 |
|---|---|---|---|---|---|
{sources}

Built with:

```
{manifest["command"]}
```

```json
{config}
```

## Citation

```bibtex
{CITATION}
```
"""
