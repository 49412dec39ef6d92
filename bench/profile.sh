#!/usr/bin/env bash
# Usage: bench/profile.sh [SCRAPES] [DOMAINS]
# Counts the instructions a /metrics scrape costs, with valgrind's callgrind (repeatable on a noisy
# machine, unlike timings), on a demo host of DOMAINS test-driver domains (default 200 scrapes, 100
# domains). Runs the build the .deb ships (bench/build.sh) without its debug info (valgrind 3.19 cannot read Swift's DWARF 5),
# zeroes the counters once the agent is up and scraped once, scrapes, then prints instructions per
# scrape for the whole process and the most expensive functions on the scrape path.
set -euo pipefail
cd "$(dirname "$0")/.."
scrapes=${1:-200}
domains=${2:-100}
# shellcheck source=SCRIPTDIR/../scripts/lib/packages.sh
source scripts/lib/packages.sh
ensure_packages profile "${BUILD_PACKAGES[@]}" valgrind
agent=$(bash bench/build.sh)
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
objcopy --strip-debug "$agent" "$work/kvm-agent"
# A demo host with `domains` copies of the first domain of demo/demo-host.xml.
python3 - "$domains" >"$work/host.xml" <<'PY'
import re, sys
text = open("demo/demo-host.xml").read()
domain = re.search(r"  <domain type=\"test\".*?</domain>\n", text, re.S).group(0)
name = re.search(r"<name>(.*?)</name>", domain).group(1)
uuid = re.search(r"<uuid>(.*?)</uuid>", domain)
copies = []
for i in range(int(sys.argv[1])):
    copy = domain.replace(f"<name>{name}</name>", f"<name>profile-{i:04d}</name>")
    if uuid:
        copy = copy.replace(uuid.group(1), f"6695eb01-f6a4-8304-79aa-{i:012d}")
    copies.append(copy)
first, last = text.index(domain), text.rindex("</domain>") + len("</domain>\n")
print(text[:first] + "".join(copies) + text[last:], end="")
PY
port=19870
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$work/kvm-agent" \
    --web.listen-address=127.0.0.1:$port --libvirt.uri="test://$work/host.xml" --collector.interval=1h \
    --log.level=error >"$work/valgrind.log" 2>&1 &
pid=$!
# Up, and its first full collection pass done (slow under valgrind: the test driver parses the host's XML
# first); with a 1h interval nothing changes afterwards, so every measured scrape serves the same render.
passes() { curl -sf "http://127.0.0.1:$port/metrics" | awk '/^kvm_agent_collections_total\{result="success"\}/ {print $2}'; }
for _ in $(seq 600); do
    [ "$(passes)" = 1 ] && break
    sleep 1
done
[ "$(passes)" = 1 ] || { echo "profile: no full collection pass within 600 s" >&2; exit 1; }
curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"
series=$(curl -sf "http://127.0.0.1:$port/metrics" | grep -vc '^#')
callgrind_control --zero "$pid" >/dev/null
for _ in $(seq "$scrapes"); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; done
callgrind_control --dump "$pid" >/dev/null
# As Prometheus asks: gzip-compressed.
for _ in $(seq "$scrapes"); do curl -sf -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics"; done
callgrind_control --dump "$pid" >/dev/null
dump=$(find "$work" -name 'callgrind.out*.1' | head -n1)
gzipped=${dump%.1}.2
total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }
echo "commit $(git rev-parse --short HEAD), $domains domains, $series series, $scrapes scrapes of each kind"
echo "instructions per scrape (whole process): $(($(total "$dump") / scrapes)) plain, $(($(total "$gzipped") / scrapes)) gzip"
echo "most expensive on the scrape path (inclusive, all scrapes):"
callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | swift demangle --simplified |
    grep -E 'metricsResponse|MetricsSource|ProcessProbe|InventoryRenderer|emit\(into|ByteBuffer|ExpositionWriter|RequestCounting' |
    head -12 | cut -c1-160
