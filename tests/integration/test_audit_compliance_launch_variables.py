"""audit.yml and compliance.yml refuse, as remediate.yml does, a run given at launch a variable the reports would read
instead of what was read on the hosts, and the audit a fix switch it sets off itself (multipath_config_fix: an extra
var outranks the play's task vars, so the audit, which changes nothing, ran the multipath fix and `multipathd
reconfigure` on every host). Fixture hosts (tests/fleet/fixture_python.py) and the ONTAP simulator, no VM."""
import json

import pytest

from ansible_collections.sanfleet.remediation.tests.integration.test_failure_paths import (  # noqa: F401  # pylint: disable=unused-import
    fleet, run_playbook)
from ansible_collections.sanfleet.remediation.tests.integration.test_remediate_launch_variables import (
    _refused_before_any_read, _refused_before_the_play)

HOST = "node01-unmapped"


@pytest.mark.every_core
@pytest.mark.parametrize("switch", ["multipath_config_fix", "multipath_config_nvme_fix"])
def test_an_audit_given_a_fix_switch_at_launch_is_refused_before_it_reads_a_host(fleet, switch):
    run = run_playbook(fleet, "audit", "fix-given-" + switch, "-e", "sanfleet_hosts=san", "-e", "%s=true" % switch,
                       verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    assert "Write the recommended multipath settings" not in run.stdout and "Read the SAN state" not in run.stdout
    _refused_before_the_play(run, "refused: %s given at launch (an extra var): it would outrank what audit.yml sets "
                                  "(the audit changes nothing" % switch)


def test_an_audit_with_a_fix_switch_in_the_inventory_still_audits(fleet):
    """The inventory may hold the switch for the fix job: the play's task vars outrank it, so the audit runs and
    changes nothing."""
    run = run_playbook(fleet, "audit", "fix-in-inventory", "-e", "sanfleet_hosts=san", verbosity=None,
                       hosts={HOST: dict(fleet["hosts"][HOST], multipath_config_fix=True)})
    assert run.returncode == 0, run.stdout[-3000:]
    doc = json.loads((run.reports / "hosts" / (HOST + ".json")).read_text())
    assert doc["status"] != "failed" and "multipath" in doc["areas"], doc["status"]
    # the audit of the configuration ran, its fix did not
    assert "Audit multipath, LVM and NVMe over Fabrics configuration" in run.stdout, run.stdout[-3000:]
    assert "Write the recommended multipath settings" not in run.stdout, run.stdout[-3000:]


@pytest.mark.parametrize("playbook, given", [
    ("audit", {"sanfleet_host_state": "not_san"}),
    ("audit", {"fleet_report_igroup_records": []}),
    ("compliance", {"sanfleet_compliance_violations": []}),
    ("compliance", {"fleet_report_reports": []}),
    ("compliance", {"fleet_report_igroup_records": []}),
    ("remediate", {"fleet_report_igroup_records": []}),
])
def test_a_name_the_playbook_sets_given_at_launch_is_refused_before_any_read(fleet, playbook, given):
    """A SAN host given sanfleet_host_state=not_san was reported not_san with its SAN checks skipped; a compliance
    run given its violations or the hosts' reports said what the launcher wrote; an audit given no igroup records
    reported no igroup shared by several hosts whatever the clusters said, and a compliance or remediate run, which
    reads no igroup, turned its report's "igroups not compared" into "compared, none shared"."""
    run = run_playbook(fleet, playbook, "given-" + next(iter(given)), "-e", "sanfleet_hosts=san",
                       "-e", json.dumps(given), verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    _refused_before_any_read(run, next(iter(given)))


@pytest.mark.every_core
@pytest.mark.parametrize("playbook", ["audit", "compliance"])
def test_the_facts_of_a_host_given_at_launch_are_refused_before_the_play(fleet, playbook):
    forged = {"ansible_facts": {"san": {"host": {"san_presence": "not_san"}, "findings": [], "verdicts": []}}}
    run = run_playbook(fleet, playbook, "facts-given", "-e", "sanfleet_hosts=san", "-e", json.dumps(forged),
                       verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    _refused_before_the_play(run, "refused: ansible_facts given at launch")


@pytest.mark.every_core
@pytest.mark.parametrize("playbook", ["audit", "compliance"])
def test_a_name_the_playbook_sets_given_as_the_vars_of_an_import_is_refused(fleet, playbook):
    """Play vars (a playbook that imports this one with vars) are no host's variables: the guard asks varnames."""
    site = [{"ansible.builtin.import_playbook": "sanfleet.remediation." + playbook,
             "vars": {"sanfleet_host_state": "not_san"}}]
    run = run_playbook(fleet, playbook, "import-vars", "-e", "sanfleet_hosts=san", verbosity=None,
                       hosts={HOST: fleet["hosts"][HOST]}, site=site)
    _refused_before_any_read(run, "the play (play vars, import_playbook vars): sanfleet_host_state")


def _host_reports(run):
    return {p.stem: json.loads(p.read_text()) for p in (run.reports / "hosts").glob("*.json")} \
        if (run.reports / "hosts").is_dir() else {}


@pytest.mark.every_core
@pytest.mark.parametrize("playbook", ["audit", "compliance"])
def test_skipping_the_tag_always_is_refused_before_the_play(fleet, playbook):
    """The guard is a task tagged always: --skip-tags always (an AWX job template's Skip Tags too) skipped it, and a
    SAN host given sanfleet_host_state=not_san was reported not_san, its SAN checks skipped, rc 0 (review 9)."""
    run = run_playbook(fleet, playbook, "skip-always", "-e", "sanfleet_hosts=san", "--skip-tags", "always",
                       "-e", "sanfleet_host_state=not_san", verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    _refused_before_the_play(run, "refused: %s.yml cannot skip the tag always (--skip-tags always)" % playbook)


def test_an_audit_imported_by_a_wrapper_given_the_fix_switch_is_refused(fleet):
    """AWX runs one-line wrappers (import_playbook): the imported play's hosts template still sees the extra var."""
    run = run_playbook(fleet, "audit", "wrapper-fix", "-e", "sanfleet_hosts=san", "-e", "multipath_config_fix=true",
                       verbosity=None, hosts={HOST: fleet["hosts"][HOST]}, site=["audit"])
    _refused_before_the_play(run, "refused: multipath_config_fix given at launch")


@pytest.mark.parametrize("playbook", ["audit", "compliance"])
def test_an_earlier_play_that_rescued_a_failure_does_not_refuse_the_audit(fleet, playbook):
    """A site.yml whose own first play rescues a failed task (Ansible keeps ansible_failed_task and
    ansible_failed_result as facts of the host for the rest of the run), then the audit or compliance: they read
    those names only in their own rescue, after Ansible sets them again; the run was refused (review 9)."""
    prep = {"name": "the fleet's own preparation", "hosts": "san", "gather_facts": False,
            "tasks": [{"block": [{"ansible.builtin.command": "false", "changed_when": False}],
                       "rescue": [{"ansible.builtin.debug": {"msg": "rescued"}}]}]}
    run = run_playbook(fleet, playbook, "after-rescue", "-e", "sanfleet_hosts=san", verbosity=None,
                       hosts={HOST: fleet["hosts"][HOST]}, site=[prep, playbook])
    assert not [line for line in run.stdout.splitlines() if "refused: " in line], run.stdout[-3000:]
    assert _host_reports(run), "no report written"
