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


def alias_hosts(tmp_path, monkeypatch):
    """Each order of _alias_tree in turn (alias map first or last), the modules' reader pointed at it."""
    for alias_last in (False, True):
        t = _alias_tree(tmp_path / str(alias_last), alias_last)
        monkeypatch.setattr(san_read, "reader_for", lambda params, t=t: t.reader(
            command_timeout=params["command_timeout"]))
        yield alias_last


# ------------------------------------------------------------------------------------------------ 1 (medium)
def test_multipath_flush_by_wwid_never_plans_the_map_of_another_lu_named_like_that_wwid(
        tmp_path, monkeypatch, invoke):
    for alias_last in alias_hosts(tmp_path, monkeypatch):
        out = invoke(multipath_flush, {"wwid": W1}, check=True)
        assert not out.get("failed"), out
        # the map of LU W1 (mpatha), never the map of LU W2 (on ba200eb with alias_last: map "W1",
        # WWID W2, and a plan of flush_map W1 + remove_wwid W2)
        assert out["map"]["wwid"] == W1 and out["map"]["name"] == "mpatha", (alias_last, out["map"], out["plan"])
        assert [s["target"] for s in out["plan"] if s["action"] == "remove_wwid"] == [W1], out["plan"]


def test_multipath_flush_by_name_plans_the_map_of_that_name(tmp_path, monkeypatch, invoke):
    for alias_last in alias_hosts(tmp_path, monkeypatch):
        out = invoke(multipath_flush, {"name": W1}, check=True)
        assert not out.get("failed"), out
        # the map named W1 (LU W2), never LU W1's map by its WWID (on ba200eb with alias_last False: mpatha)
        assert out["map"]["name"] == W1 and out["map"]["wwid"] == W2, (alias_last, out["map"], out["plan"])


# ------------------------------------------------------------------------------------------------ 4 (medium)
def _two_case_variant_disks_one_unread(tmp_path, monkeypatch, other_lu):
    """LU 1VEND_abc's disk sdg is here, but its sysfs read does not finish (a hung device); with other_lu, the disk
    sdf of LU 1VEND_Abc (differing only in case) is here and reads fine."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
        healthy_lab, inline_call)
    t = healthy_lab(tmp_path)
    disks = (("sdf", "2:0:0:7", "8:80", "Abc"), ("sdg", "2:0:0:8", "8:96", "abc"))
    for name, hctl, dev, text in disks if other_lu else disks[1:]:
        t.disk(name, hctl, dev, session=1, wwid="t10.VEND    %s" % text)
    t.commands()

    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ == "read_batch" or (fn.__name__ == "read_devices" and "sdg" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)
    monkeypatch.setattr(san_read, "reader_for", lambda params: t.reader(
        call=call, read_timeout=1.5, command_timeout=params["command_timeout"]))


@pytest.mark.parametrize("other_lu", [True, False])
def test_scsi_delete_by_wwid_over_an_unfinished_read_says_it_cannot_tell(tmp_path, monkeypatch, invoke, other_lu):
    from ansible_collections.sanfleet.remediation.plugins.modules import scsi_delete
    _two_case_variant_disks_one_unread(tmp_path, monkeypatch, other_lu)
    out = invoke(scsi_delete, {"wwid": "t10.VEND_abc"}, check=True)
    # on ba200eb: other_lu -> "WWID 1VEND_abc is not on this host as written; 1VEND_Abc differs from it only in
    # case ...: give the WWID as the kernel spells it" (the re-run it asks for deletes LU 1VEND_Abc's sdf);
    # no other_lu -> not failed, plan [] ("nothing of that WWID here": its disk sdg is, unread)
    assert out.get("failed") and "sdg" in out["msg"] and "as the kernel spells it" not in out["msg"], out


# ------------------------------------------------------------------------------------------------ 5 (low)
@pytest.fixture
def env(tmp_path):
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_act import FakeEnv
    return FakeEnv(tmp_path)


def test_the_spelling_a_refusal_asks_for_is_accepted(env, invoke_on_env):
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_multipath_flush import _t10_map
    t10 = _t10_map(env)                                    # map 1LIO-ORG_block_1
    refused = invoke_on_env(multipath_flush, {"wwid": "t10.lio-org_block_1"}, check=True)
    assert refused.get("failed") and "%s differs from it only in case" % t10 in refused["msg"], refused
    out = invoke_on_env(multipath_flush, {"wwid": str(t10)}, check=True)     # as the message (and the facts) spell it
    assert not out.get("failed") and out["map"]["wwid"] == t10, out.get("msg")   # on ba200eb: "... is not valid"
