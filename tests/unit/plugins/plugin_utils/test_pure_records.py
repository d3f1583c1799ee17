# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/plugin_utils/pure_records.py: the truth read from a fake FlashArray answering with the cited fixtures
(fixtures/pure/SOURCES.md), and the records and targets selected from it in the array-truth contract the judge
validates (validate.array_truth) and compares (judge/coverage.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import importlib
import json

import pydantic.v1 as pydantic_v1
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import coverage
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import pure_client, pure_records
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.pure_fake import API_TOKEN, FakeArray, fixture

# the initiators of the fixture's hosts, as a Linux host shows them: /etc/iscsi/initiatorname.iscsi
# ("InitiatorName=iqn...") and /sys/class/fc_host/host*/port_name ("0x21000024ff4cc58e")
H1_IQN = "iqn.1994-05.com.redhat:7d366003913"
H2_PORT_NAME = "0x21000024ff4cc58e"
H3_IQN = "iqn.1993-08.org.debian:01:222"
# Pure's OpenStack driver test pairs this serial with this WWN (test_pure.py test_get_wwn; SOURCES.md)
DOCUMENTED_SERIAL, DOCUMENTED_WWID = "9714B5CB91634C470002B2C8", "3624a93709714b5cb91634c470002b2c8"
# ... and with this NGUID (test_pure.py test_get_nguid; SOURCES.md)
DOCUMENTED_NGUID = "009714b5cb91634c24a937470002b2c8"
# the NVMe host of the fixtures: its NQN (CINDER INITIATOR_NQN), the array's (TARGET_NQN), and vol-nvme's NGUID
H5_NQN = "nqn.2014-08.org.nvmexpress:uuid:6953a373-c3f7-4ea8-ae77-105c393012ff"
ARRAY_NQN = "nqn.2010-06.com.purestorage:flasharray.12345abc"
VOL_NVME_NGUID = "00bba481c016391024a9374e0001d5f8"


@pytest.fixture
def array(monkeypatch):
    fake = FakeArray()
    monkeypatch.setattr(pure_client, "open_url", fake)
    return fake


@pytest.fixture
def truth(array):
    return pure_records.fetch_truth(pure_client.PureClient({"hostname": "fa1.example.com", "api_token": API_TOKEN}))


def records(truth, initiators=None, problems=None):
    return [(r["path"], r["igroup"], r["lun_id"]) for r in pure_records.lun_records(truth, initiators, problems)]


def test_the_truth_is_json_able_names_the_array_and_holds_no_token(truth):
    text = json.dumps(truth)
    assert API_TOKEN not in text and "x-auth-token" not in text
    assert (truth["format"], truth["array"], truth["array_id"], truth["api_version"]) == (
        pure_records.TRUTH_FORMAT, "pure-fa1", "6b1a7ce3-da61-0d86-65a7-9772cd259fef", "2.36")
    # api_version, login, then one GET per collection: each fits one page
    assert (truth["requests"], truth["retries"], truth["warnings"]) == (8, {}, [])
    assert "nvme" not in truth      # the NVMe part is selected from the connections, hosts and ports (nvme_state)
    assert truth["hosts"][1] == {"name": "lnx-h2", "iqns": [], "wwns": ["21000024FF4CC58E", "21000024FF4CC58F"],
                                 "nqns": [], "host_group": "hg-cluster", "personality": None}
    assert truth["volumes"][-1] == {"id": "4b6f1e3c-8d9a-4e5f-9cad-2e3f4a5b6c7d", "name": "vol-gone",
                                    "serial": "BBA481C01639104E0001D5F7", "provisioned": 1048576, "destroyed": True}
    assert truth["connections"][5] == {"host": "nvme-h5", "host_group": None, "volume": "vol-nvme",
                                       "volume_id": "3a5e0d2b-7c8f-4d4e-8b9c-1d2e3f4a5b6c", "lun": None, "nsid": 9753}


def test_a_host_with_two_volumes_gives_one_record_each_in_the_contract_shape(truth):
    problems = []
    recs = pure_records.lun_records(truth, [H1_IQN], problems)
    assert [(r["path"], r["lun_id"]) for r in recs] == [("vol-a", 1), ("vol-b", 2)]
    assert problems == []
    first = recs[0]
    assert first == {
        "cluster": "pure-fa1", "svm": None, "path": "vol-a", "uuid": "78a9e55b-d9ef-37ce-0dbd-14de74ae35d4",
        "serial": DOCUMENTED_SERIAL, "wwid": DOCUMENTED_WWID, "lun_id": 1, "igroup": "lnx-h1",
        "igroup_protocol": "iscsi", "igroup_os_type": None, "igroup_initiators": [H1_IQN], "state": "online",
        "size_bytes": 3221225472, "collected_at": truth["fetched_at"]}
    checked = validate.array_truth({"luns": recs, "targets": pure_records.array_targets(truth),
                                    "initiators": [H1_IQN], "problems": problems, "collected_at": truth["fetched_at"]})
    assert [r["wwid"] for r in checked["luns"]] == [DOCUMENTED_WWID, "3624a93708e9c7e588b16c1ea00048cca"]


def test_the_wwid_of_pures_documented_example_serial():
    """'3624a9370' + serial in lower case, as multipath shows a FlashArray volume (and a form validate accepts)."""
    assert pure_records.pure_wwid(DOCUMENTED_SERIAL) == DOCUMENTED_WWID
    assert validate.is_multipath_wwid(validate.wwid(DOCUMENTED_WWID))


def test_a_host_group_connection_is_a_record_for_each_member_host(truth):
    assert records(truth, [H3_IQN]) == [("vol-shared", "lnx-h3", 254)]
    assert records(truth, [H2_PORT_NAME]) == [("vol-shared", "lnx-h2", 254)]


def test_a_group_connection_without_its_host_is_expanded_to_the_groups_members(truth):
    """The same connection in the form naming the group alone (host empty) reaches every member the hosts read
    returned; a member count that disagrees with host-groups' host_count is a problem, not fewer records."""
    grouped = copy.deepcopy(truth)
    grouped["connections"] = [dict(c, host=None) for c in grouped["connections"] if c["volume"] == "vol-shared"][:1]
    problems = []
    assert records(grouped, None, problems) == [("vol-shared", "lnx-h2", 254), ("vol-shared", "lnx-h3", 254)]
    assert problems == []
    grouped["host_groups"][0]["host_count"] = 3
    assert len(records(grouped, None, problems)) == 2
    assert [p["kind"] for p in problems] == ["dropped_mapping"] and "host_count 3, 2 hosts read" in problems[0]["msg"]


def test_a_volume_connected_to_another_host_only_is_not_a_record(truth):
    mine = records(truth, [H1_IQN, H2_PORT_NAME, H3_IQN])
    assert "vol-other" not in [path for path, _host, _lun in mine]
    assert ("vol-other", "esx-h9", 5) in records(truth)      # it is one for its own host


@pytest.mark.parametrize("spelling", [
    H2_PORT_NAME,                         # /sys/class/fc_host/host*/port_name
    "21:00:00:24:ff:4c:c5:8e",            # multipath / lsscsi
    "21000024FF4CC58E",                   # Pure's own spelling
])
def test_an_fc_host_is_found_by_its_wwpn_in_the_forms_linux_shows(truth, spelling):
    recs = pure_records.lun_records(truth, [spelling])
    assert [(r["path"], r["igroup"], r["igroup_protocol"]) for r in recs] == [("vol-shared", "lnx-h2", "fcp")]
    assert recs[0]["igroup_initiators"] == ["21000024FF4CC58E", "21000024FF4CC58F"]


def test_an_iscsi_host_is_found_by_its_iqn_in_another_case(truth):
    assert records(truth, [H1_IQN.upper()]) == [("vol-a", "lnx-h1", 1), ("vol-b", "lnx-h1", 2)]
    assert records(truth, ["iqn.1994-05.com.redhat:nobody"]) == []


def test_every_scsi_connection_without_a_filter_and_no_nvme_one(truth):
    assert records(truth) == [("vol-a", "lnx-h1", 1), ("vol-b", "lnx-h1", 2), ("vol-other", "esx-h9", 5),
                              ("vol-shared", "lnx-h2", 254), ("vol-shared", "lnx-h3", 254)]
    esx = [r for r in pure_records.lun_records(truth) if r["igroup"] == "esx-h9"][0]
    assert esx["igroup_os_type"] == "esxi"


@pytest.mark.parametrize("broken, what", [
    ({"host": "lnx-h7"}, "connected to host lnx-h7, which the hosts read did not return"),
    ({"volume": "vol-zz", "volume_id": "00000000-0000-0000-0000-000000000000"},
     "names volume vol-zz, which the volumes read did not return"),
    ({"host": None, "host_group": "hg-gone"}, "connected to host group hg-gone, whose hosts the reads did not all"),
    ({"host": None, "host_group": None}, "names neither a host nor a host group"),
])
def test_a_connection_the_reads_cannot_place_is_a_dropped_mapping_problem(truth, broken, what):
    """Never dropped silently: the volume is mapped to someone the records cannot name."""
    truth["connections"].append(dict(truth["connections"][0], **broken))
    problems = []
    assert records(truth, [H1_IQN], problems) == [("vol-a", "lnx-h1", 1), ("vol-b", "lnx-h1", 2)]
    assert len(problems) == 1 and what in problems[0]["msg"]
    assert (problems[0]["cluster"], problems[0]["svm"], problems[0]["kind"]) == ("pure-fa1", None, "dropped_mapping")


@pytest.mark.parametrize("serial", ["9714B5CB91634C470002B2C", "9714B5CB91634C470002B2C8A", "9714B5CB-1634C470002B2C8",
                                    "", None, 9714])
def test_a_serial_that_is_not_24_hex_digits_fails_the_read(truth, serial):
    truth["volumes"][0]["serial"] = serial
    with pytest.raises(pure_client.PureError, match=r"Pure pure-fa1: volume vol-a: .* is not 24 hex digits"):
        pure_records.lun_records(truth, [H1_IQN])


def test_a_destroyed_volume_still_connected_is_a_record_in_state_destroyed(truth):
    """Still mapped for the judge (a record), and named so for whoever reads the plan."""
    truth["volumes"][0]["destroyed"] = True
    recs = pure_records.lun_records(truth, [H1_IQN])
    assert [(r["path"], r["state"]) for r in recs] == [("vol-a", "destroyed"), ("vol-b", "online")]


def test_the_targets_are_the_arrays_scsi_port_identities(truth):
    (target,) = pure_records.array_targets(truth)
    assert target == {"cluster": "pure-fa1", "svm": None,
                      "iscsi_target_names": ["iqn.2010-06.com.purestorage:flasharray.12345abc"],
                      "iscsi_addresses": ["10.0.0.1", "2001:db8::1"],      # a failed-over port still identifies
                      "fc_wwpns": ["52:4a:93:7d:74:f1:14:10"],            # ct0.fc8 has an NQN: NVMe/FC, not SCSI
                      "collected_at": truth["fetched_at"]}
    assert truth["targets"] == [target]
    assert validate.array_targets([target]) == [target]


def test_a_path_through_the_arrays_ports_is_covered_by_its_targets(truth):
    index = coverage.coverage_index(truth["targets"])
    addresses = coverage.address_index(truth["targets"])
    fc = {"transport": "fc", "target_wwpn": "0x524a937d74f11410"}
    iscsi = {"transport": "iscsi", "target_iqn": "iqn.2010-06.com.purestorage:flasharray.12345abc",
             "target_portal": "[2001:db8::1]:3260"}
    assert coverage.serving_svm(fc, index, addresses) == (("pure-fa1", None), None)
    assert coverage.serving_svm(iscsi, index, addresses) == (("pure-fa1", None), None)
    nvme_fc = {"transport": "fc", "target_wwpn": "0x524a937d74f11418"}
    assert coverage.serving_svm(nvme_fc, index, addresses)[0] is None


@pytest.mark.parametrize("portal, address", [("10.0.0.1:3260", "10.0.0.1"), ("[2001:db8::1]:3260", "2001:db8::1"),
                                             (None, None), ("", None), ("10.0.0.9", "10.0.0.9")])
def test_the_address_of_a_portal(portal, address):
    assert pure_records.portal_host(portal) == address


def test_an_arrays_answer_without_one_named_array_fails_the_read(array):
    array.answers["arrays"] = dict(array.answers["arrays"], items=[])
    with pytest.raises(pure_client.PureError, match=r"expected one array with a name, got 0 items"):
        pure_records.fetch_truth(pure_client.PureClient({"hostname": "fa1", "api_token": API_TOKEN}))


# ---------------------------------------------------------------------------------- against Pure's own models
# Every field pure_records and pure_client read, checked against Pure's own models (py-pure-client, pinned in
# requirements-dev.txt) for the REST version the client chooses, and for the lowest and highest it accepts: the name
# exists, its type is what the reader expects, and every fixture item parses as Pure's model (strict types: a LUN
# given as text, a serial as a number, fail). A field renamed or retyped by Pure, or a fixture that drifted from Pure's
# shape, fails here rather than as a mapped LUN that looks unmapped.

LIST = "list"
REF = "reference"
# what each field read is to the reader: a text, a number, a flag, a list of texts, a reference {name[, id]}
EXPECTED = {
    "id": str, "name": str, "iqns": (LIST, str), "wwns": (LIST, str), "nqns": (LIST, str), "host_group": REF,
    "personality": str, "host_count": int, "serial": str, "provisioned": int, "destroyed": bool, "host": REF,
    "volume": REF, "lun": int, "nsid": int, "iqn": str, "wwn": str, "nqn": str, "portal": str,
}
# fields read when the API gives them (an NVMe connection's NSID: Connection.nsid exists from REST 2.27)
OPTIONAL = {("connections", "nsid")}
STRICT = {str: pydantic_v1.StrictStr, int: pydantic_v1.StrictInt, bool: pydantic_v1.StrictBool}


def models(version):
    return importlib.import_module("pypureclient.flasharray.FA_%d_%d.models" % version)


def chosen_version(monkeypatch):
    fake = FakeArray()
    monkeypatch.setattr(pure_client, "open_url", fake)
    client = pure_client.PureClient({"hostname": "fa1", "api_token": API_TOKEN})
    client.connect()
    return client.api_version


def field_kind(field):
    if field.shape != pydantic_v1.fields.SHAPE_SINGLETON:
        return (LIST, next(k for k, v in STRICT.items() if field.type_ is v)) if field.type_ in STRICT.values() else LIST
    if isinstance(field.type_, type) and issubclass(field.type_, pydantic_v1.BaseModel):
        return REF
    return next((k for k, v in STRICT.items() if field.type_ is v), field.type_)


def walk(model, dotted):
    """The pydantic field at a dotted path of a model (host_group.name), or None when a part is missing."""
    field = None
    for part in dotted.split("."):
        if model is None or part not in model.__fields__:
            return None
        field = model.__fields__[part]
        model = field.type_ if isinstance(field.type_, type) and issubclass(field.type_, pydantic_v1.BaseModel) else None
    return field


@pytest.fixture(params=["chosen", "lowest", "highest"])
def version(request, monkeypatch):
    return {"chosen": lambda: chosen_version(monkeypatch), "lowest": lambda: pure_client.MIN_API_VERSION,
            "highest": lambda: pure_client.MAX_API_VERSION}[request.param]()


def test_the_client_chooses_a_version_the_sdk_has(monkeypatch):
    assert chosen_version(monkeypatch) == (2, 36)
    for version in (pure_client.MIN_API_VERSION, pure_client.MAX_API_VERSION):
        assert models(version).Host is not None
    # the lowest accepted is the lowest with the Arrays and Port models the reader needs (the SDK's model map
    # answers None for a model a version does not have)
    below = models((2, 1))
    assert (below.Arrays, below.Port) == (None, None)
    assert models(pure_client.MIN_API_VERSION).Arrays is not None and models(pure_client.MIN_API_VERSION).Port is not None


def test_every_field_read_exists_with_the_type_the_reader_expects(version):
    found = []
    for endpoint, model_name, fields in pure_records.READS:
        model = getattr(models(version), model_name)
        assert model is not None, (version, model_name)
        for dotted in fields:
            field = walk(model, dotted)
            if field is None:
                found.append((endpoint, dotted, "missing"))
                continue
            head = dotted.split(".")[0]
            kind = field_kind(model.__fields__[head])
            if kind != EXPECTED[head]:
                found.append((endpoint, dotted, kind))
            if "." in dotted and field_kind(field) is not str:
                found.append((endpoint, dotted, field_kind(field)))
    missing_ok = [(e, d, k) for e, d, k in found if k == "missing" and (e, d) in OPTIONAL and version < (2, 27)]
    assert [f for f in found if f not in missing_ok] == []


def test_every_fixture_item_parses_as_pures_model(version):
    for endpoint, model_name, _fields in pure_records.READS:
        model = getattr(models(version), model_name)
        for item in fixture(endpoint + ".json")["items"]:
            known = dict((k, v) for k, v in item.items() if k in model.__fields__)
            if version >= (2, 27) or endpoint != "connections":
                assert set(known) == set(item), (endpoint, sorted(set(item) - set(known)))
            model.parse_obj(known)      # strict types: raises on a value of another type


def test_the_paging_login_and_version_answers_are_pures_shapes(version):
    m = models(version)
    page = m.HostGetResponse.__fields__
    assert field_kind(page["continuation_token"]) is str and field_kind(page["more_items_remaining"]) is bool
    assert page["items"].shape != pydantic_v1.fields.SHAPE_SINGLETON
    for endpoint, model_name, _fields in pure_records.READS:
        m_page = getattr(m, model_name + "GetResponse", None) or getattr(m, "ArrayGetResponse")
        m_page.parse_obj(dict((k, v) for k, v in fixture(endpoint + ".json").items() if k in m_page.__fields__))
    assert field_kind(m.ApiVersionResponse.__fields__["version"]) == (LIST, str)
    m.ApiVersionResponse.parse_obj(fixture("api_version.json"))
    m.UsernameResponse.parse_obj(fixture("login.json"))
    if m.ErrorContextResponse is not None:      # in the SDK's model map from 2.49; errors[].message before too
        assert field_kind(m.ErrorContextResponse.__fields__["errors"]) == LIST
        m.ErrorContextResponse.parse_obj(fixture("error_401.json"))


# ------------------------------------------------------------------------------------------------ NVMe

def test_the_nguid_of_pures_documented_example_serial_and_the_layout_of_pures_esxi_capture():
    """Pure's OpenStack driver's example, and the layout of the capture in Pure's KB ("How To: Identify Pure Storage
    Namespaces on ESXi", eui.003b7b308d98f94224a9375e00018816): 00, 14 digits, Pure's OUI 24a937, 10 digits."""
    assert pure_records.pure_nguid(DOCUMENTED_SERIAL) == DOCUMENTED_NGUID
    captured = "003b7b308d98f94224a9375e00018816"
    assert pure_records.pure_nguid((captured[2:16] + captured[22:]).upper()) == captured
    with pytest.raises(pure_client.PureError, match="not 24 hex digits"):
        pure_records.pure_nguid("9714B5CB91634C470002B2C")


def test_the_nvme_connection_of_a_host_is_a_record_with_its_nsid_nguid_and_the_arrays_nqn(truth):
    problems = []
    assert pure_records.nvme_state(truth) == {"state": "read", "reason": None, "subsystem_nqn": ARRAY_NQN}
    (rec,) = pure_records.nvme_records(truth, {H5_NQN}, problems)
    assert problems == []
    assert {k: rec[k] for k in ("cluster", "svm", "uuid", "nguid", "name", "nsid", "subsystem_nqn", "host",
                                "host_nqns", "state", "size_bytes")} == {
        "cluster": "pure-fa1", "svm": None, "uuid": None, "nguid": VOL_NVME_NGUID, "name": "vol-nvme", "nsid": 9753,
        "subsystem_nqn": ARRAY_NQN, "host": "nvme-h5", "host_nqns": [H5_NQN], "state": "online",
        "size_bytes": 3221225472}
    # another host's NQN, or none: not this host's record; every NVMe connection without a filter
    assert pure_records.nvme_records(truth, {"nqn.2014-08.org.nvmexpress:uuid:" + "0" * 8 + "-0000-4000-8000-"
                                             + "0" * 12}) == []
    assert [r["name"] for r in pure_records.nvme_records(truth)] == ["vol-nvme"]


def test_the_nvme_targets_are_the_arrays_nqn_its_nvme_portals_and_wwns_and_the_nqns_it_knows(truth):
    assert pure_records.nvme_targets(truth) == [{
        "svm": None, "nvme_service_enabled": None, "subsystem_nqns": [ARRAY_NQN], "tcp_addresses": ["10.0.1.1"],
        "fc_wwpns": ["52:4a:93:7d:74:f1:14:18"], "subsystems": [{"nqn": ARRAY_NQN, "host_nqns": [H5_NQN]}]}]


@pytest.mark.parametrize("api_version, iqns, lun, problem", [
    ("2.26", [], 254, True), ("2.26", ["iqn.1994-05.com.redhat:55"], 254, True), (None, [], 254, True),
    ("2.36", [], 254, True),                               # nsid known, none given to a host with NQNs alone
    ("2.36.0", ["iqn.1994-05.com.redhat:55"], 254, True),  # a version that is no "M.N": not known to give nsid
    ("2.36", [], None, True), ("2.36", ["iqn.1994-05.com.redhat:55"], None, True),     # neither lun nor nsid
    ("2.36", ["iqn.1994-05.com.redhat:55"], 254, False),   # a SCSI connection of a host with both
])
def test_a_connection_whose_nsid_is_not_given_is_never_read_as_its_lun(truth, api_version, iqns, lun, problem):
    """Before REST 2.27 a connection has no nsid (Purity before 6.6 answers NVMe connections with a lun, as Pure's
    exporter capture shows), and a FlashArray's LUN is not the namespace ID the host sees (Pure's KB: NSID 100374
    for its volume): taken for the NSID, a namespace still connected would look unmapped. Unless it is a SCSI
    connection (REST 2.27 on, a host with SCSI initiators too), it is a problem, never a record."""
    truth["api_version"] = api_version
    [c for c in truth["connections"] if c["volume"] == "vol-nvme"][0].update(lun=lun, nsid=None)
    [h for h in truth["hosts"] if h["name"] == "nvme-h5"][0]["iqns"] = iqns
    problems = []
    assert pure_records.nvme_records(truth, {H5_NQN}, problems) == []
    assert [p["kind"] for p in problems] == (["unexpected_format"] if problem else []), problems
    if problem:
        assert "gives nsid None and lun %s" % lun in problems[0]["msg"], problems


def test_an_nsid_connection_to_a_host_without_nqns_is_no_record_even_for_every_mapping(truth):
    """Every mapping (no initiators): a host object left with no NQN gives no record (its host_nqns would be empty,
    which the NVMe truth's contract refuses) and no problem."""
    [h for h in truth["hosts"] if h["name"] == "nvme-h5"][0]["nqns"] = []
    problems = []
    assert pure_records.nvme_records(truth, None, problems) == [] and problems == []


def test_an_nvme_connection_whose_volume_was_not_read_is_a_problem(truth):
    """A volume created and connected between the volumes and the connections requests: for a connection that is
    or may be NVMe (an nsid, a host with NQNs, a host group) the NVMe part is incomplete, never "not connected"."""
    conn = [c for c in truth["connections"] if c["volume"] == "vol-nvme"][0]
    for change in ({"nsid": 7}, {"nsid": None, "lun": 3}):
        conn.update(change, volume="vol-new", volume_id="00000000-0000-4000-8000-000000000009")
        problems = []
        assert pure_records.nvme_records(truth, {H5_NQN}, problems) == []
        assert [p["kind"] for p in problems] == ["dropped_mapping"], (change, problems)


@pytest.mark.parametrize("nsid", [0, -1, True, "9753", 2 ** 32])
def test_an_nsid_that_is_no_namespace_id_is_a_problem_not_a_record(truth, nsid):
    [c for c in truth["connections"] if c["volume"] == "vol-nvme"][0]["nsid"] = nsid
    problems = []
    assert pure_records.nvme_records(truth, {H5_NQN}, problems) == []
    assert [p["kind"] for p in problems] == ["unexpected_format"], problems


def test_an_array_without_nvme_ports_serves_no_nvme_and_one_with_two_nqns_cannot_be_read(truth):
    nvme_ports = [p for p in truth["ports"] if p["nqn"]]
    nvme_ports[1]["nqn"] = ARRAY_NQN + "x"
    state = pure_records.nvme_state(truth)
    assert state["state"] == "unreadable" and state["reason"].startswith(pure_records.NVME_NQNS_UNCLEAR)
    assert pure_records.nvme_records(truth) == [] and pure_records.nvme_targets(truth) == []
    for port in nvme_ports:
        port["nqn"] = None
    assert pure_records.nvme_state(truth)["state"] == "no_nvme" and pure_records.nvme_records(truth) == []
