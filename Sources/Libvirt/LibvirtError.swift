import CLibvirt

/// A failed libvirt call, carrying what libvirt said: its error code and domain (which subsystem), and the
/// message. Read on the thread of the failing call, as libvirt keeps errors per thread.
public struct LibvirtError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libvirt's `virErrorNumber`, e.g. 42 for `VIR_ERR_NO_DOMAIN`.
    public var code: Int
    /// libvirt's `virErrorDomain`, the subsystem that raised it.
    public var domain: Int
    public var message: String
    /// The libvirt function that failed.
    public var operation: String

    public static let noDomain = Int(VIR_ERR_NO_DOMAIN.rawValue)
    public static let operationInvalid = Int(VIR_ERR_OPERATION_INVALID.rawValue)
    public static let noSupport = Int(VIR_ERR_NO_SUPPORT.rawValue)
    public static let systemError = Int(VIR_ERR_SYSTEM_ERROR.rawValue)
    public static let noConnect = Int(VIR_ERR_NO_CONNECT.rawValue)
    public static let operationTimeout = Int(VIR_ERR_OPERATION_TIMEOUT.rawValue)

    public init(code: Int, domain: Int, message: String, operation: String) {
        self.code = code
        self.domain = domain
        self.message = message
        self.operation = operation
    }

    /// The calling thread's last libvirt error, taken right after `operation` failed.
    static func last(_ operation: String) -> LibvirtError {
        guard let error = virGetLastError() else {
            return LibvirtError(
                code: -1, domain: 0, message: "\(operation) failed without an error", operation: operation)
        }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown libvirt error"
        let result = LibvirtError(
            code: Int(error.pointee.code), domain: Int(error.pointee.domain), message: message, operation: operation)
        virResetLastError()
        return result
    }

    /// The connection to the daemon broke (daemon gone, socket closed): the supervisor should reconnect.
    public var isConnectionLoss: Bool {
        code == Self.noConnect
            || code == Int(VIR_ERR_INTERNAL_ERROR.rawValue) && message.contains("client socket is closed")
            || code == Self.systemError && (message.contains("Broken pipe") || message.contains("Connection reset"))
    }

    public var description: String { "\(operation): \(message) (libvirt error \(code), domain \(domain))" }
}

/// Checks a libvirt return code: negative means failure.
@inline(__always)
func check(_ result: Int32, _ operation: String) throws(LibvirtError) -> Int32 {
    guard result >= 0 else { throw LibvirtError.last(operation) }
    return result
}
