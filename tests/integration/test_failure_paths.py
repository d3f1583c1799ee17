"""audit.yml, compliance.yml and remediate.yml --check over seven fixture hosts (five captured
SAN hosts, one per scenario, one host without SAN, one unreachable) with `sanfleet_ontap` only in the inventory's
group_vars and an ONTAP cluster (the simulator) that fails: a wrong password, a refused connection, an answer 503. Each playbook is
run by its FQCN from another directory than the project's (a tmp dir, as a user runs it), at -vvvv.

Asserted: every report (fleet.md, fleet.html, fleet.json, junit.xml, hosts/<host>.json) is written in the run
directory and none inside the collection; each report names the failure per host (the cluster, the HTTP status or
the connection error) with array_checked false, the unreachable host's own error, the non-SAN host as not_san;
no output and no report holds the password in any form (plain, JSON-escaped, URL-encoded, base64 of user:password
as in a Basic auth header).

Coverage: one run per failure kind, each with another playbook, rather than every verbosity x every playbook x
every failure: ansible shows at -vvvv everything it shows at -v to -vvv (verbosity thresholds only add output),
so -vvvv is the superset to grep; the three playbooks share the credential-carrying tasks (the ontap_truth
set_fact, and the ontap_igroups loop in audit), and the failure kinds differ only in the lookup's message, which
the unit tests classify one by one (tests/unit/plugins/filter/test_fleet_report.py). Each run also proves that its
playbook honours `sanfleet_ontap` from group_vars: it is the only place the cluster is given, and the reports name
the cluster's failure (the simulator also counts the requests). No VM: the fixture interpreter
(tests/fleet/fixture_python.py) gives the local hosts the state of captured lab trees.
"""
import base64
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import urllib.parse
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap_client
from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truths

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = ("healthy", "unmapped", "mounted", "orphan", "portal_cut")
SAN_HOSTS = ["node%02d-%s" % (i, scenario) for i, scenario in enumerate(SCENARIOS)]
NOT_SAN, DOWN = "node%02d-nosan" % len(SAN_HOSTS), "node99-down"
HOSTS = SAN_HOSTS + [NOT_SAN, DOWN]
USER = "sanfleet_audit"
# every encoding differs from the plain text: a quote and a backslash (JSON), '+', '/', '=' and a space (URL)
PASSWORD = 'Pa"ss w0rd+/=\\x9'
SCHEMA = json.loads((REPO / "meta" / "schemas" / "host_report.schema.json").read_text())


def secret_forms(password, user=USER):
    return {
        "plain": password,
        "json": json.dumps(password)[1:-1],
        "json_ascii": json.dumps(password, ensure_ascii=True)[1:-1],
        "url": urllib.parse.quote(password, safe=""),
        "url_plus": urllib.parse.quote_plus(password),
        "basic_auth": base64.b64encode(("%s:%s" % (user, password)).encode()).decode(),
        "base64": base64.b64encode(password.encode()).decode(),
    }


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The inventory (hosts + group_vars without sanfleet_ontap yet) and the interpreter shims."""
    top = tmp_path_factory.mktemp("fleet")
    bindir = top / "bin"
    bindir.mkdir()
    for scenario in SCENARIOS + ("nosan",):
        shim = bindir / ("python-" + scenario)
        shim.write_text('#!/bin/sh\nexec %s %s %s "$@"\n'
                        % (sys.executable, REPO / "tests" / "fleet" / "fixture_python.py", scenario))
        shim.chmod(0o755)
    # the host without SAN first: the play's first host, which the array gate does not concern (a gate run once
    # failed it, not the hosts the array could not be judged for)
    hosts = {h: {"ansible_connection": "local",
                 "ansible_python_interpreter": str(bindir / ("python-" + h.split("-", 1)[1]))}
             for h in [NOT_SAN] + SAN_HOSTS}
    # unreachable: nothing listens on port 1
    hosts[DOWN] = {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_connection": "ssh",
                   "ansible_ssh_common_args": "-o ConnectTimeout=3 -o StrictHostKeyChecking=no"}
    truths = []
    for scenario in SCENARIOS:
        with tarfile.open(REPO / "tests" / "unit" / "fixtures" / (scenario + ".tar.gz")) as tar:
            truths.append(json.load(tar.extractfile("%s/truth.json" % scenario)))
    return {"top": top, "hosts": hosts, "dataset": from_lab_truths(truths)}


INSIDE = (REPO / "playbooks" / "sanfleet-reports", REPO / "sanfleet-reports")


def files_inside_the_collection():
    """{path: mtime_ns} of report files inside the collection: compared before and after a run, so that a leftover
    of an older checkout's run (the directory is git-ignored) neither fails this test nor hides a new write."""
    return {str(f): f.stat().st_mtime_ns for d in INSIDE if d.is_dir() for f in d.rglob("*") if f.is_file()}


def run_playbook(fleet, name, failure, *args, verbosity="-vvvv", cluster_update=None, hosts=None, cwd=None, env=None,
                 imports=None, site=None, group_vars=None):
    """Run sanfleet.remediation.<name> from a fresh directory (or `cwd`) with sanfleet_ontap only in
    group_vars/san.yml; `cluster_update` changes that cluster entry (a malformed one), `hosts` replaces the fleet's,
    `env` is added to the environment; `imports`: run a playbook that imports it that many times instead;
    `group_vars` are added to group_vars/san.yml."""
    run = fleet["top"] / ("%s-%s" % (name, failure))
    (run / "inventory" / "group_vars").mkdir(parents=True)
    (run / "inventory" / "hosts.yml").write_text(json.dumps({"all": {"children": {"san": {
        "hosts": fleet["hosts"] if hosts is None else hosts}}}}))
    with OntapSimulator(fleet["dataset"], str(run)) as sim:
        sim.users = {USER: PASSWORD}
        cluster = {"hostname": "127.0.0.1", "http_port": sim.port, "username": USER, "password": PASSWORD,
                   "ca_path": sim.ca_path}
        if failure == "wrong_password":
            sim.users = {USER: "the right one"}
        elif failure == "refused":
            cluster["http_port"] = 1
        elif failure == "503":
            sim.errors["cluster"] = (503, "Service Unavailable", "0")
        elif failure == "busy":
            sim.interruptions["storage/luns"] = [503, "reset"]
        cluster.update(cluster_update or {})
        (run / "inventory" / "group_vars" / "san.yml").write_text(json.dumps(dict({"sanfleet_ontap": [cluster]},
                                                                                  **(group_vars or {}))))
        cwd = cwd or run / "cwd"
        cwd.mkdir(exist_ok=True)
        extra, env = env or {}, {k: v for k, v in os.environ.items() if not k.startswith(("SANFLEET_REPORT_DIR", "ONTAP_"))}
        env.update(ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **extra)
        playbook = "sanfleet.remediation." + name
        if site:
            playbook = str(run / "site.yml")
            # a name, or an import of its own (with vars)
            (run / "site.yml").write_text(json.dumps([p if isinstance(p, dict) else
                                                      {"ansible.builtin.import_playbook": "sanfleet.remediation." + p}
                                                      for p in site]))
        elif imports:
            playbook = str(run / "site.yml")
            (run / "site.yml").write_text(json.dumps([{"ansible.builtin.import_playbook": "sanfleet.remediation." + name}]
                                                     * imports))
        argv = ["ansible-playbook", "-i", str(run / "inventory"), playbook, "-f", "10"]
        argv += [a for a in (verbosity,) if a] + list(args)
        before = files_inside_the_collection()
        started = time.monotonic()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
        proc.wall = time.monotonic() - started
        proc.requests = sim.request_count
        proc.written_inside = sorted(f for f, t in files_inside_the_collection().items() if before.get(f) != t)
    print("%s %s: rc %d in %.1f s, %d ONTAP requests" % (name, failure, proc.returncode, proc.wall, proc.requests))
    proc.run, proc.reports = run, cwd / "sanfleet-reports"
    return proc


def assert_no_secret(proc):
    texts = {"stdout": proc.stdout, "stderr": proc.stderr}
    for path in proc.reports.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_text(errors="replace")
    for where, text in texts.items():
        for form, value in secret_forms(PASSWORD).items():
            assert value not in text, "the password (%s) is in %s" % (form, where)


def assert_reports_name_the_failure(proc, expect, playbook):
    reports = proc.reports
    assert proc.returncode == 4, (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])  # unreachable wins
    # in the run directory, never inside the collection
    for name in ("fleet.md", "fleet.html", "fleet.json", "junit.xml"):
        assert (reports / name).is_file(), name
    assert not proc.written_inside, "reports written inside the collection: %s" % proc.written_inside
    docs = {p.stem: json.loads(p.read_text()) for p in (reports / "hosts").glob("*.json")}
    assert sorted(docs) == sorted(HOSTS)
    for doc in docs.values():
        jsonschema.validate(doc, SCHEMA)
    for host in SAN_HOSTS:
        summary = docs[host]["summary"]
        assert summary["array_checked"] is False, host
        assert "cluster 127.0.0.1" in summary["array_reason"] and expect in summary["array_reason"], summary
        [arr] = [f for f in docs[host]["findings"] if f["area"] == "array"]
        assert arr["severity"] == "error" and arr["object"] == "127.0.0.1" and arr["action"]
    assert docs[NOT_SAN]["status"] == "not_san" and docs[NOT_SAN]["counts"]["error"] == 0
    assert docs[DOWN]["status"] == "failed"
    assert "port 1: Connection refused" in docs[DOWN]["findings"][0]["reason"]
    # every host's report says what happened to the array for it: never "not asked (no sanfleet_ontap)" when a
    # cluster was given
    assert docs[DOWN]["summary"]["array_state"] == "not_asked"
    assert docs[DOWN]["summary"]["array_reason"] == "the array was not asked for this host (unreachable)"
    assert all("no sanfleet_ontap" not in (doc["summary"].get("array_reason") or "") for doc in docs.values())
    # the job fails on the array, after every report was written: each host the array could not be judged for,
    # naming the cluster, and no other (the host without SAN, first in the play, is not failed for it)
    assert "the array could not be read: 127.0.0.1 %s" % expect.strip("()") in proc.stdout, proc.stdout[-3000:]
    recap = dict(re.findall(r"^(\S+)\s+:.*\bfailed=(\d+)", proc.stdout[proc.stdout.rindex("PLAY RECAP"):], re.M))
    assert recap[NOT_SAN] == "0" and all(recap[h] != "0" for h in SAN_HOSTS), recap
    gated = set(re.findall(r"([\w-]+): not judged against the array: the array could not be read: 127\.0\.0\.1",
                           proc.stdout))
    # (none in compliance: a host with a violation failed before the gate, out of the play already)
    assert gated <= set(SAN_HOSTS) and (gated or playbook == "compliance"), gated
    md = (reports / "fleet.md").read_text()
    assert "## Array problems" in md and "| 127.0.0.1 | " in md and expect in md
    assert "1 failed" in md and "1 not_san" in md
    assert "| %s | failed (" % DOWN in md and "ssh: connect to host 127.0.0.1 port 1" in md
    html = (reports / "fleet.html").read_text()
    assert '<table id="array">' in html and "ssh: connect to host 127.0.0.1 port 1" in html
    junit = (reports / "junit.xml").read_text()
    assert "ssh: connect to host 127.0.0.1 port 1" in junit and "array_" in junit
    # the console: the fleet summary at the end names the hosts by status, the array problem and the reports
    tail = proc.stdout[proc.stdout.rindex("The fleet summary"):]
    assert "%d hosts (1 failed" % len(HOSTS) in tail and "1 not_san" in tail and "ARRAY 127.0.0.1" in tail
    assert str(reports) + "/fleet.html" in tail


@pytest.mark.parametrize("name, failure, args, expect", [
    ("audit", "wrong_password", (), "HTTP 401"),
    ("compliance", "refused", ("-e", "sanfleet_compliance_iscsi=false", "-e", "sanfleet_compliance_lvm=false"),
     "(refused)"),
    ("remediate", "503", ("--check", "-e", "sanfleet_hosts=san", "-e", "sanfleet_serial=10"), "HTTP 503"),
])
def test_reports_name_the_array_failure_and_hold_no_secret(fleet, name, failure, args, expect):
    proc = run_playbook(fleet, name, failure, *args)
    assert_reports_name_the_failure(proc, expect, name)
    assert_no_secret(proc)
    if failure == "wrong_password":
        # group_vars reached the lookup, which logged in once for the fleet (the failure is cached for the run)
        assert proc.requests == 1, proc.requests
    elif failure == "503":
        # ONTAP busy: the one read of the fleet asked again, within the request's timeout, then failed for the run
        # (ontap_client.RETRY_STATUSES; the failure is cached: no second read)
        assert 1 < proc.requests <= ontap_client.RETRY_MAX + 1, proc.requests
    if name == "remediate":
        # the not-SAN host was asked too (stale_cleanup reads the truth first): its report says the array refused
        not_san = json.loads((proc.reports / "hosts" / (NOT_SAN + ".json")).read_text())["summary"]
        assert not_san["array_state"] == "unreadable" and "HTTP 503" in not_san["array_reason"], not_san
    else:
        not_san = json.loads((proc.reports / "hosts" / (NOT_SAN + ".json")).read_text())["summary"]
        assert not_san["array_reason"] == "the array was not asked for this host (not a SAN host)", not_san
    if name == "remediate":
        doc = json.loads((proc.reports / "hosts" / "node01-unmapped.json").read_text())
        assert doc["remediation"]["counts"]["planned"] == 0
        assert any(b["why"] == "array_lookup_problem" and "HTTP 503" in b["msg"] for b in doc["remediation"]["blocked"])
        assert "no SCSI removal planned: array lookup 127.0.0.1" in (proc.reports / "fleet.md").read_text()


def test_a_cluster_busy_for_a_moment_is_read_and_every_report_says_how_many_retries_it_needed(fleet):
    """One HTTP 503 (ONTAP busy) or a connection reset made the cluster unreadable for the whole run: no device of
    any host judged. Both are tried again (plugins/plugin_utils/ontap_client.py); the hosts are judged against the
    array, and each SAN host's report names the retries."""
    proc = run_playbook(fleet, "audit", "busy", verbosity=None)
    assert proc.returncode == 4, (proc.returncode, proc.stdout[-3000:])  # the unreachable host, nothing else
    assert "the array could not be read" not in proc.stdout
    for host in SAN_HOSTS:
        doc = json.loads((proc.reports / "hosts" / (host + ".json")).read_text())
        assert doc["summary"]["array_checked"] is True, (host, doc["summary"])
        [row] = [f for f in doc["findings"] if f["area"] == "array"]
        assert (row["check"], row["severity"], row["object"]) == ("array_retried", "info", "sanlab"), row
        assert "after 2 retries (HTTP 503 x1, connection reset x1)" in row["reason"], row


def test_remediate_reports_and_plans_a_host_whose_modules_cannot_run(fleet):
    """A host where no module can start (no Python where its interpreter is said to be) failed at remediate's first
    module, before its report: neither hosts/<host>.json nor a not_planned entry in sanfleet-plan.json (audit and
    compliance write both), so the approver never saw it. It is recorded as failed, with the host's own words, and
    planned as not_planned; the real run with that plan reports it too and touches nothing."""
    nopython = "node50-nopython"
    hosts = {"node01-unmapped": fleet["hosts"]["node01-unmapped"],
             nopython: {"ansible_connection": "local", "ansible_python_interpreter": "/nonexistent/python3"}}
    check = run_playbook(fleet, "remediate", "nopython", "--check", "-e", "sanfleet_hosts=san", verbosity=None,
                         hosts=hosts)
    assert check.returncode == 2, (check.returncode, check.stdout[-3000:])   # the host fails after its report
    plan = json.loads((check.reports / "sanfleet-plan.json").read_text())
    assert plan[nopython]["not_planned"] is True and "/nonexistent/python3" in plan[nopython]["msg"], plan[nopython]
    assert "not_planned" not in plan["node01-unmapped"]
    doc = json.loads((check.reports / "hosts" / (nopython + ".json")).read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["status"] == "failed" and "/nonexistent/python3" in doc["errors"][-1]["msg"], doc

    real = run_playbook(fleet, "remediate", "nopython-run", "--limit", nopython, "-e",
                        "sanfleet_approved_plan_file=%s" % (check.reports / "sanfleet-plan.json"), verbosity=None,
                        hosts=hosts, cwd=check.run / "cwd")
    assert real.returncode == 2, (real.returncode, real.stdout[-3000:])
    doc = json.loads((real.reports / "hosts" / (nopython + ".json")).read_text())
    assert doc["status"] == "failed" and doc["remediation"]["approval"] == "not_in_plan", doc["remediation"]
    assert doc["remediation"]["counts"]["executed"] == 0


# A connection that runs one module (MODULE) and then drops, as ssh does when the host goes away while the module
# runs: the module did its work, its result never comes back, and ansible-core reports the host unreachable.
LOSSY_CONNECTION = """from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection.local import Connection as LocalConnection

DOCUMENTATION = %r


class Connection(LocalConnection):
    transport = "lossy"

    def exec_command(self, cmd, in_data=None, sudoable=True):
        result = super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        if "AnsiballZ_%s.py" in cmd or b"plugins.modules.%s'" in (in_data or b""):
            raise AnsibleConnectionFailure("Failed to connect to the host via lossy: the connection dropped")
        return result
"""


@pytest.mark.parametrize("module, said", [("stale_cleanup", "its plan is unknown (--check: it executes nothing)"),
                                          ("stale_mpath_facts", "nothing was changed on the host")])
def test_remediate_reports_and_plans_a_host_lost_while_the_module_ran(fleet, module, said):
    """The connection to a host dropped while stale_cleanup ran on it: ansible-core took the host out of the play
    before its report, so it got no hosts/<host>.json and no not_planned entry in sanfleet-plan.json, and nothing
    said that what the module did there (it may have removed devices) is unknown. The role keeps the host in the
    play and fails it; the playbook records it, plans it as not_planned, and its report says what ran is unknown
    (no count of 0 executed), the fleet counts it apart."""
    from ansible.plugins.connection import local
    plugins = fleet["top"] / "connection_plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "lossy.py").write_text(LOSSY_CONNECTION % (local.DOCUMENTATION.replace("name: local", "name: lossy", 1),
                                                          module, module))
    lost = "node51-lost"
    hosts = {"node01-unmapped": fleet["hosts"]["node01-unmapped"],
             lost: dict(fleet["hosts"]["node01-unmapped"], ansible_connection="lossy")}
    check = run_playbook(fleet, "remediate", "lost-" + module, "--check", "-e", "sanfleet_hosts=san", verbosity=None,
                         hosts=hosts, env={"ANSIBLE_CONNECTION_PLUGINS": str(plugins)})
    assert check.returncode == 2, (check.returncode, check.stdout[-3000:])   # the host fails after its report
    plan = json.loads((check.reports / "sanfleet-plan.json").read_text())
    assert plan[lost]["not_planned"] is True and "connection dropped" in plan[lost]["msg"], plan[lost]
    assert said in plan[lost]["msg"]
    assert "not_planned" not in plan["node01-unmapped"]
    doc = json.loads((check.reports / "hosts" / (lost + ".json")).read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["status"] == "failed" and said in doc["errors"][-1]["msg"], doc["errors"]
    fleet_doc = json.loads((check.reports / "fleet.json").read_text())
    lost_rows = [h["remediation"] for h in fleet_doc["hosts"] if h["host"] == lost]
    if module == "stale_cleanup":
        assert "connection dropped" in doc["remediation"]["unknown"], doc["remediation"]
        # --check: the module executes nothing, its plan is what is unknown
        assert doc["remediation"]["counts"]["executed"] == 0 and doc["remediation"]["counts"]["planned"] is None
        assert fleet_doc["counts"]["remediation"]["unknown"] == 1 and lost_rows == [None]
        assert "1 host(s) WITHOUT a result of stale_cleanup" in check.stdout
    else:   # lost before the removal module: nothing ran, and the counts say 0 of what is known
        assert "unknown" not in doc["remediation"] and doc["remediation"]["counts"]["executed"] == 0
        assert fleet_doc["counts"]["remediation"]["unknown"] == 0


def test_remediate_never_targets_an_implicit_all(fleet):
    """A typo in the variable's name (sanfleet_host) must not make remediate.yml target the whole inventory."""
    proc = run_playbook(fleet, "remediate", "no_hosts", "--check", "-e", "sanfleet_host=node01-unmapped",
                        verbosity=None)
    assert proc.returncode == 2
    assert "name the hosts with -e sanfleet_hosts=<group or pattern> or --limit" in proc.stdout + proc.stderr
    assert "Read the SAN state" not in proc.stdout and proc.requests == 0
    assert not proc.reports.exists()


def test_audit_writes_every_report_with_a_malformed_cluster_entry(fleet):
    """A cluster entry whose port is no number must not cost the operator the reports of the whole fleet."""
    proc = run_playbook(fleet, "audit", "bad_port", verbosity=None, cluster_update={"http_port": "443x"})
    assert (proc.reports / "fleet.json").is_file(), proc.stdout[-3000:]
    assert sorted(p.stem for p in (proc.reports / "hosts").glob("*.json")) == sorted(HOSTS)


def test_remediate_refuses_a_blank_limit(fleet):
    """`--limit " "` names no host: remediate.yml must refuse it as it refuses no limit at all."""
    proc = run_playbook(fleet, "remediate", "blank_limit", "--check", "--limit", " ", verbosity=None)
    assert proc.returncode == 2, proc.stdout[-2000:]
    assert "name the hosts with -e sanfleet_hosts=<group or pattern> or --limit" in proc.stdout + proc.stderr
    assert "Read the SAN state" not in proc.stdout and proc.requests == 0


def test_audit_run_with_its_report_tag_writes_every_report_and_fails_the_unreachable_host(fleet):
    """`--tags report` (a tag the playbook documents) must still build and write every host's report, fail the
    unreachable host and end on the array gate: the tags of a dynamic include cover the include only, and the run
    ended 0 with nothing written."""
    proc = run_playbook(fleet, "audit", "tags_report", "--tags", "report", verbosity=None,
                        cluster_update={"http_port": 1})
    assert proc.returncode == 4, (proc.returncode, proc.stdout[-3000:])
    assert sorted(p.stem for p in (proc.reports / "hosts").glob("*.json")) == sorted(HOSTS), proc.stdout[-3000:]
    assert (proc.reports / "fleet.html").is_file() and (proc.reports / "junit.xml").is_file()
    assert "the array could not be read: 127.0.0.1" in proc.stdout, proc.stdout[-3000:]


# The host stays gone once the connection dropped (as a host that went away does): every later command fails too.
GONE_CONNECTION = LOSSY_CONNECTION.replace('transport = "lossy"', 'transport = "gone"').replace(
    "        result = super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)\n",
    "        import os\n"
    "        marker = os.path.join(os.environ['SANFLEET_GONE_DIR'], self._play_context.remote_addr or 'host')\n"
    "        if os.path.exists(marker):\n"
    "            raise AnsibleConnectionFailure('Failed to connect to the host via gone: host is down')\n"
    "        result = super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)\n"
    "        if 'AnsiballZ_%s.py' in cmd or b\"plugins.modules.%s'\" in (in_data or b''):\n"
    "            open(marker, 'w').close()\n")


def test_a_host_that_stays_down_after_its_connection_dropped_mid_module_is_unknown_and_stops_the_rollout(fleet):
    """A real run (approved plan, sanfleet_serial=2): the first batch has a host whose connection drops while
    stale_cleanup runs and stays down (as a host that went away does), and a healthy host; the second batch must not
    run (max_fail_percentage 0), every report of the first batch is written, the lost host's approval is 'approved'
    and what ran there is unknown. On ansible-core 2.16 without pipelining (the default) the removal of the remote
    tmp dir after the module (TaskExecutor._execute's finally: self._handler.cleanup()) fails over the same dead
    connection, and TaskExecutor.run turns that AnsibleConnectionFailure into failed=True: the registered result
    has no `unreachable`, and the report said 0 executed. Run it on each core: scripts/setup.sh --core 2.16.19."""
    from ansible.plugins.connection import local
    plugins = fleet["top"] / "connection_plugins_gone"
    plugins.mkdir(exist_ok=True)
    doc = local.DOCUMENTATION.replace("name: local", "name: gone", 1)
    (plugins / "gone.py").write_text(GONE_CONNECTION % ((doc,) + ("stale_cleanup",) * 4))
    gone_dir = fleet["top"] / "gone-markers"
    gone_dir.mkdir(exist_ok=True)
    lost, ok1, ok2 = "node51-lost", "node52-healthy", "node53-healthy"
    healthy = fleet["hosts"]["node00-healthy"]
    plan_hosts = {lost: fleet["hosts"]["node01-unmapped"], ok1: healthy, ok2: healthy}
    check = run_playbook(fleet, "remediate", "real-lost-plan", "--check", "-e", "sanfleet_hosts=san", verbosity=None,
                         hosts=plan_hosts)
    plan_file = check.reports / "sanfleet-plan.json"
    plan = json.loads(plan_file.read_text())
    assert sorted(plan) == [lost, ok1, ok2] and "not_planned" not in plan[lost], plan
    run_hosts = dict(plan_hosts)
    run_hosts[lost] = dict(plan_hosts[lost], ansible_connection="gone")
    run = run_playbook(fleet, "remediate", "real-lost-run", "-e", "sanfleet_hosts=san", "-e", "sanfleet_serial=2",
                       "-e", "sanfleet_approved_plan_file=%s" % plan_file, verbosity=None, hosts=run_hosts,
                       env={"ANSIBLE_CONNECTION_PLUGINS": str(plugins), "SANFLEET_GONE_DIR": str(gone_dir)})
    assert run.returncode in (2, 4), (run.returncode, run.stdout[-3000:])
    doc = json.loads((run.reports / "hosts" / (lost + ".json")).read_text())
    assert doc["status"] == "failed" and "unknown" in doc["remediation"], doc["remediation"]
    assert doc["remediation"]["counts"]["executed"] is None
    assert doc["remediation"]["approval"] == "approved", doc["remediation"]["approval"]
    fleet_doc = json.loads((run.reports / "fleet.json").read_text())
    status = dict((h["host"], h["status"]) for h in fleet_doc["hosts"])
    assert status[ok2] == "not_run", (status, run.stdout[-3000:])
    assert fleet_doc["counts"]["remediation"]["unknown"] == 1


# As GONE_CONNECTION, and every attempt to reach the host after it went away is logged (a real SSH connection to a
# host that went away waits for its ConnectTimeout, 10 s by default, at each attempt).
COUNTING_GONE_CONNECTION = GONE_CONNECTION.replace(
    "        if os.path.exists(marker):\n",
    "        if os.path.exists(marker):\n"
    "            with open(marker + '.attempts', 'a') as log:\n"
    "                log.write(' '.join(str(cmd).split())[:120] + '\\n')\n")


@pytest.mark.parametrize("playbook", ["compliance", "audit"])
def test_a_host_lost_at_a_later_read_gets_its_report_is_unreachable_and_is_not_reached_again(fleet, playbook):
    """audit.yml and compliance.yml kept a host that is unreachable at their first read in the play
    (ignore_unreachable) for its report; a host whose connection dropped at a later read (multipath_conf) was taken
    out of the play by ansible-core before its report: no hosts/<host>.json, the fleet row said only 'unreachable,
    or failed before its report'. Every read keeps it now, and it gets its report. As at its first read it is
    unreachable (run/unreachable, rc 4: these runs change nothing, no rollout to stop), and the reads after the one
    that lost it do not reach for it again (each attempt waits for a connection timeout, holding a fork). The host
    stays down after the drop, as a host that went away does."""
    from ansible import __version__ as core
    from ansible.plugins.connection import local
    plugins = fleet["top"] / ("connection_plugins_mpconf_" + playbook)
    plugins.mkdir(exist_ok=True)
    doc = local.DOCUMENTATION.replace("name: local", "name: gone", 1)
    (plugins / "gone.py").write_text(COUNTING_GONE_CONNECTION % ((doc,) + ("multipath_conf",) * 4))
    gone_dir = fleet["top"] / ("gone-markers-" + playbook)
    gone_dir.mkdir(exist_ok=True)
    lost = "node51-lost"
    hosts = {"node01-unmapped": fleet["hosts"]["node01-unmapped"],
             lost: dict(fleet["hosts"]["node01-unmapped"], ansible_connection="gone")}
    proc = run_playbook(fleet, playbook, "lost-multipath_conf", "-e", "sanfleet_hosts=san", verbosity=None,
                        hosts=hosts, env={"ANSIBLE_CONNECTION_PLUGINS": str(plugins), "SANFLEET_GONE_DIR": str(gone_dir)})
    doc = json.loads((proc.reports / "hosts" / (lost + ".json")).read_text())
    jsonschema.validate(doc, SCHEMA)
    msg = doc["errors"][-1]["msg"]
    assert doc["status"] == "failed", doc["errors"]
    run_rows = [f["check"] for f in doc["findings"] if f["area"] == "run"]
    markers = sorted(gone_dir.iterdir())
    assert markers, "the connection never dropped"
    # after the drop only the removal of the dropped module's own tmp dir tries the host, and once, fail_host's
    # reach for an unreachable host (the first command of a module run, as of each read: `echo ~`)
    attempts = [a for f in markers if f.suffix == ".attempts" for a in f.read_text().splitlines() if "rm -f -r" not in a]
    if core.startswith("2.16."):
        # without pipelining 2.16 turns the failed removal of the tmp dir into a plain failure of the read (no
        # `unreachable`): the read fails, its rescue records it as a failed task
        assert proc.returncode == 2 and "host is down" in msg, (proc.returncode, msg)
    else:
        assert (proc.returncode, run_rows) == (4, ["unreachable"]), (proc.returncode, run_rows, proc.stdout[-2000:])
        assert "the connection was lost" in msg, msg
    assert len(attempts) == (0 if core.startswith("2.16.") else 1), (markers, attempts)


# Variables remediate.yml and its roles set, each given at launch with a value that would forge or hide what ran: a
# module answer, the flags and parts the reports read, the plan to approve; two are templates (one undefined until the
# host is read, one that cannot be rendered at all): the guard looks them up by name and never renders them
GIVEN_OWN_VARIABLES = {
    "stale_cleanup_result": "{{ sanfleet_fake if stale_cleanup_facts_read is defined else sanfleet_nothing_here }}",
    "sanfleet_fake": {"approval_gate": "approved", "changed": True,
                      "executed": [{"action": "remove_map", "target": "mpatha", "outcome": "done"}]},
    "stale_cleanup_facts_read": "{{ 1 + }}",
    "sanfleet_role_reached": True,
    "sanfleet_module_ran": False,
    "sanfleet_cleanup_answer": {"skipped": True},
    "fleet_report_parts": {"approval": "approved"},
    "sanfleet_plan": {"node00-healthy": {"format": 1, "steps": []}},
}


@pytest.mark.parametrize("where", ["extra_vars", "inventory"])
def test_a_variable_the_playbook_sets_given_at_launch_refuses_the_run_before_any_host_is_read(fleet, where):
    """Extra vars and the inventory outrank what a play sets: a stale_cleanup_result, sanfleet_module_ran,
    fleet_report_parts or sanfleet_plan given at launch (an AWX prompt) made the reports say approved with steps
    executed for a host the play refused, or hid what the module did, or replaced the plan the approver sees. The run
    is refused before any host or array is read, naming each such variable, and writes no report that could read them."""
    host = "node60-forged"
    if where == "inventory":
        run = run_playbook(fleet, "remediate", "own-variables-inventory", "-e", "sanfleet_hosts=san",
                           "-e", "sanfleet_allow_unreviewed=true", verbosity=None,
                           hosts={host: dict(fleet["hosts"]["node00-healthy"], **GIVEN_OWN_VARIABLES)})
    else:
        run = run_playbook(fleet, "remediate", "own-variables", "-e", "sanfleet_hosts=san",
                           "-e", "sanfleet_allow_unreviewed=true", "-e", json.dumps(GIVEN_OWN_VARIABLES),
                           verbosity=None, hosts={host: fleet["hosts"]["node00-healthy"]})
    assert run.returncode == 2, run.stdout[-3000:]
    refusal = [line for line in run.stdout.splitlines() if "refused: " in line]
    assert refusal, run.stdout[-3000:]
    for name in set(GIVEN_OWN_VARIABLES) - {"sanfleet_fake"}:
        assert name in refusal[0], (name, refusal[0])
    assert "sanfleet_fake" not in refusal[0], "a variable the playbook does not set is the user's"
    assert run.requests == 0, "the array was read"
    assert not (run.reports / "hosts").exists(), sorted(p.name for p in run.reports.rglob("*"))


def test_a_second_remediate_play_in_one_run_is_refused_for_what_the_first_set(fleet):
    """A site playbook that imports remediate twice: the facts and results of the first play (stale_cleanup_result,
    sanfleet_role_reached) would stand for the second's, so the second is refused before it touches the host."""
    host = "node62-twice"
    run = run_playbook(fleet, "remediate", "twice", "-e", "sanfleet_hosts=san", "-e", "sanfleet_allow_unreviewed=true",
                       verbosity=None, hosts={host: fleet["hosts"]["node00-healthy"]}, imports=2)
    assert run.returncode == 2, run.stdout[-3000:]
    refusal = [line for line in run.stdout.splitlines() if "refused: " in line]
    assert refusal and "stale_cleanup_result" in refusal[-1], run.stdout[-3000:]
    plays = run.stdout.split("PLAY [Remove stale SAN devices, one node at a time]")
    assert len(plays) == 3 and "Find and remove the stale SAN devices of this host" in plays[1], run.stdout[-3000:]
    assert "Find and remove the stale SAN devices of this host" not in plays[2], plays[2][-3000:]


def test_a_real_rolling_run_stops_at_a_host_unreachable_at_its_first_task(fleet):
    """sanfleet_serial=2, the first batch a healthy host and one that cannot be reached at all: the second batch must
    not run. max_fail_percentage counts failed hosts only, and the reports' fail_host reached an unreachable host once
    more (counted unreachable), so the rollout went on past it; a real run now fails it after its report."""
    healthy = fleet["hosts"]["node00-healthy"]
    down = dict(healthy, ansible_connection="ssh", ansible_host="127.0.0.1", ansible_port=1, ansible_user="nobody",
                ansible_ssh_common_args="-o ConnectTimeout=2 -o BatchMode=yes")
    hosts = {"node70-down": down, "node71-healthy": healthy, "node72-healthy": healthy, "node73-healthy": healthy}
    run = run_playbook(fleet, "remediate", "unreachable-rolling", "-e", "sanfleet_hosts=san", "-e", "sanfleet_serial=2",
                       "-e", "sanfleet_allow_unreviewed=true", verbosity=None, hosts=hosts)
    assert run.returncode == 2, (run.returncode, run.stdout[-3000:])
    fleet_doc = json.loads((run.reports / "fleet.json").read_text())
    status = dict((h["host"], h["status"]) for h in fleet_doc["hosts"])
    doc = json.loads((run.reports / "hosts" / "node70-down.json").read_text())
    assert [f["check"] for f in doc["findings"] if f["area"] == "run"] == ["unreachable"], doc["findings"]
    assert status["node72-healthy"] == status["node73-healthy"] == "not_run", (status, run.stdout[-3000:])
