# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The /proc readers: mounts and swaps, the openers of block devices (os.stat of /proc/*/fd links: st_rdev, never
an open), tasks exiting inside a device's last close, kernel users (loop, LIO, btrfs), multipathd's pids."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

try:
    import ctypes  # stdlib, but not in every build: without it every thread's fd table is read (fd_table_comparer)
except ImportError:
    ctypes = None

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users as observe_users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import (
    parse_mountinfo, parse_swaps, PF_EXITING, PF_KTHREAD, block_release_frames, parse_proc_stat)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.fs import (
    listdir, mount_table, on_network_fs, read_text, rooted)


def read_mounts(root):
    """{mountinfo, swaps}; mountinfo None when it cannot be read (then nothing can be shown unmounted)."""
    text = read_text(rooted(root, "/proc/self/mountinfo"))
    mountinfo = parse_mountinfo(text) if text is not None else None
    # btrfs (and other multi-device filesystems) show an anonymous 0:N: the device is the mount's source
    for m in mountinfo or []:
        if (m.get("dev") or "").startswith("0:") and (m.get("source") or "").startswith("/dev/"):
            m["source_dev"] = _block_dev_of(root, rooted(root, m["source"]))
    return {"mountinfo": mountinfo, "swaps": parse_swaps(read_text(rooted(root, "/proc/swaps")))}


def _dev_of(root, path):
    """(major:minor of a block device node, or observe.users.CHAR_DEV of a character device node, None) or (None,
    None) when it is neither or cannot be stat'ed. A character node counts: an NVMe namespace's generic node
    (/dev/ngXnY) carries I/O to the namespace as its block device does."""
    st = None
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISBLK(st.st_mode):
        return "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)), None
    if st is not None and stat.S_ISCHR(st.st_mode):
        return observe_users.CHAR_DEV % ("%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))), None
    return None, None


def _block_dev_of(root, path):
    """major:minor of a block device node, None for anything else."""
    dev = _dev_of(root, path)[0]
    return None if dev is None or dev.startswith(observe_users.CHAR_DEV % "") else dev


# fd targets that are never a block device; everything else is stat'ed (st_rdev), wherever its node lives
# (a bind-mounted device node, a Kubernetes volumeDevices path under /var/lib/kubelet)
_NOT_A_DEVICE = ("socket:", "pipe:", "anon_inode:", "/memfd:", "/proc/", "/sys/", "/dev/pts/", "/dev/null")


def _network_mounts(root):
    """The mount table of this reader's own namespace (mount_table)."""
    return mount_table(read_text(rooted(root, "/proc/self/mountinfo")))


def _opener_mounts(root, task_dir, tables):
    """The mount table (mount_table) of the mount namespace a process (or thread) `task_dir` lives in: its own
    /proc/PID/mountinfo, read once per namespace (/proc/PID/ns/mnt) into `tables`. None when it cannot be read."""
    try:
        ns = os.readlink(task_dir + "/ns/mnt")
    except OSError:
        ns = None
    if ns is not None and ns in tables:
        return tables[ns]
    text = read_text(task_dir + "/mountinfo")
    table = mount_table(text) if text is not None else None
    if ns is not None:
        tables[ns] = table
    return table


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
    return bool(network) and on_network_fs(target, network, mounts)


def _fdinfo(path):
    """{pos, flags (int), mnt_id} of /proc/PID/fdinfo/N; {} when it cannot be read."""
    out = {}
    for line in (read_text(path) or "").splitlines():
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
UNKNOWN_FILE = observe_users.UNKNOWN_FILE


def open_file_key(info):
    """What /proc says of the open file behind an fd and never changes while it is open: the mount it was opened
    on (fdinfo mnt_id) and the open flags no fcntl can change. Two fds of one device with different keys are two
    open files (two opens in its open count); two with the same key may be one (dup(), fork(), a passed fd):
    /proc cannot tell. The position (`pos`) moves, and the path a link shows changes when the node is renamed or
    removed, so neither proves two open files. UNKNOWN_FILE when fdinfo cannot be read."""
    if info.get("flags") is None:
        return UNKNOWN_FILE
    return "%s:%o" % (info.get("mnt_id") or "", info["flags"] & ~_MUTABLE_FLAGS)


# kcmp(2) by machine (os.uname): kcmp(pid, tid, KCMP_FILES, 0, 0) is 0 when two tasks share one fd table
_KCMP_SYSCALL = {"x86_64": 312, "i386": 349, "i686": 349, "aarch64": 272, "riscv64": 272, "loongarch64": 272,
                 "ppc64le": 354, "ppc64": 354, "s390x": 343, "armv7l": 378}
_KCMP_FILES = 2


def fd_table_comparer(root):
    """same(pid, tid): True when thread `tid` shares the fd table of its leader `pid`, False or None (cannot tell)
    otherwise. A thread that called unshare(CLONE_FILES) has a table of its own, which /proc/PID/fd (the leader's)
    does not show: it starts as a copy of the leader's and then opens and closes on its own. kcmp(KCMP_FILES) is
    the kernel's own answer, one system call per thread; comparing the tables' listings would not do (two tables
    can list the same fd numbers and link targets for different open files, and a listing per thread costs a
    readlink per fd). Where kcmp cannot be called (a fixture tree, another machine, no ctypes or libc, a kernel
    without CONFIG_KCMP, a denied call) no thread is taken to share its leader's table: every thread's table is
    read, which is slower and never misses one."""
    number = _KCMP_SYSCALL.get(os.uname()[4]) if root in ("", "/") and ctypes is not None else None
    try:
        syscall = ctypes.CDLL(None, use_errno=True).syscall if number is not None else None
    except (OSError, AttributeError):
        number = None
    if number is None:
        return lambda pid, tid: None

    def same(pid, tid):
        answer = syscall(ctypes.c_long(number), ctypes.c_long(int(pid)), ctypes.c_long(int(tid)),
                         ctypes.c_long(_KCMP_FILES), ctypes.c_long(0), ctypes.c_long(0))
        return True if answer == 0 else (False if answer > 0 else None)
    return same


def _task_fd_tables(root, pid, unreadable, shares_leader=None):
    """[(task dir, fd names)] of the threads of `pid` whose own fd table is readable: what still holds files when
    the thread group leader has exited (its /proc/PID/fd is empty then) while other threads run on, or, with
    `shares_leader` (fd_table_comparer), the threads under a live leader not known to share its table."""
    base = rooted(root, "/proc/%s" % pid)
    out = []
    for tid in listdir(base + "/task"):
        if tid == str(pid) or (shares_leader is not None and shares_leader(pid, tid) is True):
            continue
        task = "%s/task/%s" % (base, tid)
        try:
            fds = sorted(os.listdir(task + "/fd"))
        except OSError as exc:
            if unreadable is not None and os.path.isdir(task + "/fd") and exc.errno not in (errno.ENOENT, errno.ESRCH):
                unreadable.append({"pid": int(pid), "tid": int(tid), "comm": read_text(task + "/comm"),
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
    base = rooted(root, "/proc/%s" % pid)
    state, flags = parse_proc_stat(read_text(base + "/stat"))
    if flags is None or flags & PF_KTHREAD or not (flags & PF_EXITING or state == "Z"):
        return []
    out = []
    # the last thread to exit does the last close; the leader may already be a zombie
    tasks = [(tid, "%s/task/%s" % (base, tid)) for tid in listdir(base + "/task")] or [(pid, base)]
    for tid, task in tasks:
        state, flags = parse_proc_stat(read_text(task + "/stat"))
        if state != "D" or flags is None or not flags & PF_EXITING:
            continue
        stack = read_text(task + "/stack")
        out.append({"pid": int(tid), "comm": read_text(task + "/comm"),
                    "frames": None if stack is None else block_release_frames(stack)})
    return out


def still_exiting(root, tasks):
    """Of `tasks` (read_exiting's records), those still exiting in D state now, as read now; a task gone since has
    finished its close. observe.read.Host.snapshot asks it after `dmsetup info`, so that a task counted as a closer
    held its open both during the /proc scan and when the open counts were read."""
    out = []
    for task in tasks or []:
        now = [t for t in read_exiting(root, task["pid"]) if t["pid"] == task["pid"]]
        if now:
            out.append(now[0])
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
                dev = _dev_of(root, rooted(root, target))[0]
            if not dev and not target.startswith("/dev/"):
                continue
            if info is None:
                info = _fdinfo("%s/fdinfo/%s" % (task, fd))
            key = open_file_key(info)
            # threads sharing one fd table show each fd once per thread; a table of its own (unshare) numbers its
            # fds on its own, so the same number on another device is another open file
            if (fd, dev or target, key) in seen:
                continue
            seen.add((fd, dev or target, key))
            files.setdefault(dev or target, []).append(key)
            if dev:
                counts[dev] = counts.get(dev, 0) + 1  # in first-seen order: the devices, without a list search
            elif target not in names:  # nodes not stat'ed: few
                names.append(target)
    return names, counts, files, any_network


def read_procs(root, unreadable=None, exiting=None):
    """{pid: {comm, devs: ["8:16", "c244:0"], names: ["/dev/dm-2"], fds: {"8:16": 2}, files: {"8:16": [key, ...]}}}
    for processes holding block devices or device nodes (a character node by observe.users.CHAR_DEV: an NVMe
    namespace's generic node); `files` has the open_file_key of each fd, by device (or /dev name).

    Matched by device number: os.stat follows the /proc/PID/fd link to the inode without opening it, for every
    target that may be a device node (not only those under /dev), except files on a network or FUSE mount: the
    one fdinfo's mnt_id names in any mount table read (_fd_on_network_fs), else by the opener's own table. Under
    a fixture root an absolute link target is resolved inside the root; what cannot be stat'ed is kept by its /dev
    name. A pid whose fd directory exists but cannot be read is added to `unreadable` (the caller then does not
    know every opener). A process whose leader has exited has its fds read from its other threads
    (/proc/PID/task/TID/fd), and so has every thread with an fd table of its own (fd_table_comparer). Tasks
    exiting with a device still open and no file table left (read_exiting) are added to `exiting`.
    """
    out = {}
    me = str(os.getpid())
    shares_leader = fd_table_comparer(root)
    tables = {}
    own_table = _network_mounts(root)
    known_ids = dict(own_table[2])  # {mount id: is network} of every mount table read
    any_network = bool(own_table[0])
    for pid in listdir(rooted(root, "/proc")):
        if not pid.isdigit() or pid == me:
            continue
        base = rooted(root, "/proc/%s" % pid)
        fddir = base + "/fd"
        try:
            fds = sorted(os.listdir(fddir))
        except OSError as exc:
            if unreadable is not None and os.path.isdir(fddir) and exc.errno not in (errno.ENOENT, errno.ESRCH):
                unreadable.append({"pid": int(pid), "comm": read_text(rooted(root, "/proc/%s/comm" % pid)),
                                   "error": os.strerror(exc.errno or 0)})
            continue
        if fds:
            # a thread with a table of its own (unshare(CLONE_FILES)) holds files the leader's does not show; an
            # open file seen through two tables (copied by the unshare) is one key of `files`, counted once
            fd_tables = [(base, fds)] + _task_fd_tables(root, pid, unreadable, shares_leader)
        else:
            if exiting is not None:
                exiting.extend(read_exiting(root, pid))
            # the leader has exited (its file table is gone) while other threads hold theirs
            fd_tables = _task_fd_tables(root, pid, unreadable)
        names, counts, files, any_network = _open_devices(root, fd_tables, tables, own_table, known_ids,
                                                          any_network)
        devs = list(counts)
        if devs or names:
            out[pid] = {"comm": read_text(rooted(root, "/proc/%s/comm" % pid)), "devs": devs, "names": names,
                        "files": files}
            if any(n > 1 for n in counts.values()):
                out[pid]["fds"] = counts
    return out


def read_openers(root):
    """read_procs with the pids it could not read and where its char devices live (one answer from a deadline.call
    child)."""
    unreadable, exiting = [], []
    procs = read_procs(root, unreadable, exiting)
    return {"procs": procs, "unreadable": unreadable, "exiting": exiting, "char_nodes": read_char_nodes(root, procs)}


def read_char_nodes(root, procs):
    """Where each char device some process holds lives in sysfs (/sys/dev/char/MAJ:MIN), for the block device it
    carries I/O to: {where: {key: the last three components of its device path, e.g. "6:0:0:1/scsi_generic/sg3",
    "nvme-subsystem/nvme-subsys0/ng0n1"; None when the kernel lists it nowhere}, unreadable: {key: why}}. Read for
    the devices held only (a few per host), not per block device."""
    where, unreadable = {}, {}
    prefix = observe_users.CHAR_DEV % ""
    for key in sorted(set(d for proc in (procs or {}).values() for d in proc.get("devs") or []
                          if d.startswith(prefix))):
        try:
            target = os.readlink(rooted(root, "/sys/dev/char/" + key[len(prefix):]))
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                where[key] = None
            else:
                unreadable[key] = os.strerror(exc.errno or 0)
            continue
        where[key] = "/".join(target.rstrip("/").split("/")[-3:])
    return {"where": where, "unreadable": unreadable}


def _read_dev_of_path(root, path):
    """(major:minor of the device `path` is, or of the filesystem it lives on) for a loop backing file."""
    try:
        st = os.stat(rooted(root, path))
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
    for name in listdir(rooted(root, "/sys/block")):
        if not name.startswith("loop"):
            continue
        backing = read_text(rooted(root, "/sys/block/%s/loop/backing_file" % name))
        if backing:
            path = backing[:-len(" (deleted)")] if backing.endswith(" (deleted)") else backing
            users.append({"kind": "loop", "name": name, "detail": "backing file %s" % backing,
                          "dev": _read_dev_of_path(root, path)})
    core = "/sys/kernel/config/target/core"
    for hba in listdir(rooted(root, core)):
        if not (hba.startswith("iblock_") or hba.startswith("pscsi_")):
            continue
        for obj in listdir(rooted(root, "%s/%s" % (core, hba))):
            udev_path = read_text(rooted(root, "%s/%s/%s/udev_path" % (core, hba, obj)))
            if udev_path:
                users.append({"kind": "lio", "name": "%s/%s" % (hba, obj), "detail": "udev_path %s" % udev_path,
                              "dev": _block_dev_of(root, rooted(root, udev_path))})
    for fsid in listdir(rooted(root, "/sys/fs/btrfs")):
        for member in listdir(rooted(root, "/sys/fs/btrfs/%s/devices" % fsid)):
            users.append({"kind": "btrfs", "name": fsid, "detail": "member %s" % member, "devname": member})
    return users


def multipathd_pids(root):
    pids = []
    for pid in listdir(rooted(root, "/proc")):
        if pid.isdigit() and read_text(rooted(root, "/proc/%s/comm" % pid)) == "multipathd":
            pids.append(int(pid))
    return pids
