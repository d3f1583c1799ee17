# -*- coding: utf-8 -*-
"""Review of i31-findings (compact multipath/LVM audits, issue 31): what the fleet pages and the deprecated role
still say. Each test is a strict xfail until the defect is fixed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib

import jinja2
import pytest
import yaml

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import fleet_report, host_report

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUEUEING = ["3600a098038304c61622d30303%02d2b4162" % i for i in range(8)]


def _pages():
    """fleet.md and fleet.html of a compliance run over one host whose eight NETAPP maps queue without bound."""
    report = host_report({"multipath": {"remaining_findings": [], "findings": [], "live_maps_queueing": QUEUEING}},
                         "host1", "compliance")
    fleet = fleet_report([report], ["host1"], ["host1"], generated_at="2026-11-25T02:00:00Z", run="compliance")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT / "roles" / "fleet_report" / "templates")))
    return dict((name, env.get_template(name).render(fleet_report=fleet, fleet_report_igroups=[],
                                                     fleet_report_run="compliance"))
                for name in ("fleet.md.j2", "fleet.html.j2"))


@pytest.mark.xfail(strict=True, reason="rev-i31f: one live_map_queueing row per host names the first five maps; "
                                       "the others are in hosts/<host>.json only: fleet.md and fleet.html (whose "
                                       "filter is for 'host, device, check, text') name them nowhere")
@pytest.mark.parametrize("page", ["fleet.md.j2", "fleet.html.j2"])
def test_rev_i31f_every_queueing_map_is_named_in_the_fleet_pages(page):
    text = _pages()[page]
    assert "live_map_queueing" in text
    # af0799c: one row per map, every map named; i31-findings: '8 maps' and five names ('and 3 more')
    assert [m for m in QUEUEING if m not in text] == []


@pytest.mark.xfail(strict=True, reason="rev-i31f: the deprecated multipath_audit role 'keeps the results the old "
                                       "playbooks read', but multipath_audit_before now has the compact shape "
                                       "(live_maps a dict, live_map_queueing scope 'maps') unless the caller knows "
                                       "the new multipath_config_detail")
def test_rev_i31f_deprecated_multipath_audit_role_keeps_the_result_shape_old_playbooks_read():
    tasks = yaml.safe_load((ROOT / "roles" / "multipath_audit" / "tasks" / "main.yml").read_text())
    (include,) = [t for t in tasks if "ansible.builtin.include_role" in t]
    defaults = yaml.safe_load((ROOT / "roles" / "multipath_config" / "defaults" / "main.yml").read_text())
    # the form multipath_audit_before takes when an old playbook sets no new variable: the include's, else the
    # multipath_config role's default (sanfleet_facts_detail unset), else the one form the modules had (full)
    detail = include["vars"].get("multipath_config_detail", defaults.get("multipath_config_detail", "full"))
    assert jinja2.Environment().from_string(str(detail)).render() == "full"
