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
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import map_wwid
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    maps as plan_maps, steps as plan_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    W1, W2, WWID, WWID2, FakeEnv, _lu_w1, blocked_reader, disk, flush_plan, killed_closer, second_map, stale_maps)
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
