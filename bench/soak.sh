#!/usr/bin/env bash
# Usage: bench/soak.sh [bench/soak.py arguments...]
# Sets up as bench/run.sh does (packages, libvirtd, the build the .deb ships), then soaks the agent: a fleet of
# halted guests, a scrape a second and a destroy+start every 10 s, 30 minutes unless --minutes says.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../scripts/lib/packages.sh
source scripts/lib/packages.sh
ensure_packages bench "${BUILD_PACKAGES[@]}" python3-libvirt
bash scripts/libvirtd-up.sh >&2
export KVM_AGENT_BINARY
KVM_AGENT_BINARY=$(bash bench/build.sh)
echo "machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), libvirt $(virsh --version), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD)"
/usr/bin/python3 bench/soak.py "$@"
