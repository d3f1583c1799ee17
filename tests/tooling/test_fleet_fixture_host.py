# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/fleet/fixture_python.py's fixture hosts are read-only: every forked sysfs writer of the act is refused
(EROFS) wherever it lives, and the shared capture cache it would have written stays as it was."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest

from ansible_collections.sanfleet.remediation.tests.tooling.helpers import ROOT

# runs in a child: fixture_python.install patches the reader and its deadline.call for the whole process
CODE = r'''
import errno, os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "fleet"))
import fixture_python
fixture_python.install("nvme_stale")
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import address_text
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import parse_address
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import %(module)s as writers
sys_root = os.path.join(fixture_python.unpacked("nvme_stale"), "root", "sys")
def attr(*path):
    with open(os.path.join(sys_root, "class", *path)) as fh:
        return fh.read().strip()
def watched():
    path = os.path.join(sys_root, "class", *WATCH)
    return open(path).read().strip() if os.path.exists(path) else None
ctrl = dict((a, attr("nvme", "nvme1", a)) for a in ("subsysnqn", "transport", "hostnqn", "cntlid", "model", "state"))
ctrl["address"] = address_text(parse_address(attr("nvme", "nvme1", "address")))
%(setup)s
was = watched()
try:
    deadline.call(writers.%(writer)s, args, timeout=10.0, what="%(writer)s")
except OSError as exc:
    print("REFUSED", exc.errno == errno.EROFS)
except Exception as exc:
    print("OTHER", type(exc).__name__, exc)
else:
    print("WRITTEN")
print("UNCHANGED" if watched() == was else "CHANGED")
'''
WRITERS = {
    "child_set_iopolicy": ("nvme_conf", 'WATCH = ("nvme-subsystem", "nvme-subsys0", "iopolicy")\n'
                           'args = (sys_root, "nvme-subsys0", attr("nvme-subsystem", "nvme-subsys0", "subsysnqn"), '
                           'attr(*WATCH), "round-robin")'),
    "child_bound_ctrl_loss_tmo": ("nvme_conf", 'WATCH = ("nvme", "nvme1", "ctrl_loss_tmo")\n'
                                  'args = (sys_root, "nvme1", ctrl, 600)'),
    "child_delete_controller": ("nvme", 'WATCH = ("nvme", "nvme1", "delete_controller")\n'
                                'args = (sys_root, "nvme1", ctrl, (ctrl["state"],))'),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_fixture_host_refuses_every_forked_sysfs_writer_of_the_act(tmp_path, writer):
    """Each writer is handed arguments its own checks accept (the controller and subsystem as the capture has
    them), so only the fixture's guard stands between it and the cache. Fails when a writer outside
    act/children.py (act/nvme.py, act/nvme_conf.py) gets past the guard and writes into the capture cache."""
    module, setup = WRITERS[writer]
    env = dict(os.environ, SANFLEET_FIXTURE_CACHE=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", CODE % {"module": module, "writer": writer, "setup": setup},
                          str(ROOT)], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.stdout.split() == ["REFUSED", "True", "UNCHANGED"], (out.stdout, out.stderr[-2000:])
