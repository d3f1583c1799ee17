# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who uses a block device, in words a person looks for: pure helpers shared by the judge and the plan.

The openers that are not a workload come from identity; one decoder of device-mapper names (LVM's VG and LV), one
label for a kernel user found without a holders link; which block devices without an open count can wait, where a
killed task closing one is a user nobody sees (uncounted_block_devices); which device a held char node carries I/O
to (generic_nodes). No I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# HARMLESS_OPENERS is re-exported: plan.steps reads it here
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (  # noqa: F401 pylint: disable=unused-import
    HARMLESS_OPENERS, HCTL_RE, harmless)

# the key of a character device node in the openers' scan (observe.procs), beside the block devices' "major:minor":
# the two number spaces are apart, so a char device never matches a block device of the same numbers
CHAR_DEV = "c%s"
# a char node that carries I/O to a block device, by where /sys/dev/char places it (observe.procs.read_char_nodes):
# an sd's SCSI generic node (scsi_generic/sgN) or bsg node (bsg/H:C:T:L) below its H:C:T:L directory, and an NVMe
# namespace's generic node ng<instance>n<I> beside its block device (a head's in its subsystem's directory, one
# without a head in its controller's, numbered with the controller's instance; core.c nvme_add_ns_cdev, multipath.c
# nvme_add_ns_head_cdev)
SCSI_GENERIC_CLASSES = ("scsi_generic", "bsg")
NVME_GENERIC_RE = re.compile(r"^ng[0-9]{1,9}(n[0-9]{1,9})\Z")
# an NVMe controller's own char node /dev/nvme<instance>: its admin commands, and the I/O passthrough of
# NVME_IOCTL_IO_CMD to its only namespace (core.c nvme_dev_user_cmd). It lives below the device it was created for:
# a fabrics controller below nvme-fabrics' "ctl" device (nvme-fabrics/ctl/nvmeN: a class device is its parent, so
# no class directory between), a PCIe one in the "nvme" class directory of its PCI function (<bdf>/nvme/nvmeN)
NVME_CONTROLLER_RE = re.compile(r"^nvme[0-9]{1,9}\Z")
NVME_CONTROLLER_PARENTS = (("nvme-fabrics", "ctl"),)
NVME_CONTROLLER_CLASS = "nvme"


def generic_nodes(char_nodes, procs):
    """({H:C:T:L: [char key]}, {(directory, "n<I>"): [(char key, node name)]}, {controller: [char key]}) of the
    generic nodes and the NVMe controller nodes processes hold (`char_nodes`: observe.procs.read_char_nodes of
    `procs`), and why where some held char device lives is unknown (None when it is known for each)."""
    held = set(d for proc in (procs or {}).values() for d in proc.get("devs") or [] if d.startswith(CHAR_DEV % ""))
    scsi, nvme, controllers = {}, {}, {}
    if char_nodes is None:
        return scsi, nvme, controllers, ("where the char devices held open live was not read" if held else None)
    for key, where in sorted((char_nodes.get("where") or {}).items()):
        parts = (where or "").split("/")
        ng = NVME_GENERIC_RE.match(parts[-1])
        if len(parts) == 3 and parts[1] in SCSI_GENERIC_CLASSES and HCTL_RE.match(parts[0]):
            scsi.setdefault(parts[0], []).append(key)
        elif len(parts) == 3 and ng:
            nvme.setdefault((parts[1], ng.group(1)), []).append((key, parts[2]))
        elif len(parts) == 3 and NVME_CONTROLLER_RE.match(parts[2]) and (
                tuple(parts[:2]) in NVME_CONTROLLER_PARENTS or parts[1] == NVME_CONTROLLER_CLASS):
            controllers.setdefault(parts[2], []).append(key)
    unreadable = char_nodes.get("unreadable") or {}
    why = ("/sys/dev/char unreadable for %s" % ", ".join("%s: %s" % kv for kv in sorted(unreadable.items())[:5])
           if unreadable else None)
    return scsi, nvme, controllers, why


def mark_users(obj, users, openers_unknown):
    """Kernel users without a holders link, and "openers unknown": keys present only when there is something."""
    if users:
        obj["kernel_users"] = users
    if openers_unknown:
        obj["openers_unknown"] = openers_unknown


def opener_fds(opener):
    """How many opens of the device one opener accounts for (an opener without a count is one)."""
    try:
        return max(int(opener.get("fds") or 1), 1)
    except (TypeError, ValueError):
        return 1


# an fd whose open file the reader could not tell apart (observe.procs.UNKNOWN_FILE)
UNKNOWN_FILE = "?"


def open_files(openers):
    """The fewest open files the fds of `openers` can be: the device's open count holds one per open FILE, and
    fds made by dup(), fork() or a passed fd share one. Fds are told apart only by what proves two open files
    (observe.procs.open_file_key: the mount, the flags fcntl cannot change); fds alike, or one whose key is unknown,
    may be one open file, across processes too. Openers read without keys (`files`) count their fds."""
    keys, unknown, counted = set(), False, 0
    for o in openers or []:
        files = o.get("files")
        if files is None:
            counted += opener_fds(o)
            continue
        known = [k for k in files if k != UNKNOWN_FILE]
        keys.update(known)
        unknown = unknown or not known or len(known) < len(files)
    return counted + len(keys) + (1 if unknown and not keys and not counted else 0)


def unexplained_opens(open_count, openers, allowed=()):
    """The open count minus the open files of the openers we can name and know to be harmless (and of `allowed`
    openers, e.g. processes blocked in a dead map's I/O), counted as the fewest they can be (open_files): a dup'd
    fd must not hide a real open. Anything left is a user nobody named: a kernel user, another mount namespace, a
    process the /proc scan did not see."""
    # openers "via" a holder hold that holder open, not this device: the holder's table is one open of it
    explained = open_files([o for o in openers or [] if not o.get("via") and (harmless(o) or o in allowed)])
    return max((open_count or 0) - explained, 0)


def unaccounted_opens(open_count, openers, holders=(), mounted=False, swap=False):
    """The opens of a device that nothing the host shows accounts for: the open count minus the fewest open files
    of every process holding the device itself (open_files), one per holder, one for a mount of its own (bind
    mounts share one) and one for swap. None when the open count is unknown. Each term counts only opens it
    surely holds (a loop or LIO user without a holders link counts none), so what is left is never less than
    the opens of hidden users and of tasks killed while closing the device."""
    if open_count is None:
        return None
    accounted = open_files([o for o in openers or [] if not o.get("via")]) + len(set(holders or []))
    accounted += (1 if mounted else 0) + (1 if swap else 0)
    return max(open_count - accounted, 0)


_LVM_SPLIT = re.compile(r"^((?:[^-]|--)+)-((?:[^-]|--)+)$")


def decode_lvm_name(dm_name):
    """dm name of an LVM LV -> (vg, lv), undoing the doubled '-' of each part ("my--vg-data" -> my-vg, data);
    None when the name is not of that form. Thin/cache internals (vg-pool_tdata) decode like any LV."""
    m = _LVM_SPLIT.match(dm_name or "")
    if not m:
        return None
    return m.group(1).replace("--", "-"), m.group(2).replace("--", "-")


def kernel_user_label(user):
    """"btrfs filesystem <uuid>", "LIO backstore iblock_0/lun1", "loop device loop3 (backing file ...)"."""
    kind, name, detail = user.get("kind"), user.get("name"), user.get("detail")
    text = "%s %s" % ({"lio": "LIO backstore", "loop": "loop device", "btrfs": "btrfs filesystem",
                       "mount": "filesystem"}.get(kind, kind or "kernel user"), name or "?")
    if detail:
        text += " (%s)" % detail
    return text


# block devices on local hardware or memory: their I/O completes or fails, it never queues for a transport to return
_LOCAL_BLOCK_RE = re.compile(r"^(vd[a-z]+|xvd[a-z]+|sr\d+|zram\d+|ram\d+|mmcblk\d+(boot\d+|rpmb)?)$")
# filesystems in memory: a file on one has no block device under it, and its I/O never waits for one
_MEMORY_FS = ("tmpfs", "ramfs")
# device-mapper kinds whose own I/O does not wait (what they sit on decides, and is in the stack): LVM's LVs but
# the thin pools (queue_if_no_space) and VDO, LUKS/dm-crypt, kpartx partitions
_DM_PASSING = ("LVM-", "CRYPT-", "part")
_DM_WAITING_LVM = ("-tpool", "-pool", "-vpool", "-vdata")


def _nvme_can_wait(facts):
    transports = facts.get("transports") or []
    if transports and all(t == "pcie" for t in transports):
        return None
    return "NVMe over %s" % ("/".join(transports) if transports else "an unknown transport")


def _stacked_can_wait(entry, other_blocks, depth):
    """Why one device under a loop device's backing file (observe.sysfs.read_block_stack) may wait, or None."""
    name, uuid = entry.get("name") or "", entry.get("dm_uuid") or ""
    if name.startswith("dm-"):
        if uuid.startswith("mpath-"):
            return "multipath map %s (it queues while no path is up)" % name
        if uuid.startswith(_DM_PASSING) and not uuid.endswith(_DM_WAITING_LVM):
            return None  # what it sits on is in the stack too
        return "device-mapper device %s of a kind that may hold I/O (dm uuid %s)" % (name, uuid or "unreadable")
    if name.startswith("sd"):
        if entry.get("transport") in ("iscsi", "fc"):
            return "SAN disk %s (%s): it waits for its transport" % (name, entry["transport"])
        return None if entry.get("transport") == "other" else "disk %s on an unknown transport" % name
    if name.startswith("loop"):
        return block_device_can_wait(name, (other_blocks or {}).get(name), other_blocks, depth + 1)
    return block_device_can_wait(name, entry, other_blocks, depth + 1)


def _loop_can_wait(name, facts, other_blocks, depth):
    """Why loop device `name` may wait, or None: it waits when anything under its backing file's filesystem can
    (a file on ext4 on a multipath map queues with that map); not knowing what is under it is waiting too."""
    if facts.get("bound") is False and facts.get("size") == "0":
        return None  # no file attached: no I/O
    if facts.get("backing_file") is None:
        return "loop device whose backing file cannot be read"
    if facts.get("backing_on_network") is not False:
        return "loop device on %s (a network or FUSE filesystem, or one not found in the mount table)" % (
            facts["backing_file"])
    backing = facts.get("backing")
    if not backing:
        return "loop device on %s, a file that cannot be stat'ed here (deleted, or of another mount namespace)" % (
            facts["backing_file"])
    if not backing.get("device"):
        mount = backing.get("mount") or {}
        if mount.get("dev") != backing.get("dev"):
            return ("loop device on %s, whose filesystem (%s) is not the one of the mount holding that path (%s): "
                    "which device is under it cannot be told" % (facts["backing_file"], backing.get("dev"),
                                                                 mount.get("dev")))
        try:
            fits = int(facts.get("size")) * 512 <= int(backing.get("file_size")) - int(backing.get("offset") or 0)
        except (TypeError, ValueError):
            fits = False
        if not fits:
            return ("loop device on %s, a file smaller than the loop: the path names another file here (another "
                    "mount namespace), or the file shrank" % facts["backing_file"])
        if mount.get("fstype") in _MEMORY_FS:
            return None
    for entry in backing.get("stack") or [{"name": None}]:
        why = _stacked_can_wait(entry, other_blocks, depth) if entry.get("name") else (
            "the block devices under %s cannot be read" % backing.get("dev"))
        if why:
            return "loop device on %s: %s" % (facts["backing_file"], why)
    return None


def block_device_can_wait(name, facts, other_blocks=None, depth=0):
    """Why the I/O of block device `name` (neither sd nor dm, or one under a loop device's file) may wait
    indefinitely, or None when it cannot: a task killed while closing it would hold an open no count shows.
    Anything not known to be local can wait."""
    if facts is None or depth > 8:
        return "%s could not be read" % name
    if _LOCAL_BLOCK_RE.match(name):
        return None
    if name.startswith("nvme"):
        return _nvme_can_wait(facts)
    if name.startswith("loop"):
        return _loop_can_wait(name, facts, other_blocks, depth)
    return "%s devices can wait for what backs them (network, RAID, remote storage)" % (
        re.sub(r"\d+.*$", "", name) or name)


def uncounted_block_devices(other_blocks):
    """[{name, why}] of the block devices that are neither dm nor sd and whose I/O can wait (nvme over fabrics, nbd,
    rbd, md, drbd, a loop device on NFS or on a filesystem on a SAN map, anything unknown): a killed task stuck
    closing one holds an open that no count shows. None when they could not be read
    (observe.sysfs.read_other_blocks)."""
    if other_blocks is None:
        return None
    out = []
    for name, facts in sorted(other_blocks.items()):
        why = block_device_can_wait(name, facts or {}, other_blocks)
        if why:
            out.append({"name": name, "why": why})
    return out
