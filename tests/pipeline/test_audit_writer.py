import json
import time

import polars as pl
import pyarrow.parquet as pq
import pytest

from ecinstruct import audit, writer
from ecinstruct.records import RECORD_SCHEMA


def _records(rows):
    base = {c: None for c in RECORD_SCHEMA}
    return pl.DataFrame([base | r for r in rows], schema=RECORD_SCHEMA)


def test_audit_catches_ood_leak_across_tasks():
    recs = _records(
        [
            {"task": "a", "split": "train", "input": "x", "product_ids": ["P1", "P2"]},
            {"task": "b", "split": "test_ood", "input": "y", "product_ids": ["P2"]},
            {
                "task": "b",
                "split": "test_ood_unseen_instruction",
                "input": "y",
                "product_ids": ["P2"],
            },
        ]
    )
    rep = audit.audit(recs)
    assert not rep["ood_leak"]["passed"]
    assert rep["ood_leak"]["leaked_products"] == 1


def test_audit_passes_disjoint_and_counts_duplicate_inputs():
    recs = _records(
        [
            {"task": "a", "split": "train", "input": "x", "product_ids": ["P1"]},
            {"task": "a", "split": "test_ind", "input": "x", "product_ids": ["P3"]},
            {"task": "a", "split": "test_ood", "input": "z", "product_ids": ["P9"]},
        ]
    )
    rep = audit.audit(recs)
    assert rep["ood_leak"]["passed"]
    assert rep["duplicate_inputs_across_splits"] == {"a": 1}
    assert rep["per_task"]["a"]["overlap"]["test_ind|train"] == 0


def test_the_audit_comes_out_in_one_order():
    # 3 tasks x 4 splits x 500 samples; two of the test_ood products are trained on in one
    # task (a leak in all three): the same records give the same audit, key order and
    # examples included.
    rows = [
        {"task": task, "split": split, "input": f"{task} {split} {i}",
         "product_ids": [f"{split}{i}", *([f"P{i % 7}"] if split == "test_ood" else [])]}
        for task in ("c_task", "a_task", "b_task")
        for split in ("test_ood", "train", "validation", "test_ind")
        for i in range(500)
    ]  # fmt: skip
    rows += [{"task": "b_task", "split": "train", "input": "leak", "product_ids": ["P3", "P5"]}]
    recs = _records(rows)
    reports = {json.dumps(audit.audit(recs)) for _ in range(5)}
    assert len(reports) == 1
    rep = audit.audit(recs)
    assert list(rep["per_task"]) == ["c_task", "a_task", "b_task"]  # as the records have them
    assert list(rep["per_task"]["a_task"]["products"]) == [
        "train", "validation", "test_ind", "test_ood"
    ]  # fmt: skip
    assert rep["per_task"]["b_task"]["overlap"]["test_ood|train"] == 2
    examples = [(e["task"], e["product_id"]) for e in rep["ood_leak"]["examples"]]
    assert examples == [("a_task", "P3"), ("a_task", "P5"), ("b_task", "P3"), ("b_task", "P5"),
                        ("c_task", "P3")]  # fmt: skip
    assert rep["ood_leak"]["leaked_products"] == 6


def test_atomic_folder_keeps_old_output_when_interrupted(tmp_path):
    out = tmp_path / "ds"
    with writer.atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(RuntimeError):
        with writer.atomic_folder(out) as tmp:
            (tmp / "a.txt").write_text("second")
            raise RuntimeError("interrupted")
    assert (out / "a.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_write_split_shards_and_is_byte_identical(tmp_path):
    df = _records(
        [{"task": "t", "split": "train", "id": str(i), "input": f"x{i}"} for i in range(25)]
    )
    paths = writer.write_split(tmp_path / "a", "t", "train", df, shard_rows=10)
    assert paths == [f"data/t/train-{i:05d}-of-00003.parquet" for i in range(3)]
    writer.write_split(tmp_path / "b", "t", "train", df, shard_rows=10)
    for p in paths:
        assert (tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes()
    back = pl.concat([pl.read_parquet(tmp_path / "a" / p) for p in paths])
    assert back.equals(df)


def test_parquet_appender_writes_the_frames_in_order_and_nothing_when_empty(tmp_path):
    schema = {"a": pl.String, "b": pl.List(pl.String)}
    empty = writer.ParquetAppender(tmp_path / "none.parquet", schema)
    empty.append(pl.DataFrame(schema=schema))
    empty.close()
    assert not (tmp_path / "none.parquet").exists()

    parts = [
        pl.DataFrame({"a": ["x", None], "b": [["1"], []]}, schema=schema),
        pl.DataFrame(schema=schema),
        # Columns in another order, and a null column that the schema casts.
        pl.DataFrame({"b": [None, ["2", "3"]], "a": ["y", "z"]}),
    ]
    appender = writer.ParquetAppender(tmp_path / "out.parquet", schema, dictionary=["a", "z"])
    for part in parts:
        appender.append(part)
    appender.close()
    got = pl.read_parquet(tmp_path / "out.parquet")
    assert appender.rows == 4
    assert got.equals(
        pl.concat([p.select(pl.col(c).cast(t) for c, t in schema.items()) for p in parts])
    )
    # Only the named column (that exists) is dictionary-encoded.
    meta = pq.ParquetFile(tmp_path / "out.parquet").metadata
    encodings = {meta.schema.column(i).path: meta.row_group(0).column(i).encodings
                 for i in range(meta.num_columns)}  # fmt: skip
    assert "RLE_DICTIONARY" in encodings["a"]
    assert "RLE_DICTIONARY" not in encodings["b.list.element"]


def test_parquet_appender_writes_a_large_frame_in_pieces_with_the_same_bytes(tmp_path, monkeypatch):
    schema = {"a": pl.String, "n": pl.Int64}
    frames = [
        pl.DataFrame({"a": [f"text {i % 97}" for i in range(n)], "n": list(range(n))})
        for n in (25_000, 7, 10_000)
    ]

    def written(path, append_rows):
        monkeypatch.setattr(writer, "APPEND_ROWS", append_rows)
        appender = writer.ParquetAppender(path, schema, dictionary=["a"])
        for frame in frames:
            appender.append(frame)
        appender.close()
        return path.read_bytes()

    whole = written(tmp_path / "whole.parquet", 10**9)
    pieces = written(tmp_path / "pieces.parquet", writer.ROW_GROUP_ROWS)
    assert pieces == whole
    # Row groups still restart with every appended frame.
    meta = pq.ParquetFile(tmp_path / "pieces.parquet").metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [10_000, 10_000, 5_000, 7, 10_000]
    assert pl.read_parquet(tmp_path / "pieces.parquet").equals(pl.concat(frames))


def test_parquet_appender_in_the_background_gives_the_same_bytes(tmp_path):
    schema = {"a": pl.String, "n": pl.Int64}
    frames = [
        pl.DataFrame({"a": [f"text {i % 89}" for i in range(n)], "n": list(range(n))})
        for n in (30_000, 0, 3, 12_345)
    ]
    files = {}
    for background in (False, True):
        path = tmp_path / f"{background}.parquet"
        appender = writer.ParquetAppender(path, schema, dictionary=["a"], background=background)
        for frame in frames:
            appender.append(frame)
        appender.close()
        assert appender.rows == 42_348
        files[background] = path.read_bytes()
    assert files[True] == files[False]
    assert pl.read_parquet(tmp_path / "True.parquet").equals(pl.concat(frames))


def test_parquet_appender_raises_a_background_failure_and_abort_stays_quiet(tmp_path):
    schema = {"n": pl.Int64}
    bad = pl.DataFrame({"n": ["not a number"]})  # the cast to the schema fails
    appender = writer.ParquetAppender(tmp_path / "x.parquet", schema, background=True)
    appender.append(bad)
    with pytest.raises(pl.exceptions.InvalidOperationError):
        appender.close()

    # A failure is raised by a later append too; after it, nothing more is written.
    appender = writer.ParquetAppender(tmp_path / "y.parquet", schema, background=True)
    appender.append(bad)
    with pytest.raises(pl.exceptions.InvalidOperationError):
        for _ in range(500):  # until the thread has met the bad frame
            appender.append(pl.DataFrame({"n": [1]}))
            time.sleep(0.01)
    appender.abort()  # no error: the caller is already handling one
    assert not (tmp_path / "y.parquet").exists()


def test_unfinished_output_of_killed_commands_is_removed_and_no_other(tmp_path, capsys):
    import os
    import socket
    import subprocess
    import sys

    from ecinstruct.writer import atomic_folder

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    owners = {
        "aaaa0001": f"{host} {gone.pid}",  # killed outright: its folder is half-written
        "aaaa0002": f"{host} {os.getpid()}",  # still writing
        "aaaa0003": "another-host 1",  # a command on another machine sharing the folder
        "aaaa0004": "not an owner line",
    }
    for name, line in owners.items():
        (tmp_path / f".ds.tmp-{name}").mkdir()
        (tmp_path / f".ds.tmp-{name}" / "part.parquet").write_bytes(b"x")
        (tmp_path / f".ds.tmp-{name}.owner").write_text(line)
    (tmp_path / ".other.tmp-aaaa0005").mkdir()  # another output's
    (tmp_path / ".other.tmp-aaaa0005.owner").write_text(f"{host} {gone.pid}")
    with atomic_folder(tmp_path / "ds") as tmp:
        (tmp / "new.txt").write_text("new")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        ["ds", ".other.tmp-aaaa0005", ".other.tmp-aaaa0005.owner"]
        + [
            f".ds.tmp-{n}{end}"
            for n in ("aaaa0002", "aaaa0003", "aaaa0004")
            for end in ("", ".owner")
        ]
    )
    assert f"removed {tmp_path / '.ds.tmp-aaaa0001'}, which a killed command left" in (
        capsys.readouterr().err.replace("\n", "")
    )
