# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every parser over real captures of three generations of the SAN stack (tests/lab/capture.py).

    bookworm  tests/unit/fixtures/<scenario>.tar.gz           kernel 6.1,  multipath-tools 0.9.4,  open-iscsi 2.1.8
    bullseye  tests/unit/fixtures/bullseye/<scenario>.tar.gz  kernel 5.10, multipath-tools 0.8.5,  open-iscsi 2.1.3
    trixie    tests/unit/fixtures/trixie/<scenario>.tar.gz    kernel 6.12, multipath-tools 0.11.1, open-iscsi 2.1.11

The tests ask for behaviour (maps, paths, WWIDs, the NETAPP built-in entry, what the tool says it supports), not
for a module layout: every collection function they call comes through `api()`, so a rename or a split of a
module is a one-line fix there. Expectations come from the capture's own ground truth (truth.json: what the
lab's target exports) and from what the captured tool printed, never from a table of versions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.tests.unit.helpers import SCENARIOS, api, capture
from ansible_collections.sanfleet.remediation.tests.unit.helpers import suite  # noqa: F401,F811 pylint: disable=unused-import


def netapp_lus(truth):
    return [lu for lu in truth["lus"] if lu["mapped"] and lu["netapp"]]


# ------------------------------------------------------------------------------------------ multipathd / dm


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_multipathd_maps_json_finds_every_map_and_path(suite, scenario):
    """Fails when a Debian generation's multipathd JSON is read with a map or path missing."""
    cap = capture(suite, scenario)
    maps = api().multipathd_maps_json(cap.out("multipathd show maps json"))
    wanted = set(cap.meta["lab_maps"])
    assert set(maps) == wanted and wanted
    for name, m in maps.items():
        assert set(m["paths"]) == set(p["sd"] for p in cap.meta["lab_maps"][name]["paths"]), name
        assert m["uuid"] == name   # the WWID (user_friendly_names no: the name too)
    for lu in netapp_lus(cap.truth):
        if lu["wwid"] in maps:
            assert maps[lu["wwid"]]["vendor"].startswith("NETAPP") and maps[lu["wwid"]]["product"].startswith("LUN")


@pytest.mark.parametrize("scenario", ["healthy", "unmapped"])
def test_multipathd_one_map_json_is_the_same_map(suite, scenario):
    """Fails when multipathd's one-map JSON reads otherwise than the same map in the list."""
    cap = capture(suite, scenario)
    p = api()
    every = p.multipathd_maps_json(cap.out("multipathd show maps json"))
    for name in cap.meta["lab_maps"]:
        one = p.multipathd_maps_json(cap.out("multipathd show map %s json" % name))
        assert list(one) == [name]
        assert set(one[name]["paths"]) == set(every[name]["paths"])
        assert one[name]["features"] == every[name]["features"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_dmsetup_table_and_status_parse_without_errors(suite, scenario):
    """Fails when a Debian generation's dmsetup table or status does not parse cleanly."""
    cap = capture(suite, scenario)
    p = api()
    tables, t_err = p.dm_table(cap.out("dmsetup table --target multipath"))
    status, s_err = p.dm_status(cap.out("dmsetup status --target multipath"))
    assert t_err == [] and s_err == []
    assert set(tables) == set(status) == set(cap.meta["lab_maps"])
    for name, lab_map in cap.meta["lab_maps"].items():
        devs = sorted(d for g in tables[name]["groups"] for d in g["paths"])
        assert devs == sorted(x["dev"] for x in lab_map["paths"])
        assert tables[name]["queueing"] == lab_map["queueing"]
        active = dict((x["dev"], x["active"]) for g in status[name]["groups"] for x in g["paths"])
        assert active == dict((x["dev"], x["dm_state"] == "active") for x in lab_map["paths"])


def test_unmapped_lun_fails_both_paths_in_every_generation(suite):
    """Fails when an unmapped LUN's paths do not both read failed in some generation."""
    cap = capture(suite, "unmapped")
    healthy = capture(suite, "healthy")
    gone = set(healthy.truth["mapped"].values()) - set(cap.truth["mapped"].values())
    assert len(gone) == 1
    status, _errors = api().dm_status(cap.out("dmsetup status --target multipath"))
    (wwid,) = gone
    assert [x["active"] for g in status[wwid]["groups"] for x in g["paths"]] == [False, False]


# ------------------------------------------------------------------------------------------ multipath config


@pytest.mark.parametrize("cmd", ["multipathd show config", "multipath -t"])
def test_effective_config_has_the_builtin_netapp_entry_and_the_lab_defaults(suite, cmd):
    """Fails when a generation's effective config misses the built-in NETAPP entry or lab defaults."""
    cap = capture(suite, "healthy")
    p = api()
    eff = p.effective_multipath_config(cap.out(cmd))
    assert eff["defaults"]["polling_interval"] == "2" and eff["defaults"]["find_multipaths"] in ("no", "off")
    assert "^vd[a-z]" in eff["blacklist"]["devnode"]
    assert p.value_in_force(eff, "NETAPP", "LUN C-Mode", "no_path_retry")[0] == "queue"
    assert p.value_in_force(eff, "NETAPP", "LUN C-Mode", "prio")[0] == "ontap"
    assert p.value_in_force(eff, "LIO-ORG", "FILEIO", "no_path_retry")[0] == "fail"   # the lab's own entry
    assert len(eff["devices"]) > 20   # the whole built-in hardware table, not only the file


def test_recheck_wwid_is_in_the_defaults_exactly_when_the_tool_prints_it(suite):
    """Fails when recheck_wwid is read as set where the tool does not print it, or the reverse."""
    cap = capture(suite, "healthy")
    p = api()
    for cmd in ("multipathd show config", "multipath -t"):
        text = cap.out(cmd)
        eff = p.effective_multipath_config(text)
        assert ("recheck_wwid" in eff["defaults"]) == ("recheck_wwid" in text), cmd
    version = cap.meta["packages"]["multipath-tools"]
    # recheck_wwid came with multipath-tools 0.8.8: the bullseye capture (0.8.5) must not know it
    assert ("recheck_wwid" in cap.out("multipath -t")) == (not version.startswith("0.8.5")), version


def test_audit_flags_the_netapp_queueing_and_what_the_tool_cannot_fix(suite):
    """Fails when the audit of a generation misses the NETAPP queueing or what it cannot fix."""
    cap = capture(suite, "healthy")
    p = api()
    text = cap.out("multipathd show config")
    supported = "recheck_wwid" in text
    eff = p.effective_multipath_config(text)
    targets = [{"vendor": "NETAPP", "product": "LUN C-Mode"}]
    recommended = {"no_path_retry": "30", "dev_loss_tmo": "60", "recheck_wwid": "yes", "flush_on_last_del": "yes",
                   "find_multipaths": None, "remove_queue_if_no_path": True}
    findings, _resolved = p.audit_multipath(eff, targets, recommended, recheck_supported=supported)
    checks = set(f["check"] for f in findings)
    assert "no_path_retry_queue" in checks
    assert ("recheck_wwid_unsupported" in checks) == (not supported)
    assert ("recheck_wwid_off" in checks) == supported


# ------------------------------------------------------------------------------------------ open-iscsi


def test_node_records_and_sessions(suite):
    """Fails when a generation's iSCSI node records or sessions are misread."""
    cap = capture(suite, "healthy")
    p = api()
    target = cap.truth["target_iqn"]
    nodes = p.node_list(cap.out("iscsiadm -m node"))
    assert sorted(n["portal"] for n in nodes if n["target"] == target) == sorted(cap.truth["portals"])
    sessions = p.session_list(cap.out("iscsiadm -m session"))
    assert sorted(s["portal"] for s in sessions) == sorted(cap.truth["portals"])
    for portal in cap.truth["portals"]:
        rec = p.node_record(cap.out("iscsiadm -m node -T %s -p %s" % (target, portal)))
        assert rec["node.name"] == target
        assert rec["node.conn[0].address"] == portal.split(":")[0]
        assert rec["node.session.scan"] == "automatic" or rec["node.session.scan"] == "auto"
        assert rec["node.session.timeo.replacement_timeout"] == "10"


# ------------------------------------------------------------------------------------------ lvm2


def test_lvmconfig_answers_what_the_lvm_module_reads(suite):
    """Fails when a generation's lvmconfig answers otherwise than the LVM module expects."""
    cap = capture(suite, "healthy")
    p = api()
    default_cmd = "lvmconfig --typeconfig default devices/use_devicesfile"
    default = cap.out(default_cmd, required=False)
    if cap.rc(default_cmd) == 0:
        # lvm2 >= 2.03.12 has a devices file; Debian builds it off by default (printed commented, as a default)
        assert default.strip() == "# use_devicesfile=0"
    else:
        # lvm2 2.03.11 (bullseye) has none: the key is unknown even as a default
        assert "not found" in cap.err(default_cmd)
    # the module asks for the configured value: not set in the lab, so it reads nothing and keeps its default (off)
    assert cap.rc("lvmconfig devices/use_devicesfile") != 0
    assert p.lvmconfig(cap.out("lvmconfig devices/use_devicesfile")) == {}
    # the lab sets no filter: lvmconfig says so with a non-zero rc and nothing to parse, on every generation
    for key in ("global_filter", "filter"):
        cmd = "lvmconfig devices/%s" % key
        if cap.rc(cmd) == 0:
            assert p.lvm_array(p.lvmconfig(cap.out(cmd))[key]) != []
        else:
            assert p.lvmconfig(cap.out(cmd)) == {}


# ------------------------------------------------------------------------------------------ sysfs snapshot


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_snapshot_from_the_sysfs_tree(suite, scenario):
    """Fails when a generation's captured sysfs tree gives a snapshot unlike its truth."""
    cap = capture(suite, scenario)
    snap = api().host_snapshot(cap.base)
    truth = cap.truth
    assert snap["host"]["iscsi_iqn"] == truth["initiator_iqn"]
    assert sorted(s["portal"] for s in snap["iscsi_sessions"]) == sorted(truth["portals"])
    assert snap["host"]["multipathd_running"] is True
    assert set(snap["maps"]) == set(cap.meta["lab_maps"])
    disks = dict((d["name"], d) for d in cap.meta["lab_disks"])
    assert set(d for d, v in snap["disks"].items() if v["transport"] == "iscsi") == set(disks)
    for name, d in disks.items():
        assert snap["disks"][name]["lun"] == d["lun"] and snap["disks"][name]["hctl"] == d["hctl"]
    for m in snap["maps"].values():
        for path in m["paths"]:
            assert path["name"] in snap["disks"]
    # the kernel's WWID of each healthy path is the WWID of the LU the target exports at that LUN
    if scenario == "healthy":
        for name, d in disks.items():
            assert snap["disks"][name]["wwid"] == truth["mapped"][str(d["lun"])], name
    assert not [e for e in snap["errors"] if "no captured output" in e["msg"]], snap["errors"]


def test_unmapped_lun_probes_as_gone_on_every_generation(suite):
    """Every path of the unmapped LUN says "logical unit not supported", whichever sg3-utils the guest has
    (trixie's sg_turs does not send the TEST UNIT READY: the probe sends it with sg_raw)."""
    cap = capture(suite, "unmapped")
    snap = api().host_snapshot(cap.base)
    dead = [m for m in snap["maps"].values() if m["paths"] and m["probe"]
            and all(p["dm_state"] == "failed" for p in m["paths"])]
    assert len(dead) == 1, sorted(snap["maps"])
    assert set(r["result"] for r in dead[0]["probe"].values()) == {"lun_not_supported"}, dead[0]["probe"]
