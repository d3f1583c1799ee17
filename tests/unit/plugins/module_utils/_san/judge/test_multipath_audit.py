# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/multipath_audit.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import given, strategies as st

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    multipath_audit as judge_multipath_audit, multipath_fix as judge_multipath_fix,
    multipath_parse as judge_multipath_parse)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    FAST, FIX_REC, MP_WORDS, NETAPP_TARGETS, REC, read, texts)


def test_tolerant_parser_keeps_going():
    """Fails when the tolerant parser stops at a bad section or does not render the text back."""
    doc = judge_multipath_parse.parse("defaults { x }\ndefaults {\n  polling_interval 3\n}\n}\n", strict=False)
    assert judge_multipath_audit.to_dict(doc)["defaults"] == {"polling_interval": "3"}
    assert judge_multipath_parse.render(doc) == "defaults { x }\ndefaults {\n  polling_interval 3\n}\n}\n"


# ----------------------------------------------------------------------------- structure

def test_show_config_structure():
    """Fails when multipathd 0.9.4's show config is not read into its sections and entries."""
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse(read("multipathd-show-config-0.9.4.txt"), strict=False))
    assert "no_path_retry" not in eff["defaults"]  # unset in defaults: 0.9.4 does not print it
    assert eff["defaults"]["find_multipaths"] == "off"
    netapp = [d for d in eff["devices"] if d["vendor"] == "NETAPP"]
    assert netapp == [{"vendor": "NETAPP", "product": "LUN", "features": "2 pg_init_retries 50",
                       "path_grouping_policy": "group_by_prio", "prio": "ontap", "failback": "immediate",
                       "no_path_retry": "queue", "flush_on_last_del": "yes", "dev_loss_tmo": "infinity",
                       "user_friendly_names": "no"}]
    # E-Series shares the vendor regex but not the product: not an ONTAP entry
    assert [d["product"] for d in eff["devices"] if judge_multipath_audit.entry_matches(d, "NETAPP", "LUN C-Mode")] == ["LUN"]
    # the lab's own LIO-ORG entry follows the built-in "(LIO-ORG|SUSE)" one
    assert [d.get("no_path_retry") for d in eff["devices"] if "LIO-ORG" in d["vendor"]] == ["12", "fail"]
    assert eff["blacklist"]["devnode"] == ["^vd[a-z]", "!^(sd[a-z]|dasd[a-z]|nvme[0-9])"]
    assert eff["blacklist_exceptions"]["property"] == ["(SCSI_IDENT_|ID_WWN)"]
    assert eff["overrides"] == {} and eff["multipaths"] == []


def test_file_structure_with_comments_and_odd_spacing():
    """Fails when a multipath.conf with comments and odd spacing is not read into its sections."""
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse(read("multipath.conf.overrides")))
    assert eff["defaults"] == {"user_friendly_names": "no", "find_multipaths": "greedy", "recheck_wwid": "no"}
    assert eff["overrides"] == {"no_path_retry": "queue", "dev_loss_tmo": "infinity"}
    assert eff["multipaths"][0]["features"] == "1 queue_if_no_path"
    assert eff["blacklist_exceptions"]["device"] == [{"vendor": "NETAPP", "product": "LUN"}]


def test_entry_matching_uses_regexes_and_spots_catch_alls():
    """Fails when device entries are not matched by regex, or a catch-all counts as specific."""
    assert judge_multipath_audit.entry_matches({"vendor": "NETAPP", "product": "LUN"}, "NETAPP", "LUN C-Mode")
    assert judge_multipath_audit.entry_matches({"vendor": "NETAPP", "product": "LUN.*"}, "NETAPP", "LUN")
    assert not judge_multipath_audit.entry_matches({"vendor": "NVME", "product": "^NetApp ONTAP Controller"}, "NETAPP", "LUN")
    assert judge_multipath_audit.entry_matches({"vendor": ".*", "product": ".*"}, "NETAPP", "LUN")
    assert not judge_multipath_audit.entry_is_specific({"vendor": ".*", "product": ".*"}, "NETAPP", "LUN")
    assert judge_multipath_audit.entry_is_specific({"vendor": "^NETAPP$", "product": "LUN"}, "NETAPP", "LUN")


@pytest.mark.parametrize("before,after", [
    ("3 queue_if_no_path pg_init_retries 50", "2 pg_init_retries 50"),
    ("1 queue_if_no_path", "0"),
    ("2 pg_init_retries 50", None),
    ("0", None),
])
def test_features_without_queueing(before, after):
    """Fails when queue_if_no_path is not removed from a features string with its count fixed."""
    assert judge_multipath_audit.features_without_queueing(before) == after


# ----------------------------------------------------------------------------- judge

def _checks(findings, active_only=True):
    return sorted((f["check"], f["scope"]) for f in findings
                  if f["check"] != "find_multipaths" and (not active_only or not f["shadowed"]))


def test_audit_of_debian_without_file_finds_the_netapp_builtin():
    """Fails when the audit of a host without multipath.conf misses the built-in NETAPP entry's settings."""
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse(read("multipathd-show-config-0.9.4.txt"), strict=False))
    findings, resolved = judge_multipath_audit.audit(eff, NETAPP_TARGETS, REC, file_eff=judge_multipath_audit.to_dict(judge_multipath_parse.parse("")))
    scope = 'devices/device[vendor="NETAPP",product="LUN"]'
    assert _checks(findings) == [("dev_loss_tmo_infinity", scope), ("no_path_retry_queue", scope),
                                 ("recheck_wwid_off", "defaults")]
    f = [x for x in findings if x["check"] == "no_path_retry_queue"][0]
    assert f["value"] == "queue" and f["recommended"] == "30" and f["in_file"] is False and f["fixable"]
    assert resolved["NETAPP/LUN"]["no_path_retry"] == {"value": "queue", "scope": scope}
    fm = [x for x in findings if x["check"] == "find_multipaths"][0]
    assert fm["value"] == "off" and fm["severity"] == "info"


def test_audit_marks_a_builtin_shadowed_by_a_later_user_entry():
    """Fails when a built-in entry shadowed by a later user entry is still reported."""
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse(read("multipathd-show-config-0.9.4.txt"), strict=False))
    eff["devices"].append({"vendor": "NETAPP", "product": "LUN.*", "no_path_retry": "30", "dev_loss_tmo": "60"})
    eff["defaults"]["recheck_wwid"] = "yes"
    findings, resolved = judge_multipath_audit.audit(eff, NETAPP_TARGETS, REC)
    assert _checks(findings) == []
    assert sorted(f["check"] for f in findings if f["shadowed"]) == ["dev_loss_tmo_infinity", "no_path_retry_queue"]
    assert resolved["NETAPP/LUN"]["no_path_retry"]["value"] == "30"


def test_audit_of_overrides_and_multipaths():
    """Fails when queueing set in overrides or a multipaths entry is not found."""
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse(read("multipath.conf.overrides")))
    findings = judge_multipath_audit.audit(eff, NETAPP_TARGETS, REC)[0]
    assert _checks(findings) == [
        ("dev_loss_tmo_infinity", "overrides"),
        ("features_queue_if_no_path", 'multipaths/multipath[wwid="3600a098038314c674d245634776153700"]'),
        ("no_path_retry_queue", "overrides"),
        ("recheck_wwid_off", "defaults"),
    ]
    feat = [f for f in findings if f["check"] == "features_queue_if_no_path"][0]
    assert feat["recommended"] == "0"


def test_audit_without_recheck_wwid_support():
    """Fails when a multipath-tools without recheck_wwid is not warned about."""
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse("defaults {\n no_path_retry 30\n}\n"))
    findings = judge_multipath_audit.audit(eff, NETAPP_TARGETS, REC, recheck_supported=False)[0]
    assert [f["check"] for f in findings if f["severity"] == "warning"] == ["recheck_wwid_unsupported"]


@pytest.mark.parametrize("defaults,finding", [
    ("uxsock_timeout 4000", ("4000", "30000")),
    ("uxsock_timeout 30000", None),
    ("uxsock_timeout 60000", None),
    ("uxsock_timeout 4s", ("4s", "30000")),  # not a number multipath-tools reads: not proof of anything
    ("polling_interval 5", (None, "30000")),
])
def test_audit_of_uxsock_timeout_against_the_asked_minimum(defaults, finding):
    """Fails when uxsock_timeout is judged wrongly against the asked minimum, or judged when not asked."""
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse("defaults {\n %s\n}\n" % defaults))
    findings = judge_multipath_audit.audit(eff, NETAPP_TARGETS, dict(REC, uxsock_timeout="30000"))[0]
    got = [(f["value"], f["recommended"]) for f in findings if f["check"] == "uxsock_timeout_short"]
    assert got == ([finding] if finding else [])
    assert "uxsock_timeout" not in [f["key"] for f in judge_multipath_audit.audit(eff, NETAPP_TARGETS, REC)[0]]  # not asked: not judged
    unsupported = judge_multipath_audit.audit(eff, NETAPP_TARGETS, dict(REC, uxsock_timeout="30000"), uxsock_supported=False)[0]
    assert [f["check"] for f in unsupported if f["key"] == "uxsock_timeout"] == ["uxsock_timeout_unsupported"]


def test_fix_adds_uxsock_timeout_to_a_file_without_defaults():
    """Fails when the fix cannot add uxsock_timeout to a file without a defaults section."""
    rec = {"no_path_retry": None, "dev_loss_tmo": None, "recheck_wwid": None, "flush_on_last_del": None,
           "find_multipaths": None, "uxsock_timeout": "30000"}
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_fix.new_document(), NETAPP_TARGETS, rec)
    assert changes == [{"scope": "defaults", "key": "uxsock_timeout", "before": None, "after": "30000"}]
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(judge_multipath_parse.render(new)))["defaults"] == {"uxsock_timeout": "30000"}


# -- what multipath-tools reads (libmpathutil/parser.c alloc_strvec, read_line; libmultipath/config.c) ---

BOUNDS = {"no_path_retry": "30", "dev_loss_tmo": "60"}


@pytest.mark.parametrize("line, value", [
    ("no_path_retry queue#by ops", "queue"),
    ("no_path_retry queue!x", "queue"),
    ('no_path_retry "queue#x"', "queue#x"),
    ('alias "a""b"', 'a"b'),
    ('alias ""', ""),
    ("no_path_retry\x0bqueue", "queue"),
    ("no_path_retry\xa0queue", "queue"),  # a non-ASCII byte separates tokens
    ("no_path_retry queue\rfail", "queue"),  # read_line ends the line at CR
    ("no_path_retry queue\x00junk", "queue"),
])
def test_values_are_read_as_multipath_tools_reads_them(line, value):
    """Fails when a value is read otherwise than multipath-tools reads it, or not rendered back."""
    doc = judge_multipath_parse.parse("defaults {\n%s\n}\n" % line)
    assert judge_multipath_audit.to_dict(doc)["defaults"]["alias" if line.startswith("alias") else "no_path_retry"] == value
    assert judge_multipath_parse.render(doc) == "defaults {\n%s\n}\n" % line


def test_cr_vt_ff_are_not_line_breaks():
    """Fails when CR, VT or FF end a line, which multipath-tools does not do."""
    text = "defaults {\n polling_interval 5\r no_path_retry queue\n\x0c\n}\n"
    doc = judge_multipath_parse.parse(text)
    assert judge_multipath_audit.to_dict(doc)["defaults"] == {"polling_interval": "5"} and judge_multipath_parse.render(doc) == text


def test_glued_comment_fix_keeps_the_comment_a_comment():
    """Fails when fixing a value with a glued comment makes the comment part of the value."""
    doc = judge_multipath_parse.parse('devices {\n device {\n  vendor "NETAPP"\n  product "LUN"\n  no_path_retry queue#by ops\n }\n}\n')
    new, changes = judge_multipath_fix.plan_fix(doc, NETAPP_TARGETS, BOUNDS)
    text = judge_multipath_parse.render(new)
    assert "  no_path_retry 30 #by ops\n" in text
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(text))["devices"][-1]["no_path_retry"] == "30"


def test_device_without_product_is_dropped_and_gets_a_proper_entry():
    """Fails when a device entry without product is edited or matched instead of a proper entry added."""
    text = 'devices {\n    device {\n        vendor "NETAPP"\n        no_path_retry queue\n    }\n}\n'
    assert not judge_multipath_audit.entry_matches({"vendor": "NETAPP"}, "NETAPP", "LUN")
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, BOUNDS)
    out = judge_multipath_parse.render(new)
    assert out.startswith(text[:-2])  # the dropped entry stays as it was
    devices = judge_multipath_audit.to_dict(judge_multipath_parse.parse(out))["devices"]
    assert devices[0] == {"vendor": "NETAPP", "no_path_retry": "queue"}
    assert devices[1] == {"vendor": "NETAPP", "product": "LUN", "no_path_retry": "30", "dev_loss_tmo": "60"}


def test_bare_sublevel_keyword_enters_its_section_but_bare_overrides_is_refused():
    """Fails when a bare section keyword is read otherwise than multipathd reads it."""
    doc = judge_multipath_parse.parse("defaults\n{\n  polling_interval 10\n}\n")
    assert judge_multipath_audit.to_dict(doc)["defaults"] == {"polling_interval": "10"}
    with pytest.raises(judge_multipath_parse.ParseError) as err:
        judge_multipath_parse.parse("overrides\n{\n  no_path_retry queue\n}\n")
    assert err.value.lineno == 1 and "same line" in str(err.value)
    # what the daemon does with it: the overrides body is not an overrides section
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse("overrides\n{\n  no_path_retry queue\n}\n", strict=False))["overrides"] == {}


@pytest.mark.parametrize("key, value", [("no_path_retry", "16"), ("no_path_retry", "fail"), ("dev_loss_tmo", "30")])
def test_bounded_values_are_left_alone(key, value):
    """Fails when the fix changes a value already within the bounds."""
    text = ('devices {\n    device {\n        vendor "NETAPP"\n        product "LUN"\n        %s %s\n'
            '    }\n}\n' % (key, value))
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, BOUNDS)
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(judge_multipath_parse.render(new)))["devices"][0][key] == value
    assert not [c for c in changes if c["key"] == key]
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse("overrides {\n  %s %s\n}\n" % (key, value)),
                                                NETAPP_TARGETS, BOUNDS, scope="overrides")
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(judge_multipath_parse.render(new)))["overrides"][key] == value


# -- multipath.conf -------------------------------------------------------------------------------

@FAST
@given(texts(MP_WORDS))
def test_multipath_parse_is_total_and_round_trips(text):
    """Fails when the multipath.conf parser raises other than ParseError or does not render text back."""
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
    """Fails when a fixed file does not parse, the fix is not idempotent, or the result still queues."""
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
    """Fails when values written into a multipath.conf do not read back as written."""
    doc = judge_multipath_fix.new_document()
    sec = doc.add_section("defaults")
    want = {}
    for key, value in pairs:
        sec.set(key, value)
        want[key] = value
    text = judge_multipath_parse.render(doc)
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(text))["defaults"] == want
