# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ontap_luns
author: sanfleet.remediation contributors (@sanfleet)
version_added: 0.1.0
short_description: LUNs an ONTAP cluster maps to a host's initiators (array truth for the stale-device cross-check)
description:
  - Reads an ONTAP cluster over REST (netapp.ontap's C(OntapRestAPI) client) and returns one record per
    (LUN, igroup) mapping whose igroup contains any of the given initiators (iSCSI IQNs and/or FC WWPNs,
    compared case-insensitively; WWPNs in any of the C(20:00:..), C(0x2000..) or bare hex spellings).
  - Without initiators it returns every mapping of the cluster (or SVM), so one C(run_once) task can fetch the
    fleet's truth and each host can select its own records.
  - The cluster is read in bulk (C(/api/cluster), C(/api/protocols/san/igroups), C(/api/storage/luns) with
    C(lun_maps), plus C(/api/svm/svms) when O(svm) is set), following C(_links.next), and cached for the run --
    in the process and in a file under the controller's per-run tmp dir, with a lock so that forked workers
    (one per host) wait for one fetch instead of each making their own. See O(cache_ttl).
  - The host WWID of each LUN is computed from its serial number as C(3600a0980) + hex(serial), so it works on
    every ONTAP release (C(serial_number_hex) exists only on recent ones).
  - Runs on the controller; needs the C(requests) Python library and the netapp.ontap collection (>=23,<24).
options:
  _terms:
    description: Initiators of the host (IQNs and/or WWPNs). Merged with O(initiators).
    type: list
    elements: str
    required: false
  initiators:
    description:
      - Initiators of the host. When neither this nor terms are given, every mapping is returned.
      - An explicit empty list returns an empty list (a host without initiators sees no LUN).
    type: list
    elements: str
extends_documentation_fragment:
  - sanfleet.remediation.ontap
notes:
  - Use M(ansible.builtin.debug) or C(set_fact) with C(query()) (or C(lookup(..., wantlist=true))) to get a list.
  - Lookups run in the worker process of each host; the file cache is what makes 100 hosts cost one cluster read.
seealso:
  - plugin: sanfleet.remediation.ontap_igroups
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Array truth for this host (one bulk read per cluster for the whole run)
  ansible.builtin.set_fact:
    array_luns: >-
      {{ query('sanfleet.remediation.ontap_luns',
               initiators=([ansible_facts.san.host.iscsi_iqn] + ansible_facts.san.host.fc_wwpns) | select | list,
               hostname=ontap_cluster, username=ontap_user, password=ontap_password,
               ca_path='/etc/pki/ontap-ca.pem') }}

- name: Same, as terms, limited to one SVM
  ansible.builtin.debug:
    msg: "{{ lookup('sanfleet.remediation.ontap_luns', 'iqn.1994-05.com.redhat:host1', svm='svm_san', wantlist=true) }}"

- name: Fleet truth fetched once, selected per host
  ansible.builtin.set_fact:
    fleet_luns: "{{ query('sanfleet.remediation.ontap_luns') }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
_list:
  description: One record per (LUN, igroup) mapping visible to the initiators.
  type: list
  elements: dict
  contains:
    cluster: {description: Cluster name (the hostname when the account may not read /api/cluster)., type: str}
    svm: {description: SVM of the LUN., type: str}
    path: {description: "LUN path, for example /vol/v1/lun1.", type: str}
    uuid: {description: LUN uuid., type: str}
    serial: {description: 12-character LUN serial number., type: str}
    serial_hex: {description: Hex of the serial (lower case)., type: str}
    wwid: {description: "Host WWID: 3600a0980 + serial_hex.", type: str}
    lun_id: {description: LUN id (logical unit number) in this igroup., type: int}
    igroup: {description: Igroup name., type: str}
    igroup_protocol: {description: "iscsi, fcp or mixed.", type: str}
    igroup_os_type: {description: Igroup OS type., type: str}
    igroup_initiators: {description: "Every initiator of the igroup, as ONTAP stores it.", type: list, elements: str}
    state: {description: "LUN state (online, offline, nvfail, space_error, foreign_lun_error).", type: str}
    size_bytes: {description: LUN size in bytes., type: int}
    collected_at: {description: Epoch seconds of the cluster read the record comes from., type: float}
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
            raise AnsibleLookupError("ontap_luns: cannot load its helpers: %s" % IMPORT_ERROR)
        initiators = self.get_option("initiators")
        terms = [t for t in (terms or []) if t]
        if terms:
            initiators = list(initiators or []) + terms
        opts = ontap.lookup_options(self)
        truth, source = ontap.get_truth(opts, "sanfleet.remediation.ontap_luns")
        self._display.vvv("ontap_luns: cluster %s truth from %s (%d LUNs, %d igroups)"
                          % (truth["cluster"], source, len(truth["luns"]), len(truth["igroups"])))
        return ontap.lun_records(truth, initiators)
