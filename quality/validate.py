"""`ecinstruct validate DIR`: re-check a built dataset folder.

Loads the records under data/, checks every file against the hashes in build.json and that each
file holds only its own task and split, then runs every suite (quality.suites). Canonical tables
are not part of a published folder, so only the record suites run here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import polars as pl
from rich.markup import escape
from rich.table import Table

from ecinstruct.progress import console
from ecinstruct.tasks.base import Task
from ecinstruct.writer import sha256_file
from quality.folder import data_files, load_manifest, load_records
from quality.suites import result_row, run_suites


def check_files(folder: Path, manifest: dict) -> list[dict]:
    """Every data file listed in build.json exists with its hash, and no other is there."""
    listed = {k: v for k, v in manifest["files"].items() if k.startswith("data/")}
    present = {p.relative_to(folder).as_posix() for p in data_files(folder)}
    missing = sorted(set(listed) - present)
    extra = sorted(present - set(listed))
    changed = sorted(
        rel
        for rel in set(listed) & present
        if sha256_file(folder / rel) != listed[rel].get("sha256")
    )
    why = "data files are exactly those build.json lists, with its sha256 hashes"
    return [
        result_row("files", "files_listed_in_build_json_exist@1", not missing, len(missing),
             [{"file": f} for f in missing], why=why),
        result_row("files", "no_unlisted_data_files@1", not extra, len(extra),
             [{"file": f} for f in extra], why=why),
        result_row("files", "files_match_build_json_sha256@1", not changed, len(changed),
             [{"file": f} for f in changed], why=why),
    ]  # fmt: skip


def check_layout(records: pl.DataFrame) -> list[dict]:
    """A file data/<task>/<split>-*.parquet holds only records of that task and split."""
    parts = pl.col("_file").str.split("/")
    wrong = records.filter(
        (parts.list.get(1) != pl.col("task"))
        | ~parts.list.get(2).str.starts_with(pl.col("split") + "-")
    )
    return [
        result_row(
            "files",
            "records_match_their_file_task_and_split@1",
            wrong.is_empty(),
            wrong.height,
            wrong.select("_file", "id", "task", "split").head(5).to_dicts(),
            why="data/<task>/<split>-*.parquet holds only that task's records of that split",
        )
    ]


def validate_folder(folder: Path, *, tasks: Mapping[str, Task] | None = None) -> dict:
    """Re-run every check on a built folder: {"passed", "results", "folder", "records"}."""
    folder = Path(folder)
    manifest = load_manifest(folder)
    records = load_records(folder)
    results = check_files(folder, manifest) + check_layout(records)
    suites = run_suites({}, records.drop("_file"), tasks=tasks)
    results += suites["results"]
    passed = all(r["success"] or r["severity"] != "critical" for r in results)
    return {"passed": passed, "results": results, "folder": str(folder), "records": records.height}


def print_validation(result: dict) -> None:
    rows = result["results"]
    failed = [r for r in rows if not r["success"]]
    if failed:
        table = Table(title="failed expectations", title_justify="left", show_lines=True)
        for col in ("suite", "expectation", "severity", "unexpected", "examples"):
            table.add_column(col, overflow="fold")
        for r in failed:
            examples = "\n".join(json.dumps(e, ensure_ascii=False) for e in r["examples"][:3])
            table.add_row(
                escape(r["suite"]),
                f"{escape(r['expectation'])}\n[dim]{escape(r['description'])}[/dim]",
                r["severity"],
                str(r["unexpected_count"]),
                escape(examples),
            )
        console.print(table)
    n_crit = sum(1 for r in failed if r["severity"] == "critical")
    verdict = "[green]passed[/green]" if result["passed"] else "[red]FAILED[/red]"
    console.print(
        f"validate {escape(str(result.get('folder', '')))}: {verdict} — {len(rows)} expectations, "
        f"{len(failed)} failed ({n_crit} critical), {result.get('records', 0):,} records"
    )
