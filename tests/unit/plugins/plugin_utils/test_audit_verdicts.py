# -*- coding: utf-8 -*-
"""The verdicts of the multipath and LVM audits (compliance: the violations and compliant or not; the host report:
status, counts, rows) are the same whichever `detail` multipath_conf and lvm_filter_info return (issue 31), on
every host state the modules' fake hosts take; and compliant or not is what it was before the option. A controller
test (the reports are controller code) that runs the modules in-process with their unit tests' fake hosts."""
import json
import os

import jsonschema
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as san_read
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info, multipath_conf
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import test_lvm_filter_info_main as lvm_main
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import test_multipath_conf as mp
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.conftest import invoke  # noqa: F401 pylint: disable=unused-import
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_lvm_filter_info_main import lab  # noqa: F401 pylint: disable=unused-import
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_multipath_conf import host  # noqa: F401 pylint: disable=unused-import

HOST_READER = san_read.reader_for  # multipath_conf's, before the lab fixture gives lvm_filter_info its tree
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
