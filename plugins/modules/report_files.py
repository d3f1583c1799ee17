#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: report_files
short_description: Write JSON files and pages rendered from the role's templates on the controller, each replaced whole
version_added: 0.2.0
description:
  - Writes each value of O(json_files) as C(<dir>/<name>.json) (C(to_nice_json) with indent 1, one newline at the
    end), each value of O(text_files) as C(<dir>/<name>), and each template of O(templates) rendered as
    C(<dir>/<name>), on the B(controller), in the controller's own process (no module runs, whatever the task's
    host or connection). The fleet_report role writes each host's report and the fleet pages with it; a C(copy) or
    C(template) task per file costs two module runs.
  - O(templates) are rendered with plain Jinja2 over plain data, not with Ansible's templating, for a fraction of
    the controller CPU of the C(ansible.builtin.template) lookup. The variables are data, never templates
    themselves (a value holding a Jinja2 expression such as C({{ 7 * 7 }}) is written as that text), and the
    templates can use Jinja2's own filters and tests only (not Ansible's, such as C(flatten) or C(to_json)). With
    the settings of the C(ansible.builtin.template) lookup (trim_blocks on, lstrip_blocks off, the template's
    trailing newlines kept, C(None) printed as nothing, an undefined variable an error) a page is byte for byte
    what that lookup renders from the same template and data.
  - Each file is written to a temporary file in O(dir) and renamed over the old one, so a reader sees the old file
    or the new one. A file whose content is already the same is left as it is (not C(changed)).
  - Each file is checked and written on its own. A name that is not one file name (a C(/), a NUL, empty), a value
    that cannot be written, a template that does not render with the data, or a file that cannot be replaced fails
    the task naming it (and the template, and its line, RV(not_written)), after every other file was written, so one
    host's odd name costs the other hosts nothing; the file is left as it was. Two values for one file name, a
    template name that is not one file name, a template that is not found or does not compile, or a template
    variable given twice fail the task before anything is written.
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
      - File name to the text written in it as it is (UTF-8). A value that is not text fails the task.
    type: dict
    default: {}
  templates:
    description:
      - File name to the name of the template rendered into it (UTF-8), found as the C(ansible.builtin.template)
        lookup finds it, in the C(templates/) directory of the task's role (then of the playbook). The template name
        is one file name (no path separator, not C(..)); the templates see O(template_vars) and
        O(template_vars_from_json), nothing else.
    type: dict
    default: {}
  template_vars:
    description: Variable name to its value, the variables O(templates) see (as data, never templated).
    type: dict
    default: {}
  template_vars_from_json:
    description:
      - Variable name to the name of an entry of O(json_files), whose data O(templates) see under that variable
        name. Data both written as JSON and rendered is then given (and built by its task argument) once.
      - A name that is no entry of O(json_files), or a variable that is also in O(template_vars), fails the task.
    type: dict
    default: {}
  mode:
    description: The files' mode, whatever the umask; an octal string (C("0644")) or the number itself (YAML's
      unquoted C(0644)).
    type: raw
    default: "0644"
  fleet_artifact_of:
    description:
      - The name of an entry of O(json_files) that is a fleet report (the C(sanfleet.remediation.fleet_report)
        filter's); its job artifact is returned as RV(fleet_artifact), so that the tasks after the write read the
        small artifact instead of building the fleet report again. An entry that is not there or is no fleet report
        fails the task before anything is written.
    type: str
  fleet_artifact_run:
    description: The run the artifact names (C(audit), C(compliance) or C(remediate)).
    type: str
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

# in a role with templates/fleet.md.j2: the fleet's data as fleet.json and rendered into fleet.md, built once
- name: Write the fleet data and its page
  sanfleet.remediation.report_files:
    dir: "{{ playbook_dir }}/reports"
    json_files:
      fleet: "{{ fleet_report }}"
    templates:
      fleet.md: fleet.md.j2
    template_vars_from_json:
      fleet_report: fleet
    template_vars:
      fleet_report_igroups: "{{ fleet_report_igroups }}"
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
fleet_artifact:
  description:
    - The job artifact C(sanfleet_report) of the fleet report O(fleet_artifact_of) names (docs/reports.md) - C(run),
      C(dir) (O(dir)), C(counts), C(hosts) (host to status), C(worst), C(array), C(failed) (failed host to its
      error) and C(array_gate).
  returned: when O(fleet_artifact_of) is given and every file was written
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(dir=dict(type="str", required=True),
                                              json_files=dict(type="dict", default={}),
                                              text_files=dict(type="dict", default={}),
                                              templates=dict(type="dict", default={}),
                                              template_vars=dict(type="dict", default={}),
                                              template_vars_from_json=dict(type="dict", default={}),
                                              mode=dict(type="raw", default="0644"),
                                              fleet_artifact_of=dict(type="str"),
                                              fleet_artifact_run=dict(type="str")),
                           supports_check_mode=True)
    module.fail_json(msg="report_files runs on the controller as an action; it was run as a module on a host")


if __name__ == "__main__":
    main()
