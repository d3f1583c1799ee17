# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device families as the host's read sees them, one registry line per family that reads sysfs apart from the
core: its read of the host, under its snapshot key. observe.read_child.read_batch runs each in the reading child,
and observe.read.Host, when that child did not finish, runs each as a piece of its own under the read deadline
(what did not finish is named in the host's unread pieces, never taken for absent); neither names a family. SCSI
has no line: its sd and dm devices, sessions and initiators are the read's core (the listing that ties a map to its
paths). A family's judge and writers are registered in judge/families.py and act/families.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import read_nvme_devices


class FamilyRead(object):
    """One family's read: `key` the snapshot's (and the raw read's) key, `read(root)` what it reads (its answer, or
    None when the part could not be listed), `what` the read in a deadline's or an error's words."""

    __slots__ = ("key", "read", "what")

    def __init__(self, key, read, what):
        for name, value in (("key", key), ("read", read), ("what", what)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("a FamilyRead is immutable")


# one line per family with a read of its own
READS = (
    FamilyRead("nvme", read_nvme_devices, "read of the NVMe controllers and namespaces"),
)
