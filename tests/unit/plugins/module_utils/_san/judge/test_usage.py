# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/usage.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import usage as judge_usage
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import maps as plan_maps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    inline_call, ontap_wwid, plain_san_disk)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.plan.helpers import a_disk, a_map


@pytest.mark.parametrize("uuid,name,kind", [
    ("LVM-abc", "dm-1", "lvm"), ("part2-mpath-x", "dm-2", "kpartx"), ("CRYPT-LUKS1-x", "dm-3", "luks"),
    ("CRYPT-PLAIN-x", "dm-4", "dm-crypt"), ("mpath-36", "dm-5", "multipath"), (None, "md0", "md"),
    (None, "dm-6", "device-mapper"), (None, "nbd0", "other"),
])
def test_classify_holder(uuid, name, kind):
    """Fails when a holder is classified as the wrong kind (lvm, kpartx, luks, md, ...)."""
    assert judge_usage.classify_holder({"name": name, "uuid": uuid}) == kind


def test_an_unknown_open_count_of_a_map_refuses_and_a_disk_has_none_to_know():
    """Fails when a map's unknown open count reads as 0, or a disk is refused for having none."""
    # dmsetup info failed or had no line for the map: the gate that sees other mount namespaces must not read 0
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(open_count=None))
    assert info.value.kind == "open_count" and "unknown open count" in str(info.value)
    judge_usage.check_not_in_use(a_disk(), "disk sdc")  # an sd has no open count of its own: not a refusal


@pytest.mark.parametrize("lose", ["file", "deadline"])
def test_a_mount_table_that_cannot_be_read_makes_every_device_in_use(tmp_path, lose):
    """Fails when an unread mount table lets a device count as unused."""
    t = plain_san_disk(tmp_path)
    t.mount("253:0", "/srv/pv-data", "/dev/mapper/" + ontap_wwid(1))
    t.commands()
    call = inline_call
    if lose == "file":
        os.unlink(t.path("/proc/self/mountinfo"))
    else:
        def call(fn, args=(), timeout=10, what=None):  # the batch, then the mounts piece, miss their deadline
            if fn.__name__ in ("read_batch", "read_mounts"):
                raise deadline.DeadlineExceeded(what, timeout)
            return fn(*args)
    snap = t.reader(call=call).snapshot(probe=False)
    assert snap["maps"][ontap_wwid(1)]["mountpoints"] == []
    for obj in (snap["maps"][ontap_wwid(1)], snap["disks"]["sdf"], snap["disks"]["sdb"]):
        assert "mount table" in obj["openers_unknown"]
    with pytest.raises(Refused) as info:
        judge_usage.check_not_in_use(snap["maps"][ontap_wwid(1)], "map")
    assert info.value.kind == "openers_unknown"


def test_fds_of_the_threads_of_a_process_whose_leader_has_exited_are_seen(tmp_path):
    """The leader of a threaded process exited (a zombie, its /proc/PID/fd empty) while a thread
    still holds the disk open: only /proc/PID/task/TID/fd shows it."""
    t = plain_san_disk(tmp_path)
    t.proc(5000, "java", fds=[])
    t._write("/proc/5000/stat", "5000 (java) Z 1 5000 5000 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 2 0 1\n")
    t._write("/proc/5000/task/5001/comm", "java\n")
    t._link("/proc/5000/task/5001/fd/7", "/dev/sdf")
    t._link("/proc/5000/task/5002/fd/7", "/dev/sdf")   # a second thread sharing the same fd table
    t._mkdir("/proc/5000/task/5000/fd")                # the leader's own task entry: empty too
    t.commands()
    snap = t.reader().snapshot(probe=False)
    assert [o for o in snap["disks"]["sdf"]["openers"] if o["pid"] != 612] == [{"pid": 5000, "comm": "java"}]
    with pytest.raises(Refused) as info:
        judge_usage.check_not_in_use(snap["disks"]["sdf"], "sdf")
    assert info.value.kind == "opener" and "pid 5000 (java)" in str(info.value)
