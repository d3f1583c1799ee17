# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/scans.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    context as act_context, scans as act_scans)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    disks as plan_disks, steps as plan_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    WWID, WWID2, disk, env)


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


# ---------------------------------------------------------------------------------------------- iSCSI scans, the refusals before a write
def test_scan_refuses_a_target_that_is_not_an_hctl_and_writes_nothing(env):
    """An exact scan needs the four numbers of H:C:T:L: three of them are refused as `invalid`, naming the target."""
    step = plan_steps.step("scan_exact_lun", "4:0:0", {"hctl": "4:0:0"})
    with pytest.raises(Refused) as info:
        act_scans.scan_exact_lun(env.host(), step)
    assert (info.value.kind, info.value.target) == ("invalid", "4:0:0") and env.writes == []


def test_scan_refuses_a_target_the_iscsi_host_no_longer_has(env):
    """host4 has target 4:0:0 only: a scan of 4:0:1:2 (a session gone since the plan) is refused as `no_target`,
    naming the SCSI host and the target, and nothing is written to the host's scan file."""
    step = plan_steps.step("scan_exact_lun", "4:0:1:2", {"hctl": "4:0:1:2"})
    with pytest.raises(Refused, match=r"^host4: target 4:0:1 is gone; not scanning$") as info:
        act_scans.scan_exact_lun(env.host(), step)
    assert (info.value.kind, info.value.target) == ("no_target", "host4") and env.writes == []


def test_scan_of_a_scsi_host_that_does_not_exist_says_it_is_absent(env):
    """No host9 in sysfs: refused as not a SAN host, the message saying the host is absent (not 'None')."""
    step = plan_steps.step("scan_exact_lun", "9:0:0:1", {"hctl": "9:0:0:1"})
    with pytest.raises(Refused, match=r"^host9: SCSI host9 is absent, not an iSCSI/FC host; not scanning$") as info:
        act_scans.scan_exact_lun(env.host(), step)
    assert info.value.kind == "not_san_host" and env.writes == []


def test_allow_non_san_lets_the_scan_of_a_local_scsi_host_through(env):
    """allow_non_san is the one way past the SAN-host refusal: host0 (transport "other") is scanned, and its result
    carries no target_wwpn (that is FC's)."""
    step = plan_steps.step("scan_exact_lun", "0:0:0:5", {"hctl": "0:0:0:5"})
    out = act_scans.scan_exact_lun(env.host(allow_non_san=True), step)
    assert out == {"outcome": "done", "written": "0 0 5", "host": "host0", "transport": "other"}
    assert [(kind, args[1]) for kind, args in env.writes] == [("scan", "0 0 5")]
    assert env.writes[0][1][0] == env.host().path("/sys/class/scsi_host/host0/scan")


def test_scan_of_an_absent_lun_skips_the_write_when_a_disk_is_already_there(env):
    """A step that expects the LUN absent (options.absent) finds sdc at 4:0:0:1 already: already_present, no write."""
    step = plan_steps.step("scan_exact_lun", "4:0:0:1", {"hctl": "4:0:0:1"}, options={"absent": True})
    assert act_scans.scan_exact_lun(env.host(), step) == {"outcome": "already_present"}
    assert env.writes == []


def test_scan_without_the_absent_option_writes_even_where_a_disk_is(env):
    """Without options.absent the presence of a disk is not looked at: the exact scan is written (a re-scan of a
    known LUN is harmless)."""
    step = plan_steps.step("scan_exact_lun", "4:0:0:1", {"hctl": "4:0:0:1"})
    out = act_scans.scan_exact_lun(env.host(), step)
    assert out == {"outcome": "done", "written": "0 0 1", "host": "host4", "transport": "iscsi"}
    assert [kind for kind, _args in env.writes] == ["scan"]


# ---------------------------------------------------------------------------------------------- rescan_disk
def test_rescan_of_a_disk_that_is_gone_is_refused_as_unknown(env):
    """No sdz on the host: refused as `unknown`, naming the disk; nothing is written."""
    step = plan_steps.step("rescan_disk", "sdz", {"name": "sdz", "hctl": "4:0:0:9", "dev": "8:99"})
    with pytest.raises(Refused, match=r"^disk sdz: is gone; nothing rescanned$") as info:
        act_scans.rescan_disk(env.host(), step)
    assert info.value.kind == "unknown" and env.writes == []


def test_rescan_looks_the_disk_up_by_the_step_target_when_the_identity_names_none(env):
    """An identity without a name: the disk is the step's target; the write goes to its own H:C:T:L, name and dev."""
    d = env.host().disk_now("sdd")
    out = act_scans.rescan_disk(env.host(), plan_steps.step("rescan_disk", "sdd", {"hctl": d["hctl"], "dev": d["dev"]}))
    assert out == {"outcome": "done", "hctl": "5:0:0:1"}
    assert env.writes == [("rescan", (env.host().path("/sys"), "5:0:0:1", "sdd", "8:48", "rescan", "1"))]


def test_rescan_refuses_a_disk_now_at_another_hctl(env):
    """The name came back at another address (another LU): refused as `identity`, naming the hctl difference."""
    step = plan_steps.step("rescan_disk", "sdc", {"name": "sdc", "hctl": "4:0:0:7", "dev": "8:32"})
    with pytest.raises(Refused, match="hctl expected 4:0:0:7, found 4:0:0:1") as info:
        act_scans.rescan_disk(env.host(), step)
    assert info.value.kind == "identity" and env.writes == []


# ---------------------------------------------------------------------------------------------- wait_disk_present
def polling_host(env, appears_after=None, d=None, wait_timeout=1.0):
    """(host, slept): an act context on env's fake clock whose wait is `wait_timeout`; each sleep is recorded in
    `slept`, and disk `d` is added to the tree right after sleep number `appears_after` (None: never)."""
    slept = []

    def sleep(s):
        env.clock.sleep(s)
        slept.append(s)
        if len(slept) == appears_after:
            env.add_disk(d)
    return env.host(sleep=sleep, wait_timeout=wait_timeout), slept


def new_lu(wwid=WWID2, hctl="4:0:0:2", name="sde", serial=None):
    return disk(name, hctl, "8:64", wwid, serial=serial)


def verify_step(target, **identity):
    identity.setdefault("hctl", target)
    return plan_steps.step("verify_identity", target, identity)


def wait_step(hctl="4:0:0:2"):
    return plan_steps.step("wait_disk_present", hctl, {"hctl": hctl})


def test_wait_returns_at_once_when_the_disk_is_already_there(env):
    """The disk at the H:C:T:L on the first read: done with its name, without a single sleep."""
    host, slept = polling_host(env)
    assert act_scans.wait_disk_present(host, wait_step("4:0:0:1")) == {"outcome": "done", "name": "sdc"}
    assert slept == []


def test_wait_polls_at_the_hosts_interval_until_the_disk_appears(env):
    """The disk appears after the second poll: done with its name after exactly two sleeps of poll_interval."""
    host, slept = polling_host(env, appears_after=2, d=new_lu())
    assert act_scans.wait_disk_present(host, wait_step()) == {"outcome": "done", "name": "sde"}
    assert slept == [host.poll_interval] * 2 and host.poll_interval == 0.25


def test_wait_still_finds_a_disk_that_appears_on_the_poll_at_the_deadline(env):
    """With a 1 s wait and 0.25 s polls the reads are at +0, +0.25, ..., +1.0: a disk there at the +1.0 read (after
    the 4th sleep) is found, the read comes before the deadline check."""
    host, slept = polling_host(env, appears_after=4, d=new_lu())
    assert act_scans.wait_disk_present(host, wait_step()) == {"outcome": "done", "name": "sde"}
    assert len(slept) == 4


def test_wait_fails_after_exactly_its_timeout_when_no_disk_appears(env):
    """A disk appearing only after the 5th sleep (+1.25 s) is past the 1 s wait: ActFailed on the H:C:T:L at +1.0,
    after 4 sleeps (not one more), with the timeout in its message and no detail."""
    host, slept = polling_host(env, appears_after=5, d=new_lu())
    start = env.clock.now
    with pytest.raises(ActFailed) as info:
        act_scans.wait_disk_present(host, wait_step())
    assert str(info.value) == "4:0:0:2: no disk appeared within 1s of the scan"
    assert (info.value.target, info.value.detail) == ("4:0:0:2", {})
    assert env.clock.now - start == 1.0 and slept == [0.25] * 4


def test_wait_message_states_the_hosts_wait_timeout(env):
    """The message gives the host's wait_timeout (here 2 s, rounded to whole seconds), not a constant."""
    host, slept = polling_host(env, wait_timeout=2.4)
    with pytest.raises(ActFailed, match=r"within 2s of the scan$"):
        act_scans.wait_disk_present(host, wait_step())
    assert len(slept) == 10   # 0, 0.25, ..., 2.25 below 2.4; the read at 2.5 is past it


def test_wait_does_not_take_a_scsi_device_without_a_block_device_for_a_disk(env):
    """The scsi_device is there but its sd not yet ("" from disk_at): no disk is looked up by an empty name, the
    wait goes on to its deadline."""
    env._mk("sys/class/scsi_device/4:0:0:2")
    host, slept = polling_host(env)
    with pytest.raises(ActFailed):
        act_scans.wait_disk_present(host, wait_step())
    assert [c for c in env.reader.calls if c[0] == "disk"] == [] and len(slept) == 4


def test_wait_does_not_take_a_name_the_reader_does_not_know(env):
    """sysfs names sdz at the H:C:T:L but reading the disk finds none (gone between the two reads): not done, the
    wait fails at its deadline."""
    env._mk("sys/class/scsi_device/4:0:0:2/device/block/sdz")
    host, _slept = polling_host(env)
    with pytest.raises(ActFailed):
        act_scans.wait_disk_present(host, wait_step())
    assert ("disk", "sdz") in env.reader.calls


def test_wait_does_not_take_a_disk_the_reader_places_at_another_hctl(env):
    """sysfs names sdc at 4:0:0:2, but sdc read as a disk is at 4:0:0:1 (the name was reused in between): that is
    not the disk the scan made, the wait fails at its deadline."""
    env._mk("sys/class/scsi_device/4:0:0:2/device/block/sdc")
    host, _slept = polling_host(env)
    with pytest.raises(ActFailed):
        act_scans.wait_disk_present(host, wait_step())


def test_wait_takes_any_lu_at_the_address_and_leaves_its_identity_to_verify_lun(env):
    """The exact scan brings up another LU than expected (WWID instead of WWID2): wait_disk_present is done (it
    waits for an address, nothing more) and verify_lun, the next step, refuses it."""
    env.pending_luns["4:0:0:2"] = new_lu(wwid=WWID)
    host = env.host(wait_timeout=1.0)
    scan = plan_steps.step("scan_exact_lun", "4:0:0:2", {"hctl": "4:0:0:2"}, options={"absent": True})
    done = {"outcome": "done", "written": "0 0 2", "host": "host4", "transport": "iscsi"}
    assert act_scans.scan_exact_lun(host, scan) == done
    assert act_scans.wait_disk_present(host, wait_step()) == {"outcome": "done", "name": "sde"}
    with pytest.raises(ActFailed) as info:
        act_scans.verify_lun(host, verify_step("4:0:0:2", wwid=WWID2))
    assert info.value.detail == {"diff": {"wwid": {"expected": WWID2, "actual": WWID}}}


# ---------------------------------------------------------------------------------------------- verify_lun
def test_verify_accepts_the_lu_with_the_expected_wwid_and_serial(env):
    """The disk at the H:C:T:L shows the expected WWID and serial: done, with its name, WWID and serial."""
    serial = env.disks["sdc"]["serial"]
    out = act_scans.verify_lun(env.host(), verify_step("4:0:0:1", wwid=WWID, serial=serial))
    assert out == {"outcome": "done", "name": "sdc", "wwid": WWID, "serial": serial}


@pytest.mark.parametrize("spelling", ["naa.600A09803830447A4F244C4657616F6F", "3600A09803830447A4F244C4657616F6F"])
def test_verify_accepts_the_expected_wwid_in_another_spelling(env, spelling):
    """The expectation comes from outside (array truth, a user's option): naa. notation and upper-case hex name the
    same LU; the result gives the WWID as the host spells it."""
    assert act_scans.verify_lun(env.host(), verify_step("4:0:0:1", wwid=spelling))["wwid"] == WWID


@pytest.mark.parametrize("form", ["hex", "0hex"])
def test_verify_accepts_the_serial_in_lios_hex_form(env, form):
    """LIO shows the ASCII serial as hex, maybe with a leading 0 (lab finding 7): that is the expected serial."""
    serial = env.disks["sdc"]["serial"]
    shown = ("0" if form == "0hex" else "") + serial.encode("ascii").hex()
    env.disks["sdc"]["serial"] = shown
    out = act_scans.verify_lun(env.host(), verify_step("4:0:0:1", serial=serial))
    assert out["serial"] == shown


@pytest.mark.parametrize("empty", [None, ""])
def test_verify_does_not_compare_what_the_expectation_leaves_out(env, empty):
    """No expected WWID or serial (None or ""): nothing to compare, whatever the disk shows; expecting one of them
    compares that one only."""
    env.disks["sdc"]["serial"] = None
    out = act_scans.verify_lun(env.host(), verify_step("4:0:0:1", wwid=empty, serial=empty))
    assert out == {"outcome": "done", "name": "sdc", "wwid": WWID, "serial": None}
    assert act_scans.verify_lun(env.host(), verify_step("4:0:0:1", wwid=WWID, serial=empty))["name"] == "sdc"
    env.disks["sdc"]["serial"], env.disks["sdc"]["wwid"] = "80AbLIVE", None
    assert act_scans.verify_lun(env.host(), verify_step("4:0:0:1", wwid=empty, serial="80AbLIVE"))["name"] == "sdc"


def test_verify_refuses_another_wwid_naming_it_in_the_message_and_the_detail(env):
    """Another LU at the address (WWID2 expected, WWID shown): ActFailed on the H:C:T:L, the message naming the disk
    and the difference, the detail's diff the WWID only (the serial matched)."""
    serial = env.disks["sdc"]["serial"]
    with pytest.raises(ActFailed) as info:
        act_scans.verify_lun(env.host(), verify_step("4:0:0:1", wwid=WWID2, serial=serial))
    assert str(info.value) == ("4:0:0:1: sdc shows the wrong identity after the scan (wwid expected %s, found %s)"
                               % (WWID2, WWID))
    assert info.value.target == "4:0:0:1"
    assert info.value.detail == {"diff": {"wwid": {"expected": WWID2, "actual": WWID}}}


def test_verify_refuses_another_serial(env):
    """Same WWID, another serial (a reused LUN id whose VPD says another LU): refused, the diff the serial only."""
    env.disks["sdc"]["serial"] = "80AbOTHER"
    with pytest.raises(ActFailed, match=r"\(serial expected 80AbEXPECT, found 80AbOTHER\)$") as info:
        act_scans.verify_lun(env.host(), verify_step("4:0:0:1", wwid=WWID, serial="80AbEXPECT"))
    assert info.value.detail == {"diff": {"serial": {"expected": "80AbEXPECT", "actual": "80AbOTHER"}}}


def test_verify_reports_both_differences_at_once(env):
    """WWID and serial both wrong: one failure listing both, serial first (sorted)."""
    env.disks["sdc"]["serial"] = "80AbOTHER"
    with pytest.raises(ActFailed, match=r"\(serial expected 80AbEXPECT, found 80AbOTHER, wwid expected ") as info:
        act_scans.verify_lun(env.host(), verify_step("4:0:0:1", wwid=WWID2, serial="80AbEXPECT"))
    assert sorted(info.value.detail["diff"]) == ["serial", "wwid"]


@pytest.mark.parametrize("field", ["wwid", "serial"])
@pytest.mark.parametrize("shown", [None, ""])
def test_verify_refuses_a_disk_that_shows_no_value_for_an_expected_field(env, field, shown):
    """An expected WWID or serial the disk does not show (None or "", VPD not read) is no match: refused, the
    diff giving what it showed."""
    expected = {"wwid": WWID, "serial": env.disks["sdc"]["serial"]}[field]
    env.disks["sdc"][field] = shown
    with pytest.raises(ActFailed) as info:
        act_scans.verify_lun(env.host(), verify_step("4:0:0:1", **{field: expected}))
    assert info.value.detail == {"diff": {field: {"expected": expected, "actual": shown}}}


def test_verify_fails_when_no_scsi_device_is_at_the_address(env):
    """Nothing at 4:0:0:2: ActFailed on it, 'no disk ... to verify', no detail."""
    with pytest.raises(ActFailed) as info:
        act_scans.verify_lun(env.host(), verify_step("4:0:0:2", wwid=WWID))
    assert str(info.value) == "4:0:0:2: no disk at 4:0:0:2 to verify"
    assert (info.value.target, info.value.detail) == ("4:0:0:2", {})


def test_verify_fails_on_a_scsi_device_without_its_disk_and_looks_up_no_empty_name(env):
    """A scsi_device whose sd is not there yet: no disk to verify, and no lookup of a disk named ""."""
    env._mk("sys/class/scsi_device/4:0:0:2")
    with pytest.raises(ActFailed, match=r"^4:0:0:2: no disk at 4:0:0:2 to verify$"):
        act_scans.verify_lun(env.host(), verify_step("4:0:0:2", wwid=WWID))
    assert [c for c in env.reader.calls if c[0] == "disk"] == []


def test_verify_fails_when_the_reader_has_no_disk_of_the_name_sysfs_gives(env):
    """sysfs names sdz at the address, the disk read finds none: no disk to verify."""
    env._mk("sys/class/scsi_device/4:0:0:2/device/block/sdz")
    with pytest.raises(ActFailed, match=r"^4:0:0:2: no disk at 4:0:0:2 to verify$"):
        act_scans.verify_lun(env.host(), verify_step("4:0:0:2", wwid=WWID))
    assert ("disk", "sdz") in env.reader.calls


def test_verify_reads_the_identitys_hctl_before_the_step_target(env):
    """The identity's H:C:T:L is the address verified (the target is only the fallback): identity 4:0:0:1 with
    target 4:0:0:2 verifies sdc; an identity without one verifies the target."""
    step = plan_steps.step("verify_identity", "4:0:0:2", {"hctl": "4:0:0:1", "wwid": WWID})
    assert act_scans.verify_lun(env.host(), step)["name"] == "sdc"
    step = plan_steps.step("verify_identity", "5:0:0:1", {"wwid": WWID})
    assert act_scans.verify_lun(env.host(), step)["name"] == "sdd"


# ---------------------------------------------------------------------------------------------- what a refusal or a failed write reports
# Refused.to_dict (target, kind, msg, evidence) and str(ActFailed) are what the step's outcome in the module result
# shows: the target names the device or SCSI host an operator looks at, the message why nothing (or what) was written.
def test_scan_of_a_target_that_is_not_an_hctl_says_so_in_its_message(env):
    """The refusal of a target that is not four numbers says what it wanted."""
    step = plan_steps.step("scan_exact_lun", "4:0:0", {"hctl": "4:0:0"})
    with pytest.raises(Refused) as info:
        act_scans.scan_exact_lun(env.host(), step)
    assert str(info.value) == "4:0:0: is not an H:C:T:L"


def test_allow_non_san_on_an_absent_scsi_host_refuses_the_target_as_gone(env):
    """allow_non_san lets an absent host9 (no info read) past the SAN-host check: its target is then not among the
    (no) targets, refused as `no_target` (not a TypeError on a missing target list), nothing written."""
    step = plan_steps.step("scan_exact_lun", "9:0:0:1", {"hctl": "9:0:0:1"})
    with pytest.raises(Refused, match=r"^host9: target 9:0:0 is gone; not scanning$") as info:
        act_scans.scan_exact_lun(env.host(allow_non_san=True), step)
    assert (info.value.kind, info.value.target) == ("no_target", "host9") and env.writes == []


def test_a_failed_scan_write_fails_the_step_on_the_scsi_host_naming_the_write(env):
    """The kernel refuses the write to host4's scan file (here: it is no file): ActFailed on host4, its message
    naming the exact write that failed and why."""
    scan = env._p("sys/class/scsi_host/host4/scan")
    os.remove(scan)
    os.mkdir(scan)
    step = plan_steps.step("scan_exact_lun", "4:0:0:2", {"hctl": "4:0:0:2"})
    with pytest.raises(ActFailed) as info:
        act_scans.scan_exact_lun(env.host(), step)
    assert info.value.target == "host4"
    assert str(info.value).startswith("host4: write '0 0 2' to /sys/class/scsi_host/host4/scan failed: "), str(info.value)
    assert "IsADirectoryError" in str(info.value) and env.writes == []


def test_a_failed_rescan_write_fails_the_step_on_the_disk_naming_the_write(env):
    """The kernel refuses the write of sdc's rescan attribute: ActFailed on `disk sdc`, its message naming the write
    to its H:C:T:L and why."""
    rescan = env._p("sys/devices/scsi/4:0:0:1/rescan")
    os.remove(rescan)
    os.mkdir(rescan)
    step = plan_steps.step("rescan_disk", "sdc", {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32"})
    with pytest.raises(ActFailed) as info:
        act_scans.rescan_disk(env.host(), step)
    assert info.value.target == "disk sdc"
    assert str(info.value).startswith("disk sdc: write 1 to /sys/class/scsi_device/4:0:0:1/device/rescan failed: "), \
        str(info.value)
    assert "IsADirectoryError" in str(info.value) and env.writes == []


def test_rescan_refused_on_another_identity_names_the_disk_and_the_whole_difference(env):
    """The refusal of a disk now at another address names `disk sdc` and says what changed, in full."""
    step = plan_steps.step("rescan_disk", "sdc", {"name": "sdc", "hctl": "4:0:0:7", "dev": "8:32"})
    with pytest.raises(Refused) as info:
        act_scans.rescan_disk(env.host(), step)
    assert info.value.target == "disk sdc"
    assert str(info.value) == "disk sdc: changed since it was planned (hctl expected 4:0:0:7, found 4:0:0:1)"


FC_A, FC_B = "0x200100a098aa0001", "0x200200a098aa0002"


def fc_info(*ports):
    return {"host": 5, "transport": "fc", "targets": ["5:0:1"], "target_ports": {"5:0:1": list(ports)}}


@pytest.mark.parametrize("ports, found", [([FC_A], FC_A), ([FC_A, FC_B], FC_A + ", " + FC_B), ([], "none")])
def test_fc_scan_without_a_planned_port_names_the_scsi_host_and_the_ports_found(ports, found):
    """A step naming no remote port is refused on the SCSI host (host5, not the H:C:T), its message listing every
    port found at the target, or `none`."""
    with pytest.raises(Refused) as info:
        act_scans._same_target_port(fc_info(*ports), "5:0:1", None)  # pylint: disable=protected-access
    assert (info.value.target, info.value.kind) == ("host5", "target_port")
    assert str(info.value) == "host5: the plan names no FC remote port for target 5:0:1 (found %s); not scanning" % found


@pytest.mark.parametrize("ports, found", [([FC_B], FC_B), ([FC_A, FC_B], FC_A + ", " + FC_B), ([], "(none read)")])
def test_fc_scan_at_another_port_names_the_scsi_host_the_ports_found_and_the_one_planned(ports, found):
    """Another port (or more than the one planned, or none) at the target: refused on host5, the message and the
    evidence giving the ports found and the one expected."""
    with pytest.raises(Refused) as info:
        act_scans._same_target_port(fc_info(*ports), "5:0:1", FC_A)  # pylint: disable=protected-access
    assert (info.value.target, info.value.kind) == ("host5", "target_port")
    assert str(info.value) == ("host5: target 5:0:1 is reached through remote port %s, not %s as planned; not scanning"
                               % (found, FC_A))
    assert info.value.to_dict()["evidence"] == {"expected": FC_A, "found": ports}
