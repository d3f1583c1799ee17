# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/nvme_verdicts.py`: the NVMe namespaces and controllers of states
captured on a real kernel (tests/lab/capture.py nvme_*), judged against the NVMe truth the lab's array had."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_verdicts as nv
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import nvme_array_truth
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import load_captured


def captured(scenario):
    """(the host's snapshot, the lab's NVMe truth as the array tells it: the docs/ontap.md contract)."""
    reader, truth = load_captured(scenario)
    return reader.snapshot(probe=False), nvme_array_truth(truth["nvme"])


def judged(san, truth):
    out = nv.cross_check(san["nvme"], truth, san["host"]["nvme_hostnqn"])
    return (dict((v["name"], v) for v in out["namespaces"]), dict((v["name"], v) for v in out["controllers"]))


def kinds(verdicts):
    return dict((name, v["kind"]) for name, v in verdicts.items())


def test_the_namespace_unmapped_behind_a_dead_controller_is_stale_and_its_controller_is_to_a_lif_gone():
    """nvme_stale (lab finding 16): namespace 2 unmapped, its one path through the controller that reconnects to
    the deleted LIF. It alone is stale; the two mapped ones keep a live path and are an outage of one path; the
    controller is to a LIF gone, and no mapped namespace depends on it alone."""
    san, truth = captured("nvme_stale")
    namespaces, controllers = judged(san, truth)
    assert kinds(namespaces) == {"nvme0n1": "paths_down_but_mapped", "nvme0n2": "stale_unmapped",
                                 "nvme0n3": "paths_down_but_mapped"}
    dead = namespaces["nvme0n2"]["evidence"]["paths"][0]["controller"]
    assert controllers[dead]["kind"] == "lif_gone" and controllers[dead]["traddr"] == "127.0.0.5"
    assert controllers[dead]["sole_path_of"] == []
    assert sorted(controllers[dead]["namespaces"]) == ["nvme0n1", "nvme0n2", "nvme0n3"]
    assert [c["kind"] for n, c in controllers.items() if n != dead] == ["healthy"]


def test_an_outage_is_never_stale_and_its_controllers_are_down_not_gone():
    """nvme_outage: both LIFs cut, everything still mapped. Every namespace is mapped with no path answering; the
    controllers reconnect to addresses the SVM still has, and each is the sole path of nothing (no path answers
    at all, so each mapped namespace depends on both)."""
    san, truth = captured("nvme_outage")
    namespaces, controllers = judged(san, truth)
    assert set(kinds(namespaces).values()) == {"paths_down_but_mapped"}
    assert set(kinds(controllers).values()) == {"controller_down"}
    for c in controllers.values():
        assert sorted(c["sole_path_of"]) == ["nvme0n1", "nvme0n2"], c


def test_a_live_healthy_host_is_healthy():
    san, truth = captured("nvme_healthy")
    namespaces, controllers = judged(san, truth)
    assert set(kinds(namespaces).values()) == {"healthy"} and set(kinds(controllers).values()) == {"healthy"}


def test_a_mapped_namespace_whose_only_answering_path_is_a_dead_controllers_is_named_as_depending_on_it():
    """The controller that must not be deleted: a mapped namespace with no live path but through it."""
    san, truth = captured("nvme_stale")
    nvme = copy.deepcopy(san["nvme"])
    ns1 = next(n for n in nvme["namespaces"] if n["name"] == "nvme0n1")
    for p in ns1["paths"]:
        if p["controller_state"] == "live":
            p["ana_state"] = "inaccessible"
    _, controllers = judged(dict(san, nvme=nvme), truth)
    dead = next(c for c in controllers.values() if c["kind"] == "lif_gone")
    assert dead["sole_path_of"] == ["nvme0n1"]


def test_the_same_nsid_with_another_uuid_is_another_namespace_not_the_host_ones():
    """A reused NSID: the array maps NSID 2 again, to a new namespace. The host's old nvme0n2 is not stale and not
    healthy: it is a corruption risk."""
    san, truth = captured("nvme_stale")
    truth["namespaces"].append(dict(truth["namespaces"][0], nsid=2, uuid="0f0e0d0c-0b0a-4908-8706-050403020100",
                                    name="/vol/sanlab_nvme/new"))
    namespaces, _ = judged(san, truth)
    assert namespaces["nvme0n2"]["kind"] == "uuid_mismatch" and "CORRUPTION RISK" in namespaces["nvme0n2"]["reason"]


@pytest.mark.parametrize("change, kind", [
    (lambda t: t.update(problems=[{"kind": "lookup_failed", "msg": "ONTAP c2: HTTP 503"}]), "unknown_array"),
    (lambda t: t["targets"][0].update(subsystem_nqns=[]), "not_covered"),
    (lambda t: t["targets"].append(dict(t["targets"][0], svm="svm_dr")), "not_covered"),
    (lambda t: t.update(host_nqns=["nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000000"]),
     "not_covered"),
])
def test_what_the_truth_does_not_provably_cover_is_never_stale(change, kind):
    """Partial truth: a problem anywhere in the NVMe read, a subsystem no SVM read serves, one two SVMs claim (DR,
    a clone), a truth read for another host NQN. Namespace 2's absence proves nothing then, and the dead controller
    is its sole path: deleting it would take away a namespace not shown unmapped. (Its LIF is gone all the same
    when the SVM's LIFs were read: they do not depend on the host NQN.)"""
    san, truth = captured("nvme_stale")
    change(truth)
    namespaces, controllers = judged(san, truth)
    assert set(kinds(namespaces).values()) == {kind}
    dead = [c for c in controllers.values() if c["state"] != "live"]
    assert len(dead) == 1 and dead[0]["sole_path_of"] == ["nvme0n2"], dead


def test_a_truth_read_for_every_host_covers_this_one():
    san, truth = captured("nvme_stale")
    truth["host_nqns"] = ["*"]
    assert kinds(judged(san, truth)[0])["nvme0n2"] == "stale_unmapped"


def test_a_live_controller_presenting_a_namespace_the_array_does_not_map_is_not_stale():
    """The kernel drops an unmapped namespace from a live controller (lab finding 15): one still presented by a live
    controller means the truth is older than the host, or maps it another way."""
    san, truth = captured("nvme_healthy")
    truth["namespaces"] = [n for n in truth["namespaces"] if n["nsid"] != 2]
    assert kinds(judged(san, truth)[0])["nvme0n2"] == "unexpected_visibility"


def test_a_path_whose_controller_state_was_not_read_is_unread_not_dead():
    san, truth = captured("nvme_stale")
    nvme = copy.deepcopy(san["nvme"])
    ns2 = next(n for n in nvme["namespaces"] if n["name"] == "nvme0n2")
    ns2["paths"][0]["controller_state"] = None
    assert kinds(judged(dict(san, nvme=nvme), truth)[0])["nvme0n2"] == "unread"


def test_nvme_devices_not_read_give_no_verdict():
    assert nv.cross_check(None, {"namespaces": []}, None) is None


@pytest.mark.parametrize("truth", [
    [], {"namespaces": {}}, {"namespaces": ["x"]}, {"targets": [{"subsystem_nqns": "nqn.x"}]},
    {"namespaces": [{"subsystem_nqn": "nqn.x", "nsid": float("nan")}]},
    {"namespaces": [{"subsystem_nqn": "nqn.x", "nsid": True}]},
    {"namespaces": [{"subsystem_nqn": "nqn.x", "nsid": "1; rm"}]},
    {"namespaces": [{"subsystem_nqn": "", "nsid": 1}]},
    {"host_nqns": "nqn.x"},
])
def test_a_truth_that_is_not_the_contract_is_refused_with_its_field(truth):
    with pytest.raises(nv.NvmeTruthError, match="array_truth.nvme"):
        nv.NvmeTruth(truth)
