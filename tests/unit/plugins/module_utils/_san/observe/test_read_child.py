# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/read_child.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import (
    read_child as obs_read_child, reread as obs_reread, sysfs as obs_sysfs)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    healthy_lab, inline_call, ontap_wwid)


def test_a_really_hung_read_with_the_real_fork(tmp_path, monkeypatch):
    """Fails when a really hung sysfs read with the real fork is not abandoned in time with the rest kept."""
    t = healthy_lab(tmp_path).commands()
    real = obs_sysfs.read_sd

    def slow_read_sd(root, name):
        if name == "sdc":
            time.sleep(30)
        return real(root, name)

    monkeypatch.setattr(obs_read_child, "read_sd", slow_read_sd)
    started = time.monotonic()
    snap = t.reader(call=deadline.call, read_timeout=0.7).snapshot(probe=False)
    assert time.monotonic() - started < 8
    assert sorted(snap["disks"]) == ["sda", "sdb", "sdd", "sde"]
    assert any(e["what"] == "sysfs read of /sys/block/sdc" and "did not finish within 0.7s" in e["msg"]
               for e in snap["errors"])


def test_a_device_whose_read_did_not_finish_is_neither_present_nor_absent(tmp_path):
    """A map or disk whose sysfs read hung must not read as gone: the act would call it removed (and forget the
    WWID of a live map)."""
    t = healthy_lab(tmp_path).commands()

    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ == "read_batch":
            raise deadline.DeadlineExceeded(what, timeout)
        if fn is obs_read_child.read_devices and ("dm-1" in args[1] or "sdc" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    r = t.reader(call=call)
    v = r.view(["sdb", "sdc"], [ontap_wwid(1)])
    assert v.map(ontap_wwid(1))["dm"] == "dm-0" and v.disk("sdb")["name"] == "sdb"
    for lookup, key in ((v.map, ontap_wwid(2)), (v.map, "dm-1"), (v.disk, "sdc"), (r.map, ontap_wwid(2)),
                        (r.disk, "sdc")):
        with pytest.raises(obs_reread.Unread, match="did not finish"):
            lookup(key)
    assert v.disk("sdzz") is None  # never listed: absent
    clean = t.reader()
    assert clean.map("3600a0980ffff") is None and clean.disk("sdzz") is None


def test_view_reads_the_paths_added_since_the_plan_and_names_the_one_that_hangs(tmp_path):
    """A map asked for by WWID brings its paths into the read; one hung path must not hide the others from the
    identity check."""
    t = healthy_lab(tmp_path).commands()

    def call(fn, args=(), timeout=10.0, what=None):
        if fn is obs_read_child.read_devices and "sdd" in args[1]:
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    v = t.reader(call=call).view([], [ontap_wwid(1)])
    assert v.disk("sdb")["map"] == v.map(ontap_wwid(1))["name"]
    with pytest.raises(obs_reread.Unread):
        v.disk("sdd")
    assert "sysfs read of /sys/block/sdd" in [e["what"] for e in v.map(ontap_wwid(1))["errors"]]
