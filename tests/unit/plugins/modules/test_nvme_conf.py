# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/modules/nvme_conf.py`: its main() on a host tree the test writes in tmp_path (SanTree.nvme_*,
observe/helpers.py), read through the module's own reader (read.reader_for) with its deadline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.modules import nvme_conf
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    NVME_ONTAP_NQN, SanTree)

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
