"""The dataset card: Hub metadata that datasets accepts, a readable body, byte-stable output."""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from pathlib import Path

import datasets
import polars as pl
import pyarrow.parquet as pq
import yaml

from ecinstruct import card
from ecinstruct.records import COLUMNS, SPLITS
from ecinstruct.tasks import REGISTRY


def front_matter(text: str) -> dict:
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert m, "card must start with a YAML block"
    return yaml.safe_load(m.group(1))


def data_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in (folder / "data").rglob("*.parquet"))


def matching(folder: Path, pattern: str) -> list[str]:
    return [f for f in data_files(folder) if fnmatch.fnmatch(f, pattern)]


def test_configs_cover_every_task_and_split_on_disk(built):
    meta = front_matter((built / "README.md").read_text())
    configs = {c["config_name"]: c for c in meta["configs"]}
    tasks = sorted({f.split("/")[1] for f in data_files(built)})
    assert set(configs) == {"all", *tasks}
    assert configs["all"].get("default") is True
    for name, cfg in configs.items():
        on_disk = {
            f.split("/")[2].split("-")[0]
            for f in data_files(built)
            if name in ("all", f.split("/")[1])
        }
        assert [d["split"] for d in cfg["data_files"]] == [s for s in SPLITS if s in on_disk], name
        for d in cfg["data_files"]:
            assert matching(built, d["path"]), d
    # Every data file is reachable from its task's config, and only from it.
    for f in data_files(built):
        task = f.split("/")[1]
        hits = [
            n
            for n, c in configs.items()
            if any(fnmatch.fnmatch(f, d["path"]) for d in c["data_files"])
        ]
        assert sorted(hits) == sorted({"all", task}), f


def test_dataset_info_sizes_equal_the_parquet_files(built):
    meta = front_matter((built / "README.md").read_text())
    infos = {i["config_name"]: i for i in meta["dataset_info"]}
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert set(infos) == set(configs)
    for name, info in infos.items():
        patterns = {d["split"]: d["path"] for d in configs[name]["data_files"]}
        assert [s["name"] for s in info["splits"]] == list(patterns)
        for split in info["splits"]:
            files = matching(built, patterns[split["name"]])
            assert split["num_examples"] == sum(pq.read_metadata(built / f).num_rows for f in files)
            assert split["num_bytes"] == sum((built / f).stat().st_size for f in files)
        assert (
            info["download_size"]
            == info["dataset_size"]
            == sum(s["num_bytes"] for s in info["splits"])
        )
        assert [f["name"] for f in info["features"]] == list(COLUMNS)


def test_datasets_reads_the_card_and_agrees_with_the_files(built):
    """datasets verifies split sizes against the card (NonMatchingSplitsSizesError otherwise)."""
    from huggingface_hub import DatasetCard

    data = DatasetCard.load(built / "README.md").data
    infos = datasets.info.DatasetInfosDict.from_dataset_card_data(data)
    ds = datasets.load_dataset(str(built), "query_product_ranking")
    info = infos["query_product_ranking"]
    assert {s: ds[s].num_rows for s in ds} == {s: v.num_examples for s, v in info.splits.items()}
    assert ds["train"].features == info.features
    assert ds["train"].features["gold_labels"] == datasets.List(datasets.Value("string"))
    assert ds["train"][0]["gold_labels"] == ["E", "S"]


def test_same_build_same_card(kit, tmp_path):
    first = kit.make_build(tmp_path / "a")
    kit.make_build(tmp_path / "b")
    assert (tmp_path / "a" / "README.md").read_bytes() == (
        tmp_path / "b" / "README.md"
    ).read_bytes()
    # Timings differ run to run; the card must not show them.
    later = copy.deepcopy(first) | {"timings_s": {"total": 99.0, "write": 12.5}}
    tasks = [REGISTRY[t] for t in first["tasks"]]
    assert card.render(later, tasks) == card.render(first, tasks)


def test_body_tells_what_how_and_from_where(built):
    text = (built / "README.md").read_text()
    manifest = json.loads((built / "build.json").read_text())
    body = text.split("\n---\n", 1)[1]
    for source in manifest["sources"]:
        assert source["sha256"] in body and source["file"] in body
        row = next(line for line in body.splitlines() if source["sha256"] in line)
        assert f"| {source['bytes']} | {source['rows_read']} | {source['rows_rejected']} |" in row
    assert manifest["command"] in body
    assert json.dumps(manifest["config"], indent=2, sort_keys=True) in body
    assert "@inproceedings{peng2024ecellm" in body
    for task, res in manifest["tasks"].items():
        t = REGISTRY[task]
        row = next(line for line in body.splitlines() if line.startswith(f"| {task} ({t.short})"))
        assert t.metric in row and t.input_desc.replace("|", "\\|") in row
        assert f"| {res['counts']['train']} | {res['counts']['validation']} |" in row
        for reason, n in res["dropped"].items():
            assert f"| {task} | {reason} | {n} |" in body
    assert "| fixture | empty_text | 1 |" in body
    assert "Quality gate: **passed**" in body


def test_metadata_licences_languages_and_sizes(built):
    meta = front_matter((built / "README.md").read_text())
    assert meta["license"] == ["apache-2.0", "other"]  # esci, amazon_reviews_2018
    assert "esci: Apache 2.0" in meta["license_details"]
    assert meta["language"] == ["en"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["task_categories"][0] == "text-generation"
    assert "text-classification" in meta["task_categories"]


def test_quality_results_appear_when_recorded(built):
    # As a build records them: the gate's failed expectations, every suite's results.
    manifest = json.loads((built / "build.json").read_text())
    manifest["gate"] = {"passed": False, "failed": ["expect_column_values_to_not_be_null(id)"]}
    manifest["quality"] = {
        "suites": {
            "passed": False,
            "results": [
                {"suite": "records", "expectation": "expect_column_values_to_not_be_null(id)",
                 "success": False, "severity": "critical"},
                {"suite": "records", "expectation": "expect_column_values_to_be_unique(id)",
                 "success": True, "severity": "critical"},
                {"suite": "table:reviews", "expectation": "expect_column_values_to_match(text)",
                 "success": False, "severity": "warning"},
            ],
        }
    }  # fmt: skip
    text = card.render(manifest, [REGISTRY[t] for t in manifest["tasks"]])
    assert "Quality gate: **FAILED: not publishable**." in text
    assert "Critical checks that failed: expect_column_values_to_not_be_null(id)." in text
    assert "3 expectations in 2 suites, 2 failed:" in text
    assert "| records | 2 | 1 | expect_column_values_to_not_be_null(id) (critical) |" in text
    assert "| table:reviews | 1 | 1 | expect_column_values_to_match(text) (warning) |" in text


def test_a_card_from_the_built_in_sample_says_it_is_synthetic(built):
    manifest = json.loads((built / "build.json").read_text())
    tasks = [REGISTRY[t] for t in manifest["tasks"]]
    assert "Synthetic data" not in card.render(manifest, tasks)
    text = card.render(manifest | {"synthetic": True}, tasks)
    assert text.index("**Synthetic data.**") < text.index("An instruction-tuning dataset")
    assert "built\nreproducibly from the built-in synthetic sample" in text


def test_skipped_tasks_get_no_config_but_a_note(built):
    manifest = json.loads((built / "build.json").read_text())
    manifest["tasks"]["answer_generation"] = {
        "task": "answer_generation",
        "status": "skipped",
        "note": "skipped: no source provides questions",
        "counts": {},
        "dropped": {},
    }
    text = card.render(manifest, [REGISTRY[t] for t in manifest["tasks"]])
    names = [c["config_name"] for c in front_matter(text)["configs"]]
    assert "answer_generation" not in names
    assert "skipped: no source provides questions" in text


def test_empty_splits_are_left_out_so_the_task_still_loads(tmp_path, kit):
    """A build writes a file for an empty test_ood; datasets cannot load a split with no rows."""
    kit.make_build(tmp_path / "ds", {"sentiment_analysis": (3, 1, 1, 0)})
    empty = tmp_path / "ds" / "data" / "sentiment_analysis" / "test_ood-00000-of-00001.parquet"
    assert pl.read_parquet(empty).height == 0
    meta = front_matter((tmp_path / "ds" / "README.md").read_text())
    for cfg in meta["configs"]:
        assert "test_ood" not in [d["split"] for d in cfg["data_files"]]
    for info in meta["dataset_info"]:
        assert "test_ood" not in [s["name"] for s in info["splits"]]
    ds = datasets.load_dataset(str(tmp_path / "ds"), "sentiment_analysis")
    assert set(ds) == {"train", "validation", "test_ind", "test_ind_unseen_instruction"}
