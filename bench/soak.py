#!/usr/bin/python3
"""A soak of the agent: a fleet of halted guests, one scrape a second, a guest destroyed and started
again every 10 s (two lifecycle events each), for --minutes. Prints resident memory, open file
descriptors and threads once a minute, then a summary line.

Usage: bench/soak.py [--minutes 30] [--guests 20] [--agent PATH]
Run as root after bench/build.sh; bench/soak.sh does the set-up.
"""
import argparse
import os
import re
import time

import libvirt

from compare import AGENT, Fleet, scrape, start, wait_for, domains_seen

ADDR = "127.0.0.1:19862"


def status(pid):
    text = open(f"/proc/{pid}/status").read()
    field = lambda name: int(re.search(rf"{name}:\s+(\d+)", text).group(1))
    return (field("VmRSS") / 1024, field("VmHWM") / 1024, len(os.listdir(f"/proc/{pid}/fd")), field("Threads"),
            field("RssAnon") / 1024, field("RssFile") / 1024)


def line(minute, figures):
    rss, _, fds, threads, anonymous, files = figures
    return (f"minute {minute}: resident {rss:.1f} MiB (anonymous {anonymous:.1f} + file-backed {files:.1f}), "
            f"fds {fds}, threads {threads}")


def soak(agent, names, minutes, conn):
    """Scrapes once a second and restarts a running guest every 10 s for `minutes`; prints a line a minute."""
    running = names[: len(names) // 2]
    began = time.monotonic()
    first = status(agent.pid)
    print(line(0, first), flush=True)
    scrapes = changes = failures = 0
    slowest = 0.0
    next_report, next_change = 60, 10
    while (elapsed := time.monotonic() - began) < minutes * 60:
        try:
            latency, _ = scrape(ADDR, timeout=5)
            slowest = max(slowest, latency)
            scrapes += 1
        except OSError:
            failures += 1
        if elapsed >= next_change:
            domain = conn.lookupByName(running[changes % len(running)])
            try:
                domain.destroy()
            except libvirt.libvirtError:
                # libvirt 9.0 under load sometimes reports "domain is not running" for a destroy that did
                # stop the guest (its qemu exited while the call waited): only a guest still up fails.
                if domain.isActive():
                    raise
            domain.create()
            changes += 1
            next_change += 10
        if elapsed >= next_report:
            print(line(next_report // 60, status(agent.pid)), flush=True)
            next_report += 60
        time.sleep(max(0.0, 1 - (time.monotonic() - began) % 1))
    return first, status(agent.pid), scrapes, failures, slowest, changes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--guests", type=int, default=20)
    parser.add_argument("--agent", default=AGENT)
    args = parser.parse_args()
    conn = libvirt.open("qemu:///system")
    with Fleet(conn, args.guests, prefix="kvmsoak") as fleet:
        agent = start([args.agent, f"--web.listen-address={ADDR}"], ADDR)
        # An agent left running would answer the next soak's scrapes in place of that soak's own.
        try:
            wait_for(lambda: len(domains_seen(scrape(ADDR)[1]) & set(fleet.names)) == args.guests, 60)
            first, (rss, peak, fds, threads, _, _), scrapes, failures, slowest, changes = soak(
                agent, fleet.names, args.minutes, conn)
        finally:
            agent.terminate()
            agent.wait()
    print(
        f"soak: {args.minutes:g} min, {args.guests} guests, {scrapes} scrapes ({failures} failed, slowest "
        f"{slowest * 1000:.1f} ms), {changes} destroy+start pairs; resident {first[0]:.1f} MiB at start, "
        f"{rss:.1f} MiB at end, peak {peak:.1f} MiB; fds {first[2]} -> {fds}; threads {first[3]} -> {threads}")


if __name__ == "__main__":
    main()
