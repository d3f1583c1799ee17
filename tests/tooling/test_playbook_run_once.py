# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No run_once task runs before a play has read the hosts' facts.

On ansible-core 2.19+ a run_once task hands the facts layer of its one result (debug and set_fact give an empty
one) to every host of the batch, and a host with no facts yet stores that very dict as its own
(vars/manager.py set_host_facts): from then on the facts every host reads are written into one shared dict, and a
host is judged and reported with another host's SAN facts. Once each host holds facts of its own a run_once task
only merges into them. The one exception is ansible.builtin.assert delegated to the controller, which hands back
no facts layer. tests/integration/test_approved_plan.py shows the effect through the playbook itself.
"""
import pathlib

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yml"))
FACTS_READ = ("sanfleet.remediation.stale_mpath_facts", "stale_mpath_facts")
NO_FACTS_LAYER = ("ansible.builtin.assert", "assert")


def _role_tasks(ref):
    """The task list a role reference runs ({'name': ..., 'tasks_from': ...} or a role name), [] for a role
    that is not this collection's."""
    name = ref.get("name") or ref.get("role") if isinstance(ref, dict) else ref
    if not isinstance(name, str) or not name.startswith("sanfleet.remediation."):
        return [], None
    tasks_dir = REPO / "roles" / name.split(".")[-1] / "tasks"
    entry = (ref.get("tasks_from") if isinstance(ref, dict) else None) or "main"
    path = tasks_dir / (entry if entry.endswith(".yml") else entry + ".yml")
    return (yaml.safe_load(path.read_text()) or []) if path.exists() else [], tasks_dir


def _walk(tasks, tasks_dir, before):
    """Appends to `before` the tasks run before the facts read, roles' and task files' own tasks included; True
    once the facts read is reached."""
    for task in tasks or []:
        if any(name in task for name in FACTS_READ):
            return True
        for key in ("ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role"):
            if key in task:
                role_tasks, role_dir = _role_tasks(task[key])
                if role_dir is not None and _walk(role_tasks, role_dir, before):
                    return True
        for key in ("ansible.builtin.import_tasks", "ansible.builtin.include_tasks", "import_tasks",
                    "include_tasks"):
            if key in task and tasks_dir is not None:
                target = task[key] if isinstance(task[key], str) else task[key].get("file")
                path = tasks_dir / target
                if path.exists() and _walk(yaml.safe_load(path.read_text()), tasks_dir, before):
                    return True
        before.append(task)
        for key in ("block", "rescue", "always"):
            if _walk(task.get(key), tasks_dir, before):
                return True
    return False


def tasks_before_the_facts(play):
    """The tasks of `play` that run before its hosts' facts are read (None: the play never reads them): every
    task up to the first facts module, the tasks of the roles and task files it runs on the way included
    (remediate.yml's stale_cleanup reads them in its own facts.yml)."""
    before = []
    for section in ("pre_tasks", "roles", "tasks", "post_tasks"):
        entries = play.get(section) or []
        if section == "roles":
            for ref in entries:
                role_tasks, role_dir = _role_tasks(ref)
                if _walk(role_tasks, role_dir, before):
                    return before
            continue
        if _walk(entries, None, before):
            return before
    return None


def run_once_before_the_facts(playbook):
    found = []
    for play in yaml.safe_load(playbook.read_text()) or []:
        if play.get("gather_facts", True) not in (False, "false", "no"):
            continue    # facts gathered first: every host holds its own before any task
        for task in tasks_before_the_facts(play) or []:
            if task.get("run_once") in (True, "true", "yes") and not any(name in task for name in NO_FACTS_LAYER):
                found.append("%s: %s" % (playbook.name, task.get("name")))
    return found


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=[p.name for p in PLAYBOOKS])
def test_no_run_once_task_runs_before_the_hosts_facts_are_read(playbook):
    """Fails when a run_once task (other than a controller-side assert) precedes a play's facts read."""
    assert run_once_before_the_facts(playbook) == []


def test_the_rule_finds_a_run_once_debug_before_the_facts(tmp_path, monkeypatch):
    """The rule itself: a run_once debug in pre_tasks of a play whose role reads the facts (in a task file of its
    own) is found, one after the facts module is not, nor one of a play that never reads facts."""
    tasks = tmp_path / "roles" / "r" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text(yaml.safe_dump([{"name": "facts", "ansible.builtin.import_tasks": "facts.yml"}]))
    (tasks / "facts.yml").write_text(yaml.safe_dump([{"name": "read", "sanfleet.remediation.stale_mpath_facts": {}}]))
    monkeypatch.setitem(globals(), "REPO", tmp_path)
    book = tmp_path / "book.yml"
    book.write_text(yaml.safe_dump([
        {"hosts": "all", "gather_facts": False, "roles": ["sanfleet.remediation.r"],
         "pre_tasks": [{"name": "batch line", "ansible.builtin.debug": {"msg": "x"}, "run_once": True},
                       {"name": "check", "ansible.builtin.assert": {"that": [True]}, "run_once": True}]},
        {"hosts": "all", "gather_facts": False,
         "tasks": [{"name": "facts", "block": [{"name": "read", "sanfleet.remediation.stale_mpath_facts": {}}]},
                   {"name": "layout", "ansible.builtin.set_fact": {"x": 1}, "run_once": True}]},
        {"hosts": "all", "gather_facts": False,
         "tasks": [{"name": "merge", "ansible.builtin.set_fact": {"x": 1}, "run_once": True}]},
        {"hosts": "all", "gather_facts": False,
         "tasks": [{"name": "late line", "ansible.builtin.debug": {"msg": "x"}, "run_once": True},
                   {"name": "plan", "ansible.builtin.include_role": {"name": "sanfleet.remediation.r"}}]},
    ]))
    assert run_once_before_the_facts(book) == ["book.yml: batch line", "book.yml: late line"]


def test_a_run_once_task_inside_a_role_before_its_facts_read_is_found(tmp_path, monkeypatch):
    """A run_once debug added at the top of roles/stale_cleanup/tasks/main.yml runs before that role's
    stale_mpath_facts, i.e. before remediate.yml's facts read, exactly as the UNREVIEWED line did."""
    import shutil
    for part in ("playbooks", "roles"):
        shutil.copytree(str(REPO / part), str(tmp_path / part))
    main = tmp_path / "roles" / "stale_cleanup" / "tasks" / "main.yml"
    tasks = yaml.safe_load(main.read_text())
    main.write_text(yaml.safe_dump([{"name": "say the phases", "ansible.builtin.debug": {"msg": "x"},
                                     "run_once": True}] + tasks))
    monkeypatch.setitem(globals(), "REPO", tmp_path)
    assert run_once_before_the_facts(tmp_path / "playbooks" / "remediate.yml") != []
