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
    approval = render(_report_parts()["approval"], variables).strip()
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
