# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/cleanup.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import kernel_wwid
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import probe as observe_probe
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup, families as plan_families
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import step
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import WWID, WWID2
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    TARGETS, check, one_path_reused, probe_live, rec, sd_states, snap_of, verdict)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    healthy_lab, inline_call, killed_task, ontap_serial, ontap_wwid)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.plan.helpers import (
    CLOSER, STALE, a_disk, a_map, closing_snapshot, counted, plan, snapshot)


STALE_MAP_ONLY = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}]


def snap_with(paths, probe=None, disk_kw=None):
    m = a_map(paths=paths, probe=probe or {})
    disks = {}
    for p in paths:
        disks[p["name"]] = a_disk(p["name"], map=WWID, holders=["dm-3"], **(disk_kw or {}))
    # a complete, fresh array truth (the truth gates pass): what is tested here is the host evidence alone
    return {"collected_at": 1000.0, "maps": {WWID: m}, "disks": disks,
            "array": {"records": 1, "targets": [], "problems": [], "collected_at": 990.0}}


FAILED = {"dm_state": "failed", "checker_state": "faulty", "dev_state": "running"}


def test_every_path_failed_positively_is_planned():
    """Fails when a stale map whose every path is observed failed is not planned."""
    snap = snap_with([dict(FAILED, name="sdc"), dict(FAILED, name="sdd")])
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["steps"][0].action == "disable_queueing"


@pytest.mark.parametrize("unknown", [
    {"dm_state": None, "checker_state": None, "dev_state": "running"},       # dmsetup status failed
    {"dm_state": None, "checker_state": "pending", "dev_state": "running"},  # checker not run yet
    {},                                                                      # nothing known
])
def test_a_path_in_an_unknown_state_is_not_dead(unknown):
    """Fails when a path in an unknown state counts as dead and its map is planned."""
    snap = snap_with([dict(FAILED, name="sdc"), dict(unknown, name="sdd")])
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["steps"] == []
    assert "sdd" in out["skipped"][0]["reason"] and "not positively observed" in out["skipped"][0]["reason"]


@pytest.mark.parametrize("probe,checker", [
    ({"result": "no_answer", "tur_answered": True, "sense": "INQUIRY got no answer within 8s"}, "faulty"),
    ({"result": "not_ready", "sense": "Not Ready: Logical unit not accessible, asymmetric access state transition"},
     "faulty"),
    ({"result": "no_answer", "sense": "transport failure: DID_TRANSPORT_DISRUPTED"}, "ready"),
    ({"result": "error", "sense": "sg_turs rc=99", "pqual": 0}, "faulty"),
])
def test_a_stale_map_whose_failed_path_hears_its_lu_is_not_planned(probe, checker):
    """Fails when the plan chooses a stale_unmapped map as dead while an LU answers on a path the kernel calls failed
    (TEST UNIT READY answered, NOT READY, INQUIRY answering, multipathd's checker up): the act would refuse it as
    came_back, so check mode must not show it."""
    snap = snap_with([dict(FAILED, name="sdc"), dict(FAILED, name="sdd", checker_state=checker)],
                     probe={"sdc": {"result": "lun_not_supported"}, "sdd": probe})
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["steps"] == [] and "an LU answers on path(s) sdd" in out["skipped"][0]["reason"], out["skipped"]


def test_a_probe_that_says_the_lu_is_gone_is_positive_evidence():
    """Fails when a probe answering LU not supported does not count as proof the path is dead."""
    snap = snap_with([dict(FAILED, name="sdc"), {"name": "sdd", "dm_state": None}],
                     probe={"sdd": {"result": "lun_not_supported"}})
    assert cleanup.plan_cleanup(snap, STALE_MAP_ONLY)["steps"]


NOT_PROBED = {"result": "error", "sense": "sg_turs is not installed (sg3_utils): not probed", "serial_live": None,
              "missing": "sg_turs"}


def test_a_stale_map_whose_paths_could_not_be_probed_is_left_and_says_why():
    """On a host without sg3_utils the kernel's failed state was enough to flush an unmapped map: nothing is removed
    whose paths were not probed (a network blip shows the same state)."""
    snap = snap_with([dict(FAILED, name="sdc"), dict(FAILED, name="sdd")],
                     probe={"sdc": dict(NOT_PROBED), "sdd": dict(NOT_PROBED)})
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["steps"] == [] and out["flush_maps"] == []
    [left] = out["skipped"]
    assert left["name"] == WWID and "sdc, sdd not probed: sg_turs is not installed" in left["reason"], left


def test_a_stale_plain_disk_that_could_not_be_probed_is_left():
    snap = {"collected_at": 1000.0, "maps": {},
            "disks": {"sdf": a_disk("sdf", "4:0:0:5", "8:80", state="offline", probe=dict(NOT_PROBED))},
            "array": {"records": 1, "targets": [], "problems": [], "collected_at": 990.0}}
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID}])
    assert out["steps"] == [] and "sdf not probed" in out["skipped"][0]["reason"]


def test_no_map_is_flushed_on_a_host_without_multipath_tools():
    """multipath -f and multipathd are multipath-tools': a host without it gets no flush step (its act would stop
    half-way, the map's queueing already turned off)."""
    snap = snap_with([dict(FAILED, name="sdc"), dict(FAILED, name="sdd")])
    snap["host"] = {"tools_missing": [{"package": "multipath-tools", "programs": ["multipath", "multipathd"]}]}
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["steps"] == [] and "multipath-tools is not installed" in out["skipped"][0]["reason"]
    snap["host"] = {"tools_missing": [{"package": "nvme-cli", "programs": ["nvme"]}]}
    assert cleanup.plan_cleanup(snap, STALE_MAP_ONLY)["steps"]


class _ProgramThatCannotRun(object):
    """A host whose sg3_utils programs are there but cannot be started (EACCES: a noexec mount, an SELinux denial,
    mode 0644; ENOEXEC: a broken binary): every probe command raises OSError, as Popen does."""
    probe_timeout = 1.0

    def __init__(self, err):
        self.err = err

    def path(self, p):
        return p

    def run(self, argv, timeout, what=None):
        raise OSError(self.err, "%s: %s" % (argv[0], errno.errorcode[self.err]))


@pytest.mark.parametrize("err", [errno.EACCES, errno.ENOEXEC])
def test_a_stale_map_whose_probe_program_cannot_be_started_is_left(err):
    """A probe whose program is installed but cannot be started was sent no more than one whose program is missing:
    no live answer was heard, so a removal may not rest on it. Fails: only ENOENT marks the probe `missing`
    (observe.probe.probe_path); any other OSError gives a bare result 'error', which plan.cleanup.not_probed does
    not see, and the kernel's failed state alone flushes the map (what a network blip shows too)."""
    host = _ProgramThatCannotRun(err)
    probes = dict((sd, observe_probe.probe_path(host, sd)) for sd in ("sdc", "sdd"))
    assert all(p["result"] == "error" for p in probes.values()), probes
    snap = snap_with([dict(FAILED, name="sdc"), dict(FAILED, name="sdd")], probe=probes)
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["steps"] == [] and out["flush_maps"] == [], [(st.action, st.target) for st in out["steps"]]
    assert "not probed" in out["skipped"][0]["reason"], out["skipped"]


def test_a_map_without_paths_is_removable_only_on_the_arrays_word():
    """Fails when a map without paths is removed on host evidence alone, or not on the array's word."""
    snap = snap_with([])
    assert cleanup.plan_cleanup(snap, STALE_MAP_ONLY)["steps"][0].action == "disable_queueing"
    unknown = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    out = cleanup.plan_cleanup(snap, unknown, {"policy": "host_evidence", "earlier": snap, "grace": 0})
    assert out["steps"] == [] and "host evidence" in out["skipped"][0]["reason"]


def test_a_stale_plain_disk_needs_its_failure_observed():
    """Fails when a stale plain disk is deleted before its failure is observed."""
    snap = {"collected_at": 1000.0, "maps": {},
            "disks": {"sdf": a_disk("sdf", "4:0:0:5", "8:80", state="running")},
            "array": {"records": 1, "targets": [], "problems": [], "collected_at": 990.0}}
    verdicts = [{"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID}]
    assert cleanup.plan_cleanup(snap, verdicts)["steps"] == []
    snap["disks"]["sdf"]["probe"] = {"result": "lun_not_supported"}
    assert [s.action for s in cleanup.plan_cleanup(snap, verdicts)["steps"]] == ["delete_disk", "wait_disk_gone"]


@pytest.mark.parametrize("result", ["no_answer", "not_ready"])
def test_an_alua_transition_on_a_working_unmapped_map_blocks_the_host(tmp_path, result):
    """Fails when an ALUA transition on a working unmapped map reads as proof the LU is gone."""
    # takeover/giveback: the paths of covered map 2 are active, the probe the judge asks for (the array does not map
    # it) times out or answers NOT READY. That is no proof the LU is gone: unexpected_visibility, the host blocked.
    s = snap_of(tmp_path, probe=False)
    for sd in ("sdc", "sde"):
        s["maps"][ontap_wwid(2)]["probe"][sd] = {"result": result, "sense": "ALUA transition"}
    v = verdict(check(s, [rec(1, 1)]), ontap_wwid(2))
    assert v["kind"] == "unexpected_visibility", v
    s["array"] = {"records": 1, "targets": TARGETS, "problems": [], "collected_at": s["collected_at"]}
    assert "unexpected_visibility" in [b["why"] for b in cleanup.removal_blockers(s, [v])]


# a dm-active path during a failover: the sd waits for its session or remote port to recover (blocked,
# transport-offline), or the checker timed out before multipathd failed the path
TRANSIENT = [("A", "i/o timeout", "running"), ("A", "ready", "blocked"), ("A", "faulty", "transport-offline"),
             ("A", "i/o timeout", "blocked")]


@pytest.mark.parametrize("state", TRANSIENT)
def test_a_transient_transport_state_on_an_active_path_keeps_an_unmapped_map_from_being_stale(tmp_path, state):
    """A working map missing from an incomplete truth must block the host (unexpected_visibility). A blocked sd or
    a timed-out checker under a dm-active path counted as failed: the map became stale_unmapped and was planned
    for removal. On an active path only the array's word fails it; the probe the judge asks for times out."""
    s = snap_of(tmp_path, {"sdc": state, "sde": state}, probe=False, setup=sd_states(sdc=state[2], sde=state[2]))
    for sd in ("sdc", "sde"):
        s["maps"][ontap_wwid(2)]["probe"][sd] = {"result": "no_answer", "sense": None, "serial_live": None}
    vs = check(s, [rec(1, 1)])
    v = verdict(vs, ontap_wwid(2))
    assert v["kind"] == "unexpected_visibility" and "state unknown" in v["reason"], v
    assert [p["state"] for p in v["evidence"]["paths"]] == ["unknown", "unknown"]
    s["array"] = {"records": 1, "targets": TARGETS, "problems": [], "collected_at": s["collected_at"]}
    s["verdicts"] = vs
    out = cleanup.plan_cleanup(s, vs)
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["unexpected_visibility"]


def test_a_path_still_answering_as_the_maps_own_lu_makes_a_reused_map_unexpected_visibility(tmp_path):
    """One path of a map the truth does not list answers as another LU, the other still as the map's own LU: the
    map was serial_mismatch, the host not blocked, the map flushed and its working path deleted. That working path
    reaches an LU the truth does not list: unexpected_visibility, which blocks the host; no path is repaired."""
    s = one_path_reused(tmp_path)
    vs = check(s, [rec(9, 1), rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "unexpected_visibility", v
    assert "sdd" in v["reason"] and "LUN id reuse on sdb" in v["reason"]
    assert [x for x in vs if x["object"] == "disk"] == []           # nothing to repair
    s["array"] = {"records": 2, "targets": TARGETS, "problems": [], "collected_at": s["collected_at"]}
    s["verdicts"] = vs
    out = cleanup.plan_cleanup(s, vs)
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["unexpected_visibility"]


def test_a_blocked_path_whose_kernel_state_was_not_read_keeps_an_unmapped_map_from_being_stale(tmp_path):
    """dmsetup status did not list the map (no answer, a cut read: dm_state None) while its sds are blocked, their
    session recovering. The kernel's own path state is unknown and blocked is a transient transport state (a plain
    blocked disk is unknown): neither proves the LU gone. The paths counted as failed, so a map missing from an
    incomplete truth became stale_unmapped and was planned for a flush."""
    state = ("A", "ready", "blocked")
    s = snap_of(tmp_path, {"sdc": state, "sde": state}, probe=False, setup=sd_states(sdc="blocked", sde="blocked"))
    for p in s["maps"][ontap_wwid(2)]["paths"]:
        p["dm_state"] = None  # what _map_paths gives when the map has no dmsetup status line
    for sd in ("sdc", "sde"):
        s["maps"][ontap_wwid(2)]["probe"][sd] = {"result": "no_answer", "sense": None, "serial_live": None}
    vs = check(s, [rec(1, 1)])
    v = verdict(vs, ontap_wwid(2))
    assert v["kind"] != "stale_unmapped", v
    s["array"] = {"records": 1, "targets": TARGETS, "problems": [], "collected_at": s["collected_at"]}
    s["verdicts"] = vs
    assert not [st for st in cleanup.plan_cleanup(s, vs)["steps"] if st.action == "flush_map"]


def test_cleanup_releases_only_stale_unmapped_dead_maps():
    """Fails when a map's opener is released for any verdict but stale_unmapped."""
    snap = snapshot()
    snap["maps"][WWID].update(paths=[{"name": "sdc", "dm_state": "failed"}, {"name": "sdd", "dm_state": "failed"}],
                              openers=[{"pid": 31, "comm": "dd"}], open_count=1)
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}])
    assert [s.action for s in out["steps"]][:3] == ["disable_queueing", "verify_unused", "flush_map"]
    mism = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID, "evidence": {}}]
    out = cleanup.plan_cleanup(snap, mism)
    assert out["steps"] == [] and "pid 31 (dd)" in out["skipped"][0]["reason"]


def test_a_dead_map_held_by_a_killed_closer_is_released_and_must_reach_open_count_0():
    """Fails when a dead map held by a killed closer is not released, or not made to reach open count 0."""
    out = plan(closing_snapshot([CLOSER]), [dict(STALE, name=WWID, wwid=WWID)])
    steps = [s for s in out["steps"] if s.target == WWID]
    assert [s.action for s in steps][:3] == ["disable_queueing", "verify_unused", "flush_map"]
    assert steps[0].options["release_openers"] is True and steps[0].options["exiting_opens"] == 1
    assert steps[1].options["exiting_opens"] == 1
    assert "1 killed task(s) still closing it" in steps[1].reason and "open count to reach 0" in steps[1].reason


@pytest.mark.parametrize("closers,open_count,change", [
    ([], 1, {}),                                                       # no killed task: a user nobody named
    ([dict(CLOSER, frames=[])], 1, {}),                                 # exiting, but not in a block device close
    ([dict(CLOSER, frames=None)], 1, {}),                               # /proc/PID/stack unreadable: no proof
    ([CLOSER], 2, {}),                                                  # 2 unexplained opens, 1 closer
    ([CLOSER], 1, {"probe": {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "no_answer"}}}),
    ([CLOSER], 1, {"queueing": False}),                                 # not queueing: nothing to wait for
])
def test_an_unexplained_open_without_a_killed_closer_to_match_it_still_refuses(closers, open_count, change):
    """Fails when an open no killed closer can explain lets the map be released."""
    out = plan(closing_snapshot(closers, open_count, **change), [dict(STALE, name=WWID, wwid=WWID)])
    assert [s for s in out["steps"] if s.target == WWID] == []
    assert "open count %d" % open_count in out["skipped"][0]["reason"]


def test_killed_closers_are_pooled_over_every_dead_map():
    """Fails when one killed closer vouches for the opens of two dead maps."""
    # /proc does not say which device an exiting task closes: one closer cannot vouch for two maps
    snap = closing_snapshot([CLOSER])
    snap["maps"][WWID2].update(paths=[{"name": "sde", "dm_state": "failed"}], openers=[], open_count=1,
                               probe={"sde": {"result": "lun_not_supported"}})
    verdicts = [dict(STALE, name=WWID, wwid=WWID), dict(STALE, name=WWID2, wwid=WWID2)]
    out = plan(snap, verdicts)
    assert out["steps"] == []
    reasons = [x["reason"] for x in out["skipped"]]
    assert len(reasons) == 2 and all("1 task(s) exiting on this host" in r and "pid 402" in r for r in reasons)
    snap["host"]["exiting_tasks"] = [CLOSER, dict(CLOSER, pid=403)]
    out = plan(snap, verdicts)
    assert set(s.target for s in out["steps"] if s.action == "verify_unused") == {WWID, WWID2}


def outage_snapshot(closers, **b_change):
    """Stale map A (WWID: every path failed and LOGICAL UNIT NOT SUPPORTED) with 1 open nobody the /proc scan
    sees, and map B (WWID2) that the array still maps, in an outage (queueing, every path failed): a udev worker
    killed while its read queued on B holds B's open count at 1 from inside its exit."""
    snap = closing_snapshot(closers)
    snap["maps"][WWID2].update(dict({"paths": [{"name": "sde", "dm_state": "failed"}], "openers": [],
                                     "open_count": 1, "probe": {"sde": {"result": "no_answer"}}}, **b_change))
    return snap


OUTAGE = [dict(STALE, name=WWID, wwid=WWID),
          {"kind": "paths_down_but_mapped", "object": "map", "name": WWID2, "wwid": WWID2}]


def test_a_killed_closer_of_a_mapped_map_in_an_outage_never_releases_a_stale_map():
    """The closers were compared with the opens of the chosen maps only. B's killed worker
    "explained" A's open, which a hidden user holds (a mount in another namespace, drbd, ZFS): A got
    disable_queueing and the user's queued writes failed. Every device's opens are counted now: 2 opens, 1
    closer, and A is refused before anything is touched."""
    out = plan(outage_snapshot([CLOSER]), OUTAGE)
    assert out["steps"] == []
    refused = [x for x in out["skipped"] if x["kind"] == "refused"]
    assert [x["name"] for x in refused] == [WWID]
    assert "2 open(s) on this host" in refused[0]["reason"] and "dm-3 1, dm-4 1" in refused[0]["reason"]
    assert "pid 402" in refused[0]["reason"]
    # one closer each: every open on the host is a closer's, A's included
    out = plan(outage_snapshot([CLOSER, dict(CLOSER, pid=403)]), OUTAGE)
    assert [s.action for s in out["steps"] if s.target == WWID][:2] == ["disable_queueing", "verify_unused"]


@pytest.mark.parametrize("other_dm,b_change,why", [
    ({"dm-9": 1}, {"open_count": 0}, "dm-9 1"),                         # an LV's open nobody sees (or its closer)
    ({"dm-9": None}, {"open_count": 0}, "cannot be counted"),            # an LV without an open count
    ({}, {"open_count": 0, "openers_unknown": "pid 9"}, "cannot be counted"),
    ({}, {"open_count": None}, "cannot be counted"),                     # B's open count unknown
])
def test_killed_closers_release_nothing_unless_every_open_on_the_host_is_counted(other_dm, b_change, why):
    """Fails when a killed closer releases a map while an open on the host cannot be counted."""
    snap = counted(outage_snapshot([CLOSER], **b_change))
    for kname, n in other_dm.items():
        snap["host"]["dm_unaccounted"][kname] = {"name": "vg0-lv0", "open_count": n, "unaccounted": n}
    out = cleanup.plan_cleanup(snap, OUTAGE)
    assert [s for s in out["steps"] if s.target == WWID] == []
    assert why in [x for x in out["skipped"] if x["name"] == WWID][0]["reason"]


def test_killed_closers_release_nothing_without_the_host_wide_count_or_while_a_disk_is_blocked():
    """Fails when a killed closer releases a map without a host-wide open count or with a disk blocked."""
    snap = closing_snapshot([CLOSER])
    out = cleanup.plan_cleanup(snap, [dict(STALE, name=WWID, wwid=WWID)])    # no host.dm_unaccounted
    assert out["steps"] == [] and "does not count the opens" in out["skipped"][0]["reason"]
    snap = counted(closing_snapshot([CLOSER]))
    snap["disks"]["sdf"]["state"] = "blocked"     # a closer may be stuck on it, with no open count to show it
    out = cleanup.plan_cleanup(snap, [dict(STALE, name=WWID, wwid=WWID)])
    assert out["steps"] == [] and "sdf (blocked)" in out["skipped"][0]["reason"]


@pytest.mark.parametrize("state", ["quiesce", "created-blocked", "cancel", None])
def test_a_disk_in_any_state_but_running_keeps_killed_closers_from_releasing_a_map(state):
    """Fails when only `blocked` counts as a disk whose I/O may wait: a quiesced disk (or one whose state is not known)
    can hold a closer stuck in its close, which no open count shows."""
    snap = counted(closing_snapshot([CLOSER]))
    snap["disks"]["sdf"]["state"] = state
    out = cleanup.plan_cleanup(snap, [dict(STALE, name=WWID, wwid=WWID)])
    assert out["steps"] == [] and "sdf (%s)" % (state or "unread") in out["skipped"][0]["reason"]


@pytest.mark.parametrize("state", ["offline", "transport-offline"])
def test_a_disk_that_fails_its_io_at_once_does_not_stop_a_killed_closers_release(state):
    """Fails when a disk whose I/O the kernel fails at once (a cut portal's paths past their timeout) counts as one a
    closer may wait on: every host with such a path would never release a map its killed udev worker holds."""
    snap = counted(closing_snapshot([CLOSER]))
    snap["disks"]["sdf"]["state"] = state
    out = cleanup.plan_cleanup(snap, [dict(STALE, name=WWID, wwid=WWID)])
    assert [s.action for s in out["steps"]][:2] == ["disable_queueing", "verify_unused"]


def test_a_map_refused_for_something_else_does_not_use_up_a_killed_closer():
    """Fails when a map refused for another reason uses up a killed closer another map needs."""
    snap = closing_snapshot([CLOSER])
    snap["maps"][WWID2].update(paths=[{"name": "sde", "dm_state": "failed"}], openers=[], open_count=1,
                               probe={"sde": {"result": "lun_not_supported"}}, mountpoints=["/old"])
    out = plan(snap, [dict(STALE, name=WWID, wwid=WWID), dict(STALE, name=WWID2, wwid=WWID2)])
    assert [s.options.get("exiting_opens") for s in out["steps"] if s.action == "disable_queueing"] == [1]
    assert [(x["name"], "/old" in x["reason"]) for x in out["skipped"] if x["kind"] == "refused"] == [(WWID2, True)]


def test_a_killed_closer_is_not_let_through_for_a_map_the_array_may_still_map():
    """Fails when a killed closer lets a map the array may still map be released."""
    out = plan(closing_snapshot([CLOSER]), [{"kind": "serial_mismatch", "object": "map",
                                             "name": WWID, "wwid": WWID, "evidence": {}}])
    assert out["steps"] == [] and "open count 1" in out["skipped"][0]["reason"]


def test_cleanup_flushes_then_deletes_paths_and_never_touches_others():
    """Fails when the cleanup unit runs out of order or touches a map that is not stale_unmapped."""
    verdicts = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID},
                {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2},
                {"kind": "paths_down_but_mapped", "object": "map", "name": "x", "wwid": "36"}]
    out = cleanup.plan_cleanup(snapshot(), verdicts, {"policy": "array"})
    acts = [(s.action, s.target) for s in out["steps"]]
    # the map and its paths are one unit: the map is gone before its paths are deleted, they are gone before
    # multipath -w; steps of one kind side by side (one read of the host for them at act time)
    assert acts == [("disable_queueing", WWID), ("flush_map", WWID), ("wait_map_gone", WWID),
                    ("delete_disk", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdc"),
                    ("wait_disk_gone", "sdd"), ("remove_wwid", WWID)]
    assert {s.unit for s in out["steps"]} == {"map %s" % WWID}
    assert all(s.options["after_flush"] == WWID for s in out["steps"] if s.action == "delete_disk")
    assert {s.phase for s in out["steps"]} == {"flush"}
    assert all(t not in ("sde", WWID2) for action, t in acts)
    assert {s["kind"] for s in out["skipped"]} == {"healthy", "paths_down_but_mapped"}


def test_units_chosen_because_every_path_failed_are_rechecked_at_act_time_the_repairs_are_not():
    """The act probes a dead unit again before touching it (expect.dead); a serial-mismatch repair
    works on paths that answer (another LU), so its steps carry no such mark."""
    out = cleanup.plan_cleanup(snapshot(), [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}])
    marked = [(s.action, s.target) for s in out["steps"] if s.options.get("dead")]
    assert marked == [("disable_queueing", WWID), ("flush_map", WWID), ("delete_disk", "sdc"), ("delete_disk", "sdd")]
    snap = snapshot()
    for n in ("sdc", "sdd"):
        snap["disks"][n]["probe"] = {"result": "ready", "serial_live": "new"}
    verdicts = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID, "evidence": {}}] + [
        {"kind": "serial_mismatch", "object": "disk", "name": n, "wwid": WWID, "evidence": {"array_wwid": WWID2}}
        for n in ("sdc", "sdd")]
    out = cleanup.plan_cleanup(snap, verdicts)
    assert out["steps"] and not [s for s in out["steps"] if s.options.get("dead")]


def test_cleanup_repairs_a_serial_mismatch():
    """Fails when a serial mismatch disk is not deleted, rescanned and verified as the array's LU."""
    verdicts = [{"kind": "serial_mismatch", "object": "disk", "name": "sdf", "wwid": "3600a0980aaaa",
                 "evidence": {"array_wwid": WWID2, "probe": {"result": "ready", "serial_live": "new"}}}]
    out = cleanup.plan_cleanup(snapshot(), verdicts)
    assert [s.action for s in out["steps"]] == ["delete_disk", "wait_disk_gone", "scan_exact_lun",
                                                "wait_disk_present", "verify_identity"]
    assert out["steps"][-1].identity.wwid == WWID2
    assert {s.phase for s in out["steps"]} == {"rescan"}
    assert "after_flush" not in out["steps"][0].options
    # the act probes it again and deletes it only while it still answers as that other LU
    assert out["steps"][0].options["other_lu"] == {"sdf": "new"}


def reused_map_snapshot(sdd_state="active", sdd_probe=None):
    """Map WWID the truth no longer lists: sdc answers as another LU (serial_mismatch), sdd in `sdd_state`."""
    snap = snapshot()
    m = snap["maps"][WWID]
    m["paths"] = [{"name": "sdc", "dm_state": "active"}, {"name": "sdd", "dm_state": sdd_state}]
    m["probe"] = {"sdc": {"result": "ready", "serial_live": "new"},
                  "sdd": sdd_probe or {"result": "ready", "serial_live": "80Ab" + WWID[-8:]}}
    verdicts = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID,
                 "evidence": {"array_mappings": []}},
                {"kind": "serial_mismatch", "object": "disk", "name": "sdc", "wwid": WWID,
                 "evidence": {"array_wwid": WWID2, "probe": m["probe"]["sdc"]}}]
    return snap, verdicts


def test_a_reused_map_with_a_path_not_proven_to_reach_another_lu_is_not_flushed():
    """Only paths proven to reach another LU are repaired: a serial_mismatch map whose other path works (or only
    may be failed) was flushed and that working path deleted. The plan keeps its own guard."""
    for sdd_state, sdd_probe in (("active", None), ("failed", {"result": "ready", "serial_live": "x"}),
                                 ("active", {"result": "no_answer"})):
        snap, verdicts = reused_map_snapshot(sdd_state, sdd_probe)
        out = cleanup.plan_cleanup(snap, verdicts)
        assert not [st for st in out["steps"] if st.target in (WWID, "sdd")], out["steps"]
        why = dict((x["name"], x["reason"]) for x in out["skipped"])[WWID]
        assert why == ("path(s) sdd of map %s are not proven to reach another LU nor failed: they may still reach its "
                       "own LU; only paths proven to reach another LU are repaired" % WWID)
    snap["maps"][WWID]["paths"].append({"name": "sdg", "dm_state": "active"})
    out = cleanup.plan_cleanup(snap, verdicts)
    assert dict((x["name"], x["reason"]) for x in out["skipped"])[WWID].startswith("path(s) sdd, sdg of map %s are not" % WWID)


def test_a_reused_map_is_planned_with_the_proof_the_act_checks_again():
    """With its other path failed by the array's word the map unit is planned, and every touching step carries
    the live serial each mismatching path answered with (expect.other_lu): the act probes again before it acts."""
    snap, verdicts = reused_map_snapshot("failed", {"result": "lun_not_supported"})
    out = cleanup.plan_cleanup(snap, verdicts)
    touching = [st for st in out["steps"] if st.action in ("disable_queueing", "flush_map", "delete_disk")]
    assert [st.target for st in touching] == [WWID, WWID, "sdc", "sdd"]
    assert all(st.options["other_lu"] == {"sdc": "new"} and "dead" not in st.options for st in touching)
    # a mismatching path without the live serial that proves it: not planned
    del snap["maps"][WWID]["probe"]["sdc"]["serial_live"]
    del verdicts[1]["evidence"]["probe"]
    out = cleanup.plan_cleanup(snap, verdicts)
    assert out["steps"] == [] and out["skipped"][0] == {
        "kind": "serial_mismatch", "object": "map", "name": WWID,
        "reason": "path(s) sdc of map %s: no live VPD 0x80 serial proves they reach another LU" % WWID}


def test_fc_serial_mismatch_repair_scans_through_the_port_the_path_went_through():
    """The repair's exact scan of an FC path names the remote port of the path it replaces (its target_wwpn,
    read from the rport the sd sat below): the act refuses when another port answers at that target."""
    snap = snapshot()
    snap["disks"]["sdf"].update(transport="fc", hctl="7:0:2:5", target_wwpn="0x200200a098aa0002",
                                probe={"result": "ready", "serial_live": "new"})  # the proof a repair needs
    verdicts = [{"kind": "serial_mismatch", "object": "disk", "name": "sdf", "wwid": "3600a0980aaaa",
                 "evidence": {"array_wwid": WWID2}}]
    scan = [s for s in cleanup.plan_cleanup(snap, verdicts)["steps"] if s.action == "scan_exact_lun"]
    assert [(s.target, s.identity.as_dict(), dict(s.options)) for s in scan] == [
        ("7:0:2:5", {"hctl": "7:0:2:5"}, {"absent": True, "target_wwpn": "0x200200a098aa0002"})]


def test_reused_lun_map_unit_deletes_every_old_path_before_any_scan():
    """LUN id reuse: the old map, then both old-identity paths (no buffer flush into the new LU), multipath -w,
    and only then the exact scans, each verified against the array's identity."""
    snap = snapshot()
    for n in ("sdc", "sdd"):
        snap["disks"][n]["probe"] = {"result": "ready", "serial_live": "new"}
    verdicts = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID, "evidence": {}}] + [
        {"kind": "serial_mismatch", "object": "disk", "name": n, "wwid": WWID, "evidence": {"array_wwid": WWID2}}
        for n in ("sdc", "sdd")]
    out = cleanup.plan_cleanup(snap, verdicts)
    acts = [(s.action, s.target, s.phase) for s in out["steps"]]
    assert acts == [("disable_queueing", WWID, "flush"), ("flush_map", WWID, "flush"),
                    ("wait_map_gone", WWID, "flush"), ("delete_disk", "sdc", "flush"),
                    ("delete_disk", "sdd", "flush"), ("wait_disk_gone", "sdc", "flush"),
                    ("wait_disk_gone", "sdd", "flush"), ("remove_wwid", WWID, "flush"),
                    ("scan_exact_lun", "4:0:0:1", "rescan"), ("scan_exact_lun", "5:0:0:1", "rescan"),
                    ("wait_disk_present", "4:0:0:1", "rescan"), ("wait_disk_present", "5:0:0:1", "rescan"),
                    ("verify_identity", "4:0:0:1", "rescan"), ("verify_identity", "5:0:0:1", "rescan")]
    assert {s.identity.wwid for s in out["steps"] if s.action == "verify_identity"} == {WWID2}
    # each path's live serial, read off its disk's probe here, is what the act must hear again on it
    assert [dict(s.options["other_lu"]) for s in out["steps"] if s.action in ("flush_map", "delete_disk")] == [
        {"sdc": "new", "sdd": "new"}] * 3


def test_cleanup_skips_in_use_maps_with_the_reason():
    """Fails when an in-use stale map is planned or skipped without its reason."""
    snap = snapshot()
    snap["maps"][WWID]["mountpoints"] = ["/data"]
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}])
    assert out["steps"] == [] and "mounted" in out["skipped"][0]["reason"]


def test_unknown_array_needs_host_evidence_policy_and_grace():
    """Fails when an unknown array's map is removed without the host_evidence policy and its grace time."""
    v = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    assert cleanup.plan_cleanup(snapshot(), v, {"policy": "array"})["steps"] == []
    # host evidence, but not yet for the grace time
    early = snapshot(at=900.0)
    assert cleanup.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "grace": 300,
                                                "earlier": early})["steps"] == []
    # for the grace time on every path
    early = snapshot(at=600.0)
    out = cleanup.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "grace": 300, "earlier": early})
    assert out["steps"][0].action == "disable_queueing"


@pytest.mark.parametrize("result", ["no_answer", "not_ready", "error", "ready"])
def test_host_evidence_never_on_no_answer(result):
    """Fails when host evidence removes a map while one of its paths did not answer LU not supported."""
    v = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    probes = {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": result}}
    out = cleanup.plan_cleanup(snapshot(probes=probes), v, {"policy": "host_evidence", "grace": 300,
                                                            "earlier": snapshot(at=0.0, probes=probes)})
    assert out["steps"] == []


# ---------------------------------------------------------------------------------------------- incomplete truth
STALE_MAP = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID,
              "evidence": {"coverage": [{"cluster": "c1", "svm": "svm1"}]}},
             {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2,
              "evidence": {"coverage": [{"cluster": "c1", "svm": "svm1"}]}}]


def test_complete_fresh_truth_plans_the_removal():
    """Fails when a complete, fresh array truth does not plan a stale map's removal."""
    out = cleanup.plan_cleanup(snapshot(), STALE_MAP)
    assert out["blocked"] == [] and out["steps"][0].action == "disable_queueing"


@pytest.mark.parametrize("change,why", [
    ({"problems": [{"cluster": "c2", "svm": None, "kind": "lookup_failed", "msg": "HTTP 401"}]}, "array_lookup_problem"),
    ({"problems": [{"cluster": "c1", "svm": "svm1", "kind": "svm_scoped_login", "msg": "403"}]},
     "array_lookup_problem"),
    ({"problems": [{"cluster": "c1", "svm": "svm1", "kind": "dropped_mapping", "msg": "igroup gone"}]},
     "array_lookup_problem"),
    ({"records": 0}, "empty_truth"),
    ({"collected_at": None}, "truth_age_unknown"),
    ({"collected_at": 1000.0 - 901}, "truth_too_old"),
    # stamped by a clock minutes ahead, or in epoch milliseconds: never "fresh"
    ({"collected_at": 1000.0 + 301}, "truth_age_unknown"),
    ({"collected_at": 1000.0 * 1000}, "truth_age_unknown"),
    (None, "array_truth_unknown"),
])
def test_incomplete_or_old_truth_plans_no_removal_and_says_why(change, why):
    """Fails when an incomplete, old or misdated array truth plans a removal, or does not say why."""
    snap = snapshot()
    if change is None:
        del snap["array"]
    else:
        snap["array"].update(change)
    out = cleanup.plan_cleanup(snap, STALE_MAP)
    assert out["steps"] == []
    assert [b["why"] for b in out["blocked"]] == [why]
    left = dict((s["name"], s["reason"]) for s in out["skipped"])
    assert left[WWID].startswith("no SCSI removal on this host (%s)" % why)
    assert left[WWID2] == "healthy is never touched by cleanup"


def test_a_covered_map_the_array_does_not_map_but_that_works_blocks_removals():
    """Fails when a working covered map the array does not map does not block removals on the host."""
    odd = dict(STALE_MAP[1], kind="unexpected_visibility")
    out = cleanup.plan_cleanup(snapshot(), [STALE_MAP[0], odd])
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["unexpected_visibility"]
    assert WWID2 in out["blocked"][0]["msg"]
    # not covered (another cluster's LUN): reported, never planned, and no reason to distrust the rest
    out = cleanup.plan_cleanup(snapshot(), [STALE_MAP[0], dict(odd, kind="not_covered", evidence={})])
    assert out["blocked"] == [] and out["steps"]
    assert ("not_covered", WWID2) in [(s["kind"], s["name"]) for s in out["skipped"]]


def test_truth_max_age_is_the_callers_bound():
    """Fails when the array truth's age is not bounded by the caller's truth_max_age."""
    snap = snapshot()
    snap["array"]["collected_at"] = 1000.0 - 100
    assert cleanup.plan_cleanup(snap, STALE_MAP, {"truth_max_age": 60})["blocked"][0]["why"] == "truth_too_old"
    assert cleanup.plan_cleanup(snap, STALE_MAP, {"truth_max_age": 120})["blocked"] == []


@pytest.mark.parametrize("collected", [float("nan"), float("inf"), float("-inf"), -5.0, True, "999.0", [990.0]])
def test_a_truth_time_that_is_no_finite_number_is_an_unknown_age(collected):
    """A NaN collected_at (`.nan` in YAML, NaN in JSON) makes every comparison false: neither 'dated ahead' nor
    'too old' bites and the removal is planned. Infinity, a negative time, a bool (True is an int) or text are no
    time either: the truth's age is unknown and nothing is removed."""
    snap = snapshot()
    snap["array"]["collected_at"] = collected
    out = cleanup.plan_cleanup(snap, STALE_MAP)
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["truth_age_unknown"], out["blocked"]
    assert "not a finite number" in out["blocked"][0]["msg"]


@pytest.mark.parametrize("now", [float("nan"), float("inf"), None, "1000"])
def test_a_host_snapshot_time_that_is_no_finite_number_is_an_unknown_age(now):
    """The other side of the age: the snapshot's own collected_at. NaN there passes both comparisons too."""
    snap = snapshot()
    snap["collected_at"] = now
    out = cleanup.plan_cleanup(snap, STALE_MAP)
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["truth_age_unknown"], out["blocked"]


@pytest.mark.parametrize("bound", [float("nan"), float("inf"), 0, -1, True, "900"])
def test_a_truth_max_age_that_is_no_finite_positive_number_bounds_nothing(bound):
    """`now - collected > NaN` (or > infinity) is never true: a truth of any age would pass the gate."""
    snap = snapshot()
    snap["array"]["collected_at"] = 1000.0 - 10 ** 6
    out = cleanup.plan_cleanup(snap, STALE_MAP, {"truth_max_age": bound})
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["truth_age_unknown"], out["blocked"]


@pytest.mark.parametrize("earlier_at", [float("nan"), float("-inf"), None])
def test_host_evidence_needs_two_finite_times_grace_apart(earlier_at):
    """`now - NaN < grace` is false: a first look dated NaN would count as taken long enough ago."""
    v = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    early = snapshot(at=0.0)
    early["collected_at"] = earlier_at
    out = cleanup.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "grace": 300, "earlier": early})
    assert out["steps"] == []
    assert cleanup.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "grace": float("nan"),
                                                "earlier": snapshot(at=0.0)})["steps"] == []


@pytest.mark.parametrize("dm_name,vg_lv", [
    ("vg0-lv0", ("vg0", "lv0")),
    ("my--vg-data--01", ("my-vg", "data-01")),
    ("vg-pool_tdata", ("vg", "pool_tdata")),
    ("nodash", None),
])
def test_lvm_dm_names_decode_to_vg_and_lv(dm_name, vg_lv):
    """Fails when an LVM dm name is not decoded into its VG and LV, dashes unescaped."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users
    assert users.decode_lvm_name(dm_name) == vg_lv


# ------------------------------------------------------------------ a map whose name no step may carry (one unit)
def test_without_the_array_truth_the_plan_says_why_nothing_is_removed():
    """Without ONTAP (no cluster, no array_truth) stale_cleanup planned nothing and said no reason: `blocked` (the
    role's no_removal_because) was empty, as for a host with nothing stale."""
    snapshot = {"collected_at": 100.0, "maps": {}, "disks": {}, "array": None}
    verdicts = [{"kind": "unknown_array", "object": "map", "name": "3600a0980aa", "wwid": "3600a0980aa"}]
    plan = cleanup.plan_cleanup(snapshot, verdicts, {"policy": "array"})
    assert plan["steps"] == [] and [b["why"] for b in plan["blocked"]] == ["no_array_truth"]
    assert "no array truth was given" in plan["blocked"][0]["msg"]
    # host_evidence may remove another array's dead maps without the array: not blocked for the missing truth
    assert cleanup.removal_blockers(snapshot, verdicts, {"policy": "host_evidence"}) == []


def test_a_closer_of_an_nvme_namespace_never_releases_a_stale_map(tmp_path):
    """exiting_allowance counts the unaccounted opens of every dm device and every blocked SCSI disk, and lets a
    stale map's unexplained opens through when the closers are as many. But a closer may be stuck in the last
    close of any block device: an NVMe/TCP namespace queueing in the same outage (native NVMe multipath queues
    until ctrl_loss_tmo), nbd, rbd, md, a loop device on a hung NFS file. Its open is in no count, so it
    "explains" the hidden user's open of stale map dm-0 (a mount in another namespace): dm-0 gets
    disable_queueing and the user's queued writes fail."""
    t = healthy_lab(tmp_path)
    t._write("/sys/block/nvme0n1/dev", "259:0\n")       # an NVMe namespace of the same array, paths down
    t._write("/sys/block/nvme0n1/device/state", "connecting\n")
    killed_task(t, 402)                                  # the udev worker killed while probing nvme0n1
    t.maps["dm-0"]["open"] = 1                           # a user nobody sees
    t.commands()
    snap = t.reader(call=inline_call).snapshot(probe=False)
    w = ontap_wwid(1)
    assert snap["host"]["dm_unaccounted"]["dm-0"]["unaccounted"] == 1
    snap["maps"][w].update(queueing=True, paths=[{"name": "sdb", "dm_state": "failed"},
                                                 {"name": "sdd", "dm_state": "failed"}],
                           probe={"sdb": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}})
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": w, "wwid": w}])
    assert [s.action for s in out["steps"] if s.target == w] == []


def test_a_dm_device_whose_read_timed_out_is_never_counted_as_having_no_hidden_open(tmp_path):
    """host_unaccounted_opens refuses when a device's opens cannot be counted, but a dm device whose sysfs read
    missed its deadline (read_each: its answer None, named in errors only) is dropped from `dms` and so from
    dm_unaccounted altogether: its open (here the killed closer's, on LV dm-2) is counted nowhere, the closer
    "explains" the hidden user's open of stale map dm-0, and dm-0 gets disable_queueing."""
    t = healthy_lab(tmp_path)
    t.dm("dm-2", "253:2", "vg0-lv0", "LVM-abcdef")
    t.maps["dm-2"]["open"] = 1                           # held by the killed closer below
    killed_task(t, 402)
    t.maps["dm-0"]["open"] = 1                           # a user nobody sees
    t.commands()

    def call(fn, args=(), timeout=10, what=None):
        if fn.__name__ == "read_batch" or (fn.__name__ == "read_devices" and "dm-2" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return fn(*args)
    snap = t.reader(call=call).snapshot(probe=False)
    assert any("dm-2" in e.get("what", "") for e in snap.get("errors") or [])
    w = ontap_wwid(1)
    snap["maps"][w].update(queueing=True, paths=[{"name": "sdb", "dm_state": "failed"},
                                                 {"name": "sdd", "dm_state": "failed"}],
                           probe={"sdb": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}})
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": w, "wwid": w}])
    assert [s.action for s in out["steps"] if s.target == w] == []


@pytest.mark.parametrize("spell", [
    lambda w: "naa." + w[1:].upper(), str.upper, lambda w: w[1:], lambda w: None])   # None: the ONTAP serial's
def test_a_repair_expects_the_arrays_lu_in_the_kernels_spelling(tmp_path, spell):
    """Fails when a serial-mismatch repair's verify step (and its `mismatches` entry) expects the array's LU in the
    array's spelling of its WWID instead of the one the kernel gives it (lower-case hex after 3): the array truth
    enters through validate.array_lun (a caller's raw record through the judge's _Truth), and what is built from it
    is compared after the scan."""
    t = healthy_lab(tmp_path)
    t.commands()
    snap = probe_live(t, t.reader().snapshot(), ontap_wwid(1), "0" + ontap_serial(9).encode().hex())
    snap["array"] = {"records": 2, "targets": [], "problems": [], "collected_at": snap["collected_at"] - 10}
    record = validate.array_lun(dict(rec(9, 1), wwid=spell(ontap_wwid(9))))
    out = cleanup.plan_cleanup(snap, check(snap, [record, rec(2, 2)]))
    kernel = kernel_wwid("naa." + ontap_wwid(9)[1:])       # how observe spells LU 9 once the scan finds it
    assert [st.identity.wwid for st in out["steps"] if st.action == "verify_identity"] == [kernel, kernel]
    assert [m["expect_wwid"] for m in out["mismatches"]] == [kernel, kernel]
    raw = dict(rec(9, 1), wwid=spell(ontap_wwid(9))) if spell(ontap_wwid(9)) else None
    if raw:   # a caller's own record, handed to the judge as it is
        out = cleanup.plan_cleanup(snap, check(snap, [raw, rec(2, 2)]))
        assert [st.identity.wwid for st in out["steps"] if st.action == "verify_identity"] == [kernel, kernel]


def test_the_healthy_baseline_keeps_a_path_the_table_lists_by_a_number_no_sd_has():
    """A map whose table lists a path by a major:minor that no sd of the read has (removed between the reads) has
    a path without a name: the baseline lists it (last), never fails on sorting None with names. Fails when a
    nameless path raises or is dropped."""
    snap = {"maps": {WWID: {"paths": [{"name": None, "dm_state": "active"}, {"name": "sdb", "dm_state": "active"}]},
                     WWID2: {"paths": [{"name": "sdc", "dm_state": "failed"}]}}}
    assert cleanup.healthy_maps(snap) == {WWID: ["sdb", None]}


# ---------------------------------------------------------------------------------------------- what the plan says
def _covered(name, kind="stale_unmapped"):
    return {"kind": kind, "object": "map", "name": name, "evidence": {"coverage": {"svm": "svm1"}}}


def test_each_array_gate_says_exactly_why_no_scsi_removal_is_planned():
    """Fails when a gate on the array truth (none given, none said, a lookup problem, no record, a covered device
    that works unmapped, a truth too old) does not say exactly why, or blocks a truth exactly as old as the bound."""
    stale = [{"kind": "stale_unmapped", "object": "map", "name": WWID}]
    assert cleanup.removal_blockers({}, stale) == [{
        "why": "array_truth_unknown",
        "msg": "the snapshot does not say what array truth its verdicts rest on (san.array)"}]
    assert cleanup.removal_blockers({}, None) == [{
        "why": "no_array_truth",
        "msg": "no array truth was given (no cluster in sanfleet_ontap, no ONTAP_* environment, no array_truth): under "
               "policy array nothing is removed without the array's word"}]
    assert cleanup.removal_blockers({}, None, {"policy": "host_evidence"}) == []
    array = {"records": 0, "collected_at": 100.0, "problems": [
        {"cluster": "c1", "svm": "svm1", "kind": "auth", "msg": "401"}, {"kind": "timeout", "msg": "no answer"}]}
    verdicts = [_covered("mpatha"), _covered("mpath\nb", "unexpected_visibility"), _covered("mpathc", "healthy"),
                {"kind": "unexpected_visibility", "object": "map", "name": "mpathd"}]
    assert cleanup.removal_blockers({"array": array, "collected_at": 400.0}, verdicts, {"truth_max_age": 299}) == [
        {"why": "array_lookup_problem", "msg": "array lookup c1/svm1: auth (401)"},
        {"why": "array_lookup_problem", "msg": "array lookup ?: timeout (no answer)"},
        {"why": "empty_truth", "msg": "the array truth has no record while 3 device(s) are served by the SVMs it "
                                      "covers"},
        {"why": "unexpected_visibility", "msg": "covered device(s) 'mpath\\nb' work but the array maps them to none of "
                                                "this host's igroups: the array data may be incomplete"},
        {"why": "truth_too_old", "msg": "the array truth was read 300s before the host snapshot (bound 299s)"}]
    fresh = {"records": 1, "collected_at": 100.0}
    # no device the truth covers: an empty truth proves nothing missing; two working covered maps both named
    assert cleanup.removal_blockers({"array": dict(fresh, records=0), "collected_at": 400.0}, verdicts[3:]) == []
    odd = [_covered("mpathe", "unexpected_visibility"), _covered("mpathf", "unexpected_visibility")]
    assert cleanup.removal_blockers({"array": fresh, "collected_at": 400.0}, odd)[0]["msg"].startswith(
        "covered device(s) mpathe, mpathf work but")
    assert [b["why"] for b in cleanup.removal_blockers({}, [{"kind": "serial_mismatch", "object": "disk"}])] == [
        "array_truth_unknown"]
    assert cleanup.removal_blockers({"array": fresh, "collected_at": 400.0}, verdicts[:1], {"truth_max_age": 300}) == []
    assert cleanup.removal_blockers({"array": fresh, "collected_at": 100.0 + cleanup.TRUTH_MAX_AGE}, []) == []
    assert cleanup.removal_blockers({"array": fresh, "collected_at": 101.0 + cleanup.TRUTH_MAX_AGE}, [])[0][
        "why"] == "truth_too_old"
    assert cleanup.removal_blockers({"array": dict(fresh, collected_at=None), "collected_at": 400.0}, []) == [
        {"why": "truth_age_unknown", "msg": "the array truth carries no collected_at; its age cannot be checked"}]


def test_a_path_not_probed_is_named_with_why():
    """Fails when the paths whose live probe was not sent are not all named, in order, with the first one's reason
    (the package to install when its program is missing), or a path probed counts as not probed."""
    m = {"probe": {"sdd": {"not_sent": "sg_turs did not start", "result": "error"}, "sdc": {"missing": "sg_turs"},
                   "sde": {"result": "ready"}, "sdf": None}}
    assert cleanup.not_probed(m) == (
        "path(s) sdc, sdd not probed: sg_turs is not installed on this host (sg3_utils, sg3-utils on Debian and "
        "Ubuntu); nothing is removed whose paths were not probed live")
    m["probe"].pop("sdc")
    assert cleanup.not_probed(m) == (
        "path(s) sdd not probed: sg_turs did not start; nothing is removed whose paths were not probed live")
    assert cleanup.not_probed({"name": "sdc", "probe": {"missing": "sg_inq"}}, "disk").startswith(
        "path(s) sdc not probed: sg_inq is not installed on this host")
    assert cleanup.not_probed({"name": "sdc", "probe": {"result": "ready"}}, "disk") is None
    assert cleanup.not_probed({"probe": {"sdc": {"result": "lun_not_supported"}}}) is None
    assert cleanup.not_probed(None) is None


def test_a_host_without_multipath_tools_says_which_programs_are_missing():
    """Fails when the reason no map is flushed does not name the missing programs, or another missing package stops
    the flushes."""
    host = {"tools_missing": [{"package": "nvme-cli", "programs": ["nvme"]},
                              {"package": "multipath-tools", "programs": ["multipath", "multipathd"]}]}
    assert cleanup.no_flush({"host": host}) == (
        "multipath-tools is not installed on this host (multipath, multipathd missing): no map is flushed")
    assert cleanup.no_flush({"host": {"tools_missing": host["tools_missing"][:1]}}) is None
    assert cleanup.no_flush({}) is None


def test_a_tool_lookup_that_did_not_finish_flushes_no_map():
    """Fails when a host whose programs could not be looked up (tools_missing null, tools_unread the reason) is
    planned as if multipath-tools were installed: unknown must not read as "none missing"."""
    snap = {"host": {"tools_missing": None, "tools_unread": "lookup of the SAN tools' programs did not finish"}}
    assert cleanup.no_flush(snap) == (
        "whether multipath-tools is installed on this host is unknown (lookup of the SAN tools' programs did not "
        "finish): no map is flushed")
    assert cleanup.no_flush({"host": {"tools_missing": None}}) is None   # not looked up: the unit tests' fake hosts


def test_a_device_left_alone_says_so_with_the_judges_reason_where_it_names_what_is_missing():
    """Fails when a device never touched by cleanup is not said so, or a not_covered device does not carry the
    judge's reason (which cluster or SVM data is missing), or another kind carries one."""
    assert cleanup._never_touched({"kind": "healthy", "reason": "every path active"}) == (
        "healthy is never touched by cleanup")
    assert cleanup._never_touched({"kind": "not_covered", "reason": "no SVM read serves target iqn.x"}) == (
        "not_covered is never touched by cleanup: no SVM read serves target iqn.x")
    assert cleanup._never_touched({"kind": "not_covered"}) == "not_covered is never touched by cleanup"


def test_the_second_look_candidates_are_the_unknown_maps_whose_every_path_says_the_lu_is_gone():
    """Fails when a map is offered for a second look under host_evidence while a path does not say the LU is gone,
    it has no path, or its verdict is not unknown_array on a map."""
    gone = {"result": "lun_not_supported"}
    snap = {"maps": {
        "w1": {"paths": [{"name": "sdc"}, {"name": "sdd"}], "probe": {"sdc": gone, "sdd": {"result": "pq1"}}},
        "w2": {"paths": [{"name": "sde"}, {"name": "sdf"}], "probe": {"sde": gone, "sdf": {"result": "no_answer"}}},
        "w3": {"paths": [], "probe": {}},
        "w4": {"paths": [{"name": "sdg"}], "probe": {"sdg": gone}}}}
    verdicts = [{"kind": "unknown_array", "object": "map", "wwid": w} for w in ("w1", "w2", "w3", "w9")]
    verdicts += [{"kind": "stale_unmapped", "object": "map", "wwid": "w4"},
                 {"kind": "unknown_array", "object": "disk", "wwid": "w4"}]
    assert cleanup.evidence_candidates(snap, verdicts) == ["w1"]
    assert cleanup.evidence_candidates(snap, verdicts[::-1]) == ["w1"]    # a verdict passed over ends no search


def test_the_healthy_baseline_is_every_map_whose_paths_are_all_active_but_those_left_out():
    """Fails when the baseline a cleanup must leave as it found holds a map with a path not active, a map without
    paths or a WWID left out, or lists a map's paths out of order."""
    active = {"dm_state": "active"}
    snap = {"maps": {"w1": {"paths": [dict(active, name="sdd"), dict(active, name="sdc")]},
                     "w2": {"paths": [dict(active, name="sde"), {"name": "sdf", "dm_state": "failed"}]},
                     "w3": {"paths": []},
                     "w4": {"paths": [dict(active, name="sdg")]}}}
    assert cleanup.healthy_maps(snap, exclude=["w4"]) == {"w1": ["sdc", "sdd"]}
    assert cleanup.healthy_maps(snap) == {"w1": ["sdc", "sdd"], "w4": ["sdg"]}


def test_host_evidence_needs_every_path_gone_now_and_grace_seconds_before():
    """Fails when host evidence counts with a path not probed now, a path the earlier look did not see gone, or the
    two looks less than `grace` apart (exactly `grace` apart counts)."""
    gone = {"result": "lun_not_supported"}
    now = {"paths": [{"name": "sdc"}, {"name": "sdd"}], "probe": {"sdc": gone, "sdd": {"result": "pq1"}}}
    before = {"probe": {"sdc": {"result": "pq1"}, "sdd": gone}}
    assert cleanup.host_evidence_gone(now, before, 1300.0, 1000.0, 300) is True
    assert cleanup.host_evidence_gone(now, before, 1299.0, 1000.0, 300) is False
    assert cleanup.host_evidence_gone(now, {"probe": {"sdc": gone}}, 1300.0, 1000.0, 300) is False
    assert cleanup.host_evidence_gone(dict(now, probe={"sdc": gone}), before, 1300.0, 1000.0, 300) is False
    assert cleanup.host_evidence_gone(now, None, 1300.0, 1000.0, 300) is False
    for answer in ({"result": "no_answer"}, None):   # probed now, but no proof the LU is gone
        assert cleanup.host_evidence_gone(dict(now, probe={"sdc": gone, "sdd": answer}), before, 1300.0, 1000.0,
                                          300) is False
    for at in (float("inf"), None):                  # the second look needs a finite time of its own
        assert cleanup.host_evidence_gone(now, before, at, 1000.0, 300) is False
    assert cleanup.host_evidence_gone(None, before, 1300.0, 1000.0, 300) is False


# ------------------------------------------------------------------ units whose names no step may carry, named
ODD = "db(prod)@x"   # an alias the kernel and multipath accept, validate.MAP_NAME does not


def odd_alias_snapshot():
    """snapshot() with map WWID aliased ODD (its paths sdc, sdd refused with it) and a map-less disk whose name holds
    a newline."""
    snap = snapshot()
    snap["maps"][WWID]["name"] = ODD
    for sd in ("sdc", "sdd"):
        snap["disks"][sd]["map"] = ODD
    snap["disks"]["sd\nx"] = a_disk("sd\nx", "4:0:0:9", "8:144")
    return snap


ODD_NOTE = ("is text no step may carry: nothing acts on this unit (a map and its paths; it still counts in every in-use "
            "and coverage rule)")
ODD_DISK = {"kind": "refused", "object": "disk", "name": ascii("sd\nx"),
            "reason": "disk %s: key %s is text no step may carry: nothing acts on this disk" % (ascii("sd\nx"),
                                                                                                ascii("sd\nx"))}


def test_a_unit_the_plan_would_remove_whose_name_no_step_may_carry_is_named_refused():
    """Fails when a stale unit whose names no step may carry is acted on, or not named `refused` with the exact
    reason (its names shown escaped), or an unjudged refused disk is not named, or a healthy neighbour is refused."""
    vs = [{"kind": "stale_unmapped", "object": "map", "name": ODD, "wwid": WWID},
          {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2}]
    out = cleanup.plan_cleanup(odd_alias_snapshot(), vs)
    assert out["steps"] == [] and out["flush_maps"] == [] and out["blocked"] == []
    assert out["skipped"] == [
        {"kind": "refused", "object": "map", "name": ascii(ODD),
         "reason": "map %s: name %s %s" % (ascii(ODD), ascii(ODD), ODD_NOTE)},
        {"kind": "healthy", "object": "map", "name": WWID2, "reason": "healthy is never touched by cleanup"},
        ODD_DISK]


def test_a_unit_left_alone_whose_name_no_step_may_carry_keeps_its_kind_and_says_why():
    """Fails when a verdict the plan would not act on (healthy) whose map no step may name is called `refused`, or
    its reason does not say both why it is left and which name is refused."""
    vs = [{"kind": "healthy", "object": "map", "name": WWID, "wwid": WWID}]
    out = cleanup.plan_cleanup(odd_alias_snapshot(), vs)
    assert out["skipped"] == [
        {"kind": "healthy", "object": "map", "name": WWID,
         "reason": "healthy is never touched by cleanup; map %s: name %s %s" % (WWID, ascii(ODD), ODD_NOTE)},
        ODD_DISK]


def test_a_refused_unit_no_verdict_speaks_of_is_named_once_its_paths_with_it():
    """Fails when a refused map without a verdict is not named (with its key when it has no name), when its paths
    (listed by the map or naming it as their map) are named again as disks, or a refused disk judged already is
    named twice."""
    snap = odd_alias_snapshot()
    snap["disks"]["sdg"] = a_disk("sdg", "6:0:0:1", "8:96", map=ODD, holders=["dm-3"])   # names the map, not listed
    out = cleanup.plan_cleanup(snap, [])
    assert out["skipped"] == [
        {"kind": "refused", "object": "map", "name": ascii(ODD),
         "reason": "map %s: name %s is text no step may carry: nothing acts on this map or its paths" % (WWID, ascii(ODD))},
        ODD_DISK]
    # a map without a name is named by its key; a disk naming no map is no path of it, nor is one naming ODD now
    del snap["maps"][WWID]["name"]
    assert [(x["object"], x["name"]) for x in cleanup.plan_cleanup(snap, [])["skipped"]] == [
        ("map", WWID), ("disk", ascii("sd\nx")), ("disk", "sdg")]
    disk = [{"kind": "stale_unmapped", "object": "disk", "name": "sd\nx", "wwid": WWID}]
    assert [(x["kind"], x["name"]) for x in cleanup.plan_cleanup(odd_alias_snapshot(), disk)["skipped"]] == [
        ("refused", ascii("sd\nx")), ("refused", ascii(ODD))]


def test_a_verdict_for_a_map_gone_is_not_refused_for_another_maps_name():
    """Fails when a stale map no longer present is refused for the name of another map the host holds, or a disk
    of a refused map is not refused with that map."""
    vs = [{"kind": "stale_unmapped", "object": "map", "name": "mpathz", "wwid": "3600a0980ffff"},
          {"kind": "stale_unmapped", "object": "disk", "name": "sdc", "wwid": WWID}]
    out = cleanup.plan_cleanup(odd_alias_snapshot(), vs)
    assert out["steps"] == []
    assert [(x["kind"], x["name"], x["reason"]) for x in out["skipped"][:2]] == [
        ("stale_unmapped", "mpathz", "map no longer present"),
        ("refused", "sdc", "disk sdc: map %s %s" % (ascii(ODD), ODD_NOTE))]


def test_the_unproven_failures_are_named_as_the_act_compares_them():
    """The act's re-check (act.checks.verify_still_dead) compares these names with the paths it heard: fails when a
    disk not positively failed is not named by its sd, or a path without a name is not named by its major:minor
    (else '?')."""
    assert cleanup.unproven_failures({"name": "sdf", "state": "running"}, "disk") == ["sdf"]
    assert cleanup.unproven_failures({"name": "sdf", "state": "offline", "probe": {"result": "lun_not_supported"}},
                                     "disk") == []
    assert cleanup.unproven_failures({"paths": [{"dev": "8:32"}, {}, dict(FAILED, name="sdc"), {"name": "sdd"}]}) == [
        "8:32", "?", "sdd"]


def test_a_refused_unit_is_named_with_its_object_and_the_exact_reason():
    """Fails when a unit the plan cannot remove safely (a tool missing, a path not probed) is not named `refused`
    with its object, name and reason, as a report lists it."""
    snap = snap_with([dict(FAILED, name="sdc"), dict(FAILED, name="sdd")])
    snap["host"] = {"tools_missing": [{"package": "multipath-tools", "programs": ["multipath", "multipathd"]}]}
    assert cleanup.plan_cleanup(snap, STALE_MAP_ONLY)["skipped"] == [
        {"kind": "refused", "object": "map", "name": WWID,
         "reason": "multipath-tools is not installed on this host (multipath, multipathd missing): no map is flushed"}]


def test_a_stale_map_whose_paths_answer_says_which_signs_were_heard_on_which_path():
    """Fails when the reason a stale map is left does not list each answering path with its signs, as the report
    shows it ('sd: sign, sign; sd: sign')."""
    heard = {"sdd": ["TEST UNIT READY answered", "checker up"], "sdc": ["NOT READY"]}
    assert cleanup._answers_text(heard) == "sdc: NOT READY; sdd: TEST UNIT READY answered, checker up"
    snap = snap_with([dict(FAILED, name="sdc"), dict(FAILED, name="sdd", checker_state="ready")],
                     probe={"sdc": {"result": "not_ready", "sense": "Not Ready"},
                            "sdd": {"result": "no_answer", "sense": "transport failure"}})
    [left] = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)["skipped"]
    heard = cleanup.answering(snap["maps"][WWID])
    assert sorted(heard) == ["sdc", "sdd"] and len(heard["sdd"]) + len(heard["sdc"]) >= 2, heard
    assert left["reason"] == ("map %s: an LU answers on path(s) sdc, sdd (%s); its LUN may still be mapped to this host"
                              % (WWID, cleanup._answers_text(heard))), left


# ---------------------------------------------------------------------------------------------- the NVMe family's part
def nvme_part(monkeypatch):
    """NVMe's plan (its line in plan/families.py) replaced by its plan of one controller (its steps given out of HOST_ORDER, one controller skipped):
    what plan_cleanup makes of the NVMe family's plan, whatever the SCSI part does."""
    part = {"steps": [step("wait_controller_gone", "nvme0").tagged("delete", "controller nvme0"),
                      step("delete_controller", "nvme0").tagged("delete", "controller nvme0")],
            "skipped": [{"kind": "refused", "object": "controller", "name": "nvme1", "reason": "live"}],
            "delete_controllers": [{"name": "nvme0"}]}
    seen = []
    line = plan_families.PLANS[0]
    monkeypatch.setattr(plan_families, "PLANS", (plan_families.FamilyPlan(
        line.name, lambda snap, policy: seen.append((snap, policy)) or part, line.kinds, line.identity_keys,
        line.artifact_identity, line.unit_names),))
    return seen


def test_a_blocked_scsi_part_keeps_the_nvme_plan_and_names_every_verdict_with_why(monkeypatch):
    """Fails when a host whose SCSI truth blocks removals loses its NVMe units (steps in HOST_ORDER, controllers,
    skipped), plans a SCSI removal, or does not name each SCSI verdict: the removal kinds with every blocker's name
    and message, the others as never touched."""
    seen = nvme_part(monkeypatch)
    snap = snapshot()
    snap["array"].update(records=0, problems=[{"cluster": "c1", "svm": None, "kind": "timeout", "msg": "no answer"}])
    verdicts = [dict(_covered(WWID), wwid=WWID), {"kind": "serial_mismatch", "object": "disk", "name": "sdf"},
                {"kind": "unknown_array", "object": "map", "name": "mpathq"}, _covered(WWID2, "healthy"),
                {"kind": "not_covered", "object": "map", "name": "mpathr", "reason": "no SVM read serves iqn.x"}]
    policy = {"policy": "array", "delete_lif_gone": True}
    out = cleanup.plan_cleanup(snap, verdicts, policy)
    assert seen == [(snap, policy)]
    why = ("no SCSI removal on this host (array_lookup_problem, empty_truth): array lookup c1: timeout (no answer); "
           "the array truth has no record while 2 device(s) are served by the SVMs it covers")
    assert [(st.action, st.target) for st in out["steps"]] == [("delete_controller", "nvme0"),
                                                               ("wait_controller_gone", "nvme0")]
    assert dict(out, steps=None) == {
        "steps": None, "flush_maps": [], "delete_disks": [], "mismatches": [],
        "delete_controllers": [{"name": "nvme0"}],
        "blocked": [{"why": "array_lookup_problem", "msg": "array lookup c1: timeout (no answer)"},
                    {"why": "empty_truth", "msg": "the array truth has no record while 2 device(s) are served by the "
                                                  "SVMs it covers"}],
        "skipped": [{"kind": "stale_unmapped", "object": "map", "name": WWID, "reason": why},
                    {"kind": "serial_mismatch", "object": "disk", "name": "sdf", "reason": why},
                    {"kind": "unknown_array", "object": "map", "name": "mpathq", "reason": why},
                    {"kind": "healthy", "object": "map", "name": WWID2, "reason": "healthy is never touched by cleanup"},
                    {"kind": "not_covered", "object": "map", "name": "mpathr",
                     "reason": "not_covered is never touched by cleanup: no SVM read serves iqn.x"},
                    {"kind": "refused", "object": "controller", "name": "nvme1", "reason": "live"}]}


def test_the_host_plan_carries_the_nvme_units_after_the_scsi_ones(monkeypatch):
    """Fails when an unblocked host's plan drops the NVMe family's steps, skipped controllers or delete_controllers,
    or does not run them after the SCSI steps in HOST_ORDER."""
    nvme_part(monkeypatch)
    out = cleanup.plan_cleanup(snapshot(), STALE_MAP_ONLY + [{"kind": "healthy", "object": "map", "name": WWID2}])
    assert [(st.action, st.target) for st in out["steps"]] == [
        ("disable_queueing", WWID), ("flush_map", WWID), ("wait_map_gone", WWID), ("delete_disk", "sdc"),
        ("delete_disk", "sdd"), ("wait_disk_gone", "sdc"), ("wait_disk_gone", "sdd"), ("remove_wwid", WWID),
        ("delete_controller", "nvme0"), ("wait_controller_gone", "nvme0")]
    assert out["skipped"] == [{"kind": "healthy", "object": "map", "name": WWID2, "reason": "healthy is never touched by cleanup"},
                              {"kind": "refused", "object": "controller", "name": "nvme1", "reason": "live"}]
    assert out["delete_controllers"] == [{"name": "nvme0"}] and out["blocked"] == [] and out["flush_maps"] == [WWID]
    serial = "80Ab" + WWID[-8:]
    assert out["delete_disks"] == [{"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID, "serial": serial},
                                   {"name": "sdd", "hctl": "5:0:0:1", "dev": "8:48", "wwid": WWID, "serial": serial}]


# ---------------------------------------------------------------------------------------------- why a stale unit is left
def _half_working(snap):
    snap["maps"][WWID].update(paths=[{"name": "sdc", "dm_state": "failed"}, {"name": "sdd", "dm_state": "active"}])
    snap["maps"][WWID]["probe"]["sdd"] = {"result": "ready"}


def _working(snap):
    snap["maps"][WWID].update(paths=[{"name": "sdc", "dm_state": "active"}, {"name": "sdd", "dm_state": "active"}],
                              probe={})


def _answering_disk(snap):
    snap["disks"]["sdf"].update(state="offline", probe={"result": "ready", "serial_live": "x", "tur_answered": True})


def _dead_disk(snap):
    snap["disks"]["sdf"].update(state="offline", probe={"result": "lun_not_supported"})


HOST_EVIDENCE = {"policy": "host_evidence", "earlier": snapshot(at=0.0), "grace": 300}


@pytest.mark.parametrize("change,verdict,policy,reason", [
    (_half_working, {"object": "map", "name": WWID, "wwid": WWID}, None,
     "path(s) sdd of map %s: failure not positively observed (working or state unknown); removal needs every path's "
     "failure seen" % WWID),
    (_working, {"object": "map", "name": WWID, "wwid": WWID}, None,
     "path(s) sdc, sdd of map %s: failure not positively observed (working or state unknown); removal needs every "
     "path's failure seen" % WWID),
    (None, {"object": "map", "name": "mpathz", "wwid": "3600a0980ffff"}, None, "map no longer present"),
    (None, {"object": "disk", "name": "sdx", "wwid": WWID}, None, "disk no longer present"),
    (None, {"object": "disk", "name": "sdf", "wwid": WWID}, None,
     "disk sdf: failure not positively observed (working or state unknown)"),
    (_answering_disk, {"object": "disk", "name": "sdf", "wwid": WWID}, None,
     "disk sdf: an LU answers at its address (sdf: answers READY); its LUN may still be mapped to this host"),
    # host evidence speaks of maps only: a map-less disk is never removed on it, even one sharing a gone map's WWID
    (_dead_disk, {"kind": "unknown_array", "object": "disk", "name": "sdf", "wwid": WWID}, HOST_EVIDENCE,
     "host evidence does not show the LU gone on every path for the grace time"),
])
def test_a_stale_unit_left_alone_says_exactly_why(change, verdict, policy, reason):
    """Fails when a stale unit the plan may not remove is removed, or its skipped entry does not say exactly why."""
    snap = snapshot()
    if change:
        change(snap)
    v = dict({"kind": "stale_unmapped"}, **verdict)
    out = cleanup.plan_cleanup(snap, [v], policy)
    assert out["steps"] == [] and out["skipped"] == [
        {"kind": v["kind"], "object": v["object"], "name": v["name"], "reason": reason}]
    if change is _dead_disk:    # the same disk stale_unmapped is removed
        assert [st.target for st in cleanup.plan_cleanup(snap, [dict(v, kind="stale_unmapped")])["steps"]] == ["sdf"] * 2


def test_host_evidence_waits_300_seconds_when_the_caller_names_no_grace():
    """Fails when plan_cleanup's own grace (a policy without one) is not 300 s: a second look exactly 300 s after the
    first counts, one 299 s after it does not."""
    v = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    out = cleanup.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "earlier": snapshot(at=700.0)})
    assert out["flush_maps"] == [WWID]
    out = cleanup.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "earlier": snapshot(at=701.0)})
    assert out["steps"] == [] and "host evidence" in out["skipped"][0]["reason"]


# ---------------------------------------------------------------------------------------------- a serial-mismatch disk
def _laid_out(out):
    return [(st.action, st.target, st.identity.as_dict(), dict(st.options), st.reason, st.phase, st.unit)
            for st in out["steps"]]


def _mismatch(ev, name="sdf"):
    return [{"kind": "serial_mismatch", "object": "disk", "name": name, "wwid": WWID, "evidence": ev}]


def test_a_serial_mismatch_disk_is_deleted_rescanned_and_checked_as_the_arrays_lu_step_by_step():
    """Fails when a mismatching disk outside a map is not planned exactly as the act needs it: its delete (the
    proof it answers as another LU, `other_lu`, and no buffer flush), its wait, the exact scan of its address, the
    wait for the LUN and the check of the array's WWID and serial; or its `mismatches` entry does not say what the
    post-check must find."""
    snap = snapshot()
    snap["disks"]["sdf"]["probe"] = {"result": "ready", "serial_live": "new"}
    out = cleanup.plan_cleanup(snap, _mismatch({"array_wwid": WWID2, "array_serial": "S2"}))
    sdf = {"name": "sdf", "hctl": "4:0:0:5", "dev": "8:80", "wwid": "3600a0980aaaa"}
    unit = ("rescan", "disk sdf")
    assert _laid_out(out) == [
        ("delete_disk", "sdf", dict(sdf, serial="80Ab0980aaaa"), {"other_lu": {"sdf": "new"}},
         "write 1 to /sys/class/scsi_device/4:0:0:5/device/delete after re-reading identity") + unit,
        ("wait_disk_gone", "sdf", sdf, {}, "wait until /dev/sdf, its H:C:T:L and its /dev/disk/by-id links are gone") + unit,
        ("scan_exact_lun", "4:0:0:5", {"hctl": "4:0:0:5"}, {"absent": True},
         "exact rescan of 4:0:0:5 after a serial mismatch") + unit,
        ("wait_disk_present", "4:0:0:5", {"hctl": "4:0:0:5"}, {}, "wait for the LUN to come back") + unit,
        ("verify_identity", "4:0:0:5", {"hctl": "4:0:0:5", "wwid": WWID2, "serial": "S2"}, {},
         "the LUN must now show the array's serial") + unit]
    assert out["mismatches"] == [dict(sdf, serial="80Ab0980aaaa", expect_wwid=WWID2, expect_serial="S2")]
    assert out["delete_disks"] == [] and out["flush_maps"] == [] and out["skipped"] == []


@pytest.mark.parametrize("ev,expect", [
    ({"expected_wwid": WWID2, "expected_serial": "S3"}, {"wwid": WWID2, "serial": "S3"}),   # the judge's other name
    ({"array_serial": "S2"}, {"serial": "S2"}),
    ({}, None),                                                   # nothing to check the new LU against: no check
])
def test_a_repair_checks_what_the_evidence_says_the_lu_must_be_and_nothing_else(ev, expect):
    """Fails when the check after a repair's scan expects anything but the array's (else the expected) WWID and
    serial the verdict names, or is planned with nothing to expect."""
    snap = snapshot()
    snap["disks"]["sdf"]["probe"] = {"result": "ready", "serial_live": "new"}
    out = cleanup.plan_cleanup(snap, _mismatch(ev))
    checks = [dict(st.identity.as_dict(), **st.options) for st in out["steps"] if st.action == "verify_identity"]
    assert checks == ([dict(expect, hctl="4:0:0:5")] if expect else [])
    assert [(m["expect_wwid"], m["expect_serial"]) for m in out["mismatches"]] == [
        ((expect or {}).get("wwid"), (expect or {}).get("serial"))]


@pytest.mark.parametrize("ev,disk_probe,serial", [
    ({"probe": {"result": "ready", "serial_live": "a"}, "paths": [{"probe": {"result": "ready", "serial_live": "b"}}]},
     {"result": "ready", "serial_live": "d"}, "a"),
    ({"probe": {"result": "no_answer", "serial_live": "a"}, "paths": [{"probe": {"result": "ready", "serial_live": "b"}}]},
     {"result": "ready", "serial_live": "d"}, "b"),
    ({"probe": {"result": "ready", "serial_live": None}, "paths": [None]}, {"result": "ready", "serial_live": "d"}, "d"),
    ({"paths": []}, {"result": "ready", "serial_live": "d"}, "d"),
])
def test_a_repair_rests_on_the_live_serial_the_verdict_names_first(ev, disk_probe, serial):
    """Fails when the live serial a repaired disk must still answer with at act time (other_lu) is not the one the
    verdict rests on: its own probe, else its first path's, else the snapshot's probe of the disk; a probe that did
    not answer READY or gave no serial proves nothing."""
    snap = snapshot()
    snap["disks"]["sdf"]["probe"] = disk_probe
    out = cleanup.plan_cleanup(snap, _mismatch(dict(ev, array_wwid=WWID2)))
    assert [st.options.get("other_lu") for st in out["steps"] if st.action == "delete_disk"] == [{"sdf": serial}]


def test_a_serial_mismatch_disk_without_a_live_serial_is_refused_and_says_why():
    """Fails when a mismatching disk no live VPD 0x80 serial proves to reach another LU is deleted, or is not named
    `refused` with why."""
    snap = snapshot()
    snap["disks"]["sdf"]["probe"] = {"result": "no_answer", "serial_live": "new"}
    out = cleanup.plan_cleanup(snap, _mismatch({"array_wwid": WWID2, "paths": [{"probe": {"result": "ready"}}]}))
    assert out["steps"] == [] and out["mismatches"] == []
    assert out["skipped"] == [{"kind": "refused", "object": "disk", "name": "sdf", "reason": "serial_mismatch without the "
                               "live VPD 0x80 serial that proves it reaches another LU"}]


def test_a_reused_map_unit_is_planned_step_by_step_with_what_each_act_needs():
    """Fails when the unit of a reused map is not planned exactly: the map's steps and each path's delete carry the
    live serial its mismatching path answered with (other_lu, never `dead`), each delete the map it follows
    (after_flush), the rescan and check only for the mismatching path; or when flush_maps, delete_disks (the path
    that is only deleted) and mismatches (the path repaired, with the LU it must become) do not say so."""
    snap, verdicts = reused_map_snapshot("failed", {"result": "lun_not_supported"})
    out = cleanup.plan_cleanup(snap, verdicts)
    proof = {"other_lu": {"sdc": "new"}}
    unit = "map %s" % WWID
    assert [(action, target, options, phase) for action, target, _i, options, _r, phase, u in _laid_out(out)
            if u == unit] == [
        ("disable_queueing", WWID, proof, "flush"), ("flush_map", WWID, dict(proof, force_remove=False), "flush"),
        ("wait_map_gone", WWID, {}, "flush"), ("delete_disk", "sdc", dict(proof, after_flush=WWID), "flush"),
        ("delete_disk", "sdd", dict(proof, after_flush=WWID), "flush"), ("wait_disk_gone", "sdc", {}, "flush"),
        ("wait_disk_gone", "sdd", {}, "flush"), ("remove_wwid", WWID, {}, "flush"),
        ("scan_exact_lun", "4:0:0:1", {"absent": True}, "rescan"), ("wait_disk_present", "4:0:0:1", {}, "rescan"),
        ("verify_identity", "4:0:0:1", {}, "rescan")]
    assert len(out["steps"]) == 11 and out["skipped"] == [] and out["flush_maps"] == [WWID]
    assert out["steps"][-1].identity.as_dict() == {"hctl": "4:0:0:1", "wwid": WWID2}
    ident = {"hctl": "5:0:0:1", "dev": "8:48", "wwid": WWID, "serial": "80Ab" + WWID[-8:]}
    assert out["delete_disks"] == [dict(ident, name="sdd")]
    assert out["mismatches"] == [dict(ident, name="sdc", hctl="4:0:0:1", dev="8:32", expect_wwid=WWID2,
                                      expect_serial=None)]


# ---------------------------------------------------------------------------------------------- a refused flush, named
def _closer(pid):
    return dict(CLOSER, pid=pid)


def _label(pid):
    return "pid %d ((udev-worker)) in blkdev_close/blkdev_put/blkdev_flush_mapping" % pid


def test_a_map_refused_for_an_open_says_why_the_killed_closers_cannot_account_for_it():
    """Fails when a stale map refused for its open count is not named `refused` with the map's reason, followed,
    only when killed closers are on the host and the map is stale_unmapped, by how many there are (the first five
    named) and why they cannot account for the open."""
    alone = plan(closing_snapshot([]), [dict(STALE, name=WWID, wwid=WWID)])["skipped"]
    assert [(x["kind"], x["object"], x["name"]) for x in alone] == [("refused", "map", WWID)]
    base = alone[0]["reason"]
    assert base.startswith("map %s: has open count 1, 1 more than the openers seen" % WWID) and base.endswith("not removing")
    out = plan(closing_snapshot([CLOSER], queueing=False), [dict(STALE, name=WWID, wwid=WWID)])
    assert out["skipped"] == [dict(alone[0], reason=base + (
        "; the 1 task(s) exiting on this host while closing a block device (%s) cannot account for it: only a dead map "
        "the array no longer maps (queueing, every path failed and answering LOGICAL UNIT NOT SUPPORTED, nothing else "
        "in the way) can be held by one, and only as many opens as it has closers for" % _label(402)))]
    out = plan(closing_snapshot([_closer(pid) for pid in range(402, 408)], 7), [dict(STALE, name=WWID, wwid=WWID)])
    why = out["skipped"][0]["reason"]
    assert ("not removing; the 6 task(s) exiting on this host while closing a block device (%s) cannot account for it: 7 "
            "open(s) on this host" % ", ".join(_label(pid) for pid in range(402, 407))) in why and "pid 407" not in why
    # a map chosen on host evidence is not one the array no longer maps: no closer is weighed for it
    unknown = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    out = cleanup.plan_cleanup(counted(closing_snapshot([CLOSER])), unknown, dict(HOST_EVIDENCE, grace=0))
    assert out["skipped"] == [dict(alone[0], reason=base)]


def test_a_serial_mismatch_is_repaired_only_when_asked_and_the_array_maps_nothing_of_the_map():
    """Fails when a serial mismatch is touched with repair_mismatch off, or a mismatching map the array still maps
    (LUN id not reused: array_mappings) is flushed, or the units gone or on a host without multipath-tools are not
    named with why."""
    snap, verdicts = reused_map_snapshot("failed", {"result": "lun_not_supported"})
    never = "serial_mismatch is never touched by cleanup"
    out = cleanup.plan_cleanup(snap, verdicts, {"repair_mismatch": False})
    assert out["steps"] == [] and [(x["kind"], x["object"], x["name"], x["reason"]) for x in out["skipped"]] == [
        ("serial_mismatch", "map", WWID, never), ("serial_mismatch", "disk", "sdc", never)]
    out = cleanup.plan_cleanup(snap, [dict(verdicts[0], evidence={"array_mappings": [{"igroup": "ig1"}]}), verdicts[1]])
    assert out["steps"] == [] and out["skipped"] == [
        {"kind": "serial_mismatch", "object": "map", "name": WWID, "reason": never},
        {"kind": "refused", "object": "disk", "name": "sdc", "reason": "disk sdc: is a path of live multipath map %s "
                                                                       "(dm-3); flush the map first (multipath_flush)" % WWID}]
    out = cleanup.plan_cleanup(snap, [dict(verdicts[0], wwid="3600a0980ffff", name="mpathz"), dict(verdicts[1], name="sdx")])
    assert out["skipped"] == [{"kind": "serial_mismatch", "object": "map", "name": "mpathz", "reason": "map no longer present"},
                              {"kind": "serial_mismatch", "object": "disk", "name": "sdx", "reason": "disk no longer present"}]
    snap["host"] = {"tools_missing": [{"package": "multipath-tools", "programs": ["multipath"]}]}
    out = cleanup.plan_cleanup(snap, verdicts)
    assert out["steps"] == [] and out["skipped"][0] == {
        "kind": "refused", "object": "map", "name": WWID,
        "reason": "multipath-tools is not installed on this host (multipath missing): no map is flushed"}


def test_the_proof_a_reused_maps_steps_carry_names_only_its_own_mismatching_paths():
    """Fails when a verdict of another kind on a path of the map, or a serial_mismatch of a disk outside it, counts
    as proof that a path of this map reaches another LU (expect.other_lu), or two unproven paths are not both named."""
    snap, verdicts = reused_map_snapshot("failed", {"result": "lun_not_supported"})
    snap["disks"]["sdf"]["probe"] = {"result": "ready", "serial_live": "f"}
    more = [{"kind": "healthy", "object": "disk", "name": "sdd", "wwid": WWID},
            {"kind": "serial_mismatch", "object": "disk", "name": "sdf", "wwid": WWID, "evidence": {"array_wwid": WWID2}}]
    out = cleanup.plan_cleanup(snap, verdicts + more)
    assert [(st.action, st.target, dict(st.options["other_lu"])) for st in out["steps"] if st.unit == "map %s" % WWID
            and "other_lu" in st.options][:2] == [("disable_queueing", WWID, {"sdc": "new"}), ("flush_map", WWID, {"sdc": "new"})]
    assert [st.options["other_lu"] for st in out["steps"] if st.unit == "disk sdf" and st.action == "delete_disk"] == [
        {"sdf": "f"}]
    both = [dict(verdicts[1], evidence={}), dict(verdicts[1], name="sdd", evidence={})]
    snap["maps"][WWID]["probe"] = {"sdc": {"result": "no_answer"}, "sdd": {"result": "no_answer"}}
    out = cleanup.plan_cleanup(snap, verdicts[:1] + both)
    assert dict((x["name"], x["reason"]) for x in out["skipped"])[WWID] == (
        "path(s) sdc, sdd of map %s: no live VPD 0x80 serial proves they reach another LU" % WWID)


# ---------------------------------------------------------------------------------------------- a map unit's paths
STALE_DISK_SDC = {"kind": "stale_unmapped", "object": "disk", "name": "sdc", "wwid": WWID}


def _unit_of(out):
    return [(st.action, st.target, dict(st.options)) for st in out["steps"]]


DEAD_UNIT = [("disable_queueing", WWID, {"dead": True}), ("flush_map", WWID, {"dead": True, "force_remove": False}),
             ("wait_map_gone", WWID, {}), ("delete_disk", "sdc", {"after_flush": WWID, "dead": True}),
             ("delete_disk", "sdd", {"after_flush": WWID, "dead": True}), ("wait_disk_gone", "sdc", {}),
             ("wait_disk_gone", "sdd", {}), ("remove_wwid", WWID, {})]


def test_a_stale_disk_that_is_a_path_of_a_removed_map_is_deleted_once_in_the_maps_unit():
    """Fails when a path judged stale on its own as well is deleted a second time as a unit of its own, or a dead
    map's unit does not carry `dead` and after_flush on its touching steps."""
    snap = snapshot()
    snap["disks"]["sdc"].update(state="offline", probe={"result": "lun_not_supported"})
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY + [STALE_DISK_SDC])
    assert _unit_of(out) == DEAD_UNIT and {st.unit for st in out["steps"]} == {"map %s" % WWID}
    assert [d["name"] for d in out["delete_disks"]] == ["sdc", "sdd"] and out["skipped"] == []


def test_a_path_that_cannot_be_deleted_leaves_the_rest_of_its_maps_unit():
    """Fails when a map unit does not go on without a path the snapshot has no disk for, or without a path that may
    not be deleted (named `refused` with why), or lists that path in delete_disks."""
    snap = snapshot()
    del snap["disks"]["sdc"]
    snap["disks"]["sdd"]["mountpoints"] = ["/x"]
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert _unit_of(out) == DEAD_UNIT[:3] + DEAD_UNIT[-1:]
    assert out["skipped"] == [{"kind": "refused", "object": "disk", "name": "sdd", "reason": "disk sdd: is mounted on /x; unmount it first"}]
    assert out["delete_disks"] == [] and out["flush_maps"] == [WWID]


def test_a_disk_held_by_a_live_map_by_its_dm_name_only_is_not_deleted():
    """Fails when a stale disk that names no map but is held by a live map's dm device (holders: dm-4) is deleted:
    the maps still present are looked up by their dm names too."""
    snap = snapshot()
    snap["disks"]["sdf"].update(state="offline", probe={"result": "lun_not_supported"}, holders=["dm-4"])
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID}])
    assert out["steps"] == [] and out["skipped"] == [
        {"kind": "refused", "object": "disk", "name": "sdf",
         "reason": "disk sdf: is a path of live multipath map %s (dm-4); flush the map first (multipath_flush)" % WWID2}]


def test_the_paths_of_a_flushed_map_are_deleted_whatever_the_form_of_their_holders():
    """Fails when a path whose holder is given as a record ({"name": "dm-3"}) still counts as held by the map the
    unit flushes before it."""
    snap = snapshot()
    for sd in ("sdc", "sdd"):
        snap["disks"][sd]["holders"] = [{"name": "dm-3"}]
    assert _unit_of(cleanup.plan_cleanup(snap, STALE_MAP_ONLY)) == DEAD_UNIT
    # only the flushed map's hold goes: another holder of the path still refuses its delete
    snap["disks"]["sdc"]["holders"] = ["dm-3", {"name": "dm-9"}]
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert out["skipped"] == [{"kind": "refused", "object": "disk", "name": "sdc",
                               "reason": "disk sdc: is held by device-mapper holder dm-9; remove it first"}]


def test_the_signs_of_an_answering_lu_are_listed_by_path_those_skipped_left_out():
    """Fails when answering() does not key the signs by the path's name (else its major:minor, else '?'), by the
    disk's name for a disk, or lists a path or disk named in `skip`, or one with no sign."""
    ready = {"result": "ready"}
    m = {"paths": [{"name": "sdc"}, {"dev": "8:48"}, {}, {"name": "sde"}, {"name": "sdf"}],
         "probe": {"sdc": ready, None: ready, "sde": ready, "sdf": {"result": "lun_not_supported"}}}
    assert cleanup.answering(m) == {"sdc": ["answers READY"], "8:48": ["answers READY"], "?": ["answers READY"],
                                    "sde": ["answers READY"]}
    assert sorted(cleanup.answering(m, skip=("sdc", "sde"))) == ["8:48", "?"]
    disk = {"name": "sdg", "probe": ready}
    assert cleanup.answering(disk, "disk") == {"sdg": ["answers READY"]}
    assert cleanup.answering(disk, "disk", skip=("sdg",)) == {}
    assert cleanup.answering({"name": "sdg", "probe": {"result": "lun_not_supported"}}, "disk") == {}


def test_a_reused_map_is_proven_by_the_maps_own_probes():
    """Fails when the map's probes are not read for the proof: a path multipath calls active whose probe says the
    LU is gone is failed, and the live serial a mismatching path answered with may come from the map's probe of
    it alone; or when a mismatching disk outside the map, without a serial, keeps the map from its repair."""
    for sdd_state in ("failed", "active"):
        snap, verdicts = reused_map_snapshot(sdd_state, {"result": "lun_not_supported"})
        del verdicts[1]["evidence"]["probe"]
        verdicts.append({"kind": "serial_mismatch", "object": "disk", "name": "sdf", "wwid": WWID, "evidence": {}})
        out = cleanup.plan_cleanup(snap, verdicts)
        assert out["flush_maps"] == [WWID], out["skipped"]
        assert [dict(st.options["other_lu"]) for st in out["steps"] if st.action == "flush_map"] == [{"sdc": "new"}]
        assert [x["name"] for x in out["skipped"]] == ["sdf"]     # refused: no live serial proves it


def test_a_path_reaching_another_lu_never_gets_a_buffer_flush_a_path_of_its_own_lu_may():
    """plan.disks flushes an sd's buffers before its delete when its record answers as its own LU. Fails when a
    path a reused map's unit deletes because it reaches another LU gets that flush (the old LU's buffers would be
    written to the new one), when a path that answers as its own LU does not, or when the caller's flush_buffers
    off does not stop it."""
    snap, verdicts = reused_map_snapshot("failed", {"result": "lun_not_supported"})
    for sd in ("sdc", "sdd"):
        snap["disks"][sd]["probe"] = {"result": "ready"}     # no serial read: nothing says which LU answers
    flushes = [st.target for st in cleanup.plan_cleanup(snap, verdicts)["steps"] if st.action == "flush_buffers"]
    assert flushes == ["sdd"]
    snap = snapshot()
    snap["disks"]["sdc"]["probe"] = {"result": "ready", "serial_live": snap["disks"]["sdc"]["serial"]}
    assert [st.target for st in cleanup.plan_cleanup(snap, STALE_MAP_ONLY)["steps"] if st.action == "flush_buffers"] == ["sdc"]
    assert not [st for st in cleanup.plan_cleanup(snap, STALE_MAP_ONLY, {"flush_buffers": False})["steps"]
                if st.action == "flush_buffers"]
    # a mismatching disk outside a map: the same, its proof in the verdict
    snap["disks"]["sdf"]["probe"] = {"result": "ready"}
    out = cleanup.plan_cleanup(snap, _mismatch({"array_wwid": WWID2, "probe": {"result": "ready", "serial_live": "new"}}))
    assert [st.action for st in out["steps"]][:2] == ["delete_disk", "wait_disk_gone"]


def test_a_path_two_removed_maps_share_is_deleted_once():
    """A hand-made snapshot may list one sd under two maps (validate.refused_units says so too): fails when the
    second map's unit deletes that path again."""
    snap = snapshot()
    snap["maps"][WWID2].update(paths=[{"name": "sdc"}, {"name": "sde"}],
                               probe={"sdc": {"result": "lun_not_supported"}, "sde": {"result": "lun_not_supported"}})
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY + [{"kind": "stale_unmapped", "object": "map", "name": WWID2,
                                                        "wwid": WWID2}])
    deletes = [(st.target, st.unit) for st in out["steps"] if st.action == "delete_disk"]
    assert sorted(deletes) == [("sdc", "map %s" % WWID), ("sdd", "map %s" % WWID), ("sde", "map %s" % WWID2)], deletes


def test_a_path_refused_first_does_not_end_its_maps_unit():
    """Fails when the refused delete of a map's first path leaves the map's other paths undeleted."""
    snap = snapshot()
    snap["disks"]["sdc"]["mountpoints"] = ["/x"]
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert [st.target for st in out["steps"] if st.action == "delete_disk"] == ["sdd"]
    assert [(x["kind"], x["name"]) for x in out["skipped"]] == [("refused", "sdc")]


def test_an_aliased_maps_paths_are_deleted_after_its_wwid_is_flushed():
    """A map with an alias (mpatha): fails when its paths' deletes name anything but its WWID as the map the act
    flushes again when multipathd has assembled it anew (expect.after_flush), or flush_maps does not list the WWID."""
    snap = snapshot()
    snap["maps"][WWID]["name"] = "mpatha"
    for sd in ("sdc", "sdd"):
        snap["disks"][sd]["map"] = "mpatha"
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": "mpatha", "wwid": WWID}])
    assert [(st.target, st.options["after_flush"]) for st in out["steps"] if st.action == "delete_disk"] == [
        ("sdc", WWID), ("sdd", WWID)]
    assert out["flush_maps"] == [WWID] and [st.target for st in out["steps"] if st.action == "flush_map"] == ["mpatha"]


def test_an_unknown_array_unit_whose_name_no_step_may_carry_is_refused_only_under_host_evidence():
    """Fails when an unknown_array map no step may name is called `refused` under policy array (nothing would act on
    it there: it is left as its kind says), or not under host_evidence (where the plan could act on it), or a
    healthy one is called refused under host_evidence."""
    unknown = {"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}
    note = "map %s: name %s %s" % (WWID, ascii(ODD), ODD_NOTE)
    out = cleanup.plan_cleanup(odd_alias_snapshot(), [unknown], {"policy": "array"})
    assert out["skipped"][0] == {"kind": "unknown_array", "object": "map", "name": WWID,
                                 "reason": "unknown_array is never touched by cleanup; " + note}
    out = cleanup.plan_cleanup(odd_alias_snapshot(), [unknown], HOST_EVIDENCE)
    assert out["skipped"][0] == {"kind": "refused", "object": "map", "name": WWID, "reason": note}
    out = cleanup.plan_cleanup(odd_alias_snapshot(), [dict(unknown, kind="healthy")], HOST_EVIDENCE)
    assert out["skipped"][0] == {"kind": "healthy", "object": "map", "name": WWID,
                                 "reason": "healthy is never touched by cleanup; " + note}


def test_a_map_verdict_without_a_wwid_finds_its_map_by_name():
    """Fails when a verdict that names its map only by its alias (no WWID) does not find that map."""
    snap = snapshot()
    snap["maps"][WWID]["name"] = "mpatha"
    for sd in ("sdc", "sdd"):
        snap["disks"][sd]["map"] = "mpatha"
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": "mpatha"}])
    assert out["flush_maps"] == [WWID] and out["skipped"] == []


def test_a_serial_mismatch_left_alone_does_not_end_the_plan():
    """Fails when a serial-mismatch verdict that is skipped or refused (a path not proven, its disk gone, no
    multipath-tools) stops the verdicts after it from being planned or named."""
    healthy = {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2}
    left = {"kind": "healthy", "object": "map", "name": WWID2, "reason": "healthy is never touched by cleanup"}
    snap, verdicts = reused_map_snapshot()            # sdd works: not proven to reach another LU
    assert cleanup.plan_cleanup(snap, [verdicts[0], healthy])["skipped"][-1] == left
    assert cleanup.plan_cleanup(snap, [dict(verdicts[1], name="sdx"), healthy])["skipped"][-1] == left
    snap["host"] = {"tools_missing": [{"package": "multipath-tools", "programs": ["multipath"]}]}
    assert cleanup.plan_cleanup(snap, [verdicts[0], healthy])["skipped"][-1] == left


def test_only_unknown_array_and_only_under_host_evidence_rests_on_host_evidence():
    """Fails when a verdict the array still maps (paths_down_but_mapped) is removed on host evidence, or an
    unknown_array under policy array is weighed at all instead of being left as never touched."""
    paths_down = {"kind": "paths_down_but_mapped", "object": "map", "name": WWID, "wwid": WWID}
    out = cleanup.plan_cleanup(snapshot(), [paths_down], HOST_EVIDENCE)
    assert out["steps"] == [] and out["skipped"] == [
        {"kind": "paths_down_but_mapped", "object": "map", "name": WWID,
         "reason": "paths_down_but_mapped is never touched by cleanup"}]
    unknown = dict(paths_down, kind="unknown_array")
    assert cleanup.plan_cleanup(snapshot(), [unknown], {"policy": "array"})["skipped"] == [
        {"kind": "unknown_array", "object": "map", "name": WWID, "reason": "unknown_array is never touched by cleanup"}]


def test_the_callers_flush_options_reach_every_map_flush():
    """Fails when the caller's policy (force_remove, remove_wwid) does not reach the flush of a removed map."""
    out = cleanup.plan_cleanup(snapshot(), STALE_MAP_ONLY, {"force_remove": True, "remove_wwid": False})
    assert [st.options["force_remove"] for st in out["steps"] if st.action == "flush_map"] == [True]
    assert not [st for st in out["steps"] if st.action == "remove_wwid"]


def test_a_disk_naming_a_live_map_or_held_by_a_name_no_live_map_has_is_refused_as_such():
    """Fails when a stale disk whose record names a live map (by its name, without the map's dm among its holders)
    is deleted, or a disk held by a dm device whose kernel name only a flushed map's alias spells is refused as a
    path of that (flushed) map instead of as held by its holder."""
    snap = snapshot()
    snap["disks"]["sdf"].update(state="offline", probe={"result": "lun_not_supported"}, map=WWID2)
    stale_sdf = {"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID}
    assert cleanup.plan_cleanup(snap, [stale_sdf])["skipped"] == [
        {"kind": "refused", "object": "disk", "name": "sdf",
         "reason": "disk sdf: is a path of live multipath map %s (dm-4); flush the map first (multipath_flush)" % WWID2}]
    snap = snapshot()
    snap["maps"][WWID]["name"] = "dm-9"
    for sd in ("sdc", "sdd"):
        snap["disks"][sd]["map"] = "dm-9"
    snap["disks"]["sdf"].update(state="offline", probe={"result": "lun_not_supported"}, holders=["dm-9"])
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": "dm-9", "wwid": WWID}, stale_sdf])
    assert out["flush_maps"] == [WWID] and out["skipped"] == [
        {"kind": "refused", "object": "disk", "name": "sdf", "reason": "disk sdf: is held by device-mapper holder dm-9; remove it first"}]


def test_a_path_whose_record_names_no_map_is_refused_as_held_by_its_holder():
    """Fails when a path of the removed map whose own record names no map (only its holder, the map's dm-3, says
    so) is deleted, or refused as a path of a live map (the map is flushed by then) instead of as held by dm-3."""
    snap = snapshot()
    snap["disks"]["sdc"]["map"] = None
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY)
    assert [st.target for st in out["steps"] if st.action == "delete_disk"] == ["sdd"]
    assert out["skipped"] == [{"kind": "refused", "object": "disk", "name": "sdc",
                               "reason": "disk sdc: is held by device-mapper holder dm-3; remove it first"}]


def test_a_disk_on_another_transport_is_deleted_only_when_the_caller_allows_non_san():
    """Fails when the caller's allow_non_san does not reach the deletes, or a stale disk on a transport that is not
    iSCSI or FC is deleted without it."""
    snap = snapshot()
    snap["disks"]["sdf"].update(state="offline", probe={"result": "lun_not_supported"}, transport="sas")
    stale = [{"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID}]
    assert cleanup.plan_cleanup(snap, stale)["skipped"] == [
        {"kind": "refused", "object": "disk", "name": "sdf",
         "reason": "disk sdf: is on transport 'sas', not iSCSI/FC; refusing (allow_non_san)"}]
    assert [st.action for st in cleanup.plan_cleanup(snap, stale, {"allow_non_san": True})["steps"]] == [
        "delete_disk", "wait_disk_gone"]


def test_a_map_whose_flush_is_refused_does_not_end_the_plan():
    """Fails when a stale map whose flush is refused (mounted) keeps the maps after it from being removed."""
    snap = snapshot()
    snap["maps"][WWID]["mountpoints"] = ["/data"]
    snap["maps"][WWID2].update(paths=[{"name": "sde"}], probe={"sde": {"result": "lun_not_supported"}})
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY + [{"kind": "stale_unmapped", "object": "map", "name": WWID2,
                                                        "wwid": WWID2}])
    assert out["flush_maps"] == [WWID2] and [(x["kind"], x["name"]) for x in out["skipped"]] == [("refused", WWID)]


def test_a_stale_map_less_disk_is_a_unit_of_its_own_checked_dead_at_act_time():
    """Fails when a stale disk without a map is not planned as its own unit (`disk sdf`, phase delete) with its
    touching step marked for the act's re-probe (dead), or when a disk already deleted with its map ends the
    planning of the disks after it."""
    snap = snapshot()
    snap["disks"]["sdc"].update(state="offline", probe={"result": "lun_not_supported"})
    snap["disks"]["sdf"].update(state="offline", probe={"result": "lun_not_supported"})
    stale_sdf = {"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID}
    out = cleanup.plan_cleanup(snap, [stale_sdf])
    assert [(st.action, st.target, dict(st.options), st.phase, st.unit) for st in out["steps"]] == [
        ("delete_disk", "sdf", {"dead": True}, "delete", "disk sdf"), ("wait_disk_gone", "sdf", {}, "delete", "disk sdf")]
    out = cleanup.plan_cleanup(snap, STALE_MAP_ONLY + [STALE_DISK_SDC, stale_sdf])
    assert [(st.target, st.unit) for st in out["steps"] if st.action == "delete_disk"] == [
        ("sdc", "map %s" % WWID), ("sdd", "map %s" % WWID), ("sdf", "disk sdf")]


def test_a_serial_mismatch_disk_refused_does_not_end_the_repairs_after_it():
    """Fails when a mismatching disk refused (no live serial, or a delete that may not happen) stops the repair of
    the mismatching disks after it."""
    snap = snapshot()
    snap["disks"]["sdf"]["probe"] = {"result": "ready", "serial_live": "new"}
    snap["disks"]["sdg"] = a_disk("sdg", "6:0:0:5", "8:96", wwid="3600a0980bbbb")
    snap["disks"]["sdh"] = a_disk("sdh", "6:0:0:6", "8:112", wwid="3600a0980cccc", mountpoints=["/x"],
                                  probe={"result": "ready", "serial_live": "newer"})
    verdicts = _mismatch({"array_wwid": WWID2}, "sdg") + _mismatch({"array_wwid": WWID2}, "sdh") + _mismatch(
        {"array_wwid": WWID2})
    out = cleanup.plan_cleanup(snap, verdicts)
    assert [(x["kind"], x["name"]) for x in out["skipped"]] == [("refused", "sdg"), ("refused", "sdh")]
    assert [st.target for st in out["steps"] if st.action == "delete_disk"] == ["sdf"]
