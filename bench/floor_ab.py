"""bench/floor.c as the agent calls libvirt now against the calls before issue 13 ("before13"), alternating,
on a fleet of SIZE halted guests (half running). Usage (root, after bench/run.sh built .build/bench-floor):
/usr/bin/python3 bench/floor_ab.py SIZE ROUNDS"""
import sys, subprocess, time, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import libvirt
from compare import Fleet, libvirtd_pid
size = int(sys.argv[1]); rounds = int(sys.argv[2])
conn = libvirt.open("qemu:///system")
ALL = "state,cpu-total,balloon,vcpu,interface,block,vcpuinfo,storage"
variants = {"after": ALL, "before": ALL + ",before13", "listing-after": "state", "listing-before": "state,before13",
            "vcpuinfo-after": "vcpuinfo,cpu-total,vcpu", "vcpuinfo-before": "vcpuinfo,cpu-total,vcpu,before13"}
with Fleet(conn, size, prefix="kvmlean") as fleet:
    time.sleep(5)
    print("uptime:", open("/proc/loadavg").read().strip(), flush=True)
    results = {k: [] for k in variants}
    for r in range(rounds):
        for name, groups in variants.items():
            out = subprocess.check_output([os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".build/bench-floor"), "20", str(libvirtd_pid()), groups]).decode().split()
            results[name].append((float(out[1]), float(out[2])))
            print(r, name, out, flush=True)
    print("uptime:", open("/proc/loadavg").read().strip())
    for name, vals in results.items():
        c = sorted(v[0] for v in vals); d = sorted(v[1] for v in vals)
        print(f"{name}: client median {c[len(c)//2]:.2f} ms, libvirtd median {d[len(d)//2]:.2f} ms (runs {len(vals)})")
