#!/usr/bin/env bash
# Usage: scripts/libvirtd-up.sh
# Idempotently make sure a real libvirtd answers on qemu:///system on a machine
# without systemd as PID 1 (dev boxes and CI): install the packages if missing,
# start virtlogd then libvirtd as plain daemons, wait until virsh gets an answer.
# Safe to run again, also after libvirtd was killed with SIGKILL.
set -euo pipefail

URI=qemu:///system
DEADLINE_S=30

if [ "$(id -u)" -ne 0 ]; then
    echo "libvirtd-up: must run as root (starts system daemons)" >&2
    exit 1
fi

# Install only what is missing; CI starts on a fresh machine.
# shellcheck source=lib/packages.sh
source "$(dirname "$0")/lib/packages.sh"
ensure_packages libvirtd-up libvirt-daemon-system libvirt-clients qemu-system-x86

actions=()

# Without udev, /dev/kvm stays root:root 0600. libvirtd probes QEMU as root
# (KVM usable) but then checks /dev/kvm as the qemu user (not usable), decides
# its capability cache is stale ("KVM was enabled when probing ... but it is
# not available now") and re-probes QEMU on every domain start: ~4 s per
# 'virsh start' instead of ~0.5 s. Apply what udev's rule would (group kvm).
if [ -c /dev/kvm ] && getent group kvm >/dev/null; then
    if [ "$(stat -c %G /dev/kvm)" != kvm ] || [ $(( 0$(stat -c %a /dev/kvm) & 060 )) -ne $(( 060 )) ]; then
        chgrp kvm /dev/kvm && chmod g+rw /dev/kvm
        actions+=("made /dev/kvm group kvm rw (as udev would)")
    fi
fi

# Our guests use no network or a user-mode one: never let libvirtd try to
# autostart the 'default' NAT network (needs a bridge, dnsmasq, iptables).
if [ -e /etc/libvirt/qemu/networks/autostart/default.xml ] || [ -L /etc/libvirt/qemu/networks/autostart/default.xml ]; then
    rm -f /etc/libvirt/qemu/networks/autostart/default.xml
    actions+=("disabled default-network autostart")
fi

# True if PID is alive. A daemon killed with SIGKILL stays a zombie until PID 1
# reaps it (seconds here, where PID 1 is not an init), and pgrep/kill -0 still
# see zombies: read the state from /proc instead.
alive_pid() {
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# True if a live (non-zombie) process with exactly this name exists.
running() {
    local pid
    for pid in $(pgrep -x "$1" || true); do
        alive_pid "$pid" && return 0
    done
    return 1
}

# A daemon killed with SIGKILL leaves its pid file behind; remove it when the
# process it names is gone so the next start does not trip over it.
clear_stale_pidfile() {
    local pidfile=$1 pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -z "$pid" ] || ! alive_pid "$pid"; then
        rm -f "$pidfile"
        actions+=("removed stale $pidfile")
    fi
}

# Start NAME as a daemon unless a live one runs. Called again while waiting:
# a libvirtd that was just SIGKILLed can still look alive for a moment.
starts=0
ensure_daemon() {
    local name=$1
    running "$name" && return 0
    clear_stale_pidfile "/run/$name.pid"
    "$name" -d
    starts=$((starts + 1))
    actions+=("started $name")
}

# virtlogd first: without it 'virsh start' fails on /run/libvirt/virtlogd-sock.
ensure_daemon virtlogd
ensure_daemon libvirtd

# libvirtd -d returns before its socket is ready: poll until it answers.
end=$(( $(date +%s%N) / 1000000 + DEADLINE_S * 1000 ))
until virsh -c "$URI" uri >/dev/null 2>&1; do
    if [ $(( $(date +%s%N) / 1000000 )) -ge "$end" ]; then
        echo "libvirtd-up: ERROR: libvirtd did not answer on $URI within ${DEADLINE_S}s" >&2
        running libvirtd || echo "libvirtd-up: no live libvirtd process (see /var/log/libvirt/libvirtd.log)" >&2
        exit 1
    fi
    sleep 0.2
    # The daemon may have been dying when first checked, or died at start-up:
    # (re)start it, but do not loop on a daemon that keeps crashing.
    if [ "$starts" -lt 4 ]; then
        ensure_daemon virtlogd
        ensure_daemon libvirtd
    fi
done

# If the daemon was already up and had 'default' marked autostart, turn that off too.
if virsh -c "$URI" net-info default 2>/dev/null | grep -qE '^Autostart:[[:space:]]+yes'; then
    virsh -c "$URI" net-autostart default --disable >/dev/null 2>&1 || true
    actions+=("disabled default-network autostart")
fi

if [ ${#actions[@]} -eq 0 ]; then
    echo "libvirtd-up: libvirtd already answering on $URI (nothing to do)"
else
    msg=$(IFS=','; echo "${actions[*]}")
    echo "libvirtd-up: ${msg//,/, }; libvirtd answering on $URI"
fi
