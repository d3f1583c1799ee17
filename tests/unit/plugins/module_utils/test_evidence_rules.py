# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evidence rules of the cleanup plan: a path whose state is unknown is not dead; a map without paths is not
dead by host evidence alone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup as san_plan
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_plan import (
    WWID, a_disk, a_map)

STALE_MAP_ONLY = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}]


def snap_with(paths, probe=None, disk_kw=None):
    m = a_map(paths=paths, probe=probe or {})
    disks = {}
    for p in paths:
        disks[p["name"]] = a_disk(p["name"], map=WWID, holders=["dm-3"], **(disk_kw or {}))
    # a complete, fresh array truth (issue 12's gates): what is tested here is the host evidence alone
    return {"collected_at": 1000.0, "maps": {WWID: m}, "disks": disks,
            "array": {"records": 1, "targets": [], "problems": [], "collected_at": 990.0}}


FAILED = {"dm_state": "failed", "checker_state": "faulty", "dev_state": "running"}


def test_every_path_failed_positively_is_planned():
    snap = snap_with([dict(FAILED, name="sdc"), dict(FAILED, name="sdd")])
    out = san_plan.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["steps"][0]["action"] == "disable_queueing"


@pytest.mark.parametrize("unknown", [
    {"dm_state": None, "checker_state": None, "dev_state": "running"},       # dmsetup status failed
    {"dm_state": None, "checker_state": "pending", "dev_state": "running"},  # checker not run yet
    {},                                                                      # nothing known
])
def test_a_path_in_an_unknown_state_is_not_dead(unknown):
    snap = snap_with([dict(FAILED, name="sdc"), dict(unknown, name="sdd")])
    out = san_plan.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["steps"] == []
    assert "sdd" in out["skipped"][0]["reason"] and "not positively observed" in out["skipped"][0]["reason"]


def test_a_probe_that_says_the_lu_is_gone_is_positive_evidence():
    snap = snap_with([dict(FAILED, name="sdc"), {"name": "sdd", "dm_state": None}],
                     probe={"sdd": {"result": "lun_not_supported"}})
    assert san_plan.plan_cleanup(snap, STALE_MAP_ONLY)["steps"]


def test_a_map_without_paths_is_removable_only_on_the_arrays_word():
    snap = snap_with([])
    assert san_plan.plan_cleanup(snap, STALE_MAP_ONLY)["steps"][0]["action"] == "disable_queueing"
    unknown = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    out = san_plan.plan_cleanup(snap, unknown, {"policy": "host_evidence", "earlier": snap, "grace": 0})
    assert out["steps"] == [] and "host evidence" in out["skipped"][0]["reason"]


def test_a_stale_plain_disk_needs_its_failure_observed():
    snap = {"collected_at": 1000.0, "maps": {},
            "disks": {"sdf": a_disk("sdf", "4:0:0:5", "8:80", state="running")},
            "array": {"records": 1, "targets": [], "problems": [], "collected_at": 990.0}}
    verdicts = [{"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID}]
    assert san_plan.plan_cleanup(snap, verdicts)["steps"] == []
    snap["disks"]["sdf"]["probe"] = {"result": "lun_not_supported"}
    assert [s["action"] for s in san_plan.plan_cleanup(snap, verdicts)["steps"]] == ["delete_disk", "wait_disk_gone"]
