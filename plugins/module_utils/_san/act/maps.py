# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Acts on dm-multipath maps: queueing off, verify unused, targeted `multipath -f` with retries, wait gone,
forget the WWID; restoring queueing when a unit stops."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import traceback

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import maps as plan_maps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import usage as judge_usage
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import DM_RE
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import MPATH_UUID_PREFIX
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed, Interrupted
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.checks import verify_map, verify_still_dead
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import (
    each_step, each_unit, map_by, map_key, poll_steps, read_for, step_outcome)


def _send_queueing_off(host, step, recount=None):
    """disable_queueing up to the command: identity against the batch's read, the killed closers counted again over
    the whole host (recount: the batch's _SharedRecount), the array's own word for a dead map last, then
    multipathd disablequeueing (or the dm message). The batch then confirms every map at once."""
    release = bool(step.options.get("release_openers"))
    m = verify_map(host, step, allow_openers=release)
    if m is None:
        return {"outcome": "already_absent"}
    why = (recount or _SharedRecount(host))() if release and step.options.get("exiting_opens") else None
    if why:
        raise Refused("map %s" % m["name"], "open_count", "was planned with %d open(s) held by tasks exiting while "
                      "closing it, but the whole host counted again now says otherwise: %s; not failing its I/O"
                      % (step.options["exiting_opens"], why),
                      evidence={"open_count": m.get("open_count"), "openers": m.get("openers")})
    probed = verify_still_dead(host, step, m)
    name = m["name"]
    if release and judge_usage.workload_openers(m.get("openers")) and \
            not all(p.get("dm_state") == "failed" for p in m.get("paths") or []):
        # planned as dead (every path failed); a path came back since: its openers may be doing real I/O
        raise Refused("map %s" % name, "opener", "has openers (%s) and a path is no longer failed; it was planned "
                      "as a dead map, not touching it" % ", ".join(judge_usage.opener_label(o) for o in
                                                                   judge_usage.workload_openers(m.get("openers"))),
                      evidence={"openers": m.get("openers"), "paths": m.get("paths")})
    if release:
        # Failing a process's queued I/O needs the array's own word, now: every path answers LOGICAL UNIT NOT
        # SUPPORTED (a portal cut since the plan gives no answer, a remapped LU answers ready).
        probes = dict((p.get("name"), probed.get(p.get("name")) or host.reader.probe_path(p.get("name")))
                      for p in m.get("paths") or [] if p.get("name"))
        if not probes or any((r or {}).get("result") != "lun_not_supported" for r in probes.values()):
            raise Refused("map %s" % name, "opener", "was planned as a dead map the array no longer maps, but not "
                          "every path says LOGICAL UNIT NOT SUPPORTED now (%s); not failing its openers' I/O"
                          % ", ".join("%s: %s" % (k, (v or {}).get("result")) for k, v in sorted(probes.items())),
                          evidence={"probes": probes})
    detail = {"outcome": "done", "commands": []}
    running = host.multipathd_running()
    host.queueing_off[m["wwid"]] = {"name": name, "dm": m.get("dm"), "was_queueing": _was_queueing(m, release),
                                    "multipathd": running, "unit": step.unit}
    _set_queueing(host, m, False, running, detail["commands"])
    return detail


def _was_queueing(m, release):
    """Whether map `m` queued before this run turned queueing off, what the restore gives back without multipathd.
    A table read that gave no queueing state (None: missed its deadline, a dropped line) is not "it did not queue":
    a released dead map was planned only while queueing (plan.maps.dead_unmapped_map), so it did; any other map is
    refused before anything is sent (its restore could neither be skipped nor impose queueing it never had)."""
    if m.get("queueing") is not None:
        return bool(m["queueing"])
    if release:
        return True
    raise Refused("map %s" % m["name"], "unknown", "its queueing state could not be read now (the live table gave "
                  "none): queueing is not turned off, since what to give back is unknown", evidence={"map": m})


def _queueing_is_off(host, step, _extra):
    m = host.map_now(map_key(step), map_by(step))
    return True if m is None or m.get("queueing") is False else None


def _queueing_still_on(host, step):
    m = host.reader.map(map_key(step), map_by(step))
    if m is None or m.get("queueing") is False:
        return True
    return ActFailed("map %s" % step.target, "the live table %s %.0fs after disablequeueing"
                     % ("still has queue_if_no_path" if m.get("queueing") else "could not be read to confirm queueing "
                        "is off", host.command_timeout))


def hidden_opens_recount(host):
    """None, or why the killed closers no longer account for every hidden open of the host (plan.maps.
    closers_account_for_every_hidden_open), on a whole read of the host now. The batch's read holds only its maps
    and their paths, not the other LUNs' disks, devices and tasks the rule weighs; a read that fails is a reason
    too (fail closed)."""
    try:
        snap = host.reader.snapshot(probe=False)
    except (deadline.DeadlineExceeded, RuntimeError, OSError, ValueError) as exc:
        return "the whole host could not be read to count them again (%s)" % exc
    return plan_maps.closers_account_for_every_hidden_open(snap, plan_maps.exiting_closers(snap))


class _SharedRecount(object):
    """hidden_opens_recount for the steps of a batch that let opens through as killed closers', asked by each such
    step after the batch's read and before its paths' probes (the array's word stays the last thing before the
    command: a LUN mapped back during a whole read of the host is seen). A count is shared by the steps that ask
    within host.command_timeout of the moment its read began (a step that asked while it ran waits for it), and
    read again for a step that asks later: a whole read costs tens of seconds at a thousand LUNs, while a later map
    of a long batch (earlier maps' probes and commands) must not be judged by a count older than that deadline
    plus its read."""

    def __init__(self, host):
        self.host = host
        self.lock = threading.Lock()
        self.why = None
        self.read_at = None

    def __call__(self):
        asked = self.host.clock()  # a step that waited on another's read shares it when it asked in time
        self.host.checkpoint()  # after SIGTERM & co. no whole read starts: giving queueing back must not wait on it
        with self.lock:
            if self.read_at is None or asked - self.read_at > self.host.command_timeout:
                self.host.checkpoint()  # the signal may have come while this step waited on another's read
                self.read_at = self.host.clock()
                try:
                    self.why = hidden_opens_recount(self.host)
                except Interrupted:
                    raise
                except Exception as exc:  # pylint: disable=broad-except  # a count not made is a reason (fail closed)
                    self.why = "the count could not be made (%s: %s)" % (type(exc).__name__, exc)
                    self.host.notes.append("the count of hidden opens failed: %s" % traceback.format_exc(limit=-4))
            return self.why


def disable_queueing(host, steps):
    recount = _SharedRecount(host)
    sent = each_step(host, steps, lambda h, st: _send_queueing_off(h, st, recount))
    waiting = [st for st, r, _t in sent if isinstance(r, dict) and r.get("outcome") == "done"]
    confirmed = dict((id(st), (r, t)) for st, r, t in
                     poll_steps(host, waiting, _queueing_is_off, lambda st: host.command_timeout, _queueing_still_on))
    out = []
    for st, r, t in sent:
        if id(st) in confirmed:
            ok, waited = confirmed[id(st)]
            if isinstance(ok, Exception):
                r = ok
            t += waited
        out.append((st, r, t))
    return out


def dm_uuid(m):
    """The dm uuid of a multipath map: the identity verify_map checked, never reused for another LU."""
    return MPATH_UUID_PREFIX + m["wwid"]


def _set_queueing(host, m, enable, running, log):
    """Queueing on (restore) or off for map `m`: multipathd's (dis|restore)queueing when the daemon runs (it keeps
    the setting across a failed flush, lab finding 3), else `dmsetup message -u mpath-<wwid> 0 ...`, addressed by
    the dm uuid that was verified. Raises ActFailed when neither form is accepted."""
    name = m["name"]
    if running:
        # multipathd reads a "dm-<n>" argument as a minor number before any alias: a map aliased "dm-1" is
        # addressed by its own verified dm-N, or its name would be the kernel's dm-1, another map
        key = m["dm"] if m.get("dm") and DM_RE.match(name) else name
        res = host.command(["multipathd", "restorequeueing" if enable else "disablequeueing", "map", key])
        log.append(res.describe())
        if res.ok and not res.stdout.strip().lower().startswith("fail"):
            return
    # multipathd refused or does not run: the kernel-side message (undone by multipathd if it runs)
    res = host.command(["dmsetup", "message", "-u", dm_uuid(m), "0",
                        "queue_if_no_path" if enable else "fail_if_no_path"])
    log.append(res.describe())
    if not res.ok:
        verb = "restore" if enable else "disable"
        raise ActFailed("map %s" % name, "could not %s queueing: %s" % (verb, res.describe()), {"commands": log})


def restore_queueing(host, wwid):
    """Undo this run's disable_queueing on a map that is still there (after a refusal or failure). Returns a
    report {map, commands, queueing_now, msg}; never raises (it runs while another error is being reported)."""
    record = host.queueing_off.pop(wwid, None)
    if record is None:
        return None
    out = {"map": record["name"], "commands": [], "queueing_now": None}
    try:
        m = host.reader.map(wwid, "wwid")
        if m is None:
            out["msg"] = "map %s is gone: no queueing to restore" % record["name"]
            return out
        if m.get("dm") != record["dm"]:
            out["msg"] = ("map %s is now %s, not %s: queueing NOT restored (identity changed)"
                          % (record["name"], m.get("dm"), record["dm"]))
            return out
        try:
            resumed = resume_if_suspended(host, m)
        except ActFailed as exc:  # still suspended: its queueing is given back all the same, for when it resumes
            resumed = "NOT resumed: %s" % exc
        if resumed:
            out["resumed"] = resumed
        if record["multipathd"] or record["was_queueing"]:
            _set_queueing(host, m, True, record["multipathd"], out["commands"])
        now = host.reader.map(wwid, "wwid")
        out["queueing_now"] = None if now is None else now.get("queueing")
        out["msg"] = "queueing on map %s restored (queue_if_no_path now %s)" % (
            record["name"], {True: "on", False: "off", None: "unknown"}[out["queueing_now"]])
    except Exception as exc:  # pylint: disable=broad-except  # never raises: the other units wait for their turn
        out["msg"] = "queueing on map %s could NOT be restored: %s: %s" % (record["name"], type(exc).__name__, exc)
    except BaseException:
        # anything leaving the act (KeyboardInterrupt, SystemExit) cut this restore short: the record goes back, so
        # that the act's end, which gives back every map still recorded, tries it again
        host.queueing_off[wwid] = record
        raise
    return out


def _dm_state(host, m):
    """'ACTIVE', 'SUSPENDED' or None (unreadable) from `dmsetup info -u mpath-<wwid>`."""
    res = host.command(["dmsetup", "info", "-u", dm_uuid(m)])
    for line in res.stdout.splitlines() if res.ok else []:
        if line.strip().startswith("State:"):
            return line.split(":", 1)[1].strip().split()[0].upper() if line.split(":", 1)[1].strip() else None
    return None


def resume_if_suspended(host, m):
    """After a failed or killed multipath -f: a map left SUSPENDED blocks all I/O, its own and that of every holder;
    resume it (by dm uuid). Returns a description of what was done, or None when it was not suspended."""
    if _dm_state(host, m) != "SUSPENDED":
        return None
    res = host.command(["dmsetup", "resume", "-u", dm_uuid(m)])
    state = _dm_state(host, m)
    if state == "SUSPENDED":
        raise ActFailed("map %s" % m["name"], "was left SUSPENDED by a failed flush and could not be resumed: %s"
                        % res.describe())
    return "map %s was SUSPENDED after a failed flush; %s -> %s" % (m["name"], " ".join(res.argv), state)


def _settle(host, step):
    return min(float(step.options.get("settle", plan_steps.RELEASE_SETTLE)), host.wait_timeout)


def _unused(host, step, _extra):
    m = verify_map(host, step, allow_openers=True)
    if m is None:
        return {"outcome": "already_absent"}
    if not judge_usage.workload_openers(m.get("openers")) and \
            not users.unexplained_opens(m.get("open_count"), m.get("openers")):
        return {"outcome": "done"}
    return None


def _still_used(host, step):
    settle = _settle(host, step)
    m = verify_map(host, step, allow_openers=True)
    if m is None:
        return {"outcome": "already_absent"}
    info = dict(m)
    if m.get("holders"):
        info["holders"] = host.holders_now(m.get("holders"))
    try:
        judge_usage.check_not_in_use(info, "map %s" % m.get("name"))
    except Refused as exc:
        exc.args = ("%s (still there %.0fs after queueing was disabled; nothing flushed)" % (exc.args[0], settle),)
        return exc
    return Refused("map %s" % m.get("name"), "opener", "is still in use %.0fs after queueing was disabled" % settle)


def verify_unused(host, steps):
    """After disable_queueing on a dead unmapped map: the processes blocked in its I/O get an error and leave.
    Poll (each map bounded by its option settle, at most wait_timeout) until no process, mount or holder uses it;
    refuse naming the opener that stays. Harmless openers (udev/blkid) are left to flush_map."""
    out = []
    for st, r, t in poll_steps(host, steps, _unused, lambda st: _settle(host, st), _still_used):
        if isinstance(r, dict) and r.get("outcome") == "done":
            r = dict(r, waited=round(t, 2))
        out.append((st, r, t))
    return out


class _Flush(object):
    """One map's flush in a batch: its live map, attempts and budget."""

    def __init__(self, step, m):
        self.step = step
        self.m = m
        self.force = bool(step.options.get("force_remove"))
        self.detail = {"outcome": "done", "attempts": [], "method": "multipath -f"}
        self.started = None
        self.end = None

    def begin(self, host):
        if self.started is None:
            self.started = host.clock()
            # keep a share of the budget for the forced removal when it is allowed
            self.end = self.started + host.flush_timeout * (0.75 if self.force else 1.0)


def _attempt_flush(host, f, running):
    """One targeted multipath -f of f.m (queueing turned off again first when a failed flush restored it)."""
    f.begin(host)
    name = f.m["name"]
    if f.m.get("queueing"):  # restored by a failed flush (lab finding 3)
        log = []
        _set_queueing(host, f.m, False, running, log)
        f.detail["attempts"].append({"requeue_off": "; ".join(log)})
    # every attempt gets the whole command deadline: a flush killed between suspend and remove leaves the map
    # suspended, so the budget decides whether to start an attempt, never how long one may take
    try:
        res = host.command(["multipath", "-f", name], what="multipath -f %s" % name)
    except deadline.DeadlineExceeded:
        _after_failed_flush(host, f.m, f.detail)
        raise
    except BaseException:
        # cut by anything else (KeyboardInterrupt, SystemExit): the map may be left suspended all the same
        try:
            _after_failed_flush(host, f.m, f.detail)
        except Exception:  # pylint: disable=broad-except  # the error that cut the flush is the one to report
            pass
        raise
    f.detail["attempts"].append({"rc": res.rc, "out": (res.stdout + res.stderr).strip()[-400:],
                                 "elapsed": res.elapsed})


def _force_or_fail(host, f):
    """The budget of f is spent and its map is still there: dmsetup remove --force --retry when allowed."""
    attempts, name = f.detail["attempts"], f.m["name"]
    if f.force:
        m = verify_map(host, f.step)
        if m is None:
            return f.detail
        res = host.command(["dmsetup", "remove", "--force", "--retry", "-u", dm_uuid(m)])
        attempts.append({"forced": res.describe(), "rc": res.rc})
        f.detail["method"] = "dmsetup remove --force --retry"
        left = host.reader.map(m.get("wwid") or name, "wwid" if m.get("wwid") else "name")
        if left is None:
            return f.detail
        _after_failed_flush(host, left, f.detail)
    return ActFailed("map %s" % name, "still present after %d multipath -f attempt(s)%s in %.1fs; last: %s"
                     % (len([a for a in attempts if "out" in a]), " and dmsetup remove --force" if f.force else "",
                        host.clock() - f.started, attempts[-1] if attempts else None), f.detail)


class _FlushAttempt(object):
    """One round's attempt on one map, as each_unit runs it: of the map's unit."""
    __slots__ = ("unit", "flush")

    def __init__(self, flush):
        self.unit = flush.step.unit
        self.flush = flush


def _flush_check(host, step):
    """Before a map's first flush attempt: identity and use (verify_map), and a dead map still dead now."""
    m = verify_map(host, step)
    if m is not None:
        verify_still_dead(host, step, m)
    return m


def flush_map(host, steps):
    """Targeted multipath -f of every map of the batch, in rounds: one read of the host after each round says which
    maps are gone; a map still there is resumed if a failed flush left it suspended, re-checked against the next
    read and tried again within its own budget (flush_timeout from its first attempt)."""
    t0 = host.clock()
    results = {}
    pending = []
    host.view = read_for(host, steps)
    try:
        running = step_outcome(host.multipathd_running)
        checked = each_unit(host, steps, _flush_check, host.view)
        for st in steps:
            m = checked[id(st)][0]
            if m is None:
                results[id(st)] = {"outcome": "already_absent"}
            elif isinstance(m, Exception):
                results[id(st)] = m
            else:
                pending.append(_Flush(st, m))
    finally:
        host.view = None
    if isinstance(running, Exception):
        for f in pending:
            results[id(f.step)] = running
        pending = []

    def done(f, result):
        results[id(f.step)] = result
        pending.remove(f)
    try:
        _wait_harmless_gone(host, pending, results)
        _flush_rounds(host, pending, running, done)
    except Interrupted as exc:  # the maps not flushed yet stop here; execute() gives their queueing back
        for f in list(pending):
            done(f, exc)
    return [(st, results.get(id(st)), host.clock() - t0) for st in steps]


def _flush_rounds(host, pending, running, done):
    """Attempt, look, resume and retry until every map of `pending` is gone or out of budget (see flush_map)."""
    while pending:
        attempts = [_FlushAttempt(f) for f in pending]
        tried = each_unit(host, attempts, lambda h, attempt: _attempt_flush(h, attempt.flush, running) or {}, None)
        for f, st in zip(list(pending), attempts):
            if isinstance(tried[id(st)][0], Exception):
                done(f, tried[id(st)][0])
        if not pending:
            break
        host.view = read_for(host, [f.step for f in pending])
        try:
            for f in list(pending):
                if step_outcome(host.map_now, map_key(f.step), map_by(f.step)) is None:
                    done(f, f.detail)
        finally:
            host.view = None
        for f in list(pending):
            resumed = step_outcome(_after_failed_flush, host, f.m, f.detail)
            if isinstance(resumed, Exception):  # left suspended: this map's unit stops, never the whole act
                done(f, resumed)
            elif host.clock() + host.retry_interval >= f.end:
                done(f, step_outcome(_force_or_fail, host, f))
        if not pending:
            break
        host.sleep(host.retry_interval)
        host.view = read_for(host, [f.step for f in pending])
        try:
            for f in list(pending):
                m = step_outcome(verify_map, host, f.step)
                if m is None:
                    done(f, f.detail)
                elif isinstance(m, Exception):
                    done(f, m)
                else:
                    f.m = m
        finally:
            host.view = None


def _wait_harmless_gone(host, flushes, results):
    """After disabling queueing, stuck udev/blkid openers fail their I/O and leave; give them wait_timeout."""
    end = host.clock() + host.wait_timeout
    waiting = [f for f in flushes if judge_usage.harmless_openers(f.m.get("openers"))]
    while waiting and host.clock() < end:
        host.sleep(host.poll_interval)
        host.view = read_for(host, [f.step for f in waiting])
        try:
            for f in list(waiting):
                m = step_outcome(host.map_now, map_key(f.step), map_by(f.step))
                if m is None:
                    results[id(f.step)] = f.detail
                    flushes.remove(f)
                    waiting.remove(f)
                elif not isinstance(m, Exception):
                    f.m = m
                    if not judge_usage.harmless_openers(m.get("openers")):
                        waiting.remove(f)
        finally:
            host.view = None


def _after_failed_flush(host, m, detail):
    """A flush that failed (or was killed) may leave the map suspended: resume it, and say so."""
    try:
        live = host.reader.map(m.get("wwid") or m["name"], "wwid" if m.get("wwid") else "name")
        resumed = resume_if_suspended(host, live) if live is not None else None
    except deadline.DeadlineExceeded as exc:
        resumed = "could not check whether map %s is suspended: %s" % (m["name"], exc)
    if resumed:
        detail.setdefault("resumed", []).append(resumed)


def _map_gone(host, step, _extra):
    if host.map_now(map_key(step), map_by(step)) is None:
        host.queueing_off.pop(step.identity.wwid, None)
        return {"outcome": "done"}
    return None


def wait_map_gone(host, steps):
    return poll_steps(host, steps, _map_gone, lambda st: host.wait_timeout,
                      lambda h, st: ActFailed("map %s" % st.target, "still present %.0fs after the flush"
                                              % h.wait_timeout))


def _forget_wwid(host, step):
    wwid = map_key(step)
    if host.map_now(wwid, "wwid") is not None:
        raise Refused("wwid %s" % wwid, "live_map", "its map is still present; not removing it from the wwids file")
    res = host.command(["multipath", "-w", wwid])
    if not res.ok:
        raise ActFailed("wwid %s" % wwid, "multipath -w failed: %s" % res.describe())
    return {"outcome": "done", "output": res.stdout.strip()}


def remove_wwid(host, steps):
    """multipath -w per WWID whose map the batch's read shows gone; then one read of the wwids file for all."""
    sent = each_step(host, steps, _forget_wwid)
    forgotten = [map_key(st) for st, r, _t in sent if isinstance(r, dict)]
    listed = step_outcome(obs_reread.wwids_listed, host, host.wwids_file, forgotten) if forgotten else {}
    out = []
    for st, r, t in sent:
        if isinstance(r, dict):
            wwid = map_key(st)
            if isinstance(listed, Exception):
                r = listed
            elif listed and listed.get(wwid):
                r = ActFailed("wwid %s" % wwid, "still listed in %s after multipath -w" % host.wwids_file)
            else:
                r = dict(r, wwids_file_checked=listed is not None)
        out.append((st, r, t))
    return out
