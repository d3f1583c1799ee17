"""NVMe/TCP on a real kernel (issue 39), through the public audit playbook.

The lab's NVMe/TCP SVM (tests/lab/guest/sanlab_agent.py, "NVMe/TCP"): an nvmet subsystem with NetApp's model and
an ONTAP-form NQN, namespaces of fixed UUIDs, two LIFs (nvmet ports 127.0.0.5 ANA optimized, 127.0.0.6
non-optimized); the guest connects to both through /dev/nvme-fabrics with native multipath.

- test_audit_reads_nvme_namespaces_paths_and_users_and_changes_nothing: the state lab finding 16 describes
  (namespace 1 mounted, namespace 2 unmapped while both LIFs were cut, LIF b back, ctrl_loss_tmo off). audit.yml,
  with the ONTAP simulator serving the lab's SVM, names each namespace with its users and each path with its
  controller's state beside the ANA state the kernel kept, flags the unbounded ctrl_loss_tmo, and touches nothing.
  The udev worker that blocks in the namespace's queued I/O is named as its opener (lab finding 17). While the SVM
  still has LIF a, namespace 2 is stale_unmapped and the controller to LIF a down and needed by nothing; once LIF
  a is deleted that controller is lif_gone and namespace 2, reached only there, not covered (its sole path).
- test_remediate_deletes_only_the_controller_to_a_deleted_lif_and_none_in_an_outage: remediate.yml (stale_cleanup)
  in an outage (both LIFs cut, everything mapped) plans no delete under any option; once LIF a is deleted from the
  SVM and LIF b answers, it deletes the controller to LIF a alone (check mode planned exactly that; the caller says
  no other cluster presents the subsystem), and the mounted namespace stays mounted through LIF b. Then this host
  is removed from the subsystem and its last connection drops: while a process holds namespace 2 through its
  generic node (/dev/ngXnY) nothing is deleted and the plan names the holder; once it is gone the controller to LIF
  b is deleted and both namespaces, unmapped and unused, go with it.
- test_remediate_deletes_a_stale_subsystems_controllers_as_one_unit_with_its_namespaces: this host removed from the
  subsystem with both LIFs cut: the two controllers the stale namespaces are reached through are planned as one
  unit, and the real run deletes both, the namespaces with them.
"""
import json
import os
import subprocess
import sys
import time

import pytest

from test_hung_delete_lab import run_captured  # noqa: I100 (same directory)
from test_remediate_lab import run_audit, run_play, sh  # noqa: I100
from test_two_clusters_lab import OntapSimulator, from_lab_truths  # noqa: I100

pytestmark = pytest.mark.lab

# what must not change while the audit runs: every NVMe block device, each controller's state and address
NVME_LISTING = ("ls /sys/block | grep nvme; for c in /sys/class/nvme/nvme*; do echo $c $(cat $c/state) "
                "$(cat $c/address); done; findmnt -n -o SOURCE,TARGET /mnt/nvme1")


def audit(lab, work, nvme_truth):
    """audit.yml with the ONTAP simulator serving the lab's iSCSI SVM and its NVMe SVM as `nvme_truth` says: the
    host's report."""
    (work / "sim").mkdir(parents=True)
    with OntapSimulator(from_lab_truths([lab.truth(), nvme_truth]), str(work / "sim")) as sim:
        proc, seconds = run_audit(lab, work / "reports", sim)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return json.loads((work / "reports" / "hosts" / "sanlab.json").read_text()), seconds


def verdicts_of(part):
    return dict((n["nsid"], n["verdict"]["kind"]) for n in part["namespaces"])


def controller_verdicts(part):
    return dict((c["name"], (c["kind"], c["sole_path_of"])) for c in part["controller_verdicts"])


def violations(report):
    return [(f["area"], f["check"], f["object"]) for f in report["findings"] if f["severity"] == "violation"]


def test_audit_reads_nvme_namespaces_paths_and_users_and_changes_nothing(lab, tmp_path):
    t_start = time.monotonic()
    lab.reset()
    try:
        truth = lab.agent("nvme_setup", nsids=[1, 2, 3], ctrl_loss_tmo=-1)["truth"]
        uuids = dict((n["nsid"], n["uuid"]) for n in truth["namespaces"])
        sh(lab, "mkfs.ext4 -q -F /dev/nvme0n1 && mkdir -p /mnt/nvme1 && mount /dev/nvme0n1 /mnt/nvme1", timeout=120)
        lab.agent("nvme_cut_lif", lif="all")
        assert lab.agent("nvme_wait_controllers", state="connecting", timeout=60)["ok"]
        lab.agent("nvme_unmap", nsid=2)
        lab.agent("nvme_restore_lif", lif="b")
        assert lab.agent("nvme_wait_controllers", state="live", lif="b", timeout=60)["ok"]
        truth = lab.agent("nvme_truth")
        heads = dict((h["nsid"], h) for h in truth["heads"])
        # the state of lab finding 16: namespace 2 kept with its one path through the controller to LIF a
        assert [p["controller"] for p in heads[2]["paths"]] == [
            c["name"] for c in truth["controllers"] if c["traddr"] == "127.0.0.5"], truth
        dead = heads[2]["paths"][0]["controller"]
        before = sh(lab, NVME_LISTING)

        # run 1: LIF a unreachable but still the SVM's -> namespace 2 stale, its controller down and needed by nothing
        rep, play_s = audit(lab, tmp_path / "run1", truth)
        assert sh(lab, NVME_LISTING) == before
        assert "nvme" in rep["areas"], rep["areas"]
        part = rep["nvme"]
        controllers = dict((c["name"], c) for c in part["controllers"])
        assert controllers[dead]["state"] == "connecting" and controllers[dead]["ctrl_loss_tmo"] == "off"
        unbounded = sorted(f["object"] for f in rep["findings"] if f["check"] == "nvme_ctrl_loss_unbounded")
        assert unbounded == sorted(controllers), rep["findings"]
        namespaces = dict((n["nsid"], n) for n in part["namespaces"])
        assert sorted(namespaces) == [1, 2, 3]
        for nsid, ns in namespaces.items():
            assert ns["uuid"] == uuids[nsid] and ns["subsysnqn"] == truth["subsystem_nqn"], ns
        assert namespaces[1]["mountpoints"] == ["/mnt/nvme1"] and namespaces[1]["openers"] == []
        # namespace 2 queues its I/O (a controller to it is connecting): udev's probe of the path change blocks in
        # it (lab finding 17), an opener that is no workload, named as what it is
        assert namespaces[2]["mountpoints"] == []
        assert all("udev" in (o["comm"] or "") for o in namespaces[2]["openers"]), namespaces[2]["openers"]
        assert [(p["controller"], p["controller_state"], p["traddr"], p["ana_state"])
                for p in namespaces[2]["paths"]] == [(dead, "connecting", "127.0.0.5", "optimized")]
        assert sorted(p["controller_state"] for p in namespaces[3]["paths"]) == ["connecting", "live"]
        assert verdicts_of(part) == {1: "paths_down_but_mapped", 2: "stale_unmapped", 3: "paths_down_but_mapped"}
        assert controller_verdicts(part)[dead] == ("controller_down", [])
        assert ("stale", "stale_unmapped", heads[2]["head"]) in violations(rep)

        # run 2: LIF a deleted from the SVM -> its controller is to a LIF gone; namespace 2, reached only there, is
        # not judged (another cluster may present the subsystem at that address) and depends on that controller
        lab.agent("nvme_delete_lif", lif="a")
        rep, play2_s = audit(lab, tmp_path / "run2", lab.agent("nvme_truth"))
        assert sh(lab, NVME_LISTING) == before
        part = rep["nvme"]
        assert verdicts_of(part) == {1: "paths_down_but_mapped", 2: "not_covered", 3: "paths_down_but_mapped"}
        assert controller_verdicts(part)[dead] == ("lif_gone", [heads[2]["head"]])
        assert [v for v in violations(rep) if v[1] in ("stale_unmapped", "lif_gone")] == [
            ("stale", "lif_gone", dead)]
        sys.stderr.write("[nvme] audits of 3 namespaces, 2 controllers (one to a cut, then deleted LIF): plays %.1fs "
                         "and %.1fs, test %.1fs\n" % (play_s, play2_s, time.monotonic() - t_start))
    finally:
        lab.agent("nvme_remove")


def steps_of(play):
    return [(s["action"], s["target"]) for s in play.plan["steps"]]


def test_remediate_deletes_only_the_controller_to_a_deleted_lif_and_none_in_an_outage(lab, tmp_path):
    t_start = time.monotonic()
    lab.reset()
    try:
        truth = lab.agent("nvme_setup", nsids=[1, 2], ctrl_loss_tmo=-1)["truth"]
        heads = dict((h["nsid"], h["head"]) for h in truth["heads"])
        sh(lab, "mkfs.ext4 -q -F /dev/%s && mkdir -p /mnt/nvme1 && mount /dev/%s /mnt/nvme1" % (heads[1], heads[1]),
           timeout=120)
        to_a = [c["name"] for c in truth["controllers"] if c["traddr"] == "127.0.0.5"]
        to_b = [c["name"] for c in truth["controllers"] if c["traddr"] == "127.0.0.6"]

        # an outage: both LIFs unreachable, everything still mapped -> nothing planned, whatever the options
        lab.agent("nvme_cut_lif", lif="all")
        assert lab.agent("nvme_wait_controllers", state="connecting", timeout=60)["ok"]
        before = sh(lab, NVME_LISTING)
        (tmp_path / "sim1").mkdir()
        with OntapSimulator(from_lab_truths([lab.truth(), lab.agent("nvme_truth")]), str(tmp_path / "sim1")) as sim:
            outage = run_play(lab, sim, tmp_path, check=True, tag="outage", extra={
                "stale_cleanup_policy": "host_evidence", "stale_cleanup_force": True, "sanfleet_delete_lif_gone": True})
        assert outage.rc == 0, outage.out[-4000:]
        assert steps_of(outage) == [] and outage.plan["delete_controllers"] == []
        refused = dict((r["name"], r["reason"]) for r in outage.plan["refused"] if r["object"] == "controller")
        assert sorted(refused) == sorted(to_a + to_b) and all("sole path" in r for r in refused.values()), refused
        assert sh(lab, NVME_LISTING) == before

        # LIF b back, LIF a deleted from the SVM: the controller to it reconnects to an address no LIF has
        lab.agent("nvme_restore_lif", lif="b")
        assert lab.agent("nvme_wait_controllers", state="live", lif="b", timeout=60)["ok"]
        lab.agent("nvme_delete_lif", lif="a")
        (tmp_path / "sim2").mkdir()
        with OntapSimulator(from_lab_truths([lab.truth(), lab.agent("nvme_truth")]), str(tmp_path / "sim2")) as sim:
            before = sh(lab, NVME_LISTING)
            # the SVM read is the only cluster presenting the subsystem: the caller may say so (delete_lif_gone)
            chk = run_play(lab, sim, tmp_path, check=True, tag="check", extra={"sanfleet_delete_lif_gone": True})
            assert chk.rc == 0, chk.out[-4000:]
            assert sh(lab, NVME_LISTING) == before
            assert steps_of(chk) == [("delete_controller", to_a[0]), ("wait_controller_gone", to_a[0])]
            planned = chk.plan["delete_controllers"][0]
            assert (planned["kind"], planned["address"]) == ("lif_gone", "traddr=127.0.0.5,trsvcid=4420")
            assert dict((n, r["role"]) for n, r in planned["namespaces"].items()) == {
                heads[1]: "stays", heads[2]: "stays"}
            real = run_play(lab, sim, tmp_path, tag="real", extra={"sanfleet_delete_lif_gone": True})
        assert real.rc == 0, real.out[-4000:]
        assert real.executed() == steps_of(chk) and real.plan["deleted_controllers"] == to_a
        after = lab.agent("nvme_truth")
        assert [(c["name"], c["state"]) for c in after["controllers"]] == [(to_b[0], "live")]
        assert sorted((h["nsid"], [p["controller"] for p in h["paths"]]) for h in after["heads"]) == [
            (1, to_b), (2, to_b)]
        assert sh(lab, "findmnt -n -o SOURCE /mnt/nvme1").strip() == "/dev/%s" % heads[1]

        # this host removed from the subsystem (another host still allowed), its last connection dropped: the
        # subsystem has nothing left for it, the controller to LIF b is deleted and both namespaces go with it
        sh(lab, "umount /mnt/nvme1", timeout=60)
        lab.agent("nvme_deny_host")
        lab.agent("nvme_cut_lif", lif="b")
        assert lab.agent("nvme_wait_controllers", state="connecting", lif="b", timeout=60)["ok"]
        # a process holding namespace 2 through its generic node (a char device: no mount, holder or block opener
        # shows it) keeps the controller, and the plan names it
        generic = "ng" + heads[2][len("nvme"):]
        sh(lab, "setsid nohup sleep 3600 < /dev/%s > /dev/null 2>&1 & echo $! > /tmp/ng-holder.pid" % generic)
        (tmp_path / "sim3").mkdir()
        with OntapSimulator(from_lab_truths([lab.truth(), lab.agent("nvme_truth")]), str(tmp_path / "sim3")) as sim:
            held = run_play(lab, sim, tmp_path, check=True, tag="check-held")
            assert held.rc == 0, held.out[-4000:]
            assert steps_of(held) == [] and held.plan["delete_controllers"] == []
            refused = dict((r["name"], r["reason"]) for r in held.plan["refused"] if r["object"] == "controller")
            assert heads[2] in refused[to_b[0]] and "(sleep)" in refused[to_b[0]], refused
            sh(lab, "kill $(cat /tmp/ng-holder.pid) && rm /tmp/ng-holder.pid")
            chk2 = run_play(lab, sim, tmp_path, check=True, tag="check-denied")
            assert chk2.rc == 0, chk2.out[-4000:]
            assert steps_of(chk2) == [("delete_controller", to_b[0]), ("wait_controller_gone", to_b[0])]
            planned = chk2.plan["delete_controllers"][0]
            assert planned["kind"] == "controller_down" and planned["vanishing"] == sorted([heads[1], heads[2]])
            real2 = run_play(lab, sim, tmp_path, tag="real-denied")
        assert real2.rc == 0, real2.out[-4000:]
        assert real2.executed() == steps_of(chk2)
        after = lab.agent("nvme_truth")
        assert after["controllers"] == [] and after["heads"] == []
        sys.stderr.write("[nvme] remediate: outage check %.1fs, check %.1fs, real %.1fs, denied check %.1fs, real "
                         "%.1fs, test %.1fs\n" % (
                             outage.seconds, chk.seconds, real.seconds, chk2.seconds, real2.seconds,
                             time.monotonic() - t_start))
    finally:
        lab.ssh("kill $(cat /tmp/ng-holder.pid 2>/dev/null) 2>/dev/null; rm -f /tmp/ng-holder.pid; umount -l /mnt/nvme1",
                timeout=60)
        lab.agent("nvme_remove")


def test_remediate_deletes_a_stale_subsystems_controllers_as_one_unit_with_its_namespaces(lab, tmp_path):
    """This host removed from the subsystem and both LIFs cut: both controllers reconnect, both namespaces are
    unmapped for this host and reached through both. The plan makes the two controllers one unit (each went as its
    own unit before, and an independent run once deleted one and refused the other: lab finding 18); the real run
    deletes both and the namespaces go with them."""
    t_start = time.monotonic()
    lab.reset()
    try:
        truth = lab.agent("nvme_setup", nsids=[1, 2], ctrl_loss_tmo=-1)["truth"]
        ctrls = sorted(c["name"] for c in truth["controllers"])
        lab.agent("nvme_deny_host")
        lab.agent("nvme_cut_lif", lif="all")
        assert lab.agent("nvme_wait_controllers", state="connecting", timeout=60)["ok"]
        (tmp_path / "sim").mkdir()
        with OntapSimulator(from_lab_truths([lab.truth(), lab.agent("nvme_truth")]), str(tmp_path / "sim")) as sim:
            chk = run_play(lab, sim, tmp_path, check=True, tag="check-stale-subsystem")
            assert chk.rc == 0, chk.out[-4000:]
            unit = "controller %s" % "+".join(ctrls)
            assert sorted(c["unit"] for c in chk.plan["delete_controllers"]) == [unit, unit], chk.plan
            assert steps_of(chk) == [("delete_controller", c) for c in ctrls] + [
                ("wait_controller_gone", c) for c in ctrls]
            real = run_play(lab, sim, tmp_path, tag="real-stale-subsystem")
        assert real.rc == 0, real.out[-4000:]
        assert real.executed() == steps_of(chk)
        after = lab.agent("nvme_truth")
        assert after["controllers"] == [] and after["heads"] == []
        sys.stderr.write("[nvme] stale subsystem: check %.1fs, real %.1fs, test %.1fs\n"
                         % (chk.seconds, real.seconds, time.monotonic() - t_start))
    finally:
        lab.agent("nvme_remove")


RULE = "/etc/udev/rules.d/72-sanfleet-nvmf-ontap.rules"
CTRL_STATE = "for c in /sys/class/nvme/nvme*; do echo $(basename $c) $(cat $c/state) $(cat $c/ctrl_loss_tmo); done"


def nvme_conf_runs(lab, tmp_path, tag, check_first):
    """nvme_conf state=present on the lab host through ansible-playbook (pipelining, fact gathering off): with
    `check_first`, a check-mode run in the same play before the real one; {task: result}."""
    tasks = []
    for name, check in (("check", True), ("real", False)) if check_first else (("real", False),):
        tasks += [{"name": name, "sanfleet.remediation.nvme_conf": {"state": "present"}, "check_mode": check,
                   "register": name, "ignore_errors": True},
                  {"name": name + " result", "ansible.builtin.copy": {
                      "content": "{{ %s | to_json }}" % name, "dest": str(tmp_path / ("%s-%s.json" % (tag, name)))},
                   "delegate_to": "localhost"}]
    (tmp_path / (tag + ".yml")).write_text(json.dumps([{"hosts": "sanlab", "gather_facts": False, "tasks": tasks}]))
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="True",
               ANSIBLE_RETRY_FILES_ENABLED="False")
    proc = subprocess.run(["ansible-playbook", "-i", str(lab.inventory_path()), str(tmp_path / (tag + ".yml"))],
                          env=env, capture_output=True, text=True, timeout=600, cwd=str(tmp_path), check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return dict((name, json.loads((tmp_path / ("%s-%s.json" % (tag, name))).read_text()))
                for name in (("check", "real") if check_first else ("real",)))


def role_run(lab, tmp_path, variables):
    """The multipath_config role on the lab host with `variables` (the LVM audit off), through ansible-playbook:
    (rc, {task name: (status, result)} of every task that ran: ok or failed)."""
    play = [{"hosts": "sanlab", "gather_facts": False, "roles": [{
        "role": "sanfleet.remediation.multipath_config",
        "vars": dict({"multipath_config_lvm": False, "multipath_config_backup": False}, **variables)}]}]
    (tmp_path / "role").mkdir()
    proc, _seconds, records = run_captured(lab, tmp_path / "role", play, timeout=900, cwd=tmp_path)
    # a role's task is named "<role> : <name>"
    return proc.returncode, dict((r["task"].split(" : ")[-1], (r["status"], r["result"])) for r in records)


def test_nvme_conf_fix_bounds_the_live_controller_and_holds_the_one_in_an_outage(lab, tmp_path):
    """nvme_conf state=present on the real kernel: NetApp's -1 on both controllers and the kernel's numa policy,
    LIF b cut (its controller connecting). Check mode plans exactly what the run does: the rule, round-robin on the
    subsystem, 600 s on the controller to LIF a; the controller to LIF b is held, its ctrl_loss_tmo still off. With
    LIF b back, the rule bounds its controller once it is live, and a second run has nothing to do. Through the
    multipath_config role, a policy this kernel does not take fails the role at its end, after the multipath fix and
    the report, and leaves the rule as it was."""
    t_start = time.monotonic()
    lab.reset()
    try:
        truth = lab.agent("nvme_setup", nsids=[1], ctrl_loss_tmo=-1)["truth"]
        to_a = [c["name"] for c in truth["controllers"] if c["traddr"] == "127.0.0.5"]
        to_b = [c["name"] for c in truth["controllers"] if c["traddr"] == "127.0.0.6"]
        subsys = sh(lab, "grep -l -x '%s' /sys/class/nvme-subsystem/*/subsysnqn" % truth["subsystem_nqn"]).split("/")[-2]
        sh(lab, "rm -f %s; echo numa > /sys/class/nvme-subsystem/%s/iopolicy" % (RULE, subsys))
        lab.agent("nvme_cut_lif", lif="b")
        assert lab.agent("nvme_wait_controllers", state="connecting", lif="b", timeout=60)["ok"]

        first = nvme_conf_runs(lab, tmp_path, "outage", check_first=True)
        check, real = first["check"], first["real"]
        assert not check.get("failed") and not real.get("failed"), (check.get("msg"), real.get("msg"))
        assert [(c["action"], c["object"]) for c in check["plan"]] == [
            ("bound_ctrl_loss_tmo", to_a[0]), ("set_iopolicy", subsys), ("write_udev_rule", RULE)]
        assert check["plan"] == real["plan"] == [
            dict((k, v) for k, v in c.items() if k not in ("read_back", "backup_file")) for c in real["executed"]]
        assert [(h["object"], "not live" in h["reason"]) for h in real["held"]] == [(to_b[0], True)]
        states = dict((ln.split()[0], ln.split()[1:]) for ln in sh(lab, CTRL_STATE).splitlines())
        assert states[to_a[0]] == ["live", "600"] and states[to_b[0]] == ["connecting", "off"]
        assert sh(lab, "cat /sys/class/nvme-subsystem/%s/iopolicy" % subsys).strip() == "round-robin"
        assert 'ATTR{ctrl_loss_tmo}="600"' in sh(lab, "cat %s" % RULE)

        # LIF b back: the kernel sends a change event when the controller connects again (NVME_EVENT=connected),
        # and the rule, which bounds only a live controller at a change, bounds it; the next run has nothing left
        lab.agent("nvme_restore_lif", lif="b")
        assert lab.agent("nvme_wait_controllers", state="live", lif="b", timeout=60)["ok"]
        sh(lab, "udevadm settle -t 30", timeout=60)
        states = dict((ln.split()[0], ln.split()[1:]) for ln in sh(lab, CTRL_STATE).splitlines())
        assert states[to_b[0]] == ["live", "600"]
        second = nvme_conf_runs(lab, tmp_path, "back", check_first=False)["real"]
        assert (second["changed"], second["plan"], second["held"]) == (False, [], [])
        assert [f["check"] for f in second["findings"] if f["severity"] == "violation"] == []

        # through the role: the NVMe fix runs after the multipath fix, in a block of its own. A policy this kernel
        # does not take (queue-depth came with 6.11) fails the role at its end, after the multipath fix and the
        # report ran, and leaves the rule as it was (it is written after the live writes)
        rule_before = sh(lab, "cat %s" % RULE)
        sh(lab, "echo numa > /sys/class/nvme-subsystem/%s/iopolicy" % subsys)
        rc, tasks = role_run(lab, tmp_path, {"multipath_config_fix": True, "multipath_config_nvme_fix": True,
                                             "multipath_config_nvme_iopolicy": "queue-depth"})
        assert rc != 0 and tasks["Write the recommended multipath settings"][0] == "ok", sorted(tasks)
        assert tasks["Write the NVMe over Fabrics settings that can change without touching an outage"][0] == "failed"
        assert tasks["Report the findings"][0] == "ok"
        status, result = tasks["Fail when the NVMe over Fabrics fix stopped, or on findings when asked to"]
        assert status == "failed" and "does not take iopolicy queue-depth" in result["msg"], result
        assert sh(lab, "cat %s" % RULE) == rule_before
        sys.stderr.write("[nvme] nvme_conf fix: test %.1fs\n" % (time.monotonic() - t_start))
    finally:
        lab.ssh("rm -f %s" % RULE, timeout=60)
        lab.agent("nvme_remove")
