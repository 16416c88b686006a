"""The dataset card (README.md), generated from the build manifest — never edited by hand.

`render` is a pure function of build.json's content and the task records: no clock, no
timings, no machine state, so the same build always writes the same card.
"""

from __future__ import annotations

import fnmatch
import json
from typing import TYPE_CHECKING

import polars as pl
import yaml

from ecinstruct.records import RECORD_SCHEMA, SPLITS

if TYPE_CHECKING:  # render only reads a task's attributes
    from ecinstruct.tasks.base import Task

# Each source kind's public release: (Hub licence id, what its publishers say).
SOURCE_LICENSES = {
    "amazon_reviews_2018": ("other", "research use (McAuley lab, UCSD)"),
    "amazon_reviews_2023": ("other", "research use (McAuley lab, UCSD)"),
    "amazon_google_products": ("cc-by-4.0", "CC BY 4.0 (Leipzig entity-matching benchmark)"),
    "mave": ("cc-by-4.0", "CC BY 4.0 (Google Research)"),
    "esci": ("apache-2.0", "Apache 2.0 (Amazon Science)"),
    "amazonqa": ("other", "research use (AmazonQA)"),
    "oa_mine": ("apache-2.0", "Apache 2.0 (ExtractGPT processing)"),
    "ae_110k": ("apache-2.0", "Apache 2.0 (ExtractGPT processing)"),
    "epqa": ("cdla-sharing-1.0", "CDLA-Sharing-1.0 (Amazon Science)"),
    "mcauley_qa": ("other", "research use (McAuley lab, UCSD)"),
}
# The canonical tables each source kind fills, to name a task's sources in the card when the
# build does not record them per task.
SOURCE_TABLES = {
    "amazon_reviews_2018": ("products", "reviews", "relations"),
    "amazon_reviews_2023": ("products", "reviews", "relations"),
    "amazon_google_products": ("products", "matches"),
    "mave": ("products", "attributes"),
    "oa_mine": ("products", "attributes"),
    "ae_110k": ("products", "attributes"),
    "esci": ("products", "judgments"),
    "amazonqa": ("questions",),
    "epqa": ("questions",),
    "mcauley_qa": ("questions",),
}
# Hub task category per output format; every task is also instruction-following generation.
FORMAT_CATEGORIES = {
    "option": "text-classification",
    "ranking": "text-classification",
    "triples": "token-classification",
    "text": "question-answering",
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


def _task_files(manifest: dict, task: str, split: str) -> dict[str, dict]:
    prefix = f"data/{task}/{split}-"
    return {f: m for f, m in manifest.get("files", {}).items() if f.startswith(prefix)}


def _built(manifest: dict) -> list[str]:
    return [t for t, r in manifest["tasks"].items() if r["status"] != "skipped"]


def _config_splits(manifest: dict) -> dict[str, dict[str, list[str]]]:
    """config -> split -> tasks it covers; a split exists where its files hold rows.

    An empty split is left out: `datasets` refuses to load a split with no rows at all.
    """
    out: dict[str, dict[str, list[str]]] = {"all": {}}
    for task in _built(manifest):
        counts = manifest["tasks"][task].get("counts", {})
        for split in SPLITS:
            if counts.get(split, 0) > 0 and _task_files(manifest, task, split):
                out.setdefault(task, {})[split] = [task]
                out["all"].setdefault(split, []).append(task)
    out["all"] = {s: out["all"][s] for s in SPLITS if s in out["all"]}
    return out


def configs(manifest: dict) -> list[dict]:
    """One config per built task, plus `all` (the default); a split appears only where files exist."""
    out = []
    for name, splits in _config_splits(manifest).items():
        task = "*" if name == "all" else name
        files = [{"split": s, "path": f"data/{task}/{s}-*.parquet"} for s in splits]
        out.append(
            {"config_name": name, "data_files": files}
            | ({"default": True} if name == "all" else {})
        )
    return out


def _feature(name: str, dtype: pl.DataType) -> dict:
    """A `datasets` feature in the card's YAML form (list columns as `list: <dtype>`)."""
    if isinstance(dtype, pl.List):
        return {"name": name, "list": _feature("", dtype.inner)["dtype"]}
    simple = {pl.String: "string", pl.Int64: "int64", pl.Int32: "int32", pl.Float64: "float64",
              pl.Boolean: "bool"}  # fmt: skip
    return {"name": name, "dtype": simple[dtype.base_type()]}


def dataset_info(manifest: dict) -> list[dict]:
    """Features and split sizes per config; num_bytes are the sizes of the Parquet files that
    the config's data_files pattern matches."""
    features = [_feature(n, t) for n, t in RECORD_SCHEMA.items()]
    files = manifest.get("files", {})
    patterns = {c["config_name"]: c["data_files"] for c in configs(manifest)}
    out = []
    for name, splits in _config_splits(manifest).items():
        rows = []
        for entry in patterns[name]:
            split, pattern = entry["split"], entry["path"]
            size = sum(m["bytes"] for f, m in files.items() if fnmatch.fnmatch(f, pattern))
            n = sum(manifest["tasks"][t]["counts"].get(split, 0) for t in splits[split])
            rows.append({"name": split, "num_bytes": size, "num_examples": n})
        size = sum(r["num_bytes"] for r in rows)
        out.append({"config_name": name, "features": features, "splits": rows,
                    "download_size": size, "dataset_size": size})  # fmt: skip
    return out


def _kinds(manifest: dict) -> list[str]:
    return sorted({s["kind"] for s in manifest.get("sources", []) if s.get("kind")})


def metadata(manifest: dict, tasks: list[Task]) -> dict:
    kinds = _kinds(manifest)
    licenses = sorted({SOURCE_LICENSES.get(k, ("other", ""))[0] for k in kinds}) or ["other"]
    built = set(_built(manifest))
    formats = sorted({t.output_format for t in tasks if t.name in built})
    categories = ["text-generation"] + sorted(
        {FORMAT_CATEGORIES[f] for f in formats if f in FORMAT_CATEGORIES}
    )
    total = sum(sum(r["counts"].values()) for r in manifest["tasks"].values())
    return {
        "pretty_name": "ECInstruct",
        "license": licenses,
        "license_details": "; ".join(
            f"{k}: {SOURCE_LICENSES.get(k, ('other', 'see the source'))[1]}" for k in kinds
        ),
        "language": ["en"],
        "task_categories": categories,
        "tags": ["e-commerce", "instruction-tuning", "ecinstruct"],
        "size_categories": [_size_category(total)],
        "configs": configs(manifest),
        "dataset_info": dataset_info(manifest),
    }


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(head: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _task_sources(manifest: dict, task: Task, res: dict) -> str:
    if res.get("sources"):
        return ", ".join(sorted(res["sources"]))
    # Products alone do not make a sample (every source fills that table): match on the rest.
    wanted = (set(task.tables) - {"products"}) or set(task.tables)
    kinds = [k for k in _kinds(manifest) if set(SOURCE_TABLES.get(k, ())) & wanted]
    return ", ".join(kinds) or "–"


def _tasks_section(manifest: dict, by_name: dict[str, Task]) -> str:
    rows = []
    for name, res in manifest["tasks"].items():
        task = by_name.get(name)
        label = f"{name} ({task.short})" if task else name
        if res["status"] == "skipped" or task is None:
            rows.append([label, "–", "–", "–", "–", *["–"] * len(SPLITS), res.get("note", "")])
            continue
        sizes = [res["counts"].get(s, "–") for s in SPLITS]
        note = res.get("note") or task.description
        rows.append([label, _task_sources(manifest, task, res), task.input_desc,
                     task.output_desc, task.metric, *sizes, note])  # fmt: skip
    return _table(["task", "source", "input", "output", "metric", *SPLITS, "note"], rows)


def _splits_section(manifest: dict, by_name: dict[str, Task]) -> str:
    cfg = manifest.get("config", {})
    keys = _table(
        ["task", "split unit", "OOD split"],
        [[n, t.split_key, "yes" if t.has_ood else "no"] for n, t in by_name.items()
         if manifest["tasks"].get(n, {}).get("status") not in (None, "skipped")],
    )  # fmt: skip
    return f"""`train`, `validation` and `test_ind` hold in-domain samples. Samples are assigned by a
seeded hash of their split unit (seed {cfg.get("seed", "–")}), so all samples of one unit land in
the same split:

{keys}

`test_ood` holds samples whose products are all held out: {manifest.get("ood_products", "–")}
products, from each source's configured `ood_categories` or else a seeded hash holdout of
{cfg.get("ood_fraction", "–")} of the products. A sample that mixes held-out and other products
is dropped (`straddles_ood`), and tasks without an OOD split drop samples showing held-out
products (`ood_product_in_task_without_ood`). No product of any `test_ood` sample appears in
any `train` or `validation` sample of **any** task; every build audits this and fails on a
leak. The `*_unseen_instruction` splits repeat the test samples, rendered with the sixth
instruction wording that training never sees. Settings: `IND_Diverse_Instruction`
(train, validation, test_ind), `OOD_Diverse_Instruction`, `IND_Unseen_Instruction`,
`OOD_Unseen_Instruction`."""


def _quality_section(manifest: dict) -> str:
    gate, audit = manifest.get("gate", {}), manifest.get("audit", {})
    leak = audit.get("ood_leak", {})
    dups = audit.get("duplicate_inputs_across_splits", {})
    lines = [f"Quality gate: **{'passed' if gate.get('passed') else 'FAILED: not publishable'}**."]
    if gate.get("failed"):
        lines.append("Critical checks that failed: " + ", ".join(map(str, gate["failed"])) + ".")
    if gate.get("checks"):  # a manifest that names its gate's checks
        lines += ["", _table(["gate check", "passed"],
                             [[k, "yes" if v else "NO"] for k, v in sorted(gate["checks"].items())])]  # fmt: skip
    lines += [
        "",
        f"OOD leak audit: {'passed' if leak.get('passed') else 'FAILED'} "
        f"({leak.get('leaked_products', 0)} leaked products). Inputs shared across splits: "
        + (", ".join(f"{t} {n}" for t, n in sorted(dups.items())) or "none")
        + ".",
    ]
    suites = (manifest.get("quality") or {}).get("suites") or {}
    if suites.get("results"):
        lines += ["", _quality_suites(suites["results"])]
    return "\n".join(lines)


def _quality_suites(results: list[dict]) -> str:
    """The build's data-check suites (great-expectations and our own): how many expectations
    each ran, and the names of those that failed."""
    suites: dict[str, list[dict]] = {}
    for r in results:
        suites.setdefault(str(r.get("suite", "?")), []).append(r)
    rows = []
    for name, checks in sorted(suites.items()):
        failed = [f"{r.get('expectation', '?')} ({r.get('severity', 'critical')})"
                  for r in checks if not r.get("success")]  # fmt: skip
        rows.append([name, len(checks), len(failed), "; ".join(failed[:3]) or "–"])
    total = sum(row[1] for row in rows)
    failed_total = sum(row[2] for row in rows)
    return f"{total} expectations in {len(rows)} suites, {failed_total} failed:\n\n" + _table(
        ["suite", "expectations", "failed", "failing"], rows
    )


def _drops_section(manifest: dict) -> str:
    rows = [[t, reason, n] for t, r in manifest["tasks"].items()
            for reason, n in sorted(r.get("dropped", {}).items())]  # fmt: skip
    rejected = [
        [r.get("source"), r.get("reason"), r.get("rows")] for r in manifest.get("rejected", [])
    ]
    out = [
        "Candidates a task could not use, by reason (`over_quota`: usable but beyond the "
        "split sizes asked for); the rows are in `dropped.parquet`, all but the `over_quota` "
        "ones.",
        "",
        _table(["task", "reason", "rows"], rows) if rows else "None.",
        "",
        "Raw rows refused while reading the sources (in `rejected.parquet`):",
        "",
        _table(["source", "reason", "rows"], rejected) if rejected else "None.",
    ]
    return "\n".join(out)


def _provenance_section(manifest: dict) -> str:
    rows = []
    for s in manifest.get("sources", []):
        sha = s.get("sha256") or ""
        rows.append([
            s.get("kind", "–"), s.get("key", "–"), f"`{s.get('file') or s.get('path') or '–'}`",
            s.get("bytes", "–"), s.get("rows_read", s.get("rows", "–")),
            s.get("rows_rejected", "–"), f"`{sha}`" if sha else "–",
        ])  # fmt: skip
    canon = ", ".join(f"{k} {v:,}" for k, v in manifest.get("canonical_rows", {}).items())
    versions = ", ".join(f"{t} v{v}" for t, v in manifest.get("task_versions", {}).items())
    return "\n".join([
        _table(["source", "key", "file", "bytes", "rows read", "rows rejected", "sha256"], rows),
        "",
        f"Canonical rows after normalisation: {canon or '–'}.",
        "",
        f"Task versions: {versions or '–'}.",
    ])  # fmt: skip


SYNTHETIC = (
    "> **Synthetic data.** This folder was built from ECInstruct's built-in sample: text "
    "generated in the raw formats of the public sources, for trying and testing the pipeline. "
    "It is not e-commerce data: do not train a model on it for use, nor cite its numbers."
)


class _Dumper(yaml.SafeDumper):
    # Plain YAML for the Hub: repeat shared values instead of writing &anchors / *aliases.
    def ignore_aliases(self, data: object) -> bool:
        return True


def render(manifest: dict, tasks: list[Task]) -> str:
    by_name = {t.name: t for t in tasks}
    meta = yaml.dump(
        metadata(manifest, tasks), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000
    )
    total = sum(sum(r["counts"].values()) for r in manifest["tasks"].values())
    repeats = sum(n for r in manifest["tasks"].values()
                  for split, n in r["counts"].items() if split.endswith("_unseen_instruction"))  # fmt: skip
    built = _built(manifest)
    config = json.dumps(manifest.get("config", {}), indent=2, ensure_ascii=False, sort_keys=True)
    licences = "\n".join(
        f"- {k}: {SOURCE_LICENSES.get(k, ('other', 'see the source'))[1]}" for k in _kinds(manifest)
    )
    return f"""---
{meta}---

# ECInstruct

{SYNTHETIC + chr(10) + chr(10) if manifest.get("synthetic") else ""}An instruction-tuning dataset for e-commerce: {total:,} samples over {len(built)} tasks ({total - repeats:,}
distinct; the other {repeats:,} repeat the test samples with the unseen instruction), built
reproducibly from {"the built-in synthetic sample" if manifest.get("synthetic") else "raw public sources"} by ECInstruct {manifest.get("ecinstruct_version", "")}
following eCeLLM (Peng et al., ICML 2024, arXiv 2402.08831). Every sample is an instruction,
an input, optional answer options and the gold output, plus provenance (product ids, category,
source). Quality gate: **{"passed" if manifest.get("gate", {}).get("passed") else "FAILED"}**.

```python
from datasets import load_dataset
ds = load_dataset("NAMESPACE/NAME", "sentiment_analysis")  # one task, or "all"
```

Columns: {", ".join(f"`{c}`" for c in RECORD_SCHEMA)}. `input` is plain text or the text of a
JSON object; for option tasks the gold `output` is the full text of one of `options`. Split
sizes in the metadata count rows; their `num_bytes` are the sizes of the Parquet files.

## Tasks

{_tasks_section(manifest, by_name)}

## Splits and out-of-domain data

{_splits_section(manifest, by_name)}

## Quality

{_quality_section(manifest)}

## Dropped samples

{_drops_section(manifest)}

## Provenance

{_provenance_section(manifest)}

Licences of the sources used:

{licences or "- none recorded"}

## How it was built

```
{manifest.get("command", "")}
```

Resolved configuration:

```json
{config}
```

## Citation

```bibtex
{CITATION}
```
"""
