# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""After removal, nothing points at the ghost: fstab, crypttab, the LVM devices file and mount units that name a
removed device are reported; edited only with clean_references."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import refs as obs_refs
from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, WWID2, hang_the_write_of)


MODULE = stale_cleanup


# a real run without approved_plan runs the plan it makes itself only when told so (the module's approval gate)
DEFAULT_ARGS = {"array_truth": {"luns": [], "targets": [], "problems": [], "collected_at": None},
                "allow_unreviewed": True}


FSTAB = ("# /etc/fstab\n"
         "UUID=1234-abcd / ext4 defaults 0 1\n"
         "/dev/mapper/%s /srv/old xfs defaults,nofail 0 0\n"
         "/dev/disk/by-id/scsi-%s-sdc /srv/raw ext4 defaults 0 0\n"
         "/dev/mapper/%s /srv/other xfs defaults 0 0\n"
         "# /dev/mapper/%s was here\n") % (WWID, WWID, WWID2, WWID)


CRYPTTAB = "luks-old /dev/disk/by-id/dm-uuid-mpath-%s none luks\n" % WWID


DEVICES = ("# LVM uses devices listed in this file.\nVERSION=1.1.2\n"
           "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/%s PVID=abc\n"
           "IDTYPE=sys_wwid IDNAME=naa.%s DEVNAME=/dev/sde PVID=def\n") % (WWID, WWID, WWID2[1:])


UNIT = "[Mount]\nWhat=/dev/mapper/%s\nWhere=/srv/old\nType=xfs\n" % WWID


@pytest.fixture
def env(tmp_path):
    e = FakeEnv(tmp_path)
    e._file("etc/fstab", FSTAB)
    e._file("etc/crypttab", CRYPTTAB)
    e._file("etc/lvm/devices/system.devices", DEVICES)
    e._file("etc/systemd/system/srv-old.mount", UNIT)
    return e


def read(env, rel):
    with open(os.path.join(env.root, rel)) as fh:
        return fh.read()


@pytest.fixture(autouse=True)
def stale_map(env, monkeypatch):
    """The run's query stage sees the fake host with a complete, fresh array truth that no longer maps WWID."""
    def observe(module, reader, truth):
        snap = reader.snapshot()
        snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
        snap["verdicts"] = [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}]
        return snap
    monkeypatch.setattr(stale_cleanup, "observe", observe)


def test_references_are_reported_and_nothing_is_edited_by_default(env, run):
    """Fails when references to removed devices are not reported, or a file is edited by default."""
    out = run({})
    assert not out.get("failed"), out
    found = sorted((r["kind"], r["line"]) for r in out["references"])
    assert found == [("crypttab", 1), ("fstab", 3), ("fstab", 4), ("lvm_devices", 3), ("mount_unit", 2)]
    assert all(r["action"] == "reported" for r in out["references"])
    assert "still name a removed device" in str(out.get("warnings"))
    assert read(env, "etc/fstab") == FSTAB and read(env, "etc/lvm/devices/system.devices") == DEVICES


def test_clean_references_comments_out_exactly_those_lines_with_a_backup(env, run):
    """Fails when clean_references edits other lines, edits units, or leaves no backup."""
    out = run({"clean_references": True})
    assert not out.get("failed"), out
    fstab = read(env, "etc/fstab").splitlines()
    assert fstab[2].startswith(obs_refs.MARK) and fstab[3].startswith(obs_refs.MARK)
    assert [ln for n, ln in enumerate(fstab) if n not in (2, 3)] == \
        [ln for n, ln in enumerate(FSTAB.splitlines()) if n not in (2, 3)]   # the other map's line stays
    devices = read(env, "etc/lvm/devices/system.devices").splitlines()
    assert devices[2].startswith(obs_refs.MARK) and not devices[3].startswith(obs_refs.MARK)
    assert read(env, "etc/systemd/system/srv-old.mount") == UNIT   # units are reported, never edited
    assert len(out["reference_backups"]) == 3
    assert all(os.path.exists(b) for b in out["reference_backups"])


def test_check_mode_reads_no_references(env, run):
    """Fails when check mode reads or edits references."""
    out = run({"clean_references": True}, check=True)
    assert "references" not in out and read(env, "etc/fstab") == FSTAB


@pytest.mark.parametrize("line,hit", [
    ("/dev/mapper/%s0 /x xfs defaults 0 0" % WWID, False),       # a longer WWID is another device
    ("/dev/mapper/%s-part1 /x xfs defaults 0 0" % WWID, True),   # its kpartx partition
    ("LABEL=%s /x xfs defaults 0 0" % WWID, True),
])
def test_matching_is_on_whole_names(line, hit):
    """Fails when a reference is matched by prefix to a longer name, or a partition or label is missed."""
    found = obs_refs.find_references("fstab", "/etc/fstab", line + "\n", obs_refs.needles([WWID], [WWID]))
    assert bool(found) is hit


@pytest.mark.parametrize("line,hit", [
    ("/dev/mapper/db /srv/db xfs defaults 0 0", True),
    ("/dev/mapper/db-data /srv/data xfs defaults 0 0", False),    # a live LV (VG db, LV data), not the map db
    ("/dev/mapper/db_old /srv/old xfs defaults 0 0", False),
    ("/dev/mapper/DB /srv/x xfs defaults 0 0", False),            # dm names are case-sensitive
    ("/dev/mapper/dbp1 /srv/x xfs defaults 0 0", True),           # its kpartx partitions
    ("/dev/mapper/db-part2 /srv/x xfs defaults 0 0", True),
])
def test_a_map_name_matches_only_as_the_whole_device_name(line, hit):
    """The name of a removed map `db` was matched as a prefix, and `/dev/mapper/db-data` (a live
    LV) was commented out of fstab."""
    found = obs_refs.find_references("fstab", "/etc/fstab", line + "\n", obs_refs.needles([], ["db"]))
    assert bool(found) is hit
    devices = "IDTYPE=devname IDNAME=%s DEVNAME=%s PVID=abc\n" % (line.split()[0], line.split()[0])
    assert bool(obs_refs.find_references("lvm_devices", "/x", devices, obs_refs.needles([], ["db"]))) is hit


ALIAS_FSTAB = ("/dev/mapper/db /srv/db xfs defaults 0 0\n"
               "/dev/mapper/db-data /srv/data xfs defaults 0 0\n"
               "/dev/mapper/dbp1 /srv/p1 xfs defaults 0 0\n")


@pytest.mark.parametrize("live_p1", [False, True])
def test_cleaning_the_references_of_map_db_never_touches_a_live_device_s_line(env, run, live_p1):
    """The removed map is `db` (a user_friendly alias); `db-data` is a live LV, and with live_p1 a live device now
    carries the name `dbp1` too: only the lines that name nothing live are commented out."""
    env.maps[WWID]["name"] = "db"
    env._file("sys/block/dm-3/dm/name", "db")
    env._file("etc/fstab", ALIAS_FSTAB)
    env._file("sys/block/dm-9/dm/name", "db-data")
    env._file("sys/block/dm-9/dm/uuid", "LVM-abcdef")
    if live_p1:
        env._file("sys/block/dm-10/dm/name", "dbp1")
    out = run({"clean_references": True})
    assert not out.get("failed"), out
    assert sorted(r["line"] for r in out["references"] if r["kind"] == "fstab") == ([1] if live_p1 else [1, 3])
    fstab = read(env, "etc/fstab").splitlines()
    assert fstab[0] == obs_refs.MARK + "/dev/mapper/db /srv/db xfs defaults 0 0"
    assert fstab[1] == "/dev/mapper/db-data /srv/data xfs defaults 0 0"
    assert fstab[2].startswith(obs_refs.MARK) is not live_p1


def test_a_dangling_by_id_link_left_by_a_slow_udev_does_not_hide_a_reference(env, run):
    """udev removes /dev/disk/by-id links only when it handles the remove event; until then (udev busy or stuck,
    the case the act already warns about) the link points at a node that is gone. That is no live device, but
    live_name takes os.path.lexists for one, drops the field, and crypttab's line to the removed map goes
    unreported (before the change it was reported)."""
    link = os.path.join(env.root, "dev/disk/by-id/dm-uuid-mpath-%s" % WWID)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink("../../dm-3", link)          # dangling: dm-3 is gone
    assert os.path.lexists(link) and not os.path.exists(link)
    out = run({})
    assert not out.get("failed"), out
    assert ("crypttab", 1) in sorted((r["kind"], r["line"]) for r in out["references"])


def test_a_dev_mapper_entry_left_by_a_slow_udev_does_not_hide_a_reference(env, run):
    """/dev/mapper/NAME is udev's too: until it handles the remove event the entry (a link to the gone dm-3, or a
    node) stays. A map is live only by its name in /sys/block/dm-*/dm/name, so fstab's line to the removed map is
    still reported."""
    mapper = os.path.join(env.root, "dev/mapper")
    os.makedirs(mapper, exist_ok=True)
    os.symlink("../dm-3", os.path.join(mapper, WWID))
    with open(os.path.join(mapper, WWID + "-stale-node"), "w"):
        pass
    out = run({})
    assert not out.get("failed"), out
    assert ("fstab", 3) in sorted((r["kind"], r["line"]) for r in out["references"])
    assert obs_refs.live_name("/dev/mapper/%s-stale-node" % WWID, set(), os.path.exists) is False


@pytest.mark.parametrize("odd", ["\r", "\x85", "\u2028", "\x0c"])
def test_a_line_is_commented_out_whole_where_the_reader_cuts_lines(odd):
    """fstab, crypttab and the devices file are read line by line at LF: str.splitlines cut a line at a CR, \x85,
    U+2028 or FF inside it, so the reference after the cut was commented out in the middle of the reader's line
    (its first half still read as the entry) and a line number past it named another line."""
    text = "UUID=1 / ext4 defaults 0 1\n# note%s/dev/mapper/db /data xfs defaults 0 0\n/dev/mapper/db /db xfs defaults 0 0\n" % odd
    refs = obs_refs.find_references("fstab", "/etc/fstab", text, obs_refs.needles(maps=["db"]))
    assert [(r["line"], r["text"]) for r in refs] == [(3, "/dev/mapper/db /db xfs defaults 0 0")]
    out = obs_refs.commented_out(text, [r["line"] for r in refs])
    assert out.split("\n")[:3] == text.split("\n")[:2] + [obs_refs.MARK + "/dev/mapper/db /db xfs defaults 0 0"]
    # libmount cuts fields at blanks and TABs only: a CR, \x85 or U+2028 inside a device name is part of it
    other = "/dev/mapper/db%sx /data xfs defaults 0 0\n" % odd
    assert obs_refs.find_references("fstab", "/etc/fstab", other, obs_refs.needles(maps=["db"])) == []


def test_a_reference_file_edited_before_a_later_write_failed_is_reported(env, run, monkeypatch):
    """clean_references edits the files one by one (crypttab, then fstab, ...). When the write of a later one missed
    its deadline (its filesystem hung) the result said references: [] and no reference_backups, so the crypttab
    already edited (a boot-time change) and its backup were reported nowhere: every file changed must be in the
    result with its backup."""
    hang_the_write_of(monkeypatch, "fstab")
    out = run({"clean_references": True, "command_timeout": 1})
    assert read(env, "etc/crypttab").startswith(obs_refs.MARK)  # crypttab was edited before fstab's write hung
    assert read(env, "etc/fstab") == FSTAB
    assert "crypttab" in str(out.get("reference_backups")), out


def test_a_later_reference_file_whose_backup_fails_keeps_the_removals_and_earlier_edits_reported(env, run, monkeypatch):
    """The backup of fstab (made in the module's process, after the child wrote the new text) fails: /etc is full.
    crypttab was edited before it; the result must still carry the maps removed, the crypttab edit and its backup,
    and a references_error naming fstab: never a module crash that loses what was removed."""
    import errno
    import shutil
    real = shutil.copy2

    def full(src, dst, *a, **kw):
        if "fstab" in os.path.basename(dst):
            raise OSError(errno.ENOSPC, "No space left on device", dst)
        return real(src, dst, *a, **kw)
    monkeypatch.setattr(shutil, "copy2", full)
    out = run({"clean_references": True})
    assert read(env, "etc/crypttab").startswith(obs_refs.MARK)  # crypttab was edited before fstab's backup failed
    assert out.get("removed_maps") == [WWID], out
    assert "crypttab" in str(out.get("reference_backups")), out
    assert "fstab" in str(out.get("references_error")), out


def test_a_later_reference_file_whose_move_fails_keeps_the_removals_and_earlier_edits_reported(env, run, monkeypatch):
    """The rename of fstab's temp file onto fstab fails (EIO: the root filesystem's disk errors). crypttab was edited
    before it; the result must still carry the maps removed, the crypttab edit and its backup, and a
    references_error naming fstab, on every ansible-core the collection supports."""
    import errno
    real = os.rename

    def eio(src, dst, *a, **kw):
        if os.path.basename(dst if isinstance(dst, str) else dst.decode()) == "fstab":
            raise OSError(errno.EIO, "Input/output error", dst)
        return real(src, dst, *a, **kw)
    monkeypatch.setattr(os, "rename", eio)
    out = run({"clean_references": True})
    assert read(env, "etc/crypttab").startswith(obs_refs.MARK) and read(env, "etc/fstab") == FSTAB
    assert out.get("removed_maps") == [WWID], out
    assert "crypttab" in str(out.get("reference_backups")), out
    assert "fstab" in str(out.get("references_error")), out


def test_a_later_reference_file_whose_backup_label_fails_keeps_the_removals_and_earlier_edits_reported(
        env, run, monkeypatch):
    """SELinux enforcing: the backup copy of fstab is made, but setting fstab's context on it fails (lsetfilecon:
    no space for the xattr block on a full /etc). The result must still carry the maps removed, the crypttab edit and
    its backup, and a references_error naming fstab."""
    import errno
    import types
    from ansible.module_utils import basic

    def lsetfilecon(path, context):
        if "fstab" in os.path.basename(path):
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return 0
    monkeypatch.setattr(basic.AnsibleModule, "selinux_enabled", lambda self: True)
    monkeypatch.setattr(basic.AnsibleModule, "is_special_selinux_path", lambda self, path: (False, None))
    monkeypatch.setattr(basic.AnsibleModule, "selinux_context", lambda self, path: (
        ["unconfined_u", "object_r", "etc_t", "s0"] if "~" in str(path) else ["system_u", "object_r", "etc_t", "s0"]))
    monkeypatch.setattr(basic, "selinux", types.SimpleNamespace(lsetfilecon=lsetfilecon), raising=False)
    out = run({"clean_references": True})
    assert read(env, "etc/crypttab").startswith(obs_refs.MARK) and read(env, "etc/fstab") == FSTAB
    assert out.get("removed_maps") == [WWID], out
    assert "crypttab" in str(out.get("reference_backups")), out
    assert "fstab" in str(out.get("references_error")), out
