"""Configuration compliance against the SAN lab VM (Debian 12, multipath-tools 0.9.4, open-iscsi 2.1.8).

The baseline NETAPP LUNs start with the multipath-tools built-in NETAPP entry in force (no_path_retry queue,
the lab's /etc/multipath.conf has no NETAPP entry). The roles must detect it, fix it, restart multipathd once,
leave no map queueing without bound, set manual scan in iscsid.conf and every node record, and report no
change on a second run. The guest's original files and records are restored afterwards (lab.reset() does not
touch them).
"""
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

TOP = Path(__file__).resolve().parents[2]
TARGET = "iqn.2024-01.lab.san:target1"
PORTALS = ("127.0.0.1:3260", "127.0.0.2:3260")
PLAYBOOK = """\
- name: Compliance
  hosts: sanlab
  gather_facts: false
  roles:
    - role: sanfleet.remediation.multipath_config
      vars:
        multipath_config_fix: true
    - role: sanfleet.remediation.iscsi_scan_manual
"""


def _env():
    # pipelining, as docs/performance.md advises for a fleet: one command per module run instead of five (sftp,
    # mkdir, chmod, rm), each a process start under TCG. These tests run on all three generations; Ansible's
    # default transport gains nothing from another kernel and stays covered on bookworm (test_facts_lab,
    # test_act_recheck_lab, test_multipath_fix_outage_lab, test_two_clusters_lab)
    return dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default",
                ANSIBLE_PIPELINING="True")


def module(lab, name, args="", timeout=300):
    argv = ["ansible", "-i", str(lab.inventory_path()), "sanlab", "-m", "sanfleet.remediation.%s" % name]
    if args:
        argv += ["-a", args]
    proc = subprocess.run(argv, cwd=str(TOP), env=_env(), capture_output=True, text=True, timeout=timeout, check=False)
    assert "=> {" in proc.stdout, (proc.stdout[-3000:], proc.stderr[-3000:])
    return json.loads(proc.stdout[proc.stdout.index("=> {") + 3:])


def playbook(lab, timeout=900):
    with tempfile.TemporaryDirectory() as tmp:
        pb = Path(tmp) / "compliance.yml"
        pb.write_text(PLAYBOOK)
        proc = subprocess.run(["ansible-playbook", "-i", str(lab.inventory_path()), str(pb)], cwd=str(TOP),
                              env=_env(), capture_output=True, text=True, timeout=timeout, check=False)
    failed = [line for line in proc.stdout.splitlines() if '"msg"' in line or "fatal:" in line or "FAILED" in line]
    assert proc.returncode == 0, (failed, proc.stdout[-3000:], proc.stderr[-2000:])
    recap = re.search(r"sanlab\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout)
    assert recap, proc.stdout[-3000:]
    return int(recap.group(2)), proc.stdout


def compliance_job(lab, *extra, timeout=600):
    """playbooks/compliance.yml as AWX runs it: rc and the published artifact sanfleet_compliance of the host."""
    env = dict(_env(), ANSIBLE_SHOW_CUSTOM_STATS="True")
    argv = ["ansible-playbook", "-i", str(lab.inventory_path()), str(TOP / "playbooks" / "compliance.yml"),
            "-e", "sanfleet_hosts=sanlab"] + list(extra)
    proc = subprocess.run(argv, cwd=str(TOP), env=env, capture_output=True, text=True, timeout=timeout, check=False)
    stats = re.search(r"RUN: (\{.*\})", proc.stdout)
    assert stats, (proc.stdout[-3000:], proc.stderr[-2000:])
    return proc.returncode, json.loads(stats.group(1))["sanfleet_compliance"]["sanlab"], proc.stdout


def recheck_wwid_known(lab):
    """Does the guest's multipath-tools know recheck_wwid (0.8.8+)? Asked from the tool, as the module does."""
    return "recheck_wwid" in ssh(lab, "multipath -t")


def ssh(lab, cmd, timeout=60):
    rc, out, err = lab.ssh(cmd, timeout=timeout)
    assert rc == 0, (cmd, rc, out, err)
    return out


def show_maps(lab):
    out = ssh(lab, "multipathd show maps raw format '%n|%Q|%s'")
    return dict((line.split("|")[0], line.split("|")) for line in out.splitlines() if "|" in line)


def netapp_maps(lab):
    return dict((n, f) for n, f in show_maps(lab).items() if f[2].startswith("NETAPP"))


def tables(lab):
    out = ssh(lab, "dmsetup table --target multipath")
    return dict((line.split(":")[0], line) for line in out.splitlines() if ":" in line)


@pytest.fixture(scope="module")
def guest(lab):
    lab.reset()
    saved = {p: ssh(lab, "cat %s 2>/dev/null || true" % p) for p in ("/etc/multipath.conf", "/etc/iscsi/iscsid.conf")}
    try:
        yield lab
    finally:
        for path, text in saved.items():
            lab.put_file(path, text)
        lab.ssh("rm -f /etc/multipath.conf.*~ /etc/iscsi/iscsid.conf.*~; "
                "for p in %s; do iscsiadm -m node -T %s -p $p -o update -n node.session.scan -v auto; done; "
                "systemctl restart multipathd.service" % (" ".join(PORTALS), TARGET), timeout=180)
        lab.reset()


@pytest.mark.every_suite
def test_audit_finds_the_netapp_builtin_queueing(guest):
    assert set(f[1] for f in netapp_maps(guest).values()) == {"on"}, "baseline: NETAPP maps queue forever"
    res = module(guest, "multipath_conf", "state=audit")
    assert not res.get("failed"), res
    scope = 'devices/device[vendor="NETAPP",product="LUN"]'
    active = [(f["check"], f["scope"], f["in_file"]) for f in res["findings"]
              if f["severity"] == "warning" and not f["shadowed"]]
    assert ("no_path_retry_queue", scope, False) in active
    assert ("dev_loss_tmo_infinity", scope, False) in active
    known = recheck_wwid_known(guest)
    assert (("recheck_wwid_off", "defaults", False) in active) == known
    assert res["recheck_wwid_supported"] is known
    if not known:   # multipath-tools 0.8.5 (bullseye): said, not silently skipped
        assert "recheck_wwid_unsupported" in [f["check"] for f in res["findings"]]
    assert res["effective_source"] == "multipathd show config"
    assert sorted(res["live_maps_queueing"]) == sorted(netapp_maps(guest))
    lvm = module(guest, "lvm_filter_info")
    assert not lvm.get("failed"), lvm
    assert "no_lvm_filter" in [f["check"] for f in lvm["findings"]]
    assert set(lvm["san_devices"]["by_kind"]) == {"map", "path"}  # detail: compact (the default) counts them


def test_compliance_job_fails_the_host_naming_its_violations_and_writes_nothing(guest):
    files = "sha256sum /etc/multipath.conf /etc/iscsi/iscsid.conf; iscsiadm -m node -o show | sha256sum"
    before = ssh(guest, files)
    rc, result, out = compliance_job(guest)
    assert rc == 2, out[-3000:]
    assert result["compliant"] is False
    found = set((v["area"], v["check"]) for v in result["violations"])
    assert {("multipath", "no_path_retry_queue"), ("multipath", "live_map_queueing"),
            ("iscsi", "node.session.scan"), ("lvm", "no_lvm_filter")} <= found, found
    # one violation names every queueing map (issue 31)
    (queueing,) = [v for v in result["violations"] if v["check"] == "live_map_queueing"]
    assert set(queueing["devices"]) == set(netapp_maps(guest))
    assert "is not compliant" in out
    assert ssh(guest, files) == before  # read-only: files and node records untouched


@pytest.mark.every_suite
def test_roles_fix_reconfigure_and_verify_then_change_nothing(guest):
    pid_before = ssh(guest, "systemctl show -p MainPID --value multipathd.service").strip()
    changed, out = playbook(guest)
    assert changed >= 2, out[-3000:]  # multipath.conf written and applied (one task), iscsid.conf + records
    assert "RUNNING HANDLER" not in out
    # applied by multipathd reconfigure: the daemon was never stopped (a stop fails the I/O of maps without a path)
    assert ssh(guest, "systemctl show -p MainPID --value multipathd.service").strip() == pid_before

    conf = ssh(guest, "cat /etc/multipath.conf")
    assert "# Deliberately NO \"NETAPP\" device entry" in conf  # the lab's comments survive
    assert re.search(r'device \{\n\s+vendor "NETAPP"\n\s+product "LUN"\n\s+no_path_retry 30\n\s+dev_loss_tmo 60\n', conf)
    assert ("recheck_wwid yes" in conf) == recheck_wwid_known(guest)   # never an option the daemon rejects
    # no NETAPP map queues without bound any more (multipathd counts 30 checks, then fails I/O)
    states = netapp_maps(guest)
    assert states and all(f[1] != "on" for f in states.values()), states
    assert all(re.match(r"^\d+ (chk|sec)$|^off$", f[1]) for f in states.values()), states
    # the kernel tables: with no_path_retry 30 multipathd keeps queue_if_no_path while paths work
    tbl = tables(guest)
    for name in states:
        assert "pg_init_retries 50" in tbl[name]  # the built-in entry is merged, not replaced
    cfg = ssh(guest, "multipathd show config")
    block = cfg[cfg.index('vendor "NETAPP"\n\t\tproduct "LUN"\n'):]
    block = block[:block.index("}")]
    assert "no_path_retry 30" in block and "dev_loss_tmo 60" in block and 'prio "ontap"' in block

    iscsid = ssh(guest, "cat /etc/iscsi/iscsid.conf")
    # one active line (the last, which iscsid reads); the earlier one is kept as a comment
    assert re.findall(r"(?m)^node\.session\.scan = (\S+)$", iscsid) == ["manual"]
    for portal in PORTALS:
        rec = ssh(guest, "iscsiadm -m node -T %s -p %s" % (TARGET, portal))
        assert "node.session.scan = manual" in rec
    assert ssh(guest, "iscsiadm -m session | wc -l").strip() == "2"  # nobody was logged out

    changed, out = playbook(guest)
    assert changed == 0, out[-3000:]
    assert "RUNNING HANDLER" not in out

    # the compliance job now passes the multipath and iSCSI parts; the lab's LVM has no filter (not ours to fix)
    rc, result, out = compliance_job(guest, "-e", "sanfleet_compliance_lvm=false")
    if recheck_wwid_known(guest):
        assert rc == 0 and result == {"compliant": True, "status": "san", "violations": []}, (result, out[-3000:])
    else:
        # multipath-tools < 0.8.8 (bullseye's 0.8.5): the one violation no configuration can fix stays, and says
        # so (docs/compliance.md: upgrade multipath-tools)
        assert rc == 2 and [(v["area"], v["check"]) for v in result["violations"]] == \
            [("multipath", "recheck_wwid_unsupported")], (result, out[-3000:])


def test_all_paths_down_stops_queueing_within_the_retry_window(guest):
    """The point of the fix: with every path gone, the NETAPP maps stop queueing by themselves."""
    before = netapp_maps(guest)
    assert before and all(f[1] != "on" for f in before.values())
    guest.cut_portal("127.0.0.1")
    guest.cut_portal("127.0.0.2")
    try:
        # polling_interval 2..4 s in the lab: 30 checks take at most ~2 min after the paths fail
        deadline = 240
        out = ""
        for attempt in range(deadline // 5):
            tbl = tables(guest)
            left = [n for n in before if "queue_if_no_path" in tbl.get(n, "")]
            if not left:
                break
            rc, out, err = guest.ssh("sleep 5", timeout=15)
        assert not left, ("still queueing", left, tbl)
        assert all(f[1] == "off" for f in netapp_maps(guest).values())
    finally:
        guest.restore_portal()


PROBE_TARGET = "iqn.2024-01.lab.san:sanfleet-parse-probe"
PROBE_PORTAL = "127.0.0.9:3260"


def _block(text, start, end="}"):
    """The text of `text` from `start` up to the next `end` ('' when start is absent)."""
    at = text.find(start)
    return "" if at < 0 else text[at:text.index(end, at + len(start))]


def test_fixes_are_read_by_the_daemons_as_intended(guest):
    """multipath-tools 0.9.4 and open-iscsi 2.1.8 read the odd forms the way docs/compliance.md says, and
    what the modules write is what the daemons then run (multipathd show config; a new node record)."""
    original = ssh(guest, "cat /etc/multipath.conf")
    assert original.rstrip().endswith("}")  # the lab's file ends with its devices section
    odd = (original.rstrip()[:-1]
           + '    # a device entry without product: multipath-tools drops it\n'
           + '    device {\n        vendor "NETAPP"\n        no_path_retry 77\n    }\n}\n'
           + 'defaults {\n    no_path_retry queue#by ops\n    dev_loss_tmo 30\n}\n')
    bare_overrides = "overrides\n{\n    no_path_retry 71\n}\n"

    # 1. what multipath -t reads from the odd file
    guest.put_file("/etc/multipath.conf", odd + bare_overrides)
    cfg = ssh(guest, "multipath -t")
    defaults = _block(cfg, "defaults {")
    assert 'no_path_retry "queue"' in defaults and "dev_loss_tmo 30" in defaults  # the glued comment ends the value
    assert "no_path_retry 71" not in cfg  # the bare overrides' body is read nowhere
    assert "no_path_retry 77" not in cfg  # the entry without product is dropped
    # the module sees the same file: it refuses to rewrite what multipath-tools reads differently
    sha = ssh(guest, "sha256sum /etc/multipath.conf")
    res = module(guest, "multipath_conf", "state=fixed restart=false")
    assert "refusing to rewrite" in res.get("msg", "") and "same line" in res["msg"], res
    assert ssh(guest, "sha256sum /etc/multipath.conf") == sha

    # 2. without the bare overrides: fix, restart, and multipathd runs the intended values
    guest.put_file("/etc/multipath.conf", odd)
    res = module(guest, "multipath_conf", "state=fixed")
    assert res["changed"] and res["reconfigured"] and not res.get("failed"), res.get("msg")
    conf = ssh(guest, "cat /etc/multipath.conf")
    assert "    no_path_retry 30 #by ops\n" in conf and "    dev_loss_tmo 30\n" in conf  # bounded value kept
    assert '        vendor "NETAPP"\n        no_path_retry 77\n' in conf  # the dropped entry is left as written
    running = ssh(guest, "multipathd show config")
    defaults = _block(running, "defaults {")
    assert "no_path_retry 30" in defaults and "dev_loss_tmo 30" in defaults
    netapp = _block(running, 'vendor "NETAPP"\n\t\tproduct "LUN"\n')
    assert "no_path_retry 30" in netapp and "dev_loss_tmo 60" in netapp and 'prio "ontap"' in netapp
    states = netapp_maps(guest)
    assert states and all(f[1] != "on" for f in states.values()), states

    # 3. iscsid.conf: a no-space line and an unterminated last line are not read by open-iscsi
    iscsid = ssh(guest, "cat /etc/iscsi/iscsid.conf")
    base = "".join(line for line in iscsid.splitlines(True) if not re.match(r"^\s*node\.session\.scan\b", line))
    guest.put_file("/etc/iscsi/iscsid.conf", base + "node.session.scan = auto\nnode.session.scan=manual")

    def new_record_scan():
        ssh(guest, "iscsiadm -m node -o new -T %s -p %s" % (PROBE_TARGET, PROBE_PORTAL))
        try:
            rec = ssh(guest, "iscsiadm -m node -T %s -p %s" % (PROBE_TARGET, PROBE_PORTAL))
        finally:
            ssh(guest, "iscsiadm -m node -o delete -T %s -p %s" % (PROBE_TARGET, PROBE_PORTAL))
        return re.search(r"(?m)^node\.session\.scan = (\S+)$", rec).group(1)

    try:
        assert new_record_scan() == "auto"  # iscsid skipped "node.session.scan=manual"
        res = module(guest, "iscsid_conf", "update_node_records=false")
        assert res["changed"] and res["file_changes"] == {"node.session.scan": "modified"}, res
        assert new_record_scan() == "manual"  # a NEW record created after the fix carries manual scan
        fixed = ssh(guest, "cat /etc/iscsi/iscsid.conf")
        assert fixed.endswith("#node.session.scan = auto\nnode.session.scan = manual\n")
    finally:
        guest.ssh("iscsiadm -m node -o delete -T %s -p %s" % (PROBE_TARGET, PROBE_PORTAL))
