# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side ONTAP access shared by the ``ontap_truth``, ``ontap_luns`` and ``ontap_igroups`` lookups: the
array truth of a run.

* ``ontap_client.OntapClient`` talks to one cluster (REST, paging); ``ontap_records.fetch_truth`` builds the truth of
  one cluster from its answers, ``lun_records`` / ``igroup_records`` select from it (the names the lookups use are
  re-exported here).
* ``array_truth`` reads a list of clusters and gives one host its array truth: records, the target identities
  they cover, and every problem met on the way (a problem blocks removals on the host; docs/ontap.md).
* ``get_truth`` caches that result for the run: in the process, and on disk under the controller's per-run tmp dir
  (``ansible-local-*``, removed by ansible when the run ends), with a lock so that forked workers wait for the first
  fetch instead of repeating it. Lookups run in forked worker processes (one per host and task), so the in-process
  cache alone is not shared between hosts; the on-disk one is.

No credential is ever put in a result, a cache file name or content, or an error message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time

from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.coverage import duplicate_identities
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import ALL_INITIATORS, is_epoch, oldest_time
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import atomic_write
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_client import (
    CONNECTION_KEYS,
    DEFAULT_MAX_PAGES,
    DEFAULT_TIMEOUT,
    OntapClient,
    OntapError,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_nvme import nvme_records, nvme_targets, wanted_host_nqns
# also the names the lookups and their tests use as ontap.<name>, from where they live
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_records import (  # pylint: disable=unused-import
    CACHE_FORMAT,
    FC_INTERFACE_FIELDS,
    IP_INTERFACE_FIELDS,
    LUN_FIELDS,
    REQUESTS_PER_CLUSTER,
    classify_igroup,
    fetch_truth,
    igroup_records,
    lun_records,
    normalize_initiator,
    ontap_wwpn,
    subsystem_records,
    wanted_initiators,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name

DEFAULT_CACHE_TTL = 300


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
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
        return None
    # a stored_at that is no time (NaN: `age > ttl` is never true) would keep the entry for ever, and one ahead of
    # the clock (written while it ran ahead) until that time: its age is negative, never above ttl
    stored = entry.get("stored_at")
    if not is_epoch(stored) or not 0 <= time.time() - stored <= ttl:
        return None
    return entry


def _write_cache(path, entry):
    atomic_write(path, json.dumps(entry).encode("utf-8"), mode=0o600)


def get_truth(options, plugin_name, fetch=None):
    """The cluster truth for these options, fetched at most once per ``cache_ttl`` seconds for the whole run.

    A failure is cached too (for the same time), so 100 hosts with a wrong password make one failed login, not
    100 (ONTAP locks accounts after repeated failures). ``cache_ttl: 0`` turns both caches off.
    Returns (truth, source) where source is ``fetched``, ``memory`` or ``disk``.
    """
    options = with_password_file(options)
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


def with_password_file(options):
    """The options with the password read from ``password_file`` (ONTAP_PASSWORD_FILE) when no password is given:
    the file is where the secret rests, so that no environment variable, extra var or runner artifact holds it
    (ansible-runner writes its whole environment to artifacts/<id>/command). One trailing newline is dropped. A
    file that cannot be read is this cluster's read failing (a problem that blocks removals), named by its path."""
    path = options.get("password_file")
    options = {k: v for k, v in options.items() if k != "password_file"}
    if not path or options.get("password") not in (None, ""):
        return options
    try:
        with open(os.path.expanduser(str(path)), "r", encoding="utf-8") as handle:
            secret = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise AnsibleLookupError("ONTAP %s: cannot read the password file %s: %s"
                                 % (options.get("hostname"), path, getattr(exc, "strerror", None) or type(exc).__name__))
    secret = secret[:-1] if secret.endswith("\n") else secret
    secret = secret[:-1] if secret.endswith("\r") else secret
    if not secret:
        raise AnsibleLookupError("ONTAP %s: the password file %s is empty" % (options.get("hostname"), path))
    options["password"] = secret
    return options


def clear_memory_cache():
    _MEMO.clear()


def lookup_options(plugin):
    """The connection and cache options of a lookup, read after set_options()."""
    names = CONNECTION_KEYS + ("password_file", "ca_path", "svm", "page_size", "max_pages", "cache_ttl", "timeout")
    opts = {name: plugin.get_option(name) for name in names}
    if not opts.get("hostname"):
        raise AnsibleLookupError("%s: hostname is required (option, ONTAP_HOSTNAME or ontap_hostname)"
                                 % plugin._load_name)
    return opts


# ------------------------------------------------------------------------------------------- many clusters

# The keys of one cluster entry of `sanfleet_ontap` (docs/ontap.md); user/pass are accepted as aliases.
CLUSTER_KEYS = CONNECTION_KEYS + ("password_file", "ca_path", "svm", "page_size", "max_pages", "timeout", "cache_ttl")
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
        if env.get("ONTAP_PASSWORD_FILE"):
            clusters[0]["password_file"] = env["ONTAP_PASSWORD_FILE"]
    if not isinstance(clusters, list):
        raise AnsibleLookupError("sanfleet_ontap: expected a list of clusters, got %s" % type_name(clusters))
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
    problems: [{cluster, svm, kind, msg}], clusters: [{cluster, hostname, svm, collected_at, requests, retries
    (reason: count, of the retries its read needed), source}],
    initiators: [the initiators the records were read for, or "*" for every mapping], collected_at: oldest read,
    nvme: {namespaces, targets, host_nqns, problems, clusters}}`` (the NVMe truth: docs/ontap.md).

    A cluster whose read fails is a problem (``lookup_failed``), not an exception: the other clusters are still
    judged, and the planner plans no removal on a host with problems and says why. So is a target identity
    listed under two SVMs (``duplicate_target_identity``). A failed NVMe read is a problem of the NVMe truth only
    (``nvme.problems``): it says nothing about the SCSI devices; a failed cluster read is a problem of both.
    """
    get = get or get_truth
    wanted = wanted_initiators(initiators)
    out = {"luns": [], "targets": [], "problems": [], "clusters": [], "collected_at": None,
           "initiators": [ALL_INITIATORS] if wanted is None else sorted(ontap_wwpn(i) for i in wanted)}
    nvme = new_nvme_truth(wanted)
    for opts in clusters:
        try:
            truth, source = get(opts, plugin_name)
        except AnsibleLookupError as exc:
            _cluster_problem(out, nvme, {"cluster": opts.get("hostname"), "svm": opts.get("svm"),
                                         "kind": "lookup_failed", "msg": str(exc)})
            continue
        for warning in truth.get("warnings") or []:
            _cluster_problem(out, nvme, dict(warning, cluster=truth["cluster"], svm=opts.get("svm")))
        try:
            out["luns"].extend(lun_records(truth, initiators, out["problems"]))
        except OntapError as exc:
            _cluster_problem(out, nvme, {"cluster": truth["cluster"], "svm": opts.get("svm"), "kind": "lookup_failed",
                                         "msg": str(exc)})
            continue
        out["targets"].extend(dict(t, cluster=truth["cluster"], collected_at=truth["fetched_at"])
                              for t in truth.get("targets") or [])
        out["clusters"].append({"cluster": truth["cluster"], "hostname": opts.get("hostname"), "svm": opts.get("svm"),
                                "collected_at": truth["fetched_at"], "requests": truth.get("requests"),
                                "retries": truth.get("retries") or {}, "source": source})
        add_nvme_truth(nvme, truth, opts)
    out["problems"].extend(duplicate_identities(out["targets"]))
    nvme["problems"].extend(duplicate_identities(nvme["targets"]))
    # the oldest read; unknown (None) when a cluster's time is not a finite epoch (never dropped: the truth would
    # look as fresh as the other clusters' reads)
    out["collected_at"] = oldest_time(c.get("collected_at") for c in out["clusters"])
    nvme["collected_at"] = oldest_time(c.get("collected_at") for c in nvme["clusters"])
    out["nvme"] = nvme
    return out


def _cluster_problem(out, nvme, problem):
    """A problem of the whole cluster read: the SCSI and the NVMe truth are both possibly incomplete."""
    out["problems"].append(problem)
    nvme["problems"].append(dict(problem))


def new_nvme_truth(wanted):
    """The empty NVMe truth of a host whose initiators' normal forms are ``wanted`` (None: every mapping)."""
    nqns = wanted_host_nqns(wanted)
    return {"namespaces": [], "targets": [], "problems": [], "clusters": [], "collected_at": None,
            "host_nqns": [ALL_INITIATORS] if nqns is None else sorted(nqns)}


def add_nvme_truth(nvme, truth, opts):
    """One cluster's NVMe read into the host's NVMe truth: its records and targets when it was read, a problem when
    it could not be (``unreadable``: fail closed), nothing but its state when ONTAP said it serves no NVMe."""
    read = truth.get("nvme") or {"state": "unreadable", "reason": "the cluster read carries no NVMe part"}
    cluster, when = truth["cluster"], truth["fetched_at"]
    nvme["clusters"].append({"cluster": cluster, "hostname": opts.get("hostname"), "svm": opts.get("svm"),
                             "state": read["state"], "reason": read.get("reason"), "collected_at": when})
    if read["state"] not in ("read", "no_nvme"):
        nvme["problems"].append({"cluster": cluster, "svm": opts.get("svm"), "kind": "lookup_failed",
                                 "msg": read.get("reason") or "the NVMe read failed"})
        return
    wanted = None if nvme["host_nqns"] == [ALL_INITIATORS] else set(nvme["host_nqns"])
    nvme["namespaces"].extend(nvme_records(read, cluster, wanted, nvme["problems"], when))
    nvme["targets"].extend(dict(t, cluster=cluster, collected_at=when) for t in nvme_targets(read))
