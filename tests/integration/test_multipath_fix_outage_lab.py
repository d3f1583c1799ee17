"""The multipath fix in the middle of an outage (issue 27 item 2), on the lab's real kernel (bookworm, 0.9.4).

A writer does O_DIRECT writes of a known pattern to a NETAPP map; both portals are dropped, so its next write
queues in dm-multipath (the built-in NETAPP entry: no_path_retry queue). The multipath_config role then fixes the
configuration (multipath_config_fix: true). The former restart of multipathd turned queueing off on every map
(queue_without_daemon no) and the writer got I/O errors; the reconfigure must keep its write queued. After the
portals return, the writer goes on, and every block reads back as written.

multipathd 0.9.4 keeps a map none of whose paths is usable through the reconfigure as it was (its I/O stays queued)
but leaves its queueing unmanaged ('-', queue_if_no_path in the table): the run says so, naming the map, and the
run after the portals return adopts it (bounded queueing).
"""
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

TOP = Path(__file__).resolve().parents[2]
WWID = "3600a098038304c61622d3030312b4162"  # LUN 1 of the baseline (NETAPP, 2 paths)
BLOCKS = 24
# the fix writes a bounded no_path_retry; 300 checker intervals (>= 600 s in the lab) leave the map queueing for
# the whole test, so what is tested is the daemon change, not the countdown the setting asks for
PLAYBOOK = """\
- name: Fix multipath in an outage
  hosts: sanlab
  gather_facts: false
  roles:
    - role: sanfleet.remediation.multipath_config
      vars:
        multipath_config_fix: true
        multipath_config_no_path_retry: "300"
        multipath_config_lvm: false
        multipath_config_backup: false
"""
# O_DIRECT writes of block i = b"sanfleet-%06d-" * 256 (4 KiB), one every 0.3 s; each result logged with a time
WRITER = r"""
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
with open("/tmp/outage-writer.log", "a", buffering=1) as log:
    for i in range(int(sys.argv[2])):
        buf.seek(0)
        buf.write(b"sanfleet-%06d-" % i * 256)
        try:
            os.pwrite(fd, buf, i * 4096)
            log.write("ok %d %.1f\n" % (i, time.time()))
        except OSError as exc:
            log.write("error %d %.1f %s\n" % (i, time.time(), exc))
        time.sleep(0.3)
    log.write("done\n")
"""
READER = r"""
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
bad = [i for i in range(int(sys.argv[2])) if os.preadv(fd, [buf], i * 4096) != 4096 or buf[:] != b"sanfleet-%06d-" % i * 256]
print("bad", *bad)
"""


def sh(lab, cmd, timeout=60):
    rc, out, err = lab.ssh(cmd, timeout=timeout)
    assert rc == 0, (cmd, rc, out, err)
    return out


def writer_log(lab):
    return sh(lab, "cat /tmp/outage-writer.log 2>/dev/null; true").splitlines()


def finished(lines):
    return lines if "done" in lines else None


def wait_for(what, predicate, timeout, step=1.0):
    t0 = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() - t0 < timeout, what
        time.sleep(step)


def run_role(lab):
    with tempfile.TemporaryDirectory() as tmp:
        pb = Path(tmp) / "fix.yml"
        pb.write_text(PLAYBOOK)
        env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default")
        t0 = time.monotonic()
        proc = subprocess.run(["ansible-playbook", "-i", str(lab.inventory_path()), str(pb)], cwd=str(TOP),
                              env=env, capture_output=True, text=True, timeout=600, check=False)
    return proc, time.monotonic() - t0


def queueing_of(lab):
    return sh(lab, "multipathd show maps raw format '%%n|%%Q' | grep %s" % WWID).strip().split("|")[1]


def test_fix_during_an_outage_keeps_the_queued_writes(clean_lab):
    lab = clean_lab
    t_start = time.monotonic()
    original = sh(lab, "cat /etc/multipath.conf")
    assert queueing_of(lab) == "on", "baseline: the built-in NETAPP entry queues forever (something for the fix to do)"
    lab.put_file("/tmp/outage-writer.py", WRITER)
    lab.put_file("/tmp/outage-reader.py", READER)
    sh(lab, "rm -f /tmp/outage-writer.log; setsid nohup python3 /tmp/outage-writer.py /dev/mapper/%s %d "
            ">/tmp/outage-writer.out 2>&1 </dev/null & echo $! > /tmp/outage-writer.pid" % (WWID, BLOCKS))
    try:
        wait_for("the writer starts", lambda: len(writer_log(lab)) >= 3, 60)
        lab.cut_portal("127.0.0.1")
        lab.cut_portal("127.0.0.2")
        assert lab.wait_paths(WWID, "failed", timeout=60)["ok"]
        # the writer is stuck on a queued write: its log stops growing while the map has no path
        stuck = len(writer_log(lab))
        time.sleep(3)
        assert len(writer_log(lab)) == stuck and "done" not in writer_log(lab)

        pid = sh(lab, "systemctl show -p MainPID --value multipathd.service").strip()
        proc, play_seconds = run_role(lab)
        assert "RUNNING HANDLER" not in proc.stdout
        assert sh(lab, "systemctl show -p MainPID --value multipathd.service").strip() == pid  # never stopped
        assert "no_path_retry 300" in sh(lab, "cat /etc/multipath.conf")
        # applied by reconfigure: the kernel still queues the map's I/O and its writer got no error
        assert "queue_if_no_path" in sh(lab, "dmsetup table %s" % WWID)
        log = writer_log(lab)
        assert not [line for line in log if line.startswith("error")], log
        assert "done" not in log
        # the run says which map could not take the setting yet, and why; it did not wait settle_timeout for it
        sys.stderr.write("[mpconf outage] role run in the outage: rc %d, %s queueing %r\n"
                         % (proc.returncode, WWID, queueing_of(lab)))
        if proc.returncode != 0:
            assert queueing_of(lab) == "-"
            assert "maps with no active path still queue without bound: %s" % WWID in proc.stdout, \
                proc.stdout[-4000:]
        else:   # a multipath-tools that adopts the map at once (recovery with the new no_path_retry)
            assert re.match(r"^\d+ (chk|sec)$", queueing_of(lab)), queueing_of(lab)
    finally:
        lab.restore_portal()
    try:
        log = wait_for("the writer finishes after the portals return", lambda: finished(writer_log(lab)), 180)
        assert not [line for line in log if line.startswith("error")], log
        assert len([line for line in log if line.startswith("ok")]) == BLOCKS, log
        assert sh(lab, "python3 /tmp/outage-reader.py /dev/mapper/%s %d" % (WWID, BLOCKS)).split() == ["bad"]
        # with its paths back, the run again adopts the map: bounded queueing, and the role passes
        again, again_seconds = run_role(lab)
        assert again.returncode == 0, (again.stdout[-4000:], again.stderr[-2000:])
        assert re.match(r"^\d+ (chk|sec)$", queueing_of(lab)), queueing_of(lab)
        sys.stderr.write("[mpconf outage] role run %.1f s (rc %d) with every path of %s down, %.1f s after; "
                         "test %.1f s\n" % (play_seconds, proc.returncode, WWID, again_seconds,
                                            time.monotonic() - t_start))
    finally:
        lab.ssh("kill $(cat /tmp/outage-writer.pid) 2>/dev/null; rm -f /tmp/outage-writer.*", timeout=30)
        lab.put_file("/etc/multipath.conf", original)
        lab.ssh("multipathd reconfigure", timeout=60)
