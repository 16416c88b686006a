"""Run the expectation suites (quality.specs) with great-expectations, plus our own checks
where great-expectations does not fit: the OOD leak audit, decontamination across splits and the
unseen-instruction copies.

`run_suites` returns `{"passed": bool, "results": [row, ...]}`; a row is
`{"suite", "expectation", "success", "unexpected_count", "examples", "severity", "description"}`.
The gate passes when every critical row succeeds; warnings are reported only.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Mapping

import numpy as np
import polars as pl

from ecinstruct import audit
from ecinstruct.records import UNSEEN_OF
from ecinstruct.tasks.base import Task
from quality import dedup
from quality.derived import record_facts
from quality.specs import TABLE_KEYS, TABLE_SUITES, Exp, records_suite, task_suite

N_EXAMPLES = 5
MAX_EXAMPLE_CHARS = 160
TRAINING = "train"
HELD_OUT = ("validation", "test_ind", "test_ood")


def _short(value):
    if isinstance(value, np.generic):  # numpy scalars from pandas
        value = value.item()
    if _is_pandas_na(value) or (isinstance(value, float) and math.isnan(value)):
        return None  # a missing value, shown as JSON null
    if isinstance(value, str) and len(value) > MAX_EXAMPLE_CHARS:
        return value[: MAX_EXAMPLE_CHARS - 1] + "…"
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return _short(str(value))


def _is_pandas_na(value) -> bool:
    """Whether `value` is pandas' missing value; without pandas imported, nothing can be."""
    pd = sys.modules.get("pandas")
    return pd is not None and value is pd.NA


def result_row(
    suite, expectation, success, unexpected, examples, severity="critical", why=""
) -> dict:
    return {
        "suite": suite,
        "expectation": expectation,
        "success": bool(success),
        "unexpected_count": int(unexpected or 0),
        "examples": [{k: _short(v) for k, v in e.items()} for e in examples[:N_EXAMPLES]],
        "severity": severity,
        "description": why,
    }


def _pandas(df: pl.DataFrame, columns: list[str]):
    # Lists become text: great-expectations examples must be JSON, and pandas cells holding
    # arrays are not hashable for its uniqueness checks. Numbers become 64-bit: its range
    # checks compare whole columns only for int64 and float64, and call Python once per value
    # for any other width (two million calls for the reviews' ratings).
    cols = [_for_pandas(pl.col(c), df.schema[c]) for c in dict.fromkeys(columns) if c in df.columns]
    return df.select(cols).to_pandas()


def _for_pandas(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.List):
        return col.list.join(" | ")
    if dtype.is_integer() and dtype != pl.UInt64:  # every value fits
        return col.cast(pl.Int64)
    if dtype.is_float():
        return col.cast(pl.Float64)
    return col


def _skip_fingerprint() -> None:
    """great-expectations hashes every cell of each pandas batch under 1 GB into an md5
    "fingerprint", a batch marker for its data docs, which we never build. On a table of two
    million reviews that hashing costs more than all of the table's expectations together, so
    the threshold is set to 0 bytes (the marker is then left out, nothing else changes)."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    if hasattr(engine, "HASH_THRESHOLD"):
        engine.HASH_THRESHOLD = 0


def _passes_without_pandas(df: pl.DataFrame, exp: Exp) -> bool:
    """Whether polars finds that great-expectations would pass `exp` on `df`; only then is
    it not asked. Turning a table into pandas costs more than the checks themselves (two
    million reviews: 1.3 s for the uniqueness of their keys alone, against 0.1 s in polars),
    and a build's checks nearly all pass. An expectation polars cannot decide, or finds
    failing, goes to great-expectations as before, for its verdict, counts and examples.

    Each kind keeps great-expectations' meaning on the columns `_pandas` hands it: missing
    values are skipped by the value checks, float NaN counts as missing (pandas' view), text
    lengths are in characters; float columns are decided only for nulls and ranges, and a
    compound key only of text and integers (-0.0 and 0.0 are one value to pandas)."""
    kind, cols = exp.kind, exp.columns
    if not cols or any(c not in df.columns for c in cols):
        return False
    dtypes = [df.schema[c] for c in cols]
    if kind == "ExpectCompoundColumnsToBeUnique":
        if not all(t == pl.String or t.is_integer() for t in dtypes):
            return False
        return bool(df.select(pl.struct(cols).is_unique().all()).item())
    column, dtype = pl.col(cols[0]), dtypes[0]
    present = column.is_not_null() & (column.is_not_nan() if dtype.is_float() else True)
    if kind == "ExpectColumnValuesToNotBeNull":
        return bool(df.select(present.all()).item())
    if kind == "ExpectColumnValuesToBeNull":
        return bool(df.select((~present).all()).item())
    simple = dtype == pl.String or dtype == pl.Boolean or dtype.is_integer()
    if kind == "ExpectColumnValuesToBeBetween" and (dtype.is_integer() or dtype.is_float()):
        if exp.kwargs.get("strict_min") or exp.kwargs.get("strict_max") or dtype == pl.UInt64:
            return False
        return bool(df.select((~present | _within(column, exp.kwargs)).all()).item())
    if not simple:
        return False
    if kind == "ExpectColumnValuesToBeInSet":
        try:
            values = pl.Series(exp.kwargs["value_set"], dtype=dtype)
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            return False  # a value of another type: great-expectations decides
        return bool(
            df.select((~present | column.is_in(values.drop_nulls().implode())).all()).item()
        )
    if kind == "ExpectColumnValuesToBeUnique":
        return bool(df.select(column.drop_nulls().is_unique().all()).item())
    if kind == "ExpectColumnValueLengthsToBeBetween" and dtype == pl.String:
        inside = _within(column.str.len_chars(), exp.kwargs)
        return bool(df.select((~present | inside).all()).item())
    if kind == "ExpectColumnUniqueValueCountToBeBetween":
        count = column.drop_nulls().n_unique()
        return bool(df.select(_within(count, exp.kwargs)).item())
    return False


def _within(values: pl.Expr, kwargs: dict) -> pl.Expr:
    """`min_value <= values <= max_value`, a missing bound being no bound."""
    inside = pl.lit(True)
    if kwargs.get("min_value") is not None:
        inside = inside & (values >= kwargs["min_value"])
    if kwargs.get("max_value") is not None:
        inside = inside & (values <= kwargs["max_value"])
    return inside


def _passed_row(suite: str, exp: Exp) -> dict:
    """The row great-expectations gives a passed expectation (see `_Runner.run`)."""
    kind = re.sub(r"(?<!^)(?=[A-Z])", "_", exp.kind).lower()
    name = f"{kind}({', '.join(exp.columns)})"
    return result_row(suite, name, True, 0, [], exp.severity, exp.why)


class _Runner:
    """One ephemeral great-expectations context for a whole run, made when an expectation
    first needs it: importing great-expectations takes seconds, and a build whose checks
    polars settles (see `_passes_without_pandas`) never asks it anything."""

    def __init__(self) -> None:
        self.gx = self.context = self.source = None
        self.n = 0

    def _start(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        _skip_fingerprint()
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas("ecinstruct")

    def _validate(self, name: str, frame, exps: list[Exp], result_format: dict) -> list:
        """(Exp, great-expectations result) pairs, in the order of `exps`."""
        if self.gx is None:
            self._start()
        gx = self.gx
        self.n += 1
        asset = self.source.add_dataframe_asset(f"asset{self.n}")
        batch_def = asset.add_batch_definition_whole_dataframe(f"batch{self.n}")
        made = [
            getattr(gx.expectations, e.kind)(**e.kwargs, severity=e.severity, description=e.why)
            for e in exps
        ]
        # Built whole, then added once: each add to a stored suite re-serialises all of it.
        gx_suite = self.context.suites.add(
            gx.ExpectationSuite(name=f"{name}#{self.n}", expectations=made)
        )
        by_id = {e.id: exp for exp, e in zip(exps, gx_suite.expectations, strict=True)}
        batch = batch_def.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(gx_suite, result_format=result_format)
        return [(by_id[r.expectation_config.id], r) for r in result.results]

    def run(self, suite: str, df: pl.DataFrame, exps: list[Exp], index: list[str]) -> list[dict]:
        missing = [c for e in exps for c in e.columns if c not in df.columns]
        rows = [
            result_row(suite, f"column {c} exists", False, 0, [{"missing_column": c}])
            for c in missing
        ]
        exps = [e for e in exps if not any(c in missing for c in e.columns)]
        # One row per expectation, in the order of `exps`.
        made = {id(e): _passed_row(suite, e) for e in exps if _passes_without_pandas(df, e)}
        asked = [e for e in exps if id(e) not in made]
        if asked:
            made |= self._ask(suite, df, asked, [c for c in index if c in df.columns])
        return rows + [made[id(e)] for e in exps]

    def _ask(self, suite: str, df: pl.DataFrame, exps: list[Exp], index: list[str]) -> dict:
        """great-expectations' verdict on each of `exps`, as rows keyed by id(exp)."""
        shown = [c for e in exps for c in e.show]
        frame = _pandas(df, [*index, *shown, *(c for e in exps for c in e.columns)])
        # Pass/fail first (half the cost); counts and examples only for what failed.
        first = self._validate(suite, frame, exps, {"result_format": "BOOLEAN_ONLY"})
        failed = [e for e, r in first if not r.success]
        details = {}
        if failed:
            fmt = {
                "result_format": "SUMMARY",
                "partial_unexpected_count": N_EXAMPLES,
                "unexpected_index_column_names": list(dict.fromkeys(index + shown)),
            }
            details = {id(e): r for e, r in self._validate(suite, frame, failed, fmt)}
        rows = {}
        for exp, res in first:
            res = details.get(id(exp), res)
            name = f"{res.expectation_config.type}({', '.join(exp.columns)})"
            info = res.result or {}
            if res.exception_info and res.exception_info.get("raised_exception"):
                msg = res.exception_info.get("exception_message", "error")
                rows[id(exp)] = result_row(
                    suite, name, False, 0, [{"error": msg}], exp.severity, exp.why
                )
                continue
            keep = {*index, *exp.show, *exp.columns}
            examples = [
                {k: v for k, v in e.items() if k in keep}
                for e in info.get("partial_unexpected_index_list") or []
            ] or [{"value": v} for v in info.get("partial_unexpected_list", [])]
            if not res.success and not examples and "observed_value" in info:
                examples = [{"observed_value": info["observed_value"]}]
            count = info.get("unexpected_count") or (0 if res.success else 1)
            rows[id(exp)] = result_row(
                suite, name, res.success, count, examples, exp.severity, exp.why
            )
        return rows


def _base(records: pl.DataFrame) -> pl.DataFrame:
    return records.filter(~pl.col("split").is_in(list(UNSEEN_OF.values())))


def check_ood_leak(records: pl.DataFrame, report: dict | None = None) -> list[dict]:
    """The leak audit as result rows; `report` is `ecinstruct.audit.audit(records)` when the
    caller already has it (the build does), so it is not computed twice."""
    report = report if report is not None else audit.audit(records)
    leak = report["ood_leak"]
    dup = report["duplicate_inputs_across_splits"]
    return [
        result_row(
            "audit",
            "ood_products_disjoint_from_training@1",
            leak["passed"],
            leak["leaked_products"],
            leak["examples"],
            why="no test_ood product appears in any train/validation sample of any task",
        ),
        result_row(
            "audit",
            "no_input_in_two_splits@1",
            not dup,
            sum(dup.values()),
            [{"task": t, "inputs": n} for t, n in dup.items()],
            why="an input appears in one split only (per task)",
        ),
    ]


def check_decontamination(records: pl.DataFrame) -> list[dict]:
    """No validation/test input is a near-duplicate of a train input of the same task."""
    rows = []
    base = _base(records)
    for (task,), df in base.group_by("task", maintain_order=True):
        train = df.filter(pl.col("split") == TRAINING)
        held = df.filter(pl.col("split").is_in(HELD_OUT))
        if train.is_empty() or held.is_empty():
            continue
        ref = dedup.matches_of(held["input"], train["input"])
        hit = ref >= 0
        examples = [
            {"id": i, "split": s, "train_id": train["id"][int(r)]}
            for i, s, r in zip(
                held["id"].filter(pl.Series(hit)),
                held["split"].filter(pl.Series(hit)),
                ref[hit],
                strict=True,
            )
        ]
        rows.append(
            result_row(
                f"task:{task}",
                "no_near_duplicate_of_train@1",
                not hit.any(),
                int(hit.sum()),
                examples,
                why=f"no validation/test input is a near-duplicate (J >= {dedup.THRESHOLD}) "
                "of a train input",
            )
        )
    return rows


def check_unseen_copies(records: pl.DataFrame) -> list[dict]:
    """The unseen-instruction splits hold exactly the samples of test_ind / test_ood."""
    rows = []
    for (task,), df in records.group_by("task", maintain_order=True):
        for test, unseen in UNSEEN_OF.items():
            a = df.filter(pl.col("split") == test).select("input", "output")
            b = df.filter(pl.col("split") == unseen).select("input", "output")
            if a.is_empty() and b.is_empty():
                continue
            ca = a.group_by("input", "output").len()
            cb = b.group_by("input", "output").len()
            diff = ca.join(cb, on=["input", "output"], how="full", coalesce=True).filter(
                pl.col("len").fill_null(0) != pl.col("len_right").fill_null(0)
            )
            rows.append(
                result_row(
                    f"task:{task}",
                    f"{unseen}_copies_{test}@1",
                    diff.is_empty(),
                    diff.height,
                    diff.select("input", "output").head(N_EXAMPLES).to_dicts(),
                    why=f"{unseen} holds the samples of {test}",
                )
            )
    return rows


def run_suites(
    tables: dict[str, pl.DataFrame],
    records: pl.DataFrame,
    *,
    tasks: Mapping[str, Task] | None = None,
    audit_report: dict | None = None,
    release_tables: bool = False,
) -> dict:
    """Every suite: canonical tables (those given), all records, each task's records.

    With `release_tables`, `tables` is emptied once its suites have run, so that a caller
    holding nothing else of them gets their memory back before the record suites."""
    if tasks is None:
        from ecinstruct.tasks import REGISTRY

        tasks = REGISTRY
    runner = _Runner()
    results: list[dict] = []
    for name, df in tables.items():
        if name in TABLE_SUITES and df.height:
            results += runner.run(f"table:{name}", df, TABLE_SUITES[name], TABLE_KEYS[name])
    if release_tables:
        df = None  # the loop's last table, too
        tables.clear()
    if records.height:
        facts = record_facts(records, tasks)
        results += runner.run("records", facts, records_suite(list(tasks)), ["id"])
        for (task,), df in facts.group_by("task", maintain_order=True):
            if task in tasks:
                results += runner.run(f"task:{task}", df, task_suite(tasks[task]), ["id"])
        results += check_ood_leak(records, audit_report)
        results += check_decontamination(records)
        results += check_unseen_copies(records)
    passed = all(r["success"] or r["severity"] != "critical" for r in results)
    return {"passed": passed, "results": results}
