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
  are san_probe's.
* `/dev/dm-*` is never opened (a queueing map without paths hangs its opener: lab finding 1). Openers are
  found with `os.stat` on /proc/*/fd links (st_rdev), which does not open the device.
* multipathd is only asked when it runs (found in /proc): connecting to its socket would start it through
  socket activation. Without it, the maps come from the kernel (sysfs + dmsetup) only, and `errors` says so.

`Host` is the one object the modules and the act functions read this host through; the act functions' own
re-reads of identity (SCSI host targets, the disk at an H:C:T:L, holders, by-id links, the wwids file) are
the `read_*` children below, run by `Host.sysfs`. `root` prefixes every /sys, /proc, /etc and /dev path so that
unit tests read a captured fixture tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import stat
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import probe as san_probe
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import refs as san_refs
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot as san_snapshot
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as san_users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import SESSION_RE, map_wwid, transport_of
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import (
    DM_RE, SD_RE, parse_dm_info, parse_dm_lines, parse_mountinfo, parse_multipath_status,
    parse_multipath_table, parse_multipathd_json, parse_multipathd_paths, parse_swaps, PF_EXITING, PF_KTHREAD,
    block_release_frames, parse_proc_stat)

HOST_RE = re.compile(r"^host(\d+)$")
_TARGET_DIR = re.compile(r"^target([0-9]+):([0-9]+):([0-9]+)$")
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
CMD_MPD_JSON = ["multipathd", "show", "maps", "json"]
CMD_MPD_PATHS = ["multipathd", "show", "paths", "raw", "format", MPD_PATHS_FORMAT]


def _p(root, path):
    return os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path


def _unroot(root, path):
    if root in ("", "/"):
        return path
    root = os.path.realpath(root)
    if path == root:
        return "/"
    if path.startswith(root + "/"):
        return path[len(root):]
    return path


def _read(path, binary=False):
    """The whole file, None when it cannot be read. Whole: /proc/self/mountinfo of a host with many mounts (a
    Kubernetes node, containers) runs past 64 KiB, and a mount cut off is a device that looks unused."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    chunks = []
    try:
        # os.read straight into bytes: a buffered file object per sysfs attribute costs ~1.5x on a host with
        # thousands of devices
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if binary:
        return data
    return data.decode("utf-8", "replace").strip()


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _resolve(path):
    """os.path.realpath(path) in three system calls: the kernel names the path an O_PATH descriptor resolved to,
    where realpath lstat()s every component (7x slower for the sysfs links of a host with thousands of devices).
    O_PATH opens neither the file nor a device node (no driver is called). Anything unusual (no O_PATH, a link
    that points nowhere, a path removed meanwhile) goes to os.path.realpath."""
    o_path = getattr(os, "O_PATH", None)
    if o_path is not None:
        try:
            fd = os.open(path, o_path | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            fd = None
        if fd is not None:
            try:
                resolved = os.readlink("/proc/self/fd/%d" % fd)
            except OSError:
                resolved = ""
            finally:
                os.close(fd)
            if resolved.startswith("/") and not resolved.endswith(" (deleted)"):
                return resolved
    return os.path.realpath(path)


def _realpath(root, path):
    return _unroot(root, _resolve(_p(root, path)))


def _attrs(root, base, **files):
    """{key: the text of base/file} for each key=file (None where it cannot be read)."""
    return dict((key, _read(_p(root, "%s/%s" % (base, f)))) for key, f in files.items())


def read_listing(root):
    """Names and major:minor of the sd and dm block devices."""
    out = {}
    for name in _listdir(_p(root, "/sys/block")):
        if SD_RE.match(name) or DM_RE.match(name):
            out[name] = _read(_p(root, "/sys/block/%s/dev" % name))
    return out


def _block(root, name, **files):
    """(base, {name, dev, size, holders} + the given attribute files) of /sys/block/<name>; None when it is gone."""
    base = "/sys/block/%s" % name
    dev = _read(_p(root, base + "/dev"))
    if dev is None and not os.path.isdir(_p(root, base)):
        return None, None
    out = _attrs(root, base, size="size", **files)
    out.update(name=name, dev=dev, holders=_listdir(_p(root, base + "/holders")))
    return base, out


def read_sd(root, name):
    base, out = _block(root, name, vendor="device/vendor", model="device/model", state="device/state",
                       wwid="device/wwid")
    if out is None:
        return None
    real = _realpath(root, base)
    devlink = _realpath(root, base + "/device")
    raw80 = _read(_p(root, base + "/device/vpd_pg80"), binary=True)
    # FC: the remote port (the array's target port) this disk is reached through; its WWPN says which SVM serves it
    rport = [c for c in (real or "").split("/") if c.startswith("rport-")]
    rport_wwpn = _read(_p(root, "/sys/class/fc_remote_ports/%s/port_name" % rport[-1])) if rport else None
    parts = []
    for entry in _listdir(_p(root, base)):
        if entry.startswith(name) and entry[len(name):].isdigit():
            parts.append({
                "name": entry,
                "dev": _read(_p(root, "%s/%s/dev" % (base, entry))),
                "holders": _listdir(_p(root, "%s/%s/holders" % (base, entry))),
            })
    out.update(sysfs_path=real, device_path=devlink, partitions=parts, rport_wwpn=rport_wwpn,
               vpd_pg80=list(bytearray(raw80)) if raw80 is not None else None)
    return out


def read_dm(root, name):
    base, out = _block(root, name, dm_name="dm/name", uuid="dm/uuid")
    if out is not None:
        out["slaves"] = _listdir(_p(root, base + "/slaves"))
    return out


def read_block_names(root):
    """Every name in /sys/block (sd, dm, md, nvme, ...): the list a batched read of the devices goes through."""
    return _listdir(_p(root, "/sys/block"))


def read_blocks(root, names):
    """{name: device} for the given names of /sys/block, with slaves, dm name and uuid, partitions and, for an
    sd, its transport (one child of Host.read_each); a device gone since the listing is left out."""
    blocks = {}
    for name in names:
        b = read_dm(root, name)  # dm_name and uuid stay None for a device that is not device-mapper
        if b is None:
            continue
        b["partitions"] = [p for p in _listdir(_p(root, "/sys/block/" + name)) if p.startswith(name)]
        b["transport"] = transport_of(_realpath(root, "/sys/block/" + name))[0] if SD_RE.match(name) else None
        blocks[name] = b
    return blocks


def _nvme_transports(root, name):
    """The transports (pcie, tcp, rdma, fc, loop) of the controllers behind NVMe namespace `name`: its own
    controller's, else (a native multipath head, whose device is the subsystem) every controller's of the host."""
    own = _read(_p(root, "/sys/block/%s/device/transport" % name))
    if own:
        return [own]
    return sorted(set(t for t in (_read(_p(root, "/sys/class/nvme/%s/transport" % c))
                                  for c in _listdir(_p(root, "/sys/class/nvme"))) if t))


def read_other_blocks(root):
    """{name: facts} for every block device of /sys/block that is neither sd nor dm: what tells whether its I/O can
    wait indefinitely (san_snapshot.uncounted_block_devices). An nvme device has `transports`; a loop device
    `bound` (its loop/ directory exists) and `backing_file` with `backing_on_network` (the file on a network or
    FUSE mount of this host's table; None when the table or the file's name cannot be read)."""
    out = {}
    table = None
    for name in _listdir(_p(root, "/sys/block")):
        if SD_RE.match(name) or DM_RE.match(name):
            continue
        facts = {}
        if name.startswith("nvme"):
            facts["transports"] = _nvme_transports(root, name)
        elif name.startswith("loop"):
            bound = os.path.isdir(_p(root, "/sys/block/%s/loop" % name))
            backing = _read(_p(root, "/sys/block/%s/loop/backing_file" % name)) if bound else None
            on_network = None
            if backing:
                if table is None:
                    text = _read(_p(root, "/proc/self/mountinfo"))
                    table = _mount_table(text) if text is not None else False
                if table:
                    path = backing[:-len(" (deleted)")] if backing.endswith(" (deleted)") else backing
                    on_network = _on_network_fs(path, table[0], table[1])
            facts.update(bound=bound, size=_read(_p(root, "/sys/block/%s/size" % name)), backing_file=backing,
                         backing_on_network=on_network)
        out[name] = facts
    return out


def read_aliases(root, alias_dirs):
    """{device name: the /dev links of alias_dirs (by-id, mapper, ...) that name it}: what LVM's filters see.
    Resolving a /dev symlink does not open the device."""
    aliases = {}
    for d in alias_dirs:
        for entry in _listdir(_p(root, d)):
            full = os.path.join(d, entry)
            aliases.setdefault(os.path.basename(_resolve(_p(root, full))), []).append(full)
    return aliases


def read_local_disks(root, names):
    """{name: disk} for the sd among `names` on no iSCSI or FC transport (one child of Host.read_each): disk is
    {name, dev, vendor, model, holder (the multipath map holding it), wwid (udev's ID_SERIAL, the name multipath
    would give its map)}."""
    out = {}
    for name in names:
        if not SD_RE.match(name) or transport_of(_realpath(root, "/sys/block/" + name))[0] != "other":
            continue
        _base, sd = _block(root, name, vendor="device/vendor", model="device/model")
        if sd is None:
            continue
        holder = None
        for h in sd["holders"]:
            if map_wwid(_read(_p(root, "/sys/block/%s/dm/uuid" % h))):
                holder = h
        wwid = None
        for line in (_read(_p(root, "/run/udev/data/b%s" % sd["dev"])) or "").splitlines():
            if line.startswith("E:ID_SERIAL="):
                wwid = line.split("=", 1)[1].strip()
        out[name] = {"name": name, "dev": sd["dev"], "vendor": sd["vendor"], "model": sd["model"], "holder": holder,
                     "wwid": wwid}
    return out


def read_initiators(root):
    iqn = None
    text = _read(_p(root, "/etc/iscsi/initiatorname.iscsi"))
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("InitiatorName="):
            iqn = line.split("=", 1)[1].strip() or None
    iscsi_hosts = {}
    for h in _listdir(_p(root, "/sys/class/iscsi_host")):
        iscsi_hosts[h] = _read(_p(root, "/sys/class/iscsi_host/%s/initiatorname" % h))
    fc = []
    for h in _listdir(_p(root, "/sys/class/fc_host")):
        fc.append(dict(_attrs(root, "/sys/class/fc_host/" + h, port_name="port_name", port_state="port_state",
                              node_name="node_name", speed="speed", fabric_name="fabric_name"),
                       host=h))
    return {"iqn_file": iqn, "iscsi_hosts": iscsi_hosts, "fc_hosts": fc}


def read_fc_rports(root):
    """(runs in a forked child) Every FC remote port: its attributes (None where unreadable) and its fc_host.
    The FC audit (_san/judge/fc_audit.py) judges the target ones."""
    out = []
    for name in _listdir(_p(root, "/sys/class/fc_remote_ports")):
        m = _RPORT_DIR.match(name)
        if not m:
            continue
        out.append(dict(_attrs(root, "/sys/class/fc_remote_ports/" + name, port_name="port_name",
                               node_name="node_name", port_state="port_state", roles="roles",
                               dev_loss_tmo="dev_loss_tmo", fast_io_fail_tmo="fast_io_fail_tmo",
                               scsi_target_id="scsi_target_id"),
                        rport=name, host=int(m.group(1)), channel=int(m.group(2))))
    return out


def read_sessions(root):
    sessions = []
    for s in _listdir(_p(root, "/sys/class/iscsi_session")):
        m = SESSION_RE.match(s)
        if not m:
            continue
        base = "/sys/class/iscsi_session/%s" % s
        real = _realpath(root, base)
        host = None
        for comp in real.split("/"):
            hm = HOST_RE.match(comp)
            if hm:
                host = int(hm.group(1))
        sid = int(m.group(1))
        addr = port = None
        for c in _listdir(_p(root, "/sys/class/iscsi_connection")):
            if c.startswith("connection%d:" % sid):
                cbase = "/sys/class/iscsi_connection/%s" % c
                addr = _read(_p(root, cbase + "/persistent_address")) or _read(_p(root, cbase + "/address"))
                port = _read(_p(root, cbase + "/persistent_port")) or _read(_p(root, cbase + "/port"))
                break
        # initiator: the name this session logged in with (an iface's initiatorname overrides the file's)
        session = _attrs(root, base, target="targetname", initiator="initiatorname", iface="ifacename",
                         state="state", recovery_tmo="recovery_tmo")
        session.update(session=s, sid=sid, host=host, address=addr, port=port)
        sessions.append(session)
    return sessions


def read_mounts(root):
    """{mountinfo, swaps}; mountinfo None when it cannot be read (then nothing can be shown unmounted)."""
    text = _read(_p(root, "/proc/self/mountinfo"))
    mountinfo = parse_mountinfo(text) if text is not None else None
    # btrfs (and other multi-device filesystems) show an anonymous 0:N: the device is the mount's source
    for m in mountinfo or []:
        if (m.get("dev") or "").startswith("0:") and (m.get("source") or "").startswith("/dev/"):
            m["source_dev"] = _dev_of(root, _p(root, m["source"]))[0]
    return {"mountinfo": mountinfo, "swaps": parse_swaps(_read(_p(root, "/proc/swaps")))}


def _dev_of(root, path):
    """major:minor of a block device node, or ('name', basename) when it cannot be stat'ed."""
    st = None
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISBLK(st.st_mode):
        return "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)), None
    return None, None


# fd targets that are never a block device; everything else is stat'ed (st_rdev), wherever its node lives
# (a bind-mounted device node, a Kubernetes volumeDevices path under /var/lib/kubelet)
_NOT_A_DEVICE = ("socket:", "pipe:", "anon_inode:", "/memfd:", "/proc/", "/sys/", "/dev/pts/", "/dev/null")
# a node on these cannot be stat'ed without asking a server that may be gone; they are mounted nodev
_NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "ceph", "glusterfs", "9p", "afs")


def _mount_table(text):
    """(prefixes of the network and FUSE mounts, [(prefix, is network)] of every mount, innermost first: the
    longest prefix, and of mounts on the same point the later one, which is on top, {mount id: is network})."""
    mounts, by_id = [], {}
    for m in parse_mountinfo(text):
        fstype = m.get("fstype") or ""
        is_network = fstype in _NETWORK_FS or fstype.startswith("fuse")
        mounts.append((m["mountpoint"].rstrip("/") + "/", is_network))
        by_id[m.get("mount_id")] = is_network
    network = [prefix for prefix, is_network in mounts if is_network]
    order = sorted(range(len(mounts)), key=lambda i: (len(mounts[i][0]), i), reverse=True)
    return network, [mounts[i] for i in order], by_id


def _network_mounts(root):
    """The mount table of this reader's own namespace (_mount_table)."""
    return _mount_table(_read(_p(root, "/proc/self/mountinfo")))


def _opener_mounts(root, task_dir, tables):
    """The mount table (_mount_table) of the mount namespace a process (or thread) `task_dir` lives in: its own
    /proc/PID/mountinfo, read once per namespace (/proc/PID/ns/mnt) into `tables`. None when it cannot be read."""
    try:
        ns = os.readlink(task_dir + "/ns/mnt")
    except OSError:
        ns = None
    if ns is not None and ns in tables:
        return tables[ns]
    text = _read(task_dir + "/mountinfo")
    table = _mount_table(text) if text is not None else None
    if ns is not None:
        tables[ns] = table
    return table


def _on_network_fs(target, network, mounts):
    """Does `target` live on a network or FUSE mount? Decided by the innermost mount that holds it: under a root
    on NFS, /dev is still devtmpfs and its nodes must be stat'ed."""
    if not any(target.startswith(prefix) for prefix in network):
        return False
    for prefix, is_network in mounts:
        if target.startswith(prefix):
            return is_network
    return False


def _fd_on_network_fs(target, info, table, own_table, known_ids):
    """Is the file behind an fd on a network or FUSE mount? By the mount the kernel names for it (fdinfo mnt_id),
    looked up in every mount table read so far (`known_ids`, this reader's own included: mount ids are global,
    and an fd opened before unshare() or passed over a socket lives on a mount of another namespace). Else by the
    innermost mount holding its path in its opener's namespace, where the path the link shows lives. Not this
    reader's table too: a device node under a path that is NFS here but tmpfs there would be skipped, and a
    device in use look unused; a stat that hangs instead misses its deadline and leaves the openers unknown
    (every device refused)."""
    if info.get("mnt_id") in known_ids:
        return known_ids[info["mnt_id"]]
    network, mounts, _by_id = table
    return bool(network) and _on_network_fs(target, network, mounts)


def _fdinfo(path):
    """{pos, flags (int), mnt_id} of /proc/PID/fdinfo/N; {} when it cannot be read."""
    out = {}
    for line in (_read(path) or "").splitlines():
        key, _sep, value = line.partition(":")
        value = value.strip()
        if key == "flags":
            try:
                out["flags"] = int(value, 8)
            except ValueError:
                continue
        elif key in ("pos", "mnt_id"):
            out[key] = value
    return out


# open flags an open file can change after open (fcntl F_SETFL), or that belong to the fd, not the open file
# (close-on-exec): they say nothing about whether two fds share one open file
_FD_OR_FCNTL_FLAGS = ("O_APPEND", "O_ASYNC", "O_DIRECT", "O_NOATIME", "O_NONBLOCK", "O_CLOEXEC")
_MUTABLE_FLAGS = sum(set(getattr(os, flag, 0) for flag in _FD_OR_FCNTL_FLAGS))  # one bit each
# an fd whose open file cannot be told apart from the others (fdinfo unreadable)
UNKNOWN_FILE = san_users.UNKNOWN_FILE


def open_file_key(info):
    """What /proc says of the open file behind an fd and never changes while it is open: the mount it was opened
    on (fdinfo mnt_id) and the open flags no fcntl can change. Two fds of one device with different keys are two
    open files (two opens in its open count); two with the same key may be one (dup(), fork(), a passed fd):
    /proc cannot tell. The position (`pos`) moves, and the path a link shows changes when the node is renamed or
    removed, so neither proves two open files. UNKNOWN_FILE when fdinfo cannot be read."""
    if info.get("flags") is None:
        return UNKNOWN_FILE
    return "%s:%o" % (info.get("mnt_id") or "", info["flags"] & ~_MUTABLE_FLAGS)


def _task_fd_tables(root, pid, unreadable):
    """[(task dir, fd names)] of the threads of `pid` whose own fd table is readable: what still holds files when
    the thread group leader has exited (its /proc/PID/fd is empty then) while other threads run on."""
    base = _p(root, "/proc/%s" % pid)
    out = []
    for tid in _listdir(base + "/task"):
        if tid == str(pid):
            continue
        task = "%s/task/%s" % (base, tid)
        try:
            fds = sorted(os.listdir(task + "/fd"))
        except OSError as exc:
            if unreadable is not None and os.path.isdir(task + "/fd") and exc.errno not in (errno.ENOENT, errno.ESRCH):
                unreadable.append({"pid": int(pid), "tid": int(tid), "comm": _read(task + "/comm"),
                                   "error": os.strerror(exc.errno or 0)})
            continue
        if fds:
            out.append((task, fds))
    return out


def read_exiting(root, pid):
    """The tasks of process `pid` that are exiting in D state: [{pid, comm, frames}], `frames` naming the block
    device last-close functions its kernel stack is in ([] when none, None when /proc/PID/stack cannot be read).

    Such a task has dropped its file table (its /proc/PID/fd is empty) but still holds a device open until its
    last close returns: a process killed while its read queued on a map without paths waits there for that read.
    """
    base = _p(root, "/proc/%s" % pid)
    state, flags = parse_proc_stat(_read(base + "/stat"))
    if flags is None or flags & PF_KTHREAD or not (flags & PF_EXITING or state == "Z"):
        return []
    out = []
    # the last thread to exit does the last close; the leader may already be a zombie
    tasks = [(tid, "%s/task/%s" % (base, tid)) for tid in _listdir(base + "/task")] or [(pid, base)]
    for tid, task in tasks:
        state, flags = parse_proc_stat(_read(task + "/stat"))
        if state != "D" or flags is None or not flags & PF_EXITING:
            continue
        stack = _read(task + "/stack")
        out.append({"pid": int(tid), "comm": _read(task + "/comm"),
                    "frames": None if stack is None else block_release_frames(stack)})
    return out


def _open_devices(root, fd_tables, tables, own_table, known_ids, any_network):
    """The block devices one process holds open through its fd tables [(task dir, fds)] (read_procs):
    (names not stat'ed, {dev: fd count} in first-seen order, {dev or name: [open_file_key, ...]}, any_network
    updated); `known_ids` and `tables` are read_procs' caches, filled here."""
    names, counts, files, seen = [], {}, {}, set()
    for task, task_fds in fd_tables:
        table = None
        for fd in task_fds:
            link = "%s/fd/%s" % (task, fd)
            try:
                target = os.readlink(link)
            except OSError:
                continue
            if target.startswith(_NOT_A_DEVICE) or not target.startswith("/"):
                continue
            if table is None:
                table = _opener_mounts(root, task, tables) or own_table
                for mount_id, is_network in table[2].items():
                    known_ids.setdefault(mount_id, is_network)
                any_network = any_network or bool(table[0])
            # a network mount in any table read: the fd's own mount decides (fdinfo), whatever namespace it is of
            info = _fdinfo("%s/fdinfo/%s" % (task, fd)) if any_network else None
            if info is not None and _fd_on_network_fs(target, info, table, own_table, known_ids):
                continue
            if root in ("", "/"):
                dev = _dev_of(root, link)[0]
            else:
                dev = _dev_of(root, _p(root, target))[0]
            if not dev and not target.startswith("/dev/"):
                continue
            if info is None:
                info = _fdinfo("%s/fdinfo/%s" % (task, fd))
            key = open_file_key(info)
            if (fd, key) in seen:  # threads sharing one fd table show each fd once per thread
                continue
            seen.add((fd, key))
            files.setdefault(dev or target, []).append(key)
            if dev:
                counts[dev] = counts.get(dev, 0) + 1  # in first-seen order: the devices, without a list search
            elif target not in names:  # nodes not stat'ed: few
                names.append(target)
    return names, counts, files, any_network


def read_procs(root, unreadable=None, exiting=None):
    """{pid: {comm, devs: ["8:16"], names: ["/dev/dm-2"], fds: {"8:16": 2}, files: {"8:16": [key, ...]}}} for
    processes holding block devices; `files` has the open_file_key of each fd, by device (or /dev name).

    Matched by device number: os.stat follows the /proc/PID/fd link to the inode without opening it, for every
    target that may be a device node (not only those under /dev), except files on a network or FUSE mount: the
    one fdinfo's mnt_id names in any mount table read (_fd_on_network_fs), else by the opener's own table. Under
    a fixture root an absolute link target is resolved inside the root; what cannot be stat'ed is kept by its /dev
    name. A pid whose fd directory exists but cannot be read is added to `unreadable` (the caller then does not
    know every opener). A process whose leader has exited has its fds read from its other threads
    (/proc/PID/task/TID/fd). Tasks exiting with a device still open and no file
    table left (read_exiting) are added to `exiting`.
    """
    out = {}
    me = str(os.getpid())
    tables = {}
    own_table = _network_mounts(root)
    known_ids = dict(own_table[2])  # {mount id: is network} of every mount table read
    any_network = bool(own_table[0])
    for pid in _listdir(_p(root, "/proc")):
        if not pid.isdigit() or pid == me:
            continue
        base = _p(root, "/proc/%s" % pid)
        fddir = base + "/fd"
        try:
            fds = sorted(os.listdir(fddir))
        except OSError as exc:
            if unreadable is not None and os.path.isdir(fddir) and exc.errno not in (errno.ENOENT, errno.ESRCH):
                unreadable.append({"pid": int(pid), "comm": _read(_p(root, "/proc/%s/comm" % pid)),
                                   "error": os.strerror(exc.errno or 0)})
            continue
        fd_tables = [(base, fds)]
        if not fds:
            if exiting is not None:
                exiting.extend(read_exiting(root, pid))
            # the leader has exited (its file table is gone) while other threads hold theirs
            fd_tables = _task_fd_tables(root, pid, unreadable)
        names, counts, files, any_network = _open_devices(root, fd_tables, tables, own_table, known_ids,
                                                          any_network)
        devs = list(counts)
        if devs or names:
            out[pid] = {"comm": _read(_p(root, "/proc/%s/comm" % pid)), "devs": devs, "names": names,
                        "files": files}
            if any(n > 1 for n in counts.values()):
                out[pid]["fds"] = counts
    return out


def read_openers(root):
    """read_procs with the pids it could not read (one answer from a deadline.call child)."""
    unreadable, exiting = [], []
    return {"procs": read_procs(root, unreadable, exiting), "unreadable": unreadable, "exiting": exiting}


def _read_dev_of_path(root, path):
    """(major:minor of the device `path` is, or of the filesystem it lives on) for a loop backing file."""
    try:
        st = os.stat(_p(root, path))
    except OSError:
        return None
    num = st.st_rdev if stat.S_ISBLK(st.st_mode) else st.st_dev
    return "%d:%d" % (os.major(num), os.minor(num))


def read_kernel_users(root):
    """Kernel users of block devices that leave no holders link: [{kind, name, detail, dev | devname}].

    loop devices (their backing file's device or filesystem), LIO backstores (configfs udev_path), btrfs members
    (/sys/fs/btrfs/<fsid>/devices). ZFS vdevs and drbd backing disks show nowhere in sysfs: the open count of a
    map and the exclusive open of a plain sd before its delete catch them.
    """
    users = []
    for name in _listdir(_p(root, "/sys/block")):
        if not name.startswith("loop"):
            continue
        backing = _read(_p(root, "/sys/block/%s/loop/backing_file" % name))
        if backing:
            path = backing[:-len(" (deleted)")] if backing.endswith(" (deleted)") else backing
            users.append({"kind": "loop", "name": name, "detail": "backing file %s" % backing,
                          "dev": _read_dev_of_path(root, path)})
    core = "/sys/kernel/config/target/core"
    for hba in _listdir(_p(root, core)):
        if not (hba.startswith("iblock_") or hba.startswith("pscsi_")):
            continue
        for obj in _listdir(_p(root, "%s/%s" % (core, hba))):
            udev_path = _read(_p(root, "%s/%s/%s/udev_path" % (core, hba, obj)))
            if udev_path:
                users.append({"kind": "lio", "name": "%s/%s" % (hba, obj), "detail": "udev_path %s" % udev_path,
                              "dev": _dev_of(root, _p(root, udev_path))[0]})
    for fsid in _listdir(_p(root, "/sys/fs/btrfs")):
        for member in _listdir(_p(root, "/sys/fs/btrfs/%s/devices" % fsid)):
            users.append({"kind": "btrfs", "name": fsid, "detail": "member %s" % member, "devname": member})
    return users


def multipathd_pids(root):
    pids = []
    for pid in _listdir(_p(root, "/proc")):
        if pid.isdigit() and _read(_p(root, "/proc/%s/comm" % pid)) == "multipathd":
            pids.append(int(pid))
    return pids


def devices_to_read(listing, names=None):
    """The sd devices asked for (all when `names` is None) and every dm device of `listing`, in reading order."""
    wanted = listing if names is None else [n for n in names if n in listing]
    return [n for n in sorted(wanted) if SD_RE.match(n)] + [n for n in sorted(listing) if DM_RE.match(n)]


def read_batch(root, names=None, limit=None):
    """Everything from sysfs and /proc in one go (the child of deadline.call), with at most `limit` block devices:
    the names of the others come back in "unread", for the next children."""
    listing = read_listing(root)
    devices = devices_to_read(listing, names)
    now, later = (devices, []) if limit is None else (devices[:limit], devices[limit:])
    unreadable, exiting = [], []
    out = {"sd": {}, "dm": {}}
    add_devices(out, read_devices(root, now))
    out.update({
        "listing": listing,
        "unread": later,
        "initiators": read_initiators(root),
        "fc_rports": read_fc_rports(root),
        "sessions": read_sessions(root),
        "mounts": read_mounts(root),
        "procs": read_procs(root, unreadable, exiting),
        "procs_unreadable": unreadable,
        "procs_exiting": exiting,
        "kernel_users": read_kernel_users(root),
        "multipathd_pids": multipathd_pids(root),
        "other_blocks": read_other_blocks(root),
    })
    return out


def read_devices(root, names):
    """{name: sysfs of the device} for the given sd and dm devices (one child of Host.read_each)."""
    return dict((n, read_sd(root, n) if SD_RE.match(n) else read_dm(root, n)) for n in names
                if SD_RE.match(n) or DM_RE.match(n))


def add_devices(raw, devices):
    """Files a {name: device} read under raw["sd"] or raw["dm"]."""
    for name, device in devices.items():
        raw["sd" if SD_RE.match(name) else "dm"][name] = device


# --------------------------------------------------------------------------------------------------
# re-reads the act functions ask for right before they act (`host` is anything with sysfs() and path():
# observe.read.Host or act.context.ActContext); each read_* runs in a forked child


def read_scsi_host(sys_root, h):
    """(runs in a forked child) transport and existing targets of SCSI host h."""
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
                m = _TARGET_DIR.match(e)
                if m and int(m.group(1)) == h:
                    targets.append("%s:%s:%s" % m.groups())
                elif e.startswith("session") or e.startswith("rport-"):
                    nxt.append(os.path.join(d, e))
                    if transport == "fc" and e.startswith("rport-"):
                        t = _fc_rport_target(os.path.join(d, e), e, h)
                        if t:
                            targets.append(t)
        level = nxt
    return {"host": h, "transport": transport, "targets": sorted(set(targets))}


_RPORT_DIR = re.compile(r"^rport-([0-9]+):([0-9]+)-([0-9]+)$")


def _fc_rport_target(path, name, h):
    """"H:C:T" an exact scan may address through this FC remote port, or None. The kernel removes a target
    directory with its last LUN (a reused or unmapped only LUN), but the rport keeps its channel and
    scsi_target_id, and a scan of "C T L" reaches it while the rport is Online (Marginal too) -- the kernel's
    FC user scan looks up the rport, not the target directory. A Blocked or Not Present rport cannot be scanned."""
    m = _RPORT_DIR.match(name)
    if not m or int(m.group(1)) != h:
        return None
    attrs = os.path.join(path, "fc_remote_ports", name)
    state = (_read(os.path.join(attrs, "port_state")) or "").strip()
    tid = (_read(os.path.join(attrs, "scsi_target_id")) or "").strip()
    if state not in ("Online", "Marginal") or not tid.isdigit():
        return None
    return "%d:%s:%s" % (h, m.group(2), tid)


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
    for e in sorted(_listdir(by_id)):
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


def _absent_map(raw, key):
    """None for a map the read does not show, unless a dm device was not read: it may be that map."""
    unread = unread_names(raw, "dm")
    if unread:
        raise Unread("cannot tell whether map %s is still there: the sysfs read of %s did not finish"
                     % (key, ", ".join(unread)))
    return None


def _absent_disk(raw, name):
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
        self.multipathd_running = bool(raw.get("multipathd_pids"))
        self.links = None  # {sd name: /dev/disk/by-id links}, read with the view by the steps that need them
        self._maps = {}
        for m in (snap.get("maps") or {}).values():
            m["errors"] = snap.get("errors") or []
            for key in (m.get("name"), m.get("dm"), m.get("wwid"), (m.get("wwid") or "").lower()):
                if key:
                    self._maps[key] = m

    def map(self, name_or_wwid):
        m = self._maps.get(name_or_wwid)
        return m if m is not None else _absent_map(self.raw, name_or_wwid)

    def disk(self, name):
        d = (self.snap.get("disks") or {}).get(name)
        return d if d is not None else _absent_disk(self.raw, name)

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
    for dm in _listdir(_p(root, "/sys/block")):
        if DM_RE.match(dm):
            name = _read(_p(root, "/sys/block/%s/dm/name" % dm))
            if name:
                names.add(name)
    return names


def read_references(root, unit_dir, files, wanted):
    """(runs in a forked child) the reference lines of the files and of the *.mount units in unit_dir; a line
    field naming a device that is still there (a live dm name, a by-id link present) is left out."""
    live = read_live_dm_names(root)

    def is_live(value):
        # exists, not lexists: a by-id link udev has not yet removed dangles, and names no live device
        return san_refs.live_name(value, live, lambda path: os.path.exists(_p(root, path)))
    found = []
    for kind, path in files:
        try:
            with open(os.path.join(root, path.lstrip("/"))) as fh:
                found.extend(san_refs.find_references(kind, path, fh.read(), wanted, is_live))
        except (IOError, OSError):
            continue
    units = os.path.join(root, unit_dir.lstrip("/"))
    try:
        names = sorted(n for n in os.listdir(units) if n.endswith(".mount"))
    except OSError:
        names = []
    for name in names:
        try:
            with open(os.path.join(units, name)) as fh:
                found.extend(san_refs.find_references("mount_unit", os.path.join(unit_dir, name), fh.read(), wanted,
                                                      is_live))
        except (IOError, OSError):
            continue
    return found


# --------------------------------------------------------------------------------------------------
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
                probe_timeout=min(PROBE_TIMEOUT, seconds) if probe is None else probe)


class Host(object):
    """This host, read with deadlines: the one object every module and the act functions read through."""

    def __init__(self, root="/", run=None, call=None, command_timeout=10.0,
                 read_timeout=10.0, probe_timeout=8.0):
        self.root = root or "/"
        # the runners of deadline unless given, looked up now (not when this module was imported)
        self.run = run or deadline.run
        self.call = call or deadline.call
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
        except deadline.DeadlineExceeded as exc:
            errors.append({"what": "batch read of sysfs and /proc", "msg": str(exc)})
        else:
            add_devices(raw, self.read_each(read_devices, raw.pop("unread", None) or [], errors))
            return raw, errors
        # the listing is the core: without it there is nothing to report (fails the module)
        listing = self.call(read_listing, (self.root,), timeout=self.read_timeout, what="listing of /sys/block")
        raw = {"listing": listing, "sd": {}, "dm": {}}
        add_devices(raw, self.read_each(read_devices, devices_to_read(listing, names), errors, per_child=READ_CHUNK))
        raw["initiators"] = self._piece(read_initiators, (self.root,), "read of the initiator names", errors) or {}
        raw["fc_rports"] = self._piece(read_fc_rports, (self.root,), "read of /sys/class/fc_remote_ports", errors)
        raw["sessions"] = self._piece(read_sessions, (self.root,), "read of /sys/class/iscsi_session", errors) or []
        raw["mounts"] = self._piece(read_mounts, (self.root,), "read of /proc/self/mountinfo and /proc/swaps",
                                    errors) or {}
        openers = self._piece(read_openers, (self.root,), "scan of /proc/*/fd for openers", errors) or {}
        raw["procs"], raw["procs_unreadable"] = openers.get("procs"), openers.get("unreadable")
        raw["procs_exiting"] = openers.get("exiting")
        if raw["procs"] is None:  # stays None: assemble marks every device "openers unknown" (refused)
            errors.append({"what": "openers", "msg": "openers unknown: the /proc/*/fd scan did not finish"})
        raw["kernel_users"] = self._piece(read_kernel_users, (self.root,), "read of loop, LIO and btrfs users",
                                          errors)
        raw["multipathd_pids"] = self._piece(multipathd_pids, (self.root,), "scan of /proc for multipathd",
                                             errors) or []
        raw["other_blocks"] = self._piece(read_other_blocks, (self.root,), "read of the other block devices "
                                          "(nvme, loop, md, ...)", errors)
        return raw, errors

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

    def _piece(self, fn, args, what, errors):
        try:
            return self.call(fn, args, timeout=self.read_timeout, what=what)
        except deadline.DeadlineExceeded as exc:
            errors.append({"what": what, "msg": str(exc)})
        except RuntimeError as exc:
            errors.append({"what": what, "msg": str(exc)})
        return None

    # -- commands -----------------------------------------------------------------------------------

    def command(self, argv, errors, core=False, timeout=None, what=None):
        """Run argv with the command deadline (or `timeout`). Core commands raise DeadlineExceeded; for the others
        a missed deadline or a command that cannot run goes to `errors` and the answer is None."""
        try:
            return self.run(argv, timeout or self.command_timeout, what=what or " ".join(argv))
        except deadline.DeadlineExceeded as exc:
            if core:
                raise
            errors.append({"what": " ".join(argv), "msg": str(exc)})
        except OSError as exc:
            errors.append({"what": " ".join(argv), "msg": "cannot run %s: %s" % (argv[0], exc)})
        return None

    def _dm(self, errors, name=None):
        """dmsetup info/table/status of every multipath map, or of the one map `name` (what map() needs: the
        cost of a re-read must not grow with the number of maps on the host)."""
        info = table = status = None
        one = [name] if name else []
        argv = CMD_DM_INFO + one
        res = self.command(argv, errors, core=True)
        if res is not None:
            if res.rc == 0:
                info = parse_dm_info(res.stdout)
            else:
                errors.append({"what": " ".join(argv), "msg": res.describe()})
        parsed = []
        for base, parser in ((CMD_DM_TABLE, parse_multipath_table), (CMD_DM_STATUS, parse_multipath_status)):
            argv = base[:2] + one if name else base
            res = self.command(argv, errors, core=True)
            if res is None:
                parsed.append(None)
                continue
            if res.rc != 0:
                errors.append({"what": " ".join(argv), "msg": res.describe()})
                parsed.append(None)
                continue
            text = res.stdout
            if name:  # one device: dmsetup prints its line without the "name: " prefix
                text = "".join("%s: %s\n" % (name, line) for line in text.splitlines() if line.strip())
            maps, errs = parse_dm_lines(text, parser)
            errors.extend(errs)
            parsed.append(maps)
        table, status = parsed
        return info, table, status

    def _multipathd(self, running, errors, name=None):
        if not running:
            errors.append({"what": "multipathd", "msg": "multipathd is not running: path checker states are "
                                                        "unknown; maps come from the kernel (sysfs, dmsetup) only"})
            return None
        argv = ["multipathd", "show", "map", name, "json"] if name else CMD_MPD_JSON
        res = self.command(argv, errors)
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
        raw, errors = self._read_raw()
        running = bool(raw.get("multipathd_pids"))
        info, table, status = self._dm(errors)
        mpd = self._multipathd(running, errors)
        snap = san_snapshot.assemble(raw, info, table, status, mpd, running, started, errors)
        if probe:
            san_probe.probe_snapshot(self, snap)
        return snap

    def view(self, names=(), maps=()):
        """One read of the host (View) for the sds `names` and the multipath maps `maps` (names or WWIDs) with
        every path they have now, whatever the number of devices asked for."""
        for n in names:
            san_validate.sd_name(n)
        raw, errors = self._read_raw(names=sorted(set(names)))
        wanted = set(maps)
        wanted |= set(m.lower() for m in maps)
        paths = set()
        for kname, d in (raw.get("dm") or {}).items():
            wwid = map_wwid((d or {}).get("uuid"))
            if wwid and wanted & set((kname, d.get("dm_name"), wwid, wwid.lower())):
                paths.update(s for s in d.get("slaves") or [] if SD_RE.match(s) and s not in (raw.get("sd") or {}))
        # a path added since the plan: read it too, so the identity check sees it (one that hangs is named)
        add_devices(raw, self.read_each(read_devices, sorted(paths), errors))
        running = bool(raw.get("multipathd_pids"))
        info, table, status = self._dm(errors)
        mpd = self._multipathd(running, errors)
        return View(san_snapshot.assemble(raw, info, table, status, mpd, running, time.time(), errors), raw)

    def disk(self, name):
        """Identity and usage of ONE sd, re-read now; None when it does not exist."""
        san_validate.sd_name(name)
        raw, errors = self._read_raw(names=[name])
        if not (raw.get("sd") or {}).get(name):
            return _absent_disk(raw, name)
        info, table, status = self._dm(errors)
        snap = san_snapshot.assemble(raw, info, table, status, None, False, time.time(), errors)
        return snap["disks"].get(name)

    def map(self, name_or_wwid):
        """One multipath map re-read now (by map name, WWID or dm-N); None when it does not exist."""
        if DM_RE.match(name_or_wwid or ""):
            san_validate.dm_name(name_or_wwid)
        else:
            san_validate.map_name(name_or_wwid)
        raw, errors = self._read_raw(names=[])
        target = None
        for kname, d in (raw.get("dm") or {}).items():
            wwid = map_wwid((d or {}).get("uuid"))
            if wwid and name_or_wwid in (kname, d.get("dm_name"), wwid, wwid.lower()):
                target = d
        if target is None:
            return _absent_map(raw, name_or_wwid)
        slaves = list(target.get("slaves") or [])
        if slaves:
            more, errs = self._read_raw(names=slaves)
            raw["sd"] = more.get("sd") or {}
            errors.extend(errs)
        dm_name = target.get("dm_name") or map_wwid(target["uuid"])
        san_validate.map_name(dm_name)
        info, table, status = self._dm(errors, name=dm_name)
        mpd = self._multipathd(bool(raw.get("multipathd_pids")), errors, name=dm_name)
        snap = san_snapshot.assemble(raw, info, table, status, mpd, bool(raw.get("multipathd_pids")), time.time(), errors)
        for m in snap["maps"].values():
            if m["dm"] == target["name"]:
                m["errors"] = snap["errors"]
                return m
        return None

    def probe_path(self, sd, errors=None):
        """Live probe of one sd (san_probe.probe_path)."""
        return san_probe.probe_path(self, sd, errors)

    def path(self, *parts):
        """A host path under `root` (a fixture tree in tests)."""
        return os.path.join(self.root, *[p.lstrip("/") for p in parts])

    def sysfs(self, fn, args, what):
        """One read_* function in a forked child, with the read deadline."""
        return self.call(fn, args, timeout=self.read_timeout, what=what)
