#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: report_files
short_description: Write JSON files on the controller, one per name, each replaced whole
version_added: 0.2.0
description:
  - Writes each value of O(json_files) as C(<dir>/<name>.json) (C(to_nice_json) with indent 1, one newline at the
    end), and each value of O(text_files) as C(<dir>/<name>), on the B(controller), in the controller's own
    process (no module runs, whatever the task's host or connection). The fleet_report role writes each host's
    report and the fleet pages with it; a C(copy) or C(template) task per file costs two module runs.
  - Each file is written to a temporary file in O(dir) and renamed over the old one, so a reader sees the old file
    or the new one. A file whose content is already the same is left as it is (not C(changed)).
  - Each file is checked and written on its own. A name that is not one file name (a C(/), a NUL, empty), a value
    that cannot be written, or a file that cannot be replaced fails the task naming it (RV(not_written)), after
    every other file was written, so one host's odd name costs the other hosts nothing. Two values for one file name
    fail the task before anything is written.
  - O(dir) and the directories above it that are missing are created with mode 0755 whatever the umask; O(dir)
    gets mode 0755 when it exists. A file whose content is already the same gets O(mode) if it has another.
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  dir:
    description: The directory, an absolute path on the controller.
    type: str
    required: true
  json_files:
    description: File name (without C(.json)) to the data written as JSON in it.
    type: dict
    default: {}
  text_files:
    description:
      - File name to the text written in it as it is (UTF-8), for example a page rendered with the
        C(ansible.builtin.template) lookup. A value that is not text fails the task.
    type: dict
    default: {}
  mode:
    description: The files' mode, whatever the umask; an octal string (C("0644")) or the number itself (YAML's
      unquoted C(0644)).
    type: raw
    default: "0644"
attributes:
  check_mode:
    support: full
    description: Reports the files that would change, writes nothing.
  diff_mode:
    support: none
    description: The files are reports, not configuration; no diff is shown.
  action:
    support: full
    description: Runs on the controller only.
notes:
  - The action runs on the controller; this module file carries its documentation and fails if run on a host.
"""

EXAMPLES = r"""
- name: Write each host's report
  sanfleet.remediation.report_files:
    dir: "{{ playbook_dir }}/reports/hosts"
    json_files: "{{ dict(reports | map(attribute='host') | zip(reports)) }}"
"""

RETURN = r"""
written:
  description: The file names whose content changed (or would change, in check mode).
  returned: always
  type: list
  elements: str
unchanged:
  description: How many files already held the same content.
  returned: always
  type: int
not_written:
  description: Each file that was not written, with why.
  returned: when a file was not written
  type: list
  elements: str
dir:
  description: The directory written to.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(dir=dict(type="str", required=True),
                                              json_files=dict(type="dict", default={}),
                                              text_files=dict(type="dict", default={}),
                                              mode=dict(type="raw", default="0644")),
                           supports_check_mode=True)
    module.fail_json(msg="report_files runs on the controller as an action; it was run as a module on a host")


if __name__ == "__main__":
    main()
