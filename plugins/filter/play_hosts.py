# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: play_hosts
short_description: A play's host pattern, unchanged, with the report code loaded in the process that reads it
version_added: 0.2.0
author: sanfleet.remediation contributors
description:
  - Returns its input as it is. The collection's playbooks pass their C(hosts) pattern through it.
  - C(ansible-playbook) templates a play's C(hosts) in its main process, before it forks a worker per task and host.
    This filter imports the report code there (C(plugin_utils/report.py) and what it imports), so every worker
    inherits it compiled. Without it, each host's worker that builds its report compiled some 30 Python files
    again (Ansible's collection loader keeps no bytecode), about 0.2 s of controller CPU per host.
  - Report code that cannot be imported does not stop the play here; the task that builds each host's report then
    fails and says why, as it did before this filter.
  - A play's C(hosts) is templated once, before any of its tasks, whatever C(--tags) or C(--start-at-task) say; a
    refusal given as O(refuse) stops the play there, with its message, before any host is touched.
options:
  _input:
    description: The host pattern, a string or a list of patterns.
    type: raw
    required: true
  refuse:
    description: Why the play must not run (an empty string or a list of them when it may); the filter fails with it.
    type: raw
    default: ""
"""

EXAMPLES = r"""
- name: Audit
  hosts: "{{ sanfleet_hosts | default('all') | sanfleet.remediation.play_hosts }}"
  tasks: []
"""

RETURN = r"""
_value:
  description: The input, unchanged.
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import load_now


def play_hosts(pattern, refuse=""):
    reasons = [r for r in (refuse if isinstance(refuse, list) else [refuse]) if r]
    if reasons:
        raise AnsibleFilterError("; ".join(str(r) for r in reasons))
    if not isinstance(pattern, (str, list)):
        raise AnsibleFilterError("play_hosts: expected a host pattern (a string or a list), got %s"
                                 % type(pattern).__name__)
    try:
        load_now("report")
    except Exception:  # pylint: disable=broad-except  # only a speed-up: the report's own task then says what failed
        pass
    return pattern


class FilterModule(object):
    def filters(self):
        return {"play_hosts": play_hosts}
