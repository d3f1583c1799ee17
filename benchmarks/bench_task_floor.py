#!/usr/bin/env python3
"""What one task costs the controller per host, whatever the task does: the floor under bench_controller.py's figure.

    python benchmarks/bench_task_floor.py --hosts 200 --forks 20 --tasks 30

No module runs and no collection code: one play over N `ansible_connection=local` hosts. Its first task gives each
host the `san` fact of one fixture host (bench_controller.py's, 1,024 LUNs, compact: about what the audit holds per
host), then `--tasks` tasks that do nothing (half `debug` skipped by `when: false`, half `set_fact` of a constant).
Measured: the play's whole tree CPU (wait4 of ansible-playbook), once with the fact and once without, divided by
hosts x tasks. What the audit's ~30 tasks per host cost before any of them reads a value is this times 30: the
floor no change to the collection's tasks removes, only fewer tasks.
Not a test: nothing here runs in scripts/test.sh.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_controller  # noqa: E402


def _play(tasks, fact_file):
    body = []
    if fact_file:
        body.append({"name": "Give the host a fact of the audit's size",
                     "ansible.builtin.set_fact": {"san": "{{ lookup('ansible.builtin.file', '%s') | from_json }}" % fact_file}})
    for i in range(tasks):
        if i % 2:
            body.append({"name": "nothing %d" % i, "ansible.builtin.set_fact": {"floor_%d" % i: i}})
        else:
            body.append({"name": "skipped %d" % i, "ansible.builtin.debug": {"msg": "never"}, "when": False})
    return [{"hosts": "all", "gather_facts": False, "tasks": body}]


def measure(hosts, forks, tasks, fact_file, workdir, env):
    inv = workdir / "hosts.json"
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inv.write_text(json.dumps({"all": {"hosts": dict(("h%04d" % i, host) for i in range(hosts))}}))
    play = workdir / ("play-%s.yml" % ("fact" if fact_file else "bare"))
    play.write_text(json.dumps(_play(tasks, fact_file)))
    started = time.monotonic()
    with open(workdir / (play.stem + ".log"), "w") as log:
        proc = subprocess.Popen(["ansible-playbook", "-i", str(inv), "-f", str(forks), str(play)], stdout=log,
                                stderr=subprocess.STDOUT, env=env, cwd=str(workdir))
        _pid, status, usage = os.wait4(proc.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    return {"fact": bool(fact_file), "hosts": hosts, "tasks": tasks, "forks": forks,
            "rc": os.waitstatus_to_exitcode(status), "wall_s": round(time.monotonic() - started, 1),
            "tree_cpu_s": round(cpu, 1), "per_task_host_ms": round(1000.0 * cpu / (hosts * (tasks + bool(fact_file))), 1),
            "per_host_s": round(cpu / hosts, 3)}


def arguments():
    """The command line (docs/performance.md's commands are checked against it)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--forks", type=int, default=20)
    ap.add_argument("--tasks", type=int, default=30)
    ap.add_argument("--json")
    return ap


def main():
    ap = arguments()
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sanfleet-task-floor-"))
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_LOCALHOST_WARNING="False")
    # the san fact of one fixture host, as the audit reads it (compact)
    fixture = bench_controller.make_big_fixture.generate(1024, "/tmp/sanfleet-bench-fixtures/lun1024")
    inv = bench_controller.inventory(workdir, 1, fixture)
    res = subprocess.run(["ansible", "big0000", "-i", str(inv), "-o", "-m", "sanfleet.remediation.stale_mpath_facts",
                          "-a", "detail=compact"], capture_output=True, text=True, env=env, check=True)
    fact_file = workdir / "san.json"
    fact_file.write_text(json.dumps(json.loads(res.stdout.strip().splitlines()[-1].split("=>", 1)[1])["ansible_facts"]["san"]))
    rows = [measure(args.hosts, args.forks, args.tasks, None, workdir, env),
            measure(args.hosts, args.forks, args.tasks, str(fact_file), workdir, env)]
    for row in rows:
        print(json.dumps(row))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": rows, "fact_bytes": fact_file.stat().st_size}, indent=1))


if __name__ == "__main__":
    main()
