# -*- coding: utf-8 -*-
import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils import kv_config as kv

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "config")


def read(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read().decode("utf-8")


@pytest.mark.parametrize("name", ["iscsid.conf.debian12", "iscsid.conf.debian12-lab", "iscsiadm-node-record-2.1.8.txt"])
@pytest.mark.parametrize("crlf", [False, True])
def test_round_trip_is_byte_identical(name, crlf):
    text = read(name)
    if crlf:
        text = text.replace("\n", "\r\n")
    assert kv.parse(text).render() == text


@pytest.mark.parametrize("text", ["", "\n", "a=b", "  a  =  b  \n# c\n", "garbage line without equals\n", "=\n"])
def test_round_trip_edge_cases(text):
    assert kv.parse(text).render() == text


def test_get_and_items_follow_iscsid_last_wins():
    doc = kv.parse(read("iscsid.conf.debian12-lab"))
    assert doc.get("node.session.scan") == "automatic"
    assert doc.get("node.startup") == "manual"
    assert doc.get("node.session.auth.password") is None  # commented out
    assert doc.items()["node.conn[0].timeo.login_timeout"] == "5"


def test_set_rewrites_every_active_occurrence_only():
    text = read("iscsid.conf.debian12-lab")
    doc = kv.parse(text)
    assert doc.set("node.session.scan", "manual") == "modified"
    out = doc.render()
    assert out.count("node.session.scan = manual\n") == 2
    assert "node.session.scan = auto" not in out
    assert len(out.splitlines()) == len(text.splitlines())
    assert [a for a, b in zip(text.splitlines(), out.splitlines()) if a != b] == [
        "node.session.scan = auto", "node.session.scan = automatic"]
    assert kv.parse(out).set("node.session.scan", "manual") == "unchanged"


def test_set_activates_a_commented_default_in_place():
    text = read("iscsid.conf.debian12")
    doc = kv.parse(text)
    assert doc.set("node.session.auth.authmethod", "CHAP") == "activated"
    out = doc.render().splitlines()
    assert out[66] == "node.session.auth.authmethod = CHAP"
    assert len(out) == len(text.splitlines())


def test_set_keeps_spacing_and_appends_when_absent():
    doc = kv.parse("# hdr\nnode.startup=automatic\n  iscsid.safe_logout   =   Yes\nlast = 1")
    assert doc.set("node.startup", "manual") == "modified"
    assert doc.set("iscsid.safe_logout", "No") == "modified"
    assert doc.set("node.session.scan", "manual") == "added"
    assert doc.render() == ("# hdr\nnode.startup=manual\n  iscsid.safe_logout   =   No\nlast = 1\n"
                            "node.session.scan = manual\n")


def test_set_keeps_crlf():
    doc = kv.parse("a = 1\r\nb = 2\r\n")
    doc.set("c", "3")
    doc.set("a", "0")
    assert doc.render() == "a = 0\r\nb = 2\r\nc = 3\r\n"


def test_prose_comments_are_not_activated():
    doc = kv.parse("# set node.session.scan to manual if you like\n")
    assert doc.set("node.session.scan", "manual") == "added"


def test_mask_secrets():
    text = "node.session.auth.password = s3cret\n#node.session.auth.password_in = x\nnode.startup = manual\n"
    masked = kv.mask_secrets(text)
    assert "s3cret" not in masked and "node.session.auth.password = ********\n" in masked
    assert "#node.session.auth.password_in = ********" in masked
    assert "node.startup = manual" in masked


def test_parse_record():
    rec = kv.parse_record(read("iscsiadm-node-record-2.1.8.txt"))
    assert rec["node.session.scan"] == "auto"
    assert rec["node.name"] == "iqn.2024-01.lab.san:target1"
    assert rec["iface.net_ifacename"] == "<empty>"
