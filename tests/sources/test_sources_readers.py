from __future__ import annotations

import gzip

import polars as pl
import pytest

from ecinstruct.errors import UserError
from ecinstruct.sources import jsonl
from ecinstruct.sources.delimited import decode, read_csv
from ecinstruct.sources.jsonl import read_jsonl

FIELDS = {"a": "VARCHAR", "b": ["VARCHAR"]}


def test_jsonl_line_numbers_survive_refused_lines(tmp_path):
    lines = [
        b'{"a": "1"}',
        b'{"a": "caf\xe9"}',  # Latin-1 byte: not UTF-8
        b"",
        b'{"a": "\xff\xfe"}',
        b'{"a": 5, "b": ["x", 2]}',
        b"   ",
        b'{"a": "it\\\'s"}',  # \' is repaired
        b"not json",
        b"null",
        b'{"a": "last"}',
    ]
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    rows, rejected, read = read_jsonl(path, FIELDS)
    assert rows["_row"].to_list() == [1, 5, 7, 10]
    assert rows["a"].to_list() == ["1", "5", "it's", "last"]
    assert rows["b"].to_list() == [None, ["x", "2"], None, None]
    assert dict(zip(rejected["row"], rejected["reason"], strict=True)) == {
        2: "undecodable_bytes",
        4: "undecodable_bytes",
        8: "malformed_json",
        9: "wrong_type",
    }
    assert read == 8  # blank lines are not rows
    assert rejected.filter(pl.col("row") == 8)["raw"][0] == "not json"


@pytest.mark.parametrize("name", ["x.jsonl", "x.jsonl.gz"])
def test_jsonl_escaped_apostrophes_are_repaired_line_by_line(tmp_path, name):
    lines = [
        b'{"a": "it\\\'s", "b": ["x\\\'y", "z"]}',  # repaired: both fields
        b'"it\\\'s"',  # parses once repaired, but is not an object
        b'{"a": "still \\\'broken}',  # not JSON either way
        b'{"a": "plain"}',
        b'{"a": "no escape\'',  # not JSON, and nothing to repair
    ]
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    rows, rejected, read = read_jsonl(path, FIELDS)
    assert rows["_row"].to_list() == [1, 4]
    assert rows["a"].to_list() == ["it's", "plain"]
    assert rows["b"].to_list() == [["x'y", "z"], None]
    assert dict(zip(rejected["row"], rejected["reason"], strict=True)) == {
        2: "wrong_type",
        3: "malformed_json",
        5: "malformed_json",
    }
    assert read == 5


def test_jsonl_long_line_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 64)
    # Gzipped, so that the line-by-line reader runs (DuckDB's NDJSON reader has a floor
    # on its object size limit far above 64 bytes).
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": "1"}\n{"a": "' + b"x" * 200 + b'"}\n{"a": "3"}\n'))
    rows, rejected, _ = read_jsonl(path, FIELDS)
    assert rows["_row"].to_list() == [1, 3]
    assert rejected["reason"].to_list() == ["line_too_long"]


def test_jsonl_unreadable_gzip_is_a_user_error(tmp_path):
    path = tmp_path / "x.json.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(UserError, match="x.json.gz"):
        read_jsonl(path, FIELDS)


def test_decode_falls_back_to_windows_1252():
    assert decode("café ®".encode()) == "café ®"
    assert decode("café ®".encode("latin-1")) == "café ®"
    assert decode(b"\x93quoted\x94") == "\u201cquoted\u201d"


def test_csv_missing_column_is_a_user_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,name\n1,a\n")
    with pytest.raises(UserError, match="missing column"):
        read_csv(path, ["id", "title"])


def test_csv_header_that_is_not_one_is_a_user_error(tmp_path):
    # Apostrophe-quoted (split line by line), with a bare carriage return and a control byte
    # in the first line, as in binary junk.
    path = tmp_path / "x.csv"
    path.write_bytes(b"'a',b\rc\x01,d\n'1',2,3\n")
    with pytest.raises(UserError, match=r"line 1 is not a CSV header") as caught:
        read_csv(path, ["id", "title"])
    assert "\\x01" in str(caught.value) and "\x01" not in str(caught.value)


def test_csv_header_naming_a_column_twice_is_a_user_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("'id','title','id'\n'1','a','2'\n")
    with pytest.raises(UserError, match="names 'id' more than once"):
        read_csv(path, ["id", "title"])


def test_csv_double_quotes_fall_back_to_line_split(tmp_path):
    # Not RFC 4180 (a bare quote inside a quoted value), one record per line.
    path = tmp_path / "x.csv"
    path.write_text('"id","title"\n"1","a 12" screen"\n"2","b"\n')
    rows, rejected, read = read_csv(path, ["id", "title"])
    assert rows.select("_row", "id", "title").rows() == [(2, "1", 'a 12" screen'), (3, "2", "b")]
    assert rejected.is_empty() and read == 2


CLEAN = [
    '{"a": 4.0, "b": ["x", 2, true], "c": {"k": [1]}}',
    '{"a": "caf\\u00e9 \\"q\\" \\n two", "b": []}',
    '  {"a": 1529193600, "b": null}',
    '{"a": true, "c": {"k": []}}',
    '{"a": -1.5e-7, "b": ["\u00e9"], "extra": 1}',
]
NESTED = {"a": "VARCHAR", "b": ["VARCHAR"], "c": {"k": ["VARCHAR"]}}


def test_fast_and_careful_readers_agree(tmp_path, monkeypatch):
    text = "\n".join(CLEAN) + "\n"
    (tmp_path / "x.jsonl").write_text(text, encoding="utf-8")
    (tmp_path / "x.jsonl.gz").write_bytes(gzip.compress(text.encode()))  # careful reader
    select = {"key": "upper(a)"}
    careful = read_jsonl(tmp_path / "x.jsonl.gz", NESTED, select)
    monkeypatch.setattr(jsonl, "_careful_query", None)  # the plain file must not need it
    fast = read_jsonl(tmp_path / "x.jsonl", NESTED, select)
    assert fast[0].equals(careful[0])
    assert fast[0]["_row"].to_list() == [1, 2, 3, 4, 5]
    assert fast[0]["a"].to_list() == ["4.0", 'café "q" \n two', "1529193600", "true", "-1.5e-07"]
    assert fast[0]["key"][3] == "TRUE"
    assert fast[1].is_empty() and careful[1].is_empty() and fast[2] == careful[2] == 5


def test_csv_apostrophe_quotes_with_crlf_and_latin1(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("'id','title'\r\n'1','noah's ark \u00ae'\r\n'2',''\r\n".encode("latin-1"))
    rows, rejected, read = read_csv(path, ["id", "title"])
    assert rows.select("_row", "id", "title").rows() == [(2, "1", "noah's ark ®"), (3, "2", "")]
    assert rejected.is_empty() and read == 2
