# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/families.py`: a family's plan joins the host's by its registry
line, and the approval lists and checks its steps by that line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    approval, cleanup, families as plan_families, nvme as plan_nvme, steps as plan_steps)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import families as judge_families
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san import toy_family

HOST = {"machine_id": "m1", "hostname": "h1"}


def test_nvme_plans_by_its_line_and_a_line_is_immutable():
    """Fails when NVMe's plan is not its registry line (plan_cleanup would have to name it), its kinds are not the
    kinds its judge line's actions act on, or a line can be changed after it is registered."""
    (line,) = plan_families.PLANS
    assert (line.name, line.plan, line.kinds, line.identity_keys) == ("nvme", plan_nvme.plan_nvme, ("controller",),
                                                                      ("controller",))
    nvme_words = [f for f in judge_families.FAMILIES if f.name == "nvme"][0].actions
    assert set(kind for kind, _action, _options in nvme_words) == set(line.kinds)
    assert plan_families.plan_of_kind("controller") is line and plan_families.plan_of_kind("map") is None
    with pytest.raises(AttributeError):
        line.plan = None


def test_the_host_plan_adds_each_familys_part_after_the_core_in_host_order():
    """Fails when a family's steps are not put in HOST_ORDER with the core's, its skipped objects are not after the
    core's, or its lists are lost."""
    core = {"steps": [plan_steps.step("flush_map", "mpatha")], "skipped": [{"name": "sdx"}], "blocked": []}
    part = {"steps": [plan_steps.step("wait_controller_gone", "nvme0"), plan_steps.step("delete_controller", "nvme0")],
            "skipped": [{"name": "nvme1"}], "delete_controllers": [{"name": "nvme0"}]}
    out = plan_families.with_family_plans(core, [part])
    assert [(st.action, st.target) for st in out["steps"]] == [
        ("flush_map", "mpatha"), ("delete_controller", "nvme0"), ("wait_controller_gone", "nvme0")]
    assert out["skipped"] == [{"name": "sdx"}, {"name": "nvme1"}]
    assert out["delete_controllers"] == [{"name": "nvme0"}] and out["blocked"] == []
    assert plan_families.with_family_plans(core, []) == core


def test_two_families_giving_the_same_list_are_refused_not_merged():
    """Fails when a family's part that names a list the plan already has (another family's, or the core's) silently
    replaces it: the approval would no longer cut a refused unit out of the list it lost."""
    core = {"steps": [], "skipped": [], "delete_disks": [{"name": "sdc"}]}
    with pytest.raises(ValueError, match="two device families' plans both give delete_disks"):
        plan_families.with_family_plans(core, [{"steps": [], "skipped": [], "delete_disks": []}])
    part = {"steps": [], "skipped": [], "delete_controllers": []}
    with pytest.raises(ValueError, match="delete_controllers"):
        plan_families.with_family_plans(core, [part, dict(part)])


def test_a_third_familys_plan_is_planned_listed_and_checked_by_its_line(monkeypatch):
    """The toy family through its lines only: plan_cleanup adds its steps and list, the artifact lists its step
    with its own identity key (none of the shared ones applying), the approval accepts that identity and refuses one
    without its key, and an approved toy unit naming two toys that are both gone says so of each. Fails when the
    plan or the approval needs anything but the registry lines to carry a family."""
    families = judge_families.FAMILIES + (toy_family.JUDGE_LINE,)
    order, options, kinds = plan_steps.vocabulary(families)
    monkeypatch.setattr(plan_steps, "OPTIONS", options)
    monkeypatch.setattr(plan_steps, "ACTIONS", order)
    monkeypatch.setattr(plan_steps, "HOST_ORDER", order)
    monkeypatch.setattr(plan_steps, "KINDS", kinds)
    monkeypatch.setattr(approval, "FAMILIES", families)
    monkeypatch.setattr(plan_families, "PLANS", plan_families.PLANS + (toy_family.PLAN_LINE,))
    monkeypatch.setattr(approval, "STEP_KEYS", approval.STEP_KEYS + ("toy",))
    snapshot = {"maps": {}, "disks": {}, "toy": ["t1", "t2"], "array": {},
                "toy_verdicts": [{"name": "t1", "kind": "stale_unmapped"}, {"name": "t2", "kind": "stale_unmapped"}]}
    plan = cleanup.plan_cleanup(snapshot, [], {"policy": "array"})
    assert [(st.action, st.target) for st in plan["steps"]] == [("toy_poke", "t1+t2")]
    assert plan["poke_toys"] == [{"name": "t1+t2"}]
    art = approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0)
    assert art["steps"][0]["identity"] == dict(dict.fromkeys(approval.IDENTITY_KEYS), toy="poke t1+t2")
    approval.validate(art, 1001.0, approval.MAX_AGE)
    out, seen = approval.gate(plan, snapshot, art)
    assert seen == {"refused": [], "not_needed": []} and out["poke_toys"] == [{"name": "t1+t2"}]
    bad = dict(art, steps=[dict(art["steps"][0], identity=dict.fromkeys(approval.IDENTITY_KEYS))])
    bad["digest"] = approval.digest(approval.FORMAT, HOST, 1000.0, bad["steps"])
    with pytest.raises(approval.InvalidInput, match="identity must be a dict with exactly the keys"):
        approval.validate(bad, 1001.0, approval.MAX_AGE)
    out, seen = approval.gate(dict(plan, steps=[]), {"toy": []}, art)
    assert [s["why"] for s in seen["not_needed"]] == ["t1, t2 is no longer on this host"]
