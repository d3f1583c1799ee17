# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/sysfs.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import fs, read as sr, sysfs as obs_sysfs
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    failing_open, healthy_lab, inline_call, load_captured, many_luns, ontap_wwid)


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


# ------------------------------------------------------------------------------------------------ tests: one device's
# directory per read (fs.DeviceDir)


def _reuse_name_after_first_open(monkeypatch, t, name, other, remove=False):
    """os.open where, right after the first open of anything below /sys/block/<name>, the kernel reuses the name:
    /sys/block/<name> now points to the device directory of `other` (another LU); `remove`: the first device's
    directory is removed too, as the kernel removes it."""
    real_open = fs.os.open
    link = t.path("/sys/block/" + name)
    old = os.path.realpath(link)
    target = os.readlink(t.path("/sys/block/" + other))
    done = []

    def opening(path, flags, mode=0o777, dir_fd=None):
        fd = real_open(path, flags, mode, dir_fd=dir_fd)
        if not done and dir_fd is None and str(path).startswith(link):
            done.append(path)
            if remove:
                shutil.rmtree(old)
            os.unlink(link)
            os.symlink(target, link)
        return fd
    monkeypatch.setattr(fs.os, "open", opening)
    return done


def test_an_sd_read_takes_every_file_from_the_device_its_name_pointed_to_when_opened(tmp_path, monkeypatch):
    """sdb is removed and its name reused for another LU while it is being read: every file of the answer is the
    first device's (its dev, WWID, serial, H:C:T:L, holders), never the first device's dev with the second's
    WWID. Fails when a read goes through the name again after the first open."""
    t = healthy_lab(tmp_path)
    before = obs_sysfs.read_sd(t.root, "sdb")
    other = obs_sysfs.read_sd(t.root, "sdc")
    done = _reuse_name_after_first_open(monkeypatch, t, "sdb", "sdc")
    during = obs_sysfs.read_sd(t.root, "sdb")
    assert done, "the name was never reused: the test did not run its case"
    assert during == before
    assert (during["dev"], during["wwid"]) != (other["dev"], other["wwid"])
    assert obs_sysfs.read_sd(t.root, "sdb") == dict(other, name="sdb", partitions=[])  # the name's new device now


def test_a_map_read_takes_every_file_from_the_device_its_name_pointed_to_when_opened(tmp_path, monkeypatch):
    """The same for a dm device: dm-0 replaced by dm-1's device during its read gives dm-0's dev, uuid and slaves
    together. Fails when a read goes through the name again after the first open."""
    t = healthy_lab(tmp_path)
    before = obs_sysfs.read_dm(t.root, "dm-0")
    done = _reuse_name_after_first_open(monkeypatch, t, "dm-0", "dm-1")
    assert obs_sysfs.read_dm(t.root, "dm-0") == before and done


def test_an_sd_read_gives_the_device_s_own_path_where_the_block_directory_is_not_below_it(tmp_path):
    """A kernel whose /sys/block/<name> is a directory of its own (not <device>/block/<name>): the H:C:T:L path
    comes from the `device` link, not from the block directory's place. Fails when the path is guessed from a
    layout the host does not have."""
    t = healthy_lab(tmp_path)
    expected = obs_sysfs.read_sd(t.root, "sdb")
    own = t.path("/sys/block/sdb")
    real = os.path.realpath(own)
    os.unlink(own)
    os.makedirs(own)
    for entry in ("dev", "size", "holders"):
        os.rename(os.path.join(real, entry), os.path.join(own, entry))
    os.symlink(os.path.dirname(os.path.dirname(real)), os.path.join(own, "device"))
    got = obs_sysfs.read_sd(t.root, "sdb")
    assert got["device_path"] == expected["device_path"] and got["device_path"].endswith("/2:0:0:1")
    assert got["sysfs_path"] == "/sys/block/sdb"
    assert {k: got[k] for k in ("dev", "wwid", "vendor", "vpd_pg80")} == {
        k: expected[k] for k in ("dev", "wwid", "vendor", "vpd_pg80")}


def test_a_device_directory_that_cannot_be_opened_is_an_error_not_a_device_that_is_gone(tmp_path, monkeypatch):
    """EACCES (or EMFILE) on /sys/block/sdb is not ENOENT: the read raises, so the reading child fails and the
    device is reported unread (observe.read), never left out as if the kernel had removed it."""
    t = healthy_lab(tmp_path)
    refused = t.path("/sys/block/sdb")
    failing_open(monkeypatch, lambda path, dir_fd: path == refused)
    with pytest.raises(OSError):
        obs_sysfs.read_sd(t.root, "sdb")
    assert obs_sysfs.read_sd(t.root, "sdzz") is None  # gone: ENOENT
    assert obs_sysfs.read_sd(t.root, "sdc")["dev"] == "8:32"


def test_an_sd_removed_after_its_directory_was_opened_reads_as_unread_not_as_a_disk_without_identity(
        tmp_path, monkeypatch):
    """sdb's directory is removed (and the name given to another LU) right after it was opened: the read answers
    None, which observe.read files as unread, never a disk with no dev, no WWID and another device's path. Fails
    when the answer is a disk, or its path is resolved through the name again."""
    t = healthy_lab(tmp_path)
    done = _reuse_name_after_first_open(monkeypatch, t, "sdb", "sdc", remove=True)
    assert obs_sysfs.read_sd(t.root, "sdb") is None and done


@pytest.mark.parametrize("listing", ["holders", "slaves", "sdq1/holders"])
def test_a_holders_slaves_or_partitions_listing_that_fails_is_an_error_not_an_empty_list(tmp_path, monkeypatch,
                                                                                         listing):
    """EMFILE on a device's holders, slaves or partition directory: the read raises (the device is then unread),
    never answers [] (no holder, no path, no partition: a device that looks unused). Fails when such a failure is
    taken for an empty directory."""
    t = healthy_lab(tmp_path)
    t.disk("sdq", "2:0:0:9", "65:0", session=1, partitions=("65:1",))
    failing_open(monkeypatch, lambda path, dir_fd: dir_fd is not None and path == listing, errno.EMFILE)
    read = obs_sysfs.read_dm if listing == "slaves" else obs_sysfs.read_sd
    with pytest.raises(OSError):
        read(t.root, "dm-0" if listing == "slaves" else "sdq")
