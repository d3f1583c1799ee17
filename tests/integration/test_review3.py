"""Review 3 (issue 27 item 15, issue 28 items 1-7, 11): adversarial findings, each reproduced by a test (were strict xfails until fixed).
No VM: the fixture interpreter (tests/fleet) and the ONTAP simulator (tests/ontap_sim), as the done-when tests."""
import json
import os
import subprocess
import time


from ansible_collections.sanfleet.remediation.tests.integration import test_failure_paths as fp
from ansible_collections.sanfleet.remediation.tests.integration import test_approved_plan as ap
from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator

fleet = fp.fleet  # the module-scoped fixtures of the done-when and the approved-plan tests, shared by assignment
site = ap.site


def run_with_cluster(fleet, name, tag, cluster_update, *args):
    """fp.run_playbook, with the group_vars cluster entry changed by `cluster_update` (a malformed entry)."""
    run = fleet["top"] / ("%s-%s" % (name, tag))
    (run / "inventory" / "group_vars").mkdir(parents=True)
    (run / "inventory" / "hosts.yml").write_text(json.dumps({"all": {"children": {"san": {"hosts": fleet["hosts"]}}}}))
    with OntapSimulator(fleet["dataset"], str(run)) as sim:
        sim.users = {fp.USER: fp.PASSWORD}
        cluster = {"hostname": "127.0.0.1", "http_port": sim.port, "username": fp.USER, "password": fp.PASSWORD,
                   "ca_path": sim.ca_path}
        cluster.update(cluster_update)
        (run / "inventory" / "group_vars" / "san.yml").write_text(json.dumps({"sanfleet_ontap": [cluster]}))
        cwd = run / "cwd"
        cwd.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SANFLEET_REPORT_DIR", "ONTAP_"))}
        env.update(ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        argv = ["ansible-playbook", "-i", str(run / "inventory"), "sanfleet.remediation." + name, "-f", "10"]
        argv += list(args)
        started = time.monotonic()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
        proc.wall = time.monotonic() - started
    proc.reports = cwd / "sanfleet-reports"
    return proc


def test_audit_writes_reports_with_a_malformed_cluster_entry(fleet):
    proc = run_with_cluster(fleet, "audit", "bad_port", {"http_port": "443x"})
    print(proc.stdout[-3000:])
    assert (proc.reports / "fleet.json").is_file(), proc.stdout[-3000:]
    assert sorted(p.stem for p in (proc.reports / "hosts").glob("*.json")) == sorted(fp.HOSTS)


def test_remediate_host_guard_refuses_a_blank_limit(fleet):
    proc = fp.run_playbook(fleet, "remediate", "blank_limit", "--check", "--limit", " ", verbosity=None)
    assert proc.returncode == 2, proc.stdout[-2000:]
    assert "name the hosts with -e sanfleet_hosts=<group or pattern> or --limit" in proc.stdout + proc.stderr
    assert "Read the SAN state" not in proc.stdout and proc.requests == 0


def test_a_null_approved_entry_approves_nothing(site):
    _plan_cmd, run_cmd = ap.runbook_commands()
    null_plan = ("mkdir -p $SANFLEET_REPORT_DIR; echo '{\"db01\": null}' > $SANFLEET_REPORT_DIR/sanfleet-plan.json; "
                 "ansible-playbook")
    proc = ap.play(site, run_cmd.replace("ansible-playbook", null_plan), "--check")
    if proc.returncode == 2:  # refused as bad input: fine too
        return
    assert proc.returncode == 0, proc.out[-4000:]
    db01 = ap.shown(proc.stdout, "db01")
    # a host the approver did not approve: nothing may run there (as with a missing host, {})
    assert db01["steps"] == [], db01
