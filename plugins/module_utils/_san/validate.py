# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input validation shared by the modules: bad input is refused before anything is read or written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    HCTL_RE, SD_NAME_RE, InvalidInput, Wwid, is_multipath_wwid)

SD_NAME = SD_NAME_RE
# \Z, not $: "$" also matches before a final newline ("mpatha\n" is no map name)
DM_NAME = re.compile(r"^dm-[0-9]{1,6}\Z")
MAP_NAME = re.compile(r"^[A-Za-z0-9_.:+-]{1,128}\Z")
HCTL = HCTL_RE
# naa./eui. designators are hex (SPC-4 7.8.6); a t10 vendor id starts with a letter or digit, written t10.<text> or
# as multipath, the facts and the plans print it, 1<text> (blanks already "_")
WWID = re.compile(r"^(?:[0-9a-fA-F]{2,64}|(?:eui|naa)\.[0-9a-fA-F]{8,64}|(?:t10\.|1)[0-9A-Za-z][0-9A-Za-z_.:-]{1,249})\Z")
# ONTAP LUN serials are exactly 12 printable characters, e.g. "81LgM$V4waSp".
ONTAP_SERIAL = re.compile(r"^[\x21-\x7e]{12}$")
ONTAP_WWID_PREFIX = "3600a0980"


def _check(pattern, value, label):
    if not isinstance(value, str):
        raise InvalidInput("%s must be a string, got %s" % (label, type(value).__name__))
    if not pattern.match(value) or ".." in value:  # ".." is never part of a name (map names, WWIDs go in paths)
        raise InvalidInput("%s %r is not valid" % (label, value))
    return value


def sd_name(value):
    return _check(SD_NAME, value, "SCSI disk name")


def dm_name(value):
    return _check(DM_NAME, value, "device-mapper name")


def map_name(value):
    return _check(MAP_NAME, value, "multipath map name")


def hctl(value):
    return _check(HCTL, value, "H:C:T:L")


def wwid(value):
    """A user's or the array's WWID (the forms WWID accepts) as a Wwid, its one normal form."""
    return Wwid(_check(WWID, value, "WWID"))


DEV_T = re.compile(r"^[0-9]{1,7}:[0-9]{1,9}\Z")


def dev_t(value):
    return _check(DEV_T, value, "major:minor")


def shown(text):
    """Text the host gave (a map's name or WWID, a device name) as a message carries it: as it is when it is a name
    the validators accept, else as a quoted ASCII literal (ascii()), so that no control character, newline, line
    separator or other non-ASCII character of it reaches a message, a warning or a diff as itself."""
    if isinstance(text, str) and MAP_NAME.match(text) and ".." not in text:
        return str(text)
    return ascii(text)


def _refusal(checks):
    """'<label> <value shown>' of the first (label, value, validator) whose value the validator refuses, or None."""
    for label, value, check in checks:
        try:
            check(value)
        except InvalidInput:
            return "%s %s" % (label, shown(value))
    return None


def map_refusal(m):
    """Why no step may act on this map of the host, or None: its name, WWID, dm name, major:minor or a path's name
    is text the validators refuse. The kernel and multipath accept more than MAP_NAME (a t10 WWID with "(", an alias
    with "@" or a newline), but a step names its map by them, and a command line, the wwids file and the messages
    would carry them."""
    checks = [(label, m.get(field), check) for label, field, check in (
        ("name", "name", map_name), ("WWID", "wwid", map_name), ("dm", "dm", dm_name), ("major:minor", "dev", dev_t))
        if m.get(field) is not None]
    checks.extend(("path", p.get("name"), sd_name) for p in m.get("paths") or [])
    return _refusal(checks)


def refuse_odd_map(map_info):
    """Refused (kind odd_name) when a name of the map is text no step may carry (map_refusal): nothing reads it by
    that name again, queues, flushes or forgets it, whoever asks (stale_cleanup, multipath_flush by its other name,
    the act's re-check)."""
    why = map_refusal(map_info)
    if why:
        raise Refused("map %s" % shown(map_info.get("name") or map_info.get("wwid")), "odd_name",
                      "its %s is text no step may carry (a name is [A-Za-z0-9_.:+-], at most 128 characters): "
                      "nothing acts on this map or its paths" % why, evidence={"refused": why})


def disk_refusal(d):
    """Why no step may act on this sd of the host, or None: its name, H:C:T:L, major:minor, map or a holder is text
    the validators refuse."""
    checks = [(label, d.get(field), check) for label, field, check in (
        ("name", "name", sd_name), ("H:C:T:L", "hctl", hctl), ("major:minor", "dev", dev_t), ("map", "map", map_name))
        if d.get(field) is not None]
    checks.extend(("holder", h.get("name") if isinstance(h, dict) else h, map_name) for h in d.get("holders") or [])
    return _refusal(checks)


def _paths_of(m, by_map):
    """The sd names of a map: its paths, and the disks that name it as their map (`by_map`: map name -> sd names)."""
    names = set(p.get("name") for p in m.get("paths") or [] if p.get("name"))
    return names | by_map.get(m.get("name"), set())


def _records(san):
    """(maps, disks) of a snapshot, InvalidInput when a map, a path, a disk or a verdict is no dict."""
    maps, disks = dict(san.get("maps") or {}), dict(san.get("disks") or {})
    for kind, records in (("map", maps), ("disk", disks)):
        for key, record in records.items():
            if not isinstance(record, dict):
                raise InvalidInput("%s %s must be a dict" % (kind, shown(key)))
    for key, m in maps.items():
        if not all(isinstance(p, dict) for p in m.get("paths") or []):
            raise InvalidInput("a path of map %s must be a dict" % shown(key))
    if not all(isinstance(v, dict) for v in san.get("verdicts") or []):
        raise InvalidInput("each verdict must be a dict")
    return maps, disks


def verdict_refusal(v):
    """Why no step may carry the names of a verdict (a map's name and WWID, a disk's name and WWID), or None."""
    return _refusal([(field, v.get(field), sd_name if (field, v.get("object")) == ("name", "disk") else map_name)
                     for field in ("name", "wwid") if v.get(field) is not None])


def refused_units(san):
    """{"maps": {map key: why}, "disks": {sd name: why}}: the units of a SAN snapshot no step may act on, because a
    name a step would carry is text the validators refuse (map_refusal, disk_refusal; a key that is no name). A map
    and its paths are one unit: a refused map refuses its paths, a refused path its map. The rest of the host is
    judged and planned as usual, and a refused unit still counts in every in-use and coverage rule (it is a
    device; it is only never acted on). A record that is no dict is no snapshot of ours: InvalidInput."""
    maps, disks = _records(san)
    by_map = {}
    for n, d in disks.items():
        if d.get("map") is not None:
            by_map.setdefault(d["map"], set()).add(n)
    odd_maps, odd_disks = {}, {}
    for key, m in maps.items():
        why = _refusal([("key", key, map_name)]) or map_refusal(m)
        if why:
            odd_maps[key] = "map %s: %s" % (shown(key), why)
    for key, d in disks.items():
        why = _refusal([("key", key, sd_name)]) or disk_refusal(d)
        if why:
            odd_disks[key] = "disk %s: %s" % (shown(key), why)
    changed = True
    while changed:  # two maps may share a path (a snapshot of ours never shows that, a hand-made one may)
        changed = False
        for key, m in maps.items():
            paths = _paths_of(m, by_map)
            bad = sorted(n for n in paths if n in odd_disks)
            if key not in odd_maps and bad:
                odd_maps[key], changed = "map %s: its path %s" % (shown(key), odd_disks[bad[0]]), True
            for n in paths if key in odd_maps else ():
                if n not in odd_disks:
                    odd_disks[n], changed = "disk %s: a path of %s" % (shown(n), odd_maps[key]), True
    return {"maps": odd_maps, "disks": odd_disks}


def host_file_path(value, label):
    """A file of the host named by an option: an absolute path with no `..` component and no NUL (a relative path is
    read from wherever the module happens to run; `..` climbs out of the place the option names)."""
    if not isinstance(value, str) or not value.startswith("/") or "\x00" in value or ".." in value.split("/"):
        raise InvalidInput("%s must be the absolute path of a file, without '..': got %r" % (label, value))
    return value


def positive_seconds(value, label, maximum=float("inf")):
    """A deadline option: a positive number (bool, NaN and infinity are not), below `maximum` if one is given."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf") or \
            value > maximum:
        raise InvalidInput("%s must be a positive number of seconds%s, got %r"
                           % (label, "" if maximum == float("inf") else " (at most %g)" % maximum, value))
    return value


def is_epoch(value):
    """A time the truth-age gates can compare: a finite number of epoch seconds >= 0. Not bool (True is an int),
    NaN (every comparison with it is false: it would switch the gates off), infinity or text."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def oldest_time(times):
    """The oldest of `times` (epoch seconds), or None when there is none or any of them is not an epoch (is_epoch):
    then the age of what they date is unknown. Never min() over them as given: min() keeps a leading NaN."""
    times = list(times)
    if not times or not all(is_epoch(t) for t in times):
        return None
    return min(times)


def _check_epoch(value, label):
    if value is not None and not is_epoch(value):
        raise InvalidInput("%s must be a number of epoch seconds (finite, not negative), got %r" % (label, value))


# the array truth record (docs/design.md): field -> accepted types
_ARRAY_LUN_FIELDS = {
    "cluster": (str,), "svm": (str,), "path": (str,), "uuid": (str,), "serial": (str,), "serial_hex": (str,),
    "wwid": (str,), "lun_id": (int,), "igroup": (str,), "igroup_protocol": (str,), "igroup_os_type": (str,),
    "igroup_initiators": (list,), "state": (str,), "size_bytes": (int,), "collected_at": (int, float),
}


def array_lun(record, index=0, where="array_luns"):
    """One record of array truth, its field types checked (unknown fields pass; None means absent), as a copy
    whose `wwid` is in the one form the judge compares (multipath's: naa.X -> 3x), derived from an ONTAP
    `serial` when the record has none. A record without either would match no device, so that a LUN it maps
    would look unmapped: refused."""
    label = "%s[%d]" % (where, index)
    if not isinstance(record, dict):
        raise InvalidInput("%s must be a dict, got %s" % (label, type(record).__name__))
    for key, types in _ARRAY_LUN_FIELDS.items():
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            raise InvalidInput("%s.%s must be %s, got %s %r" % (
                label, key, " or ".join(t.__name__ for t in types), type(value).__name__, value))
    _check_epoch(record.get("collected_at"), "%s.collected_at" % label)
    if record.get("wwid") is not None:
        wwid(record["wwid"])
    if record.get("lun_id") is not None and not 0 <= record["lun_id"] < 2 ** 64:
        raise InvalidInput("%s.lun_id %r is out of range" % (label, record["lun_id"]))
    for i, init in enumerate(record.get("igroup_initiators") or []):
        if not isinstance(init, str):
            raise InvalidInput("%s.igroup_initiators[%d] must be a string, got %s" % (label, i, type(init).__name__))
    if record.get("wwid") is not None:
        normal = wwid(record["wwid"])
        if not is_multipath_wwid(normal):
            # a spelling that no device's WWID takes would make the LUN it maps look unmapped: fail closed
            raise InvalidInput("%s.wwid %r is in no form a device's WWID takes (naa.X, eui.X, t10.X, 3 + NAA, 2 + "
                               "EUI-64, or a bare NAA 6/5 id of 32/16 hex digits)" % (label, record["wwid"]))
        return dict(record, wwid=normal)
    if record.get("serial") is None:
        raise InvalidInput("%s has no wwid (nor an ONTAP serial to derive it from): it would match no device"
                           % label)
    try:
        return dict(record, wwid=ontap_wwid(record["serial"]))
    except InvalidInput as exc:
        raise InvalidInput("%s has no wwid, and its serial cannot give one: %s" % (label, exc))


# the target identities of the array truth (docs/ontap.md): field -> accepted types
_ARRAY_TARGET_LISTS = ("iscsi_target_names", "iscsi_addresses", "fc_wwpns")
_ARRAY_TARGET_FIELDS = {"cluster": (str,), "svm": (str,), "collected_at": (int, float)}
# the initiator list that means "the records are every mapping, for any initiator"
ALL_INITIATORS = "*"


def _string_list(value, label):
    if not isinstance(value, list):
        raise InvalidInput("%s must be a list, got %s" % (label, type(value).__name__))
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise InvalidInput("%s[%d] must be a non-empty string, got %r" % (label, i, item))
    return value


def array_targets(targets, where="array_targets"):
    """The SVMs the records cover: a list of dicts whose identity fields are lists of strings."""
    if targets is None:
        return []
    if not isinstance(targets, list):
        raise InvalidInput("%s must be a list, got %s" % (where, type(targets).__name__))
    for n, target in enumerate(targets):
        label = "%s[%d]" % (where, n)
        if not isinstance(target, dict):
            raise InvalidInput("%s must be a dict, got %s" % (label, type(target).__name__))
        for key, types in _ARRAY_TARGET_FIELDS.items():
            value = target.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
                raise InvalidInput("%s.%s must be %s, got %s %r" % (
                    label, key, " or ".join(t.__name__ for t in types), type(value).__name__, value))
        _check_epoch(target.get("collected_at"), "%s.collected_at" % label)
        for key in _ARRAY_TARGET_LISTS:
            if target.get(key) is not None:
                _string_list(target[key], "%s.%s" % (label, key))
    return targets


def array_initiators(initiators, where="array_truth.initiators"):
    """The initiators the records were read for (None: not said, then nothing is covered)."""
    return None if initiators is None else _string_list(initiators, where)


def wwid_prefixes(prefixes, where):
    """A list of hex WWID prefixes (array_wwid_prefixes, or the truth's own wwid_prefixes); InvalidInput naming
    ``where`` otherwise."""
    if prefixes is None:
        return []
    if not isinstance(prefixes, (list, tuple)):
        raise InvalidInput("%s must be a list of hex WWID prefixes, got %s" % (where, type(prefixes).__name__))
    for prefix in prefixes:
        if not isinstance(prefix, str) or not prefix or not all(c in "0123456789abcdefABCDEF" for c in prefix):
            raise InvalidInput("%s: %r is not a hex WWID prefix" % (where, prefix))
    return list(prefixes)


def array_truth(truth):
    """The array-truth contract (docs/ontap.md) checked as a whole, as a copy with its records normalised
    (array_lun). Unknown keys pass; a missing list is an empty one."""
    if not isinstance(truth, dict):
        raise InvalidInput("array_truth must be a dict, got %s" % type(truth).__name__)
    luns = truth.get("luns")
    if luns is not None and not isinstance(luns, list):
        raise InvalidInput("array_truth.luns must be a list, got %s" % type(luns).__name__)
    problems = truth.get("problems")
    if problems is not None and not isinstance(problems, list):
        raise InvalidInput("array_truth.problems must be a list, got %s" % type(problems).__name__)
    for n, prob in enumerate(problems or []):
        if not isinstance(prob, dict):
            raise InvalidInput("array_truth.problems[%d] must be a dict, got %s" % (n, type(prob).__name__))
    collected = truth.get("collected_at")
    _check_epoch(collected, "array_truth.collected_at")
    out = dict(truth)
    out["luns"] = [array_lun(rec, i, "array_truth.luns") for i, rec in enumerate(luns or [])]
    out["targets"] = array_targets(truth.get("targets"), "array_truth.targets")
    out["problems"] = list(problems or [])
    out["initiators"] = array_initiators(truth.get("initiators"))
    # the WWID prefixes of the arrays the truth was read from (each source says its own): their devices are judged
    out["wwid_prefixes"] = wwid_prefixes(truth.get("wwid_prefixes"), "array_truth.wwid_prefixes")
    if collected is not None:
        # the truth is as old as its oldest read: a record or target dated before collected_at makes it that old
        dated = [x.get("collected_at") for x in out["luns"] + out["targets"] if x.get("collected_at") is not None]
        out["collected_at"] = oldest_time([collected] + dated)
    return out


def ontap_wwid(serial):
    """The host WWID of an ONTAP LUN: 3600a0980 followed by the hex of its 12-character serial."""
    _check(ONTAP_SERIAL, serial, "ONTAP LUN serial")
    return Wwid(ONTAP_WWID_PREFIX + serial.encode("ascii").hex())


# multipath.conf strings: no quote, brace, comment or control character can break out of a quoted value
MULTIPATH_STRING = re.compile(r'^[^"\x00-\x1f\x7f{}#!]{1,128}$')
NO_PATH_RETRY = re.compile(r"^(fail|[0-9]{1,6})$")
CONFIG_SECONDS = re.compile(r"^[0-9]{1,9}$")
# below a second is no timeout for a daemon query; above an hour every caller's own deadline has long passed
UXSOCK_MIN_MS = 1000
UXSOCK_MAX_MS = 3600000


def multipath_devices(devices):
    """The audited device entries ({vendor, product}); InvalidInput on one that multipath.conf cannot carry or
    multipath-tools cannot compile."""
    targets = [{"vendor": d["vendor"], "product": d["product"]} for d in devices]
    for t in targets:
        for field in ("vendor", "product"):
            if not MULTIPATH_STRING.match(t[field]):
                raise InvalidInput("devices: %s %r may not contain quotes, braces, '#', '!' or control characters"
                                   % (field, t[field]))
            try:
                re.compile(t[field])
            except (re.error, OverflowError, RecursionError) as exc:
                raise InvalidInput("devices: %s %r is not a valid regular expression (multipath-tools matches it "
                                   "with regcomp): %s" % (field, t[field], exc))
    return targets


def multipath_settings(no_path_retry, dev_loss_tmo, uxsock_timeout):
    """InvalidInput unless the recommended values are ones multipath.conf takes (None: left alone)."""
    if no_path_retry is not None and not NO_PATH_RETRY.match(no_path_retry):
        raise InvalidInput("no_path_retry must be 'fail' or a number of checker intervals, got %r" % no_path_retry)
    if dev_loss_tmo is not None and not CONFIG_SECONDS.match(dev_loss_tmo):
        raise InvalidInput("dev_loss_tmo must be a number of seconds, got %r" % dev_loss_tmo)
    if uxsock_timeout is not None and not UXSOCK_MIN_MS <= uxsock_timeout <= UXSOCK_MAX_MS:
        raise InvalidInput("uxsock_timeout is in milliseconds, from %d to %d; got %r"
                           % (UXSOCK_MIN_MS, UXSOCK_MAX_MS, uxsock_timeout))
