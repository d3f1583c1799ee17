"""The fleet_report role's `main` entry point, run by ansible-playbook on localhost (no VM, no module run).

`fleet_report_parts` is checked by the host_report filter, not by the role's argument spec (which rendered the host's
whole data a second time: docs/performance.md). These tests hold the filter to what the spec guaranteed: a value
that is not a dict fails the task with a message naming its type and sets no report, and the dict the playbooks
pass still gives the host its report.
"""
import json
import os
import subprocess

import pytest

# the value reaches the filter as each core's templating engine hands it over (tagged types on 2.19+)
pytestmark = pytest.mark.every_core

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Build the report of this host
      ansible.builtin.include_role:
        name: sanfleet.remediation.fleet_report
      vars:
        fleet_report_run: audit
        fleet_report_parts: {parts}
    - name: Show what the role set
      ansible.builtin.debug:
        msg: "REPORT={{{{ fleet_report_host | default('unset') | to_json }}}}"
"""


def _run(tmp_path, parts):
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(parts=parts))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False", SANFLEET_REPORT_DIR=str(tmp_path / "reports"))
    return subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(play)], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("parts, kind", [('"not a dict"', "str"), ("[1, 2]", "list"), ("42", "int")])
def test_parts_that_are_not_a_dict_fail_naming_their_type_and_set_no_report(tmp_path, parts, kind):
    """Fails when a wrong type reaches the report (the argument spec no longer checks it: the filter must)."""
    run = _run(tmp_path, parts)
    assert run.returncode != 0, run.stdout
    assert "host_report expects a dict of results, got %s" % kind in run.stdout, run.stdout
    assert "REPORT=" not in run.stdout
    assert not (tmp_path / "reports").exists()


def test_the_parts_a_playbook_passes_give_the_host_its_report(tmp_path):
    """Fails when a dict of parts (the failed-host form, no SAN data) no longer gives a report."""
    run = _run(tmp_path, "{failed: {unreachable: true, task: connection, msg: 'ssh: port 22: Connection refused'}}")
    assert run.returncode == 0, run.stdout + run.stderr
    line = next(ln for ln in run.stdout.splitlines() if "REPORT=" in ln)
    report = json.loads(json.loads("{%s}" % line.strip().rstrip(",").replace('"msg": ', '"m": ', 1))["m"]
                        .split("REPORT=", 1)[1])
    assert report["host"] == "localhost" and report["status"] == "failed"
    assert any("Connection refused" in (f.get("reason") or "") for f in report["findings"])
