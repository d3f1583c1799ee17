# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ONTAP truth task is written once: roles/ontap_truth asks the ontap_truth lookup, and the audit and
compliance playbooks and the stale_cleanup role import that role (statically, so that the importing task's tags and
condition reach it) instead of writing the lookup call themselves. The cluster list stays no_log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = "sanfleet.remediation.ontap_truth"
# the array_truth lookup reads every source (ONTAP, FlashArray); the ontap_truth lookup, ONTAP alone
LOOKUP_CALL = re.compile(r"""(?:query|lookup|q)\(\s*['"]sanfleet\.remediation\.(?:ontap|array)_truth['"]""")
CONSUMERS = ("playbooks/audit.yml", "playbooks/compliance.yml", "roles/stale_cleanup/tasks/facts.yml")


def tasks(node):
    """Every task of a playbook or tasks file, the ones in blocks, rescues and plays included."""
    if isinstance(node, list):
        for item in node:
            yield from tasks(item)
    elif isinstance(node, dict):
        if any(k in node for k in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers")):
            for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
                yield from tasks(node.get(key) or [])
        else:
            yield node


def test_the_lookup_is_called_in_one_task_only():
    """Fails when the ONTAP truth lookup is called in more than one task, or without its guard."""
    files = sorted(str(p.relative_to(ROOT)) for d in ("playbooks", "roles") for p in (ROOT / d).rglob("*.yml")
                   if LOOKUP_CALL.search(p.read_text()))
    assert files == ["roles/ontap_truth/tasks/main.yml"]
    [task] = [t for t in tasks(yaml.safe_load((ROOT / files[0]).read_text())) if LOOKUP_CALL.search(str(t))]
    assert set(task["ansible.builtin.set_fact"]) == {"ontap_truth_result"}
    # skipped, not failed, without a cluster; the task before sets the fact to null, so that a truth of an earlier
    # ask in the play is not read as this one's (tests/tooling/test_truth_not_carried_over.py runs it)
    assert "ontap_truth_clusters | length > 0" in task["when"] and "ONTAP_HOSTNAME" in task["when"]
    assert "sanfleet_pure" in task["when"] and "PUREFA_URL" in task["when"]


def test_the_playbooks_and_stale_cleanup_import_the_role_and_read_its_fact():
    """Fails when a playbook or stale_cleanup does not import the truth role and read its fact."""
    for rel in CONSUMERS:
        found = list(tasks(yaml.safe_load((ROOT / rel).read_text())))
        imports = [t for t in found if (t.get("ansible.builtin.import_role") or {}).get("name") == ROLE]
        assert len(imports) == 1, rel
        assert "ontap_truth_clusters" in imports[0]["vars"], rel
        assert any("ontap_truth_result is not none" in str(t.get("when")) for t in found), rel


def test_the_cluster_list_is_no_log():
    """Fails when the ONTAP cluster list, with its credentials, is not no_log."""
    spec = yaml.safe_load((ROOT / "roles" / "ontap_truth" / "meta" / "argument_specs.yml").read_text())
    assert spec["argument_specs"]["main"]["options"]["ontap_truth_clusters"]["no_log"] is True
