#!/usr/bin/env bash
# Usage: bench/micro.sh [--update-thresholds]
# Builds the micro benchmarks in Benchmarks/ (their own package: exposition rendering, webhook decoding)
# in release mode, runs them once, prints the results table, then checks each benchmark's p90 against
# the reference in Benchmarks/Thresholds within the tolerances declared in Benchmarks/Tolerances.
# Exits non-zero if a benchmark fails or a threshold is violated.
# --update-thresholds instead records this machine's p90s as the new references, to review and commit;
# record them while the machine is idle, as a reference taken under load lets a real slowdown pass.
set -euo pipefail
cd "$(dirname "$0")/.."

swiftpm=(swift package --package-path Benchmarks --scratch-path Benchmarks/.build)
# Absolute, as the benchmark tool does not run from the repository root.
thresholds="$PWD/Benchmarks/Thresholds"
baseline=micro

if [[ ${1:-} == --update-thresholds ]]; then
    # No reference for throughput, see Tolerances.metrics; the tolerances live in Tolerances.thresholds.
    "${swiftpm[@]}" --allow-writing-to-package-directory benchmark thresholds update --path "$thresholds" \
        --metric wallClock --metric mallocCountTotal --metric peakMemoryResident --no-progress
    exit
elif [[ $# -gt 0 ]]; then
    sed -n '2,8s/^# \{0,1\}//p' "$0" >&2
    exit 64
fi

# One run, stored as a baseline, so the table and the check see the same figures.
"${swiftpm[@]}" --allow-writing-to-package-directory benchmark baseline update "$baseline" --no-progress
"${swiftpm[@]}" benchmark baseline read "$baseline" --no-progress

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if "${swiftpm[@]}" benchmark thresholds check "$baseline" --path "$thresholds" --no-progress 2>&1 | tee "$log"; then
    exit 0
fi
# The tool fails a run that beats a reference by more than the tolerance too; that is no regression.
if grep -q "is BETTER than the defined thresholds" "$log" && ! grep -q "is WORSE than" "$log"; then
    echo "micro.sh: better than the references by more than the tolerance; consider --update-thresholds" >&2
    exit 0
fi
echo "micro.sh: threshold check failed" >&2
exit 1
