#!/usr/bin/env python3
"""Seconds to clean N stale (unmapped, queueing) NETAPP maps on the SAN lab host with the real playbook.

    SANLAB_PORT=2222 python benchmarks/bench_cleanup_lab.py 1 10 [50]

Per N: `lab.reset(luns=N + 1)` (N + 1 NETAPP LUNs + LUN 0, 2 paths each; timed), unmap LUNs 1..N (LUN N + 1
stays mapped and healthy: with nothing mapped the plan rightly refuses all removal as empty_truth) and wait until
their paths fail (timed) and udev has settled (timed), start the ONTAP simulator from the lab truth, run
`playbooks/remediate.yml` (facts, one stale_cleanup task that plans and runs, verify; timed, with the wall time of
each batch of the act inside that task), check that the N maps are gone. Uses a running lab VM (never starts or
stops one) and holds the lab lock for the whole run. Prints one JSON line per N.
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lab"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from sanlab import Lab  # noqa: E402
import test_remediate_lab as t  # noqa: E402


def guest_state(lab):
    """What the guest is busy with as the play starts: a settle that timed out alone does not say whether udev is
    still working through a backlog (load high) or only holds workers stuck in I/O on queueing maps (lab finding 2:
    settle then never returns, while the load falls)."""
    rc, out, _err = lab.ssh("cat /proc/loadavg; test -e /run/udev/queue && echo queue=yes || echo queue=no; "
                            "ps -eo stat=,comm= | awk '$1 ~ /^D/ {print $2}' | sort | uniq -c", timeout=120)
    if rc != 0:
        return {"error": out[-200:]}
    lines = out.strip().splitlines()
    stuck = dict((c, int(k)) for k, c in (ln.split(None, 1) for ln in lines[2:] if ln.strip()))
    return {"load": lines[0].split()[:3], "udev_queue": lines[1] == "queue=yes", "d_state": stuck}


def bench(lab, n, tmp, settle=600):
    out = {"n": n}
    t0 = time.monotonic()
    # one NETAPP LUN more than is made stale stays mapped: an array that maps nothing to a host whose devices it
    # serves looks like an incomplete read, and the plan then refuses every removal (empty_truth)
    lab.reset(luns=n + 1, timeout=600 + 30 * n)
    out["reset_s"] = round(time.monotonic() - t0, 1)
    truth = lab.truth()
    wwids = [w for lun, w in sorted(t.mapped(truth).items()) if 1 <= lun <= n]
    sds_before = len([x for x in t.sh(lab, "ls /sys/block").split() if x.startswith("sd")])
    t0 = time.monotonic()
    for lun in range(1, n + 1):
        lab.unmap_lun(lun)
    for w in wwids:
        lab.wait_paths(w, state="failed", timeout=120)
    out["unmap_and_fail_s"] = round(time.monotonic() - t0, 1)
    # 2N paths failing are 2N path and N map uevents that udev and multipathd work through for a minute or more
    # under TCG (guest load 12 right after 50 unmaps: every read there was ~10x slower); the devices such a play
    # cleans are normally older than that, so the play starts once the guest has settled (the time is reported)
    t0 = time.monotonic()
    rc, _out, _err = lab.ssh("udevadm settle --timeout=%d && multipathd show daemon" % settle, timeout=settle + 100)
    out["settle_s"] = round(time.monotonic() - t0, 1)
    out["settled"] = rc == 0
    out["guest_at_play"] = guest_state(lab)
    work = Path(tmp) / ("n%d" % n)
    (work / "sim").mkdir(parents=True)
    with t.OntapSimulator(t.from_lab_truth(lab.truth()), str(work / "sim")) as sim:
        play = t.run_play(lab, sim, work, tag="bench%d" % n, timeout=3600,
                          extra={"stale_cleanup_flush_timeout": 60})
    out["playbook_s"] = round(play.seconds, 1)
    out["rc"] = play.rc
    if not play.results("stale_cleanup"):  # the play stopped before the act (e.g. host unreachable)
        out.update(error=play.out[-1500:], maps_left=len(wwids), flushed=0)
        return out
    out["flushed"] = len(play.plan["flush_maps"])
    # why a map was not planned: the numbers above are meaningless without the plan's own reasons
    out["refused"] = sorted(set(r.get("reason") for r in play.plan.get("refused") or []))
    out["left_alone"] = sorted(set(x.get("kind") for x in play.plan.get("left_alone") or []))
    out["blocked"] = [b.get("msg") for b in play.plan.get("blocked") or []]
    out["left_alone_why"] = sorted(set(x.get("reason") or "" for x in play.plan.get("left_alone") or []))[:5]
    out["executed_steps"] = len(play.executed())
    slowest = sorted(((r.get("seconds") or 0, r["task"]) for r in play.records), reverse=True)[:6]
    out["slowest_tasks_s"] = [[sec, name.split(" : ")[-1][:60]] for sec, name in slowest]
    applied = play.results("stale_cleanup")
    out["apply_calls"] = len(applied)
    # the act as the play sees it: the stale_cleanup task(s) from start to result (the steps plus their reads)
    out["act_task_s"] = round(sum(r.get("seconds") or 0 for r in play.records
                                  if r["action"].endswith("stale_cleanup") and r["status"] in ("ok", "failed")), 1)
    # the act alone: the module's own wall time of the executed steps (act_seconds), without its read and probes
    acts = [r.get("act_seconds") for r in applied if r.get("act_seconds") is not None]
    out["act_s"] = round(sum(acts), 1) if acts else None
    # the rest of the module's time: its read and plan before the act, its read and reference search after
    for part in ("plan_seconds", "post_check_seconds"):
        spent = [r[part] for r in applied if r.get(part) is not None]
        out[part.replace("_seconds", "_s")] = round(sum(spent), 1) if spent else None
    # wall time per batch (its read included), in order: where the act's time went
    out["act_batches"] = [[b["action"], b["steps"], b["seconds"]] for r in applied for b in r.get("act_batches") or []]
    out["failures"] = [{"unit": f.get("unit"), "msg": str(f.get("msg") or f)[:300]}
                       for r in applied for f in r.get("failures") or []]
    out["msgs"] = [str(r.get("msg"))[:500] for r in applied if r.get("failed") or r.get("msg")]
    out["rebuilt_maps_removed_again"] = sum(1 for r in applied for s in r.get("executed") or []
                                            if (s.get("detail") or {}).get("rebuilt_map_removed"))
    left = t.sh(lab, "dmsetup ls --target multipath")
    out["maps_left"] = sum(1 for w in wwids if w in left)
    out["sds_removed"] = sds_before - len([x for x in t.sh(lab, "ls /sys/block").split() if x.startswith("sd")])
    out["per_map_s"] = round(play.seconds / n, 2)
    if play.rc:
        out["tail"] = play.out[-1500:]
    return out


def bench_hung_device(lab, n, tmp):
    """Hook for issue 10's "hung device among n": one stale device that hangs, n - 1 that must still go, at a cost
    of at most the hung device's own deadline. The lab test test_hung_delete_lab.py::
    test_a_hung_disk_among_twenty_stale_maps_stops_only_its_own_unit proves it on the real kernel (numbers in
    docs/performance.md); this bench does not time it and returns None. A timed version would return
    {"playbook_s", "act_task_s", "extra_s" (act_task_s minus the act of the same n - 1 maps without the blocked
    one), "deadline_s" (the blocked step's deadline), "others_removed" (of n - 1)}; run.py prints the row."""
    return None


def run(ns, port, hung=0, lock_timeout=1800, settle=600):
    """Yield one result per N (and the hung-device case if hung) on the running lab VM on `port`."""
    # a TCG guest on a busy 2-core host can take longer than ansible's 10 s to send its ssh banner
    os.environ.setdefault("ANSIBLE_TIMEOUT", "60")
    lab = Lab(port=port)
    lab.acquire(timeout=lock_timeout)
    try:
        if not lab.is_running():
            raise SystemExit("no lab VM on port %s: start one (SSH_PORT=%s tests/lab/boot.sh start)" % (port, port))
        lab.start(reuse=True)
        with tempfile.TemporaryDirectory() as tmp:
            for n in ns:
                yield bench(lab, n, tmp, settle)
            if hung:
                yield {"n": hung, "hung": bench_hung_device(lab, hung, tmp)}
        lab.reset()
    finally:
        lab.release()


def main():
    ns = [int(x) for x in sys.argv[1:]] or [1, 10]
    for result in run(ns, int(os.environ.get("SANLAB_PORT", "2222")),
                      lock_timeout=float(os.environ.get("SANLAB_LOCK_TIMEOUT", "1800"))):
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
