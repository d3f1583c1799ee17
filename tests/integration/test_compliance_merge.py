"""playbooks/compliance_merge.yml, the node after a sliced compliance job: what the workflow's result (the nightly
schedule launches the workflow) says about a fleet whose array could not be read.

The hosts are fixture hosts (tests/fleet/fixture_python.py, no VM), the array the ONTAP simulator; the slices run as
AWX runs them (ansible-runner, one inventory slice each, awx_job_id), their artifacts merged by AWX's rule
(tests/integration/test_fleet_runner.awx_merge_artifacts), then the merge node with them as extra vars."""
import json
import os
from pathlib import Path

import pytest

from ansible_collections.sanfleet.remediation.tests.integration.test_fleet_runner import (
    _artifact_data, _shims, awx_merge_artifacts, awx_slices)
from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truths

ansible_runner = pytest.importorskip("ansible_runner")

REPO = Path(__file__).resolve().parents[2]


def _lab_truth(scenario):
    import tarfile
    with tarfile.open(REPO / "tests" / "unit" / "fixtures" / (scenario + ".tar.gz")) as tar:
        return json.load(tar.extractfile("%s/truth.json" % scenario))


def test_merge_of_slices_whose_array_could_not_be_read_fails(tmp_path):
    """Every slice of a sliced compliance job could not read its cluster (a wrong password): each slice fails on
    sanfleet_require_array after its reports. The workflow runs the merge node always, and AWX takes a failed node
    with an always child as handled (WorkflowDAG.has_workflow_failed), so the workflow's status is the merge
    node's: the merge must fail on the same array outage, or the scheduled job that judged nothing against the
    array is green (sanfleet_compliance_fail=false only stops non-compliant hosts from failing it)."""
    _shims(tmp_path / "bin")
    hosts = dict(("node%02d-healthy" % i, {"ansible_connection": "local",
                                           "ansible_python_interpreter": str(tmp_path / "bin" / "python-healthy")})
                 for i in range(2))
    (tmp_path / "sim").mkdir()
    with OntapSimulator(from_lab_truths([_lab_truth("healthy")]), str(tmp_path / "sim")) as sim:
        clusters = [sim.options(password="wrong")]
        env = {"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"]}
        common = {"sanfleet_hosts": "san_hosts", "sanfleet_compliance_iscsi": False, "sanfleet_compliance_lvm": False,
                  "sanfleet_compliance_fail": False, "sanfleet_ontap": clusters}

        def run(name, playbook, inventory_hosts, extravars):
            pdd = tmp_path / name
            (pdd / "inventory").mkdir(parents=True)
            (pdd / "env").mkdir()
            (pdd / "inventory" / "hosts.json").write_text(json.dumps(
                {"san_hosts": {"hosts": dict((h, hosts[h]) for h in inventory_hosts)}}))
            (pdd / "env" / "envvars").write_text(json.dumps(dict(env, SANFLEET_REPORT_DIR=str(pdd / "reports"))))
            (pdd / "env" / "extravars").write_text(json.dumps(extravars))
            return ansible_runner.run(private_data_dir=str(pdd), ident=name, project_dir=str(REPO),
                                      playbook=str(REPO / "playbooks" / playbook), forks=2, quiet=True, timeout=300)

        slice_jobs = []
        for n, part in enumerate(awx_slices(hosts, 2)):
            job = run("slice%d" % n, "compliance.yml", part,
                      dict(common, awx_job_id=200 + n, sanfleet_slice_artifacts=True))
            out = job.stdout.read()
            # each slice: the array could not be read, the slice fails after its reports
            assert job.status == "failed" and "the array could not be read" in out, out[-3000:]
            slice_jobs.append((n, 200 + n, job.status, _artifact_data(job)))
        job = run("merge", "compliance_merge.yml", list(hosts), dict(common, **awx_merge_artifacts(slice_jobs)))
        out = job.stdout.read()
    reports = json.loads((tmp_path / "merge" / "reports" / "fleet.json").read_text())
    assert all(h["summary"]["array_state"] == "unreadable" for h in reports["hosts"]), reports["hosts"]
    assert job.status == "failed" and "the array could not be read" in out, out[-3000:]


def run_as_awx(tmp_path, name, playbook, hosts, extravars, limit=None):
    """`playbook` through ansible-runner in tmp_path/<name> (its own private data dir and reports), as AWX runs a
    job: inventory group san_hosts = `hosts`, extra vars `extravars`, `-l limit`."""
    pdd = tmp_path / name
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "env").mkdir()
    (pdd / "inventory" / "hosts.json").write_text(json.dumps({"san_hosts": {"hosts": hosts}}))
    (pdd / "env" / "envvars").write_text(json.dumps({"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
                                                     "SANFLEET_REPORT_DIR": str(pdd / "reports")}))
    (pdd / "env" / "extravars").write_text(json.dumps(extravars))
    return ansible_runner.run(private_data_dir=str(pdd), ident=name, project_dir=str(REPO), limit=limit,
                              playbook=str(REPO / "playbooks" / playbook), forks=2, quiet=True, timeout=300)


def test_merge_node_with_its_job_templates_limit_merges_the_slices(tmp_path):
    """AWX runs a job template with `ansible-playbook -l <its limit>` (RunJob.build_args), and the merge template
    carries limit san_hosts like the sliced job it follows. compliance_merge.yml's play targets localhost (the
    implicit one, not a host of the AWX inventory): with that limit Ansible prints "skipping: no hosts matched"
    and exits 0, so the merge publishes nothing, writes no fleet page, and, being the workflow's always node, makes
    the nightly workflow green whatever its slices found."""
    from ansible_collections.sanfleet.remediation.tests.unit.test_awx_config import by_name, rendered
    config = rendered()
    merge_jt = by_name(config["controller_templates"])[
        [w for w in config["controller_workflows"] if len(w["workflow_nodes"]) == 2][0]["workflow_nodes"][1][
            "unified_job_template"]["name"]]
    assert merge_jt["playbook"].endswith("compliance_merge.yml") and merge_jt["limit"]
    _shims(tmp_path / "bin")
    hosts = {"node00-unmapped": {"ansible_connection": "local",
                                 "ansible_python_interpreter": str(tmp_path / "bin" / "python-unmapped")}}
    common = {"sanfleet_hosts": "san_hosts", "sanfleet_compliance_iscsi": False, "sanfleet_compliance_lvm": False}

    def run(name, playbook, extravars, limit=None):
        return run_as_awx(tmp_path, name, playbook, hosts, extravars, limit)

    job = run("slice", "compliance.yml", dict(common, awx_job_id=300, sanfleet_slice_artifacts=True))
    assert job.status == "failed"  # its non-compliant host fails it
    merged = awx_merge_artifacts([(0, 300, job.status, _artifact_data(job))])
    job = run("merge", "compliance_merge.yml", dict(common, **merged), limit=merge_jt["limit"])
    out = job.stdout.read()
    assert job.status == "failed" and "hosts are not compliant" in out, out[-3000:]
    assert (tmp_path / "merge" / "reports" / "fleet.json").is_file()


@pytest.mark.every_core
def test_text_of_the_hosts_in_the_slices_is_merged_as_text(tmp_path):
    """The slices' artifacts hold text read on the hosts (a finding's reason quotes a device's or a mount's name,
    an error quotes the host's message). The merge node read them with the vars lookup, which renders every string
    as a template on the controller: a Jinja expression in a host's text ran a command there, and an unclosed raw
    block failed the merge before any page or artifact. The merge reads them as data: the pages and the artifact
    quote the text as the host gave it."""
    _shims(tmp_path / "bin")
    host = "node00-unmapped"
    hosts = {host: {"ansible_connection": "local",
                    "ansible_python_interpreter": str(tmp_path / "bin" / "python-unmapped")}}
    common = {"sanfleet_hosts": "san_hosts", "sanfleet_compliance_iscsi": False, "sanfleet_compliance_lvm": False}

    def run(name, playbook, extravars, limit=None):
        return run_as_awx(tmp_path, name, playbook, hosts, extravars, limit)

    job = run("slice", "compliance.yml", dict(common, awx_job_id=400, sanfleet_slice_artifacts=True))
    assert job.status == "failed"  # its non-compliant host fails it
    artifacts = _artifact_data(job)
    ran = tmp_path / "ran"
    command = "{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % ran
    unclosed = "{% raw %} never closed"
    mine = artifacts["sanfleet_slice_400"]
    finding = mine["reports"][host]["findings"][0]
    finding["reason"] = "%s: %s" % (finding["reason"], command)
    mine["reports"][host]["errors"].append({"what": "facts", "msg": unclosed})
    mine["compliance"][host]["violations"][0]["text"] += " " + command
    merged = awx_merge_artifacts([(0, 400, job.status, artifacts)])
    job = run("merge", "compliance_merge.yml", dict(common, **merged))
    out = job.stdout.read()
    assert not ran.exists(), "a host's text in a slice ran a command on the controller: " + out[-3000:]
    assert job.status == "failed" and "hosts are not compliant" in out, out[-3000:]
    reports = tmp_path / "merge" / "reports"
    assert finding["reason"] in json.loads((reports / "hosts" / ("%s.json" % host)).read_text())[
        "findings"][0]["reason"]
    assert command in (reports / "fleet.md").read_text()
    data = _artifact_data(job)
    assert data["sanfleet_compliance"][host]["violations"][0]["text"].endswith(command)


def test_merge_under_a_limit_that_leaves_no_host_of_the_fleet_fails(tmp_path):
    """A limit (the workflow's, given at launch) that names hosts of the inventory but none of sanfleet_hosts: the
    merge play matched no host ("no hosts matched", rc 0) and the nightly workflow ended green with nothing merged.
    It fails now with one line naming the limit."""
    import subprocess
    import sys
    (tmp_path / "inventory").write_text("[san_hosts]\nnode00 ansible_connection=local\n"
                                        "[other]\nother00 ansible_connection=local\n")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", SANFLEET_REPORT_DIR=str(tmp_path / "reports"),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(["ansible-playbook", "-i", "inventory", str(REPO / "playbooks" / "compliance_merge.yml"),
                           "-e", "sanfleet_hosts=san_hosts", "-l", "other"], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "the limit other leaves no host of sanfleet_hosts (san_hosts)" in out, out[-3000:]
    assert not (tmp_path / "reports").exists()
