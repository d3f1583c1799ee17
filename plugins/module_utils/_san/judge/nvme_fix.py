# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fix of the NVMe over Fabrics settings (pure; no I/O): from what observe.nvme.read_nvme_fabrics read and the
findings judge/nvme_audit.py made of it, the changes nvme_conf state=present makes, the ones it holds back and why,
and the findings no module should fix (docs/compliance.md "NVMe over Fabrics", "The fix").

Changes, each a dict {action, object, setting, before, after, identity, reason}:

In the order they are made (the live writes first: a kernel that rejects a write leaves no rule behind that
would set the same value at the next add):

* `bound_ctrl_loss_tmo`: a **live** ONTAP NVMe/TCP or NVMe/RDMA I/O controller whose `ctrl_loss_tmo` is off -> a
  number of seconds, written live. Never on a controller that is not live: the kernel decides whether to reconnect
  again from `nr_reconnects < max_reconnects` (fabrics.c nvmf_should_reconnect), and a controller in an outage has
  counted its attempts all along, so a bound written now can end its reconnects at the next attempt and remove it
  with its namespace paths: an outage turned into a loss. It is held, and fixed by a run once it is live again.
  Never on a controller whose model was not read (it may be another array's).
* `set_iopolicy`: an ONTAP subsystem's `iopolicy` numa -> the recommended policy, written live. The policy only picks
  among the paths that can take I/O, so it is written in an outage too.
* `write_host_file`: /etc/nvme/hostnqn or hostid when the file is absent, holding the value every fabrics
  controller connected with (sysfs `hostnqn`, `hostid`): the running identity persisted, never a new one. A file
  that holds something else is the host's identity and is never rewritten.
* `write_udev_rule`: the udev rule that keeps both after a reconnect or reboot (NetApp's own rule in nvme-cli sets
  ctrl_loss_tmo off at every event), written when either finding is present, never over a path that is a symbolic
  link or no regular file (a rules file masked by a link to /dev/null stays masked).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import address_text
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import parse_address
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot as observe_snapshot

IOPOLICY_CHOICES = nvme_audit.RECOMMENDED_IOPOLICIES
# the transports whose ctrl_loss_tmo this fix bounds; NVMe/FC ties the controller's loss to the FC remote port's
# dev_loss_tmo as well (nvme-fc), which the FC audit judges: its controllers are held, not changed
BOUNDED_TRANSPORTS = ("tcp", "rdma")
DEFAULT_RULE = "/etc/udev/rules.d/72-sanfleet-nvmf-ontap.rules"
# a rule file's name sorts after every name starting with this (nvme-cli's 71-nvmf-*.rules) when it is not smaller
RULE_AFTER = "72"
# the identity of a controller the live write re-reads in the same child right before it writes (and its model:
# ONTAP's, nvme_audit.ONTAP_MODEL)
CONTROLLER_FIELDS = ("subsysnqn", "transport", "address", "cntlid")
# the checks no automatic fix here changes, and why
NOT_FIXED = {
    "nvme_native_multipath_off": "native multipath is a kernel parameter: nvme_core.multipath=Y on the kernel "
                                 "command line and a reboot (every namespace's devices are named anew)",
    "nvme_autoconnect_off": "what connects at boot (the discovery controllers of the SVMs, the boot units) is the "
                            "site's to declare",
    "nvme_unreadable": "what could not be read is not known to need a change",
}


def rule_text(iopolicy, ctrl_loss_tmo):
    """The udev rule file. An ONTAP I/O subsystem's policy numa (the kernel's default) at its add, and nothing else:
    a policy another rule chose (NetApp's queue-depth) stays. An ONTAP TCP/RDMA I/O controller's ctrl_loss_tmo off,
    at an add or a change event, only while it is live: udevadm trigger replays "add" for controllers that exist, in
    whatever state, and one in an outage has counted its reconnects all along (the live fix holds it for the same
    reason); the kernel's change event at every connect (NVME_EVENT=connected, 5.18) bounds a new one. Discovery
    controllers and subsystems are left alone, as the audit leaves them. A value another rule chose (a bound, a
    policy) stays: udev matches an attribute an earlier rule of the same event wrote by the text that rule wrote (it
    keeps the written value, sd_device_set_sysattr_value), so unbounded is "off" as sysfs prints it or "-1" as
    nvme-cli's NetApp rule writes it. udev compares ATTR values without their trailing blanks (the model's padding)
    and reads an attribute a kernel lacks as empty; the file sorts after nvme-cli's 71-nvmf-*.rules, so its matches
    see what those set."""
    model = nvme_audit.ONTAP_MODEL
    return (
        "# Written by sanfleet.remediation (nvme_conf state=present): the NVMe-oF settings for NetApp ONTAP\n"
        "# (docs/compliance.md \"NVMe over Fabrics\"). Sorts after nvme-cli's 71-nvmf-*.rules on purpose.\n"
        'ACTION=="add", SUBSYSTEM=="nvme-subsystem", ATTR{subsystype}!="discovery", ATTR{model}=="%s", '
        'ATTR{iopolicy}=="numa", ATTR{iopolicy}="%s"\n'
        'ACTION=="add|change", SUBSYSTEM=="nvme", KERNEL=="nvme[0-9]*", ATTR{transport}=="tcp|rdma", '
        'ATTR{cntrltype}!="discovery", ATTR{model}=="%s", ATTR{state}=="live", ATTR{ctrl_loss_tmo}=="off|-1", '
        'ATTR{ctrl_loss_tmo}="%d"\n' % (model, iopolicy, model, ctrl_loss_tmo))


def _change(action, obj, setting, before, after, reason, identity=None):
    return {"action": action, "object": obj, "setting": setting, "before": before, "after": after,
            "identity": identity or {}, "reason": reason}


def _held(check, obj, reason):
    return {"check": check, "object": obj, "reason": reason}


def _iopolicy_changes(findings, subs, iopolicy, held):
    by_name = dict((s["name"], s) for s in subs or [])
    out = []
    for f in findings:
        if f["check"] != "nvme_iopolicy":
            continue
        s = by_name.get(f["device"])
        if s is None or not s["subsysnqn"]:
            held.append(_held(f["check"], f["object"],
                              "the subsystem's NQN was not read: it cannot be re-checked before the write"))
            continue
        if "iopolicy" not in (s.get("writable") or ()):
            held.append(_held(f["check"], f["object"], "%s/iopolicy is not writable on this kernel" % s["name"]))
            continue
        out.append(_change("set_iopolicy", s["name"], "iopolicy", f["value"], iopolicy,
                           "ONTAP subsystem %s: I/O across the optimized paths" % s["subsysnqn"],
                           {"subsysnqn": s["subsysnqn"]}))
    return out


def _ctrl_loss_changes(findings, ctrls, seconds, held):
    by_name = dict((c["name"], c) for c in ctrls or [])
    out = []
    for f in findings:
        if f["check"] != "nvme_ctrl_loss_unbounded" or f["severity"] != "violation":
            continue  # info: another array's controller, not this fix's to change
        c = by_name[f["object"]]
        if c["ontap"] is not True:
            held.append(_held(f["check"], c["name"], "its model was not read: it may be another array's controller, "
                                                     "not this fix's to change"))
            continue
        if c["transport"] not in BOUNDED_TRANSPORTS:
            held.append(_held(f["check"], c["name"], "NVMe/%s: its loss also follows the FC remote port's "
                                                     "dev_loss_tmo; not changed here" % c["transport"]))
            continue
        if c["state"] != "live":
            held.append(_held(f["check"], c["name"], "is %s, not live: a bound written while it reconnects can end "
                              "its reconnects at the next attempt (it has counted them all along) and remove it "
                              "with its namespace paths; a run once it is live bounds it" % nvme_audit.shown(
                                  c["state"])))
            continue
        missing = [k for k in CONTROLLER_FIELDS if not c.get(k)]
        if missing:
            held.append(_held(f["check"], c["name"], "its %s was not read: it cannot be re-checked before the write"
                              % ", ".join(missing)))
            continue
        if "ctrl_loss_tmo" not in (c.get("writable") or ()):
            held.append(_held(f["check"], c["name"], "ctrl_loss_tmo is not writable on this kernel: reconnect the "
                                                     "controller with --ctrl-loss-tmo"))
            continue
        out.append(_change("bound_ctrl_loss_tmo", c["name"], "ctrl_loss_tmo", "off", str(seconds),
                           "%s to %s: give up reconnecting after %d s when its LIF is gone" % (
                               c["name"], nvme_audit.shown(c["address"]), seconds),
                           dict(dict((k, c[k]) for k in CONTROLLER_FIELDS), model=nvme_audit.ONTAP_MODEL,
                                # the form the act's child compares (the kernel's field order varies)
                                address=address_text(parse_address(c["address"])))))
    return out


def _running(ctrls, key):
    """The one value of `key` (hostnqn, hostid) every fabrics controller connected with, or (None, why)."""
    fabrics = [c for c in ctrls or [] if c["fabrics"]]
    values = set(c.get(key) for c in fabrics)
    if not fabrics:
        return None, "no fabrics controller is connected"
    if None in values:
        return None, "the %s of %s was not read" % (key, ", ".join(c["name"] for c in fabrics if c.get(key) is None))
    if len(values) > 1:
        return None, "the controllers connected with different values (%s)" % ", ".join(sorted(values))
    return values.pop(), None


def _host_file_changes(read, ctrls, held):
    raw = (read or {}).get("host") or {}
    out = []
    for key, path, form, _what in observe_snapshot.NVME_HOST_CHECKS:
        check = "nvme_hostnqn_invalid" if key == "hostnqn" else "nvme_hostid_invalid"
        state = (raw.get(key) or {}).get("state")
        if state == "ok" and form((raw.get(key) or {}).get("text")) is not None:
            continue
        if state != "absent":
            if state in ("ok", "undecodable"):
                held.append(_held(check, path, "holds something that is not %s: it is the host's identity, never "
                                               "rewritten here" % ("an NQN" if key == "hostnqn" else "a UUID")))
            continue
        value, why = _running(ctrls, key)
        valid = form(value) if value is not None else None
        if valid is None:
            held.append(_held(check, path, "absent, and not written: %s" % (why or "the running %s %s is not %s" % (
                key, nvme_audit.shown(value), "an NQN" if key == "hostnqn" else "a UUID"))))
            continue
        out.append(_change("write_host_file", path, key, None, valid, "the %s every controller connected with, kept "
                           "for the next connect and reboot" % key))
    return out


def plan_fix(read, audit, iopolicy, ctrl_loss_tmo, rule_path, rule_now, persist_identity=True, rule_held=None):
    """{changes, held, not_fixed} for one host: `audit` is judge/nvme_audit.audit(read), `rule_now` the rule file's
    text (None when absent), `rule_held` why the rule path must not be written (a symbolic link, no regular file).
    Nothing is planned on a host the audit did not judge."""
    findings = audit["findings"]
    held = []
    not_fixed = [_held(f["check"], f["object"], NOT_FIXED[f["check"]]) for f in findings if f["check"] in NOT_FIXED]
    if audit["applicable"] is not True:
        return {"changes": [], "held": held, "not_fixed": not_fixed}
    changes = []
    if persist_identity:
        changes.extend(_host_file_changes(read, audit["controllers"], held))
    else:
        held.extend(_held(f["check"], f["object"], "persist_host_identity is false") for f in findings
                    if f["check"] in ("nvme_hostnqn_invalid", "nvme_hostid_invalid"))
    live = _ctrl_loss_changes(findings, audit["controllers"], ctrl_loss_tmo, held)
    live.extend(_iopolicy_changes(findings, audit["subsystems"], iopolicy, held))
    wanted = rule_text(iopolicy, ctrl_loss_tmo)
    persist = [f for f in findings if f["check"] in ("nvme_iopolicy", "nvme_ctrl_loss_unbounded")
               and f["severity"] == "violation"]
    if persist and rule_held:
        held.append(_held(persist[0]["check"], rule_path, "the rule is not written: %s" % rule_held))
    elif persist and rule_now != wanted:
        changes.append(_change("write_udev_rule", rule_path, None, rule_now, wanted, "keeps the I/O policy and the "
                               "bound at every add of an ONTAP subsystem and every connect of its controllers"))
    return {"changes": live + changes, "held": held, "not_fixed": not_fixed}
