# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/nvme_verdicts.py`: the NVMe namespaces and controllers of states
captured on a real kernel (tests/lab/capture.py nvme_*), judged against the NVMe truth the lab's array had."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import errno
import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_verdicts as nv
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    NVME_FC_LIFS, NVME_LAB_LIFS, fc_traddr, nvme_array_truth, nvme_fc_host, nvme_fc_truth)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import load_captured


def captured(scenario):
    """(the host's snapshot, the lab's NVMe truth as the array tells it: the docs/ontap.md contract)."""
    reader, truth = load_captured(scenario)
    return reader.snapshot(probe=False), nvme_array_truth(truth["nvme"])


def judged(san, truth):
    out = nv.cross_check(san["nvme"], truth)
    return (dict((v["name"], v) for v in out["namespaces"]), dict((v["name"], v) for v in out["controllers"]))


def kinds(verdicts):
    return dict((name, v["kind"]) for name, v in verdicts.items())


def test_the_namespace_unmapped_behind_a_dead_controller_is_stale_while_the_array_has_its_lif():
    """nvme_stale (lab finding 16) as an array that has both LIFs (LIF a only unreachable): namespace 2 unmapped,
    its one path through the controller that reconnects to LIF a. It alone is stale; the two mapped ones keep a live
    path (an outage of one path); the dead controller is down, and no namespace not stale depends on it alone."""
    san, truth = captured("nvme_stale")
    truth["targets"][0]["tcp_addresses"] = list(NVME_LAB_LIFS)
    namespaces, controllers = judged(san, truth)
    assert kinds(namespaces) == {"nvme0n1": "paths_down_but_mapped", "nvme0n2": "stale_unmapped",
                                 "nvme0n3": "paths_down_but_mapped"}
    dead = namespaces["nvme0n2"]["evidence"]["paths"][0]["controller"]
    assert (controllers[dead]["kind"], controllers[dead]["sole_path_of"]) == ("controller_down", [])
    assert sorted(controllers[dead]["namespaces"]) == ["nvme0n1", "nvme0n2", "nvme0n3"]
    assert [c["kind"] for n, c in controllers.items() if n != dead] == ["healthy"]


def test_a_lif_the_svm_no_longer_has_is_gone_and_proves_nothing_about_what_it_reached():
    """nvme_stale as the lab left the array: LIF a (127.0.0.5) deleted. The controller reconnecting to it is
    lif_gone; the namespace the SVM no longer maps, reached only there, is not covered (another cluster may present
    the subsystem at that address: SnapMirror active sync), so that controller is its sole path. The namespaces the
    SVM maps are judged as mapped whatever other address reaches them."""
    san, truth = captured("nvme_stale")
    namespaces, controllers = judged(san, truth)
    assert kinds(namespaces) == {"nvme0n1": "paths_down_but_mapped", "nvme0n2": "not_covered",
                                 "nvme0n3": "paths_down_but_mapped"}
    assert "127.0.0.5" in namespaces["nvme0n2"]["reason"]
    dead = namespaces["nvme0n2"]["evidence"]["paths"][0]["controller"]
    assert (controllers[dead]["kind"], controllers[dead]["traddr"]) == ("lif_gone", "127.0.0.5")
    assert controllers[dead]["sole_path_of"] == ["nvme0n2"]


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
    truth["targets"][0]["tcp_addresses"] = list(NVME_LAB_LIFS)
    nvme = copy.deepcopy(san["nvme"])
    ns1 = next(n for n in nvme["namespaces"] if n["name"] == "nvme0n1")
    for p in ns1["paths"]:
        if p["controller_state"] == "live":
            p["ana_state"] = "inaccessible"
    controllers = judged(dict(san, nvme=nvme), truth)[1]
    dead = next(c for c in controllers.values() if c["kind"] == "controller_down")
    assert dead["sole_path_of"] == ["nvme0n1"]


def test_the_same_nsid_with_another_uuid_is_another_namespace_not_the_host_ones():
    """A reused NSID: the array maps NSID 2 again, to a new namespace. The host's old nvme0n2 is not stale and not
    healthy: it is a corruption risk."""
    san, truth = captured("nvme_stale")
    truth["targets"][0]["tcp_addresses"] = list(NVME_LAB_LIFS)
    truth["namespaces"].append(dict(truth["namespaces"][0], nsid=2, uuid="0f0e0d0c-0b0a-4908-8706-050403020100",
                                    name="/vol/sanlab_nvme/new"))
    namespaces = judged(san, truth)[0]
    assert namespaces["nvme0n2"]["kind"] == "uuid_mismatch" and "CORRUPTION RISK" in namespaces["nvme0n2"]["reason"]


@pytest.mark.parametrize("change, kind", [
    (lambda t: t.update(problems=[{"kind": "lookup_failed", "msg": "ONTAP c2: HTTP 503"}]), "not_covered"),
    (lambda t: t["targets"][0].update(subsystem_nqns=[]), "not_covered"),
    (lambda t: t["targets"].append(dict(t["targets"][0], svm="svm_dr")), "not_covered"),
    (lambda t: t.update(host_nqns=["nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000000"]),
     "not_covered"),
])
def test_what_the_truth_does_not_provably_cover_is_never_stale(change, kind):
    """Partial truth: a problem anywhere in the NVMe read, a subsystem no SVM read serves, one two SVMs claim (DR,
    a clone), a truth read for another host NQN. Namespace 2's absence proves nothing then, and the dead controller
    is its sole path: deleting it would take away a namespace not shown unmapped."""
    san, truth = captured("nvme_stale")
    truth["targets"][0]["tcp_addresses"] = list(NVME_LAB_LIFS)
    change(truth)
    namespaces, controllers = judged(san, truth)
    assert set(kinds(namespaces).values()) == {kind}
    dead = [c for c in controllers.values() if c["state"] != "live"]
    assert len(dead) == 1 and dead[0]["sole_path_of"] == ["nvme0n2"], dead


def test_a_truth_read_for_every_host_covers_this_one():
    san, truth = captured("nvme_stale")
    truth["targets"][0]["tcp_addresses"] = list(NVME_LAB_LIFS)
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
    truth["targets"][0]["tcp_addresses"] = list(NVME_LAB_LIFS)
    nvme = copy.deepcopy(san["nvme"])
    ns2 = next(n for n in nvme["namespaces"] if n["name"] == "nvme0n2")
    ns2["paths"][0]["controller_state"] = None
    assert kinds(judged(dict(san, nvme=nvme), truth)[0])["nvme0n2"] == "unread"


def test_nvme_devices_not_read_give_no_verdict():
    assert nv.cross_check(None, {"namespaces": []}) is None


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


def namespace(nvme, name):
    return next(n for n in nvme["namespaces"] if n["name"] == name)


@pytest.mark.parametrize("ana_state", ["change", "inaccessible", None])
def test_a_namespace_a_live_controller_still_presents_is_never_stale_whatever_its_ana_state(ana_state):
    """Lab finding 15: a live controller drops an unmapped namespace by itself, so one it still presents is mapped
    (the truth is older than the host). Its ANA state does not change that: `change` is a transition (takeover,
    giveback), `inaccessible` a node that cannot serve it right now, none at all what nvme_core multipath=N shows."""
    san, truth = captured("nvme_healthy")
    truth["namespaces"] = [n for n in truth["namespaces"] if n["nsid"] != 2]
    nvme = copy.deepcopy(san["nvme"])
    for p in namespace(nvme, "nvme0n2")["paths"]:
        assert p["controller_state"] == "live"
        p["ana_state"] = ana_state
    namespaces = judged(dict(san, nvme=nvme), truth)[0]
    assert namespaces["nvme0n2"]["kind"] == "unexpected_visibility", namespaces["nvme0n2"]["reason"]


def _one_controller_reconnecting(transport, traddr_of):
    """nvme_healthy with nvme0 `connecting` (a transient fabric outage), nvme1 live: every namespace answers through
    nvme1, so nvme0 is the sole path of nothing, and a lif_gone verdict would make it deletable."""
    san, truth = captured("nvme_healthy")
    nvme = copy.deepcopy(san["nvme"])
    for c in nvme["controllers"]:
        c["transport"] = transport
        c["address"] = dict(c["address"], traddr=traddr_of(c["name"]))
        if c["name"] == "nvme0":
            c["state"] = "connecting"
    for ns in nvme["namespaces"]:
        for p in ns["paths"]:
            p["transport"], p["traddr"] = transport, traddr_of(p["controller"])
            if p["controller"] == "nvme0":
                p["controller_state"] = "connecting"
    return dict(san, nvme=nvme), truth


def test_a_reconnecting_nvme_fc_controller_is_not_to_a_lif_gone():
    """NVMe/FC: traddr is the target port's WWNN:WWPN, never an NVMe/TCP address, and an FC SVM has no
    tcp_addresses: a controller reconnecting through a fabric blip is controller_down."""
    san, truth = _one_controller_reconnecting(
        "fc", lambda c: "nn-0x204600a098cbcac6:pn-0x20%s00a098cbcac6" % ("47" if c == "nvme0" else "48"))
    truth["targets"][0]["tcp_addresses"] = []
    controllers = judged(san, truth)[1]
    assert controllers["nvme0"]["kind"] == "controller_down", controllers["nvme0"]


def test_an_svm_whose_nvme_tcp_lif_list_came_back_empty_proves_no_lif_gone():
    """'Absent from the fetched data' is not 'deleted': an SVM with no NVMe/TCP address in the truth."""
    san, truth = _one_controller_reconnecting("tcp", lambda c: "127.0.0.5" if c == "nvme0" else "127.0.0.6")
    truth["targets"][0]["tcp_addresses"] = []
    controllers = judged(san, truth)[1]
    assert controllers["nvme0"]["kind"] == "controller_down", controllers["nvme0"]


def test_a_controller_whose_directory_could_not_be_listed_is_the_sole_path_of_unknown(monkeypatch):
    """nvme_outage with LIF a deleted on the array: both mapped namespaces depend on nvme0. If /sys/class/nvme/nvme0
    cannot be listed its paths are unknown, not absent: sole_path_of is None (unknown), never []."""
    reader, lab = load_captured("nvme_outage")
    real_listdir = os.listdir

    def listdir(path):
        if str(path).endswith("/sys/class/nvme/nvme0"):
            raise OSError(errno.EIO, "Input/output error")
        return real_listdir(path)
    monkeypatch.setattr(os, "listdir", listdir)
    san = reader.snapshot(probe=False)
    assert "/sys/class/nvme/nvme0" in san["nvme"]["unread"]
    controllers = judged(san, nvme_array_truth(lab["nvme"], lifs=["127.0.0.6"]))[1]
    assert controllers["nvme0"]["sole_path_of"] is None, controllers["nvme0"]


def test_a_controller_whose_host_nqn_is_not_shown_is_not_judged_by_the_host_wide_file():
    """Kernels before 5.7 show no `hostnqn`; the controller may have connected with another NQN than
    /etc/nvme/hostnqn (nvme connect --hostnqn): its namespaces are not covered, never judged by the file's NQN."""
    san, truth = captured("nvme_outage")
    nvme = copy.deepcopy(san["nvme"])
    for c in nvme["controllers"]:
        c["hostnqn"] = None
    truth["host_nqns"] = ["*"]
    for rec in truth["namespaces"]:
        rec["host_nqns"] = ["nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555"]
    namespaces = judged(dict(san, nvme=nvme), truth)[0]
    assert set(v["kind"] for v in namespaces.values()) == {"not_covered"}


@pytest.mark.parametrize("host_nqns", ["nqn.2014-08.org.nvmexpress:uuid:f8ef028b-c48a-5fbd-a2ff-f2c02501602c",
                                       None, "missing", []])
def test_a_record_whose_host_nqns_is_not_a_list_of_nqns_is_refused_never_read_as_unmapped(host_nqns):
    """A record's host_nqns as a string (iterated letter by letter it would match no NQN), missing, or empty is not
    the contract: refused, never taken for 'mapped to none of the host's NQNs' (stale in an outage)."""
    san, truth = captured("nvme_outage")
    rec = next(r for r in truth["namespaces"] if r["nsid"] == 2)
    if host_nqns == "missing":
        del rec["host_nqns"]
    else:
        rec["host_nqns"] = host_nqns
    with pytest.raises(nv.NvmeTruthError, match="host_nqns"):
        judged(san, truth)


@pytest.mark.parametrize("nvme", [
    {"namespaces": [{"subsystem_nqn": "nqn.1992-08.com.netapp:sn.x:subsystem.s", "nsid": "\u00b2"}]},
    {"namespaces": [{"subsystem_nqn": "nqn.1992-08.com.netapp:sn.x:subsystem.s", "nsid": "\u2460"}]},
    {"targets": [{"cluster": ["c1"], "svm": "svm1", "subsystem_nqns": [], "tcp_addresses": []}]},
    {"targets": [{"cluster": "c1", "svm": {"name": "svm1"}, "subsystem_nqns": [], "tcp_addresses": []}]},
    {"targets": [{"cluster": "c1", "svm": "svm1", "subsystem_nqns": [], "tcp_addresses": [""]}]},
])
def test_an_nvme_truth_with_odd_values_is_refused_with_a_clear_error_not_a_traceback(nvme):
    """Odd values are NvmeTruthError (never a traceback): a superscript or circled digit passes str.isdigit() but
    not int(); an unhashable cluster or SVM cannot key the index; a blank address. The truth's NVMe part is then
    one that covers nothing, naming the field (judge.facts.family_parts)."""
    with pytest.raises(nv.NvmeTruthError, match="array_truth.nvme"):
        nv.NvmeTruth(nvme)
    (problem,) = facts.truth_of({"luns": [], "initiators": ["*"], "nvme": nvme})["nvme"]["problems"]
    assert problem["kind"] == facts.UNUSABLE_TRUTH and "array_truth.nvme" in problem["msg"]


def test_a_controller_says_whether_its_subsystem_still_allows_and_maps_its_host_nqn():
    """host_allowed: the subsystem's hosts list as read (None when it was not); mapped_to_host: the records of the
    subsystem the truth maps to the controller's host NQN (None when the truth cannot say)."""
    san, truth = captured("nvme_outage")
    controllers = judged(san, truth)[1]
    assert set((c["host_allowed"], c["mapped_to_host"]) for c in controllers.values()) == {(True, 2)}
    other = "nqn.2014-08.org.nvmexpress:uuid:0b0b0b0b-0000-4000-8000-00000000000b"
    truth["targets"][0]["subsystems"][0]["host_nqns"] = [other]
    for rec in truth["namespaces"]:
        rec["host_nqns"] = [other]
    controllers = judged(san, truth)[1]
    assert set((c["host_allowed"], c["mapped_to_host"]) for c in controllers.values()) == {(False, 0)}
    truth["targets"][0]["subsystems"][0]["host_nqns"] = None
    assert set(c["host_allowed"] for c in judged(san, truth)[1].values()) == {None}
    del truth["targets"][0]["subsystems"]
    assert set(c["host_allowed"] for c in judged(san, truth)[1].values()) == {None}


@pytest.mark.parametrize("subsystems", [
    "nqn.x", [{"nqn": None, "host_nqns": []}], [{"nqn": "nqn.x", "host_nqns": "nqn.y"}], [{"nqn": "nqn.x",
                                                                                          "host_nqns": [1]}]])
def test_a_subsystems_list_that_is_not_the_contract_is_refused(subsystems):
    san, truth = captured("nvme_outage")
    truth["targets"][0]["subsystems"] = subsystems
    with pytest.raises(nv.NvmeTruthError):
        nv.cross_check(san["nvme"], truth)


def test_the_nvme_truth_is_as_old_as_its_oldest_read():
    assert nv.nvme_truth_time({"collected_at": 300.0, "targets": [{"collected_at": 100.0}],
                               "namespaces": [{"collected_at": 200.0}], "clusters": [{}]}) == 100.0
    assert nv.nvme_truth_time({"targets": [{}], "namespaces": []}) is None
    assert nv.nvme_truth_time({"collected_at": 300.0, "clusters": [{"collected_at": "yesterday"}]}) == "yesterday"
    assert nv.nvme_truth_time(None) is None


@pytest.mark.parametrize("clusters", [
    {"c1": {"cluster": "c1", "state": "read", "collected_at": 1.0}},
    [{"cluster": "c1", "collected_at": 1.0}, "c2"],
    5,
], ids=["dict", "non-dict-entry", "int"])
def test_an_nvme_clusters_part_that_is_not_a_list_of_dicts_makes_the_nvme_part_unusable_and_undated(clusters):
    """The cluster reads date the NVMe truth: a shape whose times would not be seen makes the NVMe part one that
    covers nothing, names the field, and has no age (its gate refuses it), while the SCSI part keeps its own."""
    now = 1000.0
    truth = {"luns": [], "targets": [], "problems": [], "collected_at": now,
             "nvme": {"namespaces": [], "targets": [], "problems": [], "host_nqns": ["*"], "collected_at": now,
                      "clusters": clusters}}
    checked = facts.truth_of(array_truth=truth)
    assert [p["kind"] for p in checked["nvme"]["problems"]] == [facts.UNUSABLE_TRUTH]
    assert "array_truth.nvme.clusters" in checked["nvme"]["problems"][0]["msg"]
    assert nv.nvme_truth_time(checked["nvme"]) is None and checked["collected_at"] == now


def test_a_truth_giving_ontaps_documented_nsid_text_judges_the_namespace_at_that_nsid():
    """ONTAP's REST API reference documents a subsystem map's nsid as "8 hexadecimal digits (zero-filled) followed
    by a lower case h" (/protocols/nvme/subsystem-maps, 9.6 to 9.17.1): a truth that carries "00000002h" speaks of
    the host's NSID 2 (sysfs, decimal), and the namespace it no longer maps is judged stale as with a number."""
    san, truth = captured("nvme_stale")
    truth["targets"][0]["tcp_addresses"] = list(NVME_LAB_LIFS)
    for rec in truth["namespaces"]:
        rec["nsid"] = "%08xh" % rec["nsid"]
    namespaces, _controllers = judged(san, truth)
    assert kinds(namespaces) == {"nvme0n1": "paths_down_but_mapped", "nvme0n2": "stale_unmapped",
                                 "nvme0n3": "paths_down_but_mapped"}


@pytest.mark.parametrize("nsid", ["00000001", "0x1", "00000001H ", "1h", "ffffffffh", "00000000h", "01", 0, -1])
def test_an_nsid_in_no_documented_form_is_refused_never_guessed(nsid):
    """"00000001" is ONTAP's text without its "h" or a decimal with leading zeros: the two readings differ from
    00000010 on, and the wrong one would match another namespace. FFFFFFFFh is the broadcast NSID, 0 none."""
    with pytest.raises(nv.NvmeTruthError, match=r"array_truth.nvme.namespaces\[0\] needs"):
        nv.NvmeTruth({"namespaces": [{"subsystem_nqn": "nqn.1992-08.com.netapp:sn.1:subsystem.s", "nsid": nsid,
                                      "host_nqns": ["nqn.2014-08.org.nvmexpress:uuid:1"]}]})


# ------------------------------------------------------------------------------------------------ NVMe/FC
# nvme_stale with its controllers on NVMe/FC (nvme_fc_host: nvme0, not live, to port 20:05:..., nvme1, live, to
# 20:06:...): namespace 2 unmapped, reached only through nvme0


def fc_judged(tmp_path, wwpns, addresses=None):
    reader, lab = nvme_fc_host(tmp_path, "nvme_stale", addresses)
    return judged(reader.snapshot(probe=False), nvme_fc_truth(lab["nvme"], wwpns))


def test_an_nvme_fc_namespace_is_judged_on_the_target_ports_of_the_svm_nvme_fc_lifs(tmp_path):
    """An NVMe/FC path is covered when its controller's target port (the pn of the sysfs address, "nn-0x...:pn-0x...")
    is the WWPN of one of the SVM's NVMe/FC LIFs as ONTAP spells it (20:05:00:50:56:bb:a0:e0): the unmapped namespace
    behind the dead controller is stale, not not_covered, and that controller is down to a LIF the SVM still has."""
    namespaces, controllers = fc_judged(tmp_path, sorted(NVME_FC_LIFS.values()))
    assert kinds(namespaces) == {"nvme0n1": "paths_down_but_mapped", "nvme0n2": "stale_unmapped",
                                 "nvme0n3": "paths_down_but_mapped"}
    assert (controllers["nvme0"]["kind"], controllers["nvme0"]["transport"]) == ("controller_down", "fc")
    assert controllers["nvme1"]["kind"] == "healthy"


@pytest.mark.parametrize("spelling", [str.upper, lambda w: w.replace(":", ""), lambda w: "0x" + w.replace(":", "")])
def test_an_nvme_fc_lif_matches_whatever_the_spelling_of_its_wwpn(tmp_path, spelling):
    """One WWPN, one port: the truth's WWPN in upper case, bare hex or 0x hex finds the same target port the
    kernel's lower-case pn-0x names (identity's one normal form of a WWPN)."""
    namespaces, _controllers = fc_judged(tmp_path, [spelling(w) for w in sorted(NVME_FC_LIFS.values())])
    assert namespaces["nvme0n2"]["kind"] == "stale_unmapped"


def test_the_kernels_nvme_fc_address_without_0x_is_read_too(tmp_path):
    """nvme_fc_parse_traddr takes "nn-<16 hex>:pn-<16 hex>" as well: a controller connected that way is the same
    port."""
    addresses = dict((name, fc_traddr(wwpn, prefix="")) for name, wwpn in NVME_FC_LIFS.items())
    namespaces, _controllers = fc_judged(tmp_path, sorted(NVME_FC_LIFS.values()), addresses)
    assert namespaces["nvme0n2"]["kind"] == "stale_unmapped"


def test_an_nvme_fc_port_the_svm_no_longer_has_is_a_gone_lif_and_proves_nothing_about_its_namespace(tmp_path):
    """The SVM's NVMe/FC LIFs no longer include nvme0's target port: nvme0 is lif_gone, and the namespace reached
    only there is not covered (another cluster may present the subsystem at that port)."""
    namespaces, controllers = fc_judged(tmp_path, [NVME_FC_LIFS["nvme1"]])
    assert namespaces["nvme0n2"]["kind"] == "not_covered" and "NVMe/FC" in namespaces["nvme0n2"]["reason"]
    assert controllers["nvme0"]["kind"] == "lif_gone" and "NVMe/FC LIF" in controllers["nvme0"]["reason"]
    assert controllers["nvme0"]["sole_path_of"] == ["nvme0n2"]


def test_the_node_name_of_a_lif_is_no_target_port(tmp_path):
    """Only the port name identifies the target: a controller whose node name (nn-) is a LIF's WWPN while its port
    name (pn-) is none of them is not at that LIF."""
    wwpn = NVME_FC_LIFS["nvme0"].replace(":", "")
    addresses = dict(NVME_FC_LIFS, nvme0="nn-0x%s:pn-0x%s" % (wwpn, "2007005056bba0e0"))
    addresses = dict((k, v if k == "nvme0" else fc_traddr(v)) for k, v in addresses.items())
    namespaces, controllers = fc_judged(tmp_path, sorted(NVME_FC_LIFS.values()), addresses)
    assert namespaces["nvme0n2"]["kind"] == "not_covered" and controllers["nvme0"]["kind"] == "lif_gone"


@pytest.mark.parametrize("wwpns,traddr", [
    ([], None),                                                   # the SVM's NVMe/FC LIF list came back empty
    (sorted(NVME_FC_LIFS.values()), "nn-0x2000005056bba0e0:pn-0x2005005056bba0e"),   # 15 hex digits
    (sorted(NVME_FC_LIFS.values()), "nn-0x2000005056bba0e0:pn-2005005056bba0e0"),   # mixed forms: refused by the kernel
    (sorted(NVME_FC_LIFS.values()), "127.0.0.5"),                 # no FC address at all
])
def test_an_nvme_fc_path_whose_target_cannot_be_told_is_not_covered_and_its_controller_never_gone(
        tmp_path, wwpns, traddr):
    """Fail closed: with no NVMe/FC LIF read for the SVM, or an address the kernel's format does not give, the
    truth cannot say where nvme0 goes: the namespace behind it alone is not covered (never stale) and nvme0 is down,
    never lif_gone (which the opt-in would delete)."""
    addresses = None if traddr is None else dict(nvme0=traddr, nvme1=fc_traddr(NVME_FC_LIFS["nvme1"]))
    namespaces, controllers = fc_judged(tmp_path, wwpns, addresses)
    assert namespaces["nvme0n2"]["kind"] == "not_covered"
    assert controllers["nvme0"]["kind"] == "controller_down"


@pytest.mark.parametrize("wwpn", ["20:05:00:50:56:bb:a0", "pn-0x2005005056bba0e0", "lif2", "2005005056bba0e0ff"])
def test_an_nvme_fc_lif_that_is_no_wwpn_is_refused_not_compared(tmp_path, wwpn):
    """A caller's truth whose NVMe/FC LIF list holds something that is no WWPN would match no controller's port and
    make every controller to that SVM look like one whose LIF is gone: the truth is refused before anything is
    judged."""
    reader, lab = nvme_fc_host(tmp_path, "nvme_stale")
    with pytest.raises(nv.NvmeTruthError, match="fc_wwpns must be a list of WWPNs"):
        nv.cross_check(reader.snapshot(probe=False)["nvme"], nvme_fc_truth(lab["nvme"], [NVME_FC_LIFS["nvme1"], wwpn]))


def test_a_namespace_whose_subsystems_hosts_list_was_not_read_is_never_called_stale_unmapped():
    """nvme_outage (both LIFs cut, everything still mapped to this host), read by the ontap_truth lookup from an answer
    whose subsystem carries no well-formed hosts list (missing, cut, an entry without its NQN): the lookup gives the
    subsystem host_nqns null ("what it allows is unknown, never nobody") and, since its wanted-NQN filter finds none of
    this host's NQNs in that list, no record of the subsystem's maps (plugin_utils/ontap_nvme.nvme_records). Absent
    from the data is not unmapped: a namespace of that subsystem is not judged (not_covered), never stale_unmapped,
    whose report tells the operator to remove the host's NQN from the subsystem on the array."""
    san, truth = captured("nvme_outage")
    truth["targets"][0]["subsystems"][0]["host_nqns"] = None     # the hosts list was not read
    truth["namespaces"] = []                                     # so the lookup kept no map record for this host
    namespaces = judged(san, truth)[0]
    assert namespaces and "stale_unmapped" not in kinds(namespaces).values(), kinds(namespaces)


# ------------------------------------------------------------------------------------------------ crafted devices
# Hand-made NVMe devices and truth (no capture): subsystem SUB of svm1 (cluster c1) at NVMe/TCP LIFs 127.0.0.5 and .6;
# nvme0 live to .5, nvme1 connecting to .6, both connected with HOST; namespace n of uuid UUID % n.

SUB, HOST = "nqn.1992-08.com.netapp:sn.1:subsystem.s", "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555"
OTHER_HOST = "nqn.2014-08.org.nvmexpress:uuid:0b0b0b0b-0000-4000-8000-00000000000b"
UUID = "0f0e0d0c-0b0a-4908-8706-0504030201%02d"
WHERE = {"cluster": "c1", "svm": "svm1"}


def _ctrl(name, state, traddr, transport="tcp", **kw):
    return dict({"name": name, "state": state, "transport": transport, "subsysnqn": SUB, "hostnqn": HOST,
                 "address": {"traddr": traddr}}, **kw)


CTRLS = {"nvme0": _ctrl("nvme0", "live", "127.0.0.5"), "nvme1": _ctrl("nvme1", "connecting", "127.0.0.6")}


def _ns(n, controllers=("nvme0", "nvme1"), ctrls=None, **kw):
    ctrls = ctrls or CTRLS
    paths = [{"name": "%sc%sn%d" % (c[:5], c[4:], n), "controller": c, "controller_state": ctrls[c]["state"],
              "traddr": ctrls[c]["address"]["traddr"], "ana_state": "optimized"} for c in controllers]
    return dict({"name": "nvme0n%d" % n, "fabrics": True, "nsid": n, "uuid": UUID % n, "subsysnqn": SUB,
                 "paths": paths}, **kw)


def _truth(mapped=(1,), **kw):
    return dict({
        "namespaces": [dict(WHERE, uuid=UUID % n, name="/vol/v/ns%d" % n, nsid=n, subsystem_nqn=SUB, host_nqns=[HOST])
                       for n in mapped],
        "targets": [dict(WHERE, subsystem_nqns=[SUB], tcp_addresses=["127.0.0.5", "127.0.0.6"],
                         subsystems=[{"nqn": SUB, "host_nqns": [HOST]}])],
        "host_nqns": [HOST], "problems": []}, **kw)


def _judge_ns(ns, truth=None, ctrls=None):
    return nv.judge_namespace(ns, ctrls or CTRLS, nv.NvmeTruth(truth or _truth()))


def test_a_namespace_verdict_carries_its_identity_its_paths_and_the_svm_judged_against():
    """Fails when a namespace's verdict loses its name, NSID, UUID, subsystem, a path's controller, state, address or
    ANA state, or the SVM it was judged against."""
    assert _judge_ns(_ns(1)) == {
        "object": "namespace", "name": "nvme0n1", "nsid": 1, "uuid": UUID % 1, "subsysnqn": SUB,
        "kind": "paths_down_but_mapped", "reason": "mapped to this host; 1 of 2 paths do not answer (an outage, never "
                                                   "stale)", "array": WHERE,
        "evidence": {"paths": [
            {"name": "nvme0c0n1", "controller": "nvme0", "controller_state": "live", "traddr": "127.0.0.5",
             "ana_state": "optimized"},
            {"name": "nvme1c1n1", "controller": "nvme1", "controller_state": "connecting", "traddr": "127.0.0.6",
             "ana_state": "optimized"}]}}


def _ana(state):
    ns = _ns(1, ("nvme0",))
    ns["paths"][0]["ana_state"] = state
    return ns


@pytest.mark.parametrize("ns, truth, kind, reason", [
    (_ns(1, ("nvme0",)), None, "healthy", "mapped to this host, every path live"),
    (_ana("non-optimized"), None, "healthy", "mapped to this host, every path live"),
    (_ana("inaccessible"), None, "paths_down_but_mapped",
     "mapped to this host; 1 of 1 paths do not answer (an outage, never stale)"),
    (_ns(1, ("nvme0",), uuid=(UUID % 1).upper()), None, "healthy", "mapped to this host, every path live"),
    (_ns(2, ("nvme1",)), None, "stale_unmapped",
     "svm1 (c1) no longer maps NSID 2 of %s to this host, and no controller to it is live" % SUB),
    (_ns(2), None, "unexpected_visibility", "the array maps NSID 2 of %s to none of %s, yet live controllers present "
                                            "it (nvme0c0n2): the truth may be older than the host" % (SUB, HOST)),
    (_ns(2, ("nvme1",)), _truth(targets=[dict(WHERE, subsystem_nqns=[SUB], tcp_addresses=["127.0.0.5"])]),
     "not_covered", "not mapped by svm1, but path nvme1c1n2 reaches tcp 127.0.0.6, which is no NVMe/TCP LIF of svm1 "
                    "(c1) that was read: another cluster may present this subsystem there"),
    (_ns(2, ("nvme1",)), _truth(targets=[dict(WHERE, subsystem_nqns=[SUB], tcp_addresses=["127.0.0.5", "127.0.0.6"],
                                              subsystems=[{"nqn": SUB, "host_nqns": None}])]),
     "not_covered", "not judged: which hosts svm1 of %s allows was not read, so no map record of %s is no proof that "
                    "NSID 2 is unmapped" % (SUB, HOST)),
    (_ns(2, ("nvme1",)), _truth(problems=[{"msg": "ONTAP c1: HTTP 503"}, {"kind": "no_cluster"}]), "not_covered",
     "not judged: the NVMe truth is incomplete (ONTAP c1: HTTP 503; no_cluster)"),
    (_ns(2, ("nvme1",)), _truth(targets=[]), "not_covered",
     "subsystem %s is served by no SVM whose NVMe was read (or by several)" % SUB),
    (_ns(2, ("nvme1",)), _truth(host_nqns=[OTHER_HOST]), "not_covered",
     "the array was not read for host NQN %s (controller nvme1)" % HOST),
    (_ns(2, ("nvme1",)), _truth(host_nqns=["*"]), "stale_unmapped",
     "svm1 (c1) no longer maps NSID 2 of %s to this host, and no controller to it is live" % SUB),
], ids=["healthy", "non-optimized", "inaccessible", "uuid-case", "stale", "live", "off-the-svm", "hosts-not-read",
        "problems", "no-svm", "other-host", "every-host"])
def test_each_namespace_verdict_says_why(ns, truth, kind, reason):
    """Fails when a namespace's verdict does not follow from the truth's mapping, coverage and the paths' states, or
    its reason does not say which NSID, subsystem, SVM, host NQN, path or address it was judged on and why."""
    v = _judge_ns(ns, truth)
    assert (v["kind"], v["reason"]) == (kind, reason)
    if kind in ("healthy", "paths_down_but_mapped", "stale_unmapped", "unexpected_visibility") or "not mapped by" \
            in reason or "which hosts" in reason:
        assert v["array"] == WHERE
    else:
        assert "array" not in v


def test_another_uuid_at_the_nsid_is_named_with_the_arrays_namespaces():
    """Fails when a namespace whose NSID the array now maps to another UUID (or whose own UUID was not read) is not a
    uuid_mismatch naming the array's UUIDs and namespaces, the host's UUID and the SVM."""
    truth = _truth(mapped=())
    truth["namespaces"] = [dict(WHERE, uuid=(UUID % 9).upper(), name="/vol/v/new", nsid="00000001h", subsystem_nqn=SUB,
                                host_nqns=[OTHER_HOST, HOST]),
                           dict(WHERE, uuid=UUID % 8, name="/vol/v/other", nsid=1, subsystem_nqn=SUB,
                                host_nqns=[OTHER_HOST])]
    v = _judge_ns(_ns(1), truth)
    assert (v["kind"], v["reason"], v["array"], v["records"]) == (
        "uuid_mismatch", "NSID 1 of %s is now namespace %s on the array, the host has %s: another namespace at this NSID "
                         "(CORRUPTION RISK if it is written)" % (SUB, UUID % 9, UUID % 1), WHERE, ["/vol/v/new"])
    v = _judge_ns(_ns(1, uuid=None))
    assert (v["kind"], v["reason"]) == (
        "uuid_mismatch", "NSID 1 of %s is now namespace %s on the array, the host has None: another namespace at this NSID "
                         "(CORRUPTION RISK if it is written)" % (SUB, UUID % 1))


def test_what_could_not_be_read_of_a_namespace_is_named():
    """Fails when a namespace with a part not read (its own attributes, a path, a path's controller, a controller
    state, its NSID, subsystem or paths) is judged, or its reason does not name each part."""
    ctrls = dict(CTRLS, nvme1=dict(CTRLS["nvme1"], unread=["state"]))
    ns = _ns(2, unread=["uuid", "nsid"])
    ns["paths"][0]["unread"] = ["ana_state"]
    ns["paths"].append(dict(ns["paths"][0], name="nvme2c2n2", controller="nvme2", controller_state=None, unread=None))
    v = _judge_ns(ns, ctrls=dict(ctrls, nvme2=_ctrl("nvme2", "live", "127.0.0.5")))
    assert (v["kind"], v["reason"]) == (
        "unread", "not judged: uuid, nsid of nvme0n2; path nvme0c0n2 (controller nvme0); path nvme1c1n2 (controller "
                  "nvme1); path nvme2c2n2 (controller nvme2) could not be read")
    for change in ({"nsid": None}, {"subsysnqn": None}, {"paths": []}):
        v = _judge_ns(_ns(2, **change))
        assert (v["kind"], v["reason"]) == ("unread", "not judged: the NSID, subsystem or paths of nvme0n2 could not "
                                                      "be read")


def test_a_namespace_through_a_controller_that_shows_no_host_nqn_is_not_covered():
    """Fails when a namespace reached through a controller that shows no host NQN is judged."""
    ctrls = dict(CTRLS, nvme1=dict(CTRLS["nvme1"], hostnqn=" "))
    v = _judge_ns(_ns(2, ("nvme1",)), ctrls=ctrls)
    assert (v["kind"], v["reason"]) == ("not_covered", "controller nvme1 shows no host NQN it connected with")


def test_a_namespace_over_nvme_fc_off_the_svm_names_its_port_and_an_unknown_transport_covers_nothing():
    """Fails when an NVMe/FC path to a port that is none of the SVM's NVMe/FC LIFs does not say so, or a path of a
    transport the truth cannot place is judged."""
    port = "nn-0x2000005056bba0e0:pn-0x2007005056bba0e0"
    ctrls = {"nvme1": _ctrl("nvme1", "connecting", port, transport="fc")}
    truth = _truth(targets=[dict(WHERE, subsystem_nqns=[SUB], fc_wwpns=["20:05:00:50:56:bb:a0:e0"],
                                 subsystems=[{"nqn": SUB, "host_nqns": [HOST]}])])
    v = _judge_ns(_ns(2, ("nvme1",), ctrls=ctrls), truth, ctrls)
    assert v["reason"] == ("not mapped by svm1, but path nvme1c1n2 reaches fc %s, which is no NVMe/FC LIF of svm1 (c1) "
                           "that was read: another cluster may present this subsystem there" % port)
    ctrls = {"nvme1": _ctrl("nvme1", "connecting", "127.0.0.6", transport="rdma")}
    v = _judge_ns(_ns(2, ("nvme1",), ctrls=ctrls), None, ctrls)
    assert v["kind"] == "not_covered" and "reaches rdma 127.0.0.6, which is no NVMe/TCP LIF" in v["reason"]


def test_a_controller_verdict_says_what_depends_on_it_and_what_the_subsystem_still_allows():
    """Fails when a controller's verdict loses its identity, the namespaces behind it, the namespaces it alone still
    reaches (not stale, no other path answering), what the truth still maps and allows of its host NQN, or calls a
    controller to a LIF the SVM still has gone."""
    namespaces = [_ns(1), _ns(2, ("nvme1",)), _ns(3, ("nvme1",)), _ns(4, ("nvme0", "nvme1"), fabrics=False)]
    namespaces[3]["paths"][0]["ana_state"] = "change"
    truth = nv.NvmeTruth(_truth(mapped=(1, 3, 4)))
    verdicts = [nv.judge_namespace(ns, CTRLS, truth) for ns in namespaces]
    assert [v["kind"] for v in verdicts] == ["paths_down_but_mapped", "stale_unmapped", "paths_down_but_mapped",
                                             "paths_down_but_mapped"]
    assert nv.judge_controller(CTRLS["nvme0"], namespaces, verdicts, truth, []) == {
        "object": "controller", "name": "nvme0", "subsysnqn": SUB, "state": "live", "transport": "tcp",
        "traddr": "127.0.0.5", "namespaces": ["nvme0n1", "nvme0n4"], "kind": "healthy", "reason": "live"}
    assert nv.judge_controller(CTRLS["nvme1"], namespaces, verdicts, truth, []) == {
        "object": "controller", "name": "nvme1", "subsysnqn": SUB, "state": "connecting", "transport": "tcp",
        "traddr": "127.0.0.6", "namespaces": ["nvme0n1", "nvme0n2", "nvme0n3", "nvme0n4"], "kind": "controller_down",
        "reason": "connecting: an outage unless the array says otherwise", "sole_path_of": ["nvme0n3", "nvme0n4"],
        "mapped_to_host": 3, "host_allowed": True}
    assert nv.judge_controller(CTRLS["nvme1"], namespaces, verdicts, truth, ["/sys/class/nvme/nvme1"])[
        "sole_path_of"] is None


def test_a_controller_to_an_address_the_svm_no_longer_has_is_gone_only_when_the_truth_can_say_so():
    """Fails when a controller reconnecting to an address that is no LIF of the SVM any more is not lif_gone with
    that address and SVM, or when a truth with problems or read for other hosts is taken to say so, or what it maps
    and allows of the host NQN."""
    gone = _ctrl("nvme1", "connecting", "127.0.0.7")
    v = nv.judge_controller(gone, [], [], nv.NvmeTruth(_truth()), [])
    assert (v["kind"], v["reason"], v["array"], v["sole_path_of"]) == (
        "lif_gone", "connecting, reconnecting to 127.0.0.7, which no NVMe/TCP LIF of svm1 (c1) has any more", WHERE, [])
    v = nv.judge_controller(dict(gone, transport="fc", address={"traddr": "nn-0x1:pn-0x2"}), [], [],
                            nv.NvmeTruth(_truth()), [])
    assert v["kind"] == "controller_down"
    v = nv.judge_controller(gone, [], [], nv.NvmeTruth(_truth(problems=[{"kind": "lookup_failed"}])), [])
    assert (v["kind"], v["mapped_to_host"], v["host_allowed"]) == ("controller_down", None, None)
    v = nv.judge_controller(gone, [], [], nv.NvmeTruth(_truth(host_nqns=[OTHER_HOST])), [])
    assert (v["kind"], v["mapped_to_host"], v["host_allowed"]) == ("lif_gone", None, True)
    v = nv.judge_controller(dict(gone, hostnqn=OTHER_HOST), [], [], nv.NvmeTruth(_truth(host_nqns=["*"])), [])
    assert (v["mapped_to_host"], v["host_allowed"]) == (0, False)


def test_cross_check_judges_the_fabrics_namespaces_and_controllers_only():
    """Fails when a namespace or a controller that is not behind a fabrics transport is judged (one whose transport
    was not read is), or the controllers are not in name order, or the read's unread parts do not reach them."""
    ctrls = [CTRLS["nvme1"], CTRLS["nvme0"], _ctrl("nvme2", "live", None, transport="pcie"),
             _ctrl("nvme3", "connecting", "127.0.0.6", transport=None)]
    out = nv.cross_check({"controllers": ctrls, "namespaces": [_ns(1), _ns(5, fabrics=False)], "unread": ["x"]},
                         _truth())
    assert [v["name"] for v in out["namespaces"]] == ["nvme0n1"]
    assert [(v["name"], v["kind"]) for v in out["controllers"]] == [
        ("nvme0", "healthy"), ("nvme1", "controller_down"), ("nvme3", "controller_down")]
    assert out["controllers"][1]["sole_path_of"] is None
    assert nv.cross_check({}, _truth()) == {"namespaces": [], "controllers": []}


def test_the_truths_hosts_of_a_subsystem_read_twice_are_either_reads_and_unknown_when_one_did_not_read_them():
    """Fails when two reads of one SVM's subsystem do not allow what either allows, when a read that did not list
    the subsystem's hosts does not make what it allows unknown (whichever read came first), or when an SVM serving a
    subsystem it did not list does."""
    def truth(*hosts_lists, **target):
        targets = [dict(WHERE, subsystem_nqns=[SUB], tcp_addresses=["127.0.0.5"],
                        subsystems=[{"nqn": SUB, "host_nqns": h}], **target) for h in hosts_lists]
        return nv.NvmeTruth({"targets": targets, "host_nqns": [HOST]})
    svm = ("c1", "svm1")
    both = truth([HOST], [OTHER_HOST.upper()])
    assert (both.allows(svm, SUB, HOST), both.allows(svm, SUB, OTHER_HOST)) == (True, True)
    assert both.allows(svm, SUB, "nqn.2014-08.org.nvmexpress:uuid:0c0c0c0c-0000-4000-8000-00000000000c") is False
    assert both.allows(svm, SUB, None) is None and both.allows(("c1", "svm2"), SUB, HOST) is None
    for hosts in (([HOST], None), (None, [HOST])):
        assert truth(*hosts).allows(svm, SUB, HOST) is None, hosts
    unlisted = nv.NvmeTruth({"targets": [dict(WHERE, subsystem_nqns=[SUB, "nqn.x"], subsystems=[
        {"nqn": SUB, "host_nqns": [HOST]}])]})
    assert (unlisted.allows(svm, SUB, HOST), unlisted.allows(svm, "nqn.x", HOST)) == (True, None)
    assert truth([HOST]).svm_of(SUB.upper()) == svm
    assert nv.NvmeTruth({"targets": [dict(WHERE, subsystem_nqns=[SUB])] * 2}).svm_of(SUB) == svm
    two = [dict(WHERE, subsystem_nqns=[SUB]), dict(WHERE, svm="svm2", subsystem_nqns=[SUB])]
    assert nv.NvmeTruth({"targets": two}).svm_of(SUB) is None


def test_maps_of_and_lif_of_read_the_truth_as_its_contract_says():
    """Fails when the records of a subsystem mapped to a host NQN take another subsystem's or another host's, or
    when an address of no transport, or no address, is called at or off a LIF."""
    truth = nv.NvmeTruth(_truth(mapped=(1, 2)))
    truth.mapped[("nqn.other", 3)] = [{"host_nqns": [HOST], "name": "x"}]
    truth.mapped[(SUB, 4)] = [{"host_nqns": [OTHER_HOST], "name": "y"}]
    assert [r["name"] for r in truth.maps_of(SUB.upper(), HOST.upper())] == ["/vol/v/ns1", "/vol/v/ns2"]
    svm = ("c1", "svm1")
    assert (truth.lif_of(svm, "tcp", "127.0.0.5"), truth.lif_of(svm, "tcp", "127.0.0.7")) == (True, False)
    assert truth.lif_of(svm, "tcp", None) is None and truth.lif_of(svm, "tcp", "") is None
    assert truth.lif_of(svm, "rdma", "127.0.0.5") is None and truth.lif_of(("c9", "x"), "tcp", "127.0.0.5") is None
    assert truth.lif_of(svm, "fc", "nn-0x2000005056bba0e0:pn-0x2005005056bba0e0") is None      # no FC LIF read
    assert truth.read_for(HOST.upper()) is True and truth.read_for(OTHER_HOST) is False


@pytest.mark.parametrize("nvme, message", [
    ([], "array_truth.nvme must be a dict, got list"),
    ({"problems": {}}, "array_truth.nvme.problems must be a list, got dict"),
    ({"problems": [1]}, "array_truth.nvme.problems[0] must be a dict, got int"),
    ({"clusters": [{}, "c2"]}, "array_truth.nvme.clusters[1] must be a dict, got str"),
    ({"host_nqns": ["nqn.x", " "]}, "array_truth.nvme.host_nqns must be a list of strings, got ['nqn.x', ' ']"),
    ({"targets": [{}, {"cluster": 1}]}, "array_truth.nvme.targets[1].cluster must be a string, got int"),
    ({"targets": [{"svm": 1}]}, "array_truth.nvme.targets[0].svm must be a string, got int"),
    ({"targets": [{"subsystem_nqns": "nqn.x"}]},
     "array_truth.nvme.targets[0].subsystem_nqns must be a list of strings, got 'nqn.x'"),
    ({"targets": [{"tcp_addresses": [1]}]},
     "array_truth.nvme.targets[0].tcp_addresses must be a list of strings, got [1]"),
    ({"targets": {}}, "array_truth.nvme.targets must be a list, got dict"),
    ({"targets": [{"fc_wwpns": "lif2"}]}, "array_truth.nvme.targets[0].fc_wwpns must be a list of strings, got 'lif2'"),
    ({"targets": [{"subsystems": "nqn.x"}]}, "array_truth.nvme.targets[0].subsystems must be a list, got str"),
    ({"namespaces": {}}, "array_truth.nvme.namespaces must be a list, got dict"),
    ({"targets": [{"fc_wwpns": ["lif2"]}]},
     "array_truth.nvme.targets[0].fc_wwpns must be a list of WWPNs (16 hex digits, e.g. 20:05:00:50:56:bb:a0:e0), got ['lif2']"),
    ({"targets": [{"subsystems": [{"nqn": "nqn.x"}, {"nqn": " "}]}]},
     "array_truth.nvme.targets[0].subsystems[1].nqn must be an NQN, got ' '"),
    ({"targets": [{"subsystems": [{"nqn": "nqn.x", "host_nqns": [""]}]}]},
     "array_truth.nvme.targets[0].subsystems[0].host_nqns must be a list of strings, got ['']"),
    ({"namespaces": [{"subsystem_nqn": "nqn.x", "nsid": 1, "host_nqns": ["h"]}, {"subsystem_nqn": "nqn.x"}]},
     "array_truth.nvme.namespaces[1] needs a subsystem_nqn and an nsid (a positive number, ONTAP's \"00000001h\" or "
     "decimal text), got 'nqn.x' and None"),
    ({"namespaces": [{"nsid": 1}]}, "array_truth.nvme.namespaces[0] needs a subsystem_nqn and an nsid (a positive "
                                    "number, ONTAP's \"00000001h\" or decimal text), got None and 1"),
    ({"namespaces": [{"subsystem_nqn": "nqn.x", "nsid": 1, "host_nqns": []}]},
     "array_truth.nvme.namespaces[0].host_nqns must be a list of one or more strings, got []"),
])
def test_a_truth_that_is_not_the_contract_is_refused_with_the_field_and_what_it_got(nvme, message):
    """Fails when an NVMe truth that is not the documented contract is not refused with a message naming the exact
    field, what it must be, and what it got."""
    with pytest.raises(nv.NvmeTruthError) as refused:
        nv.NvmeTruth(nvme)
    assert str(refused.value) == message


def test_the_truths_age_skips_entries_that_are_no_records():
    """Fails when an entry of the truth that is no dict stops its age from being read, or a time of 0 is lost."""
    assert nv.nvme_truth_time({"targets": ["x", {"collected_at": 5.0}], "clusters": [{"collected_at": 0}]}) == 0
    assert nv.nvme_truth_time({"collected_at": None, "namespaces": [{"collected_at": 7.0}]}) == 7.0


def test_the_truths_own_collected_at_dates_it_when_it_is_older_than_its_records():
    """Fails when the NVMe truth's own time is not read: a truth collected before its records were would look
    younger than it is to the age gates."""
    assert nv.nvme_truth_time({"collected_at": 50.0, "targets": [{"collected_at": 100.0}],
                               "namespaces": [{"collected_at": 200.0}]}) == 50.0
    assert nv.nvme_truth_time({"collected_at": 50.0}) == 50.0


def test_the_wildcard_in_the_truths_host_nqns_means_every_host_and_is_no_host_nqn():
    """Fails when "*" in the host NQNs the truth was read for is kept as a host NQN of its own, or a host NQN
    beside it is lost."""
    truth = nv.NvmeTruth({"host_nqns": ["*", HOST.upper()]})
    assert (truth.every_host, truth.host_nqns) == (True, set([HOST]))
    assert nv.NvmeTruth({"host_nqns": [HOST]}).every_host is False


@pytest.mark.parametrize("first_lists_hosts", [True, False])
def test_a_subsystem_one_read_of_the_svm_serves_without_its_hosts_list_is_never_stale_whatever_another_read_allows(
        first_lists_hosts):
    """Two reads of one SVM (two entries for one cluster): one serves the subsystem without listing it, so which
    hosts it allows was not read; the other lists it allowing another host only. Fails when that other read is
    taken for the whole answer (the host not allowed, the namespace the SVM does not map shown stale_unmapped),
    whichever read comes first."""
    unlisted = dict(WHERE, subsystem_nqns=[SUB], tcp_addresses=["127.0.0.5", "127.0.0.6"])
    listed = dict(unlisted, subsystems=[{"nqn": SUB, "host_nqns": [OTHER_HOST]}])
    reads = nv.NvmeTruth(_truth(targets=[listed, unlisted] if first_lists_hosts else [unlisted, listed]))
    assert reads.allows(("c1", "svm1"), SUB, HOST) is None
    ns = _ns(2, ("nvme1",))
    v = nv.judge_namespace(ns, CTRLS, reads)
    assert (v["kind"], v["reason"]) == (
        "not_covered", "not judged: which hosts svm1 of %s allows was not read, so no map record of %s is no proof "
                       "that NSID 2 is unmapped" % (SUB, HOST))
    assert nv.judge_controller(CTRLS["nvme1"], [ns], [v], reads, [])["host_allowed"] is None


def test_a_namespace_reason_names_each_uuid_host_nqn_and_live_path_it_lists_apart():
    """Fails when a reason that lists several of the array's UUIDs at the NSID, several host NQNs or several live
    paths runs them together or spells the separator otherwise (the reports show it as written)."""
    ctrls = {"nvme0": _ctrl("nvme0", "live", "127.0.0.5"),
             "nvme2": _ctrl("nvme2", "live", "127.0.0.6", hostnqn=OTHER_HOST),
             "nvme1": _ctrl("nvme1", "connecting", "127.0.0.6", hostnqn=OTHER_HOST)}
    hosts = [HOST, OTHER_HOST]
    two = _truth(mapped=(), host_nqns=hosts)
    two["namespaces"] = [dict(WHERE, uuid=UUID % n, name="/vol/v/ns%d" % n, nsid=1, subsystem_nqn=SUB,
                              host_nqns=[HOST]) for n in (8, 9)]
    v = _judge_ns(_ns(1, ("nvme0",), ctrls=ctrls), two, ctrls)
    assert (v["kind"], v["reason"]) == (
        "uuid_mismatch", "NSID 1 of %s is now namespace %s, %s on the array, the host has %s: another namespace at "
                         "this NSID (CORRUPTION RISK if it is written)" % (SUB, UUID % 8, UUID % 9, UUID % 1))
    allowing = _truth(mapped=(), host_nqns=hosts)
    allowing["targets"][0]["subsystems"] = [{"nqn": SUB, "host_nqns": hosts}]
    v = _judge_ns(_ns(2, ("nvme0", "nvme2"), ctrls=ctrls), allowing, ctrls)
    assert (v["kind"], v["reason"]) == (
        "unexpected_visibility", "the array maps NSID 2 of %s to none of %s, %s, yet live controllers present it "
                                 "(nvme0c0n2, nvme2c2n2): the truth may be older than the host" % (SUB, OTHER_HOST, HOST))
    unknown = _truth(mapped=(), host_nqns=hosts)
    unknown["targets"][0]["subsystems"] = [{"nqn": SUB, "host_nqns": None}]
    ctrls["nvme0"] = _ctrl("nvme0", "connecting", "127.0.0.5")
    v = _judge_ns(_ns(2, ("nvme0", "nvme1"), ctrls=ctrls), unknown, ctrls)
    assert (v["kind"], v["reason"]) == (
        "not_covered", "not judged: which hosts svm1 of %s allows was not read, so no map record of %s, %s is no "
                       "proof that NSID 2 is unmapped" % (SUB, OTHER_HOST, HOST))


# A FlashArray's namespace: its NGUID, 32 hex digits from the volume serial (pure_records.pure_nguid; Pure's example
# serial 9714B5CB91634C470002B2C8, fixtures/pure/SOURCES.md), and as the host's sysfs prints it: nguid_show and, for
# a namespace without a UUID, uuid_show too print the NGUID as a UUID ("%pU", drivers/nvme/host/sysfs.c)
PURE_NGUID = "009714b5cb91634c24a937470002b2c8"
PURE_NGUID_SYSFS = "009714b5-cb91-634c-24a9-37470002b2c8"


def _pure_truth(nguid=PURE_NGUID, mapped=True):
    truth = _truth(mapped=(1,) if mapped else ())
    for rec in truth["namespaces"]:
        rec.update(uuid=None, nguid=nguid, name="vol-nvme")
    return truth


def test_a_flasharray_namespace_is_matched_by_its_nguid_in_the_form_sysfs_prints_it():
    """Fails when a FlashArray record (an NGUID, no UUID) is not matched to the host namespace whose sysfs nguid (and
    uuid, which the kernel fills with the NGUID) is that NGUID, or when a namespace with another NGUID, or none, is
    not uuid_mismatch: a reused NSID would be judged as the volume the array maps there."""
    host_ns = _ns(1, uuid=PURE_NGUID_SYSFS, nguid=PURE_NGUID_SYSFS)
    assert _judge_ns(host_ns, _pure_truth())["kind"] == "paths_down_but_mapped"
    other = _judge_ns(dict(host_ns, nguid="009714b5-cb91-634c-24a9-37470002b2c9"), _pure_truth())
    assert (other["kind"], other["records"]) == ("uuid_mismatch", ["vol-nvme"])
    assert ("is now namespace NGUID %s on the array, the host has NGUID 009714b5cb91634c24a937470002b2c9"
            % PURE_NGUID) in other["reason"], other["reason"]
    # the UUID alone is no NGUID: a namespace with a UUID of its own and no NGUID is another namespace
    for nguid in (None, "00000000-0000-0000-0000-000000000000", "not read"):
        v = _judge_ns(dict(host_ns, nguid=nguid), _pure_truth())
        assert v["kind"] == "uuid_mismatch" and "CORRUPTION RISK" in v["reason"], (nguid, v)


def test_records_of_one_nsid_in_two_identity_forms_match_no_host_namespace():
    """Fails when an NSID the truth gives once as an NGUID and once as a UUID is judged mapped to a host namespace
    that matches one of them: the truth does not say which namespace is there."""
    truth = _pure_truth()
    truth["namespaces"].append(dict(WHERE, uuid=UUID % 1, name="/vol/v/ns1", nsid=1, subsystem_nqn=SUB,
                                    host_nqns=[HOST]))
    for ns in (_ns(1, uuid=PURE_NGUID_SYSFS, nguid=PURE_NGUID_SYSFS), _ns(1)):
        assert _judge_ns(ns, truth)["kind"] == "uuid_mismatch"


def test_a_flasharray_namespace_without_a_connection_is_stale_only_behind_no_live_controller():
    """The NVMe judge's rules hold for a FlashArray's records as for ONTAP's: no connection to this host and no live
    path is stale_unmapped; a live controller presenting it is unexpected_visibility."""
    dead = {"nvme0": _ctrl("nvme0", "connecting", "127.0.0.5"), "nvme1": _ctrl("nvme1", "connecting", "127.0.0.6")}
    host_ns = _ns(1, ctrls=dead, uuid=PURE_NGUID_SYSFS, nguid=PURE_NGUID_SYSFS)
    assert _judge_ns(host_ns, _pure_truth(mapped=False), dead)["kind"] == "stale_unmapped"
    assert _judge_ns(_ns(1, uuid=PURE_NGUID_SYSFS, nguid=PURE_NGUID_SYSFS), _pure_truth(mapped=False))["kind"] == \
        "unexpected_visibility"


@pytest.mark.parametrize("nguid", ["009714b5cb91634c24a937470002b2c", "zz9714b5cb91634c24a937470002b2c8", 7])
def test_a_record_whose_nguid_is_no_nguid_is_refused_as_bad_input(nguid):
    with pytest.raises(nv.NvmeTruthError, match=r"array_truth\.nvme\.namespaces\[0\]\.nguid must be an NGUID"):
        nv.NvmeTruth(_pure_truth(nguid=nguid))


def test_the_diff_lists_only_the_fabrics_controllers_and_namespaces():
    """--diff's NVMe lines (device_lines) list the NVMe-oF controllers and the namespaces on fabrics, never a local
    PCIe controller or its namespace (nothing the cleanup can remove), each by its name, state, transport and
    address. Fails when the fabrics filter on either is lost."""
    san = {"nvme": {
        "controllers": [{"name": "nvme0", "state": "live", "transport": "pcie", "address": None},
                        {"name": "nvme1", "state": "connecting", "transport": "tcp",
                         "address": {"trsvcid": "4420", "traddr": "192.168.30.40"}}],
        "namespaces": [{"name": "nvme0n1", "fabrics": False, "paths": [{"controller": "nvme0"}]},
                       {"name": "nvme1n1", "fabrics": True, "paths": [{"controller": "nvme1"}]}]}}
    assert nv.device_lines(san, ()) == ["nvme controller nvme1 connecting tcp 'traddr=192.168.30.40,trsvcid=4420'",
                                        "nvme namespace nvme1n1 (nvme1)"]
