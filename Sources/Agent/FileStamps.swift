import Foundation

/// What `stat` says of a set of files, to tell whether any changed since the last look: modification time,
/// size, inode and device (an atomic rename, as `install`, cert-manager or a package upgrade do, changes the
/// inode even within the same second). A missing file has no stamp; a file appearing or vanishing is a change.
struct FileStamps: Equatable, Sendable {
    struct Stamp: Equatable, Sendable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
        var inode: UInt64
        var device: UInt64
    }

    private(set) var stamps: [String: Stamp?] = [:]

    init(_ paths: [String]) {
        for path in Set(paths) { stamps[path] = Self.stamp(path) }
    }

    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Stamp(
            seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec, size: Int64(info.st_size),
            inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }
}
