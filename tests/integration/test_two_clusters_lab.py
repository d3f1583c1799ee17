"""Two clusters on one host (issue 12), through the public remediate playbook on the real kernel.

The lab's second target (`sanlab-agent target2_setup`: iqn.2024-01.lab.san:target2 on 127.0.0.3/127.0.0.4,
NETAPP LUNs whose ids overlap target1's) stands for cluster 2; the ONTAP simulator serves cluster 1 (target1),
cluster 2 (target2), or both as two SVMs of one cluster, each with its iSCSI target name = the lab target's IQN
and its LIFs = the target's portals, so coverage is decided by the target IQN each path logs in to.

- test_uncovered_cluster_cut_with_blocked_writer (a): cluster 2 not queried, both its portals silently dropped, a
  writer blocked in the queue of its LUN 1 -> a real run touches nothing, the LUN is `not_covered`, the writer
  finishes with its data intact when the portals return.
- test_readme_command_and_overlapping_lun_ids (b, e, and one SVM of two): target1 and target2 both export LUN 1;
  target1's LUN 2 is unmapped. A check run against one cluster holding both targets as two SVMs, read with
  `svm: svm_sanlab2`, judges target2's LUN (healthy) and leaves every target1 device `not_covered` (nothing
  planned, although target1's LUN 2 is dead). Then the README's remediate command, run as written against cluster
  1 only, removes target1's unmapped LUN 2 and leaves target2's healthy, idle LUN 1 untouched and `not_covered`.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_remediate_lab import CALLBACK, LISTING, mapped, run_play, sh  # noqa: I100 (same directory)

ROOT = Path(__file__).resolve().parents[2]

try:
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import (OntapSimulator, from_lab_truth,
                                                                          from_lab_truths)
except ImportError:  # pragma: no cover - plain checkout
    sys.path.insert(0, str(ROOT / "tests"))
    from ontap_sim import OntapSimulator, from_lab_truth, from_lab_truths  # noqa: E402

pytestmark = pytest.mark.lab

TARGET2 = "iqn.2024-01.lab.san:target2"
PORTALS2 = ("127.0.0.3", "127.0.0.4")


@pytest.fixture
def sims(tmp_path):
    started = []

    def make(dataset):
        work = tmp_path / ("sim%d" % len(started))
        work.mkdir()
        started.append(OntapSimulator(dataset, str(work)).__enter__())
        return started[-1]
    yield make
    for sim in started:
        sim.__exit__(None, None, None)


# the healthy maps' verdicts (their coverage evidence) are what these tests inspect: the full fact (issue 31)
FULL = {"sanfleet_facts_detail": "full"}


def target2(lab, luns):
    return lab.agent("target2_setup", luns=luns, call_timeout=240)["truth"]


def left_alone(play):
    return dict((s["name"], s) for s in play.plan["left_alone"])


def map_verdicts(cleanup_results):
    """{map name: verdict} of the last stale_cleanup run (it returns the facts it judged, with the array truth)."""
    sans = [(r.get("ansible_facts") or {}).get("san") or {} for r in cleanup_results]
    judged = [san for san in sans if "verdicts" in san]
    assert judged, "no verdicts"
    return dict((v["name"], v) for v in judged[-1]["verdicts"] if v.get("object") == "map")


def test_uncovered_cluster_cut_with_blocked_writer(lab, tmp_path, sims):
    lab.reset()
    t2 = target2(lab, [1, 2])
    w21 = t2["mapped"]["1"]
    sim1 = sims(from_lab_truth(lab.truth()))          # cluster 1 only
    try:
        sh(lab, "head -c 1048576 /dev/urandom > /tmp/w2pat")
        want = sh(lab, "sha256sum /tmp/w2pat").split()[0]
        for ip in PORTALS2:
            lab.cut_portal(ip)
        for wwid in t2["mapped"].values():
            assert lab.wait_paths(wwid, state="failed", timeout=120)["ok"]
        # one O_DIRECT write of the pattern, queued by the map (no path, queue_if_no_path)
        sh(lab, "rm -f /tmp/w2.rc; setsid nohup sh -c 'dd if=/tmp/w2pat of=/dev/mapper/%s bs=64k count=16 "
                "oflag=direct conv=notrunc 2>/tmp/w2.err; echo $? > /tmp/w2.rc' >/dev/null 2>&1 < /dev/null & "
                "echo $! > /tmp/w2.pid" % w21)
        time.sleep(3)
        blocked = sh(lab, "ps -o stat=,comm= --ppid $(cat /tmp/w2.pid)").split()
        assert blocked[:2] == ["D", "dd"] or blocked[0].startswith("D"), blocked
        assert lab.ssh("test -e /tmp/w2.rc", timeout=30)[0] != 0, "the writer was not blocked"

        before = sh(lab, LISTING)
        play = run_play(lab, sim1, tmp_path, tag="cluster2-cut", extra=FULL)
        after = sh(lab, LISTING)
        assert play.rc == 0, play.out[-4000:]
        assert after == before
        assert play.executed() == [] and play.plan["steps"] == []
        alone = left_alone(play)
        judged = map_verdicts(play.results("stale_cleanup"))
        for wwid in t2["mapped"].values():
            assert alone[wwid]["kind"] == judged[wwid]["kind"] == "not_covered", (alone.get(wwid), judged.get(wwid))
            assert "target %s is served by no SVM" % TARGET2 in judged[wwid]["reason"], judged[wwid]
        assert lab.ssh("test -e /tmp/w2.rc", timeout=30)[0] != 0, "the writer ended while the portals were cut"

        for ip in PORTALS2:
            lab.restore_portal(ip)
        t0 = time.monotonic()
        while lab.ssh("test -e /tmp/w2.rc", timeout=30)[0] != 0:
            assert time.monotonic() - t0 < 120, "the writer did not resume"
            time.sleep(1)
        resumed = time.monotonic() - t0
        assert sh(lab, "cat /tmp/w2.rc").strip() == "0", sh(lab, "cat /tmp/w2.err")
        got = sh(lab, "timeout 20 dd if=/dev/mapper/%s bs=64k count=16 iflag=direct 2>/dev/null | sha256sum" % w21)
        assert got.split()[0] == want
        sys.stderr.write("[two clusters] cluster 2 cut, not queried: play %.1fs, nothing touched, writer resumed "
                         "%.1fs after the portals returned, data intact\n" % (play.seconds, resumed))
    finally:
        lab.ssh("kill -9 $(cat /tmp/w2.pid) 2>/dev/null; true", timeout=30)
        lab.restore_portal()


def readme_commands():
    """The README's plan (--check) and run (with the plan file) remediate commands, exactly as the README shows
    them (tests/unit/test_readme_remediate.py runs them on fixture hosts)."""
    from ansible_collections.sanfleet.remediation.tests.unit.test_readme_remediate import readme_remediate_commands
    plan, run = readme_remediate_commands()
    assert "--check" in plan and "--check" not in run, (plan, run)
    return plan, run


def test_readme_command_and_overlapping_lun_ids(lab, tmp_path, sims):
    lab.reset()
    t2 = target2(lab, [1])
    truth1 = lab.truth()
    w = mapped(truth1)
    w11, w12, w21 = w[1], w[2], t2["mapped"]["1"]
    assert w21 != w11
    lab.unmap_lun(2)
    assert lab.wait_paths(w12, state="failed", timeout=60)["ok"]
    truth1 = lab.truth()
    try:
        # one cluster, two SVMs (target1 = svm_sanlab, target2 = svm_sanlab2); read only svm_sanlab2
        both = sims(from_lab_truths([truth1, t2], cluster="sanlab"))
        svm2 = run_play(lab, both, tmp_path, check=True, tag="svm2", clusters=[both.options(svm="svm_sanlab2")],
                        extra=FULL)
        assert svm2.rc == 0, svm2.out[-4000:]
        assert svm2.plan["steps"] == [] and svm2.plan["blocked"] == []
        alone = left_alone(svm2)
        judged = map_verdicts(svm2.results("stale_cleanup"))
        assert alone[w21]["kind"] == judged[w21]["kind"] == "healthy", judged.get(w21)
        assert judged[w21]["evidence"]["coverage"] == [{"cluster": "sanlab", "svm": "svm_sanlab2"}], judged[w21]
        for wwid in (w11, w12):
            assert alone[wwid]["kind"] == judged[wwid]["kind"] == "not_covered", judged.get(wwid)
            assert "target iqn.2024-01.lab.san:target1 is served by no SVM" in judged[wwid]["reason"]

        # the README's command against cluster 1 only, db01 being the lab VM
        sim1 = sims(from_lab_truth(truth1))
        plan_argv, argv = readme_commands()
        assert argv[:4] == ["ansible-playbook", "-i", "inventory.ini", "sanfleet.remediation.remediate"], argv
        assert "@ontap.yml" in argv and argv[argv.index("@ontap.yml") - 1] == "-e", argv
        work = tmp_path / "readme"
        work.mkdir()
        (work / "inventory.ini").write_text("[san_hosts]\n%s\n" % lab.inventory_host("db01"))
        (work / "ontap.yml").write_text(json.dumps({"sanfleet_ontap": [sim1.options()]}))
        (work / "callbacks").mkdir()
        (work / "callbacks" / "capture.py").write_text(CALLBACK)
        capture = work / "capture.jsonl"
        # as a user runs them: the reports (and the plan the run command reads) in ./sanfleet-reports of `work`, not
        # where the test session points the other lab tests' reports (SANFLEET_REPORT_DIR)
        env = dict(((k, v) for k, v in os.environ.items() if not k.startswith(("SANFLEET_REPORT_DIR", "ONTAP_"))),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_PLUGINS=str(work / "callbacks"),
                   ANSIBLE_CALLBACKS_ENABLED="capture", CAPTURE_FILE=str(capture))
        maps_before = sh(lab, "dmsetup table %s; ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves"
                         % (w21, w21))
        sds12 = sh(lab, "ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves" % w12).split()
        # the README's plan command as written: it writes the plan file its run command reads
        proc = subprocess.run(plan_argv, cwd=str(work), env=env, capture_output=True, text=True, timeout=900,
                              check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        t0 = time.monotonic()
        # the README's run command as written, plus the full fact: the healthy LUN 1's evidence is inspected below
        proc = subprocess.run(argv + ["-e", json.dumps(FULL)], cwd=str(work), env=env, capture_output=True, text=True, timeout=900,
                              check=False)
        seconds = time.monotonic() - t0
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
        records = [json.loads(line) for line in capture.read_text().splitlines()]
        plans = [r["result"] for r in records if r["action"].endswith(".stale_cleanup") and r["status"] == "ok"]
        assert plans, proc.stdout[-3000:]
        plan = plans[-1]
        assert plan["flush_maps"] == [w12] and sorted(d["name"] for d in plan["delete_disks"]) == sorted(sds12)
        alone = dict((s["name"], s) for s in plan["left_alone"])
        judged = map_verdicts(plans)
        assert alone[w21]["kind"] == judged[w21]["kind"] == "not_covered", judged.get(w21)
        assert "target %s is served by no SVM" % TARGET2 in judged[w21]["reason"], judged[w21]
        assert alone[w11]["kind"] == judged[w11]["kind"] == "healthy", judged.get(w11)
        # LUN id 1 on both targets: target1's LUN 1 is matched with cluster 1's records only
        assert {p["served_by"]["svm"] for p in judged[w11]["evidence"]["paths"]} == {"svm_sanlab"}
        # removed: target1's unmapped LUN 2; untouched: target2's LUN 1 (same LUN id as target1's healthy LUN 1)
        gone = sh(lab, "dmsetup ls --target multipath; ls /sys/block")
        assert w12 not in gone and not set(sds12) & set(gone.split()), gone
        assert sh(lab, "dmsetup table %s; ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves"
                  % (w21, w21)) == maps_before
        assert lab.wait_paths(w21, state="active", timeout=30)["ok"]
        assert lab.wait_paths(w11, state="active", timeout=30)["ok"]
        sys.stderr.write("[two clusters] svm2-only check %.1fs; README command (real) %.1fs: removed %s (%s), "
                         "target2 LUN 1 %s untouched\n" % (svm2.seconds, seconds, w12, " ".join(sds12), w21))
    finally:
        lab.map_lun(2)
