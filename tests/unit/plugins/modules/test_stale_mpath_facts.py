# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stale_mpath_facts module end to end over a SanTree fixture (observe.read.Host pointed at the tree)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact as judge_compact
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.modules import stale_mpath_facts
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    IQN, TARGET, healthy_lab, inline_call, ontap_serial, ontap_wwid, timeout_answer)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.ansible_compat import patch_module_args


TARGETS = [{"cluster": "c1", "svm": "svm1", "iscsi_target_names": [TARGET], "iscsi_addresses": ["127.0.0.1", "127.0.0.2"]}]


_Real = read.Host


LNS = ("test unit ready:\nFixed format, current; Sense key: Illegal Request\n"
       "Additional sense: Logical unit not supported\n")


def rec(n, lun_id):
    return {"cluster": "c1", "svm": "svm1", "path": "/vol/v1/lun%d" % n, "uuid": "u%d" % n,
            "serial": ontap_serial(n), "serial_hex": ontap_serial(n).encode().hex(), "wwid": ontap_wwid(n),
            "lun_id": lun_id, "igroup": "ig", "igroup_protocol": "iscsi", "igroup_os_type": "linux",
            "igroup_initiators": [IQN], "state": "online", "size_bytes": 1 << 30}


@pytest.fixture
def tree(tmp_path, monkeypatch):
    t = healthy_lab(tmp_path)
    seen = {}

    def reader(**kw):
        seen.update(kw)
        return _Real(root=t.root, run=t.run, call=inline_call, **kw)

    monkeypatch.setattr(read, "Host", reader)
    t.seen = seen
    return t


def run_module(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            stale_mpath_facts.main()
    out = json.loads(capsys.readouterr().out)
    return info.value.code, out


def test_facts_without_array_truth(tree, capsys):
    """Fails when facts without array truth are not compact, have verdicts, or ignore the timeouts."""
    tree.commands()
    rc, out = run_module({"probe_timeout": 3, "command_timeout": 4}, capsys)
    assert rc == 0 and out["changed"] is False
    san = out["ansible_facts"]["san"]
    # both maps are healthy: the default (compact) fact counts and lists them instead of detailing them
    assert san["maps"] == {} and san["healthy"]["maps"]["wwids"] == [ontap_wwid(1), ontap_wwid(2)]
    assert san["findings"] == [] and "verdicts" not in san
    # the module's reader looks the SAN tools up (host.tools_missing); the fake tree has none of their programs
    assert tree.seen == {"command_timeout": 4.0, "read_timeout": 4.0, "probe_timeout": 3.0, "tools": True}
    assert [t["package"] for t in san["host"]["tools_missing"]] == [
        "multipath-tools", "sg3_utils", "open-iscsi", "nvme-cli"]


def test_unmapped_lun_with_array_truth(tree, capsys):
    """Fails when an unmapped LUN with array truth is not found and judged, or check mode changes."""
    tree.commands(paths_state={"sdb": ("F", "faulty", "running"), "sdd": ("F", "faulty", "running")})
    for sd in ("sdb", "sdd"):
        tree.run.set(["sg_turs", "-v", sd], "Illegal request\n", rc=5, stderr=LNS)
        tree.run.set(["sg_inq", sd], "", rc=5, stderr="sg_inq failed: Illegal request\n")
    rc, out = run_module({"array_luns": [rec(2, 2)], "array_targets": TARGETS, "array_initiators": [IQN],
                          "_ansible_check_mode": True}, capsys)
    assert rc == 0 and out["changed"] is False
    san = out["ansible_facts"]["san"]
    assert [(f["kind"], f["name"]) for f in san["findings"]] == [("all_paths_failed", ontap_wwid(1))]
    kinds = dict((v["name"], v["kind"]) for v in san["verdicts"])
    # compact (the default): the healthy map is counted, the stale one keeps its verdict and its map whole
    assert kinds == {ontap_wwid(1): "stale_unmapped"} and san["healthy"]["maps"]["wwids"] == [ontap_wwid(2)]
    assert sorted(san["maps"]) == [ontap_wwid(1)]
    assert san["array"] == {"records": 1, "targets": TARGETS, "problems": [], "initiators": [IQN],
                            "collected_at": None}
    # records without the target identities they cover judge nothing
    rc, out = run_module({"array_luns": [rec(2, 2)], "array_initiators": [IQN]}, capsys)
    assert set(v["kind"] for v in out["ansible_facts"]["san"]["verdicts"]) == {"not_covered"}
    # nor records that do not say which initiators they were read for
    rc, out = run_module({"array_luns": [rec(2, 2)], "array_targets": TARGETS}, capsys)
    assert set(v["kind"] for v in out["ansible_facts"]["san"]["verdicts"]) == {"not_covered"}


def test_a_caller_truth_is_judged_only_for_the_initiators_it_names(tree, capsys):
    """Fails when a caller's truth judges paths over initiators it does not name."""
    tree.commands(paths_state={"sdb": ("F", "faulty", "running"), "sdd": ("F", "faulty", "running")})
    for sd in ("sdb", "sdd"):
        tree.run.set(["sg_turs", "-v", sd], "Illegal request\n", rc=5, stderr=LNS)
        tree.run.set(["sg_inq", sd], "", rc=5, stderr="sg_inq failed: Illegal request\n")
    truth = {"luns": [rec(2, 2)], "targets": TARGETS, "problems": [], "collected_at": 1.0}
    rc, out = run_module({"array_truth": truth}, capsys)
    kinds = dict((v["name"], v["kind"]) for v in out["ansible_facts"]["san"]["verdicts"])
    assert kinds == {ontap_wwid(1): "not_covered", ontap_wwid(2): "not_covered"}
    rc, out = run_module({"array_truth": dict(truth, initiators=["iqn.1994-05.com.redhat:another-host"])}, capsys)
    assert set(v["kind"] for v in out["ansible_facts"]["san"]["verdicts"]) == {"not_covered"}
    rc, out = run_module({"array_truth": dict(truth, initiators=[IQN.upper()]), "detail": "full"}, capsys)
    kinds = dict((v["name"], v["kind"]) for v in out["ansible_facts"]["san"]["verdicts"])
    assert kinds == {ontap_wwid(1): "stale_unmapped", ontap_wwid(2): "healthy"}


def test_array_truth_probes_working_paths_before_serial_mismatch(tree, capsys):
    """Fails when a serial mismatch is judged without probing the working paths first."""
    # the array now maps LU 9 at LUN id 1; the host's healthy map 1 is probed (live VPD 0x80) before any verdict
    tree.commands()
    live = "0" + ontap_serial(9).encode().hex()
    for sd in ("sdb", "sdd"):
        tree.run.set(["sg_turs", "-v", sd], "")
        tree.run.set(["sg_inq", sd], "standard INQUIRY:\n  PQual=0  PDT=0  RMB=0\n")
        tree.run.set(["sg_inq", "-p", "0x80", "-r", sd], "\x00\ufffd\x00\x19" + live)
    truth = {"luns": [rec(9, 1), rec(2, 2)], "targets": TARGETS, "problems": [], "initiators": [IQN],
             "collected_at": 1.0}
    rc, out = run_module({"array_truth": truth, "detail": "full"}, capsys)
    san = out["ansible_facts"]["san"]
    assert sorted(san["maps"][ontap_wwid(1)]["probe"]) == ["sdb", "sdd"]
    assert san["maps"][ontap_wwid(2)]["probe"] == {}          # nothing hangs on map 2's paths: not probed
    v = [x for x in san["verdicts"] if x["name"] == ontap_wwid(1)][0]
    assert v["kind"] == "serial_mismatch" and v["evidence"]["paths"][0]["serial_live"] == live
    assert san["array"]["collected_at"] == 1.0


def test_probe_false_sends_no_scsi_command(tree, capsys):
    """Fails when probe false sends a SCSI command."""
    tree.commands(paths_state={"sdb": ("F", "faulty", "running")})
    rc, out = run_module({"probe": False}, capsys)
    assert rc == 0
    assert not [c for c in tree.run.calls if c[0][0].startswith("sg_")]
    assert out["ansible_facts"]["san"]["maps"][ontap_wwid(1)]["probe"] == {}


def test_probe_timeout_is_partial(tree, capsys):
    """Fails when a probe timeout fails the facts instead of being reported."""
    tree.commands(paths_state={"sdb": ("F", "faulty", "running")})
    tree.run.answers[("sg_turs", "-v", "sdb")] = timeout_answer
    tree.run.set(["sg_turs", "-v", "sdd"], "")
    tree.run.set(["sg_inq", "sdd"], "standard INQUIRY:\n  PQual=0  PDT=0\n")
    tree.run.set(["sg_inq", "-p", "0x80", "-r", "sdd"], "\x00\ufffd\x00\x0cX")
    rc, out = run_module({}, capsys)
    assert rc == 0
    san = out["ansible_facts"]["san"]
    assert san["maps"][ontap_wwid(1)]["probe"]["sdb"]["result"] == "no_answer"
    assert [e["what"] for e in san["errors"]] == ["probe of sdb"]


def test_hung_core_read_fails_naming_it(tree, capsys):
    """Fails when a hung dmsetup status does not fail the module naming it."""
    tree.commands()
    tree.run.answers[tuple(read.CMD_DM_STATUS)] = timeout_answer
    rc, out = run_module({}, capsys)
    assert rc == 1 and out["failed"] is True
    assert "dmsetup status --target multipath" in out["msg"] and "did not finish" in out["msg"]


def test_hung_listing_fails_naming_it(tree, capsys, monkeypatch):
    """Fails when a hung /sys/block listing does not fail the module naming it."""
    tree.commands()

    def call(fn, args=(), timeout=10.0, what=None):
        raise deadline.DeadlineExceeded(what, timeout)

    monkeypatch.setattr(read, "Host",
                        lambda **kw: _Real(root=tree.root, run=tree.run, call=call, **kw))
    rc, out = run_module({}, capsys)
    assert rc == 1 and "listing of /sys/block" in out["msg"]


@pytest.mark.parametrize("args,msg", [
    ({"probe_timeout": 0}, "probe_timeout must be a positive"),
    ({"command_timeout": -1}, "command_timeout must be a positive"),
    ({"array_wwid_prefixes": ["36;rm"]}, "not a hex WWID prefix"),
    ({"root": "/tmp"}, "Unsupported parameters"),
    ({"array_luns": [{"wwid": 123}]}, "array_luns[0].wwid must be str"),
    ({"array_luns": [{"wwid": "../../x"}]}, "WWID"),
    ({"array_luns": [{"lun_id": "1"}]}, "array_luns[0].lun_id must be int"),
    ({"array_luns": [{"lun_id": True}]}, "lun_id must be int"),
    ({"array_luns": [{"igroup_initiators": [1]}]}, "igroup_initiators[0] must be a string"),
    ({"array_luns": [{"lun_id": 1, "serial": None}]}, "array_luns[0] has no wwid"),
    ({"array_luns": [], "array_initiators": [""]}, "array_initiators[0] must be a non-empty string"),
    ({"array_truth": {"luns": ["x"]}}, "array_truth.luns[0] must be a dict"),
    ({"array_truth": {"luns": [], "targets": "x"}}, "array_truth.targets must be a list"),
    # hex in no form a device's WWID takes (no designator type, a wrong length): it would match no device
    ({"array_luns": [{"wwid": "600a0980383030"}]}, "array_luns[0].wwid '600a0980383030' is in no form"),
    ({"array_luns": [{"wwid": "a" * 32}]}, "is in no form"),
    ({"array_truth": {"luns": [{"wwid": "3600a09"}]}}, "array_truth.luns[0].wwid '3600a09' is in no form"),
])
def test_bad_input_is_refused_before_reading(tree, capsys, args, msg):
    """Fails when bad stale_mpath_facts input is not refused before reading."""
    tree.commands()
    rc, out = run_module(args, capsys)
    assert rc == 1 and msg in out["msg"]
    assert tree.run.calls == []


@pytest.mark.skipif(sys.version_info < (3, 7), reason="the doc fragments are controller code (ansible-doc reads them "
                    "on the controller's Python): their `from __future__ import annotations` is no Python 3.6")
def test_documentation_is_valid_yaml_with_attributes():
    """Fails when the module's documentation is not valid YAML or differs from its argument spec."""
    import yaml
    doc = yaml.safe_load(stale_mpath_facts.DOCUMENTATION)
    assert doc["module"] == "stale_mpath_facts"
    from ansible_collections.sanfleet.remediation.plugins.doc_fragments.deadlines import ModuleDocFragment
    options = set(doc["options"])
    for fragment in doc["extends_documentation_fragment"]:
        if fragment.startswith("sanfleet.remediation.deadlines"):
            var = (fragment.split(".")[3:] or ["documentation"])[0].upper()
            options |= set(yaml.safe_load(getattr(ModuleDocFragment, var))["options"])
    assert options == set(stale_mpath_facts.argument_spec())
    assert doc["attributes"]["check_mode"]["support"] == "full"
    assert doc["attributes"]["facts"]["support"] == "full"
    assert doc["attributes"]["diff_mode"]["support"] == "none"
    assert doc["attributes"]["platform"]["platforms"] == "posix"
    yaml.safe_load(stale_mpath_facts.EXAMPLES)
    yaml.safe_load(stale_mpath_facts.RETURN)


def test_a_bare_naa_hex_wwid_never_makes_a_mapped_lun_stale(tree, capsys):
    """A WWID has one form. validate.WWID accepts any 2-64 hex digits and multipath_wwid returns hex as
    is, so `600a0980...` (the NAA-6 id as Windows, ESXi without `naa.`, and many inventory tools print it) stays
    `600a0980...` and matches no device (`3600a0980...`): the map the record maps, every path down in an outage
    answering LOGICAL UNIT NOT SUPPORTED from a wrong igroup edit, is judged stale_unmapped. Either normalise it
    (32 hex digits starting 6 -> 3 + it) or refuse it; never judge against it."""
    tree.commands(paths_state={"sdb": ("F", "faulty", "running"), "sdd": ("F", "faulty", "running")})
    for sd in ("sdb", "sdd"):
        tree.run.set(["sg_turs", "-v", sd], "Illegal request\n", rc=5, stderr=LNS)
        tree.run.set(["sg_inq", sd], "", rc=5, stderr="sg_inq failed: Illegal request\n")
    bare = dict(rec(1, 1), wwid=ontap_wwid(1)[1:])
    assert bare["wwid"].startswith("600a0980")
    truth = {"luns": [bare, rec(2, 2)], "targets": TARGETS, "problems": [], "initiators": [IQN], "collected_at": 1.0}
    rc, out = run_module({"array_truth": truth}, capsys)
    if out.get("failed"):
        assert "wwid" in out["msg"]
        return
    kinds = dict((v["name"], v["kind"]) for v in out["ansible_facts"]["san"]["verdicts"])
    assert kinds[ontap_wwid(1)] == "paths_down_but_mapped"


@pytest.mark.parametrize("given,normal", [
    ("600A098038303053453F463045727A6F", "3600a098038303053453f463045727a6f"),   # NAA 6, bare (Windows, ESXi)
    ("5000c500a1b2c3d4", "35000c500a1b2c3d4"),                                   # NAA 5, bare
    ("naa.600a098038303053453f463045727a6f", "3600a098038303053453f463045727a6f"),
    ("3600a098038303053453f463045727a6f", "3600a098038303053453f463045727a6f"),
    ("eui.0025385b71b01234", "20025385b71b01234"),
])
def test_a_record_wwid_is_normalised_to_the_form_multipath_names_maps_by(given, normal):
    """Fails when a record's WWID is not put in the form multipath names maps by."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
    assert validate.array_lun({"wwid": given})["wwid"] == normal


def _timeless(node):
    """The fact without the probes' `elapsed` (wall-clock seconds of one run)."""
    if isinstance(node, dict):
        return dict((k, _timeless(v)) for k, v in node.items() if k != "elapsed")
    if isinstance(node, list):
        return [_timeless(v) for v in node]
    return node


def test_detail_full_is_the_whole_snapshot_and_compact_its_summary(tree, capsys):
    """detail=full returns the fact as before (every map, disk and verdict, no `healthy`); the default is the
    compact form of that same snapshot."""
    tree.commands(paths_state={"sdb": ("F", "faulty", "running"), "sdd": ("F", "faulty", "running")})
    for sd in ("sdb", "sdd"):
        tree.run.set(["sg_turs", "-v", sd], "Illegal request\n", rc=5, stderr=LNS)
        tree.run.set(["sg_inq", sd], "", rc=5, stderr="sg_inq failed: Illegal request\n")
    args = {"array_luns": [rec(2, 2)], "array_targets": TARGETS, "array_initiators": [IQN]}
    _rc, full = run_module(dict(args, detail="full"), capsys)
    _rc, compact = run_module(args, capsys)
    full, compact = full["ansible_facts"]["san"], compact["ansible_facts"]["san"]
    assert "healthy" not in full and sorted(full["maps"]) == [ontap_wwid(1), ontap_wwid(2)]
    assert len(full["verdicts"]) == 2 and len(full["disks"]) == 5       # sda: the local disk, in no map
    compact.pop("collected_at"), full.pop("collected_at")
    # two runs: the probes' own timing (`elapsed`, rounded to ms) may differ between them, nothing else may
    compact, full = _timeless(compact), _timeless(full)
    assert compact == judge_compact.compact(full)
    assert compact["maps"] == {ontap_wwid(1): full["maps"][ontap_wwid(1)]}


def test_an_nvme_part_that_cannot_be_used_leaves_the_scsi_devices_judged(tree, capsys):
    """An NVMe part of the truth that is not the contract (here a zero-led nsid, ONTAP's text without its "h" or a
    decimal: never guessed) failed the whole task, so the host's SCSI devices were not judged either. The SCSI
    devices are judged on the SCSI part; the NVMe part is named as a problem of the NVMe truth, per host."""
    tree.commands(paths_state={"sdb": ("F", "faulty", "running"), "sdd": ("F", "faulty", "running")})
    for sd in ("sdb", "sdd"):
        tree.run.set(["sg_turs", "-v", sd], "Illegal request\n", rc=5, stderr=LNS)
        tree.run.set(["sg_inq", sd], "", rc=5, stderr="sg_inq failed: Illegal request\n")
    nvme = {"namespaces": [{"subsystem_nqn": "nqn.1992-08.com.netapp:sn.1:subsystem.s", "nsid": "00000010",
                            "host_nqns": ["nqn.2014-08.org.nvmexpress:uuid:1"]}], "host_nqns": ["*"]}
    truth = {"luns": [rec(2, 2)], "targets": TARGETS, "initiators": [IQN], "problems": [], "collected_at": 1.0,
             "nvme": nvme}
    rc, out = run_module({"array_truth": truth}, capsys)
    assert rc == 0 and not out.get("failed"), out.get("msg")
    san = out["ansible_facts"]["san"]
    assert dict((v["name"], v["kind"]) for v in san["verdicts"]) == {ontap_wwid(1): "stale_unmapped"}
    (problem,) = san["array"]["nvme_problems"]
    assert problem["kind"] == "unusable_truth" and "'00000010'" in problem["msg"]
    assert san["array"]["problems"] == []


def test_a_scsi_part_that_cannot_be_used_names_every_scsi_device_not_judged(tree, capsys):
    """The reverse: a SCSI part that is not the contract beside a usable NVMe part judges no SCSI device (each is
    not_covered, naming the field), and the host carries the problem; the module does not fail."""
    tree.commands(paths_state={"sdb": ("F", "faulty", "running"), "sdd": ("F", "faulty", "running")})
    truth = {"luns": [dict(rec(2, 2), lun_id="2")], "targets": TARGETS, "initiators": [IQN], "problems": [],
             "collected_at": 1.0, "nvme": {"namespaces": [], "targets": [], "host_nqns": ["*"], "problems": []}}
    rc, out = run_module({"array_truth": truth, "detail": "full"}, capsys)
    assert rc == 0 and not out.get("failed"), out.get("msg")
    san = out["ansible_facts"]["san"]
    assert set(v["kind"] for v in san["verdicts"]) == {"not_covered"} and len(san["verdicts"]) == 2
    assert all("array_truth.luns[0].lun_id must be int" in v["reason"] for v in san["verdicts"])
    assert [p["kind"] for p in san["array"]["problems"]] == ["unusable_truth"]
