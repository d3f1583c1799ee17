"""host_report / fleet_report / igroup_layout: what the per-host JSON and the fleet pages are rendered from."""
import json
from pathlib import Path

import jsonschema
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import (
    fleet_report, host_report, igroup_layout)

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((ROOT / "meta" / "schemas" / "host_report.schema.json").read_text())
NETAPP = 'devices/device[vendor="NETAPP",product="LUN"]'

MP = {"remaining_findings": [
    {"check": "no_path_retry_queue", "scope": NETAPP, "key": "no_path_retry", "value": "queue", "recommended": "30",
     "reason": "queues forever", "severity": "warning"},
    {"check": "find_multipaths", "scope": "defaults", "key": "find_multipaths", "value": "no", "severity": "info"}],
    "live_maps_queueing": ["3600a0980aa"]}
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
    rep = host_report({"san": SAN, "multipath": MP, "lvm": LVM, "iscsi": {"skipped": True}}, "h1", "compliance")
    jsonschema.validate(rep, SCHEMA)
    assert rep["schema_version"] == "1.0" and rep["status"] == "error"
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
    plan = {"steps": [{"action": "flush_map", "target": "3600a0980aa", "reason": "stale"},
                      {"action": "delete_disk", "target": "sdb"}],
            "refused": [{"kind": "refused", "object": "map", "name": "3600a0980dd", "reason": "in use: mounted"}]}
    applied = {"executed": [{"action": "flush_map", "target": "3600a0980aa", "outcome": "done"},
                            {"action": "delete_disk", "target": "sdb", "outcome": "already_absent"}]}
    rep = host_report({"san": SAN, "plan": plan, "applied": applied}, "h1", "remediate")
    jsonschema.validate(rep, SCHEMA)
    assert rep["remediation"]["counts"] == {"planned": 2, "refused": 1, "executed": 1}
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
    rep = host_report({"san": {"host": {}, "maps": {}, "disks": {}, "findings": []},
                       "multipath": {"remaining_findings": [], "live_maps_queueing": []}}, "h2")
    jsonschema.validate(rep, SCHEMA)
    assert rep["status"] == "ok" and rep["findings"] == [] and rep["areas"] == ["multipath", "host"]


def test_fleet_report_worst_first_with_failed_and_not_run_hosts():
    bad = host_report({"san": SAN, "multipath": MP}, "bad", "audit")
    warn = host_report({"san": {"findings": [SAN["findings"][1]]}}, "warn", "audit")
    ok = host_report({"san": {"findings": []}}, "ok", "audit")
    out = fleet_report([ok, warn, bad], ["ok", "warn", "bad", "gone", "later"], ["ok", "warn", "bad", "later"],
                       "2026-01-01T00:00:00Z", "audit")
    assert [(h["host"], h["status"]) for h in out["hosts"]] == [
        ("gone", "failed"), ("bad", "error"), ("warn", "warning"), ("ok", "ok"), ("later", "not_run")]
    assert out["rows"][0]["host"] in ("gone", "bad") and out["rows"][0]["severity"] == "error"
    assert out["rows"][-1]["severity"] == "info"
    assert out["counts"]["by_status"] == {"failed": 1, "error": 1, "violation": 0, "warning": 1, "ok": 1, "not_run": 1}
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


@pytest.mark.parametrize("call", [lambda: host_report([], "h"), lambda: host_report({}, ""),
                                  lambda: fleet_report([], "h"), lambda: igroup_layout({})])
def test_wrong_input_is_a_clear_error(call):
    with pytest.raises(AnsibleFilterError):
        call()
