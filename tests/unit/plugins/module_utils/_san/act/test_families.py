# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/families.py`: the executor runs every step with the writer its
family registered, one writer per action, and a third family plugs in with a registry line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    disks, execute, families as act_families, maps, nvme, scans)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ExecutionError
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import families as judge_families
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san import toy_family
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env)


def test_the_judges_and_the_writers_register_the_same_families_in_one_order():
    """Fails when a family has a judge and no writers or the other way round (its verdicts would plan steps that no
    act runs, or its steps would run on devices nothing judged), or when the two registries' orders differ."""
    assert [family.name for family in judge_families.FAMILIES] == [name for name, _w in act_families.FAMILIES]
    assert [name for name, _w in act_families.FAMILIES] == ["scsi", "nvme"]


def test_each_family_writes_exactly_the_actions_its_plan_words_name():
    """A family's words in the plan (judge.families.Family.actions, the plan's vocabulary) and its writers
    (act.families) name the same actions: fails when a family plans an action that its own writers do not run (the
    executor would run another family's writer for it, or none) or registers a writer its plan never asks for."""
    writers = dict(act_families.FAMILIES)
    for family in judge_families.FAMILIES + (toy_family.JUDGE_LINE,):
        table = writers.get(family.name) or dict([toy_family.WRITERS_LINE])[family.name]
        assert sorted(action for _kind, action, _options in family.actions) == sorted(table), family.name


def test_the_executor_runs_exactly_the_registered_writers_one_per_action_of_the_plan():
    """Fails when the executor's table is not the registries' (a writer added beside it, or one missing), or when an
    action of the plan's vocabulary has no writer."""
    table = act_families.act_table(act_families.FAMILIES)
    assert execute.ACT == table
    assert sorted(table) == sorted(plan_steps.OPTIONS)


def _shape(runner):
    """(function,) of a batch runner; (function, read, links, before) of one built by act.batch.single, read from
    its closure (what it runs each step with)."""
    if getattr(runner, "__wrapped__", None) is None:
        return (runner,)
    cells = dict(zip(runner.__code__.co_freevars, (c.cell_contents for c in runner.__closure__)))
    return (runner.__wrapped__, cells["read"], cells["links"], cells["before"])


# what each action ran with before the registries (5844125's execute.ACT): a disk touch reads the host for its
# batch and checks every disk of its unit still dead first, a delete reads the by-id links too; a scan reads nothing
# beforehand (what it looks for is not there yet); a controller's delete checks every controller of its unit first
RUNNERS = {
    "disable_queueing": (maps.disable_queueing,), "verify_unused": (maps.verify_unused,),
    "flush_map": (maps.flush_map,), "wait_map_gone": (maps.wait_map_gone,), "remove_wwid": (maps.remove_wwid,),
    "flush_buffers": (disks.flush_buffers, True, False, disks.disks_still_dead),
    "delete_disk": (disks.delete_disk, True, True, disks.disks_still_dead),
    "wait_disk_gone": (disks.wait_disk_gone,),
    "scan_exact_lun": (scans.scan_exact_lun, False, False, None),
    "rescan_disk": (scans.rescan_disk, False, False, None),
    "wait_disk_present": (scans.wait_disk_present, False, False, None),
    "verify_identity": (scans.verify_lun, False, False, None),
    "delete_controller": (nvme.delete_controller, True, False, nvme.controllers_checked),
    "wait_controller_gone": (nvme.wait_controller_gone,),
}


def test_each_action_runs_its_writer_with_the_read_the_links_and_the_unit_check_it_had():
    """Review 16: the executor's table equals the registries' whatever the flags, and five of eight flag mutants
    (a flush without the still-dead check of its unit, a delete without the links, a scan reading first...) passed
    every unit test. Fails when a writer, or what a one-step runner is built with, differs from this table."""
    assert dict((action, _shape(runner)) for action, runner in execute.ACT.items()) == RUNNERS


def test_an_action_claimed_by_two_families_is_refused():
    """A step must have one writer: a second family claiming flush_map would take the SCSI map flush over (the last
    line would win), silently. Fails when act_table lets it."""
    other = ("other", {"flush_map": lambda host, steps: []})
    with pytest.raises(ValueError, match="action 'flush_map' is claimed by two device families"):
        act_families.act_table(act_families.FAMILIES + (other,))


def test_a_third_family_plugs_in_with_one_line_and_its_unit_checks_run_before_its_writes(env, monkeypatch):
    """The toy family (toy_family.py) with its registry line: the executor runs its steps with its writer, runs its
    check of each unit first, and a unit its check refuses is stopped while the other unit goes on. Fails when the
    executor needs anything but the registry line to run a family's steps."""
    monkeypatch.setattr(execute, "ACT", act_families.act_table(act_families.FAMILIES + (toy_family.WRITERS_LINE,)))
    # the plan's vocabulary as it is with the toy's judge line (plan.steps builds it once, from the registry)
    _order, options, _kinds = plan_steps.vocabulary(judge_families.FAMILIES + (toy_family.JUDGE_LINE,))
    monkeypatch.setattr(plan_steps, "OPTIONS", options)
    steps = [plan_steps.Step("toy_poke", name, Identity(name=name), unit="toy %s" % name)
             for name in ("t1", "t2-answers")]
    with pytest.raises(ExecutionError) as err:
        execute.execute(steps, env.host())
    assert [(e["target"], e["outcome"], e["detail"]) for e in err.value.executed] == [("t1", "done", {"poked": "t1"})]
    assert "answers again" in str(err.value)
