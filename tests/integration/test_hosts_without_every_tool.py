"""The audit and remediate playbooks over hosts that lack a SAN package, as fleets have them: an FC-only host without
open-iscsi, an NVMe-only host without multipath-tools, a host without sg3_utils and one without nvme-cli. Fixture
hosts (tests/fleet/fixture_python.py, scenario <capture>-without-<package>): the kernel's state of a lab capture
(fc_only and nvme_only: the lab's iSCSI side logged out, multipathd stopped for nvme_only; tests/lab/capture.py),
the package's programs, files and daemon gone. No VM.

Each host must be audited for what it has, with no failure: one tool_missing row per missing package (a warning
where the host has what the package reads, info where it has nothing of it), the findings it affects saying so,
no area passed that was not read; remediate plans nothing on what it could not probe.
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fleet_hosts import scenario_arrays

REPO = Path(__file__).resolve().parents[2]
HOSTS = {"db01-fc-only": "fc_only-without-open-iscsi", "db02-nvme-only": "nvme_only-without-multipath-tools",
         "db03-no-sg3": "unmapped-without-sg3_utils", "db04-no-nvme-cli": "nvme_stale-without-nvme-cli"}
STALE_ISCSI = "3600a098038304c61622d3030322b4162"    # LUN 2 of the iSCSI target (unmapped capture)
STALE_FC = "3600a0980383046634c2d3030322b4162"       # FC LUN 2 (fc_unmapped, fc_only)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    top = tmp_path_factory.mktemp("without-tools")
    (top / "bin").mkdir()
    hosts = {}
    # each host reads the array its capture was taken with (the ONTAP simulator), in its host vars
    with scenario_arrays(HOSTS.values(), top) as arrays:
        for host, scenario in HOSTS.items():
            shim = top / "bin" / ("python-" + scenario)
            fixture = REPO / "tests" / "fleet" / "fixture_python.py"
            shim.write_text('#!/bin/sh\nexec %s %s %s "$@"\n' % (sys.executable, fixture, scenario))
            shim.chmod(0o755)
            hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": str(shim),
                           "sanfleet_ontap": arrays[scenario]}
        (top / "inventory.json").write_text(json.dumps({"san": {"hosts": hosts}}))
        yield top


def play(site, name, *args):
    reports = site / ("reports-" + name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANFLEET_REPORT_DIR", "ONTAP_"))}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="False", SANFLEET_REPORT_DIR=str(reports))
    proc = subprocess.run(["ansible-playbook", "-i", "inventory.json", "sanfleet.remediation." + name, "-f", "4",
                           "-e", "sanfleet_hosts=san"] + list(args), cwd=str(site), env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    proc.out = proc.stdout + proc.stderr
    proc.reports = reports
    proc.docs = dict((p.stem, json.loads(p.read_text())) for p in (reports / "hosts").glob("*.json")) \
        if (reports / "hosts").is_dir() else {}
    return proc


@pytest.fixture(scope="module")
def audit(site):
    # without the array (sanfleet_ontap given empty outranks the hosts' own): what each host lacks and what it reads
    # alone (all_paths_failed), not the array's verdicts
    return play(site, "audit", "-e", json.dumps({"sanfleet_ontap": []}))


def rows(doc, check):
    return [f for f in doc["findings"] if f["check"] == check]


def test_every_host_without_a_tool_is_audited_for_what_it_has_and_fails_on_nothing(audit):
    """An NVMe-only host without multipath-tools failed the audit ("Failed to find required executable
    multipath"), and the other three said nothing of what they lack."""
    assert audit.returncode == 0, audit.out[-4000:]
    assert sorted(audit.docs) == sorted(HOSTS)
    lacking = dict((host, [(r["object"], r["severity"]) for r in rows(doc, "tool_missing")])
                   for host, doc in audit.docs.items())
    assert lacking == {"db01-fc-only": [("open-iscsi", "info")], "db02-nvme-only": [("multipath-tools", "info")],
                       "db03-no-sg3": [("sg3_utils", "warning")], "db04-no-nvme-cli": [("nvme-cli", "warning")]}
    for doc in audit.docs.values():
        assert doc["status"] != "failed" and not rows(doc, "task_failed"), doc["findings"]


def test_an_fc_only_host_without_open_iscsi_is_audited_with_its_fc_ports_and_its_stale_map(audit):
    doc = audit.docs["db01-fc-only"]
    assert "fc" in doc["areas"] and doc["summary"]["iscsi_sessions"] == 0 and doc["summary"]["iscsi_iqn"] is None
    assert any(f["object"] == STALE_FC for f in rows(doc, "all_paths_failed"))
    assert "nothing of it is left unjudged" in rows(doc, "tool_missing")[0]["reason"]


def test_an_nvme_only_host_without_multipath_tools_leaves_the_multipath_checks_unjudged_not_passed(audit):
    """Never "passed" for what was not read: no multipath area, its JUnit cases skipped; no error about a
    multipathd that cannot run on a host without a multipath map."""
    doc = audit.docs["db02-nvme-only"]
    assert "multipath" not in doc["areas"] and "nvme" in doc["areas"], doc["areas"]
    assert not [f for f in doc["findings"] if f["area"] == "multipath"]
    assert not [f for f in rows(doc, "read_error") if "multipathd" in f["object"]], doc["findings"]
    junit = ET.parse(audit.reports / "junit.xml").getroot()
    cases = junit.findall("testsuite[@name='db02-nvme-only']/testcase")
    multipath = [c for c in cases if c.get("name").startswith("multipath/")]
    assert multipath and all(c.find("skipped") is not None for c in multipath)


def test_a_host_without_sg3_utils_says_which_paths_were_not_probed(audit):
    doc = audit.docs["db03-no-sg3"]
    [dead] = [f for f in rows(doc, "all_paths_failed") if f["object"] == STALE_ISCSI]
    assert "not probed: sg_turs is not installed" in dead["reason"], dead
    # one error for the paths the missing program left unprobed, not one per path
    [error] = rows(doc, "read_error")
    assert sorted(error["object"][len("probe of "):].split(", ")) == ["sdd", "sdf"], error
    assert error["reason"] == "sg_turs is not installed (sg3_utils): not probed", error
    assert "not probed live" in rows(doc, "tool_missing")[0]["reason"]


def test_a_host_without_nvme_cli_is_told_its_identity_files_and_boot_units_come_with_it(audit):
    doc = audit.docs["db04-no-nvme-cli"]
    told = [f["check"] for f in doc["findings"] if f["area"] == "nvme" and "nvme-cli is not installed" in f["reason"]]
    assert "nvme_hostnqn_invalid" in told and "nvme_autoconnect_off" in told, doc["findings"]


def test_remediate_plans_what_each_host_can_probe_and_nothing_it_could_not(site):
    """remediate --check with each capture's array truth: the FC-only host plans its stale FC map's removal without
    open-iscsi; the host without sg3_utils plans nothing on its unmapped map, whose paths it could not probe, and
    says why; no host fails."""
    check = play(site, "remediate", "--check")
    assert check.returncode == 0, check.out[-4000:]
    plan = json.loads((check.reports / "sanfleet-plan.json").read_text())
    assert sorted(plan) == sorted(HOSTS) and not [h for h in plan if plan[h].get("not_planned")], plan
    assert ("flush_map", STALE_FC) in [(s["action"], s["target"]) for s in plan["db01-fc-only"]["steps"]]
    assert plan["db03-no-sg3"]["steps"] == []
    rem = check.docs["db03-no-sg3"]["remediation"]
    assert rem["planned"] == [] and rem["counts"]["executed"] == 0
    [refused] = rem["refused"]
    assert refused["name"] == STALE_ISCSI and "not probed: sg_turs is not installed" in refused["reason"], refused
    for host in ("db02-nvme-only", "db04-no-nvme-cli"):
        assert check.docs[host]["status"] != "failed", check.docs[host]["findings"]
