"""The one task registry (STYLE.md rule 2): everything that lists tasks reads REGISTRY."""

from __future__ import annotations

from collections.abc import Iterable

from ecinstruct.tasks import (
    answer_generation,
    answerability_prediction,
    attribute_value_extraction,
    multiclass_product_classification,
    product_matching,
    product_relation_prediction,
    product_substitute_identification,
    query_product_ranking,
    sentiment_analysis,
    sequential_recommendation,
)
from ecinstruct.tasks.base import Task

REGISTRY: dict[str, Task] = {
    m.TASK.name: m.TASK
    for m in (
        attribute_value_extraction,
        product_relation_prediction,
        product_matching,
        sentiment_analysis,
        sequential_recommendation,
        multiclass_product_classification,
        product_substitute_identification,
        query_product_ranking,
        answerability_prediction,
        answer_generation,
    )
}

# Short names (SPEC.md: SA, PM, ...), in any case, for the full ones.
BY_SHORT: dict[str, str] = {task.short.lower(): name for name, task in REGISTRY.items()}


def full_names(names: Iterable[str]) -> tuple[str, ...]:
    """`names` with each short name (`SA`, `pm`, ...) turned into its task's full name and
    repeats dropped, in the order given; a name that is neither is left as it is, for the
    caller to refuse with its own list of what it knows."""
    out: list[str] = []
    for name in names:
        full = BY_SHORT.get(name.lower(), name)
        if full not in out:
            out.append(full)
    return tuple(out)


def known_names() -> str:
    """Every task as `full_name (SHORT)`, for error messages."""
    return ", ".join(f"{name} ({task.short})" for name, task in REGISTRY.items())
