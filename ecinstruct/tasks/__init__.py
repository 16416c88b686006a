"""The one task registry (STYLE.md rule 2): everything that lists tasks reads REGISTRY."""

from __future__ import annotations

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
