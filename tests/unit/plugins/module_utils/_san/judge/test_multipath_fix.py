# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/multipath_fix.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

import pytest
from hypothesis import example, given, strategies as st

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import split_lines
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    multipath_fix as judge_multipath_fix, multipath_parse as judge_multipath_parse)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    FAST, FIX_REC, MP_WORDS, NETAPP_TARGETS, REC, read)


@pytest.mark.parametrize("sections,after", [
    (["2000"], ["30000"]),
    (["60000"], ["60000"]),
    (["30000"], ["30000"]),
    (["60000", "2000"], ["60000", "30000"]),  # the later section wins in multipath-tools: only it is raised
])
def test_fix_raises_a_short_uxsock_timeout_and_keeps_a_longer_one(sections, after):
    """Fails when the fix does not raise a short uxsock_timeout in the section read, or lowers a longer one."""
    text = "".join("defaults {\n\tuxsock_timeout %s\n}\n" % v for v in sections)
    rec = {"no_path_retry": None, "dev_loss_tmo": None, "recheck_wwid": None, "flush_on_last_del": None,
           "find_multipaths": None, "uxsock_timeout": "30000"}
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, rec)
    assert [sec.get("uxsock_timeout") for sec in new.sections("defaults")] == after
    assert [(c["before"], c["after"]) for c in changes] == [
        (b, a) for b, a in zip(sections, after) if b != a]


# ----------------------------------------------------------------------------- plan

def test_fix_of_an_absent_file_creates_a_netapp_device_entry():
    """Fails when fixing an absent multipath.conf does not write the NETAPP device entry and defaults."""
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_fix.new_document(), NETAPP_TARGETS, REC)
    text = judge_multipath_parse.render(new)
    assert text == judge_multipath_fix.NEW_FILE_HEADER + (
        "devices {\n"
        "    # " + judge_multipath_fix.FIX_COMMENT + "\n"
        "    device {\n"
        '        vendor "NETAPP"\n'
        '        product "LUN"\n'
        "        no_path_retry 30\n"
        "        dev_loss_tmo 60\n"
        "    }\n"
        "}\n"
        "defaults {\n"
        "    recheck_wwid yes\n"
        "}\n")
    assert [(c["scope"], c["key"], c["after"]) for c in changes] == [
        ('devices/device[vendor="NETAPP",product="LUN"]', "no_path_retry", "30"),
        ('devices/device[vendor="NETAPP",product="LUN"]', "dev_loss_tmo", "60"),
        ("defaults", "recheck_wwid", "yes")]
    # the result parses strictly and a second plan changes nothing
    again, changes2 = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, REC)
    assert changes2 == [] and judge_multipath_parse.render(again) == text


def test_fix_of_the_netapp_recommended_file_edits_its_entry_in_place():
    """Fails when fixing NetApp's recommended file adds an entry or changes lines beyond the fixed ones."""
    text = read("multipath.conf.netapp")
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, REC)
    out = judge_multipath_parse.render(new)
    assert '        features                "2 pg_init_retries 50"\n' in out
    assert "        no_path_retry           30\n" in out
    assert "        dev_loss_tmo            60\n" in out
    assert out.count("device {") == 1  # the existing LUN.* entry was reused, none added
    assert '    wwid    "3600508b1001c3ad4e9d3d5c6a8a1b2c3"   # local RAID volume\n' in out
    assert "    polling_interval      5\n    recheck_wwid yes\n}" in out
    # only the intended lines differ
    removed = [l for l in difflib.ndiff(text.splitlines(), out.splitlines()) if l.startswith("- ")]
    added = [l for l in difflib.ndiff(text.splitlines(), out.splitlines()) if l.startswith("+ ")]
    assert len(removed) == 3 and len(added) == 4
    assert len(changes) == 4


def test_fix_of_overrides_and_multipaths_keeps_comments_and_missing_final_newline():
    """Fails when fixing overrides and multipaths loses comments, or is not idempotent."""
    text = read("multipath.conf.overrides")
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, REC)
    out = judge_multipath_parse.render(new)
    assert "    no_path_retry   30     ! keep I/O on an ISSU\n" in out
    assert "    dev_loss_tmo 60\n" in out
    assert '\t\tfeatures "0"\n' in out
    assert "\trecheck_wwid yes\n" in out
    assert "! a hand-written file" in out
    assert out.endswith("# trailing comment, no final newline\n" + out.split("# trailing comment, no final newline\n")[1])
    assert 'devices {\n    # ' + judge_multipath_fix.FIX_COMMENT + '\n    device {\n        vendor "NETAPP"\n' in out
    judge_multipath_parse.parse(out)  # still valid
    assert judge_multipath_fix.plan_fix(judge_multipath_parse.parse(out), NETAPP_TARGETS, REC)[1] == []
    scopes = sorted(set(c["scope"] for c in changes))
    assert scopes == ['defaults', 'devices/device[vendor="NETAPP",product="LUN"]',
                      'multipaths/multipath[wwid="3600a098038314c674d245634776153700"]', 'overrides']


def test_fix_in_overrides_scope():
    """Fails when a fix asked for the overrides scope writes the values elsewhere."""
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(read("multipath.conf.ubuntu")), NETAPP_TARGETS, REC, scope="overrides")
    out = judge_multipath_parse.render(new)
    assert out.startswith("defaults {\n    user_friendly_names yes\n    recheck_wwid yes\n}\n")
    assert "overrides {\n    no_path_retry 30\n    dev_loss_tmo 60\n}\n" in out


def test_fix_of_the_rhel_file_keeps_blacklist_exceptions_and_tab_indent():
    """Fails when fixing the RHEL file loses its blacklist exceptions or indent, or misses a blacklisted WWID."""
    text = read("multipath.conf.rhel")
    new = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, REC, blacklist_wwids=["35000c500a1b2c3d4"])[0]
    out = judge_multipath_parse.render(new)
    assert out.startswith(text.split("defaults {")[0])
    assert '\tenable_foreign "^$"\n\trecheck_wwid yes\n}' in out
    assert 'blacklist {\n    wwid "35000c500a1b2c3d4"\n}' in out
    assert '        property "(SCSI_IDENT_|ID_WWN)"\n' in out


def test_plan_does_not_touch_the_input_document():
    """Fails when planning a fix changes the document it was given."""
    doc = judge_multipath_parse.parse(read("multipath.conf.netapp"))
    before = judge_multipath_parse.render(doc)
    judge_multipath_fix.plan_fix(doc, NETAPP_TARGETS, REC)
    assert judge_multipath_parse.render(doc) == before


def test_recommended_none_leaves_keys_alone():
    """Fails when a key recommended as None is changed by the fix."""
    rec = dict(REC, dev_loss_tmo=None, recheck_wwid=None)
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(read("multipath.conf.netapp")), NETAPP_TARGETS, rec)
    assert "dev_loss_tmo            infinity" in judge_multipath_parse.render(new)
    assert [c["key"] for c in changes] == ["no_path_retry", "features"]


MP_CR_WORDS = MP_WORDS + [" \r", "\r", "\udce9", "# caf\udce9"]


@FAST
@given(st.lists(st.sampled_from(MP_CR_WORDS + [" ", "\n", "\t", "\r\n", "\n"]), max_size=60).map("".join))
def test_multipath_fix_keeps_every_line_the_daemon_reads(text):
    """Fails when the fix drops or changes a line multipathd reads other than the fixed keys."""
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
