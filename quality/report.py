"""`ecinstruct report DIR`: quality_report.html (self-contained) and quality_report.md.

Reads only the folder: the records under data/ and build.json. The build records what its
quality stage found under ``build.json["quality"]``:
``{"candidates": {task: check_candidates stats}, "decontamination": {task: decontaminate
stats}, "suites": run_suites result}``; a section whose numbers were not recorded says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import polars as pl

from quality import stats
from quality.folder import load_manifest, load_records

TEMPLATES = Path(__file__).parent / "templates"
HTML = "quality_report.html"
MD = "quality_report.md"


def _table(df: pl.DataFrame) -> dict:
    def cell(v):
        return f"{v:g}" if isinstance(v, float) else ("" if v is None else str(v))

    return {"columns": df.columns, "rows": [[cell(v) for v in row] for row in df.rows()]}


def _md_table(table: dict) -> str:
    if not table["rows"]:
        return "_none_\n"
    head = "| " + " | ".join(table["columns"]) + " |"
    rule = "|" + "|".join("---" for _ in table["columns"]) + "|"
    body = ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table["rows"]]
    return "\n".join([head, rule, *body]) + "\n"


def build_context(
    folder: Path,
    manifest: dict | None = None,
    records_part: dict | None = None,
    name: str | None = None,
    rechecked: dict | None = None,
) -> dict:
    """Everything the two reports show: tables (columns + text rows) and figures (base64).
    `manifest` stands in for the folder's build.json (a build passes its own before writing
    it, so that the report's cost is in the build time the report shows); `records_part`
    for `records_context` of the folder's records and manifest (a large build has a child
    process make it while the records are written and checked); `name` for the folder's
    name in the title (a build writes into a temporary folder, renamed when complete);
    `rechecked` for the checks run on the folder as it is now (`quality.validate`), whose
    results and gate the report then shows instead of those the build recorded."""
    manifest = load_manifest(folder) if manifest is None else manifest
    part = records_context(manifest, load_records(folder)) if records_part is None else records_part
    suites = (manifest.get("quality") or {}).get("suites") or {}
    gate = manifest.get("gate", {})
    checked_note = None
    if rechecked is not None:
        # The canonical tables' suites ran at build time only: the gate needs both to pass.
        built = bool(gate.get("passed"))
        checked_note = (
            "Checked on the folder as it is now (the checks of `python -m ecinstruct validate`: "
            f"files, layout and the records' suites); at build time the gate "
            f"{'passed' if built else 'failed'}, with the canonical tables' suites too. The "
            "gate passes when both do."
        )
        suites = {"results": rechecked["results"]}
        gate = {"passed": rechecked["passed"] and built}
    failed = [r for r in suites.get("results", []) if not r["success"]]
    leak = manifest.get("audit", {}).get("ood_leak", {})
    return {
        "title": f"ECInstruct quality report — {name or Path(folder).resolve().name}",
        "summary": {
            "records": part["records"],
            "tasks": part["tasks"],
            "version": manifest.get("ecinstruct_version", "?"),
            "command": manifest.get("command", ""),
            "gate": "passed" if gate.get("passed") else "FAILED — not publishable",
            "gate_ok": bool(gate.get("passed")),
            "ood_leak": "none"
            if leak.get("passed", True)
            else f"{leak.get('leaked_products')} products",
            "seconds": manifest.get("timings_s", {}).get("total"),
            "synthetic": bool(manifest.get("synthetic")),
        },
        **{key: part[key] for key in ("counts", "balance", "lengths", "drops", "pii")},
        "suites_recorded": bool(suites),
        "checked_note": checked_note,
        "checks_total": len(suites.get("results", [])),
        "failed": [
            r | {"examples_text": json.dumps(r["examples"][:3], ensure_ascii=False)[:400]}
            for r in failed
        ],
        "rejected": _table(pl.DataFrame(manifest["rejected"]))
        if manifest.get("rejected")
        else _table(pl.DataFrame()),
        "figures": part["figures"],
    }


SYNTHETIC_NOTE = (
    "**Synthetic data:** built from ECInstruct's built-in sample (generated text, for trying "
    "the pipeline), not from e-commerce data."
)
# The records' columns the report reads.
RECORD_COLUMNS = ("task", "split", "input", "output", "options")


def records_context(manifest: dict, records: pl.DataFrame) -> dict:
    """The report's tables and figures that come from the records (a folder's, with at least
    `RECORD_COLUMNS`, in any order) and from what the tasks recorded in the manifest (drops,
    PII): all of it but the suites' results."""
    from quality import plots  # matplotlib: a second of imports that only the figures need

    counts = stats.split_counts(records) if records.height else pl.DataFrame()
    balance = stats.class_balance(records)
    lens = stats.lengths(records)
    drops = stats.drop_reasons(manifest)
    pii = stats.pii_counts(manifest)
    quality_drops = drops.filter(pl.col("reason") != "over_quota")
    figures = {}
    if counts.height:
        figures["samples"] = plots.samples_per_split(counts)
    if balance.height:
        figures["balance"] = plots.label_distributions(balance)
    if lens.height:
        figures["lengths"] = plots.length_histograms(lens)
    if quality_drops.height:
        figures["drops"] = plots.drop_reasons(quality_drops)
    balance_wide = (
        balance.with_columns(
            (
                pl.col("n").cast(pl.String)
                + " ("
                + (pl.col("share") * 100).round(1).cast(pl.String)
                + "%)"
            ).alias("cell")
        )
        .pivot(on="split", index=["task", "label"], values="cell")
        .fill_null("0")
        if balance.height
        else pl.DataFrame()
    )
    return {
        "records": records.height,
        "tasks": records["task"].n_unique() if records.height else 0,
        "counts": _table(counts),
        "balance": _table(balance_wide),
        "lengths": _table(stats.length_summary(lens)) if lens.height else _table(pl.DataFrame()),
        "drops": _table(stats.drop_summary(drops)) if drops.height else _table(pl.DataFrame()),
        "pii": _table(pii.pivot(on="kind", index="task", values="replaced").fill_null(0))
        if pii.height
        else None,
        "figures": figures,
    }


def render_html(ctx: dict) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.jinja").render(**ctx)


def render_md(ctx: dict) -> str:
    s = ctx["summary"]
    parts = [
        f"# {ctx['title']}\n",
        *([SYNTHETIC_NOTE + "\n"] if s.get("synthetic") else []),
        f"- records: {s['records']} in {s['tasks']} tasks\n- quality gate: **{s['gate']}**\n"
        f"- OOD product leak: {s['ood_leak']}\n- built by ecinstruct {s['version']}: "
        f"`{s['command']}`\n",
        "## Samples per task and split\n",
        _md_table(ctx["counts"]),
        "## Class balance (count and share per split)\n",
        _md_table(ctx["balance"]),
        "## Lengths (words)\n",
        "_Words as a reader sees them (runs of letters and digits, JSON keys left out), in the "
        "train, validation and test samples._\n",
        _md_table(ctx["lengths"]),
        "## Dropped candidates by reason\n",
        _md_table(ctx["drops"]),
        "## PII replaced\n",
        "_Counted over every candidate a task scrubbed, dropped ones included: more than the "
        "published samples hold._\n",
        _md_table(ctx["pii"]) if ctx["pii"] else "_not recorded by this build_\n",
        "## Failed checks\n",
    ]
    if ctx.get("checked_note"):
        parts.append(f"_{ctx['checked_note']}_\n")
    if not ctx["suites_recorded"]:
        parts.append("_suite results not recorded by this build; run `ecinstruct validate`_\n")
    elif not ctx["failed"]:
        parts.append(f"All {ctx['checks_total']} expectations passed.\n")
    else:
        parts.append(
            _md_table(
                {
                    "columns": ["suite", "expectation", "severity", "unexpected", "examples"],
                    "rows": [
                        [r["suite"], r["expectation"], r["severity"],
                         str(r["unexpected_count"]), r["examples_text"]]
                        for r in ctx["failed"]
                    ],
                }
            )
        )  # fmt: skip
    parts += ["## Raw rows rejected\n", _md_table(ctx["rejected"])]
    return "\n".join(parts)


def write_report(folder: Path, ctx: dict | None = None) -> list[Path]:
    folder = Path(folder)
    ctx = build_context(folder) if ctx is None else ctx
    html, md = folder / HTML, folder / MD
    html.write_text(render_html(ctx), encoding="utf-8")
    md.write_text(render_md(ctx), encoding="utf-8")
    return [html, md]


def _child(folder: Path) -> None:
    """`python -m quality.report JOB`: `records_context` of the manifest pickled into JOB and
    of the records left in JOB/records.arrow, answered there (see
    ecinstruct.parallel.answer) once the parent lets it go; the imports are done by then."""
    from ecinstruct.parallel import answer, job_of, wait_to_go
    from quality import plots  # noqa: F401  (imported before the wait, not after)

    manifest = job_of(folder)
    wait_to_go(folder)
    answer(folder, lambda: records_context(manifest, pl.read_ipc(folder / "records.arrow")))


if __name__ == "__main__":
    import sys

    from ecinstruct.ending import end

    _child(Path(sys.argv[1]))
    end(0)  # the build waits for this process to end
