# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In use means in use, from observe to judge: kernel users and unknown openers through the real pipeline
(SanTree fixture trees -> san_read -> san_judge / san_plan)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import disks as plan_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import maps as plan_maps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as san_users
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    _blocknode, healthy_lab, ontap_wwid, proc_scan_times_out)


def plain_disk_snapshot(tmp_path, setup):
    t = healthy_lab(tmp_path)
    t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
    setup(t)
    t.commands()
    return t.reader().snapshot(probe=False)


def test_a_loop_device_on_a_san_disk_is_in_use_and_named(tmp_path):
    def setup(t):
        _blocknode(t, "/dev/sdf", "8:80")
        t._write("/sys/block/loop2/loop/backing_file", "/dev/sdf\n")
    snap = plain_disk_snapshot(tmp_path, setup)
    f = [x for x in judge_findings.host_findings(snap) if x["kind"] == "in_use" and x["name"] == "sdf"]
    assert f and "loop device loop2 (backing file /dev/sdf)" in f[0]["reason"]


def test_a_btrfs_member_is_in_use_and_refused(tmp_path):
    snap = plain_disk_snapshot(tmp_path, lambda t: t._mkdir("/sys/fs/btrfs/fsid-1/devices/sdf"))
    f = [x for x in judge_findings.host_findings(snap) if x["kind"] == "in_use" and x["name"] == "sdf"]
    assert f and "btrfs filesystem fsid-1" in f[0]["reason"]
    assert not [x for x in judge_findings.host_findings(snap) if x["kind"] == "orphan_path" and x["name"] == "sdf"]
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([snap["disks"]["sdf"]])
    assert info.value.kind == "kernel_user" and "btrfs filesystem fsid-1" in str(info.value)


def test_unknown_openers_are_a_finding_and_a_refusal(tmp_path):
    t = healthy_lab(tmp_path)
    t.commands()
    snap = t.reader(call=proc_scan_times_out).snapshot(probe=False)
    m = snap["maps"][ontap_wwid(1)]
    assert any("openers unknown" in x["reason"] for x in judge_findings.host_findings(snap) if x["name"] == ontap_wwid(1))
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(m)
    assert info.value.kind == "openers_unknown"


def test_unexplained_opens_ignore_openers_of_holders():
    openers = [{"pid": 1, "comm": "blkid", "via": "dm-9"}, {"pid": 2, "comm": "blkid"}]
    assert san_users.unexplained_opens(2, openers) == 1
    assert san_users.unexplained_opens(1, openers) == 0
    assert san_users.unexplained_opens(None, []) == 0
