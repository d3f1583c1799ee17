# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an approved plan does not cover does not run: a flush it did not force, a plan whose age was edited."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval as plan_approval
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import InvalidInput
from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import WWID
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules import helpers as base
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import judged
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.stale_cleanup import helpers as approval


env = approval.env            # the fixtures of the approved-plan tests, shared by assignment


approved = approval.approved


looks = base.looks


MODULE = stale_cleanup


# a real run without approved_plan runs the plan it makes itself only when told so (the module's approval gate)
DEFAULT_ARGS = {"array_truth": {"luns": [], "targets": [], "problems": [], "collected_at": None},
                "allow_unreviewed": True}


def test_a_forced_flush_the_approver_never_saw_does_not_run(env, approved, looks, run):
    """Fails when force_remove on the run forces a flush the approved plan held unforced."""
    assert not any(st["forced"] for st in approved["steps"])
    looks(judged())
    out = run({"approved_plan": approved, "force_remove": True}, check=True)
    forced = [st for st in out["run"] if st["action"] == "flush_map" and (st.get("options") or {}).get("force_remove")]
    assert forced == [], "approved unforced, runs forced: %s" % [st["target"] for st in forced]
    assert WWID in [r["name"] for r in out["refused"]]


def test_an_expired_plan_with_an_edited_created_at_is_refused(approved):
    """Fails when an expired plan is accepted, or revived by an edited created_at the digest misses."""
    now = time.time()
    old = dict(approved, created_at=now - 2 * plan_approval.MAX_AGE)   # as a check run made it long ago
    old["digest"] = plan_approval.digest(old["format"], old["host"], old["created_at"], old["steps"])
    with pytest.raises(InvalidInput, match="expired"):
        plan_approval.validate(old, now, plan_approval.MAX_AGE)
    revived = dict(old, created_at=now)   # the steps and the digest untouched
    with pytest.raises(InvalidInput, match="digest does not match"):
        plan_approval.validate(revived, now, plan_approval.MAX_AGE)
