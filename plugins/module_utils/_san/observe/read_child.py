# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reading child: one forked child (deadline.call) reads the listing and up to READ_BATCH block devices with
their openers and mounts at once; Host splits a host into batches and re-reads a batch that did not finish."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import DM_RE, SD_RE
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.sysfs import (
    listed_devices, read_dm, read_fc_rports, read_initiators, read_listing, read_other_blocks, read_sd,
    read_sessions)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.procs import (
    multipathd_pids, read_char_nodes, read_kernel_users, read_mounts, read_procs)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.families import READS


def devices_to_read(listing, names=None):
    """The sd devices asked for (all when `names` is None) and every dm device of `listing` (names, or a
    {name: major:minor}), in reading order."""
    listed = set(listing)
    wanted = listed if names is None else [n for n in names if n in listed]
    return [n for n in sorted(wanted) if SD_RE.match(n)] + [n for n in sorted(listed) if DM_RE.match(n)]


def read_batch(root, names=None, limit=None):
    """Everything from sysfs and /proc in one go (the child of deadline.call), with at most `limit` block devices:
    the names of the others come back in "unread", for the next children. The listing's major:minor of a device
    to be read is that read's (Host.listing_from_reads): "listing_pending" names them; the others' are read here."""
    listed = listed_devices(root)
    devices = devices_to_read(listed, names)
    pending = set(devices)
    listing = read_listing(root, [n for n in listed if n not in pending])
    listing.update(dict.fromkeys(pending))
    now, later = (devices, []) if limit is None else (devices[:limit], devices[limit:])
    unreadable, exiting = [], []
    out = {"sd": {}, "dm": {}}
    add_devices(out, read_devices(root, now))
    out.update({
        "listing": listing,
        "listing_pending": devices,
        "unread": later,
        "initiators": read_initiators(root),
        "fc_rports": read_fc_rports(root),
        "sessions": read_sessions(root),
        "mounts": read_mounts(root),
        "procs": read_procs(root, unreadable, exiting),
        "procs_unreadable": unreadable,
        "procs_exiting": exiting,
        "kernel_users": read_kernel_users(root),
        "multipathd_pids": multipathd_pids(root),
        "other_blocks": read_other_blocks(root),
    })
    out.update((family.key, family.read(root)) for family in READS)  # each device family's own (observe.families)
    out["char_nodes"] = read_char_nodes(root, out["procs"])
    return out


def read_devices(root, names):
    """{name: sysfs of the device} for the given sd and dm devices (one child of Host.read_each)."""
    return dict((n, read_sd(root, n) if SD_RE.match(n) else read_dm(root, n)) for n in names
                if SD_RE.match(n) or DM_RE.match(n))


def add_devices(raw, devices):
    """Files a {name: device} read under raw["sd"] or raw["dm"]."""
    for name, device in devices.items():
        raw["sd" if SD_RE.match(name) else "dm"][name] = device
