# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""After removal, nothing should point at the ghost: find (pure) the lines of /etc/fstab, /etc/crypttab, the LVM
devices file and systemd mount units that name a removed WWID, map or /dev/disk/by-id link, and render the text
with those lines commented out (only when the user opts in; the write itself is files.write_text's).

A reference is matched on the field that names the device (fstab/crypttab source, the devices file IDNAME and
DEVNAME, a unit's What=), never on a comment, so that a mount by UUID= or LABEL= (which cannot be tied to a WWID
without reading the device) is not guessed at.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import split_lines
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import fields_of

MARK = "# removed by sanfleet.remediation (device gone): "

# the files that can name a SAN device by WWID or by-id link; (kind, path)
FILES = (("fstab", "/etc/fstab"), ("crypttab", "/etc/crypttab"), ("lvm_devices", "/etc/lvm/devices/system.devices"))
UNIT_DIR = "/etc/systemd/system"


def needles(wwids=(), maps=(), by_id=()):
    """Strings that name a removed device: WWID in multipath (3...), naa./eui. and mpath- forms (lower case,
    matched inside a field between name boundaries), the map's /dev/mapper/ name and each by-id link name (as the
    kernel and udev spell them: matched only as the whole device name of a field, see _hits)."""
    out = set()
    for w in wwids:
        w = str(w or "")
        if not _is_t10(w):
            w = w.lower()  # hex: any case names the same LU
        if len(w) < 8:
            continue
        out.add(w)
        out.add("mpath-" + w)
        lead = {"3": "naa.", "2": "eui.", "1": "t10."}.get(w[0])
        if lead:
            out.add(lead + w[1:])
    for m in maps:
        if m:
            out.add(MAPPER + m)
    for link in by_id:
        if link:
            out.add(BY_ID + link)
    return sorted(out)


MAPPER = "/dev/mapper/"
BY_ID = "/dev/disk/by-id/"
# a kpartx partition of a map: <name>p1 or <name>-part1
_KPARTX = re.compile(r"^(?:p|-part)[0-9]+$")
_KPARTX_END = re.compile(r"(?:p|-part)[0-9]+$")
_KEY = re.compile(r"^[A-Za-z_]+=")


def device_name(field):
    """The device a field names: the field, or what follows `KEY=` (IDNAME=, DEVNAME=, LABEL=, ...)."""
    field = field or ""
    return field[field.index("=") + 1:] if _KEY.match(field) else field


def _name_hit(value, needle):
    """A map or by-id name matches only as the whole device name (`/dev/mapper/db` is not `/dev/mapper/db-data`,
    a live LV), or for a map as its kpartx partition; names are case-sensitive."""
    if value == needle:
        return True
    return needle.startswith(MAPPER) and value.startswith(needle) and bool(_KPARTX.match(value[len(needle):]))


def _is_t10(needle):
    """A t10 WWID's needle (1..., mpath-1..., t10....): its vendor text is matched in its case, since two LUs may
    differ only in it (a live LU's line must not read as the removed one's)."""
    return needle.startswith(("1", "mpath-1", "t10."))


def _hits(field, wanted):
    low = (field or "").lower()
    value = device_name(field)
    hits = []
    for n in wanted:
        if n.startswith((MAPPER, BY_ID)):
            if _name_hit(value, n):
                hits.append(n)
            continue
        t10 = _is_t10(n)
        text = (field or "") if t10 else low
        if n in text and _bounded(text, n, _T10_NAME if t10 else _HEX_NAME):
            hits.append(n)
    return hits


# what continues a name: a hex WWID's digits; a t10 WWID's vendor text also holds "_", "." and ":" (1VEND_abc is
# not 1VEND_abc_2), while "-" still ends it (scsi-1VEND_abc-part1)
_HEX_NAME = re.compile(r"[0-9a-zA-Z]")
_T10_NAME = re.compile(r"[0-9a-zA-Z_.:]")


# after a t10 name a "-" ends it only before a partition suffix (scsi-1LIO-ORG_lun-part1): the vendor text holds
# "-" itself (1LIO-ORG_lun is not 1LIO-ORG_lun-2)
_T10_DASH_END = re.compile(r"-part[0-9]+(?![0-9a-zA-Z_.:-])")


def _bounded(text, needle, name_char=_HEX_NAME):
    """The needle is a whole name in the field, not part of a longer WWID (…6f vs …6f0, x36… vs 36…)."""
    for m in re.finditer(re.escape(needle), text):
        before = text[m.start() - 1:m.start()] if m.start() else ""
        after = text[m.end():m.end() + 1]
        if after == "-" and name_char is _T10_NAME and not _T10_DASH_END.match(text, m.end()):
            continue
        if (not after or not name_char.match(after)) and (not before or not name_char.match(before)):
            return True
    return False


def live_name(value, live_dm_names, exists):
    """Does a live device still carry the name `value`? A dm device with that /dev/mapper name (its name in sysfs:
    a /dev/mapper entry outlives its device until udev handles the remove event; for a kpartx partition's name,
    its map's is enough), or a /dev/disk/by-id link that resolves to a node that is there (`exists(path)`, never a
    dangling link's lexists): such a line names a live device and is never reported nor touched."""
    if value.startswith(MAPPER):
        name = value[len(MAPPER):]
        # a kpartx partition (<map>p1, <map>-part1) of a map that is there: its partition map may not be made yet
        base = _KPARTX_END.sub("", name)
        return name in live_dm_names or (base != name and base in live_dm_names)
    if value.startswith(BY_ID):
        return exists(value)
    return False


def _fields(kind, line):
    """The field(s) of a line that name the device, or None for comments and blank lines."""
    text = line.strip(" \t\n\v\f\r")
    if not text or text.startswith("#"):
        return None
    parts = fields_of(text)  # libmount splits fields at blanks and TABs only, not at \r, \x85 or U+2028 in a name
    if kind == "fstab":
        return parts[:1]
    if kind == "crypttab":
        return parts[1:2]
    if kind == "lvm_devices":
        return [p for p in parts if p.startswith(("IDNAME=", "DEVNAME="))]
    if kind == "mount_unit":
        return [text.split("=", 1)[1]] if text.startswith("What=") else None
    return None


def find_references(kind, path, text, wanted, is_live=None):
    """[{kind, file, line (1-based), text, matches}] for the lines of `text` that name one of `wanted`; a field
    whose device name a live device still carries (`is_live(name)`, see live_name) matches nothing."""
    out = []
    for n, raw in enumerate(split_lines(text or ""), 1):  # lines as libmount and lvm cut them: at LF only
        line = raw.rstrip("\r\n")
        fields = _fields(kind, line)
        if not fields:
            continue
        fields = [f for f in fields if not (is_live and is_live(device_name(f)))]
        hits = sorted(set(h for f in fields for h in _hits(f, wanted)))
        if hits:
            out.append({"kind": kind, "file": path, "line": n, "text": line, "matches": hits})
    return out


def commented_out(text, line_numbers):
    """`text` with the given lines (1-based, cut at LF only as find_references counts them) commented out behind
    MARK; the rest byte for byte the same. str.splitlines would cut at a CR or U+2028 inside a line, and the mark
    would land in the middle of the line the reader sees."""
    lines = split_lines(text or "")
    for n in sorted(set(line_numbers)):
        if 1 <= n <= len(lines) and not lines[n - 1].startswith(MARK):
            lines[n - 1] = MARK + lines[n - 1]
    return "".join(lines)
