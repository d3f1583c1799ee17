# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure Storage FlashArray as an array-truth source (host_truth.py): the arrays of ``sanfleet_pure``, each read
once per run (truth_cache) through its REST 2.x API (pure_client.PureClient, pure_records).

* ``array_list`` checks the entries of ``sanfleet_pure`` (or the one array of the ``PUREFA_URL`` / ``PUREFA_API``
  environment, the names of Pure's own purestorage.flasharray collection, as an AWX credential sets them);
* ``get_truth`` reads one array, cached for the run;
* ``PureSource`` is what host_truth.host_truth calls.

No API token is ever put in a result, a cache file name or content, or an error message.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import ALL_INITIATORS
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import truth_cache
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.truth_cache import cache_ttl
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import with_secret_file
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import pure_causes
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.host_truth import ArraySource, validate_certs
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_client import PureClient, PureError
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_records import (
    NVME_PART_UNUSABLE,
    PURE_WWID_PREFIX,
    TRUTH_FORMAT,
    array_targets,
    fetch_truth,
    lun_records,
    nvme_records,
    nvme_state,
    nvme_targets,
)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name

DEFAULT_CACHE_TTL = 300

# The keys of one entry of `sanfleet_pure` (docs/pure.md).
ARRAY_KEYS = ("hostname", "api_token", "api_token_file", "validate_certs", "ca_path", "timeout", "page_size",
              "max_pages", "cache_ttl")
# what decides a read and who may see it (the cache key)
_CACHE_KEYS = ("hostname", "api_token", "validate_certs", "ca_path", "page_size")


def array_list(arrays, env=None):
    """The FlashArrays to read, each a dict of ARRAY_KEYS: ``arrays`` (a list, or one dict for one array), or, when it
    is empty, one array from the environment (``PUREFA_URL``, ``PUREFA_API`` or ``PUREFA_API_FILE``,
    ``PUREFA_CA_PATH``, ``PUREFA_VALIDATE_CERTS``).

    Bad entries (no hostname, an unknown key such as a typo) raise AnsibleLookupError: an array silently left out
    would leave its devices unjudged at best."""
    env = os.environ if env is None else env
    if isinstance(arrays, dict):
        arrays = [arrays]
    if not arrays:
        if not env.get("PUREFA_URL"):
            return []
        arrays = [{"hostname": env["PUREFA_URL"], "api_token": env.get("PUREFA_API") or None,
                   "api_token_file": env.get("PUREFA_API_FILE") or None, "ca_path": env.get("PUREFA_CA_PATH") or None,
                   "validate_certs": env.get("PUREFA_VALIDATE_CERTS", "true")}]
    if not isinstance(arrays, list):
        raise AnsibleLookupError("sanfleet_pure: expected a list of arrays, got %s" % type_name(arrays))
    out = []
    for n, entry in enumerate(arrays):
        if not isinstance(entry, dict):
            raise AnsibleLookupError("sanfleet_pure[%d]: expected a dict (hostname, api_token, ...)" % n)
        unknown = sorted(str(k) for k in entry if k not in ARRAY_KEYS)
        if unknown:
            raise AnsibleLookupError("sanfleet_pure[%d]: unknown key %s (known: %s)"
                                     % (n, ", ".join(repr(k) for k in unknown), ", ".join(ARRAY_KEYS)))
        opts = {k: v for k, v in entry.items() if v is not None}
        if not opts.get("hostname"):
            raise AnsibleLookupError("sanfleet_pure[%d]: hostname is required" % n)
        opts["validate_certs"] = validate_certs(opts.get("validate_certs"), "sanfleet_pure[%d]" % n)
        out.append(opts)
    return out


def with_token_file(options):
    """The options with the API token read from ``api_token_file`` when no token is given
    (controller_files.with_secret_file)."""
    return with_secret_file(options, "api_token", "api_token_file", "FlashArray %s" % options.get("hostname"),
                            "API token file")


def get_truth(options, fetch=None):
    """The array's read for these options, made at most once per ``cache_ttl`` seconds for the whole run (a failure
    too: one failed login per run). Returns (truth, source): ``fetched``, ``memory`` or ``disk``."""
    options = with_token_file(options)
    if not options.get("api_token"):
        raise AnsibleLookupError("FlashArray %s: no api_token (nor api_token_file) given" % options.get("hostname"))
    ttl = cache_ttl(options, DEFAULT_CACHE_TTL, "FlashArray %s" % options.get("hostname"))
    fetch = fetch or (lambda: fetch_truth(PureClient(options)))
    key = truth_cache.cache_key("pure", options, _CACHE_KEYS)
    return truth_cache.cached_read(key, ttl, TRUTH_FORMAT, fetch, errors=(PureError,))


class PureSource(ArraySource):
    """FlashArray as an array-truth source: one entry of ``sanfleet_pure`` is one array (no part of it: ``svm`` is
    None). ``get``: how an array is read (get_truth; a test's fake)."""

    kind = "pure"
    name_field = "array"
    wwid_prefixes = (PURE_WWID_PREFIX,)
    read_causes = pure_causes.READ_CAUSES
    kind_meanings = pure_causes.KIND_MEANINGS
    unread_meaning = pure_causes.UNREAD
    lun_records = staticmethod(lun_records)
    targets = staticmethod(array_targets)

    def __init__(self, get=None):
        self.get = get or get_truth

    def read(self, opts):
        return self.get(opts)

    @staticmethod
    def add_nvme(nvme, truth, opts):
        """Its NVMe part, selected from the same reads (pure_records.nvme_state, nvme_records, nvme_targets): the
        namespaces connected to the host's NQNs and what identifies the array on an NVMe-oF path; a problem when the
        ports do not name one subsystem (fail closed), nothing but its state when no port has an NQN."""
        state = nvme_state(truth)
        nvme["clusters"].append({"cluster": truth["array"], "array_kind": "pure", "hostname": opts.get("hostname"),
                                 "svm": None, "state": state["state"], "reason": state["reason"],
                                 "collected_at": truth["fetched_at"]})
        if state["state"] == "unreadable":
            nvme["problems"].append({"cluster": truth["array"], "svm": None, "kind": "lookup_failed",
                                     "msg": state["reason"]})
            return
        wanted = None if nvme["host_nqns"] == [ALL_INITIATORS] else set(nvme["host_nqns"])
        try:
            records = nvme_records(truth, wanted, nvme["problems"])
        except PureError as exc:    # a volume serial no NGUID comes from: this array's NVMe part, not the lookup
            nvme["problems"].append({"cluster": truth["array"], "svm": None, "kind": "lookup_failed",
                                     "msg": "%s: %s" % (NVME_PART_UNUSABLE, exc)})
            return
        nvme["namespaces"].extend(records)
        nvme["targets"].extend(dict(t, cluster=truth["array"], collected_at=truth["fetched_at"])
                               for t in nvme_targets(truth))
