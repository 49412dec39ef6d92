import CLoader
import Foundation
import Glibc

/// One mapping of the process's address space, as `/proc/self/smaps` describes it.
public struct FileMapping: Sendable, Equatable {
    public var start: UInt
    public var end: UInt
    public var path: String
    public var residentBytes: Int
}

/// Gives back the pages of the binary and its libraries that the process has mapped but may not need again.
///
/// Why: after start-up most of the agent's resident set is code and constant data of its binary and of the
/// libraries libvirt loads, much of it touched once (argument parsing, configuration, TLS and libvirt's
/// connection set-up) and kept mapped for good, with the kernel's fault-around neighbours. Dropping them from
/// the page tables with `MADV_DONTNEED` leaves the process with what it uses from then on: a page it needs
/// again faults back in from the page cache, where the dropped pages stay until the kernel wants the memory.
///
/// This is safe only where no page was ever written. A private file mapping that was never written holds
/// the file's pages as they are, and DONTNEED on it loses nothing. One with a page of its own (relocated
/// data that the loader then made read-only, a debugger's breakpoint) would get the file's bytes back, so a
/// mapping with any anonymous or swapped page, or one that may be written, is left alone.
public enum StartupPages {
    /// The mappings `release` would drop, from the text of an smaps file.
    public static func releasable(smaps text: String) -> [FileMapping] {
        var found: [FileMapping] = []
        var current: Record?
        func finish() {
            if let current, current.eligible, current.anonymousIsZero, current.mapping.residentBytes > 0 {
                found.append(current.mapping)
            }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let header = header(line) {
                finish()
                current = header
                continue
            }
            guard current != nil, let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            let kib = line[line.index(after: colon)...].split(separator: " ").first.flatMap { Int($0) }
            switch key {
            case "Rss": current?.mapping.residentBytes = (kib ?? 0) * 1024
            // A record that never says it has no page of its own is not taken to have none.
            case "Anonymous": current?.anonymousIsZero = kib == 0
            // Swapped-out pages of its own, or pages locked in memory.
            case "Swap", "Locked": if kib != 0 { current?.eligible = false }
            default: break
            }
        }
        finish()
        return found
    }

    private struct Record {
        var mapping: FileMapping
        var eligible: Bool
        var anonymousIsZero = false
    }

    /// A header line, `start-end perms offset dev inode path`; nil for the field lines that follow it.
    /// Eligible when private, not writable and backed by a file.
    private static func header(_ line: Substring) -> Record? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5, let dash = fields[0].firstIndex(of: "-"),
            let start = UInt(fields[0][..<dash], radix: 16),
            let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16)
        else { return nil }
        let path = fields.count > 5 ? String(fields[5].drop(while: { $0 == " " })) : ""
        let perms = fields[1]
        let eligible = perms.count == 4 && perms.hasSuffix("p") && !perms.contains("w") && path.hasPrefix("/")
        return Record(mapping: FileMapping(start: start, end: end, path: path, residentBytes: 0), eligible: eligible)
    }

    /// What a release dropped: how many mappings, and how many of their bytes were resident just before.
    public struct Released: Sendable, Equatable {
        public var mappings: Int
        public var residentBytes: Int
    }

    /// Drops this process's releasable mappings from its page tables; nil when smaps cannot be read.
    ///
    /// Only the parts of them that lie in a read-only segment of a loaded object are dropped, and while the
    /// loader's list is walked: `dl_iterate_phdr` holds the lock that `dlclose` takes, so no library can be
    /// unmapped, and something else mapped at its address, between reading smaps and dropping the pages.
    public static func release(procRoot: String = "/proc") -> Released? {
        guard let text = readWhole("\(procRoot)/self/smaps") else { return nil }
        let walk = LoaderWalk(releasable(smaps: text))
        withExtendedLifetime(walk) {
            _ = kvm_iterate_loaded_objects(
                { info, _, context in
                    guard let info, let context else { return 0 }
                    Unmanaged<LoaderWalk>.fromOpaque(context).takeUnretainedValue().release(in: info.pointee)
                    return 0
                }, Unmanaged.passUnretained(walk).toOpaque())
        }
        return walk.released
    }

    /// A procfs file read to its end. Foundation's file reading takes the size from `stat`, which procfs gives
    /// as 0, and smaps comes a record or a page per `read`: read until `read` says the end.
    public static func readWhole(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            bytes += chunk[..<count]
        }
    }

    /// The state of one walk over the loaded objects; the loader calls back on the walking thread only.
    private final class LoaderWalk {
        let mappings: [FileMapping]
        /// Where the mappings that had pages dropped start: one that spans two segments is dropped in two calls.
        var dropped = Set<UInt>()
        let pageMask = UInt(bitPattern: sysconf(Int32(_SC_PAGESIZE))) - 1

        init(_ mappings: [FileMapping]) { self.mappings = mappings }

        /// Each mapping that had pages dropped, counted once, with its resident bytes from before.
        var released: Released {
            let hit = mappings.filter { dropped.contains($0.start) }
            return Released(mappings: hit.count, residentBytes: hit.reduce(0) { $0 + $1.residentBytes })
        }

        func release(in object: kvm_loaded_object) {
            for index in 0..<Int(object.segmentCount) {
                let segment = object.segments[index]
                guard segment.p_type == UInt32(PT_LOAD), segment.p_flags & UInt32(PF_W) == 0 else { continue }
                let start = UInt(object.address + segment.p_vaddr) & ~pageMask
                let end = (UInt(object.address + segment.p_vaddr + segment.p_memsz) + pageMask) & ~pageMask
                for mapping in mappings where mapping.start < end && start < mapping.end {
                    let from = max(start, mapping.start)
                    let to = min(end, mapping.end)
                    guard let address = UnsafeMutableRawPointer(bitPattern: from),
                        madvise(address, Int(to - from), MADV_DONTNEED) == 0
                    else { continue }
                    dropped.insert(mapping.start)
                }
            }
        }
    }
}
