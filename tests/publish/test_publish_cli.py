"""`python -m ecinstruct publish` as a user runs it: a fresh process configured by environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    return subprocess.run(
        [sys.executable, "-m", "ecinstruct", "publish", *args],
        env=base | env | {"COLUMNS": "200"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dry_run_lists_files_and_message_without_the_network(kit, built, tmp_path):
    with kit.HubServer() as gone:
        dead = gone.url  # nothing listens here any more: a request would fail
    proc = run_cli(
        [str(built), "--repo-id", "ns/ecinstruct", "--dry-run"], kit.client_env(dead, tmp_path)
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stderr
    assert "dry run: would upload 17 files to ns/ecinstruct (main)" in out
    line = next(x for x in out.splitlines() if "product_matching/train-00000" in x)
    size = (built / "data/product_matching/train-00000-of-00001.parquet").stat().st_size
    assert f"{size:,} B" in line and "sha256 ok" in line
    assert "commit message: ECInstruct build " in out and "41 samples, 3 tasks" in out


def test_publish_with_branch_and_tag(kit, built, hub, tmp_path):
    proc = run_cli(
        [str(built), "--repo-id", "ns/ecinstruct", "--revision", "dev", "--tag", "v0.1"],
        kit.client_env(hub.url, tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert "published 17 files to" in proc.stderr and "tagged v0.1" in proc.stderr
    repo = hub.state.repos["ns/ecinstruct"]
    assert repo.tags["v0.1"] == repo.branches["dev"] != repo.branches["main"]
    head = repo.commits[repo.branches["dev"]]
    assert head.title.startswith("ECInstruct build ") and head.parent == repo.branches["main"]
    assert "data/sentiment_analysis/test_ood-00000-of-00001.parquet" in head.files


def test_errors_are_one_line_with_exit_code_2(kit, built, hub, tmp_path):
    proc = run_cli(
        [str(built), "--repo-id", "ns/ecinstruct"], kit.client_env(hub.url, tmp_path, token=None)
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no Hugging Face token"), lines
    assert hub.requests == []


def test_names_the_hub_would_refuse_are_refused_before_any_request(kit, built, hub, tmp_path):
    env = kit.client_env(hub.url, tmp_path)
    for flags, message in (
        (["--repo-id", "ns/bad name!"], "is not a valid Hub repo id"),
        (["--repo-id", "ns/ecinstruct", "--tag", "bad tag"], "--tag 'bad tag' is not a valid"),
        (["--repo-id", "ns/ecinstruct", "--revision", "a..b"], "--revision 'a..b' is not a"),
    ):
        proc = run_cli([str(built), *flags], env)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], lines
    assert hub.requests == []


def test_ctrl_c_during_the_upload_pushes_no_commit_and_says_so(
    kit, built, hub, tmp_path, monkeypatch
):
    import signal
    import threading
    import time

    started, release = threading.Event(), threading.Event()
    handler = hub.RequestHandlerClass
    put = handler.do_PUT

    def held_put(self):  # uploads wait until the interrupt has come
        started.set()
        release.wait(30)
        put(self)

    monkeypatch.setattr(handler, "do_PUT", held_put)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecinstruct", "publish", str(built), "--repo-id", "ns/ecinstruct"],
        env=base | kit.client_env(hub.url, tmp_path),
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert started.wait(60), "no upload started"
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
    finally:
        release.set()  # the uploads under way finish; no new commit may follow them
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted; no commit was pushed"
    assert "Traceback" not in err
    repo = hub.state.repos["ns/ecinstruct"]
    assert not [c for c in repo.commits.values() if c.title.startswith("ECInstruct build")]


def test_branch_and_tag_names_follow_git_rules():
    import pytest

    from ecinstruct.errors import UserError
    from ecinstruct.publish import _check_names

    for ok in ("v0.1", "release/2026-11", "v1.0.0-rc1", "a_b", "a@b", "a.b/c"):
        _check_names("ns/name", ok, ok)
    for bad in ("bad tag", "a..b", "-x", ".x", "x/", "x.lock", "a:b", "a~1", "x.", "/x",
                "a//b", "a@{b", "a\\b", "a[b", "@", "a/.b", "a.lock/b", "a\tb"):  # fmt: skip
        with pytest.raises(UserError, match="is not a valid branch or tag name"):
            _check_names("ns/name", None, bad)
