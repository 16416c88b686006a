"""Near-duplicate search: MinHash signatures of word 3-gram shingles, LSH banding, verification.

Shingles are 3 words long because inputs are short (a review, a query and a title): with 5-word
shingles one changed word in a 60-word review already falls below a 0.9 similarity.

Signatures are datasketch's (https://github.com/ekzhu/datasketch) ``affine32`` MinHash: the
same permutations, pre-mix and values as ``datasketch.MinHash(num_perm, seed)`` fed the same
shingle hashes (a test holds us to that). They are computed for all texts at once with numpy,
and candidate pairs come from a polars group-by on band keys, because a Python call per row
(``MinHash.update`` then ``MinHashLSH.insert``) would dominate a build. The band layout is the
one datasketch's ``MinHashLSH`` picks for the threshold, weighted towards recall: every
candidate pair is verified, first by the signatures' estimated Jaccard similarity, then field by
field for JSON inputs (see `_fields_agree`).
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from quality.text import tokens

NUM_PERM = 128
SEED = 1
SHINGLE = 3  # words per shingle; a text shorter than that is one shingle
THRESHOLD = 0.9
# Missing a near-duplicate costs more than verifying a false candidate pair: with these weights
# datasketch picks 10 bands of 12 rows, which finds 96% of pairs at similarity 0.9.
LSH_WEIGHTS = (0.02, 0.98)


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations h -> a * h + b (mod 2^32) that ``datasketch.MinHash(NUM_PERM,
    SEED, scheme="affine32")`` draws (odd multipliers), drawn the same way here: importing
    datasketch would cost each process most of a second (a test compares the two)."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


# (b, r): bands and rows per band, as datasketch's MinHashLSH chooses them for THRESHOLD,
# NUM_PERM and LSH_WEIGHTS (a test asks it).
BANDS = (10, 12)


def _fmix32(h: np.ndarray) -> np.ndarray:
    # MurmurHash3's finaliser, as datasketch applies it before the affine permutations.
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def shingle_hashes(
    texts: pl.Series, words: pl.Series | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(doc index, 32-bit hash) of every word n-gram shingle of the normalised texts; `words`:
    their `tokens`, when the caller has them."""
    if words is None:
        words = pl.DataFrame({"t": texts}).select(tokens(pl.col("t")))["t"]
    flat = pl.DataFrame({"w": words}).with_row_index("doc").explode("w").drop_nulls("w")
    if flat.is_empty():
        return np.zeros(0, np.int64), np.zeros(0, np.uint32)
    doc = flat["doc"].to_numpy().astype(np.int64)
    # polars' string hash: fast, and stable for a given polars version like the split hashes.
    tok = flat["w"].hash(seed=SEED).to_numpy()
    n = len(tok)
    start = np.r_[0, np.flatnonzero(np.diff(doc)) + 1]
    length = np.diff(np.r_[start, n])
    pos = np.arange(n) - np.repeat(start, length)
    doc_len = np.repeat(length, length)
    keep = (pos + SHINGLE <= doc_len) | ((doc_len < SHINGLE) & (pos == 0))
    h = np.zeros(n, np.uint64)
    with np.errstate(over="ignore"):
        for k in range(SHINGLE):
            shifted = np.zeros(n, np.uint64)
            shifted[: n - k] = tok[k:]
            inside = pos + k < doc_len
            h = h * np.uint64(0x100000001B3) + np.where(inside, shifted, np.uint64(0))
    h = (h ^ (h >> np.uint64(32))).astype(np.uint32)
    return doc[keep], h[keep]


def signatures(texts: pl.Series, words: pl.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MinHash matrix (n x NUM_PERM, uint32) and a mask of texts that have any shingle.

    A text seen by a recent call is not hashed again (see `_Memo`): a build checks a task's
    inputs for near-duplicates, then decontaminates the same inputs, and its suites check them
    once more. `words`: the texts' `tokens`, when the caller has them."""
    return _MEMO.signatures(texts, words)


def _compute(texts: pl.Series, words: pl.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    doc, h = shingle_hashes(texts, words)
    return signatures_of(doc, h, len(texts))


class _Memo:
    """Signatures of the last texts seen, keyed by two independent 64-bit hashes of the text
    (two different texts are taken for one only if both collide). Holds at most `limit`
    texts (512 bytes each), dropping the oldest to make room."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.clear()

    def clear(self) -> None:
        self.keys = pl.DataFrame(schema={"a": pl.UInt64, "b": pl.UInt64})
        self.sig = np.empty((0, NUM_PERM), np.uint32)
        self.has = np.empty(0, bool)

    @staticmethod
    def key_frame(texts: pl.Series) -> pl.DataFrame:
        return pl.DataFrame({"t": texts}).select(
            pl.col("t").hash(seed=11).alias("a"), pl.col("t").hash(seed=12).alias("b")
        )

    def signatures(
        self, texts: pl.Series, words: pl.Series | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        keys = self.key_frame(texts)
        slot = keys.join(
            self.keys.with_row_index("slot"), on=["a", "b"], how="left", maintain_order="left"
        )["slot"]
        known = slot.is_not_null().to_numpy()
        sig = np.empty((len(texts), NUM_PERM), np.uint32)
        has = np.empty(len(texts), bool)
        if known.any():
            slots = slot.filter(slot.is_not_null()).to_numpy()
            sig[known], has[known] = self.sig[slots], self.has[slots]
        new = np.flatnonzero(~known)
        if len(new):
            sig[new], has[new] = _compute(
                texts.gather(new), None if words is None else words.gather(new)
            )
            self._add(keys[new], sig[new], has[new])
        return sig, has

    def _add(self, keys: pl.DataFrame, sig: np.ndarray, has: np.ndarray) -> None:
        first = keys.select(pl.struct("a", "b").is_first_distinct()).to_series().to_numpy()
        keys, sig, has = keys.filter(pl.Series(first)), sig[first], has[first]  # once per text
        if len(has) > self.limit:
            return
        keep = min(len(self.has), self.limit - len(has))  # the newest of the old
        start = len(self.has) - keep
        self.keys = pl.concat([self.keys[start:], keys])
        self.sig = np.concatenate([self.sig[start:], sig])
        self.has = np.concatenate([self.has[start:], has])


_MEMO = _Memo()


def export(texts: pl.Series) -> dict[str, np.ndarray]:
    """The signatures of `texts` as arrays for another process to `remember`: a build's task
    worker hands back those of its records, which the build's suites check again."""
    sig, has = signatures(texts)
    keys = _Memo.key_frame(texts)
    return {"a": keys["a"].to_numpy(), "b": keys["b"].to_numpy(), "sig": sig, "has": has}


def remember(saved: dict[str, np.ndarray]) -> None:
    """Add signatures from `export` (in another process) to the ones remembered here."""
    keys = pl.DataFrame({"a": saved["a"], "b": saved["b"]}, schema={"a": pl.UInt64, "b": pl.UInt64})
    new = keys.with_row_index("i").join(_MEMO.keys, on=["a", "b"], how="anti")["i"].to_numpy()
    _MEMO._add(keys[new], saved["sig"][new], saved["has"][new])


def forget() -> None:
    """Let go of the remembered signatures (a build calls this when its checks are done)."""
    _MEMO.clear()


def signatures_of(doc: np.ndarray, h: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """MinHash matrix from (doc index, shingle hash) pairs sorted by doc index."""
    a, b = _permutations()
    sig = np.full((n, NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    has = np.zeros(n, bool)
    if not len(doc):
        return sig, has
    starts = np.r_[0, np.flatnonzero(np.diff(doc)) + 1]
    ends = np.r_[starts[1:], len(doc)]
    docs = doc[starts]
    has[docs] = True
    mixed = _fmix32(h)
    by_perm = np.empty((NUM_PERM, len(docs)), np.uint32)

    # Every permutation over a piece of whole documents (about PIECE shingles) before the next
    # piece: the piece and its permuted copy stay in the CPU's cache for all 128 passes. One
    # permutation at a time over all the shingles ran from memory: three times the CPU time
    # on 24 million shingles. numpy lets go of the GIL inside each call, so pieces are shared
    # among threads when the process has the cores.
    marks = np.arange(PIECE, len(doc), PIECE)
    cuts = np.unique(np.r_[np.searchsorted(ends, marks, side="left") + 1, len(docs)])
    pieces = list(zip(np.r_[0, cuts[:-1]], cuts, strict=True))

    def run(mine: list[tuple[int, int]]) -> None:
        with np.errstate(over="ignore"):
            for first, stop in mine:
                lo, hi = starts[first], ends[stop - 1]
                piece, tmp, offsets = (
                    mixed[lo:hi],
                    np.empty(hi - lo, np.uint32),
                    starts[first:stop] - lo,
                )
                for k in range(NUM_PERM):
                    np.multiply(piece, a[k], out=tmp)
                    np.add(tmp, b[k], out=tmp)
                    np.minimum.reduceat(tmp, offsets, out=by_perm[k, first:stop])

    workers = min(_workers(len(mixed)), len(pieces))
    if workers == 1:
        run(pieces)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, [pieces[i::workers] for i in range(workers)]))
    sig[docs] = by_perm.T
    return sig, has


# Shingles per piece in `signatures_of`: the piece and its permuted copy (2 MB) stay in cache.
PIECE = 1 << 18


def _workers(n_shingles: int) -> int:
    """Threads for the signatures: one per core this process may run on (a build's task
    process is pinned to one while the other runs) and polars may use; none for small
    inputs."""
    if n_shingles < 2 * PIECE:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(pl.thread_pool_size(), cores or 1, 8))


def _band_keys(sig: np.ndarray, rows: np.ndarray) -> pl.DataFrame:
    """One row per (text, band): the band's key; `rows` are the texts' ids."""
    b, r = BANDS
    frames = []
    for band in range(b):
        part = sig[:, band * r : (band + 1) * r].astype(np.uint64)
        # FNV-style fold of the band's values; a rare collision only adds a pair to verify.
        k = np.full(len(part), 0xCBF29CE484222325, np.uint64)
        with np.errstate(over="ignore"):
            for c in range(r):
                k = (k ^ part[:, c]) * np.uint64(0x100000001B3)
        frames.append(pl.DataFrame({"row": rows, "band": band, "key": k}))
    return pl.concat(frames) if frames else pl.DataFrame()


def similarity(sig: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of row pairs."""
    return (sig[left] == sig[right]).mean(axis=1) if len(left) else np.zeros(0)


def _shingle_set(text: str) -> frozenset[str]:
    words = re.sub(r"[\W_]+", " ", text.lower()).split()
    if len(words) <= SHINGLE:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def _fields(text: str) -> dict[str, frozenset[str]]:
    """Shingles per top-level field of a JSON object text; one field for any other text."""
    obj = None
    if text[:1] == "{":
        try:
            obj = json.loads(text)
        except ValueError:
            pass
    if not isinstance(obj, dict):
        return {"": _shingle_set(text)}
    return {
        k: _shingle_set(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
        for k, v in obj.items()
    }


def _fields_agree(a: str, b: str, threshold: float) -> bool:
    """Every field of `a` is a near-duplicate of the same field of `b` (exact Jaccard).

    Inputs often pair a short distinguishing part with long shared context (a question and the
    product's review snippets): two different questions about one product are not duplicates,
    though their whole texts are 95% alike.
    """
    fa, fb = _fields(a), _fields(b)
    if fa.keys() != fb.keys():
        return False
    return all(len(fa[k] & fb[k]) >= threshold * len(fa[k] | fb[k]) for k in fa)


def _verify(texts: list[str], sig: np.ndarray, left, right, threshold: float) -> np.ndarray:
    """Candidate pairs that are near-duplicates: by signature, then field by field."""
    ok = similarity(sig, left, right) >= threshold
    for i in np.flatnonzero(ok):
        ok[i] = _fields_agree(texts[left[i]], texts[right[i]], threshold)
    return ok


def near_duplicates(
    texts: pl.Series, threshold: float = THRESHOLD, words: pl.Series | None = None
) -> tuple[np.ndarray, dict]:
    """Indices of texts to drop: all but the first (lowest index) of each near-duplicate cluster.

    Clusters are connected components of verified pairs, so a chain a~b~c keeps only a.
    `words`: the texts' `tokens`, when the caller has them.
    """
    n = len(texts)
    sig, has = signatures(texts, words)
    rows = np.flatnonzero(has)
    keys = _band_keys(sig[rows], rows)
    if keys.is_empty():
        return np.zeros(0, np.int64), {"candidate_pairs": 0, "verified_pairs": 0}
    # Within each bucket, pair every text with the bucket's first and with its predecessor:
    # linear in the bucket size, and enough to connect a cluster of near-identical texts.
    keys = keys.sort("band", "key", "row")
    row = keys["row"].to_numpy()
    band = keys["band"].to_numpy()
    key = keys["key"].to_numpy()
    same = np.r_[False, (band[1:] == band[:-1]) & (key[1:] == key[:-1])]
    first = row[np.maximum.accumulate(np.where(same, 0, np.arange(len(row))))]
    prev = np.r_[row[:1], row[:-1]]
    pairs = (
        pl.DataFrame({"row": np.r_[row[same], row[same]], "other": np.r_[first[same], prev[same]]})
        .filter(pl.col("other") != pl.col("row"))
        .unique()
        .sort("row", "other")
    )
    left = pairs["row"].to_numpy()
    right = pairs["other"].to_numpy()
    ok = _verify(texts.to_list(), sig, left, right, threshold)
    n_candidates = len(left)
    left, right = left[ok], right[ok]
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    first = np.full(label.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, label, np.arange(n))
    drop = np.flatnonzero((first[label] != np.arange(n)) & has)
    return drop, {"candidate_pairs": n_candidates, "verified_pairs": int(ok.sum())}


def matches_of(
    queries: pl.Series, references: pl.Series, threshold: float = THRESHOLD
) -> np.ndarray:
    """For each query text, the index of its most similar near-duplicate among `references`
    (lowest index on ties), or -1 when it has none."""
    nq = len(queries)
    texts = pl.concat([queries, references])
    sig, has = signatures(texts)
    rows = np.flatnonzero(has)
    keys = _band_keys(sig[rows], rows)
    ref = np.full(nq, -1, np.int64)
    if keys.is_empty():
        return ref
    q = keys.filter(pl.col("row") < nq)
    r = keys.filter(pl.col("row") >= nq)
    pairs = q.join(r, on=["band", "key"], suffix="_ref").select("row", "row_ref").unique()
    left = pairs["row"].to_numpy()
    right = pairs["row_ref"].to_numpy()
    sim = similarity(sig, left, right)
    ok = _verify(texts.to_list(), sig, left, right, threshold)
    best = (
        pl.DataFrame({"q": left[ok], "ref": right[ok] - nq, "sim": sim[ok]})
        .sort("q", "sim", "ref", descending=[False, True, False])
        .unique("q", keep="first")
    )
    ref[best["q"].to_numpy()] = best["ref"].to_numpy()
    return ref
