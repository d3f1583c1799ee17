# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: san_report
short_description: Render the SAN facts of one host as a readable table
version_added: 0.1.0
author: sanfleet.remediation contributors
description:
  - Turns C(ansible_facts.san), as returned by M(sanfleet.remediation.stale_mpath_facts), into lines of text.
  - One block per multipath map with its paths (dm state, checker state, device state, live probe), then the
    SCSI disks that belong to no map, then the host findings and, when the array was consulted, the verdicts.
options:
  _input:
    description: The C(san) facts of one host.
    type: dict
    required: true
  width:
    description: Maximum width of a line; longer evidence is cut with an ellipsis.
    type: int
    default: 140
"""

EXAMPLES = r"""
- name: Show what the facts module found
  ansible.builtin.debug:
    msg: "{{ ansible_facts.san | sanfleet.remediation.san_report }}"
"""

RETURN = r"""
_value:
  description: The report, one string per line.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name


def _cut(text, width):
    return text if len(text) <= width else text[: width - 1] + "…"


def _path_line(path, probe):
    states = "/".join(str(path.get(k) or "?") for k in ("dm_state", "checker_state", "dev_state"))
    line = "    %-6s %-14s %-28s" % (path.get("name", "?"), path.get("hctl") or "-", states)
    if probe:
        detail = probe.get("result", "?")
        if probe.get("sense"):
            detail += " (%s)" % probe["sense"]
        if probe.get("serial_live"):
            detail += " serial now %s" % probe["serial_live"]
        line += " probe: " + detail
    return line


def _usage(obj):
    used = []
    used.extend("mounted on %s" % m for m in obj.get("mountpoints") or [])
    used.extend("holder %s" % h for h in obj.get("holders") or [])
    used.extend("open by %s[%s]" % (o.get("comm"), o.get("pid")) for o in obj.get("openers") or [])
    if obj.get("swap"):
        used.append("swap")
    return ", ".join(used) or "-"


def _counted(counts):
    return ", ".join("%s %s" % (n, key) for key, n in sorted((counts or {}).items())) or "-"


def _healthy_lines(healthy):
    """The summarised healthy maps of a compact fact (stale_mpath_facts detail=compact): counts, not rows."""
    if not isinstance(healthy, dict):
        return []
    maps, paths = healthy.get("maps") or {}, healthy.get("paths") or {}
    return ["%d healthy maps with %d paths, not listed (detail=full lists them): by array %s; paths %s; "
            "by target %s" % (maps.get("count") or 0, paths.get("count") or 0, _counted(maps.get("by_array")),
                              _counted(paths.get("by_state")), _counted(paths.get("by_target")))]


def _verdict_index(san):
    index = {}
    for verdict in san.get("verdicts") or []:
        index.setdefault((verdict.get("object"), verdict.get("name")), verdict)
    return index


def san_report(san, width=140):
    if not isinstance(san, dict):
        raise AnsibleFilterError("san_report expects the san facts (a dict), got %s" % type_name(san))
    lines = []
    host = san.get("host") or {}
    lines.append(
        "initiator %s, FC WWPNs %s, multipathd %s"
        % (host.get("iscsi_iqn") or "-", ", ".join(host.get("fc_wwpns") or []) or "-",
           {True: "running", None: "UNKNOWN (the /proc scan did not finish)"}.get(host.get("multipathd_running"),
                                                                                  "NOT running"))
    )
    for session in san.get("iscsi_sessions") or []:
        lines.append(
            "session %s host%s %s @ %s %s"
            % (session.get("sid"), session.get("host"), session.get("target"), session.get("portal"), session.get("state"))
        )
    verdicts = _verdict_index(san)
    maps = san.get("maps") or {}
    lines.append("")
    lines.append("%-36s %-7s %-6s %-6s %-5s %s" % ("MAP (wwid)", "dm", "paths", "queue", "open", "in use / verdict"))
    for wwid in sorted(maps):
        mp = maps[wwid]
        paths = mp.get("paths") or []
        ready = sum(1 for p in paths if p.get("dm_state") == "active" and p.get("checker_state") == "ready")
        verdict = verdicts.get(("map", mp.get("name")))
        tail = _usage(mp)
        if verdict:
            tail += "  => %s" % verdict.get("kind")
        lines.append("%-36s %-7s %-6s %-6s %-5s %s" % (
            wwid, mp.get("dm") or "-", "%d/%d" % (ready, len(paths)), "yes" if mp.get("queueing") else "no",
            mp.get("open_count", "-"), tail))
        probes = mp.get("probe") or {}
        for path in paths:
            lines.append(_path_line(path, probes.get(path.get("name"))))
    lines.extend(_healthy_lines(san.get("healthy")))
    orphans = [d for d in (san.get("disks") or {}).values() if not d.get("map")]
    if orphans:
        lines.append("")
        lines.append("SCSI disks outside any map:")
        for disk in sorted(orphans, key=lambda d: d.get("name", "")):
            lines.append("    %-6s %-14s %-6s %-16s %-8s wwid %s  %s" % (
                disk.get("name"), disk.get("hctl"), disk.get("transport"), disk.get("vendor"), disk.get("state"),
                disk.get("wwid") or "-", _usage(disk)))
    lines.append("")
    findings = san.get("findings") or []
    lines.append("findings: %s" % ("none" if not findings else len(findings)))
    for finding in findings:
        lines.append("  %-18s %-4s %-36s %s" % (
            finding.get("kind"), finding.get("object"), finding.get("wwid") or finding.get("name"), finding.get("reason", "")))
    if "verdicts" in san:
        lines.append("verdicts (cross-checked with the array):")
        for verdict in san.get("verdicts") or []:
            lines.append("  %-22s %-4s %-36s %s" % (
                verdict.get("kind"), verdict.get("object"), verdict.get("wwid") or verdict.get("name"), verdict.get("reason", "")))
    for error in san.get("errors") or []:
        lines.append("  ERROR %s: %s" % (error.get("what"), error.get("msg")))
    return [_cut(line, width) for line in lines]


class FilterModule:
    def filters(self):
        return {"san_report": san_report}
