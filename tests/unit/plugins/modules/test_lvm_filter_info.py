# -*- coding: utf-8 -*-
import pytest

from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info as lfi

MODULE = lfi


def filters(text):
    raw = lfi.parse_lvm_conf(text)
    return dict((k, lfi.parse_lvm_array(v) if v.startswith(("[", '"')) else v) for k, v in raw.items())


def test_brackets_inside_patterns_do_not_end_the_array():
    text = 'devices {\n    global_filter = [ "a|^/dev/sd[a-z]$|", "r|.*|" ]\n}\n'
    assert filters(text) == {"global_filter": ["a|^/dev/sd[a-z]$|", "r|.*|"]}


def test_comments_strings_and_nested_sections():
    text = ('# devices { global_filter = [ "a|x|" ] }\nconfig {\n  checks = 1\n}\ndevices {\n'
            '    dir = "/dev"  # a comment with { and [\n'
            '    filter = [ "r|/dev/mapper/x{2}|",\n               \'a|.*|\' ]   # multi-line\n'
            '    use_devicesfile = 0\n    global_filter = "r|^/dev/dm-.*|"\n}\n'
            'activation {\n  global_filter = [ "a|never|" ]\n}\n')
    assert filters(text) == {"filter": ["r|/dev/mapper/x{2}|", "a|.*|"], "use_devicesfile": "0",
                             "global_filter": ["r|^/dev/dm-.*|"]}


def test_escaped_quotes_in_a_pattern():
    assert filters('devices {\n filter = [ "a|\\"x\\"|" ]\n}\n') == {"filter": ['a|\\"x\\"|']}


@pytest.mark.parametrize("text", ['devices {\n filter = [ "a|x|\n}\n', "}\n", "devices {\n filter = [ \"a\"\n",
                                  "devices {\n" * 100 + "}\n" * 100])
def test_unreadable_files_raise_the_parser_error(text):
    with pytest.raises(lfi.LvmConfError):
        lfi.parse_lvm_conf(text)


def test_fallback_reads_bytes_and_reports_non_utf8_safely(tmp_path, monkeypatch, run_module):
    conf = tmp_path / "lvm.conf"
    conf.write_bytes(b'# Latin-1 r\xe9seau\ndevices {\n    global_filter = [ "a|^/dev/sd[a-z]$|", "r|.*|" ]\n}\n')
    monkeypatch.setattr(lfi.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: None)
    monkeypatch.setattr(lfi.deadline, "call", lambda fn, args=(), timeout=None, what=None: {})
    monkeypatch.setattr(lfi, "analyse", lambda scan: ([], []))
    res = run_module({"lvm_conf": str(conf)})
    assert res["filters"]["global_filter"] == ["a|^/dev/sd[a-z]$|", "r|.*|"]
    assert res["filters"]["source"] == str(conf) and res["errors"] == []


def test_non_positive_timeout_is_refused(run_module):
    res = run_module({"command_timeout": 0})
    assert res["failed"] is True and "command_timeout must be a positive" in res["msg"]


def test_a_device_whose_read_hangs_is_a_warning_and_the_others_are_audited(tmp_path, monkeypatch, run_module):
    """One hung device costs its own deadline and a device_unreadable warning (the host is not reported
    compliant), not the audit of the others."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
        healthy_lab, inline_call)
    t = healthy_lab(tmp_path)
    conf = tmp_path / "lvm.conf"
    conf.write_text('devices {\n    global_filter = [ "a|.*|" ]\n}\n')
    monkeypatch.setattr(lfi.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: None)
    real_host = lfi.read.Host
    monkeypatch.setattr(lfi.read, "Host", lambda **kw: real_host(root=t.root, **kw))

    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ == "read_blocks" and "sdd" in args[1]:
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    monkeypatch.setattr(lfi.deadline, "call", call)
    res = run_module({"lvm_conf": str(conf), "command_timeout": 5, "detail": "full"})
    assert [e["what"] for e in res["errors"]] == ["sysfs read of dm-0, dm-1, sda, sdb, sdc, sdd, sde",
                                                  "sysfs read of /sys/block/sdd"]
    unreadable = [f for f in res["findings"] if f["check"] == "device_unreadable"]
    assert [(f["object"], f["severity"]) for f in unreadable] == [("sdd", "warning")]
    assert "within 5.0s" in unreadable[0]["reason"]
    # the rest is audited: both maps and their paths (sdd too, named by its map's slaves), all accepted by a|.*|
    devices = dict((d["name"], d) for d in res["san_devices"])
    assert sorted(devices) == ["dm-0", "dm-1", "sdb", "sdc", "sdd", "sde"]
    assert [devices[n]["kind"] for n in ("dm-0", "dm-1", "sdd")] == ["map", "map", "path"]
    assert all(d["lvm_uses"] for d in devices.values())
