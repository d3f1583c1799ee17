# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    NETAPP_BUILTIN, daemon_settings)


# What the role multipath_config writes for NETAPP (docs/compliance.md): no_path_retry 30, dev_loss_tmo 60,
# polling_interval 5 (the defaults' fast_io_fail_tmo 5).
ROLE = daemon_settings(devices=[dict(NETAPP_BUILTIN, no_path_retry="30", dev_loss_tmo="60")])


def _mismatches(found):
    return [f for f in found if f["check"] == "rport_tmo_mismatch"]


def _fc_cases(parts):
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import fleet_report, host_report
    rep = host_report(parts, "h1", "audit")
    fleet = fleet_report([rep], ["h1"])
    return dict((c["name"], c["state"]) for c in fleet["junit"][0]["cases"] if c["area"] == "fc")
