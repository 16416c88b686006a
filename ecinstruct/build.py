"""One build: sources -> canonical tables -> tasks -> splits -> records -> audit -> folder.

Pure steps in the middle, reading and writing only at the two ends (STYLE.md rule 3).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ecinstruct import __version__, assemble, audit, card, parallel, splits, writer
from ecinstruct.canonical import Canonical
from ecinstruct.config import BuildConfig
from ecinstruct.errors import UserError
from ecinstruct.paths import is_build_folder, is_junk
from ecinstruct.progress import Progress
from ecinstruct.records import RECORD_SCHEMA, SPLITS
from ecinstruct.tasks import REGISTRY, full_names, known_names
from ecinstruct.tasks import common as task_steps
from ecinstruct.tasks.base import Task, TaskContext
from quality import pii

# quality.candidates and quality.dedup (numpy, scipy: half a second of imports) are imported
# where they are first used, so that a large build starts its loading child without waiting
# for them: they are imported while the child loads.

# Canonical columns that name products, per table: the OOD universe is every product an
# OOD-capable task can show. The catalogue (`products`) is not listed: a product only matters
# when some task's samples reference it, and holding out catalogue rows that no OOD-capable
# task shows would only cost other tasks data.
PRODUCT_COLUMNS = {
    "reviews": ("product_id",),
    "relations": ("product_id", "related_id"),
    "matches": ("left_id", "right_id"),
    "attributes": ("product_id",),
    "judgments": ("product_id",),
    "questions": ("product_id",),
}


# Which source kinds fill each canonical table, for the "skipped" note.
TABLE_SOURCES = {
    "reviews": "amazon_reviews_2018 / amazon_reviews_2023",
    "products": "any source",
    "relations": "amazon_reviews_2018 / amazon_reviews_2023 meta",
    "matches": "amazon_google_products",
    "attributes": "mave / oa_mine",
    "judgments": "esci",
    "questions": "amazonqa / epqa / mcauley_qa",
}


# dropped.parquet: every candidate a task could not use, with its reason (over-quota rows,
# which are fine samples left out for size, are not listed).
DROPPED_SCHEMA: dict[str, pl.DataType] = {
    "task": pl.String,
    "drop_reason": pl.String,
    "split": pl.String,
    "group": pl.String,
    "input": pl.String,
    "output": pl.String,
    "product_ids": pl.List(pl.String),
}

# What dropped.parquet keeps of a dropped candidate, besides its task.
DROPPED_COLUMNS = [c for c in DROPPED_SCHEMA if c != "task"]


class BuildFailed(Exception):
    """The build ran but its output breaks a promise (e.g. OOD leakage); exit code 1."""


@dataclass
class TaskResult:
    task: str
    status: str  # built | skipped
    note: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    quality_seconds: float = 0.0
    sources: list[str] = field(default_factory=list)  # of its records, by kind


def select_tasks(names: tuple[str, ...]) -> list[Task]:
    """The tasks named (full or short names, see `tasks.full_names`), or every task."""
    names = full_names(names)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UserError(f"unknown task(s) {', '.join(unknown)}; known: {known_names()}")
    return [REGISTRY[n] for n in (names or tuple(REGISTRY))]


def ood_universe(canonical: Canonical, tasks: list[Task]) -> pl.DataFrame:
    """Every product an OOD-capable task of `tasks` can show (product_id, source) with the
    category of each catalogue row of that product from that source (null when it has none),
    in no particular order."""
    tables = {t for task in tasks if task.has_ood for t in task.tables}
    frames = [
        canonical[t].select(pl.col(c).alias("product_id"), "source")
        for t in sorted(tables)
        for c in PRODUCT_COLUMNS.get(t, ())
    ]
    if not frames:
        return pl.DataFrame(
            schema={"product_id": pl.String, "source": pl.String, "category": pl.String}
        )
    ids = pl.concat(frames).drop_nulls().unique()
    catalogue = canonical["products"].select("product_id", "source", "category")
    return ids.join(catalogue, on=["product_id", "source"], how="left")


def build_task(
    task: Task,
    canonical: Canonical,
    ood: pl.DataFrame,
    config: BuildConfig,
    reviewer_names: pii.KnownNames | pl.Series | None = None,
) -> tuple[TaskResult, pl.DataFrame, pl.DataFrame, dict]:
    """Returns the task's result line, its records, its dropped candidates and the statistics
    of its quality checks."""
    from quality import candidates as quality_checks

    start = time.perf_counter()
    empty = [t for t in task.tables if canonical[t].is_empty()]
    if empty:
        needs = "; ".join(f"{t} (from {TABLE_SOURCES.get(t, t)})" for t in empty)
        note = f"skipped: the sources provide no {needs}"
        return (
            TaskResult(task.name, "skipped", note),
            pl.DataFrame(schema=RECORD_SCHEMA),
            pl.DataFrame(),
            {},
        )
    sizes = config.sizes(task.sizes)
    # Builders may subsample to three times each side's quotas (plus room for small ones):
    # the checks and decontamination drop far fewer than that.
    ctx = TaskContext(
        seed=config.seed,
        ood_products=ood,
        max_candidates=3 * sum(sizes[:3]) + 1000,
        max_ood_candidates=3 * sizes[3] + 1000,
    )
    cands = task.build(canonical, ctx)
    # The rows a builder dropped (most of a large build's rows: a million duplicate reviews,
    # say) only need their split and a PII scrub before they are published; the split, check
    # and cap steps below see the usable rows alone.
    usable = cands["drop_reason"].is_null()
    early = splits.place(cands.filter(~usable), ood, sizes, task.has_ood, config.seed)
    cands = _drop_duplicate_inputs(cands.filter(usable))
    t = time.perf_counter()
    placed, checks = checked_window(task, cands, ood, sizes, config.seed, reviewer_names)
    early = quality_checks.scrub_dropped(task, early, checks, reviewer_names=reviewer_names)
    early = early.select(pl.lit(task.name).alias("task"), *DROPPED_COLUMNS)
    quality_seconds = time.perf_counter() - t
    # Cap train first, clean validation/test against the train set that ships, then cap them:
    # samples dropped as contaminated are replaced from the over-quota pool.
    placed = splits.cap(placed, sizes, config.seed, only=("train",))
    t = time.perf_counter()
    placed, decon = quality_checks.decontaminate(placed)
    quality_seconds += time.perf_counter() - t
    placed = splits.cap(placed, sizes, config.seed, only=("validation", "test_ind", "test_ood"))
    kept = placed.filter(pl.col("drop_reason").is_null())
    late = placed.filter(pl.col("drop_reason").is_not_null())
    reasons = pl.concat([early.select("drop_reason"), late.select("drop_reason")])
    records = assemble.records(task, kept)
    counts = dict(records.group_by("split").len().iter_rows())
    result = TaskResult(
        task.name,
        "built" if records.height else "empty",
        counts={s: counts.get(s, 0) for s in SPLITS if s in counts or _has_split(task, s)},
        dropped=dict(sorted(reasons.group_by("drop_reason").len().iter_rows())),
        seconds=round(time.perf_counter() - start, 3),
        quality_seconds=round(quality_seconds, 3),
        sources=sorted(records["source"].drop_nulls().unique().to_list()),
    )
    if not records.height:
        result.note = "no usable samples: see drop reasons"
    elif task.has_ood and not counts.get("test_ood"):
        result.note = "test_ood empty: no sample lies wholly in held-out products"
    late = late.filter(pl.col("drop_reason") != "over_quota")
    dropped = pl.concat([early, late.select(pl.lit(task.name).alias("task"), *DROPPED_COLUMNS)])
    return result, records, dropped, {"candidates": checks, "decontamination": decon}


def _drop_duplicate_inputs(cands: pl.DataFrame) -> pl.DataFrame:
    """Exact duplicates of one input would put the same question in two splits, or twice in
    one: every usable row after the first with the same input becomes `duplicate_input`. Only
    usable rows are compared (a builder may keep millions of dropped ones)."""
    later = (
        cands.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), "input", "drop_reason")
        .filter(pl.col("drop_reason").is_null())
        .filter(~pl.col("input").is_first_distinct())
        .get_column("_i")
    )
    if later.is_empty():
        return cands
    return cands.with_columns(cands["drop_reason"].scatter(later, "duplicate_input"))


# The quality checks judge, per split, the rows that come first in quota order: the quota plus
# this much room for rows the checks (and decontamination) drop. Rows further down could only
# ever be over quota, so checking them would be wasted work.
WINDOW_FACTOR = 1.25
WINDOW_EXTRA = 100


def checked_window(
    task: Task,
    cands: pl.DataFrame,
    ood: pl.DataFrame,
    sizes: tuple[int, int, int, int],
    seed: int,
    reviewer_names,
) -> tuple[pl.DataFrame, dict]:
    """Place the candidates in splits and run the quality checks on the rows that can make the
    quotas (see WINDOW_FACTOR); the rest are marked over_quota unchecked. When the checks leave
    a split short while unchecked rows wait, everything is checked instead, so a window never
    costs a sample the sources hold."""
    from quality import candidates as quality_checks

    placed = splits.place(cands, ood, sizes, task.has_ood, seed)
    quotas = splits.quotas(sizes)
    limits = {k: int(v * WINDOW_FACTOR) + WINDOW_EXTRA for k, v in quotas.items()}
    far = splits.past_limits(placed, limits, seed)
    if far.is_empty():
        return quality_checks.check_candidates(task, placed, reviewer_names=reviewer_names)
    beyond = pl.repeat(False, placed.height, eager=True).scatter(far, True)
    window, stats = quality_checks.check_candidates(
        task, placed.filter(~beyond), reviewer_names=reviewer_names
    )
    rest = placed.filter(beyond)
    have = dict(window.filter(pl.col("drop_reason").is_null()).group_by("split").len().iter_rows())
    if any(have.get(s, 0) < quotas[s] for s in rest["split"].unique()):
        return quality_checks.check_candidates(task, placed, reviewer_names=reviewer_names)
    rest = rest.with_columns(pl.lit("over_quota").alias("drop_reason"))
    stats["unchecked_over_quota"] = rest.height
    return pl.concat([window, rest]), stats


def _has_split(task: Task, split: str) -> bool:
    return task.has_ood or "ood" not in split


# What a build writes in its folder: these files, and its data files under data/.
BUILD_FILES = (
    "README.md",
    "build.json",
    "dropped.parquet",
    "quality_report.html",
    "quality_report.md",
    "rejected.parquet",
)


def foreign_files(folder: Path) -> list[str]:
    """The files in the build folder `folder` that no build writes (posix paths, sorted, hidden
    ones included, desktop junk not, see `paths.is_junk`): a new build would delete them."""
    return sorted(
        rel
        for p in folder.rglob("*")
        if not p.is_dir()
        and (rel := p.relative_to(folder).as_posix()) not in BUILD_FILES
        and not rel.startswith("data/")
        and not is_junk(rel)
    )


def default_sources(config: BuildConfig) -> Path:
    """The built-in sample, generated once per (scale, seed) into the user cache."""
    from ecinstruct.paths import cache_dir
    from ecinstruct.sample import generate

    # Keyed by the generator's own source too, so a changed generator never serves stale files.
    code = hashlib.sha256()
    for path in sorted((Path(__file__).parent / "sample").glob("*.py")):
        code.update(path.read_bytes())
    key = f"scale-{config.sample_scale:g}-seed-{config.seed}-{code.hexdigest()[:12]}"
    folder = cache_dir() / "sample" / key
    toml = folder / "sources.toml"
    if not toml.is_file():
        with writer.atomic_folder(folder, output=False) as tmp:
            generate(tmp, scale=config.sample_scale, seed=config.seed, progress=config.progress)
    return toml


def _prefetch_quality_imports(plots: bool) -> threading.Thread:
    """Import the checks and the report on a background thread while the build loads and
    builds, which is mostly native DuckDB/polars work; and matplotlib (a second or more of
    Python) when this process draws the report's figures (`plots`; a large build's report
    child draws them and imports it itself). Not great-expectations: the checks import it
    only for an expectation that polars cannot settle (see quality.suites)."""

    def work() -> None:
        try:
            import quality.report  # noqa: F401
            import quality.suites  # noqa: F401

            if plots:
                import quality.plots  # noqa: F401  (matplotlib)
        except Exception:  # noqa: BLE001 - the import where they are used reports it
            pass

    thread = threading.Thread(target=work, name="ecinstruct-prefetch", daemon=True)
    thread.start()
    return thread


class Stopwatch:
    """Wall-clock and CPU seconds per build stage (`timings_s` and `cpu_s` in build.json).

    CPU time counts every thread of this process and its children once they have ended (the
    loading child), so a stage's CPU seconds over its wall seconds is how many cores it kept
    busy on average."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.begin()

    @staticmethod
    def _now() -> tuple[float, float]:
        t = os.times()
        return time.perf_counter(), t.user + t.system + t.children_user + t.children_system

    def begin(self) -> None:
        """Start the total (and the next lap) here."""
        self._start = self._mark = self._now()

    def restart(self) -> None:
        """Start the next lap here: what ran since the last one belongs to no stage."""
        self._mark = self._now()

    def lap(self, name: str) -> None:
        """Record stage `name`: the time since the last lap, restart or begin."""
        now = self._now()
        self.wall[name] = now[0] - self._mark[0]
        self.cpu[name] = now[1] - self._mark[1]
        self._mark = now

    def total(self) -> None:
        """Record `total`: the time since `begin`."""
        now = self._now()
        self.wall["total"] = now[0] - self._start[0]
        self.cpu["total"] = now[1] - self._start[1]


def run(config: BuildConfig, argv: list[str] | None = None) -> dict:
    """Build the dataset folder `config.out`; returns the manifest written as build.json."""
    from ecinstruct.sources import (
        ISOLATE_BYTES,
        load_canonical,
        load_config,
        load_isolated,
        raw_bytes,
    )

    clock = Stopwatch()
    tasks = select_tasks(config.tasks)
    writer.check_replaceable(
        config.out, is_build_folder, "a dataset folder ECInstruct built", foreign_files
    )
    if config.sources is None:
        sources_path = default_sources(config)
        clock.lap("generate_sample")
    else:
        sources_path = config.sources
    clock.begin()
    specs = load_config(sources_path)
    # Large sources load in a child process, which takes the loading's memory with it. The
    # quality libraries are imported beside the loading, or beside the tasks when a child
    # loads (the child's peak and theirs would add up): once a second task process is done,
    # when there is one (see _build_into). The suites wait for them.
    isolated = raw_bytes(specs) > ISOLATE_BYTES
    prefetch = None if isolated else _prefetch_quality_imports(plots=True)
    with contextlib.ExitStack() as stack:
        # A child's tables stay in this folder, mapped rather than read, for the whole build:
        # a second process building tasks maps the same files (see ecinstruct.parallel).
        handover = None
        _clear_stale_handovers()
        if isolated:
            handover = Path(
                stack.enter_context(
                    tempfile.TemporaryDirectory(prefix=HANDOVER_PREFIX, ignore_cleanup_errors=True)
                )
            )
            (handover / HANDOVER_OWNER).write_text(writer.owner())
            canonical, provenance = load_isolated(specs, config.progress, folder=handover)
        else:
            canonical, provenance = load_canonical(specs, progress=config.progress)
        clock.lap("load_sources")

        # Everything from here goes into a temporary sibling of config.out, which replaces it
        # only once complete: large by-products (dropped candidates) are written as they come.
        with writer.atomic_folder(config.out) as tmp:
            manifest = _build_into(
                tmp,
                config,
                tasks,
                canonical,
                specs=specs,
                provenance=provenance,
                sources_path=sources_path,
                argv=argv,
                clock=clock,
                imports=prefetch,
                handover=handover,
            )
    return manifest


# The handover folders of large builds in the temporary folder, and the file naming the build
# that owns one (host and process id).
HANDOVER_PREFIX, HANDOVER_OWNER = "ecinstruct-tables-", "owner"


def _clear_stale_handovers(root: Path | None = None) -> list[Path]:
    """Remove the handover folders (over a gigabyte on a large build) that builds killed
    before they could clean up (SIGKILL, out of memory, a crash of the machine) left in the
    temporary folder: those whose owner ran on this host and is gone. Folders without an
    owner file, or owned elsewhere, are left alone. Says what it removed; returns it."""
    from ecinstruct.progress import console

    root = Path(tempfile.gettempdir()) if root is None else root
    removed, size = [], 0
    for folder in sorted(root.glob(HANDOVER_PREFIX + "*")):
        if not writer.owner_gone(folder / HANDOVER_OWNER):
            continue
        size += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    if removed:
        console.print(
            f"removed {len(removed)} table folder(s) ({size / 1e9:.1f} GB) that killed builds "
            f"left in {root}",
            markup=False,
        )
    return removed


def _build_into(
    tmp: Path,
    config: BuildConfig,
    tasks: list[Task],
    canonical: Canonical,
    *,
    specs,
    provenance: list[dict],
    sources_path: Path,
    argv: list[str] | None,
    clock: Stopwatch,
    imports: threading.Thread | None = None,
    handover: Path | None = None,
) -> dict:
    """The build after loading: tasks, checks and every file, written into `tmp`. The
    canonical tables are emptied once the checks are done with them. `imports` is the thread
    importing the quality libraries, waited for (as `quality_imports`) before the suites; when
    None, it starts with the tasks, or once a second task process is done: while this process
    has half of the cores, the import's few seconds of Python would take them from its tasks."""
    clock.restart()
    ood_cats = {s.kind: tuple(s.ood_categories) for s in specs if s.ood_categories}
    # Held out over every task's products, whichever tasks this build makes: a task built on
    # its own (`--tasks PM`) gets the very samples it gets in a build of every task.
    universe = ood_universe(canonical, list(REGISTRY.values()))
    ood = splits.ood_products(universe, ood_cats, config.ood_fraction, config.seed)
    unmatched = splits.unmatched_categories(universe, ood_cats)
    del universe
    results, all_records, task_quality = [], [], {}
    # Scrubbed wherever they appear (quality.pii), picked out once for every task.
    names = pii.KnownNames.of(canonical["reviews"]["reviewer_name"].drop_nulls().unique())
    # Dropped candidates (a million rows and more on a large build) go to disk task by task,
    # written on a thread of their own while the next task is built.
    dropped_file = writer.ParquetAppender(
        tmp / "dropped.parquet",
        DROPPED_SCHEMA,
        dictionary=["task", "drop_reason", "split"],
        background=True,
    )
    prefetch = [imports]

    def start_imports() -> None:
        if prefetch[0] is None:
            prefetch[0] = _prefetch_quality_imports(plots=handover is None)

    try:
        with (
            Progress(enabled=config.progress) as bar,
            # On a large build a second process builds the second half of the tasks.
            parallel.worker(handover, tasks, config, ood, names, then=start_imports) as second,
        ):
            processes = 1 if second is None else 2
            if second is None:
                start_imports()
            for i, task in enumerate(bar.iter(tasks, "building tasks", lambda tk: tk.name)):
                if second is None or i < parallel.split(tasks):
                    res, recs, dropped, stats = build_task(task, canonical, ood, config, names)
                else:
                    res, recs, dropped, stats = second.result(i, task.name)
                results.append(res)
                if stats:
                    task_quality[task.name] = stats
                all_records.append(recs)
                dropped_file.append(dropped)
                del dropped
        dropped_file.close()
    except BaseException:
        dropped_file.abort()
        raise
    finally:
        task_steps.forget()
    records = pl.concat(all_records)
    del all_records
    clock.lap("build_tasks")

    quality = {
        "candidates": {name: q["candidates"] for name, q in task_quality.items()},
        "decontamination": {name: q["decontamination"] for name, q in task_quality.items()},
    }
    task_part = {"tasks": {r.task: r.__dict__ for r in results}, "quality": quality}
    with contextlib.ExitStack() as stack:
        # On a large build a child process makes the report's tables and figures of the
        # records (seconds of plotting) on a core the checks leave idle. It is handed the
        # records' columns it reads (a tenth of a second to write) and let go at once: it
        # imports its libraries (a second) and works while this process writes the records,
        # audits them and runs the suites (which polars mostly decides, see quality.suites:
        # the tables' suites add little memory to the child's).
        clock.restart()
        report_child = None
        if handover is not None:
            from quality.report import RECORD_COLUMNS

            report_child = stack.enter_context(
                parallel.beside("quality.report", handover / "report", _as_json(task_part))
            )
            records.select(RECORD_COLUMNS).write_ipc(report_child.folder / "records.arrow")
            report_child.go()

        rejected = pii.scrub_raw(canonical["rejected"], names)  # published: no names, links
        canonical_rows = canonical.counts()
        del names
        for task, res in zip(tasks, results, strict=True):
            if res.status == "skipped":
                continue
            task_recs = records.filter(pl.col("task") == task.name)
            # An empty split gets no file: datasets cannot load a split with no data.
            for split in (s for s, n in res.counts.items() if n):
                writer.write_split(
                    tmp,
                    task.name,
                    split,
                    task_recs.filter(pl.col("split") == split),
                    config.shard_rows,
                )
        writer.write_parquet(rejected, tmp / "rejected.parquet")
        files = writer.file_hashes(tmp, keep=lambda rel: rel.startswith("data/"))
        clock.lap("write")
        # A build that fails the audit leaves no output: the folder is still temporary.
        report = audit.audit(records)
        if not report["ood_leak"]["passed"]:
            raise BuildFailed(
                f"OOD leak: {report['ood_leak']['leaked_products']} test_ood products appear in "
                f"train/validation, e.g. {report['ood_leak']['examples'][:2]}"
            )

        clock.restart()
        start_imports()  # a build with no tasks to build
        prefetch[0].join()
        from quality import dedup
        from quality.report import build_context as build_report_context
        from quality.report import write_report
        from quality.suites import run_suites

        clock.lap("quality_imports")
        # The canonical tables are done with once their own suites have run: the record
        # suites and the report need the memory more.
        suites = run_suites(
            canonical.tables,
            records,
            tasks={task.name: task for task in tasks},
            audit_report=report,
            release_tables=True,
        )
        del canonical
        clock.lap("quality_suites")
        # Nothing reads the canonical tables' files any more: a thread unlinks them (freeing a
        # large build's gigabyte of file cache is most of a second of the kernel's time) while
        # this process waits for the report's child.
        released = None if handover is None else _unlink_tables(handover)
        dedup.forget()
        gate = {
            "passed": bool(suites["passed"]),
            "failed": [
                r["expectation"]
                for r in suites["results"]
                if not r["success"] and r.get("severity", "critical") == "critical"
            ],
            "allow_failed_checks": config.allow_failed_checks,
        }
        manifest = {
            "ecinstruct_version": __version__,
            "command": "python -m ecinstruct "
            + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
            "config": config.to_json() | {"sources": str(sources_path)},
            "sources": provenance,
            # Built from the built-in sample (`ecinstruct sample`): generated text, not data.
            "synthetic": _is_sample(Path(sources_path).parent),
            "canonical_rows": canonical_rows,
            "ood_products": ood.height,
            # Configured ood_categories that no product of their source has, with near names.
            "ood_categories_unmatched": unmatched,
            "tasks": task_part["tasks"],
            # 2 when a second process built the second half of the tasks (ecinstruct.parallel).
            "task_processes": processes,
            "task_versions": {t.name: t.version for t in tasks},
            "rejected": _count(rejected, ["source", "reason"]),
            "audit": report,
            "gate": gate,
            "quality": quality | {"suites": suites},
            "files": files,
        }
        # The report's tables and figures, from the manifest as build.json will hold it.
        report_ctx = build_report_context(
            tmp,
            _as_json(manifest),
            records_part=None if report_child is None else report_child.outcome(),
            name=Path(config.out).resolve().name,
        )
        clock.lap("quality_report")
    # The whole quality stage in wall seconds (the checks run inside the tasks' stage).
    quality_seconds = (
        clock.wall["quality_imports"]
        + clock.wall["quality_suites"]
        + sum(r.quality_seconds for r in results)
    )
    clock.total()
    timings = clock.wall | {"quality": quality_seconds + clock.wall["quality_report"]}
    timings["total"] = timings.pop("total")
    manifest["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    manifest["cpu_s"] = {k: round(v, 3) for k, v in clock.cpu.items()}
    report_ctx["summary"]["seconds"] = manifest["timings_s"]["total"]
    (tmp / "build.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    )
    (tmp / "README.md").write_text(card.render(manifest, tasks))
    write_report(tmp, report_ctx)
    if released is not None:
        released.join()
    return manifest


def _is_sample(folder: Path) -> bool:
    from ecinstruct.sample.generate import is_sample_folder  # the generator's modules: lazily

    return is_sample_folder(folder)


def _unlink_tables(handover: Path) -> threading.Thread:
    """Unlink the table files `load_isolated` left in `handover`, on a thread of its own. A
    file that cannot go now (a system that keeps mapped files) is left to the folder's own
    cleanup at the end of the build."""

    def work() -> None:
        for path in sorted(handover.glob("*.arrow")):
            with contextlib.suppress(OSError):
                path.unlink()

    thread = threading.Thread(target=work, name="ecinstruct-unlink", daemon=True)
    thread.start()
    return thread


def _as_json(obj: dict) -> dict:
    """`obj` as build.json will hold it (numbers, strings, lists and dicts)."""
    return json.loads(json.dumps(obj, ensure_ascii=False, default=str))


def _count(df: pl.DataFrame, by: list[str]) -> list[dict]:
    if df.is_empty():
        return []
    return df.group_by(by).len("rows").sort(by).to_dicts()
