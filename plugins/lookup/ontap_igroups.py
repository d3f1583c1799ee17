# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ontap_igroups
author: sanfleet.remediation contributors (@sanfleet)
version_added: 0.1.0
short_description: ONTAP igroups with their initiators and LUN maps, and whether each is per host or shared
description:
  - Returns one record per igroup of the cluster (or SVM), or only those holding any of the given initiators,
    with protocol, OS type, initiators, the LUNs mapped to it and a sharing class.
  - And one record per NVMe subsystem that allows any of the given host NQNs (every one when no initiator is given),
    in the same shape - C(protocol) V(nvme), C(initiators) the host NQNs it allows (null when its hosts list was not
    read whole), no C(lun_maps) - compared exactly, as NQNs are.
  - An igroup shared by several hosts (per backend/cluster instead of per node) is what NetApp calls deprecated
    and a source of stale devices, since unmapping a LUN for one host removes it for all, and LUN ids get reused.
  - C(sharing) is V(per_host), V(shared), V(unknown) or V(empty). With O(hosts) (inventory host to its
    initiators) it counts the inventory hosts whose initiators the igroup holds (an IQN of no listed host counts as
    another host). Without it, two or more IQNs mean shared (a Linux host has one IQN) and WWPN-only igroups are
    V(unknown) (a host usually has two or more ports).
  - Shares the bulk read and its run-wide cache with M(sanfleet.remediation.ontap_luns) (same requests, same
    cache), see that plugin for the connection and cache options.
  - A cluster that cannot be read (login, TLS, connection, an HTTP error, an answer that is not ONTAP's) does not
    raise, like P(sanfleet.remediation.ontap_truth#lookup); the result is one record with C(problem) (C(cluster),
    C(svm), C(kind) V(lookup_failed), C(msg), no credential), which P(sanfleet.remediation.igroup_layout#filter)
    reports per cluster. Select C(rejectattr('problem', 'defined')) for the igroups only.
options:
  _terms:
    description: Initiators; only igroups holding any of them are returned. Merged with O(initiators).
    type: list
    elements: str
    required: false
  initiators:
    description: Initiators; only igroups holding any of them are returned. Unset means every igroup.
    type: list
    elements: str
  hosts:
    description:
      - Inventory hosts and their initiators, for example
        C({{ dict(groups.san | zip(groups.san | map('extract', hostvars, ['san_initiators']))) }}).
    type: dict
extends_documentation_fragment:
  - sanfleet.remediation.ontap
seealso:
  - plugin: sanfleet.remediation.ontap_luns
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Shared igroups of the cluster (candidates for per-host igroups)
  ansible.builtin.debug:
    msg: "{{ query('sanfleet.remediation.ontap_igroups', hostname='cl1.example.com') | selectattr('shared') | map(attribute='name') }}"

- name: Igroups of this host, judged against the inventory
  ansible.builtin.set_fact:
    my_igroups: >-
      {{ query('sanfleet.remediation.ontap_igroups', ansible_facts.san.host.iscsi_iqn,
               hosts={'node1': ['iqn.1994-05.com.redhat:node1'], 'node2': ['iqn.1994-05.com.redhat:node2']}) }}
"""

RETURN = r"""
_list:
  description: One record per igroup.
  type: list
  elements: dict
  contains:
    cluster: {description: Cluster name., type: str}
    svm: {description: SVM of the igroup., type: str}
    name: {description: Igroup name., type: str}
    uuid: {description: Igroup uuid., type: str}
    protocol: {description: "iscsi, fcp or mixed.", type: str}
    os_type: {description: Igroup OS type., type: str}
    initiators: {description: Initiators as ONTAP stores them., type: list, elements: str}
    lun_maps:
      description: LUNs mapped to the igroup, by LUN id.
      type: list
      elements: dict
      contains:
        path: {description: LUN path., type: str}
        uuid: {description: LUN uuid., type: str}
        lun_id: {description: LUN id in this igroup., type: int}
        serial: {description: LUN serial number., type: str}
        wwid: {description: Host WWID of the LUN., type: str}
        state: {description: LUN state., type: str}
    hosts: {description: Inventory hosts (from O(hosts)) whose initiators the igroup holds., type: list, elements: str}
    sharing: {description: "per_host, shared, unknown or empty.", type: str}
    sharing_basis: {description: "hosts (from O(hosts)), iqn_count (IQN heuristic) or none.", type: str}
    shared: {description: True when sharing is shared (several hosts behind one igroup)., type: bool}
    nqn: {description: "An NVMe subsystem's own NQN (records of protocol nvme).", type: str}
    nvme_unread:
      description:
        - Only in the one record (C(cluster), C(protocol) V(nvme)) of a cluster whose SAN part was read and whose NVMe
          part was not - why. Its subsystems are then not compared.
      type: str
    problem:
      description:
        - Only in the one record returned for a cluster that could not be read (its other keys are then
          C(cluster) and C(svm)) - C(cluster), C(svm), C(kind) (V(lookup_failed)) and C(msg).
      type: dict
"""

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap
    IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover
    ontap = None
    IMPORT_ERROR = exc


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        try:
            self.set_options(var_options=variables, direct=kwargs)
        except AnsibleError as exc:
            # a malformed sanfleet_ontap entry (http_port: "443x") is this cluster's problem, not the play's: the
            # reports must still be written; the message never carries a secret given to this lookup
            msg = str(exc)
            for key in ("password", "pass"):
                if isinstance(kwargs.get(key), str) and kwargs[key]:
                    msg = msg.replace(kwargs[key], "********")
            cluster, svm = kwargs.get("hostname"), kwargs.get("svm")
            self._display.warning("ontap_igroups: cluster %s not read: invalid options: %s" % (cluster, msg))
            return [{"cluster": cluster, "svm": svm,
                     "problem": {"cluster": cluster, "svm": svm, "kind": "lookup_failed",
                                 "msg": "invalid options: %s" % msg}}]
        if IMPORT_ERROR is not None:
            raise AnsibleLookupError("ontap_igroups: cannot load its helpers: %s" % IMPORT_ERROR)
        initiators = self.get_option("initiators")
        terms = [t for t in (terms or []) if t]
        if terms:
            initiators = list(initiators or []) + terms
        try:
            opts = ontap.lookup_options(self)
            truth, source = ontap.get_truth(opts, "sanfleet.remediation.ontap_igroups")
        except AnsibleLookupError as exc:
            # recorded, not raised: a raise inside a template leaves the play without its reports (and ansible
            # prints the failed loop item, credentials included)
            cluster, svm = self.get_option("hostname"), self.get_option("svm")
            self._display.warning("ontap_igroups: cluster %s not read: %s" % (cluster, exc))
            return [{"cluster": cluster, "svm": svm,
                     "problem": {"cluster": cluster, "svm": svm, "kind": "lookup_failed", "msg": str(exc)}}]
        self._display.vvv("ontap_igroups: cluster %s truth from %s" % (truth["cluster"], source))
        hosts = self.get_option("hosts")
        nqns = None if initiators is None else [i for i in initiators if isinstance(i, str) and i.startswith("nqn.")]
        return (ontap.igroup_records(truth, initiators, hosts)
                + ontap.subsystem_records(truth, nqns, hosts))
