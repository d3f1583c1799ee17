# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How many files a new device family touches, counted from the code (issue 56 part 1), and docs/design.md's
statement of it ("Device families and array vendors").

NVMe is the model: the family added after the pipeline. Its files are the ones its registry lines name (the source
files of its judge and of its writers, read back through act.batch.single's `__wrapped__` and `before`) and its
`nvme.py` in a stage package; the registries are the families.py of observe/, judge/, plan/ and act/; every other file of
module_utils/ or modules/ that still names it is a shared file a third family would have to edit too: a string
literal (not a docstring) that is its snapshot key or starts with it (`nvme`, `nvme_verdicts`...), is one of its
actions, the kind of object they act on (`controller`: judge.families.Family.actions) or the key of one of its plan's
or the module result's lists (`delete_controllers`, `deleted_controllers`), or an import of one of its
files (absolute, relative or `import ... as`). The array sources and the reports (plugin_utils/, lookup/) are not
counted: a new family's truth and report rows add to those too. The NVMe-oF
host settings (the `nvme_conf` module and its judges, and the compliance checks of check_registry.py) are another
feature than the device family and are left out. The list can only shrink: a new place naming a family fails here
until the page says so."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import inspect
from pathlib import Path

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import families as act_families
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import families as judge_families
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import families as observe_families
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import families as plan_families
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san import toy_family

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
SAN = PLUGINS / "module_utils" / "_san"
DOC = PLUGINS.parent / "docs" / "design.md"
REGISTRIES = tuple(SAN / stage / "families.py" for stage in ("act", "judge", "observe", "plan"))
# the NVMe-oF host settings: the nvme_conf module, its read-free judges and writes, the compliance checks
NOT_THE_FAMILY = ("judge/nvme_audit.py", "judge/nvme_fix.py", "act/nvme_conf.py", "check_registry.py",
                  "../../modules/nvme_conf.py")


def registered_files(name, judges=None, writers=None, reads=None, plans=None):
    """The files the registry lines of family `name` name: its judge's and its truth check's, each writer's and its
    unit check's, its read's, and its plan's."""
    found = set()
    for family in plan_families.PLANS if plans is None else plans:
        if family.name == name:
            found.update(inspect.getsourcefile(hook) for hook in (family.plan, family.artifact_identity))
    for family in observe_families.READS if reads is None else reads:
        if family.key == name:
            found.add(inspect.getsourcefile(family.read))
    for family in judges or judge_families.FAMILIES:
        if family.name == name:
            found.update(inspect.getsourcefile(inspect.unwrap(hook)) for hook in (family.judge, family.check_truth))
    for fam, table in writers or act_families.FAMILIES:
        if fam == name:
            for runner in table.values():
                found.add(inspect.getsourcefile(inspect.unwrap(runner)))
                if getattr(runner, "before", None) is not None:
                    found.add(inspect.getsourcefile(runner.before))
    return set(Path(f).resolve() for f in found)


def own_files(name):
    """The family's own files: those its registry lines name, and its `<name>.py` in each stage package."""
    return registered_files(name) | set(p.resolve() for p in SAN.glob("*/%s.py" % name))


def _docstrings(tree):
    return set(id(node.body[0].value) for node in ast.walk(tree)
               if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
               and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant))


def names_the_family(path, name, actions, own):
    """True when `path` holds a string literal naming the family (its key, a key starting with it, an action) or
    imports one of its own files."""
    tree = ast.parse(path.read_text(), str(path))
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs and (
                node.value == name or node.value.startswith(name + "_") or node.value in actions):
            return True
        named = []
        if isinstance(node, ast.ImportFrom):
            # `from pkg.plan.nvme import x`, `from pkg.judge import nvme_verdicts`, `from ..plan.nvme import x`
            base = (node.module or "").split(".") if node.module else []
            if node.level:
                base = list(path.parent.parts[:len(path.parent.parts) - node.level + 1]) + base
            named = [base] + [base + [a.name] for a in node.names]
        elif isinstance(node, ast.Import):
            named = [a.name.split(".") for a in node.names]      # `import pkg.plan.nvme as x`
        if any(dotted[-3:] == list(o.with_suffix("").parts[-3:]) for dotted in named for o in own):
            return True
    return False


def family_words(name):
    """The family's actions (its writers'), the kinds of object they act on (its plan words), and the keys of its
    plan's lists and of the module result's (judge.families.Family.listed, results)."""
    actions = set(a for fam, table in act_families.FAMILIES if fam == name for a in table)
    for family in judge_families.FAMILIES:
        if family.name == name:
            actions.update(kind for kind, _action, _options in family.actions)
            actions.update(key for _action, key in family.listed + family.results)
    return actions


def shared_files_naming(name):
    own = own_files(name)
    actions = family_words(name)
    left_out = set((SAN / rel).resolve() for rel in NOT_THE_FAMILY)
    files = sorted(set(p.resolve() for p in list((PLUGINS / "module_utils").rglob("*.py"))
                       + list((PLUGINS / "modules").glob("*.py"))))
    return [p for p in files if p not in own and p not in left_out and p not in set(REGISTRIES)
            and names_the_family(p, name, actions, own)]


def shown(paths):
    return ", ".join("`%s`" % p.relative_to(SAN if SAN in p.parents else PLUGINS).as_posix() for p in sorted(paths))


def touch_points_text():
    own, shared = own_files("nvme"), shared_files_naming("nvme")
    return "\n".join([
        "- NVMe's own files (%d): %s" % (len(own), shown(own)),
        "- its registry lines (%d files): %s" % (len(REGISTRIES), shown(REGISTRIES)),
        "- shared files that still name it (%d): %s" % (len(shared), shown(shared)),
        "- a new family today: %d files" % (len(own) + len(REGISTRIES) + len(shared)),
    ])


def test_the_page_states_the_files_a_new_family_touches_as_the_code_counts_them():
    """Fails when docs/design.md's touch points (between its family_touch_points markers) are not the count of the
    code: a shared file newly naming NVMe, or one that stopped (then the page gets the smaller list)."""
    text = DOC.read_text()
    begin, end = "<!-- family_touch_points -->\n", "<!-- /family_touch_points -->"
    stated = text[text.index(begin) + len(begin):text.index(end)].strip()
    assert stated == touch_points_text(), "write between the markers:\n" + touch_points_text()


def test_the_registry_lines_name_a_familys_judge_and_writer_files_and_nothing_shared():
    """The count above reads a family's files from its registry lines: NVMe's are its verdicts and its act, the
    toy's its one file. Fails when a writer's file cannot be read back (single loses `__wrapped__`), so that the
    count would miss a file (a unit check's file is read back too; today each lives in its writer's file)."""
    assert registered_files("nvme") == set((SAN / rel).resolve() for rel in (
        "judge/nvme_verdicts.py", "act/nvme.py", "observe/nvme.py", "plan/nvme.py"))
    toy = registered_files("toy", judges=[toy_family.JUDGE_LINE], writers=[toy_family.WRITERS_LINE],
                           reads=[toy_family.READ_LINE], plans=[toy_family.PLAN_LINE])
    assert toy == set([Path(toy_family.__file__).resolve()])


def test_the_executor_and_the_judges_loop_name_no_family_they_run():
    """The step this count measures: act/execute.py runs no family's writer by name and judge.facts.collect calls no
    family's judge by name (each runs the registry). Fails when either names NVMe again, or imports its act."""
    own = own_files("nvme")
    actions = family_words("nvme")
    assert not names_the_family(SAN / "act" / "execute.py", "nvme", actions, own)
    collect = [n for n in ast.walk(ast.parse((SAN / "judge" / "facts.py").read_text()))
               if isinstance(n, ast.FunctionDef) and n.name == "collect"][0]
    called = set(getattr(c.func, "attr", getattr(c.func, "id", None)) for c in ast.walk(collect) if isinstance(c, ast.Call))
    assert not called & {"cross_check", "judge_family", "corruption_risks", "not_judged", "paths_to_probe"}


def test_a_file_naming_the_kind_of_object_a_familys_actions_act_on_names_the_family(tmp_path):
    """The words the count looks for are the family's actions, the kind of object they act on and its lists' keys:
    a file that tells a controller's step apart by its kind, or copies the plan's delete_controllers into a result,
    names the family without naming an action. Fails when the count stops reading them from the registry."""
    assert family_words("nvme") == {"delete_controller", "wait_controller_gone", "controller", "delete_controllers",
                                    "deleted_controllers"}
    kind_only = tmp_path / "kind_only.py"
    kind_only.write_text('def listed(kind, name):\n    return name.split("+") if kind == "controller" else [name]\n')
    result_key = tmp_path / "result_key.py"
    result_key.write_text('def report(result, plan):\n    result["delete_controllers"] = plan["delete_controllers"]\n')
    neither = tmp_path / "neither.py"
    neither.write_text('def listed(kind, name):\n    return [name]\n')
    assert names_the_family(kind_only, "nvme", family_words("nvme"), own_files("nvme"))
    assert names_the_family(result_key, "nvme", family_words("nvme"), own_files("nvme"))
    assert not names_the_family(neither, "nvme", family_words("nvme"), own_files("nvme"))
