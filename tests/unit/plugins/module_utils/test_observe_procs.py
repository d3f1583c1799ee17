# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""observe.procs: the opener scan sees a thread that holds a device through an fd table of its own
(unshare(CLONE_FILES) under a live leader), on a fixture tree and on this machine's own /proc."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import usage as judge_usage
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import procs as obs_procs
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    _blocknode, fd_info, plain_san_disk)


def test_a_thread_with_its_own_fd_table_under_a_live_leader_is_an_opener(tmp_path):
    """A thread that called unshare(CLONE_FILES) holds the disk open in a table of its own while its leader lives:
    /proc/PID/fd (the leader's) does not show it, and the scan read the threads' tables only when the leader's was
    empty, so sdf looked unused and could be deleted under the process."""
    t = plain_san_disk(tmp_path)
    t.proc(6000, "qemu", fds=["pipe:[4242]"])             # the leader lives, holding no device
    t._write("/proc/6000/task/6000/comm", "qemu\n")
    t._link("/proc/6000/task/6000/fd/3", "pipe:[4242]")  # the leader's own task entry: its table
    t._write("/proc/6000/task/6001/comm", "iothread\n")
    t._link("/proc/6000/task/6001/fd/3", "pipe:[4242]")  # the copy the unshare made ...
    t._link("/proc/6000/task/6001/fd/9", "/dev/sdf")     # ... and what the thread opened since
    fd_info(t, 6000, 9, task=6001)
    t.commands()
    snap = t.reader().snapshot(probe=False)
    openers = [o for o in snap["disks"]["sdf"]["openers"] if o["pid"] == 6000]
    assert openers == [{"pid": 6000, "comm": "qemu"}]
    with pytest.raises(Refused) as info:
        judge_usage.check_not_in_use(snap["disks"]["sdf"], "sdf")
    assert info.value.kind == "opener" and "pid 6000 (qemu)" in str(info.value)


def test_an_open_file_seen_through_the_leader_s_table_and_a_copy_of_it_counts_once(tmp_path):
    """The unshare copies the leader's table: both show the same open file of the disk. It is one open (one key of
    `files`), not two: counting it twice would explain an open that a hidden user holds."""
    t = plain_san_disk(tmp_path)
    t.proc(6000, "blkid", fds=["/dev/sdf"])
    fd_info(t, 6000, 3)
    t._link("/proc/6000/task/6001/fd/3", "/dev/sdf")
    fd_info(t, 6000, 3, task=6001)
    procs = obs_procs.read_procs(t.root)
    assert procs["6000"]["devs"] == ["8:80"] and procs["6000"]["files"] == {"8:80": ["25:100000"]}


def test_a_thread_s_own_fd_on_a_disk_is_seen_when_the_leader_s_same_fd_number_holds_another_device(tmp_path):
    """After unshare(CLONE_FILES) a thread's table numbers its fds on its own: its fd 9 (sdf, opened since) and the
    leader's fd 9 (sdf1) are two open files of two devices. The scan skipped an fd whose (number, open-file key)
    it had already seen in another table of the process, whatever device it held, so with the same flags and mount
    the thread's open of sdf was dropped and sdf looked unused by this process."""
    t = plain_san_disk(tmp_path)
    t.proc(6000, "qemu", fds=["pipe:[4242]"])            # the leader lives
    _blocknode(t, "/dev/loop0", "7:0")
    t._link("/proc/6000/fd/9", "/dev/loop0")             # the leader's fd 9: a loop device
    fd_info(t, 6000, 9)
    t._write("/proc/6000/task/6001/comm", "iothread\n")
    t._link("/proc/6000/task/6001/fd/9", "/dev/sdf")     # the thread's own fd 9: the SAN disk
    fd_info(t, 6000, 9, task=6001)
    procs = obs_procs.read_procs(t.root)
    assert sorted(procs["6000"]["devs"]) == ["7:0", "8:80"], procs["6000"]
    t.commands()
    snap = t.reader().snapshot(probe=False)
    with pytest.raises(Refused):  # the scan must name the process: sdf is in use
        judge_usage.check_not_in_use(snap["disks"]["sdf"], "sdf")


CHILD = textwrap.dedent("""
    import ctypes, os, sys, threading, time
    CLONE_FILES = 0x400
    libc = ctypes.CDLL(None, use_errno=True)
    ready = threading.Event()
    tids = {}

    def own_table():
        if libc.unshare(CLONE_FILES) != 0:
            print("unshare failed", ctypes.get_errno(), flush=True)
            os._exit(3)
        tids["own"] = threading.get_native_id()
        os.open(sys.argv[1], os.O_RDONLY)   # in this thread's table only
        ready.set()
        time.sleep(60)

    def shared_table():
        tids["shared"] = threading.get_native_id()
        time.sleep(60)
    for fn in (own_table, shared_table):
        threading.Thread(target=fn, daemon=True).start()
    ready.wait(10)
    while "shared" not in tids:
        time.sleep(0.01)
    print(tids["own"], tids["shared"], flush=True)
    sys.stdin.read()
""")


def _openable_block_node():
    for node in ("/dev/loop0", "/dev/loop1"):
        try:
            fd = os.open(node, os.O_RDONLY)
        except OSError:
            continue
        os.close(fd)
        if stat.S_ISBLK(os.stat(node).st_mode):
            return node
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")
def test_a_real_thread_with_its_own_fd_table_is_seen_in_this_machine_s_proc():
    """The same with a real process on this machine: a thread unshares its fd table (unshare(CLONE_FILES)) and opens a
    block device there; the scan of the real /proc must name the process as an opener of that device, and kcmp must
    tell that thread's table from the leader's (and a thread that shares it from one that does not)."""
    node = _openable_block_node()
    if node is None:
        pytest.skip("no block device node this test may open (needs root and a loop device)")
    st = os.stat(node)
    dev = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    child = subprocess.Popen([sys.executable, "-c", CHILD, node], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             universal_newlines=True)
    try:
        line = child.stdout.readline().split()
        if len(line) != 2:
            pytest.skip("the child could not unshare its fd table: %r" % line)
        own, shared = line
        leader = "/proc/%d/fd" % child.pid
        assert st.st_rdev not in [os.stat("%s/%s" % (leader, fd)).st_rdev for fd in os.listdir(leader)]
        procs = obs_procs.read_procs("/")
        assert dev in (procs.get(str(child.pid)) or {}).get("devs", []), "the thread's own table was not read"
        same = obs_procs.fd_table_comparer("/")
        if same(child.pid, shared) is None:
            pytest.skip("kcmp cannot be called here: every thread's table is read (covered above)")
        assert same(child.pid, shared) is True and same(child.pid, own) is False
    finally:
        child.kill()
        child.wait()
