# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/fs.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import fs as obs_fs
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import many_luns


def test_resolving_sysfs_links_through_o_path_gives_what_realpath_gives(tmp_path, monkeypatch):
    """Fails when resolving sysfs links through O_PATH, or without it, differs from realpath."""
    t = many_luns(tmp_path)
    t._link("/dev/disk/by-id/dangling", "../../sdzz")
    paths = []
    for name in os.listdir(t.path("/sys/block")):
        base = t.path("/sys/block/" + name)
        paths += [base, base + "/device", base + "/dev"]
        paths += [os.path.join(base, d, n) for d in ("holders", "slaves") for n in obs_fs.listdir(os.path.join(base, d))]
    paths += [t.path("/dev/disk/by-id/dangling"), t.path("/sys/block/sdzz"), t.path("/sys/block/sdb/../sdc")]
    assert len(paths) > 100
    assert [obs_fs.resolve(p) for p in paths] == [os.path.realpath(p) for p in paths]
    assert obs_fs.realpath(t.root, "/sys/block/sdb/device") == "/sys/devices/platform/host2/session1/target2:0:0/2:0:0:1"
    monkeypatch.delattr(os, "O_PATH")  # a platform without it takes realpath
    assert [obs_fs.resolve(p) for p in paths] == [os.path.realpath(p) for p in paths]
