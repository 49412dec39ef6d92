#!/usr/bin/env bash
# Usage: bench/build.sh
# Builds the agent as the .deb ships it (release, the Swift runtime linked in statically; the same
# scratch path as scripts/build-deb.sh) and prints the binary's path. Every benchmark measures this build.
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release --static-swift-stdlib -Xlinker --no-export-dynamic --scratch-path .build-deb --product kvm-agent)
swift build "${flags[@]}" >&2
echo "$(swift build "${flags[@]}" --show-bin-path)/kvm-agent"
