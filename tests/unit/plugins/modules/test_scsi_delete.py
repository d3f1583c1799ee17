# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/modules/scsi_delete.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid
from ansible_collections.sanfleet.remediation.plugins.modules import scsi_delete
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, W1, WWID, WWID2, alias_hosts, disk, mpath)


def test_scsi_delete_names_the_map_a_disk_belongs_to_not_the_map_of_the_lu_its_name_spells(
        tmp_path, monkeypatch, invoke):
    """Fails when scsi_delete's refusal names the map of the LU the disk's map name spells, not the disk's map."""
    from ansible_collections.sanfleet.remediation.plugins.modules import scsi_delete
    for alias_last in alias_hosts(tmp_path, monkeypatch):
        out = invoke(scsi_delete, {"name": ["sdc"]}, check=True)
        assert out.get("failed"), out  # sdc is a path of a live map: refused, either way
        # sdc (WWID W2) is a path of the map named W1 (LU W2); on 7120141 the refusal says "live multipath map
        # mpatha", LU W1's map: "flush the map first (multipath_flush)" points the operator at another LU
        assert "live multipath map %s " % W1 in out["msg"] and "mpatha" not in out["msg"], (alias_last, out["msg"])


@pytest.fixture
def env(tmp_path):
    e = FakeEnv(tmp_path)
    e._drop_map(e.maps[WWID])   # the map was flushed: sdc and sdd are orphans
    return e


MODULE = scsi_delete


def test_check_mode_plan_equals_what_a_real_run_executes(env, run):
    """Fails when scsi_delete's check mode changes anything or plans other than the real run does."""
    env.probes["sdc"] = {"result": "ready", "serial_live": env.disks["sdc"]["serial"]}
    planned = run({"name": ["sdc", "sdd"]}, check=True)
    assert planned["changed"] and planned["executed"] == [] and env.writes == [] and env.commands == []
    real = run({"name": ["sdc", "sdd"]})
    assert not real.get("failed")
    assert real["plan"] == planned["plan"]
    assert [(s["action"], s["target"]) for s in real["executed"]] == [(s["action"], s["target"])
                                                                      for s in planned["plan"]]
    assert [s["action"] for s in real["plan"]] == ["flush_buffers", "delete_disk", "wait_disk_gone",
                                                   "delete_disk", "wait_disk_gone"]
    assert real["removed"] == ["sdc", "sdd"]
    assert env.disks == {}


def test_by_hctl(env, run):
    """Fails when scsi_delete by H:C:T:L deletes another disk."""
    out = run({"hctl": ["5:0:0:1"]})
    assert out["removed"] == ["sdd"] and "sdc" in env.disks


def test_by_wwid_deletes_all_paths_and_absent_wwid_is_unchanged(env, run):
    """Fails when scsi_delete by WWID misses a path, or a WWID already gone is not unchanged."""
    out = run({"wwid": WWID})
    assert sorted(out["removed"]) == ["sdc", "sdd"]
    again = run({"wwid": WWID})
    assert again["changed"] is False and again["plan"] == [] and not again.get("failed")


def test_by_a_t10_wwid_whose_vendor_text_is_upper_case(env, run):
    """A t10 WWID keeps its vendor text's case in the normal form (the reader builds it as the kernel reports
    it); resolve compares the user's WWID with the disk's as values: lowering the disk's side alone found no disk."""
    kernel = Wwid("t10.LIO-ORG_block_1")
    for name in ("sdc", "sdd"):
        env.disks[name]["wwid"] = kernel
    out = run({"wwid": "t10.LIO-ORG_block_1"})
    assert not out.get("failed") and sorted(out["removed"]) == ["sdc", "sdd"]


@pytest.mark.parametrize("check", [True, False])
def test_a_t10_wwid_in_another_case_is_refused_naming_the_kernels_spelling(env, run, check):
    """Another case of a t10 vendor text is another LU to the kernel: the user's WWID is not guessed to be the
    disk's (a re-run after the named LU is gone would delete the other one); the message names the kernel's."""
    kernel = Wwid("t10.LIO-ORG_block_1")
    for name in ("sdc", "sdd"):
        env.disks[name]["wwid"] = kernel
    out = run({"wwid": "t10.lio-org_block_1"}, check=check)
    assert out.get("failed") and "1LIO-ORG_block_1 differs from it only in case" in out["msg"], out
    assert out["changed"] is False and env.writes == [] and sorted(env.disks) >= ["sdc", "sdd"]


def test_devices_with_expected_identity(env, run):
    """Fails when scsi_delete refuses a device matching its expected identity."""
    dev = {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": WWID, "serial": env.disks["sdc"]["serial"]}
    out = run({"devices": [dev]})
    assert out["removed"] == ["sdc"]


def test_name_reused_before_the_run_is_refused(env, run):
    """Fails when scsi_delete deletes a name reused for another LUN since the caller saw it."""
    # the caller saw sdc at 4:0:0:1; now sdc is another LUN at 4:0:0:9
    env.remove_disk("4:0:0:1")
    env.add_disk(disk("sdc", "4:0:0:9", "8:32", WWID2))
    out = run({"devices": [{"name": "sdc", "hctl": "4:0:0:1", "wwid": WWID}]})
    assert out["failed"] and out["refusal"]["kind"] == "identity" and "reused" in out["msg"]
    assert env.writes == [] and "sdc" in env.disks


def test_name_reused_between_plan_and_act_is_refused(env, run):
    """The device changes after the module planned (simulated inside the reader's first probe)."""
    orig = env.reader.probe_path

    def probe_then_swap(sd, errors=None):
        res = orig(sd, errors)
        if sd == "sdc" and env.disks.get("sdc", {}).get("hctl") == "4:0:0:1":
            env.remove_disk("4:0:0:1")
            env.add_disk(disk("sdc", "6:0:0:3", "8:32", WWID2))
        return res
    env.reader.probe_path = probe_then_swap
    out = run({"name": ["sdc"]})
    assert out["failed"] and out["refusal"]["kind"] == "identity"
    assert out["failed_step"]["action"] == "delete_disk" and env.writes == []


@pytest.mark.parametrize("change,kind,named", [
    ({"mountpoints": ["/mnt/old"]}, "mounted", "/mnt/old"),
    ({"swap": True}, "swap", "swap"),
    ({"openers": [{"pid": 17, "comm": "dd"}]}, "opener", "pid 17 (dd)"),
    ({"transport": "other", "session": None}, "transport", "not iSCSI/FC"),
])
def test_refusals_change_nothing(env, change, kind, named, run):
    """Fails when one refused disk lets scsi_delete delete the others of the request."""
    env.disks["sdc"].update(change)
    out = run({"name": ["sdd", "sdc"]})
    assert out["failed"] and out["refusal"]["kind"] == kind and named in out["msg"]
    assert "nothing changed" in out["msg"]
    assert env.writes == [] and "sdd" in env.disks   # the whole request is refused, not half done


@pytest.mark.parametrize("uuid,dm_name,label", [
    ("LVM-pv0", "vg1-data", "lvm holder dm-20 (vg1-data: VG vg1, LV data)"),
    ("CRYPT-LUKS2-77-x", "luks-77", "luks holder dm-20"),
    ("part1-sdc", "sdc1", "kpartx holder dm-20"),
])
def test_holders_refused(env, uuid, dm_name, label, run):
    """Fails when scsi_delete deletes a disk with an LVM, LUKS or kpartx holder, or does not name it."""
    env.add_holder("dm-20", uuid, dm_name, of="sdc")
    out = run({"name": ["sdc"]})
    assert out["failed"] and out["refusal"]["kind"] == "holder" and label in out["msg"]
    assert env.writes == []


def test_md_holder_refused(env, run):
    """Fails when scsi_delete deletes a disk held by an md array."""
    env.disks["sdc"]["holders"].append("md5")
    out = run({"name": ["sdc"]})
    assert out["failed"] and "md holder md5" in out["msg"]


def test_holder_of_a_partition_refused(env, run):
    """Fails when scsi_delete deletes a disk whose partition has a holder."""
    env._mk("sys/block/sdc/sdc1/holders/dm-21")
    env._file("sys/block/dm-21/dm/uuid", "LVM-onpartition")
    env._file("sys/block/dm-21/dm/name", "vg2-lv")
    env.disks["sdc"]["partitions"] = ["sdc1"]
    out = run({"name": ["sdc"]})
    assert out["failed"] and "lvm holder dm-21 (vg2-lv: VG vg2, LV lv)" in out["msg"]


def test_part_of_live_map_refused(env, run):
    """Fails when scsi_delete deletes a path of a live multipath map."""
    env.maps[WWID] = {"name": "mpatha", "wwid": WWID, "dm": "dm-3", "dev": "253:3", "queueing": False,
                      "open_count": 0, "holders": [], "mountpoints": [], "openers": [], "paths": [{"name": "sdc"}]}
    env.disks["sdc"]["map"], env.disks["sdc"]["holders"] = "mpatha", ["dm-3"]
    out = run({"name": ["sdc"]})
    assert out["failed"] and out["refusal"]["kind"] == "live_map" and "mpatha" in out["msg"]


def test_non_san_allowed_only_when_asked(env, run):
    """Fails when scsi_delete does not delete a non-SAN disk though allow_non_san was given."""
    env.disks["sdc"]["transport"] = "other"
    out = run({"name": ["sdc"], "allow_non_san": True})
    assert out["removed"] == ["sdc"]


def test_unknown_device_fails_or_is_reported_missing(env, run):
    """Fails when an unknown device is not refused, or not reported missing with missing_ok."""
    out = run({"name": ["sdz"]})
    assert out["failed"] and out["refusal"]["kind"] == "unknown" and "sdz" in out["msg"]
    out = run({"hctl": ["9:0:0:9"]})
    assert out["failed"] and out["refusal"]["kind"] == "unknown"
    out = run({"name": ["sdz", "sdc"], "missing_ok": True})
    assert out["missing"] == ["sdz"] and out["removed"] == ["sdc"]


@pytest.mark.parametrize("args,needle", [
    ({"name": ["../sda"]}, "SCSI disk name"),
    ({"name": ["sda/../../etc"]}, "SCSI disk name"),
    ({"name": ["dm-3"]}, "SCSI disk name"),
    ({"hctl": ["4:0:0"]}, "H:C:T:L"),
    ({"hctl": ["- - -"]}, "H:C:T:L"),
    ({"wwid": "../../x"}, "WWID"),
    ({"devices": [{"wwid": WWID}]}, "needs name or hctl"),
    ({"devices": [{"name": "sdc", "dev": "eight:32"}]}, "major:minor"),
])
def test_bad_input_fails_before_anything_is_read(env, args, needle, run):
    """Fails when bad scsi_delete input is not refused before anything is read."""
    out = run(args)
    assert out["failed"] and needle in out["msg"] and "nothing changed" in out["msg"]
    assert env.reader.calls == [] and env.writes == []


@pytest.mark.parametrize("args", [
    {},
    {"name": ["sdc"], "wwid": WWID},
    {"name": "sdc", "timeout": "long"},
    {"name": ["sdc"], "devices": "sdc"},
    {"name": ["sdc"], "allow_non_san": "maybe"},
    {"devices": [{"name": "sdc", "colour": "red"}]},
])
def test_wrong_types_fail(env, args, run):
    """Fails when scsi_delete accepts wrong argument types or combinations."""
    out = run(args)
    assert out["failed"] and env.writes == []


def test_hung_delete_write_fails_clearly(env, run):
    """Fails when a hung delete write is not reported with its deadline and address."""
    env.hang.add("delete")
    out = run({"name": ["sdc"], "command_timeout": 2})
    assert out["failed"] and "did not finish within 2.0s" in out["msg"] and "4:0:0:1" in out["msg"]
    assert out["failed_step"]["action"] == "delete_disk" and out["removed"] == []


def test_device_that_does_not_vanish_fails_after_the_wait(env, run):
    """Fails when a disk that does not vanish is reported gone, or the delete is hidden."""
    env.kernel_removes = False
    out = run({"name": ["sdc"], "timeout": 2})
    assert out["failed"] and "still present" in out["msg"]
    assert out["failed_step"]["action"] == "wait_disk_gone"
    assert out["removed"] == ["sdc"] and out["changed"] is True


def test_failure_during_execution_carries_msg_executed_and_step(env, run):
    """The ExecutionError path merges the error's msg/executed into the result exactly once."""
    env.kernel_removes = False
    out = run({"name": ["sdc", "sdd"], "timeout": 2})
    assert out["failed"] is True and out["changed"] is True
    assert "still present" in out["msg"] and "nothing changed" not in out["msg"]
    assert [s["action"] for s in out["executed"]] == [s["action"] for s in out["plan"]][:len(out["executed"])]
    assert out["executed"] and out["executed"][-1]["action"] == "delete_disk"
    assert out["failed_step"]["action"] == "wait_disk_gone" and out["failed_step"] in out["plan"]
    assert out["removed"] == ["sdc"] and "deadline" not in out


def test_by_id_links_must_vanish(env, run):
    """Fails when a deleted disk's by-id links are left behind or not reported."""
    out = run({"name": ["sdc"]})
    assert out["executed"][0]["detail"]["by_id"] == ["scsi-%s-sdc" % WWID]
    assert not any(l.endswith("-sdc") for l in os.listdir(os.path.join(env.root, "dev/disk/by-id")))


@pytest.mark.parametrize("name,kind", [("mpath\nx", "odd_name"), ("mpath@x", "odd_name")])
def test_a_path_of_a_map_whose_name_no_step_may_carry_is_never_deleted(env, run, name, kind):
    """The paths of a live map whose alias is text the validators refuse: never deleted, and the refusal shows the
    name escaped (a newline in the kernel's name reached the message as a line break)."""
    env.maps[WWID] = dict(mpath(WWID, "dm-3", "253:3", ["sdc", "sdd"]), name=name)
    env._file("sys/block/dm-3/dm/uuid", "mpath-" + WWID)
    env._file("sys/block/dm-3/dm/name", name)
    for n in ("sdc", "sdd"):
        env.disks[n].update(map=name, holders=["dm-3"])
    out = run({"name": ["sdc"]})
    assert out["failed"] and out["refusal"]["kind"] == kind, out
    assert ascii(name) in out["msg"] and not any(c < " " for c in out["msg"]), out["msg"]
    assert env.writes == [] and "sdc" in env.disks


@pytest.mark.parametrize("spelling", [WWID.upper(), "naa." + WWID[1:], "naa." + WWID[1:].upper(), WWID[1:]])
@pytest.mark.parametrize("how", ["wwid", "devices"])
def test_a_users_wwid_in_another_spelling_enters_as_the_disks_and_deletes_it(env, run, spelling, how):
    """Fails when a user's WWID in another notation or hex case reaches the plan in the user's spelling (the act
    compares exactly) or keeps the disk it names from being deleted."""
    args = {"wwid": spelling} if how == "wwid" else {"devices": [{"name": "sdc", "hctl": "4:0:0:1", "wwid": spelling}]}
    planned = run(args, check=True)
    assert not planned.get("failed"), planned["msg"]
    wanted = set(s["identity"].get("wwid") for s in planned["plan"] if s["target"] == "sdc")
    assert wanted == {WWID}, planned["plan"]          # the kernel's spelling, exactly
    out = run(args)
    assert not out.get("failed"), out["msg"]
    assert "sdc" in out["removed"] and "sdc" not in env.disks


def test_a_users_device_naming_another_lu_is_refused_whatever_its_spelling(env, run):
    """Fails when the conversion of a user's WWID to the disk's spelling lets a disk of another LU be deleted."""
    out = run({"devices": [{"name": "sdc", "hctl": "4:0:0:1", "wwid": "naa." + WWID2[1:].upper()}]})
    assert out.get("failed") and out["refusal"]["kind"] == "identity", out
    assert "sdc" in env.disks and env.writes == []


@pytest.mark.parametrize("serial", ["", "   ", "a\nb"])
def test_an_expected_serial_that_is_blank_or_not_printable_is_a_clear_error(serial):
    """An empty expectation would not be compared at all (the identity check skips ""): the delete would go on
    without the serial check the caller asked for."""
    p = {"name": None, "hctl": None, "wwid": None, "devices": [{"name": "sdc", "serial": serial}]}
    with pytest.raises(scsi_delete.validate.InvalidInput):
        scsi_delete._validated(p)
