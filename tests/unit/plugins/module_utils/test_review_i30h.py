# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review (round 3) of 995ca68 (Host.map name-first / WWID-only, scsi_delete Unread, validate.WWID
1<text>, _normal_form keeping "1..." text): each finding a strict xfail that fails on 995ca68. Remove the marker
with the fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import maps as act_maps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import read_for
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.checks import verify_map
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActContext
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_review_i30g_modules import (
    W1, W2, _alias_tree)


def _lu_w1(tmp_path, alias_last):
    """The alias tree of review i30g #1 (LU W1's map mpatha; LU W2's map aliased "W1") and an act context on it;
    the step identity multipath_flush wwid=W1 (or stale_cleanup) plans for LU W1's map mpatha."""
    t = _alias_tree(tmp_path / str(alias_last), alias_last)
    host = ActContext(t.reader(), run=t.run, sleep=lambda s: None)
    m = t.reader().map(Wwid(W1), from_user=True)          # multipath_flush's lookup
    assert (m["name"], m["wwid"]) == ("mpatha", W1)                 # what the plan and check mode show
    step = {"action": "flush_map", "target": "mpatha", "unit": 1,
            "expect": {"name": "mpatha", "wwid": W1, "dm": m["dm"], "dev": m["dev"],
                       "slaves": sorted(p["name"] for p in m["paths"])}}
    return t, host, m, step


# ------------------------------------------------------------------------------------------------ 1 (high)
def test_the_act_finds_the_planned_map_by_its_wwid_not_a_map_named_like_it(tmp_path):
    for alias_last in (False, True):
        _t, host, m, step = _lu_w1(tmp_path, alias_last)
        for view in (False, True):
            host.view = read_for(host, [step]) if view else None
            try:
                live = host.map_now(step["expect"]["wwid"])
                # on 995ca68: the map named W1 (LU W2) without a view, either order; with a view when alias_last
                assert (live["name"], live["wwid"]) == ("mpatha", W1), (alias_last, view, live["name"])
                # and so the real run's re-check refuses what check mode planned ("identity changed")
                assert verify_map(host, step)["name"] == "mpatha"
            finally:
                host.view = None


def test_queueing_is_given_back_to_the_map_it_was_taken_from(tmp_path):
    t, host, m, _step = _lu_w1(tmp_path, alias_last=False)
    host.queueing_off[W1] = {"name": "mpatha", "dm": m["dm"], "was_queueing": True, "multipathd": True,
                             "unit": 1}
    t.run.set(["dmsetup", "info", "-u", "mpath-" + W1], "Name: mpatha\nState: ACTIVE\n")
    t.run.set(["multipathd", "restorequeueing", "map", "mpatha"], "ok\n")
    out = act_maps.restore_queueing(host, W1)
    # on 995ca68: "map mpatha is now dm-0, not dm-1: queueing NOT restored (identity changed)"
    assert ["multipathd", "restorequeueing", "map", "mpatha"] in [c[0] for c in t.run.calls], out


def test_a_map_left_suspended_by_a_failed_flush_is_the_one_resumed(tmp_path):
    t, host, m, _step = _lu_w1(tmp_path, alias_last=False)
    states = {"mpath-" + W1: ["SUSPENDED", "ACTIVE"], "mpath-" + W2: ["ACTIVE", "ACTIVE"]}

    def info(argv, _timeout):
        seen = states[argv[-1]]
        return 0, "State: %s\n" % (seen.pop(0) if len(seen) > 1 else seen[0]), ""
    for uuid in states:
        t.run.answers[("dmsetup", "info", "-u", uuid)] = info
        t.run.set(["dmsetup", "resume", "-u", uuid], "")
    detail = {}
    act_maps._after_failed_flush(host, m, detail)
    # on 995ca68: only mpath-W2 (the alias map) is looked at; mpatha stays SUSPENDED, detail says nothing
    assert ["dmsetup", "resume", "-u", "mpath-" + W1] in [c[0] for c in t.run.calls], (t.run.calls, detail)


# ------------------------------------------------------------------------------------------------ 2 (low)
def test_the_references_of_a_removed_t10_lu_do_not_name_a_live_lu_whose_wwid_it_begins_before_a_dash(tmp_path):
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_review_i30g import (
        references_after_removing)
    # LIO derives the t10 id from the backstore name; backstores "lun" and "lun-2" are two LUs
    removed, live = Wwid("t10.LIO-ORG lun"), Wwid("t10.LIO-ORG lun-2")    # "1LIO-ORG_lun", "1LIO-ORG_lun-2"
    refs = references_after_removing(tmp_path, removed, live)
    # the removed LU's own line (positive control), never the live one's (on 995ca68: lines 2 and 3)
    assert [r["line"] for r in refs] == [2], refs
