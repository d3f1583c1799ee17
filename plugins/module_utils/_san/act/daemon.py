# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The daemon's one change (module multipath_conf): `multipathd reconfigure`, or `systemctl start|restart
multipathd.service`, as judge.multipath_config.apply_plan decided it (a restart that would fail the queued I/O of a
map with no active path is refused there unless forced). Under a hard deadline (deadline.run)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.multipath_config import live_maps


class DaemonNotApplied(Exception):
    """The command ran and failed: the daemon kept its old settings (the message names the command)."""


def apply(tools, action, timeout):
    """Reconfigure (every map and its queueing kept), start, or restart multipathd; `tools` finds the binaries
    (observe.multipath_tools.MultipathTools). Raises DaemonNotApplied, or deadline.DeadlineExceeded."""
    if action == "reconfigure":
        argv = [tools.bin("multipathd"), "reconfigure"]
    else:
        argv = [tools.bin("systemctl"), action, "multipathd.service"]
    res = deadline.run(argv, timeout, what=" ".join(argv[-2:]))
    # multipathd answers "ok" (0.8.5 to 0.11.x); "fail" or a timeout means the daemon kept its old settings
    if res.rc != 0 or (action == "reconfigure" and res.stdout.strip() not in ("ok", "")):
        raise DaemonNotApplied("%s failed: %s" % (" ".join(argv[-2:]), res.describe()))


def settled(tools, judge, timeout):
    """After the reconfigure/start/restart: wait until multipathd is ready, then read it again (up to `timeout`
    seconds) until judge.after_apply says nothing is left to wait for. Returns None when the daemon never became
    ready, else (its configuration, the live maps (judge.multipath_config.live_maps), the fixable findings left, the
    audited maps that still queue without bound, the maps with no active path)."""
    if not tools.wait_running(timeout):
        return None
    end = time.monotonic() + timeout
    while True:
        running, maps = tools.running_config(), live_maps(*tools.map_reads())
        remaining, stuck, pathless, done = judge.after_apply(running, maps, tools.path_status())
        if done or time.monotonic() >= end:
            return running, maps, remaining, stuck, pathless
        time.sleep(2)
