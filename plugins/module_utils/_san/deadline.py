# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hard deadlines for every touch of the kernel.

A process stuck in uninterruptible sleep (D state) on a queueing multipath map cannot be killed or
reaped. So we never wait for such a child without a deadline, never do risky reads in a thread of
the module itself (a thread in D state would keep the module's stdout open and hang the play), and
abandon what does not finish: the child is reparented to init and its pipes are closed on our side.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import select
import signal
import subprocess
import tempfile
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed

C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}
# After SIGKILL a healthy child is gone within milliseconds; one in D state never is.
REAP_GRACE_SECONDS = 0.5


class DeadlineExceeded(Exception):
    """`what` did not finish within `seconds`; whatever ran it was abandoned."""

    def __init__(self, what, seconds):
        self.what = what
        self.seconds = seconds
        super(DeadlineExceeded, self).__init__(
            "%s did not finish within %ss (the device may be hung; the child was abandoned)" % (what, seconds)
        )


class CommandResult(object):
    __slots__ = ("argv", "rc", "stdout", "stderr", "elapsed")

    def __init__(self, argv, rc, stdout, stderr, elapsed):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed

    @property
    def ok(self):
        return self.rc == 0

    def describe(self):
        return "%s (rc=%s): %s" % (" ".join(self.argv), self.rc, (self.stderr or self.stdout).strip())


def _abandon(proc):
    """Kill the process group and give it a moment; a D-state child is left to init."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    deadline = time.monotonic() + REAP_GRACE_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    for stream in (proc.stdout, proc.stderr):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass


def run(argv, timeout, what=None, data=None):
    """Run argv (a list, never a shell line) with a hard deadline.

    Returns a CommandResult whatever the exit code; raises DeadlineExceeded on timeout and
    OSError when the program cannot be started.
    """
    if isinstance(argv, str) or not argv:
        raise ValueError("argv must be a non-empty list")
    argv = [str(a) for a in argv]
    env = dict(os.environ)
    env.update(C_LOCALE)
    started = time.monotonic()
    # Not AnsibleModule.run_command: it cannot give up on a child stuck in D state.
    proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
        argv,
        stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        close_fds=True,
        start_new_session=True,
        env=env,
    )
    try:
        out, err = proc.communicate(input=data.encode() if data is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        _abandon(proc)
        raise DeadlineExceeded(what or " ".join(argv), timeout)
    return CommandResult(
        argv,
        proc.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        time.monotonic() - started,
    )


# run itself, kept under a name of its own: a reader starts commands ahead (start) only when they would be run by
# this function, never beside a runner put in its place (a test's fake host answers every command through it)
GENUINE_RUN = run


def _output_file():
    """An anonymous file for a started command's output (memfd; an unlinked temporary file where there is none):
    a file, not a pipe, so the command runs to its end while nobody reads it."""
    if hasattr(os, "memfd_create"):
        try:
            # novm (the static check of Python 3.6, scripts/test.sh lint: 3.8's call, behind the hasattr above)
            return os.fdopen(os.memfd_create("sanfleet-output", getattr(os, "MFD_CLOEXEC", 1)), "w+b")
        except OSError:
            pass
    return tempfile.TemporaryFile()


class Started(object):
    """A command started now whose answer is taken later (Started.result): the module reads sysfs meanwhile. Its
    output goes to anonymous files, so it never waits on a reader. When its answer is asked for it gets its whole
    deadline from then, as run() would have given it then: it cannot miss its deadline for the CPU it shared
    meanwhile, and one that hangs costs no more than it would have. One that has not finished by then is abandoned
    as run() abandons one."""

    def __init__(self, argv, timeout, what=None):
        if isinstance(argv, str) or not argv:
            raise ValueError("argv must be a non-empty list")
        self.argv = [str(a) for a in argv]
        self.timeout = timeout
        self.what = what or " ".join(self.argv)
        env = dict(os.environ)
        env.update(C_LOCALE)
        self.files = []
        try:
            self.files = [_output_file(), _output_file()]
            self.started = time.monotonic()
            self.proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
                self.argv, stdin=subprocess.DEVNULL, stdout=self.files[0], stderr=self.files[1], close_fds=True,
                start_new_session=True, env=env)
        except BaseException:
            self._close()
            raise

    def _close(self):
        for f in self.files:
            f.close()
        self.files = []

    def result(self):
        """The CommandResult; DeadlineExceeded when it did not finish within its deadline from now. Interrupted while
        waiting (a signal's exception: the module stopped), it is killed as a missed deadline kills it: its answer
        is taken out of the caller's started commands when asked for, so no discard would stop it later."""
        try:
            try:
                self.proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _abandon(self.proc)
                raise DeadlineExceeded(self.what, self.timeout)
            except BaseException:
                _abandon(self.proc)
                raise
            out, err = [self._read(f) for f in self.files]
            return CommandResult(self.argv, self.proc.returncode, out, err, time.monotonic() - self.started)
        finally:
            self._close()

    @staticmethod
    def _read(f):
        f.seek(0)
        return f.read().decode("utf-8", "replace")

    def discard(self):
        """Kill it if it still runs (its answer is not wanted: the read it went with failed)."""
        if self.files:
            if self.proc.poll() is None:
                _abandon(self.proc)
            self._close()


def start(argv, timeout, what=None):
    """Start argv (a list, never a shell line) now; Started.result() gives its answer within `timeout` seconds
    of when it is asked for. Raises OSError when the program cannot be started."""
    return Started(argv, timeout, what)


def _detach_fds(keep_fd):
    """(in the forked child) /dev/null on fds 0-2 and every other inherited fd closed except `keep_fd`.

    A child abandoned in D state must not hold the module's stdout/stderr (a plain pipe under the local
    connection or ssh pipelining): Ansible reads it to EOF and would wait for the child, past every deadline.
    """
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != null:
            os.dup2(null, fd)
    try:
        inherited = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        inherited = None
    if inherited is None:  # no /proc: every possible fd
        limit = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536
        os.closerange(3, keep_fd)
        os.closerange(keep_fd + 1, max(limit, keep_fd + 2))
        return
    for fd in inherited:
        if fd > 2 and fd != keep_fd:
            try:
                os.close(fd)
            except OSError:
                pass  # the fd of the listing itself, already closed


def call(fn, args=(), timeout=10.0, what=None):
    """Run fn(*args) in a forked child and return its JSON-able result within `timeout` seconds.

    The child keeps only its result pipe: /dev/null on 0-2, every other inherited fd closed (see _detach_fds).
    Exceptions raised in the child come back as errors.ChildFailed (a RuntimeError) with the child's
    message and, for an errors.SanError, its fields; a child that died without a whole answer is a ChildFailed
    too (error_type NoAnswer or AnswerCutShort, no fields).
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into the caller's stack
        status = 0
        try:
            os.close(read_fd)
            _detach_fds(write_fd)
            try:
                payload = {"ok": fn(*args)}
            except Exception as exc:  # reported to the parent (with its fields), which decides
                payload = ChildFailed.payload(exc)
            data = json.dumps(payload).encode("utf-8")
            view = memoryview(data)
            while view:
                written = os.write(write_fd, view)
                view = view[written:]
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    chunks = []
    end = time.monotonic() + timeout
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                _kill_child(pid)
                raise DeadlineExceeded(what or getattr(fn, "__name__", "read"), timeout)
            readable = select.select([read_fd], [], [], left)[0]
            if not readable:
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
    _reap(pid, max(end, time.monotonic() + REAP_GRACE_SECONDS))
    # a child killed before or while it answered (SIGKILL, the OOM killer): a failure of the call like any other,
    # which every caller's handling of ChildFailed covers, never a crash of the module
    if not chunks:
        raise ChildFailed(what or fn.__name__, "NoAnswer", "the child exited without an answer (killed?)")
    try:
        payload = json.loads(b"".join(chunks).decode("utf-8"))
    except ValueError:
        raise ChildFailed(what or fn.__name__, "AnswerCutShort", "the child's answer was cut short (killed?)")
    if "error" in payload:
        raise ChildFailed.from_payload(what or fn.__name__, payload)
    return payload["ok"]


def _kill_child(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return
    deadline = time.monotonic() + REAP_GRACE_SECONDS
    while time.monotonic() < deadline:
        try:
            done = os.waitpid(pid, os.WNOHANG)[0]
        except OSError:
            return
        if done:
            return
        time.sleep(0.02)


def _reap(pid, end):
    """Collect a child that has answered, until `end`. Its exit can still block: the last close of a device it
    left open waits on a queueing map in D state. The answer is in hand, so such a child is killed and left to
    init rather than waited for."""
    pause = 0.001
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except OSError:
            return
        if time.monotonic() >= end:
            _kill_child(pid)
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
