# -*- coding: utf-8 -*-
"""Every task of the roles and playbooks that runs multipath_conf or lvm_filter_info passes `detail`: a
task that forgets it returns the module's default whatever sanfleet_facts_detail says."""
import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
AUDITS = ("sanfleet.remediation.multipath_conf", "sanfleet.remediation.lvm_filter_info")


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        if any(k in node for k in AUDITS):
            yield node
        for key in ("tasks", "block", "rescue", "always", "handlers", "pre_tasks", "post_tasks"):
            yield from _tasks(node.get(key))


def test_every_audit_task_passes_detail():
    """Fails when a role or playbook task runs multipath_conf or lvm_filter_info without passing detail."""
    files = sorted(ROOT.glob("roles/*/tasks/*.yml")) + sorted(ROOT.glob("roles/*/handlers/*.yml")) + sorted(
        ROOT.glob("playbooks/*.yml"))
    seen = []
    for path in files:
        for task in _tasks(yaml.safe_load(path.read_text())):
            module = next(k for k in AUDITS if k in task)
            seen.append((path.relative_to(ROOT).as_posix(), task.get("name"), "detail" in (task[module] or {})))
    assert len(seen) >= 7
    assert [s for s in seen if not s[2]] == []
