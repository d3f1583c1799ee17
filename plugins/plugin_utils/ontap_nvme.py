# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NVMe side of one ONTAP cluster's truth, read beside the SAN one (``ontap_records.fetch_truth``) by the same
client: the same paging, the same "a cut or shapeless answer is an error", the same run cache.

* ``fetch_nvme`` reads, in bulk: ``/api/protocols/nvme/services`` (which SVMs serve NVMe at all), and when one does,
  ``/api/protocols/nvme/subsystems`` (target NQN, allowed host NQNs), ``/api/storage/namespaces``,
  ``/api/protocols/nvme/subsystem-maps`` and the NVMe/TCP data LIFs (``/api/network/ip/interfaces`` with the
  ``data_nvme_tcp`` service); the NVMe/FC LIFs come with the SAN read's FC interfaces (``data_protocol``
  ``fc_nvme``), at no request of their own. Its ``state`` says what the read proves: ``read``; ``no_nvme`` only
  when ONTAP says so (no NVMe service on any SVM read, or the error code of a cluster without an NVMe license);
  ``unreadable`` for any other failure (fail closed: nothing of this cluster covers an NVMe device).
* ``nvme_records`` / ``nvme_targets`` are pure selections on it (docs/ontap.md, "NVMe truth records").

No credential is ever put in a truth, a record or an error message.
"""

from __future__ import annotations

import re

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
# the FC interfaces' data_protocol of an NVMe/FC LIF (REST API reference, /network/fc/interfaces, 9.6 to 9.17.1)
NVME_FC_PROTOCOL = "fc_nvme"
# a WWPN as ONTAP documents it: "16 hexadecimal digits grouped as 8 pairs separated by colons" (REST API reference,
# /protocols/san/igroups overview; the /network/fc/interfaces examples, 20:05:00:50:56:bb:a0:e0)
_ONTAP_WWPN = re.compile(r"^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){7}\Z")

# every GET of the NVMe read: (collection, the query filter beside fields and paging, the fields asked for)
READS = (
    ("protocols/nvme/services", None, NVME_SERVICE_FIELDS),
    ("protocols/nvme/subsystems", None, NVME_SUBSYSTEM_FIELDS),
    ("storage/namespaces", None, NAMESPACE_FIELDS),
    ("protocols/nvme/subsystem-maps", None, NVME_MAP_FIELDS),
    ("network/ip/interfaces", {"services": NVME_TCP_SERVICE}, NVME_INTERFACE_FIELDS),
)

# ONTAP's documented error code for "The cluster lacks a valid NVMe license." (REST API reference, NVMe services):
# the one error that proves the cluster serves no NVMe. Every other error leaves the NVMe truth unreadable.
NVME_NOT_LICENSED = "1115127"

# GETs of the NVMe read: services only when no SVM has an NVMe service, else all five
NVME_REQUESTS_WITHOUT_SERVICE = 1
NVME_REQUESTS_WITH_SERVICE = 5

READ, NO_NVME, UNREADABLE = "read", "no_nvme", "unreadable"


def fetch_nvme(client, common, max_pages=DEFAULT_MAX_PAGES, fc_interfaces=()):
    """The NVMe part of one cluster's truth (JSON-able): {state, reason, services, subsystems, namespaces, maps,
    lifs, fc_lifs}. ``common`` holds the query parameters of every collection GET (svm.name, max_records);
    ``fc_interfaces`` the FC interface records the SAN read got (its NVMe/FC LIFs are those of data_protocol
    fc_nvme)."""
    try:
        services = _get(client, common, max_pages, *READS[0])
        if not services:
            return _not_read(NO_NVME, "ONTAP %s: no SVM read has an NVMe service" % client.hostname)
        subsystems, namespaces, maps, lifs = (_get(client, common, max_pages, *read) for read in READS[1:])
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
        "fc_lifs": [_slim_fc_lif(r) for r in fc_interfaces or [] if r.get("data_protocol") == NVME_FC_PROTOCOL],
    }


def _get(client, common, max_pages, api, query, fields):
    return client.get_all(api, dict(common, fields=fields, **(query or {})), max_pages)


def _not_read(state, reason):
    return {"state": state, "reason": reason, "services": [], "subsystems": [], "namespaces": [], "maps": [],
            "lifs": [], "fc_lifs": []}


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


def _slim_fc_lif(rec):
    return {"name": rec.get("name"), "svm": _svm(rec), "wwpn": rec.get("wwpn"), "state": rec.get("state"),
            "enabled": rec.get("enabled")}


def _fc_wwpn(lif):
    """An NVMe/FC LIF's WWPN in ONTAP's documented form, lower case; None for anything else."""
    wwpn = lif.get("wwpn")
    return wwpn.lower() if isinstance(wwpn, str) and _ONTAP_WWPN.match(wwpn) else None


# ------------------------------------------------------------------------------------------------ selections

def nvme_targets(nvme):
    """[{svm, nvme_service_enabled, subsystem_nqns, tcp_addresses, fc_wwpns, subsystems}]: what identifies each SVM
    of an NVMe read on the wire (every subsystem's NQN, every NVMe/TCP LIF address and NVMe/FC LIF WWPN, down or not:
    identity, not health), and each subsystem's allowed host NQNs as read (`subsystems`: [{nqn, host_nqns}],
    host_nqns null when the answer did not carry a well-formed list). Empty unless the read succeeded: a cluster
    without NVMe, or unreadable, covers no NVMe device."""
    if nvme.get("state") != READ:
        return []
    out = {}

    def entry(svm):
        return out.setdefault(svm, {"svm": svm, "nvme_service_enabled": None, "subsystem_nqns": [],
                                    "tcp_addresses": [], "fc_wwpns": [], "subsystems": []})

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
    for lif in nvme.get("fc_lifs") or []:
        if _fc_wwpn(lif):
            entry(lif["svm"])["fc_wwpns"].append(_fc_wwpn(lif))
    return [out[k] for k in sorted(out, key=str)]


def nvme_records(nvme, cluster, wanted=None, problems=None, collected_at=None):
    """One record per mapped namespace whose subsystem allows any of the ``wanted`` host NQNs (normal forms,
    ``ontap_records.wanted_initiators``; every mapped namespace when None). A map naming a subsystem or namespace
    the other reads did not return is appended to ``problems`` as ``dropped_mapping`` (changed between requests:
    the records may be incomplete); a map whose ``nsid`` is not in ONTAP's documented form ("00000001h") as
    ``unexpected_format`` (never guessed: a wrong NSID matches another namespace), and so is an NVMe LIF without its
    identity in the documented form (``lif_problems``). A record's ``nsid`` and ``anagrpid`` are numbers, as the
    host's sysfs gives them (``anagrpid`` None when not in that form: it decides nothing), and carries its SVM's
    NVMe/TCP and NVMe/FC LIFs."""
    if nvme.get("state") != READ:
        return []
    subsystems = {s["uuid"]: s for s in nvme["subsystems"]}
    namespaces = {n["uuid"]: n for n in nvme["namespaces"]}
    lifs, fc_lifs = {}, {}
    for lif in nvme["lifs"]:
        lifs.setdefault(lif["svm"], []).append({k: lif[k] for k in ("name", "address", "state", "enabled")})
    for lif in nvme.get("fc_lifs") or []:
        fc_lifs.setdefault(lif["svm"], []).append({k: lif[k] for k in ("name", "wwpn", "state", "enabled")})
    if problems is not None:
        problems.extend(lif_problems(nvme, cluster))
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
        out.append(_record(cluster, namespace, subsystem, nmap, lifs.get(namespace["svm"], []),
                           fc_lifs.get(namespace["svm"], []), collected_at))
    out.sort(key=lambda r: (r["svm"] or "", r["name"] or "", r["subsystem"] or ""))
    return out


def lif_problems(nvme, cluster):
    """An ``unexpected_format`` problem for each NVMe LIF the read gave without its identity in ONTAP's documented
    form (an NVMe/TCP LIF without an address, an NVMe/FC LIF whose WWPN is not 8 colon-separated hex pairs): its
    SVM's list of LIFs would be short by one, and a controller to that LIF would look like one whose LIF is gone."""
    out = []
    for lif in nvme.get("lifs") or []:
        if not lif.get("address"):
            out.append(_lif_problem(cluster, lif, "NVMe/TCP", "no ip.address"))
    for lif in nvme.get("fc_lifs") or []:
        if not _fc_wwpn(lif):
            out.append(_lif_problem(cluster, lif, "NVMe/FC", "wwpn %r, not ONTAP's documented form (8 colon-"
                                    "separated hex pairs, e.g. 20:05:00:50:56:bb:a0:e0)" % lif.get("wwpn")))
    return out


def _lif_problem(cluster, lif, kind, what):
    return {"cluster": cluster, "svm": lif.get("svm"), "kind": "unexpected_format",
            "msg": "ONTAP %s: the %s LIF %s of %s has %s: which LIFs the SVM has is not known"
                   % (cluster, kind, lif.get("name"), lif.get("svm"), what)}


def _record(cluster, namespace, subsystem, nmap, lifs, fc_lifs, collected_at):
    return {
        "cluster": cluster, "svm": namespace["svm"], "uuid": namespace["uuid"], "name": namespace["name"],
        "os_type": namespace["os_type"], "state": namespace["state"], "size_bytes": namespace["size_bytes"],
        # ONTAP's "00000001h" as the host's sysfs gives it (decimal: /sys/block/nvmeXnY/nsid, ana_grpid)
        "nsid": _nsid(nmap), "anagrpid": ontap_hex_id(nmap["anagrpid"]),
        "subsystem": subsystem["name"], "subsystem_uuid": subsystem["uuid"], "subsystem_nqn": subsystem["nqn"],
        "subsystem_serial": subsystem["serial"], "subsystem_os_type": subsystem["os_type"],
        "host_nqns": list(subsystem["host_nqns"]),
        "tcp_lifs": [dict(lif) for lif in lifs],
        "fc_lifs": [dict(lif) for lif in fc_lifs],
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
