# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/run/cleanup.py` (stale_cleanup's plan-and-decide flow)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import families as judge_families
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.run import cleanup as run_cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san import toy_family
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    W1, W2, nvme_host_removed, nvme_planned)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    NVME_LAB_LIFS, TARGETS, nvme_array_truth, nvme_host, nvme_judged, rec)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    healthy_lab, ontap_serial, ontap_wwid)


def odd_alias_host(tmp_path, alias="db(prod)@x"):
    """The lab host (LUNs 1 and 2 on two sessions) with a third map, LUN 3, aliased with characters the kernel and
    multipath accept and validate.MAP_NAME does not; every path works."""
    t = healthy_lab(tmp_path)
    for name, hctl, dev, sess in (("sdf", "2:0:0:3", "8:80", 1), ("sdg", "3:0:0:3", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(3)[1:],
               serial="0" + ontap_serial(3).encode().hex())
    t.dm("dm-2", "253:2", alias, "mpath-" + ontap_wwid(3), slaves=("sdf", "sdg"))
    return t.commands()


def judged_and_decided(t, luns):
    host = t.reader()
    truth = {"luns": luns, "targets": TARGETS, "initiators": ["*"], "problems": [], "collected_at": time.time()}
    san = facts.collect(host, truth, ("3600a0980",), probe=False)
    policy = dict((k, None) for k in run_cleanup.POLICY_OPTIONS)
    policy.update(policy="array", grace=0, truth_max_age=900.0, repair_mismatch=True, flush_buffers=True)
    return san, run_cleanup.decide(policy, host, san)


def test_a_working_map_with_an_odd_alias_still_blocks_the_host_as_unexpected_visibility(tmp_path):
    """A map whose alias no step may carry made the whole host's plan fail on every run; now it is planned around,
    but it is still a device: working, covered and mapped by no record, it still raises the incomplete-truth
    blocker (unexpected_visibility), the alias shown escaped in the message."""
    san, plan = judged_and_decided(odd_alias_host(tmp_path), [rec(1, 1), rec(2, 2)])
    odd = [v for v in san["verdicts"] if v["name"] == "db(prod)@x"]
    assert [v["kind"] for v in odd] == ["unexpected_visibility"], san["verdicts"]
    assert plan["steps"] == [] and [b["why"] for b in plan["blocked"]] == ["unexpected_visibility"], plan
    assert "'db(prod)@x'" in plan["blocked"][0]["msg"] and "db(prod)@x work" not in plan["blocked"][0]["msg"]


def test_a_mapped_map_with_an_odd_alias_is_named_and_left_alone(tmp_path):
    """The same map mapped by the array: the host is planned (no failure for the whole host), and the map is named,
    escaped, as a unit nothing acts on."""
    san, plan = judged_and_decided(odd_alias_host(tmp_path, "db\u2028(prod)"), [rec(1, 1), rec(2, 2), rec(3, 3)])
    assert plan["blocked"] == [] and plan["steps"] == []
    odd = [s for s in plan["skipped"] if s["name"] == ascii("db\u2028(prod)")]
    assert odd and "no step may carry" in odd[0]["reason"] and "\u2028" not in odd[0]["reason"], plan["skipped"]


def test_check_mode_diff_shows_only_the_flushed_map_leaving_not_the_lu_its_name_spells():
    """Fails when the check-mode diff shows the map of the LU a flushed map's name spells as removed."""
    san = {"maps": {W1: {"name": "mpatha", "wwid": W1, "paths": [{"name": "sdb"}]},
                    W2: {"name": W1, "wwid": W2, "paths": [{"name": "sdc"}]}},
           "disks": {}}
    run = [plan_steps.step("flush_map", W1, {"name": W1, "wwid": W2}).tagged(None, 1)]
    diff = run_cleanup.plan_diff(san, run)
    # on 7120141 (and before): "after" lists no map at all; LU W1's map mpatha is shown removed
    assert "map %s (sdb)" % W1 in diff["after"] and "map %s (sdc)" % W2 not in diff["after"], diff["after"]


def test_the_diff_lists_each_familys_devices_by_its_registry_line(monkeypatch):
    """--diff lists the devices family by family in registry order, a third family's through its line (the toy's
    device_lines), and "after" leaves out what the selected steps remove. Fails when plan_diff lists a family by
    name instead of by the registry."""
    families = judge_families.FAMILIES + (toy_family.JUDGE_LINE,)
    monkeypatch.setattr(plan_steps, "OPTIONS", plan_steps.vocabulary(families)[1])
    san = {"maps": {W1: {"name": "mpatha", "wwid": W1, "paths": [{"name": "sdb"}]}},
           "disks": {"sdb": {"hctl": "2:0:0:1", "wwid": W1}}, "toy": ["t1", "t2"]}
    diff = run_cleanup.plan_diff(san, [plan_steps.step("toy_poke", "t1", {"name": "t1"})], families)
    assert diff["before"] == "map %s (sdb)\ndisk sdb 2:0:0:1 %s\ntoy t1\ntoy t2\n" % (W1, W1)
    assert diff["after"] == "map %s (sdb)\ndisk sdb 2:0:0:1 %s\ntoy t2\n" % (W1, W1)


def test_check_mode_diff_shows_the_unmapped_namespaces_leaving_with_their_controllers(tmp_path):
    """This host removed from the subsystem: both controllers and the namespaces behind them go; --diff lists the
    namespaces in "before" and not in "after". Fails when the diff keeps a namespace the plan's wait_controller_gone
    says vanishes with its controllers."""
    steps, _host, _kernel = nvme_planned(tmp_path, lifs=NVME_LAB_LIFS, scenario="nvme_outage", change=nvme_host_removed)
    vanishing = sorted(n for st in steps if st.action == "wait_controller_gone" for n in st.options.get("vanishing") or [])
    assert vanishing == ["nvme0n1", "nvme0n2"]
    reader, lab = nvme_host(tmp_path / "diff", "nvme_outage", ())
    truth = nvme_array_truth(lab["nvme"], NVME_LAB_LIFS)
    nvme_host_removed(truth)
    san = nvme_judged(reader, truth, time.time())
    diff = run_cleanup.plan_diff(san, steps)
    for name in vanishing:
        assert "nvme namespace %s (" % name in diff["before"] and "nvme namespace %s (" % name not in diff["after"]


def test_check_mode_diff_shows_the_nvme_controller_the_plan_deletes_leaving(tmp_path):
    """--diff of a plan that deletes nvme0 (lif_gone): nvme0 is in "before" and not in "after"; the namespaces it
    carried stay, with nvme1 their one path."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
    reader, lab = nvme_host(tmp_path, "nvme_stale", ("nvme0n2", "nvme0c0n2"))
    san = nvme_judged(reader, nvme_array_truth(lab["nvme"]), time.time())
    plan = cleanup.plan_cleanup(san, san.get("verdicts") or [], {"policy": "array", "delete_lif_gone": True})
    diff = run_cleanup.plan_diff(san, plan["steps"])
    line = [ln for ln in diff["before"].splitlines() if ln.startswith("nvme controller nvme0 ")]
    assert len(line) == 1 and "connecting tcp" in line[0] and "traddr=127.0.0.5" in line[0]
    assert "nvme controller nvme0" not in diff["after"] and "nvme controller nvme1 live" in diff["after"]
    assert "nvme namespace nvme0n1 (nvme0 nvme1)" in diff["before"] and "nvme namespace nvme0n1 (nvme1)" in diff["after"]


def test_the_act_measures_each_familys_truth_age_from_its_own_part():
    """The SCSI units from the truth's own time, the NVMe units from its NVMe part's (the oldest of its reads): an
    old NVMe part never refuses a SCSI unit the plan allowed, nor the reverse (check mode = the real run)."""
    times = run_cleanup.truth_times
    assert times({"collected_at": 2000.0, "nvme": {"collected_at": 1000.0}}) == {"scsi": 2000.0, "nvme": 1000.0}
    assert times({"collected_at": 1000.0, "nvme": {"collected_at": None}}) == {"scsi": 1000.0, "nvme": None}
    assert times({"collected_at": 1000.0}) == {"scsi": 1000.0, "nvme": None}
    nan = times({"collected_at": 1000.0, "nvme": {"collected_at": float("nan")}})["nvme"]
    assert math.isnan(nan)  # handed on, so that the act's gate refuses it (truth_age_unknown), never skips the check
    assert times(None) == {"scsi": None, "nvme": None}  # no truth: nothing to measure (not "no time handed on")
    # a third family's time is read from its own part, through its line
    toy_line = toy_family.JUDGE_LINE
    assert times({"collected_at": 1.0, "toy": {"names": [], "read_at": 5.0}}, judge_families.FAMILIES + (toy_line,)) == {
        "scsi": 1.0, "nvme": None, "toy": 5.0}


def test_the_result_lists_what_each_familys_done_steps_removed_by_its_registry_line():
    """removed_maps, deleted_disks and deleted_controllers (the module's result) hold the targets of the done
    flush_map, delete_disk and delete_controller steps, every key present even when empty, and a third family's key
    comes from its line (the toy's poked_toys). Fails when a family's result is left out or a step that did not
    run ("failed", "skipped") is reported removed."""
    done = [{"action": a, "target": t, "outcome": o} for a, t, o in (
        ("flush_map", "mpatha", "done"), ("wait_map_gone", "mpatha", "done"), ("delete_disk", "sdc", "done"),
        ("delete_disk", "sdd", "failed"), ("delete_controller", "nvme1", "done"),
        ("delete_controller", "nvme2", "skipped"), ("toy_poke", "t1", "done"))]
    assert run_cleanup.removed(done) == {"removed_maps": ["mpatha"], "deleted_disks": ["sdc"],
                                         "deleted_controllers": ["nvme1"]}
    assert run_cleanup.removed([]) == {"removed_maps": [], "deleted_disks": [], "deleted_controllers": []}
    with_toy = run_cleanup.removed(done, judge_families.FAMILIES + (toy_family.JUDGE_LINE,))
    assert with_toy["poked_toys"] == ["t1"] and with_toy["deleted_controllers"] == ["nvme1"]
