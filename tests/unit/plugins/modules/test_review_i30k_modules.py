# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review (round 4) of 7120141 (Host.map / View.map look a key up among the maps' WWIDs first), seen
through scsi_delete on a built sysfs tree with the real reader: each finding a strict xfail that fails on 7120141.
Remove the marker with the fix. The act's side is in tests/unit/plugins/module_utils/test_review_i30k.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_review_i30g_modules import (
    W1, alias_hosts)


# ------------------------------------------------------------------------------------------------ 1 (medium)
def test_scsi_delete_names_the_map_a_disk_belongs_to_not_the_map_of_the_lu_its_name_spells(
        tmp_path, monkeypatch, invoke):
    from ansible_collections.sanfleet.remediation.plugins.modules import scsi_delete
    for alias_last in alias_hosts(tmp_path, monkeypatch):
        out = invoke(scsi_delete, {"name": ["sdc"]}, check=True)
        assert out.get("failed"), out  # sdc is a path of a live map: refused, either way
        # sdc (WWID W2) is a path of the map named W1 (LU W2); on 7120141 the refusal says "live multipath map
        # mpatha", LU W1's map: "flush the map first (multipath_flush)" points the operator at another LU
        assert "live multipath map %s " % W1 in out["msg"] and "mpatha" not in out["msg"], (alias_last, out["msg"])
