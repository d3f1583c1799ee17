# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Review of fix-notsan (host.san_presence), the playbook side: findings reproduced as tests (xfails until fixed).

Each test states what must hold; it failed on the branch as reviewed and passes since the finding is
fixed. The facts come from the real reader (test_not_san_decision's hosts, pieces made to miss their deadline),
the playbooks' own tasks are rendered in order with their `when`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    compact, facts)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations
from ansible_collections.sanfleet.remediation.tests.tooling import helpers as nsd
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    hanging, iscsi_host_without_maps)
from jinja2.nativetypes import NativeEnvironment


ENV = NativeEnvironment()


ENV.filters["bool"] = lambda value: value in (True, "True", "true", "yes", "1", 1)


def holds(when, variables):
    """The task's `when` (a list is and-ed) with the variables, as Ansible evaluates it."""
    conditions = when if isinstance(when, list) else [when]
    return all(ENV.from_string("{{ %s }}" % c).render(**variables) in (True, "True")
               for c in conditions if c is not None)


def _walk(tasks, whens=()):
    """(task, its `when` and its blocks') for every task of `tasks` and of their blocks, never of a rescue (what
    runs when nothing fails)."""
    for task in tasks or []:
        when = task.get("when")
        mine = tuple(whens) + tuple(when if isinstance(when, list) else [when] if when is not None else [])
        yield task, list(mine)
        for key in ("block", "always"):
            for sub in _walk(task.get(key), mine):
                yield sub


def _role_tasks(role):
    out = []
    for name in ("main.yml", "facts.yml", "cleanup.yml"):
        out.extend(yaml.safe_load((nsd.ROOT / "roles" / role / "tasks" / name).read_text()) or [])
    return out


def iscsi_host_with_hung_pieces(tmp_path, hung):
    """An iSCSI host (initiator name, a session, its LUN sdb, multipathd running) whose batch read and the
    pieces `hung` miss their deadline; sdb's own read finishes."""
    return iscsi_host_without_maps(tmp_path).reader(call=hanging(hung))


# --------------------------------------------------------------------------------- remediate: the rollout


def test_remediate_stops_the_rollout_on_a_host_whose_san_presence_is_unknown(tmp_path):
    """remediate.yml runs serial batches with max_fail_percentage 0: a batch that fails stops the rollout. audit
    and compliance fail an `unknown` host (its SAN-deciding reads hung: the typical sign of hung SAN I/O on it);
    remediate only writes status `error` and goes on to the next batch, no task fails the host."""
    san = nsd.facts(nsd.hung_san_host(tmp_path))
    assert san["host"]["san_presence"] == "unknown"
    play = nsd.play("remediate.yml")
    variables = {"ansible_facts": {"san": san}, "inventory_hostname": "h1", "sanfleet_reach": {},
                 "stale_cleanup_result": {"refused": [], "steps": []}, "stale_cleanup_fail_on_refusal": False,
                 # the play asks varnames whether an approved plan is given: none is
                 "query": lambda *args, **kwargs: []}
    failing = []
    for section in ("pre_tasks", "tasks", "post_tasks"):
        for task, when in _walk(play.get(section)):
            if "ansible.builtin.set_fact" in task and holds(when, variables):
                variables.update(nsd.render(task["ansible.builtin.set_fact"], variables))
            if "ansible.builtin.fail" in task and holds(when, variables):
                failing.append(task["name"])
    for task, when in _walk(_role_tasks("stale_cleanup")):
        if "ansible.builtin.fail" in task and holds(when, variables):
            failing.append(task["name"])
    # the host fails after its report is written (fail_host runs when sanfleet_host_failed is defined), or a task
    # fails it: either stops the rollout
    assert "sanfleet_host_failed" in variables or failing, "an unknown host passes the batch"


def test_remediate_builds_the_report_from_a_fact_without_san_presence():
    """A fact of the previous collection version (no host.san_presence; AWX 'Enable Fact Storage' or any
    fact_caching hands it back for a host that is unreachable now, or whose stale_cleanup facts task failed):
    remediate's `not_san` part raises AnsibleUndefinedVariable, so the Build-the-report task fails, the host is
    taken out of the batch without its report, and with max_fail_percentage 0 the reports of the batch are not
    written. audit and compliance only read host.san_presence right after a read of this run; the old predicate
    defaulted every key."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    task = next(task for task in nsd.play("remediate.yml")["post_tasks"]
                if task.get("name") == "Build the report of this host")
    expression = trust_as_template(task["vars"]["fleet_report_parts"]["not_san"])
    old_fact = {"host": {"initiators": [], "multipathd_running": False, "unread_disks": []},
                "maps": {}, "disks": {}, "iscsi_sessions": [], "errors": []}
    templar = Templar(loader=DataLoader(), variables={"ansible_facts": {"san": old_fact},
                                                      "inventory_hostname": "h1"})
    # an old fact says nothing about whether every read finished: never not_san, and never a template error
    assert templar.template(expression) is False


# --------------------------------------------------------------------------------- compliance: partial reads


def test_compliance_does_not_pass_a_san_host_whose_iscsi_reads_did_not_finish(tmp_path):
    """The host shows SAN (multipathd, sdb), so it is `san`; its initiator-name and iSCSI-session reads missed
    their deadline (host.unread_pieces). compliance.yml gates the iscsid.conf check on host.iscsi_iqn, which is
    empty because it was not read: the check is skipped, nothing counts the unread pieces, and the host is
    reported compliant - the fail-open this fix closes for not_san, one piece of evidence later
    (docs/compliance.md: what cannot be read is not reported compliant)."""
    reader = iscsi_host_with_hung_pieces(tmp_path, ("read_initiators", "read_sessions"))
    san = compact.shape(facts.collect(reader, probe=False), "compact")
    assert san["host"]["san_presence"] == "san"
    assert san["host"]["unread_pieces"] == ["initiators", "iscsi_sessions"]
    variables = nsd.decide("compliance.yml", san)
    assert variables["sanfleet_host_state"] == "san"
    iscsi_task = next(task for task, _when in _walk(nsd.play("compliance.yml")["tasks"])
                      if task.get("name", "").startswith("Compare iscsid.conf"))
    variables["sanfleet_compliance_iscsi"] = True
    iscsi_checked = holds(iscsi_task["when"], variables)
    skipped = {"skipped": True}
    violations = compliance_violations({"multipath": skipped, "iscsi": skipped, "lvm": skipped, "san": san})
    compliant = not violations and variables["sanfleet_host_state"] != "failed"
    assert iscsi_checked or not compliant, "iSCSI settings not checked (initiator/session reads hung), compliant"


def test_compliance_iscsi_check_runs_when_the_reads_finish(tmp_path):
    """The control of the test above: with every piece read, the same host's iSCSI check runs."""
    reader = iscsi_host_with_hung_pieces(tmp_path, ())
    san = compact.shape(facts.collect(reader, probe=False), "compact")
    variables = nsd.decide("compliance.yml", san)
    iscsi_task = next(task for task, _when in _walk(nsd.play("compliance.yml")["tasks"])
                      if task.get("name", "").startswith("Compare iscsid.conf"))
    variables["sanfleet_compliance_iscsi"] = True
    assert variables["sanfleet_host_state"] == "san" and holds(iscsi_task["when"], variables)


# --------------------------------------------------------------------------------- CI: ansible-test units


def _controller_imports(path):
    """The imports of controller code (plugin_utils, ansible.* other than module_utils) in a test file."""
    import ast
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            if ".plugin_utils" in name or (name.startswith("ansible.") and not name.startswith("ansible.module_utils")):
                out.append(name)
    return out


def test_the_module_utils_unit_tests_import_no_controller_code():
    """ansible-test units runs tests/unit/plugins/module_utils as target (module) code, without the controller's
    ansible package: a test file there that imports plugin_utils.report (ansible.errors) at module level, so the
    group fails to collect (`STAGES=units SANLAB=0 scripts/test.sh`: ModuleNotFoundError: No module named
    'ansible.errors', units FAILED) - the lesson of the last CI."""
    base = nsd.ROOT / "tests" / "unit" / "plugins" / "module_utils"
    offenders = dict((str(p.relative_to(base)), _controller_imports(p)) for p in sorted(base.rglob("*.py")))
    assert len(offenders) > 20         # the tests moved under _san/<stage>/ are read too
    assert dict((k, v) for k, v in offenders.items() if v) == {}
