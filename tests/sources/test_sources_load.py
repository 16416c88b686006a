from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import pytest

from ecinstruct.canonical import SCHEMAS
from ecinstruct.errors import UserError
from ecinstruct.sources import (
    TABLES_FILE,
    load_canonical,
    load_isolated,
    map_tables,
)
from ecinstruct.sources.spec import SourceSpec


def test_load_canonical_combines_sources_and_records_provenance(fixtures, capsys):
    reviews = fixtures / "amazon2018/reviews.json"
    specs = [
        SourceSpec("amazon_reviews_2018", {"reviews": [reviews]}, (), fixtures / "s.toml"),
        SourceSpec("oa_mine", {"files": [fixtures / "oa_mine/oa.jsonl"]}, (), fixtures / "s.toml"),
    ]
    canonical, provenance = load_canonical(specs, progress=True)
    assert canonical.kinds == {"amazon_reviews_2018", "oa_mine"}
    for name, frame in canonical.tables.items():
        assert dict(frame.schema) == SCHEMAS[name]
    assert canonical["reviews"].height == 4 and canonical["products"].height == 2
    assert set(canonical["rejected"]["source"]) == {"amazon_reviews_2018", "oa_mine"}
    assert provenance[0] == {
        "kind": "amazon_reviews_2018",
        "key": "reviews",
        "file": "amazon2018/reviews.json",
        "bytes": reviews.stat().st_size,
        "sha256": hashlib.sha256(reviews.read_bytes()).hexdigest(),
        "rows_read": 11,
        "rows_rejected": 7,
        "rows_out_of_scope": 0,
    }
    assert provenance[1]["rows_read"] == 5 and provenance[1]["rows_rejected"] == 3
    assert "amazon2018/reviews.json" in capsys.readouterr().err


def test_load_is_deterministic(fixtures):
    spec = SourceSpec(
        "amazon_reviews_2018",
        {
            "reviews": [fixtures / "amazon2018/reviews.json"],
            "meta": [fixtures / "amazon2018/meta.json"],
        },
        (),
        fixtures / "s.toml",
    )
    first, _ = load_canonical([spec], progress=False)
    again, _ = load_canonical([spec], progress=False)
    for name in first.tables:
        assert first[name].equals(again[name])


def test_isolated_load_gives_the_same_tables_and_provenance(fixtures, capfd):
    specs = [
        SourceSpec(
            "amazon_reviews_2018",
            {
                "reviews": [fixtures / "amazon2018/reviews.json"],
                "meta": [fixtures / "amazon2018/meta.json"],
            },
            (),
            fixtures / "s.toml",
        ),
        SourceSpec("oa_mine", {"files": [fixtures / "oa_mine/oa.jsonl"]}, (), fixtures / "s.toml"),
    ]
    here, here_provenance = load_canonical(specs, progress=False)
    there, there_provenance = load_isolated(specs, progress=True)
    assert there.kinds == here.kinds and there_provenance == here_provenance
    assert there.tables.keys() == here.tables.keys()
    for name in here.tables:
        assert there[name].equals(here[name]), name
        assert there[name].schema == here[name].schema
    assert "amazon2018/reviews.json" in capfd.readouterr().err  # the child's progress bar


def test_isolated_load_into_a_folder_maps_the_pieces_it_leaves_there(fixtures, tmp_path):
    specs = [
        SourceSpec(
            "amazon_reviews_2018",
            {
                "reviews": [fixtures / "amazon2018/reviews.json"],
                "meta": [fixtures / "amazon2018/meta.json"],
            },
            (),
            fixtures / "s.toml",
        ),
        SourceSpec("oa_mine", {"files": [fixtures / "oa_mine/oa.jsonl"]}, (), fixtures / "s.toml"),
    ]
    here, _ = load_canonical(specs, progress=False)
    there, _ = load_isolated(specs, progress=False, folder=tmp_path)
    # Each loading job's tables are a piece of their own (spec, then job, in config order);
    # a table no job gave rows to has none, and comes back empty with its schema.
    listed = json.loads((tmp_path / TABLES_FILE).read_text())
    assert listed["products"] == ["products-0-1.arrow", "products-1-0.arrow"]
    assert listed["reviews"] == ["reviews-0-0.arrow"] and listed["judgments"] == []
    assert listed["rejected"] == ["rejected-0-0.arrow", "rejected-0-1.arrow", "rejected-1-0.arrow"]
    for name in here.tables:
        assert all((tmp_path / piece).is_file() for piece in listed[name]), name
        assert there[name].equals(here[name]) and there[name].schema == here[name].schema
    # Mapped, not read: the frames are backed by the files (a second mapping shares them).
    again = map_tables(tmp_path)["products"]
    assert again.equals(here["products"])
    maps = Path("/proc/self/maps")
    if maps.is_file():
        assert str(tmp_path / "products-1-0.arrow") in maps.read_text()


def test_the_error_of_the_first_failed_source_in_config_order_is_raised(tmp_path):
    specs = []
    # The first is larger: it starts first, and the second may well fail before it.
    for name, size in (("first", 300_000), ("second", 10)):
        bad = tmp_path / f"{name}.csv"
        bad.write_text("x,y\n" + "1,2\n" * size)
        specs.append(SourceSpec("epqa", {"files": [bad]}, (), tmp_path / "s.toml"))
    for _ in range(3):
        with pytest.raises(UserError, match="first.csv"):
            load_canonical(specs, progress=False)


def test_isolated_load_raises_the_childs_user_error(tmp_path):
    bad = tmp_path / "epqa.csv"
    bad.write_text("x,y\n1,2\n")
    spec = SourceSpec("epqa", {"files": [bad]}, (), tmp_path / "s.toml")
    before = set(Path(tempfile.gettempdir()).glob("ecinstruct-load-*"))
    with pytest.raises(UserError, match="missing column"):
        load_isolated([spec], progress=False)
    assert set(Path(tempfile.gettempdir()).glob("ecinstruct-load-*")) == before  # cleaned up


def test_isolated_load_reports_a_child_that_failed_without_an_answer(tmp_path, capfd):
    spec = SourceSpec("no_such_kind", {"files": [tmp_path / "x.jsonl"]}, (), tmp_path / "s.toml")
    with pytest.raises(RuntimeError, match="failed \\(exit status 1"):
        load_isolated([spec], progress=False)
    assert "KeyError" in capfd.readouterr().err  # the child's own traceback, shown above


def test_an_adapter_loaded_in_parts_gives_what_it_gives_whole(fixtures, tmp_path):
    import gzip

    from ecinstruct import sources
    from ecinstruct.sources import run_adapter

    # The reviews gzipped, so the estimate of their size reads the gzip trailer.
    reviews = tmp_path / "reviews.json.gz"
    reviews.write_bytes(gzip.compress((fixtures / "amazon2018/reviews.json").read_bytes()))
    spec = SourceSpec(
        "amazon_reviews_2018",
        {"reviews": [reviews], "meta": [fixtures / "amazon2018/meta.json"]},
        (),
        fixtures / "s.toml",
    )
    jobs = sources._jobs(spec)
    assert [part for part, _ in jobs] == ["reviews", "meta"]
    assert jobs[0][1] == (fixtures / "amazon2018/reviews.json").stat().st_size
    whole, ctx = run_adapter(spec)
    canonical, provenance = load_canonical([spec], progress=False)
    assert whole["rejected"].height and whole["products"].height  # both parts have rows
    for name, frame in whole.items():
        assert canonical[name].equals(frame), name
    per_file = dict(whole["rejected"].group_by("file").len().iter_rows())
    assert [(p["key"], p["rows_read"], p["rows_rejected"]) for p in provenance] == [
        (key, ctx.rows_read[(key, spec.display(path))], per_file.get(spec.display(path), 0))
        for key, paths in spec.files.items()
        for path in paths
    ]
    # Without files for a second part, the adapter loads whole.
    assert [part for part, _ in sources._jobs(SourceSpec(
        "amazon_reviews_2018", {"reviews": [reviews]}, (), fixtures / "s.toml"
    ))] == [None]  # fmt: skip
