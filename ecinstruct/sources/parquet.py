"""Read selected columns of a Parquet file with polars, keeping 1-based row numbers."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ecinstruct.errors import UserError


def read_parquet(
    path: Path, columns: list[str], optional: list[str], keep: pl.Expr | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(rows with `_row` + `columns` + `optional`, rejected (none here), rows_read).

    Every column comes back as a string (null where an optional column is absent). `keep`
    selects the rows in scope (e.g. one locale); the others are not rejections.
    """
    try:
        scan = pl.scan_parquet(path)
        present = scan.collect_schema().names()
        missing = [c for c in columns if c not in present]
        if missing:
            raise UserError(
                f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(present)})"
            )
        total = scan.select(pl.len()).collect().item()
        rows = scan.select(
            [pl.col(c).cast(pl.String) for c in columns]
            + [
                (pl.col(c) if c in present else pl.lit(None)).cast(pl.String).alias(c)
                for c in optional
            ]
        ).with_row_index("_row", offset=1)
        if keep is not None:
            rows = rows.filter(keep)
        frame = rows.collect().with_columns(pl.col("_row").cast(pl.Int64))
    except pl.exceptions.PolarsError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"{path}: cannot read as Parquet: {first}") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read ({err})") from None
    rejected = pl.DataFrame(
        schema={"row": pl.Int64, "reason": pl.String, "detail": pl.String, "raw": pl.String}
    )
    return frame, rejected, total
