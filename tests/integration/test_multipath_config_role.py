"""The multipath_config role's failure ends, run by ansible-playbook on a fixture host (no VM): the local machine
looks like a captured lab host (tests/fleet/fixture_python.py), whose multipath settings queue without bound.

One task fails the role at its end, for two reasons: findings of an audit asked to fail on them
(multipath_config_fail_on_findings), or an NVMe over Fabrics fix that stopped (tests/integration/test_nvme_lab.py
proves that one on a real kernel). These tests hold the first: it fails an audit only, and names the checks.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAY = """
- hosts: fixture
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: sanfleet.remediation.multipath_config
      vars:
        multipath_config_fix: {fix}
        multipath_config_fail_on_findings: {fail_on_findings}
        multipath_config_backup: false
"""


def _run(tmp_path, fix, fail_on_findings, check=False):
    shim = tmp_path / "python-fixture"
    shim.write_text('#!/bin/sh\nexec %s %s unmapped "$@"\n' % (sys.executable, REPO / "tests" / "fleet" / "fixture_python.py"))
    shim.chmod(0o755)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("fixture ansible_connection=local ansible_python_interpreter=%s\n" % shim)
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(fix=fix, fail_on_findings=fail_on_findings))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_LOCALHOST_WARNING="False")
    cmd = ["ansible-playbook", "-i", str(inventory), str(play)] + (["--check"] if check else [])
    return subprocess.run(cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)


def test_an_audit_asked_to_fail_on_findings_fails_naming_each_check(tmp_path):
    """Fails when findings of an audit that asked for it do not fail the host, or the message hides the checks."""
    run = _run(tmp_path, fix="false", fail_on_findings="true")
    assert run.returncode != 0, run.stdout
    fatal = [ln for ln in run.stdout.splitlines() if ln.startswith("fatal:")]
    assert len(fatal) == 1 and "multipath audit: [" in fatal[0] and "no_path_retry_queue" in fatal[0], run.stdout
    assert "NVMe over Fabrics fix" not in fatal[0]


@pytest.mark.parametrize("fix, fail_on_findings", [("false", "false"), ("true", "true")])
def test_findings_fail_nothing_unless_an_audit_asks(tmp_path, fix, fail_on_findings):
    """Fails when an audit that did not ask, or a fix (here in check mode: the fixture host is read-only), fails on
    the findings the audit reports."""
    run = _run(tmp_path, fix=fix, fail_on_findings=fail_on_findings, check=fix == "true")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "fatal:" not in run.stdout
    if fix == "true":
        # the fix's tasks ran from their include, in check mode
        assert "Write the recommended multipath settings" in run.stdout and "Audit again after the fix" in run.stdout
