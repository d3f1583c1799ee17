#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: scsi_rescan
short_description: Scan exactly one SCSI LUN on an iSCSI/FC host, or rescan one existing disk
version_added: "0.1.0"
description:
  - With O(hctl), writes C(C T L) to C(/sys/class/scsi_host/hostH/scan). Host H must be an iSCSI or FC host
    that already has target C(H:C:T). The module never writes the wildcard C(- - -) and never scans other hosts.
    If a disk already sits at that address, nothing is scanned.
  - On an FC host the target is an Online or Marginal remote port whose C(scsi_target_id) is T (not the rport
    numbered T), and the step names that port's WWPN; right before the write the port at C(H:C:T) is read again,
    and another port there (or none) refuses the scan.
  - With O(name), writes C(1) to the disk's C(device/rescan) after re-checking its name, H:C:T:L and major:minor.
    This makes the kernel re-read the VPD pages, since a reused LUN keeps the old serial in sysfs until rescanned.
  - With O(expect_wwid) and/or O(expect_serial), a last step verifies that the LUN now shows that identity,
    for example the array's serial after a serial mismatch. A wrong identity fails the module.
  - Every sysfs write has a hard deadline. A write that hangs is abandoned, and the module fails with a clear
    message.
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  hctl:
    description: Exact SCSI address C(H:C:T:L) to scan. Mutually exclusive with O(name).
    type: str
  name:
    description: sd name of an existing disk to rescan in place. Mutually exclusive with O(hctl).
    type: str
  expect_wwid:
    description: WWID the LUN must show after the scan or rescan.
    type: str
  expect_serial:
    description:
      - Serial the LUN must show after the scan or rescan (VPD 0x80). It matches as-is or in hex (LIO's form).
    type: str
  allow_non_san:
    description: Also scan or rescan on SCSI hosts that are neither iSCSI nor FC. Off by default.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for the scanned LUN to appear.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.deadlines
  - sanfleet.remediation.deadlines.wait
attributes:
  check_mode:
    support: full
    description: Returns the exact list of steps (RV(plan)) that a real run executes.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    description: Linux (sysfs).
seealso:
  - module: sanfleet.remediation.scsi_delete
"""

EXAMPLES = r"""
- name: Repair a serial mismatch. Delete the stale device, expecting its old identity
  sanfleet.remediation.scsi_delete:
    devices:
      - name: sdc
        hctl: "4:0:0:1"
        wwid: 3600a09803830447a4f244c4657616f6f

- name: Scan exactly that LUN again and verify the array's serial
  sanfleet.remediation.scsi_rescan:
    hctl: "4:0:0:1"
    expect_wwid: 3600a0980383044715a2b4c4d4e4f5051

- name: Refresh the VPD data of one existing disk
  sanfleet.remediation.scsi_rescan:
    name: sdc
"""

RETURN = r"""
plan:
  description: Ordered steps (scan_exact_lun, wait_disk_present, rescan_disk, verify_identity); a real run executes
    exactly them.
  returned: always
  type: list
  elements: dict
executed:
  description: Steps executed with C(elapsed) seconds and C(outcome). Empty in check mode.
  returned: always
  type: list
  elements: dict
disk:
  description: Name of the disk at the address after the scan (or already there).
  returned: when known
  type: str
refusal:
  description: Why the module refused (C(kind), C(msg)).
  returned: on refusal
  type: dict
"""

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


def _scans(steps):
    return any(s["action"] in ("scan_exact_lun", "rescan_disk") for s in steps)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hctl=dict(type="str"),
            name=dict(type="str"),
            expect_wwid=dict(type="str"),
            expect_serial=dict(type="str"),
            allow_non_san=dict(type="bool", default=False),
            **skeleton.deadline_options(timeout=30.0),
        ),
        mutually_exclusive=[("hctl", "name")],
        required_one_of=[("hctl", "name")],
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, plan=[], executed=[])
    try:
        hctl = validate.hctl(p["hctl"]) if p["hctl"] is not None else None
        name = validate.sd_name(p["name"]) if p["name"] is not None else None
        expect = {}
        if p["expect_wwid"] is not None:
            expect["wwid"] = identity.multipath_wwid(validate.wwid(p["expect_wwid"]))
        if p["expect_serial"] is not None:
            if not p["expect_serial"] or len(p["expect_serial"]) > 256 or not p["expect_serial"].isprintable():
                raise validate.InvalidInput("expect_serial %r is not valid" % p["expect_serial"])
            expect["serial"] = p["expect_serial"]
    except validate.InvalidInput as exc:
        module_act.fail_from(module, exc, result)
    skeleton.check_seconds(module, ("timeout", "command_timeout"), result, skeleton.MAX_SECONDS)

    host = build_host(module)
    opts = {"allow_non_san": p["allow_non_san"]}
    try:
        if name is not None:
            disk = host.reader.disk(name)
            if disk is None:
                raise Refused(name, "unknown", "no such SCSI disk")
            result["disk"] = name
            plan = plan_disks.plan_rescan(disk=disk, expect=expect, options=opts)
        else:
            h = int(hctl.split(":")[0])
            host_info = obs_reread.scsi_host_info(host, h)
            at = obs_reread.disk_at(host, hctl)
            existing = host.reader.disk(at) if at else None
            if at is not None and existing is None:
                existing = {"name": at or None, "hctl": hctl}
            if existing is not None:
                result["disk"] = existing.get("name")
            plan = plan_disks.plan_rescan(hctl=hctl, host_info=host_info, existing=existing, expect=expect,
                                          options=opts)
    except (Refused, deadline.DeadlineExceeded, obs_reread.Unread) as exc:
        module_act.fail_from(module, exc, result)
    module_act.execute(module, plan, host, result, changes=_scans)
    for s in result["executed"]:
        if s["detail"].get("name"):
            result["disk"] = s["detail"]["name"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
