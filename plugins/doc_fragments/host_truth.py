# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The host's initiators and the call of the lookups that return one host's array truth (ontap_truth,
    # array_truth).
    DOCUMENTATION = r"""
options:
  initiators:
    description:
      - The host's initiators (IQNs and WWPNs, from C(ansible_facts.san.host.initiators)). Unset returns every
        mapping; an empty list returns no record.
    type: list
    elements: str
notes:
  - Use C(lookup()) (it returns one dict) or C(query(...)[0]).
"""
