# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/maps.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time
from types import SimpleNamespace

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    context as act_context, execute, maps as act_maps)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import map_wwid
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    maps as plan_maps, steps as plan_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    W1, W2, WWID, WWID2, FakeEnv, _lu_w1, blocked_reader, disk, flush_plan, killed_closer, second_map, stale_maps,
    dead, two_units)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.plan.helpers import dead_map


def test_the_plan_and_the_act_read_one_release_settle(monkeypatch):
    """Fails when the plan and the act read the release settle time from two different places."""
    monkeypatch.setattr(plan_steps, "RELEASE_SETTLE", 3.0)
    planned = plan_maps.plan_map_flush(dead_map(), {"array_unmapped": True})[1]
    assert planned.action == "verify_unused"
    unset = plan_steps.step("verify_unused", W1)  # a step without its own settle
    acted = act_maps._settle(SimpleNamespace(wait_timeout=60.0), unset)
    assert planned.options["settle"] == acted == 3.0


def test_queueing_is_given_back_to_the_map_it_was_taken_from(tmp_path):
    """Fails when queueing is not restored to the map it was taken from because another map has its name."""
    t, host, m, _step = _lu_w1(tmp_path, alias_last=False)
    host.queueing_off[W1] = {"name": "mpatha", "dm": m["dm"], "was_queueing": True, "multipathd": True,
                             "unit": 1}
    t.run.set(["dmsetup", "info", "-u", "mpath-" + W1], "Name: mpatha\nState: ACTIVE\n")
    t.run.set(["multipathd", "restorequeueing", "map", "mpatha"], "ok\n")
    out = act_maps.restore_queueing(host, W1)
    # on 995ca68: "map mpatha is now dm-0, not dm-1: queueing NOT restored (identity changed)"
    assert ["multipathd", "restorequeueing", "map", "mpatha"] in [c[0] for c in t.run.calls], out


def test_a_map_left_suspended_by_a_failed_flush_is_the_one_resumed(tmp_path):
    """Fails when a failed flush resumes a map named like the flushed one and leaves the flushed map suspended."""
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


@pytest.mark.parametrize("uuid", ["mpath-eui.0025388b91b2e1c2", "mpath-600a098038303053453f463045494f41"])
def test_the_dm_uuid_built_from_a_maps_wwid_is_the_maps_own_uuid(uuid):
    """Fails when the dm uuid built from a map's WWID differs from the uuid the map has."""
    m = {"name": "mpathb", "wwid": map_wwid(uuid)}
    assert act_maps.dm_uuid(m) == uuid


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
    """Fails when a suspended map whose dm uuid is not spelt mpath-<lower hex> is not resumed."""
    uuid = "mpath-eui.0025388b91b2e1c2"
    host = _SuspendedMap(uuid)
    done = act_maps.resume_if_suspended(host, {"name": "mpathb", "wwid": map_wwid(uuid)})
    assert done is not None and not host.suspended, host.sent


# ---------------------------------------------------------------------------------------------- killed closers, again
@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def _released_on_a_killed_closer(env):
    """A dead map held by one open nobody sees, planned as a killed closer's: disable_queueing, verify_unused, ..."""
    host = killed_closer(env)
    plan = flush_plan(env, array_unmapped=True, exiting_opens=1)
    assert plan[0].action == "disable_queueing" and plan[0].options["exiting_opens"] == 1
    return host, plan


def _refused_before_anything_is_sent(env, host, plan, says):
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step.action == "disable_queueing" and says in str(info.value)
    assert not [argv for argv in env.commands if "disablequeueing" in argv or "fail_if_no_path" in argv]
    assert WWID in env.maps and env.maps[WWID]["queueing"] is True


def test_a_closer_gone_since_the_plan_leaves_the_open_it_vouched_for_a_hidden_users(env):
    """Fails when the act sends disablequeueing on the plan's count of killed closers alone: the closer finished
    between the plan's /proc scan and its open counts, so the open it vouched for is a hidden user's."""
    host, plan = _released_on_a_killed_closer(env)
    env.exiting_tasks = []
    _refused_before_anything_is_sent(env, host, plan, "more than the 0 task(s) exiting")


def test_a_disk_of_another_lun_blocked_at_act_time_stops_the_release(env):
    """Fails when the act counts only the batch's own devices: a SCSI disk of another LUN, in no step of the batch,
    is blocked now, and a task exiting while closing it holds an open no count shows."""
    host, plan = _released_on_a_killed_closer(env)
    env.add_disk(dict(disk("sde", "4:0:0:2", "8:64", WWID2), state="blocked"))
    _refused_before_anything_is_sent(env, host, plan, "sde (blocked) may wait for their transport")


def test_an_open_nobody_accounts_for_on_another_device_at_act_time_stops_the_release(env):
    """Fails when an open that appeared since the plan on another map (not in the batch) is not counted again."""
    host, plan = _released_on_a_killed_closer(env)
    b = stale_maps(env, 1)[0]
    env.maps[b]["open_count"] = 1
    _refused_before_anything_is_sent(env, host, plan, "%s 1" % env.maps[b]["dm"])


def test_a_whole_read_of_the_host_that_fails_stops_the_release(env, monkeypatch):
    """Fails when a read of the host that misses its deadline counts as no hidden open (fail open)."""
    host, plan = _released_on_a_killed_closer(env)

    def hung(probe=True):
        raise deadline.DeadlineExceeded("reading /sys/block", 10.0)
    monkeypatch.setattr(env.reader, "snapshot", hung)
    _refused_before_anything_is_sent(env, host, plan, "could not be read to count them again")


def test_the_host_is_read_whole_only_for_a_step_that_lets_a_closers_open_through(env):
    """Fails when every disable_queueing pays a whole read of the host (thousands of LUNs) it does not need."""
    reads = []
    env.reader.snapshot = lambda probe=True: reads.append(probe)
    host, plan = blocked_reader(env)
    execute.execute(flush_plan(env, array_unmapped=True), host)
    assert reads == [] and WWID not in env.maps


def _another_luns_disk_goes_blocked(env):
    if "sde" not in env.disks:
        env.add_disk(dict(disk("sde", "4:0:0:2", "8:64", WWID2), state="blocked"))


def test_a_disk_of_another_lun_blocked_during_the_batchs_read_stops_the_release(env):
    """Fails when the host is counted again before the batch's own read: a disk of another LUN that goes blocked
    while the batch reads is never seen, and the map's I/O is failed."""
    host, plan = _released_on_a_killed_closer(env)
    real = env.reader.view

    def then_blocked(*args, **kwargs):
        _another_luns_disk_goes_blocked(env)
        return real(*args, **kwargs)
    env.reader.view = then_blocked
    _refused_before_anything_is_sent(env, host, plan, "sde (blocked)")


def test_a_lun_mapped_back_while_the_host_is_counted_again_keeps_its_queued_io(env):
    """Fails when the whole read of the host comes between the paths' answers and the command: the LUN mapped back
    during that read (seconds, tens of them at a thousand LUNs) would still have its queued I/O failed."""
    host, plan = _released_on_a_killed_closer(env)
    real = env.reader.snapshot

    def mapped_back_meanwhile(probe=True):
        snap = real(probe)
        for n in ("sdc", "sdd"):
            env.probes[n] = {"result": "ready", "sense": None, "serial_live": None, "elapsed": 0.01}
        return snap
    env.reader.snapshot = mapped_back_meanwhile
    _refused_before_anything_is_sent(env, host, plan, "not every path says LOGICAL UNIT NOT SUPPORTED now")


def _maps_held_by_closers(env, n, workers=1):
    """n dead maps, each held by one open of a killed closer of its own; the batch of their disable_queueing steps."""
    host = killed_closer(env)
    host.workers = workers
    steps = []
    for k, w in enumerate([WWID] + stale_maps(env, n - 1)):
        env.maps[w]["openers"], env.maps[w]["open_count"] = [], 1
        if k:
            env.exiting_tasks.append({"pid": 500 + k, "comm": "(udev-worker)", "frames": ["blkdev_close"]})
        m = env.reader.map(w)
        m["probe"] = dict((p["name"], env.probes[p["name"]]) for p in m["paths"])
        steps += plan_steps.with_phase(plan_maps.plan_map_flush(m, {"array_unmapped": True, "exiting_opens": 1})[:1],
                                       "flush", "map %s" % w)
    return host, steps


def _outcomes(sent):
    return [r.get("outcome") if isinstance(r, dict) else type(r).__name__ for _st, r, _t in sent]


def _counting_reads(env):
    reads = []
    real = env.reader.snapshot
    env.reader.snapshot = lambda probe=True: reads.append(probe) or real(probe)
    return reads


def test_one_whole_read_of_the_host_serves_the_maps_that_ask_while_it_is_fresh(env):
    """Fails when every released map of a batch pays its own whole read of the host (tens of seconds each at a
    thousand LUNs, while the batch's earlier maps wait with queueing off), though no time passed between them."""
    reads = _counting_reads(env)
    host, steps = _maps_held_by_closers(env, 4)
    assert _outcomes(act_maps.disable_queueing(host, steps)) == ["done"] * 4
    assert reads == [False]


def test_a_later_map_of_a_long_batch_is_judged_by_a_count_made_again(env):
    """Fails when the count made for the first map of a batch still judges a map that asks longer than the command
    deadline later: a disk of another LUN went blocked after the first map's command (earlier maps' probes and
    commands can take minutes), and the later maps' I/O would still be failed."""
    host, steps = _maps_held_by_closers(env, 3)
    real = host.run

    def slow_then_blocked(argv, timeout, what=None, data=None):
        res = real(argv, timeout, what)
        if argv[:2] == ["multipathd", "disablequeueing"] and "sde" not in env.disks:
            env.add_disk(dict(disk("sde", "4:0:0:2", "8:64", WWID2), state="blocked"))
            env.clock.now += host.command_timeout + 1
        return res
    host.run = slow_then_blocked
    sent = act_maps.disable_queueing(host, steps)
    assert _outcomes(sent) == ["done", "Refused", "Refused"]
    assert all("sde (blocked)" in str(r) for _st, r, _t in sent[1:])


def _counted_checkpoints(host):
    """The calls of host.checkpoint: each step that asks for the count passes one before the lock."""
    calls = []
    real = host.checkpoint

    def counting():
        calls.append(1)
        return real()
    host.checkpoint = counting
    return calls


def _reads_that_wait_for_the_askers(env, host, askers, seconds):
    """The fake host's whole reads take `seconds` of its clock, and the first ends only once `askers` steps have
    asked (each passed its checkpoint before the lock; the reader passes one more inside): the others ask while it
    runs, whatever the load on the machine running the test."""
    reads = []
    calls = _counted_checkpoints(host)
    real = env.reader.snapshot

    def slow(probe=True):
        reads.append(probe)
        end = time.monotonic() + 10
        while len(calls) < askers + 1 and time.monotonic() < end:
            time.sleep(0.01)
        snap = real(probe)
        env.clock.now += seconds
        return snap
    env.reader.snapshot = slow
    return reads


def test_workers_that_ask_while_a_whole_read_runs_share_it(env):
    """Fails when the age of a count is taken when a worker gets the lock, not when it asked: every worker that
    waited on a read longer than the command deadline (a thousand LUNs) reads the host again, one after another."""
    host, steps = _maps_held_by_closers(env, 4, workers=4)
    reads = _reads_that_wait_for_the_askers(env, host, 4, host.command_timeout * 3)
    assert _outcomes(act_maps.disable_queueing(host, steps)) == ["done"] * 4
    assert reads == [False]


def test_workers_that_waited_on_a_read_during_which_sigterm_came_send_nothing(env):
    """Fails when the workers that waited on a whole read during which SIGTERM came read the host again or send
    disablequeueing: giving queueing back waits on them, and a SIGKILL may follow."""
    host, steps = _maps_held_by_closers(env, 4, workers=4)
    reads = _reads_that_wait_for_the_askers(env, host, 4, host.command_timeout * 3)
    real = env.reader.snapshot

    def then_sigterm(probe=True):
        snap = real(probe)
        host.interrupted = "SIGTERM"
        return snap
    env.reader.snapshot = then_sigterm
    act_maps.disable_queueing(host, steps)
    assert reads == [False] and not [argv for argv in env.commands if "disablequeueing" in argv]


def test_no_whole_read_starts_after_sigterm_in_a_step_that_waited_on_the_lock(env):
    """Fails when a step that needs a read of its own (the last count is older than the command deadline) starts it
    though SIGTERM came while it waited on the lock: giving queueing back waits on that read, and a SIGKILL may
    follow."""
    host = killed_closer(env)
    reads = _counting_reads(env)
    recount = act_maps._SharedRecount(host)
    recount.read_at = host.clock() - 2 * host.command_timeout
    calls = _counted_checkpoints(host)
    real = host.checkpoint

    def signal_while_waiting():
        real()
        if len(calls) == 1:     # passed before the lock; the signal comes while it waits there
            host.interrupted = "SIGTERM"
    host.checkpoint = signal_while_waiting
    with pytest.raises(act_context.Interrupted):
        recount()
    assert reads == []


# ---------------------------------------------------------------------------------------------- queueing off, confirmed
def _disable_step(env):
    st = flush_plan(env)[0]
    assert st.action == "disable_queueing" and st.identity.wwid == WWID
    return st


def test_a_map_still_queueing_at_the_deadline_fails_named_with_what_its_table_says(env):
    """Fails when a map whose live table still queues at the end of the wait is not failed, or its failure does not
    name the map, what the table says and the wait."""
    r = act_maps._queueing_still_on(env.host(command_timeout=12), _disable_step(env))
    assert isinstance(r, act_context.ActFailed) and r.target == "map %s" % WWID
    assert str(r) == "map %s: the live table still has queue_if_no_path 12s after disablequeueing" % WWID


def test_a_queueing_state_unread_at_the_deadline_fails_the_map_as_unconfirmed(env):
    """Fails when a live table that gave no queueing state at the end of the wait passes as queueing off, or is
    reported as still queueing."""
    env.maps[WWID]["queueing"] = None
    r = act_maps._queueing_still_on(env.host(), _disable_step(env))
    assert isinstance(r, act_context.ActFailed)
    assert str(r) == ("map %s: the live table could not be read to confirm queueing is off 10s after "
                      "disablequeueing" % WWID)


@pytest.mark.parametrize("gone", [True, False])
def test_a_map_gone_or_no_longer_queueing_at_the_deadline_is_confirmed(env, gone):
    """Fails when a map that left or stopped queueing just at the deadline is failed (or the check crashes on it)."""
    step = _disable_step(env)
    if gone:
        env._drop_map(env.maps[WWID])
    else:
        env.maps[WWID]["queueing"] = False
    assert act_maps._queueing_still_on(env.host(), step) is True


def test_the_map_confirmed_at_the_deadline_is_the_planned_wwids_not_one_aliased_with_it(env):
    """Fails when the last look at the deadline finds the planned WWID's map by any key: gone, another LU's map
    aliased with its WWID text (still queueing) would fail it."""
    step = _disable_step(env)
    env._drop_map(env.maps[WWID])
    second_map(env)
    env.maps[WWID2]["name"] = WWID
    assert act_maps._queueing_still_on(env.host(), step) is True


# ---------------------------------------------------------------------------------------------- forced removal
def test_a_forced_removal_is_in_the_flush_result_with_its_command_and_rc(env):
    """Fails when the flush result of a forced removal does not carry its command's answer and rc."""
    env.flush_failures = 10 ** 6
    executed = execute.execute(flush_plan(env, force_remove=True), env.host(flush_timeout=8, retry_interval=1))
    assert executed[1]["detail"]["attempts"][-1] == {
        "forced": "dmsetup remove --force --retry -u mpath-%s (rc=0): " % WWID, "rc": 0}


def _forced_removal_refused(env, host):
    """dmsetup remove --force answers busy and leaves the map there, suspended."""
    real = host.run

    def refused(argv, timeout, what=None, data=None):
        if argv[:2] == ["dmsetup", "remove"]:
            env.commands.append(list(argv))
            env.maps[WWID]["suspended"] = True
            return deadline.CommandResult(argv, 1, "", "device busy", 0.01)
        return real(argv, timeout, what)
    host.run = refused
    return host


def test_a_map_a_forced_removal_left_there_fails_its_flush_resumed(env):
    """Fails when a forced removal that did not remove the map counts as done (the WWID would be forgotten next), when
    the map is looked for by anything but its WWID (its name here is not its WWID), or when the map it left
    suspended is not resumed and said to be."""
    env.maps[WWID]["name"] = "mpatha"
    env.flush_failures = 10 ** 6
    host = _forced_removal_refused(env, env.host(flush_timeout=8, retry_interval=1))
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(flush_plan(env, force_remove=True), host)
    assert info.value.step.action == "flush_map" and WWID in env.maps and not env.maps[WWID]["suspended"]
    assert "multipath -f attempt(s) and dmsetup remove --force in" in str(info.value)
    assert info.value.cause.detail["resumed"] == [
        "map mpatha was SUSPENDED after a failed flush; dmsetup resume -u mpath-%s -> ACTIVE" % WWID]
    assert not [c for c in env.commands if c[:2] == ["multipath", "-w"]]


def test_a_forced_removal_is_judged_by_the_planned_wwids_map_not_one_aliased_with_it(env):
    """Fails when the look after a forced removal finds the map by any key: another LU's map aliased with the
    removed map's WWID text would fail a removal that succeeded."""
    env.maps[WWID]["name"] = "mpatha"
    second_map(env)
    env.maps[WWID2]["name"] = WWID
    env.flush_failures = 10 ** 6
    executed = execute.execute(flush_plan(env, force_remove=True), env.host(flush_timeout=8, retry_interval=1))
    assert executed[1]["detail"]["method"] == "dmsetup remove --force --retry"
    assert WWID not in env.maps and env.maps[WWID2]["name"] == WWID


def test_a_flush_out_of_budget_fails_naming_the_map_its_attempts_time_and_last_answer(env):
    """Fails when the failure of a flush that ran out of budget loses the map's name, its attempts (the result's
    detail), their count, the time they took or the last multipath -f answer, or says a forced removal ran."""
    env.flush_failures = 10 ** 6
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(flush_plan(env), env.host(flush_timeout=5, retry_interval=1))
    cause = info.value.cause
    attempts = cause.detail["attempts"]
    tried = [a for a in attempts if "out" in a]
    assert cause.target == "map %s" % WWID and len(tried) >= 2 and attempts[-1] is tried[-1]
    said = re.match(r"map %s: still present after (\d+) multipath -f attempt\(s\) in ([0-9.]+)s; last: (.*)$" % WWID,
                    str(cause))
    assert said and int(said.group(1)) == len(tried) and 0 < float(said.group(2)) <= 5, str(cause)
    assert said.group(3) == str(tried[-1]), str(cause)


# ---------------------------------------------------------------------------------------------- giving queueing back
def _queueing_taken(env, host, dm="dm-3", was_queueing=True, multipathd=True):
    env.maps[WWID]["queueing"] = False
    host.queueing_off[WWID] = {"name": env.maps[WWID]["name"], "dm": dm, "was_queueing": was_queueing, "multipathd": multipathd,
                               "unit": "map %s" % WWID}


def test_no_restore_report_for_a_map_whose_queueing_this_run_did_not_take(env):
    """Fails when restore_queueing reports (or touches) a map it has no record of."""
    assert act_maps.restore_queueing(env.host(), WWID) is None and env.commands == []


def test_a_map_gone_since_its_queueing_was_taken_is_reported_gone_untouched(env):
    """Fails when the report of a map gone before its restore is not `gone`, or its record stays to be tried again."""
    host = env.host()
    _queueing_taken(env, host)
    env._drop_map(env.maps[WWID])
    assert act_maps.restore_queueing(host, WWID) == {"map": WWID, "commands": [], "queueing_now": None,
                                                     "msg": "map %s is gone: no queueing to restore" % WWID}
    assert env.commands == [] and host.queueing_off == {}


def test_a_map_under_another_dm_device_gets_no_queueing_and_says_why(env):
    """Fails when queueing is given to a map whose dm device changed since it was taken, or the report hides it."""
    host = env.host()
    _queueing_taken(env, host, dm="dm-9")
    assert act_maps.restore_queueing(host, WWID) == {
        "map": WWID, "commands": [], "queueing_now": None,
        "msg": "map %s is now dm-3, not dm-9: queueing NOT restored (identity changed)" % WWID}
    assert env.commands == [] and env.maps[WWID]["queueing"] is False


def test_queueing_given_back_is_reported_with_its_command_and_the_tables_word(env):
    """Fails when the restore report loses the command sent or what the live table says after it."""
    host = env.host()
    _queueing_taken(env, host)
    assert act_maps.restore_queueing(host, WWID) == {
        "map": WWID, "commands": ["multipathd restorequeueing map %s (rc=0): ok" % WWID], "queueing_now": True,
        "msg": "queueing on map %s restored (queue_if_no_path now on)" % WWID}
    assert env.maps[WWID]["queueing"] is True and host.queueing_off == {}


def test_a_map_that_did_not_queue_gets_no_queueing_without_multipathd(env):
    """Fails when the restore imposes queue_if_no_path on a map that did not queue (no multipathd to undo it), or
    reports its state otherwise than off."""
    host = env.host()
    _queueing_taken(env, host, was_queueing=False, multipathd=False)
    out = act_maps.restore_queueing(host, WWID)
    assert out["commands"] == [] and out["queueing_now"] is False
    assert out["msg"] == "queueing on map %s restored (queue_if_no_path now off)" % WWID
    assert not [c for c in env.commands if c[:2] in (["dmsetup", "message"], ["multipathd", "restorequeueing"])]


@pytest.mark.parametrize("multipathd, was_queueing", [(True, False), (False, True)])
def test_queueing_is_given_back_when_multipathd_ran_or_the_map_queued(env, multipathd, was_queueing):
    """Fails when queueing is not given back to a map that queued (without multipathd: by dmsetup message), or when
    multipathd, which keeps its own setting, is not asked for it back."""
    host = env.host()
    _queueing_taken(env, host, was_queueing=was_queueing, multipathd=multipathd)
    out = act_maps.restore_queueing(host, WWID)
    sent = (["multipathd", "restorequeueing", "map", WWID] if multipathd
            else ["dmsetup", "message", "-u", "mpath-" + WWID, "0", "queue_if_no_path"])
    assert sent in env.commands and env.maps[WWID]["queueing"] is True and out["queueing_now"] is True


def test_a_suspended_map_is_resumed_before_its_queueing_is_given_back_and_the_report_says_so(env):
    """Fails when a map left suspended is not resumed first, or the restore report does not say it was."""
    host = env.host()
    _queueing_taken(env, host)
    env.maps[WWID]["suspended"] = True
    out = act_maps.restore_queueing(host, WWID)
    assert out["resumed"] == "map %s was SUSPENDED after a failed flush; dmsetup resume -u mpath-%s -> ACTIVE" % (
        WWID, WWID)
    assert env.maps[WWID]["suspended"] is False and out["queueing_now"] is True


def test_a_map_that_cannot_be_resumed_still_gets_its_queueing_and_the_report_says_not_resumed(env):
    """Fails when a map that stays suspended gets no queueing back (it would fail I/O once resumed), or the report
    does not say NOT resumed and why."""
    host = env.host()
    _queueing_taken(env, host)
    env.maps[WWID]["suspended"] = True
    real = host.run

    def stuck(argv, timeout, what=None, data=None):
        if argv[:2] == ["dmsetup", "resume"]:
            return deadline.CommandResult(argv, 1, "", "resume failed", 0.01)
        return real(argv, timeout, what)
    host.run = stuck
    out = act_maps.restore_queueing(host, WWID)
    assert out["resumed"] == ("NOT resumed: map %s: was left SUSPENDED by a failed flush and could not be resumed: "
                              "dmsetup resume -u mpath-%s (rc=1): resume failed" % (WWID, WWID))
    assert env.maps[WWID]["queueing"] is True and out["queueing_now"] is True


def test_a_restore_that_fails_is_reported_with_the_error_never_raised(env):
    """Fails when a restore whose read fails raises (the other units' restores would not run) or hides the error."""
    host = env.host()
    _queueing_taken(env, host)

    def broken(key, by="any"):
        raise ValueError("unreadable")
    env.reader.map = broken
    out = act_maps.restore_queueing(host, WWID)
    assert out == {"map": WWID, "commands": [], "queueing_now": None,
                   "msg": "queueing on map %s could NOT be restored: ValueError: unreadable" % WWID}


def test_a_restore_cut_by_a_keyboardinterrupt_keeps_its_record_for_the_acts_end(env):
    """Fails when a restore cut short by KeyboardInterrupt loses the map's record (the act's end would not retry)."""
    host = env.host()
    _queueing_taken(env, host)
    record = dict(host.queueing_off[WWID])

    def cut(key, by="any"):
        raise KeyboardInterrupt()
    env.reader.map = cut
    with pytest.raises(KeyboardInterrupt):
        act_maps.restore_queueing(host, WWID)
    assert host.queueing_off == {WWID: record}


# ---------------------------------------------------------------------------------------------- suspended maps
class _Dmsetup(object):
    """A host whose dmsetup answers `info` with the texts of `infos` in turn (rc `rc`) and `resume` with rc 0."""

    def __init__(self, infos, rc=0):
        self.infos, self.rc, self.sent = list(infos), rc, []

    def command(self, argv, what=None, budget_end=None):
        self.sent.append(argv)
        if argv[:2] == ["dmsetup", "info"]:
            return deadline.CommandResult(argv, self.rc, self.infos.pop(0), "", 0.01)
        return deadline.CommandResult(argv, 0, "", "", 0.01)


M = {"name": "mpathb", "wwid": WWID}


@pytest.mark.parametrize("info, state", [
    ("Name: mpathb\nState:             SUSPENDED\nRead Ahead: 256\n", "SUSPENDED"),
    ("Name: mpathb\n  State: suspended extra\n", "SUSPENDED"),
    ("Name: mpathb\nState: ACTIVE\n", "ACTIVE"),
    ("Name: mpathb\nState:\n", None),
    ("State:SUSPENDED\n", "SUSPENDED"),
    ("State: suspended (note: x)\n", "SUSPENDED"),
    ("State: a:b\n", "A:B"),
    ("State: :x\n", ":X"),
    ("State: x:\n", "X:"),
    ("Name: mpathb\nTables present: LIVE\n", None)])
def test_the_dm_state_is_the_first_word_of_the_state_line(info, state):
    """Fails when the state of `dmsetup info` is not read as the upper-cased first word after the first colon of its
    State: line, whatever follows (None when it has none)."""
    host = _Dmsetup([info])
    assert act_maps._dm_state(host, M) == state
    assert host.sent == [["dmsetup", "info", "-u", "mpath-" + WWID]]


def test_a_dm_state_of_a_failed_dmsetup_info_is_unknown():
    """Fails when the output of a failed dmsetup info is read as the map's state."""
    assert act_maps._dm_state(_Dmsetup(["State: SUSPENDED\n"], rc=1), M) is None


def test_a_map_not_suspended_is_left_alone():
    """Fails when a map that is not suspended is resumed."""
    host = _Dmsetup(["State: ACTIVE\n"])
    assert act_maps.resume_if_suspended(host, M) is None and len(host.sent) == 1


def test_a_suspended_map_is_resumed_by_its_uuid_and_what_was_done_is_said():
    """Fails when a suspended map is not resumed by its dm uuid, or the description loses the command or the state
    after it."""
    host = _Dmsetup(["State: SUSPENDED\n", "State: ACTIVE\n"])
    assert act_maps.resume_if_suspended(host, M) == (
        "map mpathb was SUSPENDED after a failed flush; dmsetup resume -u mpath-%s -> ACTIVE" % WWID)
    assert host.sent[1] == ["dmsetup", "resume", "-u", "mpath-" + WWID]


def test_a_map_still_suspended_after_its_resume_fails_named():
    """Fails when a map still suspended after dmsetup resume passes as resumed."""
    host = _Dmsetup(["State: SUSPENDED\n", "State: SUSPENDED\n"])
    with pytest.raises(act_context.ActFailed) as info:
        act_maps.resume_if_suspended(host, M)
    assert info.value.target == "map mpathb"
    assert str(info.value) == ("map mpathb: was left SUSPENDED by a failed flush and could not be resumed: "
                               "dmsetup resume -u mpath-%s (rc=0): " % WWID)


def test_a_failed_flush_whose_map_cannot_be_read_in_time_says_so(env):
    """Fails when a map whose state cannot be read after a failed flush is not said to be unchecked."""
    env.hang.add("dmsetup info")
    detail = {}
    act_maps._after_failed_flush(env.host(), dict(env.reader.map(WWID), name="mpathz"), detail)
    assert detail == {"resumed": ["could not check whether map mpathz is suspended: dmsetup info -u mpath-%s did not "
                                  "finish within 10.0s (the device may be hung; the child was abandoned)" % WWID]}


# ---------------------------------------------------------------------------------------------- queueing commands
def test_a_map_aliased_like_a_dm_device_is_addressed_by_its_own_dm_device(env):
    """Fails when multipathd is sent a map's name that reads as a dm-N (another map's minor)."""
    m = dict(env.reader.map(WWID), name="dm-1")
    log = []
    act_maps._set_queueing(env.host(), m, False, True, log)
    assert env.commands == [["multipathd", "disablequeueing", "map", "dm-3"]] and len(log) == 1


@pytest.mark.parametrize("answer", ["fail\n", "FAIL: no such map\n"])
def test_a_multipathd_that_answers_fail_is_not_believed(env, answer):
    """Fails when multipathd's `fail` answer (rc 0) counts as queueing turned off: the dm message is sent."""
    host = env.host()
    host.run = lambda argv, timeout, what=None: (
        env.commands.append(list(argv)) or deadline.CommandResult(argv, 0, answer, "", 0.01))
    log = []
    act_maps._set_queueing(host, env.reader.map(WWID), False, True, log)
    assert env.commands[1] == ["dmsetup", "message", "-u", "mpath-" + WWID, "0", "fail_if_no_path"] and len(log) == 2


@pytest.mark.parametrize("enable, verb", [(False, "disable"), (True, "restore")])
def test_queueing_neither_form_accepts_fails_naming_the_map_and_commands(env, enable, verb):
    """Fails when a queueing change neither multipathd nor dmsetup accepted passes, or its failure loses the map,
    the verb or the commands tried."""
    host = env.host()
    host.run = lambda argv, timeout, what=None: deadline.CommandResult(argv, 1, "", "no", 0.01)
    log = []
    with pytest.raises(act_context.ActFailed) as info:
        act_maps._set_queueing(host, env.reader.map(WWID), enable, True, log)
    word = "queue_if_no_path" if enable else "fail_if_no_path"
    assert str(info.value) == "map %s: could not %s queueing: dmsetup message -u mpath-%s 0 %s (rc=1): no" % (
        WWID, verb, WWID, word)
    assert info.value.detail == {"commands": log} and len(log) == 2


# ---------------------------------------------------------------------------------------------- map gone, WWID forgotten
def _unit_steps(env, action):
    return [st for st in flush_plan(env) if st.action == action]


def test_a_map_still_there_at_the_end_of_the_wait_fails_named_with_the_wait(env):
    """Fails when a map still present after the wait passes, or its failure loses the map or the wait."""
    host = env.host(wait_timeout=7)
    ((_st, r, _t),) = act_maps.wait_map_gone(host, _unit_steps(env, "wait_map_gone"))
    assert isinstance(r, act_context.ActFailed) and str(r) == "map %s: still present 7s after the flush" % WWID


def test_a_map_gone_is_done_and_no_longer_has_queueing_to_give_back(env):
    """Fails when a map gone is not done, or its record of queueing taken stays (the act's end would restore it)."""
    host = env.host()
    _queueing_taken(env, host)
    steps = _unit_steps(env, "wait_map_gone")
    env._drop_map(env.maps[WWID])
    ((_st, r, _t),) = act_maps.wait_map_gone(host, steps)
    assert r == {"outcome": "done"} and host.queueing_off == {}


def test_a_wwid_forgotten_is_done_with_the_tools_answer_and_the_file_checked(env):
    """Fails when the result of multipath -w loses its answer or whether the wwids file was read after it."""
    steps = _unit_steps(env, "remove_wwid")
    env._drop_map(env.maps[WWID])
    ((_st, r, _t),) = act_maps.remove_wwid(env.host(), steps)
    assert r == {"outcome": "done", "output": "wwid '%s' removed" % WWID, "wwids_file_checked": True}


def test_a_wwid_whose_map_is_live_is_not_forgotten(env):
    """Fails when multipath -w is sent for a WWID whose map is still there, or the refusal loses its kind."""
    ((_st, r, _t),) = act_maps.remove_wwid(env.host(), _unit_steps(env, "remove_wwid"))
    assert isinstance(r, Refused) and (r.target, r.kind) == ("wwid %s" % WWID, "live_map")
    assert str(r) == "wwid %s: its map is still present; not removing it from the wwids file" % WWID
    assert env.commands == []


def test_a_failed_multipath_w_fails_named_with_its_answer(env):
    """Fails when a multipath -w that failed passes, or its failure loses the command's answer."""
    steps = _unit_steps(env, "remove_wwid")
    env._drop_map(env.maps[WWID])
    host = env.host()
    host.run = lambda argv, timeout, what=None: deadline.CommandResult(argv, 1, "", "cannot open wwids", 0.01)
    ((_st, r, _t),) = act_maps.remove_wwid(host, steps)
    assert isinstance(r, act_context.ActFailed)
    assert str(r) == "wwid %s: multipath -w failed: multipath -w %s (rc=1): cannot open wwids" % (WWID, WWID)


def test_a_wwid_still_listed_after_multipath_w_fails_naming_the_file(env):
    """Fails when a WWID the wwids file still lists after multipath -w passes."""
    steps = _unit_steps(env, "remove_wwid")
    env._drop_map(env.maps[WWID])
    host = env.host()
    host.run = lambda argv, timeout, what=None: deadline.CommandResult(argv, 0, "ok\n", "", 0.01)
    ((_st, r, _t),) = act_maps.remove_wwid(host, steps)
    assert isinstance(r, act_context.ActFailed)
    assert str(r) == "wwid %s: still listed in /etc/multipath/wwids after multipath -w" % WWID


# ---------------------------------------------------------------------------------------------- still used after the settle
def _verify_unused_step(env, leaves=False):
    """The verify_unused step of a dead unmapped map a blocked dd holds (that stays, unless `leaves`)."""
    host, _events = blocked_reader(env, leaves=leaves)
    (st,) = [s for s in flush_plan(env, array_unmapped=True) if s.action == "verify_unused"]
    return host, st.with_options(settle=4.0)


def test_a_map_still_used_after_the_settle_is_refused_naming_its_opener_and_the_wait(env):
    """Fails when a dead map whose opener stays after the settle is not refused by the in-use check (its opener
    named), or the refusal does not say how long it waited and that nothing was flushed."""
    host, st = _verify_unused_step(env)
    ((_st, r, _t),) = act_maps.verify_unused(host, [st])
    assert isinstance(r, Refused) and r.kind == "opener" and "pid 4242 (dd)" in str(r)
    assert str(r).startswith("map %s: " % WWID)
    assert str(r).endswith(" (still there 4s after queueing was disabled; nothing flushed)"), str(r)


def test_the_settle_is_capped_by_the_wait_timeout(env):
    """Fails when a map's settle longer than the wait timeout is waited in full."""
    host, st = _verify_unused_step(env)
    host.wait_timeout = 2.0
    ((_st, r, _t),) = act_maps.verify_unused(host, [st])
    assert str(r).endswith(" (still there 2s after queueing was disabled; nothing flushed)"), str(r)


def test_a_map_gone_at_the_end_of_the_settle_is_already_absent(env):
    """Fails when a map that left just as its settle ended is refused or reported otherwise than already_absent."""
    host, st = _verify_unused_step(env)
    env._drop_map(env.maps[WWID])
    assert act_maps._still_used(host, st) == {"outcome": "already_absent"}


def test_a_map_unused_after_queueing_is_off_is_done_with_the_time_it_waited(env):
    """Fails when a map its opener left is not done, or the result loses how long it waited."""
    host, st = _verify_unused_step(env, leaves=True)
    env.maps[WWID]["openers"], env.maps[WWID]["open_count"] = [], 0
    ((_st, r, t),) = act_maps.verify_unused(host, [st])
    assert r == {"outcome": "done", "waited": round(t, 2)}


# ---------------------------------------------------------------------------------------------- queueing off, refused or sent
def _first_outcome(host, plan):
    ((_st, r, _t),) = act_maps.disable_queueing(host, plan[:1])
    return r


def test_a_release_the_host_no_longer_vouches_for_is_refused_on_the_open_count_with_its_evidence(env):
    """Fails when the refusal of a release whose killed closers no longer account for every hidden open loses its
    kind, the opens the plan counted, the reason of the count, or the map's open count and openers."""
    host, plan = _released_on_a_killed_closer(env)
    env.exiting_tasks = []
    r = _first_outcome(host, plan)
    assert isinstance(r, Refused) and (r.target, r.kind) == ("map %s" % WWID, "open_count")
    why = act_maps.hidden_opens_recount(host)
    assert why and str(r) == ("map %s: was planned with 1 open(s) held by tasks exiting while closing it, but the "
                              "whole host counted again now says otherwise: %s; not failing its I/O" % (WWID, why))
    assert r.evidence == {"open_count": 1, "openers": []}


def test_a_dead_map_with_openers_and_a_path_back_is_refused_as_opener_with_its_evidence(env):
    """Fails when the refusal of a dead map whose path came back loses its kind, its openers or its paths."""
    host, _events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    env.maps[WWID]["paths"][0]["dm_state"] = "active"
    r = _first_outcome(host, plan)
    assert isinstance(r, Refused) and r.kind == "opener"
    assert str(r) == ("map %s: has openers (pid 4242 (dd)) and a path is no longer failed; it was planned as a dead "
                      "map, not touching it" % WWID)
    assert r.evidence == {"openers": env.maps[WWID]["openers"], "paths": env.maps[WWID]["paths"]}


def test_a_dead_map_whose_paths_no_longer_all_say_lun_not_supported_is_refused_with_every_answer(env):
    """Fails when the refusal of a release some path no longer answers LOGICAL UNIT NOT SUPPORTED for loses its
    kind, any path's answer, or the probes as evidence."""
    host, _events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    env.probes["sdd"] = {"result": "no_answer", "serial_live": None}
    r = _first_outcome(host, plan)
    assert isinstance(r, Refused) and r.kind == "opener"
    assert str(r) == ("map %s: was planned as a dead map the array no longer maps, but not every path says LOGICAL "
                      "UNIT NOT SUPPORTED now (sdc: lun_not_supported, sdd: no_answer); not failing its openers' I/O"
                      % WWID)
    assert sorted(r.evidence["probes"]) == ["sdc", "sdd"] and r.evidence["probes"]["sdd"]["result"] == "no_answer"


def test_queueing_taken_is_recorded_for_its_restore_and_the_command_is_in_the_result(env):
    """Fails when the record a restore needs (name, dm, whether it queued, whether multipathd ran, the unit) or the
    command sent is lost."""
    host = env.host()
    plan = plan_steps.with_phase(flush_plan(env), "flush", "map %s" % WWID)
    r = _first_outcome(host, plan)
    assert r == {"outcome": "done", "commands": ["multipathd disablequeueing map %s (rc=0): ok" % WWID]}
    assert host.queueing_off == {WWID: {"name": WWID, "dm": "dm-3", "was_queueing": True, "multipathd": True,
                                        "unit": "map %s" % WWID}}


def test_a_released_map_whose_queueing_state_is_unread_is_recorded_as_queueing(env):
    """Fails when a released dead map whose table gave no queueing state is recorded as not queueing (its restore
    without multipathd would leave it failing I/O)."""
    host, _events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    env.maps[WWID]["queueing"] = None
    _first_outcome(host, plan)
    assert host.queueing_off[WWID]["was_queueing"] is True


def test_a_map_whose_queueing_state_is_unread_is_refused_as_unknown_before_anything_is_sent(env):
    """Fails when the refusal of a map whose queueing cannot be read loses its kind, its reason or the map read."""
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = None
    r = _first_outcome(env.host(), plan)
    assert isinstance(r, Refused) and r.kind == "unknown" and r.evidence["map"]["name"] == WWID
    assert str(r) == ("map %s: its queueing state could not be read now (the live table gave none): queueing is not "
                      "turned off, since what to give back is unknown" % WWID)
    assert env.commands == []


def test_a_map_already_gone_needs_no_queueing_off(env):
    """Fails when a map gone before its queueing is turned off is not already_absent, or a command is sent."""
    plan = flush_plan(env)
    env._drop_map(env.maps[WWID])
    assert _first_outcome(env.host(), plan) == {"outcome": "already_absent"} and env.commands == []


# ---------------------------------------------------------------------------------------------- flush attempts
def test_a_flush_result_carries_each_attempt_and_the_queueing_turned_off_again(env):
    """Fails when the flush result loses an attempt's rc, answer or time, the queueing turned off again after a
    failed attempt (it restores queueing), or the method used."""
    env.flush_failures = 1
    executed = execute.execute(flush_plan(env), env.host())
    assert executed[1]["action"] == "flush_map"
    assert executed[1]["detail"] == {"method": "multipath -f", "attempts": [
        {"rc": 1, "out": "%s: map in use" % WWID, "elapsed": 0.05},
        {"requeue_off": "multipathd disablequeueing map %s (rc=0): ok" % WWID},
        {"rc": 0, "out": "", "elapsed": 0.05}]}


def test_the_answer_of_an_attempt_is_kept_to_its_last_400_characters(env):
    """Fails when a long multipath -f answer is not cut to its last 400 characters in the result."""
    host = env.host()
    real = host.run
    said = "x" * 300 + "y" * 300

    def long_answer(argv, timeout, what=None, data=None):
        res = real(argv, timeout, what)
        return deadline.CommandResult(argv, res.rc, said, "\n", 0.05) if argv[:2] == ["multipath", "-f"] else res
    host.run = long_answer
    executed = execute.execute(flush_plan(env), host)
    assert executed[1]["detail"]["attempts"] == [{"rc": 0, "out": "x" * 100 + "y" * 300, "elapsed": 0.05}]


@pytest.mark.parametrize("force, tries", [(False, 8), (True, 6)])
def test_a_flush_allowed_to_force_keeps_a_quarter_of_its_budget_for_the_forced_removal(env, force, tries):
    """Fails when the multipath -f attempts of a flush allowed to force do not stop within three quarters of its
    budget (8 s: attempts 1.15 s apart), or those of one that may not force stop before the whole budget."""
    env.flush_failures = 10 ** 6
    starts = []
    host = env.host(flush_timeout=8, retry_interval=1)
    real = host.run

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipath", "-f"]:
            starts.append(env.clock.now)
        return real(argv, timeout, what)
    host.run = run
    try:
        execute.execute(flush_plan(env, force_remove=force), host)
    except act_context.ExecutionError:
        pass
    assert len(starts) == tries and starts[-1] - starts[0] < 8 * (0.75 if force else 1.0) + 0.1, starts


# ---------------------------------------------------------------------------------------------- the shared count
def test_a_count_that_cannot_be_made_is_a_reason_to_refuse_and_a_note(env, monkeypatch):
    """Fails when a count of the hidden opens that raises passes as no reason (fail open), or leaves no note."""
    host = killed_closer(env)

    def broken(_host):
        raise KeyError("dm-3")
    monkeypatch.setattr(act_maps, "hidden_opens_recount", broken)
    assert act_maps._SharedRecount(host)() == "the count could not be made (KeyError: 'dm-3')"
    assert len(host.notes) == 1 and host.notes[0].startswith("the count of hidden opens failed: ")
    assert "KeyError: 'dm-3'" in host.notes[0]


def test_a_signal_during_the_count_stops_the_step_instead_of_refusing_it(env, monkeypatch):
    """Fails when a signal that cut the count short is turned into a reason (the step would be refused, not
    stopped, and the act would go on)."""
    host = killed_closer(env)

    def cut(_host):
        raise act_context.Interrupted("SIGTERM")
    monkeypatch.setattr(act_maps, "hidden_opens_recount", cut)
    with pytest.raises(act_context.Interrupted):
        act_maps._SharedRecount(host)()


@pytest.mark.parametrize("age, reads", [(0.0, 0), (10.0, 0), (10.01, 1)])
def test_a_count_is_shared_up_to_the_command_deadline_after_its_read_began(env, age, reads):
    """Fails when a count as old as the command deadline is read again, or one older is still shared."""
    host = killed_closer(env)
    counted = _counting_reads(env)
    recount = act_maps._SharedRecount(host)
    recount.read_at, recount.why = host.clock() - age, "the count before"
    assert recount() == ("the count before" if not reads else None) and len(counted) == reads
    assert recount.read_at == host.clock() - (age if not reads else 0)


def test_the_first_count_reads_the_host_and_remembers_when(env):
    """Fails when the first step that asks does not read the host whole (without probes), or the count's time is
    not the moment its read began."""
    host = killed_closer(env)
    counted = _counting_reads(env)
    recount = act_maps._SharedRecount(host)
    start = host.clock()
    assert recount() is None and counted == [False] and recount.read_at == start


# ---------------------------------------------------------------------------------------------- the batch's time
def test_the_time_of_a_confirmed_queueing_off_counts_the_send_and_the_wait(env):
    """Fails when a map's time in disable_queueing leaves out the wait for its table to confirm queueing is off."""
    host = env.host()
    plan = flush_plan(env)
    real = host.run

    def late(argv, timeout, what=None, data=None):
        res = real(argv, timeout, what)
        if argv[:2] == ["multipathd", "disablequeueing"]:
            env.maps[WWID]["queueing"] = True   # the table turns it off a poll later
        return res
    host.run = late
    slept = host._sleep

    def sleep(s):
        slept(s)
        env.maps[WWID]["queueing"] = False
    host._sleep = sleep
    start = env.clock.now
    ((_st, r, t),) = act_maps.disable_queueing(host, plan[:1])
    assert r["outcome"] == "done" and t == pytest.approx(env.clock.now - start) and t > host.poll_interval


# ---------------------------------------------------------------------------------------------- flush_map
def test_when_whether_multipathd_runs_cannot_be_read_no_map_is_flushed(env):
    """Fails when a flush batch whose scan for multipathd failed flushes anyway, or a map's result hides why."""
    host = env.host()
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = False

    def hung():
        raise deadline.DeadlineExceeded("scan of /proc for multipathd", 10.0)
    host.multipathd_running = hung
    ((_st, r, _t),) = act_maps.flush_map(host, [st for st in plan if st.action == "flush_map"])
    assert isinstance(r, deadline.DeadlineExceeded) and WWID in env.maps
    assert not [c for c in env.commands if c[:2] == ["multipath", "-f"]]


def test_a_map_gone_before_its_flush_is_already_absent(env):
    """Fails when a map gone before its flush is not already_absent, or a multipath -f is sent, or the batch's read
    is left behind (a read outside a batch would answer from it)."""
    plan = flush_plan(env)
    env._drop_map(env.maps[WWID])
    host = env.host()
    ((_st, r, _t),) = act_maps.flush_map(host, [st for st in plan if st.action == "flush_map"])
    assert r == {"outcome": "already_absent"} and env.commands == [] and host.view is None


# ---------------------------------------------------------------------------------------------- harmless openers, rounds
def _bounded_sleeps(host, most=400):
    """host's sleeps counted; the test fails (instead of hanging) past `most` of them."""
    slept = []
    real = host._sleep

    def sleep(s):
        slept.append(s)
        assert len(slept) <= most, "still sleeping after %d waits" % most
        real(s)
    host._sleep = sleep
    return slept


def _udev_holds(env, leaves_after=None, gone_after=None):
    """A udev worker holds the map (planned: harmless); it leaves, or the map goes, after that many sleeps."""
    env.maps[WWID]["openers"] = [{"pid": 77, "comm": "(udev-worker)"}]
    env.maps[WWID]["open_count"] = 1
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = False
    host = env.host(wait_timeout=3)
    slept = _bounded_sleeps(host)
    real = host._sleep

    def sleep(s):
        real(s)
        if leaves_after is not None and len(slept) >= leaves_after and WWID in env.maps:
            env.maps[WWID]["openers"], env.maps[WWID]["open_count"] = [], 0
        if gone_after is not None and len(slept) >= gone_after and WWID in env.maps:
            env._drop_map(env.maps[WWID])
    host._sleep = sleep
    return host, [st for st in plan if st.action == "flush_map"], slept


def test_a_harmless_opener_that_stays_is_waited_for_the_wait_timeout_then_the_map_is_flushed(env):
    """Fails when the flush does not wait wait_timeout for a udev worker to leave, or waits for ever."""
    host, steps, slept = _udev_holds(env)
    start = env.clock.now
    ((_st, r, _t),) = act_maps.flush_map(host, steps)
    flushed_at = [c for c in env.commands if c[:2] == ["multipath", "-f"]]
    assert r["outcome"] == "done" and flushed_at and WWID not in env.maps
    assert sum(slept) >= 3 and sum(slept) < 3 + 2 * host.poll_interval and env.clock.now - start >= 3


def test_a_harmless_opener_that_leaves_ends_the_wait(env):
    """Fails when the wait for a udev worker goes on after it left."""
    host, steps, slept = _udev_holds(env, leaves_after=2)
    ((_st, r, _t),) = act_maps.flush_map(host, steps)
    assert r["outcome"] == "done" and len(slept) == 2 and WWID not in env.maps


def test_a_map_gone_while_its_harmless_opener_was_waited_for_is_done_without_a_flush(env):
    """Fails when a map that went away during the wait is flushed anyway or reported otherwise than done."""
    host, steps, slept = _udev_holds(env, gone_after=1)
    ((_st, r, _t),) = act_maps.flush_map(host, steps)
    assert r == {"outcome": "done", "attempts": [], "method": "multipath -f"} and len(slept) == 1
    assert not [c for c in env.commands if c[:2] == ["multipath", "-f"]]


def test_a_map_changed_between_two_flush_attempts_is_refused_not_flushed_again(env):
    """Fails when a map that gained a path after a failed flush is flushed again instead of refused."""
    env.flush_failures = 10 ** 6
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = False
    host = env.host(flush_timeout=8, retry_interval=1)
    _bounded_sleeps(host)
    real = host.run

    def path_added(argv, timeout, what=None, data=None):
        res = real(argv, timeout, what)
        if argv[:2] == ["multipath", "-f"]:
            env.maps[WWID]["paths"].append({"name": "sde", "dm_state": "failed"})
        return res
    host.run = path_added
    ((_st, r, _t),) = act_maps.flush_map(host, [st for st in plan if st.action == "flush_map"])
    assert isinstance(r, Refused) and r.kind == "identity"
    assert len([c for c in env.commands if c[:2] == ["multipath", "-f"]]) == 1


def test_a_map_gone_after_the_look_that_follows_a_failed_attempt_is_done(env):
    """Fails when a map gone by the re-check before the next attempt is flushed again or not done, or when the rounds
    end on it with anything but None as the host's view (the batch's read outliving it: later steps would read a stale
    host)."""
    env.flush_failures = 1
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = False
    host = env.host()
    real = host._sleep

    def gone(s):
        real(s)
        if WWID in env.maps:
            env._drop_map(env.maps[WWID])
    host._sleep = gone
    _bounded_sleeps(host)
    ((_st, r, _t),) = act_maps.flush_map(host, [st for st in plan if st.action == "flush_map"])
    assert r["outcome"] == "done" and len(r["attempts"]) == 1 and host.view is None
    assert len([c for c in env.commands if c[:2] == ["multipath", "-f"]]) == 1


def test_a_map_unused_only_at_the_last_look_after_its_settle_is_still_refused(env):
    """Fails when a map that was still used at every poll of its settle, and that the last look finds unused, is let
    through to its flush, or refused without its name, kind or wait (fail closed: its user may be between opens)."""
    host, st = _verify_unused_step(env)
    env.maps[WWID]["openers"], env.maps[WWID]["open_count"] = [], 0
    r = act_maps._still_used(host, st)
    assert isinstance(r, Refused) and (r.target, r.kind) == ("map %s" % WWID, "opener")
    assert str(r) == "map %s: is still in use 4s after queueing was disabled" % WWID


def test_a_map_gone_during_its_settle_is_already_absent(env):
    """Fails when a map that went away while its openers were waited for is reported otherwise than
    already_absent (or as done, with a wait)."""
    host, st = _verify_unused_step(env)
    env._drop_map(env.maps[WWID])
    ((_st, r, _t),) = act_maps.verify_unused(host, [st])
    assert r == {"outcome": "already_absent"}


@pytest.mark.parametrize("openers, open_count, done", [
    ([{"pid": 4242, "comm": "dd"}], 0, False),          # a process listed, its open not (yet) counted
    ([], 1, False),                                       # an open nobody is seen to hold
    ([{"pid": 77, "comm": "(udev-worker)"}], 1, True),   # held by a harmless opener only: flush_map's to wait for
    ([], 0, True)])
def test_a_map_is_unused_when_no_process_holds_it_and_every_open_is_explained(env, openers, open_count, done):
    """Fails when verify_unused lets through a map a workload process still holds or an open nobody explains holds,
    or refuses one held only by a harmless opener (udev, blkid: flush_map waits for those)."""
    host, st = _verify_unused_step(env)
    env.maps[WWID]["openers"], env.maps[WWID]["open_count"] = openers, open_count
    ((_st, r, _t),) = act_maps.verify_unused(host, [st])
    assert (r.get("outcome") == "done") if done else isinstance(r, Refused), r


def test_the_time_a_map_waited_to_be_unused_is_in_its_result_to_the_hundredth(env):
    """Fails when the result of a map whose opener left after a poll does not say how long it waited, to 0.01 s."""
    host, st = _verify_unused_step(env)
    host.poll_interval = 0.1234
    real = host._sleep

    def leaves(s):
        real(s)
        env.maps[WWID]["openers"], env.maps[WWID]["open_count"] = [], 0
    host._sleep = leaves
    ((_st, r, t),) = act_maps.verify_unused(host, [st])
    assert r == {"outcome": "done", "waited": 0.12} and t == pytest.approx(0.1234)


@pytest.mark.parametrize("error", [deadline.DeadlineExceeded("reading /sys/block", 10.0), RuntimeError("child died"),
                                   OSError("EIO"), ValueError("bad line")])
def test_a_whole_read_that_fails_is_the_reason_given(env, error):
    """Fails when a whole read of the host that fails in any of the ways a read fails is not the reason given (with
    its error), or escapes as an error."""
    host = killed_closer(env)

    def fails(probe=True):
        raise error
    env.reader.snapshot = fails
    assert act_maps.hidden_opens_recount(host) == "the whole host could not be read to count them again (%s)" % error


def test_a_failed_flush_of_a_map_now_gone_resumes_no_map_aliased_with_its_wwid(env):
    """Fails when the look after a failed flush finds the map by any key: gone, another LU's map aliased with its
    WWID text (suspended for its own reasons) would be resumed in its place."""
    m = env.reader.map(WWID)
    env._drop_map(env.maps[WWID])
    second_map(env)
    env.maps[WWID2].update(name=WWID, suspended=True)
    detail = {}
    act_maps._after_failed_flush(env.host(), m, detail)
    assert detail == {} and env.maps[WWID2]["suspended"] is True
    assert not [c for c in env.commands if c[:2] == ["dmsetup", "resume"]]


def _deep(levels):
    """A failure raised `levels` calls deep: level1 calls level2 ... the last raises."""
    def call(n):
        if n == levels:
            raise KeyError("at level%d" % n)
        return {"level%d" % k: lambda k=k: call(k + 1) for k in range(1, levels)}["level%d" % n]()
    return lambda _host: call(1)


def test_the_note_of_a_failed_count_keeps_the_last_four_frames_of_its_traceback(env, monkeypatch):
    """Fails when the note of a count that failed deep in the code carries more or fewer than the four innermost
    frames of its traceback (a note in the module's result: where it failed, not the whole stack)."""
    host = killed_closer(env)
    monkeypatch.setattr(act_maps, "hidden_opens_recount", _deep(8))
    act_maps._SharedRecount(host)()
    (note,) = host.notes
    assert note.count('File "') == 4 and 'raise KeyError("at level%d" % n)' in note, note


def _alias_of_wwid(env, **fields):
    """Another LU's map (WWID2, dm-4) aliased with WWID's text, as multipath.conf `alias` allows."""
    second_map(env)
    env.maps[WWID2].update(name=WWID, **fields)


def test_a_map_gone_before_its_restore_is_reported_gone_though_another_is_aliased_with_its_wwid(env):
    """Fails when the restore looks the map up by any key: another LU's map aliased with the gone map's WWID text
    would be reported as the map under another dm device."""
    host = env.host()
    env.maps[WWID]["name"] = "mpatha"
    _queueing_taken(env, host)
    env._drop_map(env.maps[WWID])
    _alias_of_wwid(env)
    assert act_maps.restore_queueing(host, WWID)["msg"] == "map mpatha is gone: no queueing to restore"


def test_the_queueing_state_after_a_restore_is_the_maps_own_not_an_aliased_maps(env):
    """Fails when the state reported after a restore is read by any key: the map gone meanwhile, another LU's map
    aliased with its WWID text (not queueing) would be reported as the map's state."""
    host = env.host()
    env.maps[WWID]["name"] = "mpatha"
    _queueing_taken(env, host)
    _alias_of_wwid(env, queueing=False)
    real = host.run

    def then_gone(argv, timeout, what=None, data=None):
        res = real(argv, timeout, what)
        if argv[:2] == ["multipathd", "restorequeueing"] and WWID in env.maps:
            env._drop_map(env.maps[WWID])
        return res
    host.run = then_gone
    out = act_maps.restore_queueing(host, WWID)
    assert out["queueing_now"] is None and out["msg"].endswith("(queue_if_no_path now unknown)"), out


def _calls_named(host):
    """host.call wrapped: the `what` of every call recorded; a read of the wwids file misses its deadline when
    `hang` holds True."""
    seen, hang = [], [False]
    real = host.call

    def call(fn, args=(), timeout=10.0, what=None):
        seen.append(what)
        if what == "read the wwids file" and hang[0]:
            raise deadline.DeadlineExceeded(what, timeout)
        return real(fn, args, timeout=timeout, what=what)
    host.call = call
    return seen, hang


def test_the_wwids_file_is_not_read_when_no_wwid_was_forgotten(env):
    """Fails when the batch reads the wwids file though every WWID of it was refused (its map still there)."""
    host = env.host()
    seen, _hang = _calls_named(host)
    ((_st, r, _t),) = act_maps.remove_wwid(host, _unit_steps(env, "remove_wwid"))
    assert isinstance(r, Refused) and "read the wwids file" not in seen


def test_a_wwid_forgotten_whose_file_cannot_be_read_after_fails_with_that_error(env):
    """Fails when a WWID whose wwids file could not be read after multipath -w passes as forgotten (or has no
    outcome)."""
    steps = _unit_steps(env, "remove_wwid")
    env._drop_map(env.maps[WWID])
    host = env.host()
    seen, hang = _calls_named(host)
    hang[0] = True
    ((_st, r, _t),) = act_maps.remove_wwid(host, steps)
    assert isinstance(r, deadline.DeadlineExceeded) and r.what == "read the wwids file" and seen


def test_a_map_whose_killed_closers_open_stays_is_not_unused(env):
    """Fails when verify_unused lets through a map whose open the plan attributed to a killed closer is still held
    (verify_map allows that open; only its going away makes the map unused)."""
    host = killed_closer(env, releases=False)
    (st,) = [s for s in flush_plan(env, array_unmapped=True, exiting_opens=1) if s.action == "verify_unused"]
    ((_st, r, _t),) = act_maps.verify_unused(host, [st.with_options(settle=2.0)])
    assert isinstance(r, Refused) and r.kind == "open_count", r


def test_queueing_turned_off_again_through_the_dm_message_lists_both_commands(env):
    """Fails when the requeue_off entry of a retried flush does not list each command it took, joined by '; '."""
    env.flush_failures = 1
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = False
    host = env.host()
    real = host.run

    def refuses(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipathd", "disablequeueing"]:
            return deadline.CommandResult(argv, 1, "", "fail", 0.01)
        return real(argv, timeout, what)
    host.run = refuses
    _bounded_sleeps(host)
    ((_st, r, _t),) = act_maps.flush_map(host, [st for st in plan if st.action == "flush_map"])
    assert r["attempts"][1] == {"requeue_off": "multipathd disablequeueing map %s (rc=1): fail; dmsetup message -u "
                                               "mpath-%s 0 fail_if_no_path (rc=0): " % (WWID, WWID)}


def test_a_hung_flush_is_the_units_error_named_by_its_command_and_its_map_resumed(env):
    """Fails when a multipath -f that missed its deadline is not the error reported (named `multipath -f <map>`), or
    the map it left suspended is not resumed."""
    host = env.host()
    real = host.run

    def hangs(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipath", "-f"]:
            env.maps[WWID]["suspended"] = True
            raise deadline.DeadlineExceeded(what, timeout)
        return real(argv, timeout, what)
    host.run = hangs
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(flush_plan(env), host)
    cause = info.value.cause
    assert isinstance(cause, deadline.DeadlineExceeded) and cause.what == "multipath -f %s" % WWID
    assert env.maps[WWID]["suspended"] is False


def test_a_flush_cut_by_a_keyboardinterrupt_resumes_its_map_before_leaving(env):
    """Fails when a multipath -f cut by KeyboardInterrupt leaves its map suspended (every holder's I/O blocked) until
    someone else resumes it, or the flush's detail does not say it was resumed."""
    host = env.host()
    m = env.reader.map(WWID)
    step = [st for st in flush_plan(env) if st.action == "flush_map"][0]
    f = act_maps._Flush(step, dict(m, queueing=False))
    real = host.run

    def cut(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipath", "-f"]:
            env.maps[WWID]["suspended"] = True
            raise KeyboardInterrupt()
        return real(argv, timeout, what)
    host.run = cut
    with pytest.raises(KeyboardInterrupt):
        act_maps._attempt_flush(host, f, True)
    assert env.maps[WWID]["suspended"] is False and f.detail["resumed"][0].startswith("map %s was SUSPENDED" % WWID)


def test_a_signal_between_flush_attempts_stops_the_maps_not_flushed_with_it(env):
    """Fails when a map whose flush a signal stopped between attempts gets another result than the interruption
    (execute() gives its queueing back on it), or its time is not the batch's."""
    env.flush_failures = 10 ** 6
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = False
    host = env.host()
    real = host.run

    def then_sigterm(argv, timeout, what=None, data=None):
        res = real(argv, timeout, what)
        if argv[:2] == ["multipath", "-f"]:
            host.interrupted = "SIGTERM"
        return res
    host.run = then_sigterm
    start = env.clock.now
    ((_st, r, t),) = act_maps.flush_map(host, [st for st in plan if st.action == "flush_map"])
    assert isinstance(r, act_context.Interrupted) and r.signame == "SIGTERM" and WWID in env.maps
    assert t == pytest.approx(env.clock.now - start)


def test_a_flushed_map_is_gone_at_once_though_another_lus_map_is_aliased_with_its_wwid(env):
    """Fails when the look after a flush attempt finds the map by any key: another LU's map aliased with the flushed
    map's WWID text keeps it 'there' for another round (a retry interval's sleep and a re-check)."""
    env.maps[WWID]["name"] = "mpatha"
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = False
    _alias_of_wwid(env)
    host = env.host()
    slept = _bounded_sleeps(host)
    ((_st, r, _t),) = act_maps.flush_map(host, [st for st in plan if st.action == "flush_map"])
    assert r["outcome"] == "done" and WWID not in env.maps and slept == []


# ---------------------------------------------------------------------------------------------- reads, bounds, aliases
def _reads_sleeps_and_flushes(env, host):
    """The order of the batch's reads ('read'), the host's sleeps ('sleep') and the multipath -f sent ('flush')."""
    seen = []
    real_view, real_sleep, real_run = env.reader.view, host._sleep, host.run

    def view(*args, **kwargs):
        seen.append("read")
        return real_view(*args, **kwargs)

    def sleep(s):
        seen.append("sleep")
        real_sleep(s)

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipath", "-f"]:
            seen.append("flush")
        return real_run(argv, timeout, what)
    env.reader.view, host._sleep, host.run = view, sleep, run
    return seen


def test_each_poll_for_a_harmless_opener_reads_the_host_once_and_leaves_no_read_behind(env):
    """Fails when a poll of the wait for harmless openers reads each map on its own instead of one read for the
    batch, or leaves its read (or anything but None) as the host's view once the map is gone."""
    host, steps, slept = _udev_holds(env, gone_after=1)
    seen = _reads_sleeps_and_flushes(env, host)
    ((_st, r, _t),) = act_maps.flush_map(host, steps)
    assert r["outcome"] == "done" and len(slept) == 1
    assert seen == ["read", "sleep", "read"] and host.view is None


def test_the_look_before_a_retried_flush_reads_the_host_once_and_leaves_no_read_behind(env):
    """Fails when the re-check before a retried flush reads each map on its own instead of one read for the batch,
    or leaves its read (or anything but None) as the host's view when the map it finds gone ends the rounds."""
    env.flush_failures = 1
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = False
    host = env.host()
    _bounded_sleeps(host)
    seen = _reads_sleeps_and_flushes(env, host)
    ((_st, r, _t),) = act_maps.flush_map(host, [st for st in plan if st.action == "flush_map"])
    assert r["outcome"] == "done" and len([a for a in r["attempts"] if "rc" in a]) == 2
    assert seen == ["read", "flush", "read", "sleep", "read", "flush", "read"]


def test_a_flush_whose_next_retry_would_end_just_at_its_budget_is_not_retried(env):
    """Fails when a map whose next attempt would start exactly at the end of its budget (now + retry_interval ==
    end) is slept for and tried again instead of being failed now."""
    env.flush_failures = 10 ** 6
    step = [st for st in flush_plan(env) if st.action == "flush_map"][0]
    host = env.host(flush_timeout=8, retry_interval=1)
    slept = _bounded_sleeps(host)
    f = act_maps._Flush(step, dict(env.reader.map(WWID), queueing=False))
    env.clock.now = 100.0
    f.started, f.end = 100.0, 108.0
    real, moved = host.run, []

    def slow(argv, timeout, what=None, data=None):
        res = real(argv, timeout, what)
        if argv[:2] == ["dmsetup", "info"] and not moved:   # the look for a suspended map, the last command
            moved.append(argv)                                # before the budget is weighed
            env.clock.now = 107.0   # the next attempt would start at 108.0, the end of the budget
        return res
    host.run = slow
    pending, results = [f], {}

    def done(fl, result):
        results[id(fl.step)] = result
        pending.remove(fl)
    act_maps._flush_rounds(host, pending, True, done)
    assert isinstance(results.get(id(step)), act_context.ActFailed) and slept == []
    assert len([c for c in env.commands if c[:2] == ["multipath", "-f"]]) == 1


def test_the_wait_for_a_harmless_opener_ends_exactly_at_the_wait_timeout(env):
    """Fails when the wait for a udev worker that stays polls once more when the clock reaches its end exactly."""
    host, steps, slept = _udev_holds(env)
    host.poll_interval = 1.0
    f = act_maps._Flush(steps[0], env.reader.map(WWID))
    env.clock.now = 100.0
    act_maps._wait_harmless_gone(host, [f], {})
    assert len(slept) == 3 and env.clock.now == 103.0


def test_queueing_is_off_when_the_planned_map_is_gone_though_another_is_aliased_with_its_wwid(env):
    """Fails when the poll after disablequeueing finds the planned WWID's map by any key: gone, another LU's map
    aliased with its WWID text, still queueing, would keep it waiting to its deadline and fail it."""
    step = _disable_step(env)
    env._drop_map(env.maps[WWID])
    _alias_of_wwid(env, queueing=True)
    assert act_maps._queueing_is_off(env.host(), step, None) is True


def test_a_map_gone_during_the_wait_is_done_though_another_aliased_with_its_wwid_has_a_harmless_opener(env):
    """Fails when the wait for harmless openers finds the map by any key: gone, another LU's map aliased with its
    WWID text and held by a udev worker would be waited for, then flushed in its place."""
    host, steps, slept = _udev_holds(env, gone_after=1)
    real = host._sleep

    def alias_appears(s):
        real(s)
        if WWID not in env.maps and WWID2 not in env.maps:
            _alias_of_wwid(env, openers=[{"pid": 78, "comm": "(udev-worker)"}], open_count=1)
    host._sleep = alias_appears
    ((_st, r, _t),) = act_maps.flush_map(host, steps)
    assert r == {"outcome": "done", "attempts": [], "method": "multipath -f"} and len(slept) == 1
    assert WWID2 in env.maps and not [c for c in env.commands if c[:2] == ["multipath", "-f"]]


def test_a_dead_map_refused_for_its_openers_names_each_of_them(env):
    """Fails when the refusal of a dead map whose path came back does not list every workload opener, joined by
    ', '."""
    host, _events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    env.maps[WWID]["openers"] = [{"pid": 4242, "comm": "dd"}, {"pid": 4243, "comm": "fio"}]
    env.maps[WWID]["open_count"] = 2
    env.maps[WWID]["paths"][0]["dm_state"] = "active"
    r = _first_outcome(host, plan)
    assert isinstance(r, Refused) and "has openers (pid 4242 (dd), pid 4243 (fio)) and a path" in str(r), r


def test_each_path_of_a_released_map_is_probed_once_before_its_queueing_goes_off(env):
    """Fails when the array's word on each path is asked again instead of reusing the probe the check that a dead
    map is still dead just made (a probe costs up to a command deadline per path, while the batch's other maps
    wait)."""
    host, _events = blocked_reader(env)
    plan = dead(flush_plan(env, array_unmapped=True))
    probed = []
    real = env.reader.probe_path

    def counting(sd, errors=None):
        probed.append(sd)
        return real(sd, errors)
    env.reader.probe_path = counting
    assert _first_outcome(host, plan)["outcome"] == "done"
    assert sorted(probed) == ["sdc", "sdd"]


def test_a_hung_flush_of_one_unit_holds_back_no_other_units_flush(env):
    """Fails when the maps of a round's attempts are taken as one unit: a flush that hangs in one unit stops the
    attempt of another unit's map, which then waits a retry interval (and a re-check) for its own flush."""
    second_map(env)
    steps = [st for st in two_units(env) if st.action == "flush_map"]
    for w in (WWID, WWID2):
        env.maps[w]["queueing"] = False
    host = env.host()
    slept = _bounded_sleeps(host)
    real = host.run

    def first_hangs(argv, timeout, what=None, data=None):
        if argv == ["multipath", "-f", WWID]:
            raise deadline.DeadlineExceeded(what, timeout)
        return real(argv, timeout, what)
    host.run = first_hangs
    out = dict((st.identity.wwid, r) for st, r, _t in act_maps.flush_map(host, steps))
    assert isinstance(out[WWID], deadline.DeadlineExceeded) and out[WWID2]["outcome"] == "done"
    assert slept == [] and WWID2 not in env.maps
