# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The imports obey the stage order of docs/design.md.

Target side: base (identity, deadline, errors, input checks) < observe < judge < plan < act < run < modules, one
package per stage (module_utils/_san/<stage>/); a module may import its own stage and the stages below it, never
one above. run is a module's orchestration of the stages below it (the host calls, the clock, the sleeps), so that
plan/ and judge/ stay pure. Controller side: module_utils < plugin_utils < filter/lookup. No module reaches into another's private
names (`_name`). Every file in module_utils has a stage by its place, so a new file must be placed in a stage
package before it can land."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
PACKAGE = "ansible_collections.sanfleet.remediation.plugins"

BASE, OBSERVE, JUDGE, PLAN, ACT, RUN, MODULES = range(7)
STAGE_NAMES = ("base", "observe", "judge", "plan", "act", "run", "modules")
# module_utils/_san/<stage>/<file>.py: the stage is the package. Directly in _san/: identity forms, deadlines, error
# types, input checks, file primitives (below every stage), and module.py, the modules' own stage.
STAGE_PACKAGES = {"observe": OBSERVE, "judge": JUDGE, "plan": PLAN, "act": ACT, "run": RUN}
TOP_LEVEL = {"module.py": MODULES}
# controller side, above all of module_utils
PLUGIN_UTILS, CONTROLLER_PLUGINS = 10, 11
NO_STAGE = -1


def module_utils_rank(parts):
    """The stage of a file by its place under module_utils/ (parts after it), NO_STAGE outside the packages."""
    if len(parts) < 2 or parts[0] != "_san":
        return NO_STAGE
    if len(parts) == 2:
        return TOP_LEVEL.get(parts[1], BASE)
    if len(parts) == 3 and parts[1] in STAGE_PACKAGES:
        return STAGE_PACKAGES[parts[1]]
    return NO_STAGE


def rank(path):
    """(rank, label) of a file under plugins/, None for files outside the order (doc fragments)."""
    rel = path.relative_to(PLUGINS)
    kind, name = rel.parts[0], path.stem
    if kind == "module_utils":
        return module_utils_rank(rel.parts[1:]), rel.as_posix()
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
    """Fails when a module_utils file sits in no stage."""
    files = sorted((PLUGINS / "module_utils").rglob("*.py"))
    assert files, "no file found under module_utils"
    assert [rank(f)[1] for f in files if rank(f)[0] == NO_STAGE] == []


@pytest.mark.parametrize("rel, stage", [
    ("_san/identity.py", BASE),
    ("_san/__init__.py", BASE),
    ("_san/observe/read.py", OBSERVE),
    ("_san/judge/verdicts.py", JUDGE),
    ("_san/plan/cleanup.py", PLAN),
    ("_san/act/execute.py", ACT),
    ("_san/run/cleanup.py", RUN),
    ("_san/module.py", MODULES),
    ("san_read.py", NO_STAGE),                 # beside the package: placed nowhere
    ("_san/report/x.py", NO_STAGE),            # a package that is no stage
    ("_san/act/deep/x.py", NO_STAGE),          # below a stage package
])
def test_a_file_takes_the_stage_of_its_package(rel, stage):
    """Fails when a file is given another stage than its package's."""
    assert rank(PLUGINS / "module_utils" / rel)[0] == stage


def test_no_import_against_the_stage_order():
    """Fails when a stage imports a later stage."""
    assert violations() == []


def test_no_module_uses_another_modules_private_names():
    """Fails when a module uses another module's private names."""
    found = []
    for path in sorted(PLUGINS.rglob("*.py")):
        found.extend(private_uses(path))
    assert found == []


@pytest.mark.parametrize("source, bad", [
    ("from %s.module_utils._san.judge.findings import path_state\n" % PACKAGE, True),   # observe -> judge
    ("from %s.module_utils._san.act import execute\n" % PACKAGE, True),                 # observe -> act
    ("from %s.module_utils._san import module\n" % PACKAGE, True),                      # observe -> modules
    ("from %s.module_utils._san.observe.parse import SD_RE\n" % PACKAGE, False),        # observe -> observe
    ("from %s.module_utils._san.identity import HCTL_RE\n" % PACKAGE, False),           # observe -> base
    ("from %s.module_utils._san import deadline\n" % PACKAGE, False),                   # observe -> base
    ("from %s.plugin_utils import report\n" % PACKAGE, True),                            # target -> controller
])
def test_the_check_sees_an_import_against_the_order(tmp_path, source, bad):
    """The check itself, on a file placed as observe code (module_utils/_san/observe/read.py)."""
    fake = tmp_path / "module_utils" / "_san" / "observe" / "read.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source)
    found = []
    for lineno, target, _names in imports(fake):
        if rank(target)[0] > OBSERVE:
            found.append((lineno, target.name))
    assert bool(found) is bad
