# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SAN mapping truth of one ONTAP cluster, built from the answers of its REST API, and the records selected
from it.

* ``fetch_truth`` reads one cluster (optionally one SVM) in bulk: ``/api/cluster``, ``/api/svm/svms`` (only with an
  SVM), ``/api/protocols/san/igroups``, ``/api/storage/luns`` and what identifies each SVM on the wire
  (``/api/protocols/san/iscsi/services``, ``/api/network/ip/interfaces``, ``/api/network/fc/interfaces``: the FC
  LIFs of both data protocols, FCP for the SCSI targets and FC-NVMe for the NVMe ones), and its NVMe side
  (``ontap_nvme.fetch_nvme``) -- 7 requests for a 10,000-LUN cluster without NVMe (+1 with an SVM, +4 when an SVM
  serves NVMe).
* ``lun_records`` / ``igroup_records`` are pure selections on that truth.

No credential is ever put in a truth, a record or an error message.
"""

from __future__ import annotations

import re
import time

from ansible.utils.display import Display

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import (
    InvalidInput,
    ontap_wwid,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_client import (
    DEFAULT_MAX_PAGES,
    OntapError,
    format_ontap_error,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_nvme import (
    NO_NVME, NVME_REQUESTS_WITHOUT_SERVICE, READ as NVME_READ, READS as NVME_READS, fetch_nvme)

display = Display()


def plain_wwid(serial):
    """The WWID of an ONTAP LUN serial as a plain str: the records are lookup results, Ansible variables, and
    ansible-core 2.19+ warns on every str subclass it stores (identity.Wwid), converting it anyway."""
    return str(ontap_wwid(serial))


# Fields asked for: only what the records use.  lun_maps.* is an "expensive" LUN field: ONTAP returns it only when
# named.  The nested igroup of a LUN map carries initiators only from ONTAP 9.16, so initiators come from igroups.
LUN_FIELDS = ("uuid,name,svm.name,serial_number,status.state,space.size,"
              "lun_maps.igroup.uuid,lun_maps.igroup.name,lun_maps.logical_unit_number")
IGROUP_FIELDS = "uuid,name,svm.name,protocol,os_type,initiators.name"
CLUSTER_FIELDS = "name,uuid,version.full"
SVM_FIELDS = "name,uuid"
# What identifies an SVM on the wire: its iSCSI target name (one per SVM), its iSCSI data LIF addresses and its
# FC LIF WWPNs (a host's session names the target IQN, an FC remote port its WWPN). The FC LIFs are read once for
# both families: ONTAP tells an NVMe/FC LIF from an FCP one by `data_protocol` alone ("fcp" or "fc_nvme", the same
# two values in the 9.8 and 9.17.1 REST references; FC LIFs carry no service policy), so one request without a
# data_protocol filter gives the SCSI targets and the NVMe/FC ones (docs/ontap.md).
ISCSI_SERVICE_FIELDS = "svm.name,target.name,enabled"
IP_INTERFACE_FIELDS = "svm.name,ip.address,services,enabled"
FC_INTERFACE_FIELDS = "name,svm.name,wwpn,data_protocol,enabled,state"
FCP = "fcp"

# every GET of a cluster read: (collection, the query filter beside fields and paging, the fields asked for); the
# contract fixtures (tests/unit/fixtures/ontap/) hold NetApp's documented answer for each, and docs/ontap.md's table
# lists each field
SAN_READS = (
    ("cluster", None, CLUSTER_FIELDS),
    ("svm/svms", None, SVM_FIELDS),
    ("protocols/san/igroups", None, IGROUP_FIELDS),
    ("storage/luns", None, LUN_FIELDS),
    ("protocols/san/iscsi/services", None, ISCSI_SERVICE_FIELDS),
    ("network/ip/interfaces", {"services": "data_iscsi"}, IP_INTERFACE_FIELDS),
    ("network/fc/interfaces", None, FC_INTERFACE_FIELDS),
)
READS = SAN_READS + NVME_READS

# GETs of one cluster read whose collections fit one page: cluster, igroups, luns, iscsi/services, ip and fc
# interfaces, nvme/services (+1 for svm/svms with an SVM; +4 when an SVM serves NVMe: ontap_nvme).
REQUESTS_PER_CLUSTER = 6 + NVME_REQUESTS_WITHOUT_SERVICE
# the format of a truth (and of the run cache's entries that hold one); 3: the truth carries its NVMe read; 4: and
# its NVMe/FC LIFs
CACHE_FORMAT = 4

_WWPN = re.compile(r"^(?:0x)?([0-9a-f]{2}(?:[:-]?[0-9a-f]{2}){7})$")


def normalize_initiator(value):
    """Compare key of an initiator: identity.normalize_initiator, the one normal form the judge on the host
    compares with too (a WWPN as bare hex)."""
    return identity.normalize_initiator(str(value))


def ontap_wwpn(value):
    """A WWPN spelled aa:bb:...:hh as ONTAP prints it (what the truth's fc_wwpns show); other names as given in
    their normal form. For display only: compare normalize_initiator keys."""
    key = normalize_initiator(value)
    match = _WWPN.match(key)
    if match:
        return ":".join(key[i:i + 2] for i in range(0, 16, 2))
    return key


def is_iqn(value):
    return str(value).strip().lower().startswith(("iqn.", "eui.", "naa."))


def fetch_truth(client, svm=None, page_size=None, max_pages=DEFAULT_MAX_PAGES):
    """Read the SAN mapping truth of one cluster (or one SVM) in bulk. JSON-able; no secrets inside."""
    started = time.monotonic()
    warnings_ = []
    status, cluster, error = client.get_one("cluster", {"fields": CLUSTER_FIELDS})
    if error:
        if status == 403:
            # an SVM-scoped account (vsadmin) may not read /api/cluster: label records with the hostname. It may
            # also see only part of the mappings, so the host's removals are blocked (a problem, not only a warning).
            msg = ("ONTAP GET cluster on %s: %s; an SVM-scoped login (the hostname is used as the cluster name, "
                   "and it may not see every mapping)"
                   % (client.hostname, error.get("message") if isinstance(error, dict) else error))
            display.warning(msg)
            warnings_.append({"kind": "svm_scoped_login", "msg": msg})
            cluster = {"name": client.hostname}
        else:
            raise OntapError(client.redact(format_ontap_error("GET", "cluster", client.hostname, status, error)))
    elif not cluster.get("name"):
        raise OntapError("ONTAP GET cluster on %s: the answer (HTTP %s) carries no cluster name; not ONTAP's "
                         "answer (a proxy?)" % (client.hostname, status))
    common = {}
    if page_size:
        common["max_records"] = int(page_size)
    if svm:
        svms = client.get_all("svm/svms", {"name": svm, "fields": SVM_FIELDS}, max_pages)
        if not svms:
            raise OntapError("ONTAP GET svm/svms on %s: no SVM named %r" % (client.hostname, svm))
        common["svm.name"] = svm
    igroups, luns, services, ip_lifs, fc_lifs = (
        client.get_all(api, dict(common, fields=fields, **(query or {})), max_pages)
        for api, query, fields in SAN_READS[2:])
    nvme = fetch_nvme(client, common, max_pages, fc_lifs)    # never raises: its state says what it proves
    return {
        "format": CACHE_FORMAT,
        "cluster": cluster.get("name") or client.hostname,
        "cluster_version": ((cluster.get("version") or {}).get("full")),
        "hostname": client.hostname,
        "svm": svm,
        "fetched_at": time.time(),
        "elapsed": round(time.monotonic() - started, 3),
        "requests": client.requests_made,
        # the retries the read needed (HTTP 503 or 429, connection resets: ontap_client.RETRY_STATUSES), by reason
        "retries": dict((why, client.retries.count(why)) for why in sorted(set(client.retries))),
        "igroups": [_slim_igroup(r) for r in igroups],
        "luns": [_slim_lun(r) for r in luns],
        "targets": svm_targets(services, ip_lifs, fc_lifs),
        "nvme": nvme,
        "warnings": warnings_,
    }


def svm_targets(services, ip_lifs, fc_lifs):
    """[{svm, iscsi_target_names, iscsi_addresses, fc_wwpns}]: what identifies each SVM on the wire.

    A LIF that is down or disabled still identifies its SVM (identity, not health)."""
    out = {}

    def entry(rec):
        name = (rec.get("svm") or {}).get("name")
        return out.setdefault(name, {"svm": name, "iscsi_target_names": [], "iscsi_addresses": [], "fc_wwpns": []})

    for rec in services:
        target = (rec.get("target") or {}).get("name")
        if target:
            entry(rec)["iscsi_target_names"].append(target)
    for rec in ip_lifs:
        address = (rec.get("ip") or {}).get("address")
        if address and "data_iscsi" in (rec.get("services") or []):
            entry(rec)["iscsi_addresses"].append(address)
    for rec in fc_lifs:
        # an FC-NVMe LIF is the NVMe truth's (ontap_nvme); one without a data_protocol serves no SCSI path we know of
        if rec.get("wwpn") and rec.get("data_protocol") == FCP:
            entry(rec)["fc_wwpns"].append(ontap_wwpn(rec["wwpn"]))
    return [out[k] for k in sorted(out, key=str)]


def _slim_igroup(rec):
    return {
        "uuid": rec.get("uuid"),
        "name": rec.get("name"),
        "svm": (rec.get("svm") or {}).get("name"),
        "protocol": rec.get("protocol"),
        "os_type": rec.get("os_type"),
        "initiators": [i.get("name") if isinstance(i, dict) else i for i in rec.get("initiators") or []],
    }


def _slim_lun(rec):
    return {
        "uuid": rec.get("uuid"),
        "path": rec.get("name"),
        "svm": (rec.get("svm") or {}).get("name"),
        "serial": rec.get("serial_number"),
        "state": (rec.get("status") or {}).get("state"),
        "size_bytes": (rec.get("space") or {}).get("size"),
        "maps": [{"igroup_uuid": (m.get("igroup") or {}).get("uuid"),
                  "igroup": (m.get("igroup") or {}).get("name"),
                  "lun_id": m.get("logical_unit_number")} for m in rec.get("lun_maps") or []],
    }


# ------------------------------------------------------------------------------------------------ selections

def wanted_initiators(initiators):
    """The normal forms of ``initiators``; None (every mapping) when unset."""
    if initiators is None:
        return None
    if isinstance(initiators, str):
        initiators = [initiators]
    return {normalize_initiator(i) for i in initiators if str(i).strip()}


def lun_records(truth, initiators=None, problems=None):
    """One record per (LUN, igroup) mapping whose igroup holds any of ``initiators`` (all mappings when None).

    The record shape is the array-truth contract of docs/design.md. A mapping to an igroup the igroups query did
    not return is appended to ``problems`` (when given) as ``dropped_mapping``.
    """
    wanted = wanted_initiators(initiators)
    by_uuid = {g["uuid"]: g for g in truth["igroups"]}
    if wanted is None:
        selected = set(by_uuid)
    else:
        selected = {u for u, g in by_uuid.items() if wanted & {normalize_initiator(i) for i in g["initiators"]}}
    out = []
    for lun in truth["luns"]:
        for lmap in lun["maps"]:
            if lmap["igroup_uuid"] not in selected:
                if lmap["igroup_uuid"] not in by_uuid:
                    msg = ("ONTAP %s: LUN %s is mapped to igroup %s, which the igroups query did not return "
                           "(changed between requests?)" % (truth["cluster"], lun["path"], lmap["igroup"]))
                    display.warning(msg)
                    if problems is not None:
                        problems.append({"cluster": truth["cluster"], "svm": lun["svm"], "kind": "dropped_mapping",
                                         "msg": msg})
                continue
            igroup = by_uuid[lmap["igroup_uuid"]]
            serial = lun["serial"]
            try:
                wwid = plain_wwid(serial)
            except InvalidInput as exc:
                raise OntapError("ONTAP %s: LUN %s has serial number %r, not 12 characters: %s"
                                 % (truth["cluster"], lun["path"], serial, exc))
            out.append({
                "cluster": truth["cluster"],
                "svm": lun["svm"],
                "path": lun["path"],
                "uuid": lun["uuid"],
                "serial": serial,
                "serial_hex": serial.encode("ascii").hex(),
                "wwid": wwid,
                "lun_id": lmap["lun_id"],
                "igroup": igroup["name"],
                "igroup_protocol": igroup["protocol"],
                "igroup_os_type": igroup["os_type"],
                "igroup_initiators": list(igroup["initiators"]),
                "state": lun["state"],
                "size_bytes": lun["size_bytes"],
                "collected_at": truth.get("fetched_at"),
            })
    out.sort(key=lambda r: (r["svm"] or "", r["path"] or "", r["igroup"] or ""))
    return out


def classify_igroup(initiators, hosts_index=None, key=normalize_initiator, one_per_host=is_iqn):
    """(sharing, basis, owners): sharing is per_host, shared, unknown or empty.

    With ``hosts_index`` ({initiator: host}), owners are the inventory hosts whose initiators the igroup holds.
    Without it (or when no initiator is known), the rule is that a Linux host has one iSCSI IQN, so two IQNs mean two
    hosts; WWPN-only igroups cannot be judged (a host usually has two or more ports). ``key``: what initiators
    compare by; ``one_per_host``: the names a host has one of (an NVMe subsystem's host NQNs: ``key`` is the NQN
    itself, compared exactly, and every name is one host's).
    """
    if not initiators:
        return "empty", "none", []
    norm = [key(i) for i in initiators]
    hosts_index = {key(k): v for k, v in (hosts_index or {}).items()}
    owners = sorted({hosts_index[i] for i in norm if hosts_index and i in hosts_index})
    unknown = [i for i in norm if not (hosts_index and i in hosts_index)]
    unknown_iqns = [i for i in unknown if one_per_host(i)]
    if owners:
        if len(owners) > 1 or unknown_iqns:
            return "shared", "hosts", owners
        return ("per_host" if not unknown else "unknown"), "hosts", owners
    iqns = [i for i in norm if one_per_host(i)]
    if len(iqns) > 1:
        return "shared", "iqn_count", owners
    if len(iqns) == 1 and len(norm) == 1:
        return "per_host", "iqn_count", owners
    return "unknown", "none", owners


def _hosts_index(hosts):
    """{initiator: inventory host} of ``hosts`` (host -> its initiators, or one)."""
    return dict((init, host) for host, inits in (hosts or {}).items()
                for init in ([inits] if isinstance(inits, str) else inits or []))


def igroup_records(truth, initiators=None, hosts=None):
    """One record per igroup (holding any of ``initiators`` when given), with its LUN maps and sharing class."""
    wanted = wanted_initiators(initiators)
    hosts_index = _hosts_index(hosts)
    maps = {}
    for lun in truth["luns"]:
        for lmap in lun["maps"]:
            serial = lun["serial"]
            try:
                wwid = plain_wwid(serial)
            except InvalidInput:
                wwid = None
            maps.setdefault(lmap["igroup_uuid"], []).append({
                "path": lun["path"], "uuid": lun["uuid"], "lun_id": lmap["lun_id"], "serial": serial,
                "wwid": wwid, "state": lun["state"]})
    out = []
    for igroup in truth["igroups"]:
        norm = {normalize_initiator(i) for i in igroup["initiators"]}
        if wanted is not None and not wanted & norm:
            continue
        sharing, basis, owners = classify_igroup(igroup["initiators"], hosts_index)
        out.append({
            "cluster": truth["cluster"],
            "svm": igroup["svm"],
            "name": igroup["name"],
            "uuid": igroup["uuid"],
            "protocol": igroup["protocol"],
            "os_type": igroup["os_type"],
            "initiators": list(igroup["initiators"]),
            "lun_maps": sorted(maps.get(igroup["uuid"], []), key=lambda m: (m["lun_id"], m["path"])),
            "hosts": owners,
            "sharing": sharing,
            "sharing_basis": basis,
            "shared": sharing == "shared",
        })
    out.sort(key=lambda r: (r["svm"] or "", r["name"] or ""))
    return out


def subsystem_records(truth, nqns=None, hosts=None):
    """One record per NVMe subsystem of the cluster's read that allows any of the host ``nqns`` (every one when None),
    in the shape of igroup_records -- protocol "nvme", ``initiators`` the host NQNs it allows, no LUN maps -- so that
    the igroup layout and the fleet's spanning check read subsystems as they read igroups. NQNs compare exactly (as
    the kernel and ONTAP do), each one host's. A subsystem whose hosts list was not read whole has ``initiators``
    None and sharing "unknown": whom it allows is unknown, never "nobody". A cluster without NVMe has none; one whose
    NVMe part was not read, one record {cluster, protocol, nvme_unread: why}."""
    nvme = truth.get("nvme") or {}
    if nvme.get("state") == NO_NVME:
        return []
    if nvme.get("state") != NVME_READ:
        # the SAN part of the cluster was read, its NVMe part not: its subsystems are not compared, and say so
        return [{"cluster": truth["cluster"], "protocol": "nvme", "nvme_unread": nvme.get("reason") or "not read"}]
    wanted = None if nqns is None else set([nqns] if isinstance(nqns, str) else nqns)
    hosts_index = _hosts_index(hosts)
    out = []
    for sub in nvme.get("subsystems") or []:
        allowed = sub.get("hosts")
        if wanted is not None and allowed is not None and not wanted & set(allowed):
            continue
        if allowed is None:
            sharing, basis, owners = "unknown", "none", []
        else:
            sharing, basis, owners = classify_igroup(allowed, hosts_index, key=str, one_per_host=lambda _nqn: True)
        out.append({"cluster": truth["cluster"], "svm": sub.get("svm"), "name": sub.get("name"), "uuid": sub.get("uuid"),
                    "protocol": "nvme", "os_type": sub.get("os_type"), "nqn": sub.get("nqn"),
                    "initiators": None if allowed is None else list(allowed), "lun_maps": [], "hosts": owners,
                    "sharing": sharing, "sharing_basis": basis, "shared": sharing == "shared"})
    out.sort(key=lambda r: (r["svm"] or "", r["name"] or ""))
    return out
