#!/usr/bin/env bash
# Usage: scripts/run.sh [kvm-agent flags...]
# Builds and runs the agent on this host's libvirtd when one answers on qemu:///system, otherwise on the
# built-in demo host (libvirt's test driver with demo/demo-host.xml), and says which.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/packages.sh
source scripts/lib/packages.sh
ensure_packages run "${BUILD_PACKAGES[@]}" libvirt-clients

swift build -c release --product kvm-agent >&2
uri_flag=()
if [[ " $* " != *" --libvirt.uri"* ]]; then
    if virsh -c qemu:///system uri >/dev/null 2>&1; then
        echo "run: libvirtd answers on qemu:///system: monitoring this host" >&2
    else
        echo "run: no libvirtd reachable on qemu:///system: using the demo host (libvirt test driver)" >&2
        uri_flag=(--libvirt.uri "test://$PWD/demo/demo-host.xml")
    fi
fi
exec .build/release/kvm-agent "${uri_flag[@]}" "$@"
