# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/sysfs.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr, sysfs as obs_sysfs
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    healthy_lab, inline_call, load_captured, many_luns, ontap_wwid)


# ------------------------------------------------------------------------------------------------ tests: block scans of
# the configuration modules (lvm_filter_info, multipath_conf) over the same tree


def test_read_blocks_gives_transport_slaves_and_aliases(tmp_path):
    """Fails when block devices' transport, slaves, uuid or aliases are misread, or a vanished one kept."""
    t = healthy_lab(tmp_path)
    t._link("/dev/mapper/" + ontap_wwid(1), "../dm-0")
    blocks = obs_sysfs.read_blocks(t.root, obs_sysfs.read_block_names(t.root) + ["sdzz"])  # sdzz: gone since the listing
    assert {n: b["transport"] for n, b in blocks.items() if n.startswith("sd")} == {
        "sda": "other", "sdb": "iscsi", "sdc": "iscsi", "sdd": "iscsi", "sde": "iscsi"}
    assert blocks["dm-0"]["slaves"] == ["sdb", "sdd"] and blocks["dm-0"]["uuid"] == "mpath-" + ontap_wwid(1)
    assert blocks["dm-0"]["transport"] is None and blocks["sda"]["uuid"] is None
    assert "sdzz" not in blocks
    assert obs_sysfs.read_aliases(t.root, ("/dev/mapper", "/dev/disk/by-id")) == {"dm-0": ["/dev/mapper/" + ontap_wwid(1)]}


def test_read_local_disks_names_only_disks_on_no_san_transport(tmp_path):
    """Fails when a local disk is misread or a SAN path is taken for a local disk."""
    t = healthy_lab(tmp_path)
    t._write("/run/udev/data/b8:0", "S:disk/by-id/ata-QEMU_HARDDISK_QM00001\nE:ID_SERIAL=QEMU_HARDDISK_QM00001\n")
    names = obs_sysfs.read_block_names(t.root)
    assert obs_sysfs.read_local_disks(t.root, names) == {"sda": {
        "name": "sda", "dev": "8:0", "vendor": "ATA", "model": "QEMU HARDDISK", "holder": None,
        "wwid": "QEMU_HARDDISK_QM00001"}}
    t.dm("dm-7", "253:7", "QEMU_HARDDISK_QM00001", "mpath-QEMU_HARDDISK_QM00001", slaves=("sda",))
    assert obs_sysfs.read_local_disks(t.root, names)["sda"]["holder"] == "dm-7"
    assert obs_sysfs.read_local_disks(t.root, ["sdb", "sdc"]) == {}  # iSCSI paths


@pytest.mark.parametrize("reader", [obs_sysfs.read_blocks, obs_sysfs.read_local_disks])
def test_block_scans_of_a_large_host_are_read_in_batches_and_a_hung_device_is_named(tmp_path, monkeypatch, reader):
    """The configuration modules read every block device: on a 1,024-LUN host one child with one deadline would
    report a healthy host as an error, and one hung device would lose the whole scan."""
    t = many_luns(tmp_path)
    t.disk("sdat", "0:0:1:0", "66:160", vendor="ATA", model="SSD")  # a local disk past the first batch
    names = obs_sysfs.read_block_names(t.root)
    whole = reader(t.root, names)
    assert "sdat" in whole and len(whole) == (48 if reader is obs_sysfs.read_blocks else 2)  # 46 sd and 2 maps; sda and sdat are local
    monkeypatch.setattr(sr, "READ_BATCH", 8)
    monkeypatch.setattr(sr, "READ_CHUNK", 4)
    sizes = []

    def call(fn, args=(), timeout=10.0, what=None):
        sizes.append(len(args[1]))
        if "sdat" in args[1]:
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    errors = []
    batched = t.reader(call=call).read_each(reader, names, errors)
    whats = [e["what"] for e in errors]
    assert len(whats) == 3 and whats[0].startswith("sysfs read of 8 devices, ")
    assert len(whats[1].split(", ")) == 4 and whats[2] == "sysfs read of /sys/block/sdat"
    assert batched.pop("sdat") is None and whole.pop("sdat")
    assert batched == whole
    assert len(names) == 48 and sorted(sizes, reverse=True) == [8] * 6 + [4, 4] + [1] * 4


def test_the_host_s_nvme_transports_are_read_once_for_every_multipath_head(monkeypatch):
    """nvme_stale (3 namespace heads, 2 fabrics controllers): each head gets every controller's transport, read once
    for the whole read of the other block devices, not once per head."""
    reader, _truth = load_captured("nvme_stale")
    reads = []
    real = obs_sysfs.read_text

    def counted(path, *args, **kwargs):
        if "/sys/class/nvme/" in str(path) and str(path).endswith("/transport"):
            reads.append(path)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(obs_sysfs, "read_text", counted)
    blocks = obs_sysfs.read_other_blocks(reader.root)
    heads = sorted(n for n in blocks if n.startswith("nvme") and "c" not in n[4:])
    assert heads == ["nvme0n1", "nvme0n2", "nvme0n3"]
    assert all(blocks[h]["transports"] == ["tcp"] for h in heads)
    assert len(reads) == 2, reads
