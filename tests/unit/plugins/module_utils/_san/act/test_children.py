# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/children.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    children as act_children, context as act_context, disks as act_disks, execute)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    _orphan, delete_plan)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    env, killable)


def test_real_deadline_call_abandons_a_blocking_write(env, tmp_path):
    """A write that blocks (a FIFO nobody reads stands in for device/delete on a wedged host)."""
    _orphan(env)
    hctl_dir = os.path.join(env.root, "sys/class/scsi_device/4:0:0:1/device")
    os.unlink(os.path.join(hctl_dir, "delete"))
    os.mkfifo(os.path.join(hctl_dir, "delete"))
    st = [s for s in delete_plan(env, ["sdc"]) if s.action == "delete_disk"][0]
    host = env.host(command_timeout=0.5)
    host.call = lambda fn, args=(), timeout=10.0, what=None: (
        env.call(fn, args, timeout, what) if fn is act_children._child_exclusive_open
        else deadline.call(fn, args, timeout, what))
    t0 = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        act_disks.delete_disk(host, st)
    assert time.monotonic() - t0 < 5
    assert "4:0:0:1" in str(info.value)


def test_exclusive_open_child_on_real_nodes(tmp_path):
    """The child function itself: a regular file is not the device (identity), a missing node is an error."""
    f = tmp_path / "sdz"
    f.write_text("")
    with pytest.raises(ValueError, match="IDENTITY CHANGED"):
        act_children._child_exclusive_open(str(f), "8:32")
    with pytest.raises(OSError):
        act_children._child_exclusive_open(str(tmp_path / "absent"), "8:32")


def test_a_signal_while_a_delete_write_runs_lets_the_write_finish_and_reports_it(env, killable):
    """Fails when SIGTERM during a delete write kills the write, or the report hides that it was done."""
    for d in env.disks.values():
        d["map"], d["holders"] = None, []
    env.maps.clear()
    plan = delete_plan(env, ["sdc"])
    orig = env.call

    def call(fn, args=(), timeout=10.0, what=None):
        out = orig(fn, args, timeout, what)
        if fn is act_children.child_checked_write:
            os.kill(os.getpid(), signal.SIGTERM)   # arrives while the forked writer runs
        return out
    host = env.host()
    host.call = call
    with pytest.raises(act_context.ExecutionError) as info:
        execute.execute([st.tagged(None, "disk sdc") for st in plan], host)
    out = info.value.to_dict()
    assert [(e["action"], e["outcome"]) for e in out["executed"]] == [("delete_disk", "done")]
    assert "sdc" not in env.disks
    (failure,) = out["failures"]
    assert failure["failed_step"]["action"] == "wait_disk_gone" and "interrupted by SIGTERM" in failure["msg"]


def test_two_units_never_open_one_node_exclusively_at_once(env):
    """Two O_EXCL opens of one node at once exclude each other (one EBUSY: 8-17 % of 2,000 concurrent opens of an
    NVMe namespace head in the lab, none alone), which reads as a kernel user. The act's workers (ACT_WORKERS) may
    re-check one namespace from two units: their exclusive opens of one node take turns; of two nodes they do not
    wait for each other."""
    import threading
    host = env.host()
    inside, overlaps, lock = {}, [], threading.Lock()

    def child(fn, args=(), timeout=10.0, what=None):
        node = args[0]
        with lock:
            inside[node] = inside.get(node, 0) + 1
            if inside[node] > 1:
                overlaps.append(node)
        time.sleep(0.05)
        with lock:
            inside[node] -= 1
        return {"claimed": False, "answer": "ok"}
    host.call = child
    ns = {"name": "nvme0n2", "dev": "259:2"}
    threads = [threading.Thread(target=act_children.exclusive_open_check, args=(host, ns)) for _i in range(4)]
    threads.append(threading.Thread(target=act_children.exclusive_open_check,
                                    args=(host, {"name": "nvme0n1", "dev": "259:1"})))
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [] and inside == {host.path("/dev/nvme0n2"): 0, host.path("/dev/nvme0n1"): 0}
    assert time.monotonic() - t0 >= 0.2   # the four of nvme0n2 one after the other
