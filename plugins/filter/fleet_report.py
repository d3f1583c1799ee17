# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_report
short_description: The fleet view of the per-host reports, worst first
version_added: 0.1.0
author: sanfleet.remediation contributors
description:
  - Takes the per-host reports of P(sanfleet.remediation.host_report#filter) and returns the data the templates of
    the C(sanfleet.remediation.fleet_report) role render (Markdown, HTML, JUnit XML) and the counts published with
    C(set_stats).
  - Hosts are ordered worst first (failed, error, violation, warning, ok, not run), rows (one per host and
    finding) by severity, then host order.
  - A host of the play with no report that is no longer active failed or was unreachable; one that is still active
    has not run yet (a later batch of a rolling remediation).
  - JUnit test cases are one per host and check, for every check of the areas that ran.
options:
  _input:
    description: The per-host reports, a list or a dict host to report; hosts without one may be missing or null.
    type: raw
    required: true
  hosts:
    description: Every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  active_hosts:
    description: The hosts still in the play (C(ansible_play_hosts)). Defaults to O(hosts).
    type: list
    elements: str
  generated_at:
    description: When, as a string (for example C(now(utc=true\).isoformat(\))), copied to the result.
    type: str
  run:
    description: What ran (V(audit), V(compliance), V(remediate)), copied to the result.
    type: str
"""

EXAMPLES = r"""
- name: Fleet rows, worst first
  ansible.builtin.debug:
    msg: "{{ (ansible_play_hosts_all | map('extract', hostvars, 'fleet_report_host') | list)
             | sanfleet.remediation.fleet_report(ansible_play_hosts_all, ansible_play_hosts) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: "C(hosts) (worst first), C(rows) (host x finding), C(junit) (per host, its test cases) and C(counts)
    (C(by_status), C(by_severity), C(by_verdict), C(by_check), C(remediation))."
  type: dict
"""

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import deferred

fleet_report = deferred("report", "fleet_report")


class FilterModule(object):
    def filters(self):
        return {"fleet_report": fleet_report}
