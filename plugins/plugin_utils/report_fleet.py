# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet report of a run: the hosts worst first, one row per host and finding, the JUnit cases per host and
check, the counts and the array problems once per cluster (data only: the fleet_report role renders it)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import (
    HTTP_STATUS,
    SCHEMA_VERSION,
    SEVERITIES,
    SEVERITY_RANK,
    STATUS_RANK,
    STATUSES,
    finding_row,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_identity import (
    fleet_entries,
    fleet_identity,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name

# JUnit: one test case per host x check. The checks every run of an area makes, whether they fire or not, so a
# dashboard shows a compliant host as passed cases rather than as nothing (check_registry: `junit`; the fleet's
# across the hosts of one report, report_identity.py).
AREA_CHECKS = check_registry.junit_checks()


def _testcases(report, all_checks):
    cases = []
    ran = set(report["areas"]) | {"host"}
    if "stale" in ran:
        ran.add("host")
    by_check = {}
    for f in report["findings"]:
        by_check.setdefault((f["area"], f["check"]), []).append(f)
    for area, check in all_checks:
        hits = [f for f in by_check.get((area, check), []) if f["severity"] in ("error", "violation", "warning")]
        case = {"name": "%s/%s" % (area, check), "area": area, "check": check, "findings": hits,
                "state": "passed"}
        if area not in ran:
            case["state"] = "skipped"
            if area == "nvme" and (report.get("nvme") or {}).get("applicable") is False:
                case["message"] = report["nvme"]["reason"]  # no NVMe-oF controller: not applicable, said so
        elif area == "fc" and check.startswith("rport_") and not hits and _fc_unjudged(report, check):
            case["state"] = "skipped"
            case["message"] = _fc_unjudged(report, check)
        elif area == "fleet" and not hits and check in _fleet_unjudged(report):
            case["state"] = "skipped"
            case["message"] = _fleet_unjudged(report)[check]
        elif any(f["severity"] == "error" for f in hits):
            case["state"] = "error"
        elif any(f["severity"] == "violation" for f in hits):
            case["state"] = "failed"
        elif hits:
            case["state"] = "passed"  # a warning is reported in the output, it does not fail the check
        cases.append(case)
    return cases


def _fc_unjudged(report, check):
    """Why this host's rport check was not made (the rports unread, or no multipath audit to compare with), or
    None when it was."""
    fc = report.get("fc") or {}
    if "fc" not in report or fc.get("targets", []) is None:
        return "the FC remote ports were not read"
    if check == "rport_tmo_mismatch" and not fc.get("tmo_compared", True):
        return "no multipath audit (tmo_settings) to compare the rports' timeouts with"
    return None


def _fleet_unjudged(report):
    """{fleet check: why it was not (fully) made for this host} (report_identity.fleet_identity)."""
    return (report.get("summary") or {}).get("fleet_not_compared") or {}


def fleet_report(reports, hosts, active_hosts=None, generated_at=None, run=None, igroups=None, shared_igroups=None):
    """Rows (host x finding, worst first), counts and JUnit cases for the whole play.

    reports: the per-host reports (a list, or a dict host -> report); undefined/None for hosts without one.
    hosts: every host of the play (ansible_play_hosts_all). active_hosts: the hosts still in the play
    (ansible_play_hosts): a host in neither reports nor active_hosts failed or was unreachable. igroups (records of
    the ontap_igroups lookup) and shared_igroups: the fleet identity checks (report_identity.fleet_identity).
    """
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("fleet_report expects the list of the play's hosts, got %s" % type_name(hosts))
    if not isinstance(reports, (list, tuple, dict)):
        reports = []
    index = _by_host(fleet_identity(reports, igroups=igroups, shared_igroups=shared_igroups))
    active = set(active_hosts if active_hosts is not None else hosts)
    host_rows, rows = [], []
    for host in hosts:
        host_row, host_findings = _host_entry(host, index.get(host), host in active)
        host_rows.append(host_row)
        rows.extend(host_findings)
    _sort_worst_first(host_rows, rows)
    checks = _fleet_checks(index)
    junit = [{"host": h["host"], "cases": _junit_cases(h, index.get(h["host"]), checks)}
             for h in sorted(host_rows, key=lambda h: h["host"])]
    fleet = {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "generated_at": generated_at,
        "array": _fleet_array(index, host_rows),
        # each identity or igroup several hosts share, once (its rows are per host)
        "fleet": fleet_entries(index),
        "hosts": host_rows,
        "rows": rows,
        "junit": junit,
        "counts": _fleet_counts(index, host_rows, rows),
    }
    fleet["array_gate"] = array_gate(fleet)
    fleet["array_gate_hosts"] = array_gate_hosts(fleet) if fleet["array_gate"] else []
    return fleet


def _by_host(reports):
    """{host: report} from a dict host -> report, or from a list of reports (those without a host left out)."""
    if isinstance(reports, dict):
        return dict(reports)
    return {r["host"]: r for r in reports or [] if isinstance(r, dict) and r.get("host")}


def _host_entry(host, report, active):
    """(the host's row, its finding rows). Without a report, a host still in the play (active) is not run yet, any
    other failed or was unreachable: one error row says so."""
    if not isinstance(report, dict) or "status" not in report:
        status = "not_run" if active else "failed"
        reason = ("no report yet (a later batch of the rollout)" if status == "not_run"
                  else "unreachable, or failed before its report: see the job output")
        host_row = {"host": host, "status": status, "counts": {s: 0 for s in SEVERITIES},
                    "summary": {}, "reason": reason, "remediation": None, "stopped": [], "fc": None, "nvme": None}
        if status != "failed":
            return host_row, []
        return host_row, [dict(finding_row("run", "unreachable_or_failed", "error", host, reason,
                                           action="Check the connection and the job output for this host, then run "
                                                  "the audit again for it (--limit)."), host=host, status=status)]
    reason = ""
    if report["status"] in ("failed", "not_san"):
        reason = next((f["reason"] for f in report["findings"] if f["check"] in (
            "unreachable", "task_failed", "not_san")), "")
    elif (report.get("remediation") or {}).get("blocked"):
        reason = "no SCSI removal planned: " + "; ".join(
            b.get("msg") or b.get("why") or "" for b in report["remediation"]["blocked"])
    host_row = {"host": host, "status": report["status"], "counts": report["counts"],
                "summary": report.get("summary") or {}, "reason": reason,
                # a host lost while the module ran: no count is known ("-"), counted apart as unknown
                "remediation": None if (report.get("remediation") or {}).get("unknown")
                else (report.get("remediation") or {}).get("counts"),
                "stopped": _stopped_units(report.get("remediation")),
                "fc": report.get("fc"), "nvme": report.get("nvme")}
    return host_row, [dict(f, host=host, status=report["status"]) for f in report["findings"]]


def _stopped_units(remediation):
    """The units a real run stopped on a host (its act ran the others to the end), each with the step that stopped it,
    why, and the queueing it left on its maps: [{unit, step, kind, msg, queueing: [{map, restored, msg}]}]."""
    remediation = remediation or {}
    left = remediation.get("queueing_restored") or []
    out = []
    for f in remediation.get("failures") or []:
        step = f.get("failed_step") or {}
        words = [str(x) for x in (step.get("action"), step.get("target")) if x]
        out.append({"unit": f.get("unit"), "step": " ".join(words),
                    "kind": f.get("kind"), "msg": f.get("msg"),
                    "queueing": [{"map": r.get("map"), "restored": r.get("queueing_now") is True, "msg": r.get("msg")}
                                 for r in left if f.get("unit") == "map %s" % r.get("map")]})
    return out


def _sort_worst_first(host_rows, rows):
    """Hosts by status, then by how many violations and warnings; rows by severity, then in the hosts' order."""
    host_rows.sort(key=lambda h: (STATUS_RANK.get(h["status"], 99), -h["counts"].get("violation", 0),
                                  -h["counts"].get("warning", 0), h["host"]))
    order = {h["host"]: i for i, h in enumerate(host_rows)}
    rows.sort(key=lambda r: (SEVERITY_RANK[r["severity"]], order[r["host"]], r["area"], r["check"] or "",
                             r["object"]))


def _fleet_checks(index):
    """(area, check) of every JUnit case: the checks of every area a report ran, every check that fired, and the
    host checks."""
    checks = set()
    for report in index.values():
        if isinstance(report, dict) and "findings" in report:
            for area in report["areas"]:
                checks.update((area, c) for c in AREA_CHECKS.get(area, ()))
            checks.update((f["area"], f["check"]) for f in report["findings"]
                          if f["severity"] in ("error", "violation", "warning"))
    checks.update(("host", c) for c in AREA_CHECKS["host"])
    return sorted(checks)


def _junit_cases(h, report, checks):
    """The JUnit cases of one host (its row h, its report or None): one per check, or the one case that says why the
    host was not checked."""
    if h["status"] == "not_san":
        return [{"name": "run/san_host", "area": "run", "check": "san_host", "state": "skipped",
                 "message": h["reason"], "findings": []}]
    if isinstance(report, dict) and "findings" in report and h["status"] != "failed":
        return _testcases(report, checks)
    if h["status"] == "failed" and isinstance(report, dict):
        return [{"name": "run/reachable", "area": "run", "check": f["check"], "state": "error",
                 "findings": [f]} for f in report["findings"] if f["area"] == "run"][:1]
    if h["status"] == "failed":
        return [{"name": "run/reachable", "area": "run", "check": "reachable", "state": "error",
                 "findings": [{"severity": "error", "object": h["host"], "reason": h["reason"],
                               "action": "", "check": "unreachable_or_failed"}]}]
    return [{"name": "run/reachable", "area": "run", "check": "reachable", "state": "skipped", "findings": []}]


def _verdict_counts(index):
    """How many verdicts of each kind the fleet's reports hold, the healthy ones a compact fact counts included."""
    verdicts = {}
    for report in index.values():
        if isinstance(report, dict):
            for v in report.get("verdicts") or []:
                verdicts[v["kind"]] = verdicts.get(v["kind"], 0) + 1
            summarised = (report.get("summary") or {}).get("healthy_verdicts_summarised") or 0
            if summarised:
                verdicts["healthy"] = verdicts.get("healthy", 0) + summarised
    return verdicts


def _fleet_counts(index, host_rows, rows):
    by_check = {}
    for r in rows:
        by_check[r["check"]] = by_check.get(r["check"], 0) + 1
    # stopped: units a real run stopped; queueing_not_restored: maps they left without the queueing they had
    remediation = {"planned": 0, "refused": 0, "executed": 0, "stopped": 0, "queueing_not_restored": 0}
    for h in host_rows:
        for k in remediation:
            remediation[k] += (h.get("remediation") or {}).get(k, 0)
    # the hosts lost while the module ran there: what it planned and executed on them is unknown
    remediation["unknown"] = sum(1 for r in index.values() if isinstance(r, dict)
                                 and (r.get("remediation") or {}).get("unknown"))
    # the hosts a real run remediated with sanfleet_allow_unreviewed: a plan nobody approved
    remediation["unreviewed"] = sum(1 for r in index.values() if isinstance(r, dict)
                                    and (r.get("remediation") or {}).get("approval") == "unreviewed")
    # per host, what happened to the array (summary.array_state): the job's array gate reads it
    array = dict((state, sum(1 for h in host_rows if (h.get("summary") or {}).get("array_state") == state))
                 for state in ARRAY_STATES)
    return {
        "hosts": len(host_rows),
        "by_status": {s: sum(1 for h in host_rows if h["status"] == s) for s in STATUSES},
        "by_severity": {s: sum(1 for r in rows if r["severity"] == s) for s in SEVERITIES},
        "by_verdict": dict(sorted(_verdict_counts(index).items())),
        "by_check": dict(sorted(by_check.items())),
        "remediation": remediation,
        "array": array,
    }


ARRAY_STATES = ("checked", "not_covered", "unreadable", "read_not_judged", "not_asked")


def fleet_artifact(fleet, run, directory):
    """The job artifact `sanfleet_report` of a fleet report (docs/reports.md): run, dir, counts, host -> status, the
    worst status, the array problems, failed host -> its error, and the array gate. Small (a line per host), so the
    summary, the artifact and the gate of a run are read from it, not from the fleet report built again."""
    hosts = fleet.get("hosts") or []
    return {"run": run, "dir": directory, "counts": fleet["counts"],
            "hosts": dict((h["host"], h["status"]) for h in hosts),
            "worst": hosts[0]["status"] if hosts else "ok",
            "array": fleet["array"],
            "failed": dict((h["host"], h.get("reason")) for h in hosts if h["status"] == "failed"),
            "array_gate": fleet["array_gate"], "array_gate_hosts": fleet.get("array_gate_hosts") or []}


def array_gate(fleet):
    """The one line that fails a job whose array was not read (sanfleet_require_array), or '' when it was: a cluster
    that could not be read for some host, or a cluster given and no host judged against it."""
    counts = (fleet.get("counts") or {}).get("array") or {}
    unread = [a for a in fleet.get("array") or [] if a.get("severity") == "error"]
    if unread:
        return "the array could not be read: %s; every report is written" % "; ".join(
            "%s %s (%s; %d host(s) not judged against it): %s" % (
                a["cluster"], ("HTTP %s" % a["http_status"]) if a.get("http_status") else a["cause"], a["cause"],
                len(a["hosts"]), (a.get("action") or "").split(". ")[0].rstrip(".")) for a in unread)
    if counts.get("unreadable"):
        # only hosts with no SAN device were asked (their reports carry no array finding): the same outage
        reasons = sorted(set((h.get("summary") or {}).get("array_reason") or "" for h in fleet.get("hosts") or []
                             if (h.get("summary") or {}).get("array_state") == "unreadable"))
        return "the array could not be read for %d host(s): %s; every report is written" % (
            counts["unreadable"], "; ".join(reasons))
    if counts.get("not_covered") and not counts.get("checked"):
        return ("the array was read, but no host was judged against it: no device of %d host(s) is served by a "
                "cluster or SVM that was read (is sanfleet_ontap the right list?); every report is written"
                % counts["not_covered"])
    return ""


def array_gate_hosts(fleet):
    """The hosts the array gate concerns, which the gate fails (never a host it does not concern, as a task run once
    on the play's first host did): those whose devices a cluster that could not be read left unjudged, else those the
    array could not be read for, else (no host judged) those no cluster read serves; every host of the report when
    none of these names one (a gate with no host would fail nothing)."""
    hosts = fleet.get("hosts") or []
    unread = sorted(set(h for a in fleet.get("array") or [] if a.get("severity") == "error" for h in a.get("hosts") or []))
    for found in (unread, [h["host"] for h in hosts if (h.get("summary") or {}).get("array_state") == "unreadable"],
                  [h["host"] for h in hosts if (h.get("summary") or {}).get("array_state") == "not_covered"]):
        if found:
            return sorted(found)
    return sorted(h["host"] for h in hosts)


def _fleet_array(index, host_rows):
    """Per cluster problem, once for the fleet: cluster, cause, HTTP status, message, meaning, action, the hosts
    whose devices it left unjudged."""
    out = {}
    for h in host_rows:
        report = index.get(h["host"])
        if not isinstance(report, dict):
            continue
        for f in report.get("findings") or []:
            if f["area"] != "array" or f["severity"] == "info":
                continue  # a cluster that answered after retries (array_retried) left nothing unjudged
            key = (f["object"], f["check"], f["reason"])
            entry = out.setdefault(key, {"cluster": f["object"], "cause": f["check"][len("array_"):],
                                         "severity": f["severity"], "reason": f["reason"], "action": f["action"],
                                         "http_status": None, "hosts": []})
            match = HTTP_STATUS.search(f["reason"])
            if match:
                entry["http_status"] = int(match.group(1) or match.group(2))
            entry["hosts"].append(h["host"])
    return sorted(out.values(), key=lambda e: (e["cluster"], e["cause"]))


SLICE_PREFIX = "sanfleet_slice_"


def merge_slices(slices, expected_hosts=None):
    """One run's data from the artifacts of the slices of a sliced job: ``slices`` maps each slice's artifact key
    (``sanfleet_slice_<job id>``) to what that slice published (``hosts``, ``compliance``, ``reports``).

    AWX merges the artifacts of a sliced job's slices by top-level key, the last slice to finish winning
    (WorkflowJob.get_effective_artifacts, docs/awx.md): a key of every slice's own survives that merge, one shared
    key does not. Returns ``{hosts, compliance, reports, slices, missing}``: every host of every slice, plus
    ``expected_hosts`` that no slice reported (a slice that ended in error publishes nothing), in ``missing``, and
    not compliant (status failed) like every host without a compliance entry."""
    if not isinstance(slices, dict):
        raise AnsibleFilterError("merge_slices expects the slices' artifacts (a dict key -> data), got %s"
                                 % type_name(slices))
    hosts, compliance, reports = [], {}, {}
    for key in sorted(slices):
        data = slices[key]
        if not key.startswith(SLICE_PREFIX) or not isinstance(data, dict):
            raise AnsibleFilterError("merge_slices: %r is not a slice's artifact (%s<job id>: {hosts, compliance, "
                                     "reports})" % (key, SLICE_PREFIX))
        for host in data.get("hosts") or []:
            if host not in hosts:
                hosts.append(host)
        compliance.update(data.get("compliance") or {})
        reports.update(data.get("reports") or {})
    missing = [h for h in expected_hosts or [] if h not in hosts]
    for host in missing + [h for h in hosts if h not in compliance]:
        compliance[host] = {"compliant": False, "status": "failed", "violations": []}
    return {"hosts": sorted(hosts + missing), "compliance": compliance, "reports": reports,
            "slices": len(slices), "missing": missing}
