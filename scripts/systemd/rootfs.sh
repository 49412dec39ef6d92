#!/usr/bin/env bash
# Usage: scripts/systemd/rootfs.sh RELEASE   (bookworm | trixie)
# Prints the path of a Debian root file system for RELEASE that boots systemd as PID 1 under
# systemd-nspawn, building it with mmdebstrap when no usable copy is cached. The root has systemd, D-Bus
# and curl installed, and libvirt, QEMU and their dependencies downloaded but not installed, so that a
# test can install them in any order with the container's network cut off.
#
# Cache: /var/cache/kvm-agent-test/rootfs (env KVM_AGENT_ROOTFS_CACHE). A root is reused only when its
# stamp matches this script's hash and is younger than 30 days; it is built under a lock into a temporary
# directory and renamed into place, so an interrupted build never looks finished. Tests must never boot
# the cached tree itself: they mount it as the lower layer of an overlay (scripts/systemd/container.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

release=${1:?usage: rootfs.sh bookworm|trixie}
case $release in bookworm | trixie) ;; *) echo "rootfs: unknown release $release" >&2; exit 64 ;; esac

cache=${KVM_AGENT_ROOTFS_CACHE:-/var/cache/kvm-agent-test/rootfs}
say() { echo "rootfs: $*" >&2; }

# shellcheck source=SCRIPTDIR/../lib/packages.sh
source scripts/lib/packages.sh
ensure_packages rootfs mmdebstrap systemd-container debian-archive-keyring

# Installed: what boots, what the tests drive the container with, and what the agent's package needs
# from the distribution before libvirt is there (adduser for its postinst).
installed=systemd,systemd-sysv,dbus,libpam-systemd,adduser,passwd,curl,ca-certificates,procps,iproute2,python3
# Downloaded only. On Debian 12 QEMU is only a Recommends of libvirt-daemon, so it is named here.
# libvirt0 and libsystemd0 are the agent's own Depends.
downloaded="libvirt-daemon-system libvirt-clients qemu-system-x86 libvirt0 libsystemd0"

key=$(cat "$0" | sha256sum | cut -c1-16)
dir=$cache/$release-$key
stamp=$dir/.kvm-agent-rootfs

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

if [ -f "$stamp" ] && [ -n "$(find "$stamp" -mtime -30)" ]; then
    echo "$dir"
    exit 0
fi

# Older roots of this release (another key, or past their age) go: each is a few hundred MB.
for old in "$cache/$release"-*; do
    [ -e "$old" ] || continue
    say "removing stale $old"
    rm -rf --one-file-system "$old"
done

# The mirror this machine already uses: its apt sources name the Debian archive.
mirror=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
    head -n1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security=${mirror%/debian}/debian-security

tmp=$dir.tmp
rm -rf --one-file-system "$tmp"
say "building $release from $mirror (a few minutes, once per machine)"
start=$(date +%s)
# /dev/kvm is passed into the container as it is on the host, so the container's kvm group must have the
# host's number; udev's and libvirt's maintainer scripts accept a kvm group that exists.
kvm_gid=$(getent group kvm | cut -d: -f3 || true)
mmdebstrap --variant=apt --mode=root --format=directory \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='force-unsafe-io' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --include="$installed" \
    ${kvm_gid:+--essential-hook="echo 'kvm:x:$kvm_gid:' >>\"\$1/etc/group\"; echo 'kvm:!::' >>\"\$1/etc/gshadow\""} \
    --customize-hook="chroot \"\$1\" apt-get install -y -qq --download-only --no-install-recommends $downloaded" \
    --customize-hook='echo kvm-agent-test >"$1/etc/hostname"' \
    --customize-hook='rm -f "$1/etc/machine-id"; : >"$1/etc/machine-id"' \
    --skip=cleanup/apt/cache --skip=cleanup/apt/lists \
    "$release" "$tmp" \
    "deb $mirror $release main" "deb $mirror $release-updates main" "deb $security $release-security main" >&2
printf 'release=%s key=%s built=%s seconds=%s\n' "$release" "$key" "$(date -u +%FT%TZ)" \
    "$(($(date +%s) - start))" >"$tmp/.kvm-agent-rootfs"
mv "$tmp" "$dir"
say "built $dir in $(($(date +%s) - start)) s"
echo "$dir"
