# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of san_judge: snapshots come from san_read over SanTree fixture trees (the real pipeline)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import verdicts as sj
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import coverage as judge_coverage
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    IQN, TARGET, healthy_lab, ontap_serial, ontap_wwid)

TARGET2 = "iqn.1992-08.com.netapp:sn.cluster2:vs.7"
FC_TARGET = "0x200500a098000001"
# the SVM of rec() as the array truth's target identities: what the records cover
TARGETS = [{"cluster": "c1", "svm": "svm1", "iscsi_target_names": [TARGET],
            "iscsi_addresses": ["127.0.0.1", "127.0.0.2"],
            "fc_wwpns": ["20:05:00:a0:98:00:00:01"]}]
TARGETS2 = [{"cluster": "c2", "svm": "svmB", "iscsi_target_names": [TARGET2],
             "iscsi_addresses": ["127.0.0.3", "127.0.0.4"],
             "fc_wwpns": []}]


def check(snap, records, **kw):
    """cross_check with the records' SVM as the covered targets and the host's initiators as those the records
    were read for, as the roles ask the lookup (unless the test says otherwise)."""
    kw.setdefault("array_targets", TARGETS)
    kw.setdefault("array_initiators", (snap.get("host") or {}).get("initiators"))
    return sj.cross_check(snap, records, **kw)


LNS = ("test unit ready:\nFixed format, current; Sense key: Illegal Request\n"
       "Additional sense: Logical unit not supported\n")
FAILED = ("F", "faulty", "running")


def rec(n, lun_id, initiators=(IQN,), igroup="ig_lab", protocol="iscsi", path=None, cluster="c1", svm="svm1"):
    serial = ontap_serial(n)
    return {"cluster": cluster, "svm": svm, "path": path or "/vol/v1/lun%d" % n, "uuid": "u%d" % n,
            "serial": serial, "serial_hex": serial.encode().hex(), "wwid": ontap_wwid(n), "lun_id": lun_id,
            "igroup": igroup, "igroup_protocol": protocol, "igroup_os_type": "linux",
            "igroup_initiators": list(initiators), "state": "online", "size_bytes": 1 << 30}


def snap_of(tmp_path, paths_state=None, probes=None, setup=None, probe=True):
    t = healthy_lab(tmp_path)
    if setup:
        setup(t)
    t.commands(paths_state=paths_state)
    for sd, (rc, err) in (probes or {}).items():
        t.run.set(["sg_turs", "-v", sd], "", rc=rc, stderr=err)
        t.run.set(["sg_inq", sd], "", rc=5 if rc else 0, stderr="sg_inq failed: Illegal request\n" if rc else "")
    return t.reader().snapshot(probe=probe)


def kinds(items, obj=None):
    return sorted((i["kind"], i["object"], i["name"]) for i in items if obj is None or i["object"] == obj)


# ------------------------------------------------------------------------------------------------ host findings


def test_healthy_host_has_no_findings(tmp_path):
    assert judge_findings.host_findings(snap_of(tmp_path)) == []


def test_all_paths_failed_with_probe_evidence_never_says_stale(tmp_path):
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    f = judge_findings.host_findings(s)
    assert kinds(f) == [("all_paths_failed", "map", ontap_wwid(1))]
    ev = f[0]["evidence"]["paths"]
    assert [(p["name"], p["dm_state"], p["checker_state"], p["probe"]["result"]) for p in ev] == [
        ("sdb", "failed", "faulty", "lun_not_supported"), ("sdd", "failed", "faulty", "lun_not_supported")]
    assert "stale" not in f[0]["reason"].lower()
    assert f[0]["wwid"] == ontap_wwid(1)


def test_some_paths_failed(tmp_path):
    s = snap_of(tmp_path, {"sdd": FAILED}, {"sdd": (0, "test unit ready: transport: Host_status=0x01 "
                                                       "[DID_NO_CONNECT]\n"), "sdb": (0, "")})
    f = judge_findings.host_findings(s)
    assert kinds(f) == [("some_paths_failed", "map", ontap_wwid(1))]
    by = dict((p["name"], p) for p in f[0]["evidence"]["paths"])
    assert by["sdd"]["state"] == "failed" and by["sdd"]["probe"]["result"] == "no_answer"
    assert by["sdb"]["state"] == "ok"
    assert "1 of 2" in f[0]["reason"]


def test_kernel_failed_path_counts_even_if_checker_says_ready():
    # multipathd's view runs ahead of the kernel table (lab finding 11); the kernel wins
    snap = {"maps": {"w": {"name": "w", "wwid": "w", "paths": [
        {"name": "sdb", "dm_state": "failed", "checker_state": "ready", "dev_state": "running"},
        {"name": "sdc", "dm_state": "active", "checker_state": "ready", "dev_state": "running"}]}}, "disks": {}}
    assert [f["kind"] for f in judge_findings.host_findings(snap)] == ["some_paths_failed"]


def test_an_offline_device_under_an_active_kernel_path_is_unknown_not_failed():
    """The kernel path is active: only the array's word (LU not supported) fails it. An sd state the kernel has
    not acted on yet is unknown (named in the reasons); with that word the path is failed."""
    path = {"name": "sdb", "dm_state": "active", "checker_state": None, "dev_state": "offline"}
    snap = {"maps": {"w": {"name": "w", "wwid": "w", "paths": [path]}}, "disks": {}}
    assert judge_findings.host_findings(snap) == []
    state, reasons = judge_findings.path_state(path)
    assert state == "unknown" and "device offline" in reasons
    assert judge_findings.path_state(path, {"result": "lun_not_supported"})[0] == "failed"


def test_ghost_map(tmp_path):
    def setup(t):
        t.dm("dm-5", "253:5", ontap_wwid(5), "mpath-" + ontap_wwid(5))
    f = judge_findings.host_findings(snap_of(tmp_path, setup=setup))
    assert kinds(f) == [("ghost_map", "map", ontap_wwid(5))]


def test_orphan_path_and_in_use_disk(tmp_path):
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
        t.disk("sdg", "2:0:0:4", "8:96", session=1, wwid="naa." + ontap_wwid(4)[1:])
        t.mount("8:96", "/mnt/raw", "/dev/sdg")
    f = judge_findings.host_findings(snap_of(tmp_path, setup=setup, probe=False))
    assert kinds(f) == [("in_use", "disk", "sdg"), ("orphan_path", "disk", "sdf")]
    orphan = [x for x in f if x["kind"] == "orphan_path"][0]
    assert orphan["evidence"]["hctl"] == "2:0:0:3" and orphan["evidence"]["transport"] == "iscsi"
    # the local ATA disk sda is neither
    assert "sda" not in [x["name"] for x in f]


def test_in_use_map_names_mount_holder_and_opener(tmp_path):
    def setup(t):
        t.dm("dm-2", "253:2", "vg-lv", "LVM-abc")
        t.hold("dm-0", "dm-2")
        t.mount("253:2", "/srv/db", "/dev/mapper/vg-lv")
        t.proc(900, "postgres", fds=["/dev/dm-2"])
        t.proc(901, "(udev-worker)", fds=["/dev/dm-1"])
    f = judge_findings.host_findings(snap_of(tmp_path, setup=setup, probe=False))
    in_use = dict((x["name"], x) for x in f if x["kind"] == "in_use")
    m1 = in_use[ontap_wwid(1)]
    assert "mounted at /srv/db" in m1["reason"] and "held by dm-2" in m1["reason"]
    assert "pid 900 (postgres) via dm-2" in m1["reason"]
    assert m1["evidence"]["holders"] == ["dm-2"] and m1["evidence"]["only_transient_openers"] is False
    m2 = in_use[ontap_wwid(2)]
    assert m2["evidence"]["only_transient_openers"] is True
    assert "udev worker" in m2["reason"]


def test_multipathd_alone_does_not_make_in_use(tmp_path):
    f = judge_findings.host_findings(snap_of(tmp_path, probe=False))
    assert not [x for x in f if x["kind"] == "in_use"]


# ------------------------------------------------------------------------------------------------ cross-check


def verdict(vs, name, obj="map"):
    found = [v for v in vs if v["name"] == name and v["object"] == obj]
    assert len(found) == 1, vs
    return found[0]


def test_healthy_cross_check(tmp_path):
    vs = check(snap_of(tmp_path), [rec(1, 1), rec(2, 2)])
    assert kinds(vs) == [("healthy", "map", ontap_wwid(1)), ("healthy", "map", ontap_wwid(2))]
    v = verdict(vs, ontap_wwid(1))
    assert v["lun"] == 1 and v["evidence"]["array_mappings"][0]["path"] == "/vol/v1/lun1"


def test_unmapped_lun_is_stale_unmapped(tmp_path):
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    vs = check(s, [rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "stale_unmapped"
    assert v["evidence"]["failed_paths"] == 2 and v["evidence"]["array_mappings"] == []
    assert [p["probe"]["result"] for p in v["evidence"]["paths"]] == ["lun_not_supported"] * 2
    assert verdict(vs, ontap_wwid(2))["kind"] == "healthy"


def test_outage_of_a_mapped_lun_is_never_stale(tmp_path):
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED},
                {"sdb": (0, "Host_status=0x01 [DID_NO_CONNECT]\n"), "sdd": (0, "Host_status=0x01 [DID_NO_CONNECT]\n")})
    v = verdict(check(s, [rec(1, 1), rec(2, 2)]), ontap_wwid(1))
    assert v["kind"] == "paths_down_but_mapped"
    assert "outage" in v["reason"]


def test_one_path_down_but_mapped(tmp_path):
    s = snap_of(tmp_path, {"sdd": FAILED}, {"sdd": (0, "Host_status=0x0f [DID_TRANSPORT_FAILFAST]\n"),
                                            "sdb": (0, "")})
    v = verdict(check(s, [rec(1, 1), rec(2, 2)]), ontap_wwid(1))
    assert v["kind"] == "paths_down_but_mapped"
    assert (v["evidence"]["working_paths"], v["evidence"]["failed_paths"]) == (1, 1)


def probe_live(t, snap, wwid, live, sds=("sdb", "sdd")):
    """Probe a healthy map's paths the way stale_mpath_facts does once the array truth is known (live VPD 0x80)."""
    for sd in sds:
        t.run.set(["sg_turs", "-v", sd], "")
        t.run.set(["sg_inq", sd], "standard INQUIRY:\n  PQual=0  PDT=0  RMB=0\n")
        t.run.set(["sg_inq", "-p", "0x80", "-r", sd], "\x00\ufffd\x00\x19" + live)
        snap["maps"][wwid]["probe"][sd] = t.reader().probe_path(sd)
    return snap


def test_cached_sysfs_identity_alone_never_gives_serial_mismatch(tmp_path):
    # The array maps another LU at LUN id 1; the host's map (WWID 1) is healthy and was not probed. Without live
    # evidence this is no serial_mismatch (two arrays both exporting LUN 1 look the same), only unexpected visibility.
    vs = check(snap_of(tmp_path), [rec(9, 1), rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "unexpected_visibility"
    assert all("lun_id_reuse_unproven" in p for p in v["evidence"]["paths"])
    assert [x for x in vs if x["object"] == "disk"] == []


def test_lun_id_reuse_with_live_serial_gives_map_and_disk_verdicts(tmp_path):
    # lab finding 6: LUN 1 now maps another LU (n=9); the old map's paths came back active ready; the live VPD 0x80
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
    t = healthy_lab(tmp_path)
    t.commands()
    s = probe_live(t, t.reader().snapshot(), ontap_wwid(1), "0" + ontap_serial(1).encode().hex())
    assert verdict(check(s, [rec(9, 1), rec(2, 2)]), ontap_wwid(1))["kind"] == "unexpected_visibility"


def test_lun_id_reuse_by_live_serial(tmp_path):
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
    # the array maps LUN 2 to no igroup of this host, yet its paths work (e.g. the LIO LUN 0 trap)
    vs = check(snap_of(tmp_path), [rec(1, 1), rec(2, 2, initiators=["iqn.other:host"])])
    assert verdict(vs, ontap_wwid(2))["kind"] == "unexpected_visibility"
    assert verdict(vs, ontap_wwid(1))["kind"] == "healthy"


def test_unknown_array(tmp_path):
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
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
        t.disk("sdg", "2:0:0:4", "8:96", session=1, wwid="naa." + ontap_wwid(4)[1:], state="offline")
    s = snap_of(tmp_path, setup=setup, probe=False)
    vs = check(s, [rec(1, 1), rec(2, 2), rec(3, 3)])
    assert verdict(vs, "sdf", obj="disk")["kind"] == "healthy"
    assert verdict(vs, "sdg", obj="disk")["kind"] == "stale_unmapped"
    assert "sda" not in [v["name"] for v in vs]


def test_records_for_other_hosts_do_not_count(tmp_path):
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    vs = check(s, [rec(1, 1, initiators=["iqn.1998-01.com.vmware:other"]), rec(2, 2)])
    assert verdict(vs, ontap_wwid(1))["kind"] == "stale_unmapped"


def test_fc_initiator_matching_ignores_wwpn_format():
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


@pytest.mark.parametrize("observed,expected", [
    ("80AbCdEfGh01", True), ("3830416243644566476830 31".replace(" ", ""), True),
    ("0" + "80AbCdEfGh01".encode().hex(), True), ("80AbCdEfGh02", False), (None, None)])
def test_serial_matches(observed, expected):
    r = rec(1, 1)
    assert judge_coverage.serial_matches(observed, r["serial"], r.get("serial_hex")) is expected


def test_every_verdict_has_evidence_and_reason(tmp_path):
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    for v in check(s, [rec(2, 2)]) + judge_findings.host_findings(s):
        assert v["reason"] and isinstance(v["evidence"], dict) and v["evidence"]


# ------------------------------------------------------------------------------------------------ captured lab trees

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (  # noqa: E402
    load_captured)


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
    snap, truth, findings, verdicts = captured("healthy")
    assert [f for f in findings if f["kind"] != "in_use"] == []
    for r in truth["array_luns"]:
        assert verdict(verdicts, r["wwid"])["kind"] == "healthy"
    # the LIO LUN 0 placeholder is no NetApp LUN
    assert verdict(verdicts, truth["mapped"]["0"])["kind"] == "unknown_array"


def test_captured_unmapped():
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
    snap, truth, findings, verdicts = captured("portal_cut")
    for r in truth["array_luns"]:
        f = [x for x in findings if x["name"] == r["wwid"]]
        assert [x["kind"] for x in f] == ["some_paths_failed"], f
        failed = [p for p in f[0]["evidence"]["paths"] if p["state"] == "failed"]
        assert len(failed) == 1 and failed[0]["probe"]["result"] != "lun_not_supported"
        assert verdict(verdicts, r["wwid"])["kind"] == "paths_down_but_mapped"


def test_captured_orphan():
    snap, truth, findings, verdicts = captured("orphan")
    orphans = [f for f in findings if f["kind"] == "orphan_path"]
    assert len(orphans) == 2 and set(f["wwid"] for f in orphans) == set([truth["mapped"]["3"]])
    for f in orphans:
        assert snap["disks"][f["name"]]["lun"] == 3
        assert verdict(verdicts, f["name"], obj="disk")["kind"] == "healthy"


def test_captured_mounted():
    snap, truth, findings, verdicts = captured("mounted")
    wwid = truth["mapped"]["1"]
    assert snap["maps"][wwid]["mountpoints"] == ["/mnt/lab1"]
    f = [x for x in findings if x["kind"] == "in_use" and x["name"] == wwid]
    assert len(f) == 1 and "/mnt/lab1" in f[0]["reason"]
    assert verdict(verdicts, wwid)["kind"] == "healthy"


# ------------------------------------------------------------------------------------------------ coverage
# Two-target hosts: the lab target (cluster c1, svm1, LUN 1 and 2) and a second array target standing for a second
# cluster (c2, svmB) exporting its own LUN 1 (WWID 21) over two more sessions.


def two_target_lab(tmp_path, paths_state=None, queueing=None):
    t = healthy_lab(tmp_path)
    t.iscsi_session(3, 4, "127.0.0.3", target=TARGET2)
    t.iscsi_session(4, 5, "127.0.0.4", target=TARGET2)
    for name, hctl, dev, sess in (("sdf", "4:0:0:1", "8:80", 3), ("sdg", "5:0:0:1", "8:96", 4)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(21)[1:],
               serial="0" + ontap_serial(21).encode().hex())
    t.dm("dm-2", "253:2", ontap_wwid(21), "mpath-" + ontap_wwid(21), slaves=("sdf", "sdg"))
    t.commands(paths_state=paths_state, queueing=queueing)
    return t


C1 = [rec(1, 1), rec(2, 2)]
C2 = [rec(21, 1, cluster="c2", svm="svmB", igroup="ig_c2")]


def test_second_cluster_not_queried_its_dead_queueing_map_is_not_covered(tmp_path):
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
    # the same LU reached through a target nobody read (e.g. a second cluster of an active-sync pair)
    t = two_target_lab(tmp_path, {"sdb": FAILED, "sdd": FAILED})
    s = t.reader().snapshot(probe=False)
    s["disks"]["sdd"]["target_iqn"] = TARGET2
    v = verdict(check(s, [rec(2, 2)]), ontap_wwid(1))
    assert v["kind"] == "not_covered" and "sdd: target %s" % TARGET2 in v["reason"]


def test_no_target_identities_means_nothing_is_covered(tmp_path):
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    vs = check(s, [rec(2, 2)], array_targets=None)
    assert sorted(set(v["kind"] for v in vs)) == ["not_covered"]


def test_unknown_initiator_gets_no_removal_verdicts(tmp_path):
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    s["host"].update(iscsi_iqn=None, initiators=[])
    for d in s["disks"].values():
        d["initiator"] = None
    vs = check(s, [rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "not_covered" and "initiator this path logs in with is unknown" in v["reason"]
    assert not [x for x in vs if x["kind"] in ("stale_unmapped", "serial_mismatch", "paths_down_but_mapped")]


def test_active_ready_paths_with_peripheral_qualifier_1_are_gone(tmp_path):
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
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa.60014055a1a00000000000000000003", state="offline")
    s = snap_of(tmp_path, setup=setup, probe=False)
    assert verdict(check(s, [rec(1, 1), rec(2, 2)]), "sdf", obj="disk")["kind"] == "unknown_array"


def test_after_a_rescan_sysfs_holds_the_new_identity_and_the_map_the_old_one(tmp_path):
    # sdb and sdd were rescanned: sysfs and the live VPD both say LU 9, the map still holds WWID 1
    t = healthy_lab(tmp_path)
    t.commands()
    s = t.reader().snapshot()
    live = "0" + ontap_serial(9).encode().hex()
    for sd in ("sdb", "sdd"):
        s["disks"][sd].update(serial=live, wwid=ontap_wwid(9))
    s = probe_live(t, s, ontap_wwid(1), live)
    assert verdict(check(s, [rec(9, 1), rec(2, 2)]), ontap_wwid(1))["kind"] == "serial_mismatch"


# ------------------------------------------------------------------------------------------------ issue 27 (truth)

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts as san_facts  # noqa: E402
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup as san_plan  # noqa: E402


def cloned_target_lab(tmp_path, paths_state=None, queueing=None):
    """Cluster 2 (not read) serves LUN 21 with the same target name as the read svm1 (a cloned or renamed target,
    identity-preserving DR or migration), at its own portals 127.0.0.3 / .4."""
    t = healthy_lab(tmp_path)
    t.iscsi_session(3, 4, "127.0.0.3", target=TARGET)
    t.iscsi_session(4, 5, "127.0.0.4", target=TARGET)
    for name, hctl, dev, sess in (("sdf", "4:0:0:1", "8:80", 3), ("sdg", "5:0:0:1", "8:96", 4)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(21)[1:],
               serial="0" + ontap_serial(21).encode().hex())
    t.dm("dm-2", "253:2", ontap_wwid(21), "mpath-" + ontap_wwid(21), slaves=("sdf", "sdg"))
    t.commands(paths_state=paths_state, queueing=queueing)
    return t


def cut(t, sds):
    for sd in sds:
        t.run.set(["sg_turs", "-v", sd], "", rc=0, stderr="Host_status=0x01 [DID_NO_CONNECT]\n")


def test_a_target_name_shared_with_an_unread_cluster_covers_only_the_read_svms_portals(tmp_path):
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


def test_a_target_name_listed_under_two_svms_covers_nothing_and_blocks_the_host(tmp_path):
    t = cloned_target_lab(tmp_path, {"sdf": FAILED, "sdg": FAILED}, queueing={ontap_wwid(21): True})
    cut(t, ("sdf", "sdg"))
    both = TARGETS + [dict(TARGETS2[0], iscsi_target_names=[TARGET])]
    s = t.reader().snapshot(probe=True)
    vs = check(s, C1, array_targets=both)
    for w in (ontap_wwid(1), ontap_wwid(2), ontap_wwid(21)):
        v = verdict(vs, w)
        assert v["kind"] == "not_covered" and "is listed under 2 SVMs (c1/svm1, c2/svmB)" in v["reason"], v
    # the same truth through the module's query stage: a problem in san.array, so the planner removes nothing
    truth = {"luns": C1, "targets": both, "problems": [], "initiators": [IQN], "collected_at": 1.0}
    san = san_facts.collect(t.reader(), truth, probe=False)
    assert [(p["kind"], p["identity"]) for p in san["array"]["problems"]] == [
        ("duplicate_target_identity", "iqn " + TARGET)]
    blockers = san_plan.removal_blockers(san, san["verdicts"])
    assert any(b["why"] == "array_lookup_problem" and "duplicate_target_identity" in b["msg"] for b in blockers)
    # said once when the lookup said it already
    truth["problems"] = list(san["array"]["problems"])
    assert len(san_facts.collect(t.reader(), truth, probe=False)["array"]["problems"]) == 1


def test_an_fc_port_listed_under_two_svms_covers_nothing():
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


def test_portal_addresses_compare_in_one_form():
    assert judge_coverage.portal_address("127.0.0.1:3260") == judge_coverage.address_key("127.0.0.1")
    assert judge_coverage.portal_address("[FE80:0:0::1]:3260") == judge_coverage.address_key("fe80::1")
    assert judge_coverage.portal_address("fe80::1:3260") != judge_coverage.address_key("fe80::1")     # unbracketed: never guessed
    assert judge_coverage.portal_address("192.0.2.7") == "192.0.2.7"


def test_an_ipv6_session_is_covered_by_its_svms_address(tmp_path):
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
    s = snap_of(tmp_path, {"sdc": FAILED, "sde": FAILED}, {"sdc": (5, LNS), "sde": (5, LNS)})
    vs = check(s, [rec(1, 1)], array_initiators=None)
    assert {v["kind"] for v in vs} == {"not_covered"}
    assert "does not say which initiators its records were read for" in verdict(vs, ontap_wwid(2))["reason"]


def test_a_path_whose_initiator_the_kernel_does_not_name_is_not_covered(tmp_path):
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


@pytest.mark.parametrize("result", ["no_answer", "not_ready"])
def test_a_kernel_active_path_is_not_failed_by_a_timeout_or_not_ready(result):
    active = {"name": "sdb", "dm_state": "active", "checker_state": "ready", "dev_state": "running"}
    assert judge_findings.path_state(active, {"result": result}) == ("ok", [])
    assert judge_findings.path_state(dict(active, dm_state="failed"), {"result": result})[0] == "failed"
    assert judge_findings.path_state(active, {"result": "lun_not_supported"}) == ("failed", ["probe lun_not_supported"])
    assert sj.disk_state({"state": "running"}, {"result": result}) == "ok"
    assert sj.disk_state({"state": "offline"}, {"result": result}) == "failed"
    assert sj.disk_state({"state": "running"}, {"result": "lun_not_supported"}) == "failed"


@pytest.mark.parametrize("result", ["no_answer", "not_ready"])
def test_an_alua_transition_on_a_working_unmapped_map_blocks_the_host(tmp_path, result):
    # takeover/giveback: the paths of covered map 2 are active, the probe the judge asks for (the array does not map
    # it) times out or answers NOT READY. That is no proof the LU is gone: unexpected_visibility, the host blocked.
    s = snap_of(tmp_path, probe=False)
    for sd in ("sdc", "sde"):
        s["maps"][ontap_wwid(2)]["probe"][sd] = {"result": result, "sense": "ALUA transition"}
    v = verdict(check(s, [rec(1, 1)]), ontap_wwid(2))
    assert v["kind"] == "unexpected_visibility", v
    s["array"] = {"records": 1, "targets": TARGETS, "problems": [], "collected_at": s["collected_at"]}
    assert "unexpected_visibility" in [b["why"] for b in san_plan.removal_blockers(s, [v])]


def test_an_orphan_running_disk_that_does_not_answer_is_not_stale(tmp_path):
    def setup(t):
        t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
    s = snap_of(tmp_path, setup=setup, probe=False)
    s["disks"]["sdf"]["probe"] = {"result": "no_answer"}
    assert verdict(check(s, [rec(1, 1), rec(2, 2)]), "sdf", obj="disk")["kind"] == "unexpected_visibility"


@pytest.mark.parametrize("spelling", ["naa", "serial_only"])
def test_a_record_in_another_wwid_spelling_or_without_wwid_still_maps_its_lun(tmp_path, spelling):
    # the LUN is mapped and in an outage: never stale_unmapped, whatever form the caller's record gives its identity
    s = snap_of(tmp_path, {"sdc": FAILED, "sde": FAILED}, {"sdc": (5, LNS), "sde": (5, LNS)})
    record = rec(2, 2)
    if spelling == "naa":
        record["wwid"] = "naa." + record["wwid"][1:].upper()
    else:
        del record["wwid"]
    truth = san_facts.truth_of({"luns": [rec(1, 1), record], "targets": TARGETS, "initiators": [IQN]})
    assert truth["luns"][1]["wwid"] == ontap_wwid(2)
    v = verdict(check(s, truth["luns"]), ontap_wwid(2))
    assert v["kind"] == "paths_down_but_mapped", v


def test_the_truth_is_as_old_as_its_oldest_dated_record():
    """truth_of took min() over the records' times as given (a leading NaN stays, a record without a time was
    left out) and the array_truth form ignored its records' times: a truth could look fresher than a read it
    holds. Its age is now its oldest read, and unknown (None) when a record's time is missing."""
    dated = [dict(rec(1, 1), collected_at=1.7e9), dict(rec(2, 2), collected_at=1.7e9 - 50)]
    assert san_facts.truth_of(array_luns=dated)["collected_at"] == 1.7e9 - 50
    assert san_facts.truth_of(array_luns=dated + [rec(3, 3)])["collected_at"] is None
    truth = {"luns": dated, "targets": TARGETS, "initiators": [IQN], "collected_at": 1.7e9}
    assert san_facts.truth_of(truth)["collected_at"] == 1.7e9 - 50
    with pytest.raises(san_validate.InvalidInput, match="collected_at must be a number of epoch seconds"):
        san_facts.truth_of(array_luns=[dict(rec(1, 1), collected_at=float("nan"))] + dated)


# a dm-active path during a failover: the sd waits for its session or remote port to recover (blocked,
# transport-offline), or the checker timed out before multipathd failed the path
TRANSIENT = [("A", "i/o timeout", "running"), ("A", "ready", "blocked"), ("A", "faulty", "transport-offline"),
             ("A", "i/o timeout", "blocked")]


def sd_states(**states):
    """A snap_of setup: the sysfs state of these sds (what the snapshot's path dev_state reads first)."""
    return lambda t: [t.set_state(sd, st) for sd, st in states.items()]


@pytest.mark.parametrize("state", TRANSIENT)
def test_a_transient_transport_state_on_an_active_path_keeps_an_unmapped_map_from_being_stale(tmp_path, state):
    """A working map missing from an incomplete truth must block the host (unexpected_visibility). A blocked sd or
    a timed-out checker under a dm-active path counted as failed: the map became stale_unmapped and was planned
    for removal. On an active path only the array's word fails it; the probe the judge asks for times out."""
    s = snap_of(tmp_path, {"sdc": state, "sde": state}, probe=False, setup=sd_states(sdc=state[2], sde=state[2]))
    for sd in ("sdc", "sde"):
        s["maps"][ontap_wwid(2)]["probe"][sd] = {"result": "no_answer", "sense": None, "serial_live": None}
    vs = check(s, [rec(1, 1)])
    v = verdict(vs, ontap_wwid(2))
    assert v["kind"] == "unexpected_visibility" and "state unknown" in v["reason"], v
    assert [p["state"] for p in v["evidence"]["paths"]] == ["unknown", "unknown"]
    s["array"] = {"records": 1, "targets": TARGETS, "problems": [], "collected_at": s["collected_at"]}
    s["verdicts"] = vs
    out = san_plan.plan_cleanup(s, vs)
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["unexpected_visibility"]


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


def one_path_reused(tmp_path, own_state=None):
    """Map 1 (sdb, sdd) the truth does not list; the array maps LU 9 at its LUN id 1. sdb answers as LU 9 (the LUN id
    was reused), sdd still answers with map 1's own serial (own_state: its dm/checker/sd state)."""
    t = healthy_lab(tmp_path)
    t.commands(paths_state={"sdd": own_state} if own_state else None)
    s = t.reader().snapshot(probe=False)
    probe_live(t, s, ontap_wwid(1), "0" + ontap_serial(9).encode().hex(), sds=("sdb",))
    probe_live(t, s, ontap_wwid(1), "0" + ontap_serial(1).encode().hex(), sds=("sdd",))
    return s


def test_a_path_still_answering_as_the_maps_own_lu_makes_a_reused_map_unexpected_visibility(tmp_path):
    """One path of a map the truth does not list answers as another LU, the other still as the map's own LU: the
    map was serial_mismatch, the host not blocked, the map flushed and its working path deleted. That working path
    reaches an LU the truth does not list: unexpected_visibility, which blocks the host; no path is repaired."""
    s = one_path_reused(tmp_path)
    vs = check(s, [rec(9, 1), rec(2, 2)])
    v = verdict(vs, ontap_wwid(1))
    assert v["kind"] == "unexpected_visibility", v
    assert "sdd" in v["reason"] and "LUN id reuse on sdb" in v["reason"]
    assert [x for x in vs if x["object"] == "disk"] == []           # nothing to repair
    s["array"] = {"records": 2, "targets": TARGETS, "problems": [], "collected_at": s["collected_at"]}
    s["verdicts"] = vs
    out = san_plan.plan_cleanup(s, vs)
    assert out["steps"] == [] and [b["why"] for b in out["blocked"]] == ["unexpected_visibility"]


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


def test_a_blocked_path_whose_kernel_state_was_not_read_keeps_an_unmapped_map_from_being_stale(tmp_path):
    """dmsetup status did not list the map (no answer, a cut read: dm_state None) while its sds are blocked, their
    session recovering. The kernel's own path state is unknown and blocked is a transient transport state (a plain
    blocked disk is unknown): neither proves the LU gone. The paths counted as failed, so a map missing from an
    incomplete truth became stale_unmapped and was planned for a flush."""
    state = ("A", "ready", "blocked")
    s = snap_of(tmp_path, {"sdc": state, "sde": state}, probe=False, setup=sd_states(sdc="blocked", sde="blocked"))
    for p in s["maps"][ontap_wwid(2)]["paths"]:
        p["dm_state"] = None  # what _map_paths gives when the map has no dmsetup status line
    for sd in ("sdc", "sde"):
        s["maps"][ontap_wwid(2)]["probe"][sd] = {"result": "no_answer", "sense": None, "serial_live": None}
    vs = check(s, [rec(1, 1)])
    v = verdict(vs, ontap_wwid(2))
    assert v["kind"] != "stale_unmapped", v
    s["array"] = {"records": 1, "targets": TARGETS, "problems": [], "collected_at": s["collected_at"]}
    s["verdicts"] = vs
    assert not [st for st in san_plan.plan_cleanup(s, vs)["steps"] if st["action"] == "flush_map"]
