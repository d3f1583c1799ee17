# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate.yml, audit.yml and compliance.yml refuse a run that is given a variable the playbook or its roles set
(extra vars and the inventory outrank a play's set_fact, register and task vars): the names the own_variables
filter lists are every such name, read from the YAML, so that a variable added to a play or a role without its name
there fails here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

import pytest
from ansible_collections.sanfleet.remediation.plugins.filter.own_variables import (
    EXTRA_VARS_REFUSED, NOT_SET_BUT_REFUSED, OWN_VARIABLES, RESCUE)
from ansible_collections.sanfleet.remediation.tests.tooling.helpers import ROOT, play

PLAYBOOKS = ("remediate", "audit", "compliance")


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


def _roles(tasks, out):
    """The roles the tasks import or include, and the roles those import or include."""
    for task in tasks or []:
        for key in ("ansible.builtin.import_role", "ansible.builtin.include_role"):
            if key in task and task[key]["name"].split(".")[-1] not in out:
                role = task[key]["name"].split(".")[-1]
                out.add(role)
                for path in sorted((ROOT / "roles" / role / "tasks").glob("*.yml")):
                    _roles(yaml.safe_load(path.read_text()), out)
        for key in ("block", "rescue", "always"):
            _roles(task.get(key), out)
    return out


def _defaults(role):
    defaults = ROOT / "roles" / role / "defaults" / "main.yml"
    return set(yaml.safe_load(defaults.read_text()) or {}) if defaults.exists() else set()


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_the_refused_names_are_every_name_the_playbook_and_its_roles_set(playbook):
    """Every name set by a task of the playbook or of a role it runs, but the role inputs with a default there (the
    inventory may hold them for another job, and the play's task vars outrank the inventory; the ones an extra var
    must not outrank are refused before the play: EXTRA_VARS_REFUSED)."""
    tasks = [t for section in ("pre_tasks", "tasks", "post_tasks") for t in play(playbook + ".yml").get(section) or []]
    names, roles = _set_names(tasks, set()), _roles(tasks, set())
    assert roles, playbook
    role_inputs = set().union(*(_defaults(role) for role in roles))
    for role in roles:
        for path in sorted((ROOT / "roles" / role / "tasks").glob("*.yml")):
            _set_names(yaml.safe_load(path.read_text()), names)
    refused = set(OWN_VARIABLES[playbook]) - set(NOT_SET_BUT_REFUSED[playbook])
    assert sorted(names - role_inputs) == sorted(refused - role_inputs)
    # a role input refused all the same (remediate's stale_cleanup_approved_plan) is one the play sets
    assert refused & role_inputs <= names, playbook
    assert set(NOT_SET_BUT_REFUSED[playbook]) <= set(OWN_VARIABLES[playbook])
    # what an extra var must not outrank is a role input the play itself sets, or what Ansible sets for a rescue
    assert set(EXTRA_VARS_REFUSED[playbook]) <= (names & role_inputs) | set(RESCUE), playbook


def _imported_roles(tasks, out):
    for task in tasks or []:
        if "ansible.builtin.import_role" in task:
            out.add(task["ansible.builtin.import_role"]["name"].split(".")[-1])
        for key in ("block", "rescue", "always"):
            _imported_roles(task.get(key), out)
    return out


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_no_refused_name_has_a_default_the_play_can_see(playbook):
    """The defaults of an imported role are defined for the whole play: a default of one of these names would make
    the guard refuse every run (an included role's defaults are not, until it runs)."""
    plays = play(playbook + ".yml")
    imported = set()
    for section in ("pre_tasks", "tasks", "post_tasks"):
        _imported_roles(plays.get(section), imported)
    assert imported, "%s.yml imports a role (ontap_truth, fleet_report's require_array)" % playbook
    for role in imported:
        assert not _defaults(role) & set(OWN_VARIABLES[playbook]), (role, _defaults(role) & set(OWN_VARIABLES[playbook]))
        # nor one refused as an extra var: the play's hosts are templated with the imported roles' defaults, so it
        # would refuse every run (fleet_report_igroup_records, a default of fleet_report, did)
        assert not _defaults(role) & set(EXTRA_VARS_REFUSED[playbook]), (role, _defaults(role))


@pytest.mark.parametrize("playbook, position", [("remediate", 1), ("audit", 0), ("compliance", 0)])
def test_the_guard_is_the_plays_first_check_of_every_host_and_looks_the_names_up_without_a_variable(playbook, position):
    """Right after the hosts are named (remediate.yml: after the check that they are), on the play's first host for
    every host of the play (a later batch's inventory too, before the first batch is touched), any_errors_fatal (one
    host's given variable stops the run), and its condition calls the filter itself: a variable holding the names or
    the answer could itself be given. The play's hosts template refuses what the guard cannot see."""
    plays = play(playbook + ".yml")
    guard = plays["pre_tasks"][position]
    assert guard["name"].startswith("No variable this playbook sets is given at launch"), guard["name"]
    assert "run_once" not in guard and guard.get("any_errors_fatal") is True
    assert guard["when"] == "inventory_hostname == ansible_play_hosts[0]"
    # every host's variables, and the play's (a wrapping import_playbook's vars are play vars, no host's)
    assert guard["ansible.builtin.assert"]["that"] == (
        "ansible_play_hosts_all | sanfleet.remediation.own_variables_given(hostvars, '{0}', "
        "query('ansible.builtin.varnames', '{0}' | sanfleet.remediation.own_variables)) | length == 0".format(playbook))
    assert "lookup('sanfleet.remediation.launch', 'refusals', playbook='%s')" % playbook in plays["hosts"]
    if playbook != "remediate":
        return
    assert "vars" not in guard
    assert not play("remediate.yml").get("vars", {}).keys() - {"sanfleet_run_serial"}, (
        "a play var is always defined, so a given one cannot be refused by name: make it a fact set after the guard")
