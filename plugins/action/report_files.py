# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of module report_files: JSON files written by the controller's own process, no module run. A copy
task per host costs two module runs (stat, copy) per host on the controller: at 200 hosts that was most of the
report's time (docs/performance.md)."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import to_nice_json

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import (
    atomic_write, differs, file_name, make_dirs)

ARGUMENT_SPEC = {
    "dir": {"type": "str", "required": True},
    "json_files": {"type": "dict", "default": {}},
    "text_files": {"type": "dict", "default": {}},
    # raw: an int is the mode itself (YAML's unquoted 0644 is 420), a string is octal, as the copy module takes it
    "mode": {"type": "raw", "default": "0644"},
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
            [file_name_or_none(name) for name in args["text_files"]]
        if len(set(n for n in names if n)) < len([n for n in names if n]):
            return dict(result, failed=True, msg="report_files: nothing written: a file is named twice (%s)"
                        % ", ".join(sorted(n for n in names if n)))
        # each file on its own: one host whose name is no file name, or whose file cannot be written, costs the
        # others nothing (the reports are written whatever a host does); the task fails naming what was not written
        files, failures = [], []
        for name, data in args["json_files"].items():
            _prepare(files, failures, name, ".json", lambda d=data: to_nice_json(d, indent=1) + "\n")
        for name, text in args["text_files"].items():
            _prepare(files, failures, name, "", lambda n=name, t=text: _text(n, t))
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
        if failures:
            out.update(failed=True, not_written=failures,
                       msg="report_files: not written: %s (the others were written)" % "; ".join(failures))
        return out


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
        raise TypeError("the content of %s is %s, not text" % (name, type(text).__name__))
    return text
