# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/nvme_fix.py`: the NVMe-oF fix's plan from a host tree (SanTree,
observe/helpers.py) read by the real reader and judged by nvme_audit; the module's own tests (modules/
test_nvme_conf.py) run the plan against the tree."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_audit, nvme_fix
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import SanTree


def plan(t, rule_now=None, **kw):
    read = nvme.read_nvme_fabrics(t.root)
    return nvme_fix.plan_fix(read, nvme_audit.audit(read), kw.get("iopolicy", "round-robin"),
                             kw.get("ctrl_loss_tmo", 600), nvme_fix.DEFAULT_RULE, rule_now,
                             kw.get("persist_identity", True))


def test_a_compliant_host_plans_nothing_and_a_rule_already_as_wanted_is_not_rewritten(tmp_path):
    t = SanTree(tmp_path / "root").ontap_nvme_tcp(paths=2)
    assert plan(t) == {"changes": [], "held": [], "not_fixed": []}
    t._write("/sys/devices/virtual/nvme-fabrics/ctl/nvme0/ctrl_loss_tmo", "off\n")
    wanted = nvme_fix.rule_text("round-robin", 600)
    assert [c["action"] for c in plan(t, rule_now=wanted)["changes"]] == ["bound_ctrl_loss_tmo"]
    assert [c["action"] for c in plan(t, rule_now="# older\n")["changes"]] == ["write_udev_rule",
                                                                             "bound_ctrl_loss_tmo"]


def test_the_rule_bounds_at_add_and_at_change_only_while_live_and_sorts_after_nvme_cli(tmp_path):
    """A change event of a controller in an outage must not bound it (the reason the live fix holds it); the file
    name sorts after 71-nvmf-netapp.rules, whose -1 it must override."""
    text = nvme_fix.rule_text("queue-depth", 900)
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert [ln.split(",")[0] for ln in lines] == ['ACTION=="add"', 'ACTION=="add"', 'ACTION=="change"']
    assert 'ATTR{state}=="live"' in lines[2] and 'ATTR{state}' not in lines[1]
    assert 'ATTR{iopolicy}="queue-depth"' in lines[0] and all('ATTR{ctrl_loss_tmo}="900"' in ln for ln in lines[1:])
    assert sorted(["71-nvmf-netapp.rules", "71-nvmf-iopolicy-netapp.rules", nvme_fix.DEFAULT_RULE.rsplit("/")[-1]])[
        -1] == nvme_fix.DEFAULT_RULE.rsplit("/")[-1]


def test_a_host_whose_read_did_not_finish_gets_no_change(tmp_path):
    """Unknown is not compliant and not fixable: nothing is planned, the finding is in not_fixed."""
    result = nvme_fix.plan_fix(None, nvme_audit.audit(None), "round-robin", 600, nvme_fix.DEFAULT_RULE, None)
    assert result["changes"] == [] and [h["check"] for h in result["not_fixed"]] == ["nvme_unreadable"]


def test_native_multipath_off_and_the_boot_units_are_reported_not_fixed(tmp_path):
    t = SanTree(tmp_path / "root").ontap_nvme_tcp(paths=1)
    t.nvme_core("N")
    result = plan(t)
    assert "nvme_native_multipath_off" in [h["check"] for h in result["not_fixed"]]
    assert result["changes"] == []
