"""Raw source adapters: configured raw files in, canonical tables out.

    specs = load_config("sources.toml")
    canonical, provenance = load_canonical(specs)

`provenance` has one dict per file read: kind, key, file (as written in the config), bytes,
sha256, rows_read, rows_rejected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ecinstruct.canonical import Canonical, conform
from ecinstruct.errors import UserError
from ecinstruct.sources.config import load_config
from ecinstruct.sources.context import LoadContext
from ecinstruct.sources.registry import ADAPTERS
from ecinstruct.sources.spec import SourceSpec

# Adapters loading at once (see load_canonical).
LOAD_WORKERS = 2
# Raw files over this size in all are loaded in a child process (see load_isolated).
ISOLATE_BYTES = 256 * 1024**2

__all__ = [
    "ADAPTERS",
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
    ctx = results[0][1]
    for part_tables, part_ctx in results:
        for name, frame in part_tables.items():
            tables.setdefault(name, []).append(frame)
        if part_ctx is not ctx:
            ctx.rows_read.update(part_ctx.rows_read)
            ctx.out_of_scope.update(part_ctx.out_of_scope)
    merged = {n: f[0] if len(f) == 1 else pl.concat(f, how="vertical") for n, f in tables.items()}
    # `rejected` last, as `run_adapter` puts it.
    return {n: merged[n] for n in merged if n != "rejected"} | {"rejected": merged["rejected"]}, ctx


def load_canonical(
    specs: Sequence[SourceSpec], progress: bool = True
) -> tuple[Canonical, list[dict]]:
    canonical = Canonical()
    provenance: list[dict] = []
    # Two jobs (an adapter, or a part of one) run at a time: a large source spends long
    # stretches in single-threaded work (a gzip stream, Python-side cleaning) that the other
    # fills. The largest jobs start first, so that no large one is left running alone at the
    # end. Tables are added in config order, so the result never depends on which finished
    # first. Hashing is I/O-bound and releases the GIL: it overlaps with the parsing.
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
        futures: dict[tuple[int, int], Future] = {}
        for _, i, j in largest:
            spec, jobs = plans[i]
            futures[(i, j)] = pool.submit(run_adapter, spec, bar, jobs[j][0])
        digests = []
        for spec in specs:
            paths = {path for paths in spec.files.values() for path in paths}
            digests.append({path: hasher.submit(_sha256, path) for path in sorted(paths)})
        try:
            for i, (spec, jobs) in enumerate(plans):
                tables, ctx = _merge([futures[(i, j)].result() for j in range(len(jobs))])
                canonical.add(spec.kind, tables)
                provenance.extend(_provenance(spec, ctx, tables["rejected"], digests[i]))
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return canonical, provenance


def raw_bytes(specs: Sequence[SourceSpec]) -> int:
    """Total size of the raw files the specs name."""
    paths = {path for spec in specs for paths in spec.files.values() for path in paths}
    return sum(path.stat().st_size for path in paths if path.is_file())


def load_isolated(
    specs: Sequence[SourceSpec], progress: bool = True, folder: Path | None = None
) -> tuple[Canonical, list[dict]]:
    """`load_canonical` run in a child process (`ecinstruct.sources.isolated`), which hands
    the tables over as uncompressed Arrow IPC files; the same tables and provenance come back.

    Parsing millions of raw rows (DuckDB results, Arrow conversions, cleaning) leaves the
    allocators holding much more memory than the tables themselves (at `sample --scale 65`:
    2.1-2.6 GB resident for 0.9 GB of tables). A child gives all of it back when it exits,
    and the tables read back are laid out compactly, so the rest of a large build starts
    about 1 GB lighter. A UserError in the child (bad input) is raised here as it was.

    With `folder` (empty, kept by the caller for as long as the tables are used), the files
    stay there and the tables are memory-mapped from them (`map_tables`): nothing is copied,
    and another process mapping the same files shares the memory. Without it they are read
    from a temporary folder into memory."""
    import tempfile

    from ecinstruct.parallel import launch, outcome_of

    with tempfile.TemporaryDirectory(prefix="ecinstruct-load-") as tmp:
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
        if folder is not None:
            canonical.tables.update(map_tables(folder, list(canonical.tables)))
        else:
            names = list(canonical.tables)
            with ThreadPoolExecutor(max_workers=LOAD_WORKERS) as pool:
                frames = pool.map(lambda name: pl.read_ipc(work / f"{name}.arrow"), names)
                canonical.tables.update(zip(names, frames, strict=True))
    return canonical, provenance


def map_tables(folder: Path, names: Sequence[str]) -> dict[str, pl.DataFrame]:
    """The tables `load_into` wrote to `folder`, memory-mapped: their memory is the files'
    pages in the system's file cache, read when first touched and shared by every process
    that maps them. The files must stay until the frames are gone (on Linux, deleting a
    mapped file is safe: its pages live until the last mapping ends)."""
    import pyarrow as pa
    import pyarrow.ipc

    tables = {}
    for name in names:
        # Arrow unmaps the file once the last buffer exported from it is released, not
        # when the handle closes.
        with pa.memory_map(str(folder / f"{name}.arrow")) as source:
            table = pyarrow.ipc.open_file(source).read_all()
        tables[name] = pl.from_arrow(table, rechunk=False)
    return tables


def load_into(
    specs: Sequence[SourceSpec], folder: Path, progress: bool
) -> tuple[list[str], list[dict]]:
    """Load and write every canonical table to `folder` as `<table>.arrow`; returns the
    source kinds and the provenance (what `load_isolated` needs besides the tables)."""
    canonical, provenance = load_canonical(specs, progress=progress)

    def write(name: str) -> None:
        # Uncompressed, so that the build can map the files instead of reading them.
        canonical.tables[name].write_ipc(folder / f"{name}.arrow", compression="uncompressed")

    try:
        with ThreadPoolExecutor(max_workers=LOAD_WORKERS) as pool:
            list(pool.map(write, canonical.tables))
    except OSError as err:
        raise UserError(
            f"cannot write the loaded tables to {folder} ({err}); point TMPDIR at a folder "
            "with room for about twice the raw files' size (the tables, uncompressed)"
        ) from None
    return sorted(canonical.kinds), provenance


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _provenance(
    spec: SourceSpec, ctx: LoadContext, rejected: pl.DataFrame, digests: dict[Path, Future]
) -> list[dict]:
    per_file = dict(rejected.group_by("file").len().iter_rows()) if rejected.height else {}
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
