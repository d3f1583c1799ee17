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
    FakeEnv, WWID, WWID2, dead, delete_plan, disk, flush_plan)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import STD_INQ_OK
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


def _clock_host(scsi=None, nvme=None, max_age=900.0, now=10000.0):
    """What verify_truth_age reads of the act's context: each family's truth time, the bound and the wall clock."""
    return SimpleNamespace(truth_collected_at=scsi, nvme_truth_collected_at=nvme, truth_max_age=max_age,
                           wall=lambda: now)


def test_a_truth_older_than_its_bound_at_act_time_refuses_the_unit_and_says_how_old():
    """Fails when the act touches a unit whose array truth has grown older than truth_max_age since the plan (the
    LUN may have been mapped back), or the refusal does not carry the age and the bound."""
    with pytest.raises(Refused) as caught:
        act_checks.verify_truth_age(_clock_host(scsi=10000.0 - 901), "map mpatha")
    err = caught.value
    assert (err.target, err.kind) == ("map mpatha", "truth_too_old")
    assert err.evidence == {"truth_age": 901.0, "truth_max_age": 900.0}
    assert str(err).endswith("the array truth is 901s old at act time (bound 900s): the LUN may have been mapped "
                             "back since; nothing of it is touched")
    act_checks.verify_truth_age(_clock_host(scsi=10000.0 - 900), "map mpatha")  # the bound itself is still fresh


@pytest.mark.parametrize("collected", [float("nan"), 10000.0 + 301])
def test_a_truth_of_unknown_age_at_act_time_refuses_the_unit(collected):
    """Fails when a truth time the act cannot compare (NaN, dated past the clock skew) lets the unit be touched, or
    the refusal does not carry the time and the bound."""
    with pytest.raises(Refused) as caught:
        act_checks.verify_truth_age(_clock_host(scsi=collected), "disk sdc")
    err = caught.value
    assert (err.target, err.kind) == ("disk sdc", "truth_age_unknown")
    assert err.evidence["truth_max_age"] == 900.0 and repr(err.evidence["truth_collected_at"]) == repr(collected)
    assert "at act time " in str(err) and str(err).endswith("; nothing of it is touched")


def test_each_family_is_timed_by_its_own_truth():
    """Fails when an NVMe unit is judged by the SCSI truth's time or a SCSI unit by the NVMe truth's: one family's
    old truth would let the other's units through, or stop them for nothing."""
    old, fresh = 10000.0 - 2000, 10000.0 - 10
    host = _clock_host(scsi=fresh, nvme=old)
    act_checks.verify_truth_age(host, "map mpatha")
    with pytest.raises(Refused) as caught:
        act_checks.verify_truth_age(host, "controller nvme0", "nvme")
    assert caught.value.kind == "truth_too_old"
    host = _clock_host(scsi=old, nvme=fresh)
    act_checks.verify_truth_age(host, "controller nvme0", "nvme")
    with pytest.raises(Refused) as caught:
        act_checks.verify_truth_age(host, "map mpatha")
    assert caught.value.kind == "truth_too_old"


@pytest.mark.parametrize("scsi,max_age", [(None, 900.0), (10000.0 - 2000, None)])
def test_an_act_without_a_truth_time_or_bound_does_not_time_the_truth(scsi, max_age):
    """Fails when an act run without a truth time or without a bound (modules that judge no array truth:
    multipath_flush, scsi_delete) is refused for a truth it never had."""
    act_checks.verify_truth_age(_clock_host(scsi=scsi, max_age=max_age), "map mpatha")


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
