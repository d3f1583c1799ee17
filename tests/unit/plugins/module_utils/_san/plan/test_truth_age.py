# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/truth_age.py`: when the age of an array truth cannot be told.
The plans' and the act's use of it are tested with them (plan/test_cleanup.py, plan/test_nvme.py, act/test_checks.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.truth_age import (
    TRUTH_CLOCK_SKEW, TRUTH_MAX_AGE, truth_age_unknown, truth_age_verdict)

NOW = 1000000.0


@pytest.mark.parametrize("collected", [NOW, NOW - 1, NOW - 10 * TRUTH_MAX_AGE, 0, NOW + TRUTH_CLOCK_SKEW])
def test_a_truth_dated_at_or_before_the_clock_or_within_the_skew_has_a_known_age(collected):
    """Fails when a truth whose age can be told (collected before now, or ahead by no more than two clocks may
    differ, the bound itself included) is called of unknown age: every removal would be refused."""
    assert truth_age_unknown(collected, NOW, TRUTH_MAX_AGE) is None


def test_a_truth_dated_just_past_the_clock_skew_has_an_unknown_age_that_says_how_far_ahead():
    """Fails when a truth dated more than TRUTH_CLOCK_SKEW after the host's clock passes as fresh (it would never
    be too old), or the reason does not say by how much it is ahead and what the bound is."""
    why = truth_age_unknown(NOW + TRUTH_CLOCK_SKEW + 1, NOW, TRUTH_MAX_AGE)
    assert why == ("the array truth is dated 301s after the host's clock (more than the 300s two clocks may differ): "
                   "its age cannot be checked (a wrong clock, or collected_at in milliseconds)")


def test_a_truth_without_collected_at_has_an_unknown_age():
    """Fails when a truth that carries no collected_at is judged by its age (None is no time)."""
    assert truth_age_unknown(None, NOW, TRUTH_MAX_AGE) == \
        "the array truth carries no collected_at; its age cannot be checked"


@pytest.mark.parametrize("collected", [float("nan"), float("inf"), -1.0, True, "999.0"])
def test_a_collected_at_that_is_no_finite_epoch_names_itself_in_the_reason(collected):
    """Fails when a collected_at that is no time passes, or the reason does not name the value that was given."""
    why = truth_age_unknown(collected, NOW, TRUTH_MAX_AGE)
    assert why == "the array truth's collected_at %r is not a finite number of epoch seconds: its age is unknown" % (
        collected,)


@pytest.mark.parametrize("now", [float("nan"), None, -1.0, "1000"])
def test_a_host_time_that_is_no_finite_epoch_names_itself_in_the_reason(now):
    """Fails when the host's own time, if it is no time, lets the truth's age be judged, or the reason hides it."""
    why = truth_age_unknown(NOW, now, TRUTH_MAX_AGE)
    assert why == "the host's time %r is not a finite number of epoch seconds: the truth's age is unknown" % (now,)


@pytest.mark.parametrize("max_age", [0, 0.0, -1, float("nan"), float("inf"), True, "900", None])
def test_a_truth_max_age_that_bounds_nothing_makes_the_age_unknown(max_age):
    """Fails when a truth_max_age of zero, below zero or no finite number (NaN compares false and would pass every
    truth as fresh) is used to bound the truth's age, or the reason does not name it."""
    why = truth_age_unknown(NOW, NOW, max_age)
    assert why == "truth_max_age %r is not a finite number of seconds > 0: the truth's age cannot be bounded" % (
        max_age,)


@pytest.mark.parametrize("max_age", [0.001, 1, TRUTH_MAX_AGE])
def test_a_small_positive_truth_max_age_is_a_bound(max_age):
    """Fails when a positive truth_max_age under one second (or any positive one) is refused as no bound."""
    assert truth_age_unknown(NOW, NOW, max_age) is None


@pytest.mark.parametrize("collected, verdict", [
    (1000.0, None),                                     # read at the snapshot
    (1000.0 - TRUTH_MAX_AGE, None),                     # exactly the bound: still fresh
    (1000.0 - TRUTH_MAX_AGE - 0.5, ("truth_too_old", TRUTH_MAX_AGE + 0.5)),
    (None, ("truth_age_unknown", "the array truth carries no collected_at; its age cannot be checked")),
])
def test_the_one_age_rule_says_fresh_too_old_with_its_age_or_unknown_with_why(collected, verdict):
    """The rule every family's plan and the act's re-check apply (plan.cleanup, plan.nvme, act.checks). Fails when a
    truth past the bound passes, one at the bound is refused, or an unknown age is read as fresh."""
    assert truth_age_verdict(collected, 1000.0, TRUTH_MAX_AGE) == verdict
