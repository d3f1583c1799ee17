# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fleet identity: the initiator identities (iSCSI names, FC WWPNs, NVMe host NQN and host ID) two or more hosts of
one report hold (cloned images), and the igroups and NVMe subsystems whose initiators (allowed host NQNs) belong to
several hosts unless declared shared.
Audit only: the findings go into the hosts' reports (area `fleet`), nothing here decides a removal."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import IDENTITY_KINDS, identity_key
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import (
    SEVERITIES,
    finding_row,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name

AREA = "fleet"
# the fleet's checks (check_registry, area fleet): get() fails on an id the registry lacks
SHARED_IDENTITY = check_registry.get("shared_initiator_identity").id
IGROUP_SPANS_HOSTS = check_registry.get("igroup_spans_hosts").id
SUBSYSTEM_SPANS_HOSTS = check_registry.get("subsystem_spans_hosts").id
FLEET_CHECKS = check_registry.ids(AREA)
KIND_NAMES = {"iscsi": "iSCSI initiator name", "fc": "FC WWPN", "nvme_hostnqn": "NVMe host NQN",
              "nvme_hostid": "NVMe host ID"}
# the host statuses whose reports judge the host (failed and not_san reports carry no identity)
_JUDGED = ("error", "violation", "warning", "ok")


def host_identities(san):
    """({kind: [values]}, [why some were not read]) of one host's `san` fact (host_report's summary.identities)."""
    host = san.get("host") if isinstance(san.get("host"), dict) else {}
    unread_pieces = host.get("unread_pieces") or []
    # the initiators are the session IQNs, the WWPNs and the NQNs of connected NVMe-oF controllers: an NQN is
    # compared as one (nvme_hostnqn, exactly), never as an iSCSI name
    iqns = [i for i in host.get("initiators") or []
            if identity_key("iscsi", i) and not identity_key("fc", i) and not i.startswith("nqn.")]
    if host.get("iscsi_iqn_file"):
        iqns.append(host["iscsi_iqn_file"])
    values = {"iscsi": sorted(set(iqns)), "fc": sorted(set(host.get("fc_wwpns") or [])),
              "nvme_hostnqn": [host["nvme_hostnqn"]] if host.get("nvme_hostnqn") else [],
              "nvme_hostid": [host["nvme_hostid"]] if host.get("nvme_hostid") else []}
    unread = []
    if "initiators" in unread_pieces:
        unread.append("the read of the initiator names did not finish")
    if "iscsi_sessions" in unread_pieces:
        unread.append("the read of the iSCSI sessions (the names they logged in with) did not finish")
    unread.extend("FC host port host%s: its WWPN could not be read" % f.get("host")
                  for f in host.get("fc_hosts") or [] if not f.get("wwpn"))
    if "nvme_identity_unread" not in host and "initiators" not in unread_pieces:
        unread.append("the NVMe host identity was not read (facts of an older stale_mpath_facts)")
    unread.extend("%s %s" % (path, why) for path, why in sorted((host.get("nvme_identity_unread") or {}).items()))
    return values, unread


def _keys(identities):
    """{(kind, key): the host's spelling} of a report's summary.identities."""
    out = {}
    for kind in IDENTITY_KINDS:
        for value in (identities or {}).get(kind) or []:
            key = identity_key(kind, value)
            if key is not None:
                out.setdefault((kind, key), value)
    return out


def _shared_identities(hosts_keys):
    """[(kind, spelling, [hosts])] of every identity held by two or more hosts."""
    holders = {}
    for host in sorted(hosts_keys):
        for ident, spelling in hosts_keys[host].items():
            holders.setdefault(ident, []).append((host, spelling))
    return [(ident[0], held[0][1], [host for host, spelling in held]) for ident, held in sorted(holders.items())
            if len(held) > 1]


def _igroup_key(initiator, subsystem=False):
    """The identity an igroup's initiator is (a WWPN, else an iSCSI name), or a subsystem's allowed host (an NVMe host
    NQN, exact; None for a text that is none: never compared as an iSCSI name, case-blind)."""
    for kind in (("nvme_hostnqn",) if subsystem else ("fc", "iscsi")):
        key = identity_key(kind, initiator)
        if key is not None:
            return kind, key
    return None


def _spanning_igroups(igroups, hosts_keys, shared_igroups):
    """([(check, cluster/svm/name, [hosts], [initiators])] of the igroups and NVMe subsystems (protocol nvme) whose
    initiators belong to several hosts and are not declared shared, [what was not read: clusters, and subsystems
    whose hosts list was not read whole])."""
    owner = {}
    for host, keys in hosts_keys.items():
        for ident in keys:
            owner.setdefault(ident, set()).add(host)
    spanning, unread = [], []
    for ig in igroups:
        if not isinstance(ig, dict):
            continue
        if ig.get("problem"):
            unread.append(("", "cluster %s" % (ig.get("cluster") or (ig["problem"] or {}).get("cluster") or "?")))
            continue
        if ig.get("nvme_unread"):
            why = "the NVMe subsystems of cluster %s (%s)" % (ig.get("cluster"), ig["nvme_unread"])
            unread.append((SUBSYSTEM_SPANS_HOSTS, why))
            continue
        name = "%s/%s/%s" % (ig.get("cluster"), ig.get("svm"), ig.get("name"))
        subsystem = ig.get("protocol") == "nvme"
        if ig.get("initiators") is None and subsystem:
            unread.append((SUBSYSTEM_SPANS_HOSTS, "the hosts list of NVMe subsystem %s" % name))
            continue
        hosts = set()
        for init in ig.get("initiators") or []:
            hosts.update(owner.get(_igroup_key(init, subsystem), ()))
        if len(hosts) > 1 and not any(fnmatchcase(name, p) for p in shared_igroups):
            spanning.append((SUBSYSTEM_SPANS_HOSTS if subsystem else IGROUP_SPANS_HOSTS, name, sorted(hosts),
                             list(ig.get("initiators") or [])))
    return sorted(spanning), sorted(set(unread))


def _checked_list(value, label):
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise AnsibleFilterError("fleet_identity: %s must be a list of strings, got %r" % (label, value))
    return list(value)


def fleet_identity(reports, igroups=None, shared_igroups=None):
    """The reports (a list, or a dict host -> report) with the fleet findings of their hosts: every initiator
    identity two or more of them hold, every igroup (records of the ontap_igroups lookup) whose initiators belong to
    several of them unless `shared_igroups` (cluster/svm/igroup names or fnmatch patterns) declares it shared.
    Applied again it gives the same reports (their former fleet findings are replaced)."""
    if not isinstance(reports, (list, tuple, dict)):
        raise AnsibleFilterError("fleet_identity expects the per-host reports, got %s" % type_name(reports))
    if igroups is not None and not isinstance(igroups, (list, tuple)):
        raise AnsibleFilterError("fleet_identity: igroups must be the ontap_igroups records (a list)")
    shared_igroups = _checked_list(shared_igroups, "shared_igroups (sanfleet_shared_igroups)") or []
    # one new dict per report: _apply replaces its keys and mutates nothing inside them, so the caller's reports
    # stay as they were without a deep copy (on ansible-core 2.19+ the reports are lazy containers of hostvars,
    # and a deep copy of those is most of a report task's controller time)
    if isinstance(reports, dict):
        out = dict((host, dict(r) if isinstance(r, dict) else r) for host, r in reports.items())
        items = list(out.values())
    else:
        out = [dict(r) if isinstance(r, dict) else r for r in reports]
        items = out
    judged = {r["host"]: r for r in items if isinstance(r, dict) and r.get("host") and r.get("status") in _JUDGED}
    hosts_keys = dict((h, _keys((r.get("summary") or {}).get("identities"))) for h, r in judged.items())
    rows = dict((h, []) for h in judged)
    for kind, spelling, hosts in _shared_identities(hosts_keys):
        for host in hosts:
            rows[host].append(_identity_row(kind, spelling, hosts))
    spanning, unread_clusters = _spanning_igroups(igroups or [], hosts_keys, shared_igroups)
    for check, name, hosts, initiators in spanning:
        for host in hosts:
            rows[host].append(_spanning_row(check, name, hosts, initiators))
    for host, report in judged.items():
        _apply(report, rows[host], _not_compared(report, igroups, unread_clusters))
    return out


def _identity_row(kind, spelling, hosts):
    row = finding_row(AREA, SHARED_IDENTITY, "violation", spelling,
                      "the %s %s is held by %d hosts: %s (a cloned image?): the array's mappings to it reach all "
                      "of them" % (KIND_NAMES[kind], spelling, len(hosts), ", ".join(hosts)))
    row["hosts"] = list(hosts)
    return row


# a spanning check's reason: % (name, number of hosts, hosts, initiators)
SPANNING_REASONS = {
    IGROUP_SPANS_HOSTS: "igroup %s holds initiators of %d hosts: %s (initiators %s): a LUN mapped to it reaches all "
                        "of them; declare it in sanfleet_shared_igroups if that is meant",
    SUBSYSTEM_SPANS_HOSTS: "NVMe subsystem %s allows the host NQNs of %d hosts: %s (%s): a namespace mapped to it "
                           "reaches all of them; declare it in sanfleet_shared_igroups if that is meant"}


def _spanning_row(check, name, hosts, initiators):
    row = finding_row(AREA, check, "violation", name,
                      SPANNING_REASONS[check] % (name, len(hosts), ", ".join(hosts), ", ".join(initiators)))
    row["hosts"] = list(hosts)
    return row


def _not_compared(report, igroups, unread_clusters):
    """{check: why it was not (fully) made for this host}."""
    out = {}
    unread = (report.get("summary") or {}).get("identities_unread") or []
    if unread:
        out[SHARED_IDENTITY] = "not every initiator identity of this host was read, so it is not known to be unique: " \
            + "; ".join(unread)
    for check, what in ((IGROUP_SPANS_HOSTS, "igroups"), (SUBSYSTEM_SPANS_HOSTS, "NVMe subsystems")):
        missing = [text for about, text in unread_clusters if about in ("", check)]
        if igroups is None:
            out[check] = "the %s were not read in this run (the audit reads them when sanfleet_ontap is given)" % what
        elif missing or unread:
            out[check] = "; ".join((["not read: %s" % ", ".join(missing)] if missing else [])
                                   + (["not every initiator identity of this host was read"] if unread else []))
    return out


def _apply(report, rows, not_compared):
    """The report with its fleet rows replaced by these, its counts and status again, `fleet` among its areas."""
    findings = [f for f in report.get("findings") or [] if f.get("area") != AREA] + rows
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order[f["severity"]], f["area"], f["check"] or "", f["object"]))
    report["findings"] = findings
    report["counts"] = {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES}
    report["status"] = next((s for s in SEVERITIES[:3] if report["counts"][s]), "ok")
    if AREA not in report.get("areas", []):
        report["areas"] = list(report.get("areas") or []) + [AREA]
    report["summary"] = dict(report.get("summary") or {}, fleet_not_compared=not_compared)


def fleet_identity_violations(reports, shared_igroups=None, igroups=None):
    """{host: [compliance violations]} of the fleet findings (the shape of compliance_violations: area, check,
    object, text, reason, hosts), for the compliance job's verdict per host."""
    checked = fleet_identity(reports, igroups=igroups, shared_igroups=shared_igroups)
    out = {}
    for report in checked.values() if isinstance(checked, dict) else checked:
        if isinstance(report, dict) and report.get("host"):
            out[report["host"]] = [
                {"area": AREA, "check": f["check"], "object": f["object"], "reason": f["reason"],
                 "hosts": f.get("hosts") or [],
                 "text": "%s %s: %s (%s)" % (AREA, f["check"], f["object"], ", ".join(f.get("hosts") or []))}
                for f in report.get("findings") or [] if f.get("area") == AREA and f["severity"] == "violation"]
    return out


def fleet_entries(index):
    """Each fleet finding once for the fleet (not once per host): check, object, reason, hosts."""
    seen = {}
    for report in index.values():
        for f in (report.get("findings") or []) if isinstance(report, dict) else []:
            if f.get("area") == AREA:
                seen.setdefault((f["check"], f["object"]), {
                    "check": f["check"], "object": f["object"], "severity": f["severity"], "reason": f["reason"],
                    "hosts": list(f.get("hosts") or []), "action": f["action"]})
    return [seen[k] for k in sorted(seen)]
