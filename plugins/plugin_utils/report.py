# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The per-host report of a run: data only (the templates of the fleet_report role render it). The fleet report
(report_fleet.py), the igroup layout (report_igroups.py), what a finding says (report_findings.py) and the
remediation part of a remediate run (report_remediation.py) live beside it."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import fc_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import is_fabrics
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import (
    STALE_VERDICTS,
    compliance_violations,
    fc_findings,
    names_text,
    nvme_judged,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_records import ontap_wwpn
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_remediation import (
    ran,
    remediation_part,
    stopped_rows,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import (
    NVME_ACTIONS,
    SCHEMA_VERSION,
    SEVERITIES,
    SEVERITY_RANK,
    array_problem,
    array_problem_text,
    finding_row,
)
# the fleet views: the filters and their callers take all the reports from here
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_fleet import (  # pylint: disable=unused-import
    fleet_report,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_identity import (  # pylint: disable=unused-import
    fleet_identity,
    fleet_identity_violations,
    host_identities,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_igroups import (  # pylint: disable=unused-import
    igroup_layout,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name

# the severity of a host finding's and a verdict's row (check_registry); a healthy verdict has no row
FACT_SEVERITY = check_registry.severities("host")
VERDICT_SEVERITY = dict(check_registry.severities("stale"), healthy=None)


# the problems of the SCSI truth that leave the host's SCSI devices unjudged: a cluster not read, no cluster at all, a
# SCSI part that is not the contract
UNJUDGED_KINDS = ("lookup_failed", "no_cluster", "unusable_truth")


def _array_blocking(san):
    """The array problems that leave the host's devices unjudged (UNJUDGED_KINDS)."""
    array = san.get("array") if isinstance(san.get("array"), dict) else {}
    return [array_problem(p) for p in array.get("problems") or [] if p.get("kind") in UNJUDGED_KINDS]


def _violation_rows(parts):
    rows = []
    for v in compliance_violations(parts):
        reason = v.get("reason") or v["text"]
        if v["check"] == "live_map_queueing":
            reason = ("the live table of map %s has queue_if_no_path: I/O to it hangs when its paths fail" % v["device"]
                      if v.get("device") else "the live tables of these maps have queue_if_no_path: I/O to them hangs "
                      "when their paths fail: %s" % names_text(v["devices"]))
        elif v.get("devices") and not v.get("device"):
            reason = "%s: %s" % (reason, names_text(v["devices"]))
        if v.get("setting") and v["area"] == "multipath" and v["check"] != "live_map_queueing":
            tail = (": %s" % v["reason"]) if v.get("reason") else ""
            reason = "%s = %s in %s%s" % (v["setting"], v.get("value"), v["object"], tail)
        rows.append(finding_row(v["area"], v["check"], "violation", v["object"], reason, device=v.get("device"),
                                setting=v.get("setting"), value=v.get("value"), recommended=v.get("recommended"),
                                wwid=v.get("wwid"), devices=v.get("devices"),
                                action=NVME_ACTIONS[v["check"]] if v.get("family") == "nvme" else None))
    return rows


def _info_rows(parts):
    """Findings the audits report below the violation line (C(info), shadowed), so a reader sees them too.
    multipath_conf's `remaining_findings` holds the active warnings only (judge.multipath_audit.active): these are
    in its `findings`."""
    rows = []
    mp = parts.get("multipath")
    if ran(mp):
        for f in compact_audit.multipath_result(mp, "compact").get("findings") or []:
            if f.get("severity", "warning") == "warning" and not f.get("shadowed"):
                continue
            scope = f.get("scope") or ""
            setting = f.get("key")
            reason = "%s = %s in %s" % (setting, f.get("value"), scope) if setting else scope
            tail = (": %s" % f["reason"]) if f.get("reason") else ""
            if f.get("shadowed"):
                tail += " (a scope of higher precedence overrides it: nothing to fix here)"
            rows.append(finding_row("multipath", f.get("check"), "info", scope, reason + tail, setting=setting,
                                    value=f.get("value"), recommended=f.get("recommended")))
    lvm = parts.get("lvm")
    if ran(lvm):
        for f in compact_audit.lvm_result(lvm, "compact").get("findings") or []:
            if f.get("severity", "warning") == "warning":
                continue
            names = f.get("devices")
            if f.get("check") in compact_audit.PER_DEVICE_CHECKS and isinstance(names, list):
                # one row for every device of the finding (compact_audit): the names in `devices`; other findings
                # with `devices` (san_vg_active: the VG's devices) are about their object, not a group
                rows.append(finding_row("lvm", f.get("check"), "info", names[0] if len(names) == 1 else "%d %s" % (
                    len(names), f.get("object")), "%s: %s" % (f.get("reason") or "", names_text(names)),
                    device=names[0] if len(names) == 1 else None, devices=names))
                continue
            rows.append(finding_row("lvm", f.get("check"), "info", f.get("object"), f.get("reason") or "",
                                    device=f.get("object")))
    return rows


def _array_rows(san):
    """One error row per cluster problem of the host's array truth: the cluster, the HTTP status or connection
    error, what it means and what to do."""
    array = san.get("array") if isinstance(san.get("array"), dict) else {}
    rows = []
    # the NVMe read's own problems leave the NVMe devices unjudged, as the SAN ones leave the LUNs; a cluster that
    # could not be read at all is in both lists (ontap_truth): one row
    said = set((p.get("cluster"), p.get("kind"), p.get("msg")) for p in array.get("problems") or [])
    # an NVMe read's problem leaves unjudged the NVMe-oF devices only: on a host known to have none it left nothing
    # unjudged (a FlashArray's NVMe part, which is not read, would fail every run's array gate)
    absent = _no_nvme_of(san)
    for prob, what in [(p, "") for p in array.get("problems") or []] + [
            (p, "NVMe: ") for p in array.get("nvme_problems") or []
            if isinstance(p, dict) and (p.get("cluster"), p.get("kind"), p.get("msg")) not in said]:
        p = array_problem(prob)
        blocking = p["kind"] in UNJUDGED_KINDS + ("unexpected_format",) and not (what and absent)
        rows.append(finding_row("array", "array_" + p["cause"], "error" if blocking else "warning",
                                p.get("cluster") or "sanfleet_ontap", "%s%s %s%s" % (
                                    what, p["meaning"], p["msg"],
                                    "" if blocking or not what else " (this host has no NVMe-oF controller and no "
                                                                    "NVMe-oF namespace: nothing was left unjudged)"),
                                action=p["action"]))
    return rows


def _san_rows(san):
    rows = _array_rows(san)
    judged = set()
    unread = _array_blocking(san)
    for v in san.get("verdicts") or []:
        kind = v.get("kind")
        if kind == "healthy" or kind in STALE_VERDICTS:  # the violations come through compliance_violations
            if kind != "healthy":
                judged.add(v.get("name"))
            continue
        judged.add(v.get("name"))
        if kind == "not_covered" and unread:
            # not "served by no SVM the array covers": the array was not read at all
            rows.append(finding_row("stale", kind, "info", v.get("name"),
                                    "not judged against the array: " + "; ".join(array_problem_text(p) for p in unread),
                                    device=v.get("name"), wwid=v.get("wwid"),
                                    action="Fix the array access (the array finding of this host), then run again."))
            continue
        rows.append(finding_row("stale", kind, VERDICT_SEVERITY.get(kind, "warning"), v.get("name"), v.get("reason"),
                                device=v.get("name"), wwid=v.get("wwid")))
    for v in nvme_judged(san):
        kind = v.get("kind")
        if kind in STALE_VERDICTS or kind in ("healthy", "controller_down"):
            continue  # the violations come through compliance_violations; a controller down is its namespaces' rows
        if kind == "unread":
            rows.append(finding_row("nvme", "nvme_unreadable", "warning", v.get("name"), v.get("reason"),
                                    device=v.get("name")))
        else:
            rows.append(finding_row("stale", kind, VERDICT_SEVERITY.get(kind, "warning"), v.get("name"),
                                    v.get("reason"), device=v.get("name"), action=NVME_ACTIONS.get(kind)))
    for f in san.get("findings") or []:
        if f.get("name") in judged:
            continue  # the verdict says more than the host-only finding
        rows.append(finding_row("host", f.get("kind"), FACT_SEVERITY.get(f.get("kind"), "warning"), f.get("name"),
                                f.get("reason"), device=f.get("name"), wwid=f.get("wwid")))
    host = san.get("host") if isinstance(san.get("host"), dict) else {}
    if host.get("san_presence") == "unknown":
        rows.append(finding_row("host", "san_presence_unknown", "error", "host", host.get("san_presence_reason") or ""))
    for e in san.get("errors") or []:
        rows.append(finding_row("host", "read_error", "error", e.get("what"), e.get("msg")))
    return rows + _tool_rows(san)


# per SAN package (observe/tools.py): what of the host needs it (a warning then), said when it has none of that
_NEEDED_BY = {
    "multipath-tools": ("multipath maps", lambda san, n_maps: n_maps > 0),
    # a map's paths are SAN disks (a compact fact counts the healthy ones), and so is an iSCSI or FC disk without one
    "sg3_utils": ("SCSI SAN disks", lambda san, n_maps: n_maps > 0 or any(
        isinstance(d, dict) and d.get("transport") in ("iscsi", "fc") for d in (san.get("disks") or {}).values())),
    "open-iscsi": ("iSCSI sessions", lambda san, n_maps: bool(san.get("iscsi_sessions"))),
    "nvme-cli": ("NVMe-oF controllers", lambda san, n_maps: bool(_fabric_controllers(san))),
}


def _no_nvme_of(san):
    """True only when the host's NVMe state was read whole and shows no NVMe-oF controller and no NVMe-oF namespace
    (a namespace whose controllers were all deleted keeps its head); unknown (not read, partly unread, a failed
    host's report without its NVMe part) is not "none"."""
    nvme = san.get("nvme")
    if not isinstance(nvme, dict) or nvme.get("unread"):
        return False
    return not _fabric_controllers(san) and not any(isinstance(n, dict) and n.get("fabrics") is not False
                                                    for n in nvme.get("namespaces") or [])


def _fabric_controllers(san):
    return [c for c in ((san.get("nvme") or {}).get("controllers") or [])
            if isinstance(c, dict) and is_fabrics(c.get("transport"))]


def _tool_rows(san):
    """One tool_missing row per SAN package the host lacks (host.tools_missing): a warning when the host has what
    it reads (multipath maps, SCSI SAN disks, iSCSI sessions, NVMe-oF controllers), info when it has none."""
    host = san.get("host") if isinstance(san.get("host"), dict) else {}
    n_maps = compact.counts(san)[0]
    rows = []
    for tool in host.get("tools_missing") or []:
        package = tool.get("package")
        needs, needed = _NEEDED_BY.get(package, ("its devices", lambda *_a: True))
        has = needed(san, n_maps)
        reason = "%s%s is not installed (%s not found): %s%s" % (
            package, " (%s)" % tool["also_named"] if tool.get("also_named") else "",
            ", ".join(tool.get("programs") or []), tool.get("unread") or "",
            "" if has else "; this host has no %s, so nothing of it is left unjudged" % needs)
        rows.append(finding_row("host", "tool_missing", "warning" if has else "info", package, reason))
    return rows


def _summary(san):
    unread = _array_blocking(san)
    host = san.get("host") or {}
    maps = san.get("maps") or {}
    healthy_maps = (san.get("healthy") or {}).get("maps") or {}
    n_maps, n_disks = compact.counts(san)
    identities, identities_unread = host_identities(san)
    failed = 0
    for mp in maps.values():
        paths = mp.get("paths") or []
        if paths and all(p.get("dm_state") == "failed" or p.get("checker_state") == "faulty" for p in paths):
            failed += 1
    return {
        "collected_at": san.get("collected_at"),
        "iscsi_iqn": host.get("iscsi_iqn"),
        "fc_wwpns": list(host.get("fc_wwpns") or []),
        # the initiator identities the fleet compares across hosts (report_identity.py), and what was not read
        "identities": identities,
        "identities_unread": identities_unread,
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
        "array_state": _array_state(san, unread),
    }


def _array_state(san, unread):
    """unreadable (a cluster could not be read), not_covered (read, but no device of the host is served by what was
    read: every verdict not_covered), checked, or not_asked (no array truth)."""
    if unread:
        return "unreadable"
    if "verdicts" not in san:
        return "not_asked"
    verdicts = san.get("verdicts") or []
    summarised = ((san.get("healthy") or {}).get("maps") or {}).get("count") or 0
    if verdicts and not summarised and all(v.get("kind") == "not_covered" for v in verdicts):
        return "not_covered"
    return "checked"


def _array_of(san, truth):
    """The array part of what this host was judged by: the facts' own (san.array), else the truth the run read for
    it (ontap_truth_result: the playbooks pass it as the part `array`), else None (not asked)."""
    if isinstance(san.get("array"), dict):
        return san["array"]
    return truth if isinstance(truth, dict) else None


def _array_outcome(summary, array, failed, not_san):
    """summary's array fields for a host that failed or is not a SAN host: what happened to the array for it (asked
    and refused, read but the host was not judged, or not asked and why), never a guess."""
    unread = _array_blocking({"array": array}) if array else []
    if unread:
        state, reason = "unreadable", "; ".join(array_problem_text(p) for p in unread)
    elif array:
        state, reason = "read_not_judged", "the array was read, but %s" % (
            "the host failed before its devices were judged" if failed else "the host has no SAN device to judge")
    else:
        state = "not_asked"
        why = "not a SAN host"
        if failed:
            why = "unreachable" if failed.get("unreachable") else "failed at %s" % (failed.get("task") or "a task")
        reason = "the array was not asked for this host (%s)" % why
    return dict(summary, array_checked=False, array_reason=reason, array_state=state)


UNREVIEWED_REASON = ("this real run executed the plan it made itself, which nobody approved "
                     "(sanfleet_allow_unreviewed: a hand-run emergency)")
NOT_SAN_REASON = ("not a SAN host: no multipath-tools, no iSCSI initiator name, no FC HBA, no SAN disk; nothing "
                  "was checked")


def _run_rows(failed, array, approval):
    """The rows of how the run went for the host: an unreviewed plan, the array a failed host was asked in vain,
    the failure (unreachable or the task that stopped it)."""
    rows = []
    if approval == "unreviewed":
        rows.append(finding_row("remediate", "unreviewed_plan", "warning", "plan", UNREVIEWED_REASON,
                                action="Review what this run executed (remediation.executed); next time run --check, "
                                       "approve sanfleet-plan.json and pass it to the run."))
    if not failed:
        return rows
    if array:
        rows.extend(_array_rows({"array": array}))
    check = "unreachable" if failed.get("unreachable") else "task_failed"
    what = failed.get("task") or ("connection" if failed.get("unreachable") else "task")
    rows.append(finding_row("run", check, "error", what, str(failed.get("msg") or "no message"),
                            action="Unreachable: check the connection (address, SSH, credentials, sudo), then run "
                                   "again for this host (--limit)." if failed.get("unreachable") else
                                   "The run stopped on this host at this task: read the message, fix the cause, run "
                                   "again for this host (--limit)."))
    return rows


def _check_parts(parts, host):
    """The input of host_report, the only check of the role's fleet_report_parts: a dict, a host name, and the parts
    that say a host failed in their shape (a `failed` that is not a dict would report the host ok, `errors` that
    are not a list of dicts would lose their messages). A missing part is null, or '' as a `default(None)` reaches
    a filter before ansible-core 2.19."""
    if not isinstance(parts, dict):
        raise AnsibleFilterError("host_report expects a dict of results, got %s" % type_name(parts))
    if not host:
        raise AnsibleFilterError("host_report needs the inventory name of the host")
    failed, errors = parts.get("failed"), parts.get("errors")
    if failed not in (None, "") and not isinstance(failed, dict):
        raise AnsibleFilterError("host_report: failed must be a dict {unreachable, task, msg} or null, got %s"
                                 % type_name(failed))
    if errors not in (None, "") and not (isinstance(errors, list) and all(isinstance(e, dict) for e in errors)):
        raise AnsibleFilterError("host_report: errors must be a list of {what, msg} dicts or null, got %s"
                                 % (type_name(errors) if not isinstance(errors, list) else
                                    "a list holding %s" % ", ".join(sorted(set(type_name(e) for e in errors
                                                                               if not isinstance(e, dict))))))


def _retry_rows(truth):
    """One info row per cluster of the truth read for this host that answered only after retries (HTTP 503 or 429,
    connection resets: plugin_utils/ontap_client.py): how many, and why."""
    clusters = truth.get("clusters") if isinstance(truth, dict) else None
    rows = []
    for c in clusters if isinstance(clusters, list) else []:
        retries = c.get("retries") if isinstance(c, dict) else None
        if isinstance(retries, dict) and retries:
            why = ", ".join("%s x%s" % (reason, n) for reason, n in sorted(retries.items()))
            rows.append(finding_row("array", "array_retried", "info", c.get("cluster") or c.get("hostname") or "?",
                                    "ONTAP answered after %d retries (%s), each within the request's timeout"
                                    % (sum(n for n in retries.values() if isinstance(n, int)), why),
                                    action="Nothing for this run: its read is whole. A cluster that often needs "
                                           "them is busy (a takeover, its REST load): docs/ontap.md \"Retries\"."))
    return rows


def host_report(parts, host, run="audit"):
    _check_parts(parts, host)
    san = parts.get("san") if isinstance(parts.get("san"), dict) else {}
    failed = parts.get("failed") if isinstance(parts.get("failed"), dict) else None
    not_san = bool(parts.get("not_san")) and not failed
    array = _array_of(san, parts.get("array"))
    retried = _retry_rows(parts.get("array"))
    approval = parts.get("approval")
    # the module's one result, whatever became of the host after it: a run that failed mid-unit reports its plan,
    # what ran, the step that stopped each unit and the queueing it left
    plan, applied = parts.get("plan"), parts.get("applied")
    if failed or not_san:
        # a host that failed or is not a SAN host: what it produced before is not a judgement of the host; what
        # happened to the array for it is said all the same (an outage the array rows name)
        san = {}
        parts = {"errors": parts.get("errors")}
    findings = (_violation_rows(parts) + _san_rows(san) + _info_rows(parts) + _fc_rows(san, parts.get("multipath"))
                + _nvme_rows(parts.get("nvme")))
    findings.extend(_run_rows(failed, array, approval))
    findings.extend(retried)
    if not_san:
        findings.append(finding_row("host", "not_san", "info", host, NOT_SAN_REASON))
    for e in parts.get("errors") or []:
        findings.append(finding_row("run", "task_error", "error", e.get("what"), e.get("msg"),
                                    action="A task failed on this host: see the job output; the report is partial."))
    remediation = remediation_part(plan, applied) if run == "remediate" else None
    if ran(applied) and applied.get("failed"):
        findings.extend(stopped_rows(remediation or remediation_part(plan, applied), applied))
    findings.sort(key=lambda f: (SEVERITY_RANK[f["severity"]], f["area"], f["check"] or "", f["object"]))
    areas = [a for a in ("multipath", "iscsi", "lvm") if ran(parts.get(a))]
    fc_ports = _fc_ports(san)
    if fc_ports:
        areas.append("fc")
    nvme = _nvme_part(parts.get("nvme"), san.get("nvme"), san.get("nvme_verdicts"))
    if nvme and nvme["applicable"] is not False:
        areas.append("nvme")
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
        "summary": _summary(san) if not (failed or not_san) else _array_outcome(
            _summary(san), array, failed, not_san),
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
        report["fc"] = dict(fc_ports, tmo_compared=bool(fc_ports["targets"] is not None and ran(mp)
                                                        and mp.get("tmo_settings")))
    if nvme:
        report["nvme"] = nvme
    if run == "remediate":
        report["remediation"] = dict(remediation, approval=approval)
    return report


def _fc_rows(san, multipath):
    """The FC audit's warnings (port states, unread attributes); its violations come through
    compliance_violations, as the other audits' do."""
    rows = []
    for f in fc_findings(san, multipath) if san else []:
        if f["severity"] == "violation":
            continue
        rows.append(finding_row("fc", f["check"], f["severity"], f["object"], f["reason"], device=f.get("device"),
                                setting=f.get("setting"), value=f.get("value"), recommended=f.get("recommended")))
    return rows


def _fc_ports(san):
    """Per host: the initiators (FC host ports) and the targets (target rports), WWPNs in the report's form;
    None on a host without FC."""
    host = (san or {}).get("host") or {}
    if not host.get("fc_hosts") and not host.get("fc_rports"):
        return None
    return fc_audit.ports(san, wwpn_form=ontap_wwpn)


def _nvme_rows(nvme):
    """The NVMe-oF audit's warnings and info rows (module nvme_conf); its violations come through
    compliance_violations, as the other audits' do."""
    rows = []
    for f in nvme.get("findings") or [] if ran(nvme) else []:
        if f.get("severity") == "violation":
            continue
        rows.append(finding_row("nvme", f.get("check"), f.get("severity") or "warning", f.get("object"),
                                f.get("reason") or "", device=f.get("device"), setting=f.get("setting"),
                                value=f.get("value"), recommended=f.get("recommended")))
    return rows


# what the report keeps of each NVMe-oF controller and subsystem (module nvme_conf's controllers, subsystems)
NVME_CONTROLLER_FIELDS = ("name", "subsysnqn", "transport", "address", "state", "kind", "ontap", "ctrl_loss_tmo",
                          "fast_io_fail_tmo")
NVME_SUBSYSTEM_FIELDS = ("name", "subsysnqn", "model", "ontap", "iopolicy")
# what the report keeps of each path of a namespace (the facts' nvme.namespaces[].paths)
NVME_PATH_FIELDS = ("name", "controller", "controller_state", "traddr", "trsvcid", "ana_state")


def _nvme_verdicts(verdicts, key):
    """{name: verdict} of the facts' nvme_verdicts `key` (namespaces, controllers); {} when not judged."""
    return dict((v.get("name"), v) for v in (verdicts or {}).get(key) or [] if isinstance(v, dict))


def _nvme_namespaces(devices, verdicts=None):
    """The namespaces of the host's facts (stale_mpath_facts `nvme`) behind fabrics controllers, each with its
    users, each path with its controller's state, and its verdict (`nvme_verdicts`; null when not judged); None
    when they were not read."""
    if not isinstance(devices, dict):
        return None
    judged = _nvme_verdicts(verdicts, "namespaces")
    out = []
    for ns in devices.get("namespaces") or []:
        if not ns.get("fabrics", True):
            continue
        paths = ns.get("paths") or []
        # what was not read is said, never left as "unused": openers_unknown, the namespace's unread pieces
        out.append({"name": ns.get("name"), "nsid": ns.get("nsid"), "uuid": ns.get("uuid"),
                    "subsysnqn": ns.get("subsysnqn"), "size_bytes": ns.get("size_bytes"),
                    "mountpoints": list(ns.get("mountpoints") or []), "holders": ns.get("holders"),
                    "partitions": list(ns.get("partitions") or []), "swap": bool(ns.get("swap")),
                    "kernel_users": list(ns.get("kernel_users") or []),
                    "openers_unknown": ns.get("openers_unknown"), "unread": list(ns.get("unread") or []),
                    "openers": [{"pid": o.get("pid"), "comm": o.get("comm")} for o in ns.get("openers") or []],
                    "paths": [dict((k, p.get(k)) for k in NVME_PATH_FIELDS) for p in paths],
                    "verdict": _verdict_of(judged.get(ns.get("name")))})
    return out


def _verdict_of(verdict):
    return None if verdict is None else {"kind": verdict.get("kind"), "reason": verdict.get("reason")}


def _nvme_controller_verdicts(verdicts):
    """The fabrics controllers as judged (lif_gone, controller_down, healthy) with what depends on each; None when
    not judged."""
    if not isinstance(verdicts, dict):
        return None
    return [{"name": v.get("name"), "kind": v.get("kind"), "reason": v.get("reason"), "traddr": v.get("traddr"),
             "sole_path_of": v.get("sole_path_of"), "host_allowed": v.get("host_allowed"),
             "mapped_to_host": v.get("mapped_to_host")} for v in verdicts.get("controllers") or []]


def _nvme_part(nvme, devices=None, verdicts=None):
    """Per host that ran the NVMe-oF audit: whether it applied (and why not), native multipath, its fabrics
    controllers and their subsystems (a local PCIe drive is left out), and the namespaces behind them with their
    users (`devices`: the facts' `nvme`); None when the audit did not run."""
    if not ran(nvme) or "applicable" not in nvme:
        return None
    ctrls = [c for c in nvme.get("controllers") or [] if c.get("fabrics") is not False]
    names = set(c.get("name") for c in ctrls)
    subs = [s for s in nvme.get("subsystems") or [] if names & set(s.get("controllers") or [])]
    return {"applicable": nvme["applicable"], "reason": nvme.get("applicable_reason"),
            "native_multipath": nvme.get("native_multipath"),
            "controllers": None if nvme.get("controllers") is None else [
                dict((k, c.get(k)) for k in NVME_CONTROLLER_FIELDS) for c in ctrls],
            "subsystems": None if nvme.get("subsystems") is None else [
                dict((k, s.get(k)) for k in NVME_SUBSYSTEM_FIELDS) for s in subs],
            "namespaces": _nvme_namespaces(devices, verdicts),
            "controller_verdicts": _nvme_controller_verdicts(verdicts)}
