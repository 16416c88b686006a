"""The one build configuration object (STYLE.md rule 7); CLI flags fill it, builds record it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

DEFAULT_OUT = Path("build/ecinstruct")


@dataclass(frozen=True)
class BuildConfig:
    # None: build the built-in sample (generated on the fly, deterministic).
    sources: Path | None = None
    out: Path = DEFAULT_OUT
    seed: int = 0
    # The one dial: about N training samples per task, other splits scaled alike.
    per_task: int | None = None
    tasks: tuple[str, ...] = ()  # empty: every registered task
    # Share of products held out for test_ood when a source names no `ood_categories`.
    ood_fraction: float = 0.1
    sample_scale: float = 1.0
    shard_rows: int = 50_000
    allow_failed_checks: bool = False
    progress: bool = True

    def sizes(self, default: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        if self.per_task is None:
            return default
        factor = self.per_task / 10_000
        return tuple(math.ceil(n * factor) for n in default)  # type: ignore[return-value]

    def to_json(self) -> dict:
        out = dataclasses.asdict(self)
        out["sources"] = str(self.sources) if self.sources else None
        out["out"] = str(self.out)
        out["tasks"] = list(self.tasks)
        out.pop("progress")
        return out
