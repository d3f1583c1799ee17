# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/reread.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    context as act_context, execute)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import disks as plan_disks
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    WWID, WWID2, disk, same_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    by_map, fc_snap_of, fc_targets, judge)


# ---------------------------------------------------------------------------------------------- scanning
def test_exact_scan_writes_c_t_l_to_the_right_host_only(env):
    """Fails when a scan writes other than channel, target and LUN to the right host, or a wildcard."""
    env.pending_luns["4:0:0:2"] = disk("sde", "4:0:0:2", "8:64", WWID2)
    host = env.host()
    plan = plan_disks.plan_rescan(hctl="4:0:0:2", host_info=obs_reread.scsi_host_info(host, 4), existing=None,
                                  expect={"wwid": WWID2})
    executed = execute.execute(plan, host)
    assert same_steps(plan, executed)
    assert env.writes[0][0] == "scan"
    path, data = env.writes[0][1]
    assert path.endswith("/sys/class/scsi_host/host4/scan") and data == "0 0 2"
    assert "-" not in data
    assert executed[-1]["detail"]["wwid"] == WWID2


def test_scan_verifies_the_new_identity(env):
    """Fails when a scanned LUN answering as another LU than expected is accepted."""
    env.pending_luns["4:0:0:2"] = disk("sde", "4:0:0:2", "8:64", WWID)   # the array said WWID2
    host = env.host()
    plan = plan_disks.plan_rescan(hctl="4:0:0:2", host_info=obs_reread.scsi_host_info(host, 4), existing=None,
                                  expect={"wwid": WWID2})
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step.action == "verify_identity" and "wrong identity" in str(info.value)


def test_scan_hung_write_fails_clearly(env):
    """Fails when a hung scan write is not stopped at its deadline."""
    env.hang.add("scan")
    host = env.host()
    plan = plan_disks.plan_rescan(hctl="4:0:0:2", host_info=obs_reread.scsi_host_info(host, 4), existing=None)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert isinstance(info.value.cause, deadline.DeadlineExceeded)


def test_host_info_reads_targets_of_iscsi_and_local_hosts(env):
    """Fails when a SCSI host's transport or targets are misread, or a missing host is not None."""
    host = env.host()
    assert obs_reread.scsi_host_info(host, 4) == {"host": 4, "transport": "iscsi", "targets": ["4:0:0"]}
    assert obs_reread.scsi_host_info(host, 0)["transport"] == "other"
    assert obs_reread.scsi_host_info(host, 42) is None


def test_exact_lun_rescan_is_addressed_to_the_rports_channel_and_target():
    """Fails when an FC exact LUN scan is not addressed to its rport's channel and target."""
    snap, truth, reader = fc_snap_of("fc_healthy")
    sys_root = os.path.join(reader.root, "sys")
    for r in truth["fc"]["rports"]:
        info = obs_reread.read_scsi_host(sys_root, r["host"])
        want = "%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"])
        assert info == {"host": r["host"], "transport": "fc", "targets": [want],
                        "target_ports": {want: [r["port_name"]]}}, info
        steps = plan_disks.plan_rescan(hctl=want + ":7", host_info=info, existing=None)
        assert steps[0].action == "scan_exact_lun" and steps[0].options["target_wwpn"] == r["port_name"]
        assert "write '%d %s 7' to /sys/class/scsi_host/host%d/scan" % (
            r["channel"], r["scsi_target_id"], r["host"]) in steps[0].reason
    # the target-side fc_hosts have no SCSI target: nothing there can be scanned
    for h in truth["fc"]["fc_hosts"]:
        if h["role"] == "target":
            info = obs_reread.read_scsi_host(sys_root, h["host"])
            assert info["transport"] == "fc" and info["targets"] == [] and info["target_ports"] == {}
            with pytest.raises(Refused):
                plan_disks.plan_rescan(hctl="%d:0:0:1" % h["host"], host_info=info, existing=None)


@pytest.mark.parametrize("scenario", ["fc_healthy", "fc_rport_blocked"])
def test_an_online_rport_stays_scannable_after_its_last_lun_went(scenario, tmp_path):
    """The kernel removes targetH:C:T with its last sd (seen in the lab: the only LUNs behind an rport reused and
    deleted, then the exact rescan refused "target gone"). The rport keeps its channel and scsi_target_id and the
    kernel's FC scan reaches it while it is Online: the target stays addressable. A Blocked rport is not."""
    import shutil
    _snap, truth, reader = fc_snap_of(scenario)
    root = str(tmp_path / "root")
    shutil.copytree(reader.root, root, symlinks=True)
    sys_root = os.path.join(root, "sys")
    for r in truth["fc"]["rports"]:
        # .../hostH/rport-H:C-R/fc_remote_ports/rport-H:C-R -> .../hostH/rport-H:C-R/targetH:C:T
        rport_dir = os.path.realpath(os.path.join(sys_root, "class", "fc_remote_ports", r["rport"]))
        target_dir = os.path.join(os.path.dirname(os.path.dirname(rport_dir)),
                                  "target%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"]))
        assert os.path.isdir(target_dir), target_dir
        shutil.rmtree(target_dir)
        info = obs_reread.read_scsi_host(sys_root, r["host"])
        want = "%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"])
        if r["port_state"] == "Online":
            assert info["targets"] == [want], info
            steps = plan_disks.plan_rescan(hctl=want + ":1", host_info=info, existing=None)
            assert steps[0].action == "scan_exact_lun" and steps[0].target == want + ":1"
        else:
            assert info["targets"] == [], info
            with pytest.raises(Refused):
                plan_disks.plan_rescan(hctl=want + ":1", host_info=info, existing=None)


def test_a_marginal_rport_is_read_as_working_never_as_dead_or_gone(tmp_path):
    """Marginal (the fabric reported a degraded link, FPIN: the rport still carries I/O) on every rport of the
    captured healthy fabric: the maps stay healthy against the array, nothing is stale or repaired, the FC
    audit does not report the rports down, and their targets stay exact-scan targets."""
    import shutil
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import fc_audit
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        CapturedRun, inline_call)
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr
    _snap, truth, reader = fc_snap_of("fc_healthy")
    root = str(tmp_path / "root")
    shutil.copytree(reader.root, root, symlinks=True)
    for r in truth["fc"]["rports"]:
        with open(os.path.join(root, "sys", "class", "fc_remote_ports", r["rport"], "port_state"), "w") as fh:
            fh.write("Marginal\n")
    marginal = sr.Host(root=root, run=CapturedRun(os.path.join(os.path.dirname(reader.root), "commands")),
                       call=inline_call).snapshot(probe=True)
    rports = dict((r["rport"], r["port_state"]) for r in marginal["host"]["fc_rports"])
    assert set(rports[r["rport"]] for r in truth["fc"]["rports"]) == {"Marginal"}
    fc = truth["fc"]
    vs = by_map(judge(marginal, fc, fc_targets(fc)))
    for wwid in fc["mapped"].values():
        assert vs[wwid]["kind"] == "healthy", vs[wwid]
    assert [f for f in fc_audit.judge(marginal) if f["check"] == "rport_down_with_devices"] == []
    for r in fc["rports"]:
        info = obs_reread.read_scsi_host(os.path.join(root, "sys"), r["host"])
        assert info["targets"] == ["%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"])], info
