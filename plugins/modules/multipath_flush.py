#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: multipath_flush
short_description: Remove one stale dm-multipath map, safely
version_added: "0.1.0"
description:
  - Removes one dm-multipath map named by WWID or map name, in this order, and only this order
    (see C(docs/removal.md)).
  - Refuses when the map is in use, naming the holder, with nothing changed. In use means
    mounted, used as swap, held by another device (LVM, kpartx partition, LUKS/dm-crypt, md) or open by a process.
    An open by C(multipathd) or by udev's C(blkid)/C(udev-worker) is not a workload. Queueing is disabled first, so
    their stuck I/O fails and they go away; the module re-checks after that.
  - "Steps: C(multipathd disablequeueing map NAME), checking the live table afterwards; a targeted
    C(multipath -f NAME) retried within O(timeout), never C(-F); with O(force_remove) only, C(dmsetup remove
    --force --retry NAME) after that; wait until the map is gone; C(multipath -w WWID)."
  - Every command has a hard deadline (O(command_timeout)). A command stuck in the kernel (D state) is abandoned,
    and the module fails with a message that names it.
  - The map identity (name, WWID, dm device, major:minor, paths) is re-read right before every step. A change
    makes the module refuse.
  - An absent map is not an error; the module then reports C(changed=false).
  - Returns the map's path devices (RV(slaves)). Pass them to M(sanfleet.remediation.scsi_delete) next.
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  wwid:
    description:
      - WWID of the map in multipath form (for example C(3600a0980...)) or C(naa.)/C(eui.)/C(t10.) form.
      - Mutually exclusive with O(name).
    type: str
  name:
    description:
      - Map name (alias), for example C(mpatha) or the WWID when C(user_friendly_names) is off.
      - Mutually exclusive with O(wwid).
    type: str
  force_remove:
    description:
      - After the C(multipath -f) attempts fail, run C(dmsetup remove --force --retry). The map must still
        pass every in-use check. Its table is replaced with an error target if something still holds it.
      - Off by default. Use it only when you know why C(multipath -f) fails.
    type: bool
    default: false
  array_unmapped:
    description:
      - Say that the array no longer maps this LUN (a C(stale_unmapped) verdict). If the map then queues and every
        path failed and answers a live probe with LOGICAL UNIT NOT SUPPORTED (the array's own word that the LU is
        gone; probed here, and again right before the act), no I/O on it can ever complete, so processes that hold
        it open are taken as blocked in its I/O. The plan is then C(disable_queueing), C(verify_unused), C(multipath -f). Disabling queueing makes
        their I/O fail. C(verify_unused) waits up to 10 s for every opener to leave and refuses, naming the
        opener, if one stays.
      - Mounts, swap and holders (LVM, kpartx, md, LUKS) still refuse before anything is touched.
    type: bool
    default: false
  remove_wwid:
    description: Remove the WWID from the wwids file (C(multipath -w)) once the map is gone.
    type: bool
    default: true
  timeout:
    description:
      - Seconds for the flush step as a whole, C(multipath -f) retries included. Waiting for the map to vanish
        and for stuck udev openers to leave gets the same amount.
      - A positive number of at most 3600.
    default: 60
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.deadlines
  - sanfleet.remediation.deadlines.wait
  - sanfleet.remediation.deadlines.wwids_file
attributes:
  check_mode:
    support: full
    description: Returns the exact list of steps (RV(plan)) that a real run executes. Reads only.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    description: Linux with device-mapper multipath (multipath-tools).
notes:
  - Never opens C(/dev/dm-*), because that can hang on a queueing map with no paths.
  - Does not delete the SCSI path devices. Use M(sanfleet.remediation.scsi_delete) with RV(slaves).
seealso:
  - module: sanfleet.remediation.scsi_delete
  - module: sanfleet.remediation.scsi_rescan
"""

EXAMPLES = r"""
- name: Plan the removal of a stale map (check mode shows the exact steps)
  sanfleet.remediation.multipath_flush:
    wwid: 3600a09803830447a4f244c4657616f6f
  check_mode: true
  register: flush_plan

- name: Remove the map, then its paths
  sanfleet.remediation.multipath_flush:
    wwid: 3600a09803830447a4f244c4657616f6f
    timeout: 60
  register: flushed

- name: Delete the paths it had
  sanfleet.remediation.scsi_delete:
    devices: "{{ flushed.slaves }}"
  when: flushed.slaves | length > 0
"""

RETURN = r"""
plan:
  description: Ordered steps; check mode returns them, a real run executes exactly them.
  returned: always
  type: list
  elements: dict
  sample:
    - action: disable_queueing
      target: 3600a09803830447a4f244c4657616f6f
      identity: {name: 3600a09803830447a4f244c4657616f6f, wwid: 3600a09803830447a4f244c4657616f6f, dm: dm-3,
                 dev: "253:3", slaves: [sdc, sdd]}
      options: {}
      reason: multipathd disablequeueing map ...
      phase: null
      unit: null
executed:
  description: Steps executed, each with C(action), C(target), C(elapsed) seconds, C(outcome) and C(detail).
    Empty in check mode.
  returned: always
  type: list
  elements: dict
slaves:
  description: The map's path devices when planned, each with C(name), C(hctl), C(dev), C(wwid), C(serial).
  returned: always
  type: list
  elements: dict
removed:
  description: WWIDs of the maps removed (empty in check mode and when the map was absent).
  returned: always
  type: list
  elements: str
map:
  description: The map as observed before acting (name, wwid, dm, dev, queueing, open_count, openers).
  returned: when the map existed
  type: dict
refusal:
  description: Why the module refused, with C(kind) (mounted, swap, holder, opener, open_count, identity...)
    and C(holder).
  returned: on refusal
  type: dict
failed_step:
  description: The step that failed.
  returned: on failure while executing
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module as skeleton
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module_act
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import maps as plan_maps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate


def build_host(module):
    p = module.params
    return execute.host_for_module(p, flush_timeout=p["timeout"], wait_timeout=p["timeout"], wwids_file=p["wwids_file"])


def _slaves(host, m):
    out = []
    for p in m.get("paths") or []:
        d = host.reader.disk(p.get("name")) if p.get("name") else None
        src = d or p
        out.append({"name": src.get("name"), "hctl": src.get("hctl"), "dev": src.get("dev"),
                    "wwid": (d or {}).get("wwid") or m.get("wwid"), "serial": (d or {}).get("serial")})
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            wwid=dict(type="str"),
            name=dict(type="str"),
            force_remove=dict(type="bool", default=False),
            array_unmapped=dict(type="bool", default=False),
            remove_wwid=dict(type="bool", default=True),
            **skeleton.deadline_options(timeout=60.0, wwids_file=True),
        ),
        mutually_exclusive=[("wwid", "name")],
        required_one_of=[("wwid", "name")],
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, plan=[], executed=[], slaves=[], removed=[])
    try:
        if p["wwid"] is not None:
            key = identity.multipath_wwid(validate.wwid(p["wwid"]))
        else:
            key = validate.map_name(p["name"])
    except validate.InvalidInput as exc:
        module_act.fail_from(module, exc, result)
    skeleton.check_seconds(module, ("timeout", "command_timeout"), result, skeleton.MAX_SECONDS)

    host = build_host(module)
    try:
        m = host.reader.map(key, by="name" if p["name"] is not None else "wwid", from_user=p["wwid"] is not None)
        if m is None:
            module.exit_json(msg="map %s is not present" % key, **result)
        info = dict(m)
        info["holders"] = obs_reread.describe_holders(host, m.get("holders"))
        if p["array_unmapped"] and m.get("queueing") and m.get("openers"):
            info["probe"] = dict((x["name"], host.reader.probe_path(x["name"])) for x in m.get("paths") or []
                                 if x.get("name"))
        result["map"] = dict((k, m.get(k)) for k in ("name", "wwid", "dm", "dev", "queueing", "features",
                                                     "open_count", "openers"))
        result["slaves"] = _slaves(host, m)
        plan = plan_maps.plan_map_flush(info, {"force_remove": p["force_remove"], "remove_wwid": p["remove_wwid"],
                                               "array_unmapped": p["array_unmapped"]})
    except (Refused, validate.InvalidInput) as exc:
        module_act.fail_from(module, exc, result)
    except (deadline.DeadlineExceeded, obs_reread.Unread) as exc:
        module_act.fail_from(module, exc, result, "reading map %s" % key)
    module_act.execute(module, plan, host, result, what="map %s" % key)
    result["removed"] = [m.get("wwid")]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
