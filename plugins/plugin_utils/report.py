# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The per-host and fleet reports of a run: data only (the templates of the fleet_report role render them)."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import fc_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact as san_compact
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations, fc_findings
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap import ontap_wwpn

SCHEMA_VERSION = "1.2"
SEVERITIES = ("error", "violation", "warning", "info")
# host status, worst first: the order of the fleet report. failed: unreachable, or a task failed (the report says
# which and why); not_san: no multipath-tools, no iSCSI initiator, no FC HBA - nothing to check.
STATUSES = ("failed", "error", "violation", "warning", "ok", "not_san", "not_run")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

# What to do, per check. The runbook (docs/runbook.md) explains each one at length.
ACTIONS = {
    "stale_unmapped": "The array no longer maps this LUN: remove it with playbooks/remediate.yml (--check first).",
    "serial_mismatch": "The LUN id now carries another LUN: stop I/O on it; remediate repairs it (delete, exact "
                       "rescan, verify the serial).",
    "unexpected_visibility": "The host sees a LUN that is not mapped to its initiators: review the igroup layout "
                             "(shared igroups) before removing anything.",
    "paths_down_but_mapped": "The array still maps this LUN: repair the paths (network, target, zoning); never "
                             "remove it.",
    "unknown_array": "Not an ONTAP LUN: judge it by hand or with the host_evidence policy.",
    "all_paths_failed": "Every path failed: run the audit with the array's truth to know whether it is stale.",
    "some_paths_failed": "Some paths failed: check the network, the target portals and the zoning.",
    "orphan_path": "A SAN disk that belongs to no map: check multipath's blacklist and find_multipaths, or the "
                   "array's mapping.",
    "ghost_map": "A map without paths: remove it with playbooks/remediate.yml when nothing uses it.",
    "in_use": "The device is in use: stop the user (unmount, vgchange -an, close) before any removal.",
    "live_map_queueing": "The map queues I/O forever when its paths fail: set no_path_retry to a number "
                         "(role multipath_config, multipath_config_fix=true) and reload multipathd.",
    "no_path_retry_queue": "Set no_path_retry to a number of checks (role multipath_config).",
    "features_queue_if_no_path": "Remove queue_if_no_path from features (role multipath_config).",
    "dev_loss_tmo_infinity": "Set dev_loss_tmo to a number of seconds (role multipath_config).",
    "recheck_wwid_off": "Set recheck_wwid yes so a reused LUN id is not added to the old map (role multipath_config).",
    "uxsock_timeout_short": "Raise uxsock_timeout in multipath.conf's defaults (role multipath_config, "
                            "multipath_config_uxsock_timeout) so queries of multipathd do not time out on this host.",
    "node.session.scan": "Set node.session.scan = manual in iscsid.conf and the node records (role "
                         "iscsi_scan_manual), so a rescan adds only the LUNs you ask for.",
    "no_lvm_filter": "Add an LVM global_filter (or a devices file) that accepts only the multipath maps of SAN "
                     "LUNs, not their sd paths.",
    "san_device_accepted": "LVM scans this SAN device: reject it in global_filter (sd paths) or accept only "
                           "its multipath map.",
    "san_device_in_devices_file": "The LVM devices file lists this SAN device: replace it by its multipath map.",
    "rport_tmo_mismatch": "multipathd did not apply its settings to this FC remote port: run 'multipathd "
                          "reconfigure' (role multipath_config applies it with the fix) and audit again; while the "
                          "rport is Blocked it cannot be written.",
    "rport_fast_io_fail_off": "Set fast_io_fail_tmo (e.g. 5) for these LUNs in multipath.conf and reconfigure "
                              "multipathd, so I/O fails over in seconds rather than after dev_loss_tmo; when "
                              "multipathd turned it off because dev_loss_tmo is not above it, raise dev_loss_tmo "
                              "(the finding's recommendation).",
    "rport_dev_loss_long": "Set dev_loss_tmo to a number of seconds and no_path_retry to a number (role "
                           "multipath_config) and reconfigure multipathd, so a dead rport and its devices go.",
    "rport_down_with_devices": "The target port is down with devices below it: repair the fabric (zoning, "
                               "target port, cable); if the LUNs are gone, judge them with the array's truth "
                               "(audit with sanfleet_ontap) before removing anything.",
    "fc_host_linkdown": "The HBA port has no link: check the cable, the SFP and the switch port (or disable "
                        "the unused port).",
    "fc_unreadable": "An FC attribute could not be read (or the settings not judged): look at the sysfs of the "
                     "port named; its timeouts are not judged in this run (a violation when a target port's "
                     "timeouts, or the remote ports, were not read: the host is not known to comply); audit "
                     "again.",
    "device_unreadable": "Reading this device's sysfs did not finish: find what blocks it (a hung path, a "
                         "suspended map) before trusting the LVM audit of this host.",
}
DEFAULT_ACTION = "See docs/runbook.md for this check."
FACT_SEVERITY = {"in_use": "warning", "all_paths_failed": "warning", "ghost_map": "warning",
                 "orphan_path": "warning", "some_paths_failed": "warning"}
VERDICT_SEVERITY = {"healthy": None, "paths_down_but_mapped": "warning", "unknown_array": "info"}


# Why an ONTAP cluster could not be read, from the problem's message (the lookups keep only the message: it is what
# their run-wide cache stores). (cause, pattern, what it means, what to do); the first match wins.
_ARRAY_CAUSES = (
    ("auth", r"HTTP 401\b",
     "ONTAP refused the login: the user name or password (or client certificate) is wrong, or the account is "
     "locked or has no http/ontapi access.",
     "Fix the credential of this cluster (sanfleet_ontap or the AWX ONTAP credential) and check the account with "
     "'security login show'. The run logs in once per cluster, so a wrong password does not lock the account."),
    ("forbidden", r"HTTP 403\b",
     "ONTAP accepted the login but the account's role may not read this API.",
     "Give the account a read-only role on the cluster (or the SVM) that covers /api/storage/luns and "
     "/api/protocols/san (docs/ontap.md)."),
    ("not_found", r"HTTP 404\b",
     "The address answers, but not with ONTAP's REST API (ONTAP 9.6 or later), or the SVM does not exist.",
     "Check hostname and http_port: they must name the cluster management LIF, not a node or a proxy."),
    ("unavailable", r"HTTP 5\d\d\b",
     "ONTAP answered with a server error: its API service is unavailable (starting, overloaded, a takeover) or a "
     "proxy in between failed.",
     "Run again when the cluster is healthy ('cluster show', 'system services web show'); nothing was judged "
     "against the array in this run."),
    ("tls", r"CERTIFICATE_VERIFY_FAILED|SSLError|certificate verify failed|SSL: |X509|ca_path|No such file",
     "The TLS connection failed: the cluster's certificate is not signed by a CA the controller trusts, or the CA "
     "file given is empty or missing.",
     "Give ca_path (the CA that signed the cluster's certificate) or leave it out for the system trust store; in "
     "AWX leave the credential's CA field blank rather than pasting an empty certificate."),
    ("dns", r"Name or service not known|NameResolutionError|nodename nor servname|getaddrinfo|Temporary failure in "
            r"name resolution",
     "The cluster's hostname does not resolve on the controller.",
     "Fix hostname in sanfleet_ontap (the cluster management LIF's name or address) or the controller's DNS."),
    ("refused", r"Connection refused|Errno 111|NewConnectionError",
     "Nothing accepts connections at that address and port: a wrong hostname or http_port, a firewall, or the "
     "cluster management LIF is down.",
     "Check hostname and http_port, and that the controller (or the AWX execution node) reaches the cluster "
     "management LIF on HTTPS."),
    ("timeout", r"timed out|Timeout|ConnectTimeout|ReadTimeout",
     "The cluster did not answer in time.",
     "Check the network path to the cluster management LIF; raise timeout in sanfleet_ontap for a slow cluster."),
    ("not_ontap", r"no records list|not ONTAP|carries no cluster name|_links.next",
     "The answer was not ONTAP's (a proxy's page, an empty answer, a broken paging link).",
     "Point hostname at the cluster management LIF directly; see the message for the request that failed."),
    ("config", r"sanfleet_ontap|hostname is required|give username and password|netapp.ontap",
     "The cluster entry cannot be used as given.",
     "Fix sanfleet_ontap (docs/ontap.md) or install what the message names."),
)
_HTTP_STATUS = re.compile(r"\(HTTP (\d{3})\)|HTTP (\d{3})\b")


def array_problem(problem):
    """One problem of the array truth (ontap_truth / ontap_igroups: cluster, svm, kind, msg), explained: cause,
    HTTP status (or None for a connection error), what it means and what to do."""
    problem = problem if isinstance(problem, dict) else {"msg": str(problem)}
    msg = str(problem.get("msg") or "")
    kind = problem.get("kind") or "lookup_failed"
    match = _HTTP_STATUS.search(msg)
    out = {"cluster": problem.get("cluster"), "svm": problem.get("svm"), "kind": kind, "msg": msg,
           "http_status": int(match.group(1) or match.group(2)) if match else None}
    if kind == "svm_scoped_login":
        out.update(cause="svm_scoped_login", meaning="The account is scoped to an SVM: it may not see every "
                   "mapping of the cluster, so nothing is removed on the strength of it.",
                   action="Use a cluster-scoped read-only account, or accept that removals stay blocked.")
    elif kind == "dropped_mapping":
        out.update(cause="dropped_mapping", meaning="A LUN map names an igroup the igroups answer did not hold "
                   "(the mapping changed between two requests).", action="Run again; it is transient.")
    elif kind == "no_cluster":
        out.update(cause="no_cluster", meaning="No ONTAP cluster was given, so no device was judged against "
                   "the array.", action="Set sanfleet_ontap (docs/ontap.md) or attach the AWX ONTAP credential.")
    else:
        for cause, pattern, meaning, action in _ARRAY_CAUSES:
            if re.search(pattern, msg):
                out.update(cause=cause, meaning=meaning, action=action)
                break
        else:
            out.update(cause="other", meaning="The cluster could not be read.",
                       action="Read the message; nothing was judged against this cluster in this run.")
    return out


def array_problem_text(p):
    """'cluster cl1: HTTP 401 (auth): <meaning>'."""
    where = "cluster %s%s" % (p.get("cluster") or "?", "/%s" % p["svm"] if p.get("svm") else "")
    what = ("HTTP %s" % p["http_status"]) if p.get("http_status") else p.get("cause")
    return "%s: %s (%s): %s" % (where, what, p.get("cause"), p.get("meaning"))


def _array_blocking(san):
    """The array problems that leave the host's devices unjudged (a cluster not read, or no cluster at all)."""
    array = san.get("array") if isinstance(san.get("array"), dict) else {}
    return [array_problem(p) for p in array.get("problems") or [] if p.get("kind") in ("lookup_failed", "no_cluster")]


def _ran(result):
    return isinstance(result, dict) and not result.get("skipped")


def _row(area, check, severity, obj, reason="", device=None, setting=None, value=None, recommended=None,
         wwid=None, action=None):
    return {"area": area, "check": check, "severity": severity, "object": str(obj) if obj is not None else "",
            "device": device, "wwid": wwid, "setting": setting, "value": None if value is None else str(value),
            "recommended": None if recommended is None else str(recommended),
            "reason": reason or "", "action": action or ACTIONS.get(check, DEFAULT_ACTION)}


def _violation_rows(parts):
    rows = []
    for v in compliance_violations(parts):
        reason = v.get("reason") or v["text"]
        if v["check"] == "live_map_queueing":
            reason = "the live table of map %s has queue_if_no_path: I/O to it hangs when its paths fail" % v["object"]
        if v.get("setting") and v["area"] == "multipath" and v["check"] != "live_map_queueing":
            tail = (": %s" % v["reason"]) if v.get("reason") else ""
            reason = "%s = %s in %s%s" % (v["setting"], v.get("value"), v["object"], tail)
        rows.append(_row(v["area"], v["check"], "violation", v["object"], reason, device=v.get("device"),
                         setting=v.get("setting"), value=v.get("value"), recommended=v.get("recommended"),
                         wwid=v.get("wwid")))
    return rows


def _info_rows(parts):
    """Findings the audits report below the violation line (C(info), shadowed), so a reader sees them too."""
    rows = []
    mp = parts.get("multipath")
    if _ran(mp):
        for f in mp.get("remaining_findings") or []:
            if f.get("severity", "warning") == "warning":
                continue
            scope = f.get("scope") or ""
            setting = f.get("key")
            reason = "%s = %s in %s" % (setting, f.get("value"), scope) if setting else scope
            rows.append(_row("multipath", f.get("check"), "info", scope, "%s%s" % (
                reason, (": %s" % f["reason"]) if f.get("reason") else ""), setting=setting, value=f.get("value"),
                recommended=f.get("recommended")))
    lvm = parts.get("lvm")
    if _ran(lvm):
        for f in lvm.get("findings") or []:
            if f.get("severity", "warning") == "warning":
                continue
            rows.append(_row("lvm", f.get("check"), "info", f.get("object"), f.get("reason") or "",
                             device=f.get("object")))
    return rows


def _array_rows(san):
    """One error row per cluster problem of the host's array truth: the cluster, the HTTP status or connection
    error, what it means and what to do."""
    array = san.get("array") if isinstance(san.get("array"), dict) else {}
    rows = []
    for prob in array.get("problems") or []:
        p = array_problem(prob)
        blocking = p["kind"] in ("lookup_failed", "no_cluster")
        rows.append(_row("array", "array_" + p["cause"], "error" if blocking else "warning",
                         p.get("cluster") or "sanfleet_ontap", "%s %s" % (p["meaning"], p["msg"]),
                         action=p["action"]))
    return rows


def _san_rows(san):
    rows = _array_rows(san)
    judged = set()
    unread = _array_blocking(san)
    for v in san.get("verdicts") or []:
        kind = v.get("kind")
        if kind == "healthy" or kind in ("stale_unmapped", "serial_mismatch", "unexpected_visibility"):
            if kind != "healthy":
                judged.add(v.get("name"))
            continue
        judged.add(v.get("name"))
        if kind == "not_covered" and unread:
            # not "served by no SVM the array covers": the array was not read at all
            rows.append(_row("stale", kind, "info", v.get("name"),
                             "not judged against the array: " + "; ".join(array_problem_text(p) for p in unread),
                             device=v.get("name"), wwid=v.get("wwid"),
                             action="Fix the array access (the array finding of this host), then run again."))
            continue
        rows.append(_row("stale", kind, VERDICT_SEVERITY.get(kind, "warning"), v.get("name"), v.get("reason"),
                         device=v.get("name"), wwid=v.get("wwid")))
    for f in san.get("findings") or []:
        if f.get("name") in judged:
            continue  # the verdict says more than the host-only finding
        rows.append(_row("host", f.get("kind"), FACT_SEVERITY.get(f.get("kind"), "warning"), f.get("name"),
                         f.get("reason"), device=f.get("name"), wwid=f.get("wwid")))
    for e in san.get("errors") or []:
        rows.append(_row("host", "read_error", "error", e.get("what"), e.get("msg"),
                         action="A read did not finish in time or failed: look at the device named; the rest of "
                                "the report is partial."))
    return rows


def _summary(san):
    unread = _array_blocking(san)
    host = san.get("host") or {}
    maps = san.get("maps") or {}
    healthy_maps = (san.get("healthy") or {}).get("maps") or {}
    n_maps, n_disks = san_compact.counts(san)
    failed = 0
    for mp in maps.values():
        paths = mp.get("paths") or []
        if paths and all(p.get("dm_state") == "failed" or p.get("checker_state") == "faulty" for p in paths):
            failed += 1
    return {
        "collected_at": san.get("collected_at"),
        "iscsi_iqn": host.get("iscsi_iqn"),
        "fc_wwpns": list(host.get("fc_wwpns") or []),
        "multipathd_running": host.get("multipathd_running"),
        "iscsi_sessions": len(san.get("iscsi_sessions") or []),
        "maps": n_maps,
        "maps_all_paths_failed": failed,
        "maps_queueing": sum(1 for mp in maps.values() if mp.get("queueing")) + (healthy_maps.get("queueing") or 0),
        "disks": n_disks,
        # the healthy verdicts a compact fact counts instead of listing (stale_mpath_facts detail=compact)
        "healthy_verdicts_summarised": healthy_maps.get("count") or 0 if "verdicts" in san else 0,
        "array_checked": "verdicts" in san and not unread,
        "array_reason": ("; ".join(array_problem_text(p) for p in unread) if unread
                         else None if "verdicts" in san else "the array was not asked (no sanfleet_ontap)"),
    }


def _steps(steps):
    return [{"action": s.get("action"), "target": s.get("target"), "reason": s.get("reason"),
             "outcome": s.get("outcome"), "detail": s.get("detail")} for s in steps or []]


def _remediation(plan, applied):
    out = {"planned": [], "refused": [], "executed": [], "failed_step": None, "refusal": None, "failures": []}
    out["blocked"] = []
    if _ran(plan):
        out["planned"] = _steps(plan.get("steps"))
        out["blocked"] = [{"why": b.get("why"), "msg": b.get("msg")} for b in plan.get("blocked") or []]
        out["refused"] = [{"name": r.get("name"), "kind": r.get("kind"), "reason": r.get("reason")}
                          for r in plan.get("refused") or []]
    if _ran(applied):
        out["executed"] = _steps(applied.get("executed"))
        out["failed_step"] = applied.get("failed_step")
        out["refusal"] = applied.get("refusal")
        out["failures"] = applied.get("failures") or []
    out["counts"] = {"planned": len(out["planned"]), "refused": len(out["refused"]),
                     "executed": sum(1 for s in out["executed"] if s.get("outcome") == "done")}
    return out


NOT_SAN_REASON = ("not a SAN host: no multipath-tools, no iSCSI initiator name, no FC HBA, no SAN disk; nothing "
                  "was checked")


def host_report(parts, host, run="audit"):
    if not isinstance(parts, dict):
        raise AnsibleFilterError("host_report expects a dict of results, got %s" % type(parts).__name__)
    if not host:
        raise AnsibleFilterError("host_report needs the inventory name of the host")
    san = parts.get("san") if isinstance(parts.get("san"), dict) else {}
    failed = parts.get("failed") if isinstance(parts.get("failed"), dict) else None
    not_san = bool(parts.get("not_san")) and not failed
    if failed or not_san:
        # a host that failed or is not a SAN host: what it produced before is not a judgement of the host
        san = {}
        parts = {"errors": parts.get("errors")}
    findings = _violation_rows(parts) + _san_rows(san) + _info_rows(parts) + _fc_rows(san, parts.get("multipath"))
    if failed:
        check = "unreachable" if failed.get("unreachable") else "task_failed"
        what = failed.get("task") or ("connection" if failed.get("unreachable") else "task")
        findings.append(_row("run", check, "error", what, str(failed.get("msg") or "no message"),
                             action="Unreachable: check the connection (address, SSH, credentials, sudo), then run "
                                    "again for this host (--limit)." if failed.get("unreachable") else
                                    "The run stopped on this host at this task: read the message, fix the cause, "
                                    "run again for this host (--limit)."))
    if not_san:
        findings.append(_row("host", "not_san", "info", host, NOT_SAN_REASON,
                             action="Nothing to do; leave the host out of the SAN inventory group to skip it."))
    for e in parts.get("errors") or []:
        findings.append(_row("run", "task_error", "error", e.get("what"), e.get("msg"),
                             action="A task failed on this host: see the job output; the report is partial."))
    applied = parts.get("applied")
    if _ran(applied) and applied.get("failed"):
        # one row per unit stopped at act time (the other units ran to the end); older results name one step
        stopped = applied.get("failures") or [{"failed_step": applied.get("failed_step"), "msg": applied.get("msg")}]
        for f in stopped:
            step = f.get("failed_step") or {}
            findings.append(_row("remediate", "step_failed", "error", step.get("target") or "stale_cleanup",
                                 f.get("msg") or applied.get("msg") or "", device=step.get("target"),
                                 action="The rollout stopped here: read the refusal, fix the cause, run --check "
                                        "again."))
    findings.sort(key=lambda f: (SEVERITY_RANK[f["severity"]], f["area"], f["check"] or "", f["object"]))
    areas = [a for a in ("multipath", "iscsi", "lvm") if _ran(parts.get(a))]
    fc_ports = _fc_ports(san)
    if fc_ports:
        areas.append("fc")
    if san:
        areas.append("stale" if "verdicts" in san and not _array_blocking(san) else "host")
        if (san.get("array") or {}).get("problems"):
            areas.append("array")
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES}
    status = next((s for s in SEVERITIES[:3] if counts[s]), "ok")
    if failed:
        status = "failed"
    elif not_san:
        status = "not_san"
    report = {
        "schema_version": SCHEMA_VERSION,
        "host": host,
        "run": run,
        "status": status,
        "areas": areas,
        "counts": counts,
        "summary": _summary(san),
        "verdicts": [{"kind": v.get("kind"), "object": v.get("object"), "name": v.get("name"), "wwid": v.get("wwid"),
                      "lun": v.get("lun"), "reason": v.get("reason"), "evidence": v.get("evidence") or {}}
                     for v in san.get("verdicts") or []],
        "findings": findings,
        "errors": [{"what": e.get("what"), "msg": e.get("msg")}
                   for e in (san.get("errors") or []) + list(parts.get("errors") or [])],
    }
    if failed:
        report["errors"].append({"what": findings[-1]["object"], "msg": str(failed.get("msg") or "no message")})
    if fc_ports:
        mp = parts.get("multipath")
        # whether the target rports were compared with the effective multipath settings (JUnit: a comparison
        # not made is skipped, not passed)
        report["fc"] = dict(fc_ports, tmo_compared=bool(fc_ports["targets"] is not None and _ran(mp)
                                                        and mp.get("tmo_settings")))
    if run == "remediate":
        report["remediation"] = _remediation(parts.get("plan"), applied)
    return report


def _fc_rows(san, multipath):
    """The FC audit's warnings (port states, unread attributes); its violations come through
    compliance_violations, as the other audits' do."""
    rows = []
    for f in fc_findings(san, multipath) if san else []:
        if f["severity"] == "violation":
            continue
        rows.append(_row("fc", f["check"], f["severity"], f["object"], f["reason"], device=f.get("device"),
                         setting=f.get("setting"), value=f.get("value"), recommended=f.get("recommended")))
    return rows


def _fc_ports(san):
    """Per host: the initiators (FC host ports) and the targets (target rports), WWPNs in the report's form;
    None on a host without FC."""
    host = (san or {}).get("host") or {}
    if not host.get("fc_hosts") and not host.get("fc_rports"):
        return None
    return fc_audit.ports(san, wwpn_form=ontap_wwpn)


# JUnit: one test case per host x check. The checks every run of an area makes, whether they fire or not, so a
# dashboard shows a compliant host as passed cases rather than as nothing.
AREA_CHECKS = {
    "multipath": ("no_path_retry_queue", "features_queue_if_no_path", "dev_loss_tmo_infinity", "recheck_wwid_off",
                  "live_map_queueing"),
    "iscsi": ("node.session.scan",),
    "lvm": ("no_lvm_filter", "san_device_accepted"),
    "fc": ("rport_tmo_mismatch", "rport_fast_io_fail_off", "rport_dev_loss_long", "rport_down_with_devices",
           "fc_host_linkdown"),
    "stale": ("stale_unmapped", "serial_mismatch", "unexpected_visibility", "paths_down_but_mapped"),
    "host": ("all_paths_failed", "some_paths_failed", "orphan_path", "ghost_map", "in_use", "read_error"),
}


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
        elif area == "fc" and check.startswith("rport_") and not hits and _fc_unjudged(report, check):
            case["state"] = "skipped"
            case["message"] = _fc_unjudged(report, check)
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


def fleet_report(reports, hosts, active_hosts=None, generated_at=None, run=None):
    """Rows (host x finding, worst first), counts and JUnit cases for the whole play.

    reports: the per-host reports (a list, or a dict host -> report); undefined/None for hosts without one.
    hosts: every host of the play (ansible_play_hosts_all). active_hosts: the hosts still in the play
    (ansible_play_hosts): a host in neither reports nor active_hosts failed or was unreachable.
    """
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("fleet_report expects the list of the play's hosts, got %s" % type(hosts).__name__)
    if isinstance(reports, dict):
        index = dict(reports)
    else:
        index = {r["host"]: r for r in reports or [] if isinstance(r, dict) and r.get("host")}
    active = set(active_hosts if active_hosts is not None else hosts)
    host_rows, rows = [], []
    for host in hosts:
        report = index.get(host)
        if not isinstance(report, dict) or "status" not in report:
            status = "not_run" if host in active else "failed"
            reason = ("no report yet (a later batch of the rollout)" if status == "not_run"
                      else "unreachable, or failed before its report: see the job output")
            host_rows.append({"host": host, "status": status, "counts": {s: 0 for s in SEVERITIES},
                              "summary": {}, "reason": reason, "remediation": None, "fc": None})
            if status == "failed":
                rows.append(dict(_row("run", "unreachable_or_failed", "error", host, reason,
                                      action="Check the connection and the job output for this host, then run "
                                             "the audit again for it (--limit)."), host=host, status=status))
            continue
        reason = ""
        if report["status"] in ("failed", "not_san"):
            reason = next((f["reason"] for f in report["findings"] if f["check"] in (
                "unreachable", "task_failed", "not_san")), "")
        elif (report.get("remediation") or {}).get("blocked"):
            reason = "no removal planned: " + "; ".join(b.get("msg") or b.get("why") or ""
                                                        for b in report["remediation"]["blocked"])
        host_rows.append({"host": host, "status": report["status"], "counts": report["counts"],
                          "summary": report.get("summary") or {}, "reason": reason,
                          "remediation": (report.get("remediation") or {}).get("counts"),
                          "fc": report.get("fc")})
        for f in report["findings"]:
            rows.append(dict(f, host=host, status=report["status"]))
    host_rows.sort(key=lambda h: (STATUS_RANK.get(h["status"], 99), -h["counts"].get("violation", 0),
                                  -h["counts"].get("warning", 0), h["host"]))
    order = {h["host"]: i for i, h in enumerate(host_rows)}
    rows.sort(key=lambda r: (SEVERITY_RANK[r["severity"]], order[r["host"]], r["area"], r["check"] or "",
                             r["object"]))
    checks = set()
    for report in index.values():
        if isinstance(report, dict) and "findings" in report:
            for area in report["areas"]:
                checks.update((area, c) for c in AREA_CHECKS.get(area, ()))
            checks.update((f["area"], f["check"]) for f in report["findings"]
                          if f["severity"] in ("error", "violation", "warning"))
    checks.update(("host", c) for c in AREA_CHECKS["host"])
    checks = sorted(checks)
    junit = []
    for h in sorted(host_rows, key=lambda h: h["host"]):
        report = index.get(h["host"])
        if h["status"] == "not_san":
            cases = [{"name": "run/san_host", "area": "run", "check": "san_host", "state": "skipped",
                      "message": h["reason"], "findings": []}]
        elif isinstance(report, dict) and "findings" in report and h["status"] != "failed":
            cases = _testcases(report, checks)
        elif h["status"] == "failed" and isinstance(report, dict):
            cases = [{"name": "run/reachable", "area": "run", "check": f["check"], "state": "error",
                      "findings": [f]} for f in report["findings"] if f["area"] == "run"][:1]
        elif h["status"] == "failed":
            cases = [{"name": "run/reachable", "area": "run", "check": "reachable", "state": "error",
                      "findings": [{"severity": "error", "object": h["host"], "reason": h["reason"],
                                    "action": "", "check": "unreachable_or_failed"}]}]
        else:
            cases = [{"name": "run/reachable", "area": "run", "check": "reachable", "state": "skipped",
                      "findings": []}]
        junit.append({"host": h["host"], "cases": cases})
    verdicts = {}
    for report in index.values():
        if isinstance(report, dict):
            for v in report.get("verdicts") or []:
                verdicts[v["kind"]] = verdicts.get(v["kind"], 0) + 1
            summarised = (report.get("summary") or {}).get("healthy_verdicts_summarised") or 0
            if summarised:
                verdicts["healthy"] = verdicts.get("healthy", 0) + summarised
    by_check = {}
    for r in rows:
        by_check[r["check"]] = by_check.get(r["check"], 0) + 1
    remediation = {"planned": 0, "refused": 0, "executed": 0}
    for h in host_rows:
        for k in remediation:
            remediation[k] += (h.get("remediation") or {}).get(k, 0)
    return {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "generated_at": generated_at,
        "array": _fleet_array(index, host_rows),
        "hosts": host_rows,
        "rows": rows,
        "junit": junit,
        "counts": {
            "hosts": len(host_rows),
            "by_status": {s: sum(1 for h in host_rows if h["status"] == s) for s in STATUSES},
            "by_severity": {s: sum(1 for r in rows if r["severity"] == s) for s in SEVERITIES},
            "by_verdict": dict(sorted(verdicts.items())),
            "by_check": dict(sorted(by_check.items())),
            "remediation": remediation,
        },
    }


def _fleet_array(index, host_rows):
    """Per cluster problem, once for the fleet: cluster, cause, HTTP status, message, meaning, action, the hosts
    whose devices it left unjudged."""
    out = {}
    for h in host_rows:
        report = index.get(h["host"])
        if not isinstance(report, dict):
            continue
        for f in report.get("findings") or []:
            if f["area"] != "array":
                continue
            key = (f["object"], f["check"], f["reason"])
            entry = out.setdefault(key, {"cluster": f["object"], "cause": f["check"][len("array_"):],
                                         "severity": f["severity"], "reason": f["reason"], "action": f["action"],
                                         "http_status": None, "hosts": []})
            match = _HTTP_STATUS.search(f["reason"])
            if match:
                entry["http_status"] = int(match.group(1) or match.group(2))
            entry["hosts"].append(h["host"])
    return sorted(out.values(), key=lambda e: (e["cluster"], e["cause"]))


def igroup_layout(igroups):
    """Per cluster: igroups shared by several inventory hosts, initiators in the igroups of several hosts, LUNs
    that reach one host through more than one igroup (records of the ontap_igroups lookup, called with hosts)."""
    if not isinstance(igroups, (list, tuple)):
        raise AnsibleFilterError("igroup_layout expects the ontap_igroups records (a list), got %s"
                                 % type(igroups).__name__)
    clusters, problems = {}, {}
    for ig in igroups:
        if isinstance(ig, dict) and ig.get("problem"):
            # a cluster the ontap_igroups lookup could not read: named, not laid out
            problems.setdefault(ig.get("cluster") or "-", []).append(array_problem(ig["problem"]))
            continue
        clusters.setdefault(ig.get("cluster") or "-", []).append(ig)
    out = []
    for cluster in sorted(clusters):
        groups = clusters[cluster]
        shared = [{"svm": g.get("svm"), "igroup": g.get("name"), "hosts": sorted(g.get("hosts") or []),
                   "sharing": g.get("sharing"), "initiators": list(g.get("initiators") or [])}
                  for g in groups if g.get("shared")]
        owners = {}
        for g in groups:
            for init in g.get("initiators") or []:
                owners.setdefault(init.lower(), set()).update(g.get("hosts") or [])
        in_groups = {}
        for g in groups:
            for init in g.get("initiators") or []:
                in_groups.setdefault(init.lower(), []).append("%s:%s" % (g.get("svm"), g.get("name")))
        multi_host_initiators = [{"initiator": init, "hosts": sorted(owners[init]), "igroups": sorted(in_groups[init])}
                                 for init in sorted(owners) if len(owners[init]) > 1]
        reach = {}
        for g in groups:
            for host in g.get("hosts") or []:
                for m in g.get("lun_maps") or []:
                    key = (host, g.get("svm"), m.get("path"))
                    reach.setdefault(key, []).append({"igroup": g.get("name"), "lun_id": m.get("lun_id"),
                                                      "wwid": m.get("wwid")})
        multi_igroup_luns = [{"host": h, "svm": svm, "path": path, "wwid": via[0]["wwid"],
                              "igroups": sorted(v["igroup"] for v in via),
                              "lun_ids": sorted({v["lun_id"] for v in via})}
                             for (h, svm, path), via in sorted(reach.items()) if len(via) > 1]
        out.append({"cluster": cluster, "igroups": len(groups), "shared_igroups": shared,
                    "multi_host_initiators": multi_host_initiators, "multi_igroup_luns": multi_igroup_luns,
                    "problems": []})
    for cluster in sorted(problems):
        out.append({"cluster": cluster, "igroups": 0, "shared_igroups": [], "multi_host_initiators": [],
                    "multi_igroup_luns": [], "problems": problems[cluster]})
    return out
