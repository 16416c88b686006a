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

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.requests.append({"path": self.path, **body})
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
    Handler.requests = []
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
