# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/findings.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.sense import classify_probe
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    findings as judge_findings, verdicts as sj)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    FAILED, LNS, check, kinds, rec, snap_of)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import ontap_wwid


# ------------------------------------------------------------------------------------------------ host findings


def test_healthy_host_has_no_findings(tmp_path):
    """Fails when a healthy host has findings."""
    assert judge_findings.host_findings(snap_of(tmp_path)) == []


def test_all_paths_failed_with_probe_evidence_never_says_stale(tmp_path):
    """Fails when all paths failed is not found with its probe evidence, or the host finding calls it stale."""
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    f = judge_findings.host_findings(s)
    assert kinds(f) == [("all_paths_failed", "map", ontap_wwid(1))]
    ev = f[0]["evidence"]["paths"]
    assert [(p["name"], p["dm_state"], p["checker_state"], p["probe"]["result"]) for p in ev] == [
        ("sdb", "failed", "faulty", "lun_not_supported"), ("sdd", "failed", "faulty", "lun_not_supported")]
    assert "stale" not in f[0]["reason"].lower()
    assert f[0]["wwid"] == ontap_wwid(1)


def test_some_paths_failed(tmp_path):
    """Fails when a map with one of two paths failed is not some_paths_failed with each path's state."""
    s = snap_of(tmp_path, {"sdd": FAILED}, {"sdd": (0, "test unit ready: transport: Host_status=0x01 "
                                                       "[DID_NO_CONNECT]\n"), "sdb": (0, "")})
    f = judge_findings.host_findings(s)
    assert kinds(f) == [("some_paths_failed", "map", ontap_wwid(1))]
    by = dict((p["name"], p) for p in f[0]["evidence"]["paths"])
    assert by["sdd"]["state"] == "failed" and by["sdd"]["probe"]["result"] == "no_answer"
    assert by["sdb"]["state"] == "ok"
    assert "1 of 2" in f[0]["reason"]


def test_kernel_failed_path_counts_even_if_checker_says_ready():
    """Fails when a path the kernel failed counts as working because multipathd's checker says ready."""
    # multipathd's view runs ahead of the kernel table (seen in the lab); the kernel wins
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
    """Fails when a multipath map without paths is not found as a ghost map."""
    def setup(t):
        t.dm("dm-5", "253:5", ontap_wwid(5), "mpath-" + ontap_wwid(5))
    f = judge_findings.host_findings(snap_of(tmp_path, setup=setup))
    assert kinds(f) == [("ghost_map", "map", ontap_wwid(5))]


def test_orphan_path_and_in_use_disk(tmp_path):
    """Fails when a SAN disk without a map is not an orphan, a mounted one not in use, or sda is either."""
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
    """Fails when an in-use map does not name its mount, holder and opener, or udev workers are not transient."""
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
    """Fails when multipathd holding a map open makes it in use."""
    f = judge_findings.host_findings(snap_of(tmp_path, probe=False))
    assert not [x for x in f if x["kind"] == "in_use"]


def test_every_verdict_has_evidence_and_reason(tmp_path):
    """Fails when a verdict or finding has no reason or no evidence."""
    s = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})
    for v in check(s, [rec(2, 2)]) + judge_findings.host_findings(s):
        assert v["reason"] and isinstance(v["evidence"], dict) and v["evidence"]


@pytest.mark.parametrize("result", ["no_answer", "not_ready"])
def test_a_kernel_active_path_is_not_failed_by_a_timeout_or_not_ready(result):
    """Fails when a kernel-active path or running disk is failed by a probe timeout or not ready."""
    active = {"name": "sdb", "dm_state": "active", "checker_state": "ready", "dev_state": "running"}
    assert judge_findings.path_state(active, {"result": result}) == ("ok", [])
    assert judge_findings.path_state(dict(active, dm_state="failed"), {"result": result})[0] == "failed"
    assert judge_findings.path_state(active, {"result": "lun_not_supported"}) == ("failed", ["probe lun_not_supported"])
    assert sj.disk_state({"state": "running"}, {"result": result}) == "ok"
    assert sj.disk_state({"state": "offline"}, {"result": result}) == "failed"
    assert sj.disk_state({"state": "running"}, {"result": "lun_not_supported"}) == "failed"


@pytest.mark.parametrize("tur,inq,path,heard", [
    # LIO's virtual LUN 0, unmapped (lab finding 8): TEST UNIT READY good, INQUIRY PQual=1 - the array's word, no LU
    ({"rc": 0}, {"rc": 0, "stdout": "standard INQUIRY:\n  PQual=1  PDT=31  RMB=0\n"}, {"checker_state": "ready"}, []),
    # an unmapped LUN >= 1: LOGICAL UNIT NOT SUPPORTED
    ({"rc": 5, "stderr": "Sense key: Illegal Request\nAdditional sense: Logical unit not supported\n"}, None,
     {"checker_state": "faulty"}, []),
    # silence: the transport is down
    ({"rc": 0, "stderr": "transport: Host_status=0x0e [DID_TRANSPORT_DISRUPTED]\n"}, None, {"checker_state": "faulty"},
     []),
    ({"rc": 0}, {"timeout": 8.0}, None, ["TEST UNIT READY answered GOOD"]),
    ({"rc": 2, "stderr": "Sense key: Not Ready\nAdditional sense: Logical unit not accessible, target port in standby "
                         "state\n"}, None, None, ["TEST UNIT READY answered Not Ready"]),
    ({"rc": 6, "stderr": "Sense key: Unit Attention\nAdditional sense: Reported luns data has changed\n"}, None, None,
     ["UNIT ATTENTION (Unit Attention: Reported luns data has changed)"]),
    ({"rc": 0, "stderr": "transport: Host_status=0x0e [DID_TRANSPORT_DISRUPTED]\n"}, None,
     {"dm_state": "failed", "checker_state": "ghost"}, ["multipathd's checker says ghost (kernel path state failed)"]),
])
def test_only_an_answer_of_an_lu_is_heard_as_one(tur, inq, path, heard):
    """Fails when the array's word that no LU is there (LU not supported, PQual 1) or silence counts as an LU
    answering, or an LU's answer (TEST UNIT READY answered before INQUIRY timed out, NOT READY, a UNIT ATTENTION,
    multipathd's checker up) does not."""
    probe = classify_probe(dict({"stdout": "", "stderr": ""}, **tur), inq and dict({"stdout": "", "stderr": ""}, **inq))
    signs = judge_findings.lu_answers(path, probe)
    assert [s for s in signs if any(s.startswith(h) for h in heard)] == signs and len(signs) == len(heard), signs


# ------------------------------------------------------------------------------------------------ path state


ACTIVE_NOT_FAILED = "the kernel path state is %s, not failed: only the array's word (LU not supported) fails it"


@pytest.mark.parametrize("path,probe,expected", [
    ({"name": None, "dm_state": "failed", "checker_state": "faulty", "dev_state": "offline"}, None,
     ("failed", ["kernel path state failed", "checker faulty", "device offline", "sd device not found"])),
    ({"name": "sdb", "dm_state": "failed", "checker_state": "ready", "dev_state": "running"}, {"result": "no_answer"},
     ("failed", ["kernel path state failed", "probe no_answer"])),
    ({"name": "sdb", "dm_state": "active", "checker_state": "i/o timeout", "dev_state": "running"}, None,
     ("unknown", ["checker i/o timeout", ACTIVE_NOT_FAILED % "active"])),
    ({"name": "sdb", "checker_state": "shaky", "dev_state": "transport-offline"}, {"result": "not_ready"},
     ("unknown", ["checker shaky", "device transport-offline", ACTIVE_NOT_FAILED % "not read"])),
    ({"name": "sdb", "dm_state": "active", "checker_state": "down", "dev_state": "blocked"},
     {"result": "lun_not_supported"}, ("failed", ["checker down", "device blocked", "probe lun_not_supported"])),
    ({"name": "sdb", "checker_state": "ready", "dev_state": "running"}, None, ("unknown", ["kernel path state unknown"])),
    ({"name": "sdb", "dm_state": "active", "checker_state": "ghost", "dev_state": "running"}, {}, ("ok", [])),
])
def test_path_state_says_what_fails_a_path_and_why(path, probe, expected):
    """Fails when a path's state is not the kernel's or the array's word (an sd state, a checker or a probe
    timeout failing an active path), or its reasons do not name every sign the host shows."""
    assert judge_findings.path_state(path, probe) == expected


def test_unit_attention_is_a_not_ready_answer_with_that_sense():
    """Fails when a NOT READY without a UNIT ATTENTION sense, or another result with one, counts as a UNIT
    ATTENTION, or a UNIT ATTENTION sense in any case does not."""
    ua = judge_findings.unit_attention
    assert ua({"result": "not_ready", "sense": "UNIT ATTENTION: Reported luns data has changed"}) is True
    assert ua({"result": "not_ready", "sense": "Not Ready: LU not accessible"}) is False
    assert ua({"result": "not_ready"}) is False
    assert ua({"result": "lun_not_supported", "sense": "Unit Attention"}) is False
    assert ua(None) is False


@pytest.mark.parametrize("path,probe,signs", [
    (None, {"result": "ready", "pqual": 0}, ["answers READY"]),
    (None, {"result": "no_answer", "pqual": 0}, ["INQUIRY answered (peripheral qualifier 0: an LU is connected)"]),
    (None, {"result": "no_answer", "pqual": 1}, []),
    (None, {"result": "not_ready"}, ["TEST UNIT READY answered NOT READY"]),
    (None, {"result": "not_ready", "sense": "Not Ready: standby"}, ["TEST UNIT READY answered Not Ready: standby"]),
    (None, {"result": "not_ready", "sense": "Unit Attention: x"}, ["UNIT ATTENTION (Unit Attention: x)"]),
    (None, {"result": "lun_not_supported", "after_unit_attention": ["UA one", "UA two"], "pqual": 0},
     ["UNIT ATTENTION (UA one; UA two)"]),
    (None, {"result": "no_answer", "tur_answered": True}, ["TEST UNIT READY answered GOOD (then no_answer)"]),
    (None, {"result": "no_answer", "tur_answered": True, "sense": "INQUIRY timed out"},
     ["TEST UNIT READY answered GOOD (then INQUIRY timed out)"]),
    ({"checker_state": "ready"}, None, ["multipathd's checker says ready (kernel path state not read)"]),
    ({"checker_state": "faulty", "dm_state": "active"}, {"result": "no_answer"}, []),
    ({"checker_state": "ghost", "dm_state": "active"}, {"result": "lun_not_supported"}, []),
])
def test_lu_answers_names_each_sign_of_an_lu(path, probe, signs):
    """Fails when a sign that an LU answers at the path's address is missing or misnamed, the array's word that no
    LU is there counts as one, or silence does."""
    assert judge_findings.lu_answers(path, probe) == signs


def test_probe_fails_a_kernel_active_path_only_on_the_arrays_word():
    """Fails when a missing probe fails a path, or a timeout fails a path the kernel has not failed."""
    assert judge_findings.probe_fails(None, False) is False
    assert judge_findings.probe_fails({"result": "no_answer"}, False) is True
    assert judge_findings.probe_fails({"result": "no_answer"}, True) is False
    assert judge_findings.probe_fails({"result": "lun_not_supported"}, True) is True


# ------------------------------------------------------------------------------------------------ use


def test_uses_of_names_every_user_by_kind():
    """Fails when a mount, swap, a holder (but the caller's own), a kernel user, unknown openers, a process or a
    udev worker is not named by its kind, or multipathd holding it open counts as a user."""
    obj = {"mountpoints": ["/srv", "/mnt"], "swap": True, "holders": ["dm-3", "dm-4"],
           "kernel_users": [{"kind": "lio", "name": "iblock_0/lun1"}], "openers_unknown": "permission denied",
           "openers": [{"pid": 7, "comm": "postgres", "via": "dm-3"}, {"pid": 8, "comm": "dd"},
                       {"pid": 9, "comm": "multipathd"}, {"pid": 10, "comm": "blkid"}], "open_count": 4}
    uses, evidence = judge_findings.uses_of(obj, own_holders=["dm-4"])
    assert uses == [
        {"kind": "mounted", "text": "mounted at /srv, /mnt"}, {"kind": "swap", "text": "used as swap"},
        {"kind": "holder", "text": "held by dm-3"}, {"kind": "kernel_user", "text": "used by LIO backstore iblock_0/lun1"},
        {"kind": "openers_unknown", "text": "openers unknown (permission denied)"},
        {"kind": "opener", "text": "open by pid 7 (postgres) via dm-3"}, {"kind": "opener", "text": "open by pid 8 (dd)"},
        {"kind": "transient_opener", "text": "open by pid 10 (blkid, a udev worker: goes away when queueing is disabled)"}]
    assert evidence == {"mountpoints": ["/srv", "/mnt"], "swap": True, "holders": ["dm-3"],
                        "openers": [obj["openers"][0], obj["openers"][1], obj["openers"][3]],
                        "only_transient_openers": False, "open_count": 4}
    assert judge_findings.usage_of(obj, own_holders=["dm-4"])[0] == [u["text"] for u in uses]
    assert judge_findings.uses_of({}) == ([], {"mountpoints": [], "swap": False, "holders": [], "openers": [],
                                               "only_transient_openers": False})


@pytest.mark.parametrize("other,only", [
    ({}, True), ({"mountpoints": ["/srv"]}, False), ({"swap": True}, False), ({"holders": ["dm-3"]}, False),
    ({"kernel_users": [{"kind": "loop", "name": "loop3"}]}, False),
    ({"openers": [{"pid": 7, "comm": "postgres"}]}, False), ({"openers": [{"pid": 9, "comm": "multipathd"}]}, True)])
def test_only_transient_openers_when_nothing_else_uses_it(other, only):
    """Fails when a device that a mount, swap, a holder, a kernel user or a process also uses counts as used only
    by udev workers (whom disabling queueing sends away), or one that only they (and multipathd) hold does not."""
    obj = dict(other, openers=[{"pid": 10, "comm": "(udev-worker)"}] + list(other.get("openers") or []))
    assert judge_findings.uses_of(obj)[1]["only_transient_openers"] is only


# ------------------------------------------------------------------------------------------------ findings' words


def _map(paths, **kw):
    return dict({"name": "mpatha", "dm": "dm-0", "paths": paths, "queueing": True, "open_count": 0}, **kw)


def test_findings_name_the_map_its_paths_and_what_fails_them():
    """Fails when an all-paths-failed, some-paths-failed, ghost or in-use finding does not name the map and its
    WWID, each path with why it fails, which paths work, that I/O queues, and the evidence it was judged on."""
    dead = {"name": "sdb", "hctl": "1:0:0:1", "dev": "8:16", "dm_state": "failed", "checker_state": "faulty",
            "dev_state": "running"}
    live = {"name": "sdc", "hctl": "2:0:0:1", "dev": "8:32", "dm_state": "active", "checker_state": "ready",
            "dev_state": "running"}
    unsure = {"name": None, "dev": "8:48", "dm_state": "active", "checker_state": "ready", "dev_state": "running"}
    snap = {"maps": {
        "3a": _map([dead, dict(dead, name="sdd")], probe={"sdd": {"result": "lun_not_supported"}}),
        "3b": _map([dead, live, unsure], name="mpathb", queueing=False),
        "3c": _map([], name="mpathc", mountpoints=["/srv"])}, "disks": {}}
    found = judge_findings.host_findings(snap)
    assert [(f["kind"], f["object"], f["name"], f["wwid"]) for f in found] == [
        ("all_paths_failed", "map", "mpatha", "3a"), ("some_paths_failed", "map", "mpathb", "3b"),
        ("ghost_map", "map", "mpathc", "3c"), ("in_use", "map", "mpathc", "3c")]
    assert found[0]["reason"] == ("every path of map mpatha fails (sdb: kernel path state failed, checker faulty; "
                                  "sdd: kernel path state failed, checker faulty, probe lun_not_supported); "
                                  "I/O to it queues (queue_if_no_path)")
    assert found[1]["reason"] == "map mpathb: 1 of 3 paths fail (sdb); working: sdc, 8:48"
    assert found[2]["reason"] == "map mpathc has no paths in its kernel table"
    assert found[3]["reason"] == "map mpathc is in use: mounted at /srv"
    ev = found[0]["evidence"]
    assert (ev["queueing"], ev["dm"], ev["open_count"]) == (True, "dm-0", 0)
    assert ev["paths"][1] == {"name": "sdd", "hctl": "1:0:0:1", "dev": "8:16", "dm_state": "failed",
                              "checker_state": "faulty", "dev_state": "running", "state": "failed",
                              "probe": {"result": "lun_not_supported"},
                              "reasons": ["kernel path state failed", "checker faulty", "probe lun_not_supported"]}
    assert found[1]["evidence"]["paths"][1] == {"name": "sdc", "hctl": "2:0:0:1", "dev": "8:32", "dm_state": "active",
                                                "checker_state": "ready", "dev_state": "running", "state": "ok"}
    assert found[3]["evidence"]["mountpoints"] == ["/srv"]


def test_map_with_a_failed_and_an_unknown_path_is_not_all_failed():
    """Fails when a map whose other path's state is unknown (not proven dead) is called all paths failed."""
    dead = {"name": "sdb", "dm_state": "failed", "checker_state": "faulty", "dev_state": "running"}
    unsure = {"name": "sdc", "checker_state": "ready", "dev_state": "running"}
    found = judge_findings.host_findings({"maps": {"3a": _map([dead, unsure])}})
    assert [f["kind"] for f in found] == ["some_paths_failed"]
    assert found[0]["reason"] == "map mpatha: 1 of 2 paths fail (sdb); working: sdc"


def test_disk_findings_name_the_disk_its_address_and_use():
    """Fails when a SAN disk without a map is not an orphan with its address and transport, an unmapped one in use
    does not say by what, a held-by-its-own-map disk is in use, a local disk is either, or a map's path is."""
    disk = {"hctl": "3:0:0:2", "dev": "8:64", "state": "running", "transport": "fc", "session": None,
            "serial": "80AbCdEfGh01", "wwid": "3a", "vendor": "NETAPP", "model": "LUN", "holders": ["dm-0"],
            "mountpoints": [], "swap": False, "openers": [], "probe": {"result": "ready"}}
    snap = {"maps": {"3a": {"name": "mpatha", "dm": "dm-0", "paths": [{"name": "sdz", "dm_state": "active"}]}},
            "disks": {"sde": disk, "sdf": dict(disk, transport="iscsi", holders=["dm-9"], hctl="4:0:0:1"),
                      "sdg": dict(disk, transport="sata", holders=[], mountpoints=["/"]),
                      "sdh": dict(disk, transport="other", holders=[]), "sdz": dict(disk, map="3a")}}
    found = judge_findings.host_findings(snap)
    assert [(f["kind"], f["object"], f["name"], f["wwid"]) for f in found] == [
        ("orphan_path", "disk", "sde", "3a"), ("in_use", "disk", "sdf", "3a")]
    assert found[0]["reason"] == "SAN disk sde (3:0:0:2, fc) belongs to no multipath map and nothing uses it"
    assert found[0]["evidence"] == dict(disk, probe={"result": "ready"})
    assert found[1]["reason"] == "SAN disk sdf (4:0:0:1, no multipath map) is in use: held by dm-9"
    assert found[1]["evidence"]["holders"] == ["dm-9"]
    without_probe = dict(disk, probe=None)
    snap["disks"] = {"sde": without_probe}
    assert "probe" not in judge_findings.host_findings(snap)[0]["evidence"]


NOT_SENT = "sg_turs: Permission denied (noexec mount)"


@pytest.mark.parametrize("path,probe,expected", [
    ({"name": "sdb", "dm_state": "failed", "checker_state": "ready", "dev_state": "running"},
     {"result": "error", "not_sent": NOT_SENT, "missing": "sg_turs"},
     ("failed", ["kernel path state failed", "not probed: sg_turs is not installed"])),
    ({"name": "sdb", "dm_state": "failed", "checker_state": "ready", "dev_state": "running"},
     {"result": "error", "not_sent": NOT_SENT}, ("failed", ["kernel path state failed", "not probed: " + NOT_SENT])),
    ({"name": "sdb", "dm_state": "active", "checker_state": "faulty", "dev_state": "running"},
     {"result": "error", "not_sent": NOT_SENT, "missing": "sg_turs"},
     ("unknown", ["checker faulty", "not probed: sg_turs is not installed", ACTIVE_NOT_FAILED % "active"])),
    ({"name": "sdb", "checker_state": "ready", "dev_state": "running"}, {"result": "error", "not_sent": NOT_SENT},
     ("unknown", ["kernel path state unknown", "not probed: " + NOT_SENT])),
    ({"name": "sdb", "dm_state": "active", "checker_state": "ready", "dev_state": "running"},
     {"result": "error", "not_sent": NOT_SENT, "missing": "sg_turs"}, ("ok", [])),
])
def test_path_state_says_why_a_path_was_not_probed(path, probe, expected):
    """Fails when a path whose probe could not be sent (observe.probe: `not_sent`, and `missing` when the program is
    not installed) does not say so among the reasons of a path that is not ok (the program, or why it could not be
    sent), or says it of a working path."""
    assert judge_findings.path_state(path, probe) == expected


def test_all_paths_failed_says_that_io_queues_only_when_it_does():
    """Fails when the reason of a map whose paths all fail says its I/O queues (queue_if_no_path) while it does not
    queue, or adds anything else in its place."""
    dead = {"name": "sdb", "dm_state": "failed", "checker_state": "faulty", "dev_state": "running"}
    found = judge_findings.host_findings({"maps": {"3a": _map([dead], queueing=False)}})
    assert [f["kind"] for f in found] == ["all_paths_failed"]
    assert found[0]["reason"] == "every path of map mpatha fails (sdb: kernel path state failed, checker faulty)"


def test_some_paths_failed_names_each_failed_path():
    """Fails when a map with two failed paths among working ones does not name both, comma-separated, and the one
    that works."""
    dead = {"name": "sdb", "dm_state": "failed", "checker_state": "faulty", "dev_state": "running"}
    live = {"name": "sdc", "dm_state": "active", "checker_state": "ready", "dev_state": "running"}
    found = judge_findings.host_findings({"maps": {"3a": _map([dead, live, dict(dead, name="sdd")])}})
    assert [f["kind"] for f in found] == ["some_paths_failed"]
    assert found[0]["reason"] == "map mpatha: 2 of 3 paths fail (sdb, sdd); working: sdc"


def test_a_ghost_map_carries_its_evidence():
    """Fails when a ghost map's finding does not carry the map's evidence (no paths, queueing, dm, open count)."""
    found = judge_findings.host_findings({"maps": {"3c": _map([], queueing=False, open_count=1)}})
    assert [f["kind"] for f in found] == ["ghost_map"]
    assert found[0]["evidence"] == {"paths": [], "queueing": False, "dm": "dm-0", "open_count": 1}


def test_in_use_findings_name_every_use_of_a_map_or_disk():
    """Fails when an in-use map or map-less SAN disk does not name each of its uses (separated by '; ') and each
    holder (separated by ', '), or a disk in use stops the look at the disks after it (an orphan there is missed)."""
    live = {"name": "sdz", "dm_state": "active", "checker_state": "ready", "dev_state": "running"}
    disk = {"hctl": "3:0:0:2", "dev": "8:64", "state": "running", "transport": "fc", "wwid": "3b", "holders": [],
            "mountpoints": [], "openers": []}
    snap = {"maps": {"3a": _map([live], mountpoints=["/srv"], holders=["dm-3", "dm-4"])},
            "disks": {"sde": dict(disk, mountpoints=["/mnt"], swap=True), "sdf": dict(disk, hctl="3:0:0:3")}}
    found = judge_findings.host_findings(snap)
    assert [(f["kind"], f["name"]) for f in found] == [("in_use", "mpatha"), ("in_use", "sde"), ("orphan_path", "sdf")]
    assert found[0]["reason"] == "map mpatha is in use: mounted at /srv; held by dm-3, dm-4"
    assert found[1]["reason"] == "SAN disk sde (3:0:0:2, no multipath map) is in use: mounted at /mnt; used as swap"
