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
ensure_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may be absent or stale on a fresh machine: update and retry once.
    if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null
        apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    echo "libvirtd-up: installed ${missing[*]}" >&2
}
ensure_pkgs libvirt-daemon-system libvirt-clients qemu-system-x86

actions=()

# Our guests use no network or a user-mode one: never let libvirtd try to
# autostart the 'default' NAT network (needs a bridge, dnsmasq, iptables).
if [ -e /etc/libvirt/qemu/networks/autostart/default.xml ] || [ -L /etc/libvirt/qemu/networks/autostart/default.xml ]; then
    rm -f /etc/libvirt/qemu/networks/autostart/default.xml
    actions+=("disabled default-network autostart")
fi

# A daemon killed with SIGKILL leaves its pid file behind; remove it when the
# process it names is gone so the next start does not trip over it.
clear_stale_pidfile() {
    local pidfile=$1 pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pidfile"
        actions+=("removed stale $pidfile")
    fi
}

# virtlogd first: without it 'virsh start' fails on /run/libvirt/virtlogd-sock.
if ! pgrep -x virtlogd >/dev/null; then
    clear_stale_pidfile /run/virtlogd.pid
    virtlogd -d
    actions+=("started virtlogd")
fi

if ! pgrep -x libvirtd >/dev/null; then
    clear_stale_pidfile /run/libvirtd.pid
    libvirtd -d
    actions+=("started libvirtd")
fi

# libvirtd -d returns before its socket is ready: poll until it answers.
end=$(( $(date +%s%N) / 1000000 + DEADLINE_S * 1000 ))
until virsh -c "$URI" uri >/dev/null 2>&1; do
    if [ $(( $(date +%s%N) / 1000000 )) -ge "$end" ]; then
        echo "libvirtd-up: ERROR: libvirtd did not answer on $URI within ${DEADLINE_S}s" >&2
        pgrep -a -x libvirtd >&2 || echo "libvirtd-up: no libvirtd process is running" >&2
        exit 1
    fi
    sleep 0.2
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
