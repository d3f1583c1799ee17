# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/verdicts.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    findings as judge_findings, verdicts as sj, verdicts as judge_verdicts)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    C1, FAILED, LNS, TARGET2, TARGETS, TARGETS2, check, cloned_target_lab, cut, fc_snap_of, fc_targets, judge, kinds,
    norm, one_path_reused, probe_live, rec, reused, sd_states, snap_of, two_target_lab, verdict)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    IQN, TARGET, healthy_lab, load_captured, ontap_serial, ontap_wwid)
from pathlib import Path


ROOT = Path(__file__).resolve().parents[6]


def test_an_idle_serial_mismatch_is_no_corruption_risk(tmp_path):
    """Fails when a reused LUN nobody writes to is reported as a corruption risk."""
    s = reused(tmp_path)
    assert [v for v in s["verdicts"] if v["kind"] == "serial_mismatch"]
    assert sj.corruption_risks(s) == []


def test_a_writer_on_a_reused_lun_is_named_with_what_to_do(tmp_path):
    """Fails when a writer on a reused LUN is not named as a corruption risk with what to do, map and paths."""
    def setup(t):
        t.mount("253:0", "/srv/db", "/dev/mapper/" + ontap_wwid(1))
        t.proc(4242, "postgres", fds=["/dev/dm-0"])
    risks = sj.corruption_risks(reused(tmp_path, setup))
    maps = [r for r in risks if r["object"] == "map"]
    assert len(maps) == 1 and maps[0]["wwid"] == ontap_wwid(1)
    msg = maps[0]["msg"]
    assert msg.startswith("CORRUPTION RISK") and "/srv/db" in msg and "pid 4242 (postgres)" in msg
    assert "Stop the writers (pid 4242 (postgres))" in msg and "LUN id 1" in msg
    # its paths are named too, through their map (a path's own map is not counted as a holder of it)
    disks = [r for r in risks if r["object"] == "disk"]
    assert disks and all("its map" in r["msg"] and "held by dm-0" not in r["msg"] for r in disks)


def test_a_udev_probe_alone_is_no_writer(tmp_path):
    """Fails when a udev worker probing a reused LUN counts as a writer."""
    def setup(t):
        t.proc(77, "(udev-worker)", fds=["/dev/dm-0"])
    assert sj.corruption_risks(reused(tmp_path, setup)) == []


def _tasks(path):
    data = yaml.safe_load((ROOT / path).read_text())
    return data[0]["tasks"] if isinstance(data, list) and "hosts" in data[0] else data


def test_every_run_fails_the_host_on_a_corruption_risk():
    """Fails when an audit, compliance or cleanup run does not always fail a host with a corruption risk."""
    for path in ("playbooks/audit.yml", "playbooks/compliance.yml", "roles/stale_cleanup/tasks/cleanup.yml"):
        fails = [t for t in _tasks(path) if "ansible.builtin.fail" in t]
        risk = [t for t in fails if "corruption_risks" in str(t.get("when"))]
        assert len(risk) == 1, path
        assert "sanfleet_compliance_fail" not in str(risk[0]["when"])  # not optional


def test_other_refusals_fail_the_host_only_behind_the_option():
    """Fails when a cleanup refusal fails the host without stale_cleanup_fail_on_refusal set."""
    tasks = _tasks("roles/stale_cleanup/tasks/main.yml")
    refusal = [t for t in tasks if "ansible.builtin.fail" in t]
    assert len(refusal) == 1 and "stale_cleanup_fail_on_refusal | bool" in refusal[0]["when"]
    defaults = yaml.safe_load((ROOT / "roles/stale_cleanup/defaults/main.yml").read_text())
    assert defaults["stale_cleanup_fail_on_refusal"] is False


def test_a_healthy_map_whose_uuid_is_upper_case_hex_is_not_probed_for_lun_reuse(tmp_path):
    """Fails when a healthy map whose dm uuid is upper-case hex is still probed for LUN reuse."""
    t = healthy_lab(tmp_path)
    for name, hctl, dev, sess in (("sdf", "2:0:0:3", "8:80", 1), ("sdg", "3:0:0:3", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(3)[1:])
    t.dm("dm-2", "253:2", "mpathc", "mpath-" + ontap_wwid(3).upper(), slaves=("sdf", "sdg"))
    t.commands()
    snap = t.reader().snapshot(probe=False)
    vs = check(snap, [rec(1, 1), rec(2, 2), rec(3, 3)])
    assert verdict(vs, "mpathc")["kind"] == "healthy"          # judged by wwid_key: mapped, right
    assert judge_verdicts.paths_to_probe(snap, vs) == []      # today: [(3600A0980..., sdf), (..., sdg)]


def test_initiators_come_from_fc_host():
    """Fails when the FC initiator WWPNs are not read from the fc_host ports."""
    snap, truth, _reader = fc_snap_of("fc_healthy")
    host = snap["host"]
    assert norm(truth["fc"]["initiator_wwpns"]) <= norm(host["fc_wwpns"])
    assert norm(truth["fc"]["initiator_wwpns"]) <= norm(host["initiators"])
    assert all(h["port_state"] == "Online" for h in host["fc_hosts"])
    # lab artefact: the target ports are fc_hosts of the same kernel; they are listed too (docs/lab.md)
    assert norm(host["fc_wwpns"]) == norm(truth["fc"]["initiator_wwpns"] + truth["fc"]["fc_wwpns"])


def test_healthy_fc_maps_are_healthy_against_the_fc_svm():
    """Fails when healthy FC maps are not healthy against the FC SVM, or other targets' maps are covered."""
    snap, truth, _reader = fc_snap_of("fc_healthy")
    fc = truth["fc"]
    vs = by_map(judge(snap, fc, fc_targets(fc)))
    for wwid in fc["mapped"].values():
        assert vs[wwid]["kind"] == "healthy", vs[wwid]
    # the iSCSI maps are reached through target1, which the FC SVM does not serve
    for wwid in truth["mapped"].values():
        if wwid.startswith("3600a0980"):
            assert vs[wwid]["kind"] == "not_covered", vs[wwid]


def test_unmapped_fc_lun_is_stale_by_rport_coverage():
    """Fails when an unmapped FC LUN covered by its remote port is not judged stale_unmapped."""
    snap, truth, _reader = fc_snap_of("fc_unmapped")
    fc = truth["fc"]
    gone = [lu["wwid"] for lu in fc["lus"] if not lu["mapped"]]
    assert len(gone) == 1
    m = snap["maps"][gone[0]]
    assert m["paths"] and all(p["dm_state"] == "failed" for p in m["paths"])
    assert set(r["result"] for r in m["probe"].values()) == {"lun_not_supported"}, m["probe"]
    vs = by_map(judge(snap, fc, fc_targets(fc)))
    assert vs[gone[0]]["kind"] == "stale_unmapped", vs[gone[0]]
    assert vs[fc["mapped"]["1"]]["kind"] == "healthy"


def test_one_fc_lif_missing_from_the_data_leaves_the_map_not_covered():
    """A map with a path through a target port the fetched data does not name is not judged: absent from the
    data is not unmapped."""
    snap, truth, _reader = fc_snap_of("fc_unmapped")
    fc = truth["fc"]
    gone = [lu["wwid"] for lu in fc["lus"] if not lu["mapped"]][0]
    vs = by_map(judge(snap, fc, fc_targets(fc, fc["fc_wwpns"][:1])))
    assert vs[gone]["kind"] == "not_covered", vs[gone]
    assert "is served by no SVM" in vs[gone]["reason"]


def test_blocked_rport_paths_failed_but_mapped_are_never_stale():
    """Fails when mapped LUNs whose paths failed behind a blocked rport are judged stale."""
    snap, truth, _reader = fc_snap_of("fc_rport_blocked")
    fc = truth["fc"]
    blocked = [r for r in fc["rports"] if r["port_state"] == "Blocked"]
    assert len(blocked) == 1 and blocked[0]["dev_loss_tmo"] == "600"
    vs = by_map(judge(snap, fc, fc_targets(fc)))
    for wwid in fc["mapped"].values():
        states = sorted(p["dm_state"] for p in snap["maps"][wwid]["paths"])
        assert states == ["active", "failed"], states
        assert vs[wwid]["kind"] not in ("stale_unmapped", "serial_mismatch"), vs[wwid]


def test_second_fc_target_of_an_unqueried_cluster_is_not_covered():
    """Fails when LUNs of an FC target no SVM read serves are judged instead of not_covered."""
    snap, truth, _reader = fc_snap_of("fc_two_targets")
    fc, fc2 = truth["fc"], truth["fc_target2"]
    vs = by_map(judge(snap, fc, fc_targets(fc)))
    for wwid in fc2["mapped"].values():
        assert vs[wwid]["kind"] == "not_covered", vs[wwid]
        assert "target %s is served by no SVM" % fc2["disks"][0]["target_wwpn"] in vs[wwid]["reason"] or \
            "served by no SVM" in vs[wwid]["reason"], vs[wwid]
    gone = [lu["wwid"] for lu in fc["lus"] if not lu["mapped"]][0]
    assert vs[gone]["kind"] == "stale_unmapped", vs[gone]


def svm_targets(truth):
    """The iSCSI target's SVM and the FC target's SVM (cluster sanlab) as ontap_truth returns them."""
    first = truth["array_luns"][0]
    return fc_targets(truth["fc"]) + [{"cluster": first["cluster"], "svm": first["svm"],
                                       "iscsi_target_names": [truth["target_iqn"]], "fc_wwpns": [],
                                       "iscsi_addresses": [p.rsplit(":", 1)[0] for p in truth["portals"]]}]


def in_igroup(records, protocol, initiators):
    """The records as mapped through one igroup of each SVM of this protocol holding these initiators."""
    return [dict(r, igroup="ig_" + protocol, igroup_protocol=protocol, igroup_initiators=list(initiators))
            for r in records]


@pytest.mark.parametrize("scenario", ["fc_healthy", "fc_unmapped"])
def test_a_mixed_igroup_maps_its_luns_to_the_iscsi_and_the_fc_paths_alike(scenario):
    """ONTAP igroup protocol `mixed` (the host's IQN and its FC WWPNs in one igroup per SVM): each path is judged
    against the mixed record at its own LUN id in the SVM that serves it, iSCSI and FC alike, and the verdicts
    are those of per-protocol igroups: mapped maps healthy, the FC LUN no longer mapped stale_unmapped. A judge
    that took `mixed` for one protocol only would find no record at an FC (or iSCSI) path's LUN id."""
    snap, truth, _reader = fc_snap_of(scenario)
    fc = truth["fc"]
    inits = [truth["initiator_iqn"]] + fc["initiator_wwpns"]
    records = truth["array_luns"] + fc["array_luns"]
    per_protocol = by_map(sj.cross_check(snap, records, array_targets=svm_targets(truth), array_initiators=inits))
    vs = by_map(sj.cross_check(snap, in_igroup(records, "mixed", inits), array_targets=svm_targets(truth),
                               array_initiators=inits))
    assert dict((w, v["kind"]) for w, v in vs.items()) == dict((w, v["kind"]) for w, v in per_protocol.items())
    for lun, wwid in list(fc["mapped"].items()) + list(truth["mapped"].items()):
        if wwid not in vs or not wwid.startswith("3600a0980"):
            continue
        assert vs[wwid]["kind"] == "healthy", vs[wwid]
        for p in vs[wwid]["evidence"]["paths"]:
            assert [(r["igroup"], r["wwid"], r["lun_id"]) for r in p["array_at_lun"]] == [
                ("ig_mixed", wwid, int(lun))], p
    gone = [lu["wwid"] for lu in fc["lus"] if not lu["mapped"]]
    for wwid in gone:
        assert vs[wwid]["kind"] == "stale_unmapped", vs[wwid]
    assert len(gone) == (1 if scenario == "fc_unmapped" else 0)


def test_an_igroup_of_the_other_protocol_is_no_record_at_an_fc_paths_lun_id():
    """The same igroup as `iscsi` (the FC WWPNs in an iSCSI igroup cannot log in over FC): the FC paths find no
    record at their LUN id, where the mixed igroup gave one: the protocol is what tells them apart."""
    snap, truth, _reader = fc_snap_of("fc_healthy")
    fc = truth["fc"]
    inits = [truth["initiator_iqn"]] + fc["initiator_wwpns"]
    vs = by_map(sj.cross_check(snap, in_igroup(fc["array_luns"], "iscsi", inits), array_targets=svm_targets(truth),
                               array_initiators=inits))
    for wwid in fc["mapped"].values():
        assert [p["array_at_lun"] for p in vs[wwid]["evidence"]["paths"]] == [[], []], vs[wwid]


def test_a_mixed_igroup_without_this_hosts_fc_ports_maps_nothing_at_the_fc_paths_lun_id():
    """A mixed igroup holding only the host's IQN: the FC paths' initiators are not in it, so no record of it is
    at their LUN id (no LUN-reuse evidence from another host's mapping); the LU it maps is still this host's
    (mapped to its IQN), so its map is never judged unmapped."""
    snap, truth, _reader = fc_snap_of("fc_healthy")
    fc = truth["fc"]
    inits = [truth["initiator_iqn"]] + fc["initiator_wwpns"]
    vs = by_map(sj.cross_check(snap, in_igroup(fc["array_luns"], "mixed", [truth["initiator_iqn"]]),
                               array_targets=svm_targets(truth), array_initiators=inits))
    for wwid in fc["mapped"].values():
        assert vs[wwid]["kind"] == "healthy", vs[wwid]
        assert [p["array_at_lun"] for p in vs[wwid]["evidence"]["paths"]] == [[], []], vs[wwid]


FC_TARGET = "0x200500a098000001"


def test_healthy_cross_check(tmp_path):
    """Fails when mapped LUNs with working paths are not healthy or lack their array mapping."""
    vs = check(snap_of(tmp_path), [rec(1, 1), rec(2, 2)])
    assert kinds(vs) == [("healthy", "map", ontap_wwid(1)), ("healthy", "map", ontap_wwid(2))]
    v = verdict(vs, ontap_wwid(1))
    assert v["lun"] == 1 and v["evidence"]["array_mappings"][0]["path"] == "/vol/v1/lun1"


def test_unmapped_lun_is_stale_unmapped(tmp_path):
    """Fails when an unmapped LUN whose paths answer LU not supported is not stale_unmapped."""
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    vs = check(s, [rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "stale_unmapped"
    assert v["evidence"]["failed_paths"] == 2 and v["evidence"]["array_mappings"] == []
    assert [p["probe"]["result"] for p in v["evidence"]["paths"]] == ["lun_not_supported"] * 2
    assert verdict(vs, ontap_wwid(2))["kind"] == "healthy"


def test_outage_of_a_mapped_lun_is_never_stale(tmp_path):
    """Fails when a mapped LUN whose paths all lost their connection is judged stale."""
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED},
                {"sdb": (0, "Host_status=0x01 [DID_NO_CONNECT]\n"), "sdd": (0, "Host_status=0x01 [DID_NO_CONNECT]\n")})
    v = verdict(check(s, [rec(1, 1), rec(2, 2)]), ontap_wwid(1))
    assert v["kind"] == "paths_down_but_mapped"
    assert "outage" in v["reason"]


def test_an_outage_of_a_mapped_lun_outside_the_prefixes_is_judged_against_the_array_never_unknown(tmp_path):
    """Fails when a LUN the truth maps to this host, whose WWID the configured prefixes leave out (another vendor's
    given at launch, or none), is unknown_array: host_evidence removes an unknown_array map whose paths answer "LU not
    supported" without asking the array, so an outage of a mapped LUN would be removed."""
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED},
                {"sdb": (0, "Host_status=0x01 [DID_NO_CONNECT]\n"), "sdd": (0, "Host_status=0x01 [DID_NO_CONNECT]\n")})
    for prefixes in (("3624a9370",), ()):
        vs = check(s, [rec(1, 1), rec(2, 2)], array_wwid_prefixes=prefixes)
        assert verdict(vs, ontap_wwid(1))["kind"] == "paths_down_but_mapped", prefixes


def test_one_path_down_but_mapped(tmp_path):
    """Fails when a mapped LUN with one failed path is not paths_down_but_mapped."""
    s = snap_of(tmp_path, {"sdd": FAILED}, {"sdd": (0, "Host_status=0x0f [DID_TRANSPORT_FAILFAST]\n"),
                                            "sdb": (0, "")})
    v = verdict(check(s, [rec(1, 1), rec(2, 2)]), ontap_wwid(1))
    assert v["kind"] == "paths_down_but_mapped"
    assert (v["evidence"]["working_paths"], v["evidence"]["failed_paths"]) == (1, 1)


def test_cached_sysfs_identity_alone_never_gives_serial_mismatch(tmp_path):
    """Fails when a LUN id reuse is judged serial_mismatch from cached sysfs identity without live evidence."""
    # The array maps another LU at LUN id 1; the host's map (WWID 1) is healthy and was not probed. Without live
    # evidence this is no serial_mismatch (two arrays both exporting LUN 1 look the same), only unexpected visibility.
    vs = check(snap_of(tmp_path), [rec(9, 1), rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "unexpected_visibility"
    assert all("lun_id_reuse_unproven" in p for p in v["evidence"]["paths"])
    assert [x for x in vs if x["object"] == "disk"] == []


def test_lun_id_reuse_with_live_serial_gives_map_and_disk_verdicts(tmp_path):
    """Fails when a live serial of another LU at the LUN id does not give map and disk serial_mismatch."""
    # as seen in the lab: LUN 1 now maps another LU (n=9); the old map's paths came back active ready; the live VPD 0x80
    # of the working paths (hex form, as LIO answers) is LU 9's and differs from what the host recorded
    t = healthy_lab(tmp_path)
    t.commands()
    s = probe_live(t, t.reader().snapshot(), ontap_wwid(1), "0" + ontap_serial(9).encode().hex())
    vs = check(s, [rec(9, 1), rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "serial_mismatch"
    assert "/vol/v1/lun9" in v["reason"] and "LUN id 1" in v["reason"]
    p = v["evidence"]["paths"][0]
    assert (p["serial_live"], p["serial_host"]) == ("0" + ontap_serial(9).encode().hex(),
                                                    "0" + ontap_serial(1).encode().hex())
    disk_vs = [x for x in vs if x["object"] == "disk"]
    assert kinds(disk_vs) == [("serial_mismatch", "disk", "sdb"), ("serial_mismatch", "disk", "sdd")]
    assert disk_vs[0]["evidence"]["array_wwid"] == ontap_wwid(9)
    assert disk_vs[0]["evidence"]["array_serial"] == ontap_serial(9)
    assert disk_vs[0]["evidence"]["map"] == ontap_wwid(1)


def test_live_serial_equal_to_the_hosts_record_is_no_mismatch(tmp_path):
    """Fails when a live serial equal to the host's record is judged serial_mismatch."""
    t = healthy_lab(tmp_path)
    t.commands()
    s = probe_live(t, t.reader().snapshot(), ontap_wwid(1), "0" + ontap_serial(1).encode().hex())
    assert verdict(check(s, [rec(9, 1), rec(2, 2)]), ontap_wwid(1))["kind"] == "unexpected_visibility"


def test_lun_id_reuse_by_live_serial(tmp_path):
    """Fails when a mapped LUN id answering with another LU's live serial is not serial_mismatch."""
    # map still mapped (at LUN 1) per array, but the live serial at LUN 1 is another LUN's (lab c3, hex form)
    t = healthy_lab(tmp_path)
    t.commands(paths_state={"sdd": FAILED})
    live = "0" + ontap_serial(9).encode().hex()
    for sd in ("sdb", "sdd"):
        t.run.set(["sg_turs", "-v", sd], "")
        t.run.set(["sg_inq", sd], "standard INQUIRY:\n  PQual=0  PDT=0  RMB=0\n")
        t.run.set(["sg_inq", "-p", "0x80", "-r", sd], "\x00\ufffd\x00\x19" + live)
    s = t.reader().snapshot(probe=True)
    vs = check(s, [rec(9, 1, igroup="ig_new"), rec(1, 1, igroup="ig_old"), rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "serial_mismatch"
    assert "live VPD 0x80 serial" in v["reason"]


def test_live_serial_of_the_right_lun_in_ascii_or_hex_is_accepted(tmp_path):
    """Fails when the right LU's live serial in ASCII or hex form is taken for another LU."""
    for live in (ontap_serial(1), ontap_serial(1).encode().hex(), "0" + ontap_serial(1).encode().hex()):
        t = healthy_lab(tmp_path / live)
        t.commands(paths_state={"sdd": FAILED})
        for sd in ("sdb", "sdd"):
            t.run.set(["sg_turs", "-v", sd], "")
            t.run.set(["sg_inq", sd], "standard INQUIRY:\n  PQual=0  PDT=0  RMB=0\n")
            t.run.set(["sg_inq", "-p", "0x80", "-r", sd], "\x00\ufffd\x00\x0c" + live)
        v = verdict(check(t.reader().snapshot(), [rec(1, 1), rec(2, 2)]), ontap_wwid(1))
        assert v["kind"] == "paths_down_but_mapped", (live, v)


def test_unexpected_visibility(tmp_path):
    """Fails when a LUN the array maps to no igroup of this host, with working paths, is not flagged."""
    # the array maps LUN 2 to no igroup of this host, yet its paths work (e.g. the LIO LUN 0 trap)
    vs = check(snap_of(tmp_path), [rec(1, 1), rec(2, 2, initiators=["iqn.other:host"])])
    assert verdict(vs, ontap_wwid(2))["kind"] == "unexpected_visibility"
    assert verdict(vs, ontap_wwid(1))["kind"] == "healthy"


def test_unknown_array(tmp_path):
    """Fails when a disk of an array outside the WWID prefixes is judged, or one within is not."""
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa.60014055a1a00000000000000000003")
    s = snap_of(tmp_path, setup=setup, probe=False)
    vs = check(s, [rec(1, 1), rec(2, 2)])
    v = verdict(vs, "sdf", obj="disk")
    assert v["kind"] == "unknown_array" and "3600a0980" in v["reason"]
    # with the LIO prefix configured it is judged: not mapped but answers
    vs = check(s, [rec(1, 1), rec(2, 2)], array_wwid_prefixes=("3600a0980", "36001405"))
    assert verdict(vs, "sdf", obj="disk")["kind"] == "unexpected_visibility"


def test_orphan_disk_verdicts(tmp_path):
    """Fails when a mapped orphan disk is not healthy, an offline unmapped one is not stale, or sda is judged."""
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
        t.disk("sdg", "2:0:0:4", "8:96", session=1, wwid="naa." + ontap_wwid(4)[1:], state="offline")
    s = snap_of(tmp_path, setup=setup, probe=False)
    vs = check(s, [rec(1, 1), rec(2, 2), rec(3, 3)])
    assert verdict(vs, "sdf", obj="disk")["kind"] == "healthy"
    assert verdict(vs, "sdg", obj="disk")["kind"] == "stale_unmapped"
    assert "sda" not in [v["name"] for v in vs]


def test_records_for_other_hosts_do_not_count(tmp_path):
    """Fails when another host's mapping of a LUN keeps this host's unmapped map from being stale."""
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    vs = check(s, [rec(1, 1, initiators=["iqn.1998-01.com.vmware:other"]), rec(2, 2)])
    assert verdict(vs, ontap_wwid(1))["kind"] == "stale_unmapped"


def test_fc_initiator_matching_ignores_wwpn_format():
    """Fails when an FC initiator is not matched across WWPN spellings, or another WWPN is."""
    snap = {"host": {"iscsi_iqn": None, "fc_wwpns": ["0x21000024ff3a0b1c"],
                     "fc_hosts": [{"host": 5, "wwpn": "0x21000024ff3a0b1c"}]},
            "maps": {ontap_wwid(7): {"name": ontap_wwid(7), "wwid": ontap_wwid(7), "dm": "dm-0", "paths": [
                {"name": "sdb", "hctl": "5:0:0:7", "dm_state": "active", "checker_state": "ready",
                 "dev_state": "running"}]}},
            "disks": {"sdb": {"name": "sdb", "hctl": "5:0:0:7", "host": 5, "lun": 7, "transport": "fc",
                              "target_wwpn": FC_TARGET, "wwid": ontap_wwid(7), "map": ontap_wwid(7)}}}
    # the lookup was asked for the port in ONTAP's spelling (plugin_utils/ontap.py), the kernel names it 0x...
    read_for = ["21:00:00:24:FF:3A:0B:1C"]
    vs = check(snap, [rec(7, 7, initiators=["21:00:00:24:ff:3a:0b:1c"], protocol="fcp")], array_initiators=read_for)
    assert [v["kind"] for v in vs] == ["healthy"]
    vs = check(snap, [rec(7, 7, initiators=["20:00:00:24:ff:3a:0b:1c"], protocol="fcp")], array_initiators=read_for)
    assert [v["kind"] for v in vs] == ["unexpected_visibility"]


def captured(scenario):
    reader, truth = load_captured(scenario)
    snap = reader.snapshot(probe=True)
    first = truth["array_luns"][0]
    targets = [{"cluster": first["cluster"], "svm": first["svm"], "iscsi_target_names": [truth["target_iqn"]],
                "iscsi_addresses": [p.rsplit(":", 1)[0] for p in truth["portals"]]}]
    verdicts = sj.cross_check(snap, truth["array_luns"], array_targets=targets,
                              array_initiators=snap["host"]["initiators"])
    return snap, truth, judge_findings.host_findings(snap), verdicts


def maps_at_lun(snap, lun):
    return [w for w, m in snap["maps"].items()
            if m["paths"] and all(snap["disks"][p["name"]]["lun"] == lun for p in m["paths"])]


def test_captured_healthy():
    """Fails when the captured healthy host has findings or a LUN not healthy, or LIO's LUN 0 is judged."""
    snap, truth, findings, verdicts = captured("healthy")
    assert [f for f in findings if f["kind"] != "in_use"] == []
    for r in truth["array_luns"]:
        assert verdict(verdicts, r["wwid"])["kind"] == "healthy"
    # the LIO LUN 0 placeholder is no NetApp LUN
    assert verdict(verdicts, truth["mapped"]["0"])["kind"] == "unknown_array"


def test_captured_unmapped():
    """Fails when the captured unmapped LUN is not stale_unmapped, or the mapped ones not healthy."""
    snap, truth, findings, verdicts = captured("unmapped")
    (wwid,) = maps_at_lun(snap, 2)
    assert snap["maps"][wwid]["queueing"] is True
    f = [x for x in findings if x["name"] == wwid and x["kind"] == "all_paths_failed"]
    assert len(f) == 1
    assert [p["probe"]["result"] for p in f[0]["evidence"]["paths"]] == ["lun_not_supported"] * 2
    assert verdict(verdicts, wwid)["kind"] == "stale_unmapped"
    for r in truth["array_luns"]:
        assert verdict(verdicts, r["wwid"])["kind"] == "healthy"


def test_captured_portal_cut():
    """Fails when the captured cut portal makes a mapped LUN stale instead of paths_down_but_mapped."""
    snap, truth, findings, verdicts = captured("portal_cut")
    for r in truth["array_luns"]:
        f = [x for x in findings if x["name"] == r["wwid"]]
        assert [x["kind"] for x in f] == ["some_paths_failed"], f
        failed = [p for p in f[0]["evidence"]["paths"] if p["state"] == "failed"]
        assert len(failed) == 1 and failed[0]["probe"]["result"] != "lun_not_supported"
        assert verdict(verdicts, r["wwid"])["kind"] == "paths_down_but_mapped"


def test_captured_orphan():
    """Fails when the captured orphan paths are not found as orphans of their mapped LUN."""
    snap, truth, findings, verdicts = captured("orphan")
    orphans = [f for f in findings if f["kind"] == "orphan_path"]
    assert len(orphans) == 2 and set(f["wwid"] for f in orphans) == set([truth["mapped"]["3"]])
    for f in orphans:
        assert snap["disks"][f["name"]]["lun"] == 3
        assert verdict(verdicts, f["name"], obj="disk")["kind"] == "healthy"


def test_captured_mounted():
    """Fails when the captured mounted map is not reported in use or not healthy."""
    snap, truth, findings, verdicts = captured("mounted")
    wwid = truth["mapped"]["1"]
    assert snap["maps"][wwid]["mountpoints"] == ["/mnt/lab1"]
    f = [x for x in findings if x["kind"] == "in_use" and x["name"] == wwid]
    assert len(f) == 1 and "/mnt/lab1" in f[0]["reason"]
    assert verdict(verdicts, wwid)["kind"] == "healthy"


# ------------------------------------------------------------------------------------------------ coverage
# Two-target hosts: the lab target (cluster c1, svm1, LUN 1 and 2) and a second array target standing for a second
# cluster (c2, svmB) exporting its own LUN 1 (WWID 21) over two more sessions.


C2 = [rec(21, 1, cluster="c2", svm="svmB", igroup="ig_c2")]


def test_second_cluster_not_queried_its_dead_queueing_map_is_not_covered(tmp_path):
    """Fails when a dead map of a cluster not read is judged instead of not_covered."""
    # scenario (a): cluster 2's portals are cut (no answer), its map queues; only cluster 1 was read
    t = two_target_lab(tmp_path, {"sdf": FAILED, "sdg": FAILED}, queueing={ontap_wwid(21): True})
    for sd in ("sdf", "sdg"):
        t.run.set(["sg_turs", "-v", sd], "", rc=0, stderr="Host_status=0x01 [DID_NO_CONNECT]\n")
    s = t.reader().snapshot(probe=True)
    v = verdict(check(s, C1), ontap_wwid(21))
    assert v["kind"] == "not_covered"
    assert TARGET2 in v["reason"] and "served by no SVM" in v["reason"]
    # the same outage with cluster 2 read as well: an outage of a mapped LUN
    v = verdict(check(s, C1 + C2, array_targets=TARGETS + TARGETS2), ontap_wwid(21))
    assert v["kind"] == "paths_down_but_mapped"
    assert v["evidence"]["coverage"] == [{"cluster": "c2", "svm": "svmB"}]


def test_lun_id_one_on_two_targets_is_matched_per_svm(tmp_path):
    """Fails when LUN id 1 on two targets is matched across SVMs, giving a serial_mismatch."""
    # scenario (b): both targets export LUN 1; the idle, healthy LUN 1 of cluster 2 even answers with its own live
    # serial (which is not cluster 1's LUN 1): with cluster 2 not read it is not judged, with both read both are
    # healthy -- never serial_mismatch
    t = two_target_lab(tmp_path)
    s = probe_live(t, t.reader().snapshot(), ontap_wwid(21), "0" + ontap_serial(21).encode().hex(),
                   sds=("sdf", "sdg"))
    vs = check(s, C1)
    assert verdict(vs, ontap_wwid(21))["kind"] == "not_covered"
    assert verdict(vs, ontap_wwid(1))["kind"] == "healthy"
    assert not [v for v in vs if v["kind"] == "serial_mismatch"]
    vs = check(s, C1 + C2, array_targets=TARGETS + TARGETS2)
    assert kinds(vs) == sorted([("healthy", "map", ontap_wwid(1)), ("healthy", "map", ontap_wwid(2)),
                                ("healthy", "map", ontap_wwid(21))])
    at_lun = verdict(vs, ontap_wwid(21))["evidence"]["paths"][0]["array_at_lun"]
    assert [(r["cluster"], r["svm"], r["path"]) for r in at_lun] == [("c2", "svmB", "/vol/v1/lun21")]


def test_a_map_with_one_uncovered_path_is_not_covered(tmp_path):
    """Fails when a map with one path through a target nobody read is judged."""
    # the same LU reached through a target nobody read (e.g. a second cluster of an active-sync pair)
    t = two_target_lab(tmp_path, {"sdb": FAILED, "sdd": FAILED})
    s = t.reader().snapshot(probe=False)
    s["disks"]["sdd"]["target_iqn"] = TARGET2
    v = verdict(check(s, [rec(2, 2)]), ontap_wwid(1))
    assert v["kind"] == "not_covered" and "sdd: target %s" % TARGET2 in v["reason"]


def test_no_target_identities_means_nothing_is_covered(tmp_path):
    """Fails when maps are judged though the truth names no target identities."""
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    vs = check(s, [rec(2, 2)], array_targets=None)
    assert sorted(set(v["kind"] for v in vs)) == ["not_covered"]


def test_unknown_initiator_gets_no_removal_verdicts(tmp_path):
    """Fails when a path whose initiator is unknown gets a verdict that could remove it."""
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    s["host"].update(iscsi_iqn=None, initiators=[])
    for d in s["disks"].values():
        d["initiator"] = None
    vs = check(s, [rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "not_covered" and "initiator this path logs in with is unknown" in v["reason"]
    assert not [x for x in vs if x["kind"] in ("stale_unmapped", "serial_mismatch", "paths_down_but_mapped")]


def test_active_ready_paths_with_peripheral_qualifier_1_are_gone(tmp_path):
    """Fails when active ready paths whose INQUIRY says peripheral qualifier 1 are not stale when covered."""
    # the LU is unmapped but its paths still answer TEST UNIT READY, active ready (LIO's LUN 0): INQUIRY's
    # peripheral qualifier 1 is the array's own word that there is no LU there; with coverage that is stale
    t = healthy_lab(tmp_path)
    t.commands()
    s = t.reader().snapshot()
    for sd in ("sdc", "sde"):
        t.run.set(["sg_turs", "-v", sd], "")
        t.run.set(["sg_inq", sd], "standard INQUIRY:\n  PQual=1  PDT=31  RMB=0\n")
        t.run.set(["sg_inq", "-p", "0x80", "-r", sd], "", rc=5, stderr="sg_inq: Illegal request\n")
        s["maps"][ontap_wwid(2)]["probe"][sd] = t.reader().probe_path(sd)
    v = verdict(check(s, [rec(1, 1)]), ontap_wwid(2))
    assert v["kind"] == "stale_unmapped"
    assert [p["probe"]["result"] for p in v["evidence"]["paths"]] == ["lun_not_supported"] * 2
    assert verdict(check(s, [rec(1, 1)], array_targets=TARGETS2), ontap_wwid(2))["kind"] == "not_covered"


def test_unknown_array_keeps_host_evidence_policy_and_is_never_stale_by_absence(tmp_path):
    """Fails when an offline disk of an unknown array is judged stale by its absence from the truth."""
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa.60014055a1a00000000000000000003", state="offline")
    s = snap_of(tmp_path, setup=setup, probe=False)
    assert verdict(check(s, [rec(1, 1), rec(2, 2)]), "sdf", obj="disk")["kind"] == "unknown_array"


def test_after_a_rescan_sysfs_holds_the_new_identity_and_the_map_the_old_one(tmp_path):
    """Fails when a map whose rescanned paths show another LU in sysfs and live is not serial_mismatch."""
    # sdb and sdd were rescanned: sysfs and the live VPD both say LU 9, the map still holds WWID 1
    t = healthy_lab(tmp_path)
    t.commands()
    s = t.reader().snapshot()
    live = "0" + ontap_serial(9).encode().hex()
    for sd in ("sdb", "sdd"):
        s["disks"][sd].update(serial=live, wwid=ontap_wwid(9))
    s = probe_live(t, s, ontap_wwid(1), live)
    assert verdict(check(s, [rec(9, 1), rec(2, 2)]), ontap_wwid(1))["kind"] == "serial_mismatch"


def test_a_target_name_shared_with_an_unread_cluster_covers_only_the_read_svms_portals(tmp_path):
    """Fails when a target name shared with an unread cluster covers portals other than the read SVM's."""
    # cluster 2's portals are cut and its map queues: an outage, which must never read as "unmapped"
    t = cloned_target_lab(tmp_path, {"sdf": FAILED, "sdg": FAILED}, queueing={ontap_wwid(21): True})
    cut(t, ("sdf", "sdg"))
    s = t.reader().snapshot(probe=True)
    vs = check(s, C1)
    v = verdict(vs, ontap_wwid(21))
    assert v["kind"] == "not_covered", v
    assert "sdf: portal 127.0.0.3:3260 is not one of the iSCSI addresses of c1/svm1 (127.0.0.1, 127.0.0.2)" \
        in v["reason"]
    assert verdict(vs, ontap_wwid(1))["kind"] == "healthy"       # svm1's own portals are still covered


def test_an_fc_port_listed_under_two_svms_covers_nothing():
    """Fails when an FC target port listed under two SVMs covers a path."""
    snap = {"host": {"fc_hosts": [{"host": 5, "wwpn": "0x21000024ff3a0b1c"}]},
            "maps": {ontap_wwid(7): {"name": ontap_wwid(7), "wwid": ontap_wwid(7), "dm": "dm-0", "paths": [
                {"name": "sdb", "hctl": "5:0:0:7", "dm_state": "failed", "checker_state": "faulty",
                 "dev_state": "running"}]}},
            "disks": {"sdb": {"name": "sdb", "hctl": "5:0:0:7", "host": 5, "lun": 7, "transport": "fc",
                              "target_wwpn": FC_TARGET, "wwid": ontap_wwid(7), "map": ontap_wwid(7)}}}
    other = dict(TARGETS2[0], fc_wwpns=["0x200500A098000001"])
    vs = check(snap, [], array_targets=TARGETS, array_initiators=["21:00:00:24:ff:3a:0b:1c"])
    assert [v["kind"] for v in vs] == ["stale_unmapped"]
    vs = check(snap, [], array_targets=TARGETS + [other], array_initiators=["21:00:00:24:ff:3a:0b:1c"])
    assert [v["kind"] for v in vs] == ["not_covered"] and "listed under 2 SVMs" in vs[0]["reason"]


def test_an_ipv6_session_is_covered_by_its_svms_address(tmp_path):
    """Fails when an IPv6 session is not covered by its SVM's address in another spelling."""
    def setup(t):
        t.iscsi_session(1, 2, "fd00::10")
        t.iscsi_session(2, 3, "fd00::11")
    s = snap_of(tmp_path, setup=setup, probe=False)
    assert s["disks"]["sdb"]["target_portal"] == "[fd00::10]:3260"
    v6 = [dict(TARGETS[0], iscsi_addresses=["FD00:0::10", "fd00::11"])]
    assert kinds(check(s, [rec(1, 1), rec(2, 2)], array_targets=v6)) == [
        ("healthy", "map", ontap_wwid(1)), ("healthy", "map", ontap_wwid(2))]


def per_iface_lab(tmp_path):
    """Session 2 logs in through an iface with its own initiatorname; LUN 2's map has lost both paths."""
    def setup(t):
        t.iscsi_session(2, 3, "127.0.0.2", initiator="iqn.2024-01.lab.san:iface1", iface="iface1")
    return snap_of(tmp_path, {"sdc": FAILED, "sde": FAILED}, {"sdc": (5, LNS), "sde": (5, LNS)}, setup=setup)


def test_a_path_over_an_initiator_the_truth_was_not_read_for_is_not_covered(tmp_path):
    """Fails when a path over an initiator the truth was not read for is judged."""
    s = per_iface_lab(tmp_path)
    # the lookup was asked for the file's IQN only: its records cannot hold iface1's mappings
    v = verdict(check(s, [rec(1, 1, initiators=(IQN, "iqn.2024-01.lab.san:iface1"))], array_initiators=[IQN]),
                ontap_wwid(2))
    assert v["kind"] == "not_covered", v
    assert "sde: initiator iqn.2024-01.lab.san:iface1 is not one the array truth was read for (%s)" % IQN \
        in v["reason"]
    # asked for both (as the roles do: ansible_facts.san.host.initiators), LUN 2 is judged and is unmapped
    v = verdict(check(s, [rec(1, 1, initiators=(IQN, "iqn.2024-01.lab.san:iface1"))]), ontap_wwid(2))
    assert v["kind"] == "stale_unmapped", v
    # "*": every mapping was read
    assert verdict(check(s, [rec(1, 1)], array_initiators=["*"]), ontap_wwid(2))["kind"] == "stale_unmapped"


def test_a_truth_that_does_not_name_its_initiators_covers_nothing(tmp_path):
    """Fails when a truth that does not say which initiators it was read for covers a path."""
    s = snap_of(tmp_path, {"sdc": FAILED, "sde": FAILED}, {"sdc": (5, LNS), "sde": (5, LNS)})
    vs = check(s, [rec(1, 1)], array_initiators=None)
    assert {v["kind"] for v in vs} == {"not_covered"}
    assert "does not say which initiators its records were read for" in verdict(vs, ontap_wwid(2))["reason"]


def test_a_path_whose_initiator_the_kernel_does_not_name_is_not_covered(tmp_path):
    """Fails when a path whose initiator the kernel does not name is judged by the initiator file's IQN."""
    # no initiatorname in the session (nor an iSCSI host name); /etc/iscsi/initiatorname.iscsi is never used for it
    def setup(t):
        import glob
        import os
        for sid, host in ((1, 2), (2, 3)):
            os.remove(glob.glob(os.path.join(t.root, "sys/devices/platform/host%d/session%d/iscsi_session/*/"
                                             "initiatorname" % (host, sid)))[0])
            t.iscsi_session(sid, host, "127.0.0.%d" % sid, initiator=None)
    s = snap_of(tmp_path, {"sdc": FAILED, "sde": FAILED}, {"sdc": (5, LNS), "sde": (5, LNS)}, setup=setup)
    assert s["host"]["iscsi_iqn_source"] == "file"
    v = verdict(check(s, [rec(1, 1)], array_initiators=[IQN]), ontap_wwid(2))
    assert v["kind"] == "not_covered" and "the kernel names none" in v["reason"], v


def test_an_orphan_running_disk_that_does_not_answer_is_not_stale(tmp_path):
    """Fails when a running orphan disk that does not answer is judged stale."""
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
    s = snap_of(tmp_path, setup=setup, probe=False)
    s["disks"]["sdf"]["probe"] = {"result": "no_answer"}
    assert verdict(check(s, [rec(1, 1), rec(2, 2)]), "sdf", obj="disk")["kind"] == "unexpected_visibility"


def test_one_path_failed_by_the_kernel_and_one_blocked_under_an_active_path_is_no_stale_map(tmp_path):
    """One path is failed in the kernel, the other is dm-active with a blocked sd (its rport recovering): the
    second may still carry I/O, so the map is not stale_unmapped."""
    s = snap_of(tmp_path, {"sdc": FAILED, "sde": ("A", "ready", "blocked")}, {"sdc": (5, LNS)}, probe=False,
                setup=sd_states(sde="blocked"))
    s["maps"][ontap_wwid(2)]["probe"]["sde"] = {"result": "no_answer", "sense": None, "serial_live": None}
    v = verdict(check(s, [rec(1, 1)]), ontap_wwid(2))
    assert v["kind"] == "unexpected_visibility" and "1 fail" in v["reason"], v


def test_the_arrays_word_still_fails_a_blocked_active_path(tmp_path):
    """Only LOGICAL UNIT NOT SUPPORTED (or peripheral qualifier 1/3) from the array fails a dm-active path: with it
    on every path the unmapped map is stale as before."""
    s = snap_of(tmp_path, {"sdc": ("A", "ready", "blocked"), "sde": ("A", "i/o timeout", "running")}, probe=False,
                setup=sd_states(sdc="blocked"))
    for sd in ("sdc", "sde"):
        s["maps"][ontap_wwid(2)]["probe"][sd] = {"result": "lun_not_supported", "sense": "05/25/00"}
    assert verdict(check(s, [rec(1, 1)]), ontap_wwid(2))["kind"] == "stale_unmapped"


def test_a_blocked_plain_disk_is_unknown_not_failed(tmp_path):
    """An sd without a map that is blocked (its session recovering) does not answer a probe: that is no proof the
    LU is gone. It was failed, so a disk the truth does not list became stale_unmapped and was deleted."""
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:], state="blocked")
    s = snap_of(tmp_path, setup=setup, probe=False)
    s["disks"]["sdf"]["probe"] = {"result": "no_answer"}
    assert s["disks"]["sdf"]["state"] == "blocked"
    assert sj.disk_state(s["disks"]["sdf"], s["disks"]["sdf"]["probe"]) == "unknown"
    assert verdict(check(s, [rec(1, 1), rec(2, 2)]), "sdf", obj="disk")["kind"] == "unexpected_visibility"
    assert sj.disk_state(dict(s["disks"]["sdf"]), {"result": "lun_not_supported"}) == "failed"


def test_a_reused_map_in_use_is_still_a_corruption_risk_when_a_path_reaches_its_own_lu(tmp_path):
    """Writes through sdb land on LU 9 whatever the map's verdict: the risk turns the run red as before."""
    s = one_path_reused(tmp_path)
    s["verdicts"] = check(s, [rec(9, 1), rec(2, 2)])
    s["maps"][ontap_wwid(1)]["mountpoints"] = ["/srv/db"]
    risks = sj.corruption_risks(s)
    assert [(r["object"], r["name"]) for r in risks if r["object"] == "map"] == [("map", ontap_wwid(1))]
    assert all("/srv/db" in r["msg"] for r in risks)


def test_a_reused_map_whose_other_paths_are_failed_is_still_serial_mismatch(tmp_path):
    """Every path not proven to reach another LU is failed by the kernel and the array's word: the repair stands."""
    t = healthy_lab(tmp_path)
    t.commands(paths_state={"sdd": FAILED})
    t.run.set(["sg_turs", "-v", "sdd"], "", rc=5, stderr=LNS)
    t.run.set(["sg_inq", "sdd"], "", rc=5, stderr="sg_inq failed: Illegal request\n")
    s = t.reader().snapshot(probe=True)
    probe_live(t, s, ontap_wwid(1), "0" + ontap_serial(9).encode().hex(), sds=("sdb",))
    vs = check(s, [rec(9, 1), rec(2, 2)])
    assert verdict(vs, ontap_wwid(1))["kind"] == "serial_mismatch"
    assert kinds([x for x in vs if x["object"] == "disk"]) == [("serial_mismatch", "disk", "sdb")]


@pytest.fixture(scope="module")
def host():
    reader, truth = load_captured("two_targets")
    return reader.snapshot(probe=True), truth, truth["target2"]


def targets(truth):
    first = truth["array_luns"][0]
    return [{"cluster": first["cluster"], "svm": first["svm"], "iscsi_target_names": [truth["target_iqn"]],
             "iscsi_addresses": [p.rsplit(":", 1)[0] for p in truth["portals"]], "fc_wwpns": []}]


def by_map(verdicts):
    return dict((v["name"], v) for v in verdicts if v["object"] == "map")


def wwids(truth):
    """{LUN id: WWID} of every LU of the target, the unmapped ones at the id they had (their home LUN id)."""
    return dict((lu["home_lun_id"] if "home_lun_id" in lu else lu["lun_id"], lu["wwid"]) for lu in truth["lus"])


def test_the_capture_is_two_targets_with_overlapping_lun_ids(host):
    """Fails when the two-target capture no longer holds two targets with overlapping LUN ids."""
    snap, t1, t2 = host
    assert t1["target_iqn"] != t2["target_iqn"]
    assert set(wwids(t2)) <= set(range(1, 4)) and set(wwids(t2)) & set(wwids(t1))
    assert not set(wwids(t1).values()) & set(wwids(t2).values())
    by_target = {}
    for d in snap["disks"].values():
        by_target.setdefault(d.get("target_iqn"), set()).add(d["lun"])
    assert by_target[t2["target_iqn"]] == set(wwids(t2))
    for w in wwids(t2).values():
        assert len(snap["maps"][w]["paths"]) == 2


def test_only_cluster_1_read_leaves_cluster_2_not_covered(host):
    """Fails when cluster 2's LUNs are judged though only cluster 1 was read."""
    snap, t1, t2 = host
    vs = by_map(sj.cross_check(snap, t1["array_luns"], array_targets=targets(t1),
                               array_initiators=snap["host"]["initiators"]))
    for w in wwids(t2).values():
        assert vs[w]["kind"] == "not_covered", vs[w]
        assert "target %s is served by no SVM" % t2["target_iqn"] in vs[w]["reason"]
    w1 = wwids(t1)
    assert vs[w1[1]]["kind"] == "healthy" and vs[w1[3]]["kind"] == "healthy"
    assert vs[w1[2]]["kind"] == "stale_unmapped", vs[w1[2]]
    assert vs[w1[0]]["kind"] == "unknown_array"


def test_only_cluster_2_read_never_calls_cluster_1_devices_stale(host):
    """target1's unmapped LUN 2 is absent from cluster 2's data: that proves nothing about it."""
    snap, t1, t2 = host
    vs = by_map(sj.cross_check(snap, t2["array_luns"], array_targets=targets(t2),
                               array_initiators=snap["host"]["initiators"]))
    for lun in (1, 2, 3):
        assert vs[wwids(t1)[lun]]["kind"] == "not_covered", vs[wwids(t1)[lun]]
    for w in wwids(t2).values():
        assert vs[w]["kind"] == "healthy", vs[w]
    assert not [v for v in vs.values() if v["kind"] in ("stale_unmapped", "serial_mismatch")]


@pytest.mark.parametrize("one_cluster", [False, True], ids=["two-clusters", "two-svms-of-one-cluster"])
def test_both_read_keeps_lun_id_matches_per_svm(host, one_cluster):
    """Fails when, both read, LUN ids are matched across SVMs instead of per SVM."""
    snap, t1, t2 = host
    records = t1["array_luns"] + t2["array_luns"]
    covered = targets(t1) + targets(t2)
    if one_cluster:          # the same two targets as two SVMs of one cluster: the SVM alone keeps them apart
        records = [dict(r, cluster="sanlab") for r in records]
        covered = [dict(t, cluster="sanlab") for t in covered]
    vs = by_map(sj.cross_check(snap, records, array_targets=covered,
                               array_initiators=snap["host"]["initiators"]))
    svm_of = {}
    for truth in (t1, t2):
        for w in wwids(truth).values():
            svm_of[w] = truth["array_luns"][0]["svm"]
    for w in wwids(t2).values():
        assert vs[w]["kind"] == "healthy", vs[w]
    assert vs[wwids(t1)[1]]["kind"] == "healthy"
    assert vs[wwids(t1)[2]]["kind"] == "stale_unmapped", vs[wwids(t1)[2]]
    for lun in set(wwids(t1)) & set(wwids(t2)) - {0}:
        for truth in (t1, t2):
            w = wwids(truth)[lun]
            for p in vs[w]["evidence"]["paths"]:
                assert p["served_by"]["svm"] == svm_of[w]
                # only the serving SVM's record at this LUN id is a candidate: no cross-array "reuse" note
                assert {a["svm"] for a in p.get("array_at_lun") or []} <= {svm_of[w]}, p
                assert "lun_id_reuse_unproven" not in p and "mismatch" not in p, p
    # target1's dead LUN 2: cluster 2 maps another LUN at id 2, which is not a candidate for target1's paths
    for p in vs[wwids(t1)[2]]["evidence"]["paths"]:
        assert p.get("array_at_lun") == [], p


# ------------------------------------------------------------------------------------------------ crafted snapshots
# Hand-made snapshots (no fake sysfs): one iSCSI LU per number n (WWID and serial of ontap_wwid(n)), its sds through
# svm1's target at 127.0.0.1/.2 over the host's IQN, judged against TARGETS read for that IQN.

W1, W2, W9 = ontap_wwid(1), ontap_wwid(2), ontap_wwid(9)
READ = dict(array_targets=TARGETS, array_initiators=[IQN])


def _disk(name, n, lun=None, **kw):
    lun = n if lun is None else lun
    return dict({"name": name, "hctl": "2:0:0:%d" % lun, "lun": lun, "transport": "iscsi", "target_iqn": TARGET,
                 "target_portal": "127.0.0.1:3260", "initiator": IQN, "wwid": ontap_wwid(n),
                 "serial": ontap_serial(n), "state": "running", "map": ontap_wwid(n)}, **kw)


def _path(disk, dm="active", checker="ready"):
    return {"name": disk["name"], "hctl": disk["hctl"], "dm_state": dm, "checker_state": checker,
            "dev_state": disk["state"]}


def _map(name, n, paths, **kw):
    return dict({"name": name, "wwid": ontap_wwid(n), "dm": "dm-%d" % n, "queueing": False, "paths": paths,
                 "probe": {}}, **kw)


def _snap(disks, maps, **host):
    return {"host": dict({"iscsi_iqn": IQN, "initiators": [IQN]}, **host),
            "disks": dict((d["name"], d) for d in disks), "maps": dict((m["wwid"], m) for m in maps)}


def _one_map(states, records, **kw):
    """mpatha (LU 1) over sdb (portal .1) and sdc (portal .2) in these (dm_state, checker_state), judged."""
    sdb, sdc = _disk("sdb", 1), _disk("sdc", 1, target_portal="127.0.0.2:3260")
    paths = [_path(d, *st) for d, st in zip((sdb, sdc), states)]
    return verdict(sj.cross_check(_snap([sdb, sdc], [_map("mpatha", 1, paths)]), records, **dict(READ, **kw)), "mpatha")


UP, DOWN, UNREAD = ("active", "ready"), ("failed", "faulty"), (None, "ready")


@pytest.mark.parametrize("states, records, kind, reason", [
    ((UP, UP), [rec(1, 1)], "healthy", "mapped by the array (/vol/v1/lun1) and all 2 path(s) work"),
    ((UP, DOWN), [rec(1, 1)], "paths_down_but_mapped",
     "the array still maps %s (/vol/v1/lun1) to this host, but 1 of 2 path(s) fail: an outage, not a stale device" % W1),
    ((UNREAD, UNREAD), [rec(1, 1)], "paths_down_but_mapped",
     "the array still maps %s (/vol/v1/lun1) to this host, but 0 of 2 path(s) fail: an outage, not a stale device" % W1),
    ((DOWN, DOWN), [], "stale_unmapped",
     "the array no longer maps WWID %s to this host's initiators (%s) and no path works" % (W1, IQN)),
    ((UP, UP), [], "unexpected_visibility",
     "the array maps WWID %s to none of this host's igroups, yet 2 path(s) work" % W1),
    ((UP, UNREAD), [], "unexpected_visibility", "the array maps WWID %s to none of this host's igroups, yet 1 path(s) "
                                                "work and 1 may (state unknown: not failed by the array's word)" % W1),
    ((UP, DOWN), [], "unexpected_visibility",
     "the array maps WWID %s to none of this host's igroups; 1 path(s) still work, 1 fail" % W1),
    ((UNREAD, DOWN), [], "unexpected_visibility", "the array maps WWID %s to none of this host's igroups; 0 path(s) "
                                                  "still work and 1 may (state unknown: not failed by the array's "
                                                  "word), 1 fail" % W1),
], ids=["healthy", "one-down", "none-read", "stale", "visible", "visible-unread", "visible-one-down",
        "visible-unread-one-down"])
def test_each_verdict_says_what_the_array_maps_and_how_many_paths_work(states, records, kind, reason):
    """Fails when a verdict's kind does not follow from the array's mapping and the paths' states, or its reason does
    not name the WWID, the LUN's path on the array, the initiators, and how many paths work, fail or may work."""
    v = _one_map(states, records)
    assert (v["kind"], v["reason"]) == (kind, reason)
    ev = v["evidence"]
    assert (ev["working_paths"], ev["failed_paths"]) == (states.count(UP), states.count(DOWN))


def test_a_verdict_carries_each_path_and_the_mappings_it_was_judged_on():
    """Fails when a map's verdict loses a path's identity, state, probe, target, portal, serving SVM, refused WWID text
    or the records at its LUN id, the map's dm and queueing, the array's mappings, the SVMs that cover it or the
    counts of working and failed paths."""
    sdb, sdc = _disk("sdb", 1), _disk("sdc", 1, target_portal="127.0.0.2:3260", wwid_refused="odd text")
    probe = {"result": "ready", "serial_live": ontap_serial(1)}
    m = _map("mpatha", 1, [_path(sdb), _path(sdc, *DOWN)], queueing=True, probe={"sdb": probe})
    mapped = dict(rec(1, 1), wwid="naa.600a0980" + W1[len("3600a0980"):])    # the array's own spelling of the WWID
    v = verdict(sj.cross_check(_snap([sdb, sdc], [m]), [mapped, dict(rec(5, 5), wwid=None)], **READ), "mpatha")
    summary = {"cluster": "c1", "svm": "svm1", "path": "/vol/v1/lun1", "serial": ontap_serial(1), "wwid": W1,
               "lun_id": 1, "igroup": "ig_lab", "state": "online"}
    assert v == {
        "object": "map", "name": "mpatha", "wwid": W1, "lun": 1, "kind": "paths_down_but_mapped",
        "reason": "the array still maps %s (/vol/v1/lun1) to this host, but 1 of 2 path(s) fail: an outage, not a "
                  "stale device" % W1,
        "evidence": {
            "dm": "dm-1", "queueing": True, "array_mappings": [summary], "coverage": [{"cluster": "c1", "svm": "svm1"}],
            "working_paths": 1, "failed_paths": 1,
            "paths": [
                {"name": "sdb", "hctl": "2:0:0:1", "lun": 1, "state": "ok", "wwid": W1, "serial": ontap_serial(1),
                 "probe": probe, "target": TARGET, "portal": "127.0.0.1:3260",
                 "served_by": {"cluster": "c1", "svm": "svm1"}, "array_at_lun": [summary]},
                {"name": "sdc", "hctl": "2:0:0:1", "lun": 1, "state": "failed", "wwid": W1,
                 "serial": ontap_serial(1), "wwid_refused": "odd text", "target": TARGET, "portal": "127.0.0.2:3260",
                 "served_by": {"cluster": "c1", "svm": "svm1"}, "array_at_lun": [summary]}]}}
    assert v["evidence"]["paths"][0]["probe"] is not probe      # a copy: the verdict never shares the snapshot's


def test_a_paths_target_is_its_fc_port_and_the_map_covered_by_two_svms_names_both():
    """Fails when an FC path's evidence does not name its target port (with no portal), or a map served by two SVMs
    does not list both as its coverage."""
    fc = dict(_disk("sdf", 1, hctl="5:0:0:1", transport="fc", target_wwpn="0x200500a098000001", initiator=None,
                    host=5), target_iqn=None, target_portal=None)
    other = _disk("sdg", 1, target_iqn=TARGET2, target_portal="127.0.0.3:3260")
    s = _snap([fc, other], [_map("mpatha", 1, [_path(fc), _path(other)])], fc_wwpns=["0x21000024ff3a0b1c"],
              fc_hosts=[{"host": 5, "wwpn": "0x21000024ff3a0b1c"}])
    v = verdict(sj.cross_check(s, [rec(1, 1, protocol="mixed", initiators=(IQN, "21:00:00:24:ff:3a:0b:1c")),
                                   rec(1, 1, protocol="mixed", cluster="c2", svm="svmB")],
                               array_targets=TARGETS2 + TARGETS, array_initiators=["*"]), "mpatha")
    assert v["kind"] == "healthy", v
    assert v["evidence"]["coverage"] == [{"cluster": "c1", "svm": "svm1"}, {"cluster": "c2", "svm": "svmB"}]
    path = v["evidence"]["paths"][0]
    assert path["target"] == "0x200500a098000001" and "portal" not in path
    assert path["served_by"] == {"cluster": "c1", "svm": "svm1"}


def test_the_map_lun_is_its_first_path_that_has_one_and_a_path_without_its_sd_takes_it_from_its_hctl():
    """Fails when a path whose sd is gone does not get its LUN id from its H:C:T:L (or fails on one that has none),
    or the map's LUN is not the first path's that has one."""
    sdb = _disk("sdb", 1)
    paths = [{"name": "sdx", "hctl": "9:0:0:bad", "dm_state": "failed"},
             {"name": "sdy", "hctl": "9:0:0", "dm_state": "failed"}, {"name": "sdz", "dm_state": "failed"},
             _path(sdb), {"name": "sdw", "hctl": "3:0:0:5", "dm_state": "active"}]
    v = verdict(sj.cross_check(_snap([sdb], [_map("mpatha", 1, paths)]), [rec(1, 1)], **READ), "mpatha")
    assert v["lun"] == 1
    assert [(p["name"], p["hctl"], p["lun"]) for p in v["evidence"]["paths"]] == [
        ("sdx", "9:0:0:bad", None), ("sdy", "9:0:0", None), ("sdz", None, None), ("sdb", "2:0:0:1", 1),
        ("sdw", "3:0:0:5", 5)]
    assert v["kind"] == "not_covered"
    assert v["reason"] == (
        "not judged, the array data does not cover it (sdx: target unknown: served by no SVM the array data covers; "
        "sdy: target unknown: served by no SVM the array data covers; sdz: target unknown: served by no SVM the "
        "array data covers; sdw: target unknown: served by no SVM the array data covers); the array maps WWID %s to "
        "this host" % W1)


@pytest.mark.parametrize("change, kw, why", [
    ({"initiator": None}, {}, "sdb: the initiator this path logs in with is unknown (the kernel names none)"),
    ({}, {"array_initiators": ["iqn.other"]},
     "sdb: initiator %s is not one the array truth was read for (iqn.other)" % IQN),
    ({}, {"array_initiators": None}, "sdb: the array truth does not say which initiators its records were read for"),
    ({"target_iqn": TARGET2}, {}, "sdb: target %s is served by no SVM the array data covers" % TARGET2),
], ids=["no-initiator", "other-initiator", "initiators-not-said", "other-target"])
def test_a_path_the_truth_does_not_cover_is_named_with_why(change, kw, why):
    """Fails when a map with a path the truth does not cover is judged, or its reason does not name that path and
    why, and whether the array maps its WWID to this host anyway."""
    sdb = _disk("sdb", 1, **change)
    s = _snap([sdb], [_map("mpatha", 1, [_path(sdb, *DOWN)])])
    for records, mapped in (([rec(1, 1)], "; the array maps WWID %s to this host" % W1), ([], "")):
        v = verdict(sj.cross_check(s, records, **dict(READ, **kw)), "mpatha")
        assert (v["kind"], v["reason"]) == (
            "not_covered", "not judged, the array data does not cover it (%s)%s" % (why, mapped))
        assert v["evidence"]["not_covered"] == [why] and v["evidence"]["coverage"] == []
        assert "served_by" not in v["evidence"]["paths"][0] and "array_at_lun" not in v["evidence"]["paths"][0]


def test_a_map_without_paths_is_not_covered():
    """Fails when a map with no path is judged: nothing says which target serves it."""
    v = verdict(sj.cross_check(_snap([], [_map("mpatha", 1, [])]), [], **READ), "mpatha")
    assert (v["kind"], v["reason"], v["lun"]) == (
        "not_covered", "not judged, the array data does not cover it (no path: nothing says which target serves it)",
        None)


def test_a_wwid_outside_the_arrays_prefixes_or_none_at_all_is_not_judged():
    """Fails when a device without a usable WWID, or one outside the configured prefixes, is judged against the
    array, or its reason does not say which text was refused or which prefixes were configured."""
    plain = dict(_disk("sdf", 1, map=None), wwid=None)
    s = _snap([plain, dict(plain, name="sdg", wwid_refused="3600a0980\n"),
               dict(plain, name="sdh", wwid="naa.5001405\n")], [])
    vs = sj.cross_check(s, [rec(1, 1)], array_wwid_prefixes=("3600A0980", "36001405"), **READ)
    assert [(v["name"], v["kind"], v["reason"]) for v in vs] == [
        ("sdf", "unknown_array", "no usable WWID: not judged against the array"),
        ("sdg", "unknown_array", "no usable WWID (the kernel's text '3600a0980\\n' is not one): not judged against "
                                 "the array"),
        ("sdh", "unknown_array", "WWID 'naa.5001405\\n' starts with none of the configured array prefixes "
                                 "(3600a0980, 36001405)")]
    assert all("array_at_lun" not in v["evidence"]["paths"][0] for v in vs)


def test_the_stale_reason_names_every_initiator_of_the_host():
    """Fails when the initiators a stale_unmapped verdict names miss the host's IQN, its FC ports, its other
    initiators or those its sessions log in with, or when none known is not said."""
    sdb, sdc = _disk("sdb", 1, initiator="iqn.c"), _disk("sdc", 1, initiator="iqn.c")
    s = {"host": {"iscsi_iqn": "IQN.A", "fc_wwpns": ["21:00:00:24:ff:3a:0b:1c"], "initiators": ["iqn.b"]},
         "disks": {"sdb": sdb, "sdc": sdc}, "maps": {W1: _map("mpatha", 1, [_path(sdb, *DOWN), _path(sdc, *DOWN)])}}
    v = verdict(sj.cross_check(s, [], array_targets=TARGETS, array_initiators=["*"]), "mpatha")
    assert v["reason"] == ("the array no longer maps WWID %s to this host's initiators (21000024ff3a0b1c, iqn.a, "
                           "iqn.b, iqn.c) and no path works" % W1)
    fc = dict(_disk("sdf", 1, transport="fc", target_wwpn="0x200500a098000001", initiator=None, host=5, map=None,
                    state="offline"), target_iqn=None)
    s = {"host": {"fc_hosts": [{"host": 5, "wwpn": "0x21000024ff3a0b1c"}]}, "disks": {"sdf": fc}}
    v = verdict(sj.cross_check(s, [], array_targets=TARGETS, array_initiators=["*"]), "sdf", obj="disk")
    assert v["reason"] == ("the array no longer maps WWID %s to this host's initiators (none known) and no path "
                           "works" % W1)


def test_only_the_records_of_the_paths_svm_protocol_igroup_and_lun_id_are_at_its_lun_id():
    """Fails when a record of another LUN id, protocol, cluster or SVM, or of an igroup without the path's
    initiator, counts as what the array maps at the path's LUN id."""
    sdb = _disk("sdb", 1)
    s = _snap([sdb], [_map("mpatha", 1, [_path(sdb)])], initiators=[IQN, "iqn.other-port"])
    at_lun = [rec(1, 1, initiators=(IQN.upper(),)), rec(3, 1, protocol="fcp"), rec(4, 1, svm="svm2"),
              rec(5, 1, cluster="c2"), rec(6, 1, initiators=("iqn.other-port",)), rec(7, 1, initiators=()),
              rec(8, 2)]
    v = verdict(sj.cross_check(s, at_lun, **READ), "mpatha")
    assert [r["path"] for r in v["evidence"]["paths"][0]["array_at_lun"]] == ["/vol/v1/lun1", "/vol/v1/lun7"]
    assert v["kind"] == "healthy"


def _reused(live_b, live_c=None, records=None, sdc_state=UP, **disk):
    """mpatha (LU 1) over sdb and sdc, whose probes answered READY with these live serials; the array maps LU 9 at
    LUN id 1 (records)."""
    sdb, sdc = _disk("sdb", 1, **disk), _disk("sdc", 1, target_portal="127.0.0.2:3260")
    probe = dict((sd, {"result": "ready", "serial_live": live}) for sd, live in (("sdb", live_b), ("sdc", live_c))
                 if live)
    m = _map("mpatha", 1, [_path(sdb), _path(sdc, *sdc_state)], probe=probe)
    s = _snap([sdb, sdc], [m])
    return sj.cross_check(s, [rec(9, 1)] if records is None else records, **READ)


def test_a_live_serial_of_another_lu_says_whose_it_is_and_the_disk_verdict_carries_it():
    """Fails when a path answering with another LU's serial is not a serial_mismatch that says whose serial it is
    (its LUN's path, else its WWID), or the sd's own verdict does not name the path, its map and what the array
    has at its LUN id now."""
    live = ontap_serial(9)
    vs = _reused(live, records=[dict(rec(9, 1), path=None)], wwid=None)
    why = ("live VPD 0x80 serial %r (the host recorded %r) is that of %s, which the array now maps at LUN id 1, but "
           "the host holds this device as WWID %s" % (live, ontap_serial(1), W9, W1))
    v = verdict(vs, "mpatha")
    assert (v["kind"], v["reason"]) == ("unexpected_visibility", (
        "the array maps WWID %s to none of this host's igroups, yet path(s) sdc still work or may (not proven to "
        "reach another LU); LUN id reuse on sdb: %s" % (W1, why)))
    path = v["evidence"]["paths"][0]
    assert (path["mismatch"], path["serial_live"], path["serial_host"]) == (why, live, ontap_serial(1))
    # sdc answers with no serial: what the array maps at LUN id 1 is another LU, which nothing live confirms
    assert v["evidence"]["paths"][1]["lun_id_reuse_unproven"] == (
        "the array maps another LUN at LUN id 1; no live serial differs from the host's record, so no serial_mismatch")
    vs = _reused(live, records=[dict(rec(9, 1), path=None)], wwid=None, sdc_state=("failed", "faulty"))
    v = verdict(vs, "mpatha")
    assert (v["kind"], v["reason"]) == ("serial_mismatch", "LUN id reuse: sdb: %s" % why)
    disk = verdict(vs, "sdb", obj="disk")
    summary = {"cluster": "c1", "svm": "svm1", "path": None, "serial": live, "wwid": W9, "lun_id": 1,
               "igroup": "ig_lab", "state": "online"}
    assert disk == {
        "kind": "serial_mismatch", "object": "disk", "name": "sdb", "wwid": W1, "lun": 1,
        "reason": "path sdb of map mpatha: %s" % why,
        "evidence": {"map": "mpatha", "map_wwid": W1, "hctl": "2:0:0:1", "lun": 1, "sysfs_wwid": None,
                     "sysfs_serial": ontap_serial(1), "path_state": "ok", "array_at_lun": [summary],
                     "probe": {"result": "ready", "serial_live": live}, "array_wwid": W9, "array_serial": live}}
    assert [x["name"] for x in vs if x["object"] == "disk"] == ["sdb"]


def test_a_live_serial_of_no_lu_at_that_lun_id_names_the_luns_mapped_there():
    """Fails when a live serial that is none of the LUs the array maps at the LUN id is not a serial_mismatch naming
    them, or the sd's verdict claims one of them as the array's identity there."""
    vs = _reused("NOSUCHSERIAL", "NOSUCHSERIAL", records=[rec(9, 1, igroup="ig_a"), dict(rec(8, 1), path=None),
                                                          dict(rec(7, 1), path=None, wwid=None)])
    why = ("live VPD 0x80 serial 'NOSUCHSERIAL' (the host recorded %r) is not the serial of /vol/v1/lun9, %s, ?, "
           "which the array maps at LUN id 1" % (ontap_serial(1), ontap_wwid(8)))
    assert verdict(vs, "mpatha")["reason"] == "LUN id reuse: sdb: %s; sdc: %s" % (why, why)
    for sd in ("sdb", "sdc"):
        ev = verdict(vs, sd, obj="disk")["evidence"]
        assert len(ev["array_at_lun"]) == 3 and "array_wwid" not in ev and "array_serial" not in ev


def test_a_live_serial_equal_to_the_recorded_one_is_no_reuse_even_when_sysfs_lost_the_wwid():
    """Fails when a path whose live serial is the one the host recorded counts as reaching another LU because sysfs
    shows no WWID for it (the map's WWID is the device's then)."""
    vs = _reused(ontap_serial(1), ontap_serial(1), wwid=None)
    v = verdict(vs, "mpatha")
    assert v["kind"] == "unexpected_visibility" and "mismatch" not in v["evidence"]["paths"][0]
    assert "lun_id_reuse_unproven" in v["evidence"]["paths"][0]
    # the LU's own serial in ASCII where the host recorded its hex: the array's mapping of this WWID says it is the
    # same LU, so the path carries no live-serial evidence
    v = verdict(_reused(ontap_serial(1), records=[rec(1, 1)], serial=ontap_serial(1).encode().hex()), "mpatha")
    assert v["kind"] == "healthy" and "serial_live" not in v["evidence"]["paths"][0]


def test_a_failed_path_that_answers_ready_may_still_reach_its_own_lu():
    """Fails when a path the kernel failed but whose probe answered READY (with the host's own serial) counts as
    proven dead: with another path reaching another LU the map is then unexpected_visibility, never repaired."""
    vs = _reused(ontap_serial(9), ontap_serial(1), sdc_state=DOWN)
    v = verdict(vs, "mpatha")
    assert v["kind"] == "unexpected_visibility" and "yet path(s) sdc still work or may" in v["reason"], v
    assert [p["state"] for p in v["evidence"]["paths"]] == ["ok", "failed"]


def test_a_plain_sd_is_judged_with_what_uses_it_and_a_reused_one_names_the_arrays_lu():
    """Fails when an sd without a map is not judged (or a map's sd, or a local disk, is), its verdict does not say
    whether and by what it is used (a map's own holder is no user), or a reused one does not name the LU the array
    maps at its LUN id."""
    free = _disk("sdf", 1, map=None, holders=["dm-1"], state="offline")
    used = _disk("sdg", 2, map=None, holders=["dm-1", "dm-7"], mountpoints=["/mnt"])
    reused = _disk("sdh", 1, lun=3, map=None, probe={"result": "ready", "serial_live": ontap_serial(9)})
    gone = _disk("sdi", 4, map=None, probe={"result": "lun_not_supported"})
    sdb = _disk("sdb", 1)
    s = _snap([free, used, reused, gone, sdb, dict(_disk("sda", 4, map=None), transport="sata")],
              [_map("mpatha", 1, [_path(sdb)])])
    vs = sj.cross_check(s, [rec(1, 1), rec(9, 3)], **READ)
    assert [(v["object"], v["name"], v["kind"]) for v in vs] == [
        ("map", "mpatha", "healthy"), ("disk", "sdf", "paths_down_but_mapped"),
        ("disk", "sdg", "unexpected_visibility"), ("disk", "sdh", "serial_mismatch"), ("disk", "sdi", "stale_unmapped")]
    assert vs[1]["evidence"]["in_use"] is False and "usage" not in vs[1]["evidence"]
    assert vs[1]["evidence"]["failed_paths"] == 1 and vs[1]["lun"] == 1
    assert vs[2]["evidence"]["in_use"] is True and vs[2]["evidence"]["paths"][0]["array_at_lun"] == []
    assert vs[2]["evidence"]["usage"]["holders"] == ["dm-7"]
    assert vs[2]["evidence"]["usage"]["mountpoints"] == ["/mnt"]
    assert (vs[3]["evidence"]["array_wwid"], vs[3]["evidence"]["array_serial"]) == (W9, ontap_serial(9))


@pytest.mark.parametrize("state, result, expected", [
    ("running", None, "ok"), ("running", "ready", "ok"), ("running", "not_ready", "ok"),
    ("running", "no_answer", "ok"), ("running", "lun_not_supported", "failed"),
    ("blocked", None, "unknown"), ("blocked", "not_ready", "unknown"), ("blocked", "ready", "unknown"),
    ("blocked", "lun_not_supported", "failed"),
    ("offline", None, "failed"), ("offline", "ready", "failed"), ("offline", "no_answer", "failed"),
    (None, "ready", "ok"), (None, None, "unknown"), (None, "not_ready", "failed"), ("created", "ready", "ok"),
])
def test_a_plain_sds_state_is_the_kernels_word_and_the_arrays(state, result, expected):
    """Fails when a running or blocked sd is failed by anything but the array's word (LU not supported), an offline
    one is not failed, or one whose state is not read is ok without a READY answer."""
    assert sj.disk_state({"state": state}, {"result": result} if result else None) == expected


def test_not_judged_gives_the_truths_reason_to_the_not_covered_verdicts_only():
    """Fails when a truth that covers nothing does not give its own reason to each not_covered verdict, or changes
    another verdict."""
    vs = [{"kind": "not_covered", "reason": "a"}, {"kind": "unknown_array", "reason": "b"}, {"reason": "c"}]
    assert sj.not_judged(vs, "no records") == [
        {"kind": "not_covered", "reason": "no records"}, {"kind": "unknown_array", "reason": "b"}, {"reason": "c"}]


def test_paths_to_probe_are_the_unprobed_paths_of_covered_maps_that_the_array_may_not_map():
    """Fails when a path already probed, a path of a map not covered or of an unknown array, a plain disk, a map gone
    from the snapshot, or a path at whose LUN id the array maps this map's own LU is probed; or when an unprobed path
    of an unexpected_visibility map, or one at whose LUN id the array maps another LU, is not."""
    other, own = [{"wwid": W9}], [{"wwid": W1.upper()}]
    snap = {"maps": {W1: {"probe": {"sdb": {}}}, W2: {}, "3c": {}, "3d": {}}}
    verdicts = [
        {"object": "disk", "wwid": W2, "kind": "unexpected_visibility", "evidence": {"paths": [{"name": "sdj"}]}},
        {"object": "map", "wwid": W1, "kind": "unexpected_visibility", "evidence": {"paths": [
            {"name": "sdb"}, {"name": "sdc"}, {"name": None}]}},
        {"object": "map", "wwid": W2, "kind": "healthy", "evidence": {"paths": [
            {"name": "sdd", "array_at_lun": other}, {"name": "sde", "array_at_lun": [{"wwid": W2}]}, {"name": "sdf"}]}},
        {"object": "map", "wwid": "3c", "kind": "not_covered", "evidence": {"paths": [
            {"name": "sdg", "array_at_lun": other}]}},
        {"object": "map", "wwid": "3d", "kind": "unknown_array", "evidence": {"paths": [
            {"name": "sdh", "array_at_lun": other}]}},
        {"object": "map", "wwid": "3e", "kind": "unexpected_visibility", "evidence": {"paths": [{"name": "sdi"}]}},
        {"object": "map", "wwid": W1, "kind": "paths_down_but_mapped", "evidence": {"paths": [
            {"name": "sdk", "array_at_lun": own}]}},
    ]
    assert sj.paths_to_probe(snap, verdicts) == [(W1, "sdc"), (W2, "sdd")]
    assert sj.paths_to_probe(snap, None) == [] and sj.paths_to_probe({}, verdicts) == []


def test_a_corruption_risk_names_every_user_of_the_device_and_of_its_map_and_what_to_stop():
    """Fails when a corruption risk does not name, for a reused map and for a reused sd and its map, every user but
    a udev worker and the sd's own map, the writers to stop (or that every user named must be stopped), the WWID,
    the LUN id and why; when a map is not found by its name; or when a device that reaches no other LU, or that
    nothing uses, is a risk."""
    postgres, udev, dd = {"pid": 42, "comm": "postgres"}, {"pid": 7, "comm": "(udev-worker)"}, {"pid": 43, "comm": "dd"}
    snap = {
        "maps": {W1: {"name": "mpatha", "dm": "dm-1", "mountpoints": ["/srv/db"], "openers": [postgres, udev]},
                 W2.upper(): {"name": "mpathb", "dm": "dm-2", "swap": True},
                 "3c": {"name": "mpathc", "dm": "dm-3", "mountpoints": ["/srv/c"]}},
        "disks": {"sdb": {"map": "mpatha", "holders": ["dm-1"], "openers": [dd]},
                  "sdc": {"map": None, "holders": ["dm-1"]}, "sdf": {"map": None, "mountpoints": ["/mnt"]}},
        "verdicts": [
            {"object": "map", "name": "mpathc", "wwid": "3c", "lun": 3, "kind": "healthy", "reason": "r4",
             "evidence": {"paths": [{"name": "sdd"}]}},
            {"object": "disk", "name": "sdc", "wwid": "3g", "lun": 7, "kind": "serial_mismatch", "reason": "r6"},
            {"object": "map", "name": "mpatha", "wwid": W1, "lun": 1, "kind": "serial_mismatch", "reason": "r1",
             "evidence": {"paths": []}},
            {"object": "disk", "name": "sdb", "wwid": W1, "lun": 1, "kind": "serial_mismatch", "reason": "r2"},
            {"object": "map", "name": "mpathb", "wwid": W2, "lun": 2, "kind": "unexpected_visibility", "reason": "r3",
             "evidence": {"paths": [{"mismatch": None}, {"mismatch": "reaches LU 9"}]}},
            {"object": "disk", "name": "sdf", "wwid": "3f", "lun": 6, "kind": "paths_down_but_mapped", "reason": "r5"},
            {"object": "disk", "name": "sdz", "wwid": "3h", "lun": 8, "kind": "serial_mismatch", "reason": "r7"},
        ]}
    tail = ("Writes to it may land on another host's data. Stop %s now, unmount / deactivate what holds it, then let "
            "the serial_mismatch repair remove and rescan it (remediate).")
    mpatha = "map mpatha: mounted at /srv/db; open by pid 42 (postgres)"
    assert sj.corruption_risks(snap) == [
        {"object": "map", "name": "mpatha", "wwid": W1, "lun": 1, "users": [mpatha], "openers": [postgres],
         "msg": "CORRUPTION RISK: map mpatha (WWID %s, LUN id 1) now reaches another LU: r1. It is IN USE - %s. %s"
                % (W1, mpatha, tail % "the writers (pid 42 (postgres))")},
        {"object": "disk", "name": "sdb", "wwid": W1, "lun": 1,
         "users": ["disk sdb: open by pid 43 (dd)", "its " + mpatha], "openers": [dd, postgres],
         "msg": "CORRUPTION RISK: disk sdb (WWID %s, LUN id 1) now reaches another LU: r2. It is IN USE - disk sdb: "
                "open by pid 43 (dd) | its %s. %s" % (W1, mpatha, tail % "the writers (pid 43 (dd), pid 42 (postgres))")},
        {"object": "map", "name": "mpathb", "wwid": W2, "lun": 2, "users": ["map mpathb: used as swap"], "openers": [],
         "msg": "CORRUPTION RISK: map mpathb (WWID %s, LUN id 2) now reaches another LU: r3. It is IN USE - map "
                "mpathb: used as swap. %s" % (W2, tail % "every user named here")}]


def test_a_mapping_without_its_luns_path_is_shown_as_unknown_and_svms_sort_whatever_their_names():
    """Fails when a verdict on a mapping whose record names no LUN path does not show it as '?', or the SVMs that
    cover a map cannot be sorted when one has no cluster name."""
    assert _one_map((UP, UP), [dict(rec(1, 1), path=None)])["reason"] == "mapped by the array (?) and all 2 path(s) work"
    assert _one_map((UP, UP), [rec(1, 1), dict(rec(1, 1), path=None)])["reason"] == (
        "mapped by the array (/vol/v1/lun1, ?) and all 2 path(s) work")
    assert _one_map((UP, DOWN), [dict(rec(1, 1), path=None)])["reason"] == (
        "the array still maps %s (?) to this host, but 1 of 2 path(s) fail: an outage, not a stale device" % W1)
    assert _one_map((UP, DOWN), [rec(1, 1), dict(rec(1, 1), path=None)])["reason"] == (
        "the array still maps %s (/vol/v1/lun1, ?) to this host, but 1 of 2 path(s) fail: an outage, not a stale "
        "device" % W1)
    sdb, sdg = _disk("sdb", 1), _disk("sdg", 1, target_iqn=TARGET2, target_portal="127.0.0.3:3260")
    s = _snap([sdb, sdg], [_map("mpatha", 1, [_path(sdb), _path(sdg)])])
    v = verdict(sj.cross_check(s, [rec(1, 1), rec(1, 1, cluster=None, svm="svmB")],
                               array_targets=TARGETS + [dict(TARGETS2[0], cluster=None)], array_initiators=[IQN]),
                "mpatha")
    assert v["kind"] == "healthy"
    assert v["evidence"]["coverage"] == [{"cluster": "c1", "svm": "svm1"}, {"cluster": None, "svm": "svmB"}]


def test_a_rescanned_path_whose_sysfs_holds_the_new_lu_gives_an_sd_verdict_of_that_lus_wwid():
    """Fails when a path whose sysfs already holds the new LU's WWID and serial (a rescan), answering live with that
    serial, is not a mismatch naming the LU's path on the array, or its sd's verdict does not carry the WWID and
    serial sysfs holds (not its map's)."""
    live = ontap_serial(9)
    vs = _reused(live, records=[rec(9, 1)], sdc_state=DOWN, wwid=W9, serial=live)
    why = ("live VPD 0x80 serial %r (the host recorded %r) is that of /vol/v1/lun9, which the array now maps at LUN "
           "id 1, but the host holds this device as WWID %s" % (live, live, W1))
    assert verdict(vs, "mpatha")["reason"] == "LUN id reuse: sdb: %s" % why
    disk = verdict(vs, "sdb", obj="disk")
    assert (disk["wwid"], disk["evidence"]["sysfs_wwid"], disk["evidence"]["sysfs_serial"]) == (W9, W9, live)


def test_the_unexpected_visibility_of_a_reused_map_names_every_path_of_each_kind():
    """Fails when an unmapped map with paths reaching another LU and paths that may reach its own does not name each
    of them."""
    disks = [_disk(sd, 1) for sd in ("sdb", "sdc", "sdd", "sde")]
    probe = dict((d["name"], {"result": "ready", "serial_live": ontap_serial(9 if d["name"] < "sdd" else 1)})
                 for d in disks)
    s = _snap(disks, [_map("mpatha", 1, [_path(d) for d in disks], probe=probe)])
    v = verdict(sj.cross_check(s, [rec(9, 1)], **READ), "mpatha")
    why = ("live VPD 0x80 serial %r (the host recorded %r) is that of /vol/v1/lun9, which the array now maps at LUN "
           "id 1, but the host holds this device as WWID %s" % (ontap_serial(9), ontap_serial(1), W1))
    assert v["reason"] == ("the array maps WWID %s to none of this host's igroups, yet path(s) sdd, sde still work or "
                           "may (not proven to reach another LU); LUN id reuse on sdb: %s; sdc: %s" % (W1, why, why))


def test_the_arrays_word_on_a_probe_fails_a_path_the_kernel_keeps_active():
    """Fails when a map path's probe is not part of its state: LOGICAL UNIT NOT SUPPORTED on every active path makes
    the unmapped map stale, where the same paths without that answer keep it visible."""
    sdb, sdc = _disk("sdb", 1), _disk("sdc", 1, target_portal="127.0.0.2:3260")
    gone = {"result": "lun_not_supported"}
    for probe, kind in (({}, "unexpected_visibility"), ({"sdb": gone, "sdc": gone}, "stale_unmapped")):
        s = _snap([sdb, sdc], [_map("mpatha", 1, [_path(sdb), _path(sdc)], probe=probe)])
        assert verdict(sj.cross_check(s, [], **READ), "mpatha")["kind"] == kind


def test_a_corruption_risk_is_judged_on_the_map_its_wwid_names_before_one_found_by_name():
    """Fails when a map's risk is judged on the map found by its name where the snapshot has the map under the
    verdict's WWID: another map of that name (its users, not the reused map's) would decide whether it is a risk."""
    snap = {"maps": {W1: {"name": "mpatha", "dm": "dm-1", "mountpoints": ["/srv/db"]}, W2: {"name": "mpatha", "dm": "dm-2"}},
            "disks": {}, "verdicts": [{"object": "map", "name": "mpatha", "wwid": W1, "lun": 1, "kind": "serial_mismatch",
                                       "reason": "r1", "evidence": {"paths": []}}]}
    assert [r["users"] for r in sj.corruption_risks(snap)] == [["map mpatha: mounted at /srv/db"]]


def test_each_reused_path_of_a_map_gets_its_sd_verdict_after_a_path_that_is_not():
    """Fails when the sd verdicts of a reused map stop at its first path that reaches no other LU: the reused path
    after it gets no serial_mismatch verdict of its own, so its sd is never repaired."""
    sdb, sdc = _disk("sdb", 1), _disk("sdc", 1, target_portal="127.0.0.2:3260")
    m = _map("mpatha", 1, [_path(sdb, *DOWN), _path(sdc)], probe={"sdc": {"result": "ready", "serial_live": ontap_serial(9)}})
    vs = sj.cross_check(_snap([sdb, sdc], [m]), [rec(9, 1)], **READ)
    assert verdict(vs, "mpatha")["kind"] == "serial_mismatch"
    assert [(x["kind"], x["name"]) for x in vs if x["object"] == "disk"] == [("serial_mismatch", "sdc")]
