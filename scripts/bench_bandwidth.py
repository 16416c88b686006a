"""How much faster two threads copy memory than one, on this machine (not a test).

    .venv/bin/python scripts/bench_bandwidth.py

Copies two 512 MB arrays (already touched, so no page faults are timed) five times each, first
on one thread, then on two at once, and prints the throughput of both. A ratio near 2 means the
cores have memory bandwidth to spare; near 1, work that streams through memory (most of a
large build's polars work) cannot go faster by running two things at once.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=512, help="size of each array")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    n = args.mb * 1024**2 // 8
    sources = [np.ones(n) for _ in range(2)]
    targets = [np.zeros(n) for _ in range(2)]  # written once: their pages exist

    def copy(i: int) -> None:
        for _ in range(args.repeats):
            np.copyto(targets[i], sources[i])

    moved = 2 * n * 8 * args.repeats / 1e9  # read and written, per array
    for i in range(2):  # warm up: caches, page tables
        np.copyto(targets[i], sources[i])
    t = time.perf_counter()
    copy(0)
    one = time.perf_counter() - t
    threads = [threading.Thread(target=copy, args=(i,)) for i in range(2)]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    two = time.perf_counter() - t
    print(f"one thread         {moved / one:.1f} GB/s")
    print(f"two threads        {2 * moved / two:.1f} GB/s together")
    print(f"ratio              {2 * one / two:.2f}")


if __name__ == "__main__":
    main()
