"""Counts the instructions the agent spends per collector cycle on a fleet of real guests, with valgrind's
callgrind: repeatable on a shared machine, where the CPU time of one cycle moves with the load (issue 13's
target 2 is the agent's own share of a cycle). The agent runs with --collector.interval 2s and is scraped every
2 s, as bench/compare.py runs it beside the peer; after a warm-up the counters are zeroed, SCRAPES scrapes are
made, and the counters dumped. Prints instructions per scrape-and-pass cycle for the whole process, for the
render of the inventory (once per scrape, as the inventory changes every pass), for the libvirt calls of a pass
made on the collector's executor, and the functions with the most instructions of their own.
Usage (root, after bench/build.sh): /usr/bin/python3 bench/cycle.py BINARY [GUESTS] [SCRAPES]"""
import os, re, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import libvirt
import callgrind
from compare import AGENT_ADDR, Fleet, scrape

PASSES = re.compile(r'^kvm_agent_collections_total\{result="success"\} (\S+)$', re.M)
# Mangled-name prefixes of what is reported apart (callgrind runs with --demangle=no).
# The render is InventoryRenderer.renderBytes since 2026-11-30 and InventoryRenderer.render before.
PARTS = {"render (per scrape)": r"\$s7KVMCore17InventoryRendererV(11renderBytes|6render)y",
         "executor's libvirt calls (per pass)": r"\$s5Agent17CollectorExecutorC7enqueue"}


def passes():
    return float(PASSES.search(scrape(AGENT_ADDR, timeout=120)[1]).group(1))


def control(*args):
    subprocess.run(["callgrind_control", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def annotate(out, inclusive):
    text = subprocess.check_output(
        ["callgrind_annotate", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", out], text=True,
        stderr=subprocess.DEVNULL)
    return [(int(m.group(1).replace(",", "")), m.group(2)) for m in
            (re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)", line) for line in text.splitlines()) if m]


def main():
    binary = sys.argv[1]
    guests = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    scrapes = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    conn = libvirt.open("qemu:///system")
    with tempfile.TemporaryDirectory() as work, Fleet(conn, guests, prefix="kvmcycle"):
        agent, out, _ = callgrind.start(binary, work, "2s")
        try:
            time.sleep(15)  # past the first passes, the definitions read and the first vcpuinfo round
            first = passes()
            control("--zero")
            for _ in range(scrapes):
                scrape(AGENT_ADDR, timeout=120)
                time.sleep(2)
            control("--dump")
            made = passes() - first
        finally:
            agent.terminate()
            agent.wait()
        dump = out + ".1"
        inclusive = annotate(dump, inclusive=True)
        total = inclusive[0][0]
        print(f"{guests} guests, {scrapes} scrapes and {made:.0f} passes counted")
        print(f"{total / scrapes / 1e6:8.1f} M instructions per cycle (the whole process, over the scrapes)")
        for label, prefix in PARTS.items():
            cost = next((c for c, name in inclusive if re.match(r"\?\?\?:" + prefix, name)), 0)
            per = scrapes if "scrape" in label else made
            print(f"{cost / per / 1e6:8.1f} M instructions, {label}")
        print("most instructions of their own:")
        own = [(c, n) for c, n in annotate(dump, inclusive=False) if "PROGRAM TOTALS" not in n]
        own = [(c, n) for c, n in own if not re.search(r"clone\.S|start_thread|ThreadOpsPosix|NIOThread", n)]
        names = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(n for _, n in own[:15]),
                               capture_output=True, text=True).stdout.splitlines() or [n for _, n in own[:15]]
        for (cost, _), name in zip(own[:15], names):
            print(f"{cost / scrapes / 1e6:8.2f} M  {name[:140]}")


if __name__ == "__main__":
    main()
