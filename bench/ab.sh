#!/usr/bin/env bash
# Usage: bench/ab.sh [bench/ab.py arguments...]
# The set-up of bench/run.sh (packages, libvirtd, the .deb's build), then agent variants against each other
# and the peer, alternating in one fleet.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/setup.sh
source bench/lib/setup.sh
bench_setup bench prometheus-libvirt-exporter python3-libvirt
/usr/bin/python3 bench/ab.py "$@"
