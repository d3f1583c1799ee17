"""Plan, approve, apply with playbooks/remediate.yml, as docs/runbook.md shows it: the runbook's --check command
writes plan/sanfleet-plan.json, and its run command executes only what that file approves.

The hosts are fixture hosts (tests/fleet/fixture_python.py: this machine with the SAN state of a captured lab
tree, no VM): db01 has a stale map (the `unmapped` capture), db02 is healthy. The fixture hosts are read-only, so
the runbook's run command runs with --check added (check mode with an approved plan reports exactly what the run
would do), and for real only where nothing is approved for the host (nothing is touched then).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# arrays: a fixture, for the tests of this file and of those that import its site
from ansible_collections.sanfleet.remediation.tests.integration.test_fleet_runner import (  # noqa: F401  # pylint: disable=unused-import
    _shims, arrays)

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO / "docs" / "runbook.md"
STALE = "3600a098038304c61622d3030322b4162"
HOSTS = {"db01": "unmapped", "db02": "healthy"}


def runbook_commands():
    """The runbook's plan (--check) and run (with the approved plan) commands, each with the `export` line of the
    plan's block before it, as shell text (they use $PWD and $SANFLEET_REPORT_DIR)."""
    text = RUNBOOK.read_text()
    blocks = [block.strip().splitlines() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]
    lines = [line.strip() for block in blocks for line in block]
    remediate = [line for line in lines
                 if line.startswith("ansible-playbook") and "sanfleet.remediation.remediate" in line]
    plan = [line for line in remediate if "--check" in line.split()]
    run = [line for line in remediate if "sanfleet_approved_plan_file=" in line]
    assert len(plan) == 1 and len(run) == 1, remediate
    exports = [line for block in blocks if plan[0] in block for line in block if line.startswith("export ")]
    assert exports and "SANFLEET_REPORT_DIR" in exports[0], exports
    return "\n".join(exports + plan), "\n".join(exports + run)


@pytest.fixture
def site(tmp_path, arrays):
    """A working directory as the runbook assumes it: `inventory` (group db) and `ontap.yml`, the cluster of the
    `unmapped` capture (LUN 2 unmapped from the lab's initiator), served by the ONTAP simulator."""
    _shims(tmp_path / "bin")
    hosts = dict((name, {"ansible_connection": "local", "ansible_become": False,
                         "ansible_python_interpreter": str(tmp_path / "bin" / ("python-" + scenario))})
                 for name, scenario in HOSTS.items())
    (tmp_path / "inventory").write_text(yaml.safe_dump({"all": {"children": {"db": {"hosts": hosts}}}}))
    (tmp_path / "ontap.yml").write_text(yaml.safe_dump({"sanfleet_ontap": arrays["unmapped"]}))
    return tmp_path


def play(site, script, *extra):
    """`script` run by bash in the site directory, as a user types it; `extra` appended to its last line."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ONTAP_", "SANFLEET_REPORT_DIR")))
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_SHOW_CUSTOM_STATS="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))
    proc = subprocess.run(["bash", "-c", " ".join((script,) + extra)], cwd=str(site), env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    proc.out = proc.stdout + proc.stderr
    return proc


def shown(stdout, host):
    """The plan a host printed ("Show the plan of this host")."""
    m = re.search(r'ok: \[%s\] => \{\n    "msg": (\{.*?\n    \})' % host, stdout, re.S)
    assert m, stdout[-3000:]
    return json.loads(m.group(1))


def custom_stats(stdout):
    """What set_stats published for the run (the job artifacts AWX passes to the next node of a workflow)."""
    line = [x for x in stdout.splitlines() if x.strip().startswith("RUN: ")]
    assert len(line) == 1, stdout[-3000:]
    return json.loads(line[0].strip()[len("RUN: "):])


def remediation(reports, host):
    return json.loads((reports / "hosts" / ("%s.json" % host)).read_text())["remediation"]


def test_plan_approve_apply_as_the_runbook_says(site):
    plan_cmd, run_cmd = runbook_commands()
    proc = play(site, plan_cmd)
    assert proc.returncode == 0, proc.out[-4000:]
    reports = list((site / "reports").iterdir())
    assert len(reports) == 1, reports
    reports = reports[0]
    plan_file = reports / "sanfleet-plan.json"
    approved = json.loads(plan_file.read_text())
    assert sorted(approved) == ["db01", "db02"]
    db01 = approved["db01"]
    assert db01["format"] == 1 and db01["host"]["machine_id"] and approved["db02"]["steps"] == []
    assert ("flush_map", STALE) in [(s["action"], s["target"]) for s in db01["steps"]]
    # the same mapping is the job artifact sanfleet_approved_plan: an AWX workflow's run job gets it as extra var
    assert custom_stats(proc.stdout)["sanfleet_approved_plan"] == approved
    # the reports of the same run show the same plan
    assert [(s["action"], s["target"]) for s in remediation(reports, "db01")["planned"]] == [
        (s["action"], s["target"]) for s in db01["steps"]]

    # the run command as the runbook shows it (--check added: the fixture hosts are read-only): it would run
    # exactly the approved steps, refuse nothing, and nothing approved is left over
    proc = play(site, run_cmd, "--check")
    assert proc.returncode == 0, proc.out[-4000:]
    assert shown(proc.stdout, "db01")["steps"] == ["%s %s" % (s["action"], s["target"]) for s in db01["steps"]]
    assert shown(proc.stdout, "db01")["refused"] == [] and shown(proc.stdout, "db01")["approved_not_needed"] == []

    # the plan edited after it was approved (another device in place of the approved one): the host fails
    # before anything is read, and says why
    tampered = json.loads(plan_file.read_text())
    tampered["db01"]["steps"][0]["identity"]["dev"] = "253:99"
    plan_file.write_text(json.dumps(tampered))
    proc = play(site, run_cmd, "--check")
    assert proc.returncode == 2 and "digest does not match its steps" in proc.out, proc.out[-4000:]

    # a host missing from the approved plan: a real run removes nothing there, and the report says why
    plan_file.write_text(json.dumps({"db02": approved["db02"]}))
    proc = play(site, run_cmd)
    assert proc.returncode == 0, proc.out[-4000:]
    report = remediation(reports, "db01")
    assert report["executed"] == [] and report["planned"] == []
    # the report says no plan was approved for the host, not that it ran an approved one
    assert report["approval"] == "not_in_plan", report
    assert report["refused"] and all("no plan was approved for this host" in r["reason"] for r in report["refused"])
    assert STALE in [r["name"] for r in report["refused"]]


def test_a_plan_file_that_is_no_mapping_is_refused(site):
    _plan_cmd, run_cmd = runbook_commands()
    proc = play(site, run_cmd.replace("ansible-playbook", "mkdir -p $SANFLEET_REPORT_DIR; echo '[\"db01\"]' > "
                                      "$SANFLEET_REPORT_DIR/sanfleet-plan.json; ansible-playbook"), "--check")
    assert proc.returncode == 2 and "must be a mapping of inventory host" in proc.out, proc.out[-4000:]


def run_command(site, *extra):
    """The runbook's run command without its approved plan (the unsafe path), `extra` appended."""
    _plan_cmd, run_cmd = runbook_commands()
    without = re.sub(r" -e sanfleet_approved_plan_file=\S+", "", run_cmd)
    assert without != run_cmd
    return play(site, without, *extra)


def test_a_real_run_without_an_approved_plan_refuses_before_touching_a_host(site):
    """A real run without sanfleet_approved_plan skipped the approval gate and executed the plan it made itself,
    which nobody saw (the AWX run template launched alone did that to the whole group). It refuses now, with one
    line, before any host is touched, and the reports say why."""
    proc = run_command(site)
    assert proc.returncode == 2, proc.out[-4000:]
    refusals = [line for line in proc.stdout.splitlines()
                if line.startswith("fatal:") and "refused: a real run needs the approved plan" in line]
    assert len(refusals) == 1 and refusals[0].startswith("fatal: [db01]: FAILED!"), proc.out[-4000:]
    # nothing was touched: the host was not even reached, the module never ran
    assert "Read the SAN state of the host" not in proc.stdout and "Reach the host" in proc.stdout
    reports = next((site / "reports").iterdir())
    doc = json.loads((reports / "hosts" / "db01.json").read_text())
    assert doc["status"] == "failed" and doc["remediation"]["approval"] == "refused"
    assert doc["remediation"]["executed"] == [] and doc["summary"]["collected_at"] is None
    assert doc["summary"]["array_reason"] == "the array was not asked for this host (failed at approval)"


def test_the_role_alone_refuses_a_real_run_without_an_approved_plan(site):
    """stale_cleanup (the role) ran its own plan when stale_cleanup_approved_plan was null."""
    (site / "role.yml").write_text(yaml.safe_dump([{
        "hosts": "db02", "gather_facts": False,
        "tasks": [{"ansible.builtin.include_role": {"name": "sanfleet.remediation.stale_cleanup"}}]}]))
    proc = play(site, "ansible-playbook -i inventory role.yml")
    assert proc.returncode == 2 and "db02: refused: a real run needs the approved plan" in proc.out, proc.out[-4000:]
    assert "Read the SAN state of the host" not in proc.stdout
    # --tags plan removes nothing: it needs no approval
    proc = play(site, "ansible-playbook -i inventory role.yml --tags plan")
    assert proc.returncode == 0, proc.out[-4000:]


def test_the_emergency_override_shows_in_the_reports_the_artifact_and_the_console(site):
    """sanfleet_allow_unreviewed runs the plan the run makes itself: the console, every report and the artifact
    sanfleet_report say that nobody reviewed it."""
    proc = run_command(site, "--limit", "db02", "-e", "sanfleet_allow_unreviewed=true")
    assert proc.returncode == 0, proc.out[-4000:]
    assert "UNREVIEWED: db02 ran the plan this run made itself" in proc.stdout, proc.out[-4000:]
    assert "UNREVIEWED plan (sanfleet_allow_unreviewed) on 1 host(s)" in proc.stdout
    assert custom_stats(proc.stdout)["sanfleet_report"]["counts"]["remediation"]["unreviewed"] == 1
    reports = next((site / "reports").iterdir())
    doc = json.loads((reports / "hosts" / "db02.json").read_text())
    assert doc["remediation"]["approval"] == "unreviewed"
    assert "unreviewed_plan" in [f["check"] for f in doc["findings"]]
    assert "unreviewed_plan" in (reports / "fleet.md").read_text() + (reports / "junit.xml").read_text()


@pytest.fixture
def site_with_a_host_down(site):
    """The site with db00 first in the inventory, unreachable (nothing listens on port 1)."""
    inventory = yaml.safe_load((site / "inventory").read_text())
    hosts = {"db00": {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_connection": "ssh",
                      "ansible_ssh_common_args": "-o ConnectTimeout=3 -o StrictHostKeyChecking=no"}}
    hosts.update(inventory["all"]["children"]["db"]["hosts"])
    inventory["all"]["children"]["db"]["hosts"] = hosts
    (site / "inventory").write_text(yaml.safe_dump(inventory, sort_keys=False))
    return site


def test_the_plan_reads_every_host_at_once_and_records_an_unreachable_one(site_with_a_host_down):
    """--check kept serial 1 and max_fail_percentage 0: the hosts were planned one after the other, and one
    unreachable host stopped the plan of every host after it. The plan run now reads every host in one batch,
    records the unreachable one in the plan and the reports, and goes on; the real run keeps its batches."""
    site = site_with_a_host_down
    plan_cmd, run_cmd = runbook_commands()
    proc = play(site, plan_cmd)
    assert proc.returncode == 4, proc.out[-4000:]  # unreachable wins (docs/reports.md)
    # one batch: the reports were written once, with every host
    assert proc.stdout.count("TASK [sanfleet.remediation.fleet_report : The fleet summary]") == 1, proc.out[-4000:]
    reports = next((site / "reports").iterdir())
    approved = json.loads((reports / "sanfleet-plan.json").read_text())
    assert sorted(approved) == ["db00", "db01", "db02"]
    assert approved["db00"]["not_planned"] is True and approved["db00"]["unreachable"] is True
    assert "port 1: Connection refused" in approved["db00"]["msg"]
    assert ("flush_map", STALE) in [(s["action"], s["target"]) for s in approved["db01"]["steps"]]
    assert sorted(p.stem for p in (reports / "hosts").glob("*.json")) == ["db00", "db01", "db02"]
    assert json.loads((reports / "hosts" / "db00.json").read_text())["status"] == "failed"
    # the plan of a host that was not planned approves nothing there (and the file is still a valid approval)
    proc = play(site, run_cmd.replace("--limit db01", "--limit db01,db02"), "--check")
    assert proc.returncode == 0, proc.out[-4000:]
    assert shown(proc.stdout, "db01")["refused"] == []
    # the real run keeps its batches and its fail budget: db00 first, unreachable, stops the rollout
    proc = play(site, run_cmd.replace("--limit db01", "--limit db00,db02"))
    # a real run fails an unreachable host after its reports, so that it counts for max_fail_percentage (rc 2)
    assert proc.returncode == 2, proc.out[-4000:]
    assert "db02" not in [line.split()[0] for line in proc.stdout.split("PLAY RECAP")[-1].splitlines() if line.strip()]


def test_without_the_array_the_plan_says_why_nothing_is_planned(site):
    """Without ONTAP (no cluster, no array truth) stale_cleanup planned nothing and no_removal_because was empty."""
    plan_cmd, _run_cmd = runbook_commands()
    proc = play(site, plan_cmd, "--limit", "db01", "-e", "'{\"sanfleet_ontap\": []}'")
    assert proc.returncode == 0, proc.out[-4000:]
    shown_plan = shown(proc.stdout, "db01")
    assert shown_plan["steps"] == [] and shown_plan["no_removal_because"] == ["no_array_truth"], shown_plan
    assert "no array truth was given" in proc.out


def test_a_check_run_of_the_approved_plan_leaves_the_approved_file_as_approved(site):
    """The runbook's run command with --check ("shows what it would run, against the approved plan") reads
    $SANFLEET_REPORT_DIR/sanfleet-plan.json and, being a check run, writes its own plan to that same path: the file
    the approver signed (kept with the change ticket, named by its digest) becomes a new plan of the canary host
    alone, dated now. Widening the limit after the canary then finds no plan approved for the other hosts, and the
    re-dated entry outlives the approval's max age."""
    plan_cmd, run_cmd = runbook_commands()
    assert "--limit db01" in run_cmd
    proc = play(site, plan_cmd)
    assert proc.returncode == 0, proc.out[-4000:]
    plan_file = next((site / "reports").iterdir()) / "sanfleet-plan.json"
    approved = plan_file.read_text()
    assert sorted(json.loads(approved)) == ["db01", "db02"]
    proc = play(site, run_cmd, "--check")
    assert proc.returncode == 0, proc.out[-4000:]
    assert sorted(json.loads(plan_file.read_text())) == ["db01", "db02"], plan_file.read_text()[:2000]
    assert plan_file.read_text() == approved


def test_an_unreadable_approved_plan_file_is_refused_with_every_report_written(site):
    """The run command given a plan file that is not there (a typo, yesterday's $(date +%F) directory): the lookup
    fails in the pre_tasks, which have no rescue, so the host leaves the play before post_tasks and neither its
    report nor the fleet pages are written, where every other refusal (no plan at all) writes them and says why."""
    _plan_cmd, run_cmd = runbook_commands()
    missing = run_cmd.replace("sanfleet-plan.json", "missing-plan.json")
    assert missing != run_cmd
    proc = play(site, missing)
    assert proc.returncode == 2 and "missing-plan.json" in proc.out, proc.out[-4000:]
    reports = list((site / "reports").glob("*/hosts/db01.json"))
    assert len(reports) == 1, proc.out[-4000:]
    doc = json.loads(reports[0].read_text())
    assert doc["status"] == "failed" and "missing-plan.json" in json.dumps(doc["findings"])
    # the report does not claim the host ran an approved plan
    assert doc["remediation"]["approval"] == "refused", doc["remediation"]


def test_a_plan_whose_check_run_planned_no_host_is_refused_by_the_run(site_with_a_host_down):
    """The AWX approval follows the plan job on always (one host down fails the job and must not stop the others'
    approval). A check run that planned no host at all (or could not read its array) publishes a plan that
    approves nothing; approved and handed to the run as AWX hands artifacts (extra vars), it ran nothing and ended
    green. The check run publishes sanfleet_plan_failed with it, and the run refuses every host with that reason,
    before touching one, its reports written."""
    site = site_with_a_host_down
    plan_cmd, run_cmd = runbook_commands()
    proc = play(site, plan_cmd, "--limit", "db00")
    assert proc.returncode == 4, proc.out[-4000:]
    artifacts = custom_stats(proc.stdout)
    assert list(artifacts["sanfleet_approved_plan"]) == ["db00"], artifacts
    assert "no host could be planned" in artifacts["sanfleet_plan_failed"], artifacts
    (site / "artifacts.json").write_text(json.dumps(dict((k, artifacts[k]) for k in (
        "sanfleet_approved_plan", "sanfleet_plan_failed"))))
    for report_dir in (site / "reports").iterdir():
        for report in report_dir.glob("hosts/*.json"):
            report.unlink()
    run = re.sub(r"-e sanfleet_approved_plan_file=\S+", "-e @artifacts.json", run_cmd)
    run = run.replace("--limit db01", "--limit db02")
    proc = play(site, run)
    assert proc.returncode == 2 and "the check run that made the approved plan failed as a whole" in proc.out, \
        proc.out[-4000:]
    assert "Read the SAN state of the host" not in proc.stdout
    doc = json.loads(next((site / "reports").glob("*/hosts/db02.json")).read_text())
    assert doc["status"] == "failed" and "no host could be planned" in json.dumps(doc["findings"])
    # a plan with one host down is not failed as a whole: the others' plans are approved and run
    proc = play(site, plan_cmd)
    assert proc.returncode == 4 and custom_stats(proc.stdout)["sanfleet_plan_failed"] == "", proc.out[-4000:]


def test_an_unreachable_host_the_approved_plan_has_no_plan_for_is_reported_not_in_plan(site_with_a_host_down):
    """The real run of an approved set in which db00 is {not_planned: true} (down during the check run), with db00
    down again: its report said approval 'approved' (a real run of an approved plan), where the approved set has
    no plan for it (not_in_plan, docs/reports.md)."""
    site = site_with_a_host_down
    plan_cmd, run_cmd = runbook_commands()
    proc = play(site, plan_cmd)
    assert proc.returncode == 4, proc.out[-4000:]
    proc = play(site, run_cmd.replace("--limit db01", "--limit db00"))
    assert proc.returncode == 2, proc.out[-4000:]  # a real run fails an unreachable host (docs/reports.md)
    newest = max((site / "reports").glob("*/hosts/db00.json"), key=lambda p: p.stat().st_mtime)  # the run's
    doc = json.loads(newest.read_text())
    assert doc["remediation"]["approval"] == "not_in_plan", doc["remediation"]


def test_an_unreachable_host_whose_approved_plan_file_cannot_be_read_is_reported_refused(site_with_a_host_down):
    """The run command given a plan file that is not there, with db00 down: the approved plan was not read for a host
    already failed, so its report said approval 'approved' (a real run of an approved plan). It says refused, and
    keeps its own error (unreachable)."""
    _plan_cmd, run_cmd = runbook_commands()
    missing = run_cmd.replace("sanfleet-plan.json", "missing-plan.json").replace("--limit db01", "--limit db00")
    assert "--limit db00" in missing and "missing-plan.json" in missing
    proc = play(site_with_a_host_down, missing)
    assert proc.returncode == 2, proc.out[-4000:]  # a real run fails an unreachable host (docs/reports.md)
    reports = list((site_with_a_host_down / "reports").glob("*/hosts/db00.json"))
    assert len(reports) == 1, proc.out[-4000:]
    doc = json.loads(reports[0].read_text())
    assert doc["remediation"]["approval"] == "refused", doc["remediation"]
    assert "missing-plan.json" not in json.dumps(doc["findings"]) and "unreachable" in json.dumps(doc).lower()


def test_an_unreviewed_batch_of_several_hosts_reports_each_host_with_its_own_san_facts(site):
    """A real run with sanfleet_allow_unreviewed and a batch of three hosts (sanfleet_serial=10): two healthy SAN
    hosts and one that is not a SAN host. Nothing is stale, nothing is touched. Each report must hold the host's
    own facts: the SAN hosts their 8 disks, the other one not_san."""
    inventory = yaml.safe_load((site / "inventory").read_text())
    hosts = inventory["all"]["children"]["db"]["hosts"]
    hosts["db03"] = dict(hosts["db02"])
    nosan = site / "bin" / "python-nosan"
    nosan.write_text('#!/bin/sh\nexec %s %s nosan "$@"\n' % (sys.executable, REPO / "tests" / "fleet" / "fixture_python.py"))
    nosan.chmod(0o755)
    hosts["db04"] = {"ansible_connection": "local", "ansible_become": False, "ansible_python_interpreter": str(nosan)}
    (site / "inventory").write_text(yaml.safe_dump(inventory))
    proc = run_command(site, "--limit", "db02,db03,db04", "-e", "sanfleet_allow_unreviewed=true",
                       "-e", "sanfleet_serial=10")
    assert "UNREVIEWED: db02 ran the plan this run made itself" in proc.stdout, proc.out[-4000:]
    reports = next((site / "reports").iterdir())
    docs = dict((h, json.loads((reports / "hosts" / ("%s.json" % h)).read_text())) for h in ("db02", "db03", "db04"))
    seen = dict((h, (d["status"], d["summary"].get("disks"))) for h, d in docs.items())
    assert seen["db02"][1] == 8 and seen["db03"][1] == 8 and seen["db02"][0] != "not_san", seen
    assert seen["db03"][0] != "not_san" and seen["db04"] == ("not_san", 0), seen


def test_a_serial_set_in_the_inventory_is_refused_not_misnamed(site):
    """sanfleet_serial: 2 in the inventory (group vars of db), an unreviewed real run over db01 and db02. The play's
    serial is templated without host variables (batches of 1), the batch line with them: it said 'batch 1 of 1:
    1 host' while the play ran another rollout than the one the operator set. The line never misnames a batch, and
    a real run whose batches are not those of the serial its hosts see refuses the host before touching it."""
    inventory = yaml.safe_load((site / "inventory").read_text())
    inventory["all"]["children"]["db"]["vars"] = {"sanfleet_serial": 2}
    (site / "inventory").write_text(yaml.safe_dump(inventory))
    _plan_cmd, run_cmd = runbook_commands()
    command = re.sub(r" -e sanfleet_serial=\S+| --limit \S+| -e sanfleet_approved_plan_file=\S+", "", run_cmd)
    proc = play(site, command, "--limit", "db01,db02", "-e", "sanfleet_allow_unreviewed=true")
    lines = re.findall(r'"msg": "(batch [^"]*)"', proc.stdout)
    assert lines and all(line.startswith("batch not named (") and "extra var" in line for line in lines), lines
    assert proc.returncode == 2, proc.out[-4000:]
    reports = next((site / "reports").iterdir())
    # the first batch (db01) is refused, and the rollout stops there (max_fail_percentage 0): db02 is not run
    doc = json.loads((reports / "hosts" / "db01.json").read_text())
    assert doc["remediation"]["approval"] == "refused", doc["remediation"]
    assert "give sanfleet_serial with -e" in json.dumps(doc), doc
    assert not doc["remediation"].get("executed"), doc["remediation"]
    assert not (reports / "hosts" / "db02.json").exists()


def test_a_host_failed_by_an_earlier_play_does_not_refuse_the_rest_of_its_batch(site):
    """A wrapper playbook: a pre-flight play fails db01, then imports remediate; sanfleet_serial=2 as an extra var
    and an approved plan that approves nothing (nothing is touched). db01 does not run (Ansible drops a failed
    host), db02 runs its approved (empty) plan: it must not be refused at 'batches'."""
    (site / "preflight.yml").write_text(yaml.safe_dump([
        {"name": "pre-flight", "hosts": "db", "gather_facts": False,
         "tasks": [{"name": "db01 is drained elsewhere", "ansible.builtin.fail": {"msg": "not today"},
                    "when": "inventory_hostname == 'db01'"}]},
        {"ansible.builtin.import_playbook": "sanfleet.remediation.remediate"}]))
    (site / "plan.json").write_text(json.dumps({"db01": None, "db02": None}))
    _plan_cmd, run_cmd = runbook_commands()
    command = re.sub(r" --limit \S+| -e sanfleet_serial=\S+| -e sanfleet_approved_plan_file=\S+", "", run_cmd)
    command = command.replace(" sanfleet.remediation.remediate ", " preflight.yml ")
    proc = play(site, command, "--limit", "db01,db02", "-e", "sanfleet_serial=2",
                "-e", "sanfleet_approved_plan_file=%s" % (site / "plan.json"))
    reports = next((site / "reports").iterdir())
    doc = json.loads((reports / "hosts" / "db02.json").read_text())
    assert "batch not named" not in json.dumps(doc), proc.out[-4000:]
    assert doc["remediation"]["approval"] == "not_in_plan", doc["remediation"]


def test_a_null_approved_entry_approves_nothing(site):
    """`{"db01": null}` in the approved plan: a host the approver did not approve gets no step, as a missing one."""
    _plan_cmd, run_cmd = runbook_commands()
    null_plan = ("mkdir -p $SANFLEET_REPORT_DIR; echo '{\"db01\": null}' > $SANFLEET_REPORT_DIR/sanfleet-plan.json; "
                 "ansible-playbook")
    proc = play(site, run_cmd.replace("ansible-playbook", null_plan), "--check")
    assert proc.returncode == 0, proc.out[-4000:]
    assert shown(proc.stdout, "db01")["steps"] == []
    assert "no plan was approved for this host: nothing is removed" in proc.out, proc.out[-4000:]


@pytest.mark.every_core
def test_host_and_array_text_in_an_approved_plan_is_data_never_a_template(site):
    """The approved plan reaches the run as AWX hands a plan job's artifacts on (extra vars), holding text read on
    the hosts and from the array: a hostname, an unreachable host's ssh error, the array's error. Read by name,
    Ansible rendered it as a template on the controller: a Jinja expression in it ran a command there (on
    ansible-core 2.16 as soon as the playbook asked whether the plan was defined, on 2.19+ when the plan became the
    module's argument), and an unclosed raw block failed the host. The run reads it as data: the text stays text,
    and the run refuses as the plan says, quoting it."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval
    plan_cmd, run_cmd = runbook_commands()
    proc = play(site, plan_cmd)
    assert proc.returncode == 0, proc.out[-4000:]
    approved = custom_stats(proc.stdout)["sanfleet_approved_plan"]
    ran = site / "ran"
    command = "{{ lookup('pipe','touch %s') }}" % ran
    # db01's check run on a host whose hostname is that text (root there can set it): the plan and its digest as
    # that run made them
    db01 = approved["db01"]
    db01["host"]["hostname"] = command
    db01["digest"] = approval.digest(db01["format"], db01["host"], db01["created_at"], db01["steps"])
    # db02 as a check run publishes a host it could not reach, with its ssh error
    approved["db02"] = {"not_planned": True, "task": "connection", "msg": "ssh: %s" % command,
                        "detail": "{% raw %} never closed"}
    (site / "artifacts.json").write_text(json.dumps({"sanfleet_approved_plan": approved, "sanfleet_plan_failed": ""}))
    run = re.sub(r"-e sanfleet_approved_plan_file=\S+", "-e @artifacts.json", run_cmd)
    assert run != run_cmd
    proc = play(site, run.replace("--limit db01", "--limit db01,db02"), "--check")
    out = " ".join(proc.out.split())
    assert not ran.exists(), "text of the approved plan ran a command on the controller: " + proc.out[-4000:]
    # db01's plan was made on another host (that hostname): refused, the hostname quoted as it was given
    assert proc.returncode == 2 and "was made on another host (machine-id %s, hostname %s)" % (
        db01["host"]["machine_id"], command) in out, proc.out[-4000:]
    assert shown(proc.stdout, "db02")["steps"] == []     # its entry approves nothing

    # the plan job failed as a whole, its reason holding the array's text: refused, quoted, nothing run
    (site / "artifacts.json").write_text(json.dumps({"sanfleet_approved_plan": approved,
                                                     "sanfleet_plan_failed": "the array said: %s" % command}))
    proc = play(site, run)
    assert not ran.exists(), "the plan job's reason ran a command on the controller: " + proc.out[-4000:]
    assert proc.returncode == 2 and "failed as a whole (the array said: %s)" % command in " ".join(proc.out.split()), \
        proc.out[-4000:]
    assert "Read the SAN state of the host" not in proc.stdout


@pytest.mark.every_core
def test_a_check_run_never_renders_an_artifact_it_was_handed(site):
    """A workflow may run the plan job after another node (compliance), whose artifacts it then gets as extra vars,
    holding host text. The plan is made from each host's result taken by name, never from whole hostvars entries,
    which, turned into text, render every variable of the host (ansible-core 2.16 and 2.18)."""
    plan_cmd, _run_cmd = runbook_commands()
    ran = site / "ran"
    (site / "artifacts.json").write_text(json.dumps({"sanfleet_report": {
        "failed": {"db02": "ssh: {{ lookup('pipe','touch %s') }}" % ran}}}))
    proc = play(site, plan_cmd, "-e @artifacts.json")
    assert not ran.exists(), "a --check run rendered the artifact sanfleet_report: " + proc.out[-3000:]
    assert proc.returncode == 0 and sorted(custom_stats(proc.stdout)["sanfleet_approved_plan"]) == ["db01", "db02"], \
        proc.out[-3000:]


@pytest.mark.every_core
def test_a_plan_failed_reason_that_is_no_data_is_refused_with_the_reports_written(site):
    """sanfleet_plan_failed holding a value that is not JSON data (NaN) failed the host before its reports."""
    _plan_cmd, run_cmd = runbook_commands()
    (site / "extra.yml").write_text("sanfleet_approved_plan: {db01: null}\nsanfleet_plan_failed: {x: .nan}\n")
    proc = play(site, re.sub(r"-e sanfleet_approved_plan_file=\S+", "-e @extra.yml", run_cmd))
    assert proc.returncode == 2 and "refused: sanfleet_plan_failed could not be read" in proc.out, proc.out[-3000:]
    doc = json.loads(next((site / "reports").glob("*/hosts/db01.json")).read_text())
    assert doc["status"] == "failed" and doc["remediation"]["approval"] == "refused", doc["remediation"]
    assert "Read the SAN state of the host" not in proc.stdout


def test_extra_vars_that_null_the_approved_plan_are_refused_before_any_host_is_read(site):
    """The run command with its approved plan file and the extra vars stale_cleanup_approved_plan: null and
    stale_cleanup_allow_unreviewed: true (an AWX run template asks for variables at launch): the playbook's gate
    passed (a plan file was given) and the module ran its own plan, unreviewed, instead of the one approved.
    stale_cleanup_approved_plan is the play's to set from the approved plan: given at launch it outranks that, so the
    run is refused before any host is read, naming it."""
    plan_cmd, run_cmd = runbook_commands()
    assert play(site, plan_cmd).returncode == 0
    walk_around = "'{\"stale_cleanup_approved_plan\": null, \"stale_cleanup_allow_unreviewed\": true}'"
    proc = play(site, run_cmd.replace("--limit db01", "--limit db02"), "-e", walk_around)
    assert proc.returncode == 2, proc.out[-4000:]
    assert "refused: db02: stale_cleanup_approved_plan: set by remediate.yml" in proc.stdout, proc.out[-4000:]
    assert "Read the SAN state of the host" not in proc.stdout, proc.out[-4000:]


def test_a_real_run_that_stops_a_unit_reports_its_plan_what_ran_and_what_it_left(site):
    """A real run whose act stops a unit (the fixture host refuses every write: the unit's first command fails)
    reported "0 planned, 0 executed": the host failed, and its report dropped the module's result. The host JSON,
    fleet.md and fleet.html, the summary line and the job artifact now show the plan, what ran, the step that stopped
    the unit and the queueing it left on its map."""
    proc = run_command(site, "--limit", "db01", "-e", "sanfleet_allow_unreviewed=true")
    assert proc.returncode == 2, proc.out[-4000:]
    reports = max((site / "reports").iterdir(), key=lambda p: p.stat().st_mtime)
    rem = json.loads((reports / "hosts" / "db01.json").read_text())["remediation"]
    assert rem["approval"] == "unreviewed" and rem["counts"]["planned"] > 0 and rem["counts"]["stopped"] >= 1, rem
    assert rem["failed_step"]["target"] and [f["unit"] for f in rem["failures"]] == ["map %s" % STALE], rem
    # the map whose queueing the unit had turned off is named with what it was left with (here: the fixture host
    # refuses the restore too, so queueing_now is not true) wherever the host is reported
    assert [r["map"] for r in rem["queueing_restored"]] == [STALE] and rem["queueing_restored"][0]["msg"], rem
    counts = custom_stats(proc.stdout)["sanfleet_report"]["counts"]["remediation"]
    assert counts["planned"] == rem["counts"]["planned"] and counts["stopped"] == 1, counts
    assert re.search(r"remediation %d planned, \d+ executed, \d+ refused, 1 unit\(s\) STOPPED at a step"
                     % counts["planned"], proc.stdout), proc.out[-4000:]
    for page in ("fleet.md", "fleet.html"):
        text = (reports / page).read_text()
        assert "Units stopped during the act" in text and "map %s" % STALE in text, page
    # the host's one line (the label of the role's result task: the fleet callback prints it alone)
    line = [x for x in proc.stdout.splitlines() if "(item=failed: " in x]
    assert line and "%d steps planned" % rem["counts"]["planned"] in line[-1] and "unit(s) stopped at" in line[-1], \
        proc.out[-4000:]
