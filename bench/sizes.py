"""The binary's symbol sizes (nm -S) summed by owner (bench/owners.py). Usage: /usr/bin/python3 bench/sizes.py
BINARY (unstripped)"""
import collections, os, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from owners import owner

out = subprocess.check_output(["nm", "-S", "--size-sort", sys.argv[1]], text=True)
total = collections.Counter()
for line in out.splitlines():
    parts = line.split()
    if len(parts) < 4: continue
    total[owner(parts[3])] += int(parts[1], 16)
for k, v in sorted(total.items(), key=lambda kv: -kv[1])[:28]:
    print(f"{v/1048576:8.2f} MiB  {k}")
print(f"{sum(total.values())/1048576:8.2f} MiB  total of sized symbols")
