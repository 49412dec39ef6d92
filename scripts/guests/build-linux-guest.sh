#!/usr/bin/env bash
# Usage: scripts/guests/build-linux-guest.sh [OUTDIR]
#   OUTDIR defaults to /var/lib/libvirt/images/kvm-agent
# Builds OUTDIR/vmlinuz and OUTDIR/initramfs.gz: a tiny Linux guest (Debian 12
# cloud kernel + busybox) that honours ACPI shutdown and runs the QEMU guest
# agent (qemu-ga from Debian's qemu-guest-agent, with its shared libraries) on
# the virtio-serial port org.qemu.guest_agent.0 when the domain has that channel.
# Everything comes from Debian's apt repositories, nothing else is downloaded.
# Skips the build when both outputs exist and were built by this very script
# (its SHA-256 is kept beside them, and they are not newer than that stamp):
# comparing the script's time alone let a checkout with an older version of
# the script keep another version's guest.
set -euo pipefail

OUTDIR=${1:-/var/lib/libvirt/images/kvm-agent}
SELF=${BASH_SOURCE[0]}
READY_LINE=KVM-AGENT-GUEST-READY

STAMP=$OUTDIR/build-linux-guest.sha256
SCRIPT_HASH=$(sha256sum "$SELF" | cut -d' ' -f1)
if [ -s "$OUTDIR/vmlinuz" ] && [ -s "$OUTDIR/initramfs.gz" ] \
   && [ "$(cat "$STAMP" 2>/dev/null)" = "$SCRIPT_HASH" ] \
   && ! [ "$OUTDIR/initramfs.gz" -nt "$STAMP" ] && ! [ "$OUTDIR/vmlinuz" -nt "$STAMP" ]; then
    echo "build-linux-guest: up to date in $OUTDIR"
    exit 0
fi

# shellcheck source=../lib/packages.sh
source "$(dirname "$0")/../lib/packages.sh"
# cpio builds the initramfs; busybox-static is the whole guest userland;
# xz-utils/zstd only matter if a kernel ships compressed modules.
# qemu-guest-agent's qemu-ga (and the libraries ldd names) goes into the guest.
ensure_packages build-linux-guest cpio busybox-static xz-utils zstd gzip qemu-guest-agent

# Pick the concrete kernel package the Debian 12 meta package points at
# (linux-image-cloud-amd64 -> linux-image-6.1.0-N-cloud-amd64).
resolve_kernel_pkg() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null \
        | awk '/Depends: linux-image-[0-9].*-cloud-amd64/ {print $2; exit}'
}
KPKG=$(resolve_kernel_pkg)
if [ -z "$KPKG" ]; then
    apt-get update -qq >/dev/null
    KPKG=$(resolve_kernel_pkg)
fi
if [ -z "$KPKG" ]; then
    echo "build-linux-guest: ERROR: cannot resolve linux-image-cloud-amd64 to a kernel package" >&2
    exit 1
fi

WORK=$(mktemp -d /tmp/kvm-agent-guest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# apt's _apt sandbox user must be able to write the download dir.
chmod 755 "$WORK"

(cd "$WORK" && apt-get download -qq "$KPKG" >/dev/null 2>&1) || {
    echo "build-linux-guest: ERROR: apt-get download $KPKG failed" >&2
    exit 1
}
dpkg-deb -x "$WORK"/"$KPKG"_*.deb "$WORK/pkg"

VMLINUZ=$(find "$WORK/pkg/boot" -name 'vmlinuz-*' | head -n1)
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR=$WORK/pkg/lib/modules/$KVER/kernel

ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,etc/acpi,lib/modules,var/log}

# Copy a module, decompressing it if the kernel ships .ko.xz/.ko.zst: busybox
# insmod does not reliably handle compressed modules, a plain .ko always works.
copy_module() {
    local rel=$1 dst
    dst=$ROOT/lib/modules/$(basename "$1")
    if [ -f "$MODDIR/$rel" ]; then
        cp "$MODDIR/$rel" "$dst"
    elif [ -f "$MODDIR/$rel.xz" ]; then
        xz -dc "$MODDIR/$rel.xz" >"$dst"
    elif [ -f "$MODDIR/$rel.zst" ]; then
        zstd -qdc "$MODDIR/$rel.zst" >"$dst"
    elif [ -f "$MODDIR/$rel.gz" ]; then
        gzip -dc "$MODDIR/$rel.gz" >"$dst"
    else
        echo "build-linux-guest: ERROR: module $rel not found in $KPKG" >&2
        exit 1
    fi
    # Sanity check: a loadable module is an ELF relocatable object.
    if [ "$(head -c4 "$dst" | od -An -tx1 | tr -d ' \n')" != 7f454c46 ]; then
        echo "build-linux-guest: ERROR: $dst is not an ELF module" >&2
        exit 1
    fi
}
copy_module drivers/input/evdev.ko
copy_module drivers/acpi/button.ko
# The balloon driver reports the guest's memory figures (swap, faults, caches) that the agent exports.
# For the guest agent: virtio-serial (virtio_console) on virtio-pci, virtio-net
# so the agent has an address to report, loop for a block-backed file system
# (qemu-ga lists only file systems on block devices, not the initramfs root).
# In load order: the cloud kernel builds all of these as modules.
GUEST_AGENT_MODULES="drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko
  drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci_legacy_dev.ko
  drivers/virtio/virtio_pci.ko drivers/virtio/virtio_balloon.ko drivers/char/virtio_console.ko net/core/failover.ko
  drivers/net/net_failover.ko drivers/net/virtio_net.ko drivers/block/loop.ko"
MODULE_FILES=
for module in $GUEST_AGENT_MODULES; do
    copy_module "$module"
    MODULE_FILES="$MODULE_FILES ${module##*/}"
done

cp /bin/busybox "$ROOT/bin/busybox"

# qemu-ga and every shared library it links, at the same paths as on the host.
mkdir -p "$ROOT/usr/sbin"
cp /usr/sbin/qemu-ga "$ROOT/usr/sbin/qemu-ga"
for lib in $(ldd /usr/sbin/qemu-ga | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
done
# What the agent reports as the guest's OS (guest-get-osinfo reads os-release).
cat >"$ROOT/etc/os-release" <<'OSREL'
ID=kvm-agent-test
NAME="kvm-agent test guest"
PRETTY_NAME="kvm-agent test guest 1.0"
VERSION="1.0 (initramfs)"
VERSION_ID=1.0
OSREL

# PID 1 of the guest. evdev before button so the power button gets an event
# device; acpid needs -d (foreground, log to stderr) or it exits for want of
# /var/log; poweroff -f powers off via ACPI, qemu exits, libvirt sees 'shut off'.
cat >"$ROOT/init" <<EOF
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
insmod /lib/modules/evdev.ko
insmod /lib/modules/button.ko
mdev -s
hostname kvm-agent-guest
for m in $MODULE_FILES; do insmod /lib/modules/\$m; done
ip link set lo up
ip link set eth0 up 2>/dev/null && ip addr add 10.0.2.15/24 dev eth0
# An 8 MiB ext2 file system on a loop device: the guest agent's file system figures.
dd if=/dev/zero of=/tmp/data.img bs=1M count=8 2>/dev/null
losetup /dev/loop0 /tmp/data.img
mke2fs -q /dev/loop0 >/dev/null
mkdir -p /data
mount -t ext2 /dev/loop0 /data
dd if=/dev/zero of=/data/filler bs=1M count=2 2>/dev/null
# udev would name the port; here it is linked by its name from sysfs.
mkdir -p /dev/virtio-ports /var/run
for port in /sys/class/virtio-ports/*; do
    [ -e "\$port/name" ] && ln -sf "/dev/\${port##*/}" "/dev/virtio-ports/\$(cat "\$port/name")"
done
if [ -e /dev/virtio-ports/org.qemu.guest_agent.0 ]; then
    /usr/sbin/qemu-ga -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 -t /var/run \
        </dev/null >/dev/console 2>&1 &
fi
mkdir -p /etc/acpi/PWRF
printf '#!/bin/sh\necho kvm-agent-guest: power button, powering off\npoweroff -f\n' >/etc/acpi/PWRF/00000080
chmod 755 /etc/acpi/PWRF/00000080
acpid -d -c /etc/acpi </dev/null >/dev/console 2>&1 &
# The ready line means "a power-button press now powers off": acpid has opened
# the button's event device. Printed before that, a press can come and be lost.
acpid_pid=\$!
tries=0
until ls -l /proc/\$acpid_pid/fd 2>/dev/null | grep -q /dev/input/event; do
    tries=\$((tries + 1))
    [ \$tries -ge 300 ] && { echo "kvm-agent-guest: acpid has no event device" >/dev/console; break; }
    usleep 100000
done
echo "$READY_LINE kernel=\$(uname -r)" >/dev/console
while true; do sleep 3600; done
EOF
chmod 755 "$ROOT/init"

mkdir -p "$OUTDIR"
# Build next to the outputs, then rename: a half-written file never looks fresh.
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -9 >"$OUTDIR/initramfs.gz.tmp"
cp "$VMLINUZ" "$OUTDIR/vmlinuz.tmp"
mv -f "$OUTDIR/vmlinuz.tmp" "$OUTDIR/vmlinuz"
mv -f "$OUTDIR/initramfs.gz.tmp" "$OUTDIR/initramfs.gz"
echo "$SCRIPT_HASH" >"$STAMP"

# The qemu process runs as libvirt-qemu: it must be able to read both files.
chmod 755 "$OUTDIR"
chmod 644 "$OUTDIR/vmlinuz" "$OUTDIR/initramfs.gz"
echo "build-linux-guest: built $OUTDIR/vmlinuz and $OUTDIR/initramfs.gz from $KPKG ($KVER)"
