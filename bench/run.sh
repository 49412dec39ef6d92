#!/usr/bin/env bash
# Usage: bench/run.sh [bench/compare.py arguments...]
# Installs the peer exporter and the libvirt bindings, starts libvirtd, builds the agent as the .deb ships it,
# builds bench/floor.c, then runs the comparison and prints its table with the machine and commit it ran on.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/setup.sh
source bench/lib/setup.sh
bench_setup bench prometheus-libvirt-exporter python3-libvirt
# The libvirt floor: the agent's libvirt calls from a minimal C program.
gcc -O2 -Wall -o .build/bench-floor bench/floor.c -lvirt
/usr/bin/python3 bench/compare.py "$@"
