"""stale_mpath_facts against the SAN lab VM (real kernel 6.1, multipath-tools 0.9.4, LIO with NetApp identity).

The module runs in the guest through `ansible` (ad hoc, never gather_facts), exactly as a play would run it.
"""
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

TOP = Path(__file__).resolve().parents[2]
MODULE = "sanfleet.remediation.stale_mpath_facts"


def run_facts(lab, array_luns=None, timeout=600, **opts):
    """Run the module in the guest; returns (rc, result dict)."""
    inv = lab.inventory_path()
    with tempfile.TemporaryDirectory() as tmp:
        args = dict(opts)
        extra = []
        if array_luns is not None:
            # the records cover the SVM of the lab target (its IQN): the array-truth contract of docs/ontap.md
            svms = sorted(set((r["cluster"], r["svm"]) for r in array_luns)) or [("sanlab", "svm_sanlab")]
            truth = lab.truth()
            targets = [{"cluster": c, "svm": v, "iscsi_target_names": [truth["target_iqn"]],
                        "iscsi_addresses": [p.rsplit(":", 1)[0] for p in truth["portals"]]} for c, v in svms]
            vars_file = Path(tmp) / "vars.json"
            vars_file.write_text(json.dumps({"sanfacts_luns": array_luns, "sanfacts_targets": targets,
                                             "sanfacts_initiators": [truth["initiator_iqn"]]}))
            extra = ["-e", "@%s" % vars_file]
            args_kv = ("array_luns={{ sanfacts_luns }} array_targets={{ sanfacts_targets }} "
                       "array_initiators={{ sanfacts_initiators }}")
        else:
            args_kv = ""
        for k, v in args.items():
            args_kv += " %s=%s" % (k, v)
        env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1")
        argv = ["ansible", "-i", str(inv), "sanlab", "-m", MODULE] + (["-a", args_kv.strip()] if args_kv.strip()
                                                                      else []) + extra
        proc = subprocess.run(argv, cwd=str(TOP), env=env, capture_output=True, text=True, timeout=timeout, check=False)
    # ad hoc output: "sanlab | SUCCESS => {...}" (or FAILED! / UNREACHABLE!)
    if "=> {" not in proc.stdout:
        raise AssertionError("no module result (rc %s): %s %s" % (proc.returncode, proc.stdout[-2000:],
                                                                  proc.stderr[-2000:]))
    result = json.loads(proc.stdout[proc.stdout.index("=> {") + 3:])
    return proc.returncode, result


def san_of(lab, **kw):
    rc, res = run_facts(lab, **kw)
    assert rc == 0 and not res.get("failed"), res
    assert res["changed"] is False
    return res["ansible_facts"]["san"]


def finding(san, kind, name):
    found = [f for f in san["findings"] if f["kind"] == kind and f["name"] == name]
    assert len(found) == 1, (kind, name, san["findings"])
    return found[0]


def verdict(san, name, obj="map"):
    found = [v for v in san["verdicts"] if v["name"] == name and v["object"] == obj]
    assert len(found) == 1, (name, san["verdicts"])
    return found[0]


def test_healthy_maps(clean_lab):
    lab = clean_lab
    truth = lab.truth()
    san = san_of(lab, array_luns=truth["array_luns"], detail="full")
    assert san["host"]["iscsi_iqn"] == truth["initiator_iqn"] and san["host"]["multipathd_running"] is True
    assert sorted(s["portal"] for s in san["iscsi_sessions"]) == sorted(truth["portals"])
    for r in truth["array_luns"]:
        m = san["maps"][r["wwid"]]
        assert m["queueing"] is True                          # built-in NETAPP entry: no_path_retry queue
        assert [p["dm_state"] for p in m["paths"]] == ["active", "active"]
        assert all(p["checker_state"] == "ready" for p in m["paths"])
        assert m["probe"] == {}
        assert verdict(san, r["wwid"])["kind"] == "healthy"
        for p in m["paths"]:
            d = san["disks"][p["name"]]
            assert (d["wwid"], d["lun"], d["transport"], d["map"]) == (r["wwid"], r["lun_id"], "iscsi", m["name"])
            assert d["serial"] == "0" + r["serial_hex"]
    assert [f for f in san["findings"] if f["kind"] != "in_use"] == []
    assert san["errors"] == []
    # the default, compact fact: these healthy maps and their paths are counted and listed, not detailed (issue 31)
    compact = san_of(lab, array_luns=truth["array_luns"])
    healthy = compact["healthy"]
    for r in truth["array_luns"]:
        paths = [p["name"] for p in san["maps"][r["wwid"]]["paths"]]
        assert r["wwid"] in healthy["maps"]["wwids"] and r["wwid"] not in compact["maps"], healthy
        assert set(paths) <= set(healthy["paths"]["names"]) and not set(paths) & set(compact["disks"]), healthy
        assert not [v for v in compact["verdicts"] if v.get("wwid") == r["wwid"] and v["object"] == "map"]
    assert compact["errors"] == []


def test_unmapped_lun_all_paths_failed_with_probe_evidence(clean_lab):
    lab = clean_lab
    wwid = lab.truth()["mapped"]["2"]
    lab.unmap_lun(2)
    assert lab.wait_paths(wwid, "failed", timeout=40)["ok"]
    truth = lab.truth()
    t0 = time.monotonic()
    san = san_of(lab, array_luns=truth["array_luns"], probe_timeout=8)
    assert time.monotonic() - t0 < 180                     # a queueing map without paths does not hang us
    f = finding(san, "all_paths_failed", wwid)
    assert "stale" not in f["reason"].lower()
    ev = f["evidence"]["paths"]
    assert len(ev) == 2
    for p in ev:
        assert p["dm_state"] == "failed"
        assert p["probe"]["result"] == "lun_not_supported", p
        assert "Logical unit not supported" in p["probe"]["sense"]
    v = verdict(san, wwid)
    assert v["kind"] == "stale_unmapped"
    # the others are healthy: the compact fact counts them (their verdicts are summarised)
    for r in truth["array_luns"]:
        assert r["wwid"] in san["healthy"]["maps"]["wwids"] and r["wwid"] not in san["maps"], san["healthy"]


def test_cut_portal_some_paths_failed(clean_lab):
    lab = clean_lab
    truth = lab.truth()
    lab.cut_portal("127.0.0.2")
    try:
        for r in truth["array_luns"]:
            assert lab.wait_paths(r["wwid"], "failed", n=1, timeout=60)["ok"]
        san = san_of(lab, array_luns=truth["array_luns"], probe_timeout=5)
        for r in truth["array_luns"]:
            f = finding(san, "some_paths_failed", r["wwid"])
            states = sorted(p["state"] for p in f["evidence"]["paths"])
            assert states == ["failed", "ok"], f
            failed = [p for p in f["evidence"]["paths"] if p["state"] == "failed"][0]
            assert failed["probe"]["result"] in ("no_answer", "not_ready", "error"), failed
            assert failed["probe"]["result"] != "lun_not_supported"
            assert verdict(san, r["wwid"])["kind"] == "paths_down_but_mapped"
    finally:
        lab.restore_portal()


def test_sd_without_map_is_orphan_path(clean_lab):
    lab = clean_lab
    rec = lab.create_lun(4)
    wwid = rec["lu"]["wwid"]
    assert lab.wait_maps(wwids=[wwid], timeout=40)
    # udev probes a new map (blkid holds it open for a moment): multipathd refuses to delete a map in use
    rc, out, err = lab.ssh("udevadm settle -t 30; for i in $(seq 15); do multipathd del map %s | grep -qx ok && "
                           "exit 0; sleep 1; done; exit 1" % wwid, timeout=60)
    assert rc == 0, (out, err)
    for attempt in range(30):
        rc, out, err = lab.ssh(["dmsetup", "info", "-c", "--noheadings", "-o", "name"], timeout=30)
        if wwid not in out.split():
            break
        time.sleep(1)
    else:
        pytest.fail("map %s did not go away" % wwid)
    san = san_of(lab, array_luns=lab.truth()["array_luns"])
    orphans = [f for f in san["findings"] if f["kind"] == "orphan_path"]
    assert orphans and all(f["wwid"] == wwid for f in orphans)
    assert len(orphans) == 2
    for f in orphans:
        assert san["disks"][f["name"]]["map"] is None
        assert san["disks"][f["name"]]["probe"]["result"] == "ready"
        assert verdict(san, f["name"], obj="disk")["kind"] == "healthy"


def test_mounted_map_reports_its_mountpoint(clean_lab):
    lab = clean_lab
    wwid = lab.truth()["mapped"]["3"]
    lab.ssh("mkfs.ext4 -q -F /dev/mapper/%s && mkdir -p /mnt/sanfacts && mount /dev/mapper/%s /mnt/sanfacts"
            % (wwid, wwid), timeout=120, check=True)
    san = san_of(lab, probe=False, detail="full")
    m = san["maps"][wwid]
    assert m["mountpoints"] == ["/mnt/sanfacts"]
    assert m["open_count"] >= 1
    f = finding(san, "in_use", wwid)
    assert "/mnt/sanfacts" in f["reason"]
    for p in m["paths"]:
        assert san["disks"][p["name"]]["mountpoints"] == ["/mnt/sanfacts"]
