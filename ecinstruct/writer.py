"""Writing a dataset folder atomically: everything goes to a temporary sibling folder that
replaces the target only once complete, so an interrupted build leaves earlier output intact."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import queue
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from ecinstruct import signals
from ecinstruct.errors import UserError
from ecinstruct.paths import check_out_folder


def check_replaceable(
    out: Path,
    ours: Callable[[Path], bool],
    what: str,
    foreign: Callable[[Path], list[str]] = lambda out: [],
) -> None:
    """A UserError unless `out` is absent (and can be made), an empty folder, or a folder that
    `ours` recognises as an earlier output of this kind, `what`, holding nothing that
    `foreign` finds it did not write (a new one replaces it whole). Called before any work,
    so that a mistyped --out (a home folder, a checkout, a data folder, a path under a file)
    is refused at once instead of failing or replacing it at the end."""
    # Replacing `out` takes renaming it in its parent, not writing in it.
    check_out_folder(out, writable=False)
    if not out.exists() and not out.is_symlink():
        return
    if out.resolve() == Path.cwd().resolve() or out.resolve() in Path.cwd().resolve().parents:
        raise UserError(f"{out} holds the current folder; choose another --out")
    if not any(out.iterdir()):
        return
    if not ours(out):
        raise UserError(
            f"{out} already exists and is not {what}; writing there would replace everything "
            "in it, so it is left alone: choose another --out, or remove the folder first"
        )
    if extra := foreign(out):
        shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        raise UserError(
            f"{out} is {what}, but it also holds {len(extra)} file(s) it did not write "
            f"({shown}); writing there would delete them, so it is left alone: move them "
            "out, or choose another --out"
        )


def owner() -> str:
    """Who made a temporary folder: this host and process."""
    return f"{socket.gethostname()} {os.getpid()}"


def owner_gone(mark: Path) -> bool:
    """Whether the process the `owner` file `mark` names ran on this host and has ended (a
    file that cannot be read or is not one, or names another host, is never gone: its
    folder is left alone)."""
    try:
        host, pid = mark.read_text().split()
        if host != socket.gethostname():
            return False
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError, OverflowError):  # unreadable, no owner line, another user
        return False
    return False


def _clear_unfinished(out: Path) -> None:
    """Remove the temporary siblings of `out` that a killed command (SIGKILL, out of memory)
    left half-written, and say so; those of a command still running, or of another host,
    stay."""
    from ecinstruct.progress import console

    for mark in sorted(out.parent.glob(f".{glob.escape(out.name)}.tmp-*.owner")):
        if not owner_gone(mark):
            continue
        folder = mark.with_suffix("")
        shutil.rmtree(folder, ignore_errors=True)
        mark.unlink(missing_ok=True)
        console.print(f"removed {folder}, which a killed command left unfinished", markup=False)


@contextmanager
def atomic_folder(out: Path, output: bool = True) -> Iterator[Path]:
    """A temporary sibling of `out` to write into, which replaces `out` once the block ends
    without an error (callers check `out` first with `check_replaceable`). With `output`,
    `out` is what the command makes: a Ctrl-C after the replacement is reported as coming
    after it (`signals.finished`)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _clear_unfinished(out)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    # Beside it, who writes it: a later command removes it if this one is killed outright.
    mark = tmp.with_name(tmp.name + ".owner")
    try:
        mark.write_text(owner())  # inside: a signal right after it still removes both
        tmp.mkdir()
        yield tmp
    except BaseException:
        with signals.deferred():  # a second Ctrl-C does not leave half of it
            shutil.rmtree(tmp, ignore_errors=True)
            mark.unlink(missing_ok=True)
        raise
    # A signal now would leave `out` missing, or the old folder beside the new one.
    with signals.deferred():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        mark.unlink()
        if output:
            signals.finished(f"{out} was written")
        shutil.rmtree(old, ignore_errors=True)


def shard_paths(task: str, split: str, n_shards: int) -> list[str]:
    return [f"data/{task}/{split}-{i:05d}-of-{n_shards:05d}.parquet" for i in range(n_shards)]


# Fixed settings for every parquet file we write: the same frame always gives the same bytes.
COMPRESSION, COMPRESSION_LEVEL, ROW_GROUP_ROWS = "zstd", 3, 10_000
# Rows `ParquetAppender` converts and writes at a time: whole row groups.
APPEND_ROWS = 10 * ROW_GROUP_ROWS


def write_parquet(df: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(
        path,
        compression=COMPRESSION,
        compression_level=COMPRESSION_LEVEL,
        statistics=True,
        row_group_size=ROW_GROUP_ROWS,
    )


class ParquetAppender:
    """One parquet file written a frame at a time (the settings of `write_parquet`), so a large
    table is never held whole in memory. Nothing is written until the first non-empty frame;
    every frame is cast to `schema` so the parts always agree.

    Only the `dictionary` columns are dictionary-encoded: those that repeat a few values
    (a task name, a reason). Trying a dictionary on every column, as pyarrow does by default,
    cost a third of the time on a million distinct texts, which then fall back to plain
    encoding anyway.

    With `background`, a thread of its own writes the frames, in the order given, while the
    caller goes on (a large build's next task); `append` waits only while `BACKLOG` frames
    are already waiting, so at most that many plus the one being written are held. A write
    that fails is raised by the next `append` or by `close`; `abort` stops the thread
    without raising (the caller is handling an error of its own)."""

    BACKLOG = 1

    def __init__(
        self,
        path: Path,
        schema: dict[str, pl.DataType],
        dictionary: Sequence[str] = (),
        background: bool = False,
    ) -> None:
        self.path, self.schema, self.rows = path, schema, 0
        self.dictionary = [c for c in dictionary if c in schema]
        self._writer = None
        self._error: BaseException | None = None
        self._aborted = False
        self._queue: queue.Queue = queue.Queue(maxsize=self.BACKLOG)
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(
                target=self._drain, name="ecinstruct-append", daemon=True
            )
            self._thread.start()

    def append(self, df: pl.DataFrame) -> None:
        """Write `df`'s rows (on the background thread, if there is one)."""
        self._raise()
        if self._thread is None:
            self._write(df)
        else:
            self._queue.put(df)
        self.rows += df.height

    def close(self) -> None:
        """Finish writing (waiting for the background thread) and close the file."""
        self._stop()
        self._close_file()
        self._raise()

    def abort(self) -> None:
        """Stop writing: frames still waiting are not written, and no error is raised."""
        self._aborted = True
        self._stop()
        with contextlib.suppress(Exception):
            self._close_file()

    def _write(self, df: pl.DataFrame) -> None:
        """A large frame goes in pieces of whole row groups (the same bytes as in one piece):
        converting it to Arrow at once would copy all of its text."""
        import pyarrow.parquet as pq

        cast = [pl.col(c).cast(t) for c, t in self.schema.items()]
        for start in range(0, df.height, APPEND_ROWS):
            table = df.slice(start, APPEND_ROWS).select(cast).to_arrow()
            if self._writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._writer = pq.ParquetWriter(
                    self.path,
                    table.schema,
                    compression=COMPRESSION,
                    compression_level=COMPRESSION_LEVEL,
                    write_statistics=True,
                    use_dictionary=self.dictionary,
                )
            self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            del table

    def _drain(self) -> None:
        while (df := self._queue.get()) is not None:
            if self._error is None and not self._aborted:
                try:
                    self._write(df)
                except BaseException as err:  # noqa: BLE001 - raised in the caller's thread
                    self._error = err
            del df  # its memory goes now, not when the next frame arrives

    def _stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _close_file(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def write_split(root: Path, task: str, split: str, df: pl.DataFrame, shard_rows: int) -> list[str]:
    n_shards = max(1, -(-df.height // shard_rows))
    paths = shard_paths(task, split, n_shards)
    for i, rel in enumerate(paths):
        write_parquet(df.slice(i * shard_rows, shard_rows), root / rel)
    return paths


def file_hashes(root: Path, keep: Callable[[str], bool] = lambda _: True) -> dict[str, dict]:
    """sha256 and size of every file under root (posix relative paths, sorted)."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if keep(rel):
            out[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
