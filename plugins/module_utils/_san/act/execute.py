# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The executor: runs a plan's steps (plan.cleanup) exactly, in batches of one kind, and stops a unit at its first
refusal or failure; the module-facing entry points (`execute`, `act_one`, `host_for_module`).

Every act re-reads identity right before it acts and returns a dict describing what it did (`outcome`: done |
already_absent | skipped, plus details). A refusal on re-check raises errors.Refused; a failure raises
ActFailed; a hung kernel touch raises deadline.DeadlineExceeded. Every read goes through observe.read; the code
that writes sysfs or opens a device is act/children.py's alone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import signal
import threading

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as observe_read
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import Step
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import (
    ActContext, ActFailed, ExecutionError, Interrupted)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import alone
# the queueing a stopped unit gives back is dm-multipath's (a hook of the family's, later: issue 56 part 1)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.maps import restore_queueing
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import families as act_families


def act_one(host, step):
    """One step on its own (a batch of one), raising its error."""
    return alone(ACT[step.action], host, step)


# action -> runner(host, steps) -> [(step, result dict or error, seconds)]: every registered family's writers
ACT = act_families.act_table(act_families.FAMILIES)


def _batches(steps):
    """Runs of consecutive steps with the same action, in plan order."""
    out = []
    for st in steps:
        if out and out[-1][0].action == st.action:
            out[-1].append(st)
        else:
            out.append([st])
    return out


def execute(steps, host):
    """Run `steps` (a plan.cleanup list) in plan order, exactly.

    Consecutive steps of one action are one batch: they share one read of the host (observe.reread.View: one forked
    reader, one dmsetup round, one multipathd query) to re-check each step's identity against, and wait together
    with one read per round, instead of re-reading the host per step. The identity check in the child that
    writes to sysfs stays per write. Steps belong to units (`unit`; all one unit when absent): a refusal or
    failure stops the rest of its own unit and gives back the queueing that unit turned off; the other units go
    on. SIGTERM, SIGHUP or SIGINT during the act (handlers installed for its duration only), or an error that
    escapes a batch, stops every unit not finished and gives back the queueing of every map this run turned off;
    so does anything else leaving the act (SystemExit, GeneratorExit: given back first, then raised again).
    Returns [{action, target, unit, elapsed, outcome, detail}] of the executed steps; raises ExecutionError
    after the last step when a unit stopped."""
    for st in steps:
        if not isinstance(st, Step):
            raise ExecutionError(TypeError("a plan's step is a plan.steps.Step, not %s" % type(st).__name__), st, [])
        if st.action not in ACT:
            raise ExecutionError(ValueError("no act runs action %r" % st.action), st, [])
    executed, failures, stopped = [], [], set()
    with _signals_end_the_act(host):
        current = []  # the batch running now, for the message of an error that escapes it
        try:
            halt = _run_batches(steps, host, executed, failures, stopped, current)
        except BaseException as exc:  # pylint: disable=broad-except  # anything leaving the act gives queueing back
            halt = (exc, current[-1] if current else None)
        escaping = halt[0] if halt is not None and not isinstance(halt[0], Exception) else None
        if isinstance(escaping, KeyboardInterrupt):  # SIGINT before the handler, or raised: reported as SIGINT
            host.interrupted = host.interrupted or "SIGINT"
            halt, escaping = (Interrupted(host.interrupted), halt[1]), None
        if halt is not None:
            failures.extend(_halt(host, steps, halt, executed, stopped))
    if escaping is not None:
        # SystemExit, GeneratorExit, ...: the process is ending on purpose; queueing is back, let it end as asked
        raise escaping
    if failures:
        first = failures[0]
        raise ExecutionError(first["cause"], first["step"], executed,
                             [r for f in failures for r in f["restored"]], failures)
    return executed


def _run_batches(steps, host, executed, failures, stopped, current):
    """The batches of execute() in plan order; (the error that ends the whole act, its batch) or None."""
    for batch in _batches(steps):
        batch = [st for st in batch if st.unit not in stopped]
        if not batch:
            continue
        if host.interrupted:
            return Interrupted(host.interrupted), batch
        current.append(batch)
        started = host.clock()
        try:
            outcomes = ACT[batch[0].action](host, batch)
        except Exception as exc:  # an error outside any step's own outcome: the act cannot go on safely
            return exc, batch
        finally:
            host.batches.append({"action": batch[0].action, "steps": len(batch),
                                 "seconds": round(host.clock() - started, 3)})
        for st, result, seconds in outcomes:
            if result is None:  # its unit stopped at another step of this batch
                continue
            if isinstance(result, Exception):
                unit = st.unit
                stopped.add(unit)
                # in failures before its restore runs: a restore cut short (anything leaving the act) must not lose
                # the unit, which the act's end skips as reported already
                failure = {"unit": unit, "cause": result, "step": st, "restored": []}
                failures.append(failure)
                failure["restored"] = _restore_unit(host, unit)
                continue
            executed.append(_executed(st, result, seconds))
        if host.interrupted:
            return Interrupted(host.interrupted), None
    return None


def _executed(st, result, seconds):
    detail = dict(result)
    done = {"action": st.action, "target": st.target, "elapsed": round(seconds, 3),
            "outcome": detail.pop("outcome", "done"), "detail": detail}
    if st.unit is not None:
        done["unit"] = st.unit
    if st.action in ("wait_map_gone", "wait_disk_gone") and st.identity.wwid:
        done["wwid"] = st.identity.wwid
    return done


def _restore_unit(host, unit):
    """Queueing that `unit` turned off sticks until restored: give it back on its maps still there."""
    restoring, host.restoring = host.restoring, True
    try:
        return [r for r in (restore_queueing(host, w) for w, rec in sorted(host.queueing_off.items())
                            if rec.get("unit") == unit) if r]
    finally:
        host.restoring = restoring


def _halt(host, steps, halt, executed, stopped):
    """The act ends before its last step (a signal, or an error that escaped a batch): every unit not finished
    stops at its first step not executed, and gets its queueing back. Returns their failures."""
    cause, batch = halt
    if not isinstance(cause, Interrupted):
        cause = ActFailed("act", "stopped on an error outside any step's outcome while running the %s steps (%s: %s);"
                          " every unit not finished was stopped" % (batch[0].action if batch else "act's",
                                                                    type(cause).__name__, cause))
    done = set((e["action"], e["target"], e.get("unit")) for e in executed)
    out, seen = [], set(stopped)
    for st in steps:
        unit = st.unit
        if unit in seen or (st.action, st.target, unit) in done:
            continue
        seen.add(unit)
        out.append({"unit": unit, "cause": cause, "step": st, "restored": _restore_unit(host, unit)})
    # any map still recorded with queueing off (a unit that finished has no map left to record) gets it back too
    left = []
    for unit in sorted(set(rec.get("unit") for rec in host.queueing_off.values()), key=str):
        left.extend(_restore_unit(host, unit))
    if left and not out:
        out.append({"unit": None, "cause": cause, "step": (batch or steps)[0], "restored": []})
    if left:
        out[-1]["restored"].extend(left)
    return out


def _signals_end_the_act(host):
    """For the act's duration: SIGTERM, SIGHUP and SIGINT (a stopped job or service, a dropped ssh session,
    Ctrl-C) only mark the act interrupted; the kernel touch in flight (a command, a forked writer) ends within its
    own deadline, no new one starts (ActContext.checkpoint), and execute() gives back the queueing of every unit
    before the module reports and exits. The previous handlers come back after the act. SIGKILL cannot be
    handled (docs/removal.md, "Every abort restores queueing")."""
    return _SignalGuard(host)


class _SignalGuard(object):
    # SIGINT too: Python's own handler raises KeyboardInterrupt wherever the act stands (between a flush's
    # suspend and its remove, or with queueing off and no restore), which `except Exception` lets through
    SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, n))

    def __init__(self, host):
        self.host = host
        self.previous = {}

    def _handler(self, signum, _frame):
        if not self.host.interrupted:
            self.host.interrupted = _signal_name(signum)

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread may install handlers (a test runner's thread, say)
        for sig in self.SIGNALS:
            self.previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *_exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        return False


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except (AttributeError, ValueError):
        return "signal %d" % signum


def host_for_module(params, **options):
    """The context the removal modules act through, its reader bound by the user's command deadline."""
    seconds = params["command_timeout"]
    return ActContext(observe_read.reader_for(params), command_timeout=seconds, **options)
