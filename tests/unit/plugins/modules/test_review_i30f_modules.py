# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review of the fix of review i30m (3d7a95c), the findings seen through the removal modules: each a
strict xfail that fails on 3d7a95c (see tests/unit/plugins/module_utils/test_review_i30f.py for the others)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid
from ansible_collections.sanfleet.remediation.plugins.modules import multipath_flush, scsi_delete, scsi_rescan
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_act import (
    FakeEnv, WWID, disk, mpath)

# two LUs whose t10 vendor-specific ids differ only in case (distinct to the kernel and to multipath)
UPPER, LOWER = Wwid("t10.VEND Abc"), Wwid("t10.VEND abc")     # "1VEND_Abc", "1VEND_abc"


@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def _add_map(env, wwid, name, dm, dev, sd, hctl, sd_dev):
    d = disk(sd, hctl, sd_dev, wwid, map_name=name)
    d["holders"] = [dm]
    env.add_disk(d)
    m = mpath(wwid, dm, dev, [sd])
    m["name"] = name
    env.maps[wwid] = m
    env._file("sys/block/%s/dm/uuid" % dm, "mpath-" + wwid)
    env._file("sys/block/%s/dm/name" % dm, name)


# ------------------------------------------------------------------------------------------------ 1 (high)
def test_running_the_same_multipath_flush_again_does_not_flush_another_lus_map(env, invoke_on_env):
    _add_map(env, UPPER, "mpathx", "dm-5", "253:5", "sdf", "4:0:0:7", "8:80")
    _add_map(env, LOWER, "mpathy", "dm-6", "253:6", "sdg", "4:0:0:8", "8:96")
    first = invoke_on_env(multipath_flush, {"wwid": "t10.VEND_abc"})
    assert not first.get("failed") and first["removed"] == [LOWER] and LOWER not in env.maps, first
    env.commands[:] = []
    again = invoke_on_env(multipath_flush, {"wwid": "t10.VEND_abc"})      # a playbook re-run: nothing to do
    assert UPPER in env.maps and env.commands == [], again              # today: mpathx (1VEND_Abc) flushed
    assert again["changed"] is False


def test_running_the_same_scsi_delete_again_does_not_delete_another_lus_disk(env, invoke_on_env):
    env._drop_map(env.maps[WWID])
    env.add_disk(disk("sdf", "4:0:0:7", "8:80", UPPER))
    env.add_disk(disk("sdg", "4:0:0:8", "8:96", LOWER))
    first = invoke_on_env(scsi_delete, {"wwid": "t10.VEND_abc"})
    assert not first.get("failed") and first["removed"] == ["sdg"], first
    env.writes[:] = []
    again = invoke_on_env(scsi_delete, {"wwid": "t10.VEND_abc"})        # a playbook re-run: nothing to do
    assert "sdf" in env.disks and env.writes == [], again               # today: sdf (1VEND_Abc) deleted
    assert again["changed"] is False


# ------------------------------------------------------------------------------------------------ 3 (medium)
def test_scsi_delete_refuses_a_disk_that_is_now_another_lu_differing_only_in_case(env, invoke_on_env):
    env._drop_map(env.maps[WWID])
    # the caller saw sdf at 4:0:0:7 as LU 1VEND_Abc; LUN id 7 now reaches LU 1VEND_abc (sdf refreshed by a rescan)
    env.add_disk(disk("sdf", "4:0:0:7", "8:80", LOWER))
    out = invoke_on_env(scsi_delete, {"devices": [{"name": "sdf", "hctl": "4:0:0:7", "dev": "8:80",
                                                   "wwid": "t10.VEND_Abc"}]})
    assert out.get("failed") and out["refusal"]["kind"] == "identity", out   # today: sdf deleted
    assert "sdf" in env.disks and env.writes == []


# ------------------------------------------------------------------------------------------------ 4 (low)
def test_scsi_rescan_accepts_the_expected_t10_lu_in_another_case(env, invoke_on_env):
    env._drop_map(env.maps[WWID])
    env.pending_luns["4:0:0:2"] = disk("sde", "4:0:0:2", "8:64", Wwid("t10.LIO-ORG block 2"))
    out = invoke_on_env(scsi_rescan, {"hctl": "4:0:0:2", "expect_wwid": "t10.lio-org_block_2"})
    assert not out.get("failed"), out["msg"]      # today: "sde shows the wrong identity after the scan"
    assert out["disk"] == "sde"
