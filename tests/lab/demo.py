"""The main job on the embedded default (README command 1, called by scripts/lab-audit.sh).

Boots the SAN lab (or reuses the running one), resets it to the baseline (NETAPP LUNs 1..3, two paths
each), makes devices stale the way production does, starts an ONTAP REST simulator that agrees with the
lab's target, and runs playbooks/audit.yml against the lab host with that array configured:

- LUN 2 is unmapped on the target          -> its map's paths fail: `stale_unmapped`
- LUN 3's number is reused by a new volume  -> the old map answers with another LU: `serial_mismatch`
- LUN 1 stays healthy                       -> `healthy`
- LUN 0 is LIO's placeholder (not NetApp)   -> `unknown_array`

Nothing is removed: the audit only reads. Exit code = ansible-playbook's.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tests" / "lab"))
for tree in filter(None, [os.environ.get("SANFLEET_COLLECTIONS")]):
    sys.path.insert(0, tree)

from sanlab import Lab  # noqa: E402


def say(msg):
    print("[lab-audit] %s" % msg, flush=True)


def make_stale(lab):
    wwid2 = lab.truth()["mapped"]["2"]
    lab.unmap_lun(2)
    lab.reuse_lun(3)
    say("unmapped LUN 2 (%s); mapped a new volume at LUN 3" % wwid2)
    lab.wait_paths(wwid2, "failed", timeout=60)
    say("LUN 2's paths have failed")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="leave the VM running afterwards")
    ap.add_argument("--no-stale", action="store_true", help="audit the healthy baseline")
    args, extra = ap.parse_known_args(argv)
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truth

    lab = Lab(port=int(os.environ.get("SANLAB_PORT", "2222")))
    lab.acquire()
    t0 = time.monotonic()
    lab.ensure_built()
    was_running = lab.is_running()
    lab.start(reuse=True)
    say("lab up (%s, %.0f s)" % ("reused" if was_running else "booted, accel=%s" % lab.accel_used(), time.monotonic() - t0))
    lab.reset()
    # kernel < 5.14 (bullseye): tgtd serves the LUNs, LIO there could not present ONTAP WWIDs (docs/lab.md)
    say("%s guest, target %s, ontap_wwids=%s" % (lab.suite, lab.truth().get("target_backend"),
                                                lab.truth().get("ontap_wwids")))
    if not args.no_stale:
        make_stale(lab)
    inventory = lab.inventory_path()
    with tempfile.TemporaryDirectory(prefix="sanfleet-demo-") as work:
        with OntapSimulator(from_lab_truth(lab.truth()), work) as sim:
            extra_vars = Path(work) / "ontap.json"
            extra_vars.write_text(json.dumps({"sanfleet_ontap": sim.options(), "sanfleet_hosts": "sanlab"}))
            env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="yaml", ANSIBLE_HOST_KEY_CHECKING="false")
            cmd = ["ansible-playbook", "-i", str(inventory), str(TOP / "playbooks" / "audit.yml"),
                   "-e", "@%s" % extra_vars] + extra
            say(" ".join(cmd))
            started = time.time()
            rc = subprocess.call(cmd, env=env, cwd=TOP)
            say("ONTAP simulator answered %d REST requests" % sim.request_count)
    # the console shows one line per host and phase; the findings with their verdicts are in the report
    report = TOP / (os.environ.get("SANFLEET_REPORT_DIR") or "sanfleet-reports") / "fleet.md"
    if report.is_file() and report.stat().st_mtime >= started:   # this run's, not a leftover
        say("the fleet report, %s:" % report)
        sys.stdout.write(report.read_text())
        sys.stdout.flush()
    if not args.keep and not was_running and os.environ.get("SANLAB_KEEP") != "1":
        lab.stop()
    else:
        say("lab left running on 127.0.0.1:%s (tests/lab/ssh.sh, tests/lab/boot.sh stop)" % lab.port)
    return rc


if __name__ == "__main__":
    sys.exit(main())
