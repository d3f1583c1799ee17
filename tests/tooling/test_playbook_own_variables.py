# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate.yml refuses a run that is given a variable it or its roles set (extra vars and the inventory outrank a
play's set_fact, register and task vars): the names the own_variables filter lists are every such name, read from
the YAML, so that a variable added to the play or a role without its name there fails here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.sanfleet.remediation.plugins.filter.own_variables import NOT_SET_BUT_REFUSED, OWN_VARIABLES
from ansible_collections.sanfleet.remediation.tests.tooling.helpers import ROOT, play

# the roles remediate.yml runs (include_role, import_role, and the roles those include)
ROLES = ("stale_cleanup", "fleet_report", "ontap_truth")
# set by a task's vars but role inputs with a default (a role default is defined for the whole play once the role is
# imported, so it cannot be told from a given one by name; giving one is choosing that input)
ROLE_INPUTS = {"fleet_report_dir", "ontap_truth_clusters"}


def _set_names(tasks, out):
    for task in tasks or []:
        for key in ("ansible.builtin.set_fact", "set_fact"):
            if isinstance(task.get(key), dict):
                out.update(k for k in task[key] if k != "cacheable")
        if task.get("register"):
            out.add(task["register"])
        out.update(task.get("vars") or {})
        for key in ("block", "rescue", "always"):
            _set_names(task.get(key), out)
    return out


def test_the_refused_names_are_every_name_remediate_and_its_roles_set():
    remediate = play("remediate.yml")
    names = set()
    for section in ("pre_tasks", "tasks", "post_tasks"):
        _set_names(remediate.get(section), names)
    for role in ROLES:
        for path in sorted((ROOT / "roles" / role / "tasks").glob("*.yml")):
            _set_names(yaml.safe_load(path.read_text()), names)
    assert sorted(names - ROLE_INPUTS) == sorted(set(OWN_VARIABLES["remediate"]) - set(NOT_SET_BUT_REFUSED))
    assert set(NOT_SET_BUT_REFUSED) <= set(OWN_VARIABLES["remediate"])


def _imported_roles(tasks, out):
    for task in tasks or []:
        if "ansible.builtin.import_role" in task:
            out.add(task["ansible.builtin.import_role"]["name"].split(".")[-1])
        for key in ("block", "rescue", "always"):
            _imported_roles(task.get(key), out)
    return out


def test_no_refused_name_has_a_default_the_play_can_see():
    """The defaults of an imported role are defined for the whole play: a default of one of these names would make
    the guard refuse every run (an included role's defaults are not, until it runs)."""
    remediate = play("remediate.yml")
    imported = set()
    for section in ("pre_tasks", "tasks", "post_tasks"):
        _imported_roles(remediate.get(section), imported)
    assert imported, "remediate.yml imports fleet_report (require_array)"
    for role in imported:
        defaults = ROOT / "roles" / role / "defaults" / "main.yml"
        given = set(yaml.safe_load(defaults.read_text()) or {}) if defaults.exists() else set()
        assert not given & set(OWN_VARIABLES["remediate"]), (role, given & set(OWN_VARIABLES["remediate"]))


def test_the_guard_is_the_plays_first_check_of_every_host_and_looks_the_names_up_without_a_variable():
    """Right after the hosts are named, on the play's first host for every host of the play (a later batch's
    inventory too, before the first batch is touched), any_errors_fatal (one host's given variable stops the run), and
    its condition calls the filter itself: a variable holding the names or the answer could itself be given."""
    tasks = play("remediate.yml")["pre_tasks"]
    guard = tasks[1]
    assert guard["name"].startswith("No variable this playbook sets is given at launch"), guard["name"]
    assert "run_once" not in guard and guard.get("any_errors_fatal") is True
    assert guard["when"] == "inventory_hostname == ansible_play_hosts[0]"
    assert guard["ansible.builtin.assert"]["that"] == (
        "ansible_play_hosts_all | sanfleet.remediation.own_variables_given(hostvars, 'remediate') | length == 0")
    assert "vars" not in guard
    assert not play("remediate.yml").get("vars", {}).keys() - {"sanfleet_run_serial"}, (
        "a play var is always defined, so a given one cannot be refused by name: make it a fact set after the guard")
