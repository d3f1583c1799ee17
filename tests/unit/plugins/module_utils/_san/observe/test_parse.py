# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/parse.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from hypothesis import given, strategies as st

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import parse as sp
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import FAST
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    KILLED_WORKER_STACK, KILLED_WORKER_STAT, vpd80)


DM_TOKENS = st.lists(st.one_of(st.sampled_from(["0", "1", "2", "3", "-1", "queue_if_no_path", "A", "F", "E",
                                                "service-time", "8:16", "x", "99999999999", "1_0"]),
                               st.text(max_size=4)), max_size=40)


@FAST
@given(DM_TOKENS)
def test_dm_table_and_status_parsers_raise_only_their_error(args):
    """Fails when the dm table or status parser raises anything but DmParseError."""
    for parser in (sp.parse_multipath_table, sp.parse_multipath_status):
        try:
            parser(args)
        except sp.DmParseError:
            pass


@FAST
@given(st.lists(st.text(max_size=60), max_size=8).map("\n".join))
def test_dm_lines_parser_never_raises(text):
    """Fails when the dmsetup output parsers raise on any text."""
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
    """Fails when the multipathd JSON parser raises anything but ValueError."""
    try:
        sp.parse_multipathd_json(text)
    except ValueError:
        pass


def test_multipathd_json_deep_nesting_is_a_value_error():
    """Fails when deeply nested multipathd JSON raises RecursionError or is accepted."""
    for text in ("[" * 1500 + "]" * 1500, '{"maps": ' + "[" * 100000 + "]" * 100000 + "}"):
        try:
            sp.parse_multipathd_json(text)
        except ValueError as exc:
            assert "maps" in str(exc) or "deeply" in str(exc)
        else:
            raise AssertionError("accepted")


# ------------------------------------------------------------------------------------------------ tests: helpers


def test_vpd80_serial_strips_header_nuls_and_blanks():
    """Fails when a VPD 0x80 serial keeps its header, NULs or blanks, or an empty one is not None."""
    assert sp.vpd80_serial(vpd80("  80AbCdEfGh01\x00\x00")) == "80AbCdEfGh01"
    assert sp.vpd80_serial(b"\x00\x80\x00") is None
    assert sp.vpd80_serial(None) is None


def test_parse_dm_table_and_status_with_two_groups_and_hwhandler():
    """Fails when a dm table and status with two path groups and a hardware handler are misread."""
    table = ("3600a0980aa: 0 2097152 multipath 3 queue_if_no_path pg_init_retries 50 1 alua 2 1 "
             "service-time 0 1 1 8:16 1 service-time 0 1 1 8:48 1\n")
    status = "3600a0980aa: 0 2097152 multipath 2 1 0 0 2 1 A 0 1 2 8:16 F 3 0 1 E 0 1 2 8:48 A 0 0 1\n"
    t, e1 = sp.parse_dm_lines(table, sp.parse_multipath_table)
    s, e2 = sp.parse_dm_lines(status, sp.parse_multipath_status)
    assert not e1 and not e2
    assert t["3600a0980aa"]["queueing"] is True
    assert t["3600a0980aa"]["hwhandler"] == "alua"
    assert [g["paths"] for g in t["3600a0980aa"]["groups"]] == [["8:16"], ["8:48"]]
    groups = s["3600a0980aa"]["groups"]
    assert [(g["state"], [(p["dev"], p["active"], p["fail_count"]) for p in g["paths"]]) for g in groups] == [
        ("A", [("8:16", False, 3)]), ("E", [("8:48", True, 0)])]
    assert s["3600a0980aa"]["queue_io"] == 1


def test_parse_dm_truncated_line_is_an_error_not_a_crash():
    """Fails when a truncated dmsetup line crashes the parser or yields a map."""
    maps, errors = sp.parse_dm_lines("x: 0 100 multipath 1 queue_if_no_path 0 1 1 service-time 0 2 1 8:16\n",
                                     sp.parse_multipath_table)
    assert maps == {}
    assert errors and errors[0]["what"] == "dmsetup line of x"


@pytest.mark.parametrize("odd", ["\x85", "\u2028", "\x0c", "\x1c", "\r"])
def test_a_dm_name_with_a_character_splitlines_breaks_at_keeps_its_own_lines(odd):
    """dmsetup prints a name as the kernel has it; str.splitlines cut its line at \x85, U+2028, FF, \x1c or CR, so
    that map had no table (and the part after the cut read as a line of another map)."""
    name = "db" + odd + "x"
    table = ("%s: 0 2097152 multipath 1 queue_if_no_path 0 1 1 service-time 0 1 1 8:16 1\n"
             "mpatha: 0 2097152 multipath 0 0 1 1 service-time 0 1 1 8:32 1\n" % name)
    maps, errors = sp.parse_dm_lines(table, sp.parse_multipath_table)
    assert sorted(maps) == sorted([name, "mpatha"]) and errors == []
    assert maps[name]["queueing"] is True and maps["mpatha"]["queueing"] is False
    info = sp.parse_dm_info("%s|mpath-1x|253|2|1\nmpatha|mpath-3600a|253|3|0\n" % name)
    assert info[name]["open_count"] == 1 and info["mpatha"]["open_count"] == 0


def test_a_dm_name_with_a_newline_cannot_pass_its_line_off_as_another_maps():
    """A dm name "evil\nmpatha" prints a line that reads as mpatha's: neither is taken as mpatha's (its table and
    open count are unknown, which refuses any act on it), and the errors say so."""
    table = ("evil\nmpatha: 0 2097152 multipath 0 0 1 1 service-time 0 1 1 8:48 1\n"
             "mpatha: 0 2097152 multipath 1 queue_if_no_path 0 1 1 service-time 0 1 1 8:32 1\n")
    maps, errors = sp.parse_dm_lines(table, sp.parse_multipath_table)
    assert "mpatha" not in maps and [e["what"] for e in errors] == ["dmsetup lines of mpatha"]
    info = sp.parse_dm_info("evil\nmpatha|mpath-3600b|253|4|0\nmpatha|mpath-3600a|253|3|1\n")
    assert "mpatha" not in info


@pytest.mark.parametrize("odd", ["\x85", "\u2028", "\x0c", "\x1c"])
def test_a_mount_or_swap_file_with_a_character_splitlines_breaks_at_is_still_seen(odd):
    """The kernel escapes only blank, TAB, LF and backslash in mountinfo and /proc/swaps: a mount point or swap file
    with \x85, U+2028, FF or \x1c was cut in two by str.splitlines (or str.split), and the device looked unused."""
    m = sp.parse_mountinfo("36 25 253:2 / /mnt/a%sb rw,relatime shared:1 - ext4 /dev/mapper/db rw\n" % odd)
    assert [(x["dev"], x["mountpoint"], x["source"]) for x in m] == [("253:2", "/mnt/a%sb" % odd, "/dev/mapper/db")]
    swaps = sp.parse_swaps("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                           "/swap/a%sb                               file\t\t1048572\t\t0\t\t-2\n" % odd)
    assert swaps == ["/swap/a%sb" % odd]


def test_parse_mountinfo_unescapes_and_keeps_dev():
    """Fails when mountinfo's escaped mount point or device number are not read as the kernel means."""
    m = sp.parse_mountinfo("36 25 253:2 / /mnt/my\\040data rw,relatime shared:1 - ext4 /dev/mapper/3600a rw\n")
    assert m == [{"mount_id": "36", "dev": "253:2", "mountpoint": "/mnt/my data", "fstype": "ext4",
                  "source": "/dev/mapper/3600a"}]


@pytest.mark.parametrize("args", [
    ["-1", "0", "0", "1"], ["1_0"], ["2", "queue_if_no_path"], ["0", "0", "1", "1", "round-robin", "0", "1", "1"],
    ["0", "0", "99999999999", "1"], ["\u0661"],
])
def test_dm_table_parser_raises_its_parse_error_on_malformed_tokens(args):
    """Fails when the dm table parser accepts malformed tokens or raises another error."""
    with pytest.raises(sp.DmParseError):
        sp.parse_multipath_table(args)


@pytest.mark.parametrize("text", [
    None, "", "[]", '{"maps": 1}', '{"maps": [{"name": ["x"]}]}', '{"maps": [{"name": "m", "path_groups": 3}]}',
    '{"maps": [{"name": "m", "path_groups": ["g"]}]}', '{"maps": [{"name": "m", "path_groups": [{"paths": 5}]}]}',
    "[" * 1500 + "]" * 1500,
])
def test_multipathd_json_parser_raises_value_error_on_malformed_input(text):
    """Fails when malformed multipathd JSON is accepted or raises another error."""
    with pytest.raises(ValueError):
        sp.parse_multipathd_json(text)


def test_multipathd_json_path_with_an_odd_dev_is_skipped():
    """Fails when a multipathd JSON path with an odd dev is kept or crashes the parser."""
    out = sp.parse_multipathd_json('{"maps": [{"name": "m", "path_groups": [{"paths": [{"dev": ["x"]}, 7]}]}]}')
    assert out["m"]["paths"] == {}


def test_proc_stat_is_parsed_after_the_last_parenthesis():
    """Fails when /proc/PID/stat is misread for a comm holding parentheses or a short line."""
    assert sp.parse_proc_stat(KILLED_WORKER_STAT) == ("D", 4195660)
    assert sp.parse_proc_stat("7 (a) b) c) S 1 7 7 0 -1 4194560 0 0") == ("S", 4194560)
    assert sp.parse_proc_stat("") == (None, None) and sp.parse_proc_stat("9 (x) R 1") == (None, None)
    assert 4195660 & sp.PF_EXITING and not 4195660 & sp.PF_KTHREAD


# The same close on the lab's Debian 11 (5.10) and Debian 13 (6.12) kernels, a reader killed by the lab test
# test_killed_reader_holding_a_dead_map (function names as /proc/PID/stack printed them, offsets left out).
STACK_5_10 = ("wait_on_page_bit_common truncate_inode_pages_range __blkdev_put blkdev_close __fput task_work_run "
              "do_exit do_group_exit get_signal")


STACK_6_12 = ("folio_wait_bit_common __filemap_get_folio truncate_inode_pages_range blkdev_flush_mapping "
              "blkdev_put_whole bdev_release blkdev_release __fput task_work_run do_exit")


def as_stack(names):
    return "".join("[<0>] %s+0x10/0x20\n" % n for n in names.split())


def test_block_release_frames_of_a_killed_worker():
    """Fails when a killed task's block device close frames are missed, or other frames are taken for them."""
    assert sp.block_release_frames(KILLED_WORKER_STACK) == ["blkdev_flush_mapping", "blkdev_put", "blkdev_close"]
    assert sp.block_release_frames(as_stack(STACK_5_10)) == ["__blkdev_put", "blkdev_close"]
    assert sp.block_release_frames(as_stack(STACK_6_12)) == ["blkdev_flush_mapping", "bdev_release",
                                                             "blkdev_release"]
    assert sp.block_release_frames("[<0>] folio_wait_bit_common+0x13d/0x350\n[<0>] filemap_read+0x1/0x2\n") == []
    assert sp.block_release_frames(None) == []
