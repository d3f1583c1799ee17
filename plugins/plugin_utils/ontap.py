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
* ``get_truth`` caches that read for the run (truth_cache: in the process and on disk, shared by forked workers).
* ``OntapSource`` is ONTAP as an array-truth source (host_truth.py): the one loop over arrays that builds a host's truth
  names no vendor.

No credential is ever put in a result, a cache file name or content, or an error message.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import ALL_INITIATORS, ONTAP_WWID_PREFIX
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import truth_cache
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import with_secret_file
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap_causes
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.host_truth import ArraySource, host_truth, validate_certs
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_client import (
    CONNECTION_KEYS,
    DEFAULT_MAX_PAGES,
    DEFAULT_TIMEOUT,
    OntapClient,
    OntapError,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_nvme import nvme_records, nvme_targets
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

# what decides a cluster read and who may see it (the cache key: another password or user never gets another
# identity's cached read)
_CACHE_KEYS = ("hostname", "http_port", "username", "password", "cert_filepath", "key_filepath", "validate_certs",
               "ca_path", "svm", "page_size")


def cache_key(options):
    return truth_cache.cache_key("ontap", options, _CACHE_KEYS)


def get_truth(options, plugin_name, fetch=None):
    """The cluster truth for these options, fetched at most once per ``cache_ttl`` seconds for the whole run
    (truth_cache.cached_read: a failure is cached too, so 100 hosts with a wrong password make one failed login, not
    100; ONTAP locks accounts after repeated failures). ``cache_ttl: 0`` turns both caches off.
    Returns (truth, source) where source is ``fetched``, ``memory`` or ``disk``.
    """
    options = with_password_file(options)
    ttl = truth_cache.cache_ttl(options, DEFAULT_CACHE_TTL, "ONTAP %s" % options.get("hostname"))
    fetch = fetch or (lambda: fetch_truth(
        OntapClient(options, plugin_name, timeout=options.get("timeout") or DEFAULT_TIMEOUT),
        svm=options.get("svm"), page_size=options.get("page_size"),
        max_pages=options.get("max_pages") or DEFAULT_MAX_PAGES))
    return truth_cache.cached_read(cache_key(options), ttl, CACHE_FORMAT, fetch, errors=(OntapError,))


def with_password_file(options):
    """The options with the password read from ``password_file`` (ONTAP_PASSWORD_FILE) when no password is given
    (controller_files.with_secret_file)."""
    return with_secret_file(options, "password", "password_file", "ONTAP %s" % options.get("hostname"), "password file")


def clear_memory_cache():
    truth_cache.clear_memory_cache()


def lookup_options(plugin):
    """The connection and cache options of a lookup, read after set_options()."""
    names = CONNECTION_KEYS + ("password_file", "ca_path", "svm", "page_size", "max_pages", "cache_ttl", "timeout")
    opts = {name: plugin.get_option(name) for name in names}
    # read as given (the option is raw) and strictly, as sanfleet_ontap entries are: Ansible's own bool reads a typo
    # ("ture") as false, which sent the password to an unchecked peer (review 11)
    opts["validate_certs"] = validate_certs(opts.get("validate_certs"), plugin._load_name)
    if not opts.get("hostname"):
        raise AnsibleLookupError("%s: hostname is required (option, ONTAP_HOSTNAME or ontap_hostname)"
                                 % plugin._load_name)
    return opts


# ------------------------------------------------------------------------------------------- many clusters

# The keys of one cluster entry of `sanfleet_ontap` (docs/ontap.md); user/pass are accepted as aliases.
CLUSTER_KEYS = CONNECTION_KEYS + ("password_file", "ca_path", "svm", "page_size", "max_pages", "timeout", "cache_ttl")
_CLUSTER_ALIASES = {"user": "username", "pass": "password"}


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
                     "validate_certs": validate_certs(env.get("ONTAP_VALIDATE_CERTS"), "ONTAP_VALIDATE_CERTS")}]
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
        # a typo ("ture") is refused, never read as false (review 10; the FlashArray's entries alike)
        opts["validate_certs"] = validate_certs(opts.get("validate_certs"), "sanfleet_ontap[%d]" % n)
        out.append(opts)
    return out


class OntapSource(ArraySource):
    """ONTAP as an array-truth source (host_truth.py): one entry of ``sanfleet_ontap`` is one cluster (or one SVM of
    it, ``svm``). ``get``: how a cluster is read (get_truth; a test's fake)."""

    kind = "ontap"
    name_field = "cluster"
    wwid_prefixes = (ONTAP_WWID_PREFIX,)
    read_causes = ontap_causes.READ_CAUSES
    kind_meanings = ontap_causes.KIND_MEANINGS
    unread_meaning = ontap_causes.UNREAD
    lun_records = staticmethod(lun_records)

    def __init__(self, plugin_name="sanfleet.remediation.ontap_truth", get=None):
        self.plugin_name = plugin_name
        self.get = get or get_truth

    @staticmethod
    def scope(opts):
        return opts.get("svm")

    def read(self, opts):
        return self.get(opts, self.plugin_name)

    @staticmethod
    def targets(truth):
        return truth.get("targets") or []

    @staticmethod
    def add_nvme(nvme, truth, opts):
        add_nvme_truth(nvme, truth, opts)


def array_truth(clusters, initiators, plugin_name, get=None):
    """The array truth of one host from every ONTAP cluster of ``clusters`` (host_truth.host_truth; docs/ontap.md,
    "array-truth contract"). A cluster whose read fails is a problem (``lookup_failed``), not an exception."""
    source = OntapSource(plugin_name, get)
    return host_truth([(source, opts) for opts in clusters], initiators)


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
