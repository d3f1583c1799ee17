# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: own_variables_given
short_description: Which hosts already hold a variable that a playbook of this collection sets itself, by name
version_added: 0.2.0
author: sanfleet.remediation contributors
description:
  - For each host of O(_input) that holds (an extra var, the inventory, an earlier play of the run) any of the names
    P(sanfleet.remediation.own_variables#filter) lists for O(playbook), one text naming the host and those names
  - Only the names are read, never the values (a template given as a value could be undefined at the check and
    defined later). One task on the play's first host checks every host of the play, the later batches' too.
  - A play var (C(vars) of an C(import_playbook) that wraps the playbook, C(vars_files)) is no host's variable. The
    names the C(ansible.builtin.varnames) lookup sees on the checking host are given as O(visible); those of them no
    host holds are named as the play's.
options:
  _input:
    description: The hosts of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: raw
    required: true
  playbook:
    description: The playbook, C(remediate), C(audit) or C(compliance).
    type: str
    required: true
  visible:
    description: The names of the playbook's own variables that the play sees (C(query('ansible.builtin.varnames', ...))).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: No variable this playbook sets is given at launch
  ansible.builtin.assert:
    that: >-
      ansible_play_hosts_all | sanfleet.remediation.own_variables_given(hostvars, 'remediate',
      query('ansible.builtin.varnames', 'remediate' | sanfleet.remediation.own_variables)) | length == 0
"""

RETURN = r"""
_value:
  description:
    - "One text per host that holds any of the names (C(<host>: <name>, <name>)), in the order of O(_input)."
    - "Then one for the names of O(visible) no host holds (C(the play (play vars, import_playbook vars): <name>))."
    - Empty when none is given.
  type: list
  elements: str
"""

import re

from ansible_collections.sanfleet.remediation.plugins.filter.own_variables import own_variables


def own_variables_given(hosts, hostvars, playbook, visible=()):
    """["<host>: <name>, <name>", ...] for each of ``hosts`` that holds any of the playbook's own names, then
    "the play (...): <names>" for those of ``visible`` (the play's varnames) that no host holds."""
    pattern = re.compile(own_variables(playbook))
    out, held = [], set()
    for host in hosts:
        names = sorted(name for name in hostvars[host] if pattern.match(name))
        held.update(names)
        if names:
            out.append("%s: %s" % (host, ", ".join(names)))
    play_vars = sorted(set(name for name in visible or () if pattern.match(name)) - held)
    if play_vars:
        out.append("the play (play vars, import_playbook vars): %s" % ", ".join(play_vars))
    return out


class FilterModule(object):
    def filters(self):
        return {"own_variables_given": own_variables_given}
