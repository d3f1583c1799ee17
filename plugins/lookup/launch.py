# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: launch
author: sanfleet.remediation contributors (@sanfleet)
version_added: 0.2.0
short_description: An option ansible-playbook was launched with (--limit, --start-at-task), as given on its command line
description:
  - Returns the value of one command-line option of the running C(ansible-playbook), read from the options it
    parsed, never from a variable. C(ansible_limit) is a variable only when C(--limit) is given, so an extra var of
    that name (an AWX extra var) would stand for a limit nobody gave.
  - C(limit) is the C(--limit) pattern (an AWX job template's limit too), C(start_at_task) the C(--start-at-task)
    task name; an empty string when the option was not given.
options:
  _terms:
    description: One option, C(limit) or C(start_at_task).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The hosts are named
  ansible.builtin.assert:
    that: sanfleet_hosts is defined or lookup('sanfleet.remediation.launch', 'limit') | length > 0
"""

RETURN = r"""
_raw:
  description: The option's value, an empty string when it was not given.
  type: list
  elements: str
"""

from ansible import context
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

# the names ansible-playbook's option parser gives them (context.CLIARGS)
OPTIONS = {"limit": "subset", "start_at_task": "start_at_task"}


def launch_option(name, cliargs=None):
    cliargs = context.CLIARGS if cliargs is None else cliargs
    if name not in OPTIONS:
        raise AnsibleLookupError("launch: unknown option %r (known: %s)" % (name, ", ".join(sorted(OPTIONS))))
    value = cliargs.get(OPTIONS[name])
    return "" if value is None else str(value)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        return [launch_option(term) for term in terms]
