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
