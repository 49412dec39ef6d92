#!/usr/bin/env bash
# Usage: bench/abuse.sh [bench/abuse.py arguments...]
# Builds the agent as the .deb ships it, then runs bench/abuse.py against it on the libvirt test driver's demo
# host: connection flood, slowloris and 1,000 idle keep-alives, each while a well-behaved scraper fetches
# /metrics once a second. Traffic goes to 127.0.0.0/8 only; about two minutes. Exits 1 if a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
export KVM_AGENT_BINARY
KVM_AGENT_BINARY=$(bash bench/build.sh)
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD)"
/usr/bin/python3 bench/abuse.py "$@"
