# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the removal of stale SAN devices from the judged host: pure functions, no I/O.

Observed state (what `observe.read.Host` returns) plus the verdicts and the caller's policy go in; an ordered
list of steps (plan/steps.py) comes out. Check mode reports that list; a real run hands the same list to
`act.execute.execute`, which runs exactly those steps in that order. The array gates (`removal_blockers`), the
choice of units and the healthy baseline (`healthy_maps`) live here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import verdicts as judge_verdicts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import refused_units, shown, verdict_refusal
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import (
    LU_GONE, OPTIONS, step, with_phase)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import disk_identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.maps import (
    exiting_allowance, exiting_closers, plan_map_flush, task_label)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.disks import exact_scan_step, plan_disk_delete
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import families as plan_families
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.truth_age import (
    TRUTH_MAX_AGE, truth_age_verdict)


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
    # two looks need two finite times (a NaN would pass `now - earlier_at < grace` as not too soon)
    if earlier_map is None or not validate.is_epoch(earlier_at) or not validate.is_epoch(now) or \
            not now - earlier_at >= grace:
        return False
    old = earlier_map.get("probe") or {}
    return all((old.get(p) or {}).get("result") in LU_GONE for p in paths)


# Removal verdicts: what plan_cleanup may select (unknown_array only under host_evidence).
REMOVAL_KINDS = ("stale_unmapped", "serial_mismatch")


def removal_blockers(snapshot, verdicts, policy=None):
    """[{"why": name, "msg": text}]: reasons to plan no SCSI removal on this host, because the array truth the
    verdicts rest on may be incomplete or old, or is missing. Names: array_truth_unknown, no_array_truth,
    array_lookup_problem, empty_truth, unexpected_visibility, truth_age_unknown, truth_too_old."""
    policy = policy or {}
    verdicts = verdicts or []
    array = snapshot.get("array")
    blockers = []
    if array is None:
        if any(v.get("kind") in REMOVAL_KINDS for v in verdicts):
            blockers.append({"why": "array_truth_unknown",
                             "msg": "the snapshot does not say what array truth its verdicts rest on (san.array)"})
        elif policy.get("policy", "array") == "array":
            # nothing can be stale_unmapped without the array's word: say so rather than plan nothing silently
            blockers.append({"why": "no_array_truth",
                             "msg": "no array truth was given (no cluster in sanfleet_ontap, no ONTAP_* environment, "
                                    "no array_truth): under policy array nothing is removed without the array's word"})
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
    odd = [shown(v.get("name")) for v in covered if v.get("kind") == "unexpected_visibility"]
    if odd:
        blockers.append({"why": "unexpected_visibility", "msg": "covered device(s) %s work but the array maps them "
                                                                "to none of this host's igroups: the array data may "
                                                                "be incomplete" % ", ".join(odd)})
    collected, now = array.get("collected_at"), snapshot.get("collected_at")
    max_age = policy.get("truth_max_age", TRUTH_MAX_AGE)
    aged = truth_age_verdict(collected, now, max_age)
    if aged:
        blockers.append({"why": aged[0], "msg": aged[1] if aged[0] == "truth_age_unknown" else
                         "the array truth was read %.0fs before the host snapshot (bound %gs)" % (aged[1], max_age)})
    return blockers


def unproven_failures(obj, kind="map"):
    """Paths (of a map) or the disk itself whose failure is not positively observed: working, or unknown
    (dmsetup status failed, checker pending, no state at all). Removal needs every failure observed; "no path
    reported ok" is not the same. A map without any path has nothing to observe: only the array's word counts."""
    if kind == "disk":
        return [] if judge_verdicts.disk_state(obj, obj.get("probe")) == "failed" else [obj.get("name")]
    probes = obj.get("probe") or {}
    return [p.get("name") or p.get("dev") or "?" for p in obj.get("paths") or []
            if judge_findings.path_state(p, probes.get(p.get("name")))[0] != "failed"]


def not_probed(obj, kind="map"):
    """Why no removal may rest on the paths of `obj` (a map, or a disk): a path whose live probe was not sent (its
    program, sg3_utils, not installed or not startable); None when every probe ran. A blip shows a failed state too."""
    probes = (obj or {}).get("probe") if kind == "map" else {(obj or {}).get("name"): (obj or {}).get("probe")}
    lost = sorted((n, p) for n, p in (probes or {}).items()
                  if isinstance(p, dict) and (p.get("not_sent") or p.get("missing")))
    return None if not lost else "path(s) %s not probed: %s; nothing is removed whose paths were not probed live" % (
        ", ".join(n for n, _p in lost), "%s is not installed on this host (sg3_utils, sg3-utils on Debian and Ubuntu)"
        % lost[0][1]["missing"] if lost[0][1].get("missing") else lost[0][1]["not_sent"])


def no_flush(snapshot):
    """Why no multipath map of this host can be flushed: multipath-tools is not installed (multipath -f, multipathd) or
    not known to be (the lookup of its programs did not finish); None when it is, or was never looked up (fakes)."""
    host = snapshot.get("host") or {}
    if host.get("tools_unread"):
        return "whether multipath-tools is installed on this host is unknown (%s): no map is flushed" % host["tools_unread"]
    for tool in host.get("tools_missing") or []:
        if tool.get("package") == "multipath-tools":
            return ("multipath-tools is not installed on this host (%s missing): no map is flushed"
                    % ", ".join(tool.get("programs") or []))
    return None


def answering(obj, kind="map", skip=()):
    """{path (of a map) or the disk itself: the signs that an LU answers there (judge.findings.lu_answers)}, the
    names in `skip` left out: a unit chosen because every path failed is no longer dead when any of them answers,
    whatever the kernel's path state (the plan's choice and the act's re-check, act.checks.verify_still_dead, weigh
    the same signs)."""
    if kind == "disk":
        signs = judge_findings.lu_answers(None, obj.get("probe"))
        return {obj.get("name"): signs} if signs and obj.get("name") not in skip else {}
    probes = obj.get("probe") or {}
    out = {}
    for p in obj.get("paths") or []:
        signs = judge_findings.lu_answers(p, probes.get(p.get("name")))
        if signs and p.get("name") not in skip:
            out[p.get("name") or p.get("dev") or "?"] = signs
    return out


def _answers_text(heard):
    return "; ".join("%s: %s" % (n, ", ".join(signs)) for n, signs in sorted(heard.items()))


def _never_touched(verdict):
    """Why a device is left alone, with the judge's own reason where it names more (e.g. which target no SVM
    covers, for not_covered), so the plan says which cluster or SVM data is missing."""
    text = "%s is never touched by cleanup" % verdict.get("kind")
    return "%s: %s" % (text, verdict["reason"]) if verdict.get("kind") == "not_covered" and verdict.get("reason") else text


def _blocked_plan(blockers, verdicts):
    """The SCSI plan of a host whose SCSI truth may be incomplete or old: no SCSI removal at all, and why, by name."""
    names = ", ".join(sorted(set(b["why"] for b in blockers)))
    why = "no SCSI removal on this host (%s): %s" % (names, "; ".join(b["msg"] for b in blockers))
    return {"steps": [], "blocked": blockers, "flush_maps": [], "delete_disks": [], "mismatches": [],
            "skipped": [{"kind": v.get("kind"), "object": v.get("object"), "name": shown(v.get("name")),
                         "reason": why if v.get("kind") in REMOVAL_KINDS + ("unknown_array",)
                         else _never_touched(v)} for v in verdicts or []]}


def _skip(skipped, v, why):
    skipped.append({"kind": v.get("kind"), "object": v.get("object"), "name": shown(v.get("name")), "reason": why})


def _refuse(skipped, v, why):
    """A unit the plan would remove that this host cannot remove safely (a tool missing): `refused`, by name."""
    skipped.append({"kind": "refused", "object": v.get("object"), "name": shown(v.get("name")), "reason": why})


def _unit_refusal(v, refused, map_for, maps):
    """Why no step may act on the unit of verdict `v` (validate.refused_units: a name a step would carry is text
    the validators refuse), or None."""
    why = verdict_refusal(v)
    if why:
        return "%s %s: %s" % (v.get("object"), shown(v.get("name")), why)
    if v.get("object") == "map":
        m = map_for(v)
        return next((why for k, why in refused["maps"].items() if m is not None and maps[k] is m), None)
    return refused["disks"].get(v.get("name"))


def _name_unjudged_refusals(refused, verdicts, map_for, maps, disks, skipped):
    """The refused units no verdict speaks of (a disk with a name no step may carry has no verdict): named too, as
    `refused`; a path is named with its map."""
    judged_maps = set(id(map_for(v)) for v in verdicts or [] if v.get("object") == "map")
    judged_disks = set(v.get("name") for v in verdicts or [] if v.get("object") == "disk")
    paths = set()
    for key, why in sorted(refused["maps"].items()):
        m = maps[key]
        paths.update(p.get("name") for p in m.get("paths") or [])
        paths.update(n for n, d in disks.items() if d.get("map") is not None and d.get("map") == m.get("name"))
        if id(m) not in judged_maps:
            skipped.append({"kind": "refused", "object": "map", "name": shown(m.get("name") or key),
                            "reason": "%s is text no step may carry: nothing acts on this map or its paths" % why})
    for name, why in sorted(refused["disks"].items()):
        if name not in judged_disks and name not in paths:
            skipped.append({"kind": "refused", "object": "disk", "name": shown(name),
                            "reason": "%s is text no step may carry: nothing acts on this disk" % why})


def _refuse_odd(skipped, v, why, acts):
    """A verdict whose unit no step may act on: `refused` when the plan would have acted on it, else left alone as
    its kind says; named either way, its names shown escaped (validate.shown)."""
    note = ("%s is text no step may carry: nothing acts on this unit (a map and its paths; it still counts in every "
            "in-use and coverage rule)" % why)
    if acts:
        skipped.append({"kind": "refused", "object": v.get("object"), "name": shown(v.get("name")), "reason": note})
    else:
        _skip(skipped, v, "%s; %s" % (_never_touched(v), note))


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
    unprobed = not_probed(map_for(v) if obj == "map" else (snapshot.get("disks") or {}).get(v.get("name")), obj)
    if unprobed or (obj == "map" and no_flush(snapshot)):
        return _refuse(skipped, v, unprobed or no_flush(snapshot))
    if obj == "map":
        m = map_for(v)
        if m is None:
            return _skip(skipped, v, "map no longer present")
        unproven = unproven_failures(m)
        if unproven:
            return _skip(skipped, v, "path(s) %s of map %s: failure not positively observed (working or state "
                                     "unknown); removal needs every path's failure seen"
                         % (", ".join(unproven), m.get("name")))
        heard = answering(m)
        if heard:
            return _skip(skipped, v, "map %s: an LU answers on path(s) %s (%s); its LUN may still be mapped to this "
                                     "host" % (m.get("name"), ", ".join(sorted(heard)), _answers_text(heard)))
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
    heard = answering(d, "disk")
    if heard:
        return _skip(skipped, v, "disk %s: an LU answers at its address (%s); its LUN may still be mapped to this "
                                 "host" % (d.get("name"), _answers_text(heard)))
    chosen.disks.append(d)
    return None


def other_lu_serials(m, verdicts, disks):
    """{sd: the live VPD 0x80 serial it answered with} of the paths of map `m` that a serial_mismatch verdict proves
    to reach another LU (the act probes them again and needs the same answer: act.checks.verify_still_dead)."""
    names = set(p.get("name") for p in m.get("paths") or [])
    out = {}
    for v in verdicts or []:
        if v.get("kind") != "serial_mismatch" or v.get("object") != "disk" or v.get("name") not in names:
            continue
        out[v["name"]] = _live_serial(v, disks.get(v["name"]) or {}, (m.get("probe") or {}).get(v["name"]))
    return out


def _live_serial(v, d, probe=None):
    """The live serial a serial_mismatch verdict rests on (its evidence, else the probe of the snapshot)."""
    ev = v.get("evidence") or {}
    for p in (ev.get("probe"), ((ev.get("paths") or [{}])[0] or {}).get("probe"), probe, d.get("probe")):
        if (p or {}).get("result") == "ready" and (p or {}).get("serial_live"):
            return p["serial_live"]
    return None


def _mismatch_unproven(m, other_lu):
    """Why a serial_mismatch map may not be flushed (None when it may): a path not proven to reach another LU that
    is not positively failed, or that answers (it may still reach this map's own LU, which the truth does not list:
    the judge calls that unexpected_visibility), or a mismatching path without the live serial that proves it."""
    probes = m.get("probe") or {}
    heard = answering(m, skip=other_lu)
    alive = [p.get("name") or p.get("dev") or "?" for p in m.get("paths") or [] if p.get("name") not in other_lu and (
        judge_findings.path_state(p, probes.get(p.get("name")))[0] != "failed" or p.get("name") in heard)]
    if alive:
        return ("path(s) %s of map %s are not proven to reach another LU nor failed: they may still reach its own LU; "
                "only paths proven to reach another LU are repaired" % (", ".join(alive), m.get("name")))
    unproven = sorted(n for n, serial in other_lu.items() if not serial)
    if unproven:
        return ("path(s) %s of map %s: no live VPD 0x80 serial proves they reach another LU" % (
            ", ".join(unproven), m.get("name")))
    return None


def _choose(snapshot, verdicts, policy, skipped):
    """_Chosen from the verdicts; every verdict not chosen is in `skipped` with the reason, a unit whose names no
    step may carry too (_unit_refusal)."""
    maps = snapshot.get("maps") or {}
    refused = refused_units(snapshot)
    disks = snapshot.get("disks") or {}
    by_name = dict((m.get("name"), m) for m in maps.values())
    mode = policy.get("policy", "array")
    repair = policy.get("repair_mismatch", True)
    chosen = _Chosen()

    def map_for(v):
        return maps.get(v.get("wwid")) or by_name.get(v.get("name"))
    for v in verdicts or []:
        kind, obj = v.get("kind"), v.get("object")
        odd = _unit_refusal(v, refused, map_for, maps)
        if odd:
            _refuse_odd(skipped, v, odd, kind in REMOVAL_KINDS or (kind == "unknown_array" and mode == "host_evidence"))
        elif kind == "stale_unmapped" or (kind == "unknown_array" and mode == "host_evidence"):
            _choose_stale(v, snapshot, policy, chosen, skipped, map_for)
        elif kind == "serial_mismatch" and obj == "map" and repair and not (v.get("evidence") or {}).get(
                "array_mappings"):
            # LUN id reuse: the array no longer maps this map's WWID; its paths now reach another LU. The map goes
            # first (its sds cannot be deleted while it holds them), the sds are then repaired one by one below.
            m = map_for(v)
            if m is None:
                _skip(skipped, v, "map no longer present")
                continue
            if no_flush(snapshot):
                _refuse(skipped, v, no_flush(snapshot))
                continue
            why = _mismatch_unproven(m, other_lu_serials(m, verdicts, disks))
            if why:
                _skip(skipped, v, why)
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
    _name_unjudged_refusals(refused, verdicts, map_for, maps, disks, skipped)
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
                           "for it: %s" % (len(closers), ", ".join(task_label(t) for t in closers[:5]),
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
            out = [st.with_options(after_flush=after_flush) if st.action == "delete_disk" else st for st in out]
        return out


def _repair_steps(d, v):
    """The exact rescan of a disk whose LUN id now reaches another LU, and the check of the LU it finds."""
    ev = v.get("evidence") or {}
    expect = {"wwid": ev.get("array_wwid") or ev.get("expected_wwid"),
              "serial": ev.get("array_serial") or ev.get("expected_serial")}
    hctl = d.get("hctl")
    # on FC, the remote port this path went through: the act refuses when another port answers at its target
    out = [exact_scan_step(hctl, d.get("transport"), d.get("target_wwpn"),
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
    probes = m.get("probe") or {}
    # a serial-mismatch map's unit: the act needs the same proof again, each path still failed or still answering
    # as the other LU it answered as now (expect.other_lu)
    other_lu = None if name in dead else dict(
        (p.get("name"), _live_serial(mismatch_of[p.get("name")][1], mismatch_of[p.get("name")][0],
                                     probes.get(p.get("name"))))
        for p in m.get("paths") or [] if p.get("name") in mismatch_of)
    tail = [st for st in body if st.action == "remove_wwid"]
    group = with_phase(_still_dead_at_act(body, name in dead, other_lu), "flush", unit)
    group = [st for st in group if st.action != "remove_wwid"]
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
        dels = _still_dead_at_act(dels, name in dead and pair is None, other_lu)
        group.extend(with_phase(dels, "flush", unit))
        if pair is not None:
            rescans.extend(with_phase(_repair_steps(*pair), "rescan", unit))
    return group + with_phase(tail, "flush", unit) + rescans


def plan_cleanup(snapshot, verdicts, policy=None):
    """Ordered steps for a whole host. Returns {"steps": [...], "skipped": [...]}.

    Per removed map, one unit: disable queueing, (verify unused), flush, wait gone, delete each path, multipath -w,
    then the exact rescan of its paths that now reach another LU. A stale disk without a map is a unit; so is a
    serial mismatch outside a removed map (delete, exact rescan, verify). The other families' units follow
    (plan.families.with_family_plans). Every step carries `phase` (flush, delete, rescan) and `unit`; the steps come
    in HOST_ORDER.
    A path that multipathd assembles into its map again between the flush and the path's delete is handled at
    act time (delete_disk flushes that map again: expect.after_flush).

    policy: {policy: array|host_evidence, grace (s), earlier: an earlier snapshot (host_evidence),
             allow_non_san, force_remove, flush_buffers, remove_wwid, repair_mismatch (default True),
             delete_lif_gone (plan.nvme)}.
    A serial_mismatch map that the array no longer maps (LUN id reused for another LU) is flushed first when
    repair_mismatch is on; its sds are then deleted and rescanned as serial_mismatch disks.
    Never touches paths_down_but_mapped, healthy or in-use devices; unknown_array only under host_evidence.
    """
    policy = policy or {}
    blockers = removal_blockers(snapshot, verdicts, policy)
    # the other families' plans, each on its own part of the truth: a SCSI truth that blocks proves nothing of them
    parts = [family.plan(snapshot, policy) for family in plan_families.PLANS]
    if blockers:
        return plan_families.with_family_plans(_blocked_plan(blockers, verdicts), parts)
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
        steps.extend(with_phase(_still_dead_at_act(deletions.delete(d) or [], True), "delete",
                                "disk %s" % d.get("name")))
    for d, v in chosen.mismatches:
        if d.get("name") in grouped:
            continue
        serial = _live_serial(v, d)
        if not serial:
            skipped.append({"kind": "refused", "object": "disk", "name": d.get("name"), "reason": "serial_mismatch "
                            "without the live VPD 0x80 serial that proves it reaches another LU"})
            continue
        dels = deletions.delete(d, flush_buffers=False, mismatch=v)
        if dels is None:
            continue
        dels = _still_dead_at_act(dels, False, {d.get("name"): serial})
        steps.extend(with_phase(dels + _repair_steps(d, v), "rescan", "disk %s" % d.get("name")))
    scsi = {"steps": steps, "skipped": skipped, "blocked": [], "flush_maps": flush_maps,
            "delete_disks": deletions.delete_disks, "mismatches": deletions.repaired}
    return plan_families.with_family_plans(scsi, parts)


def _still_dead_at_act(steps, dead, other_lu=None):
    """Mark the touching steps of a unit chosen because every path failed (expect.dead), or because its paths reach
    another LU (expect.other_lu: {sd: the live serial it answered with}; every other path of it failed): before each
    batch's first touch the act probes its paths again and refuses the unit as `came_back` when a failed one works,
    or one that reached another LU no longer answers as that LU (act.checks.verify_still_dead)."""
    marks = {}
    if dead:
        marks["dead"] = True
    if other_lu is not None:
        marks["other_lu"] = dict(other_lu)
    return [st.with_options(**marks) if marks and st.action in STILL_DEAD_ACTIONS else st for st in steps]


# the steps of a unit that touch its device, each checked again by act.checks.verify_still_dead: those whose act reads
# the option `dead`
STILL_DEAD_ACTIONS = tuple(action for action, options in OPTIONS.items() if "dead" in options)


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
    skip = set(exclude)
    out = {}
    for wwid, m in sorted((snapshot.get("maps") or {}).items()):
        paths = m.get("paths") or []
        if wwid in skip or not paths or any(p.get("dm_state") != "active" for p in paths):
            continue
        # a path the table lists by a number no sd of the read has (removed meanwhile) has no name
        out[wwid] = sorted((p.get("name") for p in paths), key=lambda n: (n is None, n or ""))
    return out
