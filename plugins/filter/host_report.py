# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_report
short_description: The per-host report of an audit, compliance or remediation run
version_added: 0.1.0
author: sanfleet.remediation contributors
description:
  - Turns what one host produced in a run into one document, the per-host JSON report that the
    C(sanfleet.remediation.fleet_report) role writes on the controller. Its JSON Schema is
    C(meta/schemas/host_report.schema.json) in the collection (C(docs/reports.md)); C(schema_version) changes its
    major number whenever a field changes meaning or goes away.
  - Every finding names its object (the map, disk, setting, file or iSCSI node record), says why in C(reason)
    and what to do in C(action). A finding about several maps or devices (every queueing map, the SAN devices
    LVM scans) is one row for all of them since schema 2.0, every name, sorted, in C(devices); C(object) is
    C(<count> maps) (or C(paths)) and C(device) null, or both are the name when there is one. Severities are
    V(error), V(violation) (what the compliance job fails a host on, the same list as
    P(sanfleet.remediation.compliance_violations#filter)), V(warning) and V(info).
options:
  _input:
    description:
      - A dict with any of C(san) (C(ansible_facts.san)), C(multipath), C(iscsi), C(lvm), C(nvme) (registered
        results of the config audits), C(plan) and C(applied) (the registered result of
        M(sanfleet.remediation.stale_cleanup) for both - its plan and what it ran) and C(errors)
        (a list of C({what, msg})). A missing or skipped part contributes nothing.
    type: dict
    required: true
  host:
    description: The inventory name of the host.
    type: str
    required: true
  run:
    description: What ran, V(audit), V(compliance) or V(remediate). V(remediate) adds the C(remediation) part.
    type: str
    default: audit
"""

EXAMPLES = r"""
- name: The report of this host
  ansible.builtin.set_fact:
    report: "{{ {'san': ansible_facts.san} | sanfleet.remediation.host_report(inventory_hostname, 'audit') }}"
"""

RETURN = r"""
_value:
  description: The per-host report, see C(meta/schemas/host_report.schema.json) and C(docs/reports.md).
  type: dict
"""

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import deferred

host_report = deferred("report", "host_report")


class FilterModule(object):
    def filters(self):
        return {"host_report": host_report}
