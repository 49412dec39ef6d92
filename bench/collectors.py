#!/usr/bin/python3
"""What each collector costs: the agent and libvirtd CPU per cycle at one fleet size, with every collector
on by default and then with one turned off at a time, beside the peer's per scrape, in one run.

Usage: bench/collectors.py [--size 100] [--cycles 20] [--variants "pools networks,jobs"]
Run as root after bench/build.sh; bench/collectors.sh does the set-up. Prints a Markdown table.
"""
import argparse

import libvirt

from compare import AGENT, AGENT_ADDR, PEER, PEER_ADDR, Fleet, agent_cycle_cpu, domains_seen, peer_cycle_cpu, \
    scrape, start, wait_for

DEFAULT_VARIANTS = "block,interface,vcpuinfo,jobs,pools,networks,guest-agent,pools networks jobs guest-agent"


def measure_agent(flags, size, cycles):
    agent = start([AGENT, f"--web.listen-address={AGENT_ADDR}", "--collector.interval=2s"] + flags, AGENT_ADDR)
    try:
        wait_for(lambda: len(domains_seen(scrape(AGENT_ADDR)[1])) >= size, 60)
        return agent_cycle_cpu(agent, AGENT_ADDR, cycles, 2)
    finally:
        agent.terminate()
        agent.wait()


def measure_peer(cycles):
    """The peer's and libvirtd's CPU per scrape, every 2 s, after a first scrape that is not counted."""
    peer = start([PEER, f"--web.listen-address={PEER_ADDR}"], PEER_ADDR)
    try:
        scrape(PEER_ADDR)
        return peer_cycle_cpu(peer, PEER_ADDR, cycles, 2)
    finally:
        peer.kill()
        peer.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS,
                        help="comma-separated; each a space-separated list of collectors to turn off")
    args = parser.parse_args()
    conn = libvirt.open("qemu:///system")
    rows = []
    with Fleet(conn, args.size):
        p_cpu, p_daemon = measure_peer(args.cycles)
        peer_total = p_cpu + p_daemon
        ms = lambda s: f"{s * 1000:.1f} ms"
        rows.append(("peer, per scrape every 2 s", ms(p_cpu), ms(p_daemon), "1.00x"))
        base = None
        for variant in [""] + args.variants.split(","):
            off = variant.split()
            cpu, daemon = measure_agent([f"--no-collector.{name}" for name in off], args.size, args.cycles)
            base = base if base is not None else cpu + daemon
            name = "agent, default collectors" if not off else "agent without " + ", ".join(off)
            saved = "" if not off else f" ({(cpu + daemon - base) * 1000:+.1f} ms)"
            rows.append((name, ms(cpu), ms(daemon), f"{(cpu + daemon) / peer_total:.2f}x{saved}"))
    print(f"| {args.size} guests, half running | exporter | libvirtd | total against the peer |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
