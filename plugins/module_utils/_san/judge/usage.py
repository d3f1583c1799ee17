# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The in-use gate: what holds or opens a device (holders by kind, openers that are a workload and the transient
udev probes that are not) and `check_not_in_use`, which refuses a device that is in use. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as observe_users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import shown


_PART_UUID = re.compile(r"^part[0-9]+-")


def classify_holder(holder):
    """Kind of a block-device holder: lvm, kpartx, luks, dm-crypt, multipath, md, device-mapper or other.

    `holder` is a name ("dm-5", "md127") or a dict {name, uuid, dm_name} (see observe.reread.describe_holders).
    """
    if isinstance(holder, dict):
        name = holder.get("name") or ""
        uuid = holder.get("uuid") or ""
    else:
        name, uuid = str(holder), ""
    if name.startswith("md"):
        return "md"
    if uuid.startswith("LVM-"):
        return "lvm"
    if _PART_UUID.match(uuid):
        return "kpartx"
    if uuid.startswith("CRYPT-LUKS"):
        return "luks"
    if uuid.startswith("CRYPT-"):
        return "dm-crypt"
    if uuid.startswith("mpath-"):
        return "multipath"
    if name.startswith("dm-"):
        return "device-mapper"
    return "other"


def describe_holder(holder):
    """"lvm holder dm-9 (vg0-lv0: VG vg0, LV lv0)": the names a person looks for, not only the dm device. The names
    are the host's (a dm name may hold a newline): shown escaped when they are no valid name (validate.shown)."""
    if isinstance(holder, dict):
        label = shown(holder["name"]) if holder.get("name") else "?"
        if holder.get("dm_name"):
            vg_lv = observe_users.decode_lvm_name(holder["dm_name"]) if classify_holder(holder) == "lvm" else None
            vg_lv = tuple(shown(n) for n in vg_lv) if vg_lv else None
            label = "%s (%s%s)" % (label, shown(holder["dm_name"]), ": VG %s, LV %s" % vg_lv if vg_lv else "")
    else:
        label = shown(str(holder))
    return "%s holder %s" % (classify_holder(holder), label)


def opener_label(opener):
    return "pid %s (%s)" % (opener.get("pid"), opener.get("comm"))


def workload_openers(openers):
    return [o for o in (openers or []) if not observe_users.harmless(o)]


def harmless_openers(openers):
    return [o for o in (openers or []) if observe_users.harmless(o)]


def check_not_in_use(info, target, ignore_holders=(), allow_openers=False, exiting_opens=0):
    """Raise Refused naming the first user of a map or disk: mount, swap, holder, process, open count.

    Harmless openers (multipathd, udev's blkid) are not users; `ignore_holders` lists holder names that are
    accounted for elsewhere (for a disk: nothing; the map it belongs to is checked by the caller).
    `allow_openers` skips the process check only (a dead map whose openers are blocked in its I/O, see
    `dead_unmapped_map`); mounts, swap, holders, kernel users and the open count still refuse.
    The open count is its own gate: minus the opens of the openers named and known (harmless ones, and the
    allowed ones), it must be 0. Openers that could not be read ("openers unknown") refuse. With
    `allow_openers`, up to `exiting_opens` opens that no process shows are let through: plan_cleanup attributes
    them to killed tasks still closing a dead map (`exiting_allowance`), and verify_unused must see them go.
    """
    mounts = info.get("mountpoints") or []
    if mounts:
        raise Refused(target, "mounted", "is mounted on %s; unmount it first" % ", ".join(mounts),
                      holder=mounts[0], evidence={"mountpoints": mounts})
    if info.get("swap"):
        raise Refused(target, "swap", "is in use as swap; swapoff it first", holder="swap")
    holders = [h for h in (info.get("holders") or [])
               if (h.get("name") if isinstance(h, dict) else h) not in ignore_holders]
    if holders:
        labels = [describe_holder(h) for h in holders]
        raise Refused(target, "holder", "is held by %s; remove it first" % ", ".join(labels),
                      holder=labels[0], evidence={"holders": holders})
    users = info.get("kernel_users") or []
    if users:
        labels = [observe_users.kernel_user_label(u) for u in users]
        raise Refused(target, "kernel_user", "is used by %s (a kernel user without a holders link); release it "
                      "first" % ", ".join(labels), holder=labels[0], evidence={"kernel_users": users})
    if info.get("openers_unknown"):
        raise Refused(target, "openers_unknown", "cannot be checked for processes holding it open (%s); "
                      "not removing" % info["openers_unknown"], holder="openers unknown",
                      evidence={"openers_unknown": info["openers_unknown"]})
    busy = workload_openers(info.get("openers"))
    if busy and not allow_openers:
        labels = [opener_label(o) for o in busy]
        raise Refused(target, "opener", "is open by %s" % ", ".join(labels), holder=labels[0],
                      evidence={"openers": busy})
    if "open_count" in info and info["open_count"] is None:  # a map (a disk has no open count of its own)
        raise Refused(target, "open_count", "has an unknown open count (dmsetup info gave none for it): it is the one "
                      "check that sees a user in another mount namespace or a kernel user without a holders link; "
                      "not removing", holder="open count unknown", evidence={"open_count": None})
    open_count = info.get("open_count") or 0
    unexplained = observe_users.unexplained_opens(open_count, info.get("openers"), busy if allow_openers else ())
    if unexplained and not (allow_openers and unexplained <= (exiting_opens or 0)):
        named = ", ".join(opener_label(o) for o in info.get("openers") or []) or "no process"
        raise Refused(target, "open_count",
                      "has open count %s, %s more than the openers seen (%s) explain: a kernel user, another "
                      "mount namespace, a short-lived opener, or a process killed while its I/O queued on the device "
                      "(it holds the device as it exits, with no open files left to see: a udev worker after its "
                      "event timeout); not removing" % (open_count, unexplained, named),
                      holder="open count %s" % open_count,
                      evidence={"open_count": open_count, "unexplained": unexplained,
                                "openers": info.get("openers") or []})
