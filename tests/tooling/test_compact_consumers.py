# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Review of i31 (compact facts): consumers of ansible_facts.san that still read the listed verdicts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import jinja2
import pathlib
import yaml

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact


ROOT = pathlib.Path(__file__).resolve().parents[2]


def _set_stats_template():
    play = yaml.safe_load((ROOT / "playbooks" / "audit.yml").read_text())[0]
    for task in play["tasks"] if "tasks" in play else []:
        if "ansible.builtin.set_stats" in task:
            return task["ansible.builtin.set_stats"]["data"]["sanfleet_audit"]
    raise AssertionError("no set_stats task in playbooks/audit.yml")


def _san():
    path = {"name": "sdb", "dm_state": "active", "checker_state": "ready", "dev_state": "running"}
    return {"maps": {"3600a0980aa": {"name": "mpatha", "dm": "dm-0", "paths": [path]}},
            "disks": {"sdb": {"name": "sdb", "map": "mpatha", "wwid": "3600a0980aa"}},
            "findings": [],
            "verdicts": [{"kind": "healthy", "object": "map", "name": "mpatha", "wwid": "3600a0980aa"}]}


def test_audit_set_stats_lists_the_same_verdicts_from_either_form():
    template = jinja2.Environment().from_string(_set_stats_template())
    full = _san()
    out = [template.render(ansible_facts={"san": s}, inventory_hostname="h1", sanfleet_host_state="ok")
           for s in (full, compact.compact(full))]
    assert out[0] == out[1]
