# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review (round 2) of the WWID identity fixes (1908703, ba200eb), seen through a removal module run on
a built sysfs tree with the real reader (observe.read.Host): each finding a strict xfail that fails on ba200eb.
Remove the marker with the fix. The others are in tests/unit/plugins/module_utils/test_review_i30g.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as san_read
from ansible_collections.sanfleet.remediation.plugins.modules import multipath_flush
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    SanTree, ontap_wwid)

W1, W2 = ontap_wwid(1), ontap_wwid(2)


def _alias_tree(tmp_path, alias_last):
    """LU W1's map is mpatha; LU W2's map is aliased "W1" (multipath.conf `alias`, e.g. to keep the device path of
    the LU it replaced: /dev/mapper/W1). dm names are unique, so the two maps coexist. alias_last: the alias map
    is the later dm device (dm-1)."""
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    for name, hctl, dev, n in (("sdb", "2:0:0:1", "8:16", 1), ("sdc", "2:0:0:2", "8:32", 2)):
        t.disk(name, hctl, dev, session=1, wwid="naa." + ontap_wwid(n)[1:])
    maps = [("mpatha", W1, "sdb"), (W1, W2, "sdc")]
    if not alias_last:
        maps.reverse()
    for i, (name, wwid, sd) in enumerate(maps):
        t.dm("dm-%d" % i, "253:%d" % i, name, "mpath-" + wwid, slaves=(sd,))
    return t.commands()


# ------------------------------------------------------------------------------------------------ 1 (medium)
@pytest.mark.xfail(strict=True, reason="review i30g #1: Host.map(from_user=True) matches a user's WWID against every "
                                       "map's dm name and kname too, the last hit wins: wwid=W1 plans the flush (and "
                                       "multipath -w removal) of the map of LU W2 whose alias is the text W1")
def test_multipath_flush_by_wwid_never_plans_the_map_of_another_lu_named_like_that_wwid(
        tmp_path, monkeypatch, invoke):
    for alias_last in (False, True):
        t = _alias_tree(tmp_path / str(alias_last), alias_last)
        monkeypatch.setattr(san_read, "reader_for", lambda params, t=t: t.reader(
            command_timeout=params["command_timeout"]))
        out = invoke(multipath_flush, {"wwid": W1}, check=True)
        assert not out.get("failed"), out
        # the map of LU W1 (mpatha), or a refusal: never the map of LU W2 (on ba200eb with alias_last: map "W1",
        # WWID W2, and a plan of flush_map W1 + remove_wwid W2)
        assert out["map"]["wwid"] == W1 and out["map"]["name"] == "mpatha", (alias_last, out["map"], out["plan"])
        assert [s["target"] for s in out["plan"] if s["action"] == "remove_wwid"] == [W1], out["plan"]
