# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: merge_slices
short_description: One compliance run from the artifacts of the slices of a sliced AWX job
version_added: 0.1.0
author: sanfleet.remediation contributors
description:
  - Takes the C(sanfleet_slice_<job id>) artifacts that each slice of a sliced compliance job publishes (its
    hosts, their compliance and their reports) and returns the whole run, every host of every slice.
  - AWX merges the artifacts of a sliced job's slices by top-level key (the last slice to finish wins), so only a
    key of each slice's own reaches the next workflow node intact; the playbook C(sanfleet.remediation.compliance_merge)
    runs this filter there (docs/awx.md).
options:
  _input:
    description: Artifact key to the data a slice published.
    type: dict
    required: true
  expected_hosts:
    description: The hosts the job was meant to check; those no slice reported are listed in C(missing).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: The slices' hosts, compliance and reports (read as data with artifact_data, never with the vars lookup)
  ansible.builtin.set_fact:
    merged: >-
      {{ dict(slice_keys | zip(query('sanfleet.remediation.artifact_data', *slice_keys)))
         | sanfleet.remediation.merge_slices(groups['san_hosts']) }}
  vars:
    slice_keys: "{{ query('ansible.builtin.varnames', '^sanfleet_slice_([0-9]+|local)$') | sort }}"
"""

RETURN = r"""
_value:
  description: C(hosts) (sorted, with the missing ones), C(compliance) and C(reports) (host to its data),
    C(slices) (how many), C(missing) (expected hosts no slice reported).
  type: dict
"""

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import deferred

merge_slices = deferred("report_fleet", "merge_slices")


class FilterModule(object):
    def filters(self):
        return {"merge_slices": merge_slices}
