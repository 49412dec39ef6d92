#!/usr/bin/env bash
# Usage: bench/run.sh [bench/compare.py arguments...]
# Installs the peer exporter and the libvirt bindings, starts libvirtd, builds the agent in release mode,
# then runs the comparison and prints its table with the machine and commit it ran on.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib/packages.sh
source scripts/lib/packages.sh
ensure_packages bench "${BUILD_PACKAGES[@]}" prometheus-libvirt-exporter python3-libvirt
bash scripts/libvirtd-up.sh >&2
swift build -c release --product kvm-agent >&2
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), libvirt $(virsh --version), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD)"
/usr/bin/python3 bench/compare.py "$@"
