"""The short table every build ends with."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from ecinstruct.progress import console

SHOWN = ("train", "validation", "test_ind", "test_ood")


def print_summary(manifest: dict, out: Path) -> None:
    table = Table(title=f"ECInstruct build → {out}", title_justify="left")
    table.add_column("task")
    for split in SHOWN:
        table.add_column(split, justify="right")
    table.add_column("dropped", justify="right")
    table.add_column("note / top drop reasons", overflow="fold")
    for name, res in manifest["tasks"].items():
        if res["status"] == "skipped":
            table.add_row(name, *["–"] * len(SHOWN), "–", res["note"])
            continue
        top = sorted(res["dropped"].items(), key=lambda kv: -kv[1])
        reasons = ", ".join(f"{r} {n}" for r, n in top if r != "over_quota")[:90]
        note = "; ".join(x for x in (res["note"], reasons) if x)
        cells = [str(res["counts"].get(s, "–")) for s in SHOWN]
        table.add_row(
            name, *cells, str(sum(n for r, n in res["dropped"].items() if r != "over_quota")), note
        )
    console.print(table)
    if manifest["rejected"]:
        rej = Table(title="raw rows rejected", title_justify="left")
        for col in ("source", "reason", "rows"):
            rej.add_column(col)
        for row in manifest["rejected"]:
            rej.add_row(row["source"], row["reason"], str(row["rows"]))
        console.print(rej)
    for src in manifest.get("sources", []):
        if src.get("rows_out_of_scope"):
            console.print(
                f"{src['kind']} {src['file']}: {src['rows_out_of_scope']:,} rows out of scope "
                "(not loaded, e.g. a locale other than US)"
            )
    gate = manifest["gate"]
    verdict = "[green]passed[/green]" if gate["passed"] else "[red]FAILED — not publishable[/red]"
    secs = manifest.get("timings_s", {}).get("total", 0)
    console.print(
        f"quality gate: {verdict}   ood products held out: {manifest['ood_products']}   time: {secs:.1f}s"
    )
