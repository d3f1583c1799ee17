# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The array truth of one host from every array it may be served by, whatever their vendor (docs/ontap.md,
"array-truth contract"): the one loop over array-truth sources.

A source (``SOURCES``: kind -> source) reads one array and gives its part of the contract; this module names no
vendor. What a source implements:

* ``kind``: its name (``ontap``), also the ``array_kind`` of its entries in the truth's ``clusters``;
* ``wwid_prefixes``: the WWID prefixes of its LUNs as Linux reads them (its NAA OUI), the truth's ``wwid_prefixes``;
* ``errors``: the exception classes (AnsibleLookupError subclasses) its reads raise for a failed or unexpected read;
* ``label(opts)`` and ``scope(opts)``: the array and the part of it (an SVM, or None) that one entry of its variable
  names, for a problem of a read that gave no array name;
* ``read(opts)``: (its read of the array, how it was got: ``fetched``, ``memory`` or ``disk``), cached for the run
  (truth_cache); raises one of ``errors`` when the array cannot be read;
* ``summary(read)``: {cluster: the array's name, collected_at, requests, retries, warnings};
* ``lun_records(read, initiators, problems)``: the records of the host's initiators (raises one of ``errors`` on a
  record it cannot turn into the contract: a read it cannot judge is not "no record");
* ``targets(read)``: the target identities it read ({svm, iscsi_target_names, iscsi_addresses, fc_wwpns});
* ``add_nvme(nvme, read, opts)``: its part of the NVMe truth, or a problem when it could not read it (fail closed).

A read that fails is a problem (``lookup_failed``) of that array, never an exception: the other arrays are still
judged, and the planner plans no removal on a host with problems and says why.
"""

from __future__ import annotations

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.coverage import duplicate_identities
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import ALL_INITIATORS, oldest_time
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_nvme import wanted_host_nqns
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_records import ontap_wwpn, wanted_initiators


class ArraySource:
    """What sources share: an array named by ``hostname`` with no part of it (``scope`` None), reads that fail as
    lookup errors, and a read that carries its name under ``name_field`` and its time, requests, retries and
    warnings under the same keys. A source sets ``kind`` and ``name_field`` and implements ``read``,
    ``lun_records``, ``targets`` and ``add_nvme``, and declares ``read_causes`` and ``kind_meanings``."""

    kind = None
    name_field = None
    wwid_prefixes = ()
    errors = (AnsibleLookupError,)
    # why a read failed, in the vendor's words, for the reports: ((cause, pattern, meaning, action), ...) and what a
    # failure no pattern explains means
    read_causes = ()
    unread_meaning = "The array could not be read."
    # what the problem kinds dropped_mapping and unexpected_format mean from this vendor: {kind: (meaning, action)}
    kind_meanings = {}

    @staticmethod
    def label(opts):
        return opts.get("hostname")

    @staticmethod
    def scope(opts):
        return None

    def summary(self, read):
        return {"cluster": read[self.name_field], "collected_at": read["fetched_at"], "requests": read.get("requests"),
                "retries": read.get("retries") or {}, "warnings": read.get("warnings") or []}


def validate_certs(value, where):
    """An array entry's validate_certs as a bool (None: true, the default). A word that is no yes or no ("ture") is
    refused (AnsibleLookupError naming ``where``): read as false it would send the credential to a peer whose
    certificate is not checked."""
    try:
        return True if value is None else boolean(value, strict=True)
    except TypeError:
        raise AnsibleLookupError("%s: validate_certs must be true or false, got %r" % (where, value))


def host_truth(arrays, initiators):
    """The array truth of one host whose initiators are ``initiators`` (None: every mapping) from ``arrays``, a list
    of (source, options of one array):

    ``{luns: [records], targets: [{cluster, svm, iscsi_target_names, iscsi_addresses, fc_wwpns, collected_at}],
    problems: [{cluster, svm, kind, msg}], clusters: [{cluster, array_kind, hostname, svm, collected_at, requests,
    retries (reason: count, of the retries its read needed), source}], initiators: [the initiators the records were
    read for, or "*" for every mapping], collected_at: oldest read, wwid_prefixes: [the WWID prefixes of every
    source asked, read or not: a device of an array that could not be read is judged (not covered), never
    unknown_array], nvme: {namespaces, targets, host_nqns, problems, clusters}}``.

    A target identity listed under two arrays or parts of one (``duplicate_target_identity``) is a problem. A failed
    NVMe read is a problem of the NVMe truth only (``nvme.problems``): it says nothing about the SCSI devices; a
    failed array read is a problem of both.
    """
    wanted = wanted_initiators(initiators)
    out = {"luns": [], "targets": [], "problems": [], "clusters": [], "collected_at": None,
           "initiators": [ALL_INITIATORS] if wanted is None else sorted(ontap_wwpn(i) for i in wanted),
           "wwid_prefixes": sorted(set(prefix for source, _opts in arrays for prefix in source.wwid_prefixes))}
    nvme = new_nvme_truth(wanted)
    for source, opts in arrays:
        said = (len(out["problems"]), len(nvme["problems"]))
        _read_array(out, nvme, source, opts, initiators)
        # each problem says which kind of array it is of: the reports explain it in that vendor's words
        for problem in out["problems"][said[0]:] + nvme["problems"][said[1]:]:
            problem.setdefault("array_kind", source.kind)
    out["problems"].extend(duplicate_identities(out["targets"]))
    nvme["problems"].extend(duplicate_identities(nvme["targets"]))
    # the oldest read; unknown (None) when an array's time is not a finite epoch (never dropped: the truth would
    # look as fresh as the other arrays' reads)
    out["collected_at"] = oldest_time(c.get("collected_at") for c in out["clusters"])
    nvme["collected_at"] = oldest_time(c.get("collected_at") for c in nvme["clusters"])
    out["nvme"] = nvme
    return out


def _read_array(out, nvme, source, opts, initiators):
    """One array's part of the host's truth into ``out`` and ``nvme`` (host_truth): its records, targets and NVMe
    part, or a problem when it could not be read."""
    try:
        read, how = source.read(opts)
    except source.errors as exc:
        _array_problem(out, nvme, {"cluster": source.label(opts), "svm": source.scope(opts),
                                   "kind": "lookup_failed", "msg": str(exc)})
        return
    summary = source.summary(read)
    name, when = summary["cluster"], summary["collected_at"]
    for warning in summary.get("warnings") or []:
        _array_problem(out, nvme, dict(warning, cluster=name, svm=source.scope(opts)))
    try:
        out["luns"].extend(source.lun_records(read, initiators, out["problems"]))
    except source.errors as exc:
        _array_problem(out, nvme, {"cluster": name, "svm": source.scope(opts), "kind": "lookup_failed",
                                   "msg": str(exc)})
        return
    out["targets"].extend(dict(t, cluster=name, collected_at=when) for t in source.targets(read))
    out["clusters"].append({"cluster": name, "array_kind": source.kind, "hostname": opts.get("hostname"),
                            "svm": source.scope(opts), "collected_at": when, "requests": summary.get("requests"),
                            "retries": summary.get("retries") or {}, "source": how})
    source.add_nvme(nvme, read, opts)


def _array_problem(out, nvme, problem):
    """A problem of the whole array read: the SCSI and the NVMe truth are both possibly incomplete."""
    out["problems"].append(problem)
    nvme["problems"].append(dict(problem))


def new_nvme_truth(wanted):
    """The empty NVMe truth of a host whose initiators' normal forms are ``wanted`` (None: every mapping)."""
    nqns = wanted_host_nqns(wanted)
    return {"namespaces": [], "targets": [], "problems": [], "clusters": [], "collected_at": None,
            "host_nqns": [ALL_INITIATORS] if nqns is None else sorted(nqns)}
