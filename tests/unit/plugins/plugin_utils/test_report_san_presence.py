# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reports of a host whose SAN presence is unknown (its SAN-deciding reads did not finish): controller code,
apart from the module_utils tests of the decision (ansible-test units runs those without the controller's ansible)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report

IQN = "iqn.2024-01.lab.san:initiator"


def test_the_report_of_an_unknown_host_says_why_and_is_an_error():
    san = {"host": {"san_presence": "unknown", "san_presence_reason": "cannot tell: initiators",
                    "initiators": [IQN]}, "maps": {}, "disks": {}, "errors": []}
    report = host_report({"san": san}, "h1", run="remediate")
    rows = [f for f in report["findings"] if f["check"] == "san_presence_unknown"]
    assert [(f["severity"], f["reason"]) for f in rows] == [("error", "cannot tell: initiators")]
    assert report["status"] == "error"


def test_a_san_host_with_a_read_that_did_not_finish_is_not_compliant():
    san = {"host": {"san_presence": "san", "unread_pieces": ["initiators", "iscsi_sessions"], "initiators": []},
           "maps": {}, "disks": {}, "errors": []}
    rows = [(v["area"], v["check"], v["object"]) for v in compliance_violations({"san": san})]
    assert rows == [("host", "read_unfinished", "initiators"), ("host", "read_unfinished", "iscsi_sessions")]
    report = host_report({"san": san}, "h1", run="compliance")
    assert report["status"] == "violation"
    assert [f["check"] for f in report["findings"] if f["severity"] == "violation"] == ["read_unfinished"] * 2
    # the reads that decide "in use" are remediation's, not a compliance check's
    san["host"]["unread_pieces"] = ["mounts", "openers"]
    assert compliance_violations({"san": san}) == []
