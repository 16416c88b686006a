"""The short table every build ends with."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ecinstruct.progress import console

SHOWN = ("train", "validation", "test_ind", "test_ood")
# Drop reasons named in a task's row, most frequent first; build.json has every one.
TOP_REASONS = 3


def print_summary(manifest: dict, out: Path) -> None:
    table = Table(title=f"ECInstruct build → {escape(str(out))}", title_justify="left")
    table.add_column("task")
    for split in SHOWN:
        table.add_column(split, justify="right")
    table.add_column("dropped", justify="right")
    table.add_column("note / top drop reasons", overflow="fold")
    for name, res in manifest["tasks"].items():
        if res["status"] == "skipped":
            table.add_row(name, *["–"] * len(SHOWN), "–", escape(res["note"]))
            continue
        note = "; ".join(x for x in (res["note"], top_reasons(res["dropped"])) if x)
        cells = [f"{res['counts'][s]:,}" if s in res["counts"] else "–" for s in SHOWN]
        table.add_row(
            name,
            *cells,
            f"{sum(n for r, n in res['dropped'].items() if r != 'over_quota'):,}",
            escape(note),
        )
    console.print(table)
    if manifest["rejected"]:
        rej = Table(title="raw rows rejected", title_justify="left")
        rej.add_column("source")
        rej.add_column("reason")
        rej.add_column("rows", justify="right")
        for row in manifest["rejected"]:
            rej.add_row(escape(row["source"]), escape(row["reason"]), f"{row['rows']:,}")
        console.print(rej)
    for src in manifest.get("sources", []):
        if src.get("rows_out_of_scope"):
            console.print(
                f"{src['kind']} {src['file']}: {src['rows_out_of_scope']:,} rows out of scope "
                "(not loaded, e.g. a locale other than US)",
                markup=False,
            )
    for source, found in manifest.get("ood_categories_unmatched", {}).items():
        for category, near in found["unmatched"].items():
            if not found["categories"]:
                hint = " (its products have no categories: is its metadata configured?)"
            else:
                hint = f" (near: {', '.join(map(repr, near))})" if near else ""
            console.print(
                f"note: [{source}] ood_categories {category!r} matches no product's category, "
                f"so it holds nothing out for test_ood{hint}",
                markup=False,
                soft_wrap=True,
            )
    gate = manifest["gate"]
    verdict = "[green]passed[/green]" if gate["passed"] else "[red]FAILED — not publishable[/red]"
    secs = manifest.get("timings_s", {}).get("total", 0)
    console.print(
        f"quality gate: {verdict}   ood products held out: {manifest['ood_products']}   time: {secs:.1f}s"
    )


def top_reasons(dropped: dict[str, int], shown: int = TOP_REASONS) -> str:
    """The `shown` most frequent drop reasons with their counts (ties by name), and how many
    more there are; `over_quota` (usable, just not drawn) is not a drop reason here."""
    top = sorted(
        ((r, n) for r, n in dropped.items() if r != "over_quota"), key=lambda kv: (-kv[1], kv[0])
    )
    text = ", ".join(f"{r} {n:,}" for r, n in top[:shown])
    if len(top) > shown:
        rest = len(top) - shown
        text += f" and {rest} more reason{'s' if rest > 1 else ''} (build.json)"
    return text
