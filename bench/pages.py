"""Which parts of a running agent's binary are resident: every page of the binary's mappings that
/proc/PID/pagemap says is present, attributed to the symbols on it (by the bytes each covers; owners as in
bench/owners.py) or, where no symbol is, to its section; then the process's other file-backed pages by file.
Usage (root): /usr/bin/python3 bench/pages.py PID BINARY [OWNER] (BINARY unstripped: the build the process runs,
before the .deb strips it; with OWNER, e.g. "Swift: Foundation", that owner's resident symbols instead). The kernel
maps up to 64 KiB around each page a process touches (fault-around), so a resident symbol was not necessarily run."""
import bisect, collections, os, re, struct, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from owners import owner

PAGE = os.sysconf("SC_PAGE_SIZE")


def load_segments(binary):
    """(file offset, link address, file size) of each LOAD segment."""
    out = subprocess.check_output(["readelf", "-lW", binary], text=True)
    return [(int(p[1], 16), int(p[2], 16), int(p[4], 16))
            for p in (line.split() for line in out.splitlines()) if p and p[0] == "LOAD"]


def sections(binary):
    out = subprocess.check_output(["readelf", "-SW", binary], text=True)
    found = []
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m and int(m.group(2), 16):
            found.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1)))
    return sorted(found)


def symbols(binary):
    out = subprocess.check_output(["nm", "-S", "-n", "--defined-only", binary], text=True)
    found = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 4 and int(p[1], 16):
            found.append((int(p[0], 16), int(p[1], 16), p[3]))
    return found


def present_link_pages(pid, binary):
    """Link addresses of the binary's resident pages."""
    segments = load_segments(binary)
    pages = set()
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in open(f"/proc/{pid}/maps"):
            p = line.split()
            if len(p) < 6 or os.path.realpath(p[5]) != os.path.realpath(binary):
                continue
            start, end = (int(x, 16) for x in p[0].split("-"))
            offset = int(p[2], 16)
            pagemap.seek(start // PAGE * 8)
            entries = pagemap.read((end - start) // PAGE * 8)
            for i in range((end - start) // PAGE):
                if not struct.unpack_from("<Q", entries, i * 8)[0] >> 63:
                    continue
                file_offset = offset + i * PAGE
                for seg_off, seg_addr, seg_size in segments:
                    if seg_off <= file_offset < seg_off + seg_size:
                        pages.add((file_offset - seg_off + seg_addr) // PAGE * PAGE)
    return pages


def attribute(pages, binary, key=owner):
    """Resident bytes by `key(symbol name)`, and by section where no symbol covers a page."""
    syms, secs = symbols(binary), sections(binary)
    starts = [s[0] for s in syms]
    by_owner = collections.Counter()
    for page in pages:
        covered = 0
        i = max(bisect.bisect_right(starts, page) - 1, 0)
        while i < len(syms) and syms[i][0] < page + PAGE:
            a, size, name = syms[i]
            overlap = min(a + size, page + PAGE) - max(a, page)
            if overlap > 0:
                by_owner[key(name)] += overlap
                covered += overlap
            i += 1
        if covered < PAGE:
            section = next((n for a, s, n in secs if a <= page < a + s), "(no section)")
            by_owner["section " + section] += PAGE - min(covered, PAGE)
    return by_owner


def mappings_rss(pid):
    """(mapped file or "" or [heap]..., resident KiB) for each mapping in /proc/PID/smaps."""
    name = ""
    for line in open(f"/proc/{pid}/smaps"):
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            p = line.split()
            name = p[5] if len(p) > 5 else ""
        elif line.startswith("Rss:"):
            yield name, int(line.split()[1])


def files(pid):
    by_file = collections.Counter()
    for name, kib in mappings_rss(pid):
        if name.startswith("/"):
            by_file[os.path.basename(name)] += kib * 1024
    return by_file


def table(counter, limit):
    for key, value in counter.most_common(limit):
        print(f"{value / 1048576:8.2f} MiB  {key}")
    print(f"{sum(counter.values()) / 1048576:8.2f} MiB  in all")


if __name__ == "__main__":
    pid, binary = int(sys.argv[1]), sys.argv[2]
    if len(sys.argv) > 3:
        wanted = sys.argv[3]
        table(attribute(present_link_pages(pid, binary), binary,
                        key=lambda name: name if owner(name) == wanted else "(others)"), 60)
        sys.exit(0)
    print("file-backed resident pages by file:")
    table(files(pid), 25)
    print("\nthe binary's resident pages by owner (symbols) or section:")
    table(attribute(present_link_pages(pid, binary), binary), 40)
