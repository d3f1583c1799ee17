# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review of issue 27 items 2, 3, 6, 14 (review-2): each test reproduced a finding (xfail until fixed)
until it is fixed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute as san_act
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import checks as act_checks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_act import FakeEnv, WWID, WWID2, second_map, two_units  # noqa: F401  (fakes)


@pytest.fixture
def env(tmp_path):
    return FakeEnv(tmp_path)


def test_a_restore_whose_reread_raises_valueerror_still_restores_the_other_units(env):
    """Item 3: 'every exception leaving the act restores the queueing of every unit'. restore_queueing catches
    (ActFailed, DeadlineExceeded, RuntimeError, OSError) but not ValueError, which ACT_ERRORS itself expects from a
    read (san_validate.InvalidInput: a map re-read whose kernel dm name the validator rejects, a parse error)."""
    second_map(env)
    env.hang.add("multipath -f")        # the first map's flush times out: its unit stops, queueing is given back
    orig_map = env.reader.map
    state = {"restoring": False}

    def map_(key, *args, **kwargs):
        if state["restoring"] and key == WWID:
            raise san_validate.InvalidInput("multipath map name 'db data' is not valid")
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
        san_act.execute(two_units(env), host)
    out = info.value.to_dict()
    assert any(f["unit"] == "map %s" % WWID for f in out["failures"])
    # the other unit's map never loses its queueing for good
    assert WWID2 not in env.maps or env.maps[WWID2]["queueing"] is True


def test_a_truth_dated_in_the_future_is_not_accepted_as_fresh_at_act_time(env):
    """Item 6: the act measures the truth's age with the managed host's wall clock against a collected_at stamped
    elsewhere (the controller, the array data). A collected_at after 'now' (milliseconds instead of seconds, a
    controller clock ahead) gives a negative age, which passes `age > truth_max_age` at plan and act time alike:
    the bound the re-check exists for never bites. Fail closed: an age below zero (beyond a small skew) is unknown."""
    now = 1.7e9
    host = env.host(truth_collected_at=now * 1000, truth_max_age=900, wall=lambda: now)
    with pytest.raises(Refused):
        act_checks.verify_truth_age(host, "map %s" % WWID)
