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
