# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review of the FC audit (branch i29-fcaudit): each test states a defect found in review (the reason
strings below); each failed on the reviewed code and passes since its fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.filter.compliance_violations import compliance_violations
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import fc_audit as fa
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_fc_audit import (
    NETAPP_BUILTIN, T1, rport, settings, snap)

# What the role multipath_config writes for NETAPP (docs/compliance.md): no_path_retry 30, dev_loss_tmo 60,
# polling_interval 5 (the defaults' fast_io_fail_tmo 5).
ROLE = settings(devices=[dict(NETAPP_BUILTIN, no_path_retry="30", dev_loss_tmo="60")])

GENERATIONS = ("multipathd <= 0.9.8 (0.8.5, Debian bookworm 0.9.4, RHEL 8/9) write dev_loss_tmo = no_path_retry x "
               "polling_interval (150 for the role's settings: the padding +n/60+5 came in 0.9.9), and < 0.10.2 "
               "leaves an unset dev_loss_tmo alone even with no_path_retry: expected_tmo models >= 0.10.2 only, "
               "so every FC rport those multipathd set correctly is a rport_tmo_mismatch violation")


def _mismatches(found):
    return [f for f in found if f["check"] == "rport_tmo_mismatch"]


def test_role_settings_as_multipathd_0_9_4_writes_them_are_compliant():
    # libmultipath/discovery.c 0.9.4 sysfs_set_scsi_tmo: min_dev_loss = no_path_retry * checkint = 30 * 5 = 150;
    # pp->dev_loss 60 < 150 -> 150; fast_io_fail 5 < 150 stays. This is what a bookworm host's rport reads.
    found = fa.judge(snap([rport(dev="150", fast="5")]), ROLE)
    assert _mismatches(found) == []
    # and through the compliance filter (the AWX job's verdict)
    out = compliance_violations({"san": snap([rport(dev="150", fast="5")]),
                                 "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert [v for v in out if v["check"] == "rport_tmo_mismatch"] == []


def test_unset_dev_loss_is_left_alone_by_multipathd_0_9_4_even_with_no_path_retry():
    # 0.9.4: `if (pp->dev_loss != DEV_LOSS_TMO_UNSET && pp->dev_loss < min_dev_loss)` - an unset dev_loss_tmo
    # is not raised, sysfs_set_rport_tmo writes fast_io_fail_tmo only; the rport keeps the HBA driver's value.
    s = settings(devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "6"}])
    found = fa.judge(snap([rport(dev="30", fast="5")]), s)
    assert _mismatches(found) == []


FOREIGN = ("scope: the FC audit judges the rports of every multipath device, not only the audited targets "
           "(multipath_conf devices, NETAPP): an HPE 3PAR rport on its built-in hwtable entry (dev_loss_tmo "
           "infinity, set by multipathd as designed) is a permanent rport_dev_loss_long compliance violation the "
           "collection's remedy (role multipath_config, NETAPP entries) can never clear")


def test_a_non_netapp_arrays_rport_is_not_a_compliance_violation():
    three_par = {"vendor": "3PARdata", "product": "VV", "no_path_retry": "18", "fast_io_fail_tmo": "10",
                 "dev_loss_tmo": "infinity"}
    s = settings(devices=[three_par, dict(NETAPP_BUILTIN, no_path_retry="30", dev_loss_tmo="60")],
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
    san = snap([rport(dev=None, fast="5")])
    # the audit knows: fc_unreadable names the rport
    assert [f["check"] for f in fa.judge(san, ROLE)] == ["fc_unreadable"]
    out = compliance_violations({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert out != [], "an rport whose dev_loss_tmo was not read is reported compliant"


def test_an_fc_host_whose_rport_read_timed_out_does_not_read_as_compliant():
    san = snap(None)
    san["errors"] = [{"what": "read of /sys/class/fc_remote_ports", "msg": "timed out after 1.5 s"}]
    out = compliance_violations({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert out != [], "an FC host whose rports were not read at all is reported compliant"


JUNIT = ("partial truth in the reports: the JUnit case fc/rport_tmo_mismatch (and the other rport_* cases) is "
         "'passed' whenever the host has an FC port, also when it was never judged: no multipath audit "
         "(sanfleet_audit_config false, tmo_settings absent), or fc_rports None after a timed-out read; it must be "
         "skipped (or error), not passed")


def _fc_cases(parts):
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import fleet_report, host_report
    rep = host_report(parts, "h1", "audit")
    fleet = fleet_report([rep], ["h1"])
    return dict((c["name"], c["state"]) for c in fleet["junit"][0]["cases"] if c["area"] == "fc")


def test_junit_does_not_pass_an_rport_comparison_that_was_not_made_without_the_multipath_audit():
    # dev_loss_tmo 300 differs from the config, but the multipath audit did not run: not judged
    san = snap([rport(dev="300", fast="5")])
    assert fa.judge(san, None) == []
    assert _fc_cases({"san": san, "multipath": {"skipped": True}})["fc/rport_tmo_mismatch"] != "passed"


def test_junit_does_not_pass_the_rport_checks_when_the_rports_were_not_read():
    san = snap(None)
    san["errors"] = [{"what": "read of /sys/class/fc_remote_ports", "msg": "timed out after 1.5 s"}]
    cases = _fc_cases({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert [n for n, s in sorted(cases.items()) if n.startswith("fc/rport_") and s == "passed"] == []


def test_the_report_does_not_list_unread_rports_as_no_targets():
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
    assert _want(ROLE, version) == role
    assert _want(settings(devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "6"}]), version) == unset


def test_a_known_version_judges_by_its_own_rule_only_and_names_it():
    # 150 is right for 0.9.4 but not for 0.11.1: with the version known, only its value passes
    assert _mismatches(fa.judge(snap([rport(dev="150", fast="5")]), dict(ROLE, multipath_tools_version="0.9.4"))) \
        == []
    (f,) = _mismatches(fa.judge(snap([rport(dev="150", fast="5")]), dict(ROLE, multipath_tools_version="0.11.1")))
    assert f["recommended"] == "157" and "multipath-tools 0.11.1 (rule >= 0.10.2)" in f["reason"]


def test_an_unknown_version_says_so_and_lists_what_each_generation_would_write():
    (f,) = _mismatches(fa.judge(snap([rport(dev="300", fast="5")]), ROLE))
    assert "multipath-tools version unknown" in f["reason"]
    assert "<= 0.9.8: dev_loss_tmo 150" in f["reason"] and ">= 0.10.2: dev_loss_tmo 157" in f["reason"]


def test_the_scope_comes_from_the_audits_devices_option():
    # the same NETAPP rport: judged under the default scope, for information only when the audit is about 3PAR
    s = dict(ROLE, scope=[{"vendor": "3PARdata", "product": "VV"}])
    found = fa.judge(snap([rport(dev="300", fast="off")]), s)
    assert sorted(f["check"] for f in found) == ["rport_fast_io_fail_off", "rport_tmo_mismatch"]
    assert set(f["severity"] for f in found) == {"info"} and all("for information" in f["reason"] for f in found)
    assert set(f["severity"] for f in fa.judge(snap([rport(dev="300", fast="off")]), ROLE)) == {"violation"}


def test_an_unread_rport_of_another_array_stays_a_warning():
    s = dict(ROLE, scope=[{"vendor": "3PARdata", "product": "VV"}])
    (f,) = fa.judge(snap([rport(dev=None, fast="5")]), s)
    assert (f["check"], f["severity"]) == ("fc_unreadable", "warning")
    assert compliance_violations({"san": snap([rport(dev=None, fast="5")]),
                                  "multipath": {"remaining_findings": [], "tmo_settings": s}}) == []


def test_fast_io_fail_turned_off_by_a_short_dev_loss_is_not_fixed_by_a_fast_io_fail_value():
    # dev_loss_tmo 5 <= fast_io_fail_tmo 5: multipathd turns fast_io_fail off itself (0.9.4: no_path_retry fail)
    s = settings(devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "fail", "dev_loss_tmo": "5"}])
    (f,) = [f for f in fa.judge(snap([rport(dev="5", fast="off")]), s) if f["check"] == "rport_fast_io_fail_off"]
    assert f["recommended"].startswith("dev_loss_tmo above fast_io_fail_tmo")
    assert _mismatches(fa.judge(snap([rport(dev="5", fast="off")]), s)) == []


def test_junit_passes_the_rport_comparison_when_it_was_made():
    cases = _fc_cases({"san": snap([rport(dev="150", fast="5")]),
                       "multipath": {"remaining_findings": [], "tmo_settings": ROLE}})
    assert cases["fc/rport_tmo_mismatch"] == "passed" and cases["fc/rport_dev_loss_long"] == "passed"
    # without the multipath audit only the comparison is skipped; the rport's own checks were made
    cases = _fc_cases({"san": snap([rport(dev="150", fast="5")]), "multipath": {"skipped": True}})
    assert cases["fc/rport_tmo_mismatch"] == "skipped" and cases["fc/rport_dev_loss_long"] == "passed"


def test_the_report_marks_whether_the_rports_were_compared():
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
    san = snap([rport(dev="150", fast="5")])
    assert host_report({"san": san, "multipath": {"remaining_findings": [], "tmo_settings": ROLE}}, "h1",
                       "audit")["fc"]["tmo_compared"] is True
    assert host_report({"san": san, "multipath": {"skipped": True}}, "h1", "audit")["fc"]["tmo_compared"] is False
    rep = host_report({"san": snap(None), "multipath": {"remaining_findings": [], "tmo_settings": ROLE}}, "h1", "audit")
    assert rep["fc"]["targets"] is None and rep["fc"]["tmo_compared"] is False


def test_the_schema_accepts_unread_targets_and_the_comparison_flag():
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
