#!/usr/bin/env bash
# Usage: bench/build.sh
# Builds the agent as the .deb ships it (release, the Swift runtime linked in statically; the same
# scratch path as scripts/build-deb.sh) and prints the binary's path. Every benchmark measures this build.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../scripts/lib/release-flags.sh
source scripts/lib/release-flags.sh
release_flags .build-deb
flags=("${release_flags[@]}")
swift build "${flags[@]}" >&2
echo "$(swift build "${flags[@]}" --show-bin-path)/kvm-agent"
