# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate.yml's report of how a host's run was approved (`approval`): the module's own word (its result
approval_gate) when it gave one, else what the play held for the host. A module that ran but returned no word (its
task hit the role's second fence, the Ansible task `timeout:`, after the act began; a traceback) executed the plan it
was given: a real run with allow_unreviewed and no approved plan ran an unreviewed plan, and its report must say so,
never `refused` (which says nothing was touched)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report
from ansible_collections.sanfleet.remediation.tests.ontap_sim import lookup_plugin
from ansible_collections.sanfleet.remediation.tests.tooling.helpers import play, render


def _report_parts():
    task = next(t for t in play("remediate.yml")["post_tasks"] if t.get("name") == "Build the report of this host")
    return task["vars"]["fleet_report_parts"]


def test_an_unreviewed_real_run_whose_module_returned_no_word_is_not_reported_refused():
    # what Ansible registers for the stale_cleanup task when its `timeout:` ends it (no module result), and what
    # the play's rescue records for the host
    timed_out = {"failed": True, "msg": "The sanfleet.remediation.stale_cleanup action failed to execute in the "
                                        "expected time frame (1260) and was terminated"}
    variables = {
        "ansible_check_mode": False,
        "inventory_hostname": "h1",
        # as the play holds them after include_role: the documented flag only (the role's defaults stay private to
        # the role, and no approved plan was set for the host)
        "sanfleet_allow_unreviewed": True,
        "stale_cleanup_result": timed_out,
        "sanfleet_host_failed": {"unreachable": False, "msg": timed_out["msg"],
                                 "task": "Find and remove the stale SAN devices of this host (--check - the plan only)"},
    }
    approval = _approval(variables)
    report = host_report({"san": {}, "plan": timed_out, "applied": timed_out, "approval": approval,
                          "failed": variables["sanfleet_host_failed"]}, "h1", "remediate")
    assert approval != "refused", "a real run that executed an unreviewed plan is reported as refused (nothing touched)"
    assert any(f["check"] == "unreviewed_plan" for f in report["findings"]), report["findings"]


def _refused_before_the_module(variables):
    """Whether a guard of the stale_cleanup role (an assert or fail of its main.yml before the host is read) stops
    the run, rendered by Ansible's own templar with `variables`."""
    import yaml
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    from ansible_collections.sanfleet.remediation.tests.tooling.helpers import ROOT

    try:
        from ansible.template import trust_as_template  # ansible-core 2.19+: only trusted text is a template
    except ImportError:  # pragma: no cover
        def trust_as_template(text):
            return text

    # the guards look variables up by name (the varnames lookup): Ansible's own lookups must be loadable
    lookup_plugin("ansible.builtin.varnames")
    templar = Templar(loader=DataLoader(), variables=variables)

    def true(expr):
        return templar.template(trust_as_template("{{ (%s) | bool }}" % expr)) in (True, "True")

    for task in yaml.safe_load((ROOT / "roles" / "stale_cleanup" / "tasks" / "main.yml").read_text()):
        if task.get("name") == "Facts and array truth":
            return False
        if "ansible.builtin.assert" in task:
            that = task["ansible.builtin.assert"]["that"]
            if not all(true(c) for c in (that if isinstance(that, list) else [that])):
                return True
        if "ansible.builtin.fail" in task:
            when = task.get("when")
            if all(true(c) for c in (when if isinstance(when, list) else [when])):
                return True
    return False


def test_a_module_result_given_as_an_extra_var_cannot_stand_in_for_the_modules_word():
    """Extra vars outrank a registered result (Ansible's variable precedence: `-e stale_cleanup_result=...` is what
    every later task reads as stale_cleanup_result, whatever the module returned). A real run launched with
    allow_unreviewed and a stale_cleanup_result of its own (an AWX launch prompt takes both) would run the plan
    nobody reviewed while the UNREVIEWED line, the reports and the job artifact read approval_gate 'approved' from
    the forged value. The role must refuse such a run before the host is read."""
    variables = {"ansible_check_mode": False, "inventory_hostname": "h1",
                 "stale_cleanup_phases": ["flush", "delete", "rescan"], "stale_cleanup_approved_plan": None,
                 "stale_cleanup_allow_unreviewed": True,
                 # given with -e: it stays what every task reads after the module's register
                 "stale_cleanup_result": {"approval_gate": "approved", "steps": [], "executed": []}}
    assert _refused_before_the_module(variables), (
        "a real run with stale_cleanup_result given as an extra var goes on: its reports read the forged word")
    # the same run without the forged result is not refused by the guard (the module's own gate decides)
    variables.pop("stale_cleanup_result")
    assert not _refused_before_the_module(variables)


def _template(key, variables, reached=True):
    """remediate.yml's report variable `key` of the task "Build the report of this host" (sanfleet_cleanup_answer, or
    a part of fleet_report_parts), rendered by Ansible's own templar with the task's other variables, as the play
    renders it. `reached`: whether the play reached the role for the host (sanfleet_role_reached)."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    try:
        from ansible.template import trust_as_template  # ansible-core 2.19+: only trusted text is a template
    except ImportError:  # pragma: no cover
        def trust_as_template(text):
            return text

    task = next(t for t in play("remediate.yml")["post_tasks"] if t.get("name") == "Build the report of this host")
    variables = dict(variables)
    if reached:
        variables["sanfleet_role_reached"] = True
    for name in ("sanfleet_module_ran", "sanfleet_cleanup_answer"):
        variables[name] = trust_as_template(task["vars"][name])
    text = task["vars"][key] if key in task["vars"] else task["vars"]["fleet_report_parts"][key]
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(text))


def _cleanup_answer(stale_cleanup_result=None, reached=True, **variables):
    """sanfleet_cleanup_answer (the plan and applied parts of the report), a dict as the play hands it on."""
    if stale_cleanup_result is not None:
        variables["stale_cleanup_result"] = stale_cleanup_result
    return dict(_template("sanfleet_cleanup_answer", variables, reached))


def _approval(variables, reached=True):
    """The report part `approval`, the word the play says for the host."""
    return str(_template("approval", variables, reached)).strip()


NO_ANSWER = [
    # the role's ignore_unreachable: the connection dropped while the module ran (ansible-core's result for it)
    {"unreachable": True, "changed": False, "msg": "Failed to connect to the host via ssh: Broken pipe"},
    # ansible-core 2.16's task timeout (executor/task_executor.py, TaskTimeoutError): the module runs on
    {"failed": True, "msg": "The sanfleet.remediation.stale_cleanup action failed to execute in the expected time "
                            "frame (2190) and was terminated"},
    # ansible-core 2.19+'s (TaskTimeoutError.as_task_result)
    {"failed": True, "msg": "Timed out after 2190 second(s).", "timedout": {"frame": "...", "period": 2190}},
    # ansible-core 2.16 without pipelining, the host gone after the module ran: the removal of the remote tmp dir
    # fails on the dead connection and the task's result is a plain failure
    {"failed": True, "msg": "Failed to connect to the host via ssh: Connection refused"},
    # the module crashed (a traceback): no result of its own
    {"failed": True, "msg": "MODULE FAILURE\nSee stdout/stderr for the exact error", "module_stderr": "Traceback"},
]


def test_a_stale_cleanup_task_whose_module_gave_no_answer_reports_unknown_never_zero_executed():
    """A host whose stale_cleanup task registered something that is not the module's answer (no approval_gate, which
    the module sets before it reads or changes anything): the module may have run on, so its report says what ran is
    unknown, with no count (null), and the fleet counts it apart. On 2.16 a host gone after the module registered a
    plain failure without `unreachable`, and the report said 0 executed."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_fleet import fleet_report
    for registered in NO_ANSWER:
        answer = _cleanup_answer(registered, ansible_check_mode=False, stale_cleanup_phases=["flush", "delete", "rescan"])
        assert answer == {"unanswered": True, "msg": registered["msg"], "acted": True}, (registered, answer)
        report = host_report({"san": {}, "plan": answer, "applied": answer, "approval": "approved",
                              "failed": {"unreachable": False, "task": "t", "msg": registered["msg"]}}, "h1", "remediate")
        assert registered["msg"] in report["remediation"]["unknown"], report["remediation"]
        assert set(report["remediation"]["counts"].values()) == {None}, report["remediation"]["counts"]
        fleet = fleet_report([report], ["h1"])
        assert fleet["hosts"][0]["remediation"] is None and fleet["counts"]["remediation"]["unknown"] == 1


def test_the_modules_own_answer_is_the_report_part_as_it_is():
    """A result with the module's word (approval_gate; a failed run mid-unit too) and a skipped task are handed to the
    report as they are; a host the module never ran on is skipped."""
    answered = {"failed": True, "msg": "cleanup: 1 of 2 units stopped", "approval_gate": "approved",
                "steps": [{"action": "flush_map", "target": "3600a0980aa"}], "executed": []}
    assert _cleanup_answer(answered) == answered
    assert _cleanup_answer({"skipped": True, "changed": False}) == {"skipped": True, "changed": False}
    assert _cleanup_answer() == {"skipped": True}


def test_a_host_a_guard_of_the_role_refused_has_no_module_answer_and_is_reported_refused():
    """The role's guard refuses a real run without an approved plan before the host is read: its module never ran
    (stale_cleanup_result undefined; the play refuses a run given one at launch), so the report has no module answer
    and says refused, never "unknown" (counts null: audit the host) or the counts of a run."""
    guard = "A real run removes only an approved plan (stale_cleanup_approved_plan), unless stale_cleanup_allow_unreviewed"
    variables = {"ansible_check_mode": False, "inventory_hostname": "h1",
                 "stale_cleanup_phases": ["flush", "delete", "rescan"],
                 "sanfleet_host_failed": {"unreachable": False, "task": guard, "msg": "h1: refused: ..."}}
    answer = _cleanup_answer(**variables)
    assert answer == {"skipped": True}, answer
    report = host_report({"san": {}, "plan": answer, "applied": answer, "approval": _approval(variables),
                          "failed": variables["sanfleet_host_failed"]}, "h1", "remediate")
    assert report["remediation"]["approval"] == "refused", report["remediation"]
    assert "unknown" not in report["remediation"] and report["remediation"]["counts"]["executed"] == 0


def test_a_check_run_whose_stale_cleanup_gave_no_answer_reports_nothing_executed():
    """--check: stale_cleanup exits before its act (run_approval 'plan', main(): check_mode -> exit_json), so a host
    whose connection dropped (or whose task timed out) while the module planned executed nothing there, whatever
    became of the module. The report must keep executed 0 (the plan is what is unknown); it said executed null,
    "what it planned and executed on the host is unknown", and the fleet summary "LOST while the module ran: what ran
    there is unknown", sending the operator to audit a host the plan run cannot have changed."""
    lost = {"unreachable": True, "changed": False, "msg": "Failed to connect to the host via ssh: Broken pipe"}
    variables = {"ansible_check_mode": True, "inventory_hostname": "h1", "stale_cleanup_result": lost,
                 "stale_cleanup_phases": ["flush", "delete", "rescan"],
                 "sanfleet_host_failed": {"unreachable": False, "task": "A host lost while the module ran fails",
                                          "msg": lost["msg"]}}
    answer = _cleanup_answer(**variables)
    approval = _approval(variables)
    assert approval == "plan"
    report = host_report({"san": {}, "plan": answer, "applied": answer, "approval": approval,
                          "failed": variables["sanfleet_host_failed"]}, "h1", "remediate")
    assert report["remediation"]["counts"]["executed"] == 0, report["remediation"]


def test_a_stale_cleanup_result_given_as_a_variable_is_not_the_report_of_a_host_refused_before_the_role():
    """A host the play refused before the role ran (no approved plan: task 'approval'; or unreachable, or batches) never
    reached the role's guards, so a stale_cleanup_result given as an extra var (an AWX prompt) is not caught by them:
    sanfleet_cleanup_answer hands the forged value to the reports as the module's answer (approved, steps executed)
    and the approval word reads its approval_gate, for a host where nothing ran."""
    forged = {"approval_gate": "approved", "changed": True,
              "steps": [{"action": "remove_map", "target": "mpatha", "outcome": "done"}],
              "executed": [{"action": "remove_map", "target": "mpatha", "outcome": "done"}]}
    for task in ("approval", "batches"):
        failed = {"unreachable": False, "task": task, "msg": "refused: a real run needs the approved plan"}
        variables = {"ansible_check_mode": False, "inventory_hostname": "h1", "stale_cleanup_result": forged,
                     "stale_cleanup_phases": ["flush", "delete", "rescan"], "sanfleet_host_failed": failed}
        answer = _cleanup_answer(reached=False, **variables)
        assert answer == {"skipped": True}, ("the role never ran, yet the report reads a variable as its answer", answer)
        assert _approval(variables, reached=False) == "refused", task
    # an unreachable host of an approved plan: the approval the play held for it, never the forged word
    failed = {"unreachable": True, "task": "connection", "msg": "unreachable"}
    variables = {"ansible_check_mode": False, "inventory_hostname": "h1", "stale_cleanup_result": dict(forged, approval_gate="unreviewed"),
                 "stale_cleanup_approved_plan": {"units": []}, "sanfleet_host_failed": failed}
    assert _cleanup_answer(reached=False, **variables) == {"skipped": True}
    assert _approval(variables, reached=False) == "approved"
