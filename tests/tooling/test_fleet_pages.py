# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fleet pages, the JUnit report a CI dashboard reads and the deprecated multipath_audit role say about
the compact multipath/LVM audits: every map that queued is named, the result shape old playbooks read is kept."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import jinja2
import pytest
import xml.etree.ElementTree as ET
import yaml

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import fleet_report, host_report
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import nvme_result
from ansible_collections.sanfleet.remediation.tests.tooling.helpers import QUEUEING, ROOT, fleet_page, queueing_fleet


def _pages():
    """fleet.md and fleet.html of queueing_fleet()."""
    fleet = queueing_fleet()
    return dict((name, fleet_page(name, fleet)) for name in ("fleet.md.j2", "fleet.html.j2"))


# rev-i31f: one live_map_queueing row per host names the first five maps in its reason; fleet.md and fleet.html
# (whose filter is for 'host, device, check, text') must name the others too
@pytest.mark.parametrize("page", ["fleet.md.j2", "fleet.html.j2"])
def test_every_queueing_map_is_named_in_the_fleet_pages(page):
    text = _pages()[page]
    assert "live_map_queueing" in text
    # af0799c: one row per map, every map named; i31-findings: '8 maps' and five names ('and 3 more')
    assert [m for m in QUEUEING if m not in text] == []


def test_deprecated_multipath_audit_role_keeps_the_result_shape_old_playbooks_read():
    # rev-i31f: the deprecated role 'keeps the results the old playbooks read', but multipath_audit_before had the
    # compact shape (live_maps a dict, live_map_queueing scope 'maps') unless the caller knew multipath_config_detail
    tasks = yaml.safe_load((ROOT / "roles" / "multipath_audit" / "tasks" / "main.yml").read_text())
    (include,) = [t for t in tasks if "ansible.builtin.include_role" in t]
    defaults = yaml.safe_load((ROOT / "roles" / "multipath_config" / "defaults" / "main.yml").read_text())
    # the form multipath_audit_before takes when an old playbook sets no new variable: the include's, else the
    # multipath_config role's default (sanfleet_facts_detail unset), else the one form the modules had (full)
    detail = include["vars"].get("multipath_config_detail", defaults.get("multipath_config_detail", "full"))
    assert jinja2.Environment().from_string(str(detail)).render() == "full"


def test_runbook_full_detail_gives_one_report_row_per_map_as_it_says():
    # rev-i31f: docs/runbook.md said -e sanfleet_facts_detail=full gives one finding per map and device again; the
    # reports and the compliance violations shape either form to one per check (compact_audit)
    runbook = " ".join((ROOT / "docs" / "runbook.md").read_text().split())
    full = {"remaining_findings": [{"check": "live_map_queueing", "scope": "map:%s" % m, "key": "queueing",
                                    "value": "on", "recommended": None, "severity": "warning", "shadowed": False,
                                    "in_file": None, "fixable": False, "reason": "queues"} for m in QUEUEING],
            "findings": [], "live_maps_queueing": QUEUEING}
    rows = [r for r in host_report({"multipath": full}, "host1", "audit")["findings"]
            if r["check"] == "live_map_queueing"]
    if "sanfleet_facts_detail=full` gives one per map and device again" in runbook:
        assert sorted(r["object"] for r in rows) == QUEUEING
    else:  # what it says instead: full changes the raw results only, the reports stay one per check
        assert "the reports and the compliance violations are one per check either way" in runbook
        assert [(r["object"], r["devices"]) for r in rows] == [("8 maps", QUEUEING)]


def test_lab_tests_expect_the_schema_version_the_reports_write():
    # rev-i31f: report schema 1.3, but tests/integration/test_fc_lab.py (lab, bookworm CI) asserted '1.2'. A lab
    # test compares with SCHEMA_VERSION itself, or with a literal that must be the version the reports write.
    import re

    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import SCHEMA_VERSION

    expected = {}
    for path in sorted((ROOT / "tests" / "integration").glob("*.py")):
        text = path.read_text()
        for version in re.findall(r"""schema_version["']\]\s*==\s*["']([0-9.]+)["']""", text):
            expected.setdefault(version, []).append(path.name)
        if re.search(r"""schema_version["']\]\s*==\s*SCHEMA_VERSION\b""", text) and \
                re.search(r"report_findings import[^\n]*\bSCHEMA_VERSION\b", text):
            expected.setdefault(SCHEMA_VERSION, []).append(path.name)
    assert expected and set(expected) == {SCHEMA_VERSION}, expected


def test_role_report_names_the_maps_that_queued_before_the_fix():
    # rev-i31f: the role's report listed the scopes of the warnings before the fix: compact said 'maps' where full
    # named each map ('map:<name>'), so with the fix on the maps that queued before it were named nowhere
    try:
        from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact_audit
        shape = compact_audit.multipath_result
    except ImportError:  # af0799c: the one (full) form
        def shape(result, detail):
            return result

    tasks = yaml.safe_load((ROOT / "roles" / "multipath_config" / "tasks" / "main.yml").read_text())
    (report,) = [t for t in tasks if t.get("name") == "Report the findings"]
    expression = report["ansible.builtin.debug"]["msg"]["multipath_findings_before_fix"]
    full = {"findings": [{"check": "live_map_queueing", "scope": "map:%s" % m, "key": "queueing", "value": "on",
                          "recommended": None, "severity": "warning", "shadowed": False, "in_file": None,
                          "fixable": False, "reason": "queues"} for m in QUEUEING], "live_maps_queueing": QUEUEING}
    shown = dict((detail, jinja2.Environment().from_string(expression).render(
        multipath_config_before=shape(full, detail))) for detail in ("full", "compact"))
    assert all(m in shown["full"] for m in QUEUEING)
    assert [m for m in QUEUEING if m not in shown["compact"]] == [], shown["compact"]
    assert shown["compact"] == shown["full"]  # the same list from either form


def _junit():
    """junit.xml of queueing_fleet() (tests/tooling/helpers.py)."""
    return fleet_page("junit.xml.j2", queueing_fleet())


def test_junit_names_every_queueing_map_of_the_failed_case():
    root = ET.fromstring(_junit())
    (case,) = [c for c in root.iter("testcase") if c.get("name") == "multipath/live_map_queueing"]
    failure = case.find("failure")
    assert failure is not None  # the host fails the check in either version
    text = failure.get("message") + "\n" + (failure.text or "")
    # af0799c: one violation per map, each named ('8 violation(s): <map>, <map>, ...'); i31-findings: '1
    # violation(s): 8 maps' and a reason naming five ('... and 3 more'): the dashboard cannot find mpath 5-7
    assert [m for m in QUEUEING if m not in text] == []


def test_the_fleet_page_lists_the_nvme_controllers_of_the_hosts_it_judged(tmp_path):
    """fleet.md's NVMe over Fabrics section lists each judged host's controllers with state and ctrl_loss_tmo, and
    leaves out a host the audit found without NVMe-oF (not applicable: nothing to list)."""
    san = {"host": {"san_presence": "san", "initiators": ["iqn.h1"]}, "maps": {}, "disks": {}, "errors": []}
    reports = {"nvme-host": host_report({"san": san, "nvme": nvme_result(tmp_path / "a", ctrl_loss_tmo="off",
                                                                         state="connecting")}, "nvme-host", "audit"),
               "scsi-host": host_report({"san": san, "nvme": nvme_result(tmp_path / "b", paths=0)}, "scsi-host",
                                        "audit")}
    fleet = fleet_report(reports, ["nvme-host", "scsi-host"], generated_at=1.0, run="audit")
    page = fleet_page("fleet.md.j2", fleet)
    section = page[page.index("## NVMe over Fabrics"):page.index("## Findings, worst first")]
    assert "### nvme-host" in section and "scsi-host" not in section
    assert "| nvme0 | " in section and "| connecting | io | off | off |" in section
    assert "| nvme-subsys0 | " in section and "| yes | round-robin |" in section


@pytest.mark.parametrize("page", ["fleet.md.j2", "fleet.html.j2"])
def test_a_stale_cleanup_task_that_timed_out_is_not_called_a_lost_host_in_the_fleet_pages(page):
    """remediation.unknown (schema 3.0) covers a module whose task timeout stopped waiting (the module runs on, on a
    host that answers) and a crash, not only a dropped connection; the pages' count line calls every such host
    "LOST while the module ran", sending the operator after the network while the module may still be removing
    devices there."""
    timed_out = {"unanswered": True, "msg": "The sanfleet.remediation.stale_cleanup action failed to execute in the "
                                            "expected time frame (2190) and was terminated"}
    report = host_report({"san": {}, "plan": timed_out, "applied": timed_out, "approval": "approved",
                          "failed": {"unreachable": False, "task": "Find and remove", "msg": timed_out["msg"]}},
                         "h1", "remediate")
    fleet = fleet_report([report], ["h1"], ["h1"], generated_at="2026-11-29T17:00:00Z", run="remediate")
    assert fleet["counts"]["remediation"]["unknown"] == 1
    assert "LOST" not in fleet_page(page, fleet)
