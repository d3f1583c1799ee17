# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/modules/lvm_filter_info.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
from hypothesis import given

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import (
    read, users)
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info as lfi, lvm_filter_info
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import FAST, texts
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import healthy_lab
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    lab)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import conf


LVM_WORDS = ["devices", "global_filter", "filter", "use_devicesfile", "=", "{", "}", "[", "]", ",", '"a|.*|"',
             '"r|^/dev/sd[a-z]$|"', "'a|x|'", "1", "#", '"', "\\", "\n", " "]


# -- lvm.conf, dmsetup, multipathd JSON ---------------------------------------------------------------

@FAST
@given(texts(LVM_WORDS))
def test_lvm_conf_parse_is_total(text):
    """Fails when the lvm.conf parser raises anything but LvmConfError on any text."""
    try:
        out = lfi.parse_lvm_conf(text)
    except lfi.LvmConfError:
        return
    for value in out.values():
        lfi.parse_lvm_array(value)


MODULE = lfi


def filters(text):
    raw = lfi.parse_lvm_conf(text)
    return dict((k, lfi.parse_lvm_array(v) if v.startswith(("[", '"')) else v) for k, v in raw.items())


def test_brackets_inside_patterns_do_not_end_the_array():
    """Fails when a bracket inside a filter pattern ends the array."""
    text = 'devices {\n    global_filter = [ "a|^/dev/sd[a-z]$|", "r|.*|" ]\n}\n'
    assert filters(text) == {"global_filter": ["a|^/dev/sd[a-z]$|", "r|.*|"]}


def test_comments_strings_and_nested_sections():
    """Fails when comments, strings or other sections are taken for the devices filters."""
    text = ('# devices { global_filter = [ "a|x|" ] }\nconfig {\n  checks = 1\n}\ndevices {\n'
            '    dir = "/dev"  # a comment with { and [\n'
            '    filter = [ "r|/dev/mapper/x{2}|",\n               \'a|.*|\' ]   # multi-line\n'
            '    use_devicesfile = 0\n    global_filter = "r|^/dev/dm-.*|"\n}\n'
            'activation {\n  global_filter = [ "a|never|" ]\n}\n')
    assert filters(text) == {"filter": ["r|/dev/mapper/x{2}|", "a|.*|"], "use_devicesfile": "0",
                             "global_filter": ["r|^/dev/dm-.*|"]}


def test_escaped_quotes_in_a_pattern():
    """Fails when an escaped quote in a filter pattern ends the string."""
    assert filters('devices {\n filter = [ "a|\\"x\\"|" ]\n}\n') == {"filter": ['a|\\"x\\"|']}


@pytest.mark.parametrize("text", ['devices {\n filter = [ "a|x|\n}\n', "}\n", "devices {\n filter = [ \"a\"\n",
                                  "devices {\n" * 100 + "}\n" * 100])
def test_unreadable_files_raise_the_parser_error(text):
    """Fails when an unbalanced or too deeply nested lvm.conf raises other than LvmConfError."""
    with pytest.raises(lfi.LvmConfError):
        lfi.parse_lvm_conf(text)


def test_fallback_reads_bytes_and_reports_non_utf8_safely(tmp_path, monkeypatch, run_module):
    """Fails when lvm.conf read without lvmconfig breaks on non-UTF-8 bytes."""
    conf = tmp_path / "lvm.conf"
    conf.write_bytes(b'# Latin-1 r\xe9seau\ndevices {\n    global_filter = [ "a|^/dev/sd[a-z]$|", "r|.*|" ]\n}\n')
    monkeypatch.setattr(lfi.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: None)
    monkeypatch.setattr(lfi.deadline, "call", lambda fn, args=(), timeout=None, what=None: {})
    monkeypatch.setattr(lfi, "analyse", lambda scan: ([], []))
    res = run_module({"lvm_conf": str(conf)})
    assert res["filters"]["global_filter"] == ["a|^/dev/sd[a-z]$|", "r|.*|"]
    assert res["filters"]["source"] == str(conf) and res["errors"] == []


def test_non_positive_timeout_is_refused(run_module):
    """Fails when a command_timeout of 0 is accepted."""
    res = run_module({"command_timeout": 0})
    assert res["failed"] is True and "command_timeout must be a positive" in res["msg"]


def test_a_device_whose_read_hangs_is_a_warning_and_the_others_are_audited(tmp_path, monkeypatch, run_module):
    """One hung device costs its own deadline and a device_unreadable warning (the host is not reported
    compliant), not the audit of the others."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
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


PVS = ["pvs", "--reportformat", "json", "-o", "pv_name,vg_name,pv_uuid,dev_size"]


def checks(result):
    return sorted((f["check"], f["object"]) for f in result["findings"])


def test_no_filter_every_san_device_is_scanned_and_pvs_asked_of_the_maps(lab, tmp_path, run_module):
    """Fails when a host without filter is not reported with each SAN device LVM scans, or pvs is not asked."""
    pv = {"pv_name": "/dev/dm-0", "vg_name": "vg_san", "pv_uuid": "u1", "dev_size": "1.00g"}
    lab.run.set(PVS + ["--devices", "/dev/dm-0", "--devices", "/dev/dm-1"],
                json.dumps({"report": [{"pv": [pv, {"pv_name": ""}]}]}))
    result = run_module({"lvm_conf": conf(tmp_path, "devices {\n}\n"), "detail": "full"})
    assert result["filters"] == {"global_filter": None, "filter": None, "use_devicesfile": False,
                                 "source": str(tmp_path / "lvm.conf")}
    assert checks(result) == sorted([("no_lvm_filter", "lvm.conf")] + [
        ("san_device_accepted", n) for n in ("dm-0", "dm-1", "sdb", "sdc", "sdd", "sde")])
    severity = dict((f["object"], f["severity"]) for f in result["findings"])
    assert severity["dm-0"] == "warning" and severity["sdb"] == "info"
    assert result["pvs"] == [pv]
    assert [d["name"] for d in result["san_devices"]] == ["dm-0", "dm-1", "sdb", "sdc", "sdd", "sde"]
    assert result["errors"] == [] and result["changed"] is False


def test_a_pvs_that_hangs_is_named_by_its_first_device_and_the_count_not_by_every_map(lab, tmp_path, run_module):
    """pvs of every SAN map with a working path missed its deadline: the error names the command by its first device
    and how many more, the deadline's message (deadline.run's `what`) too, and pvs is [] (unknown). Fails when the
    whole command line, which names every map (25 KB at a thousand), names the error or its message."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        timeout_answer)
    lab.run.answers[tuple(PVS + ["--devices", "/dev/dm-0", "--devices", "/dev/dm-1"])] = timeout_answer
    result = run_module({"lvm_conf": conf(tmp_path, "devices {\n}\n")})
    named = " ".join(PVS + ["--devices", "/dev/dm-0"]) + " (and --devices of 1 more SAN maps with a working path)"
    assert [e["what"] for e in result["errors"]] == [named]
    assert [what for (argv, _t), what in zip(lab.run.calls, lab.run.whats) if argv[0] == "pvs"] == [named]
    assert result["pvs"] == []


def test_a_pvs_that_fails_is_named_in_errors_not_taken_for_no_pv(lab, tmp_path, run_module):
    """pvs exits non-zero (LVM's global lock not started): pvs is [] and errors says why, so that "no PV on a SAN
    map" is never what a failed pvs looks like. Fails when the failure is silent."""
    lab.run.set(PVS + ["--devices", "/dev/dm-0", "--devices", "/dev/dm-1"], "", rc=5,
                stderr="  Global lock failed: check global lockspace is started")
    result = run_module({"lvm_conf": conf(tmp_path, "devices {\n}\n")})
    assert result["pvs"] == []
    assert [e["what"] for e in result["errors"]] == [
        " ".join(PVS + ["--devices", "/dev/dm-0"]) + " (and --devices of 1 more SAN maps with a working path)"]
    assert result["errors"][0]["msg"] == "rc=5: Global lock failed: check global lockspace is started"


def test_a_global_filter_that_rejects_the_san_leaves_nothing_scanned(lab, tmp_path, run_module):
    """Fails when a global_filter rejecting the SAN still reports devices or runs pvs."""
    result = run_module({"lvm_conf": conf(tmp_path, 'devices {\n global_filter = [ "r|.*|" ]\n}\n'),
                         "use_pvs": False, "detail": "full"})
    assert result["filters"]["global_filter"] == ["r|.*|"]
    assert checks(result) == []
    assert all(d["lvm_uses"] is False for d in result["san_devices"])
    assert not [c for c in lab.run.calls if c[0][0] == "pvs"]


def test_only_filter_set_and_a_map_without_a_working_path_is_not_asked(tmp_path, monkeypatch, run_module):
    """Fails when filter without global_filter is not flagged, or pvs is asked of a map without a path."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdb": ("F", "faulty", "offline"), "sdd": ("F", "faulty", "offline")})
    monkeypatch.setattr(read, "reader_for", lambda params: t.reader(command_timeout=params["command_timeout"]))
    monkeypatch.setattr(lvm_filter_info.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: name if name != "lvmconfig" else None)
    t.run.set(PVS + ["--devices", "/dev/dm-1"], json.dumps({"report": [{"pv": []}]}))
    result = run_module({"lvm_conf": conf(tmp_path, 'devices {\n filter = [ "a|.*|" ]\n}\n')})
    assert ("filter_without_global_filter", "lvm.conf") in checks(result)
    pvs_calls = [c[0] for c in t.run.calls if c[0][0] == "pvs"]
    assert pvs_calls == [PVS + ["--devices", "/dev/dm-1"]]  # dm-0 has no active path: never asked
    assert result["pvs"] == []


def test_lvmconfig_is_read_when_installed_and_an_unreadable_lvm_conf_is_named_in_errors(lab, tmp_path, run_module):
    """Fails when lvmconfig is not preferred when installed, or an unreadable lvm.conf is not named."""
    lab.installed.add("lvmconfig")
    lab.run.set(["lvmconfig", "devices/global_filter"], 'global_filter=["r|^/dev/sd.*|"]\n')
    lab.run.set(["lvmconfig", "devices/filter"], "", rc=5, stderr="Configuration node devices/filter not found")
    lab.run.set(["lvmconfig", "devices/use_devicesfile"], "", rc=5)
    result = run_module({"lvm_conf": str(tmp_path / "missing.conf"), "use_pvs": False, "detail": "full"})
    assert result["filters"]["source"] == "lvmconfig" and result["filters"]["global_filter"] == ["r|^/dev/sd.*|"]
    assert checks(result) == [("san_device_accepted", "dm-0"), ("san_device_accepted", "dm-1")]
    lab.installed.discard("lvmconfig")
    result = run_module({"lvm_conf": conf(tmp_path, "}\n"), "use_pvs": False})  # unbalanced: unreadable
    assert result["filters"]["source"] is None and result["errors"][0]["what"] == str(tmp_path / "lvm.conf")


@pytest.mark.parametrize("lvmconfig", [True, False])
@pytest.mark.parametrize("value", ["../../etc", "etc/lvm/lvm.conf", "/etc/lvm/../../etc/shadow", "DIR"])
def test_an_lvm_conf_that_is_no_file_path_fails_naming_it_and_reads_nothing(
        lab, tmp_path, run_module, value, lvmconfig):
    """Fails when lvm_conf accepts a directory, a relative path or one with '..' (it read the directory as an
    unreadable file, or the relative path from wherever the module ran), instead of a clear error naming the value
    before any read."""
    if lvmconfig:
        lab.installed.add("lvmconfig")
    value = str(tmp_path) if value == "DIR" else value
    result = run_module({"lvm_conf": value, "use_pvs": False})
    assert result["failed"] and repr(value) in result["msg"] and "nothing was read" in result["msg"], result
    assert lab.run.calls == []


def test_a_filter_lvm_cannot_evaluate_fails_naming_it(lab, tmp_path, run_module):
    """Fails when a filter LVM cannot evaluate is guessed at instead of failing."""
    result = run_module({"lvm_conf": conf(tmp_path, 'devices {\n global_filter = [ "x|a|" ]\n}\n')})
    assert result["failed"] and "cannot evaluate the LVM filter" in result["msg"]


@pytest.mark.parametrize("dm_name, vg_lv", [
    ("vg---lv", ("vg-", "lv")),            # VG "vg-": the old module copy split nothing
    ("my--vg-data", ("my-vg", "data")),
    ("vg-pool_tdata", ("vg", "pool_tdata")),
])
def test_one_lvm_name_decoder(dm_name, vg_lv):
    """Fails when the module and observe decode LVM dm names differently."""
    assert users.decode_lvm_name(dm_name) == vg_lv
    assert lvm_filter_info.split_lv_name(dm_name) == vg_lv


def test_a_name_that_is_no_lv_stays_whole_in_the_lvm_report():
    """Fails when a dm name that is no LV is split in the LVM report."""
    assert lvm_filter_info.split_lv_name("mpatha") == ("mpatha", "")


@pytest.mark.parametrize("kind", ["fifo", "char_device"])
def test_an_lvm_conf_that_is_no_regular_file_fails_naming_it(lab, tmp_path, run_module, kind):
    """lvm_conf must name a file (the option's doc: anything else fails before any read), and the module reads it
    with a plain open().read() in its own process, without a deadline (_san/files.read_text): a FIFO blocks that open
    for ever, a device node is read to its end (/dev/zero never ends; a queueing multipath map, /dev/mapper/<wwid>,
    hangs the read in D state). Fails: only a directory is refused; a FIFO or a device node passes the check. Run with
    lvmconfig installed so that the module does not read the value (it would hang here)."""
    lab.installed.add("lvmconfig")
    if kind == "fifo":
        value = str(tmp_path / "lvm.conf")
        os.mkfifo(value)
    else:
        value = "/dev/zero"
    result = run_module({"lvm_conf": value, "use_pvs": False})
    assert result.get("failed") and repr(value) in result.get("msg", ""), result
