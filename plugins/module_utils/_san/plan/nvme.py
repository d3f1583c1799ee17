# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the NVMe family's removal (pure): which NVMe-oF controllers to delete, and nothing else.

The one removal NVMe needs is the delete of a controller that is not live (sysfs `delete_controller`, what
`nvme disconnect -d` writes): a namespace the array unmapped is dropped by a live controller on its own (lab
finding 15), and what lingers is a namespace whose every controller reconnects and cannot hear the change (finding
16). Never a blanket disconnect: one controller at a time, and only when deleting it takes nothing that is still
mapped to this host away. A controller is deleted when

* it is down to an address the SVM still has, the subsystem's hosts list (read with the subsystem) no longer has
  the host NQN it connected with, and every namespace behind it is one the array no longer maps: the subsystem has
  nothing left for this host through any controller, and a reconnect would be refused; or
* it reconnects to an address no NVMe/TCP or NVMe/FC LIF of the serving SVM has any more (`lif_gone`), the caller
  states that no cluster outside the truth presents its subsystem (`delete_lif_gone`: the truth proves the address
  is not the SVM's, not that it is nobody's; a SnapMirror active sync peer that was not read presents the same
  subsystem at its own LIFs), every namespace behind it answers through another live path or is unmapped
  (`sole_path_of` is []), and the truth still maps a namespace of its subsystem to the host NQN it connected with
  (none at all may be an empty answer);

and every unmapped namespace behind it is unused (mounts, swap, holders, kernel users, openers that are a workload;
udev's probe blocked in its queued I/O is no workload, lab finding 17). A namespace that answers elsewhere may be in
use: only its dead path goes.

Any other controller that is down is an outage: its paths come back with the LIF, and a namespace the array
unmapped goes by itself when it reconnects (finding 15). A subsystem that maps nothing to this host while its hosts
list still has this host's NQN, or whose hosts were not read, proves nothing: an empty answer reads the same.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import CONTROLLER_KEYS, controller_identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.nvme_verdicts import ANA_USABLE
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.usage import (
    check_not_in_use, workload_openers)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import (
    CTRL_RE, NAMESPACE_RE, is_fabrics)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import step, wire, with_phase
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.truth_age import (
    TRUTH_MAX_AGE, truth_age_verdict)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import shown

# the states of a controller that is not live and may be deleted (drivers/nvme/host/core.c nvme_state_names): it
# retries its connection or was given up; `new` is a controller being set up, `deleting` one already going
DELETABLE_STATES = ("connecting", "resetting", "dead")
UNMAPPED_KIND = "stale_unmapped"
# roles of a namespace behind a deleted controller: it keeps a live path elsewhere, or the array maps it no more
STAYS, UNMAPPED = "stays", "unmapped"


def answers_elsewhere(ns, controllers):
    """Does the namespace answer through a live path of a controller not in `controllers`?"""
    return any(p.get("controller") not in controllers and p.get("controller_state") == "live"
               and p.get("ana_state") in ANA_USABLE for p in ns.get("paths") or [])


def behind(ns_list, name):
    return [ns for ns in ns_list if any(p.get("controller") == name for p in ns.get("paths") or [])]


def node_holders(ctrl):
    """Why the controller may not go because a workload holds its char node /dev/<name> (observe.nvme gives a
    controller the openers of its own node), or who does cannot be known; None when nobody does. Admin commands and
    I/O passthrough through that node end with the controller, whatever namespace is (or is not) behind it."""
    if ctrl.get("openers_unknown"):
        return "who holds its char node /dev/%s cannot be known (%s)" % (shown(ctrl.get("name")),
                                                                         ctrl["openers_unknown"])
    held = sorted(set("%s (%s)" % (o.get("pid"), o.get("comm")) for o in workload_openers(ctrl.get("openers"))))
    if not held:
        return None
    return "pid %s hold(s) its char node /dev/%s open (admin commands or I/O passthrough end with it)" % (
        ", ".join(held), shown(ctrl.get("name")))


def _blockers(snapshot, nvme, verdicts, policy):
    """Why no NVMe controller of this host is deleted (a truth that cannot be trusted for NVMe), or None."""
    array = snapshot.get("array") or {}
    if array.get("nvme_problems"):
        return "the NVMe truth is incomplete: %s" % "; ".join(
            str(p.get("msg") or p.get("kind")) for p in array["nvme_problems"])
    if nvme.get("unread"):
        return "the NVMe read did not list %s" % ", ".join(nvme["unread"])
    kinds = dict((v.get("name"), v.get("kind")) for v in verdicts.get("namespaces") or [])
    odd = sorted(n for n, k in kinds.items() if k == "unexpected_visibility")
    if odd:
        return ("namespace(s) %s are presented by live controllers but mapped to no host NQN of this host in the "
                "NVMe truth: it may be older than the host or incomplete" % ", ".join(shown(n) for n in odd))
    collected, now = array.get("nvme_collected_at"), snapshot.get("collected_at")
    max_age = policy.get("truth_max_age", TRUTH_MAX_AGE)
    aged = truth_age_verdict(collected, now, max_age)
    if aged and aged[0] == "truth_age_unknown":
        return "the NVMe truth's age: %s" % aged[1]
    if aged:
        return "the NVMe truth was read %.0fs before the host snapshot (bound %gs)" % (aged[1], max_age)
    return None


def _refuse(skipped, name, why):
    skipped.append({"kind": "refused", "object": "controller", "name": shown(name), "reason": why})


def _choose(nvme, verdicts, skipped, delete_lif_gone):
    """The controllers to delete, each with the namespaces behind it; the others that are not live in skipped."""
    namespaces = [ns for ns in nvme.get("namespaces") or [] if ns.get("fabrics")]
    kinds = dict((v.get("name"), v.get("kind")) for v in verdicts.get("namespaces") or [])
    records = dict((c.get("name"), c) for c in nvme.get("controllers") or [])
    chosen = []
    for v in verdicts.get("controllers") or []:
        name, kind = v.get("name"), v.get("kind")
        if kind == "healthy":
            continue
        ctrl = records.get(name) or {}
        ns_behind = behind(namespaces, name)
        mapped = sorted(ns["name"] for ns in ns_behind if kinds.get(ns.get("name")) != UNMAPPED_KIND)
        why = None
        if not CTRL_RE.match(name or "") or not all(NAMESPACE_RE.match(ns.get("name") or "") for ns in ns_behind):
            why = "a name no step may carry"
        elif ctrl.get("unread") or not is_fabrics(ctrl.get("transport")) or not ctrl.get("subsysnqn"):
            why = "its identity (transport, subsystem NQN, address) was not fully read"
        elif ctrl.get("state") not in DELETABLE_STATES:
            why = "its state is %s, not one of %s" % (shown(ctrl.get("state")), ", ".join(DELETABLE_STATES))
        elif v.get("sole_path_of") is None:
            why = "the namespaces behind it were not all read: one not seen may hang on it"
        elif v.get("sole_path_of"):
            why = ("the sole path of %s, which the array still maps or whose mapping is not known: deleting it would "
                   "take them away" % ", ".join(shown(n) for n in v["sole_path_of"]))
        elif kind == "controller_down" and v.get("host_allowed") is False:
            if v.get("mapped_to_host") != 0:
                why = ("its subsystem's hosts list no longer has %s, but the same truth maps %s namespace(s) of it to "
                       "that NQN: it contradicts itself" % (shown(ctrl.get("hostnqn")), v.get("mapped_to_host")))
            elif mapped or not ns_behind:
                why = ("its subsystem no longer allows %s, yet it carries %s" % (
                    shown(ctrl.get("hostnqn")), ", ".join(shown(n) for n in mapped) + " (not shown unmapped)"
                    if mapped else "no namespace: nothing of it is stale"))
        elif kind != "lif_gone":
            why = ("down, an outage while the SVM still has its address and its subsystem allows %s (or its hosts "
                   "were not read): its paths come back with the LIF%s" % (shown(ctrl.get("hostnqn")), (
                       " (it also carries %s, which the array still maps or which is not judged)"
                       % ", ".join(shown(n) for n in mapped)) if mapped else ""))
        elif not delete_lif_gone:
            why = ("the truth shows its address is no LIF of %s, not that no other cluster presents %s there (a "
                   "SnapMirror active sync peer that was not read): set delete_lif_gone when every cluster presenting "
                   "it is in the truth" % ((v.get("array") or {}).get("svm"), shown(ctrl.get("subsysnqn"))))
        elif not v.get("mapped_to_host"):
            why = ("the truth maps no namespace of its subsystem to %s: an empty answer cannot be told from a "
                   "subsystem with nothing left for this host" % shown(ctrl.get("hostnqn")))
        if why:
            _refuse(skipped, name, "controller %s (%s) is not deleted: %s" % (shown(name), v.get("reason"), why))
            continue
        chosen.append((ctrl, v, ns_behind))
    return chosen, kinds


def _users_refusal(ns):
    """Why an unmapped namespace behind a deleted controller holds it (in use), or None."""
    try:
        check_not_in_use(ns, "namespace %s" % ns.get("name"))
    except Refused as exc:
        return str(exc)
    return None


def _together(names, reached):
    """The controllers `names` in groups: two share a group when an unmapped namespace is reached through both
    (`reached`: namespace -> its controllers), in name order."""
    group = dict((n, set([n])) for n in names)
    for via in reached.values():
        members = [c for c in via if c in group]
        for other in members[1:]:
            if group[other] is not group[members[0]]:
                merged = group[members[0]] | group[other]
                for c in merged:
                    group[c] = merged
    out = []
    for n in names:
        if group[n] not in out:
            out.append(group[n])
    return [sorted(g) for g in out]


def _unit_steps(out, units, reached):
    """The steps of one unit, the controllers `units` ([(ctrl, verdict, namespaces behind, roles)]) that go together:
    every delete, then every wait; an unmapped namespace is waited for with the last of its controllers, naming the
    others it is also reached through."""
    names = [ctrl["name"] for ctrl, _v, _b, _r in units]
    unit = "controller %s" % "+".join(names)
    last = dict((ns, (via[-1] if set(via) <= set(names) else None, via)) for ns, via in reached.items())
    deletes, waits = [], []
    for ctrl, v, ns_behind, roles in units:
        ident = controller_identity(ctrl)
        namespaces = dict((ns["name"], {"uuid": ns.get("uuid"), "nsid": ns.get("nsid"), "role": roles[ns["name"]]})
                          for ns in ns_behind)
        going = dict((n, [c for c in via if c != ctrl["name"]]) for n, (owner, via) in sorted(last.items())
                     if owner == ctrl["name"])
        reason = "%s (%s)" % (v.get("kind"), v.get("reason"))
        deletes.append(step("delete_controller", ctrl["name"], ident, reason,
                            {"namespaces": namespaces, "unit_controllers": names}))
        waits.append(step("wait_controller_gone", ctrl["name"], ident, reason,
                          {"vanishing": sorted(going), "vanishing_via": going}))
        out["delete_controllers"].append(dict(ident, kind=v.get("kind"), namespaces=namespaces,
                                              vanishing=sorted(going), unit=unit))
    out["steps"].extend(with_phase(deletes + waits, "delete", unit))


def artifact_identity(step):
    """What a plan artifact lists of an NVMe-oF controller's step besides the shared keys (plan.families.FamilyPlan
    .artifact_identity): `controller`, the text of what the act re-checks (identity.controller_identity, with the
    namespaces behind it or those that go with it). The shared keys (WWID, dm uuid, sd, H:C:T:L) do not apply."""
    seen = dict((key, getattr(step.identity, key)) for key in CONTROLLER_KEYS)
    for key in ("namespaces", "vanishing"):
        if key in step.options:
            seen[key] = wire(step.options[key])
    return {"controller": json.dumps(seen, sort_keys=True, separators=(",", ":"))}


def unit_names(name):
    """The controllers of a unit label's name: "nvme0+nvme1" for controllers that go together."""
    return name.split("+")


def plan_nvme(snapshot, policy=None):
    """{steps, skipped, delete_controllers} of the NVMe family for the judged snapshot (san with `nvme` and
    `nvme_verdicts`); no step when the NVMe truth cannot be trusted for this host (said in skipped). policy:
    {delete_lif_gone: bool, truth_max_age: seconds}."""
    nvme, verdicts = snapshot.get("nvme"), snapshot.get("nvme_verdicts")
    out = {"steps": [], "skipped": [], "delete_controllers": []}
    if not nvme or not verdicts:
        return out
    down = [v for v in verdicts.get("controllers") or [] if v.get("kind") != "healthy"]
    blocked = _blockers(snapshot, nvme, verdicts, policy or {})
    if blocked:
        for v in down:
            _refuse(out["skipped"], v.get("name"), "controller %s is not deleted: %s" % (shown(v.get("name")), blocked))
        return out
    chosen, kinds = _choose(nvme, verdicts, out["skipped"], bool((policy or {}).get("delete_lif_gone")))
    units = []
    for ctrl, v, ns_behind in chosen:
        roles, refusals = {}, [why for why in [node_holders(ctrl)] if why]
        for ns in ns_behind:
            if kinds.get(ns["name"]) == UNMAPPED_KIND:
                roles[ns["name"]] = UNMAPPED
                why = _users_refusal(ns)
                if why:
                    refusals.append(why)
            elif answers_elsewhere(ns, [ctrl["name"]]):
                roles[ns["name"]] = STAYS
            else:
                refusals.append("namespace %s answers through no other live path" % shown(ns["name"]))
        if refusals:
            _refuse(out["skipped"], ctrl["name"], "controller %s is not deleted: %s" % (
                shown(ctrl["name"]), "; ".join(refusals)))
            continue
        units.append((ctrl, v, ns_behind, roles))
    # the controllers a stale namespace is reached through go together, as one unit (a namespace left with one of
    # its paths queues its I/O as before: half a removal is none); one of them kept keeps them all
    reached = dict((ns["name"], sorted(set(p.get("controller") for p in ns.get("paths") or [])))
                   for _c, _v, ns_behind, roles in units for ns in ns_behind if roles[ns["name"]] == UNMAPPED)
    by_name = dict((u[0]["name"], u) for u in units)
    for names in _together(sorted(by_name), reached):
        kept = sorted(set(c for via in reached.values() if set(via) & set(names) for c in via) - set(by_name))
        if kept:
            for name in names:
                _refuse(out["skipped"], name, "controller %s is not deleted: it goes together with %s, which stay "
                        "(see their own refusal), or not at all: %s would keep a path through them" % (
                            shown(name), ", ".join(shown(c) for c in kept), ", ".join(
                                shown(n) for n, via in sorted(reached.items()) if set(via) & set(kept))))
            continue
        _unit_steps(out, [by_name[n] for n in names], reached)
    return out
