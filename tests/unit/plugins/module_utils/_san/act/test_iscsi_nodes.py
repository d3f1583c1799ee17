# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/iscsi_nodes.py`: the node record update of module iscsid_conf, as
the command line iscsiadm receives (iscsiadm(8): -m node, -T targetname, -p ip:port, -o update, -n name, -v value;
-P is the print level, -t the discovery type, -M/-O/-N/-V are not these options)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import iscsi_nodes
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.iscsiadm import Iscsiadm, IscsiadmFailed

T = "iqn.2024-01.lab.san:target1"
PORTAL = "127.0.0.2:3260"


def _recorded(monkeypatch, rc=0, stderr=""):
    """The real Iscsiadm at /sbin/iscsiadm, with deadline.run recording each argv and timeout and answering `rc`."""
    calls = []

    def run(argv, timeout, what=None, data=None):
        calls.append((list(argv), timeout))
        return deadline.CommandResult(argv, rc, "", stderr, 0.01)
    monkeypatch.setattr(deadline, "run", run)
    return Iscsiadm("/sbin/iscsiadm", 7.5), calls


def test_update_is_one_iscsiadm_node_update_of_the_target_portal_key_and_value(monkeypatch):
    """Fails when an option letter, the mode or their order changes: iscsiadm would refuse the command, update
    another record, or (-P, -t) print or discover instead of writing the record."""
    adm, calls = _recorded(monkeypatch)
    assert iscsi_nodes.update_record(adm, T, PORTAL, "node.session.scan", "manual") is None
    assert calls == [(["/sbin/iscsiadm", "-m", "node", "-T", T, "-p", PORTAL, "-o", "update",
                       "-n", "node.session.scan", "-v", "manual"], 7.5)]


def test_update_writes_every_iface_record_no_iface_is_named(monkeypatch):
    """Fails when the update names an iface (-I): it would leave the other ifaces' records of the portal as they were."""
    adm, calls = _recorded(monkeypatch)
    iscsi_nodes.update_record(adm, T, PORTAL, "node.session.timeo.replacement_timeout", "5")
    argv = calls[0][0]
    assert "-I" not in argv and "--interface" not in argv
    assert argv[argv.index("-n") + 1] == "node.session.timeo.replacement_timeout" and argv[argv.index("-v") + 1] == "5"


def test_a_failed_update_raises_with_rc_and_stderr_for_the_module_result(monkeypatch):
    """Fails when a failed update passes silently, or loses the rc and stderr iscsid_conf puts in its fail_json."""
    adm, calls = _recorded(monkeypatch, rc=21, stderr="iscsiadm: No records found\n")
    with pytest.raises(IscsiadmFailed) as exc:
        iscsi_nodes.update_record(adm, T, PORTAL, "node.session.scan", "manual")
    assert exc.value.details["rc"] == 21 and exc.value.details["stderr"] == "iscsiadm: No records found\n"
    assert len(calls) == 1
