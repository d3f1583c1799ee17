# -*- coding: utf-8 -*-
"""multipath_conf's and lvm_filter_info's `detail` (issue 31): full is the result of before the option byte for byte
(tests/unit/fixtures/audit_full, written by the modules of af0799c on these fake hosts), compact says one finding per
check with the maps' or devices' names, and loses nothing a finding said but a device's alias names."""
import json
import os

import jsonschema
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as san_read
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info, multipath_conf
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import test_lvm_filter_info_main as lvm_main
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import test_multipath_conf as mp
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_lvm_filter_info_main import lab  # noqa: F401 pylint: disable=unused-import
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_multipath_conf import host  # noqa: F401 pylint: disable=unused-import

HOST_READER = san_read.reader_for  # multipath_conf's, before the lab fixture gives lvm_filter_info its tree
GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "audit_full")
with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "meta", "schemas", "host_report.schema.json")) as _f:
    SCHEMA = json.load(_f)


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return f.read()


def as_text(result, path, placeholder):
    return json.dumps(result, indent=1).replace(path, placeholder)


def mp_audit(host, invoke, detail=None, unmanaged=False):  # pylint: disable=redefined-outer-name
    if unmanaged:
        host.map_queueing = {mp.WWIDS[1]: "-"}
    args = {"path": host.path}
    if detail:
        args["detail"] = detail
    return invoke(multipath_conf, args)


def lvm_audit(tmp_path, invoke, detail=None):
    args = {"lvm_conf": lvm_main.conf(tmp_path, "devices {\n}\n"), "use_pvs": False}
    if detail:
        args["detail"] = detail
    return invoke(lvm_filter_info, args)


@pytest.mark.parametrize("unmanaged, name", [(False, "mp_audit.json"), (True, "mp_audit_unmanaged.json")])
def test_multipath_conf_detail_full_is_the_result_of_before_byte_for_byte(host, invoke, unmanaged, name):  # noqa: F811
    assert as_text(mp_audit(host, invoke, "full", unmanaged), host.path, "@PATH@") == golden(name)


def test_lvm_filter_info_detail_full_is_the_result_of_before_byte_for_byte(lab, tmp_path, invoke):  # noqa: F811
    assert as_text(lvm_audit(tmp_path, invoke, "full"), str(tmp_path), "@TMP@") == golden("lvm_nofilter.json")


def test_multipath_conf_compact_is_the_default_one_finding_per_check_with_the_sorted_map_names(host, invoke):  # noqa: F811
    full = json.loads(golden("mp_audit.json").replace("@PATH@", host.path))
    res = mp_audit(host, invoke)
    for key in ("findings", "remaining_findings"):
        queueing = [f for f in res[key] if f["check"] == "live_map_queueing"]
        assert len(queueing) == 1 and queueing[0]["scope"] == "maps"
        assert queueing[0]["maps"] == sorted(mp.WWIDS) and queueing[0]["count"] == 2
        # the configuration's findings as they are, in their order
        assert ([f for f in res[key] if f["check"] != "live_map_queueing"]
                == [f for f in full[key] if f["check"] != "live_map_queueing"])
        # and the per-map findings are the merged one with each map as its scope
        per_map = [f for f in full[key] if f["check"] == "live_map_queueing"]
        rest = dict((k, v) for k, v in queueing[0].items() if k not in ("maps", "count"))
        assert sorted((dict(rest, scope="map:" + n) for n in queueing[0]["maps"]), key=str) == sorted(per_map, key=str)
    assert res["live_maps"] == {"count": 3, "by_queueing": {"on": 2, "off": 1},
                                "by_array": {"NETAPP/LUN C-Mode": 2, "LIO-ORG/FILEIO": 1},
                                "by_active_paths": {"2": 3}, "queues_forever": 2, "unmanaged": []}
    assert res["live_maps_queueing"] == full["live_maps_queueing"] == mp.WWIDS
    assert dict((k, v) for k, v in res.items() if k not in ("findings", "remaining_findings", "live_maps")) == \
        dict((k, v) for k, v in full.items() if k not in ("findings", "remaining_findings", "live_maps"))


def test_multipath_conf_compact_keeps_apart_maps_the_audit_says_different_things_of(host, invoke):  # noqa: F811
    res = mp_audit(host, invoke, unmanaged=True)
    queueing = [f for f in res["findings"] if f["check"] == "live_map_queueing"]
    assert [(f["value"], f["maps"], f["count"]) for f in queueing] == [("on", [mp.WWIDS[0]], 1),
                                                                       ("-", [mp.WWIDS[1]], 1)]
    assert "does not manage this map's queueing" in queueing[1]["reason"]
    assert res["live_maps"]["unmanaged"] == [mp.WWIDS[1]] and res["live_maps"]["by_queueing"]["-"] == 1


def test_multipath_conf_compact_shapes_a_failed_verification_too(host, run_module):  # noqa: F811
    host.after_restart = (mp.FIXED_CONFIG, "on")
    res = run_module({"path": host.path, "state": "present", "settle_timeout": 1})
    assert res["failed"] is True and "still queue" in res["msg"]
    assert [(f["check"], f["scope"], f["maps"]) for f in res["remaining_findings"]] == [
        ("live_map_queueing", "maps", sorted(mp.WWIDS))]
    assert res["live_maps"]["queues_forever"] == 2


MODULE = multipath_conf


def test_lvm_filter_info_compact_is_the_default_one_finding_per_kind_of_device(lab, tmp_path, invoke):  # noqa: F811
    full = json.loads(golden("lvm_nofilter.json").replace("@TMP@", str(tmp_path)))
    res = lvm_audit(tmp_path, invoke)
    per_device = [f for f in res["findings"] if f["check"] == "san_device_accepted"]
    assert [(f["object"], f["severity"], f["count"], f["devices"]) for f in per_device] == [
        ("maps", "warning", 2, ["dm-0", "dm-1"]), ("paths", "info", 4, ["sdb", "sdc", "sdd", "sde"])]
    assert all("names" not in f for f in per_device)
    assert ([f for f in res["findings"] if f["check"] != "san_device_accepted"]
            == [f for f in full["findings"] if f["check"] != "san_device_accepted"])
    # nothing a finding said is lost but the alias names
    for f in per_device:
        rest = dict((k, v) for k, v in f.items() if k not in ("devices", "count"))
        assert [dict(rest, object=n) for n in f["devices"]] == [
            dict((k, v) for k, v in g.items() if k != "names") for g in full["findings"]
            if g["check"] == "san_device_accepted" and g["object"] in f["devices"]]
    assert res["san_devices"] == {"count": 6, "by_kind": {"map": 2, "path": 4}, "lvm_uses": 6,
                                  "names": ["dm-0", "dm-1", "sdb", "sdc", "sdd", "sde"]}
    assert res["san_vgs"] == full["san_vgs"] and res["filters"]["global_filter"] is None


@pytest.mark.parametrize("name, shape", [("mp_audit_unmanaged.json", compact_audit.multipath_result),
                                         ("lvm_nofilter.json", compact_audit.lvm_result)])
def test_the_compact_form_of_a_compact_result_is_itself_and_the_full_one_is_left_alone(name, shape):
    full = json.loads(golden(name))
    before = json.dumps(full)
    compact = shape(full, "compact")
    assert shape(compact, "compact") == compact
    assert shape(full, "full") is full and json.dumps(full) == before


# The verdicts (compliance: the violations and compliant or not; the report: status, counts, rows) are the same for
# either form of the audits' results, on every host state these fake hosts take.
def _queueing(host):  # noqa: F811
    """The default fake host: every NETAPP map queues (no_path_retry queue)."""


def _unmanaged(host):  # noqa: F811
    host.map_queueing = {mp.WWIDS[1]: "-"}


def _fixed(host):  # noqa: F811
    mp.fixed(host)


def _fixed_one_unmanaged(host):  # noqa: F811
    mp.fixed(host)
    host.map_queueing = {mp.WWIDS[0]: "-"}


MP_STATES = [(_queueing, {}, False), (_unmanaged, {}, False), (_fixed, {}, True), (_fixed_one_unmanaged, {}, False),
             # a fix whose verification fails: the maps still queue after the reconfigure
             (lambda h: setattr(h, "after_restart", (mp.FIXED_CONFIG, "on")),
              {"state": "present", "settle_timeout": 1}, False)]
LVM_STATES = [("devices {\n}\n", False), ('devices {\n global_filter = [ "r|.*|" ]\n}\n', True),
              ('devices {\n global_filter = [ "r|^/dev/sd.*|" ]\n}\n', False),
              # the maps rejected, their sd paths accepted: info (multipath_component_detection skips them)
              ('devices {\n global_filter = [ "r|^/dev/dm-.*|", "r|^/dev/mapper/.*|", "r|^/dev/disk/.*|" ]\n}\n',
               True)]


def _verdicts(parts):
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
    violations = compliance_violations(parts)
    report = host_report(parts, "host1", "compliance")
    jsonschema.validate(report, SCHEMA)
    return {"compliant": not violations, "violations": violations, "status": report["status"],
            "counts": report["counts"], "rows": report["findings"]}


@pytest.mark.parametrize("state, args, compliant", MP_STATES)
@pytest.mark.parametrize("lvm_conf, lvm_compliant", LVM_STATES)
def test_compliance_and_report_verdicts_are_the_same_compact_and_full(host, lab, tmp_path, invoke, monkeypatch,  # noqa: F811
                                                                      state, args, compliant, lvm_conf, lvm_compliant):
    # both fake hosts at once: multipath-tools for multipath_conf, the SAN tree's programs for lvm_filter_info
    monkeypatch.setattr(lvm_filter_info.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: (
        "/sbin/" + name if name in ("multipath", "multipathd", "dmsetup", "systemctl") else
        name if name in lab.installed else None))
    lab_reader = san_read.reader_for
    state(host)
    results = {}
    for detail in ("full", "compact"):
        host.calls[:], host.daemon_polls = [], 0
        before = (host.running, host.queueing, dict(host.map_queueing))
        monkeypatch.setattr(san_read, "reader_for", HOST_READER)
        mp_res = invoke(multipath_conf, dict(args, path=host.path, detail=detail))
        assert "effective_source" in mp_res, mp_res.get("msg")
        monkeypatch.setattr(san_read, "reader_for", lab_reader)
        host.running, host.queueing, host.map_queueing = before[0], before[1], before[2]
        if os.path.exists(host.path):
            os.remove(host.path)
        lvm_res = invoke(lvm_filter_info, {"lvm_conf": lvm_main.conf(tmp_path, lvm_conf), "use_pvs": False,
                                           "detail": detail})
        results[detail] = _verdicts({"multipath": mp_res, "lvm": lvm_res})
    assert results["compact"] == results["full"]
    assert results["full"]["compliant"] is (compliant and lvm_compliant)
    # every queueing map and every SAN device LVM would use is named, in one violation each
    violations = results["compact"]["violations"]
    queueing = [v for v in violations if v["check"] == "live_map_queueing"]
    assert len(queueing) == (0 if compliant else 1)
    if queueing:
        assert set(queueing[0]["devices"]) <= set(mp.WWIDS) and queueing[0]["count"] == len(queueing[0]["devices"])
    accepted = [v for v in violations if v["check"] == "san_device_accepted"]
    assert [v["devices"] for v in accepted] == ([] if lvm_compliant else [["dm-0", "dm-1"]])
    # and the report has one row per finding, not one per map or device
    rows = results["compact"]["rows"]
    assert len([r for r in rows if r["check"] == "live_map_queueing"]) == len(queueing)
    assert [(r["object"], r["devices"]) for r in rows if r["check"] == "san_device_accepted"] == (
        [("2 maps", ["dm-0", "dm-1"])] * (not lvm_compliant)
        + [("4 paths", ["sdb", "sdc", "sdd", "sde"])] * ("r|.*|" not in lvm_conf and "r|^/dev/sd" not in lvm_conf))
