#!/usr/bin/env python3
"""Capture fixture trees from the SAN lab guest for unit tests.

    python tests/lab/capture.py --all                 every scenario below
    python tests/lab/capture.py healthy unmapped      some of them
    python tests/lab/capture.py --list

Writes tests/unit/fixtures/<scenario>.tar.gz for the default suite (bookworm) and
tests/unit/fixtures/<suite>/<scenario>.tar.gz for SANLAB_SUITE=bullseye|trixie (replaced as a whole), holding
<scenario>/:
    root/...              files copied from the guest under their absolute paths (root/sys/block/sdb -> symlink,
                          root/sys/devices/platform/host6/... plain files with what a read returned). Symlinks stay
                          symlinks (relative targets as the kernel shows them), so realpath() works inside root/.
                          Unreadable files are listed in meta.json "unreadable", not written.
    commands/<slug>.txt   stdout of each command; commands/index.json: slug -> argv, rc, stderr, seconds
    truth.json            the agent's ground truth (target side: LUs, mapping, serials, WWIDs, array_luns)
    meta.json             scenario, description, guest kernel, package versions, capture time

Env: SANLAB_PORT (2222), SANLAB_SUITE (bookworm). A VM already running on the port is used (and left running); otherwise one is booted
and stopped at the end (--keep leaves it running). The lab's session lock is held while capturing.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sanlab import DEFAULT_SUITE, Lab, LabError, suite_from_env  # noqa: E402

TOP = Path(__file__).resolve().parents[2]
FIXTURES = TOP / "tests" / "unit" / "fixtures"

# Guest side: walk the sysfs/proc/etc paths, return a base64 tar.gz on stdout. Python 3.9+ stdlib (bullseye).
GUEST_COLLECT = r'''
import base64, glob, io, json, os, re, stat, subprocess, sys, tarfile, time
spec = json.loads(sys.argv[1])
EXCLUDE_DIRS = set(spec["exclude_dirs"])
EXCLUDE_FILES = set(spec["exclude_files"])
buf = io.BytesIO()
tar = tarfile.open(fileobj=buf, mode="w:gz")
seen = set()     # tar members written
walked = set()   # directories walked
unreadable = []
def add_dirs(path):
    parts = path.strip("/").split("/")
    for i in range(1, len(parts)):
        d = "/" + "/".join(parts[:i])
        if d not in seen:
            seen.add(d)
            ti = tarfile.TarInfo(d.lstrip("/")); ti.type = tarfile.DIRTYPE; ti.mode = 0o755
            tar.addfile(ti)
def add_link(path):
    if path in seen: return
    add_dirs(path); seen.add(path)
    ti = tarfile.TarInfo(path.lstrip("/")); ti.type = tarfile.SYMTYPE; ti.linkname = os.readlink(path)
    tar.addfile(ti)
def add_file(path, data=None):
    if path in seen or os.path.basename(path) in EXCLUDE_FILES: return
    if data is None:
        try:
            st = os.lstat(path)
            if not (st.st_mode & 0o444):
                return
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            unreadable.append([path, e.strerror or str(e)]); return
    add_dirs(path); seen.add(path)
    ti = tarfile.TarInfo(path.lstrip("/")); ti.size = len(data); ti.mode = 0o644
    tar.addfile(ti, io.BytesIO(data))
def walk(top, depth=0):
    if top in walked or depth > 12: return
    try:
        st = os.lstat(top)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode):
        add_link(top); return
    if stat.S_ISREG(st.st_mode):
        add_file(top); return
    if not stat.S_ISDIR(st.st_mode): return
    add_dirs(top + "/x"); walked.add(top)
    try:
        names = sorted(os.listdir(top))
    except OSError:
        return
    for n in names:
        if n in EXCLUDE_DIRS and os.path.isdir(top + "/" + n) and not os.path.islink(top + "/" + n):
            continue
        walk(top + "/" + n, depth + 1)
def follow(link_glob, name_re=None):
    for p in sorted(glob.glob(link_glob)):
        if name_re and not re.match(name_re, os.path.basename(p)): continue
        if os.path.islink(p):
            add_link(p)
            walk(os.path.realpath(p))
        else:
            walk(p)
for g, rx in spec["class_globs"]:
    follow(g, rx)
for g in spec["tree_globs"]:
    for p in sorted(glob.glob(g)):
        walk(p)
for p in spec["files"]:
    if p == "/proc/self/mountinfo":
        add_file(p)
    elif os.path.exists(p):
        add_file(p)
# processes holding SAN block devices open, or with a cwd/root/fd below a SAN mount (links + comm, cmdline)
devre = re.compile(r"^/dev/(sd[a-z]+|dm-\d+|mapper/.+|nvme\d+n\d+)$")
san_majmin = set()
for b in glob.glob("/sys/block/sd*") + glob.glob("/sys/block/dm-*") + glob.glob("/sys/block/nvme*"):
    try:
        san_majmin.add(open(b + "/dev").read().strip())
    except OSError:
        pass
san_mounts = []
for line in open("/proc/self/mountinfo"):
    f = line.split()
    if f[2] in san_majmin and f[4] != "/":
        san_mounts.append(f[4])
def under_mount(l):
    return any(l == m or l.startswith(m + "/") for m in san_mounts)
for pid in sorted(os.listdir("/proc")):
    if not pid.isdigit() or int(pid) == os.getpid(): continue
    fdd = "/proc/%s/fd" % pid
    try:
        fds = os.listdir(fdd)
    except OSError:
        continue
    hit = False
    for fd in fds:
        try:
            l = os.readlink(fdd + "/" + fd)
        except OSError:
            continue
        if devre.match(l) or under_mount(l):
            add_link(fdd + "/" + fd); hit = True
    for x in ("cwd", "root"):
        try:
            l = os.readlink("/proc/%s/%s" % (pid, x))
        except OSError:
            continue
        if under_mount(l):
            add_link("/proc/%s/%s" % (pid, x)); hit = True
    if hit:
        for x in ("comm", "cmdline"):
            add_file("/proc/%s/%s" % (pid, x))
tar.close()
sys.stdout.write(json.dumps({"tar": base64.b64encode(buf.getvalue()).decode(), "unreadable": unreadable}))
'''

SPEC = {
    "class_globs": [
        ["/sys/class/scsi_disk/*", None], ["/sys/class/scsi_host/*", None], ["/sys/class/scsi_device/*", None],
        ["/sys/class/iscsi_session/*", None], ["/sys/class/iscsi_connection/*", None],
        ["/sys/class/iscsi_host/*", None], ["/sys/class/fc_host/*", None],
        ["/sys/class/fc_remote_ports/*", None], ["/sys/class/fc_transport/*", None],
        ["/sys/class/block/*", r"^(sd[a-z]+|dm-\d+|nvme\d+(c\d+)?n\d+)$"],
        ["/sys/block/*", r"^(sd[a-z]+|dm-\d+|nvme\d+(c\d+)?n\d+)$"],
        ["/sys/class/nvme/*", None], ["/sys/class/nvme-subsystem/*", None],
    ],
    # FCoE hosts (the lab's FC fabric) live below their net device: .../net/fcai/ctlr_N/hostH/rport-H:0-R/...
    "tree_globs": ["/sys/devices/platform/host*", "/sys/devices/virtual/block/dm-*",
                   "/sys/devices/virtual/net/fc*/ctlr_*/host*", "/sys/devices/virtual/nvme-fabrics/ctl/nvme*",
                   "/sys/devices/virtual/nvme-subsystem/nvme-subsys*"],
    "exclude_dirs": ["power", "trace", "integrity", "mq", "queue", "bsg", "scsi_generic", "hctx", "iosched"],
    # an NVMe controller's secrets are never copied (the lab sets none; a host with DH-HMAC-CHAP or TLS would)
    "exclude_files": ["dhchap_secret", "dhchap_ctrl_secret", "tls_key", "tls_configured_key", "tls_keyring"],
    "files": ["/proc/self/mountinfo", "/proc/swaps", "/proc/partitions", "/etc/iscsi/initiatorname.iscsi",
              "/etc/iscsi/iscsid.conf", "/etc/multipath.conf", "/etc/multipath/wwids", "/etc/os-release",
              "/etc/nvme/hostnqn", "/etc/nvme/hostid", "/sys/module/nvme_core/parameters/multipath"],
}

COMMANDS = [
    ["multipathd", "show", "maps", "json"],
    ["multipathd", "show", "paths", "raw", "format", "%d %D %i %w %m %t %T %o %s %P"],
    ["multipathd", "show", "maps", "raw", "format", "%n %w %d %N %Q %x %s"],
    ["multipathd", "show", "topology"],
    ["multipathd", "show", "config", "local"],
    ["dmsetup", "table", "--target", "multipath"],
    ["dmsetup", "status", "--target", "multipath"],
    ["dmsetup", "info", "-c", "--noheadings", "-o", "name,uuid,major,minor,open"],
    ["dmsetup", "table"],
    ["multipath", "-ll"],
    ["iscsiadm", "-m", "session"],
    ["iscsiadm", "-m", "session", "-P", "3"],
    ["lsblk", "-J", "-o", "NAME,KNAME,MAJ:MIN,TYPE,SIZE,MOUNTPOINT,WWN,VENDOR,MODEL,SERIAL,HCTL,STATE"],
    ["lsscsi", "-t"],
    ["uname", "-r"],
    # what the configuration audit and the iSCSI/LVM modules read; they differ by generation
    ["multipath", "-t"],
    ["multipathd", "show", "config"],
    ["iscsiadm", "-m", "node"],
    ["lvmconfig", "devices/global_filter"],
    ["lvmconfig", "devices/filter"],
    ["lvmconfig", "devices/use_devicesfile"],
    ["lvmconfig", "--typeconfig", "default", "devices/use_devicesfile"],
]
# per multipath map (name = WWID) and per lab node record (target, portal)
PER_MAP = [["multipathd", "show", "map", "{name}", "json"]]
PER_NODE = [["iscsiadm", "-m", "node", "-T", "{target}", "-p", "{portal}"]]
# live probes per lab sd (results differ from the sysfs cache in the stale scenarios)
# sg_raw: the probe's TEST UNIT READY where sg_turs does not send one (sg3-utils 1.48, trixie)
PER_SD = [["sg_turs", "-v", "/dev/{sd}"], ["sg_inq", "-p", "0x80", "/dev/{sd}"], ["sg_inq", "/dev/{sd}"],
          ["sg_raw", "-v", "/dev/{sd}", "00", "00", "00", "00", "00", "00"]]


def slug(argv):
    s = re.sub(r"[^A-Za-z0-9]+", "_", " ".join(argv)).strip("_").lower()
    return s[:90]


# --------------------------------------------------------------------------------------------- scenarios
def _netapp(lab, lun_id):
    return lab.truth()["mapped"][str(lun_id)]


def sc_healthy(lab):
    """Baseline: LUN 0 (LIO-ORG placeholder, fail fast) + NETAPP LUNs 1-3, 2 paths each, all active."""
    lab.reset()


def sc_unmapped(lab):
    """LUN 2 unmapped on the target (sessions stay up): both paths of its map failed/faulty, map queueing."""
    lab.reset()
    wwid = _netapp(lab, 2)
    lab.unmap_lun(2)
    res = lab.wait_paths(wwid, "failed", timeout=45)
    if not res["ok"]:
        raise LabError("unmapped: paths did not fail: %s" % res)
    time.sleep(4)   # let multipathd's checker mark them faulty too (max_polling_interval 4)


def sc_portal_cut(lab):
    """Portal 127.0.0.2 silently dropped (nftables): the session through it fails, every map has one failed
    path and one active path."""
    lab.reset()
    lab.cut_portal("127.0.0.2")
    for wwid in lab.truth()["mapped"].values():
        res = lab.wait_paths(wwid, "failed", n=1, timeout=90)
        if not res["ok"]:
            raise LabError("portal_cut: no failed path on %s: %s" % (wwid, res))
    time.sleep(4)


def sc_orphan(lab):
    """The map of LUN 3 flushed (multipath -f) while its two sd paths stay: orphan paths, no map."""
    lab.reset()
    wwid = _netapp(lab, 3)
    lab.ssh(["multipath", "-f", wwid], timeout=30, check=True)
    time.sleep(5)
    st = lab.status()
    if wwid in st["maps"]:
        raise LabError("orphan: multipathd re-created map %s" % wwid)


def sc_mounted(lab):
    """ext4 on the map of LUN 1, mounted at /mnt/lab1, a process (sleep) with its cwd there and a file open."""
    lab.reset()
    wwid = _netapp(lab, 1)
    lab.ssh("mkfs.ext4 -q -L lab1 /dev/mapper/%s && mkdir -p /mnt/lab1 && mount /dev/mapper/%s /mnt/lab1 && "
            "echo hello > /mnt/lab1/hello.txt" % (wwid, wwid), timeout=60, check=True)
    lab.ssh("cd /mnt/lab1 && (nohup sleep 3600 < /mnt/lab1/hello.txt > /dev/null 2>&1 &)", timeout=30, check=True)
    time.sleep(1)


def sc_two_targets(lab):
    """A second target (cluster 2: iqn.2024-01.lab.san:target2, portals 127.0.0.3/127.0.0.4) exporting NETAPP
    LUNs 1 and 2, the same LUN ids as target1's, all 2-path maps; target1's LUN 2 unmapped (paths failed)."""
    lab.reset()
    lab.agent("target2_setup", luns=[1, 2])
    wwid = _netapp(lab, 2)
    lab.unmap_lun(2)
    res = lab.wait_paths(wwid, "failed", timeout=45)
    if not res["ok"]:
        raise LabError("two_targets: paths did not fail: %s" % res)
    time.sleep(4)


def sc_fc_healthy(lab):
    """The iSCSI baseline plus the FC fabric (FCoE VN2VN, fabrics a and b, LIO tcm_fc target): NETAPP FC LUNs
    1 and 2, a 2-path map each (one path per rport), rports Online."""
    lab.reset()
    lab.fc_setup(luns=[1, 2])


def sc_fc_unmapped(lab):
    """fc_healthy, then FC LUN 2 unmapped on the target: both paths of its map failed (LU not supported)."""
    sc_fc_healthy(lab)
    wwid = lab.fc_truth()["mapped"]["2"]
    lab.fc_unmap(2)
    res = lab.wait_paths(wwid, "failed", timeout=45)
    if not res["ok"]:
        raise LabError("fc_unmapped: paths did not fail: %s" % res)
    time.sleep(4)


def sc_fc_rport_blocked(lab):
    """fc_healthy, then fabric b's target port link down with dev_loss_tmo 600: rport-H:0-0 of fabric b
    Blocked, its paths failed (fast_io_fail_tmo 5), its sds still there; fabric a Online."""
    sc_fc_healthy(lab)
    lab.fc_port_down("b", dev_loss_tmo=600)
    res = lab.fc_wait_rports("Blocked", fabric="b", timeout=30)
    if not res["ok"]:
        raise LabError("fc_rport_blocked: rport not Blocked: %s" % res)
    for wwid in lab.fc_truth()["mapped"].values():
        res = lab.wait_paths(wwid, "failed", n=1, timeout=45)
        if not res["ok"]:
            raise LabError("fc_rport_blocked: no failed path on %s: %s" % (wwid, res))
    time.sleep(4)


def sc_nvme_healthy(lab):
    """The iSCSI baseline plus the NVMe/TCP SVM: subsystem ss_sanlab with namespaces 1 and 2 on two LIFs
    (127.0.0.5 ANA optimized, 127.0.0.6 non-optimized), both controllers live (ctrl_loss_tmo 600), native
    multipath: heads nvme0n1 and nvme0n2 with two paths each."""
    lab.reset()
    lab.agent("nvme_setup", nsids=[1, 2])


def sc_nvme_stale(lab):
    """NVMe namespaces 1-3, ctrl_loss_tmo off (-1); namespace 1 mounted at /mnt/nvme1; both LIFs cut, namespace 2
    unmapped while no controller could hear it, LIF a (127.0.0.5) deleted, LIF b restored: the controller to LIF
    b live again (its rescan dropped namespace 2's path), the one to LIF a connecting forever; nvme0n2 left with
    one path through it."""
    lab.reset()
    lab.agent("nvme_setup", nsids=[1, 2, 3], ctrl_loss_tmo=-1)
    _nvme_stale_steps(lab, "nvme_stale")


def _nvme_stale_steps(lab, what):
    lab.ssh("mkfs.ext4 -q -F /dev/nvme0n1 && mkdir -p /mnt/nvme1 && mount /dev/nvme0n1 /mnt/nvme1", timeout=120,
            check=True)
    lab.agent("nvme_cut_lif", lif="all")
    res = lab.agent("nvme_wait_controllers", state="connecting", timeout=60)
    if not res["ok"]:
        raise LabError("%s: controllers not connecting: %s" % (what, res))
    lab.agent("nvme_unmap", nsid=2)
    lab.agent("nvme_delete_lif", lif="a")
    lab.agent("nvme_restore_lif", lif="all")
    res = lab.agent("nvme_wait_controllers", state="live", lif="b", timeout=60)
    if not res["ok"]:
        raise LabError("%s: LIF b's controller not live: %s" % (what, res))
    time.sleep(3)   # its namespace rescan


def sc_nvme_pure_stale(lab):
    """nvme_stale with a FlashArray's namespace identity (agent nvme_setup vendor pure): each namespace an NGUID
    ("00" + serial[0:14] + "24a937" + serial[14:], the serials in truth.json) and no UUID, so the kernel's sysfs
    uuid shows the NGUID and wwid is eui.<NGUID>; the subsystem keeps the lab's NQN."""
    lab.reset()
    lab.agent("nvme_setup", nsids=[1, 2, 3], ctrl_loss_tmo=-1, vendor="pure")
    _nvme_stale_steps(lab, "nvme_pure_stale")


def sc_nvme_outage(lab):
    """NVMe namespaces 1 and 2, ctrl_loss_tmo off; both LIFs cut: both controllers connecting, every namespace
    still mapped on the array (an outage, never stale)."""
    lab.reset()
    lab.agent("nvme_setup", nsids=[1, 2], ctrl_loss_tmo=-1)
    lab.agent("nvme_cut_lif", lif="all")
    res = lab.agent("nvme_wait_controllers", state="connecting", timeout=60)
    if not res["ok"]:
        raise LabError("nvme_outage: controllers not connecting: %s" % res)


def sc_fc_two_targets(lab):
    """fc_healthy plus a second FC target (cluster sanlab_fc2) on its own fabric c: NETAPP LUN 1 (serial
    82FcL-001+Cd), one path; FC LUN 2 of the first target unmapped (paths failed)."""
    sc_fc_unmapped(lab)
    lab.fc_setup(luns=[1], target2=True)


def _iscsi_removed(lab, what):
    res = lab.agent("iscsi_remove")
    if res["sessions"] or res["maps_left"]:
        raise LabError("%s: the iSCSI side did not go: %s" % (what, res))


def sc_fc_only(lab):
    """fc_unmapped on a host with Fibre Channel only: the iSCSI sessions logged out, their sds and maps gone (the
    host the fixture fleet gives no open-iscsi: tests/fleet/fixture_python.py); FC LUN 2 unmapped, its map's paths
    failed."""
    sc_fc_unmapped(lab)
    _iscsi_removed(lab, "fc_only")
    time.sleep(2)


def sc_nvme_only(lab):
    """nvme_stale on a host with NVMe over Fabrics only: the iSCSI sessions logged out, their sds and maps gone, and
    multipathd stopped with its socket (the host the fixture fleet gives no multipath-tools); no dm-multipath map."""
    sc_nvme_stale(lab)
    _iscsi_removed(lab, "nvme_only")
    lab.ssh("systemctl stop multipathd.socket multipathd.service", timeout=60, check=True)
    time.sleep(2)


# what a scenario changed that the next one's reset does not set back
RESTORE = {"nvme_only": "systemctl start multipathd.socket multipathd.service"}

SCENARIOS = {"healthy": sc_healthy, "unmapped": sc_unmapped, "portal_cut": sc_portal_cut, "orphan": sc_orphan,
             "mounted": sc_mounted, "two_targets": sc_two_targets, "fc_healthy": sc_fc_healthy,
             "fc_unmapped": sc_fc_unmapped, "fc_rport_blocked": sc_fc_rport_blocked,
             "fc_two_targets": sc_fc_two_targets, "nvme_healthy": sc_nvme_healthy, "nvme_stale": sc_nvme_stale,
             "nvme_outage": sc_nvme_outage, "nvme_pure_stale": sc_nvme_pure_stale, "fc_only": sc_fc_only, "nvme_only": sc_nvme_only}


# --------------------------------------------------------------------------------------------- capture
def capture(lab: Lab, name: str, out_root: Path = FIXTURES) -> Path:
    t0 = time.time()
    rc, out, err = lab.ssh(["python3", "-c", GUEST_COLLECT, json.dumps(SPEC)], timeout=180)
    if rc != 0:
        raise LabError("guest collector failed (rc %s): %s" % (rc, err[-2000:]))
    doc = json.loads(out)
    stage = Path(tempfile.mkdtemp(prefix="sanfleet-capture-"))
    dest = stage / name
    root = dest / "root"
    root.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(doc["tar"])), mode="r:gz") as tar:
        tar.extractall(root, filter="tar" if hasattr(tarfile, "tar_filter") else None)
    cmd_dir = dest / "commands"
    cmd_dir.mkdir()
    index = {}
    st = lab.status()
    target2 = lab.agent("target2_truth")
    argvs = list(COMMANDS)
    fc_disks = lab.fc_truth()["disks"] + lab.fc_truth(target2=True)["disks"]
    for d in sorted(st["disks"] + target2["disks"] + fc_disks, key=lambda d: d["name"]):
        for tmpl in PER_SD:
            argvs.append([a.format(sd=d["name"]) for a in tmpl])
    for map_name in sorted(st["maps"]):
        for tmpl in PER_MAP:
            argvs.append([a.format(name=map_name) for a in tmpl])
    lab_truth = lab.truth()
    for portal in lab_truth["portals"]:
        for tmpl in PER_NODE:
            argvs.append([a.format(target=lab_truth["target_iqn"], portal=portal) for a in tmpl])
    # one ssh call for all commands (each under `timeout`), results as JSON
    runner = r'''
import json, subprocess, sys, time
res = []
for argv in json.loads(sys.argv[1]):
    t = time.monotonic()
    try:
        p = subprocess.run(["timeout", "-s", "KILL", "15"] + argv, capture_output=True, text=True, errors="replace",
                           env={"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        res.append([argv, p.returncode, p.stdout, p.stderr, round(time.monotonic() - t, 3)])
    except OSError as e:
        res.append([argv, 127, "", str(e), 0])
print(json.dumps(res))
'''
    rc, out, err = lab.ssh(["python3", "-c", runner, json.dumps(argvs)], timeout=600)
    for argv, crc, cout, cerr, secs in json.loads(out):
        s = slug(argv)
        (cmd_dir / (s + ".txt")).write_text(cout)
        index[s] = {"argv": argv, "rc": crc, "stderr": cerr, "seconds": secs}
    (cmd_dir / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    truth = lab.truth()
    if target2["target_configured"]:
        truth["target2"] = target2      # the second cluster, in the same shape
    fc = lab.fc_truth()
    if fc["target_configured"]:
        truth["fc"] = fc                # the FC target (SVM svm_sanlab_fc), in the same shape
        fc2 = lab.fc_truth(target2=True)
        if fc2["target_configured"]:
            truth["fc_target2"] = fc2
    nvme = lab.agent("nvme_truth")
    if nvme["controllers"] or nvme["namespaces"]:
        truth["nvme"] = nvme            # the NVMe/TCP SVM (svm_sanlab_nvme) and the host's view of it
    (dest / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")
    _, kver, _ = lab.ssh("uname -r", timeout=30)
    _, pkgs, _ = lab.ssh("dpkg-query -W -f '${Package} ${Version}\\n' multipath-tools open-iscsi linux-image-amd64 "
                         "targetcli-fb python3-rtslib-fb sg3-utils lvm2 python3 udev", timeout=30)
    meta = {"scenario": name, "suite": lab.suite, "description": (SCENARIOS[name].__doc__ or "").strip() if name in SCENARIOS else "",
            "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0)), "kernel": kver.strip(),
            "packages": dict(line.split(" ", 1) for line in pkgs.strip().splitlines() if " " in line),
            "unreadable": doc["unreadable"], "lab_disks": st["disks"], "lab_maps": st["maps"],
            "sessions": st["sessions"]}
    (dest / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    # Kept as one archive: the captured sysfs has ':' in names and looping symlinks, which neither
    # ansible-test sanity nor a collection build accepts as loose files.
    # Reproducible bytes for the same tree: sorted members, no owners or times (gzip mtime 0 too).
    def norm(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        ti.mtime = 0
        return ti
    out_root.mkdir(parents=True, exist_ok=True)
    archive = out_root / (name + ".tar.gz")
    tmp = archive.with_suffix(".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for p in [dest] + sorted(dest.rglob("*")):
            tar.add(p, arcname=str(Path(name) / p.relative_to(dest)), recursive=False, filter=norm)
    os.replace(tmp, archive)
    loose = out_root / name          # an unpacked tree from before the archives
    if loose.is_dir() and not loose.is_symlink():
        shutil.rmtree(loose)
    shutil.rmtree(stage)
    return archive


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep", action="store_true", help="leave a VM booted by this run running")
    ap.add_argument("--out", default=None, help="default: tests/unit/fixtures, or .../fixtures/<suite> for a suite "
                    "other than %s" % DEFAULT_SUITE)
    a = ap.parse_args(argv)
    suite = suite_from_env()
    if a.out is None:
        a.out = str(FIXTURES if suite == DEFAULT_SUITE else FIXTURES / suite)
    if a.list:
        for k, f in SCENARIOS.items():
            print("%-11s %s" % (k, (f.__doc__ or "").strip()))
        return 0
    names = list(SCENARIOS) if a.all else a.scenarios
    bad = [n for n in names if n not in SCENARIOS]
    if not names or bad:
        ap.error("name scenarios (%s) or --all" % ", ".join(SCENARIOS))
    lab = Lab(port=int(os.environ.get("SANLAB_PORT", "2222")))
    lab.acquire()
    started = not lab.is_running()
    try:
        lab.start(reuse=True)
        for n in names:
            t = time.monotonic()
            SCENARIOS[n](lab)
            try:
                dest = capture(lab, n, Path(a.out))
            finally:
                if n in RESTORE:
                    lab.ssh(RESTORE[n], timeout=60, check=True)
            with tarfile.open(dest) as tar:
                nfiles = len(tar.getmembers())
            print("%-11s -> %s (%d entries, %d kB, %.1fs)" % (
                n, dest.relative_to(TOP) if dest.is_relative_to(TOP) else dest, nfiles, dest.stat().st_size // 1024,
                time.monotonic() - t), flush=True)
        lab.reset()
    finally:
        if started and not a.keep:
            lab.stop()
        lab.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
