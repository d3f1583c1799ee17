# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/nvme.py`: the NVMe-oF reads, on trees the tests write in
tmp_path in the layout and the text the kernel gives (SanTree.nvme_*: each builder names the kernel function that
prints its file)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    NVME_ONTAP_NQN, SanTree)


def tree(tmp_path):
    return SanTree(tmp_path / "root")


def test_the_reader_takes_the_text_the_kernel_prints(tmp_path):
    """Each attribute is the kernel's one line without its LF, the model without the blanks that pad the 40-byte
    Identify field (sysfs.c "%.*s\\n"), and each subsystem lists the controllers it links to (core.c
    nvme_init_subsystem): a reader that kept the padding would never see an ONTAP subsystem."""
    t = tree(tmp_path).ontap_nvme_tcp(paths=2)
    read = nvme.read_nvme_fabrics(t.root)
    assert read["multipath"] == {"state": "ok", "text": "Y", "module_loaded": True}
    assert [(c["name"], c["transport"], c["state"], c["ctrl_loss_tmo"], c["fast_io_fail_tmo"], c["model"])
            for c in read["controllers"]] == [("nvme0", "tcp", "live", "600", "off", "NetApp ONTAP Controller"),
                                              ("nvme1", "tcp", "live", "600", "off", "NetApp ONTAP Controller")]
    assert [(s["name"], s["subsysnqn"], s["model"], s["iopolicy"], s["controllers"]) for s in read["subsystems"]] == [
        ("nvme-subsys0", NVME_ONTAP_NQN, "NetApp ONTAP Controller", "round-robin", ["nvme0", "nvme1"])]
    assert read["files"]["/etc/nvme/discovery.conf"] == {"state": "ok", "entries": 1, "why": None}
    assert read["files"]["/etc/nvme/config.json"]["state"] == "absent"
    assert read["units"]["nvmf-autoconnect.service"]["state"] == "enabled"
    assert read["host"]["hostnqn"]["state"] == "ok"


def test_a_controllers_secrets_are_never_read(tmp_path):
    """dhchap_secret is a readable attribute of a fabrics controller (sysfs.c nvme_ctrl_dhchap_secret_show): the
    audit's result, which reaches the controller's logs and reports, must never carry it."""
    t = tree(tmp_path).ontap_nvme_tcp(paths=1)
    assert "secret-never-read" not in json.dumps(nvme.read_nvme_fabrics(t.root))


def test_an_attribute_not_there_is_absent_and_one_that_cannot_be_read_is_unread(tmp_path):
    """A pcie controller has no ctrl_loss_tmo (hidden without ctrl->opts): absent, None. One whose read fails (here a
    directory in its place: EISDIR; on a host EIO or EACCES) is named in `unread`, never taken for absent."""
    t = tree(tmp_path)
    t.nvme_ctrl(0, None, "nqn.2014.08.org.nvmexpress:uuid:local", transport="pcie", model="QEMU NVMe Ctrl")
    t.nvme_subsystem(1, NVME_ONTAP_NQN)
    t.nvme_ctrl(1, 1, NVME_ONTAP_NQN, ctrl_loss_tmo=None)
    os.makedirs(t.path("/sys/devices/virtual/nvme-fabrics/ctl/nvme1/ctrl_loss_tmo"))
    read = nvme.read_nvme_fabrics(t.root)
    pcie, tcp = read["controllers"]
    assert (pcie["ctrl_loss_tmo"], pcie["unread"]) == (None, [])
    assert (tcp["ctrl_loss_tmo"], tcp["unread"]) == (None, ["ctrl_loss_tmo"])


def test_no_nvme_at_all_reads_as_empty_lists_not_as_unknown(tmp_path):
    """A host without the nvme classes (no NVMe driver loaded) has no controller: [] (the audit then says the area
    is not applicable), not None (which it takes for a read that could not be made)."""
    read = nvme.read_nvme_fabrics(tree(tmp_path).root)
    assert (read["controllers"], read["subsystems"]) == ([], [])
    assert read["multipath"] == {"state": "absent", "text": None, "module_loaded": False}


def test_discovery_conf_counts_the_lines_connect_all_reads(tmp_path):
    """nvme-cli's discovery.conf ships as comments only: entries are the lines that are neither blank nor a comment
    (fabrics.c reads each as the arguments of one discovery), so a stock file is "no entry", not "configured"."""
    t = tree(tmp_path)
    t._write("/etc/nvme/discovery.conf", "# Used for extracting default parameters for discovery\n#\n# Example:\n"
                                         "# --transport=tcp --traddr=127.0.0.1 --trsvcid=4420\n\n")
    assert nvme.read_discovery_files(t.root)["/etc/nvme/discovery.conf"]["entries"] == 0
    t._write("/etc/nvme/discovery.conf", "--transport=tcp --traddr=192.168.30.48 --trsvcid=8009\n"
                                         "  # indented comment\n-t tcp -a 192.168.31.48 -s 8009")
    assert nvme.read_discovery_files(t.root)["/etc/nvme/discovery.conf"]["entries"] == 2


def test_unit_state_is_read_from_the_links_systemctl_makes(tmp_path):
    """enabled: a link in a .wants directory (WantedBy=default.target); masked: /etc/systemd/system/<unit> ->
    /dev/null; disabled: the unit file only; not_installed: nowhere. Without running systemctl (which could start
    nothing, but is not needed to read a link)."""
    t = tree(tmp_path)
    unit = "nvmf-autoconnect.service"
    assert nvme.unit_state(t.root, unit)["state"] == "not_installed"
    t.systemd_unit(unit, enabled=False)
    assert nvme.unit_state(t.root, unit)["state"] == "disabled"
    t.systemd_unit(unit, enabled=True)
    assert nvme.unit_state(t.root, unit) == {
        "state": "enabled", "where": "/etc/systemd/system/default.target.wants/" + unit, "unread": []}
    t.systemd_unit(unit, enabled=True, masked=True)
    assert nvme.unit_state(t.root, unit)["state"] == "masked"


def test_a_wants_directory_that_cannot_be_listed_makes_the_unit_unknown_not_disabled(tmp_path):
    """A .wants directory whose listing fails (here a link to itself: ELOOP, which even root gets) may hold the
    enabling link: the unit's state is unknown, never reported disabled."""
    t = tree(tmp_path)
    unit = "nvmf-autoconnect.service"
    t.systemd_unit(unit, enabled=False)
    t._link("/etc/systemd/system/multi-user.target.wants", "multi-user.target.wants")
    state = nvme.unit_state(t.root, unit)
    assert state["state"] == "unknown"
    assert state["unread"][0].startswith("/etc/systemd/system/multi-user.target.wants: ")
