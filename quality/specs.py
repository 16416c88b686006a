"""The expectation suites, declared as data: one per canonical table, one for all records, one
per task's output. `quality.suites` turns each `Exp` into a great-expectations expectation.

Columns not in the published record (n_options, input_json_ok, ...) are the per-record facts
of `quality.derived`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecinstruct.records import SPLIT_SETTINGS, SPLITS
from ecinstruct.tasks.base import Task


@dataclass(frozen=True)
class Exp:
    kind: str  # great-expectations class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict
    why: str  # one line for tables of failures
    severity: str = "critical"  # "warning": reported, does not fail the gate
    show: tuple[str, ...] = ()  # extra columns in failure examples

    @property
    def columns(self) -> list[str]:
        return (
            [self.kwargs["column"]]
            if "column" in self.kwargs
            else list(self.kwargs.get("column_list", []))
        )


def _not_null(*cols: str, severity: str = "critical") -> list[Exp]:
    return [
        Exp("ExpectColumnValuesToNotBeNull", {"column": c}, f"{c} is present", severity)
        for c in cols
    ]


def _true(col: str, why: str, show: tuple[str, ...] = (), severity: str = "critical") -> Exp:
    return Exp(
        "ExpectColumnValuesToBeInSet", {"column": col, "value_set": [True]}, why, severity, show
    )


def _unique(cols: list[str], why: str, severity: str = "critical") -> Exp:
    if len(cols) == 1:
        return Exp("ExpectColumnValuesToBeUnique", {"column": cols[0]}, why, severity)
    return Exp("ExpectCompoundColumnsToBeUnique", {"column_list": cols}, why, severity)


# Canonical tables: keys present (critical: every task joins on them); one row per key and
# value ranges as warnings, since task builders drop what they cannot use, with a reason.
TABLE_KEYS: dict[str, list[str]] = {
    "products": ["product_id", "source"],
    "reviews": ["review_id", "source"],
    "relations": ["source", "product_id", "related_id", "relation"],
    "matches": ["source", "left_id", "right_id"],
    "attributes": ["source", "product_id", "attribute"],
    "judgments": ["source", "query_id", "product_id"],
    "questions": ["question_id", "source"],
    "rejected": ["source", "file", "row"],
}
TABLE_SUITES: dict[str, list[Exp]] = {
    "products": [
        *_not_null("product_id", "source"),
        _unique(["product_id", "source"], "one row per product per source", "warning"),
        Exp(
            "ExpectColumnValuesToBeBetween",
            {"column": "price", "min_value": 0},
            "prices are not negative",
            "warning",
        ),
    ],
    "reviews": [
        *_not_null("review_id", "source", "product_id"),
        _unique(["review_id", "source"], "one row per review", "warning"),
        Exp(
            "ExpectColumnValuesToBeBetween",
            {"column": "rating", "min_value": 1, "max_value": 5},
            "ratings are 1..5",
        ),
    ],
    "relations": [
        *_not_null("source", "product_id", "related_id", "relation"),
        Exp(
            "ExpectColumnValuesToBeInSet",
            {
                "column": "relation",
                "value_set": ["also_buy", "also_view", "similar", "bought_together"],
            },
            "relation is a known kind",
        ),
    ],
    "matches": [*_not_null("source", "left_id", "right_id")],
    "attributes": [*_not_null("source", "product_id", "attribute")],
    "judgments": [
        *_not_null("source", "query_id", "query", "product_id", "label"),
        Exp(
            "ExpectColumnValuesToBeInSet",
            {"column": "label", "value_set": ["E", "S", "C", "I"]},
            "ESCI label is E, S, C or I",
            "warning",
        ),
    ],
    "questions": [
        *_not_null("question_id", "source", "product_id", "question"),
        _unique(["question_id", "source"], "one row per question", "warning"),
    ],
    "rejected": [*_not_null("source", "reason")],
}


def records_suite(task_names: list[str]) -> list[Exp]:
    """Promises every published record keeps, whatever its task."""
    return [
        *_not_null("id", "task", "setting", "split", "instruction", "input", "output"),
        *_not_null("instruction_id", "product_ids", "source"),
        _unique(["id"], "ids are unique across the dataset"),
        Exp(
            "ExpectColumnValuesToBeInSet",
            {"column": "task", "value_set": task_names},
            "task is a registered task",
        ),
        Exp(
            "ExpectColumnValuesToBeInSet",
            {"column": "split", "value_set": list(SPLITS)},
            "split is a known split",
        ),
        Exp(
            "ExpectColumnValuesToBeInSet",
            {"column": "setting", "value_set": sorted(set(SPLIT_SETTINGS.values()))},
            "setting is a known setting",
        ),
        _true("setting_matches_split", "setting is the one of its split", ("split", "setting")),
        _true("instruction_id_matches_task", "instruction_id names the record's task", ("task",)),
        Exp(
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "instruction", "min_value": 10, "max_value": 4000},
            "instruction is 10..4000 characters",
        ),
        Exp(
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "input", "min_value": 1, "max_value": 60_000},
            "input is 1..60000 characters",
        ),
        Exp(
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "output", "min_value": 1, "max_value": 10_000},
            "output is 1..10000 characters",
        ),
        Exp(
            "ExpectColumnValuesToBeBetween",
            {"column": "n_products", "min_value": 1},
            "every record names its products",
        ),
    ]


def task_suite(task: Task) -> list[Exp]:
    """The task's output contract (see the per-task table in the dataset card)."""
    exps: list[Exp] = [
        Exp(
            "ExpectColumnValuesToBeInSet",
            {"column": "split", "value_set": [s for s in SPLITS if task.has_ood or "ood" not in s]},
            "split exists for this task",
        ),
        Exp(
            "ExpectColumnUniqueValueCountToBeBetween",
            {"column": "input_kind", "min_value": 1, "max_value": 1},
            "inputs are all JSON objects or all plain text",
        ),
        _true("input_json_ok", "JSON inputs parse as JSON objects", ("input",)),
    ]
    if task.output_format == "option":
        n = task.n_options or len(task.options or ())
        exps += [
            *_not_null("options"),
            Exp(
                "ExpectColumnValuesToBeBetween",
                {"column": "n_options", "min_value": n, "max_value": n},
                f"{n} options",
                show=("options",),
            ),
            Exp(
                "ExpectColumnValuesToBeBetween",
                {"column": "n_distinct_options", "min_value": n, "max_value": n},
                "options are distinct",
                show=("options",),
            ),
            Exp(
                "ExpectColumnValuesToBeBetween",
                {"column": "n_correct", "min_value": 1, "max_value": 1},
                "exactly one option is the output",
                show=("output", "options"),
            ),
        ]
        if task.options:
            exps += [
                Exp(
                    "ExpectColumnValuesToBeInSet",
                    {"column": "output", "value_set": list(task.options)},
                    "output is one of the task's options",
                ),
                _true("options_match_task", "options are the task's option texts", ("options",)),
            ]
    else:
        exps.append(
            Exp(
                "ExpectColumnValuesToBeNull", {"column": "options"}, "no options", show=("options",)
            )
        )
    if task.output_format == "triples":
        exps += [
            _true(
                "ave_output_well_formed",
                "output is a JSON list of {attribute, value, source}, sorted by attribute",
                ("output",),
            ),
            _true(
                "ave_values_in_source",
                "every value occurs in its source text",
                ("input", "output"),
            ),
        ]
    if task.output_format == "ranking":
        exps += [
            _true(
                "qpr_ranking_is_permutation",
                "ranking is a permutation of the listed letters",
                ("input", "output"),
            ),
            _true(
                "qpr_ranking_matches_gold",
                "ranking agrees with gold_labels (E > S > C > I)",
                ("output", "gold_labels"),
            ),
        ]
    else:
        exps.append(
            _true("gold_labels_null", "gold_labels only for ranking tasks", ("gold_labels",))
        )
    return exps
