#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nvme_conf
short_description: Audit a host's NVMe over Fabrics settings against NetApp's ONTAP host configuration
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
  - Audit only; it changes nothing, and runs the same in check mode. The read runs in a forked child with the
    deadline O(command_timeout).
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  command_timeout:
    description: Deadline in seconds for the read of sysfs and the files (a positive number).
    default: 10
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.deadlines
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
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
    C(controllers), C(unread)); null when the read did not finish.
  returned: always
  type: list
  elements: dict
controllers:
  description:
    - Every NVMe controller (C(name), C(subsystem), C(subsysnqn), C(transport), C(fabrics), C(kind) io or discovery,
      C(ontap), C(state), C(transient), C(address), C(ctrl_loss_tmo), C(fast_io_fail_tmo), C(reconnect_delay) as
      sysfs prints them, C(unread)); null when the read did not finish.
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
errors:
  description: Partial failures (the read that missed its deadline); never silently dropped.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module as skeleton
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import safe_data
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme as observe_nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read

WHAT = "read of the NVMe controllers, subsystems and /etc/nvme"


def main():
    module = AnsibleModule(argument_spec=dict(**skeleton.deadline_options(command_timeout=10.0)),
                           supports_check_mode=True)
    skeleton.check_seconds(module, ("command_timeout",))
    errors = []
    host = read.reader_for(module.params)
    try:
        fabrics = host.sysfs(observe_nvme.read_nvme_fabrics, (host.root,), WHAT)
    except (deadline.DeadlineExceeded, RuntimeError) as exc:
        # unknown, not "no NVMe": the audit says so (nvme_unreadable), the play goes on to the other hosts' reports
        errors.append({"what": WHAT, "msg": str(exc)})
        fabrics = None
    result = safe_data(nvme_audit.audit(fabrics))
    module.exit_json(changed=False, errors=errors, **result)


if __name__ == "__main__":
    main()
