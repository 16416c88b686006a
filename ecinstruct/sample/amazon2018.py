"""Amazon Review Data (2018) files: reviews (JSON lines, gzip) and metadata (JSON lines).

Field names, key order and value styles follow the published dump: `reviewTime` "MM D, YYYY",
`vote` a string with thousands separators, optional `style` and `image`, metadata with empty
strings and lists for missing values, prices as "$x" or "", HTML fragments in a few `category`,
`main_cat`, `description` and `similar_item` values, and related ASINs that have no metadata row.

`similar_item` is "" or a list of ASINs for most products and, for a quarter of those with
similar items, the HTML comparison table of the published dump (its `/dp/<ASIN>` links name
the similar products).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
from pathlib import Path

import numpy as np

from ecinstruct.sample import histories, ids, phrases
from ecinstruct.sample.catalog import Catalog
from ecinstruct.sample.sinks import Progress, TextSink

USER_CHUNK = 4_000
META_CHUNK = 5_000
WINDOW = (dt.date(2010, 1, 1).toordinal(), dt.date(2018, 9, 30).toordinal())
_EPOCH = dt.date(1970, 1, 1).toordinal()
_IMG = "https://images-na.ssl-images-amazon.com/images/I/{}._SY88.jpg"
_NAV_IMG = (
    '<img src="https://images-na.ssl-images-amazon.com/images/G/01/nav2/images/gui/'
    'amazon-fashion-store-new._CB520838675_.png" class="nav-categ-image" alt="{}"/>'
)
# Deliberately broken line: valid prefix of a review object, cut off mid-value.
MALFORMED_LINE = (
    '{"overall": 5.0, "verified": true, "reviewTime": "03 4, 2016", "reviewerID": "AXXX'
)


def write_reviews(
    path: Path,
    cat: Catalog,
    rel: dict[str, np.ndarray],
    n_users: int,
    seed: int,
    progress: Progress,
    dirty: bool,
) -> int:
    rng = np.random.default_rng([seed, 2018, 1])
    with TextSink(path, progress) as out:
        for first in range(0, n_users, USER_CHUNK):
            size = min(USER_CHUNK, n_users - first)
            ch = histories.chunk(cat, rel, first, size, rng, WINDOW)
            uids = ids.reviewer_ids(np.arange(first, first + size), seed).tolist()
            names = [phrases.reviewer_name(u) for u in rng.random((size, 4)).tolist()]
            draws = rng.random((ch.item.size, 16)).tolist()
            facts: dict[int, tuple] = {}
            rows = zip(
                ch.user.tolist(),
                ch.item.tolist(),
                ch.rating.tolist(),
                ch.day.tolist(),
                draws,
                strict=True,
            )
            for k, (user, item, rating, day, u) in enumerate(rows):
                if item not in facts:
                    facts[item] = _facts(cat, item)
                summary_blank = dirty and first == 0 and k == 11
                if dirty and first == 0 and k == 7:
                    out.line(MALFORMED_LINE)
                out.line(
                    _review_line(
                        facts[item],
                        rating,
                        day,
                        uids[user - first],
                        names[user - first],
                        u,
                        summary_blank,
                    )
                )
        return out.rows


def _facts(cat: Catalog, i: int) -> tuple:
    """What a review needs to know about a product: ASIN, type, colour, first/last attribute."""
    attrs = cat.attrs(i)
    colour = next((v for a, v in attrs if a in ("Color", "Shade")), None)
    return str(cat.asins[i]), cat.type_name(i), colour, attrs[0], attrs[-1]


def _review_line(
    facts: tuple, rating: int, day: int, uid: str, name: str, u: list[float], blank: bool
) -> str:
    """One review as a JSON line, assembled directly (json.dumps per row costs too much at
    millions of rows); free text goes through the JSON string encoder."""
    asin, type_name, colour, (a0, v0), (a1, v1) = facts
    text, summary = phrases.review(u, rating, type_name, (colour or "design").lower())
    if colour is None and u[9] < 0.5:
        # Mention the product's defining attribute so reviews talk about real attributes.
        text += f" I went with the {v0} {a0.lower()}."
    if blank:  # the deliberately empty review
        text = summary = ""
    date = dt.date.fromordinal(day)
    parts = ["{"]
    if u[10] < 0.01:
        n_img = 1 + int(u[11] * 3)
        parts.append(
            '"image": ' + json.dumps([_IMG.format(_token(u[12], j)) for j in range(n_img)]) + ", "
        )
    parts.append(f'"overall": {rating}.0, ')
    if u[13] < 0.12:
        votes = int(2 + 1 / (1 - u[14]) ** (1 / 0.9) - 1)  # Pareto tail: some in the thousands
        parts.append(f'"vote": "{votes:,}", ')
    verified = "true" if u[15] < 0.9 else "false"
    parts.append(
        f'"verified": {verified}, "reviewTime": "{date.month:02d} {date.day}, {date.year}", '
        f'"reviewerID": "{uid}", "asin": "{asin}", '
    )
    if u[11] < 0.35:
        parts.append(f'"style": {{{_str(a1 + ":")}: {_str(" " + v1)}}}, ')
    parts.append(
        f'"reviewerName": {_str(name)}, "reviewText": {_str(text)}, "summary": {_str(summary)}, '
        f'"unixReviewTime": {(day - _EPOCH) * histories.DAY}}}'
    )
    return "".join(parts)


_str = json.encoder.encode_basestring_ascii


_TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"


def _token(u: float, salt: int) -> str:
    """An image-id-like token from one uniform draw."""
    x = int(u * 2**52) + salt * 7919
    out = []
    for _ in range(11):
        x, r = divmod(x * 31 + 17, len(_TOKEN))
        out.append(_TOKEN[r])
    return "".join(out)


def write_meta(
    path: Path, cat: Catalog, rel: dict[str, np.ndarray], seed: int, progress: Progress
) -> int:
    dangling = ids.asins(ids.NS_DANGLING, np.arange(max(cat.n // 20, 1)), seed)
    with TextSink(path, progress) as out:
        for first in range(0, cat.n, META_CHUNK):
            rng = random.Random(f"{seed}:2018:meta:{first}")
            for i in range(first, min(first + META_CHUNK, cat.n)):
                out.line(json.dumps(_meta(cat, rel, i, rng, dangling)))
        return out.rows


def _links(cat: Catalog, row: np.ndarray, k: int, rng: random.Random, dangling) -> list[str]:
    out = [str(cat.asins[j]) for j in row[:k] if j >= 0]
    if out and rng.random() < 0.05:
        out.append(str(dangling[rng.randrange(len(dangling))]))
    return list(dict.fromkeys(out))


def _meta(cat: Catalog, rel, i: int, rng: random.Random, dangling) -> dict:
    p = cat.product(i)
    c = p.category
    t_path = next(t.path for t in c.types if t.name == p.type_name)
    category = [c.top, *t_path]
    if rng.random() < 0.03:
        category.append("</span></span></span>")
    main_cat = (
        c.main_cat if rng.random() > 0.02 else _NAV_IMG.format(html.escape(c.main_cat.upper()))
    )
    no_description, no_features = cat.meta_gaps[i]
    description = [] if no_description else list(p.description)
    if description and rng.random() < 0.06:
        description = [f"<p>{d}</p><br>" for d in description]
    title = html.escape(p.title, quote=False) if rng.random() < 0.5 else p.title
    n_buy = rng.choice([0, 0, 2, 3, 4, 6])
    n_view = rng.choice([0, 3, 4, 5, 6])
    similar = [int(j) for j in rel["similar"][i] if j >= 0][: rng.choice([0, 0, 2, 4])]
    weight = round(rng.uniform(0.2, 12.0), 1)
    details = {
        "\n    Product Dimensions: \n    ": f"{rng.randint(2, 30)} x {rng.randint(2, 20)} x "
        f"{rng.randint(1, 10)} inches ; {weight} pounds",
        "Shipping Weight:": f"{weight} pounds",
        "ASIN: ": p.asin,
        "Item model number:": p.model,
    }
    return {
        "category": category,
        "tech1": "",
        "description": description,
        "fit": "",
        "title": title,
        "also_buy": _links(cat, rel["also_buy"][i], n_buy, rng, dangling),
        "tech2": "",
        "brand": p.brand if rng.random() > 0.12 else "",
        "feature": [] if no_features else list(p.features),
        "rank": _rank(c.top, t_path[-1], rng),
        "also_view": _links(cat, rel["also_view"][i], n_view, rng, dangling),
        "details": details,
        "main_cat": main_cat,
        "similar_item": _similar(cat, similar, rng),
        "date": ""
        if rng.random() > 0.05
        else dt.date(2008 + rng.randrange(10), rng.randint(1, 12), rng.randint(1, 28)).strftime(
            "%B %d, %Y"
        ),
        "price": "" if rng.random() < 0.4 else f"${p.price:,.2f}",
        "asin": p.asin,
        "imageURL": [_IMG.format(_token(rng.random(), 0))] if rng.random() < 0.6 else [],
        "imageURLHighRes": [],
    }


def _rank(top: str, leaf: str, rng: random.Random):
    r = rng.randrange(1, 2_000_000)
    form = rng.random()
    if form < 0.45:
        return f"{r:,} in {top} ("
    if form < 0.9:
        return [
            f">#{r:,} in {top} (See Top 100 in {top})",
            f">#{rng.randrange(1, 5000):,} in {leaf}",
        ]
    return []


def _similar(cat: Catalog, items: list[int], rng: random.Random):
    """`similar_item`: "" when none; else a list of ASINs, or (a quarter of the time) the
    comparison-table HTML most of the published dump carries, whose links name the ASINs."""
    if not items:
        return ""
    if rng.random() < 0.25:
        return _similar_html(cat, items)
    return [str(cat.asins[j]) for j in items]


def _similar_html(cat: Catalog, items: list[int]) -> str:
    """The comparison-table fragment the 2018 dump stores in `similar_item`."""
    cells = []
    for j in items:
        a, title = cat.asins[j], html.escape(cat.product(j).title)
        cells.append(
            '<th class="comparison_image_title_cell" role="columnheader">\n'
            '<div class="a-row a-spacing-top-micro"><center>'
            f'<img alt="{title}" height="160" width="120"></center></div>\n'
            f'<div class="a-row a-spacing-top-small"><a class="a-link-normal" href="/dp/{a}/'
            f'ref=psdc_1_t1_{a}">{title}</a></div></th>'
        )
    return (
        ' class="a-bordered a-horizontal-stripes  a-spacing-extra-large a-size-base '
        'comparison_table">\n<tr class="comparison_table_image_row">\n'
        '<td class="comparision_table_first_col"></td>\n' + "\n".join(cells) + "\n</tr>"
    )
