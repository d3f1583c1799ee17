"""Controller-side API of the sanfleet SAN lab (Python 3.12+, stdlib only).

    from sanlab import Lab            # sys.path: tests/lab
    lab = Lab(port=2222)
    lab.ensure_built()                # tests/lab/build.sh (cached; ~3 min the first time)
    lab.start()                       # tests/lab/boot.sh start + agent upload + baseline setup
    lab.reset()                       # back to the baseline: LUN 0 placeholder + NETAPP LUNs 1..3, 2 paths each
    rec = lab.create_lun(4)           # -> {"lu": {...}, "waited": {...}}
    lab.unmap_lun(4); lab.wait_paths(rec["lu"]["wwid"], "failed")
    rc, out, err = lab.ssh("multipath -ll", timeout=30)
    lab.stop()

Every guest action goes to the guest agent (tests/lab/guest/sanlab_agent.py): one long-lived
`sanlab-agent serve` process per Lab (JSON lines; saves the ~1.3 s Python start per call under TCG) over one
multiplexed ssh connection (a fresh ssh handshake costs ~2 s under TCG, a multiplexed one ~0.2 s).
SANLAB_AGENT_SERVER=0 runs `sanlab-agent <verb> <json>` per call instead.
The agent is NOT part of the image hash: start() uploads it when the guest's copy differs, so editing the
agent never forces a rebuild.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent
AGENT_SRC = LAB_DIR / "guest" / "sanlab_agent.py"
AGENT_DST = "/usr/local/sbin/sanlab-agent"
BASELINE_LUNS = 3
SUITES = ("bullseye", "bookworm", "trixie")
DEFAULT_SUITE = "bookworm"


def suite_from_env() -> str:
    """SANLAB_SUITE (bullseye|bookworm|trixie, default bookworm): the Debian generation of the guest."""
    suite = os.environ.get("SANLAB_SUITE") or DEFAULT_SUITE
    if suite not in SUITES:
        raise ValueError("SANLAB_SUITE must be one of %s, got %r" % ("|".join(SUITES), suite))
    return suite


class LabError(RuntimeError):
    """A lab operation failed (the message carries the agent's error and step log)."""


class LabTimeout(LabError):
    pass


def _run(argv, timeout, input_bytes=None, env=None):
    """Run argv with a hard deadline (process group killed on timeout). Returns (rc, out, err) as str."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env)
    try:
        out, err = p.communicate(input_bytes, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            p.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        raise LabTimeout("timeout after %ss: %s" % (timeout, " ".join(map(str, argv))[:300]))
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


class Lab:
    def __init__(self, port: int = 2222, run_dir: str | None = None, mem: int = 1024, smp: int | None = None,
                 accel: str = "auto", cache: str | None = None, suite: str | None = None):
        self.port = int(port)
        self.suite = suite or suite_from_env()
        if self.suite not in SUITES:
            raise ValueError("suite must be one of %s, got %r" % ("|".join(SUITES), self.suite))
        self.run_dir = Path(run_dir or "/tmp/sanfleet-lab-run-%d" % self.port)
        self.mem, self.smp, self.accel = mem, smp or int(os.environ.get("SMP", "1")), accel
        self.cache = cache
        self.boot_seconds: float | None = None
        self.agent_uploaded = False
        self.last_reset: dict | None = None
        self.last_log: list | None = None
        self.last_elapsed: float | None = None
        self._lock_fd: int | None = None
        self._srv: subprocess.Popen | None = None
        self._srv_buf = b""
        # SANLAB_AGENT_SERVER=0: one `ssh ... sanlab-agent VERB JSON` per call instead of the persistent
        # `sanlab-agent serve` process (which saves the ~1.3 s interpreter start per call under TCG)
        self.use_server = os.environ.get("SANLAB_AGENT_SERVER", "1") != "0"

    # ------------------------------------------------------------------------------------------ plumbing
    def _env(self) -> dict:
        env = dict(os.environ, SSH_PORT=str(self.port), RUN=str(self.run_dir), MEM=str(self.mem),
                   SMP=str(self.smp), ACCEL=self.accel, SANLAB_SUITE=self.suite)
        if self.cache:
            env["SANFLEET_CACHE"] = self.cache
        return env

    @property
    def key_path(self) -> Path:
        return self.run_dir / "id_ed25519"

    def _ssh_base(self) -> list[str]:
        return ["ssh", "-i", str(self.key_path), "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "ServerAliveInterval=5",
                "-o", "ControlMaster=auto", "-o", "ControlPath=%s" % (self.run_dir / "mux-%C"),
                "-o", "ControlPersist=600", "root@127.0.0.1"]

    def image_dir(self) -> Path:
        rc, out, err = _run(["bash", str(LAB_DIR / "build.sh"), "--print-dir"], 30, env=self._env())
        if rc != 0:
            raise LabError("build.sh --print-dir: %s" % err)
        return Path(out.strip().splitlines()[-1])

    # ------------------------------------------------------------------------------------------ sharing
    def acquire(self, timeout: float = 1800) -> None:
        """Take the lab's exclusive lock (/tmp/sanfleet-lab-<port>.lock) for this process. One pytest session
        holds it for its whole run, so two sessions never interleave scenarios on one VM; a second session
        waits up to `timeout` seconds, then raises LabError."""
        if self._lock_fd is not None:
            return
        fd = os.open("/tmp/sanfleet-lab-%d.lock" % self.port, os.O_RDWR | os.O_CREAT, 0o644)
        end = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > end:
                    os.close(fd)
                    raise LabError("lab on port %d is locked by another session (holder: %s) for more than %ss; "
                                   "use another SANLAB_PORT" % (self.port, self._lock_holder(), timeout))
                time.sleep(1)
        os.ftruncate(fd, 0)
        os.write(fd, ("%d %s\n" % (os.getpid(), " ".join(sys.argv)[:200])).encode())
        self._lock_fd = fd

    def _lock_holder(self) -> str:
        try:
            return Path("/tmp/sanfleet-lab-%d.lock" % self.port).read_text().strip()
        except OSError:
            return "?"

    def release(self) -> None:
        fd = self._lock_fd
        if fd is not None:
            os.close(fd)
            self._lock_fd = None

    # ------------------------------------------------------------------------------------------ lifecycle
    def ensure_built(self, force: bool = False, timeout: float = 1800) -> Path:
        """Build the image unless a complete one is cached. Returns the image directory."""
        img = self.image_dir()
        if (img / "done").is_file() and not force:
            return img
        env = self._env()
        if force:
            env["FORCE"] = "1"
        log = Path("/tmp/sanfleet-lab-build-%d.log" % os.getpid())
        with open(log, "wb") as f:
            p = subprocess.Popen(["bash", str(LAB_DIR / "build.sh")], stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                raise LabTimeout("build.sh did not finish in %ss (log %s)" % (timeout, log))
        if rc != 0 or not (img / "done").is_file():
            raise LabError("build.sh failed (rc %s), log %s:\n%s" % (rc, log, log.read_text()[-3000:]))
        return img

    def is_running(self) -> bool:
        rc, _, _ = _run(["bash", str(LAB_DIR / "boot.sh"), "status"], 30, env=self._env())
        return rc == 0

    def start(self, reuse: bool = False, setup: bool = True, timeout: float = 420) -> "Lab":
        """Boot a fresh VM (fresh overlay). reuse=True attaches to a VM already running on the port.
        Then uploads the agent if needed and (setup=True) brings the SAN to the baseline."""
        if reuse and self.is_running():
            self.boot_seconds = None
            self.wait_ssh(timeout)
            running = self.guest_suite()
            if running != self.suite:
                # never run one generation's tests on another generation's VM by accident
                raise LabError("the VM on port %d runs %s, this Lab wants %s (stop it, or set SANLAB_SUITE=%s)"
                               % (self.port, running, self.suite, running))
        else:
            self.ensure_built()
            try:
                rc, out, err = _run(["bash", str(LAB_DIR / "boot.sh"), "start"], timeout, env=self._env())
            except LabTimeout:
                rc, out, err = -1, "", "boot.sh start timed out after %ss" % timeout
            if rc != 0:
                # never leave a half-booted VM behind (it would hold the port and ~0.6 GiB)
                _run(["bash", str(LAB_DIR / "boot.sh"), "stop"], 120, env=self._env())
                raise LabError("boot.sh start failed (rc %s):\n%s\n%s" % (rc, out[-2000:], err[-2000:]))
            for line in out.splitlines():
                if line.startswith("boot-to-ssh "):
                    self.boot_seconds = float(line.split()[1].rstrip("s"))
        self.sync_agent()
        if setup:
            self.setup()
        return self

    def wait_ssh(self, timeout: float = 300) -> float:
        """Wait until the guest answers over ssh (a VM may still be booting). Returns the seconds waited."""
        t0 = time.monotonic()
        while True:
            try:
                rc, _, err = self.ssh("true", timeout=20)
                if rc == 0:
                    return time.monotonic() - t0
            except LabTimeout:
                pass
            if time.monotonic() - t0 > timeout:
                raise LabTimeout("no ssh to the lab on port %d after %ss" % (self.port, timeout))
            time.sleep(1)

    def guest_suite(self) -> str | None:
        """VERSION_CODENAME of the running guest (bullseye|bookworm|trixie)."""
        rc, out, _ = self.ssh(". /etc/os-release && echo $VERSION_CODENAME", timeout=30)
        return out.strip() or None if rc == 0 else None

    def stop(self) -> None:
        self._kill_server()
        _run(self._ssh_base()[:-1] + ["-O", "exit", "root@127.0.0.1"], 10)
        rc, out, err = _run(["bash", str(LAB_DIR / "boot.sh"), "stop"], 120, env=self._env())
        if rc != 0:
            raise LabError("boot.sh stop failed: %s %s" % (out, err))

    def restart(self) -> None:
        """Stop the VM whatever state it is in and boot a fresh one at the baseline (fresh overlay, same port, key
        and inventory)."""
        self._kill_server()
        try:
            self.stop()
        except LabError:
            pass            # boot.sh stop kills a qemu that does not power off; start() says if the port is still held
        self.start(reuse=False)

    def health(self, timeout: float = 40) -> str | None:
        """None when the guest answers a shell and multipathd answers in it; else what is wrong. A test that failed
        may have left the guest dead, its kernel wedged or multipathd hung, and every later test would fail for
        that instead of for itself."""
        if self.qemu_pid() is None:
            return "qemu is not running"
        try:
            rc, out, err = self.ssh("timeout 15 multipathd show daemon", timeout=timeout)
        except LabTimeout:
            return "no answer over ssh within %ss" % timeout
        if rc == 255:
            return "ssh failed: %s" % err.strip()[-300:]
        if rc != 0:
            return "multipathd did not answer within 15 s (rc %s): %s" % (rc, (out + err).strip()[-300:])
        return None

    def console_tail(self, lines: int = 80) -> str:
        """The last lines of the guest's serial console (kernel messages: an oops, a panic, hung tasks)."""
        try:
            text = (self.run_dir / "console.log").read_text(errors="replace")
        except OSError as e:
            return "(no console log: %s)" % e
        return "\n".join(text.splitlines()[-lines:])

    def sync_agent(self) -> bool:
        """Upload the agent when the guest's copy differs. Returns True when it uploaded."""
        data = AGENT_SRC.read_bytes()
        want = hashlib.sha256(data).hexdigest()
        rc, out, _ = self.ssh("sha256sum %s 2>/dev/null" % AGENT_DST, timeout=30)
        if out.split()[:1] == [want]:
            return False
        rc, out, err = self.ssh("cat > %s.new && chmod 755 %s.new && mv %s.new %s" % ((AGENT_DST,) * 4),
                                timeout=30, input=data)
        if rc != 0:
            raise LabError("agent upload failed: %s" % err)
        self._kill_server()     # a running server still has the old code
        self.agent_uploaded = True
        return True

    # ------------------------------------------------------------------------------------------ access
    def ssh(self, cmd, timeout: float = 60, input: bytes | str | None = None, check: bool = False):
        """Run cmd (a shell string, or an argv list that gets quoted) in the guest as root.
        Returns (rc, stdout, stderr); rc 255 = ssh itself failed. Raises LabTimeout on the deadline."""
        if not isinstance(cmd, str):
            cmd = shlex.join(str(c) for c in cmd)
        if isinstance(input, str):
            input = input.encode()
        rc, out, err = _run(self._ssh_base() + [cmd], timeout, input_bytes=input)
        if check and rc != 0:
            raise LabError("guest command failed (rc %s): %s\n%s%s" % (rc, cmd, out[-2000:], err[-2000:]))
        return rc, out, err

    def put_file(self, remote: str, data: bytes | str, mode: str = "644") -> None:
        q = shlex.quote(remote)
        self.ssh("cat > %s && chmod %s %s" % (q, mode, q), input=data, check=True, timeout=60)

    def agent(self, verb: str, call_timeout: float | None = None, **args):
        """Run one agent verb with **args (None values dropped); returns its "result". Raises LabError with the
        agent's step log on failure, LabTimeout after call_timeout (default: 120 s, or the verb's own
        `timeout` argument + 60 s)."""
        args = {k: v for k, v in args.items() if v is not None}
        timeout = call_timeout or max(120.0, float(args.get("timeout", 0)) + 60)
        if self.use_server:
            doc = self._server_call(verb, args, timeout)
        else:
            rc, out, err = self.ssh([AGENT_DST, verb, json.dumps(args)], timeout=timeout)
            try:
                doc = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
            except ValueError:
                doc = None
            if doc is None:
                raise LabError("agent %s: no JSON (rc %s): %s %s" % (verb, rc, out[-1500:], err[-1500:]))
        self.last_log = doc.get("log")
        self.last_elapsed = doc.get("elapsed")
        if not doc.get("ok"):
            raise LabError("agent %s %s failed: %s\nlog:\n%s" % (verb, args, doc.get("error"),
                                                                 "\n".join(doc.get("log") or [])))
        return doc["result"]

    def _kill_server(self) -> None:
        p, self._srv, self._srv_buf = self._srv, None, b""
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def _server_call(self, verb: str, args: dict, timeout: float) -> dict:
        req = (json.dumps({"verb": verb, "args": args}) + "\n").encode()
        for attempt in (0, 1):
            if self._srv is None or self._srv.poll() is not None:
                self._kill_server()
                self._srv = subprocess.Popen(self._ssh_base() + [AGENT_DST + " serve"], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                             start_new_session=True)
            try:
                self._srv.stdin.write(req)
                self._srv.stdin.flush()
                break
            except OSError:          # the server was gone before it got the request: safe to retry once
                self._kill_server()
                if attempt:
                    raise LabError("agent server: cannot send %s" % verb)
        fd = self._srv.stdout.fileno()
        end = time.monotonic() + timeout
        while b"\n" not in self._srv_buf:
            left = end - time.monotonic()
            if left <= 0:
                self._kill_server()
                raise LabTimeout("agent %s %s: no answer in %ss" % (verb, args, timeout))
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    self._kill_server()
                    raise LabError("agent server closed the connection during %s (VM down?)" % verb)
                self._srv_buf += chunk
        line, _, self._srv_buf = self._srv_buf.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError:
            self._kill_server()
            raise LabError("agent %s: bad JSON from server: %r" % (verb, line[:500]))

    # ------------------------------------------------------------------------------------------ verbs
    def setup(self, luns: int = BASELINE_LUNS):
        return self.agent("setup", luns=luns)

    def reset(self, luns: int = BASELINE_LUNS, mode: str = "auto", timeout: float | None = None):
        """Back to the baseline. mode auto = soft reset (keeps what is still right) with a hard fallback;
        "hard" = tear everything down and set up again; "soft" = fail instead of falling back.
        timeout: seconds for the whole reset (default from the LUN count; a benchmark on a busy host needs more)."""
        # each LUN is a LIO object, two exact scans and a map under TCG (a soft reset that gives up, then a hard
        # one, can take ~10 s per LUN in all)
        res = self.agent("reset", call_timeout=timeout or max(240, 120 + 12 * luns), luns=luns, mode=mode)
        self.last_reset = res
        return res

    def truth(self):
        return self.agent("truth")

    def status(self):
        return self.agent("status")

    def create_lun(self, lun_id: int, size_mb: int = 32, serial: str | None = None, netapp: bool = True,
                   scan: bool = True, wait: bool = True):
        return self.agent("create_lun", lun_id=lun_id, size_mb=size_mb, serial=serial, netapp=netapp,
                          scan=scan, wait=wait)

    def map_lun(self, lun_id: int, name: str | None = None, scan: bool = True):
        return self.agent("map_lun", lun_id=lun_id, name=name, scan=scan)

    def unmap_lun(self, lun_id: int, force: bool = False):
        """Remove the ACL mapping (the LU stays). LUN 0 only with force=True (LIO's virtual LUN 0 trap)."""
        return self.agent("unmap_lun", lun_id=lun_id, force=force)

    def unmap_luns(self, lun_ids, force: bool = False):
        """unmap_lun of every LUN id of `lun_ids`, in one agent call, given 30 s a LUN (at least the default 120 s):
        20 LUNs took more than 120 s in a TCG guest beside a second VM and the CPU stages (CI run of 2026-11-30)."""
        lun_ids = [int(lun_id) for lun_id in lun_ids]
        return self.agent("unmap_luns", call_timeout=max(120.0, 30.0 * len(lun_ids)), lun_ids=lun_ids, force=force)

    def delete_lun(self, lun_id: int, force: bool = False):
        return self.agent("delete_lun", lun_id=lun_id, force=force)

    def reuse_lun(self, lun_id: int, serial: str | None = None, size_mb: int | None = None,
                  netapp: bool | None = None, force: bool = False):
        """Map a NEW LU (new backing file and serial) at lun_id; the old LU stays, unmapped.
        Returns {"old": lu, "new": lu}. No rescan: the host's sds keep the old identity in sysfs."""
        return self.agent("reuse_lun", lun_id=lun_id, serial=serial, size_mb=size_mb, netapp=netapp, force=force)

    def cut_portal(self, portal: str = "127.0.0.2"):
        return self.agent("cut_portal", portal=portal)

    def restore_portal(self, portal: str | None = None):
        return self.agent("restore_portal", portal=portal)

    def rescan(self, lun_id: int | None = None, existing: bool = False):
        return self.agent("rescan", lun_id=lun_id, existing=existing)

    def wait_maps(self, count: int | None = None, paths: int = 2, timeout: float = 30,
                  wwids: list[str] | None = None):
        return self.ssh_agent_wait("wait_maps", timeout, count=count, paths=paths, wwids=wwids)

    def wait_paths(self, wwid: str, state: str = "failed", n: int | None = None, timeout: float = 30):
        return self.ssh_agent_wait("wait_paths", timeout, wwid=wwid, state=state, n=n)

    # FC (FCoE VN2VN fabric in the guest, LIO tcm_fc target; docs/lab.md "Fibre Channel")
    def fc_setup(self, luns=(1, 2), size_mb: int = 16, target2: bool = False, timeout: float = 150):
        """The FC fabric and target (target2=True: the second FC target, a cluster nobody queries), LUNs
        `luns` mapped, waits for the sds and the maps. Returns {"truth": fc_truth, ...}."""
        return self.agent("fc_setup", call_timeout=timeout + 60, luns=list(luns), size_mb=size_mb,
                          target2=target2, timeout=timeout)

    def fc_truth(self, target2: bool = False):
        return self.agent("fc_truth", target2=target2)

    def fc_unmap(self, lun_id: int, target2: bool = False):
        return self.agent("fc_unmap", lun_id=lun_id, target2=target2)

    def fc_map(self, lun_id: int, scan: bool = True, target2: bool = False):
        return self.agent("fc_map", lun_id=lun_id, scan=scan, target2=target2)

    def fc_reuse_lun(self, lun_id: int):
        """Map a NEW LU at the FC LUN id (no rescan: the sds keep the old identity). Returns {old, new}."""
        return self.agent("fc_reuse_lun", lun_id=lun_id)

    def fc_port_down(self, fabric: str = "all", dev_loss_tmo: int | None = None, target2: bool = False):
        """Link down of the target port(s): rports Blocked, then past dev_loss_tmo (written first when given)
        Not Present with their sds gone."""
        return self.agent("fc_port_down", fabric=fabric, dev_loss_tmo=dev_loss_tmo, target2=target2)

    def fc_port_up(self, fabric: str = "all", target2: bool = False, timeout: float = 60):
        return self.agent("fc_port_up", call_timeout=timeout + 30, fabric=fabric, target2=target2,
                          timeout=timeout)

    def fc_wait_rports(self, state: str = "Online", fabric: str = "all", target2: bool = False,
                       timeout: float = 60, gone: bool = False):
        return self.ssh_agent_wait("fc_wait_rports", timeout, state=state, fabric=fabric, target2=target2,
                                   gone=gone)

    def fc_remove(self, target2: bool | None = None):
        return self.agent("fc_remove", call_timeout=180, target2=target2)

    def ssh_agent_wait(self, verb: str, timeout: float, **args):
        """Agent verbs that take their own `timeout` argument (the call's deadline is that plus a margin)."""
        args["timeout"] = timeout
        return self.agent(verb, **args)

    # ------------------------------------------------------------------------------------------ extras
    # Ansible's ssh waits 10 s for the guest's banner by default. A TCG guest on a loaded 2-core host, its
    # multipathd checking 40 failed paths, has missed that once (CI of 07dcbf2: the play's first ping came back
    # UNREACHABLE after 26 s, and the test had nothing to judge). A fresh handshake costs ~2 s under TCG on an idle
    # host; 60 s leaves room for the load, and a guest that really stopped answering still fails the play.
    ANSIBLE_CONNECT_TIMEOUT = 60

    def inventory_host(self, name: str = "sanlab") -> str:
        """The inventory line of the guest as host `name`: its address, port, key, user, interpreter and ssh
        options."""
        ssh_args = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
        return ("%s ansible_host=127.0.0.1 ansible_port=%d ansible_user=root ansible_ssh_private_key_file=%s "
                "ansible_python_interpreter=/usr/bin/python3 ansible_ssh_timeout=%d ansible_ssh_common_args='%s'"
                % (name, self.port, self.key_path, self.ANSIBLE_CONNECT_TIMEOUT, ssh_args))

    def inventory_path(self, path: str | None = None) -> Path:
        """Write an Ansible INI inventory for the guest (group `sanlab_hosts`, host `sanlab`) and return its path."""
        p = Path(path) if path else self.run_dir / "inventory.ini"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("[sanlab_hosts]\n%s\n" % self.inventory_host())
        return p

    def qemu_pid(self) -> int | None:
        try:
            pid = int((self.run_dir / "qemu.pid").read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def qemu_cpu_seconds(self) -> float | None:
        """The host CPU (user + system) qemu has used so far: under TCG the guest's work is qemu's."""
        pid = self.qemu_pid()
        if pid is None:
            return None
        try:
            fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # utime and stime: fields 14 and 15 of proc(5), the 12th and 13th after the command's closing parenthesis
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def qemu_rss_mib(self) -> float | None:
        pid = self.qemu_pid()
        if pid is None:
            return None
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return None

    def guest_mem_used_mib(self) -> int | None:
        rc, out, _ = self.ssh("free -m", timeout=30)
        for line in out.splitlines():
            if line.startswith("Mem:"):
                return int(line.split()[2])
        return None

    def accel_used(self) -> str | None:
        try:
            return (self.run_dir / "accel").read_text().strip()
        except OSError:
            return None
