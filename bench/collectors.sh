#!/usr/bin/env bash
# Usage: bench/collectors.sh [bench/collectors.py arguments...]
# The set-up of bench/run.sh (packages, libvirtd, the .deb's build), then what each collector costs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../scripts/lib/packages.sh
source scripts/lib/packages.sh
ensure_packages bench "${BUILD_PACKAGES[@]}" prometheus-libvirt-exporter python3-libvirt
bash scripts/libvirtd-up.sh >&2
export KVM_AGENT_BINARY
KVM_AGENT_BINARY=$(bash bench/build.sh)
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), libvirt $(virsh --version), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD)"
/usr/bin/python3 bench/collectors.py "$@"
