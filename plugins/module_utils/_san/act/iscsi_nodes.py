# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node record change of module iscsid_conf: `iscsiadm -m node -T -p -o update` of one key, under the command
deadline (observe.iscsiadm.Iscsiadm.run; IscsiadmFailed when it fails or misses it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def update_record(adm, target, portal, key, value):
    """Set `key` to `value` in every iface's node record of the target portal (no -I: the update writes them all),
    through `adm` (observe.iscsiadm.Iscsiadm), for a record read in this run."""
    adm.run(["-m", "node", "-T", target, "-p", portal, "-o", "update", "-n", key, "-v", value])
