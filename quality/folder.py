"""Reading a built dataset folder: its build.json and the records under data/. Kept apart
from the checks (quality.validate) so that the report's child process reads a folder without
importing them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from ecinstruct.errors import UserError
from ecinstruct.records import RECORD_SCHEMA


def load_manifest(folder: Path) -> dict:
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder (build one with: python -m ecinstruct build)")
    path = folder / "build.json"
    if not path.is_file():
        raise UserError(f"{folder} is not a built dataset folder: it has no build.json")
    try:
        manifest = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise UserError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise UserError(f"{path} has no `files` table; is this a dataset folder?")
    return manifest


def data_files(folder: Path) -> list[Path]:
    return sorted((Path(folder) / "data").glob("*/*.parquet"))


def load_records(folder: Path) -> pl.DataFrame:
    """All records under data/, plus `_file` (the path relative to the folder)."""
    frames = []
    for path in data_files(folder):
        try:
            df = pl.read_parquet(path)
        except Exception as e:  # a truncated or foreign file: say which one
            raise UserError(f"cannot read {path}: {e}") from None
        cols = [
            (pl.col(c) if c in df.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in RECORD_SCHEMA.items()
        ]
        rel = path.relative_to(folder).as_posix()
        frames.append(df.select(cols).with_columns(pl.lit(rel).alias("_file")))
    if not frames:
        return pl.DataFrame(schema={**RECORD_SCHEMA, "_file": pl.String})
    return pl.concat(frames)
