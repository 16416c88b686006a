"""What an adapter sees while it runs: its spec, file readers and a sink for rejections.

The readers tag every row with `_file` (the path as written in the config) and `_row`,
show per-file progress, and count rows read per file for the build's provenance.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from ecinstruct.canonical import empty
from ecinstruct.sources.delimited import read_csv
from ecinstruct.sources.frames import reader_rejections
from ecinstruct.sources.jsonl import read_jsonl
from ecinstruct.sources.parquet import read_parquet
from ecinstruct.sources.spec import SourceSpec


class LoadContext:
    def __init__(self, spec: SourceSpec, progress=None) -> None:
        self.spec = spec
        self.kind = spec.kind
        self._progress = progress  # a rich Progress, or None for silence
        self.rows_read: dict[tuple[str, str], int] = {}
        # Rows a reader skipped as outside the build's scope (e.g. non-US ESCI locales):
        # not rejections, but counted so nothing leaves the build unaccounted for.
        self.out_of_scope: dict[tuple[str, str], int] = {}
        self._rejected: list[pl.DataFrame] = []

    def has(self, key: str) -> bool:
        return bool(self.spec.paths(key))

    def jsonl(
        self, key: str, fields: dict[str, object], select: dict[str, str] | None = None
    ) -> pl.DataFrame:
        """All files of `key` as JSON lines (see `jsonl.read_jsonl`), concatenated."""
        return self._each(key, lambda path: read_jsonl(path, fields, select))

    def csv(self, key: str, required: list[str]) -> pl.DataFrame:
        """All files of `key` as CSV, every column a string (see `delimited.read_csv`)."""
        return self._each(key, lambda path: read_csv(path, required))

    def parquet(
        self,
        key: str,
        columns: list[str],
        optional: list[str] | None = None,
        keep: pl.Expr | None = None,
    ) -> pl.DataFrame:
        """`columns` (+ `optional`) of every Parquet file of `key`, as strings; rows
        failing `keep` are out of scope (see `parquet.read_parquet`)."""

        def read(path: Path):
            rows, rejected, count = read_parquet(path, columns, optional or [], keep)
            name = (key, self.spec.display(path))
            self.out_of_scope[name] = self.out_of_scope.get(name, 0) + count - rows.height
            return rows, rejected, count

        return self._each(key, read)

    def reject(self, rejected: pl.DataFrame) -> None:
        self._rejected.append(rejected)

    def rejected(self) -> pl.DataFrame:
        return pl.concat([empty("rejected"), *self._rejected], how="vertical")

    def _each(self, key: str, read) -> pl.DataFrame:
        frames = []
        for path in self.spec.paths(key):
            name = self.spec.display(path)
            with self._track(key, path, name):
                rows, rejected, count = read(path)
            self.rows_read[(key, name)] = self.rows_read.get((key, name), 0) + count
            self.reject(reader_rejections(rejected, self.kind, name))
            frames.append(rows.with_columns(_file=pl.lit(name, dtype=pl.String)))
        if not frames:
            raise KeyError(f"{self.kind}: no files for key {key!r}")
        return pl.concat(frames, how="diagonal_relaxed")

    @contextmanager
    def _track(self, key: str, path: Path, name: str) -> Iterator[None]:
        if self._progress is None:
            yield
            return
        size = path.stat().st_size
        task = self._progress.add_task(f"{self.kind} {key}: {name}", total=size or 1)
        yield
        self._progress.update(task, completed=size or 1)
