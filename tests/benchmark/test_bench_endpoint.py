"""The OpenAI-compatible backend against a loopback server started here (stops itself)."""

import json
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import datasets
import pytest

from benchmark import __main__ as cli
from benchmark.backends import EndpointBackend
from benchmark.metrics import binary_prf
from benchmark.tasks import REGISTRY
from ecinstruct import parallel
from ecinstruct.errors import UserError
from training.prompt import build_prompt


class Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []
    hang_from: int | None = None  # requests from this one on wait for `release`
    release = threading.Event()

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.requests.append({"path": self.path, **body})
        if Handler.hang_from is not None and len(Handler.requests) >= Handler.hang_from:
            Handler.release.wait(60)
            return
        if body.get("model") != "tiny":
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b'{"error": "model not found"}\n')
            return
        # Always " Yes." (tolerated case and punctuation), in reverse index order.
        choices = [{"index": i, "text": " Yes.\n### more"} for i in range(len(body["prompt"]))][
            ::-1
        ]
        payload = json.dumps({"choices": choices}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    Handler.requests, Handler.hang_from, Handler.release = [], None, threading.Event()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    # Bounded: the server shuts itself down after 60 s whatever happens to the test.
    watchdog = threading.Timer(60, httpd.shutdown)
    watchdog.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        watchdog.cancel()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_endpoint_backend_end_to_end(server, dataset_dir, tmp_path):
    out = tmp_path / "endpoint"
    code = cli.main(
        [
            "run",
            "--dataset",
            str(dataset_dir),
            "--out",
            str(out),
            "--endpoint",
            server + "/v1",
            "--model",
            "tiny",
            "--tasks",
            "product_matching",
            "--splits",
            "test_ind",
            "--batch-size",
            "5",
            "--no-progress",
        ]
    )
    assert code == 0
    records = datasets.load_dataset(str(dataset_dir), "product_matching")["test_ind"].to_list()
    sent = [p for r in Handler.requests for p in r["prompt"]]
    assert sent == [build_prompt(r, "alpaca") for r in records]
    assert [len(r["prompt"]) for r in Handler.requests] == [5, 5, 2]
    first = Handler.requests[0]
    assert first["path"] == "/v1/completions"
    assert first["temperature"] == 0
    assert first["max_tokens"] == REGISTRY["product_matching"].max_new_tokens
    result = json.loads((out / "scores.json").read_text())["product_matching"]["test_ind"]
    expected = binary_prf([r["output"] for r in records], ["yes"] * len(records))
    assert result["invalid"] == 0
    assert result["metrics"]["f1_yes"] == pytest.approx(round(expected["f1_yes"], 6))


def test_endpoint_errors_are_clear(server):
    backend = EndpointBackend(server, "unknown-model", "alpaca", batch_size=2)
    with pytest.raises(UserError, match="answered 404"):
        backend.complete(["hi"], 4)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = EndpointBackend(f"http://127.0.0.1:{port}", "tiny", "alpaca", batch_size=2, timeout=5)
    with pytest.raises(UserError, match="unreachable"):
        closed.complete(["hi"], 4)
    with pytest.raises(UserError, match="alpaca"):
        EndpointBackend(server, "tiny", "chat", batch_size=2)


def test_ctrl_c_keeps_the_finished_pairs_and_says_so(server, dataset_dir, tmp_path):
    import sys

    out = tmp_path / "stopped"
    cmd = [sys.executable, "-m", "benchmark", "run", "--dataset", str(dataset_dir),
           "--out", str(out), "--endpoint", server + "/v1", "--model", "tiny",
           "--tasks", "product_matching", "--splits", "test_ind,test_ind_unseen_instruction",
           "--batch-size", "5", "--no-progress"]  # fmt: skip
    # test_ind takes three requests; the next split's first is never answered
    proc, err = _interrupted_at_request(cmd, 4)
    assert proc.returncode == 130, err
    assert f"interrupted; the finished task/split pairs are kept in {out}" in err
    assert "Traceback" not in err
    scores = json.loads((out / "scores.json").read_text())
    assert list(scores["product_matching"]) == ["test_ind"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_endpoint_writes_nothing_and_keeps_earlier_results(
    server, dataset_dir, tmp_path, capsys
):
    def endpoint_run(out, url, splits):
        return cli.main(
            ["run", "--dataset", str(dataset_dir), "--out", str(out), "--endpoint", url,
             "--model", "tiny", "--tasks", "PM", "--splits", splits, "--no-progress"]
        )  # fmt: skip

    closed = f"http://127.0.0.1:{_closed_port()}"
    fresh = tmp_path / "fresh"
    assert endpoint_run(fresh, closed, "test_ind") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: endpoint") and "unreachable" in err[-1]
    assert not fresh.exists()
    # A folder with finished pairs, resumed with a new split while the server is down: the
    # run fails and the folder stays byte for byte as it was.
    out = tmp_path / "resumed"
    assert endpoint_run(out, server, "test_ind") == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    # The same system (its URL is part of it), but the server now closes every connection
    # without an answer.
    asked = len(Handler.requests)
    Handler.hang_from = asked + 1
    Handler.release.set()  # the hanging handler returns at once, answering nothing
    assert endpoint_run(out, server, "test_ind,test_ind_unseen_instruction") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: endpoint {server}") and "unreachable" in err[-1], err
    assert len(Handler.requests) > asked  # it did ask the server
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_ctrl_c_before_any_pair_is_finished_leaves_nothing(server, dataset_dir, tmp_path):
    import sys

    out = tmp_path / "stopped"
    cmd = [sys.executable, "-m", "benchmark", "run", "--dataset", str(dataset_dir),
           "--out", str(out), "--endpoint", server + "/v1", "--model", "tiny",
           "--tasks", "product_matching", "--splits", "test_ind", "--no-progress"]  # fmt: skip
    proc, err = _interrupted_at_request(cmd, 1)  # the first request is never answered
    assert proc.returncode == 130, err
    assert f"interrupted; no pair was finished, so nothing was written to {out}" in err
    assert "Traceback" not in err
    assert not out.exists()


def _interrupted_at_request(cmd: list[str], n: int) -> tuple[subprocess.Popen, str]:
    """Run `cmd` against the test server, which never answers its request `n`; Ctrl-C it
    while it waits there. The process and its stderr."""
    Handler.hang_from = n
    try:
        proc = subprocess.Popen(cmd, env=parallel.child_env(), stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(Handler.requests) < n:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        Handler.release.set()
    return proc, err
