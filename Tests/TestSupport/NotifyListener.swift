import Glibc
import Synchronization

/// The service manager's end of NOTIFY_SOCKET: a datagram socket in a fresh temporary directory.
public final class NotifyListener {
    public let directory: String
    public let path: String
    private let descriptor: Int32

    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws {
        var template = Array("/tmp/kvm-sd-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SetupError(description: "mkdtemp: errno \(errno)") }
        directory = String(cString: made)
        path = directory + "/notify"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SetupError(description: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else { throw SetupError(description: "socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw SetupError(description: "bind \(path): errno \(errno)") }
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    /// The next datagram, or nil when none arrives before `deadline`. Polls in short slices and yields between
    /// them, so the code under test keeps a thread of the (small) cooperative pool.
    public func receive(before deadline: ContinuousClock.Instant) async -> String? {
        while true {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let millis = Int32(max(0, min(10, (deadline - .now) / .milliseconds(1))).rounded(.up))
            if poll(&entry, 1, millis) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count >= 0 { return String(decoding: buffer[..<count], as: UTF8.self) }
            }
            if ContinuousClock.now >= deadline { return nil }
            await Task.yield()
        }
    }

    /// Datagrams received until one satisfies `stop` (included) or `timeout` runs out.
    public func collect(
        for timeout: Duration, until stop: (String) -> Bool = { _ in false }
    ) async -> (messages: [String], stopped: Bool) {
        let deadline = ContinuousClock.now + timeout
        var messages: [String] = []
        while let message = await receive(before: deadline) {
            messages.append(message)
            if stop(message) { return (messages, true) }
        }
        return (messages, false)
    }
}

/// A value shared between a test and the closures it hands to the code under test.
public final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    public init(_ value: Value) {
        self.value = Mutex(value)
    }

    public func get() -> Value { value.withLock { $0 } }
    public func set(_ newValue: Value) { value.withLock { $0 = newValue } }
}

/// Sets an environment variable for the duration of `body` and restores its previous state. The environment is
/// process-global: only tests in the serialized `EnvironmentTests` suite may use this.
@discardableResult
public func withEnvironment<T>(
    _ values: [String: String?], _ body: () async throws -> T
) async rethrows -> T {
    var saved: [String: String?] = [:]
    for (name, value) in values {
        saved[name] = getenv(name).map { String(cString: $0) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try await body()
}
