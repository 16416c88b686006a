import json

import polars as pl
import pytest

from benchmark import leaderboard
from ecinstruct.errors import UserError


def _result(folder, backend, scores, **config):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(
        json.dumps({"dataset": "ds", "backend": backend, "limit": None} | config)
    )
    body = {
        task: {
            split: {"n": 10, "invalid": invalid, "headline": metric, "metrics": {metric: value}}
            for split, (value, invalid) in splits.items()
        }
        for task, (metric, splits) in scores.items()
    }
    (folder / "scores.json").write_text(json.dumps(body))


@pytest.fixture()
def results(tmp_path):
    root = tmp_path / "results"
    _result(
        root / "random",
        {"kind": "baseline", "baseline": "random", "seed": 0},
        {
            "sentiment_analysis": ("macro_f1", {"test_ind": (0.25, 0), "test_ood": (0.2, 0)}),
            "product_matching": ("f1_yes", {"test_ind": (0.5, 0)}),
        },
    )
    _result(
        root / "tuned",
        {"kind": "model", "model": "m", "adapter": "a", "prompt": "alpaca"},
        {
            "sentiment_analysis": ("macro_f1", {"test_ind": (0.5, 2), "test_ood": (0.3, 4)}),
            "product_matching": ("f1_yes", {"test_ind": (0.75, 1)}),
            "answer_generation": ("rouge_l", {"test_ind_unseen_instruction": (0.4, 0)}),
        },
    )
    return root


def test_leaderboard_writes_four_outputs(results, tmp_path):
    out = tmp_path / "board"
    assert leaderboard.main([str(results), "--out", str(out)]) == 0
    for ext in ("md", "csv", "html", "png"):
        assert (out / f"leaderboard.{ext}").stat().st_size > 0
    assert (out / "leaderboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "leaderboard.html").read_text()
    for section in (
        "test_ind",
        "test_ood",
        "test_ind_unseen_instruction",
        "chart",
        "systems",
        "notes",
    ):
        assert f'id="{section}"' in html
    assert "data:image/png;base64," in html and "<script" not in html
    assert "eCeLLM-M (paper)" in html and "not comparable" in html
    md = (out / "leaderboard.md").read_text()
    assert "## OOD (test_ood)" in md and "avg rel. impr. vs random" in md
    csv = pl.read_csv(out / "leaderboard.csv")
    assert set(csv["kind"]) == {"measured", "paper"}
    assert csv.filter(pl.col("kind") == "paper")["view"].unique().to_list() == ["IND"]


def test_relative_improvement_and_invalid_counts(results):
    board = leaderboard.build(results)  # default reference: the random baseline
    assert board["reference"] == "random"
    ind = board["views"]["IND"]["scores"]
    tuned = ind.filter(pl.col("system") == "tuned").row(0, named=True)
    # SA 0.5 vs 0.25 -> +100 %, PM 0.75 vs 0.5 -> +50 %: mean +75 %
    assert tuned["rel_impr"] == pytest.approx(0.75)
    assert tuned["SA"] == 0.5 and tuned["invalid"] == "3/20"
    paper = ind.filter(pl.col("system").str.ends_with("(paper)"))
    assert paper.height == 4 and paper["rel_impr"].is_null().all()
    invalid = board["views"]["OOD"]["invalid"]
    assert invalid.filter(pl.col("system") == "tuned")["SA"].item() == "4/10"
    # paper rows appear in the IND view only
    assert "GPT-4 Turbo (paper)" not in board["views"]["OOD"]["scores"]["system"].to_list()
    assert (
        "IND, unseen instruction" in board["views"]
        and "OOD, unseen instruction" not in board["views"]
    )


def test_systems_measured_on_other_data_get_no_relative_improvement(results, tmp_path, capsys):
    scores = {"sentiment_analysis": ("macro_f1", {"test_ind": (0.9, 0)})}
    _result(results / "quick", {"kind": "model", "model": "q"}, scores, limit=20)
    _result(results / "elsewhere", {"kind": "model", "model": "e"}, scores, dataset="real")
    # The same build named by another path compares; another build does not.
    for name, build in (("same", "abc"), ("rebuilt", "def")):
        _result(results / name, {"kind": "model", "model": name}, scores, dataset_build=build)
    (results / "random" / "config.json").write_text(
        json.dumps({"dataset": "ds", "backend": {"kind": "baseline", "baseline": "random"},
                    "limit": None, "dataset_build": "abc"})
    )  # fmt: skip
    (results / "same" / "config.json").write_text(
        json.dumps({"dataset": "/elsewhere/ds", "backend": {"kind": "model", "model": "same"},
                    "limit": None, "dataset_build": "abc"})
    )  # fmt: skip
    board = leaderboard.build(results)
    rel = dict(board["views"]["IND"]["scores"].select("system", "rel_impr").iter_rows())
    assert rel["same"] == pytest.approx(2.6)  # 0.9 against 0.25
    assert rel["tuned"] == pytest.approx(0.75)  # no build recorded: the same dataset name
    for name in ("quick", "elsewhere", "rebuilt"):
        assert rel[name] is None, name
    assert board["other_data"] == ["elsewhere", "quick", "rebuilt"]
    out = tmp_path / "board"
    assert leaderboard.main([str(results), "--out", str(out)]) == 0
    note = "No average relative improvement for elsewhere, quick, rebuilt:"
    assert note in capsys.readouterr().err
    assert note in (out / "leaderboard.md").read_text()
    assert note in (out / "leaderboard.html").read_text()


def test_reference_choice_and_errors(results, tmp_path):
    board = leaderboard.build(results, reference="tuned")
    random_row = (
        board["views"]["IND"]["scores"].filter(pl.col("system") == "random").row(0, named=True)
    )
    assert random_row["rel_impr"] == pytest.approx(((0.25 - 0.5) / 0.5 + (0.5 - 0.75) / 0.75) / 2)
    with pytest.raises(UserError, match="not a row"):
        leaderboard.build(results, reference="nobody")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no results"):
        leaderboard.build(empty)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"product_matching": {"test_ind": ', "cannot be read: Expecting value"),
        ("[]", "is not a JSON object"),
        ('{"tasks": 5}', "unknown task 'tasks'"),
        ('{"product_matching": 5}', "product_matching is not a {split: result} object"),
        ('{"product_matching": {"test": {}}}', "unknown split 'test'"),
        ('{"product_matching": {"test_ind": []}}', "test_ind is not a result object"),
        ('{"product_matching": {"test_ind": {"n": 1}}}', "has no headline metric name"),
        (
            '{"product_matching": {"test_ind": {"headline": "f1_yes", "metrics": {"f1_yes": "x"},'
            ' "n": 1, "invalid": 0}}}',
            "metrics is not a {name: number} object",
        ),
        (
            '{"product_matching": {"test_ind": {"headline": "f1_yes", "metrics": {}, "n": 1}}}',
            "invalid is not a count",
        ),
    ],
)
def test_one_bad_scores_file_is_a_one_line_error_naming_it(
    results, tmp_path, capsys, text, message
):
    bad = results / "zzz-bad" / "scores.json"
    bad.parent.mkdir()
    bad.write_text(text)
    out = tmp_path / "board"
    assert leaderboard.main([str(results), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {bad}") and message in err and "\n" not in err, err
    assert not out.exists()


def test_a_bad_config_file_is_a_one_line_error(results, capsys):
    config = results / "tuned" / "config.json"
    for text, message in (
        ("{", "cannot be read"),
        ('{"backend": "m"}', "backend is not an object"),
    ):
        config.write_text(text)
        assert leaderboard.main([str(results)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {config}") and message in err and "\n" not in err, err
    assert not (results / "leaderboard").exists()


def test_paths_that_are_files_get_one_line_errors(results, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert leaderboard.main([str(afile)]) == 2
    assert (
        capsys.readouterr().err.strip() == f"error: results folder {afile} is a file, not a folder"
    )
    assert leaderboard.main([str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert leaderboard.main([str(results), "--out", str(afile)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {afile} exists and is not a folder; choose another --out"
    assert leaderboard.main([str(results), "--out", str(afile / "board")]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{afile} is a file, not a folder" in err and "\n" not in err
    assert afile.read_text() == "mine"


def test_rows_on_mixed_data_are_flagged_even_without_a_reference(tmp_path, capsys):
    root = tmp_path / "results"
    scores = {"sentiment_analysis": ("macro_f1", {"test_ind": (0.5, 0)})}
    _result(root / "a", {"kind": "model", "model": "a"}, scores)
    _result(root / "b", {"kind": "model", "model": "b"}, scores, limit=20)
    board = leaderboard.build(root)
    assert board["reference"] is None and board["mixed_data"]
    assert leaderboard.main([str(root), "--out", str(tmp_path / "board")]) == 0
    assert "measured on different data" in capsys.readouterr().err
    (root / "b" / "config.json").write_text(
        json.dumps({"dataset": "ds", "backend": {"kind": "model", "model": "b"}, "limit": None})
    )
    assert not leaderboard.build(root)["mixed_data"]
