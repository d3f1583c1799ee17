# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the removal of stale SAN devices: pure functions, no I/O.

Observed state (what `observe.read.Host` returns) plus the caller's options go in; an ordered list of
steps comes out. Check mode reports that list; a real run hands the same list to `act.execute.execute`, which
runs exactly those steps in that order. A step is a dict::

    {"action": "flush_map", "target": "3600a0980...",
     "expect": {...identity that san_act re-reads and compares right before acting...},
     "reason": "why this step is needed"}

A refusal is raised as `Refused`, carrying a structured error that names the holder (`to_dict()`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import verdicts as san_judge
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as san_users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import SAN_TRANSPORTS

# Actions understood by act.execute.execute, in the order they may appear for one object.
MAP_ACTIONS = ("disable_queueing", "verify_unused", "flush_map", "wait_map_gone", "remove_wwid")
DISK_ACTIONS = ("flush_buffers", "delete_disk", "wait_disk_gone")
SCAN_ACTIONS = ("scan_exact_lun", "rescan_disk", "wait_disk_present", "verify_identity")
ACTIONS = MAP_ACTIONS + DISK_ACTIONS + SCAN_ACTIONS
# The actions whose target is an sd by name (the removal's disk steps and the rescan of a reused LUN's disk): the
# act reads these as disks, every other step by its map.
SD_TARGET_ACTIONS = DISK_ACTIONS + ("rescan_disk",)
# The order a whole host's plan runs in (plan_cleanup): every unit's steps of one kind side by side, so that
# act.execute.execute checks them against one read of the host. A unit keeps its own order: its map is gone before
# its paths are deleted, its paths are gone before its WWID is forgotten and before a reused LUN is scanned.
HOST_ORDER = ("disable_queueing", "verify_unused", "flush_map", "wait_map_gone", "flush_buffers", "delete_disk",
              "wait_disk_gone", "remove_wwid", "scan_exact_lun", "rescan_disk", "wait_disk_present", "verify_identity")


# Openers that are not a workload: multipathd itself (it keeps fds on paths) and udev's probes, which get stuck
# in blkid on a queueing map (lab finding 2). Disabling queueing makes their I/O fail and they go away.
BENIGN_OPENERS = san_users.HARMLESS_OPENERS

# How long verify_unused waits, after queueing is off, for openers blocked in a dead map's I/O to leave.
RELEASE_SETTLE = 10.0

# Probe results (observe.read.Host.probe_path) that mean "the device answers and has a medium".
ANSWERING = ("ready",)
# Host evidence that the LU behind a path is gone (never "no answer": a dropped portal also gives none).
LU_GONE = ("lun_not_supported", "pq1")


class Refused(Exception):
    """The plan (or an act, on re-check) refuses to touch `target`: nothing was changed by the refusal.

    `kind` is machine-readable (mounted, swap, holder, opener, open_count, live_map, transport, identity,
    unknown, invalid, not_san_host, no_target, came_back, truth_too_old, ...), `holder` names what holds the device
    when there is one.
    """

    def __init__(self, target, kind, msg, holder=None, evidence=None):
        self.target = target
        self.kind = kind
        self.holder = holder
        self.evidence = evidence or {}
        super(Refused, self).__init__("%s: %s" % (target, msg))

    def to_dict(self):
        return {"target": self.target, "kind": self.kind, "holder": self.holder, "msg": str(self),
                "evidence": self.evidence}


def step(action, target, expect=None, reason=""):
    if action not in ACTIONS:
        raise ValueError("unknown action %r" % action)
    return {"action": action, "target": target, "expect": dict(expect or {}), "reason": reason}


# ---------------------------------------------------------------------------------------------- holders/users
_PART_UUID = re.compile(r"^part[0-9]+-")


def classify_holder(holder):
    """Kind of a block-device holder: lvm, kpartx, luks, dm-crypt, multipath, md, device-mapper or other.

    `holder` is a name ("dm-5", "md127") or a dict {name, uuid, dm_name} (see observe.read.describe_holders).
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
    """"lvm holder dm-9 (vg0-lv0: VG vg0, LV lv0)": the names a person looks for, not only the dm device."""
    if isinstance(holder, dict):
        label = holder.get("name") or "?"
        if holder.get("dm_name"):
            vg_lv = san_users.decode_lvm_name(holder["dm_name"]) if classify_holder(holder) == "lvm" else None
            label = "%s (%s%s)" % (label, holder["dm_name"], ": VG %s, LV %s" % vg_lv if vg_lv else "")
    else:
        label = str(holder)
    return "%s holder %s" % (classify_holder(holder), label)


def opener_label(opener):
    return "pid %s (%s)" % (opener.get("pid"), opener.get("comm"))


def workload_openers(openers):
    return [o for o in (openers or []) if not san_users.harmless(o)]


def benign_openers(openers):
    return [o for o in (openers or []) if san_users.harmless(o)]


def check_not_in_use(info, target, ignore_holders=(), allow_openers=False, exiting_opens=0):
    """Raise Refused naming the first user of a map or disk: mount, swap, holder, process, open count.

    Benign openers (multipathd, udev's blkid) are not users; `ignore_holders` lists holder names that are
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
        labels = [san_users.kernel_user_label(u) for u in users]
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
    unexplained = san_users.unexplained_opens(open_count, info.get("openers"), busy if allow_openers else ())
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


# ---------------------------------------------------------------------------------------------- identity
def map_identity(map_info):
    return {"name": map_info.get("name"), "wwid": map_info.get("wwid"), "dm": map_info.get("dm"),
            "dev": map_info.get("dev"), "slaves": sorted(p.get("name") for p in map_info.get("paths") or [])}


def disk_identity(disk):
    return {"name": disk.get("name"), "hctl": disk.get("hctl"), "dev": disk.get("dev"), "wwid": disk.get("wwid"),
            "serial": disk.get("serial")}


IDENTITY_KEYS = ("name", "hctl", "dev", "wwid", "serial")


def identity_diff(expected, actual, keys=IDENTITY_KEYS):
    """{key: {"expected": x, "actual": y}} for every key the caller expects that differs now."""
    diff = {}
    for key in keys:
        want = (expected or {}).get(key)
        if want in (None, ""):
            continue
        have = (actual or {}).get(key)
        if key == "wwid" and isinstance(want, str) and isinstance(have, str):
            same = want.lower() == have.lower()
        else:
            same = want == have
        if not same:
            diff[key] = {"expected": want, "actual": have}
    return diff


# ---------------------------------------------------------------------------------------------- map flush
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
    """Tasks of this host exiting in D state inside a block device's last close (observe.read.read_exiting): each
    holds one open of some device until the I/O that close waits for ends. Which device, /proc does not say."""
    return [t for t in ((snapshot or {}).get("host") or {}).get("exiting_tasks") or [] if t.get("frames")]


def _task_label(task):
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


def blocked_disks(snapshot):
    """SCSI disks whose I/O waits in the kernel (device state `blocked`: a session or remote port in recovery), and
    those whose sysfs read gave no answer (host.unread_disks: a hung read is what a blocked disk looks like): a
    task killed there can be stuck closing a disk, which has no open count to see it by."""
    snapshot = snapshot or {}
    blocked = set(n for n, d in (snapshot.get("disks") or {}).items() if (d or {}).get("state") == "blocked")
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
    are refused before anything is touched. After queueing is off, verify_unused must still see each map's open
    count reach 0 (otherwise the act refuses and gives queueing back).
    """
    want = {}
    for m in maps:
        if m.get("name") not in unmapped or not dead_unmapped_map(m, {"array_unmapped": True}):
            continue
        busy = workload_openers(m.get("openers"))
        unexplained = san_users.unexplained_opens(m.get("open_count"), m.get("openers"), busy)
        if not unexplained:
            continue
        try:
            check_not_in_use(m, "map %s" % m.get("name"), allow_openers=True, exiting_opens=unexplained)
        except Refused:
            continue  # refused for what it is (mounted, held, a kernel user), never for the open count
        want[m.get("name")] = unexplained
    if not want:
        return {}, None
    total, per = host_unaccounted_opens(snapshot)
    if total is None:
        return {}, per
    if total > len(closers):
        return {}, ("%d open(s) on this host that nothing seen accounts for (%s), more than the %d task(s) exiting "
                    "while closing a block device (%s): /proc does not say which device such a task closes, so "
                    "an open of a map cannot be told from a hidden user's"
                    % (total, ", ".join("%s %d" % (k, n) for k, n in sorted(per.items())[:8]), len(closers),
                       ", ".join(_task_label(t) for t in closers[:5]) or "none"))
    blocked = blocked_disks(snapshot)
    if blocked:
        return {}, ("SCSI disk(s) %s wait for their transport (state blocked): a task exiting while closing one of "
                    "them holds no open any count shows" % ", ".join(blocked[:8]))
    others = ((snapshot or {}).get("host") or {}).get("uncounted_block_devices")
    if others is None:
        return {}, ("the snapshot does not say which other block devices (nvme, loop, md, ...) the host has: a task "
                    "exiting while closing one of them would hold an open no count shows")
    if others:
        return {}, ("block device(s) %s can wait for I/O and have no open count (%s): a task exiting while closing "
                    "one of them holds an open no count shows"
                    % (", ".join(o["name"] for o in others[:8]), "; ".join(o["why"] for o in others[:3])))
    return want, None


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
    release = dead_unmapped_map(map_info, options)
    exiting = int(options.get("exiting_opens") or 0) if release else 0
    check_not_in_use(map_info, "map %s" % name, allow_openers=release, exiting_opens=exiting)
    exiting = min(exiting, san_users.unexplained_opens(map_info.get("open_count"), map_info.get("openers"),
                                                       workload_openers(map_info.get("openers"))))
    ident = map_identity(map_info)
    released = dict(ident, release_openers=True)
    if exiting:
        released["exiting_opens"] = exiting
    steps = [
        step("disable_queueing", name, released if release else ident,
             "multipathd disablequeueing map %s: queued I/O fails instead of blocking, stuck udev/blkid openers "
             "go away, and the daemon keeps queueing off if a flush fails" % name),
    ]
    if release:
        settle = float(options.get("settle", RELEASE_SETTLE))
        blocked = [opener_label(o) for o in workload_openers(map_info.get("openers"))]
        if exiting:
            blocked.append("%d killed task(s) still closing it" % exiting)
        steps.append(step("verify_unused", name, dict(released, settle=settle),
                          "the array no longer maps %s and every path failed: with queueing off, the I/O of %s "
                          "fails; wait up to %gs for every opener to leave and the open count to reach 0, refuse "
                          "if one stays" % (name, ", ".join(blocked) or "any blocked opener", settle)))
    steps += [
        step("flush_map", name, dict(ident, force_remove=bool(options.get("force_remove"))),
             "targeted multipath -f %s (this map only, no flush-all), retried within the deadline%s"
             % (name, "; then dmsetup remove --force --retry (force_remove)" if options.get("force_remove") else "")),
        step("wait_map_gone", name, {"wwid": ident["wwid"], "dm": ident["dm"], "dev": ident["dev"]},
             "confirm the map and its dm device are gone"),
    ]
    if options.get("remove_wwid", True) and ident.get("wwid"):
        steps.append(step("remove_wwid", ident["wwid"], {"wwid": ident["wwid"], "map_absent": True},
                          "multipath -w %s: forget the WWID so the map is not recreated when a path reappears"
                          % ident["wwid"]))
    return steps


# ---------------------------------------------------------------------------------------------- disk delete
def check_disk_deletable(disk, options=None, live_maps=None):
    """Raise Refused unless `disk` may be deleted. live_maps: {map name or dm name: map_info} still present."""
    options = options or {}
    name = disk.get("name")
    target = "disk %s" % name
    live_maps = live_maps or {}
    owner = disk.get("map")
    owner_info = live_maps.get(owner) if owner else None
    if owner_info is None:
        for holder in disk.get("holders") or []:
            hname = holder.get("name") if isinstance(holder, dict) else holder
            if hname in live_maps:
                owner_info = live_maps[hname]
                break
    if owner_info is not None:
        raise Refused(target, "live_map", "is a path of live multipath map %s (%s); flush the map first "
                      "(multipath_flush)" % (owner_info.get("name"), owner_info.get("dm")),
                      holder="multipath map %s" % owner_info.get("name"), evidence={"map": owner_info.get("name")})
    transport = disk.get("transport")
    if transport not in SAN_TRANSPORTS and not options.get("allow_non_san"):
        raise Refused(target, "transport", "is on transport %r, not iSCSI/FC; refusing (allow_non_san)" % transport,
                      evidence={"transport": transport})
    check_not_in_use(disk, target)


def flush_wanted(disk, probe, options):
    """blockdev --flushbufs only when the device answers and still is the LU it was (a reused LUN must not
    receive the old LU's buffers)."""
    if not options.get("flush_buffers", True) or not probe:
        return False
    if probe.get("result") not in ANSWERING:
        return False
    live = probe.get("serial_live")
    return live is None or live == disk.get("serial")


def plan_disk_delete(disk_infos, expected=None, options=None):
    """Steps that delete SCSI disks, in the given order: flush_buffers (if it answers), delete_disk, wait.

    disk_infos: [disk dict as observe.read.Host.disk() returns it, plus optional "probe" (probe_path result)].
    expected: {name: {hctl, dev, wwid, serial}} — what the caller saw; any difference refuses (names are reused).
    options: allow_non_san, flush_buffers (default True), live_maps ({name: map_info} of maps still present).
    """
    options = options or {}
    expected = expected or {}
    steps = []
    seen = set()
    for disk in disk_infos:
        name = disk.get("name")
        if name in seen:
            continue
        seen.add(name)
        want = expected.get(name) or {}
        diff = identity_diff(want, disk)
        if diff:
            raise Refused("disk %s" % name, "identity", "is not the device the caller expected (%s); the kernel "
                          "name may have been reused" % describe_diff(diff), evidence={"diff": diff})
        check_disk_deletable(disk, options, options.get("live_maps"))
        ident = disk_identity(disk)
        for key in ("wwid", "serial"):
            if want.get(key):
                ident[key] = want[key]
        if flush_wanted(disk, disk.get("probe"), options):
            steps.append(step("flush_buffers", name, ident,
                              "blockdev --flushbufs /dev/%s: the device still answers" % name))
        steps.append(step("delete_disk", name, ident,
                          "write 1 to /sys/class/scsi_device/%s/device/delete after re-reading identity"
                          % ident["hctl"]))
        steps.append(step("wait_disk_gone", name, {"name": name, "hctl": ident["hctl"], "dev": ident["dev"],
                                                   "wwid": ident["wwid"]},
                          "wait until /dev/%s, its H:C:T:L and its /dev/disk/by-id links are gone" % name))
    return steps


def describe_diff(diff):
    return ", ".join("%s expected %s, found %s" % (k, v["expected"], v["actual"]) for k, v in sorted(diff.items()))


# ---------------------------------------------------------------------------------------------- rescan
def plan_rescan(hctl=None, host_info=None, existing=None, disk=None, expect=None, options=None):
    """Steps for an exact-LUN scan (hctl) or the rescan of one existing disk (disk).

    hctl: "H:C:T:L" to scan; host_info: {host, transport (iscsi|fc|other), targets: ["H:C:T"]};
    existing: the disk currently at that H:C:T:L (or None). disk: a disk dict to rescan in place.
    expect: {wwid, serial} the LUN must show afterwards (verified by a final verify_identity step).
    options: allow_non_san.
    """
    options = options or {}
    expect = dict((k, v) for k, v in (expect or {}).items() if v not in (None, ""))
    steps = []
    if disk is not None:
        name = disk.get("name")
        if disk.get("transport") not in SAN_TRANSPORTS and not options.get("allow_non_san"):
            raise Refused("disk %s" % name, "transport", "is on transport %r, not iSCSI/FC; refusing "
                          "(allow_non_san)" % disk.get("transport"))
        ident = {"name": name, "hctl": disk.get("hctl"), "dev": disk.get("dev")}
        steps.append(step("rescan_disk", name, ident,
                          "write 1 to /sys/class/scsi_device/%s/device/rescan: re-read VPD (a reused LUN keeps the "
                          "old serial in sysfs until rescanned)" % disk.get("hctl")))
        if expect:
            steps.append(step("verify_identity", disk.get("hctl"), dict(expect, hctl=disk.get("hctl")),
                              "the LUN must now show the expected identity"))
        return steps
    if hctl is None:
        raise ValueError("plan_rescan needs hctl or disk")
    h, c, t, lun = [int(x) for x in hctl.split(":")]
    host_info = host_info or {}
    transport = host_info.get("transport")
    if transport not in SAN_TRANSPORTS and not options.get("allow_non_san"):
        raise Refused("host%d" % h, "not_san_host", "SCSI host%d is %s, not an iSCSI/FC host; refusing to scan it"
                      % (h, transport or "absent"))
    if "%d:%d:%d" % (h, c, t) not in (host_info.get("targets") or []):
        raise Refused("host%d" % h, "no_target", "host%d has no target %d:%d:%d (known: %s); an exact scan needs an "
                      "existing target (wildcards are never used)" % (h, h, c, t,
                                                                      ", ".join(host_info.get("targets") or [])
                                                                      or "none"))
    if existing is not None:
        # already there: nothing to scan; verify only when the caller expects an identity
        if expect:
            steps.append(step("verify_identity", hctl, dict(expect, hctl=hctl),
                              "the LUN is already present; it must show the expected identity"))
        return steps
    steps.append(step("scan_exact_lun", hctl, {"host": h, "channel": c, "target": t, "lun": lun,
                                               "transport": transport, "absent": True},
                      "write '%d %d %d' to /sys/class/scsi_host/host%d/scan (this exact LUN only, never a wildcard bus scan)"
                      % (c, t, lun, h)))
    steps.append(step("wait_disk_present", hctl, {"hctl": hctl}, "wait for the new disk to appear"))
    if expect:
        steps.append(step("verify_identity", hctl, dict(expect, hctl=hctl), "the new LUN must show the expected "
                          "identity (serial/WWID from the array)"))
    return steps


# ---------------------------------------------------------------------------------------------- host cleanup
def host_evidence_gone(map_info, earlier_map, now, earlier_at, grace):
    """True when every path's live probe says the LU is gone now and said so `grace` seconds ago too.

    "no answer" never counts: a dropped portal gives no answer as well (lab finding 8).
    """
    probes = (map_info or {}).get("probe") or {}
    paths = [p.get("name") for p in (map_info or {}).get("paths") or []]
    if not paths or set(paths) - set(probes):
        return False
    if any((probes[p] or {}).get("result") not in LU_GONE for p in paths):
        return False
    if earlier_map is None or earlier_at is None or now is None or now - earlier_at < grace:
        return False
    old = earlier_map.get("probe") or {}
    return all((old.get(p) or {}).get("result") in LU_GONE for p in paths)


# Removal verdicts: what plan_cleanup may select (unknown_array only under host_evidence).
REMOVAL_KINDS = ("stale_unmapped", "serial_mismatch")
# How old the array truth may be, against the host snapshot it judges, before nothing is removed (seconds).
TRUTH_MAX_AGE = 900.0
# the truth is stamped by the controller's clock, the snapshot by the host's: a truth dated further ahead than
# this is not fresh, its age is unknown (a clock wrong by minutes, or epoch milliseconds)
TRUTH_CLOCK_SKEW = 300.0


def removal_blockers(snapshot, verdicts, policy=None):
    """[{"why": name, "msg": text}]: reasons to plan no removal at all on this host, because the array truth the
    verdicts rest on may be incomplete or old. Names: array_truth_unknown, array_lookup_problem, empty_truth,
    unexpected_visibility, truth_age_unknown, truth_too_old."""
    policy = policy or {}
    verdicts = verdicts or []
    array = snapshot.get("array")
    blockers = []
    if array is None:
        if any(v.get("kind") in REMOVAL_KINDS for v in verdicts):
            blockers.append({"why": "array_truth_unknown",
                             "msg": "the snapshot does not say what array truth its verdicts rest on (san.array)"})
        return blockers
    for prob in array.get("problems") or []:
        blockers.append({"why": "array_lookup_problem",
                         "msg": "array lookup %s%s: %s (%s)" % (prob.get("cluster") or "?",
                                                                "/%s" % prob["svm"] if prob.get("svm") else "",
                                                                prob.get("kind"), prob.get("msg"))})
    covered = [v for v in verdicts if (v.get("evidence") or {}).get("coverage")]
    if covered and not array.get("records"):
        blockers.append({"why": "empty_truth", "msg": "the array truth has no record while %d device(s) are "
                                                      "served by the SVMs it covers" % len(covered)})
    odd = [v.get("name") for v in covered if v.get("kind") == "unexpected_visibility"]
    if odd:
        blockers.append({"why": "unexpected_visibility", "msg": "covered device(s) %s work but the array maps them "
                                                                "to none of this host's igroups: the array data may "
                                                                "be incomplete" % ", ".join(odd)})
    collected, now = array.get("collected_at"), snapshot.get("collected_at")
    max_age = float(policy.get("truth_max_age", TRUTH_MAX_AGE))
    if collected is None or now is None:
        blockers.append({"why": "truth_age_unknown", "msg": "the array truth carries no collected_at; its age "
                                                            "cannot be checked"})
    elif float(collected) - now > TRUTH_CLOCK_SKEW:
        blockers.append({"why": "truth_age_unknown", "msg": "the array truth is dated %.0fs after the host snapshot "
                                                            "(more than the %gs two clocks may differ): its age "
                                                            "cannot be checked (a wrong clock, or collected_at in "
                                                            "milliseconds)" % (float(collected) - now,
                                                                               TRUTH_CLOCK_SKEW)})
    elif now - float(collected) > max_age:
        blockers.append({"why": "truth_too_old", "msg": "the array truth was read %.0fs before the host snapshot "
                                                        "(bound %gs)" % (now - float(collected), max_age)})
    return blockers


def unproven_failures(obj, kind="map"):
    """Paths (of a map) or the disk itself whose failure is not positively observed: working, or unknown
    (dmsetup status failed, checker pending, no state at all). Removal needs every failure observed; "no path
    reported ok" is not the same. A map without any path has nothing to observe: only the array's word counts."""
    if kind == "disk":
        return [] if san_judge.disk_state(obj, obj.get("probe")) == "failed" else [obj.get("name")]
    probes = obj.get("probe") or {}
    return [p.get("name") or p.get("dev") or "?" for p in obj.get("paths") or []
            if san_judge.path_state(p, probes.get(p.get("name")))[0] != "failed"]


def _with_phase(steps, phase, unit):
    """Tag steps with the role phase (flush, delete, rescan) that runs them, so a tag selects whole units, and with
    their unit (what one refusal or failure stops at act time)."""
    for st in steps:
        st["phase"] = phase
        st["unit"] = unit
    return steps


def in_host_order(steps):
    """The steps ordered by HOST_ORDER, each unit's own steps keeping their relative order."""
    rank = dict((a, i) for i, a in enumerate(HOST_ORDER))
    return [st for _i, st in sorted(enumerate(steps), key=lambda x: (rank[x[1]["action"]], x[0]))]


def _never_touched(verdict):
    """Why a device is left alone, with the judge's own reason where it names more (e.g. which target no SVM
    covers, for not_covered), so the plan says which cluster or SVM data is missing."""
    text = "%s is never touched by cleanup" % verdict.get("kind")
    return "%s: %s" % (text, verdict["reason"]) if verdict.get("kind") == "not_covered" and verdict.get("reason") else text


def _blocked_plan(blockers, verdicts):
    """The plan of a host whose truth may be incomplete or old: no removal at all, and why, by name."""
    names = ", ".join(sorted(set(b["why"] for b in blockers)))
    why = "no removal on this host (%s): %s" % (names, "; ".join(b["msg"] for b in blockers))
    return {"steps": [], "blocked": blockers, "flush_maps": [], "delete_disks": [], "mismatches": [],
            "skipped": [{"kind": v.get("kind"), "object": v.get("object"), "name": v.get("name"),
                         "reason": why if v.get("kind") in REMOVAL_KINDS + ("unknown_array",)
                         else _never_touched(v)} for v in verdicts or []]}


def _skip(skipped, v, why):
    skipped.append({"kind": v.get("kind"), "object": v.get("object"), "name": v.get("name"), "reason": why})


class _Chosen(object):
    """What plan_cleanup removes, from the verdicts: maps (dead: chosen because every path failed, the act checks
    that again; unmapped: stale_unmapped), map-less disks and serial-mismatch disks with their verdicts."""

    def __init__(self):
        self.maps, self.dead, self.unmapped, self.disks, self.mismatches = [], set(), set(), [], []


def _choose_stale(v, snapshot, policy, chosen, skipped, map_for):
    """A stale_unmapped (or, under host_evidence, unknown_array) verdict: choose its map or disk, or skip it."""
    kind, obj = v.get("kind"), v.get("object")
    earlier = policy.get("earlier") or {}
    if kind == "unknown_array":
        m = map_for(v) if obj == "map" else None
        em = (earlier.get("maps") or {}).get((m or {}).get("wwid")) if m else None
        if m is None or not host_evidence_gone(m, em, snapshot.get("collected_at"),
                                               earlier.get("collected_at"), policy.get("grace", 300)):
            return _skip(skipped, v, "host evidence does not show the LU gone on every path for the grace time")
    if obj == "map":
        m = map_for(v)
        if m is None:
            return _skip(skipped, v, "map no longer present")
        unproven = unproven_failures(m)
        if unproven:
            return _skip(skipped, v, "path(s) %s of map %s: failure not positively observed (working or state "
                                     "unknown); removal needs every path's failure seen"
                         % (", ".join(unproven), m.get("name")))
        chosen.maps.append(m)
        chosen.dead.add(m.get("name"))
        if kind == "stale_unmapped":
            chosen.unmapped.add(m.get("name"))
        return None
    d = (snapshot.get("disks") or {}).get(v.get("name"))
    if d is None:
        return _skip(skipped, v, "disk no longer present")
    if unproven_failures(d, "disk"):
        return _skip(skipped, v, "disk %s: failure not positively observed (working or state unknown)"
                     % d.get("name"))
    chosen.disks.append(d)
    return None


def _choose(snapshot, verdicts, policy, skipped):
    """_Chosen from the verdicts; every verdict not chosen is in `skipped` with the reason."""
    maps = snapshot.get("maps") or {}
    disks = snapshot.get("disks") or {}
    by_name = dict((m.get("name"), m) for m in maps.values())
    mode = policy.get("policy", "array")
    repair = policy.get("repair_mismatch", True)
    chosen = _Chosen()

    def map_for(v):
        return maps.get(v.get("wwid")) or by_name.get(v.get("name"))
    for v in verdicts or []:
        kind, obj = v.get("kind"), v.get("object")
        if kind == "stale_unmapped" or (kind == "unknown_array" and mode == "host_evidence"):
            _choose_stale(v, snapshot, policy, chosen, skipped, map_for)
        elif kind == "serial_mismatch" and obj == "map" and repair and not (v.get("evidence") or {}).get(
                "array_mappings"):
            # LUN id reuse: the array no longer maps this map's WWID; its paths now reach another LU. The map goes
            # first (its sds cannot be deleted while it holds them), the sds are then repaired one by one below.
            m = map_for(v)
            if m is None:
                _skip(skipped, v, "map no longer present")
                continue
            chosen.maps.append(m)
        elif kind == "serial_mismatch" and obj == "disk" and repair:
            d = disks.get(v.get("name"))
            if d is None:
                _skip(skipped, v, "disk no longer present")
                continue
            chosen.mismatches.append((d, v))
        else:
            _skip(skipped, v, _never_touched(v))
    return chosen


def _plan_flushes(chosen, snapshot, policy, skipped):
    """{map name: its flush steps} of the chosen maps the plan may flush; a refused one is in `skipped`."""
    map_steps = {}
    closers = exiting_closers(snapshot)
    allowance, not_allowed = exiting_allowance(chosen.maps, chosen.unmapped, closers, snapshot)
    for m in chosen.maps:
        try:
            map_steps[m.get("name")] = plan_map_flush(m, dict(policy, array_unmapped=m.get("name") in chosen.unmapped,
                                                              exiting_opens=allowance.get(m.get("name"), 0)))
        except Refused as exc:
            reason = str(exc)
            if exc.kind == "open_count" and closers and m.get("name") in chosen.unmapped:
                reason += ("; the %d task(s) exiting on this host while closing a block device (%s) cannot account "
                           "for it: %s" % (len(closers), ", ".join(_task_label(t) for t in closers[:5]),
                                           not_allowed or "only a dead map the array no longer maps (queueing, "
                                           "every path failed and answering LOGICAL UNIT NOT SUPPORTED, nothing "
                                           "else in the way) can be held by one, and only as many opens as it "
                                           "has closers for"))
            skipped.append({"kind": "refused", "object": "map", "name": m.get("name"), "reason": reason})
    return map_steps


class _Deletions(object):
    """Plans the deletes of disks as they will be once the planned map flushes have run, and records what they
    remove (delete_disks) and repair (repaired)."""

    def __init__(self, maps, flushed, policy, skipped):
        live = dict((m.get("name"), m) for m in maps.values() if m.get("name") not in flushed)
        live.update(dict((m.get("dm"), m) for m in maps.values() if m.get("name") not in flushed))
        self.opts = dict(policy, live_maps=live)
        self.policy = policy
        self.flushed = flushed
        self.flushed_dms = set(m.get("dm") for m in maps.values() if m.get("name") in flushed)
        self.skipped = skipped
        self.delete_disks, self.repaired = [], []

    def without_flushed_map(self, d):
        """The disk as it will be once the planned map flush has run: no longer held by that map."""
        dd = dict(d)
        if dd.get("map") in self.flushed:
            dd["holders"] = [h for h in dd.get("holders") or []
                             if (h.get("name") if isinstance(h, dict) else h) not in self.flushed_dms]
            dd["map"] = None
        return dd

    def delete(self, d, flush_buffers=True, after_flush=None, mismatch=None):
        flush_buffers = flush_buffers and self.policy.get("flush_buffers", True)
        try:
            out = plan_disk_delete([self.without_flushed_map(d)], {}, dict(self.opts, flush_buffers=flush_buffers))
        except Refused as exc:
            self.skipped.append({"kind": "refused", "object": "disk", "name": d.get("name"), "reason": str(exc)})
            return None
        if mismatch is None:
            self.delete_disks.append(disk_identity(d))
        else:
            ev = mismatch.get("evidence") or {}
            self.repaired.append(dict(disk_identity(d), expect_wwid=ev.get("array_wwid") or ev.get("expected_wwid"),
                                      expect_serial=ev.get("array_serial") or ev.get("expected_serial")))
        if after_flush:
            for st in out:
                if st["action"] == "delete_disk":
                    st["expect"]["after_flush"] = after_flush
        return out


def _repair_steps(d, v):
    """The exact rescan of a disk whose LUN id now reaches another LU, and the check of the LU it finds."""
    ev = v.get("evidence") or {}
    expect = {"wwid": ev.get("array_wwid") or ev.get("expected_wwid"),
              "serial": ev.get("array_serial") or ev.get("expected_serial")}
    hctl = d.get("hctl")
    h, c, t, lun = [int(x) for x in hctl.split(":")]
    out = [step("scan_exact_lun", hctl, {"host": h, "channel": c, "target": t, "lun": lun,
                                         "transport": d.get("transport"), "absent": True},
                "exact rescan of %s after a serial mismatch" % hctl),
           step("wait_disk_present", hctl, {"hctl": hctl}, "wait for the LUN to come back")]
    expect = dict((k, x) for k, x in expect.items() if x)
    if expect:
        out.append(step("verify_identity", hctl, dict(expect, hctl=hctl),
                        "the LUN must now show the array's serial"))
    return out


def _map_unit(m, body, dead, disks, mismatch_of, deletions, grouped):
    """The steps of one removed map's unit: its flush, its paths' deletes, forgetting its WWID, then the rescans
    of its paths that now reach another LU."""
    name = m.get("name")
    unit = "map %s" % name
    tail = [st for st in body if st["action"] == "remove_wwid"]
    group = _with_phase(_still_dead_at_act(body, name in dead), "flush", unit)
    group = [st for st in group if st["action"] != "remove_wwid"]
    rescans = []
    for p in m.get("paths") or []:
        d = disks.get(p.get("name"))
        if d is None or d.get("name") in grouped:
            continue
        grouped.add(d.get("name"))
        pair = mismatch_of.get(d.get("name"))
        dels = deletions.delete(d, flush_buffers=pair is None, after_flush=m.get("wwid") or name,
                                mismatch=pair[1] if pair else None)
        if dels is None:
            continue
        _still_dead_at_act(dels, name in dead and pair is None)
        group.extend(_with_phase(dels, "flush", unit))
        if pair is not None:
            rescans.extend(_with_phase(_repair_steps(*pair), "rescan", unit))
    return group + _with_phase(tail, "flush", unit) + rescans


def plan_cleanup(snapshot, verdicts, policy=None):
    """Ordered steps for a whole host. Returns {"steps": [...], "skipped": [...]}.

    Per removed map, one unit: disable queueing, (verify unused), flush, wait gone, delete each path, multipath -w,
    then the exact rescan of its paths that now reach another LU. A stale disk without a map is a unit; so is a
    serial mismatch outside a removed map (delete, exact rescan, verify). Every step carries `phase` (flush,
    delete, rescan) and `unit`; the steps come in HOST_ORDER (every unit's steps of one kind side by side).
    A path that multipathd assembles into its map again between the flush and the path's delete is handled at
    act time (delete_disk flushes that map again: expect.after_flush).

    policy: {policy: array|host_evidence, grace (s), earlier: an earlier snapshot (host_evidence),
             allow_non_san, force_remove, flush_buffers, remove_wwid, repair_mismatch (default True)}.
    A serial_mismatch map that the array no longer maps (LUN id reused for another LU) is flushed first when
    repair_mismatch is on; its sds are then deleted and rescanned as serial_mismatch disks.
    Never touches paths_down_but_mapped, healthy or in-use devices; unknown_array only under host_evidence.
    """
    policy = policy or {}
    blockers = removal_blockers(snapshot, verdicts, policy)
    if blockers:
        return _blocked_plan(blockers, verdicts)
    maps = snapshot.get("maps") or {}
    disks = snapshot.get("disks") or {}
    steps, skipped = [], []
    chosen = _choose(snapshot, verdicts, policy, skipped)
    map_steps = _plan_flushes(chosen, snapshot, policy, skipped)
    flushed = set(map_steps)
    deletions = _Deletions(maps, flushed, policy, skipped)
    # what the steps remove, in plan order, for reports, --diff and the post-check (built with the steps)
    flush_maps = []

    # A removed map and its paths are one unit. Between its flush and its paths' delete the other units' flushes
    # run; a path left behind can be assembled into the same map again by multipathd (find_multipaths no, or a
    # uevent) in that window, which delete_disk meets with a second flush of that map (expect.after_flush).
    # Paths that now reach another LU (serial_mismatch) are deleted with the others, without a buffer flush, and
    # scanned again only once every old-identity device of that map is gone.
    mismatch_of = dict((d.get("name"), (d, v)) for d, v in chosen.mismatches)
    grouped = set()
    for m in chosen.maps:
        if m.get("name") not in flushed:
            continue
        flush_maps.append(m.get("wwid") or m.get("name"))
        steps.extend(_map_unit(m, map_steps[m.get("name")], chosen.dead, disks, mismatch_of, deletions, grouped))
    for d in chosen.disks:
        if d.get("name") in grouped:
            continue
        steps.extend(_with_phase(_still_dead_at_act(deletions.delete(d) or [], True), "delete",
                                 "disk %s" % d.get("name")))
    for d, v in chosen.mismatches:
        if d.get("name") in grouped:
            continue
        dels = deletions.delete(d, flush_buffers=False, mismatch=v)
        if dels is None:
            continue
        steps.extend(_with_phase(dels + _repair_steps(d, v), "rescan", "disk %s" % d.get("name")))
    return {"steps": in_host_order(steps), "skipped": skipped, "blocked": [], "flush_maps": flush_maps,
            "delete_disks": deletions.delete_disks, "mismatches": deletions.repaired}


def _still_dead_at_act(steps, dead):
    """Mark the touching steps of a unit chosen because every path failed (expect.dead): before each batch's first
    touch the act probes its paths again and refuses the unit as `came_back` when one works (san_act)."""
    if dead:
        for st in steps:
            if st["action"] in ("disable_queueing", "flush_map", "flush_buffers", "delete_disk"):
                st["expect"]["dead"] = True
    return steps


def evidence_candidates(snapshot, verdicts):
    """WWIDs of the unknown_array maps whose every path's probe says the LU is gone now: under host_evidence they
    need a second look after the grace time (plan_cleanup with that snapshot as `earlier`)."""
    maps = snapshot.get("maps") or {}
    out = []
    for v in verdicts or []:
        if v.get("kind") != "unknown_array" or v.get("object") != "map":
            continue
        m = maps.get(v.get("wwid")) or {}
        paths = [p.get("name") for p in m.get("paths") or []]
        probes = m.get("probe") or {}
        if paths and all((probes.get(p) or {}).get("result") in LU_GONE for p in paths):
            out.append(v.get("wwid"))
    return out


def healthy_maps(snapshot, exclude=()):
    """{wwid: sorted path names} of every map whose paths are all active, leaving out the WWIDs in `exclude`
    (what a plan removes, and the new LUs of its serial-mismatch repairs): the baseline a cleanup must leave as
    it found it. The one definition, applied to the snapshot before the run and to the one read after it."""
    skip = set((w or "").lower() for w in exclude)
    out = {}
    for wwid, m in sorted((snapshot.get("maps") or {}).items()):
        paths = m.get("paths") or []
        if wwid.lower() in skip or not paths or any(p.get("dm_state") != "active" for p in paths):
            continue
        out[wwid] = sorted(p.get("name") for p in paths)
    return out
