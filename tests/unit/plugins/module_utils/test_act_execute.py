# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""act.execute: whatever leaves the act (an exception that is no Exception: KeyboardInterrupt, SystemExit,
GeneratorExit), at whatever point, leaves no map with its queueing turned off by this run or suspended by it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import children as act_children
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute as san_act
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_act import (
    WWID, WWID2, FakeEnv, second_map, two_units)

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
        san_act.execute(two_units(env), host)
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
