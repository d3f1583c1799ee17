"""Fibre Channel on a real kernel (issue 29), through the public remediate playbook.

The lab's FC fabric (docs/lab.md, "Fibre Channel"): FCoE VN2VN over veth pairs in the guest, two initiator
ports (fabrics a and b), two LIO tcm_fc target ports serving NETAPP LUNs; the host sees real fc_host,
fc_remote_ports (Online / Blocked / Not Present, dev_loss_tmo, fast_io_fail_tmo) and sds below
rport-H:0-R/targetH:0:T. The ONTAP simulator serves one cluster `sanlab` with two SVMs: the iSCSI target
(svm_sanlab) and the FC target (svm_sanlab_fc: an FC igroup of the initiator WWPNs, FC LIFs whose WWPNs are the
target ports'), so FC devices are judged by the remote port WWPN each path goes through.

- test_fc_reuse_refused_while_mounted_then_cleaned_and_rescanned: LUN 2 unmapped, LUN ids 1 and 3 reused for
  other LUs, the old map of LUN 3 mounted. Run 1: corruption risk -> the host fails, nothing is touched. The
  user unmounts; run 2: LUN 2's map, paths and wwids entry removed; the old LUN 1 and 3 devices removed and each
  LUN scanned again with the exact `C T L` of each rport's target on its own initiator host (never issue_lip,
  never a wildcard, never a target-side host) through the remote port expected there, the new LUs verified by
  the array's identity.
- test_fc_paths_down_while_mapped_and_uncovered_target: first one fabric down while the other stays up (fabric a's
  rport Blocked, fabric b Online): nothing removed, every map kept with its one working path. Then both target
  ports down while the LUNs stay mapped, a
  second FC target (cluster sanlab_fc2, not queried) healthy beside them. While the rports are Blocked: nothing
  touched (`paths_down_but_mapped`). Then down again with dev_loss_tmo 10: past it (rports Not Present, sds gone,
  the mounted map left with zero paths) nothing is touched either. The second target's LUN is `not_covered`
  and untouched throughout.
- test_fc_audit_names_the_rport_whose_timeouts_multipathd_did_not_set: the FC audit through the audit playbook on
  the real rports: one rport's dev_loss_tmo written through sysfs, named by WWPN with both values.
"""
import json
import sys
import time
from pathlib import Path

import pytest

from test_remediate_lab import LISTING, run_audit, run_play, sh, wwids_active  # noqa: I100 (same directory)

ROOT = Path(__file__).resolve().parents[2]

try:
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truths
except ImportError:  # pragma: no cover - plain checkout
    sys.path.insert(0, str(ROOT / "tests"))
    from ontap_sim import OntapSimulator, from_lab_truths  # noqa: E402

# the longest lab tests (~15-23 minutes together under load): scripts/test.sh runs them on bookworm's second VM,
# beside bookworm's lab (stage lab-bookworm2)
pytestmark = [pytest.mark.lab, pytest.mark.bookworm_second_vm]

SCSI_SCAN_WRITES = ("issue_lip", "- - -")


@pytest.fixture
def fc_sim(tmp_path):
    """An ONTAP simulator serving the lab's iSCSI and FC targets as two SVMs of cluster sanlab."""
    started = []

    def make(lab):
        work = tmp_path / ("sim%d" % len(started))
        work.mkdir()
        ds = from_lab_truths([lab.truth(), lab.fc_truth()], cluster="sanlab")
        started.append(OntapSimulator(ds, str(work)).__enter__())
        return started[-1]
    yield make
    for sim in started:
        sim.__exit__(None, None, None)


def fc_mapped(fc):
    return dict((int(k), v) for k, v in fc["mapped"].items())


def map_slaves(lab, wwid):
    return sorted(sh(lab, "ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves" % wwid).split())


def verdicts(play):
    sans = [(r.get("ansible_facts") or {}).get("san") or {} for r in play.results("stale_cleanup")]
    judged = [san for san in sans if "verdicts" in san]
    assert judged, play.out[-3000:]
    return dict((v["name"], v) for v in judged[-1]["verdicts"] if v.get("object") == "map")


def wwpn_key(wwpn):
    """A WWPN as bare lower-case hex: sysfs prints 0x2000..., ONTAP and the agent's truth 20:00:..."""
    text = str(wwpn).strip().lower()
    return (text[2:] if text.startswith("0x") else text).replace(":", "")


def fc_initiator_targets(fc):
    """{"H:C:T" of every initiator rport's SCSI target: its port WWPN} (what an exact FC scan may address, and
    the remote port that must answer there)."""
    return dict(("%d:%d:%s" % (r["host"], r["channel"], r["scsi_target_id"]), wwpn_key(r["port_name"]))
                for r in fc["rports"] if r["port_state"] == "Online" and int(r["scsi_target_id"]) >= 0)


def test_fc_reuse_refused_while_mounted_then_cleaned_and_rescanned(lab, tmp_path, fc_sim):
    t_start = time.monotonic()
    lab.reset()
    fc = lab.fc_setup(luns=[1, 2, 3])["truth"]
    w = fc_mapped(fc)
    old1, w2, old3 = w[1], w[2], w[3]
    scan_targets = fc_initiator_targets(fc)
    assert len(scan_targets) == 2, fc["rports"]          # one rport per fabric, each one SCSI target
    try:
        sh(lab, "mkfs.ext4 -q -F /dev/mapper/%s && mkdir -p /mnt/fc3 && mount /dev/mapper/%s /mnt/fc3 && "
                "echo keep > /mnt/fc3/keep.txt" % (old3, old3), timeout=120)
        lab.fc_unmap(2)
        assert lab.wait_paths(w2, state="failed", timeout=60)["ok"]
        lab.fc_reuse_lun(1)
        lab.fc_reuse_lun(3)
        fc = lab.fc_truth()
        new1, new3 = fc_mapped(fc)[1], fc_mapped(fc)[3]
        assert new1 != old1 and new3 != old3
        sds2, sds1, sds3 = map_slaves(lab, w2), map_slaves(lab, old1), map_slaves(lab, old3)
        # the kernel reuses sd names (the rescanned LUNs may take LUN 2's): LUN 2's paths are known by H:C:T:L
        hctls2 = sh(lab, "for d in %s; do basename $(readlink -f /sys/block/$d/device); done" % " ".join(sds2)).split()
        sim = fc_sim(lab)

        # run 1: the old LUN 3 map is mounted and now reaches another LU -> the host fails, nothing runs
        before = sh(lab, LISTING)
        risky = run_play(lab, sim, tmp_path, tag="fc-risk", timeout=600)
        assert risky.rc != 0, risky.out[-3000:]
        assert "CORRUPTION RISK" in risky.out and old3 in risky.out, risky.out[-3000:]
        assert risky.executed() == []
        assert sh(lab, LISTING) == before
        judged = verdicts(risky)
        assert judged[old3]["kind"] == judged[old1]["kind"] == "serial_mismatch", (judged[old3], judged[old1])
        assert judged[w2]["kind"] == "stale_unmapped", judged[w2]
        assert {p["served_by"]["svm"] for p in judged[w2]["evidence"]["paths"]} == {"svm_sanlab_fc"}
        # the refused run left the filesystem mounted on the old map. Its file's content is not asserted: the map now
        # reaches the reused LU, so a read returns "keep" only while the page cache still holds it (the guest's
        # memory decides that), and another volume's blocks once it is evicted: the corruption this refusal names
        assert sh(lab, "findmnt -n -o SOURCE /mnt/fc3").strip() == "/dev/mapper/%s" % old3

        # the user unmounts; run 2 cleans LUN 2 and replaces the old LUN 1 and 3 devices
        sh(lab, "umount /mnt/fc3")
        play = run_play(lab, sim, tmp_path, tag="fc-clean", timeout=600)
        assert play.rc == 0, play.out[-4000:]
        plan = play.plan
        assert plan["refused"] == [] and plan["blocked"] == [], (plan["refused"], plan["blocked"])
        assert sorted(plan["flush_maps"]) == sorted([old1, w2, old3])
        assert sorted(d["name"] for d in plan["delete_disks"]) == sorted(sds2)
        assert sorted(m["name"] for m in plan["mismatches"]) == sorted(sds1 + sds3)
        assert play.executed() == [(s["action"], s["target"]) for s in plan["steps"]]
        ran = play.results("stale_cleanup")[0]["executed"]
        scans = [s for s in ran if s["action"] == "scan_exact_lun"]
        # exact LUN on each rport's own channel/target, on the initiator hosts only
        assert sorted(s["target"].rsplit(":", 1)[0] for s in scans if s["target"].endswith(":1")) == \
            sorted(scan_targets)
        assert sorted(s["target"].rsplit(":", 1)[0] for s in scans if s["target"].endswith(":3")) == \
            sorted(scan_targets)
        for s in scans:
            h, c, t, lun = s["target"].split(":")
            # each scan ran (not already_present, not skipped) and wrote exactly "C T L" to its initiator host,
            # through the rport the plan expected at that target
            assert s["outcome"] == "done", s
            assert s["detail"]["written"] == "%s %s %s" % (c, t, lun), s
            assert (s["detail"]["host"], s["detail"]["transport"]) == ("host%s" % h, "fc"), s
            assert wwpn_key(s["detail"]["target_wwpn"]) == scan_targets["%s:%s:%s" % (h, c, t)], s
            assert not any(x in str(s) for x in SCSI_SCAN_WRITES), s
        assert len(scans) == 4, scans        # LUNs 1 and 3, once per fabric
        verified = [s for s in ran if s["action"] == "verify_identity"]
        assert verified and all(s["outcome"] == "done" for s in verified), verified
        gone = sh(lab, "dmsetup ls --target multipath; ls /sys/class/scsi_device")
        assert w2 not in gone and old1 not in gone and old3 not in gone, gone
        assert len(hctls2) == 2 and not set(hctls2) & set(gone.split()), (hctls2, gone)
        wwids = wwids_active(sh(lab, "cat /etc/multipath/wwids"))
        assert not {"/%s/" % x for x in (w2, old1, old3)} & set(wwids), wwids
        lab.wait_maps(wwids=[new1, new3], paths=2, timeout=120)
        for wid in (new1, new3):
            for sd in map_slaves(lab, wid):
                assert wid[1:] in sh(lab, "cat /sys/block/%s/device/wwid" % sd)
        sys.stderr.write("[fc] reuse refused while mounted (play %.1fs), then cleaned + %d exact FC scans "
                         "(play %.1fs); test %.1fs\n" % (risky.seconds, len(scans), play.seconds,
                                                         time.monotonic() - t_start))
    finally:
        lab.ssh("umount /mnt/fc3 2>/dev/null; true", timeout=30)


def map_paths(lab, wwid):
    """{sd: "active"|"failed"} of a map's paths as the loaded dm table and status show them."""
    st = lab.status()["maps"].get(wwid) or {}
    return dict((p["sd"], p["dm_state"]) for p in st.get("paths") or [])


def one_fabric_down(lab, sim, tmp_path, fc, wwids):
    """Fabric a's target port down (rport Blocked, dev_loss_tmo 900), fabric b up, through remediate.yml: nothing
    is removed, each map keeps both sds, its fabric a path failed and its fabric b path active, and the mounted
    one still takes a synced write through the one path left. Returns the play."""
    a_wwpn = wwpn_key(fc["fc_wwpns"][0])            # fabrics in order a, b (sanlab_agent fc_fabrics)
    on_a = set(d["name"] for d in fc["disks"] if wwpn_key(d["target_wwpn"]) == a_wwpn)
    on_b = set(d["name"] for d in fc["disks"]) - on_a
    assert len(on_a) == len(on_b) == len(wwids), fc["disks"]
    lab.fc_port_down("a", dev_loss_tmo=900)
    assert lab.fc_wait_rports("Blocked", fabric="a", timeout=30)["ok"]
    for wid in wwids:
        assert lab.wait_paths(wid, state="failed", n=1, timeout=60)["ok"]
    states = dict((r["port_name"] and wwpn_key(r["port_name"]), r["port_state"]) for r in lab.fc_truth()["rports"])
    assert states == {a_wwpn: "Blocked", wwpn_key(fc["fc_wwpns"][1]): "Online"}, states
    paths_before = dict((wid, map_paths(lab, wid)) for wid in wwids)
    for wid, paths in paths_before.items():
        assert sorted(paths.values()) == ["active", "failed"], (wid, paths)
        assert set(p for p, st in paths.items() if st == "failed") <= on_a, (wid, paths)

    before = sh(lab, LISTING)
    play = run_play(lab, sim, tmp_path, tag="fc-one-fabric", timeout=600)
    assert play.rc == 0, play.out[-4000:]
    assert play.executed() == [] and play.plan["steps"] == [], play.plan["steps"]
    assert play.plan["flush_maps"] == [] and play.plan["delete_disks"] == [], play.plan
    assert sh(lab, LISTING) == before
    judged = verdicts(play)
    for wid in wwids:
        assert judged[wid]["kind"] == "paths_down_but_mapped", judged[wid]
        assert (judged[wid]["evidence"]["working_paths"], judged[wid]["evidence"]["failed_paths"]) == (1, 1), \
            judged[wid]
        assert map_paths(lab, wid) == paths_before[wid]
    sh(lab, "echo one-path > /mnt/fc1/one.txt && sync -f /mnt/fc1/one.txt && cat /mnt/fc1/one.txt", timeout=60)
    return play


def test_fc_paths_down_while_mapped_and_uncovered_target(lab, tmp_path, fc_sim):
    t_start = time.monotonic()
    lab.reset()
    fc = lab.fc_setup(luns=[1, 2])["truth"]
    fc2 = lab.fc_setup(luns=[1], target2=True)["truth"]
    w1, w2 = fc_mapped(fc)[1], fc_mapped(fc)[2]
    w21 = fc_mapped(fc2)[1]
    try:
        sim = fc_sim(lab)         # cluster 2 (sanlab_fc2) is not queried
        # LUN 1 in use: a map in use keeps its dm device when its last path goes (multipathd would flush an idle one)
        sh(lab, "mkfs.ext4 -q -F /dev/mapper/%s && mkdir -p /mnt/fc1 && mount /dev/mapper/%s /mnt/fc1"
                % (w1, w1), timeout=120)
        t2_before = sh(lab, "dmsetup table %s; ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves"
                       % (w21, w21))
        # one fabric down, the other up: fabric a's target port goes, its rport is Blocked for as long as the play
        # runs (dev_loss_tmo can only be changed while an rport is Online); every map keeps its fabric b path
        one = one_fabric_down(lab, sim, tmp_path, fc, (w1, w2))

        # then fabric b goes too: both rports Blocked
        lab.fc_port_down("b", dev_loss_tmo=900)
        assert lab.fc_wait_rports("Blocked", timeout=30)["ok"]
        for wid in (w1, w2):
            assert lab.wait_paths(wid, state="failed", timeout=60)["ok"]
        rports = lab.fc_truth()["rports"]
        assert {r["port_state"] for r in rports} == {"Blocked"} and {r["dev_loss_tmo"] for r in rports} == {"900"}

        before = sh(lab, LISTING)
        blocked = run_play(lab, sim, tmp_path, tag="fc-blocked", timeout=600)
        assert blocked.rc == 0, blocked.out[-4000:]
        assert blocked.executed() == [] and blocked.plan["steps"] == []
        assert sh(lab, LISTING) == before
        kinds = dict((s["name"], s["kind"]) for s in blocked.plan["left_alone"])
        assert kinds[w1] == kinds[w2] == "paths_down_but_mapped", kinds
        judged = verdicts(blocked)
        assert judged[w21]["kind"] == "not_covered", judged[w21]
        # each path is uncovered for its FC remote port's WWPN (not "target unknown", not an iSCSI reason)
        assert sorted(judged[w21]["evidence"]["not_covered"]) == sorted(
            "%s: target %s is served by no SVM the array data covers" % (d["name"], d["target_wwpn"])
            for d in fc2["disks"]), judged[w21]

        assert {r["port_state"] for r in lab.fc_truth()["rports"]} == {"Blocked"}

        # the ports come back, then go again with a short dev_loss_tmo: past it the kernel removes the rports'
        # sds (rport Not Present); the mounted map stays with zero paths
        lab.fc_port_up("all", timeout=90)
        lab.fc_port_down("all", dev_loss_tmo=10)
        gone = lab.fc_wait_rports("Not Present", gone=True, timeout=120)
        assert gone["ok"], gone
        assert sh(lab, "dmsetup table %s | wc -w" % w1).strip() != "0"
        assert "/mnt/fc1" in sh(lab, "cat /proc/mounts")
        before = sh(lab, LISTING)
        zero = run_play(lab, sim, tmp_path, tag="fc-gone", timeout=600)
        assert zero.rc == 0, zero.out[-4000:]
        assert zero.executed() == [] and zero.plan["steps"] == []
        assert w1 not in zero.plan["flush_maps"]
        assert sh(lab, LISTING) == before
        assert verdicts(zero)[w21]["kind"] == "not_covered"
        assert sh(lab, "dmsetup table %s; ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves"
                  % (w21, w21)) == t2_before
        assert lab.wait_paths(w21, state="active", timeout=30)["ok"]
        sys.stderr.write("[fc] paths down while mapped: one fabric down play %.1fs, blocked play %.1fs, after "
                         "dev_loss_tmo play %.1fs (map %s kind %s); test %.1fs\n"
                         % (one.seconds, blocked.seconds, zero.seconds, w1, verdicts(zero).get(w1, {}).get("kind"),
                            time.monotonic() - t_start))
    finally:
        lab.ssh("umount -l /mnt/fc1 2>/dev/null; true", timeout=30)
        lab.fc_port_up("all", timeout=90)


def test_fc_audit_names_the_rport_whose_timeouts_multipathd_did_not_set(lab, tmp_path):
    """The FC audit on the real FCoE rports: one target rport's dev_loss_tmo written through sysfs to a value that
    differs from what multipathd sets from the effective settings (the built-in NETAPP entry: no_path_retry queue,
    dev_loss_tmo infinity); the audit playbook reports that rport by WWPN with both values, the other one only for
    its infinite dev_loss_tmo, and lists the guest's initiator and target WWPNs. One LUN, no array: cheap."""
    # the reports spell WWPNs as ONTAP prints them (aa:bb:...); normalize_initiator is the bare-hex compare key
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap import ontap_wwpn
    # the version the reports write, not a copy of it that the next schema change leaves behind
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import SCHEMA_VERSION

    t_start = time.monotonic()
    lab.reset()
    fc = lab.fc_setup(luns=[1])["truth"]
    rports = sorted(fc["rports"], key=lambda r: r["rport"])
    assert len(rports) == 2 and all("FCP Target" in r["roles"] for r in rports), rports
    changed, other = rports
    assert changed["dev_loss_tmo"] == "4294967295" and changed["fast_io_fail_tmo"] == "5", changed
    reports = tmp_path / "reports"
    try:
        sh(lab, "echo 300 > /sys/class/fc_remote_ports/%s/dev_loss_tmo" % changed["rport"])
        proc, play_s = run_audit(lab, reports)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
        rep = json.loads((reports / "hosts" / "sanlab.json").read_text())
        assert rep["schema_version"] == SCHEMA_VERSION and "fc" in rep["areas"]
        by = {}
        for f in rep["findings"]:
            if f["area"] == "fc":
                by.setdefault(f["check"], []).append(f)
        wwpn, other_wwpn = ontap_wwpn(changed["port_name"]), ontap_wwpn(other["port_name"])
        mismatch = by.get("rport_tmo_mismatch") or []
        assert [f["object"] for f in mismatch] == [wwpn], by
        assert (mismatch[0]["severity"], mismatch[0]["setting"], mismatch[0]["value"], mismatch[0]["recommended"]) \
            == ("violation", "dev_loss_tmo", "300", "infinity"), mismatch
        assert "dev_loss_tmo 300 (multipath wants infinity)" in mismatch[0]["reason"]
        # the other rport keeps what multipathd wrote there: infinity, reported as such, not as a mismatch
        assert [f["object"] for f in by.get("rport_dev_loss_long") or []] == [other_wwpn], by
        initiators = {i["wwpn"] for i in rep["fc"]["initiators"]}
        assert {ontap_wwpn(w) for w in fc["initiator_wwpns"]} <= initiators
        targets = {t["wwpn"]: t for t in rep["fc"]["targets"]}
        assert set(targets) == {ontap_wwpn(w) for w in fc["fc_wwpns"]}
        assert (targets[wwpn]["dev_loss_tmo"], targets[wwpn]["fast_io_fail_tmo"]) == ("300", "5")
        assert targets[other_wwpn]["dev_loss_tmo"] == "infinity"
        md = (reports / "fleet.md").read_text()
        assert "## Fibre Channel ports" in md
        for w in fc["initiator_wwpns"] + fc["fc_wwpns"]:
            assert ontap_wwpn(w) in md, w
        sys.stderr.write("[fc] audit names rport %s (dev_loss_tmo 300, multipath wants infinity): play %.1fs, test "
                         "%.1fs\n" % (wwpn, play_s, time.monotonic() - t_start))
    finally:
        lab.ssh("echo 4294967295 > /sys/class/fc_remote_ports/%s/dev_loss_tmo; true" % changed["rport"], timeout=30)
