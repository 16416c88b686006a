from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ecinstruct.sources import run_adapter
from ecinstruct.sources.spec import SourceSpec

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def load():
    """load(kind, key=[paths], ...) -> dict of canonical tables (incl. `rejected`)."""

    def run(kind: str, base: Path = FIXTURES, **files: list[Path]) -> dict[str, pl.DataFrame]:
        spec = SourceSpec(
            kind=kind,
            files={key: [Path(p) for p in paths] for key, paths in files.items()},
            ood_categories=(),
            config_path=base / "sources.toml",
        )
        tables, _ = run_adapter(spec)
        return tables

    return run


@pytest.fixture
def reasons():
    """reasons(rejected, file_suffix) -> {row: reason} for the rows of one file."""

    def by_row(rejected: pl.DataFrame, file: str = "") -> dict[int, str]:
        rows = rejected.filter(pl.col("file").str.ends_with(file))
        return dict(zip(rows["row"].to_list(), rows["reason"].to_list(), strict=True))

    return by_row
