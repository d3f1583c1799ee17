# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The not-SAN decision of audit.yml, compliance.yml and remediate.yml, end to end: the real reader (its pieces
made to miss their deadlines as in test_san_read), the facts as stale_mpath_facts returns them (compact), the
playbooks' own tasks that decide the host's state (rendered as Ansible would: set_fact tasks of the read block in
order, with their `when`), and the host report built from the parts the playbook gives the fleet_report role.

A host whose SAN-deciding reads did not finish is not known to be a non-SAN host: it must never be reported
`not_san` (info, passes compliance), whatever else it shows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import pathlib

import pytest
import yaml
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact as san_compact
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts as san_facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import test_san_read as t

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENV = NativeEnvironment()


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


def healthy_san_host(tmp_path):
    return t.healthy_lab(tmp_path).commands().reader()


def nosan_host(tmp_path):
    """tests/fleet/fixture_python.py's `nosan` host: multipath-tools and open-iscsi absent (their commands
    cannot run), dmsetup lists no map, no SAN block device."""
    spec = importlib.util.spec_from_file_location("fixture_python", str(ROOT / "tests" / "fleet" / "fixture_python.py"))
    fixture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixture)
    base = str(tmp_path / "nosan")
    fixture._not_san_tree(base)
    captured = t.CapturedRun(os.path.join(base, "commands"))

    def run(argv, timeout, what=None, data=None):
        if argv[0] in fixture.SAN_TOOLS:
            raise OSError(2, "No such file or directory: %r" % argv[0])
        return captured(argv, timeout, what)

    return sr.Host(root=os.path.join(base, "root"), run=run, call=t.inline_call)


def facts(reader):
    """ansible_facts.san as stale_mpath_facts returns it by default (detail=compact, no array)."""
    return san_compact.shape(san_facts.collect(reader, probe=False), "compact")


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


def report_parts(name, variables, section):
    task = next(task for task in play(name)[section] if task.get("name") == "Build the report of this host")
    parts = task["vars"]["fleet_report_parts"]
    out = {"san": variables["ansible_facts"]["san"]}
    out.update(render({"failed": parts["failed"], "not_san": parts["not_san"]}, variables))
    return out


def reports(san):
    """{playbook: host report} of one host whose stale_mpath_facts (or stale_cleanup) returned `san`."""
    out = {}
    for name in ("audit.yml", "compliance.yml"):
        variables = decide(name, san)
        out[name] = (variables.get("sanfleet_host_state"),
                     host_report(report_parts(name, variables, "tasks"), "h1", run=name[:-4]))
    variables = {"ansible_facts": {"san": san}}
    out["remediate.yml"] = (None, host_report(report_parts("remediate.yml", variables, "post_tasks"), "h1",
                                              run="remediate"))
    return out


# ------------------------------------------------------------------------------------------------ tests

def test_a_san_host_whose_deciding_reads_hung_is_never_reported_not_san(tmp_path):
    san = facts(hung_san_host(tmp_path))
    assert san["disks"] == {} and san["host"]["initiators"] == [] and san["iscsi_sessions"] == []  # looks empty
    for name, (state, report) in reports(san).items():
        assert report["status"] != "not_san", name
        assert report["status"] in ("failed", "error"), name
        assert not any(f["check"] == "not_san" for f in report["findings"]), name
        # the reason names the reads that did not finish
        text = " ".join("%s %s" % (f["object"], f["reason"]) for f in report["findings"] if f["severity"] == "error")
        assert "initiator" in text and "iscsi_session" in text, (name, text)
        if state is not None:
            assert state == "failed", name  # audit and compliance: the host fails, compliance is not passed


def test_a_real_non_san_host_stays_not_san(tmp_path):
    san = facts(nosan_host(tmp_path))
    assert (san["disks"], san["maps"], san["host"]["initiators"]) == ({}, {}, [])
    for name, (state, report) in reports(san).items():
        assert report["status"] == "not_san", name
        if state is not None:
            assert state == "not_san", name


def test_a_san_host_read_in_full_is_a_san_host(tmp_path):
    san = facts(healthy_san_host(tmp_path))
    for name, (state, report) in reports(san).items():
        assert report["status"] not in ("not_san", "failed"), (name, report["findings"])
        if state is not None:
            assert state == "san", name


@pytest.mark.parametrize("name", ["audit.yml", "compliance.yml", "remediate.yml"])
def test_the_playbooks_take_the_decision_from_the_one_definition(name):
    """No playbook writes its own list of what makes a SAN host: they all read host.san_presence."""
    text = (ROOT / "playbooks" / name).read_text()
    assert "san_presence" in text
    assert "multipathd_running" not in text and "iscsi_sessions | default" not in text
