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


ROLES_PLAY = """
- hosts: fixture
  gather_facts: false
  roles:
    - role: sanfleet.remediation.multipath_config
      tags: [mp]
      vars:
        multipath_config_fix: true
        multipath_config_backup: false
"""


def _run(tmp_path, fix, fail_on_findings, check=False, play_text=None, extra=()):
    shim = tmp_path / "python-fixture"
    shim.write_text('#!/bin/sh\nexec %s %s unmapped "$@"\n' % (sys.executable, REPO / "tests" / "fleet" / "fixture_python.py"))
    shim.chmod(0o755)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("fixture ansible_connection=local ansible_python_interpreter=%s\n" % shim)
    play = tmp_path / "play.yml"
    play.write_text(play_text or PLAY.format(fix=fix, fail_on_findings=fail_on_findings))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_LOCALHOST_WARNING="False")
    cmd = ["ansible-playbook", "-i", str(inventory), str(play)] + (["--check"] if check else []) + list(extra)
    return subprocess.run(cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600, check=False)


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


@pytest.mark.parametrize("tags", [["--tags", "mp"], ["--skip-tags", "always"]])
def test_the_fix_runs_under_the_tags_the_role_was_given(tmp_path, tags):
    """Fails when the fix's included tasks do not take the role's tags: skipped under --skip-tags always, or under
    --tags given to the role (the role ending green having fixed nothing). Check mode: the fixture host is
    read-only."""
    run = _run(tmp_path, fix=None, fail_on_findings=None, check=True, play_text=ROLES_PLAY, extra=tags)
    assert run.returncode == 0, run.stdout + run.stderr
    for task in ("Write the recommended multipath settings", "Audit again after the fix"):
        assert "TASK [sanfleet.remediation.multipath_config : %s]" % task in run.stdout, run.stdout


def test_a_fix_on_a_fixture_host_writes_nothing(tmp_path):
    """Fails when a fix run on a fixture host (which stands for a managed host on the machine running the tests)
    writes the file it was given: the fixture must refuse every write, as its docstring says."""
    target = tmp_path / "etc" / "multipath.conf"
    target.parent.mkdir()
    play = PLAY.format(fix="true", fail_on_findings="false").replace(
        "multipath_config_backup: false", "multipath_config_backup: false\n        multipath_config_path: %s" % target)
    run = _run(tmp_path, fix=None, fail_on_findings=None, play_text=play)
    assert run.returncode != 0 and "read-only" in run.stdout, run.stdout
    assert not target.exists() and os.listdir(str(target.parent)) == []


NVME_FIX_PLAY = """
- hosts: fixture
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: sanfleet.remediation.multipath_config
      vars:
        multipath_config_nvme_fix: true
        multipath_config_nvme: {nvme}
        multipath_config_backup: false
"""


def test_the_nvme_fix_asked_for_alone_runs_and_the_multipath_fix_does_not(tmp_path):
    """multipath_config_nvme_fix: true alone ran no fix at all (it needed multipath_config_fix too): an option that
    silently does nothing. It runs the NVMe over Fabrics fix, and only it."""
    run = _run(tmp_path, None, None, play_text=NVME_FIX_PLAY.format(nvme="true"))
    assert run.returncode == 0, run.stdout[-3000:]
    outcome = dict((chunk.split("]", 1)[0].split(" : ")[-1], chunk) for chunk in run.stdout.split("TASK [")[1:])
    assert "ok: [fixture]" in outcome["Write the NVMe over Fabrics settings that can change without touching an outage"]
    assert "skipping: [fixture]" in outcome["Write the recommended multipath settings"]


def test_an_nvme_fix_without_its_audit_fails_before_anything_naming_both_variables(tmp_path):
    run = _run(tmp_path, None, None, play_text=NVME_FIX_PLAY.format(nvme="false"))
    assert run.returncode != 0, run.stdout[-3000:]
    fatal = [ln for ln in run.stdout.splitlines() if ln.startswith("fatal:")]
    assert len(fatal) == 1 and "multipath_config_nvme_fix is true but multipath_config_nvme is false" in fatal[0]
    ran = [ln for ln in run.stdout.splitlines() if ln.startswith("TASK [")]
    assert not any("Audit the effective multipath configuration" in t for t in ran), ran


def test_the_audit_playbook_fixes_nothing_when_the_inventory_asks_the_nvme_fix(tmp_path):
    """playbooks/audit.yml "changes nothing": it includes multipath_config with multipath_config_fix false. With the
    NVMe over Fabrics fix on its own switch, a fleet's `multipath_config_nvme_fix: true` (group_vars, meant for the
    fix job) must still leave an audit read-only. Fails when the audit runs nvme_conf state=present: it writes the
    subsystems' iopolicy and the live controllers' ctrl_loss_tmo (here into a private copy of the captured tree)."""
    shim = tmp_path / "python-fixture"
    shim.write_text('#!/bin/sh\nexec %s %s nvme_stale "$@"\n' % (sys.executable, REPO / "tests" / "fleet" / "fixture_python.py"))
    shim.chmod(0o755)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("fixture ansible_connection=local ansible_python_interpreter=%s multipath_config_nvme_fix=true\n"
                         % shim)
    cache = tmp_path / "cache"   # a private copy of the tree: a write must not reach the fixture cache others read
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_LOCALHOST_WARNING="False",
               SANFLEET_FIXTURE_CACHE=str(cache))
    run = subprocess.run(["ansible-playbook", "-i", str(inventory), str(REPO / "playbooks" / "audit.yml"),
                          "--tags", "facts,config"], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                         timeout=600, check=False)
    outcome = dict((chunk.split("]", 1)[0].split(" : ")[-1], chunk) for chunk in run.stdout.split("TASK [")[1:])
    fix = outcome.get("Write the NVMe over Fabrics settings that can change without touching an outage", "")
    assert "Audit the NVMe over Fabrics settings" in outcome, run.stdout[-3000:]
    assert not fix or "skipping: [fixture]" in fix, fix[:1500]
    sysfs = cache / "nvme_stale" / "root" / "sys" / "devices" / "virtual"
    assert (sysfs / "nvme-subsystem" / "nvme-subsys0" / "iopolicy").read_text().strip() == "numa"
    assert (sysfs / "nvme-fabrics" / "ctl" / "nvme1" / "ctrl_loss_tmo").read_text().strip() == "off"


def test_the_deprecated_multipath_audit_role_runs_the_nvme_fix_only_beside_its_multipath_fix(tmp_path):
    """multipath_audit predates the NVMe fix's own switch: under that name the inventory's multipath_config_nvme_fix
    takes effect only with multipath_audit_fix, as before, so its audits stay read-only."""
    play = tmp_path / "play.yml"
    play.write_text("- hosts: fixture\n  gather_facts: false\n  roles:\n    - role: sanfleet.remediation.multipath_audit\n"
                    "      vars: {multipath_audit_backup: false}\n")
    group_vars = tmp_path / "group_vars"
    group_vars.mkdir()
    (group_vars / "all.yml").write_text("multipath_config_nvme_fix: true\n")
    run = _run(tmp_path, None, None, play_text=play.read_text())
    outcome = dict((chunk.split("]", 1)[0].split(" : ")[-1], chunk) for chunk in run.stdout.split("TASK [")[1:])
    fix = outcome.get("Write the NVMe over Fabrics settings that can change without touching an outage", "")
    assert run.returncode == 0 and (not fix or "skipping: [fixture]" in fix), run.stdout[-3000:]
