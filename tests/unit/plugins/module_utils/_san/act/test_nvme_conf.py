# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/nvme_conf.py`: the writes of module nvme_conf state=present. The live
writes run the real children (child_set_iopolicy, child_bound_ctrl_loss_tmo) in-process on a sysfs tree under tmp_path, with the context's `call`
recording the function, its arguments, the deadline and the `what` deadline.call names a hung child by, and
turning the child's exception into the ChildFailed deadline.call raises; the file checks run file_text on real
files, links and directories."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme_conf
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActContext, ActFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, IdentityChanged, Refused
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    SUBSYS_NQN, ctrl_file, nvme_child_tree, put_text, subsys_file, text_of)

NQN = "nqn.1992-08.com.netapp:sn.0123456789abcdef:subsystem.lab1"
OTHER_NQN = "nqn.1992-08.com.netapp:sn.fedcba9876543210:subsystem.lab2"


class _Host(object):
    """An ActContext rooted at tmp_path whose `call` runs the function in-process (the JSON round trip of
    deadline.call) and records (fn, args, timeout, what); `answer` replaces the child: an exception to raise or
    a value to return."""

    def __init__(self, root, answer=None):
        self.calls = []
        self.answer = answer
        self.ctx = ActContext(None, call=self.call, root=str(root), command_timeout=7.5)

    def call(self, fn, args=(), timeout=10.0, what=None):
        self.calls.append((fn, tuple(args), timeout, what))
        if isinstance(self.answer, BaseException):
            raise self.answer
        if self.answer is not None:
            return self.answer
        try:
            return fn(*args)
        except Exception as exc:
            raise ChildFailed.of(what, exc)


def _attrs(base, **values):
    os.makedirs(base)
    for attr, value in values.items():
        with open(os.path.join(base, attr), "w") as fh:
            fh.write(value + "\n")


def _read(path):
    with open(path) as fh:
        return fh.read()


def _subsystem(tmp_path, nqn=NQN, policy="numa"):
    base = os.path.join(str(tmp_path), "sys", "class", "nvme-subsystem", "nvme-subsys0")
    _attrs(base, subsysnqn=nqn, iopolicy=policy)
    return base


IOPOLICY = {"action": "set_iopolicy", "object": "nvme-subsys0", "setting": "iopolicy", "before": "numa",
            "after": "round-robin", "identity": {"subsysnqn": NQN}}
CTRL_ID = {"subsysnqn": NQN, "transport": "tcp", "address": "traddr=192.0.2.10,trsvcid=4420", "cntlid": "3",
           "model": "NetApp ONTAP Controller"}
BOUND = {"action": "bound_ctrl_loss_tmo", "object": "nvme0", "setting": "ctrl_loss_tmo", "before": "off",
         "after": "600", "identity": CTRL_ID}


def _ctrl(tmp_path, state="live", tmo="off"):
    base = os.path.join(str(tmp_path), "sys", "class", "nvme", "nvme0")
    _attrs(base, subsysnqn=NQN, transport="tcp", address="traddr=192.0.2.10,trsvcid=4420", cntlid="3",
           model="NetApp ONTAP Controller", state=state, ctrl_loss_tmo=tmo)
    return base


# ---------------------------------------------------------------------------------------------- write_live
def test_set_iopolicy_writes_the_policy_through_its_child_under_the_command_deadline(tmp_path):
    """Fails when the write runs another child, passes the child other arguments (the sysfs root, the subsystem,
    the planned NQN, the policy before and after), another deadline or `what`, or returns other than the read back."""
    base = _subsystem(tmp_path)
    host = _Host(tmp_path)
    assert nvme_conf.write_live(host.ctx, dict(IOPOLICY)) == "round-robin"
    assert _read(os.path.join(base, "iopolicy")) == "round-robin"
    assert host.calls == [(nvme_conf.child_set_iopolicy,
                           (os.path.join(str(tmp_path), "sys"), "nvme-subsys0", NQN, "numa", "round-robin"),
                           7.5, "write of nvme-subsys0/iopolicy")]


def test_bound_ctrl_loss_tmo_writes_the_seconds_as_a_number_through_its_child(tmp_path):
    """Fails when the bound runs another child, passes the planned identity or the seconds otherwise (the child
    writes str(seconds): a string "600" would pass too, so the int is asserted), or another deadline or `what`."""
    base = _ctrl(tmp_path)
    host = _Host(tmp_path)
    assert nvme_conf.write_live(host.ctx, dict(BOUND)) == "600"
    assert _read(os.path.join(base, "ctrl_loss_tmo")) == "600"
    ((fn, args, timeout, what),) = host.calls
    assert (fn, args, timeout, what) == (nvme_conf.child_bound_ctrl_loss_tmo,
                                         (os.path.join(str(tmp_path), "sys"), "nvme0", CTRL_ID, 600),
                                         7.5, "write of nvme0/ctrl_loss_tmo")
    assert isinstance(args[3], int) and not isinstance(args[3], bool)


def test_a_subsystem_that_is_another_one_now_is_refused_as_identity_and_nothing_is_written(tmp_path):
    """Fails when an identity change is not a refusal of kind identity (execute puts refusal.kind in the result),
    or the refusal loses its target or the child's reason and 'nothing written'."""
    base = _subsystem(tmp_path, nqn=OTHER_NQN)
    with pytest.raises(Refused) as exc:
        nvme_conf.write_live(_Host(tmp_path).ctx, dict(IOPOLICY))
    assert exc.value.target == "nvme-subsys0 iopolicy" and exc.value.kind == "identity"
    assert str(exc.value) == ("nvme-subsys0 iopolicy: nvme-subsys0 is subsystem %s now, planned %s; nothing written"
                              % (OTHER_NQN, NQN))
    assert _read(os.path.join(base, "iopolicy")) == "numa\n"


def test_a_controller_not_live_is_refused_as_came_back_and_its_bound_not_written(tmp_path):
    """Fails when a controller that reconnects is written, or refused with another kind than came_back."""
    base = _ctrl(tmp_path, state="connecting")
    with pytest.raises(Refused) as exc:
        nvme_conf.write_live(_Host(tmp_path).ctx, dict(BOUND))
    assert exc.value.target == "nvme0 ctrl_loss_tmo" and exc.value.kind == "came_back"
    assert str(exc.value).startswith("nvme0 ctrl_loss_tmo: nvme0 is connecting now, not live")
    assert str(exc.value).endswith("; nothing written")
    assert _read(os.path.join(base, "ctrl_loss_tmo")) == "off\n"


def test_a_controller_that_is_another_one_now_is_refused_as_identity(tmp_path):
    base = _ctrl(tmp_path)
    with pytest.raises(Refused) as exc:
        nvme_conf.write_live(_Host(tmp_path).ctx, dict(BOUND, identity=dict(CTRL_ID, cntlid="4")))
    assert exc.value.kind == "identity" and exc.value.target == "nvme0 ctrl_loss_tmo"
    assert _read(os.path.join(base, "ctrl_loss_tmo")) == "off\n"


@pytest.mark.parametrize("error_type", ["OSError", "IOError"])
def test_an_iopolicy_the_kernel_rejects_fails_naming_the_policy_and_the_way_out(tmp_path, error_type):
    """EINVAL from the iopolicy write (a kernel before queue-depth): fails with the policy and round-robin named.
    Fails when another error type or message takes this way, or the EINVAL of an IOError (a Python 2 child's) does not."""
    exc = ChildFailed("write of nvme-subsys0/iopolicy", error_type, "[Errno 22] Invalid argument")
    with pytest.raises(ActFailed) as raised:
        nvme_conf.write_live(_Host(tmp_path, answer=exc).ctx, dict(IOPOLICY, after="queue-depth"))
    assert raised.value.target == "nvme-subsys0 iopolicy"
    assert str(raised.value) == (
        "nvme-subsys0 iopolicy: the kernel does not take iopolicy queue-depth (write of nvme-subsys0/iopolicy: %s: "
        "[Errno 22] Invalid argument): queue-depth came with 6.11 and the distributions' backports; choose round-robin"
        % error_type)


@pytest.mark.parametrize("error_type,message", [("ValueError", "Invalid argument"), ("OSError", "[Errno 5] Input/output error"),
                                                ("OSError", None)])
def test_another_iopolicy_write_error_is_a_plain_write_failure(tmp_path, error_type, message):
    """Fails when an error that is not the kernel's EINVAL (another type, another errno, no message) is reported
    as an unsupported policy, or is not an ActFailed of the target."""
    exc = ChildFailed("write of nvme-subsys0/iopolicy", error_type, message)
    with pytest.raises(ActFailed) as raised:
        nvme_conf.write_live(_Host(tmp_path, answer=exc).ctx, dict(IOPOLICY))
    assert str(raised.value) == "nvme-subsys0 iopolicy: write failed: %s" % exc


def test_a_bound_the_kernel_rejects_is_a_plain_write_failure_not_the_iopolicy_advice(tmp_path):
    exc = ChildFailed("write of nvme0/ctrl_loss_tmo", "OSError", "[Errno 22] Invalid argument")
    with pytest.raises(ActFailed) as raised:
        nvme_conf.write_live(_Host(tmp_path, answer=exc).ctx, dict(BOUND))
    assert str(raised.value) == "nvme0 ctrl_loss_tmo: write failed: %s" % exc


def test_a_child_without_an_answer_fails_the_write(tmp_path):
    """deadline.call's RuntimeErrors of its own (a child killed before it answered) fail the write as ActFailed."""
    with pytest.raises(ActFailed) as raised:
        nvme_conf.write_live(_Host(tmp_path, answer=RuntimeError("fork failed")).ctx, dict(BOUND))
    assert str(raised.value) == "nvme0 ctrl_loss_tmo: write failed: fork failed"


def test_a_missed_deadline_reaches_the_caller_as_it_is(tmp_path):
    """DeadlineExceeded is no RuntimeError: execute() fails the module with it (its what and seconds)."""
    late = deadline.DeadlineExceeded("write of nvme0/ctrl_loss_tmo", 7.5)
    with pytest.raises(deadline.DeadlineExceeded) as raised:
        nvme_conf.write_live(_Host(tmp_path, answer=late).ctx, dict(BOUND))
    assert raised.value is late


# ---------------------------------------------------------------------------------------------- file_text
def _file(tmp_path, name, data):
    path = os.path.join(str(tmp_path), name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def test_file_text_of_a_regular_file_is_its_text(tmp_path):
    assert nvme_conf.file_text(_file(tmp_path, "hostnqn", b"nqn.2014-08.org.nvmexpress:uuid:1\n")) == (
        "ok", "nqn.2014-08.org.nvmexpress:uuid:1\n")


def test_file_text_decodes_bytes_that_are_not_utf8_as_replacement_characters(tmp_path):
    assert nvme_conf.file_text(_file(tmp_path, "rule", b"a\xffb")) == ("ok", u"a\ufffdb")


def test_an_empty_file_is_absent_as_libnvme_reads_it(tmp_path):
    assert nvme_conf.file_text(_file(tmp_path, "hostid", b"")) == ("absent", None)


def test_a_missing_file_or_directory_above_it_is_absent(tmp_path):
    """ENOENT, and ENOTDIR (a file where a directory of the path should be), are absent."""
    assert nvme_conf.file_text(os.path.join(str(tmp_path), "nvme", "hostnqn")) == ("absent", None)
    plain = _file(tmp_path, "plain", b"x")
    assert nvme_conf.file_text(os.path.join(plain, "hostnqn")) == ("absent", None)


def test_a_symbolic_link_is_not_regular_and_names_its_target(tmp_path):
    """A rule masked by a link to /dev/null reads empty: it must not be taken for absent (nor its target's text)."""
    link = os.path.join(str(tmp_path), "71-nvme-iopolicy.rules")
    os.symlink("/dev/null", link)
    assert nvme_conf.file_text(link) == ("not_regular", "%s is a symbolic link (to /dev/null)" % link)
    target = _file(tmp_path, "real", b"text")
    link2 = os.path.join(str(tmp_path), "link2")
    os.symlink(target, link2)
    assert nvme_conf.file_text(link2) == ("not_regular", "%s is a symbolic link (to %s)" % (link2, target))


def test_a_directory_is_not_regular(tmp_path):
    path = os.path.join(str(tmp_path), "hostnqn")
    os.mkdir(path)
    assert nvme_conf.file_text(path) == ("not_regular", "%s is not a regular file" % path)


def test_a_path_lstat_cannot_read_is_unreadable_with_the_reason(tmp_path, monkeypatch):
    """Any other lstat error (EACCES on a directory above, EIO) is unreadable, never absent."""
    path = _file(tmp_path, "hostnqn", b"x")

    def lstat(p):
        raise OSError(errno.EACCES, "Permission denied", p)
    monkeypatch.setattr(nvme_conf.os, "lstat", lstat)
    assert nvme_conf.file_text(path) == ("unreadable", "Permission denied")


def test_an_lstat_error_without_strerror_is_unreadable_with_its_text(tmp_path, monkeypatch):
    def lstat(p):
        raise OSError(errno.EIO)
    monkeypatch.setattr(nvme_conf.os, "lstat", lstat)
    assert nvme_conf.file_text(os.path.join(str(tmp_path), "x")) == ("unreadable", str(OSError(errno.EIO)))


def test_a_regular_file_that_cannot_be_read_is_unreadable(tmp_path, monkeypatch):
    path = _file(tmp_path, "hostnqn", b"x")
    monkeypatch.setattr(nvme_conf, "read_config_file", lambda p: ("unreadable", "Input/output error"))
    assert nvme_conf.file_text(path) == ("unreadable", "Input/output error")


# ---------------------------------------------------------------------------------------------- file_is_as_planned
RULE = "/etc/udev/rules.d/71-nvme-iopolicy-netapp.rules"


def _rule(tmp_path, data):
    path = str(tmp_path) + RULE
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def test_a_file_still_as_read_passes_read_by_file_text_under_the_deadline(tmp_path):
    """Fails when the check reads another path than the one under the host root, or not through file_text in a
    child with the command deadline and `what`."""
    _rule(tmp_path, b"ACTION==\"add\"\n")
    host = _Host(tmp_path)
    assert nvme_conf.file_is_as_planned(host.ctx, {"object": RULE, "before": "ACTION==\"add\"\n"}) is None
    assert host.calls == [(nvme_conf.file_text, (str(tmp_path) + RULE,), 7.5, "read of %s" % RULE)]


def test_a_file_still_absent_passes(tmp_path):
    assert nvme_conf.file_is_as_planned(_Host(tmp_path).ctx, {"object": "/etc/nvme/hostnqn", "before": None}) is None
    os.makedirs(os.path.join(str(tmp_path), "etc", "nvme"))
    _file(tmp_path, "etc/nvme/hostid", b"")
    assert nvme_conf.file_is_as_planned(_Host(tmp_path).ctx, {"object": "/etc/nvme/hostid", "before": None}) is None


def _refusal(tmp_path, change):
    with pytest.raises(Refused) as exc:
        nvme_conf.file_is_as_planned(_Host(tmp_path).ctx, change)
    assert exc.value.target == change["object"] and exc.value.kind == "changed"
    return str(exc.value)


def test_a_file_written_since_the_plan_is_refused_with_its_length_now(tmp_path):
    _rule(tmp_path, b"other text\n")
    assert _refusal(tmp_path, {"object": RULE, "before": "ACTION\n"}) == (
        "%s: %s changed since it was read (now 11 characters); not written" % (RULE, RULE))


def test_a_file_that_appeared_since_the_plan_is_refused(tmp_path):
    os.makedirs(os.path.join(str(tmp_path), "etc", "nvme"))
    _file(tmp_path, "etc/nvme/hostnqn", b"nqn.x\n")
    assert _refusal(tmp_path, {"object": "/etc/nvme/hostnqn", "before": None}) == (
        "/etc/nvme/hostnqn: /etc/nvme/hostnqn changed since it was read (now 6 characters); not written")


def test_a_file_removed_or_emptied_since_the_plan_is_refused_as_absent_now(tmp_path):
    assert _refusal(tmp_path, {"object": RULE, "before": "ACTION\n"}) == (
        "%s: %s changed since it was read (now absent); not written" % (RULE, RULE))
    _rule(tmp_path, b"")
    assert _refusal(tmp_path, {"object": RULE, "before": "ACTION\n"}) == (
        "%s: %s changed since it was read (now absent); not written" % (RULE, RULE))


def test_a_link_where_the_file_was_is_refused_with_what_it_is(tmp_path):
    """A link whose target reads as the planned text is still refused: the write would replace the link."""
    target = _file(tmp_path, "real", b"ACTION\n")
    path = str(tmp_path) + RULE
    os.makedirs(os.path.dirname(path))
    os.symlink(target, path)
    assert _refusal(tmp_path, {"object": RULE, "before": "ACTION\n"}) == (
        "%s: %s changed since it was read (%s is a symbolic link (to %s)); not written" % (RULE, RULE, path, target))


def test_a_link_where_an_absent_file_was_is_refused(tmp_path):
    path = str(tmp_path) + RULE
    os.makedirs(os.path.dirname(path))
    os.symlink("/dev/null", path)
    assert _refusal(tmp_path, {"object": RULE, "before": None}) == (
        "%s: %s changed since it was read (%s is a symbolic link (to /dev/null)); not written" % (RULE, RULE, path))


def test_a_file_that_cannot_be_read_now_is_refused_with_the_reason(tmp_path):
    host = _Host(tmp_path, answer=["unreadable", "Permission denied"])
    with pytest.raises(Refused) as exc:
        nvme_conf.file_is_as_planned(host.ctx, {"object": "/etc/nvme/hostnqn", "before": None})
    assert exc.value.kind == "changed" and exc.value.target == "/etc/nvme/hostnqn"
    assert str(exc.value) == ("/etc/nvme/hostnqn: /etc/nvme/hostnqn changed since it was read (not readable now: "
                              "Permission denied); not written")


# ------------------------------------------------------------------------------ _read_attr, _write_and_read_back
def test_read_attr_strips_and_an_unreadable_attr_is_an_identity_change(tmp_path):
    """The kernel's newline goes; a missing attribute raises IdentityChanged naming the object and the attribute."""
    sys_root, _expected = nvme_child_tree(tmp_path)
    base = os.path.join(sys_root, "class", "nvme-subsystem", "nvme-subsys0")
    assert nvme_conf._read_attr(base, "iopolicy") == "numa"
    with pytest.raises(IdentityChanged) as info:
        nvme_conf._read_attr(base, "nope")
    exc = info.value
    assert exc.reason.startswith("nvme-subsys0/nope cannot be read (")
    assert (exc.device, exc.identity) == ("nvme-subsys0", {"attr": "nope"})


def test_write_and_read_back_writes_the_value_and_returns_what_reads_back(tmp_path):
    """The exact value is written (no newline added) and the value returned is the one read after the write."""
    sys_root, _expected = nvme_child_tree(tmp_path)
    base = os.path.join(sys_root, "class", "nvme-subsystem", "nvme-subsys0")
    assert nvme_conf._write_and_read_back(base, "iopolicy", "queue-depth") == "queue-depth"
    assert text_of(subsys_file(sys_root, "iopolicy")) == "queue-depth"


# ------------------------------------------------------------------------------ child_set_iopolicy
def test_set_iopolicy_writes_after_when_it_still_reads_before(tmp_path):
    sys_root, _expected = nvme_child_tree(tmp_path, iopolicy="numa")
    assert nvme_conf.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN, "numa", "round-robin") == "round-robin"
    assert text_of(subsys_file(sys_root, "iopolicy")) == "round-robin"


def test_set_iopolicy_already_after_returns_it_without_writing(tmp_path):
    """Set since the plan (another run): nothing written (the file keeps the kernel's newline)."""
    sys_root, _expected = nvme_child_tree(tmp_path, iopolicy="round-robin")
    assert nvme_conf.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN, "numa", "round-robin") == "round-robin"
    assert text_of(subsys_file(sys_root, "iopolicy")) == "round-robin\n"


def test_set_iopolicy_refuses_a_policy_neither_before_nor_after(tmp_path):
    """Changed by someone else since the plan: not overwritten."""
    sys_root, _expected = nvme_child_tree(tmp_path, iopolicy="queue-depth")
    with pytest.raises(IdentityChanged) as info:
        nvme_conf.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN, "numa", "round-robin")
    exc = info.value
    assert exc.reason == "nvme-subsys0/iopolicy reads queue-depth now, planned from numa"
    assert (exc.device, exc.identity) == ("nvme-subsys0", {"expected": "numa", "found": "queue-depth"})
    assert text_of(subsys_file(sys_root, "iopolicy")) == "queue-depth\n"


def test_set_iopolicy_refuses_another_subsystem_under_the_name(tmp_path):
    """nvme-subsysN names are reused: the NQN decides, checked before the policy."""
    sys_root, _expected = nvme_child_tree(tmp_path, iopolicy="numa")
    with pytest.raises(IdentityChanged) as info:
        nvme_conf.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN + "x", "numa", "round-robin")
    exc = info.value
    assert exc.reason == "nvme-subsys0 is subsystem %s now, planned %sx" % (SUBSYS_NQN, SUBSYS_NQN)
    assert (exc.device, exc.identity) == ("nvme-subsys0", {"expected": SUBSYS_NQN + "x", "found": SUBSYS_NQN})
    assert text_of(subsys_file(sys_root, "iopolicy")) == "numa\n"


def test_set_iopolicy_returns_the_read_back_even_when_the_kernel_kept_another_value(tmp_path, monkeypatch):
    """The child does not judge the read back: it returns what the kernel shows after the write (the caller, the
    module's result, reports it), and raises nothing."""
    sys_root, _expected = nvme_child_tree(tmp_path, iopolicy="numa")
    real, reads = nvme_conf._read_attr, []

    def read_attr(base, attr):
        reads.append(attr)
        return "numa" if reads.count("iopolicy") == 2 else real(base, attr)
    monkeypatch.setattr(nvme_conf, "_read_attr", read_attr)
    assert nvme_conf.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN, "numa", "round-robin") == "numa"
    assert reads == ["subsysnqn", "iopolicy", "iopolicy"]
    assert text_of(subsys_file(sys_root, "iopolicy")) == "round-robin"


# ------------------------------------------------------------------------------ child_bound_ctrl_loss_tmo
@pytest.mark.parametrize("now, returned, left", [("off", "1800", "1800"), ("600", "600", "600\n")])
def test_bound_ctrl_loss_tmo_writes_the_seconds_when_live_and_off_and_leaves_a_bound_one(tmp_path, now, returned, left):
    """Off: the planned seconds written and read back. A number there (this run's rule, at a reconnect): returned,
    not overwritten with the planned seconds."""
    sys_root, expected = nvme_child_tree(tmp_path, state="live", ctrl_loss_tmo=now)
    assert nvme_conf.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800) == returned
    assert text_of(ctrl_file(sys_root, "ctrl_loss_tmo")) == left


def test_bound_ctrl_loss_tmo_takes_the_address_pairs_in_any_order(tmp_path):
    sys_root, expected = nvme_child_tree(tmp_path, state="live", ctrl_loss_tmo="off")
    put_text(ctrl_file(sys_root, "address"), "src_addr=192.168.30.15,trsvcid=4420,traddr=192.168.30.40\n")
    assert nvme_conf.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 600) == "600"


def test_bound_ctrl_loss_tmo_refuses_a_value_neither_off_nor_a_number(tmp_path):
    sys_root, expected = nvme_child_tree(tmp_path, state="live", ctrl_loss_tmo="-1")
    with pytest.raises(IdentityChanged) as info:
        nvme_conf.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800)
    exc = info.value
    assert exc.reason == "nvme0/ctrl_loss_tmo reads -1 now, planned from off"
    assert (exc.kind, exc.device, exc.identity) == ("identity_changed", "nvme0", {"expected": "off", "found": "-1"})
    assert text_of(ctrl_file(sys_root, "ctrl_loss_tmo")) == "-1\n"


def test_bound_ctrl_loss_tmo_refuses_a_controller_not_live_with_kind_not_live(tmp_path):
    """Written while it reconnects the bound can end its reconnects at once: refused, kind not_live (the caller
    reports it as came_back, not as another device)."""
    sys_root, expected = nvme_child_tree(tmp_path, state="connecting", ctrl_loss_tmo="off")
    with pytest.raises(IdentityChanged) as info:
        nvme_conf.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800)
    exc = info.value
    # the whole reason: nvme_conf.write_live reports it in the came_back refusal's message
    assert exc.kind == "not_live" and exc.reason == ("nvme0 is connecting now, not live: a bound written while it "
                                                     "reconnects can end its reconnects at once")
    assert (exc.device, exc.identity) == ("nvme0", {"expected": "live", "found": "connecting"})
    assert text_of(ctrl_file(sys_root, "ctrl_loss_tmo")) == "off\n"


@pytest.mark.parametrize("attr, now", [
    ("subsysnqn", SUBSYS_NQN + "x"),
    ("transport", "rdma"),
    ("address", "traddr=192.168.30.41,trsvcid=4420,src_addr=192.168.30.15"),
    ("cntlid", "2"),
    ("model", "NetApp ONTAP Controller 2"),
])
def test_bound_ctrl_loss_tmo_refuses_each_identity_field_that_differs(tmp_path, attr, now):
    sys_root, expected = nvme_child_tree(tmp_path, state="live", ctrl_loss_tmo="off")
    put_text(ctrl_file(sys_root, attr), now + "\n")
    with pytest.raises(IdentityChanged) as info:
        nvme_conf.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800)
    found = "src_addr=192.168.30.15,traddr=192.168.30.41,trsvcid=4420" if attr == "address" else now
    exc = info.value
    assert exc.reason == "nvme0 has %s %s, planned %s" % (attr, found, expected[attr])
    assert (exc.kind, exc.device, exc.identity) == ("identity_changed", "nvme0", {"expected": expected[attr], "found": found})
    assert text_of(ctrl_file(sys_root, "ctrl_loss_tmo")) == "off\n"


@pytest.mark.parametrize("attr", ["subsysnqn", "transport", "address", "cntlid", "model", "state", "ctrl_loss_tmo"])
def test_bound_ctrl_loss_tmo_refuses_when_an_attr_cannot_be_read(tmp_path, attr):
    sys_root, expected = nvme_child_tree(tmp_path, state="live", ctrl_loss_tmo="off")
    os.unlink(ctrl_file(sys_root, attr))
    with pytest.raises(IdentityChanged) as info:
        nvme_conf.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800)
    assert info.value.identity == {"attr": attr}
    assert os.path.exists(ctrl_file(sys_root, "ctrl_loss_tmo")) is (attr != "ctrl_loss_tmo")
    if attr != "ctrl_loss_tmo":
        assert text_of(ctrl_file(sys_root, "ctrl_loss_tmo")) == "off\n"
