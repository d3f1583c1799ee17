# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who this host is for an approved plan: /etc/machine-id and the hostname, read as they are (module
stale_cleanup). The artifact carries them and the approval gate (plan.approval) compares them; reading them is
observe's, so that the plan stays pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def read_host_identity(root):
    """{machine_id, hostname} of the host under `root` (/etc/machine-id, /proc/sys/kernel/hostname); None for what
    cannot be read. Run in a child with a deadline (observe.read.Host.call or deadline.call)."""
    out = {}
    for key, path in (("machine_id", "etc/machine-id"), ("hostname", "proc/sys/kernel/hostname")):
        try:
            with open(os.path.join(root or "/", path), "rb") as handle:
                text = handle.read(4096).decode("utf-8", "replace").strip()
        except (IOError, OSError):
            text = ""
        out[key] = text or None
    return out
