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


def test_a_refused_step_says_exactly_what_is_wrong():
    """Fails when the error of a step that cannot be made (an unknown action, no target, an identity of another type,
    options its act does not read: each listed, a wire form that is not a dict or has keys a step has not, an
    identity that is not a dict) does not name the fault and the value at fault, as a module's failure shows it."""
    cases = [
        (lambda: plan_steps.Step("format_disk", "sdc"), ValueError, "unknown action 'format_disk'"),
        (lambda: plan_steps.Step("delete_disk", None), ValueError,
         "a delete_disk step needs a target (a name), not None"),
        (lambda: plan_steps.Step("delete_disk", "sdc", {"name": "sdc"}), TypeError,
         "a step's identity is an identity.Identity, not dict"),
        (lambda: plan_steps.Step("delete_disk", "sdc", options={"force_remove": True, "absent": True}), ValueError,
         "delete_disk takes no option absent, force_remove"),
        (lambda: plan_steps.Step.from_wire(["delete_disk", "sdc"]), TypeError, "a step is a dict, not list"),
        (lambda: plan_steps.Step.from_wire({"action": "delete_disk", "target": "sdc", "expect": {}, "check": 1}),
         ValueError, "a step has no key check, expect"),
        (lambda: plan_steps.Step.from_wire({"action": "delete_disk", "target": "sdc", "identity": ["sdc"]}),
         TypeError, "a step's identity is a dict, not list"),
    ]
    for make, error, message in cases:
        with pytest.raises(error) as info:
            make()
        assert str(info.value) == message


def test_a_step_cannot_lose_a_field():
    """Fails when a field of a step can be deleted (the act would meet a step without its target or options), or the
    refusal does not say why."""
    st = plan_steps.step("flush_map", "mpatha", {"name": "mpatha", "wwid": WWID}, "why", {"force_remove": False})
    for attr in plan_steps.WIRE_KEYS:
        with pytest.raises(AttributeError) as info:
            delattr(st, attr)
        assert str(info.value) == "a Step is immutable"
    assert st.to_wire()["target"] == "mpatha" and st.options["force_remove"] is False


def test_a_step_without_a_reason_has_an_empty_one():
    """Fails when a step made (or read back from its wire form) without a reason carries some text as its reason: a
    check-mode report would show a why nobody gave."""
    assert plan_steps.Step("wait_map_gone", "mpatha").reason == ""
    assert plan_steps.step("wait_map_gone", "mpatha").reason == ""
    assert plan_steps.Step.from_wire({"action": "wait_map_gone", "target": "mpatha"}).reason == ""
    assert plan_steps.Step.from_wire({"action": "wait_map_gone", "target": "mpatha", "reason": None}).reason == ""


def test_steps_are_equal_only_when_their_wire_forms_are():
    """Fails when two steps that differ in any wire field compare equal (or not unequal), a step equals something
    that is not a step (its own wire form), or two equal steps hash apart."""
    st = plan_steps.step("flush_map", "mpatha", {"name": "mpatha"}, "why", {"force_remove": False})
    same = plan_steps.Step.from_wire(st.to_wire())
    # both operators, each on its own: Step defines __ne__ apart from __eq__
    assert st == same and not st != same and hash(st) == hash(same)  # pylint: disable=unnecessary-negation
    for other in (st.with_options(force_remove=True), st.tagged("flush", "map mpatha"),
                  plan_steps.step("flush_map", "mpatha", {"name": "mpatha"}, "other why", {"force_remove": False})):
        assert st != other and not st == other  # pylint: disable=unnecessary-negation
    assert st != st.to_wire() and not st == st.to_wire()  # pylint: disable=unnecessary-negation


def test_a_derived_step_keeps_everything_it_does_not_change():
    """Fails when adding an option to a tagged step loses its phase, unit or reason, or tagging a step loses its
    reason or options: the act and the approval would see another step than the plan made."""
    st = plan_steps.step("delete_disk", "sdc", {"name": "sdc", "hctl": "4:0:0:1"}, "why", {"dead": True})
    tagged = st.tagged("flush", "map mpatha")
    assert (tagged.reason, dict(tagged.options), tagged.identity) == ("why", {"dead": True}, st.identity)
    marked = tagged.with_options(after_flush=WWID)
    assert (marked.action, marked.target, marked.identity, marked.reason, marked.phase, marked.unit) == (
        "delete_disk", "sdc", st.identity, "why", "flush", "map mpatha")
    assert dict(marked.options) == {"dead": True, "after_flush": WWID}
    assert [s.to_wire() for s in plan_steps.with_phase([st], "delete", "disk sdc")] == [
        dict(st.to_wire(), phase="delete", unit="disk sdc")]


def test_options_and_wire_forms_keep_nested_values():
    """Fails when an option's nested lists or mappings lose their values when frozen, or the wire form of a list, a
    tuple or a mapping of them loses theirs."""
    st = plan_steps.step("delete_controller", "nvme3", {"name": "nvme3"}, "why",
                         {"namespaces": {"nvme3n1": {"role": "unmapped", "nsid": 1}},
                          "unit_controllers": ["nvme3", [{"name": "nvme4"}]]})
    assert st.options["unit_controllers"] == ("nvme3", ({"name": "nvme4"},))
    assert st.options["namespaces"]["nvme3n1"]["nsid"] == 1
    assert plan_steps.wire(st.options) == {"namespaces": {"nvme3n1": {"role": "unmapped", "nsid": 1}},
                                           "unit_controllers": ["nvme3", [{"name": "nvme4"}]]}
    assert plan_steps.wire([st, (1, {"a": (2,)})]) == [st.to_wire(), [1, {"a": [2]}]]


def test_a_step_shows_its_action_target_and_unit():
    """Fails when a step's repr (how a step shows in a failure's text and a test's report) does not name its action,
    target and unit."""
    st = plan_steps.step("flush_map", "mpatha", {"name": "mpatha"}).tagged("flush", "map mpatha")
    assert repr(st) == "Step(flush_map mpatha, unit='map mpatha')"


def test_the_host_order_keeps_each_units_own_order():
    """Fails when the host's plan is not ordered by HOST_ORDER, or two steps of one kind lose their relative order."""
    steps = [plan_steps.step(action, target) for action, target in (
        ("wait_disk_gone", "sdc"), ("delete_disk", "sdd"), ("flush_map", "mpatha"), ("delete_disk", "sdc"),
        ("disable_queueing", "mpatha"), ("delete_controller", "nvme0"))]
    assert [(s.action, s.target) for s in plan_steps.in_host_order(steps)] == [
        ("disable_queueing", "mpatha"), ("flush_map", "mpatha"), ("delete_disk", "sdd"), ("delete_disk", "sdc"),
        ("wait_disk_gone", "sdc"), ("delete_controller", "nvme0")]
