#!/usr/bin/env python3
"""What an operator sees on the console (issue 38 item 11): lines printed by audit.yml, compliance.yml and
remediate.yml --check over N fixture hosts at the default verbosity, per stdout callback.

    python benchmarks/bench_console.py --hosts 100 --callbacks default,sanfleet.remediation.fleet

No VM: N-1 fixture hosts (tests/fleet/fixture_python.py, the five captured scenarios in turn) and one unreachable
host, as tests/integration/test_fleet_runner.py has them; remediate --check reads each scenario's captured array
(sanfleet_ontap in the host's vars: the ONTAP simulator serving the array that capture was taken with), the others
run without an array. Per playbook and callback, one
`ansible-playbook` at the default verbosity, no colour; measured: the lines printed, per host, where the fleet
summary lands (its line, and how many lines follow it) and whether a "batch N of M" line was printed.
--real-serial S adds a real remediate run (sanfleet_allow_unreviewed) over the healthy hosts only, S per batch:
the rolling run's batch lines. Not a test: nothing here runs in scripts/test.sh.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "fleet"))
# the collection as ansible_collections.sanfleet.remediation (scripts/setup.sh links it there): the ONTAP simulator
sys.path[1:1] = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]

import fleet_hosts  # noqa: E402

SUMMARY = re.compile(r"hosts \(.*Reports: .*fleet\.html")
BATCH = re.compile(r"batch (\d+) of (\d+)")


def inventory(workdir, hosts, arrays, only=None):
    """The inventory of `hosts` fixture hosts; with `arrays` ({scenario: sanfleet_ontap}), each reads its array."""
    bindir = workdir / "bin"
    fleet_hosts.shims(bindir)
    inv = {}
    for i in range(hosts - 1):
        scenario = fleet_hosts.SCENARIOS[i % len(fleet_hosts.SCENARIOS)]
        if only and scenario != only:
            continue
        host = fleet_hosts.fixture_host(bindir, scenario)
        if arrays:
            host["sanfleet_ontap"] = arrays[scenario]
        inv["node%03d-%s" % (i, scenario)] = host
    if not only:
        inv["node999-down"] = dict(fleet_hosts.DOWN_HOST)
    path = workdir / ("hosts-%s%s.json" % ("truth" if arrays else "plain", "-" + only if only else ""))
    path.write_text(json.dumps({"san_hosts": {"hosts": inv}}))
    return path, len(inv)


def measure(text, hosts):
    lines = text.splitlines()
    summary = [i for i, ln in enumerate(lines) if SUMMARY.search(ln)]
    batches = sorted({m.groups() for m in BATCH.finditer(text)}, key=lambda g: (int(g[1]), int(g[0])))
    return {"lines": len(lines), "per_host": round(len(lines) / float(hosts), 1),
            "summary_line": summary[-1] + 1 if summary else None,
            "lines_after_summary": len(lines) - summary[-1] - 1 if summary else None,
            "summaries": len(summary), "batches": ["%s of %s" % b for b in batches]}


def play(playbook, inv, hosts, callback, forks, workdir, env, extra=(), tag=""):
    name = "%s-%s%s%s" % (Path(playbook).stem, callback.rsplit(".", 1)[-1], "-check" if "--check" in extra else "", tag)
    run_env = dict(env, ANSIBLE_STDOUT_CALLBACK=callback, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   SANFLEET_REPORT_DIR=str(workdir / ("reports-" + name)))
    cmd = ["ansible-playbook", str(REPO / "playbooks" / playbook), "-i", str(inv), "-f", str(forks),
           "-e", "sanfleet_hosts=san_hosts", "-e", "sanfleet_compliance_iscsi=false",
           "-e", "sanfleet_compliance_lvm=false"] + list(extra)
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, cwd=str(workdir), check=False)
    (workdir / (name + ".log")).write_text(proc.stdout)
    row = {"run": name, "playbook": playbook, "callback": callback, "hosts": hosts, "rc": proc.returncode,
           "wall_s": round(time.monotonic() - started, 1), "stderr_lines": len(proc.stderr.splitlines())}
    row.update(measure(proc.stdout, hosts))
    return row


def run(hosts, forks, callbacks, playbooks, real_serial, workdir):
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_LOCALHOST_WARNING="False")
    with fleet_hosts.scenario_arrays(fleet_hosts.SCENARIOS, workdir) as arrays:
        return _runs(hosts, forks, callbacks, playbooks, real_serial, workdir, env, arrays)


def _runs(hosts, forks, callbacks, playbooks, real_serial, workdir, env, arrays):
    plain, n_plain = inventory(workdir, hosts, None)
    rows = []
    for callback in callbacks:
        for pb in playbooks:
            if pb == "remediate.yml":
                truth, n_truth = inventory(workdir, hosts, arrays)
                row = play(pb, truth, n_truth, callback, forks, workdir, env, ("--check", "--diff"))
            else:
                row = play(pb, plain, n_plain, callback, forks, workdir, env)
            sys.stderr.write("[console] %s\n" % json.dumps(row))
            rows.append(row)
        if real_serial:
            healthy, n_healthy = inventory(workdir, hosts, arrays, only="healthy")
            row = play("remediate.yml", healthy, n_healthy, callback, forks, workdir, env,
                       ("-e", "sanfleet_serial=%d" % real_serial, "-e", "sanfleet_allow_unreviewed=true"),
                       tag="-real-serial%d" % real_serial)
            sys.stderr.write("[console] %s\n" % json.dumps(row))
            rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--forks", type=int, default=20)
    ap.add_argument("--callbacks", default="default,sanfleet.remediation.fleet")
    ap.add_argument("--playbooks", default="audit.yml,compliance.yml,remediate.yml")
    ap.add_argument("--real-serial", type=int, default=0)
    ap.add_argument("--workdir")
    ap.add_argument("--json")
    args = ap.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="sanfleet-console-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = run(args.hosts, args.forks, [c for c in args.callbacks.split(",") if c],
               [p for p in args.playbooks.split(",") if p], args.real_serial, workdir)
    print("| run | callback | hosts | rc | lines | per host | summary at line | lines after it | batch lines | wall s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %s | %d | %d | %d | %.1f | %s | %s | %s | %.0f |" % (
            r["run"], r["callback"], r["hosts"], r["rc"], r["lines"], r["per_host"], r["summary_line"],
            r["lines_after_summary"], ", ".join(r["batches"]) or "none", r["wall_s"]))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
