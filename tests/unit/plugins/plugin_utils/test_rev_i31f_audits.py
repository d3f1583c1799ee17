# -*- coding: utf-8 -*-
"""Review of i31-findings (compact multipath/LVM audits, issue 31): report rows that the compact shaping changed
for findings it does not merge. The test was a strict xfail until its fix; it now holds the fix."""
import json
import os

import jsonschema
import pytest

from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report

with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "meta", "schemas", "host_report.schema.json")) as _f:
    SCHEMA = json.load(_f)


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
def test_rev_i31f_san_vg_active_row_still_names_its_vg(detail):
    vgs = [{"vg": "vg_data", "lvs": ["lv_db"], "devices": ["dm-3"], "source": "device-mapper"},
           {"vg": "vg_logs", "lvs": ["lv_a", "lv_b"], "devices": ["dm-4", "dm-5"], "source": "device-mapper"}]
    report = host_report({"lvm": _lvm(vgs, detail)}, "host1", "audit")
    jsonschema.validate(report, SCHEMA)
    rows = [r for r in report["findings"] if r["check"] == "san_vg_active"]
    # af0799c: one row per VG, object (and device) the VG: the VG an operator must deactivate before the LUNs go.
    # i31-findings: object 'dm-3' (the one device) and '2 vg_logs', device dm-3 / None: vg_data is named nowhere
    assert sorted(r["object"] for r in rows) == ["vg_data", "vg_logs"], [(r["object"], r["device"]) for r in rows]
