# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers: the SAN state of this host (sysfs, /proc, dmsetup, multipathd), every kernel touch behind a deadline.

Read only (module_utils/_san/deadline.py):

* sysfs and /proc are read in ONE forked child per snapshot (`deadline.call`), with up to READ_BATCH block
  devices; a host with more gets one more child per READ_BATCH devices, each with the full deadline (a host
  with thousands of paths is slow, not hung). When a child does not finish, its devices are read again in
  smaller children, down to one per device, so that the one that hangs is named in `errors` and the rest is
  kept.
* commands (`dmsetup`, `multipathd`) run through `deadline.run`, each once per snapshot; the live SCSI probes
  are observe.probe's. A snapshot starts `dmsetup table` and `dmsetup status` (CMD_DM_AHEAD) before its sysfs
  read (`deadline.start`) and takes their answers after it: at a thousand maps they cost seconds that a second
  CPU spends while the first reads sysfs. `dmsetup info` (the open counts) still runs after the /proc scan
  (CMD_DM_AHEAD says why), and the act's re-reads (view, disk, map) run all three after sysfs. multipathd's maps
  query is started with them when a scan of /proc just before finds the daemon running (Host._multipathd_ahead),
  and its answer is taken only when the read's own scan finds it running too.
* `/dev/dm-*` is never opened (a queueing map without paths hangs its opener: lab finding 1). Openers are
  found with `os.stat` on /proc/*/fd links (st_rdev), which does not open the device.
* multipathd is only asked when it runs (found in /proc): connecting to its socket would start it through
  socket activation. Without it, the maps come from the kernel (sysfs + dmsetup) only, and `errors` says so.

`Host` is the one object the modules and the act functions read this host through; the act functions' own
re-reads of identity (SCSI host targets, the disk at an H:C:T:L, holders, by-id links, the wwids file) are
the `read_*` children of observe/reread.py, run by `Host.sysfs`; the snapshot's readers are observe/sysfs.py,
observe/procs.py and the reading child of observe/read_child.py. `root` prefixes every /sys, /proc, /etc and /dev path
so that unit tests read a captured fixture tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import probe as observe_probe
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot as observe_snapshot
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import tools as observe_tools
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    Wwid, map_wwid, refuse_other_spelling, wwid_matches)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import (
    DM_RE, SD_RE, lines, parse_dm_info, parse_dm_lines, parse_multipath_status, parse_multipath_table, parse_multipathd_json,
    parse_multipathd_paths)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.sysfs import (
    read_fc_rports, read_initiators, read_listing, read_other_blocks, read_sessions)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.families import READS
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.procs import (
    multipathd_pids, read_kernel_users, read_mounts, read_openers, still_exiting)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.read_child import (
    add_devices, devices_to_read, read_batch, read_devices)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.reread import (
    View, absent_disk, absent_map, multipathd_running, multipathd_seen)


# multipathd raw path format, used when its JSON cannot be parsed
MPD_PATHS_FORMAT = "%d|%D|%t|%T|%o|%w"


# Block devices per child of a read (see Host._read_raw): at 256 a TCG guest under load reads them in ~4 s, within
# the default 10 s deadline; a 1,024-LUN host with 2 paths per LUN (3,072 devices) takes 12 children.
READ_BATCH = 256


# Devices per child when a child did not finish in time, before one child per device names the one that hangs.
READ_CHUNK = 16


# Commands the reader runs (kept here so that tests and docs name them exactly)
CMD_DM_INFO = ["dmsetup", "info", "-c", "--noheadings", "--separator", "|", "-o", "name,uuid,major,minor,open"]


CMD_DM_TABLE = ["dmsetup", "table", "--target", "multipath"]


CMD_DM_STATUS = ["dmsetup", "status", "--target", "multipath"]


# started before a snapshot's sysfs read and answered after it (Host.start_commands): the tables and the path
# states. Not `dmsetup info`: its open counts are weighed against the openers of the /proc scan and the killed
# tasks still closing a device (plan.maps.exiting_allowance, over the whole host); read before the scan, an open
# made by a task killed between the two reads would count that task as a closer without its open, and vouch for
# another map's hidden open. It runs after the scan, as it always did.
CMD_DM_AHEAD = (CMD_DM_TABLE, CMD_DM_STATUS)


CMD_MPD_JSON = ["multipathd", "show", "maps", "json"]


CMD_MPD_PATHS = ["multipathd", "show", "paths", "raw", "format", MPD_PATHS_FORMAT]


# the reader


# a module without its own probe_timeout option probes with at most this many seconds
PROBE_TIMEOUT = 8.0


def reader_for(params):
    """The one way a module builds its reader: every command and every sysfs/proc read bounded by the user's
    `command_timeout`, each probe by `probe_timeout` (a module without that option: the smaller of PROBE_TIMEOUT
    and command_timeout)."""
    seconds = params["command_timeout"]
    probe = params.get("probe_timeout")
    return Host(command_timeout=seconds, read_timeout=seconds,
                probe_timeout=min(PROBE_TIMEOUT, seconds) if probe is None else probe, tools=True)


class Host(object):
    """This host, read with deadlines: the one object every module and the act functions read through."""

    def __init__(self, root="/", run=None, call=None, command_timeout=10.0,
                 read_timeout=10.0, probe_timeout=8.0, start=None, tools=False):
        self.root = root or "/"
        # whether snapshot() looks up the SAN tools' programs (host.tools_missing): a module's reader (reader_for)
        # does; the fake hosts of the unit tests have no programs to find unless a test says so
        self.tools = tools
        # the runners of deadline unless given, looked up now (not when this module was imported); `start` (a
        # command started now, answered later: deadline.start) only when given or with deadline's genuine run: any
        # other runner answers every command itself
        self.run = run or deadline.run
        self.call = call or deadline.call
        self.start = start or (deadline.start if self.run is deadline.GENUINE_RUN else None)
        self.command_timeout = float(command_timeout)
        self.read_timeout = float(read_timeout)
        self.probe_timeout = float(probe_timeout)

    # -- sysfs/proc ---------------------------------------------------------------------------------

    def _read_raw(self, names=None):
        """One child for the whole batch (READ_BATCH devices, then one more child per READ_BATCH); on timeout one
        child per piece and per chunk of devices, naming what hangs."""
        errors = []
        try:
            raw = self.call(read_batch, (self.root, names, READ_BATCH), timeout=self.read_timeout,
                            what="batch read of sysfs and /proc")
        except (deadline.DeadlineExceeded, RuntimeError) as exc:
            # a child that failed (a device directory that could not be opened) is read again piece by piece, as
            # one that hung: the device to blame is named and the others are kept
            errors.append({"what": "batch read of sysfs and /proc", "msg": str(exc)})
        else:
            add_devices(raw, self.read_each(read_devices, raw.pop("unread", None) or [], errors))
            self.listing_from_reads(raw)
            return raw, errors
        # the listing is the core: without it there is nothing to report (fails the module)
        listing = self.call(read_listing, (self.root,), timeout=self.read_timeout, what="listing of /sys/block")
        raw = {"listing": listing, "sd": {}, "dm": {}}
        add_devices(raw, self.read_each(read_devices, devices_to_read(listing, names), errors, per_child=READ_CHUNK))
        # the pieces that missed their deadline, by name (host.unread_pieces): what they would show is unknown,
        # not empty (a host whose initiator and session reads hung is not a host without SAN)
        unread = raw["unread_pieces"] = []
        raw["initiators"] = self._piece(read_initiators, (self.root,), "read of the initiator names", errors,
                                        unread, "initiators") or {}
        raw["fc_rports"] = self._piece(read_fc_rports, (self.root,), "read of /sys/class/fc_remote_ports", errors,
                                       unread, "fc_rports")
        raw["sessions"] = self._piece(read_sessions, (self.root,), "read of /sys/class/iscsi_session", errors,
                                      unread, "iscsi_sessions") or []
        raw["mounts"] = self._piece(read_mounts, (self.root,), "read of /proc/self/mountinfo and /proc/swaps",
                                    errors, unread, "mounts") or {}
        openers = self._piece(read_openers, (self.root,), "scan of /proc/*/fd for openers", errors,
                              unread, "openers") or {}
        raw["procs"], raw["procs_unreadable"] = openers.get("procs"), openers.get("unreadable")
        raw["procs_exiting"], raw["char_nodes"] = openers.get("exiting"), openers.get("char_nodes")
        if raw["procs"] is None:  # stays None: assemble marks every device "openers unknown" (refused)
            errors.append({"what": "openers", "msg": "openers unknown: the /proc/*/fd scan did not finish"})
        raw["kernel_users"] = self._piece(read_kernel_users, (self.root,), "read of loop, LIO and btrfs users",
                                          errors, unread, "kernel_users")
        raw["multipathd_pids"] = self._piece(multipathd_pids, (self.root,), "scan of /proc for multipathd",
                                             errors, unread, "multipathd") or []
        raw["other_blocks"] = self._piece(read_other_blocks, (self.root,), "read of the other block devices "
                                          "(nvme, loop, md, ...)", errors, unread, "other_blocks")
        for family in READS:  # each device family's own read (observe.families)
            raw[family.key] = self._piece(family.read, (self.root,), family.what, errors, unread, family.key)
        return raw, errors

    def listing_from_reads(self, raw):
        """The listing's major:minor of each device the batch read ("listing_pending"): its own read's, so that a
        device's number is read once; for a device whose read gave nothing (gone, hung) it is read again here, as
        the listing would have read it. Like the listing, this read is the core: a map's paths are tied to their
        sd by these numbers, so one that does not finish fails the read (DeadlineExceeded, ChildFailed)."""
        listing, left = raw["listing"], []
        for name in raw.pop("listing_pending", None) or []:
            device = raw["sd" if SD_RE.match(name) else "dm"].get(name)
            if device and device.get("dev"):
                listing[name] = device["dev"]
            else:
                left.append(name)
        if left:
            what = "major:minor of %s" % (", ".join(left) if len(left) <= READ_CHUNK else "%d unread devices" % len(left))
            listing.update(self.call(read_listing, (self.root, left), timeout=self.read_timeout, what=what))

    def read_each(self, fn, names, errors, per_child=None):
        """{name: answer} of `fn(root, names)` (a reader of /sys/block/<name> that answers by name), READ_BATCH
        names per forked child, each child with the full deadline: a host with thousands of devices is slow, not
        hung. The names of a child that misses it are read again READ_CHUNK, then one, per child, so that the
        device that hangs is named in `errors` (its answer None) and the others are kept."""
        per_child = per_child or READ_BATCH
        out = {}
        for start in range(0, len(names), per_child):
            group = names[start:start + per_child]
            if len(group) == 1 and per_child == 1:
                what = "sysfs read of /sys/block/%s" % group[0]
            else:
                what = "sysfs read of %s" % (", ".join(group) if len(group) <= READ_CHUNK else
                                             "%d devices, %s to %s" % (len(group), group[0], group[-1]))
            try:
                out.update(self.call(fn, (self.root, group), timeout=self.read_timeout, what=what))
            except (deadline.DeadlineExceeded, RuntimeError) as exc:
                errors.append({"what": what, "msg": str(exc)})
                if per_child == 1:
                    out[group[0]] = None
                else:
                    # a group no bigger than a chunk goes straight to one per child: the same group again would
                    # cost a second deadline for nothing
                    out.update(self.read_each(fn, group, errors, READ_CHUNK if len(group) > READ_CHUNK else 1))
        return out

    def _piece(self, fn, args, what, errors, unread, name):
        """fn's answer, or None with the error in `errors` and `name` in `unread`."""
        try:
            return self.call(fn, args, timeout=self.read_timeout, what=what)
        except deadline.DeadlineExceeded as exc:
            errors.append({"what": what, "msg": str(exc)})
        except RuntimeError as exc:
            errors.append({"what": what, "msg": str(exc)})
        unread.append(name)
        return None

    # -- commands -----------------------------------------------------------------------------------

    def command(self, argv, errors, core=False, timeout=None, what=None, started=None):
        """Run argv with the command deadline (or `timeout`); `started`: its answer from a start_commands() of
        argv instead. Core commands raise DeadlineExceeded; for the others a missed deadline or a command that
        cannot run goes to `errors` and the answer is None."""
        try:
            if started is not None:
                return started.result()
            return self.run(argv, timeout or self.command_timeout, what=what or " ".join(argv))
        except deadline.DeadlineExceeded as exc:
            if core:
                raise
            errors.append({"what": " ".join(argv), "msg": str(exc)})
        except OSError as exc:
            errors.append({"what": " ".join(argv), "msg": "cannot run %s: %s" % (argv[0], exc)})
        return None

    def start_commands(self, argvs):
        """{argv: deadline.Started} of the commands started now, each with the command deadline from now, to run
        while sysfs is read (a host with a thousand maps spends seconds in them); {} without `start`. A command
        that cannot be started is run when its answer is asked for (Host.command), which reports why."""
        started = {}
        for argv in argvs if self.start else ():
            try:
                started[tuple(argv)] = self.start(argv, self.command_timeout, what=" ".join(argv))
            except OSError:
                pass
        return started

    @staticmethod
    def discard(started):
        """Stop the started commands whose answers were not taken (the read they went with failed)."""
        for one in started.values():
            one.discard()

    def _dm(self, errors, name=None, started=None):
        """dmsetup info/table/status of every multipath map, or of the one map `name` (what map() needs: the
        cost of a re-read must not grow with the number of maps on the host). `started`: start_commands() of
        CMD_DM_AHEAD, whose answers are taken instead of running them now."""
        started = started or {}
        info = table = status = None
        one = [name] if name else []
        argv = CMD_DM_INFO + one
        res = self.command(argv, errors, core=True, started=started.pop(tuple(argv), None))
        if res is not None:
            if res.rc == 0:
                info = parse_dm_info(res.stdout)
            else:
                errors.append({"what": " ".join(argv), "msg": res.describe()})
        parsed = []
        for base, parser in ((CMD_DM_TABLE, parse_multipath_table), (CMD_DM_STATUS, parse_multipath_status)):
            argv = base[:2] + one if name else base
            res = self.command(argv, errors, core=True, started=started.pop(tuple(argv), None))
            if res is None:
                parsed.append(None)
                continue
            if res.rc != 0:
                errors.append({"what": " ".join(argv), "msg": res.describe()})
                parsed.append(None)
                continue
            text = res.stdout
            if name:  # one device: dmsetup prints its line without the "name: " prefix
                text = "".join("%s: %s\n" % (name, line) for line in lines(text) if line.strip())
            maps, errs = parse_dm_lines(text, parser)
            errors.extend(errs)
            parsed.append(maps)
        table, status = parsed
        return info, table, status

    def _multipathd_ahead(self):
        """(CMD_MPD_JSON,) when multipathd runs now, so that snapshot() starts its maps query with the dm tables: at a
        thousand maps the daemon spends seconds on the answer, which it can spend while this module reads sysfs.
        () without `start`, when it does not run, or when that cannot be told now: the read's own /proc scan then
        decides, as before, whether it is asked at all. Asking only what was just seen running keeps the window in
        which a daemon stopped by its admin could be started again by socket activation to the moment between
        this scan and the query, not the whole read."""
        if not self.start:
            return ()
        try:
            return (CMD_MPD_JSON,) if multipathd_running(self) else ()
        except (deadline.DeadlineExceeded, RuntimeError):
            return ()

    def _multipathd(self, running, errors, name=None, started=None, maps_known_none=False):
        """multipathd's maps (JSON, else its raw paths format), or None with the reason in `errors`. `started`: the
        maps query started ahead (snapshot), whose answer is taken instead of asking again; it is not taken (the
        caller discards it) when the read's scan did not find the daemon running. `maps_known_none`: dmsetup's
        table was read and lists no multipath map (a daemon that does not run then misses nothing)."""
        if running is None:
            # asking its socket could start it (socket activation) on a host whose admin stopped it
            errors.append({"what": "multipathd", "msg": "whether multipathd runs is unknown (the /proc scan for it "
                                                        "did not finish): multipathd was not asked; path checker "
                                                        "states are unknown"})
            return None
        if not running:
            if maps_known_none:
                return None   # no multipath map in the kernel: no checker state to miss (a host without multipath)
            errors.append({"what": "multipathd", "msg": "multipathd is not running: path checker states are "
                                                        "unknown; maps come from the kernel (sysfs, dmsetup) only"})
            return None
        argv = ["multipathd", "show", "map", name, "json"] if name else CMD_MPD_JSON
        res = self.command(argv, errors, started=started)
        if res is not None and res.rc == 0:
            try:
                return parse_multipathd_json(res.stdout)
            except ValueError as exc:
                errors.append({"what": " ".join(argv), "msg": "unparsable JSON (%s); falling back to "
                                                              "'show paths raw format'" % exc})
        elif res is not None:
            errors.append({"what": " ".join(argv), "msg": res.describe()})
        res = self.command(CMD_MPD_PATHS, errors)
        if res is not None and res.rc == 0:
            return parse_multipathd_paths(res.stdout)
        if res is not None:
            errors.append({"what": " ".join(CMD_MPD_PATHS), "msg": res.describe()})
        errors.append({"what": "multipathd", "msg": "no answer from multipathd: checker states unknown"})
        return None

    # -- public ---------------------------------------------------------------------------------

    def snapshot(self, probe=True):
        """The `san` snapshot of docs/design.md (without findings and verdicts)."""
        started = time.time()
        commands = self.start_commands(CMD_DM_AHEAD + self._multipathd_ahead())
        try:
            raw, errors = self._read_raw()
            running = multipathd_seen(raw)
            info, table, status = self._dm(errors, started=commands)
            raw["procs_exiting"] = self._closers_still_there(raw.get("procs_exiting"), errors)
            mpd = self._multipathd(running, errors, started=commands.pop(tuple(CMD_MPD_JSON), None) if running
                                   else None, maps_known_none=table == {})
        finally:
            self.discard(commands)
        snap = observe_snapshot.assemble(raw, info, table, status, mpd, running, started, errors)
        snap["host"].update(observe_snapshot.presence(raw, snap, table))
        n_errors = len(snap["errors"])
        snap["host"]["tools_missing"] = self.tools_missing(snap["errors"])
        if len(snap["errors"]) > n_errors:
            # the lookup did not finish: which SAN packages this host has is unknown, and a plan that needs one of
            # them (a flush needs multipath-tools) must not read "none missing" from the null (plan.cleanup.no_flush)
            snap["host"]["tools_unread"] = snap["errors"][-1]["msg"]
        if probe:
            observe_probe.probe_snapshot(self, snap)
        return snap

    def tools_missing(self, errors):
        """observe.tools.missing of this host's programs; None when they were not looked up (a reader without
        `tools`) or the lookup did not finish (named in `errors`): unknown, not "all there"."""
        if not self.tools:
            return None
        what = "lookup of the SAN tools' programs"
        try:
            found = self.call(observe_tools.find_programs, (self.root, observe_tools.PROGRAMS),
                              timeout=self.read_timeout, what=what)
        except (deadline.DeadlineExceeded, RuntimeError) as exc:
            errors.append({"what": what, "msg": str(exc)})
            return None
        return observe_tools.missing(found)

    def _closers_still_there(self, closers, errors):
        """The killed tasks still closing a device (read during the /proc scan) that still are after `dmsetup info`:
        one whose close returned in between would vouch for an open the counts no longer hold (plan.maps.
        exiting_allowance). When they cannot be read again, none is counted (frames None: not confirmed)."""
        if not closers:
            return closers
        what = "the exiting tasks %s again, after dmsetup info" % ", ".join(str(t.get("pid")) for t in closers[:5])
        try:
            return self.call(still_exiting, (self.root, closers), timeout=self.read_timeout, what=what)
        except (deadline.DeadlineExceeded, RuntimeError) as exc:
            errors.append({"what": what, "msg": str(exc)})
        return [dict(t, frames=None) for t in closers]

    def view(self, names=(), maps=()):
        """One read of the host (View) for the sds `names` and the multipath maps `maps` (names or WWIDs) with
        every path they have now, whatever the number of devices asked for."""
        for n in names:
            validate.sd_name(n)
        raw, errors = self._read_raw(names=sorted(set(names)))
        wanted = set(maps)
        paths = set()
        for kname, d in (raw.get("dm") or {}).items():
            wwid = map_wwid((d or {}).get("uuid"))
            if wwid and wanted & set((kname, d.get("dm_name"), wwid)):
                paths.update(s for s in d.get("slaves") or [] if SD_RE.match(s) and s not in (raw.get("sd") or {}))
        # a path added since the plan: read it too, so the identity check sees it (one that hangs is named)
        add_devices(raw, self.read_each(read_devices, sorted(paths), errors))
        running = bool(raw.get("multipathd_pids"))
        # the act's re-read: dmsetup after sysfs, as late as it can be (its open counts are what the act trusts
        # last), never started ahead as in snapshot()
        info, table, status = self._dm(errors)
        mpd = self._multipathd(running, errors)
        return View(observe_snapshot.assemble(raw, info, table, status, mpd, running, time.time(), errors), raw)

    def disk(self, name):
        """Identity and usage of ONE sd, re-read now; None when it does not exist."""
        validate.sd_name(name)
        raw, errors = self._read_raw(names=[name])
        if not (raw.get("sd") or {}).get(name):
            return absent_disk(raw, name)
        info, table, status = self._dm(errors)
        snap = observe_snapshot.assemble(raw, info, table, status, None, False, time.time(), errors)
        return snap["disks"].get(name)

    def map(self, name_or_wwid, by="any", from_user=False):
        """One multipath map re-read now; None when it does not exist. by "wwid": among the maps' WWIDs only (the
        act's lookup of a planned map); by "name": among their names and dm-N only (a disk's own map, a user's
        map name); "any": WWIDs first, then names. A map may be aliased with another LU's WWID text, so a lookup
        that knows what its key is never falls back to the other kind. from_user: the key is a user's WWID, which
        names a map by its WWID only (identity.wwid_matches: naa. and upper-case hex spellings of the uuid too)
        and is refused when only a map differing from it in the case of a t10 vendor text is here
        (identity.refuse_other_spelling). Two maps answering one key are refused (InvalidInput), never picked
        between."""
        if DM_RE.match(name_or_wwid or ""):
            validate.dm_name(name_or_wwid)
        else:
            validate.map_name(name_or_wwid)
        raw, errors = self._read_raw(names=[])
        maps = [(kname, d, map_wwid((d or {}).get("uuid"))) for kname, d in sorted((raw.get("dm") or {}).items())]
        maps = [(kname, d, wwid) for kname, d, wwid in maps if wwid]
        by_user = from_user and isinstance(name_or_wwid, Wwid)
        if by_user:
            hits = [d for _k, d, wwid in maps if wwid_matches(name_or_wwid, wwid)]
        else:
            hits = ([d for _k, d, wwid in maps if by != "name" and name_or_wwid == wwid] or
                    [d for kname, d, _w in maps if by != "wwid" and name_or_wwid in (kname, d.get("dm_name"))])
        if len(hits) > 1:
            raise validate.InvalidInput("%s names %d multipath maps (%s): give one map's name or dm-N" % (
                name_or_wwid, len(hits), ", ".join("%s (%s)" % (d.get("dm_name"), d.get("name")) for d in hits)))
        target = hits[0] if hits else None
        if target is None:
            absent = absent_map(raw, name_or_wwid)  # Unread when a dm device's read did not finish
            if by_user:
                refuse_other_spelling(name_or_wwid, [wwid for _k, _d, wwid in maps])
            return absent
        slaves = list(target.get("slaves") or [])
        if slaves:
            more, errs = self._read_raw(names=slaves)
            raw["sd"] = more.get("sd") or {}
            errors.extend(errs)
        dm_name = target.get("dm_name") or map_wwid(target["uuid"])
        # the kernel's name, not the user's: no dmsetup or multipathd command is given it (nor a message as itself)
        validate.refuse_odd_map({"name": dm_name})
        info, table, status = self._dm(errors, name=dm_name)
        running = multipathd_seen(raw)
        mpd = self._multipathd(running, errors, name=dm_name)
        snap = observe_snapshot.assemble(raw, info, table, status, mpd, running, time.time(), errors)
        for m in snap["maps"].values():
            if m["dm"] == target["name"]:
                m["errors"] = snap["errors"]
                return m
        return None

    def probe_path(self, sd, errors=None):
        """Live probe of one sd (observe.probe.probe_path)."""
        return observe_probe.probe_path(self, sd, errors)

    def path(self, *parts):
        """A host path under `root` (a fixture tree in tests)."""
        return os.path.join(self.root, *[p.lstrip("/") for p in parts])

    def sysfs(self, fn, args, what):
        """One read_* function in a forked child, with the read deadline."""
        return self.call(fn, args, timeout=self.read_timeout, what=what)
