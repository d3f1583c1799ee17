# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unpacked lab captures go when the session ends, in the process that unpacked them (an xdist worker
included: its exit handlers may not get the time; tests/unit/plugins/module_utils/captures.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import captures


def pytest_sessionfinish(session, exitstatus):
    captures.remove_all()


def pytest_terminal_summary(terminalreporter):
    """Per house-rule invariant (tests/unit/test_house_rules.py), the share of its examples that put its rule at stake
    (its user property `at_stake`, which reaches the controller of an xdist run with the test's report)."""
    rows = []
    for status in ("passed", "failed"):
        for report in terminalreporter.stats.get(status, []):
            for name, value in getattr(report, "user_properties", None) or []:
                if name == "at_stake" and getattr(report, "when", "call") == "call":
                    rows.append((report.nodeid.split("::")[-1], value))
    if rows:
        terminalreporter.write_sep("-", "house rules: examples that put each rule at stake")
        for test, value in sorted(rows):
            at_stake, examples = [int(x) for x in value.split("/")]
            terminalreporter.write_line("%4.0f%%  %9s  %s" % (100.0 * at_stake / max(examples, 1), value, test))
