# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters import their code when first called: an Ansible worker that only resolves one of the collection's
filters loads the filter files, and must not pay for the report and compliance code with them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.filter import fleet_identity as fleet_identity_filter
from ansible_collections.sanfleet.remediation.plugins.filter import host_report as host_report_filter
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import report
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.deferred import deferred
from ansible_collections.sanfleet.remediation.tests.unit.helpers import modules_imported_after

FILTER_FILES = sorted(name[:-3] for name in os.listdir(os.path.dirname(host_report_filter.__file__))
                      if name.endswith(".py") and not name.startswith("_"))
PREFIX = "ansible_collections.sanfleet.remediation.plugins."


def test_loading_every_filter_file_imports_no_report_or_host_code():
    """Fails when a filter file imports the report, compliance or module_utils code when it is loaded."""
    modules = modules_imported_after("\n".join("import %sfilter.%s" % (PREFIX, f) for f in FILTER_FILES))
    assert len(FILTER_FILES) >= 10 and PREFIX + "filter.host_report" in modules  # the probe works
    loaded_code = [m for m in modules if m.startswith((PREFIX + "plugin_utils.", PREFIX + "module_utils."))]
    # deferred, and type_names (san_report's error message; it imports nothing): no report, compliance or host code
    assert sorted(loaded_code) == [PREFIX + "plugin_utils.deferred", PREFIX + "plugin_utils.type_names"]


def test_calling_a_filter_imports_its_code():
    """Fails when the first call does not import the module the filter names (the probe above would then prove
    nothing: the code would never be reached)."""
    code = ("from %sfilter.igroup_layout import igroup_layout\nigroup_layout([])" % PREFIX)
    assert PREFIX + "plugin_utils.report" in modules_imported_after(code)


def test_a_deferred_filter_is_its_function():
    """Fails when a filter returns something else than the function it defers to, or hides its error."""
    reports = [report.host_report({"not_san": True}, "h1", "audit"), report.host_report({"not_san": True}, "h2", "audit")]
    assert fleet_identity_filter.fleet_identity(reports) == report.fleet_identity(reports)
    assert host_report_filter.host_report({"not_san": True}, "h1", "audit") == reports[0]
    with pytest.raises(AnsibleFilterError):
        host_report_filter.host_report("not a dict", "h1", "audit")
    assert host_report_filter.host_report.__name__ == "host_report"


def test_a_deferred_name_that_does_not_exist_fails_when_called():
    """Fails when a misspelt name passes silently."""
    missing = deferred("report", "no_such_filter")
    with pytest.raises(AttributeError, match="no_such_filter"):
        missing({})
