# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control flow follows the errors' and uses' fields (kind, device, identity), never the words of a message."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    children as act_children, context as act_context)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import (
    ChildFailed, IdentityChanged, Refused)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    findings as judge_findings, verdicts as sj)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import reused


MARK = "IDENTITY CHANGED:"


def _raise(exc):
    raise exc


class ForkingHost(object):
    """The part of act.context.ActContext the sysfs helpers use, with the real forked child (deadline.call)."""

    def checkpoint(self):
        pass

    def path(self, p):
        return p

    def sysfs(self, fn, args, what):
        return deadline.call(fn, args, timeout=10.0, what=what)

    def node_lock(self, node):
        return threading.Lock()


def test_a_child_error_crosses_the_pipe_with_its_fields():
    """Fails when an error in a child loses its kind, fields or text crossing the pipe."""
    with pytest.raises(ChildFailed) as info:
        deadline.call(_raise, (IdentityChanged("4:0:0:1 is no longer sdc (found sdd)", device="4:0:0:1",
                                               identity={"expected": "sdc", "found": ["sdd"]}),), what="write")
    exc = info.value
    assert exc.is_identity_change() and exc.kind == "identity_changed"
    assert exc.device == "4:0:0:1" and exc.identity == {"expected": "sdc", "found": ["sdd"]}
    assert exc.reason == "4:0:0:1 is no longer sdc (found sdd)"
    # the text the module reported before is kept
    assert str(exc) == "write: IdentityChanged: IDENTITY CHANGED: 4:0:0:1 is no longer sdc (found sdd)"
    assert isinstance(exc, RuntimeError)


def test_a_child_message_that_contains_the_mark_is_a_failure_not_an_identity_refusal():
    """An OSError whose text happens to hold the old mark: the write failed, the device did not change."""
    host = ForkingHost()
    with pytest.raises(act_context.ActFailed) as info:
        act_children.sysfs_write(host, _raise, (OSError(5, "%s looks odd" % MARK),), "disk sdc", "write delete")
    assert "write delete failed" in str(info.value)


def test_an_identity_change_is_refused_whatever_its_words():
    """Fails when an identity change in a sysfs write is recognised by its words, not its kind."""
    host = ForkingHost()
    with pytest.raises(Refused) as info:
        act_children.sysfs_write(host, _raise, (IdentityChanged("sdc went away", device="4:0:0:1"),), "disk sdc",
                                 "write delete")
    assert info.value.kind == "identity"
    assert str(info.value).startswith("disk sdc: sdc went away — the kernel name or address was reused")


def test_the_exclusive_open_check_refuses_on_an_identity_change_by_its_kind():
    """Fails when the exclusive open check reads an identity change by its text, not its kind."""
    class Host(ForkingHost):
        def sysfs(self, fn, args, what):
            return deadline.call(_raise, (IdentityChanged("/dev/sdc is not block device 8:32", device="/dev/sdc"),),
                                 what=what)
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(Host(), {"name": "sdc", "dev": "8:32"})
    assert info.value.kind == "identity" and "nothing written" in str(info.value)

    class Odd(ForkingHost):
        def sysfs(self, fn, args, what):
            return deadline.call(_raise, (OSError(5, MARK + " in an I/O error"),), what=what)
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(Odd(), {"name": "sdc", "dev": "8:32"})
    assert info.value.kind == "open_count"


@pytest.mark.parametrize("answer, refused", [
    ({"claimed": True, "reason": "Device or resource busy", "answer": "busy: Device or resource busy"}, True),
    ({"claimed": False, "answer": "ok: not claimed (the driver refused the open: No such device)"}, False),
    ({"claimed": False, "answer": "ok"}, False),
])
def test_the_exclusive_open_answer_is_read_by_its_fields(answer, refused):
    """Fails when the exclusive open answer is read by its text instead of its claimed field."""
    class Host(ForkingHost):
        def sysfs(self, fn, args, what):
            return answer
    if not refused:
        assert act_children.exclusive_open_check(Host(), {"name": "sdc", "dev": "8:32"}) == answer["answer"]
        return
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(Host(), {"name": "sdc", "dev": "8:32"})
    assert info.value.kind == "open_count"
    assert "(exclusive open: Device or resource busy)" in str(info.value)
    assert info.value.evidence == {"exclusive_open": "busy: Device or resource busy"}


def test_a_writer_named_like_the_judges_prose_is_still_a_corruption_risk(tmp_path):
    """A process may call itself anything (comm, 15 characters): "a udev worker" is no udev worker."""
    def setup(t):
        t.proc(4243, "a udev worker", fds=["/dev/dm-0"])
    risks = sj.corruption_risks(reused(tmp_path, setup))
    maps = [r for r in risks if r["object"] == "map"]
    assert len(maps) == 1 and "pid 4243 (a udev worker)" in maps[0]["msg"]


def test_uses_carry_their_kind():
    """Fails when a use of a device does not carry its kind (mounted, opener, transient opener)."""
    uses, _ev = judge_findings.uses_of({"mountpoints": ["/srv"], "openers": [{"pid": 1, "comm": "blkid"},
                                                                             {"pid": 2, "comm": "dd"}]})
    assert [u["kind"] for u in uses] == ["mounted", "opener", judge_findings.USE_TRANSIENT_OPENER]
