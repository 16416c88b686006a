"""The benchmark's one task registry: how each task's answers are parsed and scored.

Task names are the dataset's config names (the `task` column of the published records).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmark import metrics
from benchmark.parsing import parse_answer
from ecinstruct.tasks import REGISTRY as TASKS


@dataclass(frozen=True)
class BenchTask:
    short: str
    kind: str  # answer kind for benchmark.parsing: option | ranking | triples | text
    headline: str  # the metric the leaderboard shows
    metric: Callable[..., dict[str, float]]  # (golds, preds, records) -> {name: value}
    # Generation budget. Room for a short lead-in ("The answer is no.") that untuned models
    # write; rows stop early at EOS or "\n###", so a budget costs only when a model rambles.
    max_new_tokens: int


# How each headline metric (a task's `metric`, declared once in its ecinstruct task file) is
# computed; the task list itself comes from the one registry, `ecinstruct.tasks.REGISTRY`.
METRIC_FUNCTIONS: dict[str, Callable[..., dict[str, float]]] = {
    "ave_f1": metrics.triple_prf,
    "macro_f1": metrics.macro_prf,
    "f1_yes": metrics.binary_prf,
    "hr@1": metrics.hit_rate,
    "accuracy": metrics.macro_prf,
    "ndcg": metrics.ndcg,
    "rouge_l": metrics.text_metrics,
}

REGISTRY: dict[str, BenchTask] = {
    name: BenchTask(
        task.short,
        task.output_format,
        task.metric,
        METRIC_FUNCTIONS[task.metric],
        task.max_new_tokens,
    )
    for name, task in TASKS.items()
}
SHORT = {name: task.short for name, task in REGISTRY.items()}


def score(
    task: str, records: Sequence[dict], predictions: Sequence[str | None], *, embed: bool = True
) -> dict:
    """Parse gold outputs and predictions, then score. Returns n, invalid, headline, metrics,
    and the parsed predictions (None where invalid) for the predictions table."""
    spec = REGISTRY[task]
    golds = [parse_answer(spec.kind, r["output"], r) for r in records]
    if any(g is None for g in golds):
        bad = next(r["id"] for r, g in zip(records, golds, strict=True) if g is None)
        raise ValueError(
            f"{task}: gold output of record {bad} does not parse as a {spec.kind} answer"
        )
    preds = [parse_answer(spec.kind, p, r) for p, r in zip(predictions, records, strict=True)]
    kwargs = {"embed": embed} if spec.kind == "text" else {}
    values = spec.metric(golds, preds, records, **kwargs) if records else {}
    return {
        "n": len(records),
        "invalid": sum(p is None for p in preds),
        "headline": spec.headline,
        "metrics": {k: None if v is None else round(float(v), 6) for k, v in sorted(values.items())},
        "parsed": preds,
    }
