# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/checks.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from types import SimpleNamespace

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import checks as act_checks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import probe as obs_probe
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, W1, W2, WWID, WWID2, _alias_tree, dead, delete_plan, disk, flush_plan)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    STD_INQ_OK, SanTree)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)


def test_the_unit_attention_bound_is_read_where_it_is_defined(monkeypatch):
    """Fails when the unit attention retry bound is not read from where it is defined."""
    monkeypatch.setattr(act_checks, "UNIT_ATTENTION_RETRIES", 1)
    probes = []

    def probe_path(sd, errors=None):
        probes.append(sd)
        return {"result": "not_ready", "sense": "Unit Attention: inquiry data has changed"}

    act_checks._probe_past_unit_attention(SimpleNamespace(reader=SimpleNamespace(probe_path=probe_path)), "sdc")
    assert len(probes) == 2  # the first answer and one retry


def test_the_recheck_before_a_delete_compares_the_wwid_exactly(tmp_path):
    """Fails when the act's re-check normalises a step's WWID again (an upper-case or naa. spelling taken for the
    host's): every outside spelling is converted where it enters, so inside only the host's own spelling is the
    same device."""
    env = FakeEnv(tmp_path)
    env._drop_map(env.maps[WWID])
    env.add_disk(disk("sdf", "4:0:0:7", "8:80", WWID2))
    planned = dict(identity.disk_identity(env.host().disk_now("sdf")))
    assert act_checks.verify_identity(env.host(), plan_steps.step("delete_disk", "sdf", planned))["name"] == "sdf"
    for spelling in (WWID2.upper(), "naa." + WWID2[1:]):
        step = plan_steps.step("delete_disk", "sdf", dict(planned, wwid=spelling))
        with pytest.raises(Refused, match="wwid expected %s, found %s" % (spelling, WWID2)) as refused:
            act_checks.verify_identity(env.host(), step)
        assert refused.value.kind == "identity" and refused.value.evidence["diff"] == {
            "wwid": {"expected": spelling, "actual": WWID2}}


def test_the_map_recheck_takes_the_steps_wire_form_with_its_paths(tmp_path):
    """Fails when the map re-check stops taking a step's expect dict (the wire form the plan and the tests write) or
    lets a path added since the plan through."""
    env = FakeEnv(tmp_path)
    m = env.host().map_now(WWID, "wwid")
    step = plan_steps.step("flush_map", m["name"], identity.map_identity(m))
    assert act_checks.verify_map(env.host(), step)["wwid"] == WWID
    fewer = plan_steps.step("flush_map", m["name"], dict(identity.map_identity(m), slaves=["sdc"]))
    with pytest.raises(Refused, match="slaves expected") as refused:
        act_checks.verify_map(env.host(), fewer)
    assert refused.value.evidence["diff"] == {"slaves": {"expected": ["sdc"], "actual": ["sdd"]}}


def test_a_reused_lun_unit_refused_as_came_back_gives_a_json_result(env):
    """Fails when the refusal of a unit whose paths no longer answer as the other LU they reached at plan time carries
    the step's read-only option value into its evidence: the result of the module must be plain JSON."""
    plan = [st.with_options(other_lu={"sdc": "OTHER", "sdd": "OTHER"})
            if st.action in ("disable_queueing", "flush_map") else st for st in flush_plan(env)]
    plan = [st.tagged("flush", "u") for st in plan]
    for sd in ("sdc", "sdd"):
        env.probes[sd] = {"result": "ready", "sense": None, "serial_live": "MINE", "elapsed": 0.01}
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "came_back", out
    assert json.loads(json.dumps(out))["refusal"]["evidence"]["other_lu"] == {"sdc": "OTHER", "sdd": "OTHER"}


def test_a_unit_whose_probe_program_went_missing_since_the_plan_is_refused_as_not_probed(env):
    """The plan probed every path of the dead unit; at act time the probe cannot be sent (sg3_utils removed): the
    kernel's failed state alone is no proof the LUN is still gone, so nothing of the unit is touched."""
    plan = [st.tagged(None, "u") for st in dead(flush_plan(env))]
    env.probes["sdd"] = {"result": "error", "sense": "sg_turs is not installed (sg3_utils): not probed",
                         "serial_live": None, "missing": "sg_turs"}
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "not_probed" and "sdd not probed: sg_turs is not installed" in out["msg"], out
    assert not [c for c in env.commands if c[:2] in (["multipathd", "disablequeueing"], ["multipath", "-f"])]
    assert env.maps[WWID]["queueing"] is True


# sg3-utils' answers (the texts of tests/unit/plugins/module_utils/_san/observe/test_sense.py, from the lab's LIO and
# tgt targets): what observe.probe reads on a path whose LU answers again while the kernel still calls it failed
def _answer(rc=0, out="", err=""):
    return deadline.CommandResult([], rc, out, err, 0.01)


TUR_GOOD = _answer()
TUR_UNIT_ATTENTION = _answer(6, "Unit attention\n", "test unit ready:\nFixed format, current; Sense key: Unit "
                             "Attention\nAdditional sense: Reported luns data has changed\n")
TUR_NOT_READY = _answer(2, "device not ready\n", "test unit ready:\nFixed format, current; Sense key: Not Ready\n"
                        "Additional sense: Logical unit not accessible, asymmetric access state transition\n")
TUR_DISRUPTED = _answer(0, "", "test unit ready: transport: Host_status=0x0e [DID_TRANSPORT_DISRUPTED]\n"
                        "Driver_status=0x00 [DRIVER_OK]\n")
INQ_DISRUPTED = _answer(35, "", "inquiry: transport: Host_status=0x0e [DID_TRANSPORT_DISRUPTED]\n"
                        "Driver_status=0x00 [DRIVER_OK]\n")
INQ_LU_THERE = _answer(0, STD_INQ_OK)
TUR_LU_GONE = _answer(5, "Illegal request\n", "test unit ready:\nFixed format, current; Sense key: Illegal Request\n"
                      "Additional sense: Logical unit not supported\n")
INQ_LU_GONE = _answer(5, "", "sg_inq failed: Illegal request\n")


class Answers(object):
    """What observe.probe.probe_path runs its commands through: each command's answers in turn (the last one kept)."""
    probe_timeout = 5.0

    def __init__(self, **answers):
        self.answers = dict((cmd, list(seq)) for cmd, seq in answers.items())

    def path(self, p):
        return p

    def run(self, argv, timeout, what=None):
        seq = self.answers[{"sg_turs": "tur", "sg_inq": "inq"}[argv[0]]]
        return seq.pop(0) if len(seq) > 1 else seq[0]


# (what the LU answers now on a path the kernel still reports failed, multipathd's checker state of that path)
BACK_ON_A_FAILED_PATH = {
    "test unit ready good, inquiry fails": (dict(tur=[TUR_GOOD], inq=[INQ_DISRUPTED]), "faulty"),
    "unit attention, then not ready": (dict(tur=[TUR_UNIT_ATTENTION, TUR_NOT_READY], inq=[INQ_DISRUPTED]), "faulty"),
    "unit attention, then a transport failure": (dict(tur=[TUR_UNIT_ATTENTION, TUR_DISRUPTED], inq=[INQ_DISRUPTED]),
                                                 "faulty"),
    "unit attention, then lu not supported": (dict(tur=[TUR_UNIT_ATTENTION, TUR_LU_GONE], inq=[INQ_LU_GONE]),
                                              "faulty"),
    "not ready, inquiry answers": (dict(tur=[TUR_NOT_READY], inq=[INQ_LU_THERE]), "faulty"),
    "checker ready, probe fails on the transport": (dict(tur=[TUR_DISRUPTED], inq=[INQ_DISRUPTED]), "ready"),
    "checker ghost, probe fails on the transport": (dict(tur=[TUR_DISRUPTED], inq=[INQ_DISRUPTED]), "ghost"),
}


def _dead_map_unit(env, sd, answers, checker):
    """The queueing-off step of the dead map of env (every path failed, LU not supported at plan time), and sd's
    answers now: sd's kernel path state still failed, its checker as given, the other path still LU not supported."""
    plan = [st.tagged("flush", "u") for st in dead(flush_plan(env))]
    env.maps[WWID]["paths"][[p["name"] for p in env.maps[WWID]["paths"]].index(sd)].update(
        dm_state="failed", checker_state=checker)
    orig = env.reader.probe_path
    env.reader.probe_path = lambda name, errors=None: (obs_probe.probe_path(Answers(**answers), name, errors)
                                                       if name == sd else orig(name, errors))
    return plan


@pytest.mark.parametrize("sd", ["sdc", "sdd"])
@pytest.mark.parametrize("case", sorted(BACK_ON_A_FAILED_PATH))
def test_an_lu_answering_on_a_path_the_kernel_still_calls_failed_refuses_the_dead_map(env, case, sd):
    """Fails when a dead map's unit goes on (queueing off, multipath -f, multipath -w) while the LU answers on one of
    its paths that the kernel still reports failed: a UNIT ATTENTION (whatever followed it), TEST UNIT READY answering
    before INQUIRY fails, INQUIRY answering, multipathd's checker up. Came back: nothing of it is touched."""
    answers, checker = BACK_ON_A_FAILED_PATH[case]
    plan = _dead_map_unit(env, sd, answers, checker)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "came_back" and out["failed_step"]["action"] == "disable_queueing", out["msg"]
    assert "%s answer" % sd in out["msg"] and out["refusal"]["evidence"]["answers"][sd], out["msg"]
    writes = (["multipathd", "disablequeueing"], ["multipath", "-f"], ["multipath", "-w"], ["dmsetup", "message"])
    assert not [c for c in env.commands if c[:2] in writes]
    assert env.maps[WWID]["queueing"] is True


@pytest.mark.parametrize("case", sorted(c for c in BACK_ON_A_FAILED_PATH if "checker" not in c))
def test_an_lu_answering_at_an_offline_dead_disk_refuses_its_delete(env, case):
    """Fails when a dead plain disk the kernel has set offline is deleted while its LU answers again (a UNIT
    ATTENTION, TEST UNIT READY or INQUIRY answering): came_back, nothing written."""
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    env.disks["sdc"]["state"] = "offline"
    env.probes["sdc"] = {"result": "no_answer", "sense": "cannot open the device", "serial_live": None}
    plan = [st.tagged("delete", "disk sdc") for st in dead(delete_plan(env, ["sdc"]))]
    env.reader.probe_path = lambda name, errors=None: obs_probe.probe_path(
        Answers(**BACK_ON_A_FAILED_PATH[case][0]), name, errors)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert out["refusal"]["kind"] == "came_back", out["msg"]
    assert not env.writes and "sdc" in env.disks


def test_a_dead_map_whose_paths_still_say_lu_not_supported_is_removed(env):
    """Fails when the signs of an LU answering are read into the array's own word that none is there (LOGICAL UNIT
    NOT SUPPORTED on every path, the checker faulty): the dead map must still go."""
    plan = _dead_map_unit(env, "sdc", dict(tur=[TUR_LU_GONE], inq=[INQ_LU_GONE]), "faulty")
    execute.execute(plan, env.host())
    assert ["multipath", "-f", WWID] in env.commands


def _clock_host(scsi=None, max_age=900.0, now=10000.0):
    """What verify_truth_age reads of the act's context: the bound and the wall clock (the truth's time is its
    caller's to give: each family its own part's, tested with the callers in act/test_nvme.py and act/test_execute.py)."""
    return SimpleNamespace(truth_times={"scsi": scsi}, truth_max_age=max_age,
                           wall=lambda: now)


def test_a_truth_older_than_its_bound_at_act_time_refuses_the_unit_and_says_how_old():
    """Fails when the act touches a unit whose array truth has grown older than truth_max_age since the plan (the
    LUN may have been mapped back), or the refusal does not carry the age and the bound."""
    with pytest.raises(Refused) as caught:
        act_checks.verify_truth_age(_clock_host(scsi=10000.0 - 901), "map mpatha", 10000.0 - 901)
    err = caught.value
    assert (err.target, err.kind) == ("map mpatha", "truth_too_old")
    assert err.evidence == {"truth_age": 901.0, "truth_max_age": 900.0}
    assert str(err).endswith("the array truth is 901s old at act time (bound 900s): the LUN may have been mapped "
                             "back since; nothing of it is touched")
    act_checks.verify_truth_age(_clock_host(scsi=10000.0 - 900), "map mpatha", 10000.0 - 900)  # the bound itself is still fresh


def test_a_truth_too_old_refusal_gives_its_age_to_a_tenth_of_a_second():
    """Fails when the evidence of a truth_too_old refusal (what the report shows of how old the truth was) is not the
    age rounded to a tenth of a second: cut to whole seconds, 900.96 s would read as 901 and hide how far past
    the bound it was; unrounded, it carries the clock's noise."""
    with pytest.raises(Refused) as caught:
        act_checks.verify_truth_age(_clock_host(scsi=10000.0 - 901.26), "map mpatha", 10000.0 - 901.26)
    assert caught.value.evidence == {"truth_age": 901.3, "truth_max_age": 900.0}


@pytest.mark.parametrize("collected", [float("nan"), 10000.0 + 301])
def test_a_truth_of_unknown_age_at_act_time_refuses_the_unit(collected):
    """Fails when a truth time the act cannot compare (NaN, dated past the clock skew) lets the unit be touched, or
    the refusal does not carry the time and the bound."""
    with pytest.raises(Refused) as caught:
        act_checks.verify_truth_age(_clock_host(scsi=collected), "disk sdc", collected)
    err = caught.value
    assert (err.target, err.kind) == ("disk sdc", "truth_age_unknown")
    assert err.evidence["truth_max_age"] == 900.0 and repr(err.evidence["truth_collected_at"]) == repr(collected)
    assert "at act time " in str(err) and str(err).endswith("; nothing of it is touched")


@pytest.mark.parametrize("scsi,max_age", [(None, 900.0), (10000.0 - 2000, None)])
def test_an_act_without_a_truth_time_or_bound_does_not_time_the_truth(scsi, max_age):
    """Fails when an act run without a truth time or without a bound (modules that judge no array truth:
    multipath_flush, scsi_delete) is refused for a truth it never had."""
    act_checks.verify_truth_age(_clock_host(scsi=scsi, max_age=max_age), "map mpatha", scsi)


@pytest.mark.parametrize("probe,serial,answers", [
    ({"result": "ready", "serial_live": " 80AbC "}, "80AbC", True),
    ({"result": "ready", "serial_live": "80AbC"}, "80AbD", False),
    ({"result": "ready", "serial_live": ""}, "80AbC", False),
    ({"result": "ready"}, "80AbC", False),
    ({"result": "ready", "serial_live": "80AbC"}, "", False),
    ({"result": "no_answer", "serial_live": "80AbC"}, "80AbC", False),
    (None, "80AbC", False),
])
def test_a_path_answers_as_the_planned_lu_only_when_ready_with_its_serial(probe, serial, answers):
    """Fails when a path counts as the LU it was planned to reach without answering READY with that live serial
    (then a path reaching another LU, or none, would pass as expected), or when spaces around it hide the match."""
    assert act_checks._answers_as(probe, serial) is answers


# ---------------------------------------------------------------------------------------------- the map's re-check
def test_a_map_gone_since_the_plan_is_none_or_a_failure_as_the_caller_asks(env):
    """Fails when a map that is gone at its re-check is not reported as gone (None for a step that tolerates it, an
    ActFailed naming it for one that needs it), or when the default stops tolerating it."""
    step = plan_steps.step("flush_map", WWID, identity.map_identity(env.host().map_now(WWID, "wwid")))
    env._drop_map(env.maps[WWID])
    assert act_checks.verify_map(env.host(), step) is None
    with pytest.raises(act_context.ActFailed) as failed:
        act_checks.verify_map(env.host(), step, allow_absent=False)
    assert (failed.value.target, str(failed.value)) == (WWID, "%s: map is gone" % WWID)


def test_a_map_whose_identity_changed_is_refused_by_name_and_says_what_changed(env):
    """Fails when the refusal of a map whose identity changed since the plan does not name the map, is not of kind
    identity, or does not say what changed."""
    m = env.host().map_now(WWID, "wwid")
    step = plan_steps.step("flush_map", m["name"], dict(identity.map_identity(m), dm="dm-9"))
    with pytest.raises(Refused) as refused:
        act_checks.verify_map(env.host(), step)
    assert (refused.value.target, refused.value.kind) == ("map %s" % WWID, "identity")
    assert str(refused.value) == "map %s: changed since it was planned (dm expected dm-9, found dm-3)" % WWID


def test_a_map_planned_without_a_wwid_is_found_by_its_name_only(tmp_path):
    """Fails when a map step that carries no WWID (planned by name) is looked up among the maps' WWIDs too: the name
    W1 of an alias map (LU W2's) is LU W1's WWID, and the re-check would then compare the wrong map."""
    t = _alias_tree(tmp_path / "alias", True)
    host = act_context.ActContext(t.reader(), run=t.run, sleep=lambda s: None)
    alias = host.map_now(W1, "name")
    assert alias["wwid"] == W2
    step = plan_steps.step("flush_map", W1, {"name": W1, "dm": alias["dm"], "dev": alias["dev"]})
    assert act_checks.verify_map(host, step)["wwid"] == W2


def test_a_map_step_whose_wwid_is_gone_is_not_taken_for_the_alias_named_like_it(tmp_path):
    """Fails when a map step planned by WWID finds, once that map is gone, another map whose alias is that WWID's
    text (multipath.conf `alias`): the step's map is gone (None), whatever another map is called."""
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    t.disk("sdc", "2:0:0:2", "8:32", session=1, wwid="naa." + W2[1:])
    t.dm("dm-1", "253:1", W1, "mpath-" + W2, slaves=("sdc",))  # LU W2's map, aliased W1; LU W1's map is gone
    t = t.commands()
    step = plan_steps.step("flush_map", "mpatha", {"name": "mpatha", "wwid": W1, "dm": "dm-0", "dev": "253:0",
                                                   "slaves": ["sdb"]})
    assert act_checks.verify_map(act_context.ActContext(t.reader(), run=t.run, sleep=lambda s: None), step) is None


def test_a_map_held_by_lvm_is_refused_naming_the_volume(env):
    """Fails when the re-check of a map that an LVM volume holds lets it through, or refuses it without naming the
    volume group and volume (the holders as sysfs describes them now, not the bare dm-N)."""
    env.add_holder("dm-5", "LVM-abcdef", "vg0-lv0")
    m = env.host().map_now(WWID, "wwid")
    with pytest.raises(Refused) as refused:
        act_checks.verify_map(env.host(), plan_steps.step("flush_map", WWID, identity.map_identity(m)))
    assert (refused.value.target, refused.value.kind) == ("map %s" % WWID, "holder")
    assert refused.value.holder == "lvm holder dm-5 (vg0-lv0: VG vg0, LV lv0)"


def test_a_map_open_by_a_process_is_refused_unless_the_step_lets_openers_through(env):
    """Fails when a map a process holds open passes the default re-check (only a dead unmapped map's step lets its
    blocked openers through), or when allow_openers stops letting them through."""
    env.maps[WWID].update(openers=[{"pid": 4242, "comm": "dd"}], open_count=1)
    step = plan_steps.step("flush_map", WWID, identity.map_identity(env.host().map_now(WWID, "wwid")))
    with pytest.raises(Refused) as refused:
        act_checks.verify_map(env.host(), step)
    assert (refused.value.target, refused.value.kind, refused.value.holder) == (
        "map %s" % WWID, "opener", "pid 4242 (dd)")
    assert act_checks.verify_map(env.host(), step, allow_openers=True)["wwid"] == WWID


@pytest.mark.parametrize("exiting_opens,unseen,passes", [(None, 1, False), (1, 1, True), (1, 2, False)])
def test_unseen_opens_of_a_dead_map_pass_only_up_to_the_steps_exiting_opens(env, exiting_opens, unseen, passes):
    """Fails when opens that no process shows pass the re-check of a dead unmapped map beyond the number the plan
    attributed to killed tasks still closing it (the step's exiting_opens; none when it gives none)."""
    env.maps[WWID].update(open_count=unseen)
    step = plan_steps.step("disable_queueing", WWID, identity.map_identity(env.host().map_now(WWID, "wwid")))
    if exiting_opens is not None:
        step = step.with_options(exiting_opens=exiting_opens)
    if passes:
        assert act_checks.verify_map(env.host(), step, allow_openers=True)["wwid"] == WWID
        return
    with pytest.raises(Refused) as refused:
        act_checks.verify_map(env.host(), step, allow_openers=True)
    assert (refused.value.target, refused.value.kind) == ("map %s" % WWID, "open_count")
    assert refused.value.evidence["unexplained"] == unseen


# ---------------------------------------------------------------------------------------------- the disk's re-check
def _plain_disk(env, name="sdf", **kw):
    """env with its map gone and a plain disk `name` (4:0:0:7, LU WWID2) on it; the disk's planned identity."""
    env._drop_map(env.maps[WWID])
    env.add_disk(disk(name, "4:0:0:7", "8:80", WWID2, **kw))
    return dict(identity.disk_identity(env.host().disk_now(name)))


def test_the_disk_recheck_after_a_rescan_reads_the_disk_by_its_planned_name(env):
    """Fails when a step that targets a disk by its H:C:T:L (a rescan's verify_identity) re-reads a disk named like the
    target instead of the sd name of its identity: the disk would read as gone and its identity go unchecked."""
    planned = _plain_disk(env)
    step = plan_steps.step("verify_identity", "4:0:0:7", planned)
    assert act_checks.verify_identity(env.host(), step)["name"] == "sdf"
    env.disks["sdf"]["serial"] = "80AbOTHER"
    with pytest.raises(Refused) as refused:
        act_checks.verify_identity(env.host(), step)
    assert (refused.value.target, refused.value.kind) == ("disk sdf", "identity")
    assert str(refused.value) == (
        "disk sdf: is not the device that was planned (serial expected %s, found 80AbOTHER); the kernel name was "
        "reused or the LUN changed — nothing written" % planned["serial"])


def test_a_non_san_disk_passes_the_recheck_only_when_the_run_allows_non_san(env):
    """Fails when the options of the run do not reach the disk's re-check: a disk on a non-SAN transport is refused
    unless allow_non_san, and passes with it."""
    planned = _plain_disk(env, transport="sas")
    step = plan_steps.step("delete_disk", "sdf", planned)
    with pytest.raises(Refused) as refused:
        act_checks.verify_identity(env.host(), step)
    assert (refused.value.target, refused.value.kind) == ("disk sdf", "transport")
    assert act_checks.verify_identity(env.host(), step, {"allow_non_san": True})["name"] == "sdf"


def test_a_disk_held_by_lvm_is_refused_naming_the_volume(env):
    """Fails when the disk's re-check lets a disk that an LVM volume holds through, or refuses it without naming the
    volume group and volume (its holders as sysfs describes them now)."""
    planned = _plain_disk(env)
    env.add_holder("dm-5", "LVM-abcdef", "vg0-lv0", of="sdf")
    with pytest.raises(Refused) as refused:
        act_checks.verify_identity(env.host(), plan_steps.step("delete_disk", "sdf", planned))
    assert (refused.value.target, refused.value.kind) == ("disk sdf", "holder")
    assert refused.value.holder == "lvm holder dm-5 (vg0-lv0: VG vg0, LV lv0)"


def test_a_path_of_a_live_map_without_a_holders_link_is_refused(env):
    """Fails when a disk that multipath still reports as a path of a live map is deleted because its holders link
    does not show the map (sysfs read between the map's table load and the link, or the link lost): the disk's own
    map, read now by its name, refuses it."""
    env.disks["sdc"]["holders"] = []
    planned = dict(identity.disk_identity(env.host().disk_now("sdc")))
    with pytest.raises(Refused) as refused:
        act_checks.verify_identity(env.host(), plan_steps.step("delete_disk", "sdc", planned))
    assert (refused.value.target, refused.value.kind) == ("disk sdc", "live_map")
    assert refused.value.evidence == {"map": WWID}


def test_a_path_of_an_alias_map_is_refused_naming_its_own_map(tmp_path):
    """Fails when the disk's own map is looked up by anything but its name: a map aliased with another LU's WWID text
    would be taken for that LU's map, and the refusal name the wrong map."""
    t = _alias_tree(tmp_path / "alias", True)
    host = act_context.ActContext(t.reader(), run=t.run, sleep=lambda s: None)
    sdc = host.disk_now("sdc")
    assert sdc["map"] == W1 and host.map_now(W1, "name")["wwid"] == W2
    with pytest.raises(Refused) as refused:
        act_checks.verify_identity(host, plan_steps.step("delete_disk", "sdc", dict(identity.disk_identity(sdc))))
    assert refused.value.kind == "live_map" and refused.value.holder == "multipath map %s" % W1, str(refused.value)
    assert "(dm-1)" in str(refused.value)


def test_a_plain_disk_without_a_map_passes_its_recheck_read_from_the_host_now(tmp_path):
    """Fails when the re-check of a disk that belongs to no multipath map, read from the host now (outside a batch:
    scsi_delete), looks its map up all the same: there is no map name to look up, and the delete of a plain disk that
    is the planned device and unused would stop on an error of its own."""
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    t.disk("sdc", "2:0:0:2", "8:32", session=1, wwid="naa." + W2[1:])
    t = t.commands()
    host = act_context.ActContext(t.reader(), run=t.run, sleep=lambda s: None)
    sdc = host.disk_now("sdc")
    assert sdc["map"] is None
    step = plan_steps.step("delete_disk", "sdc", dict(identity.disk_identity(sdc)))
    assert act_checks.verify_identity(host, step)["name"] == "sdc"


# ---------------------------------------------------------------------------------------------- still dead at act time
SILENT = {"result": "no_answer", "sense": "DID_TRANSPORT_DISRUPTED", "serial_live": None}
LU_GONE = {"result": "lun_not_supported", "sense": "05/25/00", "serial_live": None}


def _probing_host(probes, hung=(), **clock):
    """What verify_still_dead reads of the act's context: the truth's clock and a reader whose probe answers
    `probes` ({sd: probe}), noting a command that hit its deadline for each sd in `hung`; .probed lists the sds."""
    probed = []

    def probe_path(sd, errors=None):
        probed.append(sd)
        if sd in hung:
            errors.append("sg_turs did not finish within 5.0s")
        return dict(probes[sd])
    host = _clock_host(**dict(dict(scsi=None, max_age=None), **clock))
    host.reader, host.probed = SimpleNamespace(probe_path=probe_path, probe_timeout=5.0), probed
    return host


def _map_paths(**states):
    """A map mpatha whose paths are {sd: (kernel path state, multipathd checker state)}."""
    return {"name": "mpatha", "state": "dead", "paths": [
        {"name": sd, "dm_state": dm, "checker_state": checker, "dev_state": "running"}
        for sd, (dm, checker) in sorted(states.items())]}


DEAD_STEP = plan_steps.step("disable_queueing", "mpatha").with_options(dead=True)


def test_a_unit_not_planned_as_dead_is_not_probed_but_its_truth_is_timed():
    """Fails when a unit planned for another reason than dead paths is probed at act time (its paths may answer: it
    is unmapped by the array's word), or when its truth's age is not checked before its first touch."""
    host = _probing_host({})
    assert act_checks.verify_still_dead(host, plan_steps.step("disable_queueing", "mpatha"), _map_paths(
        sdc=("active", "ready"))) == {} and host.probed == []
    host = _probing_host({}, scsi=10000.0 - 2000, max_age=900.0)
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(host, plan_steps.step("disable_queueing", "mpatha"), _map_paths())
    assert (refused.value.target, refused.value.kind) == ("map mpatha", "truth_too_old")


def test_a_dead_map_whose_paths_all_say_lu_not_supported_returns_every_probe():
    """Fails when a dead map still dead at act time is refused, or its probes (what the act reports of each path) are
    not returned."""
    host = _probing_host({"sdc": LU_GONE, "sdd": LU_GONE})
    obj = _map_paths(sdc=("failed", "faulty"), sdd=("failed", "faulty"))
    assert act_checks.verify_still_dead(host, DEAD_STEP, obj) == {"sdc": LU_GONE, "sdd": LU_GONE}
    assert sorted(host.probed) == ["sdc", "sdd"]


def test_a_dead_disk_is_probed_by_its_own_name():
    """Fails when a dead plain disk's re-check probes anything but the disk itself, or lets it through while it
    answers READY again."""
    host = _probing_host({"sdc": LU_GONE})
    step = plan_steps.step("delete_disk", "sdc").with_options(dead=True)
    assert act_checks.verify_still_dead(host, step, {"name": "sdc", "state": "running"}, "disk") == {"sdc": LU_GONE}
    host = _probing_host({"sdc": {"result": "ready", "sense": None, "serial_live": "80AbC"}})
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(host, step, {"name": "sdc", "state": "running"}, "disk")
    assert (refused.value.target, refused.value.kind) == ("disk sdc", "came_back")
    assert str(refused.value) == (
        "disk sdc: came back since the plan: path(s) sdc answer(s) again: sdc: answers READY (probe now: sdc: ready); "
        "the LUN may be mapped to this host again, nothing of it is removed")


def test_a_path_that_answers_again_is_named_with_its_signs_in_the_came_back_refusal():
    """Fails when the came_back refusal of a dead map does not say which paths answer and how, which are no longer
    failed, what each probe answered, or does not carry the paths, probes, answers and state as evidence."""
    ready = {"result": "ready", "sense": None, "serial_live": "80AbC"}
    broke = {"result": "error", "sense": "probe crashed", "serial_live": None}
    obj = _map_paths(sdc=("failed", "faulty"), sdd=("failed", "faulty"), sde=(None, "faulty"),
                     sdf=("failed", "ready"))
    host = _probing_host({"sdc": LU_GONE, "sdd": ready, "sde": broke, "sdf": SILENT})
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(host, DEAD_STEP, obj)
    assert str(refused.value) == (
        "map mpatha: came back since the plan: path(s) sdd, sdf answer(s) again: sdd: answers READY; sdf: multipathd's "
        "checker says ready (kernel path state failed); path(s) sde no longer failed (probe now: sdc: "
        "lun_not_supported, sdd: ready, sde: error, sdf: no_answer); the LUN may be mapped to this host again, nothing "
        "of it is removed")
    assert refused.value.evidence == {
        "paths": obj["paths"], "probes": {"sdc": LU_GONE, "sdd": ready, "sde": broke, "sdf": SILENT},
        "answers": {"sdd": ["answers READY"], "sdf": ["multipathd's checker says ready (kernel path state failed)"]},
        "state": "dead", "other_lu": {}}


def test_a_path_planned_as_reaching_another_lu_must_still_answer_as_that_lu():
    """Fails when a path planned as reaching another LU (option other_lu) is refused while it still answers READY as
    that LU, or let through when it answers with another serial now."""
    obj = _map_paths(sdc=("failed", "faulty"), sdd=("active", "ready"))
    step = plan_steps.step("disable_queueing", "mpatha").with_options(other_lu={"sdd": "80AbOTHER"})
    other = {"result": "ready", "sense": None, "serial_live": "80AbOTHER"}
    assert act_checks.verify_still_dead(_probing_host({"sdc": LU_GONE, "sdd": other}), step, obj)["sdd"] == other
    mine = dict(other, serial_live="80AbMINE")
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host({"sdc": LU_GONE, "sdd": mine}), step, obj)
    assert refused.value.kind == "came_back" and "path(s) sdd no longer answer as the other LU they reached at " \
        "plan time (probe now: sdc: lun_not_supported, sdd: ready)" in str(refused.value)
    assert refused.value.evidence["answers"] == {} and refused.value.evidence["other_lu"] == {"sdd": "80AbOTHER"}


def test_a_dead_map_whose_unfailed_paths_all_hang_stops_on_the_probes_deadline():
    """Fails when a dead map whose paths are no longer failed by the kernel and whose every probe of them hung is
    refused or let through instead of stopping on the probe's deadline (rule 5), naming the unit and its paths."""
    host = _probing_host({"sdc": SILENT, "sdd": SILENT}, hung=("sdc", "sdd"))
    with pytest.raises(deadline.DeadlineExceeded) as stopped:
        act_checks.verify_still_dead(host, DEAD_STEP, _map_paths(sdc=(None, "faulty"), sdd=(None, "faulty")))
    assert stopped.value.seconds == 5.0
    assert stopped.value.what == "the re-check of map mpatha before its first touch: the probe of sdc, sdd"


def test_a_dead_map_whose_unfailed_paths_are_silent_is_refused_as_unanswered():
    """Fails when a dead map whose paths are no longer failed by the kernel but get no answer (one probe failed at
    once, the other hung) is let through or stopped on a deadline: the LU is neither proven gone nor back, refused
    as unanswered, naming the paths and what each probe said."""
    obj = _map_paths(sdc=(None, "faulty"), sdd=(None, "faulty"))
    host = _probing_host({"sdc": SILENT, "sdd": dict(SILENT, sense="cannot open the device")}, hung=("sdd",))
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(host, DEAD_STEP, obj)
    assert (refused.value.target, refused.value.kind) == ("map mpatha", "unanswered")
    assert str(refused.value) == (
        "map mpatha: path(s) sdc, sdd no longer answer since the plan (probe now: sdc: DID_TRANSPORT_DISRUPTED; sdd: "
        "cannot open the device): the portal or remote port may be down or recovering, which proves the LU neither "
        "gone nor back; nothing of it is removed")
    assert refused.value.evidence == {"paths": obj["paths"], "probes": {
        "sdc": SILENT, "sdd": dict(SILENT, sense="cannot open the device")}, "state": "dead"}


def test_a_silent_dead_disk_is_refused_as_unanswered_or_stops_on_its_deadline():
    """Fails when a dead plain disk that runs again but gets no answer is let through: unanswered, or the probe's
    deadline when its probe hung."""
    step = plan_steps.step("delete_disk", "sdc").with_options(dead=True)
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host({"sdc": SILENT}), step, {"name": "sdc", "state": "running"},
                                     "disk")
    assert (refused.value.target, refused.value.kind) == ("disk sdc", "unanswered")
    with pytest.raises(deadline.DeadlineExceeded):
        act_checks.verify_still_dead(_probing_host({"sdc": SILENT}, hung=("sdc",)), step,
                                     {"name": "sdc", "state": "running"}, "disk")


def test_a_path_multipathd_reinstated_is_no_silence_but_came_back():
    """Fails when a path multipathd reinstated since the plan (dm state active) whose probe gets no answer is taken
    for silence: the kernel's word is that it works, came_back; a path active only because its LU said not supported
    does not count."""
    obj = _map_paths(sdc=("active", "faulty"), sdd=("failed", "faulty"))
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host({"sdc": SILENT, "sdd": LU_GONE}), DEAD_STEP, obj)
    assert refused.value.kind == "came_back" and "path(s) sdc no longer failed" in str(refused.value)
    obj = _map_paths(sdc=("active", "faulty"), sdd=(None, "faulty"))
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host({"sdc": LU_GONE, "sdd": SILENT}), DEAD_STEP, obj)
    assert refused.value.kind == "unanswered" and "path(s) sdd no longer answer" in str(refused.value)


def test_a_probe_that_failed_on_its_own_error_is_no_silence():
    """Fails when an unfailed path whose probe broke (result error: the probe itself failed, not the device) counts
    as silent with the others: only no_answer on every such path is silence; else came_back."""
    obj = _map_paths(sdc=(None, "faulty"), sdd=(None, "faulty"))
    probes = {"sdc": SILENT, "sdd": {"result": "error", "sense": "probe crashed", "serial_live": None}}
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host(probes, hung=("sdc", "sdd")), DEAD_STEP, obj)
    assert refused.value.kind == "came_back" and "path(s) sdc, sdd no longer failed" in str(refused.value)


def test_a_path_without_an_sd_name_is_not_probed():
    """Fails when the re-check of a dead map probes a path whose sd the host no longer shows (no name: nothing to
    address a command to) instead of judging it by the kernel's failed state alone."""
    obj = _map_paths(sdc=("failed", "faulty"))
    obj["paths"].append({"name": None, "dev": "8:64", "dm_state": "failed", "checker_state": "faulty"})
    host = _probing_host({"sdc": LU_GONE})
    assert act_checks.verify_still_dead(host, DEAD_STEP, obj) == {"sdc": LU_GONE} and host.probed == ["sdc"]


def test_a_unit_attention_at_the_recheck_is_named_with_its_sense_and_the_answer_after_it_is_judged():
    """Fails when the re-check of a dead map stops at a path's first UNIT ATTENTION instead of probing it again (the
    second answer says what the LU is now), does not note every UNIT ATTENTION's sense in the probe and the
    came_back refusal, or stops at the first answer that is not one (LU not supported after it: still a sign)."""
    answers = [{"result": "not_ready", "sense": "Unit Attention: Reported luns data has changed"},
               {"result": "not_ready", "sense": "Unit Attention: Power on, reset, or bus device reset occurred"},
               LU_GONE, {"result": "ready", "sense": None}]
    host = _probing_host({"sdd": LU_GONE})
    host.reader.probe_path = lambda sd, errors=None: dict(answers.pop(0)) if sd == "sdc" else dict(LU_GONE)
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(host, DEAD_STEP, _map_paths(sdc=("failed", "faulty"), sdd=("failed", "faulty")))
    seen = ["Unit Attention: Reported luns data has changed",
            "Unit Attention: Power on, reset, or bus device reset occurred"]
    assert refused.value.evidence["probes"]["sdc"] == dict(LU_GONE, after_unit_attention=seen)
    assert refused.value.evidence["answers"] == {"sdc": ["UNIT ATTENTION (%s)" % "; ".join(seen)]}
    assert len(answers) == 1  # the ready answer after LU not supported was never asked for


def test_a_silent_path_does_not_hide_another_path_that_answers_or_moved():
    """Fails when a dead map with one path no longer failed and silent is refused as unanswered (or stopped on a
    deadline) while another of its paths answers again, or no longer answers as the other LU it was planned to reach:
    those are signs the LUN came back, and the refusal must say so."""
    ready = {"result": "ready", "sense": None, "serial_live": "80AbC"}
    obj = _map_paths(sdc=("failed", "faulty"), sdd=(None, "faulty"))
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host({"sdc": ready, "sdd": SILENT}, hung=("sdd",)), DEAD_STEP, obj)
    assert refused.value.kind == "came_back" and "path(s) sdc answer(s) again" in str(refused.value)
    step = DEAD_STEP.with_options(other_lu={"sdc": "80AbOTHER"})
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host({"sdc": ready, "sdd": SILENT}, hung=("sdd",)), step, obj)
    assert refused.value.kind == "came_back" and "path(s) sdc no longer answer as the other LU" in str(refused.value)


MISSING = {"result": "error", "sense": "sg_turs is not installed (sg3_utils): not probed", "serial_live": None,
           "missing": "sg_turs"}


@pytest.mark.parametrize("kind", ["map", "disk"])
def test_a_dead_unit_whose_probe_program_went_missing_is_refused_by_name_with_its_probes(kind):
    """Fails when a dead map or plain disk whose probe could not be sent at act time (sg3_utils removed since the
    plan) is let through or refused as anything but not_probed, or when the refusal does not name the unit or carry
    each path's probe as evidence (the report shows what was sent and what was not)."""
    if kind == "map":
        obj, probes = _map_paths(sdc=("failed", "faulty"), sdd=("failed", "faulty")), {"sdc": LU_GONE, "sdd": MISSING}
        step, target, sd = DEAD_STEP, "map mpatha", "sdd"
    else:
        obj, probes = {"name": "sdc", "state": "offline"}, {"sdc": MISSING}
        step, target, sd = plan_steps.step("delete_disk", "sdc").with_options(dead=True), "disk sdc", "sdc"
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host(probes), step, obj, kind)
    assert (refused.value.target, refused.value.kind) == (target, "not_probed")
    assert str(refused.value) == (
        "%s: path(s) %s not probed: sg_turs is not installed on this host (sg3_utils, sg3-utils on Debian and Ubuntu); "
        "nothing is removed whose paths were not probed live" % (target, sd))
    assert refused.value.evidence == {"probes": probes}


READY = {"result": "ready", "sense": None, "serial_live": "80AbMINE"}
BROKE = {"result": "error", "sense": "probe crashed", "serial_live": None}
CAME_BACK = {
    # only a path no longer failed, none answering: no word of answers
    "a path no longer failed": (
        DEAD_STEP, _map_paths(sdc=("failed", "faulty"), sdd=(None, "faulty")), {"sdc": LU_GONE, "sdd": BROKE},
        "path(s) sdd no longer failed (probe now: sdc: lun_not_supported, sdd: error)"),
    # one path with two signs: each named, in the order judge.findings.lu_answers gives them
    "a path with two signs": (
        DEAD_STEP, _map_paths(sdc=("failed", "faulty"), sdd=("failed", "ready")), {"sdc": LU_GONE, "sdd": READY},
        "path(s) sdd answer(s) again: sdd: answers READY, multipathd's checker says ready (kernel path state failed) "
        "(probe now: sdc: lun_not_supported, sdd: ready)"),
    # two paths that no longer answer as the other LU they were planned to reach
    "two paths moved": (
        plan_steps.step("disable_queueing", "mpatha").with_options(other_lu={"sdc": "80AbOTHER", "sdd": "80AbOTHER"}),
        _map_paths(sdc=("active", "ready"), sdd=("active", "ready")), {"sdc": READY, "sdd": READY},
        "path(s) sdc, sdd no longer answer as the other LU they reached at plan time (probe now: sdc: ready, sdd: "
        "ready)"),
}


@pytest.mark.parametrize("case", sorted(CAME_BACK))
def test_the_came_back_refusal_names_each_path_and_each_sign_as_they_are(case):
    """Fails when the came_back refusal of a dead map says what did not happen (paths answering when none does) or
    garbles what did (the signs of one path, the list of paths that moved off the other LU they reached at plan
    time): it is what the engineer reads to decide whether the LUN was mapped back."""
    step, obj, probes, what = CAME_BACK[case]
    with pytest.raises(Refused) as refused:
        act_checks.verify_still_dead(_probing_host(probes), step, obj)
    assert refused.value.kind == "came_back"
    assert str(refused.value) == ("map mpatha: came back since the plan: %s; the LUN may be mapped to this host again, "
                                  "nothing of it is removed" % what)


def test_a_familys_truth_time_the_act_was_not_given_refuses_its_unit_while_a_bound_is_set():
    """verify_family_truth_age: a family missing from what the act was given (not None: no truth) is refused as
    truth_age_unknown when truth_max_age is set, and let through without a bound; a family given None (a run without
    a truth) is not measured; one given an old time is too old. Fails when a missing family reads as "no time"."""
    host = SimpleNamespace(truth_times={"nvme": None}, truth_max_age=900.0, wall=lambda: 10000.0)
    with pytest.raises(Refused) as caught:
        act_checks.verify_family_truth_age(host, "map mpatha", "scsi")
    assert (caught.value.kind, caught.value.evidence) == ("truth_age_unknown", {"truth_times": ["nvme"], "truth_max_age": 900.0})
    act_checks.verify_family_truth_age(host, "controller nvme0", "nvme")
    host.truth_times["scsi"] = 10000.0 - 901
    with pytest.raises(Refused, match="truth_too_old|901s old"):
        act_checks.verify_family_truth_age(host, "map mpatha", "scsi")
    act_checks.verify_family_truth_age(SimpleNamespace(truth_times={}, truth_max_age=None), "map mpatha", "scsi")
