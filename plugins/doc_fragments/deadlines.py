# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Deadline and file options of the host modules (module_utils/_san/module.py builds and checks them).
    # A module overrides only what differs (its default, a more precise description).
    DOCUMENTATION = r"""
options:
  command_timeout:
    description:
      - Hard deadline in seconds for each command, each batch of sysfs and /proc reads, each probe and each sysfs
        write. A touch that does not finish in time is abandoned and named in the result; the play never hangs.
      - A positive number; anything else fails the module before it reads or changes anything.
    type: float
    default: 10
"""

    # sanfleet.remediation.deadlines.wait
    WAIT = r"""
options:
  timeout:
    description:
      - Seconds to wait for a removed device (and its by-id links) to vanish, or a scanned one to appear.
      - A positive number of at most 3600.
    type: float
    default: 30
"""

    # sanfleet.remediation.deadlines.wwids_file
    WWIDS_FILE = r"""
options:
  wwids_file:
    description: The multipath wwids file, read to verify that C(multipath -w) removed a WWID.
    type: path
    default: /etc/multipath/wwids
"""
