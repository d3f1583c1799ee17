# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A serial_mismatch device that is in use is a corruption risk: named (what, which process, what to do) and
wired to fail the host in audit, compliance and remediate."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from pathlib import Path

import yaml

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import verdicts as sj
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_judge import (
    check, probe_live, rec)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
    healthy_lab, ontap_serial, ontap_wwid)

ROOT = Path(__file__).resolve().parents[4]


def reused(tmp_path, setup=None):
    """Lab finding 6: LUN id 1 now maps another LU (n=9); the old map of WWID 1 is still there, and its paths
    answer with LU 9's serial (the live evidence serial_mismatch needs)."""
    t = healthy_lab(tmp_path)
    if setup:
        setup(t)
    t.commands()
    s = probe_live(t, t.reader().snapshot(), ontap_wwid(1), "0" + ontap_serial(9).encode().hex())
    s["verdicts"] = check(s, [rec(9, 1), rec(2, 2)])
    return s


def test_an_idle_serial_mismatch_is_no_corruption_risk(tmp_path):
    s = reused(tmp_path)
    assert [v for v in s["verdicts"] if v["kind"] == "serial_mismatch"]
    assert sj.corruption_risks(s) == []


def test_a_writer_on_a_reused_lun_is_named_with_what_to_do(tmp_path):
    def setup(t):
        t.mount("253:0", "/srv/db", "/dev/mapper/" + ontap_wwid(1))
        t.proc(4242, "postgres", fds=["/dev/dm-0"])
    risks = sj.corruption_risks(reused(tmp_path, setup))
    maps = [r for r in risks if r["object"] == "map"]
    assert len(maps) == 1 and maps[0]["wwid"] == ontap_wwid(1)
    msg = maps[0]["msg"]
    assert msg.startswith("CORRUPTION RISK") and "/srv/db" in msg and "pid 4242 (postgres)" in msg
    assert "Stop the writers (pid 4242 (postgres))" in msg and "LUN id 1" in msg
    # its paths are named too, through their map (a path's own map is not counted as a holder of it)
    disks = [r for r in risks if r["object"] == "disk"]
    assert disks and all("its map" in r["msg"] and "held by dm-0" not in r["msg"] for r in disks)


def test_a_udev_probe_alone_is_no_writer(tmp_path):
    def setup(t):
        t.proc(77, "(udev-worker)", fds=["/dev/dm-0"])
    assert sj.corruption_risks(reused(tmp_path, setup)) == []


def _tasks(path):
    data = yaml.safe_load((ROOT / path).read_text())
    return data[0]["tasks"] if isinstance(data, list) and "hosts" in data[0] else data


def test_every_run_fails_the_host_on_a_corruption_risk():
    for path in ("playbooks/audit.yml", "playbooks/compliance.yml", "roles/stale_cleanup/tasks/cleanup.yml"):
        fails = [t for t in _tasks(path) if "ansible.builtin.fail" in t]
        risk = [t for t in fails if "corruption_risks" in str(t.get("when"))]
        assert len(risk) == 1, path
        assert "sanfleet_compliance_fail" not in str(risk[0]["when"])  # not optional


def test_other_refusals_fail_the_host_only_behind_the_option():
    tasks = _tasks("roles/stale_cleanup/tasks/main.yml")
    refusal = [t for t in tasks if "ansible.builtin.fail" in t]
    assert len(refusal) == 1 and "stale_cleanup_fail_on_refusal | bool" in refusal[0]["when"]
    defaults = yaml.safe_load((ROOT / "roles/stale_cleanup/defaults/main.yml").read_text())
    assert defaults["stale_cleanup_fail_on_refusal"] is False
