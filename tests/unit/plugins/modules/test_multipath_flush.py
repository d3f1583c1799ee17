# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/modules/multipath_flush.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.modules import multipath_flush
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    W1, W2, WWID, WWID2, alias_hosts, disk, mpath)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import LOWER, UPPER, _t10_map


MODULE = multipath_flush


def test_check_mode_plan_equals_what_a_real_run_executes(env, tmp_path, run):
    """Fails when multipath_flush's check mode changes anything or plans other than the real run does."""
    planned = run({"wwid": WWID}, check=True)
    assert planned["changed"] is True and planned["executed"] == []
    assert env.commands == [] and WWID in env.maps        # check mode changed nothing
    real = run({"wwid": WWID})
    assert real["changed"] is True and not real.get("failed")
    assert real["plan"] == planned["plan"]
    assert [(s["action"], s["target"]) for s in real["executed"]] == [(s["action"], s["target"])
                                                                      for s in planned["plan"]]
    assert all("elapsed" in s for s in real["executed"])
    assert real["removed"] == [WWID]
    assert [s["name"] for s in real["slaves"]] == ["sdc", "sdd"]
    assert real["slaves"][0]["hctl"] == "4:0:0:1" and real["slaves"][0]["dev"] == "8:32"
    assert WWID not in env.maps


def test_a_t10_wwid_flushes_the_map_by_the_kernels_text(env, run):
    """What multipath -w (and -f: the map's name is its WWID without user_friendly_names) is given is the WWID as
    the kernel reports it, vendor text in its case (multipath matches it exactly)."""
    t10 = _t10_map(env)
    out = run({"wwid": "t10.LIO-ORG_block_1"})
    assert not out.get("failed") and out["changed"] is True, out
    argvs = [[str(a) for a in argv] for argv in env.commands]     # plain str: compared with their case
    assert ["multipath", "-f", "1LIO-ORG_block_1"] in argvs and ["multipath", "-w", "1LIO-ORG_block_1"] in argvs
    assert t10 not in env.maps and WWID in env.maps


@pytest.mark.parametrize("check", [True, False])
def test_a_t10_wwid_in_another_case_is_refused_naming_the_kernels_spelling(env, run, check):
    """Another case of a t10 vendor text is another LU to the kernel and multipath: not guessed to be this map
    (a re-run after the named map is gone would flush the other LU's); the message names the kernel's."""
    t10 = _t10_map(env)
    out = run({"wwid": "t10.lio-org_block_1"}, check=check)
    assert out.get("failed") and "1LIO-ORG_block_1 differs from it only in case" in out["msg"], out
    assert out["changed"] is False and env.commands == [] and t10 in env.maps


def _odd_map(env, name, wwid):
    """A map the kernel and multipath accept whose alias or WWID is text no step may carry."""
    env.add_disk(disk("sde", "4:0:0:2", "8:64", wwid, map_name=name))
    env.add_disk(disk("sdg", "5:0:0:2", "8:96", wwid, map_name=name))
    for n in ("sde", "sdg"):
        env.disks[n]["holders"] = ["dm-4"]
        env.probes[n] = dict(env.probes["sdc"])
    env.maps[wwid] = dict(mpath(wwid, "dm-4", "253:4", ["sde", "sdg"]), name=name)
    env._file("sys/block/dm-4/dm/uuid", "mpath-" + wwid)
    env._file("sys/block/dm-4/dm/name", name)


@pytest.mark.parametrize("name,wwid,args,shown", [
    ("mpath@x", WWID2, {"wwid": WWID2}, "name 'mpath@x'"),              # an alias with "@", named by its WWID
    ("mpath\nx", WWID2, {"wwid": WWID2}, "name 'mpath\\nx'"),          # an alias with a newline
    ("mpathb", "1LIO-ORG_Some(thing)", {"name": "mpathb"}, "WWID '1LIO-ORG_Some(thing)'"),  # a t10 WWID with "("
])
@pytest.mark.parametrize("check", [True, False])
def test_a_map_whose_name_no_step_may_carry_is_never_flushed(env, run, name, wwid, args, shown, check):
    """multipath_flush given a fine name or WWID of a map whose other name is text the validators refuse flushed
    it, queueing off, multipath -f and multipath -w included. It is refused, the name shown escaped, nothing run."""
    _odd_map(env, name, wwid)
    out = run(args, check=check)
    assert out.get("failed") and "no step may carry" in out["msg"], out
    assert shown in out["msg"] and not any(c < " " for c in out["msg"]), out["msg"]
    assert out["changed"] is False and env.commands == [] and wwid in env.maps and out.get("plan", []) == []


def test_by_name_and_naa_form(env, run):
    """Fails when a map is not found by name or by its NAA WWID form."""
    out = run({"wwid": "naa." + WWID[1:]}, check=True)
    assert out["plan"][0]["target"] == WWID
    out = run({"name": WWID}, check=True)
    assert out["plan"][0]["action"] == "disable_queueing"


def test_absent_map_is_not_changed(env, run):
    """Fails when flushing an absent map reports a change or runs a command."""
    out = run({"wwid": WWID2})
    assert out["changed"] is False and out["plan"] == [] and not out.get("failed")
    assert env.commands == []


def test_never_dash_capital_f(env, run):
    """Fails when a failing flush ever runs multipath -F."""
    env.flush_failures = 2
    run({"wwid": WWID, "timeout": 30})
    assert all("-F" not in c for c in env.commands)


@pytest.mark.parametrize("change,kind,named", [
    ({"mountpoints": ["/data"]}, "mounted", "/data"),
    ({"swap": True}, "swap", "swap"),
    ({"openers": [{"pid": 31, "comm": "qemu-kvm"}], "open_count": 1}, "opener", "pid 31 (qemu-kvm)"),
    ({"open_count": 1}, "open_count", "open count 1"),
])
def test_in_use_refused_with_nothing_changed(env, change, kind, named, run):
    """Fails when an in-use map is flushed, or the refusal does not name why."""
    env.maps[WWID].update(change)
    out = run({"wwid": WWID})
    assert out["failed"] and out["refusal"]["kind"] == kind and named in out["msg"]
    assert "nothing changed" in out["msg"] and out["changed"] is False
    assert env.commands == []


@pytest.mark.parametrize("uuid,dm_name,label", [
    ("LVM-Q1w2e3", "vg0-lv0", "lvm holder dm-9 (vg0-lv0: VG vg0, LV lv0)"),
    ("part1-mpath-" + WWID, WWID + "-part1", "kpartx holder dm-9"),
    ("CRYPT-LUKS2-0a1b-luks", "luks-0a1b", "luks holder dm-9 (luks-0a1b)"),
])
def test_holders_refused_and_named(env, uuid, dm_name, label, run):
    """Fails when a map with an LVM, kpartx or LUKS holder is flushed or the holder is not named."""
    env.add_holder("dm-9", uuid, dm_name)
    out = run({"wwid": WWID})
    assert out["failed"] and out["refusal"]["kind"] == "holder" and label in out["msg"]
    assert env.commands == []


def test_md_holder_refused(env, run):
    """Fails when a map held by an md array is flushed."""
    env.maps[WWID]["holders"].append("md127")
    out = run({"wwid": WWID})
    assert out["failed"] and "md holder md127" in out["msg"]


def test_stuck_blkid_is_not_a_workload(env, run):
    """Fails when a stuck blkid blocks the flush of a map it leaves once queueing is off."""
    env.maps[WWID]["openers"] = [{"pid": 5, "comm": "blkid"}]
    env.maps[WWID]["open_count"] = 1
    orig = env.run

    def run_cmd(argv, timeout, what=None, data=None):
        res = orig(argv, timeout, what)
        if argv[:2] == ["multipathd", "disablequeueing"] and WWID in env.maps:
            env.maps[WWID]["openers"], env.maps[WWID]["open_count"] = [], 0
        return res
    env.run = run_cmd
    out = run({"wwid": WWID})
    assert out["changed"] and not out.get("failed")


@pytest.mark.parametrize("args,needle", [
    ({"wwid": "../sda"}, "WWID"),
    ({"wwid": "3600a0980; rm -rf /"}, "WWID"),
    ({"wwid": "xyz"}, "WWID"),
    ({"name": "../../dev/sda"}, "map name"),
    ({"name": "a..b"}, "map name"),
    ({"name": "map/x"}, "map name"),
    ({"name": "mpath@x"}, "map name"),          # the user's name: refused as input, whatever the kernel accepts
    ({"name": "mpatha\n"}, "map name"),        # "$" matched before a final newline
    ({"wwid": ["3600a0980"]}, "WWID"),
    ({"wwid": "naa.........."}, "WWID"),
    ({"wwid": "eui.--------"}, "WWID"),
    ({"wwid": "t10..."}, "WWID"),
    ({"wwid": "t10.A..B"}, "WWID"),
])
def test_bad_input_fails_before_anything_is_read(env, args, needle, run):
    """Fails when bad multipath_flush input is not refused before anything is read."""
    out = run(args)
    assert out["failed"] and needle in out["msg"] and "nothing changed" in out["msg"]
    assert env.commands == [] and env.reader.calls == []


@pytest.mark.parametrize("args", [
    {},
    {"wwid": WWID, "name": WWID},
    {"wwid": WWID, "timeout": "soon"},
    {"wwid": WWID, "force_remove": "perhaps"},
    {"wwid": WWID, "bogus": 1},
    {"wwid": WWID, "timeout": -1},
    {"wwid": WWID, "command_timeout": 0},
])
def test_wrong_types_and_combinations_fail(env, args, run):
    """Fails when multipath_flush accepts wrong argument types or combinations."""
    out = run(args)
    assert out["failed"]
    assert env.commands == []


def test_hung_flush_fails_clearly(env, run):
    """Fails when a hung multipath -f is not reported with its deadline and step."""
    env.hang.add("multipath -f")
    out = run({"wwid": WWID, "command_timeout": 3})
    assert out["failed"] and "did not finish within 3.0s" in out["msg"]
    assert out["failed_step"]["action"] == "flush_map"
    assert [s["action"] for s in out["executed"]] == ["disable_queueing"]
    assert out["deadline"]["what"] == "multipath -f %s" % WWID


def test_failure_during_execution_carries_msg_executed_and_step(env, run):
    """The ExecutionError path merges the error's msg/executed into the result exactly once."""
    env.hang.add("multipath -f")
    out = run({"wwid": WWID, "command_timeout": 3})
    assert out["failed"] is True and out["changed"] is True
    assert out["msg"].startswith("map %s: " % WWID) and "did not finish within 3.0s" in out["msg"]
    assert [(s["action"], s["outcome"]) for s in out["executed"]] == [("disable_queueing", "done")]
    assert out["failed_step"] == out["plan"][1] and out["removed"] == []
    assert [s["name"] for s in out["slaves"]] == ["sdc", "sdd"] and WWID in env.maps


def test_failing_flush_reports_and_keeps_wwid(env, run):
    """Fails when a flush that keeps failing forces the removal or forgets the WWID."""
    env.flush_failures = 10 ** 6
    out = run({"wwid": WWID, "timeout": 4})
    assert out["failed"] and "still present" in out["msg"]
    assert not any(c[:2] == ["multipath", "-w"] for c in env.commands)
    assert not any(c[:2] == ["dmsetup", "remove"] for c in env.commands)


def test_force_remove_only_behind_the_option(env, run):
    """Fails when force_remove does not fall back to dmsetup remove, as planned."""
    env.flush_failures = 10 ** 6
    planned = run({"wwid": WWID, "timeout": 8, "force_remove": True}, check=True)
    out = run({"wwid": WWID, "timeout": 8, "force_remove": True})
    assert not out.get("failed")
    assert ["dmsetup", "remove", "--force", "--retry", "-u", "mpath-" + WWID] in env.commands
    assert [s["action"] for s in out["executed"]] == [s["action"] for s in planned["plan"]]


def test_array_unmapped_releases_openers_only_when_every_path_says_the_lu_is_gone(env, run):
    """Fails when array_unmapped releases openers before every path answers LU not supported."""
    env.maps[WWID]["openers"] = [{"pid": 4242, "comm": "dd"}]
    env.maps[WWID]["open_count"] = 1
    out = run({"wwid": WWID, "array_unmapped": True}, check=True)
    assert [s["action"] for s in out["plan"]][:2] == ["disable_queueing", "verify_unused"]
    env.probes["sdd"] = {"result": "no_answer", "serial_live": None}      # a cut portal says nothing
    out = run({"wwid": WWID, "array_unmapped": True}, check=True)
    assert out["failed"] and out["refusal"]["kind"] == "opener" and env.commands == []


def _add_map(env, wwid, name, dm, dev, sd, hctl, sd_dev):
    d = disk(sd, hctl, sd_dev, wwid, map_name=name)
    d["holders"] = [dm]
    env.add_disk(d)
    m = mpath(wwid, dm, dev, [sd])
    m["name"] = name
    env.maps[wwid] = m
    env._file("sys/block/%s/dm/uuid" % dm, "mpath-" + wwid)
    env._file("sys/block/%s/dm/name" % dm, name)


def test_running_the_same_multipath_flush_again_does_not_flush_another_lus_map(env, invoke_on_env):
    """Fails when re-running multipath_flush by WWID flushes another LU's map differing only in case."""
    _add_map(env, UPPER, "mpathx", "dm-5", "253:5", "sdf", "4:0:0:7", "8:80")
    _add_map(env, LOWER, "mpathy", "dm-6", "253:6", "sdg", "4:0:0:8", "8:96")
    first = invoke_on_env(multipath_flush, {"wwid": "t10.VEND_abc"})
    assert not first.get("failed") and first["removed"] == [LOWER] and LOWER not in env.maps, first
    env.commands[:] = []
    again = invoke_on_env(multipath_flush, {"wwid": "t10.VEND_abc"})      # a playbook re-run: nothing to do
    assert UPPER in env.maps and env.commands == [], again              # today: mpathx (1VEND_Abc) flushed
    assert again["changed"] is False


def test_multipath_flush_by_wwid_never_plans_the_map_of_another_lu_named_like_that_wwid(
        tmp_path, monkeypatch, invoke):
    """Fails when multipath_flush by WWID plans another LU's map that is named like that WWID."""
    for alias_last in alias_hosts(tmp_path, monkeypatch):
        out = invoke(multipath_flush, {"wwid": W1}, check=True)
        assert not out.get("failed"), out
        # the map of LU W1 (mpatha), never the map of LU W2 (on ba200eb with alias_last: map "W1",
        # WWID W2, and a plan of flush_map W1 + remove_wwid W2)
        assert out["map"]["wwid"] == W1 and out["map"]["name"] == "mpatha", (alias_last, out["map"], out["plan"])
        assert [s["target"] for s in out["plan"] if s["action"] == "remove_wwid"] == [W1], out["plan"]


def test_multipath_flush_by_name_plans_the_map_of_that_name(tmp_path, monkeypatch, invoke):
    """Fails when multipath_flush by name plans the map of the LU whose WWID that name spells."""
    for alias_last in alias_hosts(tmp_path, monkeypatch):
        out = invoke(multipath_flush, {"name": W1}, check=True)
        assert not out.get("failed"), out
        # the map named W1 (LU W2), never LU W1's map by its WWID (on ba200eb with alias_last False: mpatha)
        assert out["map"]["name"] == W1 and out["map"]["wwid"] == W2, (alias_last, out["map"], out["plan"])


def _two_case_variant_disks_one_unread(tmp_path, monkeypatch, other_lu):
    """LU 1VEND_abc's disk sdg is here, but its sysfs read does not finish (a hung device); with other_lu, the disk
    sdf of LU 1VEND_Abc (differing only in case) is here and reads fine."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        healthy_lab, inline_call)
    t = healthy_lab(tmp_path)
    disks = (("sdf", "2:0:0:7", "8:80", "Abc"), ("sdg", "2:0:0:8", "8:96", "abc"))
    for name, hctl, dev, text in disks if other_lu else disks[1:]:
        t.disk(name, hctl, dev, session=1, wwid="t10.VEND    %s" % text)
    t.commands()

    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ == "read_batch" or (fn.__name__ == "read_devices" and "sdg" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)
    monkeypatch.setattr(read, "reader_for", lambda params: t.reader(
        call=call, read_timeout=1.5, command_timeout=params["command_timeout"]))


@pytest.mark.parametrize("other_lu", [True, False])
def test_scsi_delete_by_wwid_over_an_unfinished_read_says_it_cannot_tell(tmp_path, monkeypatch, invoke, other_lu):
    """Fails when scsi_delete by WWID over an unfinished read plans nothing or asks for another LU's spelling."""
    from ansible_collections.sanfleet.remediation.plugins.modules import scsi_delete
    _two_case_variant_disks_one_unread(tmp_path, monkeypatch, other_lu)
    out = invoke(scsi_delete, {"wwid": "t10.VEND_abc"}, check=True)
    # on ba200eb: other_lu -> "WWID 1VEND_abc is not on this host as written; 1VEND_Abc differs from it only in
    # case ...: give the WWID as the kernel spells it" (the re-run it asks for deletes LU 1VEND_Abc's sdf);
    # no other_lu -> not failed, plan [] ("nothing of that WWID here": its disk sdg is, unread)
    assert out.get("failed") and "sdg" in out["msg"] and "as the kernel spells it" not in out["msg"], out


@pytest.fixture
def env(tmp_path):
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import FakeEnv
    return FakeEnv(tmp_path)


def test_the_spelling_a_refusal_asks_for_is_accepted(env, invoke_on_env):
    """Fails when multipath_flush refuses the WWID spelling its own case refusal asked for."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import _t10_map
    t10 = _t10_map(env)                                    # map 1LIO-ORG_block_1
    refused = invoke_on_env(multipath_flush, {"wwid": "t10.lio-org_block_1"}, check=True)
    assert refused.get("failed") and "%s differs from it only in case" % t10 in refused["msg"], refused
    out = invoke_on_env(multipath_flush, {"wwid": str(t10)}, check=True)     # as the message (and the facts) spell it
    assert not out.get("failed") and out["map"]["wwid"] == t10, out.get("msg")   # on ba200eb: "... is not valid"


@pytest.mark.parametrize("spelling", [WWID.upper(), "naa." + WWID[1:], "naa." + WWID[1:].upper(), WWID[1:]])
def test_a_users_wwid_in_another_spelling_plans_with_the_maps_own(env, run, spelling):
    """Fails when a user's WWID in another notation or hex case reaches the steps in the user's spelling (the act
    looks the map up and compares it exactly) or keeps its map from being flushed and forgotten."""
    planned = run({"wwid": spelling}, check=True)
    assert {s["identity"].get("wwid") for s in planned["plan"]} == {WWID}, planned["plan"]
    out = run({"wwid": spelling})
    assert not out.get("failed") and out["removed"] == [WWID], out.get("msg")
    assert ["multipath", "-w", WWID] in [[str(a) for a in argv] for argv in env.commands] and WWID not in env.maps
