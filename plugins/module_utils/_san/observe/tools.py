# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SAN tools of a host: which of the packages the collection reads the host with (multipath-tools, sg3_utils,
open-iscsi, nvme-cli) are not installed, and what is not read, judged or done without each. Read only: the lookup
runs in the read's forked child, under its deadline (observe.read.Host.snapshot)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.fs import rooted


# (package, its name where it differs by distribution, the programs of it the collection runs or whose files it reads,
# what is not read, judged or done without it)
PACKAGES = (
    ("multipath-tools", "device-mapper-multipath on RHEL", ("multipath", "multipathd"),
     "multipathd's path checker states and the multipath settings are not read, and no multipath map is flushed"),
    ("sg3_utils", "sg3-utils on Debian and Ubuntu", ("sg_turs", "sg_inq"),
     "failed SCSI paths are not probed live (TEST UNIT READY, INQUIRY, VPD 0x80): whether their LUN answers, or "
     "answers as another LU, is unknown, and nothing whose paths were not probed is removed"),
    ("open-iscsi", "iscsi-initiator-utils on RHEL", ("iscsiadm",),
     "iscsid.conf and the iSCSI node records are not read (the sessions are read from sysfs)"),
    ("nvme-cli", None, ("nvme",),
     "nvme-cli's host identity files (/etc/nvme/hostnqn, hostid) and boot units (nvmf-autoconnect) are not there "
     "(the NVMe-oF controllers and namespaces are read from sysfs)"),
)
PROGRAMS = tuple(p for _package, _alias, programs, _unread in PACKAGES for p in programs)
# where AnsibleModule.get_bin_path looks besides PATH
SBIN = ("/sbin", "/usr/sbin", "/usr/local/sbin")


def find_programs(root, names, path=None):
    """{name: its path, or None} of each program in PATH (`path`, else the environment's) and the sbin folders,
    under `root`."""
    dirs = [d for d in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep) if d]
    dirs += [d for d in SBIN if d not in dirs]
    found = {}
    for name in names:
        found[name] = next((os.path.join(d, name) for d in dirs
                            if os.path.isfile(rooted(root, os.path.join(d, name)))
                            and os.access(rooted(root, os.path.join(d, name)), os.X_OK)), None)
    return found


def missing(found):
    """[{package, also_named, programs: the missing ones, unread}] of the packages one of whose programs `found`
    (find_programs' answer) lacks, in PACKAGES' order."""
    out = []
    for package, alias, programs, unread in PACKAGES:
        lost = [p for p in programs if p in found and not found[p]]
        if lost:
            out.append({"package": package, "also_named": alias, "programs": lost, "unread": unread})
    return out


def package_of(program):
    """The package of PACKAGES a program belongs to (sg_raw comes with sg3_utils too), or None."""
    for package, _alias, programs, _unread in PACKAGES:
        if program in programs or (package == "sg3_utils" and program.startswith("sg_")):
            return package
    return None
