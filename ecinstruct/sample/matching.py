"""Amazon-Google Products (Leipzig) files: Amazon.csv, GoogleProducts.csv, perfect mapping.

As published: Latin-1, apostrophe quoting, lower-case texts, Amazon prices as bare numbers (0
when unknown), Google manufacturers mostly empty and some prices in "gbp". A Google listing of
the same product varies the way the real pairs do: abbreviations, reordered words,
"name - maker - model" titles, truncated descriptions ending in "...", another price. Unmatched
Google listings include near misses (same brand and type, another model).
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from ecinstruct.sample.catalog import Catalog, Product
from ecinstruct.sample.sinks import CsvSink, Progress

CHUNK = 2_000
ABBREVIATIONS = {
    r"\bwireless\b": "wrls",
    r"\bbluetooth\b": "bt",
    r"\bstainless steel\b": "ss",
    r" inch\b": "in",
    r"-piece\b": "pc",
    r"-pack\b": "pk",
    r"\brechargeable\b": "rechrg",
    r"\bblack\b": "blk",
    r"\badjustable\b": "adj",
    r"\bbattery\b": "batt",
    r"\bset\b": "st",
    r"\bwith\b": "w/",
    r"\band\b": "&",
}
_GOOGLE = "http://www.google.com/base/feeds/snippets/{}"


def google_id(k: int, seed: int) -> str:
    # A bijection of k onto 19-digit numbers (multiplier coprime to 10), prefixed with 1.
    return _GOOGLE.format(
        10**19 + (k * 7_046_029_254_386_353_131 + seed * 97 + 1_234_567_890_123) % 10**19
    )


def write(
    folder: Path, shared: Catalog, own: Catalog, n_amazon: int, seed: int, progress: Progress
) -> dict[str, str]:
    """Write the three CSVs. Amazon products are partly the shared 2018 catalogue's ASINs."""
    rng = np.random.default_rng([seed, 77])
    n_shared = min(int(n_amazon * 0.4), shared.n)
    picks = [(shared, int(i)) for i in rng.choice(shared.n, n_shared, replace=False)]
    picks += [(own, i) for i in range(n_amazon - n_shared)]
    order = rng.permutation(len(picks))
    names = {
        "amazon": "Amazon.csv",
        "google": "GoogleProducts.csv",
        "mapping": "Amzon_GoogleProducts_perfectMapping.csv",
    }
    amazon = CsvSink(
        folder / names["amazon"], ["id", "title", "description", "manufacturer", "price"], progress
    )
    google = CsvSink(
        folder / names["google"], ["id", "name", "description", "manufacturer", "price"], progress
    )
    mapping = CsvSink(folder / names["mapping"], ["idAmazon", "idGoogleBase"], progress)
    g_next = 0
    n_listed = n_amazon - n_shared  # own-catalogue products that have an Amazon row
    spare = n_listed  # own-catalogue indices from here on are free for distractors
    for first in range(0, len(order), CHUNK):
        py = random.Random(f"{seed}:matching:{first}")
        g_rows: list[list] = []
        matched: list[str | None] = []  # Amazon id each Google row matches, or None
        for k in order[first : first + CHUNK]:
            source, i = picks[k]
            p = source.product(i)
            amazon.row(_amazon_row(p, py))
            if py.random() < 0.92:  # most Amazon products have a Google listing ...
                for _ in range(2 if py.random() < 0.03 else 1):  # ... a few have two
                    g_rows.append(_google_row(p, py, p.price))
                    matched.append(p.asin.lower())
            # Unmatched Google listings: a near miss (same brand and type, another model and
            # attributes) and a stranger.
            if py.random() < 0.6:
                j = int(own.of_type(source.type[i : i + 1], rng)[0])
                # Only products without an Amazon row: a near miss must not be a true match.
                if j >= n_listed:
                    q = own.product(j)
                    near = replace(
                        q,
                        brand=p.brand,
                        title=q.title.replace(q.brand, p.brand),
                        description=[d.replace(q.brand, p.brand) for d in q.description],
                    )
                    g_rows.append(_google_row(near, py, q.price))
                    matched.append(None)
            if spare < own.n and py.random() < 0.5:
                q = own.product(spare)
                spare += 1
                g_rows.append(_google_row(q, py, q.price))
                matched.append(None)
        ids = [google_id(g_next + j, seed) for j in range(len(g_rows))]
        g_next += len(g_rows)
        for j in py.sample(range(len(g_rows)), len(g_rows)):
            google.row([ids[j], *g_rows[j]])
        for j, amazon_id in enumerate(matched):
            if amazon_id is not None:
                mapping.row([amazon_id, ids[j]])
    for sink in (amazon, google, mapping):
        sink.close()
    return names


def _amazon_row(p: Product, py: random.Random) -> list:
    desc = " ".join([*p.description, *p.features]).lower()
    price = 0 if py.random() < 0.2 else p.price
    return [
        p.asin.lower(),
        _latin(p.title.lower(), p.brand.lower(), py),
        desc if py.random() > 0.1 else None,
        p.brand.lower(),
        price,
    ]


def _google_row(p: Product, py: random.Random, price: float) -> list:
    name = p.title.lower()
    for long, short in ABBREVIATIONS.items():
        if py.random() < 0.5:
            name = re.sub(long, short, name)
    form = py.random()
    if form < 0.35:  # "name - maker - model", as many Google titles read
        name = f"{name.replace(p.brand.lower(), '').strip(' ,')} - {p.brand.lower()} - {p.model.lower()}"
    elif form < 0.6:
        words = name.replace(",", "").split()
        name = " ".join(words[1:] + words[:1])  # brand moved to the end
    elif form < 0.75:
        name = name.replace(p.brand.lower(), "").strip(" ,")  # brand left out
    desc = (p.description[0] if p.description else " ".join(p.features)).lower()
    if len(desc) > 120:
        desc = desc[:120].rsplit(" ", 1)[0] + " ..."
    if py.random() < 0.15 and desc.count(" ") > 4:
        # The published copy has words run together where its source wrapped lines.
        cut = [m.start() for m in re.finditer(" ", desc)][desc.count(" ") // 2]
        desc = desc[:cut] + desc[cut + 1 :]
    maker = p.brand.lower() if py.random() < 0.1 else None
    price = round(float(price) * py.uniform(0.85, 1.15), 2)
    shown = f"{round(price * 0.78, 2)} gbp" if py.random() < 0.05 else price
    return [_latin(name, p.brand.lower(), py), desc, maker, shown]


def _latin(text: str, brand: str, py: random.Random) -> str:
    # A registered-trademark sign after the brand, as in many published titles.
    if py.random() < 0.08 and brand in text:
        return text.replace(brand, f"{brand}\u00ae", 1)
    return text
