#!/usr/bin/python3
"""Agent variants against each other and the peer, in one fleet, alternating: the peer, then each variant,
every round. Each is scraped every 2 s for `--cycles` cycles (issue 13's protocol); prints the agent's and
libvirtd's CPU per cycle and the ratio to the peer of the same round.

Usage: bench/ab.py [--size 100] [--rounds 2] [--cycles 30] LABEL=FLAGS ...
  e.g. bench/ab.py "balloon every pass=--collector.balloon.interval=0s" "default="
Run as root after bench/build.sh; bench/ab.sh does the set-up. Prints a Markdown table.
"""
import argparse

import libvirt

from collectors import measure_agent, measure_peer
from compare import Fleet


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("variants", nargs="+", help="LABEL=FLAGS, flags separated by spaces")
    args = parser.parse_args()
    variants = [(label, flags.split()) for label, flags in (v.split("=", 1) for v in args.variants)]
    ms = lambda s: f"{s * 1000:.1f}"
    print(f"| {args.size} guests, half running | exporter + libvirtd per cycle (ms) | against the peer |")
    print("|---|---|---|")
    with Fleet(libvirt.open("qemu:///system"), args.size):
        for number in range(1, args.rounds + 1):
            p_cpu, p_daemon = measure_peer(args.cycles)
            peer = p_cpu + p_daemon
            print(f"| round {number}: peer | {ms(p_cpu)} + {ms(p_daemon)} = {ms(peer)} | 1.00 |", flush=True)
            for label, flags in variants:
                cpu, daemon = measure_agent(flags, args.size, args.cycles)
                print(f"| round {number}: {label} | {ms(cpu)} + {ms(daemon)} = {ms(cpu + daemon)} | "
                      f"{(cpu + daemon) / peer:.2f} |", flush=True)


if __name__ == "__main__":
    main()
