# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""san_plan: pure planning and every refusal path."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup as san_plan
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import disks as plan_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import maps as plan_maps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import usage as judge_usage
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate

WWID = "3600a09803830447a4f244c4657616f6f"
WWID2 = "3600a0980383044715a2b4c4d4e4f5051"


def a_map(**kw):
    m = {"name": WWID, "wwid": WWID, "dm": "dm-3", "dev": "253:3", "queueing": True, "open_count": 0,
         "holders": [], "mountpoints": [], "openers": [], "swap": False,
         "paths": [{"name": "sdc"}, {"name": "sdd"}]}
    m.update(kw)
    return m


def a_disk(name="sdc", hctl="4:0:0:1", dev="8:32", wwid=WWID, **kw):
    d = {"name": name, "hctl": hctl, "dev": dev, "wwid": wwid, "serial": "80Ab" + wwid[-8:], "transport": "iscsi",
         "holders": [], "mountpoints": [], "swap": False, "openers": [], "map": None, "state": "running"}
    d.update(kw)
    return d


# ---------------------------------------------------------------------------------------------- map flush
def test_map_flush_plan_order_and_format():
    plan = plan_maps.plan_map_flush(a_map())
    assert [s["action"] for s in plan] == ["disable_queueing", "flush_map", "wait_map_gone", "remove_wwid"]
    for s in plan:
        assert set(s) == {"action", "target", "expect", "reason"} and s["reason"]
    assert plan[0]["expect"] == {"name": WWID, "wwid": WWID, "dm": "dm-3", "dev": "253:3", "slaves": ["sdc", "sdd"]}
    assert plan[1]["expect"]["force_remove"] is False
    assert plan[3]["target"] == WWID


def test_map_flush_plan_is_pure_and_repeatable():
    m = a_map()
    before = copy.deepcopy(m)
    assert plan_maps.plan_map_flush(m) == plan_maps.plan_map_flush(m)
    assert m == before


def test_absent_map_plans_nothing():
    assert plan_maps.plan_map_flush(None) == []


def test_force_remove_and_keep_wwid_options():
    plan = plan_maps.plan_map_flush(a_map(), {"force_remove": True, "remove_wwid": False})
    assert plan[1]["expect"]["force_remove"] is True and "dmsetup remove --force" in plan[1]["reason"]
    assert [s["action"] for s in plan][-1] == "wait_map_gone"


def test_never_a_wildcard_flush():
    text = repr(plan_maps.plan_map_flush(a_map(), {"force_remove": True}))
    assert "-F" not in text and "del maps" not in text


@pytest.mark.parametrize("change,kind,named", [
    ({"mountpoints": ["/srv/db"]}, "mounted", "/srv/db"),
    ({"swap": True}, "swap", "swap"),
    ({"holders": [{"name": "dm-9", "uuid": "LVM-Xyz123", "dm_name": "vg0-lv0"}]}, "holder", "lvm holder dm-9"),
    ({"holders": [{"name": "dm-10", "uuid": "part1-mpath-" + WWID, "dm_name": WWID + "p1"}]}, "holder",
     "kpartx holder dm-10"),
    ({"holders": [{"name": "dm-11", "uuid": "CRYPT-LUKS2-abc-luks", "dm_name": "luks-abc"}]}, "holder",
     "luks holder dm-11"),
    ({"holders": [{"name": "md127", "uuid": None, "dm_name": None}]}, "holder", "md holder md127"),
    ({"holders": ["dm-12"]}, "holder", "device-mapper holder dm-12"),
    ({"openers": [{"pid": 4242, "comm": "postgres"}], "open_count": 1}, "opener", "pid 4242 (postgres)"),
    ({"open_count": 2}, "open_count", "open count 2"),
])
def test_map_in_use_is_refused_naming_the_holder(change, kind, named):
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(**change))
    assert info.value.kind == kind
    assert named in str(info.value)
    assert info.value.to_dict()["holder"]


@pytest.mark.parametrize("comm", ["multipathd", "blkid", "(udev-worker)", "systemd-udevd"])
def test_multipathd_and_stuck_udev_openers_are_not_a_workload(comm):
    plan = plan_maps.plan_map_flush(a_map(openers=[{"pid": 7, "comm": comm}], open_count=1))
    assert plan[0]["action"] == "disable_queueing"


def test_benign_opener_next_to_a_workload_still_refuses():
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(openers=[{"pid": 7, "comm": "blkid"}, {"pid": 8, "comm": "java"}],
                                       open_count=2))
    assert "java" in str(info.value) and "blkid" not in str(info.value)


LNS_PROBES = {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}}


def dead_map(**kw):
    paths = [{"name": "sdc", "dm_state": "failed"}, {"name": "sdd", "dm_state": "failed"}]
    kw.setdefault("probe", LNS_PROBES)
    return a_map(paths=paths, openers=[{"pid": 31, "comm": "dd"}], open_count=1, **kw)


@pytest.mark.parametrize("probe", [
    {},                                                                                     # not probed
    {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "no_answer"}},               # a cut portal
    {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "not_ready"}},
])
def test_openers_are_released_only_when_every_path_says_the_lu_is_gone(probe):
    # absence from the array data is not enough to fail a process's queued I/O: every path must answer LOGICAL
    # UNIT NOT SUPPORTED (the array's own word)
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(dead_map(probe=probe), {"array_unmapped": True})
    assert info.value.kind == "opener"


def test_dead_unmapped_map_with_a_blocked_opener_disables_queueing_then_verifies():
    plan = plan_maps.plan_map_flush(dead_map(), {"array_unmapped": True})
    assert [s["action"] for s in plan] == ["disable_queueing", "verify_unused", "flush_map", "wait_map_gone",
                                           "remove_wwid"]
    assert plan[0]["expect"]["release_openers"] is True
    assert plan[1]["expect"]["settle"] == plan_steps.RELEASE_SETTLE and "pid 31 (dd)" in plan[1]["reason"]


@pytest.mark.parametrize("change", [
    {},                                                                  # the array still maps it (not said)
    {"queueing": False},                                                 # not queueing: the opener is not blocked
    {"paths": [{"name": "sdc", "dm_state": "failed"}, {"name": "sdd", "dm_state": "active"}]},  # a live path
])
def test_opener_of_a_map_that_is_not_dead_and_unmapped_still_refuses(change):
    opts = {} if not change else {"array_unmapped": True}
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(dict(dead_map(), **change), opts)
    assert info.value.kind == "opener" and "pid 31 (dd)" in str(info.value)


@pytest.mark.parametrize("change,kind,named", [
    ({"mountpoints": ["/data"]}, "mounted", "/data"),
    ({"holders": [{"name": "dm-7", "uuid": "LVM-xyz", "dm_name": "vgsan-lv0"}]}, "holder", "vgsan-lv0"),
    ({"holders": [{"name": "dm-8", "uuid": "part1-mpath-x", "dm_name": "x1"}]}, "holder", "kpartx"),
    ({"swap": True}, "swap", "swap"),
    ({"openers": [], "open_count": 2}, "open_count", "open count 2"),
])
def test_dead_unmapped_map_still_refuses_mounts_and_holders_up_front(change, kind, named):
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(dict(dead_map(), **change), {"array_unmapped": True})
    assert info.value.kind == kind and named in str(info.value)


def test_cleanup_releases_only_stale_unmapped_dead_maps():
    snap = snapshot()
    snap["maps"][WWID].update(paths=[{"name": "sdc", "dm_state": "failed"}, {"name": "sdd", "dm_state": "failed"}],
                              openers=[{"pid": 31, "comm": "dd"}], open_count=1)
    out = san_plan.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}])
    assert [s["action"] for s in out["steps"]][:3] == ["disable_queueing", "verify_unused", "flush_map"]
    mism = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID, "evidence": {}}]
    out = san_plan.plan_cleanup(snap, mism)
    assert out["steps"] == [] and "pid 31 (dd)" in out["skipped"][0]["reason"]


# ---------------------------------------------------------------------------------------------- killed closers
CLOSER = {"pid": 402, "comm": "(udev-worker)", "frames": ["blkdev_close", "blkdev_put", "blkdev_flush_mapping"]}
STALE = {"kind": "stale_unmapped", "object": "map"}


def closing_snapshot(closers, open_count=1, **change):
    """A dead unmapped map (every path failed and LOGICAL UNIT NOT SUPPORTED) held open by nobody the /proc scan
    sees, on a host with `closers` (exiting tasks inside a block device's last close)."""
    snap = snapshot()
    snap["host"] = {"exiting_tasks": closers}
    snap["maps"][WWID].update(dict({"paths": [{"name": "sdc", "dm_state": "failed"},
                                              {"name": "sdd", "dm_state": "failed"}],
                                    "openers": [], "open_count": open_count}, **change))
    return snap


def counted(snap, **other_dm):
    """The snapshot with host.dm_unaccounted as san_snapshot.assemble counts it from its maps (kernel names as the
    keys), plus `other_dm` ({dm-N: unaccounted opens}: devices that are not multipath maps)."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as san_users
    host = snap.setdefault("host", {})
    host.setdefault("uncounted_block_devices", [])  # no nvme, nbd, md, loop, ... whose I/O can wait
    host["dm_unaccounted"] = dict(
        (m["dm"], {"name": m["name"], "open_count": m.get("open_count"),
                   "unaccounted": None if m.get("openers_unknown") else san_users.unaccounted_opens(
                       m.get("open_count"), m.get("openers"), [h["name"] if isinstance(h, dict) else h
                                                               for h in m.get("holders") or []],
                       bool(m.get("mountpoints")), m.get("swap"))})
        for m in snap["maps"].values())
    for kname, n in other_dm.items():
        host["dm_unaccounted"][kname] = {"name": kname, "open_count": n, "unaccounted": n}
    return snap


def plan(snap, verdicts, **other_dm):
    return san_plan.plan_cleanup(counted(snap, **other_dm), verdicts)


def test_a_dead_map_held_by_a_killed_closer_is_released_and_must_reach_open_count_0():
    out = plan(closing_snapshot([CLOSER]), [dict(STALE, name=WWID, wwid=WWID)])
    steps = [s for s in out["steps"] if s["target"] == WWID]
    assert [s["action"] for s in steps][:3] == ["disable_queueing", "verify_unused", "flush_map"]
    assert steps[0]["expect"]["release_openers"] is True and steps[0]["expect"]["exiting_opens"] == 1
    assert steps[1]["expect"]["exiting_opens"] == 1
    assert "1 killed task(s) still closing it" in steps[1]["reason"] and "open count to reach 0" in steps[1]["reason"]


@pytest.mark.parametrize("closers,open_count,change", [
    ([], 1, {}),                                                       # no killed task: a user nobody named
    ([dict(CLOSER, frames=[])], 1, {}),                                 # exiting, but not in a block device close
    ([dict(CLOSER, frames=None)], 1, {}),                               # /proc/PID/stack unreadable: no proof
    ([CLOSER], 2, {}),                                                  # 2 unexplained opens, 1 closer
    ([CLOSER], 1, {"probe": {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "no_answer"}}}),
    ([CLOSER], 1, {"queueing": False}),                                 # not queueing: nothing to wait for
])
def test_an_unexplained_open_without_a_killed_closer_to_match_it_still_refuses(closers, open_count, change):
    out = plan(closing_snapshot(closers, open_count, **change), [dict(STALE, name=WWID, wwid=WWID)])
    assert [s for s in out["steps"] if s["target"] == WWID] == []
    assert "open count %d" % open_count in out["skipped"][0]["reason"]


def test_killed_closers_are_pooled_over_every_dead_map():
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
    assert set(s["target"] for s in out["steps"] if s["action"] == "verify_unused") == {WWID, WWID2}


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
    """Issue 27 item 1: the closers were compared with the opens of the chosen maps only. B's killed worker
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
    assert [s["action"] for s in out["steps"] if s["target"] == WWID][:2] == ["disable_queueing", "verify_unused"]


@pytest.mark.parametrize("other_dm,b_change,why", [
    ({"dm-9": 1}, {"open_count": 0}, "dm-9 1"),                         # an LV's open nobody sees (or its closer)
    ({"dm-9": None}, {"open_count": 0}, "cannot be counted"),            # an LV without an open count
    ({}, {"open_count": 0, "openers_unknown": "pid 9"}, "cannot be counted"),
    ({}, {"open_count": None}, "cannot be counted"),                     # B's open count unknown
])
def test_killed_closers_release_nothing_unless_every_open_on_the_host_is_counted(other_dm, b_change, why):
    snap = counted(outage_snapshot([CLOSER], **b_change))
    for kname, n in other_dm.items():
        snap["host"]["dm_unaccounted"][kname] = {"name": "vg0-lv0", "open_count": n, "unaccounted": n}
    out = san_plan.plan_cleanup(snap, OUTAGE)
    assert [s for s in out["steps"] if s["target"] == WWID] == []
    assert why in [x for x in out["skipped"] if x["name"] == WWID][0]["reason"]


def test_killed_closers_release_nothing_without_the_host_wide_count_or_while_a_disk_is_blocked():
    snap = closing_snapshot([CLOSER])
    out = san_plan.plan_cleanup(snap, [dict(STALE, name=WWID, wwid=WWID)])    # no host.dm_unaccounted
    assert out["steps"] == [] and "does not count the opens" in out["skipped"][0]["reason"]
    snap = counted(closing_snapshot([CLOSER]))
    snap["disks"]["sdf"]["state"] = "blocked"     # a closer may be stuck on it, with no open count to show it
    out = san_plan.plan_cleanup(snap, [dict(STALE, name=WWID, wwid=WWID)])
    assert out["steps"] == [] and "sdf" in out["skipped"][0]["reason"] and "blocked" in out["skipped"][0]["reason"]


def test_a_map_refused_for_something_else_does_not_use_up_a_killed_closer():
    snap = closing_snapshot([CLOSER])
    snap["maps"][WWID2].update(paths=[{"name": "sde", "dm_state": "failed"}], openers=[], open_count=1,
                               probe={"sde": {"result": "lun_not_supported"}}, mountpoints=["/old"])
    out = plan(snap, [dict(STALE, name=WWID, wwid=WWID), dict(STALE, name=WWID2, wwid=WWID2)])
    assert [s["expect"].get("exiting_opens") for s in out["steps"] if s["action"] == "disable_queueing"] == [1]
    assert [(x["name"], "/old" in x["reason"]) for x in out["skipped"] if x["kind"] == "refused"] == [(WWID2, True)]


@pytest.mark.parametrize("change,kind", [
    ({"mountpoints": ["/data"]}, "mounted"),
    ({"holders": [{"name": "dm-7", "uuid": "LVM-xyz", "dm_name": "vgsan-lv0"}]}, "holder"),
    ({"kernel_users": [{"kind": "btrfs", "name": "f00d", "detail": "member dm-3"}]}, "kernel_user"),
    ({"openers_unknown": "/proc/PID/fd unreadable for pid 9"}, "openers_unknown"),
])
def test_a_killed_closer_never_lifts_another_refusal(change, kind):
    out = plan(closing_snapshot([CLOSER], **change), [dict(STALE, name=WWID, wwid=WWID)])
    assert [s for s in out["steps"] if s["target"] == WWID] == []
    assert out["skipped"][0]["reason"].startswith("map %s" % WWID)
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(closing_snapshot([CLOSER], **change)["maps"][WWID],
                                 {"array_unmapped": True, "exiting_opens": 1})
    assert info.value.kind == kind


def test_a_killed_closer_is_not_let_through_for_a_map_the_array_may_still_map():
    out = plan(closing_snapshot([CLOSER]), [{"kind": "serial_mismatch", "object": "map",
                                             "name": WWID, "wwid": WWID, "evidence": {}}])
    assert out["steps"] == [] and "open count 1" in out["skipped"][0]["reason"]


@pytest.mark.parametrize("uuid,name,kind", [
    ("LVM-abc", "dm-1", "lvm"), ("part2-mpath-x", "dm-2", "kpartx"), ("CRYPT-LUKS1-x", "dm-3", "luks"),
    ("CRYPT-PLAIN-x", "dm-4", "dm-crypt"), ("mpath-36", "dm-5", "multipath"), (None, "md0", "md"),
    (None, "dm-6", "device-mapper"), (None, "nbd0", "other"),
])
def test_classify_holder(uuid, name, kind):
    assert judge_usage.classify_holder({"name": name, "uuid": uuid}) == kind


# ---------------------------------------------------------------------------------------------- disk delete
def test_disk_delete_plan_per_disk():
    plan = plan_disks.plan_disk_delete([a_disk(), a_disk("sdd", "5:0:0:1", "8:48")])
    assert [(s["action"], s["target"]) for s in plan] == [
        ("delete_disk", "sdc"), ("wait_disk_gone", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdd")]
    assert plan[0]["expect"] == {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID,
                                 "serial": "80Ab" + WWID[-8:]}


def test_flush_buffers_planned_only_for_an_answering_same_lu():
    ready = a_disk(probe={"result": "ready", "serial_live": "80Ab" + WWID[-8:]})
    gone = a_disk("sdd", "5:0:0:1", "8:48", probe={"result": "lun_not_supported", "serial_live": None})
    reused = a_disk("sde", "6:0:0:1", "8:64", probe={"result": "ready", "serial_live": "other-lu"})
    silent = a_disk("sdf", "7:0:0:1", "8:80", probe={"result": "no_answer", "serial_live": None})
    plan = plan_disks.plan_disk_delete([ready, gone, reused, silent])
    assert [s["target"] for s in plan if s["action"] == "flush_buffers"] == ["sdc"]
    off = plan_disks.plan_disk_delete([ready], options={"flush_buffers": False})
    assert "flush_buffers" not in [s["action"] for s in off]


@pytest.mark.parametrize("change,kind,named", [
    ({"mountpoints": ["/mnt/x"]}, "mounted", "/mnt/x"),
    ({"swap": True}, "swap", "swap"),
    ({"holders": [{"name": "dm-9", "uuid": "LVM-abc", "dm_name": "vg-lv"}]}, "holder", "lvm holder"),
    ({"holders": [{"name": "md1", "uuid": None}]}, "holder", "md holder md1"),
    ({"holders": [{"name": "dm-8", "uuid": "CRYPT-LUKS2-q", "dm_name": "luks-q"}]}, "holder", "luks holder"),
    ({"holders": [{"name": "dm-7", "uuid": "part1-sdc", "dm_name": "sdc1"}]}, "holder", "kpartx holder"),
    ({"openers": [{"pid": 12, "comm": "mkfs.xfs"}]}, "opener", "pid 12 (mkfs.xfs)"),
    ({"transport": "other"}, "transport", "not iSCSI/FC"),
    ({"transport": None}, "transport", "not iSCSI/FC"),
])
def test_disk_refusals(change, kind, named):
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk(**change)])
    assert info.value.kind == kind and named in str(info.value)


def test_disk_of_a_live_map_is_refused():
    live = {WWID: a_map(), "dm-3": a_map()}
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk(map=WWID, holders=["dm-3"])], options={"live_maps": live})
    assert info.value.kind == "live_map" and "flush the map first" in str(info.value)
    with pytest.raises(Refused):  # found through the holder even without the map field
        plan_disks.plan_disk_delete([a_disk(holders=["dm-3"])], options={"live_maps": live})


def test_non_san_allowed_only_when_asked():
    plan = plan_disks.plan_disk_delete([a_disk(transport="other")], options={"allow_non_san": True})
    assert plan[0]["action"] == "delete_disk"


@pytest.mark.parametrize("expected,key", [
    ({"hctl": "4:0:0:9"}, "hctl"), ({"dev": "8:33"}, "dev"), ({"wwid": WWID2}, "wwid"), ({"serial": "x"}, "serial"),
])
def test_identity_other_than_expected_is_refused(expected, key):
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk()], {"sdc": expected})
    assert info.value.kind == "identity" and key in info.value.evidence["diff"]


def test_wwid_comparison_ignores_case():
    # the caller's WWID enters as a Wwid (validate.wwid, as scsi_delete builds it): its case is gone there
    assert plan_disks.plan_disk_delete([a_disk()], {"sdc": {"wwid": san_validate.wwid(WWID.upper())}})


# ---------------------------------------------------------------------------------------------- rescan
HOST4 = {"host": 4, "transport": "iscsi", "targets": ["4:0:0"]}


def test_exact_scan_plan():
    plan = plan_disks.plan_rescan(hctl="4:0:0:3", host_info=HOST4, existing=None, expect={"wwid": WWID2})
    assert [s["action"] for s in plan] == ["scan_exact_lun", "wait_disk_present", "verify_identity"]
    assert plan[0]["expect"]["channel"] == 0 and plan[0]["expect"]["lun"] == 3
    assert "'0 0 3'" in plan[0]["reason"] and "- - -" not in repr([s["expect"] for s in plan])


def test_scan_refuses_non_san_and_missing_targets():
    with pytest.raises(Refused) as info:
        plan_disks.plan_rescan(hctl="0:0:0:3", host_info={"host": 0, "transport": "other", "targets": ["0:0:0"]})
    assert info.value.kind == "not_san_host"
    with pytest.raises(Refused) as info:
        plan_disks.plan_rescan(hctl="9:0:0:3", host_info=None)
    assert info.value.kind == "not_san_host"
    with pytest.raises(Refused) as info:
        plan_disks.plan_rescan(hctl="4:0:1:3", host_info=HOST4)
    assert info.value.kind == "no_target"


def test_scan_of_a_present_lun_only_verifies():
    assert plan_disks.plan_rescan(hctl="4:0:0:1", host_info=HOST4, existing=a_disk()) == []
    plan = plan_disks.plan_rescan(hctl="4:0:0:1", host_info=HOST4, existing=a_disk(), expect={"wwid": WWID})
    assert [s["action"] for s in plan] == ["verify_identity"]


HOST7_FC = {"host": 7, "transport": "fc", "targets": ["7:0:0", "7:0:2"],
            "target_ports": {"7:0:0": ["0x200100a098aa0001"], "7:0:2": ["0x200200a098aa0002"]}}


def test_fc_exact_scan_step_names_the_port_expected_at_its_target():
    """The FC scan step carries the port_name of the rport at its H:C:T (the act refuses another port there); an
    iSCSI step carries none."""
    plan = plan_disks.plan_rescan(hctl="7:0:2:4", host_info=HOST7_FC, existing=None)
    assert plan[0]["expect"] == {"host": 7, "channel": 0, "target": 2, "lun": 4, "transport": "fc", "absent": True,
                                 "target_wwpn": "0x200200a098aa0002"}
    assert "target_wwpn" not in plan_disks.plan_rescan(hctl="4:0:0:3", host_info=HOST4, existing=None)[0]["expect"]


@pytest.mark.parametrize("ports", [{}, {"7:0:2": []}, {"7:0:2": [None]},
                                   {"7:0:2": ["0x200200a098aa0002", "0x200900a098aa0009"]}])
def test_fc_exact_scan_of_a_target_whose_port_is_unknown_or_ambiguous_is_refused(ports):
    """Which array port an FC scan reaches must be known to plan it: a target whose rport port_name was not read,
    or two ports claiming one target id, refuses (nothing to check the act against)."""
    with pytest.raises(Refused) as info:
        plan_disks.plan_rescan(hctl="7:0:2:4", host_info=dict(HOST7_FC, target_ports=ports), existing=None)
    assert info.value.kind == "target_port"


def test_rescan_existing_disk_plan_and_refusal():
    plan = plan_disks.plan_rescan(disk=a_disk(), expect={"serial": "81LgM$V4waSp"})
    assert [s["action"] for s in plan] == ["rescan_disk", "verify_identity"]
    assert plan[0]["expect"] == {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32"}
    with pytest.raises(Refused):
        plan_disks.plan_rescan(disk=a_disk(transport="other"))


# ---------------------------------------------------------------------------------------------- host cleanup
def snapshot(at=1000.0, probes=None):
    m = a_map(paths=[{"name": "sdc"}, {"name": "sdd"}],
              probe=probes or {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}})
    healthy = a_map(name=WWID2, wwid=WWID2, dm="dm-4", dev="253:4", paths=[{"name": "sde"}])
    return {"collected_at": at,
            "array": {"records": 1, "targets": [], "problems": [], "collected_at": at - 10},
            "maps": {WWID: m, WWID2: healthy},
            "disks": {"sdc": a_disk(map=WWID, holders=["dm-3"]),
                      "sdd": a_disk("sdd", "5:0:0:1", "8:48", map=WWID, holders=["dm-3"]),
                      "sde": a_disk("sde", "4:0:0:2", "8:64", wwid=WWID2, map=WWID2, holders=["dm-4"]),
                      "sdf": a_disk("sdf", "4:0:0:5", "8:80", wwid="3600a0980aaaa")}}


def test_cleanup_flushes_then_deletes_paths_and_never_touches_others():
    verdicts = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID},
                {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2},
                {"kind": "paths_down_but_mapped", "object": "map", "name": "x", "wwid": "36"}]
    out = san_plan.plan_cleanup(snapshot(), verdicts, {"policy": "array"})
    acts = [(s["action"], s["target"]) for s in out["steps"]]
    # the map and its paths are one unit: the map is gone before its paths are deleted, they are gone before
    # multipath -w; steps of one kind side by side (one read of the host for them at act time)
    assert acts == [("disable_queueing", WWID), ("flush_map", WWID), ("wait_map_gone", WWID),
                    ("delete_disk", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdc"),
                    ("wait_disk_gone", "sdd"), ("remove_wwid", WWID)]
    assert {s["unit"] for s in out["steps"]} == {"map %s" % WWID}
    assert all(s["expect"]["after_flush"] == WWID for s in out["steps"] if s["action"] == "delete_disk")
    assert {s["phase"] for s in out["steps"]} == {"flush"}
    assert all(t not in ("sde", WWID2) for action, t in acts)
    assert {s["kind"] for s in out["skipped"]} == {"healthy", "paths_down_but_mapped"}


def test_units_chosen_because_every_path_failed_are_rechecked_at_act_time_the_repairs_are_not():
    """Issue 27 §6: the act probes a dead unit again before touching it (expect.dead); a serial-mismatch repair
    works on paths that answer (another LU), so its steps carry no such mark."""
    out = san_plan.plan_cleanup(snapshot(), [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}])
    marked = [(s["action"], s["target"]) for s in out["steps"] if s["expect"].get("dead")]
    assert marked == [("disable_queueing", WWID), ("flush_map", WWID), ("delete_disk", "sdc"), ("delete_disk", "sdd")]
    snap = snapshot()
    for n in ("sdc", "sdd"):
        snap["disks"][n]["probe"] = {"result": "ready", "serial_live": "new"}
    verdicts = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID, "evidence": {}}] + [
        {"kind": "serial_mismatch", "object": "disk", "name": n, "wwid": WWID, "evidence": {"array_wwid": WWID2}}
        for n in ("sdc", "sdd")]
    out = san_plan.plan_cleanup(snap, verdicts)
    assert out["steps"] and not [s for s in out["steps"] if s["expect"].get("dead")]


def test_cleanup_repairs_a_serial_mismatch():
    verdicts = [{"kind": "serial_mismatch", "object": "disk", "name": "sdf", "wwid": "3600a0980aaaa",
                 "evidence": {"array_wwid": WWID2, "probe": {"result": "ready", "serial_live": "new"}}}]
    out = san_plan.plan_cleanup(snapshot(), verdicts)
    assert [s["action"] for s in out["steps"]] == ["delete_disk", "wait_disk_gone", "scan_exact_lun",
                                                   "wait_disk_present", "verify_identity"]
    assert out["steps"][-1]["expect"]["wwid"] == WWID2
    assert {s["phase"] for s in out["steps"]} == {"rescan"}
    assert "after_flush" not in out["steps"][0]["expect"]
    # the act probes it again and deletes it only while it still answers as that other LU
    assert out["steps"][0]["expect"]["other_lu"] == {"sdf": "new"}


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
        out = san_plan.plan_cleanup(snap, verdicts)
        assert not [st for st in out["steps"] if st["target"] in (WWID, "sdd")], out["steps"]
        why = dict((x["name"], x["reason"]) for x in out["skipped"])[WWID]
        assert "sdd" in why and "not proven to reach another LU" in why


def test_a_reused_map_is_planned_with_the_proof_the_act_checks_again():
    """With its other path failed by the array's word the map unit is planned, and every touching step carries
    the live serial each mismatching path answered with (expect.other_lu): the act probes again before it acts."""
    snap, verdicts = reused_map_snapshot("failed", {"result": "lun_not_supported"})
    out = san_plan.plan_cleanup(snap, verdicts)
    touching = [st for st in out["steps"] if st["action"] in ("disable_queueing", "flush_map", "delete_disk")]
    assert [st["target"] for st in touching] == [WWID, WWID, "sdc", "sdd"]
    assert all(st["expect"]["other_lu"] == {"sdc": "new"} and "dead" not in st["expect"] for st in touching)
    # a mismatching path without the live serial that proves it: not planned
    del snap["maps"][WWID]["probe"]["sdc"]["serial_live"]
    del verdicts[1]["evidence"]["probe"]
    out = san_plan.plan_cleanup(snap, verdicts)
    assert out["steps"] == [] and "no live VPD 0x80 serial" in dict((x["name"], x["reason"]) for x in out["skipped"])[WWID]


def test_fc_serial_mismatch_repair_scans_through_the_port_the_path_went_through():
    """The repair's exact scan of an FC path names the remote port of the path it replaces (its target_wwpn,
    read from the rport the sd sat below): the act refuses when another port answers at that target."""
    snap = snapshot()
    snap["disks"]["sdf"].update(transport="fc", hctl="7:0:2:5", target_wwpn="0x200200a098aa0002",
                                probe={"result": "ready", "serial_live": "new"})  # the proof a repair needs
    verdicts = [{"kind": "serial_mismatch", "object": "disk", "name": "sdf", "wwid": "3600a0980aaaa",
                 "evidence": {"array_wwid": WWID2}}]
    scan = [s for s in san_plan.plan_cleanup(snap, verdicts)["steps"] if s["action"] == "scan_exact_lun"]
    assert [(s["target"], s["expect"]) for s in scan] == [("7:0:2:5", {
        "host": 7, "channel": 0, "target": 2, "lun": 5, "transport": "fc", "absent": True,
        "target_wwpn": "0x200200a098aa0002"})]


def test_reused_lun_map_unit_deletes_every_old_path_before_any_scan():
    """LUN id reuse: the old map, then both old-identity paths (no buffer flush into the new LU), multipath -w,
    and only then the exact scans, each verified against the array's identity."""
    snap = snapshot()
    for n in ("sdc", "sdd"):
        snap["disks"][n]["probe"] = {"result": "ready", "serial_live": "new"}
    verdicts = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID, "evidence": {}}] + [
        {"kind": "serial_mismatch", "object": "disk", "name": n, "wwid": WWID, "evidence": {"array_wwid": WWID2}}
        for n in ("sdc", "sdd")]
    out = san_plan.plan_cleanup(snap, verdicts)
    acts = [(s["action"], s["target"], s["phase"]) for s in out["steps"]]
    assert acts == [("disable_queueing", WWID, "flush"), ("flush_map", WWID, "flush"),
                    ("wait_map_gone", WWID, "flush"), ("delete_disk", "sdc", "flush"),
                    ("delete_disk", "sdd", "flush"), ("wait_disk_gone", "sdc", "flush"),
                    ("wait_disk_gone", "sdd", "flush"), ("remove_wwid", WWID, "flush"),
                    ("scan_exact_lun", "4:0:0:1", "rescan"), ("scan_exact_lun", "5:0:0:1", "rescan"),
                    ("wait_disk_present", "4:0:0:1", "rescan"), ("wait_disk_present", "5:0:0:1", "rescan"),
                    ("verify_identity", "4:0:0:1", "rescan"), ("verify_identity", "5:0:0:1", "rescan")]
    assert {s["expect"]["wwid"] for s in out["steps"] if s["action"] == "verify_identity"} == {WWID2}


def test_cleanup_skips_in_use_maps_with_the_reason():
    snap = snapshot()
    snap["maps"][WWID]["mountpoints"] = ["/data"]
    out = san_plan.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}])
    assert out["steps"] == [] and "mounted" in out["skipped"][0]["reason"]


def test_unknown_array_needs_host_evidence_policy_and_grace():
    v = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    assert san_plan.plan_cleanup(snapshot(), v, {"policy": "array"})["steps"] == []
    # host evidence, but not yet for the grace time
    early = snapshot(at=900.0)
    assert san_plan.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "grace": 300,
                                                 "earlier": early})["steps"] == []
    # for the grace time on every path
    early = snapshot(at=600.0)
    out = san_plan.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "grace": 300, "earlier": early})
    assert out["steps"][0]["action"] == "disable_queueing"


@pytest.mark.parametrize("result", ["no_answer", "not_ready", "error", "ready"])
def test_host_evidence_never_on_no_answer(result):
    v = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    probes = {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": result}}
    out = san_plan.plan_cleanup(snapshot(probes=probes), v, {"policy": "host_evidence", "grace": 300,
                                                             "earlier": snapshot(at=0.0, probes=probes)})
    assert out["steps"] == []


# ---------------------------------------------------------------------------------------------- incomplete truth
STALE_MAP = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID,
              "evidence": {"coverage": [{"cluster": "c1", "svm": "svm1"}]}},
             {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2,
              "evidence": {"coverage": [{"cluster": "c1", "svm": "svm1"}]}}]


def test_complete_fresh_truth_plans_the_removal():
    out = san_plan.plan_cleanup(snapshot(), STALE_MAP)
    assert out["blocked"] == [] and out["steps"][0]["action"] == "disable_queueing"


@pytest.mark.parametrize("change,why", [
    ({"problems": [{"cluster": "c2", "svm": None, "kind": "lookup_failed", "msg": "HTTP 401"}]}, "array_lookup_problem"),
    ({"problems": [{"cluster": "c1", "svm": "svm1", "kind": "svm_scoped_login", "msg": "403"}]},
     "array_lookup_problem"),
    ({"problems": [{"cluster": "c1", "svm": "svm1", "kind": "dropped_mapping", "msg": "igroup gone"}]},
     "array_lookup_problem"),
    ({"records": 0}, "empty_truth"),
    ({"collected_at": None}, "truth_age_unknown"),
    ({"collected_at": 1000.0 - 901}, "truth_too_old"),
    # stamped by a clock minutes ahead, or in epoch milliseconds: never "fresh" (review-2)
    ({"collected_at": 1000.0 + 301}, "truth_age_unknown"),
    ({"collected_at": 1000.0 * 1000}, "truth_age_unknown"),
    (None, "array_truth_unknown"),
])
def test_incomplete_or_old_truth_plans_no_removal_and_says_why(change, why):
    snap = snapshot()
    if change is None:
        del snap["array"]
    else:
        snap["array"].update(change)
    out = san_plan.plan_cleanup(snap, STALE_MAP)
    assert out["steps"] == []
    assert [b["why"] for b in out["blocked"]] == [why]
    left = dict((s["name"], s["reason"]) for s in out["skipped"])
    assert left[WWID].startswith("no removal on this host (%s)" % why)
    assert left[WWID2] == "healthy is never touched by cleanup"


def test_a_covered_map_the_array_does_not_map_but_that_works_blocks_removals():
    odd = dict(STALE_MAP[1], kind="unexpected_visibility")
    out = san_plan.plan_cleanup(snapshot(), [STALE_MAP[0], odd])
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["unexpected_visibility"]
    assert WWID2 in out["blocked"][0]["msg"]
    # not covered (another cluster's LUN): reported, never planned, and no reason to distrust the rest
    out = san_plan.plan_cleanup(snapshot(), [STALE_MAP[0], dict(odd, kind="not_covered", evidence={})])
    assert out["blocked"] == [] and out["steps"]
    assert ("not_covered", WWID2) in [(s["kind"], s["name"]) for s in out["skipped"]]


def test_truth_max_age_is_the_callers_bound():
    snap = snapshot()
    snap["array"]["collected_at"] = 1000.0 - 100
    assert san_plan.plan_cleanup(snap, STALE_MAP, {"truth_max_age": 60})["blocked"][0]["why"] == "truth_too_old"
    assert san_plan.plan_cleanup(snap, STALE_MAP, {"truth_max_age": 120})["blocked"] == []


@pytest.mark.parametrize("collected", [float("nan"), float("inf"), float("-inf"), -5.0, True, "999.0", [990.0]])
def test_a_truth_time_that_is_no_finite_number_is_an_unknown_age(collected):
    """A NaN collected_at (`.nan` in YAML, NaN in JSON) makes every comparison false: neither 'dated ahead' nor
    'too old' bites and the removal is planned. Infinity, a negative time, a bool (True is an int) or text are no
    time either: the truth's age is unknown and nothing is removed."""
    snap = snapshot()
    snap["array"]["collected_at"] = collected
    out = san_plan.plan_cleanup(snap, STALE_MAP)
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["truth_age_unknown"], out["blocked"]
    assert "not a finite number" in out["blocked"][0]["msg"]


@pytest.mark.parametrize("now", [float("nan"), float("inf"), None, "1000"])
def test_a_host_snapshot_time_that_is_no_finite_number_is_an_unknown_age(now):
    """The other side of the age: the snapshot's own collected_at. NaN there passes both comparisons too."""
    snap = snapshot()
    snap["collected_at"] = now
    out = san_plan.plan_cleanup(snap, STALE_MAP)
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["truth_age_unknown"], out["blocked"]


@pytest.mark.parametrize("bound", [float("nan"), float("inf"), 0, -1, True, "900"])
def test_a_truth_max_age_that_is_no_finite_positive_number_bounds_nothing(bound):
    """`now - collected > NaN` (or > infinity) is never true: a truth of any age would pass the gate."""
    snap = snapshot()
    snap["array"]["collected_at"] = 1000.0 - 10 ** 6
    out = san_plan.plan_cleanup(snap, STALE_MAP, {"truth_max_age": bound})
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["truth_age_unknown"], out["blocked"]


@pytest.mark.parametrize("earlier_at", [float("nan"), float("-inf"), None])
def test_host_evidence_needs_two_finite_times_grace_apart(earlier_at):
    """`now - NaN < grace` is false: a first look dated NaN would count as taken long enough ago."""
    v = [{"kind": "unknown_array", "object": "map", "name": WWID, "wwid": WWID}]
    early = snapshot(at=0.0)
    early["collected_at"] = earlier_at
    out = san_plan.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "grace": 300, "earlier": early})
    assert out["steps"] == []
    assert san_plan.plan_cleanup(snapshot(), v, {"policy": "host_evidence", "grace": float("nan"),
                                                 "earlier": snapshot(at=0.0)})["steps"] == []


# ---------------------------------------------------------------------------------------------- in use means in use
def test_open_count_is_a_gate_of_its_own_next_to_a_harmless_opener():
    # a udev blkid is visible, but it explains one open of two: someone else holds the map
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(openers=[{"pid": 7, "comm": "blkid"}], open_count=2))
    assert info.value.kind == "open_count" and info.value.evidence["unexplained"] == 1
    assert "pid 7 (blkid)" in str(info.value)


def test_an_unknown_open_count_of_a_map_refuses_and_a_disk_has_none_to_know():
    # dmsetup info failed or had no line for the map: the gate that sees other mount namespaces must not read 0
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(open_count=None))
    assert info.value.kind == "open_count" and "unknown open count" in str(info.value)
    judge_usage.check_not_in_use(a_disk(), "disk sdc")  # an sd has no open count of its own: not a refusal


def test_open_count_counts_the_fds_of_each_harmless_opener():
    plan = plan_maps.plan_map_flush(a_map(openers=[{"pid": 7, "comm": "blkid", "fds": 2}], open_count=2))
    assert plan[0]["action"] == "disable_queueing"


def test_open_count_beyond_the_blocked_openers_of_a_dead_map_refuses():
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(dict(dead_map(), open_count=2), {"array_unmapped": True})
    assert info.value.kind == "open_count"


def test_dead_map_whose_opens_are_all_its_blocked_openers_is_planned():
    plan = plan_maps.plan_map_flush(dict(dead_map(), open_count=1), {"array_unmapped": True})
    assert plan[1]["action"] == "verify_unused"


@pytest.mark.parametrize("obj", ["map", "disk"])
def test_openers_unknown_refuse(obj):
    why = "the /proc/*/fd scan did not finish"
    with pytest.raises(Refused) as info:
        if obj == "map":
            plan_maps.plan_map_flush(a_map(openers_unknown=why))
        else:
            plan_disks.plan_disk_delete([a_disk(openers_unknown=why)])
    assert info.value.kind == "openers_unknown" and why in str(info.value)


@pytest.mark.parametrize("user,named", [
    ({"kind": "btrfs", "name": "3c1e-uuid", "detail": "member sdc"}, "btrfs filesystem 3c1e-uuid"),
    ({"kind": "lio", "name": "iblock_0/lun1", "detail": "udev_path /dev/sdc"}, "LIO backstore iblock_0/lun1"),
    ({"kind": "loop", "name": "loop3", "detail": "backing file /mnt/x/img"}, "loop device loop3"),
    ({"kind": "mount", "name": "/srv/zfs", "detail": "zfs"}, "filesystem /srv/zfs"),
])
def test_kernel_users_without_holders_links_refuse_by_name(user, named):
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk(kernel_users=[user])])
    assert info.value.kind == "kernel_user" and named in str(info.value)


@pytest.mark.parametrize("dm_name,vg_lv", [
    ("vg0-lv0", ("vg0", "lv0")),
    ("my--vg-data--01", ("my-vg", "data-01")),
    ("vg-pool_tdata", ("vg", "pool_tdata")),
    ("nodash", None),
])
def test_lvm_dm_names_decode_to_vg_and_lv(dm_name, vg_lv):
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as san_users
    assert san_users.decode_lvm_name(dm_name) == vg_lv


def test_refusal_names_vg_and_lv():
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(holders=[{"name": "dm-9", "uuid": "LVM-x", "dm_name": "san--vg-db--lv"}]))
    assert "VG san-vg, LV db-lv" in str(info.value)


def test_judge_and_plan_share_one_harmless_opener_list():
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as san_users
    assert set(judge_findings.DAEMON_OPENERS) | set(judge_findings.TRANSIENT_OPENERS) == set(plan_steps.HARMLESS_OPENERS)
    assert {"udevadm", "udevd"} <= san_users.HARMLESS_OPENERS


# ------------------------------------------------------------------ a map whose name no step may carry (one unit)
def odd_alias_host(tmp_path, alias="db(prod)@x"):
    """The lab host (LUNs 1 and 2 on two sessions) with a third map, LUN 3, aliased with characters the kernel and
    multipath accept and validate.MAP_NAME does not; every path works."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
        healthy_lab, ontap_serial, ontap_wwid)
    t = healthy_lab(tmp_path)
    for name, hctl, dev, sess in (("sdf", "2:0:0:3", "8:80", 1), ("sdg", "3:0:0:3", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(3)[1:],
               serial="0" + ontap_serial(3).encode().hex())
    t.dm("dm-2", "253:2", alias, "mpath-" + ontap_wwid(3), slaves=("sdf", "sdg"))
    return t.commands()


def judged_and_decided(t, luns):
    import time
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts as san_facts
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup_run
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_judge import TARGETS
    host = t.reader()
    truth = {"luns": luns, "targets": TARGETS, "initiators": ["*"], "problems": [], "collected_at": time.time()}
    san = san_facts.collect(host, truth, ("3600a0980",), probe=False)
    policy = dict((k, None) for k in cleanup_run.POLICY_OPTIONS)
    policy.update(policy="array", grace=0, truth_max_age=900.0, repair_mismatch=True, flush_buffers=True)
    return san, cleanup_run.decide(policy, host, san)


def test_a_working_map_with_an_odd_alias_still_blocks_the_host_as_unexpected_visibility(tmp_path):
    """A map whose alias no step may carry made the whole host's plan fail on every run; now it is planned around,
    but it is still a device: working, covered and mapped by no record, it still raises the incomplete-truth
    blocker (unexpected_visibility), the alias shown escaped in the message."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_judge import rec
    san, plan = judged_and_decided(odd_alias_host(tmp_path), [rec(1, 1), rec(2, 2)])
    odd = [v for v in san["verdicts"] if v["name"] == "db(prod)@x"]
    assert [v["kind"] for v in odd] == ["unexpected_visibility"], san["verdicts"]
    assert plan["steps"] == [] and [b["why"] for b in plan["blocked"]] == ["unexpected_visibility"], plan
    assert "'db(prod)@x'" in plan["blocked"][0]["msg"] and "db(prod)@x work" not in plan["blocked"][0]["msg"]


def test_a_mapped_map_with_an_odd_alias_is_named_and_left_alone(tmp_path):
    """The same map mapped by the array: the host is planned (no failure for the whole host), and the map is named,
    escaped, as a unit nothing acts on."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_judge import rec
    san, plan = judged_and_decided(odd_alias_host(tmp_path, "db\u2028(prod)"), [rec(1, 1), rec(2, 2), rec(3, 3)])
    assert plan["blocked"] == [] and plan["steps"] == []
    odd = [s for s in plan["skipped"] if s["name"] == ascii("db\u2028(prod)")]
    assert odd and "no step may carry" in odd[0]["reason"] and "\u2028" not in odd[0]["reason"], plan["skipped"]


@pytest.mark.parametrize("change", [{"name": "mpath@x"}, {"wwid": "1LIO-ORG_Some(thing)"}, {"name": "a\nb"}])
def test_a_map_whose_name_no_step_may_carry_is_never_planned_for_a_flush(change):
    """plan_map_flush (stale_cleanup, multipath_flush) of a map whose alias or WWID the validators refuse: refused,
    kind odd_name, the name shown escaped."""
    with pytest.raises(Refused) as err:
        plan_maps.plan_map_flush(a_map(**change), {"array_unmapped": True})
    assert err.value.kind == "odd_name" and ascii(list(change.values())[0]) in str(err.value)
    assert not any(c < " " for c in str(err.value))


def test_a_holder_whose_dm_name_holds_a_newline_is_named_escaped_in_the_refusal():
    """The refusal of a map held by a dm device named "data\\nflush ok" printed the kernel's name as it is: a line
    break and a forged second line in the message. It is shown escaped."""
    holder = {"name": "dm-9", "uuid": "CRYPT-PLAIN-x", "dm_name": "data\nflush ok"}
    with pytest.raises(Refused) as err:
        plan_maps.plan_map_flush(a_map(holders=[holder]))
    assert err.value.kind == "holder" and "'data\\nflush ok'" in str(err.value)
    assert not any(c < " " for c in str(err.value))


def test_without_the_array_truth_the_plan_says_why_nothing_is_removed():
    """Without ONTAP (no cluster, no array_truth) stale_cleanup planned nothing and said no reason: `blocked` (the
    role's no_removal_because) was empty, as for a host with nothing stale."""
    snapshot = {"collected_at": 100.0, "maps": {}, "disks": {}, "array": None}
    verdicts = [{"kind": "unknown_array", "object": "map", "name": "3600a0980aa", "wwid": "3600a0980aa"}]
    plan = san_plan.plan_cleanup(snapshot, verdicts, {"policy": "array"})
    assert plan["steps"] == [] and [b["why"] for b in plan["blocked"]] == ["no_array_truth"]
    assert "no array truth was given" in plan["blocked"][0]["msg"]
    # host_evidence may remove another array's dead maps without the array: not blocked for the missing truth
    assert san_plan.removal_blockers(snapshot, verdicts, {"policy": "host_evidence"}) == []
