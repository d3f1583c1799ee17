# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who uses a block device, in words a person looks for: pure helpers shared by san_judge and san_plan.

One list of the openers that are not a workload, one decoder of device-mapper names (LVM's VG and LV), one
label for a kernel user found without a holders link. No I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# multipathd keeps an fd on every path it watches.
DAEMON_OPENERS = frozenset(["multipathd"])
# udev's probes get stuck in blkid on a queueing map (lab finding 2); disabling queueing makes their I/O fail
# and they go away. Names as /proc/PID/comm shows them (15 characters at most) on every udev generation.
# kpartx: with multipath-tools 0.11 / udev 257 (Debian trixie) the kpartx that udev runs on a map's change event
# is what gets stuck reading the partition table of an unmapped queueing map (bookworm's 0.9.4 showed blkid);
# partition maps it created would be holders, which are judged on their own.
TRANSIENT_OPENERS = frozenset(["systemd-udevd", "(udev-worker)", "udev-worker", "udevd", "blkid", "udevadm",
                               "kpartx"])
HARMLESS_OPENERS = DAEMON_OPENERS | TRANSIENT_OPENERS


def harmless(opener):
    """True for an opener that is known not to be a workload (see HARMLESS_OPENERS)."""
    return (opener.get("comm") or "") in HARMLESS_OPENERS


def opener_fds(opener):
    """How many opens of the device one opener accounts for (an opener without a count is one)."""
    try:
        return max(int(opener.get("fds") or 1), 1)
    except (TypeError, ValueError):
        return 1


def unexplained_opens(open_count, openers, allowed=()):
    """The open count minus the opens of the openers we can name and know to be harmless (and of `allowed`
    openers, e.g. processes blocked in a dead map's I/O). Anything left is a user nobody named: a kernel user,
    another mount namespace, a process the /proc scan did not see."""
    # openers "via" a holder hold that holder open, not this device: the holder's table is one open of it
    explained = sum(opener_fds(o) for o in openers or [] if not o.get("via") and (harmless(o) or o in allowed))
    return max((open_count or 0) - explained, 0)


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
