"""Read small CSV files whose encoding and quoting vary between copies.

The Leipzig Amazon-Google files are Latin-1 and, depending on the copy, quoted with `"`
(RFC 4180) or with apostrophes that are *not* escaped inside values (`'noah's ark'`).
No CSV parser reads the latter correctly, so apostrophe-quoted files (one record per
line) are split by a regex in which a quoted value ends only at a quote followed by the
delimiter or the end of the line. Double-quoted files go through polars' CSV reader, with
the same line-wise split as a fallback when they are not valid RFC 4180.

`row` is the 1-based line number (the header is line 1); for RFC 4180 files whose records
span lines it is the record number counted the same way.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import polars as pl

from ecinstruct.errors import UserError

RAW_CHARS = 500


def decode(data: bytes) -> str:
    """UTF-8 when valid, else Windows-1252, else Latin-1 (which decodes any byte)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def read_csv(path: Path, required: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """All columns of `path` as strings plus `_row`; `required` columns must be present.

    Returns (rows, rejected, rows_read); rejected has `row`, `reason`, `detail`, `raw`.
    """
    try:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise UserError(f"{path}: cannot read ({err})") from None
    text = decode(data)
    quote = _quote_char(text)
    frame = None
    if quote == '"':
        try:
            frame = pl.read_csv(
                io.BytesIO(text.encode("utf-8")),
                infer_schema=False,
                quote_char='"',
                row_index_name="_row",
                row_index_offset=2,
            ).with_columns(_raw=pl.lit(None, dtype=pl.String))
        except pl.exceptions.PolarsError:
            frame = None
    if frame is None:
        frame = _split_lines(path, text, quote)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(c for c in frame.columns if not c.startswith("_"))
        raise UserError(f"{path}: missing column(s) {', '.join(missing)} (found: {_shown(found)})")

    malformed = pl.col("_raw").is_not_null()
    rejected = frame.filter(malformed).select(
        row=pl.col("_row").cast(pl.Int64),
        reason=pl.lit("malformed_row"),
        detail=pl.lit(f"row does not split into {len(frame.columns) - 2} {quote}-quoted fields"),
        raw=pl.col("_raw").str.slice(0, RAW_CHARS),
    )
    rows = frame.filter(~malformed).drop("_raw").with_columns(pl.col("_row").cast(pl.Int64))
    return rows, rejected, frame.height


def _quote_char(text: str) -> str:
    header = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    if header.startswith("'"):
        return "'"
    return '"'


def _shown(text: str, limit: int = 120) -> str:
    """`text` fit for one line of an error message: control characters escaped, cut short."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)


def _split_lines(path: Path, text: str, quote: str) -> pl.DataFrame:
    """One record per line; a quoted value ends at a quote followed by `,` or line end."""
    # Split on "\n" only: str.splitlines would also split on characters such as U+0085
    # that a Latin-1 decode can produce inside a value.
    lines = pl.Series("line", text.lstrip("\ufeff").split("\n"), dtype=pl.String)
    if not lines[0].strip():
        raise UserError(f"{path}: empty file, expected a CSV header")
    try:
        names = next(csv.reader([lines[0].rstrip("\r")], quotechar=quote))
    except csv.Error:
        raise UserError(
            f"{path}: line 1 is not a CSV header (a line break inside a field): {_shown(lines[0])}"
        ) from None
    names = [name.strip() for name in names]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UserError(
            f"{path}: the CSV header names {', '.join(map(repr, repeated))} more than once"
        )
    body = pl.DataFrame({"_line": lines.slice(1)}).with_columns(
        _row=pl.int_range(2, lines.len() + 1, dtype=pl.Int64)
    )
    body = body.filter(pl.col("_line").str.strip_chars() != "")
    field = f"(?:{quote}(.*?){quote}|([^,]*))"
    groups = pl.col("_line").str.extract_groups("^" + ",".join([field] * len(names)) + r"\r?$")
    doubled = quote * 2
    values = [
        groups.struct.field(str(2 * i + 1))
        .str.replace_all(doubled, quote, literal=True)
        .fill_null(groups.struct.field(str(2 * i + 2)))
        .alias(name)
        for i, name in enumerate(names)
    ]
    parsed = body.with_columns(values)
    # A line the pattern cannot split yields nulls in every field.
    split_ok = pl.any_horizontal([pl.col(name).is_not_null() for name in names])
    return parsed.select(
        "_row", *names, _raw=pl.when(split_ok).then(None).otherwise(pl.col("_line"))
    )
