# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review of the issue-30 merge (i30-merge: modules split, identity.Wwid): each finding as a strict
xfail that fails on the merged code. Remove the marker with the fix (the test then passes, or the marker fails)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import maps as act_maps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid, map_wwid
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_judge import (
    FAILED, LNS, check, rec, snap_of, verdict)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import healthy_lab

# a t10 WWID as the kernel and multipath spell it (LIO without a NAA designator): its vendor text keeps its case
T10 = "1LIO-ORG_block_1"
HOST = {"machine_id": "m1", "hostname": "h1"}


# ------------------------------------------------------------------------------------------------ 1 (medium)
class _NoView(object):
    """A reader whose batch read is not to be had (each step reads on its own) and that shows no map: the map of
    the WWID is gone, as remove_wwid requires."""

    def view(self, names, maps):
        raise RuntimeError("no batch read in this test")

    def map(self, key, by="any"):
        return None


def test_a_t10_wwid_still_in_the_wwids_file_after_multipath_w_is_not_reported_removed(tmp_path):
    (tmp_path / "etc" / "multipath").mkdir(parents=True)
    # `multipath -w` answered 0 but the line is still there (another wwids_file, multipathd wrote it back, ...)
    (tmp_path / "etc" / "multipath" / "wwids").write_text("/%s/\n" % T10)
    sent = []

    def run(argv, timeout=None, what=None):
        sent.append(argv)
        return deadline.CommandResult(argv, 0, "wwid '%s' removed" % argv[-1], "", 0.01)

    host = act_context.ActContext(_NoView(), run=run, root=str(tmp_path))  # call: the real forked deadline.call
    wwid = Wwid(T10)
    step = dict(plan_steps.step("remove_wwid", wwid, {"wwid": wwid, "map_absent": True}), unit="map mpatha",
                phase="flush")
    [(_st, outcome, _t)] = act_maps.remove_wwid(host, [step])
    assert sent == [["multipath", "-w", T10]]
    assert isinstance(outcome, act_context.ActFailed), outcome  # today: {"outcome": "done", wwids_file_checked: True}
    assert "still listed" in str(outcome)


# ------------------------------------------------------------------------------------------------ 2 (medium)
def test_one_disk_with_a_wwid_text_the_wwid_type_refuses_does_not_fail_the_whole_hosts_read(tmp_path):
    t = healthy_lab(tmp_path)
    # a local ATA disk: the kernel prints its t10 designator as is (%pE escapes only non-printables)
    t.disk("sdf", "0:0:1:0", "8:80", vendor="ATA", model="MSA/1000", wwid="t10.ATA     HP MSA/1000     QM00002")
    t.commands()
    snap = t.reader().snapshot(probe=False)  # today: InvalidInput "WWID 't10.ATA ...' is not valid"
    assert len(snap["maps"]) == 2 and "sdb" in snap["disks"]
    assert "sdf" in snap["disks"]  # reported, not removable: with no usable WWID it matches no truth record


# ------------------------------------------------------------------------------------------------ 3 (low)
def _artifact(wwid, name="mpatha"):
    snapshot = {"maps": {wwid: {"name": name, "wwid": wwid, "dm": "dm-3", "dev": "253:3", "paths": [{"name": "sdb"}]}},
                "disks": {"sdb": {"name": "sdb", "hctl": "2:0:0:1", "dev": "8:16", "wwid": wwid, "map": name}}}
    steps = [dict(plan_steps.step("flush_map", name, {"wwid": wwid, "name": name}), unit="map %s" % name,
                  phase="flush"),
             dict(plan_steps.step("remove_wwid", wwid, {"wwid": wwid, "map_absent": True}), unit="map %s" % name,
                  phase="flush")]
    plan = {"steps": steps, "skipped": [], "flush_maps": [wwid], "delete_disks": [], "mismatches": []}
    return plan, snapshot, json.loads(json.dumps(approval.plan_artifact(steps, snapshot, HOST, 1000.0)))


def _redigest(artifact):
    artifact["digest"] = approval.digest(artifact["format"], artifact["host"], artifact["created_at"],
                                         artifact["steps"])
    return artifact


@pytest.mark.parametrize("uuid", ["mpath-", "mpath-   "])
def test_an_approved_plan_whose_dm_uuid_names_no_wwid_is_refused_clearly(uuid):
    _plan, _snap, artifact = _artifact(Wwid(T10))
    bad = copy.deepcopy(artifact)
    bad["steps"][0]["identity"]["dm_uuid"] = uuid
    with pytest.raises(san_validate.InvalidInput, match="dm_uuid|WWID"):
        approval.validate(_redigest(bad), 1001.0, approval.MAX_AGE)


# ------------------------------------------------------------------------------------------------ 4 (low)
def test_an_approved_plan_of_a_t10_map_is_matched_by_the_kernels_text_and_another_case_is_refused():
    """As written by the check run (JSON round trip) the plan approves its unit. Its t10 WWIDs in another case (an
    edited file, re-digested) name another LU to the kernel: the unit is refused as changed, never approved
    (i30f #3: every guard before a change compares the vendor text exactly)."""
    plan, snapshot, artifact = _artifact(Wwid(T10))
    other = copy.deepcopy(artifact)
    for st in other["steps"]:
        st["identity"]["wwid"] = st["identity"]["wwid"].lower()
        st["identity"]["dm_uuid"] = st["identity"]["dm_uuid"].lower()
        if st["action"] == "remove_wwid":
            st["target"] = st["target"].lower()
    approval.validate(artifact, 1001.0, approval.MAX_AGE)
    out, seen = approval.gate(plan, snapshot, artifact)
    assert seen == {"refused": [], "not_needed": []}, out["skipped"]
    _redigest(other)
    approval.validate(other, 1001.0, approval.MAX_AGE)
    out, seen = approval.gate(plan, snapshot, other)
    assert seen["refused"] == ["map mpatha"] and out["steps"] == [], seen
    assert [s["approval"] for s in out["skipped"]] == ["changed"], out["skipped"]


# ------------------------------------------------------------------------------------------------ 5 (low)
def _t10_dell_lu1(tree):
    """LUN 1's paths (sdb, sdd) and map with a t10 WWID whose vendor text starts with hex letters ("DELL")."""
    for name, hctl, dev, sess in (("sdb", "2:0:0:1", "8:16", 1), ("sdd", "3:0:0:1", "8:48", 2)):
        tree.disk(name, hctl, dev, session=sess, wwid="t10.DELL    MD32xx  1")
    tree.dm("dm-0", "253:0", "1DELL_MD32xx_1", "mpath-1DELL_MD32xx_1", slaves=("sdb", "sdd"))


def test_a_hex_prefix_covers_a_t10_wwid_whose_vendor_text_starts_with_hex_letters(tmp_path):
    snap = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)}, setup=_t10_dell_lu1)
    kernel = "1DELL_MD32xx_1"
    assert Wwid(kernel) in snap["maps"]   # keys are Wwid: the plain str of a t10 in upper case hashes otherwise
    luns = [dict(rec(1, 1), wwid=kernel)]
    got = verdict(check(snap, luns, array_wwid_prefixes=("1DE",)), kernel)
    assert got["kind"] == "paths_down_but_mapped", got   # today: unknown_array (not judged at all)


# ------------------------------------------------------------------------------------------------ 6 (low)
@pytest.mark.parametrize("uuid", ["mpath-eui.0025388b91b2e1c2", "mpath-600a098038303053453f463045494f41"])
def test_the_dm_uuid_built_from_a_maps_wwid_is_the_maps_own_uuid(uuid):
    m = {"name": "mpathb", "wwid": map_wwid(uuid)}
    assert act_maps.dm_uuid(m) == uuid


# ------------------------------------------------------------------------------------------------ 7 (medium)
def _two_t10_lus_differing_in_case(tree):
    """Two LUs whose t10 vendor-specific ids differ only in case (distinct to the kernel and to multipath, which
    compare WWIDs byte for byte), each with its own map."""
    for name, hctl, dev, text in (("sdf", "2:0:0:7", "8:80", "Abc"), ("sdg", "2:0:0:8", "8:96", "abc")):
        tree.disk(name, hctl, dev, session=1, wwid="t10.VEND    %s" % text)
    tree.dm("dm-5", "253:5", "mpathx", "mpath-1VEND_Abc", slaves=("sdf",))
    tree.dm("dm-6", "253:6", "mpathy", "mpath-1VEND_abc", slaves=("sdg",))


def test_two_maps_whose_t10_wwids_differ_only_in_case_are_both_in_the_snapshot(tmp_path):
    t = healthy_lab(tmp_path)
    _two_t10_lus_differing_in_case(t)
    t.commands()
    snap = t.reader().snapshot(probe=False)
    assert sorted(m["name"] for m in snap["maps"].values() if m["name"].startswith("mpath")) == ["mpathx", "mpathy"]
    assert snap["disks"]["sdf"]["map"] == "mpathx" and snap["disks"]["sdg"]["map"] == "mpathy"


class _SuspendedMap(object):
    """dmsetup answering for one map by its real dm uuid only (as the kernel does): SUSPENDED until resumed."""

    def __init__(self, uuid):
        self.uuid, self.suspended, self.sent = uuid, True, []

    def command(self, argv, what=None, budget_end=None):
        self.sent.append(argv)
        if argv[-1] != self.uuid:
            return deadline.CommandResult(argv, 1, "", "Device does not exist.\nCommand failed.", 0.01)
        if argv[:2] == ["dmsetup", "resume"]:
            self.suspended = False
            return deadline.CommandResult(argv, 0, "", "", 0.01)
        state = "SUSPENDED" if self.suspended else "ACTIVE"
        return deadline.CommandResult(argv, 0, "Name:              mpathb\nState:             %s\n" % state, "", 0.01)


def test_a_map_left_suspended_is_resumed_whatever_the_spelling_of_its_uuid():
    uuid = "mpath-eui.0025388b91b2e1c2"
    host = _SuspendedMap(uuid)
    done = act_maps.resume_if_suspended(host, {"name": "mpathb", "wwid": map_wwid(uuid)})
    assert done is not None and not host.suspended, host.sent


# ------------------------------------------------------------------------------------------------ 8 (low)
def test_a_map_named_by_its_t10_wwid_keeps_its_table_when_its_sysfs_name_is_not_read(tmp_path):
    t = healthy_lab(tmp_path)
    for name, hctl, dev, sess in (("sdf", "2:0:0:7", "8:80", 1), ("sdg", "3:0:0:7", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="t10.LIO-ORG  block  7")
    # user_friendly_names no: the map's name is its WWID, as dmsetup and multipathd print it
    t.dm("dm-5", "253:5", "1LIO-ORG_block_7", "mpath-1LIO-ORG_block_7", slaves=("sdf", "sdg"))
    t.commands()
    (tmp_path / "root" / "sys" / "devices" / "virtual" / "block" / "dm-5" / "dm" / "name").unlink()
    snap = t.reader().snapshot(probe=False)
    [m] = [m for m in snap["maps"].values() if m["dm"] == "dm-5"]
    assert m["queueing"] is False and m["features"], m
    assert [(p["name"], p.get("dm_state")) for p in m["paths"]] == [("sdf", "active"), ("sdg", "active")]
    assert not snap["errors"], snap["errors"]


# ------------------------------------------------------------------------------------------------ after the fix
def test_the_reader_finds_a_map_by_a_users_wwid_in_its_own_case_only(tmp_path):
    """Host.map(from_user=True) is how multipath_flush finds the map of a user's WWID: each of two maps differing
    only in case by its own spelling, and a third spelling refused naming both (no guess between two LUs)."""
    t = healthy_lab(tmp_path)
    _two_t10_lus_differing_in_case(t)
    t.commands()
    host = t.reader()
    assert host.map(Wwid("t10.VEND Abc"), from_user=True)["name"] == "mpathx"
    assert host.map(Wwid("t10.VEND abc"), from_user=True)["name"] == "mpathy"
    with pytest.raises(san_validate.InvalidInput, match="1VEND_Abc, 1VEND_abc differ from it only in case"):
        host.map(Wwid("t10.VEND ABC"), from_user=True)
    assert host.map(Wwid("t10.VEND ABC")) is None          # the act's lookups: the kernel's text only


def test_the_reader_finds_a_map_whose_uuid_spells_its_wwid_in_another_notation(tmp_path):
    """A map whose dm uuid carries upper-case hex (a uid_attribute other than udev's ID_SERIAL) is the user's
    naa./lower-case WWID (identity.wwid_matches: notation and hex case aside); the map keeps its own text."""
    t = healthy_lab(tmp_path)
    upper = "3600A098038303053453F463045494F77"
    for name, hctl, dev, sess in (("sdf", "2:0:0:7", "8:80", 1), ("sdg", "3:0:0:7", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + upper[1:])
    t.dm("dm-5", "253:5", "mpathq", "mpath-" + upper, slaves=("sdf", "sdg"))
    t.commands()
    m = t.reader().map(Wwid("naa." + upper[1:].lower()), from_user=True)
    assert m["name"] == "mpathq" and m["wwid"] == upper, m
