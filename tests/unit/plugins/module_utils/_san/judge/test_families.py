# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/families.py`: judge.facts.collect runs each registered family's
judge, in the registry's order, and a third family plugs in with a registry line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
             "toy": ["t1"]}
    reader = _WithToys(healthy_lab(tmp_path).reader())
    san = facts.collect(reader, truth, probe=False)
    assert "verdicts" in san and "nvme_verdicts" in san and "toy_verdicts" not in san
    monkeypatch.setattr(judge_families, "FAMILIES", judge_families.FAMILIES + (toy_family.JUDGE_LINE,))
    san = facts.collect(reader, truth, probe=False)
    assert san["toy_verdicts"] == [{"name": "t1", "kind": "healthy"}, {"name": "t2", "kind": "stale_unmapped"}]
    assert "verdicts" in san and "nvme_verdicts" in san
    monkeypatch.setattr(judge_families, "FAMILIES", (toy_family.JUDGE_LINE,))
    assert "verdicts" not in facts.collect(reader, truth, probe=False)
