# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device families' judges, one registry line per family: judge.facts.collect runs each on the snapshot and the
array truth, in this order, and names no family itself. A family's writers are registered beside it in
act/families.py (apart, because the modules that only read import nothing of act/); both registries name the same
families in the same order (checked by the unit tests of act/families.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_verdicts, verdicts

# (family name, judge(san, truth, reader, settings)): a judge adds its family's verdicts to `san` (and what they
# rest on to `san["array"]`); settings: {prefixes, probe}
FAMILIES = (
    ("scsi", verdicts.judge_family),
    ("nvme", nvme_verdicts.judge_family),
)
