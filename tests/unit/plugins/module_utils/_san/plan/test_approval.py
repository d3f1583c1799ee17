# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/approval.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval, steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import LOWER, UPPER


HOST = {"machine_id": "m1", "hostname": "h1"}


def _map_steps(wwid, name, dm, dev, sd, hctl):
    m = {"name": name, "wwid": wwid, "dm": dm, "dev": dev, "paths": [{"name": sd}]}
    d = {"name": sd, "hctl": hctl, "dev": "8:%d" % (16 * int(dm[3:])), "wwid": wwid, "map": name}
    unit = "map %s" % name
    steps = [dict(plan_steps.step("flush_map", name, {"wwid": wwid, "name": name}), unit=unit, phase="flush"),
             dict(plan_steps.step("remove_wwid", wwid, {"wwid": wwid, "map_absent": True}), unit=unit,
                  phase="flush")]
    return m, d, steps


def test_an_artifact_removing_two_lus_that_differ_only_in_case_is_valid_and_approves_both():
    """Fails when a plan removing two LUs that differ only in case is invalid or has one of them refused."""
    m1, d1, s1 = _map_steps(UPPER, "mpathx", "dm-5", "253:5", "sdf", "2:0:0:7")
    m2, d2, s2 = _map_steps(LOWER, "mpathy", "dm-6", "253:6", "sdg", "2:0:0:8")
    snapshot = {"maps": {UPPER: m1, LOWER: m2}, "disks": {"sdf": d1, "sdg": d2}}
    steps = s1 + s2
    plan = {"steps": steps, "skipped": [], "flush_maps": [UPPER, LOWER], "delete_disks": [], "mismatches": []}
    artifact = json.loads(json.dumps(approval.plan_artifact(steps, snapshot, HOST, 1000.0)))
    approval.validate(copy.deepcopy(artifact), 1001.0, approval.MAX_AGE)   # today: "lists remove_wwid ... twice"
    out, seen = approval.gate(plan, snapshot, artifact)
    assert seen == {"refused": [], "not_needed": []} and len(out["steps"]) == 4, out["skipped"]


def test_an_approved_dm_uuid_that_is_a_list_is_a_clear_error_or_a_refusal_not_a_traceback():
    """Fails when an approved plan whose dm_uuid is a list raises a traceback, not a clear InvalidInput."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import (
        _artifact, _redigest)
    _plan, _snapshot, artifact = _artifact(UPPER)
    bad = copy.deepcopy(artifact)
    bad["steps"][0]["identity"]["dm_uuid"] = ["mpath-" + UPPER]
    _redigest(bad)
    with pytest.raises(validate.InvalidInput, match=r"steps\[0\]\.identity\.dm_uuid must be a string or null"):
        approval.validate(bad, 1001.0, approval.MAX_AGE)   # on 3d7a95c the gate raised AttributeError
