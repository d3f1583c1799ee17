"""The README's remediation command in check mode, run as written (`ansible-playbook -i inventory.ini
sanfleet.remediation.remediate -e @ontap.yml --limit db01 --check --diff` today), with ontap.yml holding
`sanfleet_ontap` (the one array-connection variable) and the ONTAP simulator standing for the clusters. The
managed hosts are this machine over the local connection (check mode, nothing changed; it has no SAN device, so
what is proven is the array side: the variable reaches the role, every cluster is read once, and a failed
cluster blocks removals by name)."""

import json
import os
import re
import subprocess
import sys

import yaml

from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_description

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
DESC = {"cluster": "cl1", "svms": ["svm1"],
        "igroups": [{"name": "ig_h1", "svm": "svm1", "initiators": ["iqn.1994-05.com.redhat:h1"]}],
        "luns": [{"path": "/vol/v1/lun1", "svm": "svm1", "serial": "80AbCd+/-$01",
                  "maps": [{"igroup": "ig_h1", "lun_id": 1}]}]}


def readme_check_command():
    """The README's remediate command in check mode (the plan), as a list, exactly as the README shows it."""
    with open(README) as handle:
        text = handle.read()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("ansible-playbook") and "sanfleet.remediation.remediate" in line and "--check" in line:
            return line.split()
    raise AssertionError("README shows no remediate command with --check")


def run_as_written(tmp_path, clusters):
    argv = readme_check_command()
    assert argv[:4] == ["ansible-playbook", "-i", "inventory.ini", "sanfleet.remediation.remediate"], argv
    assert "@ontap.yml" in argv and argv[argv.index("@ontap.yml") - 1] == "-e", argv
    # the README's example hosts, each this machine over the local connection, so any --limit it shows works
    local = "ansible_connection=local ansible_python_interpreter=%s ansible_become=false" % sys.executable
    (tmp_path / "inventory.ini").write_text("[san_hosts]\ndb01 %s\ndb02 %s\n" % (local, local))
    (tmp_path / "ontap.yml").write_text(yaml.safe_dump({"sanfleet_ontap": clusters}))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0")
    argv[0] = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run(argv, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc


def shown_plan(stdout):
    m = re.search(r'"msg": (\{.*?\n    \})', stdout, re.S)
    assert m, stdout[-3000:]
    return json.loads(m.group(1))


def test_readme_remediate_command_reads_every_cluster_of_sanfleet_ontap(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with OntapSimulator(from_description(DESC), str(tmp_path / "a")) as one, \
            OntapSimulator(from_description(dict(DESC, cluster="cl2")), str(tmp_path / "b")) as two:
        clusters = [one.options(), two.options()]
        proc = run_as_written(tmp_path, clusters)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        assert "netapp1!" not in proc.stdout + proc.stderr
        # each cluster read once, in bulk
        assert one.request_count == two.request_count == 6
        plan = shown_plan(proc.stdout)
        assert plan["array_truth"] is True and plan["array_problems"] == [] and plan["no_removal_because"] == []

        # a cluster that cannot be read: the run goes on, and the plan says why nothing is removed
        two.users["admin"] = "rotated"
        proc = run_as_written(tmp_path, clusters)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        plan = shown_plan(proc.stdout)
        assert plan["array_problems"] == ["lookup_failed"]
        assert [e["status"] for e in two.request_log[6:]] == [401]
        assert plan["no_removal_because"] == ["array_lookup_problem"]
        assert "no removal on this host: array_lookup_problem" in proc.stdout + proc.stderr
