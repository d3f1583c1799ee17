# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device families' writers, one registry line per family: the executor (act/execute.py) runs a step with the
runner its family registered for the step's action, and names no family itself. A family's judge is registered
beside it in judge/families.py (the modules that only read import nothing of act/); both registries name the same
families in the same order (checked by the unit tests of act/families.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme, scsi

# (family name, {action: runner(host, steps) -> [(step, result dict or error, seconds)]})
FAMILIES = (
    ("scsi", scsi.WRITERS),
    ("nvme", nvme.WRITERS),
)


def act_table(families):
    """{action: runner} of every family; ValueError when two families claim one action (a step must have one writer)."""
    table = {}
    for name, writers in families:
        for action, runner in writers.items():
            if action in table:
                raise ValueError("action %r is claimed by two device families (the second: %s)" % (action, name))
            table[action] = runner
    return table
