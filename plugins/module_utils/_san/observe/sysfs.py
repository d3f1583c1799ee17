# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysfs readers: block devices (sd, dm, the others), their attributes, holders and aliases, the local disks,
the initiators, FC remote ports and iSCSI sessions. Each runs in a forked child (deadline.call); nothing here
opens a device."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    SESSION_RE, kernel_wwid, map_wwid, transport_of)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import (
    DM_RE, SD_RE, parse_mountinfo)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.fs import (
    DeviceDir, listdir, mount_table, on_network_fs, read_attrs, read_config_file, read_text, realpath, resolve, rooted,
    unrooted)


HOST_RE = re.compile(r"^host(\d+)$")


TARGET_DIR_RE = re.compile(r"^target([0-9]+):([0-9]+):([0-9]+)$")


def listed_devices(root):
    """The names of the sd and dm block devices, sorted."""
    return [name for name in listdir(rooted(root, "/sys/block")) if SD_RE.match(name) or DM_RE.match(name)]


def read_listing(root, names=None):
    """{name: major:minor} of the sd and dm block devices (of `names` only, when given; None where unreadable)."""
    return dict((name, read_text(rooted(root, "/sys/block/%s/dev" % name)))
                for name in (listed_devices(root) if names is None else names))


def _block(root, name, **files):
    """(base, {name, dev, size, holders} + the given attribute files) of /sys/block/<name>; None when it is gone."""
    base = "/sys/block/%s" % name
    dev = read_text(rooted(root, base + "/dev"))
    if dev is None and not os.path.isdir(rooted(root, base)):
        return None, None
    out = read_attrs(root, base, size="size", **files)
    out.update(name=name, dev=dev, holders=listdir(rooted(root, base + "/holders")))
    return base, out


def partitions_in(block, name, separator=""):
    """[{name, dev, holders}] of the partitions of block device `name`, the entries <name><separator><N> of its
    open directory `block` (sdb1; nvme0n1p1: a name that ends in a digit takes a "p")."""
    prefix = name + separator
    return [{"name": entry, "dev": block.text(entry + "/dev"), "holders": block.listdir(entry + "/holders")}
            for entry in block.listdir() if entry.startswith(prefix) and entry[len(prefix):].isdigit()]


def read_partitions(root, base, name, separator=""):
    """partitions_in the directory `base`; [] when it does not exist. Any other failure to open or list it raises
    (what reads it is then unread): no partitions is no mount, no holder on one."""
    block = DeviceDir.open(rooted(root, base))
    if block is None:
        return []
    with block:
        return partitions_in(block, name, separator)


def _scsi_device(root, block, real):
    """({vendor, model, state, wwid}, the raw VPD page 0x80, the resolved path) of the SCSI device below an sd's
    open block directory (its `device` link: the H:C:T:L directory), opened once for its files. The kernel places
    a disk's directory at /sys/devices/.../<its device>/block/<name>, so that path is the block directory's two
    levels up; any other layout (an old kernel's /sys/block/<name> directory) asks the descriptor."""
    device = DeviceDir.open("device", at=block)
    if device is None:
        return dict.fromkeys(("vendor", "model", "state", "wwid")), None, None
    with device:
        attrs = device.attrs(vendor="vendor", model="model", state="state", wwid="wwid")
        raw80 = device.text("vpd_pg80", binary=True)
        if real.startswith("/sys/devices/") and os.path.basename(os.path.dirname(real)) == "block":
            return attrs, raw80, os.path.dirname(os.path.dirname(real))
        resolved = device.path()  # never the name again: it may be another device's by now
        return attrs, raw80, unrooted(root, resolved) if resolved else None


def read_sd(root, name):
    """An sd's sysfs: every file from the one directory /sys/block/<name> pointed to when it was opened
    (fs.DeviceDir: a name reused meanwhile cannot mix two disks in one answer); None when it is gone, or its
    directory does not answer its major:minor or its own path (observe.read: unread)."""
    block = DeviceDir.open(rooted(root, "/sys/block/" + name))
    if block is None:
        return None
    with block:
        resolved = block.path()
        out = block.attrs(dev="dev", size="size")
        if not resolved or not out["dev"]:
            # removed since it was opened (its directory answers nothing more), or /proc cannot name the
            # directory: unread, never a disk without identity nor one resolved through the name again
            return None
        real = unrooted(root, resolved)
        scsi, raw80, device_path = _scsi_device(root, block, real)
        out.update(scsi, name=name, holders=block.listdir("holders"), sysfs_path=real, device_path=device_path,
                   partitions=partitions_in(block, name))
    # FC: the remote port (the array's target port) this disk is reached through; its WWPN says which SVM serves it
    rport = [c for c in (real or "").split("/") if c.startswith("rport-")]
    out.update(rport_wwpn=read_text(rooted(root, "/sys/class/fc_remote_ports/%s/port_name" % rport[-1])) if rport else None,
               vpd_pg80=list(bytearray(raw80)) if raw80 is not None else None)
    return out


def read_dm(root, name):
    """A device-mapper device's sysfs (dm_name and uuid None for a block device that is not one), read as read_sd
    reads; None when it is gone or does not answer its major:minor."""
    block = DeviceDir.open(rooted(root, "/sys/block/" + name))
    if block is None:
        return None
    with block:
        out = block.attrs(dev="dev", size="size", dm_name="dm/name", uuid="dm/uuid")
        if not out["dev"]:
            return None  # removed since it was opened: unread, as read_sd
        out.update(name=name, holders=block.listdir("holders"), slaves=block.listdir("slaves"))
    return out


def read_block_names(root):
    """Every name in /sys/block (sd, dm, md, nvme, ...): the list a batched read of the devices goes through."""
    return listdir(rooted(root, "/sys/block"))


def read_blocks(root, names):
    """{name: device} for the given names of /sys/block, with slaves, dm name and uuid, partitions and, for an
    sd, its transport (one child of Host.read_each); a device gone since the listing is left out."""
    blocks = {}
    for name in names:
        b = read_dm(root, name)  # dm_name and uuid stay None for a device that is not device-mapper
        if b is None:
            continue
        b["partitions"] = [p for p in listdir(rooted(root, "/sys/block/" + name)) if p.startswith(name)]
        b["transport"] = transport_of(realpath(root, "/sys/block/" + name))[0] if SD_RE.match(name) else None
        blocks[name] = b
    return blocks


def _nvme_transports(root, name, every=None):
    """The transports (pcie, tcp, rdma, fc, loop) of the controllers behind NVMe namespace `name`: its own
    controller's, else (a native multipath head, whose device is the subsystem) every controller's of the host
    (`every`: a dict to keep that list in for the caller's other heads, read once instead of once per head)."""
    own = read_text(rooted(root, "/sys/block/%s/device/transport" % name))
    if own:
        return [own]
    if every is not None and "all" in every:
        return list(every["all"])
    found = sorted(set(t for t in (read_text(rooted(root, "/sys/class/nvme/%s/transport" % c))
                                   for c in listdir(rooted(root, "/sys/class/nvme"))) if t))
    if every is not None:
        every["all"] = found
    return list(found)


def read_other_blocks(root):
    """{name: facts} for every block device of /sys/block that is neither sd nor dm: what tells whether its I/O can
    wait indefinitely (observe.users.uncounted_block_devices). An nvme device has `transports`; a loop device
    `bound` (its loop/ directory exists) and `backing_file` with `backing_on_network` (the file on a network or
    FUSE mount of this host's table; None when the table or the file's name cannot be read) and, for a file on no
    network or FUSE mount, `backing` (read_loop_backing: the block devices the file's filesystem sits on)."""
    out = {}
    mounts = None
    every = {}  # the host's controller transports, for every multipath head of this one read
    for name in listdir(rooted(root, "/sys/block")):
        if SD_RE.match(name) or DM_RE.match(name):
            continue
        facts = {}
        if name.startswith("nvme"):
            facts["transports"] = _nvme_transports(root, name, every)
        elif name.startswith("loop"):
            bound = os.path.isdir(rooted(root, "/sys/block/%s/loop" % name))
            backing = read_text(rooted(root, "/sys/block/%s/loop/backing_file" % name)) if bound else None
            on_network = None
            if backing:
                if mounts is None:
                    text = read_text(rooted(root, "/proc/self/mountinfo"))
                    mounts = (mount_table(text), parse_mountinfo(text)) if text is not None else False
                if mounts:
                    path = backing[:-len(" (deleted)")] if backing.endswith(" (deleted)") else backing
                    on_network = on_network_fs(path, mounts[0][0], mounts[0][1])
            facts.update(bound=bound, size=read_text(rooted(root, "/sys/block/%s/size" % name)), backing_file=backing,
                         backing_on_network=on_network)
            if on_network is False and not backing.endswith(" (deleted)"):
                # never stat'ed on a network mount (a server gone hangs it); on a local one a stat answers from
                # the inode cache, and a hang misses the read's deadline (other_blocks unread: no allowance)
                facts["backing"] = read_loop_backing(root, name, backing, mounts[1])
        out[name] = facts
    return out


def read_loop_backing(root, name, path, mountinfo):
    """What loop device `name`'s backing file `path` lies on: {dev (major:minor of the file's filesystem, st_dev;
    of the node itself, st_rdev, when the file is a block device), device (it is one), file_size, offset (the
    loop's), mount ({dev, fstype, mountpoint} of the innermost mount of this host's table holding the path; None
    when none does), stack (read_block_stack of dev)}; None when the file cannot be stat'ed. The path is the one
    the kernel prints from this reader's root: a file of another mount namespace may name another file here, which
    the judge catches where the file's device is not its mount's or the loop is larger than the file."""
    try:
        st = os.stat(rooted(root, path))
    except OSError:
        return None
    device = stat.S_ISBLK(st.st_mode)
    num = st.st_rdev if device else st.st_dev
    dev = "%d:%d" % (os.major(num), os.minor(num))
    holding = None
    for m in mountinfo or []:  # the innermost: the longest mount point, of equal ones the later (on top)
        prefix = m["mountpoint"].rstrip("/") + "/"
        if path.startswith(prefix) and (holding is None or len(prefix) >= len(holding["mountpoint"].rstrip("/") + "/")):
            holding = m
    return {"dev": dev, "device": device, "file_size": None if device else st.st_size,
            "offset": read_text(rooted(root, "/sys/block/%s/loop/offset" % name)),
            "mount": None if holding is None else dict((k, holding.get(k)) for k in ("dev", "fstype", "mountpoint")),
            "stack": read_block_stack(root, dev)}


# how deep a stack of block devices is followed (a partition on an LV on a crypt device on a map is 4)
STACK_LIMIT = 16


def _whole_device(root, name):
    """The device a partition is part of (sda1 -> sda, nvme0n1p2 -> nvme0n1), else the name itself."""
    real = realpath(root, "/sys/class/block/" + name)
    if os.path.exists(rooted(root, real + "/partition")):
        return os.path.basename(os.path.dirname(real))
    return name


def read_block_stack(root, dev):
    """[{name, under: [names], dm_uuid (dm) | transport (sd) | transports (nvme)}] of block device `dev`
    (major:minor; a partition stands for its whole device) and of every device it is stacked on (dm and md
    slaves, their partitions' devices), top first; None when one of them is not in sysfs (an anonymous 0:N of
    btrfs, ZFS, overlay, tmpfs, ...) or the stack is deeper than STACK_LIMIT."""
    real = realpath(root, "/sys/dev/block/" + dev)
    if dev.startswith("0:") or not os.path.isdir(rooted(root, real)):
        return None
    out, todo, seen = [], [_whole_device(root, os.path.basename(real))], set()
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        base = "/sys/block/" + name
        if len(seen) > STACK_LIMIT or not os.path.isdir(rooted(root, base)):
            return None
        entry = {"name": name, "under": sorted(set(_whole_device(root, s)
                                                   for s in listdir(rooted(root, base + "/slaves"))))}
        if DM_RE.match(name):
            entry["dm_uuid"] = read_text(rooted(root, base + "/dm/uuid"))
        elif SD_RE.match(name):
            entry["transport"] = transport_of(realpath(root, base))[0]
        elif name.startswith("nvme"):
            entry["transports"] = _nvme_transports(root, name)
        todo.extend(entry["under"])
        out.append(entry)
    return out


def read_aliases(root, alias_dirs):
    """{device name: the /dev links of alias_dirs (by-id, mapper, ...) that name it}: what LVM's filters see.
    Resolving a /dev symlink does not open the device."""
    aliases = {}
    for d in alias_dirs:
        for entry in listdir(rooted(root, d)):
            full = os.path.join(d, entry)
            aliases.setdefault(os.path.basename(resolve(rooted(root, full))), []).append(full)
    return aliases


def read_local_disks(root, names):
    """{name: disk} for the sd among `names` on no iSCSI or FC transport (one child of Host.read_each): disk is
    {name, dev, vendor, model, holder (the multipath map holding it), wwid (udev's ID_SERIAL, the name multipath
    would give its map)}."""
    out = {}
    for name in names:
        if not SD_RE.match(name) or transport_of(realpath(root, "/sys/block/" + name))[0] != "other":
            continue
        _base, sd = _block(root, name, vendor="device/vendor", model="device/model")
        if sd is None:
            continue
        holder = None
        for h in sd["holders"]:
            if map_wwid(read_text(rooted(root, "/sys/block/%s/dm/uuid" % h))):
                holder = h
        wwid = None
        for line in (read_text(rooted(root, "/run/udev/data/b%s" % sd["dev"])) or "").splitlines():
            if line.startswith("E:ID_SERIAL="):
                wwid = kernel_wwid(line.split("=", 1)[1])
        out[name] = {"name": name, "dev": sd["dev"], "vendor": sd["vendor"], "model": sd["model"], "holder": holder,
                     "wwid": wwid}
    return out


def read_initiators(root):
    iqn = None
    text = read_text(rooted(root, "/etc/iscsi/initiatorname.iscsi"))
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("InitiatorName="):
            iqn = line.split("=", 1)[1].strip() or None
    iscsi_hosts = {}
    for h in listdir(rooted(root, "/sys/class/iscsi_host")):
        iscsi_hosts[h] = read_text(rooted(root, "/sys/class/iscsi_host/%s/initiatorname" % h))
    fc = []
    for h in listdir(rooted(root, "/sys/class/fc_host")):
        fc.append(dict(read_attrs(root, "/sys/class/fc_host/" + h, port_name="port_name", port_state="port_state",
                                  node_name="node_name", speed="speed", fabric_name="fabric_name"),
                       host=h))
    return {"iqn_file": iqn, "iscsi_hosts": iscsi_hosts, "fc_hosts": fc, "nvme_host": read_nvme_host(root)}


NVME_HOST_FILES = (("hostnqn", "/etc/nvme/hostnqn"), ("hostid", "/etc/nvme/hostid"))


def read_nvme_host(root):
    """The NVMe host identity files as nvme-cli reads them (libnvme nvmf_read_file: the text before the first LF,
    nothing else stripped; an empty file is no file): {key: {state: ok|absent|unreadable|undecodable, text}}."""
    out = {}
    for key, path in NVME_HOST_FILES:
        state, data = read_config_file(rooted(root, path))
        if state != "ok":
            out[key] = {"state": state, "text": data}
            continue
        first = data.split(b"\n", 1)[0]
        if not data:
            out[key] = {"state": "absent", "text": None}
            continue
        try:
            out[key] = {"state": "ok", "text": first.decode("utf-8")}
        except UnicodeDecodeError:
            out[key] = {"state": "undecodable", "text": ascii(first)}
    return out


def read_fc_rports(root):
    """(runs in a forked child) Every FC remote port: its attributes (None where unreadable) and its fc_host.
    The FC audit (_san/judge/fc_audit.py) judges the target ones."""
    out = []
    for name in listdir(rooted(root, "/sys/class/fc_remote_ports")):
        m = RPORT_DIR_RE.match(name)
        if not m:
            continue
        out.append(dict(read_attrs(root, "/sys/class/fc_remote_ports/" + name, port_name="port_name",
                                   node_name="node_name", port_state="port_state", roles="roles",
                                   dev_loss_tmo="dev_loss_tmo", fast_io_fail_tmo="fast_io_fail_tmo",
                                   scsi_target_id="scsi_target_id"),
                        rport=name, host=int(m.group(1)), channel=int(m.group(2))))
    return out


def read_sessions(root):
    sessions = []
    for s in listdir(rooted(root, "/sys/class/iscsi_session")):
        m = SESSION_RE.match(s)
        if not m:
            continue
        base = "/sys/class/iscsi_session/%s" % s
        real = realpath(root, base)
        host = None
        for comp in real.split("/"):
            hm = HOST_RE.match(comp)
            if hm:
                host = int(hm.group(1))
        sid = int(m.group(1))
        addr = port = None
        for c in listdir(rooted(root, "/sys/class/iscsi_connection")):
            if c.startswith("connection%d:" % sid):
                cbase = "/sys/class/iscsi_connection/%s" % c
                addr = read_text(rooted(root, cbase + "/persistent_address")) or read_text(rooted(root, cbase + "/address"))
                port = read_text(rooted(root, cbase + "/persistent_port")) or read_text(rooted(root, cbase + "/port"))
                break
        # initiator: the name this session logged in with (an iface's initiatorname overrides the file's)
        session = read_attrs(root, base, target="targetname", initiator="initiatorname", iface="ifacename",
                             state="state", recovery_tmo="recovery_tmo")
        session.update(session=s, sid=sid, host=host, address=addr, port=port)
        sessions.append(session)
    return sessions


RPORT_DIR_RE = re.compile(r"^rport-([0-9]+):([0-9]+)-([0-9]+)$")
