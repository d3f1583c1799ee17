# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review (round 4) of 7120141 (Host.map / View.map look a key up among the maps' WWIDs first; refs'
"-partN" rule for t10 needles): each finding a strict xfail that fails on 7120141. Remove the marker with the fix.
The module side is in tests/unit/plugins/modules/test_review_i30k_modules.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import disks as act_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import read_for
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.checks import verify_identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActContext
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_review_i30g_modules import (
    W1, W2, _alias_tree)


def _sdc_step(tmp_path, alias_last):
    """The alias tree of review i30g #1 (LU W1's map mpatha; LU W2's map aliased "W1", path sdc): the plan flushed
    LU W2's map and deletes its path sdc (expect.after_flush W2); multipathd has assembled the map again from sdc,
    under its configured alias W1 (the alias is multipath.conf's: a rebuilt map gets it again)."""
    t = _alias_tree(tmp_path / str(alias_last), alias_last)
    host = ActContext(t.reader(), run=t.run, sleep=lambda s: None)
    d = t.reader().disk("sdc")
    assert d["map"] == W1 and d["wwid"] == W2, d
    step = {"action": "delete_disk", "target": "sdc", "unit": 1,
            "expect": {"name": "sdc", "hctl": d["hctl"], "dev": d["dev"], "wwid": d["wwid"], "serial": d["serial"],
                       "after_flush": W2}}
    return t, host, step


# ------------------------------------------------------------------------------------------------ 1 (medium)
@pytest.mark.xfail(strict=True, reason="review i30k #1: verify_identity looks the disk's own map up by its NAME "
                   "(host.map_now(d['map'])), WWID-first since 7120141: sdc, a path of the map aliased 'W1' (LU W2), "
                   "is refused as a path of mpatha (LU W1); _rebuilt_map then re-reads 'mpatha', whose WWID is not the "
                   "flushed W2, and the map multipathd rebuilt under its alias is never flushed again")
def test_the_act_refuses_a_disk_for_its_own_map_and_recognises_it_rebuilt(tmp_path):
    for alias_last in (False, True):
        _t, host, step = _sdc_step(tmp_path, alias_last)
        for view in (False, True):
            host.view = read_for(host, [dict(step, action="flush_map", target=W1, expect={"wwid": W2})]) \
                if view else None
            try:
                with pytest.raises(Refused) as exc:
                    verify_identity(host, step)
                # on 7120141: {"map": "mpatha"} (LU W1), the map named like sdc's map is not the map sdc is in
                assert exc.value.evidence.get("map") == W1, (alias_last, view, exc.value.evidence)
            finally:
                host.view = None
            rebuilt = act_disks._rebuilt_map(host, step, exc.value)
            # on 7120141: None (mpatha's WWID is W1): delete_disk refuses instead of flushing LU W2's rebuilt map
            assert rebuilt is not None and rebuilt["wwid"] == W2, (alias_last, view, rebuilt)
