# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: artifact_data
author: sanfleet.remediation contributors (@sanfleet)
version_added: 0.1.0
short_description: The values of variables that carry another run's data, as data, never rendered as templates
description:
  - Returns the value of each variable named, as it was given (extra variables, an AWX job artifact handed on by a
    workflow), copied as plain JSON data.
  - Such values hold text read on managed hosts and from arrays (error messages, mount points, device names). Read
    with V(vars) or by name, Ansible renders every string in them as a template on the controller, so a Jinja
    expression in that text would run there (a pipe lookup runs a command), and an unclosed raw block would fail the
    task. Read
    with this lookup they stay text - on ansible-core 2.16 and 2.18 the result is marked unsafe, on 2.19 and later it
    is not trusted as a template - and so does what a filter or M(ansible.builtin.set_fact) builds from them.
  - A name that is not defined (without O(default)), or a value that is not JSON data (a NaN or infinite number, a
    date, a set) fails with its name.
options:
  _terms:
    description: Names of the variables, for example V(sanfleet_approved_plan) or the keys V(sanfleet_slice_<job id>)
      that P(ansible.builtin.varnames#lookup) lists.
    type: list
    elements: str
    required: true
  default:
    description: The value returned for a name that is not defined. Without it, such a name fails.
    type: raw
  key:
    description:
      - Return only this key of each value (null when the value has no such key), for example the entry of one host
        in a mapping of every host's data; a value that is not a mapping fails. Only that entry is copied and
        checked, so a play of many hosts reading its own entry of a fleet-wide artifact does not copy the whole
        artifact once per host.
    type: str
seealso:
  - plugin: ansible.builtin.vars
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: The slices' artifacts of a sliced job, by key, as data
  ansible.builtin.set_fact:
    merged: >-
      {{ dict(keys | zip(query('sanfleet.remediation.artifact_data', *keys)))
         | sanfleet.remediation.merge_slices(expected) }}
  vars:
    keys: "{{ query('ansible.builtin.varnames', '^sanfleet_slice_([0-9]+|local)$') | sort }}"
    expected: "{{ ansible_play_hosts_all }}"

- name: The plan the workflow approved ({} without one; never `sanfleet_approved_plan is defined`, which renders it)
  ansible.builtin.set_fact:
    approved: "{{ lookup('sanfleet.remediation.artifact_data', 'sanfleet_approved_plan', default={}) }}"

- name: This host's entry of it (null when it has none)
  ansible.builtin.set_fact:
    approved_here: "{{ lookup('sanfleet.remediation.artifact_data', 'sanfleet_approved_plan', key=inventory_hostname) }}"
"""

RETURN = r"""
_list:
  description: The value of each variable named, in the order of the names.
  type: list
  elements: raw
"""

import json
from collections.abc import Mapping

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name


def plain_data(name, value):
    """`value` as new plain JSON data (dict, list, str, int, float, bool, None): the copy carries none of the marks
    Ansible put on the original (2.19+ tags a variable's strings as trusted templates), so nothing of it is rendered
    later. A value that is not JSON data (NaN and infinite numbers included) is refused by name."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise AnsibleLookupError("artifact_data: variable %r is not JSON data: %s" % (name, to_native(exc)))


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        has_default = "default" in kwargs
        key = self.get_option("key")
        # the variables as Ansible holds them, before any templating (the vars lookup renders each one)
        variables = variables or {}
        values = []
        for name in terms:
            if not isinstance(name, str):
                raise AnsibleLookupError("artifact_data: a variable name must be a string, got %s"
                                         % type_name(name))
            if name not in variables:
                if has_default:
                    values.append(plain_data("default", kwargs["default"]))
                    continue
                raise AnsibleLookupError("artifact_data: no variable %r is defined" % name)
            value = variables[name]
            if key is not None:
                if not isinstance(value, Mapping):
                    raise AnsibleLookupError("artifact_data: variable %r is not a mapping (%s): it has no key %r"
                                             % (name, type_name(value), key))
                value = value.get(key)
            values.append(plain_data(name, value))
        return values
