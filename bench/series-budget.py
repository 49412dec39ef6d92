#!/usr/bin/env python3
"""Usage: bench/series-budget.py URL DOMAIN

Counts the series one domain costs on a running agent's /metrics, by family and
by the collector that produces them (--[no-]collector.NAME), so that the README's
per-domain budget can be checked against any host.
"""
import re
import sys
import urllib.request

# Family name prefix -> the collector that switches it ("always" cannot be off).
COLLECTORS = [
    ("kvm_domain_block_info", "always"),
    ("kvm_domain_interface_info", "always"),
    ("kvm_domain_block_", "block"),
    ("kvm_domain_io_errors", "always (events)"),
    ("kvm_domain_interface_", "interface"),
    ("kvm_domain_vcpu_state", "vcpuinfo"),
    ("kvm_domain_vcpu_physical_cpu", "vcpuinfo"),
    ("kvm_domain_vcpu_affinity_info", "vcpuinfo"),
    ("kvm_domain_vm_", "vm"),
    ("kvm_domain_tlb_", "vm"),
    ("kvm_domain_memory_mapped_", "vm"),
    ("kvm_domain_guest_", "guest-agent"),
    ("kvm_domain_jobs_total", "always (events)"),
    ("kvm_domain_job_", "jobs"),
    ("kvm_domain_lifecycle_events_total", "always (events)"),
]


def collector(family):
    for prefix, name in COLLECTORS:
        if family.startswith(prefix):
            return name
    return "always"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    url, domain = sys.argv[1], sys.argv[2]
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    label = re.compile(r'[{,]domain="%s"[,}]' % re.escape(domain))
    families, groups = {}, {}
    for line in text.splitlines():
        if line.startswith("#") or not label.search(line):
            continue
        family = line.split("{", 1)[0]
        families[family] = families.get(family, 0) + 1
        group = collector(family)
        groups[group] = groups.get(group, 0) + 1
    if not families:
        sys.exit(f"no series for domain {domain!r} at {url}")
    for family, count in sorted(families.items()):
        print(f"{count:4d}  {family}  [{collector(family)}]")
    print()
    for group, count in sorted(groups.items(), key=lambda g: -g[1]):
        print(f"{count:4d}  {group}")
    print(f"{sum(families.values()):4d}  total for {domain}")


if __name__ == "__main__":
    main()
