#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stale_cleanup_plan
short_description: Plan the removal of stale SAN devices of a host from its SAN facts and verdicts
version_added: "1.0.0"
description:
  - Wraps C(san_plan.plan_cleanup), the one place that decides what a cleanup removes. Takes the SAN facts of the
    host (C(ansible_facts.san) from M(sanfleet.remediation.stale_mpath_facts), with C(verdicts)) and the policy,
    and returns the ordered steps of the whole host, which M(sanfleet.remediation.stale_cleanup_apply) runs as they
    are, plus the per-device lists (maps, disks, mismatches) for reports and for
    M(sanfleet.remediation.mpath_flush), M(sanfleet.remediation.scsi_delete) and M(sanfleet.remediation.scsi_rescan).
  - A removed map and its paths form one unit in the steps. The paths are deleted right after the map is gone,
    and C(multipath -w) comes after them. The exact rescans of its serial-mismatch paths follow.
  - Selects C(stale_unmapped) maps and disks; C(serial_mismatch) maps the array no longer maps and
    C(serial_mismatch) disks (when O(repair_mismatch)); C(unknown_array) maps only under
    O(policy=host_evidence), when every path's live probe said the LU is gone in O(earlier) and now, at least
    O(grace) seconds apart. Never selects C(healthy), C(paths_down_but_mapped), C(unexpected_visibility),
    C(not_covered) or anything in use; those are listed in RV(left_alone) with the reason, in-use ones naming
    the holder.
  - Plans no removal at all on the host when the array truth may be incomplete or old - a lookup failed or
    warned (C(san.array.problems)), the truth is empty while devices are covered, a covered device is
    C(unexpected_visibility), or the truth is older than O(truth_max_age) - and names why in RV(blocked).
  - Reads nothing but the names of the device-mapper devices holding a selected map or disk (sysfs
    C(/sys/block/dm-N/dm/{name,uuid}), with a deadline), so a refusal can name an LVM volume group, a partition
    map or a LUKS device. Never changes the host.
author:
  - sanfleet.remediation contributors (@sanfleet)
requirements:
  - Linux with sysfs (only to name holders).
options:
  san:
    description: The SAN facts of the host (C(ansible_facts.san)), with C(verdicts) from the array cross-check.
    type: dict
    required: true
  policy:
    description:
      - C(array) removes what the array says is unmapped (and repairs serial mismatches).
      - C(host_evidence) also removes maps of other arrays (C(unknown_array)) whose every path answered
        "logical unit not supported" in O(earlier) and in O(san), at least O(grace) seconds apart.
    type: str
    choices: [array, host_evidence]
    default: array
  grace:
    description: Seconds the host evidence must persist (O(policy=host_evidence)).
    type: float
    default: 120
  earlier:
    description: An earlier SAN snapshot of the same host (O(policy=host_evidence)); without it no
      C(unknown_array) map is selected, but RV(evidence_candidates) lists those that qualify now.
    type: dict
  truth_max_age:
    description:
      - Seconds the array truth (C(san.array.collected_at)) may be older than the host snapshot. Beyond it, or
        when the truth's age is unknown, nothing is removed on the host (RV(blocked) says why).
    type: float
    default: 900
  force_remove:
    description: Plan C(dmsetup remove --force --retry) after C(multipath -f) fails (in-use checks still apply).
    type: bool
    default: false
  remove_wwid:
    description: Plan C(multipath -w) for each removed map.
    type: bool
    default: true
  flush_buffers:
    description: Plan C(blockdev --flushbufs) for a disk whose live probe says it answers and is still the same LU.
    type: bool
    default: true
  repair_mismatch:
    description: Repair C(serial_mismatch) devices (flush the old map, delete the disks, exact rescan, verify).
    type: bool
    default: true
  allow_non_san:
    description: Allow disks on transports other than iSCSI/FC.
    type: bool
    default: false
  command_timeout:
    description: Deadline in seconds of the sysfs read that names holders.
    type: float
    default: 10.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode returns the same plan.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    description: Linux only.
notes:
  - The plan is what a real run executes, in that order, step for step; compare RV(steps) with the C(executed)
    results of the removal modules.
seealso:
  - module: sanfleet.remediation.stale_mpath_facts
  - module: sanfleet.remediation.mpath_flush
  - module: sanfleet.remediation.scsi_delete
  - module: sanfleet.remediation.scsi_rescan
"""

EXAMPLES = r"""
- name: Plan the cleanup of this host
  sanfleet.remediation.stale_cleanup_plan:
    san: "{{ ansible_facts.san }}"
    policy: array
  register: plan

- name: Remove each selected map
  sanfleet.remediation.mpath_flush:
    wwid: "{{ item }}"
  loop: "{{ plan.flush_maps }}"
"""

RETURN = r"""
steps:
  description: The ordered steps of the whole host (action, target, expect, reason, phase), as C(san_plan) builds them.
  returned: always
  type: list
  elements: dict
blocked:
  description:
    - Why no removal is planned on this host, each C(why) (C(array_truth_unknown), C(array_lookup_problem),
      C(empty_truth), C(unexpected_visibility), C(truth_age_unknown), C(truth_too_old)) with C(msg); empty when
      the truth allows removals.
  returned: always
  type: list
  elements: dict
left_alone:
  description:
    - Verdicts left alone and selected devices refused, each with kind, object, name and reason
      (C(skipped) of C(san_plan.plan_cleanup); not called C(skipped), which Ansible reads as "task skipped").
  returned: always
  type: list
  elements: dict
refused:
  description: The entries of RV(left_alone) refused because the device is in use (the reason names the holder).
  returned: always
  type: list
  elements: dict
flush_maps:
  description: WWIDs of the maps to remove, in plan order (input of M(sanfleet.remediation.mpath_flush)).
  returned: always
  type: list
  elements: str
unmapped_maps:
  description:
    - The WWIDs of RV(flush_maps) that the array no longer maps (C(stale_unmapped)). Pass C(array_unmapped=true) to
      M(sanfleet.remediation.mpath_flush) for them, so that a dead queueing map whose only openers are blocked in
      its I/O is planned the same way there (C(disable_queueing), C(verify_unused), flush).
  returned: always
  type: list
  elements: str
delete_disks:
  description: Identities (name, hctl, dev, wwid, serial) of the disks to delete after the map removals, in plan
    order (input of M(sanfleet.remediation.scsi_delete) C(devices)).
  returned: always
  type: list
  elements: dict
mismatches:
  description: Disks to repair, in plan order, each with its old identity (name, hctl, dev, wwid, serial) and
    C(expect_wwid)/C(expect_serial), the identity the array now has at that LUN id.
  returned: always
  type: list
  elements: dict
keep_maps:
  description: WWID to sorted path names of every map whose paths are all active and that the plan does not
    remove; the post-check compares the host with it.
  returned: always
  type: dict
evidence_candidates:
  description: WWIDs of C(unknown_array) maps whose every path says the LU is gone now (O(policy=host_evidence)
    only); probe again after O(grace) and pass this snapshot as O(earlier).
  returned: always
  type: list
  elements: str
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_plan
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_validate

_DM_NAME = re.compile(r"^dm-\d+$")


def _read_dm_holders(sys_root, names):
    out = {}
    for name in names:
        info = {"name": name}
        for attr in ("uuid", "name"):
            try:
                with open(os.path.join(sys_root, "block", name, "dm", attr)) as f:
                    info["dm_name" if attr == "name" else attr] = f.read().strip()
            except (IOError, OSError):
                pass
        out[name] = info
    return out


def describe_holders(san, sys_root="/sys", timeout=10.0):
    """{dm-N: {name, uuid, dm_name}} of every dm holder of a map or disk (sysfs attributes only)."""
    names = set()
    for obj in list((san.get("maps") or {}).values()) + list((san.get("disks") or {}).values()):
        for h in obj.get("holders") or []:
            h = h.get("name") if isinstance(h, dict) else h
            if isinstance(h, str) and _DM_NAME.match(h):
                names.add(h)
    if not names:
        return {}
    return deadline.call(_read_dm_holders, (sys_root, sorted(names)), timeout=timeout, what="read holders in sysfs")


def with_holder_names(san, described):
    """A copy of the snapshot whose holder lists carry {name, uuid, dm_name} where known (map holders only for
    objects that are not themselves multipath paths: a disk's own map holder stays a name)."""
    out = dict(san)
    for key in ("maps", "disks"):
        objs = {}
        for k, obj in (san.get(key) or {}).items():
            obj = dict(obj)
            obj["holders"] = [described.get(h, h) if isinstance(h, str) else h for h in obj.get("holders") or []]
            objs[k] = obj
        out[key] = objs
    return out


def derive(result_plan, san, verdicts):
    """Per-device work lists from the ordered steps."""
    steps = result_plan["steps"]
    flush_maps, delete_disks, mismatches = [], [], []
    mismatch_names = set(v.get("name") for v in verdicts or []
                         if v.get("kind") == "serial_mismatch" and v.get("object") == "disk")
    by_hctl = {}
    for s in steps:
        action, exp = s["action"], s.get("expect") or {}
        if action == "flush_map":
            flush_maps.append(exp.get("wwid") or s["target"])
        elif action == "delete_disk":
            ident = dict((k, exp.get(k)) for k in san_plan.IDENTITY_KEYS)
            if s["target"] in mismatch_names:
                by_hctl[ident["hctl"]] = dict(ident, expect_wwid=None, expect_serial=None)
                mismatches.append(by_hctl[ident["hctl"]])
            else:
                delete_disks.append(ident)
        elif action == "verify_identity" and exp.get("hctl") in by_hctl:
            by_hctl[exp["hctl"]]["expect_wwid"] = exp.get("wwid")
            by_hctl[exp["hctl"]]["expect_serial"] = exp.get("serial")
    removed = set(w.lower() for w in flush_maps)
    keep = {}
    for wwid, m in sorted((san.get("maps") or {}).items()):
        paths = m.get("paths") or []
        if wwid.lower() in removed or not paths or any(p.get("dm_state") != "active" for p in paths):
            continue
        keep[wwid] = sorted(p.get("name") for p in paths)
    return flush_maps, delete_disks, mismatches, keep


def evidence_candidates(san, verdicts):
    maps = san.get("maps") or {}
    out = []
    for v in verdicts or []:
        if v.get("kind") != "unknown_array" or v.get("object") != "map":
            continue
        m = maps.get(v.get("wwid")) or {}
        paths = [p.get("name") for p in m.get("paths") or []]
        probes = m.get("probe") or {}
        if paths and all((probes.get(p) or {}).get("result") in san_plan.LU_GONE for p in paths):
            out.append(v.get("wwid"))
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            san=dict(type="dict", required=True),
            policy=dict(type="str", default="array", choices=["array", "host_evidence"]),
            grace=dict(type="float", default=120.0),
            truth_max_age=dict(type="float", default=900.0),
            earlier=dict(type="dict"),
            force_remove=dict(type="bool", default=False),
            remove_wwid=dict(type="bool", default=True),
            flush_buffers=dict(type="bool", default=True),
            repair_mismatch=dict(type="bool", default=True),
            allow_non_san=dict(type="bool", default=False),
            command_timeout=dict(type="float", default=10.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    san = p["san"]
    if not isinstance(san.get("maps"), dict) or not isinstance(san.get("disks"), dict):
        module.fail_json(msg="san: not a SAN snapshot (ansible_facts.san of stale_mpath_facts): maps and disks "
                             "are missing")
    try:
        san_validate.snapshot_names(san)
    except san_validate.InvalidInput as exc:
        module.fail_json(msg="san: %s; nothing was planned" % exc)
    if "verdicts" not in san:
        # without the array truth nothing can be called stale: an empty plan, said loudly
        module.warn("san has no verdicts (stale_mpath_facts ran without array_luns): nothing is selected")
    if not p["grace"] >= 0:  # NaN too
        module.fail_json(msg="grace must be a number of seconds >= 0, got %r" % p["grace"])
    try:
        san_validate.positive_seconds(p["command_timeout"], "command_timeout")
    except san_validate.InvalidInput as exc:
        module.fail_json(msg=str(exc))
    verdicts = san.get("verdicts") or []
    errors = []
    try:
        described = describe_holders(san, timeout=p["command_timeout"])
    except deadline.DeadlineExceeded as exc:
        described = {}
        errors.append({"what": exc.what, "msg": "holders not named: did not finish within %ss" % exc.seconds})
    snapshot = with_holder_names(san, described)
    if p["truth_max_age"] <= 0:
        module.fail_json(msg="truth_max_age must be > 0")
    policy = {"policy": p["policy"], "grace": p["grace"], "earlier": p["earlier"], "truth_max_age": p["truth_max_age"],
              "force_remove": p["force_remove"], "remove_wwid": p["remove_wwid"],
              "flush_buffers": p["flush_buffers"], "repair_mismatch": p["repair_mismatch"],
              "allow_non_san": p["allow_non_san"]}
    try:
        plan = san_plan.plan_cleanup(snapshot, verdicts, policy)
    except (ValueError, KeyError, TypeError) as exc:
        module.fail_json(msg="planning failed: %s; nothing changed" % exc)
    flush_maps, delete_disks, mismatches, keep = derive(plan, san, verdicts)
    refused = [s for s in plan["skipped"] if s.get("kind") == "refused"]
    stale = set((v.get("wwid") or "").lower() for v in verdicts
                if v.get("kind") == "stale_unmapped" and v.get("object") == "map")
    unmapped_maps = [w for w in flush_maps if w.lower() in stale]
    for b in plan["blocked"]:
        module.warn("no removal on this host: %s (%s)" % (b["why"], b["msg"]))
    module.exit_json(changed=False, steps=plan["steps"], left_alone=plan["skipped"], refused=refused,
                     blocked=plan["blocked"],
                     flush_maps=flush_maps, unmapped_maps=unmapped_maps, delete_disks=delete_disks,
                     mismatches=mismatches, keep_maps=keep,
                     evidence_candidates=evidence_candidates(san, verdicts) if p["policy"] == "host_evidence"
                     else [], errors=errors)


if __name__ == "__main__":
    main()
