# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: report_dir
short_description: The reports' directory as an absolute path on the controller, relative to where you run from
version_added: 0.1.0
author: sanfleet.remediation contributors
description:
  - Returns the absolute form of a directory of the controller. A relative path is taken relative to the working
    directory of the C(ansible-playbook) process (the directory you run it from; in AWX the job's project
    directory), never relative to the playbook's directory, which for a playbook run by its FQCN is inside the
    installed collection.
  - C(~) is expanded. Ansible's own path handling (the file, copy and template modules on the controller, options
    of type path) would resolve a relative path elsewhere, so the playbooks pass this absolute path on.
options:
  _input:
    description: A directory, absolute or relative.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Where the reports go
  ansible.builtin.debug:
    msg: "{{ sanfleet_report_dir | default('sanfleet-reports') | sanfleet.remediation.report_dir }}"
"""

RETURN = r"""
_value:
  description: The absolute, normalised path.
  type: str
"""

import os

from ansible.errors import AnsibleFilterError


def report_dir(path):
    if not isinstance(path, str) or not path.strip():
        raise AnsibleFilterError("report_dir: expected a directory path, got %r" % (path,))
    # os.getcwd(): the controller process's directory; $PWD is not reliable (a parent process's, or unset)
    return os.path.normpath(os.path.join(os.getcwd(), os.path.expanduser(path.strip())))


class FilterModule(object):
    def filters(self):
        return {"report_dir": report_dir}
