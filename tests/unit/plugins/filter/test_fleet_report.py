"""host_report / fleet_report / igroup_layout: what the per-host JSON and the fleet pages are rendered from."""
import json
from pathlib import Path

import jsonschema
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import (
    fleet_report, host_report, igroup_layout)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import nvme_result

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((ROOT / "meta" / "schemas" / "host_report.schema.json").read_text())
NETAPP = 'devices/device[vendor="NETAPP",product="LUN"]'

# multipath_conf's result as the module shapes it: every finding in `findings`, the active warnings (not shadowed)
# in `remaining_findings` (judge.multipath_audit.active)
_NPR = {"check": "no_path_retry_queue", "scope": NETAPP, "key": "no_path_retry", "value": "queue", "recommended": "30",
        "reason": "queues forever", "severity": "warning", "shadowed": False}
MP = {"findings": [_NPR, {"check": "find_multipaths", "scope": "defaults", "key": "find_multipaths", "value": "no",
                          "severity": "info", "shadowed": False}],
      "remaining_findings": [_NPR], "live_maps_queueing": ["3600a0980aa"]}
LVM = {"findings": [
    {"check": "san_device_accepted", "object": "sdb", "severity": "info", "reason": "the filter accepts sdb"},
    {"check": "san_device_accepted", "object": "3600a0980aa", "severity": "warning", "reason": "accepts the map"}]}
SAN = {
    "collected_at": 1.5, "host": {"iscsi_iqn": "iqn.h1", "fc_wwpns": [], "multipathd_running": True},
    "iscsi_sessions": [{"sid": 1}],
    "maps": {"3600a0980aa": {"name": "3600a0980aa", "queueing": True,
                             "paths": [{"name": "sdb", "dm_state": "failed", "checker_state": "faulty"}]},
             "3600a0980bb": {"name": "3600a0980bb", "paths": [{"name": "sdc", "dm_state": "active"}]}},
    "disks": {"sdb": {}, "sdc": {}},
    "findings": [{"kind": "all_paths_failed", "object": "map", "name": "3600a0980aa", "wwid": "3600a0980aa",
                  "reason": "every path fails"},
                 {"kind": "orphan_path", "object": "disk", "name": "sdd", "wwid": "3600a0980cc", "reason": "no map"}],
    "verdicts": [{"kind": "stale_unmapped", "object": "map", "name": "3600a0980aa", "wwid": "3600a0980aa",
                  "reason": "not mapped", "evidence": {}},
                 {"kind": "healthy", "object": "map", "name": "3600a0980bb", "wwid": "3600a0980bb", "reason": "",
                  "evidence": {}}],
    "errors": [{"what": "probe of sdx", "msg": "timed out after 8 s"}]}


def test_host_report_is_valid_against_the_schema_and_names_every_object():
    """Fails when the host report breaks its schema or a finding does not name its object and value."""
    rep = host_report({"san": SAN, "multipath": MP, "lvm": LVM, "iscsi": {"skipped": True}}, "h1", "compliance")
    jsonschema.validate(rep, SCHEMA)
    assert rep["schema_version"] == "3.0" and rep["status"] == "error"
    assert rep["areas"] == ["multipath", "lvm", "stale"]
    by = {(f["check"], f["object"]): f for f in rep["findings"]}
    # multipath: the setting and its value, not only the section
    mp = by[("no_path_retry_queue", NETAPP)]
    assert (mp["severity"], mp["setting"], mp["value"], mp["recommended"]) == ("violation", "no_path_retry", "queue", "30")
    assert mp["reason"].startswith("no_path_retry = queue in " + NETAPP)
    assert by[("find_multipaths", "defaults")]["severity"] == "info"
    # LVM: the device, every time
    assert by[("san_device_accepted", "3600a0980aa")]["device"] == "3600a0980aa"
    assert by[("san_device_accepted", "sdb")]["severity"] == "info"
    # the verdict replaces the host-only finding of the same map; the orphan keeps its own
    assert ("all_paths_failed", "3600a0980aa") not in by
    assert by[("stale_unmapped", "3600a0980aa")]["action"].startswith("The array no longer maps")
    assert by[("orphan_path", "sdd")]["wwid"] == "3600a0980cc"
    assert by[("read_error", "probe of sdx")]["severity"] == "error"
    assert rep["counts"] == {"error": 1, "violation": 4, "warning": 1, "info": 2}
    assert rep["summary"]["maps_all_paths_failed"] == 1 and rep["summary"]["maps_queueing"] == 1
    assert [f["severity"] for f in rep["findings"]] == sorted(
        (f["severity"] for f in rep["findings"]), key=["error", "violation", "warning", "info"].index)
    assert all(f["action"] for f in rep["findings"])


def test_remediation_part_counts_planned_refused_executed():
    """Fails when the remediation part miscounts planned, refused or executed steps."""
    plan = {"steps": [{"action": "flush_map", "target": "3600a0980aa", "reason": "stale"},
                      {"action": "delete_disk", "target": "sdb"}],
            "refused": [{"kind": "refused", "object": "map", "name": "3600a0980dd", "reason": "in use: mounted"}]}
    applied = {"executed": [{"action": "flush_map", "target": "3600a0980aa", "outcome": "done"},
                            {"action": "delete_disk", "target": "sdb", "outcome": "already_absent"}]}
    rep = host_report({"san": SAN, "plan": plan, "applied": applied}, "h1", "remediate")
    jsonschema.validate(rep, SCHEMA)
    assert rep["remediation"]["counts"] == {"planned": 2, "refused": 1, "executed": 1, "stopped": 0,
                                            "queueing_not_restored": 0}
    assert "remediation" not in host_report({"san": SAN}, "h1", "audit")


def test_every_unit_stopped_at_act_time_is_a_row():
    """The other units ran to the end (batched act): the report names each stopped unit, not only the first."""
    applied = {"failed": True, "msg": "cleanup: 2 of 5 units stopped", "executed": [],
               "failed_step": {"action": "delete_disk", "target": "sdk"},
               "failures": [{"unit": "map 3600a0980aa", "failed_step": {"action": "delete_disk", "target": "sdk"},
                             "msg": "write 1 to .../delete did not finish within 10s"},
                            {"unit": "disk sdm", "failed_step": {"action": "delete_disk", "target": "sdm"},
                             "msg": "disk sdm: is open by pid 7 (dd)"}]}
    rep = host_report({"san": SAN, "plan": {"steps": []}, "applied": applied}, "h1", "remediate")
    jsonschema.validate(rep, SCHEMA)
    rows = [(f["object"], f["reason"]) for f in rep["findings"] if f["check"] == "step_failed"]
    assert rows == [("sdk", "write 1 to .../delete did not finish within 10s"), ("sdm", "disk sdm: is open by pid 7 (dd)")]
    assert len(rep["remediation"]["failures"]) == 2


def test_a_clean_host_is_ok_and_valid():
    """Fails when a clean host is not ok or its report breaks the schema."""
    rep = host_report({"san": {"host": {}, "maps": {}, "disks": {}, "findings": []},
                       "multipath": {"remaining_findings": [], "live_maps_queueing": []}}, "h2")
    jsonschema.validate(rep, SCHEMA)
    assert rep["status"] == "ok" and rep["findings"] == [] and rep["areas"] == ["multipath", "host"]


def test_fleet_report_worst_first_with_failed_and_not_run_hosts():
    """Fails when the fleet report does not list the worst hosts first, failed and not run included."""
    bad = host_report({"san": SAN, "multipath": MP}, "bad", "audit")
    warn = host_report({"san": {"findings": [SAN["findings"][1]]}}, "warn", "audit")
    ok = host_report({"san": {"findings": []}}, "ok", "audit")
    out = fleet_report([ok, warn, bad], ["ok", "warn", "bad", "gone", "later"], ["ok", "warn", "bad", "later"],
                       "2026-01-01T00:00:00Z", "audit")
    assert [(h["host"], h["status"]) for h in out["hosts"]] == [
        ("gone", "failed"), ("bad", "error"), ("warn", "warning"), ("ok", "ok"), ("later", "not_run")]
    assert out["rows"][0]["host"] in ("gone", "bad") and out["rows"][0]["severity"] == "error"
    assert out["rows"][-1]["severity"] == "info"
    assert out["counts"]["by_status"] == {"failed": 1, "error": 1, "violation": 0, "warning": 1, "ok": 1,
                                          "not_san": 0, "not_run": 1}
    assert out["counts"]["by_verdict"] == {"healthy": 1, "stale_unmapped": 1}
    # every host row has the same keys, whatever its status (the templates read them all)
    assert len({tuple(sorted(h)) for h in out["hosts"]}) == 1
    cases = {(s["host"], c["name"]): c["state"] for s in out["junit"] for c in s["cases"]}
    assert cases[("bad", "multipath/no_path_retry_queue")] == "failed"
    assert cases[("ok", "multipath/no_path_retry_queue")] == "skipped"  # its multipath part did not run
    assert cases[("warn", "host/orphan_path")] == "passed"  # a warning shows, it does not fail
    assert cases[("bad", "host/read_error")] == "error"
    assert cases[("gone", "run/reachable")] == "error"
    assert cases[("later", "run/reachable")] == "skipped"
    # one case per host x check: every host that reported has the same checks
    names = [sorted(c["name"] for c in s["cases"]) for s in out["junit"] if s["host"] in ("ok", "warn", "bad")]
    assert names[0] == names[1] == names[2]


def test_igroup_layout_shared_igroups_multi_host_initiators_and_luns_via_two_igroups():
    """Fails when the igroup layout misses shared igroups, initiators in several, or LUNs via two."""
    lun = {"path": "/vol/v/l1", "lun_id": 1, "wwid": "3600a0980l1"}
    records = [
        {"cluster": "c1", "svm": "s", "name": "all_nodes", "initiators": ["iqn.a", "iqn.b"], "hosts": ["a", "b"],
         "shared": True, "sharing": "shared", "lun_maps": [lun]},
        {"cluster": "c1", "svm": "s", "name": "a_only", "initiators": ["iqn.a"], "hosts": ["a"], "shared": False,
         "sharing": "per_host", "lun_maps": [dict(lun, lun_id=7)]},
        {"cluster": "c2", "svm": "t", "name": "b_only", "initiators": ["iqn.b"], "hosts": ["b"], "shared": False,
         "sharing": "per_host", "lun_maps": []}]
    c1, c2 = igroup_layout(records)
    assert [g["igroup"] for g in c1["shared_igroups"]] == ["all_nodes"]
    # both initiators sit in an igroup that serves a and b: each sees what is mapped for the other host
    assert [(i["initiator"], i["hosts"]) for i in c1["multi_host_initiators"]] == [
        ("iqn.a", ["a", "b"]), ("iqn.b", ["a", "b"])]
    assert c1["multi_igroup_luns"] == [{"host": "a", "svm": "s", "path": "/vol/v/l1", "wwid": "3600a0980l1",
                                        "igroups": ["a_only", "all_nodes"], "lun_ids": [1, 7]}]
    assert c2["shared_igroups"] == [] and c2["multi_igroup_luns"] == []
    records[0].update(shared=False, sharing="per_host", hosts=["b"], initiators=["iqn.b"])
    assert igroup_layout(records)[0]["multi_host_initiators"] == []


def test_igroup_layout_keeps_nvme_host_nqns_that_differ_in_case_apart():
    """Two NQNs that differ only in case are two hosts' NQNs (NQNs compare exactly): the layout must not show one
    "initiator in the subsystems of two hosts"; a subsystem whose NVMe part was not read is not laid out."""
    nqn = "nqn.2014-08.org.nvmexpress:uuid:1111111A-2222-3333-4444-555555555555"
    records = [{"cluster": "c1", "svm": "s", "name": "sub_a", "protocol": "nvme", "initiators": [nqn], "hosts": ["h1"],
                "shared": False, "sharing": "per_host", "lun_maps": []},
               {"cluster": "c1", "svm": "s", "name": "sub_b", "protocol": "nvme", "initiators": [nqn.lower()],
                "hosts": ["h2"], "shared": False, "sharing": "per_host", "lun_maps": []},
               {"cluster": "c2", "protocol": "nvme", "nvme_unread": "HTTP 500"}]
    (c1,) = igroup_layout(records)
    assert c1["multi_host_initiators"] == [] and c1["igroups"] == 2


@pytest.mark.parametrize("parts, message", [
    ({"failed": "ssh: connection refused"}, "failed must be a dict {unreachable, task, msg} or null, got str"),
    ({"failed": ["x"]}, "failed must be a dict {unreachable, task, msg} or null, got list"),
    ({"errors": {"what": "x", "msg": "y"}}, "errors must be a list of {what, msg} dicts or null, got dict"),
    ({"errors": ["boom"]}, "errors must be a list of {what, msg} dicts or null, got a list holding str"),
])
def test_a_failure_part_of_another_shape_is_a_clear_error(parts, message):
    """Fails when a failure given in another shape reports the host ok or loses its message (a string `failed` was
    ignored: the host's report said ok)."""
    with pytest.raises(AnsibleFilterError) as raised:
        host_report(parts, "h1", "audit")
    assert message in str(raised.value)


@pytest.mark.parametrize("failed", [None, ""])
def test_a_missing_failure_part_is_no_failure(failed):
    """Fails when null, or the '' a `default(None)` gives before ansible-core 2.19, marks a host failed."""
    assert host_report({"failed": failed, "errors": failed}, "h1", "audit")["status"] == "ok"


@pytest.mark.parametrize("call", [lambda: host_report([], "h"), lambda: host_report({}, ""),
                                  lambda: fleet_report([], "h"), lambda: igroup_layout({})])
def test_wrong_input_is_a_clear_error(call):
    """Fails when a report filter given wrong input does not raise a clear error."""
    with pytest.raises(AnsibleFilterError):
        call()


# ---------------------------------------------------------------- failure paths in the reports

def _unread_san(msg, cluster="cl1.example.com"):
    """The facts of a host whose only cluster could not be read: every map not_covered."""
    san = json.loads(json.dumps(SAN))
    san["verdicts"] = [{"kind": "not_covered", "object": "map", "name": "3600a0980bb", "wwid": "3600a0980bb",
                        "reason": "target iqn.x is served by no SVM the array data covers", "evidence": {}}]
    san["array"] = {"records": 0, "targets": [], "collected_at": None,
                    "problems": [{"cluster": cluster, "svm": None, "kind": "lookup_failed", "msg": msg}]}
    return san


@pytest.mark.parametrize("msg, cause, status", [
    ("ONTAP GET cluster on cl1.example.com failed (HTTP 401): not authorized for that command (code 6)", "auth", 401),
    ("ONTAP GET cluster on cl1.example.com failed (HTTP 503): Service Unavailable (code 0)", "unavailable", 503),
    ("ONTAP GET cluster on cl1.example.com failed: HTTPSConnectionPool(host='cl1', port=1): Max retries exceeded "
     "(Caused by NewConnectionError(\"...: Failed to establish a new connection: [Errno 111] Connection refused\"))",
     "refused", None),
    ("ONTAP GET cluster on cl1 failed: HTTPSConnectionPool(...): (Caused by SSLError(SSLCertVerificationError(1, "
     "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate')))",
     "tls", None),
])
def test_an_unread_cluster_is_named_in_the_host_report_and_the_array_is_not_checked(msg, cause, status):
    """With a wrong password every map was not_covered, array_checked true, and 401 appeared nowhere."""
    rep = host_report({"san": _unread_san(msg)}, "h1", "audit")
    jsonschema.validate(rep, SCHEMA)
    assert rep["summary"]["array_checked"] is False
    assert "cl1.example.com" in rep["summary"]["array_reason"] and "(%s)" % cause in rep["summary"]["array_reason"]
    [arr] = [f for f in rep["findings"] if f["area"] == "array"]
    assert (arr["check"], arr["severity"], arr["object"]) == ("array_" + cause, "error", "cl1.example.com")
    assert msg in arr["reason"] and arr["action"]
    if status:
        assert "HTTP %d" % status in rep["summary"]["array_reason"]
    # the maps are "not judged", not "served by no SVM the array covers"
    [nc] = [f for f in rep["findings"] if f["check"] == "not_covered"]
    assert nc["severity"] == "info" and nc["reason"].startswith("not judged against the array: cluster cl1")
    assert "stale" not in rep["areas"] and "array" in rep["areas"] and rep["status"] == "error"
    fleet = fleet_report([rep], ["h1"])
    [entry] = fleet["array"]
    assert (entry["cluster"], entry["cause"], entry["http_status"], entry["hosts"]) == (
        "cl1.example.com", cause, status, ["h1"])


def test_a_host_that_was_read_with_the_array_is_array_checked():
    """Fails when a host judged against the array is not marked array_checked, or one not judged is."""
    rep = host_report({"san": SAN}, "h1")
    assert rep["summary"]["array_checked"] is True and rep["summary"]["array_reason"] is None
    assert host_report({"san": {k: v for k, v in SAN.items() if k != "verdicts"}}, "h1")["summary"][
        "array_reason"].startswith("the array was not asked")


def test_each_missing_san_package_is_a_row_a_warning_where_the_host_needs_it():
    """A host without sg3_utils, multipath-tools, open-iscsi or nvme-cli said nothing of it: the probes, the checker
    states or the settings it could not read looked like a healthy host's. One tool_missing row per package: a
    warning when the host has what it reads (here maps, SCSI disks and an iSCSI session), info when not (no NVMe-oF
    controller)."""
    lost = [{"package": "sg3_utils", "also_named": "sg3-utils on Debian and Ubuntu", "programs": ["sg_turs"],
             "unread": "failed SCSI paths are not probed live"},
            {"package": "nvme-cli", "also_named": None, "programs": ["nvme"], "unread": "its files are not there"}]
    rep = host_report({"san": dict(SAN, host=dict(SAN["host"], tools_missing=lost))}, "h1")
    jsonschema.validate(rep, SCHEMA)
    rows = [(f["severity"], f["object"], f["reason"]) for f in rep["findings"] if f["check"] == "tool_missing"]
    assert rows == [
        ("warning", "sg3_utils", "sg3_utils (sg3-utils on Debian and Ubuntu) is not installed (sg_turs not found): "
                                 "failed SCSI paths are not probed live"),
        ("info", "nvme-cli", "nvme-cli is not installed (nvme not found): its files are not there; this host has no "
                             "NVMe-oF controllers, so nothing of it is left unjudged")]
    # a local SCSI disk (transport other) is no SAN disk: nothing is left unprobed for want of sg3_utils
    local = {"host": dict(SAN["host"], tools_missing=lost[:1]), "maps": {}, "disks": {"sda": {"transport": "other"}}}
    assert [f["severity"] for f in host_report({"san": local}, "h1")["findings"] if f["check"] == "tool_missing"] == [
        "info"]


def test_a_cluster_that_answered_after_retries_is_an_info_row_with_their_count_not_an_array_problem():
    """The report said nothing of the retries a cluster's read needed (HTTP 503, 429, connection resets): each such
    cluster of the truth read for the host is one info row naming how many and why; the array stays checked and
    the fleet's array problems (the job's array gate) do not list it."""
    truth = {"clusters": [{"cluster": "cl1", "hostname": "cl1.example.com", "retries": {"HTTP 503": 2,
                                                                                        "connection reset": 1}},
                          {"cluster": "cl2", "hostname": "cl2.example.com", "retries": {}}]}
    rep = host_report({"san": SAN, "array": truth}, "h1")
    jsonschema.validate(rep, SCHEMA)
    rows = [f for f in rep["findings"] if f["area"] == "array"]
    assert [(f["check"], f["severity"], f["object"]) for f in rows] == [("array_retried", "info", "cl1")]
    assert "after 3 retries (HTTP 503 x2, connection reset x1)" in rows[0]["reason"]
    assert rep["summary"]["array_checked"] is True
    without = host_report({"san": SAN}, "h1")
    assert (rep["status"], rep["counts"]["error"]) == (without["status"], without["counts"]["error"])
    fleet = fleet_report([rep], ["h1"])
    assert fleet["array"] == [] and fleet["array_gate"] == ""


@pytest.mark.parametrize("unreachable", [True, False])
def test_a_failed_host_carries_its_own_error_text_into_every_report(unreachable):
    """Failed hosts said only 'unreachable, or failed before its report: see the job output'."""
    msg = ("Failed to connect to the host via ssh: ssh: connect to host 10.0.0.9 port 22: Connection refused"
           if unreachable else "Failed to find required executable \"lvmconfig\"")
    failed = {"msg": msg, "unreachable": unreachable, "task": None if unreachable else "Audit the LVM filter"}
    rep = host_report({"failed": failed, "san": SAN}, "down", "compliance")
    jsonschema.validate(rep, SCHEMA)
    assert rep["status"] == "failed" and rep["verdicts"] == []
    [f] = rep["findings"]
    assert f["check"] == ("unreachable" if unreachable else "task_failed") and f["reason"] == msg
    assert rep["errors"][-1]["msg"] == msg
    fleet = fleet_report([rep, host_report({"san": SAN}, "up")], ["down", "up"])
    assert fleet["hosts"][0]["host"] == "down" and fleet["hosts"][0]["status"] == "failed"
    assert fleet["hosts"][0]["reason"] == msg
    assert [r["reason"] for r in fleet["rows"] if r["host"] == "down"] == [msg]
    [suite] = [j for j in fleet["junit"] if j["host"] == "down"]
    assert [c["state"] for c in suite["cases"]] == ["error"] and suite["cases"][0]["findings"][0]["reason"] == msg


def test_a_host_without_san_is_not_san_info_not_failed():
    """Fails when a host without SAN is reported failed or in error instead of not_san."""
    rep = host_report({"san": {"host": {}, "maps": {}, "disks": {}}, "not_san": True}, "web1", "audit")
    jsonschema.validate(rep, SCHEMA)
    assert rep["status"] == "not_san" and rep["counts"]["error"] == 0
    assert [(f["check"], f["severity"]) for f in rep["findings"]] == [("not_san", "info")]
    fleet = fleet_report([rep, host_report({"san": SAN}, "h1")], ["web1", "h1"])
    assert fleet["counts"]["by_status"]["not_san"] == 1 and fleet["counts"]["by_status"]["failed"] == 0
    assert [h["host"] for h in fleet["hosts"]] == ["h1", "web1"]  # after every checked host
    [suite] = [j for j in fleet["junit"] if j["host"] == "web1"]
    assert [c["state"] for c in suite["cases"]] == ["skipped"]


def test_remediation_part_says_why_nothing_was_planned():
    """Fails when the report does not say why no removal was planned."""
    plan = {"steps": [], "refused": [], "blocked": [{"why": "array_lookup_problem", "msg": "array lookup cl1: "
                                                     "lookup_failed (HTTP 401)"}]}
    rep = host_report({"san": SAN, "plan": plan, "applied": plan}, "h1", "remediate")
    jsonschema.validate(rep, SCHEMA)
    assert rep["remediation"]["blocked"] == plan["blocked"]
    [row] = fleet_report([rep], ["h1"])["hosts"]
    assert row["reason"] == "no SCSI removal planned: array lookup cl1: lookup_failed (HTTP 401)"


def test_igroup_layout_names_a_cluster_it_could_not_read():
    """Fails when the igroup layout does not name a cluster it could not read and why."""
    recs = [{"cluster": "cl9", "svm": None, "problem": {"cluster": "cl9", "svm": None, "kind": "lookup_failed",
                                                        "msg": "ONTAP GET cluster on cl9 failed (HTTP 503): busy"}}]
    [c] = igroup_layout(recs)
    assert c["cluster"] == "cl9" and c["igroups"] == 0
    assert c["problems"][0]["http_status"] == 503 and c["problems"][0]["cause"] == "unavailable"


# FC: a host with two FC host ports and two target rports, one of which multipathd did not set
FC_SAN = {
    "collected_at": 1.5, "maps": {}, "iscsi_sessions": [], "errors": [],
    "host": {"iscsi_iqn": None, "fc_wwpns": ["0x2000025a1a0a0001", "0x2000025a1a0b0001"], "multipathd_running": True,
             "fc_hosts": [{"host": 8, "wwpn": "0x2000025a1a0a0001", "port_state": "Online", "node_name":
                           "0x1000025a1a0a0001", "speed": "10 Gbit", "fabric_name": "0x0"},
                          {"host": 10, "wwpn": "0x2000025a1a0b0001", "port_state": "Linkdown", "node_name": None,
                           "speed": "unknown", "fabric_name": "0x0"}],
             "fc_rports": [{"rport": "rport-8:0-0", "host": 8, "channel": 0, "port_name": "0x2000025a1a0a0002",
                            "node_name": "0x1000025a1a0a0002", "port_state": "Online", "roles": "FCP Target",
                            "dev_loss_tmo": "300", "fast_io_fail_tmo": "5", "scsi_target_id": 0},
                           {"rport": "rport-10:0-0", "host": 10, "channel": 0, "port_name": "0x2000025a1a0b0002",
                            "node_name": "0x1000025a1a0b0002", "port_state": "Blocked", "roles": "FCP Target",
                            "dev_loss_tmo": "4294967295", "fast_io_fail_tmo": "5", "scsi_target_id": 0}]},
    "disks": {"sdb": {"name": "sdb", "transport": "fc", "host": 8, "target_wwpn": "0x2000025a1a0a0002",
                      "vendor": "NETAPP", "model": "LUN C-Mode", "wwid": "3600a0980aa", "map": "3600a0980aa"},
              "sdc": {"name": "sdc", "transport": "fc", "host": 10, "target_wwpn": "0x2000025a1a0b0002",
                      "vendor": "NETAPP", "model": "LUN C-Mode", "wwid": "3600a0980aa", "map": "3600a0980aa"}}}
FC_MP = {"remaining_findings": [], "live_maps_queueing": [],
         "tmo_settings": {"polling_interval": "5", "defaults": {"fast_io_fail_tmo": "5"}, "overrides": {},
                          "multipaths": [], "devices": [{"vendor": "NETAPP", "product": "LUN",
                                                         "no_path_retry": "queue", "dev_loss_tmo": "infinity"}]}}


def test_fc_host_report_names_rports_by_wwpn_and_lists_initiators_and_targets():
    """Fails when the FC part does not name rports by WWPN or list initiators and targets."""
    rep = host_report({"san": FC_SAN, "multipath": FC_MP}, "h1", "audit")
    jsonschema.validate(rep, SCHEMA)
    assert rep["schema_version"] == "3.0" and "fc" in rep["areas"]
    fc = {(f["check"], f["object"]): f for f in rep["findings"] if f["area"] == "fc"}
    assert sorted(fc) == [("fc_host_linkdown", "20:00:02:5a:1a:0b:00:01"),
                          ("rport_dev_loss_long", "20:00:02:5a:1a:0b:00:02"),
                          ("rport_down_with_devices", "20:00:02:5a:1a:0b:00:02"),
                          ("rport_tmo_mismatch", "20:00:02:5a:1a:0a:00:02")]
    mismatch = fc[("rport_tmo_mismatch", "20:00:02:5a:1a:0a:00:02")]
    assert (mismatch["severity"], mismatch["setting"], mismatch["value"], mismatch["recommended"]) == (
        "violation", "dev_loss_tmo", "300", "infinity")
    assert "reconfigure" in mismatch["action"]
    assert fc[("rport_down_with_devices", "20:00:02:5a:1a:0b:00:02")]["severity"] == "warning"
    assert [i["wwpn"] for i in rep["fc"]["initiators"]] == ["20:00:02:5a:1a:0a:00:01", "20:00:02:5a:1a:0b:00:01"]
    assert [(t["wwpn"], t["state"], t["dev_loss_tmo"], t["fast_io_fail_tmo"], t["initiator"])
            for t in rep["fc"]["targets"]] == [
        ("20:00:02:5a:1a:0a:00:02", "Online", "300", "5", "20:00:02:5a:1a:0a:00:01"),
        ("20:00:02:5a:1a:0b:00:02", "Blocked", "infinity", "5", "20:00:02:5a:1a:0b:00:01")]
    # the compliance job fails the host on the FC violations, as on the multipath ones
    fleet = fleet_report([rep], ["h1"])
    assert fleet["hosts"][0]["fc"] == rep["fc"] and fleet["hosts"][0]["status"] == "violation"
    cases = {c["name"]: c["state"] for c in fleet["junit"][0]["cases"]}
    assert cases["fc/rport_tmo_mismatch"] == "failed" and cases["fc/rport_fast_io_fail_off"] == "passed"


def test_fc_without_the_multipath_audit_judges_the_rports_alone_and_a_host_without_fc_has_no_fc_part():
    """Fails when rports are compared without the multipath audit, or a host without FC gets an FC part."""
    rep = host_report({"san": FC_SAN}, "h1", "audit")
    assert "rport_tmo_mismatch" not in [f["check"] for f in rep["findings"]]
    assert "rport_dev_loss_long" in [f["check"] for f in rep["findings"]]
    rep = host_report({"san": SAN, "multipath": MP}, "h1", "audit")
    assert "fc" not in rep and "fc" not in rep["areas"]


AUTH = "ONTAP GET cluster on cl1.example.com failed (HTTP 401): not authorized for that command (code 6)"


@pytest.mark.parametrize("unreachable", [True, False])
def test_a_failed_host_says_what_happened_to_the_array(unreachable):
    """A failed, unreachable or not-SAN host's report always said "the array was not asked (no sanfleet_ontap)",
    even when a cluster was given, asked and refused: the array outage was hidden behind the host's failure."""
    failed = {"msg": "boom", "unreachable": unreachable, "task": "Audit the LVM filter"}
    truth = {"luns": [], "targets": [], "collected_at": 1.0,
             "problems": [{"cluster": "cl1.example.com", "svm": None, "kind": "lookup_failed", "msg": AUTH}]}
    # asked and refused: the array part the run read for the host
    rep = host_report({"failed": failed, "san": {}, "array": truth}, "down", "audit")
    jsonschema.validate(rep, SCHEMA)
    assert rep["summary"]["array_state"] == "unreadable" and "HTTP 401" in rep["summary"]["array_reason"]
    assert [(f["area"], f["check"]) for f in rep["findings"] if f["area"] == "array"] == [("array", "array_auth")]
    # asked and read: the host failed before its devices were judged
    read = dict(truth, problems=[])
    rep = host_report({"failed": failed, "san": {}, "array": read}, "down", "audit")
    assert rep["summary"]["array_state"] == "read_not_judged"
    assert rep["summary"]["array_reason"] == "the array was read, but the host failed before its devices were judged"
    # not asked: why
    rep = host_report({"failed": failed, "san": SAN}, "down", "audit")
    assert rep["summary"]["array_state"] == "not_asked"
    assert rep["summary"]["array_reason"] == "the array was not asked for this host (%s)" % (
        "unreachable" if unreachable else "failed at Audit the LVM filter")
    # a not-SAN host that was asked (stale_cleanup reads the truth first)
    rep = host_report({"san": {"host": {}, "maps": {}, "disks": {}, "array": truth}, "not_san": True}, "web1",
                      "remediate")
    jsonschema.validate(rep, SCHEMA)
    assert rep["status"] == "not_san" and rep["summary"]["array_state"] == "unreadable"
    assert "HTTP 401" in rep["summary"]["array_reason"]
    # asked in vain for it alone: the job still fails on the array, and says why
    assert fleet_report([rep], ["web1"])["array_gate"].startswith(
        "the array could not be read for 1 host(s): cluster cl1.example.com: HTTP 401 (auth)")
    rep = host_report({"san": {"host": {}, "maps": {}, "disks": {}}, "not_san": True}, "web1", "audit")
    assert rep["summary"]["array_reason"] == "the array was not asked for this host (not a SAN host)"


def test_a_job_whose_array_was_not_read_has_one_line_to_fail_with():
    """audit and remediate returned 0 when every cluster was unreadable (a wrong password): a scheduled job stayed
    green with nothing checked. The fleet report gives the one line the playbooks fail the job with."""
    unread = host_report({"san": _unread_san(AUTH)}, "h1", "audit")
    fleet = fleet_report([unread, host_report({"san": SAN}, "h2")], ["h1", "h2"])
    assert fleet["counts"]["array"]["unreadable"] == 1 and fleet["counts"]["array"]["checked"] == 1
    assert fleet["array_gate"].startswith("the array could not be read: cl1.example.com HTTP 401 (auth; 1 host(s) "
                                          "not judged against it): Fix the credential of this cluster")
    assert "\n" not in fleet["array_gate"]
    # read, but no device of any host is served by what was read: nothing was judged against the array either
    covered_nothing = json.loads(json.dumps(_unread_san(AUTH)))
    covered_nothing["array"]["problems"] = []
    rep = host_report({"san": covered_nothing}, "h1", "audit")
    assert rep["summary"]["array_state"] == "not_covered"
    assert fleet_report([rep], ["h1"])["array_gate"].startswith("the array was read, but no host was judged")
    # judged, or not asked at all (host evidence only): nothing to fail on
    assert fleet_report([host_report({"san": SAN}, "h2")], ["h2"])["array_gate"] == ""
    no_truth = {k: v for k, v in SAN.items() if k != "verdicts"}
    assert fleet_report([host_report({"san": no_truth}, "h3")], ["h3"])["array_gate"] == ""


def test_an_unreviewed_run_shows_in_the_report_and_the_counts():
    """sanfleet_allow_unreviewed: the run executes a plan nobody approved; every report and the counts of the
    artifact say so."""
    plan = {"steps": [], "refused": [], "blocked": []}
    rep = host_report({"san": SAN, "plan": plan, "applied": plan, "approval": "unreviewed"}, "h1", "remediate")
    jsonschema.validate(rep, SCHEMA)
    assert rep["remediation"]["approval"] == "unreviewed"
    assert [f["severity"] for f in rep["findings"] if f["check"] == "unreviewed_plan"] == ["warning"]
    approved = host_report({"san": SAN, "plan": plan, "applied": plan, "approval": "approved"}, "h2", "remediate")
    assert fleet_report([rep, approved], ["h1", "h2"])["counts"]["remediation"]["unreviewed"] == 1


def test_an_info_finding_of_the_real_multipath_audit_reaches_the_report():
    """multipath_conf keeps only the active warnings in remaining_findings: a report built from it alone dropped
    find_multipaths (info) and every shadowed finding. The module's own result (audit_full/mp_audit.json)."""
    mp = json.loads((ROOT / "tests" / "unit" / "fixtures" / "audit_full" / "mp_audit.json").read_text())
    assert "find_multipaths" not in [f["check"] for f in mp["remaining_findings"]]
    rep = host_report({"san": {"host": {}, "maps": {}, "disks": {}, "findings": []}, "multipath": mp}, "h1", "audit")
    jsonschema.validate(rep, SCHEMA)
    [fm] = [f for f in rep["findings"] if f["check"] == "find_multipaths"]
    assert (fm["area"], fm["severity"], fm["object"], fm["setting"]) == ("multipath", "info", "defaults", "find_multipaths")
    assert fm["reason"].startswith("find_multipaths = ")
    # a warning a higher scope overrides is shown as info, never as a violation
    shadowed = dict(mp, findings=mp["findings"] + [dict(_NPR, scope="defaults", shadowed=True)])
    rep = host_report({"san": {"findings": []}, "multipath": shadowed}, "h1", "audit")
    rows = [f for f in rep["findings"] if f["check"] == "no_path_retry_queue" and f["object"] == "defaults"]
    assert [f["severity"] for f in rows] == ["info"] and "overrides it" in rows[0]["reason"]


def test_junit_lists_every_lvm_and_fc_check_of_an_area_that_ran():
    """A check missing from report_fleet.AREA_CHECKS has no JUnit case on a host where it passed: it appears only
    on the runs where it fails, and a CI history cannot tell "passed" from "never checked"
    (san_device_in_devices_file, fc_unreadable)."""
    rep = host_report({"san": {"findings": []}, "lvm": {"findings": []}}, "h1", "audit")
    fc = host_report({"san": FC_SAN, "multipath": FC_MP}, "h2", "audit")
    fleet = fleet_report([rep, fc], ["h1", "h2"])
    cases = {(s["host"], c["name"]): c["state"] for s in fleet["junit"] for c in s["cases"]}
    assert cases[("h1", "lvm/san_device_in_devices_file")] == "passed"
    assert cases[("h1", "lvm/san_device_accepted")] == "passed"
    assert cases[("h2", "fc/fc_unreadable")] == "passed"


def test_merge_slices_keeps_every_slice_and_names_the_hosts_no_slice_reported():
    """A slice's key that is not sanfleet_slice_<job id>, or its data not a dict, would be merged silently into a
    wrong run; an expected host no slice reported (its slice ended in error) must not vanish: it is failed."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_fleet import merge_slices
    ok = {"compliant": True, "status": "ok", "violations": []}
    merged = merge_slices({"sanfleet_slice_7": {"hosts": ["b"], "compliance": {"b": ok}, "reports": {"b": {"host": "b"}}},
                           "sanfleet_slice_5": {"hosts": ["a", "c"], "compliance": {"a": ok}, "reports": {}}},
                          ["a", "b", "c", "d"])
    assert merged["hosts"] == ["a", "b", "c", "d"] and merged["missing"] == ["d"] and merged["slices"] == 2
    assert merged["compliance"]["a"] == ok and merged["compliance"]["b"] == ok
    assert merged["compliance"]["c"]["status"] == merged["compliance"]["d"]["status"] == "failed"
    assert list(merged["reports"]) == ["b"]
    for bad in ({"sanfleet_report": {}}, {"sanfleet_slice_1": []}, []):
        with pytest.raises(AnsibleFilterError, match="merge_slices"):
            merge_slices(bad)


def test_every_configuration_check_has_an_action_and_is_documented():
    """A check added to a report but left out of report_fleet.AREA_CHECKS, report_findings.ACTIONS or
    docs/compliance.md has no JUnit case when it passes, the generic 'see the runbook' as its action, or no
    documentation (the fleet checks shared_initiator_identity and igroup_spans_hosts)."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_fleet import AREA_CHECKS
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import ACTIONS
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_identity import FLEET_CHECKS
    compliance = (ROOT / "docs" / "compliance.md").read_text()
    assert tuple(AREA_CHECKS["fleet"]) == FLEET_CHECKS
    for area in ("multipath", "iscsi", "lvm", "fc", "nvme", "fleet"):
        for check in AREA_CHECKS[area]:
            assert check in ACTIONS, check
            assert "`%s`" % check in compliance, check


NVME_SAN = {"host": {"san_presence": "san", "initiators": ["iqn.h1"]}, "maps": {}, "disks": {}, "errors": []}


def test_nvme_junit_cases_are_skipped_with_the_reason_on_a_host_without_nvme_of(tmp_path):
    """A host whose NVMe-oF audit found no fabrics controller: every nvme case is skipped saying it was not
    applicable (never passed, which would claim it was checked); a host with one gets them judged, its unbounded
    controller a failed case, and its row carries the nvme part the fleet page lists."""
    reports = {"h1": host_report({"san": NVME_SAN, "nvme": nvme_result(tmp_path / "h1", ctrl_loss_tmo="off")},
                                 "h1", "compliance"),
               "h2": host_report({"san": NVME_SAN, "nvme": nvme_result(tmp_path / "h2", paths=0)}, "h2", "compliance")}
    fleet = fleet_report(reports, ["h1", "h2"])
    cases = dict((j["host"], dict((c["name"], c) for c in j["cases"] if c["area"] == "nvme")) for j in fleet["junit"])
    assert cases["h1"]["nvme/nvme_ctrl_loss_unbounded"]["state"] == "failed"
    assert cases["h1"]["nvme/nvme_iopolicy"]["state"] == "passed"
    assert set(c["state"] for c in cases["h2"].values()) == {"skipped"}
    assert cases["h2"]["nvme/nvme_iopolicy"]["message"].startswith("not applicable: no NVMe over Fabrics controller")
    rows = dict((h["host"], h) for h in fleet["hosts"])
    assert rows["h1"]["nvme"]["controllers"][0]["ctrl_loss_tmo"] == "off" and rows["h2"]["nvme"]["applicable"] is False


def test_a_host_whose_run_failed_mid_unit_reports_its_plan_what_ran_and_the_queueing_it_left():
    """Fails when the report of a host whose real run stopped a unit (the host failed: the role's task failed) says
    "0 planned, 0 executed": the module's result has the plan, what ran, the step that stopped each unit and whether
    the queueing of its map came back, and every report carries them."""
    plan = {"failed": True, "msg": "cleanup: 1 of 2 units stopped (the others ran to the end): ...",
            "steps": [{"action": "disable_queueing", "target": "3600a0980aa"},
                      {"action": "flush_map", "target": "3600a0980aa"},
                      {"action": "delete_disk", "target": "sdm"}],
            "executed": [{"action": "disable_queueing", "target": "3600a0980aa", "outcome": "done"},
                         {"action": "delete_disk", "target": "sdm", "outcome": "done"}],
            "failed_step": {"action": "flush_map", "target": "3600a0980aa"},
            "failures": [{"unit": "map 3600a0980aa", "failed_step": {"action": "flush_map", "target": "3600a0980aa"},
                          "msg": "multipath -f 3600a0980aa did not finish within 10s", "deadline": {"seconds": 10}}],
            "queueing_restored": [{"map": "3600a0980aa", "commands": [], "queueing_now": False,
                                   "msg": "queueing on map 3600a0980aa could NOT be restored: timeout"}]}
    failed = {"unreachable": False, "task": "Find and remove the stale SAN devices of this host", "msg": plan["msg"]}
    rep = host_report({"san": SAN, "plan": plan, "applied": plan, "failed": failed, "approval": "approved"}, "h1",
                      "remediate")
    jsonschema.validate(rep, SCHEMA)
    rem = rep["remediation"]
    assert rep["status"] == "failed" and rem["counts"] == {
        "planned": 3, "refused": 0, "executed": 2, "stopped": 1, "queueing_not_restored": 1}, rem["counts"]
    assert rem["failed_step"] == {"action": "flush_map", "target": "3600a0980aa"} and rem["failures"][0]["kind"] == \
        "deadline"
    assert rem["queueing_restored"] == [{"map": "3600a0980aa", "queueing_now": False,
                                         "msg": "queueing on map 3600a0980aa could NOT be restored: timeout"}]
    (row,) = [f for f in rep["findings"] if f["check"] == "step_failed"]
    assert "NOT restored" in row["reason"] and row["object"] == "3600a0980aa", row
    fleet = fleet_report([rep], ["h1"])
    assert fleet["counts"]["remediation"] == {"planned": 3, "refused": 0, "executed": 2, "stopped": 1,
                                              "queueing_not_restored": 1, "unknown": 0, "unreviewed": 0}
    (h,) = fleet["hosts"]
    assert h["stopped"] == [{"unit": "map 3600a0980aa", "step": "flush_map 3600a0980aa", "kind": "deadline",
                             "msg": "multipath -f 3600a0980aa did not finish within 10s",
                             "queueing": [{"map": "3600a0980aa", "restored": False,
                                           "msg": "queueing on map 3600a0980aa could NOT be restored: timeout"}]}]


def test_the_array_gate_fails_the_hosts_it_concerns_not_the_plays_first_host():
    """The array gate ran once, on the play's first host, and failed it whatever the array was to it (a healthy host
    another cluster serves). It names the hosts it concerns: those a cluster that could not be read left unjudged,
    else those no cluster read serves; a fleet whose array was read has none."""
    judged = host_report({"san": SAN}, "a-first", "audit")
    unread = host_report({"san": _unread_san(AUTH)}, "h1", "audit")
    fleet = fleet_report([judged, unread], ["a-first", "h1"])
    assert fleet["array_gate"].startswith("the array could not be read: cl1.example.com HTTP 401")
    assert fleet["array_gate_hosts"] == ["h1"]
    covered_nothing = json.loads(json.dumps(_unread_san(AUTH)))
    covered_nothing["array"]["problems"] = []
    fleet = fleet_report([host_report({"san": covered_nothing}, "h2", "audit")], ["h2"])
    assert fleet["array_gate"] and fleet["array_gate_hosts"] == ["h2"]
    assert fleet_report([judged], ["a-first"])["array_gate_hosts"] == []


def test_a_host_whose_module_gave_no_answer_is_unknown_never_zero_executed():
    """remediate.yml hands the report {unanswered: true, msg} when stale_cleanup's task registered no answer of the
    module (its connection dropped while it ran, its task timeout stopped waiting, it crashed: it may have removed
    devices). The host's report says that what ran there is unknown, with null counts (a 2.x reader took 0 for
    "nothing ran": schema 3.0); the fleet row shows no count ("-"), and the fleet counts the host apart instead of
    adding a 0 to what was executed."""
    lost = {"unanswered": True, "msg": "Failed to connect to the host via ssh: Broken pipe"}
    failed = {"unreachable": False, "task": "A host lost while the module ran fails (what it executed on the host is unknown)",
              "msg": "h1: the connection was lost while stale_cleanup ran: what it executed on the host is unknown"}
    rep = host_report({"san": SAN, "plan": lost, "applied": lost, "failed": failed, "approval": "approved"}, "h1",
                      "remediate")
    jsonschema.validate(rep, SCHEMA)
    assert rep["status"] == "failed" and rep["schema_version"].startswith("3.")
    assert "Broken pipe" in rep["remediation"]["unknown"] and "unknown" in rep["remediation"]["unknown"]
    assert rep["remediation"]["executed"] == [] and rep["remediation"]["approval"] == "approved"
    assert rep["remediation"]["counts"] == dict.fromkeys(("planned", "refused", "executed", "stopped",
                                                          "queueing_not_restored"))
    done = {"steps": [{"action": "flush_map", "target": "3600a0980aa"}],
            "executed": [{"action": "flush_map", "target": "3600a0980aa", "outcome": "done"}]}
    other = host_report({"san": SAN, "plan": done, "applied": done, "approval": "approved"}, "h2", "remediate")
    assert "unknown" not in other["remediation"] and other["remediation"]["counts"]["executed"] == 1
    fleet = fleet_report([rep, other], ["h1", "h2"])
    rows = dict((h["host"], h) for h in fleet["hosts"])
    assert rows["h1"]["remediation"] is None and rows["h2"]["remediation"]["executed"] == 1
    assert fleet["counts"]["remediation"]["unknown"] == 1 and fleet["counts"]["remediation"]["executed"] == 1
    # only the playbook's marker is no answer (a string "true" is none, nor is a registered result as such)
    for not_marker in (dict(done, unanswered="true"), dict(done, unreachable=True)):
        assert "unknown" not in host_report({"san": SAN, "plan": not_marker, "applied": not_marker}, "h3",
                                            "remediate")["remediation"]
