#!/usr/bin/env bash
# Usage: bench/cycle.sh [GUESTS] [SCRAPES]
# Instructions the agent spends per collector cycle on GUESTS real guests (default 100, half running), counted
# by valgrind's callgrind over SCRAPES scrapes 2 s apart (default 20); bench/cycle.py says what it prints.
# Counts, unlike CPU times, do not move with the load on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/setup.sh
source bench/lib/setup.sh
bench_setup bench python3-libvirt valgrind
/usr/bin/python3 bench/cycle.py "$KVM_AGENT_BINARY" "$@"
