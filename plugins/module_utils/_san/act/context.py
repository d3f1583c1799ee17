# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every act function works through: ActContext (the reader, runners with hard deadlines, timeouts, a
clock, the queueing to restore) and the errors an act raises (ActFailed, Interrupted) or the executor returns
(ExecutionError)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import wire


# A command cut short can leave state behind (multipath -f killed between suspend and remove leaves a suspended
# map): a shrinking budget never gives a command less than this (or command_timeout, when that is smaller).
MIN_COMMAND_SECONDS = 5.0


class ActFailed(Exception):
    """An act did not achieve its effect (command failed, device still present at the deadline, ...)."""

    def __init__(self, target, msg, detail=None):
        self.target = target
        self.detail = detail or {}
        super(ActFailed, self).__init__("%s: %s" % (target, msg))


class Interrupted(Exception):
    """The module got SIGTERM, SIGHUP or SIGINT during the act (a stopped job or service, a dropped ssh session,
    Ctrl-C): no new kernel touch starts; the one in flight ends within its own deadline."""

    def __init__(self, signame):
        self.signame = signame
        super(Interrupted, self).__init__("interrupted by %s: no further device was touched" % signame)


class ExecutionError(Exception):
    """execute() stopped at `step`; `executed` lists the steps done before it; `cause` is the original error."""

    def __init__(self, cause, step, executed, restored=None, failures=None):
        self.cause = cause
        self.step = step
        self.executed = executed
        self.restored = restored or []
        self.failures = failures or [{"unit": getattr(step, "unit", None), "cause": cause, "step": step,
                                      "restored": []}]
        msg = "; ".join(str(f["cause"]) for f in self.failures)
        if self.restored:
            msg += "; " + "; ".join(r["msg"] for r in self.restored)
        super(ExecutionError, self).__init__(msg)

    @staticmethod
    def _cause(cause):
        if isinstance(cause, Refused):
            return {"refusal": cause.to_dict()}
        if isinstance(cause, deadline.DeadlineExceeded):
            return {"deadline": {"what": cause.what, "seconds": cause.seconds}}
        return {}

    def to_dict(self):
        """The first failure at the top (failed_step, refusal or deadline), every stopped unit in `failures`."""
        out = {"msg": str(self), "failed_step": wire(self.step), "executed": self.executed,
               "failures": [dict({"unit": f["unit"], "failed_step": wire(f["step"]), "msg": str(f["cause"])},
                                 **self._cause(f["cause"])) for f in self.failures]}
        if self.restored:
            out["queueing_restored"] = self.restored
        out.update(self._cause(self.cause))
        return out


class ActContext(object):
    """What the act functions need: the reader, runners with deadlines, timeouts and a clock.

    timeouts: command (one command or sysfs write), flush (the multipath -f retry budget),
    wait (waiting for a device to vanish or appear), retry_interval (between multipath -f attempts).
    """

    def __init__(self, reader, run=deadline.run, call=deadline.call, root="/", command_timeout=10.0,
                 flush_timeout=60.0, wait_timeout=30.0, retry_interval=1.0, poll_interval=0.25,
                 wwids_file="/etc/multipath/wwids", allow_non_san=False, sleep=time.sleep, clock=time.monotonic,
                 workers=1, truth_times=None, truth_max_age=None, wall=time.time):
        self.reader = reader
        # units of one batch acted on at once (commands and sysfs writes wait on udev and the kernel, not on
        # this process); each worker has its own deadline per touch, so a hung one holds only itself
        self.workers = max(1, int(workers))
        self._local = threading.local()
        self.allow_non_san = bool(allow_non_san)
        self.run = run
        self.call = call
        self.root = root
        self.command_timeout = float(command_timeout)
        self.flush_timeout = float(flush_timeout)
        self.wait_timeout = float(wait_timeout)
        self.retry_interval = float(retry_interval)
        self.poll_interval = min(max(float(poll_interval), 0.1), 0.5)
        self.wwids_file = wwids_file
        self._sleep = sleep
        self.clock = clock
        # the array truth the plan judged with: its age is measured again before each unit's first touch, each
        # family's against its own part's time: {family name: time} (run.cleanup.truth_times)
        self.truth_times = dict(truth_times or {})
        self.truth_max_age = truth_max_age
        self.wall = wall
        # the signal (SIGTERM, SIGHUP, SIGINT) that ends the act, set by its handler; while `restoring`, touches go on
        self.interrupted = None
        self.restoring = False
        # maps whose queueing this run turned off and that still exist: {wwid: {name, dm, was_queueing, unit}};
        # execute() restores those of a unit when a later step of it fails (queueing off sticks until restored)
        self.queueing_off = {}
        # the NVMe controllers whose delete this run wrote (act.nvme: what a unit stopped half-way leaves)
        self.deleted_controllers = set()
        # the one read (observe.reread.View) a batch of steps of one kind checks identity against; None: read each now
        self.view = None
        self._lock = threading.Lock()
        self._node_locks = {}
        # what the executor had to do differently (a batch read that missed its deadline), for the result
        self.notes = []
        self.batches = []  # [{action, steps, seconds}] per executed batch: where the act's time went

    path = read.Host.path

    @property
    def view(self):
        """Per thread: a worker that re-reads on its own (a rebuilt map) never changes what the others read."""
        return getattr(self._local, "view", None)

    @view.setter
    def view(self, value):
        self._local.view = value

    def by_id_now(self, name):
        links = getattr(self.view, "links", None)
        if links is not None and name in links:
            return links[name]
        return obs_reread.by_id_links(self, name)

    def map_now(self, key, by="any"):
        """The map as the batch's read shows it, or re-read now outside a batch; None when it does not exist. by:
        "wwid" or "name" (observe.read.Host.map)."""
        return self.view.map(key, by) if self.view is not None else self.reader.map(key, by)

    def disk_now(self, name):
        if self.view is not None:
            validate.sd_name(name)
            return self.view.disk(name)
        return self.reader.disk(name)

    def holders_now(self, holders):
        names = [h.get("name") if isinstance(h, dict) else h for h in holders or []]
        return self.view.holders(names) if self.view is not None else obs_reread.describe_holders(self, names)

    def disk_holders_now(self, disk):
        return self.view.disk_holders(disk) if self.view is not None else obs_reread.disk_holders(self, disk)

    def part_now(self, key):
        """A family's part of the host (snapshot[key]: NVMe's is observe.nvme.assemble_nvme, with every namespace's
        users) as the batch's read shows it, or read now outside a batch; None when its read did not finish."""
        view = self.view if self.view is not None else self.reader.view()
        return view.snap.get(key)

    def multipathd_running(self):
        seen = self.view.multipathd_running if self.view is not None else None
        return seen if seen is not None else obs_reread.multipathd_running(self)

    def node_lock(self, node):
        """The lock of one device node: the act's exclusive opens of a node never run at once. Two at once exclude
        each other (one of them EBUSY, lab finding 18), which would read as a kernel user and stop a unit half-way."""
        with self._lock:
            return self._node_locks.setdefault(node, threading.Lock())

    def checkpoint(self):
        """Before a command, a sysfs write or a wait (reads go on): after SIGTERM/SIGHUP/SIGINT nothing new starts, except
        giving queueing back."""
        if self.interrupted and not self.restoring:
            raise Interrupted(self.interrupted)

    def sleep(self, seconds):
        self.checkpoint()
        self._sleep(seconds)
        self.checkpoint()

    def command(self, argv, what=None, budget_end=None):
        self.checkpoint()
        timeout = self.command_timeout
        if budget_end is not None:
            timeout = max(min(timeout, MIN_COMMAND_SECONDS), min(timeout, budget_end - self.clock()))
        return self.run(argv, timeout=timeout, what=what or " ".join(argv))

    def sysfs(self, fn, args, what):
        return self.call(fn, args, timeout=self.command_timeout, what=what)
