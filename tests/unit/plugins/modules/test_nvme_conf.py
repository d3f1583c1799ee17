# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/modules/nvme_conf.py`: its main() on a host tree the test writes in tmp_path (SanTree.nvme_*,
observe/helpers.py), read through the module's own reader (read.reader_for) with its deadline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme_conf as act_nvme_conf
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_fix
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.modules import nvme_conf
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    NVME_HOSTID, NVME_HOSTNQN, NVME_ONTAP_NQN, SanTree)

MODULE = nvme_conf


@pytest.fixture
def host(tmp_path, monkeypatch):
    """An NVMe/TCP host of one ONTAP subsystem as this host; the module's reader reads its tree (deadline.call
    without the fork), with the module's command_timeout."""
    t = SanTree(tmp_path / "root")
    seen = {}

    def reader_for(params):
        seen["timeout"] = params["command_timeout"]
        return t.reader(command_timeout=params["command_timeout"], read_timeout=params["command_timeout"])
    monkeypatch.setattr(read, "reader_for", reader_for)
    t.seen = seen
    return t


def test_an_unbounded_ontap_controller_is_reported_and_nothing_changes(host, run_module):
    """The module returns the audit's findings, the controllers with their ctrl_loss_tmo as sysfs prints it, and
    changed false: it is audit only."""
    host.ontap_nvme_tcp(paths=2, ctrl_loss_tmo="off")
    result = run_module({"command_timeout": 7})
    assert (result["changed"], result["applicable"], result["errors"]) == (False, True, [])
    assert [(f["check"], f["object"]) for f in result["findings"]] == [
        ("nvme_ctrl_loss_unbounded", "nvme0"), ("nvme_ctrl_loss_unbounded", "nvme1")]
    assert [(c["name"], c["ctrl_loss_tmo"], c["subsysnqn"]) for c in result["controllers"]] == [
        ("nvme0", "off", NVME_ONTAP_NQN), ("nvme1", "off", NVME_ONTAP_NQN)]
    assert result["native_multipath"] == "Y" and host.seen["timeout"] == 7.0


def test_check_mode_returns_the_same_audit(host, run_module):
    """Check mode is supported in full: the same reads, the same findings, nothing changed."""
    host.ontap_nvme_tcp(paths=1, ctrl_loss_tmo="off")
    assert run_module({}, check=True) == run_module({})


def test_a_host_without_nvme_of_says_not_applicable(host, run_module):
    """No NVMe controller at all: no finding, applicable false with the reason, not a failure."""
    result = run_module({})
    assert (result["applicable"], result["findings"], result.get("failed", False)) == (False, [], False)
    assert result["applicable_reason"].startswith("not applicable")


def test_a_read_that_misses_its_deadline_is_unknown_and_named(host, run_module, monkeypatch):
    """A hung sysfs read (the forked child misses command_timeout) does not fail the play and is not 'no NVMe': the
    audit is unknown (applicable null, one nvme_unreadable violation) and the read is named in errors."""
    host.ontap_nvme_tcp(paths=1)

    def hung(params):
        reader = host.reader(command_timeout=params["command_timeout"], read_timeout=params["command_timeout"])

        def call(fn, args=(), timeout=10.0, what=None):
            raise deadline.DeadlineExceeded(what, timeout)
        reader.call = call
        return reader
    monkeypatch.setattr(read, "reader_for", hung)
    result = run_module({"command_timeout": 3})
    assert result["applicable"] is None and result.get("failed", False) is False
    assert [(f["check"], f["severity"]) for f in result["findings"]] == [("nvme_unreadable", "violation")]
    assert result["errors"][0]["what"] == nvme_conf.WHAT and "within 3.0s" in result["errors"][0]["msg"]


@pytest.mark.parametrize("timeout", [0, -1, float("nan")])
def test_a_deadline_that_is_no_number_of_seconds_fails_before_any_read(host, run_module, timeout):
    """command_timeout must be a positive number of seconds: the module fails before it reads anything."""
    result = run_module({"command_timeout": timeout})
    assert result["failed"] is True and "command_timeout" in result["msg"]
    assert "timeout" not in host.seen


# ------------------------------------------------------------------------------------------------ state=present

SUBSYS = "/sys/devices/virtual/nvme-subsystem/nvme-subsys0"
CTRL = "/sys/devices/virtual/nvme-fabrics/ctl/nvme%d"
RULE = "/etc/udev/rules.d/72-sanfleet-nvmf-ontap.rules"


@pytest.fixture
def fixing(host, monkeypatch):
    """The host of `host` whose reader runs the child functions as deadline.call does (an exception raised in the
    child comes back as ChildFailed), an ONTAP subsystem with I/O policy numa and two live controllers whose
    ctrl_loss_tmo is off (NetApp's own udev rule), and /etc/udev/rules.d."""
    def reader_for(params):
        reader = host.reader(command_timeout=params["command_timeout"], read_timeout=params["command_timeout"])

        def call(fn, args=(), timeout=10.0, what=None):
            host.calls.append(what)
            try:
                return json.loads(json.dumps(fn(*args)))
            except Exception as exc:  # what deadline.call sends back from its child
                raise ChildFailed.of(what, exc)
        reader.call = call
        return reader
    monkeypatch.setattr(read, "reader_for", reader_for)
    host.calls = []
    host.ontap_nvme_tcp(paths=2, ctrl_loss_tmo="off")
    host._write(SUBSYS + "/iopolicy", "numa\n")
    host._mkdir("/etc/udev/rules.d")
    return host


def text(host, path):
    p = host.path(path)
    return open(p).read() if os.path.exists(p) else None


def tree_files(host):
    out = {}
    for top, _dirs, files in os.walk(host.root):
        for f in files:
            p = os.path.join(top, f)
            out[p] = open(p, "rb").read() if not os.path.islink(p) else os.readlink(p)
    return out


def actions(steps):
    return [(s["action"], s["object"]) for s in steps]


def test_present_bounds_live_controllers_sets_the_policy_and_keeps_them_in_a_udev_rule(fixing, run_module):
    """The fix makes the audit pass: the policy and both bounds written live, the rule written, nothing held; the
    findings returned are the host after the fix, those before it in findings_before."""
    result = run_module({"state": "present", "ctrl_loss_tmo": 900})
    assert result["changed"] is True and not result.get("failed"), result.get("msg")
    assert actions(result["executed"]) == [("bound_ctrl_loss_tmo", "nvme0"), ("bound_ctrl_loss_tmo", "nvme1"),
                                           ("set_iopolicy", "nvme-subsys0"), ("write_udev_rule", RULE)]
    assert [s["read_back"] for s in result["executed"][:3]] == ["900", "900", "round-robin"]
    assert (text(fixing, SUBSYS + "/iopolicy"), text(fixing, CTRL % 0 + "/ctrl_loss_tmo"),
            text(fixing, CTRL % 1 + "/ctrl_loss_tmo")) == ("round-robin", "900", "900")
    rule = text(fixing, RULE)
    assert 'ATTR{iopolicy}="round-robin"' in rule and rule.count('ATTR{ctrl_loss_tmo}="900"') == 1
    assert 'ACTION=="add|change"' in rule and 'ATTR{state}=="live"' in rule
    assert (result["held"], result["findings"]) == ([], [])
    assert sorted(f["check"] for f in result["findings_before"]) == [
        "nvme_ctrl_loss_unbounded", "nvme_ctrl_loss_unbounded", "nvme_iopolicy"]
    again = run_module({"state": "present", "ctrl_loss_tmo": 900})
    assert (again["changed"], again["plan"]) == (False, [])


def test_check_mode_plans_exactly_what_the_run_executes_and_writes_nothing(fixing, run_module):
    before = tree_files(fixing)
    planned = run_module({"state": "present"}, check=True)
    assert tree_files(fixing) == before and planned["changed"] is True
    done = run_module({"state": "present"})
    executed = [dict((k, v) for k, v in s.items() if k not in ("read_back", "backup_file")) for s in done["executed"]]
    assert planned["plan"] == done["plan"] == executed


def test_diff_mode_shows_the_rule_and_the_live_settings(fixing, run_module):
    result = run_module({"state": "present"}, check=True, diff=True)
    rule, live = result["diff"]
    assert rule["before_header"] == RULE + " (absent)" and 'ATTR{iopolicy}="round-robin"' in rule["after"]
    assert live["before"].splitlines() == ["nvme0/ctrl_loss_tmo = off", "nvme1/ctrl_loss_tmo = off",
                                           "nvme-subsys0/iopolicy = numa"]
    assert live["after"].splitlines() == ["nvme0/ctrl_loss_tmo = 600", "nvme1/ctrl_loss_tmo = 600",
                                          "nvme-subsys0/iopolicy = round-robin"]


@pytest.mark.parametrize("state", ["connecting", "resetting", "deleting", "new", "dead"])
def test_a_controller_that_is_not_live_is_held_and_never_bounded(fixing, run_module, state):
    """A controller in an outage has counted its reconnects all along: a bound now could end them at the next
    attempt. It is held with why; its sibling that is live is bounded."""
    fixing._write(CTRL % 1 + "/state", state + "\n")
    result = run_module({"state": "present"})
    assert actions(result["executed"]) == [("bound_ctrl_loss_tmo", "nvme0"), ("set_iopolicy", "nvme-subsys0"),
                                           ("write_udev_rule", RULE)]
    assert [(h["check"], h["object"]) for h in result["held"]] == [("nvme_ctrl_loss_unbounded", "nvme1")]
    assert "not live" in result["held"][0]["reason"] and text(fixing, CTRL % 1 + "/ctrl_loss_tmo") == "off\n"


def planned_then(monkeypatch, change_host):
    """The plan as nvme_fix makes it, then `change_host()`: the host changes between the plan and the act."""
    real = nvme_fix.plan_fix

    def plan_then_change(*args, **kwargs):
        plan = real(*args, **kwargs)
        change_host()
        return plan
    monkeypatch.setattr(nvme_fix, "plan_fix", plan_then_change)


def test_a_controller_that_drops_between_plan_and_write_is_refused_and_not_written(fixing, run_module, monkeypatch):
    """The child re-reads the state right before the write: nvme0 reconnecting by then is refused (came_back, the
    plan's premise gone), nothing is written to it, and the run stops there: the live writes come first, so nothing
    else was written either."""
    planned_then(monkeypatch, lambda: fixing._write(CTRL % 0 + "/state", "connecting\n"))
    result = run_module({"state": "present"})
    assert result["failed"] is True and result["failed_change"]["object"] == "nvme0"
    assert result["refusal"]["kind"] == "came_back" and "not live" in result["msg"]
    assert text(fixing, CTRL % 0 + "/ctrl_loss_tmo") == "off\n" == text(fixing, CTRL % 1 + "/ctrl_loss_tmo")
    assert result["executed"] == [] and text(fixing, RULE) is None


@pytest.mark.parametrize("attr, value", [("address", "traddr=192.168.30.99,trsvcid=4420"), ("cntlid", "7"),
                                         ("subsysnqn", NVME_ONTAP_NQN + "x"), ("transport", "rdma")])
def test_a_controller_name_reused_between_plan_and_write_is_refused(fixing, run_module, monkeypatch, attr, value):
    planned_then(monkeypatch, lambda: fixing._write(CTRL % 0 + "/" + attr, value + "\n"))
    result = run_module({"state": "present"})
    assert result["refusal"]["kind"] == "identity" and result["failed_change"]["object"] == "nvme0"
    assert text(fixing, CTRL % 0 + "/ctrl_loss_tmo") == "off\n"


def test_a_subsystem_name_reused_between_plan_and_write_is_refused(fixing, run_module, monkeypatch):
    planned_then(monkeypatch, lambda: fixing._write(SUBSYS + "/subsysnqn", NVME_ONTAP_NQN + ".other\n"))
    result = run_module({"state": "present"})
    assert result["refusal"]["kind"] == "identity" and text(fixing, SUBSYS + "/iopolicy") == "numa\n"


def test_a_rule_file_written_by_someone_else_meanwhile_is_not_overwritten(fixing, run_module, monkeypatch):
    planned_then(monkeypatch, lambda: fixing._write(RULE, "# the site's own\n"))
    result = run_module({"state": "present"})
    assert result["refusal"]["kind"] == "changed" and result["failed_change"]["object"] == RULE
    assert text(fixing, RULE) == "# the site's own\n" and [s["action"] for s in result["executed"]] == [
        "bound_ctrl_loss_tmo", "bound_ctrl_loss_tmo", "set_iopolicy"]


def test_an_attribute_this_kernel_does_not_let_be_written_is_held(fixing, run_module):
    os.chmod(fixing.path(CTRL % 0 + "/ctrl_loss_tmo"), 0o444)
    os.chmod(fixing.path(SUBSYS + "/iopolicy"), 0o444)
    result = run_module({"state": "present"})
    assert [(h["object"], "not writable" in h["reason"]) for h in result["held"]] == [
        ("nvme0", True), (NVME_ONTAP_NQN, True)]
    assert actions(result["executed"]) == [("bound_ctrl_loss_tmo", "nvme1"), ("write_udev_rule", RULE)]


def test_nvme_fc_and_another_arrays_controllers_are_not_bounded(fixing, run_module):
    """NVMe/FC's loss also follows the rport's dev_loss_tmo: held. Another array's controller is only information
    to the audit: this fix does not touch it."""
    fixing._write(CTRL % 1 + "/transport", "fc\n")
    fixing.nvme_subsystem(1, "nqn.2016-06.io.other:array", model="Other Array")
    fixing.nvme_ctrl(2, 1, "nqn.2016-06.io.other:array", ctrl_loss_tmo="off", model="Other Array")
    result = run_module({"state": "present"})
    assert [s["object"] for s in result["executed"] if s["action"] == "bound_ctrl_loss_tmo"] == ["nvme0"]
    assert [(h["object"], "NVMe/fc" in h["reason"]) for h in result["held"]] == [("nvme1", True)]
    assert text(fixing, CTRL % 2 + "/ctrl_loss_tmo") == "off\n"


def test_an_absent_host_nqn_and_id_are_written_with_those_every_controller_connected_with(fixing, run_module):
    os.unlink(fixing.path("/etc/nvme/hostnqn"))
    fixing._write("/etc/nvme/hostid", "")
    result = run_module({"state": "present"})
    assert [a for a in actions(result["executed"]) if a[0] == "write_host_file"] == [
        ("write_host_file", "/etc/nvme/hostnqn"), ("write_host_file", "/etc/nvme/hostid")]
    assert (text(fixing, "/etc/nvme/hostnqn"), text(fixing, "/etc/nvme/hostid")) == (
        NVME_HOSTNQN + "\n", NVME_HOSTID + "\n")
    assert [f["check"] for f in result["findings"]] == []


def test_a_host_file_holding_another_value_or_controllers_that_disagree_are_never_written(fixing, run_module):
    """The host's identity is never replaced: a hostnqn that is no NQN stays as it is (held); an absent hostid
    whose controllers connected with two different IDs is not invented."""
    fixing._write("/etc/nvme/hostnqn", "not an nqn\n")
    os.unlink(fixing.path("/etc/nvme/hostid"))
    fixing._write(CTRL % 1 + "/hostid", "4c4c4544-0000-0000-0000-000000000001\n")
    result = run_module({"state": "present"})
    assert [s for s in result["executed"] if s["action"] == "write_host_file"] == []
    held = dict((h["object"], h["reason"]) for h in result["held"])
    assert "never rewritten" in held["/etc/nvme/hostnqn"] and "different values" in held["/etc/nvme/hostid"]
    assert text(fixing, "/etc/nvme/hostnqn") == "not an nqn\n" and text(fixing, "/etc/nvme/hostid") is None


@pytest.mark.parametrize("args, msg", [
    ({"ctrl_loss_tmo": 0}, "ctrl_loss_tmo must be"), ({"ctrl_loss_tmo": -1}, "ctrl_loss_tmo must be"),
    ({"ctrl_loss_tmo": 604801}, "ctrl_loss_tmo must be"), ({"ctrl_loss_tmo": "nan"}, "ctrl_loss_tmo"),
    ({"udev_rule": "72-x.rules"}, "udev_rule must be"), ({"udev_rule": "/etc/udev/rules.d/x.conf"}, "udev_rule must"),
    ({"udev_rule": "/etc/udev/rules.d/../../x.rules"}, "udev_rule must be"), ({"iopolicy": "numa"}, "iopolicy"),
])
def test_bad_input_fails_and_changes_nothing(fixing, run_module, args, msg):
    before = tree_files(fixing)
    result = run_module(dict(args, state="present"))
    assert result["failed"] is True and msg in result["msg"] and tree_files(fixing) == before


def test_a_write_that_misses_its_deadline_fails_the_module_naming_it(fixing, run_module, monkeypatch):
    real = read.reader_for

    def hung_writes(params):
        reader = real(params)
        call = reader.call

        def hang(fn, args=(), timeout=10.0, what=None):
            if what and what.startswith("write of nvme0/"):
                raise deadline.DeadlineExceeded(what, timeout)
            return call(fn, args, timeout, what)
        reader.call = hang
        return reader
    monkeypatch.setattr(read, "reader_for", hung_writes)
    result = run_module({"state": "present", "command_timeout": 4})
    assert result["failed"] is True and result["failed_change"]["object"] == "nvme0"
    assert "within 4.0s" in result["msg"] and "nvme1" not in [s["object"] for s in result["executed"]]


def unreadable(t, path):
    """A sysfs attribute whose read fails (EISDIR here; EIO or EACCES on a host): the reader names it unread."""
    os.unlink(t.path(path))
    os.mkdir(t.path(path))


def test_a_controller_whose_model_could_not_be_read_is_not_bounded(fixing, run_module):
    """nvme2's model, and its subsystem's, could not be read: whether it is ONTAP's is unknown (the audit says
    nvme_unreadable and keeps its unbounded finding a violation). Unknown is not ONTAP: it is held, not bounded."""
    fixing.nvme_subsystem(1, "nqn.2016-06.io.other:array", model="Other Array")
    fixing.nvme_ctrl(2, 1, "nqn.2016-06.io.other:array", ctrl_loss_tmo="off", model="Other Array")
    unreadable(fixing, "/sys/devices/virtual/nvme-subsystem/nvme-subsys1/model")
    unreadable(fixing, CTRL % 2 + "/model")
    result = run_module({"state": "present"})
    assert "nvme2" in [f["object"] for f in result["findings_before"] if f["check"] == "nvme_unreadable"]
    assert [s["object"] for s in result["executed"] if s["action"] == "bound_ctrl_loss_tmo"] == ["nvme0", "nvme1"]
    assert "model was not read" in dict((h["object"], h["reason"]) for h in result["held"])["nvme2"]
    assert text(fixing, CTRL % 2 + "/ctrl_loss_tmo") == "off\n"


def test_a_controller_whose_model_changed_between_plan_and_write_is_not_bounded(fixing, run_module, monkeypatch):
    """The writer re-reads the model with the identity: a name that now belongs to another array's controller of
    the same NQN, address and controller ID is refused."""
    planned_then(monkeypatch, lambda: fixing._write(CTRL % 0 + "/model", "Other Array".ljust(40) + "\n"))
    result = run_module({"state": "present"})
    assert result["refusal"]["kind"] == "identity" and result["failed_change"]["object"] == "nvme0"
    assert text(fixing, CTRL % 0 + "/ctrl_loss_tmo") == "off\n"


def test_a_policy_the_kernel_does_not_take_fails_naming_it_and_leaves_no_rule_that_sets_it(
        fixing, run_module, monkeypatch):
    """iopolicy=queue-depth on a kernel before 6.11: the subsystem's store answers EINVAL. The bounds are made, the
    run fails naming the policy, and no rule is left that would set queue-depth at every add."""
    real = act_nvme_conf.child_set_iopolicy

    def kernel_without_queue_depth(sys_root, name, subsysnqn, before, after):
        if after == "queue-depth":
            raise OSError(errno.EINVAL, "Invalid argument")   # what write(2) to the attribute returns
        return real(sys_root, name, subsysnqn, before, after)
    monkeypatch.setitem(act_nvme_conf.CHILDREN, "set_iopolicy", kernel_without_queue_depth)
    result = run_module({"state": "present", "iopolicy": "queue-depth"})
    assert result["failed"] is True and result["failed_change"]["action"] == "set_iopolicy"
    assert "does not take iopolicy queue-depth" in result["msg"] and text(fixing, RULE) is None
    assert [s["action"] for s in result["executed"]] == ["bound_ctrl_loss_tmo", "bound_ctrl_loss_tmo"]


@pytest.mark.parametrize("link", ["/dev/null", "/etc/udev/rules.d/elsewhere.rules"])
def test_a_rule_path_that_is_a_link_is_never_replaced(fixing, run_module, link):
    """A rules file masked the udev way (a link to /dev/null) reads empty, as if absent: writing over it unmasked it,
    and the move into place gave the new file /dev/null's mode 0666 (anyone could add rules udev runs as root). A
    link stays a link; the rule is held and named; the live writes are made."""
    os.symlink(link, fixing.path(RULE))
    result = run_module({"state": "present"})
    assert not result.get("failed"), result.get("msg")
    assert os.readlink(fixing.path(RULE)) == link
    assert "symbolic link" in dict((h["object"], h["reason"]) for h in result["held"])[RULE]
    assert "write_udev_rule" not in [s["action"] for s in result["plan"]]


def test_a_rule_path_that_becomes_a_link_after_the_plan_is_not_written(fixing, run_module, monkeypatch):
    planned_then(monkeypatch, lambda: os.symlink("/dev/null", fixing.path(RULE)))
    result = run_module({"state": "present"})
    assert result["refusal"]["kind"] == "changed" and os.readlink(fixing.path(RULE)) == "/dev/null"


def test_a_controller_bounded_by_udev_between_plan_and_write_is_done_and_the_run_goes_on(
        fixing, run_module, monkeypatch):
    """A change event between the plan and the write (a reconnect runs the rule) already bounded nvme0: that is the
    goal reached, not another controller; the run goes on and bounds nvme1."""
    planned_then(monkeypatch, lambda: fixing._write(CTRL % 0 + "/ctrl_loss_tmo", "600\n"))
    result = run_module({"state": "present"})
    assert not result.get("failed"), result.get("msg")
    assert [s["read_back"] for s in result["executed"][:2]] == ["600", "600"]
    assert text(fixing, CTRL % 1 + "/ctrl_loss_tmo") == "600"


@pytest.mark.parametrize("name", ["60-sanfleet-nvmf-ontap.rules", "71-nvmf-zz.rules", "70-x.rules"])
def test_a_rule_file_that_sorts_before_nvme_clis_netapp_rule_is_refused(fixing, run_module, name):
    """udev runs the rules files in the order of their names: one before nvme-cli's 71-nvmf-netapp.rules, whose
    ctrl_loss_tmo=-1 runs at every event, can never keep the bound. Bad input, nothing changed."""
    before = tree_files(fixing)
    result = run_module({"state": "present", "udev_rule": "/etc/udev/rules.d/" + name})
    assert result["failed"] is True and "must sort after" in result["msg"] and tree_files(fixing) == before
