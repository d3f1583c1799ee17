"""Every plugin's EXAMPLES block is valid: extracted, each FQCN it uses resolved to a plugin of the right type in
this collection (a task key is a module, `| x` a filter, lookup()/query() a lookup), then syntax-checked by
ansible-playbook. Tasks are wrapped in a play; a block of plays is checked as it is."""
import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def ansible_playbook():
    """The ansible-playbook of this Python (the venv's, or ansible-test's), else the one on PATH."""
    sibling = Path(sys.executable).parent / "ansible-playbook"
    found = str(sibling) if sibling.exists() else shutil.which("ansible-playbook")
    if not found:
        pytest.skip("ansible-playbook is not available to this Python")
    return found


PLUGINS = ROOT / "plugins"
TYPES = ("modules", "lookup", "filter")
FQCN = "sanfleet.remediation."
# the examples' plays name their own host groups; ansible-test makes an unmatched pattern an error
ENV = dict(os.environ, ANSIBLE_HOST_PATTERN_MISMATCH="ignore")
SOURCES = sorted(p for t in TYPES for p in (PLUGINS / t).glob("*.py") if p.name != "__init__.py")


def examples(path):
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return node.value.value
    return None


def provided(kind):
    """Names of the plugins of one type (filter files may provide several filters)."""
    names = set()
    for path in (PLUGINS / kind).glob("*.py"):
        if kind == "filter":
            names |= set(re.findall(r'"(\w+)":\s*\w+', path.read_text().split("def filters", 1)[-1]))
        else:
            names.add(path.stem)
    # names kept working by a redirect in meta/runtime.yml (deprecated, but they resolve)
    routing = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text()).get("plugin_routing") or {}
    names |= set(name for name, route in ((routing.get(kind) or {}).items()) if route.get("redirect"))
    return names


def _walk_tasks(items):
    for item in items or []:
        if not isinstance(item, dict):
            continue
        yield item
        for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
            yield from _walk_tasks(item.get(key))


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def test_every_plugin_has_examples():
    """Fails when a plugin has no EXAMPLES."""
    missing = [p.relative_to(ROOT).as_posix() for p in SOURCES if not (examples(p) or "").strip()]
    assert missing == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: "%s/%s" % (p.parent.name, p.stem))
def test_examples_resolve_their_plugins_and_pass_syntax_check(path, tmp_path):
    """Fails when a plugin's EXAMPLES name a plugin that does not exist or fail syntax check."""
    data = yaml.safe_load(examples(path))
    assert isinstance(data, list) and data
    plays = data if all("hosts" in d for d in data) else [{"name": "EXAMPLES of %s" % path.stem, "hosts": "all",
                                                           "gather_facts": False, "tasks": data}]
    modules, filters, lookups = provided("modules"), provided("filter"), provided("lookup")
    for task in _walk_tasks(plays):
        for key in task:
            if key.startswith(FQCN):
                assert key[len(FQCN):] in modules, "%s: task %r uses %s, which is not a module" % (
                    path.name, task.get("name"), key)
    for text in _strings(plays):
        for name in re.findall(r"\|\s*sanfleet\.remediation\.(\w+)", text):
            assert name in filters, "%s: %s is used as a filter" % (path.name, name)
        for name in re.findall(r"(?:lookup|query)\(\s*['\"]sanfleet\.remediation\.(\w+)", text):
            assert name in lookups, "%s: %s is used as a lookup" % (path.name, name)
    playbook = tmp_path / "examples.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    proc = subprocess.run([ansible_playbook(), "--syntax-check", "-i", "localhost,",
                           str(playbook)], capture_output=True, text=True, timeout=120, check=False, env=ENV)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_the_check_catches_a_lookup_called_as_a_module(tmp_path):
    """Fails when the examples check lets a lookup called as a module through."""
    bad = [{"name": "wrong", "sanfleet.remediation.ontap_luns": {"hostname": "x"}}]
    playbook = tmp_path / "bad.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": bad}]))
    proc = subprocess.run([ansible_playbook(), "--syntax-check", "-i", "localhost,",
                           str(playbook)], capture_output=True, text=True, timeout=120, check=False, env=ENV)
    assert proc.returncode != 0 and "ontap_luns" in proc.stdout + proc.stderr
    assert "ontap_luns" not in provided("modules")
