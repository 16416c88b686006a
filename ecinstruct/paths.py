"""Where ECInstruct keeps generated files outside a build folder."""

from __future__ import annotations

import os
from pathlib import Path

from ecinstruct.errors import UserError


def cache_dir() -> Path:
    """`$ECINSTRUCT_CACHE`, else `$XDG_CACHE_HOME/ecinstruct`, else `~/.cache/ecinstruct`; a
    UserError when it is not a folder and cannot be made one."""
    if env := os.environ.get("ECINSTRUCT_CACHE"):
        folder, what = Path(env), "the cache folder $ECINSTRUCT_CACHE"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        folder, what = Path(base) / "ecinstruct", "the cache folder"
    if folder.exists() and not folder.is_dir():
        raise UserError(
            f"{what} {folder} is a file, not a folder; set ECINSTRUCT_CACHE to a folder"
        )
    if not folder.exists():
        check_creatable(folder, what="set ECINSTRUCT_CACHE to another folder")
    return folder


def check_creatable(folder: Path, what: str = "choose another --out") -> None:
    """A UserError when the folder `folder` (absent) cannot be made: the nearest existing path
    above it is not a folder, or is one this user cannot write in. `what` says what to do."""
    above = Path(os.path.abspath(folder)).parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise UserError(f"{folder} cannot be made: {above} is a file, not a folder; {what}")
    if not os.access(above, os.W_OK | os.X_OK):
        raise UserError(f"{folder} cannot be made: {above} is not writable; {what}")
