# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/procs.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pytest
import stat
import subprocess
import sys
import textwrap

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import usage as judge_usage
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import procs as obs_procs
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    _blocknode, _charnode, fd_info, plain_san_disk)


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

    def native_id():  # threading.get_native_id is Python 3.8+; /proc/thread-self names the thread on every version
        return os.readlink("/proc/thread-self").rsplit("/", 1)[1]

    def own_table():
        if libc.unshare(CLONE_FILES) != 0:
            print("unshare failed", ctypes.get_errno(), flush=True)
            os._exit(3)
        tids["own"] = native_id()
        os.open(sys.argv[1], os.O_RDONLY)   # in this thread's table only
        ready.set()
        time.sleep(60)

    def shared_table():
        tids["shared"] = native_id()
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


def test_under_a_root_on_nfs_device_nodes_are_still_stated_and_only_network_files_are_not(tmp_path, monkeypatch):
    """A diskless host boots from NFS: '/' is nfs4 (mounted over the initramfs root) but /dev is devtmpfs.
    Skipping every path under a network mount's prefix skipped every fd, and a process holding the disk was not
    seen."""
    t = plain_san_disk(tmp_path)
    t.mount("0:40", "/", "filer:/export/root", fstype="nfs4")
    t.mount("0:5", "/dev", "udev", fstype="devtmpfs")
    t.mount("0:41", "/mnt/scratch", "filer:/scratch", fstype="nfs")
    t.mount("0:42", "/mnt/scratch/fast", "tmpfs", fstype="tmpfs")
    t.proc(902, "dd", fds=["/dev/sdf", "/mnt/scratch/out.img", "/mnt/scratch/fast/x", "/home/u/notes"])
    t.commands()
    stated = []
    real = obs_procs._dev_of
    monkeypatch.setattr(obs_procs, "_dev_of", lambda root, path: stated.append(path[len(root):]) or real(root, path))
    d = t.reader().snapshot(probe=False)["disks"]["sdf"]
    assert {"pid": 902, "comm": "dd"} in d["openers"]
    assert "/dev/sdf" in stated and "/mnt/scratch/fast/x" in stated
    assert "/mnt/scratch/out.img" not in stated and "/home/u/notes" not in stated


@pytest.mark.parametrize("with_fdinfo", [True, False])
def test_network_filesystems_are_judged_in_the_opener_s_own_mount_namespace(tmp_path, monkeypatch, with_fdinfo):
    """Whether a file is on a network filesystem was judged with the host's mount table. A container whose /srv
    is its own tmpfs (with a device node in it) under a host whose /srv is NFS had its opener skipped, and its
    NFS file /data/remote.log, on the host's ext4 root, was stat'ed (a hang when the server is gone)."""
    t = plain_san_disk(tmp_path)
    t.mount("0:41", "/srv", "filer:/srv", fstype="nfs")
    _blocknode(t, "/srv/vol/sdf", "8:80")
    for pid in (903, 904):   # two processes of one namespace: its mount table is read once
        t.proc(pid, "postgres", fds=["/srv/vol/sdf", "/data/remote.log"])
        t._link("/proc/%d/ns/mnt" % pid, "mnt:[4026532999]")
        if with_fdinfo:
            fd_info(t, pid, 3, mnt_id="301")
            fd_info(t, pid, 4, mnt_id="302")
    t._write("/proc/903/mountinfo", "300 299 0:60 / / rw - overlay overlay rw\n"
                                    "301 300 0:61 / /srv rw - tmpfs tmpfs rw\n"
                                    "302 300 0:62 / /data rw - nfs4 filer:/data rw\n")
    t.commands()
    stated = []
    real = obs_procs._dev_of
    monkeypatch.setattr(obs_procs, "_dev_of", lambda root, path: stated.append(path[len(root):]) or real(root, path))
    d = t.reader().snapshot(probe=False)["disks"]["sdf"]
    assert [o["pid"] for o in d["openers"] if o["comm"] != "multipathd"] == [903, 904]
    assert "/srv/vol/sdf" in stated and "/data/remote.log" not in stated


def test_this_live_process_is_not_an_exiting_task():
    """Fails when a live process is read as an exiting task."""
    assert obs_procs.read_exiting("/", os.getpid()) == []


def test_an_nfs_file_from_outside_the_opener_s_namespace_is_never_stated(tmp_path, monkeypatch):
    """The opener's mount table decides now, and an opener whose namespace has no network mount has every fd
    stat'ed (_fd_on_network_fs returns False at once, fdinfo unread). An fd opened before unshare(CLONE_NEWNS) +
    pivot_root, or passed over a unix socket, still lives on the host's NFS mount: fdinfo's mnt_id names it (ids
    are global), but only the opener's table is searched. os.stat on it hangs while the server is gone; 49810b0
    skipped it by the host's table."""
    t = plain_san_disk(tmp_path)
    t.mount("0:41", "/mnt/scratch", "filer:/scratch", fstype="nfs")
    nfs_id = str(99 + len(t.mounts))
    t.proc(905, "collector", fds=["/dev/sdf", "/mnt/scratch/out.img"])
    t._link("/proc/905/ns/mnt", "mnt:[4026533001]")
    fd_info(t, 905, 3, mnt_id="401")
    fd_info(t, 905, 4, mnt_id=nfs_id)
    t._write("/proc/905/mountinfo", "400 399 0:70 / / rw - ext4 /dev/vdb rw\n"
                                    "401 400 0:71 / /dev rw - devtmpfs udev rw\n")
    t.commands()
    stated = []
    real = obs_procs._dev_of
    monkeypatch.setattr(obs_procs, "_dev_of", lambda root, path: stated.append(path[len(root):]) or real(root, path))
    d = t.reader().snapshot(probe=False)["disks"]["sdf"]
    assert 905 in [o["pid"] for o in d["openers"]]
    assert "/mnt/scratch/out.img" not in stated


def test_a_held_char_device_is_placed_by_its_sysfs_link_and_one_that_cannot_be_is_named(tmp_path):
    """read_char_nodes: the last three components of where /sys/dev/char places each char device a process holds
    (an sd's sg node below its H:C:T:L), None for one the kernel lists nowhere, and the error of a link that cannot
    be read (here no link: EINVAL), never taken for "nowhere"."""
    t = plain_san_disk(tmp_path)
    t.scsi_generic("sdf", "sg3", "21:3")
    _charnode(t, "/dev/pseudo", "10:99")
    _charnode(t, "/dev/odd", "10:98")
    t._write("/sys/dev/char/10:98", "")
    t.proc(7400, "sg_dd", fds=["/dev/sg3", "/dev/pseudo", "/dev/odd"])
    procs = obs_procs.read_procs(t.root)
    assert procs["7400"]["devs"] == ["c21:3", "c10:99", "c10:98"]
    nodes = obs_procs.read_char_nodes(t.root, procs)
    assert nodes["where"] == {"c21:3": "2:0:0:3/scsi_generic/sg3", "c10:99": None}
    assert list(nodes["unreadable"]) == ["c10:98"]
