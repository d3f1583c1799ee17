#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nvme_conf
short_description: Audit a host's NVMe over Fabrics settings against NetApp's ONTAP host configuration, and fix them
version_added: 0.2.0
description:
  - Reads the NVMe controllers and subsystems in sysfs (C(/sys/class/nvme), C(/sys/class/nvme-subsystem)), the
    native multipath switch of C(nvme_core), C(/etc/nvme/hostnqn) and C(/etc/nvme/hostid), C(/etc/nvme/discovery.conf)
    and C(/etc/nvme/config.json), and whether the boot units of nvme-cli are enabled (from the links
    C(systemctl enable) makes; C(systemctl) is not run).
  - Reports, as findings with the check ids of docs/compliance.md ("NVMe over Fabrics"), native NVMe multipath off
    while fabrics controllers of an ONTAP subsystem are connected, an ONTAP subsystem's I/O policy that is not
    C(round-robin) or C(queue-depth), a fabrics controller whose C(ctrl_loss_tmo) is C(off) (it reconnects
    forever), a missing or malformed host NQN or host ID, and the boot units that would not reconnect after a reboot.
  - A value that could not be read, or that is none the kernel prints, is reported as C(nvme_unreadable) naming it,
    never taken for compliant or absent. A controller that is connecting or resetting is in a transient state; its
    settings are judged and reported, it is not called dead.
  - A host without a fabrics controller (transport tcp, fc or rdma) gets no finding, and RV(applicable) false.
  - With O(state=present) it fixes what can be fixed without touching an outage or an identity (the plan, in
    RV(plan), is the same in check mode and in the run; docs/compliance.md "The fix"). An ONTAP subsystem's
    C(iopolicy) numa is written live to O(iopolicy); a B(live) ONTAP NVMe/TCP or NVMe/RDMA controller's
    C(ctrl_loss_tmo) off is written live to O(ctrl_loss_tmo) seconds; the udev rule O(udev_rule) keeps both at the
    next add of a subsystem and the next connect of a controller (only while it is live, never in an outage); an
    absent C(/etc/nvme/hostnqn) or C(hostid) is written with the value every fabrics controller connected with (the
    running identity, never a new one). A controller whose model was not read is held (it may be another array's).
  - It never bounds C(ctrl_loss_tmo) on a controller that is not live (connecting, resetting). The kernel stops
    reconnecting once C(nr_reconnects) reaches the new bound, which a controller in an outage may already have
    passed, and it would be removed with its namespace paths. Such a controller is in RV(held) with why; a run once
    it is live bounds it. A host file that holds something else is the host's identity and is never rewritten.
  - Each live write runs in a forked child under O(command_timeout) that re-reads, right before it writes, that the
    subsystem or controller is the one planned (subsystem NQN; transport, address, controller ID) and, for a
    controller, that it is still live; each file is written only if it is still as it was read. The first refusal
    or failure stops the run and fails the module naming it, with RV(executed).
  - With O(state=audit) (the default) it changes nothing, and runs the same in check mode. The read runs in a
    forked child with the deadline O(command_timeout).
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  state:
    description:
      - V(audit) reads and reports only. V(present) also makes the changes of RV(plan) (see the description).
    type: str
    choices: [audit, present]
    default: audit
  iopolicy:
    description:
      - The I/O policy written to ONTAP subsystems whose policy is numa. V(queue-depth) needs a kernel that has it
        (6.11 and the distributions' backports); the write fails on one that does not.
    type: str
    choices: [round-robin, queue-depth]
    default: round-robin
  ctrl_loss_tmo:
    description:
      - Seconds a live ONTAP NVMe/TCP or NVMe/RDMA controller reconnects before the kernel gives it up, written where
        it is off; from 1 to 604800. Also the value the udev rule gives at each add.
    type: int
    default: 600
  udev_rule:
    description:
      - The udev rule file written (O(state=present)) when an ONTAP subsystem's policy is numa or an ONTAP controller's
        C(ctrl_loss_tmo) is off. An absolute path ending in C(.rules) whose file name sorts after nvme-cli's
        C(71-nvmf-*.rules) (whose NetApp rule sets C(ctrl_loss_tmo) off at every event), as the default does. A
        symbolic link or special file there (a rule masked by a link to C(/dev/null)) is left as it is (RV(held)).
    type: path
    default: /etc/udev/rules.d/72-sanfleet-nvmf-ontap.rules
  persist_host_identity:
    description:
      - With O(state=present), write an absent C(/etc/nvme/hostnqn) or C(/etc/nvme/hostid) with the value every
        fabrics controller connected with. Nothing is written when they differ, or when a file holds another value.
    type: bool
    default: true
  backup:
    description: Keep a backup of a file it replaces (the udev rule).
    type: bool
    default: false
  command_timeout:
    description: Deadline in seconds for each read of sysfs and the files, and for each write (a positive number).
    default: 10
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.deadlines
attributes:
  check_mode:
    support: full
    description: Returns the plan O(state=present) would execute (RV(plan)); changes nothing.
  diff_mode:
    support: full
    description: The udev rule and host files before and after, and the live settings as a listing.
  platform:
    support: full
    platforms: posix
notes:
  - NetApp's own NVMe/TCP setting (a udev rule of nvme-cli, RHEL 9.4 and SLES 15 SP6 onwards) is C(ctrl_loss_tmo)
    off; this audit reports it, as it reports C(no_path_retry queue) for SCSI (docs/compliance.md says why).
"""

EXAMPLES = r"""
- name: Audit the NVMe over Fabrics settings
  sanfleet.remediation.nvme_conf:
  register: nvme

- name: Fix what can be fixed without touching an outage (check mode first shows the plan)
  sanfleet.remediation.nvme_conf:
    state: present
    ctrl_loss_tmo: 600
  register: nvme_fix

- name: Show the controllers that reconnect forever
  ansible.builtin.debug:
    msg: "{{ nvme.findings | selectattr('check', 'equalto', 'nvme_ctrl_loss_unbounded') | map(attribute='object') | list }}"
"""

RETURN = r"""
applicable:
  description:
    - True when the host has an NVMe over Fabrics controller (transport tcp, fc or rdma) and was judged; false when
      it has none (no finding); null when that is unknown (the read did not finish, or a controller's transport
      could not be read), with an C(nvme_unreadable) finding.
  returned: always
  type: bool
  sample: true
applicable_reason:
  description: Why the host was (not) judged.
  returned: always
  type: str
  sample: "4 NVMe over Fabrics controller(s): tcp 4"
findings:
  description:
    - One per finding, with C(check), C(severity) (V(violation), V(warning) or V(info)), C(object) (the setting, the
      subsystem NQN, the controller, the file or the unit), C(reason), and where they apply C(setting), C(value),
      C(recommended) and C(device).
  returned: always
  type: list
  elements: dict
  sample:
    - {check: nvme_ctrl_loss_unbounded, severity: violation, object: nvme3, setting: ctrl_loss_tmo, value: "off",
       recommended: "a number of seconds (the kernel's default is 600)", reason: "..."}
native_multipath:
  description: What C(/sys/module/nvme_core/parameters/multipath) reads (V(Y), V(N)), null when it was not read.
  returned: always
  type: str
  sample: "Y"
subsystems:
  description: Every NVMe subsystem (C(name), C(subsysnqn), C(model), C(ontap), C(subsystype), C(iopolicy),
    C(controllers), C(writable), C(unread)); null when the read did not finish.
  returned: always
  type: list
  elements: dict
controllers:
  description:
    - Every NVMe controller (C(name), C(subsystem), C(subsysnqn), C(transport), C(fabrics), C(kind) io or discovery,
      C(ontap), C(state), C(transient), C(address), C(ctrl_loss_tmo), C(fast_io_fail_tmo), C(reconnect_delay) as
      sysfs prints them, C(hostnqn), C(hostid) and C(cntlid) it connected with, C(writable) (the attributes the fix
      may write live on this kernel), C(unread)); null when the read did not finish.
  returned: always
  type: list
  elements: dict
host_identity:
  description: The host NQN and host ID as nvme-cli reads them (null when absent or malformed) and C(unread), the files
    that could not be read or hold no NQN or UUID.
  returned: always
  type: dict
  sample: {hostnqn: "nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0042-3410-8058-b4c04f305a32", hostid: null, unread: {}}
discovery:
  description: C(/etc/nvme/discovery.conf) and C(/etc/nvme/config.json), each C({state, entries, why}) (state V(ok),
    V(absent) or V(unreadable); entries, for discovery.conf, its lines that are neither blank nor a comment).
  returned: always
  type: dict
units:
  description: C(nvmf-autoconnect.service) and C(nvmefc-boot-connections.service), each C({state, where, unread}),
    state V(enabled), V(disabled), V(masked), V(not_installed) or V(unknown).
  returned: always
  type: dict
plan:
  description:
    - O(state=present) only. The changes, in the order they are made, each C(action) (V(bound_ctrl_loss_tmo),
      V(set_iopolicy), V(write_host_file), V(write_udev_rule); the live writes first, so that a value the kernel
      rejects leaves no rule behind), C(object) (the file, subsystem or controller),
      C(setting), C(before), C(after), C(identity) (what the write re-checks) and C(reason). The same in check mode.
  returned: when state is present
  type: list
  elements: dict
executed:
  description: O(state=present) only. The changes made, each as in RV(plan) with C(read_back) (the live value read
    after the write) or C(backup_file).
  returned: when state is present
  type: list
  elements: dict
held:
  description:
    - O(state=present) only. Findings the fix leaves on purpose, each C(check), C(object) and C(reason) (a controller
      not live, a kernel where the attribute is read-only, a host file that holds another value, NVMe/FC).
  returned: when state is present
  type: list
  elements: dict
not_fixed:
  description: O(state=present) only. Findings no automatic fix here changes (native multipath, the boot units,
    what could not be read), each C(check), C(object) and C(reason).
  returned: when state is present
  type: list
  elements: dict
findings_before:
  description: O(state=present) only. RV(findings) as read before the fix; RV(findings) is then the host after it.
  returned: when state is present
  type: list
  elements: dict
failed_change:
  description: The planned change that was refused or failed.
  returned: on failure of a change
  type: dict
errors:
  description: Partial failures (the read that missed its deadline); never silently dropped.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module as skeleton
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import nvme_conf as act_nvme_conf
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import diff, safe_data
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_audit, nvme_fix
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme as observe_nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read

WHAT = "read of the NVMe controllers, subsystems and /etc/nvme"
# ctrl_loss_tmo is an int of seconds in the kernel (nvmf_parse_options, the sysfs store): a week is far past any
# outage a bound is meant to wait through, and far below where max_reconnects x reconnect_delay overflows
CTRL_LOSS_TMO_MAX = 7 * 24 * 3600


def read_host(host, errors):
    try:
        return host.sysfs(observe_nvme.read_nvme_fabrics, (host.root,), WHAT)
    except (deadline.DeadlineExceeded, RuntimeError) as exc:
        # unknown, not "no NVMe": the audit says so (nvme_unreadable), the play goes on to the other hosts' reports
        errors.append({"what": WHAT, "msg": str(exc)})
        return None


def validated_fix_options(module):
    p = module.params
    seconds = p["ctrl_loss_tmo"]
    if isinstance(seconds, bool) or not 0 < seconds <= CTRL_LOSS_TMO_MAX:
        module.fail_json(msg="ctrl_loss_tmo must be a number of seconds from 1 to %d (off, the unbounded value, is "
                             "what this fix removes), got %r; nothing changed" % (CTRL_LOSS_TMO_MAX, seconds))
    rule = p["udev_rule"]
    if not (rule.startswith("/") and rule.endswith(".rules")) or "/../" in rule or "\n" in rule:
        module.fail_json(msg="udev_rule must be an absolute path ending in .rules (udev reads no other file), got "
                             "%r; nothing changed" % rule)
    if rule.rsplit("/", 1)[-1] < nvme_fix.RULE_AFTER:
        module.fail_json(msg="udev_rule's file name must sort after nvme-cli's 71-nvmf-*.rules (e.g. 72-...): udev "
                             "runs the rules files in the order of their names, and NetApp's rule there sets "
                             "ctrl_loss_tmo off at every event; got %r; nothing changed" % rule)


def planned_diff(changes):
    """The diff mode's view: each file's text before and after, and the live settings as one sysfs listing."""
    out = [diff(c["before"] or "", c["after"], c["object"], c["before"] is not None) for c in changes
           if c["action"] == "write_udev_rule"]
    out += [diff("", c["after"] + "\n", c["object"], False) for c in changes if c["action"] == "write_host_file"]
    live = [c for c in changes if c["action"] in act_nvme_conf.CHILDREN]
    if live:
        out.append({"before_header": "sysfs (live)", "after_header": "sysfs (live)",
                    "before": "".join("%s/%s = %s\n" % (c["object"], c["setting"], c["before"]) for c in live),
                    "after": "".join("%s/%s = %s\n" % (c["object"], c["setting"], c["after"]) for c in live)})
    return out


def execute(module, host, changes, result):
    """Exactly the planned changes, in their order; the first refusal or failure stops the run and fails the
    module with what was executed before it."""
    for change in changes:
        try:
            if change["action"] in act_nvme_conf.CHILDREN:
                outcome = {"read_back": act_nvme_conf.write_live(host, change)}
            else:
                act_nvme_conf.file_is_as_planned(host, change)
                text = change["after"] + ("\n" if change["action"] == "write_host_file" else "")
                outcome = {"backup_file": skeleton.write_config(module, host.path(change["object"]), text, result,
                                                                mode=0o644)}
        except (Refused, ActFailed) as exc:
            result["failed_change"] = change
            if isinstance(exc, Refused):
                result["refusal"] = exc.to_dict()
            module.fail_json(msg="%s: %s (%d change(s) made before it)" % (
                "refused" if isinstance(exc, Refused) else "failed", exc, len(result["executed"])), **result)
        except (deadline.DeadlineExceeded, RuntimeError) as exc:
            result["failed_change"] = change
            module.fail_json(msg="%s: %s (%d change(s) made before it)" % (change["object"], exc,
                                                                           len(result["executed"])), **result)
        result["executed"].append(dict(change, **outcome))
        result["changed"] = True


def rule_now(module, host, path):
    """(the rule file's text or None when absent, why it must not be written or None)."""
    state, text = host.sysfs(act_nvme_conf.file_text, (host.path(path),), "read of %s" % path)
    if state == "unreadable":
        module.fail_json(msg="%s cannot be read (%s); nothing changed" % (path, text))
    if state == "not_regular":
        return None, "%s: a link or special file there is someone's choice (a link to /dev/null masks a rule)" % text
    return text, None


def main():
    module = AnsibleModule(argument_spec=dict(
        state=dict(type="str", choices=["audit", "present"], default="audit"),
        iopolicy=dict(type="str", choices=list(nvme_fix.IOPOLICY_CHOICES), default="round-robin"),
        ctrl_loss_tmo=dict(type="int", default=nvme_audit.DEFAULT_CTRL_LOSS_TMO),
        udev_rule=dict(type="path", default=nvme_fix.DEFAULT_RULE),
        persist_host_identity=dict(type="bool", default=True),
        backup=dict(type="bool", default=False),
        **skeleton.deadline_options(command_timeout=10.0)), supports_check_mode=True)
    skeleton.check_seconds(module, ("command_timeout",))
    p = module.params
    if p["state"] == "present":
        validated_fix_options(module)
    errors = []
    host = read.reader_for(p)
    fabrics = read_host(host, errors)
    if fabrics is not None:
        # nvme-cli writes the host identity files and ships the boot units: their findings say when it is missing
        fabrics["nvme_cli"] = bool(module.get_bin_path("nvme"))
    audit = nvme_audit.audit(fabrics)
    result = dict(changed=False, errors=errors, **audit)
    if p["state"] == "audit":
        module.exit_json(**safe_data(result))
    try:
        rule, rule_held = rule_now(module, host, p["udev_rule"])
    except (deadline.DeadlineExceeded, RuntimeError) as exc:
        module.fail_json(msg="%s could not be read: %s; nothing changed" % (p["udev_rule"], exc), **safe_data(result))
    plan = nvme_fix.plan_fix(fabrics, audit, p["iopolicy"], p["ctrl_loss_tmo"], p["udev_rule"], rule,
                             p["persist_host_identity"], rule_held=rule_held)
    result.update(plan=plan["changes"], held=plan["held"], not_fixed=plan["not_fixed"], executed=[],
                  findings_before=audit["findings"], changed=bool(plan["changes"]))
    if module._diff:
        result["diff"] = planned_diff(plan["changes"])
    if module.check_mode or not plan["changes"]:
        module.exit_json(**safe_data(result))
    result["changed"] = False
    execute(module, host, plan["changes"], result)
    # the findings as the host is now: what the fix left (held, not fixed) and nothing it already fixed
    after = nvme_audit.audit(read_host(host, errors))
    result.update(after)
    module.exit_json(**safe_data(result))


if __name__ == "__main__":
    main()
