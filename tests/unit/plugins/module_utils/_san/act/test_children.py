# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/children.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import signal
import stat
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    children as act_children, context as act_context, disks as act_disks, execute)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, IdentityChanged, Refused
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    _orphan, delete_plan)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env, killable)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    NVME_HOSTNQN, NVME_ONTAP_MODEL, SanTree)


def test_real_deadline_call_abandons_a_blocking_write(env, tmp_path):
    """A write that blocks (a FIFO nobody reads stands in for device/delete on a wedged host)."""
    _orphan(env)
    hctl_dir = os.path.join(env.root, "sys/class/scsi_device/4:0:0:1/device")
    os.unlink(os.path.join(hctl_dir, "delete"))
    os.mkfifo(os.path.join(hctl_dir, "delete"))
    st = [s for s in delete_plan(env, ["sdc"]) if s.action == "delete_disk"][0]
    host = env.host(command_timeout=0.5)
    host.call = lambda fn, args=(), timeout=10.0, what=None: (
        env.call(fn, args, timeout, what) if fn is act_children._child_exclusive_open
        else deadline.call(fn, args, timeout, what))
    t0 = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        act_disks.delete_disk(host, st)
    assert time.monotonic() - t0 < 5
    assert "4:0:0:1" in str(info.value)


def test_exclusive_open_child_on_real_nodes(tmp_path):
    """The child function itself: a regular file is not the device (identity), a missing node is an error."""
    f = tmp_path / "sdz"
    f.write_text("")
    with pytest.raises(ValueError, match="IDENTITY CHANGED"):
        act_children._child_exclusive_open(str(f), "8:32")
    with pytest.raises(OSError):
        act_children._child_exclusive_open(str(tmp_path / "absent"), "8:32")


def test_a_signal_while_a_delete_write_runs_lets_the_write_finish_and_reports_it(env, killable):
    """Fails when SIGTERM during a delete write kills the write, or the report hides that it was done."""
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    plan = delete_plan(env, ["sdc"])
    orig = env.call

    def call(fn, args=(), timeout=10.0, what=None):
        out = orig(fn, args, timeout, what)
        if fn is act_children.child_checked_write:
            os.kill(os.getpid(), signal.SIGTERM)   # arrives while the forked writer runs
        return out
    host = env.host()
    host.call = call
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(None, "disk sdc") for st in plan], host)
    out = info.value.to_dict()
    assert [(e["action"], e["outcome"]) for e in out["executed"]] == [("delete_disk", "done")]
    assert "sdc" not in env.disks
    (failure,) = out["failures"]
    assert failure["failed_step"]["action"] == "wait_disk_gone" and "interrupted by SIGTERM" in failure["msg"]


def test_two_units_never_open_one_node_exclusively_at_once(env):
    """Two O_EXCL opens of one node at once exclude each other (one EBUSY: 8-17 % of 2,000 concurrent opens of an
    NVMe namespace head in the lab, none alone), which reads as a kernel user. The act's workers (ACT_WORKERS) may
    re-check one namespace from two units: their exclusive opens of one node take turns; of two nodes they do not
    wait for each other."""
    import threading
    host = env.host()
    inside, overlaps, lock = {}, [], threading.Lock()

    def child(fn, args=(), timeout=10.0, what=None):
        node = args[0]
        with lock:
            inside[node] = inside.get(node, 0) + 1
            if inside[node] > 1:
                overlaps.append(node)
        time.sleep(0.05)
        with lock:
            inside[node] -= 1
        return {"claimed": False, "answer": "ok"}
    host.call = child
    ns = {"name": "nvme0n2", "dev": "259:2"}
    threads = [threading.Thread(target=act_children.exclusive_open_check, args=(host, ns)) for _i in range(4)]
    threads.append(threading.Thread(target=act_children.exclusive_open_check,
                                    args=(host, {"name": "nvme0n1", "dev": "259:1"})))
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [] and inside == {host.path("/dev/nvme0n2"): 0, host.path("/dev/nvme0n1"): 0}
    assert time.monotonic() - t0 >= 0.2   # the four of nvme0n2 one after the other


def test_exclusive_opens_of_two_nodes_run_at_once(env):
    """The lock is the node's own: one node's open (a child that hangs until its deadline) never holds up another
    node's. Fails when all nodes share one lock: each child waits for the other inside it and the barrier breaks."""
    import threading
    host = env.host()
    both_inside = threading.Barrier(2, timeout=5)
    errors = []

    def child(fn, args=(), timeout=10.0, what=None):
        both_inside.wait()
        return {"claimed": False, "answer": "ok"}
    host.call = child

    def check(d):
        try:
            act_children.exclusive_open_check(host, d)
        except Exception as exc:  # noqa: B902 reported below, in the test's thread
            errors.append(exc)
    threads = [threading.Thread(target=check, args=({"name": n, "dev": dev},))
               for n, dev in (("nvme0n1", "259:1"), ("nvme0n2", "259:2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ------------------------------------------------------------------------------------------------------------------
# The children called in-process (no fork), against a sysfs tree under tmp_path: a fault in a check fails a test here
# that a mutation run can map to the line (through deadline.call's fork it cannot).
SUBSYS_NQN = "nqn.1992-08.com.netapp:sn.51a3c9846e0c11f08f5dd039eaa7dfc9:subsystem.Nvme38"
# the sysfs address of nvme0 as SanTree writes it, and the host's spelling of it (identity.address_text: pairs sorted)
RAW_ADDRESS = "traddr=192.168.30.40,trsvcid=4420,src_addr=192.168.30.15"
HOST_ADDRESS = "src_addr=192.168.30.15,traddr=192.168.30.40,trsvcid=4420"
DELETABLE = ("connecting", "resetting")


def _in_process(fn, args=(), timeout=10.0, what=None):
    """deadline.call without the fork: the child's exception comes back as the ChildFailed deadline.call makes of it."""
    try:
        return fn(*args)
    except Exception as exc:  # as deadline.call reports a child's exception
        raise ChildFailed.of(what, exc)


def _text(path):
    with open(str(path)) as fh:
        return fh.read()


def _sys(env):
    return os.path.join(env.root, "sys")


def _sd_file(env, attr, hctl="4:0:0:1"):
    """The real file behind class/scsi_device/<hctl>/device/<attr> of the env's tree (devices/scsi/<hctl>/<attr>)."""
    return os.path.join(env.root, "sys/devices/scsi", hctl, attr)


def _nvme_tree(tmp_path, state="connecting", ctrl_loss_tmo="off", iopolicy="numa"):
    """nvme0 (tcp, cntlid 1, RAW_ADDRESS) of subsystem nvme-subsys0 (SUBSYS_NQN); sys_root and the controller's
    identity as the plan holds it (observe's controller_identity: the address in the host's spelling)."""
    t = SanTree(tmp_path)
    t.nvme_subsystem(0, SUBSYS_NQN, iopolicy=iopolicy)
    t.nvme_ctrl(0, 0, SUBSYS_NQN, state=state, ctrl_loss_tmo=ctrl_loss_tmo, address=RAW_ADDRESS)
    expected = {"name": "nvme0", "subsysnqn": SUBSYS_NQN, "transport": "tcp", "address": HOST_ADDRESS,
                "hostnqn": NVME_HOSTNQN, "cntlid": "1", "model": NVME_ONTAP_MODEL}
    return t.path("/sys"), expected


def _ctrl(sys_root, attr):
    return os.path.join(sys_root, "class", "nvme", "nvme0", attr)


def _subsys(sys_root, attr):
    return os.path.join(sys_root, "class", "nvme-subsystem", "nvme-subsys0", attr)


def _put(path, text):
    with open(path, "w") as fh:
        fh.write(text)


# ----------------------------------------------------------------------------- child_checked_write (sd delete/rescan)
def test_checked_write_writes_the_exact_data_when_name_and_dev_still_match(env):
    """The write goes to class/scsi_device/<hctl>/device/<attr> with the bytes given, nothing more (no newline)."""
    assert act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", "8:32", "delete", "1") is True
    assert _text(_sd_file(env, "delete")) == "1"
    assert _text(_sd_file(env, "rescan")) == ""   # only the attr named


def test_checked_write_refuses_another_block_name_at_the_hctl_and_writes_nothing(env):
    """The hctl was reused for another disk: IdentityChanged names the hctl, what was expected and what is there."""
    with pytest.raises(IdentityChanged) as info:
        act_children.child_checked_write(_sys(env), "4:0:0:1", "sdd", "8:48", "delete", "1")
    exc = info.value
    assert exc.reason == "4:0:0:1 is no longer sdd (found ['sdc'])"
    assert (exc.device, exc.identity, exc.kind) == ("4:0:0:1", {"expected": "sdd", "found": ["sdc"]}, "identity_changed")
    assert _text(_sd_file(env, "delete")) == ""


def test_checked_write_refuses_an_hctl_without_block_dir_and_says_nothing_found(env):
    """No block/ below the device (the disk is going, or the hctl has none yet): 'nothing' found, no write."""
    shutil.rmtree(os.path.join(env.root, "sys/devices/scsi/4:0:0:1/block"))
    with pytest.raises(IdentityChanged) as info:
        act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", "8:32", "delete", "1")
    assert info.value.reason == "4:0:0:1 is no longer sdc (found nothing)"
    assert info.value.identity == {"expected": "sdc", "found": []}
    assert _text(_sd_file(env, "delete")) == ""


def test_checked_write_refuses_a_name_with_another_major_minor_and_writes_nothing(env):
    """Same kernel name, another device number (sdc gone and a new sdc made at this hctl): refused on `dev`."""
    with pytest.raises(IdentityChanged) as info:
        act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", "8:33", "delete", "1")
    exc = info.value
    assert exc.reason == "4:0:0:1/sdc is 8:32, expected 8:33"
    assert (exc.device, exc.identity) == ("4:0:0:1", {"expected": "8:33", "found": "8:32"})
    assert _text(_sd_file(env, "delete")) == ""


def test_checked_write_compares_dev_after_stripping_the_kernels_newline(env):
    """sysfs prints `dev` with a newline: "8:32\\n" is 8:32 (exact text after strip), so the write goes."""
    _put(os.path.join(env.root, "sys/devices/scsi/4:0:0:1/block/sdc/dev"), "8:32\n")
    assert act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", "8:32", "rescan", "1") is True
    assert _text(_sd_file(env, "rescan")) == "1"


def test_checked_write_without_a_planned_dev_checks_the_name_only(env):
    """dev None (not planned): the name alone decides, and the dev file is not read (here it is gone)."""
    os.unlink(os.path.join(env.root, "sys/devices/scsi/4:0:0:1/block/sdc/dev"))
    assert act_children.child_checked_write(_sys(env), "4:0:0:1", "sdc", None, "delete", "1") is True
    assert _text(_sd_file(env, "delete")) == "1"


# ------------------------------------------------------------------------------ child_delete_controller (NVMe-oF)
def test_delete_controller_writes_1_when_identity_matches_and_state_is_one_of_states(tmp_path):
    """Every identity field equal (the sysfs address normalised to the host's spelling) and the state deletable."""
    sys_root, expected = _nvme_tree(tmp_path)
    assert act_children.child_delete_controller(sys_root, "nvme0", expected, DELETABLE) is True
    assert _text(_ctrl(sys_root, "delete_controller")) == "1"


def test_delete_controller_takes_the_address_pairs_in_any_order_the_kernel_prints(tmp_path):
    """The address is compared parsed and re-spelled (pairs sorted): another order of the same pairs is the same
    controller; the raw text compared would refuse it."""
    sys_root, expected = _nvme_tree(tmp_path)
    _put(_ctrl(sys_root, "address"), "trsvcid=4420,src_addr=192.168.30.15,traddr=192.168.30.40\n")
    assert act_children.child_delete_controller(sys_root, "nvme0", expected, DELETABLE) is True
    assert _text(_ctrl(sys_root, "delete_controller")) == "1"


@pytest.mark.parametrize("cntlid", [None, ""])
def test_delete_controller_refuses_a_plan_without_cntlid_with_its_own_reason(tmp_path, cntlid):
    """A reused name cannot be told apart without the controller ID: refused with its own reason (not the generic
    'has cntlid ...' one a missing check would fall through to), nothing written."""
    sys_root, expected = _nvme_tree(tmp_path)
    expected["cntlid"] = cntlid
    with pytest.raises(IdentityChanged) as info:
        act_children.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    exc = info.value
    assert exc.reason == "nvme0 was planned without its controller ID: it cannot be told from a reused name"
    assert (exc.device, exc.identity) == ("nvme0", {"expected": None})
    assert not os.path.exists(_ctrl(sys_root, "delete_controller"))


@pytest.mark.parametrize("attr, now", [
    ("subsysnqn", SUBSYS_NQN + "x"),
    ("transport", "rdma"),
    ("address", "traddr=192.168.30.40,trsvcid=4421,src_addr=192.168.30.15"),
    ("hostnqn", NVME_HOSTNQN.replace("uuid:4", "uuid:5")),
    ("cntlid", "2"),
])
def test_delete_controller_refuses_each_identity_field_that_differs(tmp_path, attr, now):
    """Each of the five fields is compared on its own (one differing is enough): IdentityChanged with expected and
    found, nothing written."""
    sys_root, expected = _nvme_tree(tmp_path)
    _put(_ctrl(sys_root, attr), now + "\n")
    with pytest.raises(IdentityChanged) as info:
        act_children.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    found = "src_addr=192.168.30.15,traddr=192.168.30.40,trsvcid=4421" if attr == "address" else now
    exc = info.value
    assert exc.reason == "nvme0 has %s %s, expected %s" % (attr, found, expected[attr])
    assert (exc.device, exc.identity) == ("nvme0", {"expected": expected[attr], "found": found})
    assert not os.path.exists(_ctrl(sys_root, "delete_controller"))


def test_delete_controller_refuses_an_address_planned_in_the_kernels_raw_order(tmp_path):
    """The plan's address must be in the host's spelling (pairs sorted): the raw text is not the same string."""
    sys_root, expected = _nvme_tree(tmp_path)
    expected["address"] = RAW_ADDRESS
    with pytest.raises(IdentityChanged, match="has address"):
        act_children.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    assert not os.path.exists(_ctrl(sys_root, "delete_controller"))


def test_delete_controller_refuses_a_state_not_in_states(tmp_path):
    """A controller that reconnected (live) is not deleted: the states allowed and the state found are reported."""
    sys_root, expected = _nvme_tree(tmp_path, state="live")
    with pytest.raises(IdentityChanged) as info:
        act_children.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    exc = info.value
    assert exc.reason == "nvme0 is live now, not one of connecting, resetting (it reconnected or is going already)"
    assert (exc.device, exc.identity) == ("nvme0", {"expected": ["connecting", "resetting"], "found": "live"})
    assert not os.path.exists(_ctrl(sys_root, "delete_controller"))


@pytest.mark.parametrize("attr", ["subsysnqn", "transport", "address", "hostnqn", "cntlid", "state"])
def test_delete_controller_refuses_when_an_attr_cannot_be_read(tmp_path, attr):
    """An attribute gone (the controller is being torn down, or it is another kind) is an identity not confirmed."""
    sys_root, expected = _nvme_tree(tmp_path)
    os.unlink(_ctrl(sys_root, attr))
    with pytest.raises(IdentityChanged) as info:
        act_children.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    exc = info.value
    assert exc.reason.startswith("nvme0/%s cannot be read (" % attr)
    assert (exc.device, exc.identity) == ("nvme0", {"expected": expected.get(attr), "found": None})
    assert not os.path.exists(_ctrl(sys_root, "delete_controller"))


# ------------------------------------------------------------------------------ _read_attr, _write_and_read_back
def test_read_attr_strips_and_an_unreadable_attr_is_an_identity_change(tmp_path):
    """The kernel's newline goes; a missing attribute raises IdentityChanged naming the object and the attribute."""
    sys_root, _expected = _nvme_tree(tmp_path)
    base = os.path.join(sys_root, "class", "nvme-subsystem", "nvme-subsys0")
    assert act_children._read_attr(base, "iopolicy") == "numa"
    with pytest.raises(IdentityChanged) as info:
        act_children._read_attr(base, "nope")
    exc = info.value
    assert exc.reason.startswith("nvme-subsys0/nope cannot be read (")
    assert (exc.device, exc.identity) == ("nvme-subsys0", {"attr": "nope"})


def test_write_and_read_back_writes_the_value_and_returns_what_reads_back(tmp_path):
    """The exact value is written (no newline added) and the value returned is the one read after the write."""
    sys_root, _expected = _nvme_tree(tmp_path)
    base = os.path.join(sys_root, "class", "nvme-subsystem", "nvme-subsys0")
    assert act_children._write_and_read_back(base, "iopolicy", "queue-depth") == "queue-depth"
    assert _text(_subsys(sys_root, "iopolicy")) == "queue-depth"


# ------------------------------------------------------------------------------ child_set_iopolicy
def test_set_iopolicy_writes_after_when_it_still_reads_before(tmp_path):
    sys_root, _expected = _nvme_tree(tmp_path, iopolicy="numa")
    assert act_children.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN, "numa", "round-robin") == "round-robin"
    assert _text(_subsys(sys_root, "iopolicy")) == "round-robin"


def test_set_iopolicy_already_after_returns_it_without_writing(tmp_path):
    """Set since the plan (another run): nothing written (the file keeps the kernel's newline)."""
    sys_root, _expected = _nvme_tree(tmp_path, iopolicy="round-robin")
    assert act_children.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN, "numa", "round-robin") == "round-robin"
    assert _text(_subsys(sys_root, "iopolicy")) == "round-robin\n"


def test_set_iopolicy_refuses_a_policy_neither_before_nor_after(tmp_path):
    """Changed by someone else since the plan: not overwritten."""
    sys_root, _expected = _nvme_tree(tmp_path, iopolicy="queue-depth")
    with pytest.raises(IdentityChanged) as info:
        act_children.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN, "numa", "round-robin")
    exc = info.value
    assert exc.reason == "nvme-subsys0/iopolicy reads queue-depth now, planned from numa"
    assert (exc.device, exc.identity) == ("nvme-subsys0", {"expected": "numa", "found": "queue-depth"})
    assert _text(_subsys(sys_root, "iopolicy")) == "queue-depth\n"


def test_set_iopolicy_refuses_another_subsystem_under_the_name(tmp_path):
    """nvme-subsysN names are reused: the NQN decides, checked before the policy."""
    sys_root, _expected = _nvme_tree(tmp_path, iopolicy="numa")
    with pytest.raises(IdentityChanged) as info:
        act_children.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN + "x", "numa", "round-robin")
    exc = info.value
    assert exc.reason == "nvme-subsys0 is subsystem %s now, planned %sx" % (SUBSYS_NQN, SUBSYS_NQN)
    assert (exc.device, exc.identity) == ("nvme-subsys0", {"expected": SUBSYS_NQN + "x", "found": SUBSYS_NQN})
    assert _text(_subsys(sys_root, "iopolicy")) == "numa\n"


def test_set_iopolicy_returns_the_read_back_even_when_the_kernel_kept_another_value(tmp_path, monkeypatch):
    """The child does not judge the read back: it returns what the kernel shows after the write (the caller, the
    module's result, reports it), and raises nothing."""
    sys_root, _expected = _nvme_tree(tmp_path, iopolicy="numa")
    real, reads = act_children._read_attr, []

    def read_attr(base, attr):
        reads.append(attr)
        return "numa" if reads.count("iopolicy") == 2 else real(base, attr)
    monkeypatch.setattr(act_children, "_read_attr", read_attr)
    assert act_children.child_set_iopolicy(sys_root, "nvme-subsys0", SUBSYS_NQN, "numa", "round-robin") == "numa"
    assert reads == ["subsysnqn", "iopolicy", "iopolicy"]
    assert _text(_subsys(sys_root, "iopolicy")) == "round-robin"


# ------------------------------------------------------------------------------ child_bound_ctrl_loss_tmo
def test_bound_ctrl_loss_tmo_writes_the_seconds_when_live_and_off(tmp_path):
    sys_root, expected = _nvme_tree(tmp_path, state="live", ctrl_loss_tmo="off")
    assert act_children.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800) == "1800"
    assert _text(_ctrl(sys_root, "ctrl_loss_tmo")) == "1800"


def test_bound_ctrl_loss_tmo_takes_the_address_pairs_in_any_order(tmp_path):
    sys_root, expected = _nvme_tree(tmp_path, state="live", ctrl_loss_tmo="off")
    _put(_ctrl(sys_root, "address"), "src_addr=192.168.30.15,trsvcid=4420,traddr=192.168.30.40\n")
    assert act_children.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 600) == "600"


def test_bound_ctrl_loss_tmo_already_bounded_is_returned_and_left_as_it_is(tmp_path):
    """A number there (this run's rule, at a reconnect): returned, not overwritten with the planned seconds."""
    sys_root, expected = _nvme_tree(tmp_path, state="live", ctrl_loss_tmo="600")
    assert act_children.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800) == "600"
    assert _text(_ctrl(sys_root, "ctrl_loss_tmo")) == "600\n"


def test_bound_ctrl_loss_tmo_refuses_a_value_neither_off_nor_a_number(tmp_path):
    sys_root, expected = _nvme_tree(tmp_path, state="live", ctrl_loss_tmo="-1")
    with pytest.raises(IdentityChanged) as info:
        act_children.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800)
    exc = info.value
    assert exc.reason == "nvme0/ctrl_loss_tmo reads -1 now, planned from off"
    assert (exc.kind, exc.device, exc.identity) == ("identity_changed", "nvme0", {"expected": "off", "found": "-1"})
    assert _text(_ctrl(sys_root, "ctrl_loss_tmo")) == "-1\n"


def test_bound_ctrl_loss_tmo_refuses_a_controller_not_live_with_kind_not_live(tmp_path):
    """Written while it reconnects the bound can end its reconnects at once: refused, kind not_live (the caller
    reports it as came_back, not as another device)."""
    sys_root, expected = _nvme_tree(tmp_path, state="connecting", ctrl_loss_tmo="off")
    with pytest.raises(IdentityChanged) as info:
        act_children.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800)
    exc = info.value
    # the whole reason: nvme_conf.write_live reports it in the came_back refusal's message
    assert exc.kind == "not_live" and exc.reason == ("nvme0 is connecting now, not live: a bound written while it "
                                                     "reconnects can end its reconnects at once")
    assert (exc.device, exc.identity) == ("nvme0", {"expected": "live", "found": "connecting"})
    assert _text(_ctrl(sys_root, "ctrl_loss_tmo")) == "off\n"


@pytest.mark.parametrize("attr, now", [
    ("subsysnqn", SUBSYS_NQN + "x"),
    ("transport", "rdma"),
    ("address", "traddr=192.168.30.41,trsvcid=4420,src_addr=192.168.30.15"),
    ("cntlid", "2"),
    ("model", "NetApp ONTAP Controller 2"),
])
def test_bound_ctrl_loss_tmo_refuses_each_identity_field_that_differs(tmp_path, attr, now):
    sys_root, expected = _nvme_tree(tmp_path, state="live", ctrl_loss_tmo="off")
    _put(_ctrl(sys_root, attr), now + "\n")
    with pytest.raises(IdentityChanged) as info:
        act_children.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800)
    found = "src_addr=192.168.30.15,traddr=192.168.30.41,trsvcid=4420" if attr == "address" else now
    exc = info.value
    assert exc.reason == "nvme0 has %s %s, planned %s" % (attr, found, expected[attr])
    assert (exc.kind, exc.device, exc.identity) == ("identity_changed", "nvme0", {"expected": expected[attr], "found": found})
    assert _text(_ctrl(sys_root, "ctrl_loss_tmo")) == "off\n"


@pytest.mark.parametrize("attr", ["subsysnqn", "transport", "address", "cntlid", "model", "state", "ctrl_loss_tmo"])
def test_bound_ctrl_loss_tmo_refuses_when_an_attr_cannot_be_read(tmp_path, attr):
    sys_root, expected = _nvme_tree(tmp_path, state="live", ctrl_loss_tmo="off")
    os.unlink(_ctrl(sys_root, attr))
    with pytest.raises(IdentityChanged) as info:
        act_children.child_bound_ctrl_loss_tmo(sys_root, "nvme0", expected, 1800)
    assert info.value.identity == {"attr": attr}
    assert os.path.exists(_ctrl(sys_root, "ctrl_loss_tmo")) is (attr != "ctrl_loss_tmo")
    if attr != "ctrl_loss_tmo":
        assert _text(_ctrl(sys_root, "ctrl_loss_tmo")) == "off\n"


# ------------------------------------------------------------------------------ _child_exclusive_open
def _block_node(path, major, minor):
    """A block device node in tmp_path, or skip where nodes cannot be made or opened (not root, a nodev mount)."""
    try:
        os.mknod(str(path), stat.S_IFBLK | 0o600, os.makedev(major, minor))
    except OSError as exc:
        pytest.skip("cannot make a block node here: %s" % exc)
    return str(path)


def _loop_node(tmp_path, name="sdz"):
    """A node of an existing loop device (unbound loop devices open): the kernel's O_EXCL answers for real."""
    loops = sorted(n for n in os.listdir("/dev") if n.startswith("loop") and n[4:].isdigit())
    if not loops:
        pytest.skip("no loop device")
    st = os.stat("/dev/" + loops[0])
    node = _block_node(os.path.join(str(tmp_path), name), os.major(st.st_rdev), os.minor(st.st_rdev))
    try:
        os.close(os.open(node, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as exc:
        pytest.skip("cannot open %s: %s" % (node, exc))
    return node, "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))


def _in_process_host(env):
    """The env's host with the real children run in-process (the env's fake kernel answers exclusive opens itself)."""
    host = env.host()
    host.call = _in_process
    return host


def test_exclusive_open_of_a_regular_file_is_an_identity_change_even_when_its_numbers_match(tmp_path):
    """A regular file's st_rdev is 0:0: the block-device test alone must refuse it."""
    f = tmp_path / "sdz"
    f.write_text("")
    with pytest.raises(IdentityChanged) as info:
        act_children._child_exclusive_open(str(f), "0:0")
    exc = info.value
    assert exc.reason == "%s is not block device 0:0" % f
    assert (exc.device, exc.identity) == (str(f), {"expected": "0:0"})


def test_exclusive_open_of_a_real_unclaimed_block_node_is_ok_and_closes_it(tmp_path):
    """Twice in a row: an fd left open would hold the claim and the second open would read as claimed."""
    node, dev = _loop_node(tmp_path)
    assert act_children._child_exclusive_open(node, dev) == {"claimed": False, "answer": "ok"}
    assert act_children._child_exclusive_open(node, dev) == {"claimed": False, "answer": "ok"}


def test_exclusive_open_of_a_real_node_with_other_numbers_is_an_identity_change(tmp_path):
    node, dev = _loop_node(tmp_path)
    other = "%s:%d" % (dev.split(":")[0], int(dev.split(":")[1]) + 1)
    with pytest.raises(IdentityChanged, match="is not block device %s" % other):
        act_children._child_exclusive_open(node, other)


def test_exclusive_open_of_a_real_node_held_exclusively_is_claimed(tmp_path):
    """The kernel's own EBUSY (another O_EXCL opener holds it): claimed, with the reason as the kernel words it."""
    node, dev = _loop_node(tmp_path)
    fd = os.open(node, os.O_RDONLY | os.O_EXCL | os.O_NONBLOCK)
    try:
        out = act_children._child_exclusive_open(node, dev)
    finally:
        os.close(fd)
    reason = os.strerror(errno.EBUSY)
    assert out == {"claimed": True, "reason": reason, "answer": "busy: %s" % reason}


def test_exclusive_open_of_a_real_node_without_a_driver_is_not_claimed(tmp_path):
    """ENXIO (no driver for the numbers; an offline sd refuses its open the same way): no exclusive holder."""
    majors = set()
    with open("/proc/devices") as fh:
        block = False
        for line in fh:
            block = block or line.startswith("Block devices")
            if block and line.split() and line.split()[0].isdigit():
                majors.add(int(line.split()[0]))
    major = [m for m in range(240, 255) if m not in majors][0]   # the local/experimental range
    node = _block_node(tmp_path / "sdz", major, 7)
    try:
        out = act_children._child_exclusive_open(node, "%d:7" % major)
    except OSError as exc:
        pytest.skip("the node does not open here: %s" % exc)
    assert out == {"claimed": False, "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(errno.ENXIO)}


@pytest.mark.parametrize("code, expected", [
    (errno.EBUSY, {"claimed": True, "reason": os.strerror(errno.EBUSY), "answer": "busy: " + os.strerror(errno.EBUSY)}),
    (errno.ENXIO, {"claimed": False, "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(errno.ENXIO)}),
    (errno.ENODEV, {"claimed": False, "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(errno.ENODEV)}),
    (errno.ENOMEDIUM, {"claimed": False,
                       "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(errno.ENOMEDIUM)}),
])
def test_exclusive_open_maps_each_open_error_the_kernel_gives(tmp_path, monkeypatch, code, expected):
    """EBUSY is a kernel claim; ENXIO, ENODEV, ENOMEDIUM are a driver that refused the open (checked after the claim)."""
    def refuse(path, flags, *rest):
        assert flags & os.O_EXCL and flags & os.O_NONBLOCK and not flags & (os.O_WRONLY | os.O_RDWR)
        raise OSError(code, os.strerror(code), path)
    monkeypatch.setattr(act_children.os, "open", refuse)
    assert act_children._child_exclusive_open(str(tmp_path / "sdz"), "8:32") == expected


def test_exclusive_open_raises_any_other_open_error(tmp_path, monkeypatch):
    """EACCES says nothing about a claim: raised, never read as unclaimed."""
    def refuse(path, flags, *rest):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)
    monkeypatch.setattr(act_children.os, "open", refuse)
    with pytest.raises(OSError) as info:
        act_children._child_exclusive_open(str(tmp_path / "sdz"), "8:32")
    assert info.value.errno == errno.EACCES


# ------------------------------------------------------------------------------ exclusive_open_check, _identity_changed
def test_exclusive_open_check_returns_the_answer_of_an_unclaimed_node(env):
    """The child gets the node under the host's root and the planned dev."""
    assert act_children.exclusive_open_check(env.host(), {"name": "sdc", "dev": "8:32"}) == "ok"
    assert env.exclusive_opens == [(os.path.join(env.root, "dev/sdc"), "8:32")]


def test_exclusive_open_check_refuses_a_claimed_node_as_open_count(env):
    env.exclusive_busy = True
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(env.host(), {"name": "sdc", "dev": "8:32"})
    exc = info.value
    assert (exc.target, exc.kind, exc.holder) == ("disk sdc", "open_count", "exclusive open refused")
    assert exc.evidence == {"exclusive_open": "busy: Device or resource busy"}
    # the whole message: the refusal's msg is what the report shows
    assert str(exc) == ("disk sdc: is claimed by a kernel user (exclusive open: Device or resource busy): a mount, "
                        "LVM/dm, md, btrfs, ZFS, drbd, an LIO backstore or swap not seen in sysfs; not deleting")


def test_exclusive_open_check_refuses_a_real_node_held_exclusively_under_the_given_target(env):
    """The real child in-process on a real node another opener holds O_EXCL: refused for the target named."""
    os.makedirs(os.path.join(env.root, "dev"), exist_ok=True)
    node, dev = _loop_node(env.root, "dev/sdc")
    fd = os.open(node, os.O_RDONLY | os.O_EXCL | os.O_NONBLOCK)
    try:
        with pytest.raises(Refused) as info:
            act_children.exclusive_open_check(_in_process_host(env), {"name": "sdc", "dev": dev}, "namespace nvme0n1")
    finally:
        os.close(fd)
    assert (info.value.target, info.value.kind) == ("namespace nvme0n1", "open_count")


def test_exclusive_open_check_refuses_another_device_at_the_node_as_identity(env):
    """The child's IdentityChanged (a regular file at /dev/sdc) comes back as a refusal of kind identity."""
    os.makedirs(os.path.join(env.root, "dev"), exist_ok=True)
    _put(os.path.join(env.root, "dev/sdc"), "")
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(_in_process_host(env), {"name": "sdc", "dev": "8:32"})
    exc = info.value
    assert (exc.target, exc.kind) == ("disk sdc", "identity")
    assert str(exc) == "disk sdc: %s is not block device 8:32; nothing written" % os.path.join(env.root, "dev/sdc")


def test_exclusive_open_check_refuses_a_node_it_cannot_open_as_open_count(env):
    """Any other failure of the child (no node): not deleting, as a kernel user could not be ruled out."""
    with pytest.raises(Refused) as info:
        act_children.exclusive_open_check(_in_process_host(env), {"name": "sdc", "dev": "8:32"})
    exc = info.value
    node = os.path.join(env.root, "dev/sdc")
    assert (exc.target, exc.kind) == ("disk sdc", "open_count")
    # the whole message (the report's msg), with the child's failure as deadline.call words it: what was tried first
    assert str(exc) == ("disk sdc: could not be opened exclusively to check for kernel users (exclusive open of "
                        "/dev/sdc: FileNotFoundError: [Errno %d] %s: '%s'); not deleting"
                        % (errno.ENOENT, os.strerror(errno.ENOENT), node))


def test_identity_changed_is_the_kind_of_a_child_failure_never_its_text():
    changed = ChildFailed.of("w", IdentityChanged("x", device="sdc"))
    assert act_children._identity_changed(changed) is True
    assert act_children._identity_changed(ChildFailed.of("w", OSError("IDENTITY CHANGED: x"))) is False
    assert act_children._identity_changed(IdentityChanged("x")) is False   # not a child's report


# ------------------------------------------------------------------------------ child_write, sysfs_write
def test_child_write_writes_the_exact_data(tmp_path):
    scan = tmp_path / "scan"
    scan.write_text("")
    assert act_children.child_write(str(scan), "0 1 2") is True
    assert scan.read_text() == "0 1 2"


def test_sysfs_write_returns_the_childs_answer_after_writing(env):
    args = (_sys(env), "4:0:0:1", "sdc", "8:32", "rescan", "1")
    assert act_children.sysfs_write(env.host(), act_children.child_checked_write, args, "disk sdc", "rescan") is True
    assert _text(_sd_file(env, "rescan")) == "1"


def test_sysfs_write_turns_an_identity_change_into_a_refusal(env):
    args = (_sys(env), "4:0:0:1", "sdd", "8:48", "delete", "1")
    with pytest.raises(Refused) as info:
        act_children.sysfs_write(env.host(), act_children.child_checked_write, args, "disk sdd", "delete of sdd")
    exc = info.value
    assert (exc.target, exc.kind) == ("disk sdd", "identity")
    assert str(exc) == ("disk sdd: 4:0:0:1 is no longer sdd (found ['sdc']) — the kernel name or address was reused; "
                        "nothing written")
    assert _text(_sd_file(env, "delete")) == ""


def test_sysfs_write_turns_any_other_child_failure_into_act_failed(env):
    with pytest.raises(act_context.ActFailed) as info:
        act_children.sysfs_write(env.host(), act_children.child_write, (os.path.join(env.root, "no/such/scan"), "- - -"),
                                 "host9", "scan of host9")
    assert info.value.target == "host9"
    assert str(info.value).startswith("host9: scan of host9 failed: scan of host9: FileNotFoundError: ")


def test_sysfs_write_lets_a_missed_deadline_through(env):
    """DeadlineExceeded is not the child's error: the caller sees it as it is (it reports an abandoned write)."""
    env.hang.add("delete")
    args = (_sys(env), "4:0:0:1", "sdc", "8:32", "delete", "1")
    with pytest.raises(deadline.DeadlineExceeded):
        act_children.sysfs_write(env.host(), act_children.child_checked_write, args, "disk sdc", "delete of sdc")


def test_sysfs_write_starts_nothing_after_a_signal(env):
    """The checkpoint comes first: after SIGTERM no write is started."""
    host = env.host()
    host.interrupted = "SIGTERM"
    args = (_sys(env), "4:0:0:1", "sdc", "8:32", "delete", "1")
    with pytest.raises(act_context.Interrupted):
        act_children.sysfs_write(host, act_children.child_checked_write, args, "disk sdc", "delete of sdc")
    assert _text(_sd_file(env, "delete")) == "" and env.writes == []
