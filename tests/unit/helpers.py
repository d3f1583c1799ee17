# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import captures


FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


SUITES = ("bullseye", "bookworm", "trixie")


SCENARIOS = ("healthy", "unmapped", "portal_cut", "orphan", "mounted")


# the commands that only the bullseye/trixie captures have (bookworm's archives predate them)
NEWER_COMMANDS = ("multipath -t", "multipathd show config", "multipathd show map ", "iscsiadm -m node", "lvmconfig")


def api():
    """The collection functions under test, named by what they do. The ONE place that imports them."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import kv_config as kv
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_audit as judge_multipath_audit
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_parse as judge_multipath_parse
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import parse as so
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
    from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info as lvm
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        CapturedRun, inline_call)
    return SimpleNamespace(
        multipathd_maps_json=so.parse_multipathd_json,
        dm_table=lambda text: so.parse_dm_lines(text, so.parse_multipath_table),
        dm_status=lambda text: so.parse_dm_lines(text, so.parse_multipath_status),
        effective_multipath_config=lambda text: judge_multipath_audit.to_dict(judge_multipath_parse.parse(text, strict=False)),
        value_in_force=judge_multipath_audit.resolve,
        audit_multipath=judge_multipath_audit.audit,
        node_list=so.parse_nodes,
        session_list=so.parse_sessions,
        node_record=kv.parse_record,
        lvmconfig=lvm.parse_lvmconfig,
        lvm_array=lvm.parse_lvm_array,
        host_snapshot=lambda base: read.Host(root=os.path.join(base, "root"),
                                             run=CapturedRun(os.path.join(base, "commands")),
                                             call=inline_call).snapshot(probe=True),
    )


_UNPACKED = {}


def capture(suite, scenario):
    """A capture unpacked once per run: SimpleNamespace(base, truth, meta, out(cmd) -> stdout, rc(cmd), err(cmd)),
    or skip."""
    key = (suite, scenario)
    if key not in _UNPACKED:
        folder = FIXTURES if suite == "bookworm" else os.path.join(FIXTURES, suite)
        archive = os.path.join(folder, scenario + ".tar.gz")
        if not os.path.exists(archive):
            pytest.skip("no %s capture of %s (SANLAB_SUITE=%s python tests/lab/capture.py %s)"
                        % (suite, scenario, suite, scenario))
        base = os.path.join(captures.unpacked(archive), scenario)
        with open(os.path.join(base, "commands", "index.json")) as f:
            index = json.load(f)
        by_argv = dict((" ".join(meta["argv"]), slug) for slug, meta in index.items())

        def out(cmd, required=True):
            if cmd not in by_argv:
                if required and not cmd.startswith(NEWER_COMMANDS):
                    raise AssertionError("%s capture of %s has no %r" % (suite, scenario, cmd))
                pytest.skip("the %s capture of %s predates %r" % (suite, scenario, cmd))
            with open(os.path.join(base, "commands", by_argv[cmd] + ".txt")) as f:
                return f.read()

        def rc(cmd):
            return index[by_argv[cmd]]["rc"]

        def err(cmd):
            return index[by_argv[cmd]]["stderr"]

        def load(name):
            with open(os.path.join(base, name)) as f:
                return json.load(f)
        _UNPACKED[key] = SimpleNamespace(base=base, truth=load("truth.json"), meta=load("meta.json"), out=out, rc=rc,
                                         err=err, argvs=by_argv)
    return _UNPACKED[key]


@pytest.fixture(params=SUITES)
def suite(request):
    return request.param


PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def modules_imported_after(code):
    """The sanfleet and netapp modules a fresh interpreter holds after running `code` (what an Ansible worker, a
    fresh fork of a process that has not imported them, pays for)."""
    wanted = "('ansible_collections.netapp', 'ansible_collections.sanfleet')"
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith(%s))))" % wanted
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)))
    return json.loads(out.stdout.strip().splitlines()[-1])
