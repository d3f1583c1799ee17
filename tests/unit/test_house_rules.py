# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of the house (docs/removal.md, the developers' guide) as invariants over generated worlds
(hypothesis): host snapshots, array truths, options, approved plans and faults during the act
(house_rules_worlds), and NVMe-oF hosts with their NVMe truth (house_rules_nvme_worlds). Each test runs the real
judge -> plan -> approval gate -> act on the fake host of _san/act/helpers.py (FakeEnv; for NVMe a sysfs tree read by
the real reader, and Kernel) and asserts one rule after every run; its docstring says the failure it catches.

Examples per test: the `ci` profile (bounded, derandomized, no database: the same examples every run) unless
SANFLEET_INVARIANT_EXAMPLES asks for more (then random, e.g. tests/invariants/revert_check.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    multipath_audit as mc_audit, multipath_config as mc_config, multipath_parse as mc_parse,
    multipath_queueing as mc_queueing)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.truth_age import TRUTH_CLOCK_SKEW
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import report
from ansible_collections.sanfleet.remediation.tests.unit import house_rules_nvme_worlds as nw
from ansible_collections.sanfleet.remediation.tests.unit import house_rules_worlds as hw
from hypothesis import HealthCheck, example, given, settings, strategies as st


_EXAMPLES = int(os.environ.get("SANFLEET_INVARIANT_EXAMPLES") or 0)


settings.register_profile("ci", max_examples=100, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))


settings.register_profile("deep", max_examples=max(_EXAMPLES, 1), deadline=None, database=None,
                          derandomize=False, suppress_health_check=list(HealthCheck))


RULES = settings.get_profile("deep" if _EXAMPLES else "ci")


REMOVING = {"flush", "delete", "flushbufs"}


# An invariant tests its rule only in the examples that put the rule at stake: where the run would remove something
# the rule then forbids or permits (each rule's stake_ function says what that is for it). Below this share of its
# examples an invariant is a test that cannot fail often enough, and the CI profile fails it.
MIN_AT_STAKE = 0.5


def check_invariant(record_property, strategy, run, explicit=(), drawn=None, every=None):
    """Run `run(example)` -> at stake (bool) over the examples of `strategy` and the `explicit` ones (every value a
    generator knows for a flaw or a fault, each drawn once whatever the generated examples draw: Hypothesis runs
    explicit examples first), record the share at stake (user property `at_stake`, which tests/unit/conftest.py prints
    per invariant at the end of the run) and fail when it is under MIN_AT_STAKE (CI profile). `drawn(example)` ->
    [(dimension, value)] drawn by an example, `every` {dimension: the values a generator knows}: fails when one was not
    drawn in this run."""
    tally = {"examples": 0, "at_stake": 0, "drawn": {}}

    def each(spec):
        at_stake = run(spec)
        tally["examples"] += 1
        tally["at_stake"] += bool(at_stake)
        for dim, value in drawn(spec) if drawn else ():
            tally["drawn"].setdefault(dim, set()).add(repr(value))

    test = given(strategy)(each)
    for spec in reversed(list(explicit)):
        test = example(spec)(test)
    RULES(test)()
    share = float(tally["at_stake"]) / max(tally["examples"], 1)
    record_property("at_stake", "%d/%d" % (tally["at_stake"], tally["examples"]))
    missed = dict((dim, sorted(set(repr(v) for v in values) - tally["drawn"].get(dim, set())))
                  for dim, values in (every or {}).items())
    assert not any(missed.values()), "values a generator knows were never drawn in this run: %s" % missed
    if not _EXAMPLES:
        assert share >= MIN_AT_STAKE, "the rule was at stake in %d of %d examples (%.0f%%, under %.0f%%)" % (
            tally["at_stake"], tally["examples"], 100 * share, 100 * MIN_AT_STAKE)


def _real(spec, approved=None, name="real"):
    with hw.Sandbox() as box:
        world = box.world(spec, name)
        return world, hw.run(world, approved=approved)


def _approved(spec):
    """The approved plan of a world (its check run's artifact, cut as the world says), a change after approval, and
    the steps of the check run (what a run would remove without the approval; only run when it matters)."""
    kind = spec.get("approval")
    if kind is None and spec.get("unreviewed", True):
        return None, None, None
    with hw.Sandbox() as box:
        checked = hw.run(box.world(hw.plain(dict(spec, unreviewed=True)), "check"), check=True)
    art = checked.artifact
    if art is None or kind is None:
        return None, None, (art or {}).get("steps")
    if kind == "nothing":
        return {}, None, art["steps"]
    steps = art["steps"]
    if kind == "first_unit" and steps:
        unit = steps[0]["unit"]
        steps = [s for s in steps if s["unit"] == unit]
    cut = dict(art, steps=steps, digest=hw.approval.digest(art["format"], art["host"], art["created_at"], steps))
    return cut, (kind == "changed_after"), art["steps"]


def check_then_real(family, spec):
    """The same world (family: a worlds module) run in check mode, then for real: (the real world, the real run's
    Outcome, check mode's (action, target) steps, the real run's executed ones). Fails when check mode's steps differ
    from the real run's, whole: the identity the act re-checks and its options too, not only action and target."""
    with family.Sandbox() as box:
        checked = family.run(box.world(spec, "check"), check=True)
        world = box.world(spec, "real")
        real = family.run(world)
    assert [s.to_wire() for s in checked.selected] == [s.to_wire() for s in real.selected]
    return (world, real, [(s.action, s.target) for s in checked.selected],
            [(e["action"], e["target"]) for e in real.executed])


# ---------------------------------------------------------------------------------------------- the invariants
def mapped_devices_are_kept(world, out):
    """Rule 2: nothing of a map the array maps to this host's initiator is flushed or deleted; nothing of one whose
    LUN was mapped back after the plan once it came back (before the act or between two of its batches)."""
    again = " again since %r" % (world.spec.get("fault"),)
    for mapped, touches, when in ((world.mapped, out.touches, ""), (world.mapped_back, out.after_change, again)):
        for m in world.maps:
            if m["name"] in mapped:
                assert not (touches.touched(m) & REMOVING), (
                    "map %s is mapped to this host%s, yet %s" % (m["name"], when, sorted(touches.touched(m))))


def unexplained_openers_are_kept(world, out):
    """Rule 1: a map with an open no one can explain (a hidden user, a thread the scan missed) gets no
    disable_queueing, flush or delete; an sd a process holds is neither flushed nor deleted."""
    for m in world.maps:
        if world.hidden[m["name"]]:
            assert not out.touches.touched(m), "map %s has an opener no one sees, yet %s" % (
                m["name"], sorted(out.touches.touched(m)))
        if m["opener"] == "own_table_thread":
            # a workload thread with an fd table of its own holds it: seen by the scan, the map may at most have
            # its queueing turned off (a dead unmapped map's release), never be flushed or removed
            assert not out.touches.touched(m) & REMOVING, "map %s is held by a thread with its own fd table, yet %s" % (
                m["name"], sorted(out.touches.touched(m)))
        for p in m["paths"]:
            if p["name"] in world.sd_openers:
                assert p["name"] not in out.touches.deleted | out.touches.flushbufs, (
                    "%s is open by a process (%s), yet deleted" % (p["name"], world.sd_openers[p["name"]]))


def unusable_truth_removes_nothing(world, out):
    """Rule 2: a truth whose age is unknown, not finite, or past truth_max_age (at plan time, when the act starts,
    or from a change between two of its batches on) removes nothing."""
    at = world.truth["collected_at"]
    start = out.act_time if out.act_time is not None else world.env.clock()
    for now, touches in ((start, out.touches), (world.changed_clock, out.after_change)):
        if touches is not None and (not hw.finite(at) or now - at > hw.MAX_AGE or at - now > TRUTH_CLOCK_SKEW):
            assert not touches.removing() and not touches.queueing_off, (
                "truth collected_at=%r at %r (max age %s), yet flushed %s deleted %s queueing off %s" % (
                    at, now, hw.MAX_AGE, sorted(touches.flushed), sorted(touches.deleted),
                    sorted(touches.queueing_off)))


def changes_since_the_plan_stop_the_removal(world, out):
    """The act's re-check before each batch's first destructive touch of a unit: a LUN mapped back after the plan
    (before the act or between two of its batches) keeps what is left of it, a truth that grew older than
    truth_max_age removes nothing from then on (the two rules above, on a world with such a change)."""
    after = world.spec["fault"][2]
    # the change comes unless the act never reached it (no plan, or fewer batches than `after`)
    assert world.changed_at is not None or out.act_time is None or out.batches < after, (
        "the change after batch %d never came (%d batches)" % (after, out.batches))
    mapped_devices_are_kept(world, out)
    unusable_truth_removes_nothing(world, out)


def active_paths_fail_only_by_the_arrays_word(world, out):
    """Evidence rules: a path the kernel calls active counts as failed only by the array's own word (probe: LU not
    supported); a path proven to answer as another LU may be repaired. A removed map or path had no other
    active path."""
    for m in world.maps:
        if not out.touches.touched(m) & REMOVING:
            continue
        for p in m["paths"]:
            if p["dm_state"] != "active":
                continue
            probe = world.env.probes.get(p["name"]) or {}
            own = probe.get("serial_live") == hw.serial(m["index"])
            word = probe.get("result") == "lun_not_supported"
            other = probe.get("serial_live") not in (None, hw.serial(m["index"]))
            assert word or (other and not own), (
                "map %s: path %s is active (checker %s, sd %s, probe %s answering as %s), yet %s" % (
                    m["name"], p["name"], p["checker_state"], p["dev_state"], probe.get("result"),
                    probe.get("serial_live"), sorted(out.touches.touched(m))))


def queueing_is_given_back(world, out):
    """Every abort restores queueing: after any run (an error, a signal, a refusal) every map still there queues
    as it did before the act, unless the fault hit the restore's own command (then the report says so:
    reports_show_what_the_run_left)."""
    if world.fault_in_restore:
        return
    for m in world.maps:
        live = world.env.maps.get(m["wwid"])
        if live is not None and world.queued_before[m["name"]]:
            assert live["queueing"], "map %s queued before the act and no longer does (run ended by %r)" % (
                m["name"], out.error)


def approved_plan_only_narrows(world, out, approved, changed):
    """The approved plan is the plan that runs: no step outside it, nor on a device whose identity changed."""
    if approved is None:
        return
    allowed = set((s["action"], s["target"]) for s in approved.get("steps") or [])
    for e in out.executed:
        if e.get("outcome") == "done":
            assert (e["action"], e["target"]) in allowed, "%s %s ran without approval" % (e["action"], e["target"])
    if changed:
        m = world.maps[0]
        assert not out.touches.touched(m), "map %s changed after approval, yet %s (world %r)" % (
            m["name"], sorted(out.touches.touched(m)), world.spec)


def change_identity_after_approval(world):
    """The first map is another device now: recreated under another dm device (new dm-N and major:minor), which
    every step of its unit names in its identity."""
    m = world.maps[0]
    live = world.env.maps[m["wwid"]]
    old, new = live["dm"], "dm-%d" % (60 + m["index"])
    live["dm"], live["dev"] = new, "253:%d" % (60 + m["index"])
    world.env._file("sys/block/%s/dm/uuid" % new, "mpath-" + m["wwid"])
    world.env._file("sys/block/%s/dm/name" % new, live["name"])
    for p in m["paths"]:
        disk = world.env.disks[p["name"]]
        disk["holders"] = [new if h == old else h for h in disk["holders"]]
    m["dm"], m["dev"] = new, live["dev"]


ALL_RULES = (mapped_devices_are_kept, unexplained_openers_are_kept, unusable_truth_removes_nothing,
             active_paths_fail_only_by_the_arrays_word, queueing_is_given_back)


def approved_plan_only_narrows_and_needs_a_word(world, out, approved, changed):
    """The approval gate, in the module: without an approved plan, a real run that would remove something runs only
    with allow_unreviewed said; with one, it runs nothing the plan does not hold (approved_plan_only_narrows)."""
    if approved is None and not world.spec.get("unreviewed", True):
        assert out.gate is None and not out.touches.removing() and not out.touches.queueing_off and not out.executed, (
            "a real run with neither an approved plan nor allow_unreviewed ran: %s" % out.executed)
    approved_plan_only_narrows(world, out, approved, changed)


def reports_show_what_the_run_left(world, out):
    """Every report of a real run that stopped units (an error, a signal, a refusal, a change since the plan) names
    each unit it stopped, with the step, and every map it left without the queueing it had: the host report built
    from the module's result as remediate.yml builds it for a host whose task failed."""
    if not isinstance(out.error, hw.act_context.ExecutionError):
        return
    result = dict(out.error.to_dict(), failed=True, steps=[st.to_wire() for st in out.selected], refused=[],
                  blocked=[])
    rem = report.host_report({"san": {}, "plan": result, "applied": result, "approval": "unreviewed",
                              "failed": {"unreachable": False, "task": "stale_cleanup", "msg": result["msg"]}},
                             "host1", "remediate")["remediation"]
    done = set((e["action"], e["target"], e.get("unit")) for e in out.executed)
    stopped = set(st.unit for st in out.selected if (st.action, st.target, st.unit) not in done)
    assert stopped <= set(f["unit"] for f in rem["failures"]), (stopped, rem["failures"])
    left = [m["name"] for m in world.maps if world.queued_before[m["name"]]
            and (world.env.maps.get(m["wwid"]) or {}).get("queueing") is False]
    reported = set(q["map"] for q in rem["queueing_restored"] if q["queueing_now"] is not True)
    assert set(left) <= reported, (left, rem["queueing_restored"])


def _run_rule(spec, rule):
    """The world of `spec` run for real (given its approved plan, and its change after approval), `rule` asserted on
    it; returns (world, outcome, the steps of the check run the approval was cut from)."""
    approved, changed, checked = _approved(spec)
    with hw.Sandbox() as box:
        world = box.world(spec, "real")
        if changed:
            change_identity_after_approval(world)
        out = hw.run(world, approved=approved)
        if rule in (approved_plan_only_narrows, approved_plan_only_narrows_and_needs_a_word):
            rule(world, out, approved, changed)
        else:
            rule(world, out)
    return world, out, checked


# ---------------------------------------------------------------------------------------------- what is at stake
def _dead_on_host(world, m):
    """Every path of world map `m` failed by the host's own evidence when the run read it (the kernel's path state with
    a probe that does not answer, or the array's word: LU not supported): only the truth and the rules stand between
    it and its removal."""
    return bool(m["paths"]) and all(
        (p["dm_state"] == "failed" and world.first_probe[p["name"]] in ("no_answer", "error"))
        or world.first_probe[p["name"]] == "lun_not_supported" for p in m["paths"])


def _planned_maps(world, out):
    """The world maps the run's plan would flush or touch (out.selected, before any act)."""
    units = set(s.unit for s in out.selected)
    return [m for m in world.maps if "map %s" % m["name"] in units]


def _unexplained(world, m):
    return bool(world.hidden[m["name"]] or m["opener"] == "own_table_thread" or
                any(p["name"] in world.sd_openers for p in m["paths"]))


def _would_go(world, m):
    """A map the run would remove but for the rule at hand: dead on the host, not mapped to it, nobody using it."""
    return not m["mapped"] and _dead_on_host(world, m) and not (m["mounted"] or m["holder"] or m["opener"] or
                                                                _unexplained(world, m))


def stake_mapped(world, out):
    """A map the array maps to this host looks dead on the host (only the truth keeps it), or the plan removes a map
    (the rule permits an unmapped one)."""
    return any(m["name"] in world.mapped and _dead_on_host(world, m) for m in world.maps) or bool(
        _planned_maps(world, out))


def stake_openers(world, out):
    """A map with an opener no one explains (or a path a process holds) is otherwise dead and unmapped, or the plan
    removes a map."""
    return any(_unexplained(world, m) and not m["mapped"] and _dead_on_host(world, m) for m in world.maps) or bool(
        _planned_maps(world, out))


def _truth_unusable(world, now):
    at = world.truth["collected_at"]
    return not hw.finite(at) or now - at > hw.MAX_AGE or at - now > TRUTH_CLOCK_SKEW


# the truth's ages no removal may go on with (house_rules_worlds.TRUTH_CHOICES less "fresh" and "almost_old")
UNUSABLE_AGES = [a for a in hw.TRUTH_CHOICES["collected"] if a not in ("fresh", "almost_old")]


def stake_truth_age(world, out):
    """The truth's age is unusable at plan or act time while a map would go but for it: the only examples where
    unusable_truth_removes_nothing can fail (a map removed with a usable truth is no test of the rule)."""
    start = out.act_time if out.act_time is not None else world.env.clock()
    return (_truth_unusable(world, world.env.clock()) or _truth_unusable(world, start)) and any(
        _would_go(world, m) for m in world.maps)


def stake_between(world, out):
    """The change came while the plan still had steps for what it concerns: the map whose LUN was mapped back, or
    any map once the truth grew too old."""
    fault = world.spec["fault"]
    if world.changed_at is None:
        return False
    planned = _planned_maps(world, out)
    return bool(planned) if fault[0] == "clock_jump" else any(m["name"] in world.mapped_back for m in planned)


def stake_active(world, out):
    """An unmapped map with a path the kernel calls active whose other paths are dead: only the rule keeps it; or the
    plan removes a map with an active path (the rule permits it on the array's word or another LU's answer)."""
    for m in world.maps:
        active = [p for p in m["paths"] if p["dm_state"] == "active"]
        others = [p for p in m["paths"] if p["dm_state"] != "active"]
        if active and not m["mapped"] and all(_dead_on_host(world, dict(m, paths=[p])) for p in others):
            return True
    return any(p["dm_state"] == "active" for m in _planned_maps(world, out) for p in m["paths"])


def stake_queueing(world, out):
    """The act turned queueing off on a map that is still there once the run ended: it must queue again."""
    return any(m["name"] in out.touches.queueing_off and m["wwid"] in world.env.maps for m in world.maps)


def _fields(spec, dims, parts, special):
    """(dimension, value) of every field named in `dims` that an example drew: `parts` [(a generator's table of
    fields, the example's records that carry them)], `special` {dimension: example -> [(dimension, value)]}, else a
    field of the example itself."""
    out = []
    for dim in dims:
        table = [records for fields, records in parts if dim in fields]
        if table:
            out += [(dim, r[dim]) for r in table[0]]
        else:
            out += special[dim](spec) if dim in special else [(dim, spec[dim])]
    return out


def _fault_drawn(spec):
    fault = spec["fault"]
    return [("fault", fault and fault[0])] + ([("come_back", fault[3])] if fault and fault[0] == "comes_back" else [])


def _drawn(spec, dims):
    """(dimension, value) of every path, map, truth and world field named in `dims` that the example drew."""
    return _fields(spec, dims, [(hw.PATH_CHOICES, [p for m in spec["maps"] for p in m["paths"]]),
                                (hw.MAP_CHOICES, spec["maps"]), (hw.TRUTH_CHOICES, [spec["truth"]])],
                   {"fault": _fault_drawn, "between": lambda s: [("between", t[1]) for t in _fault_drawn(s)[:1]] +
                    _fault_drawn(s)[1:]})


def _every(dims):
    out = {}
    for dim in dims:
        if dim in hw.PATH_CHOICES:
            out[dim] = hw.allowed(hw.PATH_CHOICES[dim])
        elif dim in hw.MAP_CHOICES:
            out[dim] = hw.allowed(hw.MAP_CHOICES[dim])
        elif dim in hw.TRUTH_CHOICES:
            out[dim] = hw.TRUTH_CHOICES[dim]
        elif dim == "fault":
            out[dim] = hw.allowed(["error", "interrupt", "sigterm"]) + ["comes_back", "clock_jump"]
            out["come_back"] = hw.allowed(hw.COME_BACK)
        elif dim == "between":
            out[dim] = ["comes_back", "clock_jump"]
            out["come_back"] = hw.allowed(hw.COME_BACK)
    return out


def scsi_invariant(record_property, focus, rule, stake, strategy=None, **usual_path):
    """check_invariant over hw.worlds(focus) (or `strategy`), with an explicit example per value of each dimension
    in focus (hw.each_value), `rule` asserted and `stake` measured on each real run."""
    dims = list(focus)
    check_invariant(record_property, strategy if strategy is not None else hw.worlds(focus, **usual_path),
                    lambda spec: stake(*_run_rule(spec, rule)[:2]),
                    explicit=[hw.plain(e) if "fault" not in focus and "between" not in focus else e
                              for e in hw.each_value(dims, **usual_path)],
                    drawn=lambda spec: _drawn(spec, dims), every=_every(dims))


# ---------------------------------------------------------------------------------------------- the tests


def test_a_lun_the_array_maps_to_this_host_is_never_removed(record_property):
    """Fails when anything of a map whose LUN the array maps to this host's initiator is flushed or deleted
    (absence from partial, foreign-initiator or duplicate-identity truth taken for unmapped)."""
    focus = ("covered", "duplicate", "initiators", "mapped")
    scsi_invariant(record_property, focus, mapped_devices_are_kept, stake_mapped,
                   strategy=hw.worlds(focus, choices={"mapped": [True, True, False]}))


def test_a_device_with_an_opener_no_one_explains_is_never_touched(record_property):
    """Fails when a map with a hidden open (another namespace, a thread the scan missed, one a killed closer on
    another device is taken to explain) gets disable_queueing, a flush or a delete, or an sd a process holds is
    deleted."""
    scsi_invariant(record_property, ("opener", "hidden", "sd_opener", "closers", "loops"),
                   unexplained_openers_are_kept, stake_openers)


def test_a_truth_of_unknown_or_excessive_age_removes_nothing(record_property):
    """Fails when a truth with no, a non-finite (NaN, inf) or a too old collected_at, at plan or at act time, lets
    anything be flushed, deleted or lose its queueing."""
    # worlds near one where a map goes (calm), their truth's age mostly unusable: where the rule can be broken
    scsi_invariant(record_property, ("collected",), unusable_truth_removes_nothing, stake_truth_age,
                   strategy=hw.worlds(("collected",), calm=2, choices={"collected": UNUSABLE_AGES + ["fresh"]}))


def test_a_lun_mapped_back_or_a_truth_grown_too_old_after_the_plan_is_not_removed(record_property):
    """Fails when the world changes after the plan -- before the act or between two of its batches (after the
    queueing batch, after the flush) -- and the act goes on: a LUN mapped back (its paths answer again as its own LU,
    READY or, while the kernel still calls them failed, a UNIT ATTENTION, NOT READY, TEST UNIT READY before INQUIRY
    fails, multipathd's checker up) still flushed or deleted, or anything flushed, deleted or its queueing turned off
    once the truth is older than truth_max_age (no re-check of the truth's age and of the paths before a batch's
    destructive touch)."""
    scsi_invariant(record_property, ("between",), changes_since_the_plan_stop_the_removal, stake_between,
                   strategy=hw.worlds(("between",), calm=4))


def test_an_active_path_fails_only_by_the_arrays_own_word(record_property):
    """Fails when a map or path is removed while a path the kernel calls active answered anything but LU not
    supported (a blocked sd, a checker timeout, NOT READY, no answer, its own LU's serial)."""
    scsi_invariant(record_property, ("checker", "dev_state", "answers_as", "other_lu_at_lun"),
                   active_paths_fail_only_by_the_arrays_word, stake_active,
                   strategy=hw.worlds(("checker", "dev_state", "answers_as", "other_lu_at_lun"), max_maps=2,
                                      dm_state="active", probe="no_answer"), dm_state="active", probe="no_answer")


def _queueing_and_reports(world, out):
    queueing_is_given_back(world, out)
    reports_show_what_the_run_left(world, out)


def test_queueing_is_back_after_any_error_or_signal_and_every_report_says_what_was_left(record_property):
    """Fails when a map that queued before the act is left without queueing (an injected error, SIGTERM,
    SIGINT/KeyboardInterrupt, a refusal) while it still exists, or when the report of such a run drops a unit it
    stopped or a map it left without queueing."""
    scsi_invariant(record_property, ("fault",), _queueing_and_reports, stake_queueing,
                   strategy=hw.worlds(("fault",), calm=8))


def test_an_approved_plan_only_narrows_the_run_and_an_unapproved_one_needs_its_word(record_property):
    """Fails when a run given an approved plan executes a step the plan does not hold, or touches a device whose
    identity changed after approval, or a real run with neither an approved plan nor allow_unreviewed runs."""
    def run(spec):
        world, out, checked = _run_rule(spec, approved_plan_only_narrows_and_needs_a_word)
        gated = spec["approval"] is not None or not spec.get("unreviewed", True)
        return gated and bool(checked)
    check_invariant(record_property, hw.worlds(("approval",), calm=8), run, explicit=hw.each_value(["approval"]),
                    drawn=lambda spec: [("approval", spec["approval"]), ("unreviewed", spec["unreviewed"])],
                    every={"approval": [None, "all", "first_unit", "nothing", "changed_after"],
                           "unreviewed": [True, False]})


def test_check_mode_plans_what_the_real_run_does(record_property):
    """Fails when check mode's steps differ from the real run's on the same world, or the real run executes a step
    check mode did not show, or leaves one out while no unit stopped."""
    def run(spec):
        _world, real, pairs, done = check_then_real(hw, hw.plain(spec))
        assert all(p in pairs for p in done), (done, pairs)
        if real.error is None:
            assert done == pairs
        return bool(pairs)
    check_invariant(record_property, hw.worlds(calm=6), run)


def _without_odd_names(spec):
    return dict(spec, maps=[dict(m, odd_name=None) for m in spec["maps"]])


def test_one_odd_map_name_changes_no_other_units_plan(record_property):
    """Fails when a map whose name the plan refuses (a t10 WWID with '(', an alias with '@') changes the plan of the
    other maps: it must be refused as one unit, the rest judged as without it."""
    check_invariant(record_property,
                    hw.worlds(("odd_name",), calm=8).filter(lambda s: any(m["odd_name"] for m in s["maps"])),
                    _odd_name_refuses_its_unit_only,
                    drawn=lambda spec: [("odd_name", m["odd_name"]) for m in spec["maps"]],
                    every={"odd_name": hw.allowed(hw.ODD_NAMES)},
                    explicit=[_with_odd_name(n) for n in hw.allowed(hw.ODD_NAMES)])


def _with_odd_name(name):
    """The usual world with a second stale map whose name no step may carry."""
    world = hw.usual_world()
    stale = world["maps"][0]
    return dict(world, maps=[dict(stale, odd_name=name), stale, hw.ANCHOR])


def _odd_name_refuses_its_unit_only(spec):
    """The odd-name rule on one world; at stake when the plan of the same host with every name valid acts on the odd
    map (the name is then all that refuses it) or on another map (which the odd one must not change)."""
    spec = hw.plain(spec)
    odd = [i for i, m in enumerate(spec["maps"]) if m["odd_name"]]
    with hw.Sandbox() as box:
        with_odd = hw.run(box.world(spec, "odd"), check=True)
        renamed = hw.run(box.world(_without_odd_names(spec), "named"), check=True)
    # refused whole for the name: the same host with every name valid is not (a bad truth time refuses both)
    assert not isinstance(with_odd.error, hw.validate.InvalidInput) or isinstance(
        renamed.error, hw.validate.InvalidInput), "the whole host was refused for one name: %s" % with_odd.error

    def others(out, names):
        units = set("map %s" % n for n in names)
        return [(s.action, s.target) for s in out.selected if s.unit not in units]
    assert others(with_odd, [spec["maps"][i]["odd_name"] for i in odd]) == others(renamed, [hw.wwid(i) for i in odd])
    return bool(renamed.selected)


# ---------------------------------------------------------------------------------------------- multipath_conf
# what each no_path_retry value makes of a map without a usable path (the world's own account, not the code's)
NO_PATH_RETRY = {"queue": "queue", "fail": "fail", "3": 3, "30": 30}


# per map: (the kernel's true count of active paths, multipathd's count, what `dmsetup status` shows of it: its line,
# a line that does not parse, no line; multipathd's queueing column, queue_if_no_path in the kernel table)
MAPS = st.lists(st.tuples(st.sampled_from([0, 0, 1]), st.sampled_from([0, 1, None]),
                          st.sampled_from(["line", "line", "garbled", "absent"]),
                          st.sampled_from(["on", "off", "-"]), st.booleans()), max_size=3)
SHOWN = ["line", "garbled", "absent"]
# a file in /etc/multipath/conf.d setting defaults no_path_retry (read after multipath.conf: it wins), which the
# running daemon has loaded already or not yet
CONF_D = [None, "queue", "fail", "30"]
CONF = "defaults {\n    no_path_retry %s\n}\n"


def _now_mode(managed, table_queues, running):
    """The queueing a map has before the run: multipathd's 'on' queues; '-' leaves the kernel table's word; 'off'
    is what the running configuration gives it."""
    if managed == "on":
        return "queue"
    if managed == "-":
        return "queue" if table_queues else "fail"
    return NO_PATH_RETRY[running]


def _status_line(active):
    """What parse_multipath_status gives for a map with one path, active (kernel state A) or failed."""
    return {"groups": [{"state": "A" if active else "E",
                        "paths": [{"dev": "8:16", "active": bool(active), "fail_count": 0 if active else 1}]}]}


def _config_world(c):
    """The reads multipath_conf makes of a world `c`, and what is true there: (reads, the daemon's running value)."""
    live = [{"name": "m%d" % n, "wwid": "3600a098000000000000000000000000%d" % n, "dm": "dm-%d" % n,
             "queueing": managed, "active_paths": mpd, "vendor": "NETAPP", "product": "LUN C-Mode",
             "table_features": "queue_if_no_path" if queues else "", "table_queue_if_no_path": queues}
            for n, (_kernel, mpd, _shown, managed, queues) in enumerate(c["maps"])]
    status = None
    if c["listed"] and c["status_answers"]:
        status = dict(("m%d" % n, _status_line(kernel) if shown == "line" else None)
                      for n, (kernel, _mpd, shown, _managed, _queues) in enumerate(c["maps"]) if shown != "absent")
    daemon_runs = c["conf_d"] if c["conf_d"] and c["conf_d_loaded"] else c["running"]
    reads = (live if c["listed"] else [], status, CONF % daemon_runs if c["daemon"] == "answers" else None,
             CONF % (c["conf_d"] or c["running"]))
    return reads, daemon_runs


def _hurt(c, daemon_runs, file_value):
    """The maps with no active path (the kernel's truth) whose queueing loading `file_value` as multipath.conf (under
    the conf.d file, which wins) changes."""
    after = NO_PATH_RETRY[c["conf_d"] or file_value]
    return ["m%d" % n for n, (kernel, _mpd, _shown, managed, queues) in enumerate(c["maps"])
            if not kernel and _now_mode(managed, queues, daemon_runs) != after]


CONFIG_WORLDS = st.fixed_dictionaries({
    "maps": MAPS, "running": st.sampled_from(sorted(NO_PATH_RETRY)), "wanted": st.sampled_from(sorted(NO_PATH_RETRY)),
    "state": st.sampled_from(["present", "present", "restarted"]),
    "daemon": st.sampled_from(["answers", "answers", "inactive", "unresponsive"]),
    "listed": st.sampled_from([True, True, True, False]), "status_answers": st.sampled_from([True, True, False]),
    "conf_d": st.sampled_from(CONF_D), "conf_d_loaded": st.booleans(),
    "stale": st.lists(st.sampled_from(["no_path_retry", "polling_interval"]), max_size=2, unique=True)})


def _config_examples():
    """A world per value a config world knows (how dmsetup status shows a map, a conf.d layer, loaded or not, the
    daemon's state), near one where the reconfigure would fail a pathless map's queued I/O."""
    usual = {"maps": [(0, 1, "line", "on", True), (1, 1, "line", "on", True)], "running": "queue", "wanted": "fail",
             "state": "present", "daemon": "answers", "listed": True, "status_answers": True, "conf_d": None,
             "conf_d_loaded": False, "stale": []}
    out = [dict(usual, maps=[(0, mpd, shown, "on", True)]) for shown in SHOWN for mpd in (0, 1, None)]
    out += [dict(usual, conf_d=v, conf_d_loaded=loaded) for v in CONF_D for loaded in (True, False)]
    out += [dict(usual, daemon=d, state=st_) for d in ("answers", "inactive", "unresponsive")
            for st_ in ("present", "restarted")]
    return out + [dict(usual, status_answers=False), dict(usual, listed=False)]


def _config_change_keeps_pathless_maps(c):
    """The config rule on one world; at stake when loading the new file would change a pathless map's queueing, or
    the plan applies it."""
    reads, daemon_runs = _config_world(c)
    keys = ["no_path_retry"] if c["wanted"] != c["running"] else []
    new_file = mc_audit.to_dict(mc_parse.parse(CONF % c["wanted"]))
    force = {"restart": False, "queueing_change": False}
    plan = mc_queueing.daemon_plan(c["state"], c["daemon"], (keys, c["stale"]), reads, new_file, force,
                                   lambda m: True)[0]
    would_hurt = _hurt(c, daemon_runs, c["wanted"])
    applied = plan["action"] in ("reconfigure", "start", "restart")
    if applied:
        assert c["listed"], "%s with no map listed (which maps lose their queueing is unknown): %s" % (
            plan["action"], plan)
        assert would_hurt == [], "%s gives %s no_path_retry %s without an active path: %s (world %r)" % (
            plan["action"], would_hurt, c["wanted"], plan, c)
    # the file the run leaves active, which the next reload by anyone (systemctl reload, multipath -r) loads: the fix
    # only where the module may write it; its write must hurt no pathless map that the file before it spared
    written = c["state"] == "present" and bool(keys) and mc_config.writes_active_file(plan)
    if written:
        hurt_by_us = set(would_hurt) - set(_hurt(c, daemon_runs, c["running"]))
        assert not hurt_by_us, "the fix is left active while %s holds it: a reload gives %s no_path_retry %s (%r)" % (
            plan["action"], sorted(hurt_by_us), c["wanted"], c)
    return bool(would_hurt) or applied


def test_a_config_change_never_reaches_a_map_without_an_active_path(record_property):
    """Fails when multipath_conf lets the daemon load (reconfigure, start or restart) a configuration that gives a
    map with no active path (the kernel's count: dmsetup status, whatever multipathd counts; or an unknown count, or
    maps nobody could list) another queueing than it has, unforced, a conf.d file that beats the file included: with
    fail its queued I/O fails at once, with a number a countdown to EIO starts that it did not have. Fails too when it
    leaves such a fix as the active file while the change is held, for the next reload by anyone to load."""
    check_invariant(record_property, CONFIG_WORLDS, _config_change_keeps_pathless_maps, explicit=_config_examples(),
                    drawn=lambda c: [("shown", m[2]) for m in c["maps"]] + [
                        ("conf_d", c["conf_d"]), ("daemon", c["daemon"]), ("status_answers", c["status_answers"])],
                    every={"shown": SHOWN, "conf_d": CONF_D, "daemon": ["answers", "inactive", "unresponsive"],
                           "status_answers": [True, False]})


# ---------------------------------------------------------------------------------------------- the NVMe family
# the one NVMe removal is delete_controller (plan/nvme.py, act/nvme.py): each rule on the controllers whose delete
# reached the fake kernel (NvmeWorld.deleted), against what is true in the world once its change came
REACHING = ("live",) + nw.RECOVERING


def _nvme(spec):
    with nw.Sandbox() as box:
        world = box.world(spec, "real")
        return world, nw.run(world)


def the_last_path_of_a_mapped_namespace_stays(world, out):
    """A controller that is the only live or recovering (connecting, resetting) path of a namespace the array maps to
    this host's NQN is never deleted: the namespace, mounted or not, would go with it."""
    for ns in world.namespaces.values():
        reaching = [c for c in ns["via"] if world.controllers[c]["state"] in REACHING]
        if ns["mapped"] and len(reaching) == 1:
            assert reaching[0] not in world.deleted, (
                "%s, the last live or recovering path of %s (mapped to this host), was deleted: world %r" % (
                    reaching[0], ns["name"], world.spec))


def an_outage_deletes_nothing(world, out):
    """Every controller of a subsystem connecting or resetting, to LIFs the SVM still has, while the subsystem still
    allows this host and still maps a namespace to it: an outage, whose paths come back with the LIFs. None of its
    controllers is deleted."""
    for i, sub in enumerate(world.subsystems):
        ctrls = [world.controllers[c] for c in sub["controllers"]]
        mapped = [ns for ns in world.namespaces.values() if ns["sub"] == i and ns["mapped"]]
        if sub["allows_host"] and mapped and all(c["state"] in nw.RECOVERING and not c["lif_gone"] for c in ctrls):
            assert not world.deleted & set(sub["controllers"]), "outage of subsystem %d, yet %s deleted: world %r" % (
                i, sorted(world.deleted & set(sub["controllers"])), world.spec)


def unmapped_namespaces_in_use_keep_their_controllers(world, out):
    """A controller behind which a namespace the array no longer maps is in use (mounted, swap, a holder, a kernel
    user or claim, a workload opening its block device or its generic node, openers unknown) is never deleted."""
    for name in sorted(world.deleted):
        for head in world.controllers[name]["paths"]:
            ns = world.namespaces[head]
            users = set(ns["users"]) & set(nw.IN_USE) | (set(["unknown"]) if world.kernel.blind else set())
            assert ns["mapped"] or not users, "%s deleted while %s (unmapped) is used by %s: world %r" % (
                name, head, sorted(users), world.spec)


def an_untrusted_truth_deletes_nothing(world, out):
    """An NVMe truth with problems, of unknown, infinite, future or excessive age, read for another host NQN only:
    nothing is deleted. Subsystem 0's hosts list not read: none of its controllers but one reconnecting to a deleted
    LIF (lif_gone needs no hosts list). No namespace record at all: nothing of a subsystem that still allows this host
    (only a hosts list without this host's NQN proves the subsystem has nothing left for it)."""
    flaw, deleted = world.spec["flaw"], [world.controllers[c] for c in sorted(world.deleted)]
    if flaw == "hosts_unread":
        deleted = [c for c in deleted if c["sub"] == 0 and not c["lif_gone"]]
    elif flaw == "empty":
        deleted = [c for c in deleted if world.subsystems[c["sub"]]["allows_host"]]
    assert flaw is None or not deleted, "NVMe truth flaw %s, yet %s deleted: world %r" % (
        flaw, [c["name"] for c in deleted], world.spec)


def live_or_changed_controllers_stay(world, out):
    """A live controller (one live again since the plan included) is never deleted, nor one whose name another
    controller took since the plan (another subsystem NQN, address, controller ID or host NQN)."""
    for c in world.controllers.values():
        assert not (c["name"] in world.deleted and (c["state"] == "live" or c.get("identity"))), (
            "%s deleted while %s: world %r" % (c["name"], c.get("identity") or c["state"], world.spec))


# ---------------------------------------------------------------------------------------------- NVMe: at stake
# the states in which the kernel lets a controller be deleted and a plan may delete it: reconnecting, given up
DELETABLE = ("connecting", "resetting", "dead")


def _deletable(c):
    return c["state"] in DELETABLE


def stake_last_path(world, out):
    """A namespace the array maps has one live or recovering path left, through a controller that is not live (the
    one a plan could delete): the only examples where the_last_path_of_a_mapped_namespace_stays can fail (a
    controller deleted that was no last path is no test of the rule)."""
    return any(ns["mapped"] and len(reaching) == 1 and _deletable(reaching[0]) for ns, reaching in (
        (ns, [world.controllers[c] for c in ns["via"] if world.controllers[c]["state"] in REACHING])
        for ns in world.namespaces.values()))


def stake_outage(world, out):
    """A subsystem in an outage has a controller that carries only namespaces the array unmapped (all that keeps it
    is that the subsystem still allows this host), or its hosts list was not read; or a controller is deleted."""
    for i, sub in enumerate(world.subsystems):
        ctrls = [world.controllers[c] for c in sub["controllers"]]
        mapped = [ns for ns in world.namespaces.values() if ns["sub"] == i and ns["mapped"]]
        if not (sub["allows_host"] and mapped and all(c["state"] in nw.RECOVERING and not c["lif_gone"]
                                                      for c in ctrls)):
            continue
        if (i == 0 and world.spec["flaw"] == "hosts_unread") or any(
                c["paths"] and not any(world.namespaces[h]["mapped"] for h in c["paths"]) for c in ctrls):
            return True
    return bool(world.deleted)


def _host_removed_controllers(world):
    """Controllers a plan would delete but for the rule at hand: not live, of a subsystem that no longer allows this
    host, behind namespaces the array no longer maps."""
    return [c for c in world.controllers.values() if _deletable(c) and not world.subsystems[c["sub"]]["allows_host"]
            and c["paths"] and not any(world.namespaces[h]["mapped"] for h in c["paths"])]


def stake_in_use(world, out):
    """Such a controller has a namespace in use behind it; or a controller is deleted."""
    return any(set(world.namespaces[h]["users"]) & set(nw.IN_USE) or world.kernel.blind
               for c in _host_removed_controllers(world) for h in c["paths"]) or bool(world.deleted)


def stake_untrusted(world, out):
    """The NVMe truth has a flaw while a controller would be deleted but for it; or, no flaw, a controller is
    deleted."""
    if world.spec["flaw"] is None:
        return bool(world.deleted)
    return bool(_host_removed_controllers(world)) or any(c["lif_gone"] and _deletable(c)
                                                         for c in world.controllers.values())


def stake_changed(world, out):
    """The change since the plan hit a controller the plan deletes; or a controller is deleted."""
    change = world.spec["change"]
    planned = set(s.target for s in out.selected if s.action == "delete_controller")
    if change and change[0] in (["live"] + sorted(nw.IDENTITY)):
        return ("nvme%d" % (change[1] % len(world.controllers))) in planned
    return bool(world.deleted)


def _nvme_drawn(spec, dims):
    return _fields(spec, dims, [(nw.CTRL_CHOICES, [c for sub in spec["subsystems"] for c in sub["controllers"]]),
                                (nw.NS_CHOICES, [n for sub in spec["subsystems"] for n in sub["namespaces"]])],
                   {"change": lambda s: [("change", s["change"] and s["change"][0])]})


def nvme_invariant(record_property, strategy, rule, stake, dims=(), explicit=(), every=None):
    """check_invariant over NVMe worlds: `rule` asserted and `stake` measured on each real run."""
    def run(spec):
        world, out = _nvme(spec)
        rule(world, out)
        return stake(world, out)
    check_invariant(record_property, strategy, run, explicit=explicit, drawn=lambda spec: _nvme_drawn(spec, dims),
                    every=every)


def test_the_last_live_or_recovering_path_of_a_mapped_namespace_is_never_deleted(record_property):
    """Fails when a controller is deleted that was the only live or recovering path of a namespace the array maps to
    this host (its other paths dead, being deleted or set up, or given up between the plan and the act), whatever
    delete_lif_gone and policy say."""
    nvme_invariant(record_property, nw.worlds(("delete_lif_gone", "policy"),
                                              templates=("lif_gone", "last_path", "last_path", "outage"),
                                              change=st.one_of(nw.OTHERS_DIE, st.just(None)), calm=4),
                   the_last_path_of_a_mapped_namespace_stays, stake_last_path, ("delete_lif_gone", "policy", "ana"),
                   explicit=nw.each_value(["delete_lif_gone", "policy", "ana", "others_dead"],
                                          nw.usual_world("lif_gone")),
                   every={"delete_lif_gone": [True, False], "policy": ["array", "host_evidence"],
                          "ana": sorted(set(nw.CTRL_CHOICES["ana"]))})


def _outage_mapping(*mapped):
    """The usual outage world whose subsystem's namespaces the array maps as `mapped` says, one each."""
    outage = nw.usual_world("outage")
    return dict(outage, subsystems=[dict(outage["subsystems"][0],
                                         namespaces=[dict(nw.NS_USUAL, mapped=m) for m in mapped])])


def test_an_nvme_outage_deletes_no_controller(record_property):
    """Fails when a controller of a subsystem in an outage (every controller reconnecting to a LIF the SVM still has,
    the host still allowed, a namespace still mapped) is deleted, one that carries only namespaces the array unmapped
    included, whatever delete_lif_gone and policy say, and whether the subsystem's hosts list was read or not."""
    nvme_invariant(record_property, nw.worlds(("policy", "state", "knows", "mapped", "flaw"), templates=("outage",),
                                              state=nw.RECOVERING, calm=4, flaw=[None, "hosts_unread", "hosts_unread"],
                                              deleted=[(0,)], lifs=[3], mapped=[True, True, False],
                                              knows=nw.PARTLY["knows"]),
                   an_outage_deletes_nothing, stake_outage, ("state", "knows", "flaw", "ana"),
                   explicit=[dict(e, flaw=f) for e in nw.each_value(["knows", "ana"], _outage_mapping(True, False, False))
                             for f in (None, "hosts_unread")],
                   every={"state": list(nw.RECOVERING), "flaw": [None, "hosts_unread"],
                          "ana": sorted(set(nw.CTRL_CHOICES["ana"]))})


def test_a_controller_whose_unmapped_namespace_is_in_use_is_never_deleted(record_property):
    """Fails when a controller is deleted while a namespace behind it that the array no longer maps is in use: mounted,
    swap, held, a kernel user or claim, opened through /dev/nvmeXnY or its generic node /dev/ngXnY, openers unknown
    (at plan time, or since)."""
    nvme_invariant(record_property, nw.worlds(("user",), templates=("host_removed",),
                                              change=st.one_of(nw.USER_COMES, st.just(None)), calm=4,
                                              mapped=[False, False, True]),
                   unmapped_namespaces_in_use_keep_their_controllers, stake_in_use, ("user", "change"),
                   explicit=nw.each_value(["user", "user_comes"], dict(nw.usual_world("host_removed"), subsystems=[
                       dict(nw.usual_world("host_removed")["subsystems"][0],
                            namespaces=[dict(nw.NS_USUAL, mapped=False)] * 3)])),
                   every={"user": sorted(set(nw.USERS), key=repr)})


def test_an_nvme_truth_that_cannot_be_trusted_deletes_nothing(record_property):
    """Fails when a controller is deleted on an NVMe truth that cannot be trusted for it: problems, a missing, NaN,
    infinite, future or too old collected_at, its subsystem's hosts list not read, records for another host NQN only,
    no namespace record while the subsystem allows this host."""
    nvme_invariant(record_property, nw.worlds(("flaw",), templates=("host_removed", "host_removed", "lif_gone"),
                                              flaw=nw.FLAWS, calm=4, mapped=[False, False, True]),
                   an_untrusted_truth_deletes_nothing, stake_untrusted, ("flaw",),
                   explicit=nw.each_value(["flaw"], dict(nw.usual_world("host_removed"), subsystems=[
                       dict(nw.usual_world("host_removed")["subsystems"][0],
                            namespaces=[dict(nw.NS_USUAL, mapped=False)] * 3)])),
                   every={"flaw": nw.FLAWS})


def test_a_live_controller_or_one_that_changed_since_the_plan_is_never_deleted(record_property):
    """Fails when a live controller is deleted, or one that went live again or whose name another controller took
    (subsystem NQN, address, controller ID, host NQN) between the plan and the act's read or the writer's."""
    nvme_invariant(record_property, nw.worlds(templates=("host_removed",), change=nw.AT_CONTROLLER, calm=4,
                                              mapped=[False, False, True]),
                   live_or_changed_controllers_stay, stake_changed, ("change",),
                   explicit=nw.each_value(["at_controller"], dict(nw.usual_world("host_removed"), subsystems=[
                       dict(nw.usual_world("host_removed")["subsystems"][0],
                            namespaces=[dict(nw.NS_USUAL, mapped=False)] * 3)])),
                   every={"change": ["live"] + sorted(nw.IDENTITY)})


def test_check_mode_shows_exactly_the_nvme_deletes_a_real_run_makes(record_property):
    """Fails when check mode's NVMe steps differ from a real run's on the same host, or the real run, with nothing
    changed in between, executes other steps or refuses one check mode showed (only a claim the kernel alone shows
    may refuse at act time)."""
    def run(spec):
        world, real, pairs, done = check_then_real(nw, spec)
        if any("claimed" in ns["users"] for ns in world.namespaces.values()):
            assert all(p in pairs for p in done), (done, pairs)
        else:
            assert real.error is None and done == pairs, (real.error, done, pairs, spec)
        # at stake: the plan deletes a controller, or refuses one it judged (a real run that planned anew, or skipped
        # the refusal, would delete it where check mode showed nothing)
        refused = [s for s in (real.plan or {}).get("skipped", [])
                   if s.get("object") == "controller" and s.get("kind") == "refused"]
        return bool(pairs or refused)
    check_invariant(record_property, st.one_of(nw.worlds(calm=4), nw.worlds(("user",), calm=4),
                                               nw.worlds(("state",), calm=4)), run)


def test_the_ci_profile_is_bounded_and_deterministic():
    """Fails when the invariant suite's default profile is unbounded or random (CI time, reproducible failures)."""
    if _EXAMPLES:
        pytest.skip("SANFLEET_INVARIANT_EXAMPLES asks for the deep profile")
    assert RULES.max_examples <= 200 and RULES.derandomize and RULES.database is None
