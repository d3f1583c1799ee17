# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A WWID passes at most 5 files from the read to the sysfs delete (docs/design.md, "A WWID's way from
facts to delete"): identity, observe/snapshot, judge/verdicts, plan/cleanup, act/checks. The plan files the disk
delete's steps pass through besides plan/cleanup (plan/disks builds them, plan/steps makes the step dict) take the
identity a step carries from identity.py and name no WWID themselves: a "wwid" key written in one of them is the
WWID handled in a sixth file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
from pathlib import Path

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import ACTIONS

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
PASS_ALONG = ("module_utils/_san/plan/disks.py", "module_utils/_san/plan/steps.py")


def _docstrings(tree):
    """The string constants that are docstrings (of the module, a class or a function)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def wwid_names(source):
    """Line numbers of the string constants in code (not docstrings, not an action's name such as remove_wwid) that
    name a WWID key: "wwid", "expect_wwid", "array_wwid"..."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            and "wwid" in node.value.lower() and " " not in node.value.strip() and node.value not in ACTIONS]


def test_wwid_names_finds_a_key_but_not_prose():
    """Fails when the WWID scan misses a wwid key or counts prose."""
    source = ('"""A wwid in a docstring."""\nx = {"wwid": 1}\ny = d.get("expect_wwid")\nz = "the WWID of %s" % n\n'
              'step("remove_wwid", w)\n')
    assert wwid_names(source) == [2, 3]


@pytest.mark.parametrize("rel", PASS_ALONG)
def test_plan_files_beside_cleanup_name_no_wwid(rel):
    """Fails when a plan file beside cleanup handles the WWID itself."""
    path = PLUGINS / rel
    assert wwid_names(path.read_text()) == [], "%s handles the WWID itself (a 6th file on its way)" % rel
