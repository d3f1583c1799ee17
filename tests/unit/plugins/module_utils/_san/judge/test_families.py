# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/families.py`: judge.facts.collect runs each registered family's
judge, in the registry's order, and a third family plugs in with a registry line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import families as judge_families
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san import toy_family
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    IQN, healthy_lab)


class _WithToys(object):
    """The lab host's reader, its snapshot with two toy devices (the toy family has no reader hook yet)."""

    def __init__(self, reader):
        self.reader = reader

    def snapshot(self, probe=True):
        san = self.reader.snapshot(probe=probe)
        san["toy"] = ["t1", "t2"]
        return san


def test_each_registered_family_judges_the_snapshot_and_a_third_plugs_in_with_one_line(tmp_path, monkeypatch):
    """Fails when collect leaves a registered family unjudged (its devices would have no verdict: never removed,
    and never reported), judges one that is not registered, or needs more than the registry line to judge the toy
    family."""
    truth = {"luns": [], "targets": [], "problems": [], "initiators": [IQN], "collected_at": 1.0,
             "nvme": {"namespaces": [], "targets": [], "clusters": [], "host_nqns": [], "problems": []},
             "toy": {"names": ["t1"]}}
    reader = _WithToys(healthy_lab(tmp_path).reader())
    san = facts.collect(reader, truth, probe=False)
    assert "verdicts" in san and "nvme_verdicts" in san and "toy_verdicts" not in san
    monkeypatch.setattr(judge_families, "FAMILIES", judge_families.FAMILIES + (toy_family.JUDGE_LINE,))
    san = facts.collect(reader, truth, probe=False)
    assert san["toy_verdicts"] == [{"name": "t1", "kind": "healthy"}, {"name": "t2", "kind": "stale_unmapped"}]
    assert "verdicts" in san and "nvme_verdicts" in san
    monkeypatch.setattr(judge_families, "FAMILIES", (toy_family.JUDGE_LINE,))
    assert "verdicts" not in facts.collect(reader, truth, probe=False)


def test_each_familys_part_of_the_truth_is_checked_on_its_own_and_a_third_plugs_in_with_one_line(monkeypatch):
    """facts.family_parts through the registry: the toy family's part (`toy`) checked by its own check; not the
    contract, it covers nothing and says why while the SCSI and NVMe parts stand; every part not the contract is bad
    input. Fails when family_parts checks a part the registry does not name, lets a bad part through, or lets one
    family's bad part blind another's."""
    monkeypatch.setattr(judge_families, "FAMILIES", judge_families.FAMILIES + (toy_family.JUDGE_LINE,))
    nvme = {"namespaces": [], "targets": [], "clusters": [], "host_nqns": [], "problems": []}
    truth = {"luns": [], "targets": [], "problems": [], "initiators": [IQN], "collected_at": 1.0, "nvme": nvme}
    assert facts.family_parts(dict(truth, toy={"names": ["t1"]}))["toy"] == {"names": ["t1"]}
    bad = facts.family_parts(dict(truth, toy="t1"))
    assert bad["toy"]["unusable"] and [p["kind"] for p in bad["toy"]["problems"]] == [facts.UNUSABLE_TRUTH]
    assert "the toy part of the array truth is not the contract" in bad["toy"]["problems"][0]["msg"]
    assert not bad.get("unusable") and bad["nvme"] is nvme and bad["initiators"] == [IQN]
    with pytest.raises(validate.InvalidInput, match="array_truth.toy must be a dict with a list of names"):
        facts.family_parts({"luns": "x", "nvme": "y", "toy": "t1"})


def test_one_family_holds_the_top_level_of_the_truth_and_the_others_a_key_each():
    """family_parts gives the truth's top level (less the other families' keys) to the one family without a key:
    fails when none or two have none (a part would be checked twice, or the top level by nobody), or two share one."""
    keys = [family.truth_key for family in judge_families.FAMILIES]
    assert keys.count(None) == 1 and len(set(keys)) == len(keys)


def test_a_blind_or_failed_toy_part_judges_no_toy_unmapped(tmp_path, monkeypatch):
    """Review 17: the toy family, the model of a third, read the part that covers nothing (its own not the contract)
    and a part carrying a cluster read's failure as "the array maps no toy" and judged every toy stale_unmapped.
    Fails when either judges a toy unmapped."""
    monkeypatch.setattr(judge_families, "FAMILIES", judge_families.FAMILIES + (toy_family.JUDGE_LINE,))
    reader = _WithToys(healthy_lab(tmp_path).reader())
    base = {"luns": [], "targets": [], "initiators": [IQN], "collected_at": 1.0}
    failed = {"cluster": "c1", "svm": None, "kind": "lookup_failed", "msg": "HTTP 503"}
    for given in (dict(base, problems=[], toy="t1"), dict(base, problems=[failed], toy={"names": []})):
        truth = facts.family_parts(given)
        kinds = set(v["kind"] for v in facts.collect(reader, truth, probe=False)["toy_verdicts"])
        assert kinds == set(["not_covered"]), (given, kinds)
    fine = facts.family_parts(dict(base, problems=[], toy={"names": ["t1"]}))
    assert [v["kind"] for v in facts.collect(reader, fine, probe=False)["toy_verdicts"]] == ["healthy", "stale_unmapped"]


def test_a_part_that_covers_nothing_shares_no_list_with_the_next_one():
    """Review 17: every blind part shared the registry's empty lists; a caller appending a record to one made the
    next unusable part cover it. Fails when two blind parts share a list."""
    first = facts.family_parts({"luns": "x", "nvme": {"namespaces": [], "targets": [], "clusters": [],
                                                      "host_nqns": [], "problems": []}})
    first["luns"].append({"wwid": "3600a0980"})
    second = facts.family_parts({"luns": "x", "nvme": {"namespaces": [], "targets": [], "clusters": [],
                                                       "host_nqns": [], "problems": []}})
    assert second["luns"] == [] and second["targets"] == []
