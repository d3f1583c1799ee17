# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The approved plan is the plan that runs: a check run's plan as an artifact, and the gate a later run passes.

A check run (or any run) returns its plan as an artifact (`plan_artifact`): per step the action, target, phase,
unit and the identity of what it acts on (WWID, dm uuid, sd names, H:C:T:L, dev_t), made with identity's
`map_identity` / `disk_identity` from the snapshot the plan was made from, and a digest over those steps.

A run given that artifact as `approved_plan` plans from scratch as always (the host and the array may have
changed), then keeps only the units whose every step is in the approved plan with the same identity (`gate`).
A unit with a step the approver did not see, or whose device is not the one the approver saw, is refused whole,
by name, before anything is touched: running part of a unit (queueing off without the flush, the flush without
the paths' delete) is worse than not running it. Approved steps the plan no longer needs are reported.

The digest is an integrity check (an edited or truncated plan is refused), not a signature: who may approve is
the workflow's business (AWX's approval node and its permissions).

Pure, no I/O: the host's identity it compares is read by observe.host_identity (with a deadline, by the caller).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import math
import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.families import FAMILIES
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.families import PLANS, plan_of_kind
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    MPATH_UUID_PREFIX, map_wwid, wwid_matches, wwid_or_none, wwid_text)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import InvalidInput

FORMAT = 1
# what every step's identity holds; sd and hctl are lists for a map (its paths), strings for a disk; a family with
# a plan of its own adds its keys (plan.families.FamilyPlan.identity_keys: an NVMe-oF controller's `controller`)
IDENTITY_KEYS = ("wwid", "dm_uuid", "sd", "hctl", "dev")
# an approved step is the same step when these are the same too
# and they do the same: `forced` is a flush_map that may fall back to dmsetup remove --force (force_remove)
STEP_KEYS = IDENTITY_KEYS + tuple(key for family in PLANS for key in family.identity_keys) + ("unit", "phase", "forced")
ARTIFACT_KEYS = ("format", "host", "created_at", "digest", "steps")
HOST_KEYS = ("machine_id", "hostname")
STEP_FIELDS = ("action", "target", "phase", "unit", "forced", "identity")
# how long an approval holds by default (seconds): the approver saw the host as it was then
MAX_AGE = 14400
# a plan made this far in the future (the host's clock stepped back) is not trusted
FUTURE_SKEW = 300
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------------------------------------- the run's approval
# what a run executes, as stale_cleanup's result says it (approval_gate) and every report, the job artifact and the
# console read it: plan (check mode, or a real run that selects no phase: nothing is executed), approved (only the
# units of the approved plan), not_in_plan (an empty approved plan: nothing was approved for this host, every unit is
# refused), unreviewed (the plan the run makes itself, which nobody reviewed: allow_unreviewed), refused (a real run
# with neither: nothing read, nothing changed)
RUN_APPROVALS = ("plan", "approved", "not_in_plan", "unreviewed", "refused")


class Unapproved(InvalidInput):
    """A real run that would execute a plan nobody approved, without the explicit allow_unreviewed."""


def run_approval(check_mode, phases, approved, allow_unreviewed):
    """How this run may execute, decided in the module itself, where no variable of a role or a playbook can walk
    around it: one of RUN_APPROVALS but `refused`. A real run that selects a phase needs an approved plan (a dict:
    {} approves nothing) or allow_unreviewed True; raises Unapproved otherwise, before anything is read. An approved
    plan given with allow_unreviewed narrows the run all the same: the approved plan wins."""
    if check_mode or not phases:
        return "plan"
    if isinstance(approved, dict):
        return "approved" if approved else "not_in_plan"
    if allow_unreviewed is True:
        return "unreviewed"
    raise Unapproved("refused: a real run executes only an approved plan (approved_plan: the plan_artifact of a check "
                     "run a person approved) or, said explicitly, the plan it makes itself (allow_unreviewed: true, a "
                     "hand-run emergency); neither was given")


# ---------------------------------------------------------------------------------------------- the artifact
def canonical(steps):
    """The bytes the digest is taken over: JSON, keys sorted, no spaces, ASCII only."""
    return json.dumps(steps, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def digest(fmt, host, created_at, steps):
    """Over everything the approver saw and the gate relies on: an edited host or created_at (an expired
    approval made young again) breaks it as an edited step does."""
    return hashlib.sha256(canonical({"format": fmt, "host": host, "created_at": created_at,
                                     "steps": steps})).hexdigest()


def _unit_object(unit):
    """("map", name), ("disk", name) or ("controller", name) of a unit label ("map <name>", ...)."""
    kind, _sep, name = (unit or "").partition(" ")
    return kind, name


def _map_of(step, maps, by_name):
    return maps.get(step.identity.wwid or "") or by_name.get(step.target) or maps.get(step.target)


def step_identity(step, snapshot, repairs=None):
    """{wwid, dm_uuid, sd, hctl, dev} of what `step` acts on, from the snapshot the plan was made from: for a map
    step identity.map_identity (sd and hctl: its paths), for a disk step identity.disk_identity (dm_uuid: the map
    it is a path of), for a scan the H:C:T:L and the WWID the repair expects there (`repairs`: {hctl: wwid})."""
    maps = snapshot.get("maps") or {}
    disks = snapshot.get("disks") or {}
    action = step.action
    if action in plan_steps.MAP_ACTIONS:
        by_name = dict((m.get("name"), m) for m in maps.values())
        m = _map_of(step, maps, by_name)
        if m is None:
            return {"wwid": step.identity.wwid, "dm_uuid": None, "sd": None, "hctl": None, "dev": step.identity.dev}
        ident = identity.map_identity(m)
        return {"wwid": ident["wwid"], "dm_uuid": MPATH_UUID_PREFIX + ident["wwid"] if ident["wwid"] else None,
                "sd": ident["slaves"], "hctl": [(disks.get(s) or {}).get("hctl") for s in ident["slaves"]],
                "dev": ident["dev"]}
    if action in plan_steps.DISK_ACTIONS:
        d = disks.get(step.target) or {}
        ident = identity.disk_identity(d) if d else step.identity.as_dict()
        owner = dict((m.get("name"), m) for m in maps.values()).get(d.get("map")) if d.get("map") else None
        return {"wwid": ident.get("wwid"), "dm_uuid": MPATH_UUID_PREFIX + owner["wwid"] if owner else None,
                "sd": ident.get("name") or step.target, "hctl": ident.get("hctl"), "dev": ident.get("dev")}
    family = plan_of_kind(plan_steps.KINDS[action])
    if family is not None:  # a family with a plan of its own: none of the shared keys apply, its own do
        return dict(dict.fromkeys(IDENTITY_KEYS), **family.artifact_identity(step))
    hctl = step.target
    return {"wwid": (repairs or {}).get(hctl) or step.identity.wwid, "dm_uuid": None,
            "sd": None, "hctl": hctl, "dev": None}


def artifact_steps(steps, snapshot, mismatches=()):
    """The steps as the artifact lists them (action, target, phase, unit, identity), in plan order."""
    repairs = dict((m.get("hctl"), m.get("expect_wwid")) for m in mismatches or [] if m.get("hctl"))
    return [{"action": st.action, "target": st.target, "phase": st.phase,
             "unit": st.unit, "forced": bool(st.options.get("force_remove")),
             "identity": step_identity(st, snapshot, repairs)} for st in steps]


def plan_artifact(steps, snapshot, host, created_at, mismatches=()):
    """The plan of this run as an artifact to approve: {format, host, created_at, digest, steps}."""
    listed = artifact_steps(steps, snapshot, mismatches)
    return {"format": FORMAT, "host": dict(host), "created_at": created_at,
            "digest": digest(FORMAT, dict(host), created_at, listed), "steps": listed}


# ---------------------------------------------------------------------------------------------- validation
def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_identity_value(value, where):
    if value is None or isinstance(value, str):
        return
    if isinstance(value, list) and all(v is None or isinstance(v, str) for v in value):
        return
    raise InvalidInput("%s must be a string, a list of strings or null, got %s" % (where, type(value).__name__))


def _check_step(st, i):
    where = "approved_plan.steps[%d]" % i
    if not isinstance(st, dict):
        raise InvalidInput("%s must be a dict, got %s" % (where, type(st).__name__))
    if set(st) != set(STEP_FIELDS):
        has = ", ".join(sorted(map(str, st)))
        raise InvalidInput("%s must have exactly the keys %s, has %s" % (where, ", ".join(STEP_FIELDS), has))
    if st["action"] not in plan_steps.ACTIONS:
        raise InvalidInput("%s.action %r is not an action of the plan" % (where, st["action"]))
    for key in ("target", "phase", "unit"):
        if not isinstance(st[key], str) or not st[key]:
            raise InvalidInput("%s.%s must be a non-empty string, got %r" % (where, key, st[key]))
    if not isinstance(st["forced"], bool):
        raise InvalidInput("%s.forced must be true or false, got %r" % (where, st["forced"]))
    ident = st["identity"]
    family = plan_of_kind(plan_steps.KINDS[st["action"]])
    keys = IDENTITY_KEYS + (family.identity_keys if family is not None else ())
    if not isinstance(ident, dict) or set(ident) != set(keys):
        raise InvalidInput("%s.identity must be a dict with exactly the keys %s" % (where, ", ".join(keys)))
    for key in keys:
        _check_identity_value(ident[key], "%s.identity.%s" % (where, key))
    for key in ("wwid", "dm_uuid"):
        if not (ident[key] is None or isinstance(ident[key], str)):
            raise InvalidInput("%s.identity.%s must be a string or null, got %s"
                               % (where, key, type(ident[key]).__name__))
    try:
        return _approved_step(st)
    except InvalidInput as exc:
        raise InvalidInput("%s: %s" % (where, exc))


def _approved_step(st):
    """An approved step with its WWIDs (identity.wwid, the WWID in identity.dm_uuid, a remove_wwid's target) in
    their normal form (Wwid): the approved plan is where they enter, as the approver's file spells them (naa. or
    upper-case hex spell the same WWID; a t10 vendor text keeps its case: in another case it is another LU); the
    digest was checked on that spelling. The gate then turns them into this host's own spelling (_in_host_spelling)
    and compares exactly."""
    ident = dict(st["identity"])
    ident["wwid"] = wwid_or_none(ident["wwid"])
    uuid = ident["dm_uuid"]
    if isinstance(uuid, str) and uuid.startswith(MPATH_UUID_PREFIX):
        if map_wwid(uuid) is None:
            raise InvalidInput("identity.dm_uuid %r names no WWID after %r" % (uuid, MPATH_UUID_PREFIX))
        ident["dm_uuid"] = MPATH_UUID_PREFIX + wwid_or_none(str(map_wwid(uuid)))
    target = wwid_or_none(st["target"]) if st["action"] == "remove_wwid" else st["target"]
    return dict(st, target=target, identity=ident)


def _current_steps(current):
    """The current plan's steps (artifact_steps) by the key an approved step finds its own with: (action, target),
    a remove_wwid's target (a WWID) by its normal form (wwid_text: notation and the case of hex aside, a t10 vendor
    text exactly), since the approved plan is an outside spelling of it."""
    return dict((_spelling_key(st["action"], st["target"]), st) for st in current)


def _spelling_key(action, target):
    return (action, wwid_text(target) if action == "remove_wwid" and target else target)


def _spelt_as(outside, mine):
    """`mine` (the host's spelling) where it names the LU `outside` names (wwid_matches), else `outside` as it is:
    a WWID that names another LU stays itself and differs."""
    return mine if outside and mine and wwid_matches(outside, mine) else outside


def _in_host_spelling(st, current_steps):
    """An approved step (_approved_step) with its WWIDs in this host's own spelling: each field as the current plan's
    step of the same action and target spells it (the map's dm uuid text for a map's fields, the kernel's normal
    form for a disk's: one LU can be spelt both ways on one host, so each field is taken from its own step, never
    from a pool of the host's spellings). The approved plan is an outside spelling, converted here, at the edge, so
    that the gate compares it with the current plan exactly; a field that names another LU stays as approved."""
    mine = current_steps.get(_spelling_key(st["action"], st["target"]))
    if mine is None:
        return st
    ident, theirs = dict(st["identity"]), mine["identity"]
    ident["wwid"] = _spelt_as(ident["wwid"], theirs.get("wwid"))
    uuid, host_uuid = ident["dm_uuid"], theirs.get("dm_uuid")
    if isinstance(uuid, str) and isinstance(host_uuid, str) and uuid.startswith(MPATH_UUID_PREFIX) and \
            host_uuid.startswith(MPATH_UUID_PREFIX) and wwid_matches(map_wwid(uuid), map_wwid(host_uuid)):
        ident["dm_uuid"] = host_uuid
    target = mine["target"] if st["action"] == "remove_wwid" else st["target"]
    return dict(st, target=target, identity=ident)


def _step_key(st):
    """How an approved step finds the current one: its action and target, exactly (a remove_wwid's target, a WWID,
    in the host's spelling on both sides: _in_host_spelling; a t10 vendor text in another case is another LU, so
    two such LUs are two steps)."""
    return (st["action"], st["target"])


def validate(approved, now, max_age):
    """Raise InvalidInput unless `approved` is an artifact of this format, intact (digest), without duplicate
    steps and not older than `max_age` seconds at `now` (epoch). {} is valid: nothing was approved."""
    if not isinstance(approved, dict):
        raise InvalidInput("approved_plan must be a dict (a plan_artifact), got %s" % type(approved).__name__)
    if not approved:
        return
    if approved.get("format") != FORMAT or isinstance(approved.get("format"), bool):
        raise InvalidInput("approved_plan has format %r; this module reads format %d"
                           % (approved.get("format"), FORMAT))
    if set(approved) != set(ARTIFACT_KEYS):
        raise InvalidInput("approved_plan must have exactly the keys %s, has %s" % (
            ", ".join(ARTIFACT_KEYS), ", ".join(sorted(map(str, approved)))))
    host = approved["host"]
    if not isinstance(host, dict) or set(host) != set(HOST_KEYS) or \
            not all(v is None or isinstance(v, str) for v in host.values()):
        raise InvalidInput("approved_plan.host must be a dict of %s (strings or null)" % ", ".join(HOST_KEYS))
    if not _is_number(approved["created_at"]):
        raise InvalidInput("approved_plan.created_at must be a number (epoch seconds), got %r"
                           % (approved["created_at"],))
    if not isinstance(approved["digest"], str) or not _DIGEST.match(approved["digest"]):
        raise InvalidInput("approved_plan.digest must be 64 lowercase hex digits (sha256)")
    steps = approved["steps"]
    if not isinstance(steps, list):
        raise InvalidInput("approved_plan.steps must be a list, got %s" % type(steps).__name__)
    seen = set()
    for i, st in enumerate(steps):
        key = _step_key(_check_step(st, i))
        if key in seen:
            raise InvalidInput("approved_plan lists %s %s twice" % key)
        seen.add(key)
    if digest(approved["format"], approved["host"], approved["created_at"], steps) != approved["digest"]:
        raise InvalidInput("approved_plan's digest does not match its steps: the plan was changed after it was "
                           "made (or damaged on the way); approve a plan as a check run wrote it")
    age = now - approved["created_at"]
    if age < -FUTURE_SKEW:
        raise InvalidInput("approved_plan was made %.0fs in the future of this host's clock (created_at %s)"
                           % (-age, approved["created_at"]))
    if age > max_age:
        raise InvalidInput("approved_plan expired: it was made %.0fs ago, more than approved_plan_max_age (%ss); "
                           "the host may have changed since it was approved: run --check again and approve the "
                           "new plan" % (age, max_age))


def check_host(approved, host):
    """Raise InvalidInput unless `approved` (non-empty) was made on this host: the same machine-id and hostname,
    and at least one of them readable here."""
    if not approved:
        return
    if not any(host.get(k) for k in HOST_KEYS):
        raise InvalidInput("this host's identity cannot be read (/etc/machine-id, hostname): an approved plan "
                           "cannot be matched to it")
    theirs = approved["host"]
    if any((theirs.get(k) or None) != (host.get(k) or None) for k in HOST_KEYS):
        raise InvalidInput("approved_plan was made on another host (machine-id %s, hostname %s); this host is "
                           "machine-id %s, hostname %s" % (theirs.get("machine_id"), theirs.get("hostname"),
                                                           host.get("machine_id"), host.get("hostname")))


# ---------------------------------------------------------------------------------------------- the gate
def _difference(approved, current):
    """What differs between an approved step and the current one (both ways: a key known on one side only is a
    difference too), with identity.identity_diff: exactly, the approved step's WWIDs in the host's spelling."""
    want = dict(approved["identity"], unit=approved["unit"], phase=approved["phase"], forced=approved["forced"])
    have = dict(current["identity"], unit=current["unit"], phase=current["phase"], forced=current["forced"])
    diff = identity.identity_diff(want, have, STEP_KEYS)
    for key, d in identity.identity_diff(have, want, STEP_KEYS).items():
        diff.setdefault(key, {"expected": d["actual"], "actual": d["expected"]})
    return diff


def _left_alone_reason(kind, name, skipped, snapshot):
    """Why an approved unit (its kind and object's name: a family's unit may name several objects, "nvme0+nvme1"
    for NVMe-oF controllers that go together; a map alias may hold a "+" itself) is not in the plan."""
    family = plan_of_kind(kind)
    names = family.unit_names(name) if family is not None else [name]
    for s in skipped or []:
        if s.get("name") in names:
            return s.get("reason")
    on_host = set(n for family in FAMILIES for n in family.object_names(snapshot))
    gone = [n for n in names if n not in on_host]
    if gone:
        return "%s is no longer on this host" % ", ".join(gone)
    return "no longer in the plan"


def gate(plan, snapshot, approved):
    """The plan (plan.cleanup.plan_cleanup's dict) cut down to the units whose every step is in `approved` with the same
    identity. Returns (plan, approval): the plan with the other units' steps taken out of steps, flush_maps,
    delete_disks, mismatches and delete_controllers and each of those units in skipped as refused, by name, with
    the reason; approval: {refused: [unit], not_needed: [approved steps the plan no longer has, with why]}.
    `approved` {} (valid, see validate): nothing was approved for this host, every unit is refused."""
    mismatches = plan.get("mismatches") or []
    current = artifact_steps(plan["steps"], snapshot, mismatches)
    current_steps = _current_steps(current)
    approved_steps = [_in_host_spelling(_approved_step(st), current_steps) for st in approved.get("steps") or []]
    index = dict((_step_key(st), st) for st in approved_steps)
    units, order = {}, []
    for st, listed in zip(plan["steps"], current):
        unit = st.unit
        if unit not in units:
            units[unit] = []
            order.append(unit)
        units[unit].append(listed)

    refused_units = []
    skipped = list(plan.get("skipped") or [])
    for unit in order:
        missing, changed = [], []
        for listed in units[unit]:
            theirs = index.get(_step_key(listed))
            if theirs is None:
                missing.append("%s %s" % (listed["action"], listed["target"]))
                continue
            diff = _difference(theirs, listed)
            if diff:
                changed.append("%s %s: %s" % (listed["action"], listed["target"], identity.describe_diff(diff)))
        if not (missing or changed):
            continue
        kind, name = _unit_object(unit)
        if not approved:
            why, msg = "none_approved", "no plan was approved for this host; not removing"
        else:
            parts = []
            if changed:
                parts.append("changed since the plan was approved (%s): the approver saw another device"
                             % "; ".join(changed))
            if missing:
                parts.append("not in the approved plan (%s): the approver never saw %s"
                             % (", ".join(missing), "it" if len(missing) == 1 else "them"))
            why = "changed" if changed else "not_approved"
            msg = "%s; run --check again and approve the new plan; not removing" % "; ".join(parts)
        refusal = Refused("%s %s" % (kind, name), why, msg)
        skipped.append({"kind": "refused", "object": kind, "name": name, "reason": str(refusal), "approval": why})
        refused_units.append(unit)

    out = dict(plan)
    if refused_units:
        gone = set(refused_units)
        dropped = [st for st in plan["steps"] if st.unit in gone]
        # flush_maps lists WWIDs: a flush step's target is a map name, which may spell another LU's WWID
        no_flush = set(st.identity.wwid or st.target for st in dropped if st.action == "flush_map")
        no_delete = set(st.target for st in dropped if st.action == "delete_disk")
        out["steps"] = [st for st in plan["steps"] if st.unit not in gone]
        out["flush_maps"] = [w for w in plan.get("flush_maps") or [] if w not in no_flush]
        out["mismatches"] = [m for m in mismatches if m.get("name") not in no_delete]
        for family in FAMILIES:  # each family's lists of what its steps remove (delete_disks, ...), by name
            for action, key in family.listed:
                no_remove = set(st.target for st in dropped if st.action == action)
                out[key] = [o for o in plan.get(key) or [] if o.get("name") not in no_remove]
    out["skipped"] = skipped

    planned = set(_step_key(st) for st in current)
    not_needed = []
    for st in approved_steps:
        if _step_key(st) in planned:
            continue
        kind, name = _unit_object(st["unit"])
        not_needed.append({"action": st["action"], "target": st["target"], "unit": st["unit"],
                           "why": _left_alone_reason(kind, name, plan.get("skipped"), snapshot)})
    return out, {"refused": refused_units, "not_needed": not_needed}
