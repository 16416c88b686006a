"""Turn one task's placed candidates into published records (records.RECORD_SCHEMA).

Seen wordings are drawn per sample by a hash of its id, so a sample keeps its wording across
rebuilds; the unseen-instruction test splits copy test_ind / test_ood with the held-out wording.
"""

from __future__ import annotations

import hashlib
import json

import jinja2.meta
import polars as pl

from ecinstruct import render
from ecinstruct.records import COLUMNS, RECORD_SCHEMA, SPLIT_SETTINGS, UNSEEN_OF
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task


def _payload(task: str, setting: pl.Expr) -> pl.Expr:
    """The JSON text [task, setting, input, options, output] whose sha256 (20 hex digits) is a
    record's id: built by polars for a whole frame at once, the same text as Python's
    json.dumps(..., ensure_ascii=False) (tests compare the two)."""

    def value(expr: pl.Expr) -> pl.Expr:
        return common.json_value(expr).fill_null("null")

    options = common.json_array(pl.col("options").list.eval(common.json_value(pl.element())))
    return pl.concat_str(
        pl.lit("[" + json.dumps(task, ensure_ascii=False) + ", "),
        value(setting),
        pl.lit(", "),
        value(pl.col("input")),
        pl.lit(", "),
        options.fill_null("null"),
        pl.lit(", "),
        value(pl.col("output")),
        pl.lit("]"),
    )


def _content_ids(payloads: pl.Series) -> list[str]:
    return [hashlib.sha256(p.encode()).hexdigest()[:20] for p in payloads]


def _variables(task: str, wording: int) -> frozenset[str]:
    """The variables a wording's template reads (none for most: constant text)."""
    env = render.environment()
    name = render.template_names(task)[wording]
    source = env.loader.get_source(env, name)[0]
    return frozenset(jinja2.meta.find_undeclared_variables(env.parse(source)))


def _instructions(task: str, wordings: list[int], df: pl.DataFrame) -> list[str]:
    """Each row's instruction in the wording drawn for it. A template renders once per
    distinct value of what it reads: most are constant text, and those that read only the
    options (their count, their list) see few distinct lists. Only a template that reads the
    input renders once per row."""
    reads = {w: _variables(task, w) for w in set(wordings)}
    read = frozenset().union(*reads.values())
    # Python lists of a column only when some template reads it.
    n = len(wordings)
    inputs = df["input"].to_list() if "input" in read else [""] * n
    options = df["options"].to_list() if "options" in read else [None] * n
    done: dict[tuple, str] = {}
    out = []
    for w, i, o in zip(wordings, inputs, options, strict=True):
        if "input" in reads[w]:
            out.append(render.render(task, w, i, o))
            continue
        shown = tuple(o) if o is not None and "options" in reads[w] else None
        text = done.get((w, shown))
        if text is None:
            text = done[(w, shown)] = render.render(task, w, "", o if shown is not None else None)
        out.append(text)
    return out


def records(task: Task, placed: pl.DataFrame) -> pl.DataFrame:
    """`placed` holds usable candidates with a `split` among the four base splits."""
    if placed.is_empty():
        return pl.DataFrame(schema=RECORD_SCHEMA)
    seen = [w for w in range(render.N_WORDINGS) if w != task.unseen_instruction]
    base = placed.with_columns(
        pl.col("split").replace_strict(SPLIT_SETTINGS, return_dtype=pl.String).alias("setting")
    )
    unseen = (
        base.filter(pl.col("split").is_in(list(UNSEEN_OF)))
        .with_columns(pl.col("split").replace_strict(UNSEEN_OF, return_dtype=pl.String))
        .with_columns(
            pl.col("split").replace_strict(SPLIT_SETTINGS, return_dtype=pl.String).alias("setting")
        )
    )
    df = pl.concat([base, unseen])
    ids = _content_ids(df.select(_payload(task.name, pl.col("setting"))).to_series())
    # The wording choice hashes the *seen* sample's id (setting "") so unseen copies don't
    # shift it; the copies (after the base rows in `df`) all get the unseen wording.
    draws = _content_ids(base.select(_payload(task.name, pl.lit(""))).to_series())
    wordings = [seen[int(d[:8], 16) % len(seen)] for d in draws]
    wordings += [task.unseen_instruction] * unseen.height
    instructions = _instructions(task.name, wordings, df)
    out = df.with_columns(
        pl.Series("id", ids, dtype=pl.String),
        pl.lit(task.name).alias("task"),
        pl.Series("instruction", instructions, dtype=pl.String),
        pl.Series("instruction_id", [f"{task.name}/{w}" for w in wordings], dtype=pl.String),
    )
    return compact(
        out.select([pl.col(c).cast(RECORD_SCHEMA[c]) for c in COLUMNS]).sort("split", "id")
    )


def compact(df: pl.DataFrame) -> pl.DataFrame:
    """`df` with its own copy of every string. polars strings are views: a few thousand
    records filtered out of a million candidate reviews would otherwise keep all of their text
    alive until the build ends. A round trip through Arrow's plain string layout copies just
    what the rows use."""
    return pl.from_arrow(df.to_arrow(compat_level=pl.CompatLevel.oldest()))
