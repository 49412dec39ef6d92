import Foundation

/// What the file system says of a set of files, to tell whether any changed since the last look: modification
/// time, size, inode and device (an atomic rename, as `install`, cert-manager or a package upgrade do, changes
/// the inode even within the same second). A missing file has no stamp; a file appearing or vanishing is a
/// change. Symlinks are followed, so a swapped link target counts.
struct FileStamps: Equatable, Sendable {
    struct Stamp: Equatable, Sendable {
        var modified: Double
        var size: UInt64
        var inode: UInt64
        var device: UInt64
    }

    private(set) var stamps: [String: Stamp?] = [:]

    init(_ paths: [String]) {
        for path in Set(paths) { stamps[path] = Self.stamp(path) }
    }

    static func stamp(_ path: String) -> Stamp? {
        let resolved = (path as NSString).resolvingSymlinksInPath
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) else { return nil }
        return Stamp(
            modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
            size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0,
            device: (attributes[.deviceIdentifier] as? NSNumber)?.uint64Value ?? 0)
    }
}
