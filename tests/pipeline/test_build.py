"""End to end: the built-in sample through every task into a loadable dataset folder."""

import json
import os
import shutil
import subprocess
import sys

import datasets
import polars as pl
import pytest

from ecinstruct import build
from ecinstruct.build import run
from ecinstruct.config import BuildConfig
from ecinstruct.errors import UserError
from ecinstruct.records import COLUMNS, SPLITS
from ecinstruct.tasks import REGISTRY


def test_every_task_builds_from_the_sample(small_build):
    _, manifest = small_build
    for name, res in manifest["tasks"].items():
        assert res["status"] == "built", (name, res)
        assert res["counts"]["train"] > 0, name
        assert res["counts"]["test_ind"] > 0, name
        if REGISTRY[name].has_ood:
            assert res["counts"]["test_ood"] > 0, name
            assert res["counts"]["test_ood_unseen_instruction"] == res["counts"]["test_ood"]
    assert manifest["audit"]["ood_leak"]["passed"]


def test_load_dataset_returns_every_split_with_spec_columns(small_build):
    out, manifest = small_build
    for name, res in manifest["tasks"].items():
        ds = datasets.load_dataset(str(out), name)
        assert set(ds) == {s for s, n in res["counts"].items() if n}
        for split, n in res["counts"].items():
            assert ds[split].num_rows == n
            assert tuple(ds[split].column_names) == COLUMNS
    all_ds = datasets.load_dataset(str(out), "all")
    assert all_ds["train"].num_rows == sum(r["counts"]["train"] for r in manifest["tasks"].values())


def test_records_follow_the_contract(small_build):
    out, _ = small_build
    df = pl.read_parquet(out / "data" / "*" / "*.parquet")
    assert df["id"].n_unique() == df.height
    assert set(df["split"]) <= set(SPLITS)
    unseen = df.filter(pl.col("split").str.ends_with("unseen_instruction"))
    seen = df.filter(~pl.col("split").str.ends_with("unseen_instruction"))
    for task, t in REGISTRY.items():
        un = set(unseen.filter(pl.col("task") == task)["instruction_id"])
        se = set(seen.filter(pl.col("task") == task)["instruction_id"])
        assert un == {f"{task}/{t.unseen_instruction}"}
        assert f"{task}/{t.unseen_instruction}" not in se and len(se) == 5
    opts = df.filter(pl.col("options").is_not_null())
    assert all(o in opt for o, opt in zip(opts["output"], opts["options"], strict=True))


def test_ood_products_never_trained_on(small_build):
    out, _ = small_build
    df = pl.read_parquet(out / "data" / "*" / "*.parquet").explode("product_ids")
    trained = set(df.filter(pl.col("split").is_in(["train", "validation"]))["product_ids"])
    ood = set(df.filter(pl.col("split") == "test_ood")["product_ids"])
    assert ood and not (ood & trained)


def test_build_is_byte_identical(small_build, sample_toml, tmp_path):
    out, manifest = small_build
    again = tmp_path / "again"
    run(BuildConfig(sources=sample_toml, out=again, per_task=200, progress=False), argv=["build"])
    for rel in [*manifest["files"], "dropped.parquet", "rejected.parquet"]:
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel
    # The card records where it was built; everything else must match.
    card_a = (out / "README.md").read_text().replace(str(out), "OUT")
    card_b = (again / "README.md").read_text().replace(str(again), "OUT")
    assert card_a == card_b


def test_dropped_file_lists_every_drop_the_manifest_counts(small_build):
    out, manifest = small_build
    dropped = pl.read_parquet(out / "dropped.parquet")
    assert dropped.schema == pl.Schema(build.DROPPED_SCHEMA)
    counts = {
        (task, reason): n
        for task, result in manifest["tasks"].items()
        for reason, n in result["dropped"].items()
        if reason != "over_quota"  # fine samples left out for size are not listed
    }
    assert counts  # the sample has dirty rows, duplicates, short reviews...
    assert (
        dict(((t, r), n) for t, r, n in dropped.group_by("task", "drop_reason").len().iter_rows())
        == counts
    )


def test_manifest_and_card(small_build):
    out, manifest = small_build
    on_disk = json.loads((out / "build.json").read_text())
    assert on_disk["files"] == manifest["files"]
    assert (out / "README.md").read_text().startswith("---\n")
    assert (out / "rejected.parquet").is_file()


def test_manifest_times_every_stage_in_wall_and_cpu_seconds(small_build):
    _, manifest = small_build
    wall, cpu = manifest["timings_s"], manifest["cpu_s"]
    stages = ["load_sources", "build_tasks", "quality_suites", "write", "quality_report"]
    assert set(stages) <= set(cpu) and set(cpu) <= set(wall)
    assert all(v >= 0 for v in [*wall.values(), *cpu.values()])
    # The stages are laps of one clock: together they never exceed the total.
    assert sum(wall[s] for s in stages) <= wall["total"]
    assert sum(cpu[s] for s in stages) <= cpu["total"] + 0.01
    assert cpu["build_tasks"] > 0
    assert list(wall)[-1] == "total"


def test_unknown_task_is_a_clear_error(sample_toml, tmp_path):
    with pytest.raises(UserError, match="unknown task"):
        run(BuildConfig(sources=sample_toml, out=tmp_path / "x", tasks=("nope",), progress=False))
    assert not (tmp_path / "x").exists()


def test_out_of_scope_rows_are_counted_not_silently_dropped(small_build):
    _, manifest = small_build
    esci = [s for s in manifest["sources"] if s["kind"] == "esci" and s["key"] == "examples"]
    assert esci and esci[0]["rows_out_of_scope"] > 0
    assert all(s["rows_out_of_scope"] <= s["rows_read"] for s in manifest["sources"])


def test_a_build_whose_checks_pass_imports_neither_great_expectations_nor_pandas(
    sample_toml, tmp_path
):
    # Polars settles every check of a build from the sample; importing great-expectations
    # (with pandas) for nothing took seconds of a core.
    script = f"""
import json, sys
from pathlib import Path
from ecinstruct.build import run
from ecinstruct.config import BuildConfig
manifest = run(BuildConfig(sources=Path({str(sample_toml)!r}), out=Path({str(tmp_path / "o")!r}),
    per_task=20, tasks=("sentiment_analysis", "product_matching"), progress=False), argv=["build"])
suites = manifest["quality"]["suites"]
print(json.dumps([suites["passed"], len(suites["results"]),
    sorted(m for m in ("great_expectations", "pandas") if m in sys.modules)]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    passed, n_results, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert passed and n_results > 10
    assert imported == []


def test_summary_names_the_top_drop_reasons_whole_and_counts_the_rest(small_build):
    from ecinstruct import summary

    note = summary.top_reasons(
        {"b": 5, "over_quota": 900, "a": 5, "c": 1_200, "d": 1, "e": 2, "long_reason_name": 3}
    )
    assert note == "c 1,200, a 5, b 5 and 3 more reasons (build.json)"
    assert summary.top_reasons({"x": 1, "over_quota": 2}) == "x 1"
    assert summary.top_reasons({}) == ""

    out, manifest = small_build
    with summary.console.capture() as captured:
        summary.print_summary(manifest, out)
    # The table's cells wrap: its borders and line ends go, its words stay.
    text = " ".join(captured.get().replace("│", " ").split())
    for res in manifest["tasks"].values():
        reasons = [r for r in res["dropped"] if r != "over_quota"]
        shown = sorted(reasons, key=lambda r: (-res["dropped"][r], r))[: summary.TOP_REASONS]
        for reason in shown:  # each named whole, with its count
            assert f"{reason} {res['dropped'][reason]:,}" in text


def _cli(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "ecinstruct", *args], capture_output=True, text=True, cwd=tmp_path
    )


@pytest.mark.parametrize(
    ("command", "flags", "message"),
    [
        ("build", ["--seed", "-3"], "--seed must be a whole number"),
        ("build", ["--seed", str(2**64)], "--seed must be a whole number"),
        ("build", ["--per-task", "0"], "--per-task must be a whole number of at least 1"),
        ("build", ["--per-task", "-5"], "--per-task must be a whole number of at least 1"),
        ("build", ["--ood-fraction", "1"], "--ood-fraction is the share"),
        ("build", ["--ood-fraction", "nan"], "--ood-fraction is the share"),
        ("build", ["--ood-fraction", "-0.1"], "--ood-fraction is the share"),
        ("build", ["--tasks", ","], "--tasks ',' names no task"),
        ("build", ["--sources", "s.toml", "--sample-scale", "2"], "give one or the other"),
        ("build", ["--tasks", ""], "--tasks '' names no task"),
        ("build", ["--sample-scale", "0"], "--sample-scale must be a positive number"),
        ("build", ["--sample-scale", "inf"], "--sample-scale must be a positive number"),
        ("sample", ["--scale", "0"], "--scale must be a positive number"),
        ("sample", ["--scale", "nan"], "--scale must be a positive number"),
        ("sample", ["--seed", "-1"], "--seed must be a whole number"),
    ],
)
def test_bad_flags_are_one_line_errors_before_any_work(tmp_path, command, flags, message):
    out = tmp_path / "out"
    done = _cli(tmp_path, command, "--out", str(out), *flags)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists() and not (tmp_path / "build").exists()


def test_build_config_refuses_what_the_flags_refuse():
    BuildConfig(per_task=1, ood_fraction=0.0, seed=2**63 - 1)  # the edges are fine
    for bad in (
        {"per_task": 0},
        {"per_task": 2.5},
        {"seed": True},
        {"ood_fraction": 1.0},
        {"sample_scale": -1},
        {"shard_rows": 0},
    ):
        with pytest.raises(UserError):
            BuildConfig(**bad)


def test_error_messages_print_brackets_as_they_are(tmp_path):
    # The console reads "[...]" as markup: a config's table name must not vanish from the error.
    (tmp_path / "sources.toml").write_text('[nope]\nfiles = ["x"]\n')
    done = _cli(tmp_path, "build", "--sources", "sources.toml", "--out", "ds")
    assert done.returncode == 2
    assert "unknown source kind [nope]" in " ".join(done.stderr.split())


def test_tasks_are_named_by_full_or_short_name():
    from ecinstruct.tasks import full_names

    assert full_names(["SA", "pm", "sentiment_analysis", "Sr", "nope"]) == (
        "sentiment_analysis",
        "product_matching",
        "sequential_recommendation",
        "nope",
    )
    assert [t.name for t in build.select_tasks(("qpr", "AVE"))] == [
        "query_product_ranking",
        "attribute_value_extraction",
    ]
    with pytest.raises(
        UserError, match=r"unknown task\(s\) SAX; known: .*sentiment_analysis \(SA\)"
    ):
        build.select_tasks(("SAX",))


def test_out_that_is_not_an_earlier_output_is_left_alone(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    (mine / "sources.toml").write_text("[esci]\n")  # a data folder of one's own
    for args in (["build", "--out", "mine"], ["sample", "--out", "mine"]):
        done = _cli(tmp_path, *args)
        assert done.returncode == 2, done.stderr
        assert "already exists and is not" in done.stderr and "Traceback" not in done.stderr
        assert sorted(p.name for p in mine.iterdir()) == ["notes.txt", "sources.toml"]
    for out in (".", str(tmp_path.parent)):  # the current folder, or one holding it
        done = _cli(tmp_path, "build", "--out", out)
        assert done.returncode == 2 and "holds the current folder" in done.stderr
    (tmp_path / "file").write_text("x")
    done = _cli(tmp_path, "build", "--out", "file")
    assert done.returncode == 2 and "is not a folder" in done.stderr
    assert (tmp_path / "file").read_text() == "x"


def test_out_under_a_file_is_a_one_line_error_before_any_work(tmp_path):
    (tmp_path / "file").write_text("x")
    for command in ("build", "sample"):
        done = _cli(tmp_path, command, "--out", "file/sub/ds", "--no-progress")
        assert done.returncode == 2, done.stderr
        assert "file/sub/ds cannot be made:" in done.stderr and "is a file" in done.stderr
        assert "Traceback" not in done.stderr
    assert (tmp_path / "file").read_text() == "x"


def test_files_added_to_an_earlier_output_are_never_deleted(small_build, tmp_path):
    out, _ = small_build
    ds = tmp_path / "ds"
    shutil.copytree(out, ds)
    (ds / "notes.md").write_text("mine")
    done = _cli(tmp_path, "build", "--out", "ds", "--per-task", "200")
    assert done.returncode == 2, done.stderr
    assert "is a dataset folder ECInstruct built, but it also holds 1 file(s)" in done.stderr
    assert "(notes.md)" in done.stderr
    assert (ds / "notes.md").read_text() == "mine" and (ds / "build.json").is_file()
    assert build.foreign_files(out) == []  # a build's own folder has none
    # What a desktop or `hf download` leaves behind is no one's work: no reason to refuse.
    (ds / "notes.md").unlink()
    (ds / ".DS_Store").write_text("x")
    (ds / ".cache" / "huggingface").mkdir(parents=True)
    (ds / ".cache" / "huggingface" / "download.lock").write_text("x")
    assert build.foreign_files(ds) == []
    (ds / ".git").mkdir()  # a clone of the published repo is someone's work
    (ds / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert build.foreign_files(ds) == [".git/HEAD"]

    first = _cli(tmp_path, "sample", "--out", "s", "--scale", "0.01", "--no-progress")
    assert first.returncode == 0, first.stderr
    (tmp_path / "s" / "mine.toml").write_text("[esci]\n")
    done = _cli(tmp_path, "sample", "--out", "s", "--scale", "0.01", "--no-progress")
    assert done.returncode == 2 and "(mine.toml)" in done.stderr, done.stderr
    assert (tmp_path / "s" / "mine.toml").is_file()


def test_a_task_built_alone_gets_the_samples_of_a_full_build(small_build, sample_toml, tmp_path):
    # The held-out products come from every task's products, whichever tasks are built.
    out, manifest = small_build
    alone = run(
        BuildConfig(sources=sample_toml, out=tmp_path / "pm", per_task=200, progress=False,
                    tasks=("PM",)),
        argv=["build"],
    )  # fmt: skip
    assert alone["ood_products"] == manifest["ood_products"] > 0
    assert not alone["ood_categories_unmatched"]
    files = [rel for rel in manifest["files"] if rel.startswith("data/product_matching/")]
    assert files and sorted(files) == sorted(alone["files"])
    for rel in files:
        assert (out / rel).read_bytes() == (tmp_path / "pm" / rel).read_bytes(), rel


def test_an_earlier_sample_or_empty_folder_is_replaced(tmp_path):
    (tmp_path / "empty").mkdir()
    first = _cli(tmp_path, "sample", "--out", "empty", "--scale", "0.01", "--no-progress")
    assert first.returncode == 0, first.stderr
    own = tmp_path / "empty" / "esci" / "shopping_queries_dataset_products.parquet"
    written = own.read_bytes()
    own.write_bytes(b"spoilt")
    again = _cli(tmp_path, "sample", "--out", "empty", "--scale", "0.01", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert own.read_bytes() == written  # replaced whole
    assert (tmp_path / "empty" / "sources.toml").is_file()


def test_report_checks_the_folder_as_it_is_now(small_build, tmp_path):
    out, _ = small_build
    ds = tmp_path / "ds"
    shutil.copytree(out, ds)
    done = _cli(tmp_path, "report", "ds")
    assert done.returncode == 0 and "quality gate: passed" in done.stderr + done.stdout
    assert "quality gate: **passed**" in (ds / "quality_report.md").read_text()
    # Damaged after the build: the report says what validate says, not what build.json says.
    shard = next((ds / "data" / "sentiment_analysis").glob("train-*.parquet"))
    pl.read_parquet(shard).with_columns(output=pl.lit("banana")).write_parquet(shard)
    done = _cli(tmp_path, "report", "ds")
    assert done.returncode == 1, done.stderr
    assert "quality gate: FAILED (3 critical checks fail now" in done.stderr + done.stdout
    md = (ds / "quality_report.md").read_text()
    assert "quality gate: **FAILED" in md and "at build time the gate passed" in md
    assert "banana" in md
    # Failed at build time (--allow-failed-checks): the report never says passed.
    again = tmp_path / "again"
    shutil.copytree(out, again)
    manifest = json.loads((again / "build.json").read_text())
    manifest["gate"]["passed"] = False
    (again / "build.json").write_text(json.dumps(manifest))
    done = _cli(tmp_path, "report", "again")
    assert done.returncode == 1 and "it failed at build time" in done.stderr + done.stdout
    assert "quality gate: **FAILED" in (again / "quality_report.md").read_text()


def test_a_cache_that_is_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "cache").write_text("x")
    for cache, message in (
        ("cache", "exists and is not a folder"),
        ("cache/sub", "cannot be made"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "ecinstruct", "build", "--out", "ds"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "ECINSTRUCT_CACHE": str(tmp_path / cache)},
        )
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and not (tmp_path / "ds").exists()


def test_the_card_names_the_sources_records_come_from_and_says_synthetic(small_build):
    out, manifest = small_build
    assert manifest["synthetic"] is True  # the generated sample
    records = pl.read_parquet(out / "data" / "*" / "*.parquet")
    for task, res in manifest["tasks"].items():
        if res["status"] == "built":
            mine = records.filter(pl.col("task") == task)["source"].unique().sort().to_list()
            assert res["sources"] == mine, task
    assert "**Synthetic data.**" in (out / "README.md").read_text()
    assert "**Synthetic data:**" in (out / "quality_report.md").read_text()
    assert "<b>Synthetic data:</b>" in (out / "quality_report.html").read_text()


def test_published_raw_rows_name_no_one(small_build):
    from quality.pii import scrub_raw

    out, _ = small_build
    raw = pl.read_parquet(out / "rejected.parquet")["raw"].drop_nulls()
    named = raw.filter(raw.str.contains('"reviewerName"'))
    assert named.len() and named.str.contains('"reviewerName":"\\[NAME\\]"').all()
    rows = pl.DataFrame({"raw": ['{"reviewerName": "raj797", "reviewText": "see www.x.com/a',
                                 '{"reviewerName":"Jane D']})  # cut short  # fmt: skip
    assert scrub_raw(rows)["raw"].to_list() == [
        '{"reviewerName": "[NAME]", "reviewText": "see [URL]',
        '{"reviewerName":"[NAME]"',
    ]
