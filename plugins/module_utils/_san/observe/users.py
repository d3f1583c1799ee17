# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who uses a block device, in words a person looks for: pure helpers shared by san_judge and san_plan.

The openers that are not a workload come from san_identity; one decoder of device-mapper names (LVM's VG and LV), one
label for a kernel user found without a holders link. No I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# HARMLESS_OPENERS is re-exported: san_plan reads it here
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (  # noqa: F401 pylint: disable=unused-import
    HARMLESS_OPENERS, harmless)


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
