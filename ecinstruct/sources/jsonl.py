"""Read a JSON-lines file (plain or .gz) into a frame with DuckDB, streaming.

Two readers give the same result. The fast one is DuckDB's own NDJSON reader; it refuses
the whole file on the first bad line, so it is only trusted when it succeeds and yields
exactly one row per line. Otherwise (and for .gz files) the careful one reads the file as
one text column per line, so that every line keeps its number and a bad line cannot take
its neighbours down, and parses each line with `json_transform`. Lines that are not valid
JSON, not an object, or not UTF-8 come back as rejections with their line number.

Fields are requested as VARCHAR (or lists / structs of it) on purpose: a number sent as a
string still loads, and an adapter can tell "missing" (null) from "wrong type" (present
but not castable) instead of losing the row silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from ecinstruct.errors import UserError

# Longest line accepted; longer lines are rejected as `line_too_long`.
MAX_LINE_BYTES = 16 * 1024 * 1024
RAW_CHARS = 500
# Reasons for lines DuckDB's line reader itself refused (see `reject_errors`).
_READER_REASONS = {
    "INVALID ENCODING": "undecodable_bytes",
    "LINE SIZE OVER MAXIMUM": "line_too_long",
}
_REJECTED = {"row": pl.Int64, "reason": pl.String, "detail": pl.String, "raw": pl.String}


def read_jsonl(
    path: Path, fields: dict[str, object], select: dict[str, str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Parse `path` into `_row` (1-based line number) + `fields`.

    `fields` maps each top-level key to a `json_transform` type (e.g. "VARCHAR",
    ["VARCHAR"], {"text": "VARCHAR"}); `select` maps names to SQL expressions over the
    fields, replacing a field or adding a column (computed in DuckDB's parallel scan, e.g.
    a hash). Returns (rows, rejected, rows_read): rejected has `row`, `reason`, `detail`,
    `raw`; rows_read counts non-blank lines.
    """
    columns = _columns(fields, select or {})
    con = _connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        fast = None if path.name.endswith(".gz") else _read_fast(con, path, fields, columns)
        if fast is not None:
            return fast, pl.DataFrame(schema=_REJECTED), fast.height
        frame = _repair(con, con.sql(_careful_query(path, fields, columns)).pl(), fields, columns)
        refused = con.sql(
            "SELECT line, any_value(error_type) AS error_type, "
            f"any_value(left(csv_line, {RAW_CHARS})) AS raw "
            "FROM reject_errors GROUP BY line ORDER BY line"
        ).pl()
    except duckdb.Error as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"{path}: cannot read as JSON lines: {first}") from None
    finally:
        con.close()
    return _sort_out(_renumber(frame, refused["line"].cast(pl.Int64)), refused)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # DuckDB draws its own progress bar on long queries; the build has its own.
    con.execute("SET enable_progress_bar = false")
    return con


def _columns(fields: dict[str, object], select: dict[str, str]) -> str:
    names = [*fields, *(name for name in select if name not in fields)]
    return ", ".join(f"{select.get(name, _ident(name))} AS {_ident(name)}" for name in names)


def _read_fast(
    con: duckdb.DuckDBPyConnection, path: Path, fields: dict[str, object], columns: str
) -> pl.DataFrame | None:
    """DuckDB's NDJSON reader, or None when the file needs the careful reader."""
    types = ", ".join(
        f"{_sql_string(name)}: {_sql_string(_sql_type(t))}" for name, t in fields.items()
    )
    query = f"""
        SELECT ordinality AS _row, {columns}
        FROM read_json({_sql_string(str(path))}, format='newline_delimited',
            columns={{{types}}}, maximum_object_size={MAX_LINE_BYTES}) WITH ORDINALITY
    """
    try:
        frame = con.sql(query).pl()
    except duckdb.Error:
        return None
    # It skips blank lines (row numbers would drift) and reads a `null` line as a row of
    # nulls; the careful reader handles both.
    all_null = frame.select(pl.all_horizontal(pl.col(list(fields)).is_null()).any()).item()
    if all_null or frame.height != _line_count(path):
        return None
    return frame.with_columns(pl.col("_row").cast(pl.Int64))


def _line_count(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _careful_query(path: Path, fields: dict[str, object], columns: str) -> str:
    structure = _sql_string(json.dumps(fields))
    # A 0x01 delimiter cannot occur in valid JSON text (control characters must be
    # escaped), so each physical line is one value; quoting and escaping are off.
    lines = (
        f"read_csv({_sql_string(str(path))}, columns={{'line': 'VARCHAR'}}, header=false, "
        "delim='\x01', quote='', escape='', auto_detect=false, strict_mode=false, "
        f"store_rejects=true, max_line_size={MAX_LINE_BYTES})"
    )
    # Kept lean because it runs on every line: anything unusual (not parsed, not starting
    # with "{") comes back whole in `_odd` and is sorted out afterwards.
    return f"""
        WITH src AS (
            SELECT ord, line FROM {lines} WITH ORDINALITY AS t(line, ord) WHERE line <> ''
        ), parsed AS (
            SELECT ord, line, try(json_transform(line, {structure})) AS j FROM src
        ){_flat(columns)}
    """


def _flat(columns: str) -> str:
    """The end of a careful query over `parsed` (ord, line, j): the fields of each line that
    parsed as an object; any other line whole in `_odd`, with whether it parsed at all."""
    return f""", flat AS (
            SELECT ord AS _row, j.*,
                CASE WHEN j IS NULL OR NOT starts_with(line, '{{') THEN line END AS _odd,
                CASE WHEN j IS NULL OR NOT starts_with(line, '{{') THEN j IS NOT NULL
                END AS _parsed
            FROM parsed
        )
        SELECT _row, {columns}, _odd, _parsed FROM flat
    """


def _repair(
    con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, fields: dict[str, object], columns: str
) -> pl.DataFrame:
    """Some scraped dumps escape apostrophes as \\' (not JSON): the lines that did not parse
    and hold one are parsed again with that undone, and take the place of what they gave.
    Only those lines: a second try on every line that failed, inside the careful query, cost
    about a seventh of reading a large file with a few bad lines."""
    failed = frame.filter(
        pl.col("_odd").is_not_null()
        & ~pl.col("_parsed")
        & pl.col("_odd").str.contains("\\'", literal=True)
    )
    if failed.is_empty():
        return frame
    con.register("failed", failed.select(ord="_row", line="_odd").to_arrow())
    structure = _sql_string(json.dumps(fields))
    again = con.sql(
        f"""
        WITH parsed AS (
            SELECT ord, line, try(json_transform(replace(line, '\\''', ''''), {structure})) AS j
            FROM failed
        ){_flat(columns)}
        """
    ).pl()
    con.unregister("failed")
    again = again.filter(pl.col("_odd").is_null() | pl.col("_parsed"))  # parsed this time
    if again.is_empty():
        return frame
    return frame.update(again.cast(frame.schema), on="_row", include_nulls=True)


def _sort_out(frame: pl.DataFrame, refused: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    odd = frame.filter(pl.col("_odd").is_not_null())
    if not odd.is_empty():
        frame = frame.with_columns(_problem=_problems(odd, frame))
        # Whitespace-only lines are blank lines, not rows.
        frame = frame.filter(pl.col("_problem").ne_missing("blank"))
    else:
        frame = frame.with_columns(_problem=pl.lit(None, dtype=pl.String))
    problems = frame.filter(pl.col("_problem").is_not_null())
    rejected = pl.concat(
        [
            problems.select(
                row=pl.col("_row").cast(pl.Int64),
                reason=pl.col("_problem"),
                detail=pl.when(pl.col("_problem") == "wrong_type")
                .then(pl.lit("line is valid JSON but not an object"))
                .otherwise(pl.lit("line is not valid JSON")),
                raw=pl.col("_odd").str.slice(0, RAW_CHARS),
            ),
            refused.select(
                row=pl.col("line").cast(pl.Int64),
                reason=pl.col("error_type").replace_strict(
                    _READER_REASONS, default="unreadable_line", return_dtype=pl.String
                ),
                detail=pl.lit("line refused by the reader: ") + pl.col("error_type"),
                raw=pl.col("raw").str.strip_chars("\r\n"),
            ),
        ]
    ).sort("row")
    rows = frame.filter(pl.col("_problem").is_null()).drop("_odd", "_parsed", "_problem")
    rows = rows.with_columns(pl.col("_row").cast(pl.Int64))
    return rows, rejected, frame.height + refused.height


def _problems(odd: pl.DataFrame, frame: pl.DataFrame) -> pl.Series:
    """Per row of `frame`: null if fine, else "blank", "wrong_type" or "malformed_json".

    Only the few `odd` rows are examined, with DuckDB's JSON validator.
    """
    con = _connect()
    try:
        con.register("odd", odd.select("_row", "_odd", "_parsed").to_arrow())
        verdicts = con.sql(
            r"""SELECT _row, CASE
                WHEN trim(_odd, ' \t\r\n') = '' THEN 'blank'
                WHEN _parsed AND starts_with(ltrim(_odd, ' \t\r\n'), '{') THEN NULL
                WHEN _parsed OR json_valid(_odd) THEN 'wrong_type'
                ELSE 'malformed_json' END AS problem
            FROM odd"""
        ).pl()
    finally:
        con.close()
    return frame.select("_row").join(verdicts, on="_row", how="left")["problem"]


def _renumber(frame: pl.DataFrame, refused_lines: pl.Series) -> pl.DataFrame:
    """Turn ordinals among the lines DuckDB kept into physical line numbers.

    The reader skips the lines it refuses, so the k-th kept line is line k + (number of
    refused lines before it). With refused lines r_0 < r_1 < ..., refused line i sits
    after r_i - i kept lines, so the shift for kept ordinal k counts r_i - i <= k.
    """
    if refused_lines.is_empty():
        return frame
    thresholds = refused_lines.sort() - pl.int_range(0, refused_lines.len(), eager=True)
    shift = thresholds.search_sorted(frame["_row"].cast(pl.Int64), side="right")
    return frame.with_columns(pl.col("_row").cast(pl.Int64) + shift.cast(pl.Int64))


def _sql_type(structure: object) -> str:
    """A `json_transform` structure as a DuckDB type: ["VARCHAR"] -> VARCHAR[]."""
    if isinstance(structure, list):
        return _sql_type(structure[0]) + "[]"
    if isinstance(structure, dict):
        members = ", ".join(f"{_ident(k)} {_sql_type(v)}" for k, v in structure.items())
        return f"STRUCT({members})"
    return str(structure)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
