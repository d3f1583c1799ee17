# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/nvme.py` (and its writer `child_delete_controller`): the
act re-reads a copy of a state captured on a real kernel (nvme_stale, nvme_outage), the plan made from it, and what changed in
between; the kernel's answer to the write (the controller and its paths go, and a namespace head with no path left)
is played on the copy (act/helpers.py Kernel)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute, nvme as act_nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ExecutionError
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme as observe_nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.nvme import plan_nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import IdentityChanged
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    DELETABLE, NVME_LIF_GONE, RAW_ADDRESS, SUBSYS_NQN, ctrl_file, nvme_child_tree, nvme_host_removed, nvme_planned,
    nvme_refusal, put_text, text_of)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import NVME_HOSTNQN
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    NVME_LAB_LIFS, nvme_array_truth, nvme_host, nvme_judged, open_controller_node, open_generic_node)


def host_removed_plan(tmp_path):
    """nvme_outage after this host was removed from the subsystem: both controllers planned for delete, with both
    namespaces unmapped behind each."""
    steps, host, kernel = nvme_planned(tmp_path, lifs=NVME_LAB_LIFS, scenario="nvme_outage", change=nvme_host_removed)
    assert sorted(s.target for s in steps if s.action == "delete_controller") == ["nvme0", "nvme1"]
    return steps, host, kernel


def present(kernel, *names):
    return [n for n in names if os.path.lexists(kernel.sys("block", n)) or os.path.lexists(kernel.sys("class", "nvme", n))]


def test_the_controller_to_a_deleted_lif_is_deleted_alone_and_its_namespaces_stay(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    executed = execute.execute(steps, host)
    assert [(e["action"], e["target"], e["outcome"]) for e in executed] == [
        ("delete_controller", "nvme0", "done"), ("wait_controller_gone", "nvme0", "done")]
    assert kernel.writes == ["nvme0"]
    assert present(kernel, "nvme0", "nvme1", "nvme0n1", "nvme0n3") == ["nvme1", "nvme0n1", "nvme0n3"]
    assert [e["detail"] for e in executed] == [{"namespaces": ["nvme0n1", "nvme0n3"]},
                                               {"namespaces_gone": [], "namespaces_kept": []}]


def test_the_controllers_of_a_subsystem_that_no_longer_allows_this_host_go_and_its_namespaces_with_them(tmp_path):
    steps, host, kernel = host_removed_plan(tmp_path)
    executed = execute.execute(steps, host)
    assert [e["outcome"] for e in executed] == ["done"] * 4 and sorted(kernel.writes) == ["nvme0", "nvme1"]
    assert present(kernel, "nvme0", "nvme1", "nvme0n1", "nvme0n2") == []
    assert [e["detail"] for e in executed] == [{"namespaces": ["nvme0n1", "nvme0n2"]}] * 2 + [
        {"namespaces_gone": [], "namespaces_kept": []}, {"namespaces_gone": ["nvme0n1", "nvme0n2"], "namespaces_kept": []}]


@pytest.mark.parametrize("change,kind,words", [
    (lambda k: k.write("class/nvme/nvme0/address", "traddr=127.0.0.9,trsvcid=4420"), "identity", "address"),
    (lambda k: k.write("class/nvme/nvme0/subsysnqn", "nqn.2014-08.org.example:other"), "identity", "subsysnqn"),
    (lambda k: k.write("class/nvme/nvme0/cntlid", "77"), "identity", "cntlid"),
    (lambda k: k.write("class/nvme/nvme0/state", "live"), "came_back", "live"),
    (lambda k: k.write("class/nvme/nvme0/state", "deleting"), "state", "deleting"),
    (lambda k: k.write("class/nvme/nvme1/state", "connecting"), "sole_path", "nvme0n1"),
])
def test_a_controller_that_changed_since_the_plan_is_not_deleted(tmp_path, change, kind, words):
    """Between the plan and the act: the name reused by another controller, the controller live again or going
    already, the other path of a namespace that stays gone down. Nothing is written."""
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    change(kernel)
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == kind and words in out["msg"], out
    assert kernel.writes == [] and present(kernel, "nvme0") == ["nvme0"]


def test_a_namespace_behind_the_controller_that_the_plan_did_not_see_keeps_it(tmp_path):
    """The plan saw nvme0 carry namespaces 1 and 3; at act time it carries 2 as well."""
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE, act_on=())
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "identity" and "nvme0n2" in out["msg"] and kernel.writes == []


def test_an_unmapped_namespace_held_since_the_plan_keeps_its_controllers(tmp_path):
    steps, host, kernel = host_removed_plan(tmp_path)
    os.mkdir(kernel.sys("block", "nvme0n2", "holders", "dm-9"))
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "holder" and "nvme0n2" in out["msg"] and kernel.writes == []


def test_an_unmapped_namespace_opened_through_its_generic_node_since_the_plan_keeps_its_controllers(tmp_path):
    """A process opened /dev/ng0n2 (the namespace's char node) between the plan and the act: the act's read names
    it, and nothing is written."""
    steps, host, kernel = host_removed_plan(tmp_path)
    open_generic_node(kernel.root, 7300, "fio", "nvme0n2")
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "opener" and "pid 7300 (fio)" in out["msg"] and kernel.writes == []


def test_a_controllers_char_node_opened_since_the_plan_keeps_it(tmp_path):
    """A process opened /dev/nvme0 (the controller's own char node: admin commands, I/O passthrough) between the
    plan and the act: the act's read names it as a user, and nothing is written to that controller."""
    steps, host, kernel = host_removed_plan(tmp_path)
    open_controller_node(kernel.root, 7400, "nvme", "nvme0")
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "opener" and "pid 7400 (nvme)" in out["msg"] and "/dev/nvme0" in out["msg"]
    assert "nvme0" not in kernel.writes


def test_an_unmapped_namespace_the_kernel_holds_claimed_keeps_its_controllers(tmp_path):
    """Mounted in another mount namespace (a container's volume), a ZFS vdev, drbd: no mount line, holder or fd shows
    it; the kernel's exclusive claim does (O_EXCL open: EBUSY)."""
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.claimed.add("nvme0n2")
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "open_count" and "nvme0n2" in out["msg"] and kernel.writes == []


def test_an_unmapped_namespace_whose_holders_cannot_be_listed_at_act_time_keeps_its_controllers(
        tmp_path, monkeypatch):
    """Held by dm-9 since the plan, and the listing of its holders fails (unreadable, not absent): never "no
    holder"."""
    steps, host, kernel = host_removed_plan(tmp_path)
    os.mkdir(kernel.sys("block", "nvme0n2", "holders", "dm-9"))
    real = observe_nvme._entries  # pylint: disable=protected-access

    def entries(root, path):
        if path == "/sys/block/nvme0n2/holders":
            return "unreadable", "Input/output error"
        return real(root, path)
    monkeypatch.setattr(observe_nvme, "_entries", entries)
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "unread" and kernel.writes == []
    assert out["msg"] == ("controller nvme0: namespace nvme0n2, which goes with it, was not fully read now (holders): "
                          "its users cannot be checked; not deleting")


def test_an_unmapped_namespace_a_live_controller_shows_again_keeps_its_controller(tmp_path):
    """nvme1 reconnected since the plan (the host was allowed again): the namespaces are presented live; nvme0's
    delete is refused as came_back, and nvme1's as live."""
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.write("class/nvme/nvme1/state", "live")
    out = nvme_refusal(steps, host)
    assert kernel.writes == [] and set(f["refusal"]["kind"] for f in out["failures"]) == {"came_back"}


def test_the_writer_reads_the_state_again_and_writes_nothing_to_a_controller_live_again(tmp_path):
    """The controller reconnects after the act's read, before the write: the forked writer's own read refuses."""
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    kernel.before_write = lambda k: k.write("class/nvme/nvme0/state", "live")
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "identity" and out["msg"] == (
        "controller nvme0: nvme0 is live now, not one of connecting, resetting, dead (it reconnected or is going "
        "already); nothing written")
    assert kernel.writes == [] and present(kernel, "nvme0") == ["nvme0"]


def test_a_write_that_hangs_stops_the_unit_with_its_deadline(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    kernel.hangs = True
    with pytest.raises(ExecutionError) as info:
        execute.execute(steps, host)
    assert isinstance(info.value.cause, deadline.DeadlineExceeded)
    assert [e["action"] for e in info.value.executed] == []


def test_a_controller_the_kernel_does_not_remove_fails_its_wait(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    kernel.removes = False
    out = nvme_refusal(steps, host)
    assert out["msg"] == ("controller nvme0: not gone 0s after its delete (controller: connecting; namespaces still "
                          "there: none)") and kernel.writes == ["nvme0"]


def test_a_controller_already_gone_at_act_time_is_already_absent(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    kernel.remove_controller("nvme0")
    executed = execute.execute(steps, host)
    assert [e["outcome"] for e in executed] == ["already_absent", "done"] and kernel.writes == []


def test_the_nvme_truth_too_old_at_act_time_deletes_nothing(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    host.truth_times["nvme"] = time.time() - 2000
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "truth_too_old" and kernel.writes == []
    assert out["refusal"]["target"] == "controller nvme0" and re.match(
        r"controller nvme0: the array truth is 20[0-9][0-9]s old at act time \(bound 900s\): the LUN may have been "
        r"mapped back since; nothing of it is touched\Z", out["msg"]), out["msg"]


def test_an_old_scsi_truth_holds_no_controller_whose_nvme_truth_is_fresh(tmp_path):
    """Each family at act time against its own part's time, as the plan gated it."""
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    host.truth_times["scsi"] = time.time() - 2000
    execute.execute(steps, host)
    assert kernel.writes == ["nvme0"]


def test_the_writer_writes_nothing_to_a_controller_whose_controller_id_changed_after_the_acts_read(tmp_path):
    """The name reused, after the act's read, by a new connection to the same subsystem, address and host NQN, still
    connecting: only its controller ID tells it apart, and the writer reads it too."""
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    kernel.before_write = lambda k: k.write("class/nvme/nvme0/cntlid", "77")
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "identity" and "cntlid" in out["msg"] and kernel.writes == []


def test_the_controllers_of_a_stale_namespace_go_together_or_a_changed_one_stops_them_all_before_any_write(tmp_path):
    """Both controllers of a subsystem that no longer allows this host reach the stale namespaces: one unit. nvme1's
    name was taken by another controller before the act: the unit is refused before its first write, so no
    namespace is left with one path of two that queues its I/O (nvme0 was deleted alone before)."""
    steps, host, kernel = host_removed_plan(tmp_path)
    assert set(s.unit for s in steps) == {"controller nvme0+nvme1"}
    kernel.write("class/nvme/nvme1/cntlid", "77")
    with pytest.raises(ExecutionError) as info:
        execute.execute(steps, host)
    out = info.value.to_dict()
    assert [f["unit"] for f in out["failures"]] == ["controller nvme0+nvme1"] and "controller nvme1" in out["msg"]
    assert kernel.writes == [] and info.value.executed == []
    assert present(kernel, "nvme0", "nvme1", "nvme0n1", "nvme0n2") == ["nvme0", "nvme1", "nvme0n1", "nvme0n2"]


def test_a_unit_stopped_after_its_first_controller_went_says_what_it_leaves_and_why(tmp_path):
    """Every check passed before the first write; between nvme0's delete and nvme1's the name nvme1 is taken by
    another controller (the writer's own re-read refuses it): the run says the unit stopped half-way, which
    controller went, which stays and in what state, and the namespaces still reached through it."""
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.before_write = lambda k: k.write("class/nvme/nvme1/cntlid", "77") if k.writes == ["nvme0"] else None
    with pytest.raises(ExecutionError) as info:
        execute.execute(steps, host)
    out = info.value.to_dict()
    assert kernel.writes == ["nvme0"] and [f["unit"] for f in out["failures"]] == ["controller nvme0+nvme1"]
    assert ("its unit stopped half-way: nvme0 deleted, nvme1 still there (nvme1 connecting), and through it "
            "nvme0n1, nvme0n2" in out["msg"]), out["msg"]


DISCOVERY = "nqn.2014-08.org.nvmexpress.discovery"


def _new_controller(kernel, name, state):
    """A controller the kernel creates under a freed instance number (the lowest free one): a discovery controller
    nvme-cli's autoconnect opens, to another address."""
    base = kernel.sys("class", "nvme", name)
    os.makedirs(base)
    for attr, text in (("subsysnqn", DISCOVERY), ("transport", "tcp"), ("address", "traddr=192.0.2.7,trsvcid=8009"),
                       ("hostnqn", "nqn.2014-08.org.nvmexpress:uuid:0c0c0c0c-0000-4000-8000-00000000000c"),
                       ("cntlid", "5"), ("state", state)):
        with open(os.path.join(base, attr), "w") as fh:
            fh.write(text + "\n")


def _heads_linger(kernel, heads):
    """The kernel deletes nvme1 but the namespace heads stay (a head not released): what the wait is there to see."""
    real = kernel.remove_controller

    def remove(name):
        real(name)
        if name == "nvme1":
            for head in heads:
                os.makedirs(kernel.sys("block", head))
                with open(kernel.sys("block", head, "uuid"), "w") as fh:
                    fh.write("00000000-0000-4000-8000-000000000001\n")
    kernel.remove_controller = remove


@pytest.mark.parametrize("state", ["live", "connecting"])
def test_a_namespace_left_after_all_its_controllers_went_fails_the_wait_whatever_took_a_freed_name(tmp_path, state):
    """nvme0 and nvme1 deleted, the freed name nvme0 taken by an unrelated controller, the heads still there: no
    controller of the plan reaches them, so the wait fails naming them, never calls them kept."""
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.before_write = lambda k: _new_controller(k, "nvme0", state) if k.writes == ["nvme0"] else None
    _heads_linger(kernel, ["nvme0n1", "nvme0n2"])
    with pytest.raises(ExecutionError) as info:
        execute.execute(steps, host)
    out = info.value.to_dict()
    assert [f["unit"] for f in out["failures"]] == ["controller nvme0+nvme1"] and "nvme0n1" in out["msg"], out
    assert sorted(kernel.writes) == ["nvme0", "nvme1"]


def test_a_namespace_reached_only_through_a_controller_being_deleted_is_waited_for_not_kept(tmp_path):
    """nvme0's delete is accepted and the kernel is still tearing it down (`deleting`) when the waits read: nothing
    keeps the namespaces, and nvme1's wait waits for them (failing at its deadline here)."""
    steps, host, kernel = host_removed_plan(tmp_path)
    real = kernel.remove_controller

    def remove(name):
        if name == "nvme0":
            kernel.write("class/nvme/nvme0/state", "deleting")
            return
        real(name)
    kernel.remove_controller = remove
    with pytest.raises(ExecutionError) as info:
        execute.execute(steps, host)
    out = info.value.to_dict()
    assert not [e for e in out["executed"] if e["action"] == "wait_controller_gone"]
    assert [f["unit"] for f in out["failures"]] == ["controller nvme0+nvme1"]


def test_a_unit_refused_at_its_first_write_never_says_a_controller_was_deleted_when_the_reread_is_incomplete(tmp_path):
    """nvme0 is live again when the writer reads it (nothing written), and the act's re-read for what the unit leaves
    does not finish its NVMe part (None: /sys/class/nvme not listed). Nothing was deleted: fails when the refusal
    says the unit stopped half-way with nvme1 "deleted" (a controller missing from a read that did not finish is
    taken as gone)."""
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.before_write = lambda k: k.write("class/nvme/nvme0/state", "live") if not k.writes else None
    real_view, calls = host.reader.view, []

    def view(*args, **kwargs):
        seen = real_view(*args, **kwargs)
        calls.append(1)
        if len(calls) > 1:       # the batch's read finished; the later one's NVMe part did not
            seen.snap["nvme"] = None
        return seen
    host.reader.view = view
    with pytest.raises(ExecutionError) as info:
        execute.execute(steps, host)
    out = info.value.to_dict()
    assert kernel.writes == [] and out["refusal"]["kind"] == "identity", out
    assert "deleted" not in out["msg"] and "half-way" not in out["msg"], out["msg"]


def test_a_controller_with_no_namespace_left_behind_it_is_kept_while_a_process_holds_its_char_node(tmp_path):
    """LIF a deleted and nvme0 (reconnecting to it) shows no namespace path any more, while a process holds its char
    node /dev/nvme0 (an agent's admin commands, nvme-cli's passthrough): the holder is a user of the controller
    whatever namespace shows behind it. Fails when the plan deletes nvme0 (the char node's openers are only ever
    counted through the namespaces behind the controller: with none behind it, nobody holds it)."""
    reader, lab = nvme_host(tmp_path, "nvme_stale", NVME_LIF_GONE + ("nvme0c0n1", "nvme0c0n3"))
    open_controller_node(reader.root, 7500, "ontap-agent", "nvme0")
    san = nvme_judged(reader, nvme_array_truth(lab["nvme"]), time.time())
    assert [v["kind"] for v in san["nvme_verdicts"]["controllers"] if v["name"] == "nvme0"] == ["lif_gone"]
    planned_for = [st.target for st in plan_nvme(san, {"delete_lif_gone": True})["steps"]]
    assert "nvme0" not in planned_for, "nvme0 is planned for delete while pid 7500 holds /dev/nvme0"


def test_a_unit_stopped_half_way_says_what_it_leaves_when_the_host_reread_misses_its_deadline(tmp_path):
    """nvme0 went, then nvme1's write was refused (its name taken by another controller). The act re-reads the host to
    say what the half-done unit leaves; when that read misses its deadline (a sysfs read hanging on the stale
    namespaces, as reads do in an NVMe outage) the run must still say the unit stopped half-way, nvme0 deleted and
    nvme1 left (its state not read), and why: the re-read's deadline must not replace the refusal and the
    half-done state."""
    steps, host, kernel = host_removed_plan(tmp_path)

    def hung_view(*args, **kwargs):
        raise deadline.DeadlineExceeded("listing of /sys/block", 10.0)

    def before_write(k):
        if k.writes == ["nvme0"]:
            k.write("class/nvme/nvme1/cntlid", "77")
            host.reader.view = hung_view     # from now on a read of the host hangs
    kernel.before_write = before_write
    with pytest.raises(ExecutionError) as info:
        execute.execute(steps, host)
    out = info.value.to_dict()
    assert kernel.writes == ["nvme0"] and [f["unit"] for f in out["failures"]] == ["controller nvme0+nvme1"]
    assert "its unit stopped half-way: nvme0 deleted, nvme1 still there" in out["msg"], out["msg"]


# ------------------------------------------------------------------ each refusal and failure, said exactly
# (the run's refusal kind, message, holder and evidence are what RV(failures) and the fleet report show)
PLANNED_NVME0N1 = "aeffd35e-d4df-56fb-a3bb-23a4fb2fa7de"


def _lif_gone(tmp_path):
    return nvme_planned(tmp_path, NVME_LIF_GONE)


@pytest.mark.parametrize("plan,change,kind,msg,holder,evidence", [
    (_lif_gone, lambda k: k.write("class/nvme/nvme0/address", "traddr=127.0.0.9,trsvcid=4420"), "identity",
     "controller nvme0: is not the controller that was planned (address expected traddr=127.0.0.5,trsvcid=4420, found "
     "traddr=127.0.0.9,trsvcid=4420): the kernel name was reused or it connected elsewhere; nothing written", None,
     {"diff": {"address": {"expected": "traddr=127.0.0.5,trsvcid=4420", "actual": "traddr=127.0.0.9,trsvcid=4420"}}}),
    (_lif_gone, lambda k: k.write("class/nvme/nvme0/state", "deleting"), "state",
     "controller nvme0: is deleting now, not one of connecting, resetting, dead: not deleting", None, {}),
    (_lif_gone, lambda k: k.write("class/nvme/nvme1/state", "connecting"), "sole_path",
     "controller nvme0: namespace nvme0n1 answers through no other live path now: deleting nvme0 would take it away",
     None, {}),
    (_lif_gone, lambda k: k.write("block/nvme0n1/uuid", "00000000-0000-4000-8000-000000000009"), "identity",
     "controller nvme0: namespace nvme0n1 is UUID 00000000-0000-4000-8000-000000000009 NSID 1 now, planned as UUID %s "
     "NSID 1: the kernel name was reused; not deleting" % PLANNED_NVME0N1, None, {}),
    (_lif_gone, lambda k: k.write("block/nvme0n1/nsid", "9"), "identity",
     "controller nvme0: namespace nvme0n1 is UUID %s NSID 9 now, planned as UUID %s NSID 1: the kernel name was "
     "reused; not deleting" % (PLANNED_NVME0N1, PLANNED_NVME0N1), None, {}),
    (_lif_gone, lambda k: open_controller_node(k.root, 7400, "nvme", "nvme0"), "opener",
     "controller nvme0: pid 7400 (nvme) hold(s) its char node /dev/nvme0 open (admin commands or I/O passthrough end "
     "with it); not deleting", None, {}),
    (host_removed_plan, lambda k: os.mkdir(k.sys("block", "nvme0n2", "holders", "dm-9")), "holder",
     "namespace nvme0n2: is held by device-mapper holder dm-9; remove it first", "device-mapper holder dm-9",
     {"holders": [{"name": "dm-9", "dm_name": None, "uuid": None}]}),
    (host_removed_plan, lambda k: os.unlink(k.sys("block", "nvme0n2", "dev")), "unread",
     "controller nvme0: namespace nvme0n2, which goes with it, was not fully read now (holders or dev): its users "
     "cannot be checked; not deleting", None, {}),
    (host_removed_plan, lambda k: k.write("class/nvme/nvme1/state", "live"), "came_back",
     "controller nvme0: namespace nvme0n1, which the array no longer mapped, is presented by a live controller again "
     "(nvme0c1n1): it may be mapped to this host again", None, {}),
    (host_removed_plan, lambda k: k.claimed.add("nvme0n2"), "open_count",
     "namespace nvme0n2: is claimed by a kernel user (exclusive open: Device or resource busy): a mount, LVM/dm, md, "
     "btrfs, ZFS, drbd, an LIO backstore or swap not seen in sysfs; not deleting", "exclusive open refused",
     {"exclusive_open": "busy"}),
    (host_removed_plan, lambda k: open_generic_node(k.root, 7300, "fio", "nvme0n2"), "opener",
     "namespace nvme0n2: is open by pid 7300 (fio)", "pid 7300 (fio)",
     {"openers": [{"pid": 7300, "comm": "fio", "via": "ng0n2"}]}),
], ids=["address", "deleting", "sole-path", "uuid", "nsid", "char-node", "holder", "no-dev", "came-back", "claimed",
        "generic-node"])
def test_each_refusal_of_a_controller_changed_since_the_plan_says_exactly_what_and_writes_nothing(
        tmp_path, plan, change, kind, msg, holder, evidence):
    steps, host, kernel = plan(tmp_path)
    change(kernel)
    out = nvme_refusal(steps, host)
    assert out["msg"] == msg and out["refusal"] == {"target": msg.partition(": ")[0], "kind": kind, "msg": msg,
                                                    "holder": holder, "evidence": evidence}, out
    assert kernel.writes == []


def test_a_namespace_the_plan_did_not_see_is_named_in_the_refusals_evidence(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE, act_on=())
    out = nvme_refusal(steps, host)
    assert out["refusal"]["evidence"] == {"namespace": "nvme0n2"} and out["msg"] == (
        "controller nvme0: namespace nvme0n2 reaches it now and was not in the plan; not deleting")


@pytest.mark.parametrize("nvme,why", [
    (None, "no answer"),
    ({"unread": ["/sys/class/nvme", "/sys/class/nvme-subsystem"]}, "/sys/class/nvme, /sys/class/nvme-subsystem")])
def test_an_nvme_read_that_did_not_finish_at_act_time_deletes_nothing_and_says_so(tmp_path, nvme, why):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    host.part_now = lambda key: nvme if key == "nvme" else None
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "unread" and kernel.writes == []
    assert out["msg"] == "controller nvme0: the NVMe read did not finish (%s): not deleting" % why


def test_a_write_that_fails_fails_the_unit_and_says_the_writers_error(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    os.mkdir(kernel.sys("class", "nvme", "nvme0", "delete_controller"))
    out = nvme_refusal(steps, host)
    assert "refusal" not in out and kernel.writes == []
    assert out["msg"] == ("controller nvme0: write of delete_controller failed: write of delete_controller of nvme0: "
                          "IsADirectoryError: [Errno 21] Is a directory: %r" % kernel.sys("class", "nvme", "nvme0", "delete_controller"))


def test_a_write_the_deadline_could_not_run_fails_the_unit(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)

    def no_fork(k):
        raise RuntimeError("fork: Resource temporarily unavailable")
    kernel.before_write = no_fork
    out = nvme_refusal(steps, host)
    assert out["msg"] == "controller nvme0: write of delete_controller failed: fork: Resource temporarily unavailable"
    assert "refusal" not in out and kernel.writes == []


def test_a_write_that_hangs_names_the_write_in_its_deadline(tmp_path):
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    kernel.hangs = True
    out = nvme_refusal(steps, host)
    assert out["deadline"] == {"what": "write of delete_controller of nvme0", "seconds": 10.0}


def test_a_unit_stopped_half_way_by_a_user_keeps_the_refusals_kind_holder_and_evidence(tmp_path):
    """A kernel user claims nvme0n2 while nvme0's write is under way: nvme1's re-check (its exclusive open) refuses
    it, and the refusal that says the unit stopped half-way is still that refusal (its kind, holder and evidence)."""
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.before_write = lambda k: k.claimed.add("nvme0n2")
    out = nvme_refusal(steps, host)
    assert kernel.writes == ["nvme0"]
    assert out["refusal"]["kind"] == "open_count" and out["refusal"]["holder"] == "exclusive open refused"
    assert out["refusal"]["evidence"] == {"exclusive_open": "busy"}
    assert out["msg"] == ("namespace nvme0n2: is claimed by a kernel user (exclusive open: Device or resource busy): a "
                          "mount, LVM/dm, md, btrfs, ZFS, drbd, an LIO backstore or swap not seen in sysfs; not deleting; "
                          "its unit stopped half-way: nvme0 deleted, nvme1 still there (nvme1 connecting), and through "
                          "it nvme0n1, nvme0n2, whose I/O waits while it reconnects")


def test_a_unit_stopped_half_way_by_a_failed_write_says_what_it_leaves(tmp_path):
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.before_write = lambda k: os.mkdir(k.sys("class", "nvme", "nvme1", "delete_controller")) if k.writes else None
    out = nvme_refusal(steps, host)
    assert kernel.writes == ["nvme0"] and "refusal" not in out
    assert out["msg"].startswith("controller nvme1: write of delete_controller failed: write of delete_controller of "
                                 "nvme1: IsADirectoryError")
    assert out["msg"].endswith("; its unit stopped half-way: nvme0 deleted, nvme1 still there (nvme1 connecting), and "
                               "through it nvme0n1, nvme0n2, whose I/O waits while it reconnects")


class _Reread(object):
    """What _left_by_unit reads of the act context: the controllers deleted in this run and a re-read of the host
    (`snap`, or the exception the read raises)."""

    def __init__(self, deleted, snap):
        self.deleted_controllers, self.reader, self._snap = set(deleted), self, snap

    def view(self):
        if isinstance(self._snap, Exception):
            raise self._snap
        return type("View", (), {"snap": self._snap})()


def test_what_a_unit_stopped_half_way_leaves_is_said_exactly():
    """Fails when the controllers a stopped unit leaves, their state, the namespaces still reached through them, or
    the grammar for one or several are not said exactly, or a unit of which nothing went says anything."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme as act_nvme
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
    step = plan_steps.step("delete_controller", "nvme2", None, "", {"unit_controllers": ["nvme0", "nvme1", "nvme2"]})
    snap = {"nvme": {"controllers": [{"name": "nvme1", "state": "resetting"}],
                     "namespaces": [{"name": "nvme0n3", "paths": [{"controller": "nvme2"}]},
                                    {"name": "nvme0n1", "paths": [{"controller": "nvme9"}, {"controller": "nvme1"}]},
                                    {"name": "nvme0n2", "paths": [{"controller": "nvme0"}]}, {"name": "nvme0n4"}]}}
    left = act_nvme._left_by_unit  # pylint: disable=protected-access
    assert left(_Reread(["nvme0"], snap), step) == (
        "its unit stopped half-way: nvme0 deleted, nvme1, nvme2 still there (nvme1 resetting, nvme2 state not read), "
        "and through them nvme0n1, nvme0n3, whose I/O waits while they reconnect")
    assert left(_Reread(["nvme0", "nvme1"], {"nvme": None}), step) == (
        "its unit stopped half-way: nvme0, nvme1 deleted, nvme2 still there (nvme2 state not read), and through it "
        "namespaces not read now, whose I/O waits while it reconnects")
    assert left(_Reread(["nvme0"], OSError("listing of /sys/block")), step).endswith(
        "(nvme1 state not read, nvme2 state not read), and through them namespaces not read now, whose I/O waits "
        "while they reconnect")
    assert left(_Reread(["nvme2"], snap), step) is None and left(_Reread([], snap), step) is None
    assert left(_Reread(["nvme0"], snap), plan_steps.step("delete_controller", "nvme2", None, "", {})) is None


def _waits(steps, *targets):
    return [s for s in steps if s.action == "wait_controller_gone" and s.target in targets]


@pytest.mark.parametrize("state", ["live", "connecting", "resetting", "new", "dead"])
def test_stale_namespaces_still_reached_through_a_controller_of_their_plan_that_stays_are_kept_not_waited_for(
        tmp_path, state):
    """nvme1 went, nvme0 (planned with it, its delete refused at act time) is still there in a state that reaches
    its namespaces: they stay, and nvme1's wait is done saying which. Fails when a state that still reaches them
    is taken for one that does not (the wait would fail on namespaces that rightly stay)."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme as act_nvme
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.remove_controller("nvme1")
    kernel.write("class/nvme/nvme0/state", state)
    [(_st, result, _t)] = act_nvme.wait_controller_gone(host, _waits(steps, "nvme1"))
    assert result == {"outcome": "done", "namespaces_gone": [], "namespaces_kept": ["nvme0n1", "nvme0n2"]}


def test_stale_namespaces_reached_only_through_a_controller_being_deleted_fail_the_wait_naming_them(tmp_path):
    """nvme0 is `deleting` (the kernel tears it down): it keeps nothing, and nvme1's wait fails at its deadline naming
    the namespaces still there (wait_timeout 0.5 s: a wait that never ends fails the test's own deadline)."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme as act_nvme
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.remove_controller("nvme1")
    kernel.write("class/nvme/nvme0/state", "deleting")
    [(_st, result, _t)] = act_nvme.wait_controller_gone(host, _waits(steps, "nvme1"))
    assert str(result) == ("controller nvme1: not gone 0s after its delete (controller: gone; namespaces still there: "
                           "nvme0n1, nvme0n2)")


def test_the_wait_reads_each_controller_on_its_own_when_the_read_of_all_of_them_fails(tmp_path):
    """Both controllers and their namespaces went; the first read of the round (all of them at once) fails: each
    wait reads again on its own, and both are done, the namespaces gone with the last controller. The wait reads
    only its controllers and namespaces (named so in a deadline's message), never the whole host again."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme as act_nvme
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.remove_controller("nvme0")
    kernel.remove_controller("nvme1")
    real, reads = host.sysfs, []

    def sysfs(fn, args, what):
        assert what == "read of the deleted NVMe controllers"
        reads.append(args[1:])
        if len(reads) == 1:
            raise OSError("read of the deleted NVMe controllers: Input/output error")
        return real(fn, args, what)
    host.sysfs = sysfs

    def whole_host_read(*args, **kwargs):
        raise AssertionError("the wait read the whole host")
    host.reader.view = whole_host_read
    results = [r for _st, r, _t in act_nvme.wait_controller_gone(host, _waits(steps, "nvme0", "nvme1"))]
    assert results == [{"outcome": "done", "namespaces_gone": [], "namespaces_kept": []},
                       {"outcome": "done", "namespaces_gone": ["nvme0n1", "nvme0n2"], "namespaces_kept": []}]
    assert reads == [(["nvme0", "nvme1"], ["nvme0n1", "nvme0n2"]), (["nvme0"], []),
                     (["nvme0", "nvme1"], ["nvme0n1", "nvme0n2"])]


def test_a_stale_namespace_reached_through_a_controller_not_of_its_plan_fails_the_wait(tmp_path):
    """nvme1 went; its namespaces are still reached through nvme0, which the wait does not name as one of theirs (a
    wait planned without it): only a controller of their plan keeps them, so the wait fails naming them."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme as act_nvme
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.remove_controller("nvme1")
    [wait] = _waits(steps, "nvme1")
    alone = plan_steps.step("wait_controller_gone", "nvme1", wait.identity, wait.reason,
                            {"vanishing": ["nvme0n1", "nvme0n2"], "vanishing_via": {}}).tagged("delete", wait.unit)
    [(_st, result, _t)] = act_nvme.wait_controller_gone(host, [alone])
    assert str(result) == ("controller nvme1: not gone 0s after its delete (controller: gone; namespaces still there: "
                           "nvme0n1, nvme0n2)")


def test_an_unmapped_namespace_with_any_attribute_unread_at_act_time_keeps_its_controllers(tmp_path, monkeypatch):
    """Its holders and dev read, but its size and ro not (Input/output error): a namespace not fully read is never
    taken for one without users. Fails when only its holders or dev count, or the message does not name each."""
    steps, host, kernel = host_removed_plan(tmp_path)
    real = observe_nvme._text  # pylint: disable=protected-access

    def text(root, path):
        if path.endswith(("/nvme0n2/size", "/nvme0n2/ro")):
            return "unreadable", "Input/output error"
        return real(root, path)
    monkeypatch.setattr(observe_nvme, "_text", text)
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "unread" and kernel.writes == []
    assert out["msg"] == ("controller nvme0: namespace nvme0n2, which goes with it, was not fully read now (size, ro): "
                          "its users cannot be checked; not deleting")


def test_an_unmapped_namespace_presented_live_again_names_every_live_path(tmp_path):
    """nvme1 reconnected since the plan and a third controller (nvme2, not of the plan) presents nvme0n1 live too:
    the refusal names both live paths."""
    steps, host, kernel = host_removed_plan(tmp_path)
    kernel.write("class/nvme/nvme1/state", "live")
    real = host.part_now

    def part_now(key):
        nvme = real(key)
        ns = [n for n in nvme["namespaces"] if n["name"] == "nvme0n1"][0]
        if "nvme2" not in [p["controller"] for p in ns["paths"]]:
            ns["paths"] = ns["paths"] + [dict(ns["paths"][-1], name="nvme0c2n1", controller="nvme2")]
        return nvme
    host.part_now = part_now
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "came_back" and kernel.writes == []
    assert out["msg"] == ("controller nvme0: namespace nvme0n1, which the array no longer mapped, is presented by a live "
                          "controller again (nvme0c1n1, nvme0c2n1): it may be mapped to this host again")


# ------------------------------------------------------------------------------ child_delete_controller (NVMe-oF)
def test_delete_controller_writes_1_when_identity_matches_and_state_is_one_of_states(tmp_path):
    """Every identity field equal (the sysfs address normalised to the host's spelling) and the state deletable."""
    sys_root, expected = nvme_child_tree(tmp_path)
    assert act_nvme.child_delete_controller(sys_root, "nvme0", expected, DELETABLE) is True
    assert text_of(ctrl_file(sys_root, "delete_controller")) == "1"


def test_delete_controller_takes_the_address_pairs_in_any_order_the_kernel_prints(tmp_path):
    """The address is compared parsed and re-spelled (pairs sorted): another order of the same pairs is the same
    controller; the raw text compared would refuse it."""
    sys_root, expected = nvme_child_tree(tmp_path)
    put_text(ctrl_file(sys_root, "address"), "trsvcid=4420,src_addr=192.168.30.15,traddr=192.168.30.40\n")
    assert act_nvme.child_delete_controller(sys_root, "nvme0", expected, DELETABLE) is True
    assert text_of(ctrl_file(sys_root, "delete_controller")) == "1"


@pytest.mark.parametrize("cntlid", [None, ""])
def test_delete_controller_refuses_a_plan_without_cntlid_with_its_own_reason(tmp_path, cntlid):
    """A reused name cannot be told apart without the controller ID: refused with its own reason (not the generic
    'has cntlid ...' one a missing check would fall through to), nothing written."""
    sys_root, expected = nvme_child_tree(tmp_path)
    expected["cntlid"] = cntlid
    with pytest.raises(IdentityChanged) as info:
        act_nvme.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    exc = info.value
    assert exc.reason == "nvme0 was planned without its controller ID: it cannot be told from a reused name"
    assert (exc.device, exc.identity) == ("nvme0", {"expected": None})
    assert not os.path.exists(ctrl_file(sys_root, "delete_controller"))


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
    sys_root, expected = nvme_child_tree(tmp_path)
    put_text(ctrl_file(sys_root, attr), now + "\n")
    with pytest.raises(IdentityChanged) as info:
        act_nvme.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    found = "src_addr=192.168.30.15,traddr=192.168.30.40,trsvcid=4421" if attr == "address" else now
    exc = info.value
    assert exc.reason == "nvme0 has %s %s, expected %s" % (attr, found, expected[attr])
    assert (exc.device, exc.identity) == ("nvme0", {"expected": expected[attr], "found": found})
    assert not os.path.exists(ctrl_file(sys_root, "delete_controller"))


def test_delete_controller_refuses_an_address_planned_in_the_kernels_raw_order(tmp_path):
    """The plan's address must be in the host's spelling (pairs sorted): the raw text is not the same string."""
    sys_root, expected = nvme_child_tree(tmp_path)
    expected["address"] = RAW_ADDRESS
    with pytest.raises(IdentityChanged, match="has address"):
        act_nvme.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    assert not os.path.exists(ctrl_file(sys_root, "delete_controller"))


def test_delete_controller_refuses_a_state_not_in_states(tmp_path):
    """A controller that reconnected (live) is not deleted: the states allowed and the state found are reported."""
    sys_root, expected = nvme_child_tree(tmp_path, state="live")
    with pytest.raises(IdentityChanged) as info:
        act_nvme.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    exc = info.value
    assert exc.reason == "nvme0 is live now, not one of connecting, resetting (it reconnected or is going already)"
    assert (exc.device, exc.identity) == ("nvme0", {"expected": ["connecting", "resetting"], "found": "live"})
    assert not os.path.exists(ctrl_file(sys_root, "delete_controller"))


@pytest.mark.parametrize("attr", ["subsysnqn", "transport", "address", "hostnqn", "cntlid", "state"])
def test_delete_controller_refuses_when_an_attr_cannot_be_read(tmp_path, attr):
    """An attribute gone (the controller is being torn down, or it is another kind) is an identity not confirmed."""
    sys_root, expected = nvme_child_tree(tmp_path)
    os.unlink(ctrl_file(sys_root, attr))
    with pytest.raises(IdentityChanged) as info:
        act_nvme.child_delete_controller(sys_root, "nvme0", expected, DELETABLE)
    exc = info.value
    assert exc.reason.startswith("nvme0/%s cannot be read (" % attr)
    assert (exc.device, exc.identity) == ("nvme0", {"expected": expected.get(attr), "found": None})
    assert not os.path.exists(ctrl_file(sys_root, "delete_controller"))


def test_a_controller_whose_nvme_truth_time_the_act_was_not_given_is_not_deleted(tmp_path):
    """The act was handed the SCSI part's time only (a caller or a family name that lost NVMe's): with a bound set,
    the controller is refused as truth_age_unknown, nothing written. Fails when a time the act was never given
    reads as "no time, nothing to check"."""
    steps, host, kernel = nvme_planned(tmp_path, NVME_LIF_GONE)
    host.truth_times = {"scsi": time.time()}
    out = nvme_refusal(steps, host)
    assert out["refusal"]["kind"] == "truth_age_unknown" and kernel.writes == []
    assert "no time of the nvme part" in out["msg"], out["msg"]
    host.truth_times = {"scsi": None, "nvme": None}  # a run without a truth: nothing to measure, as before
    execute.execute(steps, host)
    assert kernel.writes == ["nvme0"]
