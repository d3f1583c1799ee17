#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stale_cleanup
short_description: Find and remove the stale SAN devices of a host in one run - observe, judge, plan, act
version_added: "0.1.0"
description:
  - Reads the host (SCSI disks, multipath maps, use, live probes), judges every map and SAN disk against the array
    truth, plans the removal of what the policy allows (C(plan.cleanup.plan_cleanup)) and, unless in check mode, runs
    exactly that plan (C(act.execute.execute)), all in one module run. Nothing travels between tasks.
  - A removed map and its paths are one unit of the plan (C(unit) of each step), run in this one run. A path left
    behind for the length of another task could be assembled into the same map again by C(multipathd) before it
    is deleted; within the run, a map rebuilt that way is flushed again before its path is deleted.
  - The steps of all units run side by side by kind (queueing off, flush, wait, delete, wait, C(multipath -w),
    scans), and each kind is checked against ONE read of the host (one forked reader, one C(dmsetup) round, one
    C(multipathd) query) and waits with one read per round, so the cost grows with the number of commands, not
    with re-reads per step.
  - Selects C(stale_unmapped) maps and disks; C(serial_mismatch) maps the array no longer maps and
    C(serial_mismatch) disks (when O(repair_mismatch)); C(unknown_array) maps only under
    O(policy=host_evidence). Never selects C(healthy), C(paths_down_but_mapped), C(unexpected_visibility),
    C(not_covered) or anything in use; those are in RV(left_alone) with the reason, in-use ones naming the holder.
  - Plans no SCSI removal when the SCSI truth may be incomplete or old (a lookup failed or warned, the truth is
    empty while devices are covered, a covered device is C(unexpected_visibility), the truth is older than
    O(truth_max_age)) and names why in RV(blocked); the NVMe controllers are gated on the NVMe part of the truth
    alone (each refusal in RV(left_alone)), so RV(delete_controllers) may hold a delete beside a non-empty
    RV(blocked). A cluster that could not be read at all blocks both.
  - Under O(policy=host_evidence), when a map of another array says "logical unit not supported" on every path,
    the module waits O(grace) seconds itself, reads and probes the host again and plans from that second look,
    keeping only the maps that said so both times (check mode waits too, so that it returns the real plan).
  - Acts on nothing when a C(serial_mismatch) device is in use (C(corruption_risks) of RV(ansible_facts)); the
    plan is returned and the caller fails the host.
  - Each step checks what it acts on (identity, use, live maps) against the read taken for its kind right
    before acting, and each sysfs write checks H:C:T:L, name and major:minor again in the writing child; a
    difference refuses. A refusal or failure stops the rest of its own unit only, and gives back the queueing
    that unit turned off; the other units run to the end, then the task fails naming every stopped unit
    (RV(failures)). A device that hangs costs the others at most its own deadline. Devices refused while
    planning do not stop the others.
  - Before a unit's first touch in each flush and delete batch, the act measures the age of the array truth again
    (refused beyond O(truth_max_age)) and, for a unit chosen because every path failed, probes every path again;
    a path that works refuses it as C(came_back), a hung one stops it with C(deadline), one whose transport fails at
    once (the session or remote port is down) refuses it as C(unanswered); nothing of it removed.
  - SIGTERM, SIGHUP or SIGINT during the act (a dropped ssh session, a stopped job, Ctrl-C) ends it. The command
    in flight ends within its deadline, nothing new starts, the queueing of every unit that turned it off is given
    back, and the module fails naming what it did (RV(interrupted)); any other exit from the act gives it back
    first too. A task C(timeout) sends the module no signal; SIGKILL cannot be handled.
  - After a real run the host is read once more, for the post-check (RV(healthy_after) against RV(healthy_before),
    RV(maps_still_present)) and for RV(references).
  - NVMe over fabrics (native NVMe multipath) - it deletes an NVMe-oF controller that is not live (sysfs
    C(delete_controller), what C(nvme disconnect -d) writes; never a disconnect of all) when it reconnects to an
    address no NVMe/TCP (or NVMe/FC) LIF of the serving SVM has any more (C(lif_gone)), O(delete_lif_gone) is set,
    every namespace behind it answers through another live path or is unmapped, and the truth still maps a namespace of
    its subsystem to this host. Every unmapped namespace that goes with it must be unused (the kernel's exclusive
    claim included); a controller down to an address the SVM still has is an outage and is never deleted. A
    refused controller is in RV(left_alone) with the reason, and nothing NVMe is deleted when the NVMe truth is
    incomplete, older than O(truth_max_age) or older than the host. Right before the write the act reads its
    subsystem NQN, transport, address, host NQN, controller ID, state and the namespaces behind it again, and the
    writing child the identity and state once more.
  - Every kernel touch has a hard deadline (O(command_timeout)); it never opens C(/dev/dm-*).
  - Every run returns its plan as RV(plan_artifact). Given back as O(approved_plan) (the plan a person approved),
    a later run plans from scratch as always and then runs only the units whose every step is in the approved plan
    with the same identity; the others are refused by name, before anything is touched. A real run executes only
    an approved plan, or its own when O(allow_unreviewed) says so; without either it refuses before anything is read
    (RV(approval_gate)).
author:
  - sanfleet.remediation contributors (@sanfleet)
requirements:
  - Linux with sysfs and /proc, device-mapper multipath (multipath-tools), C(sg_turs)/C(sg_inq) (sg3-utils); root.
options:
  array_truth:
    description:
      - The array truth of M(sanfleet.remediation.ontap_truth) (or of any lookup following docs/ontap.md) -
        C(luns), C(targets), C(problems), C(initiators), C(collected_at). Takes the place of O(array_luns),
        O(array_targets) and O(array_initiators).
      - Without any array truth there are no verdicts and nothing is selected. Without C(initiators) (those the
        records were read for) no device is covered. Bad input (a record without C(wwid) or ONTAP C(serial), a
        field of the wrong type) fails the task before anything is read or changed.
    type: dict
  array_luns:
    description: The array's LUN mappings (M(sanfleet.remediation.ontap_luns)), as for M(sanfleet.remediation.stale_mpath_facts).
    type: list
    elements: dict
  array_targets:
    description: The target identities O(array_luns) covers (C(cluster), C(svm), C(iscsi_target_names), C(iscsi_addresses), C(fc_wwpns)).
    type: list
    elements: dict
  array_initiators:
    description: The initiators O(array_luns) was read for (C(*) - every mapping); a path over another one is not judged.
    type: list
    elements: str
  array_wwid_prefixes:
    description:
      - WWID prefixes of the arrays the truth describes, with the truth's own C(wwid_prefixes) (the arrays it was read
        from); any other device is C(unknown_array), unless the truth maps its WWID to this host.
    type: list
    elements: str
    default: ['3600a0980']
  policy:
    description:
      - C(array) removes what the array says is unmapped (and repairs serial mismatches).
      - C(host_evidence) also removes maps of other arrays (C(unknown_array)) whose every path answered
        "logical unit not supported" on two looks O(grace) seconds apart. "No answer" never counts.
    type: str
    choices: [array, host_evidence]
    default: array
  grace:
    description: Seconds between the two looks of O(policy=host_evidence), from 0 to 3600.
    type: float
    default: 120
  truth_max_age:
    description: Seconds (finite, above 0) the array truth may be older than the host snapshot; beyond it nothing is removed.
    type: float
    default: 900
  force_remove:
    description: Let a flush fall back to C(dmsetup remove --force --retry) after C(multipath -f) fails (in-use
      checks still apply).
    type: bool
    default: false
  remove_wwid:
    description: C(multipath -w) for each removed map.
    type: bool
    default: true
  flush_buffers:
    description: C(blockdev --flushbufs) for a disk whose live probe says it answers and is still the same LU.
    type: bool
    default: true
  repair_mismatch:
    description: Repair C(serial_mismatch) devices (flush the old map, delete the disks, exact rescan, verify).
    type: bool
    default: true
  allow_non_san:
    description: Allow disks and SCSI hosts on transports other than iSCSI/FC.
    type: bool
    default: false
  delete_lif_gone:
    description:
      - Delete an NVMe-oF controller that is C(lif_gone) (it reconnects to an address no NVMe/TCP or NVMe/FC LIF of
        the serving SVM has any more) when the rest of the rules allow it. The array truth proves the address is not
        one of that SVM's, not that no other cluster presents the subsystem there (a SnapMirror active sync peer
        that is not in the truth); set it only when every cluster presenting these subsystems is read.
      - Off, such controllers are reported and refused by name (RV(left_alone)).
    type: bool
    default: false
  phases:
    description:
      - Which phases of the plan to run. C(flush) covers a removed map with its paths, C(delete) stale disks
        without a map, C(rescan) the exact rescans of serial-mismatch repairs. Steps of the other phases are
        listed in RV(not_run). The plan (RV(steps)) is always the whole plan.
    type: list
    elements: str
    choices: [flush, delete, rescan]
    default: [flush, delete, rescan]
  timeout:
    description: Budget in seconds for the C(multipath -f) retries of one map.
    type: float
    default: 60
  wait_timeout:
    description: Seconds to wait for a device to vanish or appear.
    type: float
    default: 30
  command_timeout:
    description: Hard deadline in seconds of each command and sysfs/proc read or write.
    type: float
    default: 10
  probe_timeout:
    description: Deadline in seconds of each probe command (C(sg_turs), C(sg_inq)).
    type: float
    default: 8
  wwids_file:
    description: The multipath wwids file, checked after C(multipath -w).
    type: path
    default: /etc/multipath/wwids
  clean_references:
    description:
      - Lines of C(/etc/fstab), C(/etc/crypttab), the LVM devices file and C(*.mount) units in
        C(/etc/systemd/system) that still name a removed device are always reported in RV(references).
      - When true, those lines of fstab, crypttab and the devices file are commented out (atomic write, backup).
    type: bool
    default: false
  approved_plan:
    description:
      - The RV(plan_artifact) of an earlier run of this module on this host (the check run a person approved).
        The run plans again from what the host and the array show now, then keeps only the units (a map with its
        paths, a disk, a repair) whose every step is in the approved plan with the same action, target, unit,
        phase and identity (WWID, dm uuid, sd names, H:C:T:L, major:minor; compared as the act's re-checks compare
        them, C(identity.identity_diff)). A unit with a step the approver did not see, or whose device changed,
        is refused whole and named in RV(refused) (C(approval) says C(not_approved) or C(changed)). Approved steps
        the plan no longer needs are in RV(approved_not_needed).
      - An empty dict means that no plan was approved for this host (a host missing from the approved set), so
        every unit is refused (C(approval=none_approved)).
      - A plan of another format, another host (machine-id, hostname), whose C(digest) does not match its steps,
        with wrong types, or older than O(approved_plan_max_age), is an error; nothing is read or changed.
      - Check mode with an approved plan returns exactly what the real run with it would run.
      - Unset, a real run that selects a phase (O(phases)) refuses before anything is read, unless
        O(allow_unreviewed) is true. RV(approval_gate) says how the run executed.
    type: dict
  allow_unreviewed:
    description:
      - Without O(approved_plan), a real run that selects a phase executes the plan it makes itself, which nobody
        reviewed (a hand-run emergency). RV(approval_gate) is then C(unreviewed), and every report says so.
      - False (the default), such a run refuses before anything is read or changed (RV(approval_gate) C(refused)).
      - With O(approved_plan) it changes nothing, since the approved plan narrows the run.
    type: bool
    default: false
  approved_plan_max_age:
    description: Seconds an O(approved_plan) holds after the run that made it (its C(created_at)); an older plan
      is refused whole.
    type: int
    default: 14400
  detail:
    description:
      - The form of the returned C(ansible_facts.san) (RV(ansible_facts)), as O(sanfleet.remediation.stale_mpath_facts#module:detail)
        - C(compact) summarises the healthy maps and paths, C(full) lists every map, disk and verdict. The plan is
        made from the full snapshot either way.
    type: str
    choices: [compact, full]
    default: compact
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    description: Reads, judges and plans as a real run does and returns that plan (RV(steps), RV(run)); runs none of it.
  diff_mode:
    support: full
    description: The maps and disks of the host before and after the plan (in check mode, as the plan would leave them).
  facts:
    support: full
  platform:
    support: full
    platforms: posix
    description: Linux only.
notes:
  - "Use it with C(gather_facts: false): Ansible's hardware facts open dm devices and hang on a queueing map."
seealso:
  - module: sanfleet.remediation.stale_mpath_facts
  - module: sanfleet.remediation.multipath_flush
  - module: sanfleet.remediation.scsi_delete
  - module: sanfleet.remediation.scsi_rescan
"""

EXAMPLES = r"""
# run with --check first: its plan_artifact (per host) is what a person approves
- name: Remove what the array no longer maps, exactly as approved
  sanfleet.remediation.stale_cleanup:
    array_truth: "{{ query('sanfleet.remediation.ontap_truth', clusters=sanfleet_ontap,
                           initiators=ansible_facts.san.host.initiators) | first }}"
    approved_plan: "{{ (lookup('ansible.builtin.file', 'sanfleet-plan.json') | from_json)[inventory_hostname]
                       | default({}, true) }}"
  register: cleanup

- name: What was refused
  ansible.builtin.debug:
    msg: "{{ cleanup.refused | map(attribute='reason') | list }}"
"""

RETURN = r"""
ansible_facts:
  description: C(san), the judged snapshot the plan was made from (as M(sanfleet.remediation.stale_mpath_facts)
    returns it, with C(verdicts), C(array) and C(corruption_risks)); under O(policy=host_evidence) the second look.
  returned: always
  type: dict
steps:
  description: The whole plan, in order. Each step has C(action), C(target), C(identity) (what the act re-reads and
    compares right before it acts), C(options) (how the act does it), C(reason), C(phase) and C(unit).
  returned: always
  type: list
  elements: dict
run:
  description: The steps of O(phases), in the order they run (check mode runs none of them).
  returned: always
  type: list
  elements: dict
not_run:
  description: The steps of the phases not selected (or all, when a corruption risk holds the run back).
  returned: always
  type: list
  elements: dict
executed:
  description: The steps executed, each with C(action), C(target), C(unit), C(elapsed), C(outcome) and C(detail).
    Empty in check mode. C(elapsed) of a step that waits with others counts from the start of that wait.
  returned: always
  type: list
  elements: dict
blocked:
  description: Why no SCSI removal is planned on this host (C(why), C(msg)); empty when the SCSI truth allows removals.
    The NVMe controllers have the NVMe truth's own gates (RV(delete_controllers), RV(left_alone)).
  returned: always
  type: list
  elements: dict
left_alone:
  description: Verdicts left alone and devices refused while planning, each with kind, object, name and reason.
  returned: always
  type: list
  elements: dict
refused:
  description: The entries of RV(left_alone) refused because the device is in use (the reason names the holder).
  returned: always
  type: list
  elements: dict
flush_maps:
  description: WWIDs of the maps the plan removes, in plan order.
  returned: always
  type: list
  elements: str
delete_disks:
  description: Identities (name, hctl, dev, wwid, serial) of the disks the plan deletes, in plan order.
  returned: always
  type: list
  elements: dict
mismatches:
  description: Disks the plan repairs, each with its old identity and C(expect_wwid)/C(expect_serial).
  returned: always
  type: list
  elements: dict
evidence_candidates:
  description: Under O(policy=host_evidence), the WWIDs that said "LU gone" on the first look (the second look
    decides).
  returned: always
  type: list
  elements: str
healthy_before:
  description: WWID to sorted path names of every map whose paths were all active and that the plan neither
    removes nor creates (C(plan.cleanup.healthy_maps)).
  returned: always
  type: dict
healthy_after:
  description: The same, read right after the run; equal to RV(healthy_before) unless something surprising
    happened. Null when the read after the run failed (RV(post_check_error) says why).
  returned: when not in check mode
  type: dict
post_check_error:
  description: Why the host could not be read after the run (the post-check then fails closed).
  returned: when the read after the run failed
  type: str
maps_still_present:
  description: WWIDs of RV(flush_maps) that exist after the run.
  returned: when not in check mode
  type: list
  elements: str
delete_controllers:
  description: The NVMe-oF controllers the plan deletes, in plan order, each with its identity (C(name),
    C(subsysnqn), C(transport), C(address), C(hostnqn), C(cntlid)), its verdict C(kind), the C(namespaces) behind
    it (each with C(uuid), C(nsid) and C(role) C(stays) or C(unmapped)) and those that go with it (C(vanishing)).
  returned: always
  type: list
  elements: dict
deleted_controllers:
  description: The NVMe-oF controllers deleted, as names.
  returned: always
  type: list
  elements: str
removed_maps:
  description: The maps removed, as names.
  returned: always
  type: list
  elements: str
deleted_disks:
  description: The disks deleted, as names.
  returned: always
  type: list
  elements: str
references:
  description: Lines that still name a removed device, each with C(kind), C(file), C(line), C(text), C(matches)
    and C(action) (reported, commented_out, or changed_since_read - with O(clean_references), a line that was
    no reference any more when its file was read again right before the edit, its text changed or its device there
    again, left as it is and warned about). When a file's edit failed (RV(references_error)), the lines of the
    files edited before it are still here, commented_out, and those of the others reported.
  returned: when not in check mode
  type: list
  elements: dict
reference_backups:
  description: The backup of each file whose lines were commented out (O(clean_references)), also when a later
    file's edit failed.
  returned: when O(clean_references) found lines to comment out (empty when none was, each changed since it was read)
  type: list
  elements: str
references_error:
  description: Why the lines that still name a removed device could not be read or commented out (the read, or
    the write of a file, failed or missed its deadline).
  returned: when that failed
  type: str
failed_step:
  description: The first step that failed (every one is in RV(failures)).
  returned: on failure while executing
  type: dict
refusal:
  description: Why the first failed step refused at act time, with C(kind) and C(holder).
  returned: on refusal
  type: dict
failures:
  description: Every unit stopped at act time, each with C(unit), C(failed_step), C(msg) and C(refusal) or
    C(deadline). A unit whose path works again at act time is refused with C(refusal.kind=came_back) (one that
    hangs stops with C(deadline), one whose paths fail at once without an answer with C(refusal.kind=unanswered)); a
    truth older than O(truth_max_age) at its first touch with C(refusal.kind=truth_too_old).
  returned: on failure while executing
  type: list
  elements: dict
queueing_restored:
  description: The maps whose queueing this run had turned off and gave back when their unit stopped (or the act
    was interrupted), each with C(map), C(commands), C(queueing_now) and C(msg).
  returned: when a stopped unit had turned queueing off
  type: list
  elements: dict
interrupted:
  description: The signal (C(SIGTERM), C(SIGHUP) or C(SIGINT)) that ended the act; the units not finished stopped, their
    queueing was given back, and the module exited without the post-check.
  returned: when a signal ended the act
  type: str
plan_seconds:
  description: Wall time of reading the host and planning, in seconds (both looks and the O(grace) wait between
    them included, under O(policy=host_evidence)). With RV(act_seconds) and RV(post_check_seconds), where the
    module's time went.
  returned: when the host was read
  type: float
act_seconds:
  description: Wall time of the act (every executed step, waits included), in seconds.
  returned: when not in check mode
  type: float
act_batches:
  description: Each batch of the act in order (consecutive steps of one action share one read of the host and wait
    together), with C(action), C(steps) and C(seconds) (wall time of the batch, its read included), to show
    where the act's time went.
  returned: when not in check mode
  type: list
  elements: dict
post_check_seconds:
  description: Wall time of the read of the host after the act and of the search for lines that still name what
    was removed, in seconds.
  returned: when not in check mode
  type: float
act_notes:
  description: What the act had to do differently, e.g. a read for a batch of steps that missed its deadline (the
    steps then read one by one).
  returned: when there is one
  type: list
  elements: str
errors:
  description: Partial failures (a probe that timed out, holders that could not be named); never dropped.
  returned: always
  type: list
  elements: dict
plan_artifact:
  description:
    - The steps this run runs (check mode - would run), to approve and give to a later run as O(approved_plan).
      C(format) (1), C(host) (C(machine_id), C(hostname) of this host), C(created_at) (epoch seconds), C(digest)
      (sha256, hex, of the steps as JSON with sorted keys and no spaces, ASCII) and C(steps), each with C(action),
      C(target), C(phase), C(unit) and C(identity) (C(wwid), C(dm_uuid), C(sd), C(hctl), C(dev); for a map step
      C(sd) and C(hctl) list its paths).
    - The digest shows that the plan was not changed on its way; it is not a signature.
  returned: when the host was read
  type: dict
approval:
  description: With O(approved_plan), how the plan matched it - C(digest) and C(created_at) of the approved plan,
    C(age) (seconds), C(approved) (steps approved), C(refused) (units refused, see RV(refused)) and C(not_needed)
    (the number of RV(approved_not_needed)). Null without O(approved_plan).
  returned: when the host was read
  type: dict
approval_gate:
  description:
    - >-
      How this run executes, decided by the module (the reports, the job artifact and the console read this word,
      never the variables that fed the module) - C(plan) (check mode, or a real run that selects no phase: nothing is
      executed), C(approved) (only the units of O(approved_plan)), C(not_in_plan) (O(approved_plan) is empty: nothing
      was approved for this host, every unit is refused), C(unreviewed) (O(allow_unreviewed) without O(approved_plan):
      the plan this run made itself, which nobody reviewed) or C(refused) (a real run with neither: the module failed
      before reading anything).
  returned: always
  type: str
  sample: approved
approved_not_needed:
  description: Steps of O(approved_plan) that the plan of this run no longer has (C(action), C(target), C(unit),
    C(why) - the reason the device is left alone now, or that it is gone).
  returned: always
  type: list
  elements: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import post_check as act_post_check
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import wire
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.run import cleanup as run_cleanup
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate

# units of a batch acted on at once (act.context.ActContext.workers): each command and sysfs write keeps its own
# deadline; four keep a TCG guest's two vCPUs busy while commands wait on udev and the kernel
ACT_WORKERS = 4


def argument_spec():
    return dict(
        array_truth=dict(type="dict"),
        array_luns=dict(type="list", elements="dict"),
        array_targets=dict(type="list", elements="dict"),
        array_initiators=dict(type="list", elements="str"),
        array_wwid_prefixes=dict(type="list", elements="str", default=list(facts.DEFAULT_PREFIXES)),
        policy=dict(type="str", default="array", choices=["array", "host_evidence"]),
        grace=dict(type="float", default=120.0),
        truth_max_age=dict(type="float", default=900.0),
        force_remove=dict(type="bool", default=False),
        remove_wwid=dict(type="bool", default=True),
        flush_buffers=dict(type="bool", default=True),
        repair_mismatch=dict(type="bool", default=True),
        allow_non_san=dict(type="bool", default=False),
        delete_lif_gone=dict(type="bool", default=False),
        phases=dict(type="list", elements="str", choices=list(run_cleanup.PHASES), default=list(run_cleanup.PHASES)),
        timeout=dict(type="float", default=60.0),
        wait_timeout=dict(type="float", default=30.0),
        command_timeout=dict(type="float", default=10.0),
        probe_timeout=dict(type="float", default=8.0),
        wwids_file=dict(type="path", default="/etc/multipath/wwids"),
        clean_references=dict(type="bool", default=False),
        approved_plan=dict(type="dict"),
        allow_unreviewed=dict(type="bool", default=False),
        approved_plan_max_age=dict(type="int", default=approval.MAX_AGE),
        detail=dict(type="str", choices=list(compact.DETAILS), default="compact"),
    )


def build_host(module):
    """The Host every read and act goes through: the reader and runners bound by the module's deadlines."""
    p = module.params
    return execute.host_for_module(p, flush_timeout=p["timeout"], wait_timeout=p["wait_timeout"],
                                   wwids_file=p["wwids_file"], allow_non_san=p["allow_non_san"], workers=ACT_WORKERS)


def observe(module, reader, truth):
    """Query: the judged snapshot of the host (judge.facts.collect), with live probes."""
    return facts.collect(reader, truth, module.params["array_wwid_prefixes"], probe=True)


def read_and_plan(module, host, truth, result):
    """Who this host is, its SAN state and the plan from it (approved: narrowed to the approved plan); fails,
    changing nothing, on a read that did not finish or an input that does not hold. Returns (san, plan, this_host)."""
    p = module.params
    identity_errors = []
    this_host = run_cleanup.host_identity(host, identity_errors)
    try:
        approval.check_host(p["approved_plan"], this_host)
    except validate.InvalidInput as exc:
        result["errors"] = identity_errors
        module.fail_json(msg="invalid input: %s; nothing was read or changed" % exc, **result)
    started = host.clock()
    try:
        san, plan, result["evidence_candidates"] = run_cleanup.query_and_decide(
            p, host, lambda: observe(module, host.reader, truth))
    except deadline.DeadlineExceeded as exc:
        module.fail_json(msg="reading the SAN state failed: %s did not finish within %ss (a device may be hung; "
                             "nothing was changed)" % (exc.what, exc.seconds), **result)
    except validate.InvalidInput as exc:
        module.fail_json(msg=str(exc), **result)
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        module.fail_json(msg="reading or planning failed: %s; nothing changed" % exc, **result)

    result["approval"] = None
    if p["approved_plan"] is not None:
        plan, result["approval"], result["approved_not_needed"], warnings = run_cleanup.approve(
            plan, san, p["approved_plan"])
        for warning in warnings:
            module.warn(warning)
    result["plan_seconds"] = round(host.clock() - started, 3)
    result["ansible_facts"] = {"san": compact.shape(san, p["detail"])}
    result["errors"] = (san.get("errors") or []) + identity_errors
    return san, plan, this_host


def report_plan(module, san, plan, result):
    """The plan in the result, its blocks and corruption risks as warnings. Returns the maps the post-check must
    not call healthy (those the plan flushes, and those whose LUN id now carries another LUN)."""
    result.update(steps=wire(plan["steps"]), blocked=plan["blocked"], left_alone=plan["skipped"],
                  refused=[s for s in plan["skipped"] if s.get("kind") == "refused"],
                  flush_maps=plan["flush_maps"], mismatches=plan["mismatches"], **run_cleanup.family_lists(plan))
    exclude = plan["flush_maps"] + [m["expect_wwid"] for m in plan["mismatches"] if m.get("expect_wwid")]
    result["healthy_before"] = cleanup.healthy_maps(san, exclude)
    for b in plan["blocked"]:
        module.warn("no SCSI removal on this host: %s (%s)" % (b["why"], b["msg"]))
    for risk in san.get("corruption_risks") or []:
        module.warn(risk["msg"])
    return exclude


def select_steps(module, san, plan, this_host, result):
    """The steps of the chosen phases (none while a corruption risk stands), with the plan artifact and diff of
    exactly them: what check mode reports is what a real run executes."""
    selected, not_run, held_back = run_cleanup.selected_steps(module.params["phases"], san, plan)
    if held_back:
        module.warn("a corruption risk holds back all %d step(s) of the plan" % held_back)
    result["run"], result["not_run"] = wire(selected), wire(not_run)
    result["plan_artifact"] = approval.plan_artifact(selected, san, this_host, time.time(), plan["mismatches"])
    if module._diff:
        result["diff"] = run_cleanup.plan_diff(san, selected)
    return selected


def act(module, host, truth, selected, result):
    """Exactly the selected steps, in plan order; a refusal or failure stops its own unit, not the others. Each
    unit's first touch re-checks the truth's age against truth_max_age at that moment. Returns what stopped (None
    when every unit ran to its end); exits at once when a signal interrupted the act."""
    host.truth_times = run_cleanup.truth_times(truth)
    host.truth_max_age = module.params["truth_max_age"]
    stopped = None
    started = host.clock()
    try:
        result["executed"] = execute.execute(selected, host) if selected else []
    except act_context.ExecutionError as exc:
        stopped = exc.to_dict()
        msg = stopped.pop("msg")
        result.update(stopped)  # executed, failures, and the first one's failed_step and refusal or deadline
        units = set(st.unit for st in selected)
        if host.interrupted:
            # SIGTERM/SIGHUP/SIGINT: queueing was given back; report at once, no post-check, and exit
            result.update(act_seconds=round(host.clock() - started, 3), act_batches=list(host.batches),
                          interrupted=host.interrupted, changed=any(e["outcome"] == "done" for e in result["executed"]))
            if host.notes:
                result["act_notes"] = list(host.notes)
            module.fail_json(msg="cleanup interrupted by %s during the act: %d of %d units stopped before their "
                                 "end, queueing given back on the maps they had turned it off on: %s"
                                 % (host.interrupted, len(exc.failures), len(units), msg), **result)
        stopped = "%d of %d units stopped (the others ran to the end): %s" % (len(exc.failures), len(units), msg)
    result["act_seconds"] = round(host.clock() - started, 3)
    result["act_batches"] = list(host.batches)
    if host.notes:
        result["act_notes"] = list(host.notes)
    result.update(run_cleanup.removed(result["executed"]))
    result["changed"] = any(e["outcome"] == "done" for e in result["executed"])
    if host.interrupted:  # the signal came after the last step: every step ran; exit now, without the post-check
        result["interrupted"] = host.interrupted
        module.warn("%s came after the last step of the act: the post-check was not run" % host.interrupted)
        module.exit_json(**result)
    return stopped


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    result = dict(changed=False, steps=[], run=[], not_run=[], executed=[], blocked=[], left_alone=[], refused=[],
                  flush_maps=[], mismatches=[], evidence_candidates=[], healthy_before={}, errors=[],
                  approved_not_needed=[])
    result.update(run_cleanup.family_lists(None), **run_cleanup.removed([]))
    p = module.params
    try:
        result["approval_gate"] = approval.run_approval(module.check_mode, p["phases"], p["approved_plan"],
                                                        p["allow_unreviewed"])
    except approval.Unapproved as exc:
        result["approval_gate"] = "refused"
        module.fail_json(msg="%s; nothing was read or changed" % exc, **result)
    try:
        truth = run_cleanup.checked_truth(module.params)
    except validate.InvalidInput as exc:
        module.fail_json(msg="invalid input: %s; nothing was read or changed" % exc, **result)
    if truth is None:
        # without the array truth nothing can be called stale: an empty plan, said loudly
        module.warn("no array truth (array_truth or array_luns): nothing is judged stale, nothing is selected")

    host = build_host(module)
    san, plan, this_host = read_and_plan(module, host, truth, result)
    exclude = report_plan(module, san, plan, result)
    selected = select_steps(module, san, plan, this_host, result)
    if module.check_mode:
        result["changed"] = bool(selected)
        module.exit_json(**result)

    stopped = act(module, host, truth, selected, result)
    started = host.clock()
    act_post_check.post_check(module, host, result, exclude)
    result["post_check_seconds"] = round(host.clock() - started, 3)
    if stopped:
        module.fail_json(msg="cleanup: %s" % stopped, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
