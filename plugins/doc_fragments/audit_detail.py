# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The `detail` option of the config audits multipath_conf and lvm_filter_info
    # (module_utils/_san/judge/compact_audit.py shapes their results).
    DOCUMENTATION = r"""
options:
  detail:
    description:
      - V(compact) (the default) returns one finding per check where the audit would say the same of every map or
        SAN device (C(live_map_queueing); C(san_device_accepted), C(san_device_in_devices_file)), with C(count) and
        the sorted names, and the list of every live map (C(live_maps)) or SAN device (C(san_devices)) as counts.
        Every finding about the configuration is returned as it is. docs/compliance.md of the collection says what
        is merged.
      - V(full) returns one finding per map or device and every map or device (the form before this option).
      - On a host of 1,024 LUNs whose maps all queue and whose LVM has no filter, full is ~1.1 MB of each module's
        result that Ansible encodes and the controller keeps for every host (docs/performance.md).
    type: str
    choices: [compact, full]
    default: compact
"""
