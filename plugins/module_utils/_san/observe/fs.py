# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading files under a root (sysfs, /proc, /etc, /dev of this host, or of a captured fixture tree in unit tests):
the path helpers every reader uses, and the mount table (which mounts are network or FUSE, whose nodes are
never stat'ed). Read only; the callers run these in a forked child with a deadline (deadline.call)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import parse_mountinfo


def rooted(root, path):
    return os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path


def unrooted(root, path):
    if root in ("", "/"):
        return path
    root = os.path.realpath(root)
    if path == root:
        return "/"
    if path.startswith(root + "/"):
        return path[len(root):]
    return path


def read_text(path, binary=False, dir_fd=None):
    """The whole file (`path` relative to the directory `dir_fd` when given), None when it cannot be read. Whole:
    /proc/self/mountinfo of a host with many mounts (a Kubernetes node, containers) runs past 64 KiB, and a mount
    cut off is a device that looks unused."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    except OSError:
        return None
    try:
        data = _read_all(fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    if binary:
        return data
    return data.decode("utf-8", "replace").strip()


class DeviceDir(object):
    """One device's sysfs directory, opened once: every attribute, link and listing below it is read relative to
    that descriptor (openat), so they all come from the one kernel object the name pointed to when it was opened.
    A name the kernel reuses meanwhile (sdk removed and another LU added as sdk) cannot mix two devices' files in
    one read: the old directory answers ENOENT once its object is gone. It also saves the walk through the
    /sys/block/<name> link and the path's components on every file (a host with thousands of devices).

    DeviceDir.open(path) is None when the path does not exist (the device is gone); any other failure raises
    OSError, which the reading child reports (the device is unread, never shown as idle)."""

    _FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)

    def __init__(self, fd):
        self.fd = fd

    @classmethod
    def open(cls, path, at=None):
        try:
            return cls(os.open(path, cls._FLAGS, dir_fd=at.fd if at is not None else None))
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            raise

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def text(self, name, binary=False):
        """The whole file `name` below this directory (read_text), None when it cannot be read."""
        return read_text(name, binary, dir_fd=self.fd)

    def attrs(self, **files):
        """{key: text of the file} for each key=file below this directory (None where it cannot be read)."""
        return dict((key, self.text(f)) for key, f in files.items())

    def listdir(self, name=None):
        """Sorted entries of this directory, or of its subdirectory `name`; [] when it does not exist (the device
        is gone). Any other failure raises OSError: these listings are holders, slaves and partitions, what says a
        device is in use, and one that cannot be read is unknown, never empty."""
        if name is None:
            try:
                return sorted(os.listdir(self.fd))
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                    return []
                raise
        sub = DeviceDir.open(name, at=self)
        if sub is None:
            return []
        with sub:
            return sub.listdir()

    def path(self):
        """The directory's resolved path, as the kernel names the open descriptor; None when it cannot say."""
        try:
            resolved = os.readlink("/proc/self/fd/%d" % self.fd)
        except OSError:
            return None
        return resolved if resolved.startswith("/") and not resolved.endswith(" (deleted)") else None


def read_config_file(path):
    """("ok", bytes) | ("absent", None) | ("unreadable", why) of a small configuration file: absent only when the
    file (or a directory above it) does not exist; any other failure is unreadable, which is unknown, not absent."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "absent", None
        return "unreadable", exc.strerror or str(exc)
    try:
        return "ok", _read_all(fd)
    except OSError as exc:
        return "unreadable", exc.strerror or str(exc)
    finally:
        os.close(fd)


def _read_all(fd):
    """Every byte of an open file. os.read straight into bytes: a buffered file object per sysfs attribute costs
    ~1.5x on a host with thousands of devices."""
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def resolve(path):
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


def realpath(root, path):
    return unrooted(root, resolve(rooted(root, path)))


def read_attrs(root, base, **files):
    """{key: the text of base/file} for each key=file (None where it cannot be read)."""
    return dict((key, read_text(rooted(root, "%s/%s" % (base, f)))) for key, f in files.items())


# a node on these cannot be stat'ed without asking a server that may be gone; they are mounted nodev
_NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "ceph", "glusterfs", "9p", "afs")


def mount_table(text):
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


def on_network_fs(target, network, mounts):
    """Does `target` live on a network or FUSE mount? Decided by the innermost mount that holds it: under a root
    on NFS, /dev is still devtmpfs and its nodes must be stat'ed."""
    if not any(target.startswith(prefix) for prefix in network):
        return False
    for prefix, is_network in mounts:
        if target.startswith(prefix):
            return is_network
    return False
