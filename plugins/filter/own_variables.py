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
    (playbooks/remediate.yml). The names live here, in code, not in a variable that could itself be given at launch.
  - The list also holds names the play does not set but must not be given, because a given value would replace
    what ran or what the array says. These are the variables Ansible sets for a rescue, the inputs of the report
    role that replace what the hosts reported, and C(stale_cleanup_array_truth): remediate.yml removes a device only
    on the word of the array, read by the same run.
  - P(sanfleet.remediation.own_variables_given#filter) says which of them each host of the play already holds.
options:
  _input:
    description: The playbook, C(remediate).
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
# inputs that have defaults (fleet_report_dir, ontap_truth_clusters).
OWN_VARIABLES = {
    "remediate": (
        "stale_cleanup_result", "stale_cleanup_facts_read", "stale_cleanup_phases", "stale_cleanup_truth",
        "stale_cleanup_truth_known", "stale_cleanup_approved_plan", "stale_cleanup_disk_count",
        "stale_cleanup_map_count", "stale_cleanup_nvme_controller_count",
        "sanfleet_host_failed", "sanfleet_reach", "sanfleet_role_reached", "sanfleet_approved_plan_unusable",
        "sanfleet_approved", "sanfleet_batch_line", "sanfleet_module_ran", "sanfleet_cleanup_answer", "sanfleet_plan",
        "sanfleet_plan_dir", "sanfleet_plan_hosts", "sanfleet_unplanned_hosts", "sanfleet_plan_failed_because",
        "fleet_report", "fleet_report_parts", "fleet_report_host", "fleet_report_line", "fleet_report_array_gate",
        "fleet_report_array_gate_hosts", "fleet_report_written", "fleet_report_hosts_written", "fleet_report_failed",
        "fleet_report_all", "fleet_report_artifact", "fleet_report_list", "fleet_report_path", "fleet_report_console",
        "ontap_truth_result", "sanfleet_approved_plan_given", "sanfleet_approved_plan_failed",
        # what Ansible sets for a rescue (facts of the host) and the inputs of the report role that replace what
        # the play's hosts reported (compliance_merge's) or say what ran: given, they outrank what the play holds
        "ansible_failed_task", "ansible_failed_result", "fleet_report_reports", "fleet_report_hosts",
        "fleet_report_run", "fleet_report_unreachable_fails",
        # the stale_cleanup role's input for a truth its caller read: given to this playbook it would replace what
        # the array says, and a LUN it leaves out whose paths are down (an outage) would be planned for removal.
        # remediate.yml removes on the array's word only, read by this run (rule 2)
        "stale_cleanup_array_truth",
    ),
}
# not set by the play or its roles, refused all the same (the tests' list of set names leaves them out)
NOT_SET_BUT_REFUSED = ("ansible_failed_task", "ansible_failed_result", "fleet_report_reports", "fleet_report_hosts",
                       "stale_cleanup_array_truth")


def own_variables(playbook):
    if playbook not in OWN_VARIABLES:
        raise AnsibleFilterError("own_variables: no list for the playbook %r (known: %s)"
                                 % (playbook, ", ".join(sorted(OWN_VARIABLES))))
    return "^(%s)$" % "|".join(re.escape(name) for name in OWN_VARIABLES[playbook])


class FilterModule(object):
    def filters(self):
        return {"own_variables": own_variables}
