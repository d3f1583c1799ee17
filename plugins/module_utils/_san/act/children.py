# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only code that writes sysfs or opens a device: the forked children (deadline.call) that re-check identity
and write (an sd's delete or rescan, an NVMe-oF controller's delete), or hold an O_EXCL open of a plain sd or of an
NVMe namespace head (never /dev/dm-*: lab finding 1), and the parent-side wrapper
that turns their errors into ActFailed or a refusal."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, IdentityChanged
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import address_text
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import parse_address


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


def child_delete_controller(sys_root, name, expected, states):
    """(runs in a forked child) write 1 to class/nvme/<name>/delete_controller only if <name> still connects to
    the subsystem NQN, with the transport, address, host NQN and controller ID `expected` holds, and is in one of
    `states` (not live) — read microseconds before the write."""
    base = os.path.join(sys_root, "class", "nvme", name)
    now = {}
    if not expected.get("cntlid"):
        raise IdentityChanged("%s was planned without its controller ID: it cannot be told from a reused name" % name,
                              device=name, identity={"expected": None})
    for attr in ("subsysnqn", "transport", "address", "hostnqn", "cntlid", "state"):
        try:
            with open(os.path.join(base, attr)) as fh:
                now[attr] = fh.read().strip()
        except (IOError, OSError) as exc:
            raise IdentityChanged("%s/%s cannot be read (%s)" % (name, attr, exc), device=name,
                                  identity={"expected": expected.get(attr), "found": None})
    now["address"] = address_text(parse_address(now["address"]))
    for attr in ("subsysnqn", "transport", "address", "hostnqn", "cntlid"):
        if now[attr] != expected.get(attr):
            raise IdentityChanged("%s has %s %s, expected %s" % (name, attr, now[attr], expected.get(attr)),
                                  device=name, identity={"expected": expected.get(attr), "found": now[attr]})
    if now["state"] not in states:
        raise IdentityChanged("%s is %s now, not one of %s (it reconnected or is going already)"
                              % (name, now["state"], ", ".join(states)), device=name,
                              identity={"expected": list(states), "found": now["state"]})
    with open(os.path.join(base, "delete_controller"), "w") as fh:
        fh.write("1")
    return True


def _read_attr(base, attr):
    try:
        with open(os.path.join(base, attr)) as fh:
            return fh.read().strip()
    except (IOError, OSError) as exc:
        raise IdentityChanged("%s/%s cannot be read (%s)" % (os.path.basename(base), attr, exc),
                              device=os.path.basename(base), identity={"attr": attr})


def _write_and_read_back(base, attr, value):
    with open(os.path.join(base, attr), "w") as fh:
        fh.write(value)
    return _read_attr(base, attr)


def child_set_iopolicy(sys_root, name, subsysnqn, before, after):
    """(runs in a forked child) class/nvme-subsystem/<name>/iopolicy := after, only if <name> is still the subsystem
    `subsysnqn` and its policy still reads `before` (or `after` already): the policy read back."""
    base = os.path.join(sys_root, "class", "nvme-subsystem", name)
    nqn = _read_attr(base, "subsysnqn")
    if nqn != subsysnqn:
        raise IdentityChanged("%s is subsystem %s now, planned %s" % (name, nqn, subsysnqn), device=name,
                              identity={"expected": subsysnqn, "found": nqn})
    now = _read_attr(base, "iopolicy")
    if now == after:
        return now
    if now != before:
        raise IdentityChanged("%s/iopolicy reads %s now, planned from %s" % (name, now, before), device=name,
                              identity={"expected": before, "found": now})
    return _write_and_read_back(base, "iopolicy", after)


def child_bound_ctrl_loss_tmo(sys_root, name, expected, seconds):
    """(runs in a forked child) class/nvme/<name>/ctrl_loss_tmo := seconds, only if <name> still connects to the
    subsystem, over the transport and address, with the controller ID and model `expected` holds, is live, and its
    ctrl_loss_tmo still reads off: the value read back. One bounded since the plan (the rule this run wrote, at a
    reconnect) is left as it is, and its value returned."""
    base = os.path.join(sys_root, "class", "nvme", name)
    attrs = ("subsysnqn", "transport", "address", "cntlid", "model", "state", "ctrl_loss_tmo")
    now = dict((attr, _read_attr(base, attr)) for attr in attrs)
    now["address"] = address_text(parse_address(now["address"]))
    for attr in ("subsysnqn", "transport", "address", "cntlid", "model"):
        if now[attr] != expected.get(attr):
            raise IdentityChanged("%s has %s %s, planned %s" % (name, attr, now[attr], expected.get(attr)),
                                  device=name, identity={"expected": expected.get(attr), "found": now[attr]})
    if now["state"] != "live":
        raise IdentityChanged("%s is %s now, not live: a bound written while it reconnects can end its reconnects "
                              "at once" % (name, now["state"]), device=name,
                              identity={"expected": "live", "found": now["state"]}, kind="not_live")
    if now["ctrl_loss_tmo"].isdigit():
        return now["ctrl_loss_tmo"]
    if now["ctrl_loss_tmo"] != "off":
        raise IdentityChanged("%s/ctrl_loss_tmo reads %s now, planned from off" % (name, now["ctrl_loss_tmo"]),
                              device=name, identity={"expected": "off", "found": now["ctrl_loss_tmo"]})
    return _write_and_read_back(base, "ctrl_loss_tmo", str(seconds))


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
