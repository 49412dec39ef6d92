#!/usr/bin/python3
"""Measures kvm-agent against Debian's prometheus-libvirt-exporter (kumina 0.2) on the same libvirtd,
in the same run, on a fleet of halted guests it builds and removes itself (half running, half defined).

Usage: bench/compare.py [--sizes 20,50] [--scrapes 100] [--events 20]
Run as root after `swift build -c release`; bench/run.sh does the set-up. Prints a Markdown table.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

import libvirt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AGENT = os.path.join(ROOT, ".build/release/kvm-agent")
PEER = "/usr/bin/prometheus-libvirt-exporter"
AGENT_ADDR, PEER_ADDR = "127.0.0.1:19860", "127.0.0.1:19861"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_bytes(pid):
    match = re.search(r"VmHWM:\s+(\d+) kB", open(f"/proc/{pid}/status").read())
    return int(match.group(1)) * 1024


def libvirtd_pid():
    return int(subprocess.check_output(["pgrep", "-x", "libvirtd"]).split()[0])


def scrape(addr, timeout=30):
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://{addr}/metrics", timeout=timeout) as response:
        body = response.read().decode()
    return time.perf_counter() - started, body


def series(body):
    return [line for line in body.splitlines() if line and not line.startswith("#")]


def domains_seen(body):
    return set(re.findall(r'domain="([^"]+)"', body))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_for(predicate, deadline):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


class Fleet:
    """N halted guests, the first half running."""

    def __init__(self, conn, size):
        self.conn, self.names = conn, [f"kvmbench-{i:03d}" for i in range(size)]

    def __enter__(self):
        for index, name in enumerate(self.names):
            xml = subprocess.check_output(["bash", os.path.join(ROOT, "scripts/guests/halted-guest.sh"), name])
            domain = self.conn.defineXML(xml.decode())
            if index < len(self.names) // 2:
                domain.create()
        return self

    def __exit__(self, *exc):
        for name in self.names:
            try:
                domain = self.conn.lookupByName(name)
                if domain.isActive():
                    domain.destroy()
                domain.undefine()
            except libvirt.libvirtError:
                pass
            try:
                os.remove(f"/var/lib/libvirt/images/kvm-agent/{name}.img")
            except FileNotFoundError:
                pass


def start(command, addr):
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_for(lambda: _answers(addr), 30):
        process.kill()
        sys.exit(f"{command[0]} did not answer on {addr}")
    return process


def _answers(addr):
    try:
        scrape(addr, timeout=1)
        return True
    except OSError:
        return False


def measure_scrapes(process, addr, count):
    """Scrape latency as the scraper sees it, and CPU of the exporter and libvirtd over the scrapes."""
    daemon = libvirtd_pid()
    cpu0, daemon0 = cpu_seconds(process.pid), cpu_seconds(daemon)
    latencies, body = [], ""
    for _ in range(count):
        latency, body = scrape(addr)
        latencies.append(latency)
    cpu = cpu_seconds(process.pid) - cpu0
    daemon_cpu = cpu_seconds(daemon) - daemon0
    return latencies, cpu, daemon_cpu, body


def agent_cycle_cpu(process, addr, cycles, interval):
    """CPU of the agent and libvirtd per collector pass over about `cycles` passes. Nothing scrapes the
    agent in between (polling /metrics would charge the scrapes to the passes): it sleeps, then counts."""

    def passes():
        body = scrape(addr)[1]
        return sum(float(v) for v in re.findall(r"^kvm_agent_collections_total\{[^}]*\} (\S+)", body, re.M))

    daemon = libvirtd_pid()
    start_passes = passes()
    cpu0, daemon0 = cpu_seconds(process.pid), cpu_seconds(daemon)
    time.sleep(cycles * interval + interval / 2)
    cpu, daemon_cpu = cpu_seconds(process.pid) - cpu0, cpu_seconds(daemon) - daemon0
    done = passes() - start_passes
    return cpu / done, daemon_cpu / done


def event_latency(conn, addr, names, count):
    """Time from a `virsh destroy`/`start` returning to the change on /metrics."""
    latencies = []
    for i in range(count):
        domain = conn.lookupByName(names[i % len(names)])
        for action, state in ((domain.destroy, "shutoff"), (domain.create, "running")):
            action()
            started = time.perf_counter()
            pattern = f'kvm_domain_state{{domain="{domain.name()}",state="{state}"}} 1'
            if wait_for(lambda: pattern in scrape(addr)[1], 10):
                latencies.append(time.perf_counter() - started)
    return latencies


def crash_between_scrapes(conn, addr, name):
    """A domain destroyed and started again between two scrapes: does the second scrape show it?"""
    domain = conn.lookupByName(name)
    before = scrape(addr)[1]
    domain.destroy()
    domain.create()
    time.sleep(0.2)
    after = scrape(addr)[1]
    key = f'kvm_domain_lifecycle_events_total{{domain="{name}",event="stopped",detail="destroyed"}}'

    def count(body):
        match = re.search(re.escape(key) + r" (\S+)", body)
        return float(match.group(1)) if match else 0

    return count(after) > count(before)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20,50")
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--cycles", type=int, default=10)
    args = parser.parse_args()
    conn = libvirt.open("qemu:///system")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        with Fleet(conn, size) as fleet:
            running = fleet.names[: size // 2]
            # The peer alone, then the agent alone, so libvirtd's CPU is charged to the right one.
            peer = start([PEER, f"--web.listen-address={PEER_ADDR}"], PEER_ADDR)
            p_lat, p_cpu, p_daemon, p_body = measure_scrapes(peer, PEER_ADDR, args.scrapes)
            p_rss = peak_rss_bytes(peer.pid)
            peer.terminate()
            peer.wait()

            agent = start([AGENT, f"--web.listen-address={AGENT_ADDR}", "--collector.interval=2s"], AGENT_ADDR)
            wait_for(lambda: len(domains_seen(scrape(AGENT_ADDR)[1])) >= size, 60)
            a_cycle_cpu, a_cycle_daemon = agent_cycle_cpu(agent, AGENT_ADDR, args.cycles, 2)
            a_lat, _, _, a_body = measure_scrapes(agent, AGENT_ADDR, args.scrapes)
            events = event_latency(conn, AGENT_ADDR, running, args.events)
            crash_seen = crash_between_scrapes(conn, AGENT_ADDR, running[0])
            a_rss = peak_rss_bytes(agent.pid)
            agent.terminate()
            agent.wait()

        ms = lambda s: f"{s * 1000:.1f} ms"
        rows += [
            (size, "scrape latency p50 / p99", f"{ms(percentile(a_lat, 50))} / {ms(percentile(a_lat, 99))}",
             f"{ms(percentile(p_lat, 50))} / {ms(percentile(p_lat, 99))}"),
            (size, "CPU per cycle: exporter + libvirtd (agent: per collector pass; peer: per scrape)",
             f"{ms(a_cycle_cpu)} + {ms(a_cycle_daemon)}",
             f"{ms(p_cpu / args.scrapes)} + {ms(p_daemon / args.scrapes)}"),
            (size, "peak resident memory", f"{a_rss / 2**20:.1f} MiB", f"{p_rss / 2**20:.1f} MiB"),
            (size, "series", str(len(series(a_body))), str(len(series(p_body)))),
            (size, f"domains that appear (of {size})", str(len(domains_seen(a_body) & set(fleet.names))),
             str(len(domains_seen(p_body) & set(fleet.names)))),
            (size, f"event to /metrics p50 / p99 ({len(events)} changes)",
             f"{ms(percentile(events, 50))} / {ms(percentile(events, 99))}" if events else "none seen",
             "next scrape (polls)"),
            (size, "crash and restart between two scrapes", "seen" if crash_seen else "not seen",
             "not seen (no event counters)"),
        ]
    print("| guests | figure | kvm-agent | prometheus-libvirt-exporter 0.2 |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
