"""Text cleaning for raw e-commerce text, as vectorised polars expressions.

Raw Amazon-style text carries HTML fragments (`</span>` in category lists, `<img alt=...>`
as a category), HTML entities (`&amp;`, `&#39;`, double-encoded `&amp;quot;`), UTF-8 read
as Windows-1252 (`â€™` for `’`), invisible characters and ragged whitespace. `clean` turns
all of that into plain text and empty strings into null, so "missing" has one spelling.

Entities are not a finite table (numeric ones are any code point), so `entity_table` finds
the distinct entity tokens actually present in a frame and decodes each once with the
standard library; the per-row work stays in polars.
"""

from __future__ import annotations

import html
import html.entities
from collections.abc import Iterable, Mapping

import polars as pl

# An <img> used as a label (Amazon's `main_cat`) carries its text in `alt`; keep it.
_IMG_ALT = r'(?i)<img\b[^>]*?\balt\s*=\s*"([^"]*)"[^>]*>'
# Inline tags vanish ("<b>cheap</b>." -> "cheap."); other tags separate words ("a<br>b").
# Tags must start with a letter or `/` so that "a < b > c" is left alone.
_INLINE_TAG = r"(?i)</?(?:a|b|i|u|em|strong|span|font|small|big|sup|sub|abbr)\b[^<>]*>"
_TAG = r"(?s)<!--.*?-->|</?[A-Za-z][^<>]*>"
# An optional `amp;` catches double-encoded entities (`&amp;quot;`) as one token.
ENTITY = r"&(?:amp;)?(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
_INVISIBLE = "[\u00ad\u200b\u200c\u200d\u2060\ufeff]"
# Runs of 2+ whitespace or any non-space whitespace: single spaces (the common case) are
# not rewritten, which keeps this cheap on long texts.
_RAGGED_SPACE = r"\s{2,}|[^\S ]"


def _sloppy_cp1252(data: bytes) -> str:
    """Decode like a Windows-1252 reader that passes its 5 undefined bytes through."""
    out = []
    for byte in data:
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


# Common characters whose UTF-8 bytes are often seen decoded as Windows-1252. Only these
# are repaired: a cheap fix for the frequent case, not a general mojibake solver.
_MOJIBAKE_CHARS = "’‘“”–—…•€™®©°±×½¼¾éèêëáàâäãåçíìîïñóòôöõøúùûüÉÈÀÁÄÇÑÓÖÜßæœ\u00a0"
MOJIBAKE: dict[str, str] = dict(
    sorted(
        ((_sloppy_cp1252(c.encode("utf-8")), c) for c in _MOJIBAKE_CHARS),
        key=lambda item: (-len(item[0]), item[0]),
    )
)


def strip_html(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all(_IMG_ALT, " $1 ")
        .str.replace_all(_INLINE_TAG, "")
        .str.replace_all(_TAG, " ")
    )


def normalise_space(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all(_INVISIBLE, "").str.replace_all(_RAGGED_SPACE, " ").str.strip_chars()
    )


def clean(expr: pl.Expr, entities: Mapping[str, str] | None = None) -> pl.Expr:
    """Plain text from `expr`: tags stripped, entities decoded, mojibake fixed, spaces
    normalised; empty results become null. `entities` comes from `entity_table`."""
    out = strip_html(expr)
    if entities:
        out = out.str.replace_many(list(entities), list(entities.values()), leftmost=True)
    out = out.str.replace_many(list(MOJIBAKE), list(MOJIBAKE.values()), leftmost=True)
    out = normalise_space(out)
    return out.replace("", None)


def clean_list(expr: pl.Expr, entities: Mapping[str, str] | None = None) -> pl.Expr:
    """`clean` on every element of a list column, dropping elements that become empty."""
    return expr.list.eval(clean(pl.element(), entities).drop_nulls())


def _decode(token: str) -> str:
    """One entity token's text; unknown names stay as they are (html.unescape would
    decode the known prefix of "&notanentity;")."""
    inner = "&" + token[5:] if token.startswith("&amp;") and len(token) > 5 else token
    if inner[1] == "#" or inner[1:] in html.entities.html5:
        return html.unescape(inner)
    return token


def entity_table(frame: pl.DataFrame, columns: Iterable[str]) -> dict[str, str]:
    """Every entity token present in `columns` (string or list-of-string) -> its text.

    Double-encoded tokens (`&amp;quot;`) are decoded twice. Longest tokens come first so
    that a replacement never stops at a shorter token that is a prefix of a longer one.
    """
    tokens: set[str] = set()
    for name in columns:
        values = frame.get_column(name)
        if isinstance(values.dtype, pl.List):
            values = values.explode()
        values = values.filter(values.str.contains("&", literal=True))
        found = values.str.extract_all(ENTITY).explode().drop_nulls().unique()
        tokens.update(found.to_list())
    table = {token: _decode(token) for token in tokens}
    ordered = sorted(table.items(), key=lambda item: (-len(item[0]), item[0]))
    return {token: text for token, text in ordered if text != token}


# Anything `clean` could change: most review texts match none of it, and skipping them
# makes cleaning a large column several times cheaper.
_NEEDS_CLEANING = (
    "[<&"
    + "".join(sorted({key[0] for key in MOJIBAKE}))
    + _INVISIBLE[1:-1]
    + r"]|[^\S ]|  |^ | $|^$"
)


def clean_series(values: pl.Series, entities: Mapping[str, str] | None = None) -> pl.Series:
    """`clean` applied only to the values that need it."""
    todo = values.str.contains(_NEEDS_CLEANING).fill_null(False).arg_true()
    if todo.is_empty():
        return values
    fixed = values.gather(todo).to_frame().select(clean(pl.col(values.name), entities))
    return values.clone().scatter(todo, fixed.to_series())


def clean_list_series(values: pl.Series, entities: Mapping[str, str] | None = None) -> pl.Series:
    """`clean_list` through `clean_series`: only the elements that need it are cleaned."""
    frame = values.to_frame("v").with_row_index("_i")
    flat = frame.explode("v").drop_nulls("v")
    flat = flat.with_columns(v=clean_series(flat.get_column("v"), entities)).drop_nulls("v")
    rebuilt = flat.group_by("_i", maintain_order=True).agg(pl.col("v"))
    joined = frame.select("_i", null=pl.col("v").is_null()).join(
        rebuilt, on="_i", how="left", maintain_order="left"
    )
    empty = pl.lit([], dtype=values.dtype)
    out = joined.select(pl.when(pl.col("null")).then(None).otherwise(pl.col("v").fill_null(empty)))
    return out.to_series().alias(values.name)


def clean_columns(
    frame: pl.DataFrame, text: Iterable[str] = (), lists: Iterable[str] = ()
) -> pl.DataFrame:
    """Clean the given string columns and list-of-string columns of `frame`."""
    text, lists = list(text), list(lists)
    entities = entity_table(frame, text + lists)
    return frame.with_columns(
        [clean_series(frame.get_column(c), entities) for c in text]
        + [clean_list_series(frame.get_column(c), entities) for c in lists]
    )
