# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/steps.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    context as act_context, execute)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, WWID2, blocked_reader, flush_plan, host_plan, killed_closer, same_steps, sd_name, stale_maps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)


def test_dead_unmapped_map_with_blocked_reader_is_released_then_flushed(env):
    """Fails when a blocked reader of a dead unmapped map is not released before the flush."""
    host, events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    assert [s["action"] for s in plan] == ["disable_queueing", "verify_unused", "flush_map", "wait_map_gone",
                                           "remove_wwid"]
    assert "pid 4242 (dd)" in plan[1]["reason"] and plan[1]["expect"]["settle"] == plan_steps.RELEASE_SETTLE
    executed = execute.execute(plan, host)
    assert same_steps(plan, executed)
    # queueing off strictly before any flush
    assert events.index(["multipathd", "disablequeueing"]) < events.index(["multipath", "-f"])
    assert WWID not in env.maps


def test_blocked_reader_that_stays_is_refused_after_the_settle_naming_it(env):
    """Fails when a blocked reader that stays is not refused after a bounded settle, naming it."""
    host, _events = blocked_reader(env, leaves=False)
    plan = flush_plan(env, array_unmapped=True)
    t0 = env.clock()
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step["action"] == "verify_unused"
    assert "pid 4242 (dd)" in str(info.value) and "nothing flushed" in str(info.value)
    assert [e["action"] for e in info.value.executed] == ["disable_queueing"]
    assert ["multipath", "-f", WWID] not in env.commands and WWID in env.maps
    assert env.clock() - t0 <= plan_steps.RELEASE_SETTLE + 2  # bounded


def test_killed_closer_that_does_not_let_go_is_refused_and_queueing_given_back(env):
    """Fails when a killed closer that keeps the map open does not refuse and give queueing back."""
    host = killed_closer(env, releases=False)
    plan = flush_plan(env, array_unmapped=True, exiting_opens=1)
    t0 = env.clock()
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step["action"] == "verify_unused"
    assert "open count 1" in str(info.value) and "nothing flushed" in str(info.value)
    assert ["multipath", "-f", WWID] not in env.commands and WWID in env.maps
    assert env.commands[-1] == ["multipathd", "restorequeueing", "map", WWID] and env.maps[WWID]["queueing"] is True
    assert env.clock() - t0 <= plan_steps.RELEASE_SETTLE + 2


def test_a_delete_that_hangs_costs_the_other_units_at_most_its_own_deadline(tmp_path):
    """One path whose delete never returns among 20 stale maps: its unit stops (deadline, its second path not
    touched, its WWID kept), the 19 others are removed, and the run takes at most that one deadline longer."""
    took = {}
    for hang in (False, True):
        env = FakeEnv(tmp_path / str(hang))
        wwids = stale_maps(env, 19)
        plan = host_plan(env, [WWID] + wwids)
        hung = sd_name(2 * 7)
        if hang:
            env.hang.add(hung)
        host = env.host(command_timeout=10.0)
        start = env.clock.now
        try:
            executed = execute.execute(plan, host)
            assert not hang
        except act_context.ExecutionError as exc:
            assert hang
            executed = exc.executed
            assert [(f["unit"], type(f["cause"]).__name__, f["step"]["target"]) for f in exc.failures] == [
                ("map %s" % wwids[7], "DeadlineExceeded", hung)]
            assert exc.to_dict()["deadline"]["seconds"] == 10.0
        took[hang] = env.clock.now - start
        # the batch timings say where the time went: the hang is in the delete batch, nowhere else
        batches = dict((b["action"], b["seconds"]) for b in host.batches)
        assert [b["action"] for b in host.batches] == sorted(batches, key=plan_steps.HOST_ORDER.index)
        assert (batches["delete_disk"] >= 10.0) == hang, host.batches
        assert all(secs < 10.0 for action, secs in batches.items() if action != "delete_disk"), host.batches
        assert sum(b["seconds"] for b in host.batches) <= took[hang] + 0.001 * len(host.batches)
        gone = set(w for w in [WWID] + wwids if w not in env.maps)
        if hang:
            assert gone == set([WWID] + wwids)             # every map was flushed before any delete
            assert set(env.disks) == {hung, sd_name(2 * 7 + 1)}   # the rest of the hung unit is left alone
            with open(env._p("etc/multipath/wwids")) as fh:
                assert fh.read().split() == ["/%s/" % WWID2, "/%s/" % wwids[7]]
            assert not [e for e in executed if e.get("unit") == "map %s" % wwids[7] and e["action"] not in (
                "disable_queueing", "flush_map", "wait_map_gone")]
        else:
            assert not env.disks
    assert took[True] - took[False] <= 10.0 + 0.5, took


def test_judge_and_plan_share_one_harmless_opener_list():
    """Fails when the judge and the plan use different lists of harmless openers."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users
    assert set(judge_findings.DAEMON_OPENERS) | set(judge_findings.TRANSIENT_OPENERS) == set(plan_steps.HARMLESS_OPENERS)
    assert {"udevadm", "udevd"} <= users.HARMLESS_OPENERS
