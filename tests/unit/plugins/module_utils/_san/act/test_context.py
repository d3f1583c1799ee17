# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""act.context: the errors an act raises (ActFailed, Interrupted) and the one execute() returns (ExecutionError, whose
to_dict is the failed result of stale_cleanup and multipath_flush), and ActContext: its defaults (what
execute.host_for_module leaves to them), the batch's read or a read now, the signal checkpoint and the command
deadline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import (
    ActContext, ActFailed, ExecutionError, Interrupted)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    WWID, FakeClock)


# ---------------------------------------------------------------------------------------------- the errors
def test_an_act_failure_says_its_target_and_keeps_its_detail():
    """Fails when ActFailed loses its target, its detail, or the `target: msg` text the result shows."""
    exc = ActFailed("map mpatha", "still present", {"attempts": [1]})
    assert (str(exc), exc.target, exc.detail) == ("map mpatha: still present", "map mpatha", {"attempts": [1]})


def test_an_act_failure_without_detail_has_an_empty_one():
    """Fails when an ActFailed made without detail has none to add to (callers read exc.detail as a dict)."""
    assert ActFailed("wwid x", "multipath -w failed").detail == {}


def test_an_interruption_names_its_signal_and_says_nothing_more_was_touched():
    """Fails when Interrupted loses the signal's name or the message the failed result carries."""
    exc = Interrupted("SIGTERM")
    assert exc.signame == "SIGTERM"
    assert str(exc) == "interrupted by SIGTERM: no further device was touched"


def _step(unit="map %s" % WWID, action="flush_map"):
    return plan_steps.step(action, WWID, {"wwid": WWID}).tagged("flush", unit)


def test_a_stopped_unit_is_one_failure_with_its_unit_cause_and_step():
    """Fails when an ExecutionError made with only its cause loses the unit, cause or step of its one failure."""
    st, cause = _step(), ActFailed("map x", "gone wrong")
    err = ExecutionError(cause, st, [{"action": "disable_queueing"}])
    assert (err.cause, err.step, err.executed, err.restored) == (cause, st, [{"action": "disable_queueing"}], [])
    assert err.failures == [{"unit": "map %s" % WWID, "cause": cause, "step": st, "restored": []}]
    assert str(err) == "map x: gone wrong"


def test_an_error_without_a_step_has_a_failure_of_no_unit():
    """Fails when an ExecutionError of no step (a failure before any) cannot be made or names a unit."""
    err = ExecutionError(RuntimeError("boom"), None, [])
    assert err.failures[0]["unit"] is None and str(err) == "boom"


def test_the_message_joins_every_failure_then_every_restore():
    """Fails when the message of several stopped units (and their restored queueing) is not each cause's text then
    each restore's, joined by "; "."""
    a, b = _step("map a"), _step("map b")
    failures = [{"unit": "map a", "cause": ActFailed("map a", "x"), "step": a, "restored": []},
                {"unit": "map b", "cause": ActFailed("map b", "y"), "step": b, "restored": []}]
    err = ExecutionError(failures[0]["cause"], a, [], restored=[{"msg": "r1"}, {"msg": "r2"}], failures=failures)
    assert str(err) == "map a: x; map b: y; r1; r2"
    assert err.failures is failures and err.restored == [{"msg": "r1"}, {"msg": "r2"}]


def test_the_failed_result_carries_every_failure_its_refusal_or_deadline_and_the_restores():
    """Fails when to_dict (the failed result of the removal modules) loses or renames a field: the first failure's
    step, refusal or deadline at the top, every stopped unit in `failures` with its own, the restored queueing."""
    a, b, c = _step("map a"), _step("map b"), _step("map c")
    refusal = Refused("map a", "opener", "in use", holder="dm-9", evidence={"openers": [1]})
    hung = deadline.DeadlineExceeded("multipath -f b", 10.0)
    failures = [{"unit": "map a", "cause": refusal, "step": a, "restored": []},
                {"unit": "map b", "cause": hung, "step": b, "restored": []},
                {"unit": "map c", "cause": ActFailed("map c", "z"), "step": c, "restored": []}]
    restored = [{"map": "a", "msg": "queueing on map a restored"}]
    out = ExecutionError(refusal, a, [{"action": "x"}], restored=restored, failures=failures).to_dict()
    assert out == {
        "msg": str(ExecutionError(refusal, a, [], restored=restored, failures=failures)),
        "failed_step": a.to_wire(), "executed": [{"action": "x"}], "queueing_restored": restored,
        "refusal": refusal.to_dict(),
        "failures": [
            {"unit": "map a", "failed_step": a.to_wire(), "msg": str(refusal), "refusal": refusal.to_dict()},
            {"unit": "map b", "failed_step": b.to_wire(), "msg": str(hung),
             "deadline": {"what": "multipath -f b", "seconds": 10.0}},
            {"unit": "map c", "failed_step": c.to_wire(), "msg": "map c: z"}]}


def test_a_deadline_at_the_top_of_the_result_says_what_and_how_long():
    """Fails when the failed result of a command that missed its deadline does not say which and after how long."""
    out = ExecutionError(deadline.DeadlineExceeded("dmsetup info", 7.5), _step(), []).to_dict()
    assert out["deadline"] == {"what": "dmsetup info", "seconds": 7.5} and "refusal" not in out
    assert "queueing_restored" not in out


# ---------------------------------------------------------------------------------------------- the context
def test_a_context_made_with_the_reader_only_has_the_documented_defaults():
    """Fails when a default of ActContext changes (execute.host_for_module leaves to them what the module does not
    set: the runners, the root, the deadlines, the wwids file, the clocks)."""
    h = ActContext("reader")
    assert (h.reader, h.run, h.call, h.root, h.wwids_file) == ("reader", deadline.run, deadline.call, "/",
                                                               "/etc/multipath/wwids")
    assert (h.command_timeout, h.flush_timeout, h.wait_timeout, h.retry_interval, h.poll_interval) == (
        10.0, 60.0, 30.0, 1.0, 0.25)
    assert (h._sleep, h.clock, h.wall) == (time.sleep, time.monotonic, time.time)
    assert (h.allow_non_san, h.workers, h.truth_times, h.truth_max_age) == (False, 1, {}, None)
    assert (h.interrupted, h.restoring, h.queueing_off, h.deleted_controllers, h.view, h.notes, h.batches) == (
        None, False, {}, set(), None, [], [])


def test_a_context_keeps_what_it_is_given():
    """Fails when ActContext drops or alters a value it is given (as numbers: a module's option may be an int)."""
    h = ActContext("r", run="run", call="call", root="/tmp/x", command_timeout=3, flush_timeout=4, wait_timeout=5,
                   retry_interval=2, poll_interval=0.3, wwids_file="/w", allow_non_san=1, sleep="s", clock="c",
                   workers=3, truth_times={"scsi": 7.0, "nvme": 9.0}, truth_max_age=8.0, wall="w")
    assert (h.run, h.call, h.root, h.wwids_file, h._sleep, h.clock, h.wall) == (
        "run", "call", "/tmp/x", "/w", "s", "c", "w")
    assert (h.command_timeout, h.flush_timeout, h.wait_timeout, h.retry_interval, h.poll_interval) == (
        3.0, 4.0, 5.0, 2.0, 0.3)
    assert all(isinstance(v, float) for v in (h.command_timeout, h.flush_timeout, h.wait_timeout, h.retry_interval))
    assert (h.allow_non_san, h.workers, h.truth_times, h.truth_max_age) == (True, 3, {"scsi": 7.0, "nvme": 9.0}, 8.0)


@pytest.mark.parametrize("workers, kept", [(0, 1), (-2, 1), (1, 1), ("2", 2), (4.9, 4)])
def test_the_number_of_workers_is_a_whole_number_of_at_least_one(workers, kept):
    """Fails when workers below one (no unit would run) or a non-integer count is kept as given."""
    assert ActContext(None, workers=workers).workers == kept


@pytest.mark.parametrize("given, kept", [(0.0, 0.1), (0.1, 0.1), (0.2, 0.2), (0.5, 0.5), (3, 0.5)])
def test_the_poll_interval_stays_between_a_tenth_and_half_a_second(given, kept):
    """Fails when the poll interval is not held between 0.1 s (a busy loop on the host) and 0.5 s (slow waits)."""
    assert ActContext(None, poll_interval=given).poll_interval == kept


def test_a_host_path_is_under_the_root(tmp_path):
    """Fails when the context's paths are not its root's (a fixture tree in tests, / on a host)."""
    assert ActContext(None, root=str(tmp_path)).path("/sys", "/block") == str(tmp_path / "sys" / "block")


def test_the_batchs_read_is_one_threads_own():
    """Fails when a worker that sets its own read (a rebuilt map) changes what another thread reads."""
    h = ActContext(None)
    h.view = "mine"
    seen = []
    worker = threading.Thread(target=lambda: seen.append(h.view))
    worker.start()
    worker.join(10)
    assert seen == [None] and h.view == "mine"


class _View(object):
    """observe.reread.View as the context reads it; every call recorded."""

    def __init__(self, links=None, multipathd_running=None, snap=None):
        self.links, self.multipathd_running, self.snap = links, multipathd_running, snap or {}
        self.calls = []

    def map(self, key, by):
        self.calls.append(("map", key, by))
        return {"map": key, "by": by}

    def disk(self, name):
        self.calls.append(("disk", name))
        return {"disk": name}

    def holders(self, names):
        self.calls.append(("holders", names))
        return ["view holders", names]

    def disk_holders(self, disk):
        self.calls.append(("disk_holders", disk))
        return ["view disk holders"]


class _Reader(object):
    """observe.read.Host as the context reads it outside a batch; every call recorded."""

    def __init__(self, view=None):
        self.calls, self._view = [], view

    def map(self, key, by):
        self.calls.append(("map", key, by))
        return {"read": key, "by": by}

    def disk(self, name):
        self.calls.append(("disk", name))
        return {"read": name}

    def view(self):
        self.calls.append(("view",))
        return self._view


@pytest.fixture
def reads_now(monkeypatch):
    """observe.reread's reads of the host now, replaced: each records its call and answers with its name."""
    calls = []

    def fake(name):
        def read_now(host, arg):
            calls.append((name, host, arg))
            return name
        return read_now
    for name in ("by_id_links", "describe_holders", "disk_holders"):
        monkeypatch.setattr(obs_reread, name, fake(name))
    monkeypatch.setattr(obs_reread, "multipathd_running", lambda host: calls.append(("multipathd_running", host)) or
                        "multipathd_running")
    return calls


def test_by_id_links_come_from_the_batchs_read_when_it_has_them(reads_now):
    """Fails when a name the batch's read has links for is read again, or one it lacks is not read now."""
    h = ActContext(_Reader())
    h.view = _View(links={"sdc": ["wwn-1"]})
    assert h.by_id_now("sdc") == ["wwn-1"] and reads_now == []
    assert h.by_id_now("sdd") == "by_id_links" and reads_now == [("by_id_links", h, "sdd")]


@pytest.mark.parametrize("view", [None, _View(links=None)])
def test_by_id_links_are_read_now_without_a_read_that_has_them(reads_now, view):
    """Fails when the links of a name are not read now outside a batch, or from a batch's read that holds none."""
    h = ActContext(_Reader())
    h.view = view
    assert h.by_id_now("sdc") == "by_id_links" and reads_now == [("by_id_links", h, "sdc")]


def test_a_map_comes_from_the_batchs_read_and_is_read_now_outside_a_batch():
    """Fails when map_now reads the host during a batch, misses the read outside it, or loses `by` (any by default)."""
    reader = _Reader()
    h = ActContext(reader)
    assert h.map_now(WWID) == {"read": WWID, "by": "any"} and h.map_now("mpatha", "name")["by"] == "name"
    assert reader.calls == [("map", WWID, "any"), ("map", "mpatha", "name")]
    h.view = view = _View()
    assert h.map_now(WWID, "wwid") == {"map": WWID, "by": "wwid"} and h.map_now("dm-3") == {"map": "dm-3", "by": "any"}
    assert view.calls == [("map", WWID, "wwid"), ("map", "dm-3", "any")] and len(reader.calls) == 2


def test_a_disk_comes_from_the_batchs_read_by_a_valid_name_only():
    """Fails when disk_now looks up in the batch's read a name that is no SCSI disk's, or reads the host during a
    batch, or misses the read outside it."""
    reader = _Reader()
    h = ActContext(reader)
    assert h.disk_now("sdc") == {"read": "sdc"} and reader.calls == [("disk", "sdc")]
    h.view = view = _View()
    assert h.disk_now("sdd") == {"disk": "sdd"} and view.calls == [("disk", "sdd")]
    with pytest.raises(validate.InvalidInput):
        h.disk_now("../sdd")
    assert view.calls == [("disk", "sdd")] and reader.calls == [("disk", "sdc")]


def test_holders_are_named_from_records_or_names_and_read_where_the_batch_reads(reads_now):
    """Fails when holders_now passes on the holder records instead of their names, or reads the host during a
    batch, or misses the read outside it."""
    h = ActContext(_Reader())
    assert h.holders_now([{"name": "dm-5"}, "dm-6"]) == "describe_holders"
    assert h.holders_now(None) == "describe_holders"
    assert reads_now == [("describe_holders", h, ["dm-5", "dm-6"]), ("describe_holders", h, [])]
    h.view = view = _View()
    assert h.holders_now([{"name": "dm-5"}, "dm-6"]) == ["view holders", ["dm-5", "dm-6"]]
    assert view.calls == [("holders", ["dm-5", "dm-6"])] and len(reads_now) == 2


def test_a_disks_holders_are_read_where_the_batch_reads(reads_now):
    """Fails when disk_holders_now reads the host during a batch or misses the read outside it."""
    h = ActContext(_Reader())
    d = {"name": "sdc", "holders": ["dm-3"]}
    assert h.disk_holders_now(d) == "disk_holders" and reads_now == [("disk_holders", h, d)]
    h.view = view = _View()
    assert h.disk_holders_now(d) == ["view disk holders"] and view.calls == [("disk_holders", d)]
    assert len(reads_now) == 1


def test_a_familys_part_comes_from_the_batchs_read_or_a_read_now():
    """Fails when part_now reads the host during a batch, or does not read it (once) outside one, or gives another
    family's part."""
    reader = _Reader(view=_View(snap={"nvme": "read now", "toy": "toys"}))
    h = ActContext(reader)
    assert h.part_now("nvme") == "read now" and reader.calls == [("view",)]
    h.view = _View(snap={"nvme": "the batch's", "toy": "the batch's toys"})
    assert (h.part_now("nvme"), h.part_now("toy")) == ("the batch's", "the batch's toys") and reader.calls == [("view",)]
    h.view = _View(snap={})
    assert h.part_now("nvme") is None


@pytest.mark.parametrize("seen", [True, False])
def test_whether_multipathd_runs_is_the_batchs_read_when_it_says(reads_now, seen):
    """Fails when a batch's read that says whether multipathd runs (either way) is not believed, and /proc is
    scanned again."""
    h = ActContext(_Reader())
    h.view = _View(multipathd_running=seen)
    assert h.multipathd_running() is seen and reads_now == []


@pytest.mark.parametrize("view", [None, _View(multipathd_running=None)])
def test_whether_multipathd_runs_is_read_now_when_no_read_says(reads_now, view):
    """Fails when /proc is not scanned for multipathd outside a batch or when the batch's read did not say."""
    h = ActContext(_Reader())
    h.view = view
    assert h.multipathd_running() == "multipathd_running" and reads_now == [("multipathd_running", h)]


def test_a_device_node_has_one_lock_of_its_own():
    """Fails when two asks for a node's lock give two locks (two exclusive opens at once), or two nodes share one."""
    h = ActContext(None)
    a = h.node_lock("/dev/sdc")
    assert a is h.node_lock("/dev/sdc") and a is not h.node_lock("/dev/sdd")
    assert a.acquire(False) and not h.node_lock("/dev/sdc").acquire(False)
    a.release()


def test_after_a_signal_nothing_new_starts_except_giving_queueing_back():
    """Fails when the checkpoint lets a touch start after SIGTERM (outside the restore), or stops one without."""
    h = ActContext(None)
    h.checkpoint()
    h.interrupted = "SIGHUP"
    with pytest.raises(Interrupted) as info:
        h.checkpoint()
    assert info.value.signame == "SIGHUP"
    h.restoring = True
    h.checkpoint()


def _sleeping(signal_during_sleep=False):
    clock = FakeClock()
    slept = []
    h = ActContext(None, clock=clock)

    def sleep(s):
        slept.append(s)
        clock.sleep(s)
        if signal_during_sleep:
            h.interrupted = "SIGTERM"
    h._sleep = sleep
    return h, slept


def test_a_wait_sleeps_as_long_as_asked():
    """Fails when a wait does not sleep the time it is asked to."""
    h, slept = _sleeping()
    h.sleep(0.25)
    assert slept == [0.25]


def test_no_wait_starts_after_a_signal():
    """Fails when a wait starts after SIGTERM."""
    h, slept = _sleeping()
    h.interrupted = "SIGTERM"
    with pytest.raises(Interrupted):
        h.sleep(1.0)
    assert slept == []


def test_a_signal_during_a_wait_stops_what_follows_it():
    """Fails when a signal that came during a wait is not seen at its end (the next touch would start)."""
    h, slept = _sleeping(signal_during_sleep=True)
    with pytest.raises(Interrupted):
        h.sleep(1.0)
    assert slept == [1.0]


def _commands(clock=100.0, **kw):
    ran = []
    h = ActContext(None, run=lambda argv, timeout, what: ran.append((argv, timeout, what)) or "result",
                   clock=lambda: clock, **kw)
    return h, ran


def test_a_command_runs_under_the_command_deadline_named_by_its_argv():
    """Fails when a command is not given the command deadline, or is named other than by its argv (or `what`)."""
    h, ran = _commands(command_timeout=12)
    assert h.command(["multipath", "-f", "mpatha"]) == "result"
    h.command(["true"], what="a name")
    assert ran == [(["multipath", "-f", "mpatha"], 12.0, "multipath -f mpatha"), (["true"], 12.0, "a name")]


@pytest.mark.parametrize("budget_end, timeout", [(200.0, 10.0), (110.0, 10.0), (107.5, 7.5), (100.2, 5.0),
                                                 (90.0, 5.0)])
def test_a_budgeted_command_gets_what_is_left_but_never_less_than_five_seconds(budget_end, timeout):
    """Fails when a command with a budget gets more than the command deadline, more than the budget leaves (when
    that is above the floor), or less than the 5 s floor (a multipath -f cut short leaves its map suspended)."""
    h, ran = _commands(command_timeout=10)
    h.command(["multipath", "-f", "mpatha"], budget_end=budget_end)
    assert ran[0][1] == timeout and act_context.MIN_COMMAND_SECONDS == 5.0


def test_a_budgeted_command_never_gets_more_than_the_command_deadline():
    """Fails when the floor of a budgeted command exceeds a command deadline below it."""
    h, ran = _commands(command_timeout=3)
    h.command(["true"], budget_end=100.2)
    h.command(["true"], budget_end=150.0)
    assert [t for _a, t, _w in ran] == [3.0, 3.0]


def test_no_command_starts_after_a_signal():
    """Fails when a command starts after SIGTERM."""
    h, ran = _commands()
    h.interrupted = "SIGTERM"
    with pytest.raises(Interrupted):
        h.command(["multipath", "-f", "mpatha"])
    assert ran == []


def test_a_sysfs_touch_runs_under_the_command_deadline():
    """Fails when a sysfs write is not run by the context's runner with the command deadline and its name."""
    seen = []
    h = ActContext(None, command_timeout=4, call=lambda fn, args, timeout, what: seen.append((fn, args, timeout, what)) or 1)
    assert h.sysfs(len, ("ab",), "write delete") == 1
    assert seen == [(len, ("ab",), 4.0, "write delete")]
