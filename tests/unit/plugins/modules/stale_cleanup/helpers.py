# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID2, disk)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import helpers as base
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import judged


# test_stale_cleanup's fixtures: the query stage replaced by judged snapshots, the module in check mode
looks = base.looks


MACHINE_ID = "3d1219c7c4c5404aaa1f6d2a48adfda4"


@pytest.fixture
def env(tmp_path):
    """test_stale_cleanup's host (map WWID with sdc, sdd; stale disk sdf without a map), with a machine-id and a
    hostname."""
    e = FakeEnv(tmp_path)
    e.add_disk(disk("sdf", "4:0:0:7", "8:80", WWID2))
    e.disks["sdf"]["probe"] = {"result": "lun_not_supported", "serial_live": None}
    e.probes["sdf"] = {"result": "lun_not_supported", "sense": "05/25/00", "serial_live": None}  # at act time too
    e._file("etc/machine-id", MACHINE_ID + "\n")
    e._file("proc/sys/kernel/hostname", "db01\n")
    return e


@pytest.fixture
def approved(env, looks, run):
    """The plan of a check run over the fake host as it is now (both units: the map with its paths, disk sdf)."""
    looks(judged())
    chk = run({}, check=True)
    assert not chk.get("failed"), chk
    return chk["plan_artifact"]
