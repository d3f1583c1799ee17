# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review (round 2) of the WWID identity fixes (1908703: every guard before a change compares
identity.wwid_text, a t10 vendor text exactly; observe.refs matches t10 text in its case): each finding a strict
xfail that fails on ba200eb. Remove the marker with the fix. The module-level finding is in
tests/unit/plugins/modules/test_review_i30g_modules.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    Wwid, identity_diff, same_identity_value, wwid_matches)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_act import FakeEnv
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import healthy_lab

# two LUs whose t10 ids differ only in the case of their vendor text, a text made of hex characters only (an
# 8-character T10 vendor id of hex letters/digits and a hex vendor-specific id: no blank, so no "_" in it)
HEX_UPPER, HEX_LOWER = Wwid("t10.ABCDEF0123456789"), Wwid("t10.abcdef0123456789")


# ------------------------------------------------------------------------------------------------ 2 (low)
def test_a_t10_vendor_text_of_hex_characters_is_compared_in_its_case_by_the_guards(tmp_path):
    assert (HEX_UPPER, HEX_LOWER) == ("1ABCDEF0123456789", "1abcdef0123456789")   # Wwid keeps the case: two LUs
    # only the upper-case LU is here; the user names the other one (its map gone, as in review i30f #1)
    t = healthy_lab(tmp_path)
    t.disk("sdf", "2:0:0:7", "8:80", session=1, wwid="t10.ABCDEF0123456789")
    t.dm("dm-5", "253:5", "mpathx", "mpath-" + HEX_UPPER, slaves=("sdf",))
    t.commands()
    with pytest.raises(san_validate.InvalidInput, match="differs from it only in case"):
        t.reader().map(HEX_LOWER, from_user=True)     # on ba200eb: mpathx, the map of the other LU
    assert not wwid_matches(HEX_LOWER, HEX_UPPER)
    assert not same_identity_value("wwid", HEX_UPPER, HEX_LOWER)
    assert identity_diff({"wwid": HEX_UPPER}, {"wwid": HEX_LOWER}) != {}


# ------------------------------------------------------------------------------------------------ 3 (low)
def references_after_removing(tmp_path, removed, live):
    """The references act.refs reports after LU `removed`'s map mpathx was flushed, with LU `live`'s map mpathy (a
    PV in use) still there; the LVM devices file names both, line 2 the removed one."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import refs as act_refs
    env = FakeEnv(tmp_path)
    env._file("sys/block/dm-6/dm/name", "mpathy")          # the live map of LU 1VEND_abc_2, a PV in use
    env._file("sys/block/dm-6/dm/uuid", "mpath-" + live)
    env._file("etc/lvm/devices/system.devices", "VERSION=1.1.3\n"
              "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/mpathx PVID=Xa1b\n"
              "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/mpathy PVID=Xb2c\n" % (removed, live))
    executed = [{"action": "flush_map", "target": "mpathx", "outcome": "done"},
                {"action": "wait_map_gone", "target": "mpathx", "outcome": "done", "wwid": removed}]
    return act_refs.references(env.host(), executed, still_present=[live])


def test_the_references_of_a_removed_t10_lu_do_not_name_a_live_lu_whose_wwid_it_begins(tmp_path):
    removed, live = Wwid("t10.VEND abc"), Wwid("t10.VEND abc 2")       # "1VEND_abc", "1VEND_abc_2"
    refs = references_after_removing(tmp_path, removed, live)
    # the removed LU's own line (positive control), never the live one's (on ba200eb: lines 2 and 3)
    assert [r["line"] for r in refs] == [2], refs
