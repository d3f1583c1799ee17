# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review of the fix of review i30m (3d7a95c: Wwid exact again, wwid_key/same_wwid/find_wwid across
sources, map_wwid keeps the dm uuid's text, kernel_wwid): each finding as a strict xfail that fails on 3d7a95c.
Remove the marker with the fix (the test then passes, or the marker fails). The module-level findings are in
tests/unit/plugins/modules/test_review_i30f_modules.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import disks as act_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import verdicts as judge_verdicts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_act import (
    FakeEnv, WWID, disk)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_judge import (
    check, rec, verdict)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    healthy_lab, inline_call, ontap_wwid)

HOST = {"machine_id": "m1", "hostname": "h1"}
# two LUs whose t10 vendor-specific ids differ only in case: distinct to the kernel and to multipath (review i30m
# #7, which the fix keeps apart by keying the host's devices by their exact text)
UPPER, LOWER = Wwid("t10.VEND Abc"), Wwid("t10.VEND abc")     # "1VEND_Abc", "1VEND_abc"


def _one_of_two_case_variant_lus_left(tree):
    """Of the two LUs, only 1VEND_Abc (mpathx) is still here: 1VEND_abc's map and path are gone (a first run of
    the same task flushed it, or it was never on this host)."""
    tree.disk("sdf", "2:0:0:7", "8:80", session=1, wwid="t10.VEND    Abc")
    tree.dm("dm-5", "253:5", "mpathx", "mpath-1VEND_Abc", slaves=("sdf",))


# ------------------------------------------------------------------------------------------------ 1 (high)
def test_a_users_wwid_does_not_find_another_lus_map_once_its_own_map_is_gone(tmp_path):
    """The host can hold two LUs whose WWIDs differ only in case (the fix's own premise). When the map of the one
    the user names is not here, "the only other-case hit" is not that LU: it is the other one."""
    t = healthy_lab(tmp_path)
    _one_of_two_case_variant_lus_left(t)
    t.commands()
    with pytest.raises(san_validate.InvalidInput, match="1VEND_Abc differs from it only in case"):
        t.reader().map(LOWER, from_user=True)   # on 3d7a95c: mpathx, the map of 1VEND_Abc


# ------------------------------------------------------------------------------------------------ 2 (medium)
def test_a_users_wwid_is_not_resolved_case_blind_over_an_unfinished_read(tmp_path):
    t = healthy_lab(tmp_path)
    for name, hctl, dev, text in (("sdf", "2:0:0:7", "8:80", "Abc"), ("sdg", "2:0:0:8", "8:96", "abc")):
        t.disk(name, hctl, dev, session=1, wwid="t10.VEND    %s" % text)
    t.dm("dm-5", "253:5", "mpathx", "mpath-1VEND_Abc", slaves=("sdf",))
    t.dm("dm-6", "253:6", "mpathy", "mpath-1VEND_abc", slaves=("sdg",))
    t.commands()

    def call(fn, args=(), timeout=10.0, what=None):
        # the batch read misses its deadline, and so does the read of dm-6 (the map the user names)
        if fn.__name__ == "read_batch" or (fn.__name__ in ("read_dm", "read_devices") and "dm-6" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    host = t.reader(call=call, read_timeout=1.5)
    with pytest.raises(obs_reread.Unread):
        host.map(Wwid("1VEND_abc"))                  # the exact lookup knows it cannot tell
    with pytest.raises(obs_reread.Unread):
        host.map(Wwid("t10.VEND abc"), from_user=True)  # on 3d7a95c: mpathx (1VEND_Abc), another LU


# ------------------------------------------------------------------------------------------------ 3 (medium)
def test_the_recheck_before_a_delete_tells_two_lus_differing_in_case_apart(tmp_path):
    env = FakeEnv(tmp_path)
    env._drop_map(env.maps[WWID])
    # planned: sdf at 4:0:0:7 is LU 1VEND_Abc. Since then the array reused LUN id 7 for LU 1VEND_abc and a rescan
    # refreshed device/wwid: same name, H:C:T:L and major:minor, another LU (no VPD 0x80 serial read)
    env.add_disk(dict(disk("sdf", "4:0:0:7", "8:80", LOWER), serial=None))
    step = dict(plan_steps.step("delete_disk", "sdf", {"name": "sdf", "hctl": "4:0:0:7", "dev": "8:80",
                                                       "wwid": UPPER, "serial": None}), unit="disk sdf")
    with pytest.raises(Refused, match="wwid expected 1VEND_Abc, found 1VEND_abc") as refused:
        act_disks.delete_disk(env.host(), step)      # on 3d7a95c: written (the delete of LU 1VEND_abc's path)
    assert refused.value.kind == "identity", refused.value.to_dict()
    assert env.writes == []


# ------------------------------------------------------------------------------------------------ 5 (low)
def test_a_healthy_map_whose_uuid_is_upper_case_hex_is_not_probed_for_lun_reuse(tmp_path):
    t = healthy_lab(tmp_path)
    for name, hctl, dev, sess in (("sdf", "2:0:0:3", "8:80", 1), ("sdg", "3:0:0:3", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(3)[1:])
    t.dm("dm-2", "253:2", "mpathc", "mpath-" + ontap_wwid(3).upper(), slaves=("sdf", "sdg"))
    t.commands()
    snap = t.reader().snapshot(probe=False)
    vs = check(snap, [rec(1, 1), rec(2, 2), rec(3, 3)])
    assert verdict(vs, "mpathc")["kind"] == "healthy"          # judged by wwid_key: mapped, right
    assert judge_verdicts.paths_to_probe(snap, vs) == []      # today: [(3600A0980..., sdf), (..., sdg)]


# ------------------------------------------------------------------------------------------------ 6 (low)
def test_a_san_disk_whose_wwid_text_is_refused_is_reported_with_that_text(tmp_path):
    t = healthy_lab(tmp_path)
    # an LIO LU whose unit serial (set by the admin) holds a "/": the kernel prints its t10 designator as is
    t.disk("sdf", "2:0:0:7", "8:80", session=1, wwid="t10.LIO-ORG block7 vol/7")
    t.commands()
    snap = t.reader().snapshot(probe=False)
    assert snap["disks"]["sdf"]["wwid"] is None                # fail closed: matches no record, nothing removes it
    v = verdict(check(snap, [rec(1, 1), rec(2, 2)]), "sdf", obj="disk")
    assert v["kind"] == "unknown_array"
    assert "WWID None" not in v["reason"], v["reason"]
    assert "vol/7" in json.dumps([snap["errors"], snap["disks"]["sdf"], v]), "the refused text is named nowhere"


# ------------------------------------------------------------------------------------------------ 7 (low)
def _map_steps(wwid, name, dm, dev, sd, hctl):
    m = {"name": name, "wwid": wwid, "dm": dm, "dev": dev, "paths": [{"name": sd}]}
    d = {"name": sd, "hctl": hctl, "dev": "8:%d" % (16 * int(dm[3:])), "wwid": wwid, "map": name}
    unit = "map %s" % name
    steps = [dict(plan_steps.step("flush_map", name, {"wwid": wwid, "name": name}), unit=unit, phase="flush"),
             dict(plan_steps.step("remove_wwid", wwid, {"wwid": wwid, "map_absent": True}), unit=unit,
                  phase="flush")]
    return m, d, steps


def test_an_artifact_removing_two_lus_that_differ_only_in_case_is_valid_and_approves_both():
    m1, d1, s1 = _map_steps(UPPER, "mpathx", "dm-5", "253:5", "sdf", "2:0:0:7")
    m2, d2, s2 = _map_steps(LOWER, "mpathy", "dm-6", "253:6", "sdg", "2:0:0:8")
    snapshot = {"maps": {UPPER: m1, LOWER: m2}, "disks": {"sdf": d1, "sdg": d2}}
    steps = s1 + s2
    plan = {"steps": steps, "skipped": [], "flush_maps": [UPPER, LOWER], "delete_disks": [], "mismatches": []}
    artifact = json.loads(json.dumps(approval.plan_artifact(steps, snapshot, HOST, 1000.0)))
    approval.validate(copy.deepcopy(artifact), 1001.0, approval.MAX_AGE)   # today: "lists remove_wwid ... twice"
    out, seen = approval.gate(plan, snapshot, artifact)
    assert seen == {"refused": [], "not_needed": []} and len(out["steps"]) == 4, out["skipped"]


# ------------------------------------------------------------------------------------------------ 8 (low)
def test_an_approved_dm_uuid_that_is_a_list_is_a_clear_error_or_a_refusal_not_a_traceback():
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_review_i30m import (
        _artifact, _redigest)
    _plan, _snapshot, artifact = _artifact(UPPER)
    bad = copy.deepcopy(artifact)
    bad["steps"][0]["identity"]["dm_uuid"] = ["mpath-" + UPPER]
    _redigest(bad)
    with pytest.raises(san_validate.InvalidInput, match=r"steps\[0\]\.identity\.dm_uuid must be a string or null"):
        approval.validate(bad, 1001.0, approval.MAX_AGE)   # on 3d7a95c the gate raised AttributeError


# ------------------------------------------------------------------------------------------------ 9 (high)
def test_the_references_of_a_removed_t10_lu_do_not_name_the_live_lu_differing_only_in_case(tmp_path):
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import refs as act_refs
    env = FakeEnv(tmp_path)
    env._file("sys/block/dm-6/dm/name", "mpathy")          # the live map of LU 1VEND_abc, a PV in use
    env._file("sys/block/dm-6/dm/uuid", "mpath-" + LOWER)
    env._file("etc/lvm/devices/system.devices", "VERSION=1.1.3\n"
              "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/mpathy PVID=Xb2c\n" % LOWER)
    # this run removed LU 1VEND_Abc (map mpathx, path sdf); 1VEND_abc is still here
    executed = [{"action": "flush_map", "target": "mpathx", "outcome": "done"},
                {"action": "wait_map_gone", "target": "mpathx", "outcome": "done", "wwid": UPPER},
                {"action": "wait_disk_gone", "target": "sdf", "outcome": "done", "wwid": UPPER}]
    refs = act_refs.references(env.host(), executed, still_present=[LOWER, LOWER])
    assert refs == [], refs        # today: the live PV's line, which clean_references would comment out
