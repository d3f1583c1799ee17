# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How old an array truth may be against the host snapshot it judges, and when its age cannot be told (pure): the
gate of every family's plan (plan.cleanup, plan.nvme) and of the act's re-check (act.checks.verify_truth_age)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate


# How old the array truth may be, against the host snapshot it judges, before nothing is removed (seconds).
TRUTH_MAX_AGE = 900.0


# the truth is stamped by the controller's clock, the snapshot by the host's: a truth dated further ahead than
# this is not fresh, its age is unknown (a clock wrong by minutes, or epoch milliseconds)
TRUTH_CLOCK_SKEW = 300.0


def truth_age_unknown(collected, now, max_age):
    """Why the truth's age cannot be checked against `max_age` at `now` (None when it can): a time or bound that is
    not a finite number (a NaN makes every comparison false and would pass every gate; bool, text, infinity or a
    negative time are no time either), or a truth dated ahead of the clock by more than two clocks may differ."""
    if collected is None:
        return "the array truth carries no collected_at; its age cannot be checked"
    if not validate.is_epoch(collected):
        return "the array truth's collected_at %r is not a finite number of epoch seconds: its age is unknown" % (
            collected,)
    if not validate.is_epoch(now):
        return "the host's time %r is not a finite number of epoch seconds: the truth's age is unknown" % (now,)
    if not validate.is_epoch(max_age) or not max_age > 0:
        return "truth_max_age %r is not a finite number of seconds > 0: the truth's age cannot be bounded" % (
            max_age,)
    if collected - now > TRUTH_CLOCK_SKEW:
        return ("the array truth is dated %.0fs after the host's clock (more than the %gs two clocks may differ): its "
                "age cannot be checked (a wrong clock, or collected_at in milliseconds)" % (
                    collected - now, TRUTH_CLOCK_SKEW))
    return None


def truth_age_verdict(collected, now, max_age):
    """The one age rule of every family's plan and of the act's re-check: None when a truth read at `collected` is
    fresh enough at `now` for `max_age` seconds; else ("truth_age_unknown", why its age cannot be told:
    truth_age_unknown) or ("truth_too_old", its age in seconds). Each caller says it in its own words."""
    unknown = truth_age_unknown(collected, now, max_age)
    if unknown:
        return "truth_age_unknown", unknown
    if now - collected > max_age:
        return "truth_too_old", now - collected
    return None
