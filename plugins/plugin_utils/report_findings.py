# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a finding of a report says, shared by the host and fleet reports: severities and statuses with their order,
the action per check, an array problem explained, and the shape of one finding row."""

from __future__ import annotations

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry

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
# A FlashArray's (array_kind pure, the array_truth lookup): its REST 2.x API, its API token, sanfleet_pure.
_PURE_CAUSES = (
    ("nvme_not_read", r"NVMe namespaces are not read",
     "This version does not read a FlashArray's NVMe namespaces: the host's NVMe-oF devices are not judged against "
     "it, and none of them is removed on its word.",
     "Nothing to do for the SCSI devices, which were judged; the NVMe-oF devices stay unjudged (docs/ontap.md)."),
    ("auth", r"HTTP 401\b",
     "The FlashArray refused the API token: it is wrong or expired, or its user was removed.",
     "Give the API token of an array user with the read-only role (sanfleet_pure api_token or api_token_file, or "
     "PUREFA_API_FILE)."),
    ("forbidden", r"HTTP 403\b",
     "The FlashArray accepted the token but its user may not read this API.",
     "Use the API token of a user with the read-only role or above (docs/ontap.md, Pure Storage FlashArray)."),
    ("unavailable", r"HTTP 5\d\d\b|Server is busy",
     "The FlashArray answered with a server error or said it is busy.",
     "Run again when the array is healthy; nothing was judged against it in this run."),
    ("tls", r"CERTIFICATE_VERIFY_FAILED|SSLError|certificate verify failed|SSL: |X509|ca_path|No such file",
     "The TLS connection failed: the array's certificate is not signed by a CA the controller trusts, or the CA "
     "file given is empty or missing.",
     "Give ca_path in sanfleet_pure (the CA that signed the array's certificate) or leave it out for the system "
     "trust store."),
    ("unreachable", r"Name or service not known|getaddrinfo|Connection refused|Errno 111|timed out|Timeout",
     "The FlashArray's management address does not resolve, accept connections or answer in time.",
     "Check hostname in sanfleet_pure (the management address) and that the controller reaches it on HTTPS."),
    ("config", r"sanfleet_pure|PUREFA_|give api_token|give hostname|only HTTPS|REST 2|api_token holds",
     "The FlashArray entry cannot be used as given.",
     "Fix sanfleet_pure (docs/ontap.md, Pure Storage FlashArray) as the message says."),
)
_CAUSES_BY_KIND = {"pure": (_PURE_CAUSES, "The FlashArray could not be read.")}
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
    elif kind == "dropped_mapping":
        out.update(cause="dropped_mapping", meaning="A LUN map names an igroup the igroups answer did not hold "
                   "(the mapping changed between two requests).", action="Run again; it is transient.")
    elif kind == "unexpected_format":
        out.update(cause="unexpected_format", meaning="ONTAP answered a field in a form its REST API reference does "
                   "not document (the message names it): the collection does not guess what it means, so no device "
                   "of that family is judged against this cluster.",
                   action="Report the value and the ONTAP version to the collection's maintainers; until then "
                          "nothing of that family is removed on this cluster's word.")
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
        causes, unread = _CAUSES_BY_KIND.get(problem.get("array_kind"), (_ARRAY_CAUSES, "The cluster could not be read."))
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
