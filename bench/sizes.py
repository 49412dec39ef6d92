"""The binary's symbol sizes (nm -S) summed by owner: Swift symbols by the module in their mangled name, C
symbols by prefix. Usage: /usr/bin/python3 bench/sizes.py BINARY (unstripped)"""
import subprocess, re, sys, collections
out = subprocess.check_output(["nm", "-S", "--size-sort", sys.argv[1]], text=True)
total = collections.Counter()
for line in out.splitlines():
    parts = line.split()
    if len(parts) < 4: continue
    size = int(parts[1], 16); name = parts[3]
    m = re.match(r"^\$s(\d+)", name)
    if name.startswith("icudt"): k = "ICU data (icudt76_dat)"
    elif re.search(r"_76(_|$)|icu_76", name) or name.startswith(("u_", "ucol_", "uloc_", "ures_", "ubrk_", "unum_", "udat_", "ucal_", "utrans", "uregex")): k = "ICU code"
    elif name.startswith("CCryptoBoringSSL"): k = "BoringSSL (swift-crypto)"
    elif name.startswith("CNIOBoringSSL"): k = "BoringSSL (swift-nio-ssl)"
    elif m:
        n = int(m.group(1)); mod = name[2 + len(m.group(1)):2 + len(m.group(1)) + n]
        k = "Swift: " + mod
    elif name.startswith(("$sS", "$ss", "_swift_stdlib", "$sSo")): k = "Swift: stdlib"
    elif "swift" in name.lower(): k = "Swift runtime/other"
    elif name.startswith(("_dispatch", "dispatch_", "_os_")): k = "libdispatch"
    elif name.startswith(("__CF", "CF", "_CF", "__kCF", "kCF")): k = "CoreFoundation"
    elif name.startswith(("yaml_", "$s4Yams")): k = "libyaml"
    else: k = "other C"
    total[k] += size
for k, v in sorted(total.items(), key=lambda kv: -kv[1])[:28]:
    print(f"{v/1048576:8.2f} MiB  {k}")
print(f"{sum(total.values())/1048576:8.2f} MiB  total of sized symbols")
