# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/fc_audit.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import normalize_initiator
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    fc_audit as fa, multipath_audit as judge_multipath_audit, multipath_parse as judge_multipath_parse)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.filter.helpers import ROLE, _mismatches
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    I1, NETAPP_BUILTIN, T1, T2, daemon_settings, rport, snap)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    SanTree, load_captured)


GENERATIONS = ("multipathd <= 0.9.8 (0.8.5, Debian bookworm 0.9.4, RHEL 8/9) write dev_loss_tmo = no_path_retry x "
               "polling_interval (150 for the role's daemon_settings: the padding +n/60+5 came in 0.9.9), and < 0.10.2 "
               "leaves an unset dev_loss_tmo alone even with no_path_retry: expected_tmo models >= 0.10.2 only, "
               "so every FC rport those multipathd set correctly is a rport_tmo_mismatch violation")


def test_unset_dev_loss_is_left_alone_by_multipathd_0_9_4_even_with_no_path_retry():
    """Fails when an unset dev_loss_tmo is expected raised under 0.9.4, which leaves it alone."""
    # 0.9.4: `if (pp->dev_loss != DEV_LOSS_TMO_UNSET && pp->dev_loss < min_dev_loss)` - an unset dev_loss_tmo
    # is not raised, sysfs_set_rport_tmo writes fast_io_fail_tmo only; the rport keeps the HBA driver's value.
    s = daemon_settings(devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "6"}])
    found = fa.judge(snap([rport(dev="30", fast="5")]), s)
    assert _mismatches(found) == []


FOREIGN = ("scope: the FC audit judges the rports of every multipath device, not only the audited targets "
           "(multipath_conf devices, NETAPP): an HPE 3PAR rport on its built-in hwtable entry (dev_loss_tmo "
           "infinity, set by multipathd as designed) is a permanent rport_dev_loss_long compliance violation the "
           "collection's remedy (role multipath_config, NETAPP entries) can never clear")


UNREAD = ("partial truth: an FC target rport whose dev_loss_tmo/fast_io_fail_tmo could not be read (fc_unreadable)"
          " or the whole fc_remote_ports read that timed out (fc_rports None) is only a warning row: "
          "compliance_violations returns [] and the AWX artifact says compliant: true with the timeouts unjudged")


JUNIT = ("partial truth in the reports: the JUnit case fc/rport_tmo_mismatch (and the other rport_* cases) is "
         "'passed' whenever the host has an FC port, also when it was never judged: no multipath audit "
         "(sanfleet_audit_config false, tmo_settings absent), or fc_rports None after a timed-out read; it must be "
         "skipped (or error), not passed")


def test_a_known_version_judges_by_its_own_rule_only_and_names_it():
    """Fails when a known multipath-tools version is judged by another version's rule or is not named."""
    # 150 is right for 0.9.4 but not for 0.11.1: with the version known, only its value passes
    assert _mismatches(fa.judge(snap([rport(dev="150", fast="5")]), dict(ROLE, multipath_tools_version="0.9.4"))) \
        == []
    (f,) = _mismatches(fa.judge(snap([rport(dev="150", fast="5")]), dict(ROLE, multipath_tools_version="0.11.1")))
    assert f["recommended"] == "157" and "multipath-tools 0.11.1 (rule >= 0.10.2)" in f["reason"]


def test_an_unknown_version_says_so_and_lists_what_each_generation_would_write():
    """Fails when an unknown multipath-tools version is not named, or each generation's value is not listed."""
    (f,) = _mismatches(fa.judge(snap([rport(dev="300", fast="5")]), ROLE))
    assert "multipath-tools version unknown" in f["reason"]
    assert "<= 0.9.8: dev_loss_tmo 150" in f["reason"] and ">= 0.10.2: dev_loss_tmo 157" in f["reason"]


def test_the_scope_comes_from_the_audits_devices_option():
    """Fails when an rport outside the audit's devices scope is judged a violation, not for information."""
    # the same NETAPP rport: judged under the default scope, for information only when the audit is about 3PAR
    s = dict(ROLE, scope=[{"vendor": "3PARdata", "product": "VV"}])
    found = fa.judge(snap([rport(dev="300", fast="off")]), s)
    assert sorted(f["check"] for f in found) == ["rport_fast_io_fail_off", "rport_tmo_mismatch"]
    assert set(f["severity"] for f in found) == {"info"} and all("for information" in f["reason"] for f in found)
    assert set(f["severity"] for f in fa.judge(snap([rport(dev="300", fast="off")]), ROLE)) == {"violation"}


def test_fast_io_fail_turned_off_by_a_short_dev_loss_is_not_fixed_by_a_fast_io_fail_value():
    """Fails when fast_io_fail off due to a short dev_loss_tmo is told to set fast_io_fail, not raise dev_loss."""
    # dev_loss_tmo 5 <= fast_io_fail_tmo 5: multipathd turns fast_io_fail off itself (0.9.4: no_path_retry fail)
    s = daemon_settings(devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "fail", "dev_loss_tmo": "5"}])
    (f,) = [f for f in fa.judge(snap([rport(dev="5", fast="off")]), s) if f["check"] == "rport_fast_io_fail_off"]
    assert f["recommended"].startswith("dev_loss_tmo above fast_io_fail_tmo")
    assert _mismatches(fa.judge(snap([rport(dev="5", fast="off")]), s)) == []


INF = fa.UINT_MAX


def want(s, vendor="NETAPP", product="LUN C-Mode", wwid=None):
    dev, fast, problems = fa.expected_tmo(s, vendor, product, wwid)
    assert problems == []
    return dev, fast


# ------------------------------------------------------------------------------------ multipathd's rules


def test_builtin_netapp_entry_wants_infinity_and_fast_io_fail_5():
    """Fails when the built-in NETAPP entry is not expected to give dev_loss_tmo infinity and fast_io_fail 5."""
    # no_path_retry queue raises dev_loss_tmo to infinity; fast_io_fail_tmo keeps the default 5
    assert want(daemon_settings(devices=[NETAPP_BUILTIN])) == (INF, 5)


def test_no_path_retry_times_polling_interval_raises_dev_loss_tmo_with_padding():
    """Fails when dev_loss_tmo is not raised to no_path_retry x polling interval plus multipathd's padding."""
    # 30 x 5 = 150, + 150 // 60 = 2, + one default check interval 5
    assert want(daemon_settings(devices=[dict(NETAPP_BUILTIN, no_path_retry="30", dev_loss_tmo="60")])) == (157, 5)
    # the polling_interval of defaults is the check interval: 30 x 2 = 60, + 1, + 5
    assert want(daemon_settings(devices=[dict(NETAPP_BUILTIN, no_path_retry="30", dev_loss_tmo="60")],
                                polling_interval="2")) == (66, 5)
    # a dev_loss_tmo above the minimum stays
    assert want(daemon_settings(devices=[dict(NETAPP_BUILTIN, no_path_retry="12", dev_loss_tmo="120")])) == (120, 5)


def test_dev_loss_tmo_left_alone_without_setting_and_without_no_path_retry():
    """Fails when an unset dev_loss_tmo is expected changed without a number of retries."""
    s = daemon_settings(devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "fail"}])
    assert want(s) == (None, 5)
    # a number of retries sets it even when dev_loss_tmo is not set
    s = daemon_settings(devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "6"}])
    assert want(s) == (6 * 5 + 0 + 5, 5)


def test_fast_io_fail_not_below_dev_loss_is_turned_off():
    """Fails when a fast_io_fail_tmo not below dev_loss_tmo is not expected turned off."""
    entry = {"vendor": "NETAPP", "product": "LUN", "no_path_retry": "fail", "dev_loss_tmo": "30"}
    s = daemon_settings(defaults={"fast_io_fail_tmo": "30"}, devices=[entry])
    assert want(s) == (30, "off")


def test_dev_loss_capped_at_600_without_fast_io_fail_unless_queueing():
    """Fails when dev_loss_tmo without a positive fast_io_fail is not capped at 600, or is under queue."""
    off = {"fast_io_fail_tmo": "off"}
    s = daemon_settings(defaults=off, devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "30",
                                                "dev_loss_tmo": "900"}])
    assert want(s) == (600, "off")
    # 0 is not a positive fast_io_fail either
    entry = {"vendor": "NETAPP", "product": "LUN", "no_path_retry": "fail", "dev_loss_tmo": "infinity"}
    s = daemon_settings(defaults={"fast_io_fail_tmo": "0"}, devices=[entry])
    assert want(s) == (600, 0)
    # no_path_retry queue: no cap (the kernel refuses it, which shows as a mismatch)
    assert want(daemon_settings(defaults=off, devices=[NETAPP_BUILTIN])) == (INF, "off")


def test_scopes_multipaths_beat_overrides_beat_devices_beat_defaults():
    """Fails when a setting is taken from the wrong scope or device entry, as multipathd would not."""
    s = daemon_settings(defaults={"dev_loss_tmo": "100"}, devices=[NETAPP_BUILTIN])
    assert want(s) == (INF, 5)
    s = daemon_settings(devices=[NETAPP_BUILTIN], overrides={"no_path_retry": "fail", "dev_loss_tmo": "200"})
    assert want(s) == (200, 5)
    # multipaths holds no_path_retry per wwid (not the timeouts)
    s = daemon_settings(devices=[dict(NETAPP_BUILTIN, dev_loss_tmo="60")],
                        multipaths=[{"wwid": "3600a0980aa", "no_path_retry": "24"}])
    assert want(s, wwid="3600a0980aa") == (24 * 5 + 2 + 5, 5)
    assert want(s, wwid="3600a0980bb") == (INF, 5)
    # the later matching device entry wins; an entry of another array does not apply
    s = daemon_settings(devices=[NETAPP_BUILTIN, {"vendor": "NETAPP", "product": "LUN", "dev_loss_tmo": "45"},
                                 {"vendor": "HITACHI", "product": ".*", "dev_loss_tmo": "5"}])
    assert want(s) == (INF, 5)  # still raised by no_path_retry queue
    s["devices"][0] = {"vendor": "NETAPP", "product": "LUN", "no_path_retry": "fail"}
    assert want(s) == (45, 5)


def test_unparseable_settings_are_problems_not_guesses():
    """Fails when a setting multipathd cannot parse is guessed at instead of reported."""
    dev, fast, problems = fa.expected_tmo(daemon_settings(devices=[dict(NETAPP_BUILTIN, dev_loss_tmo="soon")]),
                                          "NETAPP", "LUN C-Mode")
    assert (dev, fast) == (None, None) and "dev_loss_tmo" in problems[0]
    _d, _f, problems = fa.expected_tmo(daemon_settings(polling_interval="x"), "NETAPP", "LUN")
    assert "polling_interval" in problems[0]


def test_tmo_settings_keep_only_what_the_rules_read_in_order():
    """Fails when the kept timeout settings drop, add or reorder what the rules read."""
    eff = {"defaults": {"polling_interval": "2", "fast_io_fail_tmo": "5", "find_multipaths": "no"},
           "overrides": {}, "devices": [{"vendor": "X", "product": "Y", "path_checker": "tur"}, NETAPP_BUILTIN,
                                        {"vendor": "NETAPP", "product": "LUN", "dev_loss_tmo": "60"}],
           "multipaths": [{"wwid": "w1", "alias": "a"}, {"wwid": "w2", "no_path_retry": "5"}]}
    s = fa.tmo_settings(eff)
    assert s == {"polling_interval": "2", "defaults": {"fast_io_fail_tmo": "5"}, "overrides": {},
                 "devices": [NETAPP_BUILTIN, {"vendor": "NETAPP", "product": "LUN", "dev_loss_tmo": "60"}],
                 "multipaths": [{"wwid": "w2", "no_path_retry": "5"}]}


def checks(findings):
    return sorted((f["check"], f["object"]) for f in findings)


def test_rport_as_multipathd_set_it_has_no_mismatch():
    """Fails when an rport set as multipathd sets it is reported as a mismatch."""
    found = fa.judge(snap([rport(dev="4294967295", fast="5")]), daemon_settings(devices=[NETAPP_BUILTIN]))
    assert checks(found) == [("rport_dev_loss_long", normalize_initiator(T1))]


def test_rport_dev_loss_that_differs_from_the_config_is_a_mismatch_naming_both_values():
    """Fails when an rport's dev_loss_tmo differing from the config is not a mismatch naming both values."""
    found = fa.judge(snap([rport(dev="300")]), daemon_settings(devices=[NETAPP_BUILTIN]))
    assert checks(found) == [("rport_tmo_mismatch", normalize_initiator(T1))]
    f = found[0]
    assert (f["severity"], f["setting"], f["value"], f["recommended"], f["device"]) == (
        "violation", "dev_loss_tmo", "300", "infinity", "sdb")
    assert "dev_loss_tmo 300 (multipath wants infinity)" in f["reason"]
    # the display form of the WWPN is the caller's
    assert fa.judge(snap([rport(dev="300")]), daemon_settings(devices=[NETAPP_BUILTIN]),
                    wwpn_form=lambda w: "W" + w)[0]["object"] == "W" + T1


def test_fast_io_fail_that_differs_is_a_mismatch_too():
    """Fails when an rport's fast_io_fail_tmo differing from the config is not a mismatch."""
    s = daemon_settings(devices=[dict(NETAPP_BUILTIN, no_path_retry="30", dev_loss_tmo="60")])
    found = fa.judge(snap([rport(dev="157", fast="10")]), s)
    assert checks(found) == [("rport_tmo_mismatch", normalize_initiator(T1))]
    assert (found[0]["setting"], found[0]["value"], found[0]["recommended"]) == ("fast_io_fail_tmo", "10", "5")
    assert fa.judge(snap([rport(dev="157", fast="5")]), s) == []


def test_without_the_multipath_audit_only_the_rport_itself_is_judged():
    """Fails when an rport is compared with settings the multipath audit did not read."""
    assert checks(fa.judge(snap([rport(dev="300")]), None)) == []
    assert checks(fa.judge(snap([rport(dev="300")]), {})) == []


def test_fast_io_fail_off_on_an_fc_path():
    """Fails when fast_io_fail off on an rport of multipath paths is not a violation."""
    s = daemon_settings(defaults={"fast_io_fail_tmo": "off"},
                        devices=[{"vendor": "NETAPP", "product": "LUN", "no_path_retry": "30", "dev_loss_tmo": "60"}])
    found = fa.judge(snap([rport(dev="157", fast="off")]), s)
    assert checks(found) == [("rport_fast_io_fail_off", normalize_initiator(T1))]
    assert (found[0]["severity"], found[0]["value"]) == ("violation", "off")


@pytest.mark.parametrize("dev, long", [("4294967295", True), ("86400", True), ("3600", True), ("3599", False),
                                       ("60", False)])
def test_dev_loss_infinite_or_huge_on_fc(dev, long):
    """Fails when an rport's dev_loss_tmo of an hour or more is not flagged, or a shorter one is."""
    found = fa.judge(snap([rport(dev=dev)]), None)
    assert checks(found) == ([("rport_dev_loss_long", normalize_initiator(T1))] if long else [])
    if dev == "4294967295":
        assert "never removed" in found[0]["reason"] and found[0]["value"] == "infinity"


def test_timeouts_of_rports_without_multipath_paths_are_not_judged():
    """Fails when the timeouts of an rport without multipath paths are judged."""
    # multipathd writes the timeouts of the rports of its paths only: a tape or an unmapped target keeps the
    # kernel's values
    bare = snap([rport(dev="4294967295", fast="off")], disks={})
    assert fa.judge(bare, daemon_settings(devices=[NETAPP_BUILTIN])) == []
    unmapped = snap([rport(dev="30", fast="off")])
    unmapped["disks"]["sdb"]["map"] = None
    assert fa.judge(unmapped, daemon_settings(devices=[NETAPP_BUILTIN])) == []


def test_initiator_only_remote_ports_are_not_targets():
    """Fails when an initiator-only remote port is judged or listed as a target."""
    initiator_only = snap([rport(roles="FCP Initiator", dev="300", fast="off")])
    assert fa.judge(initiator_only, daemon_settings(devices=[NETAPP_BUILTIN])) == []
    assert fa.ports(snap([rport(roles="FCP Initiator")]))["targets"] == []


@pytest.mark.parametrize("state", ["Blocked", "Not Present"])
def test_rport_down_with_devices_below_it(state):
    """Fails when a down rport with devices below it is not a warning, or one without devices is."""
    found = fa.judge(snap([rport(state=state)]), daemon_settings(devices=[NETAPP_BUILTIN]))
    assert ("rport_down_with_devices", normalize_initiator(T1)) in checks(found)
    f = [x for x in found if x["check"] == "rport_down_with_devices"][0]
    assert (f["severity"], f["value"], f["device"]) == ("warning", state, "sdb")
    # without devices below it a down rport is only a fabric state, not a stale-device risk
    assert "rport_down_with_devices" not in [x["check"] for x in fa.judge(snap([rport(state=state)], disks={}))]


@pytest.mark.parametrize("state", ["Offline", "Error", "Unknown", "Deleted", "Lost in space"])
def test_an_rport_in_a_state_the_audit_does_not_know_is_not_taken_for_up(state):
    """Only Online and Marginal rports carry I/O; any other state (Offline, Error, one a newer kernel adds, text
    that is no state) with devices below it is reported as the down states are, saying the state is not known:
    a state missing from a list of down states must not read as up."""
    found = fa.judge(snap([rport(state=state)]), daemon_settings(devices=[NETAPP_BUILTIN]))
    f = [x for x in found if x["check"] == "rport_down_with_devices"]
    assert [(x["object"], x["value"], x["device"]) for x in f] == [(normalize_initiator(T1), state, "sdb")], found
    assert "is %s (not Online or Marginal: not known to carry I/O)" % state in f[0]["reason"]


def test_a_marginal_rport_is_not_down_and_its_timeouts_are_still_judged():
    """Marginal (the fabric reported a degraded link, FPIN): its paths carry I/O, so it is not reported down, and
    its timeouts are compared with the configuration as an Online rport's."""
    assert checks(fa.judge(snap([rport(state="Marginal", dev="4294967295")]), daemon_settings(devices=[NETAPP_BUILTIN]))) \
        == [("rport_dev_loss_long", normalize_initiator(T1))]
    found = fa.judge(snap([rport(state="Marginal", dev="300")]), daemon_settings(devices=[NETAPP_BUILTIN]))
    assert checks(found) == [("rport_tmo_mismatch", normalize_initiator(T1))]
    assert "cannot while" not in found[0]["reason"]


def test_a_disk_of_another_fc_host_or_target_is_not_below_the_rport():
    """Fails when a disk of another FC host or target counts as below the rport."""
    other = snap([rport(state="Blocked")])
    other["disks"]["sdb"]["host"] = 9
    assert fa.judge(other) == []
    other["disks"]["sdb"].update(host=8, target_wwpn=T2)
    assert [x["check"] for x in fa.judge(other)] == []


def test_fc_host_port_linkdown():
    """Fails when an FC host port in Linkdown is not a warning."""
    hosts = [{"host": 8, "wwpn": I1, "port_state": "Linkdown", "node_name": None, "speed": None, "fabric_name": None}]
    found = fa.judge(snap([], hosts=hosts))
    assert checks(found) == [("fc_host_linkdown", normalize_initiator(I1))]
    assert found[0]["severity"] == "warning"


@pytest.mark.parametrize("state, reported", [("Online", False), ("Marginal", False), ("Offline", True),
                                             ("Blocked", True), ("Error", True), ("Lost in space", True)])
def test_an_fc_host_port_in_a_state_not_known_to_carry_io_is_reported(state, reported):
    """As for the rports: Online and Marginal carry I/O; Linkdown/Offline are down, and any other state, one the
    audit does not know included, is not taken for up."""
    hosts = [{"host": 8, "wwpn": I1, "port_state": state, "node_name": None, "speed": None, "fabric_name": None}]
    found = fa.judge(snap([], hosts=hosts))
    assert checks(found) == ([("fc_host_linkdown", normalize_initiator(I1))] if reported else []), found


def test_unreadable_values_are_none_and_a_problem_never_a_guess():
    """Fails when an unreadable rport or host value is guessed at instead of None and fc_unreadable."""
    found = fa.judge(snap([rport(dev=None)]), daemon_settings(devices=[NETAPP_BUILTIN]))
    assert checks(found) == [("fc_unreadable", normalize_initiator(T1))]
    assert "dev_loss_tmo" in found[0]["reason"]
    assert fa.ports(snap([rport(dev=None)]))["targets"][0]["dev_loss_tmo"] is None
    hosts = [{"host": 8, "wwpn": I1, "port_state": None}]
    assert checks(fa.judge(snap([], hosts=hosts))) == [("fc_unreadable", normalize_initiator(I1))]


def test_ports_list_initiators_and_targets_in_the_given_form():
    """Fails when the port list changes its fields or ignores the caller's WWPN form."""
    p = fa.ports(snap([rport(dev="300")]), wwpn_form=lambda w: w.upper())
    assert p["initiators"] == [{"host": "host8", "wwpn": I1.upper(), "node_name": None, "state": "Online",
                                "speed": "10 Gbit", "fabric": "0x0"}]
    assert p["targets"] == [{"rport": "rport-8:0-0", "wwpn": T1.upper(), "node_name": ("0x10" + T1[4:]).upper(),
                             "state": "Online", "initiator": I1.upper(), "dev_loss_tmo": "300",
                             "fast_io_fail_tmo": "5", "devices": ["sdb"]}]


# ------------------------------------------------------------------------------------ the reader


def test_rports_read_from_sysfs_with_unreadable_attributes_as_none(tmp_path):
    """Fails when an rport's unreadable sysfs attributes are not None, or are not reported."""
    t = SanTree(tmp_path / "root")
    t.fc_host(5)
    t.disk("sdb", "5:0:0:7", "8:16", fc="0x500a09818d2d6b1f", wwid="naa.600a0980aa")
    t.commands(multipathd=False)
    host = t.reader().snapshot(probe=False)["host"]
    assert host["fc_rports"] == [{"rport": "rport-5:0-0", "host": 5, "channel": 0, "port_name": "0x500a09818d2d6b1f",
                                  "node_name": None, "port_state": None, "roles": None, "dev_loss_tmo": None,
                                  "fast_io_fail_tmo": None, "scsi_target_id": None,
                                  "devices": [{"name": "sdb", "vendor": "NETAPP", "model": "LUN C-Mode",
                                               "wwid": "3600a0980aa", "map": None}]}]
    found = fa.judge({"host": host, "disks": {}})
    assert [f["check"] for f in found] == ["fc_unreadable"]


# ------------------------------------------------------------------------------------ the real FC captures


def captured(scenario):
    reader, truth = load_captured(scenario)
    snapshot = reader.snapshot(probe=False)
    with open(os.path.join(reader.root, "..", "commands", "multipathd_show_config.txt")) as f:
        eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse(f.read(), strict=False))
    return snapshot, truth, fa.tmo_settings(eff), reader.root


def sysfs(root, rp, attr):
    with open(os.path.join(root, "sys/class/fc_remote_ports", rp, attr)) as f:
        return f.read().strip()


@pytest.mark.parametrize("scenario", ["fc_healthy", "fc_unmapped", "fc_rport_blocked", "fc_two_targets"])
def test_captured_rports_are_read_as_sysfs_has_them(scenario):
    """Fails when a captured host's rports are not read as its sysfs has them."""
    snapshot, truth, _s, root = captured(scenario)
    rports = snapshot["host"]["fc_rports"]
    assert rports and sorted(r["rport"] for r in rports) == sorted(os.listdir(os.path.join(
        root, "sys/class/fc_remote_ports")))
    for r in rports:
        for attr in ("port_name", "node_name", "port_state", "roles", "dev_loss_tmo", "fast_io_fail_tmo"):
            assert r[attr] == sysfs(root, r["rport"], attr), (r["rport"], attr)
        assert r["host"] == int(r["rport"][len("rport-"):].split(":")[0])
    targets = fa.ports(snapshot)["targets"]
    assert {normalize_initiator(t["wwpn"]) for t in targets} >= {
        normalize_initiator(w) for w in truth["fc"]["fc_wwpns"]}
    speeds = {h["speed"] for h in snapshot["host"]["fc_hosts"]}
    assert speeds == {"10 Gbit"}


def test_captured_healthy_fabric_matches_the_builtin_netapp_settings():
    """Fails when the captured healthy fabric does not match the built-in NETAPP settings."""
    snapshot, truth, s, _root = captured("fc_healthy")
    # the lab keeps the built-in NETAPP entry: multipathd wrote infinity and 5 to both target rports
    assert want(s) == (INF, 5)
    found = fa.judge(snapshot, s)
    targets = {normalize_initiator(w) for w in truth["fc"]["fc_wwpns"]}
    assert checks(found) == sorted(("rport_dev_loss_long", w) for w in targets)


def test_captured_blocked_rport_whose_dev_loss_was_lowered_while_online():
    """Fails when the captured blocked rport with a lowered dev_loss_tmo is not found and explained."""
    snapshot, truth, s, _root = captured("fc_rport_blocked")
    found = fa.judge(snapshot, s)
    by = {}
    for f in found:
        by.setdefault(f["check"], []).append(f)
    blocked = [r for r in snapshot["host"]["fc_rports"] if r["port_state"] == "Blocked" and "Target" in r["roles"]]
    assert len(blocked) == 1
    wwpn = normalize_initiator(blocked[0]["port_name"])
    # capture.py wrote dev_loss_tmo 600 before the link went down: not what multipathd sets (infinity)
    assert [(f["object"], f["value"], f["recommended"]) for f in by["rport_tmo_mismatch"]] == [
        (wwpn, "600", "infinity")]
    assert "cannot while the rport is Blocked" in by["rport_tmo_mismatch"][0]["reason"]
    assert [f["object"] for f in by["rport_down_with_devices"]] == [wwpn]
    assert len(by["fc_host_linkdown"]) == 2  # fabric b: the initiator port and (lab artefact) the target port


def test_a_hung_rport_read_is_named_and_leaves_fc_rports_unknown_not_empty(tmp_path):
    """Every sysfs read has a deadline: when the batch and then the rport piece miss it, fc_rports is None (not
    judged, not "no rport") and the error names the read."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import inline_call

    t = SanTree(tmp_path / "root")
    t.fc_host(5)
    t.disk("sdb", "5:0:0:7", "8:16", fc="0x500a09818d2d6b1f", wwid="naa.600a0980aa")
    t.commands(multipathd=False)

    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ in ("read_batch", "read_fc_rports"):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    snapshot = t.reader(call=call, read_timeout=1.5).snapshot(probe=False)
    assert snapshot["host"]["fc_rports"] is None
    assert "read of /sys/class/fc_remote_ports" in [e["what"] for e in snapshot["errors"]]
    assert snapshot["host"]["fc_hosts"][0]["wwpn"] == "0x21000024ff3a0b1c"
    # unknown, not "no target" ([] read like a host without FC targets)
    assert fa.ports(snapshot)["targets"] is None
