# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/refs.py`: the lines that still name a removed device, and their
opt-in clean."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    context as act_context, refs as act_refs)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import (
    refs as observe_refs, reread as obs_reread)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)

# removed by the run (no device of the fixture tree carries these names)
GONE = "3600a0980383044700000000000000a1"
GONE_DISK = "3600a0980383044700000000000000b2"
KEPT = "3600a0980383044700000000000000c3"      # its map was waited gone, but the LU is seen again after the run
LINK = "scsi-3600a0980383044700000000000000d4"

EXECUTED = [
    {"action": "wait_map_gone", "outcome": "failed", "wwid": "3600a0980383044700000000000000e5"},  # before a done one
    {"action": "flush_map", "outcome": "done", "target": "mpathz"},
    {"action": "flush_map", "outcome": "done", "target": None},
    {"action": "wait_map_gone", "outcome": "done", "wwid": GONE},
    {"action": "wait_map_gone", "outcome": "done", "wwid": None},
    {"action": "wait_map_gone", "outcome": "done", "wwid": KEPT},
    {"action": "delete_disk", "outcome": "done", "target": "sdz", "detail": {"by_id": [LINK]}},
    {"action": "delete_disk", "outcome": "done", "target": "sdy", "detail": None},
    {"action": "delete_disk", "outcome": "done", "target": "sdx", "detail": {"by_id": None}},
    {"action": "wait_disk_gone", "outcome": "done", "wwid": GONE_DISK},
    {"action": "wait_disk_gone", "outcome": "done", "wwid": None},
    {"action": "disable_queueing", "outcome": "done", "target": "mpathy", "wwid": "3600a0980383044700000000000000f6"},
    {"action": "flush_map", "outcome": "skipped", "target": "mpathw"},
    {"action": "delete_disk", "outcome": "failed", "target": "sdw", "detail": {"by_id": ["scsi-3600a09803830447000000000000000f7"]}},
    {"action": "wait_disk_gone", "outcome": "refused", "wwid": "3600a098038304470000000000000008"},
]


def test_removed_identities_are_those_of_done_steps_only():
    """Fails when a step that did not end "done" counts, when the steps after one that did not are skipped, or
    when a WWID, map name or by-id link is taken from another action or field than its own."""
    assert act_refs.removed_identities(EXECUTED) == ([GONE, GONE_DISK, KEPT], ["mpathz"], [LINK])


def test_removed_identities_of_no_run_is_nothing():
    """Fails when a run with no executed steps (None) does not read as nothing removed."""
    assert act_refs.removed_identities(None) == ([], [], [])
    assert act_refs.removed_identities([{"action": "flush_map", "outcome": "done", "target": "mpathz"}]) == (
        [], ["mpathz"], [])


def _files(env):
    """fstab lines naming the removed WWID, the removed map, the removed by-id link, the WWID seen again and a
    live disk; a crypttab line; a mount unit."""
    env._file("etc/fstab", "\n".join([
        "# /etc/fstab",
        "/dev/disk/by-id/dm-uuid-mpath-%s /a xfs defaults 0 0" % GONE,
        "/dev/mapper/mpathz /b xfs defaults 0 0",
        "/dev/disk/by-id/%s /c xfs defaults 0 0" % LINK,
        "/dev/disk/by-id/dm-uuid-mpath-%s /d xfs defaults 0 0" % KEPT,
        "/dev/sda1 / xfs defaults 0 0",
        ""]))
    env._file("etc/crypttab", "luks /dev/disk/by-id/dm-uuid-mpath-%s none luks\n" % GONE_DISK)
    env._file("etc/systemd/system/e.mount", "[Mount]\nWhat=/dev/mapper/mpathz\nWhere=/e\n")


def _recording_host(env, calls):
    """An act context on the fake host (command timeout 3 s) whose child calls are recorded, then run inline."""
    def call(fn, args=(), timeout=None, what=None):
        calls.append((fn, args, timeout, what))
        return env.call(fn, args, timeout=timeout, what=what)
    return act_context.ActContext(env.reader, run=env.run, call=call, root=env.root, command_timeout=3)


def test_references_reads_every_file_in_one_child_and_reports_the_lines_of_the_removed_devices(env):
    """Fails when a line naming a removed WWID, map or by-id link is missed, when a WWID seen after the run counts as
    removed, or when the lines are not marked "reported". The child's `what` and timeout are asserted: the
    timeout is the run's command_timeout, and `what` is how stale_cleanup's references_error names the read that
    did not finish (act/post_check.py: str(DeadlineExceeded))."""
    _files(env)
    calls = []
    refs = act_refs.references(_recording_host(env, calls), EXECUTED, still_present=[KEPT])
    assert [(r["file"], r["line"], r["action"]) for r in refs] == [
        ("/etc/fstab", 2, "reported"), ("/etc/fstab", 3, "reported"), ("/etc/fstab", 4, "reported"),
        ("/etc/crypttab", 1, "reported"), ("/etc/systemd/system/e.mount", 2, "reported")]
    wanted = observe_refs.needles([GONE, GONE_DISK], ["mpathz"], [LINK])
    assert calls == [(obs_reread.read_references,
                      (env.root, observe_refs.UNIT_DIR, list(observe_refs.FILES), wanted), 3.0,
                      "read of fstab, crypttab, LVM devices file and mount units")]


def test_references_reads_nothing_when_nothing_was_removed(env):
    """Fails when a run that removed nothing (or only what is seen again) still reads the host's files."""
    _files(env)
    calls = []
    host = _recording_host(env, calls)
    assert act_refs.references(host, [], still_present=()) == []
    assert act_refs.references(host, [{"action": "wait_map_gone", "outcome": "done", "wwid": KEPT}],
                               still_present=[KEPT]) == []
    assert calls == []


def test_clean_references_comments_out_the_lines_file_by_file_and_leaves_mount_units(env):
    """Fails when a file is written at another path, with other lines commented out or not in path order, when a
    mount unit is edited, or when the edited lines are not marked "commented_out" (mount units stay "reported")."""
    _files(env)
    refs = act_refs.references(env.host(), EXECUTED, still_present=[KEPT])
    writes = []
    out = act_refs.clean_references(env.host(), refs, lambda path, text: writes.append((path, text)))
    assert out is refs
    with open(os.path.join(env.root, "etc", "fstab")) as fh:
        fstab = fh.read().split("\n")
    mark = observe_refs.MARK
    assert writes == [
        (os.path.join(env.root, "etc", "crypttab"),
         mark + "luks /dev/disk/by-id/dm-uuid-mpath-%s none luks\n" % GONE_DISK),
        (os.path.join(env.root, "etc", "fstab"),
         "\n".join(fstab[:1] + [mark + line for line in fstab[1:4]] + fstab[4:]))]
    assert [(r["file"], r["action"]) for r in out] == [
        ("/etc/fstab", "commented_out"), ("/etc/fstab", "commented_out"), ("/etc/fstab", "commented_out"),
        ("/etc/crypttab", "commented_out"), ("/etc/systemd/system/e.mount", "reported")]


def _read(env, rel, binary=False):
    """A file of the fake host's root, as text or bytes."""
    with open(os.path.join(env.root, rel), "rb" if binary else "r") as fh:
        return fh.read()


# ---------------------------------------------------------------------- clean_references: the line, as it was read
# A reference line is found by its number in one read (observe.reread.read_references, in a forked child) and commented
# out after a second one. Between them the file may be edited (an operator, configuration management): a number then
# names another line, perhaps the root filesystem's, which a comment mark would take from the next boot.

# two WWIDs of maps the run removed (the fake host has no map of either: a line naming a live map is no reference)
CLEANED, CLEANED2 = "3600a098038304479583f4a6d4b2d3031", "3600a098038304479583f4a6d4b2d3032"
CLEAN_FSTAB = ("UUID=1234-abcd / ext4 defaults 0 1\n"
               "/dev/mapper/%s /srv/old xfs defaults,nofail 0 0\n"
               "/dev/mapper/%s /srv/other xfs defaults 0 0\n") % (CLEANED, CLEANED2)


def _clean(env, refs):
    """clean_references through a write that records (path, text) and writes the text byte for byte, as
    files.write_text would."""
    written = []

    def write(path, text):
        written.append((path, text))
        with open(path, "wb") as fh:
            fh.write(text.encode("utf-8", "surrogateescape"))
    act_refs.clean_references(env.host(), refs, write)
    return written


def _fstab_refs(env, text, wwids):
    """The reference lines of `text` as fstab, read as the act reads them (observe.reread.read_references)."""
    env._file("etc/fstab", text)
    return obs_reread.read_references(env.root, "/etc/systemd/system", [("fstab", "/etc/fstab")],
                                      observe_refs.needles(wwids, [], []))


def test_a_reference_line_still_as_read_is_commented_out_and_nothing_else(env):
    refs = _fstab_refs(env, CLEAN_FSTAB, [CLEANED])
    assert [(r["line"], r["text"]) for r in refs] == [(2, CLEAN_FSTAB.splitlines()[1])]
    written = _clean(env, refs)
    lines = CLEAN_FSTAB.splitlines(True)
    assert _read(env, "etc/fstab") == lines[0] + observe_refs.MARK + lines[1] + lines[2]
    assert len(written) == 1 and [r["action"] for r in refs] == ["commented_out"]


@pytest.mark.parametrize("edit", ["a line inserted above", "the line removed", "the file emptied"])
def test_a_reference_line_edited_after_the_read_is_left_and_no_other_line_is_commented_out(env, edit):
    """The file edited between the read and the clean: line 2 is another line now (the root filesystem's, when a
    line was inserted above), or no line at all. Nothing is written, the reference says changed_since_read. Fails
    when the clean comments out by number alone."""
    refs = _fstab_refs(env, CLEAN_FSTAB, [CLEANED])
    lines = CLEAN_FSTAB.splitlines(True)
    edited = {"a line inserted above": "# keep the root first\n" + CLEAN_FSTAB,
              "the line removed": lines[0] + lines[2],
              "the file emptied": ""}[edit]
    env._file("etc/fstab", edited)
    assert _clean(env, refs) == []
    assert _read(env, "etc/fstab") == edited
    assert [r["action"] for r in refs] == ["changed_since_read"]


def test_of_two_reference_lines_only_the_one_still_as_read_is_commented_out(env):
    """Two lines of one file found; one of them edited since (its options): the other is commented out alone."""
    refs = _fstab_refs(env, CLEAN_FSTAB, [CLEANED, CLEANED2])
    lines = CLEAN_FSTAB.splitlines(True)
    edited = lines[0] + lines[1] + lines[2].replace("defaults 0 0", "defaults,ro 0 0")
    env._file("etc/fstab", edited)
    _clean(env, refs)
    assert _read(env, "etc/fstab") == lines[0] + observe_refs.MARK + lines[1] + edited.splitlines(True)[2]
    assert [(r["line"], r["action"]) for r in refs] == [(2, "commented_out"), (3, "changed_since_read")]


def test_a_bare_cr_counts_no_line_in_the_read_or_the_clean(env):
    """libmount cuts fstab at LF only: a CR inside a comment is no line break. The read counts lines as the clean
    does, so the reference is the line after the comment, commented out, and every other byte stays. Fails when the
    read cuts at the CR too (Python's universal newlines): its number then names no line the clean can match."""
    text = "# moved\rfrom the old array\n" + CLEAN_FSTAB.splitlines(True)[1] + "UUID=1234-abcd / ext4 defaults 0 1\r\n"
    refs = _fstab_refs(env, text, [CLEANED])
    assert [r["line"] for r in refs] == [2]
    _clean(env, refs)
    parts = text.split("\n")
    assert _read(env, "etc/fstab", binary=True) == (
        parts[0] + "\n" + observe_refs.MARK + parts[1] + "\n" + parts[2] + "\n").encode()
    assert [r["action"] for r in refs] == ["commented_out"]


def test_the_read_before_the_clean_has_the_commands_deadline_and_names_the_file(env):
    """The file is read again in a child (observe.reread.reread_reference_file) with the command timeout (a root
    filesystem whose disk stops answering waits in D state; the module must not wait with it), for the names the
    lines matched; the deadline's message names the file (references_error shows it)."""
    refs = _fstab_refs(env, CLEAN_FSTAB, [CLEANED])
    calls, call = [], env.call

    def recorded(fn, args=(), timeout=10.0, what=None):
        calls.append((fn, args, timeout, what))
        return call(fn, args, timeout, what)
    env.call = recorded
    host = env.host(command_timeout=7)
    act_refs.clean_references(host, refs, lambda path, text: None)
    assert calls == [(obs_reread.reread_reference_file, (env.root, "fstab", "/etc/fstab", refs[0]["matches"]), 7,
                      "read of /etc/fstab before commenting out its lines")]


def test_a_line_whose_map_is_there_again_before_the_clean_is_left(env):
    """The map a line names (by its /dev/mapper name) is back between the read and the clean (the LU mapped back,
    the bindings' alias reused): the line names a live device again and is not commented out."""
    text = "UUID=1234-abcd / ext4 defaults 0 1\n/dev/mapper/mpathz /srv/old xfs defaults 0 0\n"
    env._file("etc/fstab", text)
    refs = obs_reread.read_references(env.root, "/etc/systemd/system", [("fstab", "/etc/fstab")],
                                      observe_refs.needles([], ["mpathz"], []))
    assert [r["line"] for r in refs] == [2]
    env._file("sys/block/dm-7/dm/name", "mpathz\n")
    assert _clean(env, refs) == [] and _read(env, "etc/fstab") == text
    assert [r["action"] for r in refs] == ["changed_since_read"]


def test_a_byte_that_is_not_utf8_hides_no_reference_and_stays_in_the_file(env):
    """A Latin-1 comment in fstab (b"donn\\xe9es"): the read keeps every line (a strict decode failed, and hid all
    the file's references), and the clean writes the byte back as it was."""
    line = CLEAN_FSTAB.splitlines(True)[1]
    raw = b"# donn\xe9es\n" + line.encode() + b"UUID=1234-abcd / ext4 defaults 0 1\n"
    with open(os.path.join(env.root, "etc", "fstab"), "wb") as fh:
        fh.write(raw)
    refs = obs_reread.read_references(env.root, "/etc/systemd/system", [("fstab", "/etc/fstab")],
                                      observe_refs.needles([CLEANED], [], []))
    assert [r["line"] for r in refs] == [2]
    _clean(env, refs)
    assert _read(env, "etc/fstab", binary=True) == raw.replace(line.encode(), observe_refs.MARK.encode() + line.encode())
    assert [r["action"] for r in refs] == ["commented_out"]


def test_a_line_with_trailing_blanks_is_still_the_line_read(env):
    """The text compared is the line without its line break only: trailing blanks are part of it (a line that
    lost them was edited)."""
    line = "/dev/mapper/%s /srv/old xfs defaults 0 0 \t" % CLEANED
    refs = _fstab_refs(env, line + "\n", [CLEANED])
    _clean(env, refs)
    assert _read(env, "etc/fstab") == observe_refs.MARK + line + "\n"
    env._file("etc/fstab", line + "\n")
    refs = _fstab_refs(env, line + "\n", [CLEANED])
    env._file("etc/fstab", line.rstrip() + "\n")
    assert _clean(env, refs) == [] and [r["action"] for r in refs] == ["changed_since_read"]


def test_a_devices_file_line_ending_in_any_letter_is_cleaned(env):
    """The LVM devices file's lines end with the PV's id (32 letters and digits): only the line break is cut from
    a line, never a letter."""
    line = "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/%s PVID=5yfdVZAnS8NXUsXs1Iba4cyb4AFZ2iEX" % (
        CLEANED, CLEANED)
    env._file("etc/lvm/devices/system.devices", "VERSION=1.1.2\n" + line + "\n")
    refs = obs_reread.read_references(env.root, "/etc/systemd/system", [("lvm_devices", "/etc/lvm/devices/system.devices")],
                                      observe_refs.needles([CLEANED], [], []))
    assert [r["line"] for r in refs] == [2]
    _clean(env, refs)
    assert _read(env, "etc/lvm/devices/system.devices") == "VERSION=1.1.2\n" + observe_refs.MARK + line + "\n"


def test_a_file_whose_lines_all_changed_does_not_stop_the_clean_of_the_next(env):
    """Files are cleaned one by one (crypttab, then fstab): crypttab edited since the read, fstab not. fstab's line
    is still commented out."""
    crypttab = "luks-old /dev/disk/by-id/dm-uuid-mpath-%s none luks\n" % CLEANED
    env._file("etc/crypttab", crypttab)
    env._file("etc/fstab", CLEAN_FSTAB)
    refs = obs_reread.read_references(env.root, "/etc/systemd/system", [("fstab", "/etc/fstab"), ("crypttab", "/etc/crypttab")],
                                      observe_refs.needles([CLEANED], [], []))
    env._file("etc/crypttab", "# first\n" + crypttab)
    written = _clean(env, refs)
    assert [os.path.basename(path) for path, _text in written] == ["fstab"]
    assert [(r["file"], r["action"]) for r in refs] == [("/etc/fstab", "commented_out"),
                                                        ("/etc/crypttab", "changed_since_read")]


def test_a_devices_file_line_whose_map_is_there_again_by_its_wwid_is_left(env):
    """The LVM devices file names a PV's map by WWID (IDNAME=mpath-<WWID>): the LU mapped back and multipathd made
    the map again (same WWID) between the read and the clean. The line names a device that is there: not commented
    out (LVM would no longer see the PV, and its volume group would not activate at the next boot)."""
    path = "/etc/lvm/devices/system.devices"
    line = "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/mpathz PVID=5yfdVZAnS8NXUsXs1Iba4cyb4AFZ2iEX" % CLEANED
    text = "VERSION=1.1.2\n" + line + "\n"
    env._file(path.lstrip("/"), text)
    refs = obs_reread.read_references(env.root, "/etc/systemd/system", [("lvm_devices", path)],
                                      observe_refs.needles([CLEANED], ["mpathz"], []))
    assert [r["line"] for r in refs] == [2]
    env._file("sys/block/dm-7/dm/uuid", "mpath-%s\n" % CLEANED)   # the map again, under another name
    env._file("sys/block/dm-7/dm/name", "mpathy\n")
    assert _clean(env, refs) == [] and _read(env, path.lstrip("/")) == text
    assert [r["action"] for r in refs] == ["changed_since_read"]


def test_a_line_whose_wwid_a_plain_disk_carries_again_is_left(env):
    """A by-WWID fstab line (the map's dm-uuid link name) whose LU is back as a plain disk (its device/wwid in the
    kernel's naa. form): left as it is."""
    text = "/dev/disk/by-id/dm-uuid-mpath-%s /srv/old xfs defaults 0 0\n" % CLEANED
    refs = _fstab_refs(env, text, [CLEANED])
    assert [r["line"] for r in refs] == [1]
    env._file("sys/block/sdq/device/wwid", "naa.%s\n" % CLEANED[1:].upper())
    assert _clean(env, refs) == [] and [r["action"] for r in refs] == ["changed_since_read"]


def test_a_kpartx_partition_line_of_a_map_that_is_there_is_no_reference(env):
    """A line naming a kpartx partition (mpathzp1, mpathz-part1) of a map that is there names a live device, even
    before kpartx made the partition's own map: found by neither read, never commented out."""
    text = "/dev/mapper/mpathzp1 /srv/a xfs defaults 0 0\n/dev/mapper/mpathz-part2 /srv/b xfs defaults 0 0\n"
    env._file("etc/fstab", text)
    wanted = observe_refs.needles([], ["mpathz"], [])
    refs = obs_reread.read_references(env.root, "/etc/systemd/system", [("fstab", "/etc/fstab")], wanted)
    assert [r["line"] for r in refs] == [1, 2]
    env._file("sys/block/dm-7/dm/name", "mpathz\n")
    assert _clean(env, refs) == [] and [r["action"] for r in refs] == ["changed_since_read"] * 2
    assert obs_reread.read_references(env.root, "/etc/systemd/system", [("fstab", "/etc/fstab")], wanted) == []


def test_a_name_that_only_ends_like_a_partition_is_not_taken_for_one_of_a_live_map(env):
    """mpathz is there: /dev/mapper/mpathzz and /dev/mapper/db-data (no partition suffix after a live map's name)
    stay references of their removed maps."""
    env._file("sys/block/dm-7/dm/name", "mpathz\n")
    text = "/dev/mapper/mpathzz /srv/a xfs defaults 0 0\n/dev/mapper/db-data /srv/b xfs defaults 0 0\n"
    env._file("etc/fstab", text)
    refs = obs_reread.read_references(env.root, "/etc/systemd/system", [("fstab", "/etc/fstab")],
                                      observe_refs.needles([], ["mpathzz", "db-data"], []))
    assert [r["line"] for r in refs] == [1, 2]
    _clean(env, refs)
    assert [r["action"] for r in refs] == ["commented_out"] * 2
