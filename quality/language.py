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


def evidence(text: pl.Expr) -> list[pl.Expr]:
    """Columns _n_en, _n_foreign(_distinct), _n_words, _letters, _latin for `non_english`."""
    words = tokens(text)
    foreign = frozenset().union(*(v for k, v in FUNCTION_WORDS.items() if k != "en"))
    raw = free_text(text).fill_null("")
    return [
        words.list.eval(pl.element().is_in(list(FUNCTION_WORDS["en"]))).list.sum().alias("_n_en"),
        words.list.eval(pl.element().is_in(list(foreign))).list.sum().alias("_n_foreign"),
        # Distinct ones: a product name repeated ("MAS 90 ... MAS 200") is not a language.
        words.list.unique()
        .list.eval(pl.element().is_in(list(foreign)))
        .list.sum()
        .alias("_n_foreign_distinct"),
        words.list.len().alias("_n_words"),
        raw.str.count_matches(r"\p{L}").alias("_letters"),
        raw.str.count_matches(r"\p{Latin}").alias("_latin"),
    ]


def non_english(texts: pl.Series) -> tuple[pl.Series, dict]:
    """Boolean Series: True where the text is clearly not English; plus counts for the report."""
    df = pl.DataFrame({"t": texts}).with_columns(evidence(pl.col("t")))
    non_latin = pl.col("_letters") - pl.col("_latin")
    df = df.with_columns(
        (
            (non_latin >= MIN_NON_LATIN_LETTERS)
            & (non_latin >= NON_LATIN_SHARE * pl.col("_letters"))
        ).alias("_script"),
        (
            (pl.col("_n_foreign_distinct") >= MIN_FOREIGN)
            & (pl.col("_n_foreign") >= FOREIGN_SHARE * pl.col("_n_words"))
            & (pl.col("_n_foreign") > 2 * pl.col("_n_en"))
        ).alias("_suspect"),
    )
    suspects = df.filter(pl.col("_suspect") & ~pl.col("_script"))
    confirmed: list[bool] = []
    if suspects.height:
        detector, english = _detector()
        found = detector.detect_languages_in_parallel_of(suspects["t"].to_list())
        words = suspects.select(tokens(pl.col("t")).list.unique())[:, 0].to_list()
        confirmed = [
            lang is not None and lang != english and _code(lang) in _top_languages(set(w))
            for lang, w in zip(found, words, strict=True)
        ]
    flags = df["_script"].to_list()
    it = iter(confirmed)
    for i, (script, sus) in enumerate(zip(flags, df["_suspect"].to_list(), strict=True)):
        if sus and not script:
            flags[i] = next(it)
    stats = {
        "by_script": int(df["_script"].sum()),
        "model_checked": suspects.height,
        "model_confirmed": sum(confirmed),
    }
    return pl.Series("non_english", flags, dtype=pl.Boolean), stats
