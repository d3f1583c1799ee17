# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""stale_cleanup_apply against the fake host of test_san_act: it runs a stale_cleanup_plan's steps exactly."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest


from ansible_collections.sanfleet.remediation.plugins.module_utils import san_plan
from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup_apply
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_act import (
    FakeEnv, WWID, WWID2, disk)

STALE = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID},
         {"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID2}]


@pytest.fixture
def env(tmp_path):
    e = FakeEnv(tmp_path)
    e.add_disk(disk("sdf", "4:0:0:7", "8:80", WWID2))   # a stale disk without a map
    e.disks["sdf"]["probe"] = {"result": "lun_not_supported", "serial_live": None}  # its failure is observed
    return e


def plan_of(env, verdicts=None):
    snap = env.reader.snapshot()
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    for m in snap["maps"].values():         # as stale_mpath_facts probes the paths of a map that is not healthy
        m["probe"] = dict((p["name"], env.probes[p["name"]]) for p in m["paths"] if p["name"] in env.probes)
    return san_plan.plan_cleanup(snap, verdicts or STALE)["steps"]


MODULE = stale_cleanup_apply


def _first(steps, action):
    return [s for s in steps if s["action"] == action][0]


# as the role passes the plan's unmapped_maps
DEFAULT_ARGS = {"array_unmapped": [WWID]}


def pairs(steps):
    return [(s["action"], s["target"]) for s in steps]


def test_check_mode_lists_the_plan_and_a_real_run_executes_exactly_it(env, run):
    steps = plan_of(env)
    chk = run({"steps": steps}, check=True)
    assert chk["changed"] is True and chk["executed"] == [] and pairs(chk["run"]) == pairs(steps)
    assert env.commands == [] and env.writes == [] and WWID in env.maps
    real = run({"steps": steps})
    assert not real.get("failed"), real
    assert pairs(real["executed"]) == pairs(steps)
    # the map's paths go right after the map, before multipath -w and before the orphan disk
    done = pairs(real["executed"])
    assert done[done.index(("wait_map_gone", WWID)) + 1:] == [
        ("delete_disk", "sdc"), ("wait_disk_gone", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdd"),
        ("remove_wwid", WWID), ("delete_disk", "sdf"), ("wait_disk_gone", "sdf")]
    assert real["removed_maps"] == [WWID] and real["deleted_disks"] == ["sdc", "sdd", "sdf"]
    assert WWID not in env.maps and not env.disks


def test_phases_select_whole_units(env, run):
    steps = plan_of(env)
    out = run({"steps": steps, "phases": ["delete"]})
    assert pairs(out["executed"]) == [("delete_disk", "sdf"), ("wait_disk_gone", "sdf")]
    assert {s["phase"] for s in out["not_run"]} == {"flush"}
    assert WWID in env.maps and "sdc" in env.disks and "sdf" not in env.disks


def test_a_step_that_changed_since_the_plan_stops_the_run_with_what_was_done(env, run):
    steps = plan_of(env)
    env.disks["sdd"]["dev"] = "8:99"   # the kernel gave the name to another device
    out = run({"steps": steps})
    assert out["failed"] and out["refusal"]["kind"] == "identity"
    assert out["failed_step"]["target"] == "sdd"
    assert pairs(out["executed"])[-1] == ("wait_disk_gone", "sdc") and out["changed"] is True
    assert "sdd" in env.disks and "sdf" in env.disks


@pytest.mark.parametrize("mutate,needle", [
    (lambda s: s[0].update(action="flush_all"), "unknown action"),
    (lambda s: s[3].update(target="../sda"), "sd"),
    (lambda s: s[0].update(target="/dev/sda"), "map"),
    (lambda s: s[0].update(phase="everything"), "unknown phase"),
    (lambda s: s[2]["expect"].update(force_remove=True), "force_remove is false"),
    (lambda s: _first(s, "delete_disk")["expect"].update(name="../../x"), "SCSI disk name"),
    (lambda s: s[0]["expect"].update(name="../../x"), "map name"),
    (lambda s: _first(s, "delete_disk")["expect"].update(hctl="1:2:3"), "H:C:T:L"),
    (lambda s: _first(s, "delete_disk")["expect"].update(dev=["8", "16"]), "major:minor"),
    (lambda s: s[0]["expect"].update(slaves=["sdc", "../sda"]), "SCSI disk name"),
    (lambda s: s[0]["expect"].update(slaves="sdc"), "must be a list"),
    (lambda s: s[0]["expect"].update(wwid=123), "WWID"),
])
def test_bad_plans_are_refused_with_nothing_changed(env, mutate, needle, run):
    steps = copy.deepcopy(plan_of(env))
    mutate(steps)
    out = run({"steps": steps})
    assert out["failed"] and needle in out["msg"] and "nothing changed" in out["msg"], out["msg"]
    assert env.commands == [] and env.writes == []


def test_release_of_blocked_openers_only_for_maps_the_array_unmapped(env, run):
    env.maps[WWID]["openers"] = [{"pid": 77, "comm": "dd"}]
    env.maps[WWID]["open_count"] = 1
    steps = plan_of(env)
    assert [s["action"] for s in steps][:2] == ["disable_queueing", "verify_unused"]
    refused = run({"steps": steps, "array_unmapped": []})
    assert refused["failed"] and "not in array_unmapped" in refused["msg"] and env.commands == []
    other = run({"steps": steps, "array_unmapped": [WWID2]})
    assert other["failed"] and "not in array_unmapped" in other["msg"] and env.commands == []
    chk = run({"steps": steps, "array_unmapped": ["naa." + WWID[1:]]}, check=True)
    assert not chk.get("failed") and pairs(chk["run"]) == pairs(steps)


def test_a_step_that_is_not_a_dict_is_refused_by_the_argument_spec(env, run):
    out = run({"steps": ["disable_queueing"]})
    assert out["failed"] and "dict" in out["msg"] and env.commands == []


def test_empty_plan_is_not_a_change(env, run):
    out = run({"steps": []})
    assert out["changed"] is False and not out.get("failed") and env.commands == []


def test_bad_timeout_changes_nothing(env, run):
    out = run({"steps": plan_of(env), "command_timeout": 0})
    assert out["failed"] and "command_timeout" in out["msg"] and env.commands == []
