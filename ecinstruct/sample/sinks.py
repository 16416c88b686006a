"""Streaming, byte-deterministic file writers for the sample generator.

Everything is written incrementally (bounded memory at any scale) and reproducibly: gzip
headers carry no file name and mtime 0, Parquet files carry no timestamps, CSVs are written
by a fixed formatter rather than a dialect that could change.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class Progress:
    """A tqdm bar when asked for, otherwise nothing; counts rows written."""

    def __init__(self, enabled: bool, total: int):
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=" rows", unit_scale=True, desc="sample")

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            # The total is an estimate (floors, skipped duplicates); end the bar at what ran.
            self._bar.total = self._bar.n
            self._bar.refresh()
            self._bar.close()


class TextSink:
    """Lines of text to a plain or gzip file (gzip when the name ends in .gz)."""

    def __init__(self, path: Path, progress: Progress | None = None, encoding: str = "utf-8"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = open(path, "wb")
        self._gz = None
        stream = self._raw
        if path.name.endswith(".gz"):
            self._gz = gzip.GzipFile(
                filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=1
            )
            stream = self._gz
        self._out = io.TextIOWrapper(stream, encoding=encoding, newline="\n")
        self._progress = progress
        self.rows = 0

    def line(self, text: str) -> None:
        self._out.write(text)
        self._out.write("\n")
        self.rows += 1
        if self._progress is not None and self.rows % 1000 == 0:
            self._progress.update(1000)

    def json(self, obj: Any) -> None:
        self.line(json.dumps(obj))

    def close(self) -> None:
        self._out.flush()
        self._out.detach()
        if self._gz is not None:
            self._gz.close()
        self._raw.close()
        if self._progress is not None:
            self._progress.update(self.rows % 1000)

    def __enter__(self) -> TextSink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def apostrophe_csv_row(values: list[Any]) -> str:
    """One row in the Leipzig copy's style: strings in apostrophes, numbers bare, None empty.

    The published copy does not escape apostrophes inside values; the generator keeps them
    out of the texts it writes here, so every row parses to exactly its columns.
    """
    out = []
    for v in values:
        if v is None or v == "":
            out.append("")
        elif isinstance(v, str):
            out.append("'" + v.replace("'", "") + "'")
        else:
            out.append(_number(v))
    return ",".join(out)


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")


class CsvSink(TextSink):
    """Apostrophe-quoted Latin-1 CSV, LF line ends, no newline after the last row (as published)."""

    def __init__(self, path: Path, header: list[str], progress: Progress | None = None):
        super().__init__(path, progress, encoding="latin-1")
        self._first = True
        self.row(header)
        self.rows = 0

    def row(self, values: list[Any]) -> None:
        text = apostrophe_csv_row(values)
        # Latin-1 is the published encoding; characters outside it would not round-trip.
        text = text.encode("latin-1", "replace").decode("latin-1")
        if not self._first:
            self._out.write("\n")
        self._first = False
        self._out.write(text)
        self.rows += 1
        if self._progress is not None and self.rows % 1000 == 0:
            self._progress.update(1000)


class ParquetSink:
    """Row groups appended to one Parquet file with a fixed schema."""

    def __init__(self, path: Path, schema: pa.Schema, progress: Progress | None = None):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(path, schema, compression="snappy")
        self._schema = schema
        self._progress = progress
        self.rows = 0

    def write(self, columns: dict[str, list]) -> None:
        table = pa.Table.from_pydict(columns, schema=self._schema)
        if table.num_rows:
            self._writer.write_table(table)
        self.rows += table.num_rows
        if self._progress is not None:
            self._progress.update(table.num_rows)

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
