# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: own_variables
short_description: The names of the variables a playbook of this collection sets itself, as one regular expression
version_added: 0.2.0
author: sanfleet.remediation contributors
description:
  - Returns a regular expression that matches exactly the names of the variables the playbook O(_input) and its
    roles set while they run (C(set_fact), C(register), a task's C(vars)), for the
    C(ansible.builtin.varnames) lookup.
  - Extra vars and the inventory outrank every variable a play sets. One given at launch under such a name would
    be what the reports and the plan read instead of what ran, so the playbook refuses a run that gives any
    (playbooks/remediate.yml, audit.yml, compliance.yml). The names live here, in code, not in a variable that could itself be given at launch.
  - The list also holds names the play does not set but must not be given, because a given value would replace
    what ran or what the array says. These are the inputs of the report role that replace what the hosts reported,
    and for remediate.yml the variables Ansible sets for a rescue and C(stale_cleanup_array_truth), because it
    removes a device only on the word of the array, read by the same run.
  - P(sanfleet.remediation.own_variables_given#filter) says which of them each host of the play already holds.
options:
  _input:
    description: The playbook, C(remediate), C(audit) or C(compliance).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: No variable this playbook sets is given at launch
  ansible.builtin.assert:
    that: query('ansible.builtin.varnames', 'remediate' | sanfleet.remediation.own_variables) | length == 0
"""

RETURN = r"""
_value:
  description: A regular expression anchored at both ends, matching the names.
  type: str
"""

import re

from ansible.errors import AnsibleFilterError

# What each playbook and its roles set (the tooling test test_playbook_own_variables checks each list against the
# YAML). Not here: the play's own vars (always defined, so they cannot be told from given ones by name) and the role
# inputs that have defaults (fleet_report_dir, ontap_truth_clusters, multipath_config_fix, ...): the inventory may
# hold those for other jobs, and the play's task vars outrank the inventory; given as extra vars, which outrank the
# play, the ones that matter are refused before the play (EXTRA_VARS_REFUSED).
_FLEET_REPORT = (
    "fleet_report", "fleet_report_parts", "fleet_report_host", "fleet_report_line", "fleet_report_array_gate",
    "fleet_report_array_gate_hosts", "fleet_report_written", "fleet_report_hosts_written", "fleet_report_failed",
    "fleet_report_all", "fleet_report_artifact", "fleet_report_list", "fleet_report_path", "fleet_report_console",
    "fleet_report_run",
)
_READ = ("sanfleet_facts_result", "sanfleet_crosscheck_result", "sanfleet_host_failed", "sanfleet_host_state",
         "ontap_truth_result")
_SETS = {
    "remediate": _FLEET_REPORT + (
        "stale_cleanup_result", "stale_cleanup_facts_read", "stale_cleanup_phases", "stale_cleanup_truth",
        "stale_cleanup_truth_known", "stale_cleanup_approved_plan", "stale_cleanup_disk_count",
        "stale_cleanup_map_count", "stale_cleanup_nvme_controller_count",
        "sanfleet_host_failed", "sanfleet_reach", "sanfleet_role_reached", "sanfleet_approved_plan_unusable",
        "sanfleet_approved", "sanfleet_batch_line", "sanfleet_module_ran", "sanfleet_cleanup_answer", "sanfleet_plan",
        "sanfleet_plan_dir", "sanfleet_plan_hosts", "sanfleet_unplanned_hosts", "sanfleet_plan_failed_because",
        "ontap_truth_result", "sanfleet_approved_plan_given", "sanfleet_approved_plan_failed",
        "fleet_report_unreachable_fails",
    ),
    "audit": _FLEET_REPORT + _READ + (
        "sanfleet_igroup_layout", "sanfleet_igroup_records", "fleet_report_igroup_records", "sanfleet_initiators",
        "sanfleet_run_cluster_list",
        "sanfleet_run_fleet_clusters",
        "multipath_config_after", "multipath_config_before", "multipath_config_final", "multipath_config_fix_result",
        "multipath_config_lost", "multipath_config_lvm_result", "multipath_config_nvme_final",
        "multipath_config_nvme_fix_result", "multipath_config_nvme_fix_stopped", "multipath_config_nvme_result",
        "multipath_config_rows",
    ),
    "compliance": _FLEET_REPORT + _READ + (
        "sanfleet_compliance_entry", "sanfleet_compliance_iscsi_result", "sanfleet_compliance_lvm_result",
        "sanfleet_compliance_multipath", "sanfleet_compliance_nvme_result", "sanfleet_compliance_violations",
        "sanfleet_entered", "sanfleet_fleet_violations", "sanfleet_lost", "sanfleet_reported",
    ),
}
# Not set by the play or its roles, refused all the same (the tests' list of set names leaves them out): what Ansible
# sets for a rescue (facts of the host) and the inputs of the report role that replace what the play's hosts reported
# (compliance_merge's) or decide what an unreachable host does; given, they outrank what the play holds.
RESCUE = ("ansible_failed_task", "ansible_failed_result")
_REPORT_INPUTS = ("fleet_report_reports", "fleet_report_hosts", "fleet_report_unreachable_fails",
                  # given, an empty list reads as "igroups compared, none shared" in a report whose igroups were
                  # never read (only the audit reads them, and sets it itself)
                  "fleet_report_igroup_records")
# remediate.yml also refuses: the rescue's names, which it reads where a leftover of an earlier play could count (its
# play is refused after any other play's facts anyway; audit.yml and compliance.yml read them inside their rescue only,
# where Ansible has just set them, so there a leftover is harmless and only an extra var is refused); and the
# stale_cleanup role's input for a truth its caller read: given to remediate.yml it would replace what the array says,
# and a LUN it leaves out whose paths are down (an outage) would be planned for removal. remediate.yml removes on the
# array's word only, read by this run (rule 2)
_ALSO_REFUSED = {"remediate": RESCUE + ("stale_cleanup_array_truth",)}
NOT_SET_BUT_REFUSED = dict((playbook, _ALSO_REFUSED.get(playbook, ())
                            + tuple(name for name in _REPORT_INPUTS if name not in _SETS[playbook]))
                           for playbook in _SETS)
OWN_VARIABLES = dict((playbook, tuple(dict.fromkeys(_SETS[playbook] + NOT_SET_BUT_REFUSED[playbook])))
                     for playbook in _SETS)
# Role inputs a playbook sets in a task's vars that an extra var would outrank, with why (the inventory's value does
# not outrank the play's): refused when the play's hosts are templated (the launch lookup's refusals)
_RESCUE_WHY = "Ansible sets it for the rescue that records why a host failed"
EXTRA_VARS_REFUSED = {
    "remediate": {},
    "audit": {
        "multipath_config_fix": "the audit changes nothing; the multipath fix is a job of its own",
        "multipath_config_nvme_fix": "the audit changes nothing; the NVMe over Fabrics fix is a job of its own",
        "ansible_failed_task": _RESCUE_WHY,
        "ansible_failed_result": _RESCUE_WHY,
    },
    "compliance": {"ansible_failed_task": _RESCUE_WHY, "ansible_failed_result": _RESCUE_WHY},
}


def own_variables(playbook):
    if playbook not in OWN_VARIABLES:
        raise AnsibleFilterError("own_variables: no list for the playbook %r (known: %s)"
                                 % (playbook, ", ".join(sorted(OWN_VARIABLES))))
    return "^(%s)$" % "|".join(re.escape(name) for name in OWN_VARIABLES[playbook])


class FilterModule(object):
    def filters(self):
        return {"own_variables": own_variables}
