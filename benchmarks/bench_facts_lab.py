"""How long stale_mpath_facts takes on the lab host, next to multipath -ll and multipathd show maps json.

    source <(scripts/setup.sh); python benchmarks/bench_facts_lab.py [--runs 5] [--stale]

Boots (or reuses, SANLAB_REUSE semantics: a running VM is reused and left running) the SAN lab at its
baseline, optionally unmaps LUN 2 so one map has failed paths to probe, then times in the same run:
- `multipath -ll` and `multipathd show maps json`, measured inside the guest (no ssh in the number);
- `ansible -m sanfleet.remediation.stale_mpath_facts` end to end, and `ansible -m ansible.builtin.ping`
  (the fixed cost of one Ansible task over ssh: AnsiballZ, python start-up); their difference is the module.
Prints one JSON document with median/min/max seconds per item.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "lab"))
from sanlab import Lab  # noqa: E402

GUEST_TIMER = r'''
import json, subprocess, sys, time
out = {}
for name, argv in json.loads(sys.argv[1]).items():
    t = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=60)
    out[name] = time.monotonic() - t
print(json.dumps(out))
'''
GUEST_COMMANDS = {"multipath -ll": ["multipath", "-ll"],
                  "multipathd show maps json": ["multipathd", "show", "maps", "json"]}


def ansible_seconds(inventory, module, args=""):
    cmd = ["ansible", "sanlab", "-i", str(inventory), "-m", module] + (["-a", args] if args else [])
    t = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="false"))
    if res.returncode != 0:
        raise SystemExit("%s failed: %s %s" % (module, res.stdout[-2000:], res.stderr[-2000:]))
    return time.monotonic() - t


def summary(values):
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3),
            "runs": len(values)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--stale", action="store_true", help="unmap LUN 2 first (one map to probe)")
    args = ap.parse_args()
    lab = Lab(port=int(os.environ.get("SANLAB_PORT", "2222")))
    lab.acquire()
    was_running = lab.is_running()
    lab.ensure_built()
    lab.start(reuse=True)
    lab.reset()
    if args.stale:
        wwid = {r["lun_id"]: r["wwid"] for r in lab.truth()["array_luns"]}[2]
        lab.unmap_lun(2)
        lab.wait_paths(wwid, "failed", timeout=60)
    inventory = lab.inventory_path()
    ansible_seconds(inventory, "ansible.builtin.ping")  # warm the ssh control socket
    times = {k: [] for k in list(GUEST_COMMANDS) + ["ansible ping (fixed cost)", "ansible stale_mpath_facts"]}
    for _ in range(args.runs):
        rc, out, err = lab.ssh(["python3", "-c", GUEST_TIMER, json.dumps(GUEST_COMMANDS)], timeout=180)
        for name, secs in json.loads(out).items():
            times[name].append(secs)
        times["ansible ping (fixed cost)"].append(ansible_seconds(inventory, "ansible.builtin.ping"))
        times["ansible stale_mpath_facts"].append(ansible_seconds(inventory, "sanfleet.remediation.stale_mpath_facts"))
    result = {k: summary(v) for k, v in times.items()}
    result["stale_mpath_facts minus ping (module itself)"] = round(
        result["ansible stale_mpath_facts"]["median"] - result["ansible ping (fixed cost)"]["median"], 3)
    result["lab"] = {"maps": len(lab.status().get("maps", [])), "stale": args.stale, "accel": lab.accel_used()}
    print(json.dumps(result, indent=1))
    if not was_running:
        lab.stop()


if __name__ == "__main__":
    main()
