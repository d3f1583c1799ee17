#!/usr/bin/env python3
"""The controller's side of a big audit (issue 31): playbooks/audit.yml over N fixture hosts of 1,024 LUNs x 2.

    python benchmarks/bench_controller.py --hosts 200 --forks 20 --luns 1024 --details compact,full

No VM: every host is `ansible_connection=local` with the test-only fixture interpreter (tests/fleet/fixture_python.py)
reading one generated 1,024-LUN tree (benchmarks/make_big_fixture.py, written once to --fixture-dir). Per --details
value, one `ansible-playbook playbooks/audit.yml -f FORKS -e sanfleet_facts_detail=DETAIL` (no array: the audit
without sanfleet_ontap, as far as this machine can go without an ONTAP per host), measured:
- wall time of the play;
- controller peak memory: every 0.2 s the RSS and PSS of the ansible-playbook process and its workers (the
  process tree without the fixture hosts' module processes, which stand for the managed hosts), summed; the peak;
- controller CPU seconds per host: the play's whole tree (wait4 of ansible-playbook) minus what the fixture hosts'
  module processes used (each logs its own, SANFLEET_FIXTURE_CPU_LOG), divided by the hosts;
- bytes of the `san` fact per host: one ad-hoc `ansible -o -m stale_mpath_facts -a detail=DETAIL` on one host, the
  JSON of ansible_facts.san.
--pipelining: ANSIBLE_PIPELINING=True, as docs/performance.md recommends for fleets: a module run is one command
on the host instead of five (home directory, mkdir, the payload's chmod, the run, rm), whose shells and ssh
sessions are controller CPU.
--per-task: each worker also logs its own CPU with its task's name (benchmarks/task_cpu/sitecustomize.py, no
profiler), and the run prints the controller's CPU per task and host.
The fixture hosts' modules run on the same 2 cores as the controller, so wall time is pessimistic; CPU seconds and
memory are the controller's own. Not a test: nothing here runs in scripts/test.sh.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import make_big_fixture  # noqa: E402

FIXTURE_PY = REPO / "tests" / "fleet" / "fixture_python.py"
RSS_LIMIT_MIB, CPU_LIMIT_S = 1024, 2.0


def _children():
    """{ppid: [pid]} and {pid: cmdline} of every process now."""
    kids, cmd = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids, cmd


def _memory_kib(pid):
    """(rss, pss) KiB of one process, (0, 0) when it is gone."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            text = f.read()
    except OSError:
        return 0, 0
    values = dict((ln.split(":")[0], int(ln.split()[1])) for ln in text.splitlines()[1:] if ln.split()[1:2])
    return values.get("Rss", 0), values.get("Pss", 0)


class TreeSampler(threading.Thread):
    """Peak summed RSS/PSS of the controller's processes (the root and its descendants, without the fixture
    hosts' module processes and theirs)."""

    def __init__(self, root_pid, interval=0.2):
        super().__init__(daemon=True)
        self.root, self.interval = root_pid, interval
        self.peak_rss = self.peak_pss = self.peak_procs = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            kids, cmd = _children()
            todo, mine = [self.root], []
            while todo:
                pid = todo.pop()
                if any(mark in cmd.get(pid, "") for mark in (str(FIXTURE_PY), "AnsiballZ_", "python-big")):
                    continue
                mine.append(pid)
                todo.extend(kids.get(pid, []))
            rss = pss = 0
            for pid in mine:
                r, p = _memory_kib(pid)
                rss, pss = rss + r, pss + p
            if rss > self.peak_rss:
                self.peak_rss, self.peak_procs = rss, len(mine)
            self.peak_pss = max(self.peak_pss, pss)
            self.stop.wait(self.interval)


def inventory(workdir, hosts, fixture):
    shim = workdir / "python-big"
    shim.write_text('#!/bin/sh\nexec %s %s %s "$@"\n' % (sys.executable, FIXTURE_PY, fixture))
    shim.chmod(0o755)
    inv = {"san_hosts": {"hosts": dict(("big%04d" % i, {"ansible_connection": "local",
                                                         "ansible_python_interpreter": str(shim)})
                                       for i in range(hosts))}}
    path = workdir / "hosts.json"
    path.write_text(json.dumps(inv))
    return path


def fact_bytes(inv, detail, env):
    res = subprocess.run(["ansible", "big0000", "-i", str(inv), "-o", "-m", "sanfleet.remediation.stale_mpath_facts",
                          "-a", "detail=%s" % detail], capture_output=True, text=True, env=env, check=False)
    line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    if "=>" not in line:
        raise SystemExit("facts of one fixture host failed: %s %s" % (res.stdout[-1500:], res.stderr[-1500:]))
    san = json.loads(line.split("=>", 1)[1])["ansible_facts"]["san"]
    healthy = san.get("healthy") or {}
    return {"bytes": len(json.dumps(san)), "maps_listed": len(san["maps"]), "disks_listed": len(san["disks"]),
            "maps_summarised": (healthy.get("maps") or {}).get("count", 0)}


def audit_bytes(inv, detail, env):
    """Bytes of one fixture host's multipath_conf and lvm_filter_info results in the form `detail` (the audit
    playbook passes sanfleet_facts_detail to both through multipath_config_detail), and of their biggest keys."""
    out = {}
    for module in ("multipath_conf", "lvm_filter_info"):
        res = subprocess.run(["ansible", "big0000", "-i", str(inv), "-o", "-m", "sanfleet.remediation." + module,
                              "-a", "detail=%s" % detail], capture_output=True, text=True, env=env, check=False)
        line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
        if "=>" not in line:
            raise SystemExit("%s of one fixture host failed: %s %s" % (module, res.stdout[-1500:], res.stderr[-1500:]))
        result = json.loads(line.split("=>", 1)[1])
        out[module] = {"bytes": len(json.dumps(result)),
                       "keys": dict((k, len(json.dumps(v))) for k, v in result.items() if len(json.dumps(v)) > 1000)}
    return out


def task_cpu(log_path, hosts):
    """The controller's CPU per task from benchmarks/task_cpu's log: [{task, action, workers, cpu_s, per_host_s}]
    by CPU, the main process's own line first (task None)."""
    rows, main_cpu = {}, 0.0
    for line in Path(log_path).read_text().splitlines():
        record = json.loads(line)
        if record["process"] == "main":
            main_cpu += record["cpu_s"]
            continue
        row = rows.setdefault((record["task"], record["action"]), {"workers": 0, "cpu_s": 0.0})
        row["workers"] += 1
        row["cpu_s"] += record["cpu_s"]
    out = [{"task": None, "action": "main process", "workers": 1, "cpu_s": round(main_cpu, 2),
            "per_host_s": round(main_cpu / hosts, 3)}]
    for (task, action), row in sorted(rows.items(), key=lambda kv: -kv[1]["cpu_s"]):
        out.append({"task": task, "action": action, "workers": row["workers"], "cpu_s": round(row["cpu_s"], 2),
                    "per_host_s": round(row["cpu_s"] / hosts, 3)})
    return out


def audit(inv, hosts, forks, detail, workdir, env, per_task=False):
    cpu_log = workdir / ("module-cpu-%s.log" % detail)
    if cpu_log.exists():
        cpu_log.unlink()
    reports = workdir / ("reports-%s" % detail)
    run_env = dict(env, SANFLEET_FIXTURE_CPU_LOG=str(cpu_log), SANFLEET_REPORT_DIR=str(reports))
    task_log = workdir / ("task-cpu-%s.jsonl" % detail)
    if per_task:
        # benchmarks/task_cpu/sitecustomize.py: each worker logs its own CPU with its task's name (no profiler)
        if task_log.exists():
            task_log.unlink()
        run_env["SANFLEET_TASK_CPU_LOG"] = str(task_log)
        run_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE / "task_cpu"), env.get("PYTHONPATH")) if p)
    cmd = ["ansible-playbook", str(REPO / "playbooks" / "audit.yml"), "-i", str(inv), "-f", str(forks),
           "-e", "sanfleet_hosts=san_hosts", "-e", "sanfleet_facts_detail=%s" % detail]
    started = time.monotonic()
    with open(workdir / ("audit-%s.log" % detail), "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=run_env, cwd=str(REPO))
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        sampler.stop.set()
        sampler.join()
    wall = time.monotonic() - started
    tree_cpu = usage.ru_utime + usage.ru_stime
    module_cpu = sum(float(x) for x in cpu_log.read_text().split()) if cpu_log.exists() else 0.0
    modules = len(cpu_log.read_text().split()) if cpu_log.exists() else 0
    return {"detail": detail, "hosts": hosts, "forks": forks, "rc": os.waitstatus_to_exitcode(status),
            "wall_s": round(wall, 1), "peak_rss_mib": round(sampler.peak_rss / 1024.0, 1),
            "peak_pss_mib": round(sampler.peak_pss / 1024.0, 1), "procs_at_peak": sampler.peak_procs,
            "tree_cpu_s": round(tree_cpu, 1), "module_cpu_s": round(module_cpu, 1), "module_runs": modules,
            "controller_cpu_s": round(tree_cpu - module_cpu, 1),
            "controller_cpu_per_host_s": round((tree_cpu - module_cpu) / hosts, 3),
            "controller_max_rss_mib": round(usage.ru_maxrss / 1024.0, 1),
            "load_after": "%.2f %.2f %.2f" % os.getloadavg(),
            "per_task": task_cpu(task_log, hosts) if per_task else None}


def run(hosts=200, forks=20, luns=1024, details=("compact", "full"), fixture_dir=None, log=sys.stderr, per_task=False,
        pipelining=False):
    fixture = make_big_fixture.generate(luns, fixture_dir or "/tmp/sanfleet-bench-fixtures/lun%d" % luns)
    workdir = Path(tempfile.mkdtemp(prefix="sanfleet-controller-bench-"))
    inv = inventory(workdir, hosts, fixture)
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_PIPELINING=str(bool(pipelining)))
    out = {"luns": luns, "fixture": str(fixture), "workdir": str(workdir), "pipelining": bool(pipelining), "runs": []}
    for detail in details:
        facts = fact_bytes(inv, detail, env)
        log.write("[controller] %s: one host's san fact %s\n" % (detail, json.dumps(facts)))
        audits = audit_bytes(inv, detail, env)
        log.write("[controller] %s: one host's multipath/LVM audit results %s\n" % (detail, json.dumps(audits)))
        before = "%.2f %.2f %.2f" % os.getloadavg()
        row = dict(audit(inv, hosts, forks, detail, workdir, env, per_task), load_before=before, fact=facts,
                   audit_results=audits)
        log.write("[controller] %s\n" % json.dumps(row))
        log.flush()
        out["runs"].append(row)
    return out


def targets(result):
    """[(target, measured, limit, met)] for the compact run (the default)."""
    rows = []
    for r in result["runs"]:
        if r["detail"] != "compact":
            continue
        rows.append(("controller peak memory, %d hosts x %d LUNs (compact)" % (r["hosts"], result["luns"]),
                     "PSS %.0f MiB (summed RSS %.0f MiB, largest process %.0f MiB)" % (
                         r["peak_pss_mib"], r["peak_rss_mib"], r["controller_max_rss_mib"]),
                     "<= %d MiB" % RSS_LIMIT_MIB, r["peak_pss_mib"] <= RSS_LIMIT_MIB))
        rows.append(("controller CPU per host (compact)", "%.2f s" % r["controller_cpu_per_host_s"],
                     "<= %.1f s" % CPU_LIMIT_S, r["controller_cpu_per_host_s"] <= CPU_LIMIT_S))
    return rows


def extrapolate(small, big, fleet=10000, slices=(10, 20, 40, 100, 400), cores=4, forks=20, module_wall_s=10.0):
    """A table for `fleet` hosts sliced over AWX execution nodes, from two measured compact runs (`small`, `big`:
    rows of audit(), fewer and more hosts). Assumptions (the results file of a run says them too):
    - controller memory is linear in the hosts of a slice: the two runs' peak PSS give base + per-host (PSS,
      not the summed RSS: the forked workers share the main process's pages, which RSS counts once per fork);
    - controller CPU per host is the bigger run's (the fixed start-up cost spread over its hosts);
    - a slice's wall time is the larger of its controller CPU spread over min(cores, forks) and its hosts'
      module wall time (`module_wall_s` per host, the audit's three modules on a real host) over `forks`.
    Returns [(slices, hosts per slice, minutes, controller GiB)]."""
    per_host_mib = (big["peak_pss_mib"] - small["peak_pss_mib"]) / float(big["hosts"] - small["hosts"])
    base_mib = big["peak_pss_mib"] - per_host_mib * big["hosts"]
    rows = []
    for n in slices:
        per_slice = -(-fleet // n)
        cpu_s = per_slice * big["controller_cpu_per_host_s"] / min(cores, forks)
        remote_s = per_slice * module_wall_s / forks
        rows.append((n, per_slice, round(max(cpu_s, remote_s) / 60.0, 1),
                     round((base_mib + per_host_mib * per_slice) / 1024.0, 2)))
    return {"per_host_mib": round(per_host_mib, 2), "base_mib": round(base_mib, 1), "rows": rows,
            "assumptions": {"fleet": fleet, "cores": cores, "forks": forks, "module_wall_s": module_wall_s,
                            "cpu_per_host_s": big["controller_cpu_per_host_s"]}}


def arguments():
    """The command line (docs/performance.md's commands are checked against it)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--forks", type=int, default=20)
    ap.add_argument("--luns", type=int, default=1024)
    ap.add_argument("--details", default="compact,full")
    ap.add_argument("--fixture-dir")
    ap.add_argument("--json")
    ap.add_argument("--per-task", action="store_true",
                    help="also log each worker's CPU with its task (benchmarks/task_cpu) and print the table by task")
    ap.add_argument("--pipelining", action="store_true",
                    help="run with ANSIBLE_PIPELINING=True (one command per module run, as on a fleet that enables it)")
    ap.add_argument("--record", help="also write the run as a results file for docs/performance.md's table")
    ap.add_argument("--extrapolate", nargs=2, metavar=("SMALL_JSON", "BIG_JSON"),
                    help="print the 10,000-host table from two earlier --json results (compact runs) and stop")
    return ap


def main():
    ap = arguments()
    args = ap.parse_args()
    if args.extrapolate:
        small, big = (next(r for r in json.loads(Path(f).read_text())["runs"] if r["detail"] == "compact")
                      for f in args.extrapolate)
        table = extrapolate(small, big)
        print(json.dumps(dict((k, v) for k, v in table.items() if k != "rows")))
        print("| slices | hosts per slice | minutes per slice | controller GiB per slice |")
        print("| --- | --- | --- | --- |")
        for row in table["rows"]:
            print("| %d | %d | %.1f | %.2f |" % row)
        return
    result = run(args.hosts, args.forks, args.luns, [d for d in args.details.split(",") if d], args.fixture_dir,
                 per_task=args.per_task, pipelining=args.pipelining)
    for r in result["runs"]:
        print(json.dumps(dict((k, v) for k, v in r.items() if k != "per_task")))
        if r.get("per_task"):
            print("| task | action | workers | CPU s | per host s |")
            print("| --- | --- | --- | --- | --- |")
            for t in r["per_task"]:
                print("| %s | %s | %d | %.2f | %.3f |" % (t["task"] or "-", t["action"], t["workers"], t["cpu_s"],
                                                          t["per_host_s"]))
    for name, measured, limit, met in targets(result):
        print("- %s: %s (target %s) -> %s" % (name, measured, limit, "met" if met else "MISSED"))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if args.record:
        import results_file
        results_file.write(args.record, "controller: audit.yml over %d fixture hosts of %d LUNs x 2" % (args.hosts, args.luns),
                           results_file.command("benchmarks/bench_controller.py", sys.argv[1:]),
                           results_file.controller_figures(result))


if __name__ == "__main__":
    main()
