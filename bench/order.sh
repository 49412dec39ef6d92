#!/usr/bin/env bash
# Usage: bench/order.sh [GUESTS]
# Regenerates scripts/lib/kvm-agent.order, the order in which the release link places the agent's functions
# (bench/order.py says how). Run it after changes that rename or add much code: names that no longer exist are
# skipped by the linker, so a stale file costs resident memory, never correctness. SwiftPM does not see the
# file as an input of the link, so the binary is removed here and the next build links it anew.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/setup.sh
source bench/lib/setup.sh
bench_setup bench python3-libvirt valgrind
/usr/bin/python3 bench/order.py "$KVM_AGENT_BINARY" "$@"
rm -f "$KVM_AGENT_BINARY"
