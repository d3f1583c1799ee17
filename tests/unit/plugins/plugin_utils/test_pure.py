# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FlashArray as an array-truth source (plugin_utils/pure.py): the entries of sanfleet_pure, the API token file, the
cached read, and the source's part of a host's truth. The REST reads and the records: test_pure_client.py and
test_pure_records.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import pure, pure_records, truth_cache
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.host_truth import host_truth
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_client import PureError

TOKEN = "e31060a7-21fc-e277-6240-25983c6c4592"    # the shape of the token in Pure's own Ansible examples


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setattr(truth_cache, "run_tmp_dir", lambda: str(tmp_path))
    truth_cache.clear_memory_cache()
    yield tmp_path
    truth_cache.clear_memory_cache()


def test_an_entry_needs_a_hostname_and_known_keys_only():
    """A typo in a key (api_tokn) would read the array without its token, or not at all: an error, never a silent
    drop of the array (its devices would then be judged by the other arrays' truth)."""
    with pytest.raises(AnsibleLookupError, match="unknown key 'api_tokn'"):
        pure.array_list([{"hostname": "fa1", "api_tokn": TOKEN}], env={})
    with pytest.raises(AnsibleLookupError, match=r"sanfleet_pure\[1\]: hostname is required"):
        pure.array_list([{"hostname": "fa1"}, {"api_token": TOKEN}], env={})
    with pytest.raises(AnsibleLookupError, match="expected a list"):
        pure.array_list("fa1", env={})


def test_certificates_are_verified_unless_turned_off_explicitly():
    arrays = pure.array_list([{"hostname": "fa1"}, {"hostname": "fa2", "validate_certs": "no"},
                              {"hostname": "fa3", "validate_certs": None}], env={})
    assert [a["validate_certs"] for a in arrays] == [True, False, True]


def test_one_dict_is_one_array_and_an_empty_list_reads_the_environment():
    assert pure.array_list({"hostname": "fa1", "api_token": TOKEN}, env={}) == [
        {"hostname": "fa1", "api_token": TOKEN, "validate_certs": True}]
    assert pure.array_list([], env={}) == []
    env = {"PUREFA_URL": "fa1.example.com", "PUREFA_API": TOKEN, "PUREFA_VALIDATE_CERTS": "false"}
    assert pure.array_list(None, env=env) == [
        {"hostname": "fa1.example.com", "api_token": TOKEN, "validate_certs": False}]


def test_the_token_file_gives_the_token_and_a_bad_one_is_this_arrays_read_failing(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    assert pure.with_token_file({"hostname": "fa1", "api_token_file": str(path)}) == {
        "hostname": "fa1", "api_token": TOKEN}
    path.write_text("\n")
    with pytest.raises(AnsibleLookupError, match="is empty"):
        pure.with_token_file({"hostname": "fa1", "api_token_file": str(path)})
    with pytest.raises(AnsibleLookupError, match="cannot read the API token file"):
        pure.with_token_file({"hostname": "fa1", "api_token_file": str(tmp_path / "missing")})


def test_a_read_without_a_token_fails_before_any_request(cache):
    def never():
        raise AssertionError("no request without a token")
    with pytest.raises(AnsibleLookupError, match="no api_token"):
        pure.get_truth({"hostname": "fa1"}, fetch=never)


def test_a_failed_read_is_made_once_per_run_and_its_error_holds_no_token(cache):
    """A FlashArray locks nothing on failed token logins that we know of, but a run of 100 hosts must still not
    make 100 failed logins; and the cached failure (a file) never holds the token."""
    calls = []

    def refused():
        calls.append(1)
        raise PureError("Pure POST login on fa1: HTTP 401: Invalid API token")
    for attempt in range(3):
        with pytest.raises(PureError, match="HTTP 401"):
            pure.get_truth({"hostname": "fa1", "api_token": TOKEN, "cache_ttl": 60}, fetch=refused)
        truth_cache.clear_memory_cache()
        assert len(calls) == 1, attempt
    for path in cache.rglob("*"):
        assert TOKEN not in path.name and (path.is_dir() or TOKEN not in path.read_text())


def test_another_token_is_another_read(cache):
    """Another identity never gets a read cached for the first (what it may see can differ)."""
    calls = []

    def read():
        calls.append(1)
        return {"array": "fa1"}
    pure.get_truth({"hostname": "fa1", "api_token": TOKEN}, fetch=read)
    pure.get_truth({"hostname": "fa1", "api_token": TOKEN.replace("e", "f")}, fetch=read)
    assert len(calls) == 2


ARRAY_NQN = "nqn.2010-06.com.purestorage:flasharray.12345abc"     # CINDER TARGET_NQN (fixtures/pure/SOURCES.md)
HOST_NQN = "nqn.2014-08.org.nvmexpress:uuid:6953a373-c3f7-4ea8-ae77-105c393012ff"   # CINDER INITIATOR_NQN
SERIALS = {"vol-n1": "9714B5CB91634C470002B2C8", "vol-n2": "9714B5CB91634C470002B2C9"}


def _nvme_read(connected=("vol-n1",), nqns=(ARRAY_NQN,)):
    """A FlashArray read (pure_records.fetch_truth's shape) serving two volumes over NVMe/TCP to host h5."""
    return {"array": "fa1", "fetched_at": 1000.0, "host_groups": [], "targets": [], "warnings": [],
            "hosts": [{"name": "h5", "iqns": [], "wwns": [], "nqns": [HOST_NQN], "host_group": None,
                       "personality": None}],
            "volumes": [{"id": name, "name": name, "serial": serial, "provisioned": 1 << 30, "destroyed": False}
                        for name, serial in sorted(SERIALS.items())],
            "connections": [{"host": "h5", "host_group": None, "volume": name, "volume_id": name, "lun": None,
                             "nsid": n + 1} for n, name in enumerate(sorted(SERIALS)) if name in connected],
            "ports": [{"name": "ct%d.eth10" % n, "iqn": None, "wwn": None, "nqn": nqn, "portal": "10.0.1.%d:4420" % n}
                      for n, nqn in enumerate(nqns)]}


def _host_namespace(n, state):
    """A host's namespace of the FlashArray's volume n (NSID n), one path over NVMe/TCP, as the snapshot gives it:
    its NGUID as sysfs prints it (nguid_show, %pU)."""
    nguid = pure_records.pure_nguid(SERIALS["vol-n%d" % n])
    shown = "-".join((nguid[:8], nguid[8:12], nguid[12:16], nguid[16:20], nguid[20:]))
    ctrl = "nvme%d" % n
    return ({"name": ctrl, "state": state, "transport": "tcp", "subsysnqn": ARRAY_NQN, "hostnqn": HOST_NQN,
             "address": {"traddr": "10.0.1.0", "trsvcid": "4420"}},
            {"name": "nvme%dn%d" % (n, n), "fabrics": True, "nsid": n, "uuid": shown, "nguid": shown,
             "subsysnqn": ARRAY_NQN,
             "paths": [{"name": "nvme%dc%dn%d" % (n, n, n), "controller": ctrl, "controller_state": state,
                        "traddr": "10.0.1.0", "ana_state": "optimized"}]})


def test_a_flasharrays_nvme_namespaces_are_judged_against_its_connections():
    """The FlashArray's NVMe part through host_truth and the NVMe judge: the connected volume's namespace is healthy,
    the disconnected one behind a dead controller stale_unmapped (its controller to the array's own portal), the
    truth has no problem. Fails when a FlashArray blocks NVMe judgement (the former fail-closed stand-in) or a
    disconnected namespace is not judged stale."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_verdicts
    read = _nvme_read()
    truth = host_truth([(pure.PureSource(get=lambda opts: (read, "fetched")), {"hostname": "fa1.example.com"})],
                       [HOST_NQN])
    nvme = truth["nvme"]
    assert nvme["problems"] == [] and [c["state"] for c in nvme["clusters"]] == ["read"]
    assert [(r["name"], r["nsid"]) for r in nvme["namespaces"]] == [("vol-n1", 1)]
    (c1, n1), (c2, n2) = _host_namespace(1, "live"), _host_namespace(2, "connecting")
    out = nvme_verdicts.cross_check({"controllers": [c1, c2], "namespaces": [n1, n2]}, nvme)
    assert [(v["name"], v["kind"]) for v in out["namespaces"]] == [("nvme1n1", "healthy"),
                                                                   ("nvme2n2", "stale_unmapped")], out
    assert out["namespaces"][1]["reason"].startswith("array fa1 no longer maps NSID 2 of %s" % ARRAY_NQN)
    assert [(v["name"], v["kind"]) for v in out["controllers"]] == [("nvme1", "healthy"), ("nvme2", "controller_down")]


def test_a_flasharray_whose_ports_name_two_nqns_blocks_nvme_judgement_and_one_without_nvme_none():
    """Which subsystem serves a namespace is not known with two NQNs: a problem of the host's NVMe truth (fail
    closed), never "no namespace"; an array with no NVMe port serves no NVMe device and blocks nothing."""
    for nqns, kinds in (((ARRAY_NQN, ARRAY_NQN + "x"), [("fa1", "lookup_failed")]), ((), [])):
        read = _nvme_read(nqns=nqns)
        truth = host_truth([(pure.PureSource(get=lambda opts: (read, "fetched")), {"hostname": "fa1.example.com"})],
                           ["iqn.1994-05.com.redhat:h1", HOST_NQN])
        assert truth["problems"] == []
        assert [(p["cluster"], p["kind"]) for p in truth["nvme"]["problems"]] == kinds
        assert truth["nvme"]["namespaces"] == [] and truth["clusters"][0]["array_kind"] == "pure"


def test_a_volume_whose_serial_gives_no_nguid_is_a_problem_of_the_arrays_nvme_part():
    """A volume connected over NVMe whose serial is no 24 hex digits: no NGUID, so the array's NVMe part cannot be
    read (lookup_failed there), and the lookup goes on: the SCSI part and other arrays are judged."""
    read = _nvme_read()
    read["volumes"][0]["serial"] = "9714B5CB91634C470002B2C"
    truth = host_truth([(pure.PureSource(get=lambda opts: (read, "fetched")), {"hostname": "fa1.example.com"})],
                       [HOST_NQN])
    assert truth["problems"] == [] and [c["array_kind"] for c in truth["clusters"]] == ["pure"]
    assert [(p["kind"], "not 24 hex digits" in p["msg"]) for p in truth["nvme"]["problems"]] == [("lookup_failed", True)]


def _lab_flasharray(lab_nvme, deleted_ports=False):
    """The FlashArray read (pure_records.fetch_truth's shape) the lab's NVMe target stood for in a capture of the
    real kernel (tests/lab/capture.py nvme_pure_stale): a host object with the guest's host NQN, a volume per
    namespace with its serial, a connection with its NSID per mapped one, an NVMe port per LIF (the deleted one
    left out with deleted_ports) carrying the subsystem's NQN."""
    return {"array": "sanlab-fa", "fetched_at": 1000.0, "host_groups": [], "targets": [], "warnings": [],
            "hosts": [{"name": "sanlab", "iqns": [], "wwns": [], "nqns": list(lab_nvme["host_nqns"]),
                       "host_group": None, "personality": None}],
            "volumes": [{"id": ns["name"], "name": ns["name"], "serial": ns["serial"], "provisioned": ns["size_bytes"],
                         "destroyed": False} for ns in lab_nvme["namespaces"]],
            "connections": [{"host": "sanlab", "host_group": None, "volume": ns["name"], "volume_id": ns["name"],
                             "lun": None, "nsid": ns["nsid"]} for ns in lab_nvme["namespaces"] if ns["mapped"]],
            "ports": [{"name": lif["name"], "iqn": None, "wwn": None, "nqn": lab_nvme["subsystem_nqn"],
                       "portal": "%s:4420" % lif["address"]}
                      for lif in lab_nvme["lifs"] if not (deleted_ports and lif["deleted"])]}


def test_the_kernels_flasharray_namespaces_are_judged_by_their_nguid():
    """A capture of the real kernel (bookworm; lab finding 21): namespaces with a FlashArray's NGUID and no UUID
    (sysfs uuid shows the NGUID, wwid eui.<NGUID>), namespace 2 disconnected while no controller could hear it, the
    controller to LIF a reconnecting. Judged through the module's judge (facts.collect) against the FlashArray read
    in REST form: the connected ones mapped (a path down), the disconnected one stale; with LIF a's port gone from
    the array, the disconnected one not covered (its only path goes to an address that is not the array's); another
    serial at NSID 1 uuid_mismatch. Fails when the NGUID the kernel shows is not the one the volume serial gives."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        load_captured)
    reader, lab = load_captured("nvme_pure_stale")

    def judged(read):
        truth = host_truth([(pure.PureSource(get=lambda opts: (read, "fetched")), {"hostname": "fa"})],
                           list(lab["nvme"]["host_nqns"]))
        san = facts.collect(reader, truth, probe=False)
        return dict((v["name"], v["kind"]) for v in san["nvme_verdicts"]["namespaces"]), san

    kinds, san = judged(_lab_flasharray(lab["nvme"]))
    assert kinds == {"nvme0n1": "paths_down_but_mapped", "nvme0n2": "stale_unmapped",
                     "nvme0n3": "paths_down_but_mapped"}, san["nvme_verdicts"]
    assert [ns["wwid"] for ns in san["nvme"]["namespaces"]] == [
        "eui." + pure_records.pure_nguid(ns["serial"]) for ns in lab["nvme"]["namespaces"]]
    assert judged(_lab_flasharray(lab["nvme"], deleted_ports=True))[0]["nvme0n2"] == "not_covered"
    reused = _lab_flasharray(lab["nvme"])
    reused["volumes"][0]["serial"] = "5A1AB0E2C7D94F3100000A01"
    assert judged(reused)[0]["nvme0n1"] == "uuid_mismatch"


@pytest.mark.parametrize("word", ["ture", "enabled", "Yes please"])
def test_a_validate_certs_that_is_no_yes_or_no_is_refused_never_read_as_false(word):
    """Read as false, a typo would send the API token to a server whose certificate nobody checked (review 7)."""
    with pytest.raises(AnsibleLookupError, match=r"sanfleet_pure\[0\]: validate_certs must be true or false"):
        pure.array_list([{"hostname": "fa1", "api_token": TOKEN, "validate_certs": word}], env={})
    with pytest.raises(AnsibleLookupError, match="validate_certs must be true or false"):
        pure.array_list(None, env={"PUREFA_URL": "fa1", "PUREFA_API": TOKEN, "PUREFA_VALIDATE_CERTS": word})
