"""Speed and memory of a full default build on a large generated sample (not a test).

    .venv/bin/python scripts/bench_build.py --scale 65   # about 2M reviews, 500k products

Generates the sample once (cached under --workdir), then runs `python -m ecinstruct build` in a
child process and reports wall time, raw rows per second and peak resident memory. A large
build loads its sources in a process of its own, so the peak is the largest sum of the
resident memory of the build and all its child processes, sampled every 20 ms (Linux /proc);
the largest single process's ru_maxrss is printed too, and so is the CPU time of every stage
(how many cores it kept busy). A shared machine's speed drifts from hour to hour, so the
script also times a fixed one-core workload before and after the build (`machine pace`):
compare builds run at a similar pace. Target on a 2-core machine: under 60 s and under 3 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
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
    pace_before = machine_pace()
    # The pace's own child processes are not the build's: only what came after counts.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [
        sys.executable,
        "-m",
        "ecinstruct",
        "build",
        "--sources",
        str(toml),
        "--out",
        str(out),
        "--no-progress",
    ]
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, text=True)
        tree_peak = tree_pss = 0
        last_pss, peak_at, peak_parts = 0.0, 0.0, {}
        tree = _Tree(proc.pid)
        while proc.poll() is None:
            # PSS costs the kernel a walk of every mapping (30 ms for a 1 GB process), so it
            # is read once a second, and only while the resident sum could beat its peak.
            now = time.perf_counter()
            with_pss = now - last_pss >= PSS_EVERY_S
            rss, parts = tree.memory(pss_above=tree_pss if with_pss else None)
            if with_pss:
                last_pss = now
            pss = sum(parts.values())
            if pss > tree_pss:
                tree_pss, peak_at, peak_parts = pss, now - t, parts
            tree_peak = max(tree_peak, rss)
            time.sleep(0.02)
        wall = time.perf_counter() - t
        if proc.returncode not in (0, 1):
            err.seek(0)
            print(err.read()[-3000:])
            raise SystemExit(proc.returncode)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    user, system = usage.ru_utime - before.ru_utime, usage.ru_stime - before.ru_stime
    single_gb = usage.ru_maxrss / 1024**2
    cpu = user + system
    pace_after = machine_pace()
    manifest = json.loads((out / "build.json").read_text())
    raw_rows = sum(s["rows_read"] for s in manifest["sources"])
    samples = sum(sum(r["counts"].values()) for r in manifest["tasks"].values())
    print(f"raw rows read      {raw_rows:,}")
    print(f"samples written    {samples:,}")
    print(f"wall time          {wall:.1f} s")
    print(f"raw rows / second  {raw_rows / wall:,.0f}")
    print(
        f"peak memory        {tree_pss / 1024**3:.2f} GB PSS of the build and its children "
        "together (shared pages count once; read once a second)"
    )
    print(
        f"  at {peak_at:.1f} s:         "
        + " + ".join(f"{role} {b / 1024**3:.2f}" for role, b in peak_parts.items() if b)
    )
    print(
        f"peak RSS sum       {tree_peak / 1024**3:.2f} GB (shared pages once per process that "
        "maps them; read every 20 ms)"
    )
    print(f"largest process    {single_gb:.2f} GB (ru_maxrss)")
    print(
        f"machine pace       {pace_before:.2f} s before the build, {pace_after:.2f} s after, for "
        "a fixed one-core workload of sorts, joins and group-bys (more is a slower machine; "
        "compare builds run at a similar pace)"
    )
    print(
        f"CPU time           {cpu:.1f} s (user {user:.1f} + system "
        f"{system:.1f}): {cpu / wall:.2f} of {os.cpu_count()} cores busy on average"
    )
    print("stage timings (s)  " + ", ".join(f"{k} {v}" for k, v in manifest["timings_s"].items()))
    cpu_s = manifest.get("cpu_s", {})
    print(
        "stage CPU (s)      "
        + ", ".join(
            f"{k} {v} ({v / manifest['timings_s'][k]:.2f} cores)"
            for k, v in cpu_s.items()
            if manifest["timings_s"].get(k)
        )
    )
    tasks = manifest["tasks"].values()
    print("task timings (s)   " + ", ".join(f"{t['task']} {t['seconds']}" for t in tasks))
    print("of which checks    " + ", ".join(f"{t['task']} {t['quality_seconds']}" for t in tasks))


# A fixed workload like the build's own (strings sorted, joined and grouped by polars) on one
# thread, in a child process so that the build's figures do not include it. Its CPU seconds say
# how fast the machine is right now: a shared machine's pace drifts from hour to hour, and the
# same build takes longer when it does.
_PACE = """
import time, numpy as np, polars as pl
rng = np.random.default_rng(0)
ids = pl.Series("id", rng.integers(0, 200_000, 700_000)).cast(pl.String)
df = pl.DataFrame({"id": ids, "x": rng.random(700_000)})
start = time.process_time()
ranked = df.sort(["id", "x"])
counts = ranked.group_by("id").agg(pl.len(), pl.col("x").sum())
ranked.join(counts, on="id").filter(pl.col("len") > 3).height
print(time.process_time() - start)
"""


def machine_pace(runs: int = 3) -> float:
    """The smallest CPU seconds of `runs` runs of the fixed workload `_PACE`."""
    env = dict(os.environ, POLARS_MAX_THREADS="1")
    cmd = [sys.executable, "-c", _PACE]
    return min(
        float(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    )


class _Tree:
    """The build and all its descendants, watched through /proc at little cost of its own.

    The watcher shares the build's two cores, so what it costs is added to the wall time it
    reports: listing /proc and parsing every process's stat file every 20 ms took a third of a
    core. Here a process's parent is read once, when its pid first shows up (a process outside
    the tree never joins it), and each sample reads only the tree's statm files."""

    def __init__(self, root: int) -> None:
        self.inside = {root}
        self.outside: set[int] = set()

    def _refresh(self) -> None:
        alive = {int(n) for n in os.listdir("/proc") if n.isdigit()}
        self.inside &= alive
        self.outside &= alive
        parents = {pid: _parent(pid) for pid in alive - self.inside - self.outside}
        # A new child of a new child joins too, whichever pid is the larger.
        joined = True
        while joined:
            joined = {pid for pid, parent in parents.items() if parent in self.inside}
            self.inside |= joined
            for pid in joined:
                del parents[pid]
        self.outside |= parents.keys()

    def memory(self, pss_above: int | None) -> tuple[int, dict[str, int]]:
        """The tree's resident bytes, and its proportional bytes by process (named by what it
        runs). The proportional set size splits each page among the processes that share
        it: the tables a large build maps from its handover files count once, not once per
        process mapping them. It is read only when `pss_above` is given and the resident sum
        exceeds it (PSS never exceeds RSS, so it could not be a new peak otherwise); empty
        when not read."""
        self._refresh()
        total = sum(_resident(pid) for pid in self.inside)
        if pss_above is None or total <= pss_above:
            return total, {}
        parts: dict[str, int] = {}
        for pid in sorted(self.inside):
            role = _role(pid)
            parts[role] = parts.get(role, 0) + _pss(pid)
        return total, parts


def _read(path: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return b""  # the process ended while we looked
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _parent(pid: int) -> int:
    fields = _read(f"/proc/{pid}/stat").rsplit(b")", 1)[-1].split()
    return int(fields[1]) if len(fields) > 1 else 0


def _resident(pid: int) -> int:
    fields = _read(f"/proc/{pid}/statm").split()
    return int(fields[1]) * PAGE if len(fields) > 1 else 0


def _role(pid: int) -> str:
    """What a process of the build runs: the module after `-m` (the build itself, its
    loading child, task worker or report child), else its program's name."""
    args = _read(f"/proc/{pid}/cmdline").decode(errors="replace").split("\0")
    if "-m" in args[:-1]:
        return args[args.index("-m") + 1]
    return Path(args[0]).name or str(pid)


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass  # ended meanwhile
    return 0


PAGE = os.sysconf("SC_PAGE_SIZE")
PSS_EVERY_S = 1.0

if __name__ == "__main__":
    main()
