# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No ad-hoc case normalisation outside identity.py: a WWID is an identity.Wwid, built once where it
enters, and compared as a value after that. A `.lower()` (or `.casefold()`) anywhere else in module_utils or the
modules is either on something that is not a WWID, listed here with its reason, or a second normal form."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
CASE_CALLS = ("lower", "casefold")
OWNER = "module_utils/_san/identity.py"

# (file under plugins/, function): (calls, why it is not a WWID's normalisation)
ALLOWED = {
    ("module_utils/_san/act/maps.py", "_set_queueing"): (1, "dmsetup message's stdout ('fail...'), not a WWID"),
    ("module_utils/_san/judge/coverage.py", "_identities"): (2, "a target IQN or NVMe subsystem NQN of the array truth, not a WWID"),
    ("module_utils/_san/judge/coverage.py", "address_key"): (1, "a portal address (host name), not a WWID"),
    ("module_utils/_san/judge/coverage.py", "protocol_ok"): (1, "an igroup protocol keyword, not a WWID"),
    ("module_utils/_san/judge/coverage.py", "serving_svm"): (1, "the target IQN a path logs in to, not a WWID"),
    ("module_utils/_san/observe/refs.py", "_hits"):
        (1, "a field of fstab/crypttab/a unit file, searched without regard to case as people write it"),
    ("module_utils/_san/observe/refs.py", "needles"):
        (1, "the text forms a file may name a removed WWID by, lowered with the fields _hits lowers (a t10 Wwid "
            "keeps its vendor text's case)"),
}


def case_calls(path):
    """{function (dotted, '<module>' at the top): number of .lower()/.casefold() calls} of one file."""
    found, stack = {}, []

    class Visitor(ast.NodeVisitor):
        def visit_FunctionDef(self, node):
            stack.append(node.name)
            self.generic_visit(node)
            stack.pop()

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_Call(self, node):
            if isinstance(node.func, ast.Attribute) and node.func.attr in CASE_CALLS:
                key = ".".join(stack) or "<module>"
                found[key] = found.get(key, 0) + 1
            self.generic_visit(node)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def all_case_calls():
    out = {}
    for sub in ("module_utils", "modules"):
        for path in sorted((PLUGINS / sub).rglob("*.py")):
            rel = path.relative_to(PLUGINS).as_posix()
            if rel == OWNER:
                continue
            for func, count in case_calls(path).items():
                out[(rel, func)] = count
    return out


def test_no_case_normalisation_outside_identity_but_the_listed_ones():
    """Fails when code outside identity.py changes a value's case and is not listed with its reason."""
    found = all_case_calls()
    unlisted = dict((k, n) for k, n in found.items() if n > ALLOWED.get(k, (0, ""))[0])
    assert not unlisted, ("case normalisation outside identity.py (build the WWID as identity.Wwid where it "
                          "enters instead, or list a non-WWID call in ALLOWED with its reason): %s" % unlisted)


def test_the_allow_list_names_only_calls_that_exist():
    """Fails when the allow list names case calls the code no longer has."""
    found = all_case_calls()
    stale = [k for k, (n, _why) in ALLOWED.items() if found.get(k, 0) < n]
    assert not stale, "ALLOWED lists calls the code no longer has (remove them): %s" % stale


def test_the_scan_finds_a_lower_call(tmp_path):
    """Fails when the scan misses a lower() or casefold() call."""
    source = tmp_path / "x.py"
    source.write_text("def f(w):\n    return w.lower() == 'a'\n\n\nX = 'B'.casefold()\n")
    assert case_calls(source) == {"f": 1, "<module>": 1}
