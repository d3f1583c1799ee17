# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of module report_files: JSON files written by the controller's own process, no module run. A copy
task per host costs two module runs (stat, copy) per host on the controller: at 200 hosts that was most of the
report's time (docs/performance.md). The role's own templates are rendered here too, with plain Jinja2 over plain
data (plugin_utils/plain_templates.py): through ansible's template lookup the fleet pages cost seconds of controller
CPU (issue 41)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import to_nice_json

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import (
    atomic_write, differs, file_name, make_dirs)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.plain_templates import (
    PageTemplate, PageTemplateError, environment)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_fleet import fleet_artifact
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name

ARGUMENT_SPEC = {
    "dir": {"type": "str", "required": True},
    "json_files": {"type": "dict", "default": {}},
    "text_files": {"type": "dict", "default": {}},
    # output file name -> template file name (the templates/ of the task's role, as the template lookup finds it)
    "templates": {"type": "dict", "default": {}},
    "template_vars": {"type": "dict", "default": {}},
    # template variable -> the name of a json_files entry: its data, templated once for both
    "template_vars_from_json": {"type": "dict", "default": {}},
    # raw: an int is the mode itself (YAML's unquoted 0644 is 420), a string is octal, as the copy module takes it
    "mode": {"type": "raw", "default": "0644"},
    # the name of a json_files entry that is a fleet report: its job artifact is returned (fleet_artifact)
    "fleet_artifact_of": {"type": "str"},
    "fleet_artifact_run": {"type": "str"},
}
DIR_MODE = 0o755


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(ARGUMENT_SPEC)
        directory = args["dir"]
        if not os.path.isabs(directory):
            return dict(result, failed=True, msg="report_files: dir must be an absolute path on the controller, got %r"
                        % (directory,))
        mode = _mode(args["mode"])
        if mode is None:
            return dict(result, failed=True, msg="report_files: mode must be an octal file mode, got %r" % (args["mode"],))
        names = [file_name_or_none(name, ".json") for name in args["json_files"]] + \
            [file_name_or_none(name) for name in list(args["text_files"]) + list(args["templates"])]
        if len(set(n for n in names if n)) < len([n for n in names if n]):
            return dict(result, failed=True, msg="report_files: nothing written: a file is named twice (%s)"
                        % ", ".join(sorted(n for n in names if n)))
        # the templates and their variables are the role's own: a template that is not there, does not compile or
        # a variable given twice fails the task before anything is written; so does an artifact of no fleet report
        try:
            pages = self._templates(args["templates"])
            variables = _template_vars(args)
            artifact = _fleet_artifact(args, directory)
        except PageTemplateError as exc:
            return dict(result, failed=True, msg="report_files: nothing written: %s" % exc)
        # each file on its own: one host whose name is no file name, or whose file cannot be written, costs the
        # others nothing (the reports are written whatever a host does); the task fails naming what was not written
        files, failures = [], []
        for name, data in args["json_files"].items():
            _prepare(files, failures, name, ".json", lambda d=data: to_nice_json(d, indent=1) + "\n")
        for name, text in args["text_files"].items():
            _prepare(files, failures, name, "", lambda n=name, t=text: _text(n, t))
        for name, page in pages:
            _prepare(files, failures, name, "", lambda n=name, p=page: _render(n, p, variables))
        written, unchanged = [], []
        if self._task.check_mode:
            for name, data in sorted(files):
                (written if differs(os.path.join(directory, name), data) else unchanged).append(name)
        else:
            try:
                make_dirs(directory, DIR_MODE)
            except OSError as exc:
                return dict(result, failed=True, msg="report_files: nothing written: cannot make %s: %s"
                            % (directory, exc))
            for name, data in sorted(files):
                try:
                    (written if atomic_write(os.path.join(directory, name), data, mode) else unchanged).append(name)
                except OSError as exc:
                    failures.append("%s: %s" % (name, exc))
        out = dict(result, changed=bool(written), written=written, unchanged=len(unchanged), dir=directory)
        # only with the fleet written: a failed task's result is printed whole, and nothing after it reads this
        if artifact is not None and not failures:
            out["fleet_artifact"] = artifact
        if failures:
            out.update(failed=True, not_written=failures,
                       msg="report_files: not written: %s (the others were written)" % "; ".join(failures))
        return out

    def _templates(self, templates):
        """[(output file name, PageTemplate)] of option templates, each found as the template lookup finds it (the
        templates/ of the task's role, then the playbook's); PageTemplateError naming the first that is not."""
        pages, envs = [], {}
        for name, template in templates.items():
            if file_name_or_none(template) is None:
                raise PageTemplateError("template %r for %s is not a file name in the role's templates/ (no path "
                                        "separator, no '..')" % (template, name))
            try:
                path = self._find_needle("templates", template)
            except AnsibleError:
                raise PageTemplateError("template %s for %s is not in the templates/ of the task's role or playbook"
                                        % (template, name))
            directory = os.path.dirname(path)
            if directory not in envs:
                envs[directory] = environment(directory)
            pages.append((name, PageTemplate(path, envs[directory])))
        return pages


def _template_vars(args):
    """The variables the templates see: template_vars, and per template_vars_from_json the data of that json_files
    entry (passed once, built once); PageTemplateError for a name of neither."""
    variables = dict(args["template_vars"])
    for var, json_name in args["template_vars_from_json"].items():
        if not isinstance(json_name, str) or json_name not in args["json_files"]:
            raise PageTemplateError("template_vars_from_json: %s names no entry of json_files (%r)" % (var, json_name))
        if var in variables:
            raise PageTemplateError("template variable %s is given twice: in template_vars and template_vars_from_json"
                                    % var)
        variables[var] = args["json_files"][json_name]
    return variables


def _fleet_artifact(args, directory):
    """The job artifact of the fleet report in json_files[fleet_artifact_of] (report_fleet.fleet_artifact), None
    when none is asked for; PageTemplateError when that entry is not there or is no fleet report."""
    name = args["fleet_artifact_of"]
    if name is None:
        return None
    fleet = args["json_files"].get(name)
    if not isinstance(fleet, dict) or not all(key in fleet for key in ("hosts", "counts", "array", "array_gate")):
        raise PageTemplateError("fleet_artifact_of: %s names no fleet report of json_files (%s)"
                                % (name, type_name(fleet) if not isinstance(fleet, dict) else "keys %s"
                                   % ", ".join(sorted(fleet))))
    return fleet_artifact(fleet, args["fleet_artifact_run"], directory)


def _render(name, page, variables):
    """The text of file `name` rendered from its template; ValueError naming both when the data does not render."""
    try:
        return page.render(variables)
    except PageTemplateError as exc:
        raise ValueError("%s: %s" % (name, exc))


def _prepare(files, failures, name, suffix, content):
    """(file name, bytes) of one file into `files`, or why not into `failures`."""
    try:
        files.append((file_name(name, suffix), content().encode("utf-8")))
    except (ValueError, TypeError) as exc:
        failures.append(str(exc))


def file_name_or_none(name, suffix=""):
    try:
        return file_name(name, suffix)
    except ValueError:
        return None


def _mode(value):
    """The file mode of the option: an int as it is, a string as octal; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        mode = value
    else:
        try:
            mode = int(str(value), 8)
        except ValueError:
            return None
    return mode if 0 <= mode <= 0o7777 else None


def _text(name, text):
    """The content of a text file: text only. A templated value that came out as data (ansible-core before 2.19
    turns a result that reads as a Python literal into one) would be written in another form than rendered."""
    if not isinstance(text, str):
        raise TypeError("the content of %s is %s, not text" % (name, type_name(text)))
    return text
