# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/maps.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    maps as plan_maps, steps as plan_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import WWID, WWID2
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    _blocknode, fd_info, healthy_lab, ontap_wwid)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.plan.helpers import (
    CLOSER, STALE, a_map, closing_snapshot, counted, dead_map, plan)


# ---------------------------------------------------------------------------------------------- map flush
def test_map_flush_plan_order_and_format():
    """Fails when a map flush plan changes its steps, their order or their fields."""
    plan = plan_maps.plan_map_flush(a_map())
    assert [s.action for s in plan] == ["disable_queueing", "flush_map", "wait_map_gone", "remove_wwid"]
    for s in plan:
        assert isinstance(s, plan_steps.Step) and s.reason and set(s.options) <= set(plan_steps.OPTIONS[s.action])
    assert plan[0].identity.as_dict() == {"name": WWID, "wwid": WWID, "dm": "dm-3", "dev": "253:3",
                                          "slaves": ["sdc", "sdd"]}
    assert dict(plan[0].options) == {}
    assert plan[1].options["force_remove"] is False
    assert plan[3].target == WWID


def test_map_flush_plan_is_pure_and_repeatable():
    """Fails when planning a map flush changes the map or gives another plan on a second call."""
    m = a_map()
    before = copy.deepcopy(m)
    assert plan_maps.plan_map_flush(m) == plan_maps.plan_map_flush(m)
    assert m == before


def test_absent_map_plans_nothing():
    """Fails when an absent map gets a plan."""
    assert plan_maps.plan_map_flush(None) == []


def test_force_remove_and_keep_wwid_options():
    """Fails when force_remove or remove_wwid false are not followed by the plan."""
    plan = plan_maps.plan_map_flush(a_map(), {"force_remove": True, "remove_wwid": False})
    assert plan[1].options["force_remove"] is True and "dmsetup remove --force" in plan[1].reason
    assert [s.action for s in plan][-1] == "wait_map_gone"


def test_never_a_wildcard_flush():
    """Fails when a map flush plan can flush all maps."""
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
    """Fails when a map in use is planned, or the refusal does not name the holder."""
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(**change))
    assert info.value.kind == kind
    assert named in str(info.value)
    assert info.value.to_dict()["holder"]


@pytest.mark.parametrize("comm", ["multipathd", "blkid", "(udev-worker)", "systemd-udevd"])
def test_multipathd_and_stuck_udev_openers_are_not_a_workload(comm):
    """Fails when multipathd or a stuck udev opener counts as a workload."""
    plan = plan_maps.plan_map_flush(a_map(openers=[{"pid": 7, "comm": comm}], open_count=1))
    assert plan[0].action == "disable_queueing"


def test_benign_opener_next_to_a_workload_still_refuses():
    """Fails when a harmless opener hides a workload on the same map."""
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(openers=[{"pid": 7, "comm": "blkid"}, {"pid": 8, "comm": "java"}],
                                       open_count=2))
    assert "java" in str(info.value) and "blkid" not in str(info.value)


@pytest.mark.parametrize("probe", [
    {},                                                                                     # not probed
    {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "no_answer"}},               # a cut portal
    {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "not_ready"}},
])
def test_openers_are_released_only_when_every_path_says_the_lu_is_gone(probe):
    """Fails when a map's openers are released before every path answers LU not supported."""
    # absence from the array data is not enough to fail a process's queued I/O: every path must answer LOGICAL
    # UNIT NOT SUPPORTED (the array's own word)
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(dead_map(probe=probe), {"array_unmapped": True})
    assert info.value.kind == "opener"


def test_dead_unmapped_map_with_a_blocked_opener_disables_queueing_then_verifies():
    """Fails when a dead unmapped map with a blocked opener is flushed without release and verify."""
    plan = plan_maps.plan_map_flush(dead_map(), {"array_unmapped": True})
    assert [s.action for s in plan] == ["disable_queueing", "verify_unused", "flush_map", "wait_map_gone",
                                        "remove_wwid"]
    assert plan[0].options["release_openers"] is True
    assert plan[1].options["settle"] == plan_steps.RELEASE_SETTLE and "pid 31 (dd)" in plan[1].reason


@pytest.mark.parametrize("change", [
    {},                                                                  # the array still maps it (not said)
    {"queueing": False},                                                 # not queueing: the opener is not blocked
    {"paths": [{"name": "sdc", "dm_state": "failed"}, {"name": "sdd", "dm_state": "active"}]},  # a live path
])
def test_opener_of_a_map_that_is_not_dead_and_unmapped_still_refuses(change):
    """Fails when the opener of a map that is not dead and unmapped is released."""
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
    """Fails when a dead unmapped map with a mount, holder or swap is planned."""
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(dict(dead_map(), **change), {"array_unmapped": True})
    assert info.value.kind == kind and named in str(info.value)


@pytest.mark.parametrize("change,kind", [
    ({"mountpoints": ["/data"]}, "mounted"),
    ({"holders": [{"name": "dm-7", "uuid": "LVM-xyz", "dm_name": "vgsan-lv0"}]}, "holder"),
    ({"kernel_users": [{"kind": "btrfs", "name": "f00d", "detail": "member dm-3"}]}, "kernel_user"),
    ({"openers_unknown": "/proc/PID/fd unreadable for pid 9"}, "openers_unknown"),
])
def test_a_killed_closer_never_lifts_another_refusal(change, kind):
    """Fails when a killed closer lets through a map refused for another reason."""
    out = plan(closing_snapshot([CLOSER], **change), [dict(STALE, name=WWID, wwid=WWID)])
    assert [s for s in out["steps"] if s.target == WWID] == []
    assert out["skipped"][0]["reason"].startswith("map %s" % WWID)
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(closing_snapshot([CLOSER], **change)["maps"][WWID],
                                 {"array_unmapped": True, "exiting_opens": 1})
    assert info.value.kind == kind


# ---------------------------------------------------------------------------------------------- in use means in use
def test_open_count_is_a_gate_of_its_own_next_to_a_harmless_opener():
    """Fails when a harmless opener hides an open count it cannot explain."""
    # a udev blkid is visible, but it explains one open of two: someone else holds the map
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(openers=[{"pid": 7, "comm": "blkid"}], open_count=2))
    assert info.value.kind == "open_count" and info.value.evidence["unexplained"] == 1
    assert "pid 7 (blkid)" in str(info.value)


def test_open_count_counts_the_fds_of_each_harmless_opener():
    """Fails when a harmless opener's several fds are not counted against the open count."""
    plan = plan_maps.plan_map_flush(a_map(openers=[{"pid": 7, "comm": "blkid", "fds": 2}], open_count=2))
    assert plan[0].action == "disable_queueing"


def test_open_count_beyond_the_blocked_openers_of_a_dead_map_refuses():
    """Fails when a dead map with more opens than its blocked openers explain is planned."""
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(dict(dead_map(), open_count=2), {"array_unmapped": True})
    assert info.value.kind == "open_count"


def test_dead_map_whose_opens_are_all_its_blocked_openers_is_planned():
    """Fails when a dead map whose opens are all its blocked openers is refused."""
    plan = plan_maps.plan_map_flush(dict(dead_map(), open_count=1), {"array_unmapped": True})
    assert plan[1].action == "verify_unused"


def test_refusal_names_vg_and_lv():
    """Fails when a refusal for an LVM holder does not name its VG and LV."""
    with pytest.raises(Refused) as info:
        plan_maps.plan_map_flush(a_map(holders=[{"name": "dm-9", "uuid": "LVM-x", "dm_name": "san--vg-db--lv"}]))
    assert "VG san-vg, LV db-lv" in str(info.value)


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


@pytest.mark.parametrize("second,refused", [
    ({"flags": "0100000"}, True),                     # dup(): one open file, whatever O_CLOEXEC says per fd
    ({"flags": "0100000", "pos": "4096"}, True),      # a position proves nothing: it moves
    ({"flags": "0104000"}, True),                     # O_NONBLOCK can be set on an open file by fcntl
    ({"flags": "0100002"}, False),                    # opened read-write: another open file
    ({"flags": "0100000", "mnt_id": "26"}, False),    # opened through another mount: another open file
])
def test_a_dup_d_fd_of_a_harmless_opener_does_not_hide_a_real_open(tmp_path, second, refused):
    """The open count gate subtracted a harmless opener's fds, but dm counts open files: blkid
    holding one open file through two fds (dup) hid a real open, and force_remove would then `dmsetup remove
    --force` a map still open. An fd counts as its own open file only when /proc proves it one."""
    t = healthy_lab(tmp_path)
    _blocknode(t, "/dev/dm-0", "253:0")
    t.proc(77, "blkid", fds=["/dev/dm-0", "/dev/dm-0"])
    fd_info(t, 77, 3, flags="02100000")
    fd_info(t, 77, 4, **second)
    t.maps["dm-0"]["open"] = 2
    t.commands()
    m = t.reader().snapshot(probe=False)["maps"][ontap_wwid(1)]
    assert m["openers"][0]["fds"] == 2
    if refused:
        with pytest.raises(Refused) as info:
            plan_maps.plan_map_flush(m, {"force_remove": True})
        assert info.value.kind == "open_count" and "open count 2, 1 more" in str(info.value)
    else:
        assert plan_maps.plan_map_flush(m, {"force_remove": True})[0].action == "disable_queueing"


def test_a_scsi_disk_whose_read_timed_out_counts_as_blocked(tmp_path):
    """A hung sysfs read of an sd is what a blocked disk looks like: a killed closer may be stuck closing it, so it
    counts as blocked for the killed-closer allowance (plan_maps.blocked_disks)."""
    t = healthy_lab(tmp_path).commands()

    def call(fn, args=(), timeout=10, what=None):
        if fn.__name__ == "read_batch" or (fn.__name__ == "read_devices" and "sdd" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return fn(*args)
    snap = t.reader(call=call).snapshot(probe=False)
    assert snap["host"]["unread_disks"] == ["sdd"]
    assert "sdd" not in snap["disks"]
    assert plan_maps.blocked_disks(snap) == ["sdd"]


# ---------------------------------------------------------------------------------------------- what each step says
IDENT = {"name": WWID, "wwid": WWID, "dm": "dm-3", "dev": "253:3", "slaves": ["sdc", "sdd"]}


def _wired(name, ident, first_options, flush_reason, verify=None):
    steps = [{"action": "disable_queueing", "target": name, "identity": ident, "options": first_options,
              "reason": "multipathd disablequeueing map %s: queued I/O fails instead of blocking, stuck udev/blkid "
                        "openers go away, and the daemon keeps queueing off if a flush fails" % name}]
    steps += [verify] if verify else []
    steps += [{"action": "flush_map", "target": name, "identity": ident, "options": {"force_remove": False},
               "reason": flush_reason},
              {"action": "wait_map_gone", "target": name, "identity": {"wwid": WWID, "dm": "dm-3", "dev": "253:3"},
               "options": {}, "reason": "confirm the map and its dm device are gone"},
              {"action": "remove_wwid", "target": WWID, "identity": {"wwid": WWID}, "options": {},
               "reason": "multipath -w %s: forget the WWID so the map is not recreated when a path reappears; only "
                         "once its map is gone" % WWID}]
    return [dict(st, phase=None, unit=None) for st in steps]


def test_a_map_flush_plan_says_exactly_what_each_step_does():
    """Fails when a step of a map's flush carries another target, identity, options or reason than the act and the
    check-mode report are owed (a map named by its alias, or by its WWID when it has none)."""
    flush = "targeted multipath -f %s (this map only, no flush-all), retried within the deadline"
    assert [st.to_wire() for st in plan_maps.plan_map_flush(a_map())] == _wired(WWID, IDENT, {}, flush % WWID)
    named = dict(IDENT, name="mpatha")
    assert [st.to_wire() for st in plan_maps.plan_map_flush(a_map(name="mpatha"))] == _wired(
        "mpatha", named, {}, flush % "mpatha")
    unnamed = dict(IDENT)
    del unnamed["name"]
    assert [st.to_wire() for st in plan_maps.plan_map_flush(a_map(name=None))] == _wired(
        WWID, unnamed, {}, flush % WWID)
    forced = plan_maps.plan_map_flush(a_map(), {"force_remove": True})[1]
    assert forced.reason == (flush % WWID) + "; then dmsetup remove --force --retry (force_remove)"
    assert dict(forced.options) == {"force_remove": True}


def test_a_dead_unmapped_map_plan_says_exactly_whom_it_releases_and_for_how_long():
    """Fails when the release of a dead unmapped map's openers does not say whose I/O fails and how long the act
    waits for them, or carries other options than the act reads (release, the killed closers' opens, the settle)."""
    verify = {"action": "verify_unused", "target": WWID, "identity": IDENT,
              "options": {"release_openers": True, "settle": 10.0},
              "reason": "the array no longer maps %s and every path failed: with queueing off, the I/O of pid 31 (dd) "
                        "fails; wait up to 10s for every opener to leave and the open count to reach 0, refuse if one "
                        "stays" % WWID}
    flush = "targeted multipath -f %s (this map only, no flush-all), retried within the deadline" % WWID
    assert [st.to_wire() for st in plan_maps.plan_map_flush(dead_map(), {"array_unmapped": True})] == _wired(
        WWID, IDENT, {"release_openers": True}, flush, dict(verify, phase=None, unit=None))
    slow = plan_maps.plan_map_flush(dead_map(), {"array_unmapped": True, "settle": 2.5})[1]
    assert slow.options["settle"] == 2.5 and "wait up to 2.5s for every opener" in slow.reason
    closing = dict(dead_map(), openers=[], open_count=1)
    # more opens allowed than the map has unexplained: the step carries the map's own, 1
    plan = plan_maps.plan_map_flush(closing, {"array_unmapped": True, "exiting_opens": 5})
    assert dict(plan[0].options) == {"release_openers": True, "exiting_opens": 1}
    assert dict(plan[1].options) == {"release_openers": True, "exiting_opens": 1, "settle": 10.0}
    assert "the I/O of 1 killed task(s) still closing it fails" in plan[1].reason
    quiet = plan_maps.plan_map_flush(dict(dead_map(), openers=[], open_count=0), {"array_unmapped": True})
    assert "the I/O of any blocked opener fails" in quiet[1].reason
    assert dict(quiet[0].options) == {"release_openers": True}


def test_the_killed_closers_allowed_are_the_map_s_opens_beyond_its_blocked_and_harmless_openers():
    """Fails when the killed closers' opens a dead map's release lets through are not its open count minus the open
    files of both its blocked openers (whose I/O fails) and its harmless ones (blkid): more would let a hidden user's
    open through as a closer's. Or when the verify_unused reason does not list each opener it waits for apart."""
    both = dict(dead_map(), openers=[{"pid": 31, "comm": "dd"}, {"pid": 7, "comm": "blkid"}], open_count=3)
    plan = plan_maps.plan_map_flush(both, {"array_unmapped": True, "exiting_opens": 5})
    assert dict(plan[0].options) == {"release_openers": True, "exiting_opens": 1}
    assert dict(plan[1].options) == {"release_openers": True, "exiting_opens": 1, "settle": 10.0}
    assert plan[1].reason == (
        "the array no longer maps %s and every path failed: with queueing off, the I/O of pid 31 (dd), 1 killed "
        "task(s) still closing it fails; wait up to 10s for every opener to leave and the open count to reach 0, "
        "refuse if one stays" % WWID)


@pytest.mark.parametrize("map_info,options,dead", [
    (dead_map(), {"array_unmapped": True}, True),
    (dead_map(), None, False),
    (None, {"array_unmapped": True}, False),
    (dead_map(queueing=False), {"array_unmapped": True}, False),
    (dict(dead_map(), paths=[]), {"array_unmapped": True}, False),
    (dead_map(probe={"sdc": {"result": "lun_not_supported"}}), {"array_unmapped": True}, False),
    (dead_map(probe={"sdc": {"result": "lun_not_supported"}, "sdd": None}), {"array_unmapped": True}, False),
])
def test_a_map_is_dead_and_unmapped_only_on_every_path_s_word(map_info, options, dead):
    """Fails when a map counts as dead and unmapped without the caller's word that the array unmaps it, without
    queueing, without paths, or with a path not probed LOGICAL UNIT NOT SUPPORTED."""
    assert plan_maps.dead_unmapped_map(map_info, options) is dead


def test_the_hidden_opens_of_a_host_are_counted_over_every_dm_device():
    """Fails when the opens nothing accounts for are summed wrongly, a device without any is listed, or a host whose
    devices cannot all be counted is not said so (naming at most five of them)."""
    assert plan_maps.host_unaccounted_opens(None) == (
        None, "the snapshot does not count the opens of every device-mapper device of the host")
    counts = dict(("dm-%d" % i, {"unaccounted": None}) for i in range(7))
    counts["dm-9"] = {"unaccounted": 2}
    assert plan_maps.host_unaccounted_opens({"host": {"dm_unaccounted": counts}}) == (
        None, "the opens of dm-0, dm-1, dm-2, dm-3, dm-4 cannot be counted (no open count, or openers unknown)")
    counts = {"dm-1": {"unaccounted": 1}, "dm-2": {"unaccounted": 2}, "dm-3": {"unaccounted": 0}}
    assert plan_maps.host_unaccounted_opens({"host": {"dm_unaccounted": counts}}) == (3, {"dm-1": 1, "dm-2": 2})


def test_a_disk_whose_io_may_wait_counts_as_blocked():
    """Fails when a disk in a state whose I/O can wait (blocked, quiesce, no state read) or a disk whose read hung
    is not counted as blocked, or a running disk or one whose I/O fails at once is."""
    snap = {"disks": {"sda": {"state": "running"}, "sdb": {"state": "offline"}, "sdc": {"state": "transport-offline"},
                      "sdd": {"state": "blocked"}, "sde": {"state": "quiesce"}, "sdf": {}, "sdg": None},
            "host": {"unread_disks": ["sdz", "sdd"]}}
    assert plan_maps.blocked_disks(snap) == ["sdd", "sde", "sdf", "sdg", "sdz"]
    assert plan_maps.blocked_disks(None) == []


def test_exiting_closers_and_their_labels():
    """Fails when an exiting task that is not inside a close counts as a closer, or a closer is not named by its pid,
    command and the kernel frames it waits in."""
    idle = {"pid": 9, "comm": "bash", "frames": []}
    snap = {"host": {"exiting_tasks": [CLOSER, idle, {"pid": 10, "comm": "x"}]}}
    assert plan_maps.exiting_closers(snap) == [CLOSER] and plan_maps.exiting_closers(None) == []
    assert plan_maps.task_label(CLOSER) == "pid 402 ((udev-worker)) in blkdev_close/blkdev_put/blkdev_flush_mapping"


def _host(dm, disks=None, others=()):
    return {"host": {"dm_unaccounted": dict((k, {"unaccounted": n}) for k, n in dm.items()),
                     "uncounted_block_devices": list(others)}, "disks": disks or {}}


def test_the_closers_account_for_the_hidden_opens_only_when_nothing_else_can_hold_one():
    """Fails when the killed closers are let account for the host's hidden opens while there are more such opens
    than closers, a disk whose I/O may wait, or a block device whose opens are not counted (or not known); or the
    reason does not say exactly which."""
    two = [CLOSER, dict(CLOSER, pid=403)]
    assert plan_maps.closers_account_for_every_hidden_open(_host({"dm-3": 1, "dm-4": 1}), two) is None
    assert plan_maps.closers_account_for_every_hidden_open(_host({"dm-3": 2, "dm-4": 1}), two) == (
        "3 open(s) on this host that nothing seen accounts for (dm-3 2, dm-4 1), more than the 2 task(s) exiting "
        "while closing a block device (pid 402 ((udev-worker)) in blkdev_close/blkdev_put/blkdev_flush_mapping, "
        "pid 403 ((udev-worker)) in blkdev_close/blkdev_put/blkdev_flush_mapping): /proc does not say which device "
        "such a task closes, so an open of a map cannot be told from a hidden user's")
    assert plan_maps.closers_account_for_every_hidden_open(_host({"dm-3": 1}), []).startswith(
        "1 open(s) on this host that nothing seen accounts for (dm-3 1), more than the 0 task(s) exiting while "
        "closing a block device (none): ")
    assert plan_maps.closers_account_for_every_hidden_open({"host": {}}, two) == (
        "the snapshot does not count the opens of every device-mapper device of the host")
    disks = {"sdc": {"state": "blocked"}, "sde": {"state": "running"}}
    snap = dict(_host({"dm-3": 1}, disks), host=dict(_host({"dm-3": 1})["host"], unread_disks=["sdx"]))
    assert plan_maps.closers_account_for_every_hidden_open(snap, two) == (
        "SCSI disk(s) sdc (blocked), sdx (unread) may wait for their transport (a state other than running, or "
        "unread): a task exiting while closing one of them holds no open any count shows")
    snap = _host({"dm-3": 1})
    del snap["host"]["uncounted_block_devices"]
    assert plan_maps.closers_account_for_every_hidden_open(snap, two) == (
        "the snapshot does not say which other block devices (nvme, loop, md, ...) the host has: a task exiting "
        "while closing one of them would hold an open no count shows")
    others = [{"name": "nvme0n1", "why": "nvme over fabrics"}, {"name": "loop3", "why": "backed by NFS"}]
    assert plan_maps.closers_account_for_every_hidden_open(_host({"dm-3": 1}, others=others), two) == (
        "block device(s) nvme0n1, loop3 can wait for I/O and have no open count (nvme over fabrics; backed by NFS): "
        "a task exiting while closing one of them holds an open no count shows")


def test_the_closers_reason_names_at_most_eight_devices_five_closers_and_three_whys():
    """Fails when the reason the killed closers cannot account for the host's hidden opens lists more (or fewer) than
    eight devices with such opens, five closers, eight blocked disks, eight other block devices and three of their
    whys: the skipped entry and the act's refusal carry this text."""
    nine = dict(("dm-%d" % i, 1) for i in range(1, 10))
    six = [dict(CLOSER, pid=400 + i) for i in range(6)]
    closer = "pid %d ((udev-worker)) in blkdev_close/blkdev_put/blkdev_flush_mapping"
    assert plan_maps.closers_account_for_every_hidden_open(_host(nine), six) == (
        "9 open(s) on this host that nothing seen accounts for (%s), more than the 6 task(s) exiting while closing a "
        "block device (%s): /proc does not say which device such a task closes, so an open of a map cannot be told "
        "from a hidden user's" % (", ".join("dm-%d 1" % i for i in range(1, 9)),
                                  ", ".join(closer % (400 + i) for i in range(5))))
    disks = dict(("sd%s" % c, {"state": "blocked"}) for c in "abcdefghi")
    assert plan_maps.closers_account_for_every_hidden_open(_host({"dm-3": 1}, disks), six) == (
        "SCSI disk(s) %s may wait for their transport (a state other than running, or unread): a task exiting while "
        "closing one of them holds no open any count shows" % ", ".join("sd%s (blocked)" % c for c in "abcdefgh"))
    others = [{"name": "loop%d" % i, "why": "loop%d backed by NFS" % i} for i in range(9)]
    assert plan_maps.closers_account_for_every_hidden_open(_host({"dm-3": 1}, others=others), six) == (
        "block device(s) %s can wait for I/O and have no open count (%s): a task exiting while closing one of them "
        "holds an open no count shows" % (", ".join("loop%d" % i for i in range(8)),
                                          "; ".join("loop%d backed by NFS" % i for i in range(3))))


def _hidden(name, wwid, dm, **change):
    """A dead unmapped map named `name` (kernel name `dm`) with one open that no process shows."""
    return dict(dead_map(), **dict({"name": name, "wwid": wwid, "dm": dm, "openers": [], "open_count": 1}, **change))


@pytest.mark.parametrize("first,unmapped", [
    (_hidden("mpatha", WWID2, "dm-2"), {"mpathb"}),                                   # the array still maps it
    (_hidden("mpatha", WWID2, "dm-2", queueing=False), {"mpatha", "mpathb"}),         # not dead
    (_hidden("mpatha", WWID2, "dm-2", open_count=0), {"mpatha", "mpathb"}),           # no open no process shows
    (_hidden("mpatha", WWID2, "dm-2", mountpoints=["/data"]), {"mpatha", "mpathb"}),  # refused: mounted
])
def test_a_map_passed_over_by_the_allowance_does_not_end_it_for_the_maps_after_it(first, unmapped):
    """Fails when exiting_allowance stops at a map it passes over (the array still maps it, not dead, no hidden open,
    refused for what it is) instead of going on to the next map: the dead map after it would be refused for the
    open its killed closer holds."""
    second = _hidden("mpathb", WWID, "dm-3")
    snap = counted({"maps": {WWID2: first, WWID: second}})
    closers = [CLOSER, dict(CLOSER, pid=403)]
    assert plan_maps.exiting_allowance([first, second], unmapped, closers, snap) == ({"mpathb": 1}, None)


def test_the_allowance_of_a_map_is_its_opens_beyond_its_blocked_and_harmless_openers():
    """Fails when exiting_allowance counts as killed closers' opens those of the map's blocked openers (whose I/O
    fails) or of its harmless ones (blkid): the allowance would let through opens that are no closer's."""
    both = dict(dead_map(), openers=[{"pid": 31, "comm": "dd"}, {"pid": 7, "comm": "blkid"}], open_count=3)
    snap = counted({"maps": {WWID: both}})
    assert snap["host"]["dm_unaccounted"]["dm-3"]["unaccounted"] == 1
    assert plan_maps.exiting_allowance([both], {WWID}, [CLOSER], snap) == ({WWID: 1}, None)


def test_the_opens_let_through_are_those_of_the_dead_unmapped_maps_the_closers_account_for():
    """Fails when exiting_allowance lets opens through for a map the array still maps, a map that is not dead, a map
    with no hidden open or one refused for something else; or lets any through when the closers cannot account for
    every hidden open on the host (then it says why)."""
    snap = counted(closing_snapshot([CLOSER]))
    maps = list(snap["maps"].values())
    assert plan_maps.exiting_allowance(maps, {WWID}, [CLOSER], snap) == ({WWID: 1}, None)
    assert plan_maps.exiting_allowance(maps, set(), [CLOSER], snap) == ({}, None)
    alive = counted(closing_snapshot([CLOSER], queueing=False))
    assert plan_maps.exiting_allowance(list(alive["maps"].values()), {WWID}, [CLOSER], alive) == ({}, None)
    mounted = counted(closing_snapshot([CLOSER], mountpoints=["/data"]))
    assert plan_maps.exiting_allowance(list(mounted["maps"].values()), {WWID}, [CLOSER], mounted) == ({}, None)
    unopened = counted(closing_snapshot([CLOSER], open_count=0))
    assert plan_maps.exiting_allowance(list(unopened["maps"].values()), {WWID}, [CLOSER], unopened) == ({}, None)
    crowded = counted(closing_snapshot([CLOSER]), **{"dm-9": 1})
    assert plan_maps.exiting_allowance(list(crowded["maps"].values()), {WWID}, [CLOSER], crowded) == (
        {}, plan_maps.closers_account_for_every_hidden_open(crowded, [CLOSER]))
    assert plan_maps.exiting_allowance(list(crowded["maps"].values()), {WWID}, [CLOSER], crowded)[1].startswith(
        "2 open(s) on this host")
