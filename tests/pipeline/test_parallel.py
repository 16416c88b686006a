"""Tasks built by two processes (ecinstruct.parallel): same bytes, cores given back, failures
reported."""

from __future__ import annotations

import os
import re

import polars as pl
import pytest

from ecinstruct import parallel, sources
from ecinstruct.build import run
from ecinstruct.config import BuildConfig
from ecinstruct.tasks import REGISTRY

two_cores = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="a second task process needs two cores to pin",
)


@two_cores
def test_a_build_in_two_processes_is_byte_identical(
    small_build, sample_toml, tmp_path, monkeypatch
):
    out, manifest = small_build
    cores = os.sched_getaffinity(0)
    # Every build loads in a child then, so the tables are mapped files and a worker can start.
    monkeypatch.setattr(sources, "ISOLATE_BYTES", 0)
    two = tmp_path / "two"
    again = run(
        BuildConfig(sources=sample_toml, out=two, per_task=200, progress=False), argv=["build"]
    )
    assert manifest["task_processes"] == 1 and again["task_processes"] == 2
    for rel in [*manifest["files"], "dropped.parquet", "rejected.parquet"]:
        assert (out / rel).read_bytes() == (two / rel).read_bytes(), rel
    assert _timeless(again["tasks"]) == _timeless(manifest["tasks"])
    assert os.sched_getaffinity(0) == cores  # every core back
    # The report's records part came from a child process, the same as made in-process.
    reports = [(d / "quality_report.md").read_text().split("\n", 1) for d in (out, two)]
    assert reports[1][0].endswith("— two")  # the title names the output, not its temporary
    assert reports[0][1] == reports[1][1]
    figures = [re.findall(r"data:image/png;base64,[^\"]+", (d / "quality_report.html").read_text())
               for d in (out, two)]  # fmt: skip
    assert figures[0] and figures[0] == figures[1]


@two_cores
def test_a_worker_that_dies_is_reported_and_the_cores_come_back(tmp_path, capfd):
    cores = os.sched_getaffinity(0)
    tasks = list(REGISTRY.values())[:2]
    ood = pl.DataFrame(schema={"product_id": pl.String})
    names = pl.Series("name", [], dtype=pl.String)
    # No table files in the folder: the worker fails before building anything.
    with parallel.worker(tmp_path, tasks, BuildConfig(), ood, names) as second:
        assert second is not None
        assert os.sched_getaffinity(0) == set(sorted(cores)[: len(cores) // 2])  # pinned
        with pytest.raises(RuntimeError, match="second process failed \\(exit status 1"):
            second.result(1, tasks[1].name)
    assert "FileNotFoundError" in capfd.readouterr().err  # the worker's own traceback
    assert os.sched_getaffinity(0) == cores


def test_no_worker_without_mapped_tables_or_a_second_task(tmp_path):
    ood = pl.DataFrame(schema={"product_id": pl.String})
    names = pl.Series("name", [], dtype=pl.String)
    tasks = list(REGISTRY.values())
    with parallel.worker(None, tasks, BuildConfig(), ood, names) as second:
        assert second is None
    with parallel.worker(tmp_path, tasks[:1], BuildConfig(), ood, names) as second:
        assert second is None
    assert parallel.split(tasks) == len(tasks) // 2


def _timeless(tasks: dict) -> dict:
    return {k: {f: v for f, v in r.items() if "seconds" not in f} for k, r in tasks.items()}


def test_table_folders_of_killed_builds_are_removed_and_no_other(tmp_path, capsys):
    import socket
    import subprocess
    import sys

    from ecinstruct import build

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    owners = {
        "stale": f"{host} {gone.pid}",  # its build was killed
        "live": f"{host} {os.getpid()}",
        "foreign": "another-host 1",  # a build on another machine sharing the folder
        "starting": None,  # no owner file yet
    }
    for name, owner in owners.items():
        folder = tmp_path / f"{build.HANDOVER_PREFIX}{name}"
        (folder / "tasks").mkdir(parents=True)
        (folder / "reviews.arrow").write_bytes(b"x" * 1000)
        if owner is not None:
            (folder / build.HANDOVER_OWNER).write_text(owner)
    (tmp_path / "unrelated").mkdir()
    removed = build._clear_stale_handovers(tmp_path)
    assert [p.name for p in removed] == [f"{build.HANDOVER_PREFIX}stale"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*(f"{build.HANDOVER_PREFIX}{n}" for n in ("live", "foreign", "starting")), "unrelated"]
    )
    assert "removed 1 table folder(s)" in capsys.readouterr().err
    assert build._clear_stale_handovers(tmp_path) == []


@pytest.mark.parametrize(
    ("signame", "status", "said"),
    [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted"), ("SIGHUP", 129, "hung up")],
)
def test_a_stopped_build_cleans_up_and_says_so(sample_toml, tmp_path, signame, status, said):
    import signal
    import subprocess
    import sys
    import time

    root = os.path.dirname(os.path.dirname(parallel.__file__))
    out = tmp_path / "ds"
    cmd = [sys.executable, "-m", "ecinstruct", "build", "--sources", str(sample_toml),
           "--out", str(out), "--per-task", "200", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=root, env=parallel.child_env(), stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    # Once the output's temporary sibling exists, the build is writing into it.
    while not list(tmp_path.glob(".ds.tmp-*")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # To this process alone, as `kill` does (Ctrl-C in a terminal reaches the whole group).
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err[-2000:]
    # typer used to end an interrupted command with a silent 130.
    assert f"{said}; earlier output left as it was" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the output nor its temporary sibling


def test_a_child_beside_waits_until_it_is_let_go(tmp_path):
    import threading
    import time

    waiting = threading.Thread(target=parallel.wait_to_go, args=(tmp_path,))
    waiting.start()
    time.sleep(0.3)
    assert waiting.is_alive()  # held: the parent has not let it go
    parallel.Child("m", tmp_path, None).go()
    waiting.join(timeout=5)
    assert not waiting.is_alive()


def test_the_table_files_go_once_their_suites_are_done_and_nothing_else(tmp_path):
    from ecinstruct.build import _unlink_tables

    frame = pl.DataFrame({"product_id": ["A", "B"]})
    frame.write_ipc(tmp_path / "products-0-0.arrow")
    (tmp_path / sources.TABLES_FILE).write_text('{"products": ["products-0-0.arrow"]}')
    mapped = sources.map_tables(tmp_path)["products"]
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "records.arrow").write_bytes(b"x")
    (tmp_path / "owner").write_text("me")
    _unlink_tables(tmp_path).join()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "owner",
        "tables.json",
        "tasks",
        "tasks/records.arrow",
    ]
    assert mapped.equals(frame)  # a frame still mapped keeps its pages


@pytest.mark.parametrize(
    ("code", "status", "printed"), [(None, 0, ""), (3, 3, ""), ("no way", 1, "no way\n")]
)
def test_the_command_line_ends_as_sys_exit_would_after_waiting_for_its_threads(
    tmp_path, code, status, printed
):
    import subprocess
    import sys

    mark = tmp_path / "thread-done"
    script = (
        "import atexit, threading, time\n"
        "from ecinstruct.ending import end\n"
        "atexit.register(lambda: print('handler ran', flush=True))\n"
        f"t = threading.Thread(target=lambda: (time.sleep(0.3), open({str(mark)!r}, 'w')))\n"
        "t.start()\n"
        "print('buffered', end='')\n"
        f"end({code!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=parallel.child_env(), capture_output=True, text=True
    )
    assert done.returncode == status
    assert mark.exists()  # the thread that is not a daemon finished first
    assert done.stdout == "buffered" + "handler ran\n"
    assert done.stderr == printed
