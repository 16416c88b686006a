"""A product catalogue as compact numpy arrays, rendered to text on demand.

Products are integer codes (type, brand, attribute values, model number, price, latent quality),
so a catalogue of half a million products costs a few tens of megabytes and any source can
re-render the same product's title, features and description without keeping texts around.
Relations (also bought, also viewed, similar) are index arrays drawn with product semantics:
also-bought partners are complementary types, also-viewed partners are the same type from
another brand, similar items are the same type and brand (a product line).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecinstruct.sample import ids, phrases
from ecinstruct.sample.vocab import (
    CATEGORIES,
    MAX_SLOTS,
    N_BRANDS,
    TYPE_INDEX,
    TYPES,
    Category,
)

N_BUY, N_VIEW, N_SIMILAR = 6, 6, 4


@dataclass(frozen=True)
class Product:
    asin: str
    category: Category
    type_name: str
    brand: str
    model: str
    attrs: list[tuple[str, str]]
    title: str
    features: list[str]
    description: list[str]
    price: float


class Catalog:
    def __init__(self, n: int, ns: int, seed: int, rng: np.random.Generator):
        self.n, self.ns, self.seed = n, ns, seed
        n_cats = len(CATEGORIES)
        cat = rng.integers(0, n_cats, n)
        per_cat = np.array([len(c.types) for c in CATEGORIES])
        first = np.concatenate([[0], np.cumsum(per_cat)[:-1]])
        self.type = (first[cat] + rng.integers(0, 1 << 30, n) % per_cat[cat]).astype(np.int16)
        self.cat = cat.astype(np.int8)
        self.brand = rng.integers(0, N_BRANDS, n).astype(np.int16)
        slot_len = np.array(
            [
                [len(t.attrs[s][1]) if s < len(t.attrs) else 0 for s in range(MAX_SLOTS)]
                for _, t in TYPES
            ]
        )[self.type]
        raw = rng.integers(0, 1 << 30, (n, MAX_SLOTS))
        self.vals = np.where(slot_len > 0, raw % np.maximum(slot_len, 1), -1).astype(np.int16)
        self.model = rng.integers(100, 1000, n).astype(np.int16)
        lo_hi = np.array([t.price for _, t in TYPES])[self.type]
        self.price = np.floor(lo_hi[:, 0] + rng.random(n) * (lo_hi[:, 1] - lo_hi[:, 0])) + 0.99
        self.quality = rng.normal(0.0, 0.8, n).astype(np.float32)
        self.salt = rng.integers(0, 1 << 31, n).astype(np.int64)
        # Which texts the 2018 metadata leaves empty ("description": [], "feature": []). A
        # property of the product, so MAVE paragraphs (cleaned from that metadata) agree.
        self.meta_gaps = rng.random((n, 2)) < np.array([0.2, 0.15])
        self.asins = ids.asins(ns, np.arange(n), seed)
        self._rows = None
        # Popularity: a skewed weight per product, normalised within its category.
        self.weight = 1.0 / (rng.permutation(n) % max(n // n_cats, 1) + 15.0) ** 0.8
        self._groups()

    def _groups(self) -> None:
        """Offsets of products grouped by type and by (type, brand), for vectorised sampling."""
        self.by_type = np.argsort(self.type, kind="stable")
        counts = np.bincount(self.type, minlength=len(TYPES))
        self.type_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.type_count = counts
        key = self.type.astype(np.int64) * N_BRANDS + self.brand
        self.by_line = np.argsort(key, kind="stable")
        counts = np.bincount(key, minlength=len(TYPES) * N_BRANDS)
        self.line_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.line_count = counts
        self.cat_members = [np.flatnonzero(self.cat == c) for c in range(len(CATEGORIES))]
        self.cat_cdf = []
        for members in self.cat_members:
            w = np.cumsum(self.weight[members])
            self.cat_cdf.append(w / w[-1] if w.size else w)

    # -- sampling ---------------------------------------------------------------------------
    def of_type(self, types: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random product of each requested type (-1 where the type has no product)."""
        types = np.asarray(types, dtype=np.int64)
        cnt = self.type_count[types]
        pick = rng.integers(0, 1 << 30, types.size) % np.maximum(cnt, 1)
        out = self.by_type[np.minimum(self.type_start[types] + pick, self.n - 1)]
        return np.where(cnt > 0, out, -1)

    def popular(self, cats: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One popularity-weighted product of each requested category."""
        cats = np.asarray(cats)
        out = np.empty(cats.size, dtype=np.int64)
        u = rng.random(cats.size)
        for c in range(len(CATEGORIES)):
            sel = cats == c
            if not sel.any():
                continue
            members = self.cat_members[c]
            if members.size:
                pos = np.searchsorted(self.cat_cdf[c], u[sel])
                out[sel] = members[np.minimum(pos, members.size - 1)]
            else:  # a tiny catalogue may miss a category: any product will do
                out[sel] = (u[sel] * self.n).astype(np.int64)
        return out

    def complement_types(self, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        comp = _COMPLEMENTS[self.type[idx]]
        k = (comp >= 0).sum(axis=1)
        return comp[np.arange(idx.size), rng.integers(0, 1 << 30, idx.size) % k]

    def relations(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """also_buy / also_view / similar index arrays, shape (n, k); -1 marks no partner."""
        n, idx = self.n, np.arange(self.n)
        buy = np.stack(
            [self.of_type(self.complement_types(idx, rng), rng) for _ in range(N_BUY)], 1
        )
        view = np.stack([self._other_brand(idx, rng) for _ in range(N_VIEW)], 1)
        line = self.type.astype(np.int64) * N_BRANDS + self.brand
        cnt = self.line_count[line]
        sim = []
        for _ in range(N_SIMILAR):
            pick = self.by_line[self.line_start[line] + rng.integers(0, 1 << 30, n) % cnt]
            sim.append(np.where((pick != idx) & (cnt > 1), pick, -1))
        return {"also_buy": buy, "also_view": view, "similar": np.stack(sim, 1)}

    def _other_brand(self, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = self.of_type(self.type[idx], rng)
        for _ in range(4):  # redraw same-brand picks; what remains after 4 tries is dropped
            bad = (out >= 0) & (self.brand[np.maximum(out, 0)] == self.brand[idx])
            if not bad.any():
                break
            out[bad] = self.of_type(self.type[idx[bad]], rng)
        bad = (out >= 0) & (self.brand[np.maximum(out, 0)] == self.brand[idx])
        return np.where(bad, -1, out)

    # -- rendering --------------------------------------------------------------------------
    def _lists(self) -> None:
        # Per-row rendering reads plain Python values: numpy scalar access dominates otherwise.
        if self._rows is None:
            self._rows = list(
                zip(
                    self.type.tolist(),
                    self.brand.tolist(),
                    self.vals.tolist(),
                    self.model.tolist(),
                    self.salt.tolist(),
                    self.price.tolist(),
                    strict=True,
                )
            )

    def type_name(self, i: int) -> str:
        self._lists()
        return TYPES[self._rows[i][0]][1].name

    def attrs(self, i: int) -> list[tuple[str, str]]:
        self._lists()
        typ, _, vals, *_ = self._rows[i]
        return [(name, values[vals[s]]) for s, (name, values) in enumerate(TYPES[typ][1].attrs)]

    def product(self, i: int) -> Product:
        self._lists()
        typ, brand_i, _, model_n, salt, price = self._rows[i]
        ci, t = TYPES[typ]
        cat = CATEGORIES[ci]
        brand = cat.brands[brand_i]
        attrs = self.attrs(i)
        model = f"{brand[:2].upper()}-{model_n}"
        use = t.uses[salt % len(t.uses)]
        vals = [v for _, v in attrs]
        # Some titles leave the last attribute to the bullet points only.
        in_title = vals if (salt >> 3) % 10 < 7 or len(vals) < 2 else vals[:-1]
        form = (salt >> 7) % 4
        if form == 0:
            title = f"{brand} {t.name} {model}, " + ", ".join(in_title)
        elif form == 1:
            rest = ", ".join(in_title[1:])
            title = f"{brand} {in_title[0]} {t.name}" + (f" - {rest}" if rest else "")
        elif form == 2:
            title = f"{brand} {t.name} for {_capwords(use)}, " + " / ".join(in_title)
        else:
            title = f"{brand} {model} {t.name} ({', '.join(in_title)})"
        features = []
        for k, (name, v) in enumerate(attrs):
            benefit = phrases.BENEFITS[(salt >> (11 + k)) % len(phrases.BENEFITS)]
            if (salt >> (17 + k)) % 2:
                features.append(f"{name.upper()}: {v}, {benefit}")
            else:
                features.append(f"{v} {name.lower()} - {benefit}")
        generic = phrases.GENERIC_FEATURES[(salt >> 20) % len(phrases.GENERIC_FEATURES)]
        features.append(generic.format(b=brand, use=use))
        name, v = attrs[(salt >> 24) % len(attrs)]
        description = [
            phrases.DESCRIPTIONS[(salt >> 26) % len(phrases.DESCRIPTIONS)].format(
                b=brand, t=t.name.lower(), use=use
            )
            + " "
            + phrases.DESCRIPTION_ATTR[(salt >> 28) % len(phrases.DESCRIPTION_ATTR)].format(
                v=v, a=name.lower()
            )
        ]
        return Product(
            asin=str(self.asins[i]),
            category=cat,
            type_name=t.name,
            brand=brand,
            model=model,
            attrs=attrs,
            title=title,
            features=features,
            description=description,
            price=price,
        )


# Complement type table: (n_types, max complements), -1 padded; types with no complement in
# their category point at themselves so sampling never fails.
_max_c = max(len(t.complements) for _, t in TYPES)
_COMPLEMENTS = np.full((len(TYPES), _max_c), -1, dtype=np.int64)
for _g, (_ci, _t) in enumerate(TYPES):
    _found = [TYPE_INDEX[(_ci, c)] for c in _t.complements if (_ci, c) in TYPE_INDEX] or [_g]
    _COMPLEMENTS[_g, : len(_found)] = _found


def _capwords(text: str) -> str:
    # str.title() would turn "Valentine's" into "Valentine'S".
    return " ".join(w[:1].upper() + w[1:] for w in text.split())
