# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Section-less ``key = value`` files (``/etc/iscsi/iscsid.conf``): round-trip parse and edit (pure).

Every line is kept as read; ``render(parse(text)) == text``. Setting a key:
  * rewrites the value of every active ``key = value`` line (iscsid reads the file top to bottom and
    the last occurrence wins, so all of them must agree), keeping the spacing around ``=`` and any
    trailing text;
  * otherwise activates the first commented default (``# key = value`` / ``#key=value``) in place,
    like ``ini_file``'s ``modify_inactive_option``, so the setting stays next to its documentation;
  * otherwise appends ``key = value`` at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_ACTIVE = re.compile(r"^(?P<indent>[ \t]*)(?P<key>[A-Za-z0-9_.\[\]-]+)(?P<sep>[ \t]*=[ \t]*)(?P<value>.*?)(?P<trail>[ \t]*)$")
_INACTIVE = re.compile(r"^[ \t]*[#;]+[ \t]*(?P<key>[A-Za-z0-9_.\[\]-]+)(?P<sep>[ \t]*=[ \t]*)(?P<value>.*?)[ \t]*$")
SECRET_KEY = re.compile(r"(password|passwd|secret)", re.I)


class KVLine(object):
    __slots__ = ("raw", "key", "value", "active", "m")

    def __init__(self, raw):
        self.raw = raw
        content = raw.rstrip("\r\n")
        self.m = _ACTIVE.match(content)
        if self.m and not content.lstrip().startswith(("#", ";")):
            self.active = True
            self.key = self.m.group("key")
            self.value = self.m.group("value")
            return
        self.active = False
        m = _INACTIVE.match(content)
        self.m = m
        self.key = m.group("key") if m else None
        self.value = m.group("value") if m else None

    @property
    def eol(self):
        return self.raw[len(self.raw.rstrip("\r\n")):]


class KVDocument(object):
    def __init__(self, text):
        self.lines = [KVLine(raw) for raw in text.splitlines(True)]
        self.eol = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"

    def render(self):
        return "".join(line.raw for line in self.lines)

    def get(self, key):
        """The active value (the last occurrence wins) or None."""
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

    def set(self, key, value):
        """Returns 'unchanged', 'modified', 'activated' or 'added'."""
        value = str(value)
        active = [line for line in self.lines if line.active and line.key == key]
        if active:
            result = "unchanged"
            for line in active:
                if line.value != value:
                    m = line.m
                    content = line.raw.rstrip("\r\n")
                    line.raw = content[:m.start("value")] + value + content[m.end("value"):] + line.eol
                    line.value = value
                    result = "modified"
            return result
        for i, line in enumerate(self.lines):
            if not line.active and line.key == key:
                sep = line.m.group("sep")
                indent = line.raw[:len(line.raw) - len(line.raw.lstrip(" \t"))]
                self.lines[i] = KVLine("%s%s%s%s%s" % (indent, key, sep, value, line.eol or self.eol))
                return "activated"
        if self.lines and not self.lines[-1].raw.endswith(("\n", "\r")):
            self.lines[-1] = KVLine(self.lines[-1].raw + self.eol)
        self.lines.append(KVLine("%s = %s%s" % (key, value, self.eol)))
        return "added"


def parse(text):
    return KVDocument(text)


def mask_secrets(text):
    """The text with the values of password-like keys replaced (for diffs and logs)."""
    out = []
    for raw in text.splitlines(True):
        line = KVLine(raw)
        if line.key and line.m and SECRET_KEY.search(line.key) and line.value:
            content = raw.rstrip("\r\n")
            raw = content[:line.m.start("value")] + "********" + content[line.m.end("value"):] + line.eol
        out.append(raw)
    return "".join(out)


def is_secret(key):
    return bool(SECRET_KEY.search(key))


def parse_record(text):
    """`iscsiadm -m node -T T -p P` output (``key = value`` per line) -> dict."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or " = " not in line:
            continue
        key, sep, value = line.partition(" = ")
        out[key.strip()] = value.strip()
    return out
