# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules that change a host through a plan of steps do the same way (multipath_flush, scsi_delete,
scsi_rescan): the act context of the disk modules, the errors of reading, planning and acting turned into
fail_json, and plan -> check mode -> execute -> result. Apart from module.py, which every module imports, so that
the modules that only read carry none of this."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute as act_execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused


def disk_host(module):
    """The act context of the disk modules (scsi_delete, scsi_rescan): waits bounded by their `timeout`."""
    p = module.params
    return act_execute.host_for_module(p, wait_timeout=p["timeout"], allow_non_san=p["allow_non_san"])


def fail_from(module, exc, result, what=None):
    """fail_json for the errors of reading, planning and acting, each in its words (`what` prefixes the message)."""
    prefix = "%s: " % what if what else ""
    if isinstance(exc, act_context.ExecutionError):
        failure = exc.to_dict()
        msg = failure.pop("msg")
        result.update(failure)  # executed, failed_step and refusal, deadline or queueing_restored
        module.fail_json(msg=prefix + msg, **result)
    if isinstance(exc, Refused):
        module.fail_json(msg="%srefused: %s; nothing changed" % (prefix, exc), refusal=exc.to_dict(), **result)
    if isinstance(exc, validate.InvalidInput):
        module.fail_json(msg="%sinvalid input: %s; nothing changed" % (prefix, exc), **result)
    if isinstance(exc, (deadline.DeadlineExceeded, obs_reread.Unread)):
        module.fail_json(msg="%s%s; nothing changed" % (prefix, exc), **result)
    raise exc


def execute(module, plan, host, result, changes=bool, report=None, what=None):
    """The plan is the result: check mode (or an empty plan) returns it; a real run executes exactly it.

    changes(steps) says whether these steps (planned, in their wire form, or executed) change the host; report(result) adds what the
    module derives from the executed steps, on success and on failure. On failure the result carries what was
    executed and the module fails; otherwise returns the executed steps."""
    result["plan"] = plan_steps.wire(plan)
    result["changed"] = bool(changes(result["plan"]))
    if module.check_mode or not plan:
        module.exit_json(**result)
    try:
        result["executed"] = act_execute.execute(plan, host)
    except act_context.ExecutionError as exc:
        result["executed"] = exc.executed
        result["changed"] = bool(changes(exc.executed))
        if report:
            report(result)
        fail_from(module, exc, result, what)
    if report:
        report(result)
    return result["executed"]
