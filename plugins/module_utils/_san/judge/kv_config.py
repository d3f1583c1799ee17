# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section-less ``key = value`` files (``/etc/iscsi/iscsid.conf``): round-trip parse and edit (pure).

A line counts as a setting exactly when open-iscsi reads it (``usr/idbm.c``, ``idbm_recinfo_config``):
  * lines are what ``fgets`` returns: split at ``\\n`` only (CR, VT, FF inside a line are ordinary
    characters); a line that does not end with ``\\n`` (the last line of a file without a final
    newline, or a line of 2,047 bytes or more) is skipped ("Config file line N too long");
  * the line is stripped of C white space (space, TAB, LF, VT, FF, CR) at both ends; empty lines and
    lines starting with ``#`` are comments (``;`` is not a comment marker);
  * the name runs up to the first white space or ``=``; that one character is consumed, white space
    is skipped, and then a ``=`` is required. So ``key = value`` and ``key =value`` are read, but
    ``key=value`` and ``key= value`` are skipped ("does not have '=' separator");
  * the value is the rest of the stripped line, including any ``# note`` after it (which makes an
    enumerated value such as ``manual # note`` unknown to iscsid, so the line is ignored);
  * every line read updates the value: the last one iscsid accepts wins. (``iscsid.*`` keys are also read
    by ``cfg_get_string_param`` in ``usr/iscsi_util.c``, where the first uncommented line wins; leaving
    exactly one active line per key satisfies both.)

Every line is kept as read; ``render(parse(text)) == text``. Setting a key leaves exactly one line
that iscsid reads, in the form ``key = value`` ending with a newline:
  * the last line meant as that key (read by iscsid or not: ``key=value``, an unterminated last line)
    becomes ``key = value``; a trailing ``# note`` moves to a comment line above it; every other line
    meant as that key is commented out (``#`` + the line as it was), so nothing is lost;
  * otherwise the first commented default (``# key = value`` / ``#key=value``) is activated in place;
  * otherwise ``key = value`` is appended, above an unterminated last line (which iscsid skips: ending it would
    make iscsid read it);
  * every line written (the setting, the note moved above it, a line commented out) ends with LF (``\r\n`` when
    the replaced line had it): a bare CR is no line end for fgets, so a note written with the bare CR of an
    unterminated last line (``key = v # note\r``) would carry the new setting inside its comment line, and a
    line that ends in a bare CR at the end of the file is skipped by iscsid.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import split_lines

C_SPACE = " \t\n\v\f\r"
FGETS_BUFFER = 2048  # idbm_recinfo_config: char buffer[2048]
VALUE_MAXVAL = 256  # usr/idbm.h: values are copied into 256-byte fields (strlcpy)
KEY = re.compile(r"^[A-Za-z0-9_.\[\]-]{1,127}$")
_INACTIVE = re.compile(r"^[ \t]*[#;]+[ \t]*(?P<key>[A-Za-z0-9_.\[\]-]+)[ \t]*=[ \t]*(?P<value>.*?)[ \t]*$")
_TRAILING_COMMENT = re.compile(r"^(?P<value>.*?)[ \t]+(?P<comment>#.*)$")
SECRET_KEY = re.compile(r"(password|passwd|secret)", re.I)


class ParseError(ValueError):
    pass


def read_setting(raw):
    """(key, value) when open-iscsi's idbm_recinfo_config reads this line, else None."""
    if not raw.endswith("\n") or len(raw.encode("utf-8", "surrogateescape")) > FGETS_BUFFER - 1:
        return None
    if "\x00" in raw:  # strlen stops at the NUL, so the line "does not end with a newline" and is skipped
        return None
    line = raw.strip(C_SPACE)
    if not line or line.startswith("#"):
        return None
    i = 0
    while i < len(line) and line[i] not in C_SPACE and line[i] != "=":
        i += 1
    if i >= len(line):
        return None
    name = line[:i]
    i += 1  # the character that ended the name (white space or '=') is consumed
    while i < len(line) and line[i] in C_SPACE:
        i += 1
    if i >= len(line) or line[i] != "=":
        return None
    i += 1
    while i < len(line) and line[i] in C_SPACE:
        i += 1
    if i >= len(line):
        return None
    return name, line[i:]


def _meant_setting(raw):
    """(key, value) of a line written as a setting that iscsid may not read (``key=value``, no newline)."""
    line = raw.strip(C_SPACE)
    if not line or line.startswith(("#", ";")):
        return None
    key, sep, value = line.partition("=")
    key = key.strip(C_SPACE)
    if not sep or not KEY.match(key):
        return None
    return key, value.strip(C_SPACE)


class KVLine(object):
    __slots__ = ("raw", "key", "value", "active", "meant")

    def __init__(self, raw):
        self.raw = raw
        read = read_setting(raw)
        self.active = read is not None
        self.meant = False
        if read:
            self.key, self.value = read
            return
        meant = _meant_setting(raw)
        if meant:  # written as a setting, skipped by iscsid
            self.meant = True
            self.key, self.value = meant
            return
        m = _INACTIVE.match(raw.rstrip("\r\n"))
        self.key = m.group("key") if m else None
        self.value = m.group("value") if m else None

    @property
    def eol(self):
        return self.raw[len(self.raw.rstrip("\r\n")):]

    @property
    def indent(self):
        return self.raw[:len(self.raw) - len(self.raw.lstrip(" \t"))]


class KVDocument(object):
    def __init__(self, text):
        self.lines = [KVLine(raw) for raw in split_lines(text)]
        self.eol = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"

    def render(self):
        return "".join(line.raw for line in self.lines)

    def get(self, key):
        """The value iscsid reads (the last line it reads wins) or None."""
        value = None
        for line in self.lines:
            if line.active and line.key == key:
                value = line.value
        return value

    def items(self):
        out = {}
        for line in self.lines:
            if line.active:
                out[line.key] = line.value
        return out

    def unread(self, key=None):
        """Lines written as settings that iscsid skips (``key=value``, no final newline)."""
        return [line.raw.rstrip("\r\n") for line in self.lines if line.meant and key in (None, line.key)]

    def _line_end(self, eol):
        """The end of a line written in place of one that ended with `eol`: fgets ends a line at LF only, so a bare
        CR (the unterminated last line "key = v # note\r") would glue the next line to it (and iscsid skips a last
        line without LF)."""
        return eol if eol.endswith("\n") else self.eol

    def _canonical(self, key, value, indent, eol):
        return KVLine("%s%s = %s%s" % (indent, key, value, self._line_end(eol)))

    def set(self, key, value):
        """Returns 'unchanged', 'modified', 'activated' or 'added'."""
        value = str(value)
        meant = [i for i, line in enumerate(self.lines) if (line.active or line.meant) and line.key == key]
        if meant:
            last = meant[-1]
            line = self.lines[last]
            result = "unchanged"
            if not (line.active and line.value == value and len(meant) == 1):
                result = "modified"
                new = [self._canonical(key, value, line.indent, line.eol)]
                trailing = _TRAILING_COMMENT.match(line.value or "")
                if trailing and not is_secret(key):
                    new.insert(0, KVLine("%s%s%s" % (line.indent, trailing.group("comment"), self._line_end(line.eol))))
                self.lines[last:last + 1] = new
                for i in meant[:-1]:  # iscsid reads one value per key: keep the others as comments
                    old = self.lines[i]
                    self.lines[i] = KVLine("#" + old.raw.rstrip("\r\n") + self._line_end(old.eol))
            return result
        for i, line in enumerate(self.lines):
            if not line.active and line.key == key:
                self.lines[i] = self._canonical(key, value, line.indent, line.eol)
                self._terminate(i)
                return "activated"
        at = len(self.lines)
        if at and not self.lines[-1].raw.endswith("\n"):
            # iscsid skips the unterminated last line; ending it would make iscsid read it: add above it
            at -= 1
        self.lines.insert(at, self._canonical(key, value, "", self.eol))
        return "added"

    def _terminate(self, index):
        """A line followed by another one must end with a newline."""
        if 0 <= index and index == len(self.lines) - 1 and not self.lines[index].raw.endswith("\n"):
            self.lines[index] = KVLine(self.lines[index].raw + self.eol)


def parse(text):
    return KVDocument(text)


def mask_secrets(text):
    """The text with the values of password-like keys replaced (for diffs and logs)."""
    out = []
    for raw in split_lines(text):
        line = KVLine(raw)
        if line.key and SECRET_KEY.search(line.key) and line.value:
            content = raw.rstrip("\r\n")
            at = content.rfind(line.value)
            if at >= 0:
                raw = content[:at] + "********" + content[at + len(line.value):] + line.eol
        out.append(raw)
    return "".join(out)


def is_secret(key):
    return bool(SECRET_KEY.search(key))


def parse_record(text):
    """One node record (``key = value`` per line) -> dict. Lines end at LF only, as iscsiadm prints them: a value
    holding a CR, \x85 or U+2028 (a CHAP user name) cut by str.splitlines would read as a line of its own, a key
    it names included."""
    out = {}
    for line in text.split("\n"):
        if line.startswith("#") or " = " not in line:
            continue
        key, sep, value = line.partition(" = ")
        out[key.strip()] = value.strip()
    return out


def parse_records(text):
    """`iscsiadm -m node -T T -p P` output -> [dict], one per record: a target portal reached through several
    ifaces (iface0, iface1 bound to two NICs) has one record per iface, each with its own values."""
    records, current = [], []
    for line in text.split("\n"):
        if line.startswith("# BEGIN RECORD") and current:
            records.append(parse_record("\n".join(current)))
            current = []
        current.append(line)
    last = parse_record("\n".join(current))
    if last or not records:
        records.append(last)
    return records


# ---------------------------------------------------------------------------------------------
# value types (usr/idbm.c, idbm_recinfo_node / idbm_recinfo_discovery; idbm_rec_update_param):
# TYPE_INT_O values must equal one of the options exactly, TYPE_INT values go through strtoul,
# TYPE_STR values are cut at 255 bytes.

YES_NO = ("No", "Yes")
DIGEST = ("None", "CRC32C", "CRC32C,None", "None,CRC32C")
CHAP_ALGS = ("MD5", "SHA1", "SHA256", "SHA3-256")
ENUMS = {
    "node.startup": ("manual", "automatic", "onboot"),
    "node.leading_login": YES_NO,
    "node.session.scan": ("manual", "auto"),
    "node.session.auth.authmethod": ("None", "CHAP"),
    "discovery.sendtargets.auth.authmethod": ("None", "CHAP"),
    "discovery.sendtargets.use_discoveryd": YES_NO,
    "discovery.isns.use_discoveryd": YES_NO,
    "node.session.iscsi.FastAbort": YES_NO,
    "node.session.iscsi.InitialR2T": YES_NO,
    "node.session.iscsi.ImmediateData": YES_NO,
    "iscsid.safe_logout": YES_NO,
}
ENUM_PATTERNS = (
    (re.compile(r"^node\.conn\[\d+\]\.startup$"), ("manual", "automatic", "onboot")),
    (re.compile(r"^node\.conn\[\d+\]\.iscsi\.(HeaderDigest|DataDigest)$"), DIGEST),
    (re.compile(r"^node\.conn\[\d+\]\.iscsi\.(IFMarker|OFMarker)$"), YES_NO),
)
CHAP_ALG_KEYS = ("node.session.auth.chap_algs", "discovery.sendtargets.auth.chap_algs")
INTEGER_KEYS = re.compile(
    r"^(node\.session\.(initial_cmdsn|initial_login_retry_max|xmit_thread_priority|cmds_max|queue_depth|"
    r"nr_sessions|reopen_max|sess_reopen_log_freq|timeo\.\w+|err_timeo\.\w+|"
    r"iscsi\.(FirstBurstLength|MaxBurstLength|DefaultTime2Retain|DefaultTime2Wait|MaxConnections|"
    r"MaxOutstandingR2T|ERL))|"
    r"node\.conn\[\d+\]\.(port|tcp\.\w+|timeo\.\w+|iscsi\.MaxRecvDataSegmentLength|iscsi\.MaxXmitDataSegmentLength)|"
    r"discovery\.sendtargets\.(conn_timeo\.\w+|reopen_max|discoveryd_poll_inval|iscsi\.MaxRecvDataSegmentLength)|"
    r"discovery\.isns\.discoveryd_poll_inval)$")
INT_MAX = 2 ** 31 - 1
SHELL_META = re.compile(r"[`$;|&<>()\\]")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def value_kind(key):
    """('enum', options) | ('int', None) | ('chap_algs', options) | ('str', None)"""
    if key in ENUMS:
        return "enum", ENUMS[key]
    for pattern, options in ENUM_PATTERNS:
        if pattern.match(key):
            return "enum", options
    if key in CHAP_ALG_KEYS:
        return "chap_algs", CHAP_ALGS
    if INTEGER_KEYS.match(key):
        return "int", None
    return "str", None


def validate_value(key, value):
    """The value as it will be written, or ParseError naming the key and what iscsid accepts.

    Accepts str, int (integer keys) and bool (Yes/No keys); anything else (lists, dicts, floats,
    None) is refused, as are empty values, control characters (NUL, newlines, CR/VT/FF) and values
    longer than iscsid keeps.
    """
    if not KEY.match(key or ""):
        raise ParseError("%r is not a valid iscsid.conf key" % (key,))
    kind, options = value_kind(key)
    if isinstance(value, bool):
        if kind == "enum" and options == YES_NO:
            value = "Yes" if value else "No"
        else:
            raise ParseError("%s: a boolean is not a valid value (expected %s)" % (key, _expected(kind, options)))
    elif isinstance(value, int) and kind == "int":
        value = str(value)
    elif not isinstance(value, str):
        raise ParseError("%s: the value must be a string, got %s" % (key, type(value).__name__))
    if value == "":
        raise ParseError("%s: the value may not be empty (iscsid skips a line without a value)" % key)
    if CONTROL.search(value):
        raise ParseError("%s: the value may not contain control characters (NUL, newline, CR, TAB...)" % key)
    if value != value.strip(C_SPACE):
        raise ParseError("%s: the value may not start or end with white space (iscsid strips it)" % key)
    if len(value.encode("utf-8", "surrogateescape")) >= VALUE_MAXVAL:
        raise ParseError("%s: the value is longer than the %d bytes iscsid keeps" % (key, VALUE_MAXVAL - 1))
    if kind == "enum" and value not in options:
        raise ParseError("%s: %r is not one of %s" % (key, value, ", ".join(options)))
    if kind == "int":
        if not re.match(r"^[0-9]{1,10}$", value) or int(value) > INT_MAX:
            raise ParseError("%s: %r is not an integer between 0 and %d" % (key, value, INT_MAX))
    if kind == "chap_algs":
        algs = value.split(",")
        if any(a.strip() not in options for a in algs) or len(set(a.strip() for a in algs)) != len(algs):
            raise ParseError("%s: %r is not a comma-separated list of distinct %s" % (key, value, ", ".join(options)))
    if kind == "str" and not is_secret(key) and SHELL_META.search(value):
        raise ParseError("%s: the value may not contain shell metacharacters (`$;|&<>()\\)" % key)
    if "#" in value and not is_secret(key):
        raise ParseError("%s: the value may not contain '#' (iscsid would read it as part of the value)" % key)
    return value


def _expected(kind, options):
    if kind in ("enum", "chap_algs"):
        return ", ".join(options)
    return "an integer" if kind == "int" else "a string"
