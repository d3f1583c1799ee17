#!/usr/bin/env python3
"""Issue 10's benchmarks in one command: host scale, cleanup scale, array scale, one table with the targets.

    source <(scripts/setup.sh)
    SANLAB_PORT=2251 python benchmarks/run.py                      # everything (hours under TCG)
    python benchmarks/run.py --only host,array --luns 128 --runs 1  # a quick look (~15 min)
    python benchmarks/run.py --only host --luns 128,512,1024 --runs 5 --slow-runs 1 --udev stop --settle-timeout 3600
    SANLAB_PORT=2251 python benchmarks/run.py --only cleanup --maps 1,10

Parts (--only, comma separated; default all three):
  host     bench_host_scale.run: boots a VM of its own (--mem MiB) per size on --host-port (default
           SANLAB_HOST_PORT, else 2299) with --luns scsi_debug LUNs x 2 paths, median of --runs; stops it after.
           Before timing it waits for `udevadm settle` (--udev settle, the default) or, for 512 LUNs and more,
           where udev does not settle within the hour under TCG, kills udevd's queue once every map has both
           paths (--udev stop). --slow-runs N times lsscsi -i and the sg_inq loop in the first N runs only (0:
           never; lsscsi -i grows with the square of the devices and takes more than 40 minutes at 1,024 LUNs).
  cleanup  bench_cleanup_lab.run: --maps stale (unmapped, queueing, NETAPP) maps through playbooks/remediate.yml
           on the RUNNING lab VM on --lab-port (default SANLAB_PORT, else 2222; start it first with
           `SSH_PORT=<port> tests/lab/boot.sh start`; it is left running). --hung N adds the "one device whose
           delete blocks among N" row (a hook: bench_cleanup_lab.bench_hung_device, "not measured yet" until the
           scenario lands).
  array    bench_ontap_lookup.measure: REST requests against the ONTAP simulator on the controller (no VM),
           --array-luns LUNs, --array-hosts hosts.
  controller  bench_controller.run (issue 31, no VM): playbooks/audit.yml over --hosts fixture hosts of a generated
           --controller-luns-LUN capture (benchmarks/make_big_fixture.py) at --forks, once per --details value
           (compact, full): wall time, controller peak RSS/PSS, controller CPU per host, san fact bytes per host.
           Not part of the default run: `--only controller --hosts 200`.

--reuse FILE takes the parts not run now from an earlier --json (e.g. a long host run, then cleanup).
Prints one markdown table (part | measured | value | target | verdict) and writes every raw number, the table,
the controller's CPU and its load average before and after each part to --json (default bench-results.json).
--record FILE also writes the run as a results file (benchmarks/results/<date>-<what>.json, schema in
benchmarks/results_file.py) whose figures feed docs/performance.md's top table (results_file.py update).
The load matters: the VMs are TCG guests on a shared 2-core machine, so other work on it slows them.
Not a test: nothing here is timed by scripts/test.sh. docs/performance.md has the results and what each row means.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PARTS = ("host", "cleanup", "array", "controller")
HOST_ROWS = ("stale_mpath_facts (module alone)", "stale_mpath_facts detail=full (module alone)",
             "stale_mpath_facts (end to end, Ansible)", "stale_mpath_facts detail=full (end to end, Ansible)",
             "ansible ping (fixed cost)", "multipath -ll", "multipathd show maps json", "lsscsi -i",
             "sg_inq on every sd", "bare sysfs walk", "bare walk + maps json",
             "stale_mpath_facts that reads nothing (fixed cost)", "bare /proc/*/fd scan",
             "module minus its fixed cost", "module minus its fixed cost vs the floor",
             "module minus its fixed cost vs the floor and the /proc scan", "module peak RSS MiB",
             "module detail=full peak RSS MiB", "fact bytes (compact / full)", "fact nodes (compact / full)")
ACT_LIMIT_S, ACT_LIMIT_MAPS = 60.0, 100


def verdict(met):
    return "met" if met else "MISSED"


def load():
    return "%.2f %.2f %.2f" % os.getloadavg()


def host_rows(results):
    from bench_host_scale import targets
    sizes = sorted(results, key=int)
    rows = []
    before = sorted(set(k for s in sizes for k in results[s] if k.startswith("stale_mpath_facts at ")))
    for key in HOST_ROWS + tuple(before):
        values = ("%s%s" % (results[s][key], " s" if isinstance(results[s][key], (int, float)) and
                                  not key.endswith("MiB") else "")
                  if key in results[s] else "not measured" for s in sizes)
        rows.append(("host", key, " · ".join("%s: %s" % pair for pair in zip(sizes, values)), "", ""))
    for name, measured, limit, met in targets(results):
        rows.append(("host", name, measured, limit, verdict(met)))
    return rows


def cleanup_rows(results, wanted):
    by_n = {r["n"]: r for r in results if "hung" not in r}
    rows = []
    for n in sorted(set(wanted) | {1, 10, 50, ACT_LIMIT_MAPS}):
        r = by_n.get(n)
        if r is None:
            rows.append(("cleanup", "%d stale maps" % n, "not run (--maps)", "", ""))
            continue
        done = r["rc"] == 0 and r["maps_left"] == 0
        if "error" in r:
            rows.append(("cleanup", "%d maps" % n, "play stopped before the act (rc %d): %s"
                         % (r["rc"], r["error"].strip().splitlines()[-1][:100] if r["error"].strip() else ""),
                         "", "not measured"))
            continue
        act = r["act_s"] if r.get("act_s") is not None else r["act_task_s"]
        rows.append(("cleanup", "%d maps: maps removed, rc" % n, "%d of %d, rc %d" % (n - r["maps_left"], n, r["rc"]),
                     "all, rc 0", verdict(done)))
        per_map = act / n
        if n == ACT_LIMIT_MAPS:
            limit, met = "<= %.0f s" % ACT_LIMIT_S, act <= ACT_LIMIT_S
        else:
            limit, met = "(%.1f s/map at %d)" % (ACT_LIMIT_S / ACT_LIMIT_MAPS, ACT_LIMIT_MAPS), None
        around = "".join("; %s %.1f s" % (label, r[key]) for key, label in
                         (("plan_s", "its read and plan"), ("post_check_s", "its post-check"))
                         if r.get(key) is not None)
        if r.get("settled") is False:
            # the guest was still working through the unmaps' uevents: the act competed with udev and multipathd
            around += "; udev had not settled %.0f s after the unmaps" % r["settle_s"]
        g = r.get("guest_at_play") or {}
        if g.get("load"):
            stuck = ", ".join("%s x%d" % (c, k) for c, k in sorted(g["d_state"].items())) or "none"
            around += "; guest at the play's start: load %s, udev queue %s, in D state: %s" % (
                "/".join(g["load"]), "not empty" if g["udev_queue"] else "empty", stuck)
        rows.append(("cleanup", "%d maps: act (module's act_seconds%s; the whole stale_cleanup task %.1f s)"
                     % (n, around, r["act_task_s"]),
                     "%.1f s (%.2f s/map)" % (act, per_map), limit, "" if met is None else verdict(met)))
        rows.append(("cleanup", "%d maps: whole play" % n, "%.1f s" % r["playbook_s"], "<= 2x act = %.1f s" % (2 * act),
                     verdict(r["playbook_s"] <= 2 * act)))
    for r in results:
        if "hung" in r:
            h = r["hung"]
            if h is None:
                rows.append(("cleanup", "hung device among %d" % r["n"], "not timed here: proven by the lab test "
                             "test_hung_delete_lab.py::test_a_hung_disk_among_twenty_stale_maps_stops_only_its_own_unit "
                             "(docs/performance.md)", "others removed; cost <= its deadline", ""))
            else:
                met = h["others_removed"] == r["n"] - 1 and h["extra_s"] <= h["deadline_s"]
                rows.append(("cleanup", "hung device among %d" % r["n"],
                             "others removed %d of %d; act %.1f s, %.1f s more than without it; its deadline %.1f s"
                             % (h["others_removed"], r["n"] - 1, h["act_task_s"], h["extra_s"], h["deadline_s"]),
                             "others removed; cost <= its deadline", verdict(met)))
    return rows


def array_rows(summary, rows):
    from bench_ontap_lookup import targets
    out = [("array", name.strip(), "%d requests, %.1f s" % (req, sec), "", "") for name, req, sec, _n in rows]
    out += [("array", name, measured, limit, verdict(met)) for name, measured, limit, met in targets(summary, rows)]
    return out


def controller_rows(result):
    from bench_controller import targets
    rows = []
    for r in result["runs"]:
        rows.append(("controller", "%s: %d hosts x %d LUNs, forks %d" % (r["detail"], r["hosts"], result["luns"], r["forks"]),
                     "wall %.0f s; peak RSS %.0f MiB (PSS %.0f MiB); controller CPU %.2f s/host; san fact %d bytes/host"
                     % (r["wall_s"], r["peak_rss_mib"], r["peak_pss_mib"], r["controller_cpu_per_host_s"],
                        r["fact"]["bytes"]), "", ""))
    rows += [("controller", name, measured, limit, verdict(met)) for name, measured, limit, met in targets(result)]
    return rows


def print_table(rows, out=sys.stdout):
    out.write("| part | measured | value | target | verdict |\n| --- | --- | --- | --- | --- |\n")
    for row in rows:
        out.write("| %s |\n" % " | ".join(row))


def arguments():
    """The command line (docs/performance.md's commands are checked against it)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="details: the module docstring",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(PARTS[:3]), help="parts, comma separated: host,cleanup,array,controller")
    ap.add_argument("--luns", default="128,512,1024", help="host: LUN counts (x 2 paths)")
    ap.add_argument("--runs", type=int, default=5, help="host: runs per size (median)")
    ap.add_argument("--mem", type=int, default=4096, help="host: guest MiB")
    ap.add_argument("--profile", action="store_true", help="host: cProfile the module once per size (in --json)")
    ap.add_argument("--slow-runs", "--sg-inq-runs", type=int, dest="slow_runs",
                    help="host: time the sg_inq loop and lsscsi -i in only the first N runs")
    ap.add_argument("--udev", choices=("settle", "stop"), default="settle",
                    help="host: before timing, wait for udevadm settle or drop udev's queue once the maps are complete")
    ap.add_argument("--settle-timeout", type=float, default=1800,
                    help="host: seconds to wait for the maps (and, with --udev settle, for udev)")
    ap.add_argument("--uxsock-timeout", type=int, default=30000,
                    help="host: ms for the guest's multipath.conf uxsock_timeout (0: the built-in 4000, with which "
                         "'multipathd show maps json' fails at 1,024 LUNs)")
    ap.add_argument("--host-port", type=int, default=int(os.environ.get("SANLAB_HOST_PORT", "2299")))
    from bench_host_scale import add_guest_options
    add_guest_options(ap)  # host: --against REV, --prepare-only, --reuse-guest
    ap.add_argument("--maps", default="1,10,50,100", help="cleanup: stale map counts")
    ap.add_argument("--hung", type=int, default=20, help="cleanup: maps in the hung-device case (0: skip)")
    ap.add_argument("--cleanup-settle", type=int, default=600,
                    help="cleanup: seconds to wait for udev to settle after the unmaps, before the play")
    ap.add_argument("--lab-port", type=int, default=int(os.environ.get("SANLAB_PORT", "2222")))
    ap.add_argument("--array-luns", type=int, default=10000)
    ap.add_argument("--array-hosts", type=int, default=100)
    ap.add_argument("--hosts", type=int, default=200, help="controller: fixture hosts")
    ap.add_argument("--forks", type=int, default=20, help="controller: ansible forks")
    ap.add_argument("--controller-luns", type=int, default=1024, help="controller: LUNs x 2 of each fixture host")
    ap.add_argument("--details", default="compact,full", help="controller: san fact forms to run")
    ap.add_argument("--json", default="bench-results.json", help="write raw results and the table here")
    ap.add_argument("--reuse", help="a previous --json: parts not run now are taken from it (their load too)")
    ap.add_argument("--record", help="also write the run as a results file for docs/performance.md's table")
    return ap


def main():
    ap = arguments()
    args = ap.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error("unknown part(s) %s; choose from %s" % (", ".join(sorted(unknown)), ",".join(PARTS)))

    report = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "argv": sys.argv[1:],
              "controller": {"cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                             "lscpu": subprocess.run(["lscpu"], capture_output=True, text=True).stdout},
              "load": {}, "raw": {}}
    previous = json.loads(Path(args.reuse).read_text()) if args.reuse else {"raw": {}, "load": {}}
    rows = []
    for part in PARTS:
        if part not in parts:
            if part in previous["raw"]:
                report["raw"][part] = raw = previous["raw"][part]
                report["load"][part] = dict(previous["load"].get(part, {}), reused=args.reuse)
                rows += (host_rows(raw) if part == "host" else cleanup_rows(raw, []) if part == "cleanup"
                         else controller_rows(raw) if part == "controller"
                         else array_rows(raw["cluster"], raw["scenarios"]))
            continue
        before, t0 = load(), time.monotonic()
        if part == "host":
            import bench_host_scale
            raw = bench_host_scale.run(bench_host_scale.sizes_of(args), args.runs, args.mem, port=args.host_port,
                                       profile=args.profile, slow_runs=args.slow_runs, udev=args.udev,
                                       settle_timeout=args.settle_timeout, uxsock_timeout=args.uxsock_timeout,
                                       against=args.against, reuse_guest=args.reuse_guest,
                                       prepare_only=args.prepare_only)
            if args.prepare_only:
                return
            rows += host_rows(raw)
        elif part == "cleanup":
            import bench_cleanup_lab
            wanted = [int(x) for x in args.maps.split(",")]
            raw = []
            for result in bench_cleanup_lab.run(wanted, args.lab_port, hung=args.hung, settle=args.cleanup_settle):
                sys.stderr.write("[cleanup] %s\n" % json.dumps(result))
                raw.append(result)
            rows += cleanup_rows(raw, wanted)
        elif part == "controller":
            import bench_controller
            raw = bench_controller.run(args.hosts, args.forks, args.controller_luns,
                                       [d for d in args.details.split(",") if d])
            rows += controller_rows(raw)
        else:
            import bench_ontap_lookup
            summary, scenario_rows = bench_ontap_lookup.measure(args.array_luns, args.array_hosts)
            raw = {"cluster": summary, "scenarios": scenario_rows}
            rows += array_rows(summary, scenario_rows)
        report["raw"][part] = raw
        report["load"][part] = {"before": before, "after": load(), "seconds": round(time.monotonic() - t0, 1)}
        sys.stderr.write("[run] %s done in %.0f s, load %s -> %s\n" % (part, time.monotonic() - t0, before, load()))
    report["table"] = rows
    print_table(rows)
    print()
    for part, seen in report["load"].items():
        print("load average (1/5/15 min) %s: before %s, after %s; %s s%s" % (
            part, seen.get("before"), seen.get("after"), seen.get("seconds"),
            " (from %s)" % seen["reused"] if "reused" in seen else ""))
    Path(args.json).write_text(json.dumps(report, indent=1))
    print("raw results: %s" % args.json)
    if args.record:
        record(args.record, report["raw"], report["load"])


def figures(raw):
    """The figures of docs/performance.md's top table that the parts in `raw` measured."""
    import results_file
    out = {}
    if "host" in raw:
        out.update(results_file.host_figures(raw["host"]))
    if "cleanup" in raw:
        out.update(results_file.cleanup_figures(raw["cleanup"]))
    if "controller" in raw:
        out.update(results_file.controller_figures(raw["controller"]))
    if "array" in raw:
        from bench_ontap_lookup import AUDIT_ROW
        req = next(r[1] for r in raw["array"]["scenarios"] if r[0].startswith(AUDIT_ROW))
        out["array-requests-per-cluster"] = results_file.measured(req, "requests")
    return out


def record(path, raw, loads):
    import results_file
    results_file.write(path, "benchmarks/run.py: %s" % ", ".join(sorted(raw)),
                       results_file.command("benchmarks/run.py", [shlex.quote(a) for a in sys.argv[1:]]),
                       figures(raw), notes="load average (1/5/15) per part: %s" % json.dumps(loads))
    print("results file: %s" % path)


if __name__ == "__main__":
    main()
