# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a finding of a report says, shared by the host and fleet reports: severities and statuses with their order,
the action per check, an array problem explained, and the shape of one finding row."""

from __future__ import annotations

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import array_sources

SCHEMA_VERSION = "3.0"
SEVERITIES = ("error", "violation", "warning", "info")
# host status, worst first: the order of the fleet report. failed: unreachable, or a task failed (the report says
# which and why); not_san: no multipath-tools, no iSCSI initiator, no FC HBA, and every read that could show one
# finished (host.san_presence of the facts) - nothing to check.
STATUSES = ("failed", "error", "violation", "warning", "ok", "not_san", "not_run")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

# What to do, per check (module_utils/_san/check_registry.py). The runbook (docs/runbook.md) explains each one at
# length.
ACTIONS = check_registry.actions()
# an NVMe namespace's or controller's verdict: the NVMe family's own remedy (what remediate does for it)
NVME_ACTIONS = check_registry.nvme_actions()
DEFAULT_ACTION = "See docs/runbook.md for this check."


# Why an array could not be read, in its vendor's words: each source declares its causes (read_causes: (cause,
# pattern, what it means, what to do), the first match wins) and what an unexplained failure means (unread_meaning),
# in its own module (ontap_causes, pure_causes); a problem says its source's kind (array_kind), and one without a
# kind (a caller's own truth, an igroups read) is ONTAP's.
_CAUSES_BY_KIND = dict((kind, (entry["source"].read_causes, entry["source"].unread_meaning))
                       for kind, entry in array_sources.SOURCES.items())
# what a problem kind whose meaning is the vendor's (a changed mapping, a field in a form not read) means, per source
_KIND_MEANINGS = dict((kind, entry["source"].kind_meanings) for kind, entry in array_sources.SOURCES.items())
_DEFAULT_KIND = "ontap"
HTTP_STATUS = re.compile(r"\(HTTP (\d{3})\)|HTTP (\d{3})\b")


def array_problem(problem):
    """One problem of the array truth (ontap_truth / ontap_igroups: cluster, svm, kind, msg), explained: cause,
    HTTP status (or None for a connection error), what it means and what to do."""
    problem = problem if isinstance(problem, dict) else {"msg": str(problem)}
    msg = str(problem.get("msg") or "")
    kind = problem.get("kind") or "lookup_failed"
    match = HTTP_STATUS.search(msg)
    out = {"cluster": problem.get("cluster"), "svm": problem.get("svm"), "kind": kind, "msg": msg,
           "http_status": int(match.group(1) or match.group(2)) if match else None}
    if kind == "svm_scoped_login":
        out.update(cause="svm_scoped_login", meaning="The account is scoped to an SVM: it may not see every "
                   "mapping of the cluster, so nothing is removed on the strength of it.",
                   action="Use a cluster-scoped read-only account, or accept that removals stay blocked.")
    elif kind in _KIND_MEANINGS[_DEFAULT_KIND]:
        meaning, action = ((_KIND_MEANINGS.get(problem.get("array_kind")) or {}).get(kind)
                           or _KIND_MEANINGS[_DEFAULT_KIND][kind])
        out.update(cause=kind, meaning=meaning, action=action)
    elif kind == "unusable_truth":
        out.update(cause="unusable_truth", meaning="A device family's part of the array truth is not the documented "
                   "contract (the message names the field): none of that family's devices is judged or removed; "
                   "the other family's are judged on their own part.",
                   action="Fix what produced the array truth (a truth of your own: docs/ontap.md has the contract); "
                          "if it came from the collection's lookup, report it with the message.")
    elif kind == "no_cluster":
        out.update(cause="no_cluster", meaning="No ONTAP cluster was given, so no device was judged against "
                   "the array.", action="Set sanfleet_ontap (docs/ontap.md) or attach the AWX ONTAP credential.")
    else:
        # each kind of array in its own words (the problem says its kind; an ONTAP cluster's, or a caller's, by default)
        causes, unread = _CAUSES_BY_KIND.get(problem.get("array_kind")) or _CAUSES_BY_KIND[_DEFAULT_KIND]
        for cause, pattern, meaning, action in causes:
            if re.search(pattern, msg):
                out.update(cause=cause, meaning=meaning, action=action)
                break
        else:
            out.update(cause="other", meaning=unread,
                       action="Read the message; nothing was judged against this array in this run.")
    return out


def array_problem_text(p):
    """'cluster cl1: HTTP 401 (auth): <meaning>'."""
    where = "cluster %s%s" % (p.get("cluster") or "?", "/%s" % p["svm"] if p.get("svm") else "")
    what = ("HTTP %s" % p["http_status"]) if p.get("http_status") else p.get("cause")
    return "%s: %s (%s): %s" % (where, what, p.get("cause"), p.get("meaning"))


def finding_row(area, check, severity, obj, reason="", device=None, setting=None, value=None, recommended=None,
                wwid=None, action=None, devices=None):
    """One finding of a report (the row shape of meta/schemas/host_report.schema.json). devices: the maps or devices
    of a finding about several (one row for all of them; since schema 2.0), else absent."""
    row = {"area": area, "check": check, "severity": severity, "object": str(obj) if obj is not None else "",
           "device": device, "wwid": wwid, "setting": setting, "value": None if value is None else str(value),
           "recommended": None if recommended is None else str(recommended),
           "reason": reason or "", "action": action or ACTIONS.get(check, DEFAULT_ACTION)}
    if devices is not None:
        row["devices"] = list(devices)
    return row
