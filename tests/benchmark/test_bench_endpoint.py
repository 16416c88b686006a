"""The OpenAI-compatible backend against a loopback server started here (stops itself)."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import datasets
import pytest

from benchmark import __main__ as cli
from benchmark.backends import EndpointBackend
from benchmark.metrics import binary_prf
from benchmark.tasks import REGISTRY
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
    import signal
    import subprocess
    import sys
    import time

    from ecinstruct import parallel

    out = tmp_path / "stopped"
    cmd = [sys.executable, "-m", "benchmark", "run", "--dataset", str(dataset_dir),
           "--out", str(out), "--endpoint", server + "/v1", "--model", "tiny",
           "--tasks", "product_matching", "--splits", "test_ind,test_ind_unseen_instruction",
           "--batch-size", "5", "--no-progress"]  # fmt: skip
    Handler.hang_from = 4  # test_ind takes three requests; the next split's first is never answered
    try:
        proc = subprocess.Popen(cmd, env=parallel.child_env(), stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(Handler.requests) < 4:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        Handler.release.set()
    assert proc.returncode == 130, err
    assert f"interrupted; the finished task/split pairs are kept in {out}" in err
    assert "Traceback" not in err
    scores = json.loads((out / "scores.json").read_text())
    assert list(scores["product_matching"]) == ["test_ind"]
