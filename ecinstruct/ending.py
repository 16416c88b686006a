"""Ending a process of ours without the interpreter's teardown."""

from __future__ import annotations

import atexit
import os
import sys
import threading


def end(code: object = 0) -> None:
    """End the process as `sys.exit(code)` would, less the interpreter's teardown.

    A large build leaves gigabytes of objects behind (frames, mapped tables, imported
    libraries), and so do its child processes; freeing them one by one took about a second
    of the build's wall time, and a third of a second for the loading child, for nothing: the
    work is done and handed over by then. What a normal exit waits for still happens: threads
    that are not daemons are joined, exit handlers run, the standard streams are flushed; then
    the process ends at once."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message") prints the message and exits with 1
        print(code, file=sys.stderr)
        status = 1
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a broken pipe
            pass
    os._exit(status)
