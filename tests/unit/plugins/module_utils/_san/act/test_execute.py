# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/execute.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pytest
import signal

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, validate as validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    checks as act_checks, children as act_children, context as act_context, execute, maps as act_maps)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import probe as obs_probe
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import (
    cleanup, disks as plan_disks, steps as plan_steps)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, WWID2, _orphan, blocked_reader, dead, delete_plan, disk, flush_plan, host_plan, killed_closer,
    mpath, same_steps, sd_name, second_map, stale_maps, two_units)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    killable)


# where the act is cut: (what, does it match this command or sysfs write)
POINTS = {
    # the second map's queueing off: the first one's is already off
    "disablequeueing": lambda argv: argv[:2] == ["multipathd", "disablequeueing"] and argv[3] == WWID2,
    # the first flush, between its suspend and its remove
    "multipath -f": lambda argv: argv[:2] == ["multipath", "-f"],
    # the first path delete (both maps flushed by then: nothing left to give back, the exception still leaves)
    "delete": lambda argv: argv == ["delete"],
    "multipath -w": lambda argv: argv[:2] == ["multipath", "-w"],
}


@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def cut_at(env, host, point, exc_type):
    """Runners of `host` that raise exc_type at `point`; a cut multipath -f leaves its map suspended first."""
    run, call = env.run, env.call

    def cutting_run(argv, timeout, what=None, data=None):
        if POINTS[point]([str(a) for a in argv]):
            if argv[:2] == ["multipath", "-f"]:
                env.maps[argv[2]]["suspended"] = True
            raise exc_type("cut at %s" % point)
        return run(argv, timeout, what)

    def cutting_call(fn, args=(), timeout=10.0, what=None):
        if fn is act_children.child_checked_write and POINTS[point]([args[4]]):
            raise exc_type("cut at %s" % point)
        return call(fn, args, timeout, what)
    host.run, host.call = cutting_run, cutting_call


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("point", sorted(POINTS))
@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_anything_leaving_the_act_gives_queueing_back_and_resumes_first(env, exc_type, point, workers):
    """KeyboardInterrupt (SIGINT under Python's own handler), SystemExit and GeneratorExit pass `except
    Exception`: they left the act with queueing off on maps still there (their queued I/O failing from then on, with
    nothing to restore it) and a map suspended by a cut flush (all its I/O and its holders' blocked). Every map
    still there must queue again and be resumed before the exception leaves; KeyboardInterrupt is reported as an
    interruption by SIGINT, the others are raised again once queueing is back."""
    second_map(env)
    host = env.host(workers=workers)
    cut_at(env, host, point, exc_type)
    try:
        execute.execute(two_units(env), host)
    except BaseException as exc:  # pylint: disable=broad-except  # what leaves the act is the subject here
        caught = exc
    else:
        caught = None
    for wwid, m in env.maps.items():
        assert m["queueing"] is True, "map %s left with queueing off (cut at %s by %s)" % (wwid, point, exc_type)
        assert not m.get("suspended"), "map %s left suspended" % wwid
    if exc_type is KeyboardInterrupt:
        assert isinstance(caught, act_context.ExecutionError), repr(caught)
        out = caught.to_dict()
        assert "interrupted by SIGINT" in out["msg"] and host.interrupted == "SIGINT"   # the module reports it so
        assert sorted(r["map"] for r in out.get("queueing_restored", [])) == sorted(env.maps)
    else:
        assert isinstance(caught, exc_type), repr(caught)
    if point == "multipath -f":
        assert ["dmsetup", "resume", "-u", "mpath-" + WWID] in env.commands


def test_a_unit_whose_restore_is_cut_by_a_keyboardinterrupt_is_still_named_as_stopped(env):
    """A unit stopped at act time (its flush hung) whose queueing restore was cut by a KeyboardInterrupt (anything
    else leaving the act) vanished from `failures`: marked stopped before its restore returned, it was skipped by the
    act's end as already reported, so no report named it; and the restore had dropped its record before the command,
    so the act's end did not give its queueing back either. It is named, and its queueing given back at the end."""
    second_map(env)
    env.hang.add("multipath -f")        # the first map's flush times out: its unit stops and gives queueing back
    host, orig_run, cut = env.host(), env.run, []

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipathd", "restorequeueing"] and not cut:
            cut.append(argv)
            raise KeyboardInterrupt()     # ... until something leaving the act cuts that restore short
        return orig_run(argv, timeout, what, data)
    host.run = run
    try:
        execute.execute(two_units(env), host)
    except BaseException as exc:  # pylint: disable=broad-except  # a KeyboardInterrupt let out must fail this test,
        caught = exc              # not end the test run ("interrupted") as it would from pytest.raises
    else:
        caught = None
    assert isinstance(caught, act_context.ExecutionError), repr(caught)
    assert cut and "map %s" % WWID in [f["unit"] for f in caught.to_dict()["failures"]], caught.to_dict()
    assert all(m["queueing"] is True for m in env.maps.values())


def test_a_restore_whose_reread_raises_valueerror_still_restores_the_other_units(env):
    """'Every exception leaving the act restores the queueing of every unit'. restore_queueing catches
    (ActFailed, DeadlineExceeded, RuntimeError, OSError) but not ValueError, which ACT_ERRORS itself expects from a
    read (validate.InvalidInput: a map re-read whose kernel dm name the validator rejects, a parse error)."""
    second_map(env)
    env.hang.add("multipath -f")        # the first map's flush times out: its unit stops, queueing is given back
    orig_map = env.reader.map
    state = {"restoring": False}

    def map_(key, *args, **kwargs):
        if state["restoring"] and key == WWID:
            raise validate.InvalidInput("multipath map name 'db data' is not valid")
        return orig_map(key, *args, **kwargs)
    env.reader.map = map_
    orig_run = env.run

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipath", "-f"]:
            state["restoring"] = True   # from here on the re-read of WWID fails
        return orig_run(argv, timeout, what, data)
    host = env.host()
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(two_units(env), host)
    out = info.value.to_dict()
    assert any(f["unit"] == "map %s" % WWID for f in out["failures"])
    # the other unit's map never loses its queueing for good
    assert WWID2 not in env.maps or env.maps[WWID2]["queueing"] is True


def test_a_truth_dated_in_the_future_is_not_accepted_as_fresh_at_act_time(env):
    """The act measures the truth's age with the managed host's wall clock against a collected_at stamped
    elsewhere (the controller, the array data). A collected_at after 'now' (milliseconds instead of seconds, a
    controller clock ahead) gives a negative age, which passes `age > truth_max_age` at plan and act time alike:
    the bound the re-check exists for never bites. Fail closed: an age below zero (beyond a small skew) is unknown."""
    now = 1.7e9
    host = env.host(truth_times={"scsi": now * 1000}, truth_max_age=900, wall=lambda: now)
    with pytest.raises(Refused):
        act_checks.verify_truth_age(host, "map %s" % WWID, host.truth_times["scsi"])


# ---------------------------------------------------------------------------------------------- map removal
def test_flush_map_executes_exactly_the_plan_in_order(env):
    """Fails when a map flush runs other steps or commands than planned, in another order, or leaves the WWID."""
    plan = flush_plan(env)
    executed = execute.execute(plan, env.host())
    assert same_steps(plan, executed)
    assert [c[:2] for c in env.commands] == [["multipathd", "disablequeueing"], ["multipath", "-f"],
                                             ["multipath", "-w"]]
    assert env.commands[1] == ["multipath", "-f", WWID]
    assert WWID not in env.maps
    with open(os.path.join(env.root, "etc/multipath/wwids")) as fh:
        assert WWID not in fh.read()


def test_never_flush_all_maps(env):
    """Fails when a failing flush ever falls back to flushing all maps (multipath -F, del maps)."""
    env.flush_failures = 3
    execute.execute(flush_plan(env), env.host())
    flat = [a for c in env.commands for a in c]
    assert "-F" not in flat
    assert all(c[:2] != ["multipathd", "del"] or c[2] != "maps" for c in env.commands)


def test_flush_retries_and_reenables_fail_if_no_path_after_a_failed_flush(env):
    """Fails when a failed flush is not retried with queueing turned off again before each try."""
    env.flush_failures = 2
    executed = execute.execute(flush_plan(env), env.host())
    flush = [e for e in executed if e["action"] == "flush_map"][0]
    assert len([a for a in flush["detail"]["attempts"] if "out" in a]) == 3
    # queueing came back after each failure (as in the lab): disablequeueing again before every retry
    assert env.commands.count(["multipathd", "disablequeueing", "map", WWID]) == 3


def test_flush_gives_up_at_the_deadline_and_does_not_force_by_default(env):
    """Fails when a flush past its deadline forces the removal or forgets the WWID of the live map."""
    env.flush_failures = 10 ** 6
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(flush_plan(env), env.host(flush_timeout=5, retry_interval=1))
    assert info.value.step.action == "flush_map"
    assert "still present" in str(info.value)
    assert not any(c[0] == "dmsetup" and c[1] == "remove" for c in env.commands)
    assert not any(c[:2] == ["multipath", "-w"] for c in env.commands)  # never forget the WWID of a live map
    assert [e["action"] for e in info.value.executed] == ["disable_queueing"]


def test_force_remove_uses_dmsetup_only_when_asked(env):
    """Fails when force_remove does not fall back to dmsetup remove --force, or hides that it did."""
    env.flush_failures = 10 ** 6
    plan = flush_plan(env, force_remove=True)
    executed = execute.execute(plan, env.host(flush_timeout=8, retry_interval=1))
    assert ["dmsetup", "remove", "--force", "--retry", "-u", "mpath-" + WWID] in env.commands
    assert executed[1]["detail"]["method"] == "dmsetup remove --force --retry"


def test_hung_multipath_f_fails_clearly(env):
    """Fails when a hung multipath -f is not stopped at its deadline and named in the error."""
    env.hang.add("multipath -f")
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(flush_plan(env), env.host())
    assert isinstance(info.value.cause, deadline.DeadlineExceeded)
    assert "multipath -f %s" % WWID in str(info.value)
    assert info.value.to_dict()["deadline"]["seconds"] == 10.0


def test_disable_queueing_falls_back_to_dm_message_and_rechecks_live_table(env):
    """Fails when queueing is not turned off by dmsetup message once multipathd refuses, or not re-checked."""
    def run(argv, timeout, what=None, data=None):
        if argv[0] == "multipathd":
            env.commands.append(list(argv))
            return deadline.CommandResult(argv, 1, "", "multipathd not running", 0.01)
        return env.run(argv, timeout, what)
    host = env.host()
    host.run = run
    execute.act_one(host, flush_plan(env)[0])
    assert ["dmsetup", "message", "-u", "mpath-" + WWID, "0", "fail_if_no_path"] in env.commands
    assert env.maps[WWID]["queueing"] is False


def test_disable_queueing_fails_if_the_table_keeps_queueing(env):
    """Fails when disable_queueing trusts a command's ok while the live table still queues."""
    def run(argv, timeout, what=None, data=None):
        env.commands.append(list(argv))
        return deadline.CommandResult(argv, 0, "ok", "", 0.01)  # says ok, changes nothing
    host = env.host()
    host.run = run
    with pytest.raises(act_context.ActFailed) as info:
        execute.act_one(host, flush_plan(env)[0])
    assert "queue_if_no_path" in str(info.value)


def test_map_identity_changed_between_plan_and_act_refuses(env):
    """Fails when a map recreated under another dm device since the plan is flushed."""
    plan = flush_plan(env)
    env.maps[WWID]["dm"], env.maps[WWID]["dev"] = "dm-7", "253:7"   # recreated under another dm device
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert isinstance(info.value.cause, Refused) and info.value.cause.kind == "identity"
    assert env.commands == []


def test_new_path_on_the_map_between_plan_and_act_refuses(env):
    """Fails when a map that gained a path since the plan is flushed."""
    plan = flush_plan(env)
    env.maps[WWID]["paths"].append({"name": "sde"})
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.cause.kind == "identity" and "sde" in str(info.value)


@pytest.mark.parametrize("change,kind,holder", [
    ({"mountpoints": ["/data"]}, "mounted", "/data"),
    ({"swap": True}, "swap", "swap"),
    ({"openers": [{"pid": 4242, "comm": "postgres"}], "open_count": 1}, "opener", "postgres"),
])
def test_map_becomes_used_between_plan_and_act_refuses(env, change, kind, holder):
    """Fails when a map mounted, used as swap or opened since the plan is flushed."""
    plan = flush_plan(env)
    env.maps[WWID].update(change)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.cause.kind == kind and holder in str(info.value)
    assert env.commands == []


def test_holder_appearing_is_named_by_kind(env):
    """Fails when a holder that appeared since the plan is not named by kind (lvm, VG, LV) in the refusal."""
    plan = flush_plan(env)
    env.add_holder("dm-9", "LVM-abcdef", "vg0-lv0")
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert "lvm holder dm-9 (vg0-lv0: VG vg0, LV lv0)" in str(info.value)


def test_stuck_udev_opener_goes_away_after_disabling_queueing(env):
    """Fails when a udev worker stuck on the map blocks a flush it leaves once queueing is off."""
    env.maps[WWID]["openers"] = [{"pid": 77, "comm": "(udev-worker)"}]
    env.maps[WWID]["open_count"] = 1
    plan = flush_plan(env)   # benign opener: planned
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipathd", "disablequeueing"] and WWID in env.maps:
            env.maps[WWID]["openers"], env.maps[WWID]["open_count"] = [], 0  # its I/O failed, it left
        return res
    host = env.host()
    host.run = run
    executed = execute.execute(plan, host)
    assert same_steps(plan, executed)
    assert WWID not in env.maps


def test_dead_map_release_needs_every_path_failed_at_act_time(env):
    """Fails when a dead map's opener is released though one of its paths came back active."""
    host, _events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    env.maps[WWID]["paths"][0]["dm_state"] = "active"   # a path came back: the dd may do real I/O
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step.action == "disable_queueing" and "pid 4242 (dd)" in str(info.value)
    assert env.commands == [] and WWID in env.maps


def test_dead_map_release_needs_every_path_to_say_lun_not_supported_at_act_time(env):
    """Fails when a dead map is released while one of its paths no longer answers LU not supported."""
    host, _events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    env.probes["sdd"] = {"result": "no_answer", "serial_live": None}   # its portal was cut since the plan
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step.action == "disable_queueing"
    assert "sdd: no_answer" in str(info.value) and "LOGICAL UNIT NOT SUPPORTED" in str(info.value)
    assert env.commands == [] and WWID in env.maps


def test_mount_on_a_dead_unmapped_map_still_refuses_before_anything(env):
    """Fails when a mounted map is touched at all because the array unmapped it and its paths are dead."""
    host, _events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    env.maps[WWID]["mountpoints"] = ["/data"]
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step.action == "disable_queueing" and "/data" in str(info.value)
    assert env.commands == []


def test_dead_map_held_by_a_killed_closer_is_flushed_once_its_open_count_reaches_0(env):
    """Fails when a dead map held only by a killed closer is not flushed once its open count reaches 0."""
    host = killed_closer(env)
    plan = flush_plan(env, array_unmapped=True, exiting_opens=1)
    assert [s.action for s in plan][:3] == ["disable_queueing", "verify_unused", "flush_map"]
    executed = execute.execute(plan, host)
    assert same_steps(plan, executed)
    assert env.commands.index(["multipathd", "disablequeueing", "map", WWID]) < \
        env.commands.index(["multipath", "-f", WWID])
    assert WWID not in env.maps


def test_more_unseen_opens_at_act_time_than_the_plan_attributed_refuse_before_any_command(env):
    """Fails when more unattributed opens at act time than the plan counted do not refuse before any command."""
    host = killed_closer(env)
    plan = flush_plan(env, array_unmapped=True, exiting_opens=1)
    env.maps[WWID]["open_count"] = 2   # another user nobody named opened the map since the plan
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step.action == "disable_queueing" and "open count 2" in str(info.value)
    assert env.commands == [] and WWID in env.maps


def test_a_killed_closer_of_a_mapped_map_sends_nothing_to_a_stale_map_held_by_a_hidden_user(env):
    """A udev worker killed on map B (the array still maps it; every path down) and one open nobody
    sees on stale map A (a hidden user: a mount in another namespace). Before, the closer was pooled against the
    chosen maps only: A got `multipathd disablequeueing` (the user's queued writes failed) before verify_unused
    refused. Now A is refused in the plan and the act sends it nothing; the clean stale map C is removed."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.plan.helpers import counted
    b, c = stale_maps(env, 2)
    env.maps[WWID]["open_count"] = 1     # A: the hidden user's open
    env.maps[b]["open_count"] = 1        # B: the killed worker's open
    for n in [p["name"] for p in env.maps[b]["paths"]]:
        env.probes[n] = {"result": "no_answer", "serial_live": None}
    snap = env.reader.snapshot()
    for m in snap["maps"].values():
        m["probe"] = dict((p["name"], env.reader.probe_path(p["name"])) for p in m["paths"])
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    snap["host"] = {"exiting_tasks": [{"pid": 402, "comm": "(udev-worker)",
                                       "frames": ["blkdev_close", "blkdev_put", "blkdev_flush_mapping"]}]}
    verdicts = [{"kind": "stale_unmapped", "object": "map", "name": w, "wwid": w} for w in (WWID, c)]
    verdicts.append({"kind": "paths_down_but_mapped", "object": "map", "name": b, "wwid": b})
    out = cleanup.plan_cleanup(counted(snap), verdicts)
    assert not [s for s in out["steps"] if WWID in (s.target, s.unit.split()[-1])]
    assert [x["name"] for x in out["skipped"] if x["kind"] == "refused"] == [WWID]
    executed = execute.execute(out["steps"], env.host())
    assert same_steps(out["steps"], executed)
    assert not [argv for argv in env.commands if WWID in " ".join(argv)]
    assert ["multipathd", "disablequeueing", "map", c] in env.commands and c not in env.maps
    assert WWID in env.maps and b in env.maps and env.maps[WWID]["queueing"] is True


def test_remove_wwid_refuses_while_the_map_is_live(env):
    """Fails when remove_wwid forgets the WWID of a map that is still live."""
    st = [s for s in flush_plan(env) if s.action == "remove_wwid"][0]
    with pytest.raises(Refused) as info:
        execute.act_one(env.host(), st)
    assert info.value.kind == "live_map"
    assert env.commands == []


def test_map_already_gone_at_act_time_is_not_an_error(env):
    """Fails when a map already gone at act time is an error or is flushed again."""
    plan = flush_plan(env)
    env._drop_map(env.maps[WWID])
    executed = execute.execute(plan, env.host())
    assert [e["outcome"] for e in executed][:2] == ["already_absent", "already_absent"]
    assert not any(c[:2] == ["multipath", "-f"] for c in env.commands)


def test_delete_disks_executes_exactly_the_plan(env):
    """Fails when a disk delete writes other devices than planned or leaves the disks and their links."""
    _orphan(env)
    plan = delete_plan(env, ["sdc", "sdd"])
    executed = execute.execute(plan, env.host())
    assert same_steps(plan, executed)
    assert [w[1][1] for w in env.writes] == ["4:0:0:1", "5:0:0:1"]
    assert env.writes[0][1][4:] == ("delete", "1")
    assert env.disks == {}
    assert os.listdir(os.path.join(env.root, "dev/disk/by-id")) == []


def test_flush_buffers_only_when_the_device_answers_as_the_same_lu(env):
    """Fails when buffers are flushed into a device that now answers as another LU."""
    _orphan(env)
    env.probes["sdc"] = {"result": "ready", "serial_live": env.disks["sdc"]["serial"]}
    env.probes["sdd"] = {"result": "ready", "serial_live": "someone-else"}  # reused LUN: never flush into it
    plan = delete_plan(env, ["sdc", "sdd"])
    assert [s.action for s in plan] == ["flush_buffers", "delete_disk", "wait_disk_gone",
                                        "delete_disk", "wait_disk_gone"]
    execute.execute(plan, env.host())
    assert ["blockdev", "--flushbufs", "/dev/sdc"] in env.commands
    assert ["blockdev", "--flushbufs", "/dev/sdd"] not in env.commands


def test_flush_buffers_skipped_when_the_device_stopped_answering(env):
    """Fails when buffers are flushed to a device that stopped answering since the plan."""
    _orphan(env)
    env.probes["sdc"] = {"result": "ready", "serial_live": None}
    plan = delete_plan(env, ["sdc"])
    env.probes["sdc"] = {"result": "no_answer", "serial_live": None}
    executed = execute.execute(plan, env.host())
    assert executed[0]["outcome"] == "skipped"
    assert not any(c[0] == "blockdev" for c in env.commands)


def test_hung_flushbufs_fails_clearly(env):
    """Fails when a hung blockdev --flushbufs is not stopped at its deadline, or the delete still runs."""
    _orphan(env)
    env.probes["sdc"] = {"result": "ready", "serial_live": None}
    env.hang.add("blockdev")
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(delete_plan(env, ["sdc"]), env.host())
    assert isinstance(info.value.cause, deadline.DeadlineExceeded)
    assert env.writes == []


def test_name_reused_between_plan_and_act_refuses_before_writing(env):
    """Fails when a disk name reused for another LUN since the plan is deleted."""
    _orphan(env)
    plan = delete_plan(env, ["sdc"])
    # sdc went away and the name came back for another LUN at another address
    env.remove_disk("4:0:0:1")
    env.add_disk(disk("sdc", "4:0:0:9", "8:32", WWID2))
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.cause.kind == "identity" and "hctl" in str(info.value)
    assert env.writes == [] and "sdc" in env.disks


def test_lun_changed_under_the_same_address_refuses(env):
    """Fails when a disk whose WWID changed under the same address since the plan is deleted."""
    _orphan(env)
    plan = delete_plan(env, ["sdc"])
    env.disks["sdc"]["wwid"] = WWID2
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.cause.kind == "identity" and "wwid" in str(info.value)
    assert env.writes == []


def test_disk_in_live_map_refused_at_act_time(env):
    """Fails when a disk that became a path of a rebuilt live map is deleted."""
    _orphan(env)
    plan = delete_plan(env, ["sdc"])
    env.maps[WWID] = mpath(WWID, "dm-3", "253:3", ["sdc"])   # multipathd rebuilt the map
    env.disks["sdc"]["map"], env.disks["sdc"]["holders"] = WWID, ["dm-3"]
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.cause.kind == "live_map"
    assert env.writes == []


def _rebuild(env, wwid=WWID, paths=("sdc", "sdd"), dm="dm-7"):
    """multipathd assembles a map again from paths that were left after a flush."""
    env.maps[wwid] = mpath(wwid, dm, "253:7", list(paths))
    env._file("sys/block/%s/dm/uuid" % dm, "mpath-" + wwid)
    env._file("sys/block/%s/dm/name" % dm, wwid)
    for n in paths:
        env.disks[n]["map"], env.disks[n]["holders"] = wwid, [dm]


def unit_plan(env):
    """What plan_cleanup makes of one stale map: the map, its paths right after it, multipath -w."""
    snap = env.reader.snapshot()
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    return cleanup.plan_cleanup(snap, [{"kind": "stale_unmapped", "object": "map", "name": WWID, "wwid": WWID}])[
        "steps"]


def run_unit_with_a_change_after_the_flush(env, change):
    """Execute the unit plan of one stale map; `change(env)` runs right after its wait_map_gone step, the window
    in which multipathd could assemble the map again from a path not yet deleted. Returns executed, or the
    ExecutionError."""
    plan = unit_plan(env)
    real_wait = act_maps.wait_map_gone

    def wait_then_change(host, st):
        out = real_wait(host, st)
        change(env)
        return out
    execute.ACT["wait_map_gone"] = wait_then_change
    try:
        return plan, execute.execute(plan, env.host())
    except act_context.ExecutionError as exc:
        return plan, exc
    finally:
        execute.ACT["wait_map_gone"] = real_wait


def test_map_rebuilt_from_its_paths_after_the_flush_is_removed_again_before_the_delete(env):
    """Fails when a map rebuilt after the flush is not removed again, the planned way, before the delete."""
    plan, executed = run_unit_with_a_change_after_the_flush(env, _rebuild)
    assert same_steps(plan, executed)
    first = [e for e in executed if e["action"] == "delete_disk"][0]
    assert first["detail"]["rebuilt_map_removed"]["dm"] == "dm-7"
    assert WWID not in env.maps and not env.disks
    # the same order as the planned flush: queueing off, then the targeted flush; never a flush-all
    tail = [c[:2] for c in env.commands[2:4]]
    assert tail == [["multipathd", "disablequeueing"], ["multipath", "-f"]], env.commands
    assert "-F" not in [a for c in env.commands for a in c]


def test_another_map_holding_the_path_is_still_refused(env):
    """Fails when a path now held by another LU's map is deleted."""
    _plan, err = run_unit_with_a_change_after_the_flush(env, lambda e: _rebuild(e, wwid=WWID2))
    assert isinstance(err, act_context.ExecutionError)
    assert err.cause.kind == "live_map" and WWID2 in str(err)
    assert env.writes == [] and WWID2 in env.maps


def test_rebuilt_map_that_is_in_use_is_refused_not_removed(env):
    """Fails when a rebuilt map that is in use is removed instead of refused."""
    def rebuilt_and_used(e):
        _rebuild(e)
        e.maps[WWID]["openers"] = [{"pid": 42, "comm": "postgres"}]
    _plan, err = run_unit_with_a_change_after_the_flush(env, rebuilt_and_used)
    assert isinstance(err, act_context.ExecutionError)
    assert err.cause.kind == "opener" and "postgres" in str(err)
    assert env.writes == [] and WWID in env.maps


def test_disk_opened_by_a_process_between_plan_and_act_refuses(env):
    """Fails when a disk a process opened since the plan is deleted."""
    _orphan(env)
    plan = delete_plan(env, ["sdc"])
    env.disks["sdc"]["openers"] = [{"pid": 99, "comm": "dd"}]
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.cause.kind == "opener" and "pid 99 (dd)" in str(info.value)


def test_hung_delete_write_fails_clearly_with_nothing_else_done(env):
    """Fails when a hung sysfs delete write is not named in the error, or other steps still run."""
    _orphan(env)
    env.hang.add("delete")
    plan = delete_plan(env, ["sdc", "sdd"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert isinstance(info.value.cause, deadline.DeadlineExceeded)
    assert "device/delete" in str(info.value) and "4:0:0:1" in str(info.value)
    assert info.value.executed == []


def test_wait_disk_gone_times_out_when_links_stay(env):
    """Fails when wait_disk_gone reports done while the disk is still present."""
    _orphan(env)
    env.kernel_removes = False
    plan = delete_plan(env, ["sdc"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host(wait_timeout=3))
    assert info.value.step.action == "wait_disk_gone"
    assert "still present" in str(info.value)


def test_wait_disk_gone_stops_the_unit_while_udev_keeps_the_links_and_says_what_is_left(env):
    """Fails when udev lagging forgets the WWID anyway, or the error does not say what is left to do."""
    # the kernel removed the disks, udev has not caught up: the unit stops before forgetting the WWID, and the
    # message says the kernel side is done, names the links and the WWID left, so an operator knows what remains
    env.udev_lags = True
    plan = unit_plan(env)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host(wait_timeout=3))
    assert info.value.step.action == "wait_disk_gone"
    assert "sdc" not in env.disks and "sdd" not in env.disks      # the kernel's part is done
    msg = str(info.value)
    assert "kernel removed the disk" in msg and "udevadm settle" in msg and "forgetting WWID %s: `multipath -w %s`" % (WWID, WWID) in msg
    assert "scsi-%s-sdc" % WWID in msg or "scsi-%s-sdd" % WWID in msg
    assert not any(c[:2] == ["multipath", "-w"] for c in env.commands)


def test_wait_disk_gone_accepts_the_name_reused_elsewhere(env):
    """Fails when wait_disk_gone waits on a disk name the kernel gave to another address."""
    _orphan(env)
    st = delete_plan(env, ["sdc"])[-1]
    env.remove_disk("4:0:0:1")
    env.add_disk(disk("sdc", "4:0:0:9", "8:32", WWID2))
    out = execute.act_one(env.host(), st)
    assert out["name_reused_by"] == "4:0:0:9"


def test_unknown_action_is_refused(env):
    """Fails when a step with an action the act does not know is run or ignored, or an untyped step is run."""
    with pytest.raises(ValueError, match="unknown action 'format_disk'"):
        plan_steps.Step("format_disk", "sdc")
    wire = {"action": "delete_disk", "target": "sdc", "identity": {"name": "sdc"}, "options": {}}
    with pytest.raises(act_context.ExecutionError, match="is a plan.steps.Step, not dict") as info:
        execute.execute([wire], env.host())
    assert env.commands == [] and "sdc" in env.disks
    # the report names the step refused and that nothing ran
    assert str(info.value) == "a plan's step is a plan.steps.Step, not dict"
    assert info.value.step is wire and info.value.executed == [] and isinstance(info.value.cause, TypeError)


# ---------------------------------------------------------------------------------------------- restored on abort
def test_refusal_after_disablequeueing_restores_queueing_and_says_so(env):
    """Fails when a refusal after queueing was turned off leaves it off or does not say it was restored."""
    host, _events = blocked_reader(env, leaves=False)
    plan = flush_plan(env, array_unmapped=True)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step.action == "verify_unused"
    assert env.commands[-1] == ["multipathd", "restorequeueing", "map", WWID]
    assert env.maps[WWID]["queueing"] is True
    out = info.value.to_dict()
    assert out["queueing_restored"][0]["map"] == WWID and out["queueing_restored"][0]["queueing_now"] is True
    assert "queueing on map %s restored" % WWID in out["msg"]


def test_flush_failure_restores_queueing(env):
    """Fails when a flush that fails for good leaves the map's queueing off."""
    env.flush_failures = 10 ** 6
    orig = env.run

    def run(argv, timeout, what=None, data=None):  # the daemon keeps queueing off across the failed flushes
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipath", "-f"] and WWID in env.maps:
            env.maps[WWID]["queueing"] = False
        return res
    host = env.host(flush_timeout=5, retry_interval=1)
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(flush_plan(env), host)
    assert info.value.step.action == "flush_map"
    assert ["multipathd", "restorequeueing", "map", WWID] in env.commands
    assert env.maps[WWID]["queueing"] is True and info.value.to_dict()["queueing_restored"]


def test_later_failing_step_restores_queueing_of_a_map_still_there(env):
    """Fails when a step failing after disable_queueing leaves the map that is still there without queueing."""
    env.hang.add("multipath -f")
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(flush_plan(env), env.host())
    assert isinstance(info.value.cause, deadline.DeadlineExceeded)
    assert env.maps[WWID]["queueing"] is True
    assert "restored" in str(info.value)


def test_a_removed_map_gets_no_restore(env):
    """Fails when queueing is restored on a map the run removed."""
    plan = flush_plan(env) + delete_plan_after_flush(env)
    env.hang.add("delete")
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.step.action == "delete_disk"
    assert not any(c[1] == "restorequeueing" for c in env.commands)
    assert "queueing_restored" not in info.value.to_dict()


def delete_plan_after_flush(env):
    d = dict(env.reader.disk("sdc"), map=None, holders=[])
    return plan_disks.plan_disk_delete([d], {}, {"flush_buffers": False})


def test_without_multipathd_the_acts_use_dmsetup_by_uuid_and_restore_that_way(env):
    """Fails when a host without multipathd gets multipathd commands, or queueing is not restored by dmsetup."""
    os.unlink(os.path.join(env.root, "proc/700/comm"))
    host, _events = blocked_reader(env, leaves=False)
    plan = flush_plan(env, array_unmapped=True)
    with pytest.raises(act_context.ExecutionError):
        execute.execute(plan, host)
    assert not any(c[0] == "multipathd" for c in env.commands)  # its socket would start it
    assert ["dmsetup", "message", "-u", "mpath-" + WWID, "0", "fail_if_no_path"] in env.commands
    assert env.commands[-1] == ["dmsetup", "message", "-u", "mpath-" + WWID, "0", "queue_if_no_path"]
    assert env.maps[WWID]["queueing"] is True


def test_queueing_turned_off_on_a_map_whose_table_read_failed_is_given_back_without_multipathd(env):
    """The plan saw the dead map queueing; at act time the batch's read of its table gave nothing (a dmsetup table that
    missed its deadline, or a line dropped as printed twice: queueing None). disable_queueing sent fail_if_no_path all
    the same and recorded was_queueing as bool(None), False; verify_unused then refused (the reader stays), and
    without multipathd the restore sends queue_if_no_path only for a map that was queueing: it sent nothing, and the
    map the run found queueing was left failing I/O, reported as 'restored'."""
    os.unlink(os.path.join(env.root, "proc/700/comm"))  # multipathd not running: the acts use dmsetup by uuid
    host, _events = blocked_reader(env, leaves=False)
    plan = flush_plan(env, array_unmapped=True)
    assert plan[0].action == "disable_queueing"
    env.maps[WWID]["queueing"] = None  # what the act's read of the map shows when its table line was not read
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert ["dmsetup", "message", "-u", "mpath-" + WWID, "0", "fail_if_no_path"] in env.commands
    assert ["dmsetup", "message", "-u", "mpath-" + WWID, "0", "queue_if_no_path"] in env.commands, \
        info.value.to_dict().get("queueing_restored")


def test_queueing_is_not_turned_off_on_a_map_whose_queueing_cannot_be_read_now(env):
    """Fails when disable_queueing sends fail_if_no_path to a map (not a released dead map) whose act-time table read
    gave no queueing state: without multipathd its restore could only skip it or impose queueing it never had."""
    os.unlink(os.path.join(env.root, "proc/700/comm"))
    plan = flush_plan(env)
    env.maps[WWID]["queueing"] = None
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert not any(c[-1] in ("fail_if_no_path", "queue_if_no_path") for c in env.commands), env.commands
    assert info.value.to_dict()["failures"][0]["refusal"]["kind"] == "unknown", info.value.to_dict()


def test_no_queue_if_no_path_is_sent_to_a_map_that_did_not_queue(env):
    """Fails when queueing is turned on for a map that did not queue before the act."""
    os.unlink(os.path.join(env.root, "proc/700/comm"))
    env.maps[WWID]["queueing"] = False
    env.flush_failures = 10 ** 6
    with pytest.raises(act_context.ExecutionError):
        execute.execute(flush_plan(env), env.host(flush_timeout=3, retry_interval=1))
    assert not any(c[-1] == "queue_if_no_path" for c in env.commands)


def test_a_map_left_suspended_by_a_failed_flush_is_resumed(env):
    """Fails when a map a failed flush left suspended is not resumed."""
    env.flush_failures = 1
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipath", "-f"] and res.rc != 0:
            env.maps[WWID]["suspended"] = True
        return res
    host = env.host()
    host.run = run
    executed = execute.execute(flush_plan(env), host)
    flush = [e for e in executed if e["action"] == "flush_map"][0]
    assert ["dmsetup", "resume", "-u", "mpath-" + WWID] in env.commands
    assert "SUSPENDED" in flush["detail"]["resumed"][0]


def test_a_killed_flush_resumes_the_map_and_restores_queueing(env):
    """Fails when a flush killed at its deadline leaves the map suspended or without queueing."""
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipath", "-f"]:
            env.commands.append(list(argv))
            env.maps[WWID]["suspended"] = True   # killed between suspend and remove
            env.clock.now += timeout
            raise deadline.DeadlineExceeded("multipath -f", timeout)
        return orig(argv, timeout, what)
    host = env.host()
    host.run = run
    with pytest.raises(act_context.ExecutionError):
        execute.execute(flush_plan(env), host)
    assert env.maps[WWID].get("suspended") is False
    assert env.maps[WWID]["queueing"] is True


def test_flush_attempts_never_get_a_fraction_of_a_second(env):
    """Fails when a flush retry near the deadline gets less than a command's full timeout."""
    env.flush_failures = 10 ** 6
    seen = []
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipath", "-f"]:
            seen.append(timeout)
        return orig(argv, timeout, what)
    host = env.host(flush_timeout=3, retry_interval=1, command_timeout=10)
    host.run = run
    with pytest.raises(act_context.ExecutionError):
        execute.execute(flush_plan(env), host)
    assert seen and min(seen) == 10


def test_budgeted_commands_keep_a_floor():
    """Fails when a command near the end of its budget gets less than the minimum command time."""
    h = act_context.ActContext(None, run=lambda argv, timeout, what=None: timeout, clock=lambda: 100.0, command_timeout=10)
    assert h.command(["true"], budget_end=100.2) == act_context.MIN_COMMAND_SECONDS
    assert h.command(["true"], budget_end=100.2) >= 1


# ---------------------------------------------------------------------------------------------- exclusive open
def plain_disk_env(env):
    env.maps.clear()
    for n in ("sdc", "sdd"):
        env.disks[n].update(map=None, holders=[])
    return env


def test_plain_sd_claimed_by_a_kernel_user_is_not_deleted(env):
    """Fails when a plain sd a kernel user holds open exclusively is deleted."""
    plain_disk_env(env)
    plan = delete_plan(env, ["sdc"])
    env.exclusive_busy = True
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.cause.kind == "open_count" and "exclusive open" in str(info.value)
    assert not [w for w in env.writes if w[0] == "delete"]


def test_plain_sd_is_opened_exclusively_right_before_the_delete(env):
    """Fails when a plain sd is not opened exclusively right before its delete write."""
    plain_disk_env(env)
    executed = execute.execute(delete_plan(env, ["sdc"]), env.host())
    assert env.events.index("exclusive_open") == env.events.index("delete") - 1
    assert env.exclusive_opens[0][1] == "8:32" and env.exclusive_opens[0][0].endswith("/dev/sdc")
    assert [e for e in executed if e["action"] == "delete_disk"][0]["detail"]["exclusive_open"] == "ok"


def test_a_path_of_a_live_map_is_never_opened_exclusively(env):
    """Fails when the act opens a path of a live map exclusively."""
    with pytest.raises(act_context.ExecutionError):
        execute.execute(delete_plan_after_flush(env), env.host())
    assert env.exclusive_opens == []


def test_verify_unused_waits_for_opens_nobody_named(env):
    """The blocked dd left, but the open count still says someone holds the map: refuse, give queueing back."""
    host, _events = blocked_reader(env)
    plan = flush_plan(env, array_unmapped=True)
    orig = host.run

    def run(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipathd", "disablequeueing"] and WWID in env.maps:
            env.maps[WWID]["open_count"] = 1   # an opener the /proc scan cannot see (another namespace)
        return res
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.step.action == "verify_unused" and info.value.cause.kind == "open_count"
    assert env.maps[WWID]["queueing"] is True


def test_a_batch_re_reads_the_host_once_per_kind_not_once_per_map(tmp_path):
    """Cleaning N maps costs one host re-read per kind of step, whatever N; each map and path still has
    its identity checked (against that read) and each sysfs write re-checks in its child."""
    reads = {}
    for n in (2, 12):
        env = FakeEnv(tmp_path / str(n))
        wwids = stale_maps(env, n)
        plan = host_plan(env, [WWID] + wwids)
        env.reader.calls[:] = []
        executed = execute.execute(plan, env.host())
        assert same_steps(plan, executed) and not env.maps and not env.disks
        assert sorted(u for u in set(e["unit"] for e in executed)) == sorted("map %s" % w for w in [WWID] + wwids)
        reads[n] = [c[0] for c in env.reader.calls if c[0] in ("view", "map", "disk")]
        assert len([w for w in env.writes if w[0] == "delete"]) == 2 * (n + 1)
    assert reads[2] == reads[12] and "map" not in reads[12] and "disk" not in reads[12], reads
    assert len(reads[12]) <= 8   # queueing off (+confirm), flush, its check, wait gone, delete, multipath -w


def test_units_on_four_workers_do_exactly_the_plan_and_stay_independent(tmp_path):
    """ActContext(workers=4), as stale_cleanup runs it: every step of the plan runs once, each unit in its own
    order; a unit that fails (its delete hangs) stops alone."""
    env = FakeEnv(tmp_path)
    wwids = stale_maps(env, 11)
    plan = host_plan(env, [WWID] + wwids)
    hung = sd_name(2 * 4 + 1)
    env.hang.add(hung)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host(workers=4))
    executed = info.value.executed
    assert [(f["unit"], f["step"].target) for f in info.value.failures] == [("map %s" % wwids[4], hung)]
    ran = sorted((e["action"], e["target"]) for e in executed)
    stopped_unit = [st for st in plan if st.unit == "map %s" % wwids[4]]
    ran_of_it = [st for st in stopped_unit if st.action in ("disable_queueing", "flush_map", "wait_map_gone")
                 or (st.action == "delete_disk" and st.target == sd_name(2 * 4))]
    expected = sorted((st.action, st.target) for st in plan if st not in stopped_unit or st in ran_of_it)
    assert ran == expected
    assert not env.maps and set(env.disks) == {hung}
    # within a unit, its map is gone before its paths are deleted, its paths before multipath -w
    order = [(e["action"], e["target"]) for e in executed]
    for w in [WWID] + wwids[:4]:
        mine = [a for a, t in order if t == w]
        assert mine.index("wait_map_gone") < mine.index("remove_wwid")


def test_a_map_left_suspended_that_cannot_be_resumed_stops_its_unit_not_the_act(env):
    """The post-flush resume check failing (outside any step's outcome) escaped execute() as a bare
    ActFailed: no restorequeueing, no `executed`, no `failures`."""
    second_map(env)
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipath", "-f"] and argv[2] == WWID:
            env.commands.append(list(argv))
            env.maps[WWID]["suspended"] = True   # a failed flush left it suspended ...
            return deadline.CommandResult(argv, 1, "", "map in use", 0.05)
        if argv[:2] == ["dmsetup", "resume"] and WWID in argv[-1]:
            env.commands.append(list(argv))      # ... and it will not resume
            return deadline.CommandResult(argv, 1, "", "resume failed", 0.05)
        return orig(argv, timeout, what)
    host = env.host()
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(two_units(env), host)
    out = info.value.to_dict()
    (failure,) = out["failures"]
    assert failure["unit"] == "map %s" % WWID and failure["failed_step"]["action"] == "flush_map"
    assert "SUSPENDED" in failure["msg"]
    # the other map of the batch ran to its end; the stopped one has its queueing back
    assert WWID2 not in env.maps and ("delete_disk", "sde") in [(e["action"], e["target"]) for e in out["executed"]]
    assert env.maps[WWID]["queueing"] is True
    assert ["multipathd", "restorequeueing", "map", WWID] in env.commands
    assert out["queueing_restored"][0]["map"] == WWID


def test_an_error_escaping_a_batch_gives_back_the_queueing_of_every_unit(env, monkeypatch):
    """Fails when a bug escaping a batch leaves any unit's queueing off or its failure unreported."""
    second_map(env)

    def broken(host, steps):
        raise KeyError("a bug in the flush batch")
    monkeypatch.setitem(execute.ACT, "flush_map", broken)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(two_units(env), env.host())
    out = info.value.to_dict()
    assert sorted(f["unit"] for f in out["failures"]) == sorted(["map %s" % WWID, "map %s" % WWID2])
    assert all(f["failed_step"]["action"] == "flush_map" for f in out["failures"])
    assert "KeyError" in out["msg"] and "every unit not finished was stopped" in out["msg"]
    # what the report says of each stopped unit: the act stopped, on what, in which batch
    assert [f["msg"] for f in out["failures"]] == ["act: stopped on an error outside any step's outcome while running "
                                                   "the flush_map steps (KeyError: 'a bug in the flush batch'); every "
                                                   "unit not finished was stopped"] * 2
    assert [e["action"] for e in out["executed"]] == ["disable_queueing", "disable_queueing"]
    assert env.maps[WWID]["queueing"] is True and env.maps[WWID2]["queueing"] is True
    assert sorted(r["map"] for r in out["queueing_restored"]) == sorted([WWID, WWID2])
    assert not env.writes


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_the_flushes_gives_back_the_queueing_of_the_maps_not_flushed(env, killable, sig):
    """SIGTERM/SIGHUP/SIGINT (task timeout, dropped connection, job timeout, Ctrl-C) while the maps are
    flushed: the flush in flight ends, no other map is flushed, nothing is deleted, and every map still there
    queues again. SIGINT was left to Python's handler: KeyboardInterrupt ended the act with queueing off."""
    second_map(env)
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipath", "-f"]:
            os.kill(os.getpid(), sig)  # arrives while the first flush runs
        return res
    host = env.host()   # one worker: the units' flushes run one after the other
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(two_units(env), host)
    out = info.value.to_dict()
    name = signal.Signals(sig).name
    assert host.interrupted == name and "interrupted by %s" % name in out["msg"]
    flushed = [c[2] for c in env.commands if c[:2] == ["multipath", "-f"]]
    assert len(flushed) == 1 and flushed[0] not in env.maps     # the one in flight finished
    (left,) = list(env.maps)
    assert env.maps[left]["queueing"] is True                    # the other one queues again, as before
    assert ["multipathd", "restorequeueing", "map", left] in env.commands
    assert sorted(f["unit"] for f in out["failures"]) == sorted(["map %s" % WWID, "map %s" % WWID2])
    assert not env.writes                                        # no path deleted after the signal
    assert signal.getsignal(sig) is killable                    # the handler was the act's only


def test_restoring_after_a_signal_still_has_deadlines(env, killable):
    """Fails when restoring queueing after SIGTERM waits without a deadline or hides that it failed."""
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipathd", "restorequeueing"]:
            env.clock.now += timeout
            raise deadline.DeadlineExceeded(" ".join(argv), timeout)
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipathd", "disablequeueing"]:
            os.kill(os.getpid(), signal.SIGTERM)
        return res
    host = env.host(command_timeout=3)
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(None, "m") for st in flush_plan(env)], host)
    (restored,) = info.value.to_dict()["queueing_restored"]
    assert "could NOT be restored" in restored["msg"] and "3" in restored["msg"]


def touches(env):
    return [c for c in env.commands if c[:2] in (["multipathd", "disablequeueing"], ["multipath", "-f"],
                                                 ["dmsetup", "message"], ["multipath", "-w"])] + env.writes


def test_a_lun_mapped_back_after_the_plan_is_refused_as_came_back_before_any_touch(env):
    """The truth can be truth_max_age old; the LUN was mapped back since. The kernel still says the
    paths failed (the checker has not run), but the probe answers READY: nothing of the unit is touched."""
    plan = dead([st.tagged(None, "u") for st in flush_plan(env) + delete_plan_after_flush(env)])
    env.probes["sdd"] = {"result": "ready", "sense": None, "serial_live": None, "elapsed": 0.01}
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "came_back" and out["failed_step"]["action"] == "disable_queueing"
    assert "came back" in out["msg"] and "sdd: ready" in out["msg"]
    assert not touches(env) and WWID in env.maps and env.maps[WWID]["queueing"] is True


def test_the_flush_batch_probes_again_before_multipath_f(env):
    """Fails when the flush batch does not probe again and flushes a map whose path came back."""
    plan = dead([st.tagged(None, "u") for st in flush_plan(env)])
    orig = env.run

    def run(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipathd", "disablequeueing"]:
            env.probes["sdc"] = {"result": "ready", "sense": None, "serial_live": None, "elapsed": 0.01}
        return res
    host = env.host()
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    assert info.value.to_dict()["refusal"]["kind"] == "came_back"
    assert not [c for c in env.commands if c[:2] == ["multipath", "-f"]]
    assert env.maps[WWID]["queueing"] is True    # given back: the unit turned it off


def test_a_path_no_longer_failed_in_the_kernel_is_refused_too(env):
    """Fails when a dead map is flushed though the kernel no longer calls one of its paths failed."""
    plan = dead([st.tagged(None, "u") for st in flush_plan(env)])
    env.maps[WWID]["paths"][0].update(dm_state="active", checker_state="ready")
    env.probes["sdc"] = {"result": "unknown", "serial_live": None}
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.to_dict()["refusal"]["kind"] == "came_back" and not touches(env)


def test_the_truth_older_than_its_bound_at_act_time_is_refused(env):
    """Fails when the act runs on an array truth older than truth_max_age, or refuses a younger one."""
    plan = [st.tagged(None, "u") for st in flush_plan(env)]
    host = env.host(truth_times={"scsi": 5000.0}, truth_max_age=900, wall=lambda: 5000.0 + 901)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "truth_too_old" and "901s old" in out["msg"] and not touches(env)
    assert execute.execute(plan, env.host(truth_times={"scsi": 5000.0}, truth_max_age=900,
                                          wall=lambda: 5000.0 + 899))


@pytest.mark.parametrize("collected,bound", [(float("nan"), 900), (float("inf"), 900), ("5000", 900), (True, 900),
                                             (5000.0, float("nan")), (5000.0, float("inf"))])
def test_a_truth_time_or_bound_that_is_no_finite_number_is_refused_at_act_time(env, collected, bound):
    """The act measures the truth's age again before a unit's first touch; with a NaN collected_at or bound both
    comparisons (dated ahead, too old) are false and the unit was touched. The age is unknown: nothing of it."""
    plan = [st.tagged(None, "u") for st in flush_plan(env)]
    host = env.host(truth_times={"scsi": collected}, truth_max_age=bound, wall=lambda: 5000.0 + 10 ** 6)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, host)
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "truth_age_unknown" and "not a finite number" in out["msg"], out["msg"]
    assert not touches(env) and env.maps[WWID]["queueing"] is True


OTHER_LU = {"result": "ready", "sense": None, "serial_live": "80AbOTHERLU9", "elapsed": 0.01}


def reused_map_plan(env):
    """The flush phase of a serial-mismatch map unit planned by plan_cleanup on the fake host: sdc answers as another
    LU (its LUN id was reused), sdd is failed with the array's word (LU not supported)."""
    env.maps[WWID]["paths"][0].update(dm_state="active", checker_state="ready")
    env.probes["sdc"] = dict(OTHER_LU)
    snap = env.reader.snapshot()
    snap["maps"][WWID]["probe"] = dict((n, env.reader.probe_path(n)) for n in ("sdc", "sdd"))
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    verdicts = [{"kind": "serial_mismatch", "object": "map", "name": WWID, "wwid": WWID,
                 "evidence": {"array_mappings": []}},
                {"kind": "serial_mismatch", "object": "disk", "name": "sdc", "wwid": WWID,
                 "evidence": {"array_wwid": WWID2, "probe": snap["maps"][WWID]["probe"]["sdc"]}}]
    plan = cleanup.plan_cleanup(snap, verdicts)
    assert plan["blocked"] == [] and plan["flush_maps"] == [WWID], plan["skipped"]
    return [st for st in plan["steps"] if st.phase == "flush"]


def test_a_reused_map_unit_runs_while_its_paths_still_prove_it(env):
    """Fails when a reused-LUN map unit is not probed again before each batch, or does not run when proven."""
    plan = reused_map_plan(env)
    executed = execute.execute(plan, env.host())
    assert same_steps(plan, executed) and WWID not in env.maps and not {"sdc", "sdd"} & set(env.disks)
    probes = [c[1] for c in env.reader.calls if c[0] == "probe"]
    assert probes[2:] == ["sdc", "sdd"] * 3      # (after the plan's own) queueing off, flush, delete batches


@pytest.mark.parametrize("sdc_now,sdd_now", [
    (dict(OTHER_LU, serial_live="80Ab" + WWID[-8:]), None),     # the map's own LU answers at that LUN id again
    ({"result": "no_answer", "serial_live": None}, None),        # no proof it reaches another LU any more
    (None, {"result": "ready", "serial_live": "80Ab" + WWID[-8:]}),   # the failed path answers again
])
def test_a_reused_map_unit_is_probed_again_and_refused_when_the_proof_is_gone(env, sdc_now, sdd_now):
    """A serial-mismatch map was flushed and its paths deleted with no act-time probe: a LUN mapped back between
    the plan and the act lost its working path. The act now probes every path before the unit's first touch: a
    mismatching path must still answer as the other LU, every other path must still be failed."""
    plan = reused_map_plan(env)
    if sdc_now:
        env.probes["sdc"] = sdc_now
    if sdd_now:
        env.probes["sdd"] = sdd_now
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "came_back" and out["failed_step"]["action"] == "disable_queueing", out["msg"]
    assert not touches(env) and WWID in env.maps and {"sdc", "sdd"} <= set(env.disks)


def test_a_reused_disk_is_probed_again_before_its_delete(env):
    """A serial-mismatch disk outside a removed map: its delete needs it still answering as the other LU."""
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    env.probes["sdc"] = dict(OTHER_LU)
    snap = env.reader.snapshot()
    snap["array"] = {"records": 1, "targets": [], "problems": [], "collected_at": snap["collected_at"]}
    snap["disks"]["sdc"]["probe"] = env.reader.probe_path("sdc")
    verdicts = [{"kind": "serial_mismatch", "object": "disk", "name": "sdc", "wwid": WWID,
                 "evidence": {"array_wwid": WWID2, "probe": snap["disks"]["sdc"]["probe"]}}]
    plan = [st for st in cleanup.plan_cleanup(snap, verdicts)["steps"] if st.action == "delete_disk"]
    assert plan and plan[0].options["other_lu"] == {"sdc": OTHER_LU["serial_live"]}
    env.probes["sdc"] = dict(OTHER_LU, serial_live="80Ab" + WWID[-8:])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.to_dict()["refusal"]["kind"] == "came_back" and not env.writes and "sdc" in env.disks


def test_a_unit_attention_is_probed_again_the_lun_mapped_back_answers_ready(env):
    """The first command to a LUN just mapped back gets UNIT ATTENTION (REPORTED LUNS DATA HAS CHANGED), which
    the judge counts as failed (not_ready); the second says READY."""
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    plan = dead([st.tagged(None, "disk sdc") for st in delete_plan(env, ["sdc"])])
    answers = [{"result": "not_ready", "sense": "Unit Attention: Reported luns data has changed"},
               {"result": "ready", "sense": None, "serial_live": None}]
    orig = env.reader._probe_path
    env.reader._probe_path = lambda sd: answers.pop(0) if sd == "sdc" and answers else orig(sd)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.to_dict()["refusal"]["kind"] == "came_back" and not env.writes and "sdc" in env.disks


class SilentPortal(object):
    """What observe.probe.probe_path runs its commands through, for a device whose portal went silent after the
    plan (nftables drop, no RST): every command hits its deadline."""
    probe_timeout = 5.0

    def path(self, p):
        return p

    def run(self, argv, timeout, what=None):
        raise deadline.DeadlineExceeded(what or argv[0], timeout)


def hung_since_the_plan(env, names):
    """env's reader probes `names` as the real probe does on a silent portal (its deadline, an error noted)."""
    orig = env.reader.probe_path
    env.reader.probe_timeout = SilentPortal.probe_timeout   # the deadline the real reader probes with
    env.reader.probe_path = lambda sd, errors=None: (obs_probe.probe_path(SilentPortal(), sd, errors) if sd in names
                                                     else orig(sd, errors))


def test_a_dead_disk_that_hangs_since_the_plan_stops_its_unit_on_the_probe_deadline(env):
    """A dead plain disk whose portal went silent after the plan (the lab's target2 disk among twenty maps): the
    re-check's probe before its first touch gets no answer within its deadline. That is a hang, not the LUN coming
    back: the unit stops with the deadline named (rule 5: a clear error when a device hangs), nothing of it touched.
    Fails when the hang is reported as a `came_back` refusal ("no longer failed")."""
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    plan = dead([st.tagged(None, "disk sdc") for st in delete_plan(env, ["sdc"])])
    hung_since_the_plan(env, ["sdc"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert "refusal" not in out and out["deadline"]["seconds"] == SilentPortal.probe_timeout, out
    assert "sdc" in out["deadline"]["what"] and "hung" in out["msg"], out["msg"]
    assert not env.writes and "sdc" in env.disks


def test_a_map_path_that_hangs_beside_one_answering_again_is_still_came_back(env):
    """A dead map whose one path answers READY again while the other hangs: the LUN is back (the answer proves it),
    whatever the hung path does; refused as came_back, never reported as a mere deadline."""
    plan = dead([st.tagged(None, "u") for st in flush_plan(env)])
    env.maps[WWID]["paths"][0].update(dm_state="active", checker_state="ready")
    env.probes["sdd"] = {"result": "ready", "sense": None, "serial_live": None, "elapsed": 0.01}
    hung_since_the_plan(env, ["sdc"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.to_dict()["refusal"]["kind"] == "came_back" and not touches(env)


class DisruptedTransport(SilentPortal):
    """As SilentPortal, for a transport the kernel already knows is down (the session saw the drop, the remote port
    is blocked): the command fails at once with a host byte instead of hanging."""

    def run(self, argv, timeout, what=None):
        return deadline.CommandResult(argv, 0, "", "test unit ready: transport: Host_status=0x0e "
                                      "[DID_TRANSPORT_DISRUPTED]\n"
                                      "Driver_status=0x00 [DRIVER_OK]\n", 0.01)


def disrupted_since_the_plan(env, names):
    orig = env.reader.probe_path
    env.reader.probe_path = lambda sd, errors=None: (obs_probe.probe_path(DisruptedTransport(), sd, errors)
                                                     if sd in names else orig(sd, errors))


def test_a_dead_disk_whose_transport_fails_fast_since_the_plan_is_refused_as_unanswered(env):
    """The dead plain disk's portal went down after the plan and the session noticed first: the re-check's probe
    fails at once (DID_TRANSPORT_DISRUPTED). The LU's absence is no longer proven, and nothing says it came back:
    the unit is refused as `unanswered`, naming the probe's sense, never as came_back ("the LUN may be mapped to this
    host again"), and nothing of it is touched. Fails when a silent transport is read as a LUN mapped back, or as
    still dead."""
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    plan = dead([st.tagged(None, "disk sdc") for st in delete_plan(env, ["sdc"])])
    disrupted_since_the_plan(env, ["sdc"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "unanswered" and "deadline" not in out, out
    assert "DID_TRANSPORT_DISRUPTED" in out["msg"] and "mapped to this host again" not in out["msg"], out["msg"]
    assert not env.writes and "sdc" in env.disks


def test_a_dead_map_whose_paths_hang_or_fail_fast_is_refused_as_unanswered(env):
    """One path of a dead map hangs, the other fails at once: neither answers, so the LUN is neither proven gone
    nor back: refused as `unanswered` (not a deadline: one path did not hang; not came_back)."""
    plan = dead([st.tagged(None, "u") for st in flush_plan(env)])
    hung_since_the_plan(env, ["sdc"])
    disrupted_since_the_plan(env, ["sdd"])
    env.maps[WWID]["paths"][1].update(dm_state=None)     # its dmsetup status line not read this time
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "unanswered" and not touches(env), out


def test_a_map_path_the_kernel_reinstated_is_came_back_even_when_the_probe_fails_fast(env):
    """multipathd reinstated a path of a dead map (dm state active: its checker got an answer) and the act's probe
    then fails at once: the kernel's word that the path works proves the LUN back; refused as came_back."""
    plan = dead([st.tagged(None, "u") for st in flush_plan(env)])
    env.maps[WWID]["paths"][0].update(dm_state="active", checker_state="ready")
    disrupted_since_the_plan(env, [p["name"] for p in env.maps[WWID]["paths"]])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert info.value.to_dict()["refusal"]["kind"] == "came_back" and not touches(env)


def stop_kind(out):
    """How the act stopped a unit: its refusal's kind, or `deadline`."""
    return (out.get("refusal") or {}).get("kind") or ("deadline" if "deadline" in out else None)


def plain_dead_disk(env):
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    return dead([st.tagged(None, "disk sdc") for st in delete_plan(env, ["sdc"])])


def test_a_map_path_multipathd_checks_ready_is_came_back_when_its_dm_status_was_not_read(env):
    """multipathd's checker says a path of a dead map is ready again (its dmsetup status line not read this time)
    and the act's probe then fails at once: the checker's answer proves the LUN back; came_back, not unanswered."""
    plan = dead([st.tagged(None, "u") for st in flush_plan(env)])
    env.maps[WWID]["paths"][0].update(dm_state=None, checker_state="ready")
    disrupted_since_the_plan(env, ["sdc"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert stop_kind(info.value.to_dict()) == "came_back" and not touches(env)


@pytest.mark.parametrize("silence,kind", [(disrupted_since_the_plan, "unanswered"), (hung_since_the_plan, "deadline")])
def test_a_serial_mismatch_map_whose_failed_path_goes_silent_is_not_came_back(env, silence, kind):
    """A map whose one path reaches another LU (answering READY as that LU, as planned) and whose failed path goes
    silent since the plan: the planned answer of the other LU proves nothing of the map's own LU coming back; the
    unit stops as unanswered (the silent path failed at once) or on the deadline (it hung), never came_back."""
    plan = reused_map_plan(env)
    env.maps[WWID]["paths"][1].update(dm_state=None)
    silence(env, ["sdd"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert stop_kind(info.value.to_dict()) == kind and not touches(env)


class TurGoodInquiryDisrupted(DisruptedTransport):
    """TEST UNIT READY answers GOOD (a LU is at that address), then INQUIRY fails on the transport."""

    def run(self, argv, timeout, what=None):
        if argv[0] == "sg_turs":
            return deadline.CommandResult(argv, 0, "", "", 0.01)
        return deadline.CommandResult(argv, 35, "", "inquiry: transport: Host_status=0x0e [DID_TRANSPORT_DISRUPTED]\n"
                                      "Driver_status=0x00 [DRIVER_OK]\n", 0.01)


def test_a_dead_disk_whose_test_unit_ready_answers_is_came_back_though_its_inquiry_fails_fast(env):
    """A LU answered TEST UNIT READY at the dead disk's address; that its INQUIRY then failed on the transport does
    not make the answer unsaid: came_back, not unanswered."""
    plan = plain_dead_disk(env)
    env.reader.probe_path = lambda sd, errors=None: obs_probe.probe_path(TurGoodInquiryDisrupted(), sd, errors)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert stop_kind(info.value.to_dict()) == "came_back" and not env.writes and "sdc" in env.disks


def test_a_unit_attention_then_a_fast_transport_failure_is_came_back(env):
    """The LU reported REPORTED LUNS DATA HAS CHANGED (the mapping changed) and the probe's retry then failed on the
    transport: the UNIT ATTENTION was the LU's answer; came_back, not unanswered."""
    plan = plain_dead_disk(env)
    answers = [{"result": "not_ready", "sense": "Unit Attention: Reported luns data has changed"},
               {"result": "no_answer", "sense": "transport failure: DID_TRANSPORT_DISRUPTED", "serial_live": None}]
    orig = env.reader._probe_path
    env.reader._probe_path = lambda sd: answers.pop(0) if sd == "sdc" and answers else orig(sd)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    assert stop_kind(info.value.to_dict()) == "came_back" and not env.writes and "sdc" in env.disks


# ---------------------------------------------------------------------------------------------- what the act reports
def test_each_executed_step_and_each_batch_is_reported_with_its_unit_wwid_and_milliseconds(env):
    """Fails when an executed step's record (stale_cleanup's `executed`) lacks its action, target, unit, outcome
    ("done" when the act said none), its detail without the outcome, its seconds to the millisecond, or a wait's
    WWID; or when host.batches (the result's act_batches) is not one entry per run of one action, in plan order,
    with its steps and its seconds to the millisecond."""
    second_map(env)
    ticks = [0]

    def clock():  # a third of a second more at each read: seconds that need rounding
        ticks[0] += 1
        return env.clock() + ticks[0] / 3.0
    host = env.host(clock=clock)
    plan = two_units(env)
    executed = execute.execute(plan, host)
    assert [(e["action"], e["target"], e["unit"]) for e in executed] == [(st.action, st.target, st.unit) for st in plan]
    for e in executed:
        assert e["outcome"] in ("done", "already_absent", "skipped") and "outcome" not in e["detail"], e
        assert e["elapsed"] == round(e["elapsed"], 3) and e["elapsed"] > 0, e
        assert ("wwid" in e) == (e["action"] in ("wait_map_gone", "wait_disk_gone")), e
    assert [e["wwid"] for e in executed if e["action"] == "wait_map_gone"] == [WWID, WWID2]
    runs = []
    for st in plan:
        if runs and runs[-1][0] == st.action:
            runs[-1][1] += 1
        else:
            runs.append([st.action, 1])
    assert [[b["action"], b["steps"]] for b in host.batches] == runs
    assert all(b["seconds"] == round(b["seconds"], 3) and b["seconds"] > 0 for b in host.batches), host.batches
    assert sum(b["seconds"] for b in host.batches) < clock() - 1000.0, host.batches  # within the act's own time
    assert any(b["seconds"] != int(b["seconds"]) for b in host.batches), host.batches


def test_a_step_without_a_unit_is_reported_without_one_and_done_when_the_act_says_no_outcome():
    """Fails when a step of no unit is reported with a `unit` key, or a result without `outcome` not as done."""
    st = plan_steps.step("flush_map", WWID, {"name": WWID, "wwid": WWID})
    assert execute._executed(st, {"removed": True}, 1.23456) == {
        "action": "flush_map", "target": WWID, "elapsed": 1.235, "outcome": "done", "detail": {"removed": True}}
    wait = plan_steps.step("wait_disk_gone", "sdc", {"name": "sdc", "wwid": WWID}).tagged("delete", 7)
    assert execute._executed(wait, {"outcome": "already_absent"}, 0.0) == {
        "action": "wait_disk_gone", "target": "sdc", "elapsed": 0.0, "outcome": "already_absent", "detail": {},
        "unit": 7, "wwid": WWID}


def test_a_signal_is_named_as_the_report_says_it_and_an_unknown_number_still_is():
    """Fails when a signal the act stopped on is not named by its name (SIGTERM) or, for a number Python has no
    name for, as "signal N" (the report's "interrupted by ...")."""
    assert execute._signal_name(signal.SIGTERM) == "SIGTERM"
    assert execute._signal_name(200) == "signal 200"


def test_the_acts_signal_handlers_keep_the_first_signal_and_give_back_the_previous_handlers(env):
    """Fails when the act's handlers are not installed for SIGTERM, SIGHUP and SIGINT, a second signal replaces the
    first one's name, or the previous handlers (a default one too) are not back after the act; or when a thread
    other than the main one tries to install them (ValueError)."""
    import threading
    host = env.host()
    before = dict((s, signal.getsignal(s)) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT))
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        with execute._signals_end_the_act(host) as guard:
            for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                assert signal.getsignal(s) == guard._handler
            guard._handler(signal.SIGHUP, None)
            guard._handler(signal.SIGTERM, None)
            assert host.interrupted == "SIGHUP"
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) == before[signal.SIGTERM]
        errors = []

        def in_thread():
            try:
                with execute._signals_end_the_act(env.host()) as g:
                    errors.append(g.previous)
            except Exception as exc:  # pylint: disable=broad-except
                errors.append(exc)
        t = threading.Thread(target=in_thread)
        t.start()
        t.join()
        assert errors == [{}]
    finally:
        for s, h in before.items():
            signal.signal(s, h)


def test_a_module_acts_with_its_command_timeout_and_the_options_it_gives():
    """Fails when the context a module acts through does not take the user's command_timeout, or drops an option."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as observe_read
    host = execute.host_for_module({"command_timeout": 7}, wait_timeout=12, allow_non_san=True)
    assert (host.command_timeout, host.wait_timeout, host.allow_non_san) == (7.0, 12.0, True)
    # and reads the host through the module's reader, bound by the same deadline
    assert isinstance(host.reader, observe_read.Host) and host.reader.tools is True
    assert (host.reader.command_timeout, host.reader.read_timeout) == (7, 7)


def _broken_flush(monkeypatch):
    def broken(host, steps):
        raise KeyError("a bug in the flush batch")
    monkeypatch.setitem(execute.ACT, "flush_map", broken)


def test_each_unit_stopped_by_an_error_escaping_a_batch_gets_its_own_queueing_back_in_plan_order(env, monkeypatch):
    """Fails when the units stopped by an error escaping a batch do not each get back (in their own failure, in plan
    order) the queueing they turned off, but all of it is given back at the end in another order."""
    second_map(env)
    _broken_flush(monkeypatch)
    rename = {"map %s" % WWID: "z", "map %s" % WWID2: "a"}   # plan order is not the units' sorted order
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(st.phase, rename[st.unit]) for st in two_units(env)], env.host())
    assert [(f["unit"], [r["map"] for r in f["restored"]]) for f in info.value.failures] == [("z", [WWID]), ("a", [WWID2])]
    assert [r["map"] for r in info.value.to_dict()["queueing_restored"]] == [WWID, WWID2]


def test_an_error_escaping_a_batch_of_one_step_or_before_any_batch_names_where_the_act_stopped(env, monkeypatch):
    """Fails when a unit stopped by an error escaping a batch of one step is not told which steps were running, or
    an error before any batch ran (none to name) is not said to be the act's own; or fails on either."""
    _broken_flush(monkeypatch)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(None, "m") for st in flush_plan(env)], env.host())
    assert [f["msg"] for f in info.value.to_dict()["failures"]] == [
        "act: stopped on an error outside any step's outcome while running the flush_map steps (KeyError: 'a bug in "
        "the flush batch'); every unit not finished was stopped"]

    def no_batches(steps):
        raise RuntimeError("no batches")
    monkeypatch.setattr(execute, "_batches", no_batches)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(None, "m") for st in flush_plan(env)], env.host())
    assert [f["msg"] for f in info.value.to_dict()["failures"]] == [
        "act: stopped on an error outside any step's outcome while running the act's steps (RuntimeError: no "
        "batches); every unit not finished was stopped"]


def test_queueing_left_off_by_units_of_no_unit_and_of_named_units_is_all_given_back(env):
    """Fails when the act's end cannot give back queueing still off on maps of a step without a unit (None) and of
    a named unit at once (None and a name do not sort), or gives back less than all of it."""
    second_map(env)
    host = env.host()
    for wwid, dm, unit in ((WWID, "dm-3", None), (WWID2, "dm-4", "map x")):
        env.maps[wwid]["queueing"] = False
        host.queueing_off[wwid] = {"name": wwid, "dm": dm, "was_queueing": True, "unit": unit}
    st = plan_steps.step("flush_map", WWID, {"name": WWID, "wwid": WWID})
    cause = act_context.Interrupted("SIGTERM")
    out = execute._halt(host, [st, plan_steps.step("flush_map", WWID2)], (cause, None), [], {None})
    # every unit was reported already: one record of no unit, at the plan's first step, holds what was given back
    assert [sorted(f) for f in out] == [["cause", "restored", "step", "unit"]]
    assert (out[0]["unit"], out[0]["cause"], out[0]["step"]) == (None, cause, st)
    assert sorted(r["map"] for r in out[0]["restored"]) == sorted([WWID, WWID2]) and host.queueing_off == {}
    # nothing left to give back and no unit unfinished: no record at all
    assert execute._halt(host, [st], (cause, None), [], {None}) == []


def test_giving_a_units_queueing_back_leaves_the_act_as_restoring_as_it_found_it(env):
    """Fails when a unit's restore does not put host.restoring back as it was (True within a restore: touches must
    still pass the checkpoint after a signal; False after: nothing new starts once interrupted)."""
    host = env.host()
    for before in (True, False):
        host.restoring = before
        assert execute._restore_unit(host, "map %s" % WWID) == []
        assert host.restoring is before


def test_an_act_interrupted_before_it_starts_touches_nothing_and_names_the_signal(env):
    """Fails when an act whose host was interrupted before its first batch runs a step, or does not name the signal
    in each unit's failure (the report's "interrupted by SIGTERM")."""
    host = env.host()
    host.interrupted = "SIGTERM"
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(None, "m") for st in flush_plan(env)], host)
    assert [f["msg"] for f in info.value.to_dict()["failures"]] == [str(act_context.Interrupted("SIGTERM"))]
    assert env.commands == [] and info.value.to_dict()["executed"] == []


def test_a_batch_left_empty_by_stopped_units_is_skipped_and_the_other_units_go_on(env, monkeypatch):
    """Fails when a batch whose every step belongs to a stopped unit ends the act instead of being skipped, so that
    the other units' later steps never run; or when a step with no outcome (None: its unit stopped elsewhere in the
    batch) ends the reading of its batch's outcomes, losing the steps after it."""
    ran = []

    def runner(host, steps):
        ran.extend((st.action, st.unit) for st in steps)
        return [(st, None if st.unit == "c" else ValueError("refused") if st.unit == "a" else {"outcome": "done"}, 0.0)
                for st in steps]
    for action in ("disable_queueing", "verify_unused", "flush_map"):
        monkeypatch.setitem(execute.ACT, action, runner)
    steps = [plan_steps.step("disable_queueing", "mpathc", {"name": "mpathc"}).tagged("flush", "c"),  # None: skipped
             plan_steps.step("disable_queueing", WWID, {"name": WWID, "wwid": WWID}).tagged("flush", "a"),
             plan_steps.step("disable_queueing", WWID2, {"name": WWID2, "wwid": WWID2}).tagged("flush", "b"),
             plan_steps.step("verify_unused", WWID, {"name": WWID, "wwid": WWID}).tagged("flush", "a"),
             plan_steps.step("flush_map", WWID2, {"name": WWID2, "wwid": WWID2}).tagged("flush", "b")]
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(steps, env.host())
    assert ran == [("disable_queueing", "c"), ("disable_queueing", "a"), ("disable_queueing", "b"), ("flush_map", "b")]
    assert [(e["action"], e["unit"]) for e in info.value.executed] == [("disable_queueing", "b"), ("flush_map", "b")]


def test_queueing_given_back_after_a_keyboardinterrupt_in_a_restore_is_filed_under_the_batch_that_ran(env):
    """Fails when the queueing the act's end gives back, after a KeyboardInterrupt cut the restore of the only unit
    (stopped by its hung flush), is not reported at the step of the batch that was running (flush_map)."""
    env.hang.add("multipath -f")
    host, orig_run, cut = env.host(), env.run, []

    def run(argv, timeout, what=None, data=None):
        if argv[:2] == ["multipathd", "restorequeueing"] and not cut:
            cut.append(argv)
            raise KeyboardInterrupt()
        return orig_run(argv, timeout, what, data)
    host.run = run
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(None, "m") for st in flush_plan(env)], host)
    failures = info.value.to_dict()["failures"]
    assert cut and [(f["unit"], f["failed_step"]["action"]) for f in failures] == [("m", "flush_map"), (None, "flush_map")]
    assert env.maps[WWID]["queueing"] is True


def test_a_signal_during_a_batch_stops_every_unit_not_finished_naming_the_signal(env, monkeypatch):
    """Fails when a signal that arrives during a batch (its steps all done) does not stop the units not finished
    before their next batch, each failure naming the signal (the report's "interrupted by SIGHUP")."""
    host = env.host()

    def runner(h, steps):
        h.interrupted = "SIGHUP"
        return [(st, {"outcome": "done"}, 0.0) for st in steps]
    monkeypatch.setitem(execute.ACT, "disable_queueing", runner)
    steps = [st.tagged(None, "m") for st in flush_plan(env)]
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(steps, host)
    out = info.value.to_dict()
    assert [e["action"] for e in out["executed"]] == ["disable_queueing"]
    assert [(f["unit"], f["failed_step"]["action"], f["msg"]) for f in out["failures"]] == [
        ("m", steps[1].action, str(act_context.Interrupted("SIGHUP")))]


def test_a_step_of_an_action_no_act_runs_is_refused_before_any_step_runs(env, monkeypatch):
    """Fails when a plan holding a step whose action has no act (ACT, a plan of another version of the collection)
    runs any step, or is not refused naming that step and its action, with nothing executed."""
    monkeypatch.delitem(execute.ACT, "flush_map")
    steps = [st.tagged(None, "m") for st in flush_plan(env)]
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(steps, env.host())
    assert str(info.value) == "no act runs action 'flush_map'" and isinstance(info.value.cause, ValueError)
    assert info.value.step is [st for st in steps if st.action == "flush_map"][0] and info.value.executed == []
    assert env.commands == []


def test_the_acts_signal_guard_lets_errors_through_and_gives_a_handler_python_did_not_set_the_default(env, monkeypatch):
    """Fails when an error raised within the act's signal handlers is swallowed at their end (a failed restore
    reported as success), or a previous handler Python cannot name (None: set from C) is given back as None (a
    TypeError at the act's end) instead of the default action."""
    calls = []

    def fake_signal(sig, handler):
        calls.append((sig, handler))
        return None  # what signal.signal answers for a handler not set from Python
    monkeypatch.setattr(execute.signal, "signal", fake_signal)
    with pytest.raises(ValueError):
        with execute._signals_end_the_act(env.host()):
            raise ValueError("a restore failed")
    sigs = execute._SignalGuard.SIGNALS
    assert calls[len(sigs):] == [(s, signal.SIG_DFL) for s in sigs]
