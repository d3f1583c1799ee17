# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Array truth coverage: which records apply to this host's initiators and protocol, which SVM serves a path (by
iSCSI target name and portal address, FC WWPN), and the target identities two SVMs list. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    SAN_TRANSPORTS, normalize_initiator, serial_matches)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import ALL_INITIATORS


# cross-check with the array


def serial_of(observed, record):
    return serial_matches(observed, record.get("serial"), record.get("serial_hex"))


def record_applies(record, initiators):
    """Is this mapping for one of this host's initiators? (Records without initiators are trusted as given.)"""
    inits = record.get("igroup_initiators")
    if not inits:
        return True
    return any(normalize_initiator(i) in initiators for i in inits)


def protocol_ok(record, transport):
    proto = (record.get("igroup_protocol") or "mixed").lower()
    if proto == "mixed" or transport not in SAN_TRANSPORTS:
        return True
    return (proto == "iscsi" and transport == "iscsi") or (proto in ("fcp", "fc") and transport == "fc")


def record_summary(r):
    return {k: r.get(k) for k in ("cluster", "svm", "path", "serial", "wwid", "lun_id", "igroup", "state")}


def disk_path_initiators(disk, snapshot, iscsi_iqn):
    """The initiator a path to this disk logs in with, as the kernel names it for that path: the iSCSI session's
    initiatorname, the FC host port's WWPN. None when the kernel names none: the host-wide name (an iface may log
    in with another; /etc/iscsi/initiatorname.iscsi may not be what the kernel uses) is never taken for it."""
    if disk.get("initiator"):
        return set([normalize_initiator(disk["initiator"])])
    if disk.get("transport") == "fc":
        for fc in (snapshot.get("host") or {}).get("fc_hosts") or []:
            if fc.get("host") == disk.get("host") and fc.get("wwpn"):
                return set([normalize_initiator(fc["wwpn"])])
    return None


# a target identity listed under two (cluster, SVM) entries of the array truth (docs/ontap.md)
DUPLICATE_IDENTITY = "duplicate_target_identity"


def _identities(target):
    for name in target.get("iscsi_target_names") or []:
        yield ("iqn", str(name).strip().lower())
    for wwpn in target.get("fc_wwpns") or []:
        yield ("wwpn", normalize_initiator(wwpn))
    for nqn in target.get("subsystem_nqns") or []:   # NVMe targets (ontap_nvme): the subsystem's NQN
        yield ("nqn", str(nqn).strip().lower())


def coverage_index(array_targets):
    """{("iqn", name) or ("wwpn", hex): set of (cluster, svm)} from the target identities of the array truth.
    More than one (cluster, svm) for an identity (a cloned or renamed target, identity-preserving DR or
    migration) means nobody can say which of them serves a path to it."""
    index = {}
    for t in array_targets or []:
        key = (t.get("cluster"), t.get("svm"))
        for ident in _identities(t):
            index.setdefault(ident, set()).add(key)
    return index


def duplicate_identities(array_targets):
    """Problems ({cluster, svm, kind, identity, msg}) for each target identity listed under two (cluster, SVM)
    entries: devices behind it are not judged, and a problem blocks every removal on the host."""
    out = []
    index = coverage_index(array_targets)
    for ident in sorted(index):
        svms = sorted(index[ident], key=str)
        if len(svms) > 1:
            where = ", ".join("%s/%s" % k for k in svms)
            out.append({"cluster": svms[0][0], "svm": svms[0][1], "kind": DUPLICATE_IDENTITY,
                        "identity": "%s %s" % ident,
                        "msg": "target %s %s is listed under %d SVMs (%s): which one serves a path to it is "
                               "unknown, so an outage there could look unmapped" % (ident + (len(svms), where))})
    return out


def address_key(address):
    """An IP address in one comparable form (IPv6 compressed, lower case); other text stripped, lower case."""
    text = str(address or "").strip().strip("[]")
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text.lower()


def portal_address(portal):
    """The address of an iSCSI portal "addr:port", "[v6]:port" or a bare address (observe.snapshot brackets IPv6)."""
    text = str(portal or "").strip()
    if text.startswith("["):
        return address_key(text[1:].split("]", 1)[0])
    if text.count(":") == 1:
        return address_key(text.split(":", 1)[0])
    return address_key(text)


def address_index(array_targets):
    """{(cluster, svm): set of iSCSI data LIF addresses} of the array truth."""
    out = {}
    for t in array_targets or []:
        key = (t.get("cluster"), t.get("svm"))
        out.setdefault(key, set()).update(address_key(a) for a in t.get("iscsi_addresses") or [])
    return out


def serving_svm(disk, index, addresses):
    """((cluster, svm), None) of the read SVM that serves the path to this disk -- by the session's target IQN
    and portal address, or the FC remote port's WWPN, read from sysfs -- or (None, why not): then nothing the
    array data says applies to it."""
    if disk.get("transport") == "iscsi" and disk.get("target_iqn"):
        ident, shown = ("iqn", disk["target_iqn"].strip().lower()), disk["target_iqn"]
    elif disk.get("transport") == "fc" and disk.get("target_wwpn"):
        ident, shown = ("wwpn", normalize_initiator(disk["target_wwpn"])), disk["target_wwpn"]
    else:
        return None, "target unknown: served by no SVM the array data covers"
    svms = index.get(ident) or set()
    if not svms:
        return None, "target %s is served by no SVM the array data covers" % shown
    if len(svms) > 1:
        return None, "target %s is listed under %d SVMs (%s): which one serves it is unknown" % (
            shown, len(svms), ", ".join("%s/%s" % k for k in sorted(svms, key=str)))
    key = next(iter(svms))
    if ident[0] == "iqn":
        portal = disk.get("target_portal")
        known = addresses.get(key) or set()
        if not portal or portal_address(portal) not in known:
            return None, "portal %s is not one of the iSCSI addresses of %s/%s (%s)" % (
                portal or "unknown", key[0], key[1], ", ".join(sorted(known)) or "none read")
    return key, None


def initiator_covered(path_inits, truth_initiators):
    """Why the records cannot hold this path's mappings (None when they can): they were read for other
    initiators, or the truth does not say for which."""
    if truth_initiators is None:
        return "the array truth does not say which initiators its records were read for"
    if ALL_INITIATORS in truth_initiators:
        return None
    missing = sorted(i for i in path_inits if i not in truth_initiators)
    if missing:
        return "initiator %s is not one the array truth was read for (%s)" % (
            ", ".join(missing), ", ".join(sorted(truth_initiators)) or "none")
    return None


def same_serial(a, b):
    return bool(a) and bool(b) and a.strip() == b.strip()
