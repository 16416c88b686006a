"""Ctrl-C and SIGTERM (ecinstruct.signals): a wait ends at once, a folder is never replaced
by half, child processes leave Ctrl-C to their parent.

Each case runs in a process of its own: the handlers are the process's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from ecinstruct import parallel


def _python(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=parallel.child_env(),
    )


def test_ctrl_c_ends_a_wait_for_a_child_at_once():
    # polars' own SIGINT handler restarts the wait: before take_signals the build went on
    # waiting for its loading child (here 30 s) before Python raised KeyboardInterrupt.
    done = _python(
        """
        import os, signal, subprocess, sys, threading, time
        from ecinstruct import signals
        signals.take_signals()
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        start = time.monotonic()
        try:
            child.wait()
            print("waited", time.monotonic() - start)
        except KeyboardInterrupt:
            print("interrupted after", round(time.monotonic() - start, 1))
            print(signals.stop_message("nothing left"))
        finally:
            child.kill()
        """
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("interrupted after"), done.stdout + done.stderr
    assert float(lines[0].split()[-1]) < 10
    assert lines[1] == "(130, 'interrupted; nothing left')"


def test_a_signal_in_a_deferred_step_takes_effect_when_it_is_done():
    done = _python(
        """
        import os, signal
        from ecinstruct import signals
        signals.take_signals()
        steps = []
        try:
            with signals.deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                steps.append("after the signal")
            steps.append("after the step")
        except signals.Terminated:
            steps.append("terminated")
        print(steps, signals.stop_message("x"))
        """
    )
    assert done.stdout.strip() == "['after the signal', 'terminated'] (143, 'terminated; x')", (
        done.stdout + done.stderr
    )


def test_a_signal_while_the_output_is_replaced_leaves_the_new_output_whole(tmp_path):
    # The old folder is removed last; a SIGTERM then used to leave it beside the new one.
    out = tmp_path / "ds"
    out.mkdir()
    (out / "old.txt").write_text("old")
    done = _python(
        f"""
        import os, signal, shutil
        from pathlib import Path
        from ecinstruct import signals, writer
        signals.take_signals()
        remove = shutil.rmtree
        def rmtree(path, **kw):
            os.kill(os.getpid(), signal.SIGTERM)
            remove(path, **kw)
        writer.shutil.rmtree = rmtree
        try:
            with writer.atomic_folder(Path({str(out)!r})) as tmp:
                (tmp / "new.txt").write_text("new")
        except signals.Terminated:
            print(signals.stop_message("earlier output left as it was"))
        """
    )
    assert done.stdout.strip() == f"(143, 'terminated after {out} was written')", (
        done.stdout + done.stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]


def test_a_child_process_leaves_ctrl_c_to_its_parent(tmp_path, monkeypatch):
    import signal

    (tmp_path / "sleeper.py").write_text("import time\ntime.sleep(30)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    job = tmp_path / "job"
    job.mkdir()
    proc = parallel.launch("sleeper", job, None)
    try:
        time.sleep(0.5)
        blocked = int(
            next(
                line.split()[1]
                for line in open(f"/proc/{proc.pid}/status")
                if line.startswith("SigBlk:")
            ),
            16,
        )
        assert blocked & (1 << (signal.SIGINT - 1))
        os.kill(proc.pid, signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None  # still running: the build stops it when it stops itself
        assert not signal.pthread_sigmask(signal.SIG_BLOCK, set()) & {signal.SIGINT}
    finally:
        proc.kill()
        proc.wait()


def test_a_signal_the_command_was_started_with_ignored_stays_ignored():
    # A shell script's `command &` ignores SIGINT, `nohup` ignores SIGHUP.
    import signal

    code = textwrap.dedent(
        """
        import signal
        from ecinstruct import signals
        signals.take_signals()
        print([signal.getsignal(s) == signal.SIG_IGN for s in signals.STOPS])
        """
    )

    def ignore():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=parallel.child_env(),
        preexec_fn=ignore,
    )
    assert done.stdout.strip() == "[True, False, True]", done.stderr
    assert _python(code).stdout.strip() == "[False, False, False]"
