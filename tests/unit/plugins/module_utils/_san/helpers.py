# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval, steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import FakeEnv


# two LUs whose t10 vendor-specific ids differ only in case: distinct to the kernel and to multipath (the
# code keeps them apart by keying the host's devices by their exact text)
UPPER, LOWER = Wwid("t10.VEND Abc"), Wwid("t10.VEND abc")     # "1VEND_Abc", "1VEND_abc"


def references_after_removing(tmp_path, removed, live):
    """The references act.refs reports after LU `removed`'s map mpathx was flushed, with LU `live`'s map mpathy (a
    PV in use) still there; the LVM devices file names both, line 2 the removed one."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import refs as act_refs
    env = FakeEnv(tmp_path)
    env._file("sys/block/dm-6/dm/name", "mpathy")          # the live map of LU 1VEND_abc_2, a PV in use
    env._file("sys/block/dm-6/dm/uuid", "mpath-" + live)
    env._file("etc/lvm/devices/system.devices", "VERSION=1.1.3\n"
              "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/mpathx PVID=Xa1b\n"
              "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/mpathy PVID=Xb2c\n" % (removed, live))
    executed = [{"action": "flush_map", "target": "mpathx", "outcome": "done"},
                {"action": "wait_map_gone", "target": "mpathx", "outcome": "done", "wwid": removed}]
    return act_refs.references(env.host(), executed, still_present=[live])


HOST = {"machine_id": "m1", "hostname": "h1"}


def _artifact(wwid, name="mpatha"):
    snapshot = {"maps": {wwid: {"name": name, "wwid": wwid, "dm": "dm-3", "dev": "253:3", "paths": [{"name": "sdb"}]}},
                "disks": {"sdb": {"name": "sdb", "hctl": "2:0:0:1", "dev": "8:16", "wwid": wwid, "map": name}}}
    steps = [plan_steps.step("flush_map", name, {"wwid": wwid, "name": name}).tagged("flush", "map %s" % name),
             plan_steps.step("remove_wwid", wwid, {"wwid": wwid}).tagged("flush", "map %s" % name)]
    plan = {"steps": steps, "skipped": [], "flush_maps": [wwid], "delete_disks": [], "mismatches": []}
    return plan, snapshot, json.loads(json.dumps(approval.plan_artifact(steps, snapshot, HOST, 1000.0)))


def _redigest(artifact):
    artifact["digest"] = approval.digest(artifact["format"], artifact["host"], artifact["created_at"],
                                         artifact["steps"])
    return artifact
