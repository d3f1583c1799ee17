"""Hardening proofs on the real kernel (issue 13).

- test_refused_flush_restores_queueing: a dead map the array no longer maps (LUN 2 unmapped, every path
  failed, queue_if_no_path) is held open by a process that is NOT blocked in its I/O (so it does not leave when
  queueing is disabled). multipath_flush (array_unmapped) disables queueing, waits for the opener, refuses naming it,
  and gives queueing back: the live table and multipathd's view of the map are exactly what they were.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.lab


def sh(lab, cmd, timeout=60):
    rc, out, err = lab.ssh(cmd, timeout=timeout)
    assert rc == 0, "%s: rc=%s %s %s" % (cmd, rc, out, err)
    return out


def run_module(lab, tmp_path, module, args, timeout=300):
    """One task on the lab host through ansible-playbook with ssh pipelining on; returns (rc, result, seconds)."""
    play = [{"hosts": "sanlab", "gather_facts": False, "tasks": [
        {"name": "under test", "sanfleet.remediation.%s" % module: args, "register": "out", "ignore_errors": True},
        {"name": "result", "ansible.builtin.copy": {"content": "{{ out | to_json }}", "dest": str(tmp_path / "out.json")},
         "delegate_to": "localhost"}]}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="True",
               ANSIBLE_RETRY_FILES_ENABLED="False")
    t0 = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", str(lab.inventory_path()), str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT), check=False)
    seconds = time.monotonic() - t0
    assert (tmp_path / "out.json").exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc.returncode, json.loads((tmp_path / "out.json").read_text()), seconds


def map_state(lab, wwid):
    """The live table and multipathd's view of one map (queueing policy and state)."""
    table = sh(lab, "dmsetup table %s" % wwid).strip()
    mpd = sh(lab, "multipathd show maps raw format '%%n %%Q %%N' | grep '^%s '" % wwid).strip()
    state = sh(lab, "dmsetup info -c --noheadings -o attr %s" % wwid).strip()
    return {"table": table, "multipathd": mpd, "attr": state}


def test_refused_flush_restores_queueing(lab, tmp_path):
    lab.reset()
    wwid = dict((int(k), v) for k, v in lab.truth()["mapped"].items())[2]
    try:
        lab.unmap_lun(2)
        lab.wait_paths(wwid, state="failed", timeout=60)
        before = map_state(lab, wwid)
        assert "queue_if_no_path" in before["table"], before
        # a holder that keeps the map open without doing I/O: disabling queueing does not make it leave
        sh(lab, "setsid nohup sleep 600 < /dev/mapper/%s > /dev/null 2>&1 & echo $! > /tmp/holder.pid" % wwid)
        pid = sh(lab, "cat /tmp/holder.pid").strip()
        rc, out, seconds = run_module(lab, tmp_path, "multipath_flush",
                                      {"wwid": wwid, "array_unmapped": True, "timeout": 30, "command_timeout": 10})
        assert out.get("failed"), out
        assert out["failed_step"]["action"] == "verify_unused", out
        assert "pid %s (sleep)" % pid in out["msg"], out["msg"]
        restored = out["queueing_restored"]
        assert restored and restored[0]["queueing_now"] is True, restored
        assert "queueing on map %s restored" % wwid in out["msg"]
        after = map_state(lab, wwid)
        assert after == before, (before, after)
        assert sh(lab, "dmsetup ls --target multipath").count(wwid) == 1  # nothing flushed
        sys.stderr.write("[hardening] refused flush: %.1fs, table before/after identical: %s\n"
                         % (seconds, before["table"]))
    finally:
        lab.ssh("kill -9 $(cat /tmp/holder.pid) 2>/dev/null; true", timeout=30)
