"""The benchmark's one task registry: how each task's answers are parsed and scored.

Task names are the dataset's config names (the `task` column of the published records).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmark import metrics
from benchmark.parsing import parse_answer


@dataclass(frozen=True)
class BenchTask:
    short: str
    kind: str  # answer kind for benchmark.parsing: option | ranking | triples | text
    headline: str  # the metric the leaderboard shows
    metric: Callable[..., dict[str, float]]  # (golds, preds, records) -> {name: value}
    # Generation budget. Room for a short lead-in ("The answer is no.") that untuned models
    # write; rows stop early at EOS or "\n###", so a budget costs only when a model rambles.
    max_new_tokens: int


REGISTRY: dict[str, BenchTask] = {
    "attribute_value_extraction": BenchTask("AVE", "triples", "ave_f1", metrics.triple_prf, 160),
    "product_relation_prediction": BenchTask("PRP", "option", "macro_f1", metrics.macro_prf, 32),
    "product_matching": BenchTask("PM", "option", "f1_yes", metrics.binary_prf, 8),
    "sentiment_analysis": BenchTask("SA", "option", "macro_f1", metrics.macro_prf, 12),
    "sequential_recommendation": BenchTask("SR", "option", "hr@1", metrics.hit_rate, 64),
    "multiclass_product_classification": BenchTask(
        "MPC", "option", "accuracy", metrics.macro_prf, 12
    ),
    "product_substitute_identification": BenchTask(
        "PSI", "option", "f1_yes", metrics.binary_prf, 8
    ),
    "query_product_ranking": BenchTask("QPR", "ranking", "ndcg", metrics.ndcg, 24),
    "answerability_prediction": BenchTask("AP", "option", "f1_yes", metrics.binary_prf, 8),
    "answer_generation": BenchTask("AG", "text", "rouge_l", metrics.text_metrics, 128),
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
        "metrics": {k: round(float(v), 6) for k, v in sorted(values.items())},
        "parsed": preds,
    }
