# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Review of the module_utils package move and the splits (issue 30, merge 879acd2): what a split can change
without changing one function's AST. Each finding was a strict xfail until it was fixed.

Before the split each of these held: one module (san_plan, san_act) owned the value or was the whole act code.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
from types import SimpleNamespace

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import checks as act_checks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import disks as act_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import maps as act_maps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import maps as plan_maps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import test_one_definition
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_plan import dead_map
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_presence import hanging
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import healthy_lab


def test_the_plan_and_the_act_read_one_release_settle(monkeypatch):
    monkeypatch.setattr(plan_steps, "RELEASE_SETTLE", 3.0)
    planned = plan_maps.plan_map_flush(dead_map(), {"array_unmapped": True})[1]
    assert planned["action"] == "verify_unused"
    acted = act_maps._settle(SimpleNamespace(wait_timeout=60.0), {"expect": {}})  # a step without its own settle
    assert planned["expect"]["settle"] == acted == 3.0


def test_the_unit_attention_bound_is_read_where_it_is_defined(monkeypatch):
    monkeypatch.setattr(act_checks, "UNIT_ATTENTION_RETRIES", 1)
    probes = []

    def probe_path(sd, errors=None):
        probes.append(sd)
        return {"result": "not_ready", "sense": "Unit Attention: inquiry data has changed"}

    act_checks._probe_past_unit_attention(SimpleNamespace(reader=SimpleNamespace(probe_path=probe_path)), "sdc")
    assert len(probes) == 2  # the first answer and one retry


def test_the_one_list_check_sees_a_disk_action_list_in_any_act_file(monkeypatch):
    monkeypatch.setattr(act_disks, "DISK_ACTIONS", ("flush_buffers", "delete_disk"), raising=False)
    with pytest.raises(AssertionError):
        test_one_definition.test_one_set_of_actions_whose_target_is_an_sd()


def test_the_one_reader_check_sees_a_reader_built_under_the_modules_own_name(monkeypatch):
    source = ("from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read\n"
              "host = read.Host(root='/')\n")

    def sources():
        yield test_one_definition.PLUGINS / "modules" / "x.py", ast.parse(source)

    monkeypatch.setattr(test_one_definition, "_sources", sources)
    with pytest.raises(AssertionError):
        test_one_definition.test_no_module_builds_its_own_reader()


def test_a_map_reread_whose_multipathd_scan_hung_does_not_say_not_running(tmp_path):
    t = healthy_lab(tmp_path).commands()
    wwid = sorted(t.reader().snapshot(probe=False)["maps"])[0]
    m = t.reader(call=hanging(("multipathd_pids",))).map(wwid)
    assert not [e for e in m["errors"] if "multipathd is not running" in e["msg"]]
    assert [e for e in m["errors"] if "whether multipathd runs is unknown" in e["msg"]]
