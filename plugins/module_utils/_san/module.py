# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection does the same way: deadline options, their checks, the shape of every exit,
and the write of a config file. The plan -> check mode -> execute -> result of the modules that change a host
through a plan is module_act.py's: a module that only reads (stale_mpath_facts, lvm_filter_info, the audits)
imports nothing of the act's, whose code every run would compile again from the module's AnsiballZ zip.

The options' documentation is the doc fragment sanfleet.remediation.deadlines (plugins/doc_fragments).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed
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


def check_seconds(module, names, result=None, maximum=None):
    """Fail (changing nothing) unless each option is a positive finite number of seconds (at most `maximum`)."""
    try:
        for name in names:
            validate.positive_seconds(module.params[name], name, maximum=maximum or float("inf"))
    except validate.InvalidInput as exc:
        module.fail_json(msg="%s; nothing changed" % exc, **(result or {}))


def write_config(module, path, text, result, mode=None):
    """A config module's file write (`backup` and `command_timeout` from its options); a write that fails or
    does not reach the disk in time fails the module naming the file, which is left as it was."""
    try:
        return write_text(module, path, text, backup=module.params["backup"], mode=mode,
                          timeout=module.params["command_timeout"])
    except (deadline.DeadlineExceeded, ChildFailed, OSError) as exc:
        module.fail_json(msg="%s was not written: %s" % (path, exc), **result)
