# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/plugin_utils/report.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import jsonschema
import os
import shutil

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact as judge_compact
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts as judge_facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info, multipath_conf
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import report
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_fleet import array_gate, fleet_report
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    CAPTURES, judged, nvme_array_truth)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import helpers as mp, helpers as lvm_main
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    host, lab)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import nvme_result
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    CapturedRun, _unpacked, inline_call, load_captured)


HOST_READER = read.reader_for  # multipath_conf's, before the lab fixture gives lvm_filter_info its tree


with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "meta", "schemas", "host_report.schema.json")) as _f:
    SCHEMA = json.load(_f)


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
    violations = compliance_violations(parts)
    report = host_report(parts, "host1", "compliance")
    jsonschema.validate(report, SCHEMA)
    return {"compliant": not violations, "violations": violations, "status": report["status"],
            "counts": report["counts"], "rows": report["findings"]}


@pytest.mark.parametrize("state, args, compliant", MP_STATES)
@pytest.mark.parametrize("lvm_conf, lvm_compliant", LVM_STATES)
def test_compliance_and_report_verdicts_are_the_same_compact_and_full(host, lab, tmp_path, invoke, monkeypatch,  # noqa: F811
                                                                      state, args, compliant, lvm_conf, lvm_compliant):
    """Fails when compliance or the report judges a host differently from compact and full results."""
    # both fake hosts at once: multipath-tools for multipath_conf, the SAN tree's programs for lvm_filter_info
    monkeypatch.setattr(lvm_filter_info.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: (
        "/sbin/" + name if name in ("multipath", "multipathd", "dmsetup", "systemctl") else
        name if name in lab.installed else None))
    lab_reader = read.reader_for
    state(host)
    results = {}
    for detail in ("full", "compact"):
        host.calls[:], host.daemon_polls = [], 0
        before = (host.running, host.queueing, dict(host.map_queueing))
        monkeypatch.setattr(read, "reader_for", HOST_READER)
        mp_res = invoke(multipath_conf, dict(args, path=host.path, detail=detail))
        assert "effective_source" in mp_res, mp_res.get("msg")
        monkeypatch.setattr(read, "reader_for", lab_reader)
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


@pytest.mark.parametrize("suite,scenario", CAPTURES)
def test_the_host_report_says_the_same_from_either_form(suite, scenario):
    """Fails when the host report says otherwise from the compact fact than from the full one."""
    full = judged(suite, scenario)
    compact = judge_compact.compact(full)
    before = report.host_report({"san": full}, "h1", "audit")
    after = report.host_report({"san": compact}, "h1", "audit")
    summarised = compact["healthy"]["maps"]["count"]
    assert after["summary"] == dict(before["summary"], healthy_verdicts_summarised=summarised)
    assert before["summary"]["healthy_verdicts_summarised"] == 0
    # every finding row, count and status the same; the verdicts but the summarised healthy ones
    for key in ("status", "areas", "counts", "findings", "errors"):
        assert after[key] == before[key], key
    assert after["verdicts"] == [v for v in before["verdicts"]
                                 if not (v["kind"] == "healthy" and v["wwid"] in compact["healthy"]["maps"]["wwids"])]
    # and the fleet report counts the same verdicts
    fleet = [report.fleet_report({"h1": r}, ["h1"], generated_at=1.0, run="audit") for r in (before, after)]
    assert fleet[0]["counts"] == fleet[1]["counts"] and fleet[0]["rows"] == fleet[1]["rows"]


IQN = "iqn.2024-01.lab.san:initiator"


def test_the_report_of_an_unknown_host_says_why_and_is_an_error():
    """Fails when a host whose SAN presence is unknown is not an error saying why."""
    san = {"host": {"san_presence": "unknown", "san_presence_reason": "cannot tell: initiators",
                    "initiators": [IQN]}, "maps": {}, "disks": {}, "errors": []}
    report = host_report({"san": san}, "h1", run="remediate")
    rows = [f for f in report["findings"] if f["check"] == "san_presence_unknown"]
    assert [(f["severity"], f["reason"]) for f in rows] == [("error", "cannot tell: initiators")]
    assert report["status"] == "error"


def test_a_san_host_with_a_read_that_did_not_finish_is_not_compliant():
    """Fails when a SAN host with an unfinished read is compliant."""
    san = {"host": {"san_presence": "san", "unread_pieces": ["initiators", "iscsi_sessions"], "initiators": []},
           "maps": {}, "disks": {}, "errors": []}
    rows = [(v["area"], v["check"], v["object"]) for v in compliance_violations({"san": san})]
    assert rows == [("host", "read_unfinished", "initiators"), ("host", "read_unfinished", "iscsi_sessions")]
    report = host_report({"san": san}, "h1", run="compliance")
    assert report["status"] == "violation"
    assert [f["check"] for f in report["findings"] if f["severity"] == "violation"] == ["read_unfinished"] * 2
    # the reads that decide "in use" are remediation's, not a compliance check's
    san["host"]["unread_pieces"] = ["mounts", "openers"]
    assert compliance_violations({"san": san}) == []


def _lvm(vgs, detail):
    """lvm_filter_info's result on a host whose SAN maps a global_filter rejects (their sd paths accepted: info) and
    whose VGs `vgs` sit on SAN maps; findings as the module's own filter_findings writes them."""
    devices = [{"name": "dm-%d" % i, "kind": "map", "names": ["/dev/dm-%d" % i], "wwid": "3600a0980%02d" % i,
                "map_name": "mpath%d" % i, "lvm_uses": False} for i in range(3, 6)]
    findings = lvm_filter_info.filter_findings(["r|^/dev/dm-.*|"], None, False, devices, [], vgs, 30)
    result = {"changed": False, "filters": {"global_filter": ["r|^/dev/dm-.*|"], "filter": None,
                                            "use_devicesfile": False, "source": "lvmconfig"},
              "findings": findings, "san_devices": devices, "san_vgs": vgs, "pvs": [], "errors": []}
    return result if detail == "full" else {
        **result, "san_devices": {"count": 3, "by_kind": {"map": 3}, "lvm_uses": 0,
                                  "names": ["dm-3", "dm-4", "dm-5"]}}


@pytest.mark.parametrize("detail", ["full", "compact"])
def test_san_vg_active_row_still_names_its_vg(detail):
    """Fails when an active SAN VG's row is not named by its VG."""
    vgs = [{"vg": "vg_data", "lvs": ["lv_db"], "devices": ["dm-3"], "source": "device-mapper"},
           {"vg": "vg_logs", "lvs": ["lv_a", "lv_b"], "devices": ["dm-4", "dm-5"], "source": "device-mapper"}]
    report = host_report({"lvm": _lvm(vgs, detail)}, "host1", "audit")
    jsonschema.validate(report, SCHEMA)
    rows = [r for r in report["findings"] if r["check"] == "san_vg_active"]
    # af0799c: one row per VG, object (and device) the VG: the VG an operator must deactivate before the LUNs go.
    # the failure: object 'dm-3' (the one device) and '2 vg_logs', device dm-3 / None: vg_data is named nowhere
    assert sorted(r["object"] for r in rows) == ["vg_data", "vg_logs"], [(r["object"], r["device"]) for r in rows]


NVME_SAN = {"host": {"san_presence": "san", "initiators": [IQN]}, "maps": {}, "disks": {}, "errors": []}


def test_an_nvme_of_host_reports_area_nvme_its_controllers_and_its_rows(tmp_path):
    """The NVMe-oF audit of a host with fabrics controllers: area nvme, the violation through compliance, the
    warning as a row, and the part `nvme` with every fabrics controller's ctrl_loss_tmo as sysfs prints it and
    each subsystem's iopolicy (a local PCIe drive left out); valid against the schema."""
    def local_drive_and_no_hostid(tree):
        tree.nvme_subsystem(7, "nqn.2014.08.org.nvmexpress:144d144dlocal", model="SAMSUNG MZQL21T9", iopolicy="numa")
        tree.nvme_ctrl(7, 7, "nqn.2014.08.org.nvmexpress:144d144dlocal", transport="pcie")
        os.unlink(tree.path("/etc/nvme/hostid"))
    nvme = nvme_result(tmp_path / "root", setup=local_drive_and_no_hostid, ctrl_loss_tmo="off", state="connecting")
    report = host_report({"san": NVME_SAN, "nvme": nvme}, "h1", "compliance")
    jsonschema.validate(report, SCHEMA)
    assert "nvme" in report["areas"] and report["status"] == "violation"
    rows = sorted((f["severity"], f["check"], f["object"]) for f in report["findings"] if f["area"] == "nvme")
    assert rows == [("violation", "nvme_ctrl_loss_unbounded", "nvme0"), ("violation", "nvme_ctrl_loss_unbounded", "nvme1"),
                    ("warning", "nvme_hostid_invalid", "/etc/nvme/hostid")]
    part = report["nvme"]
    assert (part["applicable"], part["native_multipath"]) == (True, "Y")
    assert [(c["name"], c["state"], c["ctrl_loss_tmo"], c["fast_io_fail_tmo"]) for c in part["controllers"]] == [
        ("nvme0", "connecting", "off", "off"), ("nvme1", "connecting", "off", "off")]
    assert [(s["name"], s["iopolicy"], s["ontap"]) for s in part["subsystems"]] == [("nvme-subsys0", "round-robin", True)]


def test_a_host_without_nvme_of_says_not_applicable_and_has_no_nvme_area(tmp_path):
    """The audit ran, no fabrics controller: no nvme row, the area not listed, and the part says why."""
    report = host_report({"san": NVME_SAN, "nvme": nvme_result(tmp_path / "root", paths=0)}, "h1", "audit")
    jsonschema.validate(report, SCHEMA)
    assert "nvme" not in report["areas"] and not [f for f in report["findings"] if f["area"] == "nvme"]
    assert report["nvme"]["applicable"] is False and report["nvme"]["reason"].startswith("not applicable")


def test_an_nvme_audit_that_could_not_read_is_in_the_area_and_not_compliant():
    """The read missed its deadline: the area is listed (it was not shown to be without NVMe-oF), the controllers
    null (unknown, not none), one nvme_unreadable violation."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_audit
    report = host_report({"san": NVME_SAN, "nvme": dict(nvme_audit.audit(None), changed=False)}, "h1", "compliance")
    jsonschema.validate(report, SCHEMA)
    assert "nvme" in report["areas"] and report["nvme"]["controllers"] is None
    assert [(f["check"], f["severity"]) for f in report["findings"] if f["area"] == "nvme"] == [
        ("nvme_unreadable", "violation")]


def test_the_nvme_part_lists_each_fabrics_namespace_with_its_users_and_each_paths_controller_state(tmp_path):
    """The namespaces of the facts (captured on a real kernel: nvme_stale) reach the report: the mounted one with
    its mountpoint, the one the array unmapped with its one path through the connecting controller, whose ANA
    state still says optimized. Without the controller's state beside it, a reader would take that path for a good
    one. A report whose facts did not read NVMe says null, not []. Valid against the schema."""
    reader, _truth = load_captured("nvme_stale")
    san = reader.snapshot(probe=False)
    nvme = nvme_result(tmp_path / "root")
    report = host_report({"san": san, "nvme": nvme}, "h1", "audit")
    jsonschema.validate(report, SCHEMA)
    namespaces = dict((n["name"], n) for n in report["nvme"]["namespaces"])
    assert sorted(namespaces) == ["nvme0n1", "nvme0n2", "nvme0n3"]
    assert namespaces["nvme0n1"]["mountpoints"] == ["/mnt/nvme1"] and namespaces["nvme0n2"]["mountpoints"] == []
    assert [(p["controller_state"], p["traddr"], p["ana_state"]) for p in namespaces["nvme0n2"]["paths"]] == [
        ("connecting", "127.0.0.5", "optimized")]
    assert set(n["verdict"] for n in namespaces.values()) == {None} and report["nvme"]["controller_verdicts"] is None
    unread = host_report({"san": dict(san, nvme=None), "nvme": nvme}, "h1", "audit")
    jsonschema.validate(unread, SCHEMA)
    assert unread["nvme"]["namespaces"] is None


def test_the_nvme_part_carries_each_namespaces_verdict_and_what_depends_on_each_dead_controller(tmp_path):
    """With an NVMe truth the facts judge the namespaces (stale_mpath_facts nvme_verdicts): the report gives each
    namespace's verdict, and the controller to the deleted LIF with the namespace that depends on it alone."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_verdicts
    reader, lab = load_captured("nvme_stale")
    san = reader.snapshot(probe=False)
    san["nvme_verdicts"] = nvme_verdicts.cross_check(san["nvme"], nvme_array_truth(lab["nvme"]))
    report = host_report({"san": san, "nvme": nvme_result(tmp_path / "root")}, "h1", "audit")
    jsonschema.validate(report, SCHEMA)
    kinds = dict((n["name"], n["verdict"]["kind"]) for n in report["nvme"]["namespaces"])
    assert kinds == {"nvme0n1": "paths_down_but_mapped", "nvme0n2": "not_covered",
                     "nvme0n3": "paths_down_but_mapped"}
    gone = [c for c in report["nvme"]["controller_verdicts"] if c["kind"] == "lif_gone"]
    assert [(c["traddr"], c["sole_path_of"]) for c in gone] == [("127.0.0.5", ["nvme0n2"])]
    # whether the subsystem still allows and maps the controller's host NQN (2.4): the lab maps 1 and 3 to it
    assert [(c["host_allowed"], c["mapped_to_host"]) for c in gone] == [(True, 2)]


NS_UUID = "6d1a3f2e-0b4c-4e5f-9a8b-7c6d5e4f3a21"


def _nvme_host_report(tmp_path, setup, namespace=False):
    """(san, host report) of an NVMe/TCP host over two controllers; `namespace`: with nvme0n1 on both paths."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import SanTree
    t = SanTree(tmp_path / "root").ontap_nvme_tcp(paths=2)
    if namespace:
        t.nvme_head(0, 1, nsid=1, uuid=NS_UUID, dev="259:1")
        t.nvme_path(0, 0, 1, nsid=1)
        t.nvme_path(1, 0, 1, nsid=1)
    setup(t)
    san = t.commands(multipathd=False).reader().snapshot(probe=False)
    report_ = host_report({"san": san, "nvme": nvme_result(tmp_path / "nvme")}, "h1", "audit")
    jsonschema.validate(report_, SCHEMA)
    return san, report_


def _listing_fails(monkeypatch, suffix, error):
    """os.listdir of the path ending in `suffix` raises `error` (every reader lists through the os module)."""
    real_listdir = os.listdir

    def listdir(path):
        if str(path).endswith(suffix):
            raise error
        return real_listdir(path)
    monkeypatch.setattr(os, "listdir", listdir)


def test_a_mounted_fabrics_namespace_left_without_paths_stays_in_the_report(tmp_path):
    """A head kept after its last path went (delayed removal, or a controller not listed) is still the fabrics
    subsystem's, and still mounted: the report keeps it."""
    def setup(t):
        t.nvme_head(0, 1, nsid=1, uuid=NS_UUID, dev="259:1")
        t.mount("259:1", "/srv/data", "/dev/nvme0n1")
    san, rep = _nvme_host_report(tmp_path, setup)
    assert [(n["name"], n["mountpoints"]) for n in rep["nvme"]["namespaces"]] == [("nvme0n1", ["/srv/data"])]


def test_a_namespace_whose_head_was_not_read_is_not_reported_unmounted_silently(tmp_path, monkeypatch):
    """The subsystem's directory could not be listed: the head's users are unknown. The report says so (the
    namespace's `unread`, and a read error naming the directory), never a bare "not mounted"."""
    def setup(t):
        t.mount("259:1", "/srv/data", "/dev/nvme0n1")
        _listing_fails(monkeypatch, "/sys/class/nvme-subsystem/nvme-subsys0", OSError(5, "Input/output error"))
    san, rep = _nvme_host_report(tmp_path, setup, namespace=True)
    (ns,) = rep["nvme"]["namespaces"]
    assert ns["unread"] == ["head"]
    assert any("nvme-subsys0" in e["what"] for e in rep["errors"]), rep["errors"]
    assert any(f["check"] == "read_error" and "nvme-subsys0" in f["object"] for f in rep["findings"])


def test_a_namespace_whose_openers_are_unknown_says_so(tmp_path, monkeypatch):
    """One process's fd table could not be read: no device can be shown unopened, and the report's namespace
    carries why, beside an openers list that may be incomplete."""
    def setup(t):
        t.proc(900, "db", fds=[])
        _listing_fails(monkeypatch, "/proc/900/fd", PermissionError(13, "Permission denied"))
    san, rep = _nvme_host_report(tmp_path, setup, namespace=True)
    (ns,) = rep["nvme"]["namespaces"]
    assert "pid 900" in (ns["openers_unknown"] or ""), ns


def test_an_nvme_truth_that_could_not_be_read_is_an_error_row_and_judges_nothing():
    """The NVMe read refused (403) while the SAN read went fine: every namespace is not judged (not_covered, with
    the cause), and the report has the array error row a failed SAN read gets, so a host with only NVMe devices is
    not `ok`."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    reader, lab = load_captured("nvme_stale")
    nvme = nvme_array_truth(lab["nvme"])
    failed = "ONTAP sanlab: GET /api/protocols/nvme/subsystems: HTTP 403 (the login has no NVMe rights)"
    nvme["problems"] = [{"cluster": "sanlab", "svm": None, "kind": "lookup_failed", "msg": failed}]
    truth = facts.truth_of({"luns": [], "targets": [], "initiators": ["*"], "problems": [], "collected_at": 1.0,
                            "nvme": nvme})
    san = facts.collect(reader, truth, probe=False)
    assert set(v["kind"] for v in san["nvme_verdicts"]["namespaces"]) == {"not_covered"}
    report = host_report({"san": san}, "h1", "compliance")
    jsonschema.validate(report, SCHEMA)
    rows = [(f["area"], f["severity"]) for f in report["findings"] if "403" in (f["reason"] or "")]
    assert ("array", "error") in rows, rows
    assert report["status"] == "error"


def test_a_cluster_that_could_not_be_read_at_all_is_one_array_row_not_one_per_truth():
    """ontap_truth puts a cluster it could not read into the SAN problems and the NVMe ones: the report says it
    once; an NVMe-only problem of the same cluster is a row of its own."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    reader, lab = load_captured("nvme_stale")
    refused = {"cluster": "c1", "svm": None, "kind": "lookup_failed", "msg": "ONTAP c1: HTTP 401 (not authorized)"}
    nvme = nvme_array_truth(lab["nvme"])
    nvme["problems"] = [dict(refused)]
    truth = facts.truth_of({"luns": [], "targets": [], "initiators": ["*"], "problems": [dict(refused)],
                            "collected_at": 1.0, "nvme": nvme})
    san = facts.collect(reader, truth, probe=False)
    rows = [f for f in host_report({"san": san}, "h1", "audit")["findings"] if f["area"] == "array"]
    assert len(rows) == 1 and "401" in rows[0]["reason"], rows
    nvme["problems"].append({"cluster": "c1", "svm": None, "kind": "lookup_failed",
                             "msg": "ONTAP c1: GET /api/protocols/nvme/subsystems: HTTP 403"})
    san = facts.collect(reader, facts.truth_of({"luns": [], "targets": [], "initiators": ["*"],
                                                "problems": [dict(refused)], "collected_at": 1.0, "nvme": nvme}),
                        probe=False)
    rows = [f for f in host_report({"san": san}, "h1", "audit")["findings"] if f["area"] == "array"]
    assert [("403" in r["reason"], r["reason"].startswith("NVMe: ")) for r in rows] == [(False, False), (True, True)]


def test_an_nvme_read_problem_is_an_error_only_on_a_host_with_an_nvme_of_controller():
    """An array whose NVMe part was not read (a FlashArray whose ports name two NQNs) leaves unjudged the NVMe-oF devices only: on a
    host without an NVMe-oF controller it is a warning that says so, not an error row, which fails every run's array
    gate; on a host with one it stays an error. A problem of the whole array read stays an error everywhere."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    not_read = {"cluster": "fa1", "svm": None, "kind": "lookup_failed",
                "msg": "the FlashArray's NVMe ports do not name one subsystem NQN (nqn.a, nqn.b): which one serves a "
                       "namespace is not known"}
    for capture, fabric in (("unmapped", False), ("nvme_stale", True)):
        reader, lab = load_captured(capture)
        nvme = {"namespaces": [], "targets": [], "host_nqns": ["*"], "problems": [dict(not_read)], "clusters": [],
                "collected_at": 1.0}
        san = facts.collect(reader, facts.truth_of({"luns": [], "targets": [], "initiators": ["*"], "problems": [],
                                                    "collected_at": 1.0, "nvme": nvme}), probe=False)
        (row,) = [f for f in host_report({"san": san}, "h1", "audit")["findings"] if f["area"] == "array"]
        assert row["severity"] == ("error" if fabric else "warning"), (capture, row)
        assert ("nothing was left unjudged" in row["reason"]) is not fabric, row["reason"]
        whole = dict(not_read, msg="FlashArray fa1: HTTP 401")
        san = facts.collect(reader, facts.truth_of({"luns": [], "targets": [], "initiators": ["*"],
                                                    "problems": [dict(whole)], "collected_at": 1.0,
                                                    "nvme": dict(nvme, problems=[dict(whole)])}), probe=False)
        assert [f["severity"] for f in host_report({"san": san}, "h1", "audit")["findings"]
                if f["area"] == "array"] == ["error"], capture


def test_an_nvme_map_in_a_form_ontap_does_not_document_is_an_array_error_row_that_says_what_to_do():
    """A subsystem map whose nsid is not ONTAP's documented "00000001h" leaves the NVMe family unjudged
    (ontap_nvme.nvme_records): the report names it as an error of the array, with its cause, not as a warning."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    reader, lab = load_captured("nvme_stale")
    nvme = nvme_array_truth(lab["nvme"])
    nvme["problems"] = [{"cluster": "sanlab", "svm": "svm_nvme", "kind": "unexpected_format",
                         "msg": "ONTAP sanlab: the map of namespace /vol/v/ns2 in subsystem s gives nsid '00000002', "
                                "not ONTAP's documented form (8 hex digits and 'h', e.g. 00000001h)"}]
    san = facts.collect(reader, facts.truth_of({"luns": [], "targets": [], "initiators": ["*"], "problems": [],
                                                "collected_at": 1.0, "nvme": nvme}), probe=False)
    report = host_report({"san": san}, "h1", "audit")
    jsonschema.validate(report, SCHEMA)
    (row,) = [f for f in report["findings"] if f["area"] == "array"]
    assert (row["check"], row["severity"]) == ("array_unexpected_format", "error")
    assert "does not document" in row["reason"] and "maintainers" in row["action"]


def test_an_nvme_namespaces_row_gives_the_nvme_remedy_not_the_luns():
    """A stale namespace's row said to remove it as a LUN ("remove it with playbooks/remediate.yml") and a not
    covered one to check the SVMs of the host: an NVMe row says what remediate does for NVMe, and what to do on the
    array when its subsystem still allows the host; a LUN's row keeps the SCSI remedy."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    reader, lab = load_captured("nvme_stale")
    nvme = nvme_array_truth(lab["nvme"], lifs=["127.0.0.5", "127.0.0.6"])
    san = facts.collect(reader, facts.truth_of({"luns": [], "targets": [], "initiators": ["*"], "problems": [],
                                                "collected_at": 1.0, "nvme": nvme}), probe=False)
    rows = dict((f["object"], f) for f in host_report({"san": san}, "h1", "audit")["findings"]
                if f["area"] == "stale")
    stale = rows["nvme0n2"]
    assert stale["check"] == "stale_unmapped"
    assert stale["action"] == check_registry.get("stale_unmapped").nvme_action
    assert "vserver nvme subsystem host remove" in stale["action"] and "sanfleet_delete_lif_gone" in stale["action"]
    assert "remediate.yml" not in stale["action"]
    assert all(r["action"] == check_registry.get("not_covered").action for n, r in rows.items()
               if not n.startswith("nvme") and r["check"] == "not_covered")


def test_a_host_whose_scsi_truth_is_unusable_is_not_reported_as_checked_against_the_array():
    """The SCSI part of the truth is not the contract (judge/facts.py family_parts: an unusable_truth problem, every
    SCSI device not judged), the NVMe part is. Nothing of the host's SCSI was judged against the array: fails when
    the summary says array_checked true (array_state checked/not_covered, no array_reason), and the maps' rows
    read "no SVM the fetched truth covers serves this device" (check sanfleet_ontap) instead of "not judged against
    the array" (the array error row of the host)."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    reader, truth = load_captured("unmapped")
    scsi_broken = dict(truth, luns="not a list", nvme={})
    san = facts.collect(reader, facts.truth_of(scsi_broken), probe=False)
    assert [p["kind"] for p in san["array"]["problems"]] == ["unusable_truth"]
    report = host_report({"san": san}, "h1", "audit")
    jsonschema.validate(report, SCHEMA)
    summary = report["summary"]
    assert summary["array_checked"] is False and summary["array_state"] not in ("checked", "not_covered"), summary
    assert "unusable_truth" in (summary["array_reason"] or "") or "not the contract" in (summary["array_reason"] or "")
    maps = [f for f in report["findings"] if f["area"] == "stale" and f["check"] == "not_covered"]
    assert maps and all(f["reason"].startswith("not judged against the array") for f in maps), maps


# review 10: the severity of an NVMe read's own problem follows what the host's NVMe state proves
NOT_READ = {"cluster": "fa1", "svm": None, "kind": "lookup_failed",
            "msg": "the FlashArray's NVMe ports do not name one subsystem NQN (nqn.a, nqn.b): which one serves a "
                   "namespace is not known"}


def _nvme_not_read_truth():
    nvme = {"namespaces": [], "targets": [], "host_nqns": ["*"], "problems": [dict(NOT_READ)], "clusters": [],
            "collected_at": 1.0}
    return judge_facts.truth_of({"luns": [], "targets": [], "initiators": ["*"], "problems": [],
                                 "collected_at": 1.0, "nvme": nvme})


def _nvme_stale_without_controllers(tmp_path):
    """The nvme_stale capture (3 NVMe/TCP namespaces of a native-multipath subsystem) after both its controllers were
    deleted while the namespace heads stay (what observe.nvme models: 'a head whose paths are all gone')."""
    base = _unpacked("nvme_stale")
    if base is None:
        pytest.skip("capture not available")
    root = str(tmp_path / "root")
    shutil.copytree(os.path.join(base, "root"), root, symlinks=True)
    for link in ("sys/class/nvme/nvme0", "sys/class/nvme/nvme1",
                 "sys/class/nvme-subsystem/nvme-subsys0/nvme0", "sys/class/nvme-subsystem/nvme-subsys0/nvme1"):
        os.unlink(os.path.join(root, link))
    return read.Host(root=root, run=CapturedRun(os.path.join(base, "commands")), call=inline_call)


def test_an_nvme_problem_is_an_error_on_a_host_whose_nvme_of_namespaces_it_left_unjudged(tmp_path):
    """A host with NVMe-oF namespaces (fabrics: true) left not_covered by the NVMe truth's problem, but no NVMe-oF
    controller listed (all deleted, the heads kept): the report must not say 'nothing was left unjudged' nor let
    the run pass its array gate."""
    san = judge_facts.collect(_nvme_stale_without_controllers(tmp_path), _nvme_not_read_truth(), probe=False)
    assert [n["name"] for n in san["nvme"]["namespaces"] if n["fabrics"]], san["nvme"]
    unjudged = [v["name"] for v in san["nvme_verdicts"]["namespaces"] if v["kind"] == "not_covered"]
    assert unjudged, san["nvme_verdicts"]
    report = host_report({"san": san}, "h1", "audit")
    (row,) = [f for f in report["findings"] if f["area"] == "array"]
    gate = array_gate(fleet_report([report], ["h1"]))
    assert gate and row["severity"] == "error" and "nothing was left unjudged" not in row["reason"], (
        unjudged, row["severity"], row["reason"], "gate: %r" % gate)


def test_a_failed_host_is_not_said_to_have_no_nvme_of_controller(tmp_path):
    """A host that failed after its facts were collected: its array part is reported without its NVMe controllers
    (report._run_rows passes {'array': array}); the row must not claim the host has no NVMe-oF controller."""
    reader, _lab = load_captured("nvme_stale")
    san = judge_facts.collect(reader, _nvme_not_read_truth(), probe=False)
    assert any(n["fabrics"] for n in san["nvme"]["namespaces"])
    report = host_report({"san": san, "failed": {"task": "later task", "msg": "boom"}}, "h1", "audit")
    rows = [f for f in report["findings"] if f["area"] == "array"]
    assert rows and all("no NVMe-oF controller" not in r["reason"] for r in rows), rows


def test_an_nvme_problem_is_not_said_to_have_left_nothing_unjudged_when_sys_class_nvme_was_not_read(tmp_path, monkeypatch):
    """/sys/class/nvme that cannot be listed (EIO): the host's NVMe devices are unknown (san.nvme None), not absent.
    The NVMe truth's problem must not be downgraded to a warning saying 'nothing was left unjudged'."""
    import errno
    base = _unpacked("nvme_stale")
    if base is None:
        pytest.skip("capture not available")
    real = os.listdir

    def listdir(path):
        if str(path).rstrip("/").endswith("sys/class/nvme"):
            raise OSError(errno.EIO, "Input/output error")
        return real(path)
    monkeypatch.setattr(os, "listdir", listdir)
    reader = read.Host(root=os.path.join(base, "root"), run=CapturedRun(os.path.join(base, "commands")),
                       call=inline_call)
    san = judge_facts.collect(reader, _nvme_not_read_truth(), probe=False)
    monkeypatch.setattr(os, "listdir", real)
    report = host_report({"san": san}, "h1", "audit")
    rows = [(f["area"], f["check"], f["severity"], f["reason"][:200]) for f in report["findings"]
            if f["severity"] != "info"]
    fleet = fleet_report([report], ["h1"])
    assert san.get("nvme") is None, san.get("nvme")
    assert array_gate(fleet) and not any("nothing was left unjudged" in r[3] for r in rows), rows
