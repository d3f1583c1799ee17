# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scsi_rescan on the plain fake host (map WWID still there): the expected t10 LU given in another case."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid
from ansible_collections.sanfleet.remediation.plugins.modules import scsi_rescan
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, disk)


@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def test_scsi_rescan_accepts_the_expected_t10_lu_in_another_case(env, invoke_on_env):
    """Fails when scsi_rescan refuses the expected t10 LU because the user spelt its WWID in another case."""
    env._drop_map(env.maps[WWID])
    env.pending_luns["4:0:0:2"] = disk("sde", "4:0:0:2", "8:64", Wwid("t10.LIO-ORG block 2"))
    out = invoke_on_env(scsi_rescan, {"hctl": "4:0:0:2", "expect_wwid": "t10.lio-org_block_2"})
    assert not out.get("failed"), out["msg"]      # today: "sde shows the wrong identity after the scan"
    assert out["disk"] == "sde"
