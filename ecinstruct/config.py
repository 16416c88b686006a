"""The one build configuration object (STYLE.md rule 7); CLI flags fill it, builds record it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from ecinstruct.errors import UserError

DEFAULT_OUT = Path("build/ecinstruct")
# Seeds feed 64-bit hashes (polars) and numpy's generators: non-negative, below 2**63.
MAX_SEED = 2**63 - 1


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

    def __post_init__(self) -> None:
        check_seed(self.seed)
        if self.per_task is not None and not (_is_int(self.per_task) and self.per_task >= 1):
            raise UserError(f"--per-task must be a whole number of at least 1, got {self.per_task}")
        if not (_is_number(self.ood_fraction) and 0 <= self.ood_fraction < 1):
            raise UserError(
                "--ood-fraction is the share of products held out for test_ood: a number from 0 "
                f"up to (not including) 1, got {self.ood_fraction}"
            )
        check_scale(self.sample_scale, "--sample-scale")
        if not (_is_int(self.shard_rows) and self.shard_rows >= 1):
            raise UserError(
                f"shard_rows must be a whole number of at least 1, got {self.shard_rows}"
            )

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


def check_seed(seed: object, flag: str = "--seed") -> None:
    """A UserError unless `seed` is a whole number from 0 to MAX_SEED."""
    if not (_is_int(seed) and 0 <= seed <= MAX_SEED):  # type: ignore[operator]
        raise UserError(f"{flag} must be a whole number from 0 to 2**63 - 1, got {seed}")


def check_scale(scale: object, flag: str = "--scale") -> None:
    """A UserError unless `scale` (a sample's size) is a positive, finite number."""
    if not (_is_number(scale) and scale > 0):  # type: ignore[operator]
        raise UserError(f"{flag} must be a positive number (1 = the built-in sample), got {scale}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))
