# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The act-time re-reads: what the act checks right before it changes anything (SCSI host targets, the disk at
an H:C:T:L, by-id links, holders, leftovers, the wwids file, live dm names, references) and View, one read of
the host per batch of steps. Each read_* here runs in a forked child (Host.sysfs)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import files as config_files
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import refs
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import kernel_wwid, map_wwid
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import DM_RE
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.fs import listdir, read_text, rooted
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.sysfs import RPORT_DIR_RE, TARGET_DIR_RE
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.procs import multipathd_pids


# re-reads the act functions ask for right before they act (`host` is anything with sysfs() and path():
# observe.read.Host or act.context.ActContext); each read_* runs in a forked child


def read_scsi_host(sys_root, h):
    """(runs in a forked child) transport and existing targets of SCSI host h; on an FC host also `target_ports`:
    {"H:C:T": [port_name of each remote port whose channel and scsi_target_id are C and T, as sysfs prints it]},
    whatever the rport's state -- the rport number (rport-H:C-N) is not the target id."""
    base = os.path.join(sys_root, "class")
    if os.path.exists(os.path.join(base, "iscsi_host", "host%d" % h)):
        transport = "iscsi"
    elif os.path.exists(os.path.join(base, "fc_host", "host%d" % h)):
        transport = "fc"
    elif os.path.exists(os.path.join(base, "scsi_host", "host%d" % h)):
        transport = "other"
    else:
        return None
    targets = []
    ports = {}
    dev = os.path.join(base, "scsi_host", "host%d" % h, "device")
    level = [dev]
    for depth in range(3):  # iSCSI: device/sessionN/targetH:C:T, FC: device/rport-H:C-N/targetH:C:T
        nxt = []
        for d in level:
            try:
                entries = os.listdir(d)
            except OSError:
                continue
            for e in entries:
                m = TARGET_DIR_RE.match(e)
                # FC: a target is scannable by its rport's state, not by its directory (a Blocked rport keeps
                # it until dev_loss_tmo; a state not known here is no scan target either)
                if m and int(m.group(1)) == h and transport != "fc":
                    targets.append("%s:%s:%s" % m.groups())
                elif e.startswith("session") or e.startswith("rport-"):
                    nxt.append(os.path.join(d, e))
                    if transport == "fc" and e.startswith("rport-"):
                        hct, wwpn, scannable = _fc_rport_target(os.path.join(d, e), e, h)
                        if hct:
                            ports.setdefault(hct, []).append(wwpn)
                        if scannable:
                            targets.append(hct)
        level = nxt
    out = {"host": h, "transport": transport, "targets": sorted(set(targets))}
    if transport == "fc":
        out["target_ports"] = dict((k, sorted(v, key=str)) for k, v in ports.items())
    return out


# the rport states a scan of "C T L" reaches (the kernel's fc_user_scan_tgt); any other, or one not read, cannot
FC_SCANNABLE_STATES = ("Online", "Marginal")


def _fc_rport_target(path, name, h):
    """("H:C:T" of this FC remote port's SCSI target or None, its port_name, may an exact scan address it). The
    kernel removes a target directory with its last LUN (a reused or unmapped only LUN), but the rport keeps its
    channel and scsi_target_id, and a scan of "C T L" reaches it while the rport is Online (Marginal too) -- the
    kernel's FC user scan looks up the rport, not the target directory. A Blocked or Not Present rport, or one in
    a state not read or not known, cannot be scanned."""
    m = RPORT_DIR_RE.match(name)
    if not m or int(m.group(1)) != h:
        return None, None, False
    attrs = os.path.join(path, "fc_remote_ports", name)
    state = (read_text(os.path.join(attrs, "port_state")) or "").strip()
    tid = (read_text(os.path.join(attrs, "scsi_target_id")) or "").strip()
    if not tid.isdigit():
        return None, None, False
    wwpn = (read_text(os.path.join(attrs, "port_name")) or "").strip() or None
    return "%d:%s:%s" % (h, m.group(2), tid), wwpn, state in FC_SCANNABLE_STATES


def scsi_host_info(host, h):
    return host.sysfs(read_scsi_host, (host.path("/sys"), int(h)), "read SCSI host%d" % int(h))


def read_disk_at(sys_root, hctl):
    block = os.path.join(sys_root, "class", "scsi_device", hctl, "device", "block")
    if not os.path.isdir(os.path.join(sys_root, "class", "scsi_device", hctl)):
        return None
    try:
        names = sorted(os.listdir(block))
    except OSError:
        return ""  # a scsi_device without a block device (yet)
    return names[0] if names else ""


def disk_at(host, hctl):
    """Name of the sd at H:C:T:L; "" when the scsi_device exists without a disk; None when absent."""
    return host.sysfs(read_disk_at, (host.path("/sys"), hctl), "read scsi_device %s" % hctl)


def read_links_to(by_id, names):
    """{name: [/dev/disk/by-id entries linking to it]} for every name, from one listing of by_id."""
    out = dict((n, []) for n in names)
    for e in sorted(listdir(by_id)):
        try:
            target = os.path.basename(os.readlink(os.path.join(by_id, e)))
        except OSError:
            continue
        if target in out:
            out[target].append(e)
    return out


def by_id_links(host, name):
    return host.sysfs(read_links_to, (host.path("/dev/disk/by-id"), [name]), "read /dev/disk/by-id")[name]


def read_holders(sys_root, names):
    out = []
    for n in names:
        d = {"name": n, "uuid": None, "dm_name": None}
        for key, f in (("uuid", "uuid"), ("dm_name", "name")):
            try:
                with open(os.path.join(sys_root, "block", n, "dm", f)) as fh:
                    d[key] = fh.read().strip()
            except (IOError, OSError):
                pass
        out.append(d)
    return out


def describe_holders(host, holders):
    """Holder names -> [{name, uuid, dm_name}] so refusals can say LVM/kpartx/LUKS/md (sysfs attributes only)."""
    names = [h.get("name") if isinstance(h, dict) else h for h in holders or []]
    if not names:
        return []
    return host.sysfs(read_holders, (host.path("/sys"), names), "read holders")


def read_partition_holders(sys_root, name, parts):
    out = []
    for part in parts:
        try:
            out.extend(os.listdir(os.path.join(sys_root, "block", name, part, "holders")))
        except OSError:
            continue
    return out


def disk_holders(host, disk):
    """Holders of a disk and of its partitions (an LVM PV on sdc1 holds sdc too), described by kind."""
    names = [h.get("name") if isinstance(h, dict) else h for h in disk.get("holders") or []]
    parts = [p for p in disk.get("partitions") or [] if isinstance(p, str) and p.startswith(disk.get("name") or "-")]
    if parts:
        for h in host.sysfs(read_partition_holders, (host.path("/sys"), disk["name"], parts),
                            "read partition holders of %s" % disk["name"]):
            if h not in names:
                names.append(h)
    return describe_holders(host, names)


def live_maps(disk, holders, own_map=None):
    """The multipath maps a disk still belongs to: {map name and dm-N: map} of `own_map` (the disk's map as the
    caller's current read shows it, None when it is gone), and {dm-N: {name, dm}} of each holder (as disk_holders
    describes them) that is a multipath map."""
    out = {}
    m = own_map if disk.get("map") else None
    if m is not None:
        out[disk["map"]] = out[m.get("dm")] = m
    for h in holders:
        if map_wwid(h.get("uuid")):
            out.setdefault(h["name"], {"name": h.get("dm_name") or h["name"], "dm": h["name"]})
    return out


def multipathd_seen(raw):
    """True/False from the read's /proc scan for multipathd; None when that scan did not finish."""
    if "multipathd" in (raw.get("unread_pieces") or []):
        return None
    return bool(raw.get("multipathd_pids"))


def multipathd_running(host):
    """multipathd runs (found in /proc). A command to its socket when it does not would start it through socket
    activation, on a host whose admin stopped it: the acts then use the kernel-side dmsetup forms."""
    return bool(host.call(multipathd_pids, (host.root,), timeout=host.command_timeout,
                          what="scan of /proc for multipathd"))


def read_leftovers(sys_root, by_id, items):
    """(runs in a forked child) what is left of deleted disks, for [[name, hctl], ...] in one pass: per name
    {hctl_now: the H:C:T:L /sys/block/<name> belongs to now (None when gone), at: the disk at the old H:C:T:L
    (read_disk_at), links: /dev/disk/by-id links to <name>}."""
    links = read_links_to(by_id, set(name for name, _hctl in items))
    out = {}
    for name, hctl in items:
        dev_link = os.path.join(sys_root, "block", name, "device")
        hctl_now = os.path.basename(os.path.realpath(dev_link)) if os.path.exists(dev_link) else None
        out[name] = {"hctl_now": hctl_now, "at": read_disk_at(sys_root, hctl) if hctl else None,
                     "links": links[name]}
    return out


def leftovers(host, items):
    return host.sysfs(read_leftovers, (host.path("/sys"), host.path("/dev/disk/by-id"), [list(i) for i in items]),
                      "read of %d deleted disk(s) in sysfs and /dev/disk/by-id" % len(items))


def read_wwids_listed(path, wwids):
    """(runs in a forked child) {wwid: listed} for every wwid, from one read of the wwids file; None when it cannot
    be read."""
    try:
        with open(path) as fh:
            lines = set(line.strip() for line in fh)
    except (IOError, OSError):
        return None
    return dict((w, "/%s/" % w in lines) for w in wwids)


def wwids_listed(host, wwids_file, wwids):
    return host.sysfs(read_wwids_listed, (host.path(wwids_file), list(wwids)), "read the wwids file")


class Unread(RuntimeError):
    """A device the read did not finish for: neither present nor absent can be claimed (an act step fails)."""


def unread_names(raw, kind):
    """The sd or dm names of a read whose sysfs read did not finish (their answer is None)."""
    return sorted(n for n, d in (raw.get(kind) or {}).items() if d is None)


def absent_map(raw, key):
    """None for a map the read does not show, unless a dm device was not read: it may be that map."""
    unread = unread_names(raw, "dm")
    if unread:
        raise Unread("cannot tell whether map %s is still there: the sysfs read of %s did not finish"
                     % (key, ", ".join(unread)))
    return None


def absent_disk(raw, name):
    """None for an sd the read does not show, unless its own sysfs read did not finish."""
    if name in (raw.get("sd") or {}):
        raise Unread("cannot tell whether %s is still there: its sysfs read did not finish" % name)
    return None


class View(object):
    """The host as ONE read showed it (sysfs and /proc in one child, one dmsetup round for every map, one
    multipathd query): what a batch of act steps of one kind verifies identity against, instead of one re-read
    per step (act.execute.execute). Lookups answer like Host.map() and Host.disk()."""

    def __init__(self, snap, raw):
        self.snap = snap
        self.raw = raw
        # None when the scan did not finish: the act asks again, under its own deadline (never "not running")
        self.multipathd_running = multipathd_seen(raw)
        self.links = None  # {sd name: /dev/disk/by-id links}, read with the view by the steps that need them
        # by WWID apart from by name: a map may be aliased with another LU's WWID text, and the act looks a planned
        # map up by its WWID (Host.map's order: the WWID first, then the name)
        self._by_wwid, self._by_name = {}, {}
        for m in (snap.get("maps") or {}).values():
            m["errors"] = snap.get("errors") or []
            if m.get("wwid"):
                self._by_wwid[m["wwid"]] = m
            for key in (m.get("name"), m.get("dm")):
                if key:
                    self._by_name[key] = m

    def map(self, name_or_wwid, by="any"):
        """As Host.map: by "wwid" among the maps' WWIDs only, by "name" among their names and dm-N only, "any"
        WWIDs first."""
        m = self._by_wwid.get(name_or_wwid) if by in ("wwid", "any") else None
        if m is None and by in ("name", "any"):
            m = self._by_name.get(name_or_wwid)
        return m if m is not None else absent_map(self.raw, name_or_wwid)

    def disk(self, name):
        d = (self.snap.get("disks") or {}).get(name)
        return d if d is not None else absent_disk(self.raw, name)

    def holders(self, names):
        """[{name, uuid, dm_name}] of holder names, from the dm devices of this read (describe_holders)."""
        dms = self.raw.get("dm") or {}
        return [{"name": n, "uuid": (dms.get(n) or {}).get("uuid"), "dm_name": (dms.get(n) or {}).get("dm_name")}
                for n in names]

    def disk_holders(self, disk):
        """disk_holders() from this read: the holders of the disk and of its partitions."""
        names = [h.get("name") if isinstance(h, dict) else h for h in disk.get("holders") or []]
        for part in ((self.raw.get("sd") or {}).get(disk.get("name")) or {}).get("partitions") or []:
            names.extend(h for h in part.get("holders") or [] if h not in names)
        return self.holders(names)


def read_live_dm_names(root):
    """The names of the dm devices there now (/sys/block/dm-*/dm/name: a /dev/mapper entry is udev's, and outlives
    its device until udev handles the remove event)."""
    names = set()
    for dm in listdir(rooted(root, "/sys/block")):
        if DM_RE.match(dm):
            name = read_text(rooted(root, "/sys/block/%s/dm/name" % dm))
            if name:
                names.add(name)
    return names


def _live_check(root):
    """is_live(value) for refs.find_references: does a live device still carry the name a field gives?"""
    live = read_live_dm_names(root)

    def is_live(value):
        # exists, not lexists: a by-id link udev has not yet removed dangles, and names no live device
        return refs.live_name(value, live, lambda path: os.path.exists(rooted(root, path)))
    return is_live


def _reference_text(root, path):
    """The file's text byte for byte (UTF-8, surrogateescape: a byte no codec of the locale reads is kept, never a
    read that fails and hides every line of the file), lines cut at LF only as libmount and lvm cut them."""
    return config_files.read_text(os.path.join(root, path.lstrip("/")))[0]


def read_references(root, unit_dir, files, wanted):
    """(runs in a forked child) the reference lines of the files and of the *.mount units in unit_dir; a line
    field naming a device that is still there (a live dm name, a by-id link present) is left out."""
    is_live = _live_check(root)
    paths = list(files)
    units = os.path.join(root, unit_dir.lstrip("/"))
    try:
        paths.extend(("mount_unit", os.path.join(unit_dir, n)) for n in sorted(os.listdir(units)) if n.endswith(".mount"))
    except OSError:
        pass
    found = []
    for kind, path in paths:
        try:
            text = _reference_text(root, path)
        except (IOError, OSError):
            continue
        found.extend(refs.find_references(kind, path, text, wanted, is_live))
    return found


def read_live_wwids(root):
    """The WWIDs (multipath's notation) of the devices there now: each multipath map's (its dm uuid) and each SCSI
    disk's (device/wwid)."""
    out = set()
    for dev in listdir(rooted(root, "/sys/block")):
        if DM_RE.match(dev):
            wwid = map_wwid(read_text(rooted(root, "/sys/block/%s/dm/uuid" % dev)))
        elif dev.startswith("sd"):
            wwid = kernel_wwid(read_text(rooted(root, "/sys/block/%s/device/wwid" % dev)))
        else:
            continue
        if wwid:
            out.add(str(wwid))
    return out


def reread_reference_file(root, kind, path, wanted):
    """(runs in a forked child) one file's text as it is now and its reference lines in that text: what
    act.refs.clean_references edits, and the lines it may still edit (the same line and text as the read that found
    them). A field naming a live dm name or by-id link matches nothing (find_references), and a line any field of
    which names a WWID a map or disk carries again is none (an LVM devices file's IDNAME=mpath-<WWID>, whatever its
    DEVNAME says: the map may be back under another name)."""
    text = _reference_text(root, path)
    is_live = _live_check(root)
    back = set(r["line"] for r in refs.find_references(kind, path, text, refs.needles(sorted(read_live_wwids(root))),
                                                       is_live))
    return {"text": text,
            "refs": [r for r in refs.find_references(kind, path, text, wanted, is_live) if r["line"] not in back]}
