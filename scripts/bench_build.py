"""Speed and memory of a full default build on a large generated sample (not a test).

    .venv/bin/python scripts/bench_build.py --scale 65   # about 2M reviews, 500k products

Generates the sample once (cached under --workdir), then runs `python -m ecinstruct build` in a
child process and reports wall time, raw rows per second and peak resident memory (ru_maxrss
of the child). Target on a 2-core machine: under 60 s and under 3 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from ecinstruct.sample import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=65.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, default=Path("build/bench"))
    args = ap.parse_args()

    sample = args.workdir / f"sample-scale-{args.scale:g}"
    toml = sample / "sources.toml"
    if not toml.is_file():
        t = time.perf_counter()
        generate(sample, scale=args.scale, seed=args.seed, progress=True)
        print(f"generated sample in {time.perf_counter() - t:.1f}s -> {sample}")
    out = args.workdir / "dataset"
    cmd = [sys.executable, "-m", "ecinstruct", "build", "--sources", str(toml), "--out", str(out), "--no-progress"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    if proc.returncode not in (0, 1):
        print(proc.stderr[-3000:])
        raise SystemExit(proc.returncode)
    manifest = json.loads((out / "build.json").read_text())
    raw_rows = sum(s["rows_read"] for s in manifest["sources"])
    samples = sum(sum(r["counts"].values()) for r in manifest["tasks"].values())
    print(f"raw rows read      {raw_rows:,}")
    print(f"samples written    {samples:,}")
    print(f"wall time          {wall:.1f} s")
    print(f"raw rows / second  {raw_rows / wall:,.0f}")
    print(f"peak memory (RSS)  {peak_gb:.2f} GB")
    print("stage timings (s)  " + ", ".join(f"{k} {v}" for k, v in manifest["timings_s"].items()))
    tasks = manifest["tasks"].values()
    print("task timings (s)   " + ", ".join(f"{t['task']} {t['seconds']}" for t in tasks))
    print("of which checks    " + ", ".join(f"{t['task']} {t['quality_seconds']}" for t in tasks))


if __name__ == "__main__":
    main()
