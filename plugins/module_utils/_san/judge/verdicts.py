# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judge: pure functions from a host snapshot (+ array truth) to verdicts. No I/O.

Only the cross-check with the array (what the array maps to this host's initiators, at which LUN id) says
whether a device is stale, still mapped, or a LUN id now used by another LU; the host findings it builds on
are judge/findings.py's, the truth's coverage judge/coverage.py's. In-use serial_mismatch devices are
corruption risks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    SAN_TRANSPORTS, TRANSIENT_OPENERS, Wwid, normalize_initiator, same_wwid, wwid_has_prefix, wwid_key, wwid_prefix)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import ALL_INITIATORS, shown
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.findings import (
    FAILED_DEV_STATES, TRANSIENT_DEV_STATES, USE_TRANSIENT_OPENER, path_state, probe_fails, usage_of, uses_of)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.coverage import (
    address_index, coverage_index, disk_path_initiators, initiator_covered, protocol_ok, record_applies, record_summary,
    same_serial, serial_of, serving_svm)


# SCSI's words in the plan (judge.families.Family.actions): (kind, action, options), in the order a host's plan
# runs them. What the act of each action reads besides the identity it re-checks (act/*.py):
#   release_openers, exiting_opens, settle  a dead unmapped map whose processes' I/O is failed (plan.maps)
#   dead, other_lu                          the unit's paths must still be failed, or still reach that other LU
#                                           (act.checks.verify_still_dead)
#   force_remove                            flush_map may fall back to dmsetup remove --force
#   after_flush                             the WWID whose map this run flushed: a map multipathd rebuilt from the
#                                           path with it may be removed again (act.disks)
#   target_wwpn, absent                     an exact scan: the FC remote port expected at the target; scan only
#                                           while nothing is at the H:C:T:L
# A unit keeps its own order: its map is gone before its paths are deleted, its paths are gone before its WWID is
# forgotten and before a reused LUN is scanned.
_STILL_DEAD = ("dead", "other_lu")
PLAN_ACTIONS = (
    ("map", "disable_queueing", ("release_openers", "exiting_opens") + _STILL_DEAD),
    ("map", "verify_unused", ("release_openers", "exiting_opens", "settle")),
    ("map", "flush_map", ("force_remove",) + _STILL_DEAD),
    ("map", "wait_map_gone", ()),
    ("disk", "flush_buffers", _STILL_DEAD),
    ("disk", "delete_disk", ("after_flush",) + _STILL_DEAD),
    ("disk", "wait_disk_gone", ()),
    ("map", "remove_wwid", ()),
    ("scan", "scan_exact_lun", ("target_wwpn", "absent")),
    ("scan", "rescan_disk", ()),
    ("scan", "wait_disk_present", ()),
    ("scan", "verify_identity", ()),
)


def object_names(snapshot):
    """The names a SCSI unit's label may give (judge.families.Family.object_names): the sd disks, and each map by
    its WWID and by its name."""
    maps = snapshot.get("maps") or {}
    return set(snapshot.get("disks") or {}) | set(maps) | set(m.get("name") for m in maps.values())


def device_lines(san, steps):
    """The SCSI devices of the host as --diff lists them (judge.families.Family.device_lines), less what `steps`
    remove: each map by its WWID with its paths, then each sd with its H:C:T:L and WWID. Names as the host gives
    them may hold a newline or a control character: shown escaped (validate.shown)."""
    # san["maps"] is keyed by WWID; a flush step's target is a name, which may spell another LU's WWID
    flushed = [st for st in steps if st.action == "flush_map"]
    gone_maps = set(st.identity.wwid for st in flushed) - set([None])
    names = set(st.target for st in flushed if not st.identity.wwid)
    gone_maps |= set(w for w, m in san["maps"].items() if m.get("name") in names)
    gone_disks = set(st.target for st in steps if st.action == "delete_disk")
    maps = ["map %s (%s)" % (shown(w), " ".join(sorted(shown(p.get("name")) for p in m.get("paths") or [])))
            for w, m in sorted(san["maps"].items()) if w not in gone_maps]
    disks = ["disk %s %s %s" % (shown(n), shown(d.get("hctl")), shown(d.get("wwid")))
             for n, d in sorted(san["disks"].items()) if n not in gone_disks]
    return maps + disks


def truth_time(truth):
    """When the SCSI part of the truth (its top level) was read: its `collected_at`, as given."""
    return truth.get("collected_at")


class _Truth(object):
    """What cross_check judges against: the host's initiators, the array records that apply to them (by WWID too),
    the coverage indexes of the array's targets and the initiators the records were read for."""

    def __init__(self, snapshot, array_luns, array_wwid_prefixes, array_targets, array_initiators):
        self.snapshot = snapshot
        host = snapshot.get("host") or {}
        initiators = set()
        if host.get("iscsi_iqn"):
            initiators.add(normalize_initiator(host["iscsi_iqn"]))
        for w in list(host.get("fc_wwpns") or []) + list(host.get("initiators") or []):
            initiators.add(normalize_initiator(w))
        for d in (snapshot.get("disks") or {}).values():
            if d.get("initiator"):
                initiators.add(normalize_initiator(d["initiator"]))
        self.initiators = initiators
        self.index = coverage_index(array_targets)
        self.addresses = address_index(array_targets)
        self.truth_initiators = None if array_initiators is None else set(
            i if i == ALL_INITIATORS else normalize_initiator(i) for i in array_initiators)
        self.prefixes = tuple(wwid_prefix(p) for p in (array_wwid_prefixes or ()))
        # a record's WWID as a Wwid (validate.array_lun built it; a caller's own record is built here): a raw
        # spelling would miss the host's map, which would then look unmapped
        self.records = [dict(r, wwid=Wwid(r["wwid"])) if r.get("wwid") else r
                        for r in (array_luns or []) if record_applies(r, initiators)]
        # by wwid_key: the array may spell a t10 vendor text in another case than the kernel (the same LU)
        self.by_wwid = {}
        for r in self.records:
            if r.get("wwid"):
                self.by_wwid.setdefault(wwid_key(r["wwid"]), []).append(r)
        self.iqn = host.get("iscsi_iqn")

    def path_initiators(self, disk):
        return disk_path_initiators(disk, self.snapshot, self.iqn)

    def at_lun(self, disk, svm_key):
        """Array records mapped at this disk's LUN id by the SVM that serves this path (cluster + SVM), for the
        initiator and protocol the path uses (igroup)."""
        lun = disk.get("lun")
        if lun is None:
            return None
        path_inits = self.path_initiators(disk)
        out = []
        for r in self.records:
            if r.get("lun_id") != lun or not protocol_ok(r, disk.get("transport")):
                continue
            if (r.get("cluster"), r.get("svm")) != svm_key:
                continue
            if path_inits and r.get("igroup_initiators") and not any(
                    normalize_initiator(i) in path_inits for i in r["igroup_initiators"]):
                continue
            out.append(r)
        return out


def _path_coverage(truth, disk, pev):
    """(svm_key, path initiators, why not covered): the SVM whose data covers this path, or None and why."""
    svm_key, why_not = serving_svm(disk, truth.index, truth.addresses)
    path_inits = truth.path_initiators(disk)
    not_read = initiator_covered(path_inits, truth.truth_initiators) if path_inits else None
    if svm_key is None:
        return None, path_inits, "%s: %s" % (disk.get("name"), why_not)
    if not path_inits:
        return svm_key, path_inits, ("%s: the initiator this path logs in with is unknown (the kernel names none)"
                                     % disk.get("name"))
    if not_read:
        return None, path_inits, "%s: %s" % (disk.get("name"), not_read)
    pev["served_by"] = {"cluster": svm_key[0], "svm": svm_key[1]}
    return svm_key, path_inits, None


def _lun_reuse(disk, probe, cands, w, mine, pev):
    """Why this path's LUN id now reaches another LU (live evidence only), or None."""
    live = (probe or {}).get("serial_live")
    why = None
    # LUN id reuse needs live evidence: the serial the LU answers with now is not the serial of the LUN
    # this WWID is, and differs from the host's record of the device (sysfs keeps the old VPD until a
    # rescan, lab finding 6; after one, sysfs itself holds another WWID than the map). Cached sysfs
    # identity alone never decides.
    host_differs = not same_serial(live, disk.get("serial")) or not same_wwid(disk.get("wwid") or w, w)
    if live and host_differs and not any(serial_of(live, r) for r in mine):
        pev["serial_live"], pev["serial_host"] = live, disk.get("serial")
        live_hits = [r for r in cands if serial_of(live, r)]
        others = [r for r in live_hits if not same_wwid(r.get("wwid"), w)]
        if others:
            why = ("live VPD 0x80 serial %r (the host recorded %r) is that of %s, which the array now "
                   "maps at LUN id %s, but the host holds this device as WWID %s" % (
                       live, disk.get("serial"), others[0].get("path") or others[0].get("wwid"),
                       disk.get("lun"), shown(w)))
        elif not live_hits:
            why = ("live VPD 0x80 serial %r (the host recorded %r) is not the serial of %s, which the "
                   "array maps at LUN id %s" % (
                       live, disk.get("serial"),
                       ", ".join(sorted(r.get("path") or r.get("wwid") or "?" for r in cands)),
                       disk.get("lun")))
    elif not any(same_wwid(r.get("wwid"), w) for r in cands):
        pev["lun_id_reuse_unproven"] = ("the array maps another LUN at LUN id %s; no live serial "
                                        "differs from the host's record, so no serial_mismatch"
                                        % disk.get("lun"))
    return why


def _judge_path(truth, disk, state, probe, w, mine, seen):
    """One path's evidence; counts it and records what it says in `seen` (working, failed, uncovered, served,
    mismatches)."""
    pev = {"name": disk.get("name"), "hctl": disk.get("hctl"), "lun": disk.get("lun"), "state": state,
           "wwid": disk.get("wwid"), "serial": disk.get("serial")}
    if disk.get("wwid_refused"):
        pev["wwid_refused"] = disk["wwid_refused"]
    if probe:
        pev["probe"] = dict(probe)
    if state == "ok":
        seen["working"] += 1
    elif state == "failed":
        seen["failed"] += 1
    pev["target"] = disk.get("target_iqn") or disk.get("target_wwpn")
    if disk.get("target_portal"):
        pev["portal"] = disk["target_portal"]
    svm_key, path_inits, uncovered = _path_coverage(truth, disk, pev)
    if uncovered:
        seen["uncovered"].append(uncovered)
    else:
        seen["served"].add(svm_key)
    cands = truth.at_lun(disk, svm_key) if wwid_has_prefix(w, truth.prefixes) and svm_key and path_inits else None
    if cands:
        pev["array_at_lun"] = [record_summary(r) for r in cands]
        why = _lun_reuse(disk, probe, cands, w, mine, pev)
        if why:
            pev["mismatch"] = why
            seen["mismatches"].append((disk.get("name"), why))
    elif cands is not None:
        pev["array_at_lun"] = []
    if not pev.get("mismatch") and (state != "failed" or (probe or {}).get("result") == "ready"):
        # not proven to reach another LU, and not proven dead: it may still reach this map's own LU
        seen["own"].append(disk.get("name") or disk.get("hctl"))
    return pev


def _unknown_text(count):
    return " and %d may (state unknown: not failed by the array's word)" % count if count else ""


def _verdict_kind(truth, base, ev, seen, wwid, w, mine, path_count):
    """The verdict from what the paths showed (see _judge_device)."""
    working, failed = seen["working"], seen["failed"]
    if not w:
        refused = sorted(set(p["wwid_refused"] for p in ev["paths"] if p.get("wwid_refused")))
        return dict(base, kind="unknown_array", evidence=ev,
                    reason="no usable WWID%s: not judged against the array" % (
                        " (the kernel's text %s is not one)" % ", ".join(repr(t) for t in refused) if refused else ""))
    # a WWID the truth maps to this host is the array's, whatever the prefixes say: judged against it (a prefix
    # list that leaves it out must not make it unknown_array, which host_evidence may remove)
    if not wwid_has_prefix(w, truth.prefixes) and not mine:
        return dict(base, kind="unknown_array", evidence=ev,
                    reason="WWID %s starts with none of the configured array prefixes (%s)"
                           % (wwid, ", ".join(truth.prefixes)))
    if seen["uncovered"] or not path_count:
        ev["not_covered"] = seen["uncovered"] or ["no path: nothing says which target serves it"]
        return dict(base, kind="not_covered", evidence=ev,
                    reason="not judged, the array data does not cover it (%s)%s" % (
                        "; ".join(ev["not_covered"]),
                        "; the array maps WWID %s to this host" % wwid if mine else ""))
    if seen["mismatches"] and not mine and seen["own"]:
        # only paths proven to reach another LU are repaired; one that still works (or may) reaches this LU, which
        # the truth does not list: the truth may be incomplete (blocks the host)
        return dict(base, kind="unexpected_visibility", evidence=ev,
                    reason="the array maps WWID %s to none of this host's igroups, yet path(s) %s still work or may "
                           "(not proven to reach another LU); LUN id reuse on %s" % (
                               wwid, ", ".join(str(n) for n in seen["own"]),
                               "; ".join("%s: %s" % m for m in seen["mismatches"])))
    if seen["mismatches"]:
        return dict(base, kind="serial_mismatch", evidence=ev,
                    reason="LUN id reuse: %s" % "; ".join("%s: %s" % m for m in seen["mismatches"]))
    if not mine:
        # a path that works, or whose state is unknown (a transient transport state on a path the kernel calls
        # active), may still reach this LU: the truth may be incomplete, never "stale"
        maybe = path_count - working - failed
        if (working or maybe) and not failed:
            return dict(base, kind="unexpected_visibility", evidence=ev,
                        reason="the array maps WWID %s to none of this host's igroups, yet %d path(s) work%s"
                               % (wwid, working, _unknown_text(maybe)))
        if working or maybe:
            return dict(base, kind="unexpected_visibility", evidence=ev,
                        reason="the array maps WWID %s to none of this host's igroups; %d path(s) still "
                               "work%s, %d fail" % (wwid, working, _unknown_text(maybe), failed))
        return dict(base, kind="stale_unmapped", evidence=ev,
                    reason="the array no longer maps WWID %s to this host's initiators (%s) and "
                           "no path works" % (wwid, ", ".join(sorted(truth.initiators)) or "none known"))
    if failed or not working:
        return dict(base, kind="paths_down_but_mapped", evidence=ev,
                    reason="the array still maps %s (%s) to this host, but %d of %d path(s) fail: an "
                           "outage, not a stale device" % (
                               wwid, ", ".join(sorted(set(r.get("path") or "?" for r in mine))), failed,
                               path_count))
    return dict(base, kind="healthy", evidence=ev,
                reason="mapped by the array (%s) and all %d path(s) work"
                       % (", ".join(sorted(set(r.get("path") or "?" for r in mine))), working))


def _judge_device(truth, obj_kind, name, wwid, path_items, extra_ev):
    """The verdict of one map or map-less disk. path_items: [(disk, path_state, probe)]."""
    w = wwid or ""
    ev = dict(extra_ev)
    mine = truth.by_wwid.get(wwid_key(w), []) if w else []
    seen = {"working": 0, "failed": 0, "uncovered": [], "served": set(), "mismatches": [], "own": []}
    ev["paths"] = [_judge_path(truth, disk, state, probe, w, mine, seen) for disk, state, probe in path_items]
    ev["array_mappings"] = [record_summary(r) for r in mine]
    ev["coverage"] = [{"cluster": k[0], "svm": k[1]} for k in sorted(seen["served"], key=str)]
    ev["working_paths"], ev["failed_paths"] = seen["working"], seen["failed"]
    lun = None
    for disk, _s, _p in path_items:
        if disk.get("lun") is not None:
            lun = disk["lun"]
            break
    base = {"object": obj_kind, "name": name, "wwid": wwid, "lun": lun}
    # the reasons name the WWID as the host gave it: shown escaped when it is no name (a newline, a control character)
    return _verdict_kind(truth, base, ev, seen, shown(wwid) if wwid else wwid, w, mine, len(path_items))


def _map_path_items(m, disks):
    """[(disk, path_state, probe)] of a map's paths (a path without its sd gets its LUN from its H:C:T:L)."""
    probes = m.get("probe") or {}
    items = []
    for p in m.get("paths") or []:
        probe = probes.get(p.get("name"))
        state, _r = path_state(p, probe)
        disk = dict(disks.get(p.get("name")) or {"name": p.get("name"), "hctl": p.get("hctl")})
        if disk.get("lun") is None and p.get("hctl"):
            try:
                disk["lun"] = int(p["hctl"].split(":")[3])
            except (ValueError, IndexError):
                pass
        items.append((disk, state, probe))
    return items


def cross_check(snapshot, array_luns, array_wwid_prefixes=("3600a0980",), array_targets=None,
                array_initiators=None):
    """Verdicts per map and per SAN sd without a map, from the snapshot and the array's LUN mappings.

    array_luns: records of docs/design.md ("array truth"), one per (LUN, igroup) mapping.
    array_targets: the target identities the records cover ([{cluster, svm, iscsi_target_names, iscsi_addresses,
    fc_wwpns}]).
    array_initiators: the initiators the records were read for ("*": every mapping was read).
    Only a device whose every path is served by one of them (session target IQN at one of that SVM's iSCSI
    addresses, FC remote port WWPN; an identity listed under two SVMs serves nothing), over an initiator the
    kernel names for that path and the records were read for, is judged against the records; any other array
    device is `not_covered` ("absent from the data" proves nothing for a cluster, SVM or initiator that was not
    read). Without array_targets or array_initiators nothing is covered.
    """
    truth = _Truth(snapshot, array_luns, array_wwid_prefixes, array_targets, array_initiators)
    disks = snapshot.get("disks") or {}
    verdicts = []
    maps = snapshot.get("maps") or {}
    for wwid in sorted(maps):
        m = maps[wwid]
        v = _judge_device(truth, "map", m.get("name"), wwid, _map_path_items(m, disks),
                          {"dm": m.get("dm"), "queueing": m.get("queueing")})
        verdicts.append(v)
        if v["kind"] == "serial_mismatch":
            verdicts.extend(_disk_mismatches(v, m, disks))
    map_dms = set(m.get("dm") for m in maps.values())
    for name in sorted(disks):
        d = disks[name]
        if d.get("map") is not None or d.get("transport") not in SAN_TRANSPORTS:
            continue
        probe = d.get("probe")
        state = _disk_state(d, probe)
        parts, uev = usage_of(d, own_holders=[h for h in d.get("holders") or [] if h in map_dms])
        extra = {"in_use": bool(parts)}
        if parts:
            extra["usage"] = uev
        v = _judge_device(truth, "disk", name, d.get("wwid"), [(d, state, probe)], extra)
        if v["kind"] == "serial_mismatch":
            cands = (v["evidence"]["paths"][0].get("array_at_lun") or []) if v["evidence"]["paths"] else []
            if len(cands) == 1:
                v["evidence"]["array_wwid"] = cands[0].get("wwid")
                v["evidence"]["array_serial"] = cands[0].get("serial")
        verdicts.append(v)
    return verdicts


def not_judged(verdicts, reason):
    """The verdicts of a truth that covers nothing (cross_check with no usable records, targets or initiators), each
    device of an audited array's prefix `not_covered` for `reason`; another array's devices stay `unknown_array`."""
    return [dict(v, reason=reason) if v.get("kind") == "not_covered" else v for v in verdicts]


def paths_to_probe(snapshot, verdicts):
    """[(map wwid, sd)] of unprobed paths whose live answer can change a covered map's verdict: the array maps
    another LU at that LUN id (serial_mismatch needs the live VPD 0x80), or the array does not map the map and its
    paths look fine (unexpected_visibility: INQUIRY may carry peripheral qualifier 1/3, the LU is gone)."""
    out = []
    maps = snapshot.get("maps") or {}
    for v in verdicts or []:
        m = maps.get(v.get("wwid"))
        if v.get("object") != "map" or m is None or v.get("kind") in ("not_covered", "unknown_array"):
            continue
        w = v.get("wwid") or ""
        for pev in (v.get("evidence") or {}).get("paths") or []:
            name = pev.get("name")
            if not name or name in (m.get("probe") or {}):
                continue
            other_lu = any(not same_wwid(r.get("wwid"), w) for r in pev.get("array_at_lun") or [])
            if v.get("kind") == "unexpected_visibility" or other_lu:
                out.append((v["wwid"], name))
    return out


def _disk_mismatches(map_verdict, m, disks):
    """One serial_mismatch verdict per sd of a map whose LUN id the array now uses for another LU.

    The planner acts per sd (delete, exact rescan, verify the new identity), so the evidence names the
    identity the array now has at that LUN id (array_wwid / array_serial) when it is unique.
    """
    out = []
    for pev in map_verdict["evidence"].get("paths") or []:
        if not pev.get("mismatch") or not pev.get("name"):
            continue
        cands = pev.get("array_at_lun") or []
        ev = {"map": m.get("name"), "map_wwid": m.get("wwid"), "hctl": pev.get("hctl"), "lun": pev.get("lun"),
              "sysfs_wwid": pev.get("wwid"), "sysfs_serial": pev.get("serial"), "path_state": pev.get("state"),
              "array_at_lun": cands}
        if pev.get("probe"):
            ev["probe"] = pev["probe"]
        if len(cands) == 1:
            ev["array_wwid"] = cands[0].get("wwid")
            ev["array_serial"] = cands[0].get("serial")
        d = disks.get(pev["name"]) or {}
        out.append({"kind": "serial_mismatch", "object": "disk", "name": pev["name"],
                    "wwid": d.get("wwid") or m.get("wwid"), "lun": pev.get("lun"),
                    "reason": "path %s of map %s: %s" % (shown(pev["name"]), shown(m.get("name")), pev["mismatch"]),
                    "evidence": ev})
    return out


def disk_state(disk, probe):
    """'ok', 'failed' or 'unknown' for a plain sd (no map)."""
    return _disk_state(disk, probe)


def _disk_state(disk, probe):
    # a running sd is what the kernel reports active, and a blocked one waits for its session or remote port to
    # recover (its I/O may complete in a moment): only "no LU there" fails either (PROBE_FAILS_ACTIVE)
    if probe_fails(probe, disk.get("state") == "running" or disk.get("state") in TRANSIENT_DEV_STATES):
        return "failed"
    if disk.get("state") in TRANSIENT_DEV_STATES:
        return "unknown"
    if disk.get("state") in FAILED_DEV_STATES:
        return "failed"
    if probe and probe.get("result") == "ready":
        return "ok"
    if disk.get("state") == "running":
        return "ok"
    return "unknown"


# corruption risk


def corruption_risks(snapshot):
    """serial_mismatch devices that are in use: a writer whose I/O may now land on another LU (someone else's
    data). Each: {object, name, wwid, lun, users: [...], openers, msg} with what, who and what to do; these turn
    the run red (audit, compliance, remediate), unlike every other refusal."""
    maps = snapshot.get("maps") or {}
    by_name = dict((m.get("name"), m) for m in maps.values())
    disks = snapshot.get("disks") or {}
    out = []
    for v in snapshot.get("verdicts") or []:
        # a map with a path that reaches another LU is a risk whatever its verdict (unexpected_visibility when
        # another path still reaches its own LU)
        if v.get("kind") != "serial_mismatch" and not any(
                p.get("mismatch") for p in (v.get("evidence") or {}).get("paths") or []):
            continue
        if v.get("object") == "map":
            objs = [("map %s" % shown(v.get("name")), maps.get(v.get("wwid")) or by_name.get(v.get("name")), None)]
        else:
            d = disks.get(v.get("name"))
            # a path's own map is not its user here: the map is looked at on its own
            objs = [("disk %s" % shown(v.get("name")), d, set(m.get("dm") for m in maps.values()))]
            if d and d.get("map"):
                objs.append(("its map %s" % shown(d["map"]), by_name.get(d["map"]), None))
        users, openers = [], []
        for label, obj, own_holders in objs:
            if not obj:
                continue
            uses, ev = uses_of(obj, own_holders=own_holders)
            workload = [o for o in ev["openers"] if (o.get("comm") or "") not in TRANSIENT_OPENERS]
            busy = [u["text"] for u in uses if u["kind"] != USE_TRANSIENT_OPENER]
            if busy:
                users.append("%s: %s" % (label, "; ".join(busy)))
                openers.extend(workload)
        if not users:
            continue
        who = ", ".join("pid %s (%s)" % (o.get("pid"), o.get("comm")) for o in openers)
        msg = ("CORRUPTION RISK: %s %s (WWID %s, LUN id %s) now reaches another LU: %s. It is IN USE - %s. "
               "Writes to it may land on another host's data. Stop %s now, unmount / deactivate what holds it, "
               "then let the serial_mismatch repair remove and rescan it (remediate)."
               % (v.get("object"), shown(v.get("name")), shown(v.get("wwid")), v.get("lun"), v.get("reason"),
                  " | ".join(users),
                  "the writers (%s)" % who if who else "every user named here"))
        out.append({"object": v.get("object"), "name": v.get("name"), "wwid": v.get("wwid"), "lun": v.get("lun"),
                    "users": users, "openers": openers, "msg": msg})
    return out


def judge_family(san, truth, reader, settings):
    """The SCSI family's judgement of a snapshot against the truth (registered in judge/families.py): `verdicts`
    (cross_check), the live probes a verdict hangs on and the verdicts again, `corruption_risks`. ``settings``:
    `prefixes` (the configured WWID prefixes; the truth's own are added: a device of an array that was read, or
    asked and failed, is judged against it, never unknown_array) and `probe` (False: no probe). A truth whose SCSI
    part is not the contract judges no map or disk, and each says why."""
    luns, targets = truth.get("luns") or [], truth.get("targets") or []
    initiators = truth.get("initiators")
    prefixes = tuple(dict.fromkeys(tuple(settings["prefixes"] or ()) + tuple(truth.get("wwid_prefixes") or ())))
    san["verdicts"] = cross_check(san, luns, prefixes, array_targets=targets, array_initiators=initiators)
    if truth.get("unusable"):
        # the SCSI part could not be used: its devices are not judged, and each says why (nothing covers them)
        san["verdicts"] = not_judged(san["verdicts"], "not judged: the SCSI part of the array truth is not the "
                                                      "contract (%s)" % truth["unusable"])
    elif settings["probe"]:
        # Working paths are probed only when the verdict hangs on it: a LUN id the array now gives another LU
        # (serial_mismatch needs the live VPD 0x80), or a map the array does not map whose paths look fine
        # (INQUIRY peripheral qualifier 1/3 says the LU is gone).
        todo = paths_to_probe(san, san["verdicts"])
        for wwid, sd in todo:
            san["maps"][wwid]["probe"][sd] = reader.probe_path(sd, errors=san["errors"])
        if todo:
            san["verdicts"] = cross_check(san, luns, prefixes, array_targets=targets, array_initiators=initiators)
    san["corruption_risks"] = corruption_risks(san)
