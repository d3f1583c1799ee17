# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Observe: read the SAN state of this host (sysfs, /proc, dmsetup, multipathd, live SCSI probes).

Read only. Every kernel touch has a deadline (module_utils/deadline.py):

* sysfs and /proc are read in ONE forked child per snapshot (`deadline.call`). When that batch does not
  finish, each device is read again in its own child so that the one that hangs is named in `errors` and
  the rest is kept.
* commands (`dmsetup`, `multipathd`, `sg_turs`, `sg_inq`) run through `deadline.run`, each once per snapshot.
* `/dev/dm-*` is never opened (a queueing map without paths hangs its opener: lab finding 1). Openers are
  found with `os.stat` on /proc/*/fd links (st_rdev), which does not open the device. Probes use the sd paths.
* multipathd is only asked when it runs (found in /proc): connecting to its socket would start it through
  socket activation. Without it, the maps come from the kernel (sysfs + dmsetup) only, and `errors` says so.

`root` prefixes every /sys, /proc, /etc and /dev path so that unit tests read a captured fixture tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import re
import stat
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils import san_validate
from ansible_collections.sanfleet.remediation.plugins.module_utils.san_identity import (
    MPATH_UUID_PREFIX, SESSION_RE, multipath_wwid, transport_of)

HOST_RE = re.compile(r"^host(\d+)$")
HCTL_RE = re.compile(r"^(\d+):(\d+):(\d+):(\d+)$")
SD_RE = re.compile(r"^sd[a-z]+$")
DM_RE = re.compile(r"^dm-\d+$")
SG_BIN = {"turs": "sg_turs", "inq": "sg_inq"}

# multipathd raw path format, used when its JSON cannot be parsed
MPD_PATHS_FORMAT = "%d|%D|%t|%T|%o|%w"

# Commands the observer runs (kept here so that tests and docs name them exactly)
# Devices per child when the one-child batch read of sysfs did not finish in time (see HostReader._read_raw).
READ_CHUNK = 16

CMD_DM_INFO = ["dmsetup", "info", "-c", "--noheadings", "--separator", "|", "-o", "name,uuid,major,minor,open"]
CMD_DM_TABLE = ["dmsetup", "table", "--target", "multipath"]
CMD_DM_STATUS = ["dmsetup", "status", "--target", "multipath"]
CMD_MPD_JSON = ["multipathd", "show", "maps", "json"]
CMD_MPD_PATHS = ["multipathd", "show", "paths", "raw", "format", MPD_PATHS_FORMAT]


# --------------------------------------------------------------------------------------------------
# small pure helpers


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


def unescape_mount(text):
    """/proc/self/mountinfo and /proc/swaps escape blanks as octal (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def parse_mountinfo(text):
    """[{dev: "253:2", mountpoint, source, fstype}] from /proc/self/mountinfo."""
    mounts = []
    for line in (text or "").splitlines():
        if " - " not in line:
            continue
        left, right = line.split(" - ", 1)
        fields = left.split()
        rfields = right.split()
        if len(fields) < 5:
            continue
        mounts.append({
            "dev": fields[2],
            "mountpoint": unescape_mount(fields[4]),
            "fstype": rfields[0] if rfields else None,
            "source": unescape_mount(rfields[1]) if len(rfields) > 1 else None,
        })
    return mounts


def parse_swaps(text):
    """Filenames from /proc/swaps."""
    names = []
    for n, line in enumerate((text or "").splitlines()):
        if n == 0 and line.startswith("Filename"):
            continue
        parts = line.split()
        if parts:
            names.append(unescape_mount(parts[0]))
    return names


def parse_dm_info(text):
    """`dmsetup info -c --noheadings --separator '|' -o name,uuid,major,minor,open` -> {name: {...}}."""
    out = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("No devices found"):
            continue
        parts = line.split("|")
        if len(parts) != 5:
            continue
        name, uuid, major, minor, opened = [p.strip() for p in parts]
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


def parse_multipath_table(args):
    """Tokens of a dm-multipath table line -> {features: [..], queueing, hwhandler, groups: [{selector, paths: [dev]}]}."""
    pos = 0
    nfeat, pos = _take_int(args, pos, "feature count")
    features = args[pos:pos + nfeat]
    if len(features) != nfeat:
        raise DmParseError("truncated features")
    pos += nfeat
    nhw, pos = _take_int(args, pos, "hardware handler count")
    hw = args[pos:pos + nhw]
    pos += nhw
    ngroups, pos = _take_int(args, pos, "path group count")
    _init, pos = _take_int(args, pos, "initial path group")
    groups = []
    for _g in range(ngroups):
        selector, pos = _take(args, pos, "selector")
        nsel, pos = _take_int(args, pos, "selector argument count")
        pos += nsel
        npaths, pos = _take_int(args, pos, "path count")
        npathargs, pos = _take_int(args, pos, "path argument count")
        paths = []
        for _p in range(npaths):
            dev, pos = _take(args, pos, "path device")
            paths.append(dev)
            pos += npathargs
        groups.append({"selector": selector, "paths": paths})
    if pos > len(args):
        raise DmParseError("truncated path list")
    return {
        "features": " ".join([str(nfeat)] + features),
        "queueing": "queue_if_no_path" in features,
        "hwhandler": " ".join(hw) or None,
        "groups": groups,
    }


def parse_multipath_status(args):
    """Tokens of a dm-multipath status line -> {queue_io, pg_init_count, groups: [{state, paths: [{dev, active, fail_count}]}]}."""
    pos = 0
    nfeat, pos = _take_int(args, pos, "status feature count")
    feats = args[pos:pos + nfeat]
    pos += nfeat
    nhw, pos = _take_int(args, pos, "hardware handler status count")
    pos += nhw
    ngroups, pos = _take_int(args, pos, "path group count")
    _next, pos = _take_int(args, pos, "next path group")
    groups = []
    for _g in range(ngroups):
        state, pos = _take(args, pos, "group state")
        nsel, pos = _take_int(args, pos, "selector status count")
        pos += nsel
        npaths, pos = _take_int(args, pos, "path count")
        ninfo, pos = _take_int(args, pos, "path info count")
        paths = []
        for _p in range(npaths):
            dev, pos = _take(args, pos, "path device")
            act, pos = _take(args, pos, "path state")
            fails, pos = _take_int(args, pos, "fail count")
            pos += ninfo
            paths.append({"dev": dev, "active": act == "A", "fail_count": fails})
        groups.append({"state": state, "paths": paths})
    if pos > len(args):
        raise DmParseError("truncated status")
    out = {"groups": groups}
    if len(feats) >= 2:
        try:
            out["queue_io"] = int(feats[0])
            out["pg_init_count"] = int(feats[1])
        except ValueError:
            pass
    return out


def parse_dm_lines(text, parser):
    """Parse every `name: ... multipath ...` line of dmsetup table/status. -> ({name: parsed}, [errors])."""
    maps, errors = {}, []
    for line in (text or "").splitlines():
        if not line.strip() or line.startswith("No devices found"):
            continue
        split = _split_dm_line(line)
        if split is None:
            continue
        name, args = split
        try:
            maps[name] = parser(args)
        except DmParseError as exc:
            errors.append({"what": "dmsetup line of %s" % name, "msg": "%s: %r" % (exc, line.strip())})
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
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 6 or not SD_RE.match(parts[0]):
            continue
        dev, dev_t, dm_st, chk_st, dev_st, wwid = parts
        entry = out.setdefault(wwid, {"name": None, "uuid": wwid, "paths": {}})
        entry["paths"][dev] = {"dev_t": dev_t, "dm_state": dm_st, "checker_state": chk_st, "dev_state": dev_st}
    return out


# --------------------------------------------------------------------------------------------------
# live probe: sg3-utils output (1.46 and later)

SENSE_KEY_RE = re.compile(r"Sense key:\s*([A-Za-z ]+?)\s*$", re.M)
ADD_SENSE_RE = re.compile(r"Additional sense:\s*(.+?)\s*$", re.M)
ASC_RE = re.compile(r"\bASC=([0-9a-fA-F]{2})\b")
RAW_SENSE_RE = re.compile(r"Raw sense data \(in hex\)[^\n]*\n\s*((?:[0-9a-fA-F]{2}\s+){13,})")
TRANSPORT_RE = re.compile(r"(Host_status=0x[0-9a-fA-F]+\s*\[[^\]]*\]|Driver_status=0x[0-9a-fA-F]+\s*\[[^\]]*\]|"
                          r"\bDID_[A-Z_]+\b)")
HOST_STATUS_RE = re.compile(r"Host_status=0x([0-9a-fA-F]+)")
DRIVER_STATUS_RE = re.compile(r"Driver_status=0x([0-9a-fA-F]+)")
PQUAL_RE = re.compile(r"PQual=(\d)\s+PDT=(\d+)")
OPEN_FAIL_RE = re.compile(r"error opening file:.*?:\s*(.+)$", re.M)
LUN_NOT_SUPPORTED_RE = re.compile(r"logical unit not supported", re.I)
# sg3_utils exit statuses (include/sg_lib.h)
SG_FILE_ERROR = 15
SG_TIMEOUT = 33
SG_OS_BASE = 50
SENSE_CATEGORIES = (2, 3, 5, 6, 7, 9, 10, 11, 14, 17, 18, 20, 21, 22, 24, 25, 26, 27, 28, 29, 40, 41, 98)


def _host_byte_failed(text):
    """A non-zero SCSI host byte (DID_*) or driver byte other than DRIVER_SENSE means no SCSI answer."""
    m = HOST_STATUS_RE.search(text)
    if m and int(m.group(1), 16) != 0:
        return True
    m = DRIVER_STATUS_RE.search(text)
    if m and (int(m.group(1), 16) & 0x0F) not in (0, 0x08):
        return True
    return bool(re.search(r"\bDID_(?!OK\b)[A-Z_]+", text))


def parse_sense(text):
    """Sense key, additional sense and ASC out of sg3-utils text (plain, -v or -vv)."""
    out = {"sense_key": None, "additional": None, "asc": None}
    m = SENSE_KEY_RE.search(text or "")
    if m:
        out["sense_key"] = m.group(1).strip()
    m = ADD_SENSE_RE.search(text or "")
    if m:
        out["additional"] = m.group(1).strip()
    m = ASC_RE.search(text or "")
    if m:
        out["asc"] = int(m.group(1), 16)
    m = RAW_SENSE_RE.search(text or "")
    if m:
        raw = [int(x, 16) for x in m.group(1).split()]
        if raw and (raw[0] & 0x7F) in (0x70, 0x71) and len(raw) > 12:
            out["asc"] = raw[12]
        elif raw and (raw[0] & 0x7F) in (0x72, 0x73) and len(raw) > 2:
            out["asc"] = raw[2]
    if out["asc"] is None and out["additional"] and LUN_NOT_SUPPORTED_RE.search(out["additional"]):
        out["asc"] = 0x25
    return out


def _sense_text(sense):
    parts = [p for p in (sense.get("sense_key"), sense.get("additional")) if p]
    return ": ".join(parts) if parts else None


def classify_probe(tur, inq, vpd=None):
    """Classify a live probe of one sd.

    tur, inq, vpd: dicts {rc, stdout, stderr} of `sg_turs -v`, `sg_inq` and `sg_inq -p 0x80 -r`, or
    {timeout: seconds} when the command hit its deadline, or None when it was not run.
    Returns {result, sense, serial_live, pqual, pdt}.
    """
    res = {"result": "error", "sense": None, "serial_live": None, "pqual": None, "pdt": None}

    def text_of(r):
        return "%s\n%s" % (r.get("stdout") or "", r.get("stderr") or "")

    if tur is None:
        res["sense"] = "not probed"
        return res
    if tur.get("timeout") is not None:
        res.update(result="no_answer", sense="TEST UNIT READY got no answer within %ss" % tur["timeout"])
        return res
    ttext = text_of(tur)
    m = OPEN_FAIL_RE.search(ttext)
    if m or tur.get("rc") == SG_FILE_ERROR:
        res.update(result="no_answer", sense="cannot open the device: %s" % (m.group(1).strip() if m else ttext.strip()))
        return res
    if _host_byte_failed(ttext):
        found = TRANSPORT_RE.findall(ttext)
        res.update(result="no_answer", sense="transport failure: %s" % " ".join(found))
        return res
    if tur.get("rc") == SG_TIMEOUT:
        res.update(result="no_answer", sense="pass-through timeout")
        return res

    tsense = parse_sense(ttext)
    itext = text_of(inq) if inq and inq.get("timeout") is None else ""
    isense = parse_sense(itext) if itext else {"asc": None}
    m = PQUAL_RE.search(itext) if itext else None
    inquiry_pq = None  # (PQual, PDT), only when INQUIRY printed both
    if m:
        inquiry_pq = (int(m.group(1)), int(m.group(2)))
        res["pqual"], res["pdt"] = inquiry_pq

    if vpd and vpd.get("rc") == 0 and vpd.get("stdout"):
        res["serial_live"] = vpd80_serial(vpd["stdout"], trust_length=False)

    if tsense.get("asc") == 0x25 or isense.get("asc") == 0x25:
        res.update(result="lun_not_supported", sense=_sense_text(tsense) or _sense_text(isense)
                   or "Logical unit not supported")
        return res
    if inquiry_pq is not None and inquiry_pq[0] in (1, 3):
        res.update(result="lun_not_supported",
                   sense="INQUIRY: PQual=%d PDT=%d (no logical unit at this LUN)" % inquiry_pq)
        return res
    if tur.get("rc") == 0 and not tsense.get("sense_key"):
        if inq is not None and inq.get("timeout") is not None:
            res.update(result="no_answer", sense="INQUIRY got no answer within %ss" % inq["timeout"])
        elif inq is None or inq.get("rc") == 0:
            res.update(result="ready", sense=None)
        elif _host_byte_failed(itext):
            res.update(result="no_answer", sense="INQUIRY transport failure: %s" % " ".join(TRANSPORT_RE.findall(itext)))
        else:
            res.update(result="error", sense="INQUIRY failed (rc=%s): %s" % (inq.get("rc"), itext.strip()))
        return res
    if tsense.get("sense_key") or tur.get("rc") in SENSE_CATEGORIES or "device not ready" in ttext:
        res.update(result="not_ready", sense=_sense_text(tsense) or ttext.strip() or ("sg_turs rc=%s" % tur.get("rc")))
        return res
    if tur.get("rc", 0) > SG_OS_BASE and tur.get("rc") < 97:
        res.update(result="no_answer", sense="OS error %d: %s" % (tur["rc"] - SG_OS_BASE, ttext.strip()))
        return res
    res.update(result="error", sense="sg_turs rc=%s: %s" % (tur.get("rc"), ttext.strip()))
    return res


# --------------------------------------------------------------------------------------------------
# sysfs / proc readers (run inside a deadline.call child)


def _p(root, path):
    return os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path


def _unroot(root, path):
    if root in ("", "/"):
        return path
    root = os.path.realpath(root)
    if path == root:
        return "/"
    if path.startswith(root + "/"):
        return path[len(root):]
    return path


def _read(path, binary=False):
    try:
        with open(path, "rb") as f:
            data = f.read(65536)
    except (IOError, OSError):
        return None
    if binary:
        return data
    return data.decode("utf-8", "replace").strip()


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _realpath(root, path):
    return _unroot(root, os.path.realpath(_p(root, path)))


def read_listing(root):
    """Names and major:minor of the sd and dm block devices."""
    out = {}
    for name in _listdir(_p(root, "/sys/block")):
        if SD_RE.match(name) or DM_RE.match(name):
            out[name] = _read(_p(root, "/sys/block/%s/dev" % name))
    return out


def read_sd(root, name):
    base = "/sys/block/%s" % name
    dev = _read(_p(root, base + "/dev"))
    if dev is None and not os.path.isdir(_p(root, base)):
        return None
    real = _realpath(root, base)
    devlink = _realpath(root, base + "/device")
    raw80 = _read(_p(root, base + "/device/vpd_pg80"), binary=True)
    # FC: the remote port (the array's target port) this disk is reached through; its WWPN says which SVM serves it
    rport = [c for c in (real or "").split("/") if c.startswith("rport-")]
    rport_wwpn = _read(_p(root, "/sys/class/fc_remote_ports/%s/port_name" % rport[-1])) if rport else None
    parts = []
    for entry in _listdir(_p(root, base)):
        if entry.startswith(name) and entry[len(name):].isdigit():
            parts.append({
                "name": entry,
                "dev": _read(_p(root, "%s/%s/dev" % (base, entry))),
                "holders": _listdir(_p(root, "%s/%s/holders" % (base, entry))),
            })
    return {
        "name": name,
        "sysfs_path": real,
        "device_path": devlink,
        "dev": dev,
        "size": _read(_p(root, base + "/size")),
        "vendor": _read(_p(root, base + "/device/vendor")),
        "model": _read(_p(root, base + "/device/model")),
        "state": _read(_p(root, base + "/device/state")),
        "wwid": _read(_p(root, base + "/device/wwid")),
        "vpd_pg80": list(bytearray(raw80)) if raw80 is not None else None,
        "holders": _listdir(_p(root, base + "/holders")),
        "partitions": parts,
        "rport_wwpn": rport_wwpn,
    }


def read_dm(root, name):
    base = "/sys/block/%s" % name
    dev = _read(_p(root, base + "/dev"))
    if dev is None and not os.path.isdir(_p(root, base)):
        return None
    return {
        "name": name,
        "dev": dev,
        "size": _read(_p(root, base + "/size")),
        "dm_name": _read(_p(root, base + "/dm/name")),
        "uuid": _read(_p(root, base + "/dm/uuid")),
        "slaves": _listdir(_p(root, base + "/slaves")),
        "holders": _listdir(_p(root, base + "/holders")),
    }


def read_initiators(root):
    iqn = None
    text = _read(_p(root, "/etc/iscsi/initiatorname.iscsi"))
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("InitiatorName="):
            iqn = line.split("=", 1)[1].strip() or None
    iscsi_hosts = {}
    for h in _listdir(_p(root, "/sys/class/iscsi_host")):
        iscsi_hosts[h] = _read(_p(root, "/sys/class/iscsi_host/%s/initiatorname" % h))
    fc = []
    for h in _listdir(_p(root, "/sys/class/fc_host")):
        fc.append({
            "host": h,
            "port_name": _read(_p(root, "/sys/class/fc_host/%s/port_name" % h)),
            "port_state": _read(_p(root, "/sys/class/fc_host/%s/port_state" % h)),
        })
    return {"iqn_file": iqn, "iscsi_hosts": iscsi_hosts, "fc_hosts": fc}


def read_sessions(root):
    sessions = []
    for s in _listdir(_p(root, "/sys/class/iscsi_session")):
        m = SESSION_RE.match(s)
        if not m:
            continue
        base = "/sys/class/iscsi_session/%s" % s
        real = _realpath(root, base)
        host = None
        for comp in real.split("/"):
            hm = HOST_RE.match(comp)
            if hm:
                host = int(hm.group(1))
        sid = int(m.group(1))
        addr = port = None
        for c in _listdir(_p(root, "/sys/class/iscsi_connection")):
            if c.startswith("connection%d:" % sid):
                cbase = "/sys/class/iscsi_connection/%s" % c
                addr = _read(_p(root, cbase + "/persistent_address")) or _read(_p(root, cbase + "/address"))
                port = _read(_p(root, cbase + "/persistent_port")) or _read(_p(root, cbase + "/port"))
                break
        sessions.append({
            "session": s,
            "sid": sid,
            "host": host,
            "target": _read(_p(root, base + "/targetname")),
            # the name this session logged in with (an iface's initiatorname overrides the file's)
            "initiator": _read(_p(root, base + "/initiatorname")),
            "iface": _read(_p(root, base + "/ifacename")),
            "state": _read(_p(root, base + "/state")),
            "recovery_tmo": _read(_p(root, base + "/recovery_tmo")),
            "address": addr,
            "port": port,
        })
    return sessions


def read_mounts(root):
    mountinfo = parse_mountinfo(_read(_p(root, "/proc/self/mountinfo")))
    # btrfs (and other multi-device filesystems) show an anonymous 0:N: the device is the mount's source
    for m in mountinfo:
        if (m.get("dev") or "").startswith("0:") and (m.get("source") or "").startswith("/dev/"):
            m["source_dev"] = _dev_of(root, _p(root, m["source"]))[0]
    return {"mountinfo": mountinfo, "swaps": parse_swaps(_read(_p(root, "/proc/swaps")))}


def _dev_of(root, path):
    """major:minor of a block device node, or ('name', basename) when it cannot be stat'ed."""
    st = None
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISBLK(st.st_mode):
        return "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)), None
    return None, None


# fd targets that are never a block device; everything else is stat'ed (st_rdev), wherever its node lives
# (a bind-mounted device node, a Kubernetes volumeDevices path under /var/lib/kubelet)
_NOT_A_DEVICE = ("socket:", "pipe:", "anon_inode:", "/memfd:", "/proc/", "/sys/", "/dev/pts/", "/dev/null")
# a node on these cannot be stat'ed without asking a server that may be gone; they are mounted nodev
_NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "ceph", "glusterfs", "9p", "afs")


def _network_prefixes(root):
    out = []
    for m in parse_mountinfo(_read(_p(root, "/proc/self/mountinfo"))):
        fstype = m.get("fstype") or ""
        if fstype in _NETWORK_FS or fstype.startswith("fuse"):
            out.append(m["mountpoint"].rstrip("/") + "/")
    return out


def read_procs(root, unreadable=None):
    """{pid: {comm, devs: ["8:16"], names: ["/dev/dm-2"], fds: {"8:16": 2}}} for processes holding block devices.

    Matched by device number: os.stat follows the /proc/PID/fd link to the inode without opening it, for every
    target that may be a device node (not only those under /dev). Under a fixture root an absolute link target
    is resolved inside the root; what cannot be stat'ed is kept by its /dev name. A pid whose fd directory
    exists but cannot be read is added to `unreadable` (the caller then does not know every opener).
    """
    out = {}
    me = str(os.getpid())
    skip = _network_prefixes(root)
    for pid in _listdir(_p(root, "/proc")):
        if not pid.isdigit() or pid == me:
            continue
        fddir = _p(root, "/proc/%s/fd" % pid)
        try:
            fds = sorted(os.listdir(fddir))
        except OSError as exc:
            if unreadable is not None and os.path.isdir(fddir) and exc.errno not in (errno.ENOENT, errno.ESRCH):
                unreadable.append({"pid": int(pid), "comm": _read(_p(root, "/proc/%s/comm" % pid)),
                                   "error": os.strerror(exc.errno or 0)})
            continue
        devs, names, counts = [], [], {}
        for fd in fds:
            link = os.path.join(fddir, fd)
            try:
                target = os.readlink(link)
            except OSError:
                continue
            if target.startswith(_NOT_A_DEVICE) or not target.startswith("/") or \
                    any(target.startswith(prefix) for prefix in skip):
                continue
            if root in ("", "/"):
                dev = _dev_of(root, link)[0]
            else:
                dev = _dev_of(root, _p(root, target))[0]
            if dev:
                counts[dev] = counts.get(dev, 0) + 1
                if dev not in devs:
                    devs.append(dev)
            elif target.startswith("/dev/") and target not in names:
                names.append(target)
        if devs or names:
            out[pid] = {"comm": _read(_p(root, "/proc/%s/comm" % pid)), "devs": devs, "names": names}
            if any(n > 1 for n in counts.values()):
                out[pid]["fds"] = counts
    return out


def read_openers(root):
    """read_procs with the pids it could not read (one answer from a deadline.call child)."""
    unreadable = []
    return {"procs": read_procs(root, unreadable), "unreadable": unreadable}


def _read_dev_of_path(root, path):
    """(major:minor of the device `path` is, or of the filesystem it lives on) for a loop backing file."""
    try:
        st = os.stat(_p(root, path))
    except OSError:
        return None
    num = st.st_rdev if stat.S_ISBLK(st.st_mode) else st.st_dev
    return "%d:%d" % (os.major(num), os.minor(num))


def read_kernel_users(root):
    """Kernel users of block devices that leave no holders link: [{kind, name, detail, dev | devname}].

    loop devices (their backing file's device or filesystem), LIO backstores (configfs udev_path), btrfs members
    (/sys/fs/btrfs/<fsid>/devices). ZFS vdevs and drbd backing disks show nowhere in sysfs: the open count of a
    map and the exclusive open of a plain sd before its delete catch them.
    """
    users = []
    for name in _listdir(_p(root, "/sys/block")):
        if not name.startswith("loop"):
            continue
        backing = _read(_p(root, "/sys/block/%s/loop/backing_file" % name))
        if backing:
            path = backing[:-len(" (deleted)")] if backing.endswith(" (deleted)") else backing
            users.append({"kind": "loop", "name": name, "detail": "backing file %s" % backing,
                          "dev": _read_dev_of_path(root, path)})
    core = "/sys/kernel/config/target/core"
    for hba in _listdir(_p(root, core)):
        if not (hba.startswith("iblock_") or hba.startswith("pscsi_")):
            continue
        for obj in _listdir(_p(root, "%s/%s" % (core, hba))):
            udev_path = _read(_p(root, "%s/%s/%s/udev_path" % (core, hba, obj)))
            if udev_path:
                users.append({"kind": "lio", "name": "%s/%s" % (hba, obj), "detail": "udev_path %s" % udev_path,
                              "dev": _dev_of(root, _p(root, udev_path))[0]})
    for fsid in _listdir(_p(root, "/sys/fs/btrfs")):
        for member in _listdir(_p(root, "/sys/fs/btrfs/%s/devices" % fsid)):
            users.append({"kind": "btrfs", "name": fsid, "detail": "member %s" % member, "devname": member})
    return users


def multipathd_pids(root):
    pids = []
    for pid in _listdir(_p(root, "/proc")):
        if pid.isdigit() and _read(_p(root, "/proc/%s/comm" % pid)) == "multipathd":
            pids.append(int(pid))
    return pids


def read_batch(root, names=None):
    """Everything from sysfs and /proc in one go (the child of deadline.call)."""
    listing = read_listing(root)
    wanted = listing if names is None else dict((n, listing[n]) for n in names if n in listing)
    unreadable = []
    return {
        "listing": listing,
        "sd": dict((n, read_sd(root, n)) for n in wanted if SD_RE.match(n)),
        "dm": dict((n, read_dm(root, n)) for n in listing if DM_RE.match(n)),
        "initiators": read_initiators(root),
        "sessions": read_sessions(root),
        "mounts": read_mounts(root),
        "procs": read_procs(root, unreadable),
        "procs_unreadable": unreadable,
        "kernel_users": read_kernel_users(root),
        "multipathd_pids": multipathd_pids(root),
    }


def read_devices(root, names):
    """sysfs of the given sd and dm devices (the child of deadline.call, one chunk of a slow host's devices)."""
    return {"sd": dict((n, read_sd(root, n)) for n in names if SD_RE.match(n)),
            "dm": dict((n, read_dm(root, n)) for n in names if DM_RE.match(n))}


# --------------------------------------------------------------------------------------------------
# assembling the snapshot (pure)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dev_index(raw):
    """name -> dev and dev -> name for all sd, their partitions and dm devices."""
    by_name, by_dev = {}, {}
    for name, dev in (raw.get("listing") or {}).items():
        if dev:
            by_name[name] = dev
            by_dev[dev] = name
    for sd in (raw.get("sd") or {}).values():
        if not sd:
            continue
        for part in sd.get("partitions") or []:
            if part.get("dev"):
                by_name[part["name"]] = part["dev"]
                by_dev[part["dev"]] = part["name"]
    return by_name, by_dev


def _dev_name_from_path(path, dm_names):
    """/dev/sdb, /dev/dm-2, /dev/mapper/NAME -> kernel name (or None)."""
    if path.startswith("/dev/mapper/"):
        return dm_names.get(path[len("/dev/mapper/"):])
    base = os.path.basename(path)
    if SD_RE.match(base.rstrip("0123456789")) or DM_RE.match(base):
        return base
    return None


def _mark_users(obj, users, openers_unknown):
    """Kernel users without a holders link, and "openers unknown": keys present only when there is something."""
    if users:
        obj["kernel_users"] = users
    if openers_unknown:
        obj["openers_unknown"] = openers_unknown


def assemble(raw, dm_info=None, dm_table=None, dm_status=None, mpd=None, multipathd_running=False,
             collected_at=None, errors=None):
    """Build the `san` snapshot (without probes, findings, verdicts) from what was read."""
    errors = list(errors or [])
    by_name, by_dev = _dev_index(raw)
    dms = dict((n, d) for n, d in (raw.get("dm") or {}).items() if d)
    dm_by_dmname = dict((d.get("dm_name"), n) for n, d in dms.items() if d.get("dm_name"))
    if dm_info:
        for name, info in dm_info.items():
            kname = by_dev.get(info["dev"])
            if kname and name not in dm_by_dmname:
                dm_by_dmname[name] = kname

    # who holds what open
    openers_by_dev = {}
    for pid, proc in sorted((raw.get("procs") or {}).items(), key=lambda kv: int(kv[0])):
        devs = list(proc.get("devs") or [])
        for n in proc.get("names") or []:
            kname = _dev_name_from_path(n, dm_by_dmname)
            if kname and by_name.get(kname):
                devs.append(by_name[kname])
        for dev in devs:
            lst = openers_by_dev.setdefault(dev, [])
            entry = {"pid": int(pid), "comm": proc.get("comm")}
            if (proc.get("fds") or {}).get(dev, 1) > 1:
                entry["fds"] = proc["fds"][dev]  # the open count holds one per open fd
            if entry not in lst:
                lst.append(entry)
    mounts = (raw.get("mounts") or {}).get("mountinfo") or []
    mounts_by_dev = {}
    for m in mounts:
        mounts_by_dev.setdefault(m["dev"], []).append(m["mountpoint"])
        if m.get("source_dev") and m["source_dev"] != m["dev"]:  # btrfs: 0:N, the source is the device
            mounts_by_dev.setdefault(m["source_dev"], []).append(m["mountpoint"])
    kernel_by_dev = {}
    for u in raw.get("kernel_users") or []:
        dev = u.get("dev") or by_name.get(u.get("devname") or "")
        if dev:
            kernel_by_dev.setdefault(dev, []).append(dict((k, v) for k, v in u.items() if k not in ("dev", "devname")))
    openers_unknown = None
    if raw.get("procs") is None:
        openers_unknown = "the /proc/*/fd scan did not finish"
    elif raw.get("procs_unreadable"):
        openers_unknown = "/proc/PID/fd unreadable for %s" % ", ".join(
            "pid %s (%s): %s" % (u.get("pid"), u.get("comm"), u.get("error")) for u in raw["procs_unreadable"][:5])
    if raw.get("kernel_users") is None and openers_unknown is None:
        openers_unknown = "the read of kernel users (loop, LIO, btrfs) did not finish"

    def kernel_users(devs):
        out = []
        for dev in devs:
            for u in kernel_by_dev.get(dev, []):
                if u not in out:
                    out.append(u)
        return out
    swap_devs = set()
    for s in (raw.get("mounts") or {}).get("swaps") or []:
        kname = _dev_name_from_path(s, dm_by_dmname)
        if kname and by_name.get(kname):
            swap_devs.add(by_name[kname])

    def usage(devs_self, devs_below):
        """mountpoints/swap over self+below; openers of self (+ below, marked via)."""
        mps, sw, ops = [], False, []
        for dev, via in [(d, None) for d in devs_self] + list(devs_below):
            for mp in mounts_by_dev.get(dev, []):
                if mp not in mps:
                    mps.append(mp)
            if dev in swap_devs:
                sw = True
            for op in openers_by_dev.get(dev, []):
                o = dict(op)
                if via:
                    o["via"] = via
                if o not in ops:
                    ops.append(o)
        ops.sort(key=lambda o: (o["pid"], o.get("via") or ""))
        return mps, sw, ops

    # maps (kernel truth: dm devices with an mpath- uuid)
    maps = {}
    kname_to_wwid = {}
    tables, statuses = dm_table or {}, dm_status or {}
    mpd = mpd or {}
    for kname, d in sorted(dms.items()):
        uuid = d.get("uuid") or ""
        if not uuid.startswith(MPATH_UUID_PREFIX):
            continue
        wwid = uuid[len(MPATH_UUID_PREFIX):]
        mname = d.get("dm_name") or wwid
        kname_to_wwid[kname] = wwid
        table = tables.get(mname)
        status = statuses.get(mname)
        mpd_map = mpd.get(mname) or mpd.get(wwid) or {}
        # paths: the LOADED table (multipathd runs ahead of it: lab finding 11); sysfs slaves otherwise
        path_devs = []
        if table:
            for g in table["groups"]:
                path_devs.extend(g["paths"])
        else:
            path_devs = [by_name.get(s) or s for s in d.get("slaves") or []]
        st_by_dev = {}
        if status:
            for g in status["groups"]:
                for p in g["paths"]:
                    st_by_dev[p["dev"]] = dict(p, group_state=g["state"])
        paths = []
        for pdev in path_devs:
            pname = by_dev.get(pdev) if ":" in pdev else pdev
            pdev_num = pdev if ":" in pdev else by_name.get(pdev)
            sd = (raw.get("sd") or {}).get(pname) or {}
            st = st_by_dev.get(pdev) or st_by_dev.get(pdev_num) or {}
            mp = (mpd_map.get("paths") or {}).get(pname) or {}
            dm_state = None
            if st:
                dm_state = "active" if st["active"] else "failed"
            paths.append({
                "name": pname,
                "hctl": os.path.basename(sd.get("device_path") or "") or None,
                "dev": pdev_num,
                "dm_state": dm_state,
                "checker_state": mp.get("checker_state"),
                "dev_state": sd.get("state") or mp.get("dev_state"),
                "fail_count": st.get("fail_count"),
                "group_state": st.get("group_state"),
            })
        below = [(by_name.get(h), h) for h in d.get("holders") or [] if by_name.get(h)]
        mps, sw, ops = usage([d.get("dev")], below)
        info = (dm_info or {}).get(mname) or {}
        maps[wwid] = {
            "name": mname,
            "wwid": wwid,
            "dm": kname,
            "dev": d.get("dev"),
            "queueing": table["queueing"] if table else None,
            "features": table["features"] if table else None,
            "hwhandler": table["hwhandler"] if table else None,
            "open_count": info.get("open_count"),
            "holders": list(d.get("holders") or []),
            "mountpoints": mps,
            "swap": sw,
            "openers": ops,
            "size_bytes": (_int(d.get("size")) or 0) * 512 if d.get("size") is not None else None,
            "paths": paths,
            "multipathd": ({"paths_active": mpd_map.get("paths_active"), "queueing": mpd_map.get("queueing"),
                            "features": mpd_map.get("features")} if mpd_map else None),
            "probe": {},
        }
        _mark_users(maps[wwid], kernel_users([d.get("dev")] + [dev for dev, _h in below]), openers_unknown)
        if table is None and dm_table is not None:
            errors.append({"what": "dmsetup table %s" % mname, "msg": "map %s has no multipath table line" % mname})

    # disks
    disks = {}
    for name, sd in sorted((raw.get("sd") or {}).items()):
        if not sd:
            continue
        hctl = os.path.basename(sd.get("device_path") or "")
        hm = HCTL_RE.match(hctl)
        transport, session = transport_of(sd.get("sysfs_path"))
        holders = list(sd.get("holders") or [])
        parts = sd.get("partitions") or []
        below = [(by_name.get(h), h) for h in holders if by_name.get(h)]
        for part in parts:
            for h in part.get("holders") or []:
                if by_name.get(h):
                    below.append((by_name[h], h))
        # openers of the sd itself and its partitions; mounts/swap also one level down (holders)
        self_devs = [sd.get("dev")] + [p.get("dev") for p in parts]
        mps, sw, ops = usage(self_devs, below)
        ops = [o for o in ops if "via" not in o]
        map_name = None
        for h in holders:
            if h in kname_to_wwid:
                map_name = maps[kname_to_wwid[h]]["name"]
        raw80 = sd.get("vpd_pg80")
        disks[name] = {
            "name": name,
            "hctl": hctl or None,
            "host": int(hm.group(1)) if hm else None,
            "lun": int(hm.group(4)) if hm else None,
            "dev": sd.get("dev"),
            "vendor": sd.get("vendor"),
            "model": sd.get("model"),
            "state": sd.get("state"),
            "transport": transport,
            "session": session,
            "serial": vpd80_serial(bytes(bytearray(raw80))) if raw80 is not None else None,
            "wwid": multipath_wwid(sd.get("wwid")),
            "size_bytes": (_int(sd.get("size")) or 0) * 512 if sd.get("size") is not None else None,
            "holders": holders,
            "partitions": [p["name"] for p in parts],
            "mountpoints": mps,
            "swap": sw,
            "openers": ops,
            "map": map_name,
        }
        _mark_users(disks[name], kernel_users(self_devs + [dev for dev, _h in below]), openers_unknown)

    init = raw.get("initiators") or {}
    iqn, iqn_source, session_iqns = _kernel_iqn(init, raw.get("sessions") or [])
    wwpns = []
    fc_hosts = []
    for fc in init.get("fc_hosts") or []:
        if fc.get("port_name"):
            wwpns.append(fc["port_name"])
        fc_hosts.append({"host": _int((fc.get("host") or "").replace("host", "")), "wwpn": fc.get("port_name"),
                         "port_state": fc.get("port_state")})
    fc_by_host = dict((f["host"], f["wwpn"]) for f in fc_hosts if f["host"] is not None)
    session_by_name = dict((s["session"], s) for s in raw.get("sessions") or [])
    for d in disks.values():
        d["initiator"], d["target_iqn"], d["target_portal"], d["target_wwpn"] = _path_identity(
            d, session_by_name, fc_by_host, (raw.get("sd") or {}).get(d["name"]) or {})
    sessions = []
    for s in raw.get("sessions") or []:
        portal = None
        if s.get("address"):
            addr = s["address"]
            if ":" in addr and not addr.startswith("["):
                addr = "[%s]" % addr
            portal = "%s:%s" % (addr, s.get("port")) if s.get("port") else addr
        sessions.append({
            "session": s["session"],
            "sid": s["sid"],
            "host": s.get("host"),
            "target": s.get("target"),
            "portal": portal,
            "initiator": _clean_name(s.get("initiator")),
            "iface": s.get("iface"),
            "state": s.get("state"),
            "recovery_tmo": _int(s.get("recovery_tmo")),
        })
    initiators = sorted(set(session_iqns + ([iqn] if iqn else []) + wwpns))
    return {
        "collected_at": collected_at if collected_at is not None else time.time(),
        "host": {"iscsi_iqn": iqn, "iscsi_iqn_source": iqn_source, "iscsi_iqn_file": init.get("iqn_file"),
                 "initiators": initiators, "fc_wwpns": wwpns, "fc_hosts": fc_hosts,
                 "multipathd_running": bool(multipathd_running)},
        "iscsi_sessions": sessions,
        "disks": disks,
        "maps": maps,
        "errors": errors,
    }


def _clean_name(value):
    value = (value or "").strip()
    return None if value in ("", "<NULL>", "(null)", "default") else value


def _kernel_iqn(init, sessions):
    """(iqn, source, session iqns): the name the kernel logs in with, from the sessions (one per iface may
    differ), else the iSCSI hosts, and /etc/iscsi/initiatorname.iscsi only as a last resort (source "file": an
    iface override or an edited file not yet applied makes it differ from what the array sees)."""
    session_iqns = sorted(set(n for n in (_clean_name(s.get("initiator")) for s in sessions) if n))
    if session_iqns:
        return session_iqns[0], "session", session_iqns
    for h in sorted(init.get("iscsi_hosts") or {}):
        name = _clean_name(init["iscsi_hosts"][h])
        if name:
            return name, "iscsi_host", []
    if init.get("iqn_file"):
        return init["iqn_file"], "file", []
    return None, None, []


def _path_identity(disk, sessions, fc_by_host, raw_sd):
    """(initiator, target iqn, target portal, target wwpn) of the path to one disk, from the kernel."""
    if disk.get("transport") == "iscsi":
        s = sessions.get(disk.get("session")) or {}
        portal = None
        if s.get("address"):
            portal = "%s:%s" % (s["address"], s.get("port")) if s.get("port") else s["address"]
        return _clean_name(s.get("initiator")), s.get("target"), portal, None
    if disk.get("transport") == "fc":
        return fc_by_host.get(disk.get("host")), None, None, raw_sd.get("rport_wwpn")
    return None, None, None, None


# --------------------------------------------------------------------------------------------------
# the reader


class HostReader(object):
    """Reads the SAN state of this host with deadlines. See the module docstring."""

    def __init__(self, root="/", run=deadline.run, call=deadline.call, command_timeout=10.0,
                 read_timeout=10.0, probe_timeout=8.0):
        self.root = root or "/"
        self.run = run
        self.call = call
        self.command_timeout = float(command_timeout)
        self.read_timeout = float(read_timeout)
        self.probe_timeout = float(probe_timeout)

    # -- sysfs/proc ---------------------------------------------------------------------------------

    def _read_raw(self, names=None):
        """One child for the whole batch; on timeout one child per piece, naming what hangs."""
        errors = []
        try:
            return self.call(read_batch, (self.root, names), timeout=self.read_timeout,
                             what="batch read of sysfs and /proc"), errors
        except deadline.DeadlineExceeded as exc:
            errors.append({"what": "batch read of sysfs and /proc", "msg": str(exc)})
        # the listing is the core: without it there is nothing to report (fails the module)
        listing = self.call(read_listing, (self.root,), timeout=self.read_timeout, what="listing of /sys/block")
        raw = {"listing": listing, "sd": {}, "dm": {}}
        wanted = listing if names is None else [n for n in names if n in listing]
        devices = [n for n in sorted(wanted) if SD_RE.match(n)] + [n for n in sorted(listing) if DM_RE.match(n)]
        # A host with many LUNs is slow, not hung: chunks keep one child per CHUNK devices (each with the full
        # deadline); only a chunk that does not finish is read device by device, to name the one that hangs.
        for start in range(0, len(devices), READ_CHUNK):
            chunk = devices[start:start + READ_CHUNK]
            try:
                part = self.call(read_devices, (self.root, chunk), timeout=self.read_timeout,
                                 what="sysfs read of %s" % ", ".join(chunk))
            except (deadline.DeadlineExceeded, RuntimeError) as exc:
                errors.append({"what": "sysfs read of %s" % ", ".join(chunk), "msg": str(exc)})
                part = {"sd": {}, "dm": {}}
                for n in chunk:
                    kind, fn = ("sd", read_sd) if SD_RE.match(n) else ("dm", read_dm)
                    part[kind][n] = self._piece(fn, (self.root, n), "sysfs read of /sys/block/%s" % n, errors)
            raw["sd"].update(part["sd"])
            raw["dm"].update(part["dm"])
        raw["initiators"] = self._piece(read_initiators, (self.root,), "read of the initiator names", errors) or {}
        raw["sessions"] = self._piece(read_sessions, (self.root,), "read of /sys/class/iscsi_session", errors) or []
        raw["mounts"] = self._piece(read_mounts, (self.root,), "read of /proc/self/mountinfo and /proc/swaps",
                                    errors) or {}
        openers = self._piece(read_openers, (self.root,), "scan of /proc/*/fd for openers", errors) or {}
        raw["procs"], raw["procs_unreadable"] = openers.get("procs"), openers.get("unreadable")
        if raw["procs"] is None:  # stays None: assemble marks every device "openers unknown" (refused)
            errors.append({"what": "openers", "msg": "openers unknown: the /proc/*/fd scan did not finish"})
        raw["kernel_users"] = self._piece(read_kernel_users, (self.root,), "read of loop, LIO and btrfs users",
                                          errors)
        raw["multipathd_pids"] = self._piece(multipathd_pids, (self.root,), "scan of /proc for multipathd",
                                             errors) or []
        return raw, errors

    def _piece(self, fn, args, what, errors):
        try:
            return self.call(fn, args, timeout=self.read_timeout, what=what)
        except deadline.DeadlineExceeded as exc:
            errors.append({"what": what, "msg": str(exc)})
        except RuntimeError as exc:
            errors.append({"what": what, "msg": str(exc)})
        return None

    # -- commands -----------------------------------------------------------------------------------

    def _cmd(self, argv, errors, core=False):
        """Run argv with the command deadline. Core commands raise DeadlineExceeded; others report it."""
        try:
            return self.run(argv, self.command_timeout, what=" ".join(argv))
        except deadline.DeadlineExceeded as exc:
            if core:
                raise
            errors.append({"what": " ".join(argv), "msg": str(exc)})
        except OSError as exc:
            errors.append({"what": " ".join(argv), "msg": "cannot run %s: %s" % (argv[0], exc)})
        return None

    def _dm(self, errors, name=None):
        """dmsetup info/table/status of every multipath map, or of the one map `name` (what map() needs: the
        cost of a re-read must not grow with the number of maps on the host)."""
        info = table = status = None
        one = [name] if name else []
        argv = CMD_DM_INFO + one
        res = self._cmd(argv, errors, core=True)
        if res is not None:
            if res.rc == 0:
                info = parse_dm_info(res.stdout)
            else:
                errors.append({"what": " ".join(argv), "msg": res.describe()})
        parsed = []
        for base, parser in ((CMD_DM_TABLE, parse_multipath_table), (CMD_DM_STATUS, parse_multipath_status)):
            argv = base[:2] + one if name else base
            res = self._cmd(argv, errors, core=True)
            if res is None:
                parsed.append(None)
                continue
            if res.rc != 0:
                errors.append({"what": " ".join(argv), "msg": res.describe()})
                parsed.append(None)
                continue
            text = res.stdout
            if name:  # one device: dmsetup prints its line without the "name: " prefix
                text = "".join("%s: %s\n" % (name, line) for line in text.splitlines() if line.strip())
            maps, errs = parse_dm_lines(text, parser)
            errors.extend(errs)
            parsed.append(maps)
        table, status = parsed
        return info, table, status

    def _multipathd(self, running, errors, name=None):
        if not running:
            errors.append({"what": "multipathd", "msg": "multipathd is not running: path checker states are "
                                                        "unknown; maps come from the kernel (sysfs, dmsetup) only"})
            return None
        argv = ["multipathd", "show", "map", name, "json"] if name else CMD_MPD_JSON
        res = self._cmd(argv, errors)
        if res is not None and res.rc == 0:
            try:
                return parse_multipathd_json(res.stdout)
            except ValueError as exc:
                errors.append({"what": " ".join(argv), "msg": "unparsable JSON (%s); falling back to "
                                                              "'show paths raw format'" % exc})
        elif res is not None:
            errors.append({"what": " ".join(argv), "msg": res.describe()})
        res = self._cmd(CMD_MPD_PATHS, errors)
        if res is not None and res.rc == 0:
            return parse_multipathd_paths(res.stdout)
        if res is not None:
            errors.append({"what": " ".join(CMD_MPD_PATHS), "msg": res.describe()})
        errors.append({"what": "multipathd", "msg": "no answer from multipathd: checker states unknown"})
        return None

    # -- public ---------------------------------------------------------------------------------

    def snapshot(self, probe=True):
        """The `san` snapshot of docs/design.md (without findings and verdicts)."""
        started = time.time()
        raw, errors = self._read_raw()
        running = bool(raw.get("multipathd_pids"))
        info, table, status = self._dm(errors)
        mpd = self._multipathd(running, errors)
        snap = assemble(raw, info, table, status, mpd, running, started, errors)
        if probe:
            self._probe_snapshot(snap)
        return snap

    def _probe_snapshot(self, snap):
        for wwid in sorted(snap["maps"]):
            m = snap["maps"][wwid]
            if all(_path_ok(p) for p in m["paths"]):
                continue
            for p in m["paths"]:
                if p.get("name") and SD_RE.match(p["name"]):
                    m["probe"][p["name"]] = self.probe_path(p["name"], errors=snap["errors"])
        for name, d in sorted(snap["disks"].items()):
            if d["map"] is None and d["transport"] in ("iscsi", "fc"):
                d["probe"] = self.probe_path(name, errors=snap["errors"])

    def disk(self, name):
        """Identity and usage of ONE sd, re-read now; None when it does not exist."""
        san_validate.sd_name(name)
        raw, errors = self._read_raw(names=[name])
        if not (raw.get("sd") or {}).get(name):
            return None
        info, table, status = self._dm(errors)
        snap = assemble(raw, info, table, status, None, False, time.time(), errors)
        return snap["disks"].get(name)

    def map(self, name_or_wwid):
        """One multipath map re-read now (by map name, WWID or dm-N); None when it does not exist."""
        if DM_RE.match(name_or_wwid or ""):
            san_validate.dm_name(name_or_wwid)
        else:
            san_validate.map_name(name_or_wwid)
        raw, errors = self._read_raw(names=[])
        target = None
        for kname, d in (raw.get("dm") or {}).items():
            if not d or not (d.get("uuid") or "").startswith(MPATH_UUID_PREFIX):
                continue
            wwid = d["uuid"][len(MPATH_UUID_PREFIX):]
            if name_or_wwid in (kname, d.get("dm_name"), wwid, wwid.lower()):
                target = d
        if target is None:
            return None
        slaves = list(target.get("slaves") or [])
        if slaves:
            more, errs = self._read_raw(names=slaves)
            raw["sd"] = more.get("sd") or {}
            errors.extend(errs)
        dm_name = target.get("dm_name") or target["uuid"][len(MPATH_UUID_PREFIX):]
        san_validate.map_name(dm_name)
        info, table, status = self._dm(errors, name=dm_name)
        mpd = self._multipathd(bool(raw.get("multipathd_pids")), errors, name=dm_name)
        snap = assemble(raw, info, table, status, mpd, bool(raw.get("multipathd_pids")), time.time(), errors)
        for m in snap["maps"].values():
            if m["dm"] == target["name"]:
                m["errors"] = snap["errors"]
                return m
        return None

    def probe_path(self, sd, errors=None):
        """Live probe of one sd: TEST UNIT READY, standard INQUIRY, VPD 0x80 (sg3-utils), each with the probe deadline."""
        san_validate.sd_name(sd)
        node = _p(self.root, "/dev/%s" % sd)
        started = time.monotonic()
        results = {}

        def step(key, argv):
            try:
                r = self.run(argv, self.probe_timeout, what="%s on %s" % (argv[0], sd))
                results[key] = {"rc": r.rc, "stdout": r.stdout, "stderr": r.stderr}
            except deadline.DeadlineExceeded as exc:
                results[key] = {"timeout": exc.seconds}
                if errors is not None:
                    errors.append({"what": "probe of %s" % sd, "msg": str(exc)})
            except OSError as exc:
                results[key] = None
                raise _ProbeUnavailable("cannot run %s: %s" % (argv[0], exc))

        try:
            step("tur", [SG_BIN["turs"], "-v", node])
            t = results["tur"]
            if t.get("timeout") is None and not _host_byte_failed("%s\n%s" % (t.get("stdout"), t.get("stderr"))) \
                    and not OPEN_FAIL_RE.search("%s\n%s" % (t.get("stdout"), t.get("stderr"))):
                step("inq", [SG_BIN["inq"], node])
                i = results["inq"]
                if t.get("rc") == 0 and i and i.get("rc") == 0:
                    step("vpd", [SG_BIN["inq"], "-p", "0x80", "-r", node])
        except _ProbeUnavailable as exc:
            if errors is not None:
                errors.append({"what": "probe of %s" % sd, "msg": str(exc)})
            return {"result": "error", "sense": str(exc), "serial_live": None,
                    "elapsed": round(time.monotonic() - started, 3)}
        out = classify_probe(results.get("tur"), results.get("inq"), results.get("vpd"))
        out["elapsed"] = round(time.monotonic() - started, 3)
        return out


class _ProbeUnavailable(Exception):
    pass


def _path_ok(p):
    """A path is fully healthy when the kernel has it active and the checker (if known) says ready."""
    if p.get("dm_state") != "active":
        return False
    if p.get("checker_state") not in (None, "ready", "ghost"):
        return False
    if p.get("dev_state") not in (None, "running"):
        return False
    return True
