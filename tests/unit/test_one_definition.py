# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One definition each: H:C:T:L and sd-name patterns, the disk actions, the "same device?" rule and the reader's
deadlines. Each test feeds the inputs on which separate copies would disagree; the last ones show that the checks
here fail on a copy (a disk-action list in an act file, a reader built under a module's own name)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import importlib
import pytest
import sys

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import (
    identity, validate)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    disks as act_disks, execute)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import (
    parse, read, snapshot)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.helpers import PLUGINS
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    hanging, healthy_lab)


def _sources():
    for path in sorted(PLUGINS.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


@pytest.mark.parametrize("hctl, ok", [
    ("3:0:0:1", True),
    ("1234567:0:0:1", True),               # a 32-bit host number: the old input check stopped at 6 digits
    ("0:0:0:4611686018427387904", True),   # a 64-bit LUN: the old input check stopped at 10 digits
    ("\u0663:0:0:1", False),               # an Arabic-Indic digit: the snapshot's \d took it
    ("12345678901:0:0:1", False),
    ("0:0:0:123456789012345678901", False),
    ("3:0:0", False),
])
def test_one_hctl_pattern(hctl, ok):
    """Fails when the H:C:T:L pattern refuses a kernel address or accepts a non-ASCII or too long one."""
    for pattern in (identity.HCTL_RE, validate.HCTL, snapshot.HCTL_RE):
        assert bool(pattern.match(hctl)) is ok, (pattern.pattern, hctl)


@pytest.mark.parametrize("name, ok", [
    ("sdb", True),
    ("sdaaaaa", True),                     # the 475,255th disk: the old input check refused it
    ("sd" + "z" * 29, True),               # the kernel's longest (DISK_NAME_LEN 32)
    ("sd" + "z" * 30, False),              # longer than the kernel can name: the old reader's pattern took it
    ("sda1", False),
    ("sd", False),
])
def test_one_sd_name_pattern(name, ok):
    """Fails when an sd name pattern refuses a kernel name or accepts one the kernel cannot give."""
    for pattern in (identity.SD_NAME_RE, parse.SD_RE, validate.SD_NAME):
        assert bool(pattern.match(name)) is ok, (pattern.pattern, name)


def test_no_other_file_compiles_an_hctl_or_sd_name_pattern():
    """Fails when a file other than identity.py compiles an H:C:T:L or sd name pattern."""
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "compile" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                text = node.args[0].value
                if text.startswith("^sd[a-z]") or text.count(":") == 3 and "[0-9]" in text or r"(\d+):(\d+)" in text:
                    found.append("%s:%d %s" % (path.relative_to(PLUGINS).as_posix(), node.lineno, text))
    assert [f for f in found if not f.startswith("module_utils/_san/identity.py:")] == [], found


def test_one_set_of_actions_whose_target_is_an_sd():
    """The plan's disk actions and the act's (which also read rescan_disk by its sd) were two lists."""
    assert set(plan_steps.DISK_ACTIONS) < set(plan_steps.SD_TARGET_ACTIONS) <= set(plan_steps.ACTIONS)
    assert "rescan_disk" in plan_steps.SD_TARGET_ACTIONS
    act_dir = PLUGINS / "module_utils" / "_san" / "act"
    own_lists = [path.name for path in sorted(act_dir.glob("*.py"))
                 if hasattr(importlib.import_module("%s.%s" % (execute.__package__, path.stem)), "DISK_ACTIONS")]
    assert own_lists == []


SAME_DEVICE_RULE = ("map_identity", "disk_identity", "identity_diff", "describe_diff")


def _defined_in(names):
    """{function name: [files under plugins/ that define it]}."""
    where = dict((name, []) for name in names)
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in where:
                where[node.name].append(path.relative_to(PLUGINS).as_posix())
    return where


def test_one_same_device_rule_in_identity():
    """The identity a step carries and the "same device?" comparison are identity's, defined nowhere
    else: they were plan/steps' (and describe_diff plan/disks'), so the act and the approval gate reached into the
    plan for the rule they re-check with."""
    assert _defined_in(SAME_DEVICE_RULE) == dict((name, ["module_utils/_san/identity.py"]) for name in SAME_DEVICE_RULE)
    assert identity.identity_diff({"wwid": "3600a0980a", "name": "sdc", "hctl": None},
                                  {"wwid": "3600a0980b", "name": "sdc", "hctl": "1:0:0:1"}) == {
        "wwid": {"expected": "3600a0980a", "actual": "3600a0980b"}}


IN_USE_RULE = ("classify_holder", "describe_holder", "opener_label", "workload_openers", "harmless_openers",
               "check_not_in_use")


def test_one_in_use_rule_in_judge_usage():
    """Every "in use?" rule (holders by kind, workload and harmless openers, the gate that refuses a device in use)
    is judge/usage's, defined nowhere else: it was plan/usage's, a judgement living in the plan. Its
    refusal type is errors.Refused, below every stage, so the judge raises what the plan and the act raise."""
    assert _defined_in(IN_USE_RULE) == dict((name, ["module_utils/_san/judge/usage.py"]) for name in IN_USE_RULE)
    classes = [(path.relative_to(PLUGINS).as_posix(), node.name) for path, tree in _sources()
               for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == "Refused"]
    assert classes == [("module_utils/_san/errors.py", "Refused")]


@pytest.mark.parametrize("params, probe", [
    ({"command_timeout": 3.0}, 3.0),                           # the disk modules: min(8, command_timeout)
    ({"command_timeout": 30.0}, 8.0),
    ({"command_timeout": 30.0, "probe_timeout": 5.0}, 5.0),    # stale_cleanup / stale_mpath_facts
])
def test_one_reader_builder(params, probe):
    """Fails when the one reader builder sets other timeouts or root than the modules ask."""
    reader = read.reader_for(params)
    assert (reader.command_timeout, reader.read_timeout, reader.probe_timeout) == (
        params["command_timeout"], params["command_timeout"], probe)
    assert reader.root == "/"


READER_MODULE = read.__name__


def _reader_names(tree):
    """(names bound to the reader module, names bound to its Host class) in one file, whatever their alias."""
    modules, classes = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if "%s.%s" % (node.module, alias.name) == READER_MODULE:
                    modules.add(alias.asname or alias.name)
                elif node.module == READER_MODULE and alias.name == "Host":
                    classes.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == READER_MODULE and alias.asname:
                    modules.add(alias.asname)
    return modules, classes


def test_no_module_builds_its_own_reader():
    """Fails when a module builds its own reader instead of calling reader_for."""
    builders = []
    for path, tree in _sources():
        if path.name == "read.py" and path.parent.name == "observe":
            continue  # reader_for, the one builder
        modules, classes = _reader_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "Host" and getattr(func.value, "id", None) in modules) \
                    or (isinstance(func, ast.Name) and func.id in classes):
                builders.append("%s:%d" % (path.name, node.lineno))
    assert builders == []


def test_the_one_list_check_sees_a_disk_action_list_in_any_act_file(monkeypatch):
    """Fails when the one-list check misses a second disk action list defined in an act file."""
    monkeypatch.setattr(act_disks, "DISK_ACTIONS", ("flush_buffers", "delete_disk"), raising=False)
    with pytest.raises(AssertionError):
        test_one_set_of_actions_whose_target_is_an_sd()


def test_the_one_reader_check_sees_a_reader_built_under_the_modules_own_name(monkeypatch):
    """Fails when the one-reader check misses a module building a reader through the read module's own name."""
    source = ("from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read\n"
              "host = read.Host(root='/')\n")

    def sources():
        yield PLUGINS / "modules" / "x.py", ast.parse(source)

    monkeypatch.setattr(sys.modules[__name__], "_sources", sources)
    with pytest.raises(AssertionError):
        test_no_module_builds_its_own_reader()


def test_a_map_reread_whose_multipathd_scan_hung_does_not_say_not_running(tmp_path):
    """Fails when a map re-read whose multipathd process scan hung says multipathd is not running."""
    t = healthy_lab(tmp_path).commands()
    wwid = sorted(t.reader().snapshot(probe=False)["maps"])[0]
    m = t.reader(call=hanging(("multipathd_pids",))).map(wwid)
    assert not [e for e in m["errors"] if "multipathd is not running" in e["msg"]]
    assert [e for e in m["errors"] if "whether multipathd runs is unknown" in e["msg"]]
