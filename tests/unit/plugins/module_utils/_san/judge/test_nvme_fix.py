# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/nvme_fix.py`: the NVMe-oF fix's plan from a host tree (SanTree,
observe/helpers.py) read by the real reader and judged by nvme_audit; the module's own tests (modules/
test_nvme_conf.py) run the plan against the tree."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import os
import re

import pytest

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
    assert [c["action"] for c in plan(t, rule_now="# older\n")["changes"]] == [
        "bound_ctrl_loss_tmo", "write_udev_rule"]


# --- the rule as udevd applies it: every match key of a line must hold (ACTION, SUBSYSTEM, KERNEL, ATTR{} with
# shell globs and "|" alternatives; an ATTR compared without its trailing blanks, one the kernel lacks read as
# empty), then the line's ATTR{}= assignments are written in order; an attribute written by an earlier line of the
# same event is matched by the text written (sd_device_set_sysattr_value keeps it), not read again from sysfs
UDEV_KEY = re.compile(r'\s*([A-Z]+)(?:\{([^}]*)\})?\s*(==|!=|=)\s*"([^"]*)"\s*(?:,|$)')
# nvme-cli's 71-nvmf-netapp.rules (nvmf-autoconnect/udev-rules), which the file must sort after
NVME_CLI_NETAPP = (
    'ACTION=="add", SUBSYSTEM=="nvme-subsystem", ATTR{subsystype}=="nvm", ATTR{model}=="NetApp ONTAP Controller", '
    'ATTR{iopolicy}="queue-depth"\n'
    'ACTION!="remove", SUBSYSTEM=="nvme", KERNEL=="nvme*", ATTR{transport}=="tcp", '
    'ATTR{model}=="NetApp ONTAP Controller", ATTR{ctrl_loss_tmo}="-1"\n')
MODEL = nvme_audit.ONTAP_MODEL.ljust(40)   # sysfs prints the 40-byte field padded with blanks


def udev_event(text, action, subsystem, kernel, attrs):
    """Apply the rules `text` to one event on a device whose attributes are `attrs` (changed in place): the
    (attribute, value) pairs written, in order."""
    written = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keys = UDEV_KEY.findall(line)
        assert keys, line
        matched = True
        for key, attr, op, value in (k for k in keys if k[2] != "="):
            actual = {"ACTION": action, "SUBSYSTEM": subsystem, "KERNEL": kernel}.get(key)
            if key == "ATTR":
                actual = (attrs.get(attr) or "").rstrip()
            if any(fnmatch.fnmatchcase(actual, alt) for alt in value.split("|")) != (op == "=="):
                matched = False
                break
        if matched:
            for _key, attr, _op, value in (k for k in keys if k[2] == "="):
                attrs[attr] = value
                written.append((attr, value))
    return written


def controller(state, **attrs):
    return dict({"transport": "tcp", "model": MODEL, "state": state, "cntrltype": "io", "ctrl_loss_tmo": "off"},
                **attrs)


@pytest.mark.parametrize("action", ["add", "change"])
@pytest.mark.parametrize("state", ["connecting", "resetting", "new", "deleting", "dead"])
def test_no_event_bounds_a_controller_that_is_not_live(action, state):
    """`udevadm trigger --action=add` (systemd-udev-trigger at boot, a udev reload) replays "add" for controllers
    that exist, in whatever state: one reconnecting longer than the bound has counted more attempts than the new
    max_reconnects and goes at its next one, with its namespace paths. No event bounds a controller that is not
    live, with nvme-cli's rule before it or without."""
    rule = nvme_fix.rule_text("round-robin", 600)
    for rules in (rule, NVME_CLI_NETAPP + rule):
        assert ("ctrl_loss_tmo", "600") not in udev_event(rules, action, "nvme", "nvme0", controller(state))


@pytest.mark.parametrize("action", ["add", "change"])
def test_a_live_ontap_controller_is_bounded_after_nvme_clis_rule_and_without_it(action):
    """nvme-cli's NetApp rule writes -1 first (udev matches the text it wrote); a host without it has off."""
    rule = nvme_fix.rule_text("round-robin", 600)
    for rules in (rule, NVME_CLI_NETAPP + rule):
        ctrl = controller("live")
        udev_event(rules, action, "nvme", "nvme0", ctrl)
        assert ctrl["ctrl_loss_tmo"] == "600", rules


@pytest.mark.parametrize("attrs", [dict(cntrltype="discovery"), dict(transport="fc"),
                                   dict(model="Other Array".ljust(40)), dict(ctrl_loss_tmo="1800")],
                         ids=["discovery", "nvme-fc", "other-array", "bounded-by-the-site"])
def test_the_rule_leaves_discovery_fc_other_arrays_and_a_chosen_bound_alone(attrs):
    """A persistent discovery controller (its settings are not judged), NVMe/FC (its loss follows the rport too),
    another array's controller, and a bound the site chose: none is changed."""
    rule = nvme_fix.rule_text("round-robin", 600)
    assert udev_event(rule, "change", "nvme", "nvme0", controller("live", **attrs)) == []


def test_the_rule_never_turns_a_policy_another_rule_chose_into_its_own():
    """NetApp's rule sets queue-depth (RHEL 9.7+, SLES 15 SP6+): the fix's rule, written for a bound, changed it to
    round-robin at the next add though the audit found nothing wrong with the policy. Only numa is changed, and
    never on a discovery subsystem."""
    rule = nvme_fix.rule_text("round-robin", 600)
    subsystem = {"subsystype": "nvm", "model": MODEL, "iopolicy": "numa"}   # the kernel's default at add
    udev_event(NVME_CLI_NETAPP + rule, "add", "nvme-subsystem", "nvme-subsys0", subsystem)
    assert subsystem["iopolicy"] == "queue-depth"
    subsystem = {"subsystype": "nvm", "model": MODEL, "iopolicy": "numa"}
    udev_event(rule, "add", "nvme-subsystem", "nvme-subsys0", subsystem)
    assert subsystem["iopolicy"] == "round-robin"
    discovery = {"subsystype": "discovery", "model": MODEL, "iopolicy": "numa"}
    assert udev_event(rule, "add", "nvme-subsystem", "nvme-subsys1", discovery) == []


def test_the_rule_file_sorts_after_nvme_clis_rules():
    ours = os.path.basename(nvme_fix.DEFAULT_RULE)
    assert sorted(["71-nvmf-netapp.rules", "71-nvmf-iopolicy-netapp.rules", ours])[-1] == ours
    assert ours >= nvme_fix.RULE_AFTER


def test_a_controller_whose_model_was_not_read_is_held(tmp_path):
    """Unknown is not ONTAP: its unbounded finding stays a violation, and the fix does not touch it."""
    t = SanTree(tmp_path / "root").ontap_nvme_tcp(paths=1)
    t._write("/sys/devices/virtual/nvme-fabrics/ctl/nvme0/ctrl_loss_tmo", "off\n")
    os.unlink(t.path("/sys/devices/virtual/nvme-fabrics/ctl/nvme0/model"))
    os.mkdir(t.path("/sys/devices/virtual/nvme-fabrics/ctl/nvme0/model"))
    os.unlink(t.path("/sys/devices/virtual/nvme-subsystem/nvme-subsys0/model"))
    out = plan(t)
    assert "bound_ctrl_loss_tmo" not in [c["action"] for c in out["changes"]]
    assert [(h["object"], "model was not read" in h["reason"]) for h in out["held"]] == [("nvme0", True)]


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
