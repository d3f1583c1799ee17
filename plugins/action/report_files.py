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

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import atomic_write, differs, file_name

ARGUMENT_SPEC = {
    "dir": {"type": "str", "required": True},
    "json_files": {"type": "dict", "default": {}},
    "text_files": {"type": "dict", "default": {}},
    "mode": {"type": "str", "default": "0644"},
}


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
        try:
            mode = int(args["mode"], 8)
            if not 0 <= mode <= 0o7777:
                raise ValueError(args["mode"])
        except ValueError:
            return dict(result, failed=True, msg="report_files: mode must be an octal file mode, got %r" % (args["mode"],))
        # every name and every content first: a bad one writes nothing
        try:
            files = sorted([(file_name(name, ".json"), (to_nice_json(data, indent=1) + "\n").encode("utf-8"))
                            for name, data in args["json_files"].items()] +
                           [(file_name(name), _text(name, text).encode("utf-8"))
                            for name, text in args["text_files"].items()])
        except (ValueError, TypeError) as exc:
            return dict(result, failed=True, msg="report_files: nothing written: %s" % exc)
        if len(set(name for name, _data in files)) < len(files):
            return dict(result, failed=True, msg="report_files: nothing written: a file is named twice (%s)"
                        % ", ".join(sorted(name for name, _data in files)))
        written = []
        if self._task.check_mode:
            written = [name for name, data in files if differs(os.path.join(directory, name), data)]
        else:
            os.makedirs(directory, mode=0o755, exist_ok=True)
            written = [name for name, data in files if atomic_write(os.path.join(directory, name), data, mode)]
        return dict(result, changed=bool(written), written=written, unchanged=len(files) - len(written),
                    dir=directory)


def _text(name, text):
    """The content of a text file: text only. A templated value that came out as data (ansible-core before 2.19
    turns a result that reads as a Python literal into one) would be written in another form than rendered."""
    if not isinstance(text, str):
        raise TypeError("the content of %s is %s, not text" % (name, type(text).__name__))
    return text
