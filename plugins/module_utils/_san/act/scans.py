# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Targeted scans: the exact H:C:T:L of one LUN, a disk's rescan, wait for it, verify the LUN read back (never a
`- - -` whole-bus rescan)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import SAN_TRANSPORTS
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    HCTL_RE, RESCAN_CHECK, describe_diff, normalize_initiator, same_wwid, serial_matches)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.children import (
    child_checked_write, child_write, sysfs_write)


def scan_exact_lun(host, step):
    m = HCTL_RE.match(step.target)
    if not m:
        raise Refused(step.target, "invalid", "is not an H:C:T:L")
    h, c, t, lun = [int(x) for x in m.groups()]
    info = obs_reread.scsi_host_info(host, h)
    transport = (info or {}).get("transport")
    if transport not in SAN_TRANSPORTS and not host.allow_non_san:
        raise Refused("host%d" % h, "not_san_host", "SCSI host%d is %s, not an iSCSI/FC host; not scanning"
                      % (h, transport or "absent"))
    if "%d:%d:%d" % (h, c, t) not in (info or {}).get("targets", []):
        raise Refused("host%d" % h, "no_target", "target %d:%d:%d is gone; not scanning" % (h, c, t))
    answered = _same_target_port(info, "%d:%d:%d" % (h, c, t), step.options.get("target_wwpn")) \
        if transport == "fc" else None
    if step.options.get("absent") and obs_reread.disk_at(host, step.target) is not None:
        return {"outcome": "already_present"}
    data = "%d %d %d" % (c, t, lun)
    sysfs_write(host, child_write, (host.path("/sys/class/scsi_host/host%d/scan" % h), data),
                "host%d" % h, "write '%s' to /sys/class/scsi_host/host%d/scan" % (data, h))
    out = {"outcome": "done", "written": data, "host": "host%d" % h, "transport": transport}
    if answered:
        out["target_wwpn"] = answered
    return out


def _same_target_port(info, hct, want):
    """The FC remote port at target H:C:T now (re-read), which must be the one the plan expected (its port_name):
    the rport number is not the target id, and another port at that target is another array port -- a scan there
    would find another LU at this LUN id. Refused when the plan names none or another port answers."""
    ports = [p for p in ((info or {}).get("target_ports") or {}).get(hct) or [] if p]
    if not want:
        raise Refused("host%s" % hct.split(":")[0], "target_port", "the plan names no FC remote port for target "
                      "%s (found %s); not scanning" % (hct, ", ".join(ports) or "none"))
    if [normalize_initiator(p) for p in ports] != [normalize_initiator(want)]:
        raise Refused("host%s" % hct.split(":")[0], "target_port", "target %s is reached through remote port %s, "
                      "not %s as planned; not scanning" % (hct, ", ".join(ports) or "(none read)", want),
                      evidence={"expected": want, "found": ports})
    return ports[0]


def rescan_disk(host, step):
    d = host.reader.disk(step.identity.name or step.target)
    if d is None:
        raise Refused("disk %s" % step.target, "unknown", "is gone; nothing rescanned")
    diff = step.identity.only(RESCAN_CHECK).differs_from(d)
    if diff:
        raise Refused("disk %s" % step.target, "identity", "changed since it was planned (%s)"
                      % describe_diff(diff))
    sysfs_write(host, child_checked_write, (host.path("/sys"), d["hctl"], d["name"], d.get("dev"), "rescan", "1"),
                "disk %s" % d["name"], "write 1 to /sys/class/scsi_device/%s/device/rescan" % d["hctl"])
    return {"outcome": "done", "hctl": d["hctl"]}


def wait_disk_present(host, step):
    hctl = step.target
    end = host.clock() + host.wait_timeout
    while True:
        name = obs_reread.disk_at(host, hctl)
        if name:
            d = host.reader.disk(name)
            if d is not None and d.get("hctl") == hctl:
                return {"outcome": "done", "name": name}
        if host.clock() >= end:
            raise ActFailed(hctl, "no disk appeared within %.0fs of the scan" % host.wait_timeout)
        host.sleep(host.poll_interval)


def verify_lun(host, step):
    """verify_identity step after a scan/rescan: the disk at H:C:T:L must show the expected WWID/serial."""
    want = step.identity
    hctl = want.hctl or step.target
    name = obs_reread.disk_at(host, hctl)
    d = host.reader.disk(name) if name else None
    if d is None:
        raise ActFailed(hctl, "no disk at %s to verify" % hctl)
    bad = {}
    # Not an identity re-check before a change (nothing is changed after it), and the one comparison that is not
    # Identity.differs_from: the expectation names an LU that was not on the host when it entered (scsi_rescan's
    # expect_wwid/expect_serial, a repair's WWID and serial from the array truth). Its NAA or EUI-64 id enters in the
    # kernel's spelling, but the case of a t10 vendor text and the form of the serial (ASCII or LIO's hex, lab
    # finding 7) are the device's, which no edge can read before the scan: compared as the array truth is (wwid_key,
    # serial_matches), as the judge that chose the repair compared them.
    if want.wwid and not same_wwid(want.wwid, d.get("wwid")):
        bad["wwid"] = {"expected": want.wwid, "actual": d.get("wwid")}
    if want.serial and not serial_matches(d.get("serial"), want.serial):
        bad["serial"] = {"expected": want.serial, "actual": d.get("serial")}
    if bad:
        raise ActFailed(hctl, "%s shows the wrong identity after the scan (%s)"
                        % (name, describe_diff(bad)), {"diff": bad})
    return {"outcome": "done", "name": name, "wwid": d.get("wwid"), "serial": d.get("serial")}
