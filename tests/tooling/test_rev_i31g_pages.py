# -*- coding: utf-8 -*-
"""Second review of i31-findings (compact multipath/LVM audits, issue 31): the report files a CI dashboard reads.
Each test failed on the review commit (strict xfail) and passes since its fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import xml.etree.ElementTree as ET

import jinja2
from ansible.plugins.filter.core import flatten

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import fleet_report, host_report

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUEUEING = ["3600a098038304c61622d30303%02d2b4162" % i for i in range(8)]


def _junit():
    """junit.xml of a compliance run over one host whose eight NETAPP maps queue without bound."""
    report = host_report({"multipath": {"remaining_findings": [], "findings": [], "live_maps_queueing": QUEUEING}},
                         "host1", "compliance")
    fleet = fleet_report([report], ["host1"], ["host1"], generated_at="2026-11-25T05:00:00Z", run="compliance")
    env = jinja2.Environment(trim_blocks=True,
                             loader=jinja2.FileSystemLoader(str(ROOT / "roles" / "fleet_report" / "templates")))
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
