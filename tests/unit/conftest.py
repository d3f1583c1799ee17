# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unpacked lab captures go when the session ends, in the process that unpacked them (an xdist worker
included: its exit handlers may not get the time; tests/unit/plugins/module_utils/captures.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import captures


def pytest_sessionfinish(session, exitstatus):
    captures.remove_all()
