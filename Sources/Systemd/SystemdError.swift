import CSystemd
import Glibc

/// A failed libsystemd call. libsystemd reports failures as negative errno return values (and, for D-Bus
/// calls, an `sd_bus_error` naming the remote error), which this carries as text next to the operation.
public enum SystemdError: Error, CustomStringConvertible, Sendable, Equatable {
    /// systemd (or the service manager's channel to us) is not there at all: not booted with systemd, no
    /// system bus, no NOTIFY_SOCKET. Callers are expected to log this once and carry on without the feature.
    case notAvailable(reason: String)
    /// A call failed with `errno` (positive); `message` is strerror's text or the D-Bus error's message.
    case failed(operation: String, errno: Int32, message: String)

    public var description: String {
        switch self {
        case .notAvailable(let reason): "systemd not available: \(reason)"
        case .failed(let operation, let errno, let message): "\(operation): \(message) (errno \(errno))"
        }
    }

    /// The error for a libsystemd return value `result` (a negative errno).
    static func errno(_ result: Int32, _ operation: String) -> SystemdError {
        let code = result < 0 ? -result : result
        return .failed(operation: operation, errno: code, message: describe(errno: code))
    }

    static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// Checks a libsystemd return code: negative means failure, as `-errno`.
@inline(__always)
@discardableResult
func check(_ result: Int32, _ operation: String) throws(SystemdError) -> Int32 {
    guard result >= 0 else { throw SystemdError.errno(result, operation) }
    return result
}
