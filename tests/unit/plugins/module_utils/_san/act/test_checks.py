# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/checks.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from types import SimpleNamespace

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import checks as act_checks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, WWID2, dead, disk, flush_plan)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)


def test_the_unit_attention_bound_is_read_where_it_is_defined(monkeypatch):
    """Fails when the unit attention retry bound is not read from where it is defined."""
    monkeypatch.setattr(act_checks, "UNIT_ATTENTION_RETRIES", 1)
    probes = []

    def probe_path(sd, errors=None):
        probes.append(sd)
        return {"result": "not_ready", "sense": "Unit Attention: inquiry data has changed"}

    act_checks._probe_past_unit_attention(SimpleNamespace(reader=SimpleNamespace(probe_path=probe_path)), "sdc")
    assert len(probes) == 2  # the first answer and one retry


def test_the_recheck_before_a_delete_compares_the_wwid_exactly(tmp_path):
    """Fails when the act's re-check normalises a step's WWID again (an upper-case or naa. spelling taken for the
    host's): every outside spelling is converted where it enters, so inside only the host's own spelling is the
    same device."""
    env = FakeEnv(tmp_path)
    env._drop_map(env.maps[WWID])
    env.add_disk(disk("sdf", "4:0:0:7", "8:80", WWID2))
    planned = dict(identity.disk_identity(env.host().disk_now("sdf")))
    assert act_checks.verify_identity(env.host(), plan_steps.step("delete_disk", "sdf", planned))["name"] == "sdf"
    for spelling in (WWID2.upper(), "naa." + WWID2[1:]):
        step = plan_steps.step("delete_disk", "sdf", dict(planned, wwid=spelling))
        with pytest.raises(Refused, match="wwid expected %s, found %s" % (spelling, WWID2)) as refused:
            act_checks.verify_identity(env.host(), step)
        assert refused.value.kind == "identity" and refused.value.evidence["diff"] == {
            "wwid": {"expected": spelling, "actual": WWID2}}


def test_the_map_recheck_takes_the_steps_wire_form_with_its_paths(tmp_path):
    """Fails when the map re-check stops taking a step's expect dict (the wire form the plan and the tests write) or
    lets a path added since the plan through."""
    env = FakeEnv(tmp_path)
    m = env.host().map_now(WWID, "wwid")
    step = plan_steps.step("flush_map", m["name"], identity.map_identity(m))
    assert act_checks.verify_map(env.host(), step)["wwid"] == WWID
    fewer = plan_steps.step("flush_map", m["name"], dict(identity.map_identity(m), slaves=["sdc"]))
    with pytest.raises(Refused, match="slaves expected") as refused:
        act_checks.verify_map(env.host(), fewer)
    assert refused.value.evidence["diff"] == {"slaves": {"expected": ["sdc"], "actual": ["sdd"]}}


def test_a_reused_lun_unit_refused_as_came_back_gives_a_json_result(env):
    """Fails when the refusal of a unit whose paths no longer answer as the other LU they reached at plan time carries
    the step's read-only option value into its evidence: the result of the module must be plain JSON."""
    plan = [st.with_options(other_lu={"sdc": "OTHER", "sdd": "OTHER"})
            if st.action in ("disable_queueing", "flush_map") else st for st in flush_plan(env)]
    plan = [st.tagged("flush", "u") for st in plan]
    for sd in ("sdc", "sdd"):
        env.probes[sd] = {"result": "ready", "sense": None, "serial_live": "MINE", "elapsed": 0.01}
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "came_back", out
    assert json.loads(json.dumps(out))["refusal"]["evidence"]["other_lu"] == {"sdc": "OTHER", "sdd": "OTHER"}


def test_a_unit_whose_probe_program_went_missing_since_the_plan_is_refused_as_not_probed(env):
    """The plan probed every path of the dead unit; at act time the probe cannot be sent (sg3_utils removed): the
    kernel's failed state alone is no proof the LUN is still gone, so nothing of the unit is touched."""
    plan = [st.tagged(None, "u") for st in dead(flush_plan(env))]
    env.probes["sdd"] = {"result": "error", "sense": "sg_turs is not installed (sg3_utils): not probed",
                         "serial_live": None, "missing": "sg_turs"}
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "not_probed" and "sdd not probed: sg_turs is not installed" in out["msg"], out
    assert not [c for c in env.commands if c[:2] in (["multipathd", "disablequeueing"], ["multipath", "-f"])]
    assert env.maps[WWID]["queueing"] is True
