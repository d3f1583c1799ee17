"""The real playbook `playbooks/remediate.yml` against the SAN lab, with the ONTAP simulator serving the lab
target's truth (the array and the host agree on LUNs, serials and LUN ids).

Scenarios are combined where that is honest, to keep the file within a few minutes under TCG:
- test_check_then_cleanup: 8 (check mode changes nothing, plan == executed steps), then 1 (unmapped LUN
  removed) on the same state, with 2 (mounted fs -> refused) and 3 (active LVM VG -> refused) on two more
  unmapped LUNs in the same run, and 7 (a writer on a healthy map during both runs -> data identical).
- test_both_portals_cut: 4 (every path down, LUN still mapped -> untouched, paths_down_but_mapped).
- test_kernel_initiator_and_incomplete_truth: initiatorname.iscsi edited without a restart (the kernel's
  session name is used), then a cluster read that hits the paging guard (no removal, and the plan says why),
  then the complete truth (the unmapped LUN is planned), in check mode.
- test_reused_lun_and_blocked_reader: 5 (LUN id reused -> old device replaced, new serial verified, new LU's
  data intact) and 6 (a reader blocked on a queueing unmapped map -> queueing is disabled first, the reader gets
  an I/O error and leaves, the map and its paths are removed, all within a bounded wall time).
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "remediate.yml"

# tests/ontap_sim is importable as part of the collection (ANSIBLE_COLLECTIONS_PATH) or from the checkout
try:
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truth
except ImportError:  # pragma: no cover - plain checkout
    sys.path.insert(0, str(ROOT / "tests"))
    from ontap_sim import OntapSimulator, from_lab_truth  # noqa: E402

pytestmark = pytest.mark.lab

# Short deadlines for the lab (the role's defaults are for production).
FAST = {"stale_cleanup_flush_timeout": 30, "stale_cleanup_wait_timeout": 30, "stale_cleanup_command_timeout": 10,
        "stale_cleanup_probe_timeout": 5}

CALLBACK = r'''
import json, os, time
from ansible.plugins.callback import CallbackBase

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "capture"
    CALLBACK_NEEDS_ENABLED = True

    started = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.started = time.monotonic()

    def _rec(self, result, status):
        with open(os.environ["CAPTURE_FILE"], "a") as f:
            f.write(json.dumps({"task": result._task.get_name(), "action": result._task.action, "status": status,
                                "seconds": round(time.monotonic() - (self.started or time.monotonic()), 1),
                                "result": result._result}, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._rec(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._rec(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._rec(result, "unreachable")
'''

LISTING = ("lsblk -n -o NAME,MAJ:MIN,SIZE,TYPE,MOUNTPOINT 2>&1; echo ==; dmsetup table 2>&1 | sort; echo ==; "
           "multipathd show maps 2>&1; echo ==; ls /sys/block; echo ==; cat /etc/multipath/wwids; echo ==; "
           "iscsiadm -m session 2>&1 | sort")


class Play:
    """One ansible-playbook run: rc, wall time, every task result (from a capture callback)."""

    def __init__(self, rc, out, seconds, records):
        self.rc, self.out, self.seconds, self.records = rc, out, seconds, records

    def results(self, action):
        out = []
        for r in self.records:
            if r["action"].endswith(action) and r["status"] in ("ok", "failed"):
                res = r["result"]
                out.extend(res["results"] if "results" in res else [res])
        return [x for x in out if not x.get("skipped")]

    @property
    def plan(self):
        plans = self.results("stale_cleanup")
        assert plans, self.out[-3000:]
        return plans[-1]

    def executed(self):
        """(action, target) of every step the removal modules ran, in run order."""
        steps = []
        for r in self.records:
            if r["status"] not in ("ok", "failed"):
                continue
            if r["action"].split(".")[-1] not in ("multipath_flush", "mpath_flush", "scsi_delete", "scsi_rescan",
                                                  "stale_cleanup"):
                continue
            res = r["result"]
            for x in (res["results"] if "results" in res else [res]):
                steps.extend((s["action"], s["target"]) for s in x.get("executed") or [])
        return steps


def write_what_went_wrong(out, width=600):
    """The lines of a play that say what went wrong (a fatal or unreachable task, an error), whole, to stderr: pytest
    shows them with a failed test, where it cuts an assertion's message to a few lines (CI of 07dcbf2 showed a
    play's recap but not why its host was unreachable)."""
    for line in out.splitlines():
        if line.startswith(("fatal:", "ERROR!", "[ERROR]")) or "UNREACHABLE!" in line:
            sys.stderr.write("  | %s\n" % line[:width])


def run_play(lab, sim, tmp_path, check=False, extra=None, timeout=600, tag="run", clusters=None):
    cb_dir = tmp_path / "callbacks"
    cb_dir.mkdir(exist_ok=True)
    (cb_dir / "capture.py").write_text(CALLBACK)
    capture = tmp_path / ("capture-%s.jsonl" % tag)
    if capture.exists():
        capture.unlink()
    # these tests are about what a run does to the kernel, not about the approval (test_approved_plan.py): a real
    # run takes the documented override for a run without an approved plan
    variables = dict(FAST, sanfleet_hosts="sanlab", sanfleet_allow_unreviewed=True)
    variables.update(extra or {})
    # the array connection as the README documents it: -e @ontap.yml holding sanfleet_ontap (a list of clusters)
    ontap_yml = tmp_path / "ontap.yml"
    ontap_yml.write_text(json.dumps({"sanfleet_ontap": clusters or [sim.options()]}))
    env = dict(os.environ, ANSIBLE_CALLBACK_PLUGINS=str(cb_dir), ANSIBLE_CALLBACKS_ENABLED="capture",
               CAPTURE_FILE=str(capture), ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_PIPELINING="True")
    argv = ["ansible-playbook", "-i", str(lab.inventory_path()), str(PLAYBOOK), "-e", "@%s" % ontap_yml,
            "-e", json.dumps(variables)]
    if check:
        argv.append("--check")
    t0 = time.monotonic()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT), check=False)
    seconds = time.monotonic() - t0
    records = [json.loads(line) for line in capture.read_text().splitlines()] if capture.exists() else []
    sys.stderr.write("[remediate %s%s] rc=%s %.1fs\n" % (tag, " --check" if check else "", proc.returncode, seconds))
    write_what_went_wrong(proc.stdout + proc.stderr)
    return Play(proc.returncode, proc.stdout + proc.stderr, seconds, records)


def run_audit(lab, reports, sim=None, extra=None):
    """playbooks/audit.yml on the lab VM, its reports in `reports`, without an ONTAP cluster or with the simulator
    `sim` passed as the README says (-e @ontap.yml holding sanfleet_ontap), and `extra` variables: (process,
    seconds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANFLEET_REPORT_DIR", "ONTAP_"))}
    env.update(ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="True",
               ANSIBLE_RETRY_FILES_ENABLED="False")
    argv = ["ansible-playbook", "-i", str(lab.inventory_path()), str(ROOT / "playbooks" / "audit.yml"),
            "-e", json.dumps(dict({"sanfleet_hosts": "sanlab", "sanfleet_report_dir": str(reports)}, **(extra or {})))]
    if sim is not None:
        ontap_yml = reports.parent / "ontap.yml"
        ontap_yml.write_text(json.dumps({"sanfleet_ontap": [sim.options()]}))
        argv += ["-e", "@%s" % ontap_yml]
    t0 = time.monotonic()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, cwd=str(ROOT), check=False)
    return proc, time.monotonic() - t0


def sh(lab, cmd, timeout=60):
    rc, out, err = lab.ssh(cmd, timeout=timeout)
    assert rc == 0, "%s: rc=%s %s %s" % (cmd, rc, out, err)
    return out


def wwids_active(text):
    """The WWIDs listed in a wwids file text (`multipath -w` comments an entry out: '#/WWID/' is not listed)."""
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith("/")]


def mapped(truth):
    return dict((int(k), v) for k, v in truth["mapped"].items())


def lu_of(truth, wwid):
    return next(lu for lu in truth["lus"] if lu.get("wwid") == wwid)


def map_sds(lab, wwid):
    return sorted(sh(lab, "ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves" % wwid).split())


# One process writes the pattern (O_DIRECT) to the start of the map about five times a second through one open file,
# counting writes done and failed, until /tmp/writer.stop exists. One process, not a shell loop of dd: each dd closed
# the map after writing, and each close of a device opened for writing makes udev re-run the dm rules (a change event:
# multipath, kpartx_id, dmsetup and kpartx started again), ~5 programs a second under TCG for the whole test, which
# took the guest's CPU from the modules under test.
WRITER = r"""
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_DIRECT)
pattern = mmap.mmap(-1, 65536)
with open("/tmp/wpat", "rb") as f:
    pattern.write(f.read())
done = failed = 0
while not os.path.exists("/tmp/writer.stop"):
    try:
        os.pwrite(fd, pattern, 0)
        done += 1
    except OSError:
        failed += 1
    with open("/tmp/writer.count.new", "w") as count:
        count.write("%d %d\n" % (done, failed))
    os.rename("/tmp/writer.count.new", "/tmp/writer.count")
    time.sleep(0.2)
"""


def start_writer(lab, wwid):
    """The writer above on `wwid`'s map; returns the pattern's sha256. (A loop of 1 MiB writes without a pause kept
    both vCPUs of the TCG guest busy: 1.9 cores of the host, for the whole test, starving the modules under test.)"""
    lab.put_file("/tmp/writer.py", WRITER)
    sh(lab, "head -c 65536 /dev/urandom > /tmp/wpat && rm -f /tmp/writer.stop /tmp/writer.count\n"
            "setsid nohup python3 /tmp/writer.py /dev/mapper/%s >/tmp/writer.out 2>&1 < /dev/null &"
            " echo $! > /tmp/writer.pid" % wwid)
    return sh(lab, "sha256sum /tmp/wpat").split()[0]


def stop_writer(lab, wwid, want):
    sh(lab, "touch /tmp/writer.stop; for i in $(seq 50); do kill -0 $(cat /tmp/writer.pid) 2>/dev/null || break;"
            " sleep 0.2; done")
    n, e = [int(x) for x in sh(lab, "cat /tmp/writer.count").split()]
    got = sh(lab, "timeout 20 dd if=/dev/mapper/%s bs=64k count=1 iflag=direct 2>/dev/null | sha256sum" % wwid)
    return n, e, got.split()[0] == want


@pytest.fixture
def sim_factory(tmp_path, lab):
    sims = []

    def make(lab):
        work = tmp_path / ("sim%d" % len(sims))
        work.mkdir()
        sim = OntapSimulator(from_lab_truth(lab.truth()), str(work))
        sims.append(sim.__enter__())
        return sims[-1]
    yield make
    for s in sims:
        s.__exit__(None, None, None)


@pytest.mark.every_suite
def test_check_then_cleanup(lab, tmp_path, sim_factory):
    """8 then 1 on the same state, with 2, 3 and 7 in the same runs."""
    t_start = time.monotonic()
    lab.reset(luns=4)
    truth = lab.truth()
    w = mapped(truth)
    w1, w2, w3, w4 = w[1], w[2], w[3], w[4]
    files = [lu_of(truth, w2)["backing_file"], lu_of(truth, w3)["backing_file"]]
    try:
        # 2: mounted filesystem; 3: active LVM VG; 7: a writer on a healthy map (LUN 4)
        sh(lab, "mkfs.ext4 -q -F /dev/mapper/%s && mkdir -p /mnt/lab2 && mount /dev/mapper/%s /mnt/lab2"
                % (w2, w2), timeout=120)
        sh(lab, "pvcreate -qq -y /dev/mapper/%s && vgcreate -qq vgsan3 /dev/mapper/%s && "
                "lvcreate -qq -y -Wn -Zn -l 1 -n lv0 vgsan3" % (w3, w3), timeout=120)
        want = start_writer(lab, w4)
        for lun in (1, 2, 3):
            lab.unmap_lun(lun)
        for wid in (w1, w2, w3):
            lab.wait_paths(wid, state="failed", timeout=60)
        sim = sim_factory(lab)
        sds1 = map_sds(lab, w1)

        # 8: check mode changes nothing on the host
        before = sh(lab, LISTING)
        chk = run_play(lab, sim, tmp_path, check=True, tag="check")
        after = sh(lab, LISTING)
        assert chk.rc == 0, chk.out[-4000:]
        assert after == before
        plan = chk.plan
        assert plan["flush_maps"] == [w1]
        assert sorted(d["name"] for d in plan["delete_disks"]) == sds1
        refused = dict((r["name"], r["reason"]) for r in plan["refused"])
        assert "/mnt/lab2" in refused[w2], refused
        assert "vgsan3" in refused[w3], refused
        kinds = dict((s["name"], s["kind"]) for s in plan["left_alone"])
        assert kinds.get(w4) == "healthy"
        assert chk.executed() == []

        # 1: the real run does exactly the plan
        real = run_play(lab, sim, tmp_path, tag="real")
        assert real.rc == 0, real.out[-4000:]
        assert [(s["action"], s["target"]) for s in real.plan["steps"]] == \
            [(s["action"], s["target"]) for s in plan["steps"]]
        assert real.executed() == [(s["action"], s["target"]) for s in plan["steps"]]
        end = sh(lab, LISTING)
        blocks = sh(lab, "ls /sys/block").split()
        assert not set(sds1) & set(blocks)
        assert w1 not in sh(lab, "dmsetup ls --target multipath")
        assert "/%s/" % w1 not in wwids_active(sh(lab, "cat /etc/multipath/wwids"))
        # nothing else changed: the dm tables of the other maps and the wwids of the others are as before
        tables = [ln for ln in before.split("==")[1].splitlines() if ln.strip() and not ln.startswith(w1)]
        assert [ln for ln in end.split("==")[1].splitlines() if ln.strip()] == tables
        removed = set(before.split("==")[3].split()) - set(end.split("==")[3].split())
        assert set(sds1) <= removed and len(removed) == len(sds1) + 1  # the sds and the map's dm-N
        assert [x for x in wwids_active(before.split("==")[4]) if w1 not in x] == wwids_active(end.split("==")[4])
        assert before.split("==")[5] == end.split("==")[5]  # sessions

        # 7: the writer never failed and the healthy map holds its pattern
        n, e, same = stop_writer(lab, w4, want)
        assert e == 0 and n > 0 and same, (n, e, same)
        sys.stderr.write("[remediate] check %.1fs, real %.1fs, writer %d passes, test %.1fs\n"
                         % (chk.seconds, real.seconds, n, time.monotonic() - t_start))
    finally:
        # map the LUNs back first: LVM commands would block on a queueing map without paths
        for lun in (2, 3):
            try:
                lab.map_lun(lun)
            except Exception as exc:  # the reset of the next test repairs the rest
                sys.stderr.write("map_lun(%d): %s\n" % (lun, exc))
        lab.ssh("touch /tmp/writer.stop; umount -l /mnt/lab2; timeout 60 vgchange -an vgsan3; "
                "for f in %s; do dd if=/dev/zero of=$f bs=1M count=2 conv=notrunc; done" % " ".join(files),
                timeout=60)


@pytest.mark.every_suite
def test_both_portals_cut(lab, tmp_path, sim_factory):
    """4: every path down, LUNs still mapped -> nothing touched, reported as paths_down_but_mapped."""
    lab.reset()
    truth = lab.truth()
    w = mapped(truth)
    netapp = [w[1], w[2], w[3]]
    sim = sim_factory(lab)
    try:
        lab.cut_portal("127.0.0.1")
        lab.cut_portal("127.0.0.2")
        for wid in netapp:
            lab.wait_paths(wid, state="failed", timeout=90)
        before = sh(lab, "dmsetup ls --target multipath | sort; ls /sys/block; cat /etc/multipath/wwids")
        play = run_play(lab, sim, tmp_path, tag="portals")
        after = sh(lab, "dmsetup ls --target multipath | sort; ls /sys/block; cat /etc/multipath/wwids")
        assert play.rc == 0, play.out[-4000:]
        assert after == before
        assert play.executed() == [] and play.plan["steps"] == []
        kinds = dict((s["name"], s["kind"]) for s in play.plan["left_alone"])
        for wid in netapp:
            assert kinds.get(wid) == "paths_down_but_mapped", kinds
        sys.stderr.write("[remediate] portals cut: play %.1fs\n" % play.seconds)
    finally:
        lab.restore_portal()


def test_reused_lun_and_blocked_reader(lab, tmp_path, sim_factory):
    """5: LUN 1 reused for a new LU; 6: a reader blocked on unmapped queueing LUN 2, in the same run."""
    lab.reset()
    truth = lab.truth()
    w = mapped(truth)
    old1, w2 = w[1], w[2]
    try:
        # 6: unmap LUN 2, then a reader blocks in the queue of its map
        lab.unmap_lun(2)
        lab.wait_paths(w2, state="failed", timeout=60)
        sh(lab, "setsid nohup dd if=/dev/mapper/%s of=/dev/null bs=4k count=1 iflag=direct "
                ">/tmp/blocked.log 2>&1 < /dev/null & echo $! > /tmp/blocked.pid" % w2)
        time.sleep(2)
        pid = sh(lab, "cat /tmp/blocked.pid").strip()
        assert sh(lab, "cat /proc/%s/stat 2>/dev/null | cut -d' ' -f3 || true" % pid).strip() in ("D", "S"), \
            "the reader did not block"
        # 5: LUN id 1 now serves another LU; its data is a known pattern written on the target side
        reuse = lab.reuse_lun(1)
        truth = lab.truth()
        new1 = mapped(truth)[1]
        assert new1 != old1
        new_lu = lu_of(truth, new1)
        sh(lab, "head -c 1048576 /dev/urandom > /tmp/npat && dd if=/tmp/npat of=%s bs=1M count=1 conv=notrunc,fsync"
                % new_lu["backing_file"])
        want = sh(lab, "sha256sum /tmp/npat").split()[0]
        old_sds = map_sds(lab, old1)
        sds2 = map_sds(lab, w2)
        # names are reused by the kernel (the rescanned LUN 1 may take them): LUN 2's paths are known by H:C:T:L
        hctls2 = sh(lab, "for d in %s; do basename $(readlink -f /sys/block/$d/device); done" % " ".join(sds2)).split()
        sim = sim_factory(lab)

        play = run_play(lab, sim, tmp_path, tag="reuse", timeout=400)
        plan = play.plan
        # 6: the play ends within its bound and never hangs on the blocked reader
        assert play.seconds < 240, play.seconds
        assert play.rc == 0, play.out[-4000:]
        assert plan["refused"] == [], plan["refused"]
        # 6: the dead unmapped map is planned as: queueing off first, then re-check that the reader left, flush
        steps2 = [s["action"] for s in plan["steps"] if s["target"] == w2]
        assert steps2 == ["disable_queueing", "verify_unused", "flush_map", "wait_map_gone", "remove_wwid"], steps2
        assert sorted(d["name"] for d in plan["delete_disks"]) == sds2
        # 5: old map gone, its sds deleted, the LUN scanned again and verified with the array's identity
        assert sorted(plan["flush_maps"]) == sorted([old1, w2])
        assert sorted(m["name"] for m in plan["mismatches"]) == old_sds  # in the map's path order
        assert {m["expect_wwid"] for m in plan["mismatches"]} == {new1}
        assert play.executed() == [(s["action"], s["target"]) for s in plan["steps"]]
        # 6: the blocked reader got an I/O error and exited; the map, its paths and its wwids entry are gone
        assert lab.ssh("kill -0 %s" % pid, timeout=30)[0] != 0, "the blocked reader is still there"
        log = sh(lab, "cat /tmp/blocked.log")
        assert "input/output error" in log.lower(), log
        gone = sh(lab, "dmsetup ls --target multipath; ls /sys/class/scsi_device")
        assert len(hctls2) == 2 and w2 not in gone and not set(hctls2) & set(gone.split()), (hctls2, gone)
        assert "/%s/" % w2 not in wwids_active(sh(lab, "cat /etc/multipath/wwids"))
        applied = play.results("stale_cleanup")
        assert len(applied) == 1 and sorted(applied[0]["removed_maps"]) == sorted([old1, w2]), applied
        ran = applied[0]["executed"]
        waited = [s for s in ran if s["action"] == "verify_unused" and s["target"] == w2][0]
        assert waited["outcome"] == "done" and waited["elapsed"] < 15, waited
        rebuilt = [s["detail"]["rebuilt_map_removed"] for s in ran if s["detail"].get("rebuilt_map_removed")]
        verified = [s for s in ran if s["action"] == "verify_identity"]
        assert len(verified) == 2 and all(s["outcome"] == "done" for s in verified), verified
        assert old1 not in sh(lab, "dmsetup ls --target multipath")
        assert "/%s/" % old1 not in wwids_active(sh(lab, "cat /etc/multipath/wwids"))
        lab.wait_maps(wwids=[new1], paths=2, timeout=90)
        for sd in map_sds(lab, new1):
            assert new1[1:] in sh(lab, "cat /sys/block/%s/device/wwid" % sd)
            assert new_lu["serial_hex"] in sh(lab, "cat /sys/block/%s/device/vpd_pg80 | tr -cd '[:print:]'" % sd)
        got = sh(lab, "timeout 20 dd if=/dev/mapper/%s bs=1M count=1 iflag=direct 2>/dev/null | sha256sum" % new1)
        assert got.split()[0] == want
        sys.stderr.write("[remediate] reuse + blocked reader: play %.1fs, verify_unused %.1fs, maps rebuilt by "
                         "multipathd and removed again: %s (reuse %s)\n"
                         % (play.seconds, waited["elapsed"], rebuilt, json.dumps(reuse)[:200]))
    finally:
        lab.ssh("kill -9 $(cat /tmp/blocked.pid) 2>/dev/null; multipathd disablequeueing map %s 2>/dev/null; true"
                % w2, timeout=30)


GUEST_TASKS = r"""
import glob, os, sys
try:
    want = os.stat("/dev/mapper/" + sys.argv[1]).st_rdev
except OSError:
    want = None  # the map is gone
for t in glob.glob("/proc/[0-9]*/task/[0-9]*"):
    pid, tid = t.split("/")[2], t.split("/")[4]
    try:
        st = open(t + "/stat").read()
        f = st[st.rfind(")") + 2:].split()
        if f[0] == "D" and int(f[6]) & 4:
            frames = [ln.split()[-1].split("+")[0] for ln in open(t + "/stack")]
            print("exiting", tid, open(t + "/comm").read().strip(), " ".join(frames))
    except (OSError, IndexError, ValueError):
        pass
    if pid != tid or want is None:
        continue
    for fd in glob.glob("/proc/%s/fd/*" % pid):
        try:
            if os.stat(fd).st_rdev == want:
                print("holder", pid)
                break
        except OSError:
            pass
"""


def guest_tasks(lab, wwid):
    """(pids holding the map in a file, ["tid comm frames..."] of tasks exiting in D state) on the guest."""
    rc, out, err = lab.ssh("python3 - %s" % wwid, input=GUEST_TASKS, timeout=60)
    assert rc == 0, (out, err)
    lines = out.splitlines()
    return ([ln.split()[1] for ln in lines if ln.startswith("holder ")],
            [ln.split(" ", 1)[1] for ln in lines if ln.startswith("exiting ")])


@pytest.mark.every_suite
def test_killed_reader_holding_a_dead_map(lab, tmp_path, sim_factory):
    """A reader killed while its read queued on the dead map of an unmapped LUN (what systemd-udevd does to its blkid
    worker after the event timeout) holds the map from inside its exit, with no open file left to see. The cleanup
    attributes that open to the exiting task, disables queueing, sees the open count reach 0, and removes the map."""
    lab.reset()
    w2 = mapped(lab.truth())[2]
    try:
        lab.unmap_lun(2)
        lab.wait_paths(w2, state="failed", timeout=60)
        # our own buffered read, without the lseek of dd; udev's blkid may be reading the map already
        sh(lab, "setsid nohup python3 -c 'import os; os.read(os.open(\"/dev/mapper/%s\", os.O_RDONLY), 4096)' "
                ">/dev/null 2>&1 < /dev/null & echo $! > /tmp/killed.pid" % w2)
        ours = sh(lab, "cat /tmp/killed.pid").strip()
        deadline = time.monotonic() + 60
        while ours not in guest_tasks(lab, w2)[0] and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(3)  # its read is queued (every path failed, queue_if_no_path)
        killed = guest_tasks(lab, w2)[0]
        if ours not in killed:
            # udev's blkid may hold the map with its own queued read; once on bookworm ours was then never seen
            # holding it (its state is logged). Any reader whose read queued on the dead map is the scenario; ours
            # is killed with them.
            sys.stderr.write("[remediate] killed reader: ours (%s) does not hold the map, %s do; ours: %s\n"
                             % (ours, killed, lab.ssh("cat /proc/%s/wchan /proc/%s/stat" % (ours, ours))[1]))
        assert killed, "no reader holds the dead map (ours is %s)" % ours
        # SIGKILL, as systemd-udevd sends its blkid worker after the event timeout
        sh(lab, "kill -9 %s; kill -9 %s 2>/dev/null; true" % (" ".join(killed), ours))
        deadline = time.monotonic() + 60
        holders, exiting = guest_tasks(lab, w2)
        while (holders or not exiting) and time.monotonic() < deadline:
            time.sleep(1)
            holders, exiting = guest_tasks(lab, w2)
        opens = int(sh(lab, "dmsetup info -c --noheadings -o open %s" % w2).strip())
        if not (opens >= 1 and not holders and exiting):
            # the guest's kernel, not the collection: the SIGKILL did not reach the reader within 60 s (its read sat
            # in an uninterruptible wait, seen once on bullseye's 5.10), so the scenario (a killed task holding the
            # map from inside its exit) was not reached and there is nothing of the cleanup to judge
            pytest.skip("the kernel did not keep the map open from a killed task in its exit (open %s, holders %s, "
                        "exiting %s): scenario not reached" % (opens, holders, exiting))
        sds2 = map_sds(lab, w2)
        sim = sim_factory(lab)

        play = run_play(lab, sim, tmp_path, tag="killed", timeout=400)
        assert play.rc == 0, play.out[-4000:]
        plan = play.plan
        assert plan["refused"] == [], plan["refused"]
        steps2 = [s for s in plan["steps"] if s["target"] == w2]
        assert [s["action"] for s in steps2] == ["disable_queueing", "verify_unused", "flush_map", "wait_map_gone",
                                                 "remove_wwid"], steps2
        assert steps2[0]["options"]["exiting_opens"] == opens, steps2[0]
        ran = play.results("stale_cleanup")[0]["executed"]
        waited = [s for s in ran if s["action"] == "verify_unused" and s["target"] == w2][0]
        assert waited["outcome"] == "done", waited
        gone = sh(lab, "dmsetup ls --target multipath; ls /sys/block")
        assert w2 not in gone and not set(sds2) & set(gone.split()), (sds2, gone)
        assert guest_tasks(lab, w2)[1] == [], "a killed task is still exiting"
        sys.stderr.write("[remediate] killed reader: %d open(s) from exiting task(s) %r, play %.1fs, verify_unused "
                         "%.1fs\n" % (opens, exiting, play.seconds, waited["elapsed"]))
    finally:
        lab.ssh("multipathd disablequeueing map %s 2>/dev/null; true" % w2, timeout=30)


def test_kernel_initiator_and_incomplete_truth(lab, tmp_path, sim_factory):
    """Coverage (c) and (d) on one state, in check mode: an unmapped LUN whose removal depends on the truth."""
    lab.reset()
    w1 = mapped(lab.truth())[1]
    unmapped = False
    sh(lab, "cp /etc/iscsi/initiatorname.iscsi /tmp/initiatorname.bak")
    try:
        lab.unmap_lun(1)
        unmapped = True
        lab.wait_paths(w1, state="failed", timeout=60)
        sim = sim_factory(lab)        # the array knows the IQN the sessions logged in with
        # (c): the file edited to another IQN, iscsid not restarted (the lab agent reads the file too: edit it last)
        sh(lab, "echo InitiatorName=iqn.1994-05.com.example:edited-not-applied > /etc/iscsi/initiatorname.iscsi")
        guard = dict(sim.options(), page_size=1, max_pages=1)        # a second read that hits the paging guard
        before = sh(lab, LISTING)
        blocked = run_play(lab, sim, tmp_path, check=True, tag="guard", clusters=[sim.options(), guard])
        # a cluster read cut by the paging guard fails the job after every report (sanfleet_require_array)
        assert blocked.rc != 0 and "the array could not be read" in blocked.out, blocked.out[-4000:]
        host = blocked.results("stale_mpath_facts")[-1]["ansible_facts"]["san"]["host"]
        assert host["iscsi_iqn_source"] == "session" and "edited-not-applied" not in " ".join(host["initiators"])
        assert blocked.plan["steps"] == [] and [b["why"] for b in blocked.plan["blocked"]] == ["array_lookup_problem"]
        assert "more than 1 pages" in blocked.plan["blocked"][0]["msg"]
        kinds = dict((s["name"], s["kind"]) for s in blocked.plan["left_alone"])
        assert kinds[w1] == "stale_unmapped"          # judged with the kernel's initiator name, but not planned

        complete = run_play(lab, sim, tmp_path, check=True, tag="complete")
        assert complete.rc == 0, complete.out[-4000:]
        assert complete.plan["blocked"] == [] and complete.plan["flush_maps"] == [w1]
        assert sh(lab, LISTING) == before             # check mode: nothing changed
        sys.stderr.write("[remediate] coverage: guard play %.1fs, complete play %.1fs\n"
                         % (blocked.seconds, complete.seconds))
    finally:
        lab.ssh("cp /tmp/initiatorname.bak /etc/iscsi/initiatorname.iscsi", timeout=30)
        if unmapped:
            lab.map_lun(1)
