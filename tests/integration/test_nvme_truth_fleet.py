"""audit.yml over two fixture hosts in the captured nvme_stale state (three ONTAP iSCSI LUNs and an NVMe/TCP subsystem
whose LIF a was deleted; both hosts hold the same host NQN and initiator name, as two clones of one image would),
against the ONTAP simulator serving that lab's SAN and NVMe truth, as a real cluster answers: a subsystem map's
`nsid` as ONTAP's REST API reference documents it, "00000001h".

Asserted: the host's NVMe namespaces and controllers are judged on that truth beside its SCSI devices; when the
NVMe answer is in a form ONTAP does not document (the decimal "1" this project's simulator used to serve), the NVMe
family is not judged and each host's report says why, while its SCSI devices are still judged, every report is
written and the fleet-identity check still names the NQN both hosts hold. No VM: the fixture interpreter
(tests/fleet/fixture_python.py) gives the local hosts the captured tree.
"""
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truths

REPO = Path(__file__).resolve().parents[2]
HOSTS = ("node01-nvme", "node02-nvme")
LIO_WWID = "360014055a1a00000000400080005a1ab"   # the lab's LIO placeholder LU: another array's, never judged


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    top = tmp_path_factory.mktemp("nvme-fleet")
    shim = top / "python-nvme_stale"
    shim.write_text('#!/bin/sh\nexec %s %s nvme_stale "$@"\n'
                    % (sys.executable, REPO / "tests" / "fleet" / "fixture_python.py"))
    shim.chmod(0o755)
    with tarfile.open(REPO / "tests" / "unit" / "fixtures" / "nvme_stale.tar.gz") as tar:
        lab = json.load(tar.extractfile("nvme_stale/truth.json"))
    hosts = {h: {"ansible_connection": "local", "ansible_python_interpreter": str(shim)} for h in HOSTS}
    return {"top": top, "hosts": hosts, "truths": [lab, lab["nvme"]]}


def audit(fleet, name, change=None):
    run = fleet["top"] / name
    run.mkdir()
    (run / "hosts.yml").write_text(json.dumps({"all": {"hosts": fleet["hosts"]}}))
    with OntapSimulator(from_lab_truths(fleet["truths"]), str(run)) as sim:
        if change:
            change(sim.dataset)
        (run / "ontap.json").write_text(json.dumps({"sanfleet_ontap": [sim.options()]}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SANFLEET_REPORT_DIR", "ONTAP_"))}
        env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        proc = subprocess.run(["ansible-playbook", "-i", str(run / "hosts.yml"), "sanfleet.remediation.audit",
                               "-e", "@" + str(run / "ontap.json")],
                              cwd=run, env=env, capture_output=True, text=True, timeout=600, check=False)
    reports = {h: json.loads((run / "sanfleet-reports" / "hosts" / (h + ".json")).read_text()) for h in HOSTS}
    return proc, reports


def scsi_judged(report):
    """(the verdicts the report lists, {wwid: kind}; how many healthy maps the compact facts summarised)."""
    return (dict((v["wwid"], v["kind"]) for v in report["verdicts"]),
            report["summary"].get("healthy_verdicts_summarised"))


def nvme_verdicts(report):
    return dict((n["nsid"], (n["verdict"] or {}).get("kind")) for n in report["nvme"]["namespaces"])


def shared_identity(report):
    return [f for f in report["findings"] if f["check"] == "shared_initiator_identity"]


def test_an_nvme_truth_in_ontaps_documented_form_is_judged_beside_the_scsi_devices(fleet):
    proc, reports = audit(fleet, "documented")
    assert "Traceback" not in proc.stdout + proc.stderr
    for host, report in reports.items():
        assert report["status"] != "failed", (host, proc.stdout[-3000:])
        # namespace 2, unmapped, is reached only through the controller to the deleted LIF a: another cluster may
        # present the subsystem there, so it is not covered; 1 and 3 are mapped, their path to LIF a down
        assert nvme_verdicts(report) == {1: "paths_down_but_mapped", 2: "not_covered", 3: "paths_down_but_mapped"}
        assert dict((c["name"], c["kind"]) for c in report["nvme"]["controller_verdicts"]) == {
            "nvme0": "lif_gone", "nvme1": "healthy"}
        assert scsi_judged(report) == ({LIO_WWID: "unknown_array"}, 3)
        assert shared_identity(report), [f["check"] for f in report["findings"]]


def test_an_nvme_answer_ontap_does_not_document_leaves_the_scsi_devices_judged_and_says_why(fleet):
    def decimal_nsid(dataset):
        for m in dataset.nvme_maps:
            m["nsid"] = str(int(m["nsid"][:8], 16))

    proc, reports = audit(fleet, "undocumented", decimal_nsid)
    assert "Traceback" not in proc.stdout + proc.stderr
    for host, report in reports.items():
        assert report["status"] != "failed", (host, proc.stdout[-3000:])
        assert set(nvme_verdicts(report).values()) == {"not_covered"}
        assert all("documented form" in n["verdict"]["reason"] for n in report["nvme"]["namespaces"])
        rows = [f for f in report["findings"] if f["check"] == "array_unexpected_format"]
        assert sorted(r["reason"].split("gives ")[1].split(",")[0] for r in rows) == ["nsid '1'", "nsid '3'"]
        assert set(r["severity"] for r in rows) == {"error"}
        # the SCSI devices are judged on the SCSI truth, and the fleet check still sees both hosts
        assert scsi_judged(report) == ({LIO_WWID: "unknown_array"}, 3)
        assert shared_identity(report)
