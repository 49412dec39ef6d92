"""Resident memory of the agent (and the peer) on a fleet: each variant runs 60 s with a scrape every 2 s.
Then the peer the same way. Usage (root, after bench/run.sh installed the peer):
/usr/bin/python3 bench/memory.py SIZE AGENT_BINARY [NAME=VALUE[,NAME=VALUE] ... | --FLAG ...]: one run with the
environment and flags as they are, then one per argument with those variables, or that flag, added."""
import collections, os, re, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import libvirt
from compare import Fleet, start, scrape, AGENT_ADDR, PEER_ADDR, PEER
from pages import mappings_rss

def status(pid):
    text = open(f"/proc/{pid}/status").read()
    get = lambda k: int(re.search(rf"{k}:\s+(\d+)", text).group(1)) if re.search(rf"{k}:\s+(\d+)", text) else 0
    return {k: get(k) for k in ["VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"]}

def smaps(pid, binary):
    """Rss by kind: the binary's pages, other files (libraries), heap arenas, stacks, other anon."""
    kinds = collections.Counter()
    for name, rss in mappings_rss(pid):
        if name == binary: kind = "binary"
        elif name.startswith("/"): kind = "libraries"
        elif name == "[heap]": kind = "main heap"
        elif name.startswith("[stack"): kind = "stacks"
        elif name == "": kind = "anon (arenas, stacks, mmaps)"
        else: kind = name
        kinds[kind] += rss
    return dict(kinds)

def arenas(pid):
    # glibc arenas are 64 MiB-aligned anonymous reservations (rw part + ---p rest).
    n = 0
    for line in open(f"/proc/{pid}/maps"):
        parts = line.split()
        if len(parts) == 5:
            a, b = (int(x, 16) for x in parts[0].split("-"))
            if a % (64 << 20) == 0 and parts[1] == "rw-p": n += 1
    return n

size = int(sys.argv[1]); agent = sys.argv[2]
variants = [("default", {})] + [
    (v, {} if v.startswith("--") else dict(kv.split("=", 1) for kv in v.split(","))) for v in sys.argv[3:]]
conn = libvirt.open("qemu:///system")
with Fleet(conn, size, prefix="kvmlean") as fleet:
    print("load:", open("/proc/loadavg").read().strip(), flush=True)
    for label, env in variants:
        e = dict(os.environ); e.update(env)
        flags = [label] if label.startswith("--") else []
        p = subprocess.Popen([agent, f"--web.listen-address={AGENT_ADDR}", "--collector.interval=2s"] + flags,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=e)
        time.sleep(2)
        for _ in range(30):
            try: scrape(AGENT_ADDR, timeout=5)
            except Exception: pass
            time.sleep(2)
        s = status(p.pid)
        print(label, s, "arenas:", arenas(p.pid), flush=True)
        print("   smaps Rss kB:", smaps(p.pid, os.path.realpath(agent)), flush=True)
        p.terminate(); p.wait()
    peer = start([PEER, f"--web.listen-address={PEER_ADDR}"], PEER_ADDR)
    for _ in range(30):
        try: scrape(PEER_ADDR, timeout=30)
        except Exception: pass
        time.sleep(2)
    print("peer", status(peer.pid), flush=True)
    peer.terminate(); peer.wait()
    print("load:", open("/proc/loadavg").read().strip(), flush=True)
