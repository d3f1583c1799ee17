# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: array_truth
author: sanfleet.remediation contributors (@sanfleet)
version_added: 0.2.0
short_description: The array truth of one host from every array, whatever its vendor (ONTAP, Pure FlashArray)
description:
  - Reads every NetApp ONTAP cluster of O(ontap) (as P(sanfleet.remediation.ontap_truth#lookup) does) and every
    Pure Storage FlashArray of O(pure), each in bulk and once per run per array, and returns one array-truth
    contract (docs/ontap.md) for the host whose initiators are O(initiators).
  - An array that cannot be read is a problem (C(lookup_failed)) of the truth, not an error; the other arrays are
    still judged, and no removal is planned on the host. A FlashArray's NVMe namespaces (connections with an NSID)
    are matched by the NGUID its volume serial gives; ports that name two NQNs add a problem to the NVMe truth (the
    host's NVMe devices are not judged).
  - With no array given at all (O(ontap) and O(pure) empty, and neither C(ONTAP_HOSTNAME) nor C(PUREFA_URL) set),
    the result is an empty truth with the problem C(no_cluster).
  - Runs on the controller; reading ONTAP needs the C(requests) Python library and the netapp.ontap collection.
extends_documentation_fragment:
  - sanfleet.remediation.host_truth
options:
  ontap:
    description:
      - The ONTAP clusters, as the O(sanfleet.remediation.ontap_truth#lookup:clusters) option of
        P(sanfleet.remediation.ontap_truth#lookup) takes them; empty, the one cluster of the C(ONTAP_*) environment.
    type: raw
    vars:
      - name: sanfleet_ontap
  pure:
    description:
      - The FlashArrays, each a dict with C(hostname) (the management address) and C(api_token) (or
        C(api_token_file), a file holding it), and optionally C(validate_certs) (default true), C(ca_path),
        C(timeout), C(page_size), C(max_pages), C(cache_ttl). One dict is taken as a list of one.
      - Empty, the one array of the C(PUREFA_URL), C(PUREFA_API) (or C(PUREFA_API_FILE)), C(PUREFA_CA_PATH) and
        C(PUREFA_VALIDATE_CERTS) environment variables (C(PUREFA_URL) and C(PUREFA_API) are the names of Pure's own
        purestorage.flasharray collection).
      - Pass it as an argument (C(pure=sanfleet_pure)) when its entries hold templates or vaulted values. Taken from
        the variable through this option's C(vars), the entries reach the lookup as written, not templated.
    type: raw
    vars:
      - name: sanfleet_pure
seealso:
  - plugin: sanfleet.remediation.ontap_truth
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Array truth of this host from every array of sanfleet_ontap and sanfleet_pure
  ansible.builtin.set_fact:
    array_truth: "{{ lookup('sanfleet.remediation.array_truth', initiators=ansible_facts.san.host.initiators) }}"
"""

RETURN = r"""
_raw:
  description:
    - One dict, the array-truth contract (docs/ontap.md), as P(sanfleet.remediation.ontap_truth#lookup) returns it;
      C(clusters) entries also say C(array_kind) (C(ontap) or C(pure)). For a FlashArray, C(cluster) is the array's
      name, C(svm) is null, a record's C(path) is the volume name and C(igroup) the host name on the array.
  type: list
  elements: dict
"""

from ansible.plugins.lookup import LookupBase

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.array_sources import truth_of


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        given = {"ontap": self.get_option("ontap"), "pure": self.get_option("pure")}
        return [truth_of(given, self.get_option("initiators"))]
