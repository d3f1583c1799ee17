# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only code that changes a host when removing stale SAN devices.

Every act function takes an `ActContext` (the reader san_read.Host, a command runner and a forked-call runner,
both with hard deadlines; tests inject fakes) and one plan step (san_plan), re-reads identity right before it
acts, and returns a dict describing what it did (`outcome`: done | already_absent | skipped, plus details).
A refusal on re-check raises san_plan.Refused; a failure raises ActFailed; a hung kernel touch raises
deadline.DeadlineExceeded. Nothing opens /dev/dm-* (lab finding 1).

Every read (identity re-reads included: SCSI host targets, the disk at an H:C:T:L, by-id links, holder uuids,
the wwids file) goes through san_read; this module only writes and runs the commands that change the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import stat
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_plan
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_read
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_refs
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_users
from ansible_collections.sanfleet.remediation.plugins.module_utils.san_plan import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils.san_identity import MPATH_UUID_PREFIX, SAN_TRANSPORTS
from ansible_collections.sanfleet.remediation.plugins.module_utils.san_identity import serial_matches

_HCTL = re.compile(r"^([0-9]+):([0-9]+):([0-9]+):([0-9]+)$")
IDENTITY_MARK = "IDENTITY CHANGED:"
# A command cut short can leave state behind (multipath -f killed between suspend and remove leaves a suspended
# map): a shrinking budget never gives a command less than this (or command_timeout, when that is smaller).
MIN_COMMAND_SECONDS = 5.0


class ActFailed(Exception):
    """An act did not achieve its effect (command failed, device still present at the deadline, ...)."""

    def __init__(self, target, msg, detail=None):
        self.target = target
        self.detail = detail or {}
        super(ActFailed, self).__init__("%s: %s" % (target, msg))


class ExecutionError(Exception):
    """execute() stopped at `step`; `executed` lists the steps done before it; `cause` is the original error."""

    def __init__(self, cause, step, executed, restored=None):
        self.cause = cause
        self.step = step
        self.executed = executed
        self.restored = restored or []
        msg = str(cause)
        if self.restored:
            msg += "; " + "; ".join(r["msg"] for r in self.restored)
        super(ExecutionError, self).__init__(msg)

    def to_dict(self):
        out = {"msg": str(self), "failed_step": self.step, "executed": self.executed}
        if self.restored:
            out["queueing_restored"] = self.restored
        if isinstance(self.cause, Refused):
            out["refusal"] = self.cause.to_dict()
        elif isinstance(self.cause, deadline.DeadlineExceeded):
            out["deadline"] = {"what": self.cause.what, "seconds": self.cause.seconds}
        return out


class ActContext(object):
    """What the act functions need: the reader, runners with deadlines, timeouts and a clock.

    timeouts: command (one command or sysfs write), flush (the multipath -f retry budget),
    wait (waiting for a device to vanish or appear), retry_interval (between multipath -f attempts).
    """

    def __init__(self, reader, run=deadline.run, call=deadline.call, root="/", command_timeout=10.0,
                 flush_timeout=60.0, wait_timeout=30.0, retry_interval=1.0, poll_interval=0.25,
                 wwids_file="/etc/multipath/wwids", allow_non_san=False, sleep=time.sleep, clock=time.monotonic):
        self.reader = reader
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
        self.sleep = sleep
        self.clock = clock
        # maps whose queueing this run turned off and that still exist: {wwid: {name, dm, was_queueing, via}};
        # execute() restores each of them when a later step fails (queueing off sticks until restored)
        self.queueing_off = {}

    path = san_read.Host.path

    def command(self, argv, what=None, budget_end=None):
        timeout = self.command_timeout
        if budget_end is not None:
            timeout = max(min(timeout, MIN_COMMAND_SECONDS), min(timeout, budget_end - self.clock()))
        return self.run(argv, timeout=timeout, what=what or " ".join(argv))

    def sysfs(self, fn, args, what):
        return self.call(fn, args, timeout=self.command_timeout, what=what)


# ---------------------------------------------------------------------------------------------- sysfs writes
def _child_checked_write(sys_root, hctl, name, dev, attr, data):
    """(runs in a forked child) write `data` to scsi_device/<hctl>/device/<attr> only if <hctl> still has
    block device `name` with major:minor `dev` — checked microseconds before the write."""
    dev_dir = os.path.join(sys_root, "class", "scsi_device", hctl, "device")
    if name is not None:
        try:
            names = os.listdir(os.path.join(dev_dir, "block"))
        except OSError:
            names = []
        if name not in names:
            raise ValueError("%s %s is no longer %s (found %s)" % (IDENTITY_MARK, hctl, name, names or "nothing"))
        if dev:
            with open(os.path.join(dev_dir, "block", name, "dev")) as fh:
                now = fh.read().strip()
            if now != dev:
                raise ValueError("%s %s/%s is %s, expected %s" % (IDENTITY_MARK, hctl, name, now, dev))
    with open(os.path.join(dev_dir, attr), "w") as fh:
        fh.write(data)
    return True


def _child_exclusive_open(node, dev):
    """(runs in a forked child) open the sd node O_EXCL|O_NONBLOCK and close it: EBUSY when the kernel has it
    claimed (a mount, dm/md, btrfs, ZFS, drbd, an LIO backstore, swap, another exclusive opener). Plain opens by
    processes do not conflict; the /proc scan names those. Only for a plain sd: never on a dm device that may
    queue (lab finding 1). Returns "ok", "busy: <reason>" or raises ValueError when the node is not `dev`."""
    try:
        fd = os.open(node, os.O_RDONLY | os.O_EXCL | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return "busy: %s" % os.strerror(exc.errno)
        if exc.errno in (errno.ENXIO, errno.ENODEV, errno.ENOMEDIUM):
            # the kernel checks the exclusive claim before the driver's open: an offline sd that refuses the
            # open has no exclusive holder
            return "ok: not claimed (the driver refused the open: %s)" % os.strerror(exc.errno)
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISBLK(st.st_mode) or "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) != dev:
            raise ValueError("%s %s is not block device %s" % (IDENTITY_MARK, node, dev))
    finally:
        os.close(fd)
    return "ok"


def exclusive_open_check(host, d):
    """Refuse the delete of a plain sd (no map) that the kernel holds claimed: the open-count gate of an sd."""
    node = host.path("/dev/%s" % d["name"])
    target = "disk %s" % d["name"]
    try:
        answer = host.sysfs(_child_exclusive_open, (node, d.get("dev")), "exclusive open of /dev/%s" % d["name"])
    except RuntimeError as exc:
        if IDENTITY_MARK in str(exc):
            raise Refused(target, "identity", str(exc).split(IDENTITY_MARK, 1)[1].strip() + "; nothing written")
        raise Refused(target, "open_count", "could not be opened exclusively to check for kernel users (%s); "
                      "not deleting" % exc)
    if not answer.startswith("ok"):
        raise Refused(target, "open_count", "is claimed by a kernel user (exclusive open: %s): a mount, LVM/dm, md, "
                      "btrfs, ZFS, drbd, an LIO backstore or swap not seen in sysfs; not deleting" % answer[6:],
                      holder="exclusive open refused", evidence={"exclusive_open": answer})
    return answer


def _child_write(path, data):
    with open(path, "w") as fh:
        fh.write(data)
    return True


def _sysfs_write(host, fn, args, target, what):
    try:
        return host.sysfs(fn, args, what)
    except RuntimeError as exc:
        if IDENTITY_MARK in str(exc):
            raise Refused(target, "identity", str(exc).split(IDENTITY_MARK, 1)[1].strip() +
                          " — the kernel name or address was reused; nothing written")
        raise ActFailed(target, "%s failed: %s" % (what, exc))


# ---------------------------------------------------------------------------------------------- identity checks
def verify_map(host, step, allow_absent=True, allow_openers=False):
    """Re-read the map of `step` and compare it with step.expect; re-check that nothing uses it.

    allow_openers: processes may hold it (a dead unmapped map, see san_plan.dead_unmapped_map); mounts, swap and
    holders still refuse. Returns the live map_info, or None when it is gone (and allow_absent)."""
    expect = step.get("expect") or {}
    m = host.reader.map(expect.get("wwid") or step["target"])
    if m is None:
        if allow_absent:
            return None
        raise ActFailed(step["target"], "map is gone")
    diff = san_plan.identity_diff(expect, m, ("name", "wwid", "dm", "dev"))
    new_paths = sorted(set(p.get("name") for p in m.get("paths") or []) - set(expect.get("slaves") or []))
    if expect.get("slaves") is not None and new_paths:
        diff["slaves"] = {"expected": expect.get("slaves"), "actual": new_paths}
    if diff:
        raise Refused("map %s" % step["target"], "identity", "changed since it was planned (%s)"
                      % san_plan._describe_diff(diff), evidence={"diff": diff})
    info = dict(m)
    if m.get("holders"):
        info["holders"] = san_read.describe_holders(host, m.get("holders"))
    san_plan.check_not_in_use(info, "map %s" % m.get("name"), allow_openers=allow_openers)
    return m


def verify_identity(host, step, options=None):
    """Re-read the disk of `step` (by name) and refuse if H:C:T:L, major:minor, WWID or serial differ from
    step.expect, or if it is now in use or part of a live map. Returns the live disk, or None when gone."""
    options = options or {}
    expect = step.get("expect") or {}
    name = expect.get("name") or step["target"]
    d = host.reader.disk(name)
    if d is None:
        return None
    diff = san_plan.identity_diff(expect, d)
    if diff:
        raise Refused("disk %s" % name, "identity", "is not the device that was planned (%s); the kernel name "
                      "was reused or the LUN changed — nothing written" % san_plan._describe_diff(diff),
                      evidence={"diff": diff})
    info = dict(d)
    info["holders"] = san_read.disk_holders(host, d)
    san_plan.check_disk_deletable(info, options, san_read.live_maps(host, d, info["holders"]))
    return d


# ---------------------------------------------------------------------------------------------- map acts
def _queueing_off(host, name, end):
    """Poll the live table until queueing is off (False; None means the table could not be read)."""
    while True:
        m = host.reader.map(name)
        if m is None or m.get("queueing") is False:
            return m
        if host.clock() >= end:
            return m
        host.sleep(host.poll_interval)


def disable_queueing(host, step):
    release = bool((step.get("expect") or {}).get("release_openers"))
    m = verify_map(host, step, allow_openers=release)
    if m is None:
        return {"outcome": "already_absent"}
    name = m["name"]
    if release and san_plan.workload_openers(m.get("openers")) and \
            not all(p.get("dm_state") == "failed" for p in m.get("paths") or []):
        # planned as dead (every path failed); a path came back since: its openers may be doing real I/O
        raise Refused("map %s" % name, "opener", "has openers (%s) and a path is no longer failed; it was planned "
                      "as a dead map, not touching it" % ", ".join(san_plan._opener_label(o) for o in
                                                                   san_plan.workload_openers(m.get("openers"))),
                      evidence={"openers": m.get("openers"), "paths": m.get("paths")})
    if release:
        # Failing a process's queued I/O needs the array's own word, now: every path answers LOGICAL UNIT NOT
        # SUPPORTED (a portal cut since the plan gives no answer, a remapped LU answers ready).
        probes = dict((p.get("name"), host.reader.probe_path(p.get("name"))) for p in m.get("paths") or []
                      if p.get("name"))
        if not probes or any((r or {}).get("result") != "lun_not_supported" for r in probes.values()):
            raise Refused("map %s" % name, "opener", "was planned as a dead map the array no longer maps, but not "
                          "every path says LOGICAL UNIT NOT SUPPORTED now (%s); not failing its openers' I/O"
                          % ", ".join("%s: %s" % (k, (v or {}).get("result")) for k, v in sorted(probes.items())),
                          evidence={"probes": probes})
    detail = {"outcome": "done", "commands": []}
    running = san_read.multipathd_running(host)
    host.queueing_off[m["wwid"]] = {"name": name, "dm": m.get("dm"), "was_queueing": bool(m.get("queueing")),
                                    "multipathd": running}
    _set_queueing(host, m, False, running, detail["commands"])
    m = _queueing_off(host, m.get("wwid") or name, host.clock() + host.command_timeout)
    if m is not None and m.get("queueing") is not False:
        raise ActFailed("map %s" % name, "the live table %s after disablequeueing"
                        % ("still has queue_if_no_path" if m.get("queueing") else "could not be read to confirm queueing "
                           "is off"), detail)
    return detail


def dm_uuid(m):
    """The dm uuid of a multipath map: the identity verify_map checked, never reused for another LU."""
    return MPATH_UUID_PREFIX + m["wwid"]


def _set_queueing(host, m, enable, running, log):
    """Queueing on (restore) or off for map `m`: multipathd's (dis|restore)queueing when the daemon runs (it keeps
    the setting across a failed flush, lab finding 3), else `dmsetup message -u mpath-<wwid> 0 ...`, addressed by
    the dm uuid that was verified. Raises ActFailed when neither form is accepted."""
    name = m["name"]
    if running:
        res = host.command(["multipathd", "restorequeueing" if enable else "disablequeueing", "map", name])
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
        m = host.reader.map(wwid)
        if m is None:
            out["msg"] = "map %s is gone: no queueing to restore" % record["name"]
            return out
        if m.get("dm") != record["dm"]:
            out["msg"] = ("map %s is now %s, not %s: queueing NOT restored (identity changed)"
                          % (record["name"], m.get("dm"), record["dm"]))
            return out
        resumed = resume_if_suspended(host, m)
        if resumed:
            out["resumed"] = resumed
        if record["multipathd"] or record["was_queueing"]:
            _set_queueing(host, m, True, record["multipathd"], out["commands"])
        now = host.reader.map(wwid)
        out["queueing_now"] = None if now is None else now.get("queueing")
        out["msg"] = "queueing on map %s restored (queue_if_no_path now %s)" % (
            record["name"], {True: "on", False: "off", None: "unknown"}[out["queueing_now"]])
    except (ActFailed, deadline.DeadlineExceeded, RuntimeError, OSError) as exc:
        out["msg"] = "queueing on map %s could NOT be restored: %s" % (record["name"], exc)
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


def verify_unused(host, step):
    """After disable_queueing on a dead unmapped map: the processes blocked in its I/O get an error and leave.
    Poll (bounded by expect.settle, at most wait_timeout) until no process, mount or holder uses the map; refuse
    naming the opener that stays. Benign openers (udev/blkid) are left to flush_map."""
    expect = step.get("expect") or {}
    settle = min(float(expect.get("settle", san_plan.RELEASE_SETTLE)), host.wait_timeout)
    end = host.clock() + settle
    started = host.clock()
    while True:
        m = verify_map(host, step, allow_openers=True)
        if m is None:
            return {"outcome": "already_absent"}
        busy = san_plan.workload_openers(m.get("openers"))
        unexplained = san_users.unexplained_opens(m.get("open_count"), m.get("openers"))
        if not busy and not unexplained:
            return {"outcome": "done", "waited": round(host.clock() - started, 2)}
        if host.clock() >= end:
            info = dict(m)
            if m.get("holders"):
                info["holders"] = san_read.describe_holders(host, m.get("holders"))
            try:
                san_plan.check_not_in_use(info, "map %s" % m.get("name"))
            except Refused as exc:
                exc.args = ("%s (still there %.0fs after queueing was disabled; nothing flushed)"
                            % (exc.args[0], settle),)
                raise
            raise Refused("map %s" % m.get("name"), "opener", "is still in use %.0fs after queueing was disabled"
                          % settle)
        host.sleep(host.poll_interval)


def _wait_benign_gone(host, m, end):
    """After disabling queueing, stuck udev/blkid openers fail their I/O and leave; give them until `end`."""
    while m is not None and san_plan.benign_openers(m.get("openers")) and host.clock() < end:
        host.sleep(host.poll_interval)
        m = host.reader.map(m.get("wwid") or m.get("name"))
    return m


def flush_map(host, step):
    m = verify_map(host, step)
    if m is None:
        return {"outcome": "already_absent"}
    name = m["name"]
    expect = step.get("expect") or {}
    force = bool(expect.get("force_remove"))
    started = host.clock()
    # keep a share of the budget for the forced removal when it is allowed
    flush_end = started + host.flush_timeout * (0.75 if force else 1.0)
    attempts = []
    detail = {"outcome": "done", "attempts": attempts, "method": "multipath -f"}
    m = _wait_benign_gone(host, m, min(flush_end, started + host.wait_timeout))
    running = san_read.multipathd_running(host)
    while True:
        if m is None:
            return detail
        if m.get("queueing"):  # restored by a failed flush (lab finding 3): turn it off again
            log = []
            _set_queueing(host, m, False, running, log)
            attempts.append({"requeue_off": "; ".join(log)})
        # every attempt gets the whole command deadline: a flush killed between suspend and remove leaves the
        # map suspended, so the budget decides whether to start an attempt, never how long one may take
        try:
            res = host.command(["multipath", "-f", name], what="multipath -f %s" % name)
        except deadline.DeadlineExceeded:
            _after_failed_flush(host, m, detail)
            raise
        attempts.append({"rc": res.rc, "out": (res.stdout + res.stderr).strip()[-400:], "elapsed": res.elapsed})
        m = host.reader.map(m.get("wwid") or name)
        if m is None:
            return detail
        _after_failed_flush(host, m, detail)
        if host.clock() + host.retry_interval >= flush_end:
            break
        host.sleep(host.retry_interval)
        m = verify_map(host, step)
    if force:
        m = verify_map(host, step)
        if m is None:
            return detail
        res = host.command(["dmsetup", "remove", "--force", "--retry", "-u", dm_uuid(m)])
        attempts.append({"forced": res.describe(), "rc": res.rc})
        detail["method"] = "dmsetup remove --force --retry"
        left = host.reader.map(m.get("wwid") or name)
        if left is None:
            return detail
        _after_failed_flush(host, left, detail)
    raise ActFailed("map %s" % name, "still present after %d multipath -f attempt(s)%s in %.1fs; last: %s"
                    % (len([a for a in attempts if "out" in a]), " and dmsetup remove --force" if force else "",
                       host.clock() - started, attempts[-1]), detail)


def _after_failed_flush(host, m, detail):
    """A flush that failed (or was killed) may leave the map suspended: resume it, and say so."""
    try:
        live = host.reader.map(m.get("wwid") or m["name"])
        resumed = resume_if_suspended(host, live) if live is not None else None
    except deadline.DeadlineExceeded as exc:
        resumed = "could not check whether map %s is suspended: %s" % (m["name"], exc)
    if resumed:
        detail.setdefault("resumed", []).append(resumed)


def wait_map_gone(host, step):
    expect = step.get("expect") or {}
    key = expect.get("wwid") or step["target"]
    end = host.clock() + host.wait_timeout
    while True:
        m = host.reader.map(key)
        if m is None:
            host.queueing_off.pop(expect.get("wwid"), None)
            return {"outcome": "done"}
        if host.clock() >= end:
            raise ActFailed("map %s" % step["target"], "still present %.0fs after the flush" % host.wait_timeout)
        host.sleep(host.poll_interval)


def remove_wwid(host, step):
    wwid = (step.get("expect") or {}).get("wwid") or step["target"]
    if host.reader.map(wwid) is not None:
        raise Refused("wwid %s" % wwid, "live_map", "its map is still present; not removing it from the wwids file")
    res = host.command(["multipath", "-w", wwid])
    if not res.ok:
        raise ActFailed("wwid %s" % wwid, "multipath -w failed: %s" % res.describe())
    listed = san_read.wwid_listed(host, host.wwids_file, wwid)
    if listed:
        raise ActFailed("wwid %s" % wwid, "still listed in %s after multipath -w" % host.wwids_file)
    return {"outcome": "done", "output": res.stdout.strip(), "wwids_file_checked": listed is not None}


# ---------------------------------------------------------------------------------------------- disk acts
def flush_buffers(host, step):
    d = verify_identity(host, step, {"allow_non_san": host.allow_non_san})
    if d is None:
        return {"outcome": "already_absent"}
    probe = host.reader.probe_path(d["name"])
    if not san_plan.flush_wanted(d, probe, {"flush_buffers": True}):
        return {"outcome": "skipped", "why": "the device no longer answers as the same LU", "probe": probe}
    res = host.command(["blockdev", "--flushbufs", "/dev/%s" % d["name"]])
    if not res.ok:
        raise ActFailed("disk %s" % d["name"], "blockdev --flushbufs failed: %s" % res.describe())
    return {"outcome": "done", "elapsed_flush": res.elapsed}


def _rebuilt_map(host, step, refusal):
    """The map multipathd assembled again from this path after the plan's own flush of the same WWID, or None.

    Only a map with exactly the WWID that this run just removed qualifies (expect.after_flush); any other
    live map holding the disk stays a refusal."""
    flushed = ((step.get("expect") or {}).get("after_flush") or "").lower()
    if not flushed or refusal.kind != "live_map":
        return None
    m = host.reader.map((refusal.evidence or {}).get("map") or "")
    if m is None or (m.get("wwid") or "").lower() != flushed:
        return None
    return m


def _flush_rebuilt(host, step, m):
    """Remove a map rebuilt between the plan's flush and this path's delete: the same checks as the planned
    flush (nothing may use it, not even a process), queueing off first, targeted multipath -f, wait gone."""
    again = {"action": "flush_map", "target": m["name"], "expect": {"wwid": m.get("wwid"), "name": m["name"]}}
    disable_queueing(host, again)
    detail = flush_map(host, again)
    wait_map_gone(host, again)
    return {"map": m["name"], "dm": m.get("dm"), "attempts": detail.get("attempts")}


def delete_disk(host, step):
    detail = {"outcome": "done"}
    try:
        d = verify_identity(host, step, {"allow_non_san": host.allow_non_san})
    except Refused as exc:
        rebuilt = _rebuilt_map(host, step, exc)
        if rebuilt is None:
            raise
        detail["rebuilt_map_removed"] = _flush_rebuilt(host, step, rebuilt)
        d = verify_identity(host, step, {"allow_non_san": host.allow_non_san})
    if d is None:
        raise Refused("disk %s" % step["target"], "unknown", "is gone before delete (nothing written); "
                      "its identity cannot be re-checked")
    hctl = d["hctl"]
    if not _HCTL.match(hctl or ""):
        raise Refused("disk %s" % d["name"], "identity", "has no valid H:C:T:L (%r)" % hctl)
    if not d.get("map") and not d.get("holders"):
        detail["exclusive_open"] = exclusive_open_check(host, d)
    links = san_read.by_id_links(host, d["name"])
    _sysfs_write(host, _child_checked_write, (host.path("/sys"), hctl, d["name"], d.get("dev"), "delete", "1"),
                 "disk %s" % d["name"], "write 1 to /sys/class/scsi_device/%s/device/delete" % hctl)
    detail.update(hctl=hctl, by_id=links)
    return detail


def wait_disk_gone(host, step):
    expect = step.get("expect") or {}
    name, hctl = expect.get("name") or step["target"], expect.get("hctl")
    end = host.clock() + host.wait_timeout
    while True:
        d = host.reader.disk(name)
        reused = d is not None and d.get("hctl") != hctl
        present = d is not None and not reused
        at = san_read.disk_at(host, hctl) if hctl else None
        links = [] if reused else san_read.by_id_links(host, name)
        if not present and at is None and not links:
            out = {"outcome": "done"}
            if reused:
                out["name_reused_by"] = d.get("hctl")
            return out
        if host.clock() >= end:
            raise ActFailed("disk %s" % name, "still present %.0fs after delete (disk: %s, scsi_device %s: %s, "
                            "by-id links: %s)" % (host.wait_timeout, bool(present), hctl, at, links))
        host.sleep(host.poll_interval)


# ---------------------------------------------------------------------------------------------- scan acts
def scan_exact_lun(host, step):
    expect = step.get("expect") or {}
    m = _HCTL.match(step["target"])
    if not m:
        raise Refused(step["target"], "invalid", "is not an H:C:T:L")
    h, c, t, lun = [int(x) for x in m.groups()]
    info = san_read.scsi_host_info(host, h)
    transport = (info or {}).get("transport")
    if transport not in SAN_TRANSPORTS and not host.allow_non_san:
        raise Refused("host%d" % h, "not_san_host", "SCSI host%d is %s, not an iSCSI/FC host; not scanning"
                      % (h, transport or "absent"))
    if "%d:%d:%d" % (h, c, t) not in (info or {}).get("targets", []):
        raise Refused("host%d" % h, "no_target", "target %d:%d:%d is gone; not scanning" % (h, c, t))
    if expect.get("absent") and san_read.disk_at(host, step["target"]) is not None:
        return {"outcome": "already_present"}
    data = "%d %d %d" % (c, t, lun)
    _sysfs_write(host, _child_write, (host.path("/sys/class/scsi_host/host%d/scan" % h), data),
                 "host%d" % h, "write '%s' to /sys/class/scsi_host/host%d/scan" % (data, h))
    return {"outcome": "done", "written": data, "host": "host%d" % h, "transport": transport}


def rescan_disk(host, step):
    expect = step.get("expect") or {}
    d = host.reader.disk(expect.get("name") or step["target"])
    if d is None:
        raise Refused("disk %s" % step["target"], "unknown", "is gone; nothing rescanned")
    diff = san_plan.identity_diff(expect, d, ("name", "hctl", "dev"))
    if diff:
        raise Refused("disk %s" % step["target"], "identity", "changed since it was planned (%s)"
                      % san_plan._describe_diff(diff))
    _sysfs_write(host, _child_checked_write, (host.path("/sys"), d["hctl"], d["name"], d.get("dev"), "rescan", "1"),
                 "disk %s" % d["name"], "write 1 to /sys/class/scsi_device/%s/device/rescan" % d["hctl"])
    return {"outcome": "done", "hctl": d["hctl"]}


def wait_disk_present(host, step):
    hctl = step["target"]
    end = host.clock() + host.wait_timeout
    while True:
        name = san_read.disk_at(host, hctl)
        if name:
            d = host.reader.disk(name)
            if d is not None and d.get("hctl") == hctl:
                return {"outcome": "done", "name": name}
        if host.clock() >= end:
            raise ActFailed(hctl, "no disk appeared within %.0fs of the scan" % host.wait_timeout)
        host.sleep(host.poll_interval)


def verify_lun(host, step):
    """verify_identity step after a scan/rescan: the disk at H:C:T:L must show the expected WWID/serial."""
    expect = step.get("expect") or {}
    hctl = expect.get("hctl") or step["target"]
    name = san_read.disk_at(host, hctl)
    d = host.reader.disk(name) if name else None
    if d is None:
        raise ActFailed(hctl, "no disk at %s to verify" % hctl)
    bad = {}
    if expect.get("wwid") and (d.get("wwid") or "").lower() != expect["wwid"].lower():
        bad["wwid"] = {"expected": expect["wwid"], "actual": d.get("wwid")}
    if expect.get("serial") and not serial_matches(d.get("serial"), expect["serial"]):
        bad["serial"] = {"expected": expect["serial"], "actual": d.get("serial")}
    if bad:
        raise ActFailed(hctl, "%s shows the wrong identity after the scan (%s)"
                        % (name, san_plan._describe_diff(bad)), {"diff": bad})
    return {"outcome": "done", "name": name, "wwid": d.get("wwid"), "serial": d.get("serial")}


# ---------------------------------------------------------------------------------------------- references
def removed_identities(executed):
    """What a run removed, from its executed steps: WWIDs, map names and /dev/disk/by-id link names."""
    wwids, maps, by_id = set(), set(), set()
    for e in executed or []:
        if e.get("outcome") != "done":
            continue
        if e.get("action") == "wait_map_gone" and e.get("wwid"):
            wwids.add(e["wwid"].lower())
        elif e.get("action") == "flush_map":
            maps.add(e.get("target"))
        elif e.get("action") == "delete_disk":
            by_id.update((e.get("detail") or {}).get("by_id") or [])
        elif e.get("action") == "wait_disk_gone" and e.get("wwid"):
            wwids.add(e["wwid"].lower())
    return sorted(wwids), sorted(m for m in maps if m), sorted(by_id)


def references(host, executed, still_present=()):
    """Lines of fstab, crypttab, the LVM devices file and systemd mount units that still name a device this run
    removed (and that no live device carries any more: `still_present` lists WWIDs seen after the run)."""
    wwids, maps, by_id = removed_identities(executed)
    present = set(w.lower() for w in still_present)
    wwids = [w for w in wwids if w not in present]
    wanted = san_refs.needles(wwids, maps, by_id)
    if not wanted:
        return []
    refs = host.call(san_read.read_references, (host.root, san_refs.UNIT_DIR, list(san_refs.FILES), wanted),
                     timeout=host.command_timeout, what="read of fstab, crypttab, LVM devices file and mount units")
    for r in refs:
        r["action"] = "reported"
    return refs


def clean_references(host, refs, write):
    """Opt-in: comment out the reference lines (fstab, crypttab, devices file) through `write(path, text)` (an
    atomic write with a backup); mount units are reported only (disable them with systemctl). Returns refs,
    each with `action`."""
    by_file = {}
    for r in refs:
        if r["kind"] != "mount_unit":
            by_file.setdefault(r["file"], []).append(r)
    for path, items in sorted(by_file.items()):
        with open(host.path(path)) as fh:
            text = fh.read()
        write(host.path(path), san_refs.commented_out(text, [r["line"] for r in items]))
        for r in items:
            r["action"] = "commented_out"
    return refs


# ---------------------------------------------------------------------------------------------- executor
ACT = {
    "disable_queueing": disable_queueing,
    "verify_unused": verify_unused,
    "flush_map": flush_map,
    "wait_map_gone": wait_map_gone,
    "remove_wwid": remove_wwid,
    "flush_buffers": flush_buffers,
    "delete_disk": delete_disk,
    "wait_disk_gone": wait_disk_gone,
    "scan_exact_lun": scan_exact_lun,
    "rescan_disk": rescan_disk,
    "wait_disk_present": wait_disk_present,
    "verify_identity": verify_lun,
}


def execute(steps, host):
    """Run `steps` (a san_plan list) in order, exactly; stop at the first error (ExecutionError).

    Returns [{action, target, elapsed, outcome, detail}], one per step."""
    executed = []
    for st in steps:
        fn = ACT.get(st.get("action"))
        if fn is None:
            raise ExecutionError(ValueError("unknown action %r" % st.get("action")), st, executed)
        t0 = host.clock()
        try:
            detail = fn(host, st) or {}
        except (Refused, ActFailed, deadline.DeadlineExceeded, RuntimeError, OSError) as exc:
            # queueing that this run turned off sticks until restored: give it back on every map still there
            restored = [r for r in (restore_queueing(host, w) for w in sorted(host.queueing_off)) if r]
            raise ExecutionError(exc, st, executed, restored)
        done = {"action": st["action"], "target": st["target"], "elapsed": round(host.clock() - t0, 3),
                "outcome": detail.pop("outcome", "done"), "detail": detail}
        if st["action"] in ("wait_map_gone", "wait_disk_gone") and (st.get("expect") or {}).get("wwid"):
            done["wwid"] = st["expect"]["wwid"]
        executed.append(done)
    return executed


def host_for_module(params, **options):
    """The context the removal modules act through, its reader bound by the user's command deadline."""
    seconds = params["command_timeout"]
    reader = san_read.Host(root="/", run=deadline.run, call=deadline.call, command_timeout=seconds,
                           read_timeout=seconds, probe_timeout=min(8.0, seconds))
    return ActContext(reader, command_timeout=seconds, **options)
