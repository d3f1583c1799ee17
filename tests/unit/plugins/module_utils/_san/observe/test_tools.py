# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/tools.py` and of the snapshot's `host.tools_missing`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as sr
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import tools
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    healthy_lab, inline_call)


def install(root, *programs, where="/usr/sbin"):
    for name in programs:
        path = os.path.join(str(root), where.lstrip("/"), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(path, 0o755)


def test_programs_are_found_in_path_and_the_sbin_folders_only_when_executable(tmp_path):
    install(tmp_path, "multipath", "multipathd")
    install(tmp_path, "sg_turs", where="/opt/sg/bin")
    install(tmp_path, "nvme", where="/usr/sbin")
    os.chmod(str(tmp_path / "usr" / "sbin" / "nvme"), 0o644)          # there, but no program
    found = tools.find_programs(str(tmp_path), ("multipath", "multipathd", "sg_turs", "sg_inq", "nvme"),
                                path="/opt/sg/bin:/usr/bin")
    assert found == {"multipath": "/usr/sbin/multipath", "multipathd": "/usr/sbin/multipathd",
                     "sg_turs": "/opt/sg/bin/sg_turs", "sg_inq": None, "nvme": None}


def test_a_package_is_missing_when_one_of_its_programs_is_and_says_what_is_not_read():
    found = dict((p, "/usr/sbin/" + p) for p in tools.PROGRAMS)
    assert tools.missing(found) == []
    found.update(sg_inq=None, iscsiadm=None)
    lost = tools.missing(found)
    assert [(t["package"], t["programs"]) for t in lost] == [("sg3_utils", ["sg_inq"]), ("open-iscsi", ["iscsiadm"])]
    assert "not probed live" in lost[0]["unread"] and lost[0]["also_named"] == "sg3-utils on Debian and Ubuntu"
    assert tools.package_of("sg_raw") == "sg3_utils" and tools.package_of("dmsetup") is None


def test_the_snapshot_of_a_module_reader_names_the_packages_the_host_lacks(tmp_path):
    """Fails when a host without sg3_utils or open-iscsi is read as if it had every tool (host.tools_missing)."""
    t = healthy_lab(tmp_path).commands()
    install(t.root, "multipath", "multipathd", "nvme")
    snap = sr.Host(root=t.root, run=t.run, call=inline_call, tools=True).snapshot(probe=False)
    assert [x["package"] for x in snap["host"]["tools_missing"]] == ["sg3_utils", "open-iscsi"]
    # a reader that does not look (the unit tests' fake hosts) says so: unknown, not "all there"
    assert sr.Host(root=t.root, run=t.run, call=inline_call).snapshot(probe=False)["host"]["tools_missing"] is None


def test_a_lookup_that_does_not_finish_is_unknown_and_named(tmp_path):
    """Fails when a lookup that did not finish reads as "none missing" (tools_missing null with no tools_unread: the
    plan would flush maps on a host whose multipath-tools is unknown), or is not named in the errors."""
    t = healthy_lab(tmp_path).commands()

    def call(fn, args=(), timeout=10.0, what=None):
        if fn is tools.find_programs:
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args, timeout, what)
    snap = sr.Host(root=t.root, run=t.run, call=call, tools=True).snapshot(probe=False)
    assert snap["host"]["tools_missing"] is None
    assert [e["what"] for e in snap["errors"]] == ["lookup of the SAN tools' programs"]
    assert snap["host"]["tools_unread"] == snap["errors"][0]["msg"] and "did not finish" in snap["host"]["tools_unread"]
    # and no lookup made leaves no tools_unread (a lookup that finished beside another read's error: below)
    assert "tools_unread" not in sr.Host(root=t.root, run=t.run, call=inline_call).snapshot(probe=False)["host"]


@pytest.mark.parametrize("lookup_hangs", [False, True])
def test_tools_unread_names_the_lookup_and_only_the_lookup_beside_another_read_error(tmp_path, lookup_hangs):
    """Fails when another read's error is taken for the lookup's (a finished lookup read as unfinished: every flush
    of the host refused, naming the wrong read), or the lookup's own failure is named by another read's message."""
    t = healthy_lab(tmp_path).commands()
    install(t.root, *tools.PROGRAMS)

    def call(fn, args=(), timeout=10.0, what=None):
        if fn is sr.read_batch or (lookup_hangs and fn is tools.find_programs):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args, timeout, what)
    snap = sr.Host(root=t.root, run=t.run, call=call, tools=True).snapshot(probe=False)
    assert "batch read of sysfs and /proc" in [e["what"] for e in snap["errors"]]
    if lookup_hangs:
        assert snap["host"]["tools_missing"] is None
        assert snap["host"]["tools_unread"].startswith("lookup of the SAN tools' programs did not finish")
        assert "multipath-tools is installed on this host is unknown" in cleanup.no_flush(snap)
    else:
        assert snap["host"]["tools_missing"] == [] and "tools_unread" not in snap["host"]
        assert cleanup.no_flush(snap) is None


@pytest.mark.parametrize("paths", [("sdb",), ("sdb", "sdd")])
def test_paths_not_probed_for_a_missing_program_are_one_error_and_marked(tmp_path, paths):
    """A host without sg3_utils: every failed path's probe says so (missing: its program), and the snapshot has one
    error for them all, not one per path."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        ontap_wwid)
    t = healthy_lab(tmp_path).commands(paths_state=dict((sd, ("F", "faulty", "running")) for sd in paths))
    snap = t.reader().snapshot(probe=True)
    probes = snap["maps"][ontap_wwid(1)]["probe"]
    assert all(probes[sd]["missing"] == "sg_turs" and probes[sd]["result"] == "error" for sd in probes)
    assert [e for e in snap["errors"] if "sg_turs" in e["msg"]] == [
        {"what": "probe of %s" % ", ".join(sorted(probes)), "msg": "sg_turs is not installed (sg3_utils): not probed"}]
