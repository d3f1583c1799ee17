# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan-and-decide flow of module stale_cleanup: its inputs checked, who this host is, one look (or two,
`grace` apart, under host_evidence) and the plan of the whole host from it (plan.cleanup.plan_cleanup), the plan
cut down to an approved one, the steps of the chosen phases and the --diff of exactly them.

The run stage (above act, below the modules): it calls the host (reads with deadlines, the grace sleep, the clock)
and the pure stages in turn, so that plan/ and judge/ need not."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.families import FAMILIES, part_of
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.holder_names import with_holder_names
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.host_identity import read_host_identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval as plan_approval
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup

PHASES = ("flush", "delete", "rescan")
POLICY_OPTIONS = ("policy", "grace", "truth_max_age", "force_remove", "remove_wwid", "flush_buffers",
                  "repair_mismatch", "allow_non_san", "delete_lif_gone")


def checked_truth(p):
    """The array truth of the module's options (None when none is given); InvalidInput on an option that does not
    hold, before anything is read."""
    for opt in ("timeout", "wait_timeout", "command_timeout", "probe_timeout"):
        if not 0 < p[opt] <= 3600:  # NaN too
            raise validate.InvalidInput("%s must be between 0 and 3600 seconds, got %s" % (opt, p[opt]))
    # NaN, infinity and a finite but huge wait too: the module sleeps it itself (a hung play, or OverflowError)
    if not validate.is_epoch(p["grace"]) or p["grace"] > 3600:
        raise validate.InvalidInput("grace must be a number of seconds between 0 and 3600, got %r" % p["grace"])
    # NaN or infinity would switch the truth-age gates off (every comparison with NaN is false)
    validate.positive_seconds(p["truth_max_age"], "truth_max_age")
    facts.check_prefixes(p["array_wwid_prefixes"])
    if not p["approved_plan_max_age"] > 0:
        raise validate.InvalidInput("approved_plan_max_age must be > 0, got %r" % p["approved_plan_max_age"])
    if p["approved_plan"] is not None:
        plan_approval.validate(p["approved_plan"], time.time(), p["approved_plan_max_age"])
    return facts.truth_of(p["array_truth"], p["array_luns"], p["array_targets"], p["array_initiators"])


def truth_times(truth, families=FAMILIES):
    """{family name: the time of its part of the truth} the act measures each family's truth age from: each family
    is gated on its own truth (docs/ontap.md, "Each device family on its own part"); None for each without a truth
    (nothing to measure; a family missing from what the act is given is refused there). A time that is no time is
    handed on as it is: the act's gate refuses it (truth_age_unknown), never skips it."""
    if truth is None:
        return dict((family.name, None) for family in families)
    return dict((family.name, family.truth_time(part_of(family, truth))) for family in families)


def family_lists(plan, families=FAMILIES):
    """{key: the plan's list} of each family's lists of what its steps remove (judge.families.Family.listed:
    delete_disks, delete_controllers), as the module's result gives them; every key empty without a plan."""
    return dict((key, plan[key] if plan is not None else []) for family in families for _action, key in family.listed)


def removed(executed, families=FAMILIES):
    """{result key: [target]} of the steps act.execute ran to the end (its records, outcome "done"): what each family
    says its actions removed (judge.families.Family.results: removed_maps, deleted_disks, deleted_controllers),
    every key present."""
    done = [e for e in executed if e["outcome"] == "done"]
    return dict((key, [e["target"] for e in done if e["action"] == action])
                for family in families for action, key in family.results)


def host_identity(host, errors):
    """{machine_id, hostname} of this host, read with the command deadline (None for what cannot be read)."""
    try:
        return host.call(read_host_identity, (host.root,), timeout=host.command_timeout,
                         what="read of /etc/machine-id and the hostname")
    except (deadline.DeadlineExceeded, RuntimeError) as exc:
        errors.append({"what": "read of /etc/machine-id and the hostname", "msg": str(exc)})
        return {"machine_id": None, "hostname": None}


def decide(p, host, san, earlier=None):
    """Decide: the plan of the whole host from one judged snapshot (plan.cleanup.plan_cleanup). A unit whose names no
    step may carry is refused there, by name, and the rest planned (validate.refused_units); only a snapshot
    that is not of our shape refuses the whole host."""
    try:
        validate.refused_units(san)
    except validate.InvalidInput as exc:
        raise validate.InvalidInput("the host shows %s; nothing was planned" % exc)
    policy = dict((k, p[k]) for k in POLICY_OPTIONS)
    policy["earlier"] = earlier
    errors = []
    plan = cleanup.plan_cleanup(with_holder_names(host, san, errors), san.get("verdicts") or [], policy)
    san.setdefault("errors", []).extend(errors)
    return plan


def query_and_decide(p, host, look):
    """One look (`look()`: the judged snapshot), or under host_evidence two looks `grace` apart when the first
    shows another array's LU gone."""
    san = look()
    plan = decide(p, host, san)
    candidates = []
    if p["policy"] == "host_evidence" and not plan["blocked"]:
        candidates = cleanup.evidence_candidates(san, san.get("verdicts"))
        if candidates:
            host.sleep(p["grace"])
            first, san = san, look()
            plan = decide(p, host, san, earlier=first)
    return san, plan, candidates


def approve(plan, san, approved):
    """The plan cut down to what `approved` allows (plan.approval.gate). Returns (plan, approval, not_needed,
    warnings)."""
    plan, matched = plan_approval.gate(plan, san, approved)
    warnings = ["%s is refused: not as approved (see 'refused')" % unit for unit in matched["refused"]]
    if not approved:
        warnings.append("no plan was approved for this host: nothing is removed")
    warnings.extend("approved, no longer needed: %s %s (%s)" % (st["action"], st["target"], st["why"])
                    for st in matched["not_needed"])
    approval = {"digest": approved.get("digest"), "created_at": approved.get("created_at"),
                "age": round(time.time() - approved["created_at"], 3) if approved else None,
                "approved": len(approved.get("steps") or []), "refused": len(matched["refused"]),
                "not_needed": len(matched["not_needed"])}
    return plan, approval, matched["not_needed"], warnings


def plan_diff(san, run, families=FAMILIES):
    """--diff: the host's SAN devices, family by family (judge.families.Family.device_lines), and what is left of
    them once the selected steps have run."""
    def listed(steps):
        return "\n".join(line for family in families for line in family.device_lines(san, steps)) + "\n"
    return {"before_header": "SAN devices before", "after_header": "SAN devices after the plan",
            "before": listed(()), "after": listed(run)}


def selected_steps(phases, san, plan):
    """The steps of the chosen phases, none while a corruption risk stands (a LUN that now reaches another LU is in
    use: touch nothing on this host, the caller fails it). Returns (steps, the plan's other steps, the number held
    back by a risk)."""
    everything = set(phases) == set(PHASES)
    selected = [st for st in plan["steps"] if everything or st.phase in phases]
    held_back = 0
    if san.get("corruption_risks") and selected:
        selected, held_back = [], len(selected)
    chosen = set(id(st) for st in selected)  # by identity: comparing steps is quadratic in a large plan
    return selected, [st for st in plan["steps"] if id(st) not in chosen], held_back
