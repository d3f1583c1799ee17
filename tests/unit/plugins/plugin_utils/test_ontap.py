# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/plugin_utils/ontap.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import ssl
import time
import urllib.request

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap, ontap_records, truth_cache
from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_description, generated
from ansible_collections.sanfleet.remediation.tests.ontap_sim.schema import unknown_fields


@pytest.mark.parametrize("spelling", ["50:0A:09:81:00:00:00:01", "0x500a098100000001", "50-0a-09-81-00-00-00-01",
                                      "500A098100000001"])
def test_the_controller_and_the_host_key_an_initiator_alike(spelling):
    """ONTAP's aa:bb:... was the controller's key, bare hex the host's."""
    assert ontap.normalize_initiator(spelling) == identity.normalize_initiator(spelling) == "500a098100000001"
    # what the truth shows keeps ONTAP's spelling
    assert ontap.ontap_wwpn(spelling) == "50:0a:09:81:00:00:00:01"


def test_an_iqn_keys_alike_on_both_sides():
    """Fails when the controller and the host key one IQN differently."""
    iqn = " IQN.2024-01.lab.san:Initiator "
    assert ontap.normalize_initiator(iqn) == identity.normalize_initiator(iqn) == "iqn.2024-01.lab.san:initiator"
    assert ontap.ontap_wwpn(iqn) == "iqn.2024-01.lab.san:initiator"


DESC = {
    "cluster": "cl1",
    "svms": ["svm1", "svm2"],
    "igroups": [
        {"name": "ig_h1", "svm": "svm1", "initiators": ["iqn.1994-05.com.redhat:h1"]},
        {"name": "ig_shared", "svm": "svm1", "initiators": ["iqn.1994-05.com.redhat:h1", "iqn.1994-05.com.redhat:h2"]},
        {"name": "ig_fc", "svm": "svm2", "protocol": "fcp", "initiators": ["20:00:00:25:b5:00:00:01",
                                                                           "20:00:00:25:b5:00:00:02"]},
    ],
    "luns": [{"path": "/vol/v1/lun%d" % i, "svm": "svm1", "serial": "80AbCd+/-$%02d" % i,
              "maps": [{"igroup": "ig_h1" if i % 2 else "ig_shared", "lun_id": i}]} for i in range(7)]
    + [{"path": "/vol/v2/fc%d" % i, "svm": "svm2", "serial": "wxYZ0123fc%02d" % i, "state": "offline",
        "maps": [{"igroup": "ig_fc", "lun_id": 10 + i}]} for i in range(3)],
}


@pytest.fixture
def sim(tmp_path):
    with OntapSimulator(from_description(DESC), str(tmp_path)) as server:
        yield server


pytestmark = pytest.mark.usefixtures("fresh_ontap_memory_cache")


def client(sim, **extra):
    return ontap.OntapClient(sim.options(**extra), "sanfleet.remediation.test")


def raw_get(sim, path, auth=("admin", "netapp1!")):
    ctx = ssl.create_default_context(cafile=sim.ca_path)
    req = urllib.request.Request("https://127.0.0.1:%d%s" % (sim.port, path))
    if auth:
        import base64
        req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
    try:
        with urllib.request.urlopen(req, context=ctx) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


# ------------------------------------------------------------------------------------------ the simulator


def test_simulator_speaks_ontap_shapes(sim):
    """Fails when the ONTAP simulator's answers, fields or paging differ from ONTAP's."""
    status, body = raw_get(sim, "/api/storage/luns")
    assert status == 200 and body["num_records"] == 10
    assert set(body["records"][0]) == {"uuid", "name", "_links"}          # key fields only by default
    status, body = raw_get(sim, "/api/storage/luns?fields=status&max_records=1")
    assert "mapped" not in body["records"][0]["status"]                   # expensive: only when named
    assert body["_links"]["next"]["href"].startswith("/api/storage/luns?")
    assert "start.uuid=" in body["_links"]["next"]["href"]
    status, body = raw_get(sim, "/api/storage/luns?fields=status.mapped,lun_maps&max_records=1")
    assert body["records"][0]["status"] == {"mapped": True}
    assert body["records"][0]["lun_maps"][0]["logical_unit_number"] >= 0
    status, body = raw_get(sim, "/api/protocols/san/lun-maps?igroup.initiators=IQN.1994-05.com.redhat:H2"
                                "&fields=logical_unit_number,igroup.name")
    assert {r["igroup"]["name"] for r in body["records"]} == {"ig_shared"}


def test_simulator_errors_look_like_ontap(sim):
    """Fails when the ONTAP simulator's errors differ from ONTAP's, or are not logged."""
    status, body = raw_get(sim, "/api/storage/luns?bogus=1")
    assert status == 400
    assert body == {"error": {"message": 'Unexpected argument "bogus".', "code": "262179", "target": "bogus"}}
    status, body = raw_get(sim, "/api/storage/luns", auth=("admin", "wrong"))
    assert status == 401 and body["error"]["code"] == "6"
    assert [e["status"] for e in sim.request_log] == [400, 401]


# ------------------------------------------------------------------------------------------ paging


def test_get_all_follows_next_across_pages(sim):
    """Fails when paging does not follow next links with the same query until the end."""
    sim.page_cap = 3            # ONTAP stopping early (return_timeout) even though max_records is larger
    c = client(sim)
    recs = c.get_all("storage/luns", {"fields": "uuid,serial_number", "max_records": 100})
    assert len(recs) == 10 and len({r["uuid"] for r in recs}) == 10
    assert c.requests_made == 4 == len(sim.requests_to("storage/luns"))
    # every follow-up repeats the query with a cursor
    for entry in sim.request_log[1:]:
        assert entry["query"]["fields"] == "uuid,serial_number" and "start.uuid" in entry["query"]


def test_get_all_page_guard(sim):
    """Fails when paging goes on past its page limit."""
    sim.page_cap = 1
    with pytest.raises(AnsibleLookupError, match="more than 3 pages"):
        client(sim).get_all("storage/luns", {}, max_pages=3)
    assert sim.request_count == 3


def test_fetch_truth_asks_only_named_fields(sim):
    """Fails when the truth read asks for unnamed fields, more requests, or keeps the password."""
    truth = ontap.fetch_truth(client(sim))
    assert truth["cluster"] == "cl1" and truth["requests"] == ontap.REQUESTS_PER_CLUSTER
    luns = sim.requests_to("storage/luns")[0]["query"]
    assert luns["fields"] == ontap.LUN_FIELDS and "lun_maps.logical_unit_number" in luns["fields"]
    assert "password" not in json.dumps(truth) and "netapp1!" not in json.dumps(truth)


def test_ten_thousand_luns_in_one_request_per_collection(tmp_path):
    """Fails when 10,000 LUNs take more than one request per collection."""
    ds, hosts = generated(n_luns=10000, n_hosts=100)
    with OntapSimulator(ds, str(tmp_path)) as big:
        truth = ontap.fetch_truth(client(big))
        assert len(truth["luns"]) == 10000
        assert big.request_count == 7 <= 12       # 6 SAN collections + nvme/services (no SVM serves NVMe)


# ------------------------------------------------------------------------------------------ errors


def test_error_names_endpoint_message_and_code(sim):
    """Fails when an ONTAP error does not name the endpoint, status, message and code."""
    sim.errors["protocols/san/igroups"] = (500, "Internal error. Wait a few minutes, then try the command again.",
                                           "8")
    with pytest.raises(AnsibleLookupError) as info:
        ontap.fetch_truth(client(sim))
    msg = str(info.value)
    assert "GET protocols/san/igroups on 127.0.0.1 failed (HTTP 500)" in msg
    assert "Internal error. Wait a few minutes" in msg and "(code 8)" in msg


def test_auth_failure_does_not_echo_the_password(sim):
    """Fails when an authentication failure shows the password or does not say what failed."""
    with pytest.raises(AnsibleLookupError) as info:
        ontap.fetch_truth(client(sim, password="s3cret-Passw0rd"))
    msg = str(info.value)
    assert "HTTP 401" in msg and "not authorized for that command (code 6)" in msg and "GET cluster" in msg
    assert "s3cret-Passw0rd" not in msg


def test_client_certificate_auth(sim):
    """Fails when a client certificate cannot log in without a password."""
    cert, key = sim.client_cert("admin")
    opts = sim.options(cert_filepath=cert, key_filepath=key)
    opts.pop("password")
    opts.pop("username")
    assert ontap.fetch_truth(ontap.OntapClient(opts, "t"))["cluster"] == "cl1"
    assert sim.request_log[0]["user"] == "admin"


@pytest.mark.parametrize("blank", ["", "  \n", "file"])
def test_a_blank_ca_means_the_system_trust_store(blank, sim, tmp_path):
    """Fails when a blank CA path or empty CA file does not mean the system trust store."""
    # AWX writes a credential's empty CA field as an empty file and passes its path (ONTAP_CA_PATH): that is
    # "no CA of its own", not "trust nothing" (an X509 error on every run) nor "trust anything"
    path = blank
    if blank == "file":
        path = tmp_path / "ca_file"
        path.write_text("\n")
        path = str(path)
    c = client(sim, ca_path=path)
    assert c.rest.verify is True and c.validate_certs is True
    assert client(sim).rest.verify == sim.ca_path  # a CA bundle with content is used as given


def test_missing_credentials(sim):
    """Fails when a cluster without a password or certificate is not a clear error."""
    with pytest.raises(AnsibleLookupError, match="username and password, or cert_filepath"):
        client(sim, password=None)


def test_svm_scoped_account_falls_back_to_hostname(sim):
    """Fails when an SVM-scoped account cannot read its SVM's truth."""
    sim.users["vsadmin"] = "vs-pass-1"
    sim.svm_scoped["vsadmin"] = "svm2"
    truth = ontap.fetch_truth(client(sim, username="vsadmin", password="vs-pass-1"), svm="svm2")
    assert truth["cluster"] == "127.0.0.1"
    assert {lun["svm"] for lun in truth["luns"]} == {"svm2"}


# ------------------------------------------------------------------------------------------ caching


def _fetch_in_children(sim, n, **extra):
    """Run get_truth in n forked children at once (like ansible's workers); return their outcomes."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    opts = sim.options(**extra)

    def child(queue):
        ontap.clear_memory_cache()
        try:
            truth, source = ontap.get_truth(opts, "t")
            queue.put(("ok", source, len(truth["luns"])))
        except AnsibleLookupError as exc:
            queue.put(("error", str(exc), 0))

    queue = ctx.Queue()
    procs = [ctx.Process(target=child, args=(queue,)) for i in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for p in procs]
    for p in procs:
        p.join(10)
    return results


def test_memory_cache_serves_repeated_calls(sim):
    """Fails when repeated reads are not served from memory, or cache_ttl 0 is."""
    opts = sim.options(cache_ttl=60)
    assert ontap.get_truth(opts, "t")[1] == "fetched"
    assert ontap.get_truth(opts, "t")[1] == "memory"
    assert sim.request_count == ontap.REQUESTS_PER_CLUSTER
    assert ontap.get_truth(dict(opts, cache_ttl=0), "t")[1] == "fetched"
    assert sim.request_count == 2 * ontap.REQUESTS_PER_CLUSTER


@pytest.mark.filterwarnings("ignore:This process")
def test_disk_cache_is_shared_by_forked_workers(sim):
    """Fails when forked workers read the cluster more than once."""
    results = _fetch_in_children(sim, 8, cache_ttl=60)
    assert all(r[0] == "ok" and r[2] == 10 for r in results)
    assert sorted(r[1] for r in results).count("fetched") == 1
    assert sim.request_count == ontap.REQUESTS_PER_CLUSTER


@pytest.mark.filterwarnings("ignore:This process")
def test_failures_are_cached_so_one_wrong_password_is_one_login(sim):
    """Fails when a wrong password is tried once per worker (account lockout)."""
    results = _fetch_in_children(sim, 6, password="wrong-password", cache_ttl=60)
    assert all(r[0] == "error" and "HTTP 401" in r[1] and "wrong-password" not in r[1] for r in results)
    assert sim.request_count == 1


def test_cache_files_hold_no_credentials(sim):
    """Fails when a cache file or its name holds a credential, or the cache dir is not private."""
    ontap.get_truth(sim.options(cache_ttl=60), "t")
    cache_dir = truth_cache.cache_dir()
    assert oct(os.stat(cache_dir).st_mode & 0o777) == "0o700"
    for name in os.listdir(cache_dir):
        assert "admin" not in name
        if name.endswith(".json"):
            with open(os.path.join(cache_dir, name)) as handle:
                text = handle.read()
            assert "netapp1!" not in text and '"admin"' not in text


def test_cache_key_separates_identities_and_svms(sim):
    """Fails when two identities or SVMs share a cache entry."""
    base = sim.options()
    keys = {ontap.cache_key(base), ontap.cache_key(dict(base, svm="svm1")), ontap.cache_key(dict(base, password="x")),
            ontap.cache_key(dict(base, username="other")), ontap.cache_key(dict(base, http_port=1))}
    assert len(keys) == 5


# ------------------------------------------------------------------------------------------ pure helpers


@pytest.mark.parametrize("value,expected", [
    ("IQN.1994-05.COM.redhat:H1", "iqn.1994-05.com.redhat:h1"),
    # one normal form with the host's (_san/identity.py): a WWPN is bare hex; ontap_wwpn spells it as ONTAP does
    ("0x21000024FF3A1B2C", "21000024ff3a1b2c"),
    ("21:00:00:24:FF:3A:1B:2C", "21000024ff3a1b2c"),
    ("2100-0024-ff3a-1b2c", "21000024ff3a1b2c"),
    ("iqn.2024-01.lab.san:0x21000024ff3a1b2c", "iqn.2024-01.lab.san:0x21000024ff3a1b2c"),
    ("21-00-00-24-ff-3a-1b-2c", "21000024ff3a1b2c"),
])
def test_normalize_initiator(value, expected):
    """Fails when an IQN or WWPN spelling is not put in the one normal form."""
    assert ontap.normalize_initiator(value) == expected


@pytest.mark.parametrize("inits,hosts,expected", [
    ([], None, ("empty", "none", [])),
    (["iqn.a:h1"], None, ("per_host", "iqn_count", [])),
    (["iqn.a:h1", "iqn.a:h2"], None, ("shared", "iqn_count", [])),
    (["20:00:00:25:b5:00:00:01", "20:00:00:25:b5:00:00:02"], None, ("unknown", "none", [])),
    (["20:00:00:25:b5:00:00:01", "20:00:00:25:b5:00:00:02"], {"20:00:00:25:b5:00:00:01": "n1",
                                                              "20:00:00:25:b5:00:00:02": "n1"},
     ("per_host", "hosts", ["n1"])),
    (["iqn.a:h1", "iqn.a:h2"], {"iqn.a:h1": "n1", "iqn.a:h2": "n2"}, ("shared", "hosts", ["n1", "n2"])),
    (["iqn.a:h1", "iqn.a:other"], {"iqn.a:h1": "n1"}, ("shared", "hosts", ["n1"])),
])
def test_classify_igroup(inits, hosts, expected):
    """Fails when an igroup is classified as shared, per host or empty wrongly."""
    assert ontap.classify_igroup(inits, hosts) == expected


def test_lun_records_refuse_a_bad_serial():
    """Fails when a LUN with a serial that gives no WWID becomes a record."""
    truth = {"cluster": "c", "igroups": [{"uuid": "g", "name": "g", "svm": "s", "protocol": "iscsi",
                                          "os_type": "linux", "initiators": ["iqn.a:h"]}],
             "luns": [{"uuid": "l", "path": "/vol/v/l", "svm": "s", "serial": "short", "state": "online",
                       "size_bytes": 1, "maps": [{"igroup_uuid": "g", "igroup": "g", "lun_id": 0}]}]}
    with pytest.raises(AnsibleLookupError, match="serial number 'short'"):
        ontap.lun_records(truth, ["iqn.a:h"])


# ------------------------------------------------------------------------------------------ fail closed, coverage

TWO_SVMS = dict(DESC, targets={
    "svm1": {"iscsi": "iqn.1992-08.com.netapp:sn.cl1:vs.3", "addresses": ["192.0.2.11", "192.0.2.12"]},
    "svm2": {"fc_wwpns": ["20:05:00:a0:98:00:00:01", "20:06:00:a0:98:00:00:01"]}})


@pytest.mark.parametrize("text", ["", "{}", '{"num_records": 0}', "<html><body>Proxy login</body></html>",
                                  '{"records": null}'])
def test_an_answer_without_records_is_an_error_not_an_empty_collection(sim, text):
    """Fails when an answer without a records list reads as an empty collection."""
    sim.raw_answers["storage/luns"] = (200, text)
    # netapp.ontap itself refuses a body that is not JSON ("Expecting json"); the rest is ours
    with pytest.raises(AnsibleLookupError, match="no records list|Expecting json"):
        client(sim).get_all("storage/luns", {"fields": "uuid"})
    with pytest.raises(AnsibleLookupError, match="no records list|Expecting json"):
        ontap.fetch_truth(client(sim))


def test_a_cluster_answer_without_a_name_is_an_error(sim):
    """Fails when a cluster answer without a name is accepted."""
    sim.raw_answers["cluster"] = (200, "{}")
    with pytest.raises(AnsibleLookupError, match="no cluster name"):
        ontap.fetch_truth(client(sim))


def test_fetch_truth_reads_target_identity_per_svm_in_bulk(tmp_path):
    """Fails when target names, addresses or WWPNs are not read per SVM in bulk."""
    with OntapSimulator(from_description(TWO_SVMS), str(tmp_path)) as server:
        truth = ontap.fetch_truth(client(server))
        assert server.request_count == ontap.REQUESTS_PER_CLUSTER == 7
        by_svm = {t["svm"]: t for t in truth["targets"]}
        assert by_svm["svm1"]["iscsi_target_names"] == ["iqn.1992-08.com.netapp:sn.cl1:vs.3"]
        assert sorted(by_svm["svm1"]["iscsi_addresses"]) == ["192.0.2.11", "192.0.2.12"]
        assert sorted(by_svm["svm2"]["fc_wwpns"]) == ["20:05:00:a0:98:00:00:01", "20:06:00:a0:98:00:00:01"]
        assert by_svm["svm2"]["iscsi_target_names"][0].startswith("iqn.1992-08.com.netapp:sn.")
        # bulk, named fields, filtered on the server
        q = server.requests_to("network/ip/interfaces")[0]["query"]
        assert q == {"services": "data_iscsi", "fields": ontap.IP_INTERFACE_FIELDS}
        # one FC request for both families: the FCP LIFs are the SCSI targets, the FC-NVMe ones the NVMe truth's
        assert server.requests_to("network/fc/interfaces")[0]["query"] == {"fields": ontap.FC_INTERFACE_FIELDS}
        assert server.requests_to("protocols/san/iscsi/services")[0]["query"]["fields"] == "svm.name,target.name,enabled"


def test_array_truth_of_two_clusters_and_one_that_fails(tmp_path):
    """Fails when one failing cluster loses the other's truth or is not a problem."""
    second = {"cluster": "cl2", "svms": ["svmB"],
              "igroups": [{"name": "ig_h1", "svm": "svmB", "initiators": ["iqn.1994-05.com.redhat:h1"]}],
              "luns": [{"path": "/vol/b/lun1", "svm": "svmB", "serial": "cl2Serial001",
                        "maps": [{"igroup": "ig_h1", "lun_id": 1}]}],
              "targets": {"svmB": {"iscsi": "iqn.1992-08.com.netapp:sn.cl2:vs.9"}}}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with OntapSimulator(from_description(TWO_SVMS), str(tmp_path / "a")) as one, \
            OntapSimulator(from_description(second), str(tmp_path / "b")) as two:
        clusters = ontap.cluster_list([one.options(cache_ttl=0), two.options(cache_ttl=0)])
        truth = ontap.array_truth(clusters, ["iqn.1994-05.com.redhat:h1"], "t")
        assert truth["problems"] == []
        assert {(r["cluster"], r["lun_id"]) for r in truth["luns"] if r["lun_id"] == 1} == {("cl1", 1), ("cl2", 1)}
        assert {(t["cluster"], t["svm"]) for t in truth["targets"]} == {("cl1", "svm1"), ("cl1", "svm2"),
                                                                        ("cl2", "svmB")}
        assert truth["collected_at"] == min(c["collected_at"] for c in truth["clusters"])
        two.users["admin"] = "rotated"
        truth = ontap.array_truth(clusters, ["iqn.1994-05.com.redhat:h1"], "t")
        assert [(p["cluster"], p["kind"]) for p in truth["problems"]] == [("127.0.0.1", "lookup_failed")]
        assert "HTTP 401" in truth["problems"][0]["msg"] and "netapp1!" not in json.dumps(truth)
        assert {t["cluster"] for t in truth["targets"]} == {"cl1"}      # the failed cluster covers nothing


def test_svm_scoped_login_and_dropped_mapping_are_problems(sim):
    """Fails when an SVM-scoped login or a dropped mapping is not reported as a problem."""
    sim.users["vsadmin"] = "vs-pass-1"
    sim.svm_scoped["vsadmin"] = "svm2"
    truth = ontap.array_truth(ontap.cluster_list(sim.options(username="vsadmin", password="vs-pass-1", svm="svm2",
                                                             cache_ttl=0)), None, "t")
    assert [p["kind"] for p in truth["problems"]] == ["svm_scoped_login"]
    raw = ontap.fetch_truth(client(sim))
    raw["igroups"] = [g for g in raw["igroups"] if g["name"] != "ig_shared"]
    problems = []
    ontap.lun_records(raw, ["iqn.1994-05.com.redhat:h1"], problems)
    assert {p["kind"] for p in problems} == {"dropped_mapping"} and len(problems) == 4   # lun0,2,4,6


def test_cluster_list_forms():
    """Fails when a cluster list form is misread, or a bad key or missing hostname accepted."""
    env = {"ONTAP_HOSTNAME": "c1", "ONTAP_USERNAME": "u", "ONTAP_PASSWORD": "p", "ONTAP_VALIDATE_CERTS": "false"}
    assert ontap.cluster_list([], env) == [{"hostname": "c1", "username": "u", "password": "p", "ca_path": None,
                                            "svm": None, "validate_certs": False}]
    assert ontap.cluster_list(None, {}) == []
    one = ontap.cluster_list({"hostname": "c2", "user": "u", "pass": "p"}, env)
    assert one == [{"hostname": "c2", "username": "u", "password": "p", "validate_certs": True}]
    with pytest.raises(AnsibleLookupError, match="unknown key 'pasword'"):
        ontap.cluster_list([{"hostname": "c", "pasword": "x"}], {})
    with pytest.raises(AnsibleLookupError, match=r"sanfleet_ontap\[1\]: hostname is required"):
        ontap.cluster_list([{"hostname": "c"}, {"username": "u"}], {})


# ------------------------------------------------------------------------------------------- the array truth


@pytest.mark.parametrize("short", [1, 3])
def test_a_page_with_fewer_records_than_its_num_records_is_an_error(sim, short):
    """Fails when a page shorter than its num_records is taken as the whole collection."""
    # no _links.next: before, the cut page was taken as the whole collection and its LUNs as unmapped
    sim.short_pages["storage/luns"] = short
    with pytest.raises(ontap.OntapError, match=r"num_records 10 but holds %d records" % (10 - short)):
        client(sim).get_all("storage/luns", {"fields": "uuid"})
    truth = ontap.array_truth(ontap.cluster_list(sim.options(cache_ttl=0)), ["iqn.1994-05.com.redhat:h1"], "t")
    assert [p["kind"] for p in truth["problems"]] == ["lookup_failed"]       # the host is blocked
    assert "num_records" in truth["problems"][0]["msg"] and truth["luns"] == [] and truth["targets"] == []


def test_a_short_page_in_the_middle_of_paging_is_an_error(sim):
    """Fails when a short page in the middle of paging is accepted."""
    sim.page_cap = 4
    sim.short_pages["storage/luns"] = 1
    with pytest.raises(ontap.OntapError, match="page 1 says num_records 4 but holds 3"):
        client(sim).get_all("storage/luns", {"fields": "uuid"})


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_the_cache_lock_file_is_0600_whatever_the_umask(sim, umask):
    """Fails when a cache or lock file is readable by others under some umask."""
    old = os.umask(umask)
    try:
        ontap.get_truth(sim.options(cache_ttl=60), "t")
    finally:
        os.umask(old)
    cache_dir = truth_cache.cache_dir()
    key = ontap.cache_key(sim.options(cache_ttl=60))
    for name in (key + ".json", key + ".json.lock"):
        assert oct(os.stat(os.path.join(cache_dir, name)).st_mode & 0o777) == "0o600", name


def test_the_truth_says_which_initiators_its_records_were_read_for(sim):
    """Fails when the truth does not say which initiators its records were read for."""
    clusters = ontap.cluster_list(sim.options(cache_ttl=0))
    truth = ontap.array_truth(clusters, ["IQN.1994-05.com.redhat:H1", "0x20000025B5000001"], "t")
    # ONTAP's spelling; the judge compares them through identity.normalize_initiator like its own side
    assert truth["initiators"] == ["20:00:00:25:b5:00:00:01", "iqn.1994-05.com.redhat:h1"]
    assert ontap.array_truth(clusters, None, "t")["initiators"] == ["*"]          # every mapping was read
    assert ontap.array_truth(clusters, [], "t")["initiators"] == []


@pytest.mark.parametrize("a,b", [("0x21000024FF3A1B2C", "21:00:00:24:ff:3a:1b:2c"),
                                 ("2100-0024-ff3a-1b2c", "21000024ff3a1b2c"),
                                 ("IQN.1994-05.COM.redhat:H1", "iqn.1994-05.com.redhat:h1"),
                                 ("21:00:00:24:ff:3a:1b", "21000024ff3a1b"),        # not 8 bytes
                                 ("iqn.2024-01.lab.san:0x21000024ff3a1b2c", "iqn.2024-01.lab.san:21000024ff3a1b2c")])
def test_one_normal_form_for_initiators_on_both_sides(a, b):
    """Fails when the lookup and the judge normalise initiators differently."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity
    # what the lookup selects records by (controller) and what the judge compares paths by (host) agree
    assert (ontap.normalize_initiator(a) == ontap.normalize_initiator(b)) == \
        (identity.normalize_initiator(a) == identity.normalize_initiator(b))


def test_a_target_identity_of_two_svms_is_a_problem(tmp_path):
    """Fails when one target name served by two SVMs is not a problem."""
    # a cloned SVM (or identity-preserving DR) answers with the same target name as svm1
    same = "iqn.1992-08.com.netapp:sn.cl1:vs.3"
    desc = dict(TWO_SVMS, targets={"svm1": {"iscsi": same, "addresses": ["192.0.2.11"]},
                                   "svm2": {"iscsi": same, "addresses": ["192.0.2.21"]}})
    with OntapSimulator(from_description(desc), str(tmp_path)) as server:
        truth = ontap.array_truth(ontap.cluster_list(server.options(cache_ttl=0)), ["iqn.1994-05.com.redhat:h1"],
                                  "t")
    dup = [p for p in truth["problems"] if p["kind"] == "duplicate_target_identity"]
    assert len(dup) == 1 and same in dup[0]["msg"] and "cl1/svm1, cl1/svm2" in dup[0]["msg"], truth["problems"]


def test_a_target_identity_of_two_clusters_is_a_problem(tmp_path):
    """Fails when one target name served by two clusters is not a problem."""
    same = "iqn.1992-08.com.netapp:sn.cl1:vs.3"
    second = {"cluster": "cl2", "svms": ["svmB"], "igroups": [], "luns": [],
              "targets": {"svmB": {"iscsi": same, "addresses": ["198.51.100.1"]}}}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with OntapSimulator(from_description(TWO_SVMS), str(tmp_path / "a")) as one, \
            OntapSimulator(from_description(second), str(tmp_path / "b")) as two:
        truth = ontap.array_truth(ontap.cluster_list([one.options(cache_ttl=0), two.options(cache_ttl=0)]),
                                  ["iqn.1994-05.com.redhat:h1"], "t")
    assert [(p["kind"], p["identity"]) for p in truth["problems"]] == [("duplicate_target_identity", "iqn " + same)]


@pytest.mark.parametrize("fetched_at", [float("nan"), None, -1.0, "1700000000"])
def test_a_cluster_read_whose_time_is_no_finite_epoch_makes_the_truth_age_unknown(fetched_at):
    """The truth's collected_at is its oldest cluster read. min() keeps a leading NaN (and a cluster without a
    time was dropped from it): the truth looked as fresh as the other cluster's read, or NaN switched the age gates
    off. A read whose time is not a finite epoch makes the age unknown (None: the planner removes nothing)."""
    reads = {"a": {"cluster": "cl1", "fetched_at": fetched_at, "targets": []},
             "b": {"cluster": "cl2", "fetched_at": 1.7e9, "targets": []}}

    def get(opts, _plugin):
        return dict(reads[opts["hostname"]], luns=[], igroups=[]), "fetched"
    truth = ontap.array_truth([{"hostname": "a"}, {"hostname": "b"}], ["iqn.1994-05.com.redhat:h1"], "t", get=get)
    assert truth["problems"] == [] and len(truth["clusters"]) == 2
    assert truth["collected_at"] is None
    reads["a"]["fetched_at"] = 1.7e9 - 5
    truth = ontap.array_truth([{"hostname": "a"}, {"hostname": "b"}], ["iqn.1994-05.com.redhat:h1"], "t", get=get)
    assert truth["collected_at"] == 1.7e9 - 5


def test_a_cache_entry_stored_at_nan_is_fetched_again(sim):
    """`time.time() - NaN > ttl` is never true: an entry stored at NaN would be served for ever."""
    opts = sim.options(cache_ttl=60)
    assert ontap.get_truth(opts, "t")[1] == "fetched"
    path = os.path.join(truth_cache.cache_dir(), ontap.cache_key(opts) + ".json")
    with open(path) as handle:
        entry = json.load(handle)
    entry["stored_at"] = float("nan")
    with open(path, "w") as handle:
        json.dump(entry, handle)
    truth_cache.clear_memory_cache()
    assert ontap.get_truth(opts, "t")[1] == "fetched"


def test_a_cache_entry_stored_in_the_future_is_fetched_again(sim):
    """A controller whose clock was ahead when it wrote the cache (unsynced at boot, corrected since) leaves an entry
    dated a day ahead: `now - stored_at` is negative, never above cache_ttl, and the array data of that read was
    served as fresh for a day instead of cache_ttl seconds."""
    opts = sim.options(cache_ttl=60)
    assert ontap.get_truth(opts, "t")[1] == "fetched"
    path = os.path.join(truth_cache.cache_dir(), ontap.cache_key(opts) + ".json")
    with open(path) as handle:
        entry = json.load(handle)
    entry["stored_at"] = time.time() + 86400
    with open(path, "w") as handle:
        json.dump(entry, handle)
    truth_cache.clear_memory_cache()
    assert ontap.get_truth(opts, "t")[1] == "fetched"


MIXED = {
    "cluster": "cl1", "svms": ["svmx"],
    "igroups": [{"name": "ig_mixed", "svm": "svmx", "protocol": "mixed",
                 "initiators": ["iqn.1994-05.com.redhat:h1", "20:00:00:25:b5:00:00:0a", "20:00:00:25:b5:00:00:0b"]}],
    "luns": [{"path": "/vol/vx/lun%d" % i, "svm": "svmx", "serial": "mixedSerl%03d" % i,
              "maps": [{"igroup": "ig_mixed", "lun_id": i}]} for i in range(1, 3)],
    "targets": {"svmx": {"iscsi": "iqn.1992-08.com.netapp:sn.cl1:vs.8", "addresses": ["192.0.2.21"],
                         "fc_wwpns": ["20:07:00:a0:98:00:00:01"]}},
}


@pytest.mark.parametrize("initiators", [["iqn.1994-05.com.redhat:h1"], ["0x20000025b500000a"],
                                        ["iqn.1994-05.com.redhat:h1", "20:00:00:25:b5:00:00:0b"]])
def test_a_mixed_igroup_is_read_for_its_iscsi_and_its_fc_initiators(tmp_path, initiators):
    """An igroup of protocol mixed (ONTAP: iSCSI and FC initiators in one igroup) is selected by any of its
    initiators, of either kind, and its records carry the protocol and every initiator it holds, so the judge
    applies them to the host's iSCSI and FC paths (judge.coverage.protocol_ok); its SVM's targets name both the
    iSCSI target and the FC LIFs. Records for other initiators select nothing."""
    with OntapSimulator(from_description(MIXED), str(tmp_path)) as server:
        clusters = ontap.cluster_list(server.options(cache_ttl=0))
        truth = ontap.array_truth(clusters, initiators, "t")
        assert truth["problems"] == []
        assert [(r["lun_id"], r["igroup"], r["igroup_protocol"], sorted(r["igroup_initiators"]))
                for r in truth["luns"]] == [(i, "ig_mixed", "mixed", sorted(MIXED["igroups"][0]["initiators"]))
                                            for i in (1, 2)]
        assert [(t["svm"], t["iscsi_target_names"], t["fc_wwpns"]) for t in truth["targets"]] == [
            ("svmx", ["iqn.1992-08.com.netapp:sn.cl1:vs.8"], ["20:07:00:a0:98:00:00:01"])]
        assert ontap.array_truth(clusters, ["iqn.1994-05.com.redhat:h2"], "t")["luns"] == []


def test_every_field_the_san_reads_ask_for_is_in_the_netapp_ontap_schema():
    """A field name ONTAP does not know is an error on a real cluster (the simulator, built by hand, could agree
    with a typo): every SAN field and filter is checked against netapp-ontap's resource schemas."""
    from netapp_ontap import resources     # requirements-dev.txt: netapp-ontap
    asked = [(resources.Cluster, ontap_records.CLUSTER_FIELDS), (resources.Svm, ontap_records.SVM_FIELDS),
             (resources.Igroup, ontap_records.IGROUP_FIELDS), (resources.Lun, ontap_records.LUN_FIELDS),
             (resources.IscsiService, ontap_records.ISCSI_SERVICE_FIELDS),
             (resources.IpInterface, ontap_records.IP_INTERFACE_FIELDS + ",services,svm.name"),
             (resources.FcInterface, ontap_records.FC_INTERFACE_FIELDS + ",data_protocol,svm.name")]
    assert {cls.__name__: unknown_fields(cls, fields) for cls, fields in asked} == {cls.__name__: [] for cls, x in asked}
    assert unknown_fields(resources.Lun, "serial_number,lun_maps.lun_id") == ["lun_maps.lun_id"]   # the check can fail


def test_a_validate_certs_typo_of_a_cluster_is_refused_never_read_as_false():
    """"ture" was read as false: the ONTAP password went to a peer whose certificate was not checked, for a
    sanfleet_ontap entry and ONTAP_VALIDATE_CERTS (an AWX credential) alike; a FlashArray's entry refused it (review
    10). The words Ansible reads as booleans still pass."""
    entry = {"hostname": "cl1", "username": "u", "password": "p"}
    env = {"ONTAP_HOSTNAME": "cl1", "ONTAP_USERNAME": "u", "ONTAP_PASSWORD": "p"}
    with pytest.raises(AnsibleLookupError, match=r"sanfleet_ontap\[0\]: validate_certs must be true or false, got 'ture'"):
        ontap.cluster_list([dict(entry, validate_certs="ture")], {})
    with pytest.raises(AnsibleLookupError, match="ONTAP_VALIDATE_CERTS: validate_certs must be true or false"):
        ontap.cluster_list(None, dict(env, ONTAP_VALIDATE_CERTS="ture"))
    for given, read in (("no", False), ("False", False), (False, False), ("yes", True), (None, True)):
        assert ontap.cluster_list([dict(entry, validate_certs=given)], {})[0]["validate_certs"] is read, given
        if given is not None and not isinstance(given, bool):
            assert ontap.cluster_list(None, dict(env, ONTAP_VALIDATE_CERTS=given))[0]["validate_certs"] is read
    assert ontap.cluster_list(None, env)[0]["validate_certs"] is True


class _Connected(Exception):
    pass


@pytest.mark.parametrize("name", ["sanfleet.remediation.ontap_igroups", "sanfleet.remediation.ontap_luns"])
@pytest.mark.parametrize("given", ["option", "environment"])
def test_the_single_cluster_lookups_refuse_a_validate_certs_typo_before_connecting(monkeypatch, name, given):
    """audit.yml asks ontap_igroups with each raw sanfleet_ontap entry (or none: the ONTAP_* environment of an AWX
    credential). Those lookups read validate_certs as Ansible's loose bool, so "ture" was false and the password went
    to a cluster whose certificate was not checked, while sanfleet_ontap entries refused it (review 11). Refused
    before any connection (ontap_luns raises, ontap_igroups records the cluster's problem), the password in no
    message; the words Ansible reads as booleans still pass."""
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import lookup_plugin
    sent = []

    def get_truth(options, plugin_name, fetch=None):
        sent.append(options)
        raise _Connected()
    monkeypatch.setattr(ontap, "get_truth", get_truth)
    for var in ("ONTAP_HOSTNAME", "ONTAP_USERNAME", "ONTAP_PASSWORD", "ONTAP_VALIDATE_CERTS"):
        monkeypatch.delenv(var, raising=False)

    def run(value):
        if given == "option":
            kwargs = {"hostname": "cl1.example", "username": "admin", "password": "S3cret-pw",
                      "validate_certs": value}
        else:
            monkeypatch.setenv("ONTAP_HOSTNAME", "cl1.example")
            monkeypatch.setenv("ONTAP_USERNAME", "admin")
            monkeypatch.setenv("ONTAP_PASSWORD", "S3cret-pw")
            monkeypatch.setenv("ONTAP_VALIDATE_CERTS", str(value))
            kwargs = {}
        return lookup_plugin(name).run([], variables={}, cache_ttl=0, **kwargs)
    try:
        said = str(run("ture"))
    except AnsibleLookupError as exc:
        said = str(exc)
    assert not sent and "validate_certs must be true or false" in said and "S3cret-pw" not in said, said
    for word, read in (("no", False), ("True", True)):
        with pytest.raises(_Connected):
            run(word)
        assert sent.pop()["validate_certs"] is read, word
