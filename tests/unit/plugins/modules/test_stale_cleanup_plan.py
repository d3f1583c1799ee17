# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""stale_cleanup_plan: the module around san_plan.plan_cleanup (the role's only device selection)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest


from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup_plan

WWID = "3600a09803830447a4f244c4657616f6f"
WWID2 = "3600a0980383044715a2b4c4d4e4f5051"
NEW = "3600a098038304c61622d3030312b4162"
OTHER = "360014055a1a00000000400080005a1ab"


def a_map(wwid, dm, paths, state="active", **kw):
    m = {"name": wwid, "wwid": wwid, "dm": dm, "dev": "253:%s" % dm[3:], "queueing": True, "open_count": 0,
         "holders": [], "mountpoints": [], "openers": [], "swap": False,
         "paths": [{"name": p, "dm_state": state} for p in paths], "probe": {}}
    m.update(kw)
    return m


def a_disk(name, hctl, dev, wwid, dm=None, **kw):
    d = {"name": name, "hctl": hctl, "dev": dev, "wwid": wwid, "serial": "0" + wwid[9:], "transport": "iscsi",
         "holders": [dm] if dm else [], "mountpoints": [], "swap": False, "openers": [], "map": wwid if dm else None,
         "state": "running", "lun": int(hctl.split(":")[3])}
    d.update(kw)
    return d


def san(at=1000.0):
    gone = {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}}
    return {
        "collected_at": at,
        "array": {"records": 2, "targets": [], "problems": [], "collected_at": at - 10},
        "host": {"iscsi_iqn": "iqn.2024-01.lab.san:initiator", "fc_wwpns": []},
        "maps": {WWID: a_map(WWID, "dm-3", ["sdc", "sdd"], state="failed", probe=gone),
                 WWID2: a_map(WWID2, "dm-4", ["sde", "sdf"]),
                 OTHER: a_map(OTHER, "dm-5", ["sdg", "sdh"], state="failed",
                              probe={"sdg": {"result": "lun_not_supported"}, "sdh": {"result": "lun_not_supported"}})},
        "disks": {"sdc": a_disk("sdc", "4:0:0:1", "8:32", WWID, "dm-3"),
                  "sdd": a_disk("sdd", "5:0:0:1", "8:48", WWID, "dm-3"),
                  "sde": a_disk("sde", "4:0:0:2", "8:64", WWID2, "dm-4"),
                  "sdf": a_disk("sdf", "5:0:0:2", "8:80", WWID2, "dm-4"),
                  "sdg": a_disk("sdg", "4:0:0:0", "8:96", OTHER, "dm-5"),
                  "sdh": a_disk("sdh", "5:0:0:0", "8:112", OTHER, "dm-5")},
        "verdicts": [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID},
                     {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2},
                     {"kind": "unknown_array", "object": "map", "name": OTHER, "wwid": OTHER}],
    }


@pytest.fixture
def run(monkeypatch, invoke):
    def call(args, check=False, holders=None):
        monkeypatch.setattr(stale_cleanup_plan, "describe_holders", lambda s, timeout=10.0: dict(holders or {}))
        return invoke(stale_cleanup_plan, args, check)
    return call


def pairs(steps):
    return [(s["action"], s["target"]) for s in steps]


def test_stale_map_then_its_paths_in_plan_order(run):
    out = run({"san": san()})
    assert not out.get("failed") and out["changed"] is False
    assert pairs(out["steps"]) == [
        ("disable_queueing", WWID), ("verify_unused", WWID), ("flush_map", WWID), ("wait_map_gone", WWID),
        ("delete_disk", "sdc"), ("wait_disk_gone", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdd"),
        ("remove_wwid", WWID)]
    assert out["flush_maps"] == [WWID]
    # stale_unmapped: mpath_flush gets array_unmapped for it, so it plans the same steps
    assert out["unmapped_maps"] == [WWID]
    assert [d["name"] for d in out["delete_disks"]] == ["sdc", "sdd"]
    assert out["delete_disks"][0] == {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID,
                                      "serial": "0" + WWID[9:]}
    assert out["mismatches"] == []
    # the healthy map (and only it: the other array's map has failed paths) is the post-check baseline
    assert out["keep_maps"] == {WWID2: ["sde", "sdf"]}
    assert {s["kind"] for s in out["left_alone"]} == {"healthy", "unknown_array"}
    assert out["evidence_candidates"] == []


def test_check_mode_returns_the_same_plan(run):
    real = run({"san": san()})
    check = run({"san": san()}, check=True)
    assert check["steps"] == real["steps"] and check["changed"] is False


@pytest.mark.parametrize("change,named", [
    ({"mountpoints": ["/mnt/lab1"]}, "/mnt/lab1"),
    # an opener of a map that is not dead (queueing off: its I/O is not blocked in the queue)
    ({"openers": [{"pid": 4242, "comm": "dd"}], "queueing": False}, "pid 4242 (dd)"),
    ({"holders": ["dm-9"]}, "vg_data-lv0"),
])
def test_in_use_map_is_refused_naming_the_holder(change, named, run):
    s = san()
    s["maps"][WWID].update(change)
    holders = {"dm-9": {"name": "dm-9", "uuid": "LVM-abcdef", "dm_name": "vg_data-lv0"}}
    out = run({"san": s}, holders=holders)
    assert out["steps"] == [] and out["flush_maps"] == [] and out["delete_disks"] == []
    assert len(out["refused"]) == 1 and named in out["refused"][0]["reason"]
    if change.get("holders"):
        assert "lvm holder" in out["refused"][0]["reason"]


def test_reader_blocked_on_a_dead_unmapped_map_is_released_not_refused(run):
    s = san()
    s["maps"][WWID].update(openers=[{"pid": 4242, "comm": "dd"}], open_count=1)
    out = run({"san": s})
    assert out["refused"] == [] and out["flush_maps"] == [WWID] and out["unmapped_maps"] == [WWID]
    assert pairs(out["steps"])[:3] == [("disable_queueing", WWID), ("verify_unused", WWID), ("flush_map", WWID)]
    assert "pid 4242 (dd)" in out["steps"][1]["reason"]


def test_udev_blkid_opener_is_not_a_workload(run):
    s = san()
    s["maps"][WWID]["openers"] = [{"pid": 77, "comm": "blkid"}]
    s["maps"][WWID]["open_count"] = 1
    assert run({"san": s})["flush_maps"] == [WWID]


def test_paths_down_but_mapped_is_never_touched(run):
    s = san()
    s["verdicts"][0]["kind"] = "paths_down_but_mapped"
    out = run({"san": s})
    assert out["steps"] == [] and "paths_down_but_mapped" in {x["kind"] for x in out["left_alone"]}


def test_reused_lun_flushes_the_old_map_then_repairs_each_path(run):
    s = san()
    s["maps"][WWID]["paths"] = [{"name": "sdc", "dm_state": "active"}, {"name": "sdd", "dm_state": "active"}]
    ev = {"array_wwid": NEW, "array_serial": "80Lab-001+Ab"}
    s["verdicts"] = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID,
                      "evidence": {"array_mappings": []}},
                     {"kind": "serial_mismatch", "object": "disk", "name": "sdc", "wwid": WWID,
                      "evidence": dict(ev, hctl="4:0:0:1")},
                     {"kind": "serial_mismatch", "object": "disk", "name": "sdd", "wwid": WWID,
                      "evidence": dict(ev, hctl="5:0:0:1")},
                     {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2}]
    out = run({"san": s})
    assert pairs(out["steps"]) == [
        ("disable_queueing", WWID), ("flush_map", WWID), ("wait_map_gone", WWID),
        ("delete_disk", "sdc"), ("wait_disk_gone", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdd"),
        ("remove_wwid", WWID),
        ("scan_exact_lun", "4:0:0:1"), ("wait_disk_present", "4:0:0:1"), ("verify_identity", "4:0:0:1"),
        ("scan_exact_lun", "5:0:0:1"), ("wait_disk_present", "5:0:0:1"), ("verify_identity", "5:0:0:1")]
    # no buffer flush towards the new LU
    assert "flush_buffers" not in [a for a, target in pairs(out["steps"])]
    assert out["flush_maps"] == [WWID] and out["delete_disks"] == []
    assert [(m["name"], m["hctl"], m["expect_wwid"], m["expect_serial"]) for m in out["mismatches"]] == [
        ("sdc", "4:0:0:1", NEW, "80Lab-001+Ab"), ("sdd", "5:0:0:1", NEW, "80Lab-001+Ab")]
    assert out["keep_maps"] == {WWID2: ["sde", "sdf"]}
    # repair_mismatch off: nothing at all
    off = run({"san": s, "repair_mismatch": False})
    assert off["steps"] == [] and off["mismatches"] == []


def test_mismatch_path_of_a_map_still_mapped_is_refused_not_forced(run):
    s = san()
    s["verdicts"] = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID,
                      "evidence": {"array_mappings": [{"path": "/vol/v/l"}]}},
                     {"kind": "serial_mismatch", "object": "disk", "name": "sdc", "wwid": WWID,
                      "evidence": {"array_wwid": NEW}}]
    out = run({"san": s})
    assert out["steps"] == [] and out["refused"][0]["name"] == "sdc" and "live multipath map" in \
        out["refused"][0]["reason"]


def test_host_evidence_needs_two_looks_grace_apart(run):
    first = run({"san": san(), "policy": "host_evidence", "grace": 5})
    assert first["evidence_candidates"] == [OTHER] and OTHER not in first["flush_maps"]
    early = copy.deepcopy(san(at=990.0))
    second = run({"san": san(), "earlier": early, "policy": "host_evidence", "grace": 5})
    assert second["flush_maps"] == [WWID, OTHER]
    too_soon = run({"san": san(), "earlier": san(at=998.0), "policy": "host_evidence", "grace": 5})
    assert too_soon["flush_maps"] == [WWID]
    # array policy never removes another array's map
    assert run({"san": san(), "earlier": early})["flush_maps"] == [WWID]


@pytest.mark.parametrize("result", ["no_answer", "ready", "not_ready"])
def test_host_evidence_never_counts_no_answer(result, run):
    s = san()
    s["maps"][OTHER]["probe"]["sdh"] = {"result": result}
    early = copy.deepcopy(s)
    early["collected_at"] = 0.0
    out = run({"san": s, "earlier": early, "policy": "host_evidence", "grace": 5})
    assert OTHER not in out["flush_maps"] and out["evidence_candidates"] == []


def test_without_verdicts_nothing_is_selected(monkeypatch, run):
    # Once anything of the controller is imported (other test files do), ansible-core routes module
    # warnings to its display instead of the result, so record them at the source.
    said = []
    monkeypatch.setattr(stale_cleanup_plan.AnsibleModule, "warn", lambda self, msg: said.append(msg))
    s = san()
    del s["verdicts"]
    out = run({"san": s})
    assert out["steps"] == [] and out["flush_maps"] == []
    assert any("no verdicts" in msg for msg in said)


def test_not_a_snapshot_fails(run):
    out = run({"san": {"verdicts": []}})
    assert out["failed"] and "not a SAN snapshot" in out["msg"]


def test_holders_named_from_sysfs(tmp_path, run):
    base = tmp_path / "block" / "dm-9" / "dm"
    base.mkdir(parents=True)
    (base / "uuid").write_text("LVM-xyz\n")
    (base / "name").write_text("vg_data-lv0\n")
    s = san()
    s["maps"][WWID]["holders"] = ["dm-9"]
    got = stale_cleanup_plan.describe_holders(s, sys_root=str(tmp_path), timeout=5)
    assert got["dm-9"] == {"name": "dm-9", "uuid": "LVM-xyz", "dm_name": "vg_data-lv0"}
    assert got["dm-3"] == {"name": "dm-3"}  # a map of the disks: nothing readable in this tree


@pytest.mark.parametrize("mutate,needle", [
    (lambda s: s["maps"].update({"../../etc": dict(s["maps"][WWID], name="../../etc")}), "map name"),
    (lambda s: s["maps"][WWID].update(name="a/b"), "map name"),
    (lambda s: s["maps"][WWID].update(dm="dm-1; reboot"), "device-mapper name"),
    (lambda s: s["maps"][WWID]["paths"][0].update(name="../sda"), "SCSI disk name"),
    (lambda s: s["disks"].update({"sd$(id)": {}}), "SCSI disk name"),
    (lambda s: s["disks"][sorted(s["disks"])[0]].update(hctl="0:0:0:0; x"), "H:C:T:L"),
    (lambda s: s["verdicts"][0].update(name="../../x"), "map name"),
])
def test_hostile_names_are_refused_before_planning(mutate, needle, run):
    s = san()
    mutate(s)
    out = run({"san": s})
    assert out["failed"] and needle in out["msg"] and "nothing was planned" in out["msg"], out.get("msg")


@pytest.mark.parametrize("args,needle", [
    ({"command_timeout": -1}, "command_timeout must be a positive"),
    ({"command_timeout": "nan"}, "command_timeout must be a positive"),
    ({"grace": -1}, "grace must be"),
])
def test_bad_timeouts_are_refused_by_name(args, needle, run):
    out = run(dict(args, san=san()))
    assert out["failed"] and needle in out["msg"]


def test_a_failed_lookup_blocks_every_removal_and_says_why(run):
    s = san()
    s["array"]["problems"] = [{"cluster": "cl2", "svm": None, "kind": "lookup_failed", "msg": "HTTP 401"}]
    out = run({"san": s})
    assert out["steps"] == [] and out["flush_maps"] == []
    assert [b["why"] for b in out["blocked"]] == ["array_lookup_problem"]
    left = dict((x["name"], x["reason"]) for x in out["left_alone"])
    assert left[WWID].startswith("no removal on this host (array_lookup_problem)") and "cl2" in left[WWID]
