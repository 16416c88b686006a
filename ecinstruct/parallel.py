"""A large build's tasks, built by two processes at once.

The tasks are mostly native polars work, yet one process keeps only about 1.3 of 2 cores
busy: much of it (sorts, joins, group-bys, Python between them) does not split well across
threads. Two processes, each pinned to half of the cores, finish the same work sooner (see
`scripts/bench_build.py`). This process builds the first half of the task list, the worker
(`python -m ecinstruct.parallel FOLDER`) the second half, where the tasks with the smaller
tables are; whichever is done first hands the other every core.

It only runs where the canonical tables are files both processes map (a large build's
handover folder, see `sources.map_tables`), so they are in memory once. The outcome is the
same as one process building every task: a task is a pure function of the same tables and
settings, and the results are taken in task order.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ecinstruct.errors import UserError

if TYPE_CHECKING:
    from quality.pii import KnownNames


def child_env() -> dict[str, str]:
    """The environment for a child `python -m ecinstruct...`: it imports this very package,
    wherever it was imported from."""
    import ecinstruct

    env = dict(os.environ)
    root = str(Path(ecinstruct.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def launch(module: str, folder: Path, job: object) -> subprocess.Popen:
    """Start `python -m module FOLDER` with `job` pickled into FOLDER (see `job_of`). The child
    does not see Ctrl-C: this process handles it, and stops the child."""
    from ecinstruct.signals import launched_deaf

    (folder / "job.pickle").write_bytes(pickle.dumps(job))
    command = [sys.executable, "-m", module, str(folder)]
    return launched_deaf(lambda: subprocess.Popen(command, env=child_env()))


def job_of(folder: Path):
    """In a child started by `launch`: the job it was given."""
    return pickle.loads((folder / "job.pickle").read_bytes())


def _cores() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def _pin(cores: set[int], pid: int | str = "self") -> None:
    """Every thread of process `pid` (polars' pool included) onto `cores`."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:  # the process has ended
        return
    for tid in threads:
        try:
            os.sched_setaffinity(int(tid), cores)
        except OSError:  # the thread ended meanwhile
            continue


def split(tasks: list) -> int:
    """Tasks from this index on are the worker's."""
    return len(tasks) // 2


class Worker:
    """The second process, seen from the build: `result(i, name)` waits for its task i."""

    def __init__(self, folder: Path, proc: subprocess.Popen, cores: set[int]) -> None:
        self.folder = folder
        self.proc = proc
        self.cores = cores
        self._released = False

    def result(self, index: int, name: str):
        """(TaskResult, records, dropped, statistics) of task `index`, named `name`."""
        if not self._released:
            # This process has built its own tasks: the worker gets every core (it checks the
            # mark after pinning itself, so the release cannot be lost).
            (self.folder / "unpinned").touch()
            _pin(self.cores, self.proc.pid)
            self._released = True
        part = self.folder / f"{index}"
        while not (part / "done").is_file():
            if self.proc.poll() is not None and not (part / "done").is_file():
                self._fail()
            time.sleep(0.05)
        import numpy as np

        from quality import dedup

        result, stats = pickle.loads((part / "result.pickle").read_bytes())
        if result.task != name:
            raise RuntimeError(f"the task worker built {result.task!r} where {name!r} was due")
        with np.load(part / "signatures.npz") as saved:
            dedup.remember(dict(saved))
        return (
            result,
            pl.read_ipc(part / "records.arrow"),
            pl.read_ipc(part / "dropped.arrow"),
            stats,
        )

    def _fail(self) -> None:
        outcome_of(self.folder, self.proc.returncode, "building tasks in a second process")
        raise RuntimeError("the task worker ended before building all of its tasks")


@contextmanager
def worker(
    handover: Path | None,
    tasks: list,
    config,
    ood: pl.DataFrame,
    reviewer_names: KnownNames,
    then: Callable[[], None] = lambda: None,
) -> Iterator[Worker | None]:
    """Start the worker on the second half of `tasks` and pin this process to half of the
    cores until the worker ends, then call `then` (on another thread); None (build
    everything here) without mapped tables, two tasks or two cores. A worker still running
    when the block ends (an error here) is stopped."""
    cores = _cores()
    if handover is None or len(tasks) < 2 or len(cores) < 2:
        yield None
        return
    mine, theirs = set(cores[: len(cores) // 2]), cores[len(cores) // 2 :]
    folder = handover / "tasks"
    folder.mkdir()
    ood.write_ipc(folder / "ood.arrow")
    job = (config, [t.name for t in tasks], reviewer_names, theirs, cores, str(handover))
    proc = launch("ecinstruct.parallel", folder, job)
    everything = set(cores)
    _pin(mine)
    # The cores come back the moment the worker ends, not when this process next looks.
    watcher = threading.Thread(target=lambda: (proc.wait(), _pin(everything), then()))
    watcher.start()
    try:
        yield Worker(folder, proc, everything)
    finally:
        if proc.poll() is None:
            proc.kill()
        watcher.join()


class Child:
    """A child process started by `beside`, seen from the parent."""

    def __init__(self, module: str, folder: Path, proc: subprocess.Popen) -> None:
        self.module, self.folder, self.proc = module, folder, proc

    def go(self) -> None:
        """Let the child start its work (see `wait_to_go`)."""
        (self.folder / "go").touch()

    def outcome(self):
        """Let the child go if it is still held, wait for it and return its outcome (see
        `answer`)."""
        self.go()
        return outcome_of(self.folder, self.proc.wait(), f"the child process {self.module}")


@contextmanager
def beside(module: str, folder: Path, job: object) -> Iterator[Child]:
    """Run `python -m module FOLDER` on `job` (see `launch`; FOLDER is made new) while the
    block runs. The child may start early, import what it needs and wait for `Child.go`
    (`wait_to_go`) before its work takes memory. A child still running when the block ends
    is stopped."""
    folder.mkdir()
    proc = launch(module, folder, job)
    try:
        yield Child(module, folder, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_to_go(folder: Path) -> None:
    """In a child started by `beside`: wait until the parent lets it go. A child whose
    parent has died (killed outright: nobody will let it go) exits."""
    parent = os.getppid()
    while not (folder / "go").exists():
        if os.getppid() != parent:
            sys.exit(1)
        time.sleep(0.02)


def answer(folder: Path, work: Callable[[], object]) -> None:
    """Run a child process's `work` and leave its outcome in `folder/outcome.pickle` for the
    parent: ("ok", result) or ("error", the UserError). Any other failure prints its traceback
    and leaves no outcome, which the parent reports. Written whole and then renamed, so the
    parent never reads half an outcome."""
    try:
        outcome = ("ok", work())
    except UserError as err:
        outcome = ("error", err)
    part = folder / "outcome.pickle.part"
    part.write_bytes(pickle.dumps(outcome))
    part.rename(folder / "outcome.pickle")


def outcome_of(folder: Path, status: int | None, doing: str):
    """What a child left with `answer`: the result, or its UserError raised here; a
    RuntimeError when it left nothing (it printed its own traceback)."""
    path = folder / "outcome.pickle"
    if not path.is_file():
        raise RuntimeError(
            f"{doing} failed (exit status {status}; a negative status is a signal, e.g. -9 "
            "when the system ran out of memory); any error it printed is above"
        )
    result, payload = pickle.loads(path.read_bytes())
    if result == "error":
        raise payload
    return payload


def main(folder: Path) -> None:
    config, task_names, reviewer_names, cores, everything, handover = job_of(folder)
    # Pinned first, then released if the build has already built its own tasks.
    _pin(set(cores))
    if (folder / "unpinned").exists():
        _pin(set(everything))
    import numpy as np

    from ecinstruct.build import build_task
    from ecinstruct.canonical import Canonical
    from ecinstruct.sources import map_tables
    from ecinstruct.tasks import REGISTRY
    from quality import dedup

    def work() -> None:
        canonical = Canonical()
        canonical.tables.update(map_tables(Path(handover)))
        ood = pl.read_ipc(folder / "ood.arrow")
        for index in range(split(task_names), len(task_names)):
            result, records, dropped, stats = build_task(
                REGISTRY[task_names[index]], canonical, ood, config, reviewer_names
            )
            part = folder / f"{index}"
            part.mkdir()
            records.write_ipc(part / "records.arrow")
            # The suites check these inputs again, in the build's process.
            np.savez(part / "signatures.npz", **dedup.export(records["input"]))
            dropped.write_ipc(part / "dropped.arrow")
            (part / "result.pickle").write_bytes(pickle.dumps((result, stats)))
            (part / "done").touch()
            del records, dropped

    answer(folder, work)


if __name__ == "__main__":
    from ecinstruct.ending import end

    main(Path(sys.argv[1]))  # Ctrl-C is the build's: this process starts with SIGINT blocked
    end(0)  # the build gets this process's core back as soon as it ends
