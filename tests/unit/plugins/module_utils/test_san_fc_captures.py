# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readers, the judge and the rescan planner on real FC sysfs trees (tests/lab/capture.py fc_*).

The lab's FC fabric is FCoE VN2VN inside the guest (docs/lab.md, "Fibre Channel"): two initiator ports
(fabrics a and b), two LIO tcm_fc target ports, NETAPP LUNs 1 and 2 as 2-path maps (one path per rport), next
to the iSCSI baseline. The target ports are fc_hosts of the same kernel (a lab artefact: they log no LUN in).
truth.json["fc"] is the FC target in the shape of the array truth: SVM svm_sanlab_fc, FC igroup of the initiator
WWPNs, `fc_wwpns` = the target port WWPNs (the FC LIFs).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import verdicts as sj
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import disks as plan_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import normalize_initiator
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    load_captured)

_SNAPS = {}


def fc_snap_of(scenario):
    """(snapshot, truth, reader) of a capture, built once per run."""
    if scenario not in _SNAPS:
        reader, truth = load_captured(scenario)
        _SNAPS[scenario] = (reader.snapshot(probe=True), truth, reader)
    return _SNAPS[scenario]


def fc_targets(fc, wwpns=None):
    """array_targets of the FC SVM as ontap_truth returns them (its FC LIF WWPNs), optionally only some LIFs."""
    return [{"cluster": fc["cluster"], "svm": fc["svm"], "iscsi_target_names": [], "iscsi_addresses": [],
             "fc_wwpns": list(fc["fc_wwpns"] if wwpns is None else wwpns)}]


def judge(snap, fc, targets):
    """The cross-check against the FC SVM's truth, read for the initiator ports' WWPNs (what ontap_truth names)."""
    return sj.cross_check(snap, fc["array_luns"], array_targets=targets, array_initiators=fc["initiator_wwpns"])


def by_map(verdicts):
    return dict((v["name"], v) for v in verdicts if v["object"] == "map")


def fc_disks(snap):
    return dict((n, d) for n, d in snap["disks"].items() if d["transport"] == "fc")


def norm(values):
    return set(normalize_initiator(v) for v in values)


@pytest.mark.parametrize("scenario", ["fc_healthy", "fc_unmapped", "fc_rport_blocked", "fc_two_targets"])
def test_fc_disks_are_read_from_the_rport_tree(scenario):
    """Every sd below an rport is an FC disk whose target WWPN is the rport's port_name and whose initiator is
    its fc_host's WWPN; each of the FC target's maps has one path per fabric."""
    snap, truth, _reader = fc_snap_of(scenario)
    fc = truth["fc"]
    disks = fc_disks(snap)
    want = dict((d["name"], d) for d in fc["disks"])
    if "fc_target2" in truth:
        want.update((d["name"], d) for d in truth["fc_target2"]["disks"])
    assert set(disks) == set(want)
    hosts = dict((h["host"], h["wwpn"]) for h in fc["fc_hosts"])
    for name, d in disks.items():
        assert d["hctl"] == want[name]["hctl"]
        assert normalize_initiator(d["target_wwpn"]) == normalize_initiator(want[name]["target_wwpn"])
        if d["host"] in hosts:
            assert normalize_initiator(d["initiator"]) == normalize_initiator(hosts[d["host"]])
    for lun, wwid in fc["mapped"].items():
        m = snap["maps"].get(wwid)
        if m is None:
            continue
        targets = set(normalize_initiator(disks[p["name"]]["target_wwpn"]) for p in m["paths"])
        assert targets == norm(fc["fc_wwpns"]), (lun, targets)


def test_initiators_come_from_fc_host():
    snap, truth, _reader = fc_snap_of("fc_healthy")
    host = snap["host"]
    assert norm(truth["fc"]["initiator_wwpns"]) <= norm(host["fc_wwpns"])
    assert norm(truth["fc"]["initiator_wwpns"]) <= norm(host["initiators"])
    assert all(h["port_state"] == "Online" for h in host["fc_hosts"])
    # lab artefact: the target ports are fc_hosts of the same kernel; they are listed too (docs/lab.md)
    assert norm(host["fc_wwpns"]) == norm(truth["fc"]["initiator_wwpns"] + truth["fc"]["fc_wwpns"])


def test_healthy_fc_maps_are_healthy_against_the_fc_svm():
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
    snap, truth, _reader = fc_snap_of("fc_two_targets")
    fc, fc2 = truth["fc"], truth["fc_target2"]
    vs = by_map(judge(snap, fc, fc_targets(fc)))
    for wwid in fc2["mapped"].values():
        assert vs[wwid]["kind"] == "not_covered", vs[wwid]
        assert "target %s is served by no SVM" % fc2["disks"][0]["target_wwpn"] in vs[wwid]["reason"] or \
            "served by no SVM" in vs[wwid]["reason"], vs[wwid]
    gone = [lu["wwid"] for lu in fc["lus"] if not lu["mapped"]][0]
    assert vs[gone]["kind"] == "stale_unmapped", vs[gone]


def test_exact_lun_rescan_is_addressed_to_the_rports_channel_and_target():
    snap, truth, reader = fc_snap_of("fc_healthy")
    sys_root = os.path.join(reader.root, "sys")
    for r in truth["fc"]["rports"]:
        info = obs_reread.read_scsi_host(sys_root, r["host"])
        want = "%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"])
        assert info == {"host": r["host"], "transport": "fc", "targets": [want],
                        "target_ports": {want: [r["port_name"]]}}, info
        steps = plan_disks.plan_rescan(hctl=want + ":7", host_info=info, existing=None)
        assert steps[0]["action"] == "scan_exact_lun" and steps[0]["expect"]["target_wwpn"] == r["port_name"]
        assert "write '%d %s 7' to /sys/class/scsi_host/host%d/scan" % (
            r["channel"], r["scsi_target_id"], r["host"]) in steps[0]["reason"]
    # the target-side fc_hosts have no SCSI target: nothing there can be scanned
    for h in truth["fc"]["fc_hosts"]:
        if h["role"] == "target":
            info = obs_reread.read_scsi_host(sys_root, h["host"])
            assert info["transport"] == "fc" and info["targets"] == [] and info["target_ports"] == {}
            with pytest.raises(Refused):
                plan_disks.plan_rescan(hctl="%d:0:0:1" % h["host"], host_info=info, existing=None)


@pytest.mark.parametrize("scenario", ["fc_healthy", "fc_rport_blocked"])
def test_an_online_rport_stays_scannable_after_its_last_lun_went(scenario, tmp_path):
    """The kernel removes targetH:C:T with its last sd (seen in the lab: the only LUNs behind an rport reused and
    deleted, then the exact rescan refused "target gone"). The rport keeps its channel and scsi_target_id and the
    kernel's FC scan reaches it while it is Online: the target stays addressable. A Blocked rport is not."""
    import shutil
    _snap, truth, reader = fc_snap_of(scenario)
    root = str(tmp_path / "root")
    shutil.copytree(reader.root, root, symlinks=True)
    sys_root = os.path.join(root, "sys")
    for r in truth["fc"]["rports"]:
        # .../hostH/rport-H:C-R/fc_remote_ports/rport-H:C-R -> .../hostH/rport-H:C-R/targetH:C:T
        rport_dir = os.path.realpath(os.path.join(sys_root, "class", "fc_remote_ports", r["rport"]))
        target_dir = os.path.join(os.path.dirname(os.path.dirname(rport_dir)),
                                  "target%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"]))
        assert os.path.isdir(target_dir), target_dir
        shutil.rmtree(target_dir)
        info = obs_reread.read_scsi_host(sys_root, r["host"])
        want = "%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"])
        if r["port_state"] == "Online":
            assert info["targets"] == [want], info
            steps = plan_disks.plan_rescan(hctl=want + ":1", host_info=info, existing=None)
            assert steps[0]["action"] == "scan_exact_lun" and steps[0]["target"] == want + ":1"
        else:
            assert info["targets"] == [], info
            with pytest.raises(Refused):
                plan_disks.plan_rescan(hctl=want + ":1", host_info=info, existing=None)


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


def test_a_marginal_rport_is_read_as_working_never_as_dead_or_gone(tmp_path):
    """Marginal (the fabric reported a degraded link, FPIN: the rport still carries I/O) on every rport of the
    captured healthy fabric: the maps stay healthy against the array, nothing is stale or repaired, the FC
    audit does not report the rports down, and their targets stay exact-scan targets."""
    import shutil
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import fc_audit
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
        CapturedRun, inline_call)
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr
    _snap, truth, reader = fc_snap_of("fc_healthy")
    root = str(tmp_path / "root")
    shutil.copytree(reader.root, root, symlinks=True)
    for r in truth["fc"]["rports"]:
        with open(os.path.join(root, "sys", "class", "fc_remote_ports", r["rport"], "port_state"), "w") as fh:
            fh.write("Marginal\n")
    marginal = sr.Host(root=root, run=CapturedRun(os.path.join(os.path.dirname(reader.root), "commands")),
                       call=inline_call).snapshot(probe=True)
    rports = dict((r["rport"], r["port_state"]) for r in marginal["host"]["fc_rports"])
    assert set(rports[r["rport"]] for r in truth["fc"]["rports"]) == {"Marginal"}
    fc = truth["fc"]
    vs = by_map(judge(marginal, fc, fc_targets(fc)))
    for wwid in fc["mapped"].values():
        assert vs[wwid]["kind"] == "healthy", vs[wwid]
    assert [f for f in fc_audit.judge(marginal) if f["check"] == "rport_down_with_devices"] == []
    for r in fc["rports"]:
        info = obs_reread.read_scsi_host(os.path.join(root, "sys"), r["host"])
        assert info["targets"] == ["%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"])], info
