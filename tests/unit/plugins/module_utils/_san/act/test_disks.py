# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/disks.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import disks as act_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import read_for
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.checks import verify_identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import (
    ActContext, ActFailed, ExecutionError)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, W1, W2, WWID, WWID2, _alias_tree, _orphan, delete_plan, disk, mpath)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import LOWER, UPPER


def test_the_recheck_before_a_delete_tells_two_lus_differing_in_case_apart(tmp_path):
    """Fails when the recheck before a delete takes a disk now of an LU differing only in case as the same."""
    env = FakeEnv(tmp_path)
    env._drop_map(env.maps[WWID])
    # planned: sdf at 4:0:0:7 is LU 1VEND_Abc. Since then the array reused LUN id 7 for LU 1VEND_abc and a rescan
    # refreshed device/wwid: same name, H:C:T:L and major:minor, another LU (no VPD 0x80 serial read)
    env.add_disk(dict(disk("sdf", "4:0:0:7", "8:80", LOWER), serial=None))
    step = plan_steps.step("delete_disk", "sdf", {"name": "sdf", "hctl": "4:0:0:7", "dev": "8:80",
                                                  "wwid": UPPER, "serial": None}).tagged(None, "disk sdf")
    with pytest.raises(Refused, match="wwid expected 1VEND_Abc, found 1VEND_abc") as refused:
        act_disks.delete_disk(env.host(), step)      # on 3d7a95c: written (the delete of LU 1VEND_abc's path)
    assert refused.value.kind == "identity", refused.value.to_dict()
    assert env.writes == []


def _sdc_step(tmp_path, alias_last):
    """The alias tree (LU W1's map mpatha; LU W2's map aliased "W1", path sdc): the plan flushed
    LU W2's map and deletes its path sdc (expect.after_flush W2); multipathd has assembled the map again from sdc,
    under its configured alias W1 (the alias is multipath.conf's: a rebuilt map gets it again)."""
    t = _alias_tree(tmp_path / str(alias_last), alias_last)
    host = ActContext(t.reader(), run=t.run, sleep=lambda s: None)
    d = t.reader().disk("sdc")
    assert d["map"] == W1 and d["wwid"] == W2, d
    step = plan_steps.step("delete_disk", "sdc", {"name": "sdc", "hctl": d["hctl"], "dev": d["dev"], "wwid": d["wwid"],
                                                  "serial": d["serial"]}, options={"after_flush": W2}).tagged(None, 1)
    return t, host, step


def test_the_act_refuses_a_disk_for_its_own_map_and_recognises_it_rebuilt(tmp_path):
    """Fails when the act's refusal of a disk names a map named like its map, or misses that map rebuilt."""
    for alias_last in (False, True):
        _t, host, step = _sdc_step(tmp_path, alias_last)
        for view in (False, True):
            host.view = read_for(host, [plan_steps.step("flush_map", W1, {"wwid": W2}).tagged(None, step.unit)]) \
                if view else None
            try:
                with pytest.raises(Refused) as exc:
                    verify_identity(host, step)
                # on 7120141: {"map": "mpatha"} (LU W1), the map named like sdc's map is not the map sdc is in
                assert exc.value.evidence.get("map") == W1, (alias_last, view, exc.value.evidence)
            finally:
                host.view = None
            rebuilt = act_disks._rebuilt_map(host, step, exc.value)
            # on 7120141: None (mpatha's WWID is W1): delete_disk refuses instead of flushing LU W2's rebuilt map
            assert rebuilt is not None and rebuilt["wwid"] == W2, (alias_last, view, rebuilt)


def test_checked_write_refuses_when_the_address_changed_in_the_last_moment(env, monkeypatch):
    """Fails when a delete writes to an address another disk took between the re-check and the write."""
    _orphan(env)
    st = [s for s in delete_plan(env, ["sdc"]) if s.action == "delete_disk"][0]
    # between the reader's re-read and the write, sdc is replaced at 4:0:0:1 by sdq
    info = _delete_with_a_disk_put_in_its_place(env, monkeypatch, st, disk("sdq", "4:0:0:1", "65:0", WWID2))
    assert info.value.kind == "identity"
    assert env.writes == []


def _delete_with_a_disk_put_in_its_place(env, monkeypatch, st, new):
    """delete_disk of `st` with sdc (4:0:0:1) replaced by the disk `new` right after its re-check, before the write:
    the Refused it raises (pytest's ExceptionInfo)."""
    real_verify = act_disks.verify_identity

    def verify_then_race(h, s, o=None):
        d = real_verify(h, s, o)
        env.remove_disk("4:0:0:1")
        env.add_disk(new)
        return d
    monkeypatch.setattr(act_disks, "verify_identity", verify_then_race)
    with pytest.raises(Refused) as info:
        act_disks.delete_disk(env.host(), st)
    return info


def test_disk_gone_before_delete_is_refused_not_guessed(env):
    """Fails when a disk gone before its delete is guessed at instead of refused."""
    _orphan(env)
    st = [s for s in delete_plan(env, ["sdc"]) if s.action == "delete_disk"][0]
    env.remove_disk("4:0:0:1")
    with pytest.raises(Refused) as info:
        act_disks.delete_disk(env.host(), st)
    assert info.value.kind == "unknown"


def _step_of(env, action, **opts):
    return [s for s in delete_plan(env, ["sdc"], **opts) if s.action == action][0]


def test_checked_write_refuses_when_the_disks_major_minor_changed_in_the_last_moment(env, monkeypatch):
    """Fails when a delete writes to a disk whose device node changed between the re-check and the write: the same
    name at the same address, another major:minor (sdc gone and another sdc made there)."""
    _orphan(env)
    st = _step_of(env, "delete_disk")
    info = _delete_with_a_disk_put_in_its_place(env, monkeypatch, st, disk("sdc", "4:0:0:1", "65:0", WWID))
    assert info.value.kind == "identity" and "is 65:0, expected %s" % st.identity.dev in str(info.value)
    assert env.writes == []


def test_a_non_san_disk_is_flushed_and_deleted_only_when_the_run_allows_non_san(env):
    """Fails when the act's re-check of a disk on a non-SAN transport does not hear the run's allow_non_san: refused
    without it, flushed and deleted with it."""
    _orphan(env)
    env.disks["sdc"]["transport"] = "sas"
    env.probes["sdc"] = {"result": "ready", "serial_live": None}
    flush, delete = (_step_of(env, action, allow_non_san=True) for action in ("flush_buffers", "delete_disk"))
    for act, st in ((act_disks.flush_buffers, flush), (act_disks.delete_disk, delete)):
        with pytest.raises(Refused) as info:
            act(env.host(), st)
        assert info.value.kind == "transport"
    assert env.writes == [] and not [c for c in env.commands if c[0] == "blockdev"]
    assert act_disks.flush_buffers(env.host(allow_non_san=True), flush)["outcome"] == "done"
    assert act_disks.delete_disk(env.host(allow_non_san=True), delete)["hctl"] == "4:0:0:1" and env.writes


def test_a_disk_without_a_valid_hctl_is_refused_by_name_before_any_write(env):
    """Fails when a disk whose H:C:T:L the act cannot read as one (planned without it) is written to, or refused
    without naming the disk, the kind (identity) and what it found."""
    _orphan(env)
    st = _step_of(env, "delete_disk")
    st = plan_steps.step("delete_disk", "sdc", dict(st.identity.as_dict(), hctl=None))
    env.disks["sdc"]["hctl"] = None
    with pytest.raises(Refused) as info:
        act_disks.delete_disk(env.host(), st)
    assert (info.value.target, info.value.kind, str(info.value)) == (
        "disk sdc", "identity", "disk sdc: has no valid H:C:T:L (None)")
    assert env.writes == []


def test_a_disk_gone_before_its_delete_is_refused_saying_nothing_was_written(env):
    """Fails when the refusal of a disk gone before its delete does not name it or say that nothing was written and
    why (its identity cannot be re-checked)."""
    _orphan(env)
    st = _step_of(env, "delete_disk")
    env.remove_disk("4:0:0:1")
    with pytest.raises(Refused) as info:
        act_disks.delete_disk(env.host(), st)
    assert (info.value.target, str(info.value)) == ("disk sdc", "disk sdc: is gone before delete (nothing written); "
                                                                "its identity cannot be re-checked")


def test_a_flush_of_buffers_says_what_it_did_and_why(env):
    """Fails when the flush of a disk's buffers does not report its outcome as the report reads it: done with its
    time, skipped with why and the probe when the device no longer answers as the same LU, already absent when the
    disk is gone; or a failed blockdev is not an error naming the disk and blockdev's answer."""
    _orphan(env)
    env.probes["sdc"] = {"result": "ready", "serial_live": None}
    st = _step_of(env, "flush_buffers")
    done = act_disks.flush_buffers(env.host(), st)
    assert sorted(done) == ["elapsed_flush", "outcome"] and done["outcome"] == "done"
    assert isinstance(done["elapsed_flush"], float)
    env.probes["sdc"] = {"result": "no_answer", "serial_live": None}
    assert act_disks.flush_buffers(env.host(), st) == {
        "outcome": "skipped", "why": "the device no longer answers as the same LU",
        "probe": {"result": "no_answer", "serial_live": None}}
    env.probes["sdc"] = {"result": "ready", "serial_live": None}
    host = env.host()
    real_run = host.run

    def failing(argv, timeout, what=None, data=None):
        if argv[0] == "blockdev":
            return deadline.CommandResult(argv, 1, "", "BLKFLSBUF: Input/output error\n", 0.01)
        return real_run(argv, timeout, what, data)
    host.run = failing
    with pytest.raises(ActFailed) as failed:
        act_disks.flush_buffers(host, st)
    assert (failed.value.target, str(failed.value)) == ("disk sdc", "disk sdc: blockdev --flushbufs failed: blockdev "
                                                        "--flushbufs /dev/sdc (rc=1): BLKFLSBUF: Input/output error")
    env.remove_disk("4:0:0:1")
    assert act_disks.flush_buffers(env.host(), st) == {"outcome": "already_absent"}


def test_a_delete_reports_the_address_it_wrote_to_and_the_by_id_links_the_disk_had(env):
    """Fails when a done delete does not report, as the report reads it, its outcome, the exclusive open it made
    first (no map, no holder), the H:C:T:L it wrote delete to and the /dev/disk/by-id links the disk had then (what
    the wait for it to be gone checks)."""
    _orphan(env)
    assert act_disks.delete_disk(env.host(), _step_of(env, "delete_disk")) == {
        "outcome": "done", "exclusive_open": "ok", "hctl": "4:0:0:1", "by_id": ["scsi-%s-sdc" % WWID]}
    assert env.writes


def test_a_delete_write_that_fails_is_an_error_naming_the_disk_and_the_write(env):
    """Fails when a delete whose sysfs write fails (here: the attribute cannot be opened for writing) is not an error
    naming the disk and the write that failed, with why."""
    _orphan(env)
    st = _step_of(env, "delete_disk")
    attribute = os.path.join(str(env.root), "sys/devices/scsi/4:0:0:1/delete")
    os.unlink(attribute)
    os.mkdir(attribute)
    with pytest.raises(ActFailed) as failed:
        act_disks.delete_disk(env.host(), st)
    assert failed.value.target == "disk sdc" and str(failed.value).startswith(
        "disk sdc: write 1 to /sys/class/scsi_device/4:0:0:1/device/delete failed: write 1 to "
        "/sys/class/scsi_device/4:0:0:1/device/delete: IsADirectoryError")


def _deleted(tmp_path, name):
    """FakeEnv with its map gone and the wait_disk_gone step of its path sdc (4:0:0:1)."""
    env = FakeEnv(tmp_path / name)
    _orphan(env)
    return env, _step_of(env, "wait_disk_gone")


def test_the_wait_for_a_deleted_disk_says_it_is_done_or_what_is_left(tmp_path):
    """Fails when the wait after a delete does not report, as the report reads it: done (and the address that now
    holds the name, when the kernel gave it to another disk), the disk still present with what is left of it, or the
    kernel done and udev behind, with its links and, when the unit was forgetting a WWID, the command to finish."""
    env, st = _deleted(tmp_path, "gone")
    env.remove_disk("4:0:0:1")
    assert [r for _s, r, _t in act_disks.wait_disk_gone(env.host(), [st])] == [{"outcome": "done"}]
    env, st = _deleted(tmp_path, "reused")
    env.remove_disk("4:0:0:1")
    env.add_disk(disk("sdc", "5:0:0:3", "8:32", WWID2))
    assert [r for _s, r, _t in act_disks.wait_disk_gone(env.host(), [st])] == [
        {"outcome": "done", "name_reused_by": "5:0:0:3"}]
    links = ["scsi-%s-sdc" % WWID]
    env, st = _deleted(tmp_path, "present")
    [(_s, failed, _t)] = act_disks.wait_disk_gone(env.host(), [st])
    assert (failed.target, str(failed), failed.detail) == ("disk sdc", (
        "disk sdc: still present 30s after delete (disk: True, scsi_device 4:0:0:1: sdc, by-id links: %s)" % links),
        {})
    behind = ("disk sdc: by-id links still present 30s after delete although the kernel removed the disk (no sysfs "
              "entry, nothing at 4:0:0:1): udev is behind (see `udevadm settle`); links: %s. The unit stops here and "
              "its later steps did not run" % links)
    for wwid, tail in ((WWID, " (if one was forgetting WWID %s: `multipath -w %s` once udev has settled)"
                        % (WWID, WWID)), (None, "")):
        env, st = _deleted(tmp_path, "udev-%s" % bool(wwid))
        env.udev_lags = True
        env.remove_disk("4:0:0:1")
        st = st if wwid else plan_steps.step("wait_disk_gone", "sdc", dict(st.identity.as_dict(), wwid=None))
        [(_s, failed, _t)] = act_disks.wait_disk_gone(env.host(), [st])
        assert (failed.target, str(failed), failed.detail) == (
            "disk sdc", behind + tail, {"kernel_removed": True, "by_id": links})


def _mpathz(env, wwid, dm, paths):
    """LU `wwid`'s map under the name mpathz (dm `dm`) with `paths`, as multipathd assembles it."""
    env.maps[wwid] = dict(mpath(wwid, dm, "253:%s" % dm[3:], paths), name="mpathz")
    env._file("sys/block/%s/dm/uuid" % dm, "mpath-" + wwid)
    env._file("sys/block/%s/dm/name" % dm, "mpathz")
    for name in paths:
        env.disks[name]["map"], env.disks[name]["holders"] = "mpathz", [dm]


def _rebuilt(env):
    """sdc's map flushed by the plan and assembled again by multipathd from sdc, under the name mpathz (dm-7); the
    delete_disk step of sdc that follows the flush (option after_flush, in the map's unit)."""
    _orphan(env)
    st = plan_steps.step("delete_disk", "sdc", identity.disk_identity(env.reader.disk("sdc")),
                         options={"after_flush": WWID}).tagged("flush", "map %s" % WWID)
    _mpathz(env, WWID, "dm-7", ["sdc"])
    return st


def _map_commands(env):
    return [c for c in env.commands if c[0] in ("multipathd", "multipath", "dmsetup")]


def test_a_map_rebuilt_from_the_disk_after_its_flush_is_removed_again_the_planned_way_before_the_delete(env):
    """Fails when the delete of a path whose map multipathd assembled again after the plan's flush (under its alias)
    does not remove that map the planned way first (queueing off, the targeted flush of that map, the wait), or does not
    report which map it removed and each attempt of its flush."""
    st = _rebuilt(env)
    detail = act_disks.delete_disk(env.host(), st)
    assert detail["rebuilt_map_removed"] == {"map": "mpathz", "dm": "dm-7", "attempts": [
        {"rc": 0, "out": "", "elapsed": 0.05}]}, detail
    assert _map_commands(env)[:2] == [
        ["multipathd", "disablequeueing", "map", "mpathz"], ["multipath", "-f", "mpathz"]], env.commands
    assert WWID not in env.maps and env.writes


def test_a_rebuilt_map_is_not_removed_when_another_lus_map_has_taken_its_name(env):
    """Fails when the removal of a map rebuilt after the plan's flush finds the map it removes by the name it was found
    under without its WWID: another LU's map under that name now loses its queueing and is flushed."""
    st = _rebuilt(env)
    found = env.reader.map("mpathz", "name")
    # since it was found: the rebuilt map went again and LU WWID2's map (path sde) came up under the name mpathz
    env._drop_map(env.maps[WWID])
    env.add_disk(disk("sde", "5:0:0:2", "8:64", WWID2))
    _mpathz(env, WWID2, "dm-8", ["sde"])
    assert act_disks._flush_rebuilt(env.host(), st, found) == {"map": "mpathz", "dm": "dm-7", "attempts": None}
    assert WWID2 in env.maps and not [c for c in _map_commands(env) if c[1] != "info"], env.commands


def test_a_rebuilt_map_renamed_since_it_was_found_is_refused_not_removed(env):
    """Fails when the removal of a map rebuilt after the plan's flush does not re-check the name it was found under:
    the map renamed since (the same LU, mpathz now mpathy) has its queueing turned off and is flushed instead of
    refused for its changed identity."""
    st = _rebuilt(env)
    found = env.reader.map("mpathz", "name")
    env.maps[WWID]["name"] = env.disks["sdc"]["map"] = "mpathy"
    env._file("sys/block/dm-7/dm/name", "mpathy")
    with pytest.raises(Refused) as info:
        act_disks._flush_rebuilt(env.host(), st, found)
    assert (info.value.target, info.value.kind) == ("map mpathz", "identity"), info.value.to_dict()
    assert WWID in env.maps and not [c for c in _map_commands(env) if c[1] != "info"], env.commands


def test_a_rebuilt_map_whose_removal_fails_gets_its_queueing_back_when_the_disks_unit_stops(env):
    """Fails when the queueing that the removal of a rebuilt map turned off is not given back when that map's flush
    fails and stops the disk's unit: the map would be left without queue_if_no_path after the act."""
    st = _rebuilt(env)
    env.flush_failures = 1000  # multipath -f answers "map in use" for as long as the act tries
    host = env.host()
    with pytest.raises(ExecutionError) as info:
        execute.execute([st], host)
    assert isinstance(info.value.cause, ActFailed) and str(info.value.cause).startswith(
        "map mpathz: still present after "), info.value.cause
    assert [r["map"] for r in info.value.restored] == ["mpathz"] and host.queueing_off == {}
    assert ["multipathd", "restorequeueing", "map", "mpathz"] in env.commands


def test_a_non_san_disk_whose_map_was_rebuilt_is_deleted_when_the_run_allows_non_san(env):
    """Fails when the re-check of a disk after the removal of its rebuilt map does not hear the run's allow_non_san:
    a disk on a non-SAN transport that the first re-check let through is refused once its map is removed."""
    st = _rebuilt(env)
    env.disks["sdc"]["transport"] = "sas"
    detail = act_disks.delete_disk(env.host(allow_non_san=True), st)
    assert (detail["rebuilt_map_removed"]["map"], detail["hctl"]) == ("mpathz", "4:0:0:1") and env.writes


def _waits_of_deleted(env, names):
    """The wait_disk_gone steps of `names` (paths of the fixture's map, which is gone)."""
    _orphan(env)
    return [s for s in delete_plan(env, names) if s.action == "wait_disk_gone"]


def _counted_leftovers(monkeypatch, fail_first=False):
    """The items of each read of what is left of deleted disks (observe.reread.leftovers), the first read failing
    past its deadline when `fail_first`."""
    reads = []
    real = obs_reread.leftovers

    def counted(host, items):
        reads.append(list(items))
        if fail_first and len(reads) == 1:
            raise deadline.DeadlineExceeded("read of %d deleted disk(s) in sysfs and /dev/disk/by-id" % len(items), 10)
        return real(host, items)
    monkeypatch.setattr(obs_reread, "leftovers", counted)
    return reads


def test_the_wait_for_deleted_disks_reads_what_is_left_once_per_round_for_all_of_them(env, monkeypatch):
    """Fails when the wait after a batch of deletes reads what is left of each disk on its own, or reads the host's
    disks and maps each round besides: one read of sysfs and /dev/disk/by-id per round, of the disks still waited
    for."""
    steps = _waits_of_deleted(env, ["sdc", "sdd"])
    env.remove_disk("4:0:0:1")
    reads = _counted_leftovers(monkeypatch)
    before = len(env.reader.calls)

    def sleep(seconds):  # sdd goes during the first pause
        env.remove_disk("5:0:0:1")
        env.clock.sleep(seconds)
    results = act_disks.wait_disk_gone(env.host(sleep=sleep), steps)
    assert [r for _s, r, _t in results] == [{"outcome": "done"}] * 2
    assert reads == [[("sdc", "4:0:0:1"), ("sdd", "5:0:0:1")], [("sdd", "5:0:0:1")]], reads
    assert env.reader.calls[before:] == [], env.reader.calls[before:]


def test_the_wait_for_deleted_disks_reads_each_on_its_own_when_the_read_of_all_fails(env, monkeypatch):
    """Fails when a read of what is left of a batch of deleted disks that fails (past its deadline) fails their waits
    instead of each disk being read on its own."""
    steps = _waits_of_deleted(env, ["sdc", "sdd"])
    env.remove_disk("4:0:0:1")
    env.remove_disk("5:0:0:1")
    reads = _counted_leftovers(monkeypatch, fail_first=True)
    results = act_disks.wait_disk_gone(env.host(), steps)
    assert [r for _s, r, _t in results] == [{"outcome": "done"}] * 2
    assert reads == [[("sdc", "4:0:0:1"), ("sdd", "5:0:0:1")], [("sdc", "4:0:0:1")], [("sdd", "5:0:0:1")]], reads


def test_the_wait_does_not_blame_udev_while_a_disk_is_at_the_deleted_disks_address(tmp_path):
    """Fails when the wait for a deleted disk whose name is gone, while its H:C:T:L holds a disk again (the LUN back
    under another name) and udev has not removed its links, says that the kernel removed the disk and udev is behind,
    instead of what is still there."""
    env, st = _deleted(tmp_path, "back")
    env.udev_lags = True
    env.remove_disk("4:0:0:1")
    env.add_disk(disk("sdq", "4:0:0:1", "65:0", WWID))
    [(_s, failed, _t)] = act_disks.wait_disk_gone(env.host(), [st])
    assert (str(failed), failed.detail) == (
        "disk sdc: still present 30s after delete (disk: False, scsi_device 4:0:0:1: sdq, by-id links: %s)"
        % ["scsi-%s-sdc" % WWID], {}), str(failed)


def test_every_disk_a_unit_touches_is_checked_still_dead_by_its_name_or_target_unless_gone(env, monkeypatch):
    """Fails when the check before a unit's disk touches skips a disk planned without a name (looked up by its
    target), checks another one, or checks a disk that is gone (its own step says already_absent)."""
    checked = []
    monkeypatch.setattr(act_disks, "verify_still_dead", lambda h, st, d, kind: checked.append((st.target, d["name"], kind)))
    steps = [plan_steps.step("delete_disk", "sdc", {"hctl": "4:0:0:1"}),
             plan_steps.step("delete_disk", "sdd", {"name": "sdd", "hctl": "5:0:0:1"}),
             plan_steps.step("delete_disk", "sdx", {"name": "sdx", "hctl": "6:0:0:1"})]
    act_disks.disks_still_dead(env.host(), steps)
    assert checked == [("sdc", "sdc", "disk"), ("sdd", "sdd", "disk")]
