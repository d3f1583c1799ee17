# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compact form of the multipath and LVM audits' results (issue 31), as judge/compact.py is of the `san` fact.

On a host whose every map queues, or whose LVM has no filter, the audits say the same thing once per map or SAN
device: on 1,024 LUNs that is ~2.3 MB per host that Ansible walks and the controller keeps, for a handful of facts.
So, with `detail: compact`:

- a finding about one map (multipath_conf's `live_map_queueing`, scope `map:<name>`) or one SAN device
  (lvm_filter_info's `san_device_accepted` / `san_device_in_devices_file`, object `<device>`) is merged with the
  others of its check that say the same (every other field equal; a device's alias `names` left out): one finding
  with `count` and the sorted names (`maps` with scope `maps`, `devices` with object `maps` or `paths`), where the
  first of them stood;
- every other finding (about the configuration, a local disk, an unreadable device, a VG) stays as it is;
- `live_maps` becomes counts (per queueing state, array, active path count) with the names of the unmanaged maps
  (`live_maps_queueing` keeps every queueing map's name either way), `san_devices` counts and the sorted names.

`detail: full` returns the result as it is. The compact form of a compact result is itself, so a consumer (the
compliance violations, the reports) takes either form through `multipath_result` / `lvm_result` and judges the
same. Nothing here changes its argument.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from collections import Counter

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry

# the checks whose findings about single maps / devices the compact form merges (check_registry: `grouped`)
PER_MAP_CHECKS = check_registry.ids(grouped="maps")
PER_DEVICE_CHECKS = check_registry.ids(grouped="devices")
MAP_SCOPE = "map:"
MAPS_SCOPE = "maps"


def merged(findings, object_of, group_of, drop, names_key):
    """`findings` with those about one object merged per everything else they say.

    object_of(f): the name of the map/device f is about, None for a finding that stays as it is; group_of(f): the
    fields the merged finding sets instead of those in `drop` (the object's own)."""
    out, groups = [], {}
    for f in findings:
        name = object_of(f)
        if name is None:
            out.append(f)
            continue
        rest = dict((k, v) for k, v in f.items() if k not in drop)
        rest.update(group_of(f))
        key = json.dumps(rest, sort_keys=True, default=str)
        group = groups.get(key)
        if group is None:
            group = groups[key] = dict(rest, count=0)
            group[names_key] = []
            out.append(group)
        group["count"] += 1
        group[names_key].append(name)
    for group in groups.values():
        group[names_key].sort()
    return out


def map_of(finding):
    scope = finding.get("scope") or ""
    if finding.get("check") in PER_MAP_CHECKS and scope.startswith(MAP_SCOPE):
        return scope[len(MAP_SCOPE):]
    return None


def map_findings(findings):
    """multipath_conf's findings (or remaining_findings) with one `live_map_queueing` per reason and value."""
    return merged(findings, map_of, lambda f: {"scope": MAPS_SCOPE}, ("scope",), "maps")


def live_maps_summary(maps):
    """The live maps as counts: per multipathd queueing state (`unknown`: no daemon answer), per vendor/product,
    per active path count; how many queue without bound; the names of those multipathd does not manage."""
    def counts(key):
        return dict(Counter("unknown" if m.get(key) is None else str(m[key]) for m in maps))
    return {"count": len(maps), "by_queueing": counts("queueing"),
            "by_array": dict(Counter("%s/%s" % (m.get("vendor") or "?", m.get("product") or "?") for m in maps)),
            "by_active_paths": counts("active_paths"),
            "queues_forever": sum(1 for m in maps if m.get("queues_forever")),
            "unmanaged": sorted(m["name"] for m in maps if m.get("unmanaged"))}


def multipath_result(result, detail):
    """multipath_conf's result in the form asked for (any of its exits: keys it does not carry stay absent)."""
    if detail == "full":
        return result
    out = dict(result)
    for key in ("findings", "remaining_findings"):
        if isinstance(out.get(key), list):
            out[key] = map_findings(out[key])
    if isinstance(out.get("live_maps"), list):
        out["live_maps"] = live_maps_summary(out["live_maps"])
    return out


def device_findings(findings, kinds):
    """lvm_filter_info's findings with one finding per check and kind of SAN device (kinds: name -> map|path)."""
    def device_of(f):
        return f.get("object") if f.get("check") in PER_DEVICE_CHECKS else None
    return merged(findings, device_of, lambda f: {"object": "%ss" % kinds.get(f.get("object"), "device")},
                  ("object", "names"), "devices")


def san_devices_summary(devices):
    """The SAN devices as counts (per kind, how many LVM uses) and their sorted names."""
    return {"count": len(devices), "by_kind": dict(Counter(d.get("kind") or "?" for d in devices)),
            "lvm_uses": sum(1 for d in devices if d.get("lvm_uses")),
            "names": sorted(d["name"] for d in devices)}


def lvm_result(result, detail):
    """lvm_filter_info's result in the form asked for (any of its exits)."""
    if detail == "full":
        return result
    out = dict(result)
    devices = out.get("san_devices")
    if isinstance(devices, list):
        kinds = dict((d.get("name"), d.get("kind")) for d in devices)
        if isinstance(out.get("findings"), list):
            out["findings"] = device_findings(out["findings"], kinds)
        out["san_devices"] = san_devices_summary(devices)
    return out
