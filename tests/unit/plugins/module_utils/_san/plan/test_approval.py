# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/approval.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity, validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval, cleanup, steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import LOWER, UPPER
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge import helpers as judge_helpers
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import ontap_wwid


HOST = {"machine_id": "m1", "hostname": "h1"}


def _map_steps(wwid, name, dm, dev, sd, hctl):
    m = {"name": name, "wwid": wwid, "dm": dm, "dev": dev, "paths": [{"name": sd}]}
    d = {"name": sd, "hctl": hctl, "dev": "8:%d" % (16 * int(dm[3:])), "wwid": wwid, "map": name}
    unit = "map %s" % name
    steps = [plan_steps.step("flush_map", name, {"wwid": wwid, "name": name}).tagged("flush", unit),
             plan_steps.step("remove_wwid", wwid, {"wwid": wwid}).tagged("flush", unit)]
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


def _gate_of_its_own_plan(s, prefixes=None):
    """A check run's own plan of snapshot `s`, approved as it is (its artifact through JSON, as a file gives it),
    through the gate: (plan, approval)."""
    s["array"] = {"records": 1, "targets": judge_helpers.TARGETS, "problems": [], "collected_at": s["collected_at"]}
    kw = {"array_wwid_prefixes": prefixes} if prefixes else {}
    plan = cleanup.plan_cleanup(s, judge_helpers.check(s, [judge_helpers.rec(1, 1)], **kw))
    assert any(st.action == "delete_disk" for st in plan["steps"]), plan
    artifact = json.loads(json.dumps(approval.plan_artifact(plan["steps"], s, HOST, 1000.0, plan.get("mismatches"))))
    approval.validate(copy.deepcopy(artifact), 1001.0, approval.MAX_AGE)
    return plan, approval.gate(plan, s, artifact)


@pytest.mark.parametrize("uuid_case", [str.lower, str.upper])
def test_a_check_runs_own_plan_passes_the_gate_whatever_case_the_maps_dm_uuid_has(tmp_path, uuid_case):
    """The map's dm uuid in upper-case hex, its paths' WWID in the kernel's lower case: one LU, two spellings on one
    host. Fails when the gate turns the approved WWIDs into one spelling for every step (refusing the check run's
    own, unchanged plan)."""
    def setup(t):
        t.dm("dm-1", "253:1", "mpathb", "mpath-" + uuid_case(ontap_wwid(2)), slaves=("sdc", "sde"))
    s = judge_helpers.snap_of(tmp_path, {"sdc": judge_helpers.FAILED, "sde": judge_helpers.FAILED},
                              {"sdc": (5, judge_helpers.LNS), "sde": (5, judge_helpers.LNS)}, setup=setup)
    plan, (out, seen) = _gate_of_its_own_plan(s)
    assert seen["refused"] == [], [x.get("reason") for x in out["skipped"] if x.get("approval")]
    assert sorted(set(st.unit for st in out["steps"])) == sorted(set(st.unit for st in plan["steps"]))


def test_a_check_runs_own_plan_passes_the_gate_for_an_eui_map_of_other_spelt_paths(tmp_path):
    """A map whose dm uuid is `mpath-eui.<HEX>` over paths the kernel spells 2<hex>."""
    def setup(t):
        for sd in ("sdc", "sde"):
            t._write(os.path.dirname(os.path.dirname(t.sd[sd]["bdir"])) + "/wwid", "eui.0025388b91b2e1c2\n")
        t.dm("dm-1", "253:1", "mpathb", "mpath-eui.0025388B91B2E1C2", slaves=("sdc", "sde"))
    s = judge_helpers.snap_of(tmp_path, {"sdc": judge_helpers.FAILED, "sde": judge_helpers.FAILED},
                              {"sdc": (5, judge_helpers.LNS), "sde": (5, judge_helpers.LNS)}, setup=setup)
    _plan, (out, seen) = _gate_of_its_own_plan(s, ("3600a0980", "2002538"))
    assert seen["refused"] == [], [x.get("reason") for x in out["skipped"] if x.get("approval")]


def _nvme_plan(tmp_path, change=None):
    import time
    reader, lab = judge_helpers.nvme_host(tmp_path, "nvme_stale", ("nvme0n2", "nvme0c0n2"))
    san = judge_helpers.nvme_judged(reader, judge_helpers.nvme_array_truth(lab["nvme"]), time.time())
    if change:
        change(san)
    return san, cleanup.plan_cleanup(san, san.get("verdicts") or [], {"policy": "array", "delete_lif_gone": True})


HOST = {"machine_id": "m1", "hostname": "h1"}


def test_an_nvme_controller_unit_is_approved_by_its_identity_and_refused_when_the_controller_changed(tmp_path):
    """A check run's artifact lists the controller's steps with the identity the act re-checks (subsystem NQN,
    transport, address, host NQN, controller ID, the namespaces behind it); it passes validation and the gate. A
    later plan of another controller under the same name (another controller ID), or with another namespace behind
    it, is refused by name."""
    san, plan = _nvme_plan(tmp_path / "a")
    artifact = approval.plan_artifact(plan["steps"], san, HOST, 1000.0)
    assert [(s["action"], s["unit"]) for s in artifact["steps"]] == [
        ("delete_controller", "controller nvme0"), ("wait_controller_gone", "controller nvme0")]
    seen = json.loads(artifact["steps"][0]["identity"]["controller"])
    assert seen["address"] == "traddr=127.0.0.5,trsvcid=4420" and sorted(seen["namespaces"]) == ["nvme0n1", "nvme0n3"]
    approval.validate(artifact, 1000.0, 60)
    gated, matched = approval.gate(plan, san, artifact)
    assert matched["refused"] == [] and len(gated["steps"]) == 2

    def reused(s):
        [c for c in s["nvme"]["controllers"] if c["name"] == "nvme0"][0]["cntlid"] = "77"
    san2, plan2 = _nvme_plan(tmp_path / "b", reused)
    gated, matched = approval.gate(plan2, san2, artifact)
    assert matched["refused"] == ["controller nvme0"] and gated["steps"] == []
    assert "cntlid" in gated["skipped"][-1]["reason"] or "controller expected" in gated["skipped"][-1]["reason"]


def test_an_approved_controller_step_without_its_controller_identity_is_invalid():
    st = {"action": "delete_controller", "target": "nvme0", "phase": "delete", "unit": "controller nvme0",
          "forced": False, "identity": dict((k, None) for k in approval.IDENTITY_KEYS)}
    artifact = {"format": approval.FORMAT, "host": HOST, "created_at": 1000.0, "steps": [st],
                "digest": approval.digest(approval.FORMAT, HOST, 1000.0, [st])}
    with pytest.raises(validate.InvalidInput, match="controller"):
        approval.validate(artifact, 1000.0, 60)


def test_a_controller_unit_the_gate_refuses_is_no_longer_listed_in_delete_controllers(tmp_path):
    """Nothing approved: the controller's unit is refused, and the plan no longer says it deletes the controller."""
    san, plan = _nvme_plan(tmp_path)
    assert [c["name"] for c in plan["delete_controllers"]] == ["nvme0"]
    gated, matched = approval.gate(plan, san, {})
    assert matched["refused"] == ["controller nvme0"] and gated["steps"] == [] and gated["delete_controllers"] == []


@pytest.mark.parametrize("check_mode,phases", [(True, ["flush"]), (True, []), (False, []), (False, None)])
def test_a_check_run_or_one_without_phases_only_plans(check_mode, phases):
    """Fails when a check run, or a real run that selects no phase, is asked for an approved plan or refused: it
    executes nothing, whatever was approved."""
    for approved, allow in ((None, False), ({}, False), (None, True)):
        assert approval.run_approval(check_mode, phases, approved, allow) == "plan"


@pytest.mark.parametrize("approved,allow,expected", [
    ({"steps": []}, False, "approved"), ({"steps": []}, True, "approved"),  # the approved plan wins over the word
    ({}, False, "not_in_plan"), ({}, True, "not_in_plan"),
    (None, True, "unreviewed")])
def test_a_real_run_executes_only_an_approved_plan_or_on_the_explicit_word(approved, allow, expected):
    """Fails when a real run's approval is not decided by the approved plan first (an approved plan given with
    allow_unreviewed must still narrow the run) or allow_unreviewed: true no longer lets an unreviewed plan run."""
    assert approval.run_approval(False, ["flush"], approved, allow) == expected


@pytest.mark.parametrize("allow", [False, None, "true", "yes", 1])
def test_a_real_run_with_neither_an_approved_plan_nor_the_explicit_word_is_refused(allow):
    """Fails when a real run without an approved plan executes its own plan on anything but allow_unreviewed being
    True itself (a string or 1 from a variable is not the word), or the refusal does not say what was missing."""
    with pytest.raises(approval.Unapproved) as caught:
        approval.run_approval(False, ["flush"], None, allow)
    assert str(caught.value).startswith("refused: a real run executes only an approved plan (approved_plan")
    assert "allow_unreviewed: true" in str(caught.value) and str(caught.value).endswith("neither was given")
