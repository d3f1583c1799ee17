# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The imports obey the stage order of docs/design.md.

Target side: base (identity, deadline, errors, input checks) < observe < judge < plan < act < run < modules, one
package per stage (module_utils/_san/<stage>/); a module may import its own stage and the stages below it, never
one above. run is a module's orchestration of the stages below it (the host calls, the clock, the sleeps), so that
plan/ and judge/ stay pure: they import nothing that reads or changes the host and open no file (`impurities`), and
observe/ imports nothing of judge/ (it reads, the judge judges). Controller side: module_utils < plugin_utils <
filter/lookup/action. No module reaches into another's private names (`_name`). Every file in module_utils has a stage by
its place, so a new file must be placed in a stage package before it can land."""

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
# types, input checks, file primitives (below every stage), and module.py and module_act.py, the modules' own stage.
STAGE_PACKAGES = {"observe": OBSERVE, "judge": JUDGE, "plan": PLAN, "act": ACT, "run": RUN}
TOP_LEVEL = {"module.py": MODULES, "module_act.py": MODULES}
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
    if kind in ("filter", "lookup", "action"):
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


# plan/ and judge/ are pure: what they know comes in as arguments (the snapshot, the truth, `now`), so the same input
# gives the same plan in check mode and in the real run, and no judgement can hang on a device
PURE_STAGES = ("plan", "judge")
# stdlib modules that touch the host, a submodule (os.path) too: files, processes, sockets, signals, the clock
IO_MODULES = {"os", "io", "subprocess", "socket", "time", "select", "signal", "fcntl", "glob", "shutil", "tempfile",
              "pathlib", "datetime", "multiprocessing", "ctypes", "mmap"}
# the base modules (directly in _san/) that touch the host: deadline forks, runs commands and reads the clock; files
# opens, writes, fsyncs and renames. check_registry, errors, identity and validate are pure
IO_BASE = {"deadline.py", "files.py"}
# the one I/O use plan/ and judge/ keep, by name: a pure function that lives in an I/O base module. The module itself
# (`from _san import files`) or any other name of it still fails
PURE_NAMES_OF_IO_BASE = {
    # fgets' cut of a config text into lines (str.split at LF, no I/O); judge/kv_config.py and
    # judge/multipath_parse.py parse iscsid.conf and multipath.conf with it, files.py writes them
    ("files.py", "split_lines"),
}


def stdlib_imports(path):
    """[(lineno, top-level module)] of the modules a file imports that are not ours."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append((node.lineno, node.module.split(".")[0]))
    return out


def opens(path):
    """[lineno] of every call of open(), os.open, io.open, fdopen... in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("open", "fdopen"):
                out.append(node.lineno)
    return out


def io_base_imports(path):
    """[(lineno, base file, name or None)] of the imports of an I/O base module not allowed by name."""
    out = []
    for lineno, target, names in imports(path):
        if target.name in IO_BASE and target.parent.name == "_san":
            out.extend((lineno, target.name, n) for n in names or (None,)
                       if (target.name, n) not in PURE_NAMES_OF_IO_BASE)
    return out


def impurities(root=PLUGINS):
    """What a file of plan/ or judge/ does that reads or changes the host: an I/O module imported, an I/O base module
    imported (but for PURE_NAMES_OF_IO_BASE), a file opened."""
    out = []
    for stage in PURE_STAGES:
        for path in sorted((root / "module_utils" / "_san" / stage).glob("*.py")):
            label = "%s/%s" % (stage, path.name)
            out += ["%s:%d imports %s" % (label, n, mod) for n, mod in stdlib_imports(path) if mod in IO_MODULES]
            out += ["%s:%d imports %s%s" % (label, n, base, " " + name if name else "")
                    for n, base, name in io_base_imports(path)]
            out += ["%s:%d calls open" % (label, n) for n in opens(path)]
    return out


def observe_judging(root=PLUGINS):
    """The imports of judge/ by observe/: observe reads, the judge says what it means."""
    out = []
    for path in sorted((root / "module_utils" / "_san" / "observe").glob("*.py")):
        out += ["observe/%s:%d imports judge/%s" % (path.name, n, target.name) for n, target, _names in imports(path)
                if target.parent.name == "judge" and target.parent.parent.name == "_san"]
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


def test_plan_and_judge_read_nothing_and_change_nothing():
    """Fails when a file of plan/ or judge/ imports a module that touches the host or opens a file: the reads belong
    to observe/, the host calls of a module's run to run/, the changes to act/."""
    assert impurities() == []


def test_every_pure_name_of_an_io_module_is_still_used():
    """Fails when PURE_NAMES_OF_IO_BASE allows a name plan/ and judge/ no longer import (the allowance would
    outlive its reason)."""
    used = set()
    for stage in PURE_STAGES:
        for path in (PLUGINS / "module_utils" / "_san" / stage).glob("*.py"):
            used.update((target.name, n) for _l, target, names in imports(path) for n in names)
    assert sorted(PURE_NAMES_OF_IO_BASE - used) == []


# the modules that read and never change a host, and those that can change one (a host's devices or files, or the
# controller's report files): every module is one or the other (test_every_module_says_whether_it_changes_a_host)
READ_ONLY_MODULES = ("stale_mpath_facts", "lvm_filter_info")
CHANGING_MODULES = ("iscsid_conf", "multipath_conf", "multipath_flush", "nvme_conf", "report_files", "scsi_delete",
                    "scsi_rescan", "stale_cleanup")


def import_closure(path):
    """Every plugins/ file `path` imports, directly or through the files it imports."""
    seen, todo = set(), [path]
    while todo:
        for _lineno, target, _names in imports(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.mark.parametrize("name", READ_ONLY_MODULES)
def test_a_module_that_only_reads_imports_nothing_of_the_plan_or_the_act(name):
    """Each run compiles what a module imports from its AnsiballZ zip again, and a module that only reads needs
    none of the plan's or the act's code (what they cost alone was not measured: docs/performance.md has the fixed
    cost of a run). Fails when a module that only reads imports a file of plan/ or act/, or module_act.py."""
    san = PLUGINS / "module_utils" / "_san"
    found = sorted(p.relative_to(san).as_posix() for p in import_closure(PLUGINS / "modules" / ("%s.py" % name))
                   if p.parent in (san / "plan", san / "act") or p.name == "module_act.py")
    assert found == []


def test_every_module_says_whether_it_changes_a_host():
    """Fails when a module is in neither list, or in both: a new module that only reads would otherwise escape the
    check above."""
    modules = sorted(p.stem for p in (PLUGINS / "modules").glob("*.py") if p.stem != "__init__")
    assert sorted(READ_ONLY_MODULES + CHANGING_MODULES) == modules


def test_observe_imports_nothing_of_the_judge():
    """Fails when observe/ imports judge/ (observe reads; what it means is the judge's)."""
    assert observe_judging() == []


@pytest.mark.parametrize("source, found", [
    ("import os\n", ["plan/x.py:1 imports os"]),
    ("import os.path\n", ["plan/x.py:1 imports os"]),
    ("from time import time\n", ["plan/x.py:1 imports time"]),
    ("import re\nimport subprocess\n", ["plan/x.py:2 imports subprocess"]),
    ("def f(p):\n    return open(p).read()\n", ["plan/x.py:2 calls open"]),
    ("from %s.module_utils._san import deadline\n" % PACKAGE, ["plan/x.py:1 imports deadline.py"]),
    ("from %s.module_utils._san.files import write_text\n" % PACKAGE, ["plan/x.py:1 imports files.py write_text"]),
    ("from %s.module_utils._san import files\n" % PACKAGE, ["plan/x.py:1 imports files.py"]),
    ("from %s.module_utils._san.files import split_lines\n" % PACKAGE, []),      # pure, allowed by name
    ("import re\nimport json\n", []),
    ("from %s.module_utils._san.identity import wwid_text\n" % PACKAGE, []),     # a pure base module
])
def test_the_purity_check_sees_io_in_a_plan_file(tmp_path, source, found):
    """The check itself, on a file placed in plan/ (module_utils/_san/plan/x.py)."""
    fake = tmp_path / "module_utils" / "_san" / "plan" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source)
    assert impurities(tmp_path) == found


@pytest.mark.parametrize("source, bad", [
    ("from %s.module_utils._san.judge import findings\n" % PACKAGE, True),
    ("from %s.module_utils._san.judge.findings import path_state\n" % PACKAGE, True),
    ("from %s.module_utils._san.observe.parse import SD_RE\n" % PACKAGE, False),
])
def test_the_check_sees_observe_importing_the_judge(tmp_path, source, bad):
    """The observe -> judge check itself, on a file placed in observe/."""
    fake = tmp_path / "module_utils" / "_san" / "observe" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source)
    assert bool(observe_judging(tmp_path)) is bad


# the functions of judge/ that read the host, through the reader they are given (observe.read.Host): the snapshot
# the judgement starts from, and the live probes a SCSI verdict hangs on (docs/design.md, the judge row); collect
# also hands the reader to each family's judge
READER_USES = {("facts.py", "collect"), ("verdicts.py", "judge_family")}


def reader_uses(root=PLUGINS):
    """{(file, function)} of the functions of judge/ and plan/ that use a host reader at all: a load of a name
    `reader` or of an attribute `.reader` (a call of its methods, a bound method, an alias, handing it on), and the
    lambdas and module level of a file as its function "<module>"."""
    found = set()
    for stage in PURE_STAGES:
        for path in sorted((root / "module_utils" / "_san" / stage).glob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            owner = {}
            for fn in ast.walk(tree):
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for node in ast.walk(fn):
                        owner.setdefault(id(node), fn.name)   # the outermost function: walk goes outside in
            for node in ast.walk(tree):
                if (isinstance(node, ast.Name) and node.id == "reader" and isinstance(node.ctx, ast.Load)) or (
                        isinstance(node, ast.Attribute) and node.attr == "reader"):
                    found.add((path.name, owner.get(id(node), "<module>")))
    return found


def test_judge_reads_the_host_only_where_the_design_says_and_plan_never():
    """judge/ and plan/ import nothing that touches the host, but a reader passed in is the host: fails when a
    function of judge/ or plan/ other than facts.collect (the snapshot) and verdicts.judge_family (the probes a SCSI
    verdict hangs on) uses a reader in any way (review 17: calls alone missed an alias, a bound method, a lambda)."""
    assert reader_uses() == READER_USES
