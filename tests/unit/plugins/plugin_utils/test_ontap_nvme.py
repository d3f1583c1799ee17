"""plugin_utils/ontap_nvme.py against the ONTAP simulator: the NVMe reads beside the SAN ones (bulk, paging, a cut
or refused read is unreadable, "no NVMe" only when ONTAP says so), the NVMe truth records, and the fields checked
against the netapp-ontap library's schemas."""

import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap, ontap_nvme
from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_description
from ansible_collections.sanfleet.remediation.tests.ontap_sim.schema import unknown_fields

H1 = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
H2 = "nqn.2014-08.org.nvmexpress:uuid:66666666-7777-8888-9999-000000000000"
DESC = {
    "cluster": "cl1",
    "svms": ["svm1", "svm2"],
    "igroups": [{"name": "ig_h1", "svm": "svm1", "initiators": ["iqn.1994-05.com.redhat:h1"]}],
    "luns": [{"path": "/vol/v1/lun1", "svm": "svm1", "serial": "80AbCd+/-$01", "maps": [{"igroup": "ig_h1", "lun_id": 1}]}],
    "nvme": {"svm1": {"addresses": ["192.0.2.31", "192.0.2.32"],
                      "subsystems": [{"name": "sub_h1", "hosts": [H1],
                                      "namespaces": [{"path": "/vol/nv1/ns%d" % i, "nsid": i} for i in (1, 2, 3)]},
                                     {"name": "sub_h2", "hosts": [H2],
                                      "namespaces": [{"path": "/vol/nv1/other", "nsid": 1}]}],
                      "unmapped": ["/vol/nv1/loose"]}},
}
# the SAN truth's collections, nvme/services, then subsystems, namespaces, subsystem-maps, NVMe/TCP LIFs
WITH_NVME = ontap.REQUESTS_PER_CLUSTER + ontap_nvme.NVME_REQUESTS_WITH_SERVICE - ontap_nvme.NVME_REQUESTS_WITHOUT_SERVICE


@pytest.fixture
def sim(tmp_path):
    with OntapSimulator(from_description(DESC), str(tmp_path)) as server:
        yield server


pytestmark = pytest.mark.usefixtures("fresh_ontap_memory_cache")


def host_truth(sim, initiators=(H1,), **extra):
    return ontap.array_truth(ontap.cluster_list(sim.options(cache_ttl=0, **extra)), list(initiators), "t")


def test_nvme_is_read_in_bulk_with_named_fields_beside_the_san_truth(sim):
    """Each NVMe collection is one request with the fields the records use (an unnamed expensive field such as
    anagrpid would come back absent), filtered to NVMe/TCP LIFs on the server."""
    truth = ontap.fetch_truth(ontap.OntapClient(sim.options(), "t"))
    assert truth["nvme"]["state"] == "read" and sim.request_count == truth["requests"] == WITH_NVME == 11
    assert sim.requests_to("protocols/nvme/subsystems")[0]["query"] == {"fields": ontap_nvme.NVME_SUBSYSTEM_FIELDS}
    assert sim.requests_to("storage/namespaces")[0]["query"] == {"fields": ontap_nvme.NAMESPACE_FIELDS}
    assert sim.requests_to("protocols/nvme/subsystem-maps")[0]["query"] == {"fields": ontap_nvme.NVME_MAP_FIELDS}
    lifs = [e["query"] for e in sim.requests_to("network/ip/interfaces")]
    assert {"services": "data_nvme_tcp", "fields": ontap_nvme.NVME_INTERFACE_FIELDS} in lifs
    assert {m["anagrpid"] for m in truth["nvme"]["maps"]} == {"00000001h", "00000002h", "00000003h"}
    assert "netapp1!" not in json.dumps(truth)


def test_nvme_records_are_the_namespaces_of_the_subsystems_that_allow_the_host_nqn(sim):
    """A host gets the namespaces mapped to subsystems holding its NQN, each with the subsystem NQN (the target
    identity), its host NQNs and the SVM's NVMe/TCP LIFs with their state; not another host's, not unmapped ones."""
    nvme = host_truth(sim, ["iqn.1994-05.com.redhat:h1", H1.upper()])["nvme"]
    assert nvme["problems"] == [] and nvme["host_nqns"] == [H1]
    assert [r["name"] for r in nvme["namespaces"]] == ["/vol/nv1/ns1", "/vol/nv1/ns2", "/vol/nv1/ns3"]
    rec = nvme["namespaces"][0]
    assert rec["subsystem"] == "sub_h1" and rec["subsystem_nqn"].endswith(":subsystem.sub_h1")
    assert rec["subsystem_nqn"].startswith("nqn.1992-08.com.netapp:sn.") and rec["host_nqns"] == [H1]
    # the map's nsid "00000001h" (ONTAP's documented form) as the host's sysfs gives it
    assert rec["nsid"] == 1 and rec["anagrpid"] == 1 and rec["state"] == "online" and rec["size_bytes"] == 1 << 30 and rec["cluster"] == "cl1"
    assert sorted((lif["address"], lif["state"]) for lif in rec["tcp_lifs"]) == [("192.0.2.31", "up"), ("192.0.2.32", "up")]
    assert rec["uuid"] and rec["subsystem_serial"] and rec["collected_at"] == nvme["collected_at"]
    (target,) = nvme["targets"]
    assert target["svm"] == "svm1" and target["nvme_service_enabled"] is True and target["cluster"] == "cl1"
    assert sorted(target["subsystem_nqns"]) == sorted(s["target_nqn"] for s in sim.dataset.nvme_subsystems)
    assert sorted(target["tcp_addresses"]) == ["192.0.2.31", "192.0.2.32"]
    assert [(c["cluster"], c["state"]) for c in nvme["clusters"]] == [("cl1", "read")]


def test_a_host_without_an_nqn_gets_no_nvme_record_and_covers_no_nqn(sim):
    """The NVMe records are read for the host NQNs given: IQNs alone select no namespace (and name no host NQN the
    family could be covered by); no initiators at all reads every mapping ("*")."""
    nvme = host_truth(sim, ["iqn.1994-05.com.redhat:h1"])["nvme"]
    assert nvme["namespaces"] == [] and nvme["host_nqns"] == []
    every = ontap.array_truth(ontap.cluster_list(sim.options(cache_ttl=0)), None, "t")["nvme"]
    assert every["host_nqns"] == ["*"] and len(every["namespaces"]) == 4


def test_nvme_reads_follow_the_pages(sim):
    """ONTAP ending pages early (return_timeout) must not lose namespaces or maps: a missing map makes a mapped
    namespace look unmapped."""
    sim.page_cap = 1
    nvme = host_truth(sim)["nvme"]
    assert len(nvme["namespaces"]) == 3 and nvme["problems"] == []
    assert len(sim.requests_to("storage/namespaces")) == 5 and len(sim.requests_to("protocols/nvme/subsystem-maps")) == 4


@pytest.mark.parametrize("api", ["protocols/nvme/services", "storage/namespaces", "protocols/nvme/subsystem-maps"])
def test_a_cut_nvme_page_makes_the_nvme_truth_unreadable_not_smaller(sim, api):
    """A page holding fewer records than its num_records is a failed NVMe read (a problem of the NVMe truth), never
    a complete one, and never "no NVMe"; the SCSI truth of the same cluster stays usable."""
    sim.short_pages[api] = 1
    truth = host_truth(sim, ["iqn.1994-05.com.redhat:h1", H1])
    nvme = truth["nvme"]
    assert [(c["state"]) for c in nvme["clusters"]] == ["unreadable"]
    assert [p["kind"] for p in nvme["problems"]] == ["lookup_failed"] and "num_records" in nvme["problems"][0]["msg"]
    assert nvme["namespaces"] == [] and nvme["targets"] == []
    assert truth["problems"] == [] and len(truth["luns"]) == 1


@pytest.mark.parametrize("status,message,code", [
    (403, "not authorized for that command", 6),
    (500, "Internal error. Wait a few minutes, then try the command again.", 8),
    (400, "NVMe is not allowed for the specified SVM.", 2621507),
])
def test_a_refused_nvme_read_is_unreadable(sim, status, message, code):
    """A login without rights on the NVMe API, an internal error or any other error code is not "this cluster
    serves no NVMe": the NVMe truth is unreadable (fail closed), named with ONTAP's message and code."""
    sim.errors["protocols/nvme/subsystems"] = (status, message, code)
    nvme = host_truth(sim)["nvme"]
    assert nvme["clusters"][0]["state"] == "unreadable" and nvme["targets"] == []
    assert "(code %s)" % code in nvme["problems"][0]["msg"] and "HTTP %d" % status in nvme["problems"][0]["msg"]


def test_the_nvme_license_error_code_means_no_nvme(sim):
    """ONTAP's error code 1115127 ("The cluster lacks a valid NVMe license.") proves the cluster serves no NVMe:
    covered, no NVMe target, no problem; the message says why."""
    sim.errors["protocols/nvme/services"] = (400, "The cluster lacks a valid NVMe license.", 1115127)
    nvme = host_truth(sim)["nvme"]
    assert nvme["problems"] == [] and nvme["targets"] == [] and nvme["namespaces"] == []
    assert nvme["clusters"][0]["state"] == "no_nvme" and "NVMe license" in nvme["clusters"][0]["reason"]


def test_a_cluster_without_an_nvme_service_is_no_nvme_in_one_request(tmp_path):
    """No SVM with an NVMe service (ONTAP's answer, a collection with no record) is "no NVMe", read with one request
    (the SAN-only cluster pays one GET for it)."""
    with OntapSimulator(from_description(dict(DESC, nvme={})), str(tmp_path)) as server:
        truth = host_truth(server)
        assert truth["nvme"]["clusters"][0]["state"] == "no_nvme" and truth["nvme"]["problems"] == []
        assert server.request_count == ontap.REQUESTS_PER_CLUSTER
        assert server.requests_to("protocols/nvme/subsystems") == []


def test_an_nvme_answer_without_records_is_unreadable_not_no_nvme(sim):
    """An empty 200 or a proxy's page on the NVMe services is no proof of "no NVMe service": unreadable."""
    sim.raw_answers["protocols/nvme/services"] = (200, "")
    nvme = host_truth(sim)["nvme"]
    assert nvme["clusters"][0]["state"] == "unreadable" and nvme["problems"][0]["kind"] == "lookup_failed"


def test_a_map_to_a_subsystem_the_subsystems_read_did_not_return_is_a_problem(sim):
    """A subsystem created between the subsystems and the maps reads: its namespaces' records would be missing, so
    the NVMe truth names the dropped mapping as a problem."""
    sim.dataset.nvme_subsystems = [s for s in sim.dataset.nvme_subsystems if s["name"] != "sub_h1"]
    nvme = host_truth(sim)["nvme"]
    assert {p["kind"] for p in nvme["problems"]} == {"dropped_mapping"} and len(nvme["problems"]) == 3


def test_a_subsystem_nqn_of_two_svms_is_a_problem(tmp_path):
    """One subsystem NQN under two SVMs (identity-preserving SVM DR, a clone): which SVM serves a controller to it
    is unknown, so "absent from the records" proves nothing there."""
    nqn = "nqn.1992-08.com.netapp:sn.0123:subsystem.dr"
    desc = dict(DESC, nvme={"svm1": {"subsystems": [{"name": "dr", "hosts": [H1], "nqn": nqn}]},
                            "svm2": {"subsystems": [{"name": "dr", "hosts": [H1], "nqn": nqn}]}})
    with OntapSimulator(from_description(desc), str(tmp_path)) as server:
        nvme = host_truth(server)["nvme"]
        assert [p["kind"] for p in nvme["problems"]] == ["duplicate_target_identity"]
        assert nqn in nvme["problems"][0]["msg"]


def test_a_failed_cluster_read_is_a_problem_of_the_nvme_truth_too(sim):
    """A cluster that cannot be read at all covers no NVMe device either: its lookup_failed is in both lists."""
    clusters = ontap.cluster_list(sim.options(cache_ttl=0))
    sim.users["admin"] = "rotated"
    truth = ontap.array_truth(clusters, [H1], "t")
    assert [p["kind"] for p in truth["problems"]] == ["lookup_failed"]
    assert [p["kind"] for p in truth["nvme"]["problems"]] == ["lookup_failed"] and truth["nvme"]["clusters"] == []


def test_the_nvme_read_is_cached_with_the_cluster_read(sim):
    """The NVMe read shares the run cache of the cluster read: a second host costs no request."""
    clusters = ontap.cluster_list(sim.options())
    first = ontap.array_truth(clusters, [H1], "t")
    count = sim.request_count
    second = ontap.array_truth(clusters, [H2], "t")
    assert sim.request_count == count == WITH_NVME
    assert [r["name"] for r in first["nvme"]["namespaces"]] != [r["name"] for r in second["nvme"]["namespaces"]]
    assert [r["name"] for r in second["nvme"]["namespaces"]] == ["/vol/nv1/other"]


def test_the_simulator_returns_expensive_nvme_fields_only_when_named(sim):
    """The simulator must behave as ONTAP does, or a client forgetting to name subsystem_map or anagrpid would pass
    here and get nothing from a real cluster."""
    body = ontap.OntapClient(sim.options(), "t").get_all("storage/namespaces", {"fields": "*"})
    assert body and all("subsystem_map" not in r and "mapped" not in r["status"] for r in body)
    maps = ontap.OntapClient(sim.options(), "t").get_all("protocols/nvme/subsystem-maps", {"fields": "*"})
    assert maps and all("anagrpid" not in m for m in maps)


def test_every_field_the_nvme_reads_ask_for_is_in_the_netapp_ontap_schema():
    """A field name ONTAP does not know is an error on a real cluster (the simulator, built by hand, could agree
    with a typo): every NVMe field and filter is checked against netapp-ontap's resource schemas."""
    from netapp_ontap import resources     # requirements-dev.txt: netapp-ontap
    asked = [(resources.NvmeService, ontap_nvme.NVME_SERVICE_FIELDS),
             (resources.NvmeSubsystem, ontap_nvme.NVME_SUBSYSTEM_FIELDS),
             (resources.NvmeNamespace, ontap_nvme.NAMESPACE_FIELDS),
             (resources.NvmeSubsystemMap, ontap_nvme.NVME_MAP_FIELDS),
             (resources.IpInterface, ontap_nvme.NVME_INTERFACE_FIELDS + ",services,svm.name")]
    assert {cls.__name__: unknown_fields(cls, fields) for cls, fields in asked} == {cls.__name__: [] for cls, x in asked}
    assert unknown_fields(resources.NvmeNamespace, "uuid,nguid,subsystem_map.nsid") == ["nguid"]   # the check can fail


def test_the_truth_read_from_the_array_judges_the_captured_host_as_the_lab_left_it(tmp_path):
    """End to end without a VM: the simulator serves the NVMe SVM the lab had (nvme_stale: namespace 2 unmapped),
    the lookup reads it for the host NQN the guest's controllers connected with, and the NVMe judge on the captured
    host finds namespace 2 stale while the SVM still has LIF 127.0.0.5. Read for another host's NQN, the same array
    proves nothing about this host. With LIF 127.0.0.5 deleted (as the lab left it) the controller to it is
    lif_gone, and namespace 2, reached only there, is not judged."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_verdicts
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import from_lab_truths
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        load_captured)
    reader, lab = load_captured("nvme_stale")
    san = reader.snapshot(probe=False)
    nqns = [i for i in san["host"]["initiators"] if i.startswith("nqn.")]
    assert nqns == lab["nvme"]["host_nqns"]
    kept = dict(lab["nvme"], lifs=[dict(lif, deleted=False) for lif in lab["nvme"]["lifs"]])
    for svm, initiators, expected, dead in ((kept, san["host"]["initiators"], "stale_unmapped", "controller_down"),
                                            (kept, [H2], "not_covered", "controller_down"),
                                            (lab["nvme"], san["host"]["initiators"], "not_covered", "lif_gone")):
        work = tmp_path / str(len(list(tmp_path.iterdir())))
        work.mkdir()
        with OntapSimulator(from_lab_truths([lab, svm]), str(work)) as server:
            truth = ontap.array_truth(ontap.cluster_list(server.options(cache_ttl=0)), list(initiators), "t")
        judged = nvme_verdicts.cross_check(san["nvme"], truth["nvme"])
        assert dict((v["name"], v["kind"]) for v in judged["namespaces"])["nvme0n2"] == expected, judged
        assert [c["kind"] for c in judged["controllers"] if c["state"] != "live"] == [dead]


def test_each_subsystem_carries_the_host_nqns_it_allows_as_read(sim):
    """targets[].subsystems lists each subsystem of the SVM with the host NQNs its hosts list allows (what the NVMe
    family's judge reads as `host_allowed`), another host's subsystem included: the one proof that a subsystem has
    nothing left for a host is its hosts list without that host."""
    (target,) = host_truth(sim)["nvme"]["targets"]
    allowed = dict((s["nqn"].rsplit(".", 1)[-1], s["host_nqns"]) for s in target["subsystems"])
    assert allowed == {"sub_h1": [H1], "sub_h2": [H2]}


@pytest.mark.parametrize("hosts,read", [
    ([{"nqn": H1}], [H1]),
    ([], []),
    (None, None),
    ("nqn.x", None),
    ([{"nqn": H1}, {"name": "no nqn"}], None),
    ([{"nqn": ""}], None),
])
def test_a_subsystem_hosts_list_that_is_missing_or_odd_is_not_read_never_empty(hosts, read):
    """A hosts list ONTAP did not give whole (missing, not a list, an entry without an NQN) is unknown (None), so
    that no controller is deleted on a cut answer; only a real list counts, an empty one included."""
    rec = {"uuid": "u", "name": "s", "svm": {"name": "svm1"}, "target_nqn": "nqn.1992-08.com.netapp:sn.1:subsystem.s"}
    if hosts is not None:
        rec["hosts"] = hosts
    nvme = {"state": "read", "services": [], "lifs": [], "subsystems": [ontap_nvme._slim_subsystem(rec)]}  # pylint: disable=protected-access
    assert ontap_nvme.nvme_targets(nvme)[0]["subsystems"] == [{"nqn": rec["target_nqn"], "host_nqns": read}]


@pytest.mark.parametrize("nsid", ["1", "00000001", 1, None, "0x00000001"])
def test_a_subsystem_map_whose_nsid_is_not_ontaps_documented_text_is_a_problem_not_a_guess(sim, nsid):
    """ONTAP documents a map's nsid as "00000001h" (REST API reference, /protocols/nvme/subsystem-maps): an answer in
    any other shape is not read as a number (a zero-led "00000010" is 16 or 10), its record is left out and the NVMe
    truth says why, so no NVMe device is judged on it; the SCSI truth is untouched."""
    sim.dataset.nvme_maps[0]["nsid"] = nsid
    truth = host_truth(sim)
    nvme = truth["nvme"]
    assert [p["kind"] for p in nvme["problems"]] == ["unexpected_format"]
    assert "documented form" in nvme["problems"][0]["msg"] and repr(nsid) in nvme["problems"][0]["msg"]
    assert len(nvme["namespaces"]) == 2 and truth["problems"] == []


@pytest.mark.parametrize("version,anagrpid,tcp", [("9.8", 0x00103050, []), ("9.17.1", 1, ["10.10.10.7"])])
def test_the_nvme_reads_turn_netapps_documented_answers_into_the_host_identities(tmp_path, version, anagrpid, tcp):
    """Through the real client and readers, NetApp's documented answers (tests/unit/fixtures/ontap/<version>/) give
    the namespace at the NSID the host's sysfs shows (00000001h is 1), its ANA group as a number (the 9.8 model's
    00103050h), the subsystem's NQN, serial and documented host NQNs, the NVMe/TCP LIF (none in 9.8, whose services
    have no data_nvme_tcp) and the FC-NVMe LIF's WWPN as an NVMe target of its SVM, never a SCSI one."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import (
        documented_answers, joined_documented, serve_documented)
    host = "nqn.1992-01.com.example:subsys1.host2"
    with OntapSimulator(from_description({"cluster": "unused"}), str(tmp_path)) as server:
        serve_documented(server, joined_documented(documented_answers(version)))
        nvme = host_truth(server, [host])["nvme"]
    assert nvme["problems"] == [] and [c["state"] for c in nvme["clusters"]] == ["read"]
    (rec,) = nvme["namespaces"]
    assert (rec["nsid"], rec["anagrpid"]) == (1, anagrpid)
    assert isinstance(rec["nsid"], int) and not isinstance(rec["nsid"], bool)
    assert (rec["uuid"], rec["name"], rec["svm"], rec["state"], rec["size_bytes"], rec["os_type"]) == (
        "dccdc3e6-cf4e-498f-bec6-f7897f945669", "/vol/vol1/namespace1", "svm1", "online", 322122547200, "linux")
    assert rec["subsystem_nqn"] == "nqn.1992-08.com.netapp:sn.d04594ef915b4c73b642169e72e4c0b1:subsystem.subsystem1"
    assert (rec["subsystem"], rec["subsystem_serial"]) == ("subsystem1", "wtJNKNKD-uPLAAAAAAAD")
    assert rec["host_nqns"] == ["nqn.1992-01.com.example:subsys1.host%d" % n for n in (1, 2, 3)]
    assert [lif["address"] for lif in rec["tcp_lifs"]] == tcp and rec["fc_lifs"] == []
    targets = dict((t["svm"], t) for t in nvme["targets"])
    assert targets["svm1"]["subsystem_nqns"] == [rec["subsystem_nqn"]] and targets["svm1"]["tcp_addresses"] == tcp
    assert targets["svm1"]["nvme_service_enabled"] is True and targets["svm1"]["fc_wwpns"] == []
    assert targets["svm3"]["fc_wwpns"] == ["20:05:00:50:56:bb:a0:e0"] and targets["svm3"]["subsystem_nqns"] == []


def test_the_nvme_fc_lifs_come_with_the_fc_interfaces_read_at_no_request_of_their_own(tmp_path):
    """The FC interfaces request of the SAN read carries both data protocols: the FC-NVMe LIFs' WWPNs are the NVMe
    targets of their SVM (and its records' fc_lifs, state and all), the FCP LIFs' are SCSI targets only, and the
    cluster read costs the same requests as without NVMe/FC."""
    desc = dict(DESC, targets={"svm1": {"fc_wwpns": ["20:04:00:50:56:bb:a0:e0"]}},
                nvme={"svm1": dict(DESC["nvme"]["svm1"], fc_wwpns=["20:05:00:50:56:bb:a0:e0"], lif_state="down")})
    with OntapSimulator(from_description(desc), str(tmp_path)) as server:
        truth = host_truth(server)
        assert server.request_count == WITH_NVME and len(server.requests_to("network/fc/interfaces")) == 1
    (target,) = truth["nvme"]["targets"]
    assert target["fc_wwpns"] == ["20:05:00:50:56:bb:a0:e0"]
    assert [t["fc_wwpns"] for t in truth["targets"] if t["svm"] == "svm1"] == [["20:04:00:50:56:bb:a0:e0"]]
    assert truth["nvme"]["namespaces"][0]["fc_lifs"] == [
        {"name": "svm1_nvme_fc_0", "wwpn": "20:05:00:50:56:bb:a0:e0", "state": "down", "enabled": True}]


@pytest.mark.parametrize("lifs,bad", [
    ("fc_interfaces", {"wwpn": "2005005056bba0e0"}),      # not ONTAP's documented spelling: never guessed
    ("fc_interfaces", {"wwpn": None}),
    ("ip_interfaces", {"ip": {}}),
])
def test_an_nvme_lif_without_its_documented_identity_is_a_problem_not_a_shorter_list(sim, lifs, bad):
    """An NVMe LIF whose address or WWPN did not come in the documented form would leave the SVM's list one short,
    and a controller to it would look like one whose LIF is gone (deleted with the opt-in): the NVMe truth names it
    (unexpected_format), so nothing NVMe is judged on it; the SCSI truth is untouched."""
    sim.dataset.set_nvme("svm1", fc_wwpns=["20:05:00:50:56:bb:a0:e0"])
    rec = [r for r in getattr(sim.dataset, lifs) if r["svm"]["name"] == "svm1" and "nvme" in r["name"]][0]
    rec.update(bad)
    truth = host_truth(sim)
    assert [p["kind"] for p in truth["nvme"]["problems"]] == ["unexpected_format"]
    assert rec["name"] in truth["nvme"]["problems"][0]["msg"] and truth["problems"] == []


def test_an_nvme_fc_wwpn_of_two_svms_is_a_problem(tmp_path):
    """One NVMe/FC port listed under two SVMs (identity-preserving SVM DR, a clone): which SVM a controller to it
    reaches is unknown, so the NVMe truth names it and nothing NVMe is judged on it."""
    wwpn = "20:05:00:50:56:bb:a0:e0"
    desc = dict(DESC, nvme={"svm1": dict(DESC["nvme"]["svm1"], fc_wwpns=[wwpn]), "svm2": {"fc_wwpns": [wwpn.upper()]}})
    with OntapSimulator(from_description(desc), str(tmp_path)) as server:
        nvme = host_truth(server)["nvme"]
    assert [p["kind"] for p in nvme["problems"]] == ["duplicate_target_identity"]
    assert "2005005056bba0e0" in nvme["problems"][0]["msg"]
