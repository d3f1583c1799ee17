# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One LVM name decoder (issue 30): lvm_filter_info decodes as san_users does, on the names where the old
copies disagreed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as san_users
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info


@pytest.mark.parametrize("dm_name, vg_lv", [
    ("vg---lv", ("vg-", "lv")),            # VG "vg-": the old module copy split nothing
    ("my--vg-data", ("my-vg", "data")),
    ("vg-pool_tdata", ("vg", "pool_tdata")),
])
def test_one_lvm_name_decoder(dm_name, vg_lv):
    assert san_users.decode_lvm_name(dm_name) == vg_lv
    assert lvm_filter_info.split_lv_name(dm_name) == vg_lv


def test_a_name_that_is_no_lv_stays_whole_in_the_lvm_report():
    assert lvm_filter_info.split_lv_name("mpatha") == ("mpatha", "")
