# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nvme_conf's reads (run in a forked child, deadline.call through Host.sysfs): the NVMe controllers and subsystems
in sysfs, the native multipath switch of nvme_core, the host identity files, the discovery configuration of
nvme-cli and whether its boot units are enabled. Read only; nothing here opens a device, runs a command or asks
systemd (the unit's state is read from the links `systemctl enable` makes).

What the kernel prints there (drivers/nvme/host/sysfs.c, core.c before 6.8; multipath.c; fabrics.c):

* /sys/class/nvme/nvmeX: `transport` (ctrl->ops->name: tcp, rdma, fc, pcie, loop), `state` (new, live, resetting,
  connecting, deleting, "deleting (no IO)", dead, else "unknown state"), `subsysnqn`, `model`, `address`,
  `cntrltype` (io, discovery, admin; 5.18+), and on a fabrics controller only (ctrl->opts) `ctrl_loss_tmo`
  ("off" when max_reconnects is -1, else max_reconnects x reconnect_delay seconds), `fast_io_fail_tmo` and
  `reconnect_delay` ("off" for -1, else seconds);
* /sys/class/nvme-subsystem/nvme-subsysN: `subsysnqn`, `model` (the 40 bytes of the Identify field, blank padded),
  `subsystype` (nvm, discovery; 5.18+), `iopolicy` (CONFIG_NVME_MULTIPATH: numa, round-robin, queue-depth since
  6.11), and a link named after each of its controllers (nvme_init_subsystem: sysfs_create_link);
* /sys/module/nvme_core/parameters/multipath: a bool parameter, printed Y or N (param_get_bool); absent when the
  kernel has no native multipath (CONFIG_NVME_MULTIPATH off).

Secrets a controller shows (dhchap_secret, dhchap_ctrl_secret, tls_key) are never read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.fs import read_config_file, rooted
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import to_int
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.sysfs import (
    read_nvme_host, read_partitions)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.users import mark_users

CTRL_RE = re.compile(r"^nvme([0-9]{1,9})\Z")
# a namespace's block device: the head of native multipath (nvme<subsystem>n<namespace>) in the subsystem's
# directory, or, without native multipath, the controller's own device in the controller's; a path device
# (nvme<subsystem>c<controller>n<namespace>, multipath.c nvme_mpath_set_disk_name) belongs to the head of its name
# without the c<controller>
NAMESPACE_RE = re.compile(r"^nvme([0-9]{1,9})n([0-9]{1,9})\Z")
PATH_RE = re.compile(r"^(nvme[0-9]{1,9})c[0-9]{1,9}(n[0-9]{1,9})\Z")
SUBSYS_RE = re.compile(r"^nvme-subsys([0-9]{1,9})\Z")
CTRL_ATTRS = ("transport", "state", "subsysnqn", "model", "cntrltype", "address", "ctrl_loss_tmo",
              "fast_io_fail_tmo", "reconnect_delay")
SUBSYS_ATTRS = ("subsysnqn", "model", "subsystype", "iopolicy")
# what the device inventory adds for each controller (the host NQN it connected as, its controller ID)
DEVICE_CTRL_ATTRS = CTRL_ATTRS + ("hostnqn", "cntlid")
# what nvme_conf adds: the host NQN and host ID the controller connected with (fabrics only; the identity its fix
# persists) and the controller ID (the re-check before a live write)
CONF_CTRL_ATTRS = DEVICE_CTRL_ATTRS + ("hostid",)
# the attributes nvme_conf state=present writes live, and whether this kernel lets them be written (the mode sysfs
# gives an attribute without a store function has no write bit, and writing it fails even as root)
WRITTEN_CTRL_ATTRS = ("ctrl_loss_tmo",)
WRITTEN_SUBSYS_ATTRS = ("iopolicy",)
# cached by the kernel at the last namespace scan (drivers/nvme/host/sysfs.c, multipath.c): reading them sends
# nothing to the controller, so a dead path answers at once
NAMESPACE_ATTRS = ("dev", "nsid", "uuid", "nguid", "wwid", "size", "ro")
PATH_ATTRS = ("ana_state", "ana_grpid", "nsid")
# the transports of NVMe over fabrics (drivers/nvme/host: nvme-tcp, nvme-fc, nvme-rdma); every other one (pcie,
# loop, apple-nvme, ...) is a local drive or a file
FABRIC_TRANSPORTS = ("tcp", "fc", "rdma")

MULTIPATH_PARAM = "/sys/module/nvme_core/parameters/multipath"
NVME_CORE = "/sys/module/nvme_core"
DISCOVERY_CONF = "/etc/nvme/discovery.conf"
CONFIG_JSON = "/etc/nvme/config.json"
# the boot units of nvme-cli NetApp's host pages have verified enabled: nvmf-autoconnect (connect-all at boot from
# discovery.conf / config.json) and nvmefc-boot-connections (NVMe/FC: replays the FC discovery events at boot)
UNITS = ("nvmf-autoconnect.service", "nvmefc-boot-connections.service")
# where systemd looks for unit files and the .wants/.requires links `systemctl enable` makes (systemd.unit(5),
# "Unit File Load Path"; /lib/systemd/system on hosts without a merged /usr)
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
             "/lib/systemd/system")
MASK_DIRS = ("/etc/systemd/system", "/run/systemd/system")


def is_fabrics(transport):
    """A controller of NVMe over fabrics, or one whose transport was not read (it may be one: fail closed)."""
    return transport is None or transport in FABRIC_TRANSPORTS


def _text(root, path):
    """("ok", text stripped) | ("absent", None) | ("unreadable", why) of one sysfs attribute or small file."""
    state, data = read_config_file(rooted(root, path))
    if state != "ok":
        return state, data
    return "ok", data.decode("utf-8", "replace").strip()


def _attrs(root, base, names):
    """{name: text or None} of base/<name>, and `unread`: the names whose read failed (absent is not unread)."""
    out, unread = {}, []
    for name in names:
        state, text = _text(root, "%s/%s" % (base, name))
        out[name] = text if state == "ok" else None
        if state == "unreadable":
            unread.append(name)
    out["unread"] = unread
    return out


def _entries(root, path):
    """("ok", sorted names) | ("absent", []) | ("unreadable", why) of a directory."""
    try:
        return "ok", sorted(os.listdir(rooted(root, path)))
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "absent", []
        return "unreadable", exc.strerror or str(exc)


def _writable(root, base, names):
    """The names among `names` whose attribute file under `base` has a write bit."""
    out = []
    for name in names:
        try:
            if os.stat(rooted(root, "%s/%s" % (base, name))).st_mode & 0o222:
                out.append(name)
        except OSError:
            pass
    return out


def read_controllers(root, attrs=CTRL_ATTRS, written=()):
    """[{name, <attrs>, unread}] of /sys/class/nvme, or None when the class cannot be listed; with `written`, each
    also has `writable`: those of `written` this kernel lets be written."""
    state, names = _entries(root, "/sys/class/nvme")
    if state == "unreadable":
        return None
    out = []
    for n in names:
        if CTRL_RE.match(n):
            c = dict(_attrs(root, "/sys/class/nvme/" + n, attrs), name=n)
            if written:
                c["writable"] = _writable(root, "/sys/class/nvme/" + n, written)
            out.append(c)
    return out


def read_subsystems(root):
    """[{name, <SUBSYS_ATTRS>, controllers: [nvmeX], writable, unread}] of /sys/class/nvme-subsystem, or None when
    the class cannot be listed."""
    state, names = _entries(root, "/sys/class/nvme-subsystem")
    if state == "unreadable":
        return None
    out = []
    for n in names:
        if not SUBSYS_RE.match(n):
            continue
        base = "/sys/class/nvme-subsystem/" + n
        sub = dict(_attrs(root, base, SUBSYS_ATTRS), name=n, writable=_writable(root, base, WRITTEN_SUBSYS_ATTRS))
        listed, entries = _entries(root, base)
        sub["controllers"] = [e for e in entries if CTRL_RE.match(e)] if listed == "ok" else None
        if listed == "unreadable":
            sub["unread"].append("controllers")
        out.append(sub)
    return out


def read_multipath_param(root):
    """{state: ok|absent|unreadable, text, module_loaded}: nvme_core's `multipath` parameter as printed."""
    state, text = _text(root, MULTIPATH_PARAM)
    return {"state": state, "text": text, "module_loaded": os.path.isdir(rooted(root, NVME_CORE))}


def read_discovery_files(root):
    """{path: {state, entries}}: discovery.conf (entries: its lines that are neither blank nor a # comment, the
    ones `nvme connect-all` reads) and config.json (entries None: its presence is what the unit checks)."""
    out = {}
    for path in (DISCOVERY_CONF, CONFIG_JSON):
        state, data = read_config_file(rooted(root, path))
        entries = None
        if state == "ok" and path == DISCOVERY_CONF:
            entries = sum(1 for line in data.split(b"\n") if line.strip() and not line.strip().startswith(b"#"))
        out[path] = {"state": state, "entries": entries, "why": data if state == "unreadable" else None}
    return out


def unit_state(root, unit):
    """{state: enabled|disabled|masked|not_installed|unknown, where, unread} of one unit, from the files alone:
    masked (a link to /dev/null in /etc or /run), enabled (a link of that name in any <unit>.wants or .requires
    directory of the load path), installed (its file in the load path). A directory that cannot be read makes a
    unit not found enabled `unknown`, never `disabled`."""
    unread = []
    for d in MASK_DIRS:
        path = rooted(root, "%s/%s" % (d, unit))
        if os.path.islink(path):
            try:
                if os.readlink(path) == "/dev/null":
                    return {"state": "masked", "where": "%s/%s" % (d, unit), "unread": []}
            except OSError as exc:
                unread.append("%s/%s: %s" % (d, unit, exc.strerror or exc))
    installed = False
    for d in UNIT_DIRS:
        state, names = _entries(root, d)
        if state == "unreadable":
            unread.append("%s: %s" % (d, names))
            continue
        installed = installed or unit in names
        for sub in names:
            if not sub.endswith((".wants", ".requires")):
                continue
            sub_state, links = _entries(root, "%s/%s" % (d, sub))
            if sub_state == "unreadable":
                unread.append("%s/%s: %s" % (d, sub, links))
            elif unit in links:
                return {"state": "enabled", "where": "%s/%s/%s" % (d, sub, unit), "unread": []}
    if unread:
        return {"state": "unknown", "where": None, "unread": unread}
    return {"state": "disabled" if installed else "not_installed", "where": None, "unread": []}


def read_nvme_fabrics(root):
    """(runs in a forked child) Everything the NVMe-oF audit (judge/nvme_audit.py) judges: {multipath, controllers,
    subsystems, host (observe.sysfs.read_nvme_host), files, units}."""
    return {
        "multipath": read_multipath_param(root),
        "controllers": read_controllers(root, CONF_CTRL_ATTRS, WRITTEN_CTRL_ATTRS),
        "subsystems": read_subsystems(root),
        "host": read_nvme_host(root),
        "files": read_discovery_files(root),
        "units": dict((u, unit_state(root, u)) for u in UNITS),
    }


def _namespace(root, base, name):
    """{name, <NAMESPACE_ATTRS>, parent, holders, partitions: [{name, dev, holders}], paths: [], unread} of the
    namespace device base/name; parent: the directory it is in (its subsystem's, or its controller's), where its
    generic node lives too."""
    ns = dict(_attrs(root, "%s/%s" % (base, name), NAMESPACE_ATTRS), name=name, paths=[],
              parent=base.rsplit("/", 1)[-1])
    listed, holders = _entries(root, "/sys/block/%s/holders" % name)
    ns["holders"] = holders if listed == "ok" else None
    if listed == "unreadable":
        ns["unread"].append("holders")
    ns["partitions"] = read_partitions(root, "/sys/block/" + name, name, separator="p")
    return ns


def read_nvme_devices(root):
    """(runs in a forked child) The host's NVMe controllers and namespaces as sysfs shows them: {controllers:
    [{name, <DEVICE_CTRL_ATTRS>, unread}], namespaces: [{name, subsystem, multipath, <NAMESPACE_ATTRS>, holders,
    paths: [{name, controller, <PATH_ATTRS>, unread}], unread}], unread: [what could not be listed]}; None when
    /sys/class/nvme cannot be listed. A head of native multipath has a path per controller that still knows the
    namespace; a namespace without native multipath is its controller's own device and its own one path."""
    controllers = read_controllers(root, DEVICE_CTRL_ATTRS)
    if controllers is None:
        return None
    unread, namespaces = [], {}
    state, subsystems = _entries(root, "/sys/class/nvme-subsystem")
    if state == "unreadable":
        unread.append("/sys/class/nvme-subsystem")
    for sub in subsystems:
        if not SUBSYS_RE.match(sub):
            continue
        base = "/sys/class/nvme-subsystem/" + sub
        listed, entries = _entries(root, base)
        if listed == "unreadable":
            unread.append(base)
        # the subsystem's controllers: a head whose paths are all gone still belongs to them (fabrics or not)
        members = [e for e in entries if CTRL_RE.match(e)]
        nqn_state, nqn = _text(root, base + "/subsysnqn")
        for e in entries:
            if NAMESPACE_RE.match(e):
                namespaces[e] = dict(_namespace(root, base, e), subsystem=sub, multipath=True,
                                     subsystem_controllers=members, subsystem_nqn=nqn if nqn_state == "ok" else None)
    for ctrl in controllers:
        base = "/sys/class/nvme/" + ctrl["name"]
        listed, entries = _entries(root, base)
        if listed == "unreadable":
            unread.append(base)
        for e in entries:
            head = PATH_RE.match(e)
            if head:
                path = dict(_attrs(root, "%s/%s" % (base, e), PATH_ATTRS), name=e, controller=ctrl["name"])
                owner = namespaces.get(head.group(1) + head.group(2))
                if owner is None:   # a path whose head the subsystem's listing did not show: kept, not dropped
                    owner = namespaces.setdefault(head.group(1) + head.group(2), {
                        "name": head.group(1) + head.group(2), "subsystem": None, "multipath": True, "paths": [],
                        "holders": None, "partitions": [], "subsystem_controllers": [ctrl["name"]],
                        "unread": ["head"]})
                owner["paths"].append(path)
            elif NAMESPACE_RE.match(e):
                ns = dict(_namespace(root, base, e), subsystem=None, multipath=False,
                          subsystem_controllers=[ctrl["name"]])
                ns["paths"].append(dict(_attrs(root, "%s/%s" % (base, e), PATH_ATTRS), name=e,
                                        controller=ctrl["name"]))
                namespaces[e] = ns
    return {"controllers": controllers, "namespaces": [namespaces[k] for k in sorted(namespaces)], "unread": unread}


def parse_address(text):
    """{traddr, trsvcid, host_traddr, src_addr, ...} of a controller's `address` ("traddr=127.0.0.5,trsvcid=4420,
    src_addr=127.0.0.1"; nvmf_get_address prints the key=value pairs its options set), {} when unread."""
    return dict(kv.split("=", 1) for kv in (text or "").split(",") if "=" in kv)


# An NVMe/FC transport address as the kernel takes it (drivers/nvme/host/fc.c nvme_fc_parse_traddr, used for
# traddr and host_traddr): "nn-0x<16 hex>:pn-0x<16 hex>" or "nn-<16 hex>:pn-<16 hex>", nothing else; nvme-fc's
# discovery events (nvme_fc_signal_discovery_scan, which nvme-cli's udev rule connects from) spell it
# "nn-0x%016llx:pn-0x%016llx". The sysfs `address` shows the string the connect gave (nvmf_get_address).
_FC_TRADDR = re.compile(r"^nn-(0x|)([0-9a-fA-F]{16}):pn-\1([0-9a-fA-F]{16})\Z")


def fc_port_name(traddr):
    """The port name (WWPN) of an NVMe/FC transport address, its 16 hex digits as the address spells them (compare
    them in identity's normal form of a WWPN), None when the text is not in the kernel's format."""
    match = _FC_TRADDR.match(traddr) if isinstance(traddr, str) else None
    return match.group(3) if match else None


def read_left(root, controllers, namespaces):
    """(runs in a forked child) What is left of NVMe-oF controllers and namespace devices after their delete:
    {controllers: {name: {subsysnqn, transport, address, hostnqn, cntlid, state, unread} or None}, namespaces:
    {name: uuid, or None when not there}, paths: {namespace: [the controllers it still has a path through] or None
    when /sys/block could not be listed}}. A name there again may be another device: the caller compares
    identities."""
    out = {"controllers": {}, "namespaces": {}}
    for name in controllers:
        base = "/sys/class/nvme/" + name
        if not os.path.lexists(rooted(root, base)):
            out["controllers"][name] = None
            continue
        attrs = _attrs(root, base, ("subsysnqn", "transport", "address", "hostnqn", "cntlid", "state"))
        attrs["address"] = parse_address(attrs.get("address"))
        out["controllers"][name] = dict(attrs, name=name)
    listed, blocks = _entries(root, "/sys/block")
    for name in namespaces:
        state, text = _text(root, "/sys/block/%s/uuid" % name)
        present = state != "absent" or os.path.lexists(rooted(root, "/sys/block/" + name))
        out["namespaces"][name] = (text if state == "ok" else "(not read: %s)" % state) if present else None
        # the controllers it still has a path through (nvme<subsystem>c<controller>n<namespace>); None: unknown
        head = NAMESPACE_RE.match(name)
        paths = None
        if listed == "ok" and head:
            paths = sorted("nvme" + m.group(1) for m in (
                re.match(r"^nvme%sc([0-9]{1,9})n%s\Z" % (head.group(1), head.group(2)), b) for b in blocks) if m)
        out.setdefault("paths", {})[name] = paths
    return out


def _nvme_controller(c):
    return {"name": c["name"], "transport": c.get("transport"), "state": c.get("state"),
            "subsysnqn": c.get("subsysnqn"), "hostnqn": c.get("hostnqn"), "cntlid": c.get("cntlid"),
            "cntrltype": c.get("cntrltype"), "address": parse_address(c.get("address")),
            "ctrl_loss_tmo": c.get("ctrl_loss_tmo"), "unread": list(c.get("unread") or [])}


def _on_fabrics(names, controllers):
    return not names or any(is_fabrics((controllers.get(c) or {}).get("transport")) for c in names)


def assemble_nvme(read, users, by_name=None):
    """The snapshot's `nvme` (observe.snapshot.assemble): the controllers and namespaces of read_nvme_devices, each
    namespace with its users found as a multipath map's are (`users`: snapshot's reading of mounts, swap, openers
    and kernel users) and each path with its controller's state and address. None when they were not read
    (unknown, not absent)."""
    if read is None:
        return None
    by_name = by_name or {}
    controllers = dict((c["name"], _nvme_controller(c)) for c in read.get("controllers") or [])
    for name, ctrl in controllers.items():
        # the processes holding its own char node /dev/<name> (admin commands, I/O passthrough): its users, with or
        # without a namespace behind it
        ctrl["openers"] = users.usage([], [(key, name) for key in users.nvme_controller_nodes.get(name, [])])[2]
        if users.openers_unknown:
            ctrl["openers_unknown"] = users.openers_unknown
    namespaces = []
    for ns in read.get("namespaces") or []:
        dev = ns.get("dev")
        parts = ns.get("partitions") or []
        # as for an sd: the namespace and its partitions, and one level down what holds them (LVM, dm-crypt, md)
        holders = list(ns.get("holders") or []) + [h for p in parts for h in p.get("holders") or []]
        self_devs = [d for d in [dev] + [p.get("dev") for p in parts] if d]
        # a process with its generic node open holds it as well (observe.snapshot: the node beside it, of its number)
        below = [(by_name[h], h) for h in holders if by_name.get(h)]
        instance = NAMESPACE_RE.match(ns["name"])
        if instance and ns.get("parent"):
            below += users.nvme_generic.get((ns["parent"], "n" + instance.group(2)), [])
        # and one with the char node of a controller it has a path through (/dev/nvmeX: admin commands, and I/O
        # passthrough to the controller's only namespace): a user of every namespace behind that controller
        for ctrl in sorted(set(p["controller"] for p in ns.get("paths") or [])):
            below += [(key, ctrl) for key in users.nvme_controller_nodes.get(ctrl, [])]
        mountpoints, swap, openers = users.usage(self_devs, below)
        paths = []
        for p in ns.get("paths") or []:
            ctrl = controllers.get(p["controller"]) or {}
            paths.append({"name": p["name"], "controller": p["controller"], "ana_state": p.get("ana_state"),
                          "ana_grpid": p.get("ana_grpid"), "controller_state": ctrl.get("state"),
                          "transport": ctrl.get("transport"), "traddr": (ctrl.get("address") or {}).get("traddr"),
                          "trsvcid": (ctrl.get("address") or {}).get("trsvcid"),
                          "subsysnqn": ctrl.get("subsysnqn"), "unread": list(p.get("unread") or [])})
        entry = {"name": ns["name"], "dev": dev, "nsid": to_int(ns.get("nsid")), "uuid": ns.get("uuid"),
                 "nguid": ns.get("nguid"), "wwid": ns.get("wwid"),
                 "size_bytes": (to_int(ns.get("size")) or 0) * 512 if ns.get("size") is not None else None,
                 "subsystem": ns.get("subsystem"), "multipath": ns.get("multipath"),
                 "subsysnqn": next((p["subsysnqn"] for p in paths if p["subsysnqn"]), ns.get("subsystem_nqn")),
                 "paths": paths, "holders": None if ns.get("holders") is None else holders,
                 "partitions": [p["name"] for p in parts], "mountpoints": mountpoints, "swap": swap,
                 "openers": openers, "unread": list(ns.get("unread") or []),
                 # on a fabrics subsystem: by its paths' controllers, or its subsystem's when it has no path left;
                 # with no controller at all nothing shows it is local (fail closed)
                 "fabrics": _on_fabrics(set(p["controller"] for p in paths) |
                                        set(ns.get("subsystem_controllers") or []), controllers)}
        mark_users(entry, users.kernel_users(self_devs), users.openers_unknown)
        namespaces.append(entry)
    return {"controllers": [controllers[k] for k in sorted(controllers)], "namespaces": namespaces,
            "unread": list(read.get("unread") or [])}
