"""Issue 27 §3 and §6 on the real kernel: what happens between the plan and the act, and to an act cut short.

- test_sigterm_while_flushing_gives_queueing_back: three stale unmapped NETAPP maps (queue_if_no_path, the
  built-in `no_path_retry queue`); `stale_cleanup` runs through ansible-playbook; a watcher in the guest sends
  SIGTERM to the module's process as soon as the act has turned queueing off on every map (the module is then in
  the flush batch: re-reads, probes, then `multipath -f` of each). The touch in flight ends, nothing new starts,
  no path is deleted, the maps not flushed queue again exactly as before (same table features), the result names
  the signal and what was given back; a second run removes the rest.
- test_lun_mapped_back_after_the_read_is_refused_as_came_back: a plain disk (no map: target2, its WWID
  blacklisted) whose LUN the array no longer maps, planned with two stale maps of target1. A watcher maps the
  LUN back as soon as the act has turned queueing off on a map (the host was read and the plan made); the
  delete batch probes the disks again and refuses both as `came_back`: nothing of them removed.

- test_a_lun_mapped_back_while_the_kernel_calls_its_paths_failed_is_not_touched: a stale map whose LUN the array
  maps back, its LU in ALUA standby (TEST UNIT READY: NOT READY, target port in standby; INQUIRY answers), while
  the truth the run holds still says unmapped and multipathd checks failed paths only every 300 s, so that dm still
  calls both paths failed. The LU's answer refuses the unit before its first touch: the map, its paths and its
  queueing stay as they were.

The array truth is handed to the module (array_truth): it says what the array said when the test read it,
which is what a truth up to truth_max_age old says after a LUN is mapped back.
"""
import json
import sys
import time

import pytest
from sanlab import LabError  # noqa: I100

from test_hardening_lab import sh as _sh  # noqa: I100 (same directory)
from test_hung_delete_lab import run_task  # noqa: I100
from test_remediate_lab import mapped  # noqa: I100

pytestmark = pytest.mark.lab

# deadlines for a TCG guest on a loaded host (the assertions do not depend on them); the module run alone executes
# its own plan only when told so (its approval gate)
ARGS = {"timeout": 60, "wait_timeout": 60, "command_timeout": 30, "probe_timeout": 15, "allow_unreviewed": True}
HBA = "/sys/kernel/config/target/core/fileio_90"
TARGET2 = "iqn.2024-01.lab.san:target2"
TPG2 = "/sys/kernel/config/target/iscsi/%s/tpgt_1" % TARGET2


def sh(lab, cmd, timeout=300):
    return _sh(lab, cmd, timeout=timeout)


def mkdir(path):
    """A directory per run_task call: it appends to its capture file and reads back exactly one record."""
    path.mkdir()
    return path


def array_truth(*lab_truths):
    """The array-truth contract (docs/ontap.md) from the agent's truths, read now: the LUNs each target maps to
    this host, and the targets (IQN, portal addresses) each SVM covers."""
    now = time.time()
    luns, targets = [], []
    for t, (cluster, svm) in zip(lab_truths, (("sanlab", "svm_sanlab"), ("sanlab2", "svm_sanlab2"))):
        luns.extend(dict(r, collected_at=now) for r in t["array_luns"])
        targets.append({"cluster": cluster, "svm": svm, "iscsi_target_names": [t["target_iqn"]],
                        "iscsi_addresses": [p.rsplit(":", 1)[0] for p in t["portals"]], "fc_wwpns": [],
                        "collected_at": now})
    # the initiators the records were read for: without them the truth covers no path (docs/ontap.md)
    initiators = sorted(set(t["initiator_iqn"] for t in lab_truths))
    return {"luns": luns, "targets": targets, "initiators": initiators, "problems": [], "collected_at": now}


def features(lab, wwids):
    """{wwid: the multipath target's feature words of its LOADED table} for the maps that exist."""
    out = {}
    for line in sh(lab, "dmsetup table --target multipath").splitlines():
        name, rest = line.split(":", 1)
        words = rest.split()
        if name in wwids:
            n = int(words[3])
            out[name] = words[3:4 + n]
    return out


def watch(lab, when, then):
    """A watcher in the guest: once the shell condition `when` holds (the act has reached a given point), it runs
    `then`, which ends the watch with `exit 0` (or lets it poll again), and writes what it saw to
    /tmp/h27-watch.out. In `then`, $MP is the pid of a running `multipath -f` and $PP its parent (the module's
    process), when there is one."""
    script = ("rm -f /tmp/h27-watch.out; end=$(( $(date +%%s) + 1200 ))\n"
              "while [ $(date +%%s) -lt $end ]; do\n"
              "  if %s; then\n"
              "    MP=; PP=\n"
              "    for p in $(pgrep -x multipath); do\n"
              "      case \"$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)\" in 'multipath -f '*)\n"
              "        MP=$p; PP=$(awk '/^PPid/{print $2}' /proc/$p/status 2>/dev/null);;\n"
              "      esac\n"
              "    done\n"
              "    echo \"$(date +%%s.%%N) pp=$PP $(tr '\\0' ' ' < /proc/$PP/cmdline 2>/dev/null) :: "
              "mp=$MP $(tr '\\0' ' ' < /proc/$MP/cmdline 2>/dev/null)\" > /tmp/h27-watch.out\n"
              "    %s\n"
              "  fi\n"
              "  sleep 0.2\n"
              "done\n" % (when, then))
    lab.put_file("/tmp/h27-watch.sh", script, mode="755")
    sh(lab, "setsid nohup sh /tmp/h27-watch.sh >/dev/null 2>&1 < /dev/null & echo $! > /tmp/h27-watch.pid")


def stop_watch(lab):
    lab.ssh("kill $(cat /tmp/h27-watch.pid) 2>/dev/null; true", timeout=30)
    return sh(lab, "cat /tmp/h27-watch.out 2>/dev/null; true").strip()


def test_sigterm_while_flushing_gives_queueing_back(lab, tmp_path):
    t_start = time.monotonic()
    n = 3
    try:   # LUN n+1 stays mapped: an array truth without a record for this host blocks every removal
        lab.reset(luns=n + 1)
    except LabError:    # the setup's own wait for the maps can be too short on a loaded host: wait longer
        assert lab.agent("wait_maps", call_timeout=600, count=n + 2, paths=2, timeout=500)["ok"]
    assert lab.wait_maps(count=n + 2, paths=2, timeout=300)["ok"]
    wwids = [w for lun, w in sorted(mapped(lab.truth()).items()) if 1 <= lun <= n]
    for lun in range(1, n + 1):
        lab.unmap_lun(lun)
    for w in wwids:
        assert lab.wait_paths(w, state="failed", timeout=90)["ok"], w
    before = features(lab, wwids)
    assert sorted(before) == sorted(wwids) and all("queue_if_no_path" in f for f in before.values()), before
    paths = sh(lab, "for w in %s; do dmsetup deps -o devname $w; done" % " ".join(wwids)).replace("(", " ").replace(
        ")", " ").split()
    paths = [p for p in paths if p.startswith("sd")]
    assert len(paths) == 2 * n, paths
    # SIGTERM as soon as the act has turned queueing off on every stale map: the module is then in the flush
    # batch (its identity re-reads and probes of every map, then a targeted `multipath -f` each, 4 at a time)
    lab.ssh("kill $(cat /tmp/h27-holder.pid 2>/dev/null) 2>/dev/null; true", timeout=60)
    watch(lab, "! dmsetup table --target multipath | grep -E '%s' | grep -q queue_if_no_path" % "|".join(wwids),
          "M=$(pgrep -xo python3 -P $(pgrep -f '^/bin/sh -c /usr/bin/python3' | head -1)) && kill -TERM $M && "
          "{ echo killed $M $(cat /proc/$M/comm) >> /tmp/h27-watch.out; exit 0; }")
    try:
        out, task_seconds, _s = run_task(lab, mkdir(tmp_path / "first"), "stale_cleanup", dict(
            ARGS, array_truth=array_truth(lab.truth())))
    finally:
        seen = stop_watch(lab)
    sys.stderr.write("[sigterm] watcher: %s\n[sigterm] task %.1fs; msg: %s\n[sigterm] restored: %s\n"
                     % (seen, task_seconds, out.get("msg"), json.dumps(out.get("queueing_restored"))[:2000]))
    assert "killed" in seen and "python3" in seen, seen      # the module's own process got the signal
    assert out["failed"] and out.get("interrupted") == "SIGTERM", out.get("msg")
    assert "interrupted by SIGTERM" in out["msg"]
    now = features(lab, wwids)
    left = [w for w in wwids if w in now]
    assert left, "every map was flushed before the signal landed: nothing was left to give back"
    assert dict((w, now[w]) for w in left) == dict((w, before[w]) for w in left)   # queueing exactly as before
    restored = dict((r["map"], r) for r in out["queueing_restored"])
    assert all(restored[w]["queueing_now"] is True for w in left), restored
    assert not [e for e in out["executed"] if e["action"] == "delete_disk"]
    assert set(paths) <= set(sh(lab, "ls /sys/block").split())        # no path deleted
    assert {f["unit"] for f in out["failures"]} == set("map %s" % w for w in wwids)

    again, seconds, _s = run_task(lab, mkdir(tmp_path / "second"), "stale_cleanup",
                                  dict(ARGS, array_truth=array_truth(lab.truth())))
    sys.stderr.write("[sigterm] second run %.1fs: %s; test %.0fs\n"
                     % (seconds, again.get("msg") or "ok", time.monotonic() - t_start))
    assert not again["failed"], again.get("msg")
    assert not features(lab, wwids) and not set(paths) & set(sh(lab, "ls /sys/block").split())
    assert sorted(again["removed_maps"]) == sorted(left)


def test_lun_mapped_back_after_the_read_is_refused_as_came_back(lab, tmp_path):
    t_start = time.monotonic()
    lab.reset()
    t2 = lab.agent("target2_setup", luns=[1], multipath=False, call_timeout=240)["truth"]
    disks = sorted(d["name"] for d in t2["disks"])
    assert len(disks) == 2 and all(sh(lab, "ls /sys/block/%s/holders" % sd).split() == [] for sd in disks)
    assert lab.wait_maps(count=4, paths=2, timeout=300)["ok"]
    wwids = [w for lun, w in sorted(mapped(lab.truth()).items()) if lun in (1, 2)]
    for lun in (1, 2):
        lab.unmap_lun(lun)
    ini = t2["initiator_iqn"]
    acl = "%s/acls/%s/lun_1" % (TPG2, ini)
    sh(lab, "rm %s/lun_0 && rmdir %s" % (acl, acl))       # target2 no longer maps LUN 1 to this host
    for w in wwids:
        assert lab.wait_paths(w, state="failed", timeout=90)["ok"], w
    probe = sh(lab, "sg_turs -v /dev/%s 2>&1; true" % disks[0])
    assert "not supported" in probe.lower(), probe
    truth = array_truth(lab.truth(), dict(lab.agent("target2_truth"), array_luns=[]))

    try:   # mapped back once the act has turned queueing off on the first map: the host was read and planned
        watch(lab, "dmsetup table %s | grep -vq queue_if_no_path" % wwids[0],
              "mkdir %s && ln -s %s/lun/lun_0 %s/lun_0; exit 0" % (acl, TPG2, acl))
        out, task_seconds, _s = run_task(lab, tmp_path, "stale_cleanup", dict(ARGS, array_truth=truth))
        seen = stop_watch(lab)
        sys.stderr.write("[came back] watcher: %s\n[came back] task %.1fs; msg: %s\n[came back] failures: %s\n"
                         % (seen, task_seconds, out.get("msg"), json.dumps(out.get("failures"))[:3000]))
        assert seen, "the act never began"
        assert set(disks) <= set(d["name"] for d in out["delete_disks"])       # planned as stale ...
        assert out["failed"]
        refused = dict((f["unit"], f) for f in out["failures"])
        assert sorted(refused) == ["disk %s" % sd for sd in disks], refused
        assert all(f["refusal"]["kind"] == "came_back" and "came back" in f["msg"] for f in refused.values())
        left = sh(lab, "ls /sys/block").split()
        assert set(disks) <= set(left)                                            # ... nothing of them removed
        assert not [e for e in out["executed"] if e["target"] in disks]
        # the two maps of target1 (planned in the same run) were removed
        assert sorted(out["removed_maps"]) == sorted(wwids) and not features(lab, wwids)
        assert "not supported" not in sh(lab, "sg_turs -v /dev/%s 2>&1; true" % disks[0]).lower()
    finally:
        stop_watch(lab)
        lab.reset()
    sys.stderr.write("[came back] test %.0fs\n" % (time.monotonic() - t_start))


def test_a_lun_mapped_back_while_the_kernel_calls_its_paths_failed_is_not_touched(lab, tmp_path):
    t_start = time.monotonic()
    lab.reset()
    if lab.truth().get("target_backend") != "lio":
        pytest.skip("ALUA states are set through LIO's configfs")
    (wwid,) = [w for lun, w in mapped(lab.truth()).items() if lun == 1]
    lab.unmap_lun(1)
    assert lab.wait_paths(wwid, state="failed", timeout=90)["ok"], wwid
    truth = array_truth(lab.truth())      # says unmapped: what a truth read minutes earlier says after the remap
    lu = next(r["name"] for r in lab.truth()["lus"] if r.get("wwid") == wwid)
    alua = "%s/%s/alua/default_tg_pt_gp/alua_access_state" % (HBA, lu)
    queueing = features(lab, [wwid])
    try:
        # multipathd's checker from now on every 300 s: after its check at the reconfigure (LUN still unmapped), dm
        # keeps calling the paths failed while the LU answers again
        sh(lab, "mkdir -p /etc/multipath/conf.d")
        lab.put_file("/etc/multipath/conf.d/zz-slow-checker.conf",
                     "defaults {\n    polling_interval 300\n    max_polling_interval 300\n}\n")
        sh(lab, "multipathd reconfigure && sleep 6")
        assert lab.wait_paths(wwid, state="failed", timeout=60)["ok"], wwid
        # the array maps the LUN back, its LU in standby (a takeover's transition): it answers, but not READY
        sh(lab, "echo 2 > %s" % alua)
        lab.map_lun(1, scan=False)
        probe = sh(lab, "sg_turs -v /dev/$(ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves | head -1) "
                        "2>&1; true" % wwid)
        assert "standby" in probe.lower(), probe
        out, task_seconds, _s = run_task(lab, tmp_path, "stale_cleanup", dict(ARGS, array_truth=truth))
        sys.stderr.write("[answers, failed] task %.1fs; msg: %s\nleft alone: %s\nfailures: %s\n" % (
            task_seconds, out.get("msg"), json.dumps(out.get("left_alone"))[:2000],
            json.dumps(out.get("failures"))[:2000]))
        paths = out["ansible_facts"]["san"]["maps"][wwid]["paths"]
        assert [p["dm_state"] for p in paths] == ["failed", "failed"], paths       # the kernel still says failed
        said = [r["reason"] for r in out["left_alone"] if r["name"] == wwid] + [
            f["msg"] for f in out.get("failures") or [] if f["unit"] == "map %s" % wwid]
        assert said and all("answer" in why for why in said), said                 # refused for the LU's answer
        assert not [e for e in out["executed"] if wwid in (e["target"], e.get("unit", "").split(" ")[-1])]
        assert features(lab, [wwid]) == queueing                                   # the map, queueing as before
        assert len(sh(lab, "ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves" % wwid).split()) == 2
    finally:
        sh(lab, "echo 0 > %s; true" % alua)
        lab.reset()
    sys.stderr.write("[answers, failed] test %.0fs\n" % (time.monotonic() - t_start))
