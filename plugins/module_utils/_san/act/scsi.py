# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SCSI family's writers (dm-multipath maps over sd disks): the runner of each of its actions, registered in
act/families.py. The acts themselves are by object: act/maps.py, act/disks.py, act/scans.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import single
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.maps import (
    disable_queueing, flush_map, remove_wwid, verify_unused, wait_map_gone)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.disks import (
    delete_disk, disks_still_dead, flush_buffers, wait_disk_gone)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.scans import (
    rescan_disk, scan_exact_lun, verify_lun, wait_disk_present)

# action -> runner(host, steps) -> [(step, result dict or error, seconds)]
WRITERS = {
    "disable_queueing": disable_queueing,
    "verify_unused": verify_unused,
    "flush_map": flush_map,
    "wait_map_gone": wait_map_gone,
    "remove_wwid": remove_wwid,
    "flush_buffers": single(flush_buffers, read=True, before=disks_still_dead),
    "delete_disk": single(delete_disk, read=True, links=True, before=disks_still_dead),
    "wait_disk_gone": wait_disk_gone,
    "scan_exact_lun": single(scan_exact_lun),
    "rescan_disk": single(rescan_disk),
    "wait_disk_present": single(wait_disk_present),
    "verify_identity": single(verify_lun),
}
