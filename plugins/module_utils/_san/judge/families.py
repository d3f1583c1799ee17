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
    removal while their part lists a problem (plan.cleanup.removal_blockers, plan.nvme)."""

    __slots__ = ("name", "label", "truth_key", "check_truth", "blind_truth", "judge")

    def __init__(self, name, label, truth_key, check_truth, blind_truth, judge):
        for key, value in (("name", name), ("label", label), ("truth_key", truth_key), ("check_truth", check_truth),
                           ("blind_truth", dict(blind_truth)), ("judge", judge)):
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise AttributeError("a Family is immutable")


# one line per family, in the order the judges run
FAMILIES = (
    Family("scsi", "SCSI", None, validate.array_truth,
           {"luns": [], "targets": [], "initiators": None, "collected_at": None}, verdicts.judge_family),
    Family("nvme", "NVMe", "nvme", nvme_verdicts.checked_truth,
           {"namespaces": [], "targets": [], "clusters": [], "host_nqns": None}, nvme_verdicts.judge_family),
)
