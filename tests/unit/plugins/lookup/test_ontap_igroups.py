"""sanfleet.remediation.ontap_igroups through ansible's lookup loader, against the live ONTAP simulator."""

import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap, ontap_nvme
from ansible_collections.sanfleet.remediation.tests.ontap_sim import (
    OntapSimulator, from_description, generated, lookup_plugin)

IQN1 = "iqn.1994-05.com.redhat:h1"
IQN2 = "iqn.1994-05.com.redhat:h2"
WWPNS = ["20:00:00:25:b5:00:00:01", "20:00:00:25:b5:00:00:02"]
DESC = {
    "cluster": "cl1",
    "igroups": [
        {"name": "ig_h1", "initiators": [IQN1]},
        {"name": "ig_backend", "initiators": [IQN1, IQN2]},
        {"name": "ig_fc", "protocol": "fcp", "os_type": "vmware", "initiators": WWPNS},
        {"name": "ig_empty", "initiators": []},
        {"name": "ig_other", "svm": "svm2", "initiators": ["iqn.1994-05.com.redhat:h3"]},
    ],
    "luns": [{"path": "/vol/v1/lun%d" % i, "serial": "80AbCd+/-$%02d" % i,
              "maps": [{"igroup": "ig_h1" if i % 2 else "ig_backend", "lun_id": i}]} for i in range(5)]
    + [{"path": "/vol/v1/fc0", "serial": "wxYZ0123fc00", "maps": [{"igroup": "ig_fc", "lun_id": 0}]}],
}


@pytest.fixture
def sim(tmp_path):
    with OntapSimulator(from_description(DESC), str(tmp_path)) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_memory_cache():
    ontap.clear_memory_cache()
    yield
    ontap.clear_memory_cache()


def run(sim, terms=(), **options):
    opts = sim.options(cache_ttl=0)
    opts.update(options)
    return lookup_plugin("sanfleet.remediation.ontap_igroups").run(list(terms), variables={}, **opts)


def by_name(recs):
    return {r["name"]: r for r in recs}


def test_every_igroup_with_maps_and_sharing(sim):
    """Fails when an igroup is missing, or its LUN maps, sharing or protocol are wrong."""
    recs = by_name(run(sim))
    assert set(recs) == {"ig_h1", "ig_backend", "ig_fc", "ig_empty", "ig_other"}
    assert [(m["lun_id"], m["path"]) for m in recs["ig_h1"]["lun_maps"]] == [(1, "/vol/v1/lun1"), (3, "/vol/v1/lun3")]
    assert recs["ig_h1"]["lun_maps"][0]["wwid"] == "3600a0980" + "80AbCd+/-$01".encode().hex()
    assert (recs["ig_h1"]["sharing"], recs["ig_h1"]["sharing_basis"], recs["ig_h1"]["shared"]) == \
        ("per_host", "iqn_count", False)
    assert (recs["ig_backend"]["sharing"], recs["ig_backend"]["shared"]) == ("shared", True)
    assert recs["ig_fc"]["sharing"] == "unknown" and recs["ig_fc"]["os_type"] == "vmware"
    assert recs["ig_fc"]["protocol"] == "fcp" and recs["ig_fc"]["initiators"] == WWPNS
    assert recs["ig_empty"]["sharing"] == "empty" and recs["ig_empty"]["lun_maps"] == []
    assert recs["ig_other"]["svm"] == "svm2"
    assert sim.request_count == ontap.REQUESTS_PER_CLUSTER


def test_hosts_option_judges_fc_and_iscsi(sim):
    """Fails when the hosts option does not judge which hosts share an FC or iSCSI igroup."""
    hosts = {"node1": [IQN1.upper(), "0x20000025b5000001", "0x20000025b5000002"], "node2": [IQN2]}
    recs = by_name(run(sim, hosts=hosts))
    assert (recs["ig_fc"]["sharing"], recs["ig_fc"]["hosts"], recs["ig_fc"]["sharing_basis"]) == \
        ("per_host", ["node1"], "hosts")
    assert (recs["ig_backend"]["sharing"], recs["ig_backend"]["hosts"]) == ("shared", ["node1", "node2"])
    assert recs["ig_h1"]["hosts"] == ["node1"] and recs["ig_h1"]["sharing"] == "per_host"


def test_initiator_filter_is_case_insensitive(sim):
    """Fails when the initiator filter depends on the IQN's case."""
    assert set(by_name(run(sim, [IQN2.upper()]))) == {"ig_backend"}
    assert set(by_name(run(sim, initiators=[IQN1]))) == {"ig_h1", "ig_backend"}


def test_svm_filter(sim):
    """Fails when the svm option returns igroups of another SVM or does not query by it."""
    assert set(by_name(run(sim, svm="svm2"))) == {"ig_other"}
    assert sim.requests_to("protocols/san/igroups")[0]["query"]["svm.name"] == "svm2"


def test_shares_the_cache_with_ontap_luns(sim):
    """Fails when ontap_igroups and ontap_luns do not share one cached read of the cluster."""
    run(sim, cache_ttl=60)
    lookup_plugin("sanfleet.remediation.ontap_luns").run([IQN1], variables={}, **sim.options(cache_ttl=60))
    assert sim.request_count == ontap.REQUESTS_PER_CLUSTER


def test_error_names_endpoint(sim):
    """Fails when an ONTAP error is not a lookup problem naming the endpoint and status."""
    sim.errors["protocols/san/igroups"] = (403, "not authorized for that command", "6")
    [rec] = run(sim)
    assert rec["cluster"] == "127.0.0.1" and rec["problem"]["kind"] == "lookup_failed"
    assert "GET protocols/san/igroups on 127.0.0.1 failed (HTTP 403)" in rec["problem"]["msg"]


@pytest.mark.parametrize("failure", ["wrong_password", "refused", "503"])
def test_a_cluster_that_cannot_be_read_is_a_problem_record_not_an_exception(sim, failure):
    """A raise inside the audit's igroups template killed the play before its reports."""
    opts = {}
    if failure == "wrong_password":
        opts["password"] = "Wr0ng+pa/ss"
    elif failure == "refused":
        opts["http_port"] = 1
    else:
        sim.errors["cluster"] = (503, "Service Unavailable", "0")
    [rec] = run(sim, **opts)
    assert set(rec) == {"cluster", "svm", "problem"}
    assert rec["problem"]["kind"] == "lookup_failed"
    expect = {"wrong_password": "HTTP 401", "refused": "Connection refused", "503": "HTTP 503"}[failure]
    assert expect in rec["problem"]["msg"]
    assert "Wr0ng" not in repr(rec) and "netapp1!" not in repr(rec)


def test_shared_igroups_in_a_big_cluster(tmp_path):
    """Fails when shared igroups are misjudged or requests grow with a cluster of 10,000 LUNs."""
    ds, hosts = generated(n_luns=10000, n_hosts=100, shared_igroups=2)
    with OntapSimulator(ds, str(tmp_path)) as big:
        recs = run(big, hosts=hosts)
        shared = sorted(r["name"] for r in recs if r["shared"])
        assert shared == ["ig_shared_0", "ig_shared_1"]
        assert all(r["sharing"] == "per_host" for r in recs if r["name"].startswith("ig_host"))
        assert sum(len(r["lun_maps"]) for r in recs) == len(ds.maps)
        assert big.request_count == ontap.REQUESTS_PER_CLUSTER


def test_the_audit_asks_every_cluster_any_host_names_once_each(tmp_path):
    """The audit's igroup layout runs once (run_once): built from the first host's sanfleet_ontap, it read only that
    host's cluster, and a second cluster named in another group's group_vars was never asked (nor the layout
    shown). Two groups, two clusters, this machine as both hosts (local connection; no SAN, so only the layout
    asks the array)."""
    import os
    import subprocess
    import sys

    import yaml
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with OntapSimulator(from_description(DESC), str(tmp_path / "a")) as one, \
            OntapSimulator(from_description(dict(DESC, cluster="cl2")), str(tmp_path / "b")) as two:
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "ansible_become": False}
        inventory = {"all": {"children": {
            "east": {"hosts": {"h1": local}, "vars": {"sanfleet_ontap": [one.options()]}},
            "west": {"hosts": {"h2": local}, "vars": {"sanfleet_ontap": [two.options()]}},
            # a third host naming the first cluster again: still one read of it
            "north": {"hosts": {"h3": local}, "vars": {"sanfleet_ontap": one.options()}}}}}
        (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", SANFLEET_REPORT_DIR=str(tmp_path / "reports"))
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                               "inventory.yml", "sanfleet.remediation.audit"], cwd=str(tmp_path), env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        assert len(one.requests_to("protocols/san/igroups")) == 1
        assert len(two.requests_to("protocols/san/igroups")) == 1
        html = (tmp_path / "reports" / "fleet.html").read_text()
        assert "netapp1!" not in proc.stdout + proc.stderr + html


NQN1 = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
NQN2 = "nqn.2014-08.org.nvmexpress:uuid:66666666-7777-8888-9999-000000000000"
NQN3 = "nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
NVME_DESC = dict(DESC, svms=["svm1"], nvme={"svm1": {
    "addresses": ["192.0.2.31"],
    "subsystems": [{"name": "sub_h1", "hosts": [NQN1], "namespaces": [{"path": "/vol/nv/ns1", "nsid": 1}]},
                   {"name": "sub_both", "hosts": [NQN1, NQN2], "namespaces": [{"path": "/vol/nv/ns2", "nsid": 1}]},
                   {"name": "sub_h3", "hosts": [NQN3], "namespaces": [{"path": "/vol/nv/ns3", "nsid": 1}]}]}})


def test_nvme_subsystems_come_as_igroups_of_their_host_nqns(tmp_path):
    """The subsystems that allow a given host NQN come beside the igroups, in their shape (protocol nvme, the
    allowed NQNs as initiators, no LUN maps), judged per host against the inventory, at no extra request. Fails
    when a subsystem of another host comes back, one that allows two inventory hosts is not shared, or an NQN is
    matched in another case (NQNs compare exactly)."""
    with OntapSimulator(from_description(NVME_DESC), str(tmp_path)) as sim:
        everything = run(sim)
        count = sim.request_count
        recs = by_name(run(sim, [IQN1, NQN1, NQN2.upper().replace("NQN.", "nqn.")],
                           hosts={"n1": [NQN1, IQN1], "n2": [NQN2]}))
    assert {r["name"] for r in everything if r["protocol"] == "nvme"} == {"sub_h1", "sub_both", "sub_h3"}
    assert count == ontap.REQUESTS_PER_CLUSTER + ontap_nvme.NVME_REQUESTS_WITH_SERVICE \
        - ontap_nvme.NVME_REQUESTS_WITHOUT_SERVICE
    assert "sub_h3" not in recs and {"ig_h1", "ig_backend"} <= set(recs)
    both, own = recs["sub_both"], recs["sub_h1"]
    assert (both["protocol"], both["initiators"], both["lun_maps"]) == ("nvme", [NQN1, NQN2], [])
    assert (both["sharing"], both["sharing_basis"], both["hosts"], both["shared"]) == ("shared", "hosts", ["n1", "n2"], True)
    assert (own["sharing"], own["hosts"]) == ("per_host", ["n1"])


@pytest.mark.parametrize("version", ["9.8", "9.17.1"])
def test_the_lookup_reads_netapps_documented_answers(tmp_path, version):
    """The igroup and subsystem records of NetApp's documented answers (tests/unit/fixtures/ontap/<version>/), through
    the lookup: the documented initiator objects become the igroup's initiators as ONTAP spells them, the documented
    WWPN in another spelling finds its igroup, the LUN's map carries its WWID and LUN id, and the documented
    subsystem allows its three documented host NQNs."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import (
        documented_answers, joined_documented, serve_documented)
    with OntapSimulator(from_description({"cluster": "unused"}), str(tmp_path)) as server:
        serve_documented(server, joined_documented(documented_answers(version)))
        recs = run(server, ["20-01-00-50-56-BB-70-72", "nqn.1992-01.com.example:subsys1.host3"])
    igroups = by_name(r for r in recs if r["protocol"] != "nvme")
    assert sorted(igroups) == (["igroup2"] if version == "9.8" else ["igroup2", "igroup3"])
    assert igroups["igroup2"]["initiators"] == ["20:01:00:50:56:bb:70:72", "iqn.1991-05.com.ms:host1"]
    assert [(m["lun_id"], m["wwid"], m["serial"]) for m in igroups["igroup2"]["lun_maps"]] == [
        (0, "3600a098077663049712b4e3475636b33", "wf0Iq+N4uck3")]
    (sub,) = [r for r in recs if r["protocol"] == "nvme"]
    assert sub["nqn"] == "nqn.1992-08.com.netapp:sn.d04594ef915b4c73b642169e72e4c0b1:subsystem.subsystem1"
    assert sub["initiators"] == ["nqn.1992-01.com.example:subsys1.host%d" % n for n in (1, 2, 3)]
    assert (sub["sharing"], sub["cluster"]) == ("shared", "cluster1")
