#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stale_cleanup_apply
short_description: Run the steps of a host's stale-device cleanup plan, in one pass, in plan order
version_added: "0.1.0"
description:
  - Runs RV(sanfleet.remediation.stale_cleanup_plan#module:steps) exactly, in order, and stops at the first error.
    This is the role C(stale_cleanup)'s only writer.
  - Runs in one pass so that a removed map and its paths are one unit. The paths are deleted right after the map is
    gone. A path left behind for the length of another task could be assembled into the same map again by
    C(multipathd) before it is deleted.
  - Each step re-reads what it acts on right before acting, through the same functions as
    M(sanfleet.remediation.mpath_flush), M(sanfleet.remediation.scsi_delete) and M(sanfleet.remediation.scsi_rescan).
    It compares the identity (H:C:T:L, major:minor, WWID, serial, map name and paths) and re-checks use (mounts,
    swap, holders, openers, live maps). A difference refuses; the steps already done are reported.
  - If C(multipathd) assembles the map again from a path between the flush and that path's delete, the map is
    removed again under the same checks before the delete. This applies only to a map with the WWID this plan just
    removed.
  - Check mode reports the steps it would run and changes nothing.
  - Every kernel touch has a hard deadline (O(command_timeout)). A stuck command or sysfs write is abandoned and
    named in the error.
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  steps:
    description:
      - The ordered steps from M(sanfleet.remediation.stale_cleanup_plan), unchanged.
      - Each is a dict with C(action), C(target), C(expect), C(reason) and C(phase).
    type: list
    elements: dict
    required: true
  phases:
    description:
      - Which phases of the plan to run. C(flush) covers a removed map with its paths. C(delete) covers stale disks
        without a map. C(rescan) covers the exact rescans that repair serial mismatches.
      - Steps of the other phases are skipped and listed in RV(not_run).
    type: list
    elements: str
    choices: [flush, delete, rescan]
    default: [flush, delete, rescan]
  array_unmapped:
    description:
      - WWIDs of the maps the array no longer maps (RV(sanfleet.remediation.stale_cleanup_plan#module:unmapped_maps)).
      - Only these may be planned to release openers blocked in their dead I/O. A step that asks for that on any
        other map is refused.
    type: list
    elements: str
    default: []
  force_remove:
    description: Must be true when a step falls back to C(dmsetup remove --force --retry). A plan that asks for it
      without this option is refused.
    type: bool
    default: false
  allow_non_san:
    description: Allow acting on disks and SCSI hosts that are not iSCSI/FC.
    type: bool
    default: false
  timeout:
    description: Budget in seconds for the C(multipath -f) retries of one map.
    type: float
    default: 60
  wait_timeout:
    description: Seconds to wait for a device to vanish or appear.
    type: float
    default: 30
  command_timeout:
    description: Hard deadline in seconds for each command and sysfs read or write.
    type: float
    default: 10
  wwids_file:
    description: The multipath wwids file, checked after C(multipath -w).
    type: path
    default: /etc/multipath/wwids
  clean_references:
    description:
      - After a successful run, lines that still name a removed device (by WWID, C(/dev/mapper/) name or
        C(/dev/disk/by-id/) link) are always reported in RV(references) - C(/etc/fstab), C(/etc/crypttab), the LVM
        devices file C(/etc/lvm/devices/system.devices) and C(*.mount) units in C(/etc/systemd/system).
      - When true, those lines of fstab, crypttab and the devices file are commented out (atomic write, backup
        file next to it). Mount units are only reported. Default false - nothing is edited.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    description: Returns the steps it would run (RV(run)), exactly the plan's, and changes nothing.
  diff_mode:
    support: none
    description: No file is edited unless O(clean_references) is true; RV(executed) lists what was done.
  platform:
    support: full
    platforms: posix
    description: Linux with device-mapper multipath (multipath-tools) and SCSI disks in sysfs.
notes:
  - Never opens C(/dev/dm-*), because that can hang on a queueing map with no paths.
"""

EXAMPLES = r"""
- name: Plan the cleanup from the SAN facts and the array cross-check
  sanfleet.remediation.stale_cleanup_plan:
    san: "{{ ansible_facts.san }}"
  register: plan

- name: Run it
  sanfleet.remediation.stale_cleanup_apply:
    steps: "{{ plan.steps }}"
    array_unmapped: "{{ plan.unmapped_maps }}"
"""

RETURN = r"""
run:
  description: The steps selected by O(phases), in the order they run. Check mode reports them and runs nothing.
  returned: always
  type: list
  elements: dict
not_run:
  description: The steps of phases that were not selected.
  returned: always
  type: list
  elements: dict
executed:
  description: The steps executed, each with C(action), C(target), C(elapsed), C(outcome) and C(detail).
    Empty in check mode.
  returned: always
  type: list
  elements: dict
removed_maps:
  description: The maps removed, as names.
  returned: always
  type: list
  elements: str
deleted_disks:
  description: The disks deleted, as names.
  returned: always
  type: list
  elements: str
references:
  description:
    - Lines that still name a removed device, each with C(kind) (fstab, crypttab, lvm_devices, mount_unit),
      C(file), C(line), C(text), C(matches) and C(action) (reported or commented_out).
  returned: after a run that removed something
  type: list
  elements: dict
failed_step:
  description: The step that failed.
  returned: on failure while executing
  type: dict
refusal:
  description: Why a step refused, with C(kind) and C(holder).
  returned: on refusal
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils import config_write
from ansible_collections.sanfleet.remediation.plugins.module_utils import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_act
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_plan
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_validate

PHASES = ("flush", "delete", "rescan")


def build_host(module):
    p = module.params
    return san_act.host_for_module(p, flush_timeout=p["timeout"], wait_timeout=p["wait_timeout"],
                                   wwids_file=p["wwids_file"], allow_non_san=p["allow_non_san"])


def check_step(st, array_unmapped, force_remove):
    """A step as the planner makes it, or InvalidInput: unknown action, malformed target, a wider power than
    this module was given (force, release of openers)."""
    if not isinstance(st, dict) or not isinstance(st.get("expect", {}), dict):
        raise san_validate.InvalidInput("each step must be a dict with a dict 'expect'")
    action, target, expect = st.get("action"), st.get("target"), st.get("expect") or {}
    if action not in san_plan.ACTIONS:
        raise san_validate.InvalidInput("unknown action %r" % (action,))
    if st.get("phase") is not None and st.get("phase") not in PHASES:
        raise san_validate.InvalidInput("unknown phase %r of %s" % (st.get("phase"), action))
    if not isinstance(target, str):
        raise san_validate.InvalidInput("%s: target must be a string" % action)
    if action == "remove_wwid":
        san_validate.wwid(target)
    elif action in san_plan.MAP_ACTIONS:
        san_validate.map_name(target)
    elif action in san_plan.DISK_ACTIONS or action == "rescan_disk":
        san_validate.sd_name(target)
    else:
        san_validate.hctl(target)
    for key in ("wwid", "after_flush"):
        if expect.get(key):
            san_validate.wwid(expect[key])
    if expect.get("name") is not None:
        (san_validate.map_name if action in san_plan.MAP_ACTIONS else san_validate.sd_name)(expect["name"])
    for key, check in (("hctl", san_validate.hctl), ("dev", san_validate.dev_t), ("dm", san_validate.dm_name)):
        if expect.get(key) is not None:
            check(expect[key])
    if not isinstance(expect.get("slaves") or [], list):
        raise san_validate.InvalidInput("%s %s: expect.slaves must be a list" % (action, target))
    for slave in expect.get("slaves") or []:
        san_validate.sd_name(slave)
    if expect.get("settle") is not None:
        san_validate.positive_seconds(expect["settle"], "expect.settle")
    if expect.get("force_remove") and not force_remove:
        raise san_validate.InvalidInput("%s %s asks for dmsetup remove --force, but force_remove is false"
                                        % (action, target))
    if expect.get("release_openers") or action == "verify_unused":
        if (expect.get("wwid") or "").lower() not in array_unmapped:
            raise san_validate.InvalidInput("%s %s releases openers of a map that is not in array_unmapped"
                                            % (action, target))
    return st


def main():
    module = AnsibleModule(
        argument_spec=dict(
            steps=dict(type="list", elements="dict", required=True),
            phases=dict(type="list", elements="str", choices=list(PHASES), default=list(PHASES)),
            array_unmapped=dict(type="list", elements="str", default=[]),
            force_remove=dict(type="bool", default=False),
            allow_non_san=dict(type="bool", default=False),
            timeout=dict(type="float", default=60.0),
            wait_timeout=dict(type="float", default=30.0),
            command_timeout=dict(type="float", default=10.0),
            wwids_file=dict(type="path", default="/etc/multipath/wwids"),
            clean_references=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, run=[], not_run=[], executed=[], removed_maps=[], deleted_disks=[])
    for opt in ("timeout", "wait_timeout", "command_timeout"):
        if not 0 < p[opt] <= 3600:
            module.fail_json(msg="%s must be between 0 and 3600 seconds, got %s; nothing changed" % (opt, p[opt]),
                             **result)
    try:
        unmapped = set(san_act.multipath_form(san_validate.wwid(w)).lower() for w in p["array_unmapped"])
        steps = [check_step(st, unmapped, p["force_remove"]) for st in p["steps"]]
    except san_validate.InvalidInput as exc:
        module.fail_json(msg="invalid plan: %s; nothing changed" % exc, **result)
    everything = set(p["phases"]) == set(PHASES)
    result["run"] = [st for st in steps if everything or st.get("phase") in p["phases"]]
    result["not_run"] = [st for st in steps if st not in result["run"]]
    result["changed"] = bool(result["run"])
    if module.check_mode or not result["run"]:
        module.exit_json(**result)

    host = build_host(module)
    try:
        result["executed"] = san_act.execute(result["run"], host)
    except san_act.ExecutionError as exc:
        failure = exc.to_dict()
        msg = failure.pop("msg")
        result.update(failure)  # executed, failed_step and refusal or deadline
        result["changed"] = bool(result["executed"])
        module.fail_json(msg="cleanup stopped after %d of %d steps: %s" % (len(result["executed"]),
                                                                           len(result["run"]), msg), **result)
    done = [e for e in result["executed"] if e["outcome"] == "done"]
    result["removed_maps"] = [e["target"] for e in done if e["action"] == "flush_map"]
    result["deleted_disks"] = [e["target"] for e in done if e["action"] == "delete_disk"]
    result["changed"] = bool(done)
    if done:
        report_references(module, host, result)
    module.exit_json(**result)


def report_references(module, host, result):
    """fstab/crypttab/LVM devices file/mount unit lines that still name what was removed: reported, and
    commented out only with clean_references."""
    try:
        after = host.reader.snapshot(probe=False)
        present = list(after.get("maps") or {}) + [d.get("wwid") for d in (after.get("disks") or {}).values()
                                                   if d and d.get("wwid")]
        refs = san_act.references(host, result["executed"], present)
        if refs and module.params["clean_references"]:
            backups = []
            san_act.clean_references(host, refs, lambda path, text: backups.append(
                config_write.write_text(module, path, text, backup=True)))
            result["reference_backups"] = [b for b in backups if b]
        elif refs:
            module.warn("%d line(s) still name a removed device (see 'references'): %s" % (
                len(refs), "; ".join("%s:%s" % (r["file"], r["line"]) for r in refs)))
    except (deadline.DeadlineExceeded, RuntimeError, OSError) as exc:
        refs = []
        result["references_error"] = str(exc)
    result["references"] = refs


if __name__ == "__main__":
    main()
