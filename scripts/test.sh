#!/usr/bin/env bash
# Usage: scripts/test.sh [swift test arguments...]
# The whole test suite on a new machine: installs what it needs, starts virtlogd and libvirtd, builds the
# test guests' kernel and initramfs, then runs every test, the real-libvirtd ones included, then the scrape
# load test on its own, and last the deployment tests (rules, Alertmanager and unit checks; the .deb
# built, installed, run and purged; then the .deb under a real systemd on Debian 12 and 13).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/packages.sh
source scripts/lib/packages.sh
# promtool checks metrics; Prometheus and Alertmanager run in the end-to-end, fleet and dashboard tests;
# openssl makes the TLS tests' certificates; curl is the client of tests that run the agent as a process;
# headless Chromium renders the status page; wrk is the load test's fifty scrapers; strace shows what the
# agent run as nobody would send to syslog; libvirt starts dnsmasq for the DHCP network of the real-libvirtd
# storage and network test; qemu-guest-agent's qemu-ga goes into the Linux test guest; python3 runs the webhook
# relay of the Alertmanager cluster test; systemd's systemd-socket-activate passes sockets the way a .socket
# unit does (SocketActivationTests).
ensure_packages test "${BUILD_PACKAGES[@]}" prometheus prometheus-alertmanager openssl curl chromium wrk strace dnsmasq-base \
    qemu-guest-agent python3 systemd
bash scripts/libvirtd-up.sh
bash scripts/guests/build-linux-guest.sh >/dev/null

swift format lint --strict --recursive --parallel Package.swift Sources Tests
swift build --build-tests
# Fail, rather than skip, the tests that need the real daemon started above.
export KVM_AGENT_REQUIRE_LIBVIRTD=1
if [ $# -gt 0 ]; then
    # A filtered run (arguments given) is for one part of the Swift tests.
    swift test --skip-build "$@"
else
    # The unit tests first, in a process of their own. Their deadlines are tight (200 ms), and beside the
    # integration tests, whose helpers block in child processes and libvirt calls, they shared the test
    # process's cooperative threads (as many as the cores) with calls that block for seconds: the whole
    # process stalled for 13 to 25 s in some full runs, and they failed by the dozen.
    swift test --skip-build --skip '^IntegrationTests\.'
    swift test --skip-build --filter '^IntegrationTests\.'
    bash scripts/test-deploy.sh
    # The .deb under a real systemd in containers, Debian 12 and 13 (about 5 minutes each; the root file
    # systems are cached in /var/cache/kvm-agent-test after the first run).
    bash scripts/test-systemd.sh
    # The scrape load test loads both cores for a minute on purpose: alone, after the rest, on the binary
    # the .deb ships (built by test-deploy.sh through bench/build.sh's scratch path).
    KVM_AGENT_BINARY=$(bash bench/build.sh) KVM_AGENT_LOAD_TEST=1 swift test --skip-build --filter ScrapeLoadTests
fi
