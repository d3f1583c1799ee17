# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_identity_violations
short_description: Per host, the compliance violations of the identities and igroups it shares with other hosts
version_added: 0.2.0
author: sanfleet.remediation contributors
description:
  - The fleet findings of P(sanfleet.remediation.fleet_identity#filter) as compliance violations, per host, which
    the compliance job adds to each host's own violations (docs/compliance.md, "Fleet identity").
options:
  _input:
    description: The per-host reports, a list or a dict host to report.
    type: raw
    required: true
  shared_igroups:
    description: Igroups meant to be shared, as C(cluster/svm/igroup) names or shell patterns.
    type: list
    elements: str
  igroups:
    description: Records of the C(sanfleet.remediation.ontap_igroups) lookup, when read.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: The fleet violations of every host of the play
  ansible.builtin.set_fact:
    fleet_violations: "{{ reports | sanfleet.remediation.fleet_identity_violations(sanfleet_shared_igroups | default([])) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: "Host to its list of violations: C(area) (fleet), C(check), C(object), C(reason), C(hosts), C(text)."
  type: dict
"""

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import deferred

fleet_identity_violations = deferred("report", "fleet_identity_violations")


class FilterModule(object):
    def filters(self):
        return {"fleet_identity_violations": fleet_identity_violations}
