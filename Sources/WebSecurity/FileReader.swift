#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads small files whole with plain POSIX calls: the errors then carry `strerror`'s short text
/// ("No such file or directory", "Permission denied") instead of Foundation's long sentences.
enum FileReader {
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    /// Configuration, certificates and keys are a few KiB; the cap keeps a path like /dev/zero from hanging start-up.
    static let maximumSize = 4 << 20

    static func contents(of path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReadError(description: Self.lastError()) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: Self.lastError())
            }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= Self.maximumSize else {
                throw ReadError(description: "larger than \(Self.maximumSize) bytes")
            }
        }
    }

    private static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
