# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The writes of nvme_conf state=present (judge/nvme_fix.py plans them): a live sysfs attribute written by a forked
child (below) under the deadline after the child re-read, microseconds before, that the object is still
the one planned (a subsystem's NQN; a controller's subsystem NQN, transport, address and controller ID, and that it
is still live), and the files, each written (module.write_config) only if it is still as the plan read it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, IdentityChanged, Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import address_text
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import parse_address
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.fs import read_config_file


def _read_attr(base, attr):
    try:
        with open(os.path.join(base, attr)) as fh:
            return fh.read().strip()
    except (IOError, OSError) as exc:
        raise IdentityChanged("%s/%s cannot be read (%s)" % (os.path.basename(base), attr, exc),
                              device=os.path.basename(base), identity={"attr": attr})


def _write_and_read_back(base, attr, value):
    with open(os.path.join(base, attr), "w") as fh:
        fh.write(value)
    return _read_attr(base, attr)


def child_set_iopolicy(sys_root, name, subsysnqn, before, after):
    """(runs in a forked child) class/nvme-subsystem/<name>/iopolicy := after, only if <name> is still the subsystem
    `subsysnqn` and its policy still reads `before` (or `after` already): the policy read back."""
    base = os.path.join(sys_root, "class", "nvme-subsystem", name)
    nqn = _read_attr(base, "subsysnqn")
    if nqn != subsysnqn:
        raise IdentityChanged("%s is subsystem %s now, planned %s" % (name, nqn, subsysnqn), device=name,
                              identity={"expected": subsysnqn, "found": nqn})
    now = _read_attr(base, "iopolicy")
    if now == after:
        return now
    if now != before:
        raise IdentityChanged("%s/iopolicy reads %s now, planned from %s" % (name, now, before), device=name,
                              identity={"expected": before, "found": now})
    return _write_and_read_back(base, "iopolicy", after)


def child_bound_ctrl_loss_tmo(sys_root, name, expected, seconds):
    """(runs in a forked child) class/nvme/<name>/ctrl_loss_tmo := seconds, only if <name> still connects to the
    subsystem, over the transport and address, with the controller ID and model `expected` holds, is live, and its
    ctrl_loss_tmo still reads off: the value read back. One bounded since the plan (the rule this run wrote, at a
    reconnect) is left as it is, and its value returned."""
    base = os.path.join(sys_root, "class", "nvme", name)
    attrs = ("subsysnqn", "transport", "address", "cntlid", "model", "state", "ctrl_loss_tmo")
    now = dict((attr, _read_attr(base, attr)) for attr in attrs)
    now["address"] = address_text(parse_address(now["address"]))
    for attr in ("subsysnqn", "transport", "address", "cntlid", "model"):
        if now[attr] != expected.get(attr):
            raise IdentityChanged("%s has %s %s, planned %s" % (name, attr, now[attr], expected.get(attr)),
                                  device=name, identity={"expected": expected.get(attr), "found": now[attr]})
    if now["state"] != "live":
        raise IdentityChanged("%s is %s now, not live: a bound written while it reconnects can end its reconnects "
                              "at once" % (name, now["state"]), device=name,
                              identity={"expected": "live", "found": now["state"]}, kind="not_live")
    if now["ctrl_loss_tmo"].isdigit():
        return now["ctrl_loss_tmo"]
    if now["ctrl_loss_tmo"] != "off":
        raise IdentityChanged("%s/ctrl_loss_tmo reads %s now, planned from off" % (name, now["ctrl_loss_tmo"]),
                              device=name, identity={"expected": "off", "found": now["ctrl_loss_tmo"]})
    return _write_and_read_back(base, "ctrl_loss_tmo", str(seconds))


CHILDREN = {"set_iopolicy": child_set_iopolicy, "bound_ctrl_loss_tmo": child_bound_ctrl_loss_tmo}


def write_live(host, change):
    """One planned live write; the value read back. A re-check that finds another object, or a controller no
    longer live, refuses (nothing written); a write the kernel rejects or that misses the deadline fails."""
    name, target = change["object"], "%s %s" % (change["object"], change["setting"])
    if change["action"] == "set_iopolicy":
        args = (host.path("/sys"), name, change["identity"]["subsysnqn"], change["before"], change["after"])
    else:
        args = (host.path("/sys"), name, change["identity"], int(change["after"]))
    try:
        return host.sysfs(CHILDREN[change["action"]], args, "write of %s/%s" % (name, change["setting"]))
    except ChildFailed as exc:
        if exc.is_identity_change() or exc.kind == "not_live":
            raise Refused(target, "came_back" if exc.kind == "not_live" else "identity", "%s; nothing written"
                          % exc.reason)
        rejected = exc.error_type in ("OSError", "IOError") and "Invalid argument" in (exc.message or "")
        if change["action"] == "set_iopolicy" and rejected:
            raise ActFailed(target, "the kernel does not take iopolicy %s (%s): queue-depth came with 6.11 and the "
                            "distributions' backports; choose round-robin" % (change["after"], exc))
        raise ActFailed(target, "write failed: %s" % exc)
    except RuntimeError as exc:  # the deadline's own errors
        raise ActFailed(target, "write failed: %s" % exc)


def file_text(path):
    """(runs in a forked child) ("ok", text) | ("absent", None) | ("unreadable", why) | ("not_regular", what) of a
    config file this module may replace; an empty file is absent (as libnvme reads the host files). A symbolic link
    (a udev rules file masked by a link to /dev/null reads empty) or anything but a regular file is never taken for
    absent: the write would replace the link, and the file would take the mode of what it pointed to."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        st = None
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            return "unreadable", exc.strerror or str(exc)
    if st is not None and stat.S_ISLNK(st.st_mode):
        return "not_regular", "%s is a symbolic link (to %s)" % (path, os.readlink(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        return "not_regular", "%s is not a regular file" % path
    state, data = read_config_file(path)
    if state == "ok" and not data:
        return "absent", None
    return state, data.decode("utf-8", "replace") if state == "ok" else data


def file_is_as_planned(host, change):
    """Refuse a file write when the file is no longer what the plan read (absent for an identity file, the text
    the plan saw for the rule): someone else wrote it meanwhile."""
    state, now = host.sysfs(file_text, (host.path(change["object"]),), "read of %s" % change["object"])
    if state in ("unreadable", "not_regular") or (now if state == "ok" else None) != change["before"]:
        raise Refused(change["object"], "changed", "%s changed since it was read (%s); not written" % (
            change["object"], "not readable now: %s" % now if state == "unreadable" else now
            if state == "not_regular" else "now %s" % ("absent" if state == "absent" else "%d characters" % len(now))))
