#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lvm_filter_info
short_description: Report whether the host's LVM keeps away from SAN multipath devices, and which VGs live on SAN
version_added: 0.1.0
description:
  - Reads C(devices/global_filter), C(devices/filter) and C(devices/use_devicesfile) (C(lvmconfig), falling
    back to parsing O(lvm_conf)) and evaluates them, the way LVM does, against every name of every SAN device
    (dm-multipath maps and their iSCSI/FC sd paths, found in sysfs).
  - Reports the VGs that have active LVs on SAN devices, from the device-mapper tree in sysfs (no device is
    opened), and, with O(use_pvs=true), the PVs C(pvs --reportformat json) sees on SAN maps that have a working
    path (passed explicitly with C(--devices), so C(pvs) never scans a map that could hang it).
  - Read-only; never changes anything.
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  lvm_conf:
    description:
      - The LVM configuration file (used when C(lvmconfig) is not available).
      - An absolute path to a file, without C(..); anything else (a directory too) fails the module before it reads
        anything.
    type: path
    default: /etc/lvm/lvm.conf
  use_pvs:
    description: Also run C(pvs) on the SAN maps that have a working path.
    type: bool
    default: true
  command_timeout:
    description: Deadline in seconds for each command and for the sysfs scan.
    default: 30
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.audit_detail
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
"""

EXAMPLES = r"""
- name: Audit the LVM filter against SAN devices
  sanfleet.remediation.lvm_filter_info:
  register: lvm

- name: Show VGs activated from SAN LUNs
  ansible.builtin.debug:
    var: lvm.san_vgs
"""

RETURN = r"""
filters:
  description: The filter settings in force.
  returned: always
  type: dict
  sample: {global_filter: ["r|^/dev/mapper/3600a0980.*|", "a|.*|"], filter: null, use_devicesfile: false, source: lvmconfig}
findings:
  description:
    - No filter, SAN devices the filter accepts, SAN devices listed in the devices file, SAN-backed VGs.
    - C(device_unreadable) (a warning) for a block device whose sysfs read did not finish within O(command_timeout);
      whether LVM scans it is unknown.
    - With O(detail=compact), one C(san_device_accepted) (C(san_device_in_devices_file)) finding per kind of SAN
      device, object C(maps) (severity warning) or C(paths) (info), with C(count) and C(devices), the sorted names.
  returned: always
  type: list
  elements: dict
  sample:
    - {check: no_lvm_filter, object: lvm.conf, reason: "...", severity: warning}
    - {check: san_device_accepted, object: maps, severity: warning, reason: "...", count: 2, devices: [dm-0, dm-1]}
san_devices:
  description:
    - With O(detail=full), a list of every SAN device (maps and paths) with its names and whether LVM would use it.
    - With O(detail=compact), a dict - C(count), C(by_kind) (C(map), C(path)), C(lvm_uses) (how many LVM would use)
      and C(names), the sorted device names.
  returned: always
  type: raw
  sample: {count: 6, by_kind: {map: 2, path: 4}, lvm_uses: 6, names: [dm-0, dm-1, sdb, sdc, sdd, sde]}
san_vgs:
  description: VGs with active LVs on SAN devices.
  returned: always
  type: list
  elements: dict
  sample: [{vg: vgdata, lvs: [lvol0], devices: [dm-3], source: device-mapper}]
pvs:
  description: PVs found by C(pvs) on SAN maps (only with use_pvs).
  returned: always
  type: list
  elements: dict
errors:
  description: Partial failures (timeouts); never silently dropped.
  returned: always
  type: list
  elements: dict
"""

import json
import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module as skeleton
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import parse
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import sysfs as obs_sysfs
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import read_text, safe_data, safe_text
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import MPATH_UUID_PREFIX, SAN_TRANSPORTS, map_wwid

ALIAS_DIRS = ("/dev/mapper", "/dev/disk/by-id", "/dev/disk/by-path", "/dev/disk/by-uuid", "/dev/disk/by-label",
              "/dev/block")


def parse_lvm_array(text):
    """'["r|a|", "a|.*|"]' (or a single string) -> list of strings."""
    return re.findall(r'"((?:[^"\\]|\\.)*)"', text)


def parse_lvmconfig(text):
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


MAX_DEPTH = 32
_LVM_TOKEN = re.compile(r'\s+|#[^\n]*|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[{}\[\]=,]|[^\s{}\[\]=,"\'#]+', re.S)


class LvmConfError(ValueError):
    pass


def lvm_tokens(text):
    """lvm.conf tokens (device_mapper/libdm-config.c, _get_token): strings with backslash escapes, {, }, [, ],
    =, ',', words; white space and '#' comments (outside strings) dropped. An unterminated string is an error."""
    out = []
    pos = 0
    while pos < len(text):
        m = _LVM_TOKEN.match(text, pos)
        if not m:
            raise LvmConfError("unterminated string at offset %d" % pos)
        tok = m.group(0)
        pos = m.end()
        if not tok.isspace() and not tok.startswith("#"):
            out.append(tok)
    return out


def parse_lvm_conf(text):
    """Active devices/global_filter, devices/filter and devices/use_devicesfile from lvm.conf text, as the
    text lvmconfig prints (an array as '["a|...|", "r|.*|"]'). Raises LvmConfError on what it cannot read."""
    tokens = lvm_tokens(text)
    out = {}
    path = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "}":
            if not path:
                raise LvmConfError("'}' without a section")
            path.pop()
            i += 1
        elif i + 1 < len(tokens) and tokens[i + 1] == "{":
            path.append(tok)
            if len(path) > MAX_DEPTH:
                raise LvmConfError("sections nested deeper than %d levels" % MAX_DEPTH)
            i += 2
        elif i + 2 < len(tokens) and tokens[i + 1] == "=":
            value, i = _lvm_value(tokens, i + 2)
            if path == ["devices"] and tok in ("global_filter", "filter", "use_devicesfile") and tok not in out:
                out[tok] = value
        else:
            raise LvmConfError("unexpected %r" % tok[:40])
    return out


def _double_quoted(tok):
    if tok.startswith("'"):
        return '"%s"' % tok[1:-1].replace('"', '\\"')
    return tok


def _lvm_value(tokens, i):
    """(value text, next index) for a scalar or a [ ... ] array."""
    if tokens[i] != "[":
        return _double_quoted(tokens[i]), i + 1
    items = []
    i += 1
    while i < len(tokens) and tokens[i] != "]":
        if tokens[i] != ",":
            items.append(_double_quoted(tokens[i]))
        i += 1
    if i >= len(tokens):
        raise LvmConfError("array without ']'")
    return "[%s]" % ", ".join(items), i + 1


def compile_filter(patterns):
    """LVM filter strings ('a|re|', 'r/re/') -> [(accept, regex)]; raises ValueError on a bad one."""
    out = []
    for pat in patterns:
        if len(pat) < 3 or pat[0] not in "ar" or pat[-1] != pat[1]:
            raise ValueError("not an LVM filter pattern: %r" % pat)
        out.append((pat[0] == "a", re.compile(pat[2:-1])))
    return out


def lvm_accepts(compiled, names):
    """LVM's regex filter: the first pattern matching a name decides for it; any accepted name accepts the
    device, a rejected one (with none accepted) rejects it, no match at all accepts it."""
    if not compiled:
        return True
    rejected = False
    for name in names:
        for accept, rx in compiled:
            if rx.search(name):
                if accept:
                    return True
                rejected = True
                break
    return not rejected


def analyse(scan):
    """SAN devices and SAN-backed VGs from a sysfs scan (pure)."""
    blocks = scan["blocks"]
    parent = {}
    for name, b in blocks.items():
        for part in b["partitions"]:
            parent[part] = name
    maps = dict((n, b) for n, b in blocks.items() if map_wwid(b.get("uuid")))
    san_sd = set(n for n, b in blocks.items() if b.get("transport") in SAN_TRANSPORTS)
    for m in maps.values():
        san_sd.update(s for s in m["slaves"] if s.startswith("sd"))

    def is_san(name, seen=()):
        base = parent.get(name, name)
        if base in san_sd or base in maps:
            return True
        b = blocks.get(base)
        if not b or base in seen:
            return False
        if (b.get("uuid") or "").startswith("part") and MPATH_UUID_PREFIX in (b.get("uuid") or ""):
            return True
        return any(is_san(s, seen + (base,)) for s in b["slaves"] if not (b.get("uuid") or "").startswith("LVM-"))

    devices = []
    for name in sorted(set(maps) | san_sd):
        b = blocks.get(name, {"name": name})
        names = ["/dev/%s" % name] + sorted(scan["aliases"].get(name, []))
        devices.append({"name": name, "kind": "map" if name in maps else "path", "names": names,
                        "wwid": map_wwid(b.get("uuid")),
                        "map_name": b.get("dm_name")})
    vgs = {}
    for name, b in sorted(blocks.items()):
        if not (b.get("uuid") or "").startswith("LVM-"):
            continue
        san_slaves = [s for s in b["slaves"] if is_san(s)]
        if not san_slaves:
            continue
        vg, lv = split_lv_name(b.get("dm_name") or name)
        entry = vgs.setdefault(vg, {"vg": vg, "lvs": [], "devices": [], "source": "device-mapper"})
        entry["lvs"].append(lv)
        for s in san_slaves:
            if s not in entry["devices"]:
                entry["devices"].append(s)
    return devices, [vgs[k] for k in sorted(vgs)]


def split_lv_name(dm_name):
    """'vg--data-lv_1' -> ('vg-data', 'lv_1'): observe.users.decode_lvm_name, the one decoder; a name that is not of
    that form stays whole, as the VG, with no LV."""
    return users.decode_lvm_name(dm_name) or (dm_name, "")


def read_filters(module, host, errors):
    """(global_filter, filter, use_devicesfile, source): from lvmconfig when installed (what LVM itself merges),
    else from lvm.conf; a read that fails is named in errors."""
    raw, source = {}, None
    lvmconfig = module.get_bin_path("lvmconfig")
    if lvmconfig:
        for key in ("global_filter", "filter", "use_devicesfile"):
            res = host.command([lvmconfig, "devices/%s" % key], errors)
            if res is not None and res.rc == 0:
                raw.update(parse_lvmconfig(res.stdout))
        source = "lvmconfig"
    else:
        lvm_conf = module.params["lvm_conf"]
        try:
            text, _exists = read_text(lvm_conf)
            raw = parse_lvm_conf(text)
            source = lvm_conf
        except (IOError, OSError, LvmConfError) as exc:
            errors.append({"what": lvm_conf, "msg": safe_text(str(exc))})
    gf = parse_lvm_array(raw["global_filter"]) if "global_filter" in raw else None
    fl = parse_lvm_array(raw["filter"]) if "filter" in raw else None
    use_df = raw.get("use_devicesfile", "0").strip('"') == "1"
    return gf, fl, use_df, source


def mark_lvm_uses(devices, use_df, compiled):
    """d["lvm_uses"]: the devices file names it (use_devicesfile=1), or both filters accept one of its names."""
    devices_file = ""
    if use_df:
        try:
            devices_file = read_text("/etc/lvm/devices/system.devices")[0]
        except (IOError, OSError):
            devices_file = ""
    for d in devices:
        if use_df:
            d["lvm_uses"] = any(n in devices_file for n in d["names"]) or bool(d["wwid"] and d["wwid"] in devices_file)
        else:
            d["lvm_uses"] = all(lvm_accepts(c, d["names"]) for c in compiled)


def filter_findings(gf, fl, use_df, devices, unread, vgs, command_timeout):
    findings = []
    if not use_df and gf is None and fl is None:
        findings.append({"check": "no_lvm_filter", "object": "lvm.conf", "severity": "warning",
                         "reason": "neither devices/global_filter nor devices/filter is set: LVM scans every SAN "
                                   "map (and hangs on one that queues) and can activate VGs of other hosts",
                         "remedy": 'global_filter = [ "r|^/dev/mapper/3600a0980.*|", "r|^/dev/disk/by-id/dm-uuid-mpath-.*|", ... ]'})
    elif not use_df and gf is None:
        findings.append({"check": "filter_without_global_filter", "object": "lvm.conf", "severity": "info",
                         "reason": "only devices/filter is set; global_filter also applies to event-driven "
                                   "activation (pvscan) and is the one to use"})
    for d in devices:
        if d["lvm_uses"]:
            findings.append({
                "check": "san_device_in_devices_file" if use_df else "san_device_accepted",
                "object": d["name"], "severity": "warning" if d["kind"] == "map" else "info",
                "names": d["names"],
                "reason": "LVM scans this SAN %s; a filter that rejects it keeps lvm commands from hanging on a "
                          "queueing map%s" % (d["kind"], "" if d["kind"] == "map" else
                                              " (paths of a map are also skipped by multipath_component_detection)")})
    for name in unread:
        # whether LVM scans it cannot be told: the audit does not pass a host it could not read whole
        findings.append({"check": "device_unreadable", "object": name, "severity": "warning",
                         "reason": "reading /sys/block/%s did not finish within %ss: whether it is a SAN device and "
                                   "whether LVM scans it is unknown (see errors)" % (name, command_timeout)})
    for vg in vgs:
        findings.append({"check": "san_vg_active", "object": vg["vg"], "severity": "info", "devices": vg["devices"],
                         "reason": "this VG has active LVs on SAN devices: keep them out of the filter's reject "
                                   "list, and take them down before removing the LUNs"})
    return findings


def pvs_on_live_maps(module, host, devices, errors):
    """pvs of the SAN maps that have a working path (asking LVM about a map without one can hang it); [] when
    pvs or dmsetup is missing or did not answer."""
    pvs_bin = module.get_bin_path("pvs")
    dmsetup = module.get_bin_path("dmsetup")
    if not (module.params["use_pvs"] and pvs_bin and dmsetup):
        return []
    res = host.command([dmsetup, "status", "--target", "multipath"], errors)
    status = parse.parse_dm_lines(res.stdout, parse.parse_multipath_status)[0] if res is not None and res.rc == 0 else {}
    active = dict((name, sum(p["active"] for g in st["groups"] for p in g["paths"])) for name, st in status.items())
    safe = [d for d in devices if d["kind"] == "map" and active.get(d["map_name"] or "", 0) > 0]
    if not safe:
        return []
    argv = [pvs_bin, "--reportformat", "json", "-o", "pv_name,vg_name,pv_uuid,dev_size"]
    # named by its first device and a count: the whole line names every map (25 KB at a thousand), in the error and
    # in the deadline's message within it
    what = " ".join(argv + ["--devices", "/dev/%s" % safe[0]["name"]])
    if len(safe) > 1:
        what += " (and --devices of %d more SAN maps with a working path)" % (len(safe) - 1)
    for d in safe:
        argv += ["--devices", "/dev/%s" % d["name"]]
    failed = []
    res = host.command(argv, failed, what=what)
    errors.extend(dict(e, what=what) for e in failed)
    if res is not None and res.rc != 0:
        errors.append({"what": what, "msg": "rc=%s: %s" % (res.rc, (res.stderr or res.stdout).strip()[-2000:])})
    if res is None or res.rc != 0:
        return []
    try:
        report = json.loads(res.stdout)["report"][0]["pv"]
    except (ValueError, KeyError, IndexError):
        report = []
    return [r for r in report if r.get("pv_name")]


def check_lvm_conf(module, path):
    """lvm_conf names a file: bad input fails the module before it reads anything, whether lvmconfig (which the
    module prefers) is installed or not."""
    try:
        validate.host_file_path(path, "lvm_conf")
    except validate.InvalidInput as exc:
        module.fail_json(msg="%s; nothing was read" % exc)
    if os.path.isdir(path):
        module.fail_json(msg="lvm_conf %r is a directory, not an LVM configuration file; nothing was read" % path)
    # a FIFO blocks the open for ever, a device node is read to its end (a queueing map's in D state): only a regular
    # file is read (stat opens nothing); a missing one is reported as missing later
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        module.fail_json(msg="lvm_conf %r is not a regular file (a FIFO, a device or a socket), not an LVM "
                             "configuration file; nothing was read" % path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lvm_conf=dict(type="path", default="/etc/lvm/lvm.conf"),
            use_pvs=dict(type="bool", default=True),
            detail=dict(type="str", choices=list(compact.DETAILS), default="compact"),
            **skeleton.deadline_options(command_timeout=30.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    skeleton.exits_shaped(module, lambda result: compact_audit.lvm_result(result, p["detail"]))
    skeleton.check_seconds(module, ("command_timeout",))
    check_lvm_conf(module, p["lvm_conf"])
    errors = []
    result = dict(changed=False, filters={}, findings=[], san_devices=[], san_vgs=[], pvs=[], errors=errors)
    host = read.reader_for(p)

    gf, fl, use_df, source = read_filters(module, host, errors)
    result["filters"] = safe_data({"global_filter": gf, "filter": fl, "use_devicesfile": use_df, "source": source})
    try:
        compiled = [compile_filter(gf or []), compile_filter(fl or [])]
    except (ValueError, re.error) as exc:
        module.fail_json(msg=safe_text("cannot evaluate the LVM filter: %s" % exc), **result)

    try:
        names = host.sysfs(obs_sysfs.read_block_names, (host.root,), "listing of /sys/block")
        aliases = host.sysfs(obs_sysfs.read_aliases, (host.root, ALIAS_DIRS), "read of the /dev links")
    except (deadline.DeadlineExceeded, RuntimeError) as exc:
        module.fail_json(msg=str(exc), **result)
    blocks = host.read_each(obs_sysfs.read_blocks, names, errors)
    unread = sorted(n for n, b in blocks.items() if b is None)
    devices, vgs = analyse({"blocks": dict((n, b) for n, b in blocks.items() if b is not None), "aliases": aliases})
    mark_lvm_uses(devices, use_df, compiled)
    result["san_devices"] = devices
    result["san_vgs"] = vgs
    result["findings"] = filter_findings(gf, fl, use_df, devices, unread, vgs, p["command_timeout"])
    result["pvs"] = pvs_on_live_maps(module, host, devices, errors)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
