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
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san import toy_family
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


# ---------------------------------------------------------------------------------------------- what validate refuses
def _approved(wwid=NAA):
    """A check run's artifact of one map unit (flush_map, remove_wwid), as a file gives it."""
    plan, snapshot = _one_map_plan(wwid)
    return json.loads(json.dumps(approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0)))


def _redigested(artifact):
    artifact["digest"] = approval.digest(artifact["format"], artifact["host"], artifact["created_at"],
                                         artifact["steps"])
    return artifact


def _invalid(artifact, now=1001.0, max_age=approval.MAX_AGE):
    """validate's InvalidInput message for `artifact` (it must refuse it)."""
    with pytest.raises(validate.InvalidInput) as caught:
        approval.validate(artifact, now, max_age)
    return str(caught.value)


def test_an_approved_plan_that_is_no_artifact_is_refused_and_an_empty_one_approves_nothing():
    """Fails when an approved plan that is not a dict passes, or the empty dict (nothing approved for this host) is
    refused instead of approving nothing."""
    assert _invalid(["flush_map"]) == "approved_plan must be a dict (a plan_artifact), got list"
    assert approval.validate({}, 1001.0, approval.MAX_AGE) is None


@pytest.mark.parametrize("fmt,shown", [(2, "2"), ("1", "'1'"), (True, "True"), (None, "None")])
def test_an_approved_plan_of_another_format_is_refused(fmt, shown):
    """Fails when an artifact of another format (a later version's, a string, true, none) is read as this one:
    true equals 1 in Python, and must not pass as format 1."""
    artifact = dict(_approved(), format=fmt)
    assert _invalid(artifact) == "approved_plan has format %s; this module reads format 1" % shown


def test_an_approved_plan_with_a_key_more_or_less_is_refused_naming_its_keys():
    """Fails when an artifact with a key it does not define, or without one it must have, passes validation, or the
    error does not list the keys it must have and the ones it has."""
    assert _invalid(dict(_approved(), extra=1)) == (
        "approved_plan must have exactly the keys format, host, created_at, digest, steps, has created_at, digest, "
        "extra, format, host, steps")
    short = _approved()
    del short["created_at"]
    assert "has digest, format, host, steps" in _invalid(short)


@pytest.mark.parametrize("host", ["db01", {"machine_id": "m1"}, {"machine_id": "m1", "hostname": "h1", "fqdn": "x"},
                                  {"machine_id": 7, "hostname": "h1"}])
def test_an_approved_plan_whose_host_is_not_machine_id_and_hostname_is_refused(host):
    """Fails when the host an approval names is not exactly machine_id and hostname, strings or null."""
    assert _invalid(dict(_approved(), host=host)) == (
        "approved_plan.host must be a dict of machine_id, hostname (strings or null)")


def test_an_approved_plan_of_a_host_that_could_not_read_one_of_its_names_is_valid():
    """Fails when an artifact whose host could not read its hostname (null, as a check run writes it) is refused."""
    artifact = _redigested(dict(_approved(), host={"machine_id": "m1", "hostname": None}))
    approval.validate(artifact, 1001.0, approval.MAX_AGE)


@pytest.mark.parametrize("created_at", ["yesterday", True, float("nan"), float("inf"), None])
def test_an_approved_plan_without_a_finite_creation_time_is_refused(created_at):
    """Fails when an approval's creation time is not a finite number: its age could not be compared (NaN, infinity)
    or true would pass as 1 second after the epoch."""
    assert _invalid(dict(_approved(), created_at=created_at)) == (
        "approved_plan.created_at must be a number (epoch seconds), got %r" % (created_at,))


def test_an_approved_plan_made_at_an_integer_time_is_valid():
    """Fails when an approval whose creation time is an integer (a file written by hand, or by another tool) is
    refused: only booleans and non-finite numbers are not times."""
    approval.validate(_redigested(dict(_approved(), created_at=1000)), 1001.0, approval.MAX_AGE)


@pytest.mark.parametrize("digest", ["not hex", "A" * 64, "a" * 63, "a" * 65, 7, None])
def test_an_approved_plan_whose_digest_is_not_a_sha256_is_refused(digest):
    """Fails when a digest that is not 64 lowercase hex digits is compared at all (a truncated or re-cased one)."""
    assert _invalid(dict(_approved(), digest=digest)) == "approved_plan.digest must be 64 lowercase hex digits (sha256)"


def test_an_approved_plan_changed_after_it_was_made_is_refused_by_its_digest():
    """Fails when an approved plan whose steps were edited after the check run made it passes: its digest no longer
    matches, and the error says so."""
    artifact = _approved()
    artifact["steps"][0]["identity"]["dev"] = "253:9"
    assert _invalid(artifact) == (
        "approved_plan's digest does not match its steps: the plan was changed after it was made (or damaged on the "
        "way); approve a plan as a check run wrote it")


def test_an_approved_plan_whose_steps_are_no_list_or_list_one_twice_is_refused():
    """Fails when steps that are not a list pass, or a step listed twice (the gate would take one of them and the
    approver may have read the other)."""
    assert _invalid(dict(_approved(), steps="everything")) == "approved_plan.steps must be a list, got str"
    artifact = _approved()
    artifact["steps"].append(copy.deepcopy(artifact["steps"][0]))
    assert _invalid(_redigested(artifact)) == "approved_plan lists flush_map mpatha twice"


def test_an_approval_holds_for_max_age_seconds_and_a_future_one_for_the_clock_skew_only():
    """Fails when an approval is taken after max_age seconds (the host may have changed since the approver saw it),
    or refused at max_age itself, or when one made more than the clock skew in the future of the host's clock is
    taken, or the errors do not say how old or how far in the future it is."""
    artifact = _approved()  # made at 1000
    approval.validate(artifact, 1000.0 + 60, 60)
    assert _invalid(artifact, 1000.0 + 61, 60) == (
        "approved_plan expired: it was made 61s ago, more than approved_plan_max_age (60s); the host may have "
        "changed since it was approved: run --check again and approve the new plan")
    approval.validate(artifact, 1000.0 - approval.FUTURE_SKEW, 60)
    assert _invalid(artifact, 1000.0 - approval.FUTURE_SKEW - 1, 60) == (
        "approved_plan was made 301s in the future of this host's clock (created_at 1000.0)")


# ---------------------------------------------------------------------------------------------- what a step must be
def _step_invalid(change, index=1):
    """validate's message for the approved artifact whose step `index` was changed by change(step), redigested."""
    artifact = _approved()
    change(artifact["steps"][index])
    return _invalid(_redigested(artifact))


def test_an_approved_step_that_is_no_dict_or_has_other_keys_is_refused_naming_it():
    """Fails when a step that is not a dict, or lacks or adds a key, passes, or the error does not say which step."""
    artifact = _approved()
    artifact["steps"][1] = "remove_wwid"
    assert _invalid(_redigested(artifact)) == "approved_plan.steps[1] must be a dict, got str"
    assert _step_invalid(lambda st: st.pop("forced")) == (
        "approved_plan.steps[1] must have exactly the keys action, target, phase, unit, forced, identity, has "
        "action, identity, phase, target, unit")


@pytest.mark.parametrize("key,value,error", [
    ("action", "rm -rf", "approved_plan.steps[1].action 'rm -rf' is not an action of the plan"),
    ("target", "", "approved_plan.steps[1].target must be a non-empty string, got ''"),
    ("phase", 3, "approved_plan.steps[1].phase must be a non-empty string, got 3"),
    ("unit", None, "approved_plan.steps[1].unit must be a non-empty string, got None"),
    ("forced", 1, "approved_plan.steps[1].forced must be true or false, got 1"),
    ("forced", "false", "approved_plan.steps[1].forced must be true or false, got 'false'"),
])
def test_an_approved_step_with_a_field_of_the_wrong_kind_is_refused_naming_the_field(key, value, error):
    """Fails when an approved step's action is none of the plan's, its target, phase or unit no non-empty string, or
    `forced` not a boolean ("false" and 1 are no answer to whether the flush may fall back to a forced remove)."""
    assert _step_invalid(lambda st: st.update({key: value})) == error


@pytest.mark.parametrize("key,value,error", [
    ("sd", 5, "approved_plan.steps[1].identity.sd must be a string, a list of strings or null, got int"),
    ("hctl", ["2:0:0:1", 7], "approved_plan.steps[1].identity.hctl must be a string, a list of strings or null, "
                             "got list"),
    ("wwid", [NAA], "approved_plan.steps[1].identity.wwid must be a string or null, got list"),
    ("dm_uuid", "mpath-", "approved_plan.steps[1]: identity.dm_uuid 'mpath-' names no WWID after 'mpath-'"),
])
def test_an_approved_identity_of_the_wrong_kind_is_refused_naming_the_field(key, value, error):
    """Fails when an approved step's identity holds a value the gate cannot compare (a number, a list holding one, a
    list where one WWID must be, a map uuid naming no WWID) and passes validation."""
    assert _step_invalid(lambda st: st["identity"].update({key: value})) == error


def test_an_approved_identity_listing_a_path_it_could_not_place_is_valid():
    """Fails when a map step's identity listing a path without an H:C:T:L (null in its list, as a check run writes a
    path the snapshot did not place) is refused."""
    artifact = _approved()
    artifact["steps"][0]["identity"]["hctl"] = [None]
    approval.validate(_redigested(artifact), 1001.0, approval.MAX_AGE)


@pytest.mark.parametrize("action,extra,keys", [("flush_map", "extra", "wwid, dm_uuid, sd, hctl, dev"),
                                               ("flush_map", "controller", "wwid, dm_uuid, sd, hctl, dev"),
                                               ("delete_controller", "extra", "wwid, dm_uuid, sd, hctl, dev, controller")])
def test_an_approved_identity_without_its_keys_is_refused_naming_them(action, extra, keys):
    """Fails when an approved step's identity lacks a key of its kind (a controller's step: the controller too) or
    adds one (a SCSI step carrying another family's `controller` too), and passes."""
    def change(st):
        st.update(action=action)
        st["identity"][extra] = None
    assert _step_invalid(change, 0) == (
        "approved_plan.steps[0].identity must be a dict with exactly the keys %s" % keys)


# ---------------------------------------------------------------------------------------------- what the gate refuses
WWID_B = "3600a098038303053453f463045494f42"


def _two_units():
    """A plan of two units: map mpatha (LU NAA, path sdb) flushed and its WWID removed; plain disk sdc (LU WWID_B,
    2:0:0:2, with a serial mismatch to repair) deleted. (plan, snapshot)."""
    plan, snapshot = _one_map_plan(NAA)
    snapshot["disks"]["sdc"] = {"name": "sdc", "hctl": "2:0:0:2", "dev": "8:32", "wwid": WWID_B, "serial": "80AbB",
                                "map": None}
    disk_unit = [plan_steps.step(action, "sdc", identity.disk_identity(snapshot["disks"]["sdc"])).tagged(
        "delete", "disk sdc") for action in ("delete_disk", "wait_disk_gone")]
    plan.update(steps=plan["steps"] + disk_unit, delete_disks=[{"name": "sdc"}],
                mismatches=[{"name": "sdc", "hctl": "2:0:0:2", "expect_wwid": WWID_B}])
    return plan, snapshot


def _artifact_of(plan, snapshot, change=None):
    artifact = json.loads(json.dumps(approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0,
                                                            plan.get("mismatches"))))
    if change:
        change(artifact)
        _redigested(artifact)
    approval.validate(copy.deepcopy(artifact), 1001.0, approval.MAX_AGE)
    return artifact


def _refusals(out):
    return [(s["object"], s["name"], s["approval"], s["reason"]) for s in out["skipped"] if s.get("approval")]


def test_with_nothing_approved_every_unit_is_refused_and_nothing_is_left_to_remove():
    """Fails when a host for which nothing was approved ({}) runs a unit, or the plan still lists a map to flush, a
    disk to delete or a mismatch to repair, or the refusal does not say nothing was approved."""
    plan, snapshot = _two_units()
    out, seen = approval.gate(plan, snapshot, {})
    assert seen == {"refused": ["map mpatha", "disk sdc"], "not_needed": []}
    assert (out["steps"], out["flush_maps"], out["delete_disks"], out["mismatches"]) == ([], [], [], [])
    assert _refusals(out) == [
        ("map", "mpatha", "none_approved", "map mpatha: no plan was approved for this host; not removing"),
        ("disk", "sdc", "none_approved", "disk sdc: no plan was approved for this host; not removing")]
    assert [s["kind"] for s in out["skipped"]] == ["refused", "refused"]


def test_a_unit_the_approver_never_saw_is_refused_alone_and_the_approved_one_runs():
    """Fails when a unit whose steps are not in the approved plan runs, or takes the approved unit with it, or the
    refusal does not name the steps the approver never saw; the approved unit's map must stay in flush_maps."""
    plan, snapshot = _two_units()
    approved = _artifact_of(plan, snapshot, lambda art: art.update(steps=art["steps"][:2]))
    out, seen = approval.gate(plan, snapshot, approved)
    assert seen == {"refused": ["disk sdc"], "not_needed": []}
    assert out["steps"] == plan["steps"][:2] and out["flush_maps"] == [NAA]
    assert (out["delete_disks"], out["mismatches"]) == ([], [])
    assert _refusals(out) == [("disk", "sdc", "not_approved", (
        "disk sdc: not in the approved plan (delete_disk sdc, wait_disk_gone sdc): the approver never saw them; run "
        "--check again and approve the new plan; not removing"))]


def test_a_unit_changed_since_its_approval_is_refused_saying_what_changed_and_what_is_new():
    """Fails when a unit one of whose steps acts on another device than the approver saw runs, or its refusal does not
    say what changed, and which of its steps the approver never saw; the other unit keeps its disk and its repair."""
    plan, snapshot = _two_units()

    def change(art):
        art["steps"][0]["identity"]["dev"] = "253:9"
        del art["steps"][1]
    out, seen = approval.gate(plan, snapshot, _artifact_of(plan, snapshot, change))
    assert seen["refused"] == ["map mpatha"] and out["steps"] == plan["steps"][2:] and out["flush_maps"] == []
    assert out["delete_disks"] == [{"name": "sdc"}] and out["mismatches"] == plan["mismatches"]
    assert _refusals(out) == [("map", "mpatha", "changed", (
        "map mpatha: changed since the plan was approved (flush_map mpatha: dev expected 253:9, found 253:3): the "
        "approver saw another device; not in the approved plan (remove_wwid %s): the approver never saw it; run "
        "--check again and approve the new plan; not removing" % NAA))]


@pytest.mark.parametrize("field,value,shown", [
    ("wwid", None, "wwid expected None, found %s" % NAA),
    ("sd", None, "sd expected None, found ['sdb']"),
    ("forced", True, "forced expected True, found False"),
    ("phase", "delete", "phase expected delete, found flush"),
])
def test_an_approved_step_differing_in_any_field_refuses_its_unit(field, value, shown):
    """Fails when an approved step approves a current one that differs from it: in a field the approver left null
    (null approves no WWID and no path the host now has), in whether the flush may fall back to a forced remove, or in
    the phase it runs in."""
    plan, snapshot = _one_map_plan(NAA)

    def change(art):
        (art["steps"][0]["identity"] if field in approval.IDENTITY_KEYS else art["steps"][0])[field] = value
    out, seen = approval.gate(plan, snapshot, _artifact_of(plan, snapshot, change))
    assert seen["refused"] == ["map mpatha"] and out["steps"] == []
    assert "(flush_map mpatha: %s)" % shown in _refusals(out)[0][3]


def test_an_approved_flush_of_a_map_aliased_with_another_wwid_leaves_the_flush_list_by_its_wwid():
    """Fails when a refused flush of a map whose name is another LU's WWID takes that other LU out of flush_maps (the
    list holds WWIDs: a flush step's target is the map's name) or leaves its own WWID in it."""
    plan, snapshot = _one_map_plan(NAA)
    m, d, steps = _map_steps(WWID_B, NAA, "dm-4", "253:4", "sdc", "2:0:0:2")  # LU WWID_B's map, aliased NAA
    snapshot["maps"][WWID_B], snapshot["disks"]["sdc"] = m, d
    plan["steps"] = [st for st in plan["steps"] if st.unit == "map mpatha"] + steps
    plan["flush_maps"] = [NAA, WWID_B]
    approved = _artifact_of(plan, snapshot, lambda art: art.update(steps=art["steps"][:2]))
    out, seen = approval.gate(plan, snapshot, approved)
    assert seen["refused"] == ["map %s" % NAA] and out["flush_maps"] == [NAA]


def test_approved_steps_the_plan_no_longer_needs_are_reported_with_why():
    """Fails when approved steps that the current plan no longer has are not reported, or the report does not say
    why: the plan's own reason for leaving the object alone, the object gone from the host, or neither."""
    plan, snapshot = _two_units()
    approved = _artifact_of(plan, snapshot)
    current = dict(plan, steps=plan["steps"][:2], skipped=[{"name": "sdc", "reason": "disk sdc: is mounted"}])
    out, seen = approval.gate(current, snapshot, approved)
    assert seen["refused"] == [] and seen["not_needed"] == [
        {"action": action, "target": "sdc", "unit": "disk sdc", "why": "disk sdc: is mounted"}
        for action in ("delete_disk", "wait_disk_gone")]
    gone = dict(snapshot, disks={"sdb": snapshot["disks"]["sdb"]})
    out, seen = approval.gate(dict(plan, steps=plan["steps"][:2]), gone, approved)
    assert [s["why"] for s in seen["not_needed"]] == ["sdc is no longer on this host"] * 2
    out, seen = approval.gate(dict(plan, steps=plan["steps"][2:]), snapshot, approved)
    assert [(s["target"], s["why"]) for s in seen["not_needed"]] == [
        ("mpatha", "no longer in the plan"), (NAA, "no longer in the plan")]
    assert out["steps"] == plan["steps"][2:] and out["skipped"] == []


# ---------------------------------------------------------------------------------------------- how a step is listed
def test_a_map_step_is_listed_with_its_map_found_by_wwid_name_or_target():
    """Fails when a map step's listed identity is not its map's (WWID, dm uuid, paths, their H:C:T:L, dev_t), whether
    the step names the map by WWID, by name only, or by a target that is the WWID."""
    _plan, snapshot = _one_map_plan(NAA)
    want = {"wwid": NAA, "dm_uuid": "mpath-" + NAA, "sd": ["sdb"], "hctl": ["2:0:0:1"], "dev": "253:3"}
    for st in (plan_steps.step("flush_map", "other", {"wwid": NAA}), plan_steps.step("flush_map", "mpatha"),
               plan_steps.step("remove_wwid", NAA)):
        assert approval.step_identity(st, snapshot) == want, st


def test_a_map_step_whose_map_the_snapshot_lacks_is_listed_with_what_the_step_carries():
    """Fails when a map step whose map is not in the snapshot is listed with another map's identity or without the
    WWID and dev_t the step itself carries."""
    _plan, snapshot = _one_map_plan(NAA)
    st = plan_steps.step("wait_map_gone", "mpathz", {"wwid": WWID_B, "dev": "253:7"})
    assert approval.step_identity(st, snapshot) == {"wwid": WWID_B, "dm_uuid": None, "sd": None, "hctl": None,
                                                    "dev": "253:7"}


def test_a_disk_step_is_listed_with_the_disk_and_the_map_it_is_a_path_of():
    """Fails when a disk step's listed identity is not the disk's (WWID, name, H:C:T:L, dev_t) with the dm uuid of the
    map it is a path of, or, when the snapshot lacks the disk, what the step carries."""
    _plan, snapshot = _one_map_plan(NAA)
    st = plan_steps.step("delete_disk", "sdb")
    assert approval.step_identity(st, snapshot) == {"wwid": NAA, "dm_uuid": "mpath-" + NAA, "sd": "sdb",
                                                    "hctl": "2:0:0:1", "dev": "8:48"}
    snapshot["disks"]["sdb"]["map"] = None
    assert approval.step_identity(st, snapshot)["dm_uuid"] is None
    gone = plan_steps.step("wait_disk_gone", "sdq", {"wwid": WWID_B, "hctl": "3:0:0:4", "dev": "65:0"})
    assert approval.step_identity(gone, snapshot) == {"wwid": WWID_B, "dm_uuid": None, "sd": "sdq",
                                                      "hctl": "3:0:0:4", "dev": "65:0"}


def test_a_scan_step_is_listed_with_the_wwid_its_repair_expects_at_that_address():
    """Fails when a repair's scan is listed without the WWID the LUN must show at its H:C:T:L (the approver approves a
    scan for that LU, not any), or a scan without a repair without the WWID the step carries."""
    st = plan_steps.step("scan_exact_lun", "2:0:0:2", {"wwid": NAA})
    assert approval.step_identity(st, {}, {"2:0:0:2": WWID_B}) == {
        "wwid": WWID_B, "dm_uuid": None, "sd": None, "hctl": "2:0:0:2", "dev": None}
    assert approval.step_identity(st, {}, {"2:0:0:9": WWID_B})["wwid"] == NAA
    plan, snapshot = _two_units()
    listed = approval.artifact_steps([st], snapshot, plan["mismatches"] + [{"name": "sdx", "expect_wwid": NAA}])
    assert listed[0]["identity"]["wwid"] == WWID_B


def test_a_controller_step_is_listed_with_the_namespaces_behind_it():
    """Fails when a controller step's listed identity leaves out the controller's identity or the namespaces behind
    it and those that go with it (the options the act re-checks), or carries a SCSI field."""
    ident = dict((key, "x-" + key) for key in identity.CONTROLLER_KEYS)
    for action, option in (("delete_controller", "namespaces"), ("wait_controller_gone", "vanishing")):
        st = plan_steps.step(action, "nvme0", ident).with_options(**{option: ("nvme0n1",)})
        listed = approval.step_identity(st, {})
        assert dict((k, v) for k, v in listed.items() if k != "controller") == dict.fromkeys(approval.IDENTITY_KEYS)
        assert json.loads(listed["controller"]) == dict(ident, **{option: ["nvme0n1"]})
        assert json.loads(approval.step_identity(plan_steps.step(action, "nvme0", ident), {})["controller"]) == ident


# ---------------------------------------------------------------------------------------------- the digest
def test_the_digest_of_format_1_is_the_sha256_of_its_canonical_json():
    """Fails when the digest of format 1 changes its definition (keys sorted, no spaces, ASCII escapes): a plan
    approved before an upgrade of the collection would no longer validate after it, and one made by another tool to
    this format would not either. The text below is the format, written out."""
    import hashlib
    host = {"machine_id": "m1", "hostname": u"h\u00f6st"}
    canonical = b'{"created_at":1000.0,"format":1,"host":{"hostname":"h\\u00f6st","machine_id":"m1"},"steps":[]}'
    assert approval.digest(1, host, 1000.0, []) == hashlib.sha256(canonical).hexdigest()
    assert approval.plan_artifact([], {}, host, 1000.0)["digest"] == hashlib.sha256(canonical).hexdigest()


# ---------------------------------------------------------------------------------------------- whose plan it is
def test_an_approved_plan_runs_only_on_the_host_it_was_made_on():
    """Fails when an approved plan made on another machine (another machine-id or hostname: a clone, another
    inventory host's plan) passes, or the error does not name both hosts."""
    approved = _approved()
    approval.check_host(approved, {"machine_id": "m1", "hostname": "h1"})
    for host in ({"machine_id": "m2", "hostname": "h1"}, {"machine_id": "m1", "hostname": "h2"}):
        with pytest.raises(validate.InvalidInput) as caught:
            approval.check_host(approved, host)
        assert str(caught.value) == (
            "approved_plan was made on another host (machine-id m1, hostname h1); this host is machine-id %s, "
            "hostname %s" % (host["machine_id"], host["hostname"]))


def test_a_host_that_cannot_read_its_identity_matches_no_approved_plan():
    """Fails when a host that could read neither its machine-id nor its hostname takes an approved plan (one made
    where neither was read either would match it), or refuses to run when nothing was approved."""
    blind = {"machine_id": None, "hostname": ""}
    approved = _redigested(dict(_approved(), host={"machine_id": None, "hostname": None}))
    with pytest.raises(validate.InvalidInput) as caught:
        approval.check_host(approved, blind)
    assert str(caught.value) == ("this host's identity cannot be read (/etc/machine-id, hostname): an approved plan "
                                 "cannot be matched to it")
    approval.check_host({}, blind)


def test_a_host_name_unread_on_one_side_only_is_another_host():
    """Fails when an approval made where the hostname could not be read (null) matches a host that reads one now, or
    an empty hostname is not taken as unread on both sides."""
    approved = _redigested(dict(_approved(), host={"machine_id": "m1", "hostname": None}))
    approval.check_host(approved, {"machine_id": "m1", "hostname": ""})
    with pytest.raises(validate.InvalidInput, match="made on another host"):
        approval.check_host(approved, {"machine_id": "m1", "hostname": "h1"})


def test_a_flush_that_may_fall_back_to_a_forced_remove_is_listed_as_forced():
    """Fails when the artifact does not say which flush may fall back to dmsetup remove --force (force_remove): the
    approver must see it, and an approval of the plain flush must not approve the forced one."""
    plan, snapshot = _one_map_plan(NAA)
    forced = [st.with_options(force_remove=True) if st.action == "flush_map" else st for st in plan["steps"]]
    listed = approval.artifact_steps(forced, snapshot)
    assert [st["forced"] for st in listed] == [True, False]
    out, seen = approval.gate(dict(plan, steps=forced), snapshot, _artifact_of(plan, snapshot))
    assert seen["refused"] == ["map mpatha"] and "forced expected False, found True" in _refusals(out)[0][3]


def test_approved_controllers_that_go_together_are_reported_by_each_name():
    """Fails when an approved unit of controllers that go together ("controller nvme0+nvme1") is not found by each
    controller's name when the plan no longer needs it: the plan's reason for one of them, or which one is gone."""
    st = {"action": "delete_controller", "target": "nvme1", "phase": "delete", "unit": "controller nvme0+nvme1",
          "forced": False, "identity": dict(dict.fromkeys(approval.IDENTITY_KEYS), controller="{}")}
    approved = {"format": approval.FORMAT, "host": HOST, "created_at": 1000.0, "steps": [st]}
    approved["digest"] = approval.digest(approval.FORMAT, HOST, 1000.0, [st])
    approval.validate(approved, 1001.0, approval.MAX_AGE)
    plan = {"steps": [], "skipped": [{"name": "nvme1", "reason": "controller nvme1: a namespace is mounted"}]}
    nvme = {"nvme": {"controllers": [{"name": "nvme0"}, {"name": "nvme1"}]}}
    assert approval.gate(plan, nvme, approved)[1]["not_needed"][0]["why"] == "controller nvme1: a namespace is mounted"
    nvme["nvme"]["controllers"].pop()
    assert approval.gate(dict(plan, skipped=[]), nvme, approved)[1]["not_needed"][0]["why"] == (
        "nvme1 is no longer on this host")


# ---------------------------------------------------------------------------------------------- what the gate keeps
def test_an_approved_plan_listing_one_lus_wwid_removal_twice_in_two_spellings_is_refused():
    """Fails when an approved plan that lists the removal of one LU's WWID twice, once as the check run wrote it and
    once in another notation (naa. and upper-case hex: the same LU), passes as two steps: it is one step listed
    twice, an edited plan."""
    artifact = _approved()
    again = copy.deepcopy(artifact["steps"][1])
    again["target"] = "naa." + NAA[1:].upper()
    artifact["steps"].append(again)
    assert _invalid(_redigested(artifact)) == "approved_plan lists remove_wwid %s twice" % NAA


def test_a_map_named_by_its_eui_wwid_passes_the_gate_with_its_own_plan():
    """Fails when the flush of a map that multipath names by its WWID as NVMe's ID_WWN spells it (eui. and upper-case
    hex, the dm uuid's text) is refused by the check run's own, unchanged plan: its name is a name, not a WWID to
    turn into a normal form."""
    name = str(identity.map_wwid(EUI_UUID))
    m, d, steps = _map_steps(identity.map_wwid(EUI_UUID), name, "dm-3", "253:3", "sdb", "2:0:0:1")
    plan = {"steps": steps, "skipped": [], "flush_maps": [m["wwid"]], "delete_disks": [], "mismatches": []}
    snapshot = {"maps": {m["wwid"]: m}, "disks": {"sdb": d}}
    steps, seen, why = _gated(plan, snapshot, _artifact_of(plan, snapshot))
    assert seen == {"refused": [], "not_needed": []} and steps == plan["steps"], why


WWID_C = "3600a098038303053453f463045494f43"


@pytest.mark.parametrize("now_in", [None, "mpathb"])
def test_a_disk_approved_as_a_path_of_a_map_is_refused_once_it_is_not_that_maps_path(now_in):
    """Fails when a disk approved as a path of one map (its dm uuid in the approved identity) is deleted now that it
    is a plain disk or a path of another map: the approver saw another device."""
    plan, snapshot = _two_units()
    if now_in:
        snapshot["maps"][WWID_C] = {"name": now_in, "wwid": WWID_C, "dm": "dm-7", "dev": "253:7",
                                    "paths": [{"name": "sdc"}]}
        snapshot["disks"]["sdc"]["map"] = now_in

    def change(art):
        for st in art["steps"][2:]:
            st["identity"]["dm_uuid"] = "mpath-" + NAA
    out, seen = approval.gate(plan, snapshot, _artifact_of(plan, snapshot, change))
    assert seen["refused"] == ["disk sdc"] and out["steps"] == plan["steps"][:2]
    assert "(delete_disk sdc: dm_uuid expected mpath-%s, found %s; " % (NAA, "mpath-" + WWID_C if now_in else None) \
        in _refusals(out)[0][3]


def test_the_gated_plan_keeps_the_plans_own_skipped_objects_beside_its_refusals():
    """Fails when the gate drops what the plan itself left alone (a mounted disk, with its reason) from the plan's
    skipped list, with or without units of its own to refuse: the report would no longer say why they stay."""
    plan, snapshot = _two_units()
    own = {"kind": "refused", "object": "disk", "name": "sdz", "reason": "disk sdz: is mounted"}
    plan["skipped"] = [own]
    out, seen = approval.gate(plan, snapshot, _artifact_of(plan, snapshot))
    assert seen["refused"] == [] and out["skipped"] == [own]
    out, seen = approval.gate(plan, snapshot, _artifact_of(plan, snapshot, lambda art: art.update(
        steps=art["steps"][:2])))
    assert seen["refused"] == ["disk sdc"] and [(s["name"], s.get("approval")) for s in out["skipped"]] == [
        ("sdz", None), ("sdc", "not_approved")] and out["skipped"][0] == own


def test_a_refused_plain_disk_of_an_approved_maps_lu_leaves_that_map_in_flush_maps():
    """Fails when the refusal of a plain disk of an LU (a path left outside its map) takes that LU's approved map out
    of flush_maps: the list says which maps the run flushes, and the approved map still is."""
    plan, snapshot = _one_map_plan(NAA)
    snapshot["disks"]["sdx"] = {"name": "sdx", "hctl": "3:0:0:1", "dev": "8:96", "wwid": NAA, "serial": "80AbA",
                                "map": None}
    plan["steps"] = plan["steps"] + [plan_steps.step(action, "sdx", identity.disk_identity(
        snapshot["disks"]["sdx"])).tagged("delete", "disk sdx") for action in ("delete_disk", "wait_disk_gone")]
    plan["delete_disks"] = [{"name": "sdx"}]
    out, seen = approval.gate(plan, snapshot, _artifact_of(plan, snapshot, lambda art: art.update(
        steps=art["steps"][:2])))
    assert seen["refused"] == ["disk sdx"] and out["flush_maps"] == [NAA] and out["delete_disks"] == []


def test_an_approved_controller_stays_listed_for_deletion_when_another_unit_is_refused(tmp_path):
    """Fails when the refusal of a map unit the approver never saw takes the approved NVMe-oF controller out of
    delete_controllers (what the run says it deletes) while its steps still run."""
    san, plan = _nvme_plan(tmp_path)
    artifact = json.loads(json.dumps(approval.plan_artifact(plan["steps"], san, HOST, 1000.0)))
    map_plan, map_snapshot = _one_map_plan(NAA)
    san = dict(san, maps=dict(san.get("maps") or {}, **map_snapshot["maps"]),
               disks=dict(san.get("disks") or {}, **map_snapshot["disks"]))
    out, seen = approval.gate(dict(plan, steps=plan["steps"] + map_plan["steps"], flush_maps=[NAA]), san, artifact)
    assert seen["refused"] == ["map mpatha"] and out["steps"] == plan["steps"] and out["flush_maps"] == []
    assert [c["name"] for c in out["delete_controllers"]] == ["nvme0"]


def test_a_unit_with_several_changed_steps_names_each_change():
    """Fails when the refusal of a unit two of whose steps act on another device than the approver saw does not name
    each step and what changed in it, one after the other."""
    plan, snapshot = _one_map_plan(NAA)

    def change(art):
        art["steps"][0]["identity"]["dev"] = "253:9"
        art["steps"][1]["identity"]["wwid"] = WWID_B
    out, seen = approval.gate(plan, snapshot, _artifact_of(plan, snapshot, change))
    assert seen["refused"] == ["map mpatha"] and _refusals(out)[0][3] == (
        "map mpatha: changed since the plan was approved (flush_map mpatha: dev expected 253:9, found 253:3; "
        "remove_wwid %s: wwid expected %s, found %s): the approver saw another device; run --check again and approve "
        "the new plan; not removing" % (NAA, WWID_B, NAA))


def test_the_refusal_of_an_unapproved_real_run_says_both_ways_to_run():
    """Fails when a real run refused for want of an approved plan or the explicit word does not say, in full, what
    it runs on: an approved check run's plan, or allow_unreviewed for a hand-run emergency."""
    with pytest.raises(approval.Unapproved) as caught:
        approval.run_approval(False, ["flush"], None, False)
    assert str(caught.value) == (
        "refused: a real run executes only an approved plan (approved_plan: the plan_artifact of a check run a person "
        "approved) or, said explicitly, the plan it makes itself (allow_unreviewed: true, a hand-run emergency); "
        "neither was given")


def test_why_an_approved_unit_is_no_longer_planned_names_each_object_as_it_is_called():
    """Fails when the report of approved steps the plan no longer needs takes a map alias holding a "+" for several
    objects (and misses the plan's reason for it), calls a disk still on the host gone, or names controllers that go
    together and are both gone other than each by its name."""
    st = dict(_approved()["steps"][0], target="mp+a", unit="map mp+a")
    skipped = [{"name": "mp+a", "reason": "map mp+a: is mounted"}]
    plan, snapshot = _two_units()
    out, seen = approval.gate(dict(plan, steps=plan["steps"][:2]), snapshot, _artifact_of(plan, snapshot))
    assert [(s["target"], s["why"]) for s in seen["not_needed"]] == [("sdc", "no longer in the plan")] * 2
    ctrl = {"action": "delete_controller", "target": "nvme1", "phase": "delete", "unit": "controller nvme0+nvme1",
            "forced": False, "identity": dict(dict.fromkeys(approval.IDENTITY_KEYS), controller="{}")}
    approved = {"format": approval.FORMAT, "host": HOST, "created_at": 1000.0, "steps": [ctrl, st]}
    approved["digest"] = approval.digest(approval.FORMAT, HOST, 1000.0, approved["steps"])
    approval.validate(approved, 1001.0, approval.MAX_AGE)
    out, seen = approval.gate({"steps": [], "skipped": skipped}, {"nvme": {"controllers": []}}, approved)
    assert [(s["target"], s["why"]) for s in seen["not_needed"]] == [
        ("nvme1", "nvme0, nvme1 is no longer on this host"), ("mp+a", "map mp+a: is mounted")]


def test_a_controller_steps_identity_is_the_same_text_whatever_order_its_namespaces_were_read_in():
    """Fails when the listed identity of a controller's step depends on the order the namespaces behind it were read
    in (the check run and the real run list a directory each): the same controller would be refused as changed."""
    ident = dict((key, "x-" + key) for key in identity.CONTROLLER_KEYS)
    behind = [("nvme0n1", {"uuid": "u1", "nsid": 1, "role": "stale"}),
              ("nvme0n3", {"uuid": "u3", "nsid": 3, "role": "live"})]
    listed = [approval.step_identity(plan_steps.step("delete_controller", "nvme0", ident).with_options(
        namespaces=dict(order)), {}) for order in (behind, behind[::-1])]
    assert listed[0] == listed[1]
    assert json.loads(listed[0]["controller"])["namespaces"] == dict(behind)


def test_an_approved_wwid_of_another_lu_is_shown_in_the_hosts_spelling_beside_the_hosts():
    """Fails when the refusal of a unit approved for another LU, its WWID and dm uuid written in another notation and
    hex case (naa., upper case), shows them as the file spells them beside the host's: the two are put side by side
    for the engineer to compare, in one spelling, the host's normal form."""
    plan, snapshot = _one_map_plan(NAA)

    def change(art):
        ident = art["steps"][0]["identity"]
        ident["wwid"], ident["dm_uuid"] = "naa." + WWID_B[1:].upper(), "mpath-naa." + WWID_B[1:].upper()
    out, seen = approval.gate(plan, snapshot, _artifact_of(plan, snapshot, change))
    assert seen["refused"] == ["map mpatha"]
    assert "(flush_map mpatha: dm_uuid expected mpath-%s, found mpath-%s, wwid expected %s, found %s)" % (
        WWID_B, NAA, WWID_B, NAA) in _refusals(out)[0][3]


def test_two_maps_named_by_two_spellings_of_one_wwid_are_each_approved_by_their_own_steps():
    """Fails when the check run's own plan of two maps whose names are two spellings of one WWID (LU NAA's map named
    by its dm uuid's text, in upper-case hex; LU WWID_B's aliased with that WWID in lower case) has a step's approved
    WWID turned into the host's spelling through the other map's step: the unit is then refused as changed though
    nothing changed."""
    upper = identity.map_wwid("mpath-" + NAA.upper())  # the map's WWID as the kernel names it
    m, d, steps = _map_steps(upper, NAA.upper(), "dm-3", "253:3", "sdb", "2:0:0:1")
    m_b, d_b, steps_b = _map_steps(WWID_B, NAA, "dm-4", "253:4", "sdc", "2:0:0:2")
    plan = {"steps": steps + steps_b, "skipped": [], "flush_maps": [upper, WWID_B], "delete_disks": [],
            "mismatches": []}
    snapshot = {"maps": {upper: m, WWID_B: m_b}, "disks": {"sdb": d, "sdc": d_b}}
    steps, seen, why = _gated(plan, snapshot, _artifact_of(plan, snapshot))
    assert seen == {"refused": [], "not_needed": []} and steps == plan["steps"], why


def test_a_repairs_rescan_is_approved_by_the_lu_it_expects_at_its_address():
    """Fails when a unit that repairs a reused LUN (its disk deleted, its H:C:T:L scanned again for the LU the array
    maps there) is refused by the check run's own, unchanged plan, or its artifact lists the scan without the LU it
    expects: the approver approves a scan for that LU, and the gate must find it so."""
    plan, snapshot = _two_units()
    rescans = [plan_steps.step("scan_exact_lun", "2:0:0:2", {"hctl": "2:0:0:2"}),
               plan_steps.step("wait_disk_present", "2:0:0:2", {"hctl": "2:0:0:2"})]
    plan["steps"] = plan["steps"] + [st.tagged("rescan", "disk sdc") for st in rescans]
    artifact = _artifact_of(plan, snapshot)
    assert [st["identity"]["wwid"] for st in artifact["steps"][4:]] == [WWID_B, WWID_B]
    steps, seen, why = _gated(plan, snapshot, artifact)
    assert seen == {"refused": [], "not_needed": []} and steps == plan["steps"], why


def test_the_gate_keeps_a_third_familys_lists_and_knows_its_objects_by_its_registry_line(monkeypatch):
    """The toy family (toy_family.py) through its judge line only: a refused toy unit leaves the plan's list of toys
    to poke (its `listed`), and an approved toy step the plan no longer has is "no longer on this host" only when the
    toy is not on the host (its `object_names`). Fails when the gate keeps a family's list or knows its objects by
    name instead of by the registry."""
    families = approval.FAMILIES + (toy_family.JUDGE_LINE,)
    monkeypatch.setattr(approval, "FAMILIES", families)
    order, options, kinds = plan_steps.vocabulary(families)
    monkeypatch.setattr(plan_steps, "OPTIONS", options)
    monkeypatch.setattr(plan_steps, "ACTIONS", order)
    monkeypatch.setattr(plan_steps, "KINDS", kinds)
    steps = [plan_steps.step("toy_poke", name, {"name": name}).tagged("delete", "toy %s" % name) for name in ("t1", "t2")]
    plan = {"steps": steps, "skipped": [], "poke_toys": [{"name": "t1"}, {"name": "t2"}]}
    snapshot = {"toy": ["t1", "t2"]}
    out, seen = approval.gate(plan, snapshot, {})
    assert seen["refused"] == ["toy t1", "toy t2"] and out["steps"] == [] and out["poke_toys"] == []
    approved = approval.plan_artifact(steps[:1], snapshot, HOST, 1000.0)
    out, seen = approval.gate(dict(plan, steps=steps[1:]), snapshot, approved)
    assert seen == {"refused": ["toy t2"], "not_needed": [
        {"action": "toy_poke", "target": "t1", "unit": "toy t1", "why": "no longer in the plan"}]}
    assert out["poke_toys"] == [{"name": "t1"}]
    out, seen = approval.gate(dict(plan, steps=[]), {"toy": ["t2"]}, approved)
    assert [s["why"] for s in seen["not_needed"]] == ["t1 is no longer on this host"]


def test_an_approved_map_unit_named_by_its_wwid_is_not_called_gone_when_its_map_took_an_alias():
    """A map approved while it was named by its WWID and since renamed (an alias): the approved steps the plan no
    longer has are "no longer in the plan", not "gone from this host" (the map is still there, keyed by that WWID).
    Fails when the names on the host leave out the maps' WWIDs."""
    m, d, steps = _map_steps(NAA, NAA, "dm-3", "253:3", "sdb", "2:0:0:1")
    snapshot = {"maps": {NAA: m}, "disks": {"sdb": d}}
    plan = {"steps": steps, "skipped": []}
    approved = _artifact_of(plan, snapshot)
    renamed = {"maps": {NAA: dict(m, name="mpathb")}, "disks": {"sdb": dict(d, map="mpathb")}}
    _out, seen = approval.gate(dict(plan, steps=[]), renamed, approved)
    assert [s["why"] for s in seen["not_needed"]] == ["no longer in the plan"] * 2, seen
