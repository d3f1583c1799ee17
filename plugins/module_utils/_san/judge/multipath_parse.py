# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""multipath.conf: a faithful round-trip parser and editor (pure; no I/O); the compliance judge is
judge/multipath_audit.py, the fix judge/multipath_fix.py.

Syntax, as multipath-tools reads it (0.9.x ``libmpathutil/parser.c``, older ``libmultipath/parser.c``):
  * ``read_line``: lines are cut at LF (``fgets`` with a 1,024-byte buffer: longer lines are read as
    several lines, so strict mode refuses them); the line ends at its first CR or LF (``strtok``), and
    at a NUL byte;
  * ``alloc_strvec``: tokens are separated by C white space and by every non-ASCII byte; outside a
    quoted string, ``#`` and ``!`` end the line even when glued to a word (``queue#note`` reads as
    ``queue``), and ``{``/``}`` are tokens of their own even when glued; inside ``"..."`` a doubled
    ``""`` is one literal quote;
  * ``validate_config_strvec``/``process_stream``: a line is ``keyword value...`` (only the first value
    token counts), ``section {`` or ``}``. A section keyword alone on its line: ``defaults``,
    ``blacklist``, ``blacklist_exceptions``, ``devices``, ``device``, ``multipaths`` and ``multipath``
    (``is_sublevel_keyword``) enter the section anyway and the lone ``{`` line after them is skipped
    (0.7 to 0.9 alike), so they are read as sections; ``overrides`` (and ``protocol``) alone is dropped
    as an option without value and its body is read outside it, so strict mode refuses that file;
  * ``libmultipath/config.c``, ``validate_pctable``: a ``device`` entry without ``vendor`` or
    ``product`` is dropped, so it never matches a device here either.

``parse(text)`` keeps every byte: untouched lines render exactly as read, so
``render(parse(text)) == text`` for every file it accepts. In strict mode (the default, used for the
file we may write) it refuses what it cannot represent faithfully (unbalanced braces, unterminated
quotes, ``{``/``}`` sharing a line with other tokens). ``strict=False`` (for ``multipathd show
config`` / ``multipath -t`` output) skips what it does not understand.

Scopes and precedence (multipath.conf(5)): multipaths > overrides > devices > defaults. Device
entries are matched with regular expressions against vendor/product; among matching entries the
later one wins (user entries come after the built-in hwtable; an entry with exactly the built-in's
vendor/product strings is merged into it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import split_lines


SECTION_NAMES = (
    "defaults", "blacklist", "blacklist_exceptions", "devices", "device", "overrides",
    "multipaths", "multipath", "protocol",
)


# is_sublevel_keyword (parser.c): these enter their section even when the "{" is on a later line;
# any other section keyword alone on a line is dropped ("missing value for option")
SUBLEVEL_KEYWORDS = ("defaults", "blacklist", "blacklist_exceptions", "devices", "device", "multipaths", "multipath")


# keys whose values are conventionally written quoted
QUOTED_KEYS = frozenset((
    "vendor", "product", "revision", "product_blacklist", "features", "hardware_handler", "devnode",
    "wwid", "property", "alias", "path_selector", "prio_args", "type", "uid_attribute", "getuid_callout",
))


NEVER_MATCH = "\x01sanfleet-no-such-device\x01"


class ParseError(ValueError):
    def __init__(self, lineno, msg, line=""):
        self.lineno = lineno
        self.msg = msg
        self.line = line
        super(ParseError, self).__init__("line %d: %s: %r" % (lineno, msg, line.rstrip("\r\n")))


# tokenizer

C_SPACE = " \t\n\v\f\r"


MAXBUF = 1024  # libmpathutil/parser.h: fgets buffer of read_line


MAX_DEPTH = 8  # multipath.conf nests two levels (devices/device, overrides/protocol); deeper is refused


def _split_eol(raw):
    if raw.endswith("\r\n"):
        return raw[:-2], "\r\n"
    if raw.endswith("\n") or raw.endswith("\r"):
        return raw[:-1], raw[-1]
    return raw, ""


def daemon_content(raw):
    """The part of a line multipath-tools reads (read_line: strtok at CR/LF; C strings end at NUL)."""
    content = raw.split("\x00", 1)[0]
    lead = len(content) - len(content.lstrip("\r\n"))
    for i in range(lead, len(content)):
        if content[i] in "\r\n":
            return content[:i]
    return content


def _separator(c):
    return c in C_SPACE or ord(c) > 127


def tokenize(content):
    """Tokens of one line (no eol) as (kind, text, start, end); kind is word|quoted|open|close.

    Follows alloc_strvec (libmpathutil/parser.c). Returns (tokens, comment_start or None, error or None).
    """
    tokens = []
    i = 0
    n = len(content)
    while i < n:
        c = content[i]
        if _separator(c):
            i += 1
            continue
        if c in "#!":
            return tokens, i, None
        if c == "{":
            tokens.append(("open", c, i, i + 1))
            i += 1
            continue
        if c == "}":
            tokens.append(("close", c, i, i + 1))
            i += 1
            continue
        if c == '"':
            j = i + 1
            text = []
            while True:
                k = content.find('"', j)
                if k < 0:
                    return tokens, None, "unterminated quoted string"
                text.append(content[j:k])
                if k + 1 < n and content[k + 1] == '"':  # "" inside a string is one quote
                    text.append('"')
                    j = k + 2
                    continue
                break
            tokens.append(("quoted", "".join(text), i, k + 1))
            i = k + 1
            continue
        j = i
        while j < n and not _separator(content[j]) and content[j] not in '{}"#!':
            j += 1
        tokens.append(("word", content[i:j], i, j))
        i = j
    return tokens, None, None


# document model

class Line(object):
    """A blank or comment line (or, in tolerant mode, one that was not understood)."""

    kind = "line"

    def __init__(self, raw):
        self.raw = raw

    def render(self):
        return self.raw


class Setting(object):
    kind = "setting"

    def __init__(self, raw, key, value, quoted, value_start=None, value_end=None, extra=()):
        self.raw = raw
        self.key = key
        self.value = value
        self.quoted = quoted
        self._value_span = (value_start, value_end)
        self.extra = list(extra)
        self.dirty = False

    def set(self, value, quoted=None):
        if quoted is None:
            quoted = self.quoted or _needs_quotes(self.key, value)
        if value == self.value and quoted == self.quoted:
            return False
        self.value = value
        self.quoted = quoted
        self.dirty = True
        return True

    def render(self):
        if not self.dirty:
            return self.raw
        content, eol = _split_eol(self.raw)
        text = _format_value(self.value, self.quoted)
        start, end = self._value_span
        if start is None:  # "key" without value: append after the key
            key_at = content.index(self.key) + len(self.key)
            return content[:key_at] + " " + text + content[key_at:] + eol
        rest = content[end:]
        if rest[:1] in ("#", "!"):  # a comment glued to the old value stays a comment
            rest = " " + rest
        return content[:start] + text + rest + eol


class Section(object):
    kind = "section"

    def __init__(self, name, open_raw, indent=""):
        self.name = name
        self.open_raw = open_raw
        self.close_raw = None
        self.children = []
        self.indent = indent

    # -- queries
    def settings(self, key=None):
        return [c for c in self.children if c.kind == "setting" and (key is None or c.key == key)]

    def get(self, key, default=None):
        found = self.settings(key)
        return found[-1].value if found else default

    def sections(self, name=None):
        return [c for c in self.children if c.kind == "section" and (name is None or c.name == name)]

    def values(self):
        """Settings as a dict (the last occurrence wins, as in multipath-tools)."""
        return dict((s.key, s.value) for s in self.settings())

    def render(self):
        out = [self.open_raw]
        out.extend(c.render() for c in self.children)
        out.append(self.close_raw or "")
        return "".join(out)

    # -- edits
    def child_indent(self):
        for c in self.children:
            if c.kind in ("setting", "section"):
                raw = c.raw if c.kind == "setting" else c.open_raw
                return raw[:len(raw) - len(raw.lstrip(" \t"))]
        unit = "\t" if self.indent.startswith("\t") else "    "
        return self.indent + unit

    def _insert_at(self):
        """Index after the last setting/section (trailing comments stay at the end)."""
        at = len(self.children)
        while at > 0 and self.children[at - 1].kind == "line":
            at -= 1
        return at if at > 0 else len(self.children)

    def set(self, key, value, eol="\n", quoted=None):
        """Set key to value in every occurrence; append it when absent. Returns True if changed."""
        found = self.settings(key)
        if found:
            changed = False
            for s in found:
                changed = s.set(value, quoted) or changed
            return changed
        if quoted is None:
            quoted = _needs_quotes(key, value)
        raw = "%s%s %s%s" % (self.child_indent(), key, _format_value(value, quoted), eol)
        tokens = tokenize(raw.rstrip("\r\n"))[0]
        setting = Setting(raw, key, value, quoted, tokens[1][2], tokens[1][3])
        self.children.insert(self._insert_at(), setting)
        return True

    def add_section(self, name, eol="\n", comment=None):
        indent = self.child_indent()
        sec = Section(name, "%s%s {%s" % (indent, name, eol), indent)
        sec.close_raw = "%s}%s" % (indent, eol)
        at = self._insert_at()
        if comment:
            self.children.insert(at, Line("%s# %s%s" % (indent, comment, eol)))
            at += 1
        self.children.insert(at, sec)
        return sec


class Document(Section):
    """The whole file: a nameless top-level section."""

    kind = "document"

    def __init__(self):
        super(Document, self).__init__(None, "", "")
        self.close_raw = ""
        self.eol = "\n"

    def child_indent(self):
        return ""

    def _insert_at(self):
        return len(self.children)

    def add_section(self, name, eol=None, comment=None):
        eol = eol or self.eol
        if self.children and not self.children[-1].render().endswith("\n"):  # fgets: only LF ends a line
            # the file does not end with a newline: close the last line first
            last = self.children[-1]
            if last.kind == "section":
                last.close_raw += eol
            else:
                last.raw += eol
        return super(Document, self).add_section(name, eol, comment)


def _needs_quotes(key, value):
    return key in QUOTED_KEYS or value == "" or bool(re.search(r'[\s#!{}"]|[^\x00-\x7f]', value))


def _format_value(value, quoted):
    return '"%s"' % value.replace('"', '""') if quoted else value


# parser

def _unreadable_line(cur, pending, raw):
    """Tolerant mode: a line the tokenizer refuses is kept as it is (a bare keyword before it was no section)."""
    if pending is not None:  # not a section after all
        cur.children.append(pending[0])
        cur.children.extend(Line(h) for h in pending[1])
    cur.children.append(Line(raw))


def _enter_pending(stack, pending, kinds, raw, indent, lineno, strict):
    """The first line with tokens after a bare sublevel keyword ("defaults"): its "{" enters the section (True);
    anything else leaves the keyword as a setting without a value (False)."""
    cur = stack[-1]
    name_setting, held = pending
    if kinds == ["open"]:  # validate_config_strvec skips this "{" line; the section was entered already
        if len(stack) > MAX_DEPTH:
            raise ParseError(lineno, "sections nested deeper than %d levels" % MAX_DEPTH, raw)
        sec = Section(name_setting.key, name_setting.raw + "".join(held) + raw, indent)
        cur.children.append(sec)
        stack.append(sec)
        return True
    if strict:
        raise ParseError(lineno - len(held) - 1, "section %r has no '{'" % name_setting.key, name_setting.raw)
    cur.children.append(name_setting)
    cur.children.extend(Line(h) for h in held)
    return False


def _parse_line(stack, tokens, raw, indent, lineno, strict):
    """One line with tokens: a section's open or close, or a setting. Returns the new pending bare sublevel
    keyword (Setting, [lines held]) or None."""
    cur = stack[-1]
    kinds = [t[0] for t in tokens]
    if kinds == ["close"]:
        if len(stack) == 1:
            if strict:
                raise ParseError(lineno, "'}' without an open section", raw)
            cur.children.append(Line(raw))
            return None
        cur.close_raw = raw
        stack.pop()
        return None
    if len(kinds) == 2 and kinds == ["word", "open"]:
        if len(stack) > MAX_DEPTH:
            raise ParseError(lineno, "sections nested deeper than %d levels" % MAX_DEPTH, raw)
        sec = Section(tokens[0][1], raw, indent)
        cur.children.append(sec)
        stack.append(sec)
        return None
    if "open" in kinds or "close" in kinds:
        if strict:
            raise ParseError(lineno, "braces must stand alone ('name {' or '}' on its own line)", raw)
        cur.children.append(Line(raw))
        return None
    if kinds[0] != "word":
        if strict:
            raise ParseError(lineno, "a line must start with a keyword", raw)
        cur.children.append(Line(raw))
        return None
    key = tokens[0][1]
    if len(tokens) == 1:
        if key in SUBLEVEL_KEYWORDS:
            return (Setting(raw, key, None, False), [])
        if key in SECTION_NAMES and strict:
            raise ParseError(lineno, "the '{' of section %r must be on the same line: multipath-tools "
                                     "drops a bare %r line ('missing value') and reads its body outside the "
                                     "section" % (key, key), raw)
        if strict:
            raise ParseError(lineno, "keyword %r has no value" % key, raw)
        cur.children.append(Setting(raw, key, None, False))
        return None
    vk, vtext, vstart, vend = tokens[1]
    cur.children.append(Setting(raw, key, vtext, vk == "quoted", vstart, vend,
                                extra=[t[1] for t in tokens[2:]]))
    return None


def _parse_end(stack, pending, lines, strict):
    """The end of the text: a bare keyword still waiting for its "{", a section not closed."""
    if pending is not None:
        if strict:
            raise ParseError(len(lines), "section %r has no '{'" % pending[0].key, pending[0].raw)
        stack[-1].children.append(pending[0])
        stack[-1].children.extend(Line(h) for h in pending[1])
    if len(stack) > 1:
        if strict:
            raise ParseError(len(lines), "section %r is not closed" % stack[-1].name, stack[-1].open_raw)


def parse(text, strict=True):
    """Parse multipath.conf text into a Document. Raises ParseError in strict mode."""
    doc = Document()
    lines = split_lines(text)
    for raw in lines:
        if raw.endswith("\r\n"):
            doc.eol = "\r\n"
        break
    stack = [doc]
    pending = None  # a bare sublevel keyword ("defaults") waiting for its "{" on a later line
    for lineno, raw in enumerate(lines, 1):
        if strict and len(raw.encode("utf-8", "surrogateescape")) >= MAXBUF:
            raise ParseError(lineno, "line longer than the %d bytes multipath-tools reads at once" % (MAXBUF - 1), raw)
        content = daemon_content(raw)
        tokens, _comment, error = tokenize(content)
        if error:
            if strict:
                raise ParseError(lineno, error, raw)
            _unreadable_line(stack[-1], pending, raw)
            pending = None
            continue
        if not tokens:
            if pending is not None:
                pending[1].append(raw)
            else:
                stack[-1].children.append(Line(raw))
            continue
        indent = content[:len(content) - len(content.lstrip(" \t"))]
        if pending is not None:
            waiting, pending = pending, None
            if _enter_pending(stack, waiting, [t[0] for t in tokens], raw, indent, lineno, strict):
                continue
        pending = _parse_line(stack, tokens, raw, indent, lineno, strict)
    _parse_end(stack, pending, lines, strict)
    return doc


def render(doc):
    return "".join(c.render() for c in doc.children)
