# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side ONTAP access shared by the ``ontap_luns`` and ``ontap_igroups`` lookups.

* ``OntapClient`` wraps netapp.ontap's ``OntapRestAPI`` through a small module stand-in whose params are built
  from ``na_ontap_host_argument_spec()`` defaults (so keys added by later netapp.ontap releases keep their
  defaults), and pages through ``_links.next`` with a page guard.
* ``fetch_truth`` reads one cluster (optionally one SVM) in bulk: ``/api/cluster``, ``/api/svm/svms`` (only with an
  SVM), ``/api/protocols/san/igroups``, ``/api/storage/luns`` and what identifies each SVM on the wire
  (``/api/protocols/san/iscsi/services``, ``/api/network/ip/interfaces``, ``/api/network/fc/interfaces``) --
  6 requests for a 10,000-LUN cluster (7 with an SVM).
* ``array_truth`` reads a list of clusters and gives one host its array truth: records, the target identities
  they cover, and every problem met on the way (a problem blocks removals on the host; docs/ontap.md).
* ``get_truth`` caches that result for the run: in the process, and on disk under the controller's per-run tmp dir
  (``ansible-local-*``, removed by ansible when the run ends), with a lock so that forked workers wait for the first
  fetch instead of repeating it. Lookups run in forked worker processes (one per host and task), so the in-process
  cache alone is not shared between hosts; the on-disk one is.
* ``lun_records`` / ``igroup_records`` are pure selections on that truth.

No credential is ever put in a result, a cache file name or content, or an error message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
import warnings
from urllib.parse import urlsplit

from ansible.errors import AnsibleLookupError
from ansible.utils.display import Display

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity as san_identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.coverage import duplicate_identities
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import (
    ALL_INITIATORS,
    InvalidInput,
    ontap_wwid,
)

try:
    from ansible_collections.netapp.ontap.plugins.module_utils.netapp import (
        OntapRestAPI,
        na_ontap_host_argument_spec,
    )
    NETAPP_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without netapp.ontap
    OntapRestAPI = na_ontap_host_argument_spec = None
    NETAPP_IMPORT_ERROR = exc

display = Display()

# Fields asked for: only what the records use.  lun_maps.* is an "expensive" LUN field: ONTAP returns it only when
# named.  The nested igroup of a LUN map carries initiators only from ONTAP 9.16, so initiators come from igroups.
LUN_FIELDS = ("uuid,name,svm.name,serial_number,status.state,space.size,"
              "lun_maps.igroup.uuid,lun_maps.igroup.name,lun_maps.logical_unit_number")
IGROUP_FIELDS = "uuid,name,svm.name,protocol,os_type,initiators.name"
CLUSTER_FIELDS = "name,uuid,version.full"
SVM_FIELDS = "name,uuid"
# What identifies an SVM on the wire: its iSCSI target name (one per SVM), its iSCSI data LIF addresses and its
# FC LIF WWPNs (a host's session names the target IQN, an FC remote port its WWPN).
ISCSI_SERVICE_FIELDS = "svm.name,target.name,enabled"
IP_INTERFACE_FIELDS = "svm.name,ip.address,services,enabled"
FC_INTERFACE_FIELDS = "svm.name,wwpn,data_protocol,enabled"

# GETs of one cluster read whose collections fit one page: cluster, igroups, luns, iscsi/services, ip and fc
# interfaces (+1 for svm/svms with an SVM).
REQUESTS_PER_CLUSTER = 6
DEFAULT_TIMEOUT = 60
DEFAULT_MAX_PAGES = 1000
DEFAULT_CACHE_TTL = 300
CACHE_FORMAT = 2

# The lookup options that are connection options of netapp.ontap, copied into the OntapRestAPI params.
_CONNECTION_KEYS = ("hostname", "username", "password", "cert_filepath", "key_filepath", "validate_certs", "http_port")

_WWPN = re.compile(r"^(?:0x)?([0-9a-f]{2}(?:[:-]?[0-9a-f]{2}){7})$")


class OntapError(AnsibleLookupError):
    """An ONTAP request failed; the message names the endpoint and ONTAP's message and code."""


class _ModuleShim:
    """The few attributes of AnsibleModule that OntapRestAPI touches (netapp.ontap 23.x)."""

    check_mode = False

    def __init__(self, params, name):
        self.params = params
        self._name = name

    def fail_json(self, msg=None, **kwargs):
        raise AnsibleLookupError(str(msg))

    def warn(self, msg):
        display.warning(str(msg))


def normalize_initiator(value):
    """Compare key of an initiator: san_identity.normalize_initiator, the one normal form the judge on the host
    compares with too (a WWPN as bare hex)."""
    return san_identity.normalize_initiator(str(value))


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


def _redact(text, secret):
    text = str(text)
    if secret and len(secret) >= 4:
        text = text.replace(secret, "********")
    return text


def format_ontap_error(verb, api, hostname, status, error):
    """'ONTAP GET storage/luns on cl1 failed (HTTP 401): not authorized for that command (code 6)'."""
    where = "ONTAP %s %s on %s failed" % (verb, api.split("?", 1)[0], hostname)
    if status:
        where += " (HTTP %s)" % status
    if isinstance(error, dict):
        msg = str(error.get("message") or "no message")
        if error.get("code") not in (None, ""):
            msg += " (code %s)" % error.get("code")
        if error.get("target"):
            msg += " (target %s)" % error.get("target")
    else:
        msg = str(error)
    return "%s: %s" % (where, msg)


def _ca_bundle(path):
    """The CA bundle to verify the cluster with, or None for the system trust store. A blank path, or a file with
    nothing in it (what AWX writes when a credential's CA field is left empty), means "no CA of its own"."""
    if not path or not str(path).strip():
        return None
    try:
        with open(path, "rb") as bundle:
            if not bundle.read(65536).strip():
                return None
    except (IOError, OSError):
        pass  # unreadable or missing: requests names the path in its error
    return path


class OntapClient:
    """One connection to one cluster, through netapp.ontap's OntapRestAPI."""

    def __init__(self, options, plugin_name, timeout=DEFAULT_TIMEOUT):
        if NETAPP_IMPORT_ERROR is not None:
            raise AnsibleLookupError("%s needs the netapp.ontap collection (>=23,<24) on the controller: %s"
                                     % (plugin_name, NETAPP_IMPORT_ERROR))
        self.hostname = options["hostname"]
        self._secret = options.get("password")
        params = {key: spec.get("default") for key, spec in na_ontap_host_argument_spec().items()}
        params.update({key: options.get(key) for key in _CONNECTION_KEYS})
        params["use_rest"] = "always"
        if params["validate_certs"] is None:
            params["validate_certs"] = True
        self.validate_certs = bool(params["validate_certs"])
        if not params.get("cert_filepath") and not (params.get("username") and params.get("password") is not None):
            raise AnsibleLookupError("%s: give username and password, or cert_filepath (and key_filepath)" % plugin_name)
        try:
            self.rest = OntapRestAPI(_ModuleShim(params, plugin_name), timeout=timeout)
        except AnsibleLookupError as exc:
            raise AnsibleLookupError(_redact(exc, self._secret))
        ca_path = _ca_bundle(options.get("ca_path"))
        if self.validate_certs and ca_path:
            # requests takes a CA bundle path where it takes True; OntapRestAPI passes `verify` straight through.
            self.rest.verify = ca_path
        self.requests_made = 0

    def _get(self, api, params):
        with warnings.catch_warnings():
            if not self.validate_certs:
                warnings.filterwarnings("ignore", message="Unverified HTTPS request")
            status, body, error = self.rest.send_request("GET", api, params)
        self.requests_made += 1
        display.vvvv("sanfleet ONTAP GET %s %s -> %s" % (api, params or "", status))
        return status, body, error

    def get_all(self, api, query, max_pages=DEFAULT_MAX_PAGES):
        """Every record of a collection GET, following _links.next until it is absent."""
        records, params, seen = [], dict(query or {}), set()
        path = api
        for page in range(max_pages):
            status, body, error = self._get(path, params)
            if error:
                raise OntapError(_redact(format_ontap_error("GET", api, self.hostname, status, error), self._secret))
            if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                # an empty 200, {} or a proxy's page is not an empty collection: "no records" would make every
                # mapped LUN look unmapped
                raise OntapError("ONTAP GET %s on %s: the answer (HTTP %s) has no records list; an answer that "
                                 "is not ONTAP's collection shape is an error, not an empty collection"
                                 % (api, self.hostname, status))
            count = body.get("num_records")
            if count is not None and (isinstance(count, bool) or count != len(body["records"])):
                # ONTAP counts the records of the page it sends: fewer means a cut answer, whose missing records
                # would make mapped LUNs look unmapped
                raise OntapError("ONTAP GET %s on %s: page %d says num_records %r but holds %d records; a "
                                 "truncated answer is an error, not a complete collection"
                                 % (api, self.hostname, page + 1, count, len(body["records"])))
            records.extend(body["records"])
            href = ((body.get("_links") or {}).get("next") or {}).get("href")
            if not href:
                return records
            path, params = self._next(api, href)
            if path in seen:
                raise OntapError("ONTAP GET %s on %s: _links.next repeats %s" % (api, self.hostname, href))
            seen.add(path)
        raise OntapError("ONTAP GET %s on %s: more than %d pages; raise max_pages or set page_size"
                         % (api, self.hostname, max_pages))

    def _next(self, api, href):
        parts = urlsplit(href)
        if not parts.path.startswith("/api/"):
            raise OntapError("ONTAP GET %s on %s: unexpected _links.next %r" % (api, self.hostname, href))
        path = parts.path[len("/api/"):]
        return (path + "?" + parts.query if parts.query else path), None

    def get_one(self, api, query):
        status, body, error = self._get(api, query)
        return status, body or {}, error


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
            raise OntapError(_redact(format_ontap_error("GET", "cluster", client.hostname, status, error),
                                     client._secret))
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
    igroups = client.get_all("protocols/san/igroups", dict(common, fields=IGROUP_FIELDS), max_pages)
    luns = client.get_all("storage/luns", dict(common, fields=LUN_FIELDS), max_pages)
    services = client.get_all("protocols/san/iscsi/services", dict(common, fields=ISCSI_SERVICE_FIELDS), max_pages)
    ip_lifs = client.get_all("network/ip/interfaces", dict(common, services="data_iscsi", fields=IP_INTERFACE_FIELDS),
                             max_pages)
    fc_lifs = client.get_all("network/fc/interfaces", dict(common, data_protocol="fcp", fields=FC_INTERFACE_FIELDS),
                             max_pages)
    return {
        "format": CACHE_FORMAT,
        "cluster": cluster.get("name") or client.hostname,
        "cluster_version": ((cluster.get("version") or {}).get("full")),
        "hostname": client.hostname,
        "svm": svm,
        "fetched_at": time.time(),
        "elapsed": round(time.monotonic() - started, 3),
        "requests": client.requests_made,
        "igroups": [_slim_igroup(r) for r in igroups],
        "luns": [_slim_lun(r) for r in luns],
        "targets": svm_targets(services, ip_lifs, fc_lifs),
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
        if rec.get("wwpn") and rec.get("data_protocol", "fcp") == "fcp":
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


# --------------------------------------------------------------------------------------------------- caching

_MEMO = {}


def _run_tmp_dir():
    try:
        from ansible import constants as C
        base = C.DEFAULT_LOCAL_TMP
    except Exception:  # pragma: no cover
        base = None
    return base or tempfile.gettempdir()


def cache_key(options):
    """A digest of everything that decides what a fetch returns and who may see it (so a call with another
    password or user does not get another identity's cached read). Salted with the run's tmp dir name; the files
    sit in a 0700 directory of the controller user, removed at the end of the run."""
    material = [_run_tmp_dir()] + [options.get(k) for k in (
        "hostname", "http_port", "username", "password", "cert_filepath", "key_filepath", "validate_certs",
        "ca_path", "svm", "page_size")]
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _cache_dir():
    path = os.path.join(_run_tmp_dir(), "sanfleet-ontap")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _read_cache(path, ttl):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return None
    if entry.get("format") != CACHE_FORMAT or time.time() - entry.get("stored_at", 0) > ttl:
        return None
    return entry


def _write_cache(path, entry):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(entry, handle)
    os.replace(tmp, path)


def get_truth(options, plugin_name, fetch=None):
    """The cluster truth for these options, fetched at most once per ``cache_ttl`` seconds for the whole run.

    A failure is cached too (for the same time), so 100 hosts with a wrong password make one failed login, not
    100 (ONTAP locks accounts after repeated failures). ``cache_ttl: 0`` turns both caches off.
    Returns (truth, source) where source is ``fetched``, ``memory`` or ``disk``.
    """
    ttl = int(options.get("cache_ttl") if options.get("cache_ttl") is not None else DEFAULT_CACHE_TTL)
    fetch = fetch or (lambda: fetch_truth(
        OntapClient(options, plugin_name, timeout=options.get("timeout") or DEFAULT_TIMEOUT),
        svm=options.get("svm"), page_size=options.get("page_size"),
        max_pages=options.get("max_pages") or DEFAULT_MAX_PAGES))
    if ttl <= 0:
        return fetch(), "fetched"

    key = cache_key(options)
    memo = _MEMO.get(key)
    if memo and time.monotonic() - memo[0] <= ttl:
        return _unwrap(memo[1]), "memory"

    if os.environ.get("SANFLEET_ONTAP_NO_DISK_CACHE", "").lower() in ("1", "true", "yes"):
        # diagnostic: memory cache only (shows that forked workers do not share it)
        entry = {"truth": fetch()}
        _MEMO[key] = (time.monotonic(), entry)
        return entry["truth"], "fetched"

    path = os.path.join(_cache_dir(), key + ".json")
    with _open_lock(path + ".lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            entry = _read_cache(path, ttl)
            source = "disk"
            if entry is None:
                source = "fetched"
                try:
                    entry = {"truth": fetch()}
                except AnsibleLookupError as exc:
                    entry = {"error": str(exc), "error_class": type(exc).__name__}
                entry.update(format=CACHE_FORMAT, stored_at=time.time())
                with contextlib.suppress(OSError):
                    _write_cache(path, entry)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _MEMO[key] = (time.monotonic(), entry)
    return _unwrap(entry), source


def _open_lock(path):
    """The lock file, 0600 like the data file whatever the umask (its name is a digest of the connection)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "a")


def _unwrap(entry):
    if "error" in entry:
        cls = OntapError if entry.get("error_class") == "OntapError" else AnsibleLookupError
        raise cls(entry["error"])
    return entry["truth"]


def clear_memory_cache():
    _MEMO.clear()


# ------------------------------------------------------------------------------------------------ selections

def _wanted(initiators):
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
    wanted = _wanted(initiators)
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
                wwid = ontap_wwid(serial)
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


def classify_igroup(initiators, hosts_index=None):
    """(sharing, basis, owners): sharing is per_host, shared, unknown or empty.

    With ``hosts_index`` ({normalized initiator: host}), owners are the inventory hosts whose initiators the igroup
    holds. Without it (or when no initiator is known), the rule is that a Linux host has one iSCSI IQN, so two
    IQNs mean two hosts; WWPN-only igroups cannot be judged (a host usually has two or more ports).
    """
    if not initiators:
        return "empty", "none", []
    norm = [normalize_initiator(i) for i in initiators]
    hosts_index = {normalize_initiator(k): v for k, v in (hosts_index or {}).items()}
    owners = sorted({hosts_index[i] for i in norm if hosts_index and i in hosts_index})
    unknown = [i for i in norm if not (hosts_index and i in hosts_index)]
    unknown_iqns = [i for i in unknown if is_iqn(i)]
    if owners:
        if len(owners) > 1 or unknown_iqns:
            return "shared", "hosts", owners
        return ("per_host" if not unknown else "unknown"), "hosts", owners
    iqns = [i for i in norm if is_iqn(i)]
    if len(iqns) > 1:
        return "shared", "iqn_count", owners
    if len(iqns) == 1 and len(norm) == 1:
        return "per_host", "iqn_count", owners
    return "unknown", "none", owners


def igroup_records(truth, initiators=None, hosts=None):
    """One record per igroup (holding any of ``initiators`` when given), with its LUN maps and sharing class."""
    wanted = _wanted(initiators)
    hosts_index = {}
    for host, inits in (hosts or {}).items():
        for init in ([inits] if isinstance(inits, str) else inits or []):
            hosts_index[normalize_initiator(init)] = host
    maps = {}
    for lun in truth["luns"]:
        for lmap in lun["maps"]:
            serial = lun["serial"]
            try:
                wwid = ontap_wwid(serial)
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


def lookup_options(plugin):
    """The connection and cache options of a lookup, read after set_options()."""
    names = _CONNECTION_KEYS + ("ca_path", "svm", "page_size", "max_pages", "cache_ttl", "timeout")
    opts = {name: plugin.get_option(name) for name in names}
    if not opts.get("hostname"):
        raise AnsibleLookupError("%s: hostname is required (option, ONTAP_HOSTNAME or ontap_hostname)"
                                 % plugin._load_name)
    return opts


# ------------------------------------------------------------------------------------------- many clusters

# The keys of one cluster entry of `sanfleet_ontap` (docs/ontap.md); user/pass are accepted as aliases.
CLUSTER_KEYS = _CONNECTION_KEYS + ("ca_path", "svm", "page_size", "max_pages", "timeout", "cache_ttl")
_CLUSTER_ALIASES = {"user": "username", "pass": "password"}
_TRUE = ("1", "true", "yes", "on")


def cluster_list(clusters, env=None):
    """The clusters to read, each a dict of CLUSTER_KEYS: ``clusters`` (a list, or one dict for one cluster), or,
    when it is empty, one cluster from the ``ONTAP_*`` environment (how an AWX credential passes it).

    Bad entries (no hostname, unknown keys such as a typo) raise AnsibleLookupError: a cluster silently left out
    would leave its devices unjudged at best.
    """
    env = os.environ if env is None else env
    if isinstance(clusters, dict):
        clusters = [clusters]
    if not clusters:
        if not env.get("ONTAP_HOSTNAME"):
            return []
        clusters = [{"hostname": env["ONTAP_HOSTNAME"], "username": env.get("ONTAP_USERNAME"),
                     "password": env.get("ONTAP_PASSWORD"), "ca_path": env.get("ONTAP_CA_PATH") or None,
                     "svm": env.get("ONTAP_SVM") or None,
                     "validate_certs": str(env.get("ONTAP_VALIDATE_CERTS", "true")).strip().lower() in _TRUE}]
    if not isinstance(clusters, list):
        raise AnsibleLookupError("sanfleet_ontap: expected a list of clusters, got %s" % type(clusters).__name__)
    out = []
    for n, entry in enumerate(clusters):
        if not isinstance(entry, dict):
            raise AnsibleLookupError("sanfleet_ontap[%d]: expected a dict (hostname, username, password, ...)" % n)
        opts = {}
        for key, value in entry.items():
            key = _CLUSTER_ALIASES.get(key, key)
            if key not in CLUSTER_KEYS:
                raise AnsibleLookupError("sanfleet_ontap[%d]: unknown key %r (known: %s)"
                                         % (n, key, ", ".join(CLUSTER_KEYS)))
            opts[key] = value
        if not opts.get("hostname"):
            raise AnsibleLookupError("sanfleet_ontap[%d]: hostname is required" % n)
        if opts.get("validate_certs") is None:
            opts["validate_certs"] = True
        elif isinstance(opts["validate_certs"], str):
            opts["validate_certs"] = opts["validate_certs"].strip().lower() in _TRUE
        out.append(opts)
    return out


def array_truth(clusters, initiators, plugin_name, get=None):
    """The array truth of one host from every cluster (docs/ontap.md, "array-truth contract"):

    ``{luns: [records], targets: [{cluster, svm, iscsi_target_names, iscsi_addresses, fc_wwpns, collected_at}],
    problems: [{cluster, svm, kind, msg}], clusters: [{cluster, hostname, svm, collected_at, requests, source}],
    initiators: [the initiators the records were read for, or "*" for every mapping], collected_at: oldest read}``.

    A cluster whose read fails is a problem (``lookup_failed``), not an exception: the other clusters are still
    judged, and the planner plans no removal on a host with problems and says why. So is a target identity
    listed under two SVMs (``duplicate_target_identity``).
    """
    get = get or get_truth
    wanted = _wanted(initiators)
    out = {"luns": [], "targets": [], "problems": [], "clusters": [], "collected_at": None,
           "initiators": [ALL_INITIATORS] if wanted is None else sorted(ontap_wwpn(i) for i in wanted)}
    for opts in clusters:
        try:
            truth, source = get(opts, plugin_name)
        except AnsibleLookupError as exc:
            out["problems"].append({"cluster": opts.get("hostname"), "svm": opts.get("svm"), "kind": "lookup_failed",
                                    "msg": str(exc)})
            continue
        for warning in truth.get("warnings") or []:
            out["problems"].append(dict(warning, cluster=truth["cluster"], svm=opts.get("svm")))
        try:
            out["luns"].extend(lun_records(truth, initiators, out["problems"]))
        except OntapError as exc:
            out["problems"].append({"cluster": truth["cluster"], "svm": opts.get("svm"), "kind": "lookup_failed",
                                    "msg": str(exc)})
            continue
        out["targets"].extend(dict(t, cluster=truth["cluster"], collected_at=truth["fetched_at"])
                              for t in truth.get("targets") or [])
        out["clusters"].append({"cluster": truth["cluster"], "hostname": opts.get("hostname"), "svm": opts.get("svm"),
                                "collected_at": truth["fetched_at"], "requests": truth.get("requests"),
                                "source": source})
    out["problems"].extend(duplicate_identities(out["targets"]))
    times = [c["collected_at"] for c in out["clusters"] if c.get("collected_at")]
    out["collected_at"] = min(times) if times else None
    return out
