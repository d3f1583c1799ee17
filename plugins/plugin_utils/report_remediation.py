# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The remediation part of a remediate run's host report (report.py): what stale_cleanup planned, ran and left, read
from its one result, or why that is unknown."""

from __future__ import annotations

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import finding_row


def ran(result):
    """A task result of something that ran (not skipped, not missing)."""
    return isinstance(result, dict) and not result.get("skipped")


def unanswered(result):
    """{unanswered: true, msg, acted}: the playbook found no answer of stale_cleanup in what its task registered (its
    connection dropped while it ran, its task timeout stopped waiting, it crashed): the module may have run on, so
    what it planned and did on the host is unknown."""
    return isinstance(result, dict) and result.get("unanswered") is True


def _steps(steps):
    return [{"action": s.get("action"), "target": s.get("target"), "reason": s.get("reason"),
             "outcome": s.get("outcome"), "detail": s.get("detail")} for s in steps or []]


def remediation_part(plan, applied):
    """What the module planned, ran and left, read from its one result (a run that failed mid-unit too: its plan,
    what ran before, every unit it stopped with the step and why, and per map whether the queueing it had turned off
    was given back)."""
    out = {"planned": [], "refused": [], "executed": [], "failed_step": None, "refusal": None, "failures": [],
           "queueing_restored": []}
    out["blocked"] = []
    if unanswered(applied):
        # no count of it is known: null, never 0 (the fleet pages show "-" and count the host apart); a run that
        # cannot have acted (--check, no phase: the module exits before its act) executed nothing, its plan is unknown
        acted = applied.get("acted") is not False
        out["unknown"] = ("stale_cleanup gave no result of its own (%s): %s" % (
            applied.get("msg") or "no message", "what it planned and executed on the host is unknown" if acted else
            "its plan is unknown; it executes nothing in this run (--check or no phase selected)"))
        out["counts"] = dict.fromkeys(("planned", "refused", "executed", "stopped", "queueing_not_restored"),
                                      None if acted else 0)
        out["counts"].update(planned=None, refused=None)
        return out
    if ran(plan):
        out["planned"] = _steps(plan.get("steps"))
        out["blocked"] = [{"why": b.get("why"), "msg": b.get("msg")} for b in plan.get("blocked") or []]
        out["refused"] = [{"name": r.get("name"), "kind": r.get("kind"), "reason": r.get("reason")}
                          for r in plan.get("refused") or []]
    if ran(applied):
        out["executed"] = _steps(applied.get("executed"))
        out["failed_step"] = applied.get("failed_step")
        out["refusal"] = applied.get("refusal")
        out["failures"] = [{"unit": f.get("unit"), "failed_step": f.get("failed_step"), "msg": str(f.get("msg") or ""),
                            "kind": (f.get("refusal") or {}).get("kind") or ("deadline" if f.get("deadline") else None)}
                           for f in applied.get("failures") or [] if isinstance(f, dict)]
        # per map whose queueing the run had turned off when its unit stopped: on again (True), NOT (False), unknown
        out["queueing_restored"] = [{"map": r.get("map"), "queueing_now": r.get("queueing_now"), "msg": r.get("msg")}
                                    for r in applied.get("queueing_restored") or [] if isinstance(r, dict)]
    out["counts"] = {"planned": len(out["planned"]), "refused": len(out["refused"]),
                     "executed": sum(1 for s in out["executed"] if s.get("outcome") == "done"),
                     "stopped": len(out["failures"]),
                     "queueing_not_restored": sum(1 for r in out["queueing_restored"] if r["queueing_now"] is not True)}
    return out


def stopped_rows(remediation, applied):
    """One error row per unit the act stopped (the other units ran to the end), with its step and what it left of
    the queueing of its maps; older results name one step only."""
    stopped = remediation["failures"] or [{"failed_step": applied.get("failed_step"), "msg": applied.get("msg")}]
    left = dict((r["map"], r) for r in remediation["queueing_restored"])
    rows = []
    for f in stopped:
        step = f.get("failed_step") or {}
        maps = [m for m in left if f.get("unit") and f["unit"] == "map %s" % m]
        queueing = "; ".join(("queueing on map %s restored" % m) if left[m]["queueing_now"] is True else
                             ("queueing on map %s NOT restored: %s" % (m, left[m]["msg"])) for m in maps)
        reason = f.get("msg") or applied.get("msg") or ""
        rows.append(finding_row("remediate", "step_failed", "error", step.get("target") or "stale_cleanup",
                                "%s%s" % (reason, (" [%s]" % queueing) if queueing and queueing not in reason else ""),
                                device=step.get("target"),
                                action="The rollout stopped here: read the refusal, fix the cause, run --check "
                                       "again."))
    return rows
