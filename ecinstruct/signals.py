"""Ctrl-C, SIGTERM and SIGHUP: a command stops at once, quietly, and says so.

A command's process calls `take_signals` before its work: SIGINT then raises
KeyboardInterrupt, and SIGTERM (`kill`, a job scheduler's time limit) and SIGHUP (the
terminal closed) raise `Terminated`, wherever the program is, so that it cleans up on the way
out (partial output, temporary folders and child processes go), and `received` tells
afterwards that a signal, not a fault, ended the work: a library may turn the exception into
an error of its own (polars reports a KeyboardInterrupt raised in a Python function it called
as `ComputeError: UDF failed`, and typer turns one into a silent exit with status 130).
`stopped` then prints what the command kept and gives its exit status.

polars installs a SIGINT handler of its own when imported, one that restarts an interrupted
system call: a build waiting for its loading child went on waiting until the child had
finished (seconds, or minutes on large sources) before Python raised KeyboardInterrupt.
`take_signals` imports polars first and then installs Python's handler, which does not
restart, so the wait returns at once; polars still stops a query in progress, since it
checks for Python's signals while it runs.

A child process that its parent stops (`ecinstruct.parallel.launch`) is started with SIGINT
blocked (`launched_deaf`): Ctrl-C reaches the terminal's whole process group, and the parent
is the one that handles it and stops its children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# What each signal makes of a command: its exit status and the word for the line it prints.
STOPS = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}
if hasattr(signal, "SIGHUP"):  # the terminal closed (an ssh connection dropped); POSIX only
    STOPS[signal.SIGHUP] = (129, "hung up")
_received: list[int] = []
_deferring = 0
# While a `patient` block runs: [its notice, the number of signals received before it].
_patience: list[tuple[str, int]] = []
_finished: list[str] = []
_leaves: list[str] = []


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the program is. Not an Exception, so that nothing on
    the way takes it for an error it could handle."""


def _raise(signum: int) -> None:
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated


def _handle(signum, frame) -> None:
    _received.append(signum)
    if not _deferring:
        _take_effect(signum)


def _take_effect(signum: int) -> None:
    if _patience:
        notice, before = _patience[-1]
        if len(_received) - before == 1:  # the first: the block's owner stops when it can
            # Straight to the file descriptor: the handler may run inside a print.
            with contextlib.suppress(OSError):  # no terminal any more (SIGHUP)
                os.write(2, f"\n{STOPS[signum][1]}: {notice}\n".encode())
            return
    _raise(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """A step that must not be cut in half (replacing an output folder, removing a temporary
    one): a signal received meanwhile takes effect when the step is done."""
    global _deferring
    before = len(_received)
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring and len(_received) > before:
        _take_effect(_received[-1])


@contextmanager
def patient(notice: str) -> Iterator[None]:
    """Long work that stops cleanly at its own pace (a training run ends its step and saves a
    checkpoint): the first signal received in the block prints `notice` and is left to the
    block's owner, who asks `received()` when it can stop; a second one takes effect at
    once."""
    _patience.append((notice, len(_received)))
    try:
        yield
    finally:
        _patience.pop()


def leaves(what_is_left: str) -> None:
    """What a signal now leaves, in the command's own words (publish: "no commit was
    pushed"), in place of the general words its stop line would use."""
    _leaves.append(what_is_left)


def finished(what: str) -> None:
    """The command's output is complete (`what`, e.g. "build/ecinstruct written"): a signal
    received after this is reported as coming after it."""
    _finished.append(what)


def take_signals() -> None:
    """In a command's main thread, before its work (see the module's docstring). A signal
    this process was started with ignored stays ignored: `nohup` ignores SIGHUP, and a shell
    script's `command &` ignores SIGINT."""
    ignored = {signum for signum in STOPS if signal.getsignal(signum) == signal.SIG_IGN}
    import polars  # noqa: F401  (installs its own SIGINT handler, replaced here)

    _received.clear()
    _finished.clear()
    _leaves.clear()
    for signum in STOPS:
        signal.signal(signum, signal.SIG_IGN if signum in ignored else _handle)


def received() -> int | None:
    """The first signal of `STOPS` this process received since `take_signals`, if any."""
    return _received[0] if _received else None


def stop_message(what_is_left: str) -> tuple[int, str] | None:
    """(exit status, "interrupted; <what_is_left>") once a signal was received, else None;
    the command's own words if it gave them (`leaves`), and "interrupted after <what>" when
    it came after the output was `finished`."""
    signum = received()
    if signum is None:
        return None
    status, word = STOPS[signum]
    if _finished:
        return status, f"{word} after {_finished[-1]}"
    return status, f"{word}; {_leaves[-1] if _leaves else what_is_left}"


def stopped(what_is_left: str) -> int | None:
    """Once a signal was received: its line (`stop_message`) on stderr, and the command's exit
    status; else None (the caller re-raises what it caught)."""
    stop = stop_message(what_is_left)
    if stop is None:
        return None
    say(stop[1])
    return stop[0]


def launched_deaf(start):
    """`start()`, which starts a child process, with SIGINT blocked in this thread: the child
    starts with it blocked and never sees it. Ctrl-C reaches the terminal's whole process
    group, and the parent is the one that handles it and stops its children. A SIGINT that
    arrives meanwhile waits, and reaches this process once the child has started."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX
        return start()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def say(line: str) -> None:
    """`line` on stderr, where a closed terminal (SIGHUP) is no error."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)
