#!/bin/bash
# boot.sh - boot / stop the sanfleet SAN lab guest built by build.sh.
#
#   tests/lab/boot.sh start     fresh qcow2 overlay over the cached base image, wait for SSH
#   tests/lab/boot.sh stop      poweroff over ssh, then kill the qemu pid if it does not go
#   tests/lab/boot.sh status    "running pid N port P accel A" or "not running" (exit 0 / 3)
#
# Env: SSH_PORT (2222), RUN (/tmp/sanfleet-lab-run-$SSH_PORT), MEM MiB (1024), SMP (1),
#      ACCEL (auto|kvm|tcg), BOOT_TIMEOUT s (300, per attempt), BOOT_ATTEMPTS (3: boots again only after a
#      guest kernel panic), IMAGE (image dir; default: build.sh --print-dir)
# SSH listens on 127.0.0.1 only; the guest has no other network (slirp restrict=on).
set -euo pipefail

LAB=$(cd "$(dirname "$0")" && pwd)
SSH_PORT=${SSH_PORT:-2222}
RUN=${RUN:-/tmp/sanfleet-lab-run-$SSH_PORT}
MEM=${MEM:-1024}
# One vCPU (SMP=1): under TCG a second vCPU cost the guest ~20 % more host CPU for the same test (measured side by
# side, docs/lab.md "Measured"): a vCPU spinning on a lock whose holder's thread the host has preempted, and the IPIs
# of a two-CPU guest, are host CPU that CI's two cores, shared by two VMs and the CPU stages, do not have
SMP=${SMP:-1}
ACCEL=${ACCEL:-auto}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
IMAGE=${IMAGE:-$("$LAB/build.sh" --print-dir)}

mkdir -p "$RUN"
KEY=$RUN/id_ed25519
SSH=(ssh -i "$KEY" -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
     -o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes root@127.0.0.1)

pid() { [ -s "$RUN/qemu.pid" ] && kill -0 "$(cat "$RUN/qemu.pid")" 2>/dev/null && cat "$RUN/qemu.pid"; }

case "${1:-start}" in
stop)
  p=$(pid) || { echo "not running"; exit 0; }
  # the guest's CPU time (qemu's user + system: under TCG the guest's work is qemu's), for the stage logs: CI's two
  # cores are shared by the VMs and the CPU stages, so what each VM cost is what a shorter CI is made of
  echo "qemu pid $p on port $SSH_PORT: $(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f s", ($14 + $15) / hz }' \
    "/proc/$p/stat" 2>/dev/null || echo '?') of CPU"
  timeout 10 "${SSH[@]}" 'systemctl poweroff --no-block' >/dev/null 2>&1 || true
  for _ in $(seq 40); do kill -0 "$p" 2>/dev/null || { echo "stopped"; rm -f "$RUN/root.qcow2"; exit 0; }; sleep 0.5; done
  kill "$p" 2>/dev/null || true
  for _ in $(seq 10); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$p" 2>/dev/null || true
  rm -f "$RUN/root.qcow2"
  echo "killed qemu pid $p"; exit 0 ;;
status)
  if p=$(pid); then echo "running pid $p port $SSH_PORT accel $(cat "$RUN/accel" 2>/dev/null) run $RUN"; exit 0
  else echo "not running"; exit 3; fi ;;
start) ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

if p=$(pid); then echo "already running (pid $p, port $SSH_PORT)" >&2; exit 1; fi
[ -f "$IMAGE/done" ] || { echo "no complete image in $IMAGE; run tests/lab/build.sh first" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 qemu-utils; }
if ss -Hltn "sport = :$SSH_PORT" 2>/dev/null | grep -q .; then
  echo "port 127.0.0.1:$SSH_PORT is already in use (another lab? use SSH_PORT=...)" >&2; exit 1
fi

if [ "$ACCEL" = auto ]; then
  # kvm_pvm (nested KVM without VMX/SVM) cannot boot a stock Debian kernel (reference lab README,
  # gotcha 1): use KVM only when /dev/kvm is usable and is not PVM.
  if [ -d /sys/module/kvm_pvm ]; then ACCEL=tcg
  elif [ -r /dev/kvm ] && [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then ACCEL=kvm
  else ACCEL=tcg; fi
fi
if [ "$ACCEL" = kvm ]; then
  ACCEL_ARGS=(-accel kvm -cpu host,-arch-capabilities)
else
  # tb-size: qemu 7.2's default 1 GiB TCG cache gives ~1.5 GiB RSS; 256 MiB gives ~0.6 GiB
  # (-cpu max,-svm,-vmx was tried to keep the guest from loading kvm_amd: udevd and mount helpers then
  #  failed at boot, so plain "max")
  ACCEL_ARGS=(-accel tcg,thread=multi,tb-size=256 -cpu max)
fi
echo "$ACCEL" > "$RUN/accel"

install -m 600 "$IMAGE/id_ed25519" "$KEY"
echo "$IMAGE" > "$RUN/image"

# One boot: fresh overlay, qemu, wait for SSH. Returns 0 with SSH up, 2 when the guest kernel crashed
# before SSH (qemu exits: panic=-1 and -no-reboot), 1 on any other failure.
boot_once() {
  rm -f "$RUN/root.qcow2"
  qemu-img create -q -f qcow2 -F qcow2 -b "$IMAGE/base.qcow2" "$RUN/root.qcow2"
  : > "$RUN/console.log"
  qemu-system-x86_64 -name sanlab-$SSH_PORT -nodefaults -machine q35 "${ACCEL_ARGS[@]}" -smp "$SMP" -m "$MEM" \
    -kernel "$IMAGE/vmlinuz" -initrd "$IMAGE/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0,115200 net.ifnames=0 panic=-1" \
    -drive file="$RUN/root.qcow2",if=virtio,format=qcow2,cache=unsafe,discard=unmap \
    -netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:"$SSH_PORT"-:22 \
    -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
    -display none -serial file:"$RUN/console.log" \
    -monitor unix:"$RUN/monitor.sock",server,nowait \
    -no-reboot -pidfile "$RUN/qemu.pid" -daemonize
  echo "qemu pid $(cat "$RUN/qemu.pid") accel=$ACCEL mem=${MEM}M smp=$SMP port=$SSH_PORT console=$RUN/console.log"
  while :; do
    if "${SSH[@]}" true 2>/dev/null; then return 0; fi
    if ! pid >/dev/null; then
      echo "qemu exited; see $RUN/console.log" >&2; tail -20 "$RUN/console.log" >&2
      grep -q "Kernel panic" "$RUN/console.log" && return 2
      return 1
    fi
    if [ $(( ($(date +%s%N) - T0) / 1000000000 )) -gt "$BOOT_TIMEOUT" ]; then
      echo "no SSH after ${BOOT_TIMEOUT}s; see $RUN/console.log" >&2; return 1
    fi
    sleep 0.5
  done
}

# A guest kernel that panics in early boot under multi-threaded TCG (seen once in CI on trixie:
# "Oops: int3" in sched_clock_cpu at 2.7 s, while the kernel patches its own code across vCPUs) is the
# emulator's race, not the lab's: boot again on a fresh overlay, up to BOOT_ATTEMPTS times, and keep
# each crashed console for the record. Any other failure ends at once.
BOOT_ATTEMPTS=${BOOT_ATTEMPTS:-3}
T0=$(date +%s%N)
attempt=1
while :; do
  rc=0; boot_once || rc=$?
  [ "$rc" = 0 ] && break
  if [ "$rc" = 2 ] && [ "$attempt" -lt "$BOOT_ATTEMPTS" ]; then
    cp "$RUN/console.log" "$RUN/console.crash-$attempt.log"
    echo "guest kernel panicked before SSH (attempt $attempt of $BOOT_ATTEMPTS; console kept in" \
         "$RUN/console.crash-$attempt.log): booting again" >&2
    attempt=$((attempt + 1)); T0=$(date +%s%N); continue
  fi
  exit 1
done
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
printf 'boot-to-ssh %d.%03ds accel=%s\n' $((MS / 1000)) $((MS % 1000)) "$ACCEL" | tee "$RUN/boot-time.txt"
echo "ssh: ${SSH[*]}"
