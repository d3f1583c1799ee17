# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""stale_cleanup with an approved plan: a check run's plan_artifact given back as approved_plan; the run executes
only the units the approver saw, with the same identities. Through the module's entry point, on the fake host of
_san/act/helpers.py (as test_stale_cleanup)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval
from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import WWID, WWID2
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import helpers as base
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import NEW, judged, pairs, san
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.stale_cleanup.helpers import MACHINE_ID
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.stale_cleanup.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    approved, env, looks)


plan = base.plan


MODULE = stale_cleanup


DEFAULT_ARGS = {"array_truth": {"luns": [], "targets": [], "problems": [], "collected_at": None}}


MAP_UNIT = "map %s" % WWID


def units(steps):
    return sorted(set(s["unit"] for s in steps))


def refused_by_name(out):
    return dict((r["name"], r) for r in out["refused"])


def untouched(env):
    return env.commands == [] and env.writes == []


# ------------------------------------------------------------------------------------------- the artifact
def test_check_run_returns_its_plan_as_an_artifact(env, looks, run):
    """Fails when a check run's plan artifact differs from its run, or its digest cannot be checked."""
    looks(judged())
    chk = run({}, check=True)
    art = chk["plan_artifact"]
    assert art["format"] == 1 and art["host"] == {"machine_id": MACHINE_ID, "hostname": "db01"}
    assert isinstance(art["created_at"], float)
    assert [(s["action"], s["target"]) for s in art["steps"]] == pairs(chk["run"])
    # the digest is sha256 over format, host, created_at and steps as canonical JSON: anyone can check it with the
    # standard library
    signed = dict((k, art[k]) for k in ("format", "host", "created_at", "steps"))
    text = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert art["digest"] == hashlib.sha256(text.encode("ascii")).hexdigest()
    by_step = dict(((s["action"], s["target"]), s) for s in art["steps"])
    assert by_step[("flush_map", WWID)] == {
        "action": "flush_map", "target": WWID, "phase": "flush", "unit": MAP_UNIT, "forced": False,
        "identity": {"wwid": WWID, "dm_uuid": "mpath-" + WWID, "sd": ["sdc", "sdd"], "hctl": ["4:0:0:1", "5:0:0:1"],
                     "dev": "253:3"}}
    # a path of the map names the map it belongs to; the stale disk without a map, none
    assert by_step[("delete_disk", "sdc")]["identity"] == {"wwid": WWID, "dm_uuid": "mpath-" + WWID, "sd": "sdc",
                                                           "hctl": "4:0:0:1", "dev": "8:32"}
    assert by_step[("delete_disk", "sdf")] == {
        "action": "delete_disk", "target": "sdf", "phase": "delete", "unit": "disk sdf", "forced": False,
        "identity": {"wwid": WWID2, "dm_uuid": None, "sd": "sdf", "hctl": "4:0:0:7", "dev": "8:80"}}
    # every step of a unit carries the identity of its object, multipath -w too (its target is the WWID)
    assert by_step[("remove_wwid", WWID)]["identity"] == by_step[("flush_map", WWID)]["identity"]
    # without an approved plan nothing is gated
    assert chk["approval"] is None and chk["approved_not_needed"] == []


def test_repair_scans_carry_the_identity_the_lun_must_show(plan):
    """Fails when an approved repair scan does not carry the identity the LUN must show."""
    s = san()
    # sdc answers as another LU (live serial); sdd is failed with the array's word: only then is the map flushed
    s["maps"][WWID]["paths"] = [{"name": "sdc", "dm_state": "active"}, {"name": "sdd", "dm_state": "failed"}]
    ev = {"array_wwid": NEW, "array_serial": "80Lab-001+Ab",
          "probe": {"result": "ready", "serial_live": "80Lab-001+Ab"}}
    s["verdicts"] = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID,
                      "evidence": {"array_mappings": []}},
                     {"kind": "serial_mismatch", "object": "disk", "name": "sdc", "wwid": WWID,
                      "evidence": dict(ev, hctl="4:0:0:1")}]
    out = plan({}, s)
    scans = [st for st in out["plan_artifact"]["steps"] if st["action"] in ("scan_exact_lun", "verify_identity")]
    assert [(st["action"], st["identity"]) for st in scans] == [
        (action, {"wwid": NEW, "dm_uuid": None, "sd": None, "hctl": "4:0:0:1", "dev": None})
        for action in ("scan_exact_lun", "verify_identity")]


# ------------------------------------------------------------------------------------------- the gate
def test_the_approved_plan_runs_as_approved(env, approved, looks, run):
    """Fails when an approved plan does not run exactly its steps, or the approval is misreported."""
    looks(judged())
    out = run({"approved_plan": approved})
    assert not out.get("failed"), (out.get("msg"), out.get("failures"))
    assert pairs(out["executed"]) == [(s["action"], s["target"]) for s in approved["steps"]]
    assert out["refused"] == [] and out["approved_not_needed"] == []
    assert out["approval"]["digest"] == approved["digest"] and out["approval"]["approved"] == len(approved["steps"])
    assert out["approval"]["refused"] == 0 and out["approval"]["age"] >= 0
    assert WWID not in env.maps and not env.disks


def test_an_approved_flush_is_refused_when_the_real_runs_tool_lookup_did_not_finish(env, approved, looks, run):
    """Fails when a real run flushes an approved map although it could not tell whether multipath-tools is installed
    (the lookup of the host's programs did not finish), or drops the unit without naming why."""
    assert MAP_UNIT in set(s["unit"] for s in approved["steps"])
    msg = "lookup of the SAN tools' programs did not finish within 10.0s (the device may be hung; the child was abandoned)"

    def lookup_unfinished(reader):
        snap = judged()(reader)
        snap["errors"].append({"what": "lookup of the SAN tools' programs", "msg": msg})
        snap["host"].update(tools_missing=None, tools_unread=msg)
        return snap
    looks(lookup_unfinished)
    out = run({"approved_plan": approved})
    assert WWID in env.maps and out["flush_maps"] == []
    assert not [s for s in out["executed"] if s.get("unit") == MAP_UNIT]
    (refusal,) = [r for r in out["refused"] if r["name"] == WWID]
    assert "whether multipath-tools is installed on this host is unknown (%s)" % msg in refusal["reason"], refusal


@pytest.mark.parametrize("change,named,needle", [
    # the stale disk now has another WWID (the LUN behind the name changed)
    (lambda e: e.disks["sdf"].update(wwid="3600a098038304c61622d3030392b4199"), "sdf",
     "delete_disk sdf: wwid expected %s, found 3600a098038304c61622d3030392b4199" % WWID2),
    # its major:minor changed (the kernel reused the name)
    (lambda e: e.disks["sdf"].update(dev="8:99"), "sdf", "delete_disk sdf: dev expected 8:80, found 8:99"),
    # a path of the map sits at another H:C:T:L
    (lambda e: e.disks["sdc"].update(hctl="4:0:0:9"), WWID, "hctl expected 4:0:0:1, found 4:0:0:9"),
])
def test_a_changed_identity_refuses_its_unit_by_name_and_only_it(change, named, needle, env, approved, looks, run):
    """Fails when a device whose identity changed since approval runs, or stops other units."""
    change(env)
    looks(judged())
    out = run({"approved_plan": approved})
    refused = refused_by_name(out)
    assert list(refused) == [named], out["refused"]
    reason = refused[named]["reason"]
    assert refused[named]["approval"] == "changed" and "changed since the plan was approved" in reason, reason
    assert needle in reason and reason.endswith("not removing"), reason
    # nothing of the refused unit ran; the other unit ran to the end
    assert not [s for s in out["executed"] if (named == WWID) == (s.get("unit") == MAP_UNIT)]
    assert units(out["executed"]) == ["disk sdf" if named == WWID else MAP_UNIT]
    assert not out.get("failed") and out["changed"] is True
    # the refused unit is not "removed" either: the post-check and the role's verify expect only what ran
    assert out["maps_still_present"] == []
    assert (WWID in env.maps) == (named == WWID) and ("sdf" in env.disks) == (named == "sdf")


def test_a_step_the_approver_never_saw_refuses_its_unit(env, looks, run):
    """Fails when a step or unit the approver never saw runs."""
    # approved while only the map was stale, and without multipath -w; now sdf is stale too, and the run would
    # forget the map's WWID: steps the approver did not see
    looks(judged([{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}]))
    approved = run({"remove_wwid": False}, check=True)["plan_artifact"]
    assert units(approved["steps"]) == [MAP_UNIT]
    looks(judged())
    out = run({"approved_plan": approved})
    refused = refused_by_name(out)
    assert sorted(refused) == sorted([WWID, "sdf"])
    assert refused[WWID]["approval"] == "not_approved"
    assert "map %s: not in the approved plan (remove_wwid %s): the approver never saw it" % (WWID, WWID) in \
        refused[WWID]["reason"]
    assert refused["sdf"]["reason"].startswith("disk sdf: not in the approved plan (delete_disk sdf, "
                                               "wait_disk_gone sdf)")
    assert out["executed"] == [] and untouched(env) and out["changed"] is False
    assert out["flush_maps"] == [] and out["delete_disks"] == [] and out["steps"] == []
    # approved as it would run now, the same units run
    looks(judged([{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}]))
    again = run({"approved_plan": run({}, check=True)["plan_artifact"]})
    assert units(again["executed"]) == [MAP_UNIT] and again["refused"] == []


def test_approved_but_no_longer_needed_is_reported(env, approved, looks, run):
    """Fails when approved steps no longer needed are run, refused, or not reported."""
    env.remove_disk("4:0:0:7")          # sdf went away by itself
    looks(judged())
    out = run({"approved_plan": approved})
    assert not out.get("failed") and out["refused"] == []
    assert units(out["executed"]) == [MAP_UNIT]
    assert [(s["action"], s["target"], s["unit"]) for s in out["approved_not_needed"]] == [
        ("delete_disk", "sdf", "disk sdf"), ("wait_disk_gone", "sdf", "disk sdf")]
    assert out["approved_not_needed"][0]["why"] == "disk no longer present"
    assert out["approval"]["not_needed"] == 2


def test_a_host_without_an_approved_plan_removes_nothing(env, looks, run):
    """Fails when a host the approved plan does not cover removes anything."""
    looks(judged())
    out = run({"approved_plan": {}})
    assert not out.get("failed") and out["changed"] is False and out["executed"] == [] and untouched(env)
    assert sorted(refused_by_name(out)) == sorted([WWID, "sdf"])
    assert all(r["approval"] == "none_approved" and "no plan was approved for this host" in r["reason"]
               for r in out["refused"])
    assert out["plan_artifact"]["steps"] == []


def test_check_mode_with_an_approved_plan_shows_exactly_what_the_run_does(env, approved, looks, run):
    """Fails when check mode with an approved plan shows other steps than the real run does."""
    env.disks["sdf"]["dev"] = "8:99"
    looks(judged())
    chk = run({"approved_plan": approved}, check=True)
    assert untouched(env) and units(chk["run"]) == [MAP_UNIT] and list(refused_by_name(chk)) == ["sdf"]
    # the check run's own artifact is what it would run: approving it again is approving exactly that
    assert [(s["action"], s["target"]) for s in chk["plan_artifact"]["steps"]] == pairs(chk["run"])
    real = run({"approved_plan": approved})
    assert pairs(real["executed"]) == pairs(chk["run"]) and real["refused"] == chk["refused"]


# ------------------------------------------------------------------------------------------- bad input
def _edit(path, value):
    def edit(art):
        node = art
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


def _resigned(tamper):
    """An artifact that another host, or an earlier check run, really made: edited, then digested as made."""
    def edit(art):
        tamper(art)
        art["digest"] = approval.digest(art["format"], art["host"], art["created_at"], art["steps"])
    return edit


def _step0(key, value):
    return lambda art: art["steps"][0].update({key: value})


def _ident0(key, value):
    return lambda art: art["steps"][0]["identity"].update({key: value})


@pytest.mark.parametrize("tamper,needle", [
    # an approved device swapped for another in the file: the digest no longer matches
    (_ident0("dev", "8:99"), "digest does not match"),
    (lambda art: art["steps"].append(dict(copy.deepcopy(art["steps"][0]), target="sdz")), "digest does not match"),
    (lambda art: art["steps"].pop(), "digest does not match"),
    # an expired approval made young again, or moved to another host, by editing the file
    (lambda art: art.update(created_at=art["created_at"] + 60), "digest does not match"),
    (_edit(["host", "hostname"], "db02"), "digest does not match"),
    (_edit(["digest"], "0" * 64), "digest does not match"),
    (_edit(["digest"], "not hex"), "64 lowercase hex digits"),
    (_edit(["format"], 2), "format 2"),
    (_edit(["format"], "1"), "format '1'"),
    (lambda art: art.pop("host"), "must have exactly the keys"),
    (_edit(["extra"], 1), "must have exactly the keys"),
    (_edit(["host"], "db01"), "approved_plan.host must be a dict"),
    (_edit(["created_at"], "yesterday"), "created_at must be a number"),
    (_edit(["created_at"], True), "created_at must be a number"),
    (_edit(["steps"], "everything"), "steps must be a list"),
    (lambda art: art["steps"].__setitem__(0, "flush_map"), "steps[0] must be a dict"),
    (_step0("action", "rm -rf"), "is not an action of the plan"),
    (_step0("target", 7), "target must be a non-empty string"),
    (lambda art: art["steps"][0].pop("unit"), "steps[0] must have exactly the keys"),
    (_ident0("sd", 5), "identity.sd must be a string"),
    (lambda art: art["steps"][0]["identity"].pop("dev"), "identity must be a dict with exactly the keys"),
    (lambda art: art["steps"].append(copy.deepcopy(art["steps"][0])), "lists disable_queueing %s twice" % WWID),
    # made on another machine (a clone, or the plan of another inventory host)
    (_resigned(_edit(["host", "machine_id"], "0" * 32)), "approved_plan was made on another host"),
    (_resigned(_edit(["host", "hostname"], "db02")), "approved_plan was made on another host"),
    # older than the approval holds (4 h by default), or from the future
    (_resigned(lambda art: art.update(created_at=art["created_at"] - 14401)), "approved_plan expired"),
    (_resigned(lambda art: art.update(created_at=art["created_at"] + 3600)), "in the future"),
])
def test_a_bad_approved_plan_is_an_error_and_nothing_is_read_or_changed(tamper, needle, env, approved, looks, run):
    """Fails when a tampered or malformed approved plan is not an error before anything is read."""
    bad = copy.deepcopy(approved)
    tamper(bad)
    taken = looks(judged())
    out = run({"approved_plan": bad})
    assert out["failed"] and needle in out["msg"], out["msg"]
    assert out["msg"].startswith("invalid input: ") and "nothing was read or changed" in out["msg"]
    assert taken == [] and untouched(env) and out["executed"] == []


def test_the_approval_expires_after_approved_plan_max_age(env, approved, looks, run):
    """Fails when an approval older than approved_plan_max_age runs, or a max age of 0 is accepted."""
    stale = copy.deepcopy(approved)
    _resigned(lambda art: art.update(created_at=art["created_at"] - 61))(stale)
    taken = looks(judged())
    out = run({"approved_plan": stale, "approved_plan_max_age": 60})
    assert out["failed"] and "expired" in out["msg"] and "more than approved_plan_max_age (60s)" in out["msg"]
    assert taken == [] and untouched(env)
    # the default holds 4 h: the same plan is still good
    assert not run({"approved_plan": stale})["refused"]
    bad = run({"approved_plan": approved, "approved_plan_max_age": 0})
    assert bad["failed"] and "approved_plan_max_age must be > 0" in bad["msg"]


def test_a_host_whose_identity_cannot_be_read_refuses_an_approved_plan(env, approved, looks, run, tmp_path):
    """Fails when a host whose machine identity cannot be read runs an approved plan."""
    (tmp_path / "etc" / "machine-id").unlink()
    (tmp_path / "proc" / "sys" / "kernel" / "hostname").unlink()
    taken = looks(judged())
    out = run({"approved_plan": approved})
    assert out["failed"] and "identity cannot be read" in out["msg"] and taken == [] and untouched(env)
    # without an approved plan the run goes on as before, its artifact says what it could not read
    looks(judged())
    chk = run({}, check=True)
    assert not chk.get("failed") and chk["plan_artifact"]["host"] == {"machine_id": None, "hostname": None}


# ------------------------------------------------------------------------------------------- the module's own gate
def test_a_real_run_with_neither_an_approved_plan_nor_allow_unreviewed_refuses_before_reading(env, looks, run):
    """Fails when the module runs its own plan for real because a role's or a playbook's variable let it through
    (stale_cleanup_approved_plan null): without approved_plan or allow_unreviewed a real run that selects a phase
    refuses, before anything is read or touched, and says so in approval_gate."""
    looks(judged())
    out = run({})
    assert out["failed"] and out["approval_gate"] == "refused" and "allow_unreviewed" in out["msg"], out
    assert "nothing was read or changed" in out["msg"] and untouched(env) and env.reader.calls == []
    assert out["executed"] == [] and out["steps"] == []


@pytest.mark.parametrize("args,check,gate", [
    ({}, True, "plan"),                                       # check mode: nothing runs
    ({"phases": []}, False, "plan"),                          # a real run of no phase (--tags plan)
    ({"allow_unreviewed": True}, False, "unreviewed"),        # the hand-run emergency, said explicitly
    ({"approved_plan": {}}, False, "not_in_plan"),            # the approved set has nothing for this host
])
def test_the_result_says_how_the_run_executed(env, looks, run, args, check, gate):
    """Fails when approval_gate does not say what the module itself ran: the reports, the job artifact and the
    console read this word, never the variables that fed the module."""
    looks(judged())
    out = run(args, check=check)
    assert not out.get("failed") and out["approval_gate"] == gate, out
    assert bool(out["executed"]) == (gate == "unreviewed")


def test_allow_unreviewed_beside_an_approved_plan_runs_only_the_approved_units(env, looks, run, approved):
    """Fails when allow_unreviewed widens a run that was given an approved plan: the approved plan narrows it."""
    only_disk = [s for s in approved["steps"] if s["unit"] == "disk sdf"]
    art = dict(approved, steps=only_disk,
               digest=approval.digest(approved["format"], approved["host"], approved["created_at"], only_disk))
    looks(judged())
    out = run({"approved_plan": art, "allow_unreviewed": True})
    assert out["approval_gate"] == "approved" and units(out["executed"]) == ["disk sdf"], out
