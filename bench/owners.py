"""Who owns a symbol of the agent's binary: Swift symbols by the module in their mangled name, C symbols by
prefix. Shared by bench/sizes.py (bytes in the file) and bench/pages.py (bytes resident)."""
import re


def owner(name):
    module = re.match(r"^\$s(\d+)", name)
    if name.startswith("icudt"):
        return "ICU data (icudt76_dat)"
    if re.search(r"_76(_|$)|icu_76", name) or name.startswith(
            ("u_", "ucol_", "uloc_", "ures_", "ubrk_", "unum_", "udat_", "ucal_", "utrans", "uregex")):
        return "ICU code"
    if name.startswith("CCryptoBoringSSL"):
        return "BoringSSL (swift-crypto)"
    if name.startswith("CNIOBoringSSL"):
        return "BoringSSL (swift-nio-ssl)"
    if module:
        digits = module.group(1)
        return "Swift: " + name[2 + len(digits):2 + len(digits) + int(digits)]
    if name.startswith(("$sS", "$ss", "_swift_stdlib", "$sSo")):
        return "Swift: stdlib"
    if "swift" in name.lower():
        return "Swift runtime/other"
    if name.startswith(("_dispatch", "dispatch_", "_os_")):
        return "libdispatch"
    if name.startswith(("__CF", "CF", "_CF", "__kCF", "kCF")):
        return "CoreFoundation"
    if name.startswith("yaml_"):
        return "libyaml"
    return "other C"
