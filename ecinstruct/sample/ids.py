"""Identifier spaces: ASINs, reviewer ids, numeric ids; unique by construction.

An id is a bijection of (namespace, index): index + namespace offset, times an odd multiplier
coprime to the modulus, plus a seed-dependent shift, modulo 36**k. No two (namespace, index)
pairs ever collide, so sources that share an index share the ASIN, and no bookkeeping set is
needed when generating millions of ids in chunks.
"""

from __future__ import annotations

import numpy as np

_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_NS_STRIDE = 10**9  # indices per namespace; more than any scale needs

# Namespaces: one per catalogue so e.g. ESCI-only products never reuse an Amazon 2018 ASIN.
NS_AMAZON_2018 = 0
NS_AMAZON_2023 = 1
NS_ESCI = 2
NS_AMAZONQA = 3
NS_MATCHING = 4
NS_DANGLING = 5  # related ASINs that are listed in meta but have no meta row themselves
NS_OA_MINE = 6  # OA-Mine titles carry no ids; the namespace only separates its catalogue
NS_REVIEWER_2018 = 10
NS_USER_2023 = 11
NS_USER_2023_TAIL = 12


def _base36(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width base-36 strings of non-negative int64 values (vectorised)."""
    v = values.astype(np.int64).copy()
    digits = np.empty((v.size, width), dtype=np.uint8)
    for pos in range(width - 1, -1, -1):
        digits[:, pos] = _ALPHABET[v % 36]
        v //= 36
    return digits.view(f"S{width}").ravel().astype(str)


def _scramble(ns: int, index: np.ndarray, width: int, seed: int) -> np.ndarray:
    modulus = 36**width
    # A multiplier near modulus / golden ratio spreads consecutive indices over the whole
    # space; made odd and not divisible by 3 so it is coprime to 36**k (a bijection).
    mult = int(modulus * 0.6180339887) | 1
    while mult % 3 == 0:
        mult += 2
    shift = (seed * 7_919_931 + ns * 104_729 + 987_654_321_987) % modulus
    # Object dtype keeps the products exact (Python ints); the results fit in int64.
    x = np.asarray(index, dtype=np.int64).astype(object) + ns * _NS_STRIDE
    return ((x * mult + shift) % modulus).astype(np.int64)


def asins(ns: int, index: np.ndarray, seed: int) -> np.ndarray:
    """10-character ASINs "B0" + 8 base-36 characters."""
    return np.char.add("B0", _base36(_scramble(ns, index, 8, seed), 8))


def reviewer_ids(index: np.ndarray, seed: int) -> np.ndarray:
    """Amazon 2018 style reviewer ids: "A" + 13 characters."""
    head = _base36(_scramble(NS_REVIEWER_2018, index, 10, seed), 10)
    tail = _base36(_scramble(NS_REVIEWER_2018, index, 3, seed + 1), 3)
    return np.char.add("A", np.char.add(head, tail))


def user_ids_2023(index: np.ndarray, seed: int) -> np.ndarray:
    """Amazon 2023 style user ids: 28 upper-case characters starting with "A"."""
    a = _base36(_scramble(NS_USER_2023, index, 10, seed), 10)
    b = _base36(_scramble(NS_USER_2023_TAIL, index, 10, seed), 10)
    c = _base36(_scramble(NS_USER_2023_TAIL, index, 7, seed + 3), 7)
    return np.char.add("A", np.char.add(a, np.char.add(b, c)))
