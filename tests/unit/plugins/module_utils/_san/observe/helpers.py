# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import re
import stat

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import fs, read as sr
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import captures


def hanging(functions=(), devices=()):
    """deadline.call where the batch read, the functions named and the device reads of `devices` miss their
    deadline."""
    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ in ("read_batch",) + tuple(functions):
            raise deadline.DeadlineExceeded(what, timeout)
        if fn is sr.read_devices and set(args[1]) & set(devices):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)
    return call


def failing_open(monkeypatch, fails, err=errno.EACCES):
    """os.open, as observe.fs calls it, raising OSError(err) where fails(path, dir_fd) (the path a string)."""
    real_open = fs.os.open

    def opening(path, flags, mode=0o777, dir_fd=None):
        if fails(str(path), dir_fd):
            raise OSError(err, os.strerror(err), path)
        return real_open(path, flags, mode, dir_fd=dir_fd)
    monkeypatch.setattr(fs.os, "open", opening)


def iscsi_host_without_maps(tmp_path):
    """An iSCSI host: initiator name, one session, its LUN as sdb, multipathd running, no multipath map."""
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    t.disk("sdb", "2:0:0:1", "8:16", session=1, wwid="naa." + ontap_wwid(1)[1:],
           serial="0" + ontap_serial(1).encode().hex())
    return t.commands()


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures")


IQN = "iqn.2024-01.lab.san:initiator"


TARGET = "iqn.2024-01.lab.san:target1"


# an ONTAP NVMe subsystem (the NQN form `vserver nvme subsystem show` and NetApp's host pages print), the model it
# reports, a host identity of the form nvme gen-hostnqn writes
NVME_ONTAP_NQN = "nqn.1992-08.com.netapp:sn.51a3c9846e0c11f08f5dd039eaa7dfc9:subsystem.Nvme38"
NVME_ONTAP_DISCOVERY_NQN = "nqn.1992-08.com.netapp:sn.51a3c9846e0c11f08f5dd039eaa7dfc9:discovery"
NVME_ONTAP_MODEL = "NetApp ONTAP Controller"
NVME_HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0056-5410-8048-b9c04f425633"
NVME_HOSTID = "4c4c4544-0056-5410-8048-b9c04f425633"


def ontap_serial(n):
    return "80AbCdEfGh%02d" % n


def ontap_wwid(n):
    return "3600a0980" + ontap_serial(n).encode().hex()


# ------------------------------------------------------------------------------------------------ fakes


def one_map_answer(key, answer_of):
    """The answer of a one-map command (what Host.map() runs), derived from the all-maps answer the way
    dmsetup 1.02 and multipathd 0.9.4 print it on the lab: `dmsetup table|status NAME` without the "NAME: "
    prefix, `dmsetup info -c ... NAME` one row, `multipathd show map NAME json` {"map": {...}}; an unknown map
    fails (rc 1) as they do. None when `key` is not such a command."""
    if len(key) == len(sr.CMD_DM_INFO) + 1 and key[:-1] == tuple(sr.CMD_DM_INFO):
        rc, out, err = answer_of(tuple(sr.CMD_DM_INFO))
        rows = [ln for ln in out.splitlines() if ln.split("|")[0] == key[-1]]
        return (0, "".join(r + "\n" for r in rows), "") if rows else (1, "", "Device does not exist.")
    if len(key) == 3 and key[:2] in (("dmsetup", "table"), ("dmsetup", "status")):
        rc, out, err = answer_of(tuple(sr.CMD_DM_TABLE if key[1] == "table" else sr.CMD_DM_STATUS))
        rows = [ln.split(": ", 1)[1] for ln in out.splitlines() if ln.startswith(key[2] + ": ")]
        return (0, "".join(r + "\n" for r in rows), "") if rows else (1, "", "Command failed.")
    if len(key) == 5 and key[:3] == ("multipathd", "show", "map") and key[4] == "json":
        ans = answer_of(tuple(sr.CMD_MPD_JSON))
        if ans is None or callable(ans):
            return ans
        rc, out, err = ans
        if rc != 0:
            return ans
        found = [m for m in json.loads(out)["maps"] if m.get("name") == key[3]]
        if not found:
            return (1, "fail\n", "")
        return (0, multipathd_json(found[0], key="map"), "")
    return None


class FakeRun(object):
    """Stands in for deadline.run: answers by argv, records the calls (and in `whats` the name each was run under,
    which deadline.run's messages carry); a callable answer may raise."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []
        self.whats = []

    def set(self, argv, stdout="", rc=0, stderr=""):
        self.answers[tuple(argv)] = (rc, stdout, stderr)

    def __call__(self, argv, timeout, what=None, data=None):
        self.calls.append((list(argv), timeout))
        self.whats.append(what)
        key = tuple(argv)
        ans = self.answers.get(key)
        if ans is None:
            # probes are keyed by program + args with the device node as its basename (sg_raw: before the CDB)
            short = tuple(os.path.basename(a) if "/dev/" in a else a for a in argv)
            ans = self.answers.get(short)
        if ans is None:
            ans = one_map_answer(key, self.answers.get)
        if ans is None:
            raise OSError(2, "No such file or directory: %r" % (argv[0],))
        if callable(ans):
            ans = ans(argv, timeout)
        rc, out, err = ans
        return deadline.CommandResult(list(argv), rc, out, err, 0.01)


def timeout_answer(argv, timeout):
    raise deadline.DeadlineExceeded(" ".join(argv), timeout)


def inline_call(fn, args=(), timeout=10.0, what=None):
    """deadline.call without the fork (same JSON round trip)."""
    return json.loads(json.dumps(fn(*args)))


# ------------------------------------------------------------------------------------------------ tree


def vpd80(serial):
    body = serial.encode("ascii")
    return bytes([0x00, 0x80, len(body) >> 8, len(body) & 0xFF]) + body


class SanTree(object):
    def __init__(self, root):
        self.root = str(root)
        self.sd = {}      # name -> info
        self.maps = {}    # dm -> info
        self.rports = {}  # (host, channel, scsi target id) -> rport number (fc_rport)
        self.mounts = []
        self.swaps = []
        self.run = FakeRun()
        self._mkdir("/sys/block")
        self._mkdir("/proc")
        self._write("/proc/self/mountinfo", "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n")
        self._write("/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")

    # -- fs helpers
    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def _mkdir(self, p):
        os.makedirs(self.path(p), exist_ok=True)

    def _write(self, p, content):
        full = self.path(p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(full, mode) as f:
            f.write(content)

    def _link(self, p, target):
        full = self.path(p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if os.path.lexists(full):
            os.unlink(full)
        os.symlink(target, full)

    # -- host
    def initiator(self, iqn=IQN):
        self._write("/etc/iscsi/initiatorname.iscsi", "## DO NOT EDIT\nInitiatorName=%s\n" % iqn)

    def nvme_host(self, hostnqn=None, hostid=None):
        """/etc/nvme/hostnqn and hostid, byte for byte (None: no file)."""
        for name, content in (("hostnqn", hostnqn), ("hostid", hostid)):
            if content is not None:
                self._write("/etc/nvme/" + name, content)

    # -- NVMe (observe/nvme.py): the files as the kernel prints them (drivers/nvme/host/sysfs.c, multipath.c, a
    # line and its LF each), under the directories the kernel makes them in
    def nvme_core(self, multipath="Y"):
        """/sys/module/nvme_core/parameters/multipath: a bool module parameter, printed "Y\\n" or "N\\n"
        (kernel/params.c param_get_bool; multipath.c module_param_cb(multipath, ...)). None: nvme_core without the
        parameter (CONFIG_NVME_MULTIPATH off)."""
        self._mkdir("/sys/module/nvme_core")
        if multipath is not None:
            self._write("/sys/module/nvme_core/parameters/multipath", multipath + "\n")

    def nvme_subsystem(self, n, nqn, model=NVME_ONTAP_MODEL, iopolicy="round-robin", subsystype="nvm"):
        """/sys/class/nvme-subsystem/nvme-subsysN -> devices/virtual/nvme-subsystem/nvme-subsysN: subsysnqn ("%s\\n"),
        model (the 40-byte Identify field, blank padded: "%.*s\\n"), subsystype (nvm / discovery) and iopolicy
        (nvme_iopolicy_names) (sysfs.c nvme_subsys_show_nqn/_type, subsys_model_show; multipath.c
        nvme_subsys_iopolicy_show). None leaves a file out (an older kernel: no subsystype)."""
        base = "/sys/devices/virtual/nvme-subsystem/nvme-subsys%d" % n
        self._mkdir(base)
        for attr, value in (("subsysnqn", nqn), ("model", None if model is None else model.ljust(40)),
                            ("subsystype", subsystype), ("iopolicy", iopolicy)):
            if value is not None:
                self._write("%s/%s" % (base, attr), value + "\n")
        self._link("/sys/class/nvme-subsystem/nvme-subsys%d" % n, "../../devices/virtual/nvme-subsystem/nvme-subsys%d"
                   % n)

    def nvme_ctrl(self, n, subsys, nqn, transport="tcp", state="live", ctrl_loss_tmo="600", fast_io_fail_tmo="off",
                  reconnect_delay="10", cntrltype="io", model=NVME_ONTAP_MODEL, address=None, hostnqn=NVME_HOSTNQN,
                  hostid=NVME_HOSTID, cntlid=None):
        """/sys/class/nvme/nvmeN: a fabrics controller below devices/virtual/nvme-fabrics/ctl (a pcie one below its
        PCI function), with transport (ctrl->ops->name), state (nvme_sysfs_show_state), subsysnqn, model, cntrltype,
        address (nvmf_get_address: "traddr=...,trsvcid=..."), and, fabrics only (visible when ctrl->opts),
        ctrl_loss_tmo ("off" or max_reconnects x reconnect_delay), fast_io_fail_tmo and reconnect_delay ("off" or
        seconds), hostnqn and hostid (the host it connected as) and cntlid (sysfs.c); the subsystem's link to it
        (core.c nvme_init_subsystem: sysfs_create_link). A value None leaves its file out."""
        fabrics = transport != "pcie"
        rel = ("devices/virtual/nvme-fabrics/ctl/nvme%d" % n if fabrics
               else "devices/pci0000:00/0000:00:04.0/nvme/nvme%d" % n)
        if address is None and fabrics:
            address = "traddr=192.168.30.%d,trsvcid=4420,src_addr=192.168.30.15" % (40 + n)
        attrs = [("transport", transport), ("state", state), ("subsysnqn", nqn), ("cntrltype", cntrltype),
                 ("model", None if model is None else model.ljust(40)), ("address", address)]
        if fabrics:
            attrs += [("ctrl_loss_tmo", ctrl_loss_tmo), ("fast_io_fail_tmo", fast_io_fail_tmo),
                      ("reconnect_delay", reconnect_delay), ("dhchap_secret", "DHHC-1:00:secret-never-read:"),
                      ("hostnqn", hostnqn), ("hostid", hostid), ("cntlid", str(n + 1) if cntlid is None else cntlid)]
        self._mkdir("/sys/" + rel)
        for attr, value in attrs:
            if value is not None:
                self._write("/sys/%s/%s" % (rel, attr), value + "\n")
        self._link("/sys/class/nvme/nvme%d" % n, "../../%s" % rel)
        if subsys is not None:
            self._link("/sys/devices/virtual/nvme-subsystem/nvme-subsys%d/nvme%d" % (subsys, n),
                       "../../../%s" % rel[len("devices/"):])

    def nvme_head(self, subsys, instance, nsid, uuid, dev, sectors=32768, generic=None):
        """A native multipath head nvme<subsys>n<instance> in its subsystem's directory (multipath.c
        nvme_mpath_alloc_disk: the head's parent is the subsystem), /sys/block's link to it, and the attributes
        sysfs.c prints from the namespace IDs of the last scan: nsid ("%d"), uuid and nguid ("%pU"), wwid
        ("uuid.%pU" when the namespace has a UUID), dev, size (512-byte sectors), ro; an empty holders/. generic:
        the char device numbers of its generic node ng<subsys>n<instance> beside it (multipath.c
        nvme_add_ns_head_cdev) and /dev/ng<subsys>n<instance>."""
        name = "nvme%dn%d" % (subsys, instance)
        base = "/sys/devices/virtual/nvme-subsystem/nvme-subsys%d/%s" % (subsys, name)
        for attr, value in (("nsid", str(nsid)), ("uuid", uuid), ("nguid", uuid), ("wwid", "uuid." + uuid),
                            ("dev", dev), ("size", str(sectors)), ("ro", "0")):
            self._write("%s/%s" % (base, attr), value + "\n")
        self._mkdir(base + "/holders")
        self._link("/sys/block/" + name, "../devices/virtual/nvme-subsystem/nvme-subsys%d/%s" % (subsys, name))
        if generic is not None:
            self.nvme_generic(os.path.dirname(base), "ng%dn%d" % (subsys, instance), generic)
        return name

    def nvme_generic(self, parent, name, dev):
        """The generic char node `name` of a namespace below `parent` (its dev, as sysfs prints it), its node in /dev
        and /sys/dev/char's link to it."""
        self.char_node(parent + "/" + name, dev)

    def scsi_generic(self, sd, name, dev, cls="scsi_generic"):
        """An sd's SCSI generic node (scsi_generic/sgN, char 21:N) or bsg node (bsg/H:C:T:L) below its H:C:T:L
        directory (drivers/scsi/sg.c, block/bsg.c), its node in /dev and /sys/dev/char's link to it."""
        ddir = os.path.dirname(os.path.dirname(self.sd[sd]["bdir"]))
        node = "/dev/" + name if cls == "scsi_generic" else "/dev/bsg/" + name
        self.char_node("%s/%s/%s" % (ddir, cls, name), dev, node=node)

    def char_node(self, path, dev, node=None):
        """A char device at sysfs `path` (/sys/devices/...): its dev, /sys/dev/char/MAJ:MIN -> it (the kernel's
        relative link), and its node in /dev (`node`, by default its name)."""
        self._write(path + "/dev", dev + "\n")
        self._link("/sys/dev/char/" + dev, "../.." + path[len("/sys"):])
        _charnode(self, node or "/dev/" + os.path.basename(path), dev)

    def nvme_path(self, ctrl, subsys, instance, nsid, ana_state="optimized", ana_grpid=1):
        """The hidden path device nvme<subsys>c<ctrl>n<instance> below its fabrics controller (multipath.c
        nvme_mpath_set_disk_name), with ana_state (nvme_ana_state_names) and ana_grpid, and /sys/block's link."""
        name = "nvme%dc%dn%d" % (subsys, ctrl, instance)
        base = "/sys/devices/virtual/nvme-fabrics/ctl/nvme%d/%s" % (ctrl, name)
        for attr, value in (("ana_state", ana_state), ("ana_grpid", str(ana_grpid)), ("nsid", str(nsid))):
            self._write("%s/%s" % (base, attr), value + "\n")
        self._link("/sys/block/" + name, "../devices/virtual/nvme-fabrics/ctl/nvme%d/%s" % (ctrl, name))
        return name

    def nvme_private_namespace(self, ctrl, instance, nsid, uuid, dev, generic=None):
        """Without native multipath (nvme_core multipath=N) a namespace is its controller's own block device
        nvme<ctrl>n<instance>, below the controller; generic: its generic node ng<ctrl>n<instance> beside it
        (core.c nvme_add_ns_cdev)."""
        name = "nvme%dn%d" % (ctrl, instance)
        base = "/sys/devices/virtual/nvme-fabrics/ctl/nvme%d/%s" % (ctrl, name)
        for attr, value in (("nsid", str(nsid)), ("uuid", uuid), ("nguid", uuid), ("wwid", "uuid." + uuid),
                            ("dev", dev), ("size", "32768"), ("ro", "0")):
            self._write("%s/%s" % (base, attr), value + "\n")
        self._mkdir(base + "/holders")
        self._link("/sys/block/" + name, "../devices/virtual/nvme-fabrics/ctl/nvme%d/%s" % (ctrl, name))
        if generic is not None:
            self.nvme_generic(os.path.dirname(base), "ng%dn%d" % (ctrl, instance), generic)
        return name

    def systemd_unit(self, unit, enabled=True, wants="default.target.wants", masked=False):
        """nvme-cli's unit file in /usr/lib/systemd/system; enabled: the link `systemctl enable` makes for its
        WantedBy=default.target (/etc/systemd/system/default.target.wants/<unit>); masked: /etc/systemd/system/<unit>
        -> /dev/null (systemctl mask)."""
        self._write("/usr/lib/systemd/system/" + unit, "[Unit]\n[Service]\n[Install]\nWantedBy=default.target\n")
        if enabled:
            self._link("/etc/systemd/system/%s/%s" % (wants, unit), "/usr/lib/systemd/system/" + unit)
        if masked:
            self._link("/etc/systemd/system/" + unit, "/dev/null")

    def ontap_nvme_tcp(self, paths=2, **ctrl):
        """An NVMe/TCP host of one ONTAP subsystem (nvme-subsys0) over `paths` controllers nvme0.., multipath Y,
        hostnqn and hostid, discovery.conf with one discovery controller, nvmf-autoconnect enabled."""
        self.nvme_core("Y")
        self.nvme_subsystem(0, NVME_ONTAP_NQN)
        for i in range(paths):
            self.nvme_ctrl(i, 0, NVME_ONTAP_NQN, **ctrl)
        self.nvme_host(NVME_HOSTNQN + "\n", NVME_HOSTID + "\n")
        self._write("/etc/nvme/discovery.conf", "# Used for extracting default parameters for discovery\n"
                                                "--transport=tcp --traddr=192.168.30.48 --trsvcid=8009\n")
        self.systemd_unit("nvmf-autoconnect.service")
        return self

    def iscsi_session(self, sid, host, address, port=3260, target=TARGET, state="LOGGED_IN", recovery_tmo=5,
                      initiator=IQN, iface="default"):
        hostdir = "/sys/devices/platform/host%d" % host
        sdir = "%s/session%d" % (hostdir, sid)
        self._write("%s/iscsi_session/session%d/targetname" % (sdir, sid), target + "\n")
        if initiator is not None:
            self._write("%s/iscsi_session/session%d/initiatorname" % (sdir, sid), initiator + "\n")
            self._write("%s/iscsi_session/session%d/ifacename" % (sdir, sid), iface + "\n")
        self._write("%s/iscsi_session/session%d/state" % (sdir, sid), state + "\n")
        self._write("%s/iscsi_session/session%d/recovery_tmo" % (sdir, sid), "%d\n" % recovery_tmo)
        self._link("/sys/class/iscsi_session/session%d" % sid,
                   "../../devices/platform/host%d/session%d/iscsi_session/session%d" % (host, sid, sid))
        cdir = "%s/connection%d:0/iscsi_connection/connection%d:0" % (sdir, sid, sid)
        self._write(cdir + "/persistent_address", address + "\n")
        self._write(cdir + "/persistent_port", "%d\n" % port)
        self._link("/sys/class/iscsi_connection/connection%d:0" % sid,
                   "../../devices/platform/host%d/session%d/connection%d:0/iscsi_connection/connection%d:0"
                   % (host, sid, sid, sid))
        self._write("%s/iscsi_host/host%d/initiatorname" % (hostdir, host), (initiator or "<NULL>") + "\n")
        self._link("/sys/class/iscsi_host/host%d" % host, "../../devices/platform/host%d/iscsi_host/host%d"
                   % (host, host))

    def fc_host(self, host, wwpn="0x21000024ff3a0b1c", state="Online"):
        hdir = "/sys/devices/pci0000:00/0000:00:03.0/host%d" % host
        self._write(hdir + "/fc_host/host%d/port_name" % host, wwpn + "\n")
        self._write(hdir + "/fc_host/host%d/port_state" % host, state + "\n")
        self._link("/sys/class/fc_host/host%d" % host, "../../devices/pci0000:00/0000:00:03.0/host%d/fc_host/host%d"
                   % (host, host))
        # the SCSI host as the act reads it (observe.reread.read_scsi_host) and scans it (its `scan` file)
        self._write(hdir + "/scsi_host/host%d/scan" % host, "")
        self._link(hdir + "/scsi_host/host%d/device" % host, "../../../host%d" % host)
        self._link("/sys/class/scsi_host/host%d" % host, "../../devices/pci0000:00/0000:00:03.0/host%d/scsi_host/"
                   "host%d" % (host, host))

    def fc_rport(self, host, number, wwpn, target_id, state="Online", roles="FCP Target", channel=0):
        """The FC remote port rport-H:C-N. The FC transport numbers rports in the order they arrive on the host;
        the SCSI target id is bound to the port (by WWPN) and given to FCP targets only (-1: none): the two are
        different numbers. Disks at H:C:<target_id>:L are then made below this rport (disk(fc=True))."""
        name = "rport-%d:%d-%d" % (host, channel, number)
        rdir = "/sys/devices/pci0000:00/0000:00:03.0/host%d/%s" % (host, name)
        for attr, value in (("port_name", wwpn), ("node_name", "0x2000" + wwpn[6:]), ("port_state", state),
                            ("roles", roles), ("scsi_target_id", str(target_id)), ("dev_loss_tmo", "60"),
                            ("fast_io_fail_tmo", "5")):
            self._write("%s/fc_remote_ports/%s/%s" % (rdir, name, attr), value + "\n")
        self._link("/sys/class/fc_remote_ports/%s" % name, "../../%s/fc_remote_ports/%s" % (rdir[5:], name))
        if target_id >= 0:
            self.rports[(host, channel, target_id)] = number

    def disk(self, name, hctl, dev, session=None, fc=False, wwid=None, serial=None, vendor="NETAPP",
             model="LUN C-Mode", state="running", size_sectors=2097152, partitions=()):
        """fc: True, or the target port WWPN of the remote port (rport-H:0-T) the disk is reached through."""
        h, c, t, lun = [int(x) for x in hctl.split(":")]
        if session is not None:
            parent = "devices/platform/host%d/session%d/target%d:%d:%d" % (h, session, h, c, t)
        elif fc:
            # below the rport whose SCSI target this is (fc_rport), else rport-H:C-T (rport number = target id)
            number = self.rports.get((h, c, t), t)
            parent = "devices/pci0000:00/0000:00:03.0/host%d/rport-%d:%d-%d/target%d:%d:%d" % (h, h, c, number, h, c, t)
            if isinstance(fc, str):
                rport = "rport-%d:%d-%d" % (h, c, number)
                self._write("/sys/%s/../fc_remote_ports/%s/port_name" % (parent, rport), fc + "\n")
                self._link("/sys/class/fc_remote_ports/%s" % rport, "../../%s/../fc_remote_ports/%s"
                           % (parent, rport))
        else:
            parent = "devices/pci0000:00/0000:00:1f.2/ata1/host%d/target%d:%d:%d" % (h, h, c, t)
        ddir = "/sys/%s/%s" % (parent, hctl)
        bdir = "%s/block/%s" % (ddir, name)
        self._write(bdir + "/dev", dev + "\n")
        self._write(bdir + "/size", "%d\n" % size_sectors)
        self._mkdir(bdir + "/holders")
        self._link(bdir + "/device", "../../../%s" % hctl)
        self._write(ddir + "/vendor", "%-8s\n" % vendor)
        self._write(ddir + "/model", "%-16s\n" % model)
        self._write(ddir + "/state", state + "\n")
        if wwid is not None:
            self._write(ddir + "/wwid", wwid + "\n")
        if serial is not None:
            self._write(ddir + "/vpd_pg80", vpd80(serial))
        self._link("/sys/block/%s" % name, "../%s/%s/block/%s" % (parent, hctl, name))
        major, minor = [int(x) for x in dev.split(":")]
        for i, pdev in enumerate(partitions, 1):
            pname = "%s%d" % (name, i)
            self._write("%s/%s/dev" % (bdir, pname), pdev + "\n")
            self._mkdir("%s/%s/holders" % (bdir, pname))
        self.sd[name] = {"bdir": bdir, "dev": dev, "hctl": hctl}

    def set_state(self, name, state):
        bdir = self.sd[name]["bdir"]
        self._write(os.path.dirname(os.path.dirname(bdir)) + "/state", state + "\n")

    def dm(self, kname, dev, dm_name, uuid, slaves=(), size_sectors=2097152):
        vdir = "/sys/devices/virtual/block/%s" % kname
        self._write(vdir + "/dev", dev + "\n")
        self._write(vdir + "/size", "%d\n" % size_sectors)
        self._write(vdir + "/dm/name", dm_name + "\n")
        self._write(vdir + "/dm/uuid", uuid + "\n")
        self._mkdir(vdir + "/slaves")
        self._mkdir(vdir + "/holders")
        self._link("/sys/block/%s" % kname, "../devices/virtual/block/%s" % kname)
        for s in slaves:
            rel = os.path.relpath(self.path(self.sd[s]["bdir"]), self.path(vdir + "/slaves"))
            self._link("%s/slaves/%s" % (vdir, s), rel)
            self._link("%s/holders/%s" % (self.sd[s]["bdir"], kname),
                       os.path.relpath(self.path(vdir), self.path(self.sd[s]["bdir"] + "/holders")))
        self.maps[kname] = {"dev": dev, "name": dm_name, "uuid": uuid, "slaves": list(slaves)}

    def hold(self, lower_kname, upper_kname):
        """upper (e.g. an LVM LV or kpartx partition dm) holds lower (a map)."""
        self._link("/sys/devices/virtual/block/%s/holders/%s" % (lower_kname, upper_kname),
                   "../../%s" % upper_kname)
        self._link("/sys/devices/virtual/block/%s/slaves/%s" % (upper_kname, lower_kname), "../../%s" % lower_kname)

    def mount(self, dev, mountpoint, source, fstype="ext4"):
        n = 100 + len(self.mounts)
        line = "%d 22 %s / %s rw,relatime shared:%d - %s %s rw\n" % (n, dev, mountpoint.replace(" ", "\\040"),
                                                                     n, fstype, source)
        self.mounts.append(line)
        with open(self.path("/proc/self/mountinfo"), "a") as f:
            f.write(line)

    def swap(self, path):
        with open(self.path("/proc/swaps"), "a") as f:
            f.write("%s                               partition\t1048572\t\t0\t\t-2\n" % path)

    def proc(self, pid, comm, fds=()):
        self._write("/proc/%d/comm" % pid, comm + "\n")
        self._mkdir("/proc/%d/fd" % pid)
        for i, target in enumerate(fds, 3):
            self._link("/proc/%d/fd/%d" % (pid, i), target)

    # -- commands
    def commands(self, paths_state=None, queueing=None, multipathd=True, features=None):
        """dmsetup info/table/status and multipathd JSON for the maps in the tree.

        paths_state: {sd: (dm 'A'|'F', checker, dev_st)}.
        """
        paths_state = paths_state or {}
        info, table, status = [], [], []
        mpd_maps = []
        for kname in sorted(self.maps):
            m = self.maps[kname]
            major, minor = m["dev"].split(":")
            info.append("%s|%s|%s|%s|%d" % (m["name"], m["uuid"], major, minor, m.get("open", 0)))
            q = (queueing or {}).get(m["name"], False)
            feats = features or ("3 queue_if_no_path pg_init_retries 50" if q else "2 pg_init_retries 50")
            if not m["slaves"]:
                table.append("%s: 0 2097152 multipath %s 0 0 0" % (m["name"], feats))
                status.append("%s: 0 2097152 multipath 2 0 0 0 0 0" % m["name"])
            else:
                devs = [self.sd[s]["dev"] for s in m["slaves"]]
                table.append("%s: 0 2097152 multipath %s 0 1 1 service-time 0 %d 1 %s" % (
                    m["name"], feats, len(devs), " ".join("%s 1" % d for d in devs)))
                pst = " ".join("%s %s %d 0 1" % (self.sd[s]["dev"], paths_state.get(s, ("A",))[0],
                                                 0 if paths_state.get(s, ("A",))[0] == "A" else 1)
                               for s in m["slaves"])
                grp = "A" if any(paths_state.get(s, ("A",))[0] == "A" for s in m["slaves"]) else "E"
                status.append("%s: 0 2097152 multipath 2 0 0 0 1 1 %s 0 %d 2 %s" % (
                    m["name"], grp, len(devs), pst))
            paths = []
            for s in m["slaves"]:
                st = paths_state.get(s, ("A", "ready", "running"))
                paths.append({"dev": s, "dev_t": self.sd[s]["dev"], "dm_st": "active" if st[0] == "A" else "failed",
                              "dev_st": st[2], "chk_st": st[1], "checker": "tur", "pri": 1,
                              "host_wwnn": "[undef]", "target_wwnn": TARGET, "host_wwpn": "[undef]",
                              "target_wwpn": "[undef]", "host_adapter": "127.0.0.1",
                              "lun_hex": "0x%04x000000000000" % int(self.sd[s]["hctl"].split(":")[3]),
                              "marginal_st": "normal"})
            mpd_maps.append({"name": m["name"], "uuid": m["uuid"][len("mpath-"):], "sysfs": kname,
                             "failback": "immediate", "queueing": "on" if q else "-",
                             "paths": sum(1 for p in paths if p["dm_st"] == "active"),
                             "write_prot": "rw", "dm_st": "active", "features": feats, "hwhandler": "0",
                             "action": "", "path_faults": 0, "vend": "NETAPP", "prod": "LUN C-Mode", "rev": "4.0",
                             "switch_grp": 0, "map_loads": 1, "total_q_time": 0, "q_timeouts": 0,
                             "path_groups": [{"selector": "service-time 0", "pri": 1, "dm_st": "active",
                                              "marginal_st": "normal", "group": 1, "paths": paths}]})
        self.run.set(sr.CMD_DM_INFO, "\n".join(info) + "\n" if info else "No devices found\n")
        self.run.set(sr.CMD_DM_TABLE, "\n".join(table) + "\n" if table else "No devices found\n")
        self.run.set(sr.CMD_DM_STATUS, "\n".join(status) + "\n" if status else "No devices found\n")
        if multipathd:
            self.proc(612, "multipathd", fds=["/dev/%s" % s for s in sorted(self.sd)])
            self.run.set(sr.CMD_MPD_JSON, multipathd_json(mpd_maps))
        return self

    def reader(self, **kw):
        kw.setdefault("call", inline_call)
        return sr.Host(root=self.root, run=self.run, **kw)


def multipathd_json(maps, key="maps"):
    """The layout multipathd 0.9.4 prints ("name" : value, 3-space indents)."""
    text = json.dumps({"major_version": 0, "minor_version": 1, key: maps}, indent=3)
    return re.sub(r'": ', '" : ', text) + "\n"


# ------------------------------------------------------------------------------------------------ scenarios


def healthy_lab(tmp_path):
    """2 iSCSI sessions (127.0.0.1 / 127.0.0.2), LUN 1 and 2 of an LIO target with NetApp identity, 2 maps."""
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    t.iscsi_session(2, 3, "127.0.0.2")
    t.disk("sda", "0:0:0:0", "8:0", vendor="ATA", model="QEMU HARDDISK", wwid="t10.ATA     QEMU HARDDISK   QM00001")
    for name, hctl, dev, sess, n in (("sdb", "2:0:0:1", "8:16", 1, 1), ("sdc", "2:0:0:2", "8:32", 1, 2),
                                     ("sdd", "3:0:0:1", "8:48", 2, 1), ("sde", "3:0:0:2", "8:64", 2, 2)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(n)[1:],
               serial="0" + ontap_serial(n).encode().hex())
    t.dm("dm-0", "253:0", ontap_wwid(1), "mpath-" + ontap_wwid(1), slaves=("sdb", "sdd"))
    t.dm("dm-1", "253:1", ontap_wwid(2), "mpath-" + ontap_wwid(2), slaves=("sdc", "sde"))
    return t


def _captured_answers(cdir):
    """argv (device paths by /dev/<name>) -> (rc, stdout, stderr) from commands/index.json + <slug>.txt."""
    with open(os.path.join(cdir, "index.json")) as f:
        index = json.load(f)
    answers = {}
    for slug, meta in index.items():
        path = os.path.join(cdir, slug + ".txt")
        out = ""
        if os.path.exists(path):
            with open(path) as f:
                out = f.read()
        answers[tuple(meta["argv"])] = (meta.get("rc", 0), out, meta.get("stderr") or "")
    return answers


def _norm_argv(argv):
    # the device node as the guest named it, wherever it stands (sg_raw: before the CDB bytes)
    return tuple("/dev/" + os.path.basename(a) if "/dev/" in a else a for a in argv)


class CapturedRun(FakeRun):
    """Answers from a capture of tests/lab/capture.py. Where the capture ran an equivalent command in another
    output form, the answer is derived from it (dmsetup info with ':' separators; VPD 0x80 as text; one map's
    dmsetup/multipathd output from the all-maps output)."""

    def __init__(self, cdir):
        super(CapturedRun, self).__init__()
        self.captured = _captured_answers(cdir)

    def _derived(self, key):
        if key == tuple(sr.CMD_DM_INFO) and key not in self.captured:
            rc, out, err = self.captured[("dmsetup", "info", "-c", "--noheadings", "-o", "name,uuid,major,minor,open")]
            return (rc, "".join(line.replace(":", "|") + "\n" for line in out.splitlines()), err)
        return self.captured.get(key)

    def __call__(self, argv, timeout, what=None, data=None):
        self.calls.append((list(argv), timeout))
        key = _norm_argv(argv)
        ans = self.captured.get(key)
        if ans is None and key == tuple(sr.CMD_DM_INFO):
            rc, out, err = self.captured[("dmsetup", "info", "-c", "--noheadings", "-o", "name,uuid,major,minor,open")]
            ans = (rc, "".join(line.replace(":", "|") + "\n" for line in out.splitlines()), err)
        if ans is None:
            ans = one_map_answer(key, self._derived)
        if ans is None and key[:4] == ("sg_inq", "-p", "0x80", "-r"):
            rc, out, err = self.captured[("sg_inq", "-p", "0x80", key[-1])]
            m = re.search(r"Unit serial number:\s*(\S+)", out)
            ans = (rc, "\x00\ufffd\x00%s%s" % (chr(len(m.group(1))), m.group(1)) if (rc == 0 and m) else "", err)
        if ans is None:
            raise OSError(2, "no captured output for %s" % " ".join(key))
        rc, out, err = ans
        return deadline.CommandResult(list(argv), rc, out, err, 0.01)


def _unpacked(scenario):
    """Directory of a captured fixture, unpacked once per test run from <scenario>.tar.gz."""
    dest = captures.unpacked(os.path.join(FIXTURES, scenario + ".tar.gz"))
    return None if dest is None else os.path.join(dest, scenario)


def load_captured(scenario):
    """(reader, truth) for a captured lab fixture (tests/lab/capture.py), or skip when it is not there yet.

    Layout inside <scenario>.tar.gz: <scenario>/root/ (sysfs, /proc, /etc as captured, symlinks kept),
    <scenario>/commands/index.json (slug -> argv, rc, stderr) with <slug>.txt (stdout), <scenario>/truth.json.
    """
    base = _unpacked(scenario)
    if base is None:
        pytest.skip("captured fixture %s not available" % scenario)
    truth = None
    if os.path.exists(os.path.join(base, "truth.json")):
        with open(os.path.join(base, "truth.json")) as f:
            truth = json.load(f)
    reader = sr.Host(root=os.path.join(base, "root"), run=CapturedRun(os.path.join(base, "commands")),
                     call=inline_call)
    return reader, truth


def many_luns(tmp_path):
    """healthy_lab with 40 more LUNs on session 1: 45 sds and 2 maps."""
    t = healthy_lab(tmp_path)
    for i in range(40):
        t.disk("sd%s" % chr(ord("f") + i) if i < 21 else "sda%s" % chr(ord("a") + i - 21), "2:0:0:%d" % (10 + i),
               "65:%d" % (16 * i), session=1, wwid="naa." + ontap_wwid(10 + i)[1:])
    return t.commands()


# ------------------------------------------------------------------------------------------------ probe text

STD_INQ_OK = """standard INQUIRY:
  PQual=0  PDT=0  RMB=0  LU_CONG=0  hot_pluggable=0  version=0x06  [SPC-4]
  [AERC=0]  [TrmTsk=0]  NormACA=0  HiSUP=0  Resp_data_format=2
  SCCS=0  ACC=0  TPGS=3  3PC=1  Protect=0  [BQue=0]
  EncServ=0  MultiP=1 (VS=0)  [MChngr=0]  [ACKREQQ=0]  Addr16=0
  [RelAdr=0]  WBus16=0  Sync=0  [Linked=0]  [TranDis=0]  CmdQue=1
  [SPI: Clocking=0x0  QAS=0  IUS=0]
    length=66 (0x42)   Peripheral device type: disk
 Vendor identification: NETAPP
 Product identification: LUN C-Mode
 Product revision level: 4.0
 Unit serial number: 0383041624364456647683031
"""


# FC array ports (LIF WWPNs) of a dual-fabric host: 5x on host5's fabric, 6x on host6's
FC_PORTS = {"5a": "0x200100a098aa0001", "5b": "0x200200a098aa0002", "5c": "0x200300a098aa0003",
            "6a": "0x200400a098bb0001", "6c": "0x200500a098bb0003"}


# sd -> (H:C:T:L, the port it is reached through)
FC_DISKS = {"sdb": ("5:0:0:1", "5c"), "sdc": ("5:0:1:1", "5a"), "sdd": ("5:0:2:1", "5b"), "sde": ("5:0:2:2", "5b"),
            "sdf": ("6:0:0:1", "6a"), "sdg": ("6:0:1:1", "6c")}


def fc_several_rports(tmp_path):
    """host5 and host6 (one per fabric) with several array ports each, as a host zoned to several LIFs sees them:
    rport numbers in arrival order, SCSI target ids bound by WWPN, never equal (on host5 an initiator-only port
    arrived first: rport-5:0-0, no SCSI target). rport-5:0-1 is target 2, rport-5:0-2 target 0, rport-5:0-3
    target 1; rport-6:0-0 target 1, rport-6:0-1 target 0. The disks are FC_DISKS."""
    t = SanTree(tmp_path / "root")
    t.fc_host(5, wwpn="0x21000024ff3a0b1c")
    t.fc_host(6, wwpn="0x21000024ff3a0b1d")
    t.fc_rport(5, 0, "0x21000024ff990001", -1, roles="FCP Initiator")
    for host, number, port, target_id in ((5, 1, "5b", 2), (5, 2, "5c", 0), (5, 3, "5a", 1), (6, 0, "6c", 1),
                                          (6, 1, "6a", 0)):
        t.fc_rport(host, number, FC_PORTS[port], target_id)
    for i, name in enumerate(sorted(FC_DISKS)):
        t.disk(name, FC_DISKS[name][0], "8:%d" % (16 * (i + 1)), fc=True, wwid="naa." + ontap_wwid(10 + i)[1:])
    t.commands(multipathd=False)
    return t


# ---------------------------------------------------------------------------------------------- in use means in use
def _blocknode(t, path, dev):
    major, minor = [int(x) for x in dev.split(":")]
    full = t.path(path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    os.mknod(full, 0o600 | stat.S_IFBLK, os.makedev(major, minor))


def _charnode(t, path, dev):
    major, minor = [int(x) for x in dev.split(":")]
    full = t.path(path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    os.mknod(full, 0o600 | stat.S_IFCHR, os.makedev(major, minor))


def plain_san_disk(tmp_path):
    t = healthy_lab(tmp_path)
    t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:], partitions=("8:81",))
    _blocknode(t, "/dev/sdf", "8:80")
    _blocknode(t, "/dev/sdf1", "8:81")
    return t


def fd_info(t, pid, fd, flags="0100000", mnt_id="25", pos="0", task=None):
    """/proc/PID/fdinfo/FD (or a thread's) as the kernel prints it."""
    base = "/proc/%d" % pid if task is None else "/proc/%d/task/%d" % (pid, task)
    t._write("%s/fdinfo/%d" % (base, fd), "pos:\t%s\nflags:\t%s\nmnt_id:\t%s\nino:\t9\n" % (pos, flags, mnt_id))


# The stack of a (udev-worker) that systemd-udevd killed while its blkid read queued on a dead map, as the lab's
# Debian 12 kernel (6.1.0) showed it in /proc/PID/stack; its /proc/PID/stat flags were 4195660 (PF_EXITING set).
KILLED_WORKER_STACK = """[<0>] folio_wait_bit_common+0x13d/0x350
[<0>] truncate_inode_pages_range+0x412/0x450
[<0>] blkdev_flush_mapping+0x58/0xc0
[<0>] blkdev_put_whole+0x3b/0x50
[<0>] blkdev_put+0x9f/0x1c0
[<0>] blkdev_close+0x16/0x20
[<0>] __fput+0x93/0x250
[<0>] task_work_run+0x59/0x90
[<0>] do_exit+0x381/0xb10
[<0>] do_group_exit+0x2d/0x80
[<0>] get_signal+0x985/0x990
"""


KILLED_WORKER_STAT = "402 ((udev-worker)) D 233 233 233 0 -1 4195660 5412 0 3 0 2 1 0 0 20 0 1 0 3117\n"


def killed_task(t, pid, comm="(udev-worker)", stat=None, stack=KILLED_WORKER_STACK):
    """/proc/PID of a task exiting with no file table left: empty fd dir, its stat and (if given) its stack."""
    t.proc(pid, comm, fds=[])
    base = "/proc/%d/task/%d" % (pid, pid)
    stat = stat or KILLED_WORKER_STAT.replace("402", str(pid), 1)
    t._write("/proc/%d/stat" % pid, stat)
    t._write(base + "/stat", stat)
    t._write(base + "/comm", comm + "\n")
    if stack is not None:
        t._write(base + "/stack", stack)


def proc_scan_times_out(fn, args=(), timeout=10, what=None):
    """A deadline.call stand-in whose /proc/*/fd scans (alone or in the batch read) miss their deadline."""
    if fn.__name__ in ("read_batch", "read_openers"):
        raise deadline.DeadlineExceeded(what, timeout)
    return fn(*args)


def closer_and_hidden_open_plan(t):
    """The plan for stale map dm-0 with one open nobody sees and one killed udev worker on the host."""
    killed_task(t, 402)
    t.maps["dm-0"]["open"] = 1
    t.commands()
    snap = t.reader(call=inline_call).snapshot(probe=False)
    w = ontap_wwid(1)
    snap["maps"][w].update(queueing=True, paths=[{"name": "sdb", "dm_state": "failed"},
                                                 {"name": "sdd", "dm_state": "failed"}],
                           probe={"sdb": {"result": "lun_not_supported"}, "sdd": {"result": "lun_not_supported"}})
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    out = cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": w, "wwid": w}])
    return snap, [s.action for s in out["steps"] if s.target == w], out


def local_loop(t, name, backing, sectors=2048):
    t._write("/sys/block/%s/dev" % name, "7:0\n")
    t._write("/sys/block/%s/size" % name, "%d\n" % sectors)
    t._write("/sys/block/%s/loop/backing_file" % name, backing + "\n")


def sysfs_dev(t, dev, directory):
    """/sys/dev/block/<dev> and /sys/class/block/<name> pointing at a device's sysfs directory, as the kernel links
    them."""
    for link in ("/sys/dev/block/%s" % dev, "/sys/class/block/%s" % os.path.basename(directory)):
        t._link(link, os.path.relpath(t.path(directory), os.path.dirname(t.path(link))))


def loop_file(t, name, path="/srv/images/disk.img", sectors=2048, file_sectors=2048, fstype="ext4", mount_dev=None):
    """Loop device `name` on a real file of the tree, on a filesystem mounted at the file's directory. The file's
    st_dev is this machine's, so the tree's sysfs says which device that number is (sysfs_dev); returns it."""
    full = t.path(path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.truncate(file_sectors * 512)
    st = os.stat(full)
    dev = "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))
    if dev.startswith("0:"):
        pytest.skip("the test's files lie on an anonymous filesystem (%s): no block device number to stand for" % dev)
    t.mount(mount_dev or dev, os.path.dirname(path), "/dev/images", fstype=fstype)
    local_loop(t, name, path, sectors)
    return dev


def virtio_disk(t, dev):
    """A local virtio disk vda with device number `dev`."""
    vdir = "/sys/devices/pci0000:00/0000:00:05.0/virtio2/block/vda"
    t._write(vdir + "/dev", dev + "\n")
    t._link("/sys/block/vda", "../devices/pci0000:00/0000:00:05.0/virtio2/block/vda")
    sysfs_dev(t, dev, vdir)
