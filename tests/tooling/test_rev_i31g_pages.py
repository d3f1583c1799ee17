# -*- coding: utf-8 -*-
"""Second review of i31-findings (compact multipath/LVM audits, issue 31): the report files a CI dashboard reads.
Each test failed on the review commit (strict xfail) and passes since its fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

import jinja2
from ansible.plugins.filter.core import flatten

from ansible_collections.sanfleet.remediation.tests.tooling.test_rev_i31f_pages import QUEUEING, TEMPLATES, queueing_fleet


def _junit():
    """junit.xml of test_rev_i31f_pages.queueing_fleet()."""
    fleet = queueing_fleet()
    env = jinja2.Environment(trim_blocks=True, loader=jinja2.FileSystemLoader(str(TEMPLATES)))
    env.filters["flatten"] = flatten  # Ansible's, as the template module has it
    return env.get_template("junit.xml.j2").render(fleet_report=fleet)


def test_rev_i31g_junit_names_every_queueing_map_of_the_failed_case():
    root = ET.fromstring(_junit())
    (case,) = [c for c in root.iter("testcase") if c.get("name") == "multipath/live_map_queueing"]
    failure = case.find("failure")
    assert failure is not None  # the host fails the check in either version
    text = failure.get("message") + "\n" + (failure.text or "")
    # af0799c: one violation per map, each named ('8 violation(s): <map>, <map>, ...'); i31-findings: '1
    # violation(s): 8 maps' and a reason naming five ('... and 3 more'): the dashboard cannot find mpath 5-7
    assert [m for m in QUEUEING if m not in text] == []
