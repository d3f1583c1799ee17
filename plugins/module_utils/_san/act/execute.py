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
import signal
import stat
import threading
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup as san_plan
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as san_read
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import refs as san_refs
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as san_users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.cleanup import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, IdentityChanged
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import MPATH_UUID_PREFIX, SAN_TRANSPORTS
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import HCTL_RE, serial_matches

# A command cut short can leave state behind (multipath -f killed between suspend and remove leaves a suspended
# map): a shrinking budget never gives a command less than this (or command_timeout, when that is smaller).
MIN_COMMAND_SECONDS = 5.0
# unit attentions a LUN may report before its real answer at the act-time probe (each probe consumes one)
UNIT_ATTENTION_RETRIES = 3


class ActFailed(Exception):
    """An act did not achieve its effect (command failed, device still present at the deadline, ...)."""

    def __init__(self, target, msg, detail=None):
        self.target = target
        self.detail = detail or {}
        super(ActFailed, self).__init__("%s: %s" % (target, msg))


class Interrupted(Exception):
    """The module got SIGTERM or SIGHUP during the act (a task `timeout:`, a dropped connection, a job timeout):
    no new kernel touch starts; the one in flight ends within its own deadline."""

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
        self.failures = failures or [{"unit": step.get("unit"), "cause": cause, "step": step, "restored": []}]
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
        out = {"msg": str(self), "failed_step": self.step, "executed": self.executed,
               "failures": [dict({"unit": f["unit"], "failed_step": f["step"], "msg": str(f["cause"])},
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
                 workers=1, truth_collected_at=None, truth_max_age=None, wall=time.time):
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
        # the array truth the plan judged with: its age is measured again before each unit's first touch
        self.truth_collected_at = truth_collected_at
        self.truth_max_age = truth_max_age
        self.wall = wall
        # the signal (SIGTERM, SIGHUP) that ends the act, set by its handler; while `restoring`, touches go on
        self.interrupted = None
        self.restoring = False
        # maps whose queueing this run turned off and that still exist: {wwid: {name, dm, was_queueing, unit}};
        # execute() restores those of a unit when a later step of it fails (queueing off sticks until restored)
        self.queueing_off = {}
        # the one read (san_read.View) a batch of steps of one kind checks identity against; None: read each now
        self.view = None
        self._lock = threading.Lock()
        # what the executor had to do differently (a batch read that missed its deadline), for the result
        self.notes = []
        self.batches = []  # [{action, steps, seconds}] per executed batch: where the act's time went

    path = san_read.Host.path

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
        return san_read.by_id_links(self, name)

    def map_now(self, key):
        """The map as the batch's read shows it, or re-read now outside a batch; None when it does not exist."""
        return self.view.map(key) if self.view is not None else self.reader.map(key)

    def disk_now(self, name):
        if self.view is not None:
            san_validate.sd_name(name)
            return self.view.disk(name)
        return self.reader.disk(name)

    def holders_now(self, holders):
        names = [h.get("name") if isinstance(h, dict) else h for h in holders or []]
        return self.view.holders(names) if self.view is not None else san_read.describe_holders(self, names)

    def disk_holders_now(self, disk):
        return self.view.disk_holders(disk) if self.view is not None else san_read.disk_holders(self, disk)

    def multipathd_running(self):
        return self.view.multipathd_running if self.view is not None else san_read.multipathd_running(self)

    def checkpoint(self):
        """Before a command, a sysfs write or a wait (reads go on): after SIGTERM/SIGHUP nothing new starts, except
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
            raise IdentityChanged("%s is no longer %s (found %s)" % (hctl, name, names or "nothing"), device=hctl,
                                  identity={"expected": name, "found": names})
        if dev:
            with open(os.path.join(dev_dir, "block", name, "dev")) as fh:
                now = fh.read().strip()
            if now != dev:
                raise IdentityChanged("%s/%s is %s, expected %s" % (hctl, name, now, dev), device=hctl,
                                      identity={"expected": dev, "found": now})
    with open(os.path.join(dev_dir, attr), "w") as fh:
        fh.write(data)
    return True


def _child_exclusive_open(node, dev):
    """(runs in a forked child) open the sd node O_EXCL|O_NONBLOCK and close it: EBUSY when the kernel has it
    claimed (a mount, dm/md, btrfs, ZFS, drbd, an LIO backstore, swap, another exclusive opener). Plain opens by
    processes do not conflict; the /proc scan names those. Only for a plain sd: never on a dm device that may
    queue (lab finding 1). Returns {"claimed", "reason" (when claimed), "answer" (as reported)}; raises
    IdentityChanged when the node is not `dev`."""
    try:
        fd = os.open(node, os.O_RDONLY | os.O_EXCL | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            reason = os.strerror(exc.errno)
            return {"claimed": True, "reason": reason, "answer": "busy: %s" % reason}
        if exc.errno in (errno.ENXIO, errno.ENODEV, errno.ENOMEDIUM):
            # the kernel checks the exclusive claim before the driver's open: an offline sd that refuses the
            # open has no exclusive holder
            return {"claimed": False,
                    "answer": "ok: not claimed (the driver refused the open: %s)" % os.strerror(exc.errno)}
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISBLK(st.st_mode) or "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) != dev:
            raise IdentityChanged("%s is not block device %s" % (node, dev), device=node,
                                  identity={"expected": dev})
    finally:
        os.close(fd)
    return {"claimed": False, "answer": "ok"}


def exclusive_open_check(host, d):
    """Refuse the delete of a plain sd (no map) that the kernel holds claimed: the open-count gate of an sd."""
    node = host.path("/dev/%s" % d["name"])
    target = "disk %s" % d["name"]
    try:
        answer = host.sysfs(_child_exclusive_open, (node, d.get("dev")), "exclusive open of /dev/%s" % d["name"])
    except RuntimeError as exc:
        if _identity_changed(exc):
            raise Refused(target, "identity", exc.reason + "; nothing written")
        raise Refused(target, "open_count", "could not be opened exclusively to check for kernel users (%s); "
                      "not deleting" % exc)
    if answer["claimed"]:
        raise Refused(target, "open_count", "is claimed by a kernel user (exclusive open: %s): a mount, LVM/dm, md, "
                      "btrfs, ZFS, drbd, an LIO backstore or swap not seen in sysfs; not deleting"
                      % answer["reason"],
                      holder="exclusive open refused", evidence={"exclusive_open": answer["answer"]})
    return answer["answer"]


def _identity_changed(exc):
    """Did the child refuse because the device is no longer the one checked (its kind, never its text)?"""
    return isinstance(exc, ChildFailed) and exc.is_identity_change()


def _child_write(path, data):
    with open(path, "w") as fh:
        fh.write(data)
    return True


def _sysfs_write(host, fn, args, target, what):
    host.checkpoint()
    try:
        return host.sysfs(fn, args, what)
    except RuntimeError as exc:
        if _identity_changed(exc):
            raise Refused(target, "identity", exc.reason + " — the kernel name or address was reused; nothing written")
        raise ActFailed(target, "%s failed: %s" % (what, exc))


# ---------------------------------------------------------------------------------------------- identity checks
def verify_map(host, step, allow_absent=True, allow_openers=False):
    """Re-read the map of `step` and compare it with step.expect; re-check that nothing uses it.

    allow_openers: processes may hold it (a dead unmapped map, see san_plan.dead_unmapped_map), and so may as many
    unseen opens as the plan attributed to killed tasks still closing it (expect.exiting_opens, never more); mounts,
    swap and holders still refuse. Returns the live map_info, or None when it is gone (and allow_absent)."""
    expect = step.get("expect") or {}
    m = host.map_now(expect.get("wwid") or step["target"])
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
                      % san_plan.describe_diff(diff), evidence={"diff": diff})
    info = dict(m)
    if m.get("holders"):
        info["holders"] = host.holders_now(m.get("holders"))
    san_plan.check_not_in_use(info, "map %s" % m.get("name"), allow_openers=allow_openers,
                              exiting_opens=expect.get("exiting_opens") or 0)
    return m


def verify_identity(host, step, options=None):
    """Re-read the disk of `step` (by name) and refuse if H:C:T:L, major:minor, WWID or serial differ from
    step.expect, or if it is now in use or part of a live map. Returns the live disk, or None when gone."""
    options = options or {}
    expect = step.get("expect") or {}
    name = expect.get("name") or step["target"]
    d = host.disk_now(name)
    if d is None:
        return None
    diff = san_plan.identity_diff(expect, d)
    if diff:
        raise Refused("disk %s" % name, "identity", "is not the device that was planned (%s); the kernel name "
                      "was reused or the LUN changed — nothing written" % san_plan.describe_diff(diff),
                      evidence={"diff": diff})
    info = dict(d)
    info["holders"] = host.disk_holders_now(d)
    own_map = host.map_now(d["map"]) if d.get("map") else None
    san_plan.check_disk_deletable(info, options, san_read.live_maps(d, info["holders"], own_map))
    return d


def verify_truth_age(host, target):
    """Refuse when the array truth the plan judged with is older than truth_max_age NOW: the plan checked its age
    against the host's read, and the probes, a host_evidence grace and the act itself have taken time since."""
    if host.truth_collected_at is None or host.truth_max_age is None:
        return
    age = host.wall() - float(host.truth_collected_at)
    if -age > san_plan.TRUTH_CLOCK_SKEW:
        raise Refused(target, "truth_age_unknown", "the array truth is dated %.0fs after this host's clock at act "
                      "time: its age cannot be checked; nothing of it is touched" % -age,
                      evidence={"truth_age": round(age, 1), "truth_max_age": float(host.truth_max_age)})
    if age > float(host.truth_max_age):
        raise Refused(target, "truth_too_old", "the array truth is %.0fs old at act time (bound %gs): the LUN may "
                      "have been mapped back since; nothing of it is touched" % (age, float(host.truth_max_age)),
                      evidence={"truth_age": round(age, 1), "truth_max_age": float(host.truth_max_age)})


def _probe_past_unit_attention(host, sd):
    """A probe of `sd`; once more when it answered UNIT ATTENTION (a LUN just mapped back reports its inventory
    change to the first command, which the checker of a plain sd never consumed): the second answer says what
    the LU is now."""
    probe, seen = host.reader.probe_path(sd), []
    while (probe or {}).get("result") == "not_ready" and "unit attention" in ((probe or {}).get("sense") or "").lower() \
            and len(seen) < UNIT_ATTENTION_RETRIES:  # one per pending condition (inventory change, power on, ...)
        seen.append(probe.get("sense"))
        probe = dict(host.reader.probe_path(sd), after_unit_attention=seen)
    return probe


def verify_still_dead(host, step, obj, kind="map"):
    """Before a dead unit's first touch in a batch (expect.dead: planned because every path failed): the truth's age
    now, then every path of `obj` (a map as the batch's read shows it, or a disk) probed again (san_probe, with its
    deadlines) and judged by the plan's own rule (san_plan.unproven_failures). A path that works again means the
    LUN may be mapped back (the truth can be truth_max_age old): refused as `came_back`. Returns {sd: probe}."""
    target = "%s %s" % (kind, obj.get("name"))
    verify_truth_age(host, target)
    if not (step.get("expect") or {}).get("dead"):
        return {}
    names = [p.get("name") for p in obj.get("paths") or []] if kind == "map" else [obj.get("name")]
    probes = dict((n, _probe_past_unit_attention(host, n)) for n in names if n)
    fresh = dict(obj, probe=probes) if kind == "map" else dict(obj, probe=probes.get(obj.get("name")))
    # a path that answers READY now is back even while the kernel's path state still says failed (the checker
    # has not run since the LUN was mapped again)
    alive = sorted(set(san_plan.unproven_failures(fresh, kind)) |
                   set(n for n, r in probes.items() if (r or {}).get("result") in san_plan.ANSWERING))
    if alive:
        raise Refused(target, "came_back", "came back since the plan: path(s) %s no longer failed (probe now: %s); "
                      "the LUN may be mapped to this host again, nothing of it is removed"
                      % (", ".join(alive), ", ".join("%s: %s" % (n, (r or {}).get("result"))
                                                     for n, r in sorted(probes.items()))),
                      evidence={"paths": list(obj.get("paths") or []), "probes": probes,
                                "state": obj.get("state")})
    return probes


# ---------------------------------------------------------------------------------------------- map acts
def _send_queueing_off(host, step):
    """disable_queueing up to the command: identity against the batch's read, the array's own word for a dead map,
    then multipathd disablequeueing (or the dm message). The batch then confirms every map at once."""
    release = bool((step.get("expect") or {}).get("release_openers"))
    m = verify_map(host, step, allow_openers=release)
    if m is None:
        return {"outcome": "already_absent"}
    probed = verify_still_dead(host, step, m)
    name = m["name"]
    if release and san_plan.workload_openers(m.get("openers")) and \
            not all(p.get("dm_state") == "failed" for p in m.get("paths") or []):
        # planned as dead (every path failed); a path came back since: its openers may be doing real I/O
        raise Refused("map %s" % name, "opener", "has openers (%s) and a path is no longer failed; it was planned "
                      "as a dead map, not touching it" % ", ".join(san_plan.opener_label(o) for o in
                                                                   san_plan.workload_openers(m.get("openers"))),
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
    host.queueing_off[m["wwid"]] = {"name": name, "dm": m.get("dm"), "was_queueing": bool(m.get("queueing")),
                                    "multipathd": running, "unit": step.get("unit")}
    _set_queueing(host, m, False, running, detail["commands"])
    return detail


def _map_key(step):
    return (step.get("expect") or {}).get("wwid") or step["target"]


def _queueing_is_off(host, step, _extra):
    m = host.map_now(_map_key(step))
    return True if m is None or m.get("queueing") is False else None


def _queueing_still_on(host, step):
    m = host.reader.map(_map_key(step))
    if m is None or m.get("queueing") is False:
        return True
    return ActFailed("map %s" % step["target"], "the live table %s %.0fs after disablequeueing"
                     % ("still has queue_if_no_path" if m.get("queueing") else "could not be read to confirm queueing "
                        "is off", host.command_timeout))


def disable_queueing(host, steps):
    sent = _each(host, steps, _send_queueing_off)
    waiting = [st for st, r, _t in sent if isinstance(r, dict) and r.get("outcome") == "done"]
    confirmed = dict((id(st), (r, t)) for st, r, t in
                     _poll(host, waiting, _queueing_is_off, lambda st: host.command_timeout, _queueing_still_on))
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
        try:
            resumed = resume_if_suspended(host, m)
        except ActFailed as exc:  # still suspended: its queueing is given back all the same, for when it resumes
            resumed = "NOT resumed: %s" % exc
        if resumed:
            out["resumed"] = resumed
        if record["multipathd"] or record["was_queueing"]:
            _set_queueing(host, m, True, record["multipathd"], out["commands"])
        now = host.reader.map(wwid)
        out["queueing_now"] = None if now is None else now.get("queueing")
        out["msg"] = "queueing on map %s restored (queue_if_no_path now %s)" % (
            record["name"], {True: "on", False: "off", None: "unknown"}[out["queueing_now"]])
    except Exception as exc:  # pylint: disable=broad-except  # never raises: the other units wait for their turn
        out["msg"] = "queueing on map %s could NOT be restored: %s: %s" % (record["name"], type(exc).__name__, exc)
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
    return min(float((step.get("expect") or {}).get("settle", san_plan.RELEASE_SETTLE)), host.wait_timeout)


def _unused(host, step, _extra):
    m = verify_map(host, step, allow_openers=True)
    if m is None:
        return {"outcome": "already_absent"}
    if not san_plan.workload_openers(m.get("openers")) and \
            not san_users.unexplained_opens(m.get("open_count"), m.get("openers")):
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
        san_plan.check_not_in_use(info, "map %s" % m.get("name"))
    except Refused as exc:
        exc.args = ("%s (still there %.0fs after queueing was disabled; nothing flushed)" % (exc.args[0], settle),)
        return exc
    return Refused("map %s" % m.get("name"), "opener", "is still in use %.0fs after queueing was disabled" % settle)


def verify_unused(host, steps):
    """After disable_queueing on a dead unmapped map: the processes blocked in its I/O get an error and leave.
    Poll (each map bounded by its expect.settle, at most wait_timeout) until no process, mount or holder uses it;
    refuse naming the opener that stays. Benign openers (udev/blkid) are left to flush_map."""
    out = []
    for st, r, t in _poll(host, steps, _unused, lambda st: _settle(host, st), _still_used):
        if isinstance(r, dict) and r.get("outcome") == "done":
            r = dict(r, waited=round(t, 2))
        out.append((st, r, t))
    return out


class _Flush(object):
    """One map's flush in a batch: its live map, attempts and budget."""

    def __init__(self, step, m):
        self.step = step
        self.m = m
        self.force = bool((step.get("expect") or {}).get("force_remove"))
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
        left = host.reader.map(m.get("wwid") or name)
        if left is None:
            return f.detail
        _after_failed_flush(host, left, f.detail)
    return ActFailed("map %s" % name, "still present after %d multipath -f attempt(s)%s in %.1fs; last: %s"
                     % (len([a for a in attempts if "out" in a]), " and dmsetup remove --force" if f.force else "",
                        host.clock() - f.started, attempts[-1] if attempts else None), f.detail)


def _flush_attempt_step(f):
    return {"unit": f.step.get("unit"), "_flush": f}


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
    host.view = _read_for(host, steps)
    try:
        running = _outcome(host.multipathd_running)
        checked = _by_unit(host, steps, _flush_check, host.view)
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
        _wait_benign_gone(host, pending, results)
        _flush_rounds(host, pending, running, done)
    except Interrupted as exc:  # the maps not flushed yet stop here; execute() gives their queueing back
        for f in list(pending):
            done(f, exc)
    return [(st, results.get(id(st)), host.clock() - t0) for st in steps]


def _flush_rounds(host, pending, running, done):
    """Attempt, look, resume and retry until every map of `pending` is gone or out of budget (see flush_map)."""
    while pending:
        attempts = [dict(_flush_attempt_step(f)) for f in pending]
        tried = _by_unit(host, attempts, lambda h, st: _attempt_flush(h, st["_flush"], running) or {}, None)
        for f, st in zip(list(pending), attempts):
            if isinstance(tried[id(st)][0], Exception):
                done(f, tried[id(st)][0])
        if not pending:
            break
        host.view = _read_for(host, [f.step for f in pending])
        try:
            for f in list(pending):
                if _outcome(host.map_now, _map_key(f.step)) is None:
                    done(f, f.detail)
        finally:
            host.view = None
        for f in list(pending):
            resumed = _outcome(_after_failed_flush, host, f.m, f.detail)
            if isinstance(resumed, Exception):  # left suspended: this map's unit stops, never the whole act
                done(f, resumed)
            elif host.clock() + host.retry_interval >= f.end:
                done(f, _outcome(_force_or_fail, host, f))
        if not pending:
            break
        host.sleep(host.retry_interval)
        host.view = _read_for(host, [f.step for f in pending])
        try:
            for f in list(pending):
                m = _outcome(verify_map, host, f.step)
                if m is None:
                    done(f, f.detail)
                elif isinstance(m, Exception):
                    done(f, m)
                else:
                    f.m = m
        finally:
            host.view = None


def _wait_benign_gone(host, flushes, results):
    """After disabling queueing, stuck udev/blkid openers fail their I/O and leave; give them wait_timeout."""
    end = host.clock() + host.wait_timeout
    waiting = [f for f in flushes if san_plan.benign_openers(f.m.get("openers"))]
    while waiting and host.clock() < end:
        host.sleep(host.poll_interval)
        host.view = _read_for(host, [f.step for f in waiting])
        try:
            for f in list(waiting):
                m = _outcome(host.map_now, _map_key(f.step))
                if m is None:
                    results[id(f.step)] = f.detail
                    flushes.remove(f)
                    waiting.remove(f)
                elif not isinstance(m, Exception):
                    f.m = m
                    if not san_plan.benign_openers(m.get("openers")):
                        waiting.remove(f)
        finally:
            host.view = None


def _after_failed_flush(host, m, detail):
    """A flush that failed (or was killed) may leave the map suspended: resume it, and say so."""
    try:
        live = host.reader.map(m.get("wwid") or m["name"])
        resumed = resume_if_suspended(host, live) if live is not None else None
    except deadline.DeadlineExceeded as exc:
        resumed = "could not check whether map %s is suspended: %s" % (m["name"], exc)
    if resumed:
        detail.setdefault("resumed", []).append(resumed)


def _map_gone(host, step, _extra):
    if host.map_now(_map_key(step)) is None:
        host.queueing_off.pop((step.get("expect") or {}).get("wwid"), None)
        return {"outcome": "done"}
    return None


def wait_map_gone(host, steps):
    return _poll(host, steps, _map_gone, lambda st: host.wait_timeout,
                 lambda h, st: ActFailed("map %s" % st["target"], "still present %.0fs after the flush"
                                         % h.wait_timeout))


def _forget_wwid(host, step):
    wwid = _map_key(step)
    if host.map_now(wwid) is not None:
        raise Refused("wwid %s" % wwid, "live_map", "its map is still present; not removing it from the wwids file")
    res = host.command(["multipath", "-w", wwid])
    if not res.ok:
        raise ActFailed("wwid %s" % wwid, "multipath -w failed: %s" % res.describe())
    return {"outcome": "done", "output": res.stdout.strip()}


def remove_wwid(host, steps):
    """multipath -w per WWID whose map the batch's read shows gone; then one read of the wwids file for all."""
    sent = _each(host, steps, _forget_wwid)
    forgotten = [_map_key(st) for st, r, _t in sent if isinstance(r, dict)]
    listed = _outcome(san_read.wwids_listed, host, host.wwids_file, forgotten) if forgotten else {}
    out = []
    for st, r, t in sent:
        if isinstance(r, dict):
            wwid = _map_key(st)
            if isinstance(listed, Exception):
                r = listed
            elif listed and listed.get(wwid):
                r = ActFailed("wwid %s" % wwid, "still listed in %s after multipath -w" % host.wwids_file)
            else:
                r = dict(r, wwids_file_checked=listed is not None)
        out.append((st, r, t))
    return out


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
    again = {"action": "flush_map", "target": m["name"], "expect": {"wwid": m.get("wwid"), "name": m["name"]},
             "unit": step.get("unit")}
    saved, host.view = host.view, None
    try:
        _alone(disable_queueing, host, dict(again, action="disable_queueing"))
        detail = _alone(flush_map, host, again)
        _alone(wait_map_gone, host, dict(again, action="wait_map_gone"))
    finally:
        host.view = saved
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
        # the batch's read predates the rebuilt map: this disk and the rest of the batch read again, one by one
        host.view = None
        d = verify_identity(host, step, {"allow_non_san": host.allow_non_san})
    if d is None:
        raise Refused("disk %s" % step["target"], "unknown", "is gone before delete (nothing written); "
                      "its identity cannot be re-checked")
    hctl = d["hctl"]
    if not HCTL_RE.match(hctl or ""):
        raise Refused("disk %s" % d["name"], "identity", "has no valid H:C:T:L (%r)" % hctl)
    if not d.get("map") and not d.get("holders"):
        detail["exclusive_open"] = exclusive_open_check(host, d)
    links = host.by_id_now(d["name"])
    _sysfs_write(host, _child_checked_write, (host.path("/sys"), hctl, d["name"], d.get("dev"), "delete", "1"),
                 "disk %s" % d["name"], "write 1 to /sys/class/scsi_device/%s/device/delete" % hctl)
    detail.update(hctl=hctl, by_id=links)
    return detail


def wait_disk_gone(host, steps):
    """Wait until every deleted disk's name, H:C:T:L and by-id links are gone: one sysfs + by-id read per round."""
    seen = {}

    def gone(host, step, left):
        expect = step.get("expect") or {}
        name, hctl = expect.get("name") or step["target"], expect.get("hctl")
        now = (left or {}).get(name) or san_read.leftovers(host, [(name, hctl)])[name]
        reused = now["hctl_now"] is not None and now["hctl_now"] != hctl
        present = now["hctl_now"] is not None and not reused
        links = [] if reused else now["links"]
        if not present and now["at"] is None and not links:
            return dict({"outcome": "done"}, **({"name_reused_by": now["hctl_now"]} if reused else {}))
        seen[id(step)] = (present, hctl, now["at"], links)
        return None

    def not_gone(host, step):
        present, hctl, at, links = seen.get(id(step), (None, None, None, None))
        if present is False and at is None and links:
            # the kernel is done; udev has not handled the remove events yet (minutes behind after a mass unmap
            # under load). The unit still stops: what it would do next (forget the WWID) waits for a settled host.
            wwid = (step.get("expect") or {}).get("wwid")
            return ActFailed("disk %s" % step["target"], "by-id links still present %.0fs after delete although the "
                             "kernel removed the disk (no sysfs entry, nothing at %s): udev is behind (see `udevadm "
                             "settle`); links: %s. The unit stops here and its later steps did not run%s"
                             % (host.wait_timeout, hctl, links, " (if one was forgetting WWID %s: `multipath -w %s` "
                                                                "once udev has settled)" % (wwid, wwid) if wwid else ""),
                             {"kernel_removed": True, "by_id": links})
        return ActFailed("disk %s" % step["target"], "still present %.0fs after delete (disk: %s, scsi_device %s: %s, "
                         "by-id links: %s)" % (host.wait_timeout, present, hctl, at, links))

    return _poll(host, steps, gone, lambda st: host.wait_timeout, not_gone, read=False,
                 prefetch=lambda h, pending: san_read.leftovers(h, _disks_of(pending)))


def _disks_of(steps):
    """[(sd name, H:C:T:L)] of disk steps, as san_read.leftovers reads them."""
    return [((st.get("expect") or {}).get("name") or st["target"], (st.get("expect") or {}).get("hctl"))
            for st in steps]


# ---------------------------------------------------------------------------------------------- scan acts
def scan_exact_lun(host, step):
    expect = step.get("expect") or {}
    m = HCTL_RE.match(step["target"])
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
                      % san_plan.describe_diff(diff))
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
                        % (name, san_plan.describe_diff(bad)), {"diff": bad})
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
ACT_ERRORS = (Refused, ActFailed, deadline.DeadlineExceeded, RuntimeError, OSError, ValueError)


def _outcome(fn, *args):
    """fn's answer, or the error it raised: one step's error is that step's outcome, never its batch's."""
    try:
        return fn(*args)
    except ACT_ERRORS as exc:
        return exc


def _read_for(host, steps):
    """One read of the host for `steps` (san_read.View), or None when it cannot be had in time: the steps then
    read what they need one by one, so a device that hangs the batch read costs only its own steps."""
    names = sorted(set((st.get("expect") or {}).get("name") or st["target"] for st in steps
                       if st["action"] in san_plan.SD_TARGET_ACTIONS))
    maps = sorted(set(_map_key(st) for st in steps if st["action"] not in san_plan.SD_TARGET_ACTIONS))
    try:
        return host.reader.view(names, maps)
    except (deadline.DeadlineExceeded, RuntimeError, OSError) as exc:
        host.notes.append("the one read for %d %s step(s) failed (%s); each step read on its own"
                          % (len(steps), steps[0]["action"], exc))
        return None


def _each(host, steps, fn, read=True, links=False, before=None):
    """fn(host, step) for each step against one read of the host. [(step, result or error or None, seconds)]:
    None for a step whose unit stopped at an earlier step of the batch. before(host, unit_steps): a check of each
    unit before its first step of the batch (see _by_unit)."""
    out = []
    host.view = _read_for(host, steps) if read else None
    if links and host.view is not None:
        left = _outcome(san_read.leftovers, host, _disks_of(steps))
        host.view.links = None if isinstance(left, Exception) else dict((n, v["links"]) for n, v in left.items())
    try:
        results = _by_unit(host, steps, fn, host.view, before)
    finally:
        host.view = None
    return [(st,) + results[id(st)] for st in steps]


def _by_unit(host, steps, fn, view, before=None):
    """fn(host, step) for the steps of each unit in order (a unit stops at its first error: its later steps get
    None), the units on up to host.workers threads, each reading `view`. {id(step): (result, seconds)}.
    before(host, unit_steps), when given, runs first for each unit: its error is the unit's first step's."""
    by_unit = {}  # unit -> its steps, units in the order of their first step
    for st in steps:
        by_unit.setdefault(st.get("unit"), []).append(st)
    units = list(by_unit.items())
    results = {}

    def work(unit_steps):
        host.view = view
        try:
            stopped = False
            if before is not None:
                t0 = host.clock()
                try:
                    checked = _outcome(before, host, unit_steps)
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
                    result = _outcome(fn, host, st)
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

    def worker():
        while True:
            with host._lock:
                if not queue:
                    return
                unit_steps = queue.pop(0)
            work(unit_steps)
    threads = [threading.Thread(target=worker) for _i in range(min(host.workers, len(queue)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _poll(host, steps, check, budget, expired, read=True, prefetch=None):
    """Wait until check(host, step, extra) answers (not None) for every step, or raises, with ONE read of the host
    per round for all steps still waiting (and prefetch(host, pending) as `extra`, None when it fails: the steps
    then read on their own); a step still waiting budget(step) seconds after the start gets expired(host, step).
    [(step, result or error or None, seconds)]: None for a step whose unit stopped at another step of the batch."""
    start = host.clock()
    pending, done = list(steps), {}
    while pending:
        host.view = _read_for(host, pending) if read else None
        try:
            extra = _outcome(prefetch, host, pending) if prefetch else None
            extra = None if isinstance(extra, Exception) else extra
            stopped_units = set()
            for st in pending:
                if st.get("unit") in stopped_units:
                    done[id(st)] = (None, 0.0)  # its unit stopped at another step of this round
                    continue
                r = _outcome(check, host, st, extra)
                if r is not None:
                    done[id(st)] = (r, host.clock() - start)
                if isinstance(r, Exception):  # the rest of its unit stops waiting
                    stopped_units.add(st.get("unit"))
            for st in pending:
                if st.get("unit") in stopped_units and id(st) not in done:
                    done[id(st)] = (None, 0.0)  # waited for before the step that stopped its unit
        finally:
            host.view = None
        # by identity, in plan order: a list search per step is quadratic in a batch of a thousand steps
        pending = [st for st in pending if id(st) not in done]
        now = host.clock()
        for st in pending:
            if now - start >= budget(st):
                done[id(st)] = (_outcome(expired, host, st), now - start)
        pending = [st for st in pending if id(st) not in done]
        if pending:
            try:
                host.sleep(host.poll_interval)
            except Interrupted as exc:  # the steps still waiting stop; execute() gives their queueing back
                for st in pending:
                    done[id(st)] = (exc, host.clock() - start)
                pending = []
    return [(st,) + done[id(st)] for st in steps]


def _alone(runner, host, step):
    (_st, result, _t), = runner(host, [step])
    if isinstance(result, Exception):
        raise result
    return result


def act_one(host, step):
    """One step on its own (a batch of one), raising its error."""
    return _alone(ACT[step["action"]], host, step)


def _single(fn, read=False, links=False, before=None):
    def run(host, steps):
        return _each(host, steps, fn, read=read, links=links, before=before)
    return run


def _disks_still_dead(host, unit_steps):
    """Before a unit's first disk touch of a batch: every disk of it that the batch touches still dead, checked
    before any of them is touched (verify_still_dead); a disk already gone is left to its own step."""
    for st in unit_steps:
        d = host.disk_now((st.get("expect") or {}).get("name") or st["target"])
        if d is not None:
            verify_still_dead(host, st, d, "disk")


# action -> runner(host, steps) -> [(step, result dict or error, seconds)]
ACT = {
    "disable_queueing": disable_queueing,
    "verify_unused": verify_unused,
    "flush_map": flush_map,
    "wait_map_gone": wait_map_gone,
    "remove_wwid": remove_wwid,
    "flush_buffers": _single(flush_buffers, read=True, before=_disks_still_dead),
    "delete_disk": _single(delete_disk, read=True, links=True, before=_disks_still_dead),
    "wait_disk_gone": wait_disk_gone,
    "scan_exact_lun": _single(scan_exact_lun),
    "rescan_disk": _single(rescan_disk),
    "wait_disk_present": _single(wait_disk_present),
    "verify_identity": _single(verify_lun),
}


def _batches(steps):
    """Runs of consecutive steps with the same action, in plan order."""
    out = []
    for st in steps:
        if out and out[-1][0]["action"] == st["action"]:
            out[-1].append(st)
        else:
            out.append([st])
    return out


def execute(steps, host):
    """Run `steps` (a san_plan list) in plan order, exactly.

    Consecutive steps of one action are one batch: they share one read of the host (san_read.View: one forked
    reader, one dmsetup round, one multipathd query) to re-check each step's identity against, and wait together
    with one read per round, instead of re-reading the host per step. The identity check in the child that
    writes to sysfs stays per write. Steps belong to units (`unit`; all one unit when absent): a refusal or
    failure stops the rest of its own unit and gives back the queueing that unit turned off; the other units go
    on. SIGTERM or SIGHUP during the act (handlers installed for its duration only), or an error that escapes a
    batch, stops every unit not finished and gives back the queueing of every map this run turned off.
    Returns [{action, target, unit, elapsed, outcome, detail}] of the executed steps; raises ExecutionError
    after the last step when a unit stopped."""
    for st in steps:
        if st.get("action") not in ACT:
            raise ExecutionError(ValueError("unknown action %r" % st.get("action")), st, [])
    executed, failures, stopped, finished = [], [], set(), set()
    with _signals_end_the_act(host):
        halt = None  # (the error that ends the whole act, the batch it ended in)
        for batch in _batches(steps):
            batch = [st for st in batch if st.get("unit") not in stopped]
            if not batch:
                continue
            if host.interrupted:
                halt = (Interrupted(host.interrupted), batch)
                break
            started = host.clock()
            try:
                outcomes = ACT[batch[0]["action"]](host, batch)
            except Exception as exc:  # an error outside any step's own outcome: the act cannot go on safely
                halt = (exc, batch)
                break
            finally:
                host.batches.append({"action": batch[0]["action"], "steps": len(batch),
                                     "seconds": round(host.clock() - started, 3)})
            for st, result, seconds in outcomes:
                if result is None:  # its unit stopped at another step of this batch
                    continue
                if isinstance(result, Exception):
                    unit = st.get("unit")
                    stopped.add(unit)
                    failures.append({"unit": unit, "cause": result, "step": st,
                                     "restored": _restore_unit(host, unit)})
                    continue
                executed.append(_executed(st, result, seconds))
            if host.interrupted:
                halt = (Interrupted(host.interrupted), None)
                break
        if halt is not None:
            failures.extend(_halt(host, steps, halt, executed, stopped))
    if failures:
        first = failures[0]
        raise ExecutionError(first["cause"], first["step"], executed,
                             [r for f in failures for r in f["restored"]], failures)
    return executed


def _executed(st, result, seconds):
    detail = dict(result)
    done = {"action": st["action"], "target": st["target"], "elapsed": round(seconds, 3),
            "outcome": detail.pop("outcome", "done"), "detail": detail}
    if st.get("unit") is not None:
        done["unit"] = st["unit"]
    if st["action"] in ("wait_map_gone", "wait_disk_gone") and (st.get("expect") or {}).get("wwid"):
        done["wwid"] = st["expect"]["wwid"]
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
                          " every unit not finished was stopped" % (batch[0]["action"], type(cause).__name__, cause))
    done = set((e["action"], e["target"], e.get("unit")) for e in executed)
    out, seen = [], set(stopped)
    for st in steps:
        unit = st.get("unit")
        if unit in seen or (st["action"], st["target"], unit) in done:
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
    """For the act's duration: SIGTERM and SIGHUP (a task `timeout:`, a dropped connection, a job timeout) only
    mark the act interrupted; the kernel touch in flight (a command, a forked writer) ends within its own deadline,
    no new one starts (ActContext.checkpoint), and execute() gives back the queueing of every unit before the
    module reports and exits. The previous handlers come back after the act."""
    return _SignalGuard(host)


class _SignalGuard(object):
    SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))

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
    return ActContext(san_read.reader_for(params), command_timeout=seconds, **options)
