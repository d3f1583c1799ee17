# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/filter/compliance_violations.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.filter.compliance_violations import compliance_violations
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import fc_audit as fa
from ansible_collections.sanfleet.remediation.tests.unit.plugins.filter.helpers import ROLE, _fc_cases, _mismatches
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    NETAPP_BUILTIN, T1, daemon_settings, rport, snap)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import QUEUEING


MP = {"remaining_findings": [
    {"check": "no_path_retry_queue", "scope": 'devices/device[vendor="NETAPP",product="LUN"]', "key": "no_path_retry",
     "value": "queue", "severity": "warning"},
    {"check": "find_multipaths", "scope": "defaults", "key": "find_multipaths", "value": "no", "severity": "info"},
    {"check": "live_map_queueing", "scope": "map:3600a0980aa", "severity": "warning"}],
    "live_maps_queueing": ["3600a0980aa", "3600a0980bb"]}


ISCSI = {"file_changes": {"node.session.scan": "modified", "node.startup": "unchanged"},
         "record_changes": [{"target": "iqn.t", "portal": "127.0.0.1:3260", "key": "node.session.scan",
                             "before": "auto", "after": "manual"}]}


LVM = {"findings": [{"check": "no_lvm_filter", "object": "lvm.conf", "reason": "r", "severity": "warning"},
                    {"check": "devices_file", "object": "x", "severity": "info"}]}


SAN = {"verdicts": [{"kind": "healthy", "name": "a"}, {"kind": "stale_unmapped", "name": "b", "wwid": "36b"},
                    {"kind": "paths_down_but_mapped", "name": "c"}, {"kind": "serial_mismatch", "name": "sdd"}]}


def test_every_warning_and_stale_verdict_is_a_violation_and_info_is_not():
    """Fails when a warning or stale verdict is not a compliance violation, or an info finding is."""
    out = compliance_violations({"multipath": MP, "iscsi": ISCSI, "lvm": LVM, "san": SAN})
    assert [(v["area"], v["check"], v["object"]) for v in out] == [
        ("multipath", "no_path_retry_queue", 'devices/device[vendor="NETAPP",product="LUN"]'),
        ("multipath", "live_map_queueing", "2 maps"),
        ("iscsi", "node.session.scan", "iscsid.conf"),
        ("iscsi", "node.session.scan", "iqn.t 127.0.0.1:3260"),
        ("lvm", "no_lvm_filter", "lvm.conf"),
        ("stale", "stale_unmapped", "b"),
        ("stale", "serial_mismatch", "sdd")]
    assert "queue" in out[0]["text"] and "auto, not manual" in out[3]["text"]
    # one violation for every queueing map, whether a finding or the list named it (or both): all of them in devices
    assert out[1]["devices"] == ["3600a0980aa", "3600a0980bb"] and out[1]["count"] == 2 and out[1]["device"] is None


def test_a_compliant_host_and_skipped_parts_give_nothing():
    """Fails when a compliant host or a skipped part gives a violation."""
    clean = {"multipath": {"remaining_findings": [], "live_maps_queueing": []},
             "iscsi": {"skipped": True, "file_changes": {"node.session.scan": "modified"}},
             "lvm": {"changed": False, "skipped": True}, "san": {"verdicts": [{"kind": "healthy", "name": "a"}]}}
    assert compliance_violations(clean) == []
    assert compliance_violations({}) == []


def test_wrong_input_type_is_a_clear_error():
    """Fails when compliance_violations given a non-dict does not raise a clear error."""
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        compliance_violations(["multipath"])


def test_fc_rport_timeouts_are_violations_with_the_rport_wwpn():
    """Fails when FC rport timeout findings are not violations named by the rport's WWPN."""
    san = {"host": {"fc_hosts": [{"host": 8, "wwpn": "0x2000025a1a0a0001", "port_state": "Linkdown"}],
                    "fc_rports": [{"rport": "rport-8:0-0", "host": 8, "port_name": "0x2000025a1a0a0002",
                                   "port_state": "Online", "roles": "FCP Target", "dev_loss_tmo": "300",
                                   "fast_io_fail_tmo": "off"}]},
           "disks": {"sdb": {"name": "sdb", "transport": "fc", "host": 8, "target_wwpn": "0x2000025a1a0a0002",
                             "vendor": "NETAPP", "model": "LUN C-Mode", "wwid": "w", "map": "w"}}}
    mp = {"remaining_findings": [], "tmo_settings": {"defaults": {"fast_io_fail_tmo": "5"}, "devices": [
        {"vendor": "NETAPP", "product": "LUN", "no_path_retry": "queue", "dev_loss_tmo": "infinity"}]}}
    out = compliance_violations({"san": san, "multipath": mp})
    assert sorted((v["area"], v["check"], v["object"]) for v in out) == [
        ("fc", "rport_fast_io_fail_off", "20:00:02:5a:1a:0a:00:02"),
        ("fc", "rport_tmo_mismatch", "20:00:02:5a:1a:0a:00:02")]
    # the link state is a warning of the report, not a compliance violation
    assert compliance_violations({"san": {"host": san["host"], "disks": {}}}) == []


def test_a_warning_lvm_finding_that_names_its_devices_stays_about_its_object():
    """Fails when an LVM finding about a VG that lists its devices is merged into a device count."""
    # only the per-device checks (compact_audit.PER_DEVICE_CHECKS) are merged into '<n> maps': a finding about a VG
    # that lists the VG's devices (as san_vg_active does) is one violation about the VG, whatever its severity
    vg = {"check": "san_vg_active", "object": "vg_data", "severity": "warning", "devices": ["dm-3"], "reason": "r"}
    lvm = {"findings": [vg], "san_devices": [{"name": "dm-3", "kind": "map"}]}
    (v,) = compliance_violations({"lvm": lvm})
    assert (v["object"], v["device"], v.get("count")) == ("vg_data", "vg_data", None)


GENERATIONS = ("multipathd <= 0.9.8 (0.8.5, Debian bookworm 0.9.4, RHEL 8/9) write dev_loss_tmo = no_path_retry x "
               "polling_interval (150 for the role's daemon_settings: the padding +n/60+5 came in 0.9.9), and < 0.10.2 "
               "leaves an unset dev_loss_tmo alone even with no_path_retry: expected_tmo models >= 0.10.2 only, "
               "so every FC rport those multipathd set correctly is a rport_tmo_mismatch violation")


def test_role_settings_as_multipathd_0_9_4_writes_them_are_compliant():
    """Fails when rport timeouts as multipathd 0.9.4 writes the role's settings are reported as a mismatch."""
    # libmultipath/discovery.c 0.9.4 sysfs_set_scsi_tmo: min_dev_loss = no_path_retry * checkint = 30 * 5 = 150;
    # pp->dev_loss 60 < 150 -> 150; fast_io_fail 5 < 150 stays. This is what a bookworm host's rport reads.
    found = fa.judge(snap([rport(dev="150", fast="5")]), ROLE)
    assert _mismatches(found) == []
    # and through the compliance filter (the AWX job's verdict)
    out = compliance_violations({"san": snap([rport(dev="150", fast="5")]),
                                 "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert [v for v in out if v["check"] == "rport_tmo_mismatch"] == []


FOREIGN = ("scope: the FC audit judges the rports of every multipath device, not only the audited targets "
           "(multipath_conf devices, NETAPP): an HPE 3PAR rport on its built-in hwtable entry (dev_loss_tmo "
           "infinity, set by multipathd as designed) is a permanent rport_dev_loss_long compliance violation the "
           "collection's remedy (role multipath_config, NETAPP entries) can never clear")


def test_a_non_netapp_arrays_rport_is_not_a_compliance_violation():
    """Fails when a 3PAR rport set as multipathd's built-in 3PAR entry says is reported as a violation."""
    three_par = {"vendor": "3PARdata", "product": "VV", "no_path_retry": "18", "fast_io_fail_tmo": "10",
                 "dev_loss_tmo": "infinity"}
    s = daemon_settings(devices=[three_par, dict(NETAPP_BUILTIN, no_path_retry="30", dev_loss_tmo="60")],
                        polling_interval="5")
    san = snap([rport(dev="4294967295", fast="10")], disks={
        "sdc": {"name": "sdc", "transport": "fc", "host": 8, "target_wwpn": T1, "vendor": "3PARdata",
                "model": "VV", "wwid": "360002ac0000000000000000000001234", "map": "mpath3par"}})
    # multipathd set exactly what its built-in 3PAR entry says: no mismatch
    assert _mismatches(fa.judge(san, s)) == []
    out = compliance_violations({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": s}})
    assert out == []


UNREAD = ("partial truth: an FC target rport whose dev_loss_tmo/fast_io_fail_tmo could not be read (fc_unreadable)"
          " or the whole fc_remote_ports read that timed out (fc_rports None) is only a warning row: "
          "compliance_violations returns [] and the AWX artifact says compliant: true with the timeouts unjudged")


def test_an_unread_rport_timeout_does_not_read_as_compliant():
    """Fails when an rport whose dev_loss_tmo was not read is reported compliant."""
    san = snap([rport(dev=None, fast="5")])
    # the audit knows: fc_unreadable names the rport
    assert [f["check"] for f in fa.judge(san, ROLE)] == ["fc_unreadable"]
    out = compliance_violations({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert out != [], "an rport whose dev_loss_tmo was not read is reported compliant"


def test_an_fc_host_whose_rport_read_timed_out_does_not_read_as_compliant():
    """Fails when an FC host whose rport read timed out is reported compliant."""
    san = snap(None)
    san["errors"] = [{"what": "read of /sys/class/fc_remote_ports", "msg": "timed out after 1.5 s"}]
    out = compliance_violations({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert out != [], "an FC host whose rports were not read at all is reported compliant"


JUNIT = ("partial truth in the reports: the JUnit case fc/rport_tmo_mismatch (and the other rport_* cases) is "
         "'passed' whenever the host has an FC port, also when it was never judged: no multipath audit "
         "(sanfleet_audit_config false, tmo_settings absent), or fc_rports None after a timed-out read; it must be "
         "skipped (or error), not passed")


def test_junit_does_not_pass_the_rport_checks_when_the_rports_were_not_read():
    """Fails when JUnit passes any rport check on a host whose rports were not read."""
    san = snap(None)
    san["errors"] = [{"what": "read of /sys/class/fc_remote_ports", "msg": "timed out after 1.5 s"}]
    cases = _fc_cases({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert [n for n, s in sorted(cases.items()) if n.startswith("fc/rport_") and s == "passed"] == []


def test_the_report_does_not_list_unread_rports_as_no_targets():
    """Fails when the report lists a host whose rports were not read as having no FC targets."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
    san = snap(None)
    san["errors"] = [{"what": "read of /sys/class/fc_remote_ports", "msg": "timed out after 1.5 s"}]
    rep = host_report({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}}, "h1", "audit")
    assert rep["fc"]["targets"] != []


# ------------------------------------------------------------------ the fixes' own rules, generation by generation


def _want(s, version):
    dev, fast, problems = fa.expected_tmo(dict(s, multipath_tools_version=version), "NETAPP", "LUN C-Mode")
    assert problems == []
    return dev, fast


@pytest.mark.parametrize("version, role, unset", [
    ("0.8.5", (150, 5), (None, 5)),     # no padding; unset dev_loss_tmo left alone
    ("0.9.4", (150, 5), (None, 5)),
    ("0.9.8", (150, 5), (None, 5)),
    ("0.9.9", (157, 5), (None, 5)),     # padding 150 + 150 // 60 + 5; unset still left alone
    ("0.10.0", (157, 5), (None, 5)),
    ("0.10.2", (157, 5), (35, 5)),      # unset raised to the minimum 6 x 5 + 0 + 5
    ("0.11.1", (157, 5), (35, 5)),
])
def test_each_multipath_tools_generation_has_its_own_rule(version, role, unset):
    """Fails when a multipath-tools version gets another generation's dev_loss_tmo/fast_io_fail_tmo rule."""
    assert _want(ROLE, version) == role
    assert _want(daemon_settings(devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "6"}]), version) == unset


def test_an_unread_rport_of_another_array_stays_a_warning():
    """Fails when an unread rport outside the audit's scope becomes a violation instead of a warning."""
    s = dict(ROLE, scope=[{"vendor": "3PARdata", "product": "VV"}])
    (f,) = fa.judge(snap([rport(dev=None, fast="5")]), s)
    assert (f["check"], f["severity"]) == ("fc_unreadable", "warning")
    assert compliance_violations({"san": snap([rport(dev=None, fast="5")]),
                                  "multipath": {"remaining_findings": [], "tmo_settings": s}}) == []


def test_junit_passes_the_rport_comparison_when_it_was_made():
    """Fails when JUnit does not pass a comparison that was made, or skips the rport's own checks without it."""
    cases = _fc_cases({"san": snap([rport(dev="150", fast="5")]),
                       "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert cases["fc/rport_tmo_mismatch"] == "passed" and cases["fc/rport_dev_loss_long"] == "passed"
    # without the multipath audit only the comparison is skipped; the rport's own checks were made
    cases = _fc_cases({"san": snap([rport(dev="150", fast="5")]), "multipath": {"skipped": True}})
    assert cases["fc/rport_tmo_mismatch"] == "skipped" and cases["fc/rport_dev_loss_long"] == "passed"


def test_the_report_marks_whether_the_rports_were_compared():
    """Fails when the report does not say whether the rports were compared with the multipath settings."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
    san = snap([rport(dev="150", fast="5")])
    assert host_report({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}}, "h1",
                       "audit")["fc"]["tmo_compared"] is True
    assert host_report({"san": san, "multipath": {"skipped": True}}, "h1", "audit")["fc"]["tmo_compared"] is False
    rep = host_report({"san": snap(None), "multipath": {"remaining_findings": [], "tmo_settings": ROLE}}, "h1", "audit")
    assert rep["fc"]["targets"] is None and rep["fc"]["tmo_compared"] is False


def test_the_schema_accepts_unread_targets_and_the_comparison_flag():
    """Fails when the host report schema refuses unread FC targets or the tmo_compared flag."""
    import json
    import os
    import jsonschema
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
    with open(os.path.join(root, "meta", "schemas", "host_report.schema.json")) as f:
        schema = json.load(f)
    san = snap(None)
    san["errors"] = [{"what": "read of /sys/class/fc_remote_ports", "msg": "timed out after 1.5 s"}]
    rep = host_report({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}}, "h1", "audit")
    jsonschema.validate(rep, schema)
    jsonschema.validate(host_report({"san": snap([rport()]), "multipath": {"skipped": True}}, "h1", "audit"), schema)


def test_a_schema_1_reader_still_finds_the_queueing_maps_in_the_rows():
    """Fails when a schema 1.x report hides the queueing maps from a reader of the row's device."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report

    report = host_report({"multipath": {"remaining_findings": [], "live_maps_queueing": QUEUEING}}, "host1",
                         "compliance")
    # meta/schemas/host_report.schema.json and the host_report filter: 'the major number changes when a field
    # changes meaning or goes away, the minor when fields are added'. A reader of 1.2 took the queueing maps from
    # the rows' device (object): af0799c one row per map; 1.3 one row, object '8 maps', device null, the names in
    # the new field devices, which such a reader does not know
    if report["schema_version"].split(".", maxsplit=1)[0] == "1":
        rows = [r for r in report["findings"] if r["check"] == "live_map_queueing"]
        assert sorted(r["device"] for r in rows) == QUEUEING, [(r["object"], r["device"]) for r in rows]


def test_junit_does_not_pass_an_rport_comparison_that_was_not_made_without_the_multipath_audit():
    """Fails when JUnit passes the rport comparison although the multipath audit did not run."""
    # dev_loss_tmo 300 differs from the config, but the multipath audit did not run: not judged
    san = snap([rport(dev="300", fast="5")])
    assert fa.judge(san, None) == []
    assert _fc_cases({"san": san, "multipath": {"skipped": True}})["fc/rport_tmo_mismatch"] != "passed"
