"""lvm_filter_info's main() end to end on a built SAN tree: the filters it reads (lvm.conf or lvmconfig), what it
says LVM scans, and the pvs it asks only of maps with a working path."""
import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as san_read
from ansible_collections.sanfleet.remediation.plugins.modules import lvm_filter_info
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import healthy_lab

MODULE = lvm_filter_info
PVS = ["pvs", "--reportformat", "json", "-o", "pv_name,vg_name,pv_uuid,dev_size"]


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """The healthy two-map tree as this host; programs found by their bare name, lvmconfig not installed."""
    t = healthy_lab(tmp_path).commands()
    monkeypatch.setattr(san_read, "reader_for", lambda params: t.reader(command_timeout=params["command_timeout"]))
    installed = {"dmsetup", "pvs"}
    monkeypatch.setattr(lvm_filter_info.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: name if name in installed else None)
    t.installed = installed
    return t


def conf(tmp_path, text):
    path = tmp_path / "lvm.conf"
    path.write_text(text)
    return str(path)


def checks(result):
    return sorted((f["check"], f["object"]) for f in result["findings"])


def test_no_filter_every_san_device_is_scanned_and_pvs_asked_of_the_maps(lab, tmp_path, run_module):
    pv = {"pv_name": "/dev/dm-0", "vg_name": "vg_san", "pv_uuid": "u1", "dev_size": "1.00g"}
    lab.run.set(PVS + ["--devices", "/dev/dm-0", "--devices", "/dev/dm-1"],
                json.dumps({"report": [{"pv": [pv, {"pv_name": ""}]}]}))
    result = run_module({"lvm_conf": conf(tmp_path, "devices {\n}\n"), "detail": "full"})
    assert result["filters"] == {"global_filter": None, "filter": None, "use_devicesfile": False,
                                 "source": str(tmp_path / "lvm.conf")}
    assert checks(result) == sorted([("no_lvm_filter", "lvm.conf")] + [
        ("san_device_accepted", n) for n in ("dm-0", "dm-1", "sdb", "sdc", "sdd", "sde")])
    severity = dict((f["object"], f["severity"]) for f in result["findings"])
    assert severity["dm-0"] == "warning" and severity["sdb"] == "info"
    assert result["pvs"] == [pv]
    assert [d["name"] for d in result["san_devices"]] == ["dm-0", "dm-1", "sdb", "sdc", "sdd", "sde"]
    assert result["errors"] == [] and result["changed"] is False


def test_a_global_filter_that_rejects_the_san_leaves_nothing_scanned(lab, tmp_path, run_module):
    result = run_module({"lvm_conf": conf(tmp_path, 'devices {\n global_filter = [ "r|.*|" ]\n}\n'),
                         "use_pvs": False, "detail": "full"})
    assert result["filters"]["global_filter"] == ["r|.*|"]
    assert checks(result) == []
    assert all(d["lvm_uses"] is False for d in result["san_devices"])
    assert not [c for c in lab.run.calls if c[0][0] == "pvs"]


def test_only_filter_set_and_a_map_without_a_working_path_is_not_asked(tmp_path, monkeypatch, run_module):
    t = healthy_lab(tmp_path).commands(paths_state={"sdb": ("F", "faulty", "offline"), "sdd": ("F", "faulty", "offline")})
    monkeypatch.setattr(san_read, "reader_for", lambda params: t.reader(command_timeout=params["command_timeout"]))
    monkeypatch.setattr(lvm_filter_info.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: name if name != "lvmconfig" else None)
    t.run.set(PVS + ["--devices", "/dev/dm-1"], json.dumps({"report": [{"pv": []}]}))
    result = run_module({"lvm_conf": conf(tmp_path, 'devices {\n filter = [ "a|.*|" ]\n}\n')})
    assert ("filter_without_global_filter", "lvm.conf") in checks(result)
    pvs_calls = [c[0] for c in t.run.calls if c[0][0] == "pvs"]
    assert pvs_calls == [PVS + ["--devices", "/dev/dm-1"]]  # dm-0 has no active path: never asked
    assert result["pvs"] == []


def test_lvmconfig_is_read_when_installed_and_an_unreadable_lvm_conf_is_named_in_errors(lab, tmp_path, run_module):
    lab.installed.add("lvmconfig")
    lab.run.set(["lvmconfig", "devices/global_filter"], 'global_filter=["r|^/dev/sd.*|"]\n')
    lab.run.set(["lvmconfig", "devices/filter"], "", rc=5, stderr="Configuration node devices/filter not found")
    lab.run.set(["lvmconfig", "devices/use_devicesfile"], "", rc=5)
    result = run_module({"lvm_conf": str(tmp_path / "missing.conf"), "use_pvs": False, "detail": "full"})
    assert result["filters"]["source"] == "lvmconfig" and result["filters"]["global_filter"] == ["r|^/dev/sd.*|"]
    assert checks(result) == [("san_device_accepted", "dm-0"), ("san_device_accepted", "dm-1")]
    lab.installed.discard("lvmconfig")
    result = run_module({"lvm_conf": str(tmp_path), "use_pvs": False})  # a directory: unreadable
    assert result["filters"]["source"] is None and result["errors"][0]["what"] == str(tmp_path)


def test_a_filter_lvm_cannot_evaluate_fails_naming_it(lab, tmp_path, run_module):
    result = run_module({"lvm_conf": conf(tmp_path, 'devices {\n global_filter = [ "x|a|" ]\n}\n')})
    assert result["failed"] and "cannot evaluate the LVM filter" in result["msg"]
