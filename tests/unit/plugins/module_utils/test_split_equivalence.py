# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Functions split into named parts (issue 30: no function over 80 lines) give what they gave before, on the
inputs the existing tests give them.

Each REFERENCE_* below is the function as it was at 779c658, copied verbatim (a string: it is compiled with the
globals of its own module, so that a test's monkeypatch of a helper reaches it as it reaches the real one). While
the existing test modules run (every test function, every parameter set), the real function is wrapped: each
call runs the reference too, on a deep copy of the arguments, and any difference in result, exception or
in-place output is recorded; the test asserts there is none and that the wrapper saw enough calls.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import glob
import inspect
import itertools
import os
import re
import tarfile
import tempfile
import types

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_fix as judge_multipath_fix
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_parse as judge_multipath_parse
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import batch as obs_batch
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import procs as obs_procs
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import test_multipath_config
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import test_parser_properties
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import test_san_read

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")

REFERENCE_READ_PROCS = r'''
def read_procs(root, unreadable=None, exiting=None):
    """{pid: {comm, devs: ["8:16"], names: ["/dev/dm-2"], fds: {"8:16": 2}, files: {"8:16": [key, ...]}}} for
    processes holding block devices; `files` has the open_file_key of each fd, by device (or /dev name).

    Matched by device number: os.stat follows the /proc/PID/fd link to the inode without opening it, for every
    target that may be a device node (not only those under /dev), except files on a network or FUSE mount: the
    one fdinfo's mnt_id names in any mount table read (_fd_on_network_fs), else by the opener's own table. Under
    a fixture root an absolute link target is resolved inside the root; what cannot be stat'ed is kept by its /dev
    name. A pid whose fd directory exists but cannot be read is added to `unreadable` (the caller then does not
    know every opener). A process whose leader has exited has its fds read from its other threads
    (/proc/PID/task/TID/fd). Tasks exiting with a device still open and no file
    table left (read_exiting) are added to `exiting`.
    """
    out = {}
    me = str(os.getpid())
    tables = {}
    own_table = _network_mounts(root)
    known_ids = dict(own_table[2])  # {mount id: is network} of every mount table read
    any_network = bool(own_table[0])
    for pid in _listdir(_p(root, "/proc")):
        if not pid.isdigit() or pid == me:
            continue
        base = _p(root, "/proc/%s" % pid)
        fddir = base + "/fd"
        try:
            fds = sorted(os.listdir(fddir))
        except OSError as exc:
            if unreadable is not None and os.path.isdir(fddir) and exc.errno not in (errno.ENOENT, errno.ESRCH):
                unreadable.append({"pid": int(pid), "comm": _read(_p(root, "/proc/%s/comm" % pid)),
                                   "error": os.strerror(exc.errno or 0)})
            continue
        fd_tables = [(base, fds)]
        if not fds:
            if exiting is not None:
                exiting.extend(read_exiting(root, pid))
            # the leader has exited (its file table is gone) while other threads hold theirs
            fd_tables = _task_fd_tables(root, pid, unreadable)
        names, counts, files, seen = [], {}, {}, set()
        for task, task_fds in fd_tables:
            table = None
            for fd in task_fds:
                link = "%s/fd/%s" % (task, fd)
                try:
                    target = os.readlink(link)
                except OSError:
                    continue
                if target.startswith(_NOT_A_DEVICE) or not target.startswith("/"):
                    continue
                if table is None:
                    table = _opener_mounts(root, task, tables) or own_table
                    for mount_id, is_network in table[2].items():
                        known_ids.setdefault(mount_id, is_network)
                    any_network = any_network or bool(table[0])
                # a network mount in any table read: the fd's own mount decides (fdinfo), whatever namespace it is of
                info = _fdinfo("%s/fdinfo/%s" % (task, fd)) if any_network else None
                if info is not None and _fd_on_network_fs(target, info, table, own_table, known_ids):
                    continue
                if root in ("", "/"):
                    dev = _dev_of(root, link)[0]
                else:
                    dev = _dev_of(root, _p(root, target))[0]
                if not dev and not target.startswith("/dev/"):
                    continue
                if info is None:
                    info = _fdinfo("%s/fdinfo/%s" % (task, fd))
                key = open_file_key(info)
                if (fd, key) in seen:  # threads sharing one fd table show each fd once per thread
                    continue
                seen.add((fd, key))
                files.setdefault(dev or target, []).append(key)
                if dev:
                    counts[dev] = counts.get(dev, 0) + 1  # in first-seen order: the devices, without a list search
                elif target not in names:  # nodes not stat'ed: few
                    names.append(target)
        devs = list(counts)
        if devs or names:
            out[pid] = {"comm": _read(_p(root, "/proc/%s/comm" % pid)), "devs": devs, "names": names,
                        "files": files}
            if any(n > 1 for n in counts.values()):
                out[pid]["fds"] = counts
    return out
'''

REFERENCE_PLAN_FIX = r'''
def plan_fix(doc, targets, recommended, scope="devices", blacklist_wwids=()):
    """Edit a copy of doc so that the file carries the recommended values. Returns (new_doc, changes).

    recommended: {no_path_retry, dev_loss_tmo, recheck_wwid, flush_on_last_del, find_multipaths, uxsock_timeout};
    None leaves a key alone. scope: where the target values go, "devices" (one entry per target, merged with
    the built-in entry) or "overrides" (every device of every array).
    """
    doc = copy.deepcopy(doc)
    changes = []
    eol = doc.eol
    # 1. every scope of the file that explicitly sets a bad value
    for sec in doc.sections("defaults"):
        _fix_values(sec, recommended, changes, "defaults")
    for sec in doc.sections("overrides"):
        _fix_values(sec, recommended, changes, "overrides")
    for devs in doc.sections("devices"):
        for dev in devs.sections("device"):
            vals = dev.values()
            if any(entry_matches(vals, t["vendor"], t["product"]) for t in targets):
                _fix_values(dev, recommended, changes,
                            'devices/device[vendor="%s",product="%s"]' % (vals.get("vendor"), vals.get("product", "")))
    for mps in doc.sections("multipaths"):
        for mp in mps.sections("multipath"):
            _fix_values(mp, recommended, changes, 'multipaths/multipath[wwid="%s"]' % mp.get("wwid"))

    # 2. the target scope carries the recommended values
    target_keys = [k for k in ("no_path_retry", "dev_loss_tmo", "flush_on_last_del") if recommended.get(k)]
    if scope == "overrides":
        secs = doc.sections("overrides") or [doc.add_section("overrides", eol, FIX_COMMENT)]
        for key in target_keys:
            before = secs[-1].get(key)
            if before is not None and not is_bad(key, before):
                continue
            if secs[-1].set(key, recommended[key], eol):
                changes.append({"scope": "overrides", "key": key, "before": before, "after": recommended[key]})
    else:
        for t in targets:
            entry = None
            for devs in doc.sections("devices"):
                for dev in devs.sections("device"):
                    if entry_is_specific(dev.values(), t["vendor"], t["product"]):
                        entry = dev  # the last one wins, as in multipath-tools
            if entry is None:
                devs = doc.sections("devices")
                devs = devs[-1] if devs else doc.add_section("devices", eol)
                entry = devs.add_section("device", eol, FIX_COMMENT)
                entry.set("vendor", t["vendor"], eol)
                entry.set("product", t["product"], eol)
            vals = entry.values()
            label = 'devices/device[vendor="%s",product="%s"]' % (vals.get("vendor"), vals.get("product", ""))
            for key in target_keys:
                before = entry.get(key)
                if before is not None and not is_bad(key, before):
                    continue  # already bounded (no_path_retry 16, dev_loss_tmo 30): the owner's choice stands
                if entry.set(key, recommended[key], eol):
                    changes.append({"scope": label, "key": key, "before": before, "after": recommended[key]})

    # 3. array-neutral settings go to defaults; a longer uxsock_timeout than asked is left as it is
    keep = {"uxsock_timeout": lambda before: (milliseconds(before) or 0) >= int(recommended["uxsock_timeout"])}
    for key in ("recheck_wwid", "find_multipaths", "uxsock_timeout"):
        want = recommended.get(key)
        if not want:
            continue
        want = str(want)
        secs = doc.sections("defaults")
        if secs and any(s.get(key) is not None for s in secs):
            for s in secs:
                before = s.get(key)
                if before is None or keep.get(key, lambda _b: False)(before):
                    continue
                if s.set(key, want, eol):
                    changes.append({"scope": "defaults", "key": key, "before": before, "after": want})
            continue
        sec = secs[-1] if secs else doc.add_section("defaults", eol)
        sec.set(key, want, eol)
        changes.append({"scope": "defaults", "key": key, "before": None, "after": want})

    # 4. local disks that multipath would claim
    if blacklist_wwids:
        secs = doc.sections("blacklist")
        present = set(s.value for sec in secs for s in sec.settings("wwid"))
        for wwid in blacklist_wwids:
            if wwid in present:
                continue
            sec = secs[-1] if secs else doc.add_section("blacklist", eol)
            secs = [sec]
            sec.children.insert(sec._insert_at(), Setting(
                '%swwid "%s"%s' % (sec.child_indent(), wwid, eol), "wwid", wwid, True))
            present.add(wwid)
            changes.append({"scope": "blacklist", "key": "wwid", "before": None, "after": wwid})
    return doc, changes
'''

REFERENCE_PARSE = r'''
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
        cur = stack[-1]
        if error:
            if strict:
                raise ParseError(lineno, error, raw)
            if pending is not None:  # not a section after all
                cur.children.append(pending[0])
                cur.children.extend(Line(h) for h in pending[1])
                pending = None
            cur.children.append(Line(raw))
            continue
        if not tokens:
            if pending is not None:
                pending[1].append(raw)
            else:
                cur.children.append(Line(raw))
            continue
        kinds = [t[0] for t in tokens]
        indent = content[:len(content) - len(content.lstrip(" \t"))]
        if pending is not None:
            name_setting, held = pending
            pending = None
            if kinds == ["open"]:  # validate_config_strvec skips this "{" line; the section was entered already
                if len(stack) > MAX_DEPTH:
                    raise ParseError(lineno, "sections nested deeper than %d levels" % MAX_DEPTH, raw)
                sec = Section(name_setting.key, name_setting.raw + "".join(held) + raw, indent)
                cur.children.append(sec)
                stack.append(sec)
                continue
            if strict:
                raise ParseError(lineno - len(held) - 1, "section %r has no '{'" % name_setting.key, name_setting.raw)
            cur.children.append(name_setting)
            cur.children.extend(Line(h) for h in held)
        if kinds == ["close"]:
            if len(stack) == 1:
                if strict:
                    raise ParseError(lineno, "'}' without an open section", raw)
                cur.children.append(Line(raw))
                continue
            cur.close_raw = raw
            stack.pop()
            continue
        if len(kinds) == 2 and kinds == ["word", "open"]:
            if len(stack) > MAX_DEPTH:
                raise ParseError(lineno, "sections nested deeper than %d levels" % MAX_DEPTH, raw)
            sec = Section(tokens[0][1], raw, indent)
            cur.children.append(sec)
            stack.append(sec)
            continue
        if "open" in kinds or "close" in kinds:
            if strict:
                raise ParseError(lineno, "braces must stand alone ('name {' or '}' on its own line)", raw)
            cur.children.append(Line(raw))
            continue
        if kinds[0] != "word":
            if strict:
                raise ParseError(lineno, "a line must start with a keyword", raw)
            cur.children.append(Line(raw))
            continue
        key = tokens[0][1]
        if len(tokens) == 1:
            if key in SUBLEVEL_KEYWORDS:
                pending = (Setting(raw, key, None, False), [])
                continue
            if key in SECTION_NAMES and strict:
                raise ParseError(lineno, "the '{' of section %r must be on the same line: multipath-tools "
                                         "drops a bare %r line ('missing value') and reads its body outside the "
                                         "section" % (key, key), raw)
            if strict:
                raise ParseError(lineno, "keyword %r has no value" % key, raw)
            cur.children.append(Setting(raw, key, None, False))
            continue
        vk, vtext, vstart, vend = tokens[1]
        cur.children.append(Setting(raw, key, vtext, vk == "quoted", vstart, vend,
                                    extra=[t[1] for t in tokens[2:]]))
    if pending is not None:
        if strict:
            raise ParseError(len(lines), "section %r has no '{'" % pending[0].key, pending[0].raw)
        stack[-1].children.append(pending[0])
        stack[-1].children.extend(Line(h) for h in pending[1])
    if len(stack) > 1:
        if strict:
            raise ParseError(len(lines), "section %r is not closed" % stack[-1].name, stack[-1].open_raw)
    return doc
'''


def reference(module, source, name):
    """`name` compiled from `source` with the globals of `module` (its helpers, as monkeypatched)."""
    scratch = {}
    exec(compile("from __future__ import absolute_import, division, print_function\n" + source,
                 "<reference %s.%s>" % (module.__name__, name), "exec"), dict(vars(module)), scratch)
    fn = scratch[name]
    return types.FunctionType(fn.__code__, vars(module), name, fn.__defaults__)


def tree(value):
    """A comparable form of a result: objects by class and attributes, containers by their items."""
    if isinstance(value, dict):
        return dict((k, tree(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(tree(v) for v in value)
    if isinstance(value, set):
        return value
    if hasattr(value, "__dict__") and not isinstance(value, (type, types.FunctionType)):
        return (type(value).__name__, tree(vars(value)))
    return value


def _outcome(fn, args, kwargs):
    """(what the call gave: its result or its exception's type and text, and its arguments after it), the
    exception or None, the result."""
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:  # the same exception, with the same text, is part of the same behaviour
        return ("raised", type(exc).__name__, str(exc), tree((args, kwargs))), exc, None
    return ("returned", tree(result), tree((args, kwargs))), None, result


class Shadow(object):
    """Wraps module.name: every call also runs the reference, on a deep copy of its arguments."""

    def __init__(self, monkeypatch, module, name, source):
        self.name, self.calls, self.differences = name, 0, []
        self.real = getattr(module, name)
        self.reference = reference(module, source, name)
        monkeypatch.setattr(module, name, self)

    def __call__(self, *args, **kwargs):
        ref_args, ref_kwargs = copy.deepcopy((args, kwargs))
        got, exc, result = _outcome(self.real, args, kwargs)
        want = _outcome(self.reference, ref_args, ref_kwargs)[0]
        self.calls += 1
        if got != want:
            self.differences.append((args[:1], got, want))
        if exc is not None:
            raise exc
        return result


def _parameter_sets(fn):
    """Every combination of fn's parametrize marks: [{argname: value}]."""
    axes = []
    for mark in getattr(fn, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = []
        for value in mark.args[1]:
            if hasattr(value, "marks") and hasattr(value, "values") and hasattr(value, "id"):  # pytest.param
                values = tuple(value.values)
            else:
                values = (value,) if len(names) == 1 else tuple(value)
            rows.append(dict(zip(names, values)))
        axes.append(rows)
    return [dict(kv for part in combo for kv in part.items()) for combo in itertools.product(*axes)] or [{}]


def run_tests_of(module, tmp_path, mentioning=None):
    """Runs every test function of a test module with each of its parameter sets (tmp_path and monkeypatch
    given fresh); returns how many ran. A skip is a skip; a failure of the test itself is not this test's
    business (the module's own run reports it), a difference in the shadow is. `mentioning`: only the tests
    whose source names it (the others never reach it: no need to run them twice)."""
    ran = 0
    for name, fn in sorted(vars(module).items()):
        if not name.startswith("test_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
            continue
        if mentioning and mentioning not in inspect.getsource(fn):
            continue
        wanted = list(inspect.signature(fn).parameters)
        for n, params in enumerate(_parameter_sets(fn)):
            kwargs = dict(params)
            if not set(wanted) <= set(kwargs) | {"tmp_path", "monkeypatch"}:
                continue
            with pytest.MonkeyPatch.context() as mp:
                if "tmp_path" in wanted:
                    kwargs["tmp_path"] = tmp_path / ("%s-%d" % (name, n))
                    kwargs["tmp_path"].mkdir()
                if "monkeypatch" in wanted:
                    kwargs["monkeypatch"] = mp
                try:
                    fn(**dict((k, kwargs[k]) for k in wanted))
                except pytest.skip.Exception:
                    continue
                except Exception:  # noqa: BLE001 -- see the docstring
                    pass
            ran += 1
    return ran


# ---------------------------------------------------------------------------------- san_read.read_procs
FS_NAMES = {"p": "rooted", "read": "read_text", "listdir": "listdir"}


def _captured_roots():
    archives = glob.glob(os.path.join(FIXTURES, "*.tar.gz")) + glob.glob(os.path.join(FIXTURES, "*", "*.tar.gz"))
    for archive in sorted(archives):
        dest = tempfile.mkdtemp(prefix="sanfleet-split-")
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="tar")
        (scenario,) = os.listdir(dest)
        yield os.path.join(dest, scenario, "root")


def test_read_procs_reads_what_it_read_before(tmp_path, monkeypatch):
    # read_procs moved to observe/procs.py and the path helpers it calls to observe/fs.py under public names
    # (issue 30): the reference calls them by those names; the batch child calls read_procs from its own module
    source = re.sub(r"(?<![\w.])_(p|read|listdir)\(", lambda m: FS_NAMES[m.group(1)] + "(", REFERENCE_READ_PROCS)
    shadow = Shadow(monkeypatch, obs_procs, "read_procs", source)
    monkeypatch.setattr(obs_batch, "read_procs", shadow)
    ran = run_tests_of(test_san_read, tmp_path)
    for root in _captured_roots():
        obs_procs.read_procs(root, [], [])
    assert shadow.differences == []
    assert ran > 100 and shadow.calls > 100, (ran, shadow.calls)


# ---------------------------------------------------------------------------------- multipath_config


def _config_texts():
    """Every multipath.conf and `multipathd show config` text of the fixtures: files and captured commands."""
    for path in sorted(glob.glob(os.path.join(FIXTURES, "config", "multipath*"))):
        with open(path, "rb") as f:
            yield f.read().decode("utf-8")
    for root in _captured_roots():
        commands = os.path.join(os.path.dirname(root), "commands")
        for path in sorted(glob.glob(os.path.join(commands, "*.txt")) + [os.path.join(root, "etc", "multipath.conf")]):
            if os.path.exists(path) and ("multipath" in os.path.basename(path) or path.endswith(".conf")):
                with open(path, "rb") as f:
                    yield f.read().decode("utf-8", "surrogateescape")


# what no fixture has: a target's entry twice (the last one wins), uxsock_timeout equal to / below the one asked
EDGE_TEXTS = [
    "", "defaults {\n}\n",
    'defaults {\n\tuxsock_timeout 4000\n\tfind_multipaths no\n}\ndefaults {\n\trecheck_wwid no\n}\n'
    'devices {\n\tdevice {\n\t\tvendor "NETAPP"\n\t\tproduct "LUN"\n\t\tno_path_retry queue\n\t}\n'
    '\tdevice {\n\t\tvendor "NETAPP"\n\t\tproduct "LUN"\n\t\tdev_loss_tmo infinity\n\t}\n}\n'
    'overrides {\n\tno_path_retry 16\n}\nblacklist {\n\twwid "36001405aabbccdd"\n}\n',
    "defaults {\n    uxsock_timeout 900\n}\n",
]


def _plan_fix_inputs(texts):
    """plan_fix of each text with the recommendations and targets the tests use, both scopes, local WWIDs."""
    recs = (test_multipath_config.REC, test_parser_properties.REC,
            dict(test_multipath_config.REC, flush_on_last_del="always", find_multipaths="smart",
                 uxsock_timeout="4000"),
            dict(test_multipath_config.REC, uxsock_timeout="1000"))
    for text in texts:
        doc = judge_multipath_parse.parse(text, strict=False)
        for rec in recs:
            for scope in ("devices", "overrides"):
                judge_multipath_fix.plan_fix(doc, test_multipath_config.TARGETS, rec, scope=scope)
            judge_multipath_fix.plan_fix(doc, test_multipath_config.TARGETS + [{"vendor": "PURE", "product": "FlashArray"}], rec,
                                         blacklist_wwids=("3600508b1001c5d6e", "3600508b1001c5d6e", "36001405aabbccdd"))


def test_plan_fix_plans_what_it_planned_before(tmp_path, monkeypatch):
    shadow = Shadow(monkeypatch, judge_multipath_fix, "plan_fix", REFERENCE_PLAN_FIX)
    ran = (run_tests_of(test_multipath_config, tmp_path, "plan_fix")
           + run_tests_of(test_parser_properties, tmp_path, "plan_fix"))
    _plan_fix_inputs(list(dict.fromkeys(_config_texts())) + EDGE_TEXTS)  # the captures share most texts
    assert shadow.differences == []
    assert ran > 10 and shadow.calls > 200, (ran, shadow.calls)


def _parse_inputs(texts):
    """parse, strict and tolerant, of each text, its CRLF form, every prefix of a short one (sections left open),
    and the text with a bare sublevel keyword (its "{" on the next line, or never) and a stray brace added."""
    for text in texts:
        lines = text.splitlines(True)
        variants = [text, text.replace("\n", "\r\n"), "defaults\n\n# held\n{\n" + text + "}\n",
                    "devices\n" + text, text + "\nblacklist\n", text + "}\n", "x {\n" * 12 + text]
        if len(lines) <= 80:  # the configuration files; not the long `multipathd show config` captures
            variants += ["".join(lines[:n]) for n in range(1, len(lines))]
        for variant in variants:
            for strict in (True, False):
                try:
                    judge_multipath_parse.parse(variant, strict=strict)
                except judge_multipath_parse.ParseError:
                    pass


def test_parse_reads_what_it_read_before(tmp_path, monkeypatch):
    shadow = Shadow(monkeypatch, judge_multipath_parse, "parse", REFERENCE_PARSE)
    monkeypatch.setattr(judge_multipath_fix, "parse", shadow)  # plan_fix parses with its own import of parse
    ran = (run_tests_of(test_multipath_config, tmp_path, "parse")
           + run_tests_of(test_parser_properties, tmp_path, "parse"))
    _parse_inputs(list(dict.fromkeys(_config_texts())) + EDGE_TEXTS)  # the captures share most texts
    assert shadow.differences == []
    assert ran > 30 and shadow.calls > 2000, (ran, shadow.calls)
