"""Smoke tests of the SAN lab itself: does the guest show what the collection will be tested against?"""
import json
import re
import time

import pytest

pytestmark = pytest.mark.lab

NETAPP_PREFIX = "3600a0980"


def _netapp_wwid(truth, serial):
    """ONTAP's WWID of a NETAPP LU: on every generation the target presents it (LIO with wwn/company_id from kernel
    5.14; on bullseye's 5.10 tgtd sets the NAA designator itself)."""
    assert truth["ontap_wwids"], truth.get("target_backend")
    return NETAPP_PREFIX + serial.encode().hex()


def _sysfs_pg80(lab, sd):
    """VPD 0x80 serial as the kernel cached it at scan time."""
    rc, out, err = lab.ssh("tail -c +5 /sys/block/%s/device/vpd_pg80 | tr -d '\\0 '" % sd, timeout=30)
    return out.strip()


def _live_pg80(lab, sd):
    """VPD 0x80 asked from the device now."""
    rc, out, err = lab.ssh("sg_inq -p 0x80 -r /dev/%s | tail -c +5 | tr -d '\\0 '" % sd, timeout=30)
    return out.strip()


def _disks_of(status, lun_id):
    return [d for d in status["disks"] if d["lun"] == lun_id]


@pytest.mark.every_suite
def test_baseline_maps_have_two_paths_and_ontap_wwids(clean_lab):
    lab = clean_lab
    truth = lab.truth()
    st = lab.status()
    luns = sorted((x for x in truth["lus"] if x["mapped"] and x["netapp"]), key=lambda x: x["lun_id"])
    assert [r["lun_id"] for r in luns] == [1, 2, 3]
    assert [r["lun_id"] for r in truth["array_luns"]] == [1, 2, 3]
    assert len(st["sessions"]) == 2 and {s["portal"] for s in st["sessions"]} == {"127.0.0.1:3260", "127.0.0.2:3260"}
    for r in luns:
        assert r["wwid"] == _netapp_wwid(truth, r["serial"])
        m = st["maps"][r["wwid"]]          # map name == WWID (user_friendly_names no)
        assert len(m["paths"]) == 2
        assert all(p["dm_state"] == "active" for p in m["paths"])
        # the multipath-tools built-in NETAPP entry is in force: it queues
        assert m["queueing"] and "queue_if_no_path" in m["features"]
        for d in _disks_of(st, r["lun_id"]):
            rc, out, err = lab.ssh("cat /sys/block/%s/device/wwid /sys/block/%s/device/vendor" % (d["name"], d["name"]))
            wwid, vendor = out.split()[:2]
            assert wwid == "naa." + r["wwid"][1:] and vendor == "NETAPP"
            assert _sysfs_pg80(lab, d["name"]) == "0" + r["serial_hex"]
    # LUN 0 is the plain LIO placeholder (never unmapped: LIO's virtual LUN 0 would still answer); tgtd (bullseye)
    # keeps its own controller LUN 0 there: a SCSI device of type 0x0c on each session, no sd, no map
    lu0 = [x for x in truth["lus"] if x["lun_id"] == 0]
    if truth["target_backend"] == "tgt":
        assert lu0 == [] and _disks_of(st, 0) == []
        rc, out, err = lab.ssh("cat /sys/class/iscsi_session/*/device/target*/*:0:0:0/type", timeout=30)
        assert out.split() == ["12", "12"], out
    else:
        assert lu0[0]["placeholder"] and not lu0[0]["netapp"] and not st["maps"][lu0[0]["wwid"]]["queueing"]


@pytest.mark.every_suite
def test_multipath_conf_keeps_builtin_netapp_entry(lab):
    rc, out, err = lab.ssh("multipathd show config", timeout=30)
    assert rc == 0
    # find the NETAPP / LUN device section
    sections = out.split("device {")
    netapp = [s for s in sections if 'vendor "NETAPP"' in s and 'product "LUN' in s]
    assert netapp, "built-in NETAPP entry missing"
    assert re.search(r'no_path_retry\s+"?queue"?', netapp[0])
    assert re.search(r'dev_loss_tmo\s+"?infinity"?', netapp[0])
    rc, conf, err = lab.ssh("cat /etc/multipath.conf")
    assert re.search(r'vendor\s+"LIO-ORG"', conf) and not re.search(r'vendor\s+"NETAPP"', conf)


def test_unmap_fails_all_paths_within_30s(clean_lab):
    lab = clean_lab
    wwid = lab.truth()["mapped"]["2"]
    t0 = time.monotonic()
    lab.unmap_lun(2)
    res = lab.wait_paths(wwid, "failed", timeout=30)
    assert res["ok"], res
    assert time.monotonic() - t0 < 35
    st = lab.status()
    assert all(p["dm_state"] == "failed" for p in st["maps"][wwid]["paths"])
    # the other LUNs are untouched, and the array no longer reports LUN 2
    truth = lab.truth()
    assert [r["lun_id"] for r in truth["array_luns"]] == [1, 3]
    for w in (truth["mapped"]["1"], truth["mapped"]["3"]):
        assert all(p["dm_state"] == "active" for p in st["maps"][w]["paths"])


def test_portal_cut_fails_one_path(clean_lab):
    lab = clean_lab
    wwid = lab.truth()["mapped"]["1"]
    lab.cut_portal("127.0.0.2")
    assert lab.truth()["cut_portals"] == ["127.0.0.2"]
    res = lab.wait_paths(wwid, "failed", n=1, timeout=60)
    assert res["ok"], res
    st = lab.status()
    by_portal = {}
    for d in st["disks"]:
        by_portal.setdefault(d["portal"], []).append(d["dev"])
    paths = {p["dev"]: p["dm_state"] for p in st["maps"][wwid]["paths"]}
    assert [s for d, s in paths.items() if d in by_portal.get("127.0.0.1:3260", [])] == ["active"]
    assert [s for d, s in paths.items() if d in by_portal.get("127.0.0.2:3260", [])] == ["failed"]
    lab.restore_portal()
    assert lab.truth()["cut_portals"] == []


def test_reuse_lun_live_serial_changes_sysfs_keeps_old(clean_lab):
    lab = clean_lab
    res = lab.reuse_lun(1)
    old, new = res["old"], res["new"]
    assert old["wwid"] != new["wwid"] and new["lun_id"] == 1
    disks = _disks_of(lab.status(), 1)
    assert len(disks) == 2
    for d in disks:
        assert _sysfs_pg80(lab, d["name"]) == old["unit_serial"]
        assert _live_pg80(lab, d["name"]) == new["unit_serial"]
    truth = lab.truth()
    assert truth["mapped"]["1"] == new["wwid"]
    assert [x["name"] for x in truth["lus"] if x["name"] == old["name"] and not x["mapped"]] == [old["name"]]


def test_create_lun_netapp_and_lio(clean_lab):
    lab = clean_lab
    rec = lab.create_lun(7, serial="wX9/k+Lm-0$z")
    assert rec["lu"]["wwid"] == _netapp_wwid(lab.truth(), "wX9/k+Lm-0$z")
    assert rec["waited"]["ok"], rec
    plain = lab.create_lun(8, netapp=False)
    assert plain["lu"]["wwid"].startswith("36001405") and plain["waited"]["ok"]
    st = lab.status()
    assert len(st["maps"][plain["lu"]["wwid"]]["paths"]) == 2
    assert not st["maps"][plain["lu"]["wwid"]]["queueing"]
    lab.delete_lun(8)
    assert "8" not in lab.truth()["mapped"]


@pytest.mark.parametrize("mode", ["auto", "hard"])
def test_reset_recovers_from_mounted_queueing_unmapped_map(clean_lab, mode):
    """The worst state a test can leave: ext4 mounted on a queueing map whose LUN is gone, a writer blocked on
    it, a portal cut. reset() must get back to the baseline without hanging, by either path (auto = the soft
    reset, hard = teardown + setup, the soft reset's fallback)."""
    lab = clean_lab
    wwid = lab.truth()["mapped"]["3"]
    lab.ssh("mkfs.ext4 -q /dev/mapper/%s && mkdir -p /mnt/lab3 && mount /dev/mapper/%s /mnt/lab3" % (wwid, wwid),
            timeout=60, check=True)
    lab.unmap_lun(3)
    assert lab.wait_paths(wwid, "failed", timeout=30)["ok"]
    # a writer that will block on the queueing map
    lab.ssh("nohup sh -c 'dd if=/dev/zero of=/mnt/lab3/f bs=4k count=64 oflag=direct' >/dev/null 2>&1 &",
            timeout=30)
    lab.cut_portal("127.0.0.2")
    t0 = time.monotonic()
    res = lab.reset(mode=mode)
    took = time.monotonic() - t0
    assert took < 120, res
    assert res["mode"] == ("soft" if mode == "auto" else "hard"), res
    st = lab.status()
    truth = lab.truth()
    baseline = ["1", "2", "3"] if truth["target_backend"] == "tgt" else ["0", "1", "2", "3"]
    assert truth["cut_portals"] == [] and sorted(truth["mapped"]) == baseline
    assert set(st["maps"]) == set(truth["mapped"].values())
    assert all(len(m["paths"]) == 2 and all(p["dm_state"] == "active" for p in m["paths"]) for m in st["maps"].values())
    rc, out, err = lab.ssh("grep -c /mnt/lab3 /proc/self/mountinfo", timeout=30)
    assert out.strip() == "0"
    print(json.dumps({"mode": res["mode"], "reset_from_mess_s": round(took, 1),
                      "steps": res.get("steps") or res.get("fixed")}))
