# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/multipath_config.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_config as mc
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import parse as sp


# ----------------------------------------------------------------------------- live maps

TABLE = """\
3600a0980383146354e2b4f2d5a6b7a31: 0 2097152 multipath 3 queue_if_no_path pg_init_retries 50 1 alua 1 1 service-time 0 2 1 8:16 1 8:32 1
3600a0980383146354e2b4f2d5a6b7a32: 0 2097152 multipath 1 pg_init_retries 50 0 1 1 service-time 0 1 1 8:48 1
36001405abcdef: 0 2097152 multipath 0 0 1 1 service-time 0 1 1 8:64 1
"""


SHOW_MAPS = """\
3600a0980383146354e2b4f2d5a6b7a31|3600a0980383146354e2b4f2d5a6b7a31|dm-0|on|2|NETAPP,LUN C-Mode,9800
3600a0980383146354e2b4f2d5a6b7a32|3600a0980383146354e2b4f2d5a6b7a32|dm-1|30 chk|1|NETAPP,LUN C-Mode,9800
"""


def test_live_maps_merge_daemon_and_table():
    """Fails when the live maps do not merge multipathd's queueing with the kernel table's features."""
    maps = mc.live_maps(sp.parse_show_maps(SHOW_MAPS), sp.parse_dm_lines(TABLE, sp.parse_multipath_table)[0])
    assert [(m["name"][-2:], m["queueing"], m["queues_forever"], m["table_queue_if_no_path"]) for m in maps] == [
        ("ef", None, False, False), ("31", "on", True, True), ("32", "30 chk", False, False)]
    assert maps[1]["vendor"] == "NETAPP" and maps[1]["product"] == "LUN C-Mode"
    assert maps[1]["table_features"] == "queue_if_no_path pg_init_retries 50"


# --- apply_plan: how the written settings reach multipathd -------------------------------------------------------------

@pytest.mark.parametrize("state,daemon,keys,stale,pathless,force,action,failing", [
    ("present", "answers", [], [], ["m1"], False, "none", []),                       # nothing written for the daemon
    ("present", "answers", ["no_path_retry"], [], ["m1"], False, "reconfigure", []),  # an outage: reconfigure keeps queueing
    ("present", "answers", [], ["dev_loss_tmo"], [], False, "reconfigure", []),       # the daemon runs an older value
    ("present", "inactive", ["no_path_retry"], [], None, False, "start", []),         # nothing runs: starting is safe
    ("present", "unresponsive", ["no_path_retry"], [], [], False, "restart", []),
    ("present", "unresponsive", ["no_path_retry"], [], ["m1"], False, "refused", ["m1"]),
    ("present", "unresponsive", ["no_path_retry"], [], None, False, "refused",
     ["(unknown: neither multipathd nor dmsetup listed the maps)"]),
    ("present", "answers", [], ["uid_attrs"], ["m2", "m1"], False, "refused", ["m2", "m1"]),  # reconfigure keeps it
    ("present", "answers", [], ["uid_attrs"], [], False, "restart", []),
    ("restarted", "answers", [], [], ["m1"], False, "refused", ["m1"]),
    ("restarted", "answers", [], [], ["m1"], True, "restart", ["m1"]),
    ("restarted", "answers", [], [], [], False, "restart", []),
    ("restarted", "inactive", [], [], ["m1"], False, "start", []),
])
def test_apply_plan_never_stops_the_daemon_over_a_map_without_path(state, daemon, keys, stale, pathless, force,
                                                                   action, failing):
    """Fails when applying settings restarts or stops multipathd while a map has no active path."""
    plan = mc.apply_plan(state, daemon, keys, stale, pathless, {"restart": force, "queueing_change": False}, [])
    assert (plan["action"], plan["maps_failing_io"]) == (action, failing)
    if action == "refused":
        assert all(m in plan["reason"] for m in failing) and "force_restart" in plan["reason"]


def test_uxsock_timeout_is_a_client_only_setting():
    """Fails when uxsock_timeout is treated as a setting the daemon must be restarted or reconfigured for."""
    assert "uxsock_timeout" in mc.CLIENT_ONLY_KEYS and not mc.CLIENT_ONLY_KEYS & mc.RESTART_ONLY_KEYS


def test_maps_without_active_path_trusts_the_kernel_and_lists_the_unknown():
    """Fails when a map without an active path is missed because multipathd counts paths the kernel failed."""
    maps = [{"name": "a", "active_paths": 2}, {"name": "b", "active_paths": 2}, {"name": "c", "active_paths": None},
            {"name": "d", "active_paths": 0}]
    status = {"b": {"groups": [{"state": "E", "paths": [{"dev": "8:16", "active": False, "fail_count": 1}]}]},
              "e": {"groups": [{"state": "A", "paths": [{"dev": "8:32", "active": True, "fail_count": 0}]}]}}
    # b: multipathd still counts 2, the kernel failed its only path; c: nobody can count it; a: no status line
    assert mc.maps_without_active_path(maps, status) == ["a", "b", "c", "d"]
    assert mc.maps_without_active_path(None, None) is None
    assert mc.maps_without_active_path([], {}) == []


def test_a_map_whose_kernel_status_was_not_read_counts_as_without_an_active_path_whatever_multipathd_counts():
    """Fails when multipathd's count stands in for the kernel's when dmsetup status did not answer, or has no line for
    a map: the daemon's view lags the kernel that fails a path on an I/O error, so a map it still counts active may
    have no path at all, and a reconfigure would give its queued I/O the new queueing."""
    maps = [{"name": "a", "active_paths": 2}, {"name": "b", "active_paths": 1}]
    assert mc.maps_without_active_path(maps, None) == ["a", "b"]
    one = {"a": {"groups": [{"state": "A", "paths": [{"dev": "8:16", "active": True, "fail_count": 0}]}]}}
    assert mc.maps_without_active_path(maps, one) == ["b"]


@pytest.mark.parametrize("daemon,force,action,failing", [
    ("answers", False, "deferred", ["m1"]),
    ("inactive", False, "deferred", ["m1"]),        # a start gives the maps their queueing as well
    ("answers", True, "reconfigure", ["m1"]),
    ("inactive", True, "start", ["m1"]),
])
def test_apply_plan_defers_a_reconfigure_or_start_that_changes_the_queueing_of_a_map_without_path(
        daemon, force, action, failing):
    """A reconfigure/start that gives a map with no active path another queueing is deferred unless forced (then the
    maps are named in maps_failing_io and in the warning); force_restart does not stand in for it."""
    change = [{"map": "m1", "before": "queue", "after": "fail", "io_fails_after": 0}]
    plan = mc.apply_plan("present", daemon, ["no_path_retry"], [], ["m1"], {"restart": True, "queueing_change": force},
                         change)
    assert (plan["action"], plan["maps_failing_io"]) == (action, failing)
    assert "m1 (queue -> fail: its queued I/O fails at once)" in (plan["warning"] if force else plan["reason"])
    # maps nobody could list: held as well
    unknown = mc.apply_plan("present", daemon, ["no_path_retry"], [], None, {"restart": False, "queueing_change": False},
                            None)
    assert unknown["action"] == "deferred" and unknown["maps_failing_io"] == [mc.UNKNOWN_MAPS]
