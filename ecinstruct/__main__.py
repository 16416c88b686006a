"""`python -m ecinstruct`: the command line (see ecinstruct.cli)."""

import atexit
import os
import sys
import threading

from ecinstruct.cli import main


def _end(code: object) -> None:
    """End the process as `sys.exit(code)` would, less the interpreter's teardown.

    A large build leaves gigabytes of objects behind (frames, mapped tables, imported
    libraries); freeing them one by one took about a second of a build's wall time, for
    nothing: the output is complete by now. What a normal exit waits for still happens:
    threads that are not daemons are joined, exit handlers run, the standard streams are
    flushed; then the process ends at once."""
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


if __name__ == "__main__":
    try:
        main()
    except SystemExit as done:
        _end(done.code)
    _end(0)
