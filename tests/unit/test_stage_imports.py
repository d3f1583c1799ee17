# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The imports obey the stage order of docs/design.md (issue 30).

Target side: base (identity, deadline, errors, input checks) < observe < judge < plan < act < modules; a module
may import its own stage and the stages below it, never one above. Controller side: module_utils < plugin_utils <
filter/lookup. No module reaches into another's private names (`_name`). Every file in module_utils has a stage
here, so a new file must be placed before it can land."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
PACKAGE = "ansible_collections.sanfleet.remediation.plugins"

BASE, OBSERVE, JUDGE, PLAN, ACT, MODULES = range(6)
STAGE_NAMES = ("base", "observe", "judge", "plan", "act", "modules")
MODULE_UTILS = {
    # identity forms, deadlines, error types, input checks, file primitives: below every stage
    "san_identity": BASE, "deadline": BASE, "san_errors": BASE, "san_validate": BASE, "config_write": BASE,
    # reading the host and making sense of what was read
    "san_parse": OBSERVE, "san_sense": OBSERVE, "san_probe": OBSERVE, "san_read": OBSERVE, "san_snapshot": OBSERVE,
    "san_users": OBSERVE, "san_refs": OBSERVE,
    # pure decisions (device verdicts; config parse, compare and render)
    "san_judge": JUDGE, "san_facts": JUDGE, "kv_config": JUDGE, "multipath_config": JUDGE, "fc_audit": JUDGE,
    # the compact form of the judged snapshot (what the facts module returns)
    "san_compact": JUDGE,
    "san_plan": PLAN, "san_approval": PLAN,
    "san_act": ACT,
    "san_module": MODULES,
}
# controller side, above all of module_utils
PLUGIN_UTILS, CONTROLLER_PLUGINS = 10, 11


def rank(path):
    """(rank, label) of a file under plugins/, None for files outside the order (doc fragments)."""
    rel = path.relative_to(PLUGINS)
    kind, name = rel.parts[0], path.stem
    if kind == "module_utils":
        return MODULE_UTILS.get(name, -1), "module_utils/%s" % name
    if kind == "modules":
        return MODULES, "modules/%s" % name
    if kind == "plugin_utils":
        return PLUGIN_UTILS, "plugin_utils/%s" % name
    if kind in ("filter", "lookup"):
        return CONTROLLER_PLUGINS, "%s/%s" % (kind, name)
    return None


def target_of(dotted):
    """The plugins/ file a dotted import names, or None when it is not ours."""
    if not dotted.startswith(PACKAGE + "."):
        return None
    parts = dotted[len(PACKAGE) + 1:].split(".")
    base = PLUGINS.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imports(path):
    """[(lineno, imported file, names taken from it)] of one file; `from pkg import module` resolves to module."""
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = target_of(alias.name)
                if target:
                    out.append((node.lineno, target, ()))
        elif isinstance(node, ast.ImportFrom) and node.module:
            direct = target_of(node.module)
            for alias in node.names:
                sub = target_of("%s.%s" % (node.module, alias.name))
                if sub:
                    out.append((node.lineno, sub, ()))
                elif direct:
                    out.append((node.lineno, direct, (alias.name,)))
    return out


def private_uses(path):
    """`module._name` attribute uses and `from module import _name` of our modules, by line."""
    tree = ast.parse(path.read_text(), str(path))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if target_of("%s.%s" % (node.module, alias.name)):
                    aliases[alias.asname or alias.name] = alias.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            found.append("%s:%d %s.%s" % (path.name, node.lineno, node.value.id, node.attr))
    for lineno, _target, names in imports(path):
        found.extend("%s:%d imports %s" % (path.name, lineno, n) for n in names if n.startswith("_"))
    return found


def violations(root=PLUGINS):
    out = []
    for path in sorted(root.rglob("*.py")):
        own = rank(path)
        if own is None:
            continue
        for lineno, target, _names in imports(path):
            theirs = rank(target)
            if theirs is None:
                continue
            if theirs[0] > own[0] or (own[0] < PLUGIN_UTILS and theirs[0] >= PLUGIN_UTILS):
                out.append("%s:%d imports %s" % (own[1], lineno, theirs[1]))
    return out


def test_every_module_utils_file_has_a_stage():
    files = sorted(p.stem for p in (PLUGINS / "module_utils").glob("*.py") if p.stem != "__init__")
    assert [f for f in files if f not in MODULE_UTILS] == []
    assert [f for f in MODULE_UTILS if f not in files] == []


def test_no_import_against_the_stage_order():
    assert violations() == []


def test_no_module_uses_another_modules_private_names():
    found = []
    for path in sorted(PLUGINS.rglob("*.py")):
        found.extend(private_uses(path))
    assert found == []


@pytest.mark.parametrize("source, bad", [
    ("from %s.module_utils.san_judge import classify_probe\n" % PACKAGE, True),    # observe -> judge
    ("from %s.module_utils import san_act\n" % PACKAGE, True),                     # observe -> act
    ("from %s.module_utils.san_parse import SD_RE\n" % PACKAGE, False),            # observe -> observe
    ("from %s.module_utils.san_identity import HCTL_RE\n" % PACKAGE, False),       # observe -> base
    ("from %s.plugin_utils import report\n" % PACKAGE, True),                      # target -> controller
])
def test_the_check_sees_an_import_against_the_order(tmp_path, source, bad):
    """The check itself, on a file placed as observe code (module_utils/san_read.py)."""
    fake = tmp_path / "module_utils" / "san_read.py"
    fake.parent.mkdir()
    fake.write_text(source)
    found = []
    for lineno, target, _names in imports(fake):
        if rank(target)[0] > OBSERVE:
            found.append((lineno, target.name))
    assert bool(found) is bad
