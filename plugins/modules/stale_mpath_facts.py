#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stale_mpath_facts
short_description: Report the SAN state of a Linux host (multipath maps, SCSI paths, use) as facts
version_added: "0.1.0"
description:
  - Reads the SCSI disks, dm-multipath maps, iSCSI sessions and initiator names of the host and returns them
    as C(ansible_facts.san), with host findings (failed paths, maps without paths, SAN disks without a map,
    devices in use) and, when O(array_luns) is given, a verdict per map and per SAN disk without a map.
  - Read only; never reports C(changed). Every sysfs/proc read and every command has a hard deadline, so a
    hung device cannot hang the play. It never opens a C(/dev/dm-*) device (a queueing map without paths would
    hang the opener); live probes use the SCSI disks (C(/dev/sdX)) of failing paths.
  - Sysfs and /proc are read in one child process; if it does not finish in time each device is read in its own
    child and the one that hangs is named in RV(ansible_facts.san.errors). Only when the list of block devices
    or C(dmsetup) itself does not answer does the module fail, naming what hung.
  - C(multipathd) is queried only when it runs (it is never started through its socket). Without it the maps
    come from the kernel only (sysfs and C(dmsetup)) and the checker states are unknown.
  - "Use it with C(gather_facts: false) (or without the C(hardware) subset): Ansible's own hardware facts open
    dm devices and hang on a queueing map."
author:
  - sanfleet.remediation contributors (@sanfleet)
requirements:
  - Linux with sysfs and /proc.
  - C(dmsetup) (device-mapper); C(multipathd) (multipath-tools 0.9.4 or later) for checker states.
  - C(sg_turs) and C(sg_inq) (sg3-utils) for O(probe=true).
  - root (reading /proc/*/fd of other processes and sending SCSI commands need it).
options:
  probe:
    description:
      - Probe every path of a map that is not fully healthy, and every SAN disk without a map, with TEST UNIT
        READY, a standard INQUIRY and VPD page 0x80 (C(sg_turs), C(sg_inq)), each with O(probe_timeout).
      - The result per path is C(ready); C(lun_not_supported) when the target says there is no LUN there
        (sense ILLEGAL REQUEST with LOGICAL UNIT NOT SUPPORTED, or INQUIRY peripheral qualifier 1 or 3);
        C(not_ready) for another sense; C(no_answer) for a timeout, a transport failure or an offline device;
        C(error) otherwise.
    type: bool
    default: true
  probe_timeout:
    description: Deadline in seconds of each probe command. A probe that times out is C(no_answer) and is listed in errors.
    type: float
    default: 8.0
  array_luns:
    description:
      - The array truth, as returned by M(sanfleet.remediation.ontap_luns) (one record per LUN mapping, with
        C(wwid), C(serial), C(lun_id), C(igroup_initiators), C(igroup_protocol), C(path)).
      - When given, RV(ansible_facts.san.verdicts) is added.
    type: list
    elements: dict
  array_targets:
    description:
      - The target identities O(array_luns) covers, one per SVM read (C(cluster), C(svm), C(iscsi_target_names),
        C(iscsi_addresses), C(fc_wwpns)). Only a device whose every path is reached through one of them (iSCSI
        session target name at one of that SVM's C(iscsi_addresses), FC remote port WWPN, read from sysfs) is
        judged against O(array_luns); any other array device gets C(not_covered). An identity listed under two
        SVMs covers nothing and is a problem that blocks removals. Without it nothing is covered.
    type: list
    elements: dict
  array_initiators:
    description:
      - The initiators O(array_luns) was read for (what M(sanfleet.remediation.ontap_luns) was given), C(*) when
        it holds every mapping. A path over any other initiator is C(not_covered); without it nothing is
        covered.
    type: list
    elements: str
  array_truth:
    description:
      - The whole array truth of M(sanfleet.remediation.ontap_truth) (or of any array's lookup that follows the
        contract of docs/ontap.md) - C(luns), C(targets), C(problems), C(initiators), C(collected_at). Takes the
        place of O(array_luns), O(array_targets) and O(array_initiators); its C(problems) and C(collected_at) are
        kept in RV(ansible_facts.san.array) for the planner.
      - Validated like O(array_luns) (each record needs a C(wwid) or an ONTAP C(serial)); bad input fails the task
        before anything is read.
    type: dict
  array_wwid_prefixes:
    description:
      - WWID prefixes of the arrays O(array_luns) describes, with the C(wwid_prefixes) of O(array_truth) (the
        arrays it was read from). A map or disk whose WWID starts with none of them, and that the truth does not
        map to this host, gets the verdict C(unknown_array).
    type: list
    elements: str
    default: ['3600a0980']
  detail:
    description:
      - How much of the healthy part of the host RV(ansible_facts.san) returns.
      - C(compact) (the default) summarises the healthy maps and their paths in RV(ansible_facts.san.healthy)
        (counts per state, per array and per target; the map names, WWIDs, dm names and path names as lists) and
        leaves them out of RV(ansible_facts.san.maps), RV(ansible_facts.san.disks) and
        RV(ansible_facts.san.verdicts). A map is healthy when the judge has nothing against it - every path
        works, no finding of a fault (C(all_paths_failed), C(some_paths_failed), C(ghost_map)), no read error
        names it and, when the array was asked, its verdict is C(healthy). Everything else (every other map and
        disk, every finding, every other verdict, errors, array, corruption risks) keeps its full detail.
      - C(full) returns every map, disk and verdict (the form of release 1.x before this option).
      - The fact of a 1,024-LUN host is what Ansible encodes and the controller keeps for every host; see
        docs/performance.md of the collection.
    type: str
    choices: [compact, full]
    default: compact
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.deadlines
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode returns the same facts.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    support: full
    platforms: posix
    description: Linux only (sysfs, /proc, device-mapper).
notes:
  - LUN 0 of a Linux LIO target still answers TEST UNIT READY when it is unmapped; only its INQUIRY
    (peripheral qualifier 1) shows it. Such paths stay C(active ready) in multipathd.
  - An ONTAP LUN is recognised by its WWID (C(3600a0980) followed by the hex of its serial). VPD page 0x80 is
    used as corroboration and may hold the ASCII serial or its hex.
seealso:
  - module: sanfleet.remediation.ontap_luns
"""

EXAMPLES = r"""
- name: Read the SAN state (never gather hardware facts on such hosts)
  hosts: san_hosts
  gather_facts: false
  become: true
  tasks:
    - name: Host view only
      sanfleet.remediation.stale_mpath_facts:

    - name: Maps with every path failed
      ansible.builtin.debug:
        msg: "{{ ansible_facts.san.findings | selectattr('kind', 'equalto', 'all_paths_failed') | list }}"

- name: Cross-check with the array
  hosts: san_hosts
  gather_facts: false
  become: true
  tasks:
    - name: Host view first (the initiators)
      sanfleet.remediation.stale_mpath_facts:
        probe: false

    - name: Array truth (a lookup, it runs on the controller)
      ansible.builtin.set_fact:
        array_luns: >-
          {{ query('sanfleet.remediation.ontap_luns', hostname=ontap_host,
                   initiators=([ansible_facts.san.host.iscsi_iqn] + ansible_facts.san.host.fc_wwpns) | select | list) }}

    - name: Facts with verdicts
      sanfleet.remediation.stale_mpath_facts:
        array_luns: "{{ array_luns }}"
        probe_timeout: 5

    - name: Stale devices (array no longer maps them, no path works)
      ansible.builtin.debug:
        msg: "{{ ansible_facts.san.verdicts | selectattr('kind', 'equalto', 'stale_unmapped') | list }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts under the key C(san).
  returned: always
  type: complex
  contains:
    san:
      description: The SAN snapshot of the host (docs/design.md of the collection).
      returned: always
      type: complex
      contains:
        collected_at:
          description: Epoch time the reading started.
          type: float
          returned: always
        host:
          description:
            - C(iscsi_iqn), C(fc_wwpns), C(fc_hosts) (host, wwpn, port_state, node_name, speed, fabric_name),
              C(fc_rports) (every FC remote port - rport, host, channel, port_name, node_name, port_state, roles,
              dev_loss_tmo, fast_io_fail_tmo, scsi_target_id; null where unreadable; C(devices) the sd devices below
              it, kept whole in the compact fact for the FC audit) and C(multipathd_running).
            - C(nvme_hostnqn) and C(nvme_hostid), the NVMe host identity (the first line of /etc/nvme/hostnqn and
              /etc/nvme/hostid, as nvme-cli reads them; the host ID in lower case), null when the file is absent;
              C(nvme_identity_unread) names each of those files that could not be read or holds no NQN or UUID
              (unknown, not absent). The fleet report compares them across the inventory (docs/reports.md).
            - C(exiting_tasks) lists tasks exiting in D state with no file table left (pid, comm, frames). C(frames)
              names the block device last-close functions the kernel stack is in, or is null when the stack cannot
              be read. Such a task is typically a process killed while its read was queued on a map with no paths,
              and it holds the device open until that read ends.
            - C(dm_unaccounted) counts, for every device-mapper device (multipath maps, LVs, ...), the opens that no
              process, holder, own mount or swap accounts for (C(unaccounted), null when they cannot be counted,
              and for a dm device whose sysfs read missed its deadline).
            - C(unread_disks) names the SCSI disks whose sysfs read missed its deadline (counted as blocked).
            - C(unread_pieces) names the other reads of sysfs and /proc that missed their deadline (C(initiators),
              C(fc_rports), C(iscsi_sessions), C(mounts), C(openers), C(kernel_users), C(multipathd),
              C(other_blocks), C(nvme)); what they would show is unknown, not empty.
            - C(initiators) are the names the array maps devices to - the iSCSI names (the sessions' and the
              host's), the FC host ports' WWPNs and the host NQNs the NVMe over fabrics controllers connected with.
            - C(san_presence) is C(san), C(not_san) or C(unknown), and C(san_presence_reason) says why. C(san) when
              an initiator name or FC HBA, multipathd, a multipath map (sysfs or C(dmsetup table)), a SCSI disk,
              an iSCSI session or an NVMe over fabrics controller shows; C(not_san) when none shows and every read
              that could show one finished; C(unknown) when none shows but such a read did not finish
              (C(initiators), C(iscsi_sessions), C(multipathd), C(nvme), a SCSI disk, a dm device when the
              multipath table did not answer). The playbooks
              report an C(unknown) host as failed or in error, never as not a SAN host.
            - C(tools_missing) lists the SAN packages the host lacks (C(package) multipath-tools, sg3_utils,
              open-iscsi or nvme-cli, C(also_named) its name where a distribution names it otherwise, the missing
              C(programs), and C(unread) what is not read, judged or done without it); null when the lookup did
              not finish, and then C(tools_unread) says why. A probe whose program is missing is C(result)
              C(error) with C(missing) naming it.
            - C(uncounted_block_devices) lists (name, why) the block devices that are neither dm nor sd and whose
              I/O can wait (NVMe over fabrics, nbd, rbd, md, drbd, a loop device on a network filesystem or on a
              filesystem over a SAN map or disk, or whose file's devices cannot be told, any unknown kind); null
              when they could not be read.
          type: dict
          returned: always
          sample: {iscsi_iqn: "iqn.2024-01.lab.san:initiator", fc_wwpns: [], fc_hosts: [], fc_rports: [], multipathd_running: true,
                   exiting_tasks: []}
        iscsi_sessions:
          description: One entry per iSCSI session (session, sid, host, target, portal, state, recovery_tmo).
          type: list
          elements: dict
          returned: always
          sample: [{session: session3, sid: 3, host: 4, target: "iqn.2024-01.lab.san:target1",
                    portal: "127.0.0.1:3260", state: LOGGED_IN, recovery_tmo: 5}]
        disks:
          description:
            - Every SCSI disk by name, with name, hctl, host, lun, dev (major:minor), vendor, model, state,
              transport (iscsi, fc or other), session, serial (sysfs VPD 0x80), wwid (multipath form),
              size_bytes, holders, partitions, mountpoints, swap, openers (pid, comm) and map.
            - SAN disks without a map carry C(probe) too when O(probe=true).
          type: dict
          returned: always
        maps:
          description:
            - Every dm-multipath map by WWID, with name, wwid, dm, dev, queueing (C(queue_if_no_path) in the live
              table), features, hwhandler, open_count, holders, mountpoints, swap, openers, size_bytes,
              multipathd (its own view, or null), paths and probe.
            - Each path has name, hctl, dev, dm_state (active or failed, kernel), checker_state (multipathd),
              dev_state (sysfs), fail_count and group_state.
            - C(probe) maps a path name to C(result), C(sense), C(serial_live), C(pqual), C(pdt), C(elapsed).
          type: dict
          returned: always
        nvme:
          description:
            - The NVMe controllers and namespaces as sysfs shows them (read only; no NVMe command is sent), or
              null when they could not be read in time (C(nvme) is then in C(host.unread_pieces)).
            - C(controllers), each with name, transport (tcp, rdma, fc, pcie, loop), state (live, connecting,
              resetting, deleting, ...), subsysnqn, hostnqn, cntlid, cntrltype, address (traddr, trsvcid, ...) and
              ctrl_loss_tmo (C(off) reconnects forever).
            - C(namespaces), each a native multipath head (or, with multipath off, a controller's own namespace
              device) with name, dev, nsid, uuid, nguid, wwid, size_bytes, subsystem, subsysnqn, multipath,
              holders, mountpoints, swap, openers and paths; each path has name, controller, controller_state,
              transport, traddr, trsvcid, ana_state and ana_grpid. A path's ana_state is the last the kernel
              heard; a path whose controller is not C(live) does not answer, whatever it says.
            - An NVMe over fabrics controller (tcp, rdma, fc) makes the host a SAN host
              (C(host.san_presence)). NVMe namespaces are judged in
              RV(ansible_facts.san.nvme_verdicts); no module removes them yet.
          type: dict
          returned: always
        nvme_verdicts:
          description:
            - The NVMe namespaces and controllers behind fabrics transports judged against the NVMe part of the
              array truth (O(array_truth) key C(nvme), docs/ontap.md), or null when the NVMe devices were not read.
            - C(namespaces), one verdict each - C(healthy), C(paths_down_but_mapped), C(stale_unmapped) (the SVM
              serving its subsystem maps that NSID to none of the host NQNs its controllers connected with, every
              path reaches an NVMe/TCP or NVMe/FC LIF of that SVM, and no controller to it is live),
              C(unexpected_visibility) (not mapped, yet a live controller presents it), C(uuid_mismatch) (another
              namespace at that NSID), C(not_covered) (the NVMe truth has a problem, was not read for a controller's
              host NQN, or a path reaches an address that is no LIF of the SVM read, or whose target cannot be told)
              or C(unread) - with name, nsid, uuid, subsysnqn, reason and evidence (its paths).
            - C(controllers), one each - C(healthy) (live), C(controller_down) or C(lif_gone) (not live, and its
              address is none of the NVMe/TCP LIFs, or on NVMe/FC its target port none of the NVMe/FC LIFs, the SVM
              serving its subsystem has) - with the namespaces
              behind it and, when not live, C(sole_path_of) (the namespaces not shown stale that answer through no
              other path; null when the read of the namespaces was incomplete).
          type: dict
          returned: when O(array_truth) has C(nvme)
        findings:
          description:
            - Host findings C(all_paths_failed), C(some_paths_failed), C(ghost_map), C(orphan_path), C(in_use),
              each with object, name, wwid, reason and evidence (per path for maps).
            - No finding calls a device stale; only the verdicts of the array cross-check do.
          type: list
          elements: dict
          returned: always
        verdicts:
          description:
            - One verdict per map and per SAN disk without a map - C(healthy), C(stale_unmapped),
              C(paths_down_but_mapped), C(serial_mismatch), C(unexpected_visibility) or C(unknown_array) -
              with object, name, wwid, lun, reason and evidence.
          type: list
          elements: dict
          returned: when O(array_luns) is given
        array:
          description:
            - What the verdicts were judged against - C(records) (count), C(targets), C(problems) (lookups that
              failed or warned, target identities listed under two SVMs), C(initiators) (those the records were
              read for), C(collected_at) (the oldest array read) - for the planner's gates.
          type: dict
          returned: when O(array_luns) or O(array_truth) is given
        corruption_risks:
          description:
            - The C(serial_mismatch) devices that are in use (a writer whose I/O may land on another LU), each with
              object, name, wwid, lun, users, openers and msg (what, which process, what to do). The playbooks
              fail a host that has one; each is also a module warning.
          type: list
          elements: dict
          returned: when O(array_luns) or O(array_truth) is given
        healthy:
          description:
            - With O(detail=compact) only. The healthy maps and paths left out of C(maps), C(disks) and
              C(verdicts) - C(maps) (C(count), C(by_array) keyed by WWID prefix and vendor/model, C(queueing),
              C(names), C(wwids), C(dms)) and C(paths) (C(count), C(by_state) keyed by
              dm_state/checker_state/dev_state, C(by_target) keyed by iSCSI target IQN@portal or FC target WWPN,
              C(names)).
          type: dict
          returned: when O(detail=compact)
          sample: {maps: {count: 2, by_array: {"3600a0980 NETAPP/LUN C-Mode": 2}, queueing: 2,
                          names: [mpatha, mpathb], wwids: ["3600a0980...", "3600a0981..."], dms: [dm-0, dm-1]},
                   paths: {count: 4, by_state: {active/ready/running: 4},
                           by_target: {"iqn.2024-01.lab.san:target1@127.0.0.1:3260": 2}, names: [sda, sdb, sdc, sdd]}}
        errors:
          description: Partial failures (a probe or a device read that timed out, multipathd not running or not
            answering, an unparsable line); never silently dropped.
          type: list
          elements: dict
          returned: always
          sample: [{what: "probe of sdc", msg: "sg_turs on sdc did not finish within 8.0s ..."}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module as skeleton
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate


def argument_spec():
    return dict(
        probe=dict(type="bool", default=True),
        probe_timeout=dict(type="float", default=8.0),
        **skeleton.deadline_options(),
        array_luns=dict(type="list", elements="dict"),
        array_targets=dict(type="list", elements="dict"),
        array_initiators=dict(type="list", elements="str"),
        array_truth=dict(type="dict"),
        array_wwid_prefixes=dict(type="list", elements="str", default=["3600a0980"]),
        detail=dict(type="str", choices=list(compact.DETAILS), default="compact"),
    )


def collect(module, truth):
    """Snapshot + findings (+ verdicts), read by a observe.read.Host bound by the module's deadlines."""
    p = module.params
    san = facts.collect(read.reader_for(p), truth, p["array_wwid_prefixes"], probe=p["probe"])
    for risk in san.get("corruption_risks") or []:
        module.warn(risk["msg"])
    return san


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    skeleton.check_seconds(module, ("probe_timeout", "command_timeout"))
    try:
        truth = facts.truth_of(p["array_truth"], p["array_luns"], p["array_targets"], p["array_initiators"])
        facts.check_prefixes(p["array_wwid_prefixes"])
    except validate.InvalidInput as exc:
        module.fail_json(msg="invalid input: %s; nothing was read" % exc)
    try:
        san = collect(module, truth)
    except deadline.DeadlineExceeded as exc:
        module.fail_json(msg="reading the SAN state failed: %s did not finish within %ss (a device may be hung; "
                             "nothing was changed)" % (exc.what, exc.seconds), what=exc.what, seconds=exc.seconds)
    except RuntimeError as exc:
        module.fail_json(msg="reading the SAN state failed: %s" % exc)
    module.exit_json(changed=False, ansible_facts={"san": compact.shape(san, p["detail"])})


if __name__ == "__main__":
    main()
