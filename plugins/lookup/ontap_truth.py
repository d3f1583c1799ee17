# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ontap_truth
author: sanfleet.remediation contributors (@sanfleet)
version_added: 0.1.0
short_description: The array truth of one host from several ONTAP clusters (records, covered targets, problems)
description:
  - Reads every cluster of O(clusters) (the C(sanfleet_ontap) variable) in bulk, once per run per cluster (the
    same read and cache as P(sanfleet.remediation.ontap_luns#lookup)), and returns the array-truth contract
    that the C(array_truth) option of M(sanfleet.remediation.stale_mpath_facts) takes.
  - C(luns) are the records of the host's initiators (the shape of M(sanfleet.remediation.ontap_luns)).
    C(targets) say which SVMs were read and how they are seen on the wire (iSCSI target name, iSCSI data LIF
    addresses, FC LIF WWPNs). Only devices reached through one of them (an iSCSI session at one of that SVM's
    addresses) are judged; any other is C(not_covered). C(initiators) are the initiators the records were read
    for (O(initiators), or C(*) when unset); a path over any other initiator is C(not_covered).
  - A cluster that cannot be read (login, TLS, a page without C(records) or with fewer records than its
    C(num_records), the paging guard), an SVM-scoped login, a mapping to an igroup the igroups query did not
    return and a target identity (iSCSI target name, FC WWPN) listed under two SVMs are listed in C(problems),
    not raised; the planner then plans no removal on the host, naming them.
  - When O(clusters) is empty, one cluster is read from the C(ONTAP_HOSTNAME), C(ONTAP_USERNAME),
    C(ONTAP_PASSWORD), C(ONTAP_VALIDATE_CERTS), C(ONTAP_CA_PATH) and C(ONTAP_SVM) environment variables (an AWX
    credential). Without either, the result is an empty truth with the problem C(no_cluster).
  - Runs on the controller; needs the C(requests) Python library and the netapp.ontap collection (>=23,<24).
extends_documentation_fragment:
  - sanfleet.remediation.host_truth
options:
  clusters:
    description:
      - The clusters, each a dict with C(hostname) and C(username)/C(password) (or C(username)/C(password_file), a
        file holding the password, or C(cert_filepath)/C(key_filepath)), and optionally C(svm), C(ca_path),
        C(validate_certs) (default true), C(http_port), C(page_size), C(max_pages), C(timeout), C(cache_ttl). One dict is taken as a list of one.
      - Without clusters, the one cluster of the C(ONTAP_*) environment (C(ONTAP_HOSTNAME), C(ONTAP_USERNAME),
        C(ONTAP_PASSWORD) or C(ONTAP_PASSWORD_FILE), C(ONTAP_CA_PATH), C(ONTAP_VALIDATE_CERTS), C(ONTAP_SVM)).
    type: raw
    vars:
      - name: sanfleet_ontap
seealso:
  - plugin: sanfleet.remediation.ontap_luns
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Array truth of this host from every cluster of sanfleet_ontap
  ansible.builtin.set_fact:
    array_truth: "{{ lookup('sanfleet.remediation.ontap_truth', initiators=ansible_facts.san.host.initiators) }}"
"""

RETURN = r"""
_raw:
  description: One dict, the array-truth contract (docs/ontap.md).
  type: list
  elements: dict
  contains:
    luns: {description: "Records, one per (LUN, igroup) mapping of the host's initiators.", type: list, elements: dict}
    targets:
      description: "The SVMs read: cluster, svm, iscsi_target_names, iscsi_addresses, fc_wwpns, collected_at."
      type: list
      elements: dict
    problems:
      description: "cluster, svm, kind (lookup_failed, svm_scoped_login, dropped_mapping, no_cluster,
        duplicate_target_identity; in nvme.problems also unexpected_format), msg."
      type: list
      elements: dict
    initiators:
      description: "The initiators the records were read for (ONTAP's spelling), or [\"*\"] for every mapping."
      type: list
      elements: str
    clusters:
      description: "Per cluster read: cluster, hostname, svm, collected_at, requests, source."
      type: list
      elements: dict
    collected_at: {description: Epoch seconds of the oldest cluster read., type: float}
    nvme:
      description:
        - "The NVMe truth (docs/ontap.md, NVMe truth): namespaces (one per mapped namespace whose subsystem allows
          one of the host's NQNs), targets (cluster, svm, nvme_service_enabled, subsystem_nqns, tcp_addresses,
          fc_wwpns), host_nqns, problems (those of the NVMe read, and of every cluster read that failed as a whole), clusters
          (state read, no_nvme or unreadable), collected_at."
      type: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap
    IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover
    ontap = None
    IMPORT_ERROR = exc


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if IMPORT_ERROR is not None:
            raise AnsibleLookupError("ontap_truth: cannot load its helpers: %s" % IMPORT_ERROR)
        clusters = ontap.cluster_list(self.get_option("clusters"))
        truth = ontap.array_truth(clusters, self.get_option("initiators"), "sanfleet.remediation.ontap_truth")
        if not clusters:
            problem = {"cluster": None, "svm": None, "kind": "no_cluster",
                       "msg": "no ONTAP cluster given (sanfleet_ontap is empty and ONTAP_HOSTNAME is not set)"}
            truth["problems"].append(problem)
            truth["nvme"]["problems"].append(dict(problem))
        return [truth]
