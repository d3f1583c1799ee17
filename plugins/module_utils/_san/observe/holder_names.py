# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dm holders of a snapshot, named (module stale_cleanup): read again in sysfs right before the plan, so that a
refusal can name an LVM volume group, a partition map or a LUKS device."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread


def with_holder_names(host, san, errors):
    """A copy of the snapshot whose dm holders carry {name, uuid, dm_name}, so that a refusal can name an LVM
    volume group, a partition map or a LUKS device (a disk's own map holder stays a name)."""
    names = sorted(set(h for obj in list(san["maps"].values()) + list(san["disks"].values())
                       for h in obj.get("holders") or [] if isinstance(h, str) and h.startswith("dm-")))
    try:
        described = dict((h["name"], h) for h in obs_reread.describe_holders(host, names))
    except (deadline.DeadlineExceeded, RuntimeError) as exc:
        described = {}
        errors.append({"what": "read holders in sysfs", "msg": "holders not named: %s" % exc})

    def named(holders):
        return [described.get(h, h) if isinstance(h, str) else h for h in holders or []]
    out = dict(san)
    for key in ("maps", "disks"):
        out[key] = dict((k, dict(obj, holders=named(obj.get("holders")))) for k, obj in san[key].items())
    return out
