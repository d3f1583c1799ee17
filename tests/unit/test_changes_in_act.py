# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The commands that change a host's daemons and records are built only in the act stage (docs/design.md, "Every
change to a host, in one list"): a command line (a list literal) that reconfigures or (re)starts
multipathd, or updates an iSCSI node record, appears in no file outside plugins/module_utils/_san/act/."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
ACT = PLUGINS / "module_utils" / "_san" / "act"


def changing_commands(path):
    """[(line, what)] of the list literals in `path` that build a host-changing command."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.List):
            continue
        words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if "reconfigure" in words:
            found.append((node.lineno, "multipathd reconfigure"))
        if "multipathd.service" in words and "is-active" not in words:
            found.append((node.lineno, "systemctl <start|restart> multipathd.service"))
        if any(a == "-o" and b == "update" for a, b in zip(words, words[1:])):
            found.append((node.lineno, "iscsiadm -o update"))
    return found


def test_host_changing_commands_are_built_only_in_act():
    """Fails when a command that changes the host is built outside the act stage."""
    outside = ["%s:%d %s" % (path.relative_to(PLUGINS), line, what)
               for path in sorted(PLUGINS.rglob("*.py")) if ACT not in path.parents
               for line, what in changing_commands(path)]
    assert outside == []


def test_the_act_stage_builds_them():
    """Fails when the act stage no longer builds the host-changing commands the check looks for."""
    found = sorted(what for path in sorted(ACT.glob("*.py")) for _line, what in changing_commands(path))
    assert found == ["iscsiadm -o update", "multipathd reconfigure", "systemctl <start|restart> multipathd.service"]


def test_the_check_sees_them(tmp_path):
    """Fails when the check misses a host-changing command line, or takes a read-only one for one."""
    src = ('a = [binary, "reconfigure"]\nb = [s, action, "multipathd.service"]\nc = [s, "is-active", "multipathd.service"]\n'
           'd = ["-m", "node", "-o", "update", "-n", k]\ne = ["-m", "node", "-o", "show"]\n')
    (tmp_path / "m.py").write_text(src)
    assert [w for _l, w in changing_commands(tmp_path / "m.py")] == [
        "multipathd reconfigure", "systemctl <start|restart> multipathd.service", "iscsiadm -o update"]
