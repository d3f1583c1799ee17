# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Review of fix-notsan (host.unread_pieces, host.san_presence), the reader side: findings reproduced as tests
(xfails until fixed) through the real reader, pieces made to miss their deadline as in test_san_presence."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_presence import (
    hanging, iscsi_host_without_maps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    SanTree, ontap_wwid)


def multipath_iscsi_host(tmp_path):
    """An iSCSI host with one LUN (sdb) under a multipath map, multipathd running."""
    t = iscsi_host_without_maps(tmp_path)
    t.dm("dm-0", "253:0", ontap_wwid(1), "mpath-" + ontap_wwid(1), slaves=["sdb"])
    return t.commands()


def test_an_fc_hba_whose_port_name_cannot_be_read_is_not_a_host_without_san(tmp_path):
    """/sys/class/fc_host/host3 is there (an FC HBA: no LUN yet, link down, multipath-tools not installed) but its
    port_name did not read (_read gives None: the attribute gone under an HBA reset or driver reload between the
    listing and the read). host.fc_hosts lists the HBA; san_presence looks only at host.initiators, which takes
    an HBA's WWPN only when it was read, and says not_san - "no FC HBA" is what the docs promise not_san means."""
    t = SanTree(tmp_path / "root")
    t.fc_host(3)
    os.unlink(t.path("/sys/devices/pci0000:00/0000:00:03.0/host3/fc_host/host3/port_name"))
    t.commands(multipathd=False)
    snap = t.reader().snapshot(probe=False)
    assert [h["host"] for h in snap["host"]["fc_hosts"]] == [3]  # the HBA is seen
    assert snap["host"]["san_presence"] != "not_san", snap["host"]["san_presence_reason"]


def test_a_multipathd_scan_that_did_not_finish_is_not_multipathd_not_running(tmp_path):
    """The scan of /proc for multipathd missed its deadline (unread_pieces names it), yet host.multipathd_running
    is False and the errors (the report's read_error rows, san_report's 'multipathd NOT running') claim
    'multipathd is not running': the unknown turned into a fact, and multipathd, which runs, was not asked."""
    t = multipath_iscsi_host(tmp_path)
    snap = t.reader(call=hanging(("multipathd_pids",))).snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == ["multipathd"]
    assert snap["host"]["san_presence"] == "san"  # the map and the disk show it
    assert snap["host"]["multipathd_running"] is not False
    assert not any("multipathd is not running" in (e.get("msg") or "") for e in snap["errors"])


def test_the_acts_view_does_not_take_an_unread_multipathd_scan_for_not_running(tmp_path):
    """Host.view() is the one read the act verifies a batch against (flush_map, disable_queueing via
    ActContext.multipathd_running). When its scan for multipathd misses the deadline the view says multipathd is
    not running, so the act turns queueing off with `dmsetup message ... fail_if_no_path` (which a running
    multipathd undoes, lab finding 3) and records multipathd: false for the restore - on a host where it runs."""
    t = multipath_iscsi_host(tmp_path)
    view = t.reader(call=hanging(("multipathd_pids",))).view(names=["sdb"], maps=[ontap_wwid(1)])
    assert view.map(ontap_wwid(1)) is not None  # the map was read
    assert view.multipathd_running is not False  # unknown (None: ask again with its own deadline), never False


def test_control_a_view_read_in_full_sees_multipathd_running(tmp_path):
    t = multipath_iscsi_host(tmp_path)
    assert t.reader(call=hanging()).view(names=["sdb"], maps=[ontap_wwid(1)]).multipathd_running is True
    snap = t.reader(call=hanging()).snapshot(probe=False)
    assert snap["host"]["multipathd_running"] is True and snap["host"]["unread_pieces"] == []
