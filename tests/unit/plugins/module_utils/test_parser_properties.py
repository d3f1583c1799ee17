# -*- coding: utf-8 -*-
"""Property-based tests of every text parser: any input gives data or the parser's own error, never another
exception, and what the editors write reads back as written (hypothesis)."""
import json
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import kv_config as kv
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_audit as judge_multipath_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_fix as judge_multipath_fix
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_parse as judge_multipath_parse
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import parse as sp
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import split_lines
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info as lfi

# derandomize: CI runs the same examples every time (a failure is reproducible, not a flake)
FAST = settings(max_examples=120, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# characters and words that matter to the parsers, plus a few odd ones (non-UTF-8 byte as surrogate, NUL, VT)
ODD = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x00", "#", "!", "=", ";", '"', "'", "{", "}", "[", "]", ",", "\\",
       "\xe9", "\udce9", "a", "0", "-", "."]
MP_WORDS = ["defaults", "devices", "device", "overrides", "multipaths", "multipath", "blacklist", "protocol",
            "vendor", "product", '"NETAPP"', '"LUN"', "no_path_retry", "queue", "16", "dev_loss_tmo", "infinity",
            "features", '"1 queue_if_no_path"', "recheck_wwid", "no", "wwid", "{", "}", "#", "!", '"', '""']
ISCSI_WORDS = ["node.session.scan", "node.startup", "=", " = ", "manual", "auto", "automatic", "#", "\n", "\r\n",
               " ", "\t", "\x0b", "\x0c", "# note"]
LVM_WORDS = ["devices", "global_filter", "filter", "use_devicesfile", "=", "{", "}", "[", "]", ",", '"a|.*|"',
             '"r|^/dev/sd[a-z]$|"', "'a|x|'", "1", "#", '"', "\\", "\n", " "]
NETAPP_TARGETS = [{"vendor": "NETAPP", "product": "LUN"}]
FIX_REC = {"no_path_retry": "30", "dev_loss_tmo": "60", "recheck_wwid": "yes"}


def texts(words):
    return st.one_of(
        st.text(alphabet=st.sampled_from(ODD), max_size=200),
        st.lists(st.sampled_from(words + [" ", "\n", "\t", "\r\n"]), max_size=80).map("".join),
    )


# -- iscsid.conf ---------------------------------------------------------------------------------

@FAST
@given(texts(ISCSI_WORDS))
def test_kv_parse_is_total_and_round_trips(text):
    doc = kv.parse(text)
    assert doc.render() == text
    for line in doc.lines:
        kv.read_setting(line.raw)
    kv.mask_secrets(text)


@FAST
@given(texts(ISCSI_WORDS), st.sampled_from(["manual", "auto"]))
def test_kv_set_leaves_one_line_iscsid_reads(text, value):
    doc = kv.parse(text)
    doc.set("node.session.scan", value)
    out = doc.render()
    again = kv.parse(out)
    assert again.get("node.session.scan") == value
    active = [line.raw for line in again.lines if line.active and line.key == "node.session.scan"]
    assert [raw.strip(" \t\r\n") for raw in active] == ["node.session.scan = %s" % value]
    assert again.set("node.session.scan", value) == "unchanged"


@FAST
@given(st.one_of(st.text(max_size=300), st.integers(), st.booleans(), st.none(), st.lists(st.text(max_size=5)),
                 st.floats()),
       st.sampled_from(["node.session.scan", "node.startup", "node.session.timeo.replacement_timeout",
                        "node.session.auth.password", "node.session.auth.chap_algs", "iscsid.startup",
                        "node.conn[0].iscsi.HeaderDigest", "some.unknown.key"]))
def test_kv_validated_values_read_back_exactly(value, key):
    try:
        written = kv.validate_value(key, value)
    except kv.ParseError:
        return
    doc = kv.parse("")
    doc.set(key, written)
    assert kv.parse(doc.render()).get(key) == written


# -- multipath.conf -------------------------------------------------------------------------------

@FAST
@given(texts(MP_WORDS))
def test_multipath_parse_is_total_and_round_trips(text):
    for strict in (True, False):
        try:
            doc = judge_multipath_parse.parse(text, strict=strict)
        except judge_multipath_parse.ParseError:
            continue
        assert judge_multipath_parse.render(doc) == text
        judge_multipath_audit.to_dict(doc)


@FAST
@given(texts(MP_WORDS))
def test_multipath_fix_reads_back_and_is_idempotent(text):
    try:
        doc = judge_multipath_parse.parse(text)
    except judge_multipath_parse.ParseError:
        return
    new, _changes = judge_multipath_fix.plan_fix(doc, NETAPP_TARGETS, FIX_REC)
    out = judge_multipath_parse.render(new)
    reread = judge_multipath_parse.parse(out)  # the editor never writes what the parser refuses
    assert judge_multipath_fix.plan_fix(reread, NETAPP_TARGETS, FIX_REC)[1] == []
    eff = judge_multipath_audit.to_dict(reread)
    value, _scope = judge_multipath_audit.resolve(eff, "NETAPP", "LUN", "no_path_retry")
    assert value is not None and value != "queue"


VALUES = st.text(alphabet=st.sampled_from(list('ab1 #!{}"\t') + ["\xe9"]), max_size=12)


@FAST
@given(st.lists(st.tuples(st.sampled_from(["polling_interval", "alias", "no_path_retry", "features"]), VALUES),
                max_size=6))
def test_multipath_values_written_read_back(pairs):
    doc = judge_multipath_fix.new_document()
    sec = doc.add_section("defaults")
    want = {}
    for key, value in pairs:
        sec.set(key, value)
        want[key] = value
    text = judge_multipath_parse.render(doc)
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(text))["defaults"] == want


# -- lvm.conf, dmsetup, multipathd JSON ---------------------------------------------------------------

@FAST
@given(texts(LVM_WORDS))
def test_lvm_conf_parse_is_total(text):
    try:
        out = lfi.parse_lvm_conf(text)
    except lfi.LvmConfError:
        return
    for value in out.values():
        lfi.parse_lvm_array(value)


DM_TOKENS = st.lists(st.one_of(st.sampled_from(["0", "1", "2", "3", "-1", "queue_if_no_path", "A", "F", "E",
                                                "service-time", "8:16", "x", "99999999999", "1_0"]),
                               st.text(max_size=4)), max_size=40)


@FAST
@given(DM_TOKENS)
def test_dm_table_and_status_parsers_raise_only_their_error(args):
    for parser in (sp.parse_multipath_table, sp.parse_multipath_status):
        try:
            parser(args)
        except sp.DmParseError:
            pass


@FAST
@given(st.lists(st.text(max_size=60), max_size=8).map("\n".join))
def test_dm_lines_parser_never_raises(text):
    sp.parse_dm_lines(text, sp.parse_multipath_table)
    sp.parse_dm_lines(text, sp.parse_multipath_status)
    sp.parse_dm_info(text)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=6),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["maps", "map", "name", "path_groups", "paths", "dev", "dm_st", "uuid"]),
                        inner, max_size=4), max_leaves=20)


@FAST
@given(st.one_of(JSON.map(json.dumps), st.text(max_size=80)))
def test_multipathd_json_parser_raises_only_value_error(text):
    try:
        sp.parse_multipathd_json(text)
    except ValueError:
        pass


def test_multipathd_json_deep_nesting_is_a_value_error():
    for text in ("[" * 1500 + "]" * 1500, '{"maps": ' + "[" * 100000 + "]" * 100000 + "}"):
        try:
            sp.parse_multipathd_json(text)
        except ValueError as exc:
            assert "maps" in str(exc) or "deeply" in str(exc)
        else:
            raise AssertionError("accepted")


# -- issue 27 item 14: edits against how the daemons read the files: CR endings, unterminated lines, Latin-1 --------

CR_ISCSI = ISCSI_WORDS + ["\r", " \r", "auto\r", "\udce9", "# caf\udce9", "x = 1"]


@FAST
@given(st.lists(st.sampled_from(CR_ISCSI), max_size=40).map("".join),
       st.sampled_from(["node.session.scan", "node.startup"]), st.sampled_from(["manual", "auto"]))
def test_kv_set_changes_what_iscsid_reads_of_that_key_only(text, key, value):
    doc = kv.parse(text)
    before = doc.items()
    doc.set(key, value)
    out = doc.render()
    again = kv.parse(out)
    assert again.get(key) == value
    after = again.items()
    after.pop(key, None)
    before.pop(key, None)
    assert after == before  # every other key reads as before (an unread last line stays unread)
    assert again.set(key, value) == "unchanged" and again.render() == out
    # every line that is not about the key is kept byte for byte, in order
    kept = iter(split_lines(out))
    for raw in split_lines(text):
        if kv.KVLine(raw).key != key:
            assert any(raw == other for other in kept), (raw, out)


# what open-iscsi's idbm_recinfo_config reads, written apart from kv_config so that the editor is not checked
# against its own reading: fgets lines (cut after each LF only: CR, VT, FF, \x1c-\x1e, \x85, \u2028 are
# characters of the line, unlike for str.splitlines), a last line without LF and a line holding a NUL skipped,
# stripped of C white space, blank and '#'/';' lines skipped; the name ends at the first white space or '=', which
# is consumed, and a '=' must follow; the last line read wins
_C_SPACE = " \t\n\v\f\r"
_IDBM_LINE = re.compile(r"([^ \t\n\v\f\r=]+)[ \t\n\v\f\r=][ \t\n\v\f\r]*=[ \t\n\v\f\r]*(.+)\Z", re.S)


def iscsid_reads(text):
    out = {}
    for line in text.split("\n")[:-1]:
        line = line.strip(_C_SPACE)
        if "\x00" in line or not line or line[0] in "#;":
            continue
        m = _IDBM_LINE.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


# whole lines: a setting or a commented one, with or without a note, ended by LF, CRLF, a bare CR, nothing (the last
# line) or a character str.splitlines breaks at and fgets does not
ISCSI_LINES = st.lists(st.tuples(
    st.sampled_from(["", "#", "# ", " ", "\t", "\r"]), st.sampled_from(["node.session.scan", "node.startup", "x"]),
    st.sampled_from([" = ", "=", " ="]), st.sampled_from(["auto", "manual", "automatic", ""]),
    st.sampled_from(["", " # trailing", "\t#n", " #\r"]),
    st.sampled_from(["\n", "\r\n", "\r", "", "\x0c", "\x85\n", "\u2028", "\r\r\n"])).map("".join),
    max_size=8).map("".join)
LINE_BREAKS_OF_SPLITLINES = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@FAST
@example("node.session.scan = auto # trailing\r", "node.session.scan", "manual")
@given(st.one_of(st.lists(st.sampled_from(CR_ISCSI + LINE_BREAKS_OF_SPLITLINES), max_size=40).map("".join),
                 ISCSI_LINES),
       st.sampled_from(["node.session.scan", "node.startup"]), st.sampled_from(["manual", "auto"]))
def test_kv_set_is_read_by_iscsid_and_a_second_set_changes_nothing(text, key, value):
    """A set() that open-iscsi does not read: the new line glued behind a kept comment by a bare CR (fgets splits at
    LF only, so '# trailing\rkey = v' is one comment line), and a second run that adds the line again."""
    doc = kv.parse(text)
    doc.set(key, value)
    out = doc.render()
    read = iscsid_reads(out)
    assert read.get(key) == value, (text, out)
    before = iscsid_reads(text)
    read.pop(key)
    before.pop(key, None)
    assert read == before, (text, out)  # every other key reads as before
    again = kv.parse(out)
    assert again.set(key, value) == "unchanged" and again.render() == out, (text, out)


MP_CR_WORDS = MP_WORDS + [" \r", "\r", "\udce9", "# caf\udce9"]


@FAST
@given(st.lists(st.sampled_from(MP_CR_WORDS + [" ", "\n", "\t", "\r\n", "\n"]), max_size=60).map("".join))
def test_multipath_fix_keeps_every_line_the_daemon_reads(text):
    try:
        doc = judge_multipath_parse.parse(text)
    except judge_multipath_parse.ParseError:
        return
    out = judge_multipath_parse.render(judge_multipath_fix.plan_fix(doc, NETAPP_TARGETS, FIX_REC)[0])

    def read(t):  # the token lines multipath-tools reads (read_line + alloc_strvec), blank ones included
        return [[tok[1] for tok in judge_multipath_parse.tokenize(judge_multipath_parse.daemon_content(raw))[0]] for raw in split_lines(t)]
    kept = iter(read(out))
    for tokens in read(text):
        assert any(other == tokens or (tokens and tokens[0] in FIX_REC and other[:1] == tokens[:1]) for other in kept), \
            (text, out, tokens)
    # blank and comment lines survive byte for byte (an unterminated last one may gain its newline)
    kept = iter(split_lines(out))
    for raw in split_lines(text):
        if not judge_multipath_parse.tokenize(judge_multipath_parse.daemon_content(raw))[0]:
            assert any(other == raw or (not raw.endswith("\n") and other in (raw + "\n", raw + "\r\n"))
                       for other in kept), (text, out, raw)


def multipathd_lines(text):
    """What multipath-tools' read_line keeps of each line, written apart from multipath_parse: fgets cuts at LF only,
    then strtok(buf, "\\n\\r") ends the line at its first CR or LF after any leading ones (a NUL ends it too)."""
    out = []
    for line in text.split("\n"):
        line = line.split("\x00", 1)[0]
        lead = len(line) - len(line.lstrip("\r"))
        cut = line.find("\r", lead)
        out.append(line if cut < 0 else line[:cut])
    return out


@FAST
@example("defaults {\n    polling_interval 5\n}\r")
@example("devices {\n}\n# note\r")
@given(st.lists(st.sampled_from(MP_CR_WORDS + [" ", "\n", "\t", "\r\n", "\n"]), max_size=60).map("".join))
def test_multipath_fix_writes_no_line_multipathd_cuts_at_a_cr(text):
    """A line the fix writes that multipathd reads only up to a CR before it (the new setting glued behind the bare
    CR of an unterminated last line, as iscsid_conf once did): every line the fix adds is read whole."""
    try:
        doc = judge_multipath_parse.parse(text)
    except judge_multipath_parse.ParseError:
        return
    out = judge_multipath_parse.render(judge_multipath_fix.plan_fix(doc, NETAPP_TARGETS, FIX_REC)[0])
    before = set(text.split("\n"))
    read = multipathd_lines(out)
    for raw, kept in zip(out.split("\n"), read):
        if raw not in before and raw.strip(" \t\r"):
            assert kept == raw.rstrip("\r"), (text, out, raw)
