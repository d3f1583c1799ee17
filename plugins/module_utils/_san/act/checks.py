# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Re-checks right before an act: identity of a map or disk against the plan's step (through the reader, never
own reads), the array truth's age, and that a unit planned because every path failed is still dead."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.truth_age import truth_age_verdict
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import disks as plan_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import usage as judge_usage
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed

# unit attentions a LUN may report before its real answer at the act-time probe (each probe consumes one)
UNIT_ATTENTION_RETRIES = 3


def verify_map(host, step, allow_absent=True, allow_openers=False):
    """Re-read the map of `step` and compare it with step.identity (its fields of MAP_CHECK: name, WWID,
    dm-N, major:minor, no path the plan did not see; exactly); re-check that nothing uses it.

    allow_openers: processes may hold it (a dead unmapped map, see plan.maps.dead_unmapped_map), and so may as many
    unseen opens as the plan attributed to killed tasks still closing it (the step's option exiting_opens, never more); mounts,
    swap and holders still refuse. Returns the live map_info, or None when it is gone (and allow_absent)."""
    m = host.map_now(step.identity.wwid or step.target, "wwid" if step.identity.wwid else "name")
    if m is None:
        if allow_absent:
            return None
        raise ActFailed(step.target, "map is gone")
    validate.refuse_odd_map(m)  # a name no step may carry now (renamed since the plan) refuses too
    diff = step.identity.only(identity.MAP_CHECK).differs_from(m)
    if diff:
        raise Refused("map %s" % step.target, "identity", "changed since it was planned (%s)"
                      % identity.describe_diff(diff), evidence={"diff": diff})
    info = dict(m)
    if m.get("holders"):
        info["holders"] = host.holders_now(m.get("holders"))
    judge_usage.check_not_in_use(info, "map %s" % m.get("name"), allow_openers=allow_openers,
                                 exiting_opens=step.options.get("exiting_opens") or 0)
    return m


def verify_identity(host, step, options=None):
    """Re-read the disk of `step` (by name) and refuse if H:C:T:L, major:minor, WWID or serial differ from
    step.identity (its fields of DISK_CHECK, compared exactly), or if it is now in use or part of a live
    map. Returns the live disk, or None when gone."""
    options = options or {}
    name = step.identity.name or step.target
    d = host.disk_now(name)
    if d is None:
        return None
    diff = step.identity.only(identity.DISK_CHECK).differs_from(d)
    if diff:
        raise Refused("disk %s" % name, "identity", "is not the device that was planned (%s); the kernel name "
                      "was reused or the LUN changed — nothing written" % identity.describe_diff(diff),
                      evidence={"diff": diff})
    info = dict(d)
    info["holders"] = host.disk_holders_now(d)
    own_map = host.map_now(d["map"], "name") if d.get("map") else None
    plan_disks.check_disk_deletable(info, options, obs_reread.live_maps(d, info["holders"], own_map))
    return d


def verify_truth_age(host, target, collected):
    """Refuse when the array truth the plan judged with, read at `collected` (each family gives its own part's
    time: verify_family_truth_age), is older than truth_max_age NOW: the plan checked its age against the
    host's read, and the probes, a host_evidence grace and the act itself have taken time since."""
    if collected is None or host.truth_max_age is None:
        return
    max_age, now = host.truth_max_age, host.wall()
    aged = truth_age_verdict(collected, now, max_age)
    if aged and aged[0] == "truth_age_unknown":
        raise Refused(target, "truth_age_unknown", "at act time %s; nothing of it is touched" % aged[1],
                      evidence={"truth_collected_at": collected, "truth_max_age": max_age})
    if aged:
        raise Refused(target, "truth_too_old", "the array truth is %.0fs old at act time (bound %gs): the LUN may "
                      "have been mapped back since; nothing of it is touched" % (aged[1], max_age),
                      evidence={"truth_age": round(aged[1], 1), "truth_max_age": max_age})


def verify_family_truth_age(host, target, family):
    """verify_truth_age with the time of `family`'s part of the truth as the act was given it (host.truth_times,
    run.cleanup.truth_times: None for every family when the run had no truth). A family whose time the act was not
    given at all is refused as truth_age_unknown while a bound is set: a name or a caller that lost the time must
    not turn the check off."""
    if family not in host.truth_times:
        if host.truth_max_age is not None:
            raise Refused(target, "truth_age_unknown", "at act time: the act was given no time of the %s part of the "
                          "array truth; nothing of it is touched" % family,
                          evidence={"truth_times": sorted(host.truth_times), "truth_max_age": host.truth_max_age})
        return
    verify_truth_age(host, target, host.truth_times[family])


def _probe_past_unit_attention(host, sd, errors=None):
    """A probe of `sd`; once more when it answered UNIT ATTENTION (a LUN just mapped back reports its inventory
    change to the first command, which the checker of a plain sd never consumed): the second answer says what
    the LU is now. A command of it that hit its deadline is noted in `errors`."""
    probe, seen = host.reader.probe_path(sd, errors), []
    while judge_findings.unit_attention(probe) and len(seen) < UNIT_ATTENTION_RETRIES:
        # one per pending condition (inventory change, power on, ...)
        seen.append(probe.get("sense"))
        probe = dict(host.reader.probe_path(sd, errors), after_unit_attention=seen)
    return probe


def verify_still_dead(host, step, obj, kind="map"):
    """Before a dead unit's first touch in a batch (option dead: planned because every path failed; option other_lu:
    planned because its paths reach another LU, {sd: the live serial each answered with}, every other path failed):
    the truth's age now, then every path of `obj` (a map as the batch's read shows it, or a disk) probed again
    (observe.probe, with its deadlines). Any sign of an LU answering on any path not planned to reach another LU
    (judge.findings.lu_answers: READY, TEST UNIT READY answered, a UNIT ATTENTION, INQUIRY answering, multipathd's
    checker up), whatever the kernel's path state says, refuses the unit as `came_back`; so does a path no longer
    failed by the plan's own rule (plan.cleanup.unproven_failures), unless all that changed is that such paths no
    longer answer at all (_stop_on_silence); and so does a path planned as reaching another LU that no longer answers
    READY as that LU. The truth can be truth_max_age old: the LUN may be mapped back. A path whose probe
    could not be sent, its program gone since the plan, refuses the unit first (`not_probed`). Returns {sd: probe}."""
    target = "%s %s" % (kind, obj.get("name"))
    verify_family_truth_age(host, target, "scsi")
    other_lu = step.options.get("other_lu")
    if not step.options.get("dead") and other_lu is None:
        return {}
    other_lu = other_lu or {}
    names = [p.get("name") for p in obj.get("paths") or []] if kind == "map" else [obj.get("name")]
    hung = dict((n, []) for n in names if n)  # sd -> the probe's commands that hit their deadline
    probes = dict((n, _probe_past_unit_attention(host, n, hung[n])) for n in names if n)
    fresh = dict(obj, probe=probes) if kind == "map" else dict(obj, probe=probes.get(obj.get("name")))
    unprobed = cleanup.not_probed(fresh, kind)
    if unprobed:
        # planned with every path probed, its program gone since: no answer is no proof (plan.cleanup.not_probed)
        raise Refused(target, "not_probed", unprobed, evidence={"probes": probes})
    paths = dict((p.get("name"), p) for p in obj.get("paths") or []) if kind == "map" else {}
    heard = dict((n, judge_findings.lu_answers(paths.get(n), probes.get(n))) for n in names if n and n not in other_lu)
    heard = dict((n, signs) for n, signs in heard.items() if signs)
    unproven = sorted(n for n in cleanup.unproven_failures(fresh, kind) if n not in other_lu and n not in heard)
    moved = sorted(n for n in names if n in other_lu and not _answers_as(probes.get(n), other_lu[n]))
    if unproven and not heard and not moved:
        _stop_on_silence(host, target, obj, kind, unproven, probes, hung)
    if heard or unproven or moved:
        what = ["path(s) %s answer(s) again: %s" % (", ".join(sorted(heard)), "; ".join(
            "%s: %s" % (n, ", ".join(heard[n])) for n in sorted(heard)))] if heard else []
        what += ["path(s) %s no longer failed" % ", ".join(unproven)] if unproven else []
        what += ["path(s) %s no longer answer as the other LU they reached at plan time" % ", ".join(moved)] \
            if moved else []
        raise Refused(target, "came_back", "came back since the plan: %s (probe now: %s); the LUN may be mapped to "
                      "this host again, nothing of it is removed" % (
                          "; ".join(what), ", ".join("%s: %s" % (n, (r or {}).get("result"))
                                                     for n, r in sorted(probes.items()))),
                      evidence={"paths": list(obj.get("paths") or []), "probes": probes, "answers": heard,
                                "state": obj.get("state"), "other_lu": plan_steps.wire(other_lu)})
    return probes


def _stop_on_silence(host, target, obj, kind, unproven, probes, hung):
    """Paths no longer proven failed, none of which shows an LU answering (verify_still_dead weighed that first): when
    each of them gets no answer now (its portal or remote port went silent and the probe hangs, or its transport is
    down or recovering and the probe fails at once: DID_TRANSPORT_DISRUPTED, DID_NO_CONNECT, the device cannot be
    opened), the LU is no longer proven gone and nothing says it came back, so the unit stops under its own name: on
    the probe's deadline (rule 5) when every such path hung, else refused as `unanswered`. A path multipathd reinstated
    since the plan (dm state active) is the kernel's word that it works: no silence, came_back."""
    if kind == "map" and any(p.get("dm_state") == "active" for p in obj.get("paths") or []
                             if p.get("name") in unproven):
        return
    if not all((probes.get(n) or {}).get("result") == "no_answer" for n in unproven):
        return
    if all(hung.get(n) for n in unproven):
        raise deadline.DeadlineExceeded(
            "the re-check of %s before its first touch: the probe of %s" % (target, ", ".join(unproven)),
            host.reader.probe_timeout)
    raise Refused(target, "unanswered", "path(s) %s no longer answer since the plan (probe now: %s): the portal or "
                  "remote port may be down or recovering, which proves the LU neither gone nor back; nothing of it "
                  "is removed" % (", ".join(unproven), "; ".join("%s: %s" % (n, (probes.get(n) or {}).get("sense"))
                                                                 for n in unproven)),
                  evidence={"paths": list(obj.get("paths") or []), "probes": probes, "state": obj.get("state")})


def _answers_as(probe, serial):
    """The probe answers READY with this live VPD 0x80 serial (the same LU as at plan time)."""
    live = (probe or {}).get("serial_live")
    return (probe or {}).get("result") in plan_steps.ANSWERING and bool(serial) and bool(live) and \
        live.strip() == serial.strip()
