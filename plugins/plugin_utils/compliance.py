# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compliance violations of one host from its audit results: shared by the compliance_violations filter and
the reports (plugin_utils/report.py), so that the reports need no filter plugin."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import fc_audit
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_records import ontap_wwpn
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_remediation import ran
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name

# the verdicts that are compliance violations (stale_unmapped, serial_mismatch, unexpected_visibility)
STALE_VERDICTS = check_registry.ids("stale", severity="violation")
# the reads a compliance check depends on (host.unread_pieces): the initiator name gates the iSCSI check, the rports
# the FC audit, and the three SAN-deciding reads whether the host is checked at all. The others (mounts, openers,
# kernel users, other block devices) decide whether a device is in use, which remediation judges, not compliance.
CHECKED_PIECES = ("initiators", "iscsi_sessions", "multipathd", "fc_rports")
# how many of a violation's maps or devices its text names (the violation carries them all in `devices`)
NAMES_IN_TEXT = 5


def _v(area, check, obj, detail="", **extra):
    text = "%s %s: %s%s" % (area, check, obj, (" (%s)" % detail) if detail else "")
    out = {"area": area, "check": check, "object": obj, "text": text}
    out.update(extra)
    return out


def _setting(key, value):
    """'no_path_retry = queue': what a reader has to change, rather than only where it is."""
    if not key:
        return ""
    return "%s = %s" % (key, "(not set)" if value in (None, "") else value)


def compliance_violations(audit):
    if not isinstance(audit, dict):
        raise AnsibleFilterError("compliance_violations expects a dict, got %s" % type_name(audit))
    out = []
    mp = audit.get("multipath")
    if ran(mp):
        out.extend(_multipath_violations(compact_audit.multipath_result(mp, "compact")))
    iscsi = audit.get("iscsi")
    if ran(iscsi):
        for key, status in sorted((iscsi.get("file_changes") or {}).items()):
            if status != "unchanged":
                out.append(_v("iscsi", key, iscsi.get("path") or "iscsid.conf", "would be %s" % status,
                              setting=key))
        for r in iscsi.get("record_changes") or []:
            out.append(_v("iscsi", r.get("key"), "%s %s" % (r.get("target"), r.get("portal")),
                          "%s, not %s" % (r.get("before"), r.get("after")), setting=r.get("key"),
                          value=r.get("before"), recommended=r.get("after")))
    lvm = audit.get("lvm")
    if ran(lvm):
        for f in compact_audit.lvm_result(lvm, "compact").get("findings") or []:
            if f.get("severity", "warning") != "warning":
                continue
            if f.get("check") in compact_audit.PER_DEVICE_CHECKS and isinstance(f.get("devices"), list):
                out.append(_grouped("lvm", f.get("check"), f["devices"], f.get("object"), f.get("reason") or "",
                                    reason=f.get("reason")))
            else:
                out.append(_v("lvm", f.get("check"), f.get("object"), f.get("reason") or "",
                              device=f.get("object"), reason=f.get("reason")))
    nvme = audit.get("nvme")
    if ran(nvme):
        out.extend(nvme_violations(nvme))
    san = audit.get("san")
    if isinstance(san, dict):
        # what a read that did not finish would show is unknown: the checks that depend on it (the iSCSI check on
        # the initiator name, the FC audit on the rports) did not run, so the host is not reported compliant
        for piece in [p for p in (san.get("host") or {}).get("unread_pieces") or [] if p in CHECKED_PIECES]:
            out.append(_v("host", "read_unfinished", piece, "the read of %s did not finish" % piece,
                          reason="the read of %s did not finish within its deadline: what it would show is unknown, "
                                 "and the checks that depend on it did not run (see the read errors)" % piece))
        for v in san.get("verdicts") or []:
            if v.get("kind") in STALE_VERDICTS:
                out.append(_v("stale", v.get("kind"), v.get("name"), v.get("wwid") or "", device=v.get("name"),
                              wwid=v.get("wwid"), reason=v.get("reason")))
        for v in nvme_judged(san):
            if v.get("kind") in STALE_VERDICTS:
                out.append(_v("stale", v.get("kind"), v.get("name"), v.get("subsysnqn") or "", device=v.get("name"),
                              reason=v.get("reason"), family="nvme"))
        out.extend(fc_violations(san, mp))
    return out


def nvme_judged(san):
    """The NVMe namespaces' and controllers' verdicts of a `san` fact (stale_mpath_facts nvme_verdicts), [] when
    the NVMe devices were not judged."""
    judged = san.get("nvme_verdicts") if isinstance(san.get("nvme_verdicts"), dict) else {}
    return [v for v in list(judged.get("namespaces") or []) + list(judged.get("controllers") or [])
            if isinstance(v, dict)]


def names_text(names, limit=NAMES_IN_TEXT):
    """'a, b, c' or 'a, b, c, d, e and 1,019 more': a list of maps or devices in a line an operator reads."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else "%s and %s more" % (shown, "{:,}".format(len(names) - limit))


def _grouped(area, check, names, kind, detail, **extra):
    """One violation for every map or device of one finding: the object is the one name, or '<count> <kind>'; all
    the names are in `devices`."""
    names = sorted(names)
    obj = names[0] if len(names) == 1 else "%d %s" % (len(names), kind)
    return _v(area, check, obj, "%s: %s" % (detail, names_text(names)) if detail else names_text(names),
              device=names[0] if len(names) == 1 else None, devices=names, count=len(names), **extra)


def _multipath_violations(mp):
    """The violations of a multipath audit in its compact form (compact_audit.multipath_result): one per setting
    and scope, and one for every map that queues without bound, whether the audit reported it as a finding, in
    live_maps_queueing, or both."""
    out, queueing = [], set(mp.get("live_maps_queueing") or [])
    for f in mp.get("remaining_findings") or []:
        if f.get("severity", "warning") != "warning":
            continue
        if f.get("check") == "live_map_queueing":
            queueing.update(f.get("maps") or [])
            continue
        scope = f.get("scope") or ""
        setting = _setting(f.get("key"), f.get("value"))
        out.append(_v("multipath", f.get("check"), scope, "%s in %s" % (setting, scope) if setting else "",
                      setting=f.get("key"), value=f.get("value"), recommended=f.get("recommended"),
                      reason=f.get("reason")))
    if queueing:
        out.append(_grouped("multipath", "live_map_queueing", queueing, "maps", "queue without bound",
                            setting="features", value="queue_if_no_path"))
    return out


def fc_findings(san, multipath=None):
    """Every finding of the FC audit of one host (module_utils/_san/judge/fc_audit.py), WWPNs in the report's form; the
    rports are compared with the configuration when the multipath audit ran."""
    settings = multipath.get("tmo_settings") if ran(multipath) else None
    return fc_audit.judge(san, settings or None, wwpn_form=ontap_wwpn)


def fc_violations(san, multipath=None):
    out = []
    for f in fc_findings(san, multipath):
        if f["severity"] == "violation":
            out.append(_v("fc", f["check"], f["object"], f["reason"], setting=f.get("setting"),
                          value=f.get("value"), recommended=f.get("recommended"), device=f.get("device"),
                          reason=f["reason"]))
    return out


def nvme_violations(nvme):
    """The violations of the NVMe-oF audit (module nvme_conf, module_utils/_san/judge/nvme_audit.py): its findings of
    severity violation, one per finding (a host without NVMe-oF has none)."""
    out = []
    for f in nvme.get("findings") or []:
        if f.get("severity") == "violation":
            out.append(_v("nvme", f.get("check"), f.get("object"), f.get("reason") or "", setting=f.get("setting"),
                          value=f.get("value"), recommended=f.get("recommended"), device=f.get("device"),
                          reason=f.get("reason")))
    return out
