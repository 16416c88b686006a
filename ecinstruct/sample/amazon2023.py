"""Amazon Reviews 2023 files: reviews and item metadata, both JSON lines.

2023 style: `rating` float, `timestamp` in milliseconds, integer `helpful_vote`, a variant
`asin` next to the `parent_asin` the metadata is keyed by, prices as numbers or null,
`categories` often empty, `bought_together` null.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import numpy as np

from ecinstruct.sample import histories, ids, phrases
from ecinstruct.sample.catalog import Catalog
from ecinstruct.sample.sinks import Progress, TextSink

USER_CHUNK = 4_000
META_CHUNK = 5_000
WINDOW = (dt.date(2019, 1, 1).toordinal(), dt.date(2023, 8, 31).toordinal())
_EPOCH = dt.date(1970, 1, 1).toordinal()
_VARIANT_BASE = 100_000_000  # variant ASINs live above every parent index of the namespace
_IMG = "https://m.media-amazon.com/images/I/{}.jpg"


def write_reviews(
    path: Path,
    cat: Catalog,
    rel: dict[str, np.ndarray],
    n_users: int,
    seed: int,
    progress: Progress,
) -> int:
    rng = np.random.default_rng([seed, 2023, 1])
    with TextSink(path, progress) as out:
        for first in range(0, n_users, USER_CHUNK):
            size = min(USER_CHUNK, n_users - first)
            ch = histories.chunk(cat, rel, first, size, rng, WINDOW)
            uids = ids.user_ids_2023(np.arange(first, first + size), seed).tolist()
            parents = cat.asins[ch.item].tolist()
            variants = ids.asins(
                ids.NS_AMAZON_2023, _VARIANT_BASE + ch.item * 4 + ch.item % 3, seed
            ).tolist()
            draws = rng.random((ch.item.size, 14)).tolist()
            rows = zip(
                ch.user.tolist(),
                ch.item.tolist(),
                ch.rating.tolist(),
                ch.day.tolist(),
                parents,
                variants,
                draws,
                strict=True,
            )
            for user, item, rating, day, parent, variant, u in rows:
                attrs = cat.attrs(item)
                colour = next((v for a, v in attrs if a in ("Color", "Shade")), "design")
                text, title = phrases.review(u, rating, cat.type_name(item), colour.lower())
                millis = ((day - _EPOCH) * histories.DAY + int(u[9] * 86_400)) * 1000
                helpful = int(1 / (1 - u[10]) ** (1 / 1.2)) - 1  # Pareto: mostly 0, a long tail
                out.line(
                    f'{{"rating": {rating}.0, "title": {_str(title)}, "text": {_str(text)}, '
                    f'"images": [], "asin": "{variant if u[11] < 0.2 else parent}", '
                    f'"parent_asin": "{parent}", "user_id": "{uids[user - first]}", '
                    f'"timestamp": {millis + int(u[12] * 1000)}, "helpful_vote": {helpful}, '
                    f'"verified_purchase": {"true" if u[13] < 0.92 else "false"}}}'
                )
        return out.rows


_str = json.encoder.encode_basestring_ascii


def write_meta(path: Path, cat: Catalog, seed: int, progress: Progress) -> int:
    with TextSink(path, progress) as out:
        for first in range(0, cat.n, META_CHUNK):
            rng = random.Random(f"{seed}:2023:meta:{first}")
            for i in range(first, min(first + META_CHUNK, cat.n)):
                out.json(_meta(cat, i, rng))
        return out.rows


def _meta(cat: Catalog, i: int, rng: random.Random) -> dict:
    p = cat.product(i)
    c = p.category
    t_path = next(t.path for t in c.types if t.name == p.type_name)
    n_ratings = int(5 * rng.paretovariate(0.8))
    avg = min(5.0, max(1.0, 4.1 + float(cat.quality[i]) * 0.5 + rng.uniform(-0.2, 0.2)))
    details = {
        "Brand": p.brand,
        **{a: v for a, v in p.attrs},
        "Date First Available": dt.date(
            2015 + rng.randrange(8), rng.randint(1, 12), rng.randint(1, 28)
        ).strftime("%B %d, %Y"),
    }
    return {
        "main_category": c.main_cat,
        "title": p.title,
        "average_rating": round(avg, 1),
        "rating_number": n_ratings,
        "features": list(p.features),
        "description": list(p.description) if rng.random() > 0.3 else [],
        "price": round(p.price, 2) if rng.random() > 0.35 else None,
        "images": [
            {
                "thumb": _IMG.format(f"{p.asin}_SX38"),
                "large": _IMG.format(p.asin),
                "variant": "MAIN",
                "hi_res": None,
            }
        ],
        "videos": [],
        "store": p.brand,
        "categories": [c.top, *t_path] if rng.random() > 0.3 else [],
        "details": details,
        "parent_asin": p.asin,
        "bought_together": None,
    }
