#!/usr/bin/env bash
# Usage: bench/run.sh [bench/compare.py arguments...]
# Installs the peer exporter and the libvirt bindings, starts libvirtd, builds the agent as the .deb ships it,
# builds bench/floor.c, then runs the comparison and prints its table with the machine and commit it ran on.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../scripts/lib/packages.sh
source scripts/lib/packages.sh
ensure_packages bench "${BUILD_PACKAGES[@]}" prometheus-libvirt-exporter python3-libvirt
bash scripts/libvirtd-up.sh >&2
export KVM_AGENT_BINARY
KVM_AGENT_BINARY=$(bash bench/build.sh)
# The libvirt floor: the agent's libvirt calls from a minimal C program.
gcc -O2 -Wall -o .build/bench-floor bench/floor.c -lvirt
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), libvirt $(virsh --version), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD)"
/usr/bin/python3 bench/compare.py "$@"
