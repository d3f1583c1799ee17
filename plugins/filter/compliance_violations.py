# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: compliance_violations
short_description: The compliance violations of one SAN host, from its audit results
version_added: 0.1.0
author: sanfleet.remediation contributors
description:
  - Turns the results of the read-only audits of one host into one flat list of violations. This is what the
    scheduled compliance job (C(playbooks/compliance.yml)) fails a host on and publishes for AWX.
  - "Multipath: every active warning of M(sanfleet.remediation.multipath_conf) C(state=audit), and every live map
    that queues without bound. iSCSI: every key or node record that M(sanfleet.remediation.iscsid_conf) would
    change in check mode. LVM: every warning of M(sanfleet.remediation.lvm_filter_info). Stale devices: the verdicts
    C(stale_unmapped), C(serial_mismatch) and C(unexpected_visibility) of the array cross-check. FC: the
    C(rport_*) violations of the FC audit (docs/compliance.md), each target rport's timeouts against the
    effective multipath settings (C(tmo_settings) of the multipath audit). NVMe over Fabrics: every violation of
    M(sanfleet.remediation.nvme_conf) (none on a host without an NVMe-oF controller)."
  - "One violation per check and reason, not per map or device: the live maps that queue without bound are one
    C(live_map_queueing) violation, the SAN devices LVM scans one C(san_device_accepted) per kind. Such a violation
    lists every name, sorted, in C(devices) and their number in C(count); with one name, C(object) and C(device)
    are that name, with more C(object) is C(<count> maps) (or C(paths)) and C(device) null. The results of the audits may be in either form
    (C(detail=compact) or C(full)): the violations are the same."
  - C(info) findings (for example C(find_multipaths)) are not violations; they are reported by the audit only.
options:
  _input:
    description: "A dict with any of C(multipath), C(iscsi), C(lvm), C(nvme) (the registered module results) and
      C(san) (C(ansible_facts.san)). A missing or skipped part contributes nothing."
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Collect the violations
  ansible.builtin.set_fact:
    violations: "{{ {'multipath': mp, 'iscsi': iscsi, 'lvm': lvm, 'san': ansible_facts.san}
                    | sanfleet.remediation.compliance_violations }}"
"""

RETURN = r"""
_value:
  description:
    - One dict per violation, with C(area) (multipath, iscsi, lvm, stale, fc, nvme), C(check), C(object) and
      C(text).
    - Where they apply also C(setting), C(value) and C(recommended) (the configuration key, its value in force and
      the value to set), C(device), C(wwid) and C(reason).
    - A violation about several maps or devices also carries C(devices) (every name, sorted) and C(count).
  type: list
  elements: dict
"""

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import deferred

compliance_violations = deferred("compliance", "compliance_violations")


class FilterModule(object):
    def filters(self):
        return {"compliance_violations": compliance_violations}
