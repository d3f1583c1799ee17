"""The compliance job over a fleet of 11 hosts, run the way AWX runs it (ansible-runner, private data dir), and
its HTML report checked in a real headless browser (Debian's chromium).

The hosts: 10 'fixture hosts' (tests/fleet/fixture_python.py: a test-only interpreter that gives the local
machine the SAN state of a captured lab tree, five scenarios in turn: each on two hosts) and one unreachable
host. The fleet's size is a benchmark's subject (benchmarks/), not this test's: its assertions hold for any count.
No VM: this test runs without the lab. The iSCSI and LVM parts of the job are off: they read this machine's own
iscsid.conf and lvm.conf, which the captures do not hold.
"""
import json
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from fleet_hosts import DOWN_HOST, SCENARIOS, scenario_arrays, shims as _shims

ansible_runner = pytest.importorskip("ansible_runner")
pytestmark = pytest.mark.every_core

REPO = Path(__file__).resolve().parents[2]
# the ansible-core matrix (scripts/test.sh matrix) runs one host per scenario: SANFLEET_FLEET_HOSTS=5
N_HOSTS = int(os.environ.get("SANFLEET_FLEET_HOSTS") or 10)
ARTIFACTS = Path(os.environ.get("SANFLEET_TEST_ARTIFACTS") or (REPO / "tests" / "output" / "artifacts"))


def _artifact_data(run):
    """set_stats data, from the playbook_on_stats event: where AWX takes a job's artifacts from."""
    stats = [e for e in run.events if e.get("event") == "playbook_on_stats"]
    assert len(stats) == 1
    return stats[0]["event_data"]["artifact_data"]


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory):
    pdd = tmp_path_factory.mktemp("runner")
    _shims(pdd / "bin")
    hosts = {}
    for i in range(N_HOSTS):
        scenario = SCENARIOS[i % len(SCENARIOS)]
        hosts["node%02d-%s" % (i, scenario)] = {"ansible_connection": "local",
                                                "ansible_python_interpreter": str(pdd / "bin" / ("python-" + scenario))}
    # unreachable: nothing listens on port 1
    hosts["node99-down"] = dict(DOWN_HOST)
    (pdd / "inventory").mkdir()
    (pdd / "inventory" / "hosts.json").write_text(json.dumps({"san_hosts": {"hosts": hosts}}))
    (pdd / "env").mkdir()
    reports = pdd / "artifacts" / "fleet" / "sanfleet-reports"
    # the console as an operator sees it with the collection's stdout callback (docs/reports.md "Console output"):
    # ansible-runner keeps its own callback for the events and inherits the one ANSIBLE_STDOUT_CALLBACK names
    envvars = {"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
               "SANFLEET_REPORT_DIR": str(reports), "ANSIBLE_HOST_KEY_CHECKING": "False",
               "ANSIBLE_STDOUT_CALLBACK": "sanfleet.remediation.fleet"}
    (pdd / "env" / "envvars").write_text(json.dumps(envvars))
    (pdd / "env" / "extravars").write_text(json.dumps({
        "sanfleet_hosts": "san_hosts", "sanfleet_compliance_iscsi": False, "sanfleet_compliance_lvm": False}))
    started = time.monotonic()
    run = ansible_runner.run(private_data_dir=str(pdd), ident="fleet", project_dir=str(REPO),
                             playbook=str(REPO / "playbooks" / "compliance.yml"), forks=12, quiet=True,
                             timeout=300)
    run.wall = time.monotonic() - started
    run.reports = reports
    run.console = run.stdout.read()
    print("fleet compliance run: %d hosts in %.1f s, reports in %s" % (len(hosts), run.wall, reports))
    return run


def test_compliance_job_over_a_fleet_with_ansible_runner(fleet_run):
    run = fleet_run
    # non-compliant hosts fail (ansible-playbook rc 2), an unreachable one wins (rc 4): docs/reports.md
    assert run.status == "failed" and run.rc == 4, (run.status, run.rc)
    stats = run.stats
    assert set(stats["dark"]) == {"node99-down"}
    assert len(stats["failures"]) == N_HOSTS
    data = _artifact_data(run)
    counts = data["sanfleet_report"]["counts"]
    assert counts["hosts"] == N_HOSTS + 1
    assert counts["by_status"]["violation"] == N_HOSTS and counts["by_status"]["failed"] == 1
    assert data["sanfleet_report"]["worst"] == "failed"
    assert data["sanfleet_report"]["hosts"]["node99-down"] == "failed"
    # the unreachable host is in the artifact too, not compliant, with its status
    assert len(data["sanfleet_compliance"]) == N_HOSTS + 1 and not any(h["compliant"] for h in data["sanfleet_compliance"].values())
    assert data["sanfleet_compliance"]["node99-down"]["status"] == "failed"
    assert "port 1: Connection refused" in data["sanfleet_report"]["failed"]["node99-down"]
    # the fixture hosts are captures of one lab host: they hold its initiator name, as cloned images do; each is
    # not compliant for it, and the violation names every one of them (docs/compliance.md "Fleet identity")
    for host, entry in data["sanfleet_compliance"].items():
        shared = [v for v in entry["violations"] if v["check"] == "shared_initiator_identity"]
        assert len(shared) == (0 if host == "node99-down" else 1), (host, entry["violations"])
        assert not shared or (len(shared[0]["hosts"]) == N_HOSTS and host in shared[0]["hosts"])


def test_compliance_console_is_one_line_per_host_with_the_summary_last(fleet_run):
    """The compliance job printed 882 lines for 26 hosts with the fleet summary in the middle (before the hosts
    that fail after the reports). With the collection's stdout callback: each host's result line once, every failed
    and unreachable host's error in full, and the summary as the last line."""
    lines = fleet_run.console.rstrip("\n").splitlines()
    hosts = ["node%02d-%s" % (i, SCENARIOS[i % len(SCENARIOS)]) for i in range(N_HOSTS)] + ["node99-down"]
    for host in hosts:
        assert len([ln for ln in lines if ln.startswith(host + ": ")]) == 1, (host, fleet_run.console[-3000:])
        assert "fatal: [%s]: " % host in fleet_run.console  # non-compliant hosts fail, the unreachable one too
    assert "fatal: [node99-down]: UNREACHABLE!" in fleet_run.console
    assert lines[-1].startswith("SUMMARY: %d hosts (1 failed, %d violation)" % (N_HOSTS + 1, N_HOSTS)), lines[-5:]
    assert [ln for ln in lines if "hosts (1 failed" in ln] == [lines[-1]]
    assert not [ln for ln in lines if ln.startswith(("ok: [", "skipping: [", "included: "))]
    # what is left per host: its result line and its failure (task banner, error, fatal line)
    assert len(lines) <= 12 * len(hosts) + 20, (len(lines), fleet_run.console[-3000:])


def test_fleet_report_content(fleet_run):
    reports = fleet_run.reports
    schema = json.loads((REPO / "meta" / "schemas" / "host_report.schema.json").read_text())
    per_host = sorted((reports / "hosts").glob("*.json"))
    assert len(per_host) == N_HOSTS + 1  # the unreachable host's report carries its error
    docs = {p.stem: json.loads(p.read_text()) for p in per_host}
    for doc in docs.values():
        jsonschema.validate(doc, schema)
    md = (reports / "fleet.md").read_text()
    assert "%d hosts: 1 failed, %d violation." % (N_HOSTS + 1, N_HOSTS) in md
    hosts_table = md.split("## Hosts, worst first")[1].split("## Findings")[0]
    assert hosts_table.index("node99-down") < hosts_table.index("node00-healthy")  # worst first
    rows = [r for r in md.split("## Findings, worst first")[1].splitlines() if r.startswith("| ")][2:]
    assert rows[0].startswith("| error | node99-down | run | unreachable | connection | ")
    assert "port 1: Connection refused" in rows[0]
    # every unmapped host names its dead map; every mounted one the mount; settings with their values
    assert docs.pop("node99-down")["status"] == "failed"
    for name, doc in docs.items():
        checks = {(f["check"], f["object"]) for f in doc["findings"]}
        if name.endswith("unmapped"):
            assert ("all_paths_failed", "3600a098038304c61622d3030322b4162") in checks
            assert any(r.startswith("| warning | %s | host | all_paths_failed | 3600a098038304c61622d3030322b4162" % name)
                       for r in rows)
        if name.endswith("-mounted"):
            assert any(f["check"] == "in_use" and "/mnt/lab1" in f["reason"] for f in doc["findings"])
        if name.endswith("healthy"):
            assert not [f for f in doc["findings"] if f["area"] == "host"], doc["findings"]
        assert ("no_path_retry_queue", 'devices/device[vendor="NETAPP",product="LUN"]') in checks
    assert '| no_path_retry = queue (want 30) |' in md
    junit = ET.parse(reports / "junit.xml").getroot()
    suites = junit.findall("testsuite")
    assert len(suites) == N_HOSTS + 1
    per_suite = {s.get("name"): len(s.findall("testcase")) for s in suites}
    assert len({n for h, n in per_suite.items() if h != "node99-down"}) == 1  # same checks for every host
    failed = {(c.get("classname").rsplit(".", 1)[1], c.get("name")) for c in junit.iter("testcase")
              if c.find("failure") is not None}
    assert ("node01-unmapped", "multipath/no_path_retry_queue") in failed
    # one initiator name held by every fixture host: a failed fleet case on each, the identity once in the page
    assert {h for h, case in failed if case == "fleet/shared_initiator_identity"} == set(docs)
    assert "iqn.2024-01.lab.san:initiator | %d: node00-healthy, " % N_HOSTS in md.split("## Fleet identity")[1]
    assert junit.find("testsuite[@name='node99-down']/testcase/error") is not None
    shutil.copytree(reports, ARTIFACTS / "fleet-reports", dirs_exist_ok=True)
    print("fleet report: %s" % (ARTIFACTS / "fleet-reports" / "fleet.md"))


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.fail("chromium is not installed: scripts/setup.sh installs it")
    return exe


def _browse(tmp_path, url, *extra):
    argv = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=%s" % (tmp_path / ("profile-%d" % time.monotonic_ns())), "--window-size=1400,1000"]
    proc = subprocess.run(argv + list(extra) + [url], capture_output=True, text=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _rows(dom, table):
    body = re.search(r'<table id="%s".*?<tbody>(.*?)</tbody>' % table, dom, re.S).group(1)
    return [(('hidden' in tr.group(1)), re.findall(r"<td[^>]*>(.*?)</td>", tr.group(2), re.S))
            for tr in re.finditer(r"<tr([^>]*)>(.*?)</tr>", body, re.S)]


def test_html_page_in_headless_chromium(fleet_run, tmp_path):
    page = fleet_run.reports / "fleet.html"
    html = page.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html), "the page must not load anything"
    url = page.as_uri()
    # as rendered: worst first
    rows = _rows(_browse(tmp_path, url, "--dump-dom"), "findings")
    assert len(rows) > 3 * N_HOSTS
    assert rows[0][1][0] == "error" and rows[0][1][1] == "node99-down"
    # sorted by the script: host column, descending (two clicks), then by text filter and severity
    rows = _rows(_browse(tmp_path, url + "#sort=findings:1:desc", "--dump-dom"), "findings")
    hosts = [re.sub("<[^>]+>", "", r[1][1]) for r in rows]
    assert hosts == sorted(hosts, reverse=True) and hosts[0] == "node99-down" and hosts[-1] == "node00-healthy"
    dom = _browse(tmp_path, url + "#q=node03-orphan&severity=warning", "--dump-dom")
    shown = [r for r in _rows(dom, "findings") if not r[0]]
    assert shown and all(r[1][1] == "node03-orphan" and r[1][0] == "warning" for r in shown)
    assert {re.sub("<[^>]+>", "", r[1][3]) for r in shown} == {"orphan_path"}
    assert '<span id="shown">%d</span>' % len(shown) in dom
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "fleet-report.png"
    _browse(tmp_path, url + "#sort=findings:1", "--screenshot=%s" % shot, "--hide-scrollbars")
    assert shot.stat().st_size > 10000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print("screenshot: %s" % shot)


@pytest.fixture(scope="module")
def arrays(tmp_path_factory):
    """{scenario: sanfleet_ontap}: the array each capture was taken with, served by the ONTAP simulator."""
    with scenario_arrays(SCENARIOS, tmp_path_factory.mktemp("arrays")) as entries:
        yield entries


def test_remediation_plan_in_check_mode_in_batches(tmp_path, arrays):
    """The remediation job's check run (the first node of the AWX workflow) over one host per capture, each host
    reading the array its capture was taken with (sanfleet_ontap in its host vars), and sanfleet_serial 2 (which the
    check run ignores: it plans every host at once; the real run keeps the batches): the plan is in the per-host
    reports and its counts in the artifact data; nothing is executed."""
    pdd = tmp_path / "runner"
    _shims(pdd / "bin")
    hosts = {}
    for i, scenario in enumerate(SCENARIOS):
        hosts["node%02d-%s" % (i, scenario)] = {
            "ansible_connection": "local", "ansible_python_interpreter": str(pdd / "bin" / ("python-" + scenario)),
            "sanfleet_ontap": arrays[scenario]}
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "inventory" / "hosts.json").write_text(json.dumps({"san_hosts": {"hosts": hosts}}))
    (pdd / "env").mkdir()
    reports = pdd / "artifacts" / "plan" / "sanfleet-reports"
    (pdd / "env" / "envvars").write_text(json.dumps({"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
                                                     "SANFLEET_REPORT_DIR": str(reports),
                                                     "ANSIBLE_STDOUT_CALLBACK": "sanfleet.remediation.fleet"}))
    (pdd / "env" / "extravars").write_text(json.dumps({"sanfleet_hosts": "san_hosts", "sanfleet_serial": 2}))
    run = ansible_runner.run(private_data_dir=str(pdd), ident="plan", project_dir=str(REPO),
                             playbook=str(REPO / "playbooks" / "remediate.yml"), cmdline="--check --diff",
                             forks=5, quiet=True, timeout=170)
    assert run.status == "successful" and run.rc == 0, (run.status, run.rc)
    # the console (148 lines per host before, no batch line): the batch, per host its plan and its result line, the
    # unmapped host's --diff, the fleet summary last
    console = run.stdout.read()
    lines = console.rstrip("\n").splitlines()
    assert "batch 1 of 1: 5 hosts (node00-healthy .. node04-portal_cut), 0 of 5 hosts done before it" in lines
    for host in hosts:
        assert len([ln for ln in lines if ln.startswith(host + ": ") and ln != host + ": --diff"]) == 2, (
            host, console[-3000:])
    # the one --diff (the devices the unmapped host's plan removes) names its host
    # (ansible-core 2.16 also diffs the report directory, delegated to localhost: "node00-healthy -> localhost")
    assert [ln for ln in lines if ln.endswith(": --diff") and " -> " not in ln] == ["node01-unmapped: --diff"]
    assert lines[-1].startswith("SUMMARY: 5 hosts ("), lines[-5:]
    names = set(e["event_data"].get("task") for e in run.events if e.get("event") == "runner_on_ok"
                and e["event_data"].get("task_action") == "sanfleet.remediation.stale_cleanup")
    assert names == {"Find and remove the stale SAN devices of this host (--check: the plan only)"}, names
    # (ansible-core 2.16 also shows the report directory's --diff: the callback hides no diff)
    assert len(lines) <= 12 * len(hosts) + 20, console
    data = _artifact_data(run)["sanfleet_report"]
    assert data["run"] == "remediate"
    # the unmapped host: one stale map with its two paths (disable queueing, verify unused, flush, wait, delete
    # two disks, ...); nothing executed in check mode, nothing refused
    planned = {h: json.loads((reports / "hosts" / (h + ".json")).read_text())["remediation"] for h in hosts}
    stale = "3600a098038304c61622d3030322b4162"
    for host, rem in planned.items():
        targets = {s["target"] for s in rem["planned"]}
        if host.endswith("unmapped"):
            assert stale in targets and {"sdd", "sdf"} <= targets, rem["planned"]
        else:
            assert rem["planned"] == [], (host, rem["planned"])
        assert rem["executed"] == [] and rem["counts"]["executed"] == 0
    per_unmapped = planned["node01-unmapped"]["counts"]["planned"]
    assert per_unmapped >= 4
    # a check run plans: nothing unreviewed ran (sanfleet_allow_unreviewed counts only real runs that used it)
    assert data["counts"]["remediation"] == {"planned": per_unmapped, "executed": 0, "refused": 0, "stopped": 0,
                                             "queueing_not_restored": 0, "unknown": 0, "unreviewed": 0}
    assert data["counts"]["by_status"]["not_run"] == 0  # the last batch's report has every host
    verdicts = json.loads((reports / "hosts" / "node01-unmapped.json").read_text())["verdicts"]
    # the LIO placeholder LUN 0 is not an ONTAP LUN: unknown_array, left alone
    assert {(v["kind"], v["name"]) for v in verdicts if v["kind"] != "healthy"} == {
        ("stale_unmapped", stale), ("unknown_array", "360014055a1a00000000400080005a1ab")}
    md = (reports / "fleet.md").read_text()
    assert "Remediation: %d steps planned, 0 executed, 0 refused." % per_unmapped in md


@pytest.fixture(scope="module")
def rolling_run(tmp_path_factory, arrays):
    """A real run (nothing to remove: healthy fixture hosts, sanfleet_allow_unreviewed) in the batches of a serial list
    [1, 2] over three hosts."""
    pdd = tmp_path_factory.mktemp("rolling") / "runner"
    _shims(pdd / "bin")
    hosts = {"node%02d-healthy" % i: {"ansible_connection": "local", "sanfleet_ontap": arrays["healthy"],
                                      "ansible_python_interpreter": str(pdd / "bin" / "python-healthy")} for i in range(3)}
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "inventory" / "hosts.json").write_text(json.dumps({"san_hosts": {"hosts": hosts}}))
    (pdd / "env").mkdir()
    (pdd / "env" / "envvars").write_text(json.dumps({"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
                                                     "SANFLEET_REPORT_DIR": str(pdd / "reports"),
                                                     "ANSIBLE_STDOUT_CALLBACK": "sanfleet.remediation.fleet"}))
    (pdd / "env" / "extravars").write_text(json.dumps({"sanfleet_hosts": "san_hosts", "sanfleet_serial": [1, 2],
                                                       "sanfleet_allow_unreviewed": True}))
    run = ansible_runner.run(private_data_dir=str(pdd), ident="roll", project_dir=str(REPO),
                             playbook=str(REPO / "playbooks" / "remediate.yml"), forks=5, quiet=True, timeout=240)
    run.console = run.stdout.read()
    return run


def test_the_rolling_run_says_which_batch_runs(rolling_run):
    """Each batch prints "batch N of M" once, numbered as Ansible cut the hosts (the first batch one host, the
    second two), and the summary of the last batch is the console's last line."""
    run, console = rolling_run, rolling_run.console
    assert run.status == "successful" and run.rc == 0, (run.status, run.rc, console[-3000:])
    assert [ln for ln in console.splitlines() if ln.startswith("batch ")] == [
        "batch 1 of 2: 1 host (node00-healthy), 0 of 3 hosts done before it",
        "batch 2 of 2: 2 hosts (node01-healthy .. node02-healthy), 1 of 3 hosts done before it"]
    assert console.rstrip("\n").splitlines()[-1].startswith("SUMMARY: 3 hosts ("), console[-2000:]


def test_a_real_run_does_not_name_its_removal_task_a_check_run(rolling_run):
    """The real run's removal task was named "... (--check - the plan only)": an operator reading the job of a
    maintenance window was told nothing would be removed. The name says --check only in a check run."""
    names = set(e["event_data"].get("task") for e in rolling_run.events if e.get("event") == "runner_on_ok"
                and e["event_data"].get("task_action") == "sanfleet.remediation.stale_cleanup")
    assert names == {"Find and remove the stale SAN devices of this host"}, names


def audit_run(pdd, hosts):
    """playbooks/audit.yml through ansible-runner over `hosts` (fixture shims under pdd/bin), no ONTAP cluster:
    (run, console, report directory)."""
    _shims(pdd / "bin")
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "inventory" / "hosts.json").write_text(json.dumps({"san_hosts": {"hosts": hosts}}))
    (pdd / "env").mkdir()
    reports = pdd / "reports"
    (pdd / "env" / "envvars").write_text(json.dumps({"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
                                                     "SANFLEET_REPORT_DIR": str(reports)}))
    (pdd / "env" / "extravars").write_text(json.dumps({"sanfleet_hosts": "san_hosts"}))
    run = ansible_runner.run(private_data_dir=str(pdd), ident="audit", project_dir=str(REPO),
                             playbook=str(REPO / "playbooks" / "audit.yml"), forks=2, quiet=True, timeout=240)
    return run, run.stdout.read(), reports


def test_the_audit_without_an_array_writes_every_report(tmp_path):
    """playbooks/audit.yml with no ONTAP cluster (the audit as a first run makes it, before any credential): no igroup
    is read, so the fleet check igroup_spans_hosts is skipped, and every report is written. Fails when a variable
    the run leaves unset reaches the report role in a form its argument spec refuses (ansible-core before 2.19
    renders `default(None)` as an empty string), which would leave the run without any report."""
    pdd = tmp_path / "runner"
    hosts = dict(("node%02d-healthy" % i, {"ansible_connection": "local",
                                           "ansible_python_interpreter": str(pdd / "bin" / "python-healthy")})
                 for i in range(2))
    run, console, reports = audit_run(pdd, hosts)
    assert run.rc == 0, (run.status, run.rc, console[-3000:])
    assert sorted(p.name for p in (reports / "hosts").iterdir()) == sorted("%s.json" % h for h in hosts), console[-2000:]
    for name in ("fleet.html", "fleet.md", "junit.xml"):
        assert (reports / name).stat().st_size > 0
    fleet = json.loads((reports / "fleet.json").read_text())
    assert sorted(h["host"] for h in fleet["hosts"]) == sorted(hosts)
    for host in hosts:
        report = json.loads((reports / "hosts" / ("%s.json" % host)).read_text())
        assert report["host"] == host and report["status"] != "failed", report.get("reason")


def test_a_host_whose_name_is_no_file_name_costs_the_others_no_report(tmp_path):
    """An inventory name with a `/` (YAML and INI inventories accept it), here an unreachable host: its JSON report
    cannot be a file of hosts/, so the run fails naming it, after the other host's report, the fleet pages and the
    job's artifact were written."""
    pdd = tmp_path / "runner"
    hosts = {"db01-healthy": {"ansible_connection": "local", "ansible_python_interpreter": str(pdd / "bin" / "python-healthy")},
             "rack1/db02": dict(DOWN_HOST)}
    run, console, reports = audit_run(pdd, hosts)
    assert run.rc != 0 and "rack1/db02.json" in console, (run.rc, console[-3000:])
    assert sorted(p.name for p in (reports / "hosts").iterdir()) == ["db01-healthy.json"]
    for name in ("fleet.json", "fleet.html", "fleet.md", "junit.xml"):
        assert (reports / name).stat().st_size > 0, name
    assert sorted(h["host"] for h in json.loads((reports / "fleet.json").read_text())["hosts"]) == sorted(hosts)
    assert "sanfleet_report" in _artifact_data(run)


def awx_merge_artifacts(slice_jobs):
    """The artifacts a sliced job hands to the next workflow node, by AWX's own rule: WorkflowJob.get_effective_artifacts
    (awx/main/models/workflow.py lines 736-755 at ansible/awx e21dd0a0933fd544d1fe2513c54fe41203775eb5) walks the
    slice jobs ordered by ('finished', 'id'), keeps those 'successful' or 'failed', and dict.update()s their artifacts
    (Job.get_effective_artifacts, awx/main/models/jobs.py lines 788-792: the set_stats data); the next node gets the
    result as extra vars (WorkflowJobNode.get_job_kwargs, workflow.py lines 346-372). slice_jobs: (finished, id,
    status, artifacts) per slice."""
    merged = {}
    for _finished, _job_id, status, artifacts in sorted(slice_jobs, key=lambda j: (j[0], j[1])):
        if status in ("successful", "failed"):
            merged.update(artifacts)
    return merged


def awx_slices(hosts, count):
    """AWX's slicing of an inventory: hosts ordered by name, slice n (1-based) = hosts[n-1::count]
    (Inventory.get_script_data and get_sliced_hosts, awx/main/models/inventory.py lines 296-309)."""
    ordered = sorted(hosts)
    return [ordered[n::count] for n in range(count)]


def test_sliced_compliance_adds_up_through_the_merge_node(tmp_path):
    """A sliced compliance job: each slice ran compliance.yml on its hosts and published sanfleet_compliance and
    sanfleet_report; AWX's merge of the slices' artifacts (by top-level key, last finished wins) left the next node
    one slice's hosts, and each slice's fleet page held its own hosts only. Three slices of the fixture fleet, run as
    AWX runs them (ansible-runner, one inventory slice each, awx_job_id), merged by AWX's rule, then the merge node
    (compliance_merge.yml) with the merged artifacts as extra vars: its artifact and its fleet pages cover every
    host."""
    _shims(tmp_path / "bin")
    hosts = {}
    for i, scenario in enumerate(SCENARIOS):
        hosts["node%02d-%s" % (i, scenario)] = {"ansible_connection": "local",
                                                "ansible_python_interpreter": str(tmp_path / "bin" / ("python-" + scenario))}
    hosts["node99-down"] = dict(DOWN_HOST)
    env = {"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"], "ANSIBLE_HOST_KEY_CHECKING": "False"}
    common = {"sanfleet_hosts": "san_hosts", "sanfleet_compliance_iscsi": False, "sanfleet_compliance_lvm": False}

    def run(name, playbook, inventory_hosts, extravars):
        pdd = tmp_path / name
        (pdd / "inventory").mkdir(parents=True)
        (pdd / "env").mkdir()
        (pdd / "inventory" / "hosts.json").write_text(json.dumps(
            {"san_hosts": {"hosts": {h: hosts[h] for h in inventory_hosts}}}))
        (pdd / "env" / "envvars").write_text(json.dumps(dict(env, SANFLEET_REPORT_DIR=str(pdd / "reports"))))
        (pdd / "env" / "extravars").write_text(json.dumps(extravars))
        job = ansible_runner.run(private_data_dir=str(pdd), ident=name, project_dir=str(REPO),
                                 playbook=str(REPO / "playbooks" / playbook), forks=6, quiet=True, timeout=300)
        job.reports = pdd / "reports"
        return job

    slice_jobs = []
    for n, part in enumerate(awx_slices(hosts, 3)):
        job = run("slice%d" % n, "compliance.yml", part,
                  dict(common, awx_job_id=100 + n, sanfleet_slice_artifacts=True))
        assert job.status == "failed"  # its non-compliant hosts fail
        # each slice's page holds its own hosts only
        assert len(json.loads((job.reports / "fleet.json").read_text())["hosts"]) == len(part)
        slice_jobs.append((n, 100 + n, job.status, _artifact_data(job)))
    merged = awx_merge_artifacts(slice_jobs)
    last = awx_slices(hosts, 3)[-1]
    # the shared keys are the last slice's: what the next node got before
    assert sorted(merged["sanfleet_compliance"]) == sorted(last)
    assert merged["sanfleet_report"]["counts"]["hosts"] == len(last)
    assert sorted(k for k in merged if k.startswith("sanfleet_slice_")) == [
        "sanfleet_slice_100", "sanfleet_slice_101", "sanfleet_slice_102"]

    job = run("merge", "compliance_merge.yml", list(hosts), dict(common, **merged))
    assert job.status == "failed" and "hosts are not compliant" in job.stdout.read()
    data = _artifact_data(job)
    assert sorted(data["sanfleet_compliance"]) == sorted(hosts)
    assert data["sanfleet_compliance"]["node99-down"]["status"] == "failed"
    assert data["sanfleet_compliance"]["node01-unmapped"]["violations"]
    counts = data["sanfleet_report"]["counts"]
    assert counts["hosts"] == len(hosts) and counts["by_status"]["failed"] == 1
    assert counts["by_status"]["violation"] == len(SCENARIOS)
    fleet = json.loads((job.reports / "fleet.json").read_text())
    assert sorted(h["host"] for h in fleet["hosts"]) == sorted(hosts)
    assert sorted(p.stem for p in (job.reports / "hosts").glob("*.json")) == sorted(hosts)
    junit = ET.parse(job.reports / "junit.xml").getroot()
    assert sorted(s.get("name") for s in junit.findall("testsuite")) == sorted(hosts)
    assert "%d hosts: 1 failed, %d violation." % (len(hosts), len(SCENARIOS)) in (job.reports / "fleet.md").read_text()

    # a slice that ended in error published nothing: its hosts are failed, named, and the merge fails on them
    lost = awx_merge_artifacts(slice_jobs[:1] + [(9, 101, "error", {})] + slice_jobs[2:])
    job = run("merge-lost", "compliance_merge.yml", list(hosts), dict(common, sanfleet_compliance_fail=False, **lost))
    assert job.status == "failed"
    data = _artifact_data(job)
    lost_hosts = awx_slices(hosts, 3)[1]
    assert all(data["sanfleet_compliance"][h]["status"] == "failed" for h in lost_hosts)
    assert "were reported by no slice" in job.stdout.read()
