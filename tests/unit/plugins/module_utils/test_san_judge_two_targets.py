# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The judge on a captured two-target lab host (tests/lab/capture.py two_targets).

target1 (cluster sanlab, SVM svm_sanlab) exports LUN 0 (LIO placeholder) and NETAPP LUNs 1-3, LUN 2 unmapped
(paths failed); target2 (cluster sanlab2, SVM svm_sanlab2, its own IQN and portals) exports NETAPP LUNs 1 and 2:
the same LUN ids, other LUNs. What the array data covers decides what is judged; LUN-id matches stay per SVM.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import verdicts as sj
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    load_captured)


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
