# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device families as the plan sees them, one registry line per family that plans apart from the core: its
plan of the host and what the approval needs to know of its steps. plan.cleanup.plan_cleanup adds each family's
plan to the host's (behind the family's own truth gates: a SCSI truth that blocks proves nothing about another
family's part, and the reverse), and plan.approval lists and checks each family's steps by its line; neither names
a family. SCSI has no line: its plan is plan_cleanup's core. A family's words in the plan (its actions and the kind
of object each acts on) are in its judge line (judge/families.py), below this stage."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import in_host_order


class FamilyPlan(object):
    """One family's plan. `plan(snapshot, policy)`: {steps, skipped, and the family's lists of what its steps remove
    (judge.families.Family.listed)}; `kinds`: the kinds of object its steps act on; `identity_keys`: the keys its
    steps' identity adds, in a plan artifact, to the ones every step has (plan.approval.IDENTITY_KEYS);
    `artifact_identity(step)`: those keys' values for one of its steps (what the approver sees and a real run
    compares); `unit_names(name)`: the objects a unit label's name gives (units of several objects join them)."""

    __slots__ = ("name", "plan", "kinds", "identity_keys", "artifact_identity", "unit_names")

    def __init__(self, name, plan, kinds, identity_keys, artifact_identity, unit_names):
        for key, value in (("name", name), ("plan", plan), ("kinds", tuple(kinds)),
                           ("identity_keys", tuple(identity_keys)), ("artifact_identity", artifact_identity),
                           ("unit_names", unit_names)):
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise AttributeError("a FamilyPlan is immutable")


# one line per family with a plan of its own, in the order its steps join the host's plan
PLANS = (
    FamilyPlan("nvme", nvme.plan_nvme, kinds=("controller",), identity_keys=("controller",),
               artifact_identity=nvme.artifact_identity, unit_names=nvme.unit_names),
)


def plan_of_kind(kind):
    """The registered family plan whose steps act on objects of `kind`; None for the core's (a map, a disk, a
    scan)."""
    for family in PLANS:
        if kind in family.kinds:
            return family
    return None


def with_family_plans(plan, parts):
    """The host's plan: the SCSI `plan` and each other family's part (FamilyPlan.plan): the steps in HOST_ORDER, the
    skipped objects after the SCSI ones, and each part's lists (delete_controllers, ...). A part naming a list the
    plan already has is refused (ValueError): one family's list would replace another's, and the approval would no
    longer cut a refused unit out of it."""
    out = dict(plan)
    for part in parts:
        clash = sorted(set(part) & set(out) - set(["steps", "skipped"]))
        if clash:
            raise ValueError("two device families' plans both give %s" % ", ".join(clash))
        out.update(part, steps=list(out["steps"]) + list(part["steps"]), skipped=list(out["skipped"]) + list(part["skipped"]))
    return dict(out, steps=in_host_order(out["steps"]))
