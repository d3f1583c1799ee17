# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/plan/nvme.py`: which NVMe-oF controllers the plan deletes, on copies of
states captured on a real kernel (tests/lab/capture.py nvme_*), with what the kernel would have removed taken out.

In nvme_stale the controller nvme0 reconnects to LIF a (127.0.0.5) and carries namespaces 1, 2, 3; nvme1 is live to
LIF b and carries 1 and 3; namespace 2 is unmapped and reached through nvme0 only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import nvme as plan_nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import shown
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    NVME_LAB_LIFS, nvme_array_truth, nvme_host, nvme_judged, open_controller_node, open_generic_node)


OTHER_HOST = "nqn.2014-08.org.nvmexpress:uuid:0b0b0b0b-0000-4000-8000-00000000000b"


_HOSTS = {}


def judged(tmp_path, scenario="nvme_stale", drop=(), lifs=None, change=None):
    """The judged snapshot of a copy of `scenario` less `drop`; the plan only reads the copy, so one copy per
    process serves every test that asks for the same (a mutation run's tests are many and run per mutant)."""
    key = (scenario, tuple(drop))
    if key not in _HOSTS:
        _HOSTS[key] = nvme_host(tmp_path, scenario, drop)
    reader, lab = _HOSTS[key]
    truth = nvme_array_truth(lab["nvme"], lifs)
    if change:
        change(truth)
    return nvme_judged(reader, truth, time.time())


def host_removed(truth):
    """The subsystem allows another host only now (`vserver nvme subsystem host remove` of this one): its hosts list
    and every record say so."""
    truth["targets"][0]["subsystems"][0]["host_nqns"] = [OTHER_HOST]
    for rec in truth["namespaces"]:
        rec["host_nqns"] = [OTHER_HOST]


def planned(san, **policy):
    out = plan_nvme.plan_nvme(san, policy)
    return out, dict((s["name"], s["reason"]) for s in out["skipped"])


LIF_GONE = ("nvme0n2", "nvme0c0n2")      # LIF a deleted, namespace 2 already dropped: nvme0 carries 1 and 3


def test_a_controller_to_a_deleted_lif_is_deleted_when_every_namespace_behind_it_answers_elsewhere(tmp_path):
    """LIF a deleted, namespace 2 already gone: nvme0 (lif_gone) carries 1 and 3, both live through nvme1. Its delete
    and its wait are one unit; the step carries the identity the act re-checks and each namespace's role."""
    out, refused = planned(judged(tmp_path, drop=LIF_GONE), delete_lif_gone=True)
    assert [(s.action, s.target, s.unit, s.phase) for s in out["steps"]] == [
        ("delete_controller", "nvme0", "controller nvme0", "delete"),
        ("wait_controller_gone", "nvme0", "controller nvme0", "delete")]
    ident, options = out["steps"][0].identity, out["steps"][0].options
    assert (ident.name, ident.transport, ident.address) == ("nvme0", "tcp", "traddr=127.0.0.5,trsvcid=4420")
    assert ident.subsysnqn.startswith("nqn.1992-08.com.netapp:sn.") and ident.hostnqn and ident.cntlid
    assert dict((n, r["role"]) for n, r in options["namespaces"].items()) == {"nvme0n1": "stays", "nvme0n3": "stays"}
    assert out["steps"][1].options["vanishing"] == ()
    assert out["delete_controllers"][0]["kind"] == "lif_gone" and refused == {}


def test_a_controller_to_an_address_the_truth_does_not_know_is_kept_unless_the_caller_says_no_peer_presents_it(
        tmp_path):
    """SnapMirror active sync: a peer cluster the truth did not read presents the same subsystem at its own LIFs; the
    address is then no LIF of the SVM read without being gone. Without delete_lif_gone nothing is deleted."""
    out, refused = planned(judged(tmp_path, drop=LIF_GONE))
    assert out["steps"] == [] and "SnapMirror active sync" in refused["nvme0"]


def test_a_controller_to_a_deleted_lif_is_kept_when_the_truth_maps_nothing_of_its_subsystem_to_this_host(tmp_path):
    """lif_gone, namespaces 1 and 3 live through nvme1, but the truth's answer has no record of the subsystem for this
    host (an empty answer reads the same as a subsystem with nothing left): the controller stays."""
    def no_records(truth):
        truth["namespaces"] = []
    out, refused = planned(judged(tmp_path, drop=LIF_GONE, change=no_records), delete_lif_gone=True)
    assert out["steps"] == [] and "maps no namespace of its subsystem" in refused["nvme0"]


def test_the_controller_a_mapped_namespace_still_needs_is_kept_even_to_a_deleted_lif(tmp_path):
    """nvme_stale as the lab left it (LIF a deleted): namespace 2, reached only through nvme0, is not covered; nvme0
    is its sole path, and stays."""
    out, refused = planned(judged(tmp_path), delete_lif_gone=True)
    assert out["steps"] == [] and "sole path of nvme0n2" in refused["nvme0"]


def test_a_down_controller_to_a_lif_the_svm_still_has_is_an_outage_while_it_carries_a_mapped_namespace(tmp_path):
    """LIF a only cut: namespace 2 is stale, but nvme0 also carries 1 and 3, still mapped: deleting it would take a
    path of theirs that comes back with the LIF."""
    out, refused = planned(judged(tmp_path, lifs=NVME_LAB_LIFS), delete_lif_gone=True)
    assert out["steps"] == []
    assert "outage" in refused["nvme0"] and "nvme0n1" in refused["nvme0"] and "nvme0n3" in refused["nvme0"]


def test_a_down_controller_that_now_carries_only_unmapped_namespaces_is_kept_while_its_subsystem_allows_this_host(
        tmp_path):
    """LIF a only cut; nvme0 carries only namespace 2 (unmapped), but the subsystem still maps 1 and 3 to this host:
    mapped while LIF a was down, nvme0 could not learn of them, and presents them again when it reconnects. Only the
    subsystem's hosts list dropping this host proves it has nothing left here."""
    san = judged(tmp_path, drop=("nvme0c0n1", "nvme0c0n3"), lifs=NVME_LAB_LIFS)
    out, refused = planned(san, delete_lif_gone=True)
    assert out["steps"] == [] and "outage" in refused["nvme0"]


@pytest.mark.parametrize("lifs", [None, NVME_LAB_LIFS], ids=["lifs-read", "both-lifs"])
def test_an_outage_deletes_no_controller_under_any_truth_of_its_lifs(tmp_path, lifs):
    """nvme_outage: both LIFs cut, everything mapped: no namespace is stale, every controller is its namespaces'
    path; nothing is deleted, whatever the array says of its LIFs or the caller of lif_gone."""
    out, refused = planned(judged(tmp_path, "nvme_outage", lifs=lifs), delete_lif_gone=True)
    assert out["steps"] == [] and sorted(refused) == ["nvme0", "nvme1"]


def test_an_outage_with_an_empty_answer_for_its_subsystem_deletes_nothing(tmp_path):
    """nvme_outage whose truth has no record of this host's subsystem (one of another subsystem): every namespace
    reads as unmapped, but the subsystem's hosts list still has this host: an outage, nothing deleted."""
    def empty_for_this_subsystem(truth):
        truth["namespaces"] = [dict(truth["namespaces"][0], subsystem_nqn="nqn.1992-08.com.netapp:sn.0:subsystem.x",
                                    uuid="0a0a0a0a-0000-4000-8000-000000000001", nsid=7)]
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=empty_for_this_subsystem)
    out, refused = planned(san, delete_lif_gone=True)
    assert out["steps"] == [] and sorted(refused) == ["nvme0", "nvme1"]


def test_the_controllers_of_a_subsystem_that_no_longer_allows_this_host_are_deleted_with_its_namespaces(tmp_path):
    """nvme_outage after this host was removed from the subsystem (another host still allowed): every namespace is
    unmapped for it and every controller down. The controllers a stale namespace is reached through are one unit
    (each its own unit before: one of them could go alone and leave the namespace with a path that queues); the
    namespaces are waited for with the last of them."""
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=host_removed)
    assert set(v["host_allowed"] for v in san["nvme_verdicts"]["controllers"]) == {False}
    out, refused = planned(san)
    assert [(s.action, s.target, s.unit) for s in out["steps"]] == [
        ("delete_controller", "nvme0", "controller nvme0+nvme1"), ("delete_controller", "nvme1", "controller nvme0+nvme1"),
        ("wait_controller_gone", "nvme0", "controller nvme0+nvme1"),
        ("wait_controller_gone", "nvme1", "controller nvme0+nvme1")]
    roles = out["steps"][0].options["namespaces"]
    assert dict((n, r["role"]) for n, r in roles.items()) == {"nvme0n1": "unmapped", "nvme0n2": "unmapped"}
    assert out["steps"][0].options["unit_controllers"] == ("nvme0", "nvme1")
    assert [s.options["vanishing"] for s in out["steps"][2:]] == [(), ("nvme0n1", "nvme0n2")]
    assert refused == {}


def test_a_stale_namespaces_controller_kept_keeps_every_other_one_it_goes_with(tmp_path):
    """nvme1 is refused on its own (the kernel is setting it up again: state `new`): deleting nvme0 alone would leave
    the stale namespaces a path through nvme1 that queues their I/O as before. Neither goes, and nvme0 says why."""
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=host_removed)
    [c for c in san["nvme"]["controllers"] if c["name"] == "nvme1"][0]["state"] = "new"
    out, refused = planned(san)
    assert out["steps"] == [] and sorted(refused) == ["nvme0", "nvme1"] and "its state is new" in refused["nvme1"]
    assert "goes together with nvme1, which stay" in refused["nvme0"] and "nvme0n1, nvme0n2" in refused["nvme0"]


@pytest.mark.parametrize("hosts", [None, "missing"], ids=["not-read", "no-subsystems"])
def test_a_subsystem_whose_hosts_were_not_read_proves_nothing(tmp_path, hosts):
    def unread(truth):
        host_removed(truth)
        if hosts is None:
            truth["targets"][0]["subsystems"][0]["host_nqns"] = None
        else:
            del truth["targets"][0]["subsystems"]
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=unread)
    assert set(v["host_allowed"] for v in san["nvme_verdicts"]["controllers"]) == {None}
    out, refused = planned(san)
    assert out["steps"] == [] and all("outage" in r for r in refused.values()) and sorted(refused) == ["nvme0", "nvme1"]


@pytest.mark.parametrize("use,why", [
    (dict(mountpoints=["/mnt/x"]), "mounted"),
    (dict(swap=True), "swap"),
    (dict(holders=["dm-7"]), "held by"),
    (dict(kernel_users=[{"kind": "loop", "name": "loop0"}]), "used by"),
    (dict(openers=[{"pid": 4242, "comm": "postgres", "fds": 1}]), "postgres"),
    (dict(openers_unknown="the /proc/*/fd scan did not finish"), "cannot be checked"),
])
def test_an_unmapped_namespace_in_use_keeps_the_controllers_it_would_go_with(tmp_path, use, why):
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=host_removed)
    [ns for ns in san["nvme"]["namespaces"] if ns["name"] == "nvme0n2"][0].update(use)
    out, refused = planned(san)
    assert out["steps"] == [] and sorted(refused) == ["nvme0", "nvme1"]
    assert all(why in r and "nvme0n2" in r for r in refused.values()), refused


def test_an_unmapped_namespace_open_through_its_generic_node_keeps_the_controllers_it_would_go_with(tmp_path):
    """The subsystem no longer allows this host and both controllers reconnect: nvme0n2 would go with them, but fio
    does I/O through /dev/ng0n2 (a char device: no mount, holder or block opener shows it). Both stay, named."""
    reader, lab = nvme_host(tmp_path, "nvme_outage")
    open_generic_node(reader.root, 7200, "fio", "nvme0n2")
    truth = nvme_array_truth(lab["nvme"], NVME_LAB_LIFS)
    host_removed(truth)
    out, refused = planned(nvme_judged(reader, truth, time.time()))
    assert out["steps"] == [] and sorted(refused) == ["nvme0", "nvme1"]
    assert all("nvme0n2" in r and "pid 7200 (fio)" in r for r in refused.values()), refused


def test_a_process_holding_a_controllers_char_node_is_a_user_of_its_namespaces_and_keeps_it(tmp_path):
    """nvme io-passthru /dev/nvme1 (NVME_IOCTL_IO_CMD, the controller's only namespace) or an agent's admin commands
    hold the controller's own char node: no mount, holder, block or generic-node opener shows it. It is an opener of
    every namespace behind that controller (the report names it), and the controller it holds is not deleted, nor
    are those that the unmapped namespace would go with."""
    reader, lab = nvme_host(tmp_path, "nvme_outage")
    open_controller_node(reader.root, 7300, "nvme", "nvme1")
    truth = nvme_array_truth(lab["nvme"], NVME_LAB_LIFS)
    host_removed(truth)
    san = nvme_judged(reader, truth, time.time())
    openers = dict((ns["name"], ns["openers"]) for ns in san["nvme"]["namespaces"])
    behind_nvme1 = sorted(n for n, ns in ((ns["name"], ns) for ns in san["nvme"]["namespaces"])
                          if any(p["controller"] == "nvme1" for p in ns["paths"]))
    assert behind_nvme1 and all(openers[n] == [{"pid": 7300, "comm": "nvme", "via": "nvme1"}]
                                for n in behind_nvme1), openers
    out, refused = planned(san)
    assert out["steps"] == [] and "nvme1" in refused and "/dev/nvme1" in refused["nvme1"], refused
    assert "pid 7300 (nvme)" in refused["nvme1"]


@pytest.mark.parametrize("breaks,why", [
    (lambda san: san["array"].update(nvme_problems=[{"kind": "http_403", "msg": "403 on nvme/subsystems"}]),
     "incomplete"),
    (lambda san: san["nvme"].update(unread=["/sys/class/nvme-subsystem"]), "did not list"),
    (lambda san: san["nvme_verdicts"]["namespaces"][0].update(kind="unexpected_visibility"), "older than the host"),
    (lambda san: san["array"].update(nvme_collected_at=san["collected_at"] - 86400), "read 86400s before"),
    (lambda san: san["array"].update(nvme_collected_at=float("nan")), "not a finite number"),
])
def test_an_nvme_truth_or_read_that_cannot_be_trusted_deletes_no_controller(tmp_path, breaks, why):
    """The deletable state of a subsystem that no longer allows this host, each time with one reason not to trust
    what it rests on."""
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=host_removed)
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
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=host_removed)
    [c for c in san["nvme"]["controllers"] if c["name"] == "nvme0"][0][field] = value
    out, refused = planned(san)
    assert why in refused["nvme0"] and "nvme0" not in [s.target for s in out["steps"]]


def test_a_controller_whose_namespaces_were_not_all_read_is_not_deleted(tmp_path):
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=host_removed)
    [v for v in san["nvme_verdicts"]["controllers"] if v["name"] == "nvme0"][0]["sole_path_of"] = None
    out, refused = planned(san)
    assert "not all read" in refused["nvme0"] and "nvme0" not in [s.target for s in out["steps"]]


def test_a_namespace_that_stays_must_answer_through_another_live_path_now(tmp_path):
    """lif_gone with sole_path_of [] (as judged), but namespace 1's other path no longer answers in the snapshot the
    plan reads (its ANA state changed): the plan refuses rather than trust the verdict alone."""
    san = judged(tmp_path, drop=LIF_GONE)
    ns1 = [ns for ns in san["nvme"]["namespaces"] if ns["name"] == "nvme0n1"][0]
    for p in ns1["paths"]:
        if p["controller"] == "nvme1":
            p["ana_state"] = "inaccessible"
    out, refused = planned(san, delete_lif_gone=True)
    assert out["steps"] == [] and "nvme0n1 answers through no other live path" in refused["nvme0"]


def test_the_host_plan_runs_the_nvme_units_after_the_scsi_ones_and_lists_the_controllers(tmp_path):
    """plan_cleanup: the NVMe units are part of the host's plan (one approval, one check mode, one act), in
    HOST_ORDER after every SCSI step, and listed in delete_controllers. Each family is gated on its own truth: a SCSI
    truth too old blocks the SCSI units only, an NVMe truth too old the NVMe ones only."""
    san = judged(tmp_path, drop=LIF_GONE)
    plan = cleanup.plan_cleanup(san, san.get("verdicts") or [], {"policy": "array", "delete_lif_gone": True})
    assert [s.action for s in plan["steps"]][-2:] == ["delete_controller", "wait_controller_gone"]
    assert [c["name"] for c in plan["delete_controllers"]] == ["nvme0"]
    old_scsi = copy.deepcopy(san)
    old_scsi["array"]["collected_at"] = san["collected_at"] - 10 * cleanup.TRUTH_MAX_AGE
    plan = cleanup.plan_cleanup(old_scsi, old_scsi.get("verdicts") or [], {"policy": "array", "delete_lif_gone": True})
    assert [s.action for s in plan["steps"]] == ["delete_controller", "wait_controller_gone"]
    assert plan["blocked"][0]["why"] == "truth_too_old" and [c["name"] for c in plan["delete_controllers"]] == ["nvme0"]
    san["array"]["nvme_collected_at"] = san["collected_at"] - 10 * cleanup.TRUTH_MAX_AGE
    plan = cleanup.plan_cleanup(san, san.get("verdicts") or [], {"policy": "array", "delete_lif_gone": True})
    assert plan["steps"] == [] and plan["delete_controllers"] == [] and plan["blocked"] == []
    assert "read %.0fs before" % (10 * cleanup.TRUTH_MAX_AGE) in next(
        s["reason"] for s in plan["skipped"] if s["name"] == "nvme0")


def _two_reads_of_one_svm(truth):
    """Two reads of one cluster's SVM in one truth (two sanfleet_ontap entries for one cluster): the newer allows this
    host again and maps it a new namespace (NSID 9, not seen by the host yet); the older, listed last, does not."""
    this = truth["host_nqns"][0]
    host_removed(truth)
    older = copy.deepcopy(truth["targets"][0])
    truth["targets"][0]["subsystems"][0]["host_nqns"] = [OTHER_HOST, this]
    truth["namespaces"].append(dict(truth["namespaces"][0], nsid=9, uuid="09090909-0000-4000-8000-000000000009",
                                    name="ns9", host_nqns=[OTHER_HOST, this]))
    truth["targets"].append(older)


def _one_svm_listing_the_subsystem_three_times(truth):
    this = truth["host_nqns"][0]
    host_removed(truth)
    sub = truth["targets"][0]["subsystems"][0]
    truth["targets"][0]["subsystems"] = [dict(sub, host_nqns=[OTHER_HOST, this]), dict(sub, host_nqns=None),
                                         dict(sub, host_nqns=[OTHER_HOST])]
    truth["namespaces"].append(dict(truth["namespaces"][0], nsid=9, uuid="09090909-0000-4000-8000-000000000009",
                                    name="ns9", host_nqns=[OTHER_HOST, this]))


@pytest.mark.parametrize("change", [_two_reads_of_one_svm, _one_svm_listing_the_subsystem_three_times],
                         ids=["two-reads-of-one-svm", "subsystem-listed-three-times"])
def test_a_hosts_list_the_truth_contradicts_deletes_no_controller(tmp_path, change):
    """The truth maps a namespace of the subsystem to this host and one listing of its hosts no longer has it: no
    proof that the subsystem has nothing left here. Listings of one subsystem are merged (any allows, any not read
    is unknown), and a down controller needs both proofs."""
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=change)
    assert all(c["mapped_to_host"] == 1 and c["host_allowed"] is not False for c in san["nvme_verdicts"]["controllers"])
    out, refused = planned(san)
    assert out["steps"] == [] and sorted(refused) == ["nvme0", "nvme1"]
    [c for c in san["nvme_verdicts"]["controllers"] if c["name"] == "nvme0"][0]["host_allowed"] = False
    out, refused = planned(san)
    # with a listing of its hosts not read, the subsystem's namespaces are not judged (whose mapping is not known):
    # nvme0 is their sole path before the truth is found to contradict itself
    why = "contradicts itself" if change is _two_reads_of_one_svm else "whose mapping is not known"
    assert out["steps"] == [] and why in refused["nvme0"], refused["nvme0"]


@pytest.mark.parametrize("own_time", [None, "fresh"], ids=["no-nvme-collected_at", "fresh-over-old-reads"])
def test_an_nvme_truth_as_old_as_its_oldest_read_deletes_no_controller(tmp_path, own_time):
    """Targets, records and cluster reads two days old under a fresh top-level time: the NVMe truth is as old as
    its oldest read, with or without a collected_at of its own."""
    old = time.time() - 2 * 86400

    def aged(truth):
        host_removed(truth)
        for part in ("targets", "namespaces", "clusters"):
            for item in truth[part]:
                item["collected_at"] = old
        if own_time == "fresh":
            truth["collected_at"] = time.time()
    out, refused = planned(judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=aged))
    assert out["steps"] == [] and "before the host snapshot" in refused["nvme0"]


def test_an_nvme_truth_without_any_time_deletes_no_controller(tmp_path):
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=host_removed)
    san["array"]["nvme_collected_at"] = None
    out, refused = planned(san)
    assert out["steps"] == [] and "no collected_at" in refused["nvme0"]


def test_the_namespaces_of_several_deleted_controllers_are_waited_for_by_the_last_of_them(tmp_path):
    """nvme_outage, host removed: both controllers go; the namespaces they both reach go with the last of them, whose
    wait names the others (a refusal of one at act time leaves the namespaces reached through it)."""
    out, _refused = planned(judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=host_removed))
    waits = dict((s.target, plan_steps.wire(s.options)) for s in out["steps"] if s.action == "wait_controller_gone")
    assert waits["nvme0"]["vanishing"] == [] and waits["nvme1"]["vanishing"] == ["nvme0n1", "nvme0n2"]
    assert waits["nvme1"]["vanishing_via"] == {"nvme0n1": ["nvme0"], "nvme0n2": ["nvme0"]}
    assert sorted(n for c in out["delete_controllers"] for n in c["vanishing"]) == ["nvme0n1", "nvme0n2"]


def _second_listing_without_hosts(subsystems, last):
    def change(truth):
        host_removed(truth)
        other = copy.deepcopy(truth["targets"][0])
        if subsystems is None:
            other.pop("subsystems")
        else:
            other["subsystems"] = subsystems
        truth["targets"].insert(len(truth["targets"]) if last else 0, other)
    return change


@pytest.mark.parametrize("subsystems", [None, []], ids=["no-subsystems-key", "empty-subsystems"])
@pytest.mark.parametrize("last", [True, False], ids=["listed-after", "listed-before"])
def test_a_listing_of_the_subsystem_without_its_hosts_leaves_it_unknown_and_deletes_nothing(
        tmp_path, subsystems, last):
    """Two listings of one SVM: one with a hosts list without this host, one serving the subsystem without any
    hosts list. What the subsystem allows is then unknown, in either order."""
    san = judged(tmp_path, "nvme_outage", lifs=NVME_LAB_LIFS, change=_second_listing_without_hosts(subsystems, last))
    assert [c["host_allowed"] for c in san["nvme_verdicts"]["controllers"]] == [None, None]
    assert planned(san)[0]["steps"] == []


def test_a_scsi_part_that_cannot_be_used_leaves_the_nvme_controllers_planned_on_the_nvme_truth(tmp_path):
    """A SCSI part that is not the contract (judge.facts.family_parts) blocks the SCSI units only: the controller to
    the deleted LIF is planned on the NVMe part alone, and the SCSI devices are named as not judged."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    reader, lab = nvme_host(tmp_path, "nvme_stale", LIF_GONE)
    now = time.time()
    nvme = dict(nvme_array_truth(lab["nvme"]), collected_at=now)
    truth = facts.truth_of({"luns": [{"wwid": 7}], "targets": [], "problems": [], "initiators": ["*"],
                            "collected_at": now, "nvme": nvme})
    san = facts.collect(reader, truth, probe=False)
    plan = cleanup.plan_cleanup(san, san["verdicts"], {"policy": "array", "delete_lif_gone": True})
    assert [(s.action, s.target) for s in plan["steps"]] == [("delete_controller", "nvme0"),
                                                             ("wait_controller_gone", "nvme0")]
    assert "array_lookup_problem" in [b["why"] for b in plan["blocked"]]
    # the ONTAP LUNs are not judged, each saying why; the lab's LIO LUN is another array's, as ever
    kinds = dict((v["name"], v["kind"]) for v in san["verdicts"])
    assert sorted(kinds.values()) == ["not_covered"] * 3 + ["unknown_array"]
    assert all("SCSI part of the array truth" in v["reason"] for v in san["verdicts"] if v["kind"] == "not_covered")


def test_an_nvme_part_that_cannot_be_used_plans_no_controller_and_says_why(tmp_path):
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    reader, lab = nvme_host(tmp_path, "nvme_stale", LIF_GONE)
    now = time.time()
    nvme = dict(nvme_array_truth(lab["nvme"]), collected_at=now)
    nvme["namespaces"][0]["nsid"] = "00000001"
    truth = facts.truth_of({"luns": [], "targets": [], "problems": [], "initiators": ["*"], "collected_at": now,
                            "nvme": nvme})
    san = facts.collect(reader, truth, probe=False)
    plan = cleanup.plan_cleanup(san, san["verdicts"], {"policy": "array", "delete_lif_gone": True})
    assert plan["steps"] == [] and plan["delete_controllers"] == []
    assert "'00000001'" in next(s["reason"] for s in plan["skipped"] if s["name"] == "nvme0")
    assert set(v["kind"] for v in san["nvme_verdicts"]["namespaces"]) == {"not_covered"}


# ---------------------------------------------------------------------------------------------- the rules, one by one
def test_a_namespace_answers_elsewhere_only_through_a_live_usable_path_of_another_controller():
    """Fails when a namespace counts as answering elsewhere through a controller being deleted, one not live, or a
    path whose ANA state carries no I/O."""
    def ns(*paths):
        return {"paths": [dict(zip(("controller", "controller_state", "ana_state"), p)) for p in paths]}
    assert plan_nvme.answers_elsewhere(ns(("nvme0", "connecting", None), ("nvme1", "live", "optimized")), ["nvme0"])
    assert plan_nvme.answers_elsewhere(ns(("nvme1", "live", "non-optimized")), ["nvme0"])
    assert not plan_nvme.answers_elsewhere(ns(("nvme1", "live", "optimized")), ["nvme0", "nvme1"])
    assert not plan_nvme.answers_elsewhere(ns(("nvme1", "resetting", "optimized")), ["nvme0"])
    assert not plan_nvme.answers_elsewhere(ns(("nvme1", "live", "inaccessible")), ["nvme0"])
    assert not plan_nvme.answers_elsewhere({}, ["nvme0"])
    behind = [ns(("nvme0", "live", "optimized")), ns(("nvme1", "live", "optimized")), {}]
    assert plan_nvme.behind(behind, "nvme1") == [behind[1]]


def test_who_holds_a_controllers_char_node_is_said_exactly():
    """Fails when a workload holding a controller's char node, or openers that could not be read, are not said
    exactly (each pid once, sorted), or a harmless opener (multipathd, udev) keeps the controller."""
    assert plan_nvme.node_holders({"name": "nvme0", "openers_unknown": "the fd scan timed out"}) == (
        "who holds its char node /dev/nvme0 cannot be known (the fd scan timed out)")
    held = {"name": "nvme0", "openers": [{"pid": 7, "comm": "nvme"}, {"pid": 7, "comm": "nvme"},
                                         {"pid": 3, "comm": "fio"}, {"pid": 5, "comm": "multipathd"}]}
    assert plan_nvme.node_holders(held) == (
        "pid 3 (fio), 7 (nvme) hold(s) its char node /dev/nvme0 open (admin commands or I/O passthrough end with it)")
    assert plan_nvme.node_holders({"name": "nvme0", "openers": [{"pid": 5, "comm": "multipathd"}]}) is None
    assert plan_nvme.node_holders({"name": "nvme0"}) is None


def test_controllers_that_share_an_unmapped_namespace_go_together():
    """Fails when two controllers an unmapped namespace is reached through are not one group (transitively), a
    controller not planned joins one, or the groups are not in name order."""
    names = ["nvme0", "nvme1", "nvme2", "nvme3"]
    reached = {"ns1": ["nvme0", "nvme2"], "ns2": ["nvme2", "nvme3"], "ns3": ["nvme1", "nvme9"]}
    assert plan_nvme._together(names, reached) == [["nvme0", "nvme2", "nvme3"], ["nvme1"]]
    assert plan_nvme._together(names, {}) == [["nvme0"], ["nvme1"], ["nvme2"], ["nvme3"]]


def test_an_nvme_truth_that_cannot_be_trusted_says_exactly_why():
    """Fails when the reason no controller is deleted (a truth with problems, a read that missed something, a
    namespace presented but mapped to no host NQN, a truth too old or of unknown age) is not said exactly, or a truth
    exactly as old as the bound blocks."""
    fresh = {"array": {"nvme_collected_at": 100.0}, "collected_at": 1000.0}
    blockers = plan_nvme._blockers
    assert blockers(fresh, {}, {}, {}) is None
    assert blockers(dict(fresh, collected_at=1001.0), {}, {}, {}) == (
        "the NVMe truth was read 901s before the host snapshot (bound 900s)")
    assert blockers(fresh, {}, {}, {"truth_max_age": 899.5}) == (
        "the NVMe truth was read 900s before the host snapshot (bound 899.5s)")
    assert blockers({"array": {}, "collected_at": 1000.0}, {}, {}, {}) == (
        "the NVMe truth's age: the array truth carries no collected_at; its age cannot be checked")
    problems = {"array": dict(fresh["array"], nvme_problems=[{"msg": "subsystem hosts not read"}, {"kind": "auth"}])}
    assert blockers(dict(fresh, **problems), {}, {}, {}) == (
        "the NVMe truth is incomplete: subsystem hosts not read; auth")
    assert blockers(fresh, {"unread": ["controllers", "namespaces"]}, {}, {}) == (
        "the NVMe read did not list controllers, namespaces")
    verdicts = {"namespaces": [{"name": "nvme0n2", "kind": "unexpected_visibility"}, {"name": "nvme0n1", "kind": "x"},
                               {"name": "nvme1n\n3", "kind": "unexpected_visibility"}]}
    assert blockers(fresh, {}, verdicts, {}) == (
        "namespace(s) nvme0n2, 'nvme1n\\n3' are presented by live controllers but mapped to no host NQN of this host "
        "in the NVMe truth: it may be older than the host or incomplete")


# ------------------------------------------------------------------ made-up snapshots: each refusal, said exactly
# (the reasons are what RV(left_alone) and RV(refused) of stale_cleanup show the operator; `kind` selects RV(refused))
SUBNQN = "nqn.1992-08.com.netapp:sn.1:subsystem.s"
HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:0a0a0a0a-0000-4000-8000-00000000000a"


def _ctrl(name, **kw):
    c = {"name": name, "transport": "tcp", "subsysnqn": SUBNQN, "hostnqn": HOSTNQN, "state": "connecting",
         "address": {"traddr": "127.0.0.5", "trsvcid": "4420"}, "cntlid": "1", "unread": [], "openers": []}
    c.update(kw)
    return c


def _path(ctrl, state="connecting", ana="optimized"):
    return {"controller": ctrl, "controller_state": state, "ana_state": ana}


def _ns(name, *paths, **kw):
    ns = {"name": name, "fabrics": True, "uuid": "uuid-" + name, "nsid": int(name.rpartition("n")[2]),
          "paths": list(paths), "holders": [], "mountpoints": [], "openers": [], "swap": False, "unread": []}
    ns.update(kw)
    return ns


def _verdict(name, kind="controller_down", **kw):
    v = {"name": name, "kind": kind, "reason": "why %s" % name, "sole_path_of": [], "host_allowed": False,
         "mapped_to_host": 0}
    v.update(kw)
    return v


def made_up(controllers, namespaces, verdicts, unmapped=(), **array):
    """A judged snapshot (the parts plan_nvme reads) of these controllers, namespaces and controller verdicts;
    `unmapped`: the namespaces judged stale_unmapped (the others judged healthy)."""
    return {"collected_at": 1000.0, "array": dict({"nvme_collected_at": 1000.0, "nvme_problems": []}, **array),
            "nvme": {"controllers": controllers, "namespaces": namespaces, "unread": []},
            "nvme_verdicts": {"controllers": verdicts, "namespaces": [
                {"name": ns["name"], "kind": "stale_unmapped" if ns["name"] in unmapped else "healthy"}
                for ns in namespaces]}}


def refusal(name, why, verdict_reason=None):
    return {"kind": "refused", "object": "controller", "name": name,
            "reason": "controller %s (%s) is not deleted: %s" % (name, verdict_reason or "why %s" % name, why)}


STAYING = _ns("nvme0n1", _path("nvme0"), _path("nvme1", "live"))      # answers through nvme1
STALE = _ns("nvme0n2", _path("nvme0"))                                 # unmapped, reached through nvme0 only


@pytest.mark.parametrize("ctrl,ns,verdict,policy,why", [
    (_ctrl("nvme0\n"), [], _verdict("nvme0\n"), {}, "a name no step may carry"),
    (_ctrl("nvme0"), [dict(STALE, name="nvme0n2 ")], _verdict("nvme0"), {},
     "a name no step may carry"),
    (_ctrl("nvme0", unread=["address"]), [STALE], _verdict("nvme0"), {},
     "its identity (transport, subsystem NQN, address) was not fully read"),
    (_ctrl("nvme0", transport="pcie"), [STALE], _verdict("nvme0"), {},
     "its identity (transport, subsystem NQN, address) was not fully read"),
    (_ctrl("nvme0", subsysnqn=None), [STALE], _verdict("nvme0"), {},
     "its identity (transport, subsystem NQN, address) was not fully read"),
    (_ctrl("nvme0", state="new"), [STALE], _verdict("nvme0"), {},
     "its state is new, not one of connecting, resetting, dead"),
    (_ctrl("nvme0"), [STALE], _verdict("nvme0", sole_path_of=None), {},
     "the namespaces behind it were not all read: one not seen may hang on it"),
    (_ctrl("nvme0"), [STALE], _verdict("nvme0", sole_path_of=["nvme0n2", "nvme0n\t3"]), {},
     "the sole path of nvme0n2, 'nvme0n\\t3', which the array still maps or whose mapping is not known: deleting it "
     "would take them away"),
    (_ctrl("nvme0"), [STALE], _verdict("nvme0", mapped_to_host=1), {},
     "its subsystem's hosts list no longer has %s, but the same truth maps 1 namespace(s) of it to that NQN: it "
     "contradicts itself" % HOSTNQN),
    (_ctrl("nvme0"), [STALE, STAYING], _verdict("nvme0"), {},
     "its subsystem no longer allows %s, yet it carries nvme0n1 (not shown unmapped)" % HOSTNQN),
    (_ctrl("nvme0"), [], _verdict("nvme0"), {},
     "its subsystem no longer allows %s, yet it carries no namespace: nothing of it is stale" % HOSTNQN),
    (_ctrl("nvme0"), [STALE], _verdict("nvme0", host_allowed=None), {},
     "down, an outage while the SVM still has its address and its subsystem allows %s (or its hosts were not read): "
     "its paths come back with the LIF" % HOSTNQN),
    (_ctrl("nvme0"), [STALE, STAYING], _verdict("nvme0", host_allowed=True), {},
     "down, an outage while the SVM still has its address and its subsystem allows %s (or its hosts were not read): "
     "its paths come back with the LIF (it also carries nvme0n1, which the array still maps or which is not judged)"
     % HOSTNQN),
    (_ctrl("nvme0"), [STAYING], _verdict("nvme0", "lif_gone", host_allowed=True, mapped_to_host=1,
                                         array={"svm": "svm1"}), {},
     "the truth shows its address is no LIF of svm1, not that no other cluster presents %s there (a SnapMirror active "
     "sync peer that was not read): set delete_lif_gone when every cluster presenting it is in the truth" % SUBNQN),
    (_ctrl("nvme0"), [STAYING], _verdict("nvme0", "lif_gone", host_allowed=True), {"delete_lif_gone": True},
     "the truth maps no namespace of its subsystem to %s: an empty answer cannot be told from a subsystem with "
     "nothing left for this host" % HOSTNQN),
], ids=["controller-name", "namespace-name", "unread", "not-fabrics", "no-subsysnqn", "state", "sole-path-unknown",
        "sole-path", "contradiction", "carries-mapped", "carries-nothing", "outage", "outage-carrying-mapped",
        "lif-gone-not-allowed", "lif-gone-nothing-mapped"])
def test_each_refusal_of_a_down_controller_says_exactly_why(ctrl, ns, verdict, policy, why):
    """Fails when a controller that may not be deleted is planned, or its refusal (kind, object, name, reason: what
    RV(left_alone) and RV(refused) show) is not exactly the one of the first rule it breaks."""
    out = plan_nvme.plan_nvme(made_up([ctrl, _ctrl("nvme1", state="live")], ns, [verdict], unmapped=["nvme0n2"]),
                              policy)
    assert out == {"steps": [], "delete_controllers": [], "skipped": [refusal(shown(ctrl["name"]), why, verdict["reason"])]}


def test_a_lif_gone_controller_with_a_namespace_of_its_subsystem_mapped_here_is_deleted_with_exact_steps():
    """Fails when the steps of a deleted controller (their identity, reason, options the act re-checks) or its entry
    in delete_controllers (RV(delete_controllers)) are not exactly the plan's: the namespaces' UUID, NSID and role,
    the unit's controllers, what vanishes with it. Called without a policy: delete_lif_gone is off."""
    snap = made_up([_ctrl("nvme0"), _ctrl("nvme1", state="live")], [STAYING],
                   [_verdict("nvme0", "lif_gone", host_allowed=True, mapped_to_host=1), _verdict("nvme1", "healthy")])
    assert plan_nvme.plan_nvme(snap)["steps"] == [] and plan_nvme.plan_nvme(snap, None)["skipped"][0]["name"] == "nvme0"
    out = plan_nvme.plan_nvme(snap, {"delete_lif_gone": 1})
    ident = {"name": "nvme0", "subsysnqn": SUBNQN, "transport": "tcp", "address": "traddr=127.0.0.5,trsvcid=4420",
             "hostnqn": HOSTNQN, "cntlid": "1"}
    namespaces = {"nvme0n1": {"uuid": "uuid-nvme0n1", "nsid": 1, "role": "stays"}}
    assert [plan_steps.wire(s) for s in out["steps"]] == [plan_steps.wire(s) for s in [
        plan_steps.step("delete_controller", "nvme0", ident, "lif_gone (why nvme0)",
                        {"namespaces": namespaces, "unit_controllers": ["nvme0"]}).tagged("delete", "controller nvme0"),
        plan_steps.step("wait_controller_gone", "nvme0", ident, "lif_gone (why nvme0)",
                        {"vanishing": [], "vanishing_via": {}}).tagged("delete", "controller nvme0")]]
    assert out["delete_controllers"] == [dict(ident, kind="lif_gone", namespaces=namespaces, vanishing=[],
                                              unit="controller nvme0")]
    assert out["skipped"] == []


def test_a_plan_without_the_nvme_read_or_its_verdicts_plans_nothing():
    """Fails when a snapshot without its NVMe part or without its NVMe verdicts is planned on (or its empty plan
    lacks a part the callers read)."""
    snap = made_up([_ctrl("nvme0")], [STALE], [_verdict("nvme0")], unmapped=["nvme0n2"])
    for part in ("nvme", "nvme_verdicts"):
        empty = {"steps": [], "skipped": [], "delete_controllers": []}
        assert plan_nvme.plan_nvme(dict(snap, **{part: None}), {}) == empty


def test_a_truth_that_cannot_be_trusted_refuses_each_down_controller_only_exactly():
    """Fails when a blocked NVMe truth refuses a healthy controller too, or a down one not exactly."""
    snap = made_up([_ctrl("nvme0"), _ctrl("nvme1", state="live")], [STALE],
                   [_verdict("nvme0"), _verdict("nvme1", "healthy")], unmapped=["nvme0n2"], nvme_collected_at=None)
    assert plan_nvme.plan_nvme(snap) == {"steps": [], "delete_controllers": [], "skipped": [
        {"kind": "refused", "object": "controller", "name": "nvme0", "reason": "controller nvme0 is not deleted: the "
         "NVMe truth's age: the array truth carries no collected_at; its age cannot be checked"}]}


def test_each_refusal_of_a_controller_at_its_namespaces_says_exactly_why_and_all_of_them():
    """Fails when the refusals of a controller that passed its verdict's rules (a workload on its char node, an
    unmapped namespace in use, a namespace that stays with no other live path) are not all said, exactly, in order."""
    lonely = _ns("nvme0n1", _path("nvme0"), _path("nvme1", "live", "inaccessible"))
    used = _ns("nvme0n2", _path("nvme0"), mountpoints=["/mnt/x"])
    ctrl = _ctrl("nvme0", openers=[{"pid": 9, "comm": "fio"}])
    out = plan_nvme.plan_nvme(made_up([ctrl], [lonely, used], [_verdict("nvme0", mapped_to_host=0)],
                                      unmapped=["nvme0n2"]))
    # nvme0n1 is judged healthy (mapped) and is on the list of what the verdict says it carries: refused first there
    assert out["skipped"][0]["reason"].endswith("(not shown unmapped)")
    out = plan_nvme.plan_nvme(made_up([ctrl], [lonely, used], [_verdict("nvme0", "lif_gone", mapped_to_host=1)],
                                      unmapped=["nvme0n2"]), {"delete_lif_gone": True})
    assert out == {"steps": [], "delete_controllers": [], "skipped": [{
        "kind": "refused", "object": "controller", "name": "nvme0", "reason":
        "controller nvme0 is not deleted: pid 9 (fio) hold(s) its char node /dev/nvme0 open (admin commands or I/O "
        "passthrough end with it); namespace nvme0n1 answers through no other live path; namespace nvme0n2: is "
        "mounted on /mnt/x; unmount it first"}]}


def test_a_controller_kept_says_exactly_which_it_goes_with_and_which_namespaces_would_keep_a_path():
    """Fails when the controllers an unmapped namespace is also reached through are not named exactly when one of
    them stays, with the namespaces that would keep a path through it."""
    stale = [_ns("nvme0n2", _path("nvme0"), _path("nvme1")), _ns("nvme0n3", _path("nvme0"), _path("nvme2")),
             _ns("nvme0n4", _path("nvme0"))]
    snap = made_up([_ctrl("nvme0"), _ctrl("nvme1", state="new"), _ctrl("nvme2", state="new")], stale,
                   [_verdict("nvme0"), _verdict("nvme1"), _verdict("nvme2")], unmapped=["nvme0n2", "nvme0n3", "nvme0n4"])
    out = plan_nvme.plan_nvme(snap)
    assert out["steps"] == [] and out["skipped"][-1] == {
        "kind": "refused", "object": "controller", "name": "nvme0",
        "reason": "controller nvme0 is not deleted: it goes together with nvme1, nvme2, which stay (see their own "
                  "refusal), or not at all: nvme0n2, nvme0n3 would keep a path through them"}


def test_each_unmapped_namespace_is_waited_for_with_the_last_controller_of_its_own_unit():
    """Three controllers reach nvme0n2 (one unit), nvme3 alone reaches nvme3n1 (a unit of its own): fails when a
    namespace is waited for with another controller than the last of its unit, by another unit, or its wait does not
    name exactly the other controllers it goes through."""
    stale = [_ns("nvme0n2", _path("nvme0"), _path("nvme1"), _path("nvme2")), _ns("nvme3n1", _path("nvme3"))]
    names = ["nvme0", "nvme1", "nvme2", "nvme3"]
    out = plan_nvme.plan_nvme(made_up([_ctrl(n) for n in names], stale, [_verdict(n) for n in names],
                                      unmapped=["nvme0n2", "nvme3n1"]))
    waits = [(s.target, s.unit, plan_steps.wire(s.options)) for s in out["steps"] if s.action == "wait_controller_gone"]
    assert waits == [
        ("nvme0", "controller nvme0+nvme1+nvme2", {"vanishing": [], "vanishing_via": {}}),
        ("nvme1", "controller nvme0+nvme1+nvme2", {"vanishing": [], "vanishing_via": {}}),
        ("nvme2", "controller nvme0+nvme1+nvme2", {"vanishing": ["nvme0n2"], "vanishing_via": {"nvme0n2": ["nvme0", "nvme1"]}}),
        ("nvme3", "controller nvme3", {"vanishing": ["nvme3n1"], "vanishing_via": {"nvme3n1": []}})]
    assert [(c["name"], c["unit"], c["vanishing"]) for c in out["delete_controllers"]] == [
        ("nvme0", "controller nvme0+nvme1+nvme2", []), ("nvme1", "controller nvme0+nvme1+nvme2", []),
        ("nvme2", "controller nvme0+nvme1+nvme2", ["nvme0n2"]), ("nvme3", "controller nvme3", ["nvme3n1"])]
    assert out["skipped"] == []
