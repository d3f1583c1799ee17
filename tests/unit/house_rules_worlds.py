# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated worlds for the house-rule invariants (test_house_rules.py), and the real pipeline run over them.

A world is what is TRUE on a host and its arrays (which LUs the arrays map to this host's initiator, who really
holds a device open, what a killed task is stuck closing), and what the host and the fetched array truth SHOW of it.
`build` turns a world into the project's fake host (FakeEnv of tests/unit/plugins/module_utils/_san/act/helpers.py; /proc trees and device nodes for the
openers, read by the real observe.procs scanner) and the module options; `run` drives the functions stale_cleanup's
module calls -- judge (judge.facts.collect), the run (run.cleanup), approval gate (plan.approval), act
(act.execute.execute) -- and records every touch of the fake kernel. Only test_house_rules and the NVMe family's
worlds (house_rules_nvme_worlds: `part`, Sandbox, Outcome) import this module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os
import shutil
import stat
import tempfile
import time

from hypothesis import strategies as st

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts as judge_facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import procs as obs_procs
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as obs_users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.run import cleanup as run_cleanup
from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import FakeEnv, disk, mpath

INIT = "iqn.2024-01.lab.san:host1"
OTHER_INIT = "iqn.2024-01.lab.san:host2"
SVMS = [  # (cluster, svm, target iqn, portal address); svm i serves iSCSI host 4 + i of the fake host
    ("c1", "svm_a", "iqn.1992-08.com.netapp:sn.aaaa:vs.1", "10.0.0.1"),
    ("c2", "svm_b", "iqn.1992-08.com.netapp:sn.bbbb:vs.2", "10.0.0.2"),
]
THIS_HOST = {"machine_id": "0123456789abcdef0123456789abcdef", "hostname": "host1"}
MAX_AGE = 900.0
ODD_NAMES = ["mpath(a)", "db@1", "SUN_disk(1)", "x y"]
HARMLESS = "blkid"


def serial(i, other=False):
    return ("LX%010d" if other else "LU%010d") % i


def wwid(i, other=False):
    return validate.ontap_wwid(serial(i, other))


def sd_name(n):
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(97 + r) + letters
    return "sd" + letters


# ---------------------------------------------------------------------------------------------- generators
# values the generators leave out (comma-separated), e.g. the triggers of holes still open when
# tests/invariants/revert_check.py shows that a reverted fix is caught by a test that passes with it
WITHOUT = set(x.strip() for x in os.environ.get("SANFLEET_INVARIANT_WITHOUT", "").split(",") if x.strip())


def allowed(values):
    """`values` without those SANFLEET_INVARIANT_WITHOUT names ("odd_names": every odd map name)."""
    left = [v for v in values if not (isinstance(v, str) and (v in WITHOUT or "odd_names" in WITHOUT and v in ODD_NAMES))]
    return left or [values[0]]


def near(usual, choices, calm=0):
    """Dicts that are mostly `usual` (a world where something is removed, so that a rule is tested where it can be
    broken): `usual` itself (`calm` times more often), `usual` with one field changed, or anything `choices`
    ({field: [values]}) allows."""
    one = st.sampled_from(sorted(choices)).flatmap(
        lambda field: st.sampled_from(allowed(choices[field])).map(lambda value: dict(usual, **{field: value})))
    anything = st.fixed_dictionaries(dict((k, st.sampled_from(allowed(v))) for k, v in choices.items()))
    if not calm:
        return st.one_of(st.just(dict(usual)), one, one, anything)
    # one_of takes equal branches once: the weights are drawn by index
    branches = [st.just(dict(usual)), one, anything]
    return st.sampled_from([0] * (1 + calm) + [1, 1, 2]).flatmap(lambda i: branches[i])


def part(usual, choices, focus, calm=0):
    """near(usual, ...) over the fields of `choices` not in `focus`; those in `focus` drawn in full every time."""
    wide = dict((k, v) for k, v in choices.items() if k in focus)
    rest = dict((k, v) for k, v in choices.items() if k not in focus)
    return (near(usual, rest, calm) if rest else st.just(dict(usual))).flatmap(
        lambda d: st.fixed_dictionaries(dict((k, st.sampled_from(allowed(v))) for k, v in wide.items())).map(
            lambda w: dict(d, **w)))


PATH_USUAL = {"svm": 0, "lun": 0, "dm_state": "failed", "checker": "faulty", "dev_state": "running",
              "probe": "lun_not_supported", "answers_as": None, "sd_opener": None}
PATH_CHOICES = {
    "svm": [0, 1], "lun": [0, 1, 2, 3],
    # the kernel's word: dm path state, checker, sd device state (transient ones included)
    "dm_state": ["failed", "active"],
    "checker": ["faulty", "ready", "i/o timeout", "pending", "ghost"],
    "dev_state": ["running", "blocked", "offline", "transport-offline"],
    # what a live probe answers now: the array's word, silence, or an LU answering (READY; NOT READY; a UNIT
    # ATTENTION; TEST UNIT READY GOOD before INQUIRY fails; NOT READY with INQUIRY answering: PROBE_ANSWERS)
    "probe": ["lun_not_supported", "ready", "no_answer", "not_ready", "error", "unit_attention",
              "tur_good_inquiry_fails", "standby"],
    # the LU the path answers as: its map's own, another LU mapped at that LUN id, or unknown
    "answers_as": [None, "own", "other"],
    # a process opens this sd itself: seen by /proc, a thread with its own fd table under a live leader, the
    # threads of an exited leader
    "sd_opener": [None, "leader", "own_table_thread", "exited_leader_thread"]}

# what observe.probe returns for the answers that are more than a result: an LU answering, as the real probe
# classifies sg3-utils' text (observe.sense.classify_probe, tests/unit/plugins/module_utils/_san/observe/test_sense.py)
PROBE_ANSWERS = {
    "unit_attention": {"result": "not_ready", "sense": "Unit Attention: Reported luns data has changed",
                       "tur_answered": True},
    "tur_good_inquiry_fails": {"result": "no_answer", "sense": "INQUIRY got no answer within 8s", "tur_answered": True},
    "standby": {"result": "not_ready", "sense": "Not Ready: Logical unit not accessible, target port in standby state",
                "tur_answered": True, "pqual": 0},
    "transport_failure": {"result": "no_answer", "sense": "transport failure: DID_TRANSPORT_DISRUPTED"},
}


def probe_answer(kind, serial_live=None):
    """The probe dict a fake path answers with for `kind` (a PATH_CHOICES probe value)."""
    return dict({"result": kind, "sense": ""}, serial_live=serial_live, elapsed=0.01, **PROBE_ANSWERS.get(kind, {}))


MAP_USUAL = {"mapped": False, "mapped_to_other_only": False, "other_lu_at_lun": False, "queueing": True,
             "odd_name": None, "opener": None, "hidden": 0, "mounted": False, "holder": False}
MAP_CHOICES = {
    "mapped": [False, True],                    # the array's own word, for this host's initiator (ground truth)
    "mapped_to_other_only": [False, True],      # a record of it for another initiator
    "other_lu_at_lun": [False, True],           # the array maps another LU at this map's LUN id (a reused id)
    "queueing": [True, False],
    "odd_name": [None] * 12 + ODD_NAMES,
    # who holds the map open, truly (harmless_dup: blkid with two fds of one open file)
    "opener": [None, "harmless", "harmless_dup", "workload", "own_table_thread", "exited_leader_thread"],
    "hidden": [0, 1],                           # opens no /proc scan can show (another namespace, drbd, ZFS)
    "mounted": [False, False, True],
    "holder": [False, False, True]}

TRUTH_USUAL = {"covered": (0, 1), "duplicate": False, "initiators": [INIT], "collected": "fresh", "problems": False,
               "empty": False}
TRUTH_CHOICES = {
    "covered": [(0, 1), (0,), (1,), ()],        # the SVMs the truth read (several clusters)
    "duplicate": [False, True],                 # svm_b lists svm_a's target and LIF too (identity-preserving DR)
    "initiators": [[INIT], ["*"], [OTHER_INIT], None, [INIT.upper()]],
    "collected": ["fresh", "old", None, "nan", "inf", "-inf", "future", "almost_old"],
    "problems": [False, True],
    "empty": [False, False, True]}              # a proxy answered 200 with nothing

# a loop device with no file, one on a local disk, on a local filesystem that sits on a SAN map (a snap on a
# boot-from-SAN host), on NFS, or whose backing file cannot be read
LOOP_BACKINGS = ["on_map", "unbound", "local_disk", "nfs", "unreadable"]
LOOP = st.fixed_dictionaries({
    "backing": st.sampled_from(allowed(LOOP_BACKINGS[:1] + LOOP_BACKINGS)),
    "on": st.integers(0, 2),    # the map under its backing filesystem, for "on_map"
})

# what a killed task (D state, exiting, no file table) is stuck closing: a map, or a loop device
CLOSER = st.tuples(st.sampled_from(["loop", "map"]), st.integers(0, 2))

# a change between the plan and the act (0) or between two batches of the act (after its n-th): a LUN mapped back,
# or the clock passing truth_max_age -- what the act's re-check before each batch's first destructive touch of a unit
# is for (a LUN mapped back after the queueing batch, say). A LUN mapped back answers as its own LU again: its paths
# work (ready, the kernel reinstated them), or the kernel still calls them failed (multipathd's checker has not run
# since) while the LU answers otherwise (COME_BACK: a UNIT ATTENTION, NOT READY in standby, TEST UNIT READY before
# INQUIRY fails, or multipathd's checker up while dm says failed and the probe meets a transport failure)
AFTER_BATCH = st.integers(0, 4)
COME_BACK = ["ready", "unit_attention", "standby", "tur_good_inquiry_fails", "checker_up"]
BETWEEN = st.one_of(
    st.tuples(st.just("comes_back"), st.integers(0, 2), AFTER_BATCH, st.sampled_from(allowed(COME_BACK))),
    st.tuples(st.just("clock_jump"), st.just(0), AFTER_BATCH, st.just(None)),
)

# during the act: an error, SIGINT (KeyboardInterrupt) or SIGTERM right after the n-th command, or a change BETWEEN
FAULTS = st.one_of(
    st.tuples(st.sampled_from(allowed(["error", "interrupt", "sigterm"])), st.integers(0, 6)),
    BETWEEN,
)
# the same, mostly once the act has turned queueing off (disablequeueing is a unit's first command; the fake host's
# reads run none): what a restore is for
FAULTS_IN_THE_ACT = st.one_of(
    st.tuples(st.sampled_from(allowed(["error", "interrupt", "sigterm"])), st.sampled_from([0, 0, 0, 1, 2])),
    st.tuples(st.just("comes_back"), st.integers(0, 2), st.sampled_from([1, 1, 1, 2, 3]),
              st.sampled_from(allowed(COME_BACK))),
    st.tuples(st.just("clock_jump"), st.just(0), st.sampled_from([1, 1, 1, 2, 3]), st.just(None)),
)

# a healthy map the array maps to this host (in an igroup with another host's initiator too): its
# record makes the truth non-empty, so that the others are judged
ANCHOR = dict(MAP_USUAL, mapped=True, shared_igroup=True,
              paths=[dict(PATH_USUAL, svm=0, lun=9, dm_state="active", checker="ready", probe="ready",
                          answers_as="own")])


def worlds(focus=(), max_maps=3, calm=0, choices=None, **usual_path):
    """Worlds mostly near one where something is removed; `focus` names the dimensions drawn in full every time
    (e.g. "collected", "sd_opener", "fault", "closers"; "between": a change BETWEEN the plan and the act in every
    world, with the anchor's record and no approved plan, so that the act has something to remove when it comes),
    `usual_path` what a path usually is, `calm` how many times more often a part is drawn as usual, `choices` the
    values of a path's, map's or truth's field for these worlds (e.g. mapped=[True, True, False]), so that a rule's
    test puts it at stake in most of its examples within the CI budget."""
    focus = set(focus)
    between = "between" in focus
    choices = choices or {}

    def values(table):
        return dict((k, choices.get(k, v)) for k, v in table.items())
    path = part(dict(PATH_USUAL, **usual_path), values(PATH_CHOICES), focus, calm)
    one_map = st.tuples(part(MAP_USUAL, values(MAP_CHOICES), focus, calm), st.lists(path, min_size=1, max_size=2)).map(
        lambda t: dict(t[0], paths=t[1]))
    maps = st.tuples(st.lists(one_map, min_size=1, max_size=max_maps),
                     st.sampled_from([True] if between or calm else [True, True, True, False])).map(
        lambda t: t[0] + [ANCHOR] if t[1] else t[0])
    return st.fixed_dictionaries({
        "maps": maps,
        "truth": part(TRUTH_USUAL, values(TRUTH_CHOICES), focus, calm),
        "loops": st.lists(LOOP, min_size=1 if "loops" in focus else 0, max_size=2),
        "closers": st.lists(CLOSER, min_size=1 if "closers" in focus else 0, max_size=2),
        "force_remove": st.booleans(),
        "fault": FAULTS_IN_THE_ACT if "fault" in focus else BETWEEN if between else st.one_of(
            st.just(None), st.just(None), FAULTS),
        # approval: none, the check run's own plan, or a part of it, or one whose device changed after approval
        "approval": st.just(None) if between else st.sampled_from(
            [None, "all", "first_unit", "nothing", "changed_after"] if "approval" in focus else
            [None, None, None, "all", "first_unit", "nothing", "changed_after"]),
        # without an approved plan, the real run says allow_unreviewed (or not: the module's gate refuses it)
        "unreviewed": st.booleans() if "approval" in focus else st.just(True),
    })


# ---------------------------------------------------------------------------------------------- explicit examples
# every value a generator knows for a flaw or a fault, each drawn once at least in a run whatever the generated
# examples draw (test_house_rules gives them as Hypothesis explicit examples)
FAULT_VALUES = ([(kind, 1) for kind in ("error", "interrupt", "sigterm")] +
                [("comes_back", 0, after, answer) for answer in COME_BACK for after in (0, 2)] +
                [("clock_jump", 0, after, None) for after in (0, 2)])


def usual_world(**top):
    """The world the generators draw near: one stale map the array no longer maps (two paths as PATH_USUAL) and the
    anchor, a fresh complete truth, no loop, no killed closer, no fault, no approved plan."""
    return dict({"maps": [dict(MAP_USUAL, paths=[dict(PATH_USUAL), dict(PATH_USUAL, svm=1)]), ANCHOR],
                 "truth": dict(TRUTH_USUAL), "loops": [], "closers": [], "force_remove": False, "fault": None,
                 "approval": None, "unreviewed": True}, **top)


def each_value(dimensions, base=None, **usual_path):
    """One world per value of each named dimension (a path's, a map's, the truth's, or the world's own: fault, between,
    approval, loops, closers) in `base` (usual_world(), its first map's paths as `usual_path`): the explicit examples
    that draw every value of them once."""
    base = base or usual_world()
    base = dict(base, maps=[dict(base["maps"][0], paths=[dict(p, **usual_path) for p in base["maps"][0]["paths"]])]
                + base["maps"][1:])
    out = []
    for dim in dimensions:
        if dim in PATH_CHOICES:
            out += [dict(base, maps=[dict(base["maps"][0], paths=[dict(p, **{dim: v}) for p in base["maps"][0]["paths"]])]
                         + base["maps"][1:]) for v in PATH_CHOICES[dim]]
        elif dim in MAP_CHOICES:
            out += [dict(base, maps=[dict(base["maps"][0], **{dim: v})] + base["maps"][1:]) for v in MAP_CHOICES[dim]]
        elif dim in TRUTH_CHOICES:
            out += [dict(base, truth=dict(base["truth"], **{dim: v})) for v in TRUTH_CHOICES[dim]]
        elif dim == "fault":
            out += [dict(base, fault=v) for v in FAULT_VALUES]
        elif dim == "between":
            out += [dict(base, fault=v) for v in FAULT_VALUES if v[0] in ("comes_back", "clock_jump")]
        elif dim == "approval":
            out += [dict(base, approval=v, unreviewed=u) for v in ("all", "first_unit", "nothing", "changed_after")
                    for u in (True, False)] + [dict(base, unreviewed=False)]
        elif dim == "loops":
            out += [dict(base, loops=[{"backing": v, "on": 0}]) for v in allowed(LOOP_BACKINGS)]
        elif dim == "closers":
            out += [dict(base, closers=[(kind, 0)]) for kind in ("loop", "map")]
        else:
            raise ValueError("no explicit examples for %r" % dim)
    return out


WORLDS = worlds()


def plain(world):
    """The same world without faults or approvals (the check-vs-real and locality invariants)."""
    return dict(world, fault=None, approval=None)


# ---------------------------------------------------------------------------------------------- world -> fake host
class World(object):
    """A FakeEnv holding `spec`, plus what is true there that the host does not show (`truth_of_*`)."""

    def __init__(self, spec, root):
        self.spec = spec
        self.root = root
        self.env = env = FakeEnv(root)
        for hctl in [d["hctl"] for d in env.disks.values()]:
            env.remove_disk(hctl)
        env.maps.clear()
        shutil.rmtree(os.path.join(env.root, "sys/block/dm-3"), ignore_errors=True)
        self.maps = []            # [{wwid, name, dm, dev, paths: [sd], ...spec}]
        self.first_probe = {}     # sd -> what its probe answered when the world was built (PATH_CHOICES probe)
        self.sd_openers = {}      # sd -> true opener kind
        self.hidden = {}          # map name -> opens no scan shows that are not a killed closer's
        self.closers_on = {}      # map name -> killed closers stuck on it
        self.mapped = set()       # map names the array maps to this host's initiator (ground truth)
        self.queued_before = {}
        self.procs = []
        self.mapped_back = set()  # map names whose LUN a change BETWEEN mapped back (ground truth from then on)
        self.changed_at = None    # (commands, sysfs writes) of the fake kernel when a change BETWEEN came
        self.changed_clock = None  # the host's clock then
        self.fault_in_restore = False  # the injected fault hit a command of a queueing restore
        self._build_maps()
        self._build_procs()
        self._build_host()
        self.truth = self._build_truth()
        for m in self.maps:
            self.queued_before[m["name"]] = env.maps[m["wwid"]]["queueing"]

    # --- the devices
    def _build_maps(self):
        env, used, n_sd = self.env, set(), 0
        for i, ms in enumerate(self.spec["maps"]):
            w = wwid(i)
            name = ms["odd_name"] or w
            dm, dev = "dm-%d" % (10 + i), "253:%d" % (10 + i)
            paths = []
            for p in ms["paths"]:
                host, lun = 4 + p["svm"], p["lun"]
                while (host, lun) in used:
                    lun += 1
                used.add((host, lun))
                sd = sd_name(n_sd)
                n_sd += 1
                hctl = "%d:0:0:%d" % (host, lun)
                d = disk(sd, hctl, "8:%d" % (16 * n_sd), w, map_name=name, serial=serial(i))
                cluster, svm, iqn, addr = SVMS[p["svm"]]
                d.update(holders=[dm], state=p["dev_state"], initiator=INIT, target_iqn=iqn,
                         target_portal="%s:3260" % addr)
                env.add_disk(d)
                self._node("/dev/" + sd, d["dev"])
                answer = {"own": serial(i), "other": serial(i, other=True), None: None}[p["answers_as"]]
                env.probes[sd] = probe_answer(p["probe"], answer)
                self.first_probe[sd] = p["probe"]
                if p["sd_opener"]:
                    self.sd_openers[sd] = p["sd_opener"]
                paths.append({"name": sd, "hctl": hctl, "dev": d["dev"], "dm_state": p["dm_state"],
                              "checker_state": p["checker"], "dev_state": p["dev_state"], "lun": lun,
                              "svm": p["svm"]})
            m = mpath(w, dm, dev, [], queueing=ms["queueing"])
            m.update(name=name, paths=[dict((k, v) for k, v in p.items() if k not in ("lun", "svm")) for p in paths])
            env.maps[w] = m
            env._file("sys/block/%s/dm/uuid" % dm, "mpath-" + w)
            env._file("sys/block/%s/dm/name" % dm, name)
            self._node("/dev/" + dm, dev)
            if ms["mounted"]:
                m["mountpoints"] = ["/srv/m%d" % i]
            if ms["holder"]:
                holder = "dm-%d" % (40 + i)
                env._file("sys/block/%s/dm/uuid" % holder, "LVM-vg%dlv" % i)
                env._file("sys/block/%s/dm/name" % holder, "vg%d-lv0" % i)
                m["holders"] = [holder]
            if ms["mapped"]:
                self.mapped.add(name)
            self.hidden[name] = ms["hidden"]
            self.closers_on[name] = 0
            self.maps.append(dict(ms, wwid=w, name=name, dm=dm, dev=dev, paths=paths, index=i))

    def _node(self, path, dev):
        full = os.path.join(self.root, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if not os.path.exists(full):
            major, minor = [int(x) for x in dev.split(":")]
            os.mknod(full, 0o600 | stat.S_IFBLK, os.makedev(major, minor))

    # --- the processes, as /proc shows them (read by the real observe.procs scanner)
    def _proc(self, pid, comm, target, layout):
        base = os.path.join(self.root, "proc", str(pid))
        os.makedirs(base, exist_ok=True)
        self.env._file("proc/%d/comm" % pid, comm + "\n")
        fdinfo = "pos:\t0\nflags:\t0100000\nmnt_id:\t25\nino:\t9\n"
        if layout in ("leader", "dup"):
            tables = [""]
        elif layout == "own_table_thread":    # unshare(CLONE_FILES) under a live leader
            tables = ["", "task/%d/" % (pid + 1)]
        else:                                 # the leader exited; a thread holds the files
            tables = ["task/%d/" % (pid + 1)]
            os.makedirs(os.path.join(base, "fd"), exist_ok=True)
            self.env._file("proc/%d/stat" % pid, "%d (%s) Z 1 %d %d 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 2 0 1\n"
                           % (pid, comm, pid, pid))
        for n, table in enumerate(tables):
            os.makedirs(os.path.join(base, table, "fd"), exist_ok=True)
            # the leader of an own-table thread holds a log file only; the thread holds the device
            link = "/var/log/app.log" if (layout == "own_table_thread" and n == 0) else target
            for fd in ("3", "4") if layout == "dup" else ("3",):   # dup(): two fds, one open file
                os.symlink(link, os.path.join(base, table, "fd", fd))
                self.env._file("proc/%d/%sfdinfo/%s" % (pid, table, fd), fdinfo)
        self.procs.append((pid, comm, target, layout))

    def _build_procs(self):
        pid = 3000
        for m in self.maps:
            kind = m["opener"]
            if kind:
                comm = HARMLESS if kind.startswith("harmless") else "postgres"
                layout = {"harmless_dup": "dup"}.get(kind, kind if "thread" in kind else "leader")
                self._proc(pid, comm, "/dev/" + m["dm"], layout)
                pid += 10
        for sd, kind in sorted(self.sd_openers.items()):
            self._proc(pid, "backup", "/dev/" + sd, kind)
            pid += 10
        seen = obs_procs.read_procs(self.root)
        by_dev = {}
        for p, info in sorted(seen.items()):
            for dev in info["devs"]:
                opener = {"pid": int(p), "comm": info["comm"], "files": info["files"].get(dev) or []}
                if (info.get("fds") or {}).get(dev, 1) > 1:
                    opener["fds"] = info["fds"][dev]
                by_dev.setdefault(dev, []).append(opener)
        for d in self.env.disks.values():
            d["openers"] = by_dev.get(d["dev"], [])
        for m in self.maps:
            live = self.env.maps[m["wwid"]]
            live["openers"] = by_dev.get(m["dev"], [])
            true_files = 1 if m["opener"] else 0
            live["open_count"] = true_files + m["hidden"] + len(live["holders"]) + len(live["mountpoints"])

    # --- the host section: killed closers, loop devices, every dm device's unseen opens
    def _build_host(self):
        env, closers = self.env, []
        loops = {}
        for k, lp in enumerate(self.spec["loops"]):
            name = "loop%d" % k
            facts = {"bound": lp["backing"] != "unbound", "size": "0" if lp["backing"] == "unbound" else "2048",
                     "backing_file": None if lp["backing"] == "unreadable" else "/var/lib/snapd/snaps/s%d.snap" % k,
                     "backing_on_network": {"nfs": True, "unreadable": None}.get(lp["backing"], False)}
            if lp["backing"] in ("on_map", "local_disk"):
                # what observe.sysfs.read_loop_backing reads: the file's filesystem device, its mount, the stack
                under = self.maps[lp["on"] % len(self.maps)] if lp["backing"] == "on_map" and self.maps else None
                dev = under["dev"] if under else "254:1"
                facts["backing"] = {"dev": dev, "device": False, "file_size": 2048 * 512, "offset": "0",
                                    "mount": {"dev": dev, "fstype": "ext4", "mountpoint": "/var/lib/snapd"},
                                    "stack": [{"name": under["dm"], "dm_uuid": "mpath-" + under["wwid"]}] if under
                                    else [{"name": "vda"}]}
                if under:
                    facts["waits_on"] = under["name"]   # ground truth only
            loops[name] = facts
        for n, (kind, k) in enumerate(self.spec["closers"]):
            if kind == "map" and self.maps:
                self.closers_on[self.maps[k % len(self.maps)]["name"]] += 1
            elif kind == "loop" and loops:
                loop = sorted(loops)[k % len(loops)]
                target = loops[loop].get("waits_on")
                if target is None and loops[loop]["backing_on_network"] is False:
                    continue   # a loop on a local disk that cannot wait: nobody stays stuck closing it
            else:
                continue
            closers.append({"pid": 9000 + n, "comm": "(udev-worker)", "frames": ["blkdev_close"]})
        unaccounted = {}
        for m in self.maps:
            live = env.maps[m["wwid"]]
            live["open_count"] += self.closers_on[m["name"]]
            seen = obs_users.open_files(live["openers"]) + len(live["holders"]) + len(live["mountpoints"])
            unaccounted[m["dm"]] = {"name": m["name"], "open_count": live["open_count"],
                                    "unaccounted": max(0, live["open_count"] - seen)}
        other_blocks = dict((n, dict((k, v) for k, v in f.items() if k != "waits_on")) for n, f in loops.items())
        env.snapshot_extra = {
            "host": {"iscsi_iqn": INIT, "initiators": [INIT], "fc_wwpns": [], "exiting_tasks": closers,
                     "dm_unaccounted": unaccounted, "unread_disks": [], "unread_pieces": [],
                     "uncounted_block_devices": obs_users.uncounted_block_devices(other_blocks)},
            "iscsi_sessions": [{"session": "session%d" % (3 + s), "sid": 3 + s, "host": 4 + s, "target": SVMS[s][2],
                                "portal": "%s:3260" % SVMS[s][3], "initiator": INIT, "iface": "default",
                                "state": "LOGGED_IN"} for s in (0, 1)],
        }

    # --- the array truth as fetched
    def _build_truth(self):
        t = self.spec["truth"]
        now = self.env.clock()
        collected = {"fresh": now - 10, "old": now - MAX_AGE - 100, None: None, "nan": float("nan"),
                     "inf": float("inf"), "-inf": float("-inf"), "future": now + 10 ** 6,
                     "almost_old": now - MAX_AGE + 0.5}[t["collected"]]
        reads = t["initiators"] or []
        records = []
        for m in self.maps:
            svm = m["paths"][0]["svm"]
            lun = m["paths"][0]["lun"]
            cluster, svm_name = SVMS[svm][0], SVMS[svm][1]
            groups = []
            if m["mapped"]:
                groups.append([INIT, OTHER_INIT] if m.get("shared_igroup") else [INIT])
            if m["mapped_to_other_only"]:
                groups.append([OTHER_INIT])
            for g in groups:
                if "*" in reads or any(i.lower() == x.lower() for i in reads for x in g):
                    records.append(self._record(cluster, svm_name, wwid(m["index"]), serial(m["index"]), lun, g,
                                                collected))
            if m["other_lu_at_lun"]:
                records.append(self._record(cluster, svm_name, wwid(m["index"], True), serial(m["index"], True),
                                            lun, [INIT], collected))
        records = [r for r in records if self._svm_index(r["svm"]) in t["covered"]]
        if t["empty"]:
            records = []
        targets = [{"cluster": SVMS[s][0], "svm": SVMS[s][1], "iscsi_target_names": [SVMS[s][2]],
                    "iscsi_addresses": [SVMS[s][3]], "fc_wwpns": []} for s in t["covered"]]
        if t["duplicate"] and 1 in t["covered"]:   # identity-preserving DR: svm_b lists svm_a's target and LIF
            targets[-1]["iscsi_target_names"].append(SVMS[0][2])
            targets[-1]["iscsi_addresses"].append(SVMS[0][3])
        problems = [{"cluster": "c2", "svm": None, "kind": "lookup_failed", "msg": "timeout"}] if t["problems"] else []
        return {"luns": records, "targets": targets, "problems": problems, "initiators": t["initiators"],
                "collected_at": collected}

    @staticmethod
    def _svm_index(name):
        return [s[1] for s in SVMS].index(name)

    @staticmethod
    def _record(cluster, svm, w, ser, lun, inits, collected):
        rec = {"cluster": cluster, "svm": svm, "path": "/vol/v/%s" % ser, "serial": ser, "wwid": w, "lun_id": lun,
               "igroup": "ig", "igroup_protocol": "iscsi", "igroup_initiators": list(inits), "state": "online"}
        if collected is not None:
            rec["collected_at"] = collected
        return rec

    # --- options of the module (its argument spec's defaults)
    def params(self, approved=None):
        spec = stale_cleanup.argument_spec()
        p = dict((k, v.get("default")) for k, v in spec.items())
        p.update(array_truth=self.truth, force_remove=self.spec["force_remove"], truth_max_age=MAX_AGE,
                 approved_plan=approved, allow_unreviewed=self.spec.get("unreviewed", True))
        return p


# ---------------------------------------------------------------------------------------------- the run
class Touches(object):
    """What reached the fake kernel, by map name / sd name."""

    def __init__(self, world, since=(0, 0)):
        """Every touch, or those after `since` (commands, sysfs writes: World.changed_at)."""
        self.world = world
        env = world.env
        names = dict((m["wwid"], m["name"]) for m in world.maps)
        self.queueing_off, self.flushed, self.deleted, self.flushbufs = set(), set(), set(), set()
        for argv in env.commands[since[0]:]:
            if argv[:2] == ["multipathd", "disablequeueing"]:
                self.queueing_off.add(self._map(argv[3]))
            elif argv[:2] == ["dmsetup", "message"] and argv[-1] == "fail_if_no_path":
                self.queueing_off.add(names.get(argv[3][len("mpath-"):]))
            elif argv[:2] == ["multipath", "-f"]:
                self.flushed.add(self._map(argv[2]))
            elif argv[:2] == ["dmsetup", "remove"]:
                self.flushed.add(names.get(argv[-1][len("mpath-"):]))
            elif argv[:2] == ["blockdev", "--flushbufs"]:
                self.flushbufs.add(os.path.basename(argv[2]))
        for kind, args in env.writes[since[1]:]:
            if kind == "delete":
                self.deleted.add(args[2])

    def _map(self, key):
        for m in self.world.maps:
            if key in (m["name"], m["dm"], m["wwid"]):
                return m["name"]
        return key

    def touched(self, m):
        """Every touch of map `m` (a world map) or its paths."""
        sds = set(p["name"] for p in m["paths"])
        return ({"disable_queueing"} if m["name"] in self.queueing_off else set()) | (
            {"flush"} if m["name"] in self.flushed else set()) | (
            {"delete"} if sds & self.deleted else set()) | ({"flushbufs"} if sds & self.flushbufs else set())

    def removing(self):
        return self.flushed | self.deleted | self.flushbufs


class Outcome(object):
    def __init__(self):
        self.error = None        # what ended the run early (InvalidInput, ExecutionError, a BaseException)
        self.san = None
        self.plan = None
        self.selected = []
        self.executed = []
        self.artifact = None
        self.touches = None
        self.act_time = None
        self.after_change = None  # Touches since a change BETWEEN came (None: it never came)
        self.batches = 0          # batches the act ran
        self.gate = None          # what the module's approval gate said (plan.approval.run_approval)


def _fault_runner(world, fault):
    """The fake host's runner with the world's behaviour (a killed closer exits once its map stops queueing) and the
    fault (an error, SIGINT or SIGTERM at the n-th command)."""
    env = world.env
    real = env.run
    count = [0]

    def run(argv, timeout, what=None, data=None):
        argv = [str(a) for a in argv]
        count[0] += 1
        res = real(argv, timeout, what, data)
        if fault and fault[0] in ("error", "interrupt", "sigterm") and count[0] == fault[1] + 1:
            # a fault in a command of a restore is a restore that failed: what the report must then say
            world.fault_in_restore = bool(getattr(env.host_ctx, "restoring", False))
            if fault[0] == "error":
                raise RuntimeError("injected failure after %s" % " ".join(argv))
            if fault[0] == "interrupt":
                raise KeyboardInterrupt()
            env.host_ctx.interrupted = "SIGTERM"   # what the act's SIGTERM handler does
        if argv[:2] == ["multipathd", "disablequeueing"]:
            for m in world.maps:
                live = env.maps.get(m["wwid"])
                if live is not None and argv[3] in (m["name"], m["dm"]) and world.closers_on[m["name"]]:
                    live["open_count"] -= world.closers_on[m["name"]]   # their queued close fails: they exit
                    world.closers_on[m["name"]] = 0
        return res
    return run


def _apply_between(world, fault):
    """A change BETWEEN: a LUN mapped back (its paths that are still there work and answer as its own LU again,
    its map too if not flushed yet), or time passing. Notes when it came (World.changed_at, changed_clock)."""
    env = world.env
    world.changed_at = (len(env.commands), len(env.writes))
    if fault[0] == "comes_back" and world.maps:
        # one of the maps a plan may remove (the anchor, mapped all along, is never one)
        candidates = [m for m in world.maps if not m.get("shared_igroup")] or world.maps
        m = candidates[fault[1] % len(candidates)]
        world.mapped_back.add(m["name"])
        live = env.maps.get(m["wwid"])
        answer = fault[3]
        for p in live["paths"] if live is not None else []:
            if answer == "ready":      # multipathd's checker ran since: the kernel reinstated the paths
                p.update(dm_state="active", checker_state="ready", dev_state="running")
            elif answer == "checker_up":   # its checker says ready, dm not reinstated yet
                p.update(checker_state="ready")
        for sd in [p["name"] for p in m["paths"] if p["name"] in env.disks]:
            env.probes[sd] = probe_answer({"ready": "ready", "checker_up": "transport_failure"}.get(answer, answer),
                                          serial(m["index"]) if answer == "ready" else None)
            env.disks[sd]["state"] = "running"
    elif fault[0] == "clock_jump":
        env.clock.now += MAX_AGE + 60
    world.changed_clock = env.clock()


class _ChangeAfterBatch(list):
    """ActContext.batches (execute() appends each batch when it ends) that brings the change BETWEEN after the
    act's n-th batch, before the next one starts."""

    def __init__(self, world, fault):
        super(_ChangeAfterBatch, self).__init__()
        self.world, self.fault = world, fault

    def append(self, item):
        super(_ChangeAfterBatch, self).append(item)
        if len(self) == self.fault[2]:
            _apply_between(self.world, self.fault)


def _between(world, host, fault):
    """The world's change BETWEEN, before the act or after its n-th batch."""
    if not fault or fault[0] not in ("comes_back", "clock_jump"):
        return
    if fault[2]:
        host.batches = _ChangeAfterBatch(world, fault)
    else:
        _apply_between(world, fault)


def host_for(world):
    env = world.env
    host = env.host(command_timeout=10.0, flush_timeout=60.0, wait_timeout=30.0,
                    wwids_file="/etc/multipath/wwids", allow_non_san=False, workers=1, wall=env.clock)
    env.host_ctx = host
    return host


def run(world, check=False, approved=None):
    """The functions stale_cleanup's main() calls, in its order, on the world. Returns an Outcome."""
    out = Outcome()
    env = world.env
    p = world.params(approved)
    fault = None if check else world.spec.get("fault")
    host = host_for(world)
    try:
        out.gate = approval.run_approval(check, p["phases"], p["approved_plan"], p["allow_unreviewed"])
        truth = run_cleanup.checked_truth(p)
        approval.check_host(p["approved_plan"], THIS_HOST)
        out.san, out.plan = run_cleanup.query_and_decide(
            p, host, lambda: judge_facts.collect(host.reader, truth, p["array_wwid_prefixes"], probe=True))[:2]
        plan = out.plan
        if p["approved_plan"] is not None:
            plan = run_cleanup.approve(plan, out.san, p["approved_plan"])[0]
        out.selected = run_cleanup.selected_steps(p["phases"], out.san, plan)[0]
        out.artifact = approval.plan_artifact(out.selected, out.san, THIS_HOST, time.time(),
                                              plan["mismatches"])
    except validate.InvalidInput as exc:
        out.error = exc
        out.touches = Touches(world)
        return out
    if check:
        out.touches = Touches(world)
        return out
    _between(world, host, fault)
    host.run = _fault_runner(world, fault)
    host.truth_times = {"scsi": (truth or {}).get("collected_at")}
    host.truth_max_age = p["truth_max_age"]
    out.act_time = env.clock()
    try:
        out.executed = execute.execute(out.selected, host) if out.selected else []
    except act_context.ExecutionError as exc:
        out.error, out.executed = exc, exc.executed
    except BaseException as exc:  # pylint: disable=broad-except  # a signal or an error the act let escape
        out.error = exc
    out.touches = Touches(world)
    out.batches = len(host.batches)
    if world.changed_at is not None:
        out.after_change = Touches(world, world.changed_at)
    return out


class Sandbox(object):
    """A fresh temporary root per world (Hypothesis runs many examples per test function)."""

    def __enter__(self):
        self.root = tempfile.mkdtemp(prefix="house-rules-")
        return self

    def world(self, spec, name="w"):
        root = os.path.join(self.root, name)
        os.makedirs(root)
        return World(spec, root)

    def __exit__(self, *exc):
        shutil.rmtree(self.root, ignore_errors=True)


def finite(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
