# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning the delete of sd disks (is it deletable, flush its buffers or not) and the targeted rescan of one LUN
(never a whole-bus `- - -`). Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    DISK_CHECK, SAN_TRANSPORTS, Identity, describe_diff, disk_step_identity, gone_identity)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import (
    ANSWERING, step)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.usage import check_not_in_use
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import disk_refusal, shown


def check_disk_deletable(disk, options=None, live_maps=None):
    """Raise Refused unless `disk` may be deleted. live_maps: {map name or dm name: map_info} still present."""
    options = options or {}
    name = disk.get("name")
    target = "disk %s" % shown(name)
    why = disk_refusal(disk)
    if why:
        raise Refused(target, "odd_name", "its %s is text no step may carry: nothing deletes it" % why,
                      evidence={"refused": why})
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
        owner = shown(owner_info.get("name"))
        raise Refused(target, "live_map", "is a path of live multipath map %s (%s); flush the map first "
                      "(multipath_flush)" % (owner, shown(owner_info.get("dm"))),
                      holder="multipath map %s" % owner, evidence={"map": owner_info.get("name")})
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
    expected: {name: {hctl, dev, wwid, serial}} — what the caller saw, in the host's spelling (the module converted
    a user's WWID where it entered); any difference refuses (names are reused), compared exactly.
    options: allow_non_san, flush_buffers (default True), live_maps ({name: map_info} of maps still present).
    The steps' identity (WWID included) is built by identity.disk_step_identity / gone_identity from the disk
    record: this file names no WWID (docs/design.md, "A WWID's way from facts to delete").
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
        diff = Identity.expected(want, DISK_CHECK).differs_from(disk)
        if diff:
            raise Refused("disk %s" % name, "identity", "is not the device the caller expected (%s); the kernel "
                          "name may have been reused" % describe_diff(diff), evidence={"diff": diff})
        check_disk_deletable(disk, options, options.get("live_maps"))
        ident = disk_step_identity(disk, want)
        if flush_wanted(disk, disk.get("probe"), options):
            steps.append(step("flush_buffers", name, ident,
                              "blockdev --flushbufs /dev/%s: the device still answers" % name))
        steps.append(step("delete_disk", name, ident,
                          "write 1 to /sys/class/scsi_device/%s/device/delete after re-reading identity"
                          % ident["hctl"]))
        steps.append(step("wait_disk_gone", name, gone_identity(ident),
                          "wait until /dev/%s, its H:C:T:L and its /dev/disk/by-id links are gone" % name))
    return steps


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
    wwpn = target_port(host_info, h, c, t) if transport == "fc" else None
    steps.append(exact_scan_step(hctl, transport, wwpn, "write '%d %d %d' to /sys/class/scsi_host/host%d/scan (this "
                                 "exact LUN only, never a wildcard bus scan)" % (c, t, lun, h)))
    steps.append(step("wait_disk_present", hctl, {"hctl": hctl}, "wait for the new disk to appear"))
    if expect:
        steps.append(step("verify_identity", hctl, dict(expect, hctl=hctl), "the new LUN must show the expected "
                          "identity (serial/WWID from the array)"))
    return steps


def target_port(host_info, h, c, t):
    """The port_name of the one FC remote port at target H:C:T (host_info's target_ports, observe.reread), or
    Refused: an FC scan names the port it must reach, and the act refuses if another answers there."""
    hct = "%d:%d:%d" % (h, c, t)
    ports = [p for p in ((host_info or {}).get("target_ports") or {}).get(hct) or [] if p]
    if len(ports) != 1:
        raise Refused("host%d" % h, "target_port", "the FC remote port at target %s is %s; an exact FC scan must "
                      "know which port it reaches" % (hct, "ambiguous (%s)" % ", ".join(ports) if ports
                                                      else "not known"))
    return ports[0]


def exact_scan_step(hctl, transport, target_wwpn, reason):
    """The scan_exact_lun step of one H:C:T:L; on FC it carries the WWPN of the remote port expected at that
    target (the act re-reads the port there and refuses another: act.scans.scan_exact_lun)."""
    scan = {"absent": True}  # the act reads the host's transport again, live
    if transport == "fc":
        scan["target_wwpn"] = target_wwpn
    return step("scan_exact_lun", hctl, {"hctl": hctl}, reason, scan)
