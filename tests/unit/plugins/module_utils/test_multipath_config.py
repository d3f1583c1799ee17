# -*- coding: utf-8 -*-
import difflib
import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_config as mc
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_audit as judge_multipath_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_fix as judge_multipath_fix
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_parse as judge_multipath_parse
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import parse as sp

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "config")
NETAPP_TARGETS = [{"vendor": "NETAPP", "product": "LUN"}]
REC = {"no_path_retry": "30", "dev_loss_tmo": "60", "recheck_wwid": "yes",
       "flush_on_last_del": None, "find_multipaths": None}
GOOD_FILES = ["multipath.conf.rhel", "multipath.conf.ubuntu", "multipath.conf.netapp",
              "multipath.conf.overrides", "multipathd-show-config-0.9.4.txt"]


def read(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read().decode("utf-8")


# ----------------------------------------------------------------------------- round trip

@pytest.mark.parametrize("name", GOOD_FILES)
def test_round_trip_is_byte_identical(name):
    text = read(name)
    assert judge_multipath_parse.render(judge_multipath_parse.parse(text)) == text


@pytest.mark.parametrize("name", GOOD_FILES)
def test_round_trip_with_crlf(name):
    text = read(name).replace("\n", "\r\n")
    assert judge_multipath_parse.render(judge_multipath_parse.parse(text)) == text


def test_round_trip_of_edge_cases():
    for text in ["", "\n", "# only a comment", "defaults {\n}", "defaults {\n}\n\n\n",
                 "defaults\n\n{\n  polling_interval 10\n}\n", "defaults {   # c\n\tx \"a b\"  ! c\n}  # end\n"]:
        assert judge_multipath_parse.render(judge_multipath_parse.parse(text)) == text


@pytest.mark.parametrize("name,line", [("multipath.conf.broken", 5), ("multipath.conf.oneline", 1)])
def test_strict_parser_refuses_what_it_cannot_represent(name, line):
    with pytest.raises(judge_multipath_parse.ParseError) as info:
        judge_multipath_parse.parse(read(name))
    assert info.value.lineno == line


@pytest.mark.parametrize("text", ["}\n", "defaults {\n", "defaults\n", "defaults {\n x 1\n}}\n", 'a "b\n', "{\n"])
def test_strict_parser_refuses_unbalanced_input(text):
    with pytest.raises(judge_multipath_parse.ParseError):
        judge_multipath_parse.parse(text)


def test_tolerant_parser_keeps_going():
    doc = judge_multipath_parse.parse("defaults { x }\ndefaults {\n  polling_interval 3\n}\n}\n", strict=False)
    assert judge_multipath_audit.to_dict(doc)["defaults"] == {"polling_interval": "3"}
    assert judge_multipath_parse.render(doc) == "defaults { x }\ndefaults {\n  polling_interval 3\n}\n}\n"


# ----------------------------------------------------------------------------- structure

def test_show_config_structure():
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
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse(read("multipath.conf.overrides")))
    assert eff["defaults"] == {"user_friendly_names": "no", "find_multipaths": "greedy", "recheck_wwid": "no"}
    assert eff["overrides"] == {"no_path_retry": "queue", "dev_loss_tmo": "infinity"}
    assert eff["multipaths"][0]["features"] == "1 queue_if_no_path"
    assert eff["blacklist_exceptions"]["device"] == [{"vendor": "NETAPP", "product": "LUN"}]


def test_entry_matching_uses_regexes_and_spots_catch_alls():
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
    assert judge_multipath_audit.features_without_queueing(before) == after


# ----------------------------------------------------------------------------- judge

def _checks(findings, active_only=True):
    return sorted((f["check"], f["scope"]) for f in findings
                  if f["check"] != "find_multipaths" and (not active_only or not f["shadowed"]))


def test_audit_of_debian_without_file_finds_the_netapp_builtin():
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
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse(read("multipathd-show-config-0.9.4.txt"), strict=False))
    eff["devices"].append({"vendor": "NETAPP", "product": "LUN.*", "no_path_retry": "30", "dev_loss_tmo": "60"})
    eff["defaults"]["recheck_wwid"] = "yes"
    findings, resolved = judge_multipath_audit.audit(eff, NETAPP_TARGETS, REC)
    assert _checks(findings) == []
    assert sorted(f["check"] for f in findings if f["shadowed"]) == ["dev_loss_tmo_infinity", "no_path_retry_queue"]
    assert resolved["NETAPP/LUN"]["no_path_retry"]["value"] == "30"


def test_audit_of_overrides_and_multipaths():
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
    eff = judge_multipath_audit.to_dict(judge_multipath_parse.parse("defaults {\n %s\n}\n" % defaults))
    findings = judge_multipath_audit.audit(eff, NETAPP_TARGETS, dict(REC, uxsock_timeout="30000"))[0]
    got = [(f["value"], f["recommended"]) for f in findings if f["check"] == "uxsock_timeout_short"]
    assert got == ([finding] if finding else [])
    assert "uxsock_timeout" not in [f["key"] for f in judge_multipath_audit.audit(eff, NETAPP_TARGETS, REC)[0]]  # not asked: not judged
    unsupported = judge_multipath_audit.audit(eff, NETAPP_TARGETS, dict(REC, uxsock_timeout="30000"), uxsock_supported=False)[0]
    assert [f["check"] for f in unsupported if f["key"] == "uxsock_timeout"] == ["uxsock_timeout_unsupported"]


@pytest.mark.parametrize("sections,after", [
    (["2000"], ["30000"]),
    (["60000"], ["60000"]),
    (["30000"], ["30000"]),
    (["60000", "2000"], ["60000", "30000"]),  # the later section wins in multipath-tools: only it is raised
])
def test_fix_raises_a_short_uxsock_timeout_and_keeps_a_longer_one(sections, after):
    text = "".join("defaults {\n\tuxsock_timeout %s\n}\n" % v for v in sections)
    rec = {"no_path_retry": None, "dev_loss_tmo": None, "recheck_wwid": None, "flush_on_last_del": None,
           "find_multipaths": None, "uxsock_timeout": "30000"}
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, rec)
    assert [sec.get("uxsock_timeout") for sec in new.sections("defaults")] == after
    assert [(c["before"], c["after"]) for c in changes] == [
        (b, a) for b, a in zip(sections, after) if b != a]


def test_fix_adds_uxsock_timeout_to_a_file_without_defaults():
    rec = {"no_path_retry": None, "dev_loss_tmo": None, "recheck_wwid": None, "flush_on_last_del": None,
           "find_multipaths": None, "uxsock_timeout": "30000"}
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_fix.new_document(), NETAPP_TARGETS, rec)
    assert changes == [{"scope": "defaults", "key": "uxsock_timeout", "before": None, "after": "30000"}]
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(judge_multipath_parse.render(new)))["defaults"] == {"uxsock_timeout": "30000"}


# ----------------------------------------------------------------------------- plan

def test_fix_of_an_absent_file_creates_a_netapp_device_entry():
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
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(read("multipath.conf.ubuntu")), NETAPP_TARGETS, REC, scope="overrides")
    out = judge_multipath_parse.render(new)
    assert out.startswith("defaults {\n    user_friendly_names yes\n    recheck_wwid yes\n}\n")
    assert "overrides {\n    no_path_retry 30\n    dev_loss_tmo 60\n}\n" in out


def test_fix_of_the_rhel_file_keeps_blacklist_exceptions_and_tab_indent():
    text = read("multipath.conf.rhel")
    new = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, REC, blacklist_wwids=["35000c500a1b2c3d4"])[0]
    out = judge_multipath_parse.render(new)
    assert out.startswith(text.split("defaults {")[0])
    assert '\tenable_foreign "^$"\n\trecheck_wwid yes\n}' in out
    assert 'blacklist {\n    wwid "35000c500a1b2c3d4"\n}' in out
    assert '        property "(SCSI_IDENT_|ID_WWN)"\n' in out


def test_plan_does_not_touch_the_input_document():
    doc = judge_multipath_parse.parse(read("multipath.conf.netapp"))
    before = judge_multipath_parse.render(doc)
    judge_multipath_fix.plan_fix(doc, NETAPP_TARGETS, REC)
    assert judge_multipath_parse.render(doc) == before


def test_recommended_none_leaves_keys_alone():
    rec = dict(REC, dev_loss_tmo=None, recheck_wwid=None)
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(read("multipath.conf.netapp")), NETAPP_TARGETS, rec)
    assert "dev_loss_tmo            infinity" in judge_multipath_parse.render(new)
    assert [c["key"] for c in changes] == ["no_path_retry", "features"]


# ----------------------------------------------------------------------------- live maps

TABLE = """\
3600a0980383146354e2b4f2d5a6b7a31: 0 2097152 multipath 3 queue_if_no_path pg_init_retries 50 1 alua 1 1 service-time 0 2 1 8:16 1 8:32 1
3600a0980383146354e2b4f2d5a6b7a32: 0 2097152 multipath 1 pg_init_retries 50 0 1 1 service-time 0 1 1 8:48 1
36001405abcdef: 0 2097152 multipath 0 0 1 1 service-time 0 1 1 8:64 1
"""
SHOW_MAPS = """\
3600a0980383146354e2b4f2d5a6b7a31|3600a0980383146354e2b4f2d5a6b7a31|dm-0|on|2|NETAPP,LUN C-Mode,9800
3600a0980383146354e2b4f2d5a6b7a32|3600a0980383146354e2b4f2d5a6b7a32|dm-1|30 chk|1|NETAPP,LUN C-Mode,9800
"""


def test_live_maps_merge_daemon_and_table():
    maps = mc.live_maps(sp.parse_show_maps(SHOW_MAPS), sp.parse_dm_lines(TABLE, sp.parse_multipath_table)[0])
    assert [(m["name"][-2:], m["queueing"], m["queues_forever"], m["table_queue_if_no_path"]) for m in maps] == [
        ("ef", None, False, False), ("31", "on", True, True), ("32", "30 chk", False, False)]
    assert maps[1]["vendor"] == "NETAPP" and maps[1]["product"] == "LUN C-Mode"
    assert maps[1]["table_features"] == "queue_if_no_path pg_init_retries 50"


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
    doc = judge_multipath_parse.parse("defaults {\n%s\n}\n" % line)
    assert judge_multipath_audit.to_dict(doc)["defaults"]["alias" if line.startswith("alias") else "no_path_retry"] == value
    assert judge_multipath_parse.render(doc) == "defaults {\n%s\n}\n" % line


def test_cr_vt_ff_are_not_line_breaks():
    text = "defaults {\n polling_interval 5\r no_path_retry queue\n\x0c\n}\n"
    doc = judge_multipath_parse.parse(text)
    assert judge_multipath_audit.to_dict(doc)["defaults"] == {"polling_interval": "5"} and judge_multipath_parse.render(doc) == text


def test_glued_comment_fix_keeps_the_comment_a_comment():
    doc = judge_multipath_parse.parse('devices {\n device {\n  vendor "NETAPP"\n  product "LUN"\n  no_path_retry queue#by ops\n }\n}\n')
    new, changes = judge_multipath_fix.plan_fix(doc, NETAPP_TARGETS, BOUNDS)
    text = judge_multipath_parse.render(new)
    assert "  no_path_retry 30 #by ops\n" in text
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(text))["devices"][-1]["no_path_retry"] == "30"


def test_device_without_product_is_dropped_and_gets_a_proper_entry():
    text = 'devices {\n    device {\n        vendor "NETAPP"\n        no_path_retry queue\n    }\n}\n'
    assert not judge_multipath_audit.entry_matches({"vendor": "NETAPP"}, "NETAPP", "LUN")
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, BOUNDS)
    out = judge_multipath_parse.render(new)
    assert out.startswith(text[:-2])  # the dropped entry stays as it was
    devices = judge_multipath_audit.to_dict(judge_multipath_parse.parse(out))["devices"]
    assert devices[0] == {"vendor": "NETAPP", "no_path_retry": "queue"}
    assert devices[1] == {"vendor": "NETAPP", "product": "LUN", "no_path_retry": "30", "dev_loss_tmo": "60"}


def test_bare_sublevel_keyword_enters_its_section_but_bare_overrides_is_refused():
    doc = judge_multipath_parse.parse("defaults\n{\n  polling_interval 10\n}\n")
    assert judge_multipath_audit.to_dict(doc)["defaults"] == {"polling_interval": "10"}
    with pytest.raises(judge_multipath_parse.ParseError) as err:
        judge_multipath_parse.parse("overrides\n{\n  no_path_retry queue\n}\n")
    assert err.value.lineno == 1 and "same line" in str(err.value)
    # what the daemon does with it: the overrides body is not an overrides section
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse("overrides\n{\n  no_path_retry queue\n}\n", strict=False))["overrides"] == {}


@pytest.mark.parametrize("key, value", [("no_path_retry", "16"), ("no_path_retry", "fail"), ("dev_loss_tmo", "30")])
def test_bounded_values_are_left_alone(key, value):
    text = ('devices {\n    device {\n        vendor "NETAPP"\n        product "LUN"\n        %s %s\n'
            '    }\n}\n' % (key, value))
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse(text), NETAPP_TARGETS, BOUNDS)
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(judge_multipath_parse.render(new)))["devices"][0][key] == value
    assert not [c for c in changes if c["key"] == key]
    new, changes = judge_multipath_fix.plan_fix(judge_multipath_parse.parse("overrides {\n  %s %s\n}\n" % (key, value)), NETAPP_TARGETS, BOUNDS, scope="overrides")
    assert judge_multipath_audit.to_dict(judge_multipath_parse.parse(judge_multipath_parse.render(new)))["overrides"][key] == value


@pytest.mark.parametrize("strict", [True, False])
def test_deep_nesting_is_refused_not_a_recursion_error(strict):
    text = "devices {\n" * 300 + "}\n" * 300
    with pytest.raises(judge_multipath_parse.ParseError) as err:
        judge_multipath_parse.parse(text, strict=strict)
    assert "nested deeper" in str(err.value)


def test_overlong_line_is_refused_in_strict_mode():
    with pytest.raises(judge_multipath_parse.ParseError):
        judge_multipath_parse.parse("defaults {\n  alias %s\n}\n" % ("x" * 1100))


def test_tolerant_parser_keeps_order_after_a_bare_section_word():
    # found by hypothesis: a bare "defaults" followed by an unreadable line
    text = 'defaults\n"\n'
    assert judge_multipath_parse.render(judge_multipath_parse.parse(text, strict=False)) == text


# --- apply_plan: how the written settings reach multipathd (issue 27 item 2) ------------------------------------------

@pytest.mark.parametrize("state,daemon,keys,stale,pathless,force,action,failing", [
    ("present", "answers", [], [], ["m1"], False, "none", []),                       # nothing written for the daemon
    ("present", "answers", ["no_path_retry"], [], ["m1"], False, "reconfigure", []),  # an outage: reconfigure keeps queueing
    ("present", "answers", [], ["dev_loss_tmo"], [], False, "reconfigure", []),       # the daemon runs an older value
    ("present", "inactive", ["no_path_retry"], [], None, False, "start", []),         # nothing runs: starting is safe
    ("present", "unresponsive", ["no_path_retry"], [], [], False, "restart", []),
    ("present", "unresponsive", ["no_path_retry"], [], ["m1"], False, "refused", ["m1"]),
    ("present", "unresponsive", ["no_path_retry"], [], None, False, "refused",
     ["(unknown: neither multipathd nor dmsetup listed the maps)"]),
    ("present", "answers", [], ["uid_attrs"], ["m2", "m1"], False, "refused", ["m2", "m1"]),  # reconfigure keeps it
    ("present", "answers", [], ["uid_attrs"], [], False, "restart", []),
    ("restarted", "answers", [], [], ["m1"], False, "refused", ["m1"]),
    ("restarted", "answers", [], [], ["m1"], True, "restart", ["m1"]),
    ("restarted", "answers", [], [], [], False, "restart", []),
    ("restarted", "inactive", [], [], ["m1"], False, "start", []),
])
def test_apply_plan_never_stops_the_daemon_over_a_map_without_path(state, daemon, keys, stale, pathless, force,
                                                                   action, failing):
    plan = mc.apply_plan(state, daemon, keys, stale, pathless, {"restart": force, "queueing_change": False}, [])
    assert (plan["action"], plan["maps_failing_io"]) == (action, failing)
    if action == "refused":
        assert all(m in plan["reason"] for m in failing) and "force_restart" in plan["reason"]


def test_uxsock_timeout_is_a_client_only_setting():
    assert "uxsock_timeout" in mc.CLIENT_ONLY_KEYS and not mc.CLIENT_ONLY_KEYS & mc.RESTART_ONLY_KEYS


def test_maps_without_active_path_trusts_the_kernel_and_lists_the_unknown():
    maps = [{"name": "a", "active_paths": 2}, {"name": "b", "active_paths": 2}, {"name": "c", "active_paths": None},
            {"name": "d", "active_paths": 0}]
    status = {"b": {"groups": [{"state": "E", "paths": [{"dev": "8:16", "active": False, "fail_count": 1}]}]},
              "e": {"groups": [{"state": "A", "paths": [{"dev": "8:32", "active": True, "fail_count": 0}]}]}}
    # b: multipathd still counts 2, the kernel failed its only path; c: nobody can count it
    assert mc.maps_without_active_path(maps, status) == ["b", "c", "d"]
    assert mc.maps_without_active_path(None, None) is None
    assert mc.maps_without_active_path([], {}) == []


@pytest.mark.parametrize("daemon,force,action,failing", [
    ("answers", False, "deferred", ["m1"]),
    ("inactive", False, "deferred", ["m1"]),        # a start gives the maps their queueing as well
    ("answers", True, "reconfigure", ["m1"]),
    ("inactive", True, "start", ["m1"]),
])
def test_apply_plan_defers_a_reconfigure_or_start_that_changes_the_queueing_of_a_map_without_path(
        daemon, force, action, failing):
    """A reconfigure/start that gives a map with no active path another queueing is deferred unless forced (then the
    maps are named in maps_failing_io and in the warning); force_restart does not stand in for it."""
    change = [{"map": "m1", "before": "queue", "after": "fail", "io_fails_after": 0}]
    plan = mc.apply_plan("present", daemon, ["no_path_retry"], [], ["m1"], {"restart": True, "queueing_change": force},
                         change)
    assert (plan["action"], plan["maps_failing_io"]) == (action, failing)
    assert "m1 (queue -> fail: its queued I/O fails at once)" in (plan["warning"] if force else plan["reason"])
    # maps nobody could list: held as well
    unknown = mc.apply_plan("present", daemon, ["no_path_retry"], [], None, {"restart": False, "queueing_change": False},
                            None)
    assert unknown["action"] == "deferred" and unknown["maps_failing_io"] == [mc.UNKNOWN_MAPS]
