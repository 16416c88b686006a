"""Language filter: which texts are clearly not English.

A language model alone is the wrong tool for e-commerce text: on product titles and part
numbers ("microsoft sql server standard edition 2005 64 bit") lingua says German with 0.98
confidence, and its accurate mode runs at a few hundred texts a second. So the decision has two
stages, both needed to drop a text:

1. Evidence, vectorised over the whole frame: the share of letters outside the Latin script, and
   counts of function words ("the", "and" ... / "der", "und", "que", "est" ...). Function words
   are what separates languages in running text, and titles have almost none, so a title is
   never judged. English prose has plenty of English ones and stops here.
2. Texts in Latin script whose function words are mostly those of another language are confirmed
   by lingua (https://github.com/pemistahl/lingua-py), loaded with just the languages the word
   lists cover: a text is dropped only when lingua names the same language as its function words
   ("Los Angeles ... la la land ... el camino" has Spanish words, lingua says German: kept).
   Texts mostly in another script (CJK, Cyrillic, Arabic...) need no model.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from quality.text import free_text, tokens

# Frequent function words, minus any that are also English words or e-commerce tokens ("son",
# "die", "van", "per", "mi", "se", "os", "com", "ce", "ai"...), so English text cannot score as
# foreign.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and is are was were this that these those with for it its not you your my our "
        "their they we of to have has had but very would will be been on at from an or as so "
        "if what which do does did can just than about because after before there here".split()
    ),
    "es": frozenset(
        "el la los las del que es está muy para por con una pero como más lo su este esta fue "
        "y al también porque sobre cuando".split()
    ),
    "fr": frozenset(
        "le les des est et une pour avec dans pas je ne qui sur très mais cette sont au du il "
        "elle nous vous été".split()
    ),
    "de": frozenset(
        "der das und ist nicht ich sehr für ein eine auch auf sie wir dem aber nach noch wie "
        "zu es sich bei nur".split()
    ),
    "it": frozenset("il di che è una sono molto della questo anche alla gli nel più".split()),
    "pt": frozenset("da uma não muito que é mas foi produto mais pelo pela ao seu sua".split()),
    "nl": frozenset("de het een en niet ik zijn voor maar ook dit dat wel zeer naar werkt".split()),
}
# Thresholds. A text is a candidate for "not English" when it has at least MIN_FOREIGN distinct
# foreign function words, they make up at least FOREIGN_SHARE of its words and outnumber the English ones
# twice over; it is non-English outright when most of its letters are in another script.
MIN_FOREIGN = 2
FOREIGN_SHARE = 0.15
NON_LATIN_SHARE = 0.5
MIN_NON_LATIN_LETTERS = 10


@cache
def _detector():
    # Built once per process: loading the n-gram models is the slow part, detection is not.
    from lingua import Language, LanguageDetectorBuilder

    langs = [
        Language.ENGLISH,
        Language.SPANISH,
        Language.FRENCH,
        Language.GERMAN,
        Language.ITALIAN,
        Language.PORTUGUESE,
        Language.DUTCH,
    ]
    # Low-accuracy mode (trigrams only) loads in under a second; the texts that reach it have
    # already shown foreign function words, and are long enough for trigrams to be reliable.
    detector = LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()
    return detector, Language.ENGLISH


def _code(language) -> str:
    return language.iso_code_639_1.name.lower()


def _top_languages(words: set[str]) -> set[str]:
    """The non-English languages with the most distinct function words among `words`."""
    counts = {k: len(words & v) for k, v in FUNCTION_WORDS.items() if k != "en"}
    best = max(counts.values())
    return {k for k, n in counts.items() if n == best}


FOREIGN = frozenset().union(*(v for k, v in FUNCTION_WORDS.items() if k != "en"))


def _evidence(texts: pl.Series, words: pl.Series | None = None) -> pl.DataFrame:
    """Per text: _n_en, _n_foreign, _n_words, _non_latin (letters), cheap enough for every row.
    `words`: the texts' `tokens`, when the caller has them."""
    w = tokens(pl.col("t")) if words is None else pl.lit(words)
    return (
        pl.DataFrame({"t": texts})
        .with_columns(w.alias("_w"))
        .with_columns(
            pl.col("_w")
            .list.eval(pl.element().is_in(list(FUNCTION_WORDS["en"])))
            .list.sum()
            .alias("_n_en"),
            pl.col("_w")
            .list.eval(pl.element().is_in(list(FOREIGN)))
            .list.sum()
            .alias("_n_foreign"),
            pl.col("_w").list.len().alias("_n_words"),
            free_text(pl.col("t"))
            .str.count_matches(r"[\p{L}&&\P{Latin}]")
            .fill_null(0)
            .alias("_non_latin"),
        )
    )


def _decide(df: pl.DataFrame) -> pl.DataFrame:
    """_script and _suspect for rows that may be non-English (the rest cannot be)."""
    return df.with_columns(
        # Distinct ones: a product name repeated ("MAS 90 ... MAS 200") is not a language.
        pl.col("_w")
        .list.unique()
        .list.eval(pl.element().is_in(list(FOREIGN)))
        .list.sum()
        .alias("_n_distinct"),
        free_text(pl.col("t")).str.count_matches(r"\p{L}").alias("_letters"),
    ).with_columns(
        (
            (pl.col("_non_latin") >= MIN_NON_LATIN_LETTERS)
            & (pl.col("_non_latin") >= NON_LATIN_SHARE * pl.col("_letters"))
        ).alias("_script"),
        (
            (pl.col("_n_distinct") >= MIN_FOREIGN)
            & (pl.col("_n_foreign") >= FOREIGN_SHARE * pl.col("_n_words"))
            & (pl.col("_n_foreign") > 2 * pl.col("_n_en"))
        ).alias("_suspect"),
    )


def non_english(texts: pl.Series, words: pl.Series | None = None) -> tuple[pl.Series, dict]:
    """Boolean Series: True where the text is clearly not English; plus counts for the report.
    `words`: the texts' `tokens`, when the caller has them."""
    ev = _evidence(texts, words).with_row_index("_i")
    maybe = (pl.col("_n_foreign") >= MIN_FOREIGN) | (pl.col("_non_latin") >= MIN_NON_LATIN_LETTERS)
    df = _decide(ev.filter(maybe))
    flags = np.zeros(len(texts), bool)
    flags[df.filter("_script")["_i"].to_numpy()] = True
    suspects = df.filter(pl.col("_suspect") & ~pl.col("_script"))
    confirmed: list[bool] = []
    if suspects.height:
        detector, english = _detector()
        found = detector.detect_languages_in_parallel_of(suspects["t"].to_list())
        confirmed = [
            lang is not None and lang != english and _code(lang) in _top_languages(set(w))
            for lang, w in zip(found, suspects["_w"].to_list(), strict=True)
        ]
        flags[suspects["_i"].to_numpy()] = confirmed
    stats = {
        "by_script": int(df["_script"].sum()),
        "model_checked": suspects.height,
        "model_confirmed": sum(confirmed),
    }
    return pl.Series("non_english", flags, dtype=pl.Boolean), stats
