import json
import shutil

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
    # a task or split named twice is scored once
    twice = RunConfig(
        dataset=str(dataset_dir),
        backend=backend.describe(),
        tasks=["product_matching", "product_matching"],
        splits=["test_ind", "test_ind"],
        embed=False,
    )
    run(twice, backend, out, progress=False, log=lambda _: None)
    assert backend.calls == ["prepare", "sentiment_analysis", "prepare", "product_matching"]


def test_limit_and_short_task_names(dataset_dir, tmp_path, capsys):
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
            "SA,pm,sentiment_analysis",  # a task named twice is scored once
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
    assert capsys.readouterr().err.count("sentiment_analysis/test_ind:") == 1
    config = json.loads((out / "config.json").read_text())
    assert config["tasks"] == ["sentiment_analysis", "product_matching"]


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
    code = cli.main(
        [
            "run",
            "--dataset",
            str(dataset_dir),
            "--out",
            str(tmp_path / "o4"),
            "--predictions",
            str(tmp_path),  # a folder
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == f"error: predictions file {tmp_path} is a folder, not a JSONL file"
    code = cli.main(
        ["run", "--dataset", "x", "--out", "y", "--baseline", "random", "--tasks", "nonsense"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: unknown task 'nonsense'") and "\n" not in err
    code = cli.main(["run", "--dataset", "x", "--out", "y", "--baseline", "random", "--seed", "-1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: --seed must be a whole number") and "\n" not in err
    assert not any(tmp_path.glob("o*"))  # no failed run left a folder


def _run(dataset, out, *flags):
    return cli.main(["run", "--dataset", str(dataset), "--out", str(out), "--no-progress", *flags])


def _one_line_error(capsys) -> str:
    """The error line that ends stderr (skip notes and dataset progress may come before)."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and err.splitlines()[-1].startswith("error: "), err
    return err.splitlines()[-1]


def test_a_folder_that_is_no_adapter_is_refused_before_anything_is_written(
    dataset_dir, tmp_path, capsys
):
    out, plain = tmp_path / "out", tmp_path / "plain"
    plain.mkdir()
    (plain / "config.json").write_text("{}")  # a model folder, say, but no adapter
    model = ["--model", "smollm2-135m", "--tasks", "PM", "--splits", "test_ind"]
    assert _run(dataset_dir, out, *model, "--adapter", str(plain)) == 2
    err = _one_line_error(capsys)
    assert str(plain) in err and "has no adapter_config.json" in err
    (plain / "adapter_config.json").write_text("{not json")
    assert _run(dataset_dir, out, *model, "--adapter", str(plain)) == 2
    assert "adapter_config.json cannot be read" in _one_line_error(capsys)
    (plain / "adapter_config.json").write_text("{}")
    assert _run(dataset_dir, out, *model, "--adapter", str(plain)) == 2
    assert "has no adapter weights (adapter_model.safetensors or" in _one_line_error(capsys)
    assert _run(dataset_dir, out, *model, "--adapter", str(plain / "config.json")) == 2
    assert "is a file, not a folder" in _one_line_error(capsys)
    assert _run(dataset_dir, out, *model, "--adapter", str(tmp_path / "none")) == 2
    assert "does not exist" in _one_line_error(capsys)
    assert not out.exists()


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--model", "./no/such/model"], "no such folder"),
        (["--baseline", "random", "--tasks", "AVE"], "has none of the tasks"),
        (["--baseline", "random", "--tasks", ","], "selects no task"),
        (["--baseline", "random", "--splits", " , "], "selects no split"),
        # the dataset has product matching, but not on the OOD test split
        (
            ["--baseline", "random", "--tasks", "PM", "--splits", "test_ood"],
            "none of the selected task/split pairs (tasks product_matching; splits test_ood)",
        ),
    ],
)
def test_a_run_that_fails_before_scoring_writes_nothing(
    pm_only_dataset, tmp_path, capsys, flags, message
):
    out = tmp_path / "deep" / "out"
    assert _run(pm_only_dataset, out, *flags) == 2
    assert message in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []  # not even the parent folder


def test_a_run_that_fails_keeps_an_earlier_runs_folder_as_it_was(dataset_dir, tmp_path, capsys):
    records = _records(dataset_dir, "product_matching", "test_ind")
    preds = tmp_path / "pm.jsonl"
    preds.write_text(
        "".join(json.dumps({"id": r["id"], "prediction": "yes"}) + "\n" for r in records)
    )
    out = tmp_path / "pm"
    flags = ["--predictions", str(preds), "--splits", "test_ind"]
    assert _run(dataset_dir, out, *flags, "--tasks", "PM") == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    # The same system on a task the file has no answer for: refused, the folder untouched.
    assert _run(dataset_dir, out, *flags, "--tasks", "SA") == 2
    assert "no prediction for any of the" in _one_line_error(capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_an_out_that_is_a_file_or_under_one_is_refused(dataset_dir, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    flags = ["--baseline", "random", "--tasks", "PM", "--splits", "test_ind"]
    assert _run(dataset_dir, afile, *flags) == 2
    assert (
        _one_line_error(capsys)
        == f"error: {afile} exists and is not a folder; choose another --out"
    )
    assert _run(dataset_dir, afile / "x", *flags) == 2
    assert f"{afile} is a file, not a folder" in _one_line_error(capsys)
    assert afile.read_text() == "mine"


def test_missing_predictions_are_warned_about_and_none_at_all_is_an_error(
    dataset_dir, tmp_path, capsys
):
    records = _records(dataset_dir, "sentiment_analysis", "test_ind")
    ids = list(dict.fromkeys(r["id"] for r in records))
    preds = tmp_path / "some.jsonl"
    preds.write_text("".join(json.dumps({"id": i, "prediction": "A"}) + "\n" for i in ids[1:]))
    missing = sum(r["id"] == ids[0] for r in records)
    flags = ["--tasks", "SA", "--splits", "test_ind,test_ind_unseen_instruction"]
    out = tmp_path / "some"
    assert _run(dataset_dir, out, "--predictions", str(preds), *flags) == 0
    err = capsys.readouterr().err
    assert (
        f"warning: sentiment_analysis/test_ind: {missing} of {len(records)} samples have no "
        "prediction (counted invalid)"
    ) in err
    # the unseen-instruction split has other ids: all of its samples are missing, and said so
    unseen = len(_records(dataset_dir, "sentiment_analysis", "test_ind_unseen_instruction"))
    assert f"test_ind_unseen_instruction: {unseen} of {unseen} samples have no" in err
    scores = json.loads((out / "scores.json").read_text())["sentiment_analysis"]
    assert scores["test_ind"]["missing"] == missing
    # a file that matches none of the selected samples, and an empty file: errors, no output
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "not-in-the-dataset", "prediction": "A"}) + "\n")
    assert _run(dataset_dir, tmp_path / "none", "--predictions", str(other), *flags) == 2
    total = len(records) + unseen
    assert f"no prediction for any of the {total} selected samples" in _one_line_error(capsys)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert _run(dataset_dir, tmp_path / "none", "--predictions", str(empty), *flags) == 2
    assert _one_line_error(capsys) == f"error: predictions file {empty} holds no predictions"
    assert not (tmp_path / "none").exists()


def test_the_runner_refuses_an_empty_selection(dataset_dir, tmp_path):
    for tasks, splits, message in (
        ([], ["test_ind"], "no task"),
        (["product_matching"], [], "no split"),
    ):
        config = RunConfig(dataset=str(dataset_dir), backend={}, tasks=tasks, splits=splits)
        with pytest.raises(UserError, match=message):
            run(config, BaselineBackend("random"), tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()


def test_a_run_records_its_build_and_resumes_only_on_the_same_one(dataset_dir, tmp_path, capsys):
    from ecinstruct.publish import build_hash

    ds = tmp_path / "ds"
    shutil.copytree(dataset_dir, ds)
    manifest = {"files": {"data/x.parquet": {"sha256": "aa", "bytes": 1}}}
    (ds / "build.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    flags = ("--baseline", "random", "--tasks", "SA")
    assert _run(ds, out, *flags, "--splits", "test_ind") == 0
    config = json.loads((out / "config.json").read_text())
    assert config["dataset_build"] == build_hash(manifest)
    manifest["files"]["data/x.parquet"]["sha256"] = "bb"  # rebuilt: other data
    (ds / "build.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert _run(ds, out, *flags, "--splits", "test_ood") == 2
    assert "holds results scored on another build" in _one_line_error(capsys)
    assert list(json.loads((out / "scores.json").read_text())["sentiment_analysis"]) == ["test_ind"]
    # Pairs scored before runs recorded their build: a resumed run does not vouch for them.
    config.pop("dataset_build")
    (out / "config.json").write_text(json.dumps(config))
    assert _run(ds, out, *flags, "--splits", "test_ood") == 0
    assert json.loads((out / "config.json").read_text())["dataset_build"] is None


def test_an_unreadable_predictions_file_of_an_earlier_run_is_a_one_line_error(
    dataset_dir, tmp_path, capsys
):
    out = tmp_path / "out"
    flags = ("--baseline", "random", "--tasks", "SA")
    assert _run(dataset_dir, out, *flags, "--splits", "test_ind") == 0
    assert _run(dataset_dir, out, *flags, "--splits", "test_ood") == 0  # resumes fine
    (out / "predictions.parquet").write_bytes(b"PAR1 not really")
    capsys.readouterr()
    assert _run(dataset_dir, out, *flags, "--splits", "test_ind_unseen_instruction") == 2
    assert "predictions.parquet cannot be read" in _one_line_error(capsys)


def test_results_go_nowhere_but_a_results_folder(dataset_dir, tmp_path, capsys):
    flags = ("--baseline", "random", "--tasks", "SA", "--splits", "test_ind")
    run_folder = tmp_path / "run"  # a training run: its config.json must survive
    run_folder.mkdir()
    (run_folder / "config.json").write_text('{"lora_r": 16}')
    built = tmp_path / "built"
    built.mkdir()
    (built / "build.json").write_text('{"ecinstruct_version": "0"}')
    for out, message in (
        (run_folder, "already holds files and is not a results folder"),
        (built, "is a dataset folder"),
        (built / "results", "is inside"),
    ):
        capsys.readouterr()
        assert _run(dataset_dir, out, *flags) == 2
        assert message in _one_line_error(capsys)
    assert (run_folder / "config.json").read_text() == '{"lora_r": 16}'
    assert sorted(p.name for p in built.iterdir()) == ["build.json"]


def test_a_limit_scores_the_same_samples_in_both_wordings():
    from benchmark.runner import _limited

    # A build orders an unseen-instruction split by id, which hashes the wording: here it holds
    # test_ind's samples in the reverse order.
    seen = [{"id": f"s{i}", "input": f"text {i}", "options": ["a", "b"], "output": "ab"[i % 2]}
            for i in range(12)]  # fmt: skip
    unseen = [r | {"id": f"u{i}"} for i, r in enumerate(reversed(seen))]
    data = datasets.DatasetDict(
        {"test_ind": datasets.Dataset.from_list(seen),
         "test_ind_unseen_instruction": datasets.Dataset.from_list(unseen)}
    )  # fmt: skip
    first = [r["input"] for r in _limited(data, "test_ind", 3)]
    assert first == ["text 0", "text 1", "text 2"]
    picked = _limited(data, "test_ind_unseen_instruction", 3)
    assert [r["input"] for r in picked] == first and all(r["id"][0] == "u" for r in picked)
    assert len(_limited(data, "test_ind_unseen_instruction", None)) == 12
    # Without its test split to follow, an unseen split takes its own first records.
    alone = datasets.DatasetDict(
        {"test_ind_unseen_instruction": data["test_ind_unseen_instruction"]}
    )
    assert [r["input"] for r in _limited(alone, "test_ind_unseen_instruction", 2)] == [
        "text 11",
        "text 10",
    ]
