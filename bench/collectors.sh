#!/usr/bin/env bash
# Usage: bench/collectors.sh [bench/collectors.py arguments...]
# The set-up of bench/run.sh (packages, libvirtd, the .deb's build), then what each collector costs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/setup.sh
source bench/lib/setup.sh
bench_setup bench prometheus-libvirt-exporter python3-libvirt
/usr/bin/python3 bench/collectors.py "$@"
