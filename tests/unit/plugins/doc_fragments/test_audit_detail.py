# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""multipath_conf's and lvm_filter_info's `detail`: full is the result of before the option byte for byte
(tests/unit/fixtures/audit_full, written by the modules of af0799c on these fake hosts), compact says one finding per
check with the maps' or devices' names, and loses nothing a finding said but a device's alias names."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact_audit
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info, multipath_conf
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import helpers as mp, helpers as lvm_main
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    host, lab)


GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "audit_full")


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return f.read()


def as_text(result, path, placeholder):
    return json.dumps(result, indent=1).replace(path, placeholder)


def own(result):
    """The module's result without `invocation`, the module arguments ansible-core up to 2.18 adds to every result
    (the golden files were written on 2.21, which leaves it out)."""
    return dict((k, v) for k, v in result.items() if k != "invocation")


def mp_audit(host, invoke, detail=None, unmanaged=False):  # pylint: disable=redefined-outer-name
    if unmanaged:
        host.map_queueing = {mp.WWIDS[1]: "-"}
    args = {"path": host.path}
    if detail:
        args["detail"] = detail
    return own(invoke(multipath_conf, args))


def lvm_audit(tmp_path, invoke, detail=None):
    args = {"lvm_conf": lvm_main.conf(tmp_path, "devices {\n}\n"), "use_pvs": False}
    if detail:
        args["detail"] = detail
    return own(invoke(lvm_filter_info, args))


@pytest.mark.parametrize("unmanaged, name", [(False, "mp_audit.json"), (True, "mp_audit_unmanaged.json")])
def test_multipath_conf_detail_full_is_the_result_of_before_byte_for_byte(host, invoke, unmanaged, name):  # noqa: F811
    """Fails when multipath_conf with detail full returns other than its result before compact existed."""
    assert as_text(mp_audit(host, invoke, "full", unmanaged), host.path, "@PATH@") == golden(name)


def test_lvm_filter_info_detail_full_is_the_result_of_before_byte_for_byte(lab, tmp_path, invoke):  # noqa: F811
    """Fails when lvm_filter_info with detail full returns other than its result before compact existed."""
    assert as_text(lvm_audit(tmp_path, invoke, "full"), str(tmp_path), "@TMP@") == golden("lvm_nofilter.json")


def test_multipath_conf_compact_is_the_default_one_finding_per_check_with_the_sorted_map_names(host, invoke):  # noqa: F811
    """Fails when compact multipath_conf does not merge the per-map findings into one naming every map."""
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
    """Fails when compact multipath_conf merges maps the audit says different things of."""
    res = mp_audit(host, invoke, unmanaged=True)
    queueing = [f for f in res["findings"] if f["check"] == "live_map_queueing"]
    assert [(f["value"], f["maps"], f["count"]) for f in queueing] == [("on", [mp.WWIDS[0]], 1),
                                                                       ("-", [mp.WWIDS[1]], 1)]
    assert "does not manage this map's queueing" in queueing[1]["reason"]
    assert res["live_maps"]["unmanaged"] == [mp.WWIDS[1]] and res["live_maps"]["by_queueing"]["-"] == 1


def test_multipath_conf_compact_shapes_a_failed_verification_too(host, run_module):  # noqa: F811
    """Fails when a failed verification's remaining findings are not compacted like the others."""
    host.after_restart = (mp.FIXED_CONFIG, "on")
    res = run_module({"path": host.path, "state": "present", "settle_timeout": 1})
    assert res["failed"] is True and "still queue" in res["msg"]
    assert [(f["check"], f["scope"], f["maps"]) for f in res["remaining_findings"]] == [
        ("live_map_queueing", "maps", sorted(mp.WWIDS))]
    assert res["live_maps"]["queues_forever"] == 2


MODULE = multipath_conf


def test_lvm_filter_info_compact_is_the_default_one_finding_per_kind_of_device(lab, tmp_path, invoke):  # noqa: F811
    """Fails when compact lvm_filter_info does not merge per-device findings by kind, or loses one."""
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
    """Fails when compacting twice changes the result, or the full form is altered."""
    full = json.loads(golden(name))
    before = json.dumps(full)
    compact = shape(full, "compact")
    assert shape(compact, "compact") == compact
    assert shape(full, "full") is full and json.dumps(full) == before
