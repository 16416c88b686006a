"""Leaderboard from results folders only: Markdown, CSV, a self-contained HTML page, a PNG chart.

    python -m benchmark.leaderboard results/ [--out results/leaderboard] [--reference NAME]

One row per system (a folder with scores.json), one column per task (its headline metric),
one view per test split: IND, OOD, and both unseen-instruction splits. Each view also shows the
invalid-answer counts and the average relative improvement over a reference row (default: a
`--baseline random` run, when there is one). The paper's published IND numbers are added as
reference rows, marked as paper-reported: different data and an evaluation that dropped
unparseable answers, so not comparable measurements.

Every results folder must be readable: a scores.json (or config.json) that is not valid JSON,
or does not have the shape `python -m benchmark run` writes ({task: {split: {n, invalid,
headline, metrics}}} with known task and split names), stops the leaderboard with an error
naming the file and what is wrong, rather than a board with a system silently missing. Fix
or remove that file, or move its folder out of RESULTS_DIR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from benchmark.runner import read_object
from benchmark.tasks import REGISTRY, SHORT
from ecinstruct import signals
from ecinstruct.errors import UserError
from ecinstruct.paths import check_out_folder, refuse_inside_build

VIEWS = {
    "IND": "test_ind",
    "OOD": "test_ood",
    "IND, unseen instruction": "test_ind_unseen_instruction",
    "OOD, unseen instruction": "test_ood_unseen_instruction",
}
PAPER_MARK = " (paper)"
# eCeLLM (ICML 2024), IND test set, as published (SPEC.md). AG is BERTScore F1 there.
PAPER = {
    "GPT-4 Turbo": [0.495, 0.326, 0.753, 0.516, 0.387, 0.611, 0.195, 0.875, 0.649, 0.858],
    "eCeLLM-L": [0.582, 0.611, 0.995, 0.648, 0.526, 0.684, 0.501, 0.870, 0.851, 0.841],
    "eCeLLM-M": [0.662, 0.558, 0.995, 0.639, 0.542, 0.696, 0.305, 0.876, 0.846, 0.842],
    "eCeLLM-S": [0.509, 0.518, 0.991, 0.596, 0.479, 0.650, 0.392, 0.870, 0.846, 0.842],
}
PAPER_METRIC = {"answer_generation": "bertscore_f1"}
LONG_SCHEMA = {
    "view": pl.String,
    "system": pl.String,
    "kind": pl.String,  # measured | paper
    "task": pl.String,
    "metric": pl.String,
    "value": pl.Float64,
    "invalid": pl.Int64,
    "n": pl.Int64,
}
NOTE = (
    "Rows marked (paper) are the numbers published with eCeLLM (ICML 2024) on the original "
    "ECInstruct IND test set: other data, and an evaluation that dropped unparseable answers "
    "(ours counts them wrong). Shown for orientation only; they are not comparable measurements. "
    "Their AG value is BERTScore F1, not ROUGE-L."
)


def systems(results_dir: Path) -> list[Path]:
    """Result folders (with scores.json) directly under results_dir, by name."""
    if not results_dir.exists():
        raise UserError(f"results folder {results_dir} does not exist")
    if not results_dir.is_dir():
        raise UserError(f"results folder {results_dir} is a file, not a folder")
    found = sorted(p for p in results_dir.iterdir() if (p / "scores.json").is_file())
    if not found:
        raise UserError(f"no results under {results_dir} (no */scores.json)")
    return found


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_scores(path: Path) -> dict:
    """A scores.json as `python -m benchmark run` writes it; a UserError naming the file and
    the first thing wrong otherwise."""
    scores = read_object(path)
    for task, splits in scores.items():
        if task not in REGISTRY:
            raise UserError(f"{path}: unknown task {task!r}")
        if not isinstance(splits, dict):
            raise UserError(f"{path}: {task} is not a {{split: result}} object")
        for split, result in splits.items():
            if split not in VIEWS.values():
                raise UserError(f"{path}: {task} has an unknown split {split!r}")
            where = f"{path}: {task}/{split}"
            if not isinstance(result, dict):
                raise UserError(f"{where} is not a result object")
            if not isinstance(result.get("headline"), str):
                raise UserError(f"{where} has no headline metric name")
            metrics = result.get("metrics")
            if not isinstance(metrics, dict) or not all(
                v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                for v in metrics.values()
            ):
                raise UserError(f"{where}: metrics is not a {{name: number}} object")
            for key in ("n", "invalid"):
                if not _count(result.get(key)):
                    raise UserError(f"{where}: {key} is not a count")
    return scores


def collect(folders: list[Path]) -> tuple[pl.DataFrame, dict[str, dict]]:
    """Long table of every measured (view, system, task) headline score, and each config."""
    rows, configs = [], {}
    split_view = {split: view for view, split in VIEWS.items()}
    for folder in folders:
        scores = read_scores(folder / "scores.json")
        config_path = folder / "config.json"
        configs[folder.name] = read_object(config_path) if config_path.is_file() else {}
        backend = configs[folder.name].get("backend")
        if backend is not None and not isinstance(backend, dict):
            raise UserError(f"{config_path}: backend is not an object")
        for task, splits in scores.items():
            for split, result in splits.items():
                metric = result["headline"]
                rows.append(
                    {
                        "view": split_view[split],
                        "system": folder.name,
                        "kind": "measured",
                        "task": task,
                        "metric": metric,
                        "value": result["metrics"].get(metric),
                        "invalid": result["invalid"],
                        "n": result["n"],
                    }
                )
    return pl.DataFrame(rows, schema=LONG_SCHEMA), configs


def paper_rows() -> pl.DataFrame:
    rows = [
        {
            "view": "IND",
            "system": name + PAPER_MARK,
            "kind": "paper",
            "task": task,
            "metric": PAPER_METRIC.get(task, REGISTRY[task].headline),
            "value": value,
            "invalid": None,
            "n": None,
        }
        for name, values in PAPER.items()
        for task, value in zip(REGISTRY, values, strict=True)
    ]
    return pl.DataFrame(rows, schema=LONG_SCHEMA)


def default_reference(configs: dict[str, dict]) -> str | None:
    for name, config in sorted(configs.items()):
        backend = config.get("backend") or {}
        if backend.get("kind") == "baseline" and backend.get("baseline") == "random":
            return name
    return None


def same_data(a: dict, b: dict) -> bool:
    """Whether two systems (their config.json) were measured on the same data: the same
    --limit, and the same dataset build when both runs recorded one (`dataset_build`), else
    the same dataset as named."""
    if a.get("limit") != b.get("limit"):
        return False
    if a.get("dataset_build") and b.get("dataset_build"):
        return a["dataset_build"] == b["dataset_build"]
    return a.get("dataset") == b.get("dataset")


def other_data(configs: dict[str, dict], reference: str | None) -> list[str]:
    """The measured systems whose data differ from the (measured) reference's, by name."""
    if reference not in configs:
        return []
    return sorted(name for name, c in configs.items() if not same_data(c, configs[reference]))


def wide(
    long: pl.DataFrame, view: str, reference: str | None, apart: frozenset[str] = frozenset()
) -> pl.DataFrame:
    """One row per system: a column per task short name, invalid/n, and the mean relative
    improvement over `reference` across the tasks both rows have (reference value > 0); none
    for the systems `apart`, measured on other data than the reference (`other_data`)."""
    part = long.filter(pl.col("view") == view)
    tasks = [t for t in REGISTRY if t in set(part["task"])]
    order = part.select("system", "kind").unique().sort(pl.col("kind") != "measured", "system")
    ref_rows = part.filter(pl.col("system") == reference) if reference else part.clear()
    ref = {r["task"]: r["value"] for r in ref_rows.iter_rows(named=True)}
    ref_kind = ref_rows["kind"][0] if ref_rows.height else None
    rows = []
    for system, kind in order.iter_rows():
        mine = part.filter(pl.col("system") == system)
        values = {r["task"]: r["value"] for r in mine.iter_rows(named=True)}
        gains = [
            (values[t] - ref[t]) / ref[t]
            for t in tasks
            if values.get(t) is not None and ref.get(t) and ref[t] > 0
        ]
        row = {"system": system, **{SHORT[t]: values.get(t) for t in tasks}}
        row["invalid"] = None if kind == "paper" else f"{mine['invalid'].sum()}/{mine['n'].sum()}"
        # Paper rows and measured rows are different data: compare only within a kind.
        comparable = reference is not None and kind == ref_kind and system not in apart
        row["rel_impr"] = sum(gains) / len(gains) if gains and comparable else None
        rows.append(row)
    schema = {
        "system": pl.String,
        **{SHORT[t]: pl.Float64 for t in tasks},
        "invalid": pl.String,
        "rel_impr": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def invalid_table(long: pl.DataFrame, view: str) -> pl.DataFrame:
    """Invalid answers per measured system and task, as "invalid/n"."""
    part = long.filter((pl.col("view") == view) & (pl.col("kind") == "measured"))
    tasks = [t for t in REGISTRY if t in set(part["task"])]
    rows = []
    for system in sorted(set(part["system"])):
        mine = {r["task"]: r for r in part.filter(pl.col("system") == system).iter_rows(named=True)}
        rows.append(
            {
                "system": system,
                **{
                    SHORT[t]: f"{mine[t]['invalid']}/{mine[t]['n']}" if t in mine else None
                    for t in tasks
                },
            }
        )
    return pl.DataFrame(rows, schema={"system": pl.String, **{SHORT[t]: pl.String for t in tasks}})


def build(results_dir: Path, reference: str | None = None) -> dict:
    """Everything the writers need: long table, one wide and one invalid table per view."""
    long, configs = collect(systems(results_dir))
    reference = reference or default_reference(configs)
    long = pl.concat([long, paper_rows()])
    if reference is not None and reference not in set(long["system"]):
        known = ", ".join(sorted(set(long["system"])))
        raise UserError(f"--reference {reference!r} is not a row; rows: {known}")
    apart = other_data(configs, reference)
    views = {}
    for view in VIEWS:
        if long.filter(pl.col("view") == view).is_empty():
            continue
        views[view] = {
            "scores": wide(long, view, reference, frozenset(apart)),
            "invalid": invalid_table(long, view),
        }
    first = next(iter(configs.values()), {})
    return {
        "long": long,
        "views": views,
        "configs": configs,
        "reference": reference,
        "other_data": apart,
        # With no reference to set rows apart: whether the rows were measured on mixed data.
        "mixed_data": not all(same_data(c, first) for c in configs.values()),
    }


def other_data_note(board: dict) -> str | None:
    """Why some rows have no relative improvement, or that the rows were measured on different
    data; None when neither."""
    if not board.get("other_data"):
        if board.get("mixed_data") and board.get("reference") is None:
            return (
                "The systems were measured on different data (another dataset build or "
                "--limit; see Systems): their scores do not compare."
            )
        return None
    return (
        f"No average relative improvement for {', '.join(board['other_data'])}: measured on "
        f"other data than {board['reference']} (another dataset build or --limit; see Systems)."
    )


def write(board: dict, out: Path) -> list[Path]:
    from benchmark import leaderboard_render as render

    out.mkdir(parents=True, exist_ok=True)
    png = render.chart(board)
    contents = {
        "md": render.markdown(board).encode(),
        "csv": board["long"].sort("view", "kind", "system", "task").write_csv().encode(),
        "html": render.html(board, png).encode(),
        "png": png,
    }
    # All rendered first, then written together: a Ctrl-C never leaves files of two boards.
    paths = []
    with signals.deferred():
        for ext, data in contents.items():
            paths.append(out / f"leaderboard.{ext}")
            paths[-1].write_bytes(data)
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmark.leaderboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results_dir", type=Path, help="folder holding one results folder per system")
    p.add_argument("--out", type=Path, help="output folder (default: RESULTS_DIR/leaderboard)")
    p.add_argument("--reference", help="row to compute the average relative improvement against")
    args = p.parse_args(argv)
    out = args.out or args.results_dir / "leaderboard"
    try:
        if args.results_dir.is_dir():  # else build() says what is wrong with RESULTS_DIR
            refuse_inside_build(out, "the leaderboard")
            check_out_folder(out)
        board = build(args.results_dir, args.reference)
        for path in write(board, out):
            print(path)
        if note := other_data_note(board):
            print(f"note: {note}", file=sys.stderr)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BaseException:
        # Ctrl-C, SIGTERM or SIGHUP (see ecinstruct.signals).
        status = signals.stopped("earlier leaderboard files left as they were")
        if status is None:
            raise
        return status
    return 0


if __name__ == "__main__":
    signals.take_signals()
    sys.exit(main())
