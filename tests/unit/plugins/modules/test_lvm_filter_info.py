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
