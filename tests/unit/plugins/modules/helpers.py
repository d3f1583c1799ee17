# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re
import time

import pytest
from ansible.module_utils import basic

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Wwid
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info, stale_cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, WWID2, disk, mpath)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import healthy_lab


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """The healthy two-map tree as this host; programs found by their bare name, lvmconfig not installed."""
    t = healthy_lab(tmp_path).commands()
    monkeypatch.setattr(read, "reader_for", lambda params: t.reader(command_timeout=params["command_timeout"]))
    installed = {"dmsetup", "pvs"}
    monkeypatch.setattr(lvm_filter_info.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: name if name in installed else None)
    t.installed = installed
    return t


def conf(tmp_path, text):
    path = tmp_path / "lvm.conf"
    path.write_text(text)
    return str(path)


FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "config")


with open(os.path.join(FIX, "multipathd-show-config-0.9.4.txt")) as _f:
    SHOW_CONFIG = _f.read()


NETAPP_BLOCK = ('\t\tvendor "NETAPP"\n\t\tproduct "LUN"\n\t\tpath_grouping_policy "group_by_prio"\n'
                '\t\tfeatures "2 pg_init_retries 50"\n\t\tprio "ontap"\n\t\tfailback "immediate"\n'
                '\t\tno_path_retry "queue"\n\t\tflush_on_last_del "yes"\n\t\tdev_loss_tmo "infinity"\n')


FIXED_CONFIG = SHOW_CONFIG.replace(
    NETAPP_BLOCK, NETAPP_BLOCK.replace('no_path_retry "queue"', "no_path_retry 30")
    .replace('dev_loss_tmo "infinity"', "dev_loss_tmo 60")).replace('recheck_wwid "no"', 'recheck_wwid "yes"')


WWIDS = ["3600a098038304c61622d3030312b4162", "3600a098038304c61622d3030322b4162"]


TABLE_QUEUE = "".join("%s: 0 65536 multipath 3 queue_if_no_path pg_init_retries 50 1 alua 1 1 service-time 0 2 2 "
                      "8:16 1 1 8:80 1 1\n" % w for w in WWIDS)


TABLE_LIO = "360014055a1a00000000400080005a1ab: 0 16384 multipath 0 1 alua 1 1 service-time 0 2 2 8:0 1 1 8:64 1 1\n"


def show_maps(queueing, per_map=None):
    lines = ["%s|%s|dm-%d|%s|2|NETAPP,LUN C-Mode" % (w, w, i, (per_map or {}).get(w, queueing))
             for i, w in enumerate(WWIDS)]
    lines.append("360014055a1a00000000400080005a1ab|360014055a1a00000000400080005a1ab|dm-9|off|2|LIO-ORG,FILEIO")
    return "\n".join(lines) + "\n"


def dm_status(dead, garbled=()):
    lines = []
    for w in WWIDS + ["360014055a1a00000000400080005a1ab"]:
        state = "F" if w in dead else "A"
        line = "%s: 0 65536 multipath 2 0 0 0 1 1 A 0 2 2 8:16 %s 0 0 1 8:80 %s 0 0 1\n" % (w, state, state)
        lines.append(line.replace(" 0 0 1 8:80", " x 0 1 8:80") if w in garbled else line)
    return "".join(lines)


class FakeHost(object):
    """multipath-tools as seen through deadline.run: the daemon runs `running`, multipath -t reads the file."""

    def __init__(self, path):
        self.path = path
        self.running = SHOW_CONFIG
        self.queueing = "on"
        self.calls = []
        self.hang = set()
        self.after_restart = None  # (running, queueing)
        self.active = "active"     # systemctl is-active
        self.dead = set()          # maps whose every path the kernel has failed (dmsetup status: F)
        self.status_answers = True
        self.status_garbled = set()  # maps whose dmsetup status line does not parse
        self.reconfigure_reply = "ok"
        self.map_queueing = {}     # per map, over `queueing`
        self.keep_unadopted = True  # reconfigure leaves a map with no usable path unmanaged ("-"), as 0.9.4 did
        self.local = []
        self.daemon_polls = 0
        # multipath -h of bookworm's 0.9.4: version line and usage on stderr
        self.help = ("multipath-tools v0.9.4 (01/01, 2023)\nUsage:\n"
                     "  multipath [-v level] [-B|-d|-i|-q|-r] [-b file] [-p policy] [device]\n")

    def call(self, fn, args=(), timeout=None, what=None):
        """The forked sysfs reads of the local disks: the listing, then the disks by name; the file's write."""
        if fn.__name__ == "_write_synced":
            return fn(*args)
        if fn.__name__ == "read_block_names":
            return ["sr0"] + [d["name"] for d in self.local]
        assert fn.__name__ == "read_local_disks", fn.__name__
        if self.hang & set(args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return dict((d["name"], d) for d in self.local if d["name"] in args[1])

    def configured(self):
        # a good-enough model of multipath -t: the fixed config once the file carries the fix
        text = open(self.path, errors="surrogateescape").read() if os.path.exists(self.path) else ""
        out = FIXED_CONFIG if re.search(r"no_path_retry\s+30", text) else SHOW_CONFIG
        uxsock = re.search(r"uxsock_timeout\s+(\d+)", text)
        return out.replace("uxsock_timeout 4000", "uxsock_timeout " + uxsock.group(1)) if uxsock else out

    def run(self, argv, timeout, what=None, data=None):
        cmd = os.path.basename(argv[0]) + " " + " ".join(argv[1:])
        self.calls.append(cmd)
        if cmd in self.hang:
            raise deadline.DeadlineExceeded(what or cmd, timeout)

        def ok(out):
            return deadline.CommandResult(argv, 0, out, "", 0.01)

        if cmd == "multipathd show config":
            return ok(self.running)
        if cmd == "multipath -t":
            return ok(self.configured())
        if cmd.startswith("multipathd show maps raw format"):
            return ok(show_maps(self.queueing, self.map_queueing))
        if cmd == "dmsetup table --target multipath":
            return ok(TABLE_LIO + (TABLE_QUEUE if self.queueing else TABLE_QUEUE))
        if cmd in ("systemctl restart multipathd.service", "systemctl start multipathd.service"):
            self.running, self.queueing = self.after_restart or (self.configured(), "30 chk")
            return ok("")
        if cmd == "multipathd reconfigure":
            if self.reconfigure_reply == "ok":
                self.running, self.queueing = self.after_restart or (self.configured(), "30 chk")
                # 0.9.4: a map none of whose paths is usable is kept as it is, its queueing unmanaged ("-")
                self.map_queueing = dict((w, "-") for w in self.dead if self.keep_unadopted)
            return ok(self.reconfigure_reply + "\n")
        if cmd == "systemctl is-active multipathd.service":
            return deadline.CommandResult(argv, 0 if self.active == "active" else 3, self.active + "\n", "", 0.01)
        if cmd == "dmsetup status --target multipath":
            if not self.status_answers:
                return deadline.CommandResult(argv, 1, "", "dm error", 0.01)
            return ok(dm_status(self.dead, self.status_garbled))
        if cmd == "multipathd show daemon":
            self.daemon_polls += 1
            return ok("pid 1234 configure\n" if self.daemon_polls == 1 else "pid 1234 idle\n")
        if cmd.startswith("multipath -c"):
            return deadline.CommandResult(argv, 1, "", "", 0.01)
        if cmd == "multipath -h":
            return deadline.CommandResult(argv, 0, "", self.help, 0.01)
        raise AssertionError("unexpected command %s" % cmd)


@pytest.fixture
def host(monkeypatch, tmp_path):
    fake = FakeHost(str(tmp_path / "multipath.conf"))
    monkeypatch.setattr(deadline, "run", fake.run)
    monkeypatch.setattr(deadline, "call", fake.call)
    real = basic.AnsibleModule.get_bin_path

    def get_bin_path(self, name, required=False, opt_dirs=None):
        if name in ("multipath", "multipathd", "dmsetup", "systemctl"):
            return "/sbin/" + name
        return real(self, name, required=required, opt_dirs=opt_dirs)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    monkeypatch.setattr(time, "sleep", lambda s: None)  # the settling loop's pauses
    return fake


# --- how the settings reach multipathd ---------------------------------------------------------------------------------
# A stopping multipathd with queue_without_daemon no (the default) turns queueing off on every map: a map with no
# active path fails its queued I/O at once. So the fix reconfigures, and a stop/restart waits for the paths.

def fixed(host):
    host.running, host.queueing = FIXED_CONFIG, "30 chk"
    host.after_restart = (FIXED_CONFIG, "30 chk")


@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def _t10_map(env):
    t10 = Wwid("t10.LIO-ORG_block_1")       # as the reader builds it from the dm uuid
    env.add_disk(disk("sde", "4:0:0:2", "8:64", t10, map_name=t10))
    env.add_disk(disk("sdg", "5:0:0:2", "8:96", t10, map_name=t10))
    env.maps[t10] = mpath(t10, "dm-4", "253:4", ["sde", "sdg"])
    env._file("sys/block/dm-4/dm/uuid", "mpath-" + t10)
    env._file("sys/block/dm-4/dm/name", t10)
    return t10


# two LUs whose t10 vendor-specific ids differ only in case (distinct to the kernel and to multipath)
UPPER, LOWER = Wwid("t10.VEND Abc"), Wwid("t10.VEND abc")     # "1VEND_Abc", "1VEND_abc"


NEW = "3600a098038304c61622d3030312b4162"


OTHER = "360014055a1a00000000400080005a1ab"


STALE = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID},
         {"kind": "stale_unmapped", "object": "disk", "name": "sdf", "wwid": WWID2}]


@pytest.fixture
def looks(monkeypatch):
    """looks(*snapshots): the query stage returns these judged snapshots, one per look (a callable is called with
    the reader). Returns the list of looks taken."""
    def install(*snapshots):
        taken = []

        def observe(module, reader, truth):
            snap = snapshots[min(len(taken), len(snapshots) - 1)]
            snap = snap(reader) if callable(snap) else copy.deepcopy(snap)
            taken.append(snap)
            return snap
        monkeypatch.setattr(stale_cleanup, "observe", observe)
        return taken
    return install


def judged(verdicts=None, then=None):
    """The fake host's own snapshot, probed as the reader probes a map that is not healthy, with verdicts; `then`
    changes the host after the look (between plan and act)."""
    def look(reader):
        snap = reader.snapshot()
        snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
        for m in snap["maps"].values():
            m["probe"] = dict((p["name"], reader.probe_path(p["name"])) for p in m["paths"])
        snap["verdicts"] = copy.deepcopy(STALE if verdicts is None else verdicts)
        snap["errors"] = []
        if then:
            then()
        return snap
    return look


def pairs(steps):
    return [(s["action"], s["target"]) for s in steps]


# ------------------------------------------------------------------------------------- a hand-made host: the plan
def a_map(wwid, dm, paths, state="active", **kw):
    m = {"name": wwid, "wwid": wwid, "dm": dm, "dev": "253:%s" % dm[3:], "queueing": True, "open_count": 0,
         "holders": [], "mountpoints": [], "openers": [], "swap": False,
         "paths": [{"name": p, "dm_state": state} for p in paths], "probe": {}}
    m.update(kw)
    return m


def a_disk(name, hctl, dev, wwid, dm=None, **kw):
    d = {"name": name, "hctl": hctl, "dev": dev, "wwid": wwid, "serial": "0" + wwid[9:], "transport": "iscsi",
         "holders": [dm] if dm else [], "mountpoints": [], "swap": False, "openers": [], "map": wwid if dm else None,
         "state": "running", "lun": int(hctl.split(":")[3])}
    d.update(kw)
    return d


def san(at=1000.0):
    gone = {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}}
    return {
        "collected_at": at, "errors": [],
        "array": {"records": 2, "targets": [], "problems": [], "collected_at": at - 10},
        "host": {"iscsi_iqn": "iqn.2024-01.lab.san:initiator", "fc_wwpns": []},
        "maps": {WWID: a_map(WWID, "dm-3", ["sdc", "sdd"], state="failed", probe=gone),
                 WWID2: a_map(WWID2, "dm-4", ["sde", "sdf"]),
                 OTHER: a_map(OTHER, "dm-5", ["sdg", "sdh"], state="failed",
                              probe={"sdg": {"result": "lun_not_supported"}, "sdh": {"result": "lun_not_supported"}})},
        "disks": {"sdc": a_disk("sdc", "4:0:0:1", "8:32", WWID, "dm-3"),
                  "sdd": a_disk("sdd", "5:0:0:1", "8:48", WWID, "dm-3"),
                  "sde": a_disk("sde", "4:0:0:2", "8:64", WWID2, "dm-4"),
                  "sdf": a_disk("sdf", "5:0:0:2", "8:80", WWID2, "dm-4"),
                  "sdg": a_disk("sdg", "4:0:0:0", "8:96", OTHER, "dm-5"),
                  "sdh": a_disk("sdh", "5:0:0:0", "8:112", OTHER, "dm-5")},
        "verdicts": [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID},
                     {"kind": "healthy", "object": "map", "name": WWID2, "wwid": WWID2},
                     {"kind": "unknown_array", "object": "map", "name": OTHER, "wwid": OTHER}],
    }


@pytest.fixture
def plan(run, looks):
    """plan(args, *snapshots): the module in check mode over hand-made judged snapshots."""
    def call(args, *snapshots):
        looks(*(snapshots or (san(),)))
        return run(args, check=True)
    return call
