# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/plugin_utils/report_findings.py` and the reports' other check lists: each is the check
registry's (module_utils/_san/check_registry.py), never a list of its own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.check_registry import CHECKS
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import compliance, report_findings
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import report_fleet, report_identity


def test_the_lists_of_the_reports_are_the_registrys():
    """Fails when a report keeps an action, a JUnit case list or a verdict list of its own."""
    assert report_findings.ACTIONS == dict((c.id, c.action) for c in CHECKS)
    assert report_fleet.AREA_CHECKS == dict((a, tuple(c.id for c in CHECKS if c.area == a and c.junit))
                                            for a in check_registry.AREAS)
    assert report_identity.FLEET_CHECKS == report_fleet.AREA_CHECKS["fleet"]
    assert compliance.STALE_VERDICTS == ("stale_unmapped", "serial_mismatch", "unexpected_visibility",
                                         "uuid_mismatch", "lif_gone")
