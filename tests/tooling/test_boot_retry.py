"""tests/lab/boot.sh boots again when the guest kernel panics before SSH (a multi-threaded TCG race seen once in
CI on trixie), and only then: any other early exit of qemu fails at once. qemu, qemu-img and ssh are replaced by
scripts on PATH that play the guest: they panic on the first N boots, then come up."""
import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOT = ROOT / "tests" / "lab" / "boot.sh"

FAKE_QEMU = r"""#!/bin/bash
# plays qemu-system-x86_64 -daemonize: writes the console and the pid file, then the guest's fate
n=$(($(cat "$STATE/boots" 2>/dev/null || echo 0) + 1)); echo $n > "$STATE/boots"
while [ $# -gt 0 ]; do
  case $1 in -serial) console=${2#file:}; shift;; -pidfile) pidfile=$2; shift;; esac; shift
done
if [ "$n" -le "$PANICS" ]; then
  printf '[    2.725019] Oops: int3: 0000 [#2] PREEMPT SMP NOPTI\n[    2.725272] %s\n' "$FATE" > "$console"
  true & echo $! > "$pidfile"; wait
else
  echo "[    9.1] login:" > "$console"
  sleep 60 </dev/null >/dev/null 2>&1 & echo $! > "$pidfile"; touch "$STATE/up"
fi
"""
FAKE_SSH = '#!/bin/bash\n[ -e "$STATE/up" ]\n'
FAKE_QEMU_IMG = '#!/bin/bash\nexit 0\n'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def boot(tmp_path, panics, fate="Kernel panic - not syncing: Fatal exception in interrupt", attempts=3):
    bin_dir, image, state, run = (tmp_path / d for d in ("bin", "image", "state", "run"))
    for d in (bin_dir, image, state):
        d.mkdir()
    for name, text in (("qemu-system-x86_64", FAKE_QEMU), ("ssh", FAKE_SSH), ("qemu-img", FAKE_QEMU_IMG)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (image / "done").write_text("")
    (image / "id_ed25519").write_text("not a key\n")
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ["PATH"]), IMAGE=str(image), RUN=str(run),
               STATE=str(state), PANICS=str(panics), FATE=fate, ACCEL="tcg", BOOT_TIMEOUT="20",
               BOOT_ATTEMPTS=str(attempts), SSH_PORT=str(free_port()))
    try:
        proc = subprocess.run(["bash", str(BOOT), "start"], env=env, capture_output=True, text=True, timeout=60)
    finally:
        pid_file = run / "qemu.pid"
        if pid_file.exists():
            subprocess.run(["kill", pid_file.read_text().strip()], capture_output=True)
    return proc, int((state / "boots").read_text()), run


@pytest.mark.parametrize("panics", [1, 2])
def test_a_guest_kernel_panic_before_ssh_boots_again_and_keeps_the_crashed_console(tmp_path, panics):
    proc, boots, run = boot(tmp_path, panics)
    assert proc.returncode == 0, proc.stderr
    assert boots == panics + 1
    assert "boot-to-ssh" in proc.stdout
    assert "guest kernel panicked before SSH (attempt 1 of 3" in proc.stderr
    assert "Kernel panic" in (run / ("console.crash-%d.log" % panics)).read_text()


def test_panics_on_every_attempt_fail_after_boot_attempts(tmp_path):
    proc, boots, _ = boot(tmp_path, panics=5, attempts=3)
    assert proc.returncode == 1
    assert boots == 3
    assert "Kernel panic" in proc.stderr


def test_an_early_exit_without_a_kernel_panic_is_not_retried(tmp_path):
    proc, boots, _ = boot(tmp_path, panics=5, fate="qemu: could not load kernel")
    assert proc.returncode == 1
    assert boots == 1
    assert "booting again" not in proc.stderr
