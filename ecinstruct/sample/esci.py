"""ESCI Shopping Queries files: examples and products Parquet, the published columns and types.

A query is built from a product's attributes ("nexora wireless mouse", "black wireless mouse",
"wireless mouse for gaming"). Its judged products are labelled by rule: E satisfies every
constraint of the query, S is the same product type failing one (other brand or attribute
value), C is a complementary type (an accessory), I is unrelated. Most rows are locale "us";
a few queries are "es" or "jp". About 65% of queries are in the small version; 3/4 of queries
are in the train split.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pyarrow as pa

from ecinstruct.sample.catalog import Catalog, Product
from ecinstruct.sample.sinks import ParquetSink, Progress
from ecinstruct.sample.vocab import CATEGORIES, LOCALE_COLORS, TYPE_INDEX, TYPES

EXAMPLES_SCHEMA = pa.schema(
    [
        ("example_id", pa.int64()),
        ("query", pa.string()),
        ("query_id", pa.int64()),
        ("product_id", pa.string()),
        ("product_locale", pa.string()),
        ("esci_label", pa.string()),
        ("small_version", pa.int64()),
        ("large_version", pa.int64()),
        ("split", pa.string()),
    ]
)
PRODUCTS_SCHEMA = pa.schema(
    [
        (name, pa.string())
        for name in (
            "product_id",
            "product_title",
            "product_description",
            "product_bullet_point",
            "product_brand",
            "product_color",
            "product_locale",
        )
    ]
)
LOCALES = ("us", "es", "jp")
QUERY_CHUNK = 2_000
UNKNOWN_LABEL = "X"  # the deliberately invalid label injected into the default sample


class Pool:
    """The judged products: part shared 2018 ASINs, part ESCI-only, each with a locale."""

    def __init__(self, shared: Catalog, n_shared: int, own: Catalog, rng: np.random.Generator):
        n_shared = min(n_shared, shared.n)
        self.src = [(shared, int(i)) for i in rng.choice(shared.n, n_shared, replace=False)]
        self.src += [(own, i) for i in range(own.n)]
        n = len(self.src)
        self.type = np.array([c.type[i] for c, i in self.src], dtype=np.int64)
        self.brand = np.array([c.brand[i] for c, i in self.src], dtype=np.int64)
        self.vals = np.array([c.vals[i] for c, i in self.src], dtype=np.int64)
        self.model = np.array([c.model[i] for c, i in self.src], dtype=np.int64)
        # Only ESCI-only products get non-US locales (a shared ASIN is a US listing).
        u = rng.random(n)
        loc = np.where(u < 0.9, 0, np.where(u < 0.95, 1, 2))
        loc[:n_shared] = 0
        self.locale = loc
        self.of_locale = [np.flatnonzero(loc == k) for k in range(len(LOCALES))]
        key = loc * len(TYPES) + self.type
        self.order = np.argsort(key, kind="stable")
        counts = np.bincount(key, minlength=len(LOCALES) * len(TYPES))
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.count = counts

    def group(self, locale: int, type_index: int) -> np.ndarray:
        k = locale * len(TYPES) + type_index
        return self.order[self.start[k] : self.start[k] + self.count[k]]

    def asin(self, j: int) -> str:
        c, i = self.src[j]
        return str(c.asins[i])

    def product(self, j: int) -> Product:
        c, i = self.src[j]
        return c.product(i)


def write(
    folder: Path, pool: Pool, n_queries: int, seed: int, progress: Progress, dirty: bool
) -> dict[str, str]:
    names = {
        "examples": "shopping_queries_dataset_examples.parquet",
        "products": "shopping_queries_dataset_products.parquet",
    }
    rng = np.random.default_rng([seed, 33])
    example_id = 0
    seen: set[str] = set()
    injected = False
    targets = Targets(pool, rng)
    with ParquetSink(folder / names["examples"], EXAMPLES_SCHEMA, progress) as sink:
        for first in range(0, n_queries, QUERY_CHUNK):
            py = random.Random(f"{seed}:esci:{first}")
            cols: dict[str, list] = {f.name: [] for f in EXAMPLES_SCHEMA}
            for qid in range(first, min(first + QUERY_CHUNK, n_queries)):
                # Query strings are unique: a repeated attribute query is replaced by a
                # model-number query, which is all but unique (large scales lean on these).
                loc, target = targets.next(py)
                query, judged = _query(pool, loc, target, py)
                if query in seen:
                    query, judged = _query(pool, loc, target, py, by_model=True)
                seen.add(query)
                small = int(py.random() < 0.65)
                split = "train" if py.random() < 0.75 else "test"
                for j, label in judged:
                    # One US row (non-US rows are out of scope for loaders) gets a bad label.
                    if dirty and not injected and example_id >= 3 and pool.locale[j] == 0:
                        label, injected = UNKNOWN_LABEL, True
                    cols["example_id"].append(example_id)
                    cols["query"].append(query)
                    cols["query_id"].append(qid)
                    cols["product_id"].append(pool.asin(j))
                    cols["product_locale"].append(LOCALES[pool.locale[j]])
                    cols["esci_label"].append(label)
                    cols["small_version"].append(small)
                    cols["large_version"].append(1)
                    cols["split"].append(split)
                    example_id += 1
            sink.write(cols)
    _write_products(folder / names["products"], pool, seed, progress)
    return names


class Targets:
    """Query targets per locale: passes over a shuffled pool, so products take turns."""

    def __init__(self, pool: Pool, rng: np.random.Generator):
        self._pool, self._rng = pool, rng
        self._queue: list[list[int]] = [[] for _ in LOCALES]

    def next(self, py: random.Random) -> tuple[int, int]:
        loc = 0 if py.random() < 0.9 else py.choice([1, 2])
        if not self._pool.of_locale[loc].size:
            loc = 0
        if not self._queue[loc]:
            self._queue[loc] = self._rng.permutation(self._pool.of_locale[loc]).tolist()[::-1]
        return loc, self._queue[loc].pop()


def _query(pool: Pool, loc: int, target: int, py: random.Random, by_model: bool = False):
    """(query, [(pool index, label)]) for one query; `by_model` asks for a model number."""
    ci, t = TYPES[pool.type[target]]
    brand = CATEGORIES[ci].brands[pool.brand[target]].lower()
    members = pool.group(loc, int(pool.type[target]))
    slot, slot2 = py.sample(range(len(t.attrs)), 2) if len(t.attrs) > 1 else (0, 0)
    value = t.attrs[slot][1][pool.vals[target, slot]]
    value2 = t.attrs[slot2][1][pool.vals[target, slot2]]
    name = t.name.lower()
    form = 6 if by_model else py.randrange(6 if slot != slot2 else 5)
    model = f"{brand[:2]}-{pool.model[target]}"
    if loc and by_model:
        query = f"{brand} {model}"
    elif loc:  # non-US queries: a brand query, or the type with a colour in the locale's words
        colour = LOCALE_COLORS[LOCALES[loc]].get(value.split()[-1])
        form = 1 if colour and form else 0
        query = f"{name} {colour}" if form else f"{brand} {name}"
    else:
        query = (
            f"{brand} {name}",
            f"{value} {name}",
            f"{name} {value}",
            f"{brand} {name} {value}",
            f"{name} for {py.choice(t.uses)}",
            f"{value} {name} {value2}",
            f"{brand} {model} {name}",
        )[form].lower()
    # E satisfies every constraint the query states, S is the same type failing one.
    ok = np.ones(members.size, dtype=bool)
    if form in (0, 3, 6):
        ok &= pool.brand[members] == pool.brand[target]
    if form in (1, 2, 3, 5):
        ok &= pool.vals[members, slot] == pool.vals[target, slot]
    if form == 5:
        ok &= pool.vals[members, slot2] == pool.vals[target, slot2]
    if form == 6:
        ok &= pool.model[members] == pool.model[target]
    judged = [(target, "E")]
    judged += [(j, "E") for j in _some(members[ok & (members != target)], py.randint(1, 5), py)]
    judged += [(j, "S") for j in _some(members[~ok], py.randint(1, 4), py)]
    comps = [g for c in t.complements if (g := TYPE_INDEX.get((ci, c))) is not None]
    for _ in range(py.randint(0, 2)):
        group = pool.group(loc, py.choice(comps))
        if group.size:
            judged.append((int(group[py.randrange(group.size)]), "C"))
    for _ in range(py.randint(1, 3)):
        group = pool.group(loc, py.choice(_OTHER_TYPES[ci]))
        if group.size:
            judged.append((int(group[py.randrange(group.size)]), "I"))
    judged = list(dict(judged).items())  # one label per product (first wins)
    py.shuffle(judged)
    return query, judged


def _some(candidates: np.ndarray, k: int, py: random.Random) -> list[int]:
    """Up to k distinct candidates (sampling positions keeps this O(k) on big groups)."""
    return [int(candidates[x]) for x in py.sample(range(candidates.size), min(k, candidates.size))]


_OTHER_TYPES = [[g for g, (c2, _) in enumerate(TYPES) if c2 != ci] for ci in range(len(CATEGORIES))]


def _write_products(path: Path, pool: Pool, seed: int, progress: Progress) -> None:
    with ParquetSink(path, PRODUCTS_SCHEMA, progress) as sink:
        for first in range(0, len(pool.src), QUERY_CHUNK * 5):
            py = random.Random(f"{seed}:esci-products:{first}")
            cols: dict[str, list] = {f.name: [] for f in PRODUCTS_SCHEMA}
            for j in range(first, min(first + QUERY_CHUNK * 5, len(pool.src))):
                p = pool.product(j)
                loc = LOCALES[pool.locale[j]]
                colour = next((v for a, v in p.attrs if a in ("Color", "Shade")), None)
                title = p.title
                if loc != "us" and colour:
                    local = LOCALE_COLORS[loc].get(colour.split()[-1])
                    title = f"{p.brand} {p.type_name} - {local or colour}"
                description = None
                if py.random() < 0.5:
                    description = " ".join(p.description)
                    if py.random() < 0.2:
                        description = f"<p>{description}</p><br>"
                cols["product_id"].append(p.asin)
                cols["product_title"].append(title)
                cols["product_description"].append(description)
                cols["product_bullet_point"].append(
                    "\n".join(p.features) if py.random() < 0.85 else None
                )
                cols["product_brand"].append(p.brand if py.random() < 0.95 else None)
                cols["product_color"].append(colour)
                cols["product_locale"].append(loc)
            sink.write(cols)
