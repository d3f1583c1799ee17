# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""san_snapshot.assemble split into named functions (issue 30) gives the same snapshot as before, for every input
the captured fixture trees give it.

`reference_assemble` is assemble as it was at 779c658 (268 lines), copied verbatim: only its name changed. Every
captured tree (three Debian generations, iSCSI and FC) is read through san_read.Host with assemble recorded, the
way snapshot(), view(), disk() and map() call it; each recorded call, and variants of it with one input missing
(what a reader that ran out of time hands over), goes through both and must give equal snapshots.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import glob
import os
import tarfile
import tempfile

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot as san_snapshot
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.snapshot import (  # noqa: F401 (the copy's names)
    DM_RE, HCTL_RE, SD_RE, _clean_name, _dev_index, _dev_name_from_path, _dm_unaccounted, _kernel_iqn, _mark_users,
    _path_identity, _unread, fc_rports, map_wwid, multipath_wwid, to_int, transport_of, uncounted_block_devices,
    vpd80_serial)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    CapturedRun, healthy_lab, inline_call)

time = san_snapshot.time

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
ARCHIVES = sorted(os.path.relpath(p, FIXTURES) for p in glob.glob(os.path.join(FIXTURES, "*.tar.gz"))
                  + glob.glob(os.path.join(FIXTURES, "*", "*.tar.gz")))


# ---------------------------------------------------------------------------------- the reference (verbatim)


def reference_assemble(raw, dm_info=None, dm_table=None, dm_status=None, mpd=None, multipathd_running=False,
                       collected_at=None, errors=None):
    """Build the `san` snapshot (without probes, findings, verdicts) from what was read."""
    errors = list(errors or [])
    by_name, by_dev = _dev_index(raw)
    dms = dict((n, d) for n, d in (raw.get("dm") or {}).items() if d)
    dm_by_dmname = dict((d.get("dm_name"), n) for n, d in dms.items() if d.get("dm_name"))
    if dm_info:
        for name, info in dm_info.items():
            kname = by_dev.get(info["dev"])
            if kname and name not in dm_by_dmname:
                dm_by_dmname[name] = kname

    # who holds what open
    openers_by_dev = {}
    for pid, proc in sorted((raw.get("procs") or {}).items(), key=lambda kv: int(kv[0])):
        devs = list(proc.get("devs") or [])
        files = proc.get("files")
        keys = dict((dev, list(files.get(dev) or [])) for dev in devs) if files is not None else None
        for n in proc.get("names") or []:
            kname = _dev_name_from_path(n, dm_by_dmname)
            if kname and by_name.get(kname):
                devs.append(by_name[kname])
                if keys is not None:
                    keys.setdefault(by_name[kname], []).extend(files.get(n) or [])
        for dev in dict.fromkeys(devs):  # once per device and process: a node and its /dev name can both name it
            entry = {"pid": int(pid), "comm": proc.get("comm")}
            if (proc.get("fds") or {}).get(dev, 1) > 1:
                entry["fds"] = proc["fds"][dev]  # fds, not opens: dup'd fds share one open file
            if keys is not None:
                # what tells its open files apart (san_read.open_file_key): the open count holds one per open file
                entry["files"] = sorted(set(keys.get(dev) or []))
            openers_by_dev.setdefault(dev, []).append(entry)
    mounts = (raw.get("mounts") or {}).get("mountinfo") or []
    mounts_by_dev = {}
    for m in mounts:
        mounts_by_dev.setdefault(m["dev"], []).append(m["mountpoint"])
        if m.get("source_dev") and m["source_dev"] != m["dev"]:  # btrfs: 0:N, the source is the device
            mounts_by_dev.setdefault(m["source_dev"], []).append(m["mountpoint"])
    kernel_by_dev = {}
    for u in raw.get("kernel_users") or []:
        dev = u.get("dev") or by_name.get(u.get("devname") or "")
        if dev:
            kernel_by_dev.setdefault(dev, []).append(dict((k, v) for k, v in u.items() if k not in ("dev", "devname")))
    openers_unknown = None
    if raw.get("procs") is None:
        openers_unknown = "the /proc/*/fd scan did not finish"
    elif raw.get("procs_unreadable"):
        openers_unknown = "/proc/PID/fd unreadable for %s" % ", ".join(
            "pid %s (%s): %s" % (u.get("pid"), u.get("comm"), u.get("error")) for u in raw["procs_unreadable"][:5])
    if raw.get("kernel_users") is None and openers_unknown is None:
        openers_unknown = "the read of kernel users (loop, LIO, btrfs) did not finish"
    if (raw.get("mounts") or {}).get("mountinfo") is None:
        errors.append({"what": "/proc/self/mountinfo", "msg": "not read: no device can be shown unmounted"})
        openers_unknown = openers_unknown or "the mount table (/proc/self/mountinfo) was not read"

    def kernel_users(devs):
        out = []
        for dev in devs:
            for u in kernel_by_dev.get(dev, []):
                if u not in out:
                    out.append(u)
        return out
    swap_devs = set()
    for s in (raw.get("mounts") or {}).get("swaps") or []:
        kname = _dev_name_from_path(s, dm_by_dmname)
        if kname and by_name.get(kname):
            swap_devs.add(by_name[kname])

    def usage(devs_self, devs_below):
        """mountpoints/swap over self+below; openers of self (+ below, marked via)."""
        mps, sw, ops = [], False, {}
        for dev, via in [(d, None) for d in devs_self] + list(devs_below):
            for mp in mounts_by_dev.get(dev, []):
                if mp not in mps:
                    mps.append(mp)
            if dev in swap_devs:
                sw = True
            for op in openers_by_dev.get(dev, []):
                o = dict(op)
                if via:
                    o["via"] = via
                    o.pop("files", None)  # open files of the holder, not of this device
                # one entry per (pid, via, fds): a dict, not a list search, for hosts where hundreds of database
                # processes each hold every LUN
                ops.setdefault((o["pid"], via or "", o.get("fds"), o.get("comm")), o)
        return mps, sw, [ops[k] for k in sorted(ops, key=lambda k: (k[0], k[1]))]

    # maps (kernel truth: dm devices with an mpath- uuid)
    maps = {}
    kname_to_wwid = {}
    tables, statuses = dm_table or {}, dm_status or {}
    mpd = mpd or {}
    for kname, d in sorted(dms.items()):
        wwid = map_wwid(d.get("uuid"))
        if wwid is None:
            continue
        mname = d.get("dm_name") or wwid
        kname_to_wwid[kname] = wwid
        table = tables.get(mname)
        status = statuses.get(mname)
        mpd_map = mpd.get(mname) or mpd.get(wwid) or {}
        # paths: the LOADED table (multipathd runs ahead of it: lab finding 11); sysfs slaves otherwise
        path_devs = []
        if table:
            for g in table["groups"]:
                path_devs.extend(g["paths"])
        else:
            path_devs = [by_name.get(s) or s for s in d.get("slaves") or []]
        st_by_dev = {}
        if status:
            for g in status["groups"]:
                for p in g["paths"]:
                    st_by_dev[p["dev"]] = dict(p, group_state=g["state"])
        paths = []
        for pdev in path_devs:
            pname = by_dev.get(pdev) if ":" in pdev else pdev
            pdev_num = pdev if ":" in pdev else by_name.get(pdev)
            sd = (raw.get("sd") or {}).get(pname) or {}
            st = st_by_dev.get(pdev) or st_by_dev.get(pdev_num) or {}
            mp = (mpd_map.get("paths") or {}).get(pname) or {}
            dm_state = None
            if st:
                dm_state = "active" if st["active"] else "failed"
            paths.append({
                "name": pname,
                "hctl": os.path.basename(sd.get("device_path") or "") or None,
                "dev": pdev_num,
                "dm_state": dm_state,
                "checker_state": mp.get("checker_state"),
                "dev_state": sd.get("state") or mp.get("dev_state"),
                "fail_count": st.get("fail_count"),
                "group_state": st.get("group_state"),
            })
        below = [(by_name.get(h), h) for h in d.get("holders") or [] if by_name.get(h)]
        mps, sw, ops = usage([d.get("dev")], below)
        info = (dm_info or {}).get(mname) or {}
        maps[wwid] = {
            "name": mname,
            "wwid": wwid,
            "dm": kname,
            "dev": d.get("dev"),
            "queueing": table["queueing"] if table else None,
            "features": table["features"] if table else None,
            "hwhandler": table["hwhandler"] if table else None,
            "open_count": info.get("open_count"),
            "holders": list(d.get("holders") or []),
            "mountpoints": mps,
            "swap": sw,
            "openers": ops,
            "size_bytes": (to_int(d.get("size")) or 0) * 512 if d.get("size") is not None else None,
            "paths": paths,
            "multipathd": ({"paths_active": mpd_map.get("paths_active"), "queueing": mpd_map.get("queueing"),
                            "features": mpd_map.get("features")} if mpd_map else None),
            "probe": {},
        }
        _mark_users(maps[wwid], kernel_users([d.get("dev")] + [dev for dev, _h in below]), openers_unknown)
        if table is None and dm_table is not None:
            errors.append({"what": "dmsetup table %s" % mname, "msg": "map %s has no multipath table line" % mname})

    # disks
    disks = {}
    for name, sd in sorted((raw.get("sd") or {}).items()):
        if not sd:
            continue
        hctl = os.path.basename(sd.get("device_path") or "")
        hm = HCTL_RE.match(hctl)
        transport, session = transport_of(sd.get("sysfs_path"))
        holders = list(sd.get("holders") or [])
        parts = sd.get("partitions") or []
        below = [(by_name.get(h), h) for h in holders if by_name.get(h)]
        for part in parts:
            for h in part.get("holders") or []:
                if by_name.get(h):
                    below.append((by_name[h], h))
        # openers of the sd itself and its partitions; mounts/swap also one level down (holders)
        self_devs = [sd.get("dev")] + [p.get("dev") for p in parts]
        mps, sw, ops = usage(self_devs, below)
        # an sd has no open count to explain: its openers without their open files' keys
        ops = [dict((k, v) for k, v in o.items() if k != "files") for o in ops if "via" not in o]
        map_name = None
        for h in holders:
            if h in kname_to_wwid:
                map_name = maps[kname_to_wwid[h]]["name"]
        raw80 = sd.get("vpd_pg80")
        disks[name] = {
            "name": name,
            "hctl": hctl or None,
            "host": int(hm.group(1)) if hm else None,
            "lun": int(hm.group(4)) if hm else None,
            "dev": sd.get("dev"),
            "vendor": sd.get("vendor"),
            "model": sd.get("model"),
            "state": sd.get("state"),
            "transport": transport,
            "session": session,
            "serial": vpd80_serial(bytes(bytearray(raw80))) if raw80 is not None else None,
            "wwid": multipath_wwid(sd.get("wwid")),
            "size_bytes": (to_int(sd.get("size")) or 0) * 512 if sd.get("size") is not None else None,
            "holders": holders,
            "partitions": [p["name"] for p in parts],
            "mountpoints": mps,
            "swap": sw,
            "openers": ops,
            "map": map_name,
        }
        _mark_users(disks[name], kernel_users(self_devs + [dev for dev, _h in below]), openers_unknown)

    init = raw.get("initiators") or {}
    iqn, iqn_source, session_iqns = _kernel_iqn(init, raw.get("sessions") or [])
    dm_unaccounted = _dm_unaccounted(dms, dm_info, dm_by_dmname, openers_by_dev, mounts_by_dev, swap_devs,
                                     openers_unknown)
    for kname in _unread(raw, "dm", DM_RE):
        # its sysfs read missed its deadline: its opens cannot be counted, and a closer may hold one of them
        dm_unaccounted[kname] = {"name": None, "open_count": None, "unaccounted": None}
    wwpns = []
    fc_hosts = []
    for fc in init.get("fc_hosts") or []:
        if fc.get("port_name"):
            wwpns.append(fc["port_name"])
        fc_hosts.append({"host": to_int((fc.get("host") or "").replace("host", "")), "wwpn": fc.get("port_name"),
                         "port_state": fc.get("port_state"), "node_name": fc.get("node_name"),
                         "speed": fc.get("speed"), "fabric_name": fc.get("fabric_name")})
    fc_by_host = dict((f["host"], f["wwpn"]) for f in fc_hosts if f["host"] is not None)
    session_by_name = dict((s["session"], s) for s in raw.get("sessions") or [])
    for d in disks.values():
        d["initiator"], d["target_iqn"], d["target_portal"], d["target_wwpn"] = _path_identity(
            d, session_by_name, fc_by_host, (raw.get("sd") or {}).get(d["name"]) or {})
    sessions = []
    for s in raw.get("sessions") or []:
        portal = None
        if s.get("address"):
            addr = s["address"]
            if ":" in addr and not addr.startswith("["):
                addr = "[%s]" % addr
            portal = "%s:%s" % (addr, s.get("port")) if s.get("port") else addr
        sessions.append({
            "session": s["session"],
            "sid": s["sid"],
            "host": s.get("host"),
            "target": s.get("target"),
            "portal": portal,
            "initiator": _clean_name(s.get("initiator")),
            "iface": s.get("iface"),
            "state": s.get("state"),
            "recovery_tmo": to_int(s.get("recovery_tmo")),
        })
    initiators = sorted(set(session_iqns + ([iqn] if iqn else []) + wwpns))
    return {
        "collected_at": collected_at if collected_at is not None else time.time(),
        "host": {"iscsi_iqn": iqn, "iscsi_iqn_source": iqn_source, "iscsi_iqn_file": init.get("iqn_file"),
                 "initiators": initiators, "fc_wwpns": wwpns, "fc_hosts": fc_hosts,
                 # None when /sys/class/fc_remote_ports was not read in time (errors says so)
                 "fc_rports": fc_rports(raw.get("fc_rports"), disks),
                 "multipathd_running": bool(multipathd_running),
                 # killed tasks still inside a block device's last close (san_read.read_exiting)
                 "exiting_tasks": list(raw.get("procs_exiting") or []),
                 # every dm device's opens that nothing seen accounts for (san_plan.exiting_allowance)
                 "dm_unaccounted": dm_unaccounted,
                 # SCSI disks whose sysfs read gave no answer: maybe blocked (san_plan.blocked_disks)
                 "unread_disks": _unread(raw, "sd", SD_RE),
                 # block devices neither dm nor sd whose I/O can wait, which no count shows (exiting_allowance)
                 "uncounted_block_devices": uncounted_block_devices(raw.get("other_blocks"))},
        "iscsi_sessions": sessions,
        "disks": disks,
        "maps": maps,
        "errors": errors,
    }


# ---------------------------------------------------------------------------------- the inputs


def _unpack(archive):
    dest = tempfile.mkdtemp(prefix="sanfleet-assemble-")
    with tarfile.open(os.path.join(FIXTURES, archive)) as tar:
        tar.extractall(dest, filter="tar")
    (scenario,) = os.listdir(dest)
    return os.path.join(dest, scenario)


def recorded_calls(reader, monkeypatch):
    """Every assemble call (args, kwargs) the reader makes: snapshot, view of everything, disk() of each sd, map()
    of each map."""
    calls = []
    real = san_snapshot.assemble

    def recording(*args, **kwargs):
        calls.append(copy.deepcopy((args, kwargs)))
        return real(*args, **kwargs)
    monkeypatch.setattr(san_snapshot, "assemble", recording)
    snap = reader.snapshot(probe=False)
    reader.view(names=sorted(snap["disks"]), maps=sorted(snap["maps"]))
    for name in sorted(snap["disks"]):
        reader.disk(name)
    for m in sorted(snap["maps"].values(), key=lambda m: m["name"]):
        reader.map(m["name"])
    monkeypatch.setattr(san_snapshot, "assemble", real)
    return calls


def _enriched(raw):
    """raw with a btrfs mount (anonymous 0:N, source_dev) over every dm and sd device, 3 dup'd fds of each device
    in every process, and every partition held by the first dm device: what no capture has (a source_dev and an
    fd count need a real device node)."""
    raw = copy.deepcopy(raw)
    devs = sorted(d["dev"] for part in ("dm", "sd") for d in (raw.get(part) or {}).values() if d and d.get("dev"))
    mounts = raw.get("mounts") or {}
    if mounts.get("mountinfo") is not None:
        mounts["mountinfo"] = mounts["mountinfo"] + [
            {"dev": "0:%d" % (90 + i), "mountpoint": "/btrfs%d" % i, "source_dev": dev} for i, dev in enumerate(devs)]
    for proc in (raw.get("procs") or {}).values():
        proc["fds"] = dict((dev, 3) for dev in devs)  # dup'd fds
    dm_names = sorted(n for n, d in (raw.get("dm") or {}).items() if d)
    for sd in (raw.get("sd") or {}).values():
        for part in (sd or {}).get("partitions") or []:
            part["holders"] = list(part.get("holders") or []) + dm_names[:1]
    return raw


def variants(args):
    """The call itself and the call with one input gone or cut short, as a reader that ran out of time gives it."""
    raw = args[0]
    yield "as read", args
    for key, value in (("procs", None), ("kernel_users", None), ("mounts", {}), ("mounts", None),
                       ("procs_unreadable", [{"pid": 7, "comm": "x", "error": "EACCES"}] * 6),
                       ("fc_rports", None), ("sessions", None), ("initiators", None), ("sd", None), ("dm", None),
                       ("listing", None), ("other_blocks", None), ("procs_exiting", None)):
        changed = dict(raw)
        changed[key] = value
        yield "raw[%s]=%r" % (key, value), (changed,) + tuple(args[1:])
    yield "btrfs over every device, dup'd fds, partitions held", (_enriched(raw),) + tuple(args[1:])
    if raw.get("sd"):
        first = sorted(raw["sd"])[0]
        changed = dict(raw, sd=dict(raw["sd"], **{first: None}))
        yield "sd %s unread" % first, (changed,) + tuple(args[1:])
    names = ("dm_info", "dm_table", "dm_status", "mpd")
    for i, name in enumerate(names, start=1):
        if len(args) > i:
            cut = list(args)
            cut[i] = None
            yield "%s=None" % name, tuple(cut)
            cut[i] = {}
            yield "%s={}" % name, tuple(cut)


# ---------------------------------------------------------------------------------- the proof


def test_every_captured_tree_is_found():
    # bookworm (iSCSI and FC), bullseye and trixie: a glob that finds nothing would prove nothing
    assert len(ARCHIVES) >= 15 and any(a.startswith("bullseye") for a in ARCHIVES)
    assert any(a.startswith("trixie") for a in ARCHIVES) and any(a.startswith("fc_") for a in ARCHIVES)


@pytest.mark.parametrize("archive", ARCHIVES)
def test_assemble_gives_the_reference_snapshot(archive, monkeypatch):
    base = _unpack(archive)
    reader = sr.Host(root=os.path.join(base, "root"), run=CapturedRun(os.path.join(base, "commands")),
                     call=inline_call)
    assert_same_snapshots(recorded_calls(reader, monkeypatch))


def used_lab(tmp_path):
    """What the captures lack: an LV on a map opened (dup'd fds, by /dev and /dev/mapper name), a partition held,
    a btrfs mount under its source device, swap by /dev/mapper name, an IPv6 portal, an unreadable /proc/PID/fd."""
    t = healthy_lab(tmp_path)
    t.disk("sdf", "3:0:0:3", "8:80", session=2, wwid="naa.600a0980aa", partitions=("8:81",))
    t.dm("dm-2", "253:2", "vg-lv", "LVM-abcdef", slaves=())
    t.hold("dm-0", "dm-2")
    t.dm("dm-3", "253:3", "vg-swap", "LVM-swapuuid", slaves=())
    t.hold("dm-1", "dm-3")
    t.proc(4242, "postgres", fds=("/dev/dm-2", "/dev/dm-2", "/dev/mapper/vg-lv", "/dev/sdb"))
    t.proc(77, "dd", fds=("/dev/sdf1",))
    t.mount("0:45", "/srv/data", "/dev/mapper/vg-lv", fstype="btrfs")
    t.mount("8:81", "/boot/efi", "/dev/sdf1")
    t.swap("/dev/mapper/vg-swap")
    t.iscsi_session(3, 4, "fd00::5")
    t.iscsi_session(4, 5, "[fd00::6]")
    t.commands()
    return t


def test_assemble_gives_the_reference_snapshot_of_a_host_in_use(tmp_path, monkeypatch):
    assert_same_snapshots(recorded_calls(used_lab(tmp_path).reader(), monkeypatch))


def assert_same_snapshots(calls):
    assert len(calls) >= 3
    compared = 0
    for args, kwargs in calls:
        for label, some in variants(args):
            want = reference_assemble(*copy.deepcopy(some), **copy.deepcopy(kwargs))
            got = san_snapshot.assemble(*copy.deepcopy(some), **copy.deepcopy(kwargs))
            assert got == want, label
            compared += 1
    assert compared > len(calls)


def test_assemble_gives_the_reference_snapshot_of_nothing():
    assert san_snapshot.assemble({}, collected_at=5) == reference_assemble({}, collected_at=5)
    assert san_snapshot.assemble({"listing": {}, "sd": {}, "dm": {}}, errors=[{"what": "x", "msg": "y"}],
                                 collected_at=1) == reference_assemble(
        {"listing": {}, "sd": {}, "dm": {}}, errors=[{"what": "x", "msg": "y"}], collected_at=1)
