"""Writes the link order file (scripts/lib/kvm-agent.order): the agent's functions that run, found by running the
agent under valgrind's callgrind on a fleet of real guests while it is scraped (plain and gzip), probed and sees
a guest restart. lld places these functions first and together (--symbol-ordering-file), so the code the agent
runs fills fewer pages than when it is spread over the 27 MB of machine code: less of the binary is resident.
Usage (root, after bench/build.sh): /usr/bin/python3 bench/order.py BINARY [GUESTS]"""
import os, re, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import libvirt
import callgrind
from compare import AGENT_ADDR, Fleet
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "scripts/lib/kvm-agent.order")


def functions_run(callgrind_out, binary):
    """Names (as linked, not demangled) of the functions with a cost in `binary`, in first-seen order."""
    objects, names, current, found = {}, {}, None, {}
    for line in open(callgrind_out, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^(c?ob)=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3): objects[m.group(2)] = m.group(3)
            if m.group(1) == "ob": current = objects[m.group(2)]
            continue
        m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3): names[m.group(2)] = m.group(3)
            # callgrind marks a second function of the same name with 'N; unnamed code is an address.
            name = re.sub(r"'\d+$", "", names[m.group(2)])
            if m.group(1) == "fn" and current == binary and not name.startswith("0x"):
                found.setdefault(name, None)
    return list(found)


def get(path, gzip=False):
    request = urllib.request.Request(f"http://{AGENT_ADDR}{path}", headers={"Accept-Encoding": "gzip"} if gzip else {})
    try:
        urllib.request.urlopen(request, timeout=120).read()
    except OSError:
        pass  # /readyz may answer 503; what matters is the code it ran


def main():
    binary, guests = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
    conn = libvirt.open("qemu:///system")
    with tempfile.TemporaryDirectory() as work, Fleet(conn, guests, prefix="kvmorder") as fleet:
        agent, out, plain = callgrind.start(binary, work, "5s")
        for round in range(12):
            get("/metrics"); get("/metrics", gzip=True); get("/readyz"); get("/healthz"); get("/")
            if round == 4:
                conn.lookupByName(fleet.names[0]).destroy()
            if round == 6:
                conn.lookupByName(fleet.names[0]).create()
            time.sleep(5)
        agent.terminate()
        agent.wait()
        names = functions_run(out, plain)
    with open(OUT, "w") as f:
        # Sorted, so that a regenerated file differs only where the code did; names group by module.
        f.write("\n".join(sorted(names)) + "\n")
    print(f"{len(names)} functions run, written to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
