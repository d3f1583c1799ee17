"""report_identity: the initiator identities and igroups several hosts of one report share (fleet identity)."""
import json
from pathlib import Path

import jsonschema
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import (
    fleet_identity, fleet_identity_violations, fleet_report, host_report)

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((ROOT / "meta" / "schemas" / "host_report.schema.json").read_text())
NQN = "nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0042-3410-8058-b4c04f305a32"
HOSTID = "4c4c4544-0042-3410-8058-b4c04f305a32"


def _san(iqn=None, wwpns=(), hostnqn=None, hostid=None, unread_pieces=(), nvme_unread=None):
    """A `san` fact with the identity fields stale_mpath_facts gives (observe/snapshot.py)."""
    return {"host": {"iscsi_iqn": iqn, "iscsi_iqn_file": iqn, "initiators": sorted(([iqn] if iqn else []) + list(wwpns)),
                     "fc_wwpns": list(wwpns), "fc_hosts": [], "nvme_hostnqn": hostnqn, "nvme_hostid": hostid,
                     "nvme_identity_unread": nvme_unread or {}, "unread_pieces": list(unread_pieces)},
            "maps": {}, "disks": {}, "findings": []}


def _reports(**sans):
    return [host_report({"san": san}, host, "audit") for host, san in sorted(sans.items())]


def _rows(reports, host, check="shared_initiator_identity"):
    [rep] = [r for r in reports if r["host"] == host]
    return [f for f in rep["findings"] if f["area"] == "fleet" and f["check"] == check]


def test_an_identity_two_hosts_hold_is_one_violation_on_each_naming_both():
    """A cloned image: two hosts log in with one IQN (spelled in another case: iSCSI names are case-blind) and hold
    one host NQN; each host's report carries a violation naming both hosts, and a third host with its own
    identities has none. Without the fleet check every report was 'ok'."""
    reps = fleet_identity(_reports(web1=_san("iqn.1994-05.com.redhat:gold", hostnqn=NQN),
                                   web2=_san("IQN.1994-05.com.RedHat:GOLD", hostnqn=NQN),
                                   db1=_san("iqn.1994-05.com.redhat:db1", hostnqn=NQN.replace("b4c0", "0000"))))
    for host in ("web1", "web2"):
        rows = _rows(reps, host)
        assert sorted(r["reason"].split(" ")[1] for r in rows) == ["NVMe", "iSCSI"]
        assert all(r["hosts"] == ["web1", "web2"] and r["severity"] == "violation" for r in rows)
        assert "web1, web2" in rows[0]["reason"]
    assert _rows(reps, "db1") == []
    by = {r["host"]: r for r in reps}
    assert (by["web1"]["status"], by["db1"]["status"]) == ("violation", "ok")
    assert by["web1"]["counts"]["violation"] == 2 and "fleet" in by["db1"]["areas"]
    for rep in reps:
        jsonschema.validate(rep, SCHEMA)


@pytest.mark.parametrize("one,other,shared", [
    (dict(hostnqn=NQN), dict(hostnqn=NQN.upper().replace("NQN.", "nqn.")), False),  # NQNs compare exactly
    (dict(hostid=HOSTID), dict(hostid=HOSTID), True),
    (dict(wwpns=["0x21000024ff3a0b1c"]), dict(wwpns=["21:00:00:24:FF:3A:0B:1C"]), True),
    (dict(iqn="iqn.2024-01.lab:a"), dict(iqn="iqn.2024-01.lab:b"), False),
])
def test_each_kind_of_identity_compares_as_its_protocol_does(one, other, shared):
    """NQNs that differ only in case are two NQNs for libnvme and the kernel (strcmp): a case-blind check would call
    them a clone; WWPNs in two notations are one port."""
    reps = fleet_identity(_reports(h1=_san(**one), h2=_san(**other)))
    assert bool(_rows(reps, "h1")) is shared and bool(_rows(reps, "h2")) is shared


def test_a_host_whose_identities_were_not_read_is_not_called_unique():
    """A host whose initiator read missed its deadline, or whose /etc/nvme/hostnqn could not be read, shows no
    identity: that is unknown, not unique. Its JUnit case is skipped with the reason, never passed; a host read
    whole passes."""
    reps = _reports(h1=_san("iqn.2024-01.lab:a"), h2=_san(unread_pieces=["initiators"]),
                    h3=_san("iqn.2024-01.lab:c", nvme_unread={"/etc/nvme/hostnqn": "not read: Permission denied"}))
    fleet = fleet_report(reps, ["h1", "h2", "h3"])
    cases = {(s["host"], c["name"]): c for s in fleet["junit"] for c in s["cases"]}
    assert cases[("h1", "fleet/shared_initiator_identity")]["state"] == "passed"
    for host, why in (("h2", "the read of the initiator names did not finish"),
                      ("h3", "/etc/nvme/hostnqn not read: Permission denied")):
        case = cases[(host, "fleet/shared_initiator_identity")]
        assert case["state"] == "skipped" and "not known to be unique" in case["message"] and why in case["message"]
    # the igroups were not read: that check is skipped, with why, on every host
    assert all(cases[(h, "fleet/igroup_spans_hosts")]["state"] == "skipped" for h in ("h1", "h2", "h3"))


def _igroup(name, initiators, cluster="cl1", svm="svm1"):
    return {"cluster": cluster, "svm": svm, "name": name, "initiators": initiators, "hosts": [], "lun_maps": []}


def test_an_igroup_of_several_hosts_is_a_violation_unless_declared_shared():
    """An igroup holding the initiators of two inventory hosts lets a LUN mapped for one reach the other; declared
    shared (sanfleet_shared_igroups, a pattern) it is meant. An igroup of one host is no finding."""
    reps = _reports(esx1=_san("iqn.1998-01.com.vmware:esx1"), esx2=_san(wwpns=["0x2100000000000002"]),
                    db1=_san("iqn.2024-01.lab:db1"))
    igroups = [_igroup("esx_all", ["iqn.1998-01.com.vmware:ESX1", "21:00:00:00:00:00:00:02"]),
               _igroup("db1", ["iqn.2024-01.lab:db1"]),
               {"cluster": "cl2", "svm": None, "problem": {"cluster": "cl2", "kind": "lookup_failed", "msg": "HTTP 401"}}]
    out = fleet_identity(reps, igroups=igroups)
    for host in ("esx1", "esx2"):
        [row] = _rows(out, host, "igroup_spans_hosts")
        assert row["object"] == "cl1/svm1/esx_all" and row["hosts"] == ["esx1", "esx2"]
    assert _rows(out, "db1", "igroup_spans_hosts") == []
    [db1] = [r for r in out if r["host"] == "db1"]
    assert "cl2" in db1["summary"]["fleet_not_compared"]["igroup_spans_hosts"]
    declared = fleet_identity(reps, igroups=igroups, shared_igroups=["cl1/svm1/esx_*"])
    assert all(not _rows(declared, h, "igroup_spans_hosts") for h in ("esx1", "esx2"))


def _subsystem(name, nqns, cluster="cl1", svm="svm1"):
    return {"cluster": cluster, "svm": svm, "name": name, "protocol": "nvme", "initiators": nqns, "hosts": [],
            "lun_maps": []}


NQN_B = NQN.replace("b4c0", "0000")


def test_an_nvme_subsystem_allowing_two_hosts_nqns_is_a_violation_unless_declared_shared():
    """A subsystem whose hosts list holds the host NQNs of two inventory hosts maps each namespace to both; an NQN
    differing only in case is another NQN (no finding); declared shared it is meant. Fails when subsystems are not
    compared, are compared case-blind, or as igroups (the check names the subsystem)."""
    reps = _reports(n1=_san(hostnqn=NQN), n2=_san(hostnqn=NQN_B), n3=_san(hostnqn=NQN.replace("4c4c", "5d5d")))
    subsystems = [_subsystem("k8s_all", [NQN, NQN_B]), _subsystem("n3", [NQN.replace("4c4c", "5d5d")]),
                  _subsystem("case", [NQN.replace("4c4c", "5d5d"), NQN_B.upper().replace("NQN.", "nqn.")])]
    out = fleet_identity(reps, igroups=subsystems)
    for host in ("n1", "n2"):
        [row] = _rows(out, host, "subsystem_spans_hosts")
        assert row["object"] == "cl1/svm1/k8s_all" and row["hosts"] == ["n1", "n2"], row
        assert "NVMe subsystem" in row["reason"] and not _rows(out, host, "igroup_spans_hosts")
    assert _rows(out, "n3", "subsystem_spans_hosts") == []
    declared = fleet_identity(reps, igroups=subsystems, shared_igroups=["cl1/svm1/k8s_*"])
    assert all(not _rows(declared, h, "subsystem_spans_hosts") for h in ("n1", "n2"))


def test_a_subsystem_whose_hosts_were_not_read_is_not_compared_and_says_so():
    """A subsystem whose hosts list was not read whole (initiators null), or a cluster whose NVMe part was not read,
    allows nobody known: the subsystem check is skipped with its name on every host, never passed; the igroup
    check is not touched by it."""
    reps = _reports(n1=_san(hostnqn=NQN), n2=_san(hostnqn=NQN_B))
    records = [_subsystem("cut", None), {"cluster": "cl2", "protocol": "nvme", "nvme_unread": "HTTP 500"}]
    out = fleet_identity(reps, igroups=records)
    for rep in out:
        why = rep["summary"]["fleet_not_compared"]
        assert "cl1/svm1/cut" in why["subsystem_spans_hosts"] and "cl2" in why["subsystem_spans_hosts"], why
        assert "igroup_spans_hosts" not in why
    assert not any(_rows(out, h, "subsystem_spans_hosts") for h in ("n1", "n2"))


def test_an_unread_cluster_beside_an_unread_subsystem_is_named_and_every_report_is_written():
    """One cluster that could not be read at all and another whose NVMe part or one subsystem's hosts list was not:
    both checks are skipped naming what was not read, nothing raises (a raise leaves the audit without reports)."""
    reps = _reports(n1=_san(hostnqn=NQN), n2=_san(hostnqn=NQN_B))
    problem = {"cluster": "cl2", "svm": None, "problem": {"cluster": "cl2", "kind": "lookup_failed", "msg": "refused"}}
    for records in ([{"cluster": "cl1", "protocol": "nvme", "nvme_unread": "HTTP 403"}, problem],
                    [_subsystem("cut", None), problem, _igroup("ig", ["iqn.2024-01.lab:n1"])]):
        out = fleet_identity(reps, igroups=records)
        for rep in out:
            why = rep["summary"]["fleet_not_compared"]
            assert "cl2" in why["igroup_spans_hosts"] and "cl2" in why["subsystem_spans_hosts"], why
            assert "cl1" in why["subsystem_spans_hosts"] and "cl1" not in why["igroup_spans_hosts"], why


def test_an_nqn_is_never_compared_as_an_iscsi_name():
    """An allowed host text that is no NQN nvme-cli would take, and the NQNs of connected controllers among a host's
    initiators, differing only in case between two hosts: no finding (NQNs compare exactly; an iSCSI name's
    case-blind compare would call them one)."""
    odd = "nqn.2014-08.org.nvmexpress:uuid:HostA"
    one, other = _san(hostnqn=NQN), _san(hostnqn=NQN_B)
    one["host"]["initiators"].append(odd)
    other["host"]["initiators"].append(odd.lower())
    out = fleet_identity(_reports(h1=one, h2=other), igroups=[_subsystem("sub", [odd])])
    assert not any(_rows(out, h, c) for h in ("h1", "h2") for c in ("subsystem_spans_hosts", "shared_initiator_identity"))


def test_fleet_identity_is_idempotent_and_leaves_its_input_alone():
    """The role applies it for the per-host files and fleet_report applies it again: a second pass that added the
    rows twice would double every count; the reports given are not changed."""
    reps = _reports(h1=_san("iqn.2024-01.lab:x"), h2=_san("iqn.2024-01.lab:x"))
    once = fleet_identity(reps)
    assert fleet_identity(once) == once
    assert all(not any(f["area"] == "fleet" for f in r["findings"]) for r in reps)
    fleet = fleet_report(once, ["h1", "h2"])
    assert fleet["counts"]["by_check"]["shared_initiator_identity"] == 2
    assert [(e["object"], e["hosts"]) for e in fleet["fleet"]] == [("iqn.2024-01.lab:x", ["h1", "h2"])]
    cases = {(s["host"], c["name"]): c["state"] for s in fleet["junit"] for c in s["cases"]}
    assert cases[("h1", "fleet/shared_initiator_identity")] == cases[("h2", "fleet/shared_initiator_identity")] == "failed"


def test_failed_and_not_san_hosts_are_not_compared():
    """A failed host's report holds no identity (its facts are not a judgement): it must neither be called a clone
    nor change another host's verdict."""
    failed = host_report({"san": _san("iqn.2024-01.lab:x"), "failed": {"task": "t", "msg": "boom"}}, "h2", "audit")
    reps = fleet_identity(_reports(h1=_san("iqn.2024-01.lab:x")) + [failed])
    assert _rows(reps, "h1") == [] and reps[1]["status"] == "failed" and "fleet" not in reps[1]["areas"]


def test_fleet_identity_violations_per_host_for_the_compliance_job():
    """The compliance job fails a host on its violations: a shared identity must be one of them, with a text naming
    both hosts; a host with none gets an empty list."""
    out = fleet_identity_violations(_reports(h1=_san("iqn.2024-01.lab:x"), h2=_san("iqn.2024-01.lab:x"),
                                             h3=_san("iqn.2024-01.lab:y")))
    assert [v["text"] for v in out["h1"]] == ["fleet shared_initiator_identity: iqn.2024-01.lab:x (h1, h2)"]
    assert out["h3"] == []


@pytest.mark.parametrize("bad", ["cl1/svm1/esx", [1], {"a": 1}])
def test_shared_igroups_must_be_a_list_of_names(bad):
    """A string would be taken letter by letter as patterns ('*' among them would declare every igroup shared)."""
    with pytest.raises(AnsibleFilterError, match="shared_igroups"):
        fleet_identity([], shared_igroups=bad)


def test_the_fleet_pages_and_junit_name_the_shared_identity_and_both_hosts():
    """The fleet.md/fleet.html section and the JUnit failure are what an operator and a CI dashboard read: a shared
    identity that only fleet.json held would go unseen."""
    import xml.etree.ElementTree as ET

    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.plain_templates import PageTemplate

    fleet = fleet_report(_reports(web1=_san("iqn.2024-01.lab:gold"), web2=_san("iqn.2024-01.lab:gold")),
                         ["web1", "web2"], generated_at="2026-11-25T02:00:00Z", run="audit")
    templates = ROOT / "roles" / "fleet_report" / "templates"
    variables = {"fleet_report": fleet, "fleet_report_igroups": []}
    for name in ("fleet.md.j2", "fleet.html.j2"):
        page = PageTemplate(str(templates / name)).render(variables)
        section = page.split("Fleet identity", 1)[1]
        assert "iqn.2024-01.lab:gold" in section and "2: web1, web2" in section, name
    root = ET.fromstring(PageTemplate(str(templates / "junit.xml.j2")).render(variables))
    failed = [s.get("name") for s in root.iter("testsuite")
              for c in s.iter("testcase") if c.get("name") == "fleet/shared_initiator_identity"
              and c.find("failure") is not None]
    assert failed == ["web1", "web2"]
