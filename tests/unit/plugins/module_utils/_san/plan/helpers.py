# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import WWID, WWID2


def a_map(**kw):
    m = {"name": WWID, "wwid": WWID, "dm": "dm-3", "dev": "253:3", "queueing": True, "open_count": 0,
         "holders": [], "mountpoints": [], "openers": [], "swap": False,
         "paths": [{"name": "sdc"}, {"name": "sdd"}]}
    m.update(kw)
    return m


def a_disk(name="sdc", hctl="4:0:0:1", dev="8:32", wwid=WWID, **kw):
    d = {"name": name, "hctl": hctl, "dev": dev, "wwid": wwid, "serial": "80Ab" + wwid[-8:], "transport": "iscsi",
         "holders": [], "mountpoints": [], "swap": False, "openers": [], "map": None, "state": "running"}
    d.update(kw)
    return d


LNS_PROBES = {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}}


def dead_map(**kw):
    paths = [{"name": "sdc", "dm_state": "failed"}, {"name": "sdd", "dm_state": "failed"}]
    kw.setdefault("probe", LNS_PROBES)
    return a_map(paths=paths, openers=[{"pid": 31, "comm": "dd"}], open_count=1, **kw)


# ---------------------------------------------------------------------------------------------- killed closers
CLOSER = {"pid": 402, "comm": "(udev-worker)", "frames": ["blkdev_close", "blkdev_put", "blkdev_flush_mapping"]}


STALE = {"kind": "stale_unmapped", "object": "map"}


def closing_snapshot(closers, open_count=1, **change):
    """A dead unmapped map (every path failed and LOGICAL UNIT NOT SUPPORTED) held open by nobody the /proc scan
    sees, on a host with `closers` (exiting tasks inside a block device's last close)."""
    snap = snapshot()
    snap["host"] = {"exiting_tasks": closers}
    snap["maps"][WWID].update(dict({"paths": [{"name": "sdc", "dm_state": "failed"},
                                              {"name": "sdd", "dm_state": "failed"}],
                                    "openers": [], "open_count": open_count}, **change))
    return snap


def counted(snap, **other_dm):
    """The snapshot with host.dm_unaccounted as observe.snapshot.assemble counts it from its maps (kernel names as the
    keys), plus `other_dm` ({dm-N: unaccounted opens}: devices that are not multipath maps)."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users
    host = snap.setdefault("host", {})
    host.setdefault("uncounted_block_devices", [])  # no nvme, nbd, md, loop, ... whose I/O can wait
    host["dm_unaccounted"] = dict(
        (m["dm"], {"name": m["name"], "open_count": m.get("open_count"),
                   "unaccounted": None if m.get("openers_unknown") else users.unaccounted_opens(
                       m.get("open_count"), m.get("openers"), [h["name"] if isinstance(h, dict) else h
                                                               for h in m.get("holders") or []],
                       bool(m.get("mountpoints")), m.get("swap"))})
        for m in snap["maps"].values())
    for kname, n in other_dm.items():
        host["dm_unaccounted"][kname] = {"name": kname, "open_count": n, "unaccounted": n}
    return snap


def plan(snap, verdicts, **other_dm):
    return cleanup.plan_cleanup(counted(snap, **other_dm), verdicts)


# ---------------------------------------------------------------------------------------------- host cleanup
def snapshot(at=1000.0, probes=None):
    m = a_map(paths=[{"name": "sdc"}, {"name": "sdd"}],
              probe=probes or {"sdc": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}})
    healthy = a_map(name=WWID2, wwid=WWID2, dm="dm-4", dev="253:4", paths=[{"name": "sde"}])
    return {"collected_at": at,
            "array": {"records": 1, "targets": [], "problems": [], "collected_at": at - 10},
            "maps": {WWID: m, WWID2: healthy},
            "disks": {"sdc": a_disk(map=WWID, holders=["dm-3"]),
                      "sdd": a_disk("sdd", "5:0:0:1", "8:48", map=WWID, holders=["dm-3"]),
                      "sde": a_disk("sde", "4:0:0:2", "8:64", wwid=WWID2, map=WWID2, holders=["dm-4"]),
                      "sdf": a_disk("sdf", "4:0:0:5", "8:80", wwid="3600a0980aaaa")}}
