# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/modules/scsi_rescan.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.modules import scsi_rescan
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, WWID2, disk)


NEW_SERIAL = "81LgM$V4waSp"


@pytest.fixture
def env(tmp_path):
    e = FakeEnv(tmp_path)
    e._drop_map(e.maps[WWID])
    return e


MODULE = scsi_rescan


def test_exact_scan_check_mode_equals_real_run(env, run):
    """Fails when scsi_rescan's check mode writes, or plans other than the real run does."""
    env.pending_luns["4:0:0:2"] = disk("sde", "4:0:0:2", "8:64", WWID2, serial=NEW_SERIAL)
    args = {"hctl": "4:0:0:2", "expect_wwid": WWID2, "expect_serial": NEW_SERIAL}
    planned = run(args, check=True)
    assert planned["changed"] and env.writes == []
    real = run(args)
    assert not real.get("failed") and real["plan"] == planned["plan"]
    assert [(s["action"], s["target"]) for s in real["executed"]] == [(s["action"], s["target"])
                                                                      for s in planned["plan"]]
    assert real["disk"] == "sde"
    path, data = env.writes[0][1]
    assert path.endswith("/sys/class/scsi_host/host4/scan") and data == "0 0 2"


def test_never_a_wildcard_scan(env, run):
    """Fails when scsi_rescan writes a wildcard scan or accepts one."""
    env.pending_luns["5:0:0:7"] = disk("sdf", "5:0:0:7", "8:80", WWID2)
    run({"hctl": "5:0:0:7"})
    assert [w[1][1] for w in env.writes] == ["0 0 7"]
    assert all("-" not in w[1][1] for w in env.writes)
    out = run({"hctl": "- - -"})
    assert out["failed"]


def test_present_lun_is_not_rescanned(env, run):
    """Fails when a LUN already present is rescanned."""
    out = run({"hctl": "4:0:0:1"})
    assert out["changed"] is False and out["plan"] == [] and env.writes == []
    assert out["disk"] == "sdc"


def test_non_san_host_refused(env, run):
    """Fails when scsi_rescan scans a host that is not iSCSI or FC."""
    out = run({"hctl": "0:0:0:4"})
    assert out["failed"] and out["refusal"]["kind"] == "not_san_host" and env.writes == []


def test_unknown_host_or_target_refused(env, run):
    """Fails when scsi_rescan scans a host or target the kernel does not have."""
    out = run({"hctl": "9:0:0:1"})
    assert out["failed"] and out["refusal"]["kind"] == "not_san_host"
    out = run({"hctl": "4:0:3:1"})
    assert out["failed"] and out["refusal"]["kind"] == "no_target"
    assert env.writes == []


def test_wrong_identity_after_scan_fails(env, run):
    """Fails when a scanned LUN answering as another LU than expected is accepted."""
    env.pending_luns["4:0:0:2"] = disk("sde", "4:0:0:2", "8:64", WWID)
    out = run({"hctl": "4:0:0:2", "expect_wwid": WWID2})
    assert out["failed"] and out["failed_step"]["action"] == "verify_identity"
    assert "wrong identity" in out["msg"]


def test_lun_that_never_appears_fails_after_the_wait(env, run):
    """Fails when a LUN that never appears after the scan is not a failure."""
    out = run({"hctl": "4:0:0:6", "timeout": 2})
    assert out["failed"] and out["failed_step"]["action"] == "wait_disk_present"


def test_failure_during_execution_carries_msg_executed_and_step(env, run):
    """The ExecutionError path merges the error's msg/executed into the result exactly once."""
    env.pending_luns["4:0:0:2"] = disk("sde", "4:0:0:2", "8:64", WWID)
    out = run({"hctl": "4:0:0:2", "expect_wwid": WWID2})
    assert out["failed"] is True and out["changed"] is True
    assert out["msg"].startswith("4:0:0:2: sde shows the wrong identity") and WWID2 in out["msg"]
    assert [(s["action"], s["outcome"]) for s in out["executed"]] == [("scan_exact_lun", "done"),
                                                                      ("wait_disk_present", "done")]
    assert out["failed_step"] == out["plan"][2] and out["failed_step"]["action"] == "verify_identity"


def test_rescan_existing_disk_after_serial_mismatch(env, run):
    """Fails when a disk rescan after a serial mismatch does not run as planned."""
    env.disks["sdc"]["new_serial"], env.disks["sdc"]["new_wwid"] = NEW_SERIAL, WWID2
    planned = run({"name": "sdc", "expect_wwid": WWID2}, check=True)
    out = run({"name": "sdc", "expect_wwid": WWID2})
    assert not out.get("failed")
    assert [s["action"] for s in out["executed"]] == [s["action"] for s in planned["plan"]] == [
        "rescan_disk", "verify_identity"]
    assert env.writes[0][1][4:] == ("rescan", "1")


def test_rescan_unknown_and_non_san_disk(env, run):
    """Fails when scsi_rescan rescans an unknown or non-SAN disk."""
    out = run({"name": "sdz"})
    assert out["failed"] and out["refusal"]["kind"] == "unknown"
    env.disks["sdc"]["transport"] = "other"
    out = run({"name": "sdc"})
    assert out["failed"] and out["refusal"]["kind"] == "transport"
    assert env.writes == []


def test_hung_scan_write_fails_clearly(env, run):
    """Fails when a hung scan write is not reported with its deadline."""
    env.hang.add("scan")
    out = run({"hctl": "4:0:0:2", "command_timeout": 2})
    assert out["failed"] and "did not finish within 2.0s" in out["msg"]


@pytest.mark.parametrize("args,needle", [
    ({"name": "../sda"}, "SCSI disk name"),
    ({"hctl": "4:0:0:x"}, "H:C:T:L"),
    ({"hctl": "4:0:0:1/../.."}, "H:C:T:L"),
    ({"hctl": "4:0:0:2", "expect_wwid": "zz/.."}, "WWID"),
    ({"hctl": "4:0:0:2", "expect_serial": "a\nb"}, "expect_serial"),
])
def test_bad_input_fails_before_anything_is_read(env, args, needle, run):
    """Fails when bad scsi_rescan input is not refused before anything is read."""
    out = run(args)
    assert out["failed"] and needle in out["msg"] and env.reader.calls == [] and env.writes == []


@pytest.mark.parametrize("args", [
    {}, {"hctl": "4:0:0:1", "name": "sdc"}, {"hctl": "4:0:0:2", "timeout": "x"}, {"hctl": "4:0:0:2", "lun": 3},
])
def test_wrong_types_and_combinations_fail(env, args, run):
    """Fails when scsi_rescan accepts wrong argument types or combinations."""
    out = run(args)
    assert out["failed"] and env.writes == []


@pytest.mark.parametrize("spelling", [WWID2.upper(), "naa." + WWID2[1:], "naa." + WWID2[1:].upper(), WWID2[1:]])
def test_an_expected_wwid_in_another_spelling_enters_as_the_kernel_spells_the_lu(env, run, spelling):
    """Fails when expect_wwid in another notation or hex case reaches the verify step in the user's spelling instead
    of the kernel's (lower-case hex after 3), or does not verify the LU it names after the scan."""
    env.pending_luns["4:0:0:2"] = disk("sde", "4:0:0:2", "8:64", WWID2, serial=NEW_SERIAL)
    planned = run({"hctl": "4:0:0:2", "expect_wwid": spelling}, check=True)
    assert planned["plan"][-1]["action"] == "verify_identity" and planned["plan"][-1]["identity"]["wwid"] == WWID2
    out = run({"hctl": "4:0:0:2", "expect_wwid": spelling})
    assert not out.get("failed"), out["msg"]
    assert out["executed"][-1]["detail"]["wwid"] == WWID2 and out["disk"] == "sde"
