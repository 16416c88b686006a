"""Where ECInstruct keeps generated files outside a build folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`$ECINSTRUCT_CACHE`, else `$XDG_CACHE_HOME/ecinstruct`, else `~/.cache/ecinstruct`."""
    if env := os.environ.get("ECINSTRUCT_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ecinstruct"
