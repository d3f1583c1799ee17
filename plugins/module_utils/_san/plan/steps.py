# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's vocabulary: the actions and their order and a step (`step()`); a refusal is errors.Refused. The
identity a step carries for the act to re-check, and the comparison with it (`map_identity`, `disk_identity`,
`identity_diff`), are identity.py's. A step is a dict::

    {"action": "flush_map", "target": "3600a0980...",
     "expect": {...identity that the act re-reads and compares right before acting...},
     "reason": "why this step is needed"}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users


# Actions understood by act.execute.execute, in the order they may appear for one object.
MAP_ACTIONS = ("disable_queueing", "verify_unused", "flush_map", "wait_map_gone", "remove_wwid")


DISK_ACTIONS = ("flush_buffers", "delete_disk", "wait_disk_gone")


SCAN_ACTIONS = ("scan_exact_lun", "rescan_disk", "wait_disk_present", "verify_identity")


# The NVMe family's (plan/nvme.py): an NVMe-oF controller that is not live, deleted, and waited for.
CONTROLLER_ACTIONS = ("delete_controller", "wait_controller_gone")


ACTIONS = MAP_ACTIONS + DISK_ACTIONS + SCAN_ACTIONS + CONTROLLER_ACTIONS


# The actions whose target is an sd by name (the removal's disk steps and the rescan of a reused LUN's disk): the
# act reads these as disks, every other step by its map.
SD_TARGET_ACTIONS = DISK_ACTIONS + ("rescan_disk",)


# The order a whole host's plan runs in (plan_cleanup): every unit's steps of one kind side by side, so that
# act.execute.execute checks them against one read of the host. A unit keeps its own order: its map is gone before
# its paths are deleted, its paths are gone before its WWID is forgotten and before a reused LUN is scanned.
HOST_ORDER = ("disable_queueing", "verify_unused", "flush_map", "wait_map_gone", "flush_buffers", "delete_disk",
              "wait_disk_gone", "remove_wwid", "scan_exact_lun", "rescan_disk", "wait_disk_present", "verify_identity",
              "delete_controller", "wait_controller_gone")


# Openers that are not a workload: multipathd itself (it keeps fds on paths) and udev's probes, which get stuck
# in blkid on a queueing map (lab finding 2). Disabling queueing makes their I/O fail and they go away.
HARMLESS_OPENERS = users.HARMLESS_OPENERS


# How long verify_unused waits, after queueing is off, for openers blocked in a dead map's I/O to leave.
RELEASE_SETTLE = 10.0


# Probe results (observe.read.Host.probe_path) that mean "the device answers and has a medium".
ANSWERING = ("ready",)


# Host evidence that the LU behind a path is gone (never "no answer": a dropped portal also gives none).
LU_GONE = ("lun_not_supported", "pq1")


def step(action, target, expect=None, reason=""):
    if action not in ACTIONS:
        raise ValueError("unknown action %r" % action)
    return {"action": action, "target": target, "expect": dict(expect or {}), "reason": reason}


def with_phase(steps, phase, unit):
    """Tag steps with the role phase (flush, delete, rescan) that runs them, so a tag selects whole units, and with
    their unit (what one refusal or failure stops at act time)."""
    for st in steps:
        st["phase"] = phase
        st["unit"] = unit
    return steps
