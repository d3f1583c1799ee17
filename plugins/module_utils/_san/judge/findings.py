# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host findings: pure functions from a host snapshot to what the host shows (failed paths, orphan sds, maps
without paths, use). No I/O. They never call anything stale: a map whose active-path count is 0 may be an
outage that comes back (anchors (e) 1). What a probe result means for a path (`path_state`), and whether it shows an LU answering there (`lu_answers`), is
judged here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    DAEMON_OPENERS, SAN_TRANSPORTS, TRANSIENT_OPENERS)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.users import kernel_user_label


# checker states that mean the path does not work (multipathd's names)
FAILED_CHECKER_STATES = ("faulty", "shaky", "i/o timeout", "disconnected", "down")
# multipathd checker states of a path that answers (a standby path answers too)
CHECKER_UP_STATES = ("ready", "ghost")


# device states of an sd that cannot carry I/O
FAILED_DEV_STATES = ("offline", "transport-offline", "blocked", "cancel", "deleted", "del")


# device states of an sd whose I/O waits while its session or remote port recovers (a failover): the path is neither
# working nor failed, and may work again in a moment
TRANSIENT_DEV_STATES = ("blocked",)


# probe results that mean the device at that address does not answer as a working LUN
PROBE_FAILED = ("lun_not_supported", "not_ready", "no_answer")


# the probe results that may fail a path the kernel has not failed (active, or its state not read): the target
# says no LU is there (sense LOGICAL UNIT NOT SUPPORTED or INQUIRY peripheral qualifier 1/3, both classified
# lun_not_supported). A timeout or NOT READY is what an ALUA transition (takeover, giveback) answers on a working path.
PROBE_FAILS_ACTIVE = ("lun_not_supported",)


def probe_fails(probe, kernel_active):
    result = (probe or {}).get("result")
    return result in (PROBE_FAILS_ACTIVE if kernel_active else PROBE_FAILED)


# the sense key sg3-utils prints for a UNIT ATTENTION (e.g. REPORTED LUNS DATA HAS CHANGED: the LU's inventory changed)
UNIT_ATTENTION_RE = re.compile(r"unit attention", re.I)


def unit_attention(probe):
    """The probe's answer is a UNIT ATTENTION (a LU holds a pending condition for this initiator)."""
    return (probe or {}).get("result") == "not_ready" and bool(UNIT_ATTENTION_RE.search((probe or {}).get("sense") or ""))


def lu_answers(path, probe):
    """What says, on one path, that a logical unit answers at its address now, whatever the kernel's path state: a
    list of signs, [] when none. An answer of the array that no LU is there (LOGICAL UNIT NOT SUPPORTED, INQUIRY
    peripheral qualifier 1/3: lun_not_supported) is no such sign; every other SCSI answer is, since only an LU gives it
    (a device server answered for that LUN): READY; TEST UNIT READY answering GOOD or with a sense (NOT READY
    included: an ALUA transition, a LUN taken offline), whatever INQUIRY did next; a UNIT ATTENTION (REPORTED LUNS DATA
    HAS CHANGED: a LUN mapped back reports its inventory change to the first command), whatever its retry answered,
    LU not supported included; INQUIRY answering with peripheral qualifier 0 (an LU is connected); and, for a map's
    path, multipathd's checker saying ready or ghost (its own TEST UNIT READY got an answer), which runs ahead of the
    kernel's path state. A transport failure, a timeout or a device that cannot be opened is silence, not an answer.
    path: the map path ({dm_state, checker_state, ...}) or None for a plain disk; probe: observe.probe's result, with
    `after_unit_attention` (the senses of the UNIT ATTENTIONs the act's re-probe went past)."""
    probe = probe or {}
    result, signs = probe.get("result"), []
    attentions = list(probe.get("after_unit_attention") or []) + (
        [probe.get("sense")] if unit_attention(probe) else [])
    if attentions:
        signs.append("UNIT ATTENTION (%s)" % "; ".join(str(a) for a in attentions))
    if result in PROBE_FAILS_ACTIVE:
        return signs
    if result == "ready":
        signs.append("answers READY")
    elif result == "not_ready":
        if not unit_attention(probe):
            signs.append("TEST UNIT READY answered %s" % (probe.get("sense") or "NOT READY"))
    elif probe.get("tur_answered"):  # GOOD (a sense makes it not_ready or lun_not_supported), then INQUIRY failed
        signs.append("TEST UNIT READY answered GOOD (then %s)" % (probe.get("sense") or result))
    if probe.get("pqual") == 0 and result != "ready":
        signs.append("INQUIRY answered (peripheral qualifier 0: an LU is connected)")
    if path and path.get("checker_state") in CHECKER_UP_STATES:
        signs.append("multipathd's checker says %s (kernel path state %s)" % (
            path["checker_state"], path.get("dm_state") or "not read"))
    return signs


def path_state(path, probe=None):
    """'ok', 'failed' or 'unknown' for one map path, with the reasons.

    Only the kernel's own word (dm_state failed) or the array's fails a path: LOGICAL UNIT NOT SUPPORTED or
    peripheral qualifier 1/3 (PROBE_FAILS_ACTIVE). On a path the kernel has not failed (active, or its state not
    read: no dmsetup status line for the map) anything else the host shows (an sd `blocked` or `transport-offline`
    while its session or remote port recovers, a checker that timed out or says faulty before multipathd has failed
    the path, an sd not found, a probe that timed out or answered NOT READY) is a transient state: unknown, never
    failed, so that it can never make a working map stale."""
    kernel_failed = path.get("dm_state") == "failed"
    reasons = []
    if kernel_failed:
        reasons.append("kernel path state failed")
    if path.get("checker_state") in FAILED_CHECKER_STATES:
        reasons.append("checker %s" % path["checker_state"])
    if path.get("dev_state") in FAILED_DEV_STATES:
        reasons.append("device %s" % path["dev_state"])
    if path.get("name") is None:
        reasons.append("sd device not found")
    # said where a path is not ok, never a state of its own: a probe that could not be sent is no answer
    unprobed = (["not probed: %s is not installed" % probe["missing"]] if (probe or {}).get("missing") else
                ["not probed: %s" % probe["not_sent"]] if (probe or {}).get("not_sent") else [])
    if probe_fails(probe, not kernel_failed):
        return "failed", reasons + ["probe %s" % probe["result"]]
    if kernel_failed:
        return "failed", reasons + unprobed
    if reasons:
        return "unknown", reasons + unprobed + [
            "the kernel path state is %s, not failed: only the array's word (LU not supported) fails it"
            % (path.get("dm_state") or "not read")]
    if path.get("dm_state") == "active":
        return "ok", []
    return "unknown", ["kernel path state unknown"] + unprobed


def _path_evidence(path, probe):
    ev = {
        "name": path.get("name"),
        "hctl": path.get("hctl"),
        "dev": path.get("dev"),
        "dm_state": path.get("dm_state"),
        "checker_state": path.get("checker_state"),
        "dev_state": path.get("dev_state"),
    }
    if probe:
        ev["probe"] = dict(probe)
    return ev


def _classify_openers(openers):
    workload, transient = [], []
    for op in openers or []:
        comm = op.get("comm") or ""
        if comm in DAEMON_OPENERS:
            continue
        if comm in TRANSIENT_OPENERS:
            transient.append(op)
        else:
            workload.append(op)
    return workload, transient


# kinds of use (uses_of): a transient opener goes away when queueing is disabled, every other kind is a user
USE_TRANSIENT_OPENER = "transient_opener"


def usage_of(obj, own_holders=None):
    """What uses a map or disk, in words: holders (except own_holders), mounts, swap, openers."""
    uses, evidence = uses_of(obj, own_holders)
    return [u["text"] for u in uses], evidence


def uses_of(obj, own_holders=None):
    """What uses a map or disk: [{kind, text}] and the evidence. Callers decide by `kind`, never by the text."""
    holders = [h for h in obj.get("holders") or [] if h not in (own_holders or [])]
    workload, transient = _classify_openers(obj.get("openers"))
    uses = []

    def use(kind, text):
        uses.append({"kind": kind, "text": text})
    if obj.get("mountpoints"):
        use("mounted", "mounted at %s" % ", ".join(obj["mountpoints"]))
    if obj.get("swap"):
        use("swap", "used as swap")
    if holders:
        use("holder", "held by %s" % ", ".join(holders))
    for user in obj.get("kernel_users") or []:
        use("kernel_user", "used by %s" % kernel_user_label(user))
    if obj.get("openers_unknown"):
        use("openers_unknown", "openers unknown (%s)" % obj["openers_unknown"])
    for op in workload:
        use("opener", "open by pid %s (%s)%s" % (op.get("pid"), op.get("comm"),
                                                 " via %s" % op["via"] if op.get("via") else ""))
    for op in transient:
        use(USE_TRANSIENT_OPENER, "open by pid %s (%s, a udev worker: goes away when queueing is disabled)"
            % (op.get("pid"), op.get("comm")))
    evidence = {
        "mountpoints": list(obj.get("mountpoints") or []),
        "swap": bool(obj.get("swap")),
        "holders": holders,
        "openers": workload + transient,
        "only_transient_openers": bool(transient) and not (workload or holders or obj.get("mountpoints")
                                                           or obj.get("swap") or obj.get("kernel_users")),
    }
    if "open_count" in obj:
        evidence["open_count"] = obj.get("open_count")
    return uses, evidence


def host_findings(snapshot):
    """Findings from the host snapshot alone: all_paths_failed, some_paths_failed, ghost_map, orphan_path, in_use."""
    findings = []
    maps = snapshot.get("maps") or {}
    for wwid in sorted(maps):
        m = maps[wwid]
        probes = m.get("probe") or {}
        paths = m.get("paths") or []
        evidence_paths = []
        failed, ok, unknown = [], [], []
        for p in paths:
            probe = probes.get(p.get("name"))
            state, reasons = path_state(p, probe)
            ev = _path_evidence(p, probe)
            ev["state"] = state
            if reasons:
                ev["reasons"] = reasons
            evidence_paths.append(ev)
            {"failed": failed, "ok": ok, "unknown": unknown}[state].append(p.get("name") or p.get("dev"))
        base = {"object": "map", "name": m.get("name"), "wwid": wwid}
        common_ev = {"paths": evidence_paths, "queueing": m.get("queueing"), "dm": m.get("dm"),
                     "open_count": m.get("open_count")}
        if not paths:
            f = dict(base, kind="ghost_map",
                     reason="map %s has no paths in its kernel table" % m.get("name"),
                     evidence=common_ev)
            findings.append(f)
        elif failed and not ok and not unknown:
            f = dict(base, kind="all_paths_failed",
                     reason="every path of map %s fails (%s)%s" % (
                         m.get("name"),
                         "; ".join("%s: %s" % (e["name"], ", ".join(e.get("reasons", []))) for e in evidence_paths),
                         "; I/O to it queues (queue_if_no_path)" if m.get("queueing") else ""),
                     evidence=common_ev)
            findings.append(f)
        elif failed:
            f = dict(base, kind="some_paths_failed",
                     reason="map %s: %d of %d paths fail (%s); working: %s" % (
                         m.get("name"), len(failed), len(paths), ", ".join(str(x) for x in failed),
                         ", ".join(str(x) for x in ok + unknown)),
                     evidence=common_ev)
            findings.append(f)
        parts, uev = usage_of(m)
        if parts:
            findings.append(dict(base, kind="in_use",
                                 reason="map %s is in use: %s" % (m.get("name"), "; ".join(parts)),
                                 evidence=uev))
    disks = snapshot.get("disks") or {}
    map_dms = set(m.get("dm") for m in maps.values())
    for name in sorted(disks):
        d = disks[name]
        if d.get("map") is not None:
            continue
        parts, uev = usage_of(d, own_holders=[h for h in d.get("holders") or [] if h in map_dms])
        base = {"object": "disk", "name": name, "wwid": d.get("wwid")}
        if parts:
            if d.get("transport") in SAN_TRANSPORTS:
                findings.append(dict(base, kind="in_use",
                                     reason="SAN disk %s (%s, no multipath map) is in use: %s"
                                            % (name, d.get("hctl"), "; ".join(parts)),
                                     evidence=uev))
            continue
        if d.get("transport") not in SAN_TRANSPORTS:
            continue
        ev = _disk_evidence(d)
        findings.append(dict(base, kind="orphan_path",
                             reason="SAN disk %s (%s, %s) belongs to no multipath map and nothing uses it"
                                    % (name, d.get("hctl"), d.get("transport")),
                             evidence=ev))
    return findings


def _disk_evidence(d):
    ev = {k: d.get(k) for k in ("hctl", "dev", "state", "transport", "session", "serial", "wwid", "vendor",
                                "model", "holders", "mountpoints", "swap", "openers")}
    if d.get("probe"):
        ev["probe"] = dict(d["probe"])
    return ev
