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
    multipath_audit as mc_audit, multipath_parse as mc_parse, multipath_queueing as mc_queueing)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.truth_age import TRUTH_CLOCK_SKEW
from ansible_collections.sanfleet.remediation.tests.unit import house_rules_nvme_worlds as nw
from ansible_collections.sanfleet.remediation.tests.unit import house_rules_worlds as hw
from hypothesis import HealthCheck, given, settings, strategies as st


_EXAMPLES = int(os.environ.get("SANFLEET_INVARIANT_EXAMPLES") or 0)


settings.register_profile("ci", max_examples=100, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))


settings.register_profile("deep", max_examples=max(_EXAMPLES, 1), deadline=None, database=None,
                          derandomize=False, suppress_health_check=list(HealthCheck))


RULES = settings.get_profile("deep" if _EXAMPLES else "ci")


REMOVING = {"flush", "delete", "flushbufs"}


def _real(spec, approved=None, name="real"):
    with hw.Sandbox() as box:
        world = box.world(spec, name)
        return world, hw.run(world, approved=approved)


def _approved(spec):
    """The approved plan of a world (its check run's artifact, cut as the world says) and a change after approval."""
    kind = spec.get("approval")
    if kind is None:
        return None, None
    with hw.Sandbox() as box:
        checked = hw.run(box.world(hw.plain(spec), "check"), check=True)
    art = checked.artifact
    if art is None:
        return None, None
    if kind == "nothing":
        return {}, None
    steps = art["steps"]
    if kind == "first_unit" and steps:
        unit = steps[0]["unit"]
        steps = [s for s in steps if s["unit"] == unit]
    art = dict(art, steps=steps, digest=hw.approval.digest(art["format"], art["host"], art["created_at"], steps))
    return art, (kind == "changed_after")


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
    as it did before the act."""
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


def _run_rule(spec, rule):
    approved, changed = _approved(spec)
    with hw.Sandbox() as box:
        world = box.world(spec, "real")
        if changed:
            change_identity_after_approval(world)
        out = hw.run(world, approved=approved)
        if rule is approved_plan_only_narrows:
            rule(world, out, approved, changed)
        else:
            rule(world, out)


# ---------------------------------------------------------------------------------------------- the tests


@RULES
@given(hw.worlds(("covered", "duplicate", "initiators", "mapped")))
def test_a_lun_the_array_maps_to_this_host_is_never_removed(spec):
    """Fails when anything of a map whose LUN the array maps to this host's initiator is flushed or deleted
    (absence from partial, foreign-initiator or duplicate-identity truth taken for unmapped)."""
    _run_rule(spec, mapped_devices_are_kept)


@RULES
@given(hw.worlds(("opener", "hidden", "sd_opener", "closers", "loops")))
def test_a_device_with_an_opener_no_one_explains_is_never_touched(spec):
    """Fails when a map with a hidden open (another namespace, a thread the scan missed, one a killed closer on
    another device is taken to explain) gets disable_queueing, a flush or a delete, or an sd a process holds is
    deleted."""
    _run_rule(spec, unexplained_openers_are_kept)


@RULES
@given(hw.worlds(("collected",)))
def test_a_truth_of_unknown_or_excessive_age_removes_nothing(spec):
    """Fails when a truth with no, a non-finite (NaN, inf) or a too old collected_at, at plan or at act time, lets
    anything be flushed, deleted or lose its queueing."""
    _run_rule(spec, unusable_truth_removes_nothing)


@RULES
@given(hw.worlds(("between",)))
def test_a_lun_mapped_back_or_a_truth_grown_too_old_after_the_plan_is_not_removed(spec):
    """Fails when the world changes after the plan -- before the act or between two of its batches (after the
    queueing batch, after the flush) -- and the act goes on: a LUN mapped back (its paths answer again as its own LU)
    still flushed or deleted, or anything flushed, deleted or its queueing turned off once the truth is older than
    truth_max_age (no re-check of the truth's age and of the paths before a batch's destructive touch)."""
    _run_rule(spec, changes_since_the_plan_stop_the_removal)


@RULES
@given(hw.worlds(("checker", "dev_state", "answers_as", "other_lu_at_lun"), max_maps=2, dm_state="active",
                 probe="no_answer"))
def test_an_active_path_fails_only_by_the_arrays_own_word(spec):
    """Fails when a map or path is removed while a path the kernel calls active answered anything but LU not
    supported (a blocked sd, a checker timeout, NOT READY, no answer, its own LU's serial)."""
    _run_rule(spec, active_paths_fail_only_by_the_arrays_word)


@RULES
@given(hw.worlds(("fault",)))
def test_queueing_is_back_after_any_error_or_signal(spec):
    """Fails when a map that queued before the act is left without queueing (an injected error, SIGTERM,
    SIGINT/KeyboardInterrupt, a refusal) while it still exists."""
    _run_rule(spec, queueing_is_given_back)


@RULES
@given(hw.worlds(("approval",)))
def test_an_approved_plan_only_narrows_the_run(spec):
    """Fails when a run given an approved plan executes a step the plan does not hold, or touches a device whose
    identity changed after approval."""
    _run_rule(spec, approved_plan_only_narrows)


@RULES
@given(hw.WORLDS)
def test_check_mode_plans_what_the_real_run_does(spec):
    """Fails when check mode's steps differ from the real run's on the same world, or the real run executes a step
    check mode did not show, or leaves one out while no unit stopped."""
    _world, real, pairs, done = check_then_real(hw, hw.plain(spec))
    assert all(p in pairs for p in done), (done, pairs)
    if real.error is None:
        assert done == pairs


def _without_odd_names(spec):
    return dict(spec, maps=[dict(m, odd_name=None) for m in spec["maps"]])


@RULES
@given(hw.worlds(("odd_name",)).filter(lambda s: any(m["odd_name"] for m in s["maps"])))
def test_one_odd_map_name_changes_no_other_units_plan(spec):
    """Fails when a map whose name the plan refuses (a t10 WWID with '(', an alias with '@') changes the plan of the
    other maps: it must be refused as one unit, the rest judged as without it."""
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


# ---------------------------------------------------------------------------------------------- multipath_conf
# what each no_path_retry value makes of a map without a usable path (the world's own account, not the code's)
NO_PATH_RETRY = {"queue": "queue", "fail": "fail", "3": 3, "30": 30}


MAPS = st.lists(st.tuples(st.sampled_from([0, 1, None]),            # active paths (None: nobody could count)
                          st.sampled_from(["on", "off", "-"]),       # multipathd's queueing column
                          st.booleans()),                            # queue_if_no_path in the kernel table
                max_size=3)


def _now_mode(managed, table_queues, running):
    """The queueing a map has before the run: multipathd's 'on' queues; '-' leaves the kernel table's word; 'off'
    is what the running configuration gives it."""
    if managed == "on":
        return "queue"
    if managed == "-":
        return "queue" if table_queues else "fail"
    return NO_PATH_RETRY[running]


@RULES
@given(maps=MAPS, running=st.sampled_from(sorted(NO_PATH_RETRY)), wanted=st.sampled_from(sorted(NO_PATH_RETRY)),
       state=st.sampled_from(["present", "restarted"]), daemon=st.sampled_from(["answers", "inactive", "unresponsive"]),
       listed=st.booleans(), stale=st.lists(st.sampled_from(["no_path_retry", "polling_interval"]), max_size=2,
                                            unique=True))
def test_a_config_change_never_reaches_a_map_without_an_active_path(
        maps, running, wanted, state, daemon, listed, stale):
    """Fails when multipath_conf lets the daemon load (reconfigure, start or restart) a configuration that gives a
    map with no active path (or an unknown count, or maps nobody could list) another queueing than it has, unforced:
    with fail its queued I/O fails at once, with a number a countdown to EIO starts that it did not have."""
    live = [{"name": "m%d" % n, "wwid": "3600a098000000000000000000000000%d" % n, "dm": "dm-%d" % n,
             "queueing": managed, "active_paths": active, "vendor": "NETAPP", "product": "LUN C-Mode",
             "table_features": "queue_if_no_path" if queues else "", "table_queue_if_no_path": queues}
            for n, (active, managed, queues) in enumerate(maps)]
    conf = "defaults {\n    no_path_retry %s\n}\n"
    reads = (live if listed else [], None, conf % running if daemon == "answers" else None, conf % running)
    keys = ["no_path_retry"] if wanted != running else []
    new_file = mc_audit.to_dict(mc_parse.parse(conf % wanted))
    force = {"restart": False, "queueing_change": False}
    plan = mc_queueing.daemon_plan(state, daemon, (keys, stale), reads, new_file, force, lambda m: True)[0]
    if plan["action"] not in ("reconfigure", "start", "restart"):
        return
    assert listed, "%s with no map listed (which maps lose their queueing is unknown): %s" % (plan["action"], plan)
    hurt = [m["name"] for m, (active, managed, queues) in zip(live, maps)
            if active in (0, None) and _now_mode(managed, queues, running) != NO_PATH_RETRY[wanted]]
    assert hurt == [], "%s gives %s no_path_retry %s without an active path: %s" % (
        plan["action"], hurt, wanted, plan)


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


@RULES
@given(nw.worlds(("delete_lif_gone", "policy"), templates=("lif_gone", "lif_gone", "outage"),
                 change=st.one_of(nw.OTHERS_DIE, st.just(None)), calm=4))
def test_the_last_live_or_recovering_path_of_a_mapped_namespace_is_never_deleted(spec):
    """Fails when a controller is deleted that was the only live or recovering path of a namespace the array maps to
    this host (its other paths dead, being deleted or set up, or given up between the plan and the act), whatever
    delete_lif_gone and policy say."""
    the_last_path_of_a_mapped_namespace_stays(*_nvme(spec))


@RULES
@given(nw.worlds(("policy", "state", "knows", "mapped"), templates=("outage",), state=nw.RECOVERING, calm=4,
                 **nw.PARTLY))
def test_an_nvme_outage_deletes_no_controller(spec):
    """Fails when a controller of a subsystem in an outage (every controller reconnecting to a LIF the SVM still has,
    the host still allowed, a namespace still mapped) is deleted, one that carries only namespaces the array unmapped
    included, whatever delete_lif_gone and policy say."""
    an_outage_deletes_nothing(*_nvme(spec))


@RULES
@given(nw.worlds(templates=("host_removed",), change=st.one_of(nw.USER_COMES, st.just(None)), calm=4))
def test_a_controller_whose_unmapped_namespace_is_in_use_is_never_deleted(spec):
    """Fails when a controller is deleted while a namespace behind it that the array no longer maps is in use: mounted,
    swap, held, a kernel user or claim, opened through /dev/nvmeXnY or its generic node /dev/ngXnY, openers unknown
    (at plan time, or since)."""
    unmapped_namespaces_in_use_keep_their_controllers(*_nvme(spec))


@RULES
@given(nw.worlds(("flaw",), flaw=nw.FLAWS, calm=4))
def test_an_nvme_truth_that_cannot_be_trusted_deletes_nothing(spec):
    """Fails when a controller is deleted on an NVMe truth that cannot be trusted for it: problems, a missing, NaN,
    infinite, future or too old collected_at, its subsystem's hosts list not read, records for another host NQN only,
    no namespace record while the subsystem allows this host."""
    an_untrusted_truth_deletes_nothing(*_nvme(spec))


@RULES
@given(nw.worlds(change=nw.AT_CONTROLLER, calm=4))
def test_a_live_controller_or_one_that_changed_since_the_plan_is_never_deleted(spec):
    """Fails when a live controller is deleted, or one that went live again or whose name another controller took
    (subsystem NQN, address, controller ID, host NQN) between the plan and the act's read or the writer's."""
    live_or_changed_controllers_stay(*_nvme(spec))


@RULES
@given(st.one_of(nw.worlds(calm=4), nw.worlds(("user",), calm=4), nw.worlds(("state",), calm=4)))
def test_check_mode_shows_exactly_the_nvme_deletes_a_real_run_makes(spec):
    """Fails when check mode's NVMe steps differ from a real run's on the same host, or the real run, with nothing
    changed in between, executes other steps or refuses one check mode showed (only a claim the kernel alone shows
    may refuse at act time)."""
    world, real, pairs, done = check_then_real(nw, spec)
    if any("claimed" in ns["users"] for ns in world.namespaces.values()):
        assert all(p in pairs for p in done), (done, pairs)
    else:
        assert real.error is None and done == pairs, (real.error, done, pairs, spec)


def test_the_ci_profile_is_bounded_and_deterministic():
    """Fails when the invariant suite's default profile is unbounded or random (CI time, reproducible failures)."""
    if _EXAMPLES:
        pytest.skip("SANFLEET_INVARIANT_EXAMPLES asks for the deep profile")
    assert RULES.max_examples <= 200 and RULES.derandomize and RULES.database is None
