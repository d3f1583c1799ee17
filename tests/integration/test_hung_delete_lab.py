"""Issue 13 §1 on the real kernel: a deletion on a wedged session never hangs the play.

A disk of the lab's second target (no multipath map: its WWID is blacklisted, so multipathd never rewrites the
session's recovery_tmo, lab finding 5) sits on a session whose recovery_tmo is 600 s. Its portal is silently
dropped (nftables drop, no RST): the session fails and stays in recovery, and a writer doing O_DIRECT I/O to the
disk blocks in D state. `scsi_delete` of that disk through ansible-playbook with ssh pipelining on (the module's
children must not hold the connection's pipes) returns within its deadlines plus a margin, refuses with nothing
changed, and names the stuck writer. Restoring the portal lets the session recover and the lab reset.
"""
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sanlab import LabError  # noqa: I100

from test_hardening_lab import sh  # noqa: I100 (same directory)
from test_remediate_lab import CALLBACK, FAST, mapped, run_play  # noqa: I100
from test_two_clusters_lab import OntapSimulator, from_lab_truths  # noqa: I100

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.lab

COMMAND_TIMEOUT = 10
TARGET2 = "iqn.2024-01.lab.san:target2"
WAIT_TIMEOUT = 20
# ansible-playbook start, ssh and the module's Python start in the TCG guest, on a shared 2-core host
MARGIN = 45


def run_captured(lab, tmp_path, play, timeout=600, cwd=ROOT):
    """`play` (a list of plays) on the lab host through ansible-playbook with ssh pipelining on, every task's result
    captured (CALLBACK): (process, ansible-playbook seconds, [{task, action, status, seconds, result}])."""
    (tmp_path / "play.yml").write_text(json.dumps(play))
    (tmp_path / "callbacks").mkdir(exist_ok=True)
    (tmp_path / "callbacks" / "capture.py").write_text(CALLBACK)
    capture = tmp_path / "capture.jsonl"
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="True",
               ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_CALLBACK_PLUGINS=str(tmp_path / "callbacks"),
               ANSIBLE_CALLBACKS_ENABLED="capture", CAPTURE_FILE=str(capture))
    t0 = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", str(lab.inventory_path()), str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True, timeout=timeout, cwd=str(cwd), check=False)
    seconds = time.monotonic() - t0
    assert capture.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc, seconds, [json.loads(line) for line in capture.read_text().splitlines()]


def run_task(lab, tmp_path, module, args, timeout=600):
    """One task on the lab host through ansible-playbook with ssh pipelining on; returns (result, task seconds as
    the controller saw them, ansible-playbook seconds)."""
    play = [{"hosts": "sanlab", "gather_facts": False, "tasks": [
        {"name": "under test", "sanfleet.remediation.%s" % module: args, "ignore_errors": True}]}]
    _proc, seconds, records = run_captured(lab, tmp_path, play, timeout)
    (rec,) = records
    return dict(rec["result"], failed=rec["status"] == "failed"), rec["seconds"], seconds


def session_of(lab, portal):
    (sess,) = [s for s in lab.agent("target2_truth")["sessions"] if s["portal"] == portal + ":3260"]
    return sess


def test_delete_on_hung_session_returns_and_names_the_writer(lab, tmp_path):
    lab.reset()
    t2 = lab.agent("target2_setup", luns=[1], multipath=False, call_timeout=240)["truth"]
    (disk,) = [d for d in t2["disks"] if d["portal"] == "127.0.0.3:3260"]
    sd = disk["name"]
    assert sh(lab, "ls /sys/block/%s/holders" % sd).split() == []     # not in a multipath map
    try:
        tmo = lab.agent("set_recovery_tmo", target="target2", seconds=600)
        assert set(tmo.values()) == {600}, tmo
        time.sleep(5)       # multipathd's checker has run since (polling_interval 2): the value stays
        sess = session_of(lab, "127.0.0.3")
        assert sess["recovery_tmo"] == "600" and sess["state"] == "LOGGED_IN", sess

        lab.cut_portal("127.0.0.3")
        sh(lab, "setsid nohup sh -c 'while :; do dd if=/dev/zero of=/dev/%s bs=64k count=16 oflag=direct "
                "2>/dev/null; done' >/dev/null 2>&1 < /dev/null & echo $! > /tmp/hung-writer.pid" % sd)
        loop = sh(lab, "cat /tmp/hung-writer.pid").strip()
        t0 = time.monotonic()
        while True:   # the session fails after the noop-out timeouts (5 + 5 s); then I/O blocks in recovery
            sess = session_of(lab, "127.0.0.3")
            stuck = sh(lab, "for p in $(pgrep -P %s dd); do echo $p $(cut -d' ' -f3 /proc/$p/stat); done; true"
                       % loop).split()
            if sess["state"] == "FAILED" and len(stuck) == 2 and stuck[1] == "D":
                break
            assert time.monotonic() - t0 < 90, (sess, stuck)
            time.sleep(1)
        writer = stuck[0]
        time.sleep(3)
        assert sh(lab, "cut -d' ' -f3 /proc/%s/stat" % writer).strip() == "D"
        assert sess["recovery_tmo"] == "600"

        out, task_seconds, seconds = run_task(lab, tmp_path, "scsi_delete", {
            "name": [sd], "timeout": WAIT_TIMEOUT, "command_timeout": COMMAND_TIMEOUT})
        bound = WAIT_TIMEOUT + COMMAND_TIMEOUT + MARGIN
        sys.stderr.write("[hung delete] scsi_delete on %s (session FAILED, recovery_tmo 600, writer pid %s in D): "
                         "task %.1fs, ansible-playbook %.1fs (bound %ss); result: %s\n"
                         % (sd, writer, task_seconds, seconds, bound, json.dumps(out)[:3000]))
        assert task_seconds < bound and seconds < bound + 30, (task_seconds, seconds, out)
        assert out.get("failed"), out
        assert out["executed"] == [] and out["removed"] == [], out
        assert "pid %s (dd)" % writer in out["msg"], out["msg"]
        assert sd in sh(lab, "ls /sys/block").split()          # nothing changed
        assert sh(lab, "cut -d' ' -f3 /proc/%s/stat" % writer).strip() == "D"
        # the module's own probe of the disk hung too, and was abandoned at its deadline (still in D state)
        abandoned = sh(lab, "ps -eo pid=,stat=,comm=,args= | awk '$2 ~ /^D/ && $1 != %s' | grep %s || true"
                       % (writer, sd)).strip()
        sys.stderr.write("[hung delete] left behind in D state: %s\n" % abandoned)
        assert abandoned, "no probe of %s hung: the deadline was not exercised" % sd
    finally:
        lab.ssh("kill -9 $(cat /tmp/hung-writer.pid) 2>/dev/null; true", timeout=30)
        lab.restore_portal()
    # the session recovers within its recovery_tmo, the writer's I/O completes, the lab resets (target2 gone)
    t0 = time.monotonic()
    while session_of(lab, "127.0.0.3")["state"] != "LOGGED_IN":
        assert time.monotonic() - t0 < 60, "the session did not recover"
        time.sleep(1)
    res = lab.reset()
    assert "logged out" in res.get("target2_removed", []), res.get("target2_removed")
    assert not lab.agent("target2_truth")["sessions"]


def unmap_target2_lun(lab, lun_id):
    """Take target2's LUN away from this host's ACL (configfs), as an array unmapping it does: the LU stays, the
    initiator's commands to it are answered LOGICAL UNIT NOT SUPPORTED (target2_remove clears the rest)."""
    acl = "/sys/kernel/config/target/iscsi/%s/tpgt_1/acls/%s/lun_%d" % (TARGET2, lab.truth()["initiator_iqn"], lun_id)
    sh(lab, "for x in %s/*; do [ -L \"$x\" ] && unlink \"$x\"; done; rmdir %s" % (acl, acl))


def wait_lun_not_supported(lab, sd, timeout=60):
    """Until a TEST UNIT READY of `sd` is answered LOGICAL UNIT NOT SUPPORTED (one UNIT ATTENTION may come first)."""
    t0 = time.monotonic()
    while True:
        out = sh(lab, "sg_turs -v /dev/%s 2>&1; true" % sd, timeout=30)
        if "not supported" in out.lower():
            return out
        assert time.monotonic() - t0 < timeout, out
        time.sleep(1)


class CutWhenActing(threading.Thread):
    """Silently drops `portal` as soon as the run is acting: the first of `wwids` is gone from the loaded dm tables
    (flush_map runs after the plan, and before any disk step: HOST_ORDER). Records the seconds from its start to the
    cut and how many of the maps were still loaded then."""

    def __init__(self, lab, portal, wwids, limit):
        super().__init__(daemon=True)
        self.lab, self.portal, self.wwids, self.limit = lab, portal, set(wwids), limit
        self.stop, self.cut_after, self.maps_left, self.error = threading.Event(), None, None, None

    def run(self):
        t0 = time.monotonic()
        try:
            while not self.stop.is_set() and time.monotonic() - t0 < self.limit:
                rc, out = self.lab.ssh("dmsetup ls --target multipath", timeout=30)[:2]
                loaded = set(ln.split()[0] for ln in out.splitlines() if ln.strip())
                if rc == 0 and self.wwids - loaded:
                    self.lab.cut_portal(self.portal)
                    self.cut_after, self.maps_left = time.monotonic() - t0, len(self.wwids & loaded)
                    return
                self.stop.wait(0.5)
        except Exception as exc:  # pylint: disable=broad-except  # reported by the test, not lost with the thread
            self.error = exc


def unanswered_since_the_cut(stopped, sd):
    """The disk's re-check refused it because its probe got no answer, from a transport the cut disrupted (the
    session saw the drop before the probe was sent: the command fails at once instead of hanging): the disk is not
    proven dead any more, and not come back either, so nothing of it is touched, as `unanswered`."""
    refusal = stopped.get("refusal") or {}
    probe = ((refusal.get("evidence") or {}).get("probes") or {}).get(sd) or {}
    return refusal.get("kind") == "unanswered" and probe.get("result") == "no_answer"


def test_a_hung_disk_among_twenty_stale_maps_stops_only_its_own_unit(lab, tmp_path):
    """Issue 10 §1 on the real kernel: 20 stale unmapped maps of target1 and one stale plain disk of target2 (its LUN
    unmapped: LOGICAL UNIT NOT SUPPORTED, judged stale like the maps), on a session whose recovery_tmo is 600 s.
    One remediate run through the playbook, batched. Once the run is acting (the first map is gone), the disk's
    portal is silently dropped (nftables drop, no RST): every command sent to the disk from then on hangs, the act's
    re-check of it before its first touch included. The 20 maps and their 40 paths must be removed, the disk's unit
    alone stopped with its deadline named (or an opener refusal: the stuck probe holds it open; or, when the session
    had already seen the drop before the re-check, a refusal of the re-check whose probe got no answer from a
    disrupted transport: not proven dead any more), nothing of the disk removed, and the play must end (no hang).
    Fails when a hang mid-act stops other units, hangs the play, or ends the disk's unit any other way."""
    n = 20
    # 21 LUNs: the 21st stays mapped and healthy (an array truth without a record for this host blocks every
    # removal: empty_truth); slow under TCG on a loaded host
    try:
        lab.agent("reset", call_timeout=1500, luns=n + 1, mode="auto")
    except LabError:    # the setup's own wait for 22 maps (90 s) can be too short on a loaded host: wait longer
        waited = lab.agent("wait_maps", call_timeout=1000, count=n + 2, paths=2, timeout=900)
        assert waited["ok"], waited
    lab.agent("target2_setup", luns=[1], multipath=False, call_timeout=240)
    # one path only: the hung device is one disk, not two
    sh(lab, "iscsiadm -m node -T %s -p 127.0.0.4:3260 --logout" % TARGET2)
    (disk,) = lab.agent("target2_truth")["disks"]
    sd = disk["name"]
    truth1 = lab.truth()
    wwids = [w for lun, w in sorted(mapped(truth1).items()) if 1 <= lun <= n]
    assert len(wwids) == n
    lab.unmap_luns(range(1, n + 1))
    unmap_target2_lun(lab, 1)
    for w in wwids:     # multipathd's checker of 44 paths in a TCG guest on a loaded host: minutes, not seconds
        assert lab.wait_paths(w, state="failed", timeout=300)["ok"], w
    wait_lun_not_supported(lab, sd)
    cutter = CutWhenActing(lab, "127.0.0.3", wwids, limit=1500)
    try:
        assert set(lab.agent("set_recovery_tmo", target="target2", seconds=600).values()) == {600}
        sess = session_of(lab, "127.0.0.3")
        assert sess["state"] == "LOGGED_IN" and sess["recovery_tmo"] == "600", sess
        assert sh(lab, "cat /sys/block/%s/device/state" % sd).strip() == "running"   # healthy-stale at the plan
        # the array: target1's 20 LUNs and target2's LUN 1 unmapped from this host; both targets covered
        t2 = dict(lab.agent("target2_truth"), array_luns=[], svm="svm_sanlab2", igroup="ig_sanlab2")
        with OntapSimulator(from_lab_truths([lab.truth(), t2], cluster="sanlab"), str(tmp_path)) as sim:
            cutter.start()
            try:
                play = run_play(lab, sim, tmp_path, extra=dict(FAST, stale_cleanup_command_timeout=COMMAND_TIMEOUT),
                                timeout=1500, tag="hung-among-20")
            finally:
                cutter.stop.set()
                cutter.join(60)
        results = play.results("stale_cleanup")
        assert len(results) == 1, (play.rc, play.out[-6000:])
        res = results[0]
        sys.stderr.write("[hung among 20] portal cut %ss after the play started (%s of %d maps still loaded); rc=%s "
                         "play %.1fs act %ss; batches: %s; failures: %s\n"
                         % (cutter.cut_after and round(cutter.cut_after, 1), cutter.maps_left, n, play.rc,
                            play.seconds, res.get("act_seconds"), json.dumps(res.get("act_batches")),
                            json.dumps(res.get("failures"))[:2000]))
        assert cutter.error is None and cutter.cut_after is not None, (cutter.error, play.out[-3000:])
        # the plan deletes the 40 paths of the maps and the disk (delete_disks names every disk the plan deletes)
        planned_disks = [d["name"] for d in res["delete_disks"]]
        assert sorted(res["flush_maps"]) == sorted(wwids) and len(planned_disks) == 2 * n + 1 and sd in planned_disks, res
        assert play.rc != 0 and "1 of %d units stopped (the others ran to the end)" % (n + 1) in res["msg"], res["msg"]
        (stopped,) = res["failures"]
        assert stopped["unit"] == "disk %s" % sd and stopped["failed_step"]["target"] == sd, stopped
        assert stopped.get("deadline") or (stopped.get("refusal") or {}).get("kind") == "opener" or \
            unanswered_since_the_cut(stopped, sd), stopped
        done = [(e["action"], e["target"]) for e in res["executed"] if e["outcome"] == "done"]
        assert sorted(t for a, t in done if a == "wait_map_gone") == sorted(wwids)
        assert sorted(t for a, t in done if a == "remove_wwid") == sorted(wwids)
        paths = [t for a, t in done if a == "wait_disk_gone"]
        assert len(paths) == 2 * n and set(paths) == set(planned_disks) - {sd}
        assert not [t for a, t in done if t == sd], done          # nothing of the hung disk was done
        left = sh(lab, "dmsetup ls --target multipath; ls /sys/block")
        assert not [w for w in wwids if w in left] and not set(paths) & set(left.split()), left
        assert sd in left.split()
    finally:
        cutter.stop.set()
        lab.restore_portal()
    t0 = time.monotonic()
    while session_of(lab, "127.0.0.3")["state"] != "LOGGED_IN":
        assert time.monotonic() - t0 < 120, "the session did not recover"
        time.sleep(1)
    lab.reset()
