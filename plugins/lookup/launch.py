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
  - C(refusals) is why the playbook O(playbook) must not run as launched, an empty string when it may, for the
    C(refuse) option of P(sanfleet.remediation.play_hosts#filter) in the play's C(hosts) template (templated once,
    before any task, whatever C(--tags) or C(--start-at-task) say). Refused are C(--start-at-task), which skips the
    guards before the task, C(--skip-tags always), which skips the guards, and C(ansible_facts),
    C(inventory_hostname) or C(group_names) given as extra vars. Extra vars outrank what Ansible and the modules set
    for each host, and the guards, the reports and the stops read those. So are the role inputs the playbook sets
    itself where an extra var would outrank it (the audit sets C(multipath_config_fix) false), and, for the audit
    and compliance, the names Ansible sets for a rescue.
options:
  _terms:
    description: One option, C(limit) or C(start_at_task), or C(refusals).
    type: list
    elements: str
    required: true
  playbook:
    description: The playbook, for C(refusals) (C(remediate), C(audit), C(compliance)).
    type: str
"""

EXAMPLES = r"""
- name: Why this audit must not run as launched (empty when it may; the playbooks use it in their hosts template)
  ansible.builtin.debug:
    msg: "{{ lookup('sanfleet.remediation.launch', 'refusals', playbook='audit') }}"

- name: The hosts are named
  ansible.builtin.assert:
    that: sanfleet_hosts is defined or lookup('sanfleet.remediation.launch', 'limit') | length > 0
"""

RETURN = r"""
_raw:
  description: The option's value (the refusals, joined), an empty string when it was not given (nothing refused).
  type: list
  elements: str
"""

from ansible import context
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.sanfleet.remediation.plugins.filter.own_variables import EXTRA_VARS_REFUSED

# the names ansible-playbook's option parser gives them (context.CLIARGS)
OPTIONS = {"limit": "subset", "start_at_task": "start_at_task"}
# what Ansible and the modules set for each host; a play-level variable of one of these names was given as an extra var
# (when the play's hosts are templated, no host's own variables are there yet)
SET_PER_HOST = ("ansible_facts", "inventory_hostname", "group_names")


def launch_option(name, cliargs=None):
    cliargs = context.CLIARGS if cliargs is None else cliargs
    if name not in OPTIONS:
        raise AnsibleLookupError("launch: unknown option %r (known: %s)" % (name, ", ".join(sorted(OPTIONS))))
    value = cliargs.get(OPTIONS[name])
    return "" if value is None else str(value)


def launch_refusals(playbook, variables, cliargs=None):
    """Why ``playbook`` must not run as launched ("" when it may): started at a task, or given as an extra var a name
    that Ansible and the modules set for each host (``variables``: the play-level variables its hosts are templated
    with)."""
    reasons = []
    if launch_option("start_at_task", cliargs):
        reasons.append("refused: %s.yml cannot start at a task (--start-at-task): the tasks before it are its guards; "
                       "nothing was touched" % playbook)
    # the guards are tagged always: --skip-tags always (an AWX job template's skip tags) skips them (review 9)
    if "always" in ((context.CLIARGS if cliargs is None else cliargs).get("skip_tags") or ()):
        reasons.append("refused: %s.yml cannot skip the tag always (--skip-tags always): its guards are tagged "
                       "always; nothing was touched" % playbook)
    if playbook not in EXTRA_VARS_REFUSED:
        raise AnsibleLookupError("launch: no refusals for the playbook %r (known: %s)"
                                 % (playbook, ", ".join(sorted(EXTRA_VARS_REFUSED))))
    variables = variables or {}
    given = [name for name in SET_PER_HOST if name in variables]
    if given:
        reasons.append("refused: %s given at launch (an extra var): it would outrank what Ansible and the modules set "
                       "for each host, which the guards, the reports and the stops read; nothing was touched"
                       % ", ".join(given))
    for name, why in sorted(EXTRA_VARS_REFUSED[playbook].items()):
        if name in variables:
            reasons.append("refused: %s given at launch (an extra var): it would outrank what %s.yml sets (%s); "
                           "nothing was touched" % (name, playbook, why))
    return "; ".join(reasons)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        out = []
        for term in terms:
            if term == "refusals":
                playbook = self.get_option("playbook")
                if not playbook:
                    raise AnsibleLookupError("launch: refusals needs playbook=<the playbook>")
                out.append(launch_refusals(playbook, variables))
            else:
                out.append(launch_option(term))
        return out
