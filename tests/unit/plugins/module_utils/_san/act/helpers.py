# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import shutil
import signal
import threading
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, files as config_files
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    children as act_children, context as act_context, execute, nvme as act_nvme)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActContext, ExecutionError
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    Identity, Wwid, refuse_other_spelling, wwid_matches)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import (
    probe as obs_probe, procs as obs_procs, read, reread as obs_reread, users as obs_users)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import NAMESPACE_RE, PATH_RE
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    cleanup, disks as plan_disks, maps as plan_maps, steps as plan_steps)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.nvme import plan_nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import Step
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    nvme_array_truth, nvme_host, nvme_judged)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    NVME_HOSTNQN, NVME_ONTAP_MODEL, SanTree, inline_call, ontap_wwid)


def _lu_w1(tmp_path, alias_last):
    """The alias tree (LU W1's map mpatha; LU W2's map aliased "W1") and an act context on it;
    the step identity multipath_flush wwid=W1 (or stale_cleanup) plans for LU W1's map mpatha."""
    t = _alias_tree(tmp_path / str(alias_last), alias_last)
    host = ActContext(t.reader(), run=t.run, sleep=lambda s: None)
    m = t.reader().map(Wwid(W1), from_user=True)          # multipath_flush's lookup
    assert (m["name"], m["wwid"]) == ("mpatha", W1)                 # what the plan and check mode show
    step = Step("flush_map", "mpatha", Identity(name="mpatha", wwid=W1, dm=m["dm"], dev=m["dev"],
                                                slaves=sorted(p["name"] for p in m["paths"])), unit=1)
    return t, host, m, step


WWID = "3600a09803830447a4f244c4657616f6f"


WWID2 = "3600a0980383044715a2b4c4d4e4f5051"


# ---------------------------------------------------------------------------------------------- fakes
class FakeClock(object):
    """Time that passes only when slept. Read more than READS times it fails the test (AssertionError, which no
    act catches as a step's error): a wait loop that never sleeps or never runs out of time (a mutant of
    batch.poll_steps) then fails in a second instead of running until mutmut's timeout, growing the reader's calls.
    A real test reads it at most a few hundred times."""
    READS = 20000

    def __init__(self):
        self.now = 1000.0
        self.reads = 0

    def __call__(self):
        self.reads += 1
        assert self.reads <= self.READS, "the clock read %d times: a loop that never ends" % self.reads
        return self.now

    def sleep(self, s):
        self.now += s


class FakeModule(object):
    """What the act and files.write_text use of AnsibleModule: its params, warn(), a backup copy (preserved_copy)
    and the final rename (atomic_move)."""

    def __init__(self, **params):
        self.params = params
        self.warnings = []
        self.backups = []

    def warn(self, warning):
        self.warnings.append(warning)

    def preserved_copy(self, src, dest):
        with open(src, "rb") as old, open(dest, "wb") as copy_:
            copy_.write(old.read())
        self.backups.append(dest)

    def atomic_move(self, src, dest, unsafe_writes=False):
        assert unsafe_writes is False
        os.rename(src, dest)


class FakeEnv(object):
    """A host with iSCSI host4 (target 4:0:0), paths sdc (4:0:0:1) and sdd (5:0:0:1 on host5) of map WWID."""

    def __init__(self, root):
        self.root = str(root)
        self.clock = FakeClock()
        self.commands = []
        self.writes = []
        self.disks = {}
        self.maps = {}
        self.probes = {}
        self.pending_luns = {}      # hctl -> disk dict appearing on an exact scan
        self.flush_failures = 0     # multipath -f answers "map in use" this many times
        self.hang = set()           # argv[0], "delete"/"scan"/"rescan" or an sd name whose delete hang (DeadlineExceeded)
        self.kernel_removes = True  # a delete write removes the device
        self.udev_lags = False      # ... and udev has not yet removed its /dev/disk/by-id links
        self.exclusive_busy = False  # a kernel user claims the plain sd (O_EXCL open fails with EBUSY)
        self.exclusive_opens = []
        self.events = []
        # what a generated world adds to the snapshot besides disks and maps (host, iscsi_sessions, ...); with it
        # the snapshot is probed as observe.probe.probe_snapshot probes (test_house_rules' worlds)
        self.snapshot_extra = None
        # tasks exiting inside a block device's last close, as observe.procs.read_exiting reads them (killed_closer)
        self.exiting_tasks = []
        self.lock = threading.RLock()
        self.reader = FakeReader(self)
        for h in (4, 5):
            self._mk("sys/class/iscsi_host/host%d" % h)
            self._mk("sys/class/scsi_host/host%d/device/session%d/target%d:0:0" % (h, h - 1, h))
            self._file("sys/class/scsi_host/host%d/scan" % h, "")
        self._mk("sys/class/scsi_host/host0/device/target0:0:0")  # a local (non-SAN) host
        self._file("sys/class/scsi_host/host0/scan", "")
        self._file("etc/multipath/wwids", "/%s/\n/%s/\n" % (WWID, WWID2))
        self._file("proc/700/comm", "multipathd\n")  # multipathd runs (the act asks it only then)
        self.add_disk(disk("sdc", "4:0:0:1", "8:32", WWID, map_name=WWID))
        self.add_disk(disk("sdd", "5:0:0:1", "8:48", WWID, map_name=WWID))
        self.maps[WWID] = mpath(WWID, "dm-3", "253:3", ["sdc", "sdd"])
        self._mk("sys/block/dm-3/dm")
        self._file("sys/block/dm-3/dm/uuid", "mpath-" + WWID)
        self._file("sys/block/dm-3/dm/name", WWID)
        for n in ("sdc", "sdd"):
            self.probes[n] = {"result": "lun_not_supported", "sense": "05/25/00", "serial_live": None,
                              "elapsed": 0.01}

    # --- tree helpers
    def _p(self, rel):
        return os.path.join(self.root, rel)

    def _mk(self, rel):
        os.makedirs(self._p(rel), exist_ok=True)

    def _file(self, rel, text):
        self._mk(os.path.dirname(rel))
        with open(self._p(rel), "w") as fh:
            fh.write(text)

    def add_disk(self, d):
        """The disk in the tree as sysfs links it: devices/scsi/<hctl> (block/<name>/dev, delete, rescan), with
        class/scsi_device/<hctl>/device and block/<name>/device pointing to it."""
        self.disks[d["name"]] = d
        base = "sys/devices/scsi/%s" % d["hctl"]
        self._file(base + "/block/%s/dev" % d["name"], d["dev"])
        self._file(base + "/delete", "")
        self._file(base + "/rescan", "")
        for link_dir, up in (("sys/class/scsi_device/%s" % d["hctl"], "../../.."), ("sys/block/%s" % d["name"], "../..")):
            self._mk(link_dir)
            if not os.path.lexists(self._p(link_dir + "/device")):
                os.symlink("%s/devices/scsi/%s" % (up, d["hctl"]), self._p(link_dir + "/device"))
        self._mk("dev/disk/by-id")
        link = self._p("dev/disk/by-id/scsi-%s-%s" % (d["wwid"], d["name"]))
        if not os.path.lexists(link):
            os.symlink("../../%s" % d["name"], link)

    def remove_disk(self, hctl):
        for name, d in list(self.disks.items()):
            if d["hctl"] == hctl:
                del self.disks[name]
                for e in [] if self.udev_lags else os.listdir(self._p("dev/disk/by-id")):
                    if os.readlink(self._p("dev/disk/by-id/" + e)).endswith("/" + name):
                        os.unlink(self._p("dev/disk/by-id/" + e))
                shutil.rmtree(self._p("sys/block/%s" % name), ignore_errors=True)
        shutil.rmtree(self._p("sys/class/scsi_device/%s" % hctl), ignore_errors=True)
        shutil.rmtree(self._p("sys/devices/scsi/%s" % hctl), ignore_errors=True)

    def add_holder(self, holder, uuid, dm_name, of="map"):
        self._file("sys/block/%s/dm/uuid" % holder, uuid)
        self._file("sys/block/%s/dm/name" % holder, dm_name)
        if of == "map":
            self.maps[WWID]["holders"].append(holder)
        else:
            self.disks[of]["holders"].append(holder)

    # --- runners (serialised: the act may run units on several threads, ActContext.workers)
    def run(self, argv, timeout, what=None, data=None):
        with self.lock:
            return self._run(argv, timeout, what, data)

    def _run(self, argv, timeout, what=None, data=None):
        argv = [str(a) for a in argv]
        self.commands.append(argv)
        if argv[0] in self.hang or " ".join(argv[:2]) in self.hang:
            self.clock.now += timeout
            raise deadline.DeadlineExceeded(what or " ".join(argv), timeout)
        rc, out = 0, ""
        if argv[:2] in (["multipathd", "disablequeueing"], ["multipathd", "restorequeueing"]):
            m = self.reader._find(argv[3], ("dm", "name", "wwid") if argv[3].startswith("dm-") else ("name", "wwid"))
            if m is None:
                rc, out = 1, "fail"
            else:
                m["queueing"] = argv[1] == "restorequeueing"
                out = "ok"
        elif argv[:2] == ["dmsetup", "message"]:
            m = self.reader._find(*self._uuid_key(argv))
            if m:
                m["queueing"] = argv[-1] == "queue_if_no_path"
        elif argv[:2] == ["dmsetup", "info"]:
            m = self.reader._find(*self._uuid_key(argv))
            if m is None:
                rc, out = 1, "Device does not exist."
            else:
                out = "Name: %s\nState: %s\n" % (m["name"], "SUSPENDED" if m.get("suspended") else "ACTIVE")
        elif argv[:2] == ["dmsetup", "resume"]:
            m = self.reader._find(*self._uuid_key(argv))
            if m is not None:
                m["suspended"] = False
        elif argv[:2] == ["multipath", "-f"]:
            m = self.reader._find(argv[2], ("name", "dm"))
            if m is not None and self.flush_failures > 0:
                self.flush_failures -= 1
                m["queueing"] = True  # as seen in the lab: queueing is restored after a failed flush
                rc, out = 1, "%s: map in use" % argv[2]
            elif m is not None:
                self._drop_map(m)
        elif argv[:2] == ["dmsetup", "remove"]:
            m = self.reader._find(*self._uuid_key(argv))
            if m is not None:
                self._drop_map(m)
        elif argv[:2] == ["multipath", "-w"]:
            path = self._p("etc/multipath/wwids")
            with open(path) as fh:
                lines = [x for x in fh if x.strip() != "/%s/" % argv[2]]
            with open(path, "w") as fh:
                fh.writelines(lines)
            out = "wwid '%s' removed" % argv[2]
        self.clock.now += 0.05
        return deadline.CommandResult(argv, rc, out, "", 0.05)

    @staticmethod
    def _uuid_key(argv):
        """(key, kinds) of a dmsetup command: `-u mpath-<wwid>` (the act) by the uuid's WWID only, else by name."""
        if "-u" in argv:
            return argv[argv.index("-u") + 1][len("mpath-"):], ("wwid",)
        return argv[2], ("name",)

    def _drop_map(self, m):
        del self.maps[m["wwid"]]
        shutil.rmtree(self._p("sys/block/%s" % m["dm"]), ignore_errors=True)  # the kernel drops its dm device
        for p in m["paths"]:
            d = self.disks.get(p["name"])
            if d:
                d["map"] = None
                d["holders"] = [h for h in d["holders"] if h != m["dm"]]

    def call(self, fn, args=(), timeout=10.0, what=None):
        with self.lock:
            return self._call(fn, args, timeout, what)

    def _call(self, fn, args=(), timeout=10.0, what=None):
        kind = None
        if fn is act_children._child_exclusive_open:  # the tree has no device nodes: the fake kernel answers
            self.exclusive_opens.append(args)
            self.events.append("exclusive_open")
            if self.exclusive_busy:
                return {"claimed": True, "reason": "Device or resource busy", "answer": "busy: Device or resource busy"}
            return {"claimed": False, "answer": "ok"}
        if fn is act_children.child_checked_write:
            kind = args[4]
        elif fn is act_children.child_write:
            kind = "scan"
        if kind in self.hang or (kind == "delete" and args[2] in self.hang):
            self.clock.now += timeout
            raise deadline.DeadlineExceeded(what or kind, timeout)
        try:
            out = fn(*args)
        except Exception as exc:  # as deadline.call reports a child's exception
            raise ChildFailed.of(what, exc)
        if kind:
            self.writes.append((kind, args))
            self.events.append(kind)
        if kind == "delete" and self.kernel_removes:
            self.remove_disk(args[1])
        elif kind == "scan":
            c, t, lun = args[1].split()
            host = os.path.basename(os.path.dirname(args[0]))[4:]
            hctl = "%s:%s:%s:%s" % (host, c, t, lun)
            if hctl in self.pending_luns:
                self.add_disk(self.pending_luns.pop(hctl))
        elif kind == "rescan":
            d = self.reader._disk_at(args[1])
            if d is not None and d.get("new_serial"):
                d["serial"], d["wwid"] = d.pop("new_serial"), d.pop("new_wwid")
        return out

    def host(self, **kw):
        kw.setdefault("root", self.root)
        kw.setdefault("sleep", self.clock.sleep)
        kw.setdefault("clock", self.clock)
        return act_context.ActContext(self.reader, run=self.run, call=self.call, **kw)


class Kernel(object):
    """deadline.call without the fork, and the kernel's answer to a write of delete_controller on an NVMe tree (the
    tests of act/nvme.py, the house rules' NVMe worlds): the controller goes with its paths, and a namespace head with
    no path left. `before_write` runs first (what changes between the act's read and the writer's); `removes` False:
    the kernel does not finish the delete; `hangs`: the write misses its deadline; `claimed`: the namespace heads an
    O_EXCL open finds claimed (a mount in another mount namespace, a ZFS vdev)."""

    def __init__(self, root):
        self.root, self.writes, self.before_write = root, [], None
        self.removes, self.hangs, self.claimed = True, False, set()

    def sys(self, *parts):
        return os.path.join(self.root, "sys", *parts)

    def __call__(self, fn, args=(), timeout=10.0, what=None):
        if fn is act_children._child_exclusive_open:  # pylint: disable=protected-access
            if os.path.basename(args[0]) in self.claimed:
                return {"claimed": True, "reason": "Device or resource busy", "answer": "busy"}
            return {"claimed": False, "answer": "ok"}
        if fn is not act_nvme.child_delete_controller:
            return inline_call(fn, args, timeout, what)
        if self.before_write:
            self.before_write(self)
        if self.hangs:
            raise deadline.DeadlineExceeded(what, timeout)
        try:
            out = inline_call(fn, args, timeout, what)
        except Exception as exc:  # as deadline.call reports a child's exception
            raise ChildFailed.of(what, exc)
        self.writes.append(args[1])
        if self.removes:
            self.remove_controller(args[1])
        return out

    def remove_controller(self, name):
        """The controller, its subsystem's link to it and its paths go; so does a head with no path left (the kernel
        removes its disk: nvme_mpath_shutdown_disk)."""
        link = self.sys("class", "nvme", name)
        shutil.rmtree(os.path.realpath(link))
        os.unlink(link)
        for entry in os.listdir(self.sys("block")):
            if entry.startswith("nvme") and not os.path.exists(self.sys("block", entry)):
                os.unlink(self.sys("block", entry))
        reached = set("".join(m.groups()) for m in map(PATH_RE.match, os.listdir(self.sys("block"))) if m)
        subsystems = self.sys("devices", "virtual", "nvme-subsystem")
        for base in [os.path.join(subsystems, sub) for sub in os.listdir(subsystems)]:
            if os.path.lexists(os.path.join(base, name)):
                os.unlink(os.path.join(base, name))
            for head in [e for e in os.listdir(base) if NAMESPACE_RE.match(e) and e not in reached]:
                shutil.rmtree(os.path.join(base, head))
                if os.path.lexists(self.sys("block", head)):
                    os.unlink(self.sys("block", head))

    def write(self, rel, text):
        with open(self.sys(*rel.split("/")), "w") as fh:
            fh.write(text + "\n")


class FakeReader(object):
    """The interface of observe.read.Host, answering from FakeEnv's state (copies, like a re-read)."""

    def __init__(self, env):
        self.env = env
        self.calls = []

    def _find(self, key, kinds=("wwid", "name", "dm")):
        """The map a tool addresses by `key`, looking at `kinds` in that order (as the tool does: dmsetup -u by the
        uuid's WWID, multipath -f by name, multipathd's queueing commands by dm-N, then alias, then WWID)."""
        for kind in kinds:
            for m in self.env.maps.values():
                if key == m[kind]:
                    return m
        return None

    def _disk_at(self, hctl):
        for d in self.env.disks.values():
            if d["hctl"] == hctl:
                return d
        return None

    def disk(self, name):
        with self.env.lock:
            return self._disk(name)

    def _disk(self, name):
        self.calls.append(("disk", name))
        d = self.env.disks.get(name)
        return copy.deepcopy(dict((k, v) for k, v in d.items() if not k.startswith("new_"))) if d else None

    def map(self, name_or_wwid, by="any", from_user=False):
        """As observe.read.Host.map: a user's WWID by the maps' WWIDs only (refused when only another case of it is
        here); by "wwid" among WWIDs only, by "name" among names and dm-N only, "any" WWIDs first."""
        with self.env.lock:
            self.calls.append(("map", name_or_wwid))
            maps = list(self.env.maps.values())
            if from_user and isinstance(name_or_wwid, Wwid):
                hits = [m for m in maps if wwid_matches(name_or_wwid, m["wwid"])]
                if not hits:
                    refuse_other_spelling(name_or_wwid, [m["wwid"] for m in maps])
            else:
                named = [m for m in maps if name_or_wwid in (m["name"], m["dm"])] if by != "wwid" else []
                of_wwid = [m for m in maps if name_or_wwid == m["wwid"]] if by != "name" else []
                hits = of_wwid or named
            return copy.deepcopy(hits[0]) if hits else None

    def view(self, names=(), maps=()):
        """One read of the whole fake host, as observe.read.Host.view answers it: copies, frozen at the read."""
        with self.env.lock:
            self.calls.append(("view", tuple(names), tuple(maps)))
            return FakeView(self)

    def probe_path(self, sd, errors=None):
        with self.env.lock:
            return self._probe_path(sd)

    def _probe_path(self, sd):
        self.calls.append(("probe", sd))
        return copy.deepcopy(self.env.probes.get(sd, {"result": "no_answer", "serial_live": None}))

    def snapshot(self, probe=True):
        snap = {"collected_at": self.env.clock(), "disks": dict((n, self.disk(n)) for n in self.env.disks),
                "maps": dict((w, self.map(w)) for w in self.env.maps)}
        if self.env.snapshot_extra is not None:
            snap.update(copy.deepcopy(self.env.snapshot_extra))
            snap.setdefault("errors", [])
            if probe:
                self._probe(snap)
        else:
            snap["host"] = self._host()
        return snap

    def _host(self):
        """The host section the killed-closer rule weighs (plan.maps.closers_account_for_every_hidden_open), counted
        from the env now as observe.snapshot.assemble counts it: every map's opens nothing seen accounts for."""
        unaccounted = dict((m["dm"], {"name": m["name"], "open_count": m["open_count"],
                                      "unaccounted": obs_users.unaccounted_opens(
                                          m["open_count"], m["openers"], [h["name"] if isinstance(h, dict) else h
                                                                          for h in m["holders"]], bool(m["mountpoints"]),
                                          m.get("swap"))})
                           for m in self.env.maps.values())
        return {"exiting_tasks": copy.deepcopy(self.env.exiting_tasks), "dm_unaccounted": unaccounted,
                "unread_disks": [], "uncounted_block_devices": []}

    def _probe(self, snap):
        """As observe.probe.probe_snapshot: every path of a map with a path not active and ready, every SAN disk
        without a map."""
        for m in snap["maps"].values():
            m.setdefault("probe", {})
            if not all(obs_probe._path_ok(p) for p in m["paths"]):
                for p in m["paths"]:
                    m["probe"][p["name"]] = self.probe_path(p["name"])
        for name, d in snap["disks"].items():
            if d.get("map") is None and d.get("transport") in ("iscsi", "fc"):
                d["probe"] = self.probe_path(name)


class FakeView(object):
    """observe.reread.View over FakeEnv's state at the time of the read."""

    def __init__(self, reader):
        env = reader.env
        self.root = env.root
        self.links = None
        self.multipathd_running = bool(obs_procs.multipathd_pids(env.root))
        self._disks = copy.deepcopy(dict((n, dict((k, v) for k, v in d.items() if not k.startswith("new_")))
                                         for n, d in env.disks.items()))
        self._by_wwid, self._by_name = {}, {}
        for m in copy.deepcopy(list(env.maps.values())):
            self._by_wwid[m["wwid"]] = m
            for key in (m["name"], m["dm"]):
                self._by_name[key] = m

    def map(self, key, by="any"):
        """As observe.reread.View.map."""
        m = self._by_wwid.get(key) if by in ("wwid", "any") else None
        return m if m is not None or by == "wwid" else self._by_name.get(key)

    def disk(self, name):
        return self._disks.get(name)

    def holders(self, names):
        return obs_reread.read_holders(os.path.join(self.root, "sys"), names)

    def disk_holders(self, disk):
        return self.holders(disk.get("holders") or [])


def disk(name, hctl, dev, wwid, map_name=None, transport="iscsi", serial=None):
    h = int(hctl.split(":")[0])
    return {"name": name, "hctl": hctl, "host": h, "lun": int(hctl.split(":")[3]), "dev": dev, "vendor": "NETAPP",
            "model": "LUN C-Mode", "state": "running", "transport": transport,
            "session": "session%d" % (h - 1) if transport == "iscsi" else None,
            "serial": serial or "80Ab" + wwid[-8:], "wwid": wwid, "size_bytes": 1 << 30,
            "holders": ["dm-3"] if map_name else [], "mountpoints": [], "swap": False, "openers": [],
            "map": map_name}


def mpath(wwid, dm, dev, paths, queueing=True):
    return {"name": wwid, "wwid": wwid, "dm": dm, "dev": dev, "queueing": queueing,
            "features": "3 queue_if_no_path pg_init_retries 50" if queueing else "1 pg_init_retries 50",
            "open_count": 0, "holders": [], "mountpoints": [], "openers": [], "size_bytes": 1 << 30,
            "paths": [{"name": p, "hctl": None, "dev": None, "dm_state": "failed", "checker_state": "faulty",
                       "dev_state": "running"} for p in paths]}


@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def flush_plan(env, **opts):
    m = env.reader.map(WWID)
    if m and opts.get("array_unmapped"):     # planned from a probed snapshot, as stale_cleanup does
        m["probe"] = dict((p["name"], env.probes.get(p["name"], {"result": "no_answer"})) for p in m["paths"])
    return plan_maps.plan_map_flush(m, opts)


def delete_plan(env, names, expected=None, **opts):
    disks = [dict(env.reader.disk(n), probe=env.reader.probe_path(n)) for n in names]
    return plan_disks.plan_disk_delete(disks, expected or {}, opts)


def same_steps(plan, executed):
    return [(s.action, s.target) for s in plan] == [(e["action"], e["target"]) for e in executed]


# ---------------------------------------------------------------------------------------------- dead unmapped map
def blocked_reader(env, leaves=True):
    """A dd blocked in the queue of the dead map; when queueing is disabled its I/O fails and it exits (leaves)."""
    env.maps[WWID]["openers"] = [{"pid": 4242, "comm": "dd"}]
    env.maps[WWID]["open_count"] = 1
    orig = env.run
    events = []

    def run(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        events.append(argv[:2])
        if argv[:2] == ["multipathd", "disablequeueing"] and WWID in env.maps and leaves:
            env.maps[WWID]["openers"], env.maps[WWID]["open_count"] = [], 0
        return res
    host = env.host()
    host.run = run
    return host, events


def killed_closer(env, releases=True, opens=1):
    """A udev worker killed while its read queued on the dead map: it holds `opens` opens from inside its exit, with
    no file table for the /proc scan; when queueing is disabled the read fails and its close returns (releases)."""
    env.maps[WWID]["openers"] = []
    env.maps[WWID]["open_count"] = opens
    own = [{"pid": 402 + k, "comm": "(udev-worker)", "frames": ["blkdev_close", "blkdev_put"]} for k in range(opens)]
    env.exiting_tasks = list(own)
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipathd", "disablequeueing"] and WWID in env.maps and releases:
            env.maps[WWID]["open_count"] = 0
            env.exiting_tasks = [t for t in env.exiting_tasks if t not in own]  # other maps' closers stay
        return res
    host = env.host()
    host.run = run
    return host


# ---------------------------------------------------------------------------------------------- disk removal
def _orphan(env):
    env._drop_map(env.maps[WWID])


# ---------------------------------------------------------------------------------------------- batches of units
def sd_name(i):
    """sdaa, sdab, ...: names the fixture does not use otherwise."""
    return "sd" + chr(ord("a") + i // 26) + chr(ord("a") + i % 26)


def stale_maps(env, n):
    """n more stale unmapped maps (2 failed paths each, on host4 and host5); their WWIDs."""
    wwids = []
    for i in range(n):
        wwid = "3600a0980%024x" % (0xabc000 + i)
        a, b = sd_name(2 * i), sd_name(2 * i + 1)
        dm = "dm-%d" % (100 + i)
        env.add_disk(disk(a, "4:0:0:%d" % (100 + i), "65:%d" % (2 * i), wwid, map_name=wwid))
        env.add_disk(disk(b, "5:0:0:%d" % (100 + i), "65:%d" % (2 * i + 1), wwid, map_name=wwid))
        for n_ in (a, b):
            env.disks[n_]["holders"] = [dm]
            env.probes[n_] = {"result": "lun_not_supported", "sense": "05/25/00", "serial_live": None}
        env.maps[wwid] = mpath(wwid, dm, "253:%d" % (100 + i), [a, b])
        env._file("sys/block/%s/dm/uuid" % dm, "mpath-" + wwid)
        env._file("sys/block/%s/dm/name" % dm, wwid)
        with open(env._p("etc/multipath/wwids"), "a") as fh:
            fh.write("/%s/\n" % wwid)
        wwids.append(wwid)
    return wwids


def host_plan(env, wwids):
    snap = env.reader.snapshot()
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    return cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": w, "wwid": w}
                                       for w in wwids])["steps"]


# ---------------------------------------------------------------------------------------------- a crash or a signal
def second_map(env):
    """Map WWID2 (dm-4) with paths sde (4:0:0:2) and sdf (5:0:0:2), dead like the first."""
    for name, hctl, dev in (("sde", "4:0:0:2", "8:64"), ("sdf", "5:0:0:2", "8:80")):
        env.add_disk(dict(disk(name, hctl, dev, WWID2, map_name=WWID2), holders=["dm-4"]))
        env.probes[name] = dict(env.probes["sdc"])
    env.maps[WWID2] = mpath(WWID2, "dm-4", "253:4", ["sde", "sdf"])
    env._file("sys/block/dm-4/dm/uuid", "mpath-" + WWID2)
    env._file("sys/block/dm-4/dm/name", WWID2)


def two_units(env):
    """Both maps as the plan gives them: one unit each (queueing off, flush, wait, delete its paths, forget)."""
    steps = []
    for wwid, paths in ((WWID, ("sdc", "sdd")), (WWID2, ("sde", "sdf"))):
        body = plan_maps.plan_map_flush(env.reader.map(wwid), {}) + plan_disks.plan_disk_delete(
            [dict(env.reader.disk(p), map=None, holders=[]) for p in paths], {}, {"flush_buffers": False})
        steps.extend(st.tagged(None, "map %s" % wwid) for st in body)
    return plan_steps.in_host_order(steps)


class Killed(BaseException):
    """What the default SIGTERM/SIGHUP/SIGINT action would do to the module: end it where it stands (SIGINT:
    Python's KeyboardInterrupt, which would end the test run itself)."""


@pytest.fixture
def killable():
    """SIGTERM, SIGHUP and SIGINT raise Killed outside the act (the default action ends the process)."""
    def die(signum, _frame):
        raise Killed(signum)
    saved = dict((sig, signal.signal(sig, die)) for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT))
    yield die
    for sig, handler in saved.items():
        signal.signal(sig, handler)


# ---------------------------------------------------------------------------------------------- still dead at act time
def dead(steps):
    """The steps of a unit the plan chose because every path failed, marked as plan.cleanup.plan_cleanup marks them."""
    return [st.with_options(dead=True) if st.action in ("disable_queueing", "flush_map", "flush_buffers", "delete_disk")
            else st for st in steps]


W1, W2 = ontap_wwid(1), ontap_wwid(2)


def _alias_tree(tmp_path, alias_last):
    """LU W1's map is mpatha; LU W2's map is aliased "W1" (multipath.conf `alias`, e.g. to keep the device path of
    the LU it replaced: /dev/mapper/W1). dm names are unique, so the two maps coexist. alias_last: the alias map
    is the later dm device (dm-1)."""
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    for name, hctl, dev, n in (("sdb", "2:0:0:1", "8:16", 1), ("sdc", "2:0:0:2", "8:32", 2)):
        t.disk(name, hctl, dev, session=1, wwid="naa." + ontap_wwid(n)[1:])
    maps = [("mpatha", W1, "sdb"), (W1, W2, "sdc")]
    if not alias_last:
        maps.reverse()
    for i, (name, wwid, sd) in enumerate(maps):
        t.dm("dm-%d" % i, "253:%d" % i, name, "mpath-" + wwid, slaves=(sd,))
    return t.commands()


def alias_hosts(tmp_path, monkeypatch):
    """Each order of _alias_tree in turn (alias map first or last), the modules' reader pointed at it."""
    for alias_last in (False, True):
        t = _alias_tree(tmp_path / str(alias_last), alias_last)
        monkeypatch.setattr(read, "reader_for", lambda params, t=t: t.reader(
            command_timeout=params["command_timeout"]))
        yield alias_last


def hang_the_write_of(monkeypatch, name, seconds=30):
    """files.write_text's write of the file called `name` (its temp file .<name>.*) waits `seconds` in its child, as on
    a filesystem whose disk stopped answering; every other file is written."""
    real = config_files._write_synced

    def hangs(tmp, data):
        if ".%s." % name in os.path.basename(tmp):
            time.sleep(seconds)
        return real(tmp, data)
    monkeypatch.setattr(config_files, "_write_synced", hangs)


# -- the NVMe-oF writers' children called in-process, against a sysfs tree under tmp_path
SUBSYS_NQN = "nqn.1992-08.com.netapp:sn.51a3c9846e0c11f08f5dd039eaa7dfc9:subsystem.Nvme38"
# the sysfs address of nvme0 as SanTree writes it, and the host's spelling of it (identity.address_text: pairs sorted)
RAW_ADDRESS = "traddr=192.168.30.40,trsvcid=4420,src_addr=192.168.30.15"
HOST_ADDRESS = "src_addr=192.168.30.15,traddr=192.168.30.40,trsvcid=4420"
DELETABLE = ("connecting", "resetting")


def nvme_child_tree(tmp_path, state="connecting", ctrl_loss_tmo="off", iopolicy="numa"):
    """nvme0 (tcp, cntlid 1, RAW_ADDRESS) of subsystem nvme-subsys0 (SUBSYS_NQN); sys_root and the controller's
    identity as the plan holds it (observe's controller_identity: the address in the host's spelling)."""
    t = SanTree(tmp_path)
    t.nvme_subsystem(0, SUBSYS_NQN, iopolicy=iopolicy)
    t.nvme_ctrl(0, 0, SUBSYS_NQN, state=state, ctrl_loss_tmo=ctrl_loss_tmo, address=RAW_ADDRESS)
    expected = {"name": "nvme0", "subsysnqn": SUBSYS_NQN, "transport": "tcp", "address": HOST_ADDRESS,
                "hostnqn": NVME_HOSTNQN, "cntlid": "1", "model": NVME_ONTAP_MODEL}
    return t.path("/sys"), expected


def ctrl_file(sys_root, attr):
    return os.path.join(sys_root, "class", "nvme", "nvme0", attr)


def subsys_file(sys_root, attr):
    return os.path.join(sys_root, "class", "nvme-subsystem", "nvme-subsys0", attr)


def text_of(path):
    with open(str(path)) as fh:
        return fh.read()


def put_text(path, text):
    with open(path, "w") as fh:
        fh.write(text)


# -- the NVMe act's plans from the lab's captures (act/test_nvme.py, modules/test_stale_cleanup.py)
NVME_OTHER_HOST = "nqn.2014-08.org.nvmexpress:uuid:0b0b0b0b-0000-4000-8000-00000000000b"


def nvme_host_removed(truth):
    """The NVMe truth after this host was removed from the subsystem (its hosts list and every namespace's name
    another host only)."""
    truth["targets"][0]["subsystems"][0]["host_nqns"] = [NVME_OTHER_HOST]
    for rec in truth["namespaces"]:
        rec["host_nqns"] = [NVME_OTHER_HOST]


def nvme_planned(tmp_path, drop=(), lifs=None, act_on=None, scenario="nvme_stale", change=None):
    """An NVMe lab capture (`scenario`, less `drop`) judged and planned (delete_lif_gone): (the steps planned from
    the copy, its act context, the Kernel of the tree the act runs on: the same copy unless `act_on` names a drop
    list for another copy)."""
    reader, lab = nvme_host(tmp_path / "plan", scenario, drop)
    truth = nvme_array_truth(lab["nvme"], lifs)
    if change:
        change(truth)
    san = nvme_judged(reader, truth, time.time())
    steps = plan_nvme(san, {"delete_lif_gone": True})["steps"]
    if act_on is not None:
        reader, _lab = nvme_host(tmp_path / "act", scenario, act_on)
    kernel = Kernel(reader.root)
    host = ActContext(reader, call=kernel, root=reader.root, sleep=lambda s: None, wait_timeout=0.5,
                      truth_times={"scsi": time.time(), "nvme": time.time()}, truth_max_age=900.0)
    return steps, host, kernel


NVME_LIF_GONE = ("nvme0n2", "nvme0c0n2")      # LIF a deleted, namespace 2 already dropped: nvme0 carries 1 and 3


def nvme_refusal(steps, host):
    """What execute raised for `steps`, as its dict (the refusal or failure of the unit that stopped)."""
    with pytest.raises(ExecutionError) as info:
        execute.execute(steps, host)
    return info.value.to_dict()
