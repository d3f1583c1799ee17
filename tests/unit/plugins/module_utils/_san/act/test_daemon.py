# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""act.daemon: the one command that changes multipathd (`multipathd reconfigure`, multipathd(8); `systemctl start|
restart multipathd.service`, systemctl(1)), its deadline and its refusal, and the settle loop after it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import types

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import daemon
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import FakeClock

BINS = {"multipathd": "/usr/sbin/multipathd", "systemctl": "/usr/bin/systemctl"}


class Tools(object):
    """The part of observe.multipath_tools.MultipathTools that act.daemon uses; every call recorded."""

    def __init__(self, running=True, show_maps=None, table=None):
        self.running, self.show_maps, self.table = running, show_maps or {}, table or {}
        self.calls = []

    def bin(self, name):
        return BINS[name]

    def wait_running(self, timeout):
        self.calls.append(("wait_running", timeout))
        return self.running

    def running_config(self):
        self.calls.append("running_config")
        return {"defaults": {"no_path_retry": "fail"}}

    def map_reads(self):
        self.calls.append("map_reads")
        return self.show_maps, self.table

    def path_status(self):
        self.calls.append("path_status")
        return {"sda": "active"}


@pytest.fixture
def ran(monkeypatch):
    """deadline.run replaced: records (argv, timeout, what) and answers with the CommandResult set in `answer`."""
    calls = []
    answer = {"rc": 0, "stdout": "ok\n", "stderr": ""}

    def run(argv, timeout, what=None, data=None):
        calls.append((list(argv), timeout, what, data))
        if isinstance(answer.get("raise"), Exception):
            raise answer["raise"]
        return deadline.CommandResult(argv, answer["rc"], answer["stdout"], answer["stderr"], 0.01)

    monkeypatch.setattr(daemon.deadline, "run", run)
    return types.SimpleNamespace(calls=calls, answer=answer)


# ---------------------------------------------------------------------------------------------- apply
def test_reconfigure_runs_multipathd_reconfigure_under_the_timeout(ran):
    daemon.apply(Tools(), "reconfigure", 17)
    assert ran.calls == [(["/usr/sbin/multipathd", "reconfigure"], 17, "/usr/sbin/multipathd reconfigure", None)]


@pytest.mark.parametrize("action", ["start", "restart"])
def test_start_and_restart_run_systemctl_on_the_unit_under_the_timeout(ran, action):
    ran.answer["stdout"] = ""
    daemon.apply(Tools(), action, 90)
    assert ran.calls == [(["/usr/bin/systemctl", action, "multipathd.service"], 90, action + " multipathd.service", None)]


@pytest.mark.parametrize("stdout", ["ok\n", "", "  \n"])
def test_a_reconfigure_answered_ok_or_nothing_is_applied(ran, stdout):
    ran.answer["stdout"] = stdout
    assert daemon.apply(Tools(), "reconfigure", 5) is None


@pytest.mark.parametrize("stdout", ["fail\n", "timeout\n", "ok ok\n"])
def test_a_reconfigure_answered_other_than_ok_is_not_applied_and_names_the_command(ran, stdout):
    """An exit code of 0 is not enough: the daemon's answer on stdout must be "ok" (or nothing)."""
    ran.answer["stdout"] = stdout
    with pytest.raises(daemon.DaemonNotApplied) as exc:
        daemon.apply(Tools(), "reconfigure", 5)
    # multipath_conf fails the task with str(exc) as msg (changed=True): the command, its rc and its answer
    assert str(exc.value) == "/usr/sbin/multipathd reconfigure failed: /usr/sbin/multipathd reconfigure (rc=0): %s" % (
        stdout.strip())


def test_a_failing_restart_is_not_applied_and_its_message_names_the_unit_command_and_stderr(ran):
    ran.answer.update(rc=1, stdout="", stderr="Job for multipathd.service failed.\n")
    with pytest.raises(daemon.DaemonNotApplied) as exc:
        daemon.apply(Tools(), "restart", 5)
    assert str(exc.value) == ("restart multipathd.service failed: /usr/bin/systemctl restart multipathd.service (rc=1): "
                              "Job for multipathd.service failed.")


@pytest.mark.parametrize("rc", [1, 2, -9])
def test_a_reconfigure_that_exits_non_zero_is_not_applied_even_when_it_printed_ok(ran, rc):
    ran.answer.update(rc=rc, stdout="ok\n")
    with pytest.raises(daemon.DaemonNotApplied, match=r"^/usr/sbin/multipathd reconfigure failed: .*\(rc=%s\): ok$" % rc):
        daemon.apply(Tools(), "reconfigure", 5)


def test_a_start_whose_systemctl_prints_something_but_exits_0_is_applied(ran):
    """Only multipathd's answer is read; systemctl's output is not an answer."""
    ran.answer.update(rc=0, stdout="fail\n")
    assert daemon.apply(Tools(), "start", 5) is None


def test_a_reconfigure_past_its_deadline_raises_deadline_exceeded(ran):
    ran.answer["raise"] = deadline.DeadlineExceeded("/usr/sbin/multipathd reconfigure", 5)
    with pytest.raises(deadline.DeadlineExceeded) as exc:
        daemon.apply(Tools(), "reconfigure", 5)
    assert exc.value.what == "/usr/sbin/multipathd reconfigure"


# ---------------------------------------------------------------------------------------------- settled
class Judge(object):
    """judge.after_apply: done at the `done_at`-th read (never when None); records what it was given."""

    def __init__(self, done_at=None):
        self.done_at, self.seen = done_at, []

    def after_apply(self, running, maps, paths):
        # a loop that never ends (a wrong exit test) fails here instead of growing `seen` until the memory runs out
        assert len(self.seen) < 20, "settled read the daemon again forever"
        self.seen.append((running, maps, paths))
        n = len(self.seen)
        return ["finding %d" % n], ["stuck %d" % n], ["pathless %d" % n], self.done_at is not None and n >= self.done_at


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(daemon, "time", types.SimpleNamespace(monotonic=c, sleep=c.sleep))
    return c


def test_a_daemon_that_never_becomes_ready_gives_none_and_reads_nothing(clock):
    tools, judge = Tools(running=False), Judge(done_at=1)
    assert daemon.settled(tools, judge, 30) is None
    assert tools.calls == [("wait_running", 30)]
    assert judge.seen == []
    assert clock.now == 1000.0


def test_settled_at_the_first_read_returns_it_without_sleeping(clock):
    show = {"mpatha": {"name": "mpatha", "wwid": "3600a0", "dm": "dm-0", "queueing": "off", "active_paths": 2,
                       "vendor": "NETAPP", "product": "LUN C-Mode", "queues_forever": False}}
    tools, judge = Tools(show_maps=show), Judge(done_at=1)
    running, maps, remaining, stuck, pathless = daemon.settled(tools, judge, 30)
    assert tools.calls == [("wait_running", 30), "running_config", "map_reads", "path_status"]
    assert running == {"defaults": {"no_path_retry": "fail"}}
    assert [m["name"] for m in maps] == ["mpatha"] and maps[0]["table_features"] is None
    assert (remaining, stuck, pathless) == (["finding 1"], ["stuck 1"], ["pathless 1"])
    assert judge.seen == [(running, maps, {"sda": "active"})]
    assert clock.now == 1000.0


def test_settled_reads_again_every_2s_until_the_judge_is_done_and_returns_the_last_read(clock):
    tools, judge = Tools(), Judge(done_at=3)
    read = daemon.settled(tools, judge, 30)
    assert read[2:] == (["finding 3"], ["stuck 3"], ["pathless 3"])
    assert len(judge.seen) == 3
    assert clock.now == 1004.0


@pytest.mark.parametrize("timeout, reads", [(4, 3), (5, 4), (1, 2), (0, 1)])
def test_settled_gives_up_at_the_timeout_with_the_last_read(clock, timeout, reads):
    """Reads at 0, 2, 4... seconds after the daemon is ready; the read at or past the timeout is the last."""
    tools, judge = Tools(), Judge()
    read = daemon.settled(tools, judge, timeout)
    assert len(judge.seen) == reads
    assert read[2:] == (["finding %d" % reads], ["stuck %d" % reads], ["pathless %d" % reads])
    assert clock.now == 1000.0 + 2 * (reads - 1)
    assert tools.calls[0] == ("wait_running", timeout)
