# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/nvme.py`: the NVMe-oF reads, on trees the tests write in
tmp_path in the layout and the text the kernel gives (SanTree.nvme_*: each builder names the kernel function that
prints its file)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.usage import check_not_in_use
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    NVME_HOSTNQN, NVME_ONTAP_NQN, SanTree, _blocknode, _charnode, failing_open, load_captured)


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


# -- the device inventory (read_nvme_devices) and its place in the snapshot

NS_UUID = "6d1a3f2e-0b4c-4e5f-9a8b-7c6d5e4f3a21"


def _by_name(items):
    return dict((i["name"], i) for i in items)


def test_each_path_is_filed_under_its_head_with_its_ana_state_and_its_controller(tmp_path):
    """A head's paths are the controllers' devices of the same name without c<controller>: a reader that filed
    nvme0c1n1 under nvme1n1 (the controller's number) would pin a path on the wrong namespace."""
    t = tree(tmp_path).ontap_nvme_tcp(paths=2)
    t.nvme_head(0, 1, nsid=5, uuid=NS_UUID, dev="259:1")
    t.nvme_path(0, 0, 1, nsid=5, ana_state="optimized")
    t.nvme_path(1, 0, 1, nsid=5, ana_state="non-optimized")
    read = nvme.read_nvme_devices(t.root)
    assert [(c["name"], c["hostnqn"], c["cntlid"]) for c in read["controllers"]] == [
        ("nvme0", NVME_HOSTNQN, "1"), ("nvme1", NVME_HOSTNQN, "2")]
    (ns,) = read["namespaces"]
    assert (ns["name"], ns["subsystem"], ns["multipath"], ns["nsid"], ns["uuid"], ns["dev"], ns["holders"]) == (
        "nvme0n1", "nvme-subsys0", True, "5", NS_UUID, "259:1", [])
    assert [(p["name"], p["controller"], p["ana_state"]) for p in ns["paths"]] == [
        ("nvme0c0n1", "nvme0", "optimized"), ("nvme0c1n1", "nvme1", "non-optimized")]


def test_without_native_multipath_a_namespace_is_its_controllers_own_device(tmp_path):
    """multipath=N: each controller has its own nvme<ctrl>n<ns> and no subsystem head; each is one namespace with
    one path, marked not multipath (two of them may be one namespace, which only their UUIDs tell)."""
    t = tree(tmp_path)
    t.nvme_core("N")
    t.nvme_subsystem(0, NVME_ONTAP_NQN)
    t.nvme_ctrl(0, 0, NVME_ONTAP_NQN)
    t.nvme_ctrl(1, 0, NVME_ONTAP_NQN)
    t.nvme_private_namespace(0, 1, nsid=1, uuid=NS_UUID, dev="259:0")
    t.nvme_private_namespace(1, 1, nsid=1, uuid=NS_UUID, dev="259:2")
    read = nvme.read_nvme_devices(t.root)
    assert [(n["name"], n["multipath"], n["uuid"], [p["controller"] for p in n["paths"]]) for n in read["namespaces"]] \
        == [("nvme0n1", False, NS_UUID, ["nvme0"]), ("nvme1n1", False, NS_UUID, ["nvme1"])]


def test_a_path_whose_head_the_subsystem_did_not_list_is_kept_and_marked(tmp_path):
    """A head that vanished between two listings (being removed) leaves its path: the path is kept under the
    head's name with `head` unread, never dropped (a path dropped is a namespace the judge would not see)."""
    t = tree(tmp_path).ontap_nvme_tcp(paths=1)
    t.nvme_path(0, 0, 4, nsid=4)
    (ns,) = nvme.read_nvme_devices(t.root)["namespaces"]
    assert (ns["name"], ns["unread"], [p["name"] for p in ns["paths"]]) == ("nvme0n4", ["head"], ["nvme0c0n4"])


def test_no_nvme_driver_is_no_device_and_an_unlistable_class_is_unknown(tmp_path, monkeypatch):
    """No /sys/class/nvme (no driver loaded): no controller, no namespace. A class that cannot be listed (EIO) is
    None: unknown, which the SAN-presence decision must not take for "no NVMe"."""
    t = tree(tmp_path)
    assert nvme.read_nvme_devices(t.root) == {"controllers": [], "namespaces": [], "unread": []}
    t.ontap_nvme_tcp(paths=1)
    real_listdir = os.listdir

    def listdir(path):
        if str(path).endswith("/sys/class/nvme"):
            raise OSError(errno.EIO, "Input/output error")
        return real_listdir(path)

    monkeypatch.setattr(nvme.os, "listdir", listdir)
    assert nvme.read_nvme_devices(t.root) is None


def test_the_snapshot_gives_each_namespace_its_users_and_each_path_its_controllers_state(tmp_path):
    """The facts a judge needs side by side: the head's mountpoint (found by major:minor, as for a map), and for
    each path the ANA state the kernel kept and the controller's state, which alone says whether it answers."""
    t = tree(tmp_path).ontap_nvme_tcp(paths=2)
    t.nvme_ctrl(0, 0, NVME_ONTAP_NQN, state="connecting", ctrl_loss_tmo="off",
                address="traddr=192.168.30.40,trsvcid=4420")
    t.nvme_head(0, 1, nsid=1, uuid=NS_UUID, dev="259:1")
    t.nvme_path(0, 0, 1, nsid=1)
    t.nvme_path(1, 0, 1, nsid=1, ana_state="non-optimized")
    t.mount("259:1", "/srv/data", "/dev/nvme0n1")
    snap = t.commands(multipathd=False).reader().snapshot(probe=False)
    (ns,) = snap["nvme"]["namespaces"]
    assert (ns["mountpoints"], ns["nsid"], ns["size_bytes"], ns["subsysnqn"]) == (
        ["/srv/data"], 1, 32768 * 512, NVME_ONTAP_NQN)
    assert [(p["name"], p["ana_state"], p["controller_state"], p["traddr"]) for p in ns["paths"]] == [
        ("nvme0c0n1", "optimized", "connecting", "192.168.30.40"),
        ("nvme0c1n1", "non-optimized", "live", "192.168.30.41")]
    assert _by_name(snap["nvme"]["controllers"])["nvme0"]["ctrl_loss_tmo"] == "off"


def test_a_namespace_unmapped_behind_a_dead_controller_keeps_one_path_through_it_on_a_real_kernel():
    """Captured on bookworm's 6.1 (lab findings 15, 16): namespace 2 unmapped while both LIFs were cut, LIF a then
    deleted and LIF b back. The read shows what the kernel kept: nvme0n2 with its one path through the controller
    that reconnects to 127.0.0.5 (connecting, ctrl_loss_tmo off), still marked optimized; nvme0n1 mounted where
    the lab mounted it; every namespace the array still maps, and no other, with the UUID the array gave it."""
    reader, truth = load_captured("nvme_stale")
    snap = reader.snapshot(probe=False)
    heads = _by_name(snap["nvme"]["namespaces"])
    lab = truth["nvme"]
    assert set(h["head"] for h in lab["heads"]) == set(heads)
    for head in lab["heads"]:
        ns = heads[head["head"]]
        assert (ns["nsid"], ns["uuid"], ns["subsysnqn"]) == (head["nsid"], head["uuid"], lab["subsystem_nqn"])
        assert [(p["name"], p["controller"], p["ana_state"]) for p in ns["paths"]] == [
            (p["name"], p["controller"], p["ana_state"]) for p in head["paths"]]
    dead = next(c for c in lab["controllers"] if c["state"] == "connecting")
    assert [(p["controller"], p["controller_state"], p["traddr"], p["ana_state"]) for p in heads["nvme0n2"]["paths"]] \
        == [(dead["name"], "connecting", "127.0.0.5", "optimized")]
    assert heads["nvme0n1"]["mountpoints"] == ["/mnt/nvme1"] and heads["nvme0n3"]["mountpoints"] == []
    unmapped = [n["uuid"] for n in lab["namespaces"] if not n["mapped"]]
    assert unmapped == [heads["nvme0n2"]["uuid"]]
    assert snap["host"]["san_presence"] == "san" and snap["errors"] == []


def test_an_outage_keeps_every_path_and_its_last_ana_state_on_a_real_kernel():
    """Captured on bookworm's 6.1 (lab finding 16): both LIFs cut, nothing unmapped. Every controller connecting,
    every path kept with the ANA state it had: ANA state alone would call this host healthy."""
    reader, truth = load_captured("nvme_outage")
    snap = reader.snapshot(probe=False)
    assert set(c["state"] for c in snap["nvme"]["controllers"]) == {"connecting"}
    paths = [p for ns in snap["nvme"]["namespaces"] for p in ns["paths"]]
    assert len(paths) == 4 and set(p["controller_state"] for p in paths) == {"connecting"}
    assert sorted(p["ana_state"] for p in paths) == ["non-optimized", "non-optimized", "optimized", "optimized"]
    assert all(n["mapped"] for n in truth["nvme"]["namespaces"])


def test_the_host_nqns_the_fabrics_controllers_connected_with_are_initiators_and_the_file_alone_is_not(tmp_path):
    """The array maps namespaces to the host NQN a controller connected with (the controller's hostnqn): it is an
    initiator the array truth is read for. /etc/nvme/hostnqn alone (nvme-cli writes it on hosts without NVMe-oF) is
    no initiator and does not make a SAN host."""
    t = tree(tmp_path)
    t.nvme_host("nqn.2014-08.org.nvmexpress:uuid:0000aaaa-0000-0000-0000-000000000001\n", None)
    snap = t.commands(multipathd=False).reader().snapshot(probe=False)
    assert snap["host"]["initiators"] == [] and snap["host"]["san_presence"] == "not_san"
    t.nvme_subsystem(0, NVME_ONTAP_NQN)
    t.nvme_ctrl(0, 0, NVME_ONTAP_NQN)
    t._write("/sys/devices/virtual/nvme-fabrics/ctl/nvme0/hostnqn", "nqn.2014-08.org.nvmexpress:uuid:CONNECTED\n")
    snap = t.reader().snapshot(probe=False)
    assert snap["host"]["initiators"] == ["nqn.2014-08.org.nvmexpress:uuid:CONNECTED"]


def _one_namespace_over_two_paths(tmp_path):
    t = tree(tmp_path).ontap_nvme_tcp(paths=2)
    t.nvme_head(0, 1, nsid=1, uuid=NS_UUID, dev="259:1")
    t.nvme_path(0, 0, 1, nsid=1)
    t.nvme_path(1, 0, 1, nsid=1, ana_state="non-optimized")
    return t


def _mounted_through_its_partition(tmp_path):
    """_one_namespace_over_two_paths with a filesystem on nvme0n1p1 (a name ending in a digit takes a "p")."""
    t = _one_namespace_over_two_paths(tmp_path)
    part = "/sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/nvme0n1p1"
    t._write(part + "/dev", "259:2\n")
    t._write(part + "/partition", "1\n")
    t._mkdir(part + "/holders")
    t.mount("259:2", "/srv/data", "/dev/nvme0n1p1")
    return t


def test_a_namespace_mounted_through_its_partition_is_not_shown_unmounted(tmp_path):
    """The filesystem is on nvme0n1p1: the namespace is in use."""
    t = _mounted_through_its_partition(tmp_path)
    (ns,) = t.commands(multipathd=False).reader().snapshot(probe=False)["nvme"]["namespaces"]
    assert (ns["mountpoints"], ns["partitions"]) == (["/srv/data"], ["nvme0n1p1"]), ns


def test_a_namespace_whose_partitions_cannot_be_listed_is_unread_not_shown_unmounted(tmp_path, monkeypatch):
    """EMFILE on /sys/block/nvme0n1 (its partitions' directory): through the real fork the NVMe read fails and is
    named unread, never a namespace with no partition and no mount. Fails when the failure reads as no
    partitions."""
    t = _mounted_through_its_partition(tmp_path)
    link = t.path("/sys/block/nvme0n1")
    failing_open(monkeypatch, lambda path, dir_fd: dir_fd is None and path == link, errno.EMFILE)
    snap = t.commands(multipathd=False).reader(call=deadline.call, read_timeout=30).snapshot(probe=False)
    namespaces = (snap.get("nvme") or {}).get("namespaces") or []
    assert "nvme" in snap["host"]["unread_pieces"]
    assert all(ns["mountpoints"] == ["/srv/data"] for ns in namespaces), namespaces


def test_a_namespace_in_use_as_swap_is_not_shown_unused(tmp_path):
    """/proc/swaps names the device by path: an NVMe name must resolve to the namespace as an sd name does."""
    t = _one_namespace_over_two_paths(tmp_path)
    t.swap("/dev/nvme0n1")
    (ns,) = t.commands(multipathd=False).reader().snapshot(probe=False)["nvme"]["namespaces"]
    assert ns["swap"] is True, ns


def test_a_namespace_that_is_a_btrfs_member_has_that_kernel_user(tmp_path):
    """A btrfs member leaves no holders link: /sys/fs/btrfs/<fsid>/devices/<name> is the one trace."""
    t = _one_namespace_over_two_paths(tmp_path)
    fsid = "0f5b3c2a-1d4e-4f60-8a7b-9c0d1e2f3a4b"
    t._link("/sys/fs/btrfs/%s/devices/nvme0n1" % fsid,
            "../../../../devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1")
    (ns,) = t.commands(multipathd=False).reader().snapshot(probe=False)["nvme"]["namespaces"]
    assert [u["kind"] for u in ns.get("kernel_users") or []] == ["btrfs"], ns


def _namespace_with_generic_node(tmp_path, multipath):
    """One ONTAP namespace, its generic node ng0n1 (char 244:0) beside it: the head of native multipath in its
    subsystem's directory, or without it the controller's own namespace in the controller's."""
    t = tree(tmp_path).ontap_nvme_tcp(paths=2 if multipath else 1)
    if multipath:
        t.nvme_head(0, 1, nsid=1, uuid=NS_UUID, dev="259:1", generic="244:0")
        t.nvme_path(0, 0, 1, nsid=1)
        t.nvme_path(1, 0, 1, nsid=1, ana_state="non-optimized")
    else:
        t.nvme_core("N")
        t.nvme_private_namespace(0, 1, nsid=1, uuid=NS_UUID, dev="259:1", generic="244:0")
    return t


@pytest.mark.parametrize("multipath", [True, False])
def test_a_process_doing_io_through_the_namespace_s_generic_node_is_its_opener(tmp_path, multipath):
    """fio with io_uring passthrough (or an SPDK or xNVMe tool) opens /dev/ng0n1, a char device, never the block
    device: a scan that matched block devices only called the namespace unused while its I/O ran."""
    t = _namespace_with_generic_node(tmp_path, multipath)
    t.proc(7100, "fio", fds=["/dev/ng0n1"])
    (ns,) = t.commands(multipathd=False).reader().snapshot(probe=False)["nvme"]["namespaces"]
    assert ns["openers"] == [{"pid": 7100, "comm": "fio", "via": "ng0n1"}], ns
    with pytest.raises(Refused) as info:
        check_not_in_use(ns, "namespace nvme0n1")
    assert info.value.kind == "opener" and "pid 7100 (fio)" in str(info.value)


def test_the_generic_node_of_a_namespace_without_a_head_carries_its_controller_s_number(tmp_path):
    """Native multipath on, but a namespace that got no head (a private namespace): its block device is named with
    the subsystem's number (nvme0n2) and its generic node with the controller's (ng1n2, core.c nvme_add_ns_cdev). A
    reader that named the node after the block device looked for ng0n2 and found none: the fio on /dev/ng1n2 was
    nobody's opener."""
    t = tree(tmp_path).ontap_nvme_tcp(paths=2)
    base = "/sys/devices/virtual/nvme-fabrics/ctl/nvme1/nvme0n2"
    for attr, value in (("nsid", "2"), ("uuid", NS_UUID), ("dev", "259:5"), ("size", "32768"), ("ro", "0")):
        t._write("%s/%s" % (base, attr), value + "\n")
    t._mkdir(base + "/holders")
    t._link("/sys/block/nvme0n2", "../devices/virtual/nvme-fabrics/ctl/nvme1/nvme0n2")
    t.nvme_generic("/sys/devices/virtual/nvme-fabrics/ctl/nvme1", "ng1n2", "244:5")
    t.proc(7103, "fio", fds=["/dev/ng1n2"])
    namespaces = t.commands(multipathd=False).reader().snapshot(probe=False)["nvme"]["namespaces"]
    (ns,) = [n for n in namespaces if n["name"] == "nvme0n2"]
    assert ns["openers"] == [{"pid": 7103, "comm": "fio", "via": "ng1n2"}], ns


def test_a_char_device_and_a_block_device_of_the_same_numbers_are_not_one_device(tmp_path):
    """Character and block device numbers are two spaces: a terminal at char 259:1 is not the namespace at block
    259:1, and a char node at the generic node's numbers seen as a block device would be a block device nobody
    has."""
    t = _namespace_with_generic_node(tmp_path, True)
    _charnode(t, "/dev/other-tty", "259:1")
    _blocknode(t, "/dev/disk-at-244-0", "244:0")
    t.proc(7101, "getty", fds=["/dev/other-tty"])
    t.proc(7102, "dd", fds=["/dev/disk-at-244-0"])
    (ns,) = t.commands(multipathd=False).reader().snapshot(probe=False)["nvme"]["namespaces"]
    assert ns["openers"] == [], ns


def test_a_held_char_device_that_cannot_be_placed_leaves_every_opener_unknown(tmp_path):
    """Where a char device some process holds lives cannot be read (/sys/dev/char/MAJ:MIN is no link here): it may
    be the namespace's generic node, so no namespace can be shown unused."""
    t = _namespace_with_generic_node(tmp_path, True)
    os.unlink(t.path("/sys/dev/char/244:0"))
    t._write("/sys/dev/char/244:0", "")
    t.proc(7104, "fio", fds=["/dev/ng0n1"])
    (ns,) = t.commands(multipathd=False).reader().snapshot(probe=False)["nvme"]["namespaces"]
    assert "/sys/dev/char unreadable for c244:0" in ns["openers_unknown"], ns
    with pytest.raises(Refused) as info:
        check_not_in_use(ns, "namespace nvme0n1")
    assert info.value.kind == "openers_unknown"


def test_each_head_s_generic_node_is_beside_it_with_its_instance_on_a_real_kernel():
    """Captured on bookworm's 6.1: the generic node of head nvme0nI is ng0nI in the head's own directory (the
    subsystem's), the place and name the snapshot looks a held node up by; no path device has one."""
    reader, _truth = load_captured("nvme_stale")
    namespaces = nvme.read_nvme_devices(reader.root)["namespaces"]
    assert sorted(ns["name"] for ns in namespaces) == ["nvme0n1", "nvme0n2", "nvme0n3"]
    for ns in namespaces:
        beside = os.path.join(reader.root, "sys", "class", "nvme-subsystem", ns["parent"])
        assert os.path.exists(os.path.join(beside, "ng0" + ns["name"][len("nvme0"):], "dev")), ns["name"]
    paths = os.path.join(reader.root, "sys", "class", "nvme")
    assert not [e for c in os.listdir(paths) for e in os.listdir(os.path.join(paths, c)) if e.startswith("ng")]
