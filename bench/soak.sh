#!/usr/bin/env bash
# Usage: bench/soak.sh [bench/soak.py arguments...]
# Sets up as bench/run.sh does (packages, libvirtd, the build the .deb ships), then soaks the agent: a fleet of
# halted guests, a scrape a second and a destroy+start every 10 s, 30 minutes unless --minutes says.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/setup.sh
source bench/lib/setup.sh
bench_setup bench python3-libvirt
/usr/bin/python3 bench/soak.py "$@"
