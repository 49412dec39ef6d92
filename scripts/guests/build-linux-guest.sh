#!/usr/bin/env bash
# Usage: scripts/guests/build-linux-guest.sh [OUTDIR]
#   OUTDIR defaults to /var/lib/libvirt/images/kvm-agent
# Builds OUTDIR/vmlinuz and OUTDIR/initramfs.gz: a tiny Linux guest (Debian 12
# cloud kernel + busybox) that honours ACPI shutdown. Everything comes from
# Debian's apt repositories, nothing else is downloaded. Skips the build when
# both outputs exist and are newer than this script.
set -euo pipefail

OUTDIR=${1:-/var/lib/libvirt/images/kvm-agent}
SELF=${BASH_SOURCE[0]}
READY_LINE=KVM-AGENT-GUEST-READY

if [ -s "$OUTDIR/vmlinuz" ] && [ -s "$OUTDIR/initramfs.gz" ] \
   && [ "$OUTDIR/vmlinuz" -nt "$SELF" ] && [ "$OUTDIR/initramfs.gz" -nt "$SELF" ]; then
    echo "build-linux-guest: up to date in $OUTDIR"
    exit 0
fi

# shellcheck source=../lib/packages.sh
source "$(dirname "$0")/../lib/packages.sh"
# cpio builds the initramfs; busybox-static is the whole guest userland;
# xz-utils/zstd only matter if a kernel ships compressed modules.
ensure_packages build-linux-guest cpio busybox-static xz-utils zstd gzip

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
# The balloon driver reports the guest's memory figures (swap, faults, caches) that the agent exports;
# virtio is all modules in the cloud kernel. Loaded in dependency order below.
VIRTIO_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_balloon"
for module in $VIRTIO_MODULES; do copy_module "drivers/virtio/$module.ko"; done

cp /bin/busybox "$ROOT/bin/busybox"

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
for module in $VIRTIO_MODULES; do insmod /lib/modules/\$module.ko; done
mdev -s
mkdir -p /etc/acpi/PWRF
printf '#!/bin/sh\necho kvm-agent-guest: power button, powering off\npoweroff -f\n' >/etc/acpi/PWRF/00000080
chmod 755 /etc/acpi/PWRF/00000080
acpid -d -c /etc/acpi </dev/null >/dev/console 2>&1 &
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

# The qemu process runs as libvirt-qemu: it must be able to read both files.
chmod 755 "$OUTDIR"
chmod 644 "$OUTDIR/vmlinuz" "$OUTDIR/initramfs.gz"
echo "build-linux-guest: built $OUTDIR/vmlinuz and $OUTDIR/initramfs.gz from $KPKG ($KVER)"
