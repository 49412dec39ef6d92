import Foundation

/// A TCP connection made with plain sockets, for tests that misbehave as clients do: connect from a chosen
/// loopback address (127.0.0.2 is loopback too on Linux), trickle bytes, hold connections, and see exactly when
/// the server closes. Every wait takes a deadline, and waits happen on the connection's own serial queue (which
/// gets a thread of its own when needed): blocking the few threads of Swift's cooperative pool would stall the
/// in-process agent, whose request handlers run there, and libdispatch's global queues are as narrow on Linux.
// @unchecked: the descriptor never changes after init, and each test uses a connection from one task at a time.
final class RawConnection: @unchecked Sendable {
    let fd: Int32
    private let queue = DispatchQueue(label: "RawConnection")

    enum Failure: Error {
        case system(String, Int32)
        case timedOut(String)
    }

    /// Connects to 127.0.0.1:`port` from `source`.
    init(port: Int, from source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        do {
            try Self.call("bind") { Self.withAddress(source, port: 0) { bind(fd, $0, $1) } }
            try Self.call("connect") { Self.withAddress("127.0.0.1", port: port) { connect(fd, $0, $1) } }
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) async throws {
        try await offPool(on: queue) { try self.sendNow(text) }
    }

    private func sendNow(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Failure.system("send", errno) }
            sent += count
        }
    }

    /// Reads one response: the head and, when it has a Content-Length, that many body bytes.
    func readResponse(within deadline: Duration, bodyExpected: Bool = true) async throws -> String {
        try await offPool(on: queue) { try self.readResponseNow(within: deadline, bodyExpected: bodyExpected) }
    }

    private func readResponseNow(within deadline: Duration, bodyExpected: Bool) throws -> String {
        let end = ContinuousClock.now + deadline
        var received: [UInt8] = []
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let headEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headEnd.lowerBound].lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if !bodyExpected || text.utf8.count - text[..<headEnd.upperBound].utf8.count >= length { return text }
            }
            guard try self.read(into: &received, until: end) else { return text }
        }
    }

    /// True if the server has closed the connection by `deadline` (bytes that come first are discarded).
    func closedByServer(within deadline: Duration) async -> Bool {
        (try? await offPool(on: queue) { self.closedByServerNow(within: deadline) }) ?? false
    }

    private func closedByServerNow(within deadline: Duration) -> Bool {
        var ignored: [UInt8] = []
        let end = ContinuousClock.now + deadline
        do {
            while try self.read(into: &ignored, until: end) { ignored.removeAll() }
            return true
        } catch {
            return false
        }
    }

    /// Appends what one read brings; false at EOF or reset, throws at the deadline.
    private func read(into buffer: inout [UInt8], until end: ContinuousClock.Instant) throws -> Bool {
        let left = end - .now
        guard left > .zero else { throw Failure.timedOut("no answer from the server in time") }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(
            clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
        let ready = poll(&poller, 1, milliseconds)
        if ready < 0 && errno == EINTR { return true }
        guard ready > 0 else { throw Failure.timedOut("no answer from the server in time") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 && errno == ECONNRESET { return false }
        guard count >= 0 else { throw Failure.system("recv", errno) }
        buffer.append(contentsOf: chunk[..<count])
        return count > 0
    }

    private static func call(_ name: String, _ body: () -> Int32) throws {
        guard body() == 0 else { throw Failure.system(name, errno) }
    }

    private static func withAddress(
        _ host: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
