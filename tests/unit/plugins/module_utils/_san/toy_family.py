# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST ONLY. A third device family in one file, plugged in by the tests through one line of each registry
(observe/, judge/, plan/ and act/families.py), never by editing the pipeline: its read of the host (the names
under <root>/toys), its plan (one unit poking every stale toy), "toy" devices in the snapshot's `toy` key, a
check of its part of the array truth, a judge that calls a toy the truth's `toy` records do not name stale, and
one writer, `toy_poke`, that acts on one
step at a time (act.batch.single) after a check of each unit."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import single
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.families import Family
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.families import FamilyRead
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.families import FamilyPlan
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import step
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import InvalidInput


def checked_truth(toys):
    """The toy part of the array truth (`toy`): {names: the toys the array maps to this host}, or not the contract."""
    if not isinstance(toys, dict) or not isinstance(toys.get("names"), list):
        raise InvalidInput("array_truth.toy must be a dict with a list of names, got %r" % (toys,))
    return toys


def judge(san, truth, reader, settings):  # pylint: disable=unused-argument  # the registry's one signature
    part = truth.get("toy") or {}
    mapped = set(part.get("names") or [])
    # a part that is not the contract, or lists a problem (a read that failed), proves no toy unmapped
    blind = part.get("unusable") or part.get("problems") or "names" not in part
    san["toy_verdicts"] = [{"name": name, "kind": "healthy" if name in mapped else
                            "not_covered" if blind else "stale_unmapped"} for name in sorted(san.get("toy") or [])]


def units_checked(host, unit_steps):
    """A toy whose name says it answers again stops its unit before any of its steps."""
    for st in unit_steps:
        if st.target.endswith("-answers"):
            raise Refused("toy %s" % st.target, "came_back", "answers again: not poking")


def poke(host, step):
    return {"outcome": "done", "poked": step.target}


def object_names(snapshot):
    return set(snapshot.get("toy") or [])


def truth_time(part):
    return (part or {}).get("read_at")


def device_lines(san, steps):
    poked = set(st.target for st in steps if st.action == "toy_poke")
    return ["toy %s" % name for name in sorted(san.get("toy") or []) if name not in poked]


def read_toys(root):
    """The toys of the host: the names under <root>/toys; None when that directory is not there to list."""
    where = os.path.join(root, "toys")
    return {"names": sorted(os.listdir(where))} if os.path.isdir(where) else None


def plan_toys(snapshot, policy):  # pylint: disable=unused-argument  # the registry's one signature
    """One unit of every toy the judge called stale, poked together."""
    stale = [v["name"] for v in snapshot.get("toy_verdicts") or [] if v["kind"] == "stale_unmapped"]
    if not stale:
        return {"steps": [], "skipped": [], "poke_toys": []}
    name = "+".join(stale)
    return {"steps": [step("toy_poke", name, {"name": name}).tagged("delete", "toy " + name)], "skipped": [],
            "poke_toys": [{"name": name}]}


def poked_identity(step):
    return {"toy": "poke " + step.target}


def toy_names(name):
    return name.split("+")


READ_LINE = FamilyRead("toy", read_toys, "read of the toys")
PLAN_LINE = FamilyPlan("toy", plan_toys, kinds=("toy",), identity_keys=("toy",), artifact_identity=poked_identity,
                       unit_names=toy_names)
JUDGE_LINE = Family("toy", "toy", "toy", checked_truth, {}, judge, actions=(("toy", "toy_poke", ()),),
                    listed=(("toy_poke", "poke_toys"),),
                    results=(("toy_poke", "poked_toys"),), object_names=object_names,
                    truth_time=truth_time, device_lines=device_lines)
WRITERS_LINE = ("toy", {"toy_poke": single(poke, before=units_checked)})
