# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/children.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import signal
import stat
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    children as act_children, context as act_context, disks as act_disks, execute)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, IdentityChanged, Refused
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    _orphan, delete_plan, put_text, text_of)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env, killable)


def test_real_deadline_call_abandons_a_blocking_write(env, tmp_path):
    """A write that blocks (a FIFO nobody reads stands in for device/delete on a wedged host)."""
    _orphan(env)
    hctl_dir = os.path.join(env.root, "sys/class/scsi_device/4:0:0:1/device")
    os.unlink(os.path.join(hctl_dir, "delete"))
    os.mkfifo(os.path.join(hctl_dir, "delete"))
    st = [s for s in delete_plan(env, ["sdc"]) if s.action == "delete_disk"][0]
    host = env.host(command_timeout=0.5)
    host.call = lambda fn, args=(), timeout=10.0, what=None: (
        env.call(fn, args, timeout, what) if fn is act_children._child_exclusive_open
        else deadline.call(fn, args, timeout, what))
    t0 = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        act_disks.delete_disk(host, st)
    assert time.monotonic() - t0 < 5
    assert "4:0:0:1" in str(info.value)


def test_exclusive_open_child_on_real_nodes(tmp_path):
    """The child function itself: a regular file is not the device (identity), a missing node is an error."""
    f = tmp_path / "sdz"
    f.write_text("")
    with pytest.raises(ValueError, match="IDENTITY CHANGED"):
        act_children._child_exclusive_open(str(f), "8:32")
    with pytest.raises(OSError):
        act_children._child_exclusive_open(str(tmp_path / "absent"), "8:32")


def test_a_signal_while_a_delete_write_runs_lets_the_write_finish_and_reports_it(env, killable):
    """Fails when SIGTERM during a delete write kills the write, or the report hides that it was done."""
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    plan = delete_plan(env, ["sdc"])
    orig = env.call

    def call(fn, args=(), timeout=10.0, what=None):
        out = orig(fn, args, timeout, what)
        if fn is act_children.child_checked_write:
            os.kill(os.getpid(), signal.SIGTERM)   # arrives while the forked writer runs
        return out
    host = env.host()
    host.call = call
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(None, "disk sdc") for st in plan], host)
    out = info.value.to_dict()
    assert [(e["action"], e["outcome"]) for e in out["executed"]] == [("delete_disk", "done")]
    assert "sdc" not in env.disks
    (failure,) = out["failures"]
    assert failure["failed_step"]["action"] == "wait_disk_gone" and "interrupted by SIGTERM" in failure["msg"]


def test_two_units_never_open_one_node_exclusively_at_once(env):
    """Two O_EXCL opens of one node at once exclude each other (one EBUSY: 8-17 % of 2,000 concurrent opens of an
    NVMe namespace head in the lab, none alone), which reads as a kernel user. The act's workers (ACT_WORKERS) may
    re-check one namespace from two units: their exclusive opens of one node take turns; of two nodes they do not
    wait for each other."""
    import threading
    host = env.host()
    inside, overlaps, lock = {}, [], threading.Lock()

    def child(fn, args=(), timeout=10.0, what=None):
        node = args[0]
        with lock:
            inside[node] = inside.get(node, 0) + 1
            if inside[node] > 1:
                overlaps.append(node)
        time.sleep(0.05)
        with lock:
            inside[node] -= 1
        return {"claimed": False, "answer": "ok"}
    host.call = child
    ns = {"name": "nvme0n2", "dev": "259:2"}
    threads = [threading.Thread(target=act_children.exclusive_open_check, args=(host, ns)) for _i in range(4)]
    threads.append(threading.Thread(target=act_children.exclusive_open_check,
                                    args=(host, {"name": "nvme0n1", "dev": "259:1"})))
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [] and inside == {host.path("/dev/nvme0n2"): 0, host.path("/dev/nvme0n1"): 0}
    assert time.monotonic() - t0 >= 0.2   # the four of nvme0n2 one after the other


def test_exclusive_opens_of_two_nodes_run_at_once(env):
    """The lock is the node's own: one node's open (a child that hangs until its deadline) never holds up another
    node's. Fails when all nodes share one lock: each child waits for the other inside it and the barrier breaks."""
    import threading
    host = env.host()
    both_inside = threading.Barrier(2, timeout=5)
    errors = []

    def child(fn, args=(), timeout=10.0, what=None):
        both_inside.wait()
        return {"claimed": False, "answer": "ok"}
    host.call = child

    def check(d):
        try:
            act_children.exclusive_open_check(host, d)
        except Exception as exc:  # noqa: B902 reported below, in the test's thread
            errors.append(exc)
    threads = [threading.Thread(target=check, args=({"name": n, "dev": dev},))
               for n, dev in (("nvme0n1", "259:1"), ("nvme0n2", "259:2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ------------------------------------------------------------------------------------------------------------------
# The children called in-process (no fork), against a sysfs tree under tmp_path: a fault in a check fails a test here
# that a mutation run can map to the line (through deadline.call's fork it cannot).
def _in_process(fn, args=(), timeout=10.0, what=None):
    """deadline.call without the fork: the child's exception comes back as the ChildFailed deadline.call makes of it."""
    try:
        return fn(*args)
    except Exception as exc:  # as deadline.call reports a child's exception
        raise ChildFailed.of(what, exc)


def _sys(env):
    return os.path.join(env.root, "sys")


def _sd_file(env, attr, hctl="4:0:0:1"):
    """The real file behind class/scsi_device/<hctl>/device/<attr> of the env's tree (devices/scsi/<hctl>/<attr>)."""
    return os.path.join(env.root, "sys/devices/scsi", hctl, attr)


# ----------------------------------------------------------------------------- child_checked_write (sd delete/rescan)
def test_checked_write_writes_the_exact_data_when_name_and_dev_still_match(env):
    """The write goes to class/scsi_device/<hctl>/device/<attr> with the bytes given, nothing more (no newline)."""
    assert act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", "8:32", "delete", "1") is True
    assert text_of(_sd_file(env, "delete")) == "1"
    assert text_of(_sd_file(env, "rescan")) == ""   # only the attr named


def test_checked_write_refuses_another_block_name_at_the_hctl_and_writes_nothing(env):
    """The hctl was reused for another disk: IdentityChanged names the hctl, what was expected and what is there."""
    with pytest.raises(IdentityChanged) as info:
        act_children.child_checked_write(_sys(env), "4:0:0:1", "sdd", "8:48", "delete", "1")
    exc = info.value
    assert exc.reason == "4:0:0:1 is no longer sdd (found ['sdc'])"
    assert (exc.device, exc.identity, exc.kind) == ("4:0:0:1", {"expected": "sdd", "found": ["sdc"]}, "identity_changed")
    assert text_of(_sd_file(env, "delete")) == ""


def test_checked_write_refuses_an_hctl_without_block_dir_and_says_nothing_found(env):
    """No block/ below the device (the disk is going, or the hctl has none yet): 'nothing' found, no write."""
    shutil.rmtree(os.path.join(env.root, "sys/devices/scsi/4:0:0:1/block"))
    with pytest.raises(IdentityChanged) as info:
        act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", "8:32", "delete", "1")
    assert info.value.reason == "4:0:0:1 is no longer sdc (found nothing)"
    assert info.value.identity == {"expected": "sdc", "found": []}
    assert text_of(_sd_file(env, "delete")) == ""


def test_checked_write_refuses_a_name_with_another_major_minor_and_writes_nothing(env):
    """Same kernel name, another device number (sdc gone and a new sdc made at this hctl): refused on `dev`."""
    with pytest.raises(IdentityChanged) as info:
        act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", "8:33", "delete", "1")
    exc = info.value
    assert exc.reason == "4:0:0:1/sdc is 8:32, expected 8:33"
    assert (exc.device, exc.identity) == ("4:0:0:1", {"expected": "8:33", "found": "8:32"})
    assert text_of(_sd_file(env, "delete")) == ""


def test_checked_write_compares_dev_after_stripping_the_kernels_newline(env):
    """sysfs prints `dev` with a newline: "8:32\\n" is 8:32 (exact text after strip), so the write goes."""
    put_text(os.path.join(env.root, "sys/devices/scsi/4:0:0:1/block/sdc/dev"), "8:32\n")
    assert act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", "8:32", "rescan", "1") is True
    assert text_of(_sd_file(env, "rescan")) == "1"


def test_checked_write_without_a_planned_dev_checks_the_name_only(env):
    """dev None (not planned): the name alone decides, and the dev file is not read (here it is gone)."""
    os.unlink(os.path.join(env.root, "sys/devices/scsi/4:0:0:1/block/sdc/dev"))
    assert act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", None, "delete", "1") is True
    assert text_of(_sd_file(env, "delete")) == "1"


# ------------------------------------------------------------------------------ _child_exclusive_open
def _block_node(path, major, minor):
    """A block device node in tmp_path, or skip where nodes cannot be made or opened (not root, a nodev mount)."""
    try:
        os.mknod(str(path), stat.S_IFBLK | 0o600, os.makedev(major, minor))
    except OSError as exc:
        pytest.skip("cannot make a block node here: %s" % exc)
    return str(path)


def _loop_node(tmp_path, name="sdz"):
    """A node of an existing loop device (unbound loop devices open): the kernel's O_EXCL answers for real."""
    loops = sorted(n for n in os.listdir("/dev") if n.startswith("loop") and n[4:].isdigit())
    if not loops:
        pytest.skip("no loop device")
    st = os.stat("/dev/" + loops[0])
    node = _block_node(os.path.join(str(tmp_path), name), os.major(st.st_rdev), os.minor(st.st_rdev))
    try:
        os.close(os.open(node, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as exc:
        pytest.skip("cannot open %s: %s" % (node, exc))
    return node, "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))


def _in_process_host(env):
    """The env's host with the real children run in-process (the env's fake kernel answers exclusive opens itself)."""
    host = env.host()
    host.call = _in_process
    return host


def test_exclusive_open_of_a_regular_file_is_an_identity_change_even_when_its_numbers_match(tmp_path):
    """A regular file's st_rdev is 0:0: the block-device test alone must refuse it."""
    f = tmp_path / "sdz"
    f.write_text("")
    with pytest.raises(IdentityChanged) as info:
        act_children._child_exclusive_open(str(f), "0:0")
    exc = info.value
    assert exc.reason == "%s is not block device 0:0" % f
    assert (exc.device, exc.identity) == (str(f), {"expected": "0:0"})


def test_exclusive_open_of_a_real_unclaimed_block_node_is_ok_and_closes_it(tmp_path):
    """Twice in a row: an fd left open would hold the claim and the second open would read as claimed."""
    node, dev = _loop_node(tmp_path)
    assert act_children._child_exclusive_open(node, dev) == {"claimed": False, "answer": "ok"}
    assert act_children._child_exclusive_open(node, dev) == {"claimed": False, "answer": "ok"}


def test_exclusive_open_of_a_real_node_with_other_numbers_is_an_identity_change(tmp_path):
    node, dev = _loop_node(tmp_path)
    other = "%s:%d" % (dev.split(":")[0], int(dev.split(":")[1]) + 1)
    with pytest.raises(IdentityChanged, match="is not block device %s" % other):
        act_children._child_exclusive_open(node, other)


def test_exclusive_open_of_a_real_node_held_exclusively_is_claimed(tmp_path):
    """The kernel's own EBUSY (another O_EXCL opener holds it): claimed, with the reason as the kernel words it."""
    node, dev = _loop_node(tmp_path)
    fd = os.open(node, os.O_RDONLY | os.O_EXCL | os.O_NONBLOCK)
    try:
        out = act_children._child_exclusive_open(node, dev)
    finally:
        os.close(fd)
    reason = os.strerror(errno.EBUSY)
    assert out == {"claimed": True, "reason": reason, "answer": "busy: %s" % reason}


def test_exclusive_open_of_a_real_node_without_a_driver_is_not_claimed(tmp_path):
    """ENXIO (no driver for the numbers; an offline sd refuses its open the same way): no exclusive holder."""
    majors = set()
    with open("/proc/devices") as fh:
        block = False
        for line in fh:
            block = block or line.startswith("Block devices")
            if block and line.split() and line.split()[0].isdigit():
                majors.add(int(line.split()[0]))
    major = [m for m in range(240, 255) if m not in majors][0]   # the local/experimental range
    node = _block_node(tmp_path / "sdz", major, 7)
    try:
        out = act_children._child_exclusive_open(node, "%d:7" % major)
    except OSError as exc:
        pytest.skip("the node does not open here: %s" % exc)
    assert out == {"claimed": False, "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(errno.ENXIO)}


@pytest.mark.parametrize("code, expected", [
    (errno.EBUSY, {"claimed": True, "reason": os.strerror(errno.EBUSY), "answer": "busy: " + os.strerror(errno.EBUSY)}),
    (errno.ENXIO, {"claimed": False, "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(errno.ENXIO)}),
    (errno.ENODEV, {"claimed": False, "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(errno.ENODEV)}),
    (errno.ENOMEDIUM, {"claimed": False,
                       "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(errno.ENOMEDIUM)}),
])
def test_exclusive_open_maps_each_open_error_the_kernel_gives(tmp_path, monkeypatch, code, expected):
    """EBUSY is a kernel claim; ENXIO, ENODEV, ENOMEDIUM are a driver that refused the open (checked after the claim)."""
    def refuse(path, flags, *rest):
        assert flags & os.O_EXCL and flags & os.O_NONBLOCK and not flags & (os.O_WRONLY | os.O_RDWR)
        raise OSError(code, os.strerror(code), path)
    monkeypatch.setattr(act_children.os, "open", refuse)
    assert act_children._child_exclusive_open(str(tmp_path / "sdz"), "8:32") == expected


def test_exclusive_open_raises_any_other_open_error(tmp_path, monkeypatch):
    """EACCES says nothing about a claim: raised, never read as unclaimed."""
    def refuse(path, flags, *rest):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)
    monkeypatch.setattr(act_children.os, "open", refuse)
    with pytest.raises(OSError) as info:
        act_children._child_exclusive_open(str(tmp_path / "sdz"), "8:32")
    assert info.value.errno == errno.EACCES


# ------------------------------------------------------------------------------ exclusive_open_check, _identity_changed
def test_exclusive_open_check_returns_the_answer_of_an_unclaimed_node(env):
    """The child gets the node under the host's root and the planned dev."""
    assert act_children.exclusive_open_check(env.host(), {"name": "sdc", "dev": "8:32"}) == "ok"
    assert env.exclusive_opens == [(os.path.join(env.root, "dev/sdc"), "8:32")]


def test_exclusive_open_check_refuses_a_claimed_node_as_open_count(env):
    env.exclusive_busy = True
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(env.host(), {"name": "sdc", "dev": "8:32"})
    exc = info.value
    assert (exc.target, exc.kind, exc.holder) == ("disk sdc", "open_count", "exclusive open refused")
    assert exc.evidence == {"exclusive_open": "busy: Device or resource busy"}
    # the whole message: the refusal's msg is what the report shows
    assert str(exc) == ("disk sdc: is claimed by a kernel user (exclusive open: Device or resource busy): a mount, "
                        "LVM/dm, md, btrfs, ZFS, drbd, an LIO backstore or swap not seen in sysfs; not deleting")


def test_exclusive_open_check_refuses_a_real_node_held_exclusively_under_the_given_target(env):
    """The real child in-process on a real node another opener holds O_EXCL: refused for the target named."""
    os.makedirs(os.path.join(env.root, "dev"), exist_ok=True)
    node, dev = _loop_node(env.root, "dev/sdc")
    fd = os.open(node, os.O_RDONLY | os.O_EXCL | os.O_NONBLOCK)
    try:
        with pytest.raises(Refused) as info:
            act_children.exclusive_open_check(_in_process_host(env), {"name": "sdc", "dev": dev}, "namespace nvme0n1")
    finally:
        os.close(fd)
    assert (info.value.target, info.value.kind) == ("namespace nvme0n1", "open_count")


def test_exclusive_open_check_refuses_another_device_at_the_node_as_identity(env):
    """The child's IdentityChanged (a regular file at /dev/sdc) comes back as a refusal of kind identity."""
    os.makedirs(os.path.join(env.root, "dev"), exist_ok=True)
    put_text(os.path.join(env.root, "dev/sdc"), "")
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(_in_process_host(env), {"name": "sdc", "dev": "8:32"})
    exc = info.value
    assert (exc.target, exc.kind) == ("disk sdc", "identity")
    assert str(exc) == "disk sdc: %s is not block device 8:32; nothing written" % os.path.join(env.root, "dev/sdc")


def test_exclusive_open_check_refuses_a_node_it_cannot_open_as_open_count(env):
    """Any other failure of the child (no node): not deleting, as a kernel user could not be ruled out."""
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(_in_process_host(env), {"name": "sdc", "dev": "8:32"})
    exc = info.value
    node = os.path.join(env.root, "dev/sdc")
    assert (exc.target, exc.kind) == ("disk sdc", "open_count")
    # the whole message (the report's msg), with the child's failure as deadline.call words it: what was tried first
    assert str(exc) == ("disk sdc: could not be opened exclusively to check for kernel users (exclusive open of "
                        "/dev/sdc: FileNotFoundError: [Errno %d] %s: '%s'); not deleting"
                        % (errno.ENOENT, os.strerror(errno.ENOENT), node))


def test_identity_changed_is_the_kind_of_a_child_failure_never_itstext_of():
    changed = ChildFailed.of("w", IdentityChanged("x", device="sdc"))
    assert act_children._identity_changed(changed) is True
    assert act_children._identity_changed(ChildFailed.of("w", OSError("IDENTITY CHANGED: x"))) is False
    assert act_children._identity_changed(IdentityChanged("x")) is False   # not a child's report


# ------------------------------------------------------------------------------ child_write, sysfs_write
def test_child_write_writes_the_exact_data(tmp_path):
    scan = tmp_path / "scan"
    scan.write_text("")
    assert act_children.child_write(str(scan), "0 1 2") is True
    assert scan.read_text() == "0 1 2"


def test_sysfs_write_returns_the_childs_answer_after_writing(env):
    args = (_sys(env), "4:0:0:1", "sdc", "8:32", "rescan", "1")
    assert act_children.sysfs_write(env.host(), act_children.child_checked_write, args, "disk sdc", "rescan") is True
    assert text_of(_sd_file(env, "rescan")) == "1"


def test_sysfs_write_turns_an_identity_change_into_a_refusal(env):
    args = (_sys(env), "4:0:0:1", "sdd", "8:48", "delete", "1")
    with pytest.raises(Refused) as info:
        act_children.sysfs_write(env.host(), act_children.child_checked_write, args, "disk sdd", "delete of sdd")
    exc = info.value
    assert (exc.target, exc.kind) == ("disk sdd", "identity")
    assert str(exc) == ("disk sdd: 4:0:0:1 is no longer sdd (found ['sdc']) — the kernel name or address was reused; "
                        "nothing written")
    assert text_of(_sd_file(env, "delete")) == ""


def test_sysfs_write_turns_any_other_child_failure_into_act_failed(env):
    with pytest.raises(act_context.ActFailed) as info:
        act_children.sysfs_write(env.host(), act_children.child_write, (os.path.join(env.root, "no/such/scan"), "- - -"),
                                 "host9", "scan of host9")
    assert info.value.target == "host9"
    assert str(info.value).startswith("host9: scan of host9 failed: scan of host9: FileNotFoundError: ")


def test_sysfs_write_lets_a_missed_deadline_through(env):
    """DeadlineExceeded is not the child's error: the caller sees it as it is (it reports an abandoned write)."""
    env.hang.add("delete")
    args = (_sys(env), "4:0:0:1", "sdc", "8:32", "delete", "1")
    with pytest.raises(deadline.DeadlineExceeded):
        act_children.sysfs_write(env.host(), act_children.child_checked_write, args, "disk sdc", "delete of sdc")


def test_sysfs_write_starts_nothing_after_a_signal(env):
    """The checkpoint comes first: after SIGTERM no write is started."""
    host = env.host()
    host.interrupted = "SIGTERM"
    args = (_sys(env), "4:0:0:1", "sdc", "8:32", "delete", "1")
    with pytest.raises(act_context.Interrupted):
        act_children.sysfs_write(host, act_children.child_checked_write, args, "disk sdc", "delete of sdc")
    assert text_of(_sd_file(env, "delete")) == "" and env.writes == []
