# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST ONLY. A Python interpreter for Ansible modules that makes the local machine look like a SAN host captured
in the lab (tests/unit/fixtures/<scenario>.tar.gz).

    ansible_connection=local
    ansible_python_interpreter="<venv python> <repo>/tests/fleet/fixture_python.py <scenario>"

It is what tests/integration/test_fleet_runner.py uses to give twenty and more inventory hosts the SAN state of the
captured trees in one run, without VMs. It lives under tests/, which build_ignore keeps out of the collection's
tarball, and nothing in the shipped modules or plugins knows about it: a user cannot reach it by accident.

What it changes, in this process only, before the AnsiballZ payload runs:
- observe.read.Host (the reader of every module, multipath_conf's too) reads the fixture's sysfs/proc/etc tree and
  answers commands from the fixture's captured outputs (the CapturedRun of the unit tests), with the deadline
  helper inlined for its reads (no fork per batch);
- deadline.run answers every other command from the same capture (multipath_conf: `multipathd show config` from
  the captured `show config local`; a command the capture does not have fails as "not found", as on a host
  without it), and AnsibleModule.get_bin_path returns the bare program name;
- the multipath_conf scan of local (non-SAN) disks sees none: the captured hosts have only the virtio root disk.
Everything a module would write is refused (the fixture hosts are read-only: audit and compliance only).

A scenario ``<capture>-without-<package>[-without-<package>...]`` is the capture's host without those packages
(PACKAGES: open-iscsi, multipath-tools, sg3_utils, nvme-cli): their programs do not start and get_bin_path finds none,
their files and their daemon's /proc entry are not in the tree; the kernel's state is the capture's.

The scenario ``nosan`` is a host that is not a SAN host: no multipath-tools, no iSCSI initiator, no FC HBA (the
captured host's /etc/os-release and mounts, nothing of its SAN): ``multipath``, ``multipathd`` and ``iscsiadm``
are not installed (get_bin_path fails for them as on such a host), dmsetup answers with no map.
"""
import errno
import fcntl
import os
import runpy
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures")
ALIASES = {("multipathd", "show", "config"): ("multipathd", "show", "config", "local")}
NOT_SAN = "nosan"
SAN_TOOLS = ("multipath", "multipathd", "iscsiadm", "iscsid")
# what a host without multipath-tools keeps of the captured tree
NOT_SAN_FILES = ("root/etc/os-release", "root/proc/self/mountinfo", "root/proc/swaps")
NOT_SAN_COMMANDS = (("dmsetup", "info", "-c", "--noheadings", "-o", "name,uuid,major,minor,open"),
                    ("dmsetup", "table"), ("dmsetup", "table", "--target", "multipath"),
                    ("dmsetup", "status", "--target", "multipath"))


def unpacked(scenario):
    """<cache>/<scenario>, unpacked once per machine (a lock: many modules start at the same time). A scenario
    that is a directory is a tree already unpacked (benchmarks/make_big_fixture.py), used as it is."""
    if os.path.isabs(scenario) and os.path.isdir(scenario):
        return scenario
    # a host without some packages is its capture's tree less theirs: the capture first (its own lock)
    source = unpacked(scenario.split(WITHOUT)[0]) if WITHOUT in scenario else None
    cache = os.path.join(os.environ.get("SANFLEET_FIXTURE_CACHE") or "/tmp/sanfleet-fleet-fixtures-%d" % os.getuid())
    os.makedirs(cache, exist_ok=True)
    base = os.path.join(cache, scenario)
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(base, ".done")):
            if scenario == NOT_SAN:
                _not_san_tree(base)
            elif source is not None:
                _without_packages(base, source, scenario.split(WITHOUT)[1:])
            else:
                archive = os.path.join(FIXTURES, scenario + ".tar.gz")
                with tarfile.open(archive) as tar:
                    tar.extractall(cache, filter="tar")
            open(os.path.join(base, ".done"), "w").close()
    return base


def _not_san_tree(base):
    """A host without SAN: the healthy capture's OS files and mounts, no block device of the SAN, no command of
    multipath-tools or open-iscsi; dmsetup lists no map."""
    import json
    import shutil
    with tarfile.open(os.path.join(FIXTURES, "healthy.tar.gz")) as tar:
        for name in NOT_SAN_FILES:
            member = tar.getmember("healthy/" + name)
            dest = os.path.join(base, name)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with tar.extractfile(member) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
    for d in ("root/sys/block", "root/sys/class/scsi_host", "root/dev/disk/by-id", "commands"):
        os.makedirs(os.path.join(base, d), exist_ok=True)
    with open(os.path.join(base, "root/proc/partitions"), "w") as out:
        out.write("major minor  #blocks  name\n\n 254        0    8388608 vda\n")
    index = {"_".join(argv).replace(",", "_"): {"argv": list(argv), "rc": 0, "stderr": ""}
             for argv in NOT_SAN_COMMANDS}
    with open(os.path.join(base, "commands", "index.json"), "w") as out:
        json.dump(index, out)


# The packages a fixture host can lack ("<capture>-without-<package>"): their programs do not start (ENOENT) and
# get_bin_path finds none, their files and their daemon's /proc entry are not in the tree
# (the names of plugins/module_utils/_san/observe/tools.py; programs, files and daemons as the packages install them)
PACKAGES = {
    "open-iscsi": {"programs": ("iscsiadm", "iscsid", "iscsistart"), "files": ("etc/iscsi",), "daemons": ("iscsid",)},
    "multipath-tools": {"programs": ("multipath", "multipathd", "kpartx", "mpathpersist"),
                        "files": ("etc/multipath.conf", "etc/multipath"), "daemons": ("multipathd",)},
    "sg3_utils": {"programs": ("sg_turs", "sg_inq", "sg_raw", "sg_vpd", "sg_readcap", "rescan-scsi-bus.sh"),
                  "files": (), "daemons": ()},
    "nvme-cli": {"programs": ("nvme",), "files": ("etc/nvme", "usr/lib/systemd/system/nvmf-autoconnect.service",
                                                  "etc/systemd/system/default.target.wants/nvmf-autoconnect.service"),
                 "daemons": ()},
}
WITHOUT = "-without-"


def missing_programs(scenario):
    """The programs a fixture host of `scenario` lacks."""
    return set(p for pkg in scenario.split(WITHOUT)[1:] for p in PACKAGES[pkg]["programs"]) | (
        set(SAN_TOOLS) if scenario == NOT_SAN else set())


def _without_packages(base, source, packages):
    """<capture>-without-<package>...: the capture's tree (source) copied, each package's files and daemons taken
    out."""
    import shutil
    shutil.copytree(source, base, symlinks=True)
    os.remove(os.path.join(base, ".done"))
    for pkg in packages:
        for rel in PACKAGES[pkg]["files"]:
            path = os.path.join(base, "root", rel)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            elif os.path.lexists(path):
                os.remove(path)
        procs = os.path.join(base, "root", "proc")
        for pid in os.listdir(procs) if os.path.isdir(procs) else ():
            comm = os.path.join(procs, pid, "comm")
            if pid.isdigit() and os.path.exists(comm) and open(comm).read().strip() in PACKAGES[pkg]["daemons"]:
                shutil.rmtree(os.path.join(procs, pid))


# the modules whose forked children read the host (observe/read.py before the split); the probes are not among them
READER_MODULES = tuple("ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe." + m
                       for m in ("read", "fs", "sysfs", "procs", "batch", "reread"))


def install(scenario):
    # the collection tree the controller runs (scripts/setup.sh exports it); the payload itself comes from the same tree
    sys.path.extend(p for p in (os.environ.get("ANSIBLE_COLLECTIONS_PATH") or "").split(os.pathsep) if p)
    from ansible.module_utils import basic
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import tools
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe import helpers as t

    base = unpacked(scenario)
    missing = missing_programs(scenario)
    captured = t.CapturedRun(os.path.join(base, "commands"))
    real_call = deadline.call

    def fixture_run(argv, timeout, what=None, data=None):
        if argv[0] in missing:
            raise OSError(2, "No such file or directory: %r" % argv[0])
        if data is not None or argv[0] in ("systemctl", "iscsiadm") and "-o" in argv:
            raise OSError(1, "fixture host %s is read-only: %s" % (scenario, " ".join(argv)))
        key = tuple(argv)
        return captured(list(ALIASES.get(key, key)), timeout, what)

    def fixture_call(fn, args=(), timeout=10.0, what=None):
        if getattr(fn, "__name__", "") == "_write_synced":
            # files.write_text's one write of data (before any backup or move): the files are the real machine's
            raise OSError(errno.EROFS, "fixture host %s is read-only: %s" % (scenario, what or "a file write"))
        if "._san.act." in getattr(fn, "__module__", "") and fn.__name__.startswith("child_"):
            # the act's forked writers wherever they live (act/children.py's sysfs delete and scan, act/nvme.py's
            # delete_controller, act/nvme_conf.py's iopolicy and ctrl_loss_tmo): the tree is a cache every fixture
            # host of this machine reads
            raise OSError(errno.EROFS, "fixture host %s is read-only: %s" % (scenario, what or fn.__name__))
        if getattr(fn, "__name__", "") == "read_local_disks":
            return {}
        if getattr(fn, "__module__", "") in READER_MODULES:
            return t.inline_call(fn, args, timeout, what)
        return real_call(fn, args, timeout=timeout, what=what)

    reader_init = read.Host.__init__

    def init(self, root="/", run=None, call=None, **kw):
        reader_init(self, root=os.path.join(base, "root"), run=fixture_run, call=fixture_call, **kw)

    read.Host.__init__ = init
    deadline.run = fixture_run
    deadline.call = fixture_call
    # the programs are this machine's, not the capture's: the fixture host has all but those its packages lack
    tools.find_programs = lambda root, names, path=None: dict(
        (n, None if n in missing else "/usr/sbin/" + n) for n in names)

    def get_bin_path(self, name, required=False, opt_dirs=None):
        if name in missing:
            if required:
                self.fail_json(msg='Failed to find required executable "%s" in paths: /usr/sbin:/usr/bin' % name)
            return None
        return name

    basic.AnsibleModule.get_bin_path = get_bin_path

    def refuse_move(self, src, dest, unsafe_writes=False, **kw):
        raise OSError(errno.EROFS, "fixture host %s is read-only: move into %s" % (scenario, dest))

    basic.AnsibleModule.atomic_move = refuse_move


def _log_cpu(path):
    """Append this process's CPU seconds (and its children's) to `path`: what a benchmark subtracts from the
    whole play's to get the controller's share (the fixture hosts' modules run on the controller machine)."""
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    line = "%.4f\n" % (own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def main():
    scenario = sys.argv[1]
    # with pipelining (ANSIBLE_PIPELINING) Ansible gives no file: the AnsiballZ wrapper comes on stdin, as it
    # comes to `python` on a real host
    script = sys.argv[2] if len(sys.argv) > 2 else None
    sys.argv = sys.argv[2:] if script else [""]
    if os.environ.get("SANFLEET_FIXTURE_CPU_LOG"):
        import atexit
        atexit.register(_log_cpu, os.environ["SANFLEET_FIXTURE_CPU_LOG"])
    install(scenario)
    if script:
        runpy.run_path(script, run_name="__main__")
    else:
        exec(compile(sys.stdin.read(), "<stdin>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})


if __name__ == "__main__":
    main()
