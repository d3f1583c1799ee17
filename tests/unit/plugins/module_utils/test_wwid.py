# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""identity.Wwid, the one WWID value (issue 30): built where a WWID enters, equal to the plain str of its normal
form, so that a membership test "does the array map this LU" can never turn False on spelling alone (that would
read as "unmapped" and lead to removal)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    Wwid, identity_diff, map_wwid, refuse_other_spelling, same_wwid, wwid_has_prefix, wwid_key, wwid_matches,
    wwid_or_none)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts as san_facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.reread import View
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_judge import (
    FAILED, LNS, check, rec, snap_of, verdict)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    ontap_serial, ontap_wwid)

W = ontap_wwid(1)


# ------------------------------------------------------------------------------------------------ the value
@pytest.mark.parametrize("spelling, normal", [
    (W.upper(), W), ("naa." + W[1:].upper(), W), (W[1:].upper(), W), ("eui.0025385B71B0E3A1", "20025385b71b0e3a1"),
    ("t10.LIO-ORG  block   1", "1LIO-ORG_block_1"), (" %s\n" % W, W),
])
def test_a_wwid_is_its_normal_form_as_a_str(spelling, normal):
    w = Wwid(spelling)
    assert isinstance(w, str) and w == normal and normal == w and str(w) == normal
    # equality and hash are the str's: a dict keyed by Wwid is looked up by the plain text and back
    assert hash(w) == hash(normal) and {normal: 1}[w] == 1 and {w: 1}[normal] == 1
    assert w in set([normal]) and normal in set([w]) and sorted([w, "0"]) == ["0", normal]
    assert json.dumps({w: w}) == json.dumps({normal: normal}) and "%s" % w == normal and w + "" == normal


def test_a_wwid_of_a_wwid_is_itself_and_survives_copies():
    w = Wwid(W.upper())
    assert Wwid(w) is w and copy.deepcopy(w) == W and isinstance(copy.deepcopy(w), Wwid)
    # a map's WWID is its dm uuid's text as it is ("mpath-" + it names the map again); wwid_key meets the others
    assert map_wwid("mpath-" + W.upper()) == W.upper() and isinstance(map_wwid("mpath-" + W), Wwid)
    assert wwid_key(map_wwid("mpath-" + W.upper())) == W == wwid_key("naa." + W[1:].upper())
    assert map_wwid("mpath-") is None and map_wwid("mpath- ") is None and map_wwid("mpath-a/b") is None
    assert wwid_or_none(None) is None and wwid_or_none(" \x00") is None and map_wwid("LVM-abc") is None


T10_KERNEL = "t10.LIO-ORG_block_1"        # the vendor text as the kernel reports it (VPD 0x83 type 1)


def test_a_t10_wwid_in_another_case_is_another_text_but_the_same_lu_by_its_key():
    """A t10 vendor text keeps its case, and Wwid compares and hashes exactly (two LUs may differ only in case:
    the kernel and multipath tell them apart). The same LU spelled in another case by a truth record or a user
    meets the kernel's through wwid_key / same_wwid / find_wwid."""
    kernel, other = Wwid(T10_KERNEL), Wwid(T10_KERNEL.lower())
    assert kernel != other and len({kernel: 1, other: 2}) == 2 and kernel not in set([other])
    assert same_wwid(kernel, other) and wwid_key(kernel) == wwid_key(other) == "1lio-org_block_1"
    assert not same_wwid(kernel, Wwid(W)) and not same_wwid(kernel, None) and not same_wwid(None, None)
    # the str values are untouched: what dmsetup -u and multipath -w are given
    assert str(kernel) == "1LIO-ORG_block_1" and str(other) == "1lio-org_block_1"
    assert "mpath-" + kernel == "mpath-1LIO-ORG_block_1" and json.dumps([kernel]) == '["1LIO-ORG_block_1"]'
    assert str(Wwid("naa." + W[1:].upper())) == W and hash(Wwid(W.upper())) == hash(W)
    assert (kernel == 5) is False and (kernel != 5) is True and kernel not in (None, b"1LIO-ORG_block_1")


def test_a_users_wwid_matches_its_own_spelling_only_and_names_the_other_case_when_refused():
    """A user's WWID names a host WWID with the same normal form (naa./upper-case hex aside), a t10 vendor text in
    its case: another case is another LU (or none), refused with the kernel's spelling named, never guessed."""
    upper, lower = Wwid("t10.VEND Abc"), Wwid("t10.VEND abc")
    assert wwid_matches(Wwid("naa." + W[1:].upper()), W.upper()) and wwid_matches(upper, "1VEND_Abc")
    assert not wwid_matches(Wwid("t10.vend ABC"), upper) and not wwid_matches(None, upper)
    refuse_other_spelling(lower, [upper, lower])           # its own spelling is here: nothing to refuse
    refuse_other_spelling(Wwid(W), [upper])                # nothing of it here: the caller's "not present"
    with pytest.raises(san_validate.InvalidInput, match="1VEND_Abc differs from it only in case"):
        refuse_other_spelling(Wwid("t10.vend ABC"), [upper, Wwid(W)])
    with pytest.raises(san_validate.InvalidInput, match="1VEND_Abc, 1VEND_abc differ from it only in case"):
        refuse_other_spelling(Wwid("t10.VEND ABC"), [upper, lower])


def test_a_prefix_covers_by_the_key():
    assert wwid_has_prefix(Wwid("t10.DELL MD32xx 1"), ("1de",)) and wwid_has_prefix(Wwid(W), ("3600A0980",))
    assert not wwid_has_prefix(Wwid(W), ()) and not wwid_has_prefix(None, ("3",))


@pytest.mark.parametrize("bad", [None, 5, b"3600a0980", "", "   ", "3600a 0980", "3600a0980/x", "36\x01"])
def test_text_that_is_no_wwid_raises_the_validation_error(bad):
    with pytest.raises(san_validate.InvalidInput):
        Wwid(bad)


@pytest.mark.parametrize("bad", ["zz", "naa.", "36..00", "t10.", "3600a0980 ", "../etc"])
def test_a_users_wwid_that_is_not_one_keeps_its_clear_error(bad):
    with pytest.raises(san_validate.InvalidInput, match="WWID .* is not valid"):
        san_validate.wwid(bad)
    assert isinstance(san_validate.wwid(W.upper()), Wwid) and san_validate.wwid(W.upper()) == W


# ------------------------------------------------------------------------------------------------ the judge
def _all_paths_lun_not_supported(tmp_path):
    return snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})


@pytest.mark.parametrize("upper", ["wwid", "serial"])
def test_the_array_truth_in_upper_case_keeps_the_hosts_map_mapped_end_to_end(tmp_path, upper):
    """The truth as the user/lookup gives it (validated: truth_of), against the host's lower-case map whose
    paths all fail: mapped (an outage), never stale_unmapped; the same verdict as the lower-case truth."""
    snap = _all_paths_lun_not_supported(tmp_path)
    assert W in snap["maps"] and snap["maps"][W]["wwid"] == W
    lower = rec(1, 1)
    shouted = dict(lower, wwid=W.upper()) if upper == "wwid" else dict(lower, wwid=None)
    if upper == "serial":
        assert shouted["serial"] == ontap_serial(1)  # ONTAP serial -> WWID, lower-case hex whatever its letters
    truth = san_facts.truth_of(array_luns=[shouted])
    assert truth["luns"][0]["wwid"] == W
    got = verdict(check(snap, truth["luns"]), W)
    want = verdict(check(_all_paths_lun_not_supported(tmp_path / "again"), [lower]), W)
    assert got["kind"] == want["kind"] == "paths_down_but_mapped", got
    assert got["reason"] == want["reason"] and got["lun"] == 1


def _t10_lu1(tree):
    """LUN 1's paths (sdb, sdd) and map report a t10 WWID instead of NAA (LIO without naa designator)."""
    for name, hctl, dev, sess in (("sdb", "2:0:0:1", "8:16", 1), ("sdd", "3:0:0:1", "8:48", 2)):
        tree.disk(name, hctl, dev, session=sess, wwid="t10.LIO-ORG  block  1",
                  serial="0" + ontap_serial(1).encode().hex())
    tree.dm("dm-0", "253:0", "1LIO-ORG_block_1", "mpath-1LIO-ORG_block_1", slaves=("sdb", "sdd"))


@pytest.mark.parametrize("spelling", ["t10.lio-org_block_1", "t10.LIO-ORG_BLOCK_1", "t10.Lio-Org_Block_1"])
def test_a_t10_lu_in_the_array_truth_in_another_case_keeps_the_hosts_map_mapped_end_to_end(tmp_path, spelling):
    """The kernel's t10 WWID (vendor text in its case) against the array truth's record of the same LU in another
    case (validated: truth_of): the map whose paths all fail is mapped (an outage), never stale_unmapped."""
    snap = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)}, setup=_t10_lu1)
    kernel = "1LIO-ORG_block_1"
    assert [str(w) for w in snap["maps"]].count(kernel) == 1
    truth = san_facts.truth_of(array_luns=[dict(rec(1, 1), wwid=spelling), rec(2, 2)])
    t10_array = ("1", "3600a0980")   # prefixes are hex: "1" is every t10 WWID
    got = verdict(check(snap, truth["luns"], array_wwid_prefixes=t10_array), kernel)
    assert got["kind"] == "paths_down_but_mapped" and got["lun"] == 1, got
    # without the LU in the truth the same map is stale: the case-blind match is what keeps it
    alone = verdict(check(snap, san_facts.truth_of(array_luns=[rec(2, 2)])["luns"], array_wwid_prefixes=t10_array),
                    kernel)
    assert alone["kind"] == "stale_unmapped", alone


def test_a_record_handed_to_the_judge_raw_in_upper_case_still_maps_the_lu(tmp_path):
    """cross_check is where a caller's own records enter the judge: they are built as Wwid there."""
    snap = _all_paths_lun_not_supported(tmp_path)
    v = verdict(check(snap, [dict(rec(1, 1), wwid=W.upper())]), W)
    assert v["kind"] == "paths_down_but_mapped" and v["evidence"]["array_mappings"][0]["path"] == "/vol/v1/lun1"


# ------------------------------------------------------------------------------------------------ the act's lookups
def test_an_upper_case_wwid_of_the_users_options_finds_the_map_the_act_checks(tmp_path):
    """The user's WWID enters through validate.wwid; the act looks the map up by it (one key) in the read of the
    host and its identity check sees no difference: the same as the lower-case WWID."""
    snap = snap_of(tmp_path)
    view = View(snap, {})
    for spelling in (W, W.upper(), "naa." + W[1:].upper()):
        key = san_validate.wwid(spelling)
        m = view.map(key)
        assert m is not None and m["wwid"] == W
        assert identity_diff({"wwid": key, "name": m["name"]}, m) == {}
    assert identity_diff({"wwid": san_validate.wwid(ontap_wwid(2))}, view.map(W))["wwid"]


# ------------------------------------------------------------------------------------------------ the approved plan
HOST = {"machine_id": "m1", "hostname": "h1"}


def _plan():
    snapshot = {"maps": {W: {"name": "mpatha", "wwid": Wwid(W), "dm": "dm-3", "dev": "253:3",
                             "paths": [{"name": "sdb"}]}},
                "disks": {"sdb": {"name": "sdb", "hctl": "2:0:0:1", "dev": "8:16", "wwid": Wwid(W), "map": "mpatha"}}}
    steps = [dict(plan_steps.step("flush_map", "mpatha", {"wwid": Wwid(W), "name": "mpatha"}), unit="map mpatha",
                  phase="flush"),
             dict(plan_steps.step("remove_wwid", Wwid(W), {"wwid": Wwid(W), "map_absent": True}), unit="map mpatha",
                  phase="flush")]
    plan = {"steps": steps, "skipped": [], "flush_maps": [Wwid(W)], "delete_disks": [], "mismatches": []}
    return plan, snapshot


def _shouted(artifact):
    out = copy.deepcopy(artifact)
    for st in out["steps"]:
        st["identity"]["wwid"] = st["identity"]["wwid"].upper()
        st["identity"]["dm_uuid"] = "mpath-" + W.upper()
        if st["action"] == "remove_wwid":
            st["target"] = st["target"].upper()
    out["digest"] = approval.digest(out["format"], out["host"], out["created_at"], out["steps"])
    return out


def test_an_approved_plan_in_upper_case_approves_the_same_units_as_in_lower_case():
    plan, snapshot = _plan()
    lower = json.loads(json.dumps(approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0)))
    assert lower["steps"][0]["identity"]["dm_uuid"] == "mpath-" + W
    shouted = _shouted(lower)
    results = []
    for approved in (lower, shouted):
        approval.validate(approved, 1001.0, approval.MAX_AGE)
        out, seen = approval.gate(plan, snapshot, approved)
        results.append((out["steps"], out["flush_maps"], out["skipped"], seen))
    assert results[0] == results[1]
    assert results[1][3] == {"refused": [], "not_needed": []} and results[1][0] == plan["steps"]


def test_an_approved_plan_whose_wwid_is_no_wwid_is_refused_clearly():
    plan, snapshot = _plan()
    bad = json.loads(json.dumps(approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0)))
    bad["steps"][0]["identity"]["wwid"] = "3600a 0980"
    bad["digest"] = approval.digest(bad["format"], bad["host"], bad["created_at"], bad["steps"])
    with pytest.raises(san_validate.InvalidInput, match=r"approved_plan.steps\[0\]: WWID .* is not valid"):
        approval.validate(bad, 1001.0, approval.MAX_AGE)
