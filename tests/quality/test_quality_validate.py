import json

import polars as pl
import pytest

from ecinstruct.errors import UserError
from quality.validate import print_validation, validate_folder

# A few tasks keep the suites quick; every published promise is still checked for them.
TASKS = ["sentiment_analysis", "query_product_ranking", "answer_generation"]


@pytest.fixture(scope="module")
def small(synth, tasks):
    subset = {t: tasks[t] for t in TASKS}
    return subset, synth.make_records(subset, per_split=4, seed=1)


def _failed(result):
    return {(r["suite"], r["expectation"]) for r in result["results"] if not r["success"]}


def test_validate_passes_a_good_folder_and_fails_a_hand_edited_one(tmp_path, synth, small, capsys):
    tasks, records = small
    folder = tmp_path / "ds"
    synth.write_folder(folder, records)
    good = validate_folder(folder, tasks=tasks)
    assert good["passed"], [r for r in good["results"] if not r["success"]]
    assert good["records"] == records.height

    # Hand edits: a label outside its options (which reads like console markup), a leaked OOD
    # product, a duplicate id.
    path = folder / "data" / "sentiment_analysis" / "train-00000-of-00001.parquet"
    df = pl.read_parquet(path)
    ood_product = records.filter(pl.col("split") == "test_ood")["product_ids"][0][0]
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("[/b]superb"))
        .otherwise("output")
        .alias("output"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit([ood_product]))
        .otherwise("product_ids")
        .alias("product_ids"),
        pl.when(pl.int_range(pl.len()) == 3).then(pl.col("id").first()).otherwise("id").alias("id"),
    )
    df.write_parquet(path)
    bad = validate_folder(folder, tasks=tasks)
    assert not bad["passed"]
    assert _failed(bad) == {
        ("files", "files_match_build_json_sha256@1"),
        ("records", "expect_column_values_to_be_unique(id)"),
        ("task:sentiment_analysis", "expect_column_values_to_be_in_set(output)"),
        ("task:sentiment_analysis", "expect_column_values_to_be_between(n_correct)"),
        ("audit", "ood_products_disjoint_from_training@1"),
    }
    print_validation(bad)
    captured = capsys.readouterr()
    out = captured.out + captured.err  # the console writes to stderr
    assert (
        "FAILED" in out and "expect_column_values_to_be_in_set(output)" in out and "superb" in out
    )
    assert "[/b]superb" in out  # data is printed as it is, never read as markup


def test_validate_checks_files_and_layout(tmp_path, synth, small):
    tasks, records = small
    folder = tmp_path / "ds"
    synth.write_folder(folder, records)
    moved = folder / "data" / "answer_generation" / "validation-00000-of-00001.parquet"
    moved.rename(folder / "data" / "answer_generation" / "test_ind-00000-of-00002.parquet")
    result = validate_folder(folder, tasks=tasks)
    failed = _failed(result)
    assert ("files", "files_listed_in_build_json_exist@1") in failed
    assert ("files", "no_unlisted_data_files@1") in failed
    assert ("files", "records_match_their_file_task_and_split@1") in failed


def test_not_a_build_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not a folder"):
        validate_folder(tmp_path / "missing")
    with pytest.raises(UserError, match="no build.json"):
        validate_folder(tmp_path)
    (tmp_path / "build.json").write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        validate_folder(tmp_path)
    (tmp_path / "build.json").write_text(json.dumps({"tasks": {}}))
    with pytest.raises(UserError, match="no `files`"):
        validate_folder(tmp_path)
