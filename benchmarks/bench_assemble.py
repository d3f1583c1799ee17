#!/usr/bin/env python3
"""What `observe.snapshot.assemble` costs, without the reads and without a profiler (issue 41 §2).

    source <(scripts/setup.sh); python benchmarks/bench_assemble.py [--luns 128,512,1024] [--runs 5] [--json F]

cProfile inflates pure-Python calls far more than system calls (docs/performance.md, "What the rows measure"): the
host benchmark's profile charged assemble 4.7 s at 1,024 LUNs x 2. This times it alone, on the controller's CPU,
on the generated hosts of benchmarks/make_big_fixture.py (N LUNs x 2 paths, multipathd holding every path, kept
in /tmp/sanfleet-bench-fixtures/lunN): the host is read once (the readers inline, the captured commands answered
from the fixture), then assemble is timed --runs times on that one read. The median per size, and its growth per
doubling (linear: x2). No VM; a TCG guest runs the same Python ~5x slower. Not a test: scripts/test.sh runs none of
it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
FIXTURES = Path("/tmp/sanfleet-bench-fixtures")


def read_once(base):
    """The arguments Host.snapshot gave assemble when it read the fixture host at `base` (the readers inline, the
    captured commands answered from the fixture, no probes)."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read, snapshot
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe import helpers as t

    captured = t.CapturedRun(str(base / "commands"))
    host = read.Host(root=str(base / "root"),
                     run=lambda argv, timeout, what=None, data=None: captured(argv, timeout, what),
                     call=lambda fn, args=(), timeout=10.0, what=None: t.inline_call(fn, args, timeout, what))
    calls, real = [], snapshot.assemble

    def recording(*args):
        calls.append(args)
        return real(*args)

    snapshot.assemble = recording
    try:
        host.snapshot(probe=False)
    finally:
        snapshot.assemble = real
    (args,) = calls
    return args


def measure(luns, runs):
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot

    base = FIXTURES / ("lun%d" % luns)
    if not (base / ".done").exists():
        subprocess.run([sys.executable, str(TOP / "benchmarks" / "make_big_fixture.py"), "--luns", str(luns),
                        "--out", str(base)], check=True, stdout=subprocess.DEVNULL)
    args = read_once(base)
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        snap = snapshot.assemble(*args)
        seconds.append(time.perf_counter() - t0)
    return {"luns": luns, "maps": len(snap["maps"]), "disks": len(snap["disks"]),
            "median_s": round(statistics.median(seconds), 4), "runs": [round(s, 4) for s in seconds]}


def arguments():
    """The command line (docs/performance.md's commands are checked against it)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--luns", default="128,512,1024")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", help="write the numbers here too")
    return ap


def main():
    ap = arguments()
    args = ap.parse_args()
    sys.path.extend(p for p in (os.environ.get("ANSIBLE_COLLECTIONS_PATH") or "").split(os.pathsep) if p)
    rows = [measure(int(n), args.runs) for n in args.luns.split(",")]
    for prev, row in zip([None] + rows, rows):
        growth = ""
        if prev:
            doublings = math.log2(row["luns"] / prev["luns"])
            growth = "  x%.2f per doubling" % ((row["median_s"] / prev["median_s"]) ** (1 / doublings))
        print("%5d LUNs (%d maps, %d disks): assemble %.4f s (median of %d)%s"
              % (row["luns"], row["maps"], row["disks"], row["median_s"], args.runs, growth))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "load": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()
