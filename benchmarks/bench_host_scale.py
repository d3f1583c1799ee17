"""How stale_mpath_facts grows with the host: 128, 512, 1,024 LUNs x 2 paths, next to the tools people use.

    source <(scripts/setup.sh); python benchmarks/bench_host_scale.py [--luns 128,512,1024] [--runs 5]

The LUNs come from the kernel's `scsi_debug` driver with two SCSI hosts and `vpd_use_hostno=0`, so every LU
shows the same WWID on both hosts and dm-multipath builds one map with two paths per LU. The lab's iSCSI
target (LIO) is not used here: creating a thousand LIO LUNs through configfs and logging them in twice takes
longer under TCG than the measurement itself, and what is measured (sysfs, dm, multipathd) is the same code
path for any transport. scsi_debug devices are transport `other`, so nothing here probes them.

A VM of its own is booted per size (SANLAB_PORT, default 2299; `--mem`, default 4096 MiB), so the test VMs are
not disturbed. Per size, same host, same run, median of --runs, all timed inside the guest (no ssh in the
number), except the end-to-end Ansible row:
- `stale_mpath_facts` alone: the module's own AnsiballZ payload run by the guest's python3, and its peak RSS;
- `stale_mpath_facts` end to end: `ansible -m sanfleet.remediation.stale_mpath_facts` (ssh, AnsiballZ, ...);
- `multipath -ll`, `multipathd show maps json`, `lsscsi -i`, `sg_inq` on every sd one by one;
- a bare sysfs walk: one python3 process that reads, for every sd and dm, the files the module needs
  (the physical limit of a sysfs reader), and `bare walk + maps json` (what the module must at least do);
- what that floor leaves out and the module cannot: its fixed cost (the same payload with an argument that fails
  the input check before anything is read: Python, AnsiballZ's zip, compiling and importing ansible's module_utils
  and the module's own, the argument spec, the exit; it exits 1 by design), and a bare scan of /proc/*/fd (one
  python3 process: every process's fd links, stat'ed for their device: the least the in-use rule reads to know
  who holds a device open). `module minus its fixed cost` and its ratio to the floor are derived from them.
Prints a table with the issue's targets next to the numbers, and the same as JSON (--json FILE).

Before and after a change, in one guest and the same minutes (one size; --luns N):
    python benchmarks/run.py --only host --luns 1024 --udev stop --settle-timeout 2400 --prepare-only
    python benchmarks/run.py --only host --luns 1024 --runs 5 --slow-runs 0 --reuse-guest --against REV
The first boots the VM and makes the LUNs (~30 min at 1,024 under TCG) and leaves it running; the second times
it, with the module of git revision REV as one more row ("stale_mpath_facts at REV"), and leaves it running
(SSH_PORT=<port> tests/lab/boot.sh stop ends it).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "lab"))
from sanlab import Lab  # noqa: E402

SYSFS_WALK = r'''
import os
def rd(p):
    try:
        with open(p, "rb") as f:
            return f.read()
    except OSError:
        return None
n = 0
for name in os.listdir("/sys/block"):
    b = "/sys/block/" + name
    if name.startswith("sd"):
        for f in ("dev", "size", "device/vendor", "device/model", "device/state", "device/wwid",
                  "device/vpd_pg80"):
            rd(b + "/" + f)
        os.listdir(b + "/holders")
        os.readlink(b + "/device")
        n += 1
    elif name.startswith("dm-"):
        for f in ("dev", "size", "dm/name", "dm/uuid"):
            rd(b + "/" + f)
        os.listdir(b + "/slaves")
        os.listdir(b + "/holders")
        n += 1
rd("/proc/self/mountinfo")
rd("/proc/swaps")
print(n)
'''

# The openers the in-use rule needs at least: every process's fd links, stat'ed (not opened) for their device.
PROC_SCAN = r'''
import os
n = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        fds = os.listdir("/proc/%s/fd" % pid)
    except OSError:
        continue
    for fd in fds:
        link = "/proc/%s/fd/%s" % (pid, fd)
        try:
            if os.readlink(link).startswith("/"):
                n += bool(os.stat(link).st_rdev)
        except OSError:
            pass
print(n)
'''

# A copy of the module's payload whose arguments fail its input check before it reads anything (argv: the payload
# and the copy): what a module run costs before its first read.
FIXED_PAYLOAD = r'''
import sys
src = open(sys.argv[1]).read()
mark = '"ANSIBLE_MODULE_ARGS": {'
assert src.count(mark) == 1, "the payload's arguments were not found"
open(sys.argv[2], "w").write(src.replace(mark, mark + '"command_timeout": -1, '))
'''

# Runs each command as a child of this process; wall time and the child's peak RSS (wait4's rusage).
GUEST_TIMER = r'''
import json, os, subprocess, sys, time
out = {}
for name, argv in json.loads(sys.argv[1]).items():
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, ru = os.wait4(p.pid, 0)
    out[name] = {"s": time.monotonic() - t, "rss_kib": ru.ru_maxrss, "rc": os.waitstatus_to_exitcode(status)}
print(json.dumps(out))
'''

COUNT = r'''
import os
sd = [n for n in os.listdir("/sys/block") if n.startswith("sd")]
dms = [n for n in os.listdir("/sys/block") if n.startswith("dm-")]
slaves = sum(len(os.listdir("/sys/block/%s/slaves" % d)) for d in dms)
print(len(sd), len(dms), slaves)
'''


# The module under cProfile in one process: deadline.call (a forked child per read, which a profiler of the parent
# sees only as waiting) is replaced by a direct call that still round-trips the result through JSON, before
# san_read is imported (Host binds deadline.call as a default argument). Commands (dmsetup, multipathd) still run
# as children: their time shows as deadline.run. argv[1]: the exploded AnsiballZ debug_dir.
GUEST_PROFILE = r"""
import cProfile, io, json, pstats, sys, time
sys.path.insert(0, sys.argv[1])
sys.argv = sys.argv[:1] + [sys.argv[1] + "/args"]  # the arguments the kept run had
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
deadline.call = lambda fn, args=(), timeout=10.0, what=None: json.loads(json.dumps(fn(*args)))
from ansible_collections.sanfleet.remediation.plugins.modules import stale_mpath_facts as mod
prof, out, t = cProfile.Profile(), sys.stdout, time.monotonic()
sys.stdout = io.StringIO()
prof.enable()
try:
    mod.main()
except SystemExit:
    pass
prof.disable()
sys.stdout = out
print("wall %.2f s in one process" % (time.monotonic() - t))
for key in ("cumulative", "tottime"):
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(25)
"""

SG_INQ = "sg_inq on every sd"
SLOW = (SG_INQ, "lsscsi -i")


MODULE = "stale_mpath_facts (module alone)"
FIXED = "stale_mpath_facts that reads nothing (fixed cost)"
PROCS = "bare /proc/*/fd scan"
WORK = "module minus its fixed cost"
MODULE_FULL = "stale_mpath_facts detail=full (module alone)"
E2E = "stale_mpath_facts (end to end, Ansible)"
E2E_FULL = "stale_mpath_facts detail=full (end to end, Ansible)"


def guest_commands(payload, payload_full=None, payload_fixed=None):
    """The timed rows; `payload` is the module with its default (compact) fact, `payload_full` with detail=full,
    `payload_fixed` the one that reads nothing (fixed_cost_payload)."""
    return dict({
        MODULE: ["python3", payload],
    }, **({MODULE_FULL: ["python3", payload_full]} if payload_full else {}),
        **({FIXED: ["python3", payload_fixed]} if payload_fixed else {}), **{
        "multipath -ll": ["multipath", "-ll"],
        "multipathd show maps json": ["multipathd", "show", "maps", "json"],
        "lsscsi -i": ["lsscsi", "-i"],
        SG_INQ: ["sh", "-c", "for d in /dev/sd*; do sg_inq \"$d\" >/dev/null 2>&1; done"],
        "bare sysfs walk": ["python3", "-c", SYSFS_WALK],
        PROCS: ["python3", "-c", PROC_SCAN],
    })


def fixed_cost_payload(lab, payload):
    """The path of a copy of `payload` that fails its input check (command_timeout -1) before reading anything;
    one run of it must say so, or its time would be something else's."""
    fixed = payload[:-len(".py")] + "_fixed.py"
    lab.ssh(["python3", "-c", FIXED_PAYLOAD, payload, fixed], timeout=120, check=True)
    _rc, out, _err = lab.ssh(["python3", fixed], timeout=600)
    answer = json.loads(out)
    if not answer.get("failed") or "command_timeout" not in answer.get("msg", ""):
        raise SystemExit("the fixed-cost payload did not fail its input check: %s" % out[-500:])
    return fixed


def ansible(inventory, module, env_extra=None, args=""):
    cmd = ["ansible", "sanlab", "-i", str(inventory), "-m", module] + (["-a", args] if args else [])
    # a TCG guest busy with a thousand devices can take longer than ansible's default 10 s to send its ssh banner
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_TIMEOUT="60", **(env_extra or {}))
    t = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if res.returncode != 0:
        raise SystemExit("%s failed: %s %s" % (module, res.stdout[-2000:], res.stderr[-2000:]))
    return time.monotonic() - t


def make_luns(lab, luns, timeout, udev="settle"):
    """scsi_debug with two hosts; at most 256 LUNs per target (flat LUN addressing past that is not needed).

    Once every map has both paths the guest must be quiet before timing, or the numbers measure contention.
    udev="settle" waits for `udevadm settle` (returned 259 s after modprobe at 128 LUNs; not within 1,800 s at
    512: each dm change event runs multipath, kpartx and blkid children, ~1-2 s a process start under TCG).
    udev="stop" kills systemd-udevd's cgroup at that point instead (systemd restarts udevd with an empty queue),
    releases any dm cookie a map operation waits on (`dmsetup udevcomplete_all`) and waits for multipathd to say
    idle: the topology the timed tools read (sysfs, dm tables, multipathd's paths) is then complete and still;
    the dropped uevents are never processed, which only udev's own database and /dev links would have used."""
    per_tgt = min(luns, 256)
    tgts = -(-luns // per_tgt)
    lab.ssh("modprobe scsi_debug add_host=2 num_tgts=%d max_luns=%d dev_size_mb=4 vpd_use_hostno=0 delay=0"
            % (tgts, per_tgt), timeout=600, check=True)
    want = tgts * per_tgt
    t0 = time.monotonic()
    while True:
        _rc, out, _err = lab.ssh(["python3", "-c", COUNT], timeout=300)
        n_sd, n_dm, n_slaves = (int(x) for x in out.split())
        if n_slaves >= 2 * want:
            break
        if time.monotonic() - t0 > timeout:
            raise SystemExit("only %s sd, %s maps, %s paths in maps after %ss" % (n_sd, n_dm, n_slaves, timeout))
        time.sleep(10)
    setup = {"luns": want, "sd": n_sd, "maps": n_dm, "paths_in_maps": n_slaves, "udev": udev,
             "topology_s": round(time.monotonic() - t0, 1)}
    if udev == "stop":
        _rc, out, _err = lab.ssh("test -e /run/udev/queue && echo busy || echo empty; cat /sys/kernel/uevent_seqnum",
                                 timeout=300)
        setup["udev_queue_at_stop"], setup["uevent_seqnum_at_stop"] = out.split()[:2]
        # Killing udevd's cgroup (udevd, its workers and the programs they run) is immediate and drops its queue;
        # systemd restarts udevd with an empty queue. `systemctl stop systemd-udevd` is a job of PID 1, which at 512
        # LUNs was busy with the device units and did not return in 600 s; a frozen udevd is killed the same way
        # by systemd's 3-minute watchdog (seen at 1,024 LUNs), so the kill is what happens in any case.
        lab.ssh("cg=/sys/fs/cgroup$(awk -F: '$1 == \"0\" {print $3}' /proc/$(pidof -s systemd-udevd)/cgroup)"
                " && echo 1 > \"${cg%/udev}/cgroup.kill\" && { dmsetup udevcomplete_all -y || true; }",
                timeout=600, check=True)
        idle = False
        while not idle and time.monotonic() - t0 < timeout:
            _rc, out, _err = lab.ssh("multipathd show daemon", timeout=300)
            idle = "idle" in out
            if not idle:
                time.sleep(10)
        setup["multipathd_idle"] = idle
        time.sleep(60)  # the load average then says what is still running
    else:
        left = max(60, int(timeout - (time.monotonic() - t0)))
        rc, _out, _err = lab.ssh("udevadm settle --timeout=%d && multipathd show daemon" % left, timeout=left + 60)
        setup["udev_settled"] = rc == 0
    _rc, out, _err = lab.ssh("cat /proc/loadavg", timeout=300)
    setup.update(settle_s=round(time.monotonic() - t0, 1), loadavg_before_timing=out.strip())
    return setup


def kept_payload(lab, inventory, args="", tmp="/root/.ansible/benchtmp", collections=None):
    """Run the module once with kept remote files (and `args`); return the AnsiballZ path it left in the guest,
    which holds those arguments. `collections`: an ANSIBLE_COLLECTIONS_PATH holding another revision of the
    collection (revision_tree), whose module is then the one kept."""
    lab.ssh("rm -rf %s" % tmp, timeout=60)
    env = {"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_PIPELINING": "false", "ANSIBLE_REMOTE_TMP": tmp}
    if collections:
        env["ANSIBLE_COLLECTIONS_PATH"] = collections
    ansible(inventory, "sanfleet.remediation.stale_mpath_facts", env, args=args)
    _rc, out, _err = lab.ssh("ls %s/*/AnsiballZ_stale_mpath_facts.py" % tmp, timeout=60, check=True)
    return out.split()[0]


def revision_tree(rev):
    """An ANSIBLE_COLLECTIONS_PATH whose sanfleet.remediation is git revision `rev` of this checkout (a detached
    worktree under /tmp) beside the netapp collections of the current one: the "before" of a side-by-side run."""
    sha = subprocess.run(["git", "-C", str(TOP), "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    tree = Path("/tmp/sanfleet-bench-rev-%s" % sha)
    dest = tree / "ansible_collections" / "sanfleet" / "remediation"
    if not dest.is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(TOP), "worktree", "add", "-f", "--detach", str(dest), sha], check=True,
                       capture_output=True)
    netapp = tree / "ansible_collections" / "netapp"
    current = Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":")[0]) / "ansible_collections" / "netapp"
    if not netapp.exists() and current.exists():
        netapp.symlink_to(current.resolve())
    return sha, str(tree)


def module_saw(lab, payload):
    """What one untimed run of the module reports: its counts must match the host, and errors (a read that missed
    its deadline, say) would make the timings those of a fallback path."""
    _rc, out, _err = lab.ssh(["python3", payload], timeout=3600, check=True)
    san = json.loads(out)["ansible_facts"]["san"]
    healthy = san.get("healthy") or {}
    return {"disks": len(san["disks"]) + ((healthy.get("paths") or {}).get("count") or 0),
            "maps": len(san["maps"]) + ((healthy.get("maps") or {}).get("count") or 0),
            "healthy_maps": (healthy.get("maps") or {}).get("count"),
            "result_bytes": len(out), "nodes": nodes(san),
            "errors": san["errors"][:5], "error_count": len(san["errors"])}


def nodes(value):
    """Every dict, list and scalar of a JSON value: what Ansible's remove_values and encoder walk."""
    if isinstance(value, dict):
        return 1 + sum(nodes(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(nodes(v) for v in value)
    return 1


def med(values):
    return round(statistics.median(values), 3)


def set_uxsock_timeout(lab, ms):
    """uxsock_timeout in the guest's multipath.conf defaults, multipathd restarted (before any LUN exists).

    At 1,024 LUNs `multipathd show maps json` exits 1 after the built-in 4000 ms while the daemon's checkers run
    over 2,048 paths (twice, in two harness runs): the reference row then has no number. A host of that size
    wants a longer timeout (the multipath_config role's multipath_config_uxsock_timeout); the clients read the
    file, so every multipathd query the bench times gets it. 0 keeps the built-in."""
    if not ms:
        return None
    lab.ssh("grep -q '^ *uxsock_timeout' /etc/multipath.conf || "
            "sed -i '0,/^defaults {/s//defaults {\\n    uxsock_timeout %d/' /etc/multipath.conf && "
            "systemctl restart multipathd && multipathd show config | grep -m1 uxsock_timeout" % int(ms),
            timeout=300, check=True)
    return int(ms)


def prepare(lab, luns, settle_timeout, udev, uxsock_timeout):
    """The guest of one size: iSCSI stopped, multipathd's uxsock_timeout, the LUNs and their maps (make_luns)."""
    lab.ssh("systemctl stop iscsid.socket iscsid open-iscsi 2>/dev/null; true", timeout=120)
    uxsock = set_uxsock_timeout(lab, uxsock_timeout)
    setup = make_luns(lab, luns, settle_timeout, udev)
    setup["uxsock_timeout_ms"] = uxsock
    return setup


def reused_setup(lab, luns):
    """The setup of a guest prepared earlier (`--prepare-only`) and still running: its counts, which must be the
    size asked for."""
    _rc, out, _err = lab.ssh(["python3", "-c", COUNT], timeout=300, check=True)
    n_sd, n_dm, n_slaves = (int(x) for x in out.split())
    if n_slaves < 2 * luns:
        raise SystemExit("the guest on port %s has %s paths in maps, not the %s of %s LUNs x 2: prepare it with "
                         "--prepare-only" % (lab.port, n_slaves, 2 * luns, luns))
    _rc, load, _err = lab.ssh("cat /proc/loadavg", timeout=300)
    return {"luns": luns, "sd": n_sd, "maps": n_dm, "paths_in_maps": n_slaves, "reused_guest": True,
            "loadavg_before_timing": load.strip()}


def against_row(rev):
    return "stale_mpath_facts at %s (module alone)" % rev


def measure(lab, luns, runs, settle_timeout, profile=False, slow_runs=None, udev="settle", uxsock_timeout=30000,
            against=None, reuse_guest=False):
    """One size: its guest (booted and prepared, or with reuse_guest the one running on the port), then --runs of
    every timed row. `against`: a git revision whose module is timed in the same runs (against_row), before and
    after a change in the same guest and minutes."""
    lab.start(reuse=reuse_guest, setup=False)
    try:
        setup = reused_setup(lab, luns) if reuse_guest else prepare(lab, luns, settle_timeout, udev, uxsock_timeout)
        sys.stderr.write("[bench] %s LUNs setup: %s\n" % (luns, json.dumps(setup)))
        inventory = lab.inventory_path()
        ansible(inventory, "ansible.builtin.ping")       # warm the ssh control socket
        payload = kept_payload(lab, inventory)
        payload_full = kept_payload(lab, inventory, "detail=full", "/root/.ansible/benchtmp-full")
        setup["module_saw"] = module_saw(lab, payload)
        setup["module_saw_full"] = module_saw(lab, payload_full)
        cmds = guest_commands(payload, payload_full, fixed_cost_payload(lab, payload))
        if against:
            sha, tree = revision_tree(against)
            before = kept_payload(lab, inventory, tmp="/root/.ansible/benchtmp-%s" % sha, collections=tree)
            setup["module_saw_%s" % sha] = module_saw(lab, before)
            cmds = dict({against_row(sha): ["python3", before]}, **cmds)
        times = {k: [] for k in cmds}
        rss, rss_full = [], []
        e2e, e2e_full, ping = [], [], []
        for i in range(runs):
            # the per-device sg_inq loop and lsscsi -i are references, not targets, and cost minutes per run
            now = {k: v for k, v in cmds.items() if k not in SLOW or slow_runs is None or i < slow_runs}
            _rc, out, err = lab.ssh(["python3", "-c", GUEST_TIMER, json.dumps(now)], timeout=3600, check=True)
            for name, r in json.loads(out).items():
                if r["rc"] != (1 if name == FIXED else 0):
                    raise SystemExit("%s exited %s at %s LUNs" % (name, r["rc"], luns))
                times[name].append(r["s"])
                if name == MODULE:
                    rss.append(r["rss_kib"])
                elif name == MODULE_FULL:
                    rss_full.append(r["rss_kib"])
            ping.append(ansible(inventory, "ansible.builtin.ping"))
            e2e.append(ansible(inventory, "sanfleet.remediation.stale_mpath_facts"))
            e2e_full.append(ansible(inventory, "sanfleet.remediation.stale_mpath_facts", args="detail=full"))
            sys.stderr.write("[bench] %s LUNs run %d: %s, e2e %.2f s, ping %.2f s\n" % (
                luns, i + 1, json.dumps(dict((k, round(v[-1], 3)) for k, v in times.items() if len(v) > i)),
                e2e[-1], ping[-1]))
            sys.stderr.flush()
        row = {k: med(v) for k, v in times.items() if v}  # --slow-runs 0: those rows are not measured
        row[E2E] = med(e2e)
        row[E2E_FULL] = med(e2e_full)
        row["ansible ping (fixed cost)"] = med(ping)
        row["bare walk + maps json"] = round(row["bare sysfs walk"] + row["multipathd show maps json"], 3)
        row[WORK] = round(row[MODULE] - row[FIXED], 3)
        row["module minus its fixed cost vs the floor"] = "%.2fx" % (row[WORK] / row["bare walk + maps json"])
        row["module minus its fixed cost vs the floor and the /proc scan"] = "%.2fx" % (
            row[WORK] / (row["bare walk + maps json"] + row[PROCS]))
        row["module peak RSS MiB"] = round(max(rss) / 1024.0, 1)
        row["module detail=full peak RSS MiB"] = round(max(rss_full) / 1024.0, 1)
        row["fact bytes (compact / full)"] = "%s / %s" % (setup["module_saw"]["result_bytes"],
                                                          setup["module_saw_full"]["result_bytes"])
        row["fact nodes (compact / full)"] = "%s / %s" % (setup["module_saw"]["nodes"],
                                                          setup["module_saw_full"]["nodes"])
        row["setup"] = dict(setup, runs={k: len(v) for k, v in times.items()})
        if profile:
            lab.ssh("python3 %s explode" % payload, timeout=300, check=True)
            debug_dir = os.path.join(os.path.dirname(payload), "debug_dir")
            _rc, out, err = lab.ssh(["python3", "-c", GUEST_PROFILE, debug_dir], timeout=1800)
            row["profile"] = out + err[-2000:]
        return row
    finally:
        if not reuse_guest:
            lab.stop()


def targets(results):
    """The issue's host-scale targets against `results` (size -> row): [(target, measured, limit, met)].
    Issue 31: the module (compact fact, its default) <= 1.5x the floor, growth <= 2.1x per doubling."""
    sizes = sorted(results, key=int)
    big = results[sizes[-1]]
    mod = big[MODULE]
    floor = big["bare walk + maps json"]
    out = [("facts at %s LUNs <= 1.5x (bare sysfs walk + maps json)" % sizes[-1], "%.2f s (%.2fx)" % (
            mod, mod / floor if floor else 0), "<= %.2f s" % (1.5 * floor), mod <= 1.5 * floor),
           ("facts at %s LUNs >= 10x faster than multipath -ll" % sizes[-1],
            "%.1fx (%.2f s vs %.2f s)" % (big["multipath -ll"] / mod if mod else 0, mod, big["multipath -ll"]),
            ">= 10x", mod * 10 <= big["multipath -ll"])]
    for a, b in zip(sizes, sizes[1:]):
        ratio = results[b][MODULE] / results[a][MODULE]
        limit = 2.1 ** math.log2(int(b) / int(a))
        out.append(("facts growth %s -> %s LUNs" % (a, b), "x%.2f" % ratio, "<= x%.1f" % limit, ratio <= limit))
    return out


def print_table(results):
    sizes = sorted(results, key=int)
    keys = [k for k in results[sizes[0]] if k not in ("setup", "profile")]
    print("| measured (median, s) | " + " | ".join("%s LUNs x 2" % s for s in sizes) + " |")
    print("| --- |" + " --- |" * len(sizes))
    for k in keys:
        print("| %s | %s |" % (k, " | ".join(str(results[s].get(k, "not measured")) for s in sizes)))
    print()
    for name, measured, limit, met in targets(results):
        print("- %s: %s (target %s) -> %s" % (name, measured, limit, "met" if met else "MISSED"))


def run(sizes, runs=5, mem=4096, settle_timeout=1800, port=2299, log=sys.stderr, profile=False, slow_runs=None,
        udev="settle", uxsock_timeout=30000, against=None, reuse_guest=False, prepare_only=False):
    """Boot a VM of its own per size on `port`, measure (and cProfile the module if `profile`), stop it;
    returns {str(size): row}. prepare_only: boot and prepare the one size and leave its VM running (returns {});
    reuse_guest: measure in that VM (one size) and leave it running."""
    lab = Lab(port=port, mem=mem)
    lab.acquire()
    try:
        lab.ensure_built()
        results = {}
        if prepare_only:
            lab.start(setup=False)
            prepared = prepare(lab, sizes[0], settle_timeout, udev, uxsock_timeout)
            log.write("[bench] prepared: %s\n" % json.dumps(prepared))
            return results
        for luns in sizes:
            results[str(luns)] = measure(lab, luns, runs, settle_timeout, profile, slow_runs, udev, uxsock_timeout,
                                         against, reuse_guest)
            log.write("[bench] %s LUNs: %s\n" % (luns, json.dumps(results[str(luns)])))
    finally:
        lab.release()
    return results


def add_guest_options(ap):
    """The options of a side-by-side run (this script's and run.py's)."""
    ap.add_argument("--against", metavar="REV",
                    help="also time the module of git revision REV in the same runs (a before/after row)")
    ap.add_argument("--prepare-only", action="store_true",
                    help="boot the one size's VM, make its LUNs and leave it running (the setup takes ~30 min at "
                         "1,024 under TCG); then time it with --reuse-guest")
    ap.add_argument("--reuse-guest", action="store_true",
                    help="time the one size in the VM --prepare-only left running on the port, and leave it running")


def sizes_of(args):
    sizes = [int(x) for x in args.luns.split(",")]
    if (args.prepare_only or args.reuse_guest) and len(sizes) != 1:
        raise SystemExit("--prepare-only and --reuse-guest take one size (--luns N)")
    return sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--luns", default="128,512,1024")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mem", type=int, default=4096)
    ap.add_argument("--settle-timeout", type=float, default=1800)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--profile", action="store_true", help="after the runs, cProfile the module once per size")
    ap.add_argument("--slow-runs", "--sg-inq-runs", type=int, dest="slow_runs",
                    help="time the sg_inq loop and lsscsi -i in only the first N runs (default: all)")
    ap.add_argument("--udev", choices=("settle", "stop"), default="settle",
                    help="before timing: wait for udevadm settle, or drop udev's queue once the maps are complete")
    ap.add_argument("--uxsock-timeout", type=int, default=30000,
                    help="ms for the guest's multipath.conf uxsock_timeout before the LUNs exist (0: the built-in 4000)")
    add_guest_options(ap)
    args = ap.parse_args()
    results = run(sizes_of(args), args.runs, args.mem, args.settle_timeout,
                  int(os.environ.get("SANLAB_PORT", "2299")), profile=args.profile,
                  slow_runs=args.slow_runs, udev=args.udev, uxsock_timeout=args.uxsock_timeout,
                  against=args.against, reuse_guest=args.reuse_guest, prepare_only=args.prepare_only)
    if args.prepare_only:
        return
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
