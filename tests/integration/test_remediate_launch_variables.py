"""remediate.yml refuses a run given, at launch, a variable that the reports, the plan to approve or the job artifact
read instead of what ran: not only the names the playbook sets itself (own_variables) but the ones Ansible sets
below extra vars (ansible_failed_task / ansible_failed_result, set as facts in a rescue; ansible_facts) and the
fleet_report role's inputs that replace what the play's hosts reported (fleet_report_reports, fleet_report_run).
Each run is a --check over the fixture hosts (tests/fleet/fixture_python.py); each must be refused before any host
or array is read, as test_failure_paths.py's own-variables test is."""
import json

import pytest

from ansible_collections.sanfleet.remediation.tests.integration.test_failure_paths import (  # noqa: F401  # pylint: disable=unused-import
    fleet, run_playbook)

HOST = "node01-unmapped"


def _refused_before_any_read(run, name):
    assert run.returncode == 2, run.stdout[-3000:]
    refusal = [line for line in run.stdout.splitlines() if "refused: " in line]
    assert refusal and name in refusal[0], run.stdout[-3000:]
    assert run.requests == 0, "the array was read"
    assert not (run.reports / "hosts").exists(), sorted(p.name for p in run.reports.rglob("*"))


def _refused_before_the_play(run, words):
    """Refused where the play's hosts are templated, before any task: Ansible's error (its exit code, not the
    playbook's) with the refusal's words, nothing read, nothing written."""
    assert run.returncode not in (0, 2), run.returncode
    assert words in " ".join((run.stdout + run.stderr).split()), (run.stdout + run.stderr)[-3000:]
    assert run.requests == 0, "the array was read"
    assert not run.reports.exists() or not any(run.reports.rglob("*.json")), sorted(p.name for p in run.reports.rglob("*"))


def _report(run, host=HOST):
    return json.loads((run.reports / "hosts" / (host + ".json")).read_text())


GUARD = "The module's result is its own (no stale_cleanup_result given as a variable)"


def test_a_failed_task_given_at_launch_cannot_hide_that_the_module_ran(fleet):
    """ansible_failed_task and ansible_failed_result are what Ansible sets, as facts of the host, for a rescue: extra
    vars outrank them. Given the name of one of the role's guards (sanfleet_role_guards), a host whose connection
    dropped while stale_cleanup ran (what it executed is unknown) is reported as refused by that guard before the
    module ran: remediation.unknown gone, approval "refused", the module's error replaced by the given msg. The run
    must be refused before any host is read."""
    from ansible.plugins.connection import local
    from ansible_collections.sanfleet.remediation.tests.integration.test_failure_paths import LOSSY_CONNECTION
    plugins = fleet["top"] / "connection_plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "lossy.py").write_text(LOSSY_CONNECTION % (local.DOCUMENTATION.replace("name: local", "name: lossy", 1),
                                                          "stale_cleanup", "stale_cleanup"))
    forged = {"ansible_failed_task": {"name": GUARD},
              "ansible_failed_result": {"msg": "refused before the module ran; nothing was touched"}}
    lost = "node53-lost"
    run = run_playbook(fleet, "remediate", "failed-task-given", "--check", "-e", "sanfleet_hosts=san",
                       "-e", json.dumps(forged), verbosity=None,
                       hosts={lost: dict(fleet["hosts"][HOST], ansible_connection="lossy")},
                       env={"ANSIBLE_CONNECTION_PLUGINS": str(plugins)})
    if (run.reports / "hosts" / (lost + ".json")).exists():
        doc = _report(run, lost)
        print("FORGED REPORT:", json.dumps({"remediation": doc["remediation"], "errors": doc["errors"]}, indent=1))
    _refused_before_any_read(run, "ansible_failed_task")


def test_the_reports_of_the_hosts_given_at_launch_are_refused(fleet):
    """fleet_report_reports (an input of the fleet_report role, for compliance_merge) replaces the reports of the
    play's hosts in every file written and in the job artifact: given at launch, the host's report, the fleet pages
    and the sanfleet_report artifact say what the launcher wrote (here: 3 steps executed on a --check run, status ok),
    not what the module did. The run must be refused before any host is read."""
    honest = run_playbook(fleet, "remediate", "reports-given-honest", "--check", "-e", "sanfleet_hosts=san",
                          verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    forged = _report(honest)
    forged["status"], forged["findings"] = "ok", []
    forged["remediation"]["counts"].update(planned=3, executed=3)
    run = run_playbook(fleet, "remediate", "reports-given", "--check", "-e", "sanfleet_hosts=san",
                       "-e", json.dumps({"fleet_report_reports": [forged]}), verbosity=None,
                       hosts={HOST: fleet["hosts"][HOST]})
    if (run.reports / "hosts" / (HOST + ".json")).exists():
        for name, proc in (("HONEST", honest), ("FORGED", run)):
            fleet_doc = json.loads((proc.reports / "fleet.json").read_text())
            print(name, _report(proc)["status"], _report(proc)["remediation"]["counts"],
                  fleet_doc["counts"]["remediation"], fleet_doc["counts"]["by_status"])
    _refused_before_any_read(run, "fleet_report_reports")


@pytest.mark.every_core
def test_the_facts_of_a_host_given_at_launch_are_refused(fleet):
    """ansible_facts given as an extra var outranks the facts the modules return (stale_mpath_facts, stale_cleanup
    set ansible_facts.san): the report's SAN state, its not_san decision, the task that stops a host whose reads hung
    (san_presence unknown) and the one that stops a host with a corruption risk all read the launcher's dict instead.
    Here a SAN host whose module planned is reported as a host without SAN, with no map. The run must be refused
    before any host is read."""
    forged = {"ansible_facts": {"san": {"host": {"san_presence": "not_san", "san_presence_reason": "forged", "initiators": []},
                                        "maps": [], "disks": [], "corruption_risks": []}}}
    run = run_playbook(fleet, "remediate", "facts-given", "--check", "-e", "sanfleet_hosts=san",
                       "-e", json.dumps(forged), verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    if (run.reports / "hosts" / (HOST + ".json")).exists():
        doc = _report(run)
        print("FORGED", doc["status"], doc.get("summary"), [f.get("reason") for f in doc.get("findings", [])][:3])
    _refused_before_the_play(run, "refused: ansible_facts given at launch")


def test_the_kind_of_run_given_at_launch_is_refused(fleet):
    """fleet_report_run is set by remediate.yml (remediate) on the role's include: an extra var outranks it, and the
    reports of a remediate run are written as an audit's, with no remediation section (what the module planned and
    ran, its approval gate) in any host's report, the fleet pages or the artifact. The run must be refused."""
    run = run_playbook(fleet, "remediate", "run-given", "--check", "-e", "sanfleet_hosts=san",
                       "-e", "fleet_report_run=audit", verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    if (run.reports / "hosts" / (HOST + ".json")).exists():
        fleet_doc = json.loads((run.reports / "fleet.json").read_text())
        print("FORGED", fleet_doc.get("run"), "remediation" in _report(run), fleet_doc["counts"].get("remediation"))
    _refused_before_any_read(run, "fleet_report_run")


@pytest.mark.every_core
def test_a_run_started_after_the_guard_is_refused(fleet):
    """--start-at-task skips every task before the one named, the `always` ones included: the play's guard against
    variables given at launch is then skipped, and a sanfleet_plan given as an extra var is written as
    sanfleet-plan.json and published as the plan to approve (sanfleet_approved_plan) for a host never read."""
    forged = {"sanfleet_plan": {HOST: {"format": 1, "host": HOST, "steps": [{"action": "forged"}]}}}
    run = run_playbook(fleet, "remediate", "start-at-task", "--check", "-e", "sanfleet_hosts=san",
                       "--start-at-task", "Create the report directory", "-e", json.dumps(forged), verbosity=None,
                       hosts={HOST: fleet["hosts"][HOST]})
    _refused_before_the_play(run, "refused: remediate.yml cannot start at a task (--start-at-task)")


def test_a_variable_given_in_the_inventory_of_a_later_batch_refuses_the_run_before_the_first_batch(fleet):
    """The guard runs per host in pre_tasks, and a real run's pre_tasks run per batch (serial 1): a host of the second
    batch whose inventory gives a variable the play sets is refused only once the first batch's hosts went through
    stale_cleanup (removed devices), not "before any host or array is read" as docs/runbook.md says."""
    first, later = "node00-healthy", "node70-later"
    hosts = {first: fleet["hosts"]["node00-healthy"],
             later: dict(fleet["hosts"]["node00-healthy"], sanfleet_plan_dir="/tmp/forged")}
    run = run_playbook(fleet, "remediate", "later-batch", "-e", "sanfleet_hosts=san", "-e", "sanfleet_allow_unreviewed=true",
                       verbosity=None, hosts=hosts)
    ran = [line for line in run.stdout.splitlines() if line.startswith(("ok: [%s]" % first, "changed: [%s]" % first))]
    print("RC", run.returncode, "requests", run.requests, "modules run on the first host before the refusal:",
          "Find and remove the stale SAN devices" in run.stdout.split("refused: ")[0])
    assert run.returncode == 2, run.stdout[-3000:]
    assert "Find and remove the stale SAN devices" not in run.stdout.split("refused: ")[0], run.stdout[-4000:]
    assert run.requests == 0, "the array was read"


def test_an_ansible_limit_given_as_a_variable_does_not_name_the_hosts(fleet):
    """ansible_limit is an options var Ansible sets only when --limit is given: without --limit, -e ansible_limit=<one
    host> (an AWX extra var) passes the "name the hosts" assert and the play runs on the whole inventory (hosts:
    sanfleet_hosts | default('all')). The run must be refused as one without sanfleet_hosts or --limit is."""
    hosts = {name: fleet["hosts"][name] for name in ("node00-healthy", HOST)}
    run = run_playbook(fleet, "remediate", "limit-var", "--check", "-e", "ansible_limit=" + HOST, verbosity=None,
                       hosts=hosts)
    print("RC", run.returncode, "read:", [h for h in hosts if "ok: [%s]" % h in run.stdout])
    assert run.returncode == 2, run.stdout[-3000:]
    assert "name the hosts with -e sanfleet_hosts=<group or pattern> or --limit" in run.stdout + run.stderr
    assert run.requests == 0


def test_reports_given_at_launch_cannot_make_a_plan_whose_array_was_not_read_approvable(fleet):
    """The same fleet_report_reports, given to a --check run whose ONTAP cluster refuses the connection: the array
    gate is computed from the given reports, so the plan job ends 0 and publishes sanfleet_plan_failed '' (the run
    job would take the plan as approvable), where it must fail and publish why (sanfleet_require_array)."""
    honest = run_playbook(fleet, "remediate", "gate-honest", "--check", "-e", "sanfleet_hosts=san", verbosity=None,
                          hosts={HOST: fleet["hosts"][HOST]})
    forged = _report(honest)
    refused = run_playbook(fleet, "remediate", "gate-refused", "--check", "-e", "sanfleet_hosts=san", verbosity=None,
                           hosts={HOST: fleet["hosts"][HOST]}, env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"},
                           cluster_update={"http_port": 1})
    run = run_playbook(fleet, "remediate", "gate-forged", "--check", "-e", "sanfleet_hosts=san",
                       "-e", json.dumps({"fleet_report_reports": [forged]}), verbosity=None,
                       hosts={HOST: fleet["hosts"][HOST]}, env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"},
                       cluster_update={"http_port": 1})
    failed = [line for line in run.stdout.splitlines() if '"sanfleet_plan_failed"' in line]
    print("HONEST rc", refused.returncode, [line.strip() for line in refused.stdout.splitlines()
                                            if '"sanfleet_plan_failed"' in line],
          "FORGED rc", run.returncode, [line.strip() for line in failed])
    assert refused.returncode == 2 and "the array could not be read" in refused.stdout, refused.stdout[-3000:]
    _refused_before_any_read(run, "fleet_report_reports")


def test_a_variable_given_at_launch_is_refused_when_the_plays_first_host_was_lost_in_an_earlier_play(fleet):
    """The guard runs only on ansible_play_hosts_all[0]. A host that was unreachable (or failed) in an earlier play of
    the same run (a site playbook: audit.yml, then remediate.yml) is still ansible_play_hosts_all[0] of the remediate
    play, but Ansible runs no task on it there: the guard is skipped for every host, and a sanfleet_plan given as an
    extra var is written as sanfleet-plan.json and published as the plan to approve. The run must be refused."""
    from ansible_collections.sanfleet.remediation.tests.integration.test_failure_paths import DOWN
    first = "node00-down"
    forged = {"sanfleet_plan": {HOST: {"format": 1, "host": HOST, "steps": [{"action": "forged"}]}}}
    run = run_playbook(fleet, "remediate", "first-host-lost", "--check", "-e", "sanfleet_hosts=san",
                       "-e", json.dumps(forged), verbosity=None, site=["audit", "remediate"],
                       hosts={first: fleet["hosts"][DOWN], HOST: fleet["hosts"][HOST]})
    plan = run.reports / "sanfleet-plan.json"
    print("RC", run.returncode, "PLAN WRITTEN:", plan.read_text()[:400] if plan.exists() else None)
    print("\n".join(l for l in run.stdout.splitlines() if l.startswith(("PLAY", "TASK [No variable", "skipping", "fatal"))))
    assert not plan.exists() or "forged" not in plan.read_text(), plan.read_text()[:2000]
    assert not _plan_steps(run, HOST), "the plan removes a LUN the array maps"
    # rc 4: the host lost in audit.yml is unreachable (it wins over 2)
    assert run.returncode in (2, 4) and "refused: " in run.stdout and "sanfleet_plan" in run.stdout, run.stdout[-3000:]


def _plan_steps(run, host):
    plan = run.reports / "sanfleet-plan.json"
    return json.loads(plan.read_text()).get(host, {}).get("steps", []) if plan.exists() else None


@pytest.mark.parametrize("given", [[], ["-e", "fleet_report_unreachable_fails=false"]], ids=["as-set", "given"])
def test_a_real_run_stops_at_an_unreachable_host_whatever_is_given_at_launch(fleet, given):
    """A real run with sanfleet_serial above 1 stops at an unreachable host only because fail_host fails it
    (fleet_report_unreachable_fails, set by remediate.yml on the include): max_fail_percentage counts failed hosts
    only. The role input is not refused: given as an extra var it outranks the include's value, the unreachable
    host is counted unreachable, not failed, and the next batch's host is remediated."""
    from ansible_collections.sanfleet.remediation.tests.integration.test_failure_paths import DOWN
    down, first, later = "node00-down", HOST, "node02-mounted"
    run = run_playbook(fleet, "remediate", "unreachable-stops-" + ("given" if given else "set"),
                       "-e", "sanfleet_hosts=san", "-e", "sanfleet_allow_unreviewed=true", "-e", "sanfleet_serial=2",
                       *given, verbosity=None,
                       hosts={down: fleet["hosts"][DOWN], first: fleet["hosts"][first], later: fleet["hosts"][later]})
    reached = [l for l in run.stdout.splitlines() if "[%s]" % later in l]
    print("RC", run.returncode, "lines of the later batch's host:", len(reached), reached[:3])
    print([l for l in run.stdout.splitlines() if l.startswith(("node", "PLAY RECAP"))])
    assert not reached, "the rollout went on past the unreachable host: %s" % reached[:10]


def test_inventory_hostname_given_at_launch_cannot_skip_the_guard(fleet):
    """The guard runs `when: inventory_hostname == ansible_play_hosts_all[0]`. inventory_hostname is a host variable
    (the inventory's), not a magic one: an extra var of that name outranks it on every host, the condition is false
    on all of them, and the guard is skipped for the whole play: a sanfleet_plan given as an extra var is then
    written as sanfleet-plan.json and published as the plan to approve. The run must be refused."""
    forged = {"inventory_hostname": "nobody",
              "sanfleet_plan": {HOST: {"format": 1, "host": HOST, "steps": [{"action": "forged"}]}}}
    run = run_playbook(fleet, "remediate", "hostname-given", "--check", "-e", "sanfleet_hosts=san",
                       "-e", json.dumps(forged), verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    plan = run.reports / "sanfleet-plan.json"
    print("RC", run.returncode, "requests", run.requests, "PLAN WRITTEN:", plan.read_text()[:300] if plan.exists() else None)
    print([l for l in run.stdout.splitlines() if "No variable this playbook sets" in l or l.startswith(("skipping", "fatal"))][:4])
    assert not plan.exists() or "forged" not in plan.read_text(), plan.read_text()[:2000]
    _refused_before_the_play(run, "refused: inventory_hostname given at launch")


def _truth_without_lun_2():
    """An array truth that covers node01-unmapped's target and initiator and lists the array's records of LUNs 1 and
    3 (their paths work), LUN 2's (its paths are down, the array maps it) left out."""
    import time
    now = int(time.time())
    luns = [{"cluster": "sanlab", "svm": "svm_sanlab", "path": "/vol/vol_sanlab/lun%dg0" % n, "lun_id": n,
             "serial": "80Lab-00%d+Ab" % n, "wwid": "3600a098038304c61622d3030%d2b4162" % (30 + n),
             "igroup": "ig_sanlab", "igroup_initiators": ["iqn.2024-01.lab.san:initiator"], "state": "online",
             "size_bytes": 33554432, "collected_at": now} for n in (1, 3)]
    return {"luns": luns, "problems": [], "initiators": ["iqn.2024-01.lab.san:initiator"], "collected_at": now,
            "targets": [{"cluster": "sanlab", "svm": "svm_sanlab", "iscsi_target_names": ["iqn.2024-01.lab.san:target1"],
                         "iscsi_addresses": ["127.0.0.1", "127.0.0.2"], "fc_wwpns": [], "collected_at": now}]}


def test_an_array_truth_given_at_launch_cannot_plan_the_removal_of_a_lun_the_array_maps(fleet):
    """stale_cleanup_array_truth is the stale_cleanup role's input for a truth its caller read. remediate.yml does not
    set it, and it was not refused: given as an extra var (the AWX run template asks for variables on launch), it
    replaced what ontap_truth reads from the array, and the array was never asked. The fleet's array maps LUN 2
    (80Lab-002+Ab) to ig_sanlab, whose initiator node01-unmapped logs in with, and the host's two paths to it failed.
    Read from the array, the map is paths_down_but_mapped and nothing is planned. Given a truth that covers the
    host's target and initiator but lists only the array's records of LUNs 1 and 3, the map was stale_unmapped and
    the plan to approve removed it, its report saying "array checked". The run must be refused before any host is
    touched (review 6)."""
    forged = {"stale_cleanup_array_truth": _truth_without_lun_2()}
    honest = run_playbook(fleet, "remediate", "truth-honest", "--check", "-e", "sanfleet_hosts=san",
                          verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    run = run_playbook(fleet, "remediate", "truth-given", "--check", "-e", "sanfleet_hosts=san",
                       "-e", json.dumps(forged), verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    for name, proc in (("HONEST", honest), ("GIVEN", run)):
        doc = _report(proc) if (proc.reports / "hosts" / (HOST + ".json")).exists() else {}
        print(name, "rc", proc.returncode, "ONTAP requests", proc.requests,
              "array_state", doc.get("summary", {}).get("array_state"),
              "steps", json.dumps(_plan_steps(proc, HOST))[:600])
    # read from the array (the honest run), LUN 2 is mapped: nothing to remove
    assert honest.returncode == 0 and honest.requests > 0 and not _plan_steps(honest, HOST), honest.stdout[-3000:]
    assert not _plan_steps(run, HOST), "the plan removes a LUN the array maps"
    _refused_before_any_read(run, "stale_cleanup_array_truth")


def test_a_real_run_given_an_array_truth_at_launch_does_not_remove_a_lun_the_array_maps(fleet):
    """The real run of the case above (sanfleet_allow_unreviewed, the hand-run emergency): the map of LUN 2, which
    the array still maps (its paths are down: an outage), was written to (queueing off, then flush and path
    deletes) on the word of a truth given as an extra var, and the array was never asked. The run must be refused
    before the host is touched."""
    forged = {"stale_cleanup_array_truth": _truth_without_lun_2()}
    run = run_playbook(fleet, "remediate", "truth-given-real", "-e", "sanfleet_hosts=san",
                       "-e", "sanfleet_allow_unreviewed=true", "-e", json.dumps(forged), verbosity=None,
                       hosts={HOST: fleet["hosts"][HOST]})
    # refused before any host is read: no module ran, nothing was written to the map of LUN 2
    _refused_before_any_read(run, "stale_cleanup_array_truth")


def _imported_with(name, value):
    """A playbook of one import of remediate.yml, with `vars` (play vars of its play: no host holds them)."""
    return [{"ansible.builtin.import_playbook": "sanfleet.remediation.remediate", "vars": {name: value}}]


@pytest.mark.every_core
def test_an_array_truth_given_as_the_vars_of_an_import_cannot_plan_the_removal_of_a_lun_the_array_maps(fleet):
    """A playbook that imports remediate.yml with vars: {stale_cleanup_array_truth: ...} gave the play the variable,
    which no host's variables hold: the guard read hostvars only, the array was never asked and the plan removed the
    map of LUN 2, which the array maps (paths down: an outage). Refused before any read (review 8)."""
    run = run_playbook(fleet, "remediate", "import-vars-truth", "--check", "-e", "sanfleet_hosts=san", verbosity=None,
                       hosts={HOST: fleet["hosts"][HOST]},
                       site=_imported_with("stale_cleanup_array_truth", _truth_without_lun_2()))
    assert not _plan_steps(run, HOST), "the plan removes a LUN the array maps"
    _refused_before_any_read(run, "the play (play vars, import_playbook vars): stale_cleanup_array_truth")


def test_reports_given_as_the_vars_of_an_import_are_refused(fleet):
    """fleet_report_reports given as import vars replaced the host's report (status ok, steps executed on a --check
    run) (review 8)."""
    run = run_playbook(fleet, "remediate", "import-vars-reports", "--check", "-e", "sanfleet_hosts=san",
                       verbosity=None, hosts={HOST: fleet["hosts"][HOST]},
                       site=_imported_with("fleet_report_reports", [{"host": HOST, "status": "ok"}]))
    _refused_before_any_read(run, "fleet_report_reports")


def test_host_evidence_with_array_prefixes_given_at_launch_does_not_remove_a_lun_the_array_maps(fleet):
    """stale_cleanup_policy=host_evidence and stale_cleanup_array_wwid_prefixes given at launch, neither a force
    option: with the prefixes naming another vendor's, the ONTAP LUNs were unknown_array before their records were
    looked at, and host evidence removed the map of LUN 2, which the array read by this run maps (review 8)."""
    given = {"stale_cleanup_policy": "host_evidence", "stale_cleanup_array_wwid_prefixes": ["3624a9370"],
             "stale_cleanup_grace": 1}
    run = run_playbook(fleet, "remediate", "host-evidence-prefixes", "--check", "-e", "sanfleet_hosts=san",
                       "-e", json.dumps(given), verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
    assert run.returncode == 0 and run.requests > 0, run.stdout[-3000:]
    stale = "3600a098038304c61622d3030322b4162"
    assert not [s for s in _plan_steps(run, HOST) or [] if s.get("target") == stale], _plan_steps(run, HOST)
    doc = _report(run)
    assert [v["kind"] for v in doc["verdicts"] if v.get("name") == stale] == ["paths_down_but_mapped"], doc["verdicts"]
