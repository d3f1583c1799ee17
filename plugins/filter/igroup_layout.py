# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: igroup_layout
short_description: Igroups that let hosts see LUNs meant for others
version_added: 0.1.0
author: sanfleet.remediation contributors
description:
  - Takes the records of the C(sanfleet.remediation.ontap_igroups) lookup (called with C(hosts), the inventory
    hosts and their initiators) and returns, per cluster, the igroups shared by several inventory hosts, the
    initiators that sit in the igroups of more than one host, and the LUNs that reach one host through more than
    one igroup, with their LUN ids (two ids for one LUN on one host is how a reused id becomes a wrong disk).
  - NVMe subsystems among the records (C(protocol) V(nvme)) are laid out with the igroups (counted in C(igroups), a
    shared one in C(shared_igroups)); their host NQNs compare exactly, iSCSI names and WWPNs case-blind.
options:
  _input:
    description: Records of the C(sanfleet.remediation.ontap_igroups) lookup.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Igroup layout of the fleet
  ansible.builtin.debug:
    msg: "{{ query('sanfleet.remediation.ontap_igroups', hosts=my_hosts_to_initiators)
             | sanfleet.remediation.igroup_layout }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: "One dict per cluster: C(cluster), C(igroups) (how many), C(shared_igroups), C(multi_host_initiators),
    C(multi_igroup_luns)."
  type: list
  elements: dict
"""

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import deferred

igroup_layout = deferred("report", "igroup_layout")


class FilterModule(object):
    def filters(self):
        return {"igroup_layout": igroup_layout}
