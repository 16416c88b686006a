"""Raw source adapters: configured raw files in, canonical tables out.

    specs = load_config("sources.toml")
    canonical, provenance = load_canonical(specs)

`provenance` has one dict per file read: kind, key, file (as written in the config), bytes,
sha256, rows_read, rows_rejected.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ecinstruct.canonical import TABLES, Canonical, conform, empty
from ecinstruct.errors import UserError
from ecinstruct.sources.config import load_config
from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.registry import ADAPTERS
from ecinstruct.sources.spec import SourceSpec

# Loading jobs running at once (see _load_jobs).
LOAD_WORKERS = 2
# Raw files over this size in all are loaded in a child process (see load_isolated).
ISOLATE_BYTES = 256 * 1024**2

__all__ = [
    "ADAPTERS",
    "TABLES_FILE",
    "SourceSpec",
    "load_canonical",
    "load_config",
    "load_into",
    "load_isolated",
    "map_tables",
    "raw_bytes",
    "run_adapter",
]


def run_adapter(
    spec: SourceSpec, progress=None, part: str | None = None
) -> tuple[dict[str, pl.DataFrame], LoadContext]:
    """One spec's tables, its `rejected` frame included, and the context that read it; with
    `part`, those of that part of the adapter alone (see `registry`)."""
    ctx = LoadContext(spec, progress)
    adapter = ADAPTERS[spec.kind]
    tables = dict(adapter.load(ctx) if part is None else adapter.PARTS[part](ctx))
    tables["rejected"] = ctx.rejected()
    return {name: conform(frame, name) for name, frame in tables.items()}, ctx


def _jobs(spec: SourceSpec) -> list[tuple[str | None, int]]:
    """(part, estimated bytes to parse) of every loading job of `spec`: one per part of an
    adapter that has parts and files for more than one of them, else one for the whole."""
    parts = getattr(ADAPTERS[spec.kind], "PARTS", {})
    jobs = [(key, _parse_bytes(spec.paths(key))) for key in parts if spec.paths(key)]
    if len(jobs) < 2:
        return [(None, _parse_bytes(p for paths in spec.files.values() for p in paths))]
    return jobs


def _parse_bytes(paths) -> int:
    """Roughly how many bytes the reader parses: a gzip file's size uncompressed (its last
    four bytes hold it, modulo 4 GiB), any other file's size."""
    total = 0
    for path in paths:
        size = path.stat().st_size if path.is_file() else 0
        if path.name.endswith(".gz") and size >= 18:
            with path.open("rb") as handle:
                handle.seek(-4, 2)
                size = max(size, int.from_bytes(handle.read(4), "little"))
        total += size
    return total


def _merge(results: list[tuple[dict[str, pl.DataFrame], LoadContext]]):
    """One spec's parts (in part order) as if `load` had read them all."""
    if len(results) == 1:
        return results[0]
    tables: dict[str, list[pl.DataFrame]] = {}
    for part_tables, _ in results:
        for name, frame in part_tables.items():
            tables.setdefault(name, []).append(frame)
    merged = {n: f[0] if len(f) == 1 else pl.concat(f, how="vertical") for n, f in tables.items()}
    # `rejected` last, as `run_adapter` puts it.
    tables = {n: merged[n] for n in merged if n != "rejected"} | {"rejected": merged["rejected"]}
    return tables, _merge_contexts([ctx for _, ctx in results])


def _merge_contexts(contexts: list[LoadContext]) -> LoadContext:
    """The first of one spec's parts' contexts, holding every part's counts."""
    ctx = contexts[0]
    for part_ctx in contexts[1:]:
        if part_ctx is not ctx:
            ctx.rows_read.update(part_ctx.rows_read)
            ctx.out_of_scope.update(part_ctx.out_of_scope)
    return ctx


def _load_jobs(
    specs: Sequence[SourceSpec], progress: bool, digests: list[dict[Path, Future]]
) -> Iterator[tuple[int, int, dict[str, pl.DataFrame], LoadContext]]:
    """Run every loading job of `specs` (see `_jobs`) and yield (spec index, job index,
    tables, context) as each one finishes. `digests` gets each spec's {path: future sha256}.

    Two jobs (an adapter, or a part of one) run at a time: a large source spends long
    stretches in single-threaded work (a gzip stream, Python-side cleaning) that the other
    fills. The largest jobs start first, so that no large one is left running alone at the
    end. Hashing is I/O-bound and releases the GIL: it overlaps with the parsing. When jobs
    fail, the error raised is that of the first failed job in config order among those that
    ran (the others are not started)."""
    with (
        _progress(progress) as bar,
        ThreadPoolExecutor(max_workers=1) as hasher,
        ThreadPoolExecutor(max_workers=LOAD_WORKERS) as pool,
    ):
        plans = [(spec, _jobs(spec)) for spec in specs]
        largest = sorted(
            ((size, i, j) for i, (_, jobs) in enumerate(plans) for j, (_, size) in enumerate(jobs)),
            key=lambda job: -job[0],
        )
        futures: dict[Future, tuple[int, int]] = {}
        for _, i, j in largest:
            spec, jobs = plans[i]
            futures[pool.submit(run_adapter, spec, bar, jobs[j][0])] = (i, j)
        for spec in specs:
            paths = {path for paths in spec.files.values() for path in paths}
            digests.append({path: hasher.submit(_sha256, path) for path in sorted(paths)})
        try:
            for future in as_completed(futures):
                if future.exception() is not None:
                    pool.shutdown(wait=True, cancel_futures=True)
                    failed = [f for f in futures if not f.cancelled() and f.exception()]
                    raise min(failed, key=futures.__getitem__).exception()
                i, j = futures.pop(future)
                yield i, j, *future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def load_canonical(
    specs: Sequence[SourceSpec], progress: bool = True
) -> tuple[Canonical, list[dict]]:
    canonical = Canonical()
    provenance: list[dict] = []
    digests: list[dict[Path, Future]] = []
    done = {(i, j): (tables, ctx) for i, j, tables, ctx in _load_jobs(specs, progress, digests)}
    # Tables are added in config order, so the result never depends on which job finished
    # first.
    for i, spec in enumerate(specs):
        tables, ctx = _merge([done.pop(key) for key in sorted(k for k in done if k[0] == i)])
        canonical.add(spec.kind, tables)
        provenance.extend(_provenance(spec, ctx, _per_file(tables["rejected"]), digests[i]))
    return canonical, provenance


def raw_bytes(specs: Sequence[SourceSpec]) -> int:
    """Total size of the raw files the specs name."""
    paths = {path for spec in specs for paths in spec.files.values() for path in paths}
    return sum(path.stat().st_size for path in paths if path.is_file())


def load_isolated(
    specs: Sequence[SourceSpec], progress: bool = True, folder: Path | None = None
) -> tuple[Canonical, list[dict]]:
    """`load_canonical` run in a child process (`ecinstruct.sources.isolated`), which hands
    the tables over as uncompressed Arrow IPC files (see `load_into`); the same tables and
    provenance come back.

    Parsing millions of raw rows (DuckDB results, Arrow conversions, cleaning) leaves the
    allocators holding much more memory than the tables themselves (at `sample --scale 65`:
    2.1-2.6 GB resident for 0.9 GB of tables). A child gives all of it back when it exits,
    and the tables read back are laid out compactly, so the rest of a large build starts
    about 1 GB lighter. A UserError in the child (bad input) is raised here as it was.

    With `folder` (empty, kept by the caller for as long as the tables are used), the files
    stay there and the tables are memory-mapped from them (`map_tables`): nothing is copied,
    and another process mapping the same files shares the memory. Without it they are read
    from a temporary folder into memory."""
    import contextlib
    import tempfile

    from ecinstruct.parallel import launch, outcome_of

    own = tempfile.TemporaryDirectory(prefix="ecinstruct-load-") if folder is None else None
    with own or contextlib.nullcontext() as tmp:
        work = folder if folder is not None else Path(tmp)
        child = launch("ecinstruct.sources.isolated", work, (list(specs), progress))
        try:
            status = child.wait()
        except BaseException:  # Ctrl-C, SIGTERM: the child goes too
            child.kill()
            child.wait()
            raise
        kinds, provenance = outcome_of(work, status, "loading the sources in a child process")
        canonical = Canonical()
        canonical.kinds = set(kinds)
        canonical.tables.update(map_tables(work, copy=folder is None))
    return canonical, provenance


def map_tables(folder: Path, copy: bool = False) -> dict[str, pl.DataFrame]:
    """Every canonical table that `load_into` wrote to `folder` (the pieces `TABLES_FILE`
    lists, in order), memory-mapped: their memory is the files' pages in the system's file
    cache, read when first touched and shared by every process that maps them. The files must
    stay until the frames are gone (on Linux, deleting a mapped file is safe: its pages live
    until the last mapping ends). With `copy`, the tables are read into memory instead."""
    import pyarrow as pa
    import pyarrow.ipc

    def piece(file: str) -> pl.DataFrame:
        if copy:
            return pl.read_ipc(folder / file)
        # Arrow unmaps the file once the last buffer exported from it is released, not
        # when the handle closes.
        with pa.memory_map(str(folder / file)) as source:
            table = pyarrow.ipc.open_file(source).read_all()
        return pl.from_arrow(table, rechunk=False)

    listed = json.loads((folder / TABLES_FILE).read_text())
    return {
        name: pl.concat([piece(f) for f in files], how="vertical", rechunk=False)
        if files
        else empty(name)
        for name, files in listed.items()
    }


# Where `load_into` lists the pieces of each table.
TABLES_FILE = "tables.json"


def load_into(
    specs: Sequence[SourceSpec], folder: Path, progress: bool
) -> tuple[list[str], list[dict]]:
    """Load every canonical table into `folder` and return the source kinds and the
    provenance (what `load_isolated` needs besides the tables).

    Each loading job's tables are written the moment it finishes, as pieces
    (`<table>-<spec>-<job>.arrow`, uncompressed so that the build can map them) listed in
    config order in `TABLES_FILE`, and then let go: the largest tables are on disk while the
    small sources still load, and the process never holds every table at once (its peak
    on the large sample went from 2.6-2.7 to 2.1 GB resident)."""
    digests: list[dict[Path, Future]] = []
    done: dict[tuple[int, int], tuple[dict[str, str], LoadContext, Counter]] = {}
    for i, j, tables, ctx in _load_jobs(specs, progress, digests):
        files = {}
        for name, frame in tables.items():
            if frame.height:
                files[name] = f"{name}-{i}-{j}.arrow"
                _write(frame, folder / files[name])
        done[(i, j)] = (files, ctx, _per_file(tables["rejected"]))
        del tables, frame
    order = sorted(done)
    listed = {name: [done[k][0][name] for k in order if name in done[k][0]] for name in TABLES}
    (folder / TABLES_FILE).write_text(json.dumps(listed, indent=1))
    provenance = []
    for i, spec in enumerate(specs):
        ctx = _merge_contexts([done[k][1] for k in order if k[0] == i])
        per_file = sum((done[k][2] for k in order if k[0] == i), Counter())
        provenance.extend(_provenance(spec, ctx, per_file, digests[i]))
    return sorted({spec.kind for spec in specs}), provenance


def _write(frame: pl.DataFrame, path: Path) -> None:
    try:
        frame.write_ipc(path, compression="uncompressed")
    except OSError as err:
        raise UserError(
            f"cannot write the loaded tables to {path.parent} ({err}); point TMPDIR at a "
            "folder with room for about twice the raw files' size (the tables, uncompressed)"
        ) from None


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _per_file(rejected: pl.DataFrame) -> Counter:
    """Rejected rows per file."""
    return Counter(dict(rejected.group_by("file").len().iter_rows()) if rejected.height else {})


def _provenance(
    spec: SourceSpec, ctx: LoadContext, per_file: Counter, digests: dict[Path, Future]
) -> list[dict]:
    rows = []
    for key, paths in spec.files.items():
        for path in paths:
            name = spec.display(path)
            rows.append(
                {
                    "kind": spec.kind,
                    "key": key,
                    "file": name,
                    "bytes": path.stat().st_size,
                    "sha256": digests[path].result(),
                    "rows_read": ctx.rows_read.get((key, name), 0),
                    "rows_rejected": per_file.get(name, 0),
                    "rows_out_of_scope": ctx.out_of_scope.get((key, name), 0),
                }
            )
    return rows


@contextmanager
def _progress(enabled: bool) -> Iterator[object]:
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        yield bar
