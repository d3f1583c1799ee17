# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running one kind of step over a batch: one read of the host for the batch (observe.reread.View), each step or each
unit against it, polling until devices leave or appear; one step's error is that step's outcome."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import threading

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed, Interrupted


def map_key(step):
    return step.identity.wwid or step.target


def map_by(step):
    """How map_key is looked for: a planned WWID among the maps' WWIDs only, a name among names only (a map may be
    aliased with another LU's WWID text)."""
    return "wwid" if step.identity.wwid else "name"


def disks_of(steps):
    """[(sd name, H:C:T:L)] of disk steps, as observe.reread.leftovers reads them."""
    return [(st.identity.name or st.target, st.identity.hctl) for st in steps]


ACT_ERRORS = (Refused, ActFailed, deadline.DeadlineExceeded, RuntimeError, OSError, ValueError)


def step_outcome(fn, *args):
    """fn's answer, or the error it raised: one step's error is that step's outcome, never its batch's."""
    try:
        return fn(*args)
    except ACT_ERRORS as exc:
        return exc


def read_for(host, steps):
    """One read of the host for `steps` (observe.reread.View), or None when it cannot be had in time: the steps then
    read what they need one by one, so a device that hangs the batch read costs only its own steps."""
    names = sorted(set(st.identity.name or st.target for st in steps if st.action in plan_steps.SD_TARGET_ACTIONS))
    maps = sorted(set(map_key(st) for st in steps if st.action not in plan_steps.SD_TARGET_ACTIONS))
    try:
        return host.reader.view(names, maps)
    except (deadline.DeadlineExceeded, RuntimeError, OSError) as exc:
        host.notes.append("the one read for %d %s step(s) failed (%s); each step read on its own"
                          % (len(steps), steps[0].action, exc))
        return None


def each_step(host, steps, fn, read=True, links=False, before=None):
    """fn(host, step) for each step against one read of the host. [(step, result or error or None, seconds)]:
    None for a step whose unit stopped at an earlier step of the batch. before(host, unit_steps): a check of each
    unit before its first step of the batch (see each_unit)."""
    out = []
    host.view = read_for(host, steps) if read else None
    if links and host.view is not None:
        left = step_outcome(obs_reread.leftovers, host, disks_of(steps))
        host.view.links = None if isinstance(left, Exception) else dict((n, v["links"]) for n, v in left.items())
    try:
        results = each_unit(host, steps, fn, host.view, before)
    finally:
        host.view = None
    return [(st,) + results[id(st)] for st in steps]


def single(fn, read=False, links=False, before=None):
    """The runner(host, steps) of a writer that acts on one step at a time (fn(host, step)): each_step over the batch.
    It names fn (``__wrapped__``) and ``before`` so that what a family's writers are made of can be read back."""
    @functools.wraps(fn)
    def run(host, steps):
        return each_step(host, steps, fn, read=read, links=links, before=before)
    run.before = before
    return run


def each_unit(host, steps, fn, view, before=None):
    """fn(host, step) for the steps of each unit in order (a unit stops at its first error: its later steps get
    None), the units on up to host.workers threads, each reading `view`. {id(step): (result, seconds)}.
    before(host, unit_steps), when given, runs first for each unit: its error is the unit's first step's."""
    by_unit = {}  # unit -> its steps, units in the order of their first step
    for st in steps:
        by_unit.setdefault(st.unit, []).append(st)
    units = list(by_unit.items())
    results = {}

    def work(unit_steps):
        host.view = view
        try:
            stopped = False
            if before is not None:
                t0 = host.clock()
                try:
                    checked = step_outcome(before, host, unit_steps)
                except Exception as exc:  # a bug stops the unit, as below
                    checked = exc
                if isinstance(checked, Exception):
                    results[id(unit_steps[0])] = (checked, host.clock() - t0)
                    stopped = True
                    unit_steps = unit_steps[1:]
                    for st in unit_steps:
                        results[id(st)] = (None, 0.0)
                    unit_steps = []
            for st in unit_steps:
                if stopped:
                    results[id(st)] = (None, 0.0)
                    continue
                t0 = host.clock()
                try:
                    result = step_outcome(fn, host, st)
                except Exception as exc:  # a bug must not vanish with its worker thread: it stops the unit
                    result = exc
                stopped = isinstance(result, Exception)
                results[id(st)] = (result, host.clock() - t0)
        finally:
            host.view = None
    if host.workers == 1 or len(units) == 1:
        for _unit, unit_steps in units:
            work(unit_steps)
        host.view = view
        return results
    queue = [u[1] for u in units]
    escaped = []

    def worker():
        while True:
            with host._lock:
                if not queue or escaped:
                    return
                unit_steps = queue.pop(0)
            try:
                work(unit_steps)
            except BaseException as exc:  # pylint: disable=broad-except  # SystemExit & co. end a thread silently
                escaped.append(exc)
    threads = [threading.Thread(target=worker) for _i in range(min(host.workers, len(queue)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if escaped:
        raise escaped[0]  # in the act's own thread: execute() gives every unit's queueing back, then raises it
    return results


def poll_steps(host, steps, check, budget, expired, read=True, prefetch=None):
    """Wait until check(host, step, extra) answers (not None) for every step, or raises, with ONE read of the host
    per round for all steps still waiting (and prefetch(host, pending) as `extra`, None when it fails: the steps
    then read on their own); a step still waiting budget(step) seconds after the start gets expired(host, step).
    [(step, result or error or None, seconds)]: None for a step whose unit stopped at another step of the batch."""
    start = host.clock()
    pending, done = list(steps), {}
    while pending:
        host.view = read_for(host, pending) if read else None
        try:
            extra = step_outcome(prefetch, host, pending) if prefetch else None
            extra = None if isinstance(extra, Exception) else extra
            stopped_units = set()
            for st in pending:
                if st.unit in stopped_units:
                    done[id(st)] = (None, 0.0)  # its unit stopped at another step of this round
                    continue
                r = step_outcome(check, host, st, extra)
                if r is not None:
                    done[id(st)] = (r, host.clock() - start)
                if isinstance(r, Exception):  # the rest of its unit stops waiting
                    stopped_units.add(st.unit)
            for st in pending:
                if st.unit in stopped_units and id(st) not in done:
                    done[id(st)] = (None, 0.0)  # waited for before the step that stopped its unit
        finally:
            host.view = None
        # by identity, in plan order: a list search per step is quadratic in a batch of a thousand steps
        pending = [st for st in pending if id(st) not in done]
        now = host.clock()
        expired_units = set()
        for st in pending:
            if now - start >= budget(st):
                # a unit's first step out of time stops it: its others waiting get None, as in a round
                done[id(st)] = ((None, 0.0) if st.unit in expired_units
                                else (step_outcome(expired, host, st), now - start))
                expired_units.add(st.unit)
        pending = [st for st in pending if id(st) not in done]
        if pending:
            try:
                host.sleep(host.poll_interval)
            except Interrupted as exc:  # the steps still waiting stop; execute() gives their queueing back
                for st in pending:
                    done[id(st)] = (exc, host.clock() - start)
                pending = []
    return [(st,) + done[id(st)] for st in steps]


def alone(runner, host, step):
    (_st, result, _t), = runner(host, [step])
    if isinstance(result, Exception):
        raise result
    return result
