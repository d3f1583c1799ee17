# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_identity
short_description: The per-host reports with the initiator identities and igroups several hosts share
version_added: 0.2.0
author: sanfleet.remediation contributors
description:
  - Takes the per-host reports of P(sanfleet.remediation.host_report#filter) and returns them with the fleet
    findings of each host (area C(fleet), severity C(violation)) - C(shared_initiator_identity) for every iSCSI
    initiator name, FC WWPN, NVMe host NQN or host ID two or more of the hosts hold (a cloned image), and
    C(igroup_spans_hosts) for every igroup whose initiators belong to several of the hosts, and
    C(subsystem_spans_hosts) for every NVMe subsystem that allows the host NQNs of several of them, unless declared
    shared.
  - iSCSI names compare case-blind, WWPNs as hex, host NQNs exactly, host IDs as UUIDs. A host whose identities
    were not all read is not called unique (C(summary.fleet_not_compared) says why). Failed and not-SAN hosts are
    not compared. See docs/compliance.md, "Fleet identity".
  - P(sanfleet.remediation.fleet_report#filter) applies it itself; applying it twice gives the same reports.
options:
  _input:
    description: The per-host reports, a list or a dict host to report.
    type: raw
    required: true
  igroups:
    description: Records of the C(sanfleet.remediation.ontap_igroups) lookup; unset means the igroups were not read.
    type: list
    elements: dict
  shared_igroups:
    description: Igroups meant to be shared (C(sanfleet_shared_igroups)), as C(cluster/svm/igroup) names or shell
      patterns (case-sensitive).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: The reports with the fleet findings
  ansible.builtin.set_fact:
    checked: "{{ reports | sanfleet.remediation.fleet_identity(igroups=records, shared_igroups=['cl1/svm1/esx_*']) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The reports in the form given, each judged host's with its fleet findings, counts and status.
  type: raw
"""

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import deferred

fleet_identity = deferred("report", "fleet_identity")


class FilterModule(object):
    def filters(self):
        return {"fleet_identity": fleet_identity}
