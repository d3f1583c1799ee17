# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/steps.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

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
    assert [s.action for s in plan] == ["disable_queueing", "verify_unused", "flush_map", "wait_map_gone",
                                        "remove_wwid"]
    assert "pid 4242 (dd)" in plan[1].reason and plan[1].options["settle"] == plan_steps.RELEASE_SETTLE
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
    assert info.value.step.action == "verify_unused"
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
    assert info.value.step.action == "verify_unused"
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
            assert [(f["unit"], type(f["cause"]).__name__, f["step"].target) for f in exc.failures] == [
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


# ---------------------------------------------------------------------------------------------- the typed step
def test_a_step_refuses_what_no_act_reads():
    """Fails when a step takes an unknown action, an option its action's act does not read, an identity that is not
    an identity.Identity, or no target: each would be a step the act runs on a guess; or when an action has no act,
    no options entry or no place in the host's order."""
    assert set(plan_steps.OPTIONS) == set(plan_steps.ACTIONS) == set(execute.ACT) == set(plan_steps.HOST_ORDER)
    with pytest.raises(ValueError, match="unknown action"):
        plan_steps.Step("format_disk", "sdc")
    with pytest.raises(ValueError, match="delete_disk takes no option force_remove"):
        plan_steps.step("delete_disk", "sdc", {"name": "sdc"}, options={"force_remove": True})
    with pytest.raises(TypeError, match="identity.Identity"):
        plan_steps.Step("delete_disk", "sdc", {"name": "sdc"})
    with pytest.raises(TypeError, match="no field expected_wwid"):
        plan_steps.step("delete_disk", "sdc", {"name": "sdc", "expected_wwid": WWID})
    for target in ("", None, 7):
        with pytest.raises(ValueError, match="needs a target"):
            plan_steps.step("delete_disk", target, {"name": "sdc"})


def test_a_step_cannot_be_changed_after_the_plan_made_it():
    """Fails when a step, its identity or its options can be changed in place (the approved artifact, check mode's
    report and the act must all see the step the plan made), or a derived step changes the original."""
    st = plan_steps.step("flush_map", "mpatha", {"name": "mpatha", "wwid": WWID}, options={"force_remove": False})
    for attr, value in (("target", "mpathb"), ("unit", "x"), ("options", {})):
        with pytest.raises(AttributeError):
            setattr(st, attr, value)
    with pytest.raises(AttributeError):
        st.identity.wwid = WWID2
    with pytest.raises(TypeError):
        st.options["force_remove"] = True
    proof = {"sdc": "new"}
    marked = plan_steps.step("delete_disk", "sdc", {"name": "sdc"}, options={"other_lu": proof})
    proof["sdc"] = "forged"                       # the plan's own dict, changed after the step was made
    with pytest.raises(TypeError):
        marked.options["other_lu"]["sdc"] = "forged"
    assert marked.options["other_lu"] == {"sdc": "new"} and marked.to_wire()["options"] == {"other_lu": {"sdc": "new"}}
    forced = st.with_options(force_remove=True).tagged("flush", "map mpatha")
    assert (forced.options["force_remove"], forced.unit, forced.phase) == (True, "map mpatha", "flush")
    assert (st.options["force_remove"], st.unit, st.phase) == (False, None, None)
    assert forced.identity == st.identity


def test_every_step_of_a_host_plan_survives_its_wire_form(env):
    """Fails when a step a module returns (its wire form, through JSON) does not read back as the same step, or
    carries anything but the wire keys; and when the wire form takes an unknown key or identity field."""
    steps = host_plan(env, [WWID]) + flush_plan(env, array_unmapped=True)
    assert steps
    for st in steps:
        wire = json.loads(json.dumps(st.to_wire()))
        assert set(wire) == set(plan_steps.WIRE_KEYS)
        assert plan_steps.Step.from_wire(wire) == st
    wire = steps[0].to_wire()
    with pytest.raises(ValueError, match="no key expect"):
        plan_steps.Step.from_wire(dict(wire, expect={}))
    with pytest.raises(TypeError, match="no field channel"):
        plan_steps.Step.from_wire(dict(wire, identity=dict(wire["identity"], channel=0)))


def test_the_act_reads_only_options_a_step_can_carry_and_every_one_it_can():
    """Fails when an act reads an option (step.options.get("x")) that no action declares (no plan could set it, so the
    act would always take its default), or an action declares one no act reads (a plan would think it tells the act
    something)."""
    act_dir = os.path.join(os.path.dirname(plan_steps.__file__), "..", "act")
    declared = set(o for options in plan_steps.OPTIONS.values() for o in options)
    read = set()
    for name in os.listdir(act_dir):
        if name.endswith(".py"):
            with open(os.path.join(act_dir, name)) as fh:
                read.update(re.findall(r'\.options(?:\.get\(|\[)"(\w+)"', fh.read()))
    assert read == declared, (sorted(read - declared), sorted(declared - read))
