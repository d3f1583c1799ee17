# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection does the same way: deadline options, turning errors into fail_json,
and the plan -> check mode -> execute -> result shape of the modules that change a host.

The options' documentation is the doc fragment sanfleet.remediation.deadlines (plugins/doc_fragments).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute as act_execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import write_text

# no single kernel touch, wait or flush budget of these modules is meant to take longer
MAX_SECONDS = 3600.0


def deadline_options(command_timeout=10.0, timeout=None, wwids_file=False):
    """Argument spec entries of the deadline options (doc fragment sanfleet.remediation.deadlines)."""
    spec = {"command_timeout": dict(type="float", default=command_timeout)}
    if timeout is not None:
        spec["timeout"] = dict(type="float", default=timeout)
    if wwids_file:
        spec["wwids_file"] = dict(type="path", default="/etc/multipath/wwids")
    return spec


def exits_shaped(module, shape):
    """Every exit_json and fail_json of `module` returns shape(result) (the form its `detail` option asks for),
    whichever of its exits a run takes."""
    exit_json, fail_json = module.exit_json, module.fail_json
    module.exit_json = lambda **result: exit_json(**shape(result))
    module.fail_json = lambda msg, **result: fail_json(msg=msg, **shape(result))


def disk_host(module):
    """The act context of the disk modules (scsi_delete, scsi_rescan): waits bounded by their `timeout`."""
    p = module.params
    return act_execute.host_for_module(p, wait_timeout=p["timeout"], allow_non_san=p["allow_non_san"])


def check_seconds(module, names, result=None, maximum=None):
    """Fail (changing nothing) unless each option is a positive finite number of seconds (at most `maximum`)."""
    try:
        for name in names:
            validate.positive_seconds(module.params[name], name, maximum=maximum or float("inf"))
    except validate.InvalidInput as exc:
        module.fail_json(msg="%s; nothing changed" % exc, **(result or {}))


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


def write_config(module, path, text, result, mode=None):
    """A config module's file write (`backup` and `command_timeout` from its options); a write that fails or
    does not reach the disk in time fails the module naming the file, which is left as it was."""
    try:
        return write_text(module, path, text, backup=module.params["backup"], mode=mode,
                          timeout=module.params["command_timeout"])
    except (deadline.DeadlineExceeded, ChildFailed, OSError) as exc:
        module.fail_json(msg="%s was not written: %s" % (path, exc), **result)


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
