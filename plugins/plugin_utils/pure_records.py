# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SAN mapping truth of one Pure Storage FlashArray, built from its REST 2.x answers, and the records selected
from it in the array-truth contract of docs/ontap.md (the shape of ontap_records.lun_records).

* ``fetch_truth`` reads one array in bulk: GET /arrays, /hosts, /host-groups, /volumes, /connections and /ports
  (7 requests with api_version and login, when every collection fits one page).
* ``lun_records`` and ``array_targets`` are pure selections on that truth.

A FlashArray "host" is what an ONTAP igroup is (a named set of initiators), a "connection" what a LUN map is (a
volume, a host or host group, a LUN). The fields read, and the source of each format, are listed in READS and in
tests/unit/plugins/plugin_utils/fixtures/pure/SOURCES.md. No credential is ever put in a truth, a record or an error.
"""

from __future__ import annotations

import re
import time

from ansible.utils.display import Display

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import nsid_number
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_records import (
    normalize_initiator,
    ontap_wwpn,
    wanted_initiators,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_client import (
    PureError,
    parse_version,
    version_text,
)

display = Display()

# the format of a truth of this module (a cache keyed on it would drop other formats)
TRUTH_FORMAT = 2   # 2: no "nvme" part (it is selected from the connections, hosts and ports)

# The NAA-6 identifier a FlashArray volume shows a Linux host, as multipath names it: "3" (SCSI name type NAA), "6"
# (NAA registered extended), Pure's IEEE OUI 24a937, "0", then the volume's 24 hex digit serial, lower case. Pure's
# own OpenStack driver builds it so (openstack/cinder, the driver module cinder.volume.drivers.pure, _get_wwn, "the constant '36',
# the OUI for Pure, followed by '0', and finally the serial number", lower-cased) and its test pairs serial
# 9714B5CB91634C470002B2C8 with 3624a93709714b5cb91634c470002b2c8 (SOURCES.md).
PURE_WWID_PREFIX = "3624a9370"
_SERIAL = re.compile(r"^[0-9A-Fa-f]{24}$")

# What pure_records reads from each endpoint: (endpoint, the SDK model of its items, the dotted fields read). The
# field test (test_pure_models.py) checks each against py-pure-client's model of the version the client chooses.
READS = (
    ("arrays", "Arrays", ("id", "name")),
    ("hosts", "Host", ("name", "iqns", "wwns", "nqns", "host_group.name", "personality")),
    ("host-groups", "HostGroup", ("name", "host_count")),
    ("volumes", "Volume", ("id", "name", "serial", "provisioned", "destroyed")),
    ("connections", "Connection", ("host.name", "host_group.name", "volume.id", "volume.name", "lun", "nsid")),
    ("ports", "Port", ("name", "iqn", "wwn", "nqn", "portal")),
)

# The NGUID a FlashArray namespace shows a host: "00", the volume serial's first 14 hex digits, Pure's IEEE OUI
# 24a937, its last 10, lower case. Pure's OpenStack driver builds it so (openstack/cinder cinder.volume.drivers.pure
# _get_nguid; its test pairs serial 9714B5CB91634C470002B2C8 with 009714b5cb91634c24a937470002b2c8), as does Pure's
# Ansible collection (purefa_volume _create_nguid); Pure's KB "How To: Identify Pure Storage Namespaces on ESXi" gives
# the layout and a capture, eui.003b7b308d98f94224a9375e00018816 (SOURCES.md).
PURE_OUI = "24a937"

# The NVMe part cannot be read when the NVMe ports do not name one subsystem: a FlashArray serves every namespace
# under its one NQN, so two would leave a namespace's subsystem unknown ("unreadable": its NVMe devices not_covered).
NVME_NQNS_UNCLEAR = "the FlashArray's NVMe ports do not name one subsystem NQN"
# ... and when its NVMe records cannot be made (a volume serial no NGUID comes from): its SCSI part stands
NVME_PART_UNUSABLE = "the FlashArray's NVMe part cannot be used"

DROPPED = "dropped_mapping"


def pure_wwid(serial):
    """'3624a9370' + the serial in lower case; PureError for a serial that is not 24 hex digits (it would give a
    WWID no device has, and the volume it maps would look unmapped)."""
    if not isinstance(serial, str) or not _SERIAL.match(serial):
        raise PureError("Pure volume serial %r is not 24 hex digits: no WWID can be derived from it" % (serial,))
    return PURE_WWID_PREFIX + serial.lower()


def pure_nguid(serial):
    """The NGUID of the volume with this serial (PURE_OUI), 32 lower-case hex digits; PureError for a serial that is
    not 24 hex digits."""
    pure_wwid(serial)
    return ("00" + serial[:14] + PURE_OUI + serial[14:]).lower()


def _name(ref):
    """The name of a reference object ({"name": ...}); None for null, {} or a blank name."""
    return (ref.get("name") or None) if isinstance(ref, dict) else None


def _strings(values):
    return [str(v) for v in values or [] if isinstance(v, str) and v.strip()]


def fetch_truth(client):
    """Read the SAN mapping truth of one FlashArray in bulk. JSON-able; no secrets inside."""
    started = time.monotonic()
    arrays = client.get_all("arrays")
    if len(arrays) != 1 or not _name(arrays[0]):
        raise PureError("Pure GET arrays on %s: expected one array with a name, got %d items; not a FlashArray's "
                        "answer" % (client.hostname, len(arrays)))
    array = arrays[0]
    hosts, groups, volumes, connections, ports = (
        client.get_all(endpoint) for endpoint, _model, _fields in READS[1:])
    truth = {
        "format": TRUTH_FORMAT,
        "array": array["name"],
        "array_id": array.get("id"),
        "hostname": client.hostname,
        "api_version": version_text(client.api_version) if client.api_version else None,
        "fetched_at": time.time(),
        "elapsed": round(time.monotonic() - started, 3),
        "requests": client.requests_made,
        # the retries the read needed (HTTP 503 or 429, connection resets: pure_client.RETRY_STATUSES), by reason
        "retries": dict((why, client.retries.count(why)) for why in sorted(set(client.retries))),
        "hosts": [{"name": h.get("name"), "iqns": _strings(h.get("iqns")), "wwns": _strings(h.get("wwns")),
                   "nqns": _strings(h.get("nqns")), "host_group": _name(h.get("host_group")),
                   "personality": h.get("personality") or None} for h in hosts],
        "host_groups": [{"name": g.get("name"), "host_count": g.get("host_count")} for g in groups],
        "volumes": [{"id": v.get("id"), "name": v.get("name"), "serial": v.get("serial"),
                     "provisioned": v.get("provisioned"), "destroyed": v.get("destroyed")} for v in volumes],
        "connections": [_slim_connection(c) for c in connections],
        "ports": [{"name": p.get("name"), "iqn": p.get("iqn"), "wwn": p.get("wwn"), "nqn": p.get("nqn"),
                   "portal": p.get("portal")} for p in ports],
        "warnings": [],
    }
    truth["targets"] = array_targets(truth)
    return truth


def _slim_connection(rec):
    volume = rec.get("volume") if isinstance(rec.get("volume"), dict) else {}
    out = {"host": _name(rec.get("host")), "host_group": _name(rec.get("host_group")),
           "volume": volume.get("name"), "volume_id": volume.get("id"), "lun": rec.get("lun")}
    if rec.get("nsid") is not None:
        out["nsid"] = rec["nsid"]
    return out


# ------------------------------------------------------------------------------------------------ selections

def _protocol(host):
    """'iscsi', 'fcp' or 'mixed' from a host's initiators (what protocol_ok compares with a path's transport); a host
    without IQNs and WWNs is 'mixed', which restricts nothing."""
    if host["iqns"] and not host["wwns"]:
        return "iscsi"
    if host["wwns"] and not host["iqns"]:
        return "fcp"
    return "mixed"


def _state(volume):
    """'online' for a volume Pure says is not destroyed. A destroyed volume (pending eradication) that a connection
    still names is 'destroyed': it is still a record, so the judge sees the LUN as mapped (never as unmapped, whatever
    the word), and a reader of the plan sees why the LUN may stop answering. None when Pure did not say."""
    if volume.get("destroyed") is True:
        return "destroyed"
    if volume.get("destroyed") is False:
        return "online"
    return None


def _problem(truth, problems, msg):
    display.warning(msg)
    if problems is not None:
        problems.append({"cluster": truth["array"], "svm": None, "kind": DROPPED, "msg": msg})


def _connection_hosts(truth, conn, hosts, problems):
    """The host names a connection reaches: its host, or every member of its host group. A host or group the
    reads did not return (or a group whose member count disagrees with the hosts read) is a problem: its volume is
    mapped to someone the records cannot name, which must block removals rather than look unmapped."""
    where = "Pure %s: volume %s" % (truth["array"], conn.get("volume") or conn.get("volume_id"))
    if conn.get("host"):
        if conn["host"] not in hosts:
            _problem(truth, problems, "%s is connected to host %s, which the hosts read did not return (changed "
                                      "between requests?)" % (where, conn["host"]))
            return []
        return [conn["host"]]
    group = conn.get("host_group")
    if not group:
        _problem(truth, problems, "%s has a connection that names neither a host nor a host group" % where)
        return []
    members = sorted(h["name"] for h in hosts.values() if h["host_group"] == group)
    counts = dict((g["name"], g.get("host_count")) for g in truth.get("host_groups") or [])
    if group not in counts or (isinstance(counts[group], int) and counts[group] != len(members)):
        _problem(truth, problems, "%s is connected to host group %s, whose hosts the reads did not all return "
                                  "(host_count %s, %d hosts read)" % (where, group, counts.get(group), len(members)))
    return members


def _indexes(truth):
    """The host objects by name, and the function that finds a connection's volume: by ``volume_id`` when the
    connection gives one, else by name; None when the volumes read did not return it."""
    hosts = dict((h["name"], h) for h in truth["hosts"])
    by_id = dict((v["id"], v) for v in truth["volumes"] if v.get("id"))
    by_name = dict((v["name"], v) for v in truth["volumes"] if v.get("name"))

    def volume_of(conn):
        return by_id.get(conn.get("volume_id")) if conn.get("volume_id") else by_name.get(conn.get("volume"))
    return hosts, volume_of


def _volume_identity(truth, volume, form):
    """``form`` (pure_wwid or pure_nguid) of the volume's serial; PureError naming the array and the volume."""
    try:
        return form(volume.get("serial"))
    except PureError as exc:
        raise PureError("Pure %s: volume %s: %s" % (truth["array"], volume.get("name"), exc))


def lun_records(truth, initiators=None, problems=None):
    """One record per (volume, host) connection whose host holds any of ``initiators`` (all when None), in the
    shape of ontap_records.lun_records: cluster is the array's name, svm None, path the volume's name, igroup the
    host's name. NVMe connections (an nsid and no LUN) are not SCSI records (nvme_records reads them). A
    connection naming a host, host group or volume the reads did not return is appended to ``problems`` as
    dropped_mapping. PureError for a volume serial that is not 24 hex digits."""
    wanted = wanted_initiators(initiators)
    hosts, volume_of = _indexes(truth)
    out, seen = [], set()
    for conn in truth["connections"]:
        if conn.get("lun") is None and conn.get("nsid") is not None:
            continue
        volume = volume_of(conn)
        if volume is None:
            _problem(truth, problems, "Pure %s: a connection names volume %s, which the volumes read did not return "
                                      "(changed between requests?)" % (truth["array"], conn.get("volume")))
            continue
        for name in _connection_hosts(truth, conn, hosts, problems):
            host = hosts[name]
            inits = host["iqns"] + host["wwns"]
            if wanted is not None and not wanted & set(normalize_initiator(i) for i in inits):
                continue
            key = (volume.get("id") or volume["name"], name, conn.get("lun"))
            if key in seen:
                continue
            seen.add(key)
            wwid = _volume_identity(truth, volume, pure_wwid)
            out.append({
                "cluster": truth["array"],
                "svm": None,
                "path": volume.get("name"),
                "uuid": volume.get("id"),
                "serial": volume["serial"],
                "wwid": wwid,
                "lun_id": conn.get("lun"),
                "igroup": name,
                "igroup_protocol": _protocol(host),
                "igroup_os_type": host.get("personality"),
                "igroup_initiators": list(inits),
                "state": _state(volume),
                "size_bytes": volume.get("provisioned"),
                "collected_at": truth.get("fetched_at"),
            })
    out.sort(key=lambda r: (r["path"] or "", r["igroup"] or ""))
    return out


def portal_host(portal):
    """The address part of a port's portal: "10.0.0.1:3260" -> "10.0.0.1", "[2001:db8::1]:3260" -> "2001:db8::1"
    (the split Pure's OpenStack driver makes: the text before the last colon, brackets stripped)."""
    text = str(portal or "").strip()
    if not text:
        return None
    if text.startswith("["):
        return text[1:].split("]", 1)[0] or None
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def array_targets(truth):
    """[{cluster, svm: None, iscsi_target_names, iscsi_addresses, fc_wwpns, collected_at}]: what identifies this
    array on a host's paths, from its ports: an iSCSI port's IQN and portal address, an FC port's WWN. A port that
    is disabled or failed over still identifies the array (identity, not health). An FC port with an NQN serves
    NVMe/FC, not SCSI (Pure's OpenStack driver, _get_array_wwns), and an NVMe/TCP or RoCE port's portal is not an
    iSCSI address: neither is a SCSI target."""
    names, addresses, wwpns = [], [], []
    for port in truth.get("ports") or []:
        if port.get("iqn"):
            if port["iqn"] not in names:
                names.append(port["iqn"])
            address = portal_host(port.get("portal"))
            if address and address not in addresses:
                addresses.append(address)
        if port.get("wwn") and not port.get("nqn"):
            wwpn = ontap_wwpn(port["wwn"])
            if wwpn not in wwpns:
                wwpns.append(wwpn)
    return [{"cluster": truth["array"], "svm": None, "iscsi_target_names": names, "iscsi_addresses": addresses,
             "fc_wwpns": wwpns, "collected_at": truth.get("fetched_at")}]


# ------------------------------------------------------------------------------------------------ NVMe

def _nvme_ports(truth):
    return [p for p in truth.get("ports") or [] if p.get("nqn")]


def nvme_state(truth):
    """{state, reason, subsystem_nqn}: "read" when the NVMe ports name one subsystem NQN, "no_nvme" when no port
    has an NQN (a host's NVMe device cannot come from this array), "unreadable" when they name several."""
    nqns = sorted(set(normalize_initiator(p["nqn"]) for p in _nvme_ports(truth)))
    if not nqns:
        return {"state": "no_nvme", "reason": "no port of the FlashArray has an NQN", "subsystem_nqn": None}
    if len(nqns) > 1:
        return {"state": "unreadable", "subsystem_nqn": None,
                "reason": "%s (%s): which one serves a namespace is not known" % (NVME_NQNS_UNCLEAR, ", ".join(nqns))}
    return {"state": "read", "reason": None, "subsystem_nqn": _nvme_ports(truth)[0]["nqn"]}


def nvme_targets(truth):
    """[{svm: None, nvme_service_enabled: None, subsystem_nqns, tcp_addresses, fc_wwpns, subsystems}] in the shape of
    ontap_nvme.nvme_targets: the array's NQN, the addresses of its ports with an NQN and a portal (NVMe/TCP or
    RoCE: the port does not say which; a host's NVMe/TCP path to one reaches this array), the WWNs of its ports with
    an NQN (NVMe/FC), and the host NQNs the subsystem allows: those of every host object (a FlashArray serves a
    namespace to a host object's NQNs through a connection; one it does not know has nothing). Empty unless
    nvme_state is "read"."""
    state = nvme_state(truth)
    if state["state"] != "read":
        return []
    addresses, wwpns = [], []
    for port in _nvme_ports(truth):
        address = portal_host(port.get("portal"))
        if address and address not in addresses:
            addresses.append(address)
        if port.get("wwn") and ontap_wwpn(port["wwn"]) not in wwpns:
            wwpns.append(ontap_wwpn(port["wwn"]))
    allowed = sorted(set(n for h in truth["hosts"] for n in h["nqns"]))
    return [{"svm": None, "nvme_service_enabled": None, "subsystem_nqns": [state["subsystem_nqn"]],
             "tcp_addresses": addresses, "fc_wwpns": wwpns,
             "subsystems": [{"nqn": state["subsystem_nqn"], "host_nqns": allowed}]}]


# The REST version whose connections carry `nsid` (py-pure-client: the Connection model connection_v_2_27 adds it;
# connection_v_2_1 has `lun` alone, "integers in the range of 1 to 4095")
NSID_SINCE = (2, 27)


def _nsid_given(truth):
    version = parse_version(truth.get("api_version") or "")
    return version is not None and version >= NSID_SINCE


def _nvme_nsid(truth, conn, host, volume, problems):
    """The NSID a host with NQNs (``host``) sees for this connection: its ``nsid``. None for a SCSI connection: a
    ``lun`` alone, from a REST version that gives ``nsid``, to a host with SCSI initiators too. A problem
    (``unexpected_format``) for any other connection whose NSID is not known: an ``nsid`` that is no number from 1,
    a ``lun`` alone from a REST version without ``nsid`` or to a host with NQNs alone, neither: a FlashArray's LUN
    is not the namespace ID the host sees (Pure's KB "How To: Identify Pure Storage Namespaces on ESXi": namespace
    ID 100374 for a volume the GUI shows at another LUN), so the namespace could not be found and would look
    unmapped."""
    if conn.get("nsid") is None and conn.get("lun") is not None and _nsid_given(truth) and (
            host["iqns"] or host["wwns"]):
        return None
    nsid = conn.get("nsid")
    nsid = nsid_number(nsid) if isinstance(nsid, int) else None
    if nsid is None and problems is not None:
        problems.append({"cluster": truth["array"], "svm": None, "kind": "unexpected_format",
                         "msg": "Pure %s: the connection of volume %s to host %s (with NQNs) gives nsid %r and lun "
                                "%r (REST %s): which namespace ID the host sees is not known" % (
                                    truth["array"], volume.get("name"), host["name"], conn.get("nsid"),
                                    conn.get("lun"), truth.get("api_version"))})
    return nsid


def nvme_records(truth, wanted=None, problems=None):
    """One record per (volume, host) NVMe connection (_nvme_nsid) whose host holds any of the ``wanted`` host NQNs
    (normal forms; all when None), in the shape of ontap_nvme.nvme_records with the namespace's ``nguid`` in place
    of an ONTAP namespace UUID. A connection whose NSID cannot be told is an ``unexpected_format`` problem (a wrong
    NSID would match another namespace); hosts, host groups and volumes the reads did not return are
    ``dropped_mapping`` problems (lun_records). Empty unless nvme_state is "read"."""
    state = nvme_state(truth)
    if state["state"] != "read":
        return []
    hosts, volume_of = _indexes(truth)
    out, seen = [], set()
    for conn in truth["connections"]:
        named = hosts.get(conn.get("host")) if conn.get("host") else None
        if conn.get("nsid") is None and named is not None and not named["nqns"]:
            continue        # a SCSI connection of a host without NQNs (lun_records)
        volume = volume_of(conn)
        if volume is None:
            # an NVMe connection, or one that may be (a host group's, a host with NQNs): the NVMe part is incomplete
            if conn.get("nsid") is not None or named is None or named["nqns"]:
                _problem(truth, problems, "Pure %s: an NVMe connection names volume %s, which the volumes read did "
                                          "not return (changed between requests?)" % (truth["array"], conn.get("volume")))
            continue
        for name in _connection_hosts(truth, conn, hosts, problems):
            host = hosts[name]
            if not host["nqns"] or (wanted is not None
                                    and not wanted & set(normalize_initiator(n) for n in host["nqns"])):
                continue    # no NVMe host, or another host's: what it maps, or could not be told, says nothing here
            nsid = _nvme_nsid(truth, conn, host, volume, problems)
            if nsid is None:
                continue
            if (volume.get("id") or volume["name"], name, nsid) in seen:
                continue
            seen.add((volume.get("id") or volume["name"], name, nsid))
            nguid = _volume_identity(truth, volume, pure_nguid)
            out.append({"cluster": truth["array"], "svm": None, "uuid": None, "nguid": nguid,
                        "name": volume.get("name"), "os_type": host.get("personality"), "state": _state(volume),
                        "size_bytes": volume.get("provisioned"), "nsid": nsid, "anagrpid": None,
                        "subsystem": None, "subsystem_uuid": None, "subsystem_nqn": state["subsystem_nqn"],
                        "subsystem_serial": None, "subsystem_os_type": None, "host": name,
                        "host_nqns": list(host["nqns"]), "tcp_lifs": [], "fc_lifs": [],
                        "collected_at": truth.get("fetched_at")})
    out.sort(key=lambda r: (r["name"] or "", r["host"] or ""))
    return out
