# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning the flush of one dm-multipath map: is it dead and unmapped, the opens that killed closers account for
(exiting_allowance), and the steps of its flush (queueing off, verify unused, flush, wait gone). Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import (
    step)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import map_identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import refuse_odd_map
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.usage import (
    check_not_in_use, opener_label, workload_openers)


def dead_unmapped_map(map_info, options=None):
    """True when the caller says the array no longer maps this LUN (`array_unmapped`, i.e. stale_unmapped) and
    the live map can never complete an I/O: queueing on, every path failed, and every path's live probe said
    LOGICAL UNIT NOT SUPPORTED (the array's own word that the LU is gone; absence from the array data or a path
    that does not answer -- a cut portal -- is not enough).

    Its openers are then processes blocked in its queued I/O: no data can ever reach that LUN again, so
    disabling queueing first is safe; it makes their I/O fail (lab finding 2) and verify_unused re-checks.
    act.maps.disable_queueing probes every path again right before the act.
    """
    if not (options or {}).get("array_unmapped") or not map_info or not map_info.get("queueing"):
        return False
    paths = map_info.get("paths") or []
    probes = map_info.get("probe") or {}
    return bool(paths) and all(p.get("dm_state") == "failed" and (probes.get(p.get("name")) or {}).get("result")
                               == "lun_not_supported" for p in paths)


def exiting_closers(snapshot):
    """Tasks of this host exiting in D state inside a block device's last close (observe.procs.read_exiting): each
    holds one open of some device until the I/O that close waits for ends. Which device, /proc does not say."""
    return [t for t in ((snapshot or {}).get("host") or {}).get("exiting_tasks") or [] if t.get("frames")]


def task_label(task):
    return "pid %s (%s) in %s" % (task.get("pid"), task.get("comm"), "/".join(task.get("frames") or []))


def host_unaccounted_opens(snapshot):
    """(total, {dm-N: opens}) of the opens that nothing the host shows accounts for, over EVERY device-mapper device
    of the host (chosen or not, mapped or not, multipath or not: snapshot host.dm_unaccounted), or (None, why)
    when they cannot all be counted (a device without an open count, openers unknown, no such data)."""
    counts = ((snapshot or {}).get("host") or {}).get("dm_unaccounted")
    if counts is None:
        return None, "the snapshot does not count the opens of every device-mapper device of the host"
    unknown = sorted(k for k, c in counts.items() if (c or {}).get("unaccounted") is None)
    if unknown:
        return None, "the opens of %s cannot be counted (no open count, or openers unknown)" % ", ".join(unknown[:5])
    per = dict((k, c["unaccounted"]) for k, c in counts.items() if c["unaccounted"])
    return sum(per.values()), per


# SCSI device states whose I/O the kernel fails at once (scsi_device_state_check): nobody waits on such a disk
FAILING_DISK_STATES = ("offline", "transport-offline")


def blocked_disks(snapshot):
    """SCSI disks whose I/O may wait in the kernel (any device state but `running` and those that fail I/O at once:
    `blocked` while a session or remote port recovers, `quiesce`, `created-blocked`, a state not read or without a
    name), and those whose sysfs read gave no answer (host.unread_disks: a hung read is what a blocked disk looks
    like): a task killed there can be stuck closing a disk, which has no open count to see it by."""
    snapshot = snapshot or {}
    blocked = set(n for n, d in (snapshot.get("disks") or {}).items()
                  if (d or {}).get("state") not in ("running",) + FAILING_DISK_STATES)
    return sorted(blocked | set((snapshot.get("host") or {}).get("unread_disks") or []))


def exiting_allowance(maps, unmapped, closers, snapshot=None):
    """({map name: opens let through as killed tasks still closing it}, why not) for the dead maps the array no
    longer maps.

    A process killed while its read queued on a map without paths (udev's blkid worker after its event timeout)
    keeps the map open from inside its exit, with no file table left for the /proc scan to see. /proc does not
    say which device such a task closes (not its stack, wchan, io or fd tables), so no closer can be tied to a
    map. The opens are therefore counted over the whole host: every device-mapper device's opens that nothing
    seen accounts for (host_unaccounted_opens: the chosen maps, but also a queueing map the array still maps, an
    LV, a crypt device), and let through only when the closers are at least as many. Each closer holds at least
    one such open, so then every unaccounted open on the host is a closer's, and none can be a hidden user's (a
    mount in another namespace, drbd, ZFS). One open more anywhere, a device whose opens cannot be counted, a
    SCSI disk whose I/O waits or whose read hung, or any other block device whose I/O can wait (nvme over
    fabrics, nbd, rbd, md, a loop device on NFS: host.uncounted_block_devices) -- a closer may be stuck on it,
    out of sight -- and nothing is let through: the maps
    are refused before anything is touched. The act weighs the host-wide half (closers_account_for_every_hidden_open)
    again on a whole read before the map's paths are asked again and queueing is turned off, and after that
    verify_unused must still see each map's open count reach 0 (otherwise the act refuses and gives queueing back).
    """
    want = {}
    for m in maps:
        if m.get("name") not in unmapped or not dead_unmapped_map(m, {"array_unmapped": True}):
            continue
        busy = workload_openers(m.get("openers"))
        unexplained = users.unexplained_opens(m.get("open_count"), m.get("openers"), busy)
        if not unexplained:
            continue
        try:
            check_not_in_use(m, "map %s" % m.get("name"), allow_openers=True, exiting_opens=unexplained)
        except Refused:
            continue  # refused for what it is (mounted, held, a kernel user), never for the open count
        want[m.get("name")] = unexplained
    if not want:
        return {}, None
    why = closers_account_for_every_hidden_open(snapshot, closers)
    return ({}, why) if why else (want, None)


def closers_account_for_every_hidden_open(snapshot, closers):
    """None when the `closers` (exiting_closers) can hold every open on the host that nothing seen accounts for;
    otherwise why not. The host-wide half of exiting_allowance, weighed by the plan and again by the act on a whole
    read before the map's paths are asked again and queueing is turned off (act.maps._SharedRecount): a closer that
    finished in between, or an open that appeared, must stop the release there too."""
    total, per = host_unaccounted_opens(snapshot)
    if total is None:
        return per
    if total > len(closers):
        return ("%d open(s) on this host that nothing seen accounts for (%s), more than the %d task(s) exiting "
                "while closing a block device (%s): /proc does not say which device such a task closes, so "
                "an open of a map cannot be told from a hidden user's"
                % (total, ", ".join("%s %d" % (k, n) for k, n in sorted(per.items())[:8]), len(closers),
                   ", ".join(task_label(t) for t in closers[:5]) or "none"))
    blocked = blocked_disks(snapshot)
    if blocked:
        disks = (snapshot or {}).get("disks") or {}
        return ("SCSI disk(s) %s may wait for their transport (a state other than running, or unread): a task "
                "exiting while closing one of them holds no open any count shows"
                % ", ".join("%s (%s)" % (n, (disks.get(n) or {}).get("state") or "unread") for n in blocked[:8]))
    others = ((snapshot or {}).get("host") or {}).get("uncounted_block_devices")
    if others is None:
        return ("the snapshot does not say which other block devices (nvme, loop, md, ...) the host has: a task "
                "exiting while closing one of them would hold an open no count shows")
    if others:
        return ("block device(s) %s can wait for I/O and have no open count (%s): a task exiting while closing "
                "one of them holds an open no count shows"
                % (", ".join(o["name"] for o in others[:8]), "; ".join(o["why"] for o in others[:3])))
    return None


def plan_map_flush(map_info, options=None):
    """Steps that remove one multipath map; [] when the map is absent (nothing to do).

    options: force_remove (bool): let flush_map fall back to `dmsetup remove --force --retry` after the
    targeted `multipath -f` retries; remove_wwid (bool, default True); array_unmapped (bool): the array no
    longer maps this LUN. Then a dead map (see `dead_unmapped_map`) whose only users are processes is planned
    as disable_queueing, verify_unused (their I/O fails, they must be gone within `settle` seconds, otherwise
    the act refuses naming them), flush. Mounts, swap and holders refuse up front in every case.
    """
    options = options or {}
    if not map_info:
        return []
    name = map_info.get("name") or map_info.get("wwid")
    refuse_odd_map(map_info)  # a name no step may carry (validate.map_refusal)
    release = dead_unmapped_map(map_info, options)
    exiting = int(options.get("exiting_opens") or 0) if release else 0
    check_not_in_use(map_info, "map %s" % name, allow_openers=release, exiting_opens=exiting)
    exiting = min(exiting, users.unexplained_opens(map_info.get("open_count"), map_info.get("openers"),
                                                   workload_openers(map_info.get("openers"))))
    ident = map_identity(map_info)
    released = {"release_openers": True}
    if exiting:
        released["exiting_opens"] = exiting
    steps = [
        step("disable_queueing", name, ident,
             "multipathd disablequeueing map %s: queued I/O fails instead of blocking, stuck udev/blkid openers "
             "go away, and the daemon keeps queueing off if a flush fails" % name, released if release else None),
    ]
    if release:
        settle = float(options.get("settle", plan_steps.RELEASE_SETTLE))  # the act reads this one value too
        blocked = [opener_label(o) for o in workload_openers(map_info.get("openers"))]
        if exiting:
            blocked.append("%d killed task(s) still closing it" % exiting)
        steps.append(step("verify_unused", name, ident,
                          "the array no longer maps %s and every path failed: with queueing off, the I/O of %s "
                          "fails; wait up to %gs for every opener to leave and the open count to reach 0, refuse "
                          "if one stays" % (name, ", ".join(blocked) or "any blocked opener", settle),
                          dict(released, settle=settle)))
    steps += [
        step("flush_map", name, ident,
             "targeted multipath -f %s (this map only, no flush-all), retried within the deadline%s"
             % (name, "; then dmsetup remove --force --retry (force_remove)" if options.get("force_remove") else ""),
             {"force_remove": bool(options.get("force_remove"))}),
        step("wait_map_gone", name, {"wwid": ident["wwid"], "dm": ident["dm"], "dev": ident["dev"]},
             "confirm the map and its dm device are gone"),
    ]
    if options.get("remove_wwid", True) and ident.get("wwid"):
        steps.append(step("remove_wwid", ident["wwid"], {"wwid": ident["wwid"]},
                          "multipath -w %s: forget the WWID so the map is not recreated when a path reappears; only "
                          "once its map is gone" % ident["wwid"]))
    return steps
