"""Paths: where ECInstruct keeps generated files outside a build folder (its cache), and the
checks every command makes on the folder it is to write."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from ecinstruct.errors import UserError


def cache_dir() -> Path:
    """`$ECINSTRUCT_CACHE`, else `$XDG_CACHE_HOME/ecinstruct`, else `~/.cache/ecinstruct`; a
    UserError when it is not a folder and cannot be made one."""
    if env := os.environ.get("ECINSTRUCT_CACHE"):
        folder = Path(env)
    else:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ecinstruct"
    check_out_folder(folder, "set ECINSTRUCT_CACHE to another folder", writable=False)
    return folder


def check_creatable(folder: Path, advice: str = "choose another --out") -> None:
    """A UserError when the folder `folder` (absent) cannot be made: the nearest existing path
    above it is not a folder, or is one this user cannot write in. `advice` says what to do."""
    above = Path(os.path.abspath(folder)).parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise UserError(f"{folder} cannot be made: {above} is a file, not a folder; {advice}")
    if not os.access(above, os.W_OK | os.X_OK):
        raise UserError(f"{folder} cannot be made: {above} is not writable; {advice}")


def check_out_folder(
    out: Path, advice: str = "choose another --out", writable: bool = True
) -> None:
    """A UserError unless `out` is a folder (writable, with `writable`) or can be made one: a
    file, or a path under a file, is refused before any work. `advice` says what to do."""
    if not out.exists() and not out.is_symlink():
        check_creatable(out, advice)
        return
    if not out.is_dir():
        raise UserError(f"{out} exists and is not a folder; {advice}")
    if writable and not os.access(out, os.W_OK | os.X_OK):
        raise UserError(f"{out} is not writable; {advice}")


def has_keys(path: Path, keys: Iterable[str]) -> bool:
    """Whether the file `path` holds a JSON object with every one of `keys`: a file one of our
    commands wrote, not some other tool's of that name."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and set(keys) <= data.keys()


def is_build_folder(folder: Path) -> bool:
    """Whether `folder` is a dataset folder a build wrote: its build.json (every complete one
    has it) is an ECInstruct manifest."""
    return has_keys(folder / "build.json", ["ecinstruct_version"])


def refuse_inside_build(out: Path, what: str, flag: str = "--out") -> None:
    """A UserError when `out` is a dataset folder or lies inside one: `what` (a training run,
    benchmark results) would be deleted by a rebuild, and a publish would refuse it."""
    where = Path(os.path.abspath(out))
    for folder in (where, *where.parents):
        if is_build_folder(folder):
            place = "is" if folder == where else f"is inside {folder}, which is"
            raise UserError(
                f"{flag} {out} {place} a dataset folder: a rebuild would delete {what} and a "
                f"publish would refuse it; choose a {flag} outside it"
            )


def check_own_folder(out: Path, ours: Callable[[Path], bool], kind: str, writes: str) -> bool:
    """A UserError unless `out` can take a command's outputs, written into it beside what is
    there: a folder that is absent (and can be made), empty, or `ours` (one of `kind`, e.g. "a
    training run"); never a dataset folder or one inside it (see `refuse_inside_build`), nor a
    folder of other files, among which the command would write `writes`. Returns whether `out`
    already holds files."""
    refuse_inside_build(out, kind)
    check_out_folder(out)
    started = out.is_dir() and any(out.iterdir())
    if started and not ours(out):
        raise UserError(
            f"--out {out} already holds files and is not {kind}; the command would write its "
            f"{writes} among them: choose another --out, or empty the folder first"
        )
    return started


# Files a desktop or a download tool leaves in any folder: never the user's work, so an output
# folder holding them is still ours to replace.
_JUNK_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_JUNK_FOLDERS = (".cache/huggingface/",)  # `hf download --local-dir`'s own bookkeeping


def is_junk(rel: str) -> bool:
    """Whether the file at posix path `rel` (inside an output folder) is such a file."""
    return rel.rsplit("/", 1)[-1] in _JUNK_NAMES or rel.startswith(_JUNK_FOLDERS)
