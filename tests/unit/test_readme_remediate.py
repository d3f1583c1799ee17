"""The README's remediation, run as written: its plan command (`--check`) and its run command (with the plan file the
check wrote), parsed out of README.md so that this test breaks when the README changes, each with `-e @ontap.yml`
holding `sanfleet_ontap` (the one array-connection variable) and the ONTAP simulator standing for the clusters.

Two sets of hosts, no VM:
- the README's own inventory (its hosts, its group), each host a fixture host (tests/fleet/fixture_python.py: this
  machine with the SAN state of a captured lab tree), the simulator serving the array the lab had: plan -> run the
  plan file. The fixture hosts are read-only: the run proves it got as far as the first write of the approved unit.
- this machine over the local connection (check mode, nothing changed; it has no SAN device, so what is proven is the
  array side: the variable reaches the role, every cluster is read once, and a failed cluster blocks removals by name
  and fails the job once every report is written)."""

import configparser
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile

import yaml

from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_description, from_lab_truths

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
README = os.path.join(ROOT, "README.md")
# the README's hosts in inventory order: the first has nothing stale, the second the lab's unmapped LUN 2
SCENARIOS = ("healthy", "unmapped")
STALE = "3600a098038304c61622d3030322b4162"
DESC = {"cluster": "cl1", "svms": ["svm1"],
        "igroups": [{"name": "ig_h1", "svm": "svm1", "initiators": ["iqn.1994-05.com.redhat:h1"]}],
        "luns": [{"path": "/vol/v1/lun1", "svm": "svm1", "serial": "80AbCd+/-$01",
                  "maps": [{"igroup": "ig_h1", "lun_id": 1}]}]}


def readme_block(lang, contains):
    """The README's first ```lang block that holds `contains`."""
    with open(README) as handle:
        text = handle.read()
    blocks = [b for b in re.findall(r"```%s\n(.*?)```" % lang, text, re.S) if contains in b]
    assert blocks, "README shows no %s block with %r" % (lang, contains)
    return blocks[0]


def readme_remediate_commands():
    """The README's remediate commands, in order, each as a list exactly as the README shows it (comments dropped)."""
    lines = [line.split("#", 1)[0].strip() for line in readme_block("sh", "sanfleet.remediation.remediate").splitlines()]
    return [shlex.split(line) for line in lines
            if line.startswith("ansible-playbook") and "sanfleet.remediation.remediate" in line]


def readme_check_command():
    """The README's remediate command in check mode (the plan), as a list, exactly as the README shows it."""
    plans = [argv for argv in readme_remediate_commands() if "--check" in argv]
    assert len(plans) == 1, readme_remediate_commands()
    return plans[0]


def readme_inventory():
    """{group: [hosts]} of the README's inventory.ini, in its order."""
    parser = configparser.ConfigParser(allow_no_value=True, delimiters=("=",))
    parser.optionxform = str
    parser.read_string(readme_block("ini", "[san_hosts]"))
    return dict((group, list(parser[group])) for group in parser.sections() if ":" not in group)


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
    """Fails when the README's remediate command misses a cluster of sanfleet_ontap or shows a password."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with OntapSimulator(from_description(DESC), str(tmp_path / "a")) as one, \
            OntapSimulator(from_description(dict(DESC, cluster="cl2")), str(tmp_path / "b")) as two:
        clusters = [one.options(), two.options()]
        proc = run_as_written(tmp_path, clusters)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        assert "netapp1!" not in proc.stdout + proc.stderr
        # each cluster read once, in bulk
        assert one.request_count == two.request_count == 7      # 6 SAN collections + nvme/services
        plan = shown_plan(proc.stdout)
        # nothing planned, and why: this machine has no SAN device, so nothing is stale
        assert plan["array_truth"] is True and plan["array_problems"] == []
        assert plan["no_removal_because"] == ["nothing_stale"]

        # a cluster that cannot be read: the run goes on, and the plan says why nothing is removed
        two.users["admin"] = "rotated"
        proc = run_as_written(tmp_path, clusters)
        plan = shown_plan(proc.stdout)
        assert plan["array_problems"] == ["lookup_failed"]
        assert [e["status"] for e in two.request_log[7:]] == [401]      # after the first run's 7 requests
        assert plan["no_removal_because"] == ["array_lookup_problem"]
        assert "no SCSI removal on this host: array_lookup_problem" in proc.stdout + proc.stderr
        # a cluster that cannot be read fails the job once every report is written, with one line that names it
        assert proc.returncode == 2, proc.stdout[-4000:] + proc.stderr[-3000:]
        assert re.search(r"fatal: .*the array could not be read for 2 host\(s\): cluster 127.0.0.1: HTTP 401",
                         proc.stdout), proc.stdout[-3000:]
        assert os.path.isfile(os.path.join(str(tmp_path), "sanfleet-reports", "fleet.html"))


def play(cwd, argv, env):
    """`argv` as the README shows it, run in `cwd` with the venv's ansible-playbook."""
    argv = [os.path.join(os.path.dirname(sys.executable), argv[0])] + argv[1:]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_readme_plan_then_run_the_plan_file_as_written(tmp_path):
    """The README's commands fail as written when its --limit names a host its inventory does not hold (rc 1), and
    teach the unsafe path when the run passes no plan (it then runs a plan nobody saw, on hosts the check never
    saw). Here: the README's plan command writes the plan file, its run command reads exactly that file and
    executes only what it approves, on the README's own hosts."""
    commands = readme_remediate_commands()
    assert len(commands) == 2 and "--check" in commands[0] and "--check" not in commands[1], commands
    plan_cmd, run_cmd = commands
    for argv in commands:
        assert argv[:4] == ["ansible-playbook", "-i", "inventory.ini", "sanfleet.remediation.remediate"], argv
        assert "@ontap.yml" in argv and argv[argv.index("@ontap.yml") - 1] == "-e", argv
    plan_file = [a.split("=", 1)[1] for a in run_cmd if a.startswith("sanfleet_approved_plan_file=")]
    assert len(plan_file) == 1, run_cmd
    inventory = readme_inventory()
    hosts = inventory["san_hosts"]
    assert len(hosts) == len(SCENARIOS), inventory
    bindir = tmp_path / "bin"
    bindir.mkdir()
    lines = ["[san_hosts]"]
    for host, scenario in zip(hosts, SCENARIOS):
        shim = bindir / ("python-" + scenario)
        shim.write_text('#!/bin/sh\nexec %s %s %s "$@"\n' % (sys.executable, os.path.join(
            ROOT, "tests", "fleet", "fixture_python.py"), scenario))
        shim.chmod(0o755)
        lines.append("%s ansible_connection=local ansible_become=false ansible_python_interpreter=%s" % (host, shim))
    (tmp_path / "inventory.ini").write_text("\n".join(lines) + "\n")
    with tarfile.open(os.path.join(ROOT, "tests", "unit", "fixtures", "unmapped.tar.gz")) as tar:
        truth = json.load(tar.extractfile("unmapped/truth.json"))
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ONTAP_", "SANFLEET_REPORT_DIR")))
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0")
    (tmp_path / "sim").mkdir()
    with OntapSimulator(from_lab_truths([truth]), str(tmp_path / "sim")) as sim:
        (tmp_path / "ontap.yml").write_text(yaml.safe_dump({"sanfleet_ontap": [sim.options()]}))
        proc = play(str(tmp_path), plan_cmd, env)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        approved = json.loads((tmp_path / plan_file[0]).read_text())
        assert sorted(approved) == sorted(hosts)
        assert approved[hosts[0]]["steps"] == []
        assert ("flush_map", STALE) in [(st["action"], st["target"]) for st in approved[hosts[1]]["steps"]]

        proc = play(str(tmp_path), run_cmd, env)
    out = proc.stdout + proc.stderr
    reports = tmp_path / "sanfleet-reports" / "hosts"
    first = json.loads((reports / ("%s.json" % hosts[0])).read_text())["remediation"]
    assert first["approval"] == "approved" and first["executed"] == [] and first["refused"] == [], first
    # the second host ran its approved unit: the fixture host is read-only, so the unit stops at its first write
    # (nothing refused it as unapproved or changed)
    second = json.loads((reports / ("%s.json" % hosts[1])).read_text())["remediation"]
    assert second["approval"] == "approved" and second["refused"] == [], second
    assert proc.returncode == 2, out[-4000:]
    assert "no captured output for multipathd disablequeueing map %s" % STALE in out, out[-4000:]
