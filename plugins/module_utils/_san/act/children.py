# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared forked children (deadline.call) that re-check identity and write (an sd's delete or rescan), or hold
an O_EXCL open of a plain sd or of a device family's block node (never /dev/dm-*: lab finding 1), and the
parent-side wrapper that turns a child's errors into ActFailed or a refusal (sysfs_write). A family's own checked
writer lives in its act (act/nvme.py child_delete_controller), the NVMe-oF settings' in act/nvme_conf.py; every
one of them is in docs/design.md's list of the changes to a host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, IdentityChanged
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed


def child_checked_write(sys_root, hctl, name, dev, attr, data):
    """(runs in a forked child) write `data` to scsi_device/<hctl>/device/<attr> only if <hctl> still has
    block device `name` with major:minor `dev` — checked microseconds before the write."""
    dev_dir = os.path.join(sys_root, "class", "scsi_device", hctl, "device")
    if name is not None:
        try:
            names = os.listdir(os.path.join(dev_dir, "block"))
        except OSError:
            names = []
        if name not in names:
            raise IdentityChanged("%s is no longer %s (found %s)" % (hctl, name, names or "nothing"), device=hctl,
                                  identity={"expected": name, "found": names})
        if dev:
            with open(os.path.join(dev_dir, "block", name, "dev")) as fh:
                now = fh.read().strip()
            if now != dev:
                raise IdentityChanged("%s/%s is %s, expected %s" % (hctl, name, now, dev), device=hctl,
                                      identity={"expected": dev, "found": now})
    with open(os.path.join(dev_dir, attr), "w") as fh:
        fh.write(data)
    return True


def _child_exclusive_open(node, dev):
    """(runs in a forked child) open the sd node O_EXCL|O_NONBLOCK and close it: EBUSY when the kernel has it
    claimed (a mount, dm/md, btrfs, ZFS, drbd, an LIO backstore, swap, another exclusive opener). Plain opens by
    processes do not conflict; the /proc scan names those. Only for a plain sd: never on a dm device that may
    queue (lab finding 1). Returns {"claimed", "reason" (when claimed), "answer" (as reported)}; raises
    IdentityChanged when the node is not `dev`."""
    try:
        fd = os.open(node, os.O_RDONLY | os.O_EXCL | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            reason = os.strerror(exc.errno)
            return {"claimed": True, "reason": reason, "answer": "busy: %s" % reason}
        if exc.errno in (errno.ENXIO, errno.ENODEV, errno.ENOMEDIUM):
            # the kernel checks the exclusive claim before the driver's open: an offline sd that refuses the
            # open has no exclusive holder
            return {"claimed": False,
                    "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(exc.errno)}
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISBLK(st.st_mode) or "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) != dev:
            raise IdentityChanged("%s is not block device %s" % (node, dev), device=node,
                                  identity={"expected": dev})
    finally:
        os.close(fd)
    return {"claimed": False, "answer": "ok"}


def exclusive_open_check(host, d, target=None):
    """Refuse the delete of a plain sd (no map), or of the last path of an NVMe namespace, that the kernel holds
    claimed: the open-count gate of a device without an open count."""
    node = host.path("/dev/%s" % d["name"])
    target = target or "disk %s" % d["name"]
    try:
        with host.node_lock(node):
            answer = host.sysfs(_child_exclusive_open, (node, d.get("dev")), "exclusive open of /dev/%s" % d["name"])
    except RuntimeError as exc:
        if _identity_changed(exc):
            raise Refused(target, "identity", exc.reason + "; nothing written")
        raise Refused(target, "open_count", "could not be opened exclusively to check for kernel users (%s); "
                      "not deleting" % exc)
    if answer["claimed"]:
        raise Refused(target, "open_count", "is claimed by a kernel user (exclusive open: %s): a mount, LVM/dm, md, "
                      "btrfs, ZFS, drbd, an LIO backstore or swap not seen in sysfs; not deleting"
                      % answer["reason"],
                      holder="exclusive open refused", evidence={"exclusive_open": answer["answer"]})
    return answer["answer"]


def _identity_changed(exc):
    """Did the child refuse because the device is no longer the one checked (its kind, never its text)?"""
    return isinstance(exc, ChildFailed) and exc.is_identity_change()


def child_write(path, data):
    with open(path, "w") as fh:
        fh.write(data)
    return True


def sysfs_write(host, fn, args, target, what):
    host.checkpoint()
    try:
        return host.sysfs(fn, args, what)
    except RuntimeError as exc:
        if _identity_changed(exc):
            raise Refused(target, "identity", exc.reason + " — the kernel name or address was reused; nothing written")
        raise ActFailed(target, "%s failed: %s" % (what, exc))
