# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No function in plugins/ over MAX_LINES lines, closures included. Today's offenders are listed with
their length: a listed one may shrink (then lower or drop its entry) but never grow, and a new one fails. No file in
plugins/ (modules, module_utils, controller plugins alike) over MAX_FILE_LINES lines of code: a plugin's
DOCUMENTATION, EXAMPLES and RETURN strings are not counted (they stay in the plugin, where ansible-doc, ansible-test's
validate-modules and every reader of an Ansible collection look for them on every ansible-core from 2.16; a
documented option must never force code to move)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
MAX_LINES = 80
MAX_FILE_LINES = 600
# "<file under plugins/>::<function>" (a closure: "<outer>.<inner>") -> its length in lines today; empty now
# that none is over (a function that must be longer is listed here, with its length)
ALLOWED = {}


def function_lengths(root=PLUGINS):
    """{"<file>::<qualified name>": lines} of every function and method, nested ones included."""
    out = {}

    def visit(node, prefix, rel):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                out["%s::%s" % (rel, name)] = child.end_lineno - child.lineno + 1
                visit(child, name + ".", rel)
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".", rel)
            else:
                visit(child, prefix, rel)
    for path in sorted(root.rglob("*.py")):
        visit(ast.parse(path.read_text(), str(path)), "", path.relative_to(root).as_posix())
    return out


def test_no_new_function_over_the_limit():
    """Fails when a function in plugins/ not listed in ALLOWED is longer than MAX_LINES."""
    long_ones = {k: v for k, v in function_lengths().items() if v > MAX_LINES}
    assert {k: v for k, v in long_ones.items() if k not in ALLOWED} == {}


def test_the_listed_ones_never_grow_and_leave_the_list_when_short():
    """Fails when a listed long function grows, or stays listed once short enough."""
    lengths = function_lengths()
    grown = {k: (lengths[k], v) for k, v in ALLOWED.items() if k in lengths and lengths[k] > v}
    assert grown == {}, "longer than listed (now, listed)"
    done = sorted(k for k, v in ALLOWED.items() if lengths.get(k, 0) <= MAX_LINES)
    assert done == [], "no longer over %d lines (or gone): drop them from ALLOWED" % MAX_LINES


def test_the_measure(tmp_path):
    """Fails when a function's, closure's or method's length is measured wrongly."""
    src = "def f():\n    def g():\n        pass\n    return g\n\n\nclass C:\n    def m(self):\n        pass\n"
    (tmp_path / "x.py").write_text(src)
    assert function_lengths(tmp_path) == {"x.py::f": 4, "x.py::f.g": 2, "x.py::C.m": 2}


PLUGIN_DOC_STRINGS = ("DOCUMENTATION", "EXAMPLES", "RETURN")


def code_lines(source):
    """The lines of a Python file less those of its module-level DOCUMENTATION, EXAMPLES and RETURN strings."""
    docs = 0
    for node in ast.parse(source).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in PLUGIN_DOC_STRINGS and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            docs += node.end_lineno - node.lineno + 1
    return len(source.splitlines()) - docs


def file_lengths(root=PLUGINS):
    """{"<file under root>": lines of code} of every Python file (code_lines)."""
    return dict((path.relative_to(root).as_posix(), code_lines(path.read_text()))
                for path in sorted(root.rglob("*.py")))


def test_no_file_over_the_limit():
    """Fails when a file in plugins/ has more than MAX_FILE_LINES lines of code."""
    lengths = file_lengths()
    assert "modules/stale_cleanup.py" in lengths and "module_utils/_san/module.py" in lengths
    assert {k: v for k, v in lengths.items() if v > MAX_FILE_LINES} == {}


def test_the_file_measure(tmp_path):
    """Fails when a file's length of code is measured wrongly."""
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "m.py").write_text("a = 1\n" * (MAX_FILE_LINES + 1))
    (tmp_path / "u.py").write_text("a = 1\n")
    assert file_lengths(tmp_path) == {"modules/m.py": MAX_FILE_LINES + 1, "u.py": 1}


def test_the_file_measure_leaves_out_the_plugin_docs_only():
    """A module whose DOCUMENTATION/EXAMPLES/RETURN are long is measured by its code; any other string, a docstring
    or a DOCUMENTATION that is not a plain module-level string assignment still counts."""
    docs = 'DOCUMENTATION = r"""\nshort_description: x\n"""\nEXAMPLES = """\n- a: 1\n- b: 2\n"""\nRETURN = "x"\n'
    code = '"""Docstring\nline."""\nOTHER = """\nx\n"""\na = 1\n'
    assert code_lines(docs + code) == 6
    assert code_lines(code) == 6
    assert code_lines("DOCUMENTATION = 1\n") == 1
    assert code_lines('def f():\n    DOCUMENTATION = """\n    x\n    """\n') == 4
