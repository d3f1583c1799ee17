# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/unit mirrors plugins/ (docs/design.md "Layout"): a unit test lies where its code lies.

- every test_*.py under tests/unit/plugins/ is `test_<module>.py` beside the mirror of an existing
  `plugins/.../<module>.py`, or lies in a folder named after one (`tests/unit/plugins/modules/stale_cleanup/` for
  `plugins/modules/stale_cleanup.py`: tests of one module that need a fake host of their own);
- no file under tests/unit, tests/tooling or tests/fleet imports a test_*.py module: shared builders live in
  conftest.py or the folder's helpers.py;
- no file or test is named after a review, an issue or a work session (rev, review, issue27, i30, ci35, ...): a
  test is named for the failure it catches (unit, tooling and integration tests alike);
- the tests of module_utils import nothing of ansible-core: they run once, and the ansible-core matrix of
  scripts/test.sh leaves them out (the modules' tests run that code through each version's AnsibleModule).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HISTORY = re.compile(r"^(rev|review\d*|issue\d*|i\d\d[a-z]?|ci\d\d|round\d+)$", re.IGNORECASE)
SCANNED = ("tests/unit", "tests/tooling", "tests/fleet")


def _py_files(root, folders=SCANNED):
    for folder in folders:
        base = root / folder
        if base.is_dir():
            yield from sorted(p for p in base.rglob("*.py") if "fixtures" not in p.relative_to(base).parts)


def misplaced_tests(root):
    """The test files under tests/unit/plugins/ that mirror no code module under plugins/."""
    out = []
    unit = root / "tests" / "unit"
    for test in sorted((unit / "plugins").rglob("test_*.py")):
        rel = test.relative_to(unit)                       # plugins/<path>/test_<module>.py
        beside = root / rel.parent / rel.name[len("test_"):]
        folder_of = root / rel.parent.with_suffix(".py")  # plugins/<path>/<module>/test_<aspect>.py
        if not beside.is_file() and not folder_of.is_file():
            out.append(str(rel))
    return out


def imports_of_test_files(root):
    """(file, imported module) for every import of a test_*.py module by a file of the unit and tooling tests."""
    out = []
    for path in _py_files(root):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module] + [node.module + "." + a.name for a in node.names]
            else:
                continue
            for mod in mods:
                if mod.split(".")[-1].startswith("test_"):
                    out.append((str(path.relative_to(root)), mod))
    return out


def history_names(root):
    """Files, folders and test functions whose name carries a review, an issue or a session."""
    out = []
    for path in _py_files(root, ("tests/unit", "tests/tooling", "tests/integration")):
        rel = path.relative_to(root)
        if any(HISTORY.match(tok) for part in rel.with_suffix("").parts for tok in part.split("_")):
            out.append(str(rel))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.lower().startswith("test"):
                if any(HISTORY.match(tok) for tok in node.name.split("_")):
                    out.append("%s::%s" % (rel, node.name))
    return out


def ansible_core_imports_of_module_utils_tests(root):
    """(file, module) for every import of ansible-core (`ansible`, `ansible.*`) by the module_utils tests."""
    out = []
    for path in _py_files(root, ("tests/unit/plugins/module_utils",)):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                mods = [node.module]
            else:
                continue
            out.extend((str(path.relative_to(root)), m) for m in mods if m == "ansible" or m.startswith("ansible."))
    return out


def test_every_unit_test_file_under_plugins_mirrors_a_code_module():
    """Catches a test file filed by history or by feature (test_san_act.py, test_review_i30.py) instead of
    beside the module it tests."""
    assert misplaced_tests(ROOT) == []


def test_no_test_file_imports_another_test_file():
    """Catches a test module reaching into another for its builders (moving or splitting the one then breaks the
    other, and pytest collects the imported tests twice)."""
    assert imports_of_test_files(ROOT) == []


def test_no_test_is_named_for_when_it_came():
    """Catches names like test_review_i30f.py or test_rev_i31g_...: they say when a test came, not what it guards."""
    assert history_names(ROOT) == []


def test_the_module_utils_tests_import_nothing_of_ansible_core():
    """Catches a module_utils test that depends on the ansible-core version: the matrix, which runs the unit tests
    on each supported version, leaves the module_utils tests out."""
    assert ansible_core_imports_of_module_utils_tests(ROOT) == []


# the checks above fail on a tree that breaks them --------------------------------------------------------------
@pytest.fixture
def tree(tmp_path):
    (tmp_path / "plugins" / "modules").mkdir(parents=True)
    (tmp_path / "plugins" / "modules" / "scsi_delete.py").write_text("")
    (tmp_path / "tests" / "unit" / "plugins" / "modules").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "plugins" / "modules" / "test_scsi_delete.py").write_text("import os\n")
    (tmp_path / "tests" / "tooling").mkdir(parents=True)
    return tmp_path


def test_the_mirror_check_fails_on_a_test_file_of_no_module(tree):
    assert misplaced_tests(tree) == []
    (tree / "tests" / "unit" / "plugins" / "modules" / "test_san_act.py").write_text("")
    folder = tree / "tests" / "unit" / "plugins" / "modules" / "scsi_delete"
    folder.mkdir()
    (folder / "test_options.py").write_text("")                 # a folder named after a module: allowed
    other = tree / "tests" / "unit" / "plugins" / "filter"
    other.mkdir()
    (other / "test_scsi_delete.py").write_text("")              # the module's name in the wrong folder
    assert misplaced_tests(tree) == ["plugins/filter/test_scsi_delete.py", "plugins/modules/test_san_act.py"]


def test_the_import_check_fails_on_a_test_file_importing_another(tree):
    assert imports_of_test_files(tree) == []
    (tree / "tests" / "tooling" / "test_x.py").write_text(
        "from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import test_scsi_delete as t\n")
    (tree / "tests" / "unit" / "helpers.py").write_text(
        "def f():\n    from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_scsi_delete"
        " import env\n")
    assert imports_of_test_files(tree) == [
        ("tests/unit/helpers.py", "ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_scsi_delete"),
        ("tests/tooling/test_x.py", "ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_scsi_delete")]


@pytest.mark.parametrize("name", ["test_review_i30f.py", "test_rev_pkg.py", "test_review2_issue27.py",
                                  "test_rev_ci35_captures.py"])
def test_the_name_check_fails_on_a_file_named_for_when_it_came(tree, name):
    (tree / "tests" / "unit" / name).write_text("")
    assert history_names(tree) == ["tests/unit/" + name]


def test_the_name_check_fails_on_a_test_named_for_when_it_came_and_not_on_ordinary_words(tree):
    (tree / "tests" / "tooling" / "test_pages.py").write_text(
        "def test_rev_i31f_every_map_is_named():\n    pass\n\n\n"
        "def test_an_unreviewed_run_and_its_sessions_and_revisions_are_shown():\n    pass\n")
    assert history_names(tree) == ["tests/tooling/test_pages.py::test_rev_i31f_every_map_is_named"]


def test_the_ansible_core_check_fails_on_a_module_utils_test_importing_it(tmp_path):
    """The check above finds `from ansible.module_utils.basic import AnsibleModule` and `import ansible`, and not the
    collection's own `ansible_collections` imports."""
    folder = tmp_path / "tests" / "unit" / "plugins" / "module_utils"
    folder.mkdir(parents=True)
    (folder / "test_a.py").write_text("from ansible.module_utils.basic import AnsibleModule\nimport ansible\n"
                                      "from ansible_collections.sanfleet.remediation.plugins import x\n")
    assert ansible_core_imports_of_module_utils_tests(tmp_path) == [
        ("tests/unit/plugins/module_utils/test_a.py", "ansible.module_utils.basic"),
        ("tests/unit/plugins/module_utils/test_a.py", "ansible")]
