# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device families as the judge sees them, one registry line per family: judge.facts checks each family's part
of the array truth on its own (family_parts) and runs each family's judge on the snapshot and the truth, in this
order, and names no family itself. A family's writers are registered beside it in
act/families.py (apart, because the modules that only read import nothing of act/); both registries name the same
families in the same order (checked by the unit tests of act/families.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_verdicts, verdicts


class Family(object):
    """One device family as the judge sees it. `truth_key`: where its part of the array truth is (None: the truth's
    top level, less the other families' keys); `check_truth(part)`: that part checked and normalised (it raises
    validate.InvalidInput when the part is not the contract); `blind_truth`: the part that covers nothing, put in
    place of one that is not the contract; `judge(san, truth, reader, settings)`: adds the family's verdicts to
    `san` (and what they rest on to `san["array"]`); settings: {prefixes, probe}. A family removes nothing on
    a part that is `unusable` or lists a problem (absent from what was read is not unmapped): SCSI's and NVMe's
    blind parts cover no target, so their judges find every device not covered, and their plans refuse every
    removal while their part lists a problem (plan.cleanup.removal_blockers, plan.nvme).

    `actions`: the family's words in the plan, ((kind, action, options), ...) in the order a host's plan runs them
    (plan.steps builds the plan's vocabulary from every family's, in registry order): `kind` the object the action
    acts on (the first word of a unit's label, "map <name>"), `options` the names of the options the act of that
    action reads, and nothing else (plan.steps.Step refuses any other). They are here, below plan/, because every
    stage from the plan up reads them and the family's plan imports plan.steps. `listed`: ((action, key), ...), the
    plan's list (plan[key], of dicts with a `name`) of the objects that action's steps remove: a unit the approval
    drops leaves it too (plan.approval). `results`: ((action, key), ...), the module result's list of the targets
    of that action's steps that were done (modules/stale_cleanup). `truth_time(part)`: the time the family's part
    of the truth was read, which the act measures its age from before each unit's first touch (act.checks
    .verify_truth_age; None: the part has no time, its age is not checked again). `device_lines(san, steps)`: the
    family's devices on the host as --diff lists them, less what `steps` remove (run.cleanup.plan_diff).
    `object_names(snapshot)`: the names of the family's removable objects on the host, as a unit's label names
    them (an approved unit none of whose names is there is "no longer on this host")."""

    __slots__ = ("name", "label", "truth_key", "check_truth", "blind_truth", "judge", "actions", "listed", "results",
                 "object_names", "truth_time", "device_lines")

    def __init__(self, name, label, truth_key, check_truth, blind_truth, judge, actions, listed, results,
                 object_names, truth_time, device_lines):
        actions = tuple((kind, action, tuple(options)) for kind, action, options in actions)
        for key, value in (("name", name), ("label", label), ("truth_key", truth_key), ("check_truth", check_truth),
                           ("blind_truth", dict(blind_truth)), ("judge", judge), ("actions", actions),
                           ("listed", tuple(listed)), ("results", tuple(results)), ("object_names", object_names),
                           ("truth_time", truth_time), ("device_lines", device_lines)):
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise AttributeError("a Family is immutable")


# one line per family, in the order the judges run (and a host's plan runs their steps)
FAMILIES = (
    Family("scsi", "SCSI", None, validate.array_truth,
           {"luns": [], "targets": [], "initiators": None, "collected_at": None}, verdicts.judge_family,
           actions=verdicts.PLAN_ACTIONS, listed=(("delete_disk", "delete_disks"),),
           results=(("flush_map", "removed_maps"), ("delete_disk", "deleted_disks")), object_names=verdicts.object_names,
           truth_time=verdicts.truth_time, device_lines=verdicts.device_lines),
    Family("nvme", "NVMe", "nvme", nvme_verdicts.checked_truth,
           {"namespaces": [], "targets": [], "clusters": [], "host_nqns": None}, nvme_verdicts.judge_family,
           actions=nvme_verdicts.PLAN_ACTIONS, listed=(("delete_controller", "delete_controllers"),),
           results=(("delete_controller", "deleted_controllers"),), object_names=nvme_verdicts.object_names,
           truth_time=nvme_verdicts.nvme_truth_time, device_lines=nvme_verdicts.device_lines),
)


def part_of(family, truth):
    """`family`'s part of the array truth `truth` (a dict): the part under its key, or for the family at the top level
    (truth_key None) the truth less every other family's key; None when the truth has no such part."""
    if family.truth_key is not None:
        return truth.get(family.truth_key)
    nested = set(f.truth_key for f in FAMILIES if f.truth_key is not None)
    return dict((key, value) for key, value in truth.items() if key not in nested)
