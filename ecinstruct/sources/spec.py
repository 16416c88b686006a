"""What one configured source is: its kind, its files by key, and its OOD categories."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    # Key (e.g. "reviews", "meta") -> files, resolved against the config's folder.
    files: dict[str, list[Path]]
    ood_categories: tuple[str, ...]
    config_path: Path

    def paths(self, key: str) -> list[Path]:
        return self.files.get(key, [])

    def display(self, path: Path) -> str:
        """The path as a user would write it in the config: relative to its folder."""
        base = self.config_path.parent.resolve()
        try:
            return Path(path).resolve().relative_to(base).as_posix()
        except ValueError:
            return os.fspath(path)
