# -*- coding: utf-8 -*-
"""Review of i31-findings (compact multipath/LVM audits, issue 31): what the fleet pages and the deprecated role
still say. Each test was a strict xfail until its fix; each now holds the fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib

import jinja2
import pytest
import yaml

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import fleet_report, host_report

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "roles" / "fleet_report" / "templates"
QUEUEING = ["3600a098038304c61622d30303%02d2b4162" % i for i in range(8)]


def queueing_fleet():
    """The fleet report of a compliance run over one host whose eight NETAPP maps queue without bound."""
    report = host_report({"multipath": {"remaining_findings": [], "findings": [], "live_maps_queueing": QUEUEING}},
                         "host1", "compliance")
    return fleet_report([report], ["host1"], ["host1"], generated_at="2026-11-25T02:00:00Z", run="compliance")


def _pages():
    """fleet.md and fleet.html of queueing_fleet()."""
    fleet = queueing_fleet()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)))
    return dict((name, env.get_template(name).render(fleet_report=fleet, fleet_report_igroups=[],
                                                     fleet_report_run="compliance"))
                for name in ("fleet.md.j2", "fleet.html.j2"))


# rev-i31f: one live_map_queueing row per host names the first five maps in its reason; fleet.md and fleet.html
# (whose filter is for 'host, device, check, text') must name the others too
@pytest.mark.parametrize("page", ["fleet.md.j2", "fleet.html.j2"])
def test_rev_i31f_every_queueing_map_is_named_in_the_fleet_pages(page):
    text = _pages()[page]
    assert "live_map_queueing" in text
    # af0799c: one row per map, every map named; i31-findings: '8 maps' and five names ('and 3 more')
    assert [m for m in QUEUEING if m not in text] == []


def test_rev_i31f_deprecated_multipath_audit_role_keeps_the_result_shape_old_playbooks_read():
    # rev-i31f: the deprecated role 'keeps the results the old playbooks read', but multipath_audit_before had the
    # compact shape (live_maps a dict, live_map_queueing scope 'maps') unless the caller knew multipath_config_detail
    tasks = yaml.safe_load((ROOT / "roles" / "multipath_audit" / "tasks" / "main.yml").read_text())
    (include,) = [t for t in tasks if "ansible.builtin.include_role" in t]
    defaults = yaml.safe_load((ROOT / "roles" / "multipath_config" / "defaults" / "main.yml").read_text())
    # the form multipath_audit_before takes when an old playbook sets no new variable: the include's, else the
    # multipath_config role's default (sanfleet_facts_detail unset), else the one form the modules had (full)
    detail = include["vars"].get("multipath_config_detail", defaults.get("multipath_config_detail", "full"))
    assert jinja2.Environment().from_string(str(detail)).render() == "full"


def test_rev_i31f_runbook_full_detail_gives_one_report_row_per_map_as_it_says():
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


def test_rev_i31f_lab_tests_expect_the_schema_version_the_reports_write():
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


def test_rev_i31f_role_report_names_the_maps_that_queued_before_the_fix():
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
