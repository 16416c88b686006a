import json

import datasets
import polars as pl
import pytest

from benchmark import __main__ as cli
from benchmark.backends import BaselineBackend, PredictionsBackend
from benchmark.runner import RunConfig, run
from benchmark.tasks import REGISTRY
from ecinstruct.errors import UserError


def _records(dataset_dir, task, split):
    return datasets.load_dataset(str(dataset_dir), task)[split].to_list()


def test_gold_predictions_score_one_everywhere(dataset_dir, tmp_path):
    out = tmp_path / "gold"
    assert (
        cli.main(
            [
                "run",
                "--dataset",
                str(dataset_dir),
                "--out",
                str(out),
                "--predictions",
                "gold",
                "--no-progress",
            ]
        )
        == 0
    )
    scores = json.loads((out / "scores.json").read_text())
    assert set(scores) == set(REGISTRY)
    pairs = 0
    for task, splits in scores.items():
        expected = {"test_ind", "test_ind_unseen_instruction"}
        if task in {"attribute_value_extraction", "sentiment_analysis", "answer_generation"}:
            expected |= {"test_ood", "test_ood_unseen_instruction"}
        assert expected <= set(splits), task
        for split, result in splits.items():
            pairs += 1
            assert result["invalid"] == 0
            assert result["metrics"], (task, split)
            for name, value in result["metrics"].items():
                assert value == 1.0, (task, split, name)
    assert pairs == 10 * 2 + 6 * 2
    table = pl.read_parquet(out / "predictions.parquet")
    assert table.height == sum(r["n"] for s in scores.values() for r in s.values())
    assert table["valid"].all()
    config = json.loads((out / "config.json").read_text())
    assert config["backend"] == {"kind": "predictions", "source": "gold"}


def test_invalid_answers_stay_in_the_denominator(dataset_dir, tmp_path):
    records = _records(dataset_dir, "sentiment_analysis", "test_ind")
    lines = []
    for i, r in enumerate(records):
        # even rows: the right letter; odd rows: unparseable text; the last row: missing
        if i == len(records) - 1:
            continue
        answer = "ABCDE"[r["options"].index(r["output"])] if i % 2 == 0 else "I cannot tell."
        lines.append(json.dumps({"id": r["id"], "prediction": answer}))
    path = tmp_path / "preds.jsonl"
    path.write_text("\n".join(lines) + "\n")
    config = RunConfig(
        dataset=str(dataset_dir), backend={}, tasks=["sentiment_analysis"], splits=["test_ind"]
    )
    scores = run(
        config, PredictionsBackend(str(path)), tmp_path / "out", progress=False, log=lambda m: None
    )
    result = scores["sentiment_analysis"]["test_ind"]
    n = len(records)
    n_right = len(range(0, n - 1, 2))
    assert result["n"] == n
    assert result["missing"] == 1
    assert result["invalid"] == n - n_right
    assert result["metrics"]["accuracy"] == pytest.approx(round(n_right / n, 6))


class Counting:
    """A backend that records which pairs it was asked for."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def describe(self):
        return self.inner.describe()

    def predict(self, task, records, train, progress):
        self.calls.append(task)
        return self.inner.predict(task, records, train, progress)


def test_runner_resumes_and_skips_finished_pairs(dataset_dir, tmp_path):
    out, logs = tmp_path / "random", []
    backend = Counting(BaselineBackend("random", seed=1))
    base = dict(
        dataset=str(dataset_dir),
        backend=backend.describe(),
        tasks=["sentiment_analysis"],
        embed=False,
    )
    run(RunConfig(**base, splits=["test_ind"]), backend, out, progress=False, log=logs.append)
    first = (out / "predictions.parquet").read_bytes()
    assert backend.calls == ["sentiment_analysis"]
    # same pair again: nothing to do
    run(RunConfig(**base, splits=["test_ind"]), backend, out, progress=False, log=logs.append)
    assert backend.calls == ["sentiment_analysis"]
    assert any("already scored" in m for m in logs)
    # a new split: only that pair runs; the old predictions are kept
    run(
        RunConfig(**base, splits=["test_ind", "test_ood"]),
        backend,
        out,
        progress=False,
        log=logs.append,
    )
    assert backend.calls == ["sentiment_analysis"] * 2
    scores = json.loads((out / "scores.json").read_text())
    assert set(scores["sentiment_analysis"]) == {"test_ind", "test_ood"}
    table = pl.read_parquet(out / "predictions.parquet")
    assert table.filter(pl.col("split") == "test_ind").equals(
        pl.read_parquet(first).filter(pl.col("split") == "test_ind")
    )
    config = json.loads((out / "config.json").read_text())
    assert config["splits"] == ["test_ind", "test_ood"]
    # another system into the same folder is refused
    other = BaselineBackend("majority")
    with pytest.raises(UserError, match="another run"):
        run(
            RunConfig(**{**base, "backend": other.describe()}),
            other,
            out,
            progress=False,
            log=logs.append,
        )


class Preparing(Counting):
    """A backend that loads something before predicting, as a model does."""

    def prepare(self):
        self.calls.append("prepare")


def test_runner_prepares_a_backend_only_when_it_has_something_to_predict(dataset_dir, tmp_path):
    out = tmp_path / "random"
    backend = Preparing(BaselineBackend("random", seed=1))
    config = RunConfig(
        dataset=str(dataset_dir),
        backend=backend.describe(),
        tasks=["sentiment_analysis"],
        splits=["test_ind"],
        embed=False,
    )
    run(config, backend, out, progress=False, log=lambda _: None)
    assert backend.calls == ["prepare", "sentiment_analysis"]  # loaded before predicting
    run(config, backend, out, progress=False, log=lambda _: None)
    assert backend.calls == ["prepare", "sentiment_analysis"]  # all scored: never loaded


def test_limit_and_short_task_names(dataset_dir, tmp_path):
    out = tmp_path / "lim"
    code = cli.main(
        [
            "run",
            "--dataset",
            str(dataset_dir),
            "--out",
            str(out),
            "--baseline",
            "majority",
            "--tasks",
            "SA,pm",
            "--splits",
            "test_ind",
            "--limit",
            "3",
            "--no-progress",
        ]
    )
    assert code == 0
    scores = json.loads((out / "scores.json").read_text())
    assert set(scores) == {"sentiment_analysis", "product_matching"}
    assert all(s["test_ind"]["n"] == 3 for s in scores.values())


def test_cli_errors_are_one_line(tmp_path, capsys, dataset_dir):
    code = cli.main(
        [
            "run",
            "--dataset",
            str(tmp_path / "nope"),
            "--out",
            str(tmp_path / "o"),
            "--predictions",
            "gold",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and "\n" not in err
    code = cli.main(
        [
            "run",
            "--dataset",
            str(dataset_dir),
            "--out",
            str(tmp_path / "o2"),
            "--predictions",
            str(tmp_path / "missing.jsonl"),
        ]
    )
    assert code == 2 and "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    code = cli.main(
        [
            "run",
            "--dataset",
            str(dataset_dir),
            "--out",
            str(tmp_path / "o3"),
            "--predictions",
            str(bad),
        ]
    )
    assert code == 2 and "line 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(
            ["run", "--dataset", "x", "--out", "y", "--baseline", "random", "--tasks", "nonsense"]
        )
