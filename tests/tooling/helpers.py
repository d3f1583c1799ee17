# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib

import yaml
from jinja2.nativetypes import NativeEnvironment
from ansible.plugins.filter.core import FilterModule as _CoreFilters

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    compact, facts as judge_facts)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.plain_templates import PageTemplate
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import fleet_report, host_report
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe import helpers as t


ROOT = pathlib.Path(__file__).resolve().parents[2]


ENV = NativeEnvironment()
# Ansible's bool filter, which the playbooks' expressions use (only it: Ansible's own default needs Ansible's templar)
ENV.filters["bool"] = _CoreFilters().filters()["bool"]


# ------------------------------------------------------------------------------------------------ hosts

def hung_san_host(tmp_path):
    """An iSCSI host (initiator name, a session, its LUN as sdb, multipathd running, no map yet) whose batch read
    and whose initiator, session, multipathd and sdb reads all miss their deadline: the listing of /sys/block and
    dmsetup (no map) answer."""
    tree = t.SanTree(tmp_path / "root")
    tree.initiator()
    tree.iscsi_session(1, 2, "127.0.0.1")
    tree.disk("sdb", "2:0:0:1", "8:16", session=1, wwid="naa." + t.ontap_wwid(1)[1:],
              serial="0" + t.ontap_serial(1).encode().hex())
    tree.commands()
    hung = ("read_batch", "read_initiators", "read_sessions", "multipathd_pids")

    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ in hung or (fn is sr.read_devices and "sdb" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return t.inline_call(fn, args)

    return tree.reader(call=call)


def facts(reader):
    """ansible_facts.san as stale_mpath_facts returns it by default (detail=compact, no array)."""
    return compact.shape(judge_facts.collect(reader, probe=False), "compact")


# ------------------------------------------------------------------------------------------------ playbooks

def render(value, variables):
    if isinstance(value, dict):
        return dict((k, render(v, variables)) for k, v in value.items())
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    if isinstance(value, str) and "{{" in value:
        out = ENV.from_string(value).render(**variables)
        return {"True": True, "False": False}.get(out, out) if isinstance(out, str) else out
    return value


def holds(when, variables):
    conditions = when if isinstance(when, list) else [when]
    return all(render("{{ %s }}" % c, variables) in (True, "True") for c in conditions if c is not None)


def _tasks(tasks):
    for task in tasks:
        yield task
        for key in ("block", "rescue", "always"):
            for sub in _tasks(task.get(key) or []):
                yield sub


def play(name):
    return yaml.safe_load((ROOT / "playbooks" / name).read_text())[0]


def decide(name, san):
    """The variables after the playbook's set_fact tasks that come before its SAN checks (the host state and a
    recorded failure), run in order with their `when`, as Ansible runs them after a module that read `san`."""
    variables = {"ansible_facts": {"san": san}, "sanfleet_facts_result": {}, "inventory_hostname": "h1"}
    for task in _tasks(play(name)["tasks"]):
        if task.get("name", "").startswith("The SAN checks"):
            break
        if "ansible.builtin.set_fact" in task and holds(task.get("when"), variables):
            variables.update(render(task["ansible.builtin.set_fact"], variables))
    return variables


TEMPLATES = ROOT / "roles" / "fleet_report" / "templates"


def fleet_page(template, fleet, igroups=()):
    """A fleet page (fleet.md.j2, fleet.html.j2, junit.xml.j2) of `fleet` as the role writes it (report_files)."""
    return PageTemplate(str(TEMPLATES / template)).render({"fleet_report": fleet, "fleet_report_igroups": list(igroups)})


QUEUEING = ["3600a098038304c61622d30303%02d2b4162" % i for i in range(8)]


def queueing_fleet():
    """The fleet report of a compliance run over one host whose eight NETAPP maps queue without bound."""
    report = host_report({"multipath": {"remaining_findings": [], "findings": [], "live_maps_queueing": QUEUEING}},
                         "host1", "compliance")
    return fleet_report([report], ["host1"], ["host1"], generated_at="2026-11-25T02:00:00Z", run="compliance")
