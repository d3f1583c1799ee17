# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers: the text the kernel and the multipath tools print -> data. Pure (no I/O), total on any input.

dmsetup info/table/status of dm-multipath, multipathd (JSON and raw formats), /proc/self/mountinfo, /proc/swaps
and VPD page 0x80. The readers (observe.read) feed them; multipath_conf and lvm_filter_info use the same ones.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import SD_NAME_RE
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import shown

SD_RE = SD_NAME_RE
DM_RE = re.compile(r"^dm-\d+$")


def to_int(value):
    """int of a number printed in text (blanks allowed), None for anything else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def vpd80_serial(raw, trust_length=True):
    """The unit serial in a binary VPD page 0x80 (4-byte header, then the serial); NULs/spaces stripped.

    Command output reaches us decoded (undecodable header bytes replaced), so for it the page length in the
    header is not trusted (trust_length=False) and everything after the 4 header characters is the serial.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.encode("latin-1", "replace")
    if len(raw) < 4:
        return None
    length = (raw[2] << 8) | raw[3]
    body = raw[4:4 + length] if (length and trust_length) else raw[4:]
    text = body.decode("ascii", "replace").replace("\x00", "").strip()
    return text or None


# /proc/PID/stat flags (include/linux/sched.h); stable since 2.6
PF_EXITING = 0x00000004
PF_KTHREAD = 0x00200000
# Kernel functions of a block device's last close, across the generations a fleet runs: 5.10 blkdev_close ->
# blkdev_put -> __blkdev_put, 6.1 blkdev_close -> blkdev_put -> blkdev_flush_mapping, 6.5+ blkdev_release,
# 6.7+ bdev_release. A task found in one of them holds that device's open until the close returns.
BLOCK_RELEASE_FRAMES = ("blkdev_close", "blkdev_release", "blkdev_put", "__blkdev_put", "bdev_release",
                        "blkdev_flush_mapping")


def parse_proc_stat(text):
    """(state letter, flags) of one /proc/PID/stat line; (None, None) when it cannot be parsed. The command name
    sits in parentheses and may contain blanks and ')': the fields start after the last ')'."""
    text = text or ""
    end = text.rfind(")")
    fields = text[end + 1:].split() if end >= 0 else []
    if len(fields) < 7:
        return None, None
    return fields[0], to_int(fields[6])


def block_release_frames(stack_text):
    """The frames of a block device's last close in one /proc/PID/stack (e.g. ["blkdev_close", "blkdev_put"])."""
    found = []
    for line in (stack_text or "").splitlines():
        # "[<0>] blkdev_flush_mapping+0x4e/0xa0" (5.x/6.x); older kernels print the address first
        token = line.split("]", 1)[-1].strip().split("+", 1)[0].strip()
        if token in BLOCK_RELEASE_FRAMES and token not in found:
            found.append(token)
    return found


def lines(text):
    """The lines of the kernel's or a tool's text as they are cut: at LF only. str.splitlines also cuts at CR, VT, FF,
    \x1c-\x1e, \x85 and U+2028/2029, which a name the kernel accepts may hold (a dm name, a mount point, a swap
    file): a line cut there is read wrong, and the part after the cut reads as a line of its own."""
    return (text or "").split("\n")


def fields_of(line, blanks=" \t"):
    """The fields of one line, separated by runs of `blanks` only: the kernel separates mountinfo's with " " and
    /proc/swaps' with " " and TAB (escaping those in a name), libmount fstab's with " " and TAB. str.split() with no
    argument also splits at FF, \x1c-\x1f, \x85, U+2028, ... inside a name."""
    return [f for f in re.split("[%s]+" % re.escape(blanks), line) if f]


def unescape_mount(text):
    """/proc/self/mountinfo and /proc/swaps escape blanks as octal (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def parse_mountinfo(text):
    """[{mount_id, dev: "253:2", mountpoint, source, fstype}] from /proc/self/mountinfo (or /proc/PID/mountinfo)."""
    mounts = []
    for line in lines(text):
        if " - " not in line:
            continue
        left, right = line.split(" - ", 1)
        fields = fields_of(left, " ")
        rfields = fields_of(right, " ")
        if len(fields) < 5:
            continue
        mounts.append({
            "mount_id": fields[0],
            "dev": fields[2],
            "mountpoint": unescape_mount(fields[4]),
            "fstype": rfields[0] if rfields else None,
            "source": unescape_mount(rfields[1]) if len(rfields) > 1 else None,
        })
    return mounts


def parse_swaps(text):
    """Filenames from /proc/swaps."""
    names = []
    for n, line in enumerate(lines(text)):
        if n == 0 and line.startswith("Filename"):
            continue
        parts = fields_of(line)
        if parts:
            names.append(unescape_mount(parts[0]))
    return names


def _rows(text, width, sep="|"):
    """The fields (stripped) of each line of `text` that has exactly `width` of them."""
    for line in lines(text):
        fields = [f.strip() for f in line.split(sep)]
        if len(fields) == width:
            yield fields


def parse_dm_info(text):
    """`dmsetup info -c --noheadings --separator '|' -o name,uuid,major,minor,open` -> {name: {...}}."""
    out, twice = {}, set()
    for name, uuid, major, minor, opened in _rows(text, 5):
        if name in out or name in twice:  # printed twice: neither row is that device's (parse_dm_lines)
            twice.add(name)
            out.pop(name, None)
            continue
        try:
            out[name] = {"name": name, "uuid": uuid, "dev": "%d:%d" % (int(major), int(minor)),
                         "open_count": int(opened)}
        except ValueError:
            continue
    return out


def _split_dm_line(line):
    """'name: start len multipath args' -> (name, [args]) or None."""
    m = re.match(r"^(.+?): (\d+) (\d+) multipath(?: (.*))?$", line.rstrip())
    if not m:
        return None
    return m.group(1), (m.group(4) or "").split()


class DmParseError(ValueError):
    pass


def _take(tokens, pos, what):
    if pos >= len(tokens):
        raise DmParseError("truncated at %s" % what)
    return tokens[pos], pos + 1


def _take_int(tokens, pos, what):
    tok, pos = _take(tokens, pos, what)
    if not re.match(r"^[0-9]{1,9}$", tok):  # dm tables print counts as unsigned decimals
        raise DmParseError("expected a number for %s, got %r" % (what, tok))
    return int(tok), pos


def _walk_multipath(args, kind, path_fields):
    """The layout dm-multipath's table and status lines share: a feature list, a hardware handler part, then
    path groups, each a head word (selector / state), a skipped argument list, and paths that start with their
    device followed by `path_fields` words, then a skipped per-path argument list.

    Returns (features, hardware handler words, [(head, [[dev] + path field words]])."""
    pos = 0
    nfeat, pos = _take_int(args, pos, "%s feature count" % kind)
    features = args[pos:pos + nfeat]
    if len(features) != nfeat:
        raise DmParseError("truncated %s features" % kind)
    pos += nfeat
    nhw, pos = _take_int(args, pos, "hardware handler count")
    hw = args[pos:pos + nhw]
    pos += nhw
    ngroups, pos = _take_int(args, pos, "path group count")
    _first, pos = _take_int(args, pos, "initial/next path group")
    groups = []
    for _g in range(ngroups):
        head, pos = _take(args, pos, "path group %s" % ("selector" if kind == "table" else "state"))
        nsel, pos = _take_int(args, pos, "selector argument count")
        pos += nsel
        npaths, pos = _take_int(args, pos, "path count")
        nextra, pos = _take_int(args, pos, "path argument count")
        paths = []
        for _p in range(npaths):
            words = []
            for field in ("path device",) + path_fields:
                word, pos = _take(args, pos, field)
                words.append(word)
            paths.append(words)
            pos += nextra
        groups.append((head, paths))
    if pos > len(args):
        raise DmParseError("truncated %s" % kind)
    return features, hw, groups


def parse_multipath_table(args):
    """Tokens of a dm-multipath table line -> {features, queueing, hwhandler, groups: [{selector, paths: [dev]}]}."""
    features, hw, groups = _walk_multipath(args, "table", ())
    return {
        "features": " ".join([str(len(features))] + features),
        "queueing": "queue_if_no_path" in features,
        "hwhandler": " ".join(hw) or None,
        "groups": [{"selector": head, "paths": [p[0] for p in paths]} for head, paths in groups],
    }


def parse_multipath_status(args):
    """Tokens of a dm-multipath status line -> {queue_io, pg_init_count, groups: [{state, paths: [{dev, active, fail_count}]}]}."""
    feats, _hw, groups = _walk_multipath(args, "status", ("path state", "fail count"))
    out = {"groups": []}
    for state, paths in groups:
        entries = []
        for dev, act, fails in paths:
            if not re.match(r"^[0-9]{1,9}$", fails):
                raise DmParseError("expected a number for fail count, got %r" % fails)
            entries.append({"dev": dev, "active": act == "A", "fail_count": int(fails)})
        out["groups"].append({"state": state, "paths": entries})
    if len(feats) >= 2:
        try:
            out["queue_io"] = int(feats[0])
            out["pg_init_count"] = int(feats[1])
        except ValueError:
            pass
    return out


def parse_dm_lines(text, parser):
    """Parse every `name: ... multipath ...` line of dmsetup table/status. -> ({name: parsed}, [errors]). A name
    printed twice (a dm name holding a newline can print a line that reads as another map's) is no map's: dropped,
    and said in errors."""
    maps, errors, twice = {}, [], set()
    for line in lines(text):
        if not line.strip() or line.startswith("No devices found"):
            continue
        split = _split_dm_line(line)
        if split is None:
            continue
        name, args = split
        if name in maps or name in twice:
            twice.add(name)
            maps.pop(name, None)
            errors.append({"what": "dmsetup lines of %s" % shown(name), "msg": "the name is printed twice: neither "
                           "line is taken as that map's"})
            continue
        try:
            maps[name] = parser(args)
        except DmParseError as exc:
            errors.append({"what": "dmsetup line of %s" % shown(name), "msg": "%s: %r" % (exc, line.strip())})
    return maps, errors


def parse_multipathd_json(text):
    """`multipathd show maps json` -> {map name: {uuid, sysfs, paths_active, features, paths: {dev: {...}}}}.

    Raises ValueError when the text is not the JSON multipathd documents.
    """
    if not isinstance(text, (str, bytes)):
        raise ValueError("multipathd JSON must be text, got %s" % type(text).__name__)
    try:
        data = json.loads(text)
    except RecursionError:  # the C scanner's own recursion limit: far deeper than multipathd ever nests
        raise ValueError("multipathd JSON is nested too deeply")
    if isinstance(data, dict) and isinstance(data.get("map"), dict):  # `show map NAME json`: one map
        data = {"maps": [data["map"]]}
    if not isinstance(data, dict) or not isinstance(data.get("maps"), list):
        raise ValueError("no 'maps' list in multipathd JSON")
    out = {}
    for m in data["maps"]:
        if not isinstance(m, dict) or not isinstance(m.get("name"), str):
            raise ValueError("map entry without a name")
        paths = {}
        groups = m.get("path_groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise ValueError("map %s: path_groups is not a list of groups" % m["name"])
        for group in groups:
            group_paths = group.get("paths") or []
            if not isinstance(group_paths, list):
                raise ValueError("map %s: a path group's paths is not a list" % m["name"])
            for p in group_paths:
                if not isinstance(p, dict) or not isinstance(p.get("dev"), str):
                    continue
                paths[p["dev"]] = {
                    "dev_t": p.get("dev_t"),
                    "dm_state": p.get("dm_st"),
                    "checker_state": p.get("chk_st"),
                    "dev_state": p.get("dev_st"),
                    "group_state": group.get("dm_st"),
                }
        out[m["name"]] = {
            "name": m["name"],
            "uuid": m.get("uuid"),
            "sysfs": m.get("sysfs"),
            "paths_active": m.get("paths"),
            "queueing": m.get("queueing"),
            "features": m.get("features"),
            "vendor": m.get("vend"),
            "product": m.get("prod"),
            "paths": paths,
        }
    return out


def parse_multipathd_paths(text):
    """`multipathd show paths raw format "%d|%D|%t|%T|%o|%w"` -> {map wwid: {paths: {dev: {...}}}}."""
    out = {}
    for dev, dev_t, dm_st, chk_st, dev_st, wwid in _rows(text, 6):
        if not SD_RE.match(dev):
            continue
        entry = out.setdefault(wwid, {"name": None, "uuid": wwid, "paths": {}})
        entry["paths"][dev] = {"dev_t": dev_t, "dm_state": dm_st, "checker_state": chk_st, "dev_state": dev_st}
    return out


SHOW_MAPS_FORMAT = "%n|%w|%d|%Q|%N|%s"


def parse_show_maps(text, sep="|"):
    """`multipathd show maps raw format SHOW_MAPS_FORMAT` -> {name: {name, wwid, dm, queueing, active_paths, vendor,
    product, queues_forever}}"""
    out = {}
    for line in lines(text):
        parts = line.split(sep)
        if len(parts) < 4 or parts[0].strip() in ("", "name"):
            continue
        name = parts[0].strip()
        vpr = parts[5].strip() if len(parts) > 5 else ""
        vendor, comma, rest = vpr.partition(",")
        product = rest.rpartition(",")[0] if rest.count(",") else rest
        queueing = parts[3].strip()
        out[name] = {
            "name": name, "wwid": parts[1].strip(), "dm": parts[2].strip(), "queueing": queueing,
            "active_paths": to_int(parts[4]) if len(parts) > 4 else None,
            "vendor": vendor.strip(), "product": product.strip(),
            # "on" = no_path_retry queue (unbounded); "N chk"/"N sec" = bounded retry; "off"/"-" = no queueing
            "queues_forever": queueing == "on",
        }
    return out


# iscsiadm -m node / -m session (open-iscsi): "portal,tpgt target", "tcp: [sid] portal,tpgt target (non-flash)"
NODE_LINE = re.compile(r"^(?P<portal>\S+),(?P<tpgt>-?\d+)\s+(?P<target>\S+)")
SESSION_LINE = re.compile(r"^\S+:\s+\[(?P<sid>\d+)\]\s+(?P<portal>\S+),(?P<tpgt>-?\d+)\s+(?P<target>\S+)")


def parse_nodes(text):
    """`iscsiadm -m node` -> [{portal, tpgt, target}] (one per target/portal, ifaces folded)."""
    seen = []
    for line in text.splitlines():
        m = NODE_LINE.match(line.strip())
        if m:
            rec = {"portal": m.group("portal"), "tpgt": m.group("tpgt"), "target": m.group("target")}
            if rec not in seen:
                seen.append(rec)
    return seen


def parse_sessions(text):
    """`iscsiadm -m session` -> [{sid, portal, tpgt, target}]."""
    out = []
    for line in text.splitlines():
        m = SESSION_LINE.match(line.strip())
        if m:
            out.append({"sid": int(m.group("sid")), "portal": m.group("portal"), "tpgt": m.group("tpgt"),
                        "target": m.group("target")})
    return out
