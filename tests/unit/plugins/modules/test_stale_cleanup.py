# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""stale_cleanup: one run observes, judges, plans and acts. It acts on the fake host FakeEnv
(tests/unit/plugins/module_utils/_san/act/helpers.py); its query stage (judge.facts.collect: snapshot + judge,
tested in test_stale_mpath_facts and judge/test_verdicts) is replaced by a judged snapshot, either the fake host's
own or a hand-made one (then only check mode, the plan is the subject)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    NVME_LIF_GONE, FakeEnv, WWID, WWID2, disk, mpath, nvme_planned)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import (
    NEW, OTHER, STALE, judged, pairs, san)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    looks, plan)


MODULE = stale_cleanup


# an array truth is given (what it says is in the verdicts of the judged snapshots below)
# a real run without approved_plan runs the plan it makes itself only when told so (the module's approval gate)
DEFAULT_ARGS = {"array_truth": {"luns": [], "targets": [], "problems": [], "collected_at": None},
                "allow_unreviewed": True}


@pytest.fixture
def env(tmp_path):
    e = FakeEnv(tmp_path)
    e.add_disk(disk("sdf", "4:0:0:7", "8:80", WWID2))   # a stale disk without a map
    e.disks["sdf"]["probe"] = {"result": "lun_not_supported", "serial_live": None}  # its failure is observed
    # and still is when the act probes it again before its first touch (a running disk that does not answer is
    # not dead: it may only be slow, judge.findings.PROBE_FAILS_ACTIVE)
    e.probes["sdf"] = {"result": "lun_not_supported", "sense": "05/25/00", "serial_live": None}
    return e


def test_stale_map_then_its_paths_in_plan_order(plan):
    """Fails when a stale map and its paths are planned out of order or reported wrongly."""
    out = plan({})
    assert not out.get("failed") and out["changed"] is True
    assert pairs(out["steps"]) == pairs(out["run"]) == [
        ("disable_queueing", WWID), ("verify_unused", WWID), ("flush_map", WWID), ("wait_map_gone", WWID),
        ("delete_disk", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdc"), ("wait_disk_gone", "sdd"),
        ("remove_wwid", WWID)]
    assert out["flush_maps"] == [WWID] and out["executed"] == []
    assert [d["name"] for d in out["delete_disks"]] == ["sdc", "sdd"]
    assert out["delete_disks"][0] == {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID,
                                      "serial": "0" + WWID[9:]}
    assert out["mismatches"] == []
    # the healthy map (and only it: the other array's map has failed paths) is the post-check baseline
    assert out["healthy_before"] == {WWID2: ["sde", "sdf"]}
    assert {s["kind"] for s in out["left_alone"]} == {"healthy", "unknown_array"}
    assert out["evidence_candidates"] == []
    # the facts the plan was judged from are the host's facts (reports, corruption-risk fail)
    # (compact, the default: the healthy map's verdict is counted in san.healthy, every other verdict whole)
    assert out["ansible_facts"]["san"]["verdicts"] == [v for v in san()["verdicts"] if v["kind"] != "healthy"]
    assert out["ansible_facts"]["san"]["healthy"]["maps"]["wwids"] == [WWID2]


@pytest.mark.parametrize("change,named", [
    ({"mountpoints": ["/mnt/lab1"]}, "/mnt/lab1"),
    # an opener of a map that is not dead (queueing off: its I/O is not blocked in the queue)
    ({"openers": [{"pid": 4242, "comm": "dd"}], "queueing": False}, "pid 4242 (dd)"),
    # a holder named from sysfs (its dm uuid and name), as the run reads it before planning
    ({"holders": ["dm-9"]}, "lvm holder dm-9 (vg_data-lv0: VG vg_data, LV lv0)"),
])
def test_in_use_map_is_refused_naming_the_holder(change, named, env, plan):
    """Fails when an in-use stale map is planned, or its refusal does not name the holder."""
    env._file("sys/block/dm-9/dm/uuid", "LVM-abcdef\n")
    env._file("sys/block/dm-9/dm/name", "vg_data-lv0\n")
    s = san()
    s["maps"][WWID].update(change)
    out = plan({}, s)
    assert out["steps"] == [] and out["flush_maps"] == [] and out["delete_disks"] == []
    assert len(out["refused"]) == 1 and named in out["refused"][0]["reason"], out["refused"]


def test_reader_blocked_on_a_dead_unmapped_map_is_released_not_refused(plan):
    """Fails when a reader blocked on a dead unmapped map refuses it instead of being released."""
    s = san()
    s["maps"][WWID].update(openers=[{"pid": 4242, "comm": "dd"}], open_count=1)
    out = plan({}, s)
    assert out["refused"] == [] and out["flush_maps"] == [WWID]
    assert pairs(out["steps"])[:3] == [("disable_queueing", WWID), ("verify_unused", WWID), ("flush_map", WWID)]
    assert "pid 4242 (dd)" in out["steps"][1]["reason"]


def test_udev_blkid_opener_is_not_a_workload(plan):
    """Fails when a udev blkid opener keeps a stale map from being flushed."""
    s = san()
    s["maps"][WWID]["openers"] = [{"pid": 77, "comm": "blkid"}]
    s["maps"][WWID]["open_count"] = 1
    assert plan({}, s)["flush_maps"] == [WWID]


def test_paths_down_but_mapped_is_never_touched(plan):
    """Fails when a mapped LUN in an outage gets any step."""
    s = san()
    s["verdicts"][0]["kind"] = "paths_down_but_mapped"
    out = plan({}, s)
    assert out["steps"] == [] and out["changed"] is False
    assert "paths_down_but_mapped" in {x["kind"] for x in out["left_alone"]}


def test_reused_lun_flushes_the_old_map_then_repairs_each_path(plan):
    """Fails when a reused LUN's old map is not flushed before each path is repaired."""
    s = san()
    s["maps"][WWID]["paths"] = [{"name": "sdc", "dm_state": "active"}, {"name": "sdd", "dm_state": "active"}]
    ev = {"array_wwid": NEW, "array_serial": "80Lab-001+Ab",
          "probe": {"result": "ready", "serial_live": "80Lab-001+Ab"}}
    s["verdicts"] = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID,
                      "evidence": {"array_mappings": []}},
                     {"kind": "serial_mismatch", "object": "disk", "name": "sdc", "wwid": WWID,
                      "evidence": dict(ev, hctl="4:0:0:1")},
                     {"kind": "serial_mismatch", "object": "disk", "name": "sdd", "wwid": WWID,
                      "evidence": dict(ev, hctl="5:0:0:1")},
                     {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2}]
    out = plan({}, s)
    assert pairs(out["steps"]) == [
        ("disable_queueing", WWID), ("flush_map", WWID), ("wait_map_gone", WWID),
        ("delete_disk", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdc"), ("wait_disk_gone", "sdd"),
        ("remove_wwid", WWID),
        ("scan_exact_lun", "4:0:0:1"), ("scan_exact_lun", "5:0:0:1"), ("wait_disk_present", "4:0:0:1"),
        ("wait_disk_present", "5:0:0:1"), ("verify_identity", "4:0:0:1"), ("verify_identity", "5:0:0:1")]
    # no buffer flush towards the new LU
    assert "flush_buffers" not in [a for a, target in pairs(out["steps"])]
    assert out["flush_maps"] == [WWID] and out["delete_disks"] == []
    assert [(m["name"], m["hctl"], m["expect_wwid"], m["expect_serial"]) for m in out["mismatches"]] == [
        ("sdc", "4:0:0:1", NEW, "80Lab-001+Ab"), ("sdd", "5:0:0:1", NEW, "80Lab-001+Ab")]
    assert out["healthy_before"] == {WWID2: ["sde", "sdf"]}
    # repair_mismatch off: nothing at all
    off = plan({"repair_mismatch": False}, s)
    assert off["steps"] == [] and off["mismatches"] == []


def test_mismatch_path_of_a_map_still_mapped_is_refused_not_forced(plan):
    """Fails when a mismatched path of a map the array still maps is forced out."""
    s = san()
    s["verdicts"] = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID,
                      "evidence": {"array_mappings": [{"path": "/vol/v/l"}]}},
                     {"kind": "serial_mismatch", "object": "disk", "name": "sdc", "wwid": WWID,
                      "evidence": {"array_wwid": NEW, "probe": {"result": "ready", "serial_live": "80Lab-001+Ab"}}}]
    out = plan({}, s)
    assert out["steps"] == [] and out["refused"][0]["name"] == "sdc" and "live multipath map" in \
        out["refused"][0]["reason"]


def test_host_evidence_looks_twice_grace_apart(env, plan):
    """Fails when host evidence does not look twice, grace apart, before removing another array's map."""
    t0 = env.clock()
    out = plan({"policy": "host_evidence", "grace": 5}, san(at=990.0), san(at=1000.0))
    assert out["evidence_candidates"] == [OTHER] and out["flush_maps"] == [WWID, OTHER]
    assert env.clock() - t0 == 5          # the module waited the grace time between its two looks
    assert out["plan_seconds"] == 5       # and says that its read and plan took that wait
    assert out["ansible_facts"]["san"]["collected_at"] == 1000.0   # the plan rests on the second look
    # the reader says less than the grace time passed between the looks: not removed
    too_soon = plan({"policy": "host_evidence", "grace": 5}, san(at=995.0), san(at=998.0))
    assert too_soon["flush_maps"] == [WWID]
    # array policy never removes another array's map, and looks once
    t1 = env.clock()
    assert plan({}, san(at=990.0), san(at=1000.0))["flush_maps"] == [WWID] and env.clock() == t1


@pytest.mark.parametrize("result", ["no_answer", "ready", "not_ready"])
def test_host_evidence_never_counts_no_answer(result, env, plan):
    """Fails when host evidence counts a path that did not answer LU not supported."""
    s = san()
    s["maps"][OTHER]["probe"]["sdh"] = {"result": result}
    t0 = env.clock()
    out = plan({"policy": "host_evidence", "grace": 5}, s)
    assert OTHER not in out["flush_maps"] and out["evidence_candidates"] == [] and env.clock() == t0
    # gone on the first look, not on the second: not removed either
    first = san(at=990.0)
    again = plan({"policy": "host_evidence", "grace": 5}, first, s)
    assert again["evidence_candidates"] == [OTHER] and OTHER not in again["flush_maps"]


def test_without_array_truth_nothing_is_selected(monkeypatch, plan):
    """Fails when a run without array truth plans anything or does not warn."""
    # Once anything of the controller is imported (other test files do), ansible-core routes module
    # warnings to its display instead of the result, so record them at the source.
    said = []
    monkeypatch.setattr(stale_cleanup.AnsibleModule, "warn", lambda self, msg: said.append(msg))
    s = san()
    del s["verdicts"], s["array"]
    out = plan({"array_truth": None}, s)
    assert out["steps"] == [] and out["flush_maps"] == [] and not out.get("failed")
    assert any("no array truth" in msg for msg in said)


@pytest.mark.parametrize("args,needle", [
    ({"array_luns": [{"wwid": "zz"}]}, "invalid input"),
    ({"array_wwid_prefixes": ["36x"]}, "not a hex WWID prefix"),
])
def test_bad_array_input_fails_before_anything_is_read(args, needle, env, looks, run):
    """Fails when bad array_luns or prefixes are not refused before anything is read."""
    taken = looks(judged())
    out = run(dict(args, array_truth=None))
    assert out["failed"] and needle in out["msg"] and taken == [] and env.commands == []


GOOD_RECORD = {"cluster": "c1", "svm": "svm1", "path": "/vol/v/l1", "serial": "80Lab-001+Ab", "lun_id": 1,
               "wwid": NEW, "igroup_initiators": ["iqn.2024-01.lab.san:initiator"]}


@pytest.mark.parametrize("truth,needle", [
    ({"luns": [dict(GOOD_RECORD, wwid=123)]}, "array_truth.luns[0].wwid must be str, got int 123"),
    ({"luns": ["3600a0980"]}, "array_truth.luns[0] must be a dict, got str"),
    ({"luns": [GOOD_RECORD], "targets": "x"}, "array_truth.targets must be a list, got str"),
    ({"luns": [GOOD_RECORD], "targets": ["x"]}, "array_truth.targets[0] must be a dict"),
    ({"luns": [GOOD_RECORD], "targets": [{"iscsi_target_names": "iqn.x"}]},
     "array_truth.targets[0].iscsi_target_names must be a list"),
    ({"luns": [dict(GOOD_RECORD, wwid="../../etc")]}, "WWID '../../etc' is not valid"),
    ({"luns": [dict(GOOD_RECORD, wwid=None, serial=None)]}, "array_truth.luns[0] has no wwid"),
    ({"luns": [dict(GOOD_RECORD, wwid=None, serial="short")]}, "array_truth.luns[0] has no wwid"),
    ({"luns": [dict(GOOD_RECORD, lun_id="1")]}, "array_truth.luns[0].lun_id must be int"),
    ({"luns": "x"}, "array_truth.luns must be a list"),
    ({"luns": [], "problems": ["x"]}, "array_truth.problems[0] must be a dict"),
    ({"luns": [], "initiators": "iqn.x"}, "array_truth.initiators must be a list"),
    ({"luns": [], "initiators": [""]}, "array_truth.initiators[0] must be a non-empty string"),
    ({"luns": [], "collected_at": "yesterday"}, "array_truth.collected_at must be a number"),
    # a NaN (`.nan` in YAML, NaN in JSON) would switch every truth-age gate off; infinity and a negative time are
    # no time either
    ({"luns": [], "collected_at": float("nan")}, "array_truth.collected_at must be a number of epoch seconds"),
    ({"luns": [], "collected_at": float("inf")}, "array_truth.collected_at must be a number of epoch seconds"),
    ({"luns": [], "collected_at": -1.0}, "array_truth.collected_at must be a number of epoch seconds"),
    ({"luns": [dict(GOOD_RECORD, collected_at=float("nan"))]},
     "array_truth.luns[0].collected_at must be a number of epoch seconds"),
    ({"luns": [], "targets": [{"cluster": "c1", "svm": "s", "collected_at": float("nan")}]},
     "array_truth.targets[0].collected_at must be a number of epoch seconds"),
])
def test_bad_array_truth_fails_before_anything_is_read_or_changed(truth, needle, env, looks, run):
    """Fails when a malformed array_truth is not refused, by name, before anything is read."""
    taken = looks(judged())
    out = run({"array_truth": dict({"targets": [], "problems": [], "initiators": ["*"], "collected_at": 1.0},
                                   **truth)})
    assert out["failed"] and "invalid input" in out["msg"] and needle in out["msg"], out.get("msg")
    assert "Traceback" not in out["msg"] and taken == [] and env.commands == [] and out["executed"] == []


def test_array_truth_reaches_the_judge_normalised(env, looks, run, monkeypatch):
    """Fails when the array truth reaches the judge with WWIDs not normalised."""
    seen = []
    monkeypatch.setattr(stale_cleanup.facts, "collect",
                        lambda reader, truth, prefixes, probe: seen.append(truth) or judged([])(reader))
    record = dict(GOOD_RECORD, wwid="naa." + NEW[1:].upper())
    out = run({"array_truth": {"luns": [record, dict(GOOD_RECORD, wwid=None)], "targets": [], "problems": [],
                               "initiators": ["iqn.2024-01.lab.san:initiator"], "collected_at": 1.0}}, check=True)
    assert not out.get("failed"), out.get("msg")
    assert [r["wwid"] for r in seen[0]["luns"]] == [NEW, "3600a0980" + "80Lab-001+Ab".encode().hex()]
    assert seen[0]["initiators"] == ["iqn.2024-01.lab.san:initiator"]


@pytest.mark.parametrize("mutate,needle", [
    (lambda s: s["maps"].update({"../../etc": dict(s["maps"][WWID], name="../../etc")}), "'../../etc'"),
    (lambda s: s["maps"][WWID].update(name="a/b"), "name 'a/b'"),
    (lambda s: s["maps"][WWID].update(name="mpath@x"), "name 'mpath@x'"),
    (lambda s: s["maps"][WWID].update(name="mpath\nflush_map sdg"), "name 'mpath\\nflush_map sdg'"),
    (lambda s: s["maps"][WWID].update(dm="dm-1; reboot"), "dm 'dm-1; reboot'"),
    (lambda s: s["maps"][WWID]["paths"][0].update(name="../sda"), "path '../sda'"),
    (lambda s: s["disks"].update({"sd$(id)": {"transport": "iscsi"}}), "key 'sd$(id)'"),
    (lambda s: s["disks"]["sdc"].update(hctl="0:0:0:0; x"), "H:C:T:L '0:0:0:0; x'"),
    (lambda s: s["verdicts"][0].update(name="../../x"), "'../../x'"),
])
def test_a_name_no_step_may_carry_refuses_its_unit_and_the_rest_is_planned(mutate, needle, plan):
    """One map, path or disk whose name the validators refuse (a t10 WWID with "(", an alias with "@" or a newline:
    the kernel accepts them) failed the whole host's plan on every run. Now that unit alone is refused, named with
    the name escaped (no newline or control character in the result's text), and no step touches it; the other
    stale map is planned."""
    s = san()
    s["verdicts"][2]["kind"] = "stale_unmapped"  # OTHER: stale too, every path answering LU not supported
    mutate(s)
    out = plan({}, s)
    assert not out.get("failed"), out.get("msg")
    touched = set(st["target"] for st in out["steps"]) | set(st["identity"].get("wwid") for st in out["steps"])
    assert touched & set(["a/b", "mpath@x", "../../etc", "../sda", "sd$(id)"]) == set(), out["steps"]
    # the odd unit is the stale map WWID and its paths, except for the odd disk, which is no path of it
    assert (touched & set([WWID, "sdc", "sdd"]) == set()) is ("sd$(id)" not in s["disks"]), out["steps"]
    assert ("flush_map", OTHER) in pairs(out["steps"]) and ("delete_disk", "sdg") in pairs(out["steps"])
    named = [r for r in out["refused"] if needle in r["name"] + r["reason"]]
    assert named, out["refused"]
    for r in out["refused"] + out["left_alone"]:
        assert not any(c < " " or c == "\x7f" for c in r["name"] + r["reason"]), r


def test_a_snapshot_record_that_is_no_dict_is_refused_before_planning(plan):
    """A snapshot not of our shape (a map record that is no dict) still refuses the whole host: it is no read of
    ours, so nothing of it can be trusted."""
    s = san()
    s["maps"]["x"] = "not a map"
    out = plan({}, s)
    assert out["failed"] and "must be a dict" in out["msg"] and "nothing was planned" in out["msg"], out.get("msg")
    assert out["steps"] == []


@pytest.mark.parametrize("args,needle", [
    ({"command_timeout": -1}, "command_timeout must be between"),
    ({"command_timeout": "nan"}, "command_timeout must be between"),
    ({"command_timeout": 0}, "command_timeout must be between"),
    ({"grace": -1}, "grace must be"),
    ({"truth_max_age": 0}, "truth_max_age must be"),
    # NaN or infinity would bound nothing: `age > NaN` is never true
    ({"truth_max_age": "nan"}, "truth_max_age must be"),
    ({"truth_max_age": "inf"}, "truth_max_age must be"),
    ({"grace": "inf"}, "grace must be"),
    ({"array_truth": None, "array_luns": [dict(GOOD_RECORD, collected_at=float("nan"))]}, "collected_at must be"),
])
def test_bad_timeouts_are_refused_by_name(args, needle, env, looks, run):
    """Fails when a negative, zero, NaN or infinite timeout or age is accepted."""
    taken = looks(judged())
    out = run(args)
    assert out["failed"] and needle in out["msg"] and "nothing was read or changed" in out["msg"]
    assert taken == [] and env.commands == [] and env.writes == []


def test_a_failed_lookup_blocks_every_removal_and_says_why(plan):
    """Fails when a failed array lookup does not block every removal on the host, with why."""
    s = san()
    s["array"]["problems"] = [{"cluster": "cl2", "svm": None, "kind": "lookup_failed", "msg": "HTTP 401"}]
    out = plan({"policy": "host_evidence", "grace": 5}, s)
    assert out["steps"] == [] and out["flush_maps"] == [] and out["evidence_candidates"] == []
    assert [b["why"] for b in out["blocked"]] == ["array_lookup_problem"]
    left = dict((x["name"], x["reason"]) for x in out["left_alone"])
    assert left[WWID].startswith("no SCSI removal on this host (array_lookup_problem)") and "cl2" in left[WWID]


def test_diff_shows_the_devices_before_and_after_the_plan(invoke_on_env, looks):
    """Fails when the diff does not show the devices before and after the plan."""
    looks(san())
    out = invoke_on_env(stale_cleanup, dict(DEFAULT_ARGS, _ansible_diff=True), check=True)
    before, after = out["diff"]["before"], out["diff"]["after"]
    assert "map %s (sdc sdd)" % WWID in before and "disk sdc 4:0:0:1" in before
    assert WWID not in after and "disk sdc" not in after and "disk sdd" not in after
    assert "map %s (sde sdf)" % WWID2 in after and "disk sde 4:0:0:2" in after


# ------------------------------------------------------------------------------------- the fake host: plan and act
def test_check_mode_lists_the_plan_and_a_real_run_executes_exactly_it(env, looks, run):
    """Fails when check mode changes anything or the real run executes other than it listed."""
    looks(judged())
    chk = run({}, check=True)
    assert chk["changed"] is True and chk["executed"] == [] and pairs(chk["run"]) == pairs(chk["steps"])
    assert env.commands == [] and env.writes == [] and WWID in env.maps
    assert "healthy_after" not in chk and "references" not in chk
    assert "act_seconds" not in chk and "post_check_seconds" not in chk and chk["plan_seconds"] >= 0
    t0 = env.clock()
    real = run({})
    assert not real.get("failed"), real
    assert pairs(real["steps"]) == pairs(chk["steps"])
    assert pairs(real["executed"]) == pairs(chk["steps"])
    # the map's paths go after the map and before multipath -w, deleted side by side with the orphan disk
    done = pairs(real["executed"])
    assert done[done.index(("wait_map_gone", WWID)) + 1:] == [
        ("delete_disk", "sdc"), ("delete_disk", "sdd"), ("delete_disk", "sdf"),
        ("wait_disk_gone", "sdc"), ("wait_disk_gone", "sdd"), ("wait_disk_gone", "sdf"), ("remove_wwid", WWID)]
    assert real["removed_maps"] == [WWID] and real["deleted_disks"] == ["sdc", "sdd", "sdf"]
    assert WWID not in env.maps and not env.disks
    # the post-check: the same read after the run, nothing healthy lost, nothing removed left
    assert real["healthy_before"] == real["healthy_after"] == {} and real["maps_still_present"] == []
    # where the module's time went: its three parts, each non-negative, within the time the run took
    parts = [real["plan_seconds"], real["act_seconds"], real["post_check_seconds"]]
    assert min(parts) >= 0 and real["act_seconds"] > 0 and sum(parts) <= env.clock() - t0 + 0.003


def test_the_post_check_reports_a_healthy_map_that_lost_a_path(env, looks, run):
    """Fails when the post-check misses a healthy map that lost a path during the run."""
    env.add_disk(disk("sde", "4:0:0:2", "8:64", WWID2, map_name=WWID2))
    env.add_disk(disk("sdg", "5:0:0:2", "8:96", WWID2, map_name=WWID2))
    env.maps[WWID2] = mpath(WWID2, "dm-4", "253:4", ["sde", "sdg"])
    for p in env.maps[WWID2]["paths"]:
        p["dm_state"] = "active"

    def lose_a_path():
        env.maps[WWID2]["paths"][1]["dm_state"] = "failed"   # something else happens during the run
    looks(judged(then=lose_a_path))
    out = run({})
    assert not out.get("failed")
    assert out["healthy_before"] == {WWID2: ["sde", "sdg"]} and out["healthy_after"] == {}


def test_phases_select_whole_units(env, looks, run):
    """Fails when phases run part of a unit, or do not report what was not run."""
    looks(judged())
    out = run({"phases": ["delete"]})
    assert pairs(out["executed"]) == [("delete_disk", "sdf"), ("wait_disk_gone", "sdf")]
    assert {s["phase"] for s in out["not_run"]} == {"flush"}
    assert WWID in env.maps and "sdc" in env.disks and "sdf" not in env.disks
    assert out["maps_still_present"] == [WWID]     # not run, so still there: the role's verify says so


def test_unknown_phase_is_refused_by_the_argument_spec(env, looks, run):
    """Fails when an unknown phase is accepted."""
    looks(judged())
    out = run({"phases": ["everything"]})
    assert out["failed"] and "phases" in out["msg"] and env.commands == []


def test_a_step_that_changed_since_the_plan_stops_its_unit_and_only_its_unit(env, looks, run):
    """Fails when a step that changed since the plan does not stop its unit, or stops the others."""
    def reuse_name():
        env.disks["sdd"]["dev"] = "8:99"   # the kernel gave the name to another device
    looks(judged(then=reuse_name))
    out = run({})
    assert out["failed"] and out["refusal"]["kind"] == "identity" and out["changed"] is True
    assert out["failed_step"]["target"] == "sdd"
    assert [(f["unit"], f["refusal"]["kind"]) for f in out["failures"]] == [("map %s" % WWID, "identity")]
    done = pairs(out["executed"])
    # the map's unit stops at sdd: nothing of it after that (no wait, no multipath -w); the orphan disk sdf,
    # another unit, is deleted and confirmed gone
    assert ("delete_disk", "sdc") in done and ("remove_wwid", WWID) not in done
    assert not [d for d in done if d[1] == "sdd"] and ("wait_disk_gone", "sdc") not in done
    assert done[-2:] == [("delete_disk", "sdf"), ("wait_disk_gone", "sdf")]
    assert "sdd" in env.disks and "sdf" not in env.disks
    assert "1 of 2 units stopped" in out["msg"]


def test_force_remove_is_planned_only_when_given(env, looks, run):
    """Fails when a forced removal is planned without force_remove."""
    looks(judged())
    flush = [s for s in run({}, check=True)["steps"] if s["action"] == "flush_map"][0]
    assert flush["options"]["force_remove"] is False and "force" not in flush["reason"]
    flush = [s for s in run({"force_remove": True}, check=True)["steps"] if s["action"] == "flush_map"][0]
    assert flush["options"]["force_remove"] is True and "dmsetup remove --force" in flush["reason"]


def test_blocked_openers_are_released_only_on_a_map_the_array_unmapped(env, looks, run):
    """Fails when blocked openers are released on a map the array did not say is unmapped."""
    env.maps[WWID]["openers"] = [{"pid": 77, "comm": "dd"}]
    env.maps[WWID]["open_count"] = 1
    looks(judged())
    out = run({}, check=True)
    assert pairs(out["steps"])[:2] == [("disable_queueing", WWID), ("verify_unused", WWID)]
    # the same dead map, judged another array's on two looks (host evidence): the opener refuses it
    other = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    looks(judged(other), judged(other))
    out = run({"policy": "host_evidence", "grace": 1})
    assert out["flush_maps"] == [] and "pid 77 (dd)" in out["refused"][0]["reason"]
    assert env.commands == [] and env.writes == []


def test_empty_plan_is_not_a_change(env, looks, run):
    """Fails when an empty plan reports a change or runs a command."""
    looks(judged([{"kind": "healthy", "object": "map", "name": WWID, "wwid": WWID}]))
    out = run({})
    assert out["changed"] is False and not out.get("failed") and out["steps"] == [] and env.commands == []


def test_a_corruption_risk_holds_back_every_step(env, looks, run):
    """Fails when any step runs on a host with a corruption risk."""
    def risky(reader):
        snap = judged()(reader)
        snap["corruption_risks"] = [{"object": "disk", "name": "sde", "msg": "sde is mounted on /data"}]
        return snap
    looks(risky)
    out = run({})
    assert not out.get("failed") and out["changed"] is False and out["executed"] == [] and out["run"] == []
    assert pairs(out["not_run"]) == pairs(out["steps"]) and out["steps"]
    assert out["ansible_facts"]["san"]["corruption_risks"][0]["name"] == "sde"
    assert env.commands == [] and env.writes == [] and WWID in env.maps


# ------------------------------------------------------------------------------------- act-time re-checks
def test_a_lun_mapped_back_between_plan_and_act_is_refused_as_came_back(env, looks, run):
    """Fails when a LUN mapped back between plan and act is removed, or other units stop."""
    def map_back():
        env.probes["sdd"] = {"result": "ready", "sense": None, "serial_live": None}   # the kernel still says failed
    looks(judged(then=map_back))
    out = run({})
    assert out["failed"] and [(f["unit"], f["refusal"]["kind"]) for f in out["failures"]] == [
        ("map %s" % WWID, "came_back")]
    assert "came back" in out["msg"] and out["failed_step"]["action"] == "disable_queueing"
    assert WWID in env.maps and {"sdc", "sdd"} <= set(env.disks)          # nothing of that unit removed
    assert not [c for c in env.commands if WWID in c] and "sdf" not in env.disks   # the other unit ran


def test_the_truth_is_measured_against_truth_max_age_again_at_act_time(env, looks, run):
    """Fails when the act runs on an array truth older than truth_max_age."""
    looks(judged())
    truth = dict(DEFAULT_ARGS["array_truth"], collected_at=time.time() - 1000)
    out = run({"array_truth": truth, "truth_max_age": 900})
    assert out["failed"] and {f["refusal"]["kind"] for f in out["failures"]} == {"truth_too_old"}
    assert env.commands == [] and env.writes == [] and WWID in env.maps and "sdf" in env.disks


def test_sigterm_during_the_act_gives_queueing_back_and_reports_without_the_post_check(env, looks, run):
    """Fails when SIGTERM during the act leaves queueing off or is not reported as an interruption."""
    env.add_disk(dict(disk("sde", "4:0:0:2", "8:64", WWID2, map_name=WWID2), holders=["dm-4"]))
    env.maps[WWID2] = mpath(WWID2, "dm-4", "253:4", ["sde"])
    env._file("sys/block/dm-4/dm/uuid", "mpath-" + WWID2)
    env.probes["sde"] = dict(env.probes["sdc"])
    orig = env.run

    def run_cmd(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipath", "-f"]:
            os.kill(os.getpid(), signal.SIGTERM)
        return res
    env.run = run_cmd
    stale = STALE + [{"kind": "stale_unmapped", "object": "map", "name": WWID2, "wwid": WWID2}]
    looks(judged(stale))

    def killed(signum, _frame):   # outside the act the default action ends the module where it stands
        raise RuntimeError("killed by signal %d" % signum)
    previous = signal.signal(signal.SIGTERM, killed)
    try:
        out = run({})
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert out["failed"] and out["interrupted"] == "SIGTERM" and "interrupted by SIGTERM" in out["msg"]
    (left,) = [w for w in (WWID, WWID2) if w in env.maps]
    assert env.maps[left]["queueing"] is True
    restored = dict((r["map"], r) for r in out["queueing_restored"])
    assert restored[left]["queueing_now"] is True
    assert [w for w, r in restored.items() if w != left and "is gone" not in r["msg"]] == []
    assert "healthy_after" not in out and "post_check_seconds" not in out
    assert len(out["failures"]) == 3 and "sdf" in env.disks and not env.writes


def test_a_signal_after_the_last_step_exits_at_once_with_every_step_done(env, looks, run):
    """Fails when a signal after the last step fails the run or waits for the post-check, every step done."""
    orig = env.run

    def run_cmd(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipath", "-w"]:     # the last command of the plan
            os.kill(os.getpid(), signal.SIGHUP)
        return res
    env.run = run_cmd
    looks(judged())

    def killed(signum, _frame):
        raise RuntimeError("killed by signal %d" % signum)
    previous = signal.signal(signal.SIGHUP, killed)
    try:
        out = run({})
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert not out.get("failed"), out.get("msg")
    assert out["interrupted"] == "SIGHUP" and "post_check_seconds" not in out
    assert out["removed_maps"] == [WWID] and WWID not in env.maps and not env.disks


@pytest.mark.parametrize("grace", [1e10, 1e300])
def test_a_grace_longer_than_any_deadline_is_refused_by_name(grace, env, looks, run):
    """grace is the wait between the two looks of host_evidence, taken by the module itself: a finite but huge
    value passed the check (only NaN, infinity and negatives were refused), so the module slept for centuries
    (the play hangs, against 'every wait has a deadline') or time.sleep raised OverflowError (a traceback)."""
    taken = looks(judged())
    out = run({"grace": grace})
    assert out.get("failed") and "grace must be" in out["msg"] and "nothing was read or changed" in out["msg"]
    assert taken == [] and env.commands == [] and env.writes == []


@pytest.mark.parametrize("nvme_time", [-1000, "yesterday"], ids=["nvme_part_old", "nvme_part_time_no_time"])
def test_an_nvme_truth_too_old_or_undated_holds_no_scsi_unit_at_act_time(env, looks, run, nvme_time):
    """The plan gates each family on its own truth (docs/ontap.md, "Each device family on its own part": the NVMe
    truth's problems and age hold no SCSI unit), and check mode lists the SCSI units; the real run must execute
    them too. Fails when the act measures the SCSI units' truth age from the NVMe part's time as well
    (run/cleanup.truth_time: the oldest of both), refusing every SCSI unit as truth_too_old/truth_age_unknown."""
    looks(judged())
    now = time.time()
    truth = dict(DEFAULT_ARGS["array_truth"], collected_at=now,
                 nvme={"namespaces": [], "targets": [], "problems": [], "clusters": [],
                       "collected_at": now + nvme_time if isinstance(nvme_time, int) else nvme_time})
    chk = run({"array_truth": truth, "truth_max_age": 900}, check=True)
    assert chk["blocked"] == [] and chk["steps"], chk
    real = run({"array_truth": truth, "truth_max_age": 900})
    assert not real.get("failed"), [f.get("refusal") for f in real.get("failures") or []]
    assert pairs(real["executed"]) == pairs(chk["steps"])


def test_the_documented_blocked_return_matches_a_plan_that_still_deletes_nvme_controllers(tmp_path):
    """A failed SCSI read blocks the SCSI units only: the plan still deletes the NVMe controller its own truth
    allows (plan/cleanup.py _blocked_plan). Fails while the module's documentation still says that such a host gets
    no removal at all (DOCUMENTATION: "Plans no removal at all when the array truth may be incomplete or old";
    RETURN blocked: "Why no removal is planned on this host"): an approver or a workflow reading `blocked` is told
    nothing is removed while the plan deletes a controller."""
    import yaml
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
        nvme_array_truth, nvme_host, nvme_judged)
    reader, lab = nvme_host(tmp_path, "nvme_stale", ("nvme0n2", "nvme0c0n2"))
    s = nvme_judged(reader, nvme_array_truth(lab["nvme"]), time.time())
    s["array"]["problems"] = [{"cluster": "cl2", "svm": None, "kind": "lookup_failed", "msg": "HTTP 401"}]
    out = cleanup.plan_cleanup(s, s.get("verdicts") or [], {"policy": "array", "delete_lif_gone": True})
    assert out["blocked"] and [c["name"] for c in out["delete_controllers"]] == ["nvme0"], out
    doc = " ".join(yaml.safe_load(stale_cleanup.DOCUMENTATION)["description"])
    blocked = " ".join(yaml.safe_load(stale_cleanup.RETURN)["blocked"]["description"].split())
    assert "Plans no removal at all when" not in " ".join(doc.split()), "DOCUMENTATION"
    assert "Why no removal is planned" not in blocked, blocked


class _Module(object):
    """What stale_cleanup.act reads of its AnsibleModule: the params and warn."""

    def __init__(self, truth_max_age):
        self.params = {"truth_max_age": truth_max_age}
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


@pytest.mark.parametrize("nvme_age, deleted", [(2000, []), (10, ["nvme0"])], ids=["nvme_part_too_old", "fresh"])
def test_the_act_measures_an_nvme_units_truth_age_from_the_nvme_part_it_was_given(tmp_path, nvme_age, deleted):
    """stale_cleanup.act hands each family's time of the truth to the act (run.cleanup.truth_times): a controller
    whose NVMe part has grown older than truth_max_age is not deleted, while a fresh one is, whatever the SCSI part's
    time. Fails when the NVMe part's time does not reach the act (then nothing measures it: the controller goes on
    an NVMe truth 2000 s old)."""
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    host.truth_times = {}  # as the module builds its context: its act sets them
    now = time.time()
    truth = {"collected_at": now, "nvme": {"collected_at": now - nvme_age}}
    result = {"executed": []}
    stopped = stale_cleanup.act(_Module(900.0), host, truth, steps, result)
    assert result["deleted_controllers"] == deleted and kernel.writes == deleted
    if not deleted:
        assert stopped and [f["refusal"]["kind"] for f in result["failures"]] == ["truth_too_old"]
