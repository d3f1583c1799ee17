# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host and fleet reports say the same about a host from its compact `san` fact as from its full one (issue 31),
on every real captured tree of tests/unit/plugins/module_utils/test_san_compact.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact as san_compact
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import report
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_compact import CAPTURES, judged


@pytest.mark.parametrize("suite,scenario", CAPTURES)
def test_the_host_report_says_the_same_from_either_form(suite, scenario):
    full = judged(suite, scenario)
    compact = san_compact.compact(full)
    before = report.host_report({"san": full}, "h1", "audit")
    after = report.host_report({"san": compact}, "h1", "audit")
    summarised = compact["healthy"]["maps"]["count"]
    assert after["summary"] == dict(before["summary"], healthy_verdicts_summarised=summarised)
    assert before["summary"]["healthy_verdicts_summarised"] == 0
    # every finding row, count and status the same; the verdicts but the summarised healthy ones
    for key in ("status", "areas", "counts", "findings", "errors"):
        assert after[key] == before[key], key
    assert after["verdicts"] == [v for v in before["verdicts"]
                                 if not (v["kind"] == "healthy" and v["wwid"] in compact["healthy"]["maps"]["wwids"])]
    # and the fleet report counts the same verdicts
    fleet = [report.fleet_report({"h1": r}, ["h1"], generated_at=1.0, run="audit") for r in (before, after)]
    assert fleet[0]["counts"] == fleet[1]["counts"] and fleet[0]["rows"] == fleet[1]["rows"]
