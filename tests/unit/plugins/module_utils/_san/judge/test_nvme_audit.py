# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/nvme_audit.py`: each host is a sysfs and /etc tree the test writes
in tmp_path (SanTree.nvme_*, observe/helpers.py: every file as the kernel or nvme-cli leaves it, the builder naming
the kernel function that prints it), read by the real reader (observe.nvme.read_nvme_fabrics) and judged."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    NVME_HOSTID, NVME_ONTAP_DISCOVERY_NQN, NVME_ONTAP_NQN, SanTree)

OTHER_NQN = "nqn.2010-06.com.purestorage:flasharray.1a2b3c4d5e6f7a8b"


def ontap(tmp_path, paths=2, **ctrl):
    return SanTree(tmp_path / "root").ontap_nvme_tcp(paths=paths, **ctrl)


def audit(t):
    return nvme_audit.audit(nvme.read_nvme_fabrics(t.root))


def checks(result):
    return sorted((f["check"], f["severity"], f["object"]) for f in result["findings"])


def test_a_host_configured_as_netapp_recommends_has_no_finding(tmp_path):
    """Native multipath Y, iopolicy round-robin, ctrl_loss_tmo 600 (the kernel's default), hostnqn and hostid,
    discovery.conf with an entry, nvmf-autoconnect enabled: nothing to say, and the settings are reported."""
    result = audit(ontap(tmp_path))
    assert (result["applicable"], checks(result)) == (True, [])
    assert result["applicable_reason"] == "2 NVMe over Fabrics controller(s): tcp 2"
    assert [(c["name"], c["ctrl_loss_tmo"], c["ontap"], c["kind"]) for c in result["controllers"]] == [
        ("nvme0", "600", True, "io"), ("nvme1", "600", True, "io")]


def test_native_multipath_off_with_ontap_controllers_is_a_violation(tmp_path):
    """/sys/module/nvme_core/parameters/multipath reads N (param_get_bool) on a host with NVMe/TCP controllers of an
    ONTAP subsystem: NetApp's configuration needs native multipath (ANA) on."""
    t = ontap(tmp_path)
    t.nvme_core("N")
    result = audit(t)
    assert checks(result) == [("nvme_native_multipath_off", "violation", "nvme_core.multipath")]
    f = result["findings"][0]
    assert (f["setting"], f["value"], f["recommended"]) == ("multipath", "N", "Y")
    assert "nvme0, nvme1" in f["reason"]


def test_a_kernel_without_native_multipath_is_reported_as_off(tmp_path):
    """nvme_core without a multipath parameter (CONFIG_NVME_MULTIPATH off: multipath.c is not built) has no native
    multipath at all: the same finding, named as such, not a missing read."""
    t = ontap(tmp_path)
    os.unlink(t.path("/sys/module/nvme_core/parameters/multipath"))
    result = audit(t)
    assert checks(result) == [("nvme_native_multipath_off", "violation", "nvme_core.multipath")]
    assert "CONFIG_NVME_MULTIPATH" in result["findings"][0]["reason"]


def test_native_multipath_off_without_an_ontap_controller_is_not_this_audits_finding(tmp_path):
    """Another array's NVMe/TCP controllers with multipath N: NetApp's recommendation is about ONTAP subsystems."""
    t = SanTree(tmp_path / "root")
    t.nvme_core("N")
    t.nvme_subsystem(0, OTHER_NQN, model="Pure Storage FlashArray", iopolicy="numa")
    t.nvme_ctrl(0, 0, OTHER_NQN, model="Pure Storage FlashArray")
    t.nvme_host("nqn.2014-08.org.nvmexpress:uuid:%s\n" % NVME_HOSTID, NVME_HOSTID + "\n")
    t.systemd_unit("nvmf-autoconnect.service")
    t._write("/etc/nvme/config.json", "{}\n")
    assert checks(audit(t)) == []


@pytest.mark.parametrize("policy, found", [
    ("numa", [("nvme_iopolicy", "violation", NVME_ONTAP_NQN)]),
    ("round-robin", []),
    ("queue-depth", []),
    ("fastest", [("nvme_unreadable", "violation", NVME_ONTAP_NQN)]),
    ("\x1b[0m", [("nvme_unreadable", "violation", NVME_ONTAP_NQN)]),
])
def test_the_iopolicy_of_an_ontap_subsystem(tmp_path, policy, found):
    """The subsystem's iopolicy as nvme_subsys_iopolicy_show prints it: numa (the kernel's default) is not what NetApp
    recommends (round-robin; queue-depth where the kernel has it, 6.11+); a text none of nvme_iopolicy_names is not
    judged compliant but named unknown."""
    t = ontap(tmp_path)
    t.nvme_subsystem(0, NVME_ONTAP_NQN, iopolicy=policy)
    result = audit(t)
    assert checks(result) == found
    if policy == "numa":
        assert result["findings"][0]["recommended"] == "round-robin or queue-depth"
    if policy.startswith("\x1b"):
        assert "\x1b" not in result["findings"][0]["reason"] and "'\\x1b[0m'" in result["findings"][0]["reason"]


def test_the_iopolicy_of_a_discovery_subsystem_is_not_judged(tmp_path):
    """A persistent discovery controller's subsystem (subsystype discovery, the SVM's discovery NQN) carries no
    namespace: its I/O policy moves no I/O, and its ctrl_loss_tmo off is how nvme-cli keeps it."""
    t = ontap(tmp_path)
    t.nvme_subsystem(5, NVME_ONTAP_DISCOVERY_NQN, iopolicy="numa", subsystype="discovery")
    t.nvme_ctrl(5, 5, NVME_ONTAP_DISCOVERY_NQN, cntrltype="discovery", ctrl_loss_tmo="off")
    result = audit(t)
    assert checks(result) == []
    assert [c["kind"] for c in result["controllers"]] == ["io", "io", "discovery"]


def test_the_discovery_subsystem_of_an_older_kernel_is_known_by_its_nqn(tmp_path):
    """Before 5.18 neither cntrltype nor subsystype exists: the ONTAP SVM's discovery NQN (`nvme discover` on
    NetApp's pages: nqn.1992-08.com.netapp:sn.<uuid>:discovery) still tells its controller from an I/O one."""
    t = ontap(tmp_path)
    t.nvme_subsystem(5, NVME_ONTAP_DISCOVERY_NQN, iopolicy="numa", subsystype=None)
    t.nvme_ctrl(5, 5, NVME_ONTAP_DISCOVERY_NQN, cntrltype=None, ctrl_loss_tmo="off")
    assert checks(audit(t)) == []


def test_ctrl_loss_tmo_off_reconnects_forever_and_queues_io_a_violation(tmp_path):
    """ctrl_loss_tmo reads "off" (max_reconnects -1: nvme_ctrl_loss_tmo_show) with fast_io_fail_tmo off: the
    controller never gives up and I/O with no live path stays queued (nvme_available_path counts a connecting
    controller): the NVMe form of no_path_retry queue. Each controller is named, with its subsystem."""
    result = audit(ontap(tmp_path, ctrl_loss_tmo="off"))
    assert checks(result) == [("nvme_ctrl_loss_unbounded", "violation", "nvme0"),
                              ("nvme_ctrl_loss_unbounded", "violation", "nvme1")]
    f = result["findings"][0]
    assert (f["setting"], f["value"], f["device"]) == ("ctrl_loss_tmo", "off", NVME_ONTAP_NQN)
    assert "stays queued" in f["reason"] and "every 10 s" in f["reason"]


def test_ctrl_loss_tmo_off_with_fast_io_fail_says_io_fails_but_the_controller_stays(tmp_path):
    """fast_io_fail_tmo 5 fails the queued I/O after 5 s (nvme_failfast_work), but the controller still reconnects
    forever: still the finding, with what it means for I/O."""
    result = audit(ontap(tmp_path, paths=1, ctrl_loss_tmo="off", fast_io_fail_tmo="5"))
    assert checks(result) == [("nvme_ctrl_loss_unbounded", "violation", "nvme0")]
    assert "fails I/O after that" in result["findings"][0]["reason"]


@pytest.mark.parametrize("value", ["600", "0", "3600"])
def test_a_bounded_ctrl_loss_tmo_is_reported_not_found(tmp_path, value):
    """A number (max_reconnects x reconnect_delay seconds) is bounded: no finding, the value in the controllers."""
    result = audit(ontap(tmp_path, paths=1, ctrl_loss_tmo=value))
    assert checks(result) == []
    assert result["controllers"][0]["ctrl_loss_tmo"] == value


@pytest.mark.parametrize("value", ["nan", "-1", "+600", "600s", "", "\u0666\u0660\u0660", "9" * 11])
def test_a_ctrl_loss_tmo_that_is_no_kernel_output_is_unknown_not_compliant(tmp_path, value):
    """The kernel prints "off" or a non-negative number; NaN, a sign, a unit, an empty line, Arabic-Indic digits (int()
    would take them) or more digits than an int holds are not read as bounded: nvme_unreadable, a violation (the
    host is not known to comply)."""
    result = audit(ontap(tmp_path, paths=1, ctrl_loss_tmo=value))
    assert checks(result) == [("nvme_unreadable", "violation", "nvme0")]
    assert "ctrl_loss_tmo reads" in result["findings"][0]["reason"]


def test_a_ctrl_loss_tmo_that_cannot_be_read_is_unknown_not_compliant(tmp_path):
    """ctrl_loss_tmo whose read fails (a directory in its place: EISDIR) is not judged bounded: nvme_unreadable,
    a violation."""
    t = ontap(tmp_path, paths=1, ctrl_loss_tmo=None)
    os.makedirs(t.path("/sys/devices/virtual/nvme-fabrics/ctl/nvme0/ctrl_loss_tmo"))
    result = audit(t)
    assert checks(result) == [("nvme_unreadable", "violation", "nvme0")]
    assert "ctrl_loss_tmo not read" in result["findings"][0]["reason"]


@pytest.mark.parametrize("state", ["connecting", "resetting"])
def test_a_connecting_controller_is_transient_its_setting_reported_never_dead(tmp_path, state):
    """A controller reconnecting (its LIF down now) shows state connecting (nvme_sysfs_show_state): its ctrl_loss_tmo
    is judged and reported, the reason says it is transient and never calls it dead."""
    result = audit(ontap(tmp_path, paths=1, state=state, ctrl_loss_tmo="off"))
    assert checks(result) == [("nvme_ctrl_loss_unbounded", "violation", "nvme0")]
    reason = result["findings"][0]["reason"]
    assert "%s (transient" % state in reason and "dead" not in reason.replace("not dead", "")
    assert result["controllers"][0]["transient"] is True


def test_another_arrays_unbounded_controller_is_for_information(tmp_path):
    """ctrl_loss_tmo off on another array's controller: reported as info, as the FC audit reports another array's
    rport (the collection's remedy is for ONTAP)."""
    t = ontap(tmp_path, paths=1)
    t.nvme_subsystem(1, OTHER_NQN, model="Pure Storage FlashArray")
    t.nvme_ctrl(1, 1, OTHER_NQN, model="Pure Storage FlashArray", ctrl_loss_tmo="off")
    assert checks(audit(t)) == [("nvme_ctrl_loss_unbounded", "info", "nvme1")]


@pytest.mark.parametrize("hostnqn, hostid, found", [
    (None, NVME_HOSTID + "\n", [("nvme_hostnqn_invalid", "violation", "/etc/nvme/hostnqn")]),
    (b"", NVME_HOSTID + "\n", [("nvme_hostnqn_invalid", "violation", "/etc/nvme/hostnqn")]),
    ("nqn.2014-08.org.nvmexpress:uuid:" + NVME_HOSTID + "\r\n", NVME_HOSTID + "\n",
     [("nvme_hostnqn_invalid", "violation", "/etc/nvme/hostnqn")]),
    ("hostname.example.com\n", NVME_HOSTID + "\n", [("nvme_hostnqn_invalid", "violation", "/etc/nvme/hostnqn")]),
    ("nqn.2014-08.org.nvmexpress:uuid:" + NVME_HOSTID + "\n", None,
     [("nvme_hostid_invalid", "warning", "/etc/nvme/hostid")]),
    ("nqn.2014-08.org.nvmexpress:uuid:" + NVME_HOSTID + "\n", "not-a-uuid\n",
     [("nvme_hostid_invalid", "warning", "/etc/nvme/hostid")]),
])
def test_host_identity_absent_or_malformed(tmp_path, hostnqn, hostid, found):
    """/etc/nvme/hostnqn absent or empty (libnvme then generates one), its first line with an editor's CR or no NQN
    at all: a violation; hostid absent or no UUID: a warning. The forms are observe.snapshot.nvme_host's (one
    definition)."""
    t = ontap(tmp_path)
    for name in ("hostnqn", "hostid"):
        os.unlink(t.path("/etc/nvme/" + name))
    t.nvme_host(hostnqn, hostid)
    assert checks(audit(t)) == found


def test_a_hostnqn_that_cannot_be_read_is_unknown_not_absent(tmp_path):
    """A hostnqn whose read fails (a directory: EISDIR) is neither absent nor malformed: nvme_unreadable, a
    violation (the host identity is unknown)."""
    t = ontap(tmp_path)
    os.unlink(t.path("/etc/nvme/hostnqn"))
    os.makedirs(t.path("/etc/nvme/hostnqn"))
    assert checks(audit(t)) == [("nvme_unreadable", "violation", "/etc/nvme/hostnqn")]


def test_no_nvme_at_all_is_not_applicable_and_has_no_finding(tmp_path):
    """A host without an NVMe controller (no hostnqn either: nvme-cli not installed) gets no NVMe finding and says
    the area was not applicable."""
    result = audit(SanTree(tmp_path / "root"))
    assert (result["applicable"], result["findings"], result["controllers"]) == (False, [], [])
    assert result["applicable_reason"].startswith("not applicable: no NVMe over Fabrics controller")


def test_local_nvme_only_is_not_applicable(tmp_path):
    """A host whose only NVMe controller is a PCIe drive (transport pcie) has no NVMe-oF: not applicable, however
    its nvme_core is set (multipath N here) and whatever nvme-cli's files say."""
    t = SanTree(tmp_path / "root")
    t.nvme_core("N")
    t.nvme_subsystem(0, "nqn.2014.08.org.nvmexpress:1b361af4serial", model="SAMSUNG MZQL21T9HCJR-00A07",
                     iopolicy="numa")
    t.nvme_ctrl(0, 0, "nqn.2014.08.org.nvmexpress:1b361af4serial", transport="pcie")
    result = audit(t)
    assert (result["applicable"], result["findings"]) == (False, [])
    assert result["applicable_reason"].endswith("(1 local NVMe controller(s))")


def test_a_read_that_did_not_finish_is_unknown_not_not_applicable(tmp_path):
    """The read missed its deadline (None): the host is neither judged nor said to be without NVMe-oF: one
    nvme_unreadable violation."""
    result = nvme_audit.audit(None)
    assert result["applicable"] is None
    assert checks(result) == [("nvme_unreadable", "violation", "/sys/class/nvme")]


def test_a_controller_whose_transport_cannot_be_read_makes_the_area_unknown(tmp_path):
    """Without its transport a controller may be a fabrics one: the area is unknown (None), never not applicable."""
    t = SanTree(tmp_path / "root")
    t.nvme_ctrl(0, None, NVME_ONTAP_NQN, transport="pcie")
    transport = t.path("/sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/transport")
    os.unlink(transport)
    os.makedirs(transport)  # its read fails (EISDIR)
    result = audit(t)
    assert result["applicable"] is None
    assert checks(result) == [("nvme_unreadable", "violation", "/sys/class/nvme")]


@pytest.mark.parametrize("unit_state, files, found", [
    ("enabled", {"/etc/nvme/discovery.conf": "--transport=tcp --traddr=192.168.30.48 --trsvcid=8009\n"}, []),
    ("enabled", {"/etc/nvme/config.json": "{\"hosts\": []}\n"}, []),
    ("disabled", {}, [("nvme_autoconnect_off", "warning", "nvmf-autoconnect.service")]),
    ("masked", {}, [("nvme_autoconnect_off", "warning", "nvmf-autoconnect.service")]),
    ("enabled", {"/etc/nvme/discovery.conf": "# comments only, as nvme-cli ships it\n"},
     [("nvme_autoconnect_off", "warning", "nvmf-autoconnect.service")]),
    ("enabled", {}, [("nvme_autoconnect_off", "warning", "nvmf-autoconnect.service")]),
])
def test_nvmf_autoconnect_enabled_and_with_something_to_connect(tmp_path, unit_state, files, found):
    """NetApp's pages verify nvmf-autoconnect.service enabled; its unit runs only when discovery.conf or config.json
    exists (ConditionPathExists=|, nvme-cli's unit) and connects what they list, so on NVMe/TCP an enabled unit
    with neither (or a discovery.conf of comments) reconnects nothing at boot: a warning either way."""
    t = ontap(tmp_path)
    os.unlink(t.path("/etc/nvme/discovery.conf"))
    os.unlink(t.path("/etc/systemd/system/default.target.wants/nvmf-autoconnect.service"))
    t.systemd_unit("nvmf-autoconnect.service", enabled=unit_state == "enabled", masked=unit_state == "masked")
    for path, text in files.items():
        t._write(path, text)
    assert checks(audit(t)) == found


def test_an_nvme_fc_host_also_needs_nvmefc_boot_connections(tmp_path):
    """NVMe/FC connections come back at boot through nvmefc-boot-connections.service (it replays the FC discovery
    events); NetApp's pages verify it enabled. Not asked on a TCP-only host."""
    t = SanTree(tmp_path / "root")
    t.nvme_core("Y")
    t.nvme_subsystem(0, NVME_ONTAP_NQN)
    t.nvme_ctrl(0, 0, NVME_ONTAP_NQN, transport="fc", address="traddr=nn-0x2000d039eab6cb6c:pn-0x2004d039eab6cb6c,"
                "host_traddr=nn-0x200000109bf044b1:pn-0x100000109bf044b1")
    t.nvme_host("nqn.2014-08.org.nvmexpress:uuid:%s\n" % NVME_HOSTID, NVME_HOSTID + "\n")
    t.systemd_unit("nvmf-autoconnect.service")
    t.systemd_unit("nvmefc-boot-connections.service", enabled=False)
    assert checks(audit(t)) == [("nvme_autoconnect_off", "warning", "nvmefc-boot-connections.service")]
    assert checks(audit(ontap(tmp_path / "tcp"))) == []


def test_the_audits_list_of_checks_is_the_registrys():
    """nvme_audit.CHECKS is the registry's area nvme: no check of its own."""
    assert nvme_audit.CHECKS == check_registry.severities("nvme")
    assert set(nvme_audit.CHECKS) == {
        "nvme_native_multipath_off", "nvme_iopolicy", "nvme_ctrl_loss_unbounded", "nvme_hostnqn_invalid",
        "nvme_hostid_invalid", "nvme_autoconnect_off", "nvme_unreadable"}


def test_subsystems_that_cannot_be_listed_leave_the_iopolicy_unknown_not_compliant(tmp_path):
    """/sys/class/nvme-subsystem whose listing fails (a link to itself: ELOOP) hides every subsystem's iopolicy: one
    nvme_unreadable violation, never 'no ONTAP subsystem, nothing to judge'."""
    t = ontap(tmp_path)
    os.unlink(t.path("/sys/class/nvme-subsystem/nvme-subsys0"))
    os.rmdir(t.path("/sys/class/nvme-subsystem"))
    t._link("/sys/class/nvme-subsystem", "nvme-subsystem")
    result = audit(t)
    assert result["subsystems"] is None  # unknown, not none
    assert checks(result) == [("nvme_unreadable", "violation", "/sys/class/nvme-subsystem")]


def test_a_discovery_controller_whose_model_is_not_read_is_no_violation(tmp_path):
    """A discovery controller carries no namespace and none of its settings is judged: a model it does not show is a
    warning at most, not a violation of a host that otherwise complies."""
    t = ontap(tmp_path)
    t.nvme_subsystem(5, NVME_ONTAP_DISCOVERY_NQN, model=None, subsystype="discovery")
    t.nvme_ctrl(5, 5, NVME_ONTAP_DISCOVERY_NQN, cntrltype="discovery", model=None, ctrl_loss_tmo="off")
    assert checks(audit(t)) == []


def test_a_host_without_nvme_cli_is_told_that_its_files_and_units_come_with_it(tmp_path):
    """A host without nvme-cli has neither /etc/nvme/hostnqn and hostid nor nvmf-autoconnect: their findings said
    what is absent, not that the package that brings them is missing."""
    t = ontap(tmp_path)
    for name in ("hostnqn", "hostid"):
        os.unlink(t.path("/etc/nvme/" + name))
    shutil.rmtree(t.path("/etc/systemd"), ignore_errors=True)
    read = nvme.read_nvme_fabrics(t.root)
    with_cli = nvme_audit.audit(dict(read, nvme_cli=True))
    without = nvme_audit.audit(dict(read, nvme_cli=False))
    assert checks(without) == checks(with_cli) and checks(without)
    told = [f["check"] for f in without["findings"] if "nvme-cli is not installed (nvme not found)" in f["reason"]]
    assert sorted(told) == sorted(f["check"] for f in without["findings"]
                                  if f["check"] in ("nvme_hostnqn_invalid", "nvme_hostid_invalid",
                                                    "nvme_autoconnect_off")) and "nvme_hostnqn_invalid" in told
    assert not [f for f in with_cli["findings"] if "nvme-cli is not installed" in f["reason"]]
