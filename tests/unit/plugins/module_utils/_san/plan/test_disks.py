# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/disks.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    context as act_context, execute)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    disks as plan_disks, maps as plan_maps, steps as plan_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    WWID, WWID2, _orphan, dead, disk, flush_plan, same_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.plan.helpers import (  # noqa: F401 pylint: disable=unused-import
    a_disk, a_map, plan)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import plain_san_disk


def test_rescan_disk_refreshes_and_verifies(env):
    """Fails when a disk rescan does not write rescan and verify the new identity."""
    _orphan(env)
    env.disks["sdc"]["new_serial"], env.disks["sdc"]["new_wwid"] = "81LgM$V4waSp", WWID2
    host = env.host()
    plan = plan_disks.plan_rescan(disk=env.reader.disk("sdc"), expect={"wwid": WWID2, "serial": "81LgM$V4waSp"})
    executed = execute.execute(plan, host)
    assert [e["action"] for e in executed] == ["rescan_disk", "verify_identity"]
    assert env.writes[0][1][4:] == ("rescan", "1")


def test_rescan_refuses_a_reused_name(env):
    """Fails when a rescan writes to a disk name reused for another LUN since the plan."""
    _orphan(env)
    plan = plan_disks.plan_rescan(disk=env.reader.disk("sdc"))
    env.remove_disk("4:0:0:1")
    env.add_disk(disk("sdc", "5:0:0:4", "8:32", WWID2))
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.cause.kind == "identity"
    assert env.writes == []


def test_a_path_back_between_the_flush_and_the_delete_stops_the_unit_before_any_delete(env):
    """Fails when a path answering again between the flush and the delete does not stop the unit."""
    plan = dead([st.tagged(None, "u") for st in flush_plan(env) + plan_disks.plan_disk_delete(
        [dict(env.reader.disk(n), map=None, holders=[]) for n in ("sdc", "sdd")], {}, {"flush_buffers": False})])
    plan = plan_steps.in_host_order(plan)
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipath", "-f"]:   # mapped back right after the flush: sdd answers again
            env.probes["sdd"] = {"result": "ready", "sense": None, "serial_live": None, "elapsed": 0.01}
        return res
    host = env.host()
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "came_back" and out["failed_step"]["action"] == "delete_disk"
    assert out["failed_step"]["target"] == "sdc"     # checked before the unit's first delete, not at sdd's own
    assert not env.writes and set(env.disks) >= {"sdc", "sdd"}


def test_a_still_dead_unit_is_removed_and_probed_before_each_batch(env):
    """Fails when a still dead unit is not removed, or its paths are not probed before each batch."""
    plan = plan_steps.in_host_order(dead([st.tagged(None, "u") for st in flush_plan(env) + plan_disks.plan_disk_delete(
        [dict(env.reader.disk(n), map=None, holders=[]) for n in ("sdc", "sdd")], {}, {"flush_buffers": False})]))
    executed = execute.execute(plan, env.host())
    assert same_steps(plan, executed) and WWID not in env.maps and not env.disks
    probes = [c[1] for c in env.reader.calls if c[0] == "probe"]
    assert probes == ["sdc", "sdd"] * 3     # queueing off, flush, delete: each batch probes both paths first


# ---------------------------------------------------------------------------------------------- disk delete
def test_disk_delete_plan_per_disk():
    """Fails when the delete plan is not a delete and a wait per disk with its identity."""
    plan = plan_disks.plan_disk_delete([a_disk(), a_disk("sdd", "5:0:0:1", "8:48")])
    assert [(s.action, s.target) for s in plan] == [
        ("delete_disk", "sdc"), ("wait_disk_gone", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdd")]
    assert plan[0].identity.as_dict() == {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID,
                                          "serial": "80Ab" + WWID[-8:]}


def test_flush_buffers_planned_only_for_an_answering_same_lu():
    """Fails when buffers are flushed to a disk that does not answer as the same LU, or when turned off."""
    ready = a_disk(probe={"result": "ready", "serial_live": "80Ab" + WWID[-8:]})
    gone = a_disk("sdd", "5:0:0:1", "8:48", probe={"result": "lun_not_supported", "serial_live": None})
    reused = a_disk("sde", "6:0:0:1", "8:64", probe={"result": "ready", "serial_live": "other-lu"})
    silent = a_disk("sdf", "7:0:0:1", "8:80", probe={"result": "no_answer", "serial_live": None})
    plan = plan_disks.plan_disk_delete([ready, gone, reused, silent])
    assert [s.target for s in plan if s.action == "flush_buffers"] == ["sdc"]
    off = plan_disks.plan_disk_delete([ready], options={"flush_buffers": False})
    assert "flush_buffers" not in [s.action for s in off]


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
    """Fails when a disk in use, held or not SAN is planned for delete, or the refusal does not name why."""
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk(**change)])
    assert info.value.kind == kind and named in str(info.value)


def test_disk_of_a_live_map_is_refused():
    """Fails when a path of a live map is planned for delete."""
    live = {WWID: a_map(), "dm-3": a_map()}
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk(map=WWID, holders=["dm-3"])], options={"live_maps": live})
    assert info.value.kind == "live_map" and "flush the map first" in str(info.value)
    with pytest.raises(Refused):  # found through the holder even without the map field
        plan_disks.plan_disk_delete([a_disk(holders=["dm-3"])], options={"live_maps": live})


def test_non_san_allowed_only_when_asked():
    """Fails when a non-SAN disk is not deleted though allow_non_san was asked."""
    plan = plan_disks.plan_disk_delete([a_disk(transport="other")], options={"allow_non_san": True})
    assert plan[0].action == "delete_disk"


@pytest.mark.parametrize("expected,key", [
    ({"hctl": "4:0:0:9"}, "hctl"), ({"dev": "8:33"}, "dev"), ({"wwid": WWID2}, "wwid"), ({"serial": "x"}, "serial"),
])
def test_identity_other_than_expected_is_refused(expected, key):
    """Fails when a disk whose identity differs from the expected one is planned for delete."""
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk()], {"sdc": expected})
    assert info.value.kind == "identity" and key in info.value.evidence["diff"]


def test_wwid_comparison_ignores_case():
    """Fails when an expected NAA WWID in upper case refuses the same disk."""
    # the caller's WWID enters as a Wwid (validate.wwid, as scsi_delete builds it): its case is gone there
    assert plan_disks.plan_disk_delete([a_disk()], {"sdc": {"wwid": validate.wwid(WWID.upper())}})


# ---------------------------------------------------------------------------------------------- rescan
HOST4 = {"host": 4, "transport": "iscsi", "targets": ["4:0:0"]}


def test_exact_scan_plan():
    """Fails when a rescan scans more than the exact channel, target and LUN."""
    plan = plan_disks.plan_rescan(hctl="4:0:0:3", host_info=HOST4, existing=None, expect={"wwid": WWID2})
    assert [s.action for s in plan] == ["scan_exact_lun", "wait_disk_present", "verify_identity"]
    assert plan[0].target == "4:0:0:3" and plan[0].identity.as_dict() == {"hctl": "4:0:0:3"}
    assert "'0 0 3'" in plan[0].reason and "- - -" not in repr([s.to_wire() for s in plan])


def test_scan_refuses_non_san_and_missing_targets():
    """Fails when a scan of a non-SAN host or a target the host lacks is planned."""
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
    """Fails when a scan of a LUN already present is planned instead of a verify."""
    assert plan_disks.plan_rescan(hctl="4:0:0:1", host_info=HOST4, existing=a_disk()) == []
    plan = plan_disks.plan_rescan(hctl="4:0:0:1", host_info=HOST4, existing=a_disk(), expect={"wwid": WWID})
    assert [s.action for s in plan] == ["verify_identity"]


HOST7_FC = {"host": 7, "transport": "fc", "targets": ["7:0:0", "7:0:2"],
            "target_ports": {"7:0:0": ["0x200100a098aa0001"], "7:0:2": ["0x200200a098aa0002"]}}


def test_fc_exact_scan_step_names_the_port_expected_at_its_target():
    """The FC scan step carries the port_name of the rport at its H:C:T (the act refuses another port there); an
    iSCSI step carries none."""
    plan = plan_disks.plan_rescan(hctl="7:0:2:4", host_info=HOST7_FC, existing=None)
    assert dict(plan[0].options) == {"absent": True, "target_wwpn": "0x200200a098aa0002"}
    assert "target_wwpn" not in plan_disks.plan_rescan(hctl="4:0:0:3", host_info=HOST4, existing=None)[0].options


@pytest.mark.parametrize("ports", [{}, {"7:0:2": []}, {"7:0:2": [None]},
                                   {"7:0:2": ["0x200200a098aa0002", "0x200900a098aa0009"]}])
def test_fc_exact_scan_of_a_target_whose_port_is_unknown_or_ambiguous_is_refused(ports):
    """Which array port an FC scan reaches must be known to plan it: a target whose rport port_name was not read,
    or two ports claiming one target id, refuses (nothing to check the act against)."""
    with pytest.raises(Refused) as info:
        plan_disks.plan_rescan(hctl="7:0:2:4", host_info=dict(HOST7_FC, target_ports=ports), existing=None)
    assert info.value.kind == "target_port"


def test_rescan_existing_disk_plan_and_refusal():
    """Fails when a rescan of an existing disk does not verify it, or a non-SAN disk is rescanned."""
    plan = plan_disks.plan_rescan(disk=a_disk(), expect={"serial": "81LgM$V4waSp"})
    assert [s.action for s in plan] == ["rescan_disk", "verify_identity"]
    assert plan[0].identity.as_dict() == {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32"}
    with pytest.raises(Refused):
        plan_disks.plan_rescan(disk=a_disk(transport="other"))


@pytest.mark.parametrize("obj", ["map", "disk"])
def test_openers_unknown_refuse(obj):
    """Fails when a map or disk whose openers are unknown is planned."""
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
    """Fails when a disk used by btrfs, LIO, loop or a mount without a holders link is planned."""
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk(kernel_users=[user])])
    assert info.value.kind == "kernel_user" and named in str(info.value)


@pytest.mark.parametrize("node, cls", [("sg3", "scsi_generic"), ("2:0:0:3", "bsg")])
def test_a_disk_held_through_its_scsi_generic_node_is_not_deletable(tmp_path, node, cls):
    """sg_dd, fio's sg engine or a reservation tool does SG_IO through /dev/sgN or /dev/bsg/H:C:T:L, char devices
    of the same LU: no mount, holder or block open shows them, and the delete's O_EXCL open of the block device does
    not either. The disk is in use, and its opener named."""
    t = plain_san_disk(tmp_path)
    t.scsi_generic("sdf", node, "21:3" if cls == "scsi_generic" else "247:3", cls=cls)
    t.proc(7500, "sg_dd", fds=["/dev/" + (node if cls == "scsi_generic" else "bsg/" + node)])
    sdf = t.commands().reader().snapshot(probe=False)["disks"]["sdf"]
    assert {"pid": 7500, "comm": "sg_dd"} in sdf["openers"], sdf["openers"]
    with pytest.raises(Refused) as info:
        plan_disks.check_disk_deletable(sdf)
    assert info.value.kind == "opener" and "sg_dd" in str(info.value)


# ---------------------------------------------------------------------------------------------- what each step says
SERIAL = "80Ab" + WWID[-8:]


def test_a_disk_delete_plan_says_exactly_what_each_step_does():
    """Fails when a step of a disk's delete carries another identity, options or reason than the act and the check-mode
    report are owed: the buffer flush and the delete the disk's full identity, the wait what it waits to see gone."""
    ready = a_disk(probe={"result": "ready", "serial_live": SERIAL})
    ident = {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID, "serial": SERIAL}
    assert [st.to_wire() for st in plan_disks.plan_disk_delete([ready])] == [
        {"action": "flush_buffers", "target": "sdc", "identity": ident, "options": {}, "phase": None, "unit": None,
         "reason": "blockdev --flushbufs /dev/sdc: the device still answers"},
        {"action": "delete_disk", "target": "sdc", "identity": ident, "options": {}, "phase": None, "unit": None,
         "reason": "write 1 to /sys/class/scsi_device/4:0:0:1/device/delete after re-reading identity"},
        {"action": "wait_disk_gone", "target": "sdc", "identity": {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID},
         "options": {}, "phase": None, "unit": None, "reason": "wait until /dev/sdc, its H:C:T:L and its /dev/disk/by-id links are gone"}]


def test_a_disk_listed_twice_is_planned_once_and_the_next_still_is():
    """Fails when a disk named twice in the input gets its steps twice, or the disks after the repeat get none."""
    plan = plan_disks.plan_disk_delete([a_disk(), a_disk(), a_disk("sdd", "5:0:0:1", "8:48")])
    assert [(s.action, s.target) for s in plan] == [
        ("delete_disk", "sdc"), ("wait_disk_gone", "sdc"), ("delete_disk", "sdd"), ("wait_disk_gone", "sdd")]


def test_buffers_are_flushed_to_an_answering_disk_whose_serial_was_not_read():
    """Fails when a disk that answers READY without a live serial (VPD 0x80 not read) gets no buffer flush: nothing
    says it is another LU."""
    plan = plan_disks.plan_disk_delete([a_disk(probe={"result": "ready", "serial_live": None})])
    assert [s.action for s in plan] == ["flush_buffers", "delete_disk", "wait_disk_gone"]
    assert not plan_disks.flush_wanted(a_disk(), None, {})


def test_a_refused_delete_says_exactly_why_and_what_holds_it():
    """Fails when a delete refused for its transport, a live map holding it (by its map or by a holder record), an
    odd name or another identity than expected does not say so exactly: its target, kind, what holds it, evidence."""
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk(transport="other")])
    assert info.value.to_dict() == {
        "target": "disk sdc", "kind": "transport", "holder": None, "evidence": {"transport": "other"},
        "msg": "disk sdc: is on transport 'other', not iSCSI/FC; refusing (allow_non_san)"}
    other = a_map(name="mpathb", wwid=WWID2, dm="dm-4")
    live = {"mpatha": a_map(name="mpatha"), "dm-3": a_map(name="mpatha"), "dm-4": other, "mpathb": other}
    # the first live map among its holders names it (holder records as observe reads them: dicts)
    with pytest.raises(Refused) as info:
        plan_disks.check_disk_deletable(a_disk(holders=[{"name": "dm-9"}, {"name": "dm-3"}, {"name": "dm-4"}]),
                                        None, live)
    assert info.value.to_dict() == {
        "target": "disk sdc", "kind": "live_map", "holder": "multipath map mpatha", "evidence": {"map": "mpatha"},
        "msg": "disk sdc: is a path of live multipath map mpatha (dm-3); flush the map first (multipath_flush)"}
    with pytest.raises(Refused) as info:
        plan_disks.check_disk_deletable(a_disk(map="mpathb", holders=["dm-3"]), {}, live)
    assert info.value.holder == "multipath map mpathb"
    # a disk whose map is gone and whose holder is no live map is not a live map's path (its holder still refuses)
    with pytest.raises(Refused) as info:
        plan_disks.check_disk_deletable(a_disk(map="mpathz", holders=["dm-9"]), {}, live)
    assert info.value.kind == "holder"
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk(mountpoints=["/mnt/x"])])
    assert (info.value.target, str(info.value)) == ("disk sdc", "disk sdc: is mounted on /mnt/x; unmount it first")
    with pytest.raises(Refused) as info:
        plan_disks.check_disk_deletable(a_disk(name="sdc\n"))
    assert info.value.to_dict() == {
        "target": "disk 'sdc\\n'", "kind": "odd_name", "holder": None, "evidence": {"refused": "name 'sdc\\n'"},
        "msg": "disk 'sdc\\n': its name 'sdc\\n' is text no step may carry: nothing deletes it"}
    with pytest.raises(Refused) as info:
        plan_disks.plan_disk_delete([a_disk()], {"sdc": {"hctl": "4:0:0:9"}})
    assert info.value.to_dict() == {
        "target": "disk sdc", "kind": "identity", "holder": None,
        "evidence": {"diff": {"hctl": {"expected": "4:0:0:9", "actual": "4:0:0:1"}}},
        "msg": "disk sdc: is not the device the caller expected (hctl expected 4:0:0:9, found 4:0:0:1); the kernel "
               "name may have been reused"}


def test_a_delete_carries_the_identity_the_caller_expected():
    """Fails when the delete of a disk the caller named by WWID and serial does not carry them (the act re-reads and
    compares them), or carries an expected value the disk does not have."""
    plan = plan_disks.plan_disk_delete([a_disk()], {"sdc": {"wwid": WWID, "serial": SERIAL, "hctl": "4:0:0:1"}})
    assert plan[0].identity.as_dict() == {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID,
                                          "serial": SERIAL}


def test_a_rescan_plan_says_exactly_what_each_step_does():
    """Fails when a step of a rescan (of a disk in place, an exact scan of a LUN, a LUN already there) carries another
    target, identity, options or reason than the act and the check-mode report are owed; or an expected value that is
    empty is verified."""
    wired = [st.to_wire() for st in plan_disks.plan_rescan(disk=a_disk(), expect={"serial": "S1", "wwid": ""})]
    assert wired == [
        {"action": "rescan_disk", "target": "sdc", "identity": {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32"},
         "options": {}, "phase": None, "unit": None,
         "reason": "write 1 to /sys/class/scsi_device/4:0:0:1/device/rescan: re-read VPD (a reused LUN keeps the old "
                   "serial in sysfs until rescanned)"},
        {"action": "verify_identity", "target": "4:0:0:1", "identity": {"hctl": "4:0:0:1", "serial": "S1"},
         "options": {}, "phase": None, "unit": None, "reason": "the LUN must now show the expected identity"}]
    assert [st.action for st in plan_disks.plan_rescan(disk=a_disk(), expect={"serial": None, "wwid": ""})] == [
        "rescan_disk"]
    assert plan_disks.plan_rescan(disk=a_disk(transport="other"), options={"allow_non_san": True})
    host = {"host": 4, "transport": "iscsi", "targets": ["4:1:2"]}
    wired = [st.to_wire() for st in plan_disks.plan_rescan(hctl="4:1:2:3", host_info=host, expect={"wwid": WWID2})]
    assert wired == [
        {"action": "scan_exact_lun", "target": "4:1:2:3", "identity": {"hctl": "4:1:2:3"}, "options": {"absent": True},
         "phase": None, "unit": None,
         "reason": "write '1 2 3' to /sys/class/scsi_host/host4/scan (this exact LUN only, never a wildcard bus scan)"},
        {"action": "wait_disk_present", "target": "4:1:2:3", "identity": {"hctl": "4:1:2:3"}, "options": {},
         "phase": None, "unit": None, "reason": "wait for the new disk to appear"},
        {"action": "verify_identity", "target": "4:1:2:3", "identity": {"hctl": "4:1:2:3", "wwid": WWID2},
         "options": {}, "phase": None, "unit": None,
         "reason": "the new LUN must show the expected identity (serial/WWID from the array)"}]
    assert [st.action for st in plan_disks.plan_rescan(hctl="4:1:2:3", host_info=host)] == [
        "scan_exact_lun", "wait_disk_present"]
    assert [st.to_wire() for st in plan_disks.plan_rescan(hctl="4:1:2:3", host_info=host, existing=a_disk(),
                                                          expect={"serial": "S1"})] == [
        {"action": "verify_identity", "target": "4:1:2:3", "identity": {"hctl": "4:1:2:3", "serial": "S1"},
         "options": {}, "phase": None, "unit": None,
         "reason": "the LUN is already present; it must show the expected identity"}]
    other = {"host": 0, "transport": "other", "targets": ["0:0:0"]}
    assert [st.action for st in plan_disks.plan_rescan(hctl="0:0:0:3", host_info=other,
                                                       options={"allow_non_san": True})] == [
        "scan_exact_lun", "wait_disk_present"]


def test_a_refused_rescan_says_exactly_why():
    """Fails when a rescan refused (a disk or host not on a SAN transport, a target the host does not have, an FC
    target whose remote port is not known or ambiguous, neither an H:C:T:L nor a disk) does not say so exactly."""
    cases = [
        (dict(disk=a_disk(transport="other")), "disk sdc", "transport",
         "disk sdc: is on transport 'other', not iSCSI/FC; refusing (allow_non_san)"),
        (dict(hctl="0:0:0:3", host_info={"host": 0, "transport": "other", "targets": ["0:0:0"]}), "host0",
         "not_san_host", "host0: SCSI host0 is other, not an iSCSI/FC host; refusing to scan it"),
        (dict(hctl="9:0:0:3"), "host9", "not_san_host",
         "host9: SCSI host9 is absent, not an iSCSI/FC host; refusing to scan it"),
        (dict(hctl="4:0:1:3", host_info={"host": 4, "transport": "iscsi", "targets": ["4:0:0", "4:0:2"]}), "host4",
         "no_target", "host4: host4 has no target 4:0:1 (known: 4:0:0, 4:0:2); an exact scan needs an existing "
                      "target (wildcards are never used)"),
        (dict(hctl="4:0:1:3", host_info={"host": 4, "transport": "iscsi"}), "host4", "no_target",
         "host4: host4 has no target 4:0:1 (known: none); an exact scan needs an existing target (wildcards are "
         "never used)"),
        (dict(hctl="7:0:2:4", host_info=dict(HOST7_FC, target_ports={"7:0:2": ["0x2002", "0x2009"]})), "host7",
         "target_port", "host7: the FC remote port at target 7:0:2 is ambiguous (0x2002, 0x2009); an exact FC scan "
                        "must know which port it reaches"),
        (dict(hctl="7:0:2:4", host_info=dict(HOST7_FC, target_ports={"7:0:0": ["0x2001"]})), "host7", "target_port",
         "host7: the FC remote port at target 7:0:2 is not known; an exact FC scan must know which port it reaches"),
    ]
    for kwargs, target, kind, msg in cases:
        with pytest.raises(Refused) as info:
            plan_disks.plan_rescan(**kwargs)
        assert (info.value.target, info.value.kind, str(info.value)) == (target, kind, msg)
    with pytest.raises(ValueError) as info:
        plan_disks.plan_rescan()
    assert str(info.value) == "plan_rescan needs hctl or disk"


def test_an_fc_scan_names_the_one_port_read_at_its_target():
    """Fails when a port list with an empty entry beside the one port read refuses the scan, or the scan names
    another port than the one at its own target."""
    ports = {"7:0:0": ["0x200100a098aa0001"], "7:0:2": [None, "", "0x200200a098aa0002"]}
    plan = plan_disks.plan_rescan(hctl="7:0:2:4", host_info=dict(HOST7_FC, target_ports=ports))
    assert dict(plan[0].options) == {"absent": True, "target_wwpn": "0x200200a098aa0002"}
    assert "write '0 2 4' to /sys/class/scsi_host/host7/scan" in plan[0].reason
