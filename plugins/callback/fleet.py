# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet
type: stdout
short_description: One line per host for what a fleet run reports, errors in full, the fleet summary last
version_added: 0.2.0
author:
  - sanfleet.remediation contributors (@sanfleet)
description:
  - >-
    A stdout callback for the collection's playbooks (audit, compliance, remediate) run over many hosts. At the
    default verbosity it prints, instead of a banner per task and a line per host and task, only what the playbooks
    show on purpose - the result line of each host (a task of role C(fleet_report) that sets
    C(fleet_report_console=host)), the message of each C(debug) task (one line: the plan of a host, the batch of
    a rolling run) - and every failure, unreachable host, warning, deprecation and diff in full, as the
    C(default) callback prints them (with the task's banner). It ends with a recap of the hosts that failed or were
    unreachable and then the fleet summary (the task that sets C(fleet_report_console=summary)), so the summary is
    the last line of the run whatever failed before it.
  - >-
    A serial play's summary of the batches done is also printed when the next batch starts, after that batch's
    failures: an interrupted run (Ctrl-C, a cancelled AWX job) ends without a recap, and still says which hosts it
    did and where their reports are.
  - >-
    Each C(--diff) block comes after a line C(<host>: --diff) that names its host.
  - With C(-v) and more it prints what the C(default) callback prints, and the fleet summary once more at the end.
  - >-
    Turn it on with C(ANSIBLE_STDOUT_CALLBACK=sanfleet.remediation.fleet) or C(stdout_callback) in
    C(ansible.cfg) (C([defaults])). Under ansible-runner and AWX only the environment variable counts (ansible-runner
    replaces the stdout callback by its own, which then inherits from the one the variable names); AWX job events
    are the same with either callback.
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as stdout callback in configuration
"""

import json

from ansible.plugins.callback.default import CallbackModule as DefaultCallback
from ansible.utils.fqcn import add_internal_fqcns

DEBUG_ACTIONS = frozenset(add_internal_fqcns(("debug",)))
# the task variable by which a task of the collection's roles marks what this callback shows of it
MARK = "fleet_report_console"


def _task_of(result):
    """The task of a result: `task` since ansible-core 2.19, `_task` before."""
    try:
        return result.task
    except AttributeError:
        return result._task


def _dict_of(result):
    """The result's dictionary: `result` since ansible-core 2.19, `_result` before."""
    try:
        return result.result
    except AttributeError:
        return result._result


def _mark(task):
    return str((getattr(task, "vars", None) or {}).get(MARK) or "")


def _one_line(value):
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(", ", ": "))
    return " ".join(text.splitlines())


class CallbackModule(DefaultCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "sanfleet.remediation.fleet"

    def __init__(self):
        super().__init__()
        self._fleet_summary = None
        self._summary_shown = True
        self._diff_of = None

    def _detailed(self):
        return self._display.verbosity > 0

    def _warnings(self, result):
        """Warnings and deprecations of a result whose line is not printed: shown, as the default callback does."""
        if hasattr(self, "_handle_warnings_and_exception"):
            self._handle_warnings_and_exception(result)
        else:
            self._handle_warnings(_dict_of(result))

    def _show(self, result, text):
        task = _task_of(result)
        # a line about the play, not a host (run_once, or marked so: the batch line), is printed bare
        prefix = "" if task.run_once or _mark(task) == "play" else "%s: " % self.host_label(result)
        self._display.display(prefix + _one_line(text))

    def _keep_summary(self, result):
        """The fleet summary's message, kept for the end of the run (at every verbosity)."""
        res = _dict_of(result)
        if _mark(_task_of(result)) == "summary" and "msg" in res:
            self._fleet_summary = _one_line(res["msg"])
            self._summary_shown = False
            return True
        return False

    def _shown_ok(self, result, item=False):
        task, res = _task_of(result), _dict_of(result)
        mark = _mark(task)
        if self._keep_summary(result):
            return
        if mark == "host" and item:
            self._show(result, self._get_item_label(res))
        elif task.action in DEBUG_ACTIONS and not res.get("skipped"):
            shown = {k: v for k, v in res.items() if not k.startswith("_") and k not in ("changed", "failed")}
            self._show(result, shown.get("msg", shown))

    def _show_summary_of_the_batches_done(self):
        """A rolling run's summary of its batches done, printed when the next batch starts: an interrupted run (Ctrl-C,
        AWX's cancel) never sends v2_playbook_on_stats, and the failures of its batch came before (summary last)."""
        if self._fleet_summary is not None and not self._summary_shown:
            self._display.display("SUMMARY: %s" % self._fleet_summary)
            self._summary_shown = True

    def v2_playbook_on_play_start(self, play):
        if self._detailed():
            return super().v2_playbook_on_play_start(play)
        self._show_summary_of_the_batches_done()  # Ansible starts each batch of a serial play as a play
        self._play = play
        check = " [CHECK MODE]" if play.check_mode and self.get_option("check_mode_markers") else ""
        self._display.display("PLAY [%s]%s" % (play.get_name().strip(), check))
        return None

    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._detailed():
            return super().v2_playbook_on_task_start(task, is_conditional)
        # remembered for the banner a failure prints, not printed
        self._task_type_cache[task._uuid] = "TASK"
        self._last_task_name = task.get_name().strip()
        return None

    def v2_playbook_on_handler_task_start(self, task):
        if self._detailed():
            return super().v2_playbook_on_handler_task_start(task)
        self._task_type_cache[task._uuid] = "RUNNING HANDLER"
        self._last_task_name = task.get_name().strip()
        return None

    def v2_playbook_on_include(self, included_file):
        if self._detailed():
            super().v2_playbook_on_include(included_file)

    def v2_runner_on_ok(self, result):
        if self._detailed():
            self._keep_summary(result)
            return super().v2_runner_on_ok(result)
        self._warnings(result)
        if not (_task_of(result).loop and "results" in _dict_of(result)):
            self._shown_ok(result)
        return None

    def v2_runner_item_on_ok(self, result):
        if self._detailed():
            return super().v2_runner_item_on_ok(result)
        self._warnings(result)
        self._shown_ok(result, item=True)
        return None

    def v2_on_file_diff(self, result):
        """A diff as the default callback prints it, under the line of its host: the default callback names the
        host only in the result line after it, which this callback does not print, so the --diff blocks of a fleet
        run were not told apart."""
        if self._detailed():
            return super().v2_on_file_diff(result)
        self._diff_of = self.host_label(result)
        try:
            return super().v2_on_file_diff(result)
        finally:
            self._diff_of = None

    def _get_diff(self, difflist):
        text = super()._get_diff(difflist)
        return "%s: --diff\n%s" % (self._diff_of, text) if text and self._diff_of else text

    def v2_runner_on_skipped(self, result):
        if self._detailed():
            return super().v2_runner_on_skipped(result)
        self._warnings(result)
        return None

    def v2_runner_item_on_skipped(self, result):
        if self._detailed():
            return super().v2_runner_item_on_skipped(result)
        self._warnings(result)
        return None

    def _problem_hosts(self, stats):
        lines = []
        for host in sorted(stats.processed.keys()):
            t = stats.summarize(host)
            if t["failures"] or t["unreachable"]:
                lines.append("%s : ok=%d changed=%d unreachable=%d failed=%d skipped=%d rescued=%d ignored=%d" % (
                    host, t["ok"], t["changed"], t["unreachable"], t["failures"], t["skipped"], t["rescued"], t["ignored"]))
        return lines

    def v2_playbook_on_stats(self, stats):
        if self._detailed():
            super().v2_playbook_on_stats(stats)
        else:
            problems = self._problem_hosts(stats)
            self._display.display("RECAP: %d hosts, %d failed or unreachable%s" % (
                len(stats.processed), len(problems), ":" if problems else ""))
            for line in problems:
                self._display.display(line)
            if stats.custom and self.get_option("show_custom_stats"):
                for key in sorted(stats.custom):
                    label = "RUN" if key == "_run" else key
                    self._display.display("%s: %s" % (label, self._dump_results(stats.custom[key], indent=1).replace("\n", "")))
        if self._fleet_summary is not None:
            self._display.display("SUMMARY: %s" % self._fleet_summary)
