"""Text views shared by the checks: free text of a (possibly JSON) field, its words.

All are polars expressions so they run over whole frames at once.
"""

from __future__ import annotations

import polars as pl

# `"key":` of a JSON object: the keys repeat across every sample of a task, so they would make
# unrelated samples look alike (dedup) and add words that are not the sample's text (language).
_JSON_KEY = r'"(?:[^"\\]|\\.)*"\s*:'
# JSON escapes that stand for whitespace or punctuation.
_JSON_ESCAPE = r'\\[nrtbf"\\/]'
# A word: letters and digits, with inner apostrophes or hyphens ("don't", "usb-c").
WORD = r"[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*"


def free_text(expr: pl.Expr) -> pl.Expr:
    """The text a reader sees: JSON object/list texts lose their keys and escapes."""
    is_json = expr.str.starts_with("{") | expr.str.starts_with("[")
    stripped = expr.str.replace_all(_JSON_KEY, " ").str.replace_all(_JSON_ESCAPE, " ")
    return pl.when(is_json).then(stripped).otherwise(expr)


def tokens(expr: pl.Expr) -> pl.Expr:
    """Lower-cased words of the free text as a list (punctuation, case and spacing ignored)."""
    # Replacing only the non-space separators, then splitting on spaces, is several times
    # faster than one replace of every separator run: most separators are single spaces.
    return (
        free_text(expr)
        .fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N} ]+", " ")
        .str.split(" ")
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def n_words(expr: pl.Expr) -> pl.Expr:
    return free_text(expr).str.count_matches(WORD).fill_null(0)
