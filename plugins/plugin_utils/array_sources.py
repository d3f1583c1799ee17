# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The array-truth sources, by kind: the one registry a new array vendor is added to (host_truth.py says what a
source implements). Each names the variable its arrays are listed in, the function that checks that list (and reads
the vendor's environment variables when it is empty), and the source itself."""

from __future__ import annotations

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap, pure
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.host_truth import host_truth

SOURCES = {
    "ontap": {"variable": "sanfleet_ontap", "arrays": ontap.cluster_list, "source": ontap.OntapSource,
              "environment": "ONTAP_HOSTNAME"},
    "pure": {"variable": "sanfleet_pure", "arrays": pure.array_list, "source": pure.PureSource,
             "environment": "PUREFA_URL"},
}


def host_arrays(given, env=None):
    """[(source, options of one array)] for every array of ``given`` (kind -> the entries of its variable; a kind
    left out or empty: the array of its environment variables, if any). A bad entry raises AnsibleLookupError."""
    out = []
    for kind, entry in SOURCES.items():
        source = entry["source"]()
        out.extend((source, opts) for opts in entry["arrays"](given.get(kind), env))
    return out


def truth_of(given, initiators, env=None):
    """The array truth of one host (host_truth.host_truth) from every array of ``given``; with no array at all, an
    empty truth whose problem ``no_cluster`` says none was given (nothing is judged unmapped)."""
    arrays = host_arrays(given, env)
    truth = host_truth(arrays, initiators)
    if not arrays:
        problem = {"cluster": None, "svm": None, "kind": "no_cluster",
                   "msg": "no array given (%s)" % ", ".join(
                       "%s is empty and %s is not set" % (e["variable"], e["environment"]) for e in SOURCES.values())}
        truth["problems"].append(problem)
        truth["nvme"]["problems"].append(dict(problem))
    return truth
