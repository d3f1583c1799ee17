# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/snapshot.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot


def test_a_snapshot_without_a_collection_time_gets_now():
    """Fails when a snapshot assembled without a collection time gets none or a wrong one."""
    before = time.time()
    snap = snapshot.assemble({"listing": {}, "sd": {}, "dm": {}})
    assert before <= snap["collected_at"] <= time.time()
    assert snap["disks"] == {} and snap["maps"] == {}


def test_a_local_nvme_controller_of_another_driver_does_not_make_a_san_host():
    """Only tcp, fc and rdma are NVMe over fabrics: apple-nvme (ctrl->ops->name of a local Apple controller) is a
    local drive like pcie; a transport that could not be read may be a fabric one."""
    state, why = snapshot.san_presence([], False, {}, {}, [], nvme_controllers=[
        {"name": "nvme0", "transport": "apple-nvme", "state": "live"}])
    assert state == "not_san", why
    state, why = snapshot.san_presence([], False, {}, {}, [], nvme_controllers=[
        {"name": "nvme0", "transport": None, "state": "live"}])
    assert state == "san", why
