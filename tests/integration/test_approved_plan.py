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

from ansible_collections.sanfleet.remediation.tests.integration.test_fleet_runner import _shims, _truth

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
def site(tmp_path):
    """A working directory as the runbook assumes it: `inventory` (group db) and `ontap.yml`."""
    _shims(tmp_path / "bin")
    hosts = dict((name, {"ansible_connection": "local", "ansible_become": False,
                         "ansible_python_interpreter": str(tmp_path / "bin" / ("python-" + scenario)),
                         "stale_cleanup_array_truth": _truth(scenario)})
                 for name, scenario in HOSTS.items())
    (tmp_path / "inventory").write_text(yaml.safe_dump({"all": {"children": {"db": {"hosts": hosts}}}}))
    # the array truth is the captures' own (stale_cleanup_array_truth of each host): no cluster to read
    (tmp_path / "ontap.yml").write_text(yaml.safe_dump({"sanfleet_ontap": []}))
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
    assert report["refused"] and all("no plan was approved for this host" in r["reason"] for r in report["refused"])
    assert STALE in [r["name"] for r in report["refused"]]


def test_a_plan_file_that_is_no_mapping_is_refused(site):
    _plan_cmd, run_cmd = runbook_commands()
    proc = play(site, run_cmd.replace("ansible-playbook", "mkdir -p $SANFLEET_REPORT_DIR; echo '[\"db01\"]' > "
                                      "$SANFLEET_REPORT_DIR/sanfleet-plan.json; ansible-playbook"), "--check")
    assert proc.returncode == 2 and "must be a mapping of inventory host" in proc.out, proc.out[-4000:]
