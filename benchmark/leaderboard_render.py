"""Writers for benchmark.leaderboard: Markdown, HTML (self-contained, chart inlined) and PNG."""

from __future__ import annotations

import base64
import html as html_lib
import io

import polars as pl

from benchmark.leaderboard import NOTE, PAPER_MARK, VIEWS, other_data_note
from benchmark.tasks import REGISTRY

HEADLINES = ", ".join(f"{t.short} {t.headline}" for t in REGISTRY.values())


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _cells(df: pl.DataFrame, ref_column: str | None) -> tuple[list[str], list[list[str]]]:
    header = [ref_column if c == "rel_impr" and ref_column else c for c in df.columns]
    rows = []
    for row in df.iter_rows(named=True):
        cells = []
        for column, value in row.items():
            if column == "rel_impr":
                cells.append("–" if value is None else f"{value * 100:+.1f}%")
            else:
                cells.append(_cell(value))
        rows.append(cells)
    return header, rows


def _ref_column(board: dict) -> str | None:
    return f"avg rel. impr. vs {board['reference']}" if board["reference"] else None


def _systems(board: dict) -> list[list[str]]:
    rows = []
    for name, config in sorted(board["configs"].items()):
        backend = config.get("backend") or {}
        what = ", ".join(f"{k}={v}" for k, v in backend.items() if v is not None)
        rows.append(
            [name, what, str(config.get("dataset", "?")), str(config.get("limit") or "all")]
        )
    return rows


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(board: dict) -> str:
    ref = _ref_column(board)
    parts = [
        "# ECInstruct leaderboard",
        "",
        f"Headline metrics: {HEADLINES}. Invalid (unparseable) answers count as wrong.",
        "",
    ]
    for view, tables in board["views"].items():
        parts += [f"## {view} ({VIEWS[view]})", "", _md_table(*_cells(tables["scores"], ref)), ""]
        if not tables["invalid"].is_empty():
            parts += [
                f"Invalid answers ({view}):",
                "",
                _md_table(*_cells(tables["invalid"], None)),
                "",
            ]
    parts += [
        "## Systems",
        "",
        _md_table(["system", "backend", "dataset", "limit"], _systems(board)),
        "",
    ]
    parts += ["## Notes", "", *(f"{n}\n" for n in (other_data_note(board),) if n), NOTE, ""]
    return "\n".join(parts)


def _html_table(header: list[str], rows: list[list[str]], caption: str = "") -> str:
    esc = html_lib.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        f"<tr{' class=paper' if PAPER_MARK in r[0] else ''}>"
        + "".join(f"<td>{esc(c)}</td>" for c in r)
        + "</tr>"
        for r in rows
    )
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1rem 0}caption{text-align:left;font-weight:600}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}tr.paper{color:#777;font-style:italic}
img{max-width:100%}.note{background:#f6f6f6;padding:.8rem;border-left:4px solid #999}
"""


def html(board: dict, png: bytes) -> str:
    ref = _ref_column(board)
    sections = []
    for view, tables in board["views"].items():
        anchor = VIEWS[view]
        body = _html_table(*_cells(tables["scores"], ref), caption="Headline metric per task")
        if not tables["invalid"].is_empty():
            body += _html_table(
                *_cells(tables["invalid"], None), caption="Invalid answers (invalid/n)"
            )
        sections.append(f'<section id="{anchor}"><h2>{html_lib.escape(view)}</h2>{body}</section>')
    chart = base64.b64encode(png).decode()
    systems = _html_table(["system", "backend", "dataset", "limit"], _systems(board))
    note = other_data_note(board)
    apart = f'<p class="note">{html_lib.escape(note)}</p>' if note else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ECInstruct leaderboard</title>
<style>{STYLE}</style></head><body>
<h1>ECInstruct leaderboard</h1>
<p>Headline metrics: {html_lib.escape(HEADLINES)}. Invalid (unparseable) answers count as wrong.</p>
{"".join(sections)}
<section id="chart"><h2>Chart</h2><img alt="headline metric per task and system" src="data:image/png;base64,{chart}"></section>
<section id="systems"><h2>Systems</h2>{systems}</section>
<section id="notes"><h2>Notes</h2>{apart}<p class="note">{html_lib.escape(NOTE)}</p></section>
</body></html>
"""


def chart(board: dict) -> bytes:
    """Grouped bars per task, one panel per view; paper rows hatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    views = list(board["views"])
    names = sorted({n for t in board["views"].values() for n in t["scores"]["system"]})
    # One colour per system across panels, so a system is recognisable in every view.
    palette = plt.get_cmap("tab10" if len(names) <= 10 else "tab20").colors
    colour = {name: palette[i % len(palette)] for i, name in enumerate(names)}
    fig, axes = plt.subplots(len(views), 1, figsize=(12, 3.2 * len(views)), squeeze=False)
    for ax, view in zip(axes[:, 0], views, strict=True):
        df = board["views"][view]["scores"]
        tasks = [c for c in df.columns if c not in ("system", "invalid", "rel_impr")]
        width = 0.8 / max(1, df.height)
        for i, row in enumerate(df.iter_rows(named=True)):
            name = row["system"]
            xs = [k + i * width for k in range(len(tasks))]
            ys = [row[t] or 0.0 for t in tasks]
            hatch = "//" if PAPER_MARK in name else None
            ax.bar(xs, ys, width, label=name, color=colour[name], hatch=hatch)
        ax.set_xticks([k + 0.4 - width / 2 for k in range(len(tasks))], tasks)
        ax.set_ylim(0, 1.05)
        ax.set_title(view)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
