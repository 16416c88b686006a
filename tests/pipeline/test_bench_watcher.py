"""The large-build benchmark's process watcher (scripts/bench_build.py)."""

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_build.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_build", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_child_joins_the_tree_whichever_pid_is_larger(bench, monkeypatch):
    # 10 is the build; 7 its child; 5 a child of 7 (a wrapped pid counter gave it a smaller
    # pid than its parent's); 99 belongs to someone else.
    parents = {7: 10, 5: 7, 99: 1}
    monkeypatch.setattr(bench.os, "listdir", lambda path: ["10", "5", "self", "7", "99"])
    monkeypatch.setattr(bench, "_parent", lambda pid: parents[pid])
    tree = bench._Tree(10)
    tree._refresh()
    assert tree.inside == {10, 7, 5}
    assert tree.outside == {99}
    # Processes that ended leave both sets; a pid seen outside is not read again.
    monkeypatch.setattr(bench.os, "listdir", lambda path: ["10", "99"])
    monkeypatch.setattr(bench, "_parent", lambda pid: pytest.fail(f"read {pid} again"))
    tree._refresh()
    assert tree.inside == {10}
    assert tree.outside == {99}


def test_the_watcher_sees_a_grandchild_and_names_it(bench):
    code = "import time; x = bytearray(150_000_000); time.sleep(3)"
    shell = f"{sys.executable} -m timeit -n 1 -r 1 -s '{code}' 'pass'; true"
    proc = subprocess.Popen(["bash", "-c", shell])
    tree = bench._Tree(proc.pid)
    peak, roles = 0, set()
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            rss, parts = tree.memory(pss_above=0)
            peak = max(peak, rss)
            roles |= {role for role, size in parts.items() if size}
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    assert peak > 150_000_000
    assert "timeit" in roles  # the grandchild, by the module it runs
