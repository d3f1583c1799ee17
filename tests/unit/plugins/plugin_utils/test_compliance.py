# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/plugin_utils/compliance.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.sanfleet.remediation.plugins.filter import (
    compliance_violations as cv_filter, host_report as hr_filter)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import QUEUEING


def _doc_text(module):
    """Every description of the plugin's DOCUMENTATION and RETURN as one line."""
    text = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "description":
                    text.extend(value if isinstance(value, list) else [value])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(yaml.safe_load(module.DOCUMENTATION))
    walk(yaml.safe_load(module.RETURN))
    return " ".join(" ".join(str(t) for t in text).split())


def test_filter_docs_say_how_a_violation_about_several_maps_names_them():
    """Fails when the filters' docs do not say that the maps of one violation are listed in devices."""
    (v,) = compliance_violations({"multipath": {"remaining_findings": [], "live_maps_queueing": QUEUEING}})
    # the code: one violation whose object is a count, every name in devices
    assert (v["object"], v["device"], v["devices"], v["count"]) == ("8 maps", None, QUEUEING, 8)
    for module in (cv_filter, hr_filter):
        doc = _doc_text(module)
        # compliance_violations: 'One dict per violation, with area, check, object and text ... device, wwid and
        # reason' and 'every live map that queues without bound'; host_report: 'Every finding names its object (the
        # map, disk, ...)': neither says that the maps of one finding are in devices, the object '<count> maps'
        assert "C(devices)" in doc, (module.__name__, doc)
