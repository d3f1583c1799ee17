# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/deadline.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline


def test_run_returns_output_and_rc():
    """Fails when a command's stdout, stderr or exit code are not returned."""
    res = deadline.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=5)
    assert (res.rc, res.stdout, res.stderr) == (3, "out\n", "err\n")


def test_run_gives_up_at_the_deadline():
    """Fails when a command past its deadline is waited for or not named."""
    started = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        deadline.run(["sleep", "30"], timeout=0.5, what="sleep on a hung device")
    assert time.monotonic() - started < 3
    assert "sleep on a hung device" in str(info.value)


def test_run_kills_the_whole_process_group():
    """Fails when a grandchild holding the pipe keeps run waiting past the deadline."""
    # a grandchild holding the pipe open must not keep us waiting either
    started = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded):
        deadline.run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5)
    assert time.monotonic() - started < 3


def test_run_refuses_a_shell_line():
    """Fails when run accepts a shell command line instead of an argument list."""
    with pytest.raises(ValueError):
        deadline.run("multipath -ll", timeout=1)


def _answer(x):
    return {"twice": x * 2}


def _hang():
    time.sleep(60)


def _boom():
    raise OSError("no such device")


def test_a_started_command_runs_to_its_end_while_nobody_reads_it():
    """A command started ahead writes more than a pipe holds (256 KiB) and finishes while the caller does something
    else; its answer is whole. Fails when its output goes to a pipe nobody reads (the command would wait on it)."""
    started = deadline.start(["sh", "-c", "head -c 262144 /dev/zero | tr '\\0' x; echo; echo err >&2; exit 2"], 10)
    end = time.monotonic() + 5
    while started.proc.poll() is None and time.monotonic() < end:
        time.sleep(0.05)
    assert started.proc.poll() is not None, "the command waited for a reader"
    res = started.result()
    assert (res.rc, len(res.stdout), res.stderr) == (2, 262145, "err\n")


def test_a_started_command_gets_its_whole_deadline_when_its_answer_is_asked_for():
    """A command started ahead shares the CPU while the caller reads sysfs: asked for later, it still gets its
    whole deadline from then (as run() would give it then), and one that hangs is abandoned that deadline after the
    ask. Fails when the deadline counts from its start (a command that needs its deadline after the ask misses it)
    or a hung one is waited for past it."""
    started = deadline.start(["sh", "-c", "sleep 1; echo done"], 0.8)
    time.sleep(0.5)
    assert started.result().stdout == "done\n"
    hung = deadline.start(["sleep", "30"], 0.5, what="dmsetup table on a hung device")
    time.sleep(0.8)
    asked = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        hung.result()
    assert 0.4 < time.monotonic() - asked < 2
    assert "dmsetup table on a hung device" in str(info.value)
    assert hung.proc.poll() is not None  # killed, not left running


def test_a_started_command_whose_answer_is_not_wanted_is_stopped():
    """Fails when discard leaves the command (and its process group) running."""
    started = deadline.start(["sh", "-c", "sleep 30 & sleep 30"], 30)
    started.discard()
    assert started.proc.poll() is not None
    with pytest.raises(OSError):
        deadline.start(["/nonexistent/dmsetup"], 5)


def test_a_started_command_interrupted_while_its_answer_is_awaited_is_stopped():
    """The module is stopped (a signal's exception) while it waits for a started command's answer: the command is
    killed (with its process group), as at a missed deadline. Its answer was taken out of the caller's started
    commands when asked for, so no discard would stop it later. Fails when it is left running."""
    started = deadline.start(["sh", "-c", "sleep 30 & sleep 30"], 30)

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt
    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(KeyboardInterrupt):
            started.result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert started.proc.poll() is not None


def test_call_returns_the_child_result():
    """Fails when a forked call does not return its child's result."""
    assert deadline.call(_answer, (21,), timeout=5) == {"twice": 42}


def test_call_abandons_a_child_past_its_deadline():
    """Fails when a forked call waits for a hung child past its deadline or does not name it."""
    started = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        deadline.call(_hang, timeout=0.5, what="read /sys/block/sdz/device/vpd_pg80")
    assert time.monotonic() - started < 3
    assert "sdz" in str(info.value)


def _answer_then_stay():
    """Answer on the result pipe (the only fd above 2 left to the child), close it, and do not exit: what a child
    looks like whose exit blocks in D state on the last close of a device it left open."""
    import json
    fd = max(int(n) for n in os.listdir("/proc/self/fd") if int(n) > 2 and os.path.exists("/proc/self/fd/" + n))
    os.write(fd, json.dumps({"ok": "answered"}).encode())
    os.close(fd)
    time.sleep(60)


def test_call_does_not_wait_past_its_deadline_for_a_child_that_answered_but_does_not_exit():
    """Fails when a child that answered but does not exit keeps the call waiting."""
    started = time.monotonic()
    assert deadline.call(_answer_then_stay, timeout=1.0) == "answered"
    assert time.monotonic() - started < 5


def _answer_cut_short():
    fd = max(int(n) for n in os.listdir("/proc/self/fd") if int(n) > 2 and os.path.exists("/proc/self/fd/" + n))
    os.write(fd, b'{"ok": {"sdb": {"holders": ["dm-')
    os._exit(0)


def test_a_cut_answer_is_a_failed_read_not_a_crash():
    """Fails when a child's answer cut short raises other than the RuntimeError reads retry on."""
    # read_each and the pieces split and retry on RuntimeError; a ValueError would end the module
    with pytest.raises(RuntimeError, match="cut short"):
        deadline.call(_answer_cut_short, timeout=5, what="sysfs read of sdb")


def test_call_reports_the_child_exception():
    """Fails when an exception in the child is not raised in the caller."""
    with pytest.raises(RuntimeError, match="no such device"):
        deadline.call(_boom, timeout=5)


# A module process whose deadline child outlives the deadline (a D-state child cannot be killed; here a
# grandchild that escaped into its own session plays that part). Ansible reads the module's stdout to EOF
# (local connection, ssh pipelining): the child must not hold that pipe.
_MODULE = r'''
import os, sys, time
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline

def stuck(pidfile, mode):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        with open(pidfile, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(60)
        os._exit(0)
    if mode == "call":
        time.sleep(60)
    return None

mode, pidfile = sys.argv[1], sys.argv[2]
try:
    if mode == "call":
        deadline.call(stuck, (pidfile, mode), timeout=3.0, what="write to a blocked device")
    else:
        deadline.run([sys.executable, "-c", "import os,sys,time\n"
                      "if os.fork()==0:\n"
                      " os.setsid(); open(sys.argv[1],'w').write(str(os.getpid())); time.sleep(60)\n"
                      "time.sleep(60)", pidfile], timeout=3.0)
except deadline.DeadlineExceeded as exc:
    print("failed on time: %s" % exc)
    sys.stdout.flush()
'''


@pytest.mark.parametrize("mode", ["call", "run"])
def test_an_abandoned_child_does_not_hold_the_module_stdout(tmp_path, mode):
    """Fails when an abandoned child keeps the module's stdout open, so Ansible waits on it."""
    import os
    import signal
    import subprocess
    import sys

    pidfile = tmp_path / "stuck.pid"
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", _MODULE, mode, str(pidfile)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        out, err = proc.communicate(timeout=30)  # reads stdout AND stderr to EOF, like Ansible
        elapsed = time.monotonic() - started
        assert b"failed on time" in out, err
        assert elapsed < 25
        # the deadline (3 s) leaves a loaded machine's Python time to fork the stuck child before it ends (with
        # 0.5 s, Python 3.6 under load was killed before its fork: no stuck child, the pid file never written)
        written_by = time.monotonic() + 10
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < written_by:
            time.sleep(0.1)
        stuck = int(pidfile.read_text())
        os.kill(stuck, 0)  # the stuck child was still alive when the reader got EOF
    finally:
        proc.kill()
        if pidfile.exists() and pidfile.read_text():
            try:
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            except OSError:
                pass


def _open_fds():
    import os
    out = []
    for fd in sorted(int(x) for x in os.listdir("/proc/self/fd")):
        try:
            out.append(os.readlink("/proc/self/fd/%d" % fd))
        except OSError:
            pass  # the fd of the listing itself
    return out


def test_call_child_keeps_only_its_result_pipe(tmp_path):
    """Fails when a forked child keeps an inherited file or socket open besides its result pipe."""
    inherited = open(str(tmp_path / "module.log"), "w")  # a stand-in for an inherited socket or log file
    try:
        seen = deadline.call(_open_fds, timeout=5)
    finally:
        inherited.close()
    assert seen[:3] == ["/dev/null"] * 3
    assert not any("module.log" in target for target in seen)
    assert [t for t in seen[3:] if not t.startswith("/proc/")] == [t for t in seen[3:] if t.startswith("pipe:")]
    assert len([t for t in seen[3:] if t.startswith("pipe:")]) == 1


def _std_targets():
    import os
    return [os.readlink("/proc/self/fd/%d" % fd) for fd in (0, 1, 2)]


def test_call_child_has_dev_null_on_0_to_2():
    """Fails when a forked child's stdin, stdout or stderr is not /dev/null."""
    assert deadline.call(_std_targets, timeout=5) == ["/dev/null"] * 3
