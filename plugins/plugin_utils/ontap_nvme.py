# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NVMe side of one ONTAP cluster's truth, read beside the SAN one (``ontap_records.fetch_truth``) by the same
client: the same paging, the same "a cut or shapeless answer is an error", the same run cache.

* ``fetch_nvme`` reads, in bulk: ``/api/protocols/nvme/services`` (which SVMs serve NVMe at all), and when one does,
  ``/api/protocols/nvme/subsystems`` (target NQN, allowed host NQNs), ``/api/storage/namespaces``,
  ``/api/protocols/nvme/subsystem-maps`` and the NVMe/TCP data LIFs (``/api/network/ip/interfaces`` with the
  ``data_nvme_tcp`` service). Its ``state`` says what the read proves: ``read``; ``no_nvme`` only when ONTAP says so
  (no NVMe service on any SVM read, or the error code of a cluster without an NVMe license); ``unreadable`` for any
  other failure (fail closed: nothing of this cluster covers an NVMe device).
* ``nvme_records`` / ``nvme_targets`` are pure selections on it (docs/ontap.md, "NVMe truth records").

No credential is ever put in a truth, a record or an error message.
"""

from __future__ import annotations

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    normalize_initiator, nsid_number, ontap_hex_id)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_client import DEFAULT_MAX_PAGES, OntapError

# Fields asked for (checked against netapp-ontap's resource schemas: NvmeService, NvmeSubsystem, NvmeNamespace,
# NvmeSubsystemMap, IpInterface). anagrpid is an expensive subsystem-map field: returned only when named.
NVME_SERVICE_FIELDS = "svm.name,enabled"
NVME_SUBSYSTEM_FIELDS = "uuid,name,svm.name,os_type,target_nqn,serial_number,hosts.nqn"
NAMESPACE_FIELDS = "uuid,name,svm.name,os_type,status.state,space.size"
NVME_MAP_FIELDS = "svm.name,subsystem.uuid,subsystem.name,namespace.uuid,namespace.name,nsid,anagrpid"
NVME_INTERFACE_FIELDS = "name,svm.name,ip.address,services,enabled,state"
NVME_TCP_SERVICE = "data_nvme_tcp"

# ONTAP's documented error code for "The cluster lacks a valid NVMe license." (REST API reference, NVMe services):
# the one error that proves the cluster serves no NVMe. Every other error leaves the NVMe truth unreadable.
NVME_NOT_LICENSED = "1115127"

# GETs of the NVMe read: services only when no SVM has an NVMe service, else all five
NVME_REQUESTS_WITHOUT_SERVICE = 1
NVME_REQUESTS_WITH_SERVICE = 5

READ, NO_NVME, UNREADABLE = "read", "no_nvme", "unreadable"


def fetch_nvme(client, common, max_pages=DEFAULT_MAX_PAGES):
    """The NVMe part of one cluster's truth (JSON-able): {state, reason, services, subsystems, namespaces, maps,
    lifs}. ``common`` holds the query parameters of every collection GET (svm.name, max_records)."""
    try:
        services = client.get_all("protocols/nvme/services", dict(common, fields=NVME_SERVICE_FIELDS), max_pages)
        if not services:
            return _not_read(NO_NVME, "ONTAP %s: no SVM read has an NVMe service" % client.hostname)
        subsystems = client.get_all("protocols/nvme/subsystems", dict(common, fields=NVME_SUBSYSTEM_FIELDS), max_pages)
        namespaces = client.get_all("storage/namespaces", dict(common, fields=NAMESPACE_FIELDS), max_pages)
        maps = client.get_all("protocols/nvme/subsystem-maps", dict(common, fields=NVME_MAP_FIELDS), max_pages)
        lifs = client.get_all("network/ip/interfaces", dict(common, services=NVME_TCP_SERVICE,
                                                            fields=NVME_INTERFACE_FIELDS), max_pages)
    except OntapError as exc:
        if exc.ontap_code == NVME_NOT_LICENSED:
            return _not_read(NO_NVME, "%s (the cluster has no NVMe license)" % exc)
        return _not_read(UNREADABLE, str(exc))
    return {
        "state": READ, "reason": None,
        "services": [{"svm": _svm(r), "enabled": r.get("enabled")} for r in services],
        "subsystems": [_slim_subsystem(r) for r in subsystems],
        "namespaces": [_slim_namespace(r) for r in namespaces],
        "maps": [_slim_map(r) for r in maps],
        "lifs": [_slim_lif(r) for r in lifs if NVME_TCP_SERVICE in (r.get("services") or [])],
    }


def _not_read(state, reason):
    return {"state": state, "reason": reason, "services": [], "subsystems": [], "namespaces": [], "maps": [],
            "lifs": []}


def _svm(rec):
    return (rec.get("svm") or {}).get("name")


def _slim_subsystem(rec):
    return {"uuid": rec.get("uuid"), "name": rec.get("name"), "svm": _svm(rec), "os_type": rec.get("os_type"),
            "nqn": rec.get("target_nqn"), "serial": rec.get("serial_number"),
            "host_nqns": [h.get("nqn") for h in rec.get("hosts") or [] if isinstance(h, dict) and h.get("nqn")],
            # the hosts list as ONTAP gave it: a list whose every entry names an NQN, else None (missing, cut or odd:
            # what the subsystem allows is then unknown, never "nobody")
            "hosts": _host_list(rec.get("hosts"))}


def _host_list(hosts):
    if not isinstance(hosts, list) or not all(isinstance(h, dict) and isinstance(h.get("nqn"), str) and h["nqn"]
                                              for h in hosts):
        return None
    return [h["nqn"] for h in hosts]


def _slim_namespace(rec):
    return {"uuid": rec.get("uuid"), "name": rec.get("name"), "svm": _svm(rec), "os_type": rec.get("os_type"),
            "state": (rec.get("status") or {}).get("state"), "size_bytes": (rec.get("space") or {}).get("size")}


def _slim_map(rec):
    return {"svm": _svm(rec), "subsystem_uuid": (rec.get("subsystem") or {}).get("uuid"),
            "subsystem": (rec.get("subsystem") or {}).get("name"),
            "namespace_uuid": (rec.get("namespace") or {}).get("uuid"),
            "namespace": (rec.get("namespace") or {}).get("name"), "nsid": rec.get("nsid"),
            "anagrpid": rec.get("anagrpid")}


def _slim_lif(rec):
    return {"name": rec.get("name"), "svm": _svm(rec), "address": (rec.get("ip") or {}).get("address"),
            "state": rec.get("state"), "enabled": rec.get("enabled")}


# ------------------------------------------------------------------------------------------------ selections

def nvme_targets(nvme):
    """[{svm, nvme_service_enabled, subsystem_nqns, tcp_addresses, subsystems}]: what identifies each SVM of an NVMe
    read on the wire (every subsystem's NQN, every NVMe/TCP LIF address, down or not: identity, not health), and each
    subsystem's allowed host NQNs as read (`subsystems`: [{nqn, host_nqns}], host_nqns null when the answer did not
    carry a well-formed list). Empty unless the read succeeded: a cluster without NVMe, or unreadable, covers no NVMe
    device."""
    if nvme.get("state") != READ:
        return []
    out = {}

    def entry(svm):
        return out.setdefault(svm, {"svm": svm, "nvme_service_enabled": None, "subsystem_nqns": [],
                                    "tcp_addresses": [], "subsystems": []})

    for service in nvme["services"]:
        entry(service["svm"])["nvme_service_enabled"] = service["enabled"]
    for subsystem in nvme["subsystems"]:
        if subsystem["nqn"]:
            entry(subsystem["svm"])["subsystem_nqns"].append(subsystem["nqn"])
            entry(subsystem["svm"])["subsystems"].append({"nqn": subsystem["nqn"],
                                                          "host_nqns": subsystem.get("hosts")})
    for lif in nvme["lifs"]:
        if lif["address"]:
            entry(lif["svm"])["tcp_addresses"].append(lif["address"])
    return [out[k] for k in sorted(out, key=str)]


def nvme_records(nvme, cluster, wanted=None, problems=None, collected_at=None):
    """One record per mapped namespace whose subsystem allows any of the ``wanted`` host NQNs (normal forms,
    ``ontap_records.wanted_initiators``; every mapped namespace when None). A map naming a subsystem or namespace
    the other reads did not return is appended to ``problems`` as ``dropped_mapping`` (changed between requests:
    the records may be incomplete); a map whose ``nsid`` is not in ONTAP's documented form ("00000001h") as
    ``unexpected_format`` (never guessed: a wrong NSID matches another namespace). A record's ``nsid`` and
    ``anagrpid`` are numbers, as the host's sysfs gives them (``anagrpid`` None when not in that form: it decides
    nothing)."""
    if nvme.get("state") != READ:
        return []
    subsystems = {s["uuid"]: s for s in nvme["subsystems"]}
    namespaces = {n["uuid"]: n for n in nvme["namespaces"]}
    lifs = {}
    for lif in nvme["lifs"]:
        lifs.setdefault(lif["svm"], []).append({k: lif[k] for k in ("name", "address", "state", "enabled")})
    out = []
    for nmap in nvme["maps"]:
        subsystem, namespace = subsystems.get(nmap["subsystem_uuid"]), namespaces.get(nmap["namespace_uuid"])
        if subsystem is None or namespace is None:
            if problems is not None:
                problems.append({"cluster": cluster, "svm": nmap["svm"], "kind": "dropped_mapping",
                                 "msg": "ONTAP %s: namespace %s is mapped to subsystem %s, which the %s query did not "
                                        "return (changed between requests?)"
                                        % (cluster, nmap["namespace"], nmap["subsystem"],
                                           "namespaces" if subsystem is not None else "subsystems")})
            continue
        if wanted is not None and not wanted & {normalize_initiator(h) for h in subsystem["host_nqns"]}:
            continue
        if _nsid(nmap) is None:
            # a map whose NSID cannot be read as ONTAP documents it cannot be matched to a host namespace: the
            # record is left out and the NVMe truth says it is incomplete (nothing NVMe is judged on it)
            if problems is not None:
                problems.append({"cluster": cluster, "svm": nmap["svm"], "kind": "unexpected_format",
                                 "msg": "ONTAP %s: the map of namespace %s in subsystem %s gives nsid %r, not "
                                        "ONTAP's documented form (8 hex digits and 'h', e.g. 00000001h)"
                                        % (cluster, nmap["namespace"], nmap["subsystem"], nmap["nsid"])})
            continue
        out.append(_record(cluster, namespace, subsystem, nmap, lifs.get(namespace["svm"], []), collected_at))
    out.sort(key=lambda r: (r["svm"] or "", r["name"] or "", r["subsystem"] or ""))
    return out


def _record(cluster, namespace, subsystem, nmap, lifs, collected_at):
    return {
        "cluster": cluster, "svm": namespace["svm"], "uuid": namespace["uuid"], "name": namespace["name"],
        "os_type": namespace["os_type"], "state": namespace["state"], "size_bytes": namespace["size_bytes"],
        # ONTAP's "00000001h" as the host's sysfs gives it (decimal: /sys/block/nvmeXnY/nsid, ana_grpid)
        "nsid": _nsid(nmap), "anagrpid": ontap_hex_id(nmap["anagrpid"]),
        "subsystem": subsystem["name"], "subsystem_uuid": subsystem["uuid"], "subsystem_nqn": subsystem["nqn"],
        "subsystem_serial": subsystem["serial"], "subsystem_os_type": subsystem["os_type"],
        "host_nqns": list(subsystem["host_nqns"]),
        "tcp_lifs": [dict(lif) for lif in lifs],
        "collected_at": collected_at,
    }


def _nsid(nmap):
    """The map's NSID as a number, from ONTAP's documented form only (from ONTAP, "1" is no documented value)."""
    return nsid_number(ontap_hex_id(nmap["nsid"]))


def wanted_host_nqns(wanted):
    """The host NQNs among the wanted initiators (normal forms), or None (every mapping)."""
    if wanted is None:
        return None
    return {i for i in wanted if i.startswith("nqn.")}
