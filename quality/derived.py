"""Per-record facts the suites assert on: option counts, label membership, JSON validity, and
the task-specific output contracts (AVE triples, QPR rankings).

great-expectations checks columns; these turn each promise about a record into one column, so
every promise is an ordinary expectation with a name, a count and examples.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import polars as pl

from ecinstruct.records import SPLIT_SETTINGS
from ecinstruct.tasks.base import Task

ESCI_ORDER = {"E": 0, "S": 1, "C": 2, "I": 3}
NONE = "None"  # AVE's value and source when an attribute is absent


def _json_objects(texts: pl.Series) -> pl.Series:
    """True where the text parses as a JSON object (null text: False)."""
    out = []
    for t in texts.to_list():
        try:
            out.append(isinstance(json.loads(t), dict))
        except (TypeError, ValueError):
            out.append(False)
    return pl.Series(out, dtype=pl.Boolean)


def json_object_ok(texts: pl.Series) -> pl.Series:
    """False where a text that opens like a JSON object does not parse as one."""
    looks = texts.str.starts_with("{").fill_null(False)
    if not looks.any():
        return ~looks
    try:
        # All at once when every text parses (the usual case); row by row to find the bad ones.
        texts.filter(looks).str.json_decode(infer_schema_length=None)
        return pl.Series([True] * len(texts), dtype=pl.Boolean)
    except Exception:
        return ~looks | _json_objects(texts.fill_null(""))


def _field_text(obj: dict, source: str) -> str:
    """The text of the input field a value claims to come from, else the whole input."""
    src = source.lower()
    for key, value in obj.items():
        k = key.lower()
        if k == src or k.endswith(" " + src) or k.startswith(src + " "):
            return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return json.dumps(obj, ensure_ascii=False)


def ave_checks(inp: str | None, out: str | None) -> tuple[bool, bool]:
    """(output is a well-formed triple list sorted by attribute, every value occurs in its source)."""
    try:
        triples = json.loads(out or "")
        obj = json.loads(inp or "")
    except ValueError:
        return False, False
    keys = {"attribute", "value", "source"}
    if not isinstance(triples, list) or not all(
        isinstance(t, dict) and set(t) == keys and all(isinstance(t[k], str) for k in keys)
        for t in triples
    ):
        return False, False
    attrs = [t["attribute"] for t in triples]
    well_formed = bool(triples) and attrs == sorted(attrs) and len(set(attrs)) == len(attrs)
    if not isinstance(obj, dict):
        return well_formed, False
    found = all(
        (t["value"] == NONE) == (t["source"] == NONE)
        and (t["value"] == NONE or t["value"].lower() in _field_text(obj, t["source"]).lower())
        for t in triples
    )
    return well_formed, found


def qpr_checks(inp: str | None, out: str | None, gold: list | None) -> tuple[bool, bool]:
    """(ranking is a permutation of the listed letters, it agrees with the gold labels)."""
    try:
        products = json.loads(inp or "")["products"]
        letters = sorted(products)
    except (ValueError, KeyError, TypeError):
        return False, False
    ranking = [x.strip() for x in (out or "").split(",")]
    permutation = sorted(ranking) == letters and len(letters) >= 2
    if not permutation or gold is None or len(gold) != len(letters):
        return permutation, False
    if any(g not in ESCI_ORDER for g in gold):
        return permutation, False
    label = dict(zip(letters, gold, strict=True))
    ranks = [ESCI_ORDER[label[x]] for x in ranking]
    return permutation, ranks == sorted(ranks)


def record_facts(records: pl.DataFrame, tasks: Mapping[str, Task]) -> pl.DataFrame:
    """`records` plus one column per promise (all non-null), rows in the same order."""
    n_correct = (
        records.select(pl.int_range(pl.len()).alias("_r"), "options", "output")
        .explode("options")
        .group_by("_r", maintain_order=True)
        .agg((pl.col("options") == pl.col("output")).sum().alias("n"))
        .sort("_r")["n"]
    )
    fixed = pl.DataFrame(
        {
            "task": [n for n, t in tasks.items() if t.options],
            "_fixed": [sorted(t.options) for t in tasks.values() if t.options],
        },
        schema={"task": pl.String, "_fixed": pl.List(pl.String)},
    )
    matches_task = (
        records.select("task", "options")
        .join(fixed, on="task", how="left", maintain_order="left")
        .select(
            (pl.col("_fixed").is_null() | (pl.col("options").list.sort() == pl.col("_fixed")))
            .fill_null(False)
            .alias("m")
        )["m"]
    )
    # Per task: one task's JSON inputs share a schema, so polars can parse them all at once.
    json_ok = (
        records.select("task", "input")
        .with_row_index("_r")
        .group_by("task")
        .map_groups(lambda g: g.with_columns(json_object_ok(g["input"]).alias("ok")))
        .sort("_r")["ok"]
    )
    df = records.with_columns(
        pl.col("options").list.len().fill_null(0).alias("n_options"),
        pl.col("options").list.n_unique().fill_null(0).alias("n_distinct_options"),
        n_correct.fill_null(0).alias("n_correct"),
        pl.Series("options_match_task", matches_task, dtype=pl.Boolean),
        (pl.col("setting") == pl.col("split").replace_strict(SPLIT_SETTINGS, default=None))
        .fill_null(False)
        .alias("setting_matches_split"),
        pl.col("instruction_id")
        .str.starts_with(pl.col("task") + "/")
        .fill_null(False)
        .alias("instruction_id_matches_task"),
        pl.col("product_ids").list.len().fill_null(0).alias("n_products"),
        pl.when(pl.col("input").str.starts_with("{"))
        .then(pl.lit("json"))
        .otherwise(pl.lit("text"))
        .alias("input_kind"),
        json_ok.alias("input_json_ok"),
        pl.col("gold_labels").is_null().alias("gold_labels_null"),
    )
    # The two output contracts are checked in Python, on their own tasks' rows only.
    formats = {name: t.output_format for name, t in tasks.items()}
    kind = df.select(
        pl.col("task").replace_strict(formats, default=None, return_dtype=pl.String)
    ).to_series()
    ave = _row_checks(df, kind == "triples", lambda i, o, g: ave_checks(i, o))
    qpr = _row_checks(df, kind == "ranking", qpr_checks)
    return df.with_columns(
        ave[0].alias("ave_output_well_formed"),
        ave[1].alias("ave_values_in_source"),
        qpr[0].alias("qpr_ranking_is_permutation"),
        qpr[1].alias("qpr_ranking_matches_gold"),
    )


def _row_checks(df: pl.DataFrame, rows: pl.Series, check) -> tuple[pl.Series, pl.Series]:
    """Two boolean facts from `check(input, output, gold_labels)` on the `rows` of `df`; True
    on every other row (the contract is not theirs)."""
    at = rows.fill_null(False).arg_true()
    picked = df[at]
    cols = (picked[c].to_list() for c in ("input", "output", "gold_labels"))
    results = [check(i, o, g) for i, o, g in zip(*cols, strict=True)]
    first, second = (
        pl.repeat(True, df.height, dtype=pl.Boolean, eager=True).scatter(
            at, pl.Series([r[k] for r in results], dtype=pl.Boolean)
        )
        for k in (0, 1)
    )
    return first, second
