from __future__ import annotations

import polars as pl

from ecinstruct.text import clean, clean_columns, clean_list, entity_table


def cleaned(*values: str | None) -> list[str | None]:
    frame = pl.DataFrame({"t": list(values)}, schema={"t": pl.String})
    return clean_columns(frame, text=["t"])["t"].to_list()


def test_strips_tags_but_not_comparisons():
    assert cleaned("<b>cheap</b>.", "a<br/>b", "<p>one</p><p>two</p>", "a < b > c") == [
        "cheap.",
        "a b",
        "one two",
        "a < b > c",
    ]


def test_img_alt_text_is_kept():
    assert cleaned('<img src="x.png" class="nav" alt="AMAZON FASHION"/>') == ["AMAZON FASHION"]


def test_entities_named_numeric_and_double_encoded():
    assert cleaned("Toys &amp; Games", "it&#39;s &#x27;ok&#x27;", "&amp;quot;hi&amp;quot;") == [
        "Toys & Games",
        "it's 'ok'",
        '"hi"',
    ]
    assert cleaned("&nbsp;x&nbsp;&nbsp;y") == ["x y"]
    assert cleaned("&notanentity; stays") == ["&notanentity; stays"]


def test_mojibake_and_invisible_characters():
    assert cleaned("itâ€™s cafÃ©", "soft\u00adhyphen", "zero\u200bwidth") == [
        "it’s café",
        "softhyphen",
        "zerowidth",
    ]


def test_whitespace_and_empty_become_null():
    assert cleaned("  a\t b\n\nc  ", "", "   ", "</span></span>", None, "fine") == [
        "a b c",
        None,
        None,
        None,
        None,
        "fine",
    ]


def test_lists_drop_empty_elements():
    frame = pl.DataFrame({"l": [["Gift Cards", "</span>", "", "A &amp; B"], [], None, [""]]})
    expected = [["Gift Cards", "A & B"], [], None, []]
    assert clean_columns(frame, lists=["l"])["l"].to_list() == expected
    table = entity_table(frame, ["l"])
    assert frame.select(clean_list(pl.col("l"), table))["l"].to_list() == expected


def test_clean_is_a_plain_expression():
    frame = pl.DataFrame({"t": ["x &amp; <i>y</i>"]})
    table = entity_table(frame, ["t"])
    assert table == {"&amp;": "&"}
    assert frame.select(clean(pl.col("t"), table))["t"].to_list() == ["x & y"]
