# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scsi_delete on the plain fake host (map WWID still there) with two LUs whose t10 WWIDs differ only in case:
a re-run deletes nothing of the other LU, and a disk that is now the other LU is refused."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.modules import scsi_delete
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, disk)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import LOWER, UPPER


@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def test_running_the_same_scsi_delete_again_does_not_delete_another_lus_disk(env, invoke_on_env):
    """Fails when re-running scsi_delete by WWID deletes another LU's disk differing only in case."""
    env._drop_map(env.maps[WWID])
    env.add_disk(disk("sdf", "4:0:0:7", "8:80", UPPER))
    env.add_disk(disk("sdg", "4:0:0:8", "8:96", LOWER))
    first = invoke_on_env(scsi_delete, {"wwid": "t10.VEND_abc"})
    assert not first.get("failed") and first["removed"] == ["sdg"], first
    env.writes[:] = []
    again = invoke_on_env(scsi_delete, {"wwid": "t10.VEND_abc"})        # a playbook re-run: nothing to do
    assert "sdf" in env.disks and env.writes == [], again               # today: sdf (1VEND_Abc) deleted
    assert again["changed"] is False


def test_scsi_delete_refuses_a_disk_that_is_now_another_lu_differing_only_in_case(env, invoke_on_env):
    """Fails when scsi_delete deletes a disk that is now another LU whose WWID differs only in case."""
    env._drop_map(env.maps[WWID])
    # the caller saw sdf at 4:0:0:7 as LU 1VEND_Abc; LUN id 7 now reaches LU 1VEND_abc (sdf refreshed by a rescan)
    env.add_disk(disk("sdf", "4:0:0:7", "8:80", LOWER))
    out = invoke_on_env(scsi_delete, {"devices": [{"name": "sdf", "hctl": "4:0:0:7", "dev": "8:80",
                                                   "wwid": "t10.VEND_Abc"}]})
    assert out.get("failed") and out["refusal"]["kind"] == "identity", out   # today: sdf deleted
    assert "sdf" in env.disks and env.writes == []
