# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/coverage.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import coverage as judge_coverage
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import rec


@pytest.mark.parametrize("observed,expected", [
    ("80AbCdEfGh01", True), ("3830416243644566476830 31".replace(" ", ""), True),
    ("0" + "80AbCdEfGh01".encode().hex(), True), ("80AbCdEfGh02", False), (None, None)])
def test_serial_matches(observed, expected):
    """Fails when a unit serial is not matched in ASCII or hex form, or another serial matches."""
    r = rec(1, 1)
    assert judge_coverage.serial_matches(observed, r["serial"], r.get("serial_hex")) is expected


def test_portal_addresses_compare_in_one_form():
    """Fails when portal addresses are not compared in one form, or an unbracketed IPv6 one is guessed."""
    assert judge_coverage.portal_address("127.0.0.1:3260") == judge_coverage.address_key("127.0.0.1")
    assert judge_coverage.portal_address("[FE80:0:0::1]:3260") == judge_coverage.address_key("fe80::1")
    assert judge_coverage.portal_address("fe80::1:3260") != judge_coverage.address_key("fe80::1")     # unbracketed: never guessed
    assert judge_coverage.portal_address("192.0.2.7") == "192.0.2.7"


def test_bracketed_or_dns_portal_address_compares_in_one_form():
    """Fails when a bracketed IPv6 address is not the bare one, a DNS name is not kept whole in lower case (its
    trailing letters stripped, or upper case), or a portal that names no address gets a made-up key: a path's
    portal would then not be, or wrongly be, one of its SVM's iSCSI addresses."""
    assert judge_coverage.address_key("[FE80::1]") == "fe80::1"
    assert judge_coverage.address_key(" Filer-X.example.COM ") == "filer-x.example.com"
    assert judge_coverage.portal_address("Filer-X:3260") == "filer-x"
    assert judge_coverage.address_key(None) == judge_coverage.portal_address(None) == ""
    # the address is what the first brackets hold: a bracket further on is not part of it
    assert judge_coverage.portal_address("[fe80::1]:3260]") == "fe80::1"


def test_record_with_only_a_hex_serial_matches_the_live_serial():
    """Fails when a record that gives the LU's serial only in hex (serial_hex, as LIO answers VPD 0x80 with a
    leading '0', lab finding 7) does not match the live serial: the path would look like it reaches another LU."""
    r = dict(rec(1, 1))
    hexed = r.pop("serial").encode().hex()
    assert r["serial_hex"] == hexed
    assert judge_coverage.serial_of("0" + hexed, r) is True
    assert judge_coverage.serial_of("0" + "80AbCdEfGh02".encode().hex(), r) is False


@pytest.mark.parametrize("transport", ["iscsi", "fc"])
def test_record_without_igroup_protocol_applies_to_every_san_transport(transport):
    """Fails when a record whose igroup protocol is not given is not taken as mixed: its mapping would not
    count for the path, which would then look unmapped."""
    r = dict(rec(1, 1))
    del r["igroup_protocol"]
    assert judge_coverage.protocol_ok(r, transport) is True
    assert judge_coverage.protocol_ok(dict(r, igroup_protocol="iscsi"), "fc") is False


def test_target_identity_under_two_svms_is_one_problem_naming_both():
    """Fails when a target IQN, WWPN or NQN listed under two (cluster, SVM) entries (in any spelling) is not one
    duplicate_target_identity problem that names it, how many SVMs and which, or when one SVM listing it twice is."""
    targets = [
        {"cluster": "c1", "svm": "svm_b", "iscsi_target_names": [" IQN.1992-08.com.netapp:sn.1 "],
         "fc_wwpns": ["20:00:00:50:56:bb:a0:e0"], "subsystem_nqns": ["nqn.1992-08.com.netapp:sn.1:subsystem.a"]},
        {"cluster": "c0", "svm": "svm_a", "iscsi_target_names": ["iqn.1992-08.com.netapp:sn.1"],
         "fc_wwpns": ["0x20000050-56bba0e0"], "subsystem_nqns": ["NQN.1992-08.com.netapp:sn.1:subsystem.a"]},
        {"cluster": "c2", "svm": "svm_c", "iscsi_target_names": ["iqn.1992-08.com.netapp:sn.2",
                                                                 "iqn.1992-08.com.netapp:sn.2"]},
    ]
    problems = judge_coverage.duplicate_identities(targets)
    assert [p["identity"] for p in problems] == [
        "iqn iqn.1992-08.com.netapp:sn.1", "nqn nqn.1992-08.com.netapp:sn.1:subsystem.a", "wwpn 2000005056bba0e0"]
    assert all(p["kind"] == judge_coverage.DUPLICATE_IDENTITY == "duplicate_target_identity" for p in problems)
    assert all((p["cluster"], p["svm"]) == ("c0", "svm_a") for p in problems)
    assert problems[0]["msg"] == (
        "target iqn iqn.1992-08.com.netapp:sn.1 is listed under 2 SVMs (c0/svm_a, c1/svm_b): which one serves a "
        "path to it is unknown, so an outage there could look unmapped")
    assert judge_coverage.duplicate_identities(targets[2:]) == []
    # a caller's truth may leave the cluster out (validate.array_targets): the duplicate is still one problem
    nameless = dict(targets[2], cluster=None)
    assert [(p["cluster"], p["svm"], p["identity"]) for p in judge_coverage.duplicate_identities(
        [nameless, targets[2]])] == [("c2", "svm_c", "iqn iqn.1992-08.com.netapp:sn.2")]
    assert judge_coverage.duplicate_identities(None) == []


IQN_T = "iqn.1992-08.com.netapp:sn.1"
TWO = [{"cluster": "c1", "svm": "svm1", "iscsi_target_names": [IQN_T], "iscsi_addresses": ["192.0.2.1", "2001:DB8::1"],
        "fc_wwpns": ["20:05:00:a0:98:00:00:01"]},
       {"cluster": "c1", "svm": "svm2", "iscsi_target_names": ["iqn.1992-08.com.netapp:sn.2"], "iscsi_addresses": []},
       {"cluster": "c2", "svm": "svm1", "fc_wwpns": ["20:05:00:a0:98:00:00:02"]},
       {"cluster": "c3", "svm": "svm3", "fc_wwpns": ["20:05:00:a0:98:00:00:02"]}]


def _serving(disk, targets=None):
    targets = TWO if targets is None else targets
    return judge_coverage.serving_svm(disk, judge_coverage.coverage_index(targets),
                                      judge_coverage.address_index(targets))


def test_serving_svm_by_target_and_portal_of_the_path():
    """Fails when the SVM serving an iSCSI path is not found by its target IQN (in any case) and portal address
    (IPv6 in any spelling), or an FC path's by its remote port WWPN in any spelling."""
    iscsi = {"transport": "iscsi", "target_iqn": " IQN.1992-08.com.NetApp:sn.1", "target_portal": "192.0.2.1:3260"}
    assert _serving(iscsi) == (("c1", "svm1"), None)
    assert _serving(dict(iscsi, target_portal="[2001:db8:0::1]:3260")) == (("c1", "svm1"), None)
    assert _serving({"transport": "fc", "target_wwpn": "0x2005-00a0-9800-0001"}) == (("c1", "svm1"), None)


@pytest.mark.parametrize("disk,why", [
    ({"transport": "iscsi"}, "target unknown: served by no SVM the array data covers"),
    ({"transport": "fc", "target_iqn": IQN_T}, "target unknown: served by no SVM the array data covers"),
    ({"transport": "iscsi", "target_wwpn": "2005:00a0:9800:0001"},
     "target unknown: served by no SVM the array data covers"),
    ({"transport": "iscsi", "target_iqn": "iqn.1992-08.com.netapp:sn.9", "target_portal": "192.0.2.1:3260"},
     "target iqn.1992-08.com.netapp:sn.9 is served by no SVM the array data covers"),
    ({"transport": "fc", "target_wwpn": "20:05:00:A0:98:00:00:02"},
     "target 20:05:00:A0:98:00:00:02 is listed under 2 SVMs (c2/svm1, c3/svm3): which one serves it is unknown"),
    ({"transport": "iscsi", "target_iqn": IQN_T, "target_portal": "192.0.2.9:3260"},
     "portal 192.0.2.9:3260 is not one of the iSCSI addresses of c1/svm1 (192.0.2.1, 2001:db8::1)"),
    ({"transport": "iscsi", "target_iqn": IQN_T},
     "portal unknown is not one of the iSCSI addresses of c1/svm1 (192.0.2.1, 2001:db8::1)"),
    ({"transport": "iscsi", "target_iqn": "iqn.1992-08.com.netapp:sn.2", "target_portal": "192.0.2.1:3260"},
     "portal 192.0.2.1:3260 is not one of the iSCSI addresses of c1/svm2 (none read)"),
])
def test_path_the_array_data_does_not_cover_says_why(disk, why):
    """Fails when a path whose target is unknown, not read, listed under two SVMs, or reached through a portal
    that is not one of its SVM's iSCSI addresses is taken as served by an SVM, or does not say why not."""
    assert _serving(disk) == (None, why)


def test_target_under_an_svm_of_no_named_cluster_and_another_serves_nothing():
    """Fails when a target listed under an SVM whose cluster a caller's truth leaves out and under another is
    taken as served, or breaks the judgement instead of saying why."""
    targets = [{"svm": "svm1", "fc_wwpns": ["20:05:00:a0:98:00:00:02"]}, TWO[2]]
    assert _serving({"transport": "fc", "target_wwpn": "20:05:00:a0:98:00:00:02"}, targets) == (
        None, "target 20:05:00:a0:98:00:00:02 is listed under 2 SVMs (c2/svm1, None/svm1): which one serves it is "
              "unknown")


def test_portal_check_needs_the_addresses_of_that_svm():
    """Fails when an iSCSI path counts as served without its SVM's addresses (none given), or an FC path needs any."""
    index = judge_coverage.coverage_index(TWO)
    disk = {"transport": "iscsi", "target_iqn": IQN_T, "target_portal": "192.0.2.1:3260"}
    assert judge_coverage.serving_svm(disk, index, {}) == (
        None, "portal 192.0.2.1:3260 is not one of the iSCSI addresses of c1/svm1 (none read)")
    assert judge_coverage.serving_svm({"transport": "fc", "target_wwpn": "2005:00a0:9800:0001"}, index, {}) == (
        ("c1", "svm1"), None)


def test_address_index_holds_every_svms_addresses_in_one_form():
    """Fails when an SVM's iSCSI addresses are not all kept in one form, or an SVM without any has no entry."""
    targets = TWO + [{"cluster": "c1", "svm": "svm1", "iscsi_addresses": ["192.0.2.5"]}]
    assert judge_coverage.address_index(targets) == {
        ("c1", "svm1"): {"192.0.2.1", "2001:db8::1", "192.0.2.5"}, ("c1", "svm2"): set(),
        ("c2", "svm1"): set(), ("c3", "svm3"): set()}
    assert judge_coverage.address_index(None) == {}


def test_coverage_index_names_each_identity_in_one_form():
    """Fails when a target's IQN, WWPN or NQN is not indexed in one comparable form under its (cluster, SVM)."""
    index = judge_coverage.coverage_index([{"cluster": "c1", "svm": "s", "iscsi_target_names": [" IQN.X:Y "],
                                            "fc_wwpns": ["0x20:05-00"], "subsystem_nqns": [" NQN.2014-08.X "]}])
    assert index == {("iqn", "iqn.x:y"): {("c1", "s")}, ("wwpn", "200500"): {("c1", "s")},
                     ("nqn", "nqn.2014-08.x"): {("c1", "s")}}
    assert judge_coverage.coverage_index(None) == {}


def test_path_initiator_is_the_one_the_kernel_names_never_the_host_wide_one():
    """Fails when a path's initiator is not its session's or its FC host port's WWPN, or the host-wide IQN (or
    another FC host's port) is taken for a path whose initiator the kernel does not name."""
    snap = {"host": {"iscsi_iqn": "iqn.host", "fc_hosts": [
        {"host": "host3", "wwpn": "0x10000090FA000003"}, {"host": "host4"},
        {"host": "host5", "wwpn": "10:00:00:90:fa:00:00:05"}]}}
    paths = judge_coverage.disk_path_initiators
    assert paths({"initiator": " IQN.Session "}, snap, "iqn.host") == {"iqn.session"}
    assert paths({"transport": "fc", "host": "host5"}, snap, "iqn.host") == {"10000090fa000005"}
    assert paths({"transport": "fc", "host": "host4"}, snap, "iqn.host") is None
    assert paths({"transport": "fc", "host": "host9"}, snap, "iqn.host") is None
    assert paths({"transport": "iscsi", "host": "host3"}, snap, "iqn.host") is None
    assert paths({"transport": "fc", "host": "host3"}, {}, None) is None


def test_initiator_the_truth_was_not_read_for_is_not_covered():
    """Fails when a path whose initiator the array truth was not read for (or the truth does not say for which)
    counts as covered, or one it was read for (or for every initiator: '*') does not."""
    covered = judge_coverage.initiator_covered
    assert covered({"iqn.a"}, None) == "the array truth does not say which initiators its records were read for"
    assert covered({"iqn.a"}, {"*"}) is None
    assert covered({"iqn.a"}, {"iqn.a", "iqn.b"}) is None
    assert covered({"iqn.c", "iqn.a", "iqn.0"}, {"iqn.b", "iqn.a"}) == (
        "initiator iqn.0, iqn.c is not one the array truth was read for (iqn.a, iqn.b)")
    assert covered({"iqn.a"}, set()) == "initiator iqn.a is not one the array truth was read for (none)"


def test_record_applies_to_this_hosts_initiators_only():
    """Fails when a record for another host's initiators applies to this one, one for this host's (in any spelling)
    does not, or a record that names no initiators is not trusted as given."""
    r = rec(1, 1, initiators=(" IQN.Host ", "10:00:00:90:fa:00:00:05"))
    assert judge_coverage.record_applies(r, {"iqn.host"}) is True
    assert judge_coverage.record_applies(r, {"10000090fa000005"}) is True
    assert judge_coverage.record_applies(r, {"iqn.other"}) is False
    assert judge_coverage.record_applies(rec(1, 1, initiators=()), {"iqn.other"}) is True


@pytest.mark.parametrize("proto,transport,ok", [
    ("iscsi", "iscsi", True), ("ISCSI", "fc", False), ("fcp", "fc", True), ("FC", "fc", True), ("fcp", "iscsi", False),
    ("mixed", "fc", True), ("Mixed", "iscsi", True), ("nvme", "iscsi", False), ("iscsi", "nvme", True),
    ("fcp", None, True)])
def test_igroup_protocol_decides_which_paths_a_record_maps(proto, transport, ok):
    """Fails when an iSCSI igroup's record counts for an FC path or the other way round, a mixed igroup's does not
    count for both, or a path of no SAN transport is held to an igroup protocol."""
    assert judge_coverage.protocol_ok(rec(1, 1, protocol=proto), transport) is ok


def test_same_serial_needs_two_equal_serials():
    """Fails when a serial missing on either side counts as the same, or blanks around one make two differ."""
    assert judge_coverage.same_serial(" 80AbCdEfGh01", "80AbCdEfGh01 ") is True
    assert judge_coverage.same_serial("80AbCdEfGh01", "80AbCdEfGh02") is False
    assert judge_coverage.same_serial(None, "80AbCdEfGh01") is False
    assert judge_coverage.same_serial("80AbCdEfGh01", "") is False
    assert judge_coverage.same_serial(None, None) is False


def test_record_summary_names_the_lun_and_where_it_is_mapped():
    """Fails when a record's summary in the evidence loses what identifies the LUN and its mapping."""
    r = rec(1, 7)
    assert judge_coverage.record_summary(r) == {
        "cluster": "c1", "svm": "svm1", "path": "/vol/v1/lun1", "serial": r["serial"], "wwid": r["wwid"],
        "lun_id": 7, "igroup": "ig_lab", "state": "online"}
