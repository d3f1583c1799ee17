#!/bin/bash
# build.sh - build the sanfleet SAN lab guest image from Debian packages only.
#
#   tests/lab/build.sh               build (or reuse) the image; prints the image directory last
#   tests/lab/build.sh --print-dir   only print the image directory (may not exist yet)
#   FORCE=1 tests/lab/build.sh       rebuild even if a complete image is cached
#   SANLAB_SUITE=bullseye|bookworm|trixie   which Debian generation (default bookworm): kernel 5.10/6.1/6.12,
#                                    multipath-tools 0.8.5/0.9.4/0.11.1, Python 3.9/3.11/3.13
#
# Output (outside the checkout):
#   ${SANFLEET_CACHE:-$HOME/.cache/sanfleet}/lab/<hash>/
#     vmlinuz initrd.img base.qcow2   direct kernel boot + root fs (ext4 on the whole disk)
#     id_ed25519[.pub]                the key root@guest accepts (new on every build)
#     packages.txt build-times.txt kernel-version.txt agent.sha256
#     done                            written last: the image is complete
# <hash> = first 16 hex digits of sha256(build.sh + guest/packages.txt + guest/multipath.conf + suite name),
# so the images of the three suites sit side by side in the cache.
# The guest agent (guest/sanlab_agent.py) is installed into the image too, but it is NOT part of the
# hash: tests/lab/sanlab.py uploads it on every start when the image's copy differs.
#
# Needs root on a Debian bookworm host and a Debian mirror. No loop devices, no mounts of the image
# (mkfs.ext4 -d copies the tree). Based on the reference recipe in shared/reference/lab.
set -euo pipefail

LAB=$(cd "$(dirname "$0")" && pwd)
CACHE=${SANFLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sanfleet}
SUITE=${SANLAB_SUITE:-bookworm}
case "$SUITE" in
  bullseye|bookworm|trixie) ;;
  *) echo "build.sh: SANLAB_SUITE must be bullseye, bookworm or trixie (got '$SUITE')" >&2; exit 2 ;;
esac
HASH=$( { cat "$LAB/build.sh" "$LAB/guest/packages.txt" "$LAB/guest/multipath.conf"; echo "suite=$SUITE"; } |
        sha256sum | cut -c1-16)
OUT=$CACHE/lab/$HASH

if [ "${1:-}" = --print-dir ]; then echo "$OUT"; exit 0; fi

if [ -f "$OUT/done" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "lab image cached: $OUT ($(cat "$OUT/build-times.txt" 2>/dev/null | tail -1))"
  echo "$OUT"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then echo "build.sh: needs root (debootstrap, chroot)" >&2; exit 1; fi

mkdir -p "$CACHE/lab"
# one build at a time per cache (parallel pytest sessions, other engineers)
exec 9>"$CACHE/lab/.build.lock"
flock -w 1800 9 || { echo "build.sh: another build holds $CACHE/lab/.build.lock" >&2; exit 1; }
if [ -f "$OUT/done" ] && [ "${FORCE:-0}" != 1 ]; then echo "lab image cached: $OUT"; echo "$OUT"; exit 0; fi

MIRROR=${MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\/debian\/\{0,1\}\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)}
MIRROR=${MIRROR:-$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
IMG_SIZE=${IMG_SIZE:-3G}
FS_UUID=5a1ab000-0000-4000-8000-000000000001
INITIATOR_IQN=iqn.2024-01.lab.san:initiator
PART=$OUT.partial
WORK=$(mktemp -d /tmp/sanfleet-lab-build.XXXXXX)
ROOT=$WORK/rootfs
cleanup() {
  for m in $(awk -v r="$ROOT" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# "pkg" = every suite, "pkg suite..." = only those suites
mapfile -t PKGS < <(sed -e 's/#.*//' "$LAB/guest/packages.txt" |
                    awk -v s="$SUITE" 'NF == 1 { print $1; next } NF > 1 { for (i = 2; i <= NF; i++) if ($i == s) print $1 }')

rm -rf "$PART"; mkdir -p "$PART"
T0=$(date +%s)
phase() { echo "$1 $(( $(date +%s) - T0 ))s" | tee -a "$PART/build-times.txt"; }

# 0. host tools (Debian packages only)
need=()
for p in qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
phase host-tools

# 1. debootstrap a minimal $SUITE with everything the lab needs
debootstrap --variant=minbase --include="$(IFS=,; echo "${PKGS[*]}")" "$SUITE" "$ROOT" "$MIRROR" \
  > "$PART/debootstrap.log" 2>&1 || { tail -30 "$PART/debootstrap.log" >&2; exit 1; }
phase debootstrap
echo "downloaded .debs: $(ls "$ROOT"/var/cache/apt/archives/*.deb | wc -l) files, $(du -shc "$ROOT"/var/cache/apt/archives/*.deb | tail -1 | cut -f1)" | tee -a "$PART/build-times.txt"

# 2. configure the guest offline
echo sanlab > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tsanlab\n' > "$ROOT/etc/hosts"
echo "UUID=$FS_UUID / ext4 defaults,noatime 0 1" > "$ROOT/etc/fstab"
echo "deb $MIRROR $SUITE main" > "$ROOT/etc/apt/sources.list"
echo 'root:sanlab' | chroot "$ROOT" chpasswd

# network: qemu user-mode net (slirp) with a static address, no DHCP wait
mkdir -p "$ROOT/etc/systemd/network"
cat > "$ROOT/etc/systemd/network/10-slirp.network" <<'EOF'
[Match]
Name=en* eth*
[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
chroot "$ROOT" systemctl enable systemd-networkd.service >/dev/null 2>&1

# ssh: key-only root login, key generated per build
ssh-keygen -q -t ed25519 -N '' -C sanlab -f "$PART/id_ed25519"
install -d -m 700 "$ROOT/root/.ssh"
install -m 600 "$PART/id_ed25519.pub" "$ROOT/root/.ssh/authorized_keys"
cat > "$ROOT/etc/ssh/sshd_config.d/lab.conf" <<'EOF'
PermitRootLogin prohibit-password
UseDNS no
MaxStartups 50:30:100
MaxSessions 50
EOF

# serial console: root autologin (console goes to a file on the host)
mkdir -p "$ROOT/etc/systemd/system/serial-getty@ttyS0.service.d"
cat > "$ROOT/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
EOF

# units that only cost boot time; tgt (bullseye): the agent starts tgtd when it serves the LUs
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
         nftables.service tgt.service; do
  chroot "$ROOT" systemctl disable "$u" >/dev/null 2>&1 || true
done

# modules for the lab, loaded at boot
cat > "$ROOT/etc/modules-load.d/sanlab.conf" <<'EOF'
dm_multipath
dm_round_robin
scsi_dh_alua
target_core_mod
target_core_file
iscsi_target_mod
nf_tables
EOF

# open-iscsi: fixed initiator name; short timeouts so dead paths show up fast (lab findings 5, 8)
echo "InitiatorName=$INITIATOR_IQN" > "$ROOT/etc/iscsi/initiatorname.iscsi"
sed -i \
  -e 's/^node.session.timeo.replacement_timeout = .*/node.session.timeo.replacement_timeout = 10/' \
  -e 's/^node.conn\[0\].timeo.noop_out_interval = .*/node.conn[0].timeo.noop_out_interval = 5/' \
  -e 's/^node.conn\[0\].timeo.noop_out_timeout = .*/node.conn[0].timeo.noop_out_timeout = 5/' \
  -e 's/^node.conn\[0\].timeo.login_timeout = .*/node.conn[0].timeo.login_timeout = 5/' \
  -e 's/^node.session.initial_login_retry_max = .*/node.session.initial_login_retry_max = 2/' \
  "$ROOT/etc/iscsi/iscsid.conf"
grep -q '^node.session.scan = automatic' "$ROOT/etc/iscsi/iscsid.conf" ||
  echo 'node.session.scan = automatic' >> "$ROOT/etc/iscsi/iscsid.conf"

# multipath (Debian ships none): see guest/multipath.conf
install -m 644 "$LAB/guest/multipath.conf" "$ROOT/etc/multipath.conf"

# targetcli: never save/restore a config (the agent drives configfs directly)
mkdir -p "$ROOT/root/.targetcli" "$ROOT/srv/luns" "$ROOT/var/lib/sanlab"
chroot "$ROOT" systemctl disable rtslib-fb-targetctl.service >/dev/null 2>&1 || true
chroot "$ROOT" systemctl mask rtslib-fb-targetctl.service >/dev/null 2>&1 || true

# the guest agent (uploaded again by sanlab.py when it changed; not part of the hash)
install -m 755 "$LAB/guest/sanlab_agent.py" "$ROOT/usr/local/sbin/sanlab-agent"
sha256sum "$LAB/guest/sanlab_agent.py" | cut -d' ' -f1 > "$PART/agent.sha256"

# smaller image: drop driver families a VM never needs
KVER=$(ls "$ROOT/lib/modules" | sort -V | tail -1)
M="$ROOT/lib/modules/$KVER/kernel"
rm -rf "$M"/drivers/{gpu,media,infiniband,iio,staging,comedi,isdn,bluetooth,hid,input/joystick,input/touchscreen} \
       "$M"/drivers/net/{wireless,ethernet,can} "$M"/sound "$M"/net/{bluetooth,mac80211,wireless}
chroot "$ROOT" depmod -a "$KVER"
rm -rf "$ROOT"/usr/share/{doc,man,info}/* "$ROOT"/usr/share/locale/*

# small initramfs (the default MODULES=most gives ~36 MB)
sed -i 's/^MODULES=.*/MODULES=list/' "$ROOT/etc/initramfs-tools/initramfs.conf"
echo 'FSTYPE=ext4' >> "$ROOT/etc/initramfs-tools/initramfs.conf"
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic > "$ROOT/etc/initramfs-tools/modules"
chroot "$ROOT" update-initramfs -u -k "$KVER" > "$PART/initramfs.log" 2>&1

chroot "$ROOT" apt-get clean
rm -rf "$ROOT/var/lib/apt/lists/"*
chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' > "$PART/packages.txt"
phase configure

# 3. kernel + initrd for direct kernel boot
cp "$ROOT/boot/vmlinuz-$KVER" "$PART/vmlinuz"
cp "$ROOT/boot/initrd.img-$KVER" "$PART/initrd.img"
echo "$KVER" > "$PART/kernel-version.txt"

# 4. root disk: ext4 filled from the tree, compressed qcow2
mkfs.ext4 -q -F -L sanroot -U "$FS_UUID" -E root_owner=0:0 -d "$ROOT" "$WORK/root.raw" "$IMG_SIZE"
qemu-img convert -c -O qcow2 "$WORK/root.raw" "$PART/base.qcow2"
rm -f "$WORK/root.raw"
phase image
{
  echo "rootfs-tree $(du -sm "$ROOT" | cut -f1)MiB"
  echo "base.qcow2 $(( $(stat -c %s "$PART/base.qcow2") / 1048576 ))MiB"
  echo "suite $SUITE kernel $KVER"
  echo "total $(( $(date +%s) - T0 ))s"
} | tee -a "$PART/build-times.txt"

date -u +%FT%TZ > "$PART/done"
rm -rf "$OUT"
mv "$PART" "$OUT"
echo "$OUT"
