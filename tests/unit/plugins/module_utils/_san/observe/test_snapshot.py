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
