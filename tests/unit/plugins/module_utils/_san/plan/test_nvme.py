# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/nvme.py`: which NVMe-oF controllers the plan deletes, on copies of
states captured on a real kernel (tests/lab/capture.py nvme_*), with what the kernel would have removed taken out.

In nvme_stale the controller nvme0 reconnects to LIF a (127.0.0.5) and carries namespaces 1, 2, 3; nvme1 is live to
LIF b and carries 1 and 3; namespace 2 is unmapped and reached through nvme0 only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import nvme as plan_nvme
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    NVME_LAB_LIFS, nvme_array_truth, nvme_host, nvme_judged)


def judged(tmp_path, scenario="nvme_stale", drop=(), lifs=None, change=None):
    reader, lab = nvme_host(tmp_path, scenario, drop)
    truth = nvme_array_truth(lab["nvme"], lifs)
    if change:
        change(truth)
    return nvme_judged(reader, truth, time.time())


def planned(san):
    out = plan_nvme.plan_nvme(san)
    return out, dict((s["name"], s["reason"]) for s in out["skipped"])


def test_a_controller_to_a_deleted_lif_is_deleted_when_every_namespace_behind_it_answers_elsewhere(tmp_path):
    """LIF a deleted, namespace 2 already gone: nvme0 (lif_gone) carries 1 and 3, both live through nvme1. Its delete
    and its wait are one unit; the step carries the identity the act re-checks and each namespace's role."""
    san = judged(tmp_path, drop=("nvme0n2", "nvme0c0n2"))
    out, refused = planned(san)
    assert [(s["action"], s["target"], s["unit"], s["phase"]) for s in out["steps"]] == [
        ("delete_controller", "nvme0", "controller nvme0", "delete"),
        ("wait_controller_gone", "nvme0", "controller nvme0", "delete")]
    expect = out["steps"][0]["expect"]
    assert (expect["name"], expect["transport"], expect["address"]) == ("nvme0", "tcp", "traddr=127.0.0.5,trsvcid=4420")
    assert expect["subsysnqn"].startswith("nqn.1992-08.com.netapp:sn.") and expect["hostnqn"] and expect["cntlid"]
    assert dict((n, r["role"]) for n, r in expect["namespaces"].items()) == {"nvme0n1": "stays", "nvme0n3": "stays"}
    assert out["steps"][1]["expect"]["vanishing"] == []
    assert out["delete_controllers"][0]["kind"] == "lif_gone" and refused == {}


def test_the_controller_a_mapped_namespace_still_needs_is_kept_even_to_a_deleted_lif(tmp_path):
    """nvme_stale as the lab left it (LIF a deleted): namespace 2, reached only through nvme0, is not covered; nvme0
    is its sole path, and stays."""
    out, refused = planned(judged(tmp_path))
    assert out["steps"] == [] and "sole path of nvme0n2" in refused["nvme0"]


def test_a_down_controller_to_a_lif_the_svm_still_has_is_an_outage_while_it_carries_a_mapped_namespace(tmp_path):
    """LIF a only cut: namespace 2 is stale, but nvme0 also carries 1 and 3, still mapped: deleting it would take a
    path of theirs that comes back with the LIF."""
    out, refused = planned(judged(tmp_path, lifs=NVME_LAB_LIFS))
    assert out["steps"] == []
    assert "outage" in refused["nvme0"] and "nvme0n1" in refused["nvme0"] and "nvme0n3" in refused["nvme0"]


@pytest.mark.parametrize("lifs", [None, NVME_LAB_LIFS], ids=["lifs-read", "both-lifs"])
def test_an_outage_deletes_no_controller_under_any_truth_of_its_lifs(tmp_path, lifs):
    """nvme_outage: both LIFs cut, everything mapped: no namespace is stale, every controller is its namespaces'
    path; nothing is deleted, whatever the array says of its LIFs."""
    out, refused = planned(judged(tmp_path, "nvme_outage", lifs=lifs))
    assert out["steps"] == [] and sorted(refused) == ["nvme0", "nvme1"]


def test_a_down_controller_whose_every_namespace_is_unmapped_is_deleted_and_takes_them_with_it(tmp_path):
    """nvme0 carries only namespace 2 (its paths of 1 and 3 gone), which the array no longer maps: the subsystem has
    nothing left for this host through it. The udev worker blocked in namespace 2's queued I/O (lab finding 17) is
    no workload."""
    san = judged(tmp_path, drop=("nvme0c0n1", "nvme0c0n3"), lifs=NVME_LAB_LIFS)
    ns2 = [ns for ns in san["nvme"]["namespaces"] if ns["name"] == "nvme0n2"][0]
    assert ns2["openers"] and all("udev" in o["comm"] for o in ns2["openers"])
    out, refused = planned(san)
    assert [s["action"] for s in out["steps"]] == ["delete_controller", "wait_controller_gone"]
    assert out["steps"][0]["expect"]["namespaces"]["nvme0n2"]["role"] == "unmapped"
    assert out["steps"][1]["expect"]["vanishing"] == ["nvme0n2"] and refused == {}


@pytest.mark.parametrize("use,why", [
    (dict(mountpoints=["/mnt/x"]), "mounted"),
    (dict(swap=True), "swap"),
    (dict(holders=["dm-7"]), "held by"),
    (dict(kernel_users=[{"kind": "loop", "name": "loop0"}]), "used by"),
    (dict(openers=[{"pid": 4242, "comm": "postgres", "fds": 1}]), "postgres"),
    (dict(openers_unknown="the /proc/*/fd scan did not finish"), "cannot be checked"),
])
def test_an_unmapped_namespace_in_use_keeps_the_controller_it_would_go_with(tmp_path, use, why):
    san = judged(tmp_path, drop=("nvme0c0n1", "nvme0c0n3"), lifs=NVME_LAB_LIFS)
    ns2 = [ns for ns in san["nvme"]["namespaces"] if ns["name"] == "nvme0n2"][0]
    ns2.update(use)
    out, refused = planned(san)
    assert out["steps"] == [] and why in refused["nvme0"] and "nvme0n2" in refused["nvme0"]


def _only_lif_b(truth):
    truth["targets"][0]["tcp_addresses"] = ["127.0.0.6"]


@pytest.mark.parametrize("breaks,why", [
    (lambda san: san["array"].update(nvme_problems=[{"kind": "http_403", "msg": "403 on nvme/subsystems"}]),
     "incomplete"),
    (lambda san: san["array"].update(nvme_records=0), "no namespace record"),
    (lambda san: san["nvme"].update(unread=["/sys/class/nvme-subsystem"]), "did not list"),
    (lambda san: san["nvme_verdicts"]["namespaces"][0].update(kind="unexpected_visibility"), "older than the host"),
])
def test_an_nvme_truth_or_read_that_cannot_be_trusted_deletes_no_controller(tmp_path, breaks, why):
    """The deletable state of the first test, each time with one reason not to trust what it rests on."""
    san = judged(tmp_path, drop=("nvme0c0n1", "nvme0c0n3"), lifs=NVME_LAB_LIFS)
    breaks(san)
    out, refused = planned(san)
    assert out["steps"] == [] and why in refused["nvme0"]


@pytest.mark.parametrize("field,value,why", [
    ("state", "live", "not one of"),
    ("state", "deleting", "not one of"),
    ("state", None, "not one of"),
    ("unread", ["address"], "not fully read"),
    ("subsysnqn", None, "not fully read"),
    ("transport", "pcie", "not fully read"),
])
def test_a_controller_not_fully_read_or_in_another_state_is_not_deleted(tmp_path, field, value, why):
    san = judged(tmp_path, drop=("nvme0c0n1", "nvme0c0n3"), lifs=NVME_LAB_LIFS)
    [c for c in san["nvme"]["controllers"] if c["name"] == "nvme0"][0][field] = value
    out, refused = planned(san)
    assert out["steps"] == [] and why in refused["nvme0"]


def test_a_controller_whose_namespaces_were_not_all_read_is_not_deleted(tmp_path):
    san = judged(tmp_path, drop=("nvme0c0n1", "nvme0c0n3"), lifs=NVME_LAB_LIFS)
    [v for v in san["nvme_verdicts"]["controllers"] if v["name"] == "nvme0"][0]["sole_path_of"] = None
    out, refused = planned(san)
    assert out["steps"] == [] and "not all read" in refused["nvme0"]


def test_a_namespace_that_stays_must_answer_through_another_live_path_now(tmp_path):
    """lif_gone with sole_path_of [] (as judged), but namespace 1's other path no longer answers in the snapshot the
    plan reads (its ANA state changed): the plan refuses rather than trust the verdict alone."""
    san = judged(tmp_path, drop=("nvme0n2", "nvme0c0n2"))
    ns1 = [ns for ns in san["nvme"]["namespaces"] if ns["name"] == "nvme0n1"][0]
    for p in ns1["paths"]:
        if p["controller"] == "nvme1":
            p["ana_state"] = "inaccessible"
    out, refused = planned(san)
    assert out["steps"] == [] and "nvme0n1 answers through no other live path" in refused["nvme0"]


def test_the_host_plan_runs_the_nvme_units_after_the_scsi_ones_and_lists_the_controllers(tmp_path):
    """plan_cleanup: the NVMe units are part of the host's plan (one approval, one check mode, one act), in
    HOST_ORDER after every SCSI step, and listed in delete_controllers; a blocked host plans none of them."""
    san = judged(tmp_path, drop=("nvme0n2", "nvme0c0n2"))
    plan = cleanup.plan_cleanup(san, san.get("verdicts") or [], {"policy": "array"})
    assert [s["action"] for s in plan["steps"]][-2:] == ["delete_controller", "wait_controller_gone"]
    assert [c["name"] for c in plan["delete_controllers"]] == ["nvme0"]
    san["array"]["collected_at"] = san["collected_at"] - 10 * cleanup.TRUTH_MAX_AGE
    plan = cleanup.plan_cleanup(san, san.get("verdicts") or [], {"policy": "array"})
    assert plan["steps"] == [] and plan["delete_controllers"] == [] and plan["blocked"][0]["why"] == "truth_too_old"
