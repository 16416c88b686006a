"""Run one system over (task, split) pairs and keep its results in one folder:

    results/NAME/config.json         what was run (dataset, backend, limit, prompt, seed)
    results/NAME/scores.json         {task: {split: {n, invalid, headline, metrics, ...}}}
    results/NAME/predictions.parquet one row per answer: raw text, parsed answer, validity, gold

Data are read ONLY through `datasets.load_dataset(path, task)`. Results are written after each
pair, so an interrupted run resumes where it stopped: finished pairs are skipped. Nothing is
written before the first pair is scored: everything that can be checked (the selection, --out,
the dataset, the backend's inputs) is checked first, and a run that fails before it has scored
anything leaves no folder or file behind (an earlier run's folder stays as it was).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from benchmark.tasks import REGISTRY, score
from ecinstruct import signals
from ecinstruct.errors import UserError, first_line

TEST_SPLITS = (
    "test_ind",
    "test_ood",
    "test_ind_unseen_instruction",
    "test_ood_unseen_instruction",
)
PREDICTION_SCHEMA = {
    "task": pl.String,
    "split": pl.String,
    "row": pl.Int64,
    "id": pl.String,
    "prediction": pl.String,
    "parsed": pl.String,  # JSON text of the parsed answer; null when invalid
    "valid": pl.Boolean,
    "output": pl.String,
}
# Changing any of these makes old results a different system: resuming would mix them.
IDENTITY = ("dataset", "backend", "limit", "embed")


@dataclass
class RunConfig:
    dataset: str
    backend: dict
    tasks: list[str] = field(default_factory=lambda: list(REGISTRY))
    splits: list[str] = field(default_factory=lambda: list(TEST_SPLITS))
    limit: int | None = None
    batch_size: int = 16
    embed: bool = True  # AG embedding similarity, when the MiniLM package is installed
    # The build hash of a local dataset folder (see `dataset_build`): which data was scored,
    # whatever path named it. None for a Hub id or a folder without build.json.
    dataset_build: str | None = None


def dataset_build(dataset: str) -> str | None:
    """The content hash of the dataset folder `dataset`'s data files, as publish names it
    (`ecinstruct.publish.build_hash`), or None when it is not a local build folder."""
    from ecinstruct.publish import build_hash

    try:
        manifest = json.loads((Path(dataset) / "build.json").read_text(encoding="utf-8"))
        return build_hash(manifest) if manifest.get("files") else None
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return None


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    _write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def check_out(out: Path) -> None:
    """A UserError unless `out` can take this run's results: a folder that is absent (and can
    be made), empty, or holds results of `benchmark run`; never a dataset folder or one inside
    it, nor a folder of other files (a training run's config.json would be overwritten)."""
    from ecinstruct.paths import check_own_folder

    check_own_folder(
        out,
        is_results_folder,
        "a results folder of `benchmark run`",
        "results (config.json, scores.json, predictions.parquet)",
    )


def is_results_folder(out: Path) -> bool:
    """Whether `out` holds results of this runner: scores, or the config a run writes."""
    from ecinstruct.paths import has_keys

    return (out / "scores.json").is_file() or has_keys(out / "config.json", IDENTITY)


OTHER_OUT = "; choose another --out"


def read_object(path: Path, advice: str = "") -> dict:
    """A results file (config.json, scores.json), which must hold a JSON object; a UserError
    naming it, followed by `advice`, otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} cannot be read: {first_line(exc)}{advice}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} is not a JSON object{advice}")
    return data


def _read_predictions(path: Path) -> pl.DataFrame:
    """The predictions of an earlier run's pairs (none when there is no file yet)."""
    if not path.is_file():
        return pl.DataFrame(schema=PREDICTION_SCHEMA)
    try:
        table = pl.read_parquet(path)
    except Exception as exc:  # polars and the OS raise several types; all mean "unreadable"
        raise UserError(
            f"{path} cannot be read ({first_line(exc)}); it holds the predictions of the pairs "
            "already scored there: choose another --out"
        ) from None
    if dict(table.schema) != dict(PREDICTION_SCHEMA):
        raise UserError(f"{path} does not hold predictions as this runner writes them")
    return table


def _check_config(out: Path, config: RunConfig) -> dict:
    """The config to write: the stored one must name the same system; task and split lists
    are merged, so a later run can add pairs to a folder."""
    mine = asdict(config)
    path = out / "config.json"
    if not path.is_file() or not (out / "scores.json").is_file():
        return mine  # nothing scored yet: a failed start does not lock the folder
    old = read_object(path, OTHER_OUT)
    built = old.get("dataset_build")
    if built and mine["dataset_build"] and built != mine["dataset_build"]:
        raise UserError(
            f"{out} holds results scored on another build of {config.dataset} (build {built}, "
            f"now {mine['dataset_build']}); choose another --out"
        )
    if not built:  # scored before runs recorded their build: which one is not known
        mine["dataset_build"] = None
    for key in IDENTITY:
        if old.get(key) != mine[key]:
            raise UserError(
                f"{out} holds results of another run ({key}: {old.get(key)!r} != {mine[key]!r});"
                " choose another --out"
            )
    mine["tasks"] = [t for t in REGISTRY if t in set(old.get("tasks") or []) | set(config.tasks)]
    mine["splits"] = [
        s for s in TEST_SPLITS if s in set(old.get("splits") or []) | set(config.splits)
    ]
    return mine


def _config_names(dataset: str) -> list[str]:
    import datasets

    try:
        return datasets.get_dataset_config_names(dataset)
    except Exception as exc:  # datasets raises many types; all mean "cannot read it"
        raise UserError(f"cannot read dataset {dataset}: {first_line(exc)}") from None


def _load(dataset: str, task: str):
    import datasets

    try:
        return datasets.load_dataset(dataset, task)
    except Exception as exc:
        raise UserError(f"cannot load {task} from {dataset}: {first_line(exc)}") from None


def _rows(task: str, split: str, records: Sequence[dict], texts, parsed) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "task": [task] * len(records),
            "split": [split] * len(records),
            "row": list(range(len(records))),
            "id": [r["id"] for r in records],
            "prediction": texts,
            "parsed": [None if p is None else json.dumps(p, ensure_ascii=False) for p in parsed],
            "valid": [p is not None for p in parsed],
            "output": [r["output"] for r in records],
        },
        schema=PREDICTION_SCHEMA,
    )


@dataclass
class Pair:
    """One (task, split) to score: its records (after --limit) and its task's train loader."""

    task: str
    split: str
    records: list[dict]
    train: Callable[[], list[dict]]


def _check_selection(config: RunConfig) -> None:
    if not config.tasks:
        raise UserError(f"no task selected; choose from {', '.join(REGISTRY)}")
    if not config.splits:
        raise UserError(f"no split selected; choose from {', '.join(TEST_SPLITS)}")
    unknown = [t for t in config.tasks if t not in REGISTRY]
    if unknown:
        raise UserError(f"unknown task(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    bad_splits = [s for s in config.splits if s not in TEST_SPLITS]
    if bad_splits:
        raise UserError(f"unknown split(s) {', '.join(bad_splits)}; use {', '.join(TEST_SPLITS)}")


def _plan(config: RunConfig, available: set[str], scores: dict, log) -> list[Pair]:
    """The requested pairs not scored yet that the dataset has, records loaded."""
    pairs = []
    for task in (t for t in dict.fromkeys(config.tasks) if t in available):
        todo = [s for s in dict.fromkeys(config.splits) if s not in scores.get(task, {})]
        if not todo:
            log(f"skip {task}: {', '.join(config.splits)} already scored")
            continue
        data = _load(config.dataset, task)
        train_cache: list[list[dict]] = []

        def train(data=data, cache=train_cache, task=task) -> list[dict]:
            if not cache:
                if "train" not in data:
                    raise UserError(f"{task}: the dataset has no train split for this baseline")
                cache.append(data["train"].to_list())
            return cache[0]

        for split in todo:
            if split not in data:
                log(f"skip {task}/{split}: not in dataset")
                continue
            pairs.append(Pair(task, split, _limited(data, split, config.limit), train))
    return pairs


UNSEEN = "_unseen_instruction"


def _limited(data, split: str, limit: int | None) -> list[dict]:
    """The records of `split` to score: the first `limit`, in file order. An unseen-instruction
    split repeats its test split's samples in another order (ids hash the wording), so with a
    limit it takes the very samples its test split takes: the two then differ by the wording
    alone."""
    part = data[split]
    if limit is None or len(part) <= limit:
        return part.to_list()
    base = split.removesuffix(UNSEEN)
    if base != split and base in data:
        by_sample = {_sample(r): r for r in part.to_list()}
        chosen = [by_sample.get(_sample(r)) for r in data[base].select(range(limit)).to_list()]
        if all(r is not None for r in chosen):
            return chosen
    return part.select(range(limit)).to_list()


def _sample(record: dict) -> tuple:
    """What a sample is, whatever its wording: its input, options and gold output."""
    return record["input"], tuple(record["options"] or ()), record["output"]


def run(config: RunConfig, backend, out: Path, progress: bool = True, log=None) -> dict:
    """Score `backend` on every requested (task, split) not yet in `out`; returns scores.

    Writes nothing until the first pair is scored (see the module's docstring)."""
    from tqdm import tqdm

    log = log or (lambda msg: print(msg, file=sys.stderr))
    _check_selection(config)
    check_out(out)
    stored = _check_config(out, config)
    available = set(_config_names(config.dataset))
    missing = [t for t in config.tasks if t not in available]
    if missing and len(missing) == len(config.tasks):
        raise UserError(f"dataset {config.dataset} has none of the tasks {', '.join(config.tasks)}")
    for task in missing:
        log(f"skip {task}: not in dataset {config.dataset}")

    scores_path, preds_path = out / "scores.json", out / "predictions.parquet"
    scores = read_object(scores_path, OTHER_OUT) if scores_path.is_file() else {}
    pairs = _plan(config, available, scores, log)
    if not pairs:
        done = any(s in scores.get(t, {}) for t in config.tasks for s in config.splits)
        if not done:
            raise UserError(
                f"dataset {config.dataset} has none of the selected task/split pairs "
                f"(tasks {', '.join(config.tasks)}; splits {', '.join(config.splits)})"
            )
        return scores
    # A backend that can tell from the records alone that it has nothing to answer says so
    # now (a predictions file whose ids match no selected sample), before anything is written.
    getattr(backend, "check", lambda pairs: None)([(p.task, p.split, p.records) for p in pairs])
    table = _read_predictions(preds_path)
    wrote_config = False
    for pair in pairs:
        task, split, records = pair.task, pair.split, pair.records
        # A backend that loads a model does so here, not under the first progress bar.
        getattr(backend, "prepare", lambda: None)()
        with tqdm(
            total=len(records), desc=f"{task}/{split}", disable=not progress, file=sys.stderr
        ) as bar:
            texts, extra = backend.predict(task, records, pair.train, bar.update)
        try:
            result = score(task, records, texts, embed=config.embed)
        except ValueError as exc:  # a gold record the scorer cannot read: bad dataset
            raise UserError(f"{config.dataset}: {exc}") from None
        parsed = result.pop("parsed")
        table = pl.concat(
            [
                table.filter((pl.col("task") != task) | (pl.col("split") != split)),
                _rows(task, split, records, texts, parsed),
            ]
        )
        table = table.sort(pl.col("task"), pl.col("split"), pl.col("row"))
        # The folder and its config come with the first scored pair, predictions before
        # scores: a pair in scores.json always has its predictions. A Ctrl-C meanwhile takes
        # effect once all are written.
        with signals.deferred():
            if not wrote_config:
                out.mkdir(parents=True, exist_ok=True)
                _write_json(out / "config.json", stored)
                wrote_config = True
            _write_atomic(preds_path, table.write_parquet)
            scores.setdefault(task, {})[split] = {**result, **extra}
            _write_json(scores_path, scores)
        headline = result["metrics"].get(result["headline"])
        log(
            f"{task}/{split}: {result['headline']}={headline} invalid={result['invalid']}/{result['n']}"
        )
        if extra.get("missing"):
            log(
                f"warning: {task}/{split}: {extra['missing']} of {result['n']} samples have no "
                "prediction (counted invalid)"
            )
    return scores
