import json

import pytest

from benchmark.parsing import (
    parse_answer,
    parse_option,
    parse_ranking,
    parse_text,
    parse_triples,
    ranking_letters,
)

SA = ["very positive", "positive", "neutral", "negative", "very negative"]
YN = ["yes", "no"]


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("positive", "positive"),
        ("  Very Positive  ", "very positive"),
        ("NEUTRAL.", "neutral"),
        ("B", "positive"),
        ("b", "positive"),
        ("B:", "positive"),
        ("(B)", "positive"),
        ("B. positive", "positive"),
        ("B: positive", "positive"),
        ("E) very negative", "very negative"),
        ("Answer: C", "neutral"),
        ("very positive\n### Instruction: more text", "very positive"),
        ("negative, because the product broke", "negative"),
        ("very negative!", "very negative"),
        # the option text after a letter wins over the letter when both are given
        ("A: negative", "negative"),
    ],
)
def test_option_answers(answer, expected):
    assert parse_option(answer, SA) == expected


@pytest.mark.parametrize(
    "answer", ["", None, "   ", "F", "Z: maybe", "good", "mostly positive", "the item is great"]
)
def test_option_answers_invalid(answer):
    assert parse_option(answer, SA) is None


@pytest.mark.parametrize(
    "answer, expected",
    [("Yes", "yes"), ("no.", "no"), ("Yes, they match.", "yes"), ("B", "no"), ("Nope", None)],
)
def test_yes_no(answer, expected):
    assert parse_option(answer, YN) == expected


def test_option_text_starting_like_a_letter_is_not_a_letter():
    titles = ["A Song of Ice", "Blue kettle", "Cable"]
    assert parse_option("A Song of Ice", titles) == "A Song of Ice"
    assert parse_option("Cable", titles) == "Cable"
    assert parse_option("C", titles) == "Cable"
    # "A great ..." is neither a bare letter nor an option
    assert parse_option("A great book", titles) is None


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("B,A,C", ("B", "A", "C")),
        ("B, A, C", ("B", "A", "C")),
        ("B > A > C", ("B", "A", "C")),
        ("b a c", ("B", "A", "C")),
        ("(B) (A) (C)", ("B", "A", "C")),
        ("Ranking: C,B,A", ("C", "B", "A")),
        ("B,A", None),  # not all letters
        ("B,A,C,D", None),  # a letter not shown
        ("B,B,C", None),  # repeated
        ("Product B, Product A, Product C", None),
        ("", None),
    ],
)
def test_ranking(answer, expected):
    assert parse_ranking(answer, ["A", "B", "C"]) == expected


def test_triples_tolerates_fences_and_trailing_text():
    body = [{"attribute": "Color", "value": "red", "source": "product title"}]
    fenced = "```json\n" + json.dumps(body) + "\n```\nHope this helps."
    assert parse_triples(fenced) == (("Color", "red", "product title"),)
    assert parse_triples("Here it is: " + json.dumps(body)) == (("Color", "red", "product title"),)
    # numbers and null become text, a missing source reads "None"
    assert parse_triples('[{"attribute": "Size", "value": 12}]') == (("Size", "12", "None"),)
    assert parse_triples('[{"attribute": "Size", "value": null, "source": null}]') == (
        ("Size", "None", "None"),
    )


@pytest.mark.parametrize(
    "answer",
    [
        '[{"attribute": "Color", "value": "red"',  # truncated JSON
        '{"attribute": "Color", "value": "red"}',  # not a list
        '[{"value": "red"}]',  # no attribute
        '["red"]',
        "Color: red",
        "",
    ],
)
def test_triples_invalid(answer):
    assert parse_triples(answer) is None


def test_text_is_valid_unless_empty():
    assert parse_text("  It fits.  ") == "It fits."
    assert parse_text("\n### Instruction: x") is None
    assert parse_text("") is None


def test_dispatch_and_letters_from_input():
    record = {
        "input": json.dumps({"query": "q", "products": {"A": "x", "B": "y"}}),
        "options": None,
        "gold_labels": ["E", "I"],
    }
    assert ranking_letters(record) == ["A", "B"]
    assert parse_answer("ranking", "B,A", record) == ("B", "A")
    with pytest.raises(ValueError):
        parse_answer("nonsense", "x", record)
