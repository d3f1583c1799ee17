# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/scans.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    context as act_context, scans as act_scans)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    disks as plan_disks, steps as plan_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)


def test_scan_refuses_a_non_san_host_at_act_time(env):
    """Fails when the act scans a SCSI host that is not iSCSI or FC."""
    step = plan_steps.step("scan_exact_lun", "0:0:0:5", {"hctl": "0:0:0:5"}, options={"absent": True})
    with pytest.raises(Refused) as info:
        act_scans.scan_exact_lun(env.host(), step)
    assert info.value.kind == "not_san_host"
    assert env.writes == []


# ---------------------------------------------------------------------------------------------- FC scans
def fc_tree(tmp_path):
    """(tree, act context) of a host with several FC rports per SCSI host whose numbers are not their target
    ids (observe/helpers.py: fc_several_rports)."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        fc_several_rports, inline_call)
    tree = fc_several_rports(tmp_path)
    return tree, act_context.ActContext(tree.reader(), run=tree.run, call=inline_call, root=tree.root)


def scan_file(tree, h):
    with open(tree.path("/sys/class/scsi_host/host%d/scan" % h)) as fh:
        return fh.read()


def test_fc_exact_scan_writes_the_target_id_and_expects_the_port_of_the_rport_at_that_target(tmp_path):
    """The exact scan addresses the SCSI target id (C T L), not the rport number, and the step names the port of
    the rport at that target: reading rport-H:C-<T> instead would expect another array port."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import FC_PORTS
    tree, host = fc_tree(tmp_path)
    info = obs_reread.scsi_host_info(host, 5)
    assert info == {"host": 5, "transport": "fc", "targets": ["5:0:0", "5:0:1", "5:0:2"],
                    "target_ports": {"5:0:0": [FC_PORTS["5c"]], "5:0:1": [FC_PORTS["5a"]],
                                     "5:0:2": [FC_PORTS["5b"]]}}
    assert obs_reread.scsi_host_info(host, 6)["target_ports"] == {"6:0:0": [FC_PORTS["6a"]],
                                                                  "6:0:1": [FC_PORTS["6c"]]}
    for hct, port in (("5:0:1", "5a"), ("5:0:2", "5b"), ("6:0:1", "6c")):
        h, c, t = hct.split(":")
        plan = plan_disks.plan_rescan(hctl=hct + ":9", host_info=obs_reread.scsi_host_info(host, int(h)), existing=None)
        assert plan[0].options["target_wwpn"] == FC_PORTS[port], plan[0]
        out = act_scans.scan_exact_lun(host, plan[0])
        assert out == {"outcome": "done", "written": "%s %s 9" % (c, t), "host": "host" + h, "transport": "fc",
                       "target_wwpn": FC_PORTS[port]}
        assert scan_file(tree, int(h)) == "%s %s 9" % (c, t)


def test_fc_scan_refuses_when_another_port_answers_at_the_planned_target(tmp_path):
    """Between plan and act the planned port left (its rport Not Present, no target id) and another array port
    was bound to the same target id: a scan there would find another array's LU at that LUN id. Nothing is written."""
    tree, host = fc_tree(tmp_path)
    plan = plan_disks.plan_rescan(hctl="5:0:1:9", host_info=obs_reread.scsi_host_info(host, 5), existing=None)
    gone = "/sys/class/fc_remote_ports/rport-5:0-3/"
    tree._write(gone + "port_state", "Not Present\n")
    tree._write(gone + "scsi_target_id", "-1\n")
    tree.fc_rport(5, 4, "0x200900a098cc0009", 1)
    with pytest.raises(Refused) as info:
        act_scans.scan_exact_lun(host, plan[0])
    assert info.value.kind == "target_port" and info.value.evidence["found"] == ["0x200900a098cc0009"], info.value
    assert scan_file(tree, 5) == ""


def test_fc_scan_step_that_names_no_port_is_refused(tmp_path):
    """An FC scan step without the port it expects (made by hand, or by a planner that lost it) cannot be
    checked against the port answering there: refused, nothing written."""
    tree, host = fc_tree(tmp_path)
    step = plan_steps.step("scan_exact_lun", "5:0:1:9", {"hctl": "5:0:1:9"}, options={"absent": True})
    with pytest.raises(Refused) as info:
        act_scans.scan_exact_lun(host, step)
    assert info.value.kind == "target_port"
    assert scan_file(tree, 5) == ""


@pytest.mark.parametrize("state, scannable", [("Marginal", True), ("Blocked", False), ("Not Present", False),
                                              ("Offline", False), ("Error", False), ("Unknown", False),
                                              ("", False), ("Lost in space", False)])
def test_fc_scan_reaches_an_online_or_marginal_rport_only(tmp_path, state, scannable):
    """Marginal (the fabric reported a degraded link; the rport still carries I/O) is scanned as Online is (the
    kernel's FC user scan takes both); every other state, one this code does not know or one not read, is not
    a scan target: the plan refuses and so does the act, nothing is written."""
    tree, host = fc_tree(tmp_path)
    plan = plan_disks.plan_rescan(hctl="5:0:1:9", host_info=obs_reread.scsi_host_info(host, 5), existing=None)
    tree._write("/sys/class/fc_remote_ports/rport-5:0-3/port_state", state + "\n")
    info = obs_reread.scsi_host_info(host, 5)
    assert ("5:0:1" in info["targets"]) is scannable, info
    if scannable:
        assert act_scans.scan_exact_lun(host, plan[0])["written"] == "0 1 9"
        return
    with pytest.raises(Refused) as refused:
        plan_disks.plan_rescan(hctl="5:0:1:9", host_info=info, existing=None)
    assert refused.value.kind == "no_target"
    with pytest.raises(Refused) as refused:
        act_scans.scan_exact_lun(host, plan[0])
    assert refused.value.kind == "no_target" and scan_file(tree, 5) == ""


def test_the_recheck_before_a_rescan_compares_name_address_and_dev_only(env):
    """Fails when the re-check before a disk's rescan compares the WWID or serial (what the rescan is there to read
    again: a reused LUN keeps the old VPD until then) or lets another major:minor through."""
    d = env.host().disk_now("sdc")
    old_lu = {"name": "sdc", "hctl": d["hctl"], "dev": d["dev"], "wwid": "3600a0980aaaa", "serial": "old"}
    out = act_scans.rescan_disk(env.host(), plan_steps.step("rescan_disk", "sdc", old_lu))
    assert out == {"outcome": "done", "hctl": d["hctl"]} and env.writes[0][1][4:] == ("rescan", "1")
    env.writes[:] = []
    with pytest.raises(Refused, match="dev expected 8:99") as refused:
        act_scans.rescan_disk(env.host(), plan_steps.step("rescan_disk", "sdc", dict(old_lu, dev="8:99")))
    assert refused.value.kind == "identity" and env.writes == []
