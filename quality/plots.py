"""The report's figures, each returned as a base64 PNG so the HTML needs no other file."""

from __future__ import annotations

import base64
import io
import math

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from ecinstruct.records import BASE_SPLITS  # noqa: E402

COLOURS = {
    "train": "#4C72B0",
    "validation": "#DD8452",
    "test_ind": "#55A868",
    "test_ood": "#C44E52",
}
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})


def _png(fig, tight: bool = False) -> str:
    buf = io.BytesIO()
    # Grids get a fixed layout: measuring every label for a tight box is most of their cost.
    box = "tight" if tight else None
    fig.savefig(buf, format="png", dpi=100, bbox_inches=box, metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _grid(n: int, cols: int = 3, size=(4.2, 2.6)):
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False)
    fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.35 / rows, bottom=0.9 / (rows * size[1]),
                        hspace=0.9, wspace=0.25)  # fmt: skip
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def samples_per_split(counts: pl.DataFrame) -> str:
    """Stacked horizontal bars: samples per task, coloured by base split."""
    tasks = counts["task"].to_list()
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(tasks) + 1.2))
    left = [0] * len(tasks)
    for split in BASE_SPLITS:
        if split not in counts.columns:
            continue
        values = counts[split].to_list()
        ax.barh(tasks, values, left=left, color=COLOURS[split], label=split)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("samples (unseen-instruction copies not shown)")
    ax.legend(loc="lower right", frameon=False, ncols=4, bbox_to_anchor=(1, 1))
    return _png(fig, tight=True)


def label_distributions(balance: pl.DataFrame) -> str:
    """One panel per task: share of each label, one bar per base split."""
    tasks = balance["task"].unique(maintain_order=True).to_list()
    fig, axes = _grid(len(tasks))
    for ax, task in zip(axes, tasks, strict=True):
        df = balance.filter(pl.col("task") == task)
        labels = df["label"].unique(maintain_order=True).to_list()
        splits = [s for s in BASE_SPLITS if s in df["split"].to_list()]
        width = 0.8 / max(1, len(splits))
        for i, split in enumerate(splits):
            share = dict(df.filter(pl.col("split") == split).select("label", "share").iter_rows())
            xs = [j + i * width for j in range(len(labels))]
            ax.bar(
                xs, [share.get(lb, 0) for lb in labels], width, color=COLOURS[split], label=split
            )
        ticks = [j + 0.4 - width / 2 for j in range(len(labels))]
        if len(labels) > 8:  # option positions: numbers, upright
            short = [lb.replace("option position ", "").lstrip("0") for lb in labels]
            ax.set_xticks(ticks, short, fontsize=7)
            ax.set_xlabel("position of the correct option")
        else:
            short = [lb if len(lb) <= 20 else lb[:19] + "…" for lb in labels]
            ax.set_xticks(ticks, short, rotation=30, ha="right")
        ax.set_title(task, fontsize=9)
        ax.set_ylabel("share")
    if axes:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", ncols=4, frameon=False)
    return _png(fig)


def length_histograms(lens: pl.DataFrame) -> str:
    """One panel per task: words per input and per output, the top 1% folded into the last bin."""
    tasks = lens["task"].unique(maintain_order=True).sort().to_list()
    fig, axes = _grid(len(tasks))
    for ax, task in zip(axes, tasks, strict=True):
        df = lens.filter(pl.col("task") == task)
        top = max(
            2.0,
            float(
                df.select(pl.col("input_words", "output_words").quantile(0.99))
                .max_horizontal()
                .item()
            ),
        )
        for col, colour in (("input_words", "#4C72B0"), ("output_words", "#DD8452")):
            # One filled outline per series: 30 bar patches each cost more to draw than to count.
            counts, edges = np.histogram(df[col].clip(upper_bound=top).to_numpy(), 30, (0, top))
            ax.stairs(counts, edges, fill=True, alpha=0.7, color=colour, label=col.split("_")[0])
        ax.set_title(task, fontsize=9)
        ax.set_xlabel("words")
    if axes:
        axes[0].legend(frameon=False, fontsize=7)
    return _png(fig)


def drop_reasons(drops: pl.DataFrame) -> str:
    """Stacked horizontal bars: dropped candidates per task by reason (log scale)."""
    wide = drops.pivot(on="reason", index="task", values="rows").fill_null(0).sort("task")
    reasons = [c for c in wide.columns if c != "task"]
    tasks = wide["task"].to_list()
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(tasks) + 1.6))
    cmap = plt.get_cmap("tab20")
    left = [0] * len(tasks)
    for i, reason in enumerate(reasons):
        values = wide[reason].to_list()
        ax.barh(tasks, values, left=left, color=cmap(i % 20), label=reason)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("candidates dropped")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _png(fig, tight=True)
