"""Attribute annotations: MAVE positives/negatives and OA-Mine (ExtractGPT processing).

MAVE products are Amazon 2018 ASINs (as in the published labels); paragraphs are the cleaned
title, description, features, price and brand, and every evidence's begin/end slice of its
paragraph is exactly its value. Negatives name attributes of the category that the product's
texts do not mention. OA-Mine lines pair a title with the values found in it, "n/a" otherwise.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np

from ecinstruct.sample.catalog import Catalog, Product
from ecinstruct.sample.sinks import Progress, TextSink
from ecinstruct.sample.vocab import CATEGORIES, TYPES

CHUNK = 5_000


def paragraphs(p: Product, gaps: tuple[bool, bool], with_price: bool) -> list[dict]:
    """MAVE's paragraphs of a product: its 2018 metadata texts (`gaps` says which are empty)."""
    no_description, no_features = gaps
    out = [{"text": p.title, "source": "title"}]
    out += [{"text": d, "source": "description"} for d in p.description if not no_description]
    out += [{"text": f, "source": "feature"} for f in p.features if not no_features]
    if with_price:
        out.append({"text": f"${p.price:.2f}", "source": "price"})
    out.append({"text": p.brand, "source": "brand"})
    return out


def evidences(paras: list[dict], value: str) -> list[dict]:
    """First whole-word occurrence of `value` in each paragraph."""
    pattern = re.compile(r"(?<!\w)" + re.escape(value) + r"(?!\w)")
    out = []
    for pid, para in enumerate(paras):
        m = pattern.search(para["text"])
        if m:
            out.append({"value": value, "pid": pid, "begin": m.start(), "end": m.end()})
    return out


def _absent_keys(type_index: int) -> list[str]:
    """Attribute keys used elsewhere in the type's category but not by the type itself."""
    ci, t = TYPES[type_index]
    own = {k for k, _ in t.attrs}
    keys = {k for other in CATEGORIES[ci].types for k, _ in other.attrs}
    return sorted(keys - own)


def write_mave(
    folder: Path, cat: Catalog, n_pos: int, n_neg: int, seed: int, progress: Progress
) -> dict[str, str]:
    rng = np.random.default_rng([seed, 5])
    chosen = rng.choice(cat.n, min(n_pos + n_neg, cat.n), replace=False)
    names = {"positives": "mave_positives.jsonl", "negatives": "mave_negatives.jsonl"}
    with (
        TextSink(folder / names["positives"], progress) as pos,
        TextSink(folder / names["negatives"], progress) as neg,
    ):
        for first in range(0, chosen.size, CHUNK):
            py = random.Random(f"{seed}:mave:{first}")
            for k in range(first, min(first + CHUNK, chosen.size)):
                i = int(chosen[k])
                p = cat.product(i)
                paras = paragraphs(p, tuple(cat.meta_gaps[i]), with_price=py.random() < 0.6)
                record = {"id": p.asin, "category": _leaf(cat, i), "paragraphs": paras}
                if k < n_pos:
                    n_attr = py.randint(1, len(p.attrs))
                    attrs = [
                        {"key": key, "evidences": ev}
                        for key, value in py.sample(p.attrs, n_attr)
                        if (ev := evidences(paras, value))
                    ]
                    if attrs:  # values only in texts the metadata lacks leave nothing
                        pos.json({**record, "attributes": attrs})
                else:
                    absent = _absent_keys(int(cat.type[i]))
                    keys = py.sample(absent, min(len(absent), py.randint(1, 2)))
                    neg.json({**record, "attributes": [{"key": k, "evidences": []} for k in keys]})
    return names


def _leaf(cat: Catalog, i: int) -> str:
    return TYPES[int(cat.type[i])][1].path[-1]


def write_oa_mine(path: Path, cat: Catalog, n: int, seed: int, progress: Progress) -> int:
    py = random.Random(f"{seed}:oa-mine")
    seen: set[str] = set()  # titles are the records' identity: each is written once
    with TextSink(path, progress) as out:
        for i in range(min(n, cat.n)):
            p = cat.product(i)
            if p.title in seen:
                continue
            seen.add(p.title)
            scores = {"Brand": {p.brand: 1}}
            for key, value in p.attrs:
                found = re.search(r"(?<!\w)" + re.escape(value) + r"(?!\w)", p.title)
                scores[key] = {value if found else "n/a": 1}
            if py.random() < 0.5:
                scores = dict(py.sample(list(scores.items()), len(scores)))
            out.json({"input": p.title, "category": p.type_name, "target_scores": scores})
        return out.rows
