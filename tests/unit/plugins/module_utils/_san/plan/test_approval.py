# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/approval.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity, validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval, steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import LOWER, UPPER


HOST = {"machine_id": "m1", "hostname": "h1"}


def _map_steps(wwid, name, dm, dev, sd, hctl):
    m = {"name": name, "wwid": wwid, "dm": dm, "dev": dev, "paths": [{"name": sd}]}
    d = {"name": sd, "hctl": hctl, "dev": "8:%d" % (16 * int(dm[3:])), "wwid": wwid, "map": name}
    unit = "map %s" % name
    steps = [dict(plan_steps.step("flush_map", name, {"wwid": wwid, "name": name}), unit=unit, phase="flush"),
             dict(plan_steps.step("remove_wwid", wwid, {"wwid": wwid, "map_absent": True}), unit=unit,
                  phase="flush")]
    return m, d, steps


def test_an_artifact_removing_two_lus_that_differ_only_in_case_is_valid_and_approves_both():
    """Fails when a plan removing two LUs that differ only in case is invalid or has one of them refused."""
    m1, d1, s1 = _map_steps(UPPER, "mpathx", "dm-5", "253:5", "sdf", "2:0:0:7")
    m2, d2, s2 = _map_steps(LOWER, "mpathy", "dm-6", "253:6", "sdg", "2:0:0:8")
    snapshot = {"maps": {UPPER: m1, LOWER: m2}, "disks": {"sdf": d1, "sdg": d2}}
    steps = s1 + s2
    plan = {"steps": steps, "skipped": [], "flush_maps": [UPPER, LOWER], "delete_disks": [], "mismatches": []}
    artifact = json.loads(json.dumps(approval.plan_artifact(steps, snapshot, HOST, 1000.0)))
    approval.validate(copy.deepcopy(artifact), 1001.0, approval.MAX_AGE)   # today: "lists remove_wwid ... twice"
    out, seen = approval.gate(plan, snapshot, artifact)
    assert seen == {"refused": [], "not_needed": []} and len(out["steps"]) == 4, out["skipped"]


def test_an_approved_dm_uuid_that_is_a_list_is_a_clear_error_or_a_refusal_not_a_traceback():
    """Fails when an approved plan whose dm_uuid is a list raises a traceback, not a clear InvalidInput."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import (
        _artifact, _redigest)
    _plan, _snapshot, artifact = _artifact(UPPER)
    bad = copy.deepcopy(artifact)
    bad["steps"][0]["identity"]["dm_uuid"] = ["mpath-" + UPPER]
    _redigest(bad)
    with pytest.raises(validate.InvalidInput, match=r"steps\[0\]\.identity\.dm_uuid must be a string or null"):
        approval.validate(bad, 1001.0, approval.MAX_AGE)   # on 3d7a95c the gate raised AttributeError


EUI_UUID = "mpath-eui.0025388B91B2E1C2"     # a map whose dm uuid is not in the normal form (NVMe's ID_WWN)
NAA = "3600a098038303053453f463045494f41"


def _respelled(artifact, spell):
    """The artifact with every WWID (identity.wwid, the WWID in identity.dm_uuid, a remove_wwid's target) written
    as spell(wwid), digest made again (an edited or re-exported file)."""
    out = copy.deepcopy(artifact)
    for st in out["steps"]:
        ident = st["identity"]
        ident["wwid"] = spell(ident["wwid"])
        ident["dm_uuid"] = "mpath-" + spell(ident["dm_uuid"][len("mpath-"):])
        if st["action"] == "remove_wwid":
            st["target"] = spell(st["target"])
    out["digest"] = approval.digest(out["format"], out["host"], out["created_at"], out["steps"])
    return out


def _one_map_plan(wwid):
    m, d, steps = _map_steps(wwid, "mpatha", "dm-3", "253:3", "sdb", "2:0:0:1")
    plan = {"steps": steps, "skipped": [], "flush_maps": [wwid], "delete_disks": [], "mismatches": []}
    return plan, {"maps": {wwid: m}, "disks": {"sdb": d}}


def _gated(plan, snapshot, approved):
    approval.validate(approved, 1001.0, approval.MAX_AGE)
    out, seen = approval.gate(plan, snapshot, approved)
    return out["steps"], seen, [s.get("approval") for s in out["skipped"]]


@pytest.mark.parametrize("wwid,spellings", [
    (NAA, [str.upper, lambda w: "naa." + w[1:], lambda w: "NAA." + w[1:].upper(), lambda w: w[1:]]),
    (identity.map_wwid(EUI_UUID), [str.lower, lambda w: "2" + w[4:].lower(), str.upper]),
])
def test_an_approved_plan_in_another_spelling_is_turned_into_the_hosts_and_approves_its_unit(wwid, spellings):
    """Fails when an approved plan's WWIDs, written as the check run wrote them or in another notation or hex case,
    do not approve the unit whose device it names (the approved plan is an outside spelling: the gate turns it into
    the host's own, a map's dm uuid text, then compares exactly)."""
    plan, snapshot = _one_map_plan(wwid)
    written = json.loads(json.dumps(approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0)))
    assert written["steps"][0]["identity"]["dm_uuid"] == "mpath-" + wwid
    for approved in [written] + [_respelled(written, spell) for spell in spellings]:
        steps, seen, _why = _gated(plan, snapshot, approved)
        assert seen == {"refused": [], "not_needed": []} and steps == plan["steps"], approved["steps"]


@pytest.mark.parametrize("wwid", [NAA, identity.map_wwid(EUI_UUID)])
def test_an_approved_plan_naming_another_wwid_still_refuses_its_unit(wwid):
    """Fails when the conversion of an approved plan's spelling lets a really different WWID approve a unit."""
    plan, snapshot = _one_map_plan(wwid)
    written = json.loads(json.dumps(approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0)))
    other = copy.deepcopy(written)
    other["steps"][0]["identity"]["wwid"] = "3600a0980383030534a3f463045494f41"
    other["digest"] = approval.digest(other["format"], other["host"], other["created_at"], other["steps"])
    steps, seen, why = _gated(plan, snapshot, other)
    assert seen["refused"] == ["map mpatha"] and steps == [] and why == ["changed"], seen
