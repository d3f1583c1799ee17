# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/post_check.py`: stale_cleanup's read after the act (what the role's
verify compares) and the lines that still name a removed device (reported, commented out only on request)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, files as config_files
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import post_check as act_post_check
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import (
    refs as obs_refs, reread as obs_reread)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    WWID, WWID2, FakeModule, env, hang_the_write_of, second_map, stale_maps)


FSTAB = ("UUID=1234-abcd / ext4 defaults 0 1\n"
         "/dev/mapper/%s /srv/old xfs defaults,nofail 0 0\n"
         "/dev/mapper/%s /srv/other xfs defaults 0 0\n") % (WWID, WWID2)


CRYPTTAB = "luks-old /dev/disk/by-id/dm-uuid-mpath-%s none luks\n" % WWID


UNIT = "[Mount]\nWhat=/dev/mapper/%s\nWhere=/srv/old\nType=xfs\n" % WWID


# what the act reports of a map it removed: the flush (its name) and the wait until it was gone (its WWID)
REMOVED_MAP = [{"action": "flush_map", "target": WWID, "outcome": "done"},
               {"action": "wait_map_gone", "target": WWID, "wwid": WWID, "outcome": "done"}]


def _with_config(env):
    env._file("etc/fstab", FSTAB)
    env._file("etc/crypttab", CRYPTTAB)
    env._file("etc/systemd/system/srv-old.mount", UNIT)


def _read(env, rel):
    with open(os.path.join(env.root, rel)) as fh:
        return fh.read()


def _map_and_paths_gone(env):
    """The run removed map WWID and its paths sdc and sdd: the host as the read after it finds it."""
    env._drop_map(env.maps[WWID])
    for hctl in ("4:0:0:1", "5:0:0:1"):
        env.remove_disk(hctl)


def _healthy(env, wwid):
    for p in env.maps[wwid]["paths"]:
        p["dm_state"], p["checker_state"] = "active", "ready"
    return sorted(p["name"] for p in env.maps[wwid]["paths"])


def _result(executed, flush_maps=()):
    return {"flush_maps": list(flush_maps), "executed": list(executed)}


def _edited_after_the_read(env, edits):
    """The env's host, on which the files `edits` names ({path under the root: text}) are written right after the
    read of the references: an operator's edit between the read and the clean."""
    host, call = env.host(), env.call

    def edit_after_the_read(fn, args=(), timeout=10.0, what=None):
        out = call(fn, args, timeout, what)
        if fn is obs_reread.read_references:
            for rel, text in sorted(edits.items()):
                env._file(rel, text)
        return out
    host.call = edit_after_the_read
    return host


def _references_read(host):
    """The host's call() with a record of the reads of the reference files (observe.reread.read_references)."""
    reads, call = [], host.call

    def recorded(fn, args=(), timeout=10.0, what=None):
        if fn is obs_reread.read_references:
            reads.append(timeout)
        return call(fn, args, timeout, what)
    host.call = recorded
    return reads


# ---------------------------------------------------------------------------------------------- the read after the run
def test_the_read_after_the_run_is_unprobed_and_gives_what_the_role_compares(env):
    """The post-check reads the host once without probing (no SCSI command to the paths the run left: a dead one
    can hang), and fills healthy_after by plan.cleanup.healthy_maps with the plan's exclusions (a map the plan left
    out of healthy_before must stay out of healthy_after, or the role's verify fails a clean run), maps_still_present
    of the flushed maps and an empty references when nothing was done."""
    env.snapshot_extra = {}     # the fake reader then probes as observe.probe.probe_snapshot would, if asked
    second_map(env)
    other = stale_maps(env, 1)[0]
    paths_other = _healthy(env, other)
    _healthy(env, WWID2)        # healthy, but excluded by the plan (a new LU of a mismatch repair)
    result = _result([{"action": "flush_map", "target": WWID, "outcome": "failed"}], flush_maps=[WWID, WWID2])
    act_post_check.post_check(FakeModule(clean_references=False), env.host(), result, [WWID, WWID2])
    assert [c for c in env.reader.calls if c[0] == "probe"] == []
    assert result == dict(_result([{"action": "flush_map", "target": WWID, "outcome": "failed"}], [WWID, WWID2]),
                          healthy_after={other: paths_other}, maps_still_present=[WWID, WWID2], references=[])


@pytest.mark.parametrize("error", [deadline.DeadlineExceeded("read of /sys/block", 10.0),
                                   RuntimeError("the reader's child died"), OSError(5, "Input/output error")])
def test_a_read_after_the_run_that_fails_is_reported_as_unknown(env, error):
    """A read after the run that fails (deadline, a child's failure, an I/O error) must not end the module that
    already removed devices: every post-check answer is unknown (null, never an empty list the role's verify
    would take for "nothing left"), references is empty, and post_check_error says why (the role's verify prints
    it in its failure message)."""
    def fails(probe=True):
        raise error
    env.reader.snapshot = fails
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(FakeModule(clean_references=True), env.host(), result, [WWID])
    assert result == dict(_result(REMOVED_MAP, [WWID]), healthy_after=None, maps_still_present=None, references=[],
                          post_check_error="the host could not be read after the run: %s" % error)


@pytest.mark.parametrize("outcome", ["done", "failed", "skipped", "not_run"])
def test_references_are_looked_for_only_after_a_step_was_done(env, outcome):
    """Only a run that removed something (a step done) reads the reference files: the lines naming the removed map
    are reported then, and a run that removed nothing neither reads the files nor reports a line."""
    _with_config(env)
    _map_and_paths_gone(env)
    host = env.host()
    reads = _references_read(host)
    executed = [dict(e, outcome=outcome) for e in REMOVED_MAP]
    result = _result(executed, flush_maps=[WWID])
    act_post_check.post_check(FakeModule(clean_references=False), host, result, [WWID])
    assert result["maps_still_present"] == [] and result["healthy_after"] == {}
    if outcome == "done":
        assert reads == [host.command_timeout]
        assert sorted((r["kind"], r["line"]) for r in result["references"]) == [
            ("crypttab", 1), ("fstab", 2), ("mount_unit", 2)]
    else:
        assert reads == [] and result["references"] == []


# ---------------------------------------------------------------------------------------------- the references
def test_references_are_reported_with_a_warning_and_nothing_is_edited_by_default(env):
    """Without clean_references the lines are returned (action reported) and one warning names each file:line;
    no file is written and no reference_backups is returned."""
    _with_config(env)
    _map_and_paths_gone(env)
    module = FakeModule(clean_references=False)
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(module, env.host(), result, [WWID])
    found = [(r["file"], r["line"], r["action"]) for r in result["references"]]
    assert found == [("/etc/fstab", 2, "reported"), ("/etc/crypttab", 1, "reported"),
                     ("/etc/systemd/system/srv-old.mount", 2, "reported")]
    assert module.warnings == ["3 line(s) still name a removed device (see 'references'): "
                               "/etc/fstab:2; /etc/crypttab:1; /etc/systemd/system/srv-old.mount:2"]
    assert _read(env, "etc/fstab") == FSTAB and _read(env, "etc/crypttab") == CRYPTTAB
    assert module.backups == [] and "reference_backups" not in result and "references_error" not in result


def test_clean_references_comments_out_the_lines_with_a_backup_of_each_file(env):
    """With clean_references the fstab and crypttab lines are commented out, each file through an atomic write with
    a backup of its old text (returned in reference_backups); the mount unit is only reported; no warning."""
    _with_config(env)
    _map_and_paths_gone(env)
    module = FakeModule(clean_references=True)
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(module, env.host(), result, [WWID])
    fstab = FSTAB.splitlines(True)
    assert _read(env, "etc/fstab") == "".join([fstab[0], obs_refs.MARK + fstab[1], fstab[2]])
    assert _read(env, "etc/crypttab") == obs_refs.MARK + CRYPTTAB
    assert _read(env, "etc/systemd/system/srv-old.mount") == UNIT
    assert [(r["file"], r["action"]) for r in result["references"]] == [
        ("/etc/fstab", "commented_out"), ("/etc/crypttab", "commented_out"),
        ("/etc/systemd/system/srv-old.mount", "reported")]
    backups = result["reference_backups"]
    assert backups == module.backups and len(backups) == 2
    assert sorted(_read(env, os.path.relpath(b, env.root)) for b in backups) == sorted([FSTAB, CRYPTTAB])
    assert module.warnings == [] and "references_error" not in result


def test_clean_references_with_no_line_left_returns_no_backups(env):
    """clean_references on a run whose removed devices no line names: nothing written, no reference_backups."""
    _map_and_paths_gone(env)
    module = FakeModule(clean_references=True)
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(module, env.host(), result, [WWID])
    assert result["references"] == [] and "reference_backups" not in result
    assert module.backups == [] and module.warnings == []


@pytest.mark.parametrize("left", ["nothing", "map", "disk"])
def test_a_removed_wwid_that_a_live_map_or_disk_still_carries_is_not_reported(env, left):
    """A WWID the run removed (a path's wait_disk_gone) but that the read after the run still finds, on a map or on
    a disk, names a live device: its lines are no reference to a removed one."""
    env._file("etc/crypttab", CRYPTTAB)
    if left == "map":           # the map stays (its paths are gone)
        for hctl in ("4:0:0:1", "5:0:0:1"):
            env.remove_disk(hctl)
    elif left == "disk":        # the map is gone, its paths stay
        env._drop_map(env.maps[WWID])
    else:
        _map_and_paths_gone(env)
    executed = [{"action": "wait_disk_gone", "target": "sdc", "wwid": WWID, "outcome": "done"}]
    result = _result(executed)
    act_post_check.post_check(FakeModule(clean_references=False), env.host(), result, [])
    reported = [(r["file"], r["line"]) for r in result["references"]]
    assert reported == ([("/etc/crypttab", 1)] if left == "nothing" else [])


def test_a_references_read_that_misses_its_deadline_is_reported_beside_the_result(env):
    """The read of the reference files misses its deadline (a hung /etc): the run's result stays, references is
    empty, references_error says why, a warning says it too (the role prints warnings, not references_error: an
    empty references must not read as "no line left") and no reference_backups is returned (nothing was edited)."""
    _with_config(env)
    _map_and_paths_gone(env)
    host = env.host()
    error = deadline.DeadlineExceeded("read of fstab, crypttab, LVM devices file and mount units", 10.0)
    call = host.call

    def hangs(fn, args=(), timeout=10.0, what=None):
        if fn is obs_reread.read_references:
            raise error
        return call(fn, args, timeout, what)
    host.call = hangs
    module = FakeModule(clean_references=True)
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(module, host, result, [WWID])
    assert result["references"] == [] and result["references_error"] == str(error)
    assert "reference_backups" not in result
    assert module.warnings == ["the lines that still name a removed device could not be read: %s" % error]
    assert _read(env, "etc/fstab") == FSTAB and _read(env, "etc/crypttab") == CRYPTTAB


def test_a_reference_file_whose_write_hangs_ends_at_the_command_timeout(env, monkeypatch):
    """Files are edited one by one (crypttab, then fstab): fstab's write hangs (its filesystem's disk does not
    answer). It must end at the host's command_timeout, fstab unchanged, with references_error naming it, and the
    crypttab edited before it still in the result with its backup."""
    _with_config(env)
    _map_and_paths_gone(env)
    hang_the_write_of(monkeypatch, "fstab")
    host = env.host(command_timeout=1)
    module = FakeModule(clean_references=True)
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    started = time.monotonic()
    act_post_check.post_check(module, host, result, [WWID])
    assert time.monotonic() - started < 5
    assert result["references_error"] == str(deadline.DeadlineExceeded(
        "write and fsync %s" % host.path("/etc/fstab"), 1.0))
    assert _read(env, "etc/fstab") == FSTAB and _read(env, "etc/crypttab") == obs_refs.MARK + CRYPTTAB
    assert [(r["file"], r["action"]) for r in result["references"]] == [
        ("/etc/fstab", "reported"), ("/etc/crypttab", "commented_out"),
        ("/etc/systemd/system/srv-old.mount", "reported")]
    assert result["reference_backups"] == module.backups and len(module.backups) == 1
    assert _read(env, os.path.relpath(module.backups[0], env.root)) == CRYPTTAB


def test_a_reference_line_edited_between_the_read_and_the_clean_is_warned_about_and_left(env):
    """fstab gets a line above the reference after the read of the references (an operator's edit): the clean leaves
    fstab as it is now (the number read names the root filesystem's line now), crypttab is still commented out, and
    the module warns with the line it left."""
    _with_config(env)
    _map_and_paths_gone(env)
    edited = "# the root first\n" + FSTAB
    host = _edited_after_the_read(env, {"etc/fstab": edited})
    module = FakeModule(clean_references=True)
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(module, host, result, [WWID])
    assert _read(env, "etc/fstab") == edited and _read(env, "etc/crypttab") == obs_refs.MARK + CRYPTTAB
    assert [(r["file"], r["line"], r["action"]) for r in result["references"]] == [
        ("/etc/fstab", 2, "changed_since_read"), ("/etc/crypttab", 1, "commented_out"),
        ("/etc/systemd/system/srv-old.mount", 2, "reported")]
    assert module.warnings == ["1 line(s) naming a removed device changed after they were read, or the device is "
                               "there again, and were left as they are (see 'references'): /etc/fstab:2"]


def test_a_line_left_changed_since_read_is_warned_about_when_a_later_file_fails(env, monkeypatch):
    """crypttab edited after the read (its line left), then fstab's write fails: the error is reported and the line
    left in crypttab is still warned about (the warning is not lost with the exception)."""
    _with_config(env)
    _map_and_paths_gone(env)
    host = _edited_after_the_read(env, {"etc/crypttab": "# keep\n" + CRYPTTAB})
    real = config_files.write_text

    def fstab_fails(module, path, text, **kw):
        if path.endswith("fstab"):
            raise OSError(30, "Read-only file system", path)
        return real(module, path, text, **kw)
    monkeypatch.setattr(config_files, "write_text", fstab_fails)
    module = FakeModule(clean_references=True)
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(module, host, result, [WWID])
    assert "Read-only file system" in result["references_error"]
    assert module.warnings[0] == ("the lines that still name a removed device could not be all read and cleaned: %s"
                                  % result["references_error"])
    assert [(r["file"], r["action"]) for r in result["references"]] == [
        ("/etc/fstab", "reported"), ("/etc/crypttab", "changed_since_read"),
        ("/etc/systemd/system/srv-old.mount", "reported")]
    assert module.warnings[-1] == ("1 line(s) naming a removed device changed after they were read, or the device is "
                                   "there again, and were left as they are (see 'references'): /etc/crypttab:1")


def test_a_reference_line_with_a_byte_that_is_not_utf8_is_shown_escaped_in_the_result(env):
    """The module's result is JSON: a byte of the file that is not UTF-8 is shown as \\xNN in references' text."""
    _map_and_paths_gone(env)
    with open(os.path.join(env.root, "etc", "crypttab"), "wb") as fh:
        fh.write(CRYPTTAB.rstrip("\n").encode() + b",caf\xe9\n")
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(FakeModule(clean_references=False), env.host(), result, [WWID])
    assert [r["text"] for r in result["references"]] == [CRYPTTAB.rstrip("\n") + ",caf\\xe9"]


def test_every_line_left_changed_since_read_is_named_in_the_one_warning(env):
    """fstab and crypttab both edited after the read: one warning names both lines, in the order of references."""
    _with_config(env)
    _map_and_paths_gone(env)
    host = _edited_after_the_read(env, {"etc/crypttab": "# keep\n" + CRYPTTAB, "etc/fstab": "# keep\n" + FSTAB})
    module = FakeModule(clean_references=True)
    result = _result(REMOVED_MAP, flush_maps=[WWID])
    act_post_check.post_check(module, host, result, [WWID])
    assert module.warnings == ["2 line(s) naming a removed device changed after they were read, or the device is "
                               "there again, and were left as they are (see 'references'): /etc/fstab:2; /etc/crypttab:1"]
    assert "reference_backups" in result and result["reference_backups"] == [] and "references_error" not in result
