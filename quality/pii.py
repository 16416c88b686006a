"""PII scrubbing of free text: e-mail addresses, phone numbers, URLs and people's names.

What is detectable with patterns, and so what is replaced:

- ``[EMAIL]``: ``local@domain.tld`` addresses.
- ``[URL]``: links written with a scheme or ``www.`` (``https://...``, ``www.shop.com/x``).
  Bare domains ("Amazon.com") are product and shop names, not links, and stay.
- ``[PHONE]``: numbers *formatted* as phone numbers: North American ``(555) 123-4567``,
  ``555-123-4567``, ``555.123.4567``, ``+1 555 123 4567`` and international ``+44 20 7946 0958``.
  Unformatted digit runs stay: in product text they are ISBNs, UPCs and part numbers far more
  often than phone numbers.
- ``[NAME]``: a name introduced as one ("my name is Jane Doe") or signed at the end of a text
  ("... works great. - John D."), and any known reviewer name given to `scrub_frame` (the
  canonical reviews table has ``reviewer_name``; candidates do not say which review they came
  from, so a name can only be recognised by its text). Known names are used only when they look
  like a personal name: two or three capitalised words, none of them a word like "Customer".

JSON texts (objects or lists) are scrubbed string value by string value, each replaced value
re-encoded with ``json.dumps``: the text stays valid JSON, and keys, numbers, spacing and
escaping stay exactly as they were (re-serialising the whole object would turn ``46.10`` into
``46.1``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

PLACEHOLDERS = {"email": "[EMAIL]", "url": "[URL]", "phone": "[PHONE]", "name": "[NAME]"}

_PATTERNS: dict[str, re.Pattern] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    # Stops before trailing punctuation, so "see www.x.com." keeps its full stop.
    "url": re.compile(r"(?:https?://|www\.)[^\s\"'<>\\]*[^\s\"'<>\\.,;:!?)\]]"),
    "phone": re.compile(
        r"(?<![\w+])(?:"
        r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
        r"|\+\d{1,3}(?:[\s.-]\d{1,4}){2,4}"
        r")(?![\w-])"
    ),
}
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_INTRO_NAME = re.compile(rf"(?i:\bmy name is)\s+({_NAME}(?:\s+{_NAME})?)")
_SIGNED_NAME = re.compile(rf"(?:^|(?<=[.!?])\s+)[-–—~]\s*({_NAME}(?:\s+(?:[A-Z]\.?|{_NAME}))?)\s*$")
# Generic words that make a "reviewer name" a pseudonym rather than a person's name.
_NOT_A_NAME = frozenset(
    "amazon kindle customer buyer user reader shopper lover fan mom dad mommy grandma "
    "happy satisfied verified gift card review reviewer anonymous".split()
)
# Cheap superset of every pattern, run vectorised to skip the rows that cannot match.
_PREFILTER = r"@|https?://|www\.|\d{3}[\s.-]\d{4}|\+\d{1,3}[\s.-]\d|(?i:my name is)|(?:^|[.!?])\s*[-–—~]\s*[A-Z]"


def usable_names(names: Iterable[str | None]) -> list[str]:
    """Known reviewer names worth scrubbing: personal-looking, longest first."""
    out = set()
    for name in names:
        if not name:
            continue
        words = name.split()
        if not 2 <= len(words) <= 3:
            continue
        if all(re.fullmatch(r"[A-Z][a-z]+\.?|[A-Z]\.?", w) for w in words) and not any(
            w.lower().strip(".") in _NOT_A_NAME for w in words
        ):
            out.add(" ".join(words))
    return sorted(out, key=lambda n: (-len(n), n))


def _names_pattern(names: list[str]) -> re.Pattern | None:
    if not names:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)")


@dataclass(frozen=True)
class KnownNames:
    """Known names prepared once for many frames: the usable ones (`usable_names`, longest
    first) and their pattern. Picking them out of a large review table's tens of thousands
    of reviewer names and compiling the pattern take about 50 ms, and a build scrubs twenty
    frames, so it prepares them once."""

    names: tuple[str, ...] = ()
    pattern: re.Pattern | None = None

    @classmethod
    def of(cls, names: Iterable[str | None] | None) -> KnownNames:
        """`names` prepared (returned as they are when they already are)."""
        if isinstance(names, KnownNames):
            return names
        usable = usable_names(() if names is None else names)
        return cls(tuple(usable), _names_pattern(usable))


def scrub_text(text: str, counts: Counter, names: re.Pattern | None = None) -> str:
    for kind, pattern in _PATTERNS.items():
        text, n = pattern.subn(PLACEHOLDERS[kind], text)
        counts[kind] += n
    for pattern in (_INTRO_NAME, _SIGNED_NAME):
        text, n = pattern.subn(lambda m: m.group(0).replace(m.group(1), "[NAME]"), text)
        counts["name"] += n
    if names is not None:
        text, n = names.subn("[NAME]", text)
        counts["name"] += n
    return text


# A JSON string literal, and whether it is an object key (followed by a colon).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?')


def _scrub_json(text: str, counts: Counter, names: re.Pattern | None) -> str:
    """Scrub each string value of a JSON text in place: everything else (keys, numbers,
    spacing, escaping) stays byte for byte, and every replaced literal is a valid one."""

    def one(m: re.Match) -> str:
        if m.group(1):  # a key
            return m.group(0)
        literal = m.group(0)
        value = json.loads(literal)
        clean = scrub_text(value, counts, names)
        if clean == value:
            return literal
        return json.dumps(clean, ensure_ascii="\\u" in literal)

    return _JSON_STRING.sub(one, text)


def scrub_value(text: str | None, counts: Counter, names: re.Pattern | None = None) -> str | None:
    """Scrub one field; JSON object/list texts are scrubbed per string value and stay JSON."""
    if text is None:
        return None
    if text[:1] in "{[":
        try:
            json.loads(text)
        except ValueError:
            return scrub_text(text, counts, names)
        return _scrub_json(text, counts, names)
    return scrub_text(text, counts, names)


def scrub_frame(
    df: pl.DataFrame, columns: dict[str, pl.Expr], names: Iterable[str | None] | KnownNames = ()
) -> tuple[pl.DataFrame, dict[str, int], int]:
    """Scrub `columns` (name -> boolean expr saying which rows to scrub) in place; `names`
    are known names (raw, or already prepared as `KnownNames`).

    Returns the frame, replacements per kind, and how many fields (row x column) changed.
    """
    prepared = KnownNames.of(names)
    known, pattern = list(prepared.names), prepared.pattern
    counts: Counter = Counter()
    changed = 0
    out = df
    for col, which in columns.items():
        may = out.select(
            (which & pl.col(col).is_not_null() & pl.col(col).str.contains(_PREFILTER)).alias("m")
        )["m"]
        if known:
            may = may | out.select((which & pl.col(col).str.contains_any(known)).alias("m"))["m"]
        idx = may.fill_null(False).arg_true()
        if idx.is_empty():
            continue
        old = out[col].gather(idx).to_list()
        new = [scrub_value(t, counts, pattern) for t in old]
        changed += sum(a != b for a, b in zip(old, new, strict=True))
        values = out[col].clone().scatter(idx, pl.Series(new, dtype=pl.String))
        out = out.with_columns(values.alias(col))
    return out, {k: counts.get(k, 0) for k in PLACEHOLDERS}, changed


# The fields of the raw formats that hold a person's name (the 2018 reviews' reviewer name),
# up to the end of a raw text cut short.
_RAW_NAME_FIELD = r'("reviewerName"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)'


def scrub_raw(
    rejected: pl.DataFrame, names: Iterable[str | None] | KnownNames = ()
) -> pl.DataFrame:
    """Rejected raw rows (their `raw` text, which rejected.parquet publishes) scrubbed like the
    records, and the raw formats' name fields replaced whole (``"reviewerName": "[NAME]"``),
    whatever the name looks like: a nickname is no less a person's."""
    if rejected.is_empty() or "raw" not in rejected.columns:
        return rejected
    rejected = rejected.with_columns(pl.col("raw").str.replace_all(_RAW_NAME_FIELD, '${1}"[NAME]"'))
    return scrub_frame(rejected, {"raw": pl.lit(True)}, names)[0]
