# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/facts.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts, verdicts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    C1, FAILED, LNS, TARGETS, TARGETS2, check, cloned_target_lab, cut, NVME_LAB_LIFS, nvme_array_truth, rec, snap_of,
    verdict)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    IQN, TARGET, healthy_lab, load_captured, ontap_wwid)


def test_a_target_name_listed_under_two_svms_covers_nothing_and_blocks_the_host(tmp_path):
    """Fails when a target name listed under two SVMs covers a map or does not block removals on the host."""
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
    san = facts.collect(t.reader(), truth, probe=False)
    assert [(p["kind"], p["identity"]) for p in san["array"]["problems"]] == [
        ("duplicate_target_identity", "iqn " + TARGET)]
    blockers = cleanup.removal_blockers(san, san["verdicts"])
    assert any(b["why"] == "array_lookup_problem" and "duplicate_target_identity" in b["msg"] for b in blockers)
    # said once when the lookup said it already
    truth["problems"] = list(san["array"]["problems"])
    assert len(facts.collect(t.reader(), truth, probe=False)["array"]["problems"]) == 1


@pytest.mark.parametrize("spelling", ["naa", "serial_only"])
def test_a_record_in_another_wwid_spelling_or_without_wwid_still_maps_its_lun(tmp_path, spelling):
    """Fails when a record in another WWID spelling or without one no longer maps its LUN, making it stale."""
    # the LUN is mapped and in an outage: never stale_unmapped, whatever form the caller's record gives its identity
    s = snap_of(tmp_path, {"sdc": FAILED, "sde": FAILED}, {"sdc": (5, LNS), "sde": (5, LNS)})
    record = rec(2, 2)
    if spelling == "naa":
        record["wwid"] = "naa." + record["wwid"][1:].upper()
    else:
        del record["wwid"]
    truth = facts.truth_of({"luns": [rec(1, 1), record], "targets": TARGETS, "initiators": [IQN]})
    assert truth["luns"][1]["wwid"] == ontap_wwid(2)
    v = verdict(check(s, truth["luns"]), ontap_wwid(2))
    assert v["kind"] == "paths_down_but_mapped", v


def test_the_devices_of_an_array_the_truth_was_read_from_are_judged_whatever_prefixes_are_configured(tmp_path):
    """Fails when a device whose WWID starts with the prefix of an array the truth was read from (its wwid_prefixes,
    which each source declares) is unknown_array because the configured prefixes leave that vendor out: host_evidence
    may remove an unknown_array map, and the array read by this run may still map it (or be the one that failed)."""
    # LUN 1 maps (its paths down: an outage), LUN 2 is not in the truth (its array was asked and could not be read)
    t = cloned_target_lab(tmp_path, {"sdf": FAILED, "sdg": FAILED}, queueing={ontap_wwid(21): True})
    failed = {"cluster": "fa1", "svm": None, "kind": "lookup_failed", "msg": "refused"}
    truth = facts.truth_of({"luns": [rec(1, 1)], "targets": TARGETS, "problems": [failed], "initiators": [IQN],
                            "collected_at": 1.0, "wwid_prefixes": ["3600A0980"]})
    san = facts.collect(t.reader(), truth, prefixes=("3624a9370",), probe=False)
    kinds = dict((v["name"], v["kind"]) for v in san["verdicts"])
    assert kinds[ontap_wwid(1)] != "unknown_array" and kinds[ontap_wwid(2)] != "unknown_array", kinds
    # without the truth's prefixes, the same devices are another vendor's: not judged
    del truth["wwid_prefixes"]
    kinds = dict((v["name"], v["kind"]) for v in facts.collect(t.reader(), truth, prefixes=("3624a9370",),
                                                               probe=False)["verdicts"])
    assert kinds[ontap_wwid(2)] == "unknown_array", kinds


def test_wwid_prefixes_that_are_not_hex_are_bad_input():
    for bad in ("3600a0980", ["36-00"], [""], [3600]):
        with pytest.raises(validate.InvalidInput, match="array_truth.wwid_prefixes"):
            facts.truth_of({"luns": [], "wwid_prefixes": bad})


def test_the_truth_is_as_old_as_its_oldest_dated_record():
    """truth_of took min() over the records' times as given (a leading NaN stays, a record without a time was
    left out) and the array_truth form ignored its records' times: a truth could look fresher than a read it
    holds. Its age is now its oldest read, and unknown (None) when a record's time is missing."""
    dated = [dict(rec(1, 1), collected_at=1.7e9), dict(rec(2, 2), collected_at=1.7e9 - 50)]
    assert facts.truth_of(array_luns=dated)["collected_at"] == 1.7e9 - 50
    assert facts.truth_of(array_luns=dated + [rec(3, 3)])["collected_at"] is None
    truth = {"luns": dated, "targets": TARGETS, "initiators": [IQN], "collected_at": 1.7e9}
    assert facts.truth_of(truth)["collected_at"] == 1.7e9 - 50
    with pytest.raises(validate.InvalidInput, match="collected_at must be a number of epoch seconds"):
        facts.truth_of(array_luns=[dict(rec(1, 1), collected_at=float("nan"))] + dated)


def test_an_nvme_part_that_is_not_the_contract_is_named_and_covers_nothing_before_anything_is_read():
    """array_truth.nvme is checked on its own: a namespace record without an NSID makes the NVMe part one that
    covers nothing and says why (a problem of kind unusable_truth naming the field); the SCSI part stands."""
    truth = facts.truth_of({"luns": [rec(1, 1)], "targets": TARGETS, "initiators": [IQN], "collected_at": 1.7e9,
                            "nvme": {"namespaces": [{"subsystem_nqn": "nqn.x"}]}})
    (problem,) = truth["nvme"]["problems"]
    assert problem["kind"] == facts.UNUSABLE_TRUTH and "array_truth.nvme.namespaces[0]" in problem["msg"]
    assert truth["nvme"]["namespaces"] == [] and truth["problems"] == [] and len(truth["luns"]) == 1


def test_an_array_truth_that_is_not_a_dict_or_has_no_usable_part_is_bad_input():
    """Rule 7 where no family is left to judge: a truth that is no dict, or whose every part given is not the
    contract, is refused naming each part's field."""
    with pytest.raises(validate.InvalidInput, match="array_truth must be a dict"):
        facts.truth_of([{"luns": []}])
    with pytest.raises(validate.InvalidInput, match=r"array_truth.luns must be a list.*array_truth.nvme.namespaces"):
        facts.truth_of({"luns": "x", "nvme": {"namespaces": [{"subsystem_nqn": "nqn.x"}]}})


def test_a_scsi_part_that_is_not_the_contract_beside_a_usable_nvme_part_is_named_and_covers_nothing():
    truth = facts.truth_of({"luns": [dict(rec(1, 1), lun_id="1")], "targets": TARGETS, "initiators": [IQN],
                            "collected_at": 1.7e9, "nvme": {"namespaces": [], "host_nqns": ["*"], "problems": []}})
    (problem,) = truth["problems"]
    assert problem["kind"] == facts.UNUSABLE_TRUTH and "array_truth.luns[0].lun_id must be int" in problem["msg"]
    assert truth["luns"] == [] and truth["targets"] == [] and truth["initiators"] is None
    assert truth["nvme"]["problems"] == []


def test_a_cluster_whose_read_failed_blinds_the_nvme_part_even_when_only_the_scsi_part_names_it():
    """A truth assembled by hand (not by the lookup, which names the failure in both parts) whose SCSI part says a
    cluster's read failed while its NVMe part names no problem: the NVMe part is as blind as the SCSI one, so its
    devices are not judged on it (an NVMe part with no map record from that cluster is no proof of unmapped)."""
    failed = {"cluster": "c1", "svm": None, "kind": "lookup_failed", "msg": "c1: connection refused"}
    truth = facts.truth_of({"luns": [], "targets": [], "initiators": [IQN], "collected_at": 1.7e9,
                            "problems": [failed], "nvme": {"namespaces": [], "host_nqns": ["*"], "problems": []}})
    assert truth["nvme"]["problems"] == [failed]
    scoped = dict(failed, kind="svm_scoped_login", msg="c1: an SVM-scoped login sees one SVM")
    for problems, luns in (([scoped], []), ([failed], "not a list")):    # another kind; an unusable SCSI part
        truth = facts.truth_of({"luns": luns, "initiators": [IQN], "collected_at": 1.7e9, "problems": problems,
                                "nvme": {"namespaces": [], "host_nqns": ["*"], "problems": []}})
        assert truth["nvme"]["problems"] == problems
    reader, lab = load_captured("nvme_stale")
    nvme = dict(nvme_array_truth(lab["nvme"], lifs=NVME_LAB_LIFS), problems=[])
    san = facts.collect(reader, facts.truth_of({"luns": [], "problems": [failed], "nvme": nvme}), probe=False)
    assert set(v["kind"] for v in san["nvme_verdicts"]["namespaces"]) == {"not_covered"}, san["nvme_verdicts"]


def test_the_nvme_namespaces_are_judged_beside_the_scsi_devices_when_the_truth_has_nvme():
    """A truth with an NVMe part gives nvme_verdicts (the namespace the array unmapped behind a dead controller, to
    a LIF the SVM still has, is stale_unmapped) and the NVMe read's problems beside the array's; a truth without
    one gives none: no NVMe truth is not an NVMe truth that maps nothing."""
    reader, lab = load_captured("nvme_stale")
    truth = facts.truth_of({"luns": [], "nvme": nvme_array_truth(lab["nvme"], lifs=NVME_LAB_LIFS)})
    san = facts.collect(reader, truth, probe=False)
    assert dict((v["name"], v["kind"]) for v in san["nvme_verdicts"]["namespaces"])["nvme0n2"] == "stale_unmapped"
    assert san["array"]["nvme_problems"] == []
    assert "nvme_verdicts" not in facts.collect(reader, facts.truth_of({"luns": []}), probe=False)


class _CountingProbes(object):
    """A reader that counts the live probes sent through it; its snapshot carries none of its own (so that every
    probe a verdict hangs on is one collect asks for)."""

    def __init__(self, reader):
        self.reader, self.probed = reader, []

    def snapshot(self, probe=True):
        return self.reader.snapshot(probe=False)

    def probe_path(self, sd, errors=None):
        self.probed.append(sd)
        return self.reader.probe_path(sd, errors=errors)


def test_collect_without_probes_sends_none_even_where_a_verdict_hangs_on_one(tmp_path):
    """Review 16: `probe` reaches the SCSI judge through the judges' settings, and `settings["probe"] = True` passed
    every unit test: stale_mpath_facts' probe: false, documented as sending none, would have sent sg_turs and sg_inq to
    the paths a verdict hangs on. LUN 2 no longer mapped with its paths fine puts a probe at stake (unexpected
    visibility hangs on INQUIRY's peripheral qualifier). Fails when collect(probe=False) probes, or collect(probe=True)
    does not."""
    truth = {"luns": [rec(1, 1)], "targets": TARGETS, "problems": [], "initiators": [IQN], "collected_at": 1.0}
    lab = healthy_lab(tmp_path)
    off, on = _CountingProbes(lab.reader()), _CountingProbes(lab.reader())
    san = facts.collect(off, truth, probe=False)
    assert verdicts.paths_to_probe(san, san["verdicts"]), "the world puts no probe at stake"
    assert off.probed == []
    facts.collect(on, truth, probe=True)
    assert on.probed
