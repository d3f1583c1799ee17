# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host.unread_pieces and host.san_presence: the one not-SAN decision (san_snapshot.san_presence), read through
the real reader with pieces that miss their deadline (as in test_san_read). A read that did not finish shows
nothing, which is not "no SAN": such a host is `unknown`, never `not_san`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot as san_snapshot
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    SanTree, healthy_lab, inline_call, ontap_serial, ontap_wwid)

ALL_PIECES = ["fc_rports", "initiators", "iscsi_sessions", "kernel_users", "mounts", "multipathd", "openers",
              "other_blocks"]
PIECE_FUNCTIONS = ("read_initiators", "read_fc_rports", "read_sessions", "read_mounts", "read_openers",
                   "read_kernel_users", "multipathd_pids", "read_other_blocks")


def hanging(functions=(), devices=()):
    """deadline.call where the batch read, the functions named and the device reads of `devices` miss their
    deadline."""
    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ in ("read_batch",) + tuple(functions):
            raise deadline.DeadlineExceeded(what, timeout)
        if fn is sr.read_devices and set(args[1]) & set(devices):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)
    return call


def iscsi_host_without_maps(tmp_path):
    """An iSCSI host: initiator name, one session, its LUN as sdb, multipathd running, no multipath map."""
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    t.disk("sdb", "2:0:0:1", "8:16", session=1, wwid="naa." + ontap_wwid(1)[1:],
           serial="0" + ontap_serial(1).encode().hex())
    return t.commands()


def test_a_san_host_whose_deciding_reads_hung_is_unknown_and_names_them(tmp_path):
    t = iscsi_host_without_maps(tmp_path)
    snap = t.reader(call=hanging(("read_initiators", "read_sessions", "multipathd_pids"), ["sdb"])).snapshot()
    host = snap["host"]
    # what the reads left looks like a host without SAN (multipathd: not known to run) ...
    assert (host["initiators"], host["multipathd_running"], snap["maps"], snap["disks"], snap["iscsi_sessions"]) == (
        [], None, {}, {}, [])
    # ... but the snapshot says which reads did not finish, and the decision is unknown
    assert host["unread_pieces"] == ["initiators", "iscsi_sessions", "multipathd"]
    assert host["unread_disks"] == ["sdb"]
    assert host["san_presence"] == "unknown"
    for named in ("initiators", "iscsi_sessions", "multipathd", "SCSI disk sdb"):
        assert named in host["san_presence_reason"]


def test_every_piece_that_misses_its_deadline_is_named(tmp_path):
    t = iscsi_host_without_maps(tmp_path)
    snap = t.reader(call=hanging(PIECE_FUNCTIONS)).snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == ALL_PIECES
    # the sd read finished: the host shows SAN whatever else hung
    assert snap["host"]["san_presence"] == "san" and "1 SCSI disk(s)" in snap["host"]["san_presence_reason"]


def test_a_host_read_in_one_batch_has_no_unread_piece(tmp_path):
    snap = healthy_lab(tmp_path).commands().reader().snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == [] and snap["host"]["san_presence"] == "san"


def test_a_hung_read_on_a_host_that_shows_san_otherwise_is_san(tmp_path):
    t = iscsi_host_without_maps(tmp_path)
    snap = t.reader(call=hanging(("read_initiators", "read_sessions"))).snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == ["initiators", "iscsi_sessions"]
    assert snap["host"]["san_presence"] == "san"
    assert snap["host"]["san_presence_reason"] == "multipathd running; 1 SCSI disk(s)"


def test_a_host_without_san_read_in_full_is_not_san(tmp_path):
    t = SanTree(tmp_path / "root").commands(multipathd=False)
    snap = t.reader().snapshot()
    assert snap["host"]["san_presence"] == "not_san" and snap["host"]["unread_pieces"] == []
    # an unread piece that cannot show SAN (the mount table) does not change that
    snap = t.reader(call=hanging(("read_mounts", "read_kernel_users"))).snapshot()
    assert snap["host"]["unread_pieces"] == ["kernel_users", "mounts"]
    assert snap["host"]["san_presence"] == "not_san"


def test_a_disk_whose_read_hung_on_a_host_showing_nothing_else_is_unknown(tmp_path):
    t = SanTree(tmp_path / "root")
    t.disk("sda", "0:0:0:0", "8:0", vendor="ATA", model="QEMU HARDDISK")
    t.commands(multipathd=False)
    snap = t.reader(call=hanging(devices=["sda"])).snapshot()
    assert snap["host"]["unread_pieces"] == [] and snap["host"]["unread_disks"] == ["sda"]
    assert snap["host"]["san_presence"] == "unknown" and "SCSI disk sda" in snap["host"]["san_presence_reason"]


@pytest.mark.parametrize("dm_table, expected", [
    ({}, "not_san"),  # dmsetup lists every multipath map: none, so the dm device not read is not one
    (None, "unknown"),  # no table: the dm device not read may be a map
    ({"mpatha": {"groups": []}}, "san"),  # a map in the table, even if its sysfs read hung
])
def test_a_dm_device_not_read_counts_only_when_the_multipath_table_does_not_answer(dm_table, expected):
    state, why = san_snapshot.san_presence([], False, {}, {}, [], unread_dms=["dm-0"], dm_table=dm_table)
    assert state == expected
    assert ("dm device dm-0" in why) == (expected == "unknown")


def test_the_reason_names_a_few_of_many_devices_not_read():
    state, why = san_snapshot.san_presence([], False, {}, {}, [], unread_disks=["sd%03d" % i for i in range(2000)])
    assert state == "unknown" and "SCSI disks sd000, sd001, sd002, sd003, sd004 and 1995 more" in why
    assert len(why) < 300
