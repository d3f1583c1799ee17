# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/batch.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import (
    disks_of, each_step, each_unit, map_by, map_key, poll_steps, read_for, single)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.checks import verify_map
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActContext, Interrupted
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    W1, W2, WWID, WWID2, _lu_w1, _orphan, delete_plan)
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


def _waits(*units):
    """wait_disk_gone steps of sdc, sdd, ... in `units` (one step each)."""
    return [plan_steps.step("wait_disk_gone", "sd" + "cdefgh"[i], {"name": "sd" + "cdefgh"[i], "hctl": "4:0:0:%d" % i})
            .tagged("delete", unit) for i, unit in enumerate(units)]


def _views(env):
    return [c for c in env.reader.calls if c[0] == "view"]


def test_a_step_planned_without_a_wwid_finds_its_map_by_name_only(env):
    """Fails when a map step without a planned WWID is looked for otherwise than among the maps' names (any map,
    WWIDs first: another LU's map whose WWID is the planned name's text), or one with a WWID otherwise than among
    WWIDs."""
    named = plan_steps.step("wait_map_gone", WWID2, {"name": WWID2})
    assert (map_key(named), map_by(named)) == (WWID2, "name")
    wwid = plan_steps.step("wait_map_gone", "mpathb", {"name": "mpathb", "wwid": WWID})
    assert (map_key(wwid), map_by(wwid)) == (WWID, "wwid")
    # LU WWID's map is named like LU WWID2's WWID; LU WWID2's own map is here too
    env.maps[WWID]["name"] = WWID2
    env.maps[WWID2] = dict(env.maps[WWID], name="mpathb", wwid=WWID2, dm="dm-4", dev="253:4")
    host = env.host()
    assert host.map_now(map_key(named), map_by(named))["wwid"] == WWID
    assert host.map_now(map_key(wwid), map_by(wwid))["name"] == WWID2


def test_the_disks_a_wait_reads_are_named_as_planned_else_by_the_steps_target(env):
    """Fails when a disk step without a planned name is read under another name than its target (observe.reread.
    leftovers then reads no disk for it), or one with a planned name under its target."""
    steps = [plan_steps.step("wait_disk_gone", "sdc", {"hctl": "4:0:0:1"}),
             plan_steps.step("wait_disk_gone", "sdd", {"name": "sde", "hctl": "5:0:0:1"})]
    assert disks_of(steps) == [("sdc", "4:0:0:1"), ("sde", "5:0:0:1")]


def test_a_wait_without_a_read_of_the_host_reads_nothing_per_round(env):
    """Fails when poll_steps(read=False) (the disk and NVMe waits, which read what they wait for with `prefetch`)
    still makes the batch read of the host each round, or poll_steps(read=True) does not make one per round."""
    host = env.host()
    answers = iter([None, None, {"outcome": "done"}])
    out = poll_steps(host, _waits(1), lambda h, st, extra: next(answers), lambda st: 30.0, None, read=False)
    assert out[0][1] == {"outcome": "done"}
    assert _views(env) == []
    answers = iter([None, None, {"outcome": "done"}])
    poll_steps(host, _waits(1), lambda h, st, extra: next(answers), lambda st: 30.0, None)
    assert len(_views(env)) == 3


def test_a_wait_hands_each_round_its_prefetched_read_and_none_when_that_read_fails(env):
    """Fails when the steps of a wait do not get, each round, what `prefetch` read for the steps still pending
    (its error: None, the steps then read on their own)."""
    host = env.host()
    seen, rounds = [], iter([{"sdc": "left"}, OSError(5, "Input/output error"), {"sdc": "gone"}])

    def prefetch(h, pending):
        r = next(rounds)
        if isinstance(r, Exception):
            raise r
        return dict(r, pending=[st.target for st in pending])

    def check(h, st, extra):
        seen.append(extra)
        return {"outcome": "done"} if extra and extra["sdc"] == "gone" else None
    out = poll_steps(host, _waits(1), check, lambda st: 30.0, None, read=False, prefetch=prefetch)
    assert out[0][1] == {"outcome": "done"}
    assert seen == [{"sdc": "left", "pending": ["sdc"]}, None, {"sdc": "gone", "pending": ["sdc"]}]


def test_a_step_still_waiting_at_its_budget_gets_expired_and_the_rest_of_its_unit_none(env):
    """Fails when a step waiting budget(step) seconds (not before, not later) does not get expired(host, step) and
    the seconds it waited, when another waiting step of its unit gets more than None (its unit stopped), when a step
    answered in time (also in the round its budget ends) is not kept with the seconds it took, when a step of another
    unit is cut short, or when the round's read is left in host.view after the wait."""
    host = env.host()
    steps = _waits(1, 1, 2, 3, 4)
    budgets = {"sdc": 1.0, "sdd": 1.0, "sde": 1.0, "sdf": 2.0, "sdg": 1.0}
    asked = []

    def check(h, st, extra):
        asked.append((h.clock(), st.target))
        if st.target == "sdg":  # answers in the round its budget ends: its answer, not expired
            return {"outcome": "done"} if h.clock() >= 1001.0 else None
        return {"outcome": "done"} if st.target == "sde" and h.clock() >= 1000.5 else None

    def expired(h, st):
        return ("expired", st.target, h.clock())
    out = poll_steps(host, steps, check, lambda st: budgets[st.target], expired, read=False)
    assert [(st.target, r, t) for st, r, t in out] == [
        ("sdc", ("expired", "sdc", 1001.0), 1.0), ("sdd", None, 0.0),
        ("sde", {"outcome": "done"}, 0.5), ("sdf", ("expired", "sdf", 1002.0), 2.0), ("sdg", {"outcome": "done"}, 1.0)]
    assert host.view is None  # the wait's last read is not left for what comes after it
    # every 0.25 s while waiting, the last time at its budget, never past it
    assert [t for t, name in asked if name == "sdc"] == [1000.0, 1000.25, 1000.5, 1000.75, 1001.0]
    assert [t for t, name in asked if name == "sdf"][-2:] == [1001.75, 1002.0]


def test_a_steps_error_while_waiting_stops_its_unit_and_only_its_unit(env):
    """Fails when a step whose check raises does not get that error (and the seconds waited), when the other steps
    of its unit, before or after it in the batch, wait on instead of getting None, or when another unit stops or
    waits a round longer (its step after a skipped one not asked in that round)."""
    host = env.host()
    steps = _waits(1, 1, 2, 1, 3)
    failed = ValueError("sdd came back")
    answers = {"sdc": [None, None], "sdd": [None, failed], "sde": [None, None, {"outcome": "done"}],
               "sdf": [None, None], "sdg": [None, {"outcome": "done"}]}

    def check(h, st, extra):
        r = answers[st.target].pop(0)
        if isinstance(r, Exception):
            raise r
        return r
    out = poll_steps(host, steps, check, lambda st: 30.0, None, read=False)
    assert [(st.target, r, t) for st, r, t in out] == [
        ("sdc", None, 0.0), ("sdd", failed, 0.25), ("sde", {"outcome": "done"}, 0.5), ("sdf", None, 0.0),
        ("sdg", {"outcome": "done"}, 0.25)]  # asked in the round its unit's neighbour in the batch (sdf) was skipped
    # sdf not asked once its unit stopped
    assert answers == {"sdc": [], "sdd": [], "sde": [], "sdf": [None], "sdg": []}


def test_a_signal_while_waiting_stops_every_step_still_waiting_with_interrupted(env):
    """Fails when a signal during a wait (its sleep's checkpoint) does not end the wait of every step still waiting
    with the Interrupted error (and the seconds waited), or takes the answer of a step done before it."""
    host = env.host()

    def check(h, st, extra):
        if st.target == "sdc":
            return {"outcome": "done"}
        h.interrupted = "SIGTERM"
        return None
    out = poll_steps(host, _waits(1, 2, 3), check, lambda st: 30.0, None, read=False)
    assert out[0][1:] == ({"outcome": "done"}, 0.0)
    assert [(type(r).__name__, str(r), t) for _st, r, t in out[1:]] == [(type(Interrupted("SIGTERM")).__name__,
                                                                         str(Interrupted("SIGTERM")), 0.0)] * 2
    assert isinstance(out[1][1], Interrupted) and out[1][1] is out[2][1]


def test_a_batch_reads_the_by_id_links_of_its_disks_only_when_asked(env):
    """Fails when each_step reads the /dev/disk/by-id links of the batch's disks (observe.reread.leftovers, one more
    forked read) for a batch that does not ask for them (links defaults to False: the map batches of act.maps), or
    does not hand them to the steps of one that asks (the delete_disk batch)."""
    host = env.host()
    steps = [plan_steps.step("delete_disk", n, {"name": n, "hctl": h}).tagged("delete", n)
             for n, h in (("sdc", "4:0:0:1"), ("sdd", "5:0:0:1"))]
    seen = []

    def fn(h, st):
        seen.append(h.view.links)
        return {"outcome": "done"}
    out = each_step(host, steps, fn)
    assert [(st.target, r) for st, r, _t in out] == [("sdc", {"outcome": "done"}), ("sdd", {"outcome": "done"})]
    assert seen == [None, None] and host.view is None
    del seen[:]
    each_step(host, steps, fn, links=True)
    assert [sorted(links) for links in seen] == [["sdc", "sdd"]] * 2, seen


def test_a_batch_without_its_read_or_whose_links_read_fails_still_runs_each_step_reading_on_its_own(env, monkeypatch):
    """Fails when each_step(read=False) (the scans, which look for what is not there yet) still reads the host for
    the batch, or when a read of the by-id links that fails (a hung /dev) fails the batch instead of leaving the
    links unread (None: each delete reads its own)."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
    host = env.host()
    steps = [plan_steps.step("delete_disk", "sdc", {"name": "sdc", "hctl": "4:0:0:1"}).tagged("delete", 1)]
    seen = []

    def fn(h, st):
        seen.append(h.view if h.view is None else h.view.links)
        return {"outcome": "done"}
    assert each_step(host, steps, fn, read=False, links=True)[0][1] == {"outcome": "done"}
    assert seen == [None] and _views(env) == []

    def hung(h, items):
        raise deadline.DeadlineExceeded("read of 1 deleted disk(s) in sysfs and /dev/disk/by-id", 10)
    monkeypatch.setattr(obs_reread, "leftovers", hung)
    assert each_step(host, steps, fn, links=True)[0][1] == {"outcome": "done"}
    assert seen == [None, None] and len(_views(env)) == 1


def _deletes(*units):
    return [plan_steps.step("delete_disk", "sd" + "cdefgh"[i], {"name": "sd" + "cdefgh"[i], "hctl": "4:0:0:%d" % i})
            .tagged("delete", unit) for i, unit in enumerate(units)]


@pytest.mark.parametrize("error", [KeyError("a bug in the check"), ValueError("sdc came back")])
def test_a_units_check_before_its_steps_that_fails_stops_that_unit_before_any_step(env, error):
    """Fails when a unit whose check before its first step (before: the disks still dead, the NVMe controllers
    checked) raises, an act's error or a bug, still runs a step, when its first step does not get that error and the
    seconds the check took, when its other steps get more than (None, 0.0), or when another unit is held up."""
    host = env.host()
    steps = _deletes(1, 1, 1, 2)
    ran = []

    def before(h, unit_steps):
        env.clock.now += 0.5
        if unit_steps[0].unit == 1:
            raise error

    def fn(h, st):
        ran.append(st.target)
        env.clock.now += 0.25
        return {"outcome": "done"}
    results = each_unit(host, steps, fn, None, before)
    assert [results[id(st)] for st in steps] == [(error, 0.5), (None, 0.0), (None, 0.0), ({"outcome": "done"}, 0.25)]
    assert ran == ["sdf"] and len(results) == 4


def test_a_bug_in_a_step_stops_its_unit_as_its_outcome_and_the_unit_goes_no_further(env):
    """Fails when a step raising what no act raises (a bug) is not that step's outcome (with its seconds), or its
    unit goes on to its next steps instead of giving each (None, 0.0); an act's error too."""
    host = env.host()
    steps = _deletes(1, 1, 1, 2, 2, 2)
    bug, refused = KeyError("a bug in the delete"), ValueError("sdg is someone else's")
    ran = []

    def fn(h, st):
        ran.append(st.target)
        env.clock.now += 0.25
        if st.target in ("sdc", "sdg"):
            raise bug if st.target == "sdc" else refused
        return {"outcome": "done"}
    results = each_unit(host, steps, fn, None)
    assert [results[id(st)] for st in steps] == [(bug, 0.25), (None, 0.0), (None, 0.0),
                                                 ({"outcome": "done"}, 0.25), (refused, 0.25), (None, 0.0)]
    assert ran == ["sdc", "sdf", "sdg"]


def test_units_run_on_worker_threads_only_when_there_are_several_units_and_workers(env):
    """Fails when a batch of one unit is handed to a worker thread (workers > 1), or several units with several
    workers run one after the other in the act's own thread; and when the caller's read (host.view) is not its
    own again after each_unit, or is lost after a SystemExit leaves a unit."""
    import threading
    view = read_for(env.host(), _deletes(1))
    for workers, units, in_main in ((4, (1, 1), True), (1, (1, 2), True), (2, (1, 2), False)):
        host = env.host(workers=workers)
        seen = []

        def fn(h, st):
            seen.append((threading.current_thread() is threading.main_thread(), h.view is view))
            return {"outcome": "done"}
        host.view = view
        each_unit(host, _deletes(*units), fn, view)
        assert seen == [(in_main, True)] * 2, (workers, units, seen)
        assert host.view is view, (workers, units)

    def leaves(h, st):
        raise SystemExit(3)
    host = env.host()
    host.view = view
    with pytest.raises(SystemExit):
        each_unit(host, _deletes(1), leaves, view)
    assert host.view is None  # not a half-reset read: the act's end (execute) re-reads what it gives back


def test_a_unit_leaving_the_act_on_a_worker_starts_no_other_unit(env):
    """Fails when, after SystemExit (anything but an Exception) left a unit on a worker thread, the workers go on
    taking units from the queue instead of stopping, so that execute() raises it only once every unit ran."""
    import threading
    import time
    host = env.host(workers=2)
    left, ran = threading.Event(), []

    def fn(h, st):
        ran.append(st.target)
        if st.target == "sdc":
            left.set()
            raise SystemExit(3)
        left.wait(5)
        time.sleep(0.2)  # the worker of sdc has recorded its escape by now
        return {"outcome": "done"}
    with pytest.raises(SystemExit):
        each_unit(host, _deletes(1, 2, 3, 4), fn, None)
    assert "sdc" in ran and "sde" not in ran and "sdf" not in ran, ran


def test_a_one_step_runner_reads_links_and_checks_its_units_only_as_built(env):
    """Fails when a runner built by single (the writers of the disk, scan and NVMe steps; built per test here,
    as the families build them at import) does not run its function on each step of the batch, reads the host for the
    batch or the by-id links unasked (a scan looks for what is not there yet), or skips the read, the links or the
    check of each unit (before) it was built with."""
    _orphan(env)
    steps = [st.tagged("delete", "u %s" % st.target) for st in delete_plan(env, ["sdc", "sdd"], flush_buffers=False)
             if st.action == "delete_disk"]
    seen, checked = [], []

    def fn(h, st):
        seen.append((st.target, h.view is not None and h.view.links is not None, h.view is not None))
        return {"outcome": "done", "of": st.target}
    out = single(fn)(env.host(), steps)
    assert [(st.target, r) for st, r, _t in out] == [("sdc", {"outcome": "done", "of": "sdc"}),
                                                     ("sdd", {"outcome": "done", "of": "sdd"})]
    assert seen == [("sdc", False, False), ("sdd", False, False)]
    del seen[:]
    single(fn, read=True, links=True, before=lambda h, unit_steps: checked.append(
        [st.target for st in unit_steps]))(env.host(), steps)
    assert seen == [("sdc", True, True), ("sdd", True, True)] and checked == [["sdc"], ["sdd"]]
    del seen[:]
    single(fn, read=True)(env.host(), steps)
    assert seen == [("sdc", False, True), ("sdd", False, True)]
