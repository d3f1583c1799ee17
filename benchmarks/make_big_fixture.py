#!/usr/bin/env python3
"""A captured SAN host grown to N LUNs x 2 paths, for tests/fleet/fixture_python.py (issue 31's controller bench).

    python benchmarks/make_big_fixture.py --luns 1024 --out /tmp/sanfleet-bench-fixtures/lun1024

Generated, not captured: a lab capture of 1,024 LIO LUNs logged in twice takes longer under TCG than the
measurement, and a 2,048-disk tree is too big for git. It starts from the real bookworm capture
tests/unit/fixtures/healthy.tar.gz (4 healthy maps: LIO LUN 0 and NETAPP LUNs 1-3 of iSCSI target1, one path per
portal, 2 sessions) and clones its NETAPP LUN 3 - the sysfs directories of both of its SCSI devices and of its dm
map, their /sys/block and /sys/class links, /proc/partitions, multipathd's open file descriptors, the wwids file
and every line or record of the captured commands the modules read (dmsetup info/table/status, multipathd maps
json, maps and paths raw, lsscsi -t) - as LUNs 4, 5, ... until the host has N maps. Each clone gets its own
serial (ONTAP style, 12 characters), WWID (3600a0980 + hex of the serial), H:C:T:L, sd names and device numbers in
the kernel's scheme, dm name and minor. Everything else is the capture as it was.

The tree is written to --out (a directory; `<out>/.done` marks a complete one, which is kept and reused). The
fixture interpreter takes that directory in place of a scenario name. Not used by scripts/test.sh.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CAPTURE = REPO / "tests" / "unit" / "fixtures" / "healthy.tar.gz"
SCENARIO = "healthy"
# the captured NETAPP LUN 3: its map and its two paths (one per iSCSI session)
TEMPLATE_LUN = 3
SD_MAJORS = [8, 65, 66, 67, 68, 69, 70, 71, 128, 129, 130, 131, 132, 133, 134, 135]
LINE_COMMANDS = ("dmsetup_info_c_noheadings_o_name_uuid_major_minor_open", "dmsetup_table",
                 "dmsetup_table_target_multipath", "dmsetup_status_target_multipath",
                 "multipathd_show_maps_raw_format_n_w_d_n_q_x_s", "multipathd_show_paths_raw_format_d_d_i_w_m_t_t_o_s_p",
                 "lsscsi_t")


def sd_name(index):
    """The kernel's sd name for a disk index: sda..sdz, sdaa.., sdzz, sdaaa.."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(ord("a") + rem) + name
    return "sd" + name


def sd_dev(index):
    """major:minor of whole disk `index` (drivers/scsi/sd.c: sd_major, extended minors past 256 disks)."""
    return "%d:%d" % (SD_MAJORS[(index & 0xF0) >> 4], ((index & 0xF) << 4) | ((index & 0xFFF00) << 12))


def ontap_serial(n):
    return "80L%06d+Ab" % n


def ontap_wwid(serial):
    return "3600a0980" + serial.encode().hex()


class Template:
    """What one clone replaces: the template LUN's names and numbers -> the clone's."""

    def __init__(self, base):
        mpd = json.loads((base / "commands" / "multipathd_show_maps_json.txt").read_text())
        paths_raw = (base / "commands" / "multipathd_show_paths_raw_format_d_d_i_w_m_t_t_o_s_p.txt").read_text()
        self.paths = {}   # hctl -> (sd name, dev)
        for line in paths_raw.splitlines():
            f = line.split()
            if f and f[2].endswith(":%d" % TEMPLATE_LUN):
                self.paths[f[2]] = (f[0], f[1])
        wwid = [f.split()[3] for f in paths_raw.splitlines() if f.split() and f.split()[2] in self.paths][0]
        self.map = [m for m in mpd["maps"] if m["uuid"] == wwid][0]
        self.wwid, self.dm = wwid, self.map["sysfs"]
        self.serial_hex = wwid[len("3600a0980"):]
        self.serial = bytes.fromhex(self.serial_hex).decode()
        self.dm_dev = [ln.split(":") for ln in (base / "commands" /
                       "dmsetup_info_c_noheadings_o_name_uuid_major_minor_open.txt").read_text().splitlines()
                       if ln.startswith(wwid + ":")][0][2:4]
        self.hctls = sorted(self.paths)

    def rules(self, lun, sd_indexes, dm_minor):
        serial = ontap_serial(lun)
        new = {self.dm: "dm-%d" % dm_minor, "%s:%s" % tuple(self.dm_dev): "%s:%d" % (self.dm_dev[0], dm_minor),
               "0x%04x000000000000" % TEMPLATE_LUN: "0x%04x000000000000" % (lun if lun < 256 else 0x4000 | lun)}
        for hctl, index in zip(self.hctls, sd_indexes):
            name, dev = self.paths[hctl]
            new[name] = sd_name(index)
            new[dev] = sd_dev(index)
            new[hctl] = hctl.rsplit(":", 1)[0] + ":%d" % lun
        plain = {self.serial: serial, self.serial_hex: serial.encode().hex(),
                 self.serial_hex.upper(): serial.encode().hex().upper()}
        devs = dict((sd_name(i), sd_dev(i)) for i in sd_indexes)
        devs["dm-%d" % dm_minor] = "%s:%d" % (self.dm_dev[0], dm_minor)
        return Rules(plain, new, devs)


class Rules:
    def __init__(self, plain, tokens, devs):
        self.plain = plain
        self.devs = devs
        self.tokens = tokens
        self.regex = re.compile(r"(?<![0-9A-Za-z])(%s)(?![0-9A-Za-z])"
                                % "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))

    def text(self, s):
        for old, new in self.plain.items():
            s = s.replace(old, new)
        return self.regex.sub(lambda m: self.tokens[m.group(1)], s)

    def data(self, b):
        try:
            return self.text(b.decode()).encode()
        except UnicodeDecodeError:
            for old, new in self.plain.items():
                b = b.replace(old.encode(), new.encode())
            return b


def clone(src, dst, rules):
    """Copy the tree `src` (its symlinks as symlinks) to `dst`, every name, link and content through `rules`."""
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        out = dst if rel == "." else os.path.join(dst, rules.text(rel))
        os.makedirs(out, exist_ok=True)
        for name in dirs + files:
            path = os.path.join(root, name)
            target = os.path.join(out, rules.text(name))
            if os.path.islink(path):
                os.symlink(rules.text(os.readlink(path)), target)
                if name in dirs:
                    dirs.remove(name)
            elif name in files:
                with open(path, "rb") as f:
                    data = rules.data(f.read())
                if name == "uevent":
                    data = fix_uevent(data, rules)
                with open(target, "wb") as f:
                    f.write(data)


def fix_uevent(data, rules):
    """MAJOR= and MINOR= of a block device's uevent: the clone's device number (the file has no "8:32" form)."""
    text = data.decode()
    devname = re.search(r"^DEVNAME=(\S+)$", text, re.M)
    if devname and devname.group(1) in rules.devs:
        major, minor = rules.devs[devname.group(1)].split(":")
        text = re.sub(r"^MAJOR=\d+$", "MAJOR=" + major, text, flags=re.M)
        text = re.sub(r"^MINOR=\d+$", "MINOR=" + minor, text, flags=re.M)
    return text.encode()


def link(base, rel, rules):
    """Clone the symlink base/rel (name and target through `rules`)."""
    path = base / rel
    new = base / rules.text(str(rel))
    if path.is_symlink() and not new.exists():
        os.symlink(rules.text(os.readlink(path)), new)


def generate(luns, out):
    out = Path(out)
    if (out / ".done").exists():
        meta = json.loads((out / ".done").read_text() or "{}")
        if meta.get("luns") == luns:
            return out
    if out.exists():
        shutil.rmtree(out)
    work = Path(tempfile.mkdtemp(prefix="sanfleet-bigfix-", dir=str(out.parent) if out.parent.exists() else None))
    with tarfile.open(CAPTURE) as tar:
        tar.extractall(work, filter="tar")
    base = work / SCENARIO
    t = Template(base)
    sys_root = base / "root" / "sys"
    dev_dirs = {}
    for hctl in t.hctls:
        found = [p for p in (sys_root / "devices").rglob(hctl) if p.is_dir() and not p.is_symlink()
                 and p.parent.name.startswith("target")]
        dev_dirs[hctl] = found[0]
    dm_dir = sys_root / "devices" / "virtual" / "block" / t.dm
    existing_sd = len([n for n in os.listdir(sys_root / "block") if n.startswith("sd")])
    existing_dm = len([n for n in os.listdir(sys_root / "block") if n.startswith("dm-")])
    lines = dict((c, (base / "commands" / (c + ".txt")).read_text().splitlines()) for c in LINE_COMMANDS)
    added = dict((c, []) for c in LINE_COMMANDS)
    mpd_file = base / "commands" / "multipathd_show_maps_json.txt"
    mpd = json.loads(mpd_file.read_text())
    partitions = (base / "root" / "proc" / "partitions").read_text().splitlines()
    fd_dir = next((base / "root" / "proc").glob("*/fd"))
    wwids = base / "root" / "etc" / "multipath" / "wwids"
    template_map = json.dumps(t.map)
    part_of = dict((ln.split()[3], ln) for ln in partitions if len(ln.split()) == 4 and ln.split()[0].isdigit())
    new_parts, new_wwids = [], []
    fd = 1000
    for i in range(luns - existing_dm):
        lun = TEMPLATE_LUN + 1 + i
        sd_indexes = [existing_sd + 2 * i, existing_sd + 2 * i + 1]
        rules = t.rules(lun, sd_indexes, existing_dm + i)
        for hctl in t.hctls:
            src = dev_dirs[hctl]
            clone(src, src.parent / rules.text(src.name), rules)
        clone(dm_dir, dm_dir.parent / rules.text(dm_dir.name), rules)
        for name in [t.paths[h][0] for h in t.hctls] + [t.dm]:
            link(sys_root, Path("block") / name, rules)
            link(sys_root, Path("class") / "block" / name, rules)
        for hctl in t.hctls:
            for cls in ("scsi_disk", "scsi_device"):
                link(sys_root, Path("class") / cls / hctl, rules)
        for c in LINE_COMMANDS:
            for ln in lines[c]:
                if t.wwid in ln or any(t.paths[h][0] in ln.split() or "[%s]" % h in ln for h in t.hctls):
                    added[c].append(rules.text(ln))
        mpd["maps"].append(json.loads(rules.text(template_map)))
        for name in [t.paths[h][0] for h in t.hctls] + [t.dm]:
            f = part_of[name].split()
            dev = rules.tokens.get(name)
            major, minor = (rules.tokens["%s:%s" % (f[0], f[1])]).split(":")
            new_parts.append("%4s %8s %10s %s" % (major, minor, f[2], dev))
        for h in t.hctls:
            os.symlink("/dev/" + rules.tokens[t.paths[h][0]], fd_dir / str(fd))
            fd += 1
        new_wwids.append("/%s/" % ontap_wwid(ontap_serial(lun)))
    for c in LINE_COMMANDS:
        (base / "commands" / (c + ".txt")).write_text("\n".join(lines[c] + added[c]) + "\n")
    mpd_file.write_text(json.dumps(mpd))
    (base / "root" / "proc" / "partitions").write_text("\n".join(partitions + new_parts) + "\n")
    if wwids.exists():
        wwids.write_text(wwids.read_text() + "\n".join(new_wwids) + "\n")
    os.makedirs(out.parent, exist_ok=True)
    os.rename(base, out)
    shutil.rmtree(work)
    (out / ".done").write_text(json.dumps({"luns": luns, "from": str(CAPTURE.relative_to(REPO))}))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--luns", type=int, default=1024, help="maps of the generated host (each with 2 paths)")
    ap.add_argument("--out", default="/tmp/sanfleet-bench-fixtures/lun1024")
    args = ap.parse_args()
    print(generate(args.luns, args.out))


if __name__ == "__main__":
    main()
