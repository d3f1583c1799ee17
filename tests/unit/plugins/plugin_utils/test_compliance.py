# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/plugin_utils/compliance.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible_collections.sanfleet.remediation.plugins.filter import (
    compliance_violations as cv_filter, host_report as hr_filter)
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import QUEUEING, nvme_result
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    NVME_LAB_LIFS, nvme_array_truth)


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


def test_the_nvme_audits_violations_are_compliance_violations_and_its_warnings_are_not(tmp_path):
    """A controller that reconnects forever (ctrl_loss_tmo off) is a violation of area nvme with its setting and
    value; the disabled autoconnect unit (a warning) is a report row, not a violation."""
    def disable(tree):
        os.unlink(tree.path("/etc/systemd/system/default.target.wants/nvmf-autoconnect.service"))
    nvme = nvme_result(tmp_path / "root", setup=disable, paths=1, ctrl_loss_tmo="off")
    assert sorted(f["check"] for f in nvme["findings"]) == ["nvme_autoconnect_off", "nvme_ctrl_loss_unbounded"]
    (v,) = compliance_violations({"nvme": nvme})
    assert (v["area"], v["check"], v["object"], v["setting"], v["value"]) == (
        "nvme", "nvme_ctrl_loss_unbounded", "nvme0", "ctrl_loss_tmo", "off")
    assert v["text"].startswith("nvme nvme_ctrl_loss_unbounded: nvme0 (")


def test_a_host_without_nvme_of_or_whose_nvme_audit_was_skipped_has_no_nvme_violation(tmp_path):
    """Not applicable (no fabrics controller) and not run (skipped) both add nothing."""
    assert compliance_violations({"nvme": nvme_result(tmp_path / "root", paths=0)}) == []
    assert compliance_violations({"nvme": {"skipped": True}}) == []


def test_a_stale_nvme_namespace_and_a_controller_to_a_lif_gone_are_violations():
    """The NVMe verdicts count in the compliance job as the SCSI ones do: the namespace the array unmapped behind a
    dead controller, or the controller to a LIF gone, each one violation naming it; the namespaces mapped with one
    path down are not violations (an outage). Without NVMe verdicts (no NVMe truth) nothing is added."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_verdicts
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        load_captured)
    reader, lab = load_captured("nvme_stale")
    san = reader.snapshot(probe=False)
    dead = next(c["name"] for c in lab["nvme"]["controllers"] if c["state"] == "connecting")
    san["nvme_verdicts"] = nvme_verdicts.cross_check(san["nvme"], nvme_array_truth(lab["nvme"], lifs=NVME_LAB_LIFS))
    violations = [(v["area"], v["check"], v["object"]) for v in compliance_violations({"san": san})]
    assert violations == [("stale", "stale_unmapped", "nvme0n2")]
    # LIF a deleted: the controller to it is a violation; the namespace reached only there is not judged
    san["nvme_verdicts"] = nvme_verdicts.cross_check(san["nvme"], nvme_array_truth(lab["nvme"]))
    violations = [(v["area"], v["check"], v["object"]) for v in compliance_violations({"san": san})]
    assert violations == [("stale", "lif_gone", dead)]
    del san["nvme_verdicts"]
    assert compliance_violations({"san": san}) == []
