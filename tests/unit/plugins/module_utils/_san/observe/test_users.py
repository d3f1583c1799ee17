# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In use means in use, from observe to judge: kernel users and unknown openers through the real pipeline
(SanTree fixture trees -> observe.read -> judge / plan)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    disks as plan_disks, maps as plan_maps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    _blocknode, closer_and_hidden_open_plan, healthy_lab, local_loop, loop_file, ontap_wwid, proc_scan_times_out,
    sysfs_dev, virtio_disk)


def plain_disk_snapshot(tmp_path, setup):
    t = healthy_lab(tmp_path)
    t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
    setup(t)
    t.commands()
    return t.reader().snapshot(probe=False)


def test_a_loop_device_on_a_san_disk_is_in_use_and_named(tmp_path):
    """Fails when a loop device backed by a SAN disk does not make it in use, by name."""
    def setup(t):
        _blocknode(t, "/dev/sdf", "8:80")
        t._write("/sys/block/loop2/loop/backing_file", "/dev/sdf\n")
    snap = plain_disk_snapshot(tmp_path, setup)
    f = [x for x in judge_findings.host_findings(snap) if x["kind"] == "in_use" and x["name"] == "sdf"]
    assert f and "loop device loop2 (backing file /dev/sdf)" in f[0]["reason"]


def test_a_btrfs_member_is_in_use_and_refused(tmp_path):
    """Fails when a btrfs member disk is an orphan rather than in use, or is planned for delete."""
    snap = plain_disk_snapshot(tmp_path, lambda t: t._mkdir("/sys/fs/btrfs/fsid-1/devices/sdf"))
    f = [x for x in judge_findings.host_findings(snap) if x["kind"] == "in_use" and x["name"] == "sdf"]
    assert f and "btrfs filesystem fsid-1" in f[0]["reason"]
    assert not [x for x in judge_findings.host_findings(snap) if x["kind"] == "orphan_path" and x["name"] == "sdf"]
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([snap["disks"]["sdf"]])
    assert info.value.kind == "kernel_user" and "btrfs filesystem fsid-1" in str(info.value)


def test_unknown_openers_are_a_finding_and_a_refusal(tmp_path):
    """Fails when unknown openers are not reported or do not refuse the flush."""
    t = healthy_lab(tmp_path)
    t.commands()
    snap = t.reader(call=proc_scan_times_out).snapshot(probe=False)
    m = snap["maps"][ontap_wwid(1)]
    assert any("openers unknown" in x["reason"] for x in judge_findings.host_findings(snap) if x["name"] == ontap_wwid(1))
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(m)
    assert info.value.kind == "openers_unknown"


def test_unexplained_opens_ignore_openers_of_holders():
    """Fails when an opener of a holder is counted against the map's own open count."""
    openers = [{"pid": 1, "comm": "blkid", "via": "dm-9"}, {"pid": 2, "comm": "blkid"}]
    assert users.unexplained_opens(2, openers) == 1
    assert users.unexplained_opens(1, openers) == 0
    assert users.unexplained_opens(None, []) == 0


# ---------------------------------------------------------------------------------------------- loop devices under
# the killed-closer allowance: a loop device "cannot wait" only when nothing under its backing file can
def kpartx_partition_of_a_mapped_map(t, dev):
    """The file's filesystem on a kpartx partition (dm-5) of dm-1, a SAN map the array still maps."""
    t.dm("dm-5", dev, ontap_wwid(2) + "p1", "part1-mpath-" + ontap_wwid(2))
    t.hold("dm-1", "dm-5")
    t.maps["dm-5"]["open"] = 1   # its mount
    sysfs_dev(t, dev, "/sys/devices/virtual/block/dm-5")


def lv_on(disk):
    def setup(t, dev):
        """The file's filesystem on an LV (dm-5) on `disk`."""
        if disk == "sdf":
            t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
        t.dm("dm-5", dev, "vg0-images", "LVM-0123456789abcdef", slaves=(disk,))
        t.maps["dm-5"]["open"] = 1
        sysfs_dev(t, dev, "/sys/devices/virtual/block/dm-5")
    return setup


def loop_on_node(node, dev, setup_device):
    """A loop device backed by a block device node (losetup /dev/X): the device is the node's own (st_rdev)."""
    def setup(t):
        setup_device(t)
        _blocknode(t, node, dev)
        local_loop(t, "loop0", node)
    return setup


def on_file(setup_fs, **loop):
    def setup(t):
        setup_fs(t, loop_file(t, "loop0", **loop))
    return setup


def san_disk_sdf(t):
    t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
    sysfs_dev(t, "8:80", t.sd["sdf"]["bdir"])


@pytest.mark.parametrize("setup,why", [
    (on_file(kpartx_partition_of_a_mapped_map), "multipath map dm-1"),
    (on_file(lv_on("sdf")), "SAN disk sdf (iscsi)"),
    (loop_on_node("/dev/sdf", "8:80", san_disk_sdf), "SAN disk sdf (iscsi)"),
    (loop_on_node("/dev/dm-1", "253:1", lambda t: sysfs_dev(t, "253:1", "/sys/devices/virtual/block/dm-1")),
     "multipath map dm-1"),
    (lambda t: local_loop(t, "loop0", "/srv/images/gone.img"), "cannot be stat'ed"),      # another namespace's
    (on_file(virtio_disk, mount_dev="8:99"), "is not the one of the mount"),
    (on_file(virtio_disk, sectors=4096), "a file smaller than the loop"),
    (on_file(lambda t, dev: None), "cannot be read"),                                   # its device not in sysfs
], ids=["ext4-on-a-kpartx-partition-of-a-san-map", "ext4-on-an-lv-on-a-san-disk", "node-of-a-san-disk",
        "node-of-a-san-map", "file-not-found-here", "file-not-on-its-path-s-mount", "loop-larger-than-its-file",
        "device-not-in-sysfs"])
def test_a_loop_device_on_a_local_filesystem_that_can_wait_stops_the_killed_closer_allowance(tmp_path, setup, why):
    """A loop device whose backing file lies on ext4/xfs counted as one that cannot wait. On a boot-from-SAN host
    (snap loops) that filesystem sits on a SAN map and queues with it: a task killed while closing the loop device
    holds an open no count shows, and would vouch for a hidden user's open of a stale map (its queued I/O failed,
    the map flushed). The loop device waits when anything under its file's filesystem can (a SAN map or disk), or
    when that cannot be told (the file not found here, its device not its mount's, a loop larger than the file,
    a device sysfs does not show): then nothing is let through."""
    t = healthy_lab(tmp_path)
    setup(t)
    snap, actions, out = closer_and_hidden_open_plan(t)
    (loop,) = [d for d in snap["host"]["uncounted_block_devices"] if d["name"] == "loop0"]
    assert why in loop["why"]
    assert actions == []
    assert "loop0" in [x for x in out["skipped"] if x["name"] == ontap_wwid(1)][0]["reason"]


@pytest.mark.parametrize("setup", [
    on_file(virtio_disk),
    on_file(lv_on("sda")),                                       # an LV on the local SATA disk
    on_file(lambda t, dev: None, fstype="tmpfs"),                # in memory: no device under it
], ids=["ext4-on-a-virtio-disk", "ext4-on-an-lv-on-a-local-disk", "tmpfs"])
def test_a_loop_device_whose_file_lies_on_local_devices_only_keeps_the_allowance(tmp_path, setup):
    """The rule must not refuse what it can prove: a loop file on local disks or in memory cannot wait."""
    t = healthy_lab(tmp_path)
    setup(t)
    snap, actions, _out = closer_and_hidden_open_plan(t)
    assert snap["host"]["uncounted_block_devices"] == []
    assert actions[:2] == ["disable_queueing", "verify_unused"]
