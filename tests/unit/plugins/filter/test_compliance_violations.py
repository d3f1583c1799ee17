import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.filter.compliance_violations import compliance_violations

MP = {"remaining_findings": [
    {"check": "no_path_retry_queue", "scope": 'devices/device[vendor="NETAPP",product="LUN"]', "key": "no_path_retry",
     "value": "queue", "severity": "warning"},
    {"check": "find_multipaths", "scope": "defaults", "key": "find_multipaths", "value": "no", "severity": "info"},
    {"check": "live_map_queueing", "scope": "map:3600a0980aa", "severity": "warning"}],
    "live_maps_queueing": ["3600a0980aa", "3600a0980bb"]}
ISCSI = {"file_changes": {"node.session.scan": "modified", "node.startup": "unchanged"},
         "record_changes": [{"target": "iqn.t", "portal": "127.0.0.1:3260", "key": "node.session.scan",
                             "before": "auto", "after": "manual"}]}
LVM = {"findings": [{"check": "no_lvm_filter", "object": "lvm.conf", "reason": "r", "severity": "warning"},
                    {"check": "devices_file", "object": "x", "severity": "info"}]}
SAN = {"verdicts": [{"kind": "healthy", "name": "a"}, {"kind": "stale_unmapped", "name": "b", "wwid": "36b"},
                    {"kind": "paths_down_but_mapped", "name": "c"}, {"kind": "serial_mismatch", "name": "sdd"}]}


def test_every_warning_and_stale_verdict_is_a_violation_and_info_is_not():
    out = compliance_violations({"multipath": MP, "iscsi": ISCSI, "lvm": LVM, "san": SAN})
    assert [(v["area"], v["check"], v["object"]) for v in out] == [
        ("multipath", "no_path_retry_queue", 'devices/device[vendor="NETAPP",product="LUN"]'),
        ("multipath", "live_map_queueing", "2 maps"),
        ("iscsi", "node.session.scan", "iscsid.conf"),
        ("iscsi", "node.session.scan", "iqn.t 127.0.0.1:3260"),
        ("lvm", "no_lvm_filter", "lvm.conf"),
        ("stale", "stale_unmapped", "b"),
        ("stale", "serial_mismatch", "sdd")]
    assert "queue" in out[0]["text"] and "auto, not manual" in out[3]["text"]
    # one violation for every queueing map, whether a finding or the list named it (or both): all of them in devices
    assert out[1]["devices"] == ["3600a0980aa", "3600a0980bb"] and out[1]["count"] == 2 and out[1]["device"] is None


def test_a_compliant_host_and_skipped_parts_give_nothing():
    clean = {"multipath": {"remaining_findings": [], "live_maps_queueing": []},
             "iscsi": {"skipped": True, "file_changes": {"node.session.scan": "modified"}},
             "lvm": {"changed": False, "skipped": True}, "san": {"verdicts": [{"kind": "healthy", "name": "a"}]}}
    assert compliance_violations(clean) == []
    assert compliance_violations({}) == []


def test_wrong_input_type_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        compliance_violations(["multipath"])


def test_fc_rport_timeouts_are_violations_with_the_rport_wwpn():
    san = {"host": {"fc_hosts": [{"host": 8, "wwpn": "0x2000025a1a0a0001", "port_state": "Linkdown"}],
                    "fc_rports": [{"rport": "rport-8:0-0", "host": 8, "port_name": "0x2000025a1a0a0002",
                                   "port_state": "Online", "roles": "FCP Target", "dev_loss_tmo": "300",
                                   "fast_io_fail_tmo": "off"}]},
           "disks": {"sdb": {"name": "sdb", "transport": "fc", "host": 8, "target_wwpn": "0x2000025a1a0a0002",
                             "vendor": "NETAPP", "model": "LUN C-Mode", "wwid": "w", "map": "w"}}}
    mp = {"remaining_findings": [], "tmo_settings": {"defaults": {"fast_io_fail_tmo": "5"}, "devices": [
        {"vendor": "NETAPP", "product": "LUN", "no_path_retry": "queue", "dev_loss_tmo": "infinity"}]}}
    out = compliance_violations({"san": san, "multipath": mp})
    assert sorted((v["area"], v["check"], v["object"]) for v in out) == [
        ("fc", "rport_fast_io_fail_off", "20:00:02:5a:1a:0a:00:02"),
        ("fc", "rport_tmo_mismatch", "20:00:02:5a:1a:0a:00:02")]
    # the link state is a warning of the report, not a compliance violation
    assert compliance_violations({"san": {"host": san["host"], "disks": {}}}) == []


def test_a_warning_lvm_finding_that_names_its_devices_stays_about_its_object():
    # only the per-device checks (compact_audit.PER_DEVICE_CHECKS) are merged into '<n> maps': a finding about a VG
    # that lists the VG's devices (as san_vg_active does) is one violation about the VG, whatever its severity
    vg = {"check": "san_vg_active", "object": "vg_data", "severity": "warning", "devices": ["dm-3"], "reason": "r"}
    lvm = {"findings": [vg], "san_devices": [{"name": "dm-3", "kind": "map"}]}
    (v,) = compliance_violations({"lvm": lvm})
    assert (v["object"], v["device"], v.get("count")) == ("vg_data", "vg_data", None)
