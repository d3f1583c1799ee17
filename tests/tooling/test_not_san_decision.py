# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The not-SAN decision of audit.yml, compliance.yml and remediate.yml, end to end: the real reader (its pieces
made to miss their deadlines as in the observe tests), the facts as stale_mpath_facts returns them (compact), the
playbooks' own tasks that decide the host's state (rendered as Ansible would: set_fact tasks of the read block in
order, with their `when`), and the host report built from the parts the playbook gives the fleet_report role.

A host whose SAN-deciding reads did not finish is not known to be a non-SAN host: it must never be reported
`not_san` (info, passes compliance), whatever else it shows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
from ansible_collections.sanfleet.remediation.tests.tooling.helpers import (
    ROOT, decide, facts, hung_san_host, play, render)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe import helpers as t


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
