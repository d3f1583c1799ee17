# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every check of the audits and the reports, defined once: its id (a finding's `check`, or `kind` for the host
findings and verdicts of the `san` fact), its area, its severity in a report, what it means, what to do, and the
section of docs/compliance.md that explains it (`doc`: the heading's anchor).

The producers (judge/multipath_audit.py, judge/fc_audit.py, judge/nvme_audit.py, the modules lvm_filter_info and
iscsid_conf, the `san` fact's findings and verdicts, plugin_utils/report_identity.py) emit these ids; compliance, the
host and fleet reports (the action per check, the JUnit cases of every area, the severities) and the fleet pages
read them from here. Its unit test (test_check_registry, beside the other tests of _san) fails when the code emits
an id this registry lacks, or when an entry has no section in docs/compliance.md (or the page documents a check that
is not here).

Not checks: the rows about how the run went (areas `array`, `run`, `remediate`: docs/reports.md) and the `healthy`
verdict (no row). The iSCSI area's check is the iscsid.conf key a run asked for (iscsid_conf's `keys`): its
default, `node.session.scan`, is here; another key a user asks for is reported under its own name.

Stdlib only, no imports from this collection: every stage may import it, and the controller code does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

# severity: of the check's row in a report when it fires (compliance makes the audits' warnings violations);
# junit: a JUnit case on every host whose area ran, passed when it does not fire (else only where it fired);
# grouped: "maps" / "devices" when the compact form merges its findings about single maps / devices into one
# nvme_action: what to do when the check is an NVMe namespace's or controller's verdict (the NVMe family shares the
# stale area's ids with SCSI; its remedy is its own, and is what remediate does for it: plan/nvme.py)
Check = namedtuple("Check", "id area severity meaning action doc junit grouped nvme_action")

AREAS = ("multipath", "iscsi", "lvm", "fc", "nvme", "stale", "host", "fleet")

_MULTIPATH = "checks-and-default-remedies"
_FC = "fc-timeouts-per-remote-port-module_utils_sanjudgefc_auditpy"
_NVME = "nvme-over-fabrics-nvme_conf-module_utils_sanjudgenvme_auditpy"
_LVM = "lvm-filter-lvm_filter_info"
_ISCSI = "iscsi-scan-iscsid_conf"
_FLEET = "fleet-identity-across-the-hosts-of-one-report-pluginsplugin_utilsreport_identitypy"
_DEVICES = "device-checks-areas-stale-and-host"


def _check(cid, area, severity, meaning, action, doc, junit=False, grouped=None, nvme_action=None):
    return Check(cid, area, severity, meaning, action, doc, junit, grouped, nvme_action)


# never a blanket disconnect: what every NVMe remedy that removes something says
_ONE_CONTROLLER = ("one controller at a time, never nvme disconnect -n or nvme disconnect-all, which drop every "
                   "controller of the subsystem, live ones included")


CHECKS = (
    # multipath (judge/multipath_audit.py, module multipath_conf): the meaning of the first five is the reason the
    # audit's findings carry
    _check("no_path_retry_queue", "multipath", "violation",
           "no_path_retry queue keeps I/O queued forever when every path is gone; processes touching the map "
           "(blkid, lvm, udev, sync, Ansible's own fact gathering) hang in D state and cannot be killed",
           "Set no_path_retry to a number of checks (role multipath_config).", _MULTIPATH, junit=True),
    _check("features_queue_if_no_path", "multipath", "violation",
           "queue_if_no_path in features means unbounded queueing when no_path_retry is not set",
           "Remove queue_if_no_path from features (role multipath_config).", _MULTIPATH, junit=True),
    _check("dev_loss_tmo_infinity", "multipath", "violation",
           "dev_loss_tmo infinity keeps dead FC/SAS remote ports (and their sd devices) forever; multipathd also "
           "forces it to infinity while no_path_retry is queue",
           "Set dev_loss_tmo to a number of seconds (role multipath_config).", _MULTIPATH, junit=True),
    _check("recheck_wwid_off", "multipath", "violation",
           "without recheck_wwid yes a reused LUN number rejoins the old map when its path comes back, and I/O "
           "reaches the new volume (lab finding 6)",
           "Set recheck_wwid yes so a reused LUN id is not added to the old map (role multipath_config).",
           _MULTIPATH, junit=True),
    _check("flush_on_last_del_off", "multipath", "violation",
           "with flush_on_last_del off a map whose last path was deleted stays, still queueing when it queues",
           "Set flush_on_last_del yes in the array's scope (module multipath_conf, option flush_on_last_del).",
           _MULTIPATH),
    _check("recheck_wwid_unsupported", "multipath", "violation",
           "the installed multipath-tools does not know recheck_wwid (added in 0.8.8): a reused LUN number "
           "silently rejoins the old map",
           "Upgrade multipath-tools to 0.8.8 or later, then run the fix (role multipath_config).", _MULTIPATH),
    _check("uxsock_timeout_short", "multipath", "violation",
           "uxsock_timeout, asked for, is shorter than wanted: multipathd's clients give up before a busy daemon "
           "answers",
           "Raise uxsock_timeout in multipath.conf's defaults (role multipath_config, "
           "multipath_config_uxsock_timeout) so queries of multipathd do not time out on this host.", _MULTIPATH),
    _check("uxsock_timeout_unsupported", "multipath", "violation",
           "uxsock_timeout is asked for and the installed multipath-tools does not know it",
           "Upgrade multipath-tools; until then its clients keep their built-in timeout.", _MULTIPATH),
    _check("find_multipaths", "multipath", "info",
           "what the find_multipaths value in force means for which disks get a map (a violation only when a "
           "value is asked for and another is in force)",
           "Nothing, unless it is not the value you want: set it in defaults (module multipath_conf, option "
           "find_multipaths).", _MULTIPATH),
    _check("local_disk_not_blacklisted", "multipath", "violation",
           "a local disk that multipath claims gets a map (and, with queueing, the hang risk of a SAN LUN)",
           "Blacklist the local disk by its WWID (role multipath_config, multipath_config_blacklist_local_disks).",
           _MULTIPATH),
    _check("live_map_queueing", "multipath", "violation",
           "a live map queues I/O without bound when its paths are gone (multipathd queueing 'on')",
           "The map queues I/O forever when its paths fail: set no_path_retry to a number (role multipath_config, "
           "multipath_config_fix=true) and reload multipathd.", _MULTIPATH, junit=True, grouped="maps"),
    # iSCSI (module iscsid_conf): the check is the key; its default
    _check("node.session.scan", "iscsi", "violation",
           "iscsid.conf or a node record does not say node.session.scan = manual: a rescan adds every LUN the "
           "target offers",
           "Set node.session.scan = manual in iscsid.conf and the node records (role iscsi_scan_manual), so a "
           "rescan adds only the LUNs you ask for.", _ISCSI, junit=True),
    # LVM (module lvm_filter_info)
    _check("no_lvm_filter", "lvm", "violation",
           "neither devices/global_filter nor devices/filter is set and use_devicesfile is off: LVM scans every "
           "SAN device",
           "Add an LVM global_filter (or a devices file) that accepts only the multipath maps of SAN LUNs, not "
           "their sd paths.", _LVM, junit=True),
    _check("filter_without_global_filter", "lvm", "info",
           "only devices/filter is set: event activation (pvscan) does not read it",
           "Move the filter to global_filter.", _LVM),
    _check("san_device_accepted", "lvm", "violation",
           "LVM's filter accepts a SAN map (a violation) or SAN sd path (info)",
           "LVM scans this SAN device: reject it in global_filter (sd paths) or accept only its multipath map.",
           _LVM, junit=True, grouped="devices"),
    _check("san_device_in_devices_file", "lvm", "violation",
           "use_devicesfile = 1 and the LVM devices file lists a SAN device",
           "The LVM devices file lists this SAN device: replace it by its multipath map.", _LVM, junit=True,
           grouped="devices"),
    _check("device_unreadable", "lvm", "violation",
           "reading a device's sysfs did not finish in time: whether LVM scans it is unknown",
           "Reading this device's sysfs did not finish: find what blocks it (a hung path, a suspended map) before "
           "trusting the LVM audit of this host.", _LVM),
    _check("san_vg_active", "lvm", "info",
           "a VG has active LVs on SAN devices",
           "Deactivate the VG (vgchange -an) before its LUNs are removed, and keep the new filter from rejecting "
           "its devices.", _LVM),
    # FC (judge/fc_audit.py): the severity is the audit's own
    _check("rport_tmo_mismatch", "fc", "violation",
           "a target rport's dev_loss_tmo or fast_io_fail_tmo differs from what multipathd sets for its paths",
           "multipathd did not apply its settings to this FC remote port: run 'multipathd reconfigure' (role "
           "multipath_config applies it with the fix) and audit again; while the rport is Blocked it cannot be "
           "written.", _FC, junit=True),
    _check("rport_fast_io_fail_off", "fc", "violation",
           "fast_io_fail_tmo is off on an rport with multipath paths: I/O waits for dev_loss_tmo before failover",
           "Set fast_io_fail_tmo (e.g. 5) for these LUNs in multipath.conf and reconfigure multipathd, so I/O "
           "fails over in seconds rather than after dev_loss_tmo; when multipathd turned it off because "
           "dev_loss_tmo is not above it, raise dev_loss_tmo (the finding's recommendation).", _FC, junit=True),
    _check("rport_dev_loss_long", "fc", "violation",
           "dev_loss_tmo is infinity or an hour or more on an rport with multipath paths",
           "Set dev_loss_tmo to a number of seconds and no_path_retry to a number (role multipath_config) and "
           "reconfigure multipathd, so a dead rport and its devices go.", _FC, junit=True),
    _check("rport_down_with_devices", "fc", "warning",
           "a target rport that does not carry I/O still has sd devices below it",
           "The target port is down with devices below it: repair the fabric (zoning, target port, cable); if the "
           "LUNs are gone, judge them with the array's truth (audit with sanfleet_ontap) before removing "
           "anything.", _FC, junit=True),
    _check("fc_host_linkdown", "fc", "warning",
           "an FC host port is Linkdown, Offline or in a state not known to carry I/O",
           "The HBA port has no link: check the cable, the SFP and the switch port (or disable the unused port).",
           _FC, junit=True),
    _check("fc_unreadable", "fc", "warning",
           "an FC attribute could not be read, or the settings of its devices cannot be judged (a violation when "
           "a target rport's timeouts, or the remote ports, were not read)",
           "An FC attribute could not be read (or the settings not judged): look at the sysfs of the port named; "
           "its timeouts are not judged in this run (a violation when a target port's timeouts, or the remote "
           "ports, were not read: the host is not known to comply); audit again.", _FC, junit=True),
    # NVMe over Fabrics (judge/nvme_audit.py, module nvme_conf): the severity is the audit's own; a host without a
    # fabrics controller has none of them (the area is not applicable)
    _check("nvme_native_multipath_off", "nvme", "violation",
           "native NVMe multipath is off (nvme_core.multipath=N, or a kernel without it) on a host with NVMe-oF "
           "controllers of an ONTAP subsystem: every path is a device of its own and the kernel does not follow ANA",
           "Turn native NVMe multipath on: nvme_core.multipath=Y on the kernel command line (RHEL 8: grubby "
           "--args=nvme_core.multipath=Y --update-kernel ALL), reboot, audit again.", _NVME, junit=True),
    _check("nvme_iopolicy", "nvme", "violation",
           "an ONTAP NVMe subsystem's I/O policy is numa (the kernel's default), not round-robin or queue-depth as "
           "NetApp recommends",
           "Set the subsystem's iopolicy to queue-depth (round-robin on a kernel without it): NetApp's udev rule of "
           "nvme-cli (71-nvmf-netapp.rules) does it for every ONTAP subsystem; udevadm control --reload, then "
           "udevadm trigger --subsystem-match=nvme-subsystem.", _NVME, junit=True),
    _check("nvme_ctrl_loss_unbounded", "nvme", "violation",
           "a fabrics controller's ctrl_loss_tmo is off: when its target port is gone it reconnects forever and, "
           "with fast_io_fail_tmo off, I/O with no live path stays queued (the NVMe form of no_path_retry queue)",
           "Give the controllers a bounded ctrl_loss_tmo (nvme connect --ctrl-loss-tmo=SECONDS, the same option in "
           "discovery.conf, ctrl_loss_tmo of the port in config.json; the kernel's default is 600) and override the "
           "udev rule of nvme-cli that sets -1 for ONTAP NVMe/TCP (docs/compliance.md says why this differs from "
           "NetApp's own).", _NVME, junit=True),
    _check("nvme_hostnqn_invalid", "nvme", "violation",
           "/etc/nvme/hostnqn is absent or its first line is no NQN: the host NQN a connect sends is not a fixed "
           "identity the ONTAP subsystems can list",
           "Write the host's own NQN to /etc/nvme/hostnqn (nvme gen-hostnqn > /etc/nvme/hostnqn), make the ONTAP "
           "subsystems list it (vserver nvme subsystem host add), connect again.", _NVME, junit=True),
    _check("nvme_hostid_invalid", "nvme", "warning",
           "/etc/nvme/hostid is absent or its first line is no UUID: the host ID a connect sends is not fixed",
           "Write a UUID to /etc/nvme/hostid (the one of the host NQN's uuid: part when it has one), connect "
           "again.", _NVME, junit=True),
    _check("nvme_autoconnect_off", "nvme", "warning",
           "a boot unit of nvme-cli that NetApp's pages verify enabled (nvmf-autoconnect, nvmefc-boot-connections "
           "on NVMe/FC) is not, or nvmf-autoconnect has nothing to connect for the NVMe/TCP controllers",
           "Enable it (systemctl enable nvmf-autoconnect.service; on NVMe/FC also nvmefc-boot-connections.service) "
           "and list the ONTAP SVMs' discovery controllers in /etc/nvme/discovery.conf (or config.json), so the "
           "connections come back after a reboot.", _NVME, junit=True),
    _check("nvme_unreadable", "nvme", "warning",
           "an NVMe setting could not be read or reads a value the kernel does not print (a violation when it "
           "leaves a violation's check unjudged: the host is not known to comply)",
           "Look at the sysfs attribute or file named (a hung controller, permissions); it is not judged in this "
           "run; audit again.", _NVME, junit=True),
    # stale: the verdicts of the array cross-check (judge/verdicts.py), in the `san` fact's `verdicts`
    _check("stale_unmapped", "stale", "violation",
           "the array no longer maps this LUN to the host's initiators, and no path works",
           "The array no longer maps this LUN: remove it with playbooks/remediate.yml (--check first).", _DEVICES,
           junit=True,
           nvme_action="The array maps this namespace to no host NQN of this host and no controller to it is live. "
                       "Remediate deletes its controllers (%s) when its subsystem no longer allows this host's NQN, or, "
                       "with sanfleet_delete_lif_gone=true, when their LIF is gone. While the subsystem still allows "
                       "the NQN they stay (an outage reads the same): if this host should no longer reach the "
                       "subsystem, remove its NQN on the array (vserver nvme subsystem host remove -vserver SVM "
                       "-subsystem SUBSYSTEM -host-nqn NQN) and run remediate; otherwise restore the LIF or the "
                       "network, and the reconnected controller drops the namespace by itself." % _ONE_CONTROLLER),
    _check("serial_mismatch", "stale", "violation",
           "the LUN id now carries another LUN: the host's device has the old identity",
           "The LUN id now carries another LUN: stop I/O on it; remediate repairs it (delete, exact rescan, verify "
           "the serial).", _DEVICES, junit=True),
    _check("unexpected_visibility", "stale", "violation",
           "the host sees a LUN the array does not map to its initiators",
           "The host sees a LUN that is not mapped to its initiators: review the igroup layout (shared igroups) "
           "before removing anything.", _DEVICES, junit=True,
           nvme_action="A live controller presents a namespace the array maps to no host NQN of this host: the truth "
                       "may be older than the host. Check the subsystem's maps and hosts on the array (vserver nvme "
                       "subsystem map show, vserver nvme subsystem host show) and audit again; remediate deletes no "
                       "NVMe controller of this host meanwhile."),
    _check("paths_down_but_mapped", "stale", "warning",
           "the array still maps this LUN and its paths are down",
           "The array still maps this LUN: repair the paths (network, target, zoning); never remove it.", _DEVICES,
           junit=True,
           nvme_action="The array still maps this namespace: repair its paths (the LIF, the network, the controller "
                       "that reconnects); never remove it."),
    _check("unknown_array", "stale", "info",
           "not a LUN of the audited arrays (its WWID has none of their prefixes, or it has no usable WWID)",
           "Not an ONTAP LUN: judge it by hand or with the host_evidence policy.", _DEVICES),
    _check("not_covered", "stale", "warning",
           "no SVM the fetched truth covers serves this device, so it was not judged against the array",
           "Check that sanfleet_ontap lists every cluster and SVM that serves this host, then run again.",
           _DEVICES,
           nvme_action="Check that sanfleet_ontap lists every cluster and SVM that presents this subsystem (its "
                       "NVMe/TCP and NVMe/FC LIFs, a SnapMirror active sync peer too) and that its NVMe truth was "
                       "read (the array rows of this host), then run again; nothing is removed meanwhile."),
    # the NVMe family's own verdicts (judge/nvme_verdicts.py, the `san` fact's `nvme_verdicts`); its namespaces
    # share the kinds above
    _check("uuid_mismatch", "stale", "violation",
           "the NSID of the NVMe subsystem now carries another namespace: the host's namespace has the old UUID",
           "Another namespace now sits at this NSID: stop I/O on the host's namespace; remediate does not touch it. "
           "Once nothing uses it, rescan the namespaces of a live controller of its subsystem (nvme ns-rescan "
           "/dev/nvmeX): the kernel sees the new identifiers and replaces the namespace.", _DEVICES, junit=True),
    _check("lif_gone", "stale", "violation",
           "an NVMe controller that is not live reconnects to an address no NVMe/TCP or NVMe/FC LIF of the SVM "
           "serving its subsystem has any more",
           "The LIF is gone: remediate deletes this controller (%s) when sanfleet_delete_lif_gone=true (set it only "
           "when every cluster that presents the subsystem is in sanfleet_ontap: a SnapMirror active sync peer that "
           "was not read presents it at addresses the truth does not know), nothing mapped answers through it alone "
           "(its sole_path_of is empty) and the truth still maps a namespace of its subsystem to this host."
           % _ONE_CONTROLLER, _DEVICES, junit=True),
    # host: the findings of the host alone (judge/findings.py), in the `san` fact's `findings`, and the reads
    _check("all_paths_failed", "host", "warning",
           "every path of a map fails",
           "Every path failed: run the audit with the array's truth to know whether it is stale.", _DEVICES,
           junit=True),
    _check("some_paths_failed", "host", "warning",
           "some paths of a map fail, others work",
           "Some paths failed: check the network, the target portals and the zoning.", _DEVICES, junit=True),
    _check("orphan_path", "host", "warning",
           "a SAN disk belongs to no multipath map and nothing uses it",
           "A SAN disk that belongs to no map: check multipath's blacklist and find_multipaths, or the array's "
           "mapping.", _DEVICES, junit=True),
    _check("ghost_map", "host", "warning",
           "a map has no paths in its kernel table",
           "A map without paths: remove it with playbooks/remediate.yml when nothing uses it.", _DEVICES,
           junit=True),
    _check("in_use", "host", "warning",
           "a map or SAN disk is mounted, held, used as swap or open",
           "The device is in use: stop the user (unmount, vgchange -an, close) before any removal.", _DEVICES,
           junit=True),
    _check("read_error", "host", "error",
           "a read of the host did not finish in time or failed: the report is partial",
           "A read did not finish in time or failed: look at the device named; the rest of the report is "
           "partial.", _DEVICES, junit=True),
    _check("read_unfinished", "host", "violation",
           "a read a compliance check depends on (initiators, iSCSI sessions, multipathd, FC remote ports) did "
           "not finish: the checks that depend on it did not run",
           "A read of the host did not finish within its deadline (often hung SAN I/O): find what hangs (read "
           "errors, D-state processes), then run the check again.", _DEVICES),
    _check("san_presence_unknown", "host", "error",
           "nothing shows SAN but a read that could did not finish: the host is neither judged nor known to be "
           "without SAN",
           "Find what blocks the reads named (a hung path, a suspended map), then run again: until they finish the "
           "host is neither judged nor known to be without SAN.", _DEVICES),
    _check("tool_missing", "host", "warning",
           "a SAN package the collection reads the host with is not installed (multipath-tools, sg3_utils, "
           "open-iscsi, nvme-cli): what it reads is not read, judged or done (info when the host has nothing "
           "that needs it)",
           "Install the package named (its name on your distribution is in the reason) and run again; until then "
           "what the reason names is not judged, and remediate removes nothing that needs it.", _DEVICES),
    _check("not_san", "host", "info",
           "not a SAN host: no multipath-tools, no iSCSI initiator name, no FC HBA, no SAN disk; nothing was "
           "checked",
           "Nothing to do; leave the host out of the SAN inventory group to skip it.", _DEVICES),
    # fleet: across the hosts of one report (plugin_utils/report_identity.py)
    _check("shared_initiator_identity", "fleet", "violation",
           "one initiator identity (iSCSI name, FC WWPN, NVMe host NQN or host ID) is held by two or more hosts "
           "of the report",
           "Two hosts hold the same initiator identity (a cloned image): give each host its own (iSCSI: a new "
           "InitiatorName in /etc/iscsi/initiatorname.iscsi; NVMe: nvme gen-hostnqn into /etc/nvme/hostnqn and a "
           "new /etc/nvme/hostid), log its sessions in again, and fix the igroups and subsystems on the array "
           "before any remediation.", _FLEET, junit=True),
    _check("igroup_spans_hosts", "fleet", "violation",
           "an igroup holds initiators of several hosts of the report and is not declared shared",
           "This igroup holds the initiators of several hosts: give each host its own igroup, or declare it in "
           "sanfleet_shared_igroups (cluster/svm/igroup) if the sharing is meant (a cluster's shared datastore).",
           _FLEET, junit=True),
    _check("subsystem_spans_hosts", "fleet", "violation",
           "an NVMe subsystem allows the host NQNs of several hosts of the report and is not declared shared",
           "This NVMe subsystem allows the host NQNs of several hosts: give each host its own subsystem, or declare "
           "it in sanfleet_shared_igroups (cluster/svm/subsystem) if the sharing is meant.", _FLEET, junit=True),
)

BY_ID = dict((c.id, c) for c in CHECKS)


def get(cid):
    """The check of this id; KeyError names an id the registry lacks."""
    return BY_ID[cid]


def ids(area=None, **fields):
    """The ids of the checks of an area (every area when None) whose fields equal `fields`, in registry order."""
    return tuple(c.id for c in CHECKS if (area is None or c.area == area)
                 and all(getattr(c, k) == v for k, v in fields.items()))


def severities(area):
    """{id: severity} of an area's checks."""
    return dict((c.id, c.severity) for c in CHECKS if c.area == area)


def meaning(cid):
    return BY_ID[cid].meaning


def actions():
    """{id: what to do} of every check."""
    return dict((c.id, c.action) for c in CHECKS)


def nvme_actions():
    """{id: what to do} of every check when it is an NVMe verdict: the NVMe family's own remedy where it has one."""
    return dict((c.id, c.nvme_action or c.action) for c in CHECKS)


def junit_checks():
    """{area: (ids)} of the checks every run of an area makes, with a JUnit case whether they fire or not."""
    return dict((area, ids(area, junit=True)) for area in AREAS)
