#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: scsi_delete
short_description: Delete stale SCSI disk devices, re-checking their identity before each write
version_added: "0.1.0"
description:
  - Deletes SCSI disks (sd devices) by name, by H:C:T:L or by WWID. Each device goes through
    C(blockdev --flushbufs) (only when it still answers as the same LU), a write of C(1) to
    C(/sys/class/scsi_device/H:C:T:L/device/delete), then a wait until the device, its H:C:T:L and its
    C(/dev/disk/by-id) links are gone.
  - Kernel names are reused. Right before each write the module re-reads the name, H:C:T:L, major:minor,
    WWID and serial. It refuses if any of them differs from what the caller expected (O(devices)) or from what
    the plan saw.
  - "It also refuses, with nothing changed, devices that are in use: mounted, swap, held by LVM, md or another
    dm device, or open by a process. The error names the holder. It refuses paths of a live multipath map
    (flush the map first with M(sanfleet.remediation.multipath_flush)) and devices that are not on iSCSI or FC
    (unless O(allow_non_san))."
  - Every kernel touch has a hard deadline. A write to C(device/delete) that hangs on a wedged host is abandoned,
    and the module fails with a clear message.
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  name:
    description: sd names, for example C(sdc). The identity seen when planning is re-checked before the write.
    type: list
    elements: str
  hctl:
    description: SCSI addresses C(H:C:T:L) of the disks to delete.
    type: list
    elements: str
  wwid:
    description:
      - Delete every SCSI disk with this WWID (all paths of one LUN). No disk with this WWID means
        C(changed=false).
    type: str
  devices:
    description:
      - Disks with the identity the caller expects, as returned in RV(sanfleet.remediation.multipath_flush#module:slaves)
        or the facts. Each needs O(devices[].name) or O(devices[].hctl). Every other key given must still match,
        or the module refuses.
    type: list
    elements: dict
    suboptions:
      name:
        description: sd name.
        type: str
      hctl:
        description: Expected H:C:T:L.
        type: str
      dev:
        description: Expected major:minor.
        type: str
      wwid:
        description: Expected WWID.
        type: str
      serial:
        description: Expected VPD 0x80 serial (as sysfs shows it).
        type: str
  missing_ok:
    description:
      - With O(name), O(hctl) or O(devices), skip devices that no longer exist instead of failing. They are
        reported in RV(missing). A name that now belongs to another device is never "missing"; that is a refusal.
    type: bool
    default: false
  allow_non_san:
    description: Also delete disks whose transport is not iSCSI or FC (local SAS/SATA/virtio-scsi). Off by default.
    type: bool
    default: false
  flush_buffers:
    description: Run C(blockdev --flushbufs) first, but only on devices that answer TEST UNIT READY as the same LU.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each deleted device and its by-id links to vanish.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.deadlines
  - sanfleet.remediation.deadlines.wait
attributes:
  check_mode:
    support: full
    description: Returns the exact list of steps (RV(plan)) that a real run executes. Reads and probes only.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    description: Linux (sysfs).
seealso:
  - module: sanfleet.remediation.multipath_flush
  - module: sanfleet.remediation.scsi_rescan
"""

EXAMPLES = r"""
- name: Remove a stale map, then delete the paths it had, checking their identity
  sanfleet.remediation.multipath_flush:
    wwid: 3600a09803830447a4f244c4657616f6f
  register: flushed

- name: Delete the paths
  sanfleet.remediation.scsi_delete:
    devices: "{{ flushed.slaves }}"
    missing_ok: true

- name: Delete one orphan path by address, expecting its WWID
  sanfleet.remediation.scsi_delete:
    devices:
      - hctl: "4:0:0:7"
        wwid: 3600a09803830447a4f244c4657616f6f
"""

RETURN = r"""
plan:
  description: Ordered steps (flush_buffers, delete_disk, wait_disk_gone per disk); a real run executes exactly them.
  returned: always
  type: list
  elements: dict
executed:
  description: Steps executed with C(elapsed) seconds and C(outcome). Empty in check mode.
  returned: always
  type: list
  elements: dict
removed:
  description: Names of the disks deleted.
  returned: always
  type: list
  elements: str
missing:
  description: Requested devices that were already gone (with O(missing_ok)).
  returned: always
  type: list
  elements: str
refusal:
  description: Why the module refused (C(kind), C(holder), C(msg)).
  returned: on refusal
  type: dict
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module as skeleton
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module_act
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import disks as plan_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate


build_host = module_act.disk_host  # the tests act on a fake host through this name


def _validated(p):
    """[(selector kind, value, expected identity)], all input validated before anything is read."""
    wanted = []
    for n in p["name"] or []:
        wanted.append(("name", validate.sd_name(n), {"name": n}))
    for h in p["hctl"] or []:
        wanted.append(("hctl", validate.hctl(h), {"hctl": h}))
    for i, d in enumerate(p["devices"] or []):
        exp = {}
        if d.get("name") is not None:
            exp["name"] = validate.sd_name(d["name"])
        if d.get("hctl") is not None:
            exp["hctl"] = validate.hctl(d["hctl"])
        if d.get("wwid") is not None:
            exp["wwid"] = identity.multipath_wwid(validate.wwid(d["wwid"]))
        if d.get("dev") is not None:
            if not isinstance(d["dev"], str) or not _DEV_RE.match(d["dev"]):
                raise validate.InvalidInput("devices[%d].dev %r is not major:minor" % (i, d["dev"]))
            exp["dev"] = d["dev"]
        if d.get("serial") is not None:
            # a serial that is no text, or blank, would not be compared at all (identity_diff skips "")
            if not isinstance(d["serial"], str) or not d["serial"].strip() or len(d["serial"]) > 256 \
                    or not d["serial"].isprintable():
                raise validate.InvalidInput("devices[%d].serial %r is not a serial" % (i, d["serial"]))
            exp["serial"] = d["serial"]
        if "name" not in exp and "hctl" not in exp:
            raise validate.InvalidInput("devices[%d] needs name or hctl" % i)
        wanted.append(("name", exp["name"], exp) if "name" in exp else ("hctl", exp["hctl"], exp))
    if p["wwid"] is not None:
        w = identity.multipath_wwid(validate.wwid(p["wwid"]))
        wanted.append(("wwid", w, {"wwid": w}))
    return wanted


_DEV_RE = re.compile(r"^[0-9]{1,4}:[0-9]{1,7}$")


def resolve(host, wanted, missing_ok):
    """Disks to delete (live reads) with the identity expected for each; (disks, expected, missing)."""
    disks, expected, missing = [], {}, []
    for kind, value, exp in wanted:
        if kind == "wwid":
            snap = host.reader.snapshot(probe=False)
            unread = (snap.get("host") or {}).get("unread_disks") or []
            if unread:  # one of them may hold the WWID: neither "not here" nor "only these paths" can be said
                raise obs_reread.Unread("cannot tell which disks hold WWID %s: the sysfs read of %s did not finish"
                                        % (value, ", ".join(unread)))
            present = list((snap.get("disks") or {}).values())
            identity.refuse_other_spelling(value, [d.get("wwid") for d in present])
            found = [d for d in present if identity.wwid_matches(value, d.get("wwid"))]
            for d in sorted(found, key=lambda x: x.get("name")):
                disks.append(d)
                expected[d["name"]] = _in_host_spelling(exp, d)
            continue
        if kind == "name":
            d = host.reader.disk(value)
        else:
            name = obs_reread.disk_at(host, value)
            d = host.reader.disk(name) if name else None
        if d is None:
            if missing_ok:
                missing.append(value)
                continue
            raise Refused(value, "unknown", "no such SCSI disk")
        disks.append(d)
        expected[d["name"]] = _in_host_spelling(exp, d)
    return disks, expected, missing


def _in_host_spelling(exp, d):
    """The caller's expected identity with its WWID (an outside spelling: naa., hex in any case) as disk `d` spells
    it when it names the same LU (identity.in_host_spelling), so that the plan and the act compare it exactly; one
    that names another LU stays itself and refuses the disk."""
    if not exp.get("wwid"):
        return exp
    return dict(exp, wwid=identity.in_host_spelling(exp["wwid"], [d.get("wwid")]))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str"),
            hctl=dict(type="list", elements="str"),
            wwid=dict(type="str"),
            devices=dict(type="list", elements="dict", options=dict(
                name=dict(type="str"), hctl=dict(type="str"), dev=dict(type="str"), wwid=dict(type="str"),
                serial=dict(type="str"))),
            missing_ok=dict(type="bool", default=False),
            allow_non_san=dict(type="bool", default=False),
            flush_buffers=dict(type="bool", default=True),
            **skeleton.deadline_options(timeout=30.0),
        ),
        mutually_exclusive=[("name", "hctl", "wwid", "devices")],
        required_one_of=[("name", "hctl", "wwid", "devices")],
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, plan=[], executed=[], removed=[], missing=[])
    try:
        wanted = _validated(p)
    except validate.InvalidInput as exc:
        module_act.fail_from(module, exc, result)
    if not wanted:  # empty lists: nothing asked, nothing to do
        module.exit_json(msg="no device given", **result)
    skeleton.check_seconds(module, ("timeout", "command_timeout"), result, skeleton.MAX_SECONDS)

    host = build_host(module)
    try:
        disks, expected, result["missing"] = resolve(host, wanted, p["missing_ok"])
        live = {}
        enriched = []
        for d in disks:
            e = dict(d, holders=obs_reread.disk_holders(host, d))
            own_map = host.map_now(d["map"], "name") if d.get("map") else None
            for key, m in obs_reread.live_maps(d, e["holders"], own_map).items():
                live.setdefault(key, m)
            if p["flush_buffers"]:
                e["probe"] = host.reader.probe_path(d["name"])
            enriched.append(e)
        plan = plan_disks.plan_disk_delete(enriched, expected, {"allow_non_san": p["allow_non_san"],
                                                                "flush_buffers": p["flush_buffers"],
                                                                "live_maps": live})
    except (Refused, validate.InvalidInput, deadline.DeadlineExceeded, obs_reread.Unread) as exc:
        module_act.fail_from(module, exc, result)
    module_act.execute(module, plan, host, result, report=_removed)
    module.exit_json(**result)


def _removed(result):
    result["removed"] = [s["target"] for s in result["executed"] if s["action"] == "delete_disk"]


if __name__ == "__main__":
    main()
