# Reproductions for the review of ee1f74b (act re-check 'unanswered').
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context, execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import probe as obs_probe
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    FakeEnv, WWID, dead, delete_plan)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.test_execute import (
    DisruptedTransport, disrupted_since_the_plan, hung_since_the_plan, reused_map_plan, touches)


@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def plain_dead_disk(env):
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    return dead([dict(st, unit="disk sdc") for st in delete_plan(env, ["sdc"])])


@pytest.mark.parametrize("silence,kind", [("fast", "unanswered"), ("hang", None)])
def test_a_serial_mismatch_map_whose_failed_path_goes_silent_is_not_came_back(env, silence, kind):
    """sdc answers READY as the other LU, exactly as planned; sdd (failed at plan) now fails fast / hangs with its
    dm status not read. sdc's planned answer says nothing of the map's own LU coming back."""
    plan = reused_map_plan(env)
    env.maps[WWID]["paths"][1].update(dm_state=None)
    (disrupted_since_the_plan if silence == "fast" else hung_since_the_plan)(env, ["sdd"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert not touches(env)
    got = (out.get("refusal") or {}).get("kind") or ("deadline" if "deadline" in out else None)
    assert got == (kind or "deadline"), out["msg"]


class TurGoodInquiryDisrupted(DisruptedTransport):
    """TEST UNIT READY answers GOOD (a LU is at that LUN id); INQUIRY then fails fast on the transport."""

    def run(self, argv, timeout, what=None):
        if argv[0] == "sg_turs":
            return deadline.CommandResult(argv, 0, "", "", 0.01)
        return DisruptedTransport.run(self, argv, timeout, what)


def test_a_dead_disk_whose_tur_answers_good_is_came_back_though_its_inquiry_fails_fast(env):
    plan = plain_dead_disk(env)
    env.reader.probe_path = lambda sd, errors=None: obs_probe.probe_path(TurGoodInquiryDisrupted(), sd, errors)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert not env.writes and "sdc" in env.disks
    assert out["refusal"]["kind"] == "came_back", out["msg"]   # actual: unanswered, "proves the LU neither gone nor back"


def test_a_unit_attention_then_a_fast_transport_failure_is_came_back(env):
    """The LU reported REPORTED LUNS DATA HAS CHANGED (the signature of a mapping change), then the transport dropped."""
    plan = plain_dead_disk(env)
    answers = [{"result": "not_ready", "sense": "Unit Attention: Reported luns data has changed"},
               {"result": "no_answer", "sense": "transport failure: DID_TRANSPORT_DISRUPTED", "serial_live": None}]
    orig = env.reader._probe_path
    env.reader._probe_path = lambda sd: answers.pop(0) if sd == "sdc" and answers else orig(sd)
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert not env.writes and "sdc" in env.disks
    assert out["refusal"]["kind"] == "came_back", out["msg"]   # actual: unanswered


def test_a_map_path_multipathd_checks_ready_is_came_back_when_dm_status_was_not_read(env):
    """multipathd's checker says ready (it got an answer) but the dmsetup status line was not read (dm_state None)."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import flush_plan
    plan = dead([dict(st, unit="u") for st in flush_plan(env)])
    env.maps[WWID]["paths"][0].update(dm_state=None, checker_state="ready")
    disrupted_since_the_plan(env, ["sdc"])
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute(plan, env.host())
    out = info.value.to_dict()
    assert not touches(env)
    assert out["refusal"]["kind"] == "came_back", out["msg"]   # actual: unanswered
