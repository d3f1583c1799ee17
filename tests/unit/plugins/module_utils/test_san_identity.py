# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""san_identity: the one place that says what the same LU, initiator and transport are."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity as si
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate


@pytest.mark.parametrize("wwid,expected", [
    ("naa.600a098038314c674d24563477615370\n", "3600a098038314c674d24563477615370"),
    ("naa.60014055A1A0000", "360014055a1a0000"),
    ("eui.0025384b91b02e43", "20025384b91b02e43"),
    ("EUI.0025384B91B02E43", "20025384b91b02e43"),
    # the kernel pads the T10 vendor id with blanks; udev's scsi_id --replace-whitespace (the ID_SERIAL multipath
    # names maps by) makes each run one "_", trims the ends and keeps the text's case
    ("t10.Linux   scsi_debug      2000", "1Linux_scsi_debug_2000"),
    ("t10.NETAPP  LUN C-Mode  80AbCdEfGh01  ", "1NETAPP_LUN_C-Mode_80AbCdEfGh01"),
    ("t10.ATA     QEMU HARDDISK\x00", "1ATA_QEMU_HARDDISK"),
    # already in multipath notation: hex is lower-cased (as multipath prints it), a T10 form keeps its case
    ("3600A0980383143", "3600a0980383143"),
    ("1NETAPP_LUN_C-Mode_80AbCdEfGh01", "1NETAPP_LUN_C-Mode_80AbCdEfGh01"),
    ("", None),
    (" \x00", None),
    (None, None),
])
def test_multipath_wwid(wwid, expected):
    assert si.multipath_wwid(wwid) == expected


def test_user_wwid_and_kernel_wwid_meet_in_one_form():
    """What a user passes (validated) and what the reader derives from sysfs compare equal as strings."""
    kernel = si.multipath_wwid("naa.600a098038314c674d24563477615370")
    for given in ("3600A098038314C674D24563477615370", "naa.600A098038314C674D24563477615370"):
        assert si.multipath_wwid(san_validate.wwid(given)) == kernel


@pytest.mark.parametrize("observed,expected", [
    ("80AbCdEfGh01", True),
    ("80AbCdEfGh01".encode().hex(), True),
    ("80AbCdEfGh01".encode().hex().upper(), True),
    ("0" + "80AbCdEfGh01".encode().hex(), True),  # LIO with NetApp identity (lab finding 7)
    ("  80AbCdEfGh01 ", True),
    ("80AbCdEfGh02", False),
    ("80AbCdEfGh02".encode().hex(), False),
    ("", None),
    (None, None),
])
def test_serial_matches(observed, expected):
    assert si.serial_matches(observed, "80AbCdEfGh01") is expected


def test_serial_matches_prefers_the_records_hex_and_needs_a_serial():
    assert si.serial_matches("0abcd", "", serial_hex="ABCD") is True
    assert si.serial_matches("81LgM$V4waSq", "81LgM$V4waSp") is False
    assert si.serial_matches("x", None) is False


@pytest.mark.parametrize("value,expected", [
    ("iqn.1994-05.com.RedHat:Host1 ", "iqn.1994-05.com.redhat:host1"),
    ("0x21000024ff3a0b1c", "21000024ff3a0b1c"),
    ("21:00:00:24:FF:3A:0B:1C", "21000024ff3a0b1c"),
    ("naa.5000C500", "naa.5000c500"),
    (None, ""),
])
def test_normalize_initiator(value, expected):
    assert si.normalize_initiator(value) == expected


@pytest.mark.parametrize("path,expected", [
    ("/devices/platform/host4/session3/target4:0:0/4:0:0:1", ("iscsi", "session3")),
    ("/devices/pci0000:00/0000:00:05.0/host5/rport-5:0-2/target5:0:1/5:0:1:7", ("fc", None)),
    ("/devices/pci0000:00/0000:00:01.1/ata1/host0/target0:0:0/0:0:0:0", ("other", None)),
    (None, ("other", None)),
])
def test_transport_of(path, expected):
    assert si.transport_of(path) == expected


def test_udev_and_multipathd_are_harmless_everywhere():
    for comm in ("udevadm", "udevd", "systemd-udevd", "(udev-worker)", "blkid", "multipathd"):
        assert si.harmless({"comm": comm})
    assert not si.harmless({"comm": "postgres"})


@pytest.mark.parametrize("uuid,expected", [
    ("mpath-3600a098038314c674d24563477615370", "3600a098038314c674d24563477615370"),
    ("part1-mpath-3600a098038314c674d24563477615370", None),  # a kpartx partition of a map is not the map
    ("LVM-abcdef", None), ("mpath-", None), ("", None), (None, None)])
def test_map_wwid(uuid, expected):
    assert si.map_wwid(uuid) == expected


def test_identity_keys_compare_each_kind_as_its_protocol_does():
    """A fleet check that lower-cased NQNs would report two hosts whose NQNs differ in case (two names for libnvme
    and the kernel, which strcmp them) as a clone; one that compared IQNs or host IDs exactly would miss a clone
    spelled in another case (iSCSI names are case-folded, a host ID is a UUID), and WWPNs in another notation."""
    nqn = "nqn.2014-08.org.nvmexpress:uuid:4C4C4544-0042-3410-8058-B4C04F305A32"
    assert si.identity_key("nvme_hostnqn", nqn) != si.identity_key("nvme_hostnqn", nqn.lower())
    assert si.identity_key("nvme_hostnqn", nqn) == nqn
    assert si.identity_key("nvme_hostnqn", "nqn.2014-08.com.example:host 1") is None
    assert si.identity_key("nvme_hostnqn", "nqn.2014-08.com.example:" + "x" * 200) is None  # > 223 bytes
    assert si.identity_key("nvme_hostnqn", "nqn.1992-08.com.netapp:sn.abc:subsystem.s1") is not None
    assert si.identity_key("iscsi", "iqn.1994-05.com.RedHat:Node1") == si.identity_key(
        "iscsi", "iqn.1994-05.com.redhat:node1")
    assert si.identity_key("fc", "0x21000024FF3A0B1C") == si.identity_key("fc", "21:00:00:24:ff:3a:0b:1c")
    assert si.identity_key("nvme_hostid", "4C4C4544-0042-3410-8058-B4C04F305A32") == (
        "4c4c4544-0042-3410-8058-b4c04f305a32")
    assert si.identity_key("fc", "not-a-wwpn") is None and si.identity_key("iscsi", "  ") is None
