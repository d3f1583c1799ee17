# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compact form of the judged `san` snapshot (issue 31): what is healthy as counts and lists, the rest whole.

The full snapshot grows with every healthy device, and Ansible walks every node of a module's result twice
(`remove_values`, JSON), then the controller holds it for every host. What a reader needs of a healthy map is that
it exists and where; of anything else, everything. So:

- a map is summarised only when the judge has nothing against it: the judge's path_state is `ok` for every path,
  no host finding of a fault names it (all_paths_failed, some_paths_failed, ghost_map), none of its paths is an
  unread disk or named by a read error, and - when the array was asked - every verdict about it is `healthy`;
- a summarised map's paths (the disks below it) and its `healthy` verdict go into `healthy` as counts per state,
  per array and per target, with the map names, WWIDs, dm names and path names as lists (one order: the WWID's);
- everything else is kept as in the full form: maps and disks that are not summarised (disks outside any map
  included), every finding, every other verdict, errors, the array, corruption risks, the host (of
  `dm_unaccounted` only the entries of summarised maps with nothing unaccounted are dropped).

`compact(san)` returns a new dict and never changes `san` (the planner keeps working on the full snapshot).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings

DETAILS = ("compact", "full")
FAULT_FINDINGS = ("all_paths_failed", "some_paths_failed", "ghost_map")


def _bump(counter, key):
    counter[key] = counter.get(key, 0) + 1


def _named_in_errors(san):
    """Device names that a read error or an unread disk names: nothing about them can be called healthy."""
    named = set((san.get("host") or {}).get("unread_disks") or [])
    for error in san.get("errors") or []:
        named.update(str(error.get("what") or "").replace(",", " ").replace(":", " ").split())
    return named


def healthy_maps(san):
    """WWIDs of the maps the judge has nothing against (the module docstring's predicate)."""
    faulty = set(f.get("wwid") for f in san.get("findings") or [] if f.get("kind") in FAULT_FINDINGS)
    judged = "verdicts" in san
    kinds = {}
    for verdict in san.get("verdicts") or []:
        kinds.setdefault(verdict.get("wwid"), set()).add(verdict.get("kind"))
    unsure = _named_in_errors(san)
    out = set()
    for wwid, m in (san.get("maps") or {}).items():
        paths = m.get("paths") or []
        if not paths or wwid in faulty or (judged and kinds.get(wwid) != {"healthy"}):
            continue
        probes = m.get("probe") or {}
        if any(judge_findings.path_state(p, probes.get(p.get("name")))[0] != "ok" or p.get("name") in unsure
               or p.get("name") is None for p in paths):
            continue
        if m.get("name") in unsure or m.get("dm") in unsure:
            continue
        out.add(wwid)
    return out


def _array_of(wwid, disk):
    """'<WWID prefix> <vendor>/<model>': the array a LU comes from, as the host can tell."""
    vendor_model = "%s/%s" % ((disk or {}).get("vendor") or "?", (disk or {}).get("model") or "?")
    return "%s %s" % ((wwid or "")[:9] or "?", vendor_model)


def _target_of(disk):
    """The target a path is reached through: iSCSI target IQN @ portal, FC target WWPN, or the transport."""
    disk = disk or {}
    if disk.get("target_iqn"):
        return "%s@%s" % (disk["target_iqn"], disk.get("target_portal") or "?")
    if disk.get("target_wwpn"):
        return disk["target_wwpn"]
    return disk.get("transport") or "unknown"


def summary(san, wwids):
    """The `healthy` part of the compact fact for the maps `wwids`."""
    maps = san.get("maps") or {}
    disks = san.get("disks") or {}
    by_array, by_state, by_target = {}, {}, {}
    names, dms, path_names = [], [], []
    queueing = 0
    for wwid in sorted(wwids):
        m = maps[wwid]
        paths = m.get("paths") or []
        names.append(m.get("name"))
        dms.append(m.get("dm"))
        _bump(by_array, _array_of(wwid, disks.get(paths[0].get("name")) if paths else None))
        queueing += 1 if m.get("queueing") else 0
        for p in paths:
            path_names.append(p.get("name"))
            _bump(by_state, "/".join(str(p.get(k) or "?") for k in ("dm_state", "checker_state", "dev_state")))
            _bump(by_target, _target_of(disks.get(p.get("name"))))
    return {
        "maps": {"count": len(names), "by_array": by_array, "queueing": queueing, "names": names,
                 "wwids": sorted(wwids), "dms": dms},
        "paths": {"count": len(path_names), "by_state": by_state, "by_target": by_target, "names": path_names},
    }


def compact(san):
    """The compact form of `san` (a new dict; `san` is left as it is)."""
    wwids = healthy_maps(san)
    maps = san.get("maps") or {}
    paths = set()
    dms = set()
    for wwid in wwids:
        paths.update(p.get("name") for p in maps[wwid].get("paths") or [])
        dms.add(maps[wwid].get("dm"))
    out = dict(san)
    out["maps"] = dict((w, m) for w, m in maps.items() if w not in wwids)
    out["disks"] = dict((n, d) for n, d in (san.get("disks") or {}).items() if n not in paths)
    if "verdicts" in san:
        out["verdicts"] = [v for v in san["verdicts"]
                           if not (v.get("object") == "map" and v.get("wwid") in wwids and v.get("kind") == "healthy")]
    host = san.get("host")
    if isinstance(host, dict) and isinstance(host.get("dm_unaccounted"), dict):
        host = dict(host)
        host["dm_unaccounted"] = dict((dm, e) for dm, e in host["dm_unaccounted"].items()
                                      if dm not in dms or (e or {}).get("unaccounted") != 0)
        out["host"] = host
    out["healthy"] = summary(san, wwids)
    return out


def shape(san, detail):
    """`san` in the form the caller asked for: 'full' (as read and judged) or 'compact'."""
    if detail == "full":
        return san
    return compact(san)


def counts(san):
    """(maps, disks) of the host in either form: those listed plus those summarised."""
    healthy = san.get("healthy") or {}
    return (len(san.get("maps") or {}) + ((healthy.get("maps") or {}).get("count") or 0),
            len(san.get("disks") or {}) + ((healthy.get("paths") or {}).get("count") or 0))
