# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sanfleet.remediation.ontap_luns through ansible's lookup loader, against the live ONTAP simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import textwrap

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap
from ansible_collections.sanfleet.remediation.tests.ontap_sim import (
    OntapSimulator, from_description, from_lab_truth, from_lab_truths, generated, lookup_plugin)
from ansible_collections.sanfleet.remediation.tests.ontap_sim.certs import CA


IQN1 = "iqn.1994-05.com.redhat:h1"


IQN2 = "iqn.1994-05.com.redhat:h2"


DESC = {
    "cluster": "cl1",
    "svms": ["svm1", "svm2"],
    "igroups": [
        {"name": "ig_h1", "svm": "svm1", "initiators": [IQN1]},
        {"name": "ig_shared", "svm": "svm1", "initiators": [IQN1, IQN2]},
        {"name": "ig_h2_svm2", "svm": "svm2", "initiators": [IQN2]},
        {"name": "ig_fc", "svm": "svm2", "protocol": "fcp", "initiators": ["20:00:00:25:b5:00:00:01",
                                                                           "20:00:00:25:b5:00:00:02"]},
    ],
    "luns": [{"path": "/vol/v1/lun%d" % i, "svm": "svm1", "serial": "80AbCd+/-$%02d" % i, "size_bytes": (i + 1) << 30,
              "maps": [{"igroup": "ig_h1" if i % 2 else "ig_shared", "lun_id": i}]} for i in range(7)]
    + [{"path": "/vol/v2/lun%d" % i, "svm": "svm2", "serial": "wxYZ0123iS%02d" % i,
        "maps": [{"igroup": "ig_h2_svm2", "lun_id": i}]} for i in range(3)]
    + [{"path": "/vol/v2/fc%d" % i, "svm": "svm2", "serial": "wxYZ0123fc%02d" % i, "state": "offline",
        "maps": [{"igroup": "ig_fc", "lun_id": 10 + i}]} for i in range(3)]
    + [{"path": "/vol/v1/unmapped", "svm": "svm1", "serial": "unMapped1234"}],
}


KEYS = ["cluster", "svm", "path", "uuid", "serial", "serial_hex", "wwid", "lun_id", "igroup", "igroup_protocol",
        "igroup_os_type", "igroup_initiators", "state", "size_bytes", "collected_at"]


def untimed(recs):
    """Records without collected_at (the time of the cluster read), after checking it is there."""
    assert all(isinstance(r["collected_at"], float) for r in recs)
    return [{k: v for k, v in r.items() if k != "collected_at"} for r in recs]


@pytest.fixture
def sim(tmp_path):
    with OntapSimulator(from_description(DESC), str(tmp_path)) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_memory_cache():
    ontap.clear_memory_cache()
    yield
    ontap.clear_memory_cache()


def run(sim, terms=(), variables=None, **options):
    opts = sim.options(cache_ttl=0)
    opts.update(options)
    opts = {k: v for k, v in opts.items() if v is not None}
    plugin = lookup_plugin("sanfleet.remediation.ontap_luns")
    return untimed(plugin.run(list(terms), variables=variables or {}, **opts))


def test_records_have_the_design_shape_and_match_the_array(sim):
    """Fails when a LUN record's fields or values differ from the array's, or more requests are made."""
    recs = run(sim, [IQN1])
    assert recs == sim.dataset.expected_records([IQN1])
    assert all(list(r) + ["collected_at"] == KEYS for r in recs)
    rec = next(r for r in recs if r["path"] == "/vol/v1/lun1")
    assert rec["serial"] == "80AbCd+/-$01"
    assert rec["wwid"] == "3600a0980" + "80AbCd+/-$01".encode().hex() == "3600a0980" + rec["serial_hex"]
    assert (rec["lun_id"], rec["igroup"], rec["igroup_protocol"], rec["state"], rec["size_bytes"]) == \
        (1, "ig_h1", "iscsi", "online", 2 << 30)
    # IQN1 sees its own igroup and the shared one: LUNs 0..6 once each; svm2 and the unmapped LUN not at all
    assert sorted(r["lun_id"] for r in recs) == list(range(7))
    assert sim.request_count == ontap.REQUESTS_PER_CLUSTER


def test_initiators_compare_case_insensitively(sim):
    """Fails when initiators are compared in their case."""
    assert run(sim, [IQN1.upper()]) == run(sim, [IQN1])
    assert run(sim, initiators=["Iqn.1994-05.COM.RedHat:H2"]) == sim.dataset.expected_records([IQN2])


def test_wwpns_in_host_spelling_match(sim):
    """Fails when a WWPN in the host's 0x spelling does not match ONTAP's."""
    recs = run(sim, ["0x20000025B5000002"])
    assert [r["path"] for r in recs] == ["/vol/v2/fc0", "/vol/v2/fc1", "/vol/v2/fc2"]
    assert {r["state"] for r in recs} == {"offline"} and recs[0]["igroup_protocol"] == "fcp"


def test_no_initiators_means_every_mapping_and_empty_means_none(sim):
    """Fails when no initiators does not mean every mapping, or an empty list any."""
    assert run(sim) == sim.dataset.expected_records()
    assert len(run(sim)) == 13
    assert run(sim, initiators=[]) == []
    assert run(sim, ["iqn.1994-05.com.redhat:nobody"]) == []


def test_paging_across_several_pages(sim):
    """Fails when records are lost or requested again across pages."""
    sim.page_cap = 2                         # ONTAP's return_timeout stop, on top of max_records
    recs = run(sim, [IQN1, IQN2], page_size=3)
    assert recs == sim.dataset.expected_records([IQN1, IQN2])
    # 14 LUNs / 2 per page = 7 pages, 4 igroups / 2 = 2 pages, /api/cluster, and one page each of the iSCSI
    # services (2 SVMs), of the iSCSI and FC interfaces (none in this dataset) and of the NVMe services (none)
    assert len(sim.requests_to("storage/luns")) == 7
    assert len(sim.requests_to("protocols/san/igroups")) == 2
    assert sim.request_count == 14
    assert all(e["query"]["max_records"] == "3" for e in sim.request_log[1:])


def test_svm_filter(sim):
    """Fails when the svm option returns LUNs of another SVM, or an unknown SVM is not an error."""
    recs = run(sim, [IQN2], svm="svm2")
    assert {r["svm"] for r in recs} == {"svm2"} and len(recs) == 3
    assert sim.requests_to("svm/svms")[0]["query"]["name"] == "svm2"
    assert sim.requests_to("storage/luns")[0]["query"]["svm.name"] == "svm2"
    assert sim.request_count == ontap.REQUESTS_PER_CLUSTER + 1
    assert sim.requests_to("protocols/san/iscsi/services")[0]["query"]["svm.name"] == "svm2"
    with pytest.raises(AnsibleLookupError, match="no SVM named 'svm9'"):
        run(sim, [IQN2], svm="svm9")


def test_options_from_variables_and_environment(sim, monkeypatch):
    """Fails when options are not taken from variables and the environment."""
    opts = sim.options()
    monkeypatch.setenv("ONTAP_PASSWORD", opts["password"])
    variables = {"ontap_hostname": "127.0.0.1", "ontap_http_port": opts["http_port"], "ontap_username": "admin",
                 "ontap_ca_path": opts["ca_path"], "ontap_cache_ttl": 0}
    recs = lookup_plugin("sanfleet.remediation.ontap_luns").run([IQN1], variables=variables)
    assert len(recs) == 7


def test_auth_failure(sim):
    """Fails when an authentication failure is not named clearly or shows the password."""
    with pytest.raises(AnsibleLookupError) as info:
        run(sim, [IQN1], password="Not-The-Password")
    msg = str(info.value)
    assert "ONTAP GET cluster on 127.0.0.1 failed (HTTP 401): not authorized for that command (code 6)" in msg
    assert "Not-The-Password" not in msg


def test_tls_failure_with_validate_certs_default(sim, tmp_path):
    """Fails when an untrusted certificate is accepted by default."""
    other = CA(str(tmp_path), name="some other CA")
    with pytest.raises(AnsibleLookupError) as info:
        run(sim, [IQN1], ca_path=other.path, validate_certs=None)      # validate_certs left at its default
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value) and "GET cluster" in str(info.value)
    assert sim.request_count == 0


def test_tls_trusts_requests_ca_bundle(sim, monkeypatch):
    """Fails when REQUESTS_CA_BUNDLE is not trusted."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sim.ca_path)
    assert len(run(sim, [IQN1], ca_path=None)) == 7


def test_validate_certs_false_skips_verification(sim, tmp_path):
    """Fails when validate_certs false still verifies the certificate."""
    other = CA(str(tmp_path), name="unrelated CA")
    assert len(run(sim, [IQN1], ca_path=other.path, validate_certs=False)) == 7


def test_ontap_error_body(sim):
    """Fails when ONTAP's error message and code are not in the lookup error."""
    sim.errors["storage/luns"] = (400, 'Field "lun_maps" cannot be used in this context.', "262197")
    with pytest.raises(AnsibleLookupError) as info:
        run(sim, [IQN1])
    assert str(info.value) == ('ONTAP GET storage/luns on 127.0.0.1 failed (HTTP 400): '
                               'Field "lun_maps" cannot be used in this context. (code 262197)')


def test_lab_truth_dataset_agrees_with_the_lab(tmp_path):
    """Fails when the lab's truth dataset gives other records than the lab's array."""
    iqn = "iqn.2005-03.org.open-iscsi:sanlab"
    serials = ["80Lab-001+Ab", "80Lab-002+Ab"]
    truth = {
        "initiator_iqn": iqn,
        "lus": [{"name": "lun1g0", "netapp": True, "serial": serials[0], "size_bytes": 32 << 20, "mapped": True},
                {"name": "lun2g0", "netapp": True, "serial": serials[1], "size_bytes": 32 << 20, "mapped": True},
                {"name": "lun3g0", "netapp": True, "serial": "80Lab-003+Ab", "size_bytes": 32 << 20,
                 "mapped": False}],
        "array_luns": [{"cluster": "sanlab", "svm": "svm_sanlab", "path": "/vol/vol_sanlab/lun%dg0" % (i + 1),
                        "uuid": "uuid-%d" % i, "serial": s, "serial_hex": s.encode().hex(),
                        "wwid": "3600a0980" + s.encode().hex(), "lun_id": i + 1, "igroup": "ig_sanlab",
                        "igroup_protocol": "iscsi", "igroup_os_type": "linux", "igroup_initiators": [iqn],
                        "state": "online", "size_bytes": 32 << 20} for i, s in enumerate(serials)],
    }
    with OntapSimulator(from_lab_truth(truth), str(tmp_path)) as lab_sim:
        assert run(lab_sim, [iqn]) == truth["array_luns"]
        assert len(lab_sim.dataset.luns) == 3            # the unmapped LU exists on the "array" too


def test_lab_fc_truth_is_served_as_an_fc_svm(tmp_path):
    """The lab's FC target (sanlab-agent fc_truth, as captured in fc_unmapped): an SVM whose FC LIF WWPNs are the
    target ports', an FC igroup of the initiator WWPNs; a host asking with the kernel's spelling of its WWPNs
    (0x... from fc_host) gets the FC records and the LIF WWPNs that decide coverage."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        load_captured)
    _reader, truth = load_captured("fc_unmapped")
    fc = truth["fc"]
    with OntapSimulator(from_lab_truths([truth, fc]), str(tmp_path)) as lab_sim:
        host_wwpns = ["0x" + w.replace(":", "") for w in fc["initiator_wwpns"]]
        plugin = lookup_plugin("sanfleet.remediation.ontap_truth")
        got = plugin.run([], variables={}, clusters=[lab_sim.options(cache_ttl=0)],
                         initiators=host_wwpns + [truth["initiator_iqn"]])[0]
        fc_svm = [t for t in got["targets"] if t["svm"] == fc["svm"]]
        assert len(fc_svm) == 1
        assert sorted(fc_svm[0]["fc_wwpns"]) == sorted(ontap.ontap_wwpn(w) for w in fc["fc_wwpns"])
        fc_recs = [r for r in got["luns"] if r["svm"] == fc["svm"]]
        assert untimed(fc_recs) == [dict(r, igroup_initiators=fc["initiator_wwpns"]) for r in fc["array_luns"]]
        assert {r["igroup_protocol"] for r in fc_recs} == {"fcp"}
        # the unmapped FC LU exists on the "array", mapped to nobody
        assert len([lun for lun in lab_sim.dataset.luns if lun["svm"]["name"] == fc["svm"]]) == len(fc["lus"])


def test_ten_thousand_luns_hundred_hosts_few_requests(tmp_path):
    """Fails when 10,000 LUNs for 100 hosts take more than a cluster's fixed requests."""
    ds, hosts = generated(n_luns=10000, n_hosts=100)
    with OntapSimulator(ds, str(tmp_path)) as big:
        seen = 0
        for host, inits in sorted(hosts.items()):
            recs = run(big, inits, cache_ttl=300)
            assert recs == ds.expected_records(inits)
            seen += len(recs)
        assert seen > 9000
        assert big.request_count == ontap.REQUESTS_PER_CLUSTER <= 12


PLAYBOOK = textwrap.dedent("""\
    - hosts: fleet
      gather_facts: false
      tasks:
        - name: array truth per host
          ansible.builtin.set_fact:
            array_luns: "{{ query('sanfleet.remediation.ontap_luns', initiators=san_initiators) }}"
        - name: report (one file for the play)
          ansible.builtin.copy:
            content: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'array_luns')))
                         | to_json }}"
            dest: "{{ outdir }}/all.json"
          run_once: true
          delegate_to: localhost
    """)


def _ansible_playbook(sim, tmp_path, hosts, cache_ttl, forks=10, extra_env=None):
    inv = {"all": {"children": {"fleet": {"hosts": {
        h: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "san_initiators": i}
        for h, i in hosts.items()}}}}}
    (tmp_path / "inv.json").write_text(json.dumps(inv))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    env = dict(os.environ, ONTAP_HOSTNAME="127.0.0.1", ONTAP_USERNAME="admin", ONTAP_PASSWORD="netapp1!",
               ONTAP_CA_PATH=sim.ca_path, SANFLEET_ONTAP_CACHE_TTL=str(cache_ttl), ANSIBLE_NOCOLOR="1",
               ANSIBLE_DEPRECATION_WARNINGS="0")
    env.update(extra_env or {})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inv.json"),
           str(tmp_path / "play.yml"), "-f", str(forks), "-e", "outdir=%s" % out,
           "-e", json.dumps({"ontap_http_port": sim.port})]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "netapp1!" not in proc.stdout + proc.stderr
    return {h: untimed(recs) for h, recs in json.loads((out / "all.json").read_text()).items()}


@pytest.mark.filterwarnings("ignore:This process")
def test_a_real_play_reads_the_cluster_once_for_all_hosts(tmp_path):
    """Lookups run in forked workers; the run-scoped file cache is what keeps it to one bulk read."""
    ds, hosts = generated(n_luns=2000, n_hosts=20)
    with OntapSimulator(ds, str(tmp_path)) as big:
        results = _ansible_playbook(big, tmp_path, hosts, cache_ttl=300)
        assert all(results[h] == ds.expected_records(hosts[h]) for h in hosts)
        assert big.request_count == ontap.REQUESTS_PER_CLUSTER
        big.reset_log()
        few = dict(sorted(hosts.items())[:4])
        _ansible_playbook(big, tmp_path, few, cache_ttl=300, extra_env={"SANFLEET_TRUTH_NO_DISK_CACHE": "1"})
        assert big.request_count == ontap.REQUESTS_PER_CLUSTER * len(few)          # the in-process cache alone is not shared by workers


def _types(value):
    """Every type in a lookup result, recursively."""
    if isinstance(value, dict):
        return {type(value)}.union(*[_types(v) for v in value.values()], *[_types(k) for k in value])
    if isinstance(value, (list, tuple)):
        return {type(value)}.union(*[_types(v) for v in value])
    return {type(value)}


def test_lookup_results_hold_plain_types_only(sim):
    """A str subclass (identity.Wwid) in a lookup's records is stored in a variable: ansible-core 2.19+ warns
    "Type 'Wwid' is unsupported in variable storage" for every set_fact of the array truth."""
    plain = {dict, list, str, int, float, bool, type(None)}
    luns = lookup_plugin("sanfleet.remediation.ontap_luns").run([IQN1], variables={}, **sim.options())
    igroups = lookup_plugin("sanfleet.remediation.ontap_igroups").run([IQN1], variables={}, **sim.options())
    [truth] = lookup_plugin("sanfleet.remediation.ontap_truth").run(
        [], variables={}, clusters=[sim.options()], initiators=[IQN1])
    assert luns and igroups and truth["luns"]
    assert _types(luns) <= plain and _types(igroups) <= plain and _types(truth) <= plain, (
        _types(luns) | _types(igroups) | _types(truth)) - plain


def test_netapp_ontaps_error_log_stays_off_stderr(sim):
    """netapp.ontap's OntapRestAPI logs every HTTP error with logging.error on a logger without a handler: Python's
    last-resort handler printed "401: Endpoint error: ..." on the controller's stderr, outside Ansible's display and
    its -v levels. A process of its own: pytest's log capture would hide the last-resort handler."""
    options = sim.options(cache_ttl=0)
    sim.users["admin"] = "rotated"
    code = textwrap.dedent("""
        import json, sys
        from ansible_collections.sanfleet.remediation.tests.ontap_sim import lookup_plugin
        [truth] = lookup_plugin("sanfleet.remediation.ontap_truth").run(
            [], variables={}, clusters=[json.loads(sys.argv[1])], initiators=[sys.argv[2]])
        print(json.dumps(truth["problems"]))
    """)
    tree = os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0]
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(options), IQN1], capture_output=True, text=True,
                          timeout=120, check=False, env=dict(os.environ, PYTHONPATH=tree))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "HTTP 401" in json.loads(proc.stdout.strip().splitlines()[-1])[0]["msg"]
    assert "401" not in proc.stderr, proc.stderr


def _runner_artifacts_text(tmp_path, sim, env):
    """ansible-runner (how AWX and ansible-navigator run a job) runs a play whose ontap_luns lookup takes its
    cluster from the ONTAP_* environment `env`; returns the run, its set_stats and every byte runner left in its
    artifacts."""
    ansible_runner = pytest.importorskip("ansible_runner")
    pdd = tmp_path / "runner"
    (pdd / "env").mkdir(parents=True)
    (pdd / "project").mkdir()
    (pdd / "project" / "truth.yml").write_text(textwrap.dedent("""
        - hosts: localhost
          gather_facts: false
          tasks:
            - ansible.builtin.set_stats:
                data:
                  luns: "{{ query('sanfleet.remediation.ontap_luns', iqn) | length }}"
    """))
    (pdd / "env" / "envvars").write_text(json.dumps(dict(
        env, ANSIBLE_COLLECTIONS_PATH=os.environ["ANSIBLE_COLLECTIONS_PATH"], ONTAP_HOSTNAME="127.0.0.1",
        ONTAP_USERNAME="admin", ONTAP_CA_PATH=sim.options()["ca_path"])))
    (pdd / "env" / "extravars").write_text(json.dumps({"iqn": IQN1, "ontap_http_port": sim.port}))
    run = ansible_runner.run(private_data_dir=str(pdd), playbook="truth.yml", quiet=True, timeout=120)
    [stats] = [e for e in run.events if e.get("event") == "playbook_on_stats"]
    text = "\n".join(p.read_text(errors="replace") for p in (pdd / "artifacts").rglob("*") if p.is_file())
    return run, stats["event_data"]["artifact_data"], text


def test_a_password_file_keeps_the_password_out_of_runner_artifacts(sim, tmp_path):
    """ansible-runner writes the job's whole environment into artifacts/<id>/command: a password given as
    ONTAP_PASSWORD rests there in plain text. ONTAP_PASSWORD_FILE names a file instead, and the cluster is read
    with the password from it (unknown before: the lookup had no password and failed)."""
    secret = sim.options()["password"]
    pw = tmp_path / "ontap.pw"
    pw.write_text(secret + "\n")
    pw.chmod(0o600)
    run, data, text = _runner_artifacts_text(tmp_path / "file", sim, {"ONTAP_PASSWORD_FILE": str(pw)})
    # int(): ansible-core before 2.19 templates set_stats data to text ('7'), later ones keep the type
    assert run.rc == 0 and int(data["luns"]) == 7, (data, run.stdout.read()[-2000:])
    assert secret not in text and str(pw) in text
    # what the documentation warns about: the environment variable lands in the artifacts
    run, data, text = _runner_artifacts_text(tmp_path / "env", sim, {"ONTAP_PASSWORD": secret})
    assert run.rc == 0 and int(data["luns"]) == 7
    assert secret in text


def test_an_unreadable_password_file_is_a_named_cluster_problem(sim, tmp_path):
    """A password file that is missing or empty is the cluster's read failing (a problem that blocks removals),
    named by its path, never a traceback or a login with an empty password."""
    truth_lookup = lookup_plugin("sanfleet.remediation.ontap_truth")
    empty = tmp_path / "empty.pw"
    empty.write_text("\n")
    for path, why in ((tmp_path / "missing.pw", "cannot read the password file"), (empty, "is empty")):
        opts = dict(sim.options(), password_file=str(path))
        del opts["password"]
        [truth] = truth_lookup.run([], variables={}, clusters=[opts], initiators=[IQN1])
        [problem] = truth["problems"]
        assert problem["kind"] == "lookup_failed" and why in problem["msg"] and str(path) in problem["msg"]
    assert sim.request_count == 0
    # the ONTAP_* environment names the file too
    assert ontap.cluster_list([], env={"ONTAP_HOSTNAME": "cl1", "ONTAP_PASSWORD_FILE": "/run/pw"})[0][
        "password_file"] == "/run/pw"
