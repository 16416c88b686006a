"""Tolerant answer parsing (SPEC.md, "Scoring rules").

Every parser returns the canonical answer, or None when the text cannot be read as one. None is
an INVALID answer: the scorer counts it as wrong and keeps it in the denominator.

Option answers are accepted as the option text or its letter, the way training/prompt.py shows
the options ("A: text"): "B", "b.", "(B)", "B: text", "B. text", "positive", "Positive." ...
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Sequence

LETTERS = string.ascii_uppercase
# A model that keeps going after its answer usually starts a new alpaca section.
_SECTION = re.compile(r"\n\s*###")
_ANSWER_PREFIX = re.compile(
    r"^(?:the\s+)?(?:answer|response|output|ranking)\s*(?:is)?\s*[:\-]?\s*", re.I
)
_LETTER_PREFIX = re.compile(r"^\(?([A-Za-z])\s*(?:\)|:|\.|-|$)\s*(.*)$", re.S)
_EDGE_PUNCT = " \t\n\"'`*.,;:!?"


def normalize(text: str) -> str:
    """Lower case, single spaces, no quotes or punctuation at the edges."""
    return " ".join(str(text).split()).strip(_EDGE_PUNCT).lower()


def clean(text: str | None) -> str:
    """The answer part of a generation: no trailing alpaca section, no surrounding blanks."""
    if text is None:
        return ""
    return _SECTION.split(str(text), maxsplit=1)[0].strip()


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def parse_option(text: str | None, options: Sequence[str]) -> str | None:
    """The option the answer names, or None.

    Order: the whole answer equals an option text; a leading letter ("B", "(B)", "B: ...") -
    when the text after the letter is itself an option, that text wins, since it is the more
    specific of the two; the answer starts with an option text (longest first).
    """
    options = list(options or [])
    if not options:
        return None
    by_norm = {normalize(o): o for o in options}
    body = clean(text)
    line = _ANSWER_PREFIX.sub("", _first_line(body))
    for candidate in (body, line):
        if normalize(candidate) in by_norm:
            return by_norm[normalize(candidate)]
    m = _LETTER_PREFIX.match(line)
    if m:
        rest = normalize(m.group(2))
        if rest in by_norm:
            return by_norm[rest]
        index = LETTERS.find(m.group(1).upper())
        if 0 <= index < len(options):
            return options[index]
    low = normalize(line)
    for norm in sorted(by_norm, key=len, reverse=True):
        if norm and low.startswith(norm) and not low[len(norm) : len(norm) + 1].isalnum():
            return by_norm[norm]
    return None


def parse_ranking(text: str | None, letters: Sequence[str]) -> tuple[str, ...] | None:
    """A permutation of `letters` ("B, A, C", "B > A > C", "(B) (A) (C)"), or None."""
    line = _ANSWER_PREFIX.sub("", _first_line(clean(text)))
    tokens = [t for t in re.split(r"[\s,;|>]+|->|=>", line) if t]
    ranking = []
    for token in tokens:
        token = token.strip("()[]{}.:'\"*")
        if len(token) != 1 or not token.isalpha():
            return None
        ranking.append(token.upper())
    wanted = sorted(x.upper() for x in letters)
    if not wanted or sorted(ranking) != wanted:
        return None
    return tuple(ranking)


def _scalar(value) -> str | None:
    if value is None:
        return "None"
    if isinstance(value, bool | int | float | str):
        return str(value)
    return None


def parse_triples(text: str | None) -> tuple[tuple[str, str, str], ...] | None:
    """AVE answers: a JSON list of {"attribute", "value", "source"} objects, as triples.

    Code fences and text around the list are tolerated; anything that is not a JSON list of
    objects with string-like attribute and value is invalid. A missing source reads "None".
    """
    body = clean(text)
    start = body.find("[")
    if start < 0:
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(body[start:])
    except json.JSONDecodeError:
        return None
    if not isinstance(data, list):
        return None
    triples = []
    for item in data:
        if not isinstance(item, dict) or "attribute" not in item or "value" not in item:
            return None
        parts = (_scalar(item["attribute"]), _scalar(item["value"]), _scalar(item.get("source")))
        if None in parts:
            return None
        triples.append(parts)
    return tuple(triples)


def parse_text(text: str | None) -> str | None:
    """Free text (AG): valid unless empty."""
    body = clean(text)
    return body or None


def ranking_letters(record: dict) -> list[str]:
    """The letters a QPR record shows: the keys of its input's "products" object."""
    try:
        products = json.loads(record["input"]).get("products")
    except (json.JSONDecodeError, AttributeError, TypeError):
        products = None
    if isinstance(products, dict) and products:
        return sorted(products)
    labels = record.get("gold_labels") or []
    return list(LETTERS[: len(labels)])


def parse_answer(kind: str, text: str | None, record: dict):
    """Dispatch on the task's answer kind: option | ranking | triples | text."""
    if kind == "option":
        return parse_option(text, record.get("options") or ())
    if kind == "ranking":
        return parse_ranking(text, ranking_letters(record))
    if kind == "triples":
        return parse_triples(text)
    if kind == "text":
        return parse_text(text)
    raise ValueError(f"unknown answer kind {kind!r}")
