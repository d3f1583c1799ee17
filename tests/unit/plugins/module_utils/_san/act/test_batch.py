# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/batch.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import read_for
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.checks import verify_map
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActContext
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    W1, W2, WWID, WWID2, _lu_w1)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)


def test_the_act_finds_the_planned_map_by_its_wwid_not_a_map_named_like_it(tmp_path):
    """Fails when the act finds a map named like the planned WWID instead of the map with that WWID."""
    for alias_last in (False, True):
        _t, host, m, step = _lu_w1(tmp_path, alias_last)
        for view in (False, True):
            host.view = read_for(host, [step]) if view else None
            try:
                live = host.map_now(step.identity.wwid)
                # on 995ca68: the map named W1 (LU W2) without a view, either order; with a view when alias_last
                assert (live["name"], live["wwid"]) == ("mpatha", W1), (alias_last, view, live["name"])
                # and so the real run's re-check refuses what check mode planned ("identity changed")
                assert verify_map(host, step)["name"] == "mpatha"
            finally:
                host.view = None


def test_a_refused_unit_of_a_map_named_like_another_lus_wwid_keeps_that_lus_map_in_flush_maps():
    """Fails when refusing a map named like another LU's WWID drops that LU's approved map from flush_maps."""
    import json
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid
    snapshot = {"maps": {}, "disks": {}}
    steps = []
    for n, (wwid, name) in enumerate(((Wwid(W1), "mpatha"), (Wwid(W2), W1))):
        snapshot["maps"][wwid] = {"name": name, "wwid": wwid, "dm": "dm-%d" % n, "dev": "253:%d" % n,
                                  "paths": [{"name": "sd%s" % "bc"[n]}]}
        steps.append(plan_steps.step("flush_map", name, {"wwid": wwid, "name": name}).tagged("flush", "map %s" % name))
    plan = {"steps": steps, "skipped": [], "flush_maps": [Wwid(W1), Wwid(W2)], "delete_disks": [], "mismatches": []}
    artifact = json.loads(json.dumps(approval.plan_artifact(steps, snapshot, {"name": "h1"}, 1000.0)))
    artifact["steps"] = [st for st in artifact["steps"] if st["unit"] == "map mpatha"]  # LU W2's unit not approved
    out, seen = approval.gate(plan, snapshot, artifact)
    assert seen["refused"] == ["map %s" % W1], seen
    assert [st.target for st in out["steps"]] == ["mpatha"], out["steps"]
    # on 7120141 (and before): [] -- the approved flush of mpatha (LU W1) is still run, but no longer reported
    assert out["flush_maps"] == [W1], out["flush_maps"]


def _only_the_alias_map_left(tmp_path):
    """LU W1's map mpatha has just been flushed; LU W2's map, aliased "W1", is still here (dm-1, path sdc)."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import SanTree
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    t.disk("sdc", "2:0:0:2", "8:32", session=1, wwid="naa." + W2[1:])
    t.dm("dm-1", "253:1", W1, "mpath-" + W2, slaves=("sdc",))
    t = t.commands()
    return t, ActContext(t.reader(), run=t.run, sleep=lambda s: None)


def test_a_flushed_map_is_gone_though_another_lus_map_is_aliased_with_its_wwid(tmp_path):
    """Fails when wait_map_gone sees a flushed map still there because another LU's map is named like its WWID."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import maps as act_maps
    t, host = _only_the_alias_map_left(tmp_path)
    step = plan_steps.step("wait_map_gone", "mpatha", {"name": "mpatha", "wwid": W1}).tagged(None, 1)
    for view in (False, True):
        host.view = read_for(host, [step]) if view else None
        try:
            # on 7120141: the map named W1 (LU W2, dm-1)
            assert host.map_now(W1, "wwid") is None, view   # the act looks a planned WWID up among WWIDs only
            assert act_maps._map_gone(host, step, None) == {"outcome": "done"}, view
        finally:
            host.view = None


def test_the_one_read_for_a_batch_asks_for_its_disks_by_name_and_its_maps_by_wwid_each_once(env):
    """Fails when the one read of the host for a batch does not ask for exactly the batch's sd disks (by name, each
    once) and maps (by WWID, by name when the step has none; each once), sorted: a disk read as a map, a map missing
    from the read (then read as gone), or a device read twice."""
    steps = [plan_steps.step(action, target, ident) for action, target, ident in (
        ("delete_disk", "sdd", {"name": "sdd", "hctl": "5:0:0:1"}),
        ("wait_disk_gone", "sdc", {"name": "sdc", "hctl": "4:0:0:1"}),
        ("flush_buffers", "sdd", {"name": "sdd", "hctl": "5:0:0:1"}),
        ("rescan_disk", "sde", {"name": "sde", "hctl": "5:0:0:2"}),
        ("flush_map", "mpathq", {"name": "mpathq"}),
        ("flush_map", WWID, {"name": WWID, "wwid": WWID}),
        ("remove_wwid", WWID2, {"wwid": WWID2}),
        ("wait_map_gone", WWID, {"name": WWID, "wwid": WWID}))]
    assert read_for(env.host(), steps) is not None
    assert env.reader.calls[-1] == ("view", ("sdc", "sdd", "sde"), (WWID2, WWID, "mpathq")), env.reader.calls[-1]


@pytest.mark.parametrize("error", [deadline.DeadlineExceeded("read of the host's devices", 30),
                                   RuntimeError("the reader's child died"), OSError(12, "Cannot allocate memory")])
def test_a_batch_whose_one_read_fails_reads_step_by_step_and_says_why(env, error):
    """Fails when the one read for a batch that fails (past its deadline, a child that died, no fork) is not a
    batch without a read (its steps then read on their own), or the host's notes do not say which read failed
    and why."""
    def failing(names=(), maps=()):
        raise error
    env.reader.view = failing
    host = env.host()
    assert read_for(host, [plan_steps.step("delete_disk", "sdc", {"name": "sdc"})]) is None
    assert host.notes == ["the one read for 1 delete_disk step(s) failed (%s); each step read on its own" % error]
